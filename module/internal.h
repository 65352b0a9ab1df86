/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrace internals: the window and observer tables, counters, module-wide
 * state. Not part of the KUnit contract (see migrace.h for that).
 */
#ifndef MIGRACE_INTERNAL_H
#define MIGRACE_INTERNAL_H

#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/timekeeping.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include "migrace.h"
#include "compat.h"

/*
 * The module's clock: every wait, budget and age. Not local_clock(): with
 * an unstable TSC (TCG guests) it advances only up to the next tick, which
 * never comes to a CPU busy-waiting with interrupts off in a probe handler;
 * a 5.10 guest spun there for minutes. The fast monotonic clock reads the
 * clocksource itself, from any context.
 */
static inline u64 migrace_now(void)
{
	return ktime_get_mono_fast_ns();
}

/* --- counters (stats.c) --------------------------------------------------- */

enum migrace_counter {
	MC_MIGRATE_CALLS,
	MC_FINAL_SUCCEEDED,
	MC_FINAL_FAILED,
	MC_PASS_ATTEMPTS,
	MC_PASS_OK,
	MC_PASS_EAGAIN,
	MC_PASS_EBUSY,
	MC_PASS_ENOMEM,
	MC_PASS_OTHER,
	MC_STRAY_REFS,
	MC_STRAY_PASSES,
	MC_INFLIGHT_OVERFLOW,
	MC_ATTRIB_EVENTS,
	MC_ATTRIB_DROPPED,
	MC_TLB_FLUSH_IMMEDIATE,
	MC_TLB_FLUSH_DEFERRED,
	MC_BUDGET_DISARMS,
	MC_TLB_FLUSH_DEFERRED_ISSUED,
	MC_TLB_FLUSH_DEFERRED_NONE,
	MC_TLB_FLUSH_FORCED,
	MC_INFLIGHT_EXPIRED,
	MC_CPU_BUDGET_REFUSED,
	MC_WAITER_REFS,
	MC_STRAY_HIST,		/* MIGRACE_KIND_COUNT x MIGRACE_STRAY_BUCKETS */
	MC_COUNT = MC_STRAY_HIST + MIGRACE_KIND_COUNT * MIGRACE_STRAY_BUCKETS
};

DECLARE_PER_CPU(u64 [MC_COUNT], migrace_counters);

static inline void migrace_count(enum migrace_counter c, u64 n)
{
	this_cpu_add(migrace_counters[c], n);
}

u64 migrace_counter_sum(enum migrace_counter c);
void migrace_counters_reset(void);
struct seq_file;
int migrace_stats_show(struct seq_file *m, void *v);

/* --- windows (windows.c, table.c) ---------------------------------------- */

struct migrace_window;

/**
 * struct migrace_hit - what a window's match function learned about a hit
 * @slot: the in-flight entry of the folio concerned, if any
 * @folio: that folio, if known
 * @arg0: for a return window, the site's first argument at entry
 * @arg1: for a return window, its second
 * @refs: rendezvous: the folio's refcount when the hold began
 * @base: rendezvous: the references the migration accounts for then
 */
struct migrace_hit {
	struct migrace_inflight *slot;
	struct folio *folio;
	unsigned long arg0;
	unsigned long arg1;
	int refs;
	int base;
};

/*
 * Per-window counters, shown as window.W.NAME in `stats` (names in stats.c;
 * meanings in docs/interfaces.md).
 */
enum migrace_wcounter {
	MW_HITS,		/* probe hits by targeted tasks */
	MW_AUX_HITS,		/* of those, through the second path */
	MW_WIDENED,		/* delays, and rendezvous holds that began */
	MW_WIDEN_NS,		/* time spent widening */
	MW_MET,			/* rendezvous: a reader arrived in time */
	MW_TIMEOUTS,		/* rendezvous: gave up waiting */
	MW_PRESENT,		/* rendezvous: a taker there already, no hold */
	MW_SKIPPED,		/* nobody to wait for, no hold */
	MW_FRESH_HOLDS,		/* holds begun with no excess reference */
	MW_FRESH_MET,		/* of those, ended by a taker's arrival */
	MW_FRESH_NS,		/* their time */
	MW_EXTENDED,		/* fresh holds kept past timeout_us */
	MW_EXTENDED_MET,	/* of those, ended by a taker's arrival */
	MW_QUEUED_HERE,		/* timed out, the reader queued for this CPU */
	MW_UNLOCKED,		/* until=unlock waits ended at the unlock */
	MW_IRQOFF_WIDENED,	/* widenings done with interrupts masked */
	MW_IRQOFF_NS,		/* their time */
	MW_IRQOFF_MAX_NS,	/* the longest of them (a maximum, not a sum) */
	MW_IRQOFF_CAPPED,	/* of those, cut short by max_irqoff_us */
	MW_COUNT
};

