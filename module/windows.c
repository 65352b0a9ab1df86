// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the machinery shared by every race window. Each window (a row in
 * table.c) has one probe where it widens; one handler serves them all and
 * finds its row with container_of(). Windows register disabled and are
 * armed and disarmed with enable_kprobe()/disable_kprobe().
 *
 * Handlers run with preemption off, some with interrupts masked too (a
 * kprobe's on arm64, a kretprobe's on 5.10 and on arm64 6.12+): widening is
 * a busy-wait, capped by max_delay_us (max_irqoff_us with interrupts masked)
 * and by a per-CPU budget per second; past the budget the window disarms
 * itself.
 */
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "internal.h"
#include "trace.h"

/* Serialises arming and disarming, including a handler's queued disarm. */
static DEFINE_MUTEX(window_lock);
/*
 * Each window has a budget of its own (one's spending never disarms
 * another); all of them together stay under the hard limit on each CPU.
 */
static DEFINE_PER_CPU(struct migrace_budget, migrace_cpu_budget);
/* Lock-free randomness for handlers (get_random_u64() takes a local lock). */
static DEFINE_PER_CPU(struct rnd_state, migrace_rnd);

struct migrace_window *migrace_window_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < migrace_nr_windows; i++)
		if (!strcmp(migrace_windows[i].name, name))
			return &migrace_windows[i];
	return NULL;
}

/*
 * Busy-waits are bounded by count too: no pass of a wait loop takes under a
 * nanosecond, so a clock that stopped still cannot hold a CPU much past the
 * cap.
 */

/* Busy-wait @ns; return the time actually spent. */
static u64 widen_delay(u64 ns)
{
	u64 t0 = migrace_now(), t, n = 0;

	do {
		cpu_relax();
		t = migrace_now() - t0;
	} while (t < ns && ++n < ns);
	return t;
}

/*
 * until=unlock: busy-wait up to @ns or until @folio is unlocked, which a
 * migration pass does only once its refcount check is over. Where the
 * waiter holds a reference (before 5.17) that reference then lasts the
 * whole pass, as it did before 5.0, when a waiter slept on the lock with
 * it. From 5.17 the waiter holds the page table lock, which the pass needs
 * before it unlocks: there the wait is the delay.
 */
static bool until_unlock(const struct migrace_policy *p,
			 const struct migrace_hit *hit)
{
	return MIGRACE_ENTRY_WAITER_HOLDS_REF && p->until_unlock && hit->folio;
}

/* Unlocked already: no pass to outlast, no hold (counted as skipped). */
static bool until_unlock_worth(struct migrace_window *w,
			       const struct migrace_hit *hit)
{
	if (folio_test_locked(hit->folio))
		return true;
	migrace_wcount(w, MW_SKIPPED, 1);
	return false;
}

/*
 * Return the time spent; 0 when the folio was unlocked by the first poll
 * (it raced the check before): no hold.
 */
static u64 widen_until_unlock(struct migrace_window *w, struct folio *folio,
			      u64 ns)
{
	u64 t0 = migrace_now(), t = 0, n = 0;

	if (!folio_test_locked(folio))
		return 0;
	do {
		cpu_relax();
		t = migrace_now() - t0;
		if (!folio_test_locked(folio)) {
			if (t < ns)
				migrace_wcount(w, MW_UNLOCKED, 1);
			break;
		}
	} while (t < ns && ++n < ns);
	return t;
}

/*
 * References the migration itself accounts for while the PTE-clear window
 * is open: what the refcount check will expect, plus one per PTE still
 * mapping the folio (the one just cleared included: try_to_migrate_one()
 * drops its reference only after installing the migration entry). For a
 * large folio (mapcount not cheaply known here) the refcount now.
 */
static int refs_accounted(struct folio *folio)
{
	if (folio_test_large(folio))
		return folio_ref_count(folio);
	return migrace_expected_refs(folio_mapping(folio), folio, 0) +
	       migrace_small_folio_mapcount(folio);
}

/*
 * No taker can bring a reference to @folio inside a window: an anonymous
 * folio outside the swap cache and KSM. Its readers fault under a page table
 * lock the migration holds or wait on its migration entry (no reference
 * since 5.17; before, the waiter is a taker); GUP-fast backs off a cleared
 * PTE. Not covered: a writer in another process that shares it
 * copy-on-write (do_wp_page() takes one).
 */
