// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: widening decisions and the per-CPU budget. Random bits are passed
 * in, so every decision here is deterministic: single decisions from a
 * table (every, prob, times, delay range), sequences driven by a seeded
 * xorshift generator, and the budget's one-second periods.
 */
#include <kunit/test.h>
#include <linux/time64.h>
#include "migrace.h"

#define US	1000u

/* prob 30: the low 32 bits widen below ceil(0.30 * 2^32) = 1288490189. */
#define PROB30_LAST_IN	1288490188ULL

struct decide_case {
	const char *name;
	struct migrace_policy p;
	s64 eligible;		/* eligible hits before this one */
	s64 widened;		/* widened hits before this one */
	u64 rnd;
	u64 want_ns;		/* 0: not widened */
	bool want_exhausted;
};

#define P(k, lo, hi, pct, nth, limit) {				\
	.kind = MIGRACE_POLICY_##k, .min_ns = (lo) * US,		\
	.max_ns = (hi) * US, .prob_pct = (pct), .every = (nth),		\
	.times = (limit), .timeout_ns = 500 * US }

static const struct decide_case decide_cases[] = {
	{ "count-never-widens", P(COUNT, 100, 100, 100, 1, 0), 0, 0, 0, 0 },
	{ "delay-fixed", P(DELAY, 100, 100, 100, 1, 0), 0, 0, ~0ULL, 100 * US },
	{ "rendezvous-gives-timeout", P(RENDEZVOUS, 100, 100, 100, 1, 0),
	  0, 0, 0, 500 * US },
	{ "every-3-hit-1", P(DELAY, 100, 100, 100, 3, 0), 0, 0, 0, 0 },
	{ "every-3-hit-2", P(DELAY, 100, 100, 100, 3, 0), 1, 0, 0, 0 },
	{ "every-3-hit-3", P(DELAY, 100, 100, 100, 3, 0), 2, 0, 0, 100 * US },
	{ "every-3-hit-4", P(DELAY, 100, 100, 100, 3, 0), 3, 1, 0, 0 },
	{ "every-3-hit-6", P(DELAY, 100, 100, 100, 3, 0), 5, 1, 0, 100 * US },
	{ "prob-0", P(DELAY, 100, 100, 0, 1, 0), 0, 0, 0, 0 },
	{ "prob-30-lowest", P(DELAY, 100, 100, 30, 1, 0), 0, 0, 0, 100 * US },
	{ "prob-30-last-in", P(DELAY, 100, 100, 30, 1, 0), 0, 0,
	  PROB30_LAST_IN, 100 * US },
	{ "prob-30-first-out", P(DELAY, 100, 100, 30, 1, 0), 0, 0,
	  PROB30_LAST_IN + 1, 0 },
	{ "prob-30-highest", P(DELAY, 100, 100, 30, 1, 0), 0, 0,
	  0xffffffffULL, 0 },
	{ "prob-100-highest", P(DELAY, 100, 100, 100, 1, 0), 0, 0,
	  0xffffffffULL, 100 * US },
	{ "prob-ignores-high-bits", P(DELAY, 100, 100, 30, 1, 0), 0, 0,
	  0xffffffff00000000ULL, 100 * US },
	{ "prob-applies-to-rendezvous", P(RENDEZVOUS, 100, 100, 30, 1, 0),
	  0, 0, 0xffffffffULL, 0 },
	{ "range-high-bits-0-gives-min", P(DELAY, 10, 20, 100, 1, 0), 0, 0,
	  0xffffffffULL, 10 * US },
	{ "range-high-bits-1s-gives-max", P(DELAY, 10, 20, 100, 1, 0), 0, 0,
	  0xffffffff00000000ULL, 20 * US },
	{ "range-high-bits-half-gives-mid", P(DELAY, 10, 20, 100, 1, 0), 0, 0,
	  0x8000000000000000ULL, 15 * US },
	{ "times-3-hit-2", P(DELAY, 100, 100, 100, 1, 3), 1, 1, 0, 100 * US },
	{ "times-3-hit-3-exhausts", P(DELAY, 100, 100, 100, 1, 3), 2, 2, 0,
	  100 * US, true },
	{ "times-3-after", P(DELAY, 100, 100, 100, 1, 3), 3, 3, 0, 0 },
	{ "times-1-first-exhausts", P(RENDEZVOUS, 100, 100, 100, 1, 1), 0, 0,
	  0, 500 * US, true },
	{ "times-0-no-limit", P(DELAY, 100, 100, 100, 1, 0), 1000000, 1000000,
	  0, 100 * US },
	{ "times-skipped-hit-not-counted", P(DELAY, 100, 100, 100, 2, 1), 0, 0,
	  0, 0 },
	{ "times-prob-miss-not-counted", P(DELAY, 100, 100, 50, 1, 1), 0, 0,
	  0xffffffffULL, 0 },
};

