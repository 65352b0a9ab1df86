// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: per-CPU counters and the debugfs `stats` file (`name: value`).
 * Names are stable (docs/interfaces.md); add, do not rename.
 */
#include <linux/build_bug.h>
#include <linux/seq_file.h>
#include "internal.h"

DEFINE_PER_CPU(u64 [MC_COUNT], migrace_counters);

/* Unsized, so that the assert below catches a counter without a name. */
static const char *const counter_names[] = {
	[MC_MIGRATE_CALLS]	= "migrate_calls",
	[MC_FINAL_SUCCEEDED]	= "final_succeeded",
	[MC_FINAL_FAILED]	= "final_failed",
	[MC_PASS_ATTEMPTS]	= "pass_attempts",
	[MC_PASS_OK]		= "pass_ok",
	[MC_PASS_EAGAIN]	= "pass_eagain",
	[MC_PASS_EBUSY]		= "pass_ebusy",
	[MC_PASS_ENOMEM]	= "pass_enomem",
	[MC_PASS_OTHER]		= "pass_other",
	[MC_STRAY_REFS]		= "stray_refs",
	[MC_STRAY_PASSES]	= "stray_passes",
	[MC_INFLIGHT_OVERFLOW]	= "inflight_overflow",
	[MC_ATTRIB_EVENTS]	= "attrib_events",
	[MC_ATTRIB_DROPPED]	= "attrib_dropped",
	[MC_TLB_FLUSH_IMMEDIATE] = "tlb_flush_immediate",
	[MC_TLB_FLUSH_DEFERRED]	= "tlb_flush_deferred",
	[MC_BUDGET_DISARMS]	= "budget_disarms",
	[MC_TLB_FLUSH_DEFERRED_ISSUED] = "tlb_flush_deferred_issued",
	[MC_TLB_FLUSH_DEFERRED_NONE] = "tlb_flush_deferred_none",
	[MC_TLB_FLUSH_FORCED]	= "tlb_flush_forced",
	[MC_INFLIGHT_EXPIRED]	= "inflight_expired",
	[MC_CPU_BUDGET_REFUSED]	= "cpu_budget_refused",
	[MC_WAITER_REFS]	= "waiter_refs",
};

static_assert(ARRAY_SIZE(counter_names) == MC_STRAY_HIST);

static const char *const bucket_names[MIGRACE_STRAY_BUCKETS] = {
	"1", "2", "3", "4plus"
};

u64 migrace_counter_sum(enum migrace_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(migrace_counters[c], cpu);
	return sum;
}

void migrace_counters_reset(void)
{
	int cpu, c;

	for_each_possible_cpu(cpu)
		for (c = 0; c < MC_COUNT; c++)
			per_cpu(migrace_counters[c], cpu) = 0;
}

/* Unsized, so that the assert below catches a counter without a name. */
static const char *const wcounter_names[] = {
	[MW_HITS]		= "hits",
	[MW_AUX_HITS]		= "aux_hits",
	[MW_WIDENED]		= "widened",
	[MW_WIDEN_NS]		= "widen_ns",
	[MW_MET]		= "met",
	[MW_TIMEOUTS]		= "timeouts",
	[MW_PRESENT]		= "present",
	[MW_SKIPPED]		= "skipped",
	[MW_FRESH_HOLDS]	= "fresh_holds",
	[MW_FRESH_MET]		= "fresh_met",
	[MW_FRESH_NS]		= "fresh_ns",
	[MW_EXTENDED]		= "extended",
	[MW_EXTENDED_MET]	= "extended_met",
	[MW_QUEUED_HERE]	= "queued_here",
	[MW_UNLOCKED]		= "unlocked",
	[MW_IRQOFF_WIDENED]	= "irqoff_widened",
	[MW_IRQOFF_NS]		= "irqoff_ns",
	[MW_IRQOFF_MAX_NS]	= "irqoff_max_ns",
	[MW_IRQOFF_CAPPED]	= "irqoff_capped",
};

static_assert(ARRAY_SIZE(wcounter_names) == MW_COUNT);

/* nmissed (the probes' own count, not a slot) stays after timeouts. */
static void stats_show_window(struct seq_file *m, struct migrace_window *w)
{
	unsigned int c;

	for (c = 0; c < MW_COUNT; c++) {
		seq_printf(m, "window.%s.%s: %lld\n", w->name, wcounter_names[c],
			   migrace_wread(w, c));
		if (c == MW_TIMEOUTS)
			seq_printf(m, "window.%s.nmissed: %lu\n", w->name,
				   migrace_window_nmissed(w));
	}
}

int migrace_stats_show(struct seq_file *m, void *v)
{
	unsigned int c, k, b;

	for (c = 0; c < MC_STRAY_HIST; c++)
		seq_printf(m, "%s: %llu\n", counter_names[c], migrace_counter_sum(c));
	for (k = 0; k < MIGRACE_KIND_COUNT; k++)
		for (b = 0; b < MIGRACE_STRAY_BUCKETS; b++)
			seq_printf(m, "stray_%s_%s: %llu\n", migrace_kind_names[k],
				   bucket_names[b],
				   migrace_counter_sum(MC_STRAY_HIST +
						       k * MIGRACE_STRAY_BUCKETS + b));
	/* A gauge, not a counter: folios in the in-flight set now. */
	seq_printf(m, "inflight_now: %d\n", atomic_read(&migrace_inflight.nr));
	/* Since load (kprobes keep it): not cleared by reset. */
	seq_printf(m, "observer_nmissed: %lu\n", migrace_observe_nmissed());
	for (c = 0; c < migrace_nr_windows; c++)
		stats_show_window(m, &migrace_windows[c]);
	return 0;
}
