/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a small TAP/KTAP harness for the driver's host tests.
 *
 * Each case runs in a forked child (a crash or hang fails that case only,
 * bounded by TAP_CASE_TIMEOUT_S); the parent prints `ok N name`,
 * `not ok N name` or `ok N name # SKIP reason`, and last a line
 * `N passed, N failed`.
 */
#ifndef MIGRACE_TAP_H
#define MIGRACE_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TAP_CASE_TIMEOUT_S	60

struct tap_case {
	const char *name;
	void (*fn)(void);
};

#define TAP_CASE(fn) { #fn, fn }

/* Record a failure of the running case (it goes on; the case is not ok). */
void tap_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* End the running case as skipped. */
void tap_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/*
 * Named sub-cases of a table, as a nested KTAP block: tap_sub_plan(n), then
 * per row tap_sub_begin() ... checks ... tap_sub_end(i, name).
 */
void tap_sub_plan(int n);
void tap_sub_begin(void);
void tap_sub_end(int num, const char *name);

/* Print a `# ` diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			tap_fail(__FILE__, __LINE__, "%s", #cond);	\
	} while (0)

#define CHECK_INT(got, want)						\
	do {								\
		long long g_ = (long long)(got), w_ = (long long)(want);\
		if (g_ != w_)						\
			tap_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #got, g_, w_); \
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!g_ || strcmp(g_, w_))				\
			tap_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #got, \
				 g_ ? g_ : "(null)", w_);		\
	} while (0)

#define CHECK_HAS(hay, needle)						\
	do {								\
		const char *h_ = (hay), *n_ = (needle);			\
		if (!h_ || !strstr(h_, n_))				\
			tap_fail(__FILE__, __LINE__, "%s lacks \"%s\": \"%s\"", #hay, n_, \
				 h_ ? h_ : "(null)");			\
	} while (0)

/* Run @n cases; Return: the number that failed. */
int tap_run(const struct tap_case *const *suites, const size_t *counts, int nsuites);

/* Helpers for tests: a temp dir, files in it, running a command. */
const char *tap_tmpdir(void);
char *tap_path(const char *name);		/* static buffer */
void tap_write_file(const char *path, const char *text);
char *tap_read_file(const char *path);		/* malloc'd or NULL */

/**
 * tap_exec() - run @argv with @env added, capture stdout and stderr
 * Bounded by @timeout_s (then SIGKILL). Return: exit code, 128+signal, or -1.
 */
int tap_exec(char *const argv[], char *const env[], double timeout_s, char **out, char **err);

/** tap_exec_signal() - tap_exec(), sending @sig to the command after @after_s */
int tap_exec_signal(char *const argv[], char *const env[], double timeout_s, int sig,
		    double after_s, char **out, char **err);

#endif /* MIGRACE_TAP_H */
