// SPDX-License-Identifier: GPL-2.0
/*
 * test_lib.c - the shared helpers: name/value parser, id lists, the windows
 * and attribution parsers, smaps, the data pattern.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib.h"
#include "readers.h"
#include "scenarios.h"
#include "suites.h"

static uint64_t get(const struct kvmap *m, const char *name)
{
	uint64_t v = UINT64_MAX;

	if (!kv_get(m, name, &v))
		tap_fail(__FILE__, __LINE__, "no %s", name);
	return v;
}

static void stats_parser_valid(void)
{
	struct kvmap m = { 0 };
	int bad = kv_parse("migrate_calls: 12\n"
			   "# a comment\n"
			   "\n"
			   "window.pte-clear.hits: 7\n"
			   "  final_failed:   18446744073709551615  \n"
			   "pass_ok: 0", &m, KV_COLON);

	CHECK_INT(bad, 0);
	CHECK_INT(m.n, 4);
	CHECK_INT(get(&m, "migrate_calls"), 12);
	CHECK_INT(get(&m, "window.pte-clear.hits"), 7);
	CHECK(get(&m, "final_failed") == UINT64_MAX);
	CHECK_INT(get(&m, "pass_ok"), 0);
	CHECK(!kv_get(&m, "pass_ebusy", NULL));
	CHECK_STR(m.items[1].name, "window.pte-clear.hits");	/* file order kept */
	kv_free(&m);
}

static void stats_parser_malformed(void)
{
	struct kvmap m = { 0 };
	int bad = kv_parse("good: 1\n"
			   "novalue:\n"
			   "nocolon 5\n"
			   "junk: 12abc\n"
			   "neg: -1\n"
			   ": 5\n"
			   "glued:5\n"
			   "huge: 18446744073709551616\n"
			   "two: 1 2\n"
			   "good2: 2\n", &m, KV_COLON);

	CHECK_INT(bad, 8);
	CHECK_INT(m.n, 2);
	CHECK_INT(get(&m, "good"), 1);
	CHECK_INT(get(&m, "good2"), 2);
	CHECK(!kv_get(&m, "junk", NULL));
	CHECK(!kv_get(&m, "huge", NULL));
	kv_free(&m);
}

static void stats_parser_repeat_and_vmstat(void)
{
	struct kvmap m = { 0 };

	CHECK_INT(kv_parse("a: 1\na: 5\n", &m, KV_COLON), 0);
	CHECK_INT(m.n, 1);
	CHECK_INT(get(&m, "a"), 5);
	kv_free(&m);
	CHECK_INT(kv_parse("pgmigrate_success 10\npgmigrate_fail 3\nbad: 4\n", &m, KV_SPACE), 1);
	CHECK_INT(get(&m, "pgmigrate_success"), 10);
	CHECK_INT(get(&m, "pgmigrate_fail"), 3);
	kv_free(&m);
}

static void stats_file_read(void)
{
	struct kvmap m = { 0 };
	char *path = strdup(tap_path("stats"));

	tap_write_file(path, "x: 3\ny: four\n");
	CHECK_INT(kv_read_file(path, &m, KV_COLON), 1);
	CHECK_INT(get(&m, "x"), 3);
	CHECK_INT(kv_read_file(tap_path("missing"), &m, KV_COLON), -ENOENT);
	kv_free(&m);
	free(path);
}

static void id_lists(void)
{
	int ids[8];

	CHECK_INT(parse_id_list("0\n", ids, 8), 1);
	CHECK_INT(ids[0], 0);
	CHECK_INT(parse_id_list("0-1\n", ids, 8), 2);
	CHECK_INT(ids[1], 1);
	CHECK_INT(parse_id_list("0-2,5\n", ids, 8), 4);
	CHECK_INT(ids[3], 5);
	CHECK_INT(parse_id_list("\n", ids, 8), 0);
	CHECK_INT(parse_id_list("1-0", ids, 8), -1);
	CHECK_INT(parse_id_list("a", ids, 8), -1);
	CHECK_INT(parse_id_list("0-8", ids, 8), -1);	/* 9 ids do not fit */
	CHECK_INT(parse_id_list("3;4", ids, 8), -1);
}

static const char windows_text[] =
	"# name available armed policy hits widened met timeouts widen_ns\n"
	"pte-clear yes yes delay:100000-200000ns 12 10 0 0 1500000\n"
	"entry-wait no no none 0 0 0 0 0 missing:migration_entry_wait_on_locked\n"
	"broken maybe no none 0 0 0 0 0\n"
	"short yes no none 1 2\n"
	"nonnum yes no none 1 2 x 4 5\n"
	"folio-lock yes no rendezvous:500000ns 3 1 1 0 900\n";

