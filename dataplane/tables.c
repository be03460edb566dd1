// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-worker state tables: inserts with eviction, and the slices of a telemetry dump.
 * Only the owning worker calls anything here (pg_dpdk.h, "Threading"): no locks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "pawsguard/translate.h"
#include "tables.h"

static bool pg_src_expired(const void *slot, uint64_t now)
{
	const struct pg_src_slot *s = slot;

	return !pg_source_fresh(&s->s, now, &pg_app.cfg);
}

/* A flow entry that translates nothing any more: idle past its timeout, or retired. */
static bool pg_flow_expired_slot(const void *slot, uint64_t now)
{
	const struct pg_flow_slot *f = slot;

	return !pg_flow_live(&f->f, now, &pg_app.cfg);
}

static uint32_t pg_hash_addr_v(const void *key)
{
	return pg_hash_addr(key);
}

static uint32_t pg_hash_flow_v(const void *key)
{
	return pg_hash_flow(key);
}

/* Both values start with last_ns. */
_Static_assert(offsetof(struct pg_source, last_ns) == 0, "pg_source.last_ns");
_Static_assert(offsetof(struct pg_flow, last_ns) == 0, "pg_flow.last_ns");

static inline uint64_t pg_slot_last_ns(const void *slot)
{
	return *(const uint64_t *)slot;
}

static inline uint8_t *pg_slot_used(const struct pg_table *t, void *slot)
{
	return (uint8_t *)slot + t->used_off;
}

/* The unconfirmed FIFO of the flow table (pg_dpdk.h): append, unlink, both O(1). */
static void pg_fifo_append(struct pg_table *t, uint32_t pos)
{
	t->ulink[pos].prev = t->utail;
	t->ulink[pos].next = PG_NIL;
	if (t->utail == PG_NIL)
		t->uhead = pos;
	else
		t->ulink[t->utail].next = pos;
	t->utail = pos;
	t->nunconf++;
}

static void pg_fifo_unlink(struct pg_table *t, uint32_t pos)
{
	struct pg_ulink *l = &t->ulink[pos];

	if (l->prev == PG_NIL)
		t->uhead = l->next;
	else
		t->ulink[l->prev].next = l->next;
	if (l->next == PG_NIL)
		t->utail = l->prev;
	else
		t->ulink[l->next].prev = l->prev;
	l->prev = l->next = PG_NIL;
	t->nunconf--;
}

/* Take position pos out of the table: its index entry, its class, then its slot. */
static void pg_tab_remove(struct pg_table *t, uint32_t pos)
{
	void *slot = pg_tab_slot(t, pos);
	uint32_t i = t->hash((uint8_t *)slot + t->key_off) & t->mask, j, home;

	while (t->idx[i] && pg_ent_pos(t->idx[i]) != pos)
		i = (i + 1) & t->mask;
	if (!t->idx[i])
		return; /* not indexed: cannot happen */
	/*
	 * Linear probing deletion without tombstones (Knuth 6.4, algorithm R): move back each
	 * later entry of the run whose home slot does not lie cyclically in (i, j].
	 */
	t->idx[i] = 0;
	for (j = (i + 1) & t->mask; t->idx[j]; j = (j + 1) & t->mask) {
		home = (uint32_t)(t->idx[j] >> 32) & t->mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->idx[i] = t->idx[j];
		t->idx[j] = 0;
		i = j;
	}
	if (t->ulink && ((struct pg_flow_slot *)slot)->unconf) {
		pg_fifo_unlink(t, pos);
		((struct pg_flow_slot *)slot)->unconf = 0;
	}
	*pg_slot_used(t, slot) = 0;
	t->free[t->nfree++] = pos;
	t->used--;
}

/*
 * From the clock hand on, look at up to PG_EVICT_WINDOW used slots: returns the first
 * expired one (*expired_found set), else the least recently used of them, else PG_NIL.
 * Bounded work per insert, close to LRU, and expired state always goes first when near.
 */
