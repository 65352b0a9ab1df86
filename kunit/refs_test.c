// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: folio kinds and the refcount migration expects, on real folios.
 * The table's folios are fresh allocations whose flags (private,
 * swapbacked) or anon mapping bit the case sets and clears again before
 * the folio is freed; the mapping argument is what folio_migrate_mapping()
 * would get: NULL for anon, the folio's address_space otherwise (a dummy
 * one here, never dereferenced). A shmem case checks the arithmetic
 * against a real page-cache folio's refcount.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include "migrace.h"

#define ORDER_PMD	UINT_MAX	/* HPAGE_PMD_ORDER, if THP is built in */

enum {
	SET_PRIVATE	= BIT(0),
	SET_SWAPBACKED	= BIT(1),
	SET_ANON	= BIT(2),
};

struct folio_case {
	const char *name;
	unsigned int order;
	unsigned int set;
	bool mapped;		/* pass a mapping, as for a page-cache folio */
	int extra;
	int refs;		/* expected, extra included; mapped: + 2^order */
	enum migrace_kind kind;
};

static const struct folio_case folio_cases[] = {
	{ "order0-unmapped", 0, 0, false, 0, 1, MIGRACE_KIND_FILE },
	{ "order0-unmapped-extra-2", 0, 0, false, 2, 3, MIGRACE_KIND_FILE },
	{ "order0-unmapped-private", 0, SET_PRIVATE, false, 0, 1,
	  MIGRACE_KIND_FILE },
	{ "order0-mapped", 0, 0, true, 0, 1, MIGRACE_KIND_FILE },
	{ "order0-mapped-private", 0, SET_PRIVATE, true, 0, 2,
	  MIGRACE_KIND_FILE },
	{ "order0-mapped-private-extra-1", 0, SET_PRIVATE, true, 1, 3,
	  MIGRACE_KIND_FILE },
	{ "order0-swapbacked", 0, SET_SWAPBACKED, true, 0, 1,
	  MIGRACE_KIND_SHMEM },
	{ "order0-anon", 0, SET_ANON, false, 0, 1, MIGRACE_KIND_ANON },
	{ "order0-anon-swapbacked", 0, SET_ANON | SET_SWAPBACKED, false, 0, 1,
	  MIGRACE_KIND_ANON },
	{ "order2-unmapped", 2, 0, false, 0, 1, MIGRACE_KIND_THP },
	{ "order2-mapped", 2, 0, true, 0, 1, MIGRACE_KIND_THP },
	{ "order2-mapped-private", 2, SET_PRIVATE, true, 0, 2,
	  MIGRACE_KIND_THP },
	{ "order2-anon", 2, SET_ANON | SET_SWAPBACKED, false, 0, 1,
	  MIGRACE_KIND_THP },
	{ "pmd-order-mapped", ORDER_PMD, 0, true, 0, 1, MIGRACE_KIND_THP },
	{ "pmd-order-anon", ORDER_PMD, SET_ANON | SET_SWAPBACKED, false, 1, 2,
	  MIGRACE_KIND_THP },
};

static void folio_desc(const struct folio_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(folio, folio_cases, folio_desc);

static void folio_mark(struct folio *folio, unsigned int set)
{
	if (set & SET_PRIVATE)
		folio_set_private(folio);
	if (set & SET_SWAPBACKED)
		__folio_set_swapbacked(folio);
	if (set & SET_ANON)
		folio->mapping = (struct address_space *)PAGE_MAPPING_ANON;
}

/* Undo folio_mark(): PG_private or a mapping would be a bad page at free. */
static void folio_unmark(struct folio *folio, unsigned int set)
{
	if (set & SET_ANON)
		folio->mapping = NULL;
	if (set & SET_SWAPBACKED)
		__folio_clear_swapbacked(folio);
	if (set & SET_PRIVATE)
		folio_clear_private(folio);
}

static int case_order(struct kunit *test, const struct folio_case *c)
{
	if (c->order != ORDER_PMD)
		return c->order;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return HPAGE_PMD_ORDER;
#else
	kunit_skip(test, "CONFIG_TRANSPARENT_HUGEPAGE is not set");
	return -1;
#endif
}

static void folio_test(struct kunit *test)
{
	const struct folio_case *c = test->param_value;
	struct address_space *dummy = NULL;
	int order = case_order(test, c);
	struct folio *folio;
	int want;

	if (c->mapped) {
		dummy = kunit_kzalloc(test, sizeof(*dummy), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, dummy);
	}
	folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, order);
	if (!folio)
		kunit_skip(test, "no free folio of order %d", order);
	want = c->refs + (c->mapped ? 1 << order : 0);
	folio_mark(folio, c->set);
	KUNIT_EXPECT_EQ(test, migrace_folio_kind(folio), c->kind);
	KUNIT_EXPECT_EQ(test, migrace_expected_refs(dummy, folio, c->extra), want);
	folio_unmark(folio, c->set);
	folio_put(folio);
}

