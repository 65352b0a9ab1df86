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
 *
 * Live bytes: a scenario may check only the first @live bytes of each unit
 * (deferred-split unmaps the unit's last base page): "last word" is then the
 * last word of the live part, and the bytes after it are never read.
 *
 * Gates (deferred-split): when the parent must replace a unit's memory, it
 * closes the unit's gate and waits until no reader is inside; readers skip a
 * closed unit. Words keep their generations across the replacement.
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
/**
 * pattern_fill_unit() - write unit @p at @u: every word of @unit bytes at
 * generation 0, but word 0 and the last word of the first @live bytes at @gen
 */
void pattern_fill_unit(char *u, size_t p, size_t unit, size_t live, uint64_t gen);

enum bad_kind { BAD_NONE, BAD_PATTERN, BAD_BACKWARDS, BAD_ORDER, BAD_FINAL };

/** struct reader_slot - one reader's counters, in memory shared with the parent */
struct reader_slot {
	uint64_t reads, writes, mismatches;
	uint64_t bad_page, bad_word, bad_got, bad_want;
	uint32_t bad_kind;
	uint32_t done;			/* left its loop normally */
} __attribute__((aligned(64)));

/** struct unit_gate - keeps readers off a unit the parent replaces */
struct unit_gate {
	uint32_t closed;		/* set by the parent */
	uint32_t users;			/* readers inside the unit now */
};

struct readers_ctl {
	int stop;
	struct reader_slot slots[MAX_READERS];
	uint64_t page_writes[];		/* per unit, counted by writers; then the gates */
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
	size_t live;			/* bytes checked per unit; 0: @unit */
	bool gated;			/* per-unit gates (readers_gate_close()) */
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
	struct unit_gate *gates;	/* in ctl's mapping when @gated, else NULL */
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
/**
 * readers_verify() - the final check of every live word, after readers_stop()
 * A unit whose gate was left closed (its memory was lost) is not checked.
 */
void readers_verify(struct readers *r);
/** readers_live() - bytes checked per unit */
static inline size_t readers_live(const struct readers *r)
{
	return r->live ? r->live : r->unit;
}
/**
 * readers_gate_close() - keep readers off unit @p and wait, at most @timeout_s,
 * until none is inside. Return: 0 (closed, no reader inside), -EINVAL without
 * gates, or -ETIMEDOUT (the gate is open again).
 */
int readers_gate_close(struct readers *r, size_t p, double timeout_s);
void readers_gate_open(struct readers *r, size_t p);
/** readers_unit_writes() - writes counted for unit @p (its generation, gate closed) */
uint64_t readers_unit_writes(const struct readers *r, size_t p);
void readers_free(struct readers *r);

#endif /* MIGRACE_READERS_H */
