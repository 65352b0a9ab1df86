// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: who took the stray references. Each time a reference taker
 * (folio lock, page-cache lookup, GUP, migration-entry wait) touches a folio
 * in flight, its stack is recorded; identical (taker, kind, stack) sightings
 * share one record and count hits. The table is fixed-size and append-only
 * until reset; records are called from kprobe handlers, hence a raw spinlock
 * taken with interrupts off.
 */
#include <linux/errno.h>
#include <linux/jhash.h>
#include <linux/minmax.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "migrace.h"

const char *const migrace_taker_names[MIGRACE_TAKER_COUNT] = {
	[MIGRACE_TAKER_FOLIO_LOCK]	= "folio-lock",
	[MIGRACE_TAKER_PAGECACHE]	= "pagecache-lookup",
	[MIGRACE_TAKER_GUP]		= "gup",
	[MIGRACE_TAKER_ENTRY_WAIT]	= "entry-wait",
	[MIGRACE_TAKER_WAITER]		= "waiter",
};

MIGRACE_EXPORT_FOR_TEST(migrace_taker_names);

/**
 * migrace_attrib_init() - an empty table, its lock initialised
 * @a: the table; not in use by anyone yet
 */
void migrace_attrib_init(struct migrace_attrib *a)
{
	raw_spin_lock_init(&a->lock);
	a->nr = 0;
	memset(a->rec, 0, sizeof(a->rec));
}

MIGRACE_EXPORT_FOR_TEST(migrace_attrib_init);

static u32 attrib_hash(enum migrace_taker taker, enum migrace_kind kind,
		       const unsigned long *entries, unsigned int nr)
{
	return jhash2((const u32 *)entries,
		      nr * sizeof(*entries) / sizeof(u32),
		      taker << 16 | kind << 8 | nr);
}

static bool rec_equal(const struct migrace_attrib_rec *r, u32 hash,
		      enum migrace_taker taker, enum migrace_kind kind,
		      const unsigned long *entries, unsigned int nr)
{
	return r->hash == hash && r->taker == taker && r->kind == kind &&
	       r->nr == nr && !memcmp(r->entries, entries, nr * sizeof(*entries));
}

static void rec_fill(struct migrace_attrib_rec *r, u32 hash,
		     enum migrace_taker taker, enum migrace_kind kind,
		     const unsigned long *entries, unsigned int nr)
{
	memset(r, 0, sizeof(*r));
	r->hash = hash;
	r->taker = taker;
	r->kind = kind;
	r->nr = nr;
	memcpy(r->entries, entries, nr * sizeof(*entries));
	r->hits = 1;
}

/*
 * Stacks deeper than MIGRACE_ATTRIB_DEPTH are cut to their innermost
 * MIGRACE_ATTRIB_DEPTH entries. Return: 0, -EINVAL for a taker or kind out
 * of range, -ENOSPC for a new record when every slot is taken (an existing
 * record still counts its hit when the table is full).
 */
int migrace_attrib_record(struct migrace_attrib *a, enum migrace_taker taker,
			  enum migrace_kind kind, const unsigned long *entries,
			  unsigned int nr)
{
	unsigned long flags;
	unsigned int i;
	int err = 0;
	u32 hash;

	if (taker >= MIGRACE_TAKER_COUNT || kind >= MIGRACE_KIND_COUNT)
		return -EINVAL;
	nr = min_t(unsigned int, nr, MIGRACE_ATTRIB_DEPTH);
	hash = attrib_hash(taker, kind, entries, nr);

	/*
	 * Called from probe handlers, some of which run as NMIs (an int3
	 * kprobe on x86): never spin there. A contended sighting is dropped.
	 */
	if (!raw_spin_trylock_irqsave(&a->lock, flags))
		return -EBUSY;
	for (i = 0; i < a->nr; i++)
		if (rec_equal(&a->rec[i], hash, taker, kind, entries, nr))
			break;
	if (i < a->nr)
		a->rec[i].hits++;
	else if (a->nr < MIGRACE_ATTRIB_SLOTS)
		rec_fill(&a->rec[a->nr++], hash, taker, kind, entries, nr);
	else
		err = -ENOSPC;
	raw_spin_unlock_irqrestore(&a->lock, flags);
	return err;
}

MIGRACE_EXPORT_FOR_TEST(migrace_attrib_record);

/*
 * The order of migrace_attrib_top(): most hits first; ties by taker, then
 * kind, then stack depth, then the stack's addresses, all ascending. Distinct
 * records never compare equal, so the order is total and two reads of an
 * unchanged table list it identically.
 */
static int rec_cmp(const void *pa, const void *pb)
{
	const struct migrace_attrib_rec *a = pa, *b = pb;
	unsigned int i;

	if (a->hits != b->hits)
		return a->hits > b->hits ? -1 : 1;
	if (a->taker != b->taker)
		return a->taker < b->taker ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->nr != b->nr)
		return a->nr < b->nr ? -1 : 1;
	for (i = 0; i < a->nr; i++)
		if (a->entries[i] != b->entries[i])
			return a->entries[i] < b->entries[i] ? -1 : 1;
	return 0;
}

/* Index of the record of @out[0..n) that ranks last. */
static unsigned int rec_last(const struct migrace_attrib_rec *out,
			     unsigned int n)
{
	unsigned int i, last = 0;

	for (i = 1; i < n; i++)
		if (rec_cmp(&out[i], &out[last]) > 0)
			last = i;
	return last;
}

/*
 * Under the lock, copy the best @max records into @out: all of them when
 * they fit, else a selection (at most MIGRACE_ATTRIB_SLOTS * @max
 * comparisons). Sorting happens after the lock is dropped.
 */
static unsigned int attrib_copy_best(struct migrace_attrib *a,
				     struct migrace_attrib_rec *out,
				     unsigned int max)
{
	unsigned long flags;
	unsigned int i, n = 0, last;

	raw_spin_lock_irqsave(&a->lock, flags);
	for (i = 0; i < a->nr; i++) {
		if (n < max) {
			out[n++] = a->rec[i];
			continue;
		}
		last = rec_last(out, n);
		if (rec_cmp(&a->rec[i], &out[last]) < 0)
			out[last] = a->rec[i];
	}
	raw_spin_unlock_irqrestore(&a->lock, flags);
	return n;
}

unsigned int migrace_attrib_top(struct migrace_attrib *a,
				struct migrace_attrib_rec *out,
				unsigned int max)
{
	unsigned int n;

	if (!max)
		return 0;
	n = attrib_copy_best(a, out, max);
	sort(out, n, sizeof(*out), rec_cmp, NULL);
	return n;
}

MIGRACE_EXPORT_FOR_TEST(migrace_attrib_top);

/**
 * migrace_attrib_reset() - forget every record
 * @a: the table; may be in use (takes its lock)
 */
void migrace_attrib_reset(struct migrace_attrib *a)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&a->lock, flags);
	memset(a->rec, 0, a->nr * sizeof(a->rec[0]));
	a->nr = 0;
	raw_spin_unlock_irqrestore(&a->lock, flags);
}

MIGRACE_EXPORT_FOR_TEST(migrace_attrib_reset);
