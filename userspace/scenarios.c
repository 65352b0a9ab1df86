// SPDX-License-Identifier: GPL-2.0
/*
 * scenarios.c - set up (and undo) the pages of each scenario:
 *   shared-anon   MAP_SHARED|MAP_ANONYMOUS, forked readers (the race case)
 *   private-anon  MAP_PRIVATE|MAP_ANONYMOUS, reader threads (negative control)
 *   thp           2 MiB aligned private anon + MADV_HUGEPAGE, reader threads
 *   shmem-file    a memfd; forked readers map it MAP_SHARED themselves
 *   hugetlb       MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB, forked readers
 *   hot-remove    shared anon on node B, whose memory block goes offline
 *                 (an online ZONE_MOVABLE block, else an offline hotplugged one
 *                 onlined movable for the run and offlined again after)
 *   deferred-split  thp with the last base page of each THP unmapped (partially
 *                 mapped: queued for deferred split), reader threads; needs root
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib.h"
#include "readers.h"
#include "scenarios.h"

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_PMD_SIZE	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
#define MEMORY_SYSFS	"/sys/devices/system/memory"
#define HOTPLUG_PROBE_TIMEOUT_S	5
#define HOTPLUG_MAX_CANDIDATES	16
#define HOTPLUG_RESTORE_TIMEOUT_S	10

static int skip(char *reason, size_t len, const char *fmt, const char *arg)
{
	snprintf(reason, len, fmt, arg);
	return EXIT_SKIP;
}

static int fail_errno(char *reason, size_t len, const char *what)
{
	snprintf(reason, len, "%s: %s", what, strerror(errno));
	return EXIT_FAIL;
}

static int map_anon(struct scenario_mem *m, int flags, size_t align, char *reason, size_t len)
{
	uintptr_t start;

	m->len = m->unit * m->npages;
	m->raw_len = m->len + (align > 1 ? align : 0);
	m->raw = mmap(NULL, m->raw_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m->raw == MAP_FAILED) {
		m->raw = NULL;
		return fail_errno(reason, len, "mmap");
	}
	start = (uintptr_t)m->raw;
	if (align > 1)
		start = (start + align - 1) & ~(uintptr_t)(align - 1);
	m->base = (char *)start;
	return 0;
}

/* --- thp ------------------------------------------------------------------------ */

long smaps_anon_huge_kb(const char *smaps, uintptr_t addr)
{
	const char *p = smaps;
	bool inside = false;

	while (*p) {
		unsigned long lo, hi, kb;

		if (sscanf(p, "%lx-%lx ", &lo, &hi) == 2)
			inside = addr >= lo && addr < hi;
		else if (inside && sscanf(p, "AnonHugePages: %lu kB", &kb) == 1)
			return (long)kb;
		p += strcspn(p, "\n");
		p += *p == '\n';
	}
	return -1;
}

static int thp_check(struct scenario_mem *m, char *reason, size_t len)
{
	char *smaps = read_text("/proc/self/smaps");
	long kb = smaps ? smaps_anon_huge_kb(smaps, (uintptr_t)m->base) : -1;
	long want = (long)(m->len / 1024);
	char got[32];

	free(smaps);
	if (kb >= want)
		return 0;
	snprintf(got, sizeof(got), "%ld", kb < 0 ? 0 : kb);
	snprintf(reason, len, "THP not allocated (AnonHugePages %s of %ld kB)", got, want);
	return EXIT_SKIP;
}

/* THP enabled ("always" or "madvise")? Return: 0 or EXIT_SKIP with @reason. */
static int thp_enabled(char *reason, size_t len)
{
	char *enabled = read_text(THP_ENABLED);
	int never;

	if (!enabled)
		return skip(reason, len, "THP unavailable (no %s)", THP_ENABLED);
	never = strstr(enabled, "[never]") != NULL;
	free(enabled);
	if (never)
		return skip(reason, len, "THP disabled (%s: never)", THP_ENABLED);
	return 0;
}

