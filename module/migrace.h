/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrace: shared types and the small, testable pieces of logic behind the
 * race windows (policy decisions, budgets, targets, the control parser, the
 * in-flight folio set, the attribution table, refcount arithmetic).
 *
 * Everything declared here is pure enough to be driven by KUnit
 * (kunit/migrace_kunit.c): no global state is needed to call it.
 */
#ifndef MIGRACE_H
#define MIGRACE_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct folio;	/* a head page before 5.16 (compat.h) */

#define MIGRACE_NAME_LEN	24
#define MIGRACE_HARD_MAX_DELAY_US	5000	/* no widening is ever longer */
/* No window's budget, nor all windows' together, passes this per CPU per s. */
#define MIGRACE_HARD_BUDGET_US		900000
#define MIGRACE_MAX_TARGETS	8

/* The KUnit module calls into migrace.ko; symbols are exported only then. */
#if IS_ENABLED(CONFIG_KUNIT)
#define MIGRACE_EXPORT_FOR_TEST(sym) EXPORT_SYMBOL_GPL(sym)
#else
#define MIGRACE_EXPORT_FOR_TEST(sym)
#endif

/* --- folio kinds and refcount arithmetic (refs.c) ----------------------- */

enum migrace_kind {
	MIGRACE_KIND_ANON,
	MIGRACE_KIND_SHMEM,
	MIGRACE_KIND_FILE,
	MIGRACE_KIND_THP,
	MIGRACE_KIND_HUGETLB,
	MIGRACE_KIND_COUNT
};

#define MIGRACE_STRAY_BUCKETS	4	/* 1, 2, 3, 4 or more */

extern const char *const migrace_kind_names[MIGRACE_KIND_COUNT];

/**
 * migrace_expected_refs() - refcount folio_migrate_mapping() accepts
 * @mapping: the folio's mapping as passed to folio_migrate_mapping()
 * @folio: the source folio
 * @extra: the extra_count argument
 *
 * Return: 1 + @extra without a mapping; 1 + nr_pages + (private ? 1 : 0) +
 * @extra with one (mm/migrate.c, folio_expected_refs() in 6.1).
 */
int migrace_expected_refs(const struct address_space *mapping,
			  struct folio *folio, int extra);

/**
 * migrace_folio_kind() - hugetlb, THP for any other large folio, else anon,
 * shmem or file
 */
enum migrace_kind migrace_folio_kind(struct folio *folio);

/** migrace_stray_bucket() - histogram bucket of a positive stray count */
unsigned int migrace_stray_bucket(int stray);

/* --- widening policy (policy.c) ----------------------------------------- */

enum migrace_policy_kind {
	MIGRACE_POLICY_COUNT,		/* armed: count hits, never widen */
	MIGRACE_POLICY_DELAY,		/* busy-wait a fixed or random time */
	MIGRACE_POLICY_RENDEZVOUS,	/* hold until a reader arrives */
};

/**
 * struct migrace_policy - how an armed window widens
 * @kind: count, delay or rendezvous
 * @min_ns: shortest delay (delay)
 * @max_ns: longest delay (delay); equal to @min_ns for a fixed delay
 * @prob_pct: percent of eligible hits widened, 0..100
 * @every: widen only every Nth eligible hit, >= 1
 * @times: widen at most this many times, 0 for no limit
 * @timeout_ns: how long a rendezvous waits for a reader
 * @flush_immediate: pte-clear only: targeted migrations clear with an
 *	immediate TLB flush, never a batched, deferred one
 * @until_unlock: entry-wait's delay only: it also ends when the folio is
 *	unlocked (a waiter before 5.17 then holds its reference for the
 *	whole migration pass, as one did before 5.0)
 */
struct migrace_policy {
	enum migrace_policy_kind kind;
	u32 min_ns;
	u32 max_ns;
	u32 prob_pct;
	u32 every;
	u64 times;
	u32 timeout_ns;
	bool flush_immediate;
	bool until_unlock;
};

/** struct migrace_policy_state - per-window hit accounting for decisions */
struct migrace_policy_state {
	atomic64_t eligible;
	atomic64_t widened;
};

/** migrace_policy_default() - the policy `arm WINDOW` gets with no keys */
void migrace_policy_default(struct migrace_policy *p,
			    enum migrace_policy_kind kind);

