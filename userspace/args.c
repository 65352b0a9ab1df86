// SPDX-License-Identifier: GPL-2.0
/*
 * args.c - parse `migrace run` options and compose `arm`/`disarm` control
 * lines. Every bad value is reported as "migrace: FLAG: bad value 'V' (...)"
 * and gives EXIT_USAGE; nothing here touches the system.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

const char *const scenario_names[SC_COUNT] = {
	[SC_SHARED_ANON] = "shared-anon",
	[SC_PRIVATE_ANON] = "private-anon",
	[SC_THP] = "thp",
	[SC_SHMEM_FILE] = "shmem-file",
	[SC_HUGETLB] = "hugetlb",
	[SC_HOT_REMOVE] = "hot-remove",
	[SC_DEFERRED_SPLIT] = "deferred-split",
};

const char *const access_names[3] = {
	[ACCESS_SEQ] = "seq", [ACCESS_RANDOM] = "random", [ACCESS_SAME] = "same",
};

static const char *const policy_names[] = { "count", "delay", "rendezvous" };

/* The module's keys and the policies that take them (module/control.c). */
#define P_COUNT		(1u << 0)
#define P_DELAY		(1u << 1)
#define P_RENDEZVOUS	(1u << 2)
static const struct {
	const char *name;
	unsigned int policies;
} policy_keys[] = {
	{ "delay_us", P_DELAY }, { "min_us", P_DELAY }, { "max_us", P_DELAY },
	{ "prob", P_DELAY | P_RENDEZVOUS }, { "every", P_DELAY | P_RENDEZVOUS },
	{ "times", P_DELAY | P_RENDEZVOUS }, { "timeout_us", P_RENDEZVOUS },
	{ "flush", P_COUNT | P_DELAY | P_RENDEZVOUS }, { "until", P_DELAY },
};

/* flush= and until= take a word, every other key a decimal. */
static const char *const flush_words[] = { "kernel", "immediate" };
static const char *const until_words[] = { "delay", "unlock" };

#define WINDOW_NAME_MAX	23	/* MIGRACE_NAME_LEN - 1 in the module */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int bad_value(FILE *err, const char *flag, const char *val, const char *want)
{
	fprintf(err, "migrace: %s: bad value '%s' (%s)\n", flag, val, want);
	return EXIT_USAGE;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int get_u64(const char *flag, const char *s, uint64_t min, uint64_t max,
		   uint64_t *v, FILE *err)
{
	char want[64];

	snprintf(want, sizeof(want), "an integer %llu..%llu",
		 (unsigned long long)min, (unsigned long long)max);
	errno = 0;
	if (!all_digits(s))
		return bad_value(err, flag, s, want);
	*v = strtoull(s, NULL, 10);
	if (errno || *v < min || *v > max)
		return bad_value(err, flag, s, want);
	return 0;
}

static int get_double(const char *flag, const char *s, double min, double max,
		      double *v, FILE *err)
{
	char want[64], *end;

	snprintf(want, sizeof(want), "a number %g..%g", min, max);
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= min && *v <= max))
		return bad_value(err, flag, s, want);
	return 0;
}

/*
 * A window name as the module takes it: 1..23 of [a-z0-9-], not starting
 * with '-' (no window does, and `disarm --help` must not reach the module).
 */
static bool valid_window(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > WINDOW_NAME_MAX || *s == '-')
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static int get_nodes(const char *s, struct run_opts *o, FILE *err)
{
	char a[32], b[32];
	uint64_t v[2];
	const char *comma = strchr(s, ',');

	if (!comma || (size_t)(comma - s) >= sizeof(a) || strlen(comma + 1) >= sizeof(b))
		return bad_value(err, "--nodes", s, "two node ids A,B");
	snprintf(a, sizeof(a), "%.*s", (int)(comma - s), s);
	snprintf(b, sizeof(b), "%s", comma + 1);
	if (!all_digits(a) || !all_digits(b))
		return bad_value(err, "--nodes", s, "two node ids A,B");
	v[0] = strtoull(a, NULL, 10);
	v[1] = strtoull(b, NULL, 10);
	if (v[0] == v[1] || v[0] >= MIGRACE_MAX_NODES || v[1] >= MIGRACE_MAX_NODES)
		return bad_value(err, "--nodes", s, "two different node ids below 64");
	o->nodes[0] = (int)v[0];
	o->nodes[1] = (int)v[1];
	o->nodes_set = true;
	return 0;
}

