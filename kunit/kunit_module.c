// SPDX-License-Identifier: GPL-2.0
/*
 * migrace KUnit suites: module metadata. Each *_test.c registers its own
 * suite; all of them run when migrace_kunit.ko is loaded (after migrace.ko,
 * whose logic they drive). See kunit/README.md.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("migrace: KUnit suites for the logic behind migrace.h");
