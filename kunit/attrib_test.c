// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the attribution table. Stacks are made-up addresses; what is
 * checked is the bookkeeping: one record per distinct (taker, kind, stack),
 * hits counted, top-N order (most hits first, then the documented tie
 * order), a full table refusing new records, reset.
 */
#include <kunit/test.h>
#include <linux/string.h>
#include "migrace.h"

#define DEPTH	MIGRACE_ATTRIB_DEPTH
#define NREC	MIGRACE_ATTRIB_SLOTS

struct attrib_fixture {
	struct migrace_attrib *a;
	struct migrace_attrib_rec *out;		/* NREC records */
};

static struct attrib_fixture *fixture(struct kunit *test)
{
	struct attrib_fixture *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->a = kunit_kmalloc(test, sizeof(*f->a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->a);
	memset(f->a, 0x5a, sizeof(*f->a));	/* init must not rely on zeroes */
	migrace_attrib_init(f->a);
	f->out = kunit_kcalloc(test, NREC, sizeof(*f->out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->out);
	return f;
}

/* A made-up stack, distinct for each @seed. */
static void make_stack(unsigned long *entries, unsigned int nr,
		       unsigned long seed)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		entries[i] = 0xffffffff81000000UL + seed * 0x10000 + i * 0x40;
}

static int rec(struct attrib_fixture *f, enum migrace_taker taker,
	       enum migrace_kind kind, unsigned long seed, unsigned int nr)
{
	unsigned long entries[DEPTH + 4];

	make_stack(entries, min_t(unsigned int, nr, ARRAY_SIZE(entries)), seed);
	return migrace_attrib_record(f->a, taker, kind, entries, nr);
}

static void taker_names_test(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, migrace_taker_names[MIGRACE_TAKER_FOLIO_LOCK],
			   "folio-lock");
	KUNIT_EXPECT_STREQ(test, migrace_taker_names[MIGRACE_TAKER_PAGECACHE],
			   "pagecache-lookup");
	KUNIT_EXPECT_STREQ(test, migrace_taker_names[MIGRACE_TAKER_GUP], "gup");
	KUNIT_EXPECT_STREQ(test, migrace_taker_names[MIGRACE_TAKER_ENTRY_WAIT],
			   "entry-wait");
}

/* The same sighting twice is one record with two hits, stack intact. */
static void dedup_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);
	unsigned long want[DEPTH];

	make_stack(want, 5, 7);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_SHMEM, 7, 5), 0);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_SHMEM, 7, 5), 0);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 2);
	KUNIT_EXPECT_EQ(test, f->out[0].taker, MIGRACE_TAKER_GUP);
	KUNIT_EXPECT_EQ(test, f->out[0].kind, MIGRACE_KIND_SHMEM);
	KUNIT_EXPECT_EQ(test, f->out[0].nr, 5);
	KUNIT_EXPECT_EQ(test, memcmp(f->out[0].entries, want, 5 * sizeof(want[0])), 0);
}

struct distinct_case {
	const char *name;
	enum migrace_taker taker;
	enum migrace_kind kind;
	unsigned int nr;
	int poke;		/* entry changed in the second stack, or -1 */
	unsigned int records;
};

/* The first sighting is always folio-lock, anon, 8 entries of stack 1. */
static const struct distinct_case distinct_cases[] = {
	{ "identical", MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON, 8, -1, 1 },
	{ "other-taker", MIGRACE_TAKER_ENTRY_WAIT, MIGRACE_KIND_ANON, 8, -1, 2 },
	{ "other-kind", MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_THP, 8, -1, 2 },
	{ "shorter-stack", MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON, 7, -1, 2 },
	{ "first-entry-differs", MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON,
	  8, 0, 2 },
	{ "last-entry-differs", MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON,
	  8, 7, 2 },
};

static void distinct_desc(const struct distinct_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(distinct, distinct_cases, distinct_desc);

static void distinct_test(struct kunit *test)
{
	const struct distinct_case *c = test->param_value;
	struct attrib_fixture *f = fixture(test);
	unsigned long entries[DEPTH];

	make_stack(entries, 8, 1);
	KUNIT_ASSERT_EQ(test, migrace_attrib_record(f->a, MIGRACE_TAKER_FOLIO_LOCK,
						    MIGRACE_KIND_ANON, entries, 8), 0);
	if (c->poke >= 0)
		entries[c->poke] ^= 0x8;
	KUNIT_ASSERT_EQ(test, migrace_attrib_record(f->a, c->taker, c->kind,
						    entries, c->nr), 0);
	KUNIT_EXPECT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), c->records);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, c->records == 1 ? 2 : 1);
}

/* Deeper stacks keep their first DEPTH entries and dedup on them. */
static void depth_cap_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);

	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, 3,
				  DEPTH + 4), 0);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, 3,
				  DEPTH), 0);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].nr, DEPTH);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 2);
}

