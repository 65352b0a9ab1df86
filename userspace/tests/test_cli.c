// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli.c - the built binary ($MIGRACE_BIN) end to end: exit codes and
 * messages of bad command lines, the module verbs against a fake debugfs
 * directory ($MIGRACE_DEBUGFS), `run` on a machine with fewer than two
 * NUMA nodes (exit 4, KTAP and JSON still written), and whole runs on such a
 * machine with MIGRACE_TEST_SAME_NODE=1 (node 0 as both ends: every attempt
 * fails, readers and reports are real).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"
#include "suites.h"
#include "../../module/version.h"

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
		int n_ = (int)(sizeof(cases) / sizeof(cases[0]));		\
										\
		tap_sub_plan(n_);						\
		for (int i_ = 0; i_ < n_; i_++) {				\
			tap_sub_begin();					\
			check_case(&cases[i_], env);				\
			tap_sub_end(i_ + 1, cases[i_].name);			\
		}								\
	} while (0)

/* MIGRACE_DEBUGFS in an existing directory (debugfs "mounted") with no migrace in it. */
static char *no_module_env(void)
{
	static char env[600];

	mkdir(tap_path("nomodule"), 0700);
	snprintf(env, sizeof(env), "MIGRACE_DEBUGFS=%s/migrace", tap_path("nomodule"));
	return env;
}

