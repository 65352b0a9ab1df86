/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrace tracepoints: window hits and stray references, for perf,
 * trace-cmd and bpftrace (events/migrace/ in tracefs).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM migrace

#if !defined(MIGRACE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MIGRACE_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include "migrace.h"

/* Fixed-size strings: the same on every kernel (__assign_str() is not). */
#define MIGRACE_TRACE_KIND_LEN	8

TRACE_EVENT(migrace_window_hit,
	TP_PROTO(const char *window, u64 widened_ns, bool met, int refs, int base),
	TP_ARGS(window, widened_ns, met, refs, base),
	TP_STRUCT__entry(
		__array(char, window, MIGRACE_NAME_LEN)
		__field(u64, widened_ns)
		__field(bool, met)
		__field(int, refs)
		__field(int, base)
	),
	TP_fast_assign(
		strscpy(__entry->window, window, MIGRACE_NAME_LEN);
		__entry->widened_ns = widened_ns;
		__entry->met = met;
		__entry->refs = refs;
		__entry->base = base;
	),
	TP_printk("window=%s widened_ns=%llu met=%d refs=%d base=%d",
		  __entry->window, __entry->widened_ns, __entry->met,
		  __entry->refs, __entry->base)
);

TRACE_EVENT(migrace_stray_ref,
	TP_PROTO(unsigned long pfn, const char *kind, int observed, int expected),
	TP_ARGS(pfn, kind, observed, expected),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__array(char, kind, MIGRACE_TRACE_KIND_LEN)
		__field(int, observed)
		__field(int, expected)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		strscpy(__entry->kind, kind, MIGRACE_TRACE_KIND_LEN);
		__entry->observed = observed;
		__entry->expected = expected;
	),
	TP_printk("pfn=0x%lx kind=%s observed=%d expected=%d", __entry->pfn,
		  __entry->kind, __entry->observed, __entry->expected)
);

#endif /* MIGRACE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
