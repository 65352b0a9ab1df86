// SPDX-License-Identifier: GPL-2.0
/*
 * dsplit.c - the deferred-split scenario's shrinker thread; see dsplit.h.
 *
 * Why a thread of the driver: drop_slab() runs the shrinkers in the writing
 * task, so deferred_split_scan() (and its split_huge_page() calls) runs in
 * the driver's process group, which the module targets; and it runs while the
 * main thread migrates the same THPs. On 6.1 each migration of a PTE-mapped
 * THP queues the source folio again (its first PTE removed), and the
 * re-created units are queued when their last base page is unmapped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dsplit.h"
#include "lib.h"

static void shrink(struct dsplit *d)
{
	struct dsplit_stats *s = &d->st;
	double t = now_s();
	int e = drop_caches_slab();

	t = now_s() - t;
	if (t > s->max_shrink_s)
		s->max_shrink_s = t;
	if (e) {
		s->shrinker_errors++;
		s->last_errno = -e;
	} else {
		s->shrinker_calls++;
	}
}

/* Re-create unit @p, readers kept off. Return: false when its memory is lost. */
static bool recreate(struct dsplit *d, size_t p)
{
	struct dsplit_stats *s = &d->st;
	int e;

	if (readers_gate_close(d->rd, p, DSPLIT_GATE_TIMEOUT_S)) {
		s->gate_timeouts++;
		return true;
	}
	e = unit_recreate(d->mem, p, readers_unit_writes(d->rd, p));
	if (e && e != -EAGAIN) {
		snprintf(s->error, sizeof(s->error), "re-creating THP unit %zu: mmap: %s", p,
			 strerror(-e));
		return false;	/* the gate stays closed: nobody touches it again */
	}
	if (e)
		s->rethp_failed++;
	else
		s->rethp++;
	readers_gate_open(d->rd, p);
	return true;
}

/*
 * Re-create the units that are no THP now, then scan at once: from 6.12
 * migrate_pages() splits a partially mapped THP it meets itself, so a scan
 * that waits a period finds the queue mostly empty.
 */
bool dsplit_cycle(struct dsplit *d)
{
	for (size_t p = 0; p < d->mem->npages; p++) {
		if (__atomic_load_n(&d->stop, __ATOMIC_SEQ_CST))
			return true;	/* stopped: no shrink past the run's end */
		if (unit_is_thp(d->mem, p))
			continue;	/* a THP, or unknown now (under migration) */
		if (!recreate(d, p))
			return false;
	}
	shrink(d);
	return true;
}

static void *dsplit_main(void *arg)
{
	struct dsplit *d = arg;

	for (uint64_t i = 0; i < DSPLIT_MAX_CYCLES; i++) {
		double next = now_s() + DSPLIT_PERIOD_S;

		if (!dsplit_cycle(d))
			break;
		while (!__atomic_load_n(&d->stop, __ATOMIC_SEQ_CST) && now_s() < next)
			sleep_s(0.005);
		if (__atomic_load_n(&d->stop, __ATOMIC_SEQ_CST) || now_s() > d->deadline)
			break;
	}
	return NULL;
}

int dsplit_start(struct dsplit *d)
{
	int e;

	d->st.used = true;
	d->st.live_bytes = readers_live(d->rd);
	e = pthread_create(&d->thread, NULL, dsplit_main, d);
	if (e)
		return -e;
	d->started = true;
	return 0;
}

void dsplit_stop(struct dsplit *d)
{
	struct timespec ts;

	if (!d->started || d->joined)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DSPLIT_JOIN_TIMEOUT_S;
	if (pthread_timedjoin_np(d->thread, NULL, &ts)) {
		snprintf(d->st.error, sizeof(d->st.error),
			 "the shrinker thread did not stop within %d s", DSPLIT_JOIN_TIMEOUT_S);
		return;
	}
	d->joined = true;
}