static bool no_taker_path(struct folio *folio)
{
	return !MIGRACE_ENTRY_WAITER_HOLDS_REF && folio_test_anon(folio) &&
	       !folio_test_swapcache(folio) && !folio_test_ksm(folio);
}

/*
 * Before a rendezvous hold: is there anyone to wait for? Skipped: no slot or
 * folio (the window knows no folio), or no taker path. Present: the folio
 * already has a reference the migration does not account for (a taker from
 * an earlier pass sleeps on its lock): a hold would end at its first poll,
 * which is no hold. Neither is widened, nor charged to times= or the budget.
 */
static bool rendezvous_worth(struct migrace_window *w, struct migrace_hit *hit)
{
	if (!hit->slot || !hit->folio || no_taker_path(hit->folio)) {
		migrace_wcount(w, MW_SKIPPED, 1);
		return false;
	}
	hit->base = refs_accounted(hit->folio);
	hit->refs = folio_ref_count(hit->folio);
	if (hit->refs > hit->base) {
		migrace_wcount(w, MW_PRESENT, 1);
		return false;
	}
	return true;
}

/*
 * The task that last brought a reference to a folio in flight, and when
 * (migrace_now(), one clock for every CPU). A rendezvous hold that reaches
 * its timeout keeps waiting while that reader is runnable on another CPU
 * (running, in a VM perhaps on a vCPU the host has paused, or preempted
 * there), not while it waits for this CPU, which the hold keeps busy.
 */
static atomic_t last_taker_pid;
static atomic64_t last_taker_ns;

void migrace_taker_note(void)
{
	atomic_set(&last_taker_pid, task_pid_nr(current));
	atomic64_set(&last_taker_ns, migrace_now());
}

/* Where the last taker is, as a hold reaches its timeout. */
enum taker_where {
	TAKER_GONE,		/* asleep, exited, or not seen for a second */
	TAKER_RUNNING,		/* on another CPU (in a VM: maybe a paused vCPU) */
	TAKER_QUEUED,		/* waiting for another CPU */
	TAKER_QUEUED_HERE,	/* waiting for this CPU: the hold keeps it out */
};

static enum taker_where taker_where(u64 now)
{
	pid_t nr = atomic_read(&last_taker_pid);
	enum taker_where where = TAKER_GONE;
	struct task_struct *t;

	if (!nr || (s64)(now - atomic64_read(&last_taker_ns)) > NSEC_PER_SEC)
		return TAKER_GONE;
	rcu_read_lock();
	t = pid_task(find_pid_ns(nr, &init_pid_ns), PIDTYPE_PID);
	if (t && t != current && task_is_running(t)) {
		if (READ_ONCE(t->on_cpu))
			where = TAKER_RUNNING;
		else if (task_cpu(t) == raw_smp_processor_id())
			where = TAKER_QUEUED_HERE;
		else
			where = TAKER_QUEUED;
	}
	rcu_read_unlock();
	return where;
}

/* How often a hold past its timeout looks its last taker up again. */
#define TAKER_RECHECK_NS	(2 * NSEC_PER_USEC)

/*
 * Hold until a reference taker reaches the folio, or @timeout_ns passes
 * with no reader runnable elsewhere, or @cap_ns passes. Causal signals only: a taker
 * probe (folio lock sleeper, page-cache lookup, GUP) bumped @slot->takers,
 * or the refcount exceeds what the migration accounts for. The migrator
 * holds the folio lock here, and fault-around skips locked folios before
 * taking a reference, so an excess reference is one the refcount check will
 * trip on. Return: the time held; *@met set, *@extended if past @timeout_ns.
 */
static u64 widen_rendezvous(struct migrace_hit *hit, u64 timeout_ns,
			    u64 cap_ns, bool *met, bool *extended,
			    enum taker_where *where)
{
	int takers0 = atomic_read(&hit->slot->takers);
	u64 t0 = migrace_now(), t, next = timeout_ns, n = 0;