static int get_windows(const char *s, struct run_opts *o, FILE *err)
{
	char copy[MAX_WINDOWS * WIN_NAME_LEN + 8], *tok, *save = NULL;

	if (strlen(s) >= sizeof(copy))
		return bad_value(err, "--window", s, "too long");
	strcpy(copy, s);
	o->nwindows = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!valid_window(tok) || o->nwindows == MAX_WINDOWS)
			return bad_value(err, "--window", s, "window names of [a-z0-9-], at most 8");
		strcpy(o->windows[o->nwindows++], tok);
	}
	if (!o->nwindows)
		return bad_value(err, "--window", s, "window names of [a-z0-9-], at most 8");
	return 0;
}

static int key_lookup(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(policy_keys); i++)
		if (!strcmp(key, policy_keys[i].name))
			return (int)i;
	return -1;
}

/* Token @i of `POLICY [KEY=VALUE]...`; @policy: index into policy_names. */
static int policy_token(const char *tok, int i, int *policy, const char *what, FILE *err)
{
	const char *eq = strchr(tok, '=');
	char key[32], want[96];
	int k;

	if (!eq) {
		*policy = i ? -1 : lookup(tok, policy_names, ARRAY_SIZE(policy_names));
		if (*policy >= 0)
			return 0;
		return bad_value(err, what, tok, i ? "KEY=VALUE" : "count, delay or rendezvous");
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - tok), tok);
	k = key_lookup(key);
	if (k < 0)
		return bad_value(err, what, tok,
				 "key one of delay_us min_us max_us prob every times timeout_us flush until");
	if (!(policy_keys[k].policies & (1u << *policy))) {
		snprintf(want, sizeof(want), "%s does not apply to policy %s", key,
			 policy_names[*policy]);
		return bad_value(err, what, tok, want);
	}
	if (!strcmp(key, "flush")) {
		if (lookup(eq + 1, flush_words, ARRAY_SIZE(flush_words)) < 0)
			return bad_value(err, what, tok, "flush=kernel or flush=immediate");
		return 0;
	}
	if (!strcmp(key, "until")) {
		if (lookup(eq + 1, until_words, ARRAY_SIZE(until_words)) < 0)
			return bad_value(err, what, tok, "until=delay or until=unlock");
		return 0;
	}
	if (!all_digits(eq + 1) || strlen(eq + 1) > 19)
		return bad_value(err, what, tok, "KEY=decimal integer");
	return 0;
}

int args_policy(char **tok, int n, char *out, size_t len, const char *what, FILE *err)
{
	int policy = 1;		/* the module's default: delay */
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w;

		if (policy_token(tok[i], i, &policy, what, err))
			return EXIT_USAGE;
		w = snprintf(out + used, len - used, "%s%s", i ? " " : "", tok[i]);
		if (w < 0 || (size_t)w >= len - used)
			return bad_value(err, what, tok[i], "policy too long");
		used += w;
	}
	return 0;
}

/* --policy 'POLICY [KEY=VALUE]...' as one argument. */
static int get_policy(const char *s, struct run_opts *o, FILE *err)
{
	char copy[POLICY_LEN], *tok[32], *save = NULL, *t;
	int n = 0;

	if (strlen(s) >= sizeof(copy))
		return bad_value(err, "--policy", s, "too long");
	strcpy(copy, s);
	for (t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 32)
			return bad_value(err, "--policy", s, "too many tokens");
		tok[n++] = t;
	}
	if (!n)
		return bad_value(err, "--policy", s, "POLICY [KEY=VALUE]...");
	return args_policy(tok, n, o->policy, sizeof(o->policy), "--policy", err);
}

enum opt_id {
	OPT_PAGES = 256, OPT_READERS, OPT_WRITERS, OPT_ACCESS, OPT_SECONDS, OPT_ITERATIONS,
	OPT_NODES, OPT_WINDOW, OPT_POLICY, OPT_SEED, OPT_CPU_PIN, OPT_JSON, OPT_KTAP,
	OPT_EXPECT, OPT_EXPECT_RACE, OPT_MAX_FAILURES, OPT_MAX_RATE, OPT_QUIET, OPT_NO_TARGET,
	OPT_HELP = 'h',
};

