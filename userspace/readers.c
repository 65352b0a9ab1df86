// SPDX-License-Identifier: GPL-2.0
/*
 * readers.c - reader tasks (forked processes for shared mappings, threads for
 * private ones) and the data pattern they check; see readers.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"
#include "readers.h"

#define READER_MAX_ITERS	(1ull << 40)	/* the deadline comes first */
#define STOP_GRACE_S		1.0		/* to leave the loop when asked */
#define KILL_GRACE_S		5.0		/* to die after SIGKILL */
#define EXIT_NOMAP		3		/* child: could not map the memfd */
#define GATE_YIELDS		64		/* the parent's wait for readers to leave: */
#define GATE_POLL_S		0.0002		/* yield first, then sleep */

/* --- pattern ----------------------------------------------------------------- */

static uint32_t pattern_hash(size_t p, size_t k)
{
	uint32_t h = (uint32_t)p * 2654435761u ^ (uint32_t)k * 0x85ebca77u ^ 0x6d6967u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return (h & PAT_MASK) | 1;
}

uint64_t pattern_word(size_t p, size_t k, uint64_t gen)
{
	return gen << PAT_BITS | pattern_hash(p, k);
}

bool pattern_ok(size_t p, size_t k, uint64_t v)
{
	return (v & PAT_MASK) == pattern_hash(p, k);
}

void pattern_fill(char *base, size_t unit, size_t npages)
{
	size_t words = unit / sizeof(uint64_t);

	for (size_t p = 0; p < npages; p++) {
		uint64_t *w = (uint64_t *)(base + p * unit);

		for (size_t k = 0; k < words; k++)
			w[k] = pattern_word(p, k, 0);
	}
}

void pattern_fill_unit(char *u, size_t p, size_t unit, size_t live, uint64_t gen)
{
	uint64_t *w = (uint64_t *)u;
	size_t words = unit / sizeof(uint64_t), last = live / sizeof(uint64_t) - 1;

	for (size_t k = 0; k < words; k++)
		w[k] = pattern_word(p, k, k == 0 || k == last ? gen : 0);
}

/* --- one reader ---------------------------------------------------------------- */

struct reader_state {
	const struct readers *r;
	struct reader_slot *slot;
	char *base;
	size_t words;
	bool writer;
	uint64_t rng, iter;
	uint64_t *last_gen;		/* highest generation of word 0 seen, per unit */
};