static const struct cli_case usage_cases[] = {
	{ "no verb", "", 2, NULL, "usage: migrace run SCENARIO" },
	{ "help", "help", 0, "exit codes: 0 pass, 1 fail, 2 usage, 4 skip", NULL },
	{ "unknown verb", "frob", 2, NULL,
	  "unknown verb 'frob'; verbs: run arm disarm stats windows attribution reset target "
	  "help version\n" },
	{ "help run", "help run", 0, "usage: migrace run SCENARIO [options]\n", NULL },
	{ "run --help", "run --help", 0, "usage: migrace run SCENARIO [options]\n", NULL },
	{ "run -h", "run -h", 0, "  --seconds S ", NULL },
	{ "run SCENARIO --help", "run thp --pages 2 --help", 0, "usage: migrace run", NULL },
	{ "help disarm", "help disarm", 0, "usage: migrace disarm [WINDOW|all]\n", NULL },
	{ "help target", "help target", 0, "list: the module's targets, as the control lines", NULL },
	{ "help unknown", "help frob", 2, NULL, "unknown verb 'frob'" },
	{ "arm --help", "arm --help", 0, "usage: migrace arm WINDOW", NULL },
	{ "--help", "--help", 0, "`migrace help VERB`", NULL },
	{ "--version", "--version", 0, "migrace " MIGRACE_VERSION "\n", NULL },
	{ "version", "version", 0, "migrace " MIGRACE_VERSION "\n", NULL },
	{ "version argument", "version 2", 2, NULL, "version: unexpected argument '2'" },
	{ "unknown short option", "run thp -xyz", 2, NULL, "run: unknown option '-x'\n" },
	{ "flag with a value", "run thp --quiet=1", 2, NULL,
	  "run: --quiet takes no value ('--quiet=1')\n" },
	{ "--help with a value", "run thp --help=1", 2, NULL,
	  "run: --help takes no value ('--help=1')\n" },
	{ "target no action", "target", 2, NULL, "target: missing ACTION" },
	{ "target bad action", "target frob", 2, NULL,
	  "target: bad value 'frob' (add, clear or list)" },
	{ "target add nothing", "target add", 2, NULL, "target add: missing SPEC" },
	{ "target add bad", "target add pid:1 uid:0", 2, NULL, "target add: bad value 'uid:0'" },
	{ "target clear argument", "target clear all", 2, NULL, "unexpected argument 'all'" },
	{ "reset argument", "reset all", 2, NULL, "reset: unexpected argument 'all'" },
	{ "disarm -x", "disarm -x", 2, NULL, "disarm: bad value '-x'" },
	{ "unknown scenario", "run frob", 2, NULL,
	  "valid scenarios: shared-anon private-anon thp shmem-file hugetlb hot-remove "
	  "deferred-split\n" },
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

/* An error is printed once, on stderr only. */
static void cli_error_once(void)
{
	char *out, *err;

	CHECK_INT(migrace("stats x", NULL, &out, &err), 2);
	CHECK_STR(err, "migrace: stats: unexpected argument 'x'\n");
	CHECK_STR(out, "");
	free(out);
	free(err);
}

/* Every option of `run --help` shows its default; every window of module/table.c is named. */
static void cli_run_help_defaults(void)
{
	const char *table = getenv("MIGRACE_TABLE_C");
	char *out, *err, *src, *p, *line, *save = NULL;
	int options = 0;

	CHECK_INT(migrace("run --help", NULL, &out, &err), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  --", 4) || !strncmp(line, "  --help", 8))
			continue;
		options++;
		if (!strchr(line, '[') || line[strlen(line) - 1] != ']')
			tap_fail(__FILE__, __LINE__, "no [default] on '%s'", line);
	}
	CHECK_INT(options, 19);
	free(out);
	free(err);
	CHECK_INT(migrace("help run", NULL, &out, &err), 0);
	CHECK_HAS(out, "  --seconds S                  time limit, 0.001..86400 [5]\n");
	CHECK_HAS(out, "    timeout_us=N               give up after N us [500]\n");
	CHECK_HAS(out, "  rendezvous ");
	CHECK_HAS(out, "  count ");
	src = table ? tap_read_file(table) : NULL;
	CHECK(src != NULL);
	for (p = src; p && (p = strstr(p, ".name = \"")); p++) {
		char name[32], want[40];

		if (sscanf(p, ".name = \"%31[^\"]", name) != 1)
			continue;
		snprintf(want, sizeof(want), " %s", name);
		CHECK_HAS(out, want);
	}
	free(src);
	free(out);
	free(err);
}

static const struct cli_case no_module_cases[] = {
	{ "stats", "stats", 4, NULL, "migrace: module not loaded (no /" },
	{ "windows", "windows", 4, NULL, "/nomodule/migrace)\n" },
	{ "attribution", "attribution", 4, NULL, "module not loaded" },
	{ "arm", "arm pte-clear delay", 4, NULL, "module not loaded" },
	{ "disarm", "disarm", 4, NULL, "module not loaded" },
	{ "reset", "reset", 4, NULL, "module not loaded" },
	{ "target add", "target add pid:1", 4, NULL, "module not loaded" },
	{ "target list", "target list", 4, NULL, "module not loaded" },
	{ "run --window", "run shared-anon --window pte-clear", 4,
	  "# SKIP module not loaded (no ", NULL },
};

static void cli_without_module(void)
{
	char *env[] = { no_module_env(), "MIGRACE_TEST_SAME_NODE=1", NULL };

	CHECK_TABLE(no_module_cases, env);
}

static const struct cli_case no_debugfs_cases[] = {
	{ "stats", "stats", 4, NULL, "migrace: debugfs not mounted (no /nonexistent)\n" },
	{ "arm", "arm pte-clear", 4, NULL, "migrace: debugfs not mounted (no /nonexistent)\n" },
	{ "run --window", "run shared-anon --window pte-clear", 4,
	  "debugfs not mounted (no /nonexistent), needed by --window", NULL },
};

/* debugfs is not there at all: said so, not "module not loaded"; still a skip. */
static void cli_without_debugfs(void)
{
	char *env[] = { "MIGRACE_DEBUGFS=/nonexistent/migrace", "MIGRACE_TEST_SAME_NODE=1", NULL };

	CHECK_TABLE(no_debugfs_cases, env);
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
		       "freeze yes no none 0 0 0 0 0\n"
		       "entry-wait no no none 0 0 0 0 0 missing:migration_entry_wait_on_locked\n"
		       "# pte-clear: widens try_to_migrate_one(); at ptep_clear_flush; "
		       "from 2024; kernels 6.1\n"
		       "# entry-wait: widens a fault waiting; at -; from 2018; kernels 5.17+\n");
	tap_write_file(tap_path("debugfs/attribution"),
		       "taker=gup kind=anon hits=3\n  get_user_pages+0x1/0x2\n");
	tap_write_file(tap_path("debugfs/targets"), "target pgid 77\ntarget comm bash\n");
	unlink(tap_path("debugfs/control"));	/* may be a symlink left by another case */
	tap_write_file(tap_path("debugfs/control"), "");
	snprintf(env, sizeof(env), "MIGRACE_DEBUGFS=%s", dir);
	return env;
}

