/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker state tables, the lookups of the fast path (inserts, eviction and dumps are in
 * tables.c). Each table is owned by one worker (pg_dpdk.h, "Threading"): no locks.
 *
 * Layout: a slot array holds key and value at a stable position (what telemetry dumps and
 * the eviction clock hand walk), and an open-addressing index (linear probing, at most
 * half full) maps a key's hash to its position. Why not rte_hash: its lookup goes through
 * a function pointer for the hash and memcmp for a 36-byte key; profiled on the benchmark
 * mix that was a third of all cycles. Inline here, a lookup is a few CRC32 instructions,
 * one or two index probes and a fixed-size compare.
 *
 * At scale (millions of flows) a lookup is two cache misses: the index entry, then the
 * slot. An index entry is 32 bits, position + 1 in the low pbits and the rest of the hash
 * above, so that a probe rarely reads a slot it does not want; its home is the hash's high
 * bits scaled to the index (any index size, exactly twice the table's). An IPv4 flow table
 * entry then costs 64 bytes: a 48-byte slot, 8 of index, 8 of FIFO links. The worker hides
 * both misses behind each other over a burst (worker.c, pg_process): hashes of the whole
 * burst, prefetch of their index lines, then of their slots, then the pipeline.
 */
#ifndef PG_TABLES_H
#define PG_TABLES_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "pg_dpdk.h"

#define PG_TAB_SEED 0x9e3779b9u

/*
 * CRC32-C steps. With SSE4.2 (every x86 DPDK build here targets it) the instruction
 * itself, unrolled by the compiler: rte_hash_crc_8byte() tests at run time, per step,
 * which implementation to use.
 */
#if defined(RTE_ARCH_X86) && defined(__SSE4_2__)
#include <nmmintrin.h>

static inline uint32_t pg_crc64(uint64_t v, uint32_t h)
{
	return (uint32_t)_mm_crc32_u64(h, v);
}

static inline uint32_t pg_crc32(uint32_t v, uint32_t h)
{
	return _mm_crc32_u32(h, v);
}
#else
static inline uint32_t pg_crc64(uint64_t v, uint32_t h)
{
	return rte_hash_crc_8byte(v, h);
}

static inline uint32_t pg_crc32(uint32_t v, uint32_t h)
{
	return rte_hash_crc_4byte(v, h);
}
#endif

static inline uint32_t pg_hash_addr(const struct pg_addr *a)
{
	uint64_t w0, w1;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 8);
	return pg_crc64(w1, pg_crc64(w0, PG_TAB_SEED));
}

/* An IPv4 flow key's hash: two CRC steps over its 12 bytes. */
static inline uint32_t pg_hash_key4(const struct pg_flow_key4 *k)
{
	uint64_t a;
	uint32_t p;

	memcpy(&a, k, 8);
	memcpy(&p, &k->cport, 4);
	return pg_crc32(p, pg_crc64(a, PG_TAB_SEED));
}

/* A (full, IPv6) flow key's hash. */
static inline uint32_t pg_hash_flow(const struct pg_flow_key *k)
{
	uint32_t ports;
	uint64_t w[4];
	int i;

	memcpy(&ports, &k->cport, sizeof(ports));
	memcpy(w, k, sizeof(w));
	for (i = 0; i < 4; i++)
		ports = pg_crc64(w[i], ports);
	return ports;
}

_Static_assert(sizeof(struct pg_addr) == 16, "pg_addr is hashed as 2 x 8 bytes");
_Static_assert(sizeof(struct pg_flow_key) == 36, "pg_flow_key is hashed as 4 x 8 + 4 bytes");
_Static_assert(offsetof(struct pg_flow_key4, cport) == 8, "pg_flow_key4 is hashed as 8 + 4 bytes");

/* Equality of keys of 12, 16 or 36 bytes (the length is a constant at every call). */
static __rte_always_inline bool pg_key_eq(const void *a, const void *b, uint32_t len)
{
	const uint8_t *x = a, *y = b;
	uint64_t d = 0, u, v;
	uint32_t i, s, t;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	if (len & 4) {
		memcpy(&s, x + i, 4);
		memcpy(&t, y + i, 4);
		d |= s ^ t;
	}
	return !d;
}

/*
 * The owner of a client address (pg_dpdk.h, "Threading"), one of n workers. A frame's owner
 * (worker.c) and a restored entry's (state.c) must agree: both come here. An IPv4-mapped
 * address hashes as IPv4 whatever family the frame had, as the tables key it.
 */
#define PG_OWNER_SEED 0x70617773u /* not the tables' seed: owner and bucket bits differ */

static inline unsigned int pg_owner_scale(uint32_t h, unsigned int n)
{
	return (unsigned int)(((uint64_t)h * n) >> 32);
}

static inline unsigned int pg_owner_of4(uint32_t a4, unsigned int n)
{
	return pg_owner_scale(rte_hash_crc_4byte(a4, PG_OWNER_SEED), n);
}

