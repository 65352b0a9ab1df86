// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - verdict and renderings of a run: table (stdout for people),
 * JSON (--json, schema in report-schema.json), KTAP (--ktap).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "report.h"
#include "../module/version.h"

#define SCHEMA_VERSION	1

void report_init(struct report *r, const struct run_opts *o)
{
	struct utsname u;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->nodes_found = -1;
	r->node_a = r->node_b = -1;
	r->move_flags = "";
	r->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	migr_stats_init(&r->mig);
	if (!uname(&u)) {
		snprintf(r->arch, sizeof(r->arch), "%s", u.machine);
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	}
}

void report_free(struct report *r)
{
	kv_free(&r->mod.before);
	kv_free(&r->mod.after);
}

void report_skip(struct report *r, const char *reason)
{
	r->exit_code = EXIT_SKIP;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

void report_fail(struct report *r, const char *reason)
{
	r->exit_code = EXIT_FAIL;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

void report_failures(const struct report *r, uint64_t *failures, uint64_t *attempts)
{
	*failures = r->mig.not_migrated + r->hp.offline_failed;
	*attempts = r->mig.attempts + r->hp.offline_attempts;
}

static double failure_rate(const struct report *r)
{
	uint64_t f, a;

	report_failures(r, &f, &a);
	return a ? (double)f / a : 0;
}

/* The first reason to fail, or NULL. */
static const char *decide_data(const struct report *r, char *buf, size_t len)
{
	const struct data_stats *d = &r->data;

	if (data_corruptions(d)) {
		snprintf(buf, len, "data corruption (%" PRIu64 "): %s", data_corruptions(d), d->first);
		return buf;
	}
	if (d->deaths && !r->interrupted) {
		snprintf(buf, len, "%d reader(s) killed by signal %d (%s)", d->deaths,
			 d->last_death_sig, sigabbrev_np(d->last_death_sig) ?: "?");
		return buf;
	}
	if (d->stuck) {
		snprintf(buf, len, "%d reader(s) did not stop and were killed", d->stuck);
		return buf;
	}
	if (d->errors) {
		snprintf(buf, len, "%d reader(s) could not run", d->errors);
		return buf;
	}
	return NULL;
}

/* Failed move_pages() calls: no race was measured there. */
static const char *decide_calls(const struct report *r, char *buf, size_t len)
{
	const struct migr_stats *m = &r->mig;
	size_t used;

	if (!m->call_errors)
		return NULL;
	used = snprintf(buf, len, "move_pages() failed on %" PRIu64 " call(s) (", m->call_errors);
	for (int e = 0; e < MIGR_MAX_ERRNO && used < len; e++)
		if (m->call_by_errno[e])
			used += snprintf(buf + used, len - used, "%s%s %" PRIu64,
					 buf[used - 1] == '(' ? "" : ", ",
					 e ? errno_name(e) : "other", m->call_by_errno[e]);
	if (used < len)
		snprintf(buf + used, len - used, "): not a race%s", m->call_by_errno[EACCES] ?
			 "; EACCES: a node outside this task's cpuset mems?" : "");
	return buf;
}

static const char *decide_dsplit(const struct report *r, char *buf, size_t len)
{
	const struct dsplit_stats *s = &r->ds;

	if (!s->used)
		return NULL;
	if (s->error[0]) {
		snprintf(buf, len, "deferred-split: %s", s->error);
		return buf;
	}
	if (s->shrinker_errors) {
		snprintf(buf, len, "deferred-split: %" PRIu64 " drop_caches write(s) failed (last: %s)",
			 s->shrinker_errors, errno_name(s->last_errno));
		return buf;
	}
	return NULL;
}

/* The top taker's first frame that is a fault handler (else its first). */
static bool race_frame(const struct module_report *m, char *buf, size_t len)
{
	const struct attrib_block *b = &m->attrib[0];
	int pick = 0;

	if (!m->nattrib || !b->nframes)
		return false;
	for (int k = b->nframes - 1; k >= 0; k--) {
		size_t n = strcspn(b->frames[k], "+");

		if (n > 6 && !strncmp(b->frames[k] + n - 6, "_fault", 6) &&
		    strncmp(b->frames[k], "handle_mm_fault", n) &&
		    strncmp(b->frames[k], "exc_page_fault", n) &&
		    strncmp(b->frames[k], "do_page_fault", n))
			pick = k;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(b->frames[pick], "+"), b->frames[pick]);
	return true;
}

const char *report_race_name(enum race_verdict v)
{
	return v == RACE_REPRODUCED ? "reproduced" : v == RACE_NOT_SEEN ? "not seen" : "unknown";
}

enum race_verdict report_race(const struct report *r, char *buf, size_t len)
{
	const struct module_report *m = &r->mod;
	int64_t refs, passes;
	char frame[96];
	uint64_t f, a;

	report_failures(r, &f, &a);
	if (!m->loaded || !m->stats_ok) {
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " not migrated; without the module's "
			 "stats no stray reference can be seen", f, a);
		return RACE_UNKNOWN;
	}
	if (r->o->scenario == SC_HUGETLB) {
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " not migrated; hugetlb's stray "
			 "references are not counted", f, a);
		return RACE_UNKNOWN;
	}
	refs = report_stat_delta(r, "stray_refs");
	passes = report_stat_delta(r, "stray_passes");
	if (!f || refs <= 0) {
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " not migrated, %" PRId64
			 " stray references", f, a, refs > 0 ? refs : 0);
		return RACE_NOT_SEEN;
	}
	if (race_frame(m, frame, sizeof(frame)))
		snprintf(buf, len, "%" PRId64 " stray references in %" PRId64 " failed passes, "
			 "top taker %s from %s; %" PRIu64 " of %" PRIu64 " not migrated",
			 refs, passes, m->attrib[0].taker, frame, f, a);
	else
		snprintf(buf, len, "%" PRId64 " stray references in %" PRId64 " failed passes; %"
			 PRIu64 " of %" PRIu64 " not migrated", refs, passes, f, a);
	return RACE_REPRODUCED;
}