static const struct cli_case fake_module_cases[] = {
	{ "stats", "stats", 0, "migrate_calls: 5\npass_ok: 4\n", "1 malformed line(s) skipped" },
	{ "windows", "windows", 0, "window      available  armed  policy", NULL },
	{ "windows row", "windows", 0, "entry-wait  no         no     none", NULL },
	{ "windows why", "windows", 0, "missing:migration_entry_wait_on_locked", NULL },
	{ "windows notes", "windows", 0, "missing:migration_entry_wait_on_locked\n"
	  "# pte-clear: widens try_to_migrate_one(); at ptep_clear_flush; from 2024; kernels 6.1\n"
	  "# entry-wait: widens a fault waiting; at -; from 2018; kernels 5.17+\n", NULL },
	{ "target list", "target list", 0, "target pgid 77\ntarget comm bash\n", NULL },
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

/* reset and target write their control lines; --help and bad names write nothing. */
static void cli_reset_target_write_control(void)
{
	char *env[] = { fake_debugfs(), NULL }, *out, *err, *control;
	static const char *const lines[] = {
		"reset", "target add pid:5 comm:bash pgid:77", "target clear", "disarm --help",
		"disarm -h", "reset --help", "target add --help",
	};
	static const int rcs[] = { 0, 0, 0, 0, 0, 0, 0 };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK_INT(migrace(lines[i], env, &out, &err), rcs[i]);
		free(out);
		free(err);
	}
	CHECK_INT(migrace("disarm --frob", env, &out, &err), 2);
	free(out);
	free(err);
	control = tap_read_file(tap_path("debugfs/control"));
	CHECK_STR(control, "reset\ntarget pid 5\ntarget comm bash\ntarget pgid 77\ntarget clear\n");
	free(control);
}

/* Make @path and the directories above it up to the temp dir's parent enterable by anyone. */
static void open_up(const char *path)
{
	char buf[512], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	chmod(buf, 0755);
	while ((slash = strrchr(buf, '/')) && slash != buf && strlen(buf) > strlen(tap_tmpdir())) {
		*slash = '\0';
		chmod(buf, 0755);
	}
}

/* Drop root in this case's own process; skip if that cannot be done. */
static void become_nobody(void)
{
	/* The owner of the test's directory gets in whatever its mode: no denial to see. */
	if (getuid())
		tap_skip("not root: cannot become another user to be denied");
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		tap_skip("cannot drop root privileges");
}

/* Not root: the directory cannot be reached (EACCES), exit 2 and why, not "not loaded". */
static void cli_debugfs_denied(void)
{
	char *env[] = { fake_debugfs(), "MIGRACE_TEST_SAME_NODE=1", NULL }, *out, *err;

	chmod(tap_tmpdir(), 0700);
	become_nobody();
	CHECK_INT(migrace("stats", env, &out, &err), 2);
	CHECK_HAS(err, "/debugfs: EACCES (Permission denied) (debugfs is root only: run as root)\n");
	CHECK(!strstr(err, "not loaded"));
	free(out);
	free(err);
	CHECK_INT(migrace("run shared-anon --seconds 0.1 --window pte-clear", env, &out, &err), 2);
	CHECK_HAS(err, "EACCES (Permission denied) (debugfs is root only: run as root), needed by "
		  "--window\n");
	CHECK_STR(out, "");
	free(out);
	free(err);
}

