// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - the verdict rules and the three renderings of a report:
 * the table, JSON (validated against report-schema.json) and KTAP (parsed
 * by the kernel's kunit.py).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "suites.h"
#include "../../module/version.h"

struct fake {
	struct run_opts o;
	struct report r;
};

static void fake_module(struct report *r)
{
	struct module_report *m = &r->mod;

	m->loaded = m->stats_ok = true;
	kv_parse("migrate_calls: 10\npass_eagain: 4\nstray_refs: 1\ntlb_flush_immediate: 0\n"
		 "inflight_overflow: 2\nwindow.freeze.irqoff_max_ns: 900\n", &m->before, KV_COLON);
	kv_parse("migrate_calls: 110\npass_eagain: 40\nstray_refs: 1\ntlb_flush_immediate: 7\n"
		 "inflight_overflow: 2\nwindow.pte-clear.hits: 5\n"
		 "window.freeze.irqoff_max_ns: 1000\n", &m->after, KV_COLON);
	m->nattrib = 2;
	strcpy(m->attrib[0].taker, "folio-lock");
	strcpy(m->attrib[0].kind, "shmem");
	m->attrib[0].hits = 123;
	m->attrib[0].nframes = 1;
	strcpy(m->attrib[0].frames[0], "__folio_lock+0x0/0x90");
	strcpy(m->attrib[1].taker, "gup");
	strcpy(m->attrib[1].kind, "anon");
	m->attrib[1].hits = 9;
}

static void json_valid(struct report *r, const char *name);

static char *fake_argv[] = { "run", "shared-anon", "--seconds", "5" };

/* A finished shared-anon run: 100 pages asked, 92 moved, 8 failed. */
static void fake_init(struct fake *f)
{
	struct report *r = &f->r;

	memset(f, 0, sizeof(*f));
	f->o.scenario = SC_SHARED_ANON;
	f->o.pages = 1;
	f->o.seconds = 5;
	report_init(r, &f->o);
	r->argc = 4;
	r->argv = fake_argv;
	strcpy(r->arch, "x86_64");
	strcpy(r->kernel, "6.1.0-56-amd64");
	r->nodes_found = 2;
	r->node_a = 0;
	r->node_b = 1;
	r->readers = 3;
	r->unit = 4096;
	r->seed = 42;
	r->move_flags = "MPOL_MF_MOVE_ALL";
	r->elapsed = 5.001;
	r->mig.calls = r->mig.attempts = 100;
	r->mig.migrated = 92;
	r->mig.not_migrated = 8;
	r->mig.by_errno[EBUSY] = 3;
	r->mig.unreported = 5;
	r->mig.returned_not_migrated = 5;
	r->mig.first_failure_s = 0.0125;
	r->vmstat_ok = true;
	r->d_pgmigrate_success = 92;
	r->d_pgmigrate_fail = 8;
	r->data.reads = 1000;
	r->data.final_gens_checked = true;
}

/* A finished deferred-split run: 8 THPs, 22 drop_caches writes, 174 re-created. */
static void fake_dsplit(struct fake *f)
{
	struct dsplit_stats *s = &f->r.ds;

	fake_init(f);
	f->o.scenario = SC_DEFERRED_SPLIT;
	f->o.pages = 8;
	f->r.unit = 2097152;
	s->used = true;
	s->live_bytes = 2097152 - 4096;
	s->shrinker_calls = 22;
	s->rethp = 174;
	s->rethp_failed = 2;
	s->gate_timeouts = 1;
	s->max_shrink_s = 0.021;
	s->vmstat_ok = true;
	s->d_deferred_split = 180;
	s->d_split_page = 176;
	s->d_split_failed = 3;
}

/* noinline: gcc 12 sees a dangling pointer through open_memstream otherwise */
static __attribute__((noinline)) char *render(void (*fn)(const struct report *, FILE *),
					     const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(r, f);
	fclose(f);
	return buf;
}

/* --- verdict --------------------------------------------------------------------------- */

static void verdict_pass(void)
{
	struct fake f;

	fake_init(&f);
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	CHECK_STR(f.r.reason, "");
}

static void verdict_corruption_always_fails(void)
{
	struct fake f;

	fake_init(&f);
	f.o.expect_failures = true;	/* satisfied, and still a failure */
	f.r.data.mismatches = 1;
	strcpy(f.r.data.first, "reader 0: unit 0 word 0");
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "data corruption (1): reader 0: unit 0 word 0");
	fake_init(&f);
	f.r.data.final_bad = 2;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
}

