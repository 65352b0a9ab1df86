/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrator.h - the migrating side of a run: each call asks where every page
 * is, asks move_pages() to move each one to the other node of the pair, then
 * asks again and accounts page by page.
 */
#ifndef MIGRACE_MIGRATOR_H
#define MIGRACE_MIGRATOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define MIGR_MAX_ERRNO		256
#define MIGR_STATUS_UNSET	INT_MIN	/* never written by the kernel */

/** struct migr_stats - what user space can see of the migrations asked for */
struct migr_stats {
	uint64_t calls;			/* move_pages() calls asking pages to move */
	uint64_t attempts;		/* pages asked to move */
	uint64_t migrated;		/* pages found on their target afterwards */
	uint64_t not_migrated;		/* attempts - migrated: the failures */
	uint64_t returned_not_migrated;	/* sum of positive move_pages() returns */
	uint64_t unreported;		/* not migrated, status[] held no errno */
	uint64_t call_errors;		/* move_pages() returned -1: no race, the run fails */
	uint64_t call_by_errno[MIGR_MAX_ERRNO];	/* those calls, by errno; [0]: out of range */
	uint64_t not_tried;		/* pages of such calls with no verdict: not attempts */
	uint64_t query_errors;		/* pages whose node could not be read */
	uint64_t by_errno[MIGR_MAX_ERRNO];	/* not migrated, by errno; [0]: out of range */
	double first_failure_s;		/* since the start; < 0: none yet */
};

/**
 * struct migr_call - one call's inputs and outputs, page by page
 * @before: node of each page before the call (or -errno)
 * @target: node asked for
 * @status: move_pages() status[], MIGR_STATUS_UNSET where not written
 * @ret: move_pages() return value
 * @err: errno when @ret < 0
 * @after: node of each page after the call (or -errno)
 * @t: seconds since the start of the run
 */
struct migr_call {
	unsigned long n;
	const int *before, *target, *status, *after;
	long ret;
	int err;
	double t;
};

void migr_stats_init(struct migr_stats *s);

/** migr_other_node() - the node of the pair a page is not on (@a if unknown) */
int migr_other_node(int where, int a, int b);

/**
 * migr_account() - add one call to @s
 * A page counts as migrated only when it was seen on another node before
 * and is found on its target afterwards; every other page asked to move is a failure,
 * counted by the errno in its status[] when there is one, else as
 * unreported: the by_errno[] buckets and @unreported always add up to
 * @not_migrated. A call that failed (-1: EACCES for a node outside the
 * cpuset, ENOMEM, ...) is no race: counted in @call_errors by errno, and
 * its pages without a status[] errno and not moved are @not_tried, not
 * attempts.
 */
void migr_account(struct migr_stats *s, const struct migr_call *c);

/** migr_failure_rate() - not_migrated / attempts (0 without attempts) */
double migr_failure_rate(const struct migr_stats *s);

/** struct migrator - state of the migrating loop over one set of pages */
struct migrator {
	void **pages;
	unsigned long n;
	int node_a, node_b;
	int flags;			/* MPOL_MF_MOVE_ALL, or MPOL_MF_MOVE without privilege */
	int *where, *target, *status, *after;
	double t0;
	struct migr_stats st;
};

/** migrator_init() - Return: 0 or -errno (the first page-node query failed) */
int migrator_init(struct migrator *m, void **pages, unsigned long n, int a, int b);
/** migrator_step() - one accounted call; Return: 0 or -errno when it cannot go on */
int migrator_step(struct migrator *m);
/** migrator_place() - move every page to @node, unaccounted; Return: pages not there */
long migrator_place(struct migrator *m, int node);
void migrator_free(struct migrator *m);

#endif /* MIGRACE_MIGRATOR_H */
