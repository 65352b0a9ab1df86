// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the lock-free in-flight set. Folios are stand-in addresses (the
 * set only compares them, never dereferences them). Single-threaded cases
 * cover add/find/del_owner/expire and a full set; the racing case runs
 * kthreads against the set until a deadline and checks its invariants.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include "migrace.h"

#define NSLOTS	MIGRACE_INFLIGHT_SLOTS

/* Distinct, never dereferenced stand-ins for folios and owners. */
static u64 fake_objs[2 * NSLOTS + 8];

static struct folio *fake_folio(unsigned int i)
{
	return (struct folio *)&fake_objs[i];
}

static struct task_struct *fake_task(unsigned int i)
{
	return (struct task_struct *)&fake_objs[ARRAY_SIZE(fake_objs) - 1 - i];
}

static struct migrace_inflight_set *new_set(struct kunit *test)
{
	struct migrace_inflight_set *s;

	s = kunit_kmalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	memset(s, 0x5a, sizeof(*s));	/* init must not rely on zeroed memory */
	migrace_inflight_init(s);
	return s;
}

/* Occupied slots, counted directly; @dups: folios seen in two slots. */
static unsigned int occupied(struct migrace_inflight_set *s, unsigned int *dups)
{
	unsigned int i, j, n = 0;

	*dups = 0;
	for (i = 0; i < NSLOTS; i++) {
		if (!s->slot[i].folio)
			continue;
		n++;
		for (j = 0; j < i; j++)
			*dups += s->slot[j].folio == s->slot[i].folio;
	}
	return n;
}

static void expect_consistent(struct kunit *test, struct migrace_inflight_set *s,
			      unsigned int want)
{
	unsigned int dups;

	KUNIT_EXPECT_EQ(test, atomic_read(&s->nr), want);
	KUNIT_EXPECT_EQ(test, occupied(s, &dups), want);
	KUNIT_EXPECT_EQ(test, dups, 0);
}

static void add_find_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	struct migrace_inflight *slot;

	expect_consistent(test, s, 0);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(0)));
	slot = migrace_inflight_add(s, fake_folio(0), current, 100);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_PTR_EQ(test, slot->folio, fake_folio(0));
	KUNIT_EXPECT_PTR_EQ(test, slot->owner, current);
	KUNIT_EXPECT_EQ(test, slot->seen_ns, 100);
	KUNIT_EXPECT_EQ(test, atomic_read(&slot->takers), 0);
	KUNIT_EXPECT_PTR_EQ(test, migrace_inflight_find(s, fake_folio(0)), slot);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(1)));
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, NULL));
	expect_consistent(test, s, 1);
}

/*
 * Adding a tracked folio again returns its slot, taken over: a stale entry
 * (its migrator never reached the end that removes it) is not kept alive by
 * an old owner or start time.
 */
static void add_existing_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	struct migrace_inflight *a, *b;

	a = migrace_inflight_add(s, fake_folio(3), fake_task(0), 10);
	b = migrace_inflight_add(s, fake_folio(3), fake_task(1), 20);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, b, a);
	KUNIT_EXPECT_PTR_EQ(test, a->owner, fake_task(1));
	KUNIT_EXPECT_EQ(test, a->seen_ns, 20);
	KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(s, fake_task(0)), 0);
	KUNIT_EXPECT_NULL(test, migrace_inflight_add(s, NULL, current, 0));
	expect_consistent(test, s, 1);
}

/* Empty means one atomic_read: a folio in a slot with nr == 0 is not seen. */
static void find_empty_fast_path_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);

	s->slot[5].folio = fake_folio(5);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(5)));
	atomic_set(&s->nr, 1);
	KUNIT_EXPECT_PTR_EQ(test, migrace_inflight_find(s, fake_folio(5)),
			    &s->slot[5]);
}