/**
 * struct migrace_window - one race window migrace can widen (a table row)
 * @name: stable name used by `arm`
 * @widens: one line on what it widens
 * @origin: where the race comes from (thread or commit)
 * @kernels: kernels the window applies to
 * @site: the probe site (compat.h) where widening happens
 * @on_return: widen when the site returns (kretprobe), not at its entry
 * @match: does this hit concern a targeted migration? fills @hit
 * @aux_site: optional second site: another path through the same window
 *	(@aux_match) or a marker (@aux_handler)
 * @aux_match: like @match, for hits as @aux_site returns (widened there)
 * @aux_handler: pre-handler of a marker kprobe at @aux_site
 * @aux_absent: the path through @aux_site does not exist on this kernel
 *	(nothing is registered there; the window works without it)
 *
 * State below is the window's own; @policy is published with RCU.
 */
struct migrace_window {
	const char *name;
	const char *widens;
	const char *origin;
	const char *kernels;
	enum migrace_site site;
	bool on_return;
	bool (*match)(struct migrace_window *w, struct pt_regs *regs,
		      struct migrace_hit *hit);
	enum migrace_site aux_site;
	bool (*aux_match)(struct migrace_window *w, struct pt_regs *regs,
			  struct migrace_hit *hit);
	kprobe_pre_handler_t aux_handler;
	bool aux_absent;

	struct kprobe kp;
	struct kretprobe krp;
	struct kprobe aux_kp;
	struct kretprobe aux_krp;
	bool registered;
	bool aux_registered;
	const char *why;		/* why unavailable, or NULL */
	char why_buf[64];

	atomic_t armed;
	struct migrace_budget __percpu *budget;
	struct migrace_policy __rcu *policy;
	struct migrace_policy_state pstate;
	struct irq_work disarm_irq_work;
	struct work_struct disarm_work;
	atomic64_t count[MW_COUNT];
};

static inline void migrace_wcount(struct migrace_window *w,
				  enum migrace_wcounter c, s64 n)
{
	atomic64_add(n, &w->count[c]);
}

/* Raise counter @c to @v if it is lower (a maximum since the last reset). */
static inline void migrace_wmax(struct migrace_window *w,
				enum migrace_wcounter c, s64 v)
{
	s64 old = atomic64_read(&w->count[c]);

	while (old < v && !atomic64_try_cmpxchg(&w->count[c], &old, v))
		;
}

static inline s64 migrace_wread(const struct migrace_window *w,
				enum migrace_wcounter c)
{
	return atomic64_read(&w->count[c]);
}

extern struct migrace_window migrace_windows[];
extern const unsigned int migrace_nr_windows;

struct migrace_window *migrace_window_find(const char *name);
int migrace_windows_register(void);
void migrace_windows_unregister(void);
int migrace_window_arm(struct migrace_window *w, const struct migrace_policy *p);
void migrace_window_disarm(struct migrace_window *w);
void migrace_windows_reset(void);
unsigned long migrace_window_nmissed(const struct migrace_window *w);
int migrace_windows_show(struct seq_file *m, void *v);

/**
 * migrace_own_cleared() - the in-flight slot of the folio a just-cleared
 * @pte maps, if current is migrating it; *@folio is set with it
 */
struct migrace_inflight *migrace_own_cleared(pte_t pte, struct folio **folio);

/** migrace_taker_note() - current brought a reference to a folio in flight */
void migrace_taker_note(void);

/** migrace_flush_forced() - is pte-clear armed with flush=immediate? */
bool migrace_flush_forced(void);

/* --- observers (observe.c) ----------------------------------------------- */

int migrace_observe_register(void);
void migrace_observe_unregister(void);
void migrace_observe_enable(bool on);
unsigned long migrace_observe_nmissed(void);

/* --- module-wide state (main.c) ------------------------------------------ */

extern unsigned int migrace_max_delay_us;
extern unsigned int migrace_max_irqoff_us;
extern unsigned int migrace_budget_us;
extern struct migrace_inflight_set migrace_inflight;
extern struct migrace_attrib migrace_attribution;
extern struct migrace_targets __rcu *migrace_targets;

/** migrace_targeted() - is current a target? (RCU-safe, handler context) */
bool migrace_targeted(void);
int migrace_set_targets(const struct migrace_cmd *cmd);
void migrace_attribute(enum migrace_taker taker, struct folio *folio);

/* --- debugfs (debugfs.c) ------------------------------------------------- */

int migrace_debugfs_init(void);
void migrace_debugfs_exit(void);
int migrace_control_apply(char *line);

#endif /* MIGRACE_INTERNAL_H */
