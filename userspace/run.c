// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - `migrace run SCENARIO`: set up the pages, start the readers, arm
 * the module's windows (when loaded and asked), migrate until the deadline,
 * then undo everything in reverse and report.
 *
 * Every phase is bounded by CLOCK_MONOTONIC; SIGINT/SIGTERM end the
 * migrating phase early and the run still cleans up and reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dsplit.h"
#include "lib.h"
#include "migrator.h"
#include "readers.h"
#include "report.h"
#include "run.h"
#include "scenarios.h"

#define READER_DEADLINE_SLACK_S	10.0	/* readers outlive the run by at most this */
#define HOTPLUG_TIMEOUT_S	10.0	/* per offline/online write */
#define HOTPLUG_MIN_S		1.0	/* an offline write's least bound */
#define PROGRESS_EVERY_S	0.5
#define MAX_CPUS		1024
#define MAX_WINDOW_ROWS		64

static volatile sig_atomic_t run_signal;

static void on_signal(int sig)
{
	run_signal = sig;
}

struct run {
	struct run_opts o;
	struct report r;
	struct scenario_mem mem;
	struct readers rd;
	struct migrator mg;
	struct dsplit ds;		/* deferred-split's shrinker thread */
	void **pages;
	int cpus[MAX_CPUS], ncpus;	/* readers' CPUs with --cpu-pin */
	bool targeted;			/* we wrote `target`: clear it */
	bool armed;			/* we armed windows: disarm */
	int tty;
	pid_t old_fg;
	struct kvmap vm_before;
	char *attrib_before;		/* the module's attribution file before the run */
	FILE *json;			/* --json, opened before the run; stdout for "-" */
	char *json_tmp;			/* a regular file: written here, renamed onto --json */
	double t0, next_progress;
	uint64_t stray_before;
	bool progress;
};

/* --- set-up --------------------------------------------------------------------------- */

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t pick_seed(const struct run_opts *o)
{
	uint64_t s;

	if (o->seed_set)
		return o->seed;
	s = (uint64_t)(now_s() * 1e9) ^ ((uint64_t)getpid() << 32);
	return s % 1000000000000ull;	/* short enough to retype */
}

/*
 * MIGRACE_TEST_SAME_NODE=1 on a one-node machine: node 0 is both A and B, so
 * the host tests can drive a whole run (every attempt then fails: the page
 * is already there). Never for scenarios that change the system.
 */
static bool same_node_mode(struct run *x)
{
	const char *env = getenv("MIGRACE_TEST_SAME_NODE");
	int nodes[1];

	if (!env || strcmp(env, "1") || x->o.nodes_set)
		return false;
	if (x->o.scenario == SC_HUGETLB || x->o.scenario == SC_HOT_REMOVE)
		return false;
	if (nodes_with_memory(nodes, 1) != 1)
		return false;
	x->r.node_a = x->r.node_b = nodes[0];
	fprintf(stderr, "migrace: MIGRACE_TEST_SAME_NODE: node %d is both A and B\n", nodes[0]);
	return true;
}

static int skip_nodes(struct run *x, const char *fmt, int a, int b, int c)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, a, b, c);
	report_skip(&x->r, msg);
	return EXIT_SKIP;
}

/*
 * The pair: nodes with memory that this task's cpuset allows (a node it may
 * not use fails every move_pages() call with EACCES, which is no race).
 */
static int pick_nodes(struct run *x)
{
	int nodes[MIGRACE_MAX_NODES], n = nodes_with_memory(nodes, MIGRACE_MAX_NODES);
	uint64_t allowed = nodes_allowed_mask();
	int usable;

	x->r.nodes_found = n < 0 ? 0 : n;
	if (n == 1 && same_node_mode(x))
		return 0;
	if (n < 2)
		return skip_nodes(x, "need 2 NUMA nodes, found %d", n < 0 ? 0 : n, 0, 0);
	for (int k = 0; x->o.nodes_set && k < 2; k++) {
		int want = x->o.nodes[k], i;

		for (i = 0; i < n && nodes[i] != want; i++)
			;
		if (i == n)
			return skip_nodes(x, "node %d has no memory", want, 0, 0);
		if (!(allowed >> want & 1))
			return skip_nodes(x, "node %d is not in this task's allowed memory nodes "
					  "(cpuset mems)", want, 0, 0);
	}
	usable = nodes_filter(nodes, n, allowed);
	if (usable < 2)
		return skip_nodes(x, "need 2 NUMA nodes, found %d with memory, %d of them allowed by "
				  "this task's cpuset (mems)", n, usable, 0);
	x->r.node_a = x->o.nodes_set ? x->o.nodes[0] : nodes[0];
	x->r.node_b = x->o.nodes_set ? x->o.nodes[1] : nodes[1];
	return 0;
}