/* PG_private adds one reference, and only while it is set. */
static void private_toggle_test(struct kunit *test)
{
	struct address_space *dummy;
	struct folio *folio;

	dummy = kunit_kzalloc(test, sizeof(*dummy), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dummy);
	folio = folio_alloc(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, migrace_expected_refs(dummy, folio, 0), 2);
	folio_set_private(folio);
	KUNIT_EXPECT_EQ(test, migrace_expected_refs(dummy, folio, 0), 3);
	folio_clear_private(folio);
	KUNIT_EXPECT_EQ(test, migrace_expected_refs(dummy, folio, 0), 2);
	folio_put(folio);
}

/*
 * A real shmem folio, held by the page cache and by us (our reference
 * stands for the one migration holds on its isolated folio): its refcount
 * is what migration expects, plus at most one from a per-CPU LRU batch
 * that a module cannot drain.
 */
static void shmem_folio_test(struct kunit *test)
{
	struct address_space *mapping;
	struct folio *folio;
	struct page *page;
	struct file *file;
	int want, refs;

	/* Without CONFIG_SHMEM, shmem files are ramfs ones: not swapbacked. */
	if (!IS_ENABLED(CONFIG_SHMEM))
		kunit_skip(test, "CONFIG_SHMEM is not set");
	file = shmem_file_setup("migrace-kunit", PAGE_SIZE, 0);
	if (IS_ERR(file))
		kunit_skip(test, "shmem_file_setup: %ld", PTR_ERR(file));
	page = shmem_read_mapping_page(file->f_mapping, 0);
	if (IS_ERR(page)) {
		fput(file);
		kunit_skip(test, "shmem_read_mapping_page: %ld", PTR_ERR(page));
	}
	folio = page_folio(page);
	mapping = folio_mapping(folio);
	want = migrace_expected_refs(mapping, folio, 0);
	refs = folio_ref_count(folio);
	KUNIT_EXPECT_PTR_EQ(test, mapping, file->f_mapping);
	KUNIT_EXPECT_EQ(test, migrace_folio_kind(folio),
			folio_test_large(folio) ? MIGRACE_KIND_THP :
						  MIGRACE_KIND_SHMEM);
	KUNIT_EXPECT_EQ(test, want, 1 + (int)folio_nr_pages(folio));
	KUNIT_EXPECT_GE(test, refs, want);
	KUNIT_EXPECT_LE(test, refs, want + 1);
	folio_put(folio);
	fput(file);
}

static void kind_names_test(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, migrace_kind_names[MIGRACE_KIND_ANON], "anon");
	KUNIT_EXPECT_STREQ(test, migrace_kind_names[MIGRACE_KIND_SHMEM], "shmem");
	KUNIT_EXPECT_STREQ(test, migrace_kind_names[MIGRACE_KIND_FILE], "file");
	KUNIT_EXPECT_STREQ(test, migrace_kind_names[MIGRACE_KIND_THP], "thp");
}

struct bucket_case {
	const char *name;
	int stray;
	unsigned int bucket;
};

static const struct bucket_case bucket_cases[] = {
	{ "stray-0", 0, 0 },
	{ "stray-1", 1, 0 },
	{ "stray-2", 2, 1 },
	{ "stray-3", 3, 2 },
	{ "stray-4", 4, 3 },
	{ "stray-5", 5, 3 },
	{ "stray-int-max", INT_MAX, MIGRACE_STRAY_BUCKETS - 1 },
};

static void bucket_desc(const struct bucket_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bucket, bucket_cases, bucket_desc);

static void bucket_test(struct kunit *test)
{
	const struct bucket_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, migrace_stray_bucket(c->stray), c->bucket);
}

static struct kunit_case refs_cases[] = {
	KUNIT_CASE_PARAM(folio_test, folio_gen_params),
	KUNIT_CASE(private_toggle_test),
	KUNIT_CASE(shmem_folio_test),
	KUNIT_CASE(kind_names_test),
	KUNIT_CASE_PARAM(bucket_test, bucket_gen_params),
	{}
};

static struct kunit_suite refs_suite = {
	.name = "migrace_refs",
	.test_cases = refs_cases,
};

kunit_test_suites(&refs_suite);
