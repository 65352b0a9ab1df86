// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: observers. They never widen anything; they count what migration
 * does for targeted tasks and see who touches the folios in flight:
 *  - mm_migrate_pages_start/mm_migrate_pages tracepoints: calls, final result
 *    (before the start tracepoint, 5.10: a probe on migrate_pages())
 *  - try_to_migrate(): a targeted task starts unmapping a folio (in flight)
 *  - each pass's move (every refcount check): results and stray references
 *  - each PTE clear of a folio in flight: flushed at once or deferred
 *  - reference takers (folio lock sleepers, page-cache lookups, GUP,
 *    migration-entry waiters) touching a folio in flight: attribution
 * Probes are registered disabled and enabled while any target is set.
 */
#include <linux/kernel.h>
#include <linux/migrate.h>
#include <linux/tracepoint.h>
#include <linux/xarray.h>
#include "internal.h"
#include "trace.h"

/* --- tracepoints ---------------------------------------------------------- */

static void on_migrate_start(void *data, enum migrate_mode mode, int reason)
{
	if (migrace_targeted())
		migrace_count(MC_MIGRATE_CALLS, 1);
}

/* migrate_pages() entered: the start tracepoint's stand-in (5.10). */
static int migrate_start_pre(struct kprobe *kp, struct pt_regs *regs)
{
	on_migrate_start(NULL, 0, 0);
	return 0;
}

NOKPROBE_SYMBOL(migrate_start_pre);

static void on_migrate_end(void *data, unsigned long succeeded,
			   unsigned long failed, unsigned long thp_succeeded,
			   unsigned long thp_failed, unsigned long thp_split,
			   enum migrate_mode mode, int reason)
{
	/* Whoever added them, even if no longer a target: one atomic if none. */
	migrace_inflight_del_owner(&migrace_inflight, current);
	if (!migrace_targeted())
		return;
	migrace_count(MC_FINAL_SUCCEEDED, succeeded);
	migrace_count(MC_FINAL_FAILED, failed);
}

/**
 * struct tp_hook - a tracepoint observed
 * @name: the tracepoint
 * @probe: its probe
 * @stand_in: a site probed instead where the tracepoint is missing
 * @tp: the tracepoint, once found
 */
struct tp_hook {
	const char *name;
	void *probe;
	enum migrace_site stand_in;
	struct tracepoint *tp;
};

static struct tp_hook tp_hooks[] = {
	{ "mm_migrate_pages_start", on_migrate_start, MIGRACE_SITE_MIGRATE_START },
	{ "mm_migrate_pages", on_migrate_end },
};

static void tp_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tp_hooks); i++)
		if (!strcmp(tp->name, tp_hooks[i].name))
			tp_hooks[i].tp = tp;
}

static void tp_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tp_hooks); i++)
		if (tp_hooks[i].tp)
			tracepoint_probe_unregister(tp_hooks[i].tp, tp_hooks[i].probe, NULL);
	tracepoint_synchronize_unregister();
}

/* Is @site a stand-in for a tracepoint this kernel has? */
static bool tp_has_stand_in(enum migrace_site site)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tp_hooks); i++)
		if (tp_hooks[i].stand_in == site && tp_hooks[i].tp)
			return true;
	return false;
}

/* Register the tracepoints tp_lookup() found; a missing one has a stand-in. */
static int tp_register(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tp_hooks); i++) {
		if (!tp_hooks[i].tp) {
			if (tp_hooks[i].stand_in)
				continue;
			pr_err("tracepoint %s not found\n", tp_hooks[i].name);
			err = -ENOENT;
			goto err_unwind;
		}
		err = tracepoint_probe_register(tp_hooks[i].tp, tp_hooks[i].probe, NULL);
		if (err)
			goto err_unwind;
	}
	return 0;
err_unwind:
	while (i--)
		if (tp_hooks[i].tp)
			tracepoint_probe_unregister(tp_hooks[i].tp, tp_hooks[i].probe, NULL);
	tracepoint_synchronize_unregister();
	for (i = 0; i < ARRAY_SIZE(tp_hooks); i++)
		tp_hooks[i].tp = NULL;
	return err;
}

/* --- in flight -------------------------------------------------------------- */

/*
 * An entry whose migration end was never seen (a try_to_migrate() outside
 * migrate_pages(), as device memory's migrate_vma does) goes when a full set
 * is added to: once its owner has not been seen migrating (adding to the
 * full set, moving a folio) for longer than a migration call's gaps last,
 * or once it is older than any call. A call of hundreds of folios
 * (hot-remove) fills the set and may run for seconds under emulation; its
 * entries stay until its end.
 */