static void windows_parser(void)
{
	struct win_row rows[8];
	int bad, n = windows_parse(windows_text, rows, 8, &bad);

	CHECK_INT(n, 3);
	CHECK_INT(bad, 3);
	CHECK_STR(rows[0].name, "pte-clear");
	CHECK(rows[0].available && rows[0].armed);
	CHECK_STR(rows[0].policy, "delay:100000-200000ns");
	CHECK_INT(rows[0].hits, 12);
	CHECK_INT(rows[0].widened, 10);
	CHECK_INT(rows[0].widen_ns, 1500000);
	CHECK_STR(rows[0].why, "");
	CHECK(!rows[1].available && !rows[1].armed);
	CHECK_STR(rows[1].why, "missing:migration_entry_wait_on_locked");
	CHECK_STR(rows[2].name, "folio-lock");
	CHECK_INT(rows[2].met, 1);
	CHECK_INT(windows_parse(windows_text, rows, 1, &bad), 1);	/* bounded */
}

/* Start (left-aligned) or end (right-aligned) offsets of a line's first 9 fields. */
static int field_edges(const char *line, long *edge)
{
	const char *p = line;
	int n = 0;

	while (*p && n < 9) {
		const char *start;

		p += strspn(p, " ");
		if (!*p)
			break;
		start = p;
		p += strcspn(p, " ");
		edge[n] = n < 4 ? start - line : p - line;	/* 4 text, 5 number columns */
		n++;
	}
	return n;
}

/* The header and every row line up column by column. */
static void windows_aligned(void)
{
	struct win_row rows[8];
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	int bad, n = windows_parse(windows_text, rows, 8, &bad), lines = 0;
	long head[9], edge[9];
	FILE *f = open_memstream(&buf, &len);

	windows_print(f, rows, n);
	fclose(f);
	CHECK_HAS(buf, "missing:migration_entry_wait_on_locked");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long *e = lines++ ? edge : head;

		CHECK_INT(field_edges(line, e), 9);
		for (int i = 0; e == edge && i < 9; i++)
			if (edge[i] != head[i])
				tap_fail(__FILE__, __LINE__, "line %d column %d at %ld, header at %ld",
					 lines, i, edge[i], head[i]);
	}
	CHECK_INT(lines, 4);
	free(buf);
}

static const char attrib_text[] =
	"taker=folio-lock kind=shmem hits=123\n"
	"  __folio_lock+0x0/0x90\n"
	"  __filemap_get_folio+0x1d2/0x3c0\n"
	"\n"
	"this is not a header\n"
	"  frame_of_a_bad_block+0x1/0x2\n"
	"\n"
	"kind=anon taker=gup hits=9\n"
	"  get_user_pages+0x10/0x20\n"
	"\n"
	"taker=entry-wait kind=anon hits=2\n"
	"\n"
	"taker=pagecache-lookup kind=file hits=1\n";

static void attribution_parser(void)
{
	struct attrib_block b[4];
	int bad, n = attribution_parse(attrib_text, b, 4, &bad);

	CHECK_INT(n, 4);
	CHECK_INT(bad, 1);
	CHECK_STR(b[0].taker, "folio-lock");
	CHECK_STR(b[0].kind, "shmem");
	CHECK_INT(b[0].hits, 123);
	CHECK_INT(b[0].nframes, 2);
	CHECK_STR(b[0].frames[1], "__filemap_get_folio+0x1d2/0x3c0");
	CHECK_STR(b[1].taker, "gup");		/* keys in any order */
	CHECK_INT(b[1].nframes, 1);
	CHECK_INT(b[2].nframes, 0);
	CHECK_INT(attribution_parse(attrib_text, b, 3, &bad), 3);	/* top 3 */
	CHECK_STR(b[2].taker, "entry-wait");
	CHECK_INT(attribution_parse("", b, 3, &bad), 0);
}

static void errno_names(void)
{
	CHECK_STR(errno_name(EBUSY), "EBUSY");
	CHECK_STR(errno_name(EAGAIN), "EAGAIN");
	CHECK_STR(errno_name(9999), "E9999");
}

