// SPDX-License-Identifier: GPL-2.0
/*
 * lib.c - helpers shared by the migrace driver (see lib.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

/* --- name/value maps ------------------------------------------------------ */

static struct kv *kv_find(const struct kvmap *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->items[i].name, name))
			return &m->items[i];
	return NULL;
}

int kv_set(struct kvmap *m, const char *name, uint64_t value)
{
	struct kv *kv = kv_find(m, name);

	if (kv) {
		kv->value = value;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 32;
		struct kv *items = realloc(m->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		m->items = items;
		m->cap = cap;
	}
	m->items[m->n].name = strdup(name);
	if (!m->items[m->n].name)
		return -ENOMEM;
	m->items[m->n++].value = value;
	return 0;
}

bool kv_get(const struct kvmap *m, const char *name, uint64_t *value)
{
	const struct kv *kv = kv_find(m, name);

	if (kv && value)
		*value = kv->value;
	return kv != NULL;
}

void kv_free(struct kvmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->items[i].name);
	free(m->items);
	m->items = NULL;
	m->n = m->cap = 0;
}

/* A u64 in decimal, nothing else; false on overflow or junk. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && *end == '\0';
}

/* Parse one line (NUL-terminated, no newline). 1: stored, 0: ignored, -1: bad. */
static int kv_line(char *line, struct kvmap *m, enum kv_style style)
{
	char *p = line, *name, *end;
	uint64_t v;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	name = p;
	while (*p && *p != ':' && !isspace((unsigned char)*p))
		p++;
	if (p == name || (style == KV_COLON && *p != ':') || !*p)
		return -1;
	if (style == KV_COLON && p[1] && !isspace((unsigned char)p[1]))
		return -1;
	if (style == KV_SPACE && !isspace((unsigned char)*p))
		return -1;
	*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!parse_u64(p, &v))
		return -1;
	return kv_set(m, name, v) ? -2 : 1;
}

int kv_parse(const char *text, struct kvmap *m, enum kv_style style)
{
	char *copy = strdup(text), *line, *save = NULL;
	int bad = 0, r;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		r = kv_line(line, m, style);
		if (r == -2) {
			free(copy);
			return -ENOMEM;
		}
		bad += r < 0;
	}
	free(copy);
	return bad;
}

int kv_read_file(const char *path, struct kvmap *m, enum kv_style style)
{
	char *text = read_text(path);
	int r;

	if (!text)
		return -errno;
	r = kv_parse(text, m, style);
	free(text);
	return r;
}

/* --- files ---------------------------------------------------------------- */

char *read_text(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf)
		goto err;
	while (len < MIGRACE_TEXT_MAX) {
		if (cap - len < 2) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf)
				goto err;
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto err;
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
err:
	r = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = r;
	return NULL;
}

static int write_flags(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	size_t len = strlen(text);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, text, len);
	if (r < 0)
		r = -errno;
	else if ((size_t)r != len)
		r = -EIO;
	else
		r = 0;
	close(fd);
	return r;
}

int write_text(const char *path, const char *text)
{
	return write_flags(path, text, 0);
}

int read_long(const char *path, long *value)
{
	char *text = read_text(path), *end;

	if (!text)
		return -errno;
	errno = 0;
	*value = strtol(text, &end, 0);
	if (errno || end == text) {
		free(text);
		return -EINVAL;
	}
	free(text);
	return 0;
}

/* --- NUMA ------------------------------------------------------------------ */

static bool parse_id(const char **s, long *v)
{
	char *end;

	if (!isdigit((unsigned char)**s))
		return false;
	*v = strtol(*s, &end, 10);
	*s = end;
	return *v >= 0 && *v < 1000000;
}

int parse_id_list(const char *text, int *ids, int max)
{
	const char *s = text;
	long a, b;
	int n = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (*s && *s != '\n') {
		if (!parse_id(&s, &a))
			return -1;
		b = a;
		if (*s == '-') {
			s++;
			if (!parse_id(&s, &b) || b < a)
				return -1;
		}
		for (long i = a; i <= b; i++) {
			if (n == max)
				return -1;
			ids[n++] = (int)i;
		}
		if (*s == ',')
			s++;
		else if (*s && !isspace((unsigned char)*s))
			return -1;
		else
			break;
	}
	return n;
}

