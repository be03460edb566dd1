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
 */
#ifndef PG_TABLES_H
#define PG_TABLES_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "pg_dpdk.h"

#define PG_TAB_SEED 0x9e3779b9u

/* An index entry: hash in the high half, position + 1 in the low half; 0 is empty. */
static inline uint32_t pg_ent_pos(uint64_t e)
{
	return (uint32_t)e - 1;
}

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

/*
 * A flow key's hash. IPv4 keys (both addresses mapped, types.h) hash only the 12 bytes
 * that vary: two CRC steps instead of five on the established-segment path.
 */
static inline uint32_t pg_hash_flow(const struct pg_flow_key *k)
{
	uint32_t ports;
	uint64_t w[4];
	int i;

	memcpy(&ports, &k->cport, sizeof(ports));
	if (pg_flow_key_is4(k))
		return pg_crc32(ports, pg_crc64((uint64_t)k->client.w[3] << 32 | k->server.w[3],
						PG_TAB_SEED));
	memcpy(w, k, sizeof(w));
	for (i = 0; i < 4; i++)
		ports = pg_crc64(w[i], ports);
	return ports;
}

_Static_assert(sizeof(struct pg_addr) == 16, "pg_addr is hashed as 2 x 8 bytes");
_Static_assert(sizeof(struct pg_flow_key) == 36, "pg_flow_key is hashed as 4 x 8 + 4 bytes");

/* Equality of keys of 16 or 36 bytes (the length is a constant at every call). */
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

/* Position of key (hash h) in the table, or -1. */
static __rte_always_inline int32_t pg_tab_find(const struct pg_table *t, const void *key,
					       uint32_t len, uint32_t h)
{
	uint32_t i = h & t->mask;
	uint64_t e;

	for (;;) {
		e = t->idx[i];
		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) == h &&
		    pg_key_eq((uint8_t *)pg_tab_slot(t, pg_ent_pos(e)) + t->key_off, key, len))
			return (int32_t)pg_ent_pos(e);
		i = (i + 1) & t->mask;
	}
}

static inline struct pg_src_slot *pg_src_slot_at(const struct pg_worker *w, int32_t pos)
{
	return &((struct pg_src_slot *)w->src.slots)[pos];
}

static inline struct pg_flow_slot *pg_flow_slot_at(const struct pg_worker *w, int32_t pos)
{
	return &((struct pg_flow_slot *)w->flow.slots)[pos];
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

static __rte_always_inline struct pg_flow *pg_tab_flow(struct pg_worker *w,
						       const struct pg_flow_key *k)
{
	int32_t pos = pg_tab_find(&w->flow, k, sizeof(*k), pg_hash_flow(k));

	return pos >= 0 ? &pg_flow_slot_at(w, pos)->f : NULL;
}

#endif /* PG_TABLES_H */
