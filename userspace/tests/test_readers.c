// SPDX-License-Identifier: GPL-2.0
/*
 * test_readers.c - reader tasks on local memory (nothing migrates): they
 * run, write, stop and are reaped; they and the final check catch words
 * that change behind their back; a reader killed by a signal is reported.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "readers.h"
#include "suites.h"

#define NPAGES 4

static char *map(bool shared)
{
	size_t len = NPAGES * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tap_skip("mmap failed");
	pattern_fill(p, 4096, NPAGES);
	return p;
}

static void setup(struct readers *r, char *base, bool fork, int n, int writers)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->unit = 4096;
	r->npages = NPAGES;
	r->map_len = NPAGES * 4096;
	r->memfd = -1;
	r->fork = fork;
	r->n = n;
	r->nwriters = writers;
	r->access = ACCESS_SEQ;
	r->seed = 1;
	r->deadline = now_s() + 10;
}

static void clean_run(bool fork, enum access access, int memfd)
{
	struct readers r;
	char *base = map(fork);
	uint64_t total = 0;

	setup(&r, base, fork, 3, 2);
	r.access = access;
	if (memfd >= 0) {
		munmap(base, NPAGES * 4096);
		base = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		pattern_fill(base, 4096, NPAGES);
		r.base = base;
		r.memfd = memfd;
	}
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.2);
	readers_stop(&r);
	readers_verify(&r);
	CHECK(r.data.reads > 0);
	CHECK(r.data.writes > 0);
	CHECK_INT(data_corruptions(&r.data), 0);
	CHECK(r.data.final_gens_checked);
	CHECK_INT(r.data.deaths + r.data.stuck + r.data.errors, 0);
	for (int p = 0; p < NPAGES; p++)
		total += r.ctl->page_writes[p];
	CHECK_INT(total, r.data.writes);
	if (access == ACCESS_SAME)
		CHECK_INT(r.ctl->page_writes[0], total);
	else
		CHECK(r.ctl->page_writes[NPAGES - 1] > 0);
	CHECK_STR(r.data.first, "");
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

static void threads_clean(void)
{
	clean_run(false, ACCESS_SEQ, -1);
}

static void processes_clean(void)
{
	clean_run(true, ACCESS_RANDOM, -1);
}

static void memfd_processes_clean(void)
{
	int fd = memfd_create("migrace-test", MFD_CLOEXEC);

	CHECK(fd >= 0 && !ftruncate(fd, NPAGES * 4096));
	clean_run(true, ACCESS_SAME, fd);
	close(fd);
}

/* A middle word overwritten behind the readers' back. */
static void garbage_is_caught(void)
{
	struct readers r;
	char *base = map(true);
	uint64_t *w = (uint64_t *)(base + 4096);

	setup(&r, base, true, 2, 0);
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.05);
	for (int k = 1; k < 511; k++)
		w[k] = 0xdeadbeef;
	sleep_s(0.1);
	readers_stop(&r);
	readers_verify(&r);
	CHECK(r.data.mismatches > 0);
	CHECK_INT(r.data.final_bad, 510);
	CHECK_HAS(r.data.first, "unit 1 word ");
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

