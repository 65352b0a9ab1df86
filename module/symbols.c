// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the per-kernel symbol table and probe registration by role.
 * A site whose symbols are all absent (inlined, renamed) registers nothing
 * and reports -ENOENT; the caller marks what depends on it unavailable.
 */
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "compat.h"

const struct migrace_site_desc migrace_sites[MIGRACE_SITE_COUNT] = {
	[MIGRACE_SITE_PTE_CLEAR] = {
		"PTE cleared and flushed at once in try_to_migrate_one()",
		{ "ptep_clear_flush" },
		"6.1: always; 6.4+: when the flush is not deferred",
	},
	[MIGRACE_SITE_PTE_DEFER] = {
		"PTE cleared, its TLB flush deferred to the batch",
		{ "set_tlb_ubc_flush_pending" },
		"6.4+: ptep_get_and_clear() then this, under TTU_BATCH_FLUSH; "
		"a gcc clone (.isra, .constprop) is used: (mm, pteval) stay first; "
		"a changed layout fails the pfn match: a miss, never a false hit",
		true,
	},
	[MIGRACE_SITE_TRY_TO_MIGRATE] = {
		"unmap for migration", { "try_to_migrate", "try_to_unmap" },
		"5.14+: try_to_migrate(); 5.10: try_to_unmap(page, TTU_MIGRATION)",
	},
	[MIGRACE_SITE_MIGRATE_MAPPING] = {
		"refcount check and freeze",
		{ "__folio_migrate_mapping", "folio_migrate_mapping",
		  "migrate_page_move_mapping" },
		"6.1: folio_migrate_mapping(mapping, new, old, extra); "
		"6.11+: __folio_migrate_mapping(..., expected); "
		"5.10: migrate_page_move_mapping(mapping, new, old, extra)",
	},
	[MIGRACE_SITE_MOVE] = {
		"one pass moves an unmapped folio (every refcount check)",
		{ "move_to_new_folio", "move_to_new_page" },
		"static; 6.1: the check is in folio_migrate_mapping(); "
		"6.12+: __migrate_folio() checks first; "
		"hugetlb: its own move-mapping; 5.10: move_to_new_page()",
	},
	[MIGRACE_SITE_ENTRY_WAIT] = {
		"wait on a migration entry",
		{ "softleaf_entry_wait_on_locked", "migration_entry_wait_on_locked",
		  "put_and_wait_on_page_locked" },
		"5.17+ (no page reference held); 7.x: softleaf_entry_wait_on_locked(); "
		"5.10: put_and_wait_on_page_locked(), reference held until it sleeps",
	},
	[MIGRACE_SITE_FOLIO_LOCK] = {
		"sleep on a folio lock",
		{ "folio_wait_bit_common", "__folio_lock", "__lock_page" },
		"folio_wait_bit_common(folio, bit, ...) sees every sleeper; "
		"__folio_lock() is inlined into filemap.c's own callers; "
		"5.10: __lock_page(page)",
	},
	[MIGRACE_SITE_PAGECACHE] = {
		"page-cache lookup",
		{ "filemap_get_entry", "__filemap_get_folio", "find_get_entry" },
		"6.1: __filemap_get_folio() (mapping_get_entry inline); 6.3+: filemap_get_entry(); "
		"5.10: find_get_entry()",
	},
	[MIGRACE_SITE_GUP] = {
		"GUP grabs a folio", { "try_grab_folio" }, "5.17+",
	},
	[MIGRACE_SITE_SPLIT_SCAN] = {
		"deferred split shrinker scan", { "deferred_split_scan" },
		"static; not inlined on 6.1",
	},
	[MIGRACE_SITE_SPLIT] = {
		"split one large folio",
		{ "split_huge_page_to_list_to_order", "__folio_split",
		  "split_huge_page_to_list" },
		"6.1: split_huge_page_to_list(); 6.8+: ..._to_order(); "
		"7.x: __folio_split() (split_folio() is inlined into the scan); "
		"the match reads no argument, so gcc clones are fine",
		true,
	},
	[MIGRACE_SITE_MIGRATE_START] = {
		"migrate_pages() called", { "migrate_pages" },
		"probed only where the mm_migrate_pages_start tracepoint is missing (5.10)",
	},
};

/*
 * gcc's clones of a static function (the whole function, its arguments
 * possibly changed; not .part, which is an outlined tail). Tried only for
 * sites whose handlers check what they read (@clones_ok), so a changed
 * layout is a miss, not a fault.
 */
static const char *const clone_suffix[] = {
	"", ".isra.0", ".constprop.0", ".constprop.0.isra.0",
};

/*
 * The name each site resolved to, once found: later probes on the site use
 * it as is, so a name a live probe points to is never rewritten.
 */
static char clone_name[MIGRACE_SITE_COUNT][KSYM_NAME_LEN];
static const char *resolved[MIGRACE_SITE_COUNT];

static int reg_kprobe(void *probe)
{
	return register_kprobe(probe);
}

static int reg_kretprobe(void *probe)
{
	return register_kretprobe(probe);
}

/* Register @probe (whose kprobe is @kp) on the first name of @site found. */
static int register_site(enum migrace_site site, struct kprobe *kp,
			 int (*reg)(void *probe), void *probe)
{
	const struct migrace_site_desc *d = &migrace_sites[site];
	unsigned int i, c, clones = d->clones_ok ? ARRAY_SIZE(clone_suffix) : 1;
	int err;

	if (resolved[site]) {
		kp->symbol_name = resolved[site];
		kp->addr = NULL;
		return reg(probe);
	}
	for (i = 0; i < ARRAY_SIZE(d->symbols) && d->symbols[i]; i++) {
		for (c = 0; c < clones; c++) {
			kp->symbol_name = d->symbols[i];
			if (c) {
				snprintf(clone_name[site], KSYM_NAME_LEN, "%s%s",
					 d->symbols[i], clone_suffix[c]);
				kp->symbol_name = clone_name[site];
			}
			kp->addr = NULL;
			err = reg(probe);
			if (!err)
				resolved[site] = kp->symbol_name;
			if (err != -ENOENT && err != -EINVAL)
				return err;
		}
	}
	kp->symbol_name = NULL;
	return -ENOENT;
}

/* Register @kp on the first candidate symbol of @site the kernel has. */
int migrace_register_kprobe(struct kprobe *kp, enum migrace_site site)
{
	return register_site(site, kp, reg_kprobe, kp);
}

int migrace_register_kretprobe(struct kretprobe *krp, enum migrace_site site)
{
	return register_site(site, &krp->kp, reg_kretprobe, krp);
}
