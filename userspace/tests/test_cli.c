// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli.c - the built binary ($MIGRACE_BIN) end to end: exit codes and
 * messages of bad command lines, the module verbs against a fake debugfs
 * directory ($MIGRACE_DEBUGFS), and `run` on a machine with fewer than two
 * NUMA nodes (exit 4, KTAP and JSON still written).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"
#include "suites.h"

#define CLI_TIMEOUT_S	20

struct cli_case {
	const char *name;
	const char *args;	/* blank-separated; '+' stands for a blank inside one */
	int rc;
	const char *out;	/* expected in stdout, or NULL */
	const char *err;	/* expected in stderr, or NULL */
};

/* Run the driver with @args; Return: exit code, output in *out, *err. */
static int migrace(const char *args, char *const env[], char **out, char **err)
{
	const char *bin = getenv("MIGRACE_BIN");
	char buf[1024], *argv[32], *save = NULL, *tok;
	int n = 0;

	if (!bin || access(bin, X_OK)) {
		tap_fail(__FILE__, __LINE__, "MIGRACE_BIN '%s' is not executable (run make test)",
			 bin ? bin : "(unset)");
		*out = calloc(1, 1);
		*err = calloc(1, 1);
		return -1;
	}
	argv[n++] = (char *)bin;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && n < 31; tok = strtok_r(NULL, " ", &save)) {
		for (char *p = tok; *p; p++)
			*p = *p == '+' ? ' ' : *p;
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return tap_exec(argv, env, CLI_TIMEOUT_S, out, err);
}

static void check_case(const struct cli_case *c, char *const env[])
{
	char *out, *err;
	int rc = migrace(c->args, env, &out, &err);

	if (rc != c->rc)
		tap_fail(__FILE__, __LINE__, "%s: `migrace %s` exited %d, want %d; stderr: %s",
			 c->name, c->args, rc, c->rc, err);
	if (c->out && !strstr(out, c->out))
		tap_fail(__FILE__, __LINE__, "%s: stdout \"%s\" lacks \"%s\"", c->name, out, c->out);
	if (c->err && !strstr(err, c->err))
		tap_fail(__FILE__, __LINE__, "%s: stderr \"%s\" lacks \"%s\"", c->name, err, c->err);
	free(out);
	free(err);
}

#define CHECK_TABLE(cases, env)							\
	do {									\
		for (size_t i_ = 0; i_ < sizeof(cases) / sizeof(cases[0]); i_++)	\
			check_case(&cases[i_], env);				\
		tap_diag("%zu command lines", sizeof(cases) / sizeof(cases[0]));\
	} while (0)

static const struct cli_case usage_cases[] = {
	{ "no verb", "", 2, NULL, "usage: migrace run SCENARIO" },
	{ "help", "help", 0, "exit codes: 0 pass, 1 fail, 2 usage, 4 skip", NULL },
	{ "unknown verb", "frob", 2, NULL,
	  "unknown verb 'frob'; verbs: run arm disarm stats windows attribution" },
	{ "unknown scenario", "run frob", 2, NULL,
	  "valid scenarios: shared-anon private-anon thp shmem-file hugetlb hot-remove" },
	{ "bad pages", "run shared-anon --pages lots", 2, NULL, "--pages: bad value 'lots'" },
	{ "bad rate", "run shared-anon --max-rate 2", 2, NULL, "--max-rate: bad value '2'" },
	{ "bad access", "run thp --access up", 2, NULL, "--access: bad value 'up'" },
	{ "bad policy", "run thp --window pte-clear --policy hold", 2, NULL,
	  "--policy: bad value 'hold'" },
	{ "unknown option", "run thp --fast", 2, NULL, "unknown option '--fast'" },
	{ "stats argument", "stats now", 2, NULL, "stats: unexpected argument 'now'" },
	{ "arm no window", "arm", 2, NULL, "arm: missing WINDOW" },
	{ "arm bad target", "arm pte-clear --target uid:0", 2, NULL, "--target: bad value 'uid:0'" },
	{ "disarm two", "disarm a b", 2, NULL, "disarm: unexpected argument 'b'" },
};

static void cli_usage_errors(void)
{
	CHECK_TABLE(usage_cases, NULL);
}

static const struct cli_case no_module_cases[] = {
	{ "stats", "stats", 4, NULL, "migrace: module not loaded (no /nonexistent/migrace)" },
	{ "windows", "windows", 4, NULL, "module not loaded (no /nonexistent/migrace)" },
	{ "attribution", "attribution", 4, NULL, "module not loaded" },
	{ "arm", "arm pte-clear delay", 4, NULL, "module not loaded" },
	{ "disarm", "disarm", 4, NULL, "module not loaded" },
};

static void cli_without_module(void)
{
	char *env[] = { "MIGRACE_DEBUGFS=/nonexistent/migrace", NULL };

	CHECK_TABLE(no_module_cases, env);
}

/* A fake debugfs directory; Return: the env entry pointing at it. */
static char *fake_debugfs(void)
{
	static char env[600];
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", tap_path("debugfs"));
	mkdir(dir, 0700);
	tap_write_file(tap_path("debugfs/stats"), "migrate_calls: 5\nbogus line\npass_ok: 4\n");
	tap_write_file(tap_path("debugfs/windows"),
		       "# name available armed policy hits widened met timeouts widen_ns\n"
		       "pte-clear yes yes delay:100000-100000ns 12 10 0 0 1000000\n"
		       "entry-wait no no none 0 0 0 0 0 missing:migration_entry_wait_on_locked\n");
	tap_write_file(tap_path("debugfs/attribution"),
		       "taker=gup kind=anon hits=3\n  get_user_pages+0x1/0x2\n");
	tap_write_file(tap_path("debugfs/control"), "");
	snprintf(env, sizeof(env), "MIGRACE_DEBUGFS=%s", dir);
	return env;
}