static int read_id_list(const char *path, int *ids, int max)
{
	char *text = read_text(path);
	int n;

	if (!text)
		return -errno;
	n = parse_id_list(text, ids, max);
	free(text);
	return n < 0 ? -EINVAL : n;
}

int nodes_with_memory(int *nodes, int max)
{
	return read_id_list("/sys/devices/system/node/has_memory", nodes, max);
}

uint64_t nodes_allowed_mask(void)
{
	struct bitmask *mems;
	uint64_t mask = 0;

	if (numa_available() < 0)
		return ~0ull;
	mems = numa_get_mems_allowed();
	if (!mems)
		return ~0ull;
	for (int i = 0; i < MIGRACE_MAX_NODES && i < (int)mems->size; i++)
		if (numa_bitmask_isbitset(mems, i))
			mask |= 1ull << i;
	numa_bitmask_free(mems);
	return mask;
}

int nodes_filter(int *nodes, int n, uint64_t mask)
{
	int kept = 0;

	for (int i = 0; i < n; i++)
		if (nodes[i] >= 0 && nodes[i] < MIGRACE_MAX_NODES && (mask >> nodes[i] & 1))
			nodes[kept++] = nodes[i];
	return kept;
}

int online_cpus(int *cpus, int max)
{
	return read_id_list("/sys/devices/system/cpu/online", cpus, max);
}

int node_cpus(int node, int *cpus, int max)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	return read_id_list(path, cpus, max);
}

int page_nodes(void **pages, unsigned long n, int *status)
{
	if (move_pages(0, n, pages, NULL, status, 0) < 0)
		return -errno;
	return 0;
}

/* --- the module's debugfs files ---------------------------------------------- */

const char *debugfs_dir(void)
{
	const char *dir = getenv("MIGRACE_DEBUGFS");

	return dir && *dir ? dir : MIGRACE_DEBUGFS_DEFAULT;
}

const char *debugfs_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", debugfs_dir(), file);
	return buf;
}

const char *access_hint(int err)
{
	if (err == EACCES)
		return " (debugfs is root only: run as root)";
	if (err == EPERM)
		return " (kernel lockdown restricts debugfs?)";
	return "";
}

static enum module_reach denied(int err, const char *path, char *why, size_t len)
{
	snprintf(why, len, "cannot reach %s: %s (%s)%s", path, errno_name(err), strerror(err),
		 access_hint(err));
	return MODULE_DENIED;
}

/* debugfs_dir() is missing: is its parent a debugfs mount? */
static enum module_reach parent_reach(const char *dir, char *why, size_t len)
{
	char parent[512];
	struct statfs sfs;
	struct stat st;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
	if (stat(parent, &st) && (errno == EACCES || errno == EPERM))
		return denied(errno, parent, why, len);
	if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "debugfs not mounted (no %s)", parent);
		return MODULE_NO_DEBUGFS;
	}
	/* A test's $MIGRACE_DEBUGFS lives on any file system: only the default is checked. */
	if (!strcmp(dir, MIGRACE_DEBUGFS_DEFAULT) &&
	    (statfs(parent, &sfs) || sfs.f_type != DEBUGFS_MAGIC)) {
		snprintf(why, len, "debugfs not mounted at %s (mount -t debugfs none %s)",
			 parent, parent);
		return MODULE_NO_DEBUGFS;
	}
	snprintf(why, len, "module not loaded (no %s)", dir);
	return MODULE_ABSENT;
}

enum module_reach module_reach(char *why, size_t len)
{
	const char *dir = debugfs_dir();
	char scratch[1];
	struct stat st;

	if (!why) {
		why = scratch;
		len = sizeof(scratch);
	}
	why[0] = '\0';
	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return MODULE_OK;
		snprintf(why, len, "module not loaded (no %s)", dir);
		return MODULE_ABSENT;
	}
	if (errno == EACCES || errno == EPERM)
		return denied(errno, dir, why, len);
	return parent_reach(dir, why, len);
}

