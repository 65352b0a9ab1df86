// SPDX-License-Identifier: GPL-2.0
/*
 * test_readers.c - reader tasks on local memory (nothing migrates): they
 * run, write, stop and are reaped; they and the final check catch words
 * that change behind their back; a reader killed by a signal is reported.
 */
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

SUITE_DEFINE(readers,
	TAP_CASE(threads_clean),
	TAP_CASE(processes_clean),
	TAP_CASE(memfd_processes_clean),
	TAP_CASE(garbage_is_caught),
	TAP_CASE(stale_generation_is_caught),
	TAP_CASE(order_is_caught),
	TAP_CASE(killed_reader_is_reported),
	TAP_CASE(deadline_bounds_readers),
);