static void verdict_expect_failures(void)
{
	struct fake f;

	fake_init(&f);
	f.o.expect_failures = true;
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	fake_init(&f);
	f.o.expect_failures = true;
	f.r.mig.not_migrated = 0;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "--expect-failures");
}

/* fake_init()'s run, the module counting 12 stray refs in 5 passes from a shmem fault. */
static void fake_race(struct fake *f, int refs)
{
	struct module_report *m = &f->r.mod;
	char after[128];

	fake_init(f);
	m->loaded = m->stats_ok = true;
	kv_parse("stray_refs: 0\nstray_passes: 0\n", &m->before, KV_COLON);
	snprintf(after, sizeof(after), "stray_refs: %d\nstray_passes: %d\n", refs, refs ? 5 : 0);
	kv_parse(after, &m->after, KV_COLON);
	m->nattrib = 1;
	strcpy(m->attrib[0].taker, "folio-lock");
	strcpy(m->attrib[0].kind, "shmem");
	m->attrib[0].hits = 40;
	m->attrib[0].nframes = 4;
	strcpy(m->attrib[0].frames[0], "folio_wait_bit_common+0x0/0x440");
	strcpy(m->attrib[0].frames[1], "shmem_get_folio_gfp+0x100/0x788");
	strcpy(m->attrib[0].frames[2], "shmem_fault+0x7c/0x330");
	strcpy(m->attrib[0].frames[3], "handle_mm_fault+0x16c/0x2a0");
}

static void race_verdicts(void)
{
	struct fake f;
	char why[256];

	fake_race(&f, 12);
	CHECK_INT(report_race(&f.r, why, sizeof(why)), RACE_REPRODUCED);
	CHECK_STR(why, "12 stray references in 5 failed passes, top taker folio-lock from "
		  "shmem_fault; 8 of 100 not migrated");
	fake_race(&f, 0);	/* failures, none through a stray reference */
	CHECK_INT(report_race(&f.r, why, sizeof(why)), RACE_NOT_SEEN);
	CHECK_STR(why, "8 of 100 not migrated, 0 stray references");
	fake_race(&f, 12);	/* strays counted, every page moved in the end */
	f.r.mig.not_migrated = 0;
	CHECK_INT(report_race(&f.r, why, sizeof(why)), RACE_NOT_SEEN);
	fake_init(&f);		/* no module: cannot tell */
	CHECK_INT(report_race(&f.r, why, sizeof(why)), RACE_UNKNOWN);
	CHECK_HAS(why, "without the module's stats");
	fake_race(&f, 12);
	f.o.scenario = SC_HUGETLB;
	CHECK_INT(report_race(&f.r, why, sizeof(why)), RACE_UNKNOWN);
	CHECK_HAS(why, "hugetlb");
}

static void verdict_expect_race(void)
{
	struct fake f;
	char *t;

	fake_race(&f, 12);
	f.o.expect_race = true;
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	t = render(report_table, &f.r);
	CHECK_HAS(t, "  race                     reproduced (12 stray references");
	free(t);
	t = render(report_ktap, &f.r);
	CHECK_HAS(t, "# race: reproduced (12 stray references");
	free(t);
	fake_race(&f, 0);
	f.o.expect_race = true;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "race not seen (--expect-race): 8 of 100 not migrated");
	fake_init(&f);
	f.o.expect_race = true;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "race unknown (--expect-race)");
}