static void decide_desc(const struct decide_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(decide, decide_cases, decide_desc);

static void decide_test(struct kunit *test)
{
	const struct decide_case *c = test->param_value;
	struct migrace_policy_state st;
	bool exhausted = !c->want_exhausted;	/* must be written */

	atomic64_set(&st.eligible, c->eligible);
	atomic64_set(&st.widened, c->widened);
	KUNIT_EXPECT_EQ(test, migrace_policy_decide(&c->p, &st, c->rnd, &exhausted),
			c->want_ns);
	KUNIT_EXPECT_EQ(test, exhausted, c->want_exhausted);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.eligible), c->eligible + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.widened),
			c->widened + (c->want_ns ? 1 : 0));
}

static void policy_default_test(struct kunit *test)
{
	static const enum migrace_policy_kind kinds[] = {
		MIGRACE_POLICY_COUNT, MIGRACE_POLICY_DELAY,
		MIGRACE_POLICY_RENDEZVOUS,
	};
	struct migrace_policy p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		memset(&p, 0xa5, sizeof(p));
		migrace_policy_default(&p, kinds[i]);
		KUNIT_EXPECT_EQ(test, p.kind, kinds[i]);
		KUNIT_EXPECT_EQ(test, p.min_ns, 100 * US);
		KUNIT_EXPECT_EQ(test, p.max_ns, 100 * US);
		KUNIT_EXPECT_EQ(test, p.prob_pct, 100);
		KUNIT_EXPECT_EQ(test, p.every, 1);
		KUNIT_EXPECT_EQ(test, p.times, 0);
		KUNIT_EXPECT_EQ(test, p.timeout_ns, 500 * US);
	}
}

/* xorshift64: a fixed, reproducible stream of random bits. */
static u64 xorshift64(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void init_state(struct migrace_policy_state *st)
{
	atomic64_set(&st->eligible, 0);
	atomic64_set(&st->widened, 0);
}

#define DRAWS	10000

static void count_never_widens_test(struct kunit *test)
{
	struct migrace_policy p;
	struct migrace_policy_state st;
	u64 seed = 0x2545f4914f6cdd1dULL;
	unsigned int i, widened = 0;
	bool exhausted;

	migrace_policy_default(&p, MIGRACE_POLICY_COUNT);
	p.times = 1;
	init_state(&st);
	for (i = 0; i < DRAWS; i++) {
		widened += !!migrace_policy_decide(&p, &st, xorshift64(&seed),
						   &exhausted);
		KUNIT_EXPECT_FALSE(test, exhausted);
	}
	KUNIT_EXPECT_EQ(test, widened, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.eligible), DRAWS);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.widened), 0);
}

/* Every delay lies in [min, max], and the draws spread over the range. */
static void delay_in_range_test(struct kunit *test)
{
	struct migrace_policy p;
	struct migrace_policy_state st;
	u64 seed = 0x9e3779b97f4a7c15ULL, sum = 0, lo = U64_MAX, hi = 0, ns;
	unsigned int i;
	bool exhausted;

	migrace_policy_default(&p, MIGRACE_POLICY_DELAY);
	p.min_ns = 3000 * US;
	p.max_ns = 7000 * US;
	init_state(&st);
	for (i = 0; i < DRAWS; i++) {
		ns = migrace_policy_decide(&p, &st, xorshift64(&seed), &exhausted);
		KUNIT_ASSERT_GE(test, ns, (u64)p.min_ns);
		KUNIT_ASSERT_LE(test, ns, (u64)p.max_ns);
		sum += ns;
		lo = min(lo, ns);
		hi = max(hi, ns);
	}
	/* Uniform over 4 ms: the mean is 5 ms, the extremes near the ends. */
	KUNIT_EXPECT_LT(test, abs((s64)(sum / DRAWS) - 5000 * US), 100 * US);
	KUNIT_EXPECT_LT(test, lo, 3010 * US);
	KUNIT_EXPECT_GT(test, hi, 6990 * US);
}

/* prob=25 over seeded draws widens about a quarter of the hits. */
static void prob_rate_test(struct kunit *test)
{
	struct migrace_policy p;
	struct migrace_policy_state st;
	u64 seed = 0xd1b54a32d192ed03ULL;
	unsigned int i, widened = 0;
	bool exhausted;

	migrace_policy_default(&p, MIGRACE_POLICY_DELAY);
	p.prob_pct = 25;
	init_state(&st);
	for (i = 0; i < DRAWS; i++)
		widened += !!migrace_policy_decide(&p, &st, xorshift64(&seed),
						   &exhausted);
	KUNIT_EXPECT_GT(test, widened, DRAWS / 4 - DRAWS / 50);
	KUNIT_EXPECT_LT(test, widened, DRAWS / 4 + DRAWS / 50);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.widened), widened);
}

