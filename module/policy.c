// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the widening decision and the per-CPU time budget.
 *
 * migrace_policy_decide() is the cheapest-check-first knob set of
 * lib/fault-inject.c (every, probability, times), fed with random bits by
 * the caller so that KUnit can drive it deterministically.
 */
#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/time64.h>
#include "migrace.h"

#define MIGRACE_DEFAULT_DELAY_NS	(100 * NSEC_PER_USEC)
#define MIGRACE_DEFAULT_TIMEOUT_NS	(500 * NSEC_PER_USEC)

void migrace_policy_default(struct migrace_policy *p,
			    enum migrace_policy_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->min_ns = MIGRACE_DEFAULT_DELAY_NS;
	p->max_ns = MIGRACE_DEFAULT_DELAY_NS;
	p->prob_pct = 100;
	p->every = 1;
	p->times = 0;
	p->timeout_ns = MIGRACE_DEFAULT_TIMEOUT_NS;
}

MIGRACE_EXPORT_FOR_TEST(migrace_policy_default);

/* Scale 32 random bits to [0, range): (bits * range) / 2^32, no division. */
static u64 scale32(u32 bits, u64 range)
{
	return ((u64)bits * range) >> 32;
}

/* The low 32 bits of @rnd pick the percentile: widen when it is < prob. */
static bool policy_roll(const struct migrace_policy *p, u64 rnd)
{
	if (p->prob_pct >= 100)
		return true;
	return scale32(lower_32_bits(rnd), 100) < p->prob_pct;
}

/* The high 32 bits of @rnd pick the delay, uniformly in [min_ns, max_ns]. */
static u64 policy_delay(const struct migrace_policy *p, u64 rnd)
{
	if (p->max_ns <= p->min_ns)
		return p->min_ns;
	return p->min_ns +
	       scale32(upper_32_bits(rnd), (u64)p->max_ns - p->min_ns + 1);
}

/*
 * Count one widening against @p->times. The compare-and-swap loop makes the
 * limit exact under concurrent hits: exactly one caller sees the count reach
 * @p->times (and reports exhaustion), none goes past it.
 */
static bool policy_take_time(const struct migrace_policy *p,
			     struct migrace_policy_state *st, bool *exhausted)
{
	s64 done = atomic64_read(&st->widened);

	do {
		if (p->times && (u64)done >= p->times)
			return false;
	} while (!atomic64_try_cmpxchg(&st->widened, &done, done + 1));

	if (p->times && (u64)done + 1 == p->times)
		*exhausted = true;
	return true;
}

/*
 * Every call is an eligible hit (counted even for the count policy, which
 * never widens). *@exhausted is written on every call: true only on the hit
 * that used up @p->times.
 */
u64 migrace_policy_decide(const struct migrace_policy *p,
			  struct migrace_policy_state *st, u64 rnd,
			  bool *exhausted)
{
	s64 n = atomic64_inc_return(&st->eligible);

	*exhausted = false;
	if (p->kind == MIGRACE_POLICY_COUNT)
		return 0;
	if (p->every > 1 && (u64)n % p->every)
		return 0;
	if (!policy_roll(p, rnd))
		return 0;
	if (!policy_take_time(p, st, exhausted))
		return 0;
	if (p->kind == MIGRACE_POLICY_RENDEZVOUS)
		return p->timeout_ns;
	return policy_delay(p, rnd);
}

MIGRACE_EXPORT_FOR_TEST(migrace_policy_decide);

/*
 * The budget is per CPU and used with preemption off (kprobe handlers), so
 * it needs no lock; callers serialise. A period lasts one second from its
 * first use; a clock that went backwards (now < start) also starts a new one.
 */
static void budget_period(struct migrace_budget *b, u64 now_ns)
{
	if (now_ns - b->period_start_ns >= NSEC_PER_SEC) {
		b->period_start_ns = now_ns;
		b->spent_ns = 0;
	}
}

bool migrace_budget_take(struct migrace_budget *b, u64 now_ns, u64 ns,
			 u64 limit_ns)
{
	budget_period(b, now_ns);
	if (b->spent_ns > limit_ns || ns > limit_ns - b->spent_ns)
		return false;
	b->spent_ns += ns;
	return true;
}

MIGRACE_EXPORT_FOR_TEST(migrace_budget_take);

u64 migrace_budget_take_upto(struct migrace_budget *b, u64 now_ns, u64 ns,
			     u64 limit_ns)
{
	budget_period(b, now_ns);
	if (b->spent_ns >= limit_ns)
		return 0;
	ns = min(ns, limit_ns - b->spent_ns);
	b->spent_ns += ns;
	return ns;
}

MIGRACE_EXPORT_FOR_TEST(migrace_budget_take_upto);

void migrace_budget_refund(struct migrace_budget *b, u64 ns)
{
	b->spent_ns -= min(ns, b->spent_ns);
}

MIGRACE_EXPORT_FOR_TEST(migrace_budget_refund);