static void debugfs_env(void)
{
	char buf[256];

	unsetenv("MIGRACE_DEBUGFS");
	CHECK_STR(debugfs_dir(), "/sys/kernel/debug/migrace");
	setenv("MIGRACE_DEBUGFS", tap_tmpdir(), 1);
	CHECK_STR(debugfs_dir(), tap_tmpdir());
	CHECK(module_loaded());
	snprintf(buf, sizeof(buf), "%s/control", tap_tmpdir());
	CHECK_STR(debugfs_path((char[256]){ 0 }, 256, "control"), buf);
	setenv("MIGRACE_DEBUGFS", tap_path("absent"), 1);
	CHECK(!module_loaded());
}

static void control_lines_append(void)
{
	char *text;

	setenv("MIGRACE_DEBUGFS", tap_tmpdir(), 1);
	tap_write_file(tap_path("control"), "");
	CHECK_INT(control_write("target pgid 7\n"), 0);
	CHECK_INT(control_write("arm pte-clear delay delay_us=200\n"), 0);
	text = tap_read_file(tap_path("control"));
	CHECK_STR(text, "target pgid 7\narm pte-clear delay delay_us=200\n");
	free(text);
	setenv("MIGRACE_DEBUGFS", tap_path("absent"), 1);
	CHECK_INT(control_write("reset\n"), -ENOENT);
}

static const char smaps_text[] =
	"7f0000000000-7f0000200000 rw-p 00000000 00:00 0\n"
	"Size:               2048 kB\n"
	"AnonHugePages:         0 kB\n"
	"7f0000200000-7f0000600000 rw-p 00000000 00:00 0\n"
	"Size:               4096 kB\n"
	"AnonHugePages:      4096 kB\n";

static void smaps_thp(void)
{
	CHECK_INT(smaps_anon_huge_kb(smaps_text, 0x7f0000000100), 0);
	CHECK_INT(smaps_anon_huge_kb(smaps_text, 0x7f0000200000), 4096);
	CHECK_INT(smaps_anon_huge_kb(smaps_text, 0x7f00005fffff), 4096);
	CHECK_INT(smaps_anon_huge_kb(smaps_text, 0x7f0000600000), -1);
}

/* A fake memory block directory: which ones hot-remove may use. */
static void fake_block(const char *name, const char *node, const char *removable,
		       const char *state, const char *zones)
{
	char path[600];

	snprintf(path, sizeof(path), "%s", tap_path(name));
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s", tap_path(name), node);
	tap_write_file(path, "");
	snprintf(path, sizeof(path), "%s/state", tap_path(name));
	tap_write_file(path, state);
	snprintf(path, sizeof(path), "%s/valid_zones", tap_path(name));
	tap_write_file(path, zones);
	if (removable) {
		snprintf(path, sizeof(path), "%s/removable", tap_path(name));
		tap_write_file(path, removable);
	}
}

static void hotplug_blocks(void)
{
	fake_block("memory32", "node1", "1\n", "online\n", "Movable\n");
	fake_block("memory33", "node1", "1\n", "offline\n", "Normal Movable\n");
	fake_block("memory34", "node1", "1\n", "online\n", "Normal\n");
	fake_block("memory35", "node0", "1\n", "online\n", "Movable\n");
	fake_block("memory36", "node1", "0\n", "online\n", "Movable\n");
	fake_block("memory37", "node1", NULL, "online\n", "Movable\n");
	CHECK_INT(hotplug_block_kind(tap_path("memory32"), 1), BLOCK_ONLINE_MOVABLE);
	CHECK_INT(hotplug_block_kind(tap_path("memory33"), 1), BLOCK_OFFLINE);
	CHECK_INT(hotplug_block_kind(tap_path("memory34"), 1), BLOCK_NO);	/* boot memory */
	CHECK_INT(hotplug_block_kind(tap_path("memory35"), 1), BLOCK_NO);	/* other node */
	CHECK_INT(hotplug_block_kind(tap_path("memory36"), 1), BLOCK_NO);	/* not removable */
	CHECK_INT(hotplug_block_kind(tap_path("memory37"), 1), BLOCK_ONLINE_MOVABLE);
	CHECK_INT(hotplug_block_kind(tap_path("memory99"), 1), BLOCK_NO);
}