/* 2 MiB (the PMD size) aligned private anon, MADV_HUGEPAGE, filled, all THP. */
static int setup_thp(struct scenario_mem *m, char *reason, size_t len)
{
	long pmd = 2 << 20;
	int r;

	r = thp_enabled(reason, len);
	if (r)
		return r;
	read_long(THP_PMD_SIZE, &pmd);
	m->unit = (size_t)pmd;
	r = map_anon(m, MAP_PRIVATE | MAP_ANONYMOUS, m->unit, reason, len);
	if (r)
		return r;
	if (madvise(m->base, m->len, MADV_HUGEPAGE))
		return skip(reason, len, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	pattern_fill(m->base, m->unit, m->npages);
	return thp_check(m, reason, len);
}

/* --- deferred-split --------------------------------------------------------------- */

int drop_caches_slab(void)
{
	return write_text(DROP_CACHES, "2\n");
}

int unit_is_thp(const struct scenario_mem *m, size_t p)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t addr = (uintptr_t)(m->base + p * m->unit);
	uint64_t e, pfn, flags;

	if (m->pagemap_fd < 0 || m->kpageflags_fd < 0)
		return -EBADF;
	if (pread(m->pagemap_fd, &e, sizeof(e), (off_t)(addr / psz * sizeof(e))) != sizeof(e))
		return -EIO;
	if (!(e >> 63))
		return -ENOENT;		/* not present: swapped, or a migration entry */
	pfn = e & ((1ull << 55) - 1);
	if (!pfn)
		return -EPERM;
	if (pread(m->kpageflags_fd, &flags, sizeof(flags), (off_t)(pfn * sizeof(flags))) !=
	    sizeof(flags))
		return -EIO;
	return kpageflags_thp(flags);
}

/* Unmap the unit's last base page: the THP becomes partially mapped. */
static int drop_tail(struct scenario_mem *m, size_t p)
{
	return madvise(m->base + p * m->unit + m->live, m->unit - m->live, MADV_DONTNEED) ?
		-errno : 0;
}