static uint32_t pg_evict_window(struct pg_table *t, uint64_t now,
				bool (*expired)(const void *slot, uint64_t now),
				bool *expired_found)
{
	uint32_t i, seen = 0, pos, best = PG_NIL;
	uint64_t best_ns = 0;
	void *slot;

	*expired_found = false;
	for (i = 0; i < t->size && seen < PG_EVICT_WINDOW; i++) {
		pos = t->hand;
		t->hand = t->hand + 1 == t->size ? 0 : t->hand + 1;
		slot = pg_tab_slot(t, pos);
		if (!*pg_slot_used(t, slot))
			continue;
		seen++;
		if (expired(slot, now)) {
			*expired_found = true;
			return pos;
		}
		if (best == PG_NIL || (int64_t)(pg_slot_last_ns(slot) - best_ns) < 0) {
			best = pos;
			best_ns = pg_slot_last_ns(slot);
		}
	}
	return best;
}

/* Make room in a full source table: expired, else sampled LRU. */
static int pg_evict_source(struct pg_worker *w, struct pg_table *t, uint64_t now)
{
	bool exp;
	uint32_t pos = pg_evict_window(t, now, pg_src_expired, &exp);

	if (pos == PG_NIL)
		return -ENOENT;
	pg_tab_remove(t, pos);
	w->x.evictions++;
	return 0;
}

/*
 * Make room in a full flow table by class (docs/DESIGN.md, "Eviction classes"): an entry
 * that translates nothing any more if the window finds one, else the oldest unconfirmed
 * entry (a handshake or an orphan: a SYN flood only ever displaces its own kind), and an
 * established flow only when no unconfirmed entry is left. The class counters count live
 * entries only: they say what was lost, the total says how often room was made.
 */
static int pg_evict_flow(struct pg_worker *w, struct pg_table *t, uint64_t now)
{
	bool exp;
	uint32_t pos = pg_evict_window(t, now, pg_flow_expired_slot, &exp);

	if (!exp && t->nunconf) {
		pos = t->uhead;
		w->st.c[PG_STAT_EVICT_UNCONF]++;
	} else if (!exp && pos != PG_NIL) {
		w->st.c[PG_STAT_EVICT_EST]++;
	}
	if (pos == PG_NIL)
		return -ENOENT;
	pg_tab_remove(t, pos);
	w->x.evictions++;
	return 0;
}

/* A new key (hash h, known absent) at a free position; -ENOSPC when the table is full. */
static int32_t pg_place(struct pg_table *t, const void *key, uint32_t h)
{
	uint32_t pos, i;
	void *slot;

	if (!t->nfree)
		return -ENOSPC;
	pos = t->free[--t->nfree];
	slot = pg_tab_slot(t, pos);
	memcpy((uint8_t *)slot + t->key_off, key, t->key_len);
	*pg_slot_used(t, slot) = 1;
	t->used++;
	for (i = h & t->mask; t->idx[i]; i = (i + 1) & t->mask)
		;
	t->idx[i] = (uint64_t)h << 32 | (pos + 1);
	return (int32_t)pos;
}

struct pg_source *pg_tab_source_add(struct pg_worker *w, const struct pg_addr *a, uint32_t h,
				    uint64_t now)
{
	struct pg_src_slot *s;
	int32_t pos;

	if (!w->src.nfree)
		pg_evict_source(w, &w->src, now);
	pos = pg_place(&w->src, a, h);
	if (pos < 0) {
		w->st.c[PG_STAT_TABLE_FULL]++;
		return NULL;
	}
	s = pg_src_slot_at(w, pos);
	memset(&s->s, 0, sizeof(s->s));
	w->st.c[PG_STAT_SOURCE_NEW]++;
	return &s->s;
}

struct pg_flow *pg_tab_flow_add(struct pg_worker *w, const struct pg_flow_key *k,
				const struct pg_flow *init, uint64_t now)
{
	struct pg_flow_slot *f;
	int32_t pos;

	if (!w->flow.nfree)
		pg_evict_flow(w, &w->flow, now);
	pos = pg_place(&w->flow, k, pg_hash_flow(k));
	if (pos < 0) {
		w->st.c[PG_STAT_TABLE_FULL]++;
		return NULL;
	}
	f = pg_flow_slot_at(w, pos);
	f->f = *init;
	/* Every entry starts unconfirmed (pipeline.h): a SYN or an orphan. */
	f->unconf = 1;
	pg_fifo_append(&w->flow, (uint32_t)pos);
	return &f->f;
}

struct pg_flow *pg_tab_flow_confirm(struct pg_worker *w, const struct pg_flow_key *k,
				    struct pg_flow *f)
{
	struct pg_flow_slot *s = container_of(f, struct pg_flow_slot, f);