static void record_bad(struct reader_slot *s, enum bad_kind kind, size_t p, size_t k,
		       uint64_t got, uint64_t want)
{
	if (!s->mismatches++) {
		s->bad_kind = kind;
		s->bad_page = p;
		s->bad_word = k;
		s->bad_got = got;
		s->bad_want = want;
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick_page(struct reader_state *st)
{
	size_t n = st->r->npages;

	switch (st->r->access) {
	case ACCESS_RANDOM:
		return xorshift(&st->rng) % n;
	case ACCESS_SAME:
		return 0;
	default:
		return st->iter % n;
	}
}

static void write_page(struct reader_state *st, volatile uint64_t *w, size_t p)
{
	__atomic_fetch_add(&w[0], PAT_GEN_ONE, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&w[st->words - 1], PAT_GEN_ONE, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&st->r->ctl->page_writes[p], 1, __ATOMIC_SEQ_CST);
	st->slot->writes++;
}

/* Read the last word, word 0 and a middle word of unit @p and check them. */
static void check_page(struct reader_state *st, volatile uint64_t *w, size_t p)
{
	size_t last = st->words - 1, k = 1 + (st->iter * 7919) % (st->words - 2);
	uint64_t vl = __atomic_load_n(&w[last], __ATOMIC_SEQ_CST);
	uint64_t v0 = __atomic_load_n(&w[0], __ATOMIC_SEQ_CST);
	uint64_t vk = __atomic_load_n(&w[k], __ATOMIC_SEQ_CST);

	st->slot->reads++;
	if (!pattern_ok(p, last, vl))
		record_bad(st->slot, BAD_PATTERN, p, last, vl, pattern_word(p, last, 0));
	else if (!pattern_ok(p, 0, v0))
		record_bad(st->slot, BAD_PATTERN, p, 0, v0, pattern_word(p, 0, 0));
	else if (pattern_gen(vl) > pattern_gen(v0))
		record_bad(st->slot, BAD_ORDER, p, last, vl,
			   pattern_word(p, last, pattern_gen(v0)));
	else if (pattern_gen(v0) < st->last_gen[p])
		record_bad(st->slot, BAD_BACKWARDS, p, 0, v0, pattern_word(p, 0, st->last_gen[p]));
	else
		st->last_gen[p] = pattern_gen(v0);
	if (vk != pattern_word(p, k, 0))
		record_bad(st->slot, BAD_PATTERN, p, k, vk, pattern_word(p, k, 0));
}

/* Enter unit @p unless its gate is closed (Dekker: users, then closed; seq_cst). */
static bool gate_enter(struct unit_gate *g)
{
	__atomic_fetch_add(&g->users, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&g->closed, __ATOMIC_SEQ_CST))
		return true;
	__atomic_fetch_sub(&g->users, 1, __ATOMIC_SEQ_CST);
	return false;
}

static void gate_leave(struct unit_gate *g)
{
	__atomic_fetch_sub(&g->users, 1, __ATOMIC_SEQ_CST);
}

static bool reader_should_stop(const struct readers *r)
{
	if (__atomic_load_n(&r->ctl->stop, __ATOMIC_RELAXED) || now_s() > r->deadline)
		return true;
	return r->fork && getppid() != r->parent;
}

static void reader_run(const struct readers *r, int idx, char *base)
{
	struct reader_state st = {
		.r = r, .slot = &r->ctl->slots[idx], .base = base,
		.words = readers_live(r) / sizeof(uint64_t), .writer = idx < r->nwriters,
		.rng = (r->seed + 1) * 0x9e3779b97f4a7c15ull + idx,
	};

	st.rng |= 1;
	st.last_gen = calloc(r->npages, sizeof(uint64_t));
	if (!st.last_gen)
		return;
	for (st.iter = 0; st.iter < READER_MAX_ITERS; st.iter++) {
		size_t p;
		volatile uint64_t *w;

		if (!(st.iter & 255) && reader_should_stop(r))
			break;
		p = pick_page(&st);
		if (r->gates && !gate_enter(&r->gates[p]))
			continue;	/* being replaced: another unit, or later */
		w = (volatile uint64_t *)(base + p * r->unit);
		if (st.writer)
			write_page(&st, w, p);
		check_page(&st, w, p);
		if (r->gates)
			gate_leave(&r->gates[p]);
	}
	free(st.last_gen);
	__atomic_store_n(&st.slot->done, 1, __ATOMIC_SEQ_CST);
}

static void pin_self(const struct readers *r, int idx)
{
	cpu_set_t set;

	if (!r->cpus || r->ncpus <= 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(r->cpus[idx % r->ncpus], &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

/* --- processes ------------------------------------------------------------------ */

static void __attribute__((noreturn)) child_main(struct readers *r, int idx)
{
	char *base = r->base;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != r->parent)
		_exit(0);
	signal(SIGINT, SIG_IGN);	/* the parent stops us and reports */
	signal(SIGTERM, SIG_DFL);
	if (r->memfd >= 0) {
		base = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
		if (base == MAP_FAILED)
			_exit(EXIT_NOMAP);
		munmap(r->base, r->map_len);	/* use only our own mapping */
		close(r->memfd);
	}
	pin_self(r, idx);
	reader_run(r, idx, base);
	_exit(0);
}

static void child_exited(struct readers *r, int idx, int status, bool killed)
{
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status))
			r->data.errors++;
		else if (!r->ctl->slots[idx].done)
			r->data.errors++;
		return;
	}
	if (killed)
		r->data.stuck++;
	else {
		r->data.deaths++;
		r->data.last_death_sig = WTERMSIG(status);
	}
}

