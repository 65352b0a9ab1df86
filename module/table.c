// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the race windows, one row each, and how each recognises a hit
 * that concerns a targeted migration. The machinery is in windows.c.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include "internal.h"

/* The in-flight slot of @folio if current is migrating it. */
static struct migrace_inflight *own_slot(struct folio *folio)
{
	struct migrace_inflight *slot;

	slot = migrace_inflight_find(&migrace_inflight, folio);
	if (!slot || READ_ONCE(slot->owner) != current)
		return NULL;
	return slot;
}

struct migrace_inflight *migrace_own_cleared(pte_t pte, struct folio **folio)
{
	unsigned long pfn;

	/* A PROT_NONE (NUMA hint) PTE is neither flushed nor reachable. */
	if (!pte_present(pte) || pte_protnone(pte))
		return NULL;
	pfn = pte_pfn(pte);
	if (!pfn_valid(pfn))
		return NULL;
	*folio = page_folio(pfn_to_page(pfn));
	return own_slot(*folio);
}

/*
 * pte-clear, flushed at once: the clearing function returns the old PTE. A
 * present PTE of a folio current is migrating means try_to_migrate_one()
 * just cleared it and has not yet installed the migration entry: the window
 * is open now. Only another process's mapping can bring a reader in (the
 * migrator is here), so a clear in current's own mm is not a hit.
 */
static bool pte_clear_match(struct migrace_window *w, struct pt_regs *regs,
			    struct migrace_hit *hit)
{
	const struct vm_area_struct *vma = (void *)hit->arg0;

	if (!vma || vma->vm_mm == current->mm)
		return false;
	hit->slot = migrace_own_cleared(__pte(regs_return_value(regs)),
					&hit->folio);
	return hit->slot;
}

/*
 * pte-clear, flush deferred: set_tlb_ubc_flush_pending(mm, pteval, ...) runs
 * between the clear and the migration entry, with the old PTE in hand. The
 * window widens as it returns: on arm64 the invalidation has been issued by
 * then (readers fault); on x86 no flush goes out until the batch's end.
 */
static bool pte_defer_match(struct migrace_window *w, struct pt_regs *regs,
			    struct migrace_hit *hit)
{
	const struct mm_struct *mm = (void *)hit->arg0;

	if (!mm || mm == current->mm)
		return false;
	hit->slot = migrace_own_cleared(__pte(hit->arg1), &hit->folio);
	return hit->slot;
}

/* freeze: at the refcount check, for a folio current is migrating. */
static bool freeze_match(struct migrace_window *w, struct pt_regs *regs,
			 struct migrace_hit *hit)
{
	hit->folio = migrace_arg_folio(regs_get_kernel_argument(regs, 2));
	hit->slot = own_slot(hit->folio);
	return hit->slot;
}

/* entry-wait: a (targeted) task waits on the entry of a migrating folio. */
static bool entry_wait_match(struct migrace_window *w, struct pt_regs *regs,
			     struct migrace_hit *hit)
{
	hit->folio = migrace_entry_wait_folio(regs);
	if (!hit->folio)
		return false;
	hit->slot = migrace_inflight_find(&migrace_inflight, hit->folio);
	return hit->slot;
}

/*
 * deferred-split: the shrinker moved folios to its private list and now
 * splits them one by one; widening each split keeps the rest on that list
 * longer, racing a final folio_put() elsewhere. The scan's entry marks the
 * scanning task; a split by that task within a second counts as the scan's.
 */
static struct task_struct *split_scanner;
static u64 split_scan_ns;

static int split_scan_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (!migrace_targeted())
		return 0;
	WRITE_ONCE(split_scan_ns, migrace_now());
	WRITE_ONCE(split_scanner, current);
	return 0;
}

NOKPROBE_SYMBOL(split_scan_pre);

static bool deferred_split_match(struct migrace_window *w, struct pt_regs *regs,
				 struct migrace_hit *hit)
{
	return READ_ONCE(split_scanner) == current &&
	       migrace_now() - READ_ONCE(split_scan_ns) < NSEC_PER_SEC;
}

/* Rows looked up by code, not by name. */
enum { MIGRACE_W_PTE_CLEAR };

struct migrace_window migrace_windows[] = {
	[MIGRACE_W_PTE_CLEAR] = {
		.name = "pte-clear",
		.widens = "try_to_migrate_one() from PTE clear to migration entry",
		.origin = "arm64 migration selftest failure, 2024 (shmem_fault ref)",
		.kernels = "6.1 (ptep_clear_flush); "
			   "6.4+ also set_tlb_ubc_flush_pending (deferred flush); "
			   "flush=immediate forces the first",
		.site = MIGRACE_SITE_PTE_CLEAR,
		.on_return = true,
		.match = pte_clear_match,
		.aux_site = MIGRACE_SITE_PTE_DEFER,
		.aux_match = pte_defer_match,
		.aux_absent = !MIGRACE_MIGRATE_MAY_DEFER_FLUSH,
	},
	{
		.name = "entry-wait",
		.widens = "a fault waiting on a migration entry, before it sleeps (5.10: ref held)",
		.origin = "2018 memory hot-remove soft lockup; rework in 5.17 (no page ref)",
		.kernels = "5.17+ migration_entry_wait_on_locked; 7.x softleaf_...; "
			   "5.10 put_and_wait_on_page_locked",
		.site = MIGRACE_SITE_ENTRY_WAIT,
		.match = entry_wait_match,
	},
	{
		.name = "freeze",
		.widens = "folio_migrate_mapping() just before its refcount check/freeze",
		.origin = "refcount check in migration (lookups in flight land inside it)",
		.kernels = "5.10 migrate_page_move_mapping; 6.1 folio_migrate_mapping; "
			   "6.11+ __folio_migrate_mapping",
		.site = MIGRACE_SITE_MIGRATE_MAPPING,
		.match = freeze_match,
	},
	{
		.name = "deferred-split",
		.widens = "deferred_split_scan() while folios sit on its local list",
		.origin = "2024 deferred split list corruption vs folio_put()",
		.kernels = "6.1 (split_huge_page_to_list); 6.8+ ..._to_order; "
			   "corruption seen on 6.8-era kernels",
		.site = MIGRACE_SITE_SPLIT,
		.match = deferred_split_match,
		.aux_site = MIGRACE_SITE_SPLIT_SCAN,
		.aux_handler = split_scan_pre,
	},
};

const unsigned int migrace_nr_windows = ARRAY_SIZE(migrace_windows);

bool migrace_flush_forced(void)
{
	struct migrace_window *w = &migrace_windows[MIGRACE_W_PTE_CLEAR];
	struct migrace_policy *p;
	bool forced = false;

	if (!atomic_read(&w->armed))
		return false;
	rcu_read_lock();
	p = rcu_dereference(w->policy);
	forced = p && p->flush_immediate;
	rcu_read_unlock();
	return forced;
}
