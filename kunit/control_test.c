// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the control-line parser (docs/interfaces.md). Every valid line is
 * checked field by field; every invalid one must fail with -EINVAL and name
 * exactly the offending token.
 */
#include <kunit/test.h>
#include <linux/string.h>
#include "migrace.h"

#define US	1000u			/* ns per us, for the tables */
#define CAP_NS	(1000 * US)		/* max_delay_us=1000, the default */

#define POLICY(k, lo, hi, pct, nth, limit, tmo) {			\
	.kind = MIGRACE_POLICY_##k, .min_ns = (lo) * US,		\
	.max_ns = (hi) * US, .prob_pct = (pct), .every = (nth),		\
	.times = (limit), .timeout_ns = (tmo) * US }
#define DEFAULT_POLICY(k)	POLICY(k, 100, 100, 100, 1, 0, 500)

struct parse_ok_case {
	const char *name;
	const char *line;
	enum migrace_cmd_op op;
	const char *window;
	struct migrace_policy policy;
	struct migrace_target target;
};

static const struct parse_ok_case parse_ok_cases[] = {
	{ "arm-default", "arm pte-clear", MIGRACE_CMD_ARM, "pte-clear",
	  DEFAULT_POLICY(DELAY) },
	{ "arm-all-count", "arm all count", MIGRACE_CMD_ARM, "all",
	  DEFAULT_POLICY(COUNT) },
	{ "arm-delay-word", "arm freeze delay", MIGRACE_CMD_ARM, "freeze",
	  DEFAULT_POLICY(DELAY) },
	{ "arm-rendezvous-default", "arm entry-wait rendezvous", MIGRACE_CMD_ARM,
	  "entry-wait", DEFAULT_POLICY(RENDEZVOUS) },
	{ "arm-fixed-delay", "arm freeze delay delay_us=250", MIGRACE_CMD_ARM,
	  "freeze", POLICY(DELAY, 250, 250, 100, 1, 0, 500) },
	{ "arm-random-delay", "arm freeze min_us=10 max_us=900",
	  MIGRACE_CMD_ARM, "freeze", POLICY(DELAY, 10, 900, 100, 1, 0, 500) },
	{ "arm-max-only", "arm freeze max_us=700", MIGRACE_CMD_ARM, "freeze",
	  POLICY(DELAY, 100, 700, 100, 1, 0, 500) },
	{ "arm-delay-knobs", "arm freeze prob=30 every=4 times=9",
	  MIGRACE_CMD_ARM, "freeze", POLICY(DELAY, 100, 100, 30, 4, 9, 500) },
	{ "arm-rendezvous-keys",
	  "arm entry-wait rendezvous timeout_us=1000 prob=50 every=2 times=7",
	  MIGRACE_CMD_ARM, "entry-wait",
	  POLICY(RENDEZVOUS, 100, 100, 50, 2, 7, 1000) },
	{ "arm-blanks", "  arm\tpte-clear \t delay   prob=0 \t\n",
	  MIGRACE_CMD_ARM, "pte-clear", POLICY(DELAY, 100, 100, 0, 1, 0, 500) },
	{ "arm-repeated-key-last-wins", "arm x delay_us=5 delay_us=7",
	  MIGRACE_CMD_ARM, "x", POLICY(DELAY, 7, 7, 100, 1, 0, 500) },
	{ "arm-delay-then-min", "arm x delay_us=200 min_us=50",
	  MIGRACE_CMD_ARM, "x", POLICY(DELAY, 50, 200, 100, 1, 0, 500) },
	{ "arm-min-then-delay", "arm x min_us=50 max_us=300 delay_us=200",
	  MIGRACE_CMD_ARM, "x", POLICY(DELAY, 200, 200, 100, 1, 0, 500) },
	{ "arm-delay-at-cap", "arm x delay_us=1000", MIGRACE_CMD_ARM, "x",
	  POLICY(DELAY, 1000, 1000, 100, 1, 0, 500) },
	{ "arm-times-u64-max", "arm x times=18446744073709551615",
	  MIGRACE_CMD_ARM, "x",
	  POLICY(DELAY, 100, 100, 100, 1, 18446744073709551615ULL, 500) },
	{ "arm-flush-immediate", "arm pte-clear rendezvous flush=immediate",
	  MIGRACE_CMD_ARM, "pte-clear",
	  { .kind = MIGRACE_POLICY_RENDEZVOUS, .min_ns = 100 * US,
	    .max_ns = 100 * US, .prob_pct = 100, .every = 1,
	    .timeout_ns = 500 * US, .flush_immediate = true } },
	{ "arm-flush-immediate-count", "arm pte-clear count flush=immediate",
	  MIGRACE_CMD_ARM, "pte-clear",
	  { .kind = MIGRACE_POLICY_COUNT, .min_ns = 100 * US,
	    .max_ns = 100 * US, .prob_pct = 100, .every = 1,
	    .timeout_ns = 500 * US, .flush_immediate = true } },
	{ "arm-flush-kernel", "arm pte-clear flush=kernel", MIGRACE_CMD_ARM,
	  "pte-clear", DEFAULT_POLICY(DELAY) },
	{ "arm-until-unlock", "arm entry-wait delay_us=900 until=unlock",
	  MIGRACE_CMD_ARM, "entry-wait",
	  { .kind = MIGRACE_POLICY_DELAY, .min_ns = 900 * US,
	    .max_ns = 900 * US, .prob_pct = 100, .every = 1,
	    .timeout_ns = 500 * US, .until_unlock = true } },
	{ "arm-until-delay", "arm entry-wait until=delay", MIGRACE_CMD_ARM,
	  "entry-wait", DEFAULT_POLICY(DELAY) },
	{ "arm-longest-name", "arm abcdefghijklmnopqrstu-9", MIGRACE_CMD_ARM,
	  "abcdefghijklmnopqrstu-9", DEFAULT_POLICY(DELAY) },
	{ "disarm-all", "disarm all", MIGRACE_CMD_DISARM, "all" },
	{ "disarm-one", "disarm pte-clear\n", MIGRACE_CMD_DISARM, "pte-clear" },
	{ "target-pid", "target pid 42", MIGRACE_CMD_TARGET,
	  .target = { MIGRACE_TARGET_PID, 42 } },
	{ "target-tgid", "target tgid 1", MIGRACE_CMD_TARGET,
	  .target = { MIGRACE_TARGET_TGID, 1 } },
	{ "target-pgid", "target pgid 32768", MIGRACE_CMD_TARGET,
	  .target = { MIGRACE_TARGET_PGID, 32768 } },
	{ "target-comm", "target comm migrace-reader", MIGRACE_CMD_TARGET,
	  .target = { MIGRACE_TARGET_COMM, 0, "migrace-reader" } },
	{ "target-comm-15-chars", "target comm abcdefghijklmno",
	  MIGRACE_CMD_TARGET,
	  .target = { MIGRACE_TARGET_COMM, 0, "abcdefghijklmno" } },
	{ "target-all", "target all", MIGRACE_CMD_TARGET_ALL },
	{ "target-clear", "target clear", MIGRACE_CMD_TARGET_CLEAR },
	{ "reset", "reset", MIGRACE_CMD_RESET },
	{ "reset-newline", "reset\n", MIGRACE_CMD_RESET },
	{ "empty-line", "", MIGRACE_CMD_NONE },
	{ "blank-line", " \t \t\n", MIGRACE_CMD_NONE },
	{ "comment", "# arm all", MIGRACE_CMD_NONE },
	{ "indented-comment", "   #arm all rendezvous", MIGRACE_CMD_NONE },
};

