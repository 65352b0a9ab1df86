/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the result of a run and its three renderings: a table for
 * people, JSON for dashboards (userspace/report-schema.json), KTAP for
 * machines; and the verdict.
 */
#ifndef MIGRACE_REPORT_H
#define MIGRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "dsplit.h"
#include "lib.h"
#include "migrator.h"
#include "readers.h"

#define REPORT_ATTRIB_TOP	3

/** struct hotplug_stats - hot-remove: offline/online cycles of one block */
struct hotplug_stats {
	bool used;
	char block[96];
	uint64_t offline_attempts, offline_ok, offline_failed, online_failed;
	uint64_t by_errno[MIGR_MAX_ERRNO];	/* offline failures; EINTR: timed out */
	uint64_t units_in_block;		/* summed over cycles, before offlining */
	double max_offline_s;
	double failed_offline_s;		/* summed over failed offline writes */
	bool module_ok;				/* the two below were read */
	uint64_t offline_eagain;		/* module: failed passes during offline writes */
	uint64_t offline_waiter_refs;		/* module: waiters' references, likewise */
};

/** struct module_report - the module's view, when it is loaded */
struct module_report {
	bool loaded;
	bool stats_ok;				/* stats read before and after */
	struct kvmap before, after;
	int nattrib;
	struct attrib_block attrib[REPORT_ATTRIB_TOP];
	char error[160];
};

struct report {
	const struct run_opts *o;
	int argc;			/* the command line, from "run" on (argv[0] is "run") */
	char **argv;
	char arch[65], kernel[65];
	long cpus;
	int nodes_found;		/* nodes with memory; -1 unknown */
	int node_a, node_b;		/* -1 before they are known */
	int readers, writers;
	size_t unit;
	uint64_t seed;
	const char *move_flags;
	double elapsed;
	struct migr_stats mig;
	bool vmstat_ok;
	int64_t d_pgmigrate_success, d_pgmigrate_fail;
	struct data_stats data;
	struct hotplug_stats hp;
	struct dsplit_stats ds;
	struct module_report mod;
	bool interrupted;
	int signo;
	int exit_code;			/* EXIT_PASS, EXIT_FAIL or EXIT_SKIP */
	char reason[256];
};

/** report_init() - an empty report of @o (uname filled in) */
void report_init(struct report *r, const struct run_opts *o);
void report_free(struct report *r);
/** report_skip()/report_fail() - set the verdict before or instead of running */
void report_skip(struct report *r, const char *reason);
void report_fail(struct report *r, const char *reason);

/**
 * report_decide() - the verdict of a finished (or interrupted) run
 * Corruption, dead or stuck readers fail always; then a deferred-split
 * error (a failed drop_caches write, a lost unit); then --expect-failures,
 * --expect-race, --max-failures and --max-rate; an interrupted run that would pass fails.
 * A verdict already set by report_skip()/report_fail() is kept.
 * Return: the exit code.
 */
int report_decide(struct report *r);

/** enum race_verdict - did this run reproduce the race migrace is for */
enum race_verdict {
	RACE_UNKNOWN,		/* no module stats, or a kind whose strays are not counted */
	RACE_NOT_SEEN,		/* no page failed, or none through a stray reference */
	RACE_REPRODUCED,	/* pages not migrated, stray references counted */
};

/**
 * report_race() - the race verdict and its one-line reason
 * Reproduced: pages were not migrated and the module counted stray
 * references at the refcount check in this run; the reason names how many,
 * in how many failed passes, and the top taker's fault handler.
 * @buf: the reason, shown after "race: " (table, KTAP) and in JSON
 */
enum race_verdict report_race(const struct report *r, char *buf, size_t len);
/** report_race_name() - "reproduced", "not seen" or "unknown" */
const char *report_race_name(enum race_verdict v);

/** report_failures() - failed attempts and attempts (offline cycles for hot-remove) */
void report_failures(const struct report *r, uint64_t *failures, uint64_t *attempts);
/** report_stat_delta() - after - before of a module stat (0 if absent) */
int64_t report_stat_delta(const struct report *r, const char *name);

/** report_policy() - "none" (no window), the --policy given, or the module's default */
const char *report_policy(const struct report *r, char *buf, size_t len);
/** report_command() - `migrace run ...` as a shell would take it back */
const char *report_command(const struct report *r, char *buf, size_t len);

void report_table(const struct report *r, FILE *f);
void report_json(const struct report *r, FILE *f);
void report_ktap(const struct report *r, FILE *f);

#endif /* MIGRACE_REPORT_H */
