// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: folio kinds and the refcount arithmetic of the migration check.
 * migrace_expected_refs() mirrors 6.1's folio_expected_refs() (mm/migrate.c,
 * static there), so a failed folio_migrate_mapping() can be split into the
 * references migration expects and the stray ones somebody else holds.
 */
#include <linux/mm.h>
#include <linux/page-flags.h>
#include "compat.h"
#include "migrace.h"

const char *const migrace_kind_names[MIGRACE_KIND_COUNT] = {
	[MIGRACE_KIND_ANON]	= "anon",
	[MIGRACE_KIND_SHMEM]	= "shmem",
	[MIGRACE_KIND_FILE]	= "file",
	[MIGRACE_KIND_THP]	= "thp",
	[MIGRACE_KIND_HUGETLB]	= "hugetlb",
};

MIGRACE_EXPORT_FOR_TEST(migrace_kind_names);

int migrace_expected_refs(const struct address_space *mapping,
			  struct folio *folio, int extra)
{
	int refs = 1;

	if (mapping) {
		refs += folio_nr_pages(folio);
		if (folio_test_private(folio))
			refs++;
	}
	return refs + extra;
}

MIGRACE_EXPORT_FOR_TEST(migrace_expected_refs);

/*
 * hugetlb has its own pools and move-mapping. Any other large folio counts
 * as THP (anon, shmem or file alike): what matters for stray references is
 * that it has many pages and subpage mappings.
 * Anon is tested before swapbacked, which anon folios also carry.
 */
enum migrace_kind migrace_folio_kind(struct folio *folio)
{
	if (folio_test_hugetlb(folio))
		return MIGRACE_KIND_HUGETLB;
	if (folio_test_large(folio))
		return MIGRACE_KIND_THP;
	if (folio_test_anon(folio))
		return MIGRACE_KIND_ANON;
	if (folio_test_swapbacked(folio))
		return MIGRACE_KIND_SHMEM;
	return MIGRACE_KIND_FILE;
}

MIGRACE_EXPORT_FOR_TEST(migrace_folio_kind);

/* Buckets 0..3 for 1, 2, 3 and 4-or-more; anything below 1 lands in 0. */
unsigned int migrace_stray_bucket(int stray)
{
	if (stray <= 1)
		return 0;
	if (stray >= MIGRACE_STRAY_BUCKETS)
		return MIGRACE_STRAY_BUCKETS - 1;
	return stray - 1;
}

MIGRACE_EXPORT_FOR_TEST(migrace_stray_bucket);