/* A generation that goes back (a stale copy) and one never written. */
static void stale_generation_is_caught(void)
{
	struct readers r;
	char *base = map(false);
	uint64_t *w = (uint64_t *)(base + 2 * 4096);

	setup(&r, base, false, 2, 0);
	r.access = ACCESS_RANDOM;
	CHECK_INT(readers_start(&r), 0);
	__atomic_store_n(&w[0], pattern_word(2, 0, 5), __ATOMIC_SEQ_CST);
	sleep_s(0.1);
	__atomic_store_n(&w[0], pattern_word(2, 0, 3), __ATOMIC_SEQ_CST);
	sleep_s(0.1);
	readers_stop(&r);
	readers_verify(&r);
	CHECK(r.data.mismatches > 0);
	CHECK_HAS(r.data.first, "unit 2 word 0");
	CHECK_HAS(r.data.first, "expected at least");
	CHECK_INT(r.data.final_bad, 1);		/* generation 3, no write counted */
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

/* The last word ahead of word 0: the writers' order broken. */
static void order_is_caught(void)
{
	struct readers r;
	char *base = map(false);
	uint64_t *w = (uint64_t *)base;

	setup(&r, base, false, 1, 0);
	CHECK_INT(readers_start(&r), 0);
	__atomic_store_n(&w[511], pattern_word(0, 511, 1), __ATOMIC_SEQ_CST);
	sleep_s(0.1);
	readers_stop(&r);
	CHECK(r.data.mismatches > 0);
	CHECK_HAS(r.data.first, "unit 0 word 511");
	CHECK_HAS(r.data.first, "expected at most");
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

static void killed_reader_is_reported(void)
{
	struct readers r;
	char *base = map(true);

	setup(&r, base, true, 2, 1);
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.05);
	kill(r.pids[1], SIGBUS);
	sleep_s(0.05);
	readers_stop(&r);
	CHECK_INT(r.data.deaths, 1);
	CHECK_INT(r.data.last_death_sig, SIGBUS);
	readers_verify(&r);
	CHECK_INT(data_corruptions(&r.data), 0);
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

/* Readers give up at their deadline even if nobody stops them. */
static void deadline_bounds_readers(void)
{
	struct readers r;
	char *base = map(false);
	double t;

	setup(&r, base, false, 2, 1);
	r.deadline = now_s() + 0.2;
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.4);
	for (int i = 0; i < 2; i++)
		CHECK_INT(r.ctl->slots[i].done, 1);
	t = now_s();
	readers_stop(&r);
	CHECK(now_s() - t < 0.5);
	readers_free(&r);
	munmap(base, NPAGES * 4096);
}

/* --- live bytes and gates (deferred-split) -------------------------------------------- */

#define DS_UNIT	(2 * 4096)	/* a "THP" of two pages ... */
#define DS_LIVE	4096		/* ... whose second page is dropped */

/* NPAGES units of DS_UNIT bytes, filled; the dropped page of each unmapped (@drop) or garbage. */
static char *map_dropped(bool shared, bool drop)
{
	char *p = mmap(NULL, NPAGES * DS_UNIT, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tap_skip("mmap failed");
	pattern_fill(p, DS_UNIT, NPAGES);
	for (int u = 0; u < NPAGES; u++) {
		if (drop)
			munmap(p + u * DS_UNIT + DS_LIVE, DS_UNIT - DS_LIVE);	/* a touch: SIGSEGV */
		else
			memset(p + u * DS_UNIT + DS_LIVE, 0xa5, DS_UNIT - DS_LIVE);
	}
	return p;
}

static void setup_dropped(struct readers *r, char *base, bool fork, size_t live)
{
	setup(r, base, fork, 3, 2);
	r->unit = DS_UNIT;
	r->map_len = NPAGES * DS_UNIT;
	r->live = live;
	r->access = ACCESS_RANDOM;
}

static void pattern_fill_unit_words(void)
{
	uint64_t w[DS_UNIT / 8];
	size_t last = DS_LIVE / 8 - 1;

	pattern_fill_unit((char *)w, 3, DS_UNIT, DS_LIVE, 7);
	CHECK(w[0] == pattern_word(3, 0, 7));
	CHECK(w[last] == pattern_word(3, last, 7));
	CHECK(w[1] == pattern_word(3, 1, 0));
	CHECK(w[last + 1] == pattern_word(3, last + 1, 0));
	CHECK(w[DS_UNIT / 8 - 1] == pattern_word(3, DS_UNIT / 8 - 1, 0));
	pattern_fill_unit((char *)w, 3, DS_UNIT, DS_UNIT, 2);
	CHECK(w[DS_UNIT / 8 - 1] == pattern_word(3, DS_UNIT / 8 - 1, 2));
}

/*
 * Readers, writers and the final check stay inside the live bytes: the
 * dropped page is unmapped, so one touch would kill a reader (or this case).
 */
static void dropped_page_is_not_checked(void)
{
	for (int fork = 0; fork < 2; fork++) {
		struct readers r;
		char *base = map_dropped(fork, true);

		setup_dropped(&r, base, fork, DS_LIVE);
		CHECK_INT(readers_live(&r), DS_LIVE);
		CHECK_INT(readers_start(&r), 0);
		sleep_s(0.15);
		readers_stop(&r);
		readers_verify(&r);
		CHECK(r.data.reads > 0 && r.data.writes > 0);
		CHECK_INT(data_corruptions(&r.data), 0);
		CHECK_INT(r.data.deaths + r.data.stuck + r.data.errors, 0);
		CHECK(r.data.final_gens_checked);
		/* the moving last word is the live part's last word */
		CHECK_INT(pattern_gen(((uint64_t *)base)[DS_LIVE / 8 - 1]), r.ctl->page_writes[0]);
		readers_free(&r);
		munmap(base, NPAGES * DS_UNIT);
	}
}

/* The same garbage in the tail page is a corruption when the whole unit is live. */
static void tail_garbage_counts_when_live(void)
{
	struct readers r;
	char *base = map_dropped(false, false);

	setup_dropped(&r, base, false, DS_LIVE);
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.05);
	readers_stop(&r);
	readers_verify(&r);
	CHECK_INT(data_corruptions(&r.data), 0);
	readers_free(&r);
	for (int u = 0; u < NPAGES; u++)	/* generation 0 again, tail untouched */
		pattern_fill_unit(base + u * DS_UNIT, u, DS_LIVE, DS_LIVE, 0);
	setup_dropped(&r, base, false, 0);	/* 0: the whole unit */
	r.nwriters = 0;
	CHECK_INT(readers_live(&r), DS_UNIT);
	CHECK_INT(readers_start(&r), 0);
	sleep_s(0.05);
	readers_stop(&r);
	readers_verify(&r);
	CHECK(r.data.mismatches > 0);
	CHECK_INT(r.data.final_bad, NPAGES * (DS_UNIT - DS_LIVE) / 8);
	readers_free(&r);
	munmap(base, NPAGES * DS_UNIT);
}

/*
 * A closed gate: no reader inside, writes stop, the unit can be scribbled on
 * and rewritten at its generation; opened again, no corruption. A unit left
 * closed (lost) is not checked at the end.
 */
static void gate_keeps_readers_off(void)
{
	struct readers r;
	char *base = map_dropped(false, true);
	char *u1 = base + DS_UNIT, *u2 = base + 2 * DS_UNIT;
	uint64_t gen;

	setup_dropped(&r, base, false, DS_LIVE);
	CHECK_INT(readers_gate_close(&r, 1, 0.1), -EINVAL);	/* not started */
	r.gated = true;
	CHECK_INT(readers_start(&r), 0);
	CHECK(r.gates != NULL);
	sleep_s(0.05);
	CHECK_INT(readers_gate_close(&r, 1, 1.0), 0);
	/*
	 * A reader may still bump users for an instant before it sees the gate
	 * closed and backs off (gate_enter()); none stays inside.
	 */
	int inside = 1;

	for (int i = 0; i < 100000 && inside; i++) {
		inside = __atomic_load_n(&r.gates[1].users, __ATOMIC_SEQ_CST);
		if (inside)
			sched_yield();
	}
	CHECK_INT(inside, 0);
	gen = readers_unit_writes(&r, 1);
	CHECK(gen > 0);
	CHECK_INT(pattern_gen(((uint64_t *)u1)[0]), gen);
	memset(u1, 0x5a, DS_LIVE);			/* the unit being replaced */
	sleep_s(0.05);
	CHECK_INT(readers_unit_writes(&r, 1), gen);	/* nobody wrote meanwhile */
	pattern_fill_unit(u1, 1, DS_LIVE, DS_LIVE, gen);
	readers_gate_open(&r, 1);
	CHECK_INT(readers_gate_close(&r, 2, 1.0), 0);
	memset(u2, 0x5a, DS_LIVE);			/* lost: stays closed */
	for (int i = 0; i < 400 && readers_unit_writes(&r, 1) == gen; i++)
		sleep_s(0.005);
	CHECK(readers_unit_writes(&r, 1) > gen);	/* written again after opening */
	readers_stop(&r);
	readers_verify(&r);
	CHECK_INT(data_corruptions(&r.data), 0);
	CHECK_STR(r.data.first, "");
	readers_free(&r);
	munmap(base, NPAGES * DS_UNIT);
}

/* A reader that stays inside: the close times out and the gate is open again. */
static void gate_close_times_out(void)
{
	struct readers r;
	char *base = map_dropped(false, true);
	double t;

	setup_dropped(&r, base, false, DS_LIVE);
	r.gated = true;
	r.n = 1;
	r.nwriters = 0;
	CHECK_INT(readers_start(&r), 0);
	__atomic_fetch_add(&r.gates[3].users, 1, __ATOMIC_SEQ_CST);	/* a fake reader inside */
	t = now_s();
	CHECK_INT(readers_gate_close(&r, 3, 0.05), -ETIMEDOUT);
	CHECK(now_s() - t < 1);
	CHECK_INT(r.gates[3].closed, 0);
	__atomic_fetch_sub(&r.gates[3].users, 1, __ATOMIC_SEQ_CST);
	CHECK_INT(readers_gate_close(&r, 3, 0.5), 0);
	readers_gate_open(&r, 3);
	CHECK_INT(readers_gate_close(&r, NPAGES, 0.05), -EINVAL);
	readers_stop(&r);
	readers_verify(&r);
	CHECK_INT(data_corruptions(&r.data), 0);
	readers_free(&r);
	munmap(base, NPAGES * DS_UNIT);
}

SUITE_DEFINE(readers,
	TAP_CASE(threads_clean),
	TAP_CASE(processes_clean),
	TAP_CASE(memfd_processes_clean),
	TAP_CASE(garbage_is_caught),
	TAP_CASE(stale_generation_is_caught),
	TAP_CASE(order_is_caught),
	TAP_CASE(killed_reader_is_reported),
	TAP_CASE(deadline_bounds_readers),
	TAP_CASE(pattern_fill_unit_words),
	TAP_CASE(dropped_page_is_not_checked),
	TAP_CASE(tail_garbage_counts_when_live),
	TAP_CASE(gate_keeps_readers_off),
	TAP_CASE(gate_close_times_out),
);