static void verdict_limits(void)
{
	struct fake f;

	fake_init(&f);
	f.o.max_failures_set = true;
	f.o.max_failures = 8;		/* equal: not above */
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	fake_init(&f);
	f.o.max_failures_set = true;
	f.o.max_failures = 7;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "8 migration failures, more than --max-failures 7");
	fake_init(&f);
	f.o.max_rate_set = true;
	f.o.max_rate = 0.08;
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	fake_init(&f);
	f.o.max_rate_set = true;
	f.o.max_rate = 0.05;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "failure rate 0.0800 above --max-rate 0.05");
}

static void verdict_readers(void)
{
	struct fake f;

	fake_init(&f);
	f.r.data.deaths = 1;
	f.r.data.last_death_sig = SIGBUS;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "killed by signal 7 (BUS)");
	fake_init(&f);
	f.r.data.stuck = 2;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "did not stop");
}

static void verdict_interrupted(void)
{
	struct fake f;

	fake_init(&f);
	f.r.interrupted = true;
	f.r.signo = SIGINT;
	f.r.data.deaths = 1;		/* readers may die of the same Ctrl-C */
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "interrupted by SIGINT");
}

/* move_pages() calls that failed: the run fails, saying so, however few failures it saw. */
static void verdict_call_errors(void)
{
	struct fake f;
	char *t, *k, *j;

	fake_init(&f);
	f.o.expect_failures = true;
	f.r.mig.call_errors = 40;
	f.r.mig.call_by_errno[EACCES] = 40;
	f.r.mig.not_tried = 40;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_STR(f.r.reason, "move_pages() failed on 40 call(s) (EACCES 40): not a race; "
		  "EACCES: a node outside this task's cpuset mems?");
	t = render(report_table, &f.r);
	CHECK_HAS(t, "failed calls by errno    EACCES 40 (not a race; 40 page(s) not tried)\n");
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "# call_errors: 40\n# call_errors_EACCES: 40\n");
	j = render(report_json, &f.r);
	CHECK_HAS(j, "\"call_errors_by_errno\": {\n      \"EACCES\": 40\n    },\n"
		  "    \"not_tried\": 40,\n");
	free(t);
	free(k);
	free(j);
	json_valid(&f.r, "call-errors.json");
	fake_init(&f);
	f.r.mig.call_errors = 1;
	f.r.mig.call_by_errno[ENOMEM] = 1;
	report_decide(&f.r);
	CHECK_STR(f.r.reason, "move_pages() failed on 1 call(s) (ENOMEM 1): not a race");
}

static void verdict_set_before_is_kept(void)
{
	struct fake f;

	fake_init(&f);
	report_skip(&f.r, "need 2 NUMA nodes, found 1");
	f.r.data.mismatches = 5;
	CHECK_INT(report_decide(&f.r), EXIT_SKIP);
	CHECK_STR(f.r.reason, "need 2 NUMA nodes, found 1");
}

static void verdict_hotplug_failures(void)
{
	struct fake f;
	uint64_t fails, attempts;

	fake_init(&f);
	migr_stats_init(&f.r.mig);
	f.r.hp.used = true;
	f.r.hp.offline_attempts = 4;
	f.r.hp.offline_failed = 1;
	report_failures(&f.r, &fails, &attempts);
	CHECK_INT(fails, 1);
	CHECK_INT(attempts, 4);
	f.o.max_rate_set = true;
	f.o.max_rate = 0.2;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
}