static void del_owner_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);

	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(0), fake_task(0), 1));
	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(1), fake_task(1), 1));
	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(2), fake_task(0), 1));
	KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(s, fake_task(0)), 2);
	expect_consistent(test, s, 1);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(0)));
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(2)));
	KUNIT_EXPECT_NOT_NULL(test, migrace_inflight_find(s, fake_folio(1)));
	KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(s, fake_task(0)), 0);
	KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(s, fake_task(1)), 1);
	expect_consistent(test, s, 0);
}

static void expire_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);

	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(0), current, 1000));
	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(1), current, 5000));
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 6000, 2000, U64_MAX), 1);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(0)));
	KUNIT_EXPECT_NOT_NULL(test, migrace_inflight_find(s, fake_folio(1)));
	/* Exactly max_age old is not older than it. */
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 7000, 2000, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 7001, 2000, U64_MAX), 1);
	expect_consistent(test, s, 0);
	/* Added "after" now (another CPU's clock ran ahead): kept. */
	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(2), current, 9000));
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 8000, 0, U64_MAX), 0);
	expect_consistent(test, s, 1);
}

/*
 * A task seen migrating (adding to a full set, moving a folio) keeps its
 * entries, however long ago they were added; another owner's go once not
 * seen for the idle time. A call of hundreds of folios lasts seconds under
 * emulation: its entries are not stale.
 */
static void seen_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	struct migrace_inflight *slot;

	slot = migrace_inflight_add(s, fake_folio(0), fake_task(0), 1000);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(1), fake_task(1), 1000));
	migrace_inflight_seen(s, fake_task(0), 5000);
	KUNIT_EXPECT_EQ(test, slot->seen_ns, 5000);
	KUNIT_EXPECT_EQ(test, slot->added_ns, 1000);
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 5000, 2000, U64_MAX), 1);
	KUNIT_EXPECT_PTR_EQ(test, migrace_inflight_find(s, fake_folio(0)), slot);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(1)));
	/* Seen at 5000: not idle for more than 2000 at 7000, and stale after. */
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 7000, 2000, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 7001, 2000, U64_MAX), 1);
	expect_consistent(test, s, 0);
}

/*
 * However recently seen, an entry older than the life time goes: a task
 * that leaked entries and keeps migrating cannot hold slots for ever.
 */
static void life_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);

	KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(0), fake_task(0), 1000));
	migrace_inflight_seen(s, fake_task(0), 61000);
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 61000, 2000, 60000), 0);
	migrace_inflight_seen(s, fake_task(0), 61001);
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, 61001, 2000, 60000), 1);
	expect_consistent(test, s, 0);
}

/* reset and `target clear` empty the set, whatever the entries' age. */
static void clear_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	unsigned int i;

	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(i),
								 fake_task(i % 2), U64_MAX - i));
	KUNIT_EXPECT_EQ(test, migrace_inflight_clear(s), 5);
	expect_consistent(test, s, 0);
	KUNIT_EXPECT_NULL(test, migrace_inflight_find(s, fake_folio(0)));
	KUNIT_EXPECT_EQ(test, migrace_inflight_clear(s), 0);
}

static void full_set_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	struct migrace_inflight *slot;
	unsigned int i;

	for (i = 0; i < NSLOTS; i++)
		KUNIT_ASSERT_NOT_NULL(test, migrace_inflight_add(s, fake_folio(i),
								 current, i));
	expect_consistent(test, s, NSLOTS);
	KUNIT_EXPECT_NULL(test, migrace_inflight_add(s, fake_folio(NSLOTS),
						     current, 0));
	/* A tracked folio is still found, and re-adding it works in a full set. */
	slot = migrace_inflight_find(s, fake_folio(NSLOTS - 1));
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_PTR_EQ(test, migrace_inflight_add(s, fake_folio(NSLOTS - 1),
						       current, NSLOTS - 1), slot);
	expect_consistent(test, s, NSLOTS);
	/* Freeing one makes room, in that very slot. */
	KUNIT_EXPECT_EQ(test, migrace_inflight_expire(s, NSLOTS, NSLOTS - 1, U64_MAX), 1);
	KUNIT_EXPECT_PTR_EQ(test, migrace_inflight_add(s, fake_folio(NSLOTS),
						       current, 0), &s->slot[0]);
	expect_consistent(test, s, NSLOTS);
}

