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
	/* Both flow slots start with their struct pg_flow. */
	return !pg_flow_live(slot, now, &pg_app.cfg);
}

static uint32_t pg_hash_addr_v(const void *key)
{
	return pg_hash_addr(key);
}

static uint32_t pg_hash_key4_v(const void *key)
{
	return pg_hash_key4(key);
}

static uint32_t pg_hash_flow_v(const void *key)
{
	return pg_hash_flow(key);
}

/* Both values start with last_ns; so do both flow slots with their value. */
_Static_assert(offsetof(struct pg_source, last_ns) == 0, "pg_source.last_ns");
_Static_assert(offsetof(struct pg_flow, last_ns) == 0, "pg_flow.last_ns");
_Static_assert(offsetof(struct pg_flow_slot, f) == 0, "pg_flow_slot.f");
_Static_assert(offsetof(struct pg_flow4_slot, f) == 0, "pg_flow4_slot.f");

static inline uint64_t pg_slot_last_ns(const void *slot)
{
	return *(const uint64_t *)slot;
}

static inline uint8_t *pg_slot_used(const struct pg_table *t, void *slot)
{
	return (uint8_t *)slot + t->used_off;
}

/* The class byte of a flow slot, right after its used byte (pg_dpdk.h). */
static inline uint8_t *pg_slot_unconf(const struct pg_table *t, void *slot)
{
	return (uint8_t *)slot + t->used_off + 1;
}

/* A free slot links to the next free position in the first 4 bytes of its key. */
static inline uint32_t *pg_slot_free_next(const struct pg_table *t, void *slot)
{
	return (uint32_t *)(void *)((uint8_t *)slot + t->key_off);
}

static inline uint32_t pg_slot_home(const struct pg_table *t, uint32_t pos)
{
	return pg_idx_home(t, t->hash((uint8_t *)pg_tab_slot(t, pos) + t->key_off));
}

/* The unconfirmed FIFO of a flow table (pg_dpdk.h): append, unlink, both O(1). */
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
	uint32_t i = pg_slot_home(t, pos), j, home;

	while (t->idx[i] && pg_idx_pos(t, t->idx[i]) != pos)
		i = i + 1 == t->n ? 0 : i + 1;
	if (!t->idx[i])
		return; /* not indexed: cannot happen */
	/*
	 * Linear probing deletion without tombstones (Knuth 6.4, algorithm R): move back each
	 * later entry of the run whose home slot does not lie cyclically in (i, j]. An index
	 * entry does not hold its whole hash: the home comes from the slot's key.
	 */
	t->idx[i] = 0;
	for (j = i + 1 == t->n ? 0 : i + 1; t->idx[j]; j = j + 1 == t->n ? 0 : j + 1) {
		home = pg_slot_home(t, pg_idx_pos(t, t->idx[j]));
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->idx[i] = t->idx[j];
		t->idx[j] = 0;
		i = j;
	}
	if (t->ulink && *pg_slot_unconf(t, slot)) {
		pg_fifo_unlink(t, pos);
		*pg_slot_unconf(t, slot) = 0;
	}
	*pg_slot_used(t, slot) = 0;
	*pg_slot_free_next(t, slot) = t->free_head;
	t->free_head = pos;
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
	w->flow.used--;
	w->x.evictions++;
	return 0;
}

/* A new key (hash h, known absent) at a free position; -ENOSPC when the table is full. */
static int32_t pg_place(struct pg_table *t, const void *key, uint32_t h)
{
	uint32_t pos, i;
	void *slot;

	if (t->free_head == PG_NIL)
		return -ENOSPC;
	pos = t->free_head;
	slot = pg_tab_slot(t, pos);
	t->free_head = *pg_slot_free_next(t, slot);
	memcpy((uint8_t *)slot + t->key_off, key, t->key_len);
	*pg_slot_used(t, slot) = 1;
	t->used++;
	for (i = pg_idx_home(t, h); t->idx[i]; i = i + 1 == t->n ? 0 : i + 1)
		;
	t->idx[i] = h << t->pbits | (pos + 1);
	return (int32_t)pos;
}