bool module_loaded(void)
{
	return module_reach(NULL, 0) == MODULE_OK;
}

int control_write(const char *line)
{
	char path[512];

	/* O_APPEND: no effect on debugfs, keeps every line in a test's plain file */
	return write_flags(debugfs_path(path, sizeof(path), "control"), line, O_APPEND);
}

void control_explain(int err, FILE *out)
{
	char buf[32] = "";
	FILE *f;

	if (err != -ERANGE)
		return;
	f = fopen("/sys/module/migrace/parameters/max_delay_us", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	fprintf(out, "migrace: a delay or timeout above max_delay_us=%s us is refused; "
		"raise it with: echo N > /sys/module/migrace/parameters/max_delay_us\n"
		"migrace: (max_irqoff_us caps the waits done with interrupts masked)\n",
		buf[0] ? buf : "?");
}

/* Split @line in place into at most @max blank-separated fields. */
static int split_fields(char *line, char **f, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t", &save))
		f[n++] = tok;
	return n;
}

static bool parse_yes_no(const char *s, bool *v)
{
	if (!strcmp(s, "yes"))
		*v = true;
	else if (!strcmp(s, "no"))
		*v = false;
	else
		return false;
	return true;
}

static bool win_row_parse(char *line, struct win_row *r)
{
	char *f[12];
	uint64_t *nums[] = { &r->hits, &r->widened, &r->met, &r->timeouts, &r->widen_ns };
	int n = split_fields(line, f, 12);

	memset(r, 0, sizeof(*r));
	if (n < 9 || strlen(f[0]) >= sizeof(r->name) || strlen(f[3]) >= sizeof(r->policy))
		return false;
	if (!parse_yes_no(f[1], &r->available) || !parse_yes_no(f[2], &r->armed))
		return false;
	for (int i = 0; i < 5; i++)
		if (!parse_u64(f[4 + i], nums[i]))
			return false;
	strcpy(r->name, f[0]);
	strcpy(r->policy, f[3]);
	for (int i = 9; i < n; i++) {
		size_t used = strlen(r->why);

		snprintf(r->why + used, sizeof(r->why) - used, "%s%s", used ? " " : "", f[i]);
	}
	return true;
}

int windows_parse(const char *text, struct win_row *rows, int max, int *bad)
{
	char *copy = strdup(text), *line, *save = NULL;
	int n = 0;

	*bad = 0;
	if (!copy)
		return 0;
	for (line = strtok_r(copy, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (win_row_parse(line, &rows[n]))
			n++;
		else
			(*bad)++;
	}
	free(copy);
	return n;
}

void windows_print(FILE *f, const struct win_row *rows, int n)
{
	int w = (int)strlen("window"), pw = (int)strlen("policy");

	for (int i = 0; i < n; i++) {
		if ((int)strlen(rows[i].name) > w)
			w = (int)strlen(rows[i].name);
		if ((int)strlen(rows[i].policy) > pw)
			pw = (int)strlen(rows[i].policy);
	}
	fprintf(f, "%-*s  %-9s  %-5s  %-*s  %12s  %12s  %10s  %10s  %14s\n", w, "window",
		"available", "armed", pw, "policy", "hits", "widened", "met", "timeouts",
		"widen_ns");
	for (int i = 0; i < n; i++) {
		const struct win_row *r = &rows[i];

		fprintf(f, "%-*s  %-9s  %-5s  %-*s  %12" PRIu64 "  %12" PRIu64 "  %10" PRIu64
			"  %10" PRIu64 "  %14" PRIu64 "%s%s\n", w, r->name,
			r->available ? "yes" : "no", r->armed ? "yes" : "no", pw, r->policy,
			r->hits, r->widened, r->met, r->timeouts, r->widen_ns,
			r->why[0] ? "  " : "", r->why);
	}
}

void windows_print_notes(FILE *f, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");

		if (*p == '#' && strncmp(p, "# name ", 7))
			fprintf(f, "%.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

/* `taker=X kind=Y hits=N` in any order; unknown keys are ignored. */
static bool attrib_header(char *line, struct attrib_block *b)
{
	char *f[8];
	int n = split_fields(line, f, 8);
	bool have_taker = false, have_hits = false;

	memset(b, 0, sizeof(*b));
	for (int i = 0; i < n; i++) {
		char *eq = strchr(f[i], '=');

		if (!eq)
			return false;
		*eq++ = '\0';
		if (!strcmp(f[i], "taker") && strlen(eq) < sizeof(b->taker)) {
			strcpy(b->taker, eq);
			have_taker = true;
		} else if (!strcmp(f[i], "kind") && strlen(eq) < sizeof(b->kind)) {
			strcpy(b->kind, eq);
		} else if (!strcmp(f[i], "hits")) {
			have_hits = parse_u64(eq, &b->hits);
		}
	}
	return have_taker && have_hits;
}

static void attrib_frame(struct attrib_block *b, const char *line)
{
	line += strspn(line, " \t");
	if (b->nframes < ATTRIB_FRAMES && *line)
		snprintf(b->frames[b->nframes++], sizeof(b->frames[0]), "%s", line);
}

int attribution_parse(const char *text, struct attrib_block *b, int max, int *bad)
{
	const char *p = text;
	char line[256];
	int n = 0;
	bool in_block = false, skipping = false;

	*bad = 0;
	while (*p && n <= max) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)(len < 255 ? len : 255), p);
		p += len + (p[len] == '\n');
		if (!line[strspn(line, " \t")]) {	/* blank: end of block */
			in_block = skipping = false;
			continue;
		}
		if (in_block && isspace((unsigned char)line[0])) {
			attrib_frame(&b[n - 1], line);
			continue;
		}
		if (skipping)
			continue;
		if (n == max)
			break;
		if (attrib_header(line, &b[n])) {
			n++;
			in_block = true;
		} else {
			(*bad)++;
			skipping = true;
			in_block = false;
		}
	}
	return n;
}

static bool attrib_same(const struct attrib_block *a, const struct attrib_block *b)
{
	if (strcmp(a->taker, b->taker) || strcmp(a->kind, b->kind) || a->nframes != b->nframes)
		return false;
	for (int k = 0; k < a->nframes; k++)
		if (strcmp(a->frames[k], b->frames[k]))
			return false;
	return true;
}

/* Hits of the blocks in @b[0..n) that are the same taker as @key. */
static uint64_t attrib_hits(const struct attrib_block *b, int n, const struct attrib_block *key)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (attrib_same(&b[i], key))
			sum += b[i].hits;
	return sum;
}

