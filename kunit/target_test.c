// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: target matching. The test runs in a kthread (KUnit's try-catch
 * thread); each case builds a target set from that task's own pid, tgid,
 * process group or comm, shifted or cut where the case wants a miss.
 */
#include <kunit/test.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include "migrace.h"

struct target_case {
	const char *name;
	bool null_set;
	bool all;
	unsigned int nr;	/* entries; the one under test is the last */
	enum migrace_target_kind kind;
	int shift;		/* id = the task's own + shift */
	const char *comm;	/* NULL: the task's own comm */
	unsigned int comm_cut;	/* keep only this many characters (0: all) */
	bool vs_init_task;	/* match init_task rather than current */
	bool want;
};

static const struct target_case target_cases[] = {
	{ .name = "null-set", .null_set = true, .want = false },
	{ .name = "empty-set", .want = false },
	{ .name = "all", .all = true, .want = true },
	{ .name = "all-init-task", .all = true, .vs_init_task = true,
	  .want = true },
	{ "pid-self", .nr = 1, .kind = MIGRACE_TARGET_PID, .want = true },
	{ "pid-other", .nr = 1, .kind = MIGRACE_TARGET_PID, .shift = 1 },
	{ "pid-self-vs-init-task", .nr = 1, .kind = MIGRACE_TARGET_PID,
	  .vs_init_task = true },
	{ "tgid-self", .nr = 1, .kind = MIGRACE_TARGET_TGID, .want = true },
	{ "tgid-other", .nr = 1, .kind = MIGRACE_TARGET_TGID, .shift = -1 },
	{ "pgid-self", .nr = 1, .kind = MIGRACE_TARGET_PGID, .want = true },
	{ "pgid-other", .nr = 1, .kind = MIGRACE_TARGET_PGID, .shift = 1 },
	{ "comm-self", .nr = 1, .kind = MIGRACE_TARGET_COMM, .want = true },
	{ "comm-prefix", .nr = 1, .kind = MIGRACE_TARGET_COMM, .comm_cut = 3 },
	{ "comm-other", .nr = 1, .kind = MIGRACE_TARGET_COMM,
	  .comm = "no-such-task" },
	{ "comm-self-vs-init-task", .nr = 1, .kind = MIGRACE_TARGET_COMM,
	  .vs_init_task = true },
	{ "pid-last-of-eight", .nr = MIGRACE_MAX_TARGETS,
	  .kind = MIGRACE_TARGET_PID, .want = true },
	{ "comm-last-of-eight", .nr = MIGRACE_MAX_TARGETS,
	  .kind = MIGRACE_TARGET_COMM, .want = true },
	{ "eight-misses", .nr = MIGRACE_MAX_TARGETS,
	  .kind = MIGRACE_TARGET_TGID, .shift = 7 },
};

static void target_desc(const struct target_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(target, target_cases, target_desc);

static pid_t own_id(enum migrace_target_kind kind)
{
	pid_t id;

	switch (kind) {
	case MIGRACE_TARGET_PID:
		return current->pid;
	case MIGRACE_TARGET_TGID:
		return current->tgid;
	case MIGRACE_TARGET_PGID:
		rcu_read_lock();
		id = pid_nr(task_pgrp(current));
		rcu_read_unlock();
		return id;
	default:
		return 0;
	}
}

static void fill_target(const struct target_case *c, struct migrace_target *t)
{
	t->kind = c->kind;
	if (c->kind != MIGRACE_TARGET_COMM) {
		t->id = own_id(c->kind) + c->shift;
		return;
	}
	strscpy(t->comm, c->comm ?: current->comm, sizeof(t->comm));
	if (c->comm_cut)
		t->comm[c->comm_cut] = '\0';
}

/* Entries before the last never match: other pids, a name nobody has. */
static void fill_misses(struct migrace_targets *ts, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ts->t[i].kind = i % 2 ? MIGRACE_TARGET_COMM : MIGRACE_TARGET_PID;
		ts->t[i].id = current->pid + 100 + i;
		strscpy(ts->t[i].comm, "migrace-none", sizeof(ts->t[i].comm));
	}
}

static void target_test(struct kunit *test)
{
	const struct target_case *c = test->param_value;
	struct task_struct *task = c->vs_init_task ? &init_task : current;
	struct migrace_targets *ts;

	if (c->null_set) {
		KUNIT_EXPECT_EQ(test, migrace_targets_match(NULL, task), c->want);
		return;
	}
	ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->all = c->all;
	ts->nr = c->nr;
	if (c->nr) {
		fill_misses(ts, c->nr - 1);
		fill_target(c, &ts->t[c->nr - 1]);
	}
	KUNIT_EXPECT_EQ(test, migrace_targets_match(ts, task), c->want);
}

/* nr bounds the search: an entry past it never matches. */
static void target_nr_bounds_test(struct kunit *test)
{
	struct migrace_targets *ts;

	ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->t[1].kind = MIGRACE_TARGET_PID;
	ts->t[1].id = current->pid;
	ts->nr = 1;
	ts->t[0].kind = MIGRACE_TARGET_PID;
	ts->t[0].id = current->pid + 1;
	KUNIT_EXPECT_FALSE(test, migrace_targets_match(ts, current));
	ts->nr = 2;
	KUNIT_EXPECT_TRUE(test, migrace_targets_match(ts, current));
}

static struct kunit_case target_cases_list[] = {
	KUNIT_CASE_PARAM(target_test, target_gen_params),
	KUNIT_CASE(target_nr_bounds_test),
	{}
};

static struct kunit_suite target_suite = {
	.name = "migrace_target",
	.test_cases = target_cases_list,
};

kunit_test_suites(&target_suite);
