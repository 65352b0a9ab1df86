/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrace: every difference between kernel versions lives here and in
 * symbols.c. A probe site is a role ("where the PTE is cleared"); the table
 * in symbols.c names, per kernel, the symbol that plays it. Tested: Debian's
 * 5.10, 6.1, 6.12 and 7.2 (scripts/kernels.conf).
 */
#ifndef MIGRACE_COMPAT_H
#define MIGRACE_COMPAT_H

#include <linux/kprobes.h>
#include <linux/migrate.h>
#include <linux/rmap.h>
#include <linux/sched.h>
#include <linux/version.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/xarray.h>

/*
 * Before 5.16 there are no folios: a "folio" here is then a head page,
 * behind an opaque type of our own, and the few folio calls the module
 * makes are spelled for pages. Nothing else in the module changes. The
 * pre-5.16 rows here and in symbols.c are 5.10's (the lab's); 5.11-5.16
 * renamed several sites again and are not supported.
 */
#define MIGRACE_HAVE_FOLIOS	(LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0))

#if !MIGRACE_HAVE_FOLIOS
struct folio;

static inline struct page *migrace_folio_head(const struct folio *folio)
{
	return (struct page *)folio;
}

static inline struct folio *page_folio(struct page *page)
{
	return (struct folio *)compound_head(page);
}

#define pfn_folio(pfn)		page_folio(pfn_to_page(pfn))
#define folio_pfn(f)		page_to_pfn(migrace_folio_head(f))
#define folio_ref_count(f)	page_ref_count(migrace_folio_head(f))
#define folio_mapping(f)	page_mapping(migrace_folio_head(f))
#define folio_nr_pages(f)	compound_nr(migrace_folio_head(f))
#define folio_test_anon(f)	PageAnon(migrace_folio_head(f))
#define folio_test_ksm(f)	PageKsm(migrace_folio_head(f))
#define folio_test_swapcache(f)	PageSwapCache(migrace_folio_head(f))
#define folio_test_swapbacked(f) PageSwapBacked(migrace_folio_head(f))
#define folio_test_private(f)	PagePrivate(migrace_folio_head(f))
#define folio_test_large(f)	PageCompound(migrace_folio_head(f))
#define folio_test_hugetlb(f)	PageHuge(migrace_folio_head(f))
#define folio_test_locked(f)	PageLocked(migrace_folio_head(f))
#endif

/*
 * A probed function's page or folio argument (or return value) as the
 * folio the module tracks: a page's head before 5.16. NULL, error and
 * xarray value entries (a lookup's shadow) pass through unchanged.
 */
static inline struct folio *migrace_arg_folio(unsigned long v)
{
	if (!MIGRACE_HAVE_FOLIOS && v && !IS_ERR_VALUE(v) &&
	    !xa_is_value((void *)v))
		return page_folio((struct page *)v);
	return (struct folio *)v;
}

enum migrace_site {
	MIGRACE_SITE_NONE,
	MIGRACE_SITE_PTE_CLEAR,		/* PTE cleared in try_to_migrate_one() */
	MIGRACE_SITE_PTE_DEFER,		/* a cleared PTE's flush deferred (6.4+) */
	MIGRACE_SITE_TRY_TO_MIGRATE,	/* unmap for migration starts */
	MIGRACE_SITE_MIGRATE_MAPPING,	/* the refcount check/freeze */
	MIGRACE_SITE_MOVE,		/* one pass moves an unmapped folio */
	MIGRACE_SITE_ENTRY_WAIT,	/* a fault waits on a migration entry */
	MIGRACE_SITE_FOLIO_LOCK,	/* a task sleeps on a folio lock */
	MIGRACE_SITE_PAGECACHE,		/* page-cache lookup */
	MIGRACE_SITE_GUP,		/* get_user_pages grabs a folio */
	MIGRACE_SITE_SPLIT_SCAN,	/* the deferred split shrinker */
	MIGRACE_SITE_SPLIT,		/* splitting one large folio */
	MIGRACE_SITE_MIGRATE_START,	/* migrate_pages() called */
	MIGRACE_SITE_COUNT
};

/**
 * struct migrace_site_desc - a probe site and its symbols on known kernels
 * @what: what happens there
 * @symbols: candidates, tried in order (the newest kernel's name first)
 * @note: how the kernels differ
 * @clones_ok: gcc clones of the symbols (.isra.0, ...) may be probed: the
 *	handlers validate what they read from its arguments
 */
struct migrace_site_desc {
	const char *what;
	const char *const symbols[4];
	const char *note;
	bool clones_ok;
};

extern const struct migrace_site_desc migrace_sites[MIGRACE_SITE_COUNT];

int migrace_register_kprobe(struct kprobe *kp, enum migrace_site site);
int migrace_register_kretprobe(struct kretprobe *krp, enum migrace_site site);

