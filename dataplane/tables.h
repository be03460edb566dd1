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
 * slot. An index entry is 32 bits, position + 1 in the low pbits and the hash's low bits
 * above, so that a probe rarely reads a slot it does not want; its home is the hash scaled
 * to the index by a multiply (any index size, exactly twice the table's). An IPv4 flow table
 * entry then costs 64 bytes: a 48-byte slot, 8 of index, 8 of FIFO links. The worker hides
 * both misses behind each other over a burst once the tables outgrow the caches (worker.c,
 * pg_process): hashes of the whole burst, prefetch of their index lines, then of their
 * slots, then the pipeline.
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

/*
 * Hashes and compares read keys field by field, at the widths the parser stores them (4-byte
 * address words, 2-byte ports): an 8-byte load of a key just built from narrower stores
 * cannot be forwarded from the store buffer and stalls (~12 cycles each; profiled on the
 * burst path). The hash of a key is what these functions compute, on any byte order.
 */
static inline uint64_t pg_w64(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

static inline uint32_t pg_ports(uint16_t c, uint16_t s)
{
	return (uint32_t)s << 16 | c;
}

static inline uint32_t pg_hash_addr(const struct pg_addr *a)
{
	return pg_crc64(pg_w64(a->w[2], a->w[3]), pg_crc64(pg_w64(a->w[0], a->w[1]), PG_TAB_SEED));
}

/* pg_hash_addr() of the IPv4-mapped address ::ffff:a4. */
static inline uint32_t pg_hash_addr4(uint32_t a4)
{
	return pg_crc64(pg_w64(rte_cpu_to_be_32(0xffff), a4), pg_crc64(0, PG_TAB_SEED));
}

/* An IPv4 flow's hash from its fields (network order): two CRC steps. */
static inline uint32_t pg_hash4(uint32_t client, uint32_t server, uint16_t cport, uint16_t sport)
{
	return pg_crc32(pg_ports(cport, sport), pg_crc64(pg_w64(client, server), PG_TAB_SEED));
}

static inline uint32_t pg_hash_key4(const struct pg_flow_key4 *k)
{
	return pg_hash4(k->client, k->server, k->cport, k->sport);
}

/* A (full, IPv6) flow key's hash. */
static inline uint32_t pg_hash_flow(const struct pg_flow_key *k)
{
	uint32_t h = pg_ports(k->cport, k->sport);
	int i;

	for (i = 0; i < 4; i += 2)
		h = pg_crc64(pg_w64(k->client.w[i], k->client.w[i + 1]), h);
	for (i = 0; i < 4; i += 2)
		h = pg_crc64(pg_w64(k->server.w[i], k->server.w[i + 1]), h);
	return h;
}

static inline bool pg_addr_eq(const struct pg_addr *a, const struct pg_addr *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		 (a->w[3] ^ b->w[3]));
}

static inline bool pg_key4_eq(const struct pg_flow_key4 *a, const struct pg_flow_key4 *b)
{
	return !((a->client ^ b->client) | (a->server ^ b->server) |
		 (uint32_t)((a->cport ^ b->cport) | (a->sport ^ b->sport)));
}

/* An IPv4 table's key against the full key of an IPv4 flow (pg_flow_key_is4). */
static inline bool pg_key4_eq_full(const struct pg_flow_key4 *a, const struct pg_flow_key *k)
{
	return !((a->client ^ k->client.w[3]) | (a->server ^ k->server.w[3]) |
		 (uint32_t)((a->cport ^ k->cport) | (a->sport ^ k->sport)));
}

static inline bool pg_flow_key_eq(const struct pg_flow_key *a, const struct pg_flow_key *b)
{
	return pg_addr_eq(&a->client, &b->client) && pg_addr_eq(&a->server, &b->server) &&
	       a->cport == b->cport && a->sport == b->sport;
}

/* Equality of two keys of a table (key_len: 12, 16 or 36 bytes). */
static inline bool pg_key_eq(const void *a, const void *b, uint32_t len)
{
	if (len == sizeof(struct pg_flow_key4))
		return pg_key4_eq(a, b);
	if (len == sizeof(struct pg_addr))
		return pg_addr_eq(a, b);
	return pg_flow_key_eq(a, b);
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

/*
 * Position of the key that eq() finds equal (hash h) in a table of slots of slot_size bytes
 * with the key at key_off, or -1. Inlined with constants at each call: the slot address is
 * then a shift and an add, and eq() a few compares.
 */
static __rte_always_inline int32_t pg_tab_find_eq(const struct pg_table *t, const void *key,
						  uint32_t h, uint32_t slot_size, uint32_t key_off,
						  bool (*eq)(const void *slot_key, const void *key))
{
	uint32_t i = pg_idx_home(t, h), e, pmask = t->pmask, tag = h << t->pbits, pos;
	const uint32_t *idx = t->idx;
	const uint8_t *slots = t->slots;

	for (;;) {
		e = idx[i];
		if (!e)
			return -1;
		pos = (e & pmask) - 1;
		if (!((e ^ tag) & ~pmask) && eq(slots + (size_t)pos * slot_size + key_off, key))
			return (int32_t)pos;
		if (++i == t->n)
			i = 0;
	}
}

static __rte_always_inline bool pg_eq_src(const void *slot_key, const void *key)
{
	return pg_addr_eq(slot_key, key);
}

static __rte_always_inline bool pg_eq_key4_full(const void *slot_key, const void *key)
{
	return pg_key4_eq_full(slot_key, key);
}

static __rte_always_inline bool pg_eq_key6(const void *slot_key, const void *key)
{
	return pg_flow_key_eq(slot_key, key);
}

/* Position of key (hash h) in a table of any kind, or -1 (the table's own compare). */
static inline int32_t pg_tab_find(const struct pg_table *t, const void *key, uint32_t h)
{
	uint32_t i = pg_idx_home(t, h), e;

	for (;;) {
		e = t->idx[i];
		if (!e)
			return -1;
		if (pg_idx_tag_eq(t, e, h) &&
		    pg_key_eq((uint8_t *)pg_tab_slot(t, pg_idx_pos(t, e)) + t->key_off, key,
			      t->key_len))
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
 * Only staged bursts (large tables) get here, where a mispredicted probe costs less than a
 * slot not prefetched (measured against a branch-free choice of two entries).
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
	int32_t pos = pg_tab_find_eq(&w->src, a, h, sizeof(struct pg_src_slot),
				     offsetof(struct pg_src_slot, key), pg_eq_src);

	if (pos >= 0)
		return &pg_src_slot_at(w, pos)->s;
	return create ? pg_tab_source_add(w, a, h, now) : NULL;
}

static __rte_always_inline struct pg_flow *pg_tab_flow(struct pg_worker *w,
						       const struct pg_flow_key *k)
{
	int32_t pos;

	if (pg_flow_key_is4(k)) {
		pos = pg_tab_find_eq(&w->flow.t4, k,
				     pg_hash4(k->client.w[3], k->server.w[3], k->cport, k->sport),
				     sizeof(struct pg_flow4_slot),
				     offsetof(struct pg_flow4_slot, key), pg_eq_key4_full);
		return pos >= 0 ? &pg_flow4_slot_at(w, pos)->f : NULL;
	}
	pos = pg_tab_find_eq(&w->flow.t6, k, pg_hash_flow(k), sizeof(struct pg_flow_slot),
			     offsetof(struct pg_flow_slot, key), pg_eq_key6);
	return pos >= 0 ? &pg_flow6_slot_at(w, pos)->f : NULL;
}

#endif /* PG_TABLES_H */