	*extended = false;
	*where = TAKER_GONE;
	for (;;) {
		cpu_relax();
		t = migrace_now() - t0;
		*met = atomic_read(&hit->slot->takers) != takers0 ||
		       folio_ref_count(hit->folio) > hit->base;
		if (*met)
			break;
		/* Looked up at the timeout even if the budgets granted no more. */
		if (t >= next) {
			*where = taker_where(t0 + t);
			if (*where == TAKER_GONE || *where == TAKER_QUEUED_HERE)
				break;
			next = t + TAKER_RECHECK_NS;
		}
		if (t >= cap_ns || ++n >= cap_ns)
			break;
		if (t >= timeout_ns)
			*extended = true;
	}
	return t;
}

/*
 * A fresh hold: one that began with nobody there. It may run past
 * @timeout_ns up to @cap_ns (what window_plan() reserved) while a reader is
 * runnable elsewhere (*@extended: it did).
 */
static u64 window_rendezvous(struct migrace_window *w, struct migrace_hit *hit,
			     u64 timeout_ns, u64 cap_ns, bool *met,
			     bool *extended)
{
	enum taker_where where;
	u64 spent;

	spent = widen_rendezvous(hit, timeout_ns, cap_ns, met, extended,
				 &where);
	migrace_wcount(w, *met ? MW_MET : MW_TIMEOUTS, 1);
	if (!*met && where == TAKER_QUEUED_HERE)
		migrace_wcount(w, MW_QUEUED_HERE, 1);
	if (*met)
		migrace_wcount(w, MW_FRESH_MET, 1);
	if (*extended)
		migrace_wcount(w, MW_EXTENDED, 1);
	if (*extended && *met)
		migrace_wcount(w, MW_EXTENDED_MET, 1);
	migrace_wcount(w, MW_FRESH_HOLDS, 1);
	migrace_wcount(w, MW_FRESH_NS, spent);
	return spent;
}

static bool read_policy(struct migrace_window *w, struct migrace_policy *p)
{
	struct migrace_policy *cur;
	bool ok = false;

	rcu_read_lock();
	cur = rcu_dereference(w->policy);
	if (cur) {
		*p = *cur;
		ok = true;
	}
	rcu_read_unlock();
	return ok;
}

/*
 * Disarming sleeps (disable_kprobe() takes a mutex), so it is done by a
 * worker; a handler may run as an NMI, where only irq_work may be queued.
 * Return: true for the one caller that disarmed the window.
 */
static bool window_disarm_later(struct migrace_window *w)
{
	if (atomic_cmpxchg(&w->armed, 1, 0) != 1)
		return false;
	irq_work_queue(&w->disarm_irq_work);
	return true;
}

static void window_disarm_irq_work(struct irq_work *iw)
{
	struct migrace_window *w =
		container_of(iw, struct migrace_window, disarm_irq_work);

	schedule_work(&w->disarm_work);
}

static u64 handler_random(void)
{
	struct rnd_state *st = this_cpu_ptr(&migrace_rnd);

	return (u64)prandom_u32_state(st) << 32 | prandom_u32_state(st);
}

/* Give back widening time a hit did not use. */
static void window_refund(struct migrace_window *w, u64 ns)
{
	migrace_budget_refund(this_cpu_ptr(w->budget), ns);
	migrace_budget_refund(this_cpu_ptr(&migrace_cpu_budget), ns);
}

/* Charge what a hit spent past its reservation (a vCPU paused mid-wait). */
static void window_charge(struct migrace_window *w, u64 ns)
{
	u64 now = migrace_now();

	migrace_budget_take(this_cpu_ptr(w->budget), now, ns, U64_MAX);
	migrace_budget_take(this_cpu_ptr(&migrace_cpu_budget), now, ns, U64_MAX);
}

/*
 * A rendezvous may hold past its timeout, up to the cap: reserve what the
 * budgets have left of that too, so a hold never runs past them.
 * Return: the extra time reserved.
 */
static u64 window_plan_extension(struct migrace_window *w, u64 now, u64 ns)
{
	u64 got;

	ns = migrace_budget_take_upto(this_cpu_ptr(w->budget), now, ns,
				      (u64)READ_ONCE(migrace_budget_us) * NSEC_PER_USEC);
	got = migrace_budget_take_upto(this_cpu_ptr(&migrace_cpu_budget), now, ns,
				       (u64)MIGRACE_HARD_BUDGET_US * NSEC_PER_USEC);
	migrace_budget_refund(this_cpu_ptr(w->budget), ns - got);
	return got;
}