#define MIGRACE_INFLIGHT_IDLE_NS	(2 * NSEC_PER_SEC)
#define MIGRACE_INFLIGHT_LIFE_NS	(60 * NSEC_PER_SEC)

static struct migrace_inflight *inflight_add(struct folio *folio)
{
	struct migrace_inflight *slot;
	u64 now = migrace_now();

	slot = migrace_inflight_add(&migrace_inflight, folio, current, now);
	if (slot || !folio)
		return slot;
	migrace_inflight_seen(&migrace_inflight, current, now);
	if (!migrace_inflight_expire(&migrace_inflight, now, MIGRACE_INFLIGHT_IDLE_NS,
				     MIGRACE_INFLIGHT_LIFE_NS))
		return NULL;
	migrace_count(MC_INFLIGHT_EXPIRED, 1);
	return migrace_inflight_add(&migrace_inflight, folio, current, now);
}

/*
 * A targeted task starts unmapping @folio for migration. With pte-clear
 * armed flush=immediate, drop TTU_BATCH_FLUSH from its flags: every clear
 * then flushes at once (ptep_clear_flush()), as on 6.1, and no flush is
 * deferred to the batch. Only this task's call is changed.
 */
static int try_to_migrate_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct folio *folio = migrace_arg_folio(regs_get_kernel_argument(regs, 0));
	unsigned long flags = regs_get_kernel_argument(regs, 1);

	/* A THP split's unmap (or reclaim's): no migration, nothing to track. */
	if (!migrace_targeted() || !migrace_unmap_migrates(flags))
		return 0;
	if (!inflight_add(folio))
		migrace_count(MC_INFLIGHT_OVERFLOW, 1);
	if ((flags & TTU_BATCH_FLUSH) && migrace_flush_forced() &&
	    migrace_set_kernel_argument(regs, 1, flags & ~TTU_BATCH_FLUSH))
		migrace_count(MC_TLB_FLUSH_FORCED, 1);
	return 0;
}

NOKPROBE_SYMBOL(try_to_migrate_pre);

/* --- how each clear was flushed ------------------------------------------------ */

/* ptep_clear_flush() returned: a clear flushed at once. */
static int clear_flush_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return !(atomic_read(&migrace_inflight.nr) && migrace_targeted());
}

NOKPROBE_SYMBOL(clear_flush_entry);

static int clear_flush_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct folio *folio;

	if (migrace_own_cleared(__pte(regs_return_value(regs)), &folio))
		migrace_count(MC_TLB_FLUSH_IMMEDIATE, 1);
	return 0;
}

NOKPROBE_SYMBOL(clear_flush_ret);

/* set_tlb_ubc_flush_pending(mm, pteval, ...): a clear whose flush waits. */
static int clear_defer_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct folio *folio;

	if (!atomic_read(&migrace_inflight.nr) || !migrace_targeted())
		return 0;
	if (!migrace_own_cleared(__pte(regs_get_kernel_argument(regs, 1)), &folio))
		return 0;
	migrace_count(MC_TLB_FLUSH_DEFERRED, 1);
	migrace_count(MIGRACE_DEFER_ISSUES_TLBI ? MC_TLB_FLUSH_DEFERRED_ISSUED :
			MC_TLB_FLUSH_DEFERRED_NONE, 1);
	return 0;
}

NOKPROBE_SYMBOL(clear_defer_pre);

/* --- each pass's move: the refcount checks ------------------------------------ */

/**
 * struct move_args - move_to_new_folio()'s source, kept from its entry
 * @mapping: the source's mapping (what the checks count page-cache refs by)
 * @folio: the source folio
 */
struct move_args {
	struct address_space *mapping;
	struct folio *folio;
};

static int move_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct move_args *a = (struct move_args *)ri->data;

	if (!migrace_targeted())
		return 1;
	/* Moving: this task's call goes on, its entries are not stale. */
	migrace_inflight_seen(&migrace_inflight, current, migrace_now());
	a->folio = migrace_arg_folio(regs_get_kernel_argument(regs, 1));
	a->mapping = folio_mapping(a->folio);
	return 0;
}

NOKPROBE_SYMBOL(move_entry);

/*
 * References beyond what the check accepts, read as the pass returns. The
 * arithmetic is 6.1's folio_expected_refs() (later kernels' count is the
 * same for an unmapped small or THP folio). hugetlb's page-cache count
 * differs across kernels: its failed passes are counted, its refs not.
 */