	(void)k;
	/*
	 * Established until removed: an entry reused in place keeps its class, and only a move
	 * counts (pipeline.h).
	 */
	if (s->unconf) {
		pg_fifo_unlink(&w->flow, (uint32_t)(s - pg_flow_slot_at(w, 0)));
		s->unconf = 0;
		w->st.c[PG_STAT_FLOW_CONFIRMED]++;
	}
	return f;
}

int pg_tab_restore_flow(struct pg_worker *w, const struct pg_flow_key *k, const struct pg_flow *f,
			bool unconf)
{
	struct pg_flow_slot *s;
	uint32_t h = pg_hash_flow(k);
	int32_t pos;

	if (pg_tab_find(&w->flow, k, sizeof(*k), h) >= 0)
		return -EEXIST;
	pos = pg_place(&w->flow, k, h);
	if (pos < 0)
		return (int)pos;
	s = pg_flow_slot_at(w, pos);
	s->f = *f;
	s->unconf = unconf;
	if (unconf)
		pg_fifo_append(&w->flow, (uint32_t)pos);
	return 0;
}

int pg_tab_restore_source(struct pg_worker *w, const struct pg_addr *a, const struct pg_source *src)
{
	uint32_t h = pg_hash_addr(a);
	int32_t pos;

	if (pg_tab_find(&w->src, a, sizeof(*a), h) >= 0)
		return -EEXIST;
	pos = pg_place(&w->src, a, h);
	if (pos < 0)
		return (int)pos;
	pg_src_slot_at(w, pos)->s = *src;
	return 0;
}

static int pg_table_init(struct pg_table *t, const char *name, uint32_t size, int socket)
{
	uint32_t n = rte_align32pow2(2 * size), i;

	t->size = size;
	t->mask = n - 1;
	t->idx = rte_zmalloc_socket(name, (size_t)n * sizeof(*t->idx), RTE_CACHE_LINE_SIZE, socket);
	t->slots =
		rte_zmalloc_socket(name, (size_t)size * t->slot_size, RTE_CACHE_LINE_SIZE, socket);
	t->free = rte_malloc_socket(name, (size_t)size * sizeof(*t->free), 0, socket);
	if (!t->idx || !t->slots || !t->free)
		return -ENOMEM;
	/* Position 0 on top: a fresh table fills from the start. */
	for (i = 0; i < size; i++)
		t->free[i] = size - 1 - i;
	t->nfree = size;
	return 0;
}

int pg_tables_init(struct pg_worker *w, uint32_t max_sources, uint32_t max_flows, int socket)
{
	struct pg_table *s = &w->src, *f = &w->flow;
	int rc;

	s->slot_size = sizeof(struct pg_src_slot);
	s->key_off = offsetof(struct pg_src_slot, key);
	s->key_len = sizeof(struct pg_addr);
	s->used_off = offsetof(struct pg_src_slot, used);
	s->hash = pg_hash_addr_v;
	f->slot_size = sizeof(struct pg_flow_slot);
	f->key_off = offsetof(struct pg_flow_slot, key);
	f->key_len = sizeof(struct pg_flow_key);
	f->used_off = offsetof(struct pg_flow_slot, used);
	f->hash = pg_hash_flow_v;
	rc = pg_table_init(s, "pg_sources", max_sources ? max_sources : 1, socket);
	if (!rc)
		rc = pg_table_init(f, "pg_flows", max_flows ? max_flows : 1, socket);
	if (rc)
		return rc;
	f->ulink = rte_malloc_socket("pg_ulink", (size_t)f->size * sizeof(*f->ulink), 0, socket);
	if (!f->ulink)
		return -ENOMEM;
	f->uhead = f->utail = PG_NIL;
	f->nunconf = 0;
	w->dump.recs = rte_zmalloc_socket("pg_dump", PG_DUMP_MAX * sizeof(struct pg_dump_rec),
					  RTE_CACHE_LINE_SIZE, socket);
	return w->dump.recs ? 0 : -ENOMEM;
}

static void pg_table_free(struct pg_table *t)
{
	rte_free(t->idx);
	rte_free(t->slots);
	rte_free(t->free);
	rte_free(t->ulink);
	t->idx = NULL;
	t->slots = NULL;
	t->free = NULL;
	t->ulink = NULL;
}