static int reap_round(struct readers *r, bool killed)
{
	int left = 0, status;

	for (int i = 0; i < r->started; i++) {
		if (r->pids[i] <= 0)
			continue;
		if (waitpid(r->pids[i], &status, WNOHANG) == r->pids[i]) {
			child_exited(r, i, status, killed);
			r->pids[i] = 0;
		} else {
			left++;
		}
	}
	return left;
}

static void reap_children(struct readers *r)
{
	double end = now_s() + STOP_GRACE_S;
	bool killed = false;
	int left = r->started;

	for (int round = 0; round < 100000 && left; round++) {
		left = reap_round(r, killed);
		if (!left)
			break;
		if (now_s() > end && killed)
			break;
		if (now_s() > end) {
			for (int i = 0; i < r->started; i++)
				if (r->pids[i] > 0)
					kill(r->pids[i], SIGKILL);
			killed = true;
			end = now_s() + KILL_GRACE_S;
		}
		sleep_s(0.002);
	}
	if (left)
		fprintf(stderr, "migrace: %d reader(s) not reaped after SIGKILL\n", left);
}

/* --- threads ----------------------------------------------------------------------- */

struct thread_arg {
	struct readers *r;
	int idx;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	pin_self(a->r, a->idx);
	reader_run(a->r, a->idx, a->r->base);
	free(a);
	return NULL;
}

static void join_threads(struct readers *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(STOP_GRACE_S + KILL_GRACE_S);
	for (int i = 0; i < r->started; i++) {
		if (pthread_timedjoin_np(r->threads[i], NULL, &ts)) {
			r->data.stuck++;
			continue;
		}
		r->joined[i] = true;
		if (!r->ctl->slots[i].done)
			r->data.errors++;
	}
}

/* --- the set ----------------------------------------------------------------------- */

int readers_writers(int n, int pct)
{
	int w = (n * pct + 50) / 100;

	if (pct > 0 && w < 1)
		w = 1;
	return w > n ? n : w;
}

static int start_one(struct readers *r, int idx)
{
	struct thread_arg *a;
	pid_t pid;
	int e;

	if (r->fork) {
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid)
			child_main(r, idx);
		r->pids[idx] = pid;
		return 0;
	}
	a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->r = r;
	a->idx = idx;
	e = pthread_create(&r->threads[idx], NULL, thread_main, a);
	if (e)
		free(a);
	return -e;
}

int readers_start(struct readers *r)
{
	int e;

	r->ctl_len = sizeof(*r->ctl) + r->npages * sizeof(uint64_t);
	if (r->gated)
		r->ctl_len += r->npages * sizeof(struct unit_gate);
	r->ctl = mmap(NULL, r->ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->ctl == MAP_FAILED) {
		r->ctl = NULL;
		return -errno;
	}
	if (r->gated)
		r->gates = (struct unit_gate *)(r->ctl->page_writes + r->npages);
	r->pids = calloc(r->n, sizeof(*r->pids));
	r->threads = calloc(r->n, sizeof(*r->threads));
	r->joined = calloc(r->n, sizeof(*r->joined));
	if (!r->pids || !r->threads || !r->joined)
		return -ENOMEM;
	r->parent = getpid();
	fflush(NULL);		/* children must not flush our buffers again */
	for (r->started = 0; r->started < r->n; r->started++) {
		e = start_one(r, r->started);
		if (e)
			return e;
	}
	return 0;
}