static void count_stray(struct move_args *a)
{
	enum migrace_kind kind = migrace_folio_kind(a->folio);
	int expected, stray;

	if (kind == MIGRACE_KIND_HUGETLB)
		return;
	expected = migrace_expected_refs(a->mapping, a->folio, 0);
	stray = folio_ref_count(a->folio) - expected;
	if (stray <= 0)
		return;
	migrace_count(MC_STRAY_REFS, stray);
	migrace_count(MC_STRAY_PASSES, 1);
	migrace_count(MC_STRAY_HIST + kind * MIGRACE_STRAY_BUCKETS +
		      migrace_stray_bucket(stray), 1);
	trace_migrace_stray_ref(folio_pfn(a->folio), migrace_kind_names[kind],
				expected + stray, expected);
}

static int move_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct move_args *a = (struct move_args *)ri->data;
	int ret = (int)regs_return_value(regs);

	migrace_count(MC_PASS_ATTEMPTS, 1);
	switch (ret) {
	case MIGRATEPAGE_SUCCESS:
		migrace_count(MC_PASS_OK, 1);
		break;
	case -EAGAIN:
		migrace_count(MC_PASS_EAGAIN, 1);
		count_stray(a);
		break;
	case -EBUSY:
		migrace_count(MC_PASS_EBUSY, 1);
		break;
	case -ENOMEM:
		migrace_count(MC_PASS_ENOMEM, 1);
		break;
	default:
		migrace_count(MC_PASS_OTHER, 1);
	}
	return 0;
}

NOKPROBE_SYMBOL(move_ret);

/* --- reference takers -------------------------------------------------------- */

/*
 * A taker holding a reference to a folio in flight: count and attribute.
 * Return: true if the folio is in flight (and not current's own).
 */
static bool taker_seen(enum migrace_taker taker, struct folio *folio, bool holds_ref)
{
	struct migrace_inflight *slot;

	if (IS_ERR_OR_NULL(folio) || xa_is_value(folio))
		return false;
	slot = migrace_inflight_find(&migrace_inflight, folio);
	/* The migrator's own waits (folio lock, lookups) take nothing from it. */
	if (!slot || READ_ONCE(slot->owner) == current)
		return false;
	if (holds_ref) {
		atomic_inc(&slot->takers);
		migrace_taker_note();
	}
	migrace_attribute(taker, folio);
	return true;
}

/* folio_wait_bit_common() waits on any bit: only lock sleepers count. */
static bool lock_site_takes_bit;

static int folio_lock_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (!atomic_read(&migrace_inflight.nr))
		return 0;
	if (lock_site_takes_bit && (int)regs_get_kernel_argument(regs, 1) != PG_locked)
		return 0;
	taker_seen(MIGRACE_TAKER_FOLIO_LOCK,
		   migrace_arg_folio(regs_get_kernel_argument(regs, 0)), true);
	return 0;
}

NOKPROBE_SYMBOL(folio_lock_pre);

/*
 * A post handler keeps a kprobe from being jump-optimized; an optprobe's
 * trampoline stops the stack unwinder, and attribution needs the stack.
 */
static void keep_unoptimized(struct kprobe *kp, struct pt_regs *regs,
			     unsigned long flags)
{
}

NOKPROBE_SYMBOL(keep_unoptimized);

/*
 * A fault waits on a migration entry. Before 5.17 it holds a reference
 * as it does (the 2018 hot-remove seed): a taker of its own kind.
 */
static int entry_wait_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (!atomic_read(&migrace_inflight.nr))
		return 0;
	if (!MIGRACE_ENTRY_WAITER_HOLDS_REF) {
		taker_seen(MIGRACE_TAKER_ENTRY_WAIT, migrace_entry_wait_folio(regs),
			   false);
		return 0;
	}
	if (taker_seen(MIGRACE_TAKER_WAITER, migrace_entry_wait_folio(regs), true))
		migrace_count(MC_WAITER_REFS, 1);
	return 0;
}

NOKPROBE_SYMBOL(entry_wait_pre);

/* Return probes on lookups: only while something is in flight. */
static int lookup_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return !atomic_read(&migrace_inflight.nr);
}

NOKPROBE_SYMBOL(lookup_entry);

static int pagecache_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	taker_seen(MIGRACE_TAKER_PAGECACHE, migrace_arg_folio(regs_return_value(regs)),
		   true);
	return 0;
}

NOKPROBE_SYMBOL(pagecache_ret);

static int gup_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	taker_seen(MIGRACE_TAKER_GUP, migrace_arg_folio(regs_return_value(regs)), true);
	return 0;
}

NOKPROBE_SYMBOL(gup_ret);

/* --- the observer table -------------------------------------------------------- */

/**
 * struct migrace_observer - one observing probe
 * @site: where
 * @pre: entry handler (kprobe), or NULL for a return probe
 * @entry: return probe: entry filter (nonzero skips the instance)
 * @ret: return probe: handler
 * @data_size: return probe: per-instance data
 * @required: the module cannot count migrations without it
 * @absent: the path it observes does not exist on this kernel: not registered
 * @kp: the kprobe (entry observers)
 * @krp: the kretprobe (return observers)
 * @registered: the probe is in place
 */