static const char *decide_limits(const struct report *r, char *buf, size_t len)
{
	const struct run_opts *o = r->o;
	char why[200];
	uint64_t f, a;

	report_failures(r, &f, &a);
	if (o->expect_failures && !f)
		return "no migration failures (--expect-failures)";
	if (o->expect_race && report_race(r, why, sizeof(why)) != RACE_REPRODUCED) {
		snprintf(buf, len, "race %s (--expect-race): %s",
			 report_race_name(report_race(r, why, sizeof(why))), why);
		return buf;
	}
	if (o->max_failures_set && f > o->max_failures) {
		snprintf(buf, len, "%" PRIu64 " migration failures, more than --max-failures %"
			 PRIu64, f, o->max_failures);
		return buf;
	}
	if (o->max_rate_set && failure_rate(r) > o->max_rate) {
		snprintf(buf, len, "failure rate %.4f above --max-rate %g", failure_rate(r),
			 o->max_rate);
		return buf;
	}
	return NULL;
}

int report_decide(struct report *r)
{
	char buf[sizeof(r->reason)];
	const char *why;

	if (r->exit_code != EXIT_PASS)
		return r->exit_code;
	why = decide_data(r, buf, sizeof(buf));
	if (!why)
		why = decide_calls(r, buf, sizeof(buf));
	if (!why)
		why = decide_dsplit(r, buf, sizeof(buf));
	if (!why)
		why = decide_limits(r, buf, sizeof(buf));
	if (!why && r->interrupted) {
		snprintf(buf, sizeof(buf), "interrupted by SIG%s after %.2f s",
			 sigabbrev_np(r->signo) ?: "?", r->elapsed);
		why = buf;
	}
	if (why)
		report_fail(r, why);
	return r->exit_code;
}

/* A maximum since the module's last reset (..._max_ns), not a counter. */
static bool stat_is_max(const char *name)
{
	size_t n = strlen(name), k = strlen("_max_ns");

	return n > k && !strcmp(name + n - k, "_max_ns");
}

/* The value of stat @name after the run. */
static int64_t report_stat_after(const struct report *r, const char *name)
{
	uint64_t a = 0;

	kv_get(&r->mod.after, name, &a);
	return (int64_t)a;
}

int64_t report_stat_delta(const struct report *r, const char *name)
{
	uint64_t b = 0;

	kv_get(&r->mod.before, name, &b);
	return report_stat_after(r, name) - (int64_t)b;
}

static const char *verdict_name(int code)
{
	return code == EXIT_PASS ? "pass" : code == EXIT_SKIP ? "skip" : "fail";
}

/* Calls @fn for each errno bucket in use: (name, count). */
static void each_errno(const uint64_t *by, void (*fn)(void *, const char *, uint64_t), void *arg)
{
	for (int e = 0; e < MIGR_MAX_ERRNO; e++)
		if (by[e])
			fn(arg, e ? errno_name(e) : "other", by[e]);
}

const char *report_policy(const struct report *r, char *buf, size_t len)
{
	const struct run_opts *o = r->o;

	if (!o->nwindows)
		snprintf(buf, len, "none");
	else if (!o->policy[0])
		snprintf(buf, len, "delay (the module's default)");
	else
		snprintf(buf, len, "%s", o->policy);
	return buf;
}