/* A reused slot starts with no takers. */
static void takers_reset_test(struct kunit *test)
{
	struct migrace_inflight_set *s = new_set(test);
	struct migrace_inflight *a, *b;

	a = migrace_inflight_add(s, fake_folio(0), current, 0);
	KUNIT_ASSERT_NOT_NULL(test, a);
	atomic_add(3, &a->takers);
	KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(s, current), 1);
	b = migrace_inflight_add(s, fake_folio(1), current, 0);
	KUNIT_EXPECT_PTR_EQ(test, b, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->takers), 0);
}

/* --- racing ------------------------------------------------------------ */

#define RACE_THREADS	4
#define RACE_PER_THREAD	20	/* 4 x 20 > 64: the set fills up */
#define RACE_MS		300
#define RACE_WAIT_MS	10000	/* for the last round after the deadline */

struct race_ctx {
	struct migrace_inflight_set *s;
	ktime_t deadline;
	atomic_t errors;
	atomic_t rounds;
	atomic_t full;		/* adds that found no free slot */
};

struct race_thread {
	struct race_ctx *ctx;
	unsigned int id;
	struct task_struct *task;
	unsigned int kept;	/* folios it left in the set at the end */
	bool done;		/* kept is final */
	bool added[RACE_PER_THREAD];
};

static struct folio *race_folio(struct race_thread *rt, unsigned int i)
{
	return fake_folio(rt->id * RACE_PER_THREAD + i);
}

/* Add all our folios; a slot we get must hold our folio, owned by us. */
static unsigned int race_add_all(struct race_thread *rt)
{
	struct race_ctx *ctx = rt->ctx;
	struct migrace_inflight *slot;
	unsigned int i, n = 0;

	for (i = 0; i < RACE_PER_THREAD; i++) {
		slot = migrace_inflight_add(ctx->s, race_folio(rt, i), current, i);
		rt->added[i] = slot;
		if (!slot) {
			atomic_inc(&ctx->full);
			continue;
		}
		n++;
		if (READ_ONCE(slot->folio) != race_folio(rt, i) ||
		    READ_ONCE(slot->owner) != current)
			atomic_inc(&ctx->errors);
	}
	return n;
}

/* Ours must be found while added, removed exactly, then not found. */
static void race_round(struct race_thread *rt)
{
	struct race_ctx *ctx = rt->ctx;
	unsigned int i, n = race_add_all(rt);

	for (i = 0; i < RACE_PER_THREAD; i++)
		if (rt->added[i] != !!migrace_inflight_find(ctx->s, race_folio(rt, i)))
			atomic_inc(&ctx->errors);
	if (migrace_inflight_del_owner(ctx->s, current) != n)
		atomic_inc(&ctx->errors);
	for (i = 0; i < RACE_PER_THREAD; i++)
		if (migrace_inflight_find(ctx->s, race_folio(rt, i)))
			atomic_inc(&ctx->errors);
	atomic_inc(&ctx->rounds);
}