/*
 * `run` options: one row each, the source of both getopt's table and
 * `run --help` (@arg NULL: a flag; @dflt: the default shown in brackets).
 */
static const struct run_option {
	const char *name, *arg;
	int id;
	const char *help, *dflt;
} run_option_rows[] = {
	{ "pages", "N", OPT_PAGES, "units to migrate, 1..65536", "1; deferred-split 8" },
	{ "readers", "N", OPT_READERS, "reader tasks, 1..1024", "online CPUs - 1, at least 1" },
	{ "writers", "PCT", OPT_WRITERS, "percent of readers that also write, 0..100", "0" },
	{ "access", "MODE", OPT_ACCESS, "which unit each access touches: seq, random, same",
	  "seq" },
	{ "seconds", "S", OPT_SECONDS, "time limit, 0.001..86400", "5" },
	{ "iterations", "N", OPT_ITERATIONS,
	  "stop after N move_pages calls (hot-remove: cycles), or at the time limit", "no limit" },
	{ "nodes", "A,B", OPT_NODES, "the node pair",
	  "the first two nodes with memory this task may use" },
	{ "window", "NAME[,NAME]", OPT_WINDOW, "arm these module windows for the run", "none" },
	{ "policy", "'POLICY [K=V]...'", OPT_POLICY, "how --window is armed (below)",
	  "delay, the module's default" },
	{ "seed", "N", OPT_SEED, "seed of the readers' random choices", "from the clock" },
	{ "cpu-pin", NULL, OPT_CPU_PIN, "migrator on a CPU of node A, readers on the others",
	  "off" },
	{ "json", "FILE", OPT_JSON,
	  "also write the JSON report; '-': JSON on stdout, table or KTAP on stderr", "none" },
	{ "ktap", NULL, OPT_KTAP, "KTAP instead of the table", "off" },
	{ "expect-failures", NULL, OPT_EXPECT, "fail if no migration failed", "off" },
	{ "expect-race", NULL, OPT_EXPECT_RACE,
	  "fail unless the race is reproduced (failures + stray references; needs the module)",
	  "off" },
	{ "max-failures", "N", OPT_MAX_FAILURES, "fail if more than N failed", "no limit" },
	{ "max-rate", "R", OPT_MAX_RATE, "fail if failures/attempts > R, 0..1", "no limit" },
	{ "quiet", NULL, OPT_QUIET, "no live progress on a terminal", "off" },
	{ "no-target", NULL, OPT_NO_TARGET,
	  "write no target, arm nothing: an armed module's cost on work it does not target",
	  "off" },
	{ "help", NULL, OPT_HELP, "this help (also -h)", NULL },
};

#define NR_RUN_OPTIONS	ARRAY_SIZE(run_option_rows)

/* Windows the module has (module/table.c); `migrace windows` tells which this kernel has. */
static const char *const known_windows[] = {
	"pte-clear", "entry-wait", "freeze", "deferred-split",
};

/* getopt_long()'s table, from run_option_rows[]. */
static const struct option *run_getopt_table(void)
{
	static struct option t[NR_RUN_OPTIONS + 1];

	for (size_t i = 0; i < NR_RUN_OPTIONS; i++) {
		t[i].name = run_option_rows[i].name;
		t[i].has_arg = run_option_rows[i].arg ? required_argument : no_argument;
		t[i].val = run_option_rows[i].id;
	}
	return t;
}