struct migrace_observer {
	enum migrace_site site;
	kprobe_pre_handler_t pre;
	kretprobe_handler_t entry;
	kretprobe_handler_t ret;
	size_t data_size;
	bool required;
	bool absent;
	struct kprobe kp;
	struct kretprobe krp;
	bool registered;
};

static struct migrace_observer observers[] = {
	{ .site = MIGRACE_SITE_TRY_TO_MIGRATE, .pre = try_to_migrate_pre, .required = true },
	{ .site = MIGRACE_SITE_MIGRATE_START, .pre = migrate_start_pre, .required = true },
	{ .site = MIGRACE_SITE_MOVE, .entry = move_entry, .ret = move_ret,
	  .data_size = sizeof(struct move_args), .required = true },
	{ .site = MIGRACE_SITE_PTE_CLEAR, .entry = clear_flush_entry, .ret = clear_flush_ret },
	{ .site = MIGRACE_SITE_PTE_DEFER, .pre = clear_defer_pre,
	  .absent = !MIGRACE_MIGRATE_MAY_DEFER_FLUSH },
	{ .site = MIGRACE_SITE_FOLIO_LOCK, .pre = folio_lock_pre },
	{ .site = MIGRACE_SITE_ENTRY_WAIT, .pre = entry_wait_pre },
	{ .site = MIGRACE_SITE_PAGECACHE, .entry = lookup_entry, .ret = pagecache_ret },
	{ .site = MIGRACE_SITE_GUP, .entry = lookup_entry, .ret = gup_ret },
};

static int observer_register(struct migrace_observer *o)
{
	if (o->pre) {
		o->kp.pre_handler = o->pre;
		o->kp.post_handler = keep_unoptimized;
		o->kp.flags = KPROBE_FLAG_DISABLED;
		return migrace_register_kprobe(&o->kp, o->site);
	}
	o->krp.entry_handler = o->entry;
	o->krp.handler = o->ret;
	o->krp.data_size = o->data_size;
	o->krp.maxactive = 8 * num_possible_cpus();
	o->krp.kp.flags = KPROBE_FLAG_DISABLED;
	return migrace_register_kretprobe(&o->krp, o->site);
}

static struct migrace_observer *observer_of(enum migrace_site site)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(observers); i++)
		if (observers[i].site == site)
			return &observers[i];
	return NULL;
}

/* Which symbol did the observer's site resolve to? */
static bool site_is(struct migrace_observer *o, const char *sym)
{
	const char *name;

	if (!o || !o->registered)
		return false;
	name = o->pre ? o->kp.symbol_name : o->krp.kp.symbol_name;
	return name && !strcmp(name, sym);
}

/*
 * Instances a return observer could not take (maxactive) or hits while
 * another probe ran: pass_* and stray_* may undercount by as many.
 */
unsigned long migrace_observe_nmissed(void)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(observers); i++) {
		struct migrace_observer *o = &observers[i];

		if (!o->registered)
			continue;
		n += o->pre ? o->kp.nmissed : o->krp.nmissed + o->krp.kp.nmissed;
	}
	return n;
}

static void observer_unregister(struct migrace_observer *o)
{
	if (!o->registered)
		return;
	o->pre ? unregister_kprobe(&o->kp) : unregister_kretprobe(&o->krp);
	o->registered = false;
}

void migrace_observe_enable(bool on)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(observers); i++) {
		struct migrace_observer *o = &observers[i];

		if (!o->registered)
			continue;
		if (o->pre)
			on ? enable_kprobe(&o->kp) : disable_kprobe(&o->kp);
		else
			on ? enable_kretprobe(&o->krp) : disable_kretprobe(&o->krp);
	}
}

int migrace_observe_register(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(observers); i++) {
		struct migrace_observer *o = &observers[i];

		if (o->absent || tp_has_stand_in(o->site))
			continue;
		err = observer_register(o);
		if (!err) {
			o->registered = true;
			continue;
		}
		pr_info("observer of %s unavailable (%d)\n",
			migrace_sites[o->site].what, err);
		if (o->required)
			goto err_unwind;
	}
	lock_site_takes_bit = site_is(observer_of(MIGRACE_SITE_FOLIO_LOCK),
				      "folio_wait_bit_common");
	err = tp_register();
	if (err)
		goto err_unwind;
	return 0;
err_unwind:
	while (i--)
		observer_unregister(&observers[i]);
	return err;
}

void migrace_observe_unregister(void)
{
	unsigned int i;

	tp_unregister();
	for (i = 0; i < ARRAY_SIZE(observers); i++)
		observer_unregister(&observers[i]);
}