/*
 * The folio a migration-entry waiter waits on. Before 5.17 the waiter took
 * a reference and the site is put_and_wait_on_page_locked(page), which
 * drops it only as the waiter sleeps. From 5.17 it takes none and the site
 * takes the entry first (its ptep/ptl arguments vary); 7.x calls the entry
 * a software leaf (linux/leafops.h, softleaf_entry_wait_on_locked()).
 */
#define MIGRACE_ENTRY_WAITER_HOLDS_REF \
	(LINUX_VERSION_CODE < KERNEL_VERSION(5, 17, 0))

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 17, 0)
static inline struct folio *migrace_entry_wait_folio(struct pt_regs *regs)
{
	return migrace_arg_folio(regs_get_kernel_argument(regs, 0));
}
#elif __has_include("linux/leafops.h")
#include <linux/leafops.h>

static inline struct folio *migrace_entry_wait_folio(struct pt_regs *regs)
{
	softleaf_t entry = { .val = regs_get_kernel_argument(regs, 0) };

	if (!softleaf_is_migration(entry))
		return NULL;
	return pfn_folio(softleaf_to_pfn(entry));
}
#else
static inline struct folio *migrace_entry_wait_folio(struct pt_regs *regs)
{
	swp_entry_t entry = { .val = regs_get_kernel_argument(regs, 0) };

	if (!is_migration_entry(entry))
		return NULL;
	return page_folio(pfn_swap_entry_to_page(entry));
}
#endif

/*
 * Is an unmap at the TRY_TO_MIGRATE site one for migration? From 5.14,
 * try_to_migrate() is, except a THP split's (TTU_SYNC). Before, the site is
 * try_to_unmap(), which reclaim and splits call too: TTU_MIGRATION tells.
 */
static inline bool migrace_unmap_migrates(unsigned long flags)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 14, 0)
	return flags & TTU_MIGRATION;
#else
	return !(flags & TTU_SYNC);
#endif
}

/* folio_mapcount() is not exported on 6.1; a small folio's is inline. */
static inline int migrace_small_folio_mapcount(struct folio *folio)
{
#if MIGRACE_HAVE_FOLIOS
	return atomic_read(&folio->_mapcount) + 1;
#else
	return page_mapcount(migrace_folio_head(folio));
#endif
}

/*
 * try_to_migrate_one() clears with ptep_clear_flush() (TLB flushed at once)
 * on 6.1. From 6.4, migrate_pages() unmaps in batches with TTU_BATCH_FLUSH,
 * and where should_defer_flush() agrees the clear is ptep_get_and_clear()
 * followed by set_tlb_ubc_flush_pending(): the flush waits for the batch.
 */
#define MIGRACE_MIGRATE_MAY_DEFER_FLUSH \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0))

/*
 * What a deferred flush has done when the clear returns. arm64's
 * arch_tlbbatch_add_pending() broadcasts the invalidation (TLBI) at once and
 * defers only the wait for it: readers fault into the window. x86's only
 * records which CPUs to flush at the batch's end: readers keep using their
 * TLB entry and need not fault inside the window at all.
 */
#define MIGRACE_DEFER_ISSUES_TLBI	IS_ENABLED(CONFIG_ARM64)

/*
 * Change argument @n (0-based, integer class) at a kprobe's function entry.
 * The pre-handler's regs are written back on both arches (x86: ftrace
 * regs or int3 frame; arm64: the BRK exception frame).
 * Return: false where this arch or argument is not supported (unchanged).
 */
static inline bool migrace_set_kernel_argument(struct pt_regs *regs,
					       unsigned int n, unsigned long val)
{
#if defined(CONFIG_X86_64)
	static const unsigned int off[] = {
		offsetof(struct pt_regs, di), offsetof(struct pt_regs, si),
		offsetof(struct pt_regs, dx), offsetof(struct pt_regs, cx),
	};

	if (n >= ARRAY_SIZE(off))
		return false;
	*(unsigned long *)((char *)regs + off[n]) = val;
	return true;
#elif defined(CONFIG_ARM64)
	if (n >= 8)
		return false;
	regs->regs[n] = val;
	return true;
#else
	return false;
#endif
}

/* A return probe instance's probe: a plain field before 5.11. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
static inline struct kretprobe *get_kretprobe(struct kretprobe_instance *ri)
{
	return ri->rp;
}
#endif

/* On a CPU or queued for one (not sleeping); ->state before 5.14. */
#ifndef task_is_running
#define task_is_running(t)	(READ_ONCE((t)->state) == TASK_RUNNING)
#endif

/* 7.x returns plain 0 for a migrated folio. */
#ifndef MIGRATEPAGE_SUCCESS
#define MIGRATEPAGE_SUCCESS	0
#endif

#endif /* MIGRACE_COMPAT_H */