void args_run_help(FILE *f)
{
	char lhs[48];

	fputs("usage: migrace run SCENARIO [options]\n", f);
	fputs("scenarios:", f);
	for (int i = 0; i < SC_COUNT; i++)
		fprintf(f, " %s", scenario_names[i]);
	fputs("\noptions [default]:\n", f);
	for (size_t i = 0; i < NR_RUN_OPTIONS; i++) {
		const struct run_option *r = &run_option_rows[i];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", r->name, r->arg ? " " : "",
			 r->arg ? r->arg : "");
		fprintf(f, "  %-28s %s", lhs, r->help);
		if (r->dflt)
			fprintf(f, " [%s]", r->dflt);
		fputc('\n', f);
	}
	fputs("windows (`migrace windows` shows which this kernel has):", f);
	for (size_t i = 0; i < ARRAY_SIZE(known_windows); i++)
		fprintf(f, " %s", known_windows[i]);
	fputs(", or all\n"
	      "policies [default]:\n"
	      "  count                        armed: counts hits, never widens\n"
	      "  delay                        busy-wait in the window [the default]\n"
	      "    delay_us=N                 fixed delay [100]\n"
	      "    min_us=N max_us=N          random delay in [min, max] [100, 100]\n"
	      "    until=delay|unlock         unlock: also end when the folio unlocks (window\n"
	      "                               entry-wait; before 5.17 the waiter's reference\n"
	      "                               then outlasts the migration pass) [delay]\n"
	      "  rendezvous                   hold the window until a reader arrives\n"
	      "    timeout_us=N               give up after N us [500]\n"
	      "  keys of delay and rendezvous:\n"
	      "    prob=PCT                   percent of eligible hits widened [100]\n"
	      "    every=N                    widen every Nth eligible hit [1]\n"
	      "    times=N                    widen at most N times, then disarm [0: no limit]\n"
	      "  key of every policy (window pte-clear only):\n"
	      "    flush=kernel|immediate     immediate: TLB flush at each PTE clear [kernel]\n"
	      "  delays and timeouts are capped by the module parameter max_delay_us [1000]\n"
	      "exit codes: 0 pass, 1 fail, 2 usage, 4 skip\n", f);
}

static int run_option(int id, const char *arg, struct run_opts *o, FILE *err)
{
	uint64_t v;
	int i;

	switch (id) {
	case OPT_PAGES:
		if (get_u64("--pages", arg, 1, MAX_PAGES, &v, err))
			return EXIT_USAGE;
		o->pages = v;
		o->pages_set = true;
		return 0;
	case OPT_READERS:
		if (get_u64("--readers", arg, 1, MAX_READERS, &v, err))
			return EXIT_USAGE;
		o->readers = (int)v;
		return 0;
	case OPT_WRITERS:
		if (get_u64("--writers", arg, 0, 100, &v, err))
			return EXIT_USAGE;
		o->writers_pct = (int)v;
		return 0;
	case OPT_ACCESS:
		i = lookup(arg, access_names, ARRAY_SIZE(access_names));
		if (i < 0)
			return bad_value(err, "--access", arg, "seq, random or same");
		o->access = i;
		return 0;
	case OPT_SECONDS:
		if (get_double("--seconds", arg, 0.001, 86400, &o->seconds, err))
			return EXIT_USAGE;
		return 0;
	case OPT_ITERATIONS:
		return get_u64("--iterations", arg, 1, UINT64_MAX, &o->iterations, err);
	case OPT_NODES:
		return get_nodes(arg, o, err);
	case OPT_WINDOW:
		return get_windows(arg, o, err);
	case OPT_POLICY:
		return get_policy(arg, o, err);
	case OPT_SEED:
		o->seed_set = true;
		return get_u64("--seed", arg, 0, UINT64_MAX, &o->seed, err);
	case OPT_JSON:
		if (!*arg)
			return bad_value(err, "--json", arg, "a file name");
		o->json = arg;
		return 0;
	case OPT_MAX_FAILURES:
		o->max_failures_set = true;
		return get_u64("--max-failures", arg, 0, UINT64_MAX, &o->max_failures, err);
	case OPT_MAX_RATE:
		o->max_rate_set = true;
		return get_double("--max-rate", arg, 0, 1, &o->max_rate, err);
	}
	return EXIT_USAGE;
}

static bool run_flag(int id, struct run_opts *o)
{
	switch (id) {
	case OPT_CPU_PIN:
		o->cpu_pin = true;
		return true;
	case OPT_KTAP:
		o->ktap = true;
		return true;
	case OPT_EXPECT:
		o->expect_failures = true;
		return true;
	case OPT_EXPECT_RACE:
		o->expect_race = true;
		return true;
	case OPT_QUIET:
		o->quiet = true;
		return true;
	case OPT_NO_TARGET:
		o->no_target = true;
		return true;
	}
	return false;
}

