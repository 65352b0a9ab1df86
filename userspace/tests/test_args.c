// SPDX-License-Identifier: GPL-2.0
/*
 * test_args.c - `run` option parsing (a table of named command lines, valid
 * and invalid) and the control lines composed for `arm` and `disarm`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "suites.h"

#define MAX_ARGS 48

/* Split @line on blanks into @argv; '+' inside a word stands for a blank. */
static int split(const char *line, char *buf, size_t len, char **argv)
{
	char *save = NULL, *tok;
	int n = 0;

	snprintf(buf, len, "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n == MAX_ARGS - 1) {
			tap_fail(__FILE__, __LINE__, "more than %d words in '%s'", MAX_ARGS - 1, line);
			break;
		}
		for (char *p = tok; *p; p++)
			if (*p == '+')
				*p = ' ';
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

struct parse_case {
	const char *name;
	const char *line;
	int rc;
	const char *msg;	/* in the error output (rc != 0) */
};

static const struct parse_case parse_cases[] = {
	{ "minimal", "run shared-anon", 0, NULL },
	{ "every scenario", "run hot-remove", 0, NULL },
	{ "deferred-split", "run deferred-split --pages 4 --writers 50 --seconds 2", 0, NULL },
	{ "all options", "run shmem-file --pages 8 --readers 3 --writers 50 --access random "
	  "--seconds 0.5 --iterations 100 --nodes 0,1 --window pte-clear,folio-lock "
	  "--policy delay --seed 42 --cpu-pin --json out.json --ktap --expect-failures "
	  "--max-failures 3 --max-rate 0.25 --quiet", 0, NULL },
	{ "options before scenario", "run --pages 2 thp", 0, NULL },
	{ "equals form", "run thp --pages=2", 0, NULL },
	{ "no scenario", "run", 2, "missing SCENARIO; valid scenarios: shared-anon private-anon "
	  "thp shmem-file hugetlb hot-remove deferred-split\n" },
	{ "deferred-split pages zero", "run deferred-split --pages 0", 2, "--pages: bad value '0'" },
	{ "unknown scenario", "run shared-file", 2, "unknown scenario 'shared-file'; valid "
	  "scenarios: shared-anon" },
	{ "two scenarios", "run thp hugetlb", 2, "unexpected argument 'hugetlb'" },
	{ "unknown option", "run thp --frob", 2, "unknown option '--frob'" },
	{ "no-target", "run private-anon --no-target", 0, NULL },
	{ "no-target with window", "run shared-anon --no-target --window pte-clear", 2,
	  "--window needs the run targeted: drop --no-target" },
	{ "missing value", "run thp --pages", 2, "--pages needs a value" },
	{ "pages zero", "run thp --pages 0", 2, "--pages: bad value '0'" },
	{ "pages words", "run thp --pages many", 2, "--pages: bad value 'many'" },
	{ "pages too many", "run thp --pages 65537", 2, "--pages: bad value '65537'" },
	{ "pages negative", "run thp --pages -1", 2, "--pages: bad value '-1'" },
	{ "readers zero", "run thp --readers 0", 2, "--readers: bad value '0'" },
	{ "writers over 100", "run thp --writers 101", 2, "--writers: bad value '101'" },
	{ "access unknown", "run thp --access zigzag", 2, "--access: bad value 'zigzag' (seq, "
	  "random or same)" },
	{ "seconds zero", "run thp --seconds 0", 2, "--seconds: bad value '0'" },
	{ "seconds junk", "run thp --seconds 1s", 2, "--seconds: bad value '1s'" },
	{ "seconds nan", "run thp --seconds nan", 2, "--seconds: bad value 'nan'" },
	{ "iterations zero", "run thp --iterations 0", 2, "--iterations: bad value '0'" },
	{ "nodes one", "run thp --nodes 1", 2, "--nodes: bad value '1'" },
	{ "nodes same", "run thp --nodes 1,1", 2, "--nodes: bad value '1,1'" },
	{ "nodes words", "run thp --nodes a,b", 2, "--nodes: bad value 'a,b'" },
	{ "nodes three", "run thp --nodes 0,1,2", 2, "--nodes: bad value '0,1,2'" },
	{ "window bad name", "run thp --window pte/clear", 2, "--window: bad value 'pte/clear'" },
	{ "window empty", "run thp --window ,", 2, "--window: bad value ','" },
	{ "window too many", "run thp --window a,b,c,d,e,f,g,h,i", 2, "--window: bad value" },
	{ "policy unknown", "run thp --window w --policy explode", 2,
	  "--policy: bad value 'explode' (count, delay or rendezvous)" },
	{ "policy bad key", "run thp --window w --policy delay+speed=3", 2,
	  "--policy: bad value 'speed=3'" },
	{ "policy bad value", "run thp --window w --policy delay+delay_us=fast", 2,
	  "--policy: bad value 'delay_us=fast'" },
	{ "policy two policies", "run thp --window w --policy delay+count", 2,
	  "--policy: bad value 'count' (KEY=VALUE)" },
	{ "policy without window", "run thp --policy count", 2, "--policy needs --window" },
	{ "policy key of another", "run thp --window w --policy rendezvous+min_us=3", 2,
	  "--policy: bad value 'min_us=3' (min_us does not apply to policy rendezvous)" },
	{ "window upper case", "run thp --window Pte", 2, "--window: bad value 'Pte'" },
	{ "seed negative", "run thp --seed -3", 2, "--seed: bad value '-3'" },
	{ "max-rate above 1", "run thp --max-rate 1.5", 2, "--max-rate: bad value '1.5'" },
	{ "max-failures junk", "run thp --max-failures x", 2, "--max-failures: bad value 'x'" },
	{ "json empty", "run thp --json=", 2, "--json: bad value ''" },
	{ "unknown short option", "run thp -xyz", 2, "run: unknown option '-x'\n" },
	{ "flag with a value", "run thp --ktap=yes", 2, "run: --ktap takes no value ('--ktap=yes')" },
	{ "help", "run --help", 0, NULL },
	{ "help after options", "run thp --pages 3 -h", 0, NULL },
	{ "window starting with -", "run thp --window -pte", 2, "--window: bad value '-pte'" },
};

static void run_one_parse(const struct parse_case *c)
{
	char buf[1024], *argv[MAX_ARGS], *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);
	struct run_opts o;
	int argc = split(c->line, buf, sizeof(buf), argv), rc;

	rc = args_parse_run(argc, argv, &o, f);
	fclose(f);
	if (rc != c->rc)
		tap_fail(__FILE__, __LINE__, "%s: '%s' gave %d, want %d (%s)", c->name, c->line,
			 rc, c->rc, err);
	if (c->msg && !strstr(err, c->msg))
		tap_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", c->name, err, c->msg);
	if (!c->rc && *err)
		tap_fail(__FILE__, __LINE__, "%s: unexpected message \"%s\"", c->name, err);
	free(err);
}