static void data_pattern(void)
{
	uint64_t page[512];

	pattern_fill((char *)page, sizeof(page), 1);
	CHECK(pattern_ok(0, 0, page[0]));
	CHECK(pattern_ok(0, 511, page[511]));
	CHECK_INT(pattern_gen(page[0]), 0);
	CHECK(!pattern_ok(1, 0, page[0]));		/* another unit's word */
	CHECK(!pattern_ok(0, 1, page[0]));		/* another word */
	CHECK(!pattern_ok(0, 0, 0));			/* a zeroed page */
	CHECK(pattern_ok(0, 0, page[0] + 5 * PAT_GEN_ONE));
	CHECK_INT(pattern_gen(page[0] + 5 * PAT_GEN_ONE), 5);
	CHECK(pattern_word(3, 7, 2) == (pattern_word(3, 7, 0) | 2ull << PAT_BITS));
}

static void writer_share(void)
{
	CHECK_INT(readers_writers(3, 0), 0);
	CHECK_INT(readers_writers(3, 50), 2);
	CHECK_INT(readers_writers(4, 1), 1);	/* any share means one at least */
	CHECK_INT(readers_writers(2, 100), 2);
	CHECK_INT(readers_writers(10, 25), 3);
}

/* Only what grew since the first read, most first; equal blocks summed; a reset counts all. */
static void attribution_since(void)
{
	static const char before[] =
		"taker=folio-lock kind=shmem hits=50\n  shmem_fault+0x1/0x2\n  f\n\n"
		"taker=gup kind=anon hits=7\n  g\n\n"
		"taker=entry-wait kind=anon hits=3\n  e\n";
	static const char after[] =
		"taker=folio-lock kind=shmem hits=60\n  shmem_fault+0x1/0x2\n  f\n\n"
		"taker=gup kind=anon hits=7\n  g\n\n"
		"taker=pagecache-lookup kind=shmem hits=4\n  p\n\n"
		"taker=pagecache-lookup kind=shmem hits=9\n  p\n\n"
		"taker=entry-wait kind=anon hits=1\n  e\n\n"
		"taker=folio-lock kind=shmem hits=2\n  shmem_fault+0x1/0x2\n  other\n";
	struct attrib_block b[4];
	int n;

	n = attribution_delta(before, after, b, 4);
	CHECK_INT(n, 4);
	CHECK_STR(b[0].taker, "pagecache-lookup");
	CHECK_INT(b[0].hits, 13);
	CHECK_STR(b[1].taker, "folio-lock");
	CHECK_INT(b[1].hits, 10);
	CHECK_STR(b[1].frames[1], "f");
	CHECK_STR(b[2].taker, "folio-lock");
	CHECK_INT(b[2].hits, 2);
	CHECK_STR(b[3].taker, "entry-wait");	/* fell from 3 to 1: reset, 1 is new */
	CHECK_INT(b[3].hits, 1);
	CHECK_INT(attribution_delta(after, after, b, 4), 0);	/* nothing new: empty */
	CHECK_INT(attribution_delta(NULL, before, b, 2), 2);
	CHECK_INT(b[0].hits, 50);
}

/* Nodes outside the cpuset's mems are not candidates; this task may use a node with memory. */
static void nodes_allowed(void)
{
	int nodes[] = { 0, 1, 2, 3 }, mem[MIGRACE_MAX_NODES], n;
	uint64_t mask = nodes_allowed_mask();

	CHECK_INT(nodes_filter(nodes, 4, 1ull << 0 | 1ull << 2), 2);
	CHECK_INT(nodes[0], 0);
	CHECK_INT(nodes[1], 2);
	CHECK_INT(nodes_filter(nodes, 2, 1ull << 2), 1);
	CHECK_INT(nodes[0], 2);
	CHECK_INT(nodes_filter(nodes, 1, 0), 0);
	n = nodes_with_memory(mem, MIGRACE_MAX_NODES);
	CHECK(n >= 1);
	CHECK(n < 1 || nodes_filter(mem, n, mask) >= 1);
}

SUITE_DEFINE(lib,
	TAP_CASE(stats_parser_valid),
	TAP_CASE(stats_parser_malformed),
	TAP_CASE(stats_parser_repeat_and_vmstat),
	TAP_CASE(stats_file_read),
	TAP_CASE(id_lists),
	TAP_CASE(windows_parser),
	TAP_CASE(windows_aligned),
	TAP_CASE(attribution_parser),
	TAP_CASE(attribution_since),
	TAP_CASE(nodes_allowed),
	TAP_CASE(errno_names),
	TAP_CASE(debugfs_env),
	TAP_CASE(control_lines_append),
	TAP_CASE(smaps_thp),
	TAP_CASE(hotplug_blocks),
	TAP_CASE(data_pattern),
	TAP_CASE(writer_share),
);
