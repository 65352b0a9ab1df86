/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib.h - helpers shared by the migrace driver: reading the module's
 * debugfs files (`name: value` stats, the windows table, attribution
 * blocks), writing control lines, NUMA discovery and page-node queries.
 */
#ifndef MIGRACE_LIB_H
#define MIGRACE_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MIGRACE_MAX_NODES	64
#define MIGRACE_DEBUGFS_DEFAULT	"/sys/kernel/debug/migrace"
#define MIGRACE_TEXT_MAX	(1 << 20)	/* largest debugfs/sysfs file read */

/* --- name/value maps ------------------------------------------------------ */

/** enum kv_style - `name: value` (module stats) or `name value` (/proc/vmstat) */
enum kv_style { KV_COLON, KV_SPACE };

struct kv {
	char *name;
	uint64_t value;
};

/** struct kvmap - name/value pairs in file order; a repeated name keeps the last value */
struct kvmap {
	struct kv *items;
	size_t n, cap;
};

/**
 * kv_parse() - add every well-formed line of @text to @m
 * Blank lines and lines starting with `#` are ignored. Return: the number of
 * malformed lines (skipped), or -ENOMEM.
 */
int kv_parse(const char *text, struct kvmap *m, enum kv_style style);
bool kv_get(const struct kvmap *m, const char *name, uint64_t *value);
int kv_set(struct kvmap *m, const char *name, uint64_t value);
void kv_free(struct kvmap *m);
/** kv_read_file() - kv_parse() a file; Return: malformed lines or -errno */
int kv_read_file(const char *path, struct kvmap *m, enum kv_style style);

/* --- files ---------------------------------------------------------------- */

/** read_text() - whole file, NUL-terminated, malloc'd; NULL with errno set */
char *read_text(const char *path);
/** write_text() - one write(2) of @text; Return: 0 or -errno */
int write_text(const char *path, const char *text);
/** read_long() - first integer in a file; Return: 0 or -errno */
int read_long(const char *path, long *value);

/* --- NUMA ------------------------------------------------------------------ */

/**
 * parse_id_list() - parse a sysfs list such as `0-2,5` into @ids
 * Return: the number of ids, or -1 if malformed or longer than @max.
 */
int parse_id_list(const char *text, int *ids, int max);
/** nodes_with_memory() - ids in /sys/devices/system/node/has_memory; -errno on error */
int nodes_with_memory(int *nodes, int max);
/**
 * nodes_allowed_mask() - this task's allowed memory nodes (its cpuset's mems,
 * libnuma's numa_get_mems_allowed()), bit N for node N; all bits when libnuma
 * cannot tell (no NUMA support)
 */
uint64_t nodes_allowed_mask(void);
/** nodes_filter() - keep, in order, the @n ids of @nodes set in @mask; Return: how many */
int nodes_filter(int *nodes, int n, uint64_t mask);
/** online_cpus() - ids in /sys/devices/system/cpu/online; -errno on error */
int online_cpus(int *cpus, int max);
/** node_cpus() - the CPUs of @node (its cpulist); -errno on error */
int node_cpus(int node, int *cpus, int max);
/**
 * page_nodes() - ask move_pages(nodes=NULL) where each page is
 * @status: per page, a node id or a negative errno
 * Return: 0 or -errno.
 */
int page_nodes(void **pages, unsigned long n, int *status);

/* --- the module's debugfs files ---------------------------------------------- */

/** debugfs_dir() - $MIGRACE_DEBUGFS or /sys/kernel/debug/migrace */
const char *debugfs_dir(void);
/** debugfs_path() - debugfs_dir()/@file into @buf */
const char *debugfs_path(char *buf, size_t len, const char *file);
/** enum module_reach - can the module's debugfs directory be used, and if not, why */
enum module_reach {
	MODULE_OK,		/* the directory is there */
	MODULE_ABSENT,		/* debugfs mounted, no migrace directory: module not loaded */
	MODULE_NO_DEBUGFS,	/* debugfs not mounted (with $MIGRACE_DEBUGFS: its parent missing) */
	MODULE_DENIED,		/* EACCES/EPERM on the way: not root, or kernel lockdown */
};

/**
 * module_reach() - look at debugfs_dir() and its parent
 * @why: when not MODULE_OK, one line saying why (no newline); may be NULL
 * "module not loaded (no DIR)" is kept word for word (scripts grep it).
 */
enum module_reach module_reach(char *why, size_t len);
/** module_loaded() - module_reach() == MODULE_OK */
bool module_loaded(void);
/** access_hint() - after EACCES/EPERM on a debugfs file: ": run as root" or lockdown */
const char *access_hint(int err);
/** control_write() - write one control line; Return: 0 or -errno */
int control_write(const char *line);
/** control_explain() - after a refused control line: what bound, what raises it */
void control_explain(int err, FILE *out);

#define WIN_NAME_LEN	32

/** struct win_row - one row of the `windows` file */
struct win_row {
	char name[WIN_NAME_LEN];
	bool available, armed;
	char policy[48];
	uint64_t hits, widened, met, timeouts, widen_ns;
	char why[96];		/* empty unless unavailable */
};

/**
 * windows_parse() - parse the `windows` table into at most @max rows
 * @bad: set to the number of malformed lines (skipped)
 * Return: the number of rows.
 */
int windows_parse(const char *text, struct win_row *rows, int max, int *bad);
/** windows_print() - the table with aligned columns */
void windows_print(FILE *f, const struct win_row *rows, int n);
/**
 * windows_print_notes() - the module's `# ` lines after the rows (what each
 * window widens, where, why, which kernels), as they are; not the header
 */
void windows_print_notes(FILE *f, const char *text);

#define ATTRIB_FRAMES	8

/** struct attrib_block - one block of the `attribution` file */
struct attrib_block {
	char taker[32];
	char kind[16];
	uint64_t hits;
	int nframes;
	char frames[ATTRIB_FRAMES][96];
};

/**
 * attribution_parse() - the first @max blocks of the `attribution` file
 * @bad: set to the number of blocks without a valid header (skipped)
 * Return: the number of blocks stored.
 */
int attribution_parse(const char *text, struct attrib_block *b, int max, int *bad);

#define ATTRIB_ALL	256	/* blocks read for a delta (the module keeps 64) */

/**
 * attribution_delta() - what @after's blocks gained since @before
 * Blocks are one taker when taker, kind and the frames shown are equal (their
 * hits summed); a taker whose hits fell (a reset in between) counts all of its
 * hits. @before may be NULL (everything is new).
 * Return: the number of blocks in @out (at most @max, most hits first), or -ENOMEM.
 */
int attribution_delta(const char *before, const char *after, struct attrib_block *out, int max);

/* --- misc -------------------------------------------------------------------- */

/** errno_name() - "EBUSY" for EBUSY; "E<n>" when unknown (static buffer) */
const char *errno_name(int err);
/** now_s() - CLOCK_MONOTONIC seconds */
double now_s(void);
/** sleep_s() - nanosleep for @s seconds */
void sleep_s(double s);

#endif /* MIGRACE_LIB_H */