static void run_parse_table(void)
{
	int n = (int)(sizeof(parse_cases) / sizeof(parse_cases[0]));

	tap_sub_plan(n);
	for (int i = 0; i < n; i++) {
		tap_sub_begin();
		run_one_parse(&parse_cases[i]);
		tap_sub_end(i + 1, parse_cases[i].name);
	}
}

static int parse(const char *line, struct run_opts *o)
{
	char buf[1024], *argv[MAX_ARGS];
	int argc = split(line, buf, sizeof(buf), argv);
	FILE *null = fopen("/dev/null", "w");
	int rc = args_parse_run(argc, argv, o, null);

	fclose(null);
	return rc;
}

static void run_defaults(void)
{
	struct run_opts o;

	CHECK_INT(parse("run shared-anon", &o), 0);
	CHECK_INT(o.scenario, SC_SHARED_ANON);
	CHECK_INT(o.pages, 1);
	CHECK_INT(o.readers, 0);		/* resolved at run time: CPUs - 1 */
	CHECK_INT(o.writers_pct, 0);
	CHECK_INT(o.access, ACCESS_SEQ);
	CHECK(o.seconds == 5.0);
	CHECK_INT(o.iterations, 0);
	CHECK(!o.nodes_set && !o.seed_set && !o.ktap && !o.json && !o.max_rate_set);
	CHECK_INT(o.nwindows, 0);
}