int unit_recreate(struct scenario_mem *m, size_t p, uint64_t gen)
{
	char *u = m->base + p * m->unit;
	int thp;

	if (mmap(u, m->unit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return -errno;
	madvise(u, m->unit, MADV_HUGEPAGE);	/* no THP without it: -EAGAIN below */
	pattern_fill_unit(u, p, m->unit, m->live, gen);
	thp = unit_is_thp(m, p);
	drop_tail(m, p);
	return thp == 1 ? 0 : -EAGAIN;
}

static int setup_deferred_split(struct scenario_mem *m, char *reason, size_t len)
{
	char what[160];
	int r;

	r = thp_enabled(reason, len);
	if (r)
		return r;
	r = drop_caches_slab();
	if (r) {
		snprintf(what, sizeof(what), "%s: %s (%s)", DROP_CACHES, errno_name(-r),
			 strerror(-r));
		return skip(reason, len, "deferred-split needs root to write %s", what);
	}
	m->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	m->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (m->pagemap_fd < 0 || m->kpageflags_fd < 0)
		return skip(reason, len, "cannot tell THPs from base pages (%s)", strerror(errno));
	r = setup_thp(m, reason, len);
	if (r)
		return r;
	m->live = m->unit - (size_t)sysconf(_SC_PAGESIZE);
	for (size_t p = 0; p < m->npages; p++) {
		r = unit_is_thp(m, p);
		if (r < 0) {
			snprintf(what, sizeof(what), "/proc/kpageflags of unit %zu: %s", p,
				 errno_name(-r));
			return skip(reason, len, "cannot tell THPs from base pages (%s)", what);
		}
		if (!r)
			return skip(reason, len, "THP not allocated (%s)", "kpageflags: no THP");
		r = drop_tail(m, p);
		if (r)
			return fail_errno(reason, len, "madvise(MADV_DONTNEED) of a THP's last page");
	}
	m->gated = true;
	return 0;
}

/* --- hugetlb -------------------------------------------------------------------- */

static long meminfo_kb(const char *name)
{
	char *text = read_text("/proc/meminfo"), *p;
	long kb = -1;

	p = text ? strstr(text, name) : NULL;
	if (p)
		sscanf(p + strlen(name), ": %ld", &kb);
	free(text);
	return kb;
}

/* Make @need huge pages free on @node; remember the old count to restore. */
static int hugetlb_reserve(struct scenario_mem *m, int node, long need, long kb)
{
	char dir[128], path[160];
	long nr, free_pages, got;

	snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%d/hugepages/hugepages-%ldkB",
		 node, kb);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	if (read_long(path, &free_pages))
		return -ENOENT;
	if (free_pages >= need)
		return 0;
	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	if (read_long(path, &nr))
		return -ENOENT;
	snprintf(m->hp_file[m->hp_changed], sizeof(m->hp_file[0]), "%s", path);
	m->hp_orig[m->hp_changed++] = nr;
	snprintf(dir, sizeof(dir), "%ld\n", nr + need - free_pages);
	if (write_text(path, dir) || read_long(path, &got) || got < nr + need - free_pages)
		return -ENOMEM;
	return 0;
}

static int setup_hugetlb(struct scenario_mem *m, int a, int b, char *reason, size_t len)
{
	long kb = meminfo_kb("Hugepagesize");
	int nodes[2] = { a, b };
	char what[64];

	if (kb <= 0)
		return skip(reason, len, "hugetlb unavailable (%s)", "no Hugepagesize in /proc/meminfo");
	m->unit = (size_t)kb * 1024;
	for (int i = 0; i < 2; i++) {
		if (hugetlb_reserve(m, nodes[i], (long)m->npages, kb)) {
			snprintf(what, sizeof(what), "%zu huge pages of %ld kB on node %d",
				 m->npages, kb, nodes[i]);
			return skip(reason, len, "could not reserve %s", what);
		}
	}
	if (map_anon(m, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, 0, reason, len))
		return skip(reason, len, "mmap(MAP_HUGETLB): %s", strerror(errno));
	pattern_fill(m->base, m->unit, m->npages);
	return 0;
}

static void hugetlb_restore(struct scenario_mem *m)
{
	char buf[32];

	while (m->hp_changed > 0) {
		m->hp_changed--;
		snprintf(buf, sizeof(buf), "%ld\n", m->hp_orig[m->hp_changed]);
		if (write_text(m->hp_file[m->hp_changed], buf))
			fprintf(stderr, "migrace: could not restore %s to %ld\n",
				m->hp_file[m->hp_changed], m->hp_orig[m->hp_changed]);
	}
}

/* --- shmem-file ------------------------------------------------------------------- */

static int setup_memfd(struct scenario_mem *m, char *reason, size_t len)
{
	m->unit = (size_t)sysconf(_SC_PAGESIZE);
	m->len = m->raw_len = m->unit * m->npages;
	m->memfd = memfd_create("migrace", MFD_CLOEXEC);
	if (m->memfd < 0)
		return fail_errno(reason, len, "memfd_create");
	if (ftruncate(m->memfd, (off_t)m->len))
		return fail_errno(reason, len, "ftruncate(memfd)");
	m->raw = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd, 0);
	if (m->raw == MAP_FAILED) {
		m->raw = NULL;
		return fail_errno(reason, len, "mmap(memfd)");
	}
	m->base = m->raw;
	pattern_fill(m->base, m->unit, m->npages);
	return 0;
}

/* --- hot-remove --------------------------------------------------------------------- */

static void on_alarm(int sig)
{
	(void)sig;	/* only interrupts the blocked write */
}

int hotplug_set_state(const char *block, const char *state, double timeout_s)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { 0 }, off = { 0 };
	char path[160];
	int r;

	snprintf(path, sizeof(path), "%s/state", block);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: the write returns EINTR */
	it.it_value.tv_sec = (time_t)timeout_s;
	it.it_value.tv_usec = (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6);
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
	r = write_text(path, state);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	return r;
}

int hotplug_online(const char *block, double timeout_s)
{
	int r = hotplug_set_state(block, "online_movable", timeout_s);

	return r ? hotplug_set_state(block, "online", timeout_s) : 0;
}