static int scenario_arg(const char *name, struct run_opts *o, FILE *err)
{
	int i = name ? lookup(name, scenario_names, SC_COUNT) : -1;

	if (i >= 0) {
		o->scenario = i;
		return 0;
	}
	if (name)
		fprintf(err, "migrace: unknown scenario '%s'; valid scenarios:", name);
	else
		fprintf(err, "migrace: run: missing SCENARIO; valid scenarios:");
	for (i = 0; i < SC_COUNT; i++)
		fprintf(err, " %s", scenario_names[i]);
	fputc('\n', err);
	return EXIT_USAGE;
}

static void run_defaults(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pages = 1;
	o->seconds = 5;
	o->access = ACCESS_SEQ;
}

/* The option without an argument named by the first @n chars of @name. */
static const struct run_option *flag_named(const char *name, size_t n)
{
	for (size_t i = 0; i < NR_RUN_OPTIONS; i++)
		if (!run_option_rows[i].arg && strlen(run_option_rows[i].name) == n &&
		    !strncmp(run_option_rows[i].name, name, n))
			return &run_option_rows[i];
	return NULL;
}

/* getopt_long() returned '?': name the token that was wrong, and how. */
static int bad_option(char **argv, FILE *err)
{
	const char *tok = argv[optind - 1];
	const struct run_option *r = NULL;

	if (!strncmp(tok, "--", 2) && strchr(tok, '='))
		r = flag_named(tok + 2, strcspn(tok + 2, "="));
	if (r)			/* --flag=VALUE */
		fprintf(err, "migrace: run: --%s takes no value ('%s')\n", r->name, tok);
	else if (optopt && optopt < 256 && tok[1] != '-')	/* -x of -xyz */
		fprintf(err, "migrace: run: unknown option '-%c'\n", optopt);
	else
		fprintf(err, "migrace: run: unknown option '%s'\n", argv[optind - 1]);
	return EXIT_USAGE;
}

int args_parse_run(int argc, char **argv, struct run_opts *o, FILE *err)
{
	const struct option *table = run_getopt_table();
	int c;

	run_defaults(o);
	optind = 0;		/* full re-initialisation: parsing may happen twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", table, NULL)) != -1) {
		if (c == ':') {
			fprintf(err, "migrace: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (c == '?')
			return bad_option(argv, err);
		if (c == OPT_HELP) {
			o->help = true;
			return 0;
		}
		if (!run_flag(c, o) && run_option(c, optarg, o, err))
			return EXIT_USAGE;
	}
	if (scenario_arg(optind < argc ? argv[optind] : NULL, o, err))
		return EXIT_USAGE;
	if (optind + 1 < argc) {
		fprintf(err, "migrace: run: unexpected argument '%s'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (!o->pages_set && o->scenario == SC_DEFERRED_SPLIT)
		o->pages = DEFERRED_SPLIT_PAGES;
	if (o->policy[0] && !o->nwindows) {
		fprintf(err, "migrace: --policy needs --window\n");
		return EXIT_USAGE;
	}
	if (o->no_target && o->nwindows) {
		fprintf(err, "migrace: --window needs the run targeted: drop --no-target\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* --- arm / disarm ------------------------------------------------------------- */

/* @what names the source in messages ("--target", "target add"). */
static int target_spec(const char *what, const char *spec, char *out, size_t len, FILE *err)
{
	static const char *const kinds[] = { "pid", "tgid", "pgid", "comm" };
	const char *colon = strchr(spec, ':');
	const char *want = "pid:N, tgid:N, pgid:N, comm:NAME or all";
	char kind[8];
	int k;

	if (!strcmp(spec, "all")) {
		snprintf(out, len, "target all");
		return 0;
	}
	if (!colon || colon - spec >= (int)sizeof(kind))
		return bad_value(err, what, spec, want);
	snprintf(kind, sizeof(kind), "%.*s", (int)(colon - spec), spec);
	k = lookup(kind, kinds, ARRAY_SIZE(kinds));
	if (k < 0)
		return bad_value(err, what, spec, want);
	if (k < 3 && (!all_digits(colon + 1) || strlen(colon + 1) > 10 ||
		      strtoull(colon + 1, NULL, 10) == 0 || strtoull(colon + 1, NULL, 10) > INT32_MAX))
		return bad_value(err, what, spec, "a positive id after pid:, tgid:, pgid:");
	if (k == 3 && (!colon[1] || strlen(colon + 1) > 15 || strpbrk(colon + 1, " \t\n")))
		return bad_value(err, what, spec, "comm:NAME, 1-15 characters, no blanks");
	snprintf(out, len, "target %s %s", kind, colon + 1);
	return 0;
}

int args_target(const char *spec, char *out, size_t len, FILE *err)
{
	return target_spec("--target", spec, out, len, err);
}

static int append_line(char *out, size_t len, size_t *used, const char *line)
{
	int w = snprintf(out + *used, len - *used, "%s\n", line);

	if (w < 0 || (size_t)w >= len - *used)
		return EXIT_USAGE;
	*used += w;
	return 0;
}

/* Split `arm` arguments into targets (lines) and policy tokens. */
static int arm_split(int argc, char **argv, char **tok, int *ntok, char *out, size_t len,
		     size_t *used, FILE *err)
{
	char line[64];
	const char *spec;

	*ntok = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--target") || !strncmp(argv[i], "--target=", 9)) {
			spec = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!spec) {
				fprintf(err, "migrace: --target needs a value\n");
				return EXIT_USAGE;
			}
			if (args_target(spec, line, sizeof(line), err) ||
			    append_line(out, len, used, line))
				return EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			fprintf(err, "migrace: arm: unknown option '%s'\n", argv[i]);
			return EXIT_USAGE;
		} else if (*ntok < 32) {
			tok[(*ntok)++] = argv[i];
		} else {
			fprintf(err, "migrace: arm: too many arguments\n");
			return EXIT_USAGE;
		}
	}
	return 0;
}