static void run_values(void)
{
	struct run_opts o;

	CHECK_INT(parse("run hugetlb --pages 8 --readers 3 --writers 50 --access same "
			"--seconds 0.25 --iterations 100 --nodes 2,0 --window pte-clear,folio-lock "
			"--policy rendezvous+prob=50+timeout_us=300 --seed 7 --json r.json "
			"--max-failures 0 --max-rate 0.5 --ktap --cpu-pin", &o), 0);
	CHECK_INT(o.scenario, SC_HUGETLB);
	CHECK_INT(o.pages, 8);
	CHECK_INT(o.readers, 3);
	CHECK_INT(o.writers_pct, 50);
	CHECK_INT(o.access, ACCESS_SAME);
	CHECK(o.seconds == 0.25);
	CHECK_INT(o.iterations, 100);
	CHECK(o.nodes_set && o.nodes[0] == 2 && o.nodes[1] == 0);
	CHECK_INT(o.nwindows, 2);
	CHECK_STR(o.windows[1], "folio-lock");
	CHECK_STR(o.policy, "rendezvous prob=50 timeout_us=300");
	CHECK(o.seed_set && o.seed == 7);
	CHECK_STR(o.json, "r.json");
	CHECK(o.max_failures_set && o.max_failures == 0);
	CHECK(o.max_rate_set && o.max_rate == 0.5);
	CHECK(o.ktap && o.cpu_pin && !o.quiet && !o.expect_failures && !o.no_target);
	CHECK_INT(parse("run private-anon --no-target", &o), 0);
	CHECK(o.no_target);
	/* the parser starts over each time (getopt state) */
	CHECK_INT(parse("run private-anon", &o), 0);
	CHECK_INT(o.pages, 1);
	CHECK_INT(o.scenario, SC_PRIVATE_ANON);
}

/* deferred-split's own --pages default (several THPs on the split list); others keep 1. */
static void run_deferred_split_pages(void)
{
	struct run_opts o;

	CHECK_INT(parse("run deferred-split", &o), 0);
	CHECK_INT(o.scenario, SC_DEFERRED_SPLIT);
	CHECK_INT(o.pages, DEFERRED_SPLIT_PAGES);
	CHECK(DEFERRED_SPLIT_PAGES >= 4);
	CHECK(!o.pages_set);
	CHECK_INT(parse("run --pages 1 deferred-split", &o), 0);
	CHECK_INT(o.pages, 1);
	CHECK(o.pages_set);
	CHECK_INT(parse("run deferred-split --pages=32 --seconds 1", &o), 0);
	CHECK_INT(o.pages, 32);
	CHECK_INT(parse("run thp", &o), 0);
	CHECK_INT(o.pages, 1);
	CHECK(!o.pages_set);
	CHECK_STR(scenario_names[SC_DEFERRED_SPLIT], "deferred-split");
}

struct arm_case {
	const char *name;
	const char *line;
	int rc;
	const char *out;	/* control lines, or the message when rc != 0 */
};