struct pg_source *pg_tab_source_add(struct pg_worker *w, const struct pg_addr *a, uint32_t h,
				    uint64_t now)
{
	struct pg_src_slot *s;
	int32_t pos;

	if (w->src.free_head == PG_NIL)
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

/*
 * The table of a key's family, and the key as that table holds it (k4 filled for IPv4), with
 * its hash.
 */
static struct pg_table *pg_flow_table_of(struct pg_worker *w, const struct pg_flow_key *k,
					 struct pg_flow_key4 *k4, const void **key, uint32_t *h)
{
	if (pg_flow_key_is4(k)) {
		pg_flow_key_to4(k, k4);
		*key = k4;
		*h = pg_hash_key4(k4);
		return &w->flow.t4;
	}
	*key = k;
	*h = pg_hash_flow(k);
	return &w->flow.t6;
}

/* A flow slot's value; both slot kinds start with it. */
static inline struct pg_flow *pg_slot_flow(struct pg_table *t, int32_t pos)
{
	return pg_tab_slot(t, (uint32_t)pos);
}

struct pg_flow *pg_tab_flow_add(struct pg_worker *w, const struct pg_flow_key *k,
				const struct pg_flow *init, uint64_t now)
{
	struct pg_flow_key4 k4;
	const void *key;
	uint32_t h;
	struct pg_table *t = pg_flow_table_of(w, k, &k4, &key, &h);
	struct pg_flow *f;
	int32_t pos;

	if (t->free_head == PG_NIL)
		pg_evict_flow(w, t, now);
	pos = pg_place(t, key, h);
	if (pos < 0) {
		w->st.c[PG_STAT_TABLE_FULL]++;
		return NULL;
	}
	w->flow.used++;
	f = pg_slot_flow(t, pos);
	*f = *init;
	/* Every entry starts unconfirmed (pipeline.h): a SYN or an orphan. */
	*pg_slot_unconf(t, f) = 1;
	pg_fifo_append(t, (uint32_t)pos);
	return f;
}

struct pg_flow *pg_tab_flow_confirm(struct pg_worker *w, const struct pg_flow_key *k,
				    struct pg_flow *f)
{
	struct pg_table *t = pg_flow_key_is4(k) ? &w->flow.t4 : &w->flow.t6;
	uint8_t *unconf = pg_slot_unconf(t, f);

	/*
	 * Established until removed: an entry reused in place keeps its class, and only a move
	 * counts (pipeline.h).
	 */
	if (*unconf) {
		pg_fifo_unlink(t, (uint32_t)(((uint8_t *)f - (uint8_t *)t->slots) / t->slot_size));
		*unconf = 0;
		w->st.c[PG_STAT_FLOW_CONFIRMED]++;
	}
	return f;
}

int pg_tab_restore_flow(struct pg_worker *w, const struct pg_flow_key *k, const struct pg_flow *f,
			bool unconf)
{
	struct pg_flow_key4 k4;
	const void *key;
	uint32_t h;
	struct pg_table *t = pg_flow_table_of(w, k, &k4, &key, &h);
	struct pg_flow *v;
	int32_t pos;

	if (pg_tab_find(t, key, h) >= 0)
		return -EEXIST;
	pos = pg_place(t, key, h);
	if (pos < 0)
		return (int)pos;
	w->flow.used++;
	v = pg_slot_flow(t, pos);
	*v = *f;
	*pg_slot_unconf(t, v) = unconf;
	if (unconf)
		pg_fifo_append(t, (uint32_t)pos);
	return 0;
}

uint32_t pg_tab_flow_room(const struct pg_worker *w, bool v4)
{
	const struct pg_table *t = v4 ? &w->flow.t4 : &w->flow.t6;

	return t->size - t->used;
}

int pg_tab_restore_source(struct pg_worker *w, const struct pg_addr *a, const struct pg_source *src)
{
	uint32_t h = pg_hash_addr(a);
	int32_t pos;

	if (pg_tab_find(&w->src, a, h) >= 0)
		return -EEXIST;
	pos = pg_place(&w->src, a, h);
	if (pos < 0)
		return (int)pos;
	pg_src_slot_at(w, pos)->s = *src;
	return 0;
}

/* Bits for the values 0..size (an index entry holds position + 1). */
static uint32_t pg_pos_bits(uint32_t size)
{
	return 32 - (uint32_t)__builtin_clz(size);
}

static int pg_table_init(struct pg_table *t, const char *name, uint32_t size, bool flows,
			 int socket)
{
	uint32_t i;

	t->size = size;
	t->n = 2 * size;
	t->pbits = pg_pos_bits(size);
	t->pmask = (1u << t->pbits) - 1;
	t->idx = rte_zmalloc_socket(name, (size_t)t->n * sizeof(*t->idx), RTE_CACHE_LINE_SIZE,
				    socket);
	t->slots =
		rte_zmalloc_socket(name, (size_t)size * t->slot_size, RTE_CACHE_LINE_SIZE, socket);
	if (!t->idx || !t->slots)
		return -ENOMEM;
	/* Position 0 first: a fresh table fills from the start. */
	for (i = 0; i < size; i++)
		*pg_slot_free_next(t, pg_tab_slot(t, i)) = i + 1 < size ? i + 1 : PG_NIL;
	t->free_head = 0;
	if (flows) {
		t->ulink = rte_malloc_socket(name, (size_t)size * sizeof(*t->ulink), 0, socket);
		if (!t->ulink)
			return -ENOMEM;
		t->uhead = t->utail = PG_NIL;
		t->nunconf = 0;
	}
	return 0;
}

/* Bytes a table holds in memory: index, slots, FIFO links. */
static size_t pg_table_bytes(const struct pg_table *t)
{
	return (size_t)t->n * sizeof(*t->idx) + (size_t)t->size * t->slot_size +
	       (t->ulink ? (size_t)t->size * sizeof(*t->ulink) : 0);
}

void pg_tables_bytes(const struct pg_worker *w, size_t *flow4, size_t *flow6, size_t *src)
{
	*flow4 = pg_table_bytes(&w->flow.t4);
	*flow6 = pg_table_bytes(&w->flow.t6);
	*src = pg_table_bytes(&w->src);
}

int pg_tables_init(struct pg_worker *w, uint32_t max_sources, uint32_t max_flows, int socket)
{
	struct pg_table *s = &w->src, *f4 = &w->flow.t4, *f6 = &w->flow.t6;
	int rc;

	s->slot_size = sizeof(struct pg_src_slot);
	s->key_off = offsetof(struct pg_src_slot, key);
	s->key_len = sizeof(struct pg_addr);
	s->used_off = offsetof(struct pg_src_slot, used);
	s->hash = pg_hash_addr_v;
	f4->slot_size = sizeof(struct pg_flow4_slot);
	f4->key_off = offsetof(struct pg_flow4_slot, key);
	f4->key_len = sizeof(struct pg_flow_key4);
	f4->used_off = offsetof(struct pg_flow4_slot, used);
	f4->hash = pg_hash_key4_v;
	f6->slot_size = sizeof(struct pg_flow_slot);
	f6->key_off = offsetof(struct pg_flow_slot, key);
	f6->key_len = sizeof(struct pg_flow_key);
	f6->used_off = offsetof(struct pg_flow_slot, used);
	f6->hash = pg_hash_flow_v;
	if (!max_sources)
		max_sources = 1;
	if (!max_flows)
		max_flows = 1;
	rc = pg_table_init(s, "pg_sources", max_sources, false, socket);
	if (!rc)
		rc = pg_table_init(f4, "pg_flows4", max_flows, true, socket);
	if (!rc)
		rc = pg_table_init(f6, "pg_flows6", max_flows, true, socket);
	if (rc)
		return rc;
	w->flow.size = f4->size + f6->size;
	w->flow.used = 0;
	w->dump.recs = rte_zmalloc_socket("pg_dump", PG_DUMP_MAX * sizeof(struct pg_dump_rec),
					  RTE_CACHE_LINE_SIZE, socket);
	return w->dump.recs ? 0 : -ENOMEM;
}

static void pg_table_free(struct pg_table *t)
{
	rte_free(t->idx);
	rte_free(t->slots);
	rte_free(t->ulink);
	t->idx = NULL;
	t->slots = NULL;
	t->ulink = NULL;
}

void pg_tables_free(struct pg_worker *w)
{
	pg_table_free(&w->src);
	pg_table_free(&w->flow.t4);
	pg_table_free(&w->flow.t6);
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

/* A dump record from a used slot of the source (src), IPv4 or IPv6 flow table. */
static void pg_dump_rec_fill(struct pg_dump_rec *r, const void *slot, bool src, bool v4)
{
	r->last_ns = pg_slot_last_ns(slot);
	if (src) {
		r->src.addr = ((const struct pg_src_slot *)slot)->key;
		r->src.s = ((const struct pg_src_slot *)slot)->s;
	} else if (v4) {
		pg_flow_key_from4(&((const struct pg_flow4_slot *)slot)->key, &r->flow.k);
		r->flow.f = ((const struct pg_flow4_slot *)slot)->f;
	} else {
		r->flow.k = ((const struct pg_flow_slot *)slot)->key;
		r->flow.f = ((const struct pg_flow_slot *)slot)->f;
	}
}

/*
 * The slot at a dump position: sources by position; flows over the IPv4 table, then the
 * IPv6 one (pg_flows). NULL when that slot is free.
 */
static void *pg_dump_slot(struct pg_worker *w, bool src, uint32_t pos, bool *v4)
{
	struct pg_table *t = src ? &w->src : &w->flow.t4;
	void *slot;

	*v4 = !src && pos < w->flow.t4.size;
	if (!src && !*v4) {
		t = &w->flow.t6;
		pos -= w->flow.t4.size;
	}
	slot = pg_tab_slot(t, pos);
	return *pg_slot_used(t, slot) ? slot : NULL;
}

/* One slice of the requested dump; acknowledges the request when the table is done. */
void pg_dump_step(struct pg_worker *w)
{
	struct pg_dump *d = &w->dump;
	uint32_t seq = __atomic_load_n(&d->req_seq, __ATOMIC_ACQUIRE);
	bool src = d->kind == PG_DUMP_SOURCES, v4;
	uint32_t size = src ? w->src.size : w->flow.size;
	uint32_t pos, end;
	struct pg_dump_rec *r;
	void *slot;

	if (d->seq != seq) {
		d->seq = seq;
		d->cursor = d->page ? d->start : 0;
		if (d->cursor > size)
			d->cursor = size;
		d->n = 0;
	}
	end = d->cursor + PG_DUMP_SLICE < size ? d->cursor + PG_DUMP_SLICE : size;
	if (d->page) {
		/* Position order from start: no heap, the next page goes on from here. */
		for (pos = d->cursor; pos < end && d->n < d->limit; pos++) {
			slot = pg_dump_slot(w, src, pos, &v4);
			if (slot)
				pg_dump_rec_fill(&d->recs[d->n++], slot, src, v4);
		}
		d->cursor = pos;
		if (pos == size || d->n == d->limit) {
			d->next = pos;
			__atomic_store_n(&d->ack_seq, seq, __ATOMIC_RELEASE);
		}
		return;
	}
	for (pos = d->cursor; pos < end; pos++) {
		slot = pg_dump_slot(w, src, pos, &v4);
		if (!slot)
			continue;
		r = pg_heap_slot(d, pg_slot_last_ns(slot));
		if (!r)
			continue;
		pg_dump_rec_fill(r, slot, src, v4);
		pg_heap_commit(d, r);
	}
	d->cursor = end;
	if (end == size)
		__atomic_store_n(&d->ack_seq, seq, __ATOMIC_RELEASE);
}