static const struct cli_case fake_module_cases[] = {
	{ "stats", "stats", 0, "migrate_calls: 5\npass_ok: 4\n", "1 malformed line(s) skipped" },
	{ "windows", "windows", 0, "window      available  armed  policy", NULL },
	{ "windows row", "windows", 0, "entry-wait  no         no     none", NULL },
	{ "windows why", "windows", 0, "missing:migration_entry_wait_on_locked", NULL },
	{ "attribution", "attribution", 0, "taker=gup kind=anon hits=3\n  get_user_pages", NULL },
};

static void cli_fake_module_reads(void)
{
	char *env[] = { fake_debugfs(), NULL };

	CHECK_TABLE(fake_module_cases, env);
}

static void cli_arm_writes_control(void)
{
	char *env[] = { fake_debugfs(), NULL }, *out, *err, *control;

	CHECK_INT(migrace("arm pte-clear delay delay_us=200 --target pgid:77", env, &out, &err), 0);
	free(out);
	free(err);
	CHECK_INT(migrace("disarm", env, &out, &err), 0);
	free(out);
	free(err);
	control = tap_read_file(tap_path("debugfs/control"));
	CHECK_STR(control, "target pgid 77\narm pte-clear delay delay_us=200\ndisarm all\n");
	free(control);
}

/* A write the "kernel" refuses: errno and line shown, exit 2. */
static void cli_control_rejected(void)
{
	char *env[] = { fake_debugfs(), NULL }, *out, *err;

	unlink(tap_path("debugfs/control"));
	CHECK_INT(symlink("/dev/full", tap_path("debugfs/control")), 0);
	CHECK_INT(migrace("arm pte-clear count", env, &out, &err), 2);
	CHECK_HAS(err, "control: 'arm pte-clear count' rejected: ENOSPC");
	free(out);
	free(err);
}

/* This host's NUMA nodes with memory, or -1. */
static int host_nodes(void)
{
	int nodes[MIGRACE_MAX_NODES];

	return nodes_with_memory(nodes, MIGRACE_MAX_NODES);
}

static void cli_run_one_node_skips(void)
{
	char *env[] = { "MIGRACE_DEBUGFS=/nonexistent/migrace", NULL }, *out, *err, want[64];
	int n = host_nodes(), rc;
	double t = now_s();

	if (n >= 2)
		tap_skip("this host has %d NUMA nodes", n);
	snprintf(want, sizeof(want), "# SKIP need 2 NUMA nodes, found %d\n", n < 0 ? 0 : n);
	rc = migrace("run shared-anon --seconds 0.5", env, &out, &err);
	CHECK_INT(rc, 4);
	CHECK_STR(out, want);
	CHECK(now_s() - t < 5);
	free(out);
	free(err);
}

static void cli_run_one_node_ktap_json(void)
{
	char *env[] = { "MIGRACE_DEBUGFS=/nonexistent/migrace", NULL }, *out, *err, args[700];
	char *argv[] = { "python3", getenv("MIGRACE_VALIDATOR"), getenv("MIGRACE_SCHEMA"),
			 NULL, NULL };
	char path[512], *json;
	int n = host_nodes();

	if (n >= 2)
		tap_skip("this host has %d NUMA nodes", n);
	snprintf(path, sizeof(path), "%s", tap_path("skip-run.json"));
	snprintf(args, sizeof(args), "run hugetlb --seconds 0.5 --seed 9 --ktap --json %s", path);
	CHECK_INT(migrace(args, env, &out, &err), 4);
	CHECK_HAS(out, "KTAP version 1\n1..1\n# migrace hugetlb: ");
	CHECK_HAS(out, ", seed 9\n");
	CHECK_HAS(out, "ok 1 hugetlb # SKIP need 2 NUMA nodes, found");
	free(out);
	free(err);
	json = tap_read_file(path);
	CHECK_HAS(json, "\"verdict\": \"skip\"");
	CHECK_HAS(json, "\"exit_code\": 4");
	free(json);
	argv[3] = path;
	if (!argv[1] || !argv[2])
		tap_fail(__FILE__, __LINE__, "MIGRACE_VALIDATOR/MIGRACE_SCHEMA not set");
	else
		CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
}

/* Usage errors come before the system is looked at, even on one node. */
static void cli_window_needs_module(void)
{
	char *env[] = { "MIGRACE_DEBUGFS=/nonexistent/migrace", NULL }, *out, *err;

	CHECK_INT(migrace("run shared-anon --policy count", env, &out, &err), 2);
	CHECK_HAS(err, "--policy needs --window");
	free(out);
	free(err);
}

SUITE_DEFINE(cli,
	TAP_CASE(cli_usage_errors),
	TAP_CASE(cli_without_module),
	TAP_CASE(cli_fake_module_reads),
	TAP_CASE(cli_arm_writes_control),
	TAP_CASE(cli_control_rejected),
	TAP_CASE(cli_run_one_node_skips),
	TAP_CASE(cli_run_one_node_ktap_json),
	TAP_CASE(cli_window_needs_module),
);