static void collect(struct readers *r)
{
	for (int i = 0; i < r->started; i++) {
		const struct reader_slot *s = &r->ctl->slots[i];

		r->data.reads += s->reads;
		r->data.writes += s->writes;
		r->data.mismatches += s->mismatches;
		if (s->mismatches && !r->data.first[0])
			snprintf(r->data.first, sizeof(r->data.first),
				 "reader %d: unit %" PRIu64 " word %" PRIu64 ": read 0x%016" PRIx64
				 ", expected %s0x%016" PRIx64, i, s->bad_page, s->bad_word,
				 s->bad_got, s->bad_kind == BAD_ORDER ? "at most " :
				 s->bad_kind == BAD_BACKWARDS ? "at least " : "", s->bad_want);
	}
}

void readers_stop(struct readers *r)
{
	if (!r->ctl || r->stopped)
		return;
	r->stopped = true;
	__atomic_store_n(&r->ctl->stop, 1, __ATOMIC_SEQ_CST);
	if (r->fork)
		reap_children(r);
	else
		join_threads(r);
	collect(r);
}

static bool writers_finished(const struct readers *r)
{
	for (int i = 0; i < r->nwriters && i < r->started; i++)
		if (!r->ctl->slots[i].done)
			return false;
	return r->started == r->n;
}

static void final_bad(struct readers *r, size_t p, size_t k, uint64_t got, uint64_t want)
{
	if (!r->data.final_bad++ && !r->data.first[0])
		snprintf(r->data.first, sizeof(r->data.first),
			 "final check: unit %zu word %zu: read 0x%016" PRIx64
			 ", expected 0x%016" PRIx64, p, k, got, want);
}

void readers_verify(struct readers *r)
{
	size_t words = readers_live(r) / sizeof(uint64_t);

	r->data.final_gens_checked = r->ctl && writers_finished(r);
	for (size_t p = 0; p < r->npages; p++) {
		const volatile uint64_t *w = (const uint64_t *)(r->base + p * r->unit);
		uint64_t gen = r->ctl ? r->ctl->page_writes[p] : 0;

		if (r->gates && __atomic_load_n(&r->gates[p].closed, __ATOMIC_SEQ_CST))
			continue;	/* lost while being replaced: the run fails for that */

		for (size_t k = 0; k < words; k++) {
			bool moving = k == 0 || k == words - 1;
			uint64_t want = pattern_word(p, k, moving ? gen : 0);

			bool bad;

			if (moving && !r->data.final_gens_checked)
				bad = !pattern_ok(p, k, w[k]);	/* generation unknown */
			else
				bad = w[k] != want;
			if (bad)
				final_bad(r, p, k, w[k], want);
		}
	}
}

int readers_gate_close(struct readers *r, size_t p, double timeout_s)
{
	struct unit_gate *g;
	double end = now_s() + timeout_s;

	if (!r->gates || p >= r->npages)
		return -EINVAL;
	g = &r->gates[p];
	__atomic_store_n(&g->closed, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 10000000; i++) {
		if (!__atomic_load_n(&g->users, __ATOMIC_SEQ_CST))
			return 0;
		if (now_s() > end)
			break;
		if (i < GATE_YIELDS)
			sched_yield();	/* a reader leaves within one check, if it runs */
		else
			sleep_s(GATE_POLL_S);
	}
	__atomic_store_n(&g->closed, 0, __ATOMIC_SEQ_CST);
	return -ETIMEDOUT;
}

void readers_gate_open(struct readers *r, size_t p)
{
	if (r->gates && p < r->npages)
		__atomic_store_n(&r->gates[p].closed, 0, __ATOMIC_SEQ_CST);
}

uint64_t readers_unit_writes(const struct readers *r, size_t p)
{
	return r->ctl && p < r->npages ?
		__atomic_load_n(&r->ctl->page_writes[p], __ATOMIC_SEQ_CST) : 0;
}

void readers_free(struct readers *r)
{
	if (r->ctl && (r->fork || !r->data.stuck))	/* stuck threads still use it */
		munmap(r->ctl, r->ctl_len);
	free(r->pids);
	free(r->threads);
	free(r->joined);
	r->ctl = NULL;
	r->gates = NULL;
	r->pids = NULL;
	r->threads = NULL;
	r->joined = NULL;
}