/*
 * Whether the hit's handler runs with interrupts masked (read once), and
 * then max_irqoff_us where it is below max_delay_us and whether it cut @ns.
 */
struct window_irqoff {
	bool masked;
	u64 cap;	/* 0: interrupts on, or max_delay_us the lower */
	bool cut;
};

/*
 * With interrupts masked a widening delays every interrupt on this CPU by
 * as long: max_irqoff_us caps it there. Return: the cap that applies.
 */
static u64 window_irqoff_cap(u64 *ns, u64 cap, struct window_irqoff *irq)
{
	u64 icap = (u64)READ_ONCE(migrace_max_irqoff_us) * NSEC_PER_USEC;

	irq->masked = irqs_disabled();
	irq->cap = 0;
	irq->cut = false;
	if (!irq->masked || icap >= cap)
		return cap;
	irq->cap = icap;
	irq->cut = *ns > icap;
	*ns = min(*ns, icap);
	return icap;
}

/*
 * What a widening with interrupts masked held them off for. The cap stopped
 * it when it ran to the cap unmet, cut short or kept past its timeout
 * (@extended: max_delay_us alone would have let it go on).
 */
static void window_irqoff_count(struct migrace_window *w, u64 spent,
				const struct window_irqoff *irq, bool met,
				bool extended)
{
	if (!irq->masked)
		return;
	migrace_wcount(w, MW_IRQOFF_WIDENED, 1);
	migrace_wcount(w, MW_IRQOFF_NS, spent);
	migrace_wmax(w, MW_IRQOFF_MAX_NS, spent);
	if (irq->cap && spent >= irq->cap && !met && (irq->cut || extended))
		migrace_wcount(w, MW_IRQOFF_CAPPED, 1);
}

/*
 * How long to widen this hit (*@timeout_ns), within the caps and this CPU's
 * budgets (@irq: see window_irqoff_cap()). Return: the time reserved from
 * the budgets: *@timeout_ns, and for a rendezvous what the budgets grant of
 * the rest of the cap. 0: no widening.
 */
static u64 window_plan(struct migrace_window *w, struct migrace_policy *p,
		       u64 *timeout_ns, struct window_irqoff *irq)
{
	u64 cap = (u64)READ_ONCE(migrace_max_delay_us) * NSEC_PER_USEC;
	bool rendezvous = p->kind == MIGRACE_POLICY_RENDEZVOUS;
	bool exhausted = false;
	u64 ns, now;

	ns = migrace_policy_decide(p, &w->pstate, handler_random(), &exhausted);
	if (exhausted)
		window_disarm_later(w);
	ns = min(ns, cap);
	cap = window_irqoff_cap(&ns, cap, irq);
	*timeout_ns = ns;
	if (!ns)
		return 0;
	now = migrace_now();
	if (!migrace_budget_take(this_cpu_ptr(w->budget), now, ns,
				 (u64)READ_ONCE(migrace_budget_us) * NSEC_PER_USEC)) {
		/* Said once: hits racing the disarm on other CPUs stay quiet. */
		if (window_disarm_later(w)) {
			migrace_count(MC_BUDGET_DISARMS, 1);
			pr_warn("window %s over its budget of %u us/s per CPU: disarmed\n",
				w->name, migrace_budget_us);
		}
		return 0;
	}
	if (!migrace_budget_take(this_cpu_ptr(&migrace_cpu_budget), now, ns,
				 (u64)MIGRACE_HARD_BUDGET_US * NSEC_PER_USEC)) {
		migrace_budget_refund(this_cpu_ptr(w->budget), ns);
		migrace_count(MC_CPU_BUDGET_REFUSED, 1);
		return 0;
	}
	if (rendezvous && cap > ns)
		ns += window_plan_extension(w, now, cap - ns);
	return ns;
}

/* The site's first two arguments, kept from a return probe's entry. */
struct window_args {
	unsigned long arg[2];
};

static void window_hit(struct migrace_window *w, struct pt_regs *regs,
		       const struct window_args *args,
		       bool (*match)(struct migrace_window *w, struct pt_regs *regs,
				     struct migrace_hit *hit))
{
	struct migrace_hit hit = { };
	struct migrace_policy p;
	struct window_irqoff irq;
	bool rendezvous, met = false, extended = false;
	u64 ns, spent, timeout;