static const struct arm_case arm_cases[] = {
	{ "window only", "arm pte-clear", 0, "arm pte-clear\n" },
	{ "policy and keys", "arm pte-clear delay delay_us=200 prob=50", 0,
	  "arm pte-clear delay delay_us=200 prob=50\n" },
	{ "keys without policy", "arm folio-lock times=3", 0, "arm folio-lock times=3\n" },
	{ "all windows", "arm all count", 0, "arm all count\n" },
	{ "target pgid first", "arm pte-clear rendezvous --target pgid:42", 0,
	  "target pgid 42\narm pte-clear rendezvous\n" },
	{ "target comm", "arm pte-clear --target=comm:migrace", 0,
	  "target comm migrace\narm pte-clear\n" },
	{ "two targets", "arm w --target pid:1 --target tgid:2", 0,
	  "target pid 1\ntarget tgid 2\narm w\n" },
	{ "target all", "arm w --target all", 0, "target all\narm w\n" },
	{ "no window", "arm", 2, "arm: missing WINDOW" },
	{ "option as window", "arm --target all", 2, "arm: missing WINDOW" },
	{ "bad policy", "arm w widen", 2, "arm: bad value 'widen' (count, delay or rendezvous)" },
	{ "bad key", "arm w delay speed=1", 2, "arm: bad value 'speed=1'" },
	{ "negative value", "arm w delay delay_us=-1", 2, "arm: bad value 'delay_us=-1'" },
	{ "bad target kind", "arm w --target uid:0", 2, "--target: bad value 'uid:0'" },
	{ "bad target id", "arm w --target pid:x", 2, "--target: bad value 'pid:x'" },
	{ "zero target id", "arm w --target pgid:0", 2, "--target: bad value 'pgid:0'" },
	{ "long comm", "arm w --target comm:abcdefghijklmnop", 2, "--target: bad value" },
	{ "missing target", "arm w --target", 2, "--target needs a value" },
	{ "unknown option", "arm w --frob", 2, "arm: unknown option '--frob'" },
	{ "bad window name", "arm pte;clear", 2, "arm: bad value 'pte;clear'" },
	{ "upper case window", "arm PTE-clear", 2, "arm: bad value 'PTE-clear'" },
	{ "underscore window", "arm pte_clear", 2, "arm: bad value 'pte_clear'" },
	{ "longest window", "arm abcdefghijklmnopqrstuvw", 0, "arm abcdefghijklmnopqrstuvw\n" },
	{ "too long window", "arm abcdefghijklmnopqrstuvwx", 2, "arm: bad value" },
	{ "count takes no keys", "arm w count prob=5", 2,
	  "arm: bad value 'prob=5' (prob does not apply to policy count)" },
	{ "delay key on rendezvous", "arm w rendezvous delay_us=5", 2,
	  "delay_us does not apply to policy rendezvous" },
	{ "timeout on default delay", "arm w timeout_us=5", 2,
	  "timeout_us does not apply to policy delay" },
	{ "rendezvous keys", "arm w rendezvous timeout_us=300 prob=10 every=2 times=5", 0,
	  "arm w rendezvous timeout_us=300 prob=10 every=2 times=5\n" },
	{ "delay range", "arm w delay min_us=10 max_us=90", 0, "arm w delay min_us=10 max_us=90\n" },
	{ "flush immediate", "arm pte-clear rendezvous flush=immediate", 0,
	  "arm pte-clear rendezvous flush=immediate\n" },
	{ "flush with count", "arm pte-clear count flush=kernel", 0,
	  "arm pte-clear count flush=kernel\n" },
	{ "flush bad word", "arm pte-clear flush=later", 2,
	  "arm: bad value 'flush=later' (flush=kernel or flush=immediate)" },
	{ "flush number", "arm pte-clear flush=1", 2, "arm: bad value 'flush=1'" },
	{ "until unlock", "arm entry-wait delay delay_us=900 until=unlock", 0,
	  "arm entry-wait delay delay_us=900 until=unlock\n" },
	{ "until bad word", "arm entry-wait until=later", 2,
	  "arm: bad value 'until=later' (until=delay or until=unlock)" },
	{ "until with rendezvous", "arm entry-wait rendezvous until=unlock", 2,
	  "until does not apply to policy rendezvous" },
};