void pg_tables_free(struct pg_worker *w)
{
	pg_table_free(&w->src);
	pg_table_free(&w->flow);
	rte_free(w->dump.recs);
	w->dump.recs = NULL;
}

/* Min-heap on last_ns: the root is the oldest record kept, the first to give way. */
static void pg_heap_down(struct pg_dump_rec *h, uint32_t n, uint32_t i)
{
	struct pg_dump_rec tmp;
	uint32_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && h[c + 1].last_ns < h[c].last_ns)
			c++;
		if (h[i].last_ns <= h[c].last_ns)
			return;
		tmp = h[i];
		h[i] = h[c];
		h[c] = tmp;
		i = c;
	}
}

static void pg_heap_up(struct pg_dump_rec *h, uint32_t i)
{
	struct pg_dump_rec tmp;
	uint32_t p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (h[p].last_ns <= h[i].last_ns)
			return;
		tmp = h[i];
		h[i] = h[p];
		h[p] = tmp;
		i = p;
	}
}

/* Where a record with this last_ns goes, or NULL when the heap keeps newer ones. */
static struct pg_dump_rec *pg_heap_slot(struct pg_dump *d, uint64_t last_ns)
{
	if (d->n < d->limit)
		return &d->recs[d->n];
	if (!d->limit || last_ns <= d->recs[0].last_ns)
		return NULL;
	return &d->recs[0];
}

static void pg_heap_commit(struct pg_dump *d, struct pg_dump_rec *r)
{
	if (r == &d->recs[d->n] && d->n < d->limit) {
		d->n++;
		pg_heap_up(d->recs, d->n - 1);
	} else {
		pg_heap_down(d->recs, d->n, 0);
	}
}

/* A dump record from a used slot of the source (src) or flow table. */
static void pg_dump_rec_fill(struct pg_dump_rec *r, const void *slot, bool src)
{
	r->last_ns = pg_slot_last_ns(slot);
	if (src) {
		r->src.addr = ((const struct pg_src_slot *)slot)->key;
		r->src.s = ((const struct pg_src_slot *)slot)->s;
	} else {
		r->flow.k = ((const struct pg_flow_slot *)slot)->key;
		r->flow.f = ((const struct pg_flow_slot *)slot)->f;
	}
}

/* One slice of the requested dump; acknowledges the request when the table is done. */
void pg_dump_step(struct pg_worker *w)
{
	struct pg_dump *d = &w->dump;
	uint32_t seq = __atomic_load_n(&d->req_seq, __ATOMIC_ACQUIRE);
	bool src = d->kind == PG_DUMP_SOURCES;
	struct pg_table *t = src ? &w->src : &w->flow;
	uint32_t pos, end;
	struct pg_dump_rec *r;
	void *slot;

	if (d->seq != seq) {
		d->seq = seq;
		d->cursor = d->page ? d->start : 0;
		if (d->cursor > t->size)
			d->cursor = t->size;
		d->n = 0;
	}
	if (d->page) {
		/* Position order from start: no heap, the next page goes on from here. */
		end = d->cursor + PG_DUMP_SLICE < t->size ? d->cursor + PG_DUMP_SLICE : t->size;
		for (pos = d->cursor; pos < end && d->n < d->limit; pos++) {
			slot = pg_tab_slot(t, pos);
			if (!*pg_slot_used(t, slot))
				continue;
			pg_dump_rec_fill(&d->recs[d->n++], slot, src);
		}
		d->cursor = pos;
		if (pos == t->size || d->n == d->limit) {
			d->next = pos;
			__atomic_store_n(&d->ack_seq, seq, __ATOMIC_RELEASE);
		}
		return;
	}
	end = d->cursor + PG_DUMP_SLICE < t->size ? d->cursor + PG_DUMP_SLICE : t->size;
	for (pos = d->cursor; pos < end; pos++) {
		slot = pg_tab_slot(t, pos);
		if (!*pg_slot_used(t, slot))
			continue;
		r = pg_heap_slot(d, pg_slot_last_ns(slot));
		if (!r)
			continue;
		pg_dump_rec_fill(r, slot, src);
		pg_heap_commit(d, r);
	}
	d->cursor = end;
	if (end == t->size)
		__atomic_store_n(&d->ack_seq, seq, __ATOMIC_RELEASE);
}