static void verdict_dsplit_errors(void)
{
	struct fake f;

	fake_dsplit(&f);
	CHECK_INT(report_decide(&f.r), EXIT_PASS);
	fake_dsplit(&f);
	f.r.ds.shrinker_errors = 2;
	f.r.ds.last_errno = EACCES;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_STR(f.r.reason, "deferred-split: 2 drop_caches write(s) failed (last: EACCES)");
	fake_dsplit(&f);
	strcpy(f.r.ds.error, "re-creating THP unit 3: mmap: Cannot allocate memory");
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "deferred-split: re-creating THP unit 3");
	fake_dsplit(&f);			/* corruption is named first */
	f.r.ds.shrinker_errors = 1;
	f.r.data.final_bad = 1;
	CHECK_INT(report_decide(&f.r), EXIT_FAIL);
	CHECK_HAS(f.r.reason, "data corruption (1)");
}

/* --- table ------------------------------------------------------------------------------ */

static void table_rows(void)
{
	struct fake f;
	char *t;

	fake_init(&f);
	fake_module(&f.r);
	report_decide(&f.r);
	t = render(report_table, &f.r);
	CHECK_HAS(t, "migrace run shared-anon\n");
	CHECK_HAS(t, "x86_64 / 6.1.0-56-amd64");
	CHECK_HAS(t, "seed                     42\n");
	CHECK_HAS(t, "attempts (pages)         100\n");
	CHECK_HAS(t, "not migrated             8\n");
	CHECK_HAS(t, "failure rate             8.00%\n");
	CHECK_HAS(t, "failures by errno        EBUSY 3, unreported 5\n");
	CHECK_HAS(t, "first failure after      0.012500 s\n");
	CHECK_HAS(t, "delta pgmigrate_fail     8\n");
	CHECK_HAS(t, "pass_eagain                    36\n");
	CHECK_HAS(t, "tlb_flush_immediate            7\n");
	CHECK_HAS(t, "window.pte-clear.hits          5\n");
	CHECK_HAS(t, "stray_refs                     0\n");	/* headline: always shown */
	CHECK(!strstr(t, "inflight_overflow"));	/* unchanged and not a headline */
	/* a maximum since reset is shown as it is, never as a delta */
	CHECK_HAS(t, "window.freeze.irqoff_max_ns    1000 (the most since reset)\n");
	CHECK(!strstr(t, "irqoff_max_ns   100\n"));
	CHECK_HAS(t, "taker=folio-lock kind=shmem hits=123\n      __folio_lock+0x0/0x90\n");
	CHECK_HAS(t, "verdict                  PASS\n");
	free(t);
	report_free(&f.r);
}

static void table_dsplit_rows(void)
{
	struct fake f;
	char *t;

	fake_dsplit(&f);
	report_decide(&f.r);
	t = render(report_table, &f.r);
	CHECK_HAS(t, "migrace run deferred-split\n");
	CHECK_HAS(t, "pages                    8 x 2097152 bytes\n");
	CHECK_HAS(t, "move_pages calls         100\n");
	CHECK_HAS(t, "migrated                 92\n");
	CHECK_HAS(t, "live bytes per unit      2093056 (last base page unmapped)\n");
	CHECK_HAS(t, "shrinker calls           22 (drop_caches writes; longest 0.021 s)\n");
	CHECK_HAS(t, "rethp                    174 (split THPs re-created)\n");
	CHECK_HAS(t, "rethp failed / deferred  2 / 1\n");
	CHECK_HAS(t, "delta thp_deferred_split 180\n");
	CHECK_HAS(t, "delta thp_split_page     176 (failed 3)\n");
	CHECK(!strstr(t, "shrinker errors"));
	CHECK_HAS(t, "verdict                  PASS\n");
	free(t);
	fake_init(&f);			/* other scenarios: no such rows */
	t = render(report_table, &f.r);
	CHECK(!strstr(t, "shrinker") && !strstr(t, "rethp"));
	free(t);
}

static void table_skip(void)
{
	struct fake f;
	char *t;

	fake_init(&f);
	report_skip(&f.r, "need 2 NUMA nodes, found 1");
	t = render(report_table, &f.r);
	CHECK_STR(t, "# SKIP need 2 NUMA nodes, found 1\n");
	free(t);
}

