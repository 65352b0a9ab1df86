// SPDX-License-Identifier: GPL-2.0
/*
 * migrace.c - the driver's verbs:
 *   run SCENARIO [options]      stress page migration against readers
 *   arm WINDOW [POLICY] [KEY=VALUE]... [--target SPEC]
 *   disarm [WINDOW|all]
 *   stats | windows | attribution
 * Exit codes as kselftest: 0 pass, 1 fail, 2 usage, 4 skip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "lib.h"
#include "run.h"

#define MAX_WINDOW_ROWS	64

static const char usage_text[] =
	"usage: migrace run SCENARIO [options]\n"
	"       migrace arm WINDOW [POLICY] [KEY=VALUE]... [--target pid:N|tgid:N|pgid:N|comm:NAME|all]\n"
	"       migrace disarm [WINDOW|all]\n"
	"       migrace stats | windows | attribution\n"
	"scenarios: shared-anon private-anon thp shmem-file hugetlb hot-remove deferred-split\n"
	"run options: --pages N --readers N --writers PCT --access seq|random|same\n"
	"  --seconds S --iterations N --nodes A,B --window NAME[,NAME] --policy 'POLICY [k=v]...'\n"
	"  --seed N --cpu-pin --json FILE --ktap --expect-failures --max-failures N\n"
	"  --max-rate R --quiet\n"
	"exit codes: 0 pass, 1 fail, 2 usage, 4 skip\n";

static int need_module(void)
{
	if (module_loaded())
		return 0;
	fprintf(stderr, "migrace: module not loaded (no %s)\n", debugfs_dir());
	return EXIT_SKIP;
}

static int no_args(int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	fprintf(stderr, "migrace: %s: unexpected argument '%s'\n", argv[0], argv[1]);
	return EXIT_USAGE;
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
			fprintf(stderr, "migrace: control: '%s' rejected: %s (%s)\n", line,
				errno_name(-e), strerror(-e));
			control_explain(e, stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int cmd_arm(int argc, char **argv)
{
	char lines[4096];
	int e = args_compose_arm(argc, argv, lines, sizeof(lines), stderr);

	return e ? e : need_module() ? EXIT_SKIP : write_lines(lines);
}

static int cmd_disarm(int argc, char **argv)
{
	char lines[128];
	int e = args_compose_disarm(argc, argv, lines, sizeof(lines), stderr);

	return e ? e : need_module() ? EXIT_SKIP : write_lines(lines);
}

static char *read_module_file(const char *name)
{
	char path[512], *text = read_text(debugfs_path(path, sizeof(path), name));

	if (!text)
		fprintf(stderr, "migrace: cannot read %s: %s\n", path, strerror(errno));
	return text;
}

static int cmd_stats(int argc, char **argv)
{
	struct kvmap m = { 0 };
	char *text;
	int bad;

	if (no_args(argc, argv) || need_module())
		return no_args(argc, argv) ? EXIT_USAGE : EXIT_SKIP;
	text = read_module_file("stats");
	if (!text)
		return EXIT_FAIL;
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
	int n, bad;

	if (no_args(argc, argv) || need_module())
		return no_args(argc, argv) ? EXIT_USAGE : EXIT_SKIP;
	text = read_module_file("windows");
	if (!text)
		return EXIT_FAIL;
	n = windows_parse(text, rows, MAX_WINDOW_ROWS, &bad);
	free(text);
	windows_print(stdout, rows, n);
	if (bad)
		fprintf(stderr, "migrace: windows: %d malformed line(s) skipped\n", bad);
	return EXIT_PASS;
}

static int cmd_attribution(int argc, char **argv)
{
	char *text;

	if (no_args(argc, argv) || need_module())
		return no_args(argc, argv) ? EXIT_USAGE : EXIT_SKIP;
	text = read_module_file("attribution");
	if (!text)
		return EXIT_FAIL;
	fputs(text, stdout);
	free(text);
	return EXIT_PASS;
}

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{ "run", cmd_run },
	{ "arm", cmd_arm },
	{ "disarm", cmd_disarm },
	{ "stats", cmd_stats },
	{ "windows", cmd_windows },
	{ "attribution", cmd_attribution },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "migrace: unknown verb '%s'; verbs:", argv[1]);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(stderr, " %s", verbs[i].name);
	fputc('\n', stderr);
	return EXIT_USAGE;
}
