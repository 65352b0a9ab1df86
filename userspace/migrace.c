// SPDX-License-Identifier: GPL-2.0
/*
 * migrace.c - the driver's verbs:
 *   run SCENARIO [options]      stress page migration against readers
 *   arm WINDOW [POLICY] [KEY=VALUE]... [--target SPEC]...
 *   disarm [WINDOW|all]
 *   stats | windows | attribution
 *   reset
 *   target add SPEC... | clear | list
 *   help [VERB] | version
 * Exit codes: 0 pass, 1 fail, 2 usage, 4 skip (kselftest's 0/1/4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "lib.h"
#include "run.h"
#include "../module/version.h"

#define MAX_WINDOW_ROWS	64

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;	/* after "migrace " */
	const char *help;	/* after the synopsis in `help VERB`; NULL: run's own */
};

static int need_module(void)
{
	char why[640];
	enum module_reach r = module_reach(why, sizeof(why));

	if (r == MODULE_OK)
		return 0;
	fprintf(stderr, "migrace: %s\n", why);
	return r == MODULE_DENIED ? EXIT_USAGE : EXIT_SKIP;
}

static int no_args(int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	fprintf(stderr, "migrace: %s: unexpected argument '%s'\n", argv[0], argv[1]);
	return EXIT_USAGE;
}

/* A control line refused: why, and what to do about it. */
static void control_refused(const char *line, int e)
{
	char path[512];

	if (e == -EACCES || e == -EPERM) {
		fprintf(stderr, "migrace: cannot write %s: %s (%s)%s\n",
			debugfs_path(path, sizeof(path), "control"), errno_name(-e), strerror(-e),
			access_hint(-e));
		return;
	}
	fprintf(stderr, "migrace: control: '%s' rejected: %s (%s)\n", line, errno_name(-e),
		strerror(-e));
	control_explain(e, stderr);
}

