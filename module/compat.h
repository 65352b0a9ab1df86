/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrace: every difference between kernel versions lives here and in
 * symbols.c. A probe site is a role ("where the PTE is cleared"); the table
 * in symbols.c names, per kernel, the symbol that plays it. Tested: Debian
 * 6.1 (6.1.192). Later kernels' rows come from mainline's sources, untested.
 */
#ifndef MIGRACE_COMPAT_H
#define MIGRACE_COMPAT_H

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>

enum migrace_site {
	MIGRACE_SITE_NONE,
	MIGRACE_SITE_PTE_CLEAR,		/* PTE cleared in try_to_migrate_one() */
	MIGRACE_SITE_TRY_TO_MIGRATE,	/* unmap for migration starts */
	MIGRACE_SITE_MIGRATE_MAPPING,	/* the refcount check/freeze */
	MIGRACE_SITE_ENTRY_WAIT,	/* a fault waits on a migration entry */
	MIGRACE_SITE_FOLIO_LOCK,	/* a task sleeps on a folio lock */
	MIGRACE_SITE_PAGECACHE,		/* page-cache lookup */
	MIGRACE_SITE_GUP,		/* get_user_pages grabs a folio */
	MIGRACE_SITE_SPLIT_SCAN,	/* the deferred split shrinker */
	MIGRACE_SITE_SPLIT,		/* splitting one large folio */
	MIGRACE_SITE_COUNT
};

/**
 * struct migrace_site_desc - a probe site and its symbols on known kernels
 * @what: what happens there
 * @symbols: candidates, tried in order (the newest kernel's name first)
 * @note: how the kernels differ
 */
struct migrace_site_desc {
	const char *what;
	const char *const symbols[3];
	const char *note;
};

extern const struct migrace_site_desc migrace_sites[MIGRACE_SITE_COUNT];

int migrace_register_kprobe(struct kprobe *kp, enum migrace_site site);
int migrace_register_kretprobe(struct kretprobe *krp, enum migrace_site site);

/*
 * The folio a migration-entry waiter waits on. migration_entry_wait_on_locked()
 * takes the swap entry first on 6.1 and later (its ptep/ptl arguments vary).
 */
static inline struct folio *migrace_entry_wait_folio(struct pt_regs *regs)
{
	swp_entry_t entry = { .val = regs_get_kernel_argument(regs, 0) };

	if (!is_migration_entry(entry))
		return NULL;
	return page_folio(pfn_swap_entry_to_page(entry));
}

/* folio_mapcount() is not exported on 6.1; a small folio's is inline. */
static inline int migrace_small_folio_mapcount(struct folio *folio)
{
	return atomic_read(&folio->_mapcount) + 1;
}

/*
 * try_to_migrate_one() on 6.1 clears with ptep_clear_flush() (TLB flushed at
 * once). 6.4+ may use ptep_get_and_clear() with a deferred, batched flush,
 * which is inline there and not a probe site: the window is then unavailable.
 */
#define MIGRACE_PTE_CLEAR_FLUSHES_AT_ONCE 1

#endif /* MIGRACE_COMPAT_H */