/* The directory is there but `control` is not writable: exit 2, the file and errno named. */
static void cli_control_denied(void)
{
	char *env[] = { fake_debugfs(), NULL }, *out, *err;

	open_up(tap_path("debugfs/stats"));
	chmod(tap_path("debugfs/control"), 0200);
	become_nobody();
	if (!getuid())
		tap_skip("still root");
	CHECK_INT(migrace("stats", env, &out, &err), 0);
	free(out);
	free(err);
	CHECK_INT(migrace("reset", env, &out, &err), 2);
	CHECK_HAS(err, "/debugfs/control: EACCES (Permission denied) (debugfs is root only: "
		  "run as root)\n");
	free(out);
	free(err);
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

/* A cross build without libnuma stops at once, saying NUMA_PREFIX; the lab's cache is found. */
static void cli_cross_build_needs_libnuma(void)
{
	char dir[512], cache[600], *out, *err;
	char *argv[] = { "make", "-n", "-C", dir, "CC=aarch64-linux-gnu-gcc", cache, NULL };
	const char *home = getenv("HOME");

	if (tap_exec((char *[]){ "aarch64-linux-gnu-gcc", "--version", NULL }, NULL, 10, &out,
		     &err)) {
		free(out);
		free(err);
		tap_skip("no aarch64-linux-gnu-gcc");
	}
	free(out);
	free(err);
	snprintf(dir, sizeof(dir), "%s", getenv("MIGRACE_USERSPACE") ?: ".");
	snprintf(cache, sizeof(cache), "MIGRACE_CACHE=%s", tap_path("no-cache"));
	CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 2);
	CHECK_HAS(err, "no libnuma.a for aarch64-linux-gnu");
	CHECK_HAS(err, "give NUMA_PREFIX=DIR holding an extracted libnuma-dev:arm64");
	free(out);
	free(err);
	snprintf(cache, sizeof(cache), "%s/.cache/migrace/arm64/usr/lib/aarch64-linux-gnu/libnuma.a",
		 home ? home : "");
	if (access(cache, R_OK))
		return;
	snprintf(cache, sizeof(cache), "MIGRACE_CACHE=%s/.cache/migrace", home);
	CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
	CHECK_HAS(out, "NUMA_PREFIX=");
	CHECK_HAS(out, "/usr/lib/aarch64-linux-gnu");
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

/* --- whole runs on one node (MIGRACE_TEST_SAME_NODE=1) ------------------------------- */

static char *same_node_env[] = {
	"MIGRACE_TEST_SAME_NODE=1", "MIGRACE_DEBUGFS=/nonexistent/migrace", NULL,
};

static void need_one_node(void)
{
	int n = host_nodes();

	if (n != 1)
		tap_skip("MIGRACE_TEST_SAME_NODE needs a one-node host, this one has %d", n);
}

/* Processes running the driver's binary right now. */
static int driver_processes(void)
{
	const char *bin = getenv("MIGRACE_BIN");
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], exe[512];
	int n = 0;

	while (d && bin && (e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%.20s/exe", e->d_name);
		len = readlink(path, exe, sizeof(exe) - 1);
		if (len <= 0)
			continue;
		exe[len] = '\0';
		n += !strcmp(exe, bin);
	}
	if (d)
		closedir(d);
	return n;
}

static const struct cli_case same_node_cases[] = {
	{ "shared-anon", "run shared-anon --seconds 0.5 --readers 2 --writers 50 --pages 2", 0,
	  "verdict                  PASS\n", "node 0 is both A and B" },
	{ "private-anon", "run private-anon --seconds 0.3 --readers 2 --writers 100 --access random",
	  0, "readers                  2 (2 writing, random)\n", NULL },
	{ "shmem-file", "run shmem-file --seconds 0.3 --pages 3 --access same --cpu-pin", 0,
	  "pages                    3 x 4096 bytes\n", NULL },
	{ "no corruption", "run shared-anon --seconds 0.3 --writers 100", 0,
	  "corruptions              0\n", NULL },
	{ "iterations", "run shared-anon --iterations 7 --seconds 5", 0,
	  "move_pages calls         7\n", NULL },
	{ "all fail on one node", "run private-anon --iterations 3 --pages 2", 0,
	  "not migrated             6\n", NULL },
	{ "expect failures", "run shared-anon --seconds 0.2 --expect-failures", 0, "PASS", NULL },
	{ "max failures", "run shared-anon --iterations 4 --max-failures 3", 1,
	  "FAIL: 4 migration failures, more than --max-failures 3", NULL },
	{ "max rate", "run shared-anon --seconds 0.2 --max-rate 0.5", 1,
	  "FAIL: failure rate 1.0000 above --max-rate 0.5", NULL },
	{ "seed shown", "run private-anon --seconds 0.1 --seed 1234", 0,
	  "seed                     1234\n", NULL },
	{ "hugetlb never in test mode", "run hugetlb --seconds 0.1", 4,
	  "# SKIP need 2 NUMA nodes, found 1", NULL },
	{ "hot-remove never in test mode", "run hot-remove --seconds 0.1", 4,
	  "# SKIP need 2 NUMA nodes, found 1", NULL },
	{ "window needs the module", "run shared-anon --window pte-clear", 4,
	  "# SKIP debugfs not mounted (no /nonexistent), needed by --window", NULL },
};

/* Entries of /dev/shm whose name mentions migrace. */
static int shm_leftovers(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, "migrace") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void cli_same_node_runs(void)
{
	int shm = shm_leftovers();

	need_one_node();
	CHECK_TABLE(same_node_cases, same_node_env);
	CHECK_INT(driver_processes(), 0);
	CHECK_INT(shm_leftovers(), shm);
}

static void cli_same_node_thp(void)
{
	char *out, *err;
	int rc;

	need_one_node();
	rc = migrace("run thp --seconds 0.3 --pages 2", same_node_env, &out, &err);
	if (rc == 4)
		CHECK_HAS(out, "# SKIP THP");
	else
		CHECK_HAS(out, "pages                    2 x 2097152 bytes\n");
	CHECK(rc == 0 || rc == 4);
	free(out);
	free(err);
}

/* A number after @key in @text, or -1. */
static long long value_after(const char *text, const char *key)
{
	const char *p = text ? strstr(text, key) : NULL;

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/*
 * deferred-split for real on one node (nothing migrates): the driver's
 * drop_caches writes make the kernel split the partially mapped THPs, and
 * the driver re-creates them; no corruption, reports valid. Needs root and
 * THP: without them it must skip, and this case skips with it.
 */
static void cli_same_node_deferred_split(void)
{
	char args[700], path[512], ktap[512], *out, *err, *json;
	char *argv[] = { "python3", getenv("MIGRACE_VALIDATOR"), getenv("MIGRACE_SCHEMA"), path,
			 NULL };
	char *kargv[] = { "python3", getenv("KUNIT_PY"), "parse", ktap, NULL };
	int rc;

	need_one_node();
	snprintf(path, sizeof(path), "%s", tap_path("dsplit-run.json"));
	snprintf(ktap, sizeof(ktap), "%s", tap_path("dsplit-run.ktap"));
	snprintf(args, sizeof(args), "run deferred-split --seconds 1 --writers 50 --ktap --json %s",
		 path);
	rc = migrace(args, same_node_env, &out, &err);
	if (rc == 4) {
		CHECK(strstr(out, "# SKIP THP ") || strstr(out, "# SKIP deferred-split needs root") ||
		      strstr(out, "# SKIP cannot tell THPs"));
		json = strstr(out, "# SKIP ");
		tap_skip("the driver skipped here: %.*s", json ? (int)strcspn(json + 7, "\n") : 0,
			 json ? json + 7 : "");
	}
	CHECK_INT(rc, 0);
	CHECK_HAS(out, "\nok 1 deferred-split\n");
	CHECK_HAS(out, "# corruptions: 0\n");
	CHECK(value_after(out, "# calls: ") > 0);
	CHECK(value_after(out, "# shrinker_calls: ") > 0);
	CHECK_INT(value_after(out, "# shrinker_errors: "), 0);
	/* the kernel split THPs of ours and the driver re-created them */
	CHECK(value_after(out, "# rethp: ") + value_after(out, "# rethp_failed: ") > 0);
	CHECK(value_after(out, "# thp_split_page_delta: ") > 0);
	tap_write_file(ktap, out);
	free(out);
	free(err);
	json = tap_read_file(path);
	CHECK_HAS(json, "\"scenario\": \"deferred-split\"");
	CHECK_HAS(json, "\"verdict\": \"pass\"");
	CHECK_HAS(json, "\"pages\": 8,\n");
	CHECK_HAS(json, "\"unit_bytes\": 2097152");
	CHECK(value_after(json, "\"live_bytes\": ") == 2097152 - sysconf(_SC_PAGESIZE));
	CHECK(value_after(json, "\"shrinker_calls\": ") > 0);
	free(json);
	CHECK(argv[1] && argv[2] && kargv[1]);
	if (!argv[1] || !argv[2] || !kargv[1])
		return;
	CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
	free(out);
	free(err);
	tap_exec(kargv, NULL, 60, &out, &err);
	CHECK_HAS(out, "[PASSED] deferred-split");
	free(out);
	free(err);
	CHECK_INT(driver_processes(), 0);
}

/* Without root (privileges dropped in this case's own process): a skip, exit 4. */
static void cli_deferred_split_needs_root(void)
{
	char *out, *err;
	int rc;

	need_one_node();
	if (!getuid() && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			  setresuid(65534, 65534, 65534)))
		tap_skip("cannot drop root privileges");
	rc = migrace("run deferred-split --seconds 0.5 --ktap", same_node_env, &out, &err);
	CHECK_INT(rc, 4);
	if (!strstr(out, "# SKIP THP "))
		CHECK_HAS(out, "ok 1 deferred-split # SKIP deferred-split needs root to write "
			  "/proc/sys/vm/drop_caches: EACCES (Permission denied)\n");
	free(out);
	free(err);
}

static void cli_same_node_json_ktap(void)
{
	char args[700], path[512], ktap[512], *out, *err, *json;
	char *argv[] = { "python3", getenv("MIGRACE_VALIDATOR"), getenv("MIGRACE_SCHEMA"), path,
			 NULL };
	char *kargv[] = { "python3", getenv("KUNIT_PY"), "parse", ktap, NULL };

	need_one_node();
	snprintf(path, sizeof(path), "%s", tap_path("run.json"));
	snprintf(ktap, sizeof(ktap), "%s", tap_path("run.ktap"));
	snprintf(args, sizeof(args), "run shared-anon --seconds 0.3 --writers 50 --ktap --json %s",
		 path);
	CHECK_INT(migrace(args, same_node_env, &out, &err), 0);
	CHECK_HAS(out, "# not_migrated: ");
	CHECK_HAS(out, "\nok 1 shared-anon\n");
	tap_write_file(ktap, out);
	free(out);
	free(err);
	json = tap_read_file(path);
	CHECK_HAS(json, "\"verdict\": \"pass\"");
	CHECK_HAS(json, "\"move_flags\": \"MPOL_MF_MOVE");
	CHECK_HAS(json, "\"nodes\": [\n      0,\n      0\n    ]");
	free(json);
	CHECK(argv[1] && argv[2] && kargv[1]);
	if (!argv[1] || !argv[2] || !kargv[1])
		return;
	CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
	free(out);
	free(err);
	tap_exec(kargv, NULL, 60, &out, &err);
	CHECK_HAS(out, "[PASSED] shared-anon");
	CHECK(!strstr(out, "[ERROR]"));
	free(out);
	free(err);
}

/* Ctrl-C: the partial report, exit 1, every reader reaped. */
static void cli_same_node_sigint(void)
{
	const char *bin = getenv("MIGRACE_BIN");
	char *argv[] = { (char *)bin, "run", "shared-anon", "--seconds", "20", "--readers", "3",
			 NULL };
	char *out, *err;
	double t = now_s();

	need_one_node();
	CHECK_INT(tap_exec_signal(argv, same_node_env, 15, SIGINT, 0.7, &out, &err), 1);
	CHECK(now_s() - t < 5);
	CHECK_HAS(out, "move_pages calls");
	CHECK_HAS(out, "verdict                  FAIL: interrupted by SIGINT after ");
	CHECK_INT(driver_processes(), 0);
	free(out);
	free(err);
}

static void cli_same_node_sigterm_ktap(void)
{
	const char *bin = getenv("MIGRACE_BIN");
	char *argv[] = { (char *)bin, "run", "shmem-file", "--seconds", "20", "--ktap", NULL };
	char *out, *err;

	need_one_node();
	CHECK_INT(tap_exec_signal(argv, same_node_env, 15, SIGTERM, 0.5, &out, &err), 1);
	CHECK_HAS(out, "# reason: interrupted by SIGTERM after ");
	CHECK_HAS(out, "\nnot ok 1 shmem-file\n");
	CHECK_INT(driver_processes(), 0);
	free(out);
	free(err);
}

/* A run with the (fake) module loaded: target, arm, disarm, clear; stats and top 3. */
static void cli_same_node_with_module(void)
{
	char *env[] = { "MIGRACE_TEST_SAME_NODE=1", fake_debugfs(), NULL }, *out, *err, *control;
	char *pgid_line, *rest;

	need_one_node();
	tap_write_file(tap_path("debugfs/attribution"),
		       "taker=folio-lock kind=anon hits=30\n  __folio_lock+0x0/0x90\n\n"
		       "taker=gup kind=anon hits=20\n\ntaker=entry-wait kind=anon hits=10\n\n"
		       "taker=pagecache-lookup kind=shmem hits=1\n");
	CHECK_INT(migrace("run shared-anon --seconds 0.3 --window pte-clear,freeze "
			  "--policy delay+delay_us=50", env, &out, &err), 0);
	control = tap_read_file(tap_path("debugfs/control"));
	pgid_line = control ? strstr(control, "target pgid ") : NULL;
	CHECK(pgid_line == control);
	rest = pgid_line ? strchr(pgid_line, '\n') : NULL;
	CHECK_STR(rest, "\narm pte-clear delay delay_us=50\narm freeze delay delay_us=50\n"
		  "disarm all\ntarget clear\n");
	CHECK_HAS(out, "module stats (delta):\n    migrate_calls                  0\n"
		  "    pass_ok                        0\n  attribution");
	/* the takers were there before the run: none of them is this run's */
	CHECK_HAS(out, "  attribution (this run, top 3):\n    (empty)\n");
	CHECK(!strstr(out, "taker="));
	CHECK_INT(driver_processes(), 0);
	free(control);
	free(out);
	free(err);
}

/* --no-target: the (fake) module loaded, yet not one control line written. */
static void cli_same_node_no_target(void)
{
	char *env[] = { "MIGRACE_TEST_SAME_NODE=1", fake_debugfs(), NULL }, *out, *err, *control;

	need_one_node();
	CHECK_INT(migrace("run private-anon --seconds 0.2 --no-target", env, &out, &err), 0);
	control = tap_read_file(tap_path("debugfs/control"));
	CHECK_STR(control, "");
	CHECK_HAS(out, "module stats (delta):");
	CHECK_INT(driver_processes(), 0);
	free(control);
	free(out);
	free(err);
}

/* An unavailable window: a skip naming it and the module's reason, every report written. */
static void cli_same_node_window_unavailable(void)
{
	char *env[] = { "MIGRACE_TEST_SAME_NODE=1", fake_debugfs(), NULL }, *out, *err, *json;
	char args[700], path[512], *control;
	char *argv[] = { "python3", getenv("MIGRACE_VALIDATOR"), getenv("MIGRACE_SCHEMA"), path,
			 NULL };

	need_one_node();
	snprintf(path, sizeof(path), "%s", tap_path("unavailable.json"));
	snprintf(args, sizeof(args), "run shared-anon --seconds 5 --window pte-clear,entry-wait "
		 "--policy rendezvous --ktap --json %s", path);
	CHECK_INT(migrace(args, env, &out, &err), 4);
	CHECK_HAS(out, "# window: pte-clear,entry-wait\n# policy: rendezvous\n");
	CHECK_HAS(out, "\nok 1 shared-anon # SKIP window entry-wait unavailable on this kernel "
		  "(missing:migration_entry_wait_on_locked)\n");
	free(out);
	free(err);
	json = tap_read_file(path);
	CHECK_HAS(json, "\"verdict\": \"skip\"");
	CHECK_HAS(json, "\"reason\": \"window entry-wait unavailable on this kernel");
	free(json);
	if (argv[1] && argv[2]) {
		CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
		free(out);
		free(err);
	}
	control = tap_read_file(tap_path("debugfs/control"));
	CHECK_STR(control, "");		/* nothing armed, no target set */
	free(control);
	CHECK_INT(migrace("run shared-anon --seconds 5 --window entry-wait", env, &out, &err), 4);
	CHECK_STR(out, "# SKIP window entry-wait unavailable on this kernel "
		  "(missing:migration_entry_wait_on_locked)\n");
	free(out);
	free(err);
}

/* A window the module does not have: a usage error naming the ones it has; no file left. */
static void cli_same_node_window_unknown(void)
{
	char *env[] = { "MIGRACE_TEST_SAME_NODE=1", fake_debugfs(), NULL }, *out, *err;
	char args[700], path[512];

	need_one_node();
	snprintf(path, sizeof(path), "%s", tap_path("unknown-window.json"));
	snprintf(args, sizeof(args), "run shared-anon --window nosuch --json %s", path);
	CHECK_INT(migrace(args, env, &out, &err), 2);
	CHECK_HAS(err, "--window: no window 'nosuch' in the module; it has: pte-clear freeze "
		  "entry-wait\n");
	CHECK_STR(out, "");
	CHECK(access(path, F_OK) && errno == ENOENT);
	free(out);
	free(err);
}

/* --json - : the JSON alone on stdout, the table on stderr. */
static void cli_same_node_json_stdout(void)
{
	char *out, *err, path[512];
	char *argv[] = { "python3", getenv("MIGRACE_VALIDATOR"), getenv("MIGRACE_SCHEMA"), path,
			 NULL };

	need_one_node();
	CHECK_INT(migrace("run private-anon --iterations 2 --json -", same_node_env, &out, &err), 0);
	CHECK(out[0] == '{' && out[strlen(out) - 2] == '}');
	CHECK_HAS(out, "\"command\": [\n    \"migrace\",\n    \"run\",\n    \"private-anon\",\n");
	CHECK_HAS(err, "verdict                  PASS\n");
	CHECK(access("-", F_OK));	/* no file named "-" */
	snprintf(path, sizeof(path), "%s", tap_path("stdout.json"));
	tap_write_file(path, out);
	free(out);
	free(err);
	if (argv[1] && argv[2]) {
		CHECK_INT(tap_exec(argv, NULL, 30, &out, &err), 0);
		free(out);
		free(err);
	}
}

/*
 * --json to a device passes like any run (it used to be truncated, which a
 * device refuses); a regular file is complete, and no FILE.tmp is left.
 */
static void cli_same_node_json_device_and_file(void)
{
	char *out, *err, args[600], path[512], tmp[520];

	need_one_node();
	CHECK_INT(migrace("run private-anon --iterations 2 --json /dev/null", same_node_env,
			  &out, &err), 0);
	CHECK_HAS(out, "verdict                  PASS\n");
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s", tap_path("file.json"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(args, sizeof(args), "run private-anon --iterations 2 --json %s", path);
	CHECK_INT(migrace(args, same_node_env, &out, &err), 0);
	free(out);
	free(err);
	out = tap_read_file(path);
	CHECK(out && out[0] == '{' && strstr(out, "\"race\": {"));
	free(out);
	CHECK(access(tmp, F_OK));
}

/* A JSON path that cannot be opened fails before the run: exit 2 at once, the path named. */
static void cli_json_bad_path_at_once(void)
{
	char *out, *err;
	double t = now_s();

	need_one_node();
	CHECK_INT(migrace("run shared-anon --seconds 20 --json /nonexistent/dir/r.json",
			  same_node_env, &out, &err), 2);
	CHECK(now_s() - t < 5);
	CHECK_STR(err, "migrace: --json /nonexistent/dir/r.json: cannot open: ENOENT "
		  "(No such file or directory)\n");
	CHECK_STR(out, "");
	free(out);
	free(err);
}

/* The kernel refuses an arm line: errno and line, exit 2, targets cleared. */
static void cli_same_node_arm_rejected(void)
{
	char *env[] = { "MIGRACE_TEST_SAME_NODE=1", fake_debugfs(), NULL }, *out, *err;

	need_one_node();
	unlink(tap_path("debugfs/control"));
	CHECK_INT(symlink("/dev/full", tap_path("debugfs/control")), 0);
	CHECK_INT(migrace("run shared-anon --seconds 5 --window pte-clear", env, &out, &err), 2);
	CHECK_HAS(err, "control: 'target pgid ");
	CHECK_HAS(err, "rejected: ENOSPC");
	CHECK_STR(out, "");
	CHECK_INT(driver_processes(), 0);
	free(out);
	free(err);
}

SUITE_DEFINE(cli,
	TAP_CASE(cli_usage_errors),
	TAP_CASE(cli_error_once),
	TAP_CASE(cli_run_help_defaults),
	TAP_CASE(cli_without_module),
	TAP_CASE(cli_without_debugfs),
	TAP_CASE(cli_fake_module_reads),
	TAP_CASE(cli_arm_writes_control),
	TAP_CASE(cli_control_rejected),
	TAP_CASE(cli_reset_target_write_control),
	TAP_CASE(cli_debugfs_denied),
	TAP_CASE(cli_control_denied),
	TAP_CASE(cli_cross_build_needs_libnuma),
	TAP_CASE(cli_run_one_node_skips),
	TAP_CASE(cli_run_one_node_ktap_json),
	TAP_CASE(cli_window_needs_module),
	TAP_CASE(cli_same_node_runs),
	TAP_CASE(cli_same_node_thp),
	TAP_CASE(cli_same_node_deferred_split),
	TAP_CASE(cli_deferred_split_needs_root),
	TAP_CASE(cli_same_node_json_ktap),
	TAP_CASE(cli_same_node_sigint),
	TAP_CASE(cli_same_node_sigterm_ktap),
	TAP_CASE(cli_same_node_with_module),
	TAP_CASE(cli_same_node_no_target),
	TAP_CASE(cli_same_node_arm_rejected),
	TAP_CASE(cli_same_node_window_unavailable),
	TAP_CASE(cli_same_node_window_unknown),
	TAP_CASE(cli_same_node_json_stdout),
	TAP_CASE(cli_same_node_json_device_and_file),
	TAP_CASE(cli_json_bad_path_at_once),
);