static inline unsigned int pg_owner_of(const struct pg_addr *a, unsigned int n)
{
	if (!a->w[0] && !a->w[1] && a->w[2] == rte_cpu_to_be_32(0xffff))
		return pg_owner_of4(a->w[3], n);
	return pg_owner_scale(rte_hash_crc(a->b, sizeof(a->b), PG_OWNER_SEED), n);
}

static inline void *pg_tab_slot(const struct pg_table *t, uint32_t pos)
{
	return (uint8_t *)t->slots + (size_t)pos * t->slot_size;
}

/* The index entry a hash starts probing at: its high bits scaled to the index size. */
static __rte_always_inline uint32_t pg_idx_home(const struct pg_table *t, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * t->n) >> 32);
}

/* Does index entry e (not empty) carry hash h? Compares what of the hash it holds. */
static __rte_always_inline bool pg_idx_tag_eq(const struct pg_table *t, uint32_t e, uint32_t h)
{
	return !((e ^ (h << t->pbits)) & ~t->pmask);
}

static __rte_always_inline uint32_t pg_idx_pos(const struct pg_table *t, uint32_t e)
{
	return (e & t->pmask) - 1;
}

/* Position of key (hash h) in the table, or -1. */
static __rte_always_inline int32_t pg_tab_find(const struct pg_table *t, const void *key,
					       uint32_t len, uint32_t h)
{
	uint32_t i = pg_idx_home(t, h), e;

	for (;;) {
		e = t->idx[i];
		if (!e)
			return -1;
		if (pg_idx_tag_eq(t, e, h) &&
		    pg_key_eq((uint8_t *)pg_tab_slot(t, pg_idx_pos(t, e)) + t->key_off, key, len))
			return (int32_t)pg_idx_pos(t, e);
		if (++i == t->n)
			i = 0;
	}
}

/* Prefetch the index line where a lookup of hash h starts (the first stage of a burst). */
static __rte_always_inline void pg_tab_prefetch_idx(const struct pg_table *t, uint32_t h)
{
	rte_prefetch0(&t->idx[pg_idx_home(t, h)]);
}

/*
 * Once that line is in: prefetch the slot of the first entry carrying h (both lines a slot
 * may straddle), which the lookup will compare. A few probes at most: it only warms caches.
 */
static __rte_always_inline void pg_tab_prefetch_slot(const struct pg_table *t, uint32_t h)
{
	uint32_t i = pg_idx_home(t, h), e, k;
	const uint8_t *slot;

	for (k = 0; k < 4; k++) {
		e = t->idx[i];
		if (!e)
			return;
		if (pg_idx_tag_eq(t, e, h)) {
			slot = pg_tab_slot(t, pg_idx_pos(t, e));
			rte_prefetch0(slot);
			rte_prefetch0(slot + t->slot_size - 1);
			return;
		}
		if (++i == t->n)
			i = 0;
	}
}

static inline struct pg_src_slot *pg_src_slot_at(const struct pg_worker *w, int32_t pos)
{
	return &((struct pg_src_slot *)w->src.slots)[pos];
}

static inline struct pg_flow_slot *pg_flow6_slot_at(const struct pg_worker *w, int32_t pos)
{
	return &((struct pg_flow_slot *)w->flow.t6.slots)[pos];
}

static inline struct pg_flow4_slot *pg_flow4_slot_at(const struct pg_worker *w, int32_t pos)
{
	return &((struct pg_flow4_slot *)w->flow.t4.slots)[pos];
}

static inline struct pg_source *pg_tab_source(struct pg_worker *w, const struct pg_addr *a,
					      bool create, uint64_t now)
{
	uint32_t h = pg_hash_addr(a);
	int32_t pos = pg_tab_find(&w->src, a, sizeof(*a), h);

	if (pos >= 0)
		return &pg_src_slot_at(w, pos)->s;
	return create ? pg_tab_source_add(w, a, h, now) : NULL;
}

static __rte_always_inline struct pg_flow *pg_tab_flow4(struct pg_worker *w,
							const struct pg_flow_key4 *k4)
{
	int32_t pos = pg_tab_find(&w->flow.t4, k4, sizeof(*k4), pg_hash_key4(k4));

	return pos >= 0 ? &pg_flow4_slot_at(w, pos)->f : NULL;
}

static __rte_always_inline struct pg_flow *pg_tab_flow(struct pg_worker *w,
						       const struct pg_flow_key *k)
{
	struct pg_flow_key4 k4;
	int32_t pos;

	if (pg_flow_key_is4(k)) {
		pg_flow_key_to4(k, &k4);
		return pg_tab_flow4(w, &k4);
	}
	pos = pg_tab_find(&w->flow.t6, k, sizeof(*k), pg_hash_flow(k));
	return pos >= 0 ? &pg_flow6_slot_at(w, pos)->f : NULL;
}

#endif /* PG_TABLES_H */