/* --- JSON -------------------------------------------------------------------------------- */

/* Run the schema validator on @path; Return: its exit code (output shown if not @want). */
static int validate(const char *path, bool minimal, int want)
{
	const char *py = getenv("MIGRACE_VALIDATOR"), *schema = getenv("MIGRACE_SCHEMA");
	char *argv[] = { "python3", (char *)py, (char *)schema, (char *)path, NULL };
	char *env[] = { "MIGRACE_MINIMAL_VALIDATOR=1", NULL }, *out, *err;
	int rc;

	if (!py || !schema)
		tap_fail(__FILE__, __LINE__, "MIGRACE_VALIDATOR/MIGRACE_SCHEMA not set (run make test)");
	if (!py || !schema)
		return -1;
	rc = tap_exec(argv, minimal ? env : NULL, 30, &out, &err);
	if (rc != want)
		tap_diag("%s%s", out, err);
	free(out);
	free(err);
	return rc;
}

static void write_json(const struct report *r, const char *path)
{
	char *j = render(report_json, r);

	tap_write_file(path, j);
	free(j);
}

static void json_valid(struct report *r, const char *name)
{
	char *path = strdup(tap_path(name));

	write_json(r, path);
	CHECK_INT(validate(path, false, 0), 0);
	CHECK_INT(validate(path, true, 0), 0);
	free(path);
}

static void json_pass_validates(void)
{
	struct fake f;
	char *j;

	fake_init(&f);
	fake_module(&f.r);
	f.o.nwindows = 1;
	strcpy(f.o.windows[0], "pte-clear");
	strcpy(f.o.policy, "delay delay_us=200");
	report_decide(&f.r);
	json_valid(&f.r, "pass.json");
	j = render(report_json, &f.r);
	CHECK_HAS(j, "\"verdict\": \"pass\"");
	CHECK_HAS(j, "\"failures_by_errno\": {\n      \"EBUSY\": 3\n    }");
	CHECK_HAS(j, "\"first_failure_s\": 0.012500");
	CHECK_HAS(j, "\"pass_eagain\": 36");
	CHECK_HAS(j, "\"stray_refs\": 0");
	CHECK_HAS(j, "\"stats_max\": {\n      \"window.freeze.irqoff_max_ns\": 1000\n    }");
	CHECK(!strstr(j, "\"window.freeze.irqoff_max_ns\": 100\n"));
	CHECK_HAS(j, "\"windows\": [\n      \"pte-clear\"\n    ]");
	free(j);
	report_free(&f.r);
}

static void json_fail_and_skip_validate(void)
{
	struct fake f;
	char *j;

	fake_init(&f);
	f.r.data.mismatches = 1;
	strcpy(f.r.data.first, "a \"quoted\"\nline\twith\\ escapes");
	report_decide(&f.r);
	json_valid(&f.r, "fail.json");
	j = render(report_json, &f.r);
	CHECK_HAS(j, "a \\\"quoted\\\"\\nline\\u0009with\\\\ escapes");
	free(j);
	fake_init(&f);
	f.r.node_a = f.r.node_b = -1;
	migr_stats_init(&f.r.mig);
	report_skip(&f.r, "need 2 NUMA nodes, found 1");
	json_valid(&f.r, "skip.json");
}

static void json_hotplug_validates(void)
{
	struct fake f;

	fake_init(&f);
	f.o.scenario = SC_HOT_REMOVE;
	migr_stats_init(&f.r.mig);
	f.r.hp.used = true;
	strcpy(f.r.hp.block, "/sys/devices/system/memory/memory33");
	f.r.hp.offline_attempts = 3;
	f.r.hp.offline_failed = 1;
	f.r.hp.by_errno[EBUSY] = 1;
	report_decide(&f.r);
	json_valid(&f.r, "hotplug.json");
}