/**
 * migrace_policy_decide() - widen this hit, and for how long?
 * @p: the armed policy
 * @st: the window's state; updated
 * @rnd: 64 random bits (tests pass fixed values)
 * @exhausted: set when the hit used up @p->times (caller disarms)
 *
 * Return: nanoseconds to widen (the rendezvous timeout for a rendezvous),
 * 0 for "do not widen this hit".
 */
u64 migrace_policy_decide(const struct migrace_policy *p,
			  struct migrace_policy_state *st, u64 rnd,
			  bool *exhausted);

/** struct migrace_budget - widening time spent by one CPU in one second */
struct migrace_budget {
	u64 period_start_ns;
	u64 spent_ns;
};

/**
 * migrace_budget_take() - reserve @ns of widening at time @now_ns
 * Return: false, reserving nothing, if the second's total would pass @limit_ns.
 */
bool migrace_budget_take(struct migrace_budget *b, u64 now_ns, u64 ns,
			 u64 limit_ns);

/**
 * migrace_budget_take_upto() - reserve what is left of @ns at time @now_ns
 * Return: the time reserved, up to @ns (0 once the second's @limit_ns is spent).
 */
u64 migrace_budget_take_upto(struct migrace_budget *b, u64 now_ns, u64 ns,
			     u64 limit_ns);

/** migrace_budget_refund() - give back what a reservation did not use */
void migrace_budget_refund(struct migrace_budget *b, u64 ns);

/* --- targets (target.c) -------------------------------------------------- */

enum migrace_target_kind {
	MIGRACE_TARGET_PID,
	MIGRACE_TARGET_TGID,
	MIGRACE_TARGET_PGID,
	MIGRACE_TARGET_COMM,
};

struct migrace_target {
	enum migrace_target_kind kind;
	pid_t id;
	char comm[TASK_COMM_LEN];
};

/** struct migrace_targets - who gets widened; published with RCU */
struct migrace_targets {
	bool all;
	unsigned int nr;
	struct migrace_target t[MIGRACE_MAX_TARGETS];
	struct rcu_head rcu;
};

/** migrace_target_word() - the control grammar's word for @kind ("pid"...) */
const char *migrace_target_word(enum migrace_target_kind kind);

/** migrace_targets_match() - is @task one of @ts (NULL @ts: nobody)? */
bool migrace_targets_match(const struct migrace_targets *ts,
			   struct task_struct *task);

/* --- control commands (control.c) ---------------------------------------- */

enum migrace_cmd_op {
	MIGRACE_CMD_ARM,
	MIGRACE_CMD_DISARM,
	MIGRACE_CMD_TARGET,
	MIGRACE_CMD_TARGET_ALL,
	MIGRACE_CMD_TARGET_CLEAR,
	MIGRACE_CMD_RESET,
	MIGRACE_CMD_NONE,		/* blank or comment line */
};

/**
 * struct migrace_cmd - one parsed control line
 * @op: what to do
 * @window: window name, or "all" (arm, disarm)
 * @policy: the policy to arm with (arm)
 * @target: the target to add (target)
 */
struct migrace_cmd {
	enum migrace_cmd_op op;
	char window[MIGRACE_NAME_LEN];
	struct migrace_policy policy;
	struct migrace_target target;
};

/**
 * migrace_cmd_parse() - parse one control line (docs/interfaces.md)
 * @line: the line, NUL-terminated; modified (split in place)
 * @cmd: the result
 * @max_delay_ns: largest delay or timeout accepted
 * @bad: on error, the offending token (points into @line)
 *
 * Window names are not checked here (the caller knows the table).
 * Return: 0, -ERANGE (a delay or timeout above @max_delay_ns) or -EINVAL,
 * with *@bad set.
 */
int migrace_cmd_parse(char *line, struct migrace_cmd *cmd, u32 max_delay_ns,
		      const char **bad);

/* --- folios under migration (inflight.c) --------------------------------- */

#define MIGRACE_INFLIGHT_SLOTS	64