	if (!atomic_read(&w->armed) || !migrace_targeted())
		return;
	if (args) {
		hit.arg0 = args->arg[0];
		hit.arg1 = args->arg[1];
	}
	if (!match(w, regs, &hit) || !read_policy(w, &p))
		return;
	migrace_wcount(w, MW_HITS, 1);
	if (match == w->aux_match)
		migrace_wcount(w, MW_AUX_HITS, 1);
	rendezvous = p.kind == MIGRACE_POLICY_RENDEZVOUS;
	if (rendezvous && !rendezvous_worth(w, &hit))
		return;
	if (until_unlock(&p, &hit) && !until_unlock_worth(w, &hit))
		return;
	ns = window_plan(w, &p, &timeout, &irq);
	if (!ns) {
		trace_migrace_window_hit(w->name, 0, false, 0, 0);
		return;
	}
	if (rendezvous)
		spent = window_rendezvous(w, &hit, timeout, ns, &met, &extended);
	else if (until_unlock(&p, &hit))
		spent = widen_until_unlock(w, hit.folio, ns);
	else
		spent = widen_delay(ns);
	if (!spent && until_unlock(&p, &hit)) {
		window_refund(w, ns);
		migrace_wcount(w, MW_SKIPPED, 1);
		return;
	}
	if (spent < ns)
		window_refund(w, ns - spent);
	else if (spent > ns)
		window_charge(w, spent - ns);
	migrace_wcount(w, MW_WIDENED, 1);
	migrace_wcount(w, MW_WIDEN_NS, spent);
	window_irqoff_count(w, spent, &irq, met, extended);
	trace_migrace_window_hit(w->name, spent, met, hit.refs, hit.base);
}

static int window_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct migrace_window *w = container_of(kp, struct migrace_window, kp);

	window_hit(w, regs, NULL, w->match);
	return 0;
}

NOKPROBE_SYMBOL(window_pre);

/*
 * Only targeted tasks in an armed window take a return instance; it keeps
 * the site's first two arguments for the match at return.
 */
static int window_ret_entry_of(struct migrace_window *w,
			       struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct window_args *a = (struct window_args *)ri->data;

	if (!(atomic_read(&w->armed) && atomic_read(&migrace_inflight.nr) &&
	      migrace_targeted()))
		return 1;
	a->arg[0] = regs_get_kernel_argument(regs, 0);
	a->arg[1] = regs_get_kernel_argument(regs, 1);
	return 0;
}

NOKPROBE_SYMBOL(window_ret_entry_of);

static int window_ret_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return window_ret_entry_of(container_of(get_kretprobe(ri),
						struct migrace_window, krp), ri, regs);
}

NOKPROBE_SYMBOL(window_ret_entry);

static int window_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct migrace_window *w =
		container_of(get_kretprobe(ri), struct migrace_window, krp);

	window_hit(w, regs, (struct window_args *)ri->data, w->match);
	return 0;
}

NOKPROBE_SYMBOL(window_ret);

/* The window's second path (see struct migrace_window's @aux_match). */
static int window_aux_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return window_ret_entry_of(container_of(get_kretprobe(ri),
						struct migrace_window, aux_krp), ri, regs);
}

NOKPROBE_SYMBOL(window_aux_entry);

static int window_aux_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct migrace_window *w =
		container_of(get_kretprobe(ri), struct migrace_window, aux_krp);

	window_hit(w, regs, (struct window_args *)ri->data, w->aux_match);
	return 0;
}

NOKPROBE_SYMBOL(window_aux_ret);

static void window_set_enabled(struct migrace_window *w, bool on)
{
	if (w->on_return)
		on ? enable_kretprobe(&w->krp) : disable_kretprobe(&w->krp);
	else
		on ? enable_kprobe(&w->kp) : disable_kprobe(&w->kp);
	if (w->aux_registered && w->aux_match)
		on ? enable_kretprobe(&w->aux_krp) : disable_kretprobe(&w->aux_krp);
	else if (w->aux_registered)
		on ? enable_kprobe(&w->aux_kp) : disable_kprobe(&w->aux_kp);
}