/* every=2 times=3: hits 2, 4, 6 widen, 6 exhausts, nothing after. */
static void times_sequence_test(struct kunit *test)
{
	struct migrace_policy p;
	struct migrace_policy_state st;
	unsigned int hit, exhaustions = 0;
	bool exhausted;
	u64 ns;

	migrace_policy_default(&p, MIGRACE_POLICY_DELAY);
	p.every = 2;
	p.times = 3;
	init_state(&st);
	for (hit = 1; hit <= 12; hit++) {
		ns = migrace_policy_decide(&p, &st, 0, &exhausted);
		KUNIT_EXPECT_EQ_MSG(test, ns, hit % 2 == 0 && hit <= 6 ? 100 * US : 0,
				    "hit %u", hit);
		KUNIT_EXPECT_EQ_MSG(test, exhausted, hit == 6, "hit %u", hit);
		exhaustions += exhausted;
	}
	KUNIT_EXPECT_EQ(test, exhaustions, 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.widened), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&st.eligible), 12);
}

#define T0	(5 * NSEC_PER_SEC)

static void budget_take_test(struct kunit *test)
{
	struct migrace_budget b = {};

	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0, 300, 1000));
	KUNIT_EXPECT_EQ(test, b.period_start_ns, T0);
	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0 + 1, 700, 1000));
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
	KUNIT_EXPECT_FALSE(test, migrace_budget_take(&b, T0 + 2, 1, 1000));
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0 + 3, 0, 1000));
	/* A lowered limit refuses everything until the next period. */
	KUNIT_EXPECT_FALSE(test, migrace_budget_take(&b, T0 + 4, 1, 500));
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
}

static void budget_refund_test(struct kunit *test)
{
	struct migrace_budget b = {};

	KUNIT_ASSERT_TRUE(test, migrace_budget_take(&b, T0, 1000, 1000));
	migrace_budget_refund(&b, 400);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 600);
	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0, 400, 1000));
	KUNIT_EXPECT_FALSE(test, migrace_budget_take(&b, T0, 1, 1000));
	migrace_budget_refund(&b, 5000);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 0);
}

static void budget_upto_test(struct kunit *test)
{
	struct migrace_budget b = {};

	KUNIT_EXPECT_EQ(test, migrace_budget_take_upto(&b, T0, 700, 1000), 700);
	KUNIT_EXPECT_EQ(test, migrace_budget_take_upto(&b, T0, 700, 1000), 300);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
	KUNIT_EXPECT_EQ(test, migrace_budget_take_upto(&b, T0, 1, 1000), 0);
	/* A lowered limit below what is spent leaves nothing, takes nothing. */
	KUNIT_EXPECT_EQ(test, migrace_budget_take_upto(&b, T0, 1, 500), 0);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
	KUNIT_EXPECT_EQ(test, migrace_budget_take_upto(&b, T0 + NSEC_PER_SEC, 5, 1000), 5);
}

static void budget_period_test(struct kunit *test)
{
	struct migrace_budget b = {};

	KUNIT_ASSERT_TRUE(test, migrace_budget_take(&b, T0, 1000, 1000));
	KUNIT_EXPECT_FALSE(test, migrace_budget_take(&b, T0 + NSEC_PER_SEC - 1,
						     1, 1000));
	KUNIT_EXPECT_EQ(test, b.period_start_ns, T0);
	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0 + NSEC_PER_SEC, 1,
						    1000));
	KUNIT_EXPECT_EQ(test, b.period_start_ns, T0 + NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1);
	/* A clock seen going backwards starts a new period too. */
	KUNIT_EXPECT_TRUE(test, migrace_budget_take(&b, T0, 1000, 1000));
	KUNIT_EXPECT_EQ(test, b.period_start_ns, T0);
	KUNIT_EXPECT_EQ(test, b.spent_ns, 1000);
}

static struct kunit_case policy_cases[] = {
	KUNIT_CASE_PARAM(decide_test, decide_gen_params),
	KUNIT_CASE(policy_default_test),
	KUNIT_CASE(count_never_widens_test),
	KUNIT_CASE(delay_in_range_test),
	KUNIT_CASE(prob_rate_test),
	KUNIT_CASE(times_sequence_test),
	KUNIT_CASE(budget_take_test),
	KUNIT_CASE(budget_refund_test),
	KUNIT_CASE(budget_upto_test),
	KUNIT_CASE(budget_period_test),
	{}
};

static struct kunit_suite policy_suite = {
	.name = "migrace_policy",
	.test_cases = policy_cases,
};

kunit_test_suites(&policy_suite);
