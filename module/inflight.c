// SPDX-License-Identifier: GPL-2.0
/*
 * migrace: the folios targeted tasks are migrating right now, in a fixed,
 * lock-free set that probe handlers on any CPU may read and change.
 *
 * A slot's life: free (folio NULL) -> claimed (folio == MIGRACE_CLAIMED,
 * owned by the adder, invisible to lookups) -> published (folio set with a
 * release store once owner, times and takers are written) -> free again
 * (a compare-and-swap from that folio back to NULL, so that of two racing
 * removers exactly one wins and @nr is decremented once).
 *
 * @nr counts slots from claim to removal: it is incremented before a folio
 * is published and decremented after it is removed, so when nothing is in
 * flight migrace_inflight_find() costs a single atomic_read(). A lookup
 * racing with an add may miss the new folio, as if it had come a moment
 * later.
 *
 * One folio is added by one task at a time (try_to_migrate() runs with the
 * folio locked), so the check for an existing slot in
 * migrace_inflight_add() is not made atomic with the claim. A re-add
 * replaces the entry: a new owner, times and takers count.
 */
#include <linux/atomic.h>
#include <linux/string.h>
#include "migrace.h"

/* A claimed slot still being filled in; never a folio's address. */
#define MIGRACE_CLAIMED	((struct folio *)1UL)

/**
 * migrace_inflight_init() - empty @s
 * @s: the set; not in use by anyone yet
 */
void migrace_inflight_init(struct migrace_inflight_set *s)
{
	memset(s, 0, sizeof(*s));
	atomic_set(&s->nr, 0);
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_init);

/* The published folio of @slot, or NULL (free or being claimed). */
static struct folio *slot_folio(struct migrace_inflight *slot)
{
	struct folio *folio;

	/*
	 * Pairs with smp_store_release() in migrace_inflight_add(): once a
	 * reader sees the folio, it sees the owner, time and takers written
	 * before it.
	 */
	folio = smp_load_acquire(&slot->folio);
	return folio == MIGRACE_CLAIMED ? NULL : folio;
}

/*
 * Free @slot if it still holds @folio; true if this caller freed it. Were
 * the slot freed and reused for the same folio since the caller looked at
 * it, the new entry goes on stale grounds: a lost count, never a fault.
 */
static bool slot_release(struct migrace_inflight_set *s,
			 struct migrace_inflight *slot, struct folio *folio)
{
	/* Fully ordered: our reads of the slot happen before it is reused. */
	if (cmpxchg(&slot->folio, folio, NULL) != folio)
		return false;
	atomic_dec(&s->nr);
	return true;
}

static struct migrace_inflight *slot_claim(struct migrace_inflight_set *s)
{
	unsigned int i;

	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++) {
		struct migrace_inflight *slot = &s->slot[i];

		if (READ_ONCE(slot->folio))
			continue;
		/* Fully ordered on success: the slot is ours from here on. */
		if (!cmpxchg(&slot->folio, NULL, MIGRACE_CLAIMED))
			return slot;
	}
	return NULL;
}

struct migrace_inflight *migrace_inflight_add(struct migrace_inflight_set *s,
					      struct folio *folio,
					      struct task_struct *owner,
					      u64 now_ns)
{
	struct migrace_inflight *slot;

	if (!folio || folio == MIGRACE_CLAIMED)
		return NULL;
	/*
	 * Tracked already (a new pass, or a stale entry): the old entry goes
	 * and a new one is claimed, never rewritten in place, since another
	 * remover may free it and a third task reuse it meanwhile.
	 */
	slot = migrace_inflight_find(s, folio);
	if (slot)
		slot_release(s, slot, folio);
	slot = slot_claim(s);
	if (!slot)
		return NULL;
	WRITE_ONCE(slot->owner, owner);
	WRITE_ONCE(slot->added_ns, now_ns);
	WRITE_ONCE(slot->seen_ns, now_ns);
	atomic_set(&slot->takers, 0);
	atomic_inc(&s->nr);
	/* Publish: pairs with smp_load_acquire() in slot_folio(). */
	smp_store_release(&slot->folio, folio);
	return slot;
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_add);

struct migrace_inflight *migrace_inflight_find(struct migrace_inflight_set *s,
					       const struct folio *folio)
{
	unsigned int i;

	if (!atomic_read(&s->nr) || !folio)
		return NULL;
	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++)
		if (slot_folio(&s->slot[i]) == folio)
			return &s->slot[i];
	return NULL;
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_find);

unsigned int migrace_inflight_del_owner(struct migrace_inflight_set *s,
					struct task_struct *owner)
{
	unsigned int i, n = 0;

	if (!atomic_read(&s->nr))
		return 0;
	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++) {
		struct migrace_inflight *slot = &s->slot[i];
		struct folio *folio = slot_folio(slot);

		if (folio && READ_ONCE(slot->owner) == owner &&
		    slot_release(s, slot, folio))
			n++;
	}
	return n;
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_del_owner);

/*
 * Stamp @owner's entries @now_ns. Were a slot freed and claimed again since
 * it was read, the new entry's stamp moves by as long: accuracy, not safety.
 */
void migrace_inflight_seen(struct migrace_inflight_set *s,
			   const struct task_struct *owner, u64 now_ns)
{
	unsigned int i;

	if (!atomic_read(&s->nr))
		return;
	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++) {
		struct migrace_inflight *slot = &s->slot[i];

		if (slot_folio(slot) && READ_ONCE(slot->owner) == owner)
			WRITE_ONCE(slot->seen_ns, now_ns);
	}
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_seen);

/* More than @age_ns before @now_ns; a time after it (clock skew) is not. */
static bool older(u64 t_ns, u64 now_ns, u64 age_ns)
{
	return now_ns > t_ns && now_ns - t_ns > age_ns;
}

unsigned int migrace_inflight_expire(struct migrace_inflight_set *s,
				     u64 now_ns, u64 idle_ns, u64 life_ns)
{
	unsigned int i, n = 0;

	if (!atomic_read(&s->nr))
		return 0;
	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++) {
		struct migrace_inflight *slot = &s->slot[i];
		struct folio *folio = slot_folio(slot);

		if (!folio)
			continue;
		if ((older(READ_ONCE(slot->seen_ns), now_ns, idle_ns) ||
		     older(READ_ONCE(slot->added_ns), now_ns, life_ns)) &&
		    slot_release(s, slot, folio))
			n++;
	}
	return n;
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_expire);

unsigned int migrace_inflight_clear(struct migrace_inflight_set *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < MIGRACE_INFLIGHT_SLOTS; i++) {
		struct migrace_inflight *slot = &s->slot[i];
		struct folio *folio = slot_folio(slot);

		if (folio && slot_release(s, slot, folio))
			n++;
	}
	return n;
}

MIGRACE_EXPORT_FOR_TEST(migrace_inflight_clear);
