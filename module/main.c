// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: page-migration race widener. Loads disarmed; windows are armed
 * through debugfs (/sys/kernel/debug/migrace/control) or the `arm` module
 * parameter, and only tasks registered as targets are ever slowed down.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include "internal.h"
#include "version.h"

unsigned int migrace_max_delay_us = 1000;
unsigned int migrace_max_irqoff_us = 1000;
unsigned int migrace_budget_us = 500000;
static char *arm_param = "";

struct migrace_inflight_set migrace_inflight;
struct migrace_attrib migrace_attribution;
struct migrace_targets __rcu *migrace_targets;

/* A bounded unsigned parameter: out of range is an error naming the value. */
static int set_bounded(const char *val, const struct kernel_param *kp,
		       unsigned int lo, unsigned int hi)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < lo || v > hi) {
		pr_err("%s: bad value '%s' (want %u..%u)\n", kp->name, val, lo, hi);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int set_max_delay(const char *val, const struct kernel_param *kp)
{
	return set_bounded(val, kp, 1, MIGRACE_HARD_MAX_DELAY_US);
}

static int set_budget(const char *val, const struct kernel_param *kp)
{
	return set_bounded(val, kp, 1, MIGRACE_HARD_BUDGET_US);
}

static const struct kernel_param_ops max_delay_ops = {
	.set = set_max_delay, .get = param_get_uint,
};

/* Same bounds as max_delay_us: the lower of the two applies. */
static const struct kernel_param_ops max_irqoff_ops = {
	.set = set_max_delay, .get = param_get_uint,
};

static const struct kernel_param_ops budget_ops = {
	.set = set_budget, .get = param_get_uint,
};

module_param_cb(max_delay_us, &max_delay_ops, &migrace_max_delay_us, 0644);
MODULE_PARM_DESC(max_delay_us, "cap on one widening, us (1..5000, default 1000)");
module_param_cb(max_irqoff_us, &max_irqoff_ops, &migrace_max_irqoff_us, 0644);
MODULE_PARM_DESC(max_irqoff_us,
		 "cap on one widening with interrupts masked, us (1..5000, default 1000)");
module_param_cb(budget_us, &budget_ops, &migrace_budget_us, 0644);
MODULE_PARM_DESC(budget_us, "widening per CPU per second before a window disarms, us (default 500000)");
module_param_named(arm, arm_param, charp, 0444);
MODULE_PARM_DESC(arm, "windows to arm at load, comma-separated (default: none)");

bool migrace_targeted(void)
{
	bool hit;

	rcu_read_lock();
	hit = migrace_targets_match(rcu_dereference(migrace_targets), current);
	rcu_read_unlock();
	return hit;
}

/* Called with the control mutex held. */
int migrace_set_targets(const struct migrace_cmd *cmd)
{
	struct migrace_targets *old, *ts;

	old = rcu_dereference_protected(migrace_targets, true);
	ts = kzalloc(sizeof(*ts), GFP_KERNEL);
	if (!ts)
		return -ENOMEM;
	if (old && cmd->op == MIGRACE_CMD_TARGET)
		*ts = *old;
	if (cmd->op == MIGRACE_CMD_TARGET_ALL)
		ts->all = true;
	if (cmd->op == MIGRACE_CMD_TARGET) {
		if (ts->nr == MIGRACE_MAX_TARGETS) {
			kfree(ts);
			return -ENOSPC;
		}
		ts->t[ts->nr++] = cmd->target;
	}
	if (cmd->op == MIGRACE_CMD_TARGET_CLEAR) {
		kfree(ts);
		ts = NULL;
	}
	rcu_assign_pointer(migrace_targets, ts);
	migrace_observe_enable(ts);
	if (!ts) {
		/* Handlers still adding (preemption off) finish before the clear. */
		synchronize_rcu();
		migrace_inflight_clear(&migrace_inflight);
	}
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/* Record who touched a folio in flight (a compact stack, our frames cut). */
void migrace_attribute(enum migrace_taker taker, struct folio *folio)
{
	unsigned long entries[MIGRACE_ATTRIB_DEPTH + 8];
	unsigned int nr, skip = 0;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	while (skip < nr && within_module(entries[skip], THIS_MODULE))
		skip++;
	migrace_count(MC_ATTRIB_EVENTS, 1);
	if (migrace_attrib_record(&migrace_attribution, taker,
				  migrace_folio_kind(folio), entries + skip,
				  min_t(unsigned int, nr - skip, MIGRACE_ATTRIB_DEPTH)))
		migrace_count(MC_ATTRIB_DROPPED, 1);
}

/* Arm the windows named by the `arm` parameter (validated, all or none). */
static int arm_from_param(void)
{
	char *list, *cur, *name;
	struct migrace_policy p;
	int err = 0;

	if (!arm_param || !*arm_param)
		return 0;
	list = kstrdup(arm_param, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	migrace_policy_default(&p, MIGRACE_POLICY_DELAY);
	cur = list;
	while ((name = strsep(&cur, ",")) && !err) {
		struct migrace_window *w = migrace_window_find(name);

		if (!w) {
			pr_err("arm: unknown window '%s'\n", name);
			err = -EINVAL;
		} else {
			err = migrace_window_arm(w, &p);
			if (err)
				pr_err("arm: window '%s' unavailable (%d)\n", name, err);
		}
	}
	kfree(list);
	return err;
}

static int __init migrace_init(void)
{
	int err;

	migrace_inflight_init(&migrace_inflight);
	migrace_attrib_init(&migrace_attribution);
	err = migrace_windows_register();
	if (err)
		return err;
	err = migrace_observe_register();
	if (err)
		goto err_windows;
	err = migrace_debugfs_init();
	if (err)
		goto err_observe;
	err = arm_from_param();
	if (err)
		goto err_debugfs;
	pr_info("loaded; %u windows, max_delay_us=%u budget_us=%u\n",
		migrace_nr_windows, migrace_max_delay_us, migrace_budget_us);
	return 0;

err_debugfs:
	migrace_debugfs_exit();
err_observe:
	migrace_observe_unregister();
err_windows:
	migrace_windows_unregister();
	return err;
}

static void __exit migrace_exit(void)
{
	migrace_debugfs_exit();
	migrace_observe_unregister();
	migrace_windows_unregister();
	kfree(rcu_replace_pointer(migrace_targets, NULL, true));
	pr_info("unloaded\n");
}

module_init(migrace_init);
module_exit(migrace_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("migrace: widen and count page-migration races");
MODULE_VERSION(MIGRACE_VERSION);