/* --cpu-pin: the migrator on a CPU of node A, readers on the other CPUs. */
static void pin_cpus(struct run *x)
{
	int node[MAX_CPUS], all[MAX_CPUS], nn, na;
	cpu_set_t set;

	nn = node_cpus(x->r.node_a, node, MAX_CPUS);
	na = online_cpus(all, MAX_CPUS);
	if (nn <= 0 || na <= 0) {
		fprintf(stderr, "migrace: --cpu-pin: no CPU list for node %d, not pinning\n",
			x->r.node_a);
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(node[0], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "migrace: --cpu-pin: %s\n", strerror(errno));
	for (int i = 0; i < na; i++)
		if (all[i] != node[0] || na == 1)
			x->cpus[x->ncpus++] = all[i];
}

/* The run is a process group of its own (readers included): `target pgid` covers it. */
static void become_group_leader(struct run *x)
{
	pid_t pg = getpgrp();
	sigset_t ttou, old;

	x->tty = -1;
	if (pg == getpid())
		return;
	x->tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (setpgid(0, 0))
		return;
	if (x->tty >= 0 && tcgetpgrp(x->tty) == pg) {	/* stay in the foreground */
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		sigprocmask(SIG_BLOCK, &ttou, &old);
		if (!tcsetpgrp(x->tty, getpid()))
			x->old_fg = pg;
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

static void restore_group(struct run *x)
{
	sigset_t ttou, old;

	if (x->old_fg > 0) {
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		sigprocmask(SIG_BLOCK, &ttou, &old);
		tcsetpgrp(x->tty, x->old_fg);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (x->tty >= 0)
		close(x->tty);
	x->tty = -1;
}

/* --- the module ---------------------------------------------------------------------------- */

static int module_stats(struct kvmap *m)
{
	char path[512];

	return kv_read_file(debugfs_path(path, sizeof(path), "stats"), m, KV_COLON);
}

static int control(const char *line)
{
	char path[512];
	int e = control_write(line);

	if (e == -EACCES || e == -EPERM) {
		fprintf(stderr, "migrace: cannot write %s: %s (%s)%s\n",
			debugfs_path(path, sizeof(path), "control"), errno_name(-e), strerror(-e),
			access_hint(-e));
	} else if (e) {
		fprintf(stderr, "migrace: control: '%.*s' rejected: %s (%s)\n",
			(int)strcspn(line, "\n"), line, errno_name(-e), strerror(-e));
		control_explain(e, stderr);
	}
	return e;
}

/*
 * `target pgid <ours>`, then one `arm` line per --window.
 * Return: 0, EXIT_SKIP (a window refused as unavailable: report set) or EXIT_USAGE.
 */
static int module_arm(struct run *x)
{
	char line[POLICY_LEN + 64], reason[96];
	int e;

	snprintf(line, sizeof(line), "target pgid %d\n", (int)getpgrp());
	if (control(line))
		return EXIT_USAGE;
	x->targeted = true;
	for (int i = 0; i < x->o.nwindows; i++) {
		snprintf(line, sizeof(line), "arm %s%s%s\n", x->o.windows[i],
			 x->o.policy[0] ? " " : "", x->o.policy);
		x->armed = true;
		e = control(line);
		if (e == -ENOENT) {	/* unavailable after all: a skip, reported */
			snprintf(reason, sizeof(reason), "window %s unavailable on this kernel "
				 "(arm: ENOENT)", x->o.windows[i]);
			report_skip(&x->r, reason);
			return EXIT_SKIP;
		}
		if (e)
			return EXIT_USAGE;
	}
	return 0;
}

static void module_disarm(struct run *x)
{
	if (x->armed)
		control("disarm all\n");
	if (x->targeted)
		control("target clear\n");
	x->armed = x->targeted = false;
}

static void module_before(struct run *x)
{
	struct module_report *m = &x->r.mod;
	char path[512];

	m->loaded = module_reach(m->error, sizeof(m->error)) == MODULE_OK;
	if (!m->loaded) {
		if (strncmp(m->error, "cannot reach", 12))
			m->error[0] = '\0';	/* not loaded: "not loaded" says it */
		return;
	}
	m->stats_ok = module_stats(&m->before) >= 0;
	if (!m->stats_ok)
		snprintf(m->error, sizeof(m->error), "cannot read %s/stats", debugfs_dir());
	kv_get(&m->before, "stray_refs", &x->stray_before);
	x->attrib_before = read_text(debugfs_path(path, sizeof(path), "attribution"));
}

static void module_after(struct run *x)
{
	struct module_report *m = &x->r.mod;
	char path[512], *text;
	int n = 0;

	if (!m->loaded)
		return;
	m->stats_ok = m->stats_ok && module_stats(&m->after) >= 0;
	/* this run's share only: the module's table is cumulative and other users keep it */
	text = read_text(debugfs_path(path, sizeof(path), "attribution"));
	if (text)
		n = attribution_delta(x->attrib_before, text, m->attrib, REPORT_ATTRIB_TOP);
	m->nattrib = n > 0 ? n : 0;
	if (!text || n < 0)
		snprintf(m->error, sizeof(m->error), "cannot read %s/attribution", debugfs_dir());
	free(text);
}

/*
 * --window with the module out of reach for lack of permission: a usage
 * error (run as root), before anything is set up. Other reasons are a skip
 * with a report (prepare()).
 */
static int module_permitted(const struct run_opts *o)
{
	char why[640];

	if (!o->nwindows || module_reach(why, sizeof(why)) != MODULE_DENIED)
		return 0;
	fprintf(stderr, "migrace: %s, needed by --window\n", why);
	return EXIT_USAGE;
}

/* --- progress ------------------------------------------------------------------------------- */

static void progress(struct run *x, bool last)
{
	double now = now_s(), t = now - x->t0;
	uint64_t fails, stray = 0;
	struct kvmap m = { 0 };

	if (!x->progress || (!last && now < x->next_progress))
		return;
	x->next_progress = now + PROGRESS_EVERY_S;
	fails = x->mg.st.not_migrated + x->r.hp.offline_failed;
	fprintf(stderr, "\r[%6.1fs] %8.0f migrations/s  %" PRIu64 " failures", t,
		t > 0 ? x->mg.st.migrated / t : 0, fails);
	if (x->r.mod.loaded && module_stats(&m) >= 0 && kv_get(&m, "stray_refs", &stray))
		fprintf(stderr, "  %" PRIu64 " stray refs", stray - x->stray_before);
	kv_free(&m);
	fprintf(stderr, "   %s", last ? "\n" : "");
}

/* --- the migrating phase -------------------------------------------------------------------- */

static bool keep_going(struct run *x, uint64_t i)
{
	if (run_signal)
		return false;
	if (x->o.iterations && i >= x->o.iterations)
		return false;
	return now_s() - x->t0 < x->o.seconds;
}

static int migrate_loop(struct run *x)
{
	int e = 0;

	for (uint64_t i = 0; keep_going(x, i); i++) {
		e = migrator_step(&x->mg);
		if (e)
			break;
		progress(x, false);
	}
	x->r.mig = x->mg.st;
	return e;
}

/* An offline write may last what is left of --seconds, within the bounds. */
static double offline_timeout(const struct run *x)
{
	double left = x->o.seconds - (now_s() - x->t0);

	if (left < HOTPLUG_MIN_S)
		return HOTPLUG_MIN_S;
	return left > HOTPLUG_TIMEOUT_S ? HOTPLUG_TIMEOUT_S : left;
}

/*
 * The units onto node B (an offline moved them to A), into the block where
 * they can: B allocates from its movable zone (the block) first. A unit on
 * B outside it (placed there before the block was online, or when the
 * block was full) goes through node A and back, to be allocated afresh.
 * Return: how many units are in the block, or -errno.
 */
static long hotplug_place(struct run *x)
{
	long in_block;

	migrator_place(&x->mg, x->r.node_b);
	in_block = units_in_block(&x->mem);
	if (in_block < 0 || (size_t)in_block == x->mem.npages)
		return in_block;
	migrator_place(&x->mg, x->r.node_a);
	migrator_place(&x->mg, x->r.node_b);
	return units_in_block(&x->mem);
}

/* The module's @name now: false when it cannot be read. */
static bool module_stat_now(struct run *x, const char *name, uint64_t *v)
{
	struct kvmap m = { 0 };
	bool ok = x->r.mod.loaded && module_stats(&m) >= 0 && kv_get(&m, name, v);

	kv_free(&m);
	return ok;
}

/*
 * The module's counters over the offline writes only (the placement
 * between them migrates too): failed passes, waiters' references.
 */
struct offline_mark {
	bool ok;
	uint64_t eagain, waiter_refs;
};

static void offline_mark(struct run *x, struct offline_mark *o)
{
	o->ok = module_stat_now(x, "pass_eagain", &o->eagain) &&
		module_stat_now(x, "waiter_refs", &o->waiter_refs);
}

static void offline_account(struct run *x, const struct offline_mark *before)
{
	struct hotplug_stats *h = &x->r.hp;
	struct offline_mark after;

	offline_mark(x, &after);
	if (!before->ok || !after.ok) {
		h->module_ok = false;
		return;
	}
	h->offline_eagain += after.eagain - before->eagain;
	h->offline_waiter_refs += after.waiter_refs - before->waiter_refs;
}

static int hotplug_cycle(struct run *x)
{
	struct hotplug_stats *h = &x->r.hp;
	struct offline_mark mark;
	long in_block;
	double t;
	int e;

	in_block = hotplug_place(x);
	h->units_in_block += in_block > 0 ? in_block : 0;
	h->offline_attempts++;
	offline_mark(x, &mark);
	t = now_s();
	e = hotplug_set_state(x->mem.block, "offline", offline_timeout(x));
	t = now_s() - t;
	offline_account(x, &mark);
	if (t > h->max_offline_s)
		h->max_offline_s = t;
	if (e) {
		h->offline_failed++;
		h->failed_offline_s += t;
		h->by_errno[-e < MIGR_MAX_ERRNO ? -e : 0]++;
		if (x->r.mig.first_failure_s < 0)
			x->r.mig.first_failure_s = now_s() - x->t0;
		return 0;
	}
	h->offline_ok++;
	e = hotplug_online(x->mem.block, HOTPLUG_TIMEOUT_S);
	if (e)
		h->online_failed++;
	return e;	/* the block cannot come back: stop */
}

static int hotplug_loop(struct run *x)
{
	int e = 0;

	x->r.hp.used = true;
	x->r.hp.module_ok = x->r.mod.loaded;
	snprintf(x->r.hp.block, sizeof(x->r.hp.block), "%s", x->mem.block);
	for (uint64_t i = 0; keep_going(x, i); i++) {
		e = hotplug_cycle(x);
		if (e)
			break;
		progress(x, false);
	}
	return e;
}

/* --- phases -------------------------------------------------------------------------------- */

static void vmstat_before(struct run *x)
{
	x->r.vmstat_ok = kv_read_file("/proc/vmstat", &x->vm_before, KV_SPACE) >= 0;
}

/* System-wide THP split counters over the run (deferred-split). */
static void vmstat_dsplit(struct run *x, const struct kvmap *after)
{
	static const char *const names[] = {
		"thp_deferred_split_page", "thp_split_page", "thp_split_page_failed",
	};
	int64_t *deltas[] = { &x->r.ds.d_deferred_split, &x->r.ds.d_split_page,
			      &x->r.ds.d_split_failed };
	uint64_t a, b;

	x->r.ds.vmstat_ok = x->r.vmstat_ok;
	for (int i = 0; i < 3; i++) {
		if (!kv_get(&x->vm_before, names[i], &b) || !kv_get(after, names[i], &a)) {
			x->r.ds.vmstat_ok = false;
			continue;
		}
		*deltas[i] = (int64_t)(a - b);
	}
}

static void vmstat_after(struct run *x)
{
	struct kvmap after = { 0 };
	uint64_t s0, f0, s1, f1;

	x->r.vmstat_ok = x->r.vmstat_ok &&
		kv_read_file("/proc/vmstat", &after, KV_SPACE) >= 0 &&
		kv_get(&x->vm_before, "pgmigrate_success", &s0) &&
		kv_get(&x->vm_before, "pgmigrate_fail", &f0) &&
		kv_get(&after, "pgmigrate_success", &s1) && kv_get(&after, "pgmigrate_fail", &f1);
	if (x->r.vmstat_ok) {
		x->r.d_pgmigrate_success = (int64_t)(s1 - s0);
		x->r.d_pgmigrate_fail = (int64_t)(f1 - f0);
	}
	if (x->r.ds.used)
		vmstat_dsplit(x, &after);
	kv_free(&after);
	kv_free(&x->vm_before);
}

/* The row of window @name, or NULL. */
static const struct win_row *find_window(const struct win_row *rows, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

static int unknown_window(const char *name, const struct win_row *rows, int n)
{
	fprintf(stderr, "migrace: --window: no window '%s' in the module; it has:", name);
	for (int i = 0; i < n; i++)
		fprintf(stderr, " %s", rows[i].name);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/*
 * Before arming: every --window is in the module's `windows` file (else a
 * usage error) and available on this kernel (else a skip naming the window
 * and the module's reason, e.g. missing:SYMBOL). `all` arms what is there.
 */
static int check_windows(struct run *x, char *reason, size_t len)
{
	struct win_row rows[MAX_WINDOW_ROWS];
	const struct win_row *w;
	char path[512], *text;
	int n, bad;

	text = read_text(debugfs_path(path, sizeof(path), "windows"));
	if (!text) {
		snprintf(reason, len, "cannot read %.200s: %s", path, strerror(errno));
		report_fail(&x->r, reason);
		return EXIT_FAIL;
	}
	n = windows_parse(text, rows, MAX_WINDOW_ROWS, &bad);
	free(text);
	for (int i = 0; i < x->o.nwindows; i++) {
		if (!strcmp(x->o.windows[i], "all"))
			continue;
		w = find_window(rows, n, x->o.windows[i]);
		if (!w)
			return unknown_window(x->o.windows[i], rows, n);
		if (!w->available) {
			snprintf(reason, len, "window %.31s unavailable on this kernel (%.96s)", w->name,
				 w->why[0] ? w->why : "no reason given");
			return EXIT_SKIP;
		}
	}
	return 0;
}

static int prepare(struct run *x)
{
	char reason[256], why[200];
	int e;

	if (x->o.nwindows && module_reach(why, sizeof(why)) != MODULE_OK) {
		snprintf(reason, sizeof(reason), "%s, needed by --window", why);
		report_skip(&x->r, reason);
		return EXIT_SKIP;
	}
	if (x->o.nwindows) {
		x->r.mod.loaded = true;		/* reached above; a skip's report says so */
		e = check_windows(x, reason, sizeof(reason));
		if (e == EXIT_SKIP)
			report_skip(&x->r, reason);
		if (e)
			return e;
	}
	e = scenario_setup(&x->mem, &x->o, x->r.node_a, x->r.node_b, reason, sizeof(reason));
	x->r.unit = x->mem.unit;
	if (e == EXIT_SKIP)
		report_skip(&x->r, reason);
	else if (e)
		report_fail(&x->r, reason);
	if (e)
		return e;
	x->pages = scenario_pages(&x->mem);
	e = x->pages ? migrator_init(&x->mg, x->pages, x->mem.npages, x->r.node_a, x->r.node_b)
		     : -ENOMEM;
	if (e) {
		snprintf(reason, sizeof(reason), "move_pages(nodes=NULL): %s", strerror(-e));
		report_fail(&x->r, reason);
		return EXIT_FAIL;
	}
	return 0;
}

static int start_readers(struct run *x)
{
	struct readers *rd = &x->rd;
	char reason[128];
	int e;

	rd->base = x->mem.base;
	rd->unit = x->mem.unit;
	rd->live = x->mem.live;
	rd->gated = x->mem.gated;
	rd->npages = x->mem.npages;
	rd->map_len = x->mem.len;
	rd->memfd = x->mem.memfd;
	rd->fork = x->mem.fork_readers;
	rd->n = x->r.readers;
	rd->nwriters = x->r.writers;
	rd->access = x->o.access;
	rd->seed = x->r.seed;
	rd->deadline = now_s() + x->o.seconds + READER_DEADLINE_SLACK_S;
	rd->cpus = x->ncpus ? x->cpus : NULL;
	rd->ncpus = x->ncpus;
	e = readers_start(rd);
	if (e) {
		snprintf(reason, sizeof(reason), "starting reader %d: %s", rd->started,
			 strerror(-e));
		report_fail(&x->r, reason);
		return EXIT_FAIL;
	}
	return 0;
}

/* deferred-split: the thread that runs the shrinker, alongside the migrator. */
static int start_dsplit(struct run *x)
{
	char reason[128];
	int e;

	x->ds.mem = &x->mem;
	x->ds.rd = &x->rd;
	x->ds.deadline = now_s() + x->o.seconds + READER_DEADLINE_SLACK_S;
	e = dsplit_start(&x->ds);
	if (e) {
		snprintf(reason, sizeof(reason), "starting the shrinker thread: %s", strerror(-e));
		report_fail(&x->r, reason);
		return EXIT_FAIL;
	}
	return 0;
}

/* Stop and join it; its counters go into the report (the vmstat deltas come later). */
static void stop_dsplit(struct run *x)
{
	if (!x->ds.started || x->r.ds.used)	/* not started, or done already */
		return;
	dsplit_stop(&x->ds);
	x->r.ds = x->ds.st;
}

static void run_phase(struct run *x)
{
	char reason[128];
	int e;

	x->progress = isatty(STDERR_FILENO) && !x->o.quiet;
	x->t0 = now_s();
	x->mg.t0 = x->t0;
	if (x->o.scenario == SC_HOT_REMOVE)
		e = hotplug_loop(x);
	else
		e = migrate_loop(x);
	x->r.elapsed = now_s() - x->t0;
	x->r.move_flags = x->mg.flags == MPOL_MF_MOVE_ALL ? "MPOL_MF_MOVE_ALL" : "MPOL_MF_MOVE";
	progress(x, true);
	if (run_signal) {
		x->r.interrupted = true;
		x->r.signo = run_signal;
	}
	if (e) {
		snprintf(reason, sizeof(reason), "%s: %s", x->o.scenario == SC_HOT_REMOVE ?
			 "hot-remove: block did not come back online" : "move_pages stopped",
			 strerror(-e));
		report_fail(&x->r, reason);
	}
}

/*
 * --json FILE is opened before the run, so a bad path fails at once. A
 * regular file (or a new one) is written as FILE.tmp and renamed onto FILE
 * once the report is complete: a driver killed mid-run leaves no empty or
 * half-written FILE. A pipe or device is written in place. "-": stdout.
 */
static int json_open_early(struct run *x)
{
	const char *path = x->o.json;
	struct stat st;
	int fd;

	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		x->json = stdout;
		return 0;
	}
	if (stat(path, &st) || S_ISREG(st.st_mode)) {
		if (asprintf(&x->json_tmp, "%s.tmp", path) < 0) {
			x->json_tmp = NULL;
			return EXIT_FAIL;
		}
		fd = open(x->json_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	} else {
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	x->json = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!x->json) {
		fprintf(stderr, "migrace: --json %s: cannot open: %s (%s)\n", path,
			errno_name(errno), strerror(errno));
		if (fd >= 0)
			close(fd);
		if (x->json_tmp)
			unlink(x->json_tmp);
		free(x->json_tmp);
		x->json_tmp = NULL;
		return EXIT_USAGE;
	}
	return 0;
}

/* No report after all (a usage error): leave nothing behind. */
static void json_abandon(struct run *x)
{
	if (!x->json || x->json == stdout)
		return;
	fclose(x->json);
	if (x->json_tmp)
		unlink(x->json_tmp);
	x->json = NULL;
}

static int json_write(struct run *x)
{
	bool ok;

	report_json(&x->r, x->json);
	if (x->json == stdout)
		return fflush(stdout) ? -errno : 0;
	ok = !fclose(x->json);
	x->json = NULL;
	if (ok && x->json_tmp)
		ok = !rename(x->json_tmp, x->o.json);
	return ok ? 0 : -errno;
}

/* The JSON, then the table or KTAP: on stdout, or on stderr when the JSON is there. */
static int emit(struct run *x)
{
	int code = report_decide(&x->r), e = 0;
	FILE *out = x->json == stdout ? stderr : stdout;

	if (x->json)
		e = json_write(x);
	if (e) {
		fprintf(stderr, "migrace: --json %s: %s\n", x->o.json, strerror(-e));
		code = code == EXIT_PASS ? EXIT_FAIL : code;
	}
	if (x->o.ktap)
		report_ktap(&x->r, out);
	else
		report_table(&x->r, out);
	fflush(out);
	return code;
}

static void teardown(struct run *x)
{
	bool ds_stuck;

	stop_dsplit(x);
	ds_stuck = x->ds.started && !x->ds.joined;	/* still uses the pages and gates */
	readers_stop(&x->rd);
	if (x->mem.base && x->rd.ctl)
		readers_verify(&x->rd);
	x->r.data = x->rd.data;
	module_disarm(x);
	if (!ds_stuck)
		readers_free(&x->rd);
	kv_free(&x->vm_before);
	free(x->attrib_before);
	migrator_free(&x->mg);
	free(x->pages);
	if (!ds_stuck)
		scenario_teardown(&x->mem);
	restore_group(x);
}

static void size_readers(struct run *x)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	x->r.readers = x->o.readers ? x->o.readers : (cpus > 1 ? (int)cpus - 1 : 1);
	x->r.writers = readers_writers(x->r.readers, x->o.writers_pct);
}

/* Everything after the pages exist; always followed by teardown(). */
static int run_with_pages(struct run *x)
{
	int e;

	become_group_leader(x);
	if (x->o.scenario == SC_HOT_REMOVE)
		hotplug_place(x);	/* before any window and reader: nothing races it */
	if (x->r.mod.loaded && !x->o.no_target) {
		e = module_arm(x);
		if (e)
			return e == EXIT_SKIP ? 0 : e;
	}
	if (x->o.cpu_pin)
		pin_cpus(x);
	vmstat_before(x);
	if (start_readers(x))
		return 0;
	if (x->o.scenario == SC_DEFERRED_SPLIT && start_dsplit(x))
		return 0;
	run_phase(x);
	stop_dsplit(x);
	readers_stop(&x->rd);
	vmstat_after(x);
	module_disarm(x);
	module_after(x);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run *x = calloc(1, sizeof(*x));
	char **cmd = calloc(argc + 1, sizeof(*cmd));
	int e;

	if (!x || !cmd) {
		free(x);
		free(cmd);
		return EXIT_FAIL;
	}
	memcpy(cmd, argv, argc * sizeof(*cmd));	/* before getopt permutes argv */
	x->tty = -1;
	x->mem.memfd = -1;
	e = args_parse_run(argc, argv, &x->o, stderr);
	if (!e && !x->o.help)
		e = module_permitted(&x->o);
	if (!e && !x->o.help)
		e = json_open_early(x);
	if (e || x->o.help) {
		if (x->o.help)
			args_run_help(stdout);
		free(cmd);
		free(x);
		return e;
	}
	install_signals();
	report_init(&x->r, &x->o);
	x->r.argc = argc;
	x->r.argv = cmd;
	x->r.seed = pick_seed(&x->o);
	size_readers(x);
	if (!pick_nodes(x)) {
		e = prepare(x);
		if (!e) {
			module_before(x);
			e = run_with_pages(x);
		}
	}
	teardown(x);
	if (e == EXIT_USAGE)
		json_abandon(x);
	else
		e = emit(x);
	report_free(&x->r);
	free(x->json_tmp);
	free(cmd);
	free(x);
	return e;
}
