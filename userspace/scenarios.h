/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scenarios.h - the memory each scenario migrates, and what it needs from the
 * system (THP, huge pages, a memory block that can go offline).
 */
#ifndef MIGRACE_SCENARIOS_H
#define MIGRACE_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

/**
 * struct scenario_mem - the pages of one run
 * @base: the first unit; @unit: bytes per migrated unit (a base page, or a
 * huge page for thp/hugetlb/deferred-split); @npages: units
 * @live: bytes of each unit the data check covers; 0: all @unit bytes
 * (deferred-split: all but its last base page, which is unmapped)
 * @memfd: shmem-file's memfd (readers map it), else -1
 * @fork_readers: readers are processes (shared mappings) or threads
 * @gated: readers must use gates (units are replaced during the run)
 */
struct scenario_mem {
	enum scenario id;
	char *base;
	size_t unit, npages, len;
	size_t live;
	void *raw;
	size_t raw_len;
	int memfd;
	bool fork_readers;
	bool gated;

	/* deferred-split: to tell a THP from base pages */
	int pagemap_fd, kpageflags_fd;

	/* hugetlb: nr_hugepages files changed, to restore */
	int hp_changed;
	char hp_file[2][160];
	long hp_orig[2];

	/* hot-remove: the memory block taken offline and back */
	char block[96];
	bool block_was_offline;		/* onlined for the run: offline it after */
	long block_id;
	uint64_t block_bytes;
};

/**
 * scenario_setup() - map, fill and check the pages of o->scenario
 * @a, @b: the node pair
 * Return: 0; EXIT_SKIP when the system cannot run it, or EXIT_FAIL on an
 * unexpected error, both with @reason set. Call scenario_teardown() always.
 */
int scenario_setup(struct scenario_mem *m, const struct run_opts *o, int a, int b,
		   char *reason, size_t len);
void scenario_teardown(struct scenario_mem *m);
/** scenario_pages() - the address of each unit (malloc'd), NULL on ENOMEM */
void **scenario_pages(const struct scenario_mem *m);

enum block_kind { BLOCK_NO, BLOCK_ONLINE_MOVABLE, BLOCK_OFFLINE };

/**
 * hotplug_block_kind() - can the memory block directory @block serve hot-remove?
 * Return: BLOCK_ONLINE_MOVABLE or BLOCK_OFFLINE for a block of @node whose
 * `removable` is 1 (or absent) that is online in ZONE_MOVABLE, or offline
 * (a hotplugged block, to be onlined movable); else BLOCK_NO.
 */
enum block_kind hotplug_block_kind(const char *block, int node);

/**
 * hotplug_set_state() - write @state to the block's `state` within @timeout_s.
 * Return: 0 or -errno (EINTR: timed out)
 */
int hotplug_set_state(const char *block, const char *state, double timeout_s);
/** hotplug_online() - online_movable, else online; 0 or -errno */
int hotplug_online(const char *block, double timeout_s);
/** units_in_block() - how many units have their first page in m's block (needs root) */
long units_in_block(const struct scenario_mem *m);

/** smaps_anon_huge_kb() - AnonHugePages of the mapping holding @addr; -1 if unknown */
long smaps_anon_huge_kb(const char *smaps, uintptr_t addr);

/* --- deferred-split ---------------------------------------------------------------- */

#define DROP_CACHES	"/proc/sys/vm/drop_caches"

/**
 * drop_caches_slab() - write "2" to DROP_CACHES: drop_slab() runs every
 * shrinker (the THP deferred split one included) in the calling task.
 * Return: 0 or -errno (-EACCES without root).
 */
int drop_caches_slab(void);

/** kpageflags_thp() - KPF_THP (bit 22) of a /proc/kpageflags word */
static inline bool kpageflags_thp(uint64_t flags)
{
	return flags >> 22 & 1;
}

/**
 * unit_is_thp() - is unit @p's first page part of a THP (mapped by PMD or PTEs)?
 * Return: 1 or 0; -ENOENT when not present now (e.g. under migration),
 * -EPERM when the PFN is hidden (no CAP_SYS_ADMIN), other -errno.
 */
int unit_is_thp(const struct scenario_mem *m, size_t p);

/**
 * unit_recreate() - replace unit @p by a fresh mapping (MAP_FIXED; its page
 * tables go, so a THP can be faulted again), MADV_HUGEPAGE, fill it at
 * generation @gen (pattern_fill_unit()) and unmap its last base page, which
 * queues the new THP for deferred split. Readers must be kept off (gate).
 * Return: 0 (a THP again), -EAGAIN (filled, but base pages: no THP came),
 * or -errno from mmap (the unit's memory is gone).
 */
int unit_recreate(struct scenario_mem *m, size_t p, uint64_t gen);

#endif /* MIGRACE_SCENARIOS_H */
