/* SPDX-License-Identifier: GPL-2.0 */
/*
 * readers.h - the tasks that touch the pages while they migrate, and the
 * data pattern they check.
 *
 * Pattern: the unit (a base page, or a huge page) @p holds 64-bit words; word
 * @k is (gen << 24) | hash(p, k), hash never 0. Only words 0 and last ever
 * change: a writer atomically adds one generation to word 0, then to the last
 * word, then counts the write in a shared per-page counter. So, at any time,
 * gen(last) <= gen(word 0), gen(word 0) never decreases, every other word
 * keeps generation 0, and once the writers stop both generations equal the
 * counter. A reader reads the last word, then word 0, then a middle word, and
 * checks all of that; the parent checks every word at the end. Any mismatch
 * is a corruption.
 */
#ifndef MIGRACE_READERS_H
#define MIGRACE_READERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "args.h"

#define PAT_BITS	24
#define PAT_MASK	((1u << PAT_BITS) - 1)
#define PAT_GEN_ONE	(1ull << PAT_BITS)

/** pattern_word() - the expected value of word @k of unit @p at generation @gen */
uint64_t pattern_word(size_t p, size_t k, uint64_t gen);
/** pattern_ok() - the low bits of @v are those of word @k of unit @p */
bool pattern_ok(size_t p, size_t k, uint64_t v);
static inline uint64_t pattern_gen(uint64_t v) { return v >> PAT_BITS; }
/** pattern_fill() - write generation 0 of every word of @npages units */
void pattern_fill(char *base, size_t unit, size_t npages);

enum bad_kind { BAD_NONE, BAD_PATTERN, BAD_BACKWARDS, BAD_ORDER, BAD_FINAL };

/** struct reader_slot - one reader's counters, in memory shared with the parent */
struct reader_slot {
	uint64_t reads, writes, mismatches;
	uint64_t bad_page, bad_word, bad_got, bad_want;
	uint32_t bad_kind;
	uint32_t done;			/* left its loop normally */
} __attribute__((aligned(64)));

struct readers_ctl {
	int stop;
	struct reader_slot slots[MAX_READERS];
	uint64_t page_writes[];		/* per unit, counted by writers */
};

/** struct data_stats - what the readers and the final check found */
struct data_stats {
	uint64_t reads, writes;
	uint64_t mismatches;		/* seen by readers during the run */
	uint64_t final_bad;		/* words wrong in the final check */
	bool final_gens_checked;	/* false if a writer did not finish */
	int deaths;			/* readers killed by a signal we did not send */
	int last_death_sig;
	int stuck;			/* readers that had to be killed or were not joined */
	int errors;			/* readers that could not set up */
	char first[200];		/* the first corruption, in words */
};

static inline uint64_t data_corruptions(const struct data_stats *d)
{
	return d->mismatches + d->final_bad;
}

/**
 * struct readers - a set of reader tasks over one mapping
 * Filled by the caller before readers_start(); the rest is owned.
 */
struct readers {
	char *base;
	size_t unit, npages, map_len;
	int memfd;			/* >= 0: forked readers map it themselves */
	bool fork;			/* processes (shared mappings) or threads */
	int n, nwriters;
	enum access access;
	uint64_t seed;
	double deadline;		/* CLOCK_MONOTONIC; readers stop by then */
	const int *cpus;		/* reader i runs on cpus[i % ncpus]; NULL: anywhere */
	int ncpus;

	struct readers_ctl *ctl;
	size_t ctl_len;
	pid_t parent;
	pid_t *pids;
	pthread_t *threads;
	bool *joined;
	int started;
	bool stopped;
	struct data_stats data;
};

/** readers_writers() - how many of @n readers write, for @pct percent */
int readers_writers(int n, int pct);
/** readers_start() - map the shared counters and start r->n readers; 0 or -errno */
int readers_start(struct readers *r);
/** readers_stop() - ask them to stop, then kill and reap (bounded); fills r->data; once */
void readers_stop(struct readers *r);
/** readers_verify() - the final check of every word, after readers_stop() */
void readers_verify(struct readers *r);
void readers_free(struct readers *r);

#endif /* MIGRACE_READERS_H */