int args_compose_arm(int argc, char **argv, char *out, size_t len, FILE *err)
{
	char policy[POLICY_LEN], line[POLICY_LEN + 48], *tok[32];
	size_t used = 0;
	int ntok;

	out[0] = '\0';
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(err, "migrace: arm: missing WINDOW (usage: migrace arm WINDOW [POLICY] "
			"[KEY=VALUE]... [--target pid:N|tgid:N|pgid:N|comm:NAME|all])\n");
		return EXIT_USAGE;
	}
	if (!valid_window(argv[1]))
		return bad_value(err, "arm", argv[1], "a window name of [a-z0-9-] or all");
	if (arm_split(argc, argv, tok, &ntok, out, len, &used, err) ||
	    args_policy(tok, ntok, policy, sizeof(policy), "arm", err))
		return EXIT_USAGE;
	snprintf(line, sizeof(line), "arm %s%s%s", argv[1], ntok ? " " : "", policy);
	return append_line(out, len, &used, line);
}

int args_compose_disarm(int argc, char **argv, char *out, size_t len, FILE *err)
{
	const char *w = argc > 1 ? argv[1] : "all";

	if (argc > 2) {
		fprintf(err, "migrace: disarm: unexpected argument '%s'\n", argv[2]);
		return EXIT_USAGE;
	}
	if (!valid_window(w))
		return bad_value(err, "disarm", w, "a window name of [a-z0-9-] or all");
	snprintf(out, len, "disarm %s\n", w);
	return 0;
}

int args_compose_target(int argc, char **argv, char *out, size_t len, FILE *err)
{
	char line[64];
	size_t used = 0;

	out[0] = '\0';
	if (argc < 2) {
		fprintf(err, "migrace: target: missing ACTION (add SPEC..., clear or list)\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "clear")) {
		if (argc > 2) {
			fprintf(err, "migrace: target clear: unexpected argument '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		return append_line(out, len, &used, "target clear");
	}
	if (strcmp(argv[1], "add"))
		return bad_value(err, "target", argv[1], "add, clear or list");
	if (argc < 3) {
		fprintf(err, "migrace: target add: missing SPEC "
			"(pid:N, tgid:N, pgid:N, comm:NAME or all)\n");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++)
		if (target_spec("target add", argv[i], line, sizeof(line), err) ||
		    append_line(out, len, &used, line))
			return EXIT_USAGE;
	return 0;
}