static void windows_list(const struct report *r, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "none");
	for (int i = 0; i < r->o->nwindows && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? "," : "", r->o->windows[i]);
}

/* @s quoted for a shell when it needs to be: 'it'\''s' */
static size_t shell_word(char *buf, size_t len, const char *s)
{
	size_t used = 0;

	if (*s && !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-+=.,:/@%")])
		return snprintf(buf, len, "%s", s);
	used += snprintf(buf, len, "'");
	for (; *s && used < len; s++)
		used += *s == '\'' ? snprintf(buf + used, len - used, "'\\''")
				    : snprintf(buf + used, len - used, "%c", *s);
	if (used < len)
		used += snprintf(buf + used, len - used, "'");
	return used;
}

const char *report_command(const struct report *r, char *buf, size_t len)
{
	size_t used = snprintf(buf, len, "migrace");

	for (int i = 0; i < r->argc && used + 1 < len; i++) {
		used += snprintf(buf + used, len - used, " ");
		if (used < len)
			used += shell_word(buf + used, len - used, r->argv[i]);
	}
	return buf;
}

/* --- table -------------------------------------------------------------------------- */

#define ROW(f, name, fmt, ...) fprintf(f, "  %-24s " fmt "\n", name, __VA_ARGS__)

struct errno_line {
	FILE *f;
	int n;
};

static void errno_item(void *arg, const char *name, uint64_t count)
{
	struct errno_line *l = arg;

	fprintf(l->f, "%s%s %" PRIu64, l->n++ ? ", " : "", name, count);
}

/* The delta of stat window.@w.@field. */
static int64_t window_stat(const struct report *r, const char *w, const char *field)
{
	char key[128];

	snprintf(key, sizeof(key), "window.%s.%s", w, field);
	return report_stat_delta(r, key);
}

/*
 * One line per rendezvous window that held (@name: its fresh_holds stat):
 * holds per migrate call, how many a reader met, the mean hold; the hits
 * not held (a taker already there, or no taker path); and the holds kept
 * past timeout_us while the last reader was runnable.
 */
static void table_holds(const struct report *r, const char *name, FILE *f)
{
	int64_t holds, met, ns, present, skipped, calls, ext;
	char w[64];
	int end = 0;

	/* %n is reached only if the literal tail matched too */
	if (sscanf(name, "window.%63[^.].fresh_holds%n", w, &end) != 1 || name[end])
		return;
	holds = window_stat(r, w, "fresh_holds");
	present = window_stat(r, w, "present");
	skipped = window_stat(r, w, "skipped");
	if (!holds && !present && !skipped)
		return;
	met = window_stat(r, w, "fresh_met");
	ns = window_stat(r, w, "fresh_ns");
	calls = report_stat_delta(r, "migrate_calls");
	fprintf(f, "  %s: %" PRId64 " fresh holds (%.2f per migrate call), met %" PRId64
		" (%.1f%%), mean %.1f us; not held: present %" PRId64 ", skipped %" PRId64 "\n",
		w, holds, calls ? (double)holds / calls : 0.0, met,
		holds ? 100.0 * met / holds : 0.0, holds ? ns / 1e3 / holds : 0.0,
		present, skipped);
	ext = window_stat(r, w, "extended");
	if (ext)
		fprintf(f, "  %s: %" PRId64 " holds kept past timeout_us (a reader runnable),"
			" met %" PRId64 "\n", w, ext, window_stat(r, w, "extended_met"));
}

static void table_migration(const struct report *r, FILE *f)
{
	const struct migr_stats *m = &r->mig;
	struct errno_line l = { f, 0 };

	ROW(f, "move_pages calls", "%" PRIu64, m->calls);
	ROW(f, "attempts (pages)", "%" PRIu64, m->attempts);
	ROW(f, "migrated", "%" PRIu64, m->migrated);
	ROW(f, "not migrated", "%" PRIu64, m->not_migrated);
	ROW(f, "failure rate", "%.2f%%", 100 * migr_failure_rate(m));
	fprintf(f, "  %-24s ", "failures by errno");
	each_errno(m->by_errno, errno_item, &l);
	if (m->unreported)
		errno_item(&l, "unreported", m->unreported);
	fprintf(f, "%s\n", l.n ? "" : "none");
	if (m->first_failure_s >= 0)
		ROW(f, "first failure after", "%.6f s", m->first_failure_s);
	else
		ROW(f, "first failure after", "%s", "none");
	if (m->call_errors || m->query_errors)
		ROW(f, "call/query errors", "%" PRIu64 "/%" PRIu64, m->call_errors, m->query_errors);
	if (m->call_errors) {
		struct errno_line c = { f, 0 };

		fprintf(f, "  %-24s ", "failed calls by errno");
		each_errno(m->call_by_errno, errno_item, &c);
		fprintf(f, " (not a race; %" PRIu64 " page(s) not tried)\n", m->not_tried);
	}
}

/*
 * Whether offlining converged, and what the module saw during the offline
 * writes: failed passes, and references held by migration-entry waiters
 * (before 5.17, the 2018 seed's cause). Counts, not a per-pass cause.
 */
static void table_offline_verdict(const struct report *r, FILE *f)
{
	const struct hotplug_stats *h = &r->hp;

	if (!h->offline_attempts)
		return;
	if (h->offline_ok) {
		ROW(f, "offline", "converged (%" PRIu64 " of %" PRIu64 " attempts)",
		    h->offline_ok, h->offline_attempts);
		return;
	}
	fprintf(f, "  %-24s did not converge in %.1f s (%" PRIu64 " of %" PRIu64 " attempts failed",
		"offline", h->failed_offline_s, h->offline_failed, h->offline_attempts);
	if (h->module_ok)
		fprintf(f, "; %" PRIu64 " migration passes failed, %" PRIu64
			" waiter references seen", h->offline_eagain, h->offline_waiter_refs);
	fputs(")\n", f);
}

static void table_hotplug(const struct report *r, FILE *f)
{
	const struct hotplug_stats *h = &r->hp;
	struct errno_line l = { f, 0 };

	ROW(f, "memory block", "%s", h->block);
	ROW(f, "offline attempts", "%" PRIu64, h->offline_attempts);
	ROW(f, "offline ok", "%" PRIu64, h->offline_ok);
	fprintf(f, "  %-24s %" PRIu64 " ", "offline failed", h->offline_failed);
	each_errno(h->by_errno, errno_item, &l);
	fputc('\n', f);
	ROW(f, "online failed", "%" PRIu64, h->online_failed);
	ROW(f, "units in block", "%" PRIu64, h->units_in_block);
	ROW(f, "longest offline", "%.3f s", h->max_offline_s);
	if (r->mig.first_failure_s >= 0)
		ROW(f, "first failure after", "%.6f s", r->mig.first_failure_s);
	table_offline_verdict(r, f);
}

static void table_dsplit(const struct report *r, FILE *f)
{
	const struct dsplit_stats *s = &r->ds;

	ROW(f, "live bytes per unit", "%" PRIu64 " (last base page unmapped)", s->live_bytes);
	ROW(f, "shrinker calls", "%" PRIu64 " (drop_caches writes; longest %.3f s)",
	    s->shrinker_calls, s->max_shrink_s);
	if (s->shrinker_errors)
		ROW(f, "shrinker errors", "%" PRIu64 " (last: %s)", s->shrinker_errors,
		    errno_name(s->last_errno));
	ROW(f, "rethp", "%" PRIu64 " (split THPs re-created)", s->rethp);
	if (s->rethp_failed || s->gate_timeouts)
		ROW(f, "rethp failed / deferred", "%" PRIu64 " / %" PRIu64, s->rethp_failed,
		    s->gate_timeouts);
	if (s->vmstat_ok) {
		ROW(f, "delta thp_deferred_split", "%" PRId64, s->d_deferred_split);
		ROW(f, "delta thp_split_page", "%" PRId64 " (failed %" PRId64 ")", s->d_split_page,
		    s->d_split_failed);
	}
}

static void table_data(const struct report *r, FILE *f)
{
	const struct data_stats *d = &r->data;

	ROW(f, "reads / writes", "%" PRIu64 " / %" PRIu64, d->reads, d->writes);
	ROW(f, "corruptions", "%" PRIu64 "%s%s", data_corruptions(d), d->first[0] ? ": " : "",
	    d->first);
	if (d->deaths || d->stuck || d->errors)
		ROW(f, "readers dead/stuck/err", "%d/%d/%d", d->deaths, d->stuck, d->errors);
}

/* The module's headline counters, shown even when they did not move. */
static bool always_shown(const char *name)
{
	static const char *const prefixes[] = {
		"migrate_calls", "final_", "pass_", "stray_refs", "stray_passes", "tlb_flush_",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void table_module(const struct report *r, FILE *f)
{
	const struct module_report *m = &r->mod;
	int shown = 0;

	if (!m->loaded) {
		ROW(f, "module", "%s", m->error[0] ? m->error : "not loaded");
		return;
	}
	if (m->error[0])
		ROW(f, "module", "%s", m->error);
	fprintf(f, "  module stats (delta):\n");
	for (size_t i = 0; m->stats_ok && i < m->after.n; i++) {
		const char *name = m->after.items[i].name;
		int64_t d = report_stat_delta(r, name);

		if (!stat_is_max(name) && (d || always_shown(name)) && ++shown)
			fprintf(f, "    %-30s %" PRId64 "\n", name, d);
	}
	if (!shown)
		fprintf(f, "    (none changed)\n");
	for (size_t i = 0; m->stats_ok && i < m->after.n; i++) {
		const char *name = m->after.items[i].name;

		if (stat_is_max(name) && report_stat_after(r, name))
			fprintf(f, "    %-30s %" PRId64 " (the most since reset)\n", name,
				report_stat_after(r, name));
	}
	for (size_t i = 0; m->stats_ok && i < m->after.n; i++)
		table_holds(r, m->after.items[i].name, f);
	fprintf(f, "  attribution (this run, top %d):\n", REPORT_ATTRIB_TOP);
	for (int i = 0; i < m->nattrib; i++) {
		fprintf(f, "    taker=%s kind=%s hits=%" PRIu64 "\n", m->attrib[i].taker,
			m->attrib[i].kind, m->attrib[i].hits);
		for (int k = 0; k < m->attrib[i].nframes; k++)
			fprintf(f, "      %s\n", m->attrib[i].frames[k]);
	}
	if (!m->nattrib)
		fprintf(f, "    (empty)\n");
}

void report_table(const struct report *r, FILE *f)
{
	const struct run_opts *o = r->o;
	char buf[1024];

	if (r->exit_code == EXIT_SKIP) {
		fprintf(f, "# SKIP %s\n", r->reason);
		return;
	}
	fprintf(f, "migrace run %s\n", scenario_names[o->scenario]);
	ROW(f, "version", "%s", MIGRACE_VERSION);
	ROW(f, "command", "%s", report_command(r, buf, sizeof(buf)));
	windows_list(r, buf, sizeof(buf));
	ROW(f, "window", "%s", buf);
	ROW(f, "policy", "%s", report_policy(r, buf, sizeof(buf)));
	ROW(f, "arch / kernel", "%s / %s", r->arch, r->kernel);
	ROW(f, "nodes", "%d <-> %d", r->node_a, r->node_b);
	ROW(f, "seed", "%" PRIu64, r->seed);
	ROW(f, "pages", "%lu x %zu bytes", o->pages, r->unit);
	ROW(f, "readers", "%d (%d writing, %s)", r->readers, r->writers, access_names[o->access]);
	ROW(f, "seconds", "%.3f", r->elapsed);
	if (r->hp.used)
		table_hotplug(r, f);
	else
		table_migration(r, f);
	if (r->vmstat_ok) {
		ROW(f, "delta pgmigrate_success", "%" PRId64, r->d_pgmigrate_success);
		ROW(f, "delta pgmigrate_fail", "%" PRId64, r->d_pgmigrate_fail);
	}
	if (r->ds.used)
		table_dsplit(r, f);
	table_data(r, f);
	table_module(r, f);
	ROW(f, "race", "%s (%s)", report_race_name(report_race(r, buf, sizeof(buf))), buf);
	ROW(f, "verdict", "%s%s%s", r->exit_code == EXIT_PASS ? "PASS" : "FAIL",
	    r->reason[0] ? ": " : "", r->reason);
}

/* --- JSON ----------------------------------------------------------------------------- */

struct json {
	FILE *f;
	int depth;
	bool first[16];
};

static void json_str_raw(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_key(struct json *j, const char *key)
{
	fprintf(j->f, "%s\n%*s", j->first[j->depth] ? "" : ",", 2 * (j->depth + 1), "");
	j->first[j->depth] = false;
	if (key) {
		json_str_raw(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	if (j->depth >= 0)
		json_key(j, key);
	fputc(c, j->f);
	j->first[++j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
	fputc(c, j->f);
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void json_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRId64, v);
}

static void json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6f", v);
	else
		fputs("null", j->f);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s)
		json_str_raw(j->f, s);
	else
		fputs("null", j->f);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_errno_item(void *arg, const char *name, uint64_t count)
{
	json_u64(arg, name, count);
}

static void json_config(struct json *j, const struct report *r)
{
	const struct run_opts *o = r->o;

	json_open(j, "config", '{');
	json_open(j, "nodes", '[');
	if (r->node_a >= 0) {
		json_u64(j, NULL, r->node_a);
		json_u64(j, NULL, r->node_b);
	}
	json_close(j, ']');
	json_u64(j, "pages", o->pages);
	json_u64(j, "unit_bytes", r->unit);
	json_u64(j, "readers", r->readers);
	json_u64(j, "writers", r->writers);
	json_u64(j, "writers_pct", o->writers_pct);
	json_str(j, "access", access_names[o->access]);
	json_num(j, "seconds", o->seconds);
	json_u64(j, "iterations", o->iterations);
	json_u64(j, "seed", r->seed);
	json_bool(j, "cpu_pin", o->cpu_pin);
	json_str(j, "move_flags", r->move_flags);
	json_open(j, "windows", '[');
	for (int i = 0; i < o->nwindows; i++)
		json_str(j, NULL, o->windows[i]);
	json_close(j, ']');
	json_str(j, "policy", o->policy);
	json_close(j, '}');
}

static void json_migration(struct json *j, const struct report *r)
{
	const struct migr_stats *m = &r->mig;

	json_open(j, "migration", '{');
	json_u64(j, "calls", m->calls);
	json_u64(j, "attempts", m->attempts);
	json_u64(j, "migrated", m->migrated);
	json_u64(j, "not_migrated", m->not_migrated);
	json_num(j, "failure_rate", migr_failure_rate(m));
	json_open(j, "failures_by_errno", '{');
	each_errno(m->by_errno, json_errno_item, j);
	json_close(j, '}');
	json_u64(j, "unreported", m->unreported);
	json_u64(j, "returned_not_migrated", m->returned_not_migrated);
	json_u64(j, "call_errors", m->call_errors);
	json_open(j, "call_errors_by_errno", '{');
	each_errno(m->call_by_errno, json_errno_item, j);
	json_close(j, '}');
	json_u64(j, "not_tried", m->not_tried);
	json_u64(j, "query_errors", m->query_errors);
	if (m->first_failure_s >= 0)
		json_num(j, "first_failure_s", m->first_failure_s);
	else
		json_str(j, "first_failure_s", NULL);
	json_close(j, '}');
}

static void json_data(struct json *j, const struct report *r)
{
	const struct data_stats *d = &r->data;

	json_open(j, "data", '{');
	json_u64(j, "reads", d->reads);
	json_u64(j, "writes", d->writes);
	json_u64(j, "mismatches", d->mismatches);
	json_u64(j, "final_bad", d->final_bad);
	json_u64(j, "corruptions", data_corruptions(d));
	json_bool(j, "final_generations_checked", d->final_gens_checked);
	json_u64(j, "reader_deaths", d->deaths);
	json_u64(j, "last_death_signal", d->last_death_sig);
	json_u64(j, "readers_stuck", d->stuck);
	json_u64(j, "reader_errors", d->errors);
	json_str(j, "first_corruption", d->first[0] ? d->first : NULL);
	json_close(j, '}');
}

static void json_hotplug(struct json *j, const struct report *r)
{
	const struct hotplug_stats *h = &r->hp;

	if (!h->used) {
		json_str(j, "hotplug", NULL);
		return;
	}
	json_open(j, "hotplug", '{');
	json_str(j, "block", h->block);
	json_u64(j, "offline_attempts", h->offline_attempts);
	json_u64(j, "offline_ok", h->offline_ok);
	json_u64(j, "offline_failed", h->offline_failed);
	json_open(j, "offline_failures_by_errno", '{');
	each_errno(h->by_errno, json_errno_item, j);
	json_close(j, '}');
	json_u64(j, "online_failed", h->online_failed);
	json_u64(j, "units_in_block", h->units_in_block);
	json_num(j, "max_offline_s", h->max_offline_s);
	json_num(j, "failed_offline_s", h->failed_offline_s);
	if (h->module_ok) {
		json_u64(j, "offline_pass_eagain", h->offline_eagain);
		json_u64(j, "offline_waiter_refs", h->offline_waiter_refs);
	} else {
		json_str(j, "offline_pass_eagain", NULL);
		json_str(j, "offline_waiter_refs", NULL);
	}
	json_close(j, '}');
}

static void json_dsplit(struct json *j, const struct report *r)
{
	const struct dsplit_stats *s = &r->ds;

	if (!s->used) {
		json_str(j, "deferred_split", NULL);
		return;
	}
	json_open(j, "deferred_split", '{');
	json_u64(j, "live_bytes", s->live_bytes);
	json_u64(j, "shrinker_calls", s->shrinker_calls);
	json_u64(j, "shrinker_errors", s->shrinker_errors);
	json_u64(j, "rethp", s->rethp);
	json_u64(j, "rethp_failed", s->rethp_failed);
	json_u64(j, "gate_timeouts", s->gate_timeouts);
	json_num(j, "max_shrink_s", s->max_shrink_s);
	json_bool(j, "vmstat_available", s->vmstat_ok);
	json_i64(j, "thp_deferred_split_page_delta", s->d_deferred_split);
	json_i64(j, "thp_split_page_delta", s->d_split_page);
	json_i64(j, "thp_split_page_failed_delta", s->d_split_failed);
	json_str(j, "error", s->error);
	json_close(j, '}');
}

static void json_attrib(struct json *j, const struct attrib_block *b)
{
	json_open(j, NULL, '{');
	json_str(j, "taker", b->taker);
	json_str(j, "kind", b->kind);
	json_u64(j, "hits", b->hits);
	json_open(j, "frames", '[');
	for (int k = 0; k < b->nframes; k++)
		json_str(j, NULL, b->frames[k]);
	json_close(j, ']');
	json_close(j, '}');
}

static void json_module(struct json *j, const struct report *r)
{
	const struct module_report *m = &r->mod;

	json_open(j, "module", '{');
	json_bool(j, "loaded", m->loaded);
	json_open(j, "stats_delta", '{');
	for (size_t i = 0; m->stats_ok && i < m->after.n; i++)
		if (!stat_is_max(m->after.items[i].name))
			json_i64(j, m->after.items[i].name,
				 report_stat_delta(r, m->after.items[i].name));
	json_close(j, '}');
	json_open(j, "stats_max", '{');
	for (size_t i = 0; m->stats_ok && i < m->after.n; i++)
		if (stat_is_max(m->after.items[i].name))
			json_i64(j, m->after.items[i].name,
				 report_stat_after(r, m->after.items[i].name));
	json_close(j, '}');
	json_open(j, "attribution_top", '[');
	for (int i = 0; i < m->nattrib; i++)
		json_attrib(j, &m->attrib[i]);
	json_close(j, ']');
	json_str(j, "error", m->error);
	json_close(j, '}');
}

static void json_race(struct json *j, const struct report *r)
{
	enum race_verdict v;
	char why[256];

	v = report_race(r, why, sizeof(why));
	json_open(j, "race", '{');
	json_str(j, "verdict", report_race_name(v));
	json_str(j, "reason", why);
	json_i64(j, "stray_refs", r->mod.stats_ok ? report_stat_delta(r, "stray_refs") : 0);
	json_i64(j, "stray_passes", r->mod.stats_ok ? report_stat_delta(r, "stray_passes") : 0);
	json_close(j, '}');
}

void report_json(const struct report *r, FILE *f)
{
	struct json j = { .f = f, .depth = -1 };

	json_open(&j, NULL, '{');
	json_u64(&j, "schema_version", SCHEMA_VERSION);
	json_str(&j, "tool_version", MIGRACE_VERSION);
	json_open(&j, "command", '[');
	json_str(&j, NULL, "migrace");
	for (int i = 0; i < r->argc; i++)
		json_str(&j, NULL, r->argv[i]);
	json_close(&j, ']');
	json_str(&j, "scenario", scenario_names[r->o->scenario]);
	json_str(&j, "verdict", verdict_name(r->exit_code));
	json_u64(&j, "exit_code", r->exit_code);
	json_str(&j, "reason", r->reason);
	json_bool(&j, "interrupted", r->interrupted);
	json_open(&j, "system", '{');
	json_str(&j, "arch", r->arch);
	json_str(&j, "kernel", r->kernel);
	json_i64(&j, "cpus", r->cpus);
	json_i64(&j, "nodes_with_memory", r->nodes_found);
	json_close(&j, '}');
	json_config(&j, r);
	json_num(&j, "elapsed_s", r->elapsed);
	json_migration(&j, r);
	json_open(&j, "vmstat", '{');
	json_bool(&j, "available", r->vmstat_ok);
	json_i64(&j, "pgmigrate_success_delta", r->d_pgmigrate_success);
	json_i64(&j, "pgmigrate_fail_delta", r->d_pgmigrate_fail);
	json_close(&j, '}');
	json_data(&j, r);
	json_hotplug(&j, r);
	json_dsplit(&j, r);
	json_module(&j, r);
	json_race(&j, r);
	json_close(&j, '}');
	fputc('\n', f);
}

/* --- KTAP ------------------------------------------------------------------------------ */

/* A KTAP description or directive text: no '#', no line breaks. */
static void ktap_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '#' || *s == '\n' || *s == '\r' ? '_' : *s, f);
}

static void ktap_errno_item(void *arg, const char *name, uint64_t count)
{
	fprintf(arg, "# failures_%s: %" PRIu64 "\n", name, count);
}

static void ktap_call_errno_item(void *arg, const char *name, uint64_t count)
{
	fprintf(arg, "# call_errors_%s: %" PRIu64 "\n", name, count);
}

static void ktap_dsplit(const struct dsplit_stats *s, FILE *f)
{
	fprintf(f, "# shrinker_calls: %" PRIu64 "\n# shrinker_errors: %" PRIu64 "\n",
		s->shrinker_calls, s->shrinker_errors);
	fprintf(f, "# rethp: %" PRIu64 "\n# rethp_failed: %" PRIu64 "\n# gate_timeouts: %" PRIu64
		"\n", s->rethp, s->rethp_failed, s->gate_timeouts);
	if (s->vmstat_ok)
		fprintf(f, "# thp_deferred_split_page_delta: %" PRId64 "\n# thp_split_page_delta: %"
			PRId64 "\n# thp_split_page_failed_delta: %" PRId64 "\n", s->d_deferred_split,
			s->d_split_page, s->d_split_failed);
}

static void ktap_counters(const struct report *r, FILE *f)
{
	const struct migr_stats *m = &r->mig;
	const struct hotplug_stats *h = &r->hp;

	fprintf(f, "# seconds: %.3f\n# calls: %" PRIu64 "\n# attempts: %" PRIu64 "\n",
		r->elapsed, m->calls, m->attempts);
	fprintf(f, "# migrated: %" PRIu64 "\n# not_migrated: %" PRIu64 "\n", m->migrated,
		m->not_migrated);
	fprintf(f, "# failure_rate: %.6f\n", failure_rate(r));
	each_errno(m->by_errno, ktap_errno_item, f);
	fprintf(f, "# failures_unreported: %" PRIu64 "\n", m->unreported);
	fprintf(f, "# call_errors: %" PRIu64 "\n", m->call_errors);
	each_errno(m->call_by_errno, ktap_call_errno_item, f);
	if (m->first_failure_s >= 0)
		fprintf(f, "# first_failure_s: %.6f\n", m->first_failure_s);
	if (h->used)
		fprintf(f, "# offline_attempts: %" PRIu64 "\n# offline_failed: %" PRIu64 "\n",
			h->offline_attempts, h->offline_failed);
	if (r->vmstat_ok)
		fprintf(f, "# pgmigrate_success_delta: %" PRId64 "\n# pgmigrate_fail_delta: %"
			PRId64 "\n", r->d_pgmigrate_success, r->d_pgmigrate_fail);
	if (r->ds.used)
		ktap_dsplit(&r->ds, f);
	fprintf(f, "# reads: %" PRIu64 "\n# writes: %" PRIu64 "\n# corruptions: %" PRIu64 "\n",
		r->data.reads, r->data.writes, data_corruptions(&r->data));
}

static void ktap_module(const struct report *r, FILE *f)
{
	const struct module_report *m = &r->mod;

	for (size_t i = 0; m->stats_ok && i < m->after.n; i++) {
		const char *name = m->after.items[i].name;
		int64_t d = report_stat_delta(r, name);

		if (stat_is_max(name) && report_stat_after(r, name))
			fprintf(f, "# module_%s: %" PRId64 "\n", name, report_stat_after(r, name));
		else if (!stat_is_max(name) && d)
			fprintf(f, "# module_%s_delta: %" PRId64 "\n", name, d);
	}
	for (int i = 0; i < m->nattrib; i++)
		fprintf(f, "# attribution_%d: taker=%s kind=%s hits=%" PRIu64 "\n", i + 1,
			m->attrib[i].taker, m->attrib[i].kind, m->attrib[i].hits);
}

void report_ktap(const struct report *r, FILE *f)
{
	const char *name = scenario_names[r->o->scenario];
	char buf[1024];

	fprintf(f, "KTAP version 1\n1..1\n");
	fprintf(f, "# migrace %s: %s %s, seed %" PRIu64, name, r->arch, r->kernel, r->seed);
	if (r->node_a >= 0)
		fprintf(f, ", nodes %d,%d", r->node_a, r->node_b);
	fprintf(f, "\n# tool_version: %s\n# command: ", MIGRACE_VERSION);
	ktap_text(f, report_command(r, buf, sizeof(buf)));
	windows_list(r, buf, sizeof(buf));
	fprintf(f, "\n# window: %s\n# policy: ", buf);
	ktap_text(f, report_policy(r, buf, sizeof(buf)));
	fputc('\n', f);
	if (r->exit_code == EXIT_SKIP) {
		fprintf(f, "ok 1 %s # SKIP ", name);
		ktap_text(f, r->reason);
		fputc('\n', f);
		return;
	}
	ktap_counters(r, f);
	ktap_module(r, f);
	fprintf(f, "# race: %s (", report_race_name(report_race(r, buf, sizeof(buf))));
	ktap_text(f, buf);
	fputs(")\n", f);
	if (r->reason[0]) {
		fputs("# reason: ", f);
		ktap_text(f, r->reason);
		fputc('\n', f);
	}
	fprintf(f, "%s 1 %s\n", r->exit_code == EXIT_PASS ? "ok" : "not ok", name);
}