/* A handler's disarm, unless an `arm` came in since: that one stands. */
static void window_disarm_work(struct work_struct *work)
{
	struct migrace_window *w =
		container_of(work, struct migrace_window, disarm_work);

	mutex_lock(&window_lock);
	if (!atomic_read(&w->armed) && w->registered)
		window_set_enabled(w, false);
	mutex_unlock(&window_lock);
}

int migrace_window_arm(struct migrace_window *w, const struct migrace_policy *p)
{
	struct migrace_policy *np, *old;

	if (!w->registered)
		return -ENOENT;
	np = kmemdup(p, sizeof(*p), GFP_KERNEL);
	if (!np)
		return -ENOMEM;
	mutex_lock(&window_lock);
	old = rcu_replace_pointer(w->policy, np, true);
	atomic64_set(&w->pstate.eligible, 0);
	atomic64_set(&w->pstate.widened, 0);
	atomic_set(&w->armed, 1);
	window_set_enabled(w, true);
	mutex_unlock(&window_lock);
	synchronize_rcu();
	kfree(old);
	return 0;
}

void migrace_window_disarm(struct migrace_window *w)
{
	mutex_lock(&window_lock);
	atomic_set(&w->armed, 0);
	if (w->registered)
		window_set_enabled(w, false);
	mutex_unlock(&window_lock);
}

void migrace_windows_reset(void)
{
	unsigned int i, c;

	for (i = 0; i < migrace_nr_windows; i++) {
		struct migrace_window *w = &migrace_windows[i];

		for (c = 0; c < MW_COUNT; c++)
			atomic64_set(&w->count[c], 0);
	}
	atomic_set(&last_taker_pid, 0);
	atomic64_set(&last_taker_ns, 0);
}

unsigned long migrace_window_nmissed(const struct migrace_window *w)
{
	unsigned long n = 0;

	if (!w->registered)
		return 0;
	n = w->on_return ? w->krp.nmissed + w->krp.kp.nmissed : w->kp.nmissed;
	if (w->aux_registered && w->aux_match)
		n += w->aux_krp.nmissed + w->aux_krp.kp.nmissed;
	else if (w->aux_registered)
		n += w->aux_kp.nmissed;
	return n;
}

static void window_unavailable(struct migrace_window *w, enum migrace_site site,
			       int err)
{
	const char *sym = migrace_sites[site].symbols[0];

	if (err == -ENOENT)
		snprintf(w->why_buf, sizeof(w->why_buf), "missing:%s", sym);
	else
		snprintf(w->why_buf, sizeof(w->why_buf), "error%d:%s", err, sym);
	w->why = w->why_buf;
	pr_info("window %s unavailable on this kernel (%s)\n", w->name, w->why);
}

static int window_register_main(struct migrace_window *w)
{
	if (w->on_return) {
		w->krp.entry_handler = window_ret_entry;
		w->krp.handler = window_ret;
		w->krp.maxactive = 4 * num_possible_cpus();
		w->krp.data_size = sizeof(struct window_args);
		w->krp.kp.flags = KPROBE_FLAG_DISABLED;
		return migrace_register_kretprobe(&w->krp, w->site);
	}
	w->kp.pre_handler = window_pre;
	w->kp.flags = KPROBE_FLAG_DISABLED;
	return migrace_register_kprobe(&w->kp, w->site);
}

/* A second widening path is a return probe like the first; a marker is not. */
static int window_register_aux(struct migrace_window *w)
{
	if (w->aux_match) {
		w->aux_krp.entry_handler = window_aux_entry;
		w->aux_krp.handler = window_aux_ret;
		w->aux_krp.maxactive = 4 * num_possible_cpus();
		w->aux_krp.data_size = sizeof(struct window_args);
		w->aux_krp.kp.flags = KPROBE_FLAG_DISABLED;
		return migrace_register_kretprobe(&w->aux_krp, w->aux_site);
	}
	w->aux_kp.pre_handler = w->aux_handler;
	w->aux_kp.flags = KPROBE_FLAG_DISABLED;
	return migrace_register_kprobe(&w->aux_kp, w->aux_site);
}

static const char *window_aux_symbol(const struct migrace_window *w)
{
	return w->aux_match ? w->aux_krp.kp.symbol_name : w->aux_kp.symbol_name;
}