static int attrib_by_hits(const void *a, const void *b)
{
	uint64_t x = ((const struct attrib_block *)a)->hits;
	uint64_t y = ((const struct attrib_block *)b)->hits;

	return x < y ? 1 : x > y ? -1 : 0;
}

int attribution_delta(const char *before, const char *after, struct attrib_block *out, int max)
{
	struct attrib_block *b = calloc(ATTRIB_ALL, sizeof(*b));
	struct attrib_block *a = calloc(ATTRIB_ALL, sizeof(*a));
	struct attrib_block *d = calloc(ATTRIB_ALL, sizeof(*d));
	int nb = 0, na, n = -ENOMEM, bad;

	if (!a || !b || !d)
		goto out;
	if (before)
		nb = attribution_parse(before, b, ATTRIB_ALL, &bad);
	na = attribution_parse(after, a, ATTRIB_ALL, &bad);
	n = 0;
	for (int i = 0; i < na; i++) {
		uint64_t now, was;

		if (attrib_hits(a, i, &a[i]))	/* an equal block before it counted it */
			continue;
		now = attrib_hits(a, na, &a[i]);
		was = attrib_hits(b, nb, &a[i]);
		d[n] = a[i];
		d[n].hits = now >= was ? now - was : now;
		n += d[n].hits > 0;
	}
	qsort(d, n, sizeof(*d), attrib_by_hits);
	n = n < max ? n : max;
	memcpy(out, d, n * sizeof(*d));
out:
	free(a);
	free(b);
	free(d);
	return n;
}

/* --- misc -------------------------------------------------------------------- */

const char *errno_name(int err)
{
	static __thread char buf[16];
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}