/* One write per line, so a rejection names its line. */
static int write_lines(char *lines)
{
	char *save = NULL, *line;
	char buf[512];
	int e;

	for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		snprintf(buf, sizeof(buf), "%s\n", line);
		e = control_write(buf);
		if (e) {
			control_refused(line, e);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int cmd_arm(int argc, char **argv)
{
	char lines[4096];
	int e = args_compose_arm(argc, argv, lines, sizeof(lines), stderr);

	if (!e)
		e = need_module();
	return e ? e : write_lines(lines);
}

static int cmd_disarm(int argc, char **argv)
{
	char lines[128];
	int e = args_compose_disarm(argc, argv, lines, sizeof(lines), stderr);

	if (!e)
		e = need_module();
	return e ? e : write_lines(lines);
}

static int cmd_reset(int argc, char **argv)
{
	char line[] = "reset";
	int e = no_args(argc, argv);

	if (!e)
		e = need_module();
	return e ? e : write_lines(line);
}

static char *read_module_file(const char *name)
{
	char path[512], *text = read_text(debugfs_path(path, sizeof(path), name));
	int e = errno;

	if (!text)
		fprintf(stderr, "migrace: cannot read %s: %s (%s)%s\n", path, errno_name(e),
			strerror(e), access_hint(e));
	errno = e;
	return text;
}

/* A read verb's common start: no arguments, the module there, its file read. */
static int read_verb(int argc, char **argv, const char *file, char **text)
{
	int e = no_args(argc, argv);

	if (!e)
		e = need_module();
	if (e)
		return e;
	*text = read_module_file(file);
	if (*text)
		return 0;
	return errno == EACCES || errno == EPERM ? EXIT_USAGE : EXIT_FAIL;
}

/* The module's targets file as is: one control line a target, nothing: nobody. */
static int target_list(int argc, char **argv)
{
	char path[512], *text;
	int e = no_args(argc, argv);

	if (!e)
		e = need_module();
	if (e)
		return e;
	if (access(debugfs_path(path, sizeof(path), "targets"), F_OK)) {
		fprintf(stderr, "migrace: target list: this module has no %s (older than the "
			"driver)\n", path);
		return EXIT_SKIP;
	}
	text = read_module_file("targets");
	if (!text)
		return errno == EACCES || errno == EPERM ? EXIT_USAGE : EXIT_FAIL;
	fputs(text, stdout);
	free(text);
	return EXIT_PASS;
}

static int cmd_target(int argc, char **argv)
{
	char lines[1024];
	int e;

	if (argc >= 2 && !strcmp(argv[1], "list"))
		return target_list(argc - 1, argv + 1);
	e = args_compose_target(argc, argv, lines, sizeof(lines), stderr);
	if (!e)
		e = need_module();
	return e ? e : write_lines(lines);
}

static int cmd_stats(int argc, char **argv)
{
	struct kvmap m = { 0 };
	char *text;
	int bad, e = read_verb(argc, argv, "stats", &text);

	if (e)
		return e;
	bad = kv_parse(text, &m, KV_COLON);
	free(text);
	for (size_t i = 0; i < m.n; i++)
		printf("%s: %llu\n", m.items[i].name, (unsigned long long)m.items[i].value);
	if (bad)
		fprintf(stderr, "migrace: stats: %d malformed line(s) skipped\n", bad);
	kv_free(&m);
	return bad < 0 ? EXIT_FAIL : EXIT_PASS;
}

static int cmd_windows(int argc, char **argv)
{
	struct win_row rows[MAX_WINDOW_ROWS];
	char *text;
	int n, bad, e = read_verb(argc, argv, "windows", &text);

	if (e)
		return e;
	n = windows_parse(text, rows, MAX_WINDOW_ROWS, &bad);
	windows_print(stdout, rows, n);
	windows_print_notes(stdout, text);
	free(text);
	if (bad)
		fprintf(stderr, "migrace: windows: %d malformed line(s) skipped\n", bad);
	return EXIT_PASS;
}

static int cmd_attribution(int argc, char **argv)
{
	char *text;
	int e = read_verb(argc, argv, "attribution", &text);

	if (e)
		return e;
	fputs(text, stdout);
	free(text);
	return EXIT_PASS;
}

static int cmd_version(int argc, char **argv)
{
	if (no_args(argc, argv))
		return EXIT_USAGE;
	printf("migrace %s\n", MIGRACE_VERSION);
	return EXIT_PASS;
}

static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
	{ "run", cmd_run, "run SCENARIO [options]", NULL },
	{ "arm", cmd_arm, "arm WINDOW [POLICY] [KEY=VALUE]... [--target SPEC]...",
	  "Arms WINDOW (a window name, or all): one `target KIND ID` line per --target,\n"
	  "then `arm WINDOW [POLICY] [KEY=VALUE]...`, each its own write to the control file.\n"
	  "SPEC: pid:N, tgid:N, pgid:N, comm:NAME or all. Windows, policies, keys and their\n"
	  "defaults: `migrace help run`.\n" },
	{ "disarm", cmd_disarm, "disarm [WINDOW|all]", "Writes `disarm WINDOW` [all].\n" },
	{ "stats", cmd_stats, "stats | windows | attribution",
	  "The module's counters, one `name: value` a line.\n" },
	{ "windows", cmd_windows, NULL,
	  "The module's windows as a table (available, armed, policy, counters, why one is\n"
	  "unavailable), then one line a window: what it widens, where, why, which kernels.\n" },
	{ "attribution", cmd_attribution, NULL,
	  "The module's attribution file as is: who took references to folios in flight,\n"
	  "with stacks, since load or the last `reset` (`run` shows its own run's share).\n" },
	{ "reset", cmd_reset, "reset",
	  "Writes `reset`: zeroes the module's counters and attribution table, for every\n"
	  "user of the module (observer_nmissed is kept).\n" },
	{ "target", cmd_target, "target add SPEC... | clear | list",
	  "add SPEC...: one `target KIND ID` line per SPEC (pid:N, tgid:N, pgid:N,\n"
	  "  comm:NAME or all); the module keeps at most 8 targets.\n"
	  "clear: `target clear`, no targets (the state at load).\n"
	  "list: the module's targets, as the control lines that set them (none: nobody).\n"
	  "`run` replaces the targets with its own process group and clears them after.\n" },
	{ "help", cmd_help, "help [VERB] | version", "General usage, or one verb's.\n" },
	{ "version", cmd_version, NULL, "The tool's version, as in every report.\n" },
};

static const size_t nr_verbs = sizeof(verbs) / sizeof(verbs[0]);

static void usage(FILE *f)
{
	for (size_t i = 0; i < nr_verbs; i++)
		if (verbs[i].synopsis)
			fprintf(f, "%s migrace %s\n", i ? "      " : "usage:", verbs[i].synopsis);
	fputs("scenarios:", f);
	for (int i = 0; i < SC_COUNT; i++)
		fprintf(f, " %s", scenario_names[i]);
	fputs("\n`migrace help VERB` or `migrace VERB --help`: the verb's options and defaults\n"
	      "exit codes: 0 pass, 1 fail, 2 usage, 4 skip\n", f);
}

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < nr_verbs; i++)
		if (!strcmp(name, verbs[i].name))
			return &verbs[i];
	return NULL;
}

static int unknown_verb(const char *name)
{
	fprintf(stderr, "migrace: unknown verb '%s'; verbs:", name);
	for (size_t i = 0; i < nr_verbs; i++)
		fprintf(stderr, " %s", verbs[i].name);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static int verb_help(const struct verb *v)
{
	if (!v->help) {
		args_run_help(stdout);
		return EXIT_PASS;
	}
	printf("usage: migrace %s\n%s", v->synopsis ? v->synopsis : v->name, v->help);
	return EXIT_PASS;
}

static int cmd_help(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (argc > 2) {
		fprintf(stderr, "migrace: help: unexpected argument '%s'\n", argv[2]);
		return EXIT_USAGE;
	}
	v = find_verb(argv[1]);
	return v ? verb_help(v) : unknown_verb(argv[1]);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

int main(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	v = find_verb(argv[1]);
	if (!v)
		return unknown_verb(argv[1]);
	/* `VERB --help` anywhere for verbs without getopt (run has its own -h) */
	for (int i = 2; v->fn != cmd_run && i < argc; i++)
		if (is_help(argv[i]))
			return verb_help(v);
	return v->fn(argc - 1, argv + 1);
}
