// SPDX-License-Identifier: GPL-2.0
/*
 * test_migrator.c - the migrator's page-by-page bookkeeping, fed with fake
 * move_pages() results (no page is moved).
 */
#include <errno.h>
#include <stdlib.h>

#include "migrator.h"
#include "suites.h"

#define U MIGR_STATUS_UNSET

static void other_node(void)
{
	CHECK_INT(migr_other_node(0, 0, 1), 1);
	CHECK_INT(migr_other_node(1, 0, 1), 0);
	CHECK_INT(migr_other_node(3, 2, 3), 2);
	CHECK_INT(migr_other_node(-ENOENT, 2, 3), 2);	/* unknown: go to A */
	CHECK_INT(migr_other_node(5, 0, 1), 0);		/* a third node: go to A */
}

static void all_migrated(void)
{
	struct migr_stats s;
	int before[] = { 0, 0, 1 }, target[] = { 1, 1, 0 }, status[] = { 1, 1, 0 };
	int after[] = { 1, 1, 0 };
	struct migr_call c = { 3, before, target, status, after, 0, 0, 0.5 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.calls, 1);
	CHECK_INT(s.attempts, 3);
	CHECK_INT(s.migrated, 3);
	CHECK_INT(s.not_migrated, 0);
	CHECK(s.first_failure_s < 0);
	CHECK(migr_failure_rate(&s) == 0);
}

static void status_errno_counted(void)
{
	struct migr_stats s;
	int before[] = { 0, 0, 0, 0 }, target[] = { 1, 1, 1, 1 };
	int status[] = { 1, -EBUSY, -EAGAIN, -EBUSY }, after[] = { 1, 0, 0, 0 };
	struct migr_call c = { 4, before, target, status, after, 0, 0, 1.25 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.migrated, 1);
	CHECK_INT(s.not_migrated, 3);
	CHECK_INT(s.by_errno[EBUSY], 2);
	CHECK_INT(s.by_errno[EAGAIN], 1);
	CHECK_INT(s.unreported, 0);
	CHECK(s.first_failure_s == 1.25);
	CHECK(migr_failure_rate(&s) == 0.75);
}

/* 6.1 leaves status[] untouched for a batch that failed and returns a count. */
static void positive_return_unreported(void)
{
	struct migr_stats s;
	int before[] = { 0, 1 }, target[] = { 1, 0 }, status[] = { U, U }, after[] = { 0, 1 };
	struct migr_call c = { 2, before, target, status, after, 2, 0, 0.1 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.not_migrated, 2);
	CHECK_INT(s.unreported, 2);
	CHECK_INT(s.returned_not_migrated, 2);
	CHECK_INT(s.call_errors, 0);
}

/* The status says "moved" but the page is not on its target: trust the node. */
static void after_node_decides(void)
{
	struct migr_stats s;
	int before[] = { 0 }, target[] = { 1 }, status[] = { 1 }, after[] = { 0 };
	struct migr_call c = { 1, before, target, status, after, 0, 0, 0 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.migrated, 0);
	CHECK_INT(s.not_migrated, 1);
	CHECK_INT(s.unreported, 1);
}

/* A page already on its target (node unknown before) did not migrate. */
static void already_there_is_no_success(void)
{
	struct migr_stats s;
	int before[] = { -EFAULT }, target[] = { 0 }, status[] = { 0 }, after[] = { 0 };
	struct migr_call c = { 1, before, target, status, after, 0, 0, 0 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.migrated, 0);
	CHECK_INT(s.not_migrated, 1);
	CHECK_INT(s.query_errors, 1);
}

/* A failed call is no race: counted apart, its untried pages are not attempts. */
static void call_error_is_no_failure(void)
{
	struct migr_stats s;
	int before[] = { 0, 0, 0 }, target[] = { 1, 1, 1 }, status[] = { 1, -EBUSY, U };
	int after[] = { 1, 0, 0 };
	struct migr_call c = { 3, before, target, status, after, -1, EACCES, 2.0 };

	migr_stats_init(&s);
	migr_account(&s, &c);
	CHECK_INT(s.call_errors, 1);
	CHECK_INT(s.call_by_errno[EACCES], 1);
	CHECK_INT(s.by_errno[EACCES], 0);
	CHECK_INT(s.attempts, 2);		/* the moved page and the one with a verdict */
	CHECK_INT(s.migrated, 1);
	CHECK_INT(s.not_migrated, 1);
	CHECK_INT(s.by_errno[EBUSY], 1);
	CHECK_INT(s.not_tried, 1);
	CHECK_INT(s.unreported, 0);
	CHECK_INT(s.returned_not_migrated, 0);
}

static void first_failure_kept(void)
{
	struct migr_stats s;
	int before[] = { 0 }, target[] = { 1 }, st_ok[] = { 1 }, st_bad[] = { -EBUSY };
	int moved[] = { 1 }, stayed[] = { 0 };
	struct migr_call ok = { 1, before, target, st_ok, moved, 0, 0, 0.1 };
	struct migr_call bad1 = { 1, before, target, st_bad, stayed, 1, 0, 0.2 };
	struct migr_call bad2 = { 1, before, target, st_bad, stayed, 1, 0, 0.3 };

	migr_stats_init(&s);
	migr_account(&s, &ok);
	CHECK(s.first_failure_s < 0);
	migr_account(&s, &bad1);
	migr_account(&s, &bad2);
	CHECK(s.first_failure_s == 0.2);
	CHECK_INT(s.calls, 3);
	CHECK_INT(s.returned_not_migrated, 2);
}

/* Whatever comes in, the errno buckets and unreported add up to not_migrated. */
static void buckets_add_up(void)
{
	static const int statuses[] = { 0, 1, -EBUSY, -EAGAIN, -ENOMEM, -EFAULT, -9999, U };
	struct migr_stats s;
	unsigned int seed = 1;

	migr_stats_init(&s);
	for (int call = 0; call < 2000; call++) {
		int before[4], target[4], status[4], after[4];
		struct migr_call c = { 4, before, target, status, after, 0, 0, call };

		for (int i = 0; i < 4; i++) {
			before[i] = rand_r(&seed) % 2;
			target[i] = migr_other_node(before[i], 0, 1);
			status[i] = statuses[rand_r(&seed) % 8];
			after[i] = rand_r(&seed) % 2;
		}
		c.ret = rand_r(&seed) % 5 - 1;
		c.err = EINVAL;
		migr_account(&s, &c);
	}
	uint64_t sum = s.unreported;

	for (int e = 0; e < MIGR_MAX_ERRNO; e++)
		sum += s.by_errno[e];
	CHECK_INT(sum, s.not_migrated);
	CHECK_INT(s.migrated + s.not_migrated, s.attempts);
	CHECK_INT(s.attempts + s.not_tried, 8000);
	CHECK(s.not_tried > 0);
	CHECK(s.by_errno[0] > 0);	/* -9999 is out of range: bucket 0 */
}

SUITE_DEFINE(migrator,
	TAP_CASE(other_node),
	TAP_CASE(all_migrated),
	TAP_CASE(status_errno_counted),
	TAP_CASE(positive_return_unreported),
	TAP_CASE(after_node_decides),
	TAP_CASE(already_there_is_no_success),
	TAP_CASE(call_error_is_no_failure),
	TAP_CASE(first_failure_kept),
	TAP_CASE(buckets_add_up),
);