static void hit_n(struct kunit *test, struct attrib_fixture *f,
		  enum migrace_taker taker, unsigned long seed, unsigned int n)
{
	while (n--)
		KUNIT_ASSERT_EQ(test, rec(f, taker, MIGRACE_KIND_ANON, seed, 4), 0);
}

static void top_order_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);

	hit_n(test, f, MIGRACE_TAKER_GUP, 1, 1);
	hit_n(test, f, MIGRACE_TAKER_GUP, 2, 5);
	hit_n(test, f, MIGRACE_TAKER_GUP, 3, 3);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 3);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 5);
	KUNIT_EXPECT_EQ(test, f->out[1].hits, 3);
	KUNIT_EXPECT_EQ(test, f->out[2].hits, 1);
	memset(f->out, 0, NREC * sizeof(*f->out));
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, 2), 2);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 5);
	KUNIT_EXPECT_EQ(test, f->out[1].hits, 3);
	KUNIT_EXPECT_EQ(test, f->out[2].hits, 0);	/* not written */
	KUNIT_EXPECT_EQ(test, migrace_attrib_top(f->a, f->out, 0), 0);
}

/* Equal hits: taker, then kind, then depth, then addresses, ascending. */
static void top_ties_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);

	KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_ANON, 1, 4), 0);
	KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_THP, 1, 4), 0);
	KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON, 2, 4), 0);
	KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON, 1, 4), 0);
	KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_FOLIO_LOCK, MIGRACE_KIND_ANON, 1, 3), 0);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 5);
	KUNIT_EXPECT_EQ(test, f->out[0].taker, MIGRACE_TAKER_FOLIO_LOCK);
	KUNIT_EXPECT_EQ(test, f->out[0].kind, MIGRACE_KIND_ANON);
	KUNIT_EXPECT_EQ(test, f->out[0].nr, 3);
	KUNIT_EXPECT_EQ(test, f->out[1].nr, 4);			/* stack 1 */
	KUNIT_EXPECT_LT(test, f->out[1].entries[0], f->out[2].entries[0]);
	KUNIT_EXPECT_EQ(test, f->out[2].kind, MIGRACE_KIND_ANON);	/* stack 2 */
	KUNIT_EXPECT_EQ(test, f->out[3].kind, MIGRACE_KIND_THP);
	KUNIT_EXPECT_EQ(test, f->out[4].taker, MIGRACE_TAKER_GUP);
}

/*
 * With more records than asked for, the selection made under the lock
 * returns the same head as the full sorted list.
 */
static void top_selection_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);
	struct migrace_attrib_rec *head;
	unsigned int i;

	head = kunit_kcalloc(test, 5, sizeof(*head), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, head);
	for (i = 0; i < NREC; i++)	/* hits 1..8, many ties */
		hit_n(test, f, i % 3 ? MIGRACE_TAKER_GUP : MIGRACE_TAKER_PAGECACHE,
		      i, (i * 37) % 8 + 1);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), NREC);
	for (i = 1; i < NREC; i++)
		KUNIT_EXPECT_GE(test, f->out[i - 1].hits, f->out[i].hits);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, head, 5), 5);
	KUNIT_EXPECT_EQ(test, memcmp(head, f->out, 5 * sizeof(*head)), 0);
}

static void full_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);
	unsigned int i;

	for (i = 0; i < NREC; i++)
		KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, i, 2), 0);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, NREC, 2),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_ANON, 0, 2),
			-ENOSPC);
	/* A known sighting is still counted. */
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, 9, 2), 0);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), NREC);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 2);
	KUNIT_EXPECT_EQ(test, f->out[1].hits, 1);
}

static void reset_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);
	unsigned int i;

	for (i = 0; i < NREC; i++)
		KUNIT_ASSERT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, i, 2), 0);
	migrace_attrib_reset(f->a);
	KUNIT_EXPECT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 0);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_FILE, 0, 2), 0);
	KUNIT_ASSERT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].hits, 1);
}

static void bad_args_test(struct kunit *test)
{
	struct attrib_fixture *f = fixture(test);

	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_COUNT, MIGRACE_KIND_FILE, 0, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rec(f, MIGRACE_TAKER_GUP, MIGRACE_KIND_COUNT, 0, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, migrace_attrib_top(f->a, f->out, NREC), 0);
}

static struct kunit_case attrib_cases[] = {
	KUNIT_CASE(taker_names_test),
	KUNIT_CASE(dedup_test),
	KUNIT_CASE_PARAM(distinct_test, distinct_gen_params),
	KUNIT_CASE(depth_cap_test),
	KUNIT_CASE(top_order_test),
	KUNIT_CASE(top_ties_test),
	KUNIT_CASE(top_selection_test),
	KUNIT_CASE(full_test),
	KUNIT_CASE(reset_test),
	KUNIT_CASE(bad_args_test),
	{}
};

static struct kunit_suite attrib_suite = {
	.name = "migrace_attrib",
	.test_cases = attrib_cases,
};

kunit_test_suites(&attrib_suite);
