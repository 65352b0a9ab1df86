// SPDX-License-Identifier: GPL-2.0
/*
 * migrator.c - move_pages() loop and its page-by-page bookkeeping.
 *
 * The target of each page is the node it is not on now, read just before
 * the call: alternating targets blindly would count a call that finds a page
 * already in place (after an earlier failure) as a success.
 */
#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "migrator.h"

void migr_stats_init(struct migr_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->first_failure_s = -1;
}

int migr_other_node(int where, int a, int b)
{
	return where == a ? b : a;
}

static void count_errno(struct migr_stats *s, int err)
{
	if (err <= 0 || err >= MIGR_MAX_ERRNO)
		err = 0;	/* bucket 0: out of range */
	s->by_errno[err]++;
}

void migr_account(struct migr_stats *s, const struct migr_call *c)
{
	uint64_t failed = 0;

	s->calls++;
	if (c->ret < 0) {
		s->call_errors++;
		s->call_by_errno[c->err > 0 && c->err < MIGR_MAX_ERRNO ? c->err : 0]++;
	} else {
		s->returned_not_migrated += c->ret;
	}
	for (unsigned long i = 0; i < c->n; i++) {
		int st = c->status[i];
		bool st_errno = st < 0 && st != MIGR_STATUS_UNSET;

		if (c->before[i] < 0)
			s->query_errors++;
		if (c->before[i] >= 0 && c->before[i] != c->target[i] &&
		    c->after[i] == c->target[i]) {
			s->attempts++;
			s->migrated++;
			continue;
		}
		if (c->ret < 0 && !st_errno) {	/* the call gave up before this page */
			s->not_tried++;
			continue;
		}
		s->attempts++;
		failed++;
		if (st_errno)
			count_errno(s, -st);
		else
			s->unreported++;
	}
	s->not_migrated += failed;
	if (failed && s->first_failure_s < 0)
		s->first_failure_s = c->t;
}

double migr_failure_rate(const struct migr_stats *s)
{
	return s->attempts ? (double)s->not_migrated / s->attempts : 0;
}

int migrator_init(struct migrator *m, void **pages, unsigned long n, int a, int b)
{
	memset(m, 0, sizeof(*m));
	m->pages = pages;
	m->n = n;
	m->node_a = a;
	m->node_b = b;
	m->flags = MPOL_MF_MOVE_ALL;
	m->where = calloc(n, sizeof(int));
	m->target = calloc(n, sizeof(int));
	m->status = calloc(n, sizeof(int));
	m->after = calloc(n, sizeof(int));
	migr_stats_init(&m->st);
	m->t0 = now_s();
	if (!m->where || !m->target || !m->status || !m->after)
		return -ENOMEM;
	return page_nodes(pages, n, m->where);
}

/* move_pages() with MOVE_ALL, falling back to MOVE once without privilege. */
static long move(struct migrator *m, int *err)
{
	long ret;

	for (unsigned long i = 0; i < m->n; i++)
		m->status[i] = MIGR_STATUS_UNSET;
	ret = move_pages(0, m->n, m->pages, m->target, m->status, m->flags);
	if (ret < 0 && errno == EPERM && m->flags == MPOL_MF_MOVE_ALL) {
		m->flags = MPOL_MF_MOVE;
		return move(m, err);
	}
	*err = ret < 0 ? errno : 0;
	return ret;
}

int migrator_step(struct migrator *m)
{
	struct migr_call c = {
		.n = m->n, .before = m->where, .target = m->target,
		.status = m->status, .after = m->after,
	};
	int *swap, r;

	for (unsigned long i = 0; i < m->n; i++)
		m->target[i] = migr_other_node(m->where[i], m->node_a, m->node_b);
	c.ret = move(m, &c.err);
	c.t = now_s() - m->t0;
	r = page_nodes(m->pages, m->n, m->after);
	if (r)
		return r;
	migr_account(&m->st, &c);
	swap = m->where;	/* the pages' nodes now are the next call's "before" */
	m->where = m->after;
	m->after = swap;
	if (c.ret < 0 && (c.err == ENOSYS || c.err == EPERM || c.err == EFAULT))
		return -c.err;
	return 0;
}

long migrator_place(struct migrator *m, int node)
{
	long left = 0;

	for (unsigned long i = 0; i < m->n; i++)
		m->target[i] = node;
	move(m, &(int){ 0 });
	if (page_nodes(m->pages, m->n, m->where))
		return (long)m->n;
	for (unsigned long i = 0; i < m->n; i++)
		left += m->where[i] != node;
	return left;
}

void migrator_free(struct migrator *m)
{
	free(m->where);
	free(m->target);
	free(m->status);
	free(m->after);
	m->where = m->target = m->status = m->after = NULL;
}
