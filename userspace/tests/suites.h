/* SPDX-License-Identifier: GPL-2.0 */
/* suites.h - the host test suites, one per file */
#ifndef MIGRACE_SUITES_H
#define MIGRACE_SUITES_H

#include <stddef.h>

#include "tap.h"

#define SUITE(name)							\
	extern const struct tap_case name##_cases[];			\
	extern const size_t name##_ncases

SUITE(lib);
SUITE(args);
SUITE(migrator);
SUITE(readers);
SUITE(report);
SUITE(cli);

#define SUITE_DEFINE(name, ...)						\
	const struct tap_case name##_cases[] = { __VA_ARGS__ };		\
	const size_t name##_ncases = sizeof(name##_cases) / sizeof(name##_cases[0])

#endif /* MIGRACE_SUITES_H */