static char *block_attr(const char *block, const char *attr)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", block, attr);
	return read_text(path);
}

enum block_kind hotplug_block_kind(const char *block, int node)
{
	char path[192], *state, *zones;
	long removable = 1;
	enum block_kind kind = BLOCK_NO;

	snprintf(path, sizeof(path), "%s/node%d", block, node);
	if (access(path, F_OK))
		return BLOCK_NO;
	snprintf(path, sizeof(path), "%s/removable", block);
	read_long(path, &removable);	/* absent on recent kernels: try anyway */
	state = block_attr(block, "state");
	zones = block_attr(block, "valid_zones");
	if (state && !strncmp(state, "online", 6) && zones && strstr(zones, "Movable"))
		kind = BLOCK_ONLINE_MOVABLE;
	else if (state && !strncmp(state, "offline", 7))
		kind = BLOCK_OFFLINE;
	free(state);
	free(zones);
	return removable == 1 ? kind : BLOCK_NO;
}

/* Online (movable) if needed, then check the block goes offline and comes back. */
static int block_try(const char *block, enum block_kind kind)
{
	int r;

	if (kind == BLOCK_OFFLINE) {
		r = hotplug_set_state(block, "online_movable", HOTPLUG_PROBE_TIMEOUT_S);
		if (r)
			return r;
	}
	r = hotplug_set_state(block, "offline", HOTPLUG_PROBE_TIMEOUT_S);
	if (r) {
		if (kind == BLOCK_OFFLINE)
			fprintf(stderr, "migrace: %s was offline, onlined to try it, and cannot "
				"go offline again: %s\n", block, strerror(-r));
		return r;
	}
	r = hotplug_online(block, HOTPLUG_PROBE_TIMEOUT_S);
	if (r)
		fprintf(stderr, "migrace: %s went offline but not online again: %s\n",
			block, strerror(-r));
	return r;
}

/* One pass over the memory blocks for candidates of @want. */
static int find_pass(struct scenario_mem *m, DIR *d, int node, enum block_kind want,
		     int *tried, int *last)
{
	struct dirent *e;
	char block[96];

	rewinddir(d);
	while ((e = readdir(d)) && *tried < HOTPLUG_MAX_CANDIDATES) {
		if (strncmp(e->d_name, "memory", 6) || !e->d_name[6] ||
		    !strchr("0123456789", e->d_name[6]))
			continue;
		snprintf(block, sizeof(block), "%s/%.40s", MEMORY_SYSFS, e->d_name);
		if (hotplug_block_kind(block, node) != want)
			continue;
		(*tried)++;
		*last = block_try(block, want);
		if (!*last) {
			snprintf(m->block, sizeof(m->block), "%s", block);
			m->block_id = strtol(e->d_name + 6, NULL, 10);
			m->block_was_offline = want == BLOCK_OFFLINE;
			return 0;
		}
	}
	return -ENOENT;
}

/* Online movable blocks first, then offline (hotplugged) ones, onlined movable. */
static int find_block(struct scenario_mem *m, int node, char *reason, size_t len)
{
	DIR *d = opendir(MEMORY_SYSFS);
	int tried = 0, last = 0, r;
	char what[96];

	if (!d)
		return skip(reason, len, "no memory hotplug (%s)", MEMORY_SYSFS);
	r = find_pass(m, d, node, BLOCK_ONLINE_MOVABLE, &tried, &last);
	if (r)
		r = find_pass(m, d, node, BLOCK_OFFLINE, &tried, &last);
	closedir(d);
	if (!r)
		return 0;
	snprintf(what, sizeof(what), "node %d (%d tried%s%s)", node, tried,
		 tried ? ", last: " : "", tried ? errno_name(-last) : "");
	return skip(reason, len, "no movable or offline memory block can be offlined on %s",
		    what);
}

