// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: who is a target. Only targeted tasks are ever slowed down; the
 * set is published with RCU by main.c and read from probe handlers.
 */
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include "migrace.h"

static pid_t task_pgid_nr_rcu(struct task_struct *task)
{
	pid_t nr;

	rcu_read_lock();
	nr = pid_nr(task_pgrp(task));
	rcu_read_unlock();
	return nr;
}

static bool target_match(const struct migrace_target *t,
			 struct task_struct *task)
{
	switch (t->kind) {
	case MIGRACE_TARGET_PID:
		return task->pid == t->id;
	case MIGRACE_TARGET_TGID:
		return task->tgid == t->id;
	case MIGRACE_TARGET_PGID:
		return task_pgid_nr_rcu(task) == t->id;
	case MIGRACE_TARGET_COMM:
		/* Racy against set_task_comm(); the name is NUL-terminated. */
		return !strncmp(task->comm, t->comm, TASK_COMM_LEN);
	}
	return false;
}

bool migrace_targets_match(const struct migrace_targets *ts,
			   struct task_struct *task)
{
	unsigned int i, nr;

	if (!ts)
		return false;
	if (ts->all)
		return true;
	nr = min_t(unsigned int, ts->nr, MIGRACE_MAX_TARGETS);
	for (i = 0; i < nr; i++)
		if (target_match(&ts->t[i], task))
			return true;
	return false;
}

MIGRACE_EXPORT_FOR_TEST(migrace_targets_match);
