/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dsplit.h - deferred-split: a thread of the driver (so in its process
 * group: a target of the module) that makes the THP deferred split shrinker
 * run every period (drop_caches "2": drop_slab()), and re-creates a
 * partially mapped THP for each unit the kernel has split, so the split
 * queue keeps having work while the main thread migrates the units.
 */
#ifndef MIGRACE_DSPLIT_H
#define MIGRACE_DSPLIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "readers.h"
#include "scenarios.h"

#define DSPLIT_PERIOD_S		0.05	/* between drop_caches writes */
#define DSPLIT_GATE_TIMEOUT_S	0.1	/* for readers to leave a unit */
#define DSPLIT_JOIN_TIMEOUT_S	30	/* one drop_slab() can be slow */
#define DSPLIT_MAX_CYCLES	10000000

/** struct dsplit_stats - what the thread did; in the report */
struct dsplit_stats {
	bool used;
	uint64_t live_bytes;		/* per unit, checked by readers */
	uint64_t shrinker_calls;	/* drop_caches writes that succeeded */
	uint64_t shrinker_errors;	/* ... that failed; the run fails */
	int last_errno;			/* of the last failed write */
	uint64_t rethp;			/* split units re-created as a partially mapped THP */
	uint64_t rethp_failed;		/* re-created, but no THP came (base pages; retried) */
	uint64_t gate_timeouts;		/* a reader stayed inside a split unit: left for later */
	double max_shrink_s;		/* longest drop_caches write */
	bool vmstat_ok;			/* the deltas below were read */
	int64_t d_deferred_split;	/* /proc/vmstat thp_deferred_split_page, system-wide */
	int64_t d_split_page;		/* thp_split_page */
	int64_t d_split_failed;		/* thp_split_page_failed */
	char error[160];		/* the run fails with this when set */
};

/** struct dsplit - the thread; fill @mem, @rd, @deadline before dsplit_start() */
struct dsplit {
	struct scenario_mem *mem;
	struct readers *rd;
	double deadline;		/* CLOCK_MONOTONIC: stops by then on its own */
	pthread_t thread;
	bool started, joined;
	int stop;
	struct dsplit_stats st;
};

/**
 * dsplit_cycle() - one cycle: re-create every unit whose first page is no
 * longer part of a THP, then write drop_caches. Return: false when a unit was
 * lost (st.error set): stop.
 */
bool dsplit_cycle(struct dsplit *d);
/** dsplit_start() - start the thread (at least one cycle runs); 0 or -errno */
int dsplit_start(struct dsplit *d);
/** dsplit_stop() - ask it to stop and join it (bounded); safe to call twice */
void dsplit_stop(struct dsplit *d);

#endif /* MIGRACE_DSPLIT_H */