static void json_dsplit_validates(void)
{
	struct fake f;
	char *j, *p, *path;

	fake_dsplit(&f);
	report_decide(&f.r);
	json_valid(&f.r, "dsplit.json");
	j = render(report_json, &f.r);
	CHECK_HAS(j, "\"scenario\": \"deferred-split\"");
	CHECK_HAS(j, "\"deferred_split\": {\n    \"live_bytes\": 2093056,\n"
		  "    \"shrinker_calls\": 22,\n    \"shrinker_errors\": 0,\n    \"rethp\": 174,\n");
	CHECK_HAS(j, "\"thp_split_page_delta\": 176");
	CHECK_HAS(j, "\"calls\": 100");
	/* a report without one of the fields is refused */
	p = strstr(j, "\"rethp\": 174,");
	CHECK(p != NULL);
	if (p)
		memcpy(p, "\"rethq\"", 7);
	path = strdup(tap_path("dsplit-drift.json"));
	tap_write_file(path, j);
	CHECK_INT(validate(path, false, 1), 1);
	CHECK_INT(validate(path, true, 1), 1);
	free(path);
	free(j);
	strcpy(f.r.ds.error, "the shrinker thread did not stop within 30 s");
	f.r.exit_code = EXIT_PASS;
	report_decide(&f.r);
	json_valid(&f.r, "dsplit-fail.json");
	fake_init(&f);
	j = render(report_json, &f.r);
	CHECK_HAS(j, "\"deferred_split\": null");
	free(j);
}

/* The validator is not a rubber stamp: a broken report is refused. */
static void json_schema_rejects_drift(void)
{
	struct fake f;
	char *j, *p, *path = strdup(tap_path("drift.json"));

	fake_init(&f);
	j = render(report_json, &f.r);
	p = strstr(j, "\"verdict\": \"pass\"");
	CHECK(p != NULL);
	if (p)
		memcpy(p, "\"verdikt\"", 9);
	tap_write_file(path, j);
	CHECK_INT(validate(path, false, 1), 1);
	CHECK_INT(validate(path, true, 1), 1);
	free(j);
	free(path);
}

/* --- KTAP ------------------------------------------------------------------------------- */

static const char *kunit_py(void)
{
	const char *p = getenv("KUNIT_PY");

	if (!p || access(p, R_OK)) {
		tap_fail(__FILE__, __LINE__, "KUNIT_PY '%s' not found: cannot check KTAP",
			 p ? p : "(unset)");
		return NULL;
	}
	return p;
}

/* Parse @ktap with `kunit.py parse --json`; Return: its JSON (malloc'd) or NULL. */
static char *kunit_parse(const char *ktap, const char *name)
{
	char in[512], js[512], opt[600], *out, *err, *res;
	const char *py = kunit_py();
	char *argv[] = { "python3", (char *)py, "parse", opt, in, NULL };

	if (!py)
		return NULL;
	snprintf(in, sizeof(in), "%s.ktap", tap_path(name));
	snprintf(js, sizeof(js), "%s.kunit.json", tap_path(name));
	snprintf(opt, sizeof(opt), "--json=%s", js);
	tap_write_file(in, ktap);
	tap_exec(argv, NULL, 60, &out, &err);
	res = tap_read_file(js);
	if (!res || strstr(out, "[ERROR]"))
		tap_diag("kunit.py: %s%s", out, err);
	CHECK(!strstr(out, "[ERROR]"));
	free(out);
	free(err);
	return res;
}