/**
 * struct migrace_inflight - a folio some targeted task is migrating
 * @folio: the folio; NULL marks a free slot (claimed with cmpxchg)
 * @owner: the migrating task
 * @added_ns: when it was added
 * @seen_ns: when its owner was last seen migrating (adding it, at the latest)
 * @takers: reference takers seen on it since (rendezvous waits on this)
 */
struct migrace_inflight {
	struct folio *folio;
	struct task_struct *owner;
	u64 added_ns;
	u64 seen_ns;
	atomic_t takers;
};

/*
 * A fixed, lock-free set: slots are never freed, so a pointer returned by a
 * lookup stays valid memory; it may describe another folio by the time it is
 * read, which only costs accuracy of a count, never safety.
 */
struct migrace_inflight_set {
	atomic_t nr;
	struct migrace_inflight slot[MIGRACE_INFLIGHT_SLOTS];
};

void migrace_inflight_init(struct migrace_inflight_set *s);
/**
 * migrace_inflight_add() - track @folio for @owner from @now_ns, replacing
 * any entry it has; NULL if the set is full
 */
struct migrace_inflight *migrace_inflight_add(struct migrace_inflight_set *s,
					      struct folio *folio,
					      struct task_struct *owner,
					      u64 now_ns);
/** migrace_inflight_find() - the slot of @folio, or NULL (cheap when empty) */
struct migrace_inflight *migrace_inflight_find(struct migrace_inflight_set *s,
					       const struct folio *folio);
/** migrace_inflight_del_owner() - forget every folio @owner added; count */
unsigned int migrace_inflight_del_owner(struct migrace_inflight_set *s,
					struct task_struct *owner);
/** migrace_inflight_clear() - forget every entry; count them */
unsigned int migrace_inflight_clear(struct migrace_inflight_set *s);

/** migrace_inflight_seen() - @owner is migrating at @now_ns: stamp its entries */
void migrace_inflight_seen(struct migrace_inflight_set *s,
			   const struct task_struct *owner, u64 now_ns);
/**
 * migrace_inflight_expire() - forget entries whose owner was not seen for
 * @idle_ns, or added more than @life_ns ago; count them
 */
unsigned int migrace_inflight_expire(struct migrace_inflight_set *s,
				     u64 now_ns, u64 idle_ns, u64 life_ns);

/* --- who took the references (attrib.c) ---------------------------------- */

#define MIGRACE_ATTRIB_DEPTH	16
#define MIGRACE_ATTRIB_SLOTS	64

enum migrace_taker {
	MIGRACE_TAKER_FOLIO_LOCK,	/* about to sleep on the folio lock */
	MIGRACE_TAKER_PAGECACHE,	/* page-cache lookup returned it */
	MIGRACE_TAKER_GUP,		/* get_user_pages grabbed it */
	MIGRACE_TAKER_ENTRY_WAIT,	/* waits on its migration entry */
	MIGRACE_TAKER_WAITER,		/* waits so, holding a reference (< 5.17) */
	MIGRACE_TAKER_COUNT
};

extern const char *const migrace_taker_names[MIGRACE_TAKER_COUNT];

/** struct migrace_attrib_rec - one distinct (taker, kind, stack) and its hits */
struct migrace_attrib_rec {
	u32 hash;
	u8 taker;
	u8 kind;
	u8 nr;
	unsigned long entries[MIGRACE_ATTRIB_DEPTH];
	u64 hits;
};

struct migrace_attrib {
	raw_spinlock_t lock;	/* protects nr and rec[] */
	unsigned int nr;
	struct migrace_attrib_rec rec[MIGRACE_ATTRIB_SLOTS];
};

void migrace_attrib_init(struct migrace_attrib *a);
/**
 * migrace_attrib_record() - count one sighting (NMI-safe: never spins)
 * Return: 0; -ENOSPC when the table is full; -EBUSY when the table was
 * busy (the sighting is dropped rather than waited for).
 */
int migrace_attrib_record(struct migrace_attrib *a, enum migrace_taker taker,
			  enum migrace_kind kind, const unsigned long *entries,
			  unsigned int nr);
/** migrace_attrib_top() - copy up to @max records, most hits first; count */
unsigned int migrace_attrib_top(struct migrace_attrib *a,
				struct migrace_attrib_rec *out,
				unsigned int max);
void migrace_attrib_reset(struct migrace_attrib *a);

#endif /* MIGRACE_H */