static void window_register(struct migrace_window *w)
{
	int err;

	init_irq_work(&w->disarm_irq_work, window_disarm_irq_work);
	INIT_WORK(&w->disarm_work, window_disarm_work);
	/* Each window its own budget: one's spending never disarms another. */
	w->budget = alloc_percpu(struct migrace_budget);
	if (!w->budget) {
		window_unavailable(w, w->site, -ENOMEM);
		return;
	}
	err = window_register_main(w);
	if (err) {
		window_unavailable(w, w->site, err);
		return;
	}
	w->registered = true;
	if (w->aux_site == MIGRACE_SITE_NONE || w->aux_absent)
		return;
	err = window_register_aux(w);
	if (!err) {
		w->aux_registered = true;
		return;
	}
	w->on_return ? unregister_kretprobe(&w->krp) : unregister_kprobe(&w->kp);
	w->registered = false;
	window_unavailable(w, w->aux_site, err);
}

/* A window the kernel lacks is unavailable, never a load failure. */
int migrace_windows_register(void)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		prandom_seed_state(per_cpu_ptr(&migrace_rnd, cpu), get_random_u64());
	for (i = 0; i < migrace_nr_windows; i++)
		window_register(&migrace_windows[i]);
	return 0;
}

void migrace_windows_unregister(void)
{
	unsigned int i;

	for (i = 0; i < migrace_nr_windows; i++) {
		struct migrace_window *w = &migrace_windows[i];
		bool main = w->registered;

		mutex_lock(&window_lock);
		atomic_set(&w->armed, 0);
		w->registered = false;
		mutex_unlock(&window_lock);
		/* Waits for running handlers: none can queue a disarm after. */
		if (w->aux_registered && w->aux_match)
			unregister_kretprobe(&w->aux_krp);
		else if (w->aux_registered)
			unregister_kprobe(&w->aux_kp);
		if (main && w->on_return)
			unregister_kretprobe(&w->krp);
		else if (main)
			unregister_kprobe(&w->kp);
		w->aux_registered = false;
		irq_work_sync(&w->disarm_irq_work);
		cancel_work_sync(&w->disarm_work);
		kfree(rcu_replace_pointer(w->policy, NULL, true));
		free_percpu(w->budget);
		w->budget = NULL;
	}
}

static void policy_show(struct seq_file *m, struct migrace_window *w)
{
	struct migrace_policy p;

	if (!atomic_read(&w->armed) || !read_policy(w, &p)) {
		seq_puts(m, "none");
		return;
	}
	if (p.kind == MIGRACE_POLICY_COUNT)
		seq_puts(m, "count");
	else if (p.kind == MIGRACE_POLICY_DELAY)
		seq_printf(m, "delay:%u-%uns", p.min_ns, p.max_ns);
	else
		seq_printf(m, "rendezvous:%uns", p.timeout_ns);
	if (p.flush_immediate)
		seq_puts(m, ",flush=immediate");
	if (p.until_unlock)
		seq_puts(m, ",until=unlock");
}

int migrace_windows_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_puts(m, "# name available armed policy hits widened met timeouts widen_ns\n");
	for (i = 0; i < migrace_nr_windows; i++) {
		struct migrace_window *w = &migrace_windows[i];

		seq_printf(m, "%s %s %s ", w->name, w->registered ? "yes" : "no",
			   atomic_read(&w->armed) ? "yes" : "no");
		policy_show(m, w);
		seq_printf(m, " %lld %lld %lld %lld %lld", migrace_wread(w, MW_HITS),
			   migrace_wread(w, MW_WIDENED), migrace_wread(w, MW_MET),
			   migrace_wread(w, MW_TIMEOUTS), migrace_wread(w, MW_WIDEN_NS));
		seq_printf(m, "%s%s\n", w->why ? " " : "", w->why ? w->why : "");
	}
	for (i = 0; i < migrace_nr_windows; i++) {
		struct migrace_window *w = &migrace_windows[i];

		seq_printf(m, "# %s: widens %s; at %s%s%s; from %s; kernels %s\n",
			   w->name, w->widens,
			   w->registered ? (w->on_return ? w->krp.kp.symbol_name :
					    w->kp.symbol_name) : "-",
			   w->aux_registered ? " + " : "",
			   w->aux_registered ? window_aux_symbol(w) : "",
			   w->origin, w->kernels);
	}
	return 0;
}