struct parse_bad_case {
	const char *name;
	const char *line;
	const char *bad;
	int err;		/* 0: -EINVAL */
};

static const struct parse_bad_case parse_bad_cases[] = {
	{ "unknown-verb", "frobnicate all", "frobnicate" },
	{ "verb-upper-case", "ARM x", "ARM" },
	{ "arm-no-window", "arm", "arm" },
	{ "arm-no-window-blanks", "arm \t\n", "arm" },
	{ "arm-upper-case-name", "arm Pte-clear", "Pte-clear" },
	{ "arm-underscore-name", "arm pte_clear", "pte_clear" },
	{ "arm-latin1-name", "arm caf\xe9", "caf\xe9" },
	{ "arm-name-too-long", "arm abcdefghijklmnopqrstu-90",
	  "abcdefghijklmnopqrstu-90" },
	{ "arm-unknown-word", "arm x sleep", "sleep" },
	{ "arm-unknown-key", "arm x color=red", "color=red" },
	{ "arm-flush-other-window", "arm freeze flush=immediate",
	  "flush=immediate" },
	{ "arm-flush-all-windows", "arm all count flush=immediate",
	  "flush=immediate" },
	{ "arm-flush-bad-word", "arm pte-clear flush=later", "flush=later" },
	{ "arm-flush-number", "arm pte-clear flush=1", "flush=1" },
	{ "arm-until-other-window", "arm freeze until=unlock", "until=unlock" },
	{ "arm-until-rendezvous", "arm entry-wait rendezvous until=unlock",
	  "until=unlock" },
	{ "arm-until-bad-word", "arm entry-wait until=later", "until=later" },
	{ "arm-empty-key", "arm x =5", "=5" },
	{ "arm-key-prefix", "arm x delay=5", "delay=5" },
	{ "arm-key-upper-case", "arm x DELAY_US=5", "DELAY_US=5" },
	{ "arm-delay-over-cap", "arm x delay_us=1001", "delay_us=1001",
	  -ERANGE },
	{ "arm-max-over-cap", "arm x max_us=5000", "max_us=5000", -ERANGE },
	{ "arm-min-over-cap", "arm x min_us=1001 max_us=1000",
	  "min_us=1001", -ERANGE },
	{ "arm-timeout-over-cap", "arm x rendezvous timeout_us=1001",
	  "timeout_us=1001", -ERANGE },
	{ "arm-delay-wraps-u32-ns", "arm x delay_us=4294968",
	  "delay_us=4294968", -ERANGE },
	{ "arm-delay-over-u32", "arm x delay_us=4294967296",
	  "delay_us=4294967296" },
	{ "arm-delay-with-rendezvous", "arm x rendezvous delay_us=5",
	  "delay_us=5" },
	{ "arm-min-with-rendezvous", "arm x rendezvous prob=5 min_us=5",
	  "min_us=5" },
	{ "arm-prob-with-count", "arm x count prob=5", "prob=5" },
	{ "arm-times-with-count", "arm x count times=1", "times=1" },
	{ "arm-timeout-with-delay", "arm x delay timeout_us=5", "timeout_us=5" },
	{ "arm-timeout-default-policy", "arm x timeout_us=5", "timeout_us=5" },
	{ "arm-prob-101", "arm x prob=101", "prob=101" },
	{ "arm-every-0", "arm x every=0", "every=0" },
	{ "arm-min-above-max", "arm x min_us=300 max_us=200", "max_us=200" },
	{ "arm-max-below-min", "arm x max_us=200 min_us=300", "min_us=300" },
	{ "arm-min-above-default-max", "arm x min_us=200", "min_us=200" },
	{ "arm-value-not-a-number", "arm x delay_us=abc", "delay_us=abc" },
	{ "arm-value-empty", "arm x delay_us=", "delay_us=" },
	{ "arm-value-plus-sign", "arm x prob=+5", "prob=+5" },
	{ "arm-value-negative", "arm x every=-1", "every=-1" },
	{ "arm-value-hex", "arm x every=0x10", "every=0x10" },
	{ "arm-value-trailing-junk", "arm x every=5s", "every=5s" },
	{ "arm-times-over-u64", "arm x times=18446744073709551616",
	  "times=18446744073709551616" },
	{ "arm-policy-after-key", "arm x prob=50 delay", "delay" },
	{ "arm-two-policies", "arm x delay count", "count" },
	{ "arm-trailing-comment", "arm x # widen", "#" },
	{ "disarm-no-window", "disarm", "disarm" },
	{ "disarm-extra-token", "disarm x y", "y" },
	{ "disarm-bad-name", "disarm X", "X" },
	{ "target-no-kind", "target", "target" },
	{ "target-unknown-kind", "target uid 5", "uid" },
	{ "target-pid-missing", "target pid", "pid" },
	{ "target-pid-zero", "target pid 0", "0" },
	{ "target-pid-negative", "target pid -1", "-1" },
	{ "target-pid-plus-sign", "target pid +1", "+1" },
	{ "target-tgid-not-a-number", "target tgid abc", "abc" },
	{ "target-pgid-too-big", "target pgid 99999999", "99999999" },
	{ "target-pid-extra-token", "target pid 5 6", "6" },
	{ "target-comm-missing", "target comm", "comm" },
	{ "target-comm-16-chars", "target comm abcdefghijklmnop",
	  "abcdefghijklmnop" },
	{ "target-all-extra-token", "target all now", "now" },
	{ "target-clear-extra-token", "target clear 1", "1" },
	{ "reset-extra-token", "reset now", "now" },
};