static void ktap_pass_parses(void)
{
	struct fake f;
	char *k, *j;

	fake_init(&f);
	fake_module(&f.r);
	report_decide(&f.r);
	k = render(report_ktap, &f.r);
	CHECK(!strncmp(k, "KTAP version 1\n1..1\n", 20));
	CHECK_HAS(k, "# not_migrated: 8\n");
	CHECK_HAS(k, "# failures_EBUSY: 3\n");
	CHECK_HAS(k, "# failure_rate: 0.080000\n");
	CHECK_HAS(k, "# pgmigrate_fail_delta: 8\n");
	CHECK_HAS(k, "# module_pass_eagain_delta: 36\n");
	CHECK_HAS(k, "# module_window.freeze.irqoff_max_ns: 1000\n");
	CHECK(!strstr(k, "irqoff_max_ns_delta"));
	CHECK_HAS(k, "# attribution_1: taker=folio-lock kind=shmem hits=123\n");
	CHECK_HAS(k, "\nok 1 shared-anon\n");
	j = kunit_parse(k, "pass");
	CHECK_HAS(j, "\"name\": \"shared-anon\"");
	CHECK_HAS(j, "\"status\": \"PASS\"");
	free(k);
	free(j);
	report_free(&f.r);
}

static void ktap_fail_parses(void)
{
	struct fake f;
	char *k, *j;

	fake_init(&f);
	f.o.expect_failures = true;
	f.r.mig.not_migrated = 0;
	report_decide(&f.r);
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "# reason: no migration failures (--expect-failures)\nnot ok 1 shared-anon\n");
	j = kunit_parse(k, "fail");
	CHECK_HAS(j, "\"status\": \"FAIL\"");
	free(k);
	free(j);
}

static void ktap_dsplit_parses(void)
{
	struct fake f;
	char *k, *j;

	fake_dsplit(&f);
	report_decide(&f.r);
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "# calls: 100\n");
	CHECK_HAS(k, "# migrated: 92\n");
	CHECK_HAS(k, "# shrinker_calls: 22\n# shrinker_errors: 0\n# rethp: 174\n"
		  "# rethp_failed: 2\n# gate_timeouts: 1\n# thp_deferred_split_page_delta: 180\n"
		  "# thp_split_page_delta: 176\n# thp_split_page_failed_delta: 3\n");
	CHECK_HAS(k, "\nok 1 deferred-split\n");
	j = kunit_parse(k, "dsplit");
	CHECK_HAS(j, "\"name\": \"deferred-split\"");
	CHECK_HAS(j, "\"status\": \"PASS\"");
	free(k);
	free(j);
	fake_init(&f);
	k = render(report_ktap, &f.r);
	CHECK(!strstr(k, "shrinker_calls") && !strstr(k, "rethp"));
	free(k);
}

static void ktap_skip_parses(void)
{
	struct fake f;
	char *k, *j;

	fake_init(&f);
	f.o.scenario = SC_HUGETLB;
	report_skip(&f.r, "could not reserve 1 huge pages # on node 1");
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "\nok 1 hugetlb # SKIP could not reserve 1 huge pages _ on node 1\n");
	j = kunit_parse(k, "skip");
	CHECK_HAS(j, "\"name\": \"hugetlb\"");
	CHECK_HAS(j, "\"status\": \"SKIP\"");
	free(k);
	free(j);
}

/* A rendezvous run and its baseline: the header tells them apart. */
static void fake_rendezvous(struct fake *f)
{
	static char *argv[] = { "run", "shared-anon", "--window", "pte-clear", "--policy",
				"rendezvous timeout_us=5000", "--json", "it's.json" };

	fake_init(f);
	f->o.nwindows = 1;
	strcpy(f->o.windows[0], "pte-clear");
	strcpy(f->o.policy, "rendezvous timeout_us=5000");
	f->r.argc = 8;
	f->r.argv = argv;
}