static void arm_compose_table(void)
{
	int n = (int)(sizeof(arm_cases) / sizeof(arm_cases[0]));

	tap_sub_plan(n);
	for (int i = 0; i < n; i++) {
		const struct arm_case *c = &arm_cases[i];
		char buf[512], *argv[MAX_ARGS], out[1024], *err = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&err, &len);
		int rc;

		tap_sub_begin();
		rc = args_compose_arm(split(c->line, buf, sizeof(buf), argv), argv, out,
				      sizeof(out), f);

		fclose(f);
		if (rc != c->rc)
			tap_fail(__FILE__, __LINE__, "%s: rc %d, want %d (%s)", c->name, rc, c->rc, err);
		else if (!rc && strcmp(out, c->out))
			tap_fail(__FILE__, __LINE__, "%s: composed \"%s\", want \"%s\"", c->name,
				 out, c->out);
		else if (rc && !strstr(err, c->out))
			tap_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", c->name,
				 err, c->out);
		free(err);
		tap_sub_end(i + 1, c->name);
	}
}

static void disarm_compose(void)
{
	char out[128], *a0[] = { "disarm", NULL }, *a1[] = { "disarm", "pte-clear", NULL };
	char *bad[] = { "disarm", "a;b", NULL }, *extra[] = { "disarm", "a", "b", NULL };
	FILE *null = fopen("/dev/null", "w");

	CHECK_INT(args_compose_disarm(1, a0, out, sizeof(out), null), 0);
	CHECK_STR(out, "disarm all\n");
	CHECK_INT(args_compose_disarm(2, a1, out, sizeof(out), null), 0);
	CHECK_STR(out, "disarm pte-clear\n");
	CHECK_INT(args_compose_disarm(2, bad, out, sizeof(out), null), 2);
	CHECK_INT(args_compose_disarm(3, extra, out, sizeof(out), null), 2);
	fclose(null);
}

/* `disarm --help` is no window name: nothing composed for the module. */
static void disarm_refuses_options(void)
{
	char out[128] = "", *help[] = { "disarm", "--help", NULL }, *h[] = { "disarm", "-h", NULL };
	FILE *null = fopen("/dev/null", "w");

	CHECK_INT(args_compose_disarm(2, help, out, sizeof(out), null), 2);
	CHECK_INT(args_compose_disarm(2, h, out, sizeof(out), null), 2);
	CHECK_STR(out, "");
	fclose(null);
}

static void target_compose(void)
{
	char out[256], *add[] = { "target", "add", "pid:5", "comm:bash", "all", NULL };
	char *clear[] = { "target", "clear", NULL }, *bad[] = { "target", "add", "pid:0", NULL };
	char *none[] = { "target", "add", NULL }, *what[] = { "target", "drop", NULL };
	FILE *null = fopen("/dev/null", "w");

	CHECK_INT(args_compose_target(5, add, out, sizeof(out), null), 0);
	CHECK_STR(out, "target pid 5\ntarget comm bash\ntarget all\n");
	CHECK_INT(args_compose_target(2, clear, out, sizeof(out), null), 0);
	CHECK_STR(out, "target clear\n");
	CHECK_INT(args_compose_target(3, bad, out, sizeof(out), null), 2);
	CHECK_INT(args_compose_target(2, none, out, sizeof(out), null), 2);
	CHECK_INT(args_compose_target(2, what, out, sizeof(out), null), 2);
	CHECK_INT(args_compose_target(1, what, out, sizeof(out), null), 2);
	fclose(null);
}

static void run_help_flag(void)
{
	struct run_opts o;

	CHECK_INT(parse("run --help", &o), 0);
	CHECK(o.help);
	CHECK_INT(parse("run thp", &o), 0);
	CHECK(!o.help);
}

SUITE_DEFINE(args,
	TAP_CASE(run_parse_table),
	TAP_CASE(run_defaults),
	TAP_CASE(run_values),
	TAP_CASE(run_deferred_split_pages),
	TAP_CASE(arm_compose_table),
	TAP_CASE(disarm_compose),
	TAP_CASE(disarm_refuses_options),
	TAP_CASE(target_compose),
	TAP_CASE(run_help_flag),
);
