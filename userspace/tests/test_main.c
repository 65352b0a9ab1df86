// SPDX-License-Identifier: GPL-2.0
/*
 * test_main.c - run every host test suite; exit 1 if any case failed.
 * Environment: MIGRACE_BIN (the driver), MIGRACE_SCHEMA, MIGRACE_VALIDATOR,
 * KUNIT_PY (set by `make test`).
 */
#include "suites.h"

int main(void)
{
	const struct tap_case *const suites[] = {
		lib_cases, args_cases, migrator_cases, readers_cases, report_cases, cli_cases,
	};
	const size_t counts[] = {
		lib_ncases, args_ncases, migrator_ncases, readers_ncases, report_ncases, cli_ncases,
	};

	return tap_run(suites, counts, sizeof(counts) / sizeof(counts[0])) ? 1 : 0;
}