static void table_header_window_policy(void)
{
	struct fake f;
	char *t;

	fake_rendezvous(&f);
	t = render(report_table, &f.r);
	CHECK_HAS(t, "migrace run shared-anon\n  version                  " MIGRACE_VERSION "\n"
		  "  command                  migrace run shared-anon --window pte-clear --policy "
		  "'rendezvous timeout_us=5000' --json 'it'\\''s.json'\n"
		  "  window                   pte-clear\n"
		  "  policy                   rendezvous timeout_us=5000\n");
	free(t);
	fake_init(&f);
	t = render(report_table, &f.r);
	CHECK_HAS(t, "  window                   none\n  policy                   none\n");
	free(t);
	f.o.nwindows = 2;
	strcpy(f.o.windows[0], "freeze");
	strcpy(f.o.windows[1], "entry-wait");
	t = render(report_table, &f.r);
	CHECK_HAS(t, "  window                   freeze,entry-wait\n"
		  "  policy                   delay (the module's default)\n");
	free(t);
}

static void ktap_header_window_policy(void)
{
	struct fake f;
	char *k, *j;

	fake_rendezvous(&f);
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "\n# tool_version: " MIGRACE_VERSION "\n# command: migrace run shared-anon "
		  "--window pte-clear --policy 'rendezvous timeout_us=5000' --json 'it'\\''s.json'\n"
		  "# window: pte-clear\n# policy: rendezvous timeout_us=5000\n# seconds: ");
	j = kunit_parse(k, "header");
	CHECK_HAS(j, "\"status\": \"PASS\"");
	free(k);
	free(j);
	report_skip(&f.r, "window pte-clear unavailable on this kernel (missing:x)");
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "# window: pte-clear\n# policy: rendezvous timeout_us=5000\n"
		  "ok 1 shared-anon # SKIP window pte-clear unavailable");
	free(k);
	fake_init(&f);
	k = render(report_ktap, &f.r);
	CHECK_HAS(k, "# window: none\n# policy: none\n");
	free(k);
}

static void json_version_command(void)
{
	struct fake f;
	char *j, *p, *path = strdup(tap_path("nover.json"));

	fake_rendezvous(&f);
	report_decide(&f.r);
	json_valid(&f.r, "version.json");
	j = render(report_json, &f.r);
	CHECK_HAS(j, "\"tool_version\": \"" MIGRACE_VERSION "\",\n  \"command\": [\n    \"migrace\",\n"
		  "    \"run\",\n    \"shared-anon\",\n    \"--window\",\n    \"pte-clear\",\n"
		  "    \"--policy\",\n    \"rendezvous timeout_us=5000\",\n");
	p = strstr(j, "\"tool_version\"");	/* without the key: refused */
	if (p)
		memcpy(p, "\"tool_versio_\"", 14);
	tap_write_file(path, j);
	CHECK_INT(validate(path, false, 1), 1);
	CHECK_INT(validate(path, true, 1), 1);
	free(j);
	free(path);
}

SUITE_DEFINE(report,
	TAP_CASE(verdict_pass),
	TAP_CASE(verdict_corruption_always_fails),
	TAP_CASE(verdict_expect_failures),
	TAP_CASE(verdict_limits),
	TAP_CASE(race_verdicts),
	TAP_CASE(verdict_expect_race),
	TAP_CASE(verdict_readers),
	TAP_CASE(verdict_interrupted),
	TAP_CASE(verdict_set_before_is_kept),
	TAP_CASE(verdict_call_errors),
	TAP_CASE(verdict_hotplug_failures),
	TAP_CASE(verdict_dsplit_errors),
	TAP_CASE(table_rows),
	TAP_CASE(table_dsplit_rows),
	TAP_CASE(table_skip),
	TAP_CASE(table_header_window_policy),
	TAP_CASE(ktap_header_window_policy),
	TAP_CASE(json_version_command),
	TAP_CASE(json_pass_validates),
	TAP_CASE(json_fail_and_skip_validate),
	TAP_CASE(json_hotplug_validates),
	TAP_CASE(json_dsplit_validates),
	TAP_CASE(json_schema_rejects_drift),
	TAP_CASE(ktap_pass_parses),
	TAP_CASE(ktap_fail_parses),
	TAP_CASE(ktap_dsplit_parses),
	TAP_CASE(ktap_skip_parses),
);
