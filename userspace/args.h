/* SPDX-License-Identifier: GPL-2.0 */
/*
 * args.h - command lines of the migrace driver: `run` options and the
 * control lines composed for `arm` and `disarm`.
 */
#ifndef MIGRACE_ARGS_H
#define MIGRACE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib.h"

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_SKIP	4

#define MAX_WINDOWS	8
#define POLICY_LEN	256
#define MAX_PAGES	65536
#define MAX_READERS	1024
#define DEFERRED_SPLIT_PAGES	8	/* deferred-split's --pages default: a list of several */

enum scenario {
	SC_SHARED_ANON,
	SC_PRIVATE_ANON,
	SC_THP,
	SC_SHMEM_FILE,
	SC_HUGETLB,
	SC_HOT_REMOVE,
	SC_DEFERRED_SPLIT,
	SC_COUNT
};

extern const char *const scenario_names[SC_COUNT];

enum access { ACCESS_SEQ, ACCESS_RANDOM, ACCESS_SAME };

extern const char *const access_names[3];

/** struct run_opts - `migrace run` after parsing; 0/false means "not given" */
struct run_opts {
	enum scenario scenario;
	unsigned long pages;		/* default 1, deferred-split DEFERRED_SPLIT_PAGES */
	bool pages_set;
	int readers;			/* 0: online CPUs - 1, at least 1 */
	int writers_pct;
	enum access access;
	double seconds;
	uint64_t iterations;		/* 0: no limit but time */
	bool nodes_set;
	int nodes[2];
	int nwindows;
	char windows[MAX_WINDOWS][WIN_NAME_LEN];
	char policy[POLICY_LEN];	/* normalised: tokens joined by one blank */
	bool seed_set;
	uint64_t seed;
	bool cpu_pin, ktap, expect_failures, expect_race, quiet;
	bool no_target;			/* --no-target: write no target, arm nothing */
	bool help;			/* --help/-h: print args_run_help(), nothing else */
	const char *json;
	bool max_failures_set;
	uint64_t max_failures;
	bool max_rate_set;
	double max_rate;
};

/**
 * args_parse_run() - parse `run SCENARIO [options]` (@argv[0] is "run")
 * Messages for bad input go to @err. Return: 0, or EXIT_USAGE.
 */
int args_parse_run(int argc, char **argv, struct run_opts *o, FILE *err);

/** args_run_help() - `run --help`: every option with its default, windows, policies */
void args_run_help(FILE *f);

/**
 * args_policy() - check and normalise `POLICY [KEY=VALUE]...` tokens
 * @what: names the source in messages (e.g. "--policy")
 * Return: 0, or EXIT_USAGE after a message to @err.
 */
int args_policy(char **tok, int n, char *out, size_t len, const char *what, FILE *err);

/**
 * args_compose_arm() - control lines for `arm WINDOW [POLICY] [KEY=VALUE]...
 * [--target SPEC]` (@argv[0] is "arm"): a `target` line when asked, then
 * the `arm` line, each ending in a newline.
 * Return: 0, or EXIT_USAGE after a message to @err.
 */
int args_compose_arm(int argc, char **argv, char *out, size_t len, FILE *err);

/** args_compose_disarm() - `disarm [WINDOW|all]`, default all */
int args_compose_disarm(int argc, char **argv, char *out, size_t len, FILE *err);

/** args_target() - `pid:N` ... `all` to a `target ...` line (no newline) */
int args_target(const char *spec, char *out, size_t len, FILE *err);

/**
 * args_compose_target() - control lines for `target add SPEC... | clear`
 * (@argv[0] is "target"); `target list` is not composed (the module has no
 * file that shows its targets).
 * Return: 0, or EXIT_USAGE after a message to @err.
 */
int args_compose_target(int argc, char **argv, char *out, size_t len, FILE *err);

#endif /* MIGRACE_ARGS_H */