static void parse_ok_desc(const struct parse_ok_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

static void parse_bad_desc(const struct parse_bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse_ok, parse_ok_cases, parse_ok_desc);
KUNIT_ARRAY_PARAM(parse_bad, parse_bad_cases, parse_bad_desc);

static void expect_policy(struct kunit *test, const struct migrace_policy *got,
			  const struct migrace_policy *want)
{
	KUNIT_EXPECT_EQ(test, got->kind, want->kind);
	KUNIT_EXPECT_EQ(test, got->min_ns, want->min_ns);
	KUNIT_EXPECT_EQ(test, got->max_ns, want->max_ns);
	KUNIT_EXPECT_EQ(test, got->prob_pct, want->prob_pct);
	KUNIT_EXPECT_EQ(test, got->every, want->every);
	KUNIT_EXPECT_EQ(test, got->times, want->times);
	KUNIT_EXPECT_EQ(test, got->timeout_ns, want->timeout_ns);
	KUNIT_EXPECT_EQ(test, got->flush_immediate, want->flush_immediate);
	KUNIT_EXPECT_EQ(test, got->until_unlock, want->until_unlock);
}

static void expect_target(struct kunit *test, const struct migrace_target *got,
			  const struct migrace_target *want)
{
	KUNIT_EXPECT_EQ(test, got->kind, want->kind);
	if (want->kind == MIGRACE_TARGET_COMM)
		KUNIT_EXPECT_STREQ(test, got->comm, want->comm);
	else
		KUNIT_EXPECT_EQ(test, got->id, want->id);
}

static void parse_ok_test(struct kunit *test)
{
	const struct parse_ok_case *c = test->param_value;
	const char *bad = "unset";
	struct migrace_cmd cmd;
	char line[96];

	KUNIT_ASSERT_GE(test, strscpy(line, c->line, sizeof(line)), 0);
	KUNIT_ASSERT_EQ(test, migrace_cmd_parse(line, &cmd, CAP_NS, &bad), 0);
	KUNIT_EXPECT_NULL(test, bad);
	KUNIT_EXPECT_EQ(test, cmd.op, c->op);
	if (c->op == MIGRACE_CMD_ARM || c->op == MIGRACE_CMD_DISARM)
		KUNIT_EXPECT_STREQ(test, cmd.window, c->window);
	if (c->op == MIGRACE_CMD_ARM)
		expect_policy(test, &cmd.policy, &c->policy);
	if (c->op == MIGRACE_CMD_TARGET)
		expect_target(test, &cmd.target, &c->target);
}

static void parse_bad_test(struct kunit *test)
{
	const struct parse_bad_case *c = test->param_value;
	const char *bad = NULL;
	struct migrace_cmd cmd;
	char line[96];

	KUNIT_ASSERT_GE(test, strscpy(line, c->line, sizeof(line)), 0);
	KUNIT_EXPECT_EQ(test, migrace_cmd_parse(line, &cmd, CAP_NS, &bad),
			c->err ?: -EINVAL);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	/* The token is named in place, not copied. */
	KUNIT_EXPECT_TRUE(test, bad >= line && bad < line + sizeof(line));
	KUNIT_EXPECT_STREQ(test, bad, c->bad);
}

/* The cap is the caller's (max_delay_us may be lowered at run time). */
static void parse_cap_test(struct kunit *test)
{
	const char *bad = NULL;
	struct migrace_cmd cmd;
	char line[32];

	strscpy(line, "arm x delay_us=500", sizeof(line));
	KUNIT_EXPECT_EQ(test, migrace_cmd_parse(line, &cmd, 500 * US, &bad), 0);
	KUNIT_EXPECT_EQ(test, cmd.policy.max_ns, 500 * US);
	strscpy(line, "arm x delay_us=500", sizeof(line));
	KUNIT_EXPECT_EQ(test, migrace_cmd_parse(line, &cmd, 499 * US, &bad),
			-ERANGE);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	KUNIT_EXPECT_STREQ(test, bad, "delay_us=500");
}

static struct kunit_case control_cases[] = {
	KUNIT_CASE_PARAM(parse_ok_test, parse_ok_gen_params),
	KUNIT_CASE_PARAM(parse_bad_test, parse_bad_gen_params),
	KUNIT_CASE(parse_cap_test),
	{}
};

static struct kunit_suite control_suite = {
	.name = "migrace_control",
	.test_cases = control_cases,
};

kunit_test_suites(&control_suite);