/* Leave the block as found: online, or offline if it was offline. */
static void block_restore(struct scenario_mem *m)
{
	char *state;

	if (!m->block[0])
		return;
	if (m->block_was_offline) {
		hotplug_set_state(m->block, "offline", HOTPLUG_RESTORE_TIMEOUT_S);
	} else {
		state = block_attr(m->block, "state");
		if (state && !strncmp(state, "offline", 7))
			hotplug_online(m->block, HOTPLUG_RESTORE_TIMEOUT_S);
		free(state);
	}
	m->block[0] = '\0';
}

static int setup_hot_remove(struct scenario_mem *m, int b, char *reason, size_t len)
{
	char *hex = read_text(MEMORY_SYSFS "/block_size_bytes");	/* hex, no 0x */
	unsigned long long bytes = hex ? strtoull(hex, NULL, 16) : 0;
	int r;

	free(hex);
	if (!bytes)
		return skip(reason, len, "no memory hotplug (%s)", MEMORY_SYSFS "/block_size_bytes");
	m->block_bytes = (uint64_t)bytes;
	r = find_block(m, b, reason, len);
	if (r)
		return r;
	m->unit = (size_t)sysconf(_SC_PAGESIZE);
	r = map_anon(m, MAP_SHARED | MAP_ANONYMOUS, 0, reason, len);
	if (!r)
		pattern_fill(m->base, m->unit, m->npages);
	return r;
}

long units_in_block(const struct scenario_mem *m)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	long n = 0;

	if (fd < 0 || !m->block_bytes)
		return fd < 0 ? -errno : -EINVAL;
	for (size_t p = 0; p < m->npages; p++) {
		uint64_t e, pfn;
		off_t off = (off_t)((uintptr_t)(m->base + p * m->unit) / psz * sizeof(e));

		if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e >> 63))
			continue;
		pfn = e & ((1ull << 55) - 1);
		n += pfn && (long)(pfn * psz / m->block_bytes) == m->block_id;
	}
	close(fd);
	return n;
}

/* --- all ----------------------------------------------------------------------------- */

int scenario_setup(struct scenario_mem *m, const struct run_opts *o, int a, int b,
		   char *reason, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->id = o->scenario;
	m->npages = o->pages;
	m->memfd = m->pagemap_fd = m->kpageflags_fd = -1;
	m->fork_readers = o->scenario != SC_PRIVATE_ANON && o->scenario != SC_THP &&
			  o->scenario != SC_DEFERRED_SPLIT;
	m->unit = (size_t)sysconf(_SC_PAGESIZE);
	switch (o->scenario) {
	case SC_THP:
		return setup_thp(m, reason, len);
	case SC_DEFERRED_SPLIT:
		return setup_deferred_split(m, reason, len);
	case SC_HUGETLB:
		return setup_hugetlb(m, a, b, reason, len);
	case SC_SHMEM_FILE:
		return setup_memfd(m, reason, len);
	case SC_HOT_REMOVE:
		return setup_hot_remove(m, b, reason, len);
	case SC_PRIVATE_ANON:
		if (map_anon(m, MAP_PRIVATE | MAP_ANONYMOUS, 0, reason, len))
			return EXIT_FAIL;
		break;
	default:
		if (map_anon(m, MAP_SHARED | MAP_ANONYMOUS, 0, reason, len))
			return EXIT_FAIL;
		break;
	}
	pattern_fill(m->base, m->unit, m->npages);
	return 0;
}

void scenario_teardown(struct scenario_mem *m)
{
	if (m->raw)
		munmap(m->raw, m->raw_len);
	if (m->memfd >= 0)
		close(m->memfd);
	if (m->pagemap_fd >= 0)
		close(m->pagemap_fd);
	if (m->kpageflags_fd >= 0)
		close(m->kpageflags_fd);
	m->raw = NULL;
	m->memfd = m->pagemap_fd = m->kpageflags_fd = -1;
	hugetlb_restore(m);
	block_restore(m);
}

void **scenario_pages(const struct scenario_mem *m)
{
	void **pages = calloc(m->npages, sizeof(*pages));

	for (size_t i = 0; pages && i < m->npages; i++)
		pages[i] = m->base + i * m->unit;
	return pages;
}
