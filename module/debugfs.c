// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: /sys/kernel/debug/migrace/ - control (write), stats, windows,
 * attribution (read). Root only. A bad control line fails the write with
 * -EINVAL and one rate-limited log line naming the bad token.
 */
#include <linux/debugfs.h>
#include <linux/kallsyms.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "internal.h"

#define CONTROL_MAX	1024

static struct dentry *migrace_dir;
static DEFINE_MUTEX(control_lock);	/* serialises control commands */

static int arm_or_disarm(struct migrace_cmd *cmd, const char **bad)
{
	struct migrace_window *w;
	unsigned int i;
	int err = 0;

	if (strcmp(cmd->window, "all")) {
		w = migrace_window_find(cmd->window);
		if (!w) {
			*bad = cmd->window;
			return -EINVAL;
		}
		if (cmd->op == MIGRACE_CMD_DISARM) {
			migrace_window_disarm(w);
			return 0;
		}
		return migrace_window_arm(w, &cmd->policy);
	}
	for (i = 0; i < migrace_nr_windows && !err; i++) {
		w = &migrace_windows[i];
		if (cmd->op == MIGRACE_CMD_DISARM)
			migrace_window_disarm(w);
		else if (w->registered)
			err = migrace_window_arm(w, &cmd->policy);
	}
	return err;
}

static void reset_all(void)
{
	migrace_counters_reset();
	migrace_windows_reset();
	migrace_attrib_reset(&migrace_attribution);
	migrace_inflight_clear(&migrace_inflight);
}

static int apply(struct migrace_cmd *cmd, const char **bad)
{
	switch (cmd->op) {
	case MIGRACE_CMD_ARM:
	case MIGRACE_CMD_DISARM:
		return arm_or_disarm(cmd, bad);
	case MIGRACE_CMD_TARGET:
	case MIGRACE_CMD_TARGET_ALL:
	case MIGRACE_CMD_TARGET_CLEAR:
		return migrace_set_targets(cmd);
	case MIGRACE_CMD_RESET:
		reset_all();
		return 0;
	default:
		return 0;
	}
}

/* Parse and apply one line; log what was wrong with it. */
int migrace_control_apply(char *line)
{
	char copy[80];
	const char *bad = NULL;
	struct migrace_cmd cmd;
	int err;

	strscpy(copy, line, sizeof(copy));
	err = migrace_cmd_parse(line, &cmd, migrace_max_delay_us * NSEC_PER_USEC, &bad);
	if (!err) {
		mutex_lock(&control_lock);
		err = apply(&cmd, &bad);
		mutex_unlock(&control_lock);
	}
	if (err == -EINVAL)
		pr_warn_ratelimited("control: bad token '%s' in '%s'\n",
				    bad ? bad : "?", copy);
	else if (err == -ERANGE)
		pr_warn_ratelimited("control: bad token '%s' in '%s': above max_delay_us=%u (the module parameter raises it)\n",
				    bad ? bad : "?", copy, migrace_max_delay_us);
	else if (err)
		pr_warn_ratelimited("control: '%s' failed (%d)\n", copy, err);
	return err;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char *buf, *cur, *line;
	int err = 0;

	if (count >= CONTROL_MAX)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	cur = buf;
	while ((line = strsep(&cur, "\n")) && !err)
		err = migrace_control_apply(line);
	kfree(buf);
	return err ? err : count;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = control_write,
	.llseek = noop_llseek,
};

/*
 * The first frame worth showing: stacks are saved inside a probe handler,
 * so they start with kprobe/ftrace/rethook machinery (and trampolines with
 * no symbol). Display only; records keep every frame.
 */
static unsigned int first_real_frame(const struct migrace_attrib_rec *rec)
{
	static const char *const noise[] = {
		"kprobe", "aggr_", "rethook", "arch_rethook", "kretprobe", "ftrace",
		"opt_pre_handler", "optimized_callback", "int3", "do_int3",
		"0x", "exc_int3", "asm_exc_int3", "el1", "call_break_hook",
		"brk_handler", "do_debug_exception", "trampoline_probe_handler",
		"__kretprobe", "do_el1_brk64",
	};
	char name[KSYM_SYMBOL_LEN];
	unsigned int j, k;

	for (j = 0; j < rec->nr; j++) {
		snprintf(name, sizeof(name), "%ps", (void *)rec->entries[j]);
		for (k = 0; k < ARRAY_SIZE(noise); k++)
			if (strstr(name, noise[k]) == name)
				break;
		if (k == ARRAY_SIZE(noise))
			return j;
	}
	return 0;
}

static int attribution_show(struct seq_file *m, void *v)
{
	struct migrace_attrib_rec *rec;
	unsigned int n, i, j;

	rec = kmalloc_array(MIGRACE_ATTRIB_SLOTS, sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	n = migrace_attrib_top(&migrace_attribution, rec, MIGRACE_ATTRIB_SLOTS);
	for (i = 0; i < n; i++) {
		seq_printf(m, "%staker=%s kind=%s hits=%llu\n", i ? "\n" : "",
			   migrace_taker_names[rec[i].taker],
			   migrace_kind_names[rec[i].kind], rec[i].hits);
		for (j = first_real_frame(&rec[i]); j < rec[i].nr; j++)
			seq_printf(m, "  %pS\n", (void *)rec[i].entries[j]);
	}
	kfree(rec);
	return 0;
}

/* The targets as the control lines that set them; empty: nobody. */
static int targets_show(struct seq_file *m, void *v)
{
	const struct migrace_targets *ts;
	const struct migrace_target *t;
	unsigned int i;

	rcu_read_lock();
	ts = rcu_dereference(migrace_targets);
	if (ts && ts->all)
		seq_puts(m, "target all\n");
	for (i = 0; ts && i < ts->nr; i++) {
		t = &ts->t[i];
		if (t->kind == MIGRACE_TARGET_COMM)
			seq_printf(m, "target comm %s\n", t->comm);
		else
			seq_printf(m, "target %s %d\n", migrace_target_word(t->kind), t->id);
	}
	rcu_read_unlock();
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(migrace_stats);
DEFINE_SHOW_ATTRIBUTE(migrace_windows);
DEFINE_SHOW_ATTRIBUTE(attribution);
DEFINE_SHOW_ATTRIBUTE(targets);

int migrace_debugfs_init(void)
{
	migrace_dir = debugfs_create_dir("migrace", NULL);
	if (IS_ERR(migrace_dir))
		return PTR_ERR(migrace_dir);
	debugfs_create_file("control", 0200, migrace_dir, NULL, &control_fops);
	debugfs_create_file("stats", 0400, migrace_dir, NULL, &migrace_stats_fops);
	debugfs_create_file("windows", 0400, migrace_dir, NULL, &migrace_windows_fops);
	debugfs_create_file("attribution", 0400, migrace_dir, NULL, &attribution_fops);
	debugfs_create_file("targets", 0400, migrace_dir, NULL, &targets_fops);
	return 0;
}

void migrace_debugfs_exit(void)
{
	debugfs_remove_recursive(migrace_dir);
}
