/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pool lookup on the fast path. Only a client's SYN asks (established segments go by flow),
 * so a longest-prefix match by prefix length groups, each a sorted array searched by
 * bisection, is plenty; see pools.c for why not rte_lpm.
 */
#ifndef PG_POOLS_H
#define PG_POOLS_H

#include <string.h>

#include <rte_byteorder.h>

#include "pg_dpdk.h"

/* An address as a 128-bit number, IPv4 in the top 32 bits, so one mask rule fits both. */
static inline void pg_pool_key_of(int v6, const uint8_t *addr, uint64_t *hi, uint64_t *lo)
{
	uint64_t h, l;
	uint32_t a4;

	if (!v6) {
		memcpy(&a4, addr, sizeof(a4));
		*hi = (uint64_t)rte_be_to_cpu_32(a4) << 32;
		*lo = 0;
		return;
	}
	memcpy(&h, addr, sizeof(h));
	memcpy(&l, addr + 8, sizeof(l));
	*hi = rte_be_to_cpu_64(h);
	*lo = rte_be_to_cpu_64(l);
}

static inline uint32_t pg_pools_lookup(const struct pg_pools *p, int v6, uint64_t hi, uint64_t lo)
{
	const struct pg_pool_group *g;
	const struct pg_pool_key *keys;
	uint32_t i, a, b, m;
	uint64_t mh, ml;

	if (!p || !p->n_groups[v6])
		return PG_ACT_NONE;
	keys = p->keys[v6];
	for (i = 0; i < p->n_groups[v6]; i++) {
		g = &p->groups[v6][i];
		mh = hi & g->mhi;
		ml = lo & g->mlo;
		a = g->first;
		b = g->first + g->count;
		while (a < b) {
			m = a + (b - a) / 2;
			if (keys[m].hi < mh || (keys[m].hi == mh && keys[m].lo < ml))
				a = m + 1;
			else
				b = m;
		}
		if (a < g->first + g->count && keys[a].hi == mh && keys[a].lo == ml)
			return keys[a].action;
	}
	return PG_ACT_NONE;
}

#endif /* PG_POOLS_H */