static int race_fn(void *arg)
{
	struct race_thread *rt = arg;

	while (ktime_before(ktime_get(), rt->ctx->deadline) &&
	       !kthread_should_stop()) {
		race_round(rt);
		cond_resched();
	}
	/* Leave a batch behind: together the threads want more than fits. */
	rt->kept = race_add_all(rt);
	/* Pairs with smp_load_acquire() in race_all_done(). */
	smp_store_release(&rt->done, true);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void race_stop(struct race_thread *rt, unsigned int n)
{
	while (n--) {
		kthread_stop(rt[n].task);
		put_task_struct(rt[n].task);
	}
}

static int race_start(struct race_ctx *ctx, struct race_thread *rt)
{
	unsigned int i;

	for (i = 0; i < RACE_THREADS; i++) {
		rt[i].ctx = ctx;
		rt[i].id = i;
		rt[i].task = kthread_run(race_fn, &rt[i], "migrace-race/%u", i);
		if (IS_ERR(rt[i].task)) {
			int err = PTR_ERR(rt[i].task);

			race_stop(rt, i);
			return err;
		}
		get_task_struct(rt[i].task);
	}
	return 0;
}

static bool race_all_done(struct race_thread *rt)
{
	unsigned int i;

	for (i = 0; i < RACE_THREADS; i++)
		/* Pairs with smp_store_release() in race_fn(). */
		if (!smp_load_acquire(&rt[i].done))
			return false;
	return true;
}

/* After the race: what is left is exactly what the threads kept. */
static void race_check_end(struct kunit *test, struct race_ctx *ctx,
			   struct race_thread *rt)
{
	unsigned int i, j, kept = 0;
	struct migrace_inflight *slot;

	for (i = 0; i < RACE_THREADS; i++) {
		kept += rt[i].kept;
		for (j = 0; j < RACE_PER_THREAD; j++) {
			slot = migrace_inflight_find(ctx->s, race_folio(&rt[i], j));
			KUNIT_EXPECT_EQ(test, !!slot, rt[i].added[j]);
			if (slot)
				KUNIT_EXPECT_PTR_EQ(test, slot->owner, rt[i].task);
		}
	}
	KUNIT_EXPECT_EQ(test, kept, NSLOTS);
	expect_consistent(test, ctx->s, NSLOTS);
	for (i = 0; i < RACE_THREADS; i++)
		KUNIT_EXPECT_EQ(test, migrace_inflight_del_owner(ctx->s, rt[i].task),
				rt[i].kept);
	expect_consistent(test, ctx->s, 0);
}

static void race_test(struct kunit *test)
{
	struct race_thread *rt;
	struct race_ctx ctx = {};
	ktime_t wait_end;
	bool done;
	int err;

	rt = kunit_kcalloc(test, RACE_THREADS, sizeof(*rt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rt);
	ctx.s = new_set(test);
	ctx.deadline = ktime_add_ms(ktime_get(), RACE_MS);
	err = race_start(&ctx, rt);
	if (err)
		kunit_skip(test, "cannot start threads: %d", err);
	/* The threads stop racing at the deadline; wait (bounded) for them. */
	msleep(RACE_MS);
	wait_end = ktime_add_ms(ktime_get(), RACE_WAIT_MS);
	while (!race_all_done(rt) && ktime_before(ktime_get(), wait_end))
		msleep(20);
	done = race_all_done(rt);
	race_stop(rt, RACE_THREADS);
	KUNIT_ASSERT_TRUE_MSG(test, done, "threads still busy %d ms after the deadline",
			      RACE_WAIT_MS);
	kunit_info(test, "%d rounds, %d adds found the set full\n",
		   atomic_read(&ctx.rounds), atomic_read(&ctx.full));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx.errors), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&ctx.rounds), RACE_THREADS);
	race_check_end(test, &ctx, rt);
}

static struct kunit_case inflight_cases[] = {
	KUNIT_CASE(add_find_test),
	KUNIT_CASE(add_existing_test),
	KUNIT_CASE(find_empty_fast_path_test),
	KUNIT_CASE(del_owner_test),
	KUNIT_CASE(expire_test),
	KUNIT_CASE(seen_test),
	KUNIT_CASE(life_test),
	KUNIT_CASE(clear_test),
	KUNIT_CASE(full_set_test),
	KUNIT_CASE(takers_reset_test),
	KUNIT_CASE(race_test),
	{}
};

static struct kunit_suite inflight_suite = {
	.name = "migrace_inflight",
	.test_cases = inflight_cases,
};

kunit_test_suites(&inflight_suite);
