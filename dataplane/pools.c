// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pools: an immutable set, rebuilt on every change and published by an atomic pointer
 * store; the set it replaces is freed once every worker has reported a quiescent state
 * after the store (rte_rcu_qsbr), so a worker may use the set it loaded for a whole loop
 * iteration without a lock.
 *
 * Why not rte_lpm/rte_lpm6 or rte_fib: their first level is a 2^24-entry table (64 MB for
 * IPv4, as much again for IPv6), built anew for each change and two alive during a swap.
 * That is most of the memory this appliance runs with (-m 512) for a structure read only
 * on SYNs. A pool set here is a few KB: per family, the prefixes grouped by length, longest
 * first, each group a sorted array; a lookup bisects one group per distinct length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "pawsguard/stats.h"
#include "pools.h"

/* Retired sets waiting for a grace period. */
#define PG_RETIRED_MAX 64

struct pg_retired {
	struct pg_pools *p;
	uint64_t token;
};

static struct pg_retired pg_retired[PG_RETIRED_MAX];
static unsigned int pg_n_retired;

struct pg_build_key {
	struct pg_pool_key k;
	uint8_t plen;
};

static int pg_build_cmp(const void *a, const void *b)
{
	const struct pg_build_key *x = a, *y = b;

	if (x->plen != y->plen)
		return x->plen > y->plen ? -1 : 1; /* longest prefix first */
	if (x->k.hi != y->k.hi)
		return x->k.hi < y->k.hi ? -1 : 1;
	if (x->k.lo != y->k.lo)
		return x->k.lo < y->k.lo ? -1 : 1;
	return 0;
}

/* Mask of the top plen bits of a 128-bit number (IPv4 lives in the top 32). */
static void pg_mask128(unsigned int plen, uint64_t *mhi, uint64_t *mlo)
{
	if (plen == 0) {
		*mhi = 0;
		*mlo = 0;
	} else if (plen <= 64) {
		*mhi = ~0ULL << (64 - plen);
		*mlo = 0;
	} else {
		*mhi = ~0ULL;
		*mlo = ~0ULL << (128 - plen);
	}
}

void pg_pools_free(struct pg_pools *p)
{
	if (!p)
		return;
	free(p->list);
	free(p->keys[0]);
	free(p->keys[1]);
	free(p);
}

static int pg_build_family(struct pg_pools *p, int v6, const struct pg_pool_entry *list, uint32_t n)
{
	struct pg_build_key *bk;
	struct pg_pool_group *g;
	uint32_t i, cnt = 0;

	bk = calloc(n ? n : 1, sizeof(*bk));
	p->keys[v6] = calloc(n ? n : 1, sizeof(struct pg_pool_key));
	if (!bk || !p->keys[v6]) {
		free(bk);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct pg_cidr *c = &list[i].cidr;
		uint64_t mh, ml;

		if ((c->family == 6) != v6)
			continue;
		pg_pool_key_of(v6, c->addr, &bk[cnt].k.hi, &bk[cnt].k.lo);
		/* A prefix length in the 128-bit space: IPv4 bits are the top 32. */
		bk[cnt].plen = c->prefixlen;
		pg_mask128(c->prefixlen, &mh, &ml);
		bk[cnt].k.hi &= mh;
		bk[cnt].k.lo &= ml;
		bk[cnt].k.action = list[i].action;
		cnt++;
	}
	qsort(bk, cnt, sizeof(*bk), pg_build_cmp);
	for (i = 0; i < cnt; i++) {
		p->keys[v6][i] = bk[i].k;
		if (i == 0 || bk[i].plen != bk[i - 1].plen) {
			g = &p->groups[v6][p->n_groups[v6]++];
			pg_mask128(bk[i].plen, &g->mhi, &g->mlo);
			g->first = i;
			g->count = 0;
		}
		p->groups[v6][p->n_groups[v6] - 1].count++;
	}
	free(bk);
	return 0;
}

int pg_pools_build(const struct pg_pool_entry *list, uint32_t n, struct pg_pools **out)
{
	struct pg_pools *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->list = calloc(n ? n : 1, sizeof(*list));
	if (!p->list) {
		free(p);
		return -ENOMEM;
	}
	if (n)
		memcpy(p->list, list, n * sizeof(*list));
	p->n = n;
	if (pg_build_family(p, 0, list, n) || pg_build_family(p, 1, list, n)) {
		pg_pools_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

static bool pg_cidr_eq(const struct pg_cidr *a, const struct pg_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

void pg_pools_reclaim(bool wait)
{
	unsigned int i, j = 0;

	for (i = 0; i < pg_n_retired; i++) {
		if (rte_rcu_qsbr_check(pg_app.qs, pg_retired[i].token, wait) == 1)
			pg_pools_free(pg_retired[i].p);
		else
			pg_retired[j++] = pg_retired[i];
	}
	pg_n_retired = j;
}

int pg_pools_update(const struct pg_pool_entry *e, bool del, char *err, size_t errlen)
{
	struct pg_pools *cur = pg_app.pools, *np;
	struct pg_pool_entry *list;
	uint32_t i, n = cur ? cur->n : 0;
	char buf[64];
	int rc;

	list = calloc(n + 1, sizeof(*list));
	if (!list) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (n)
		memcpy(list, cur->list, n * sizeof(*list));
	for (i = 0; i < n; i++)
		if (pg_cidr_eq(&list[i].cidr, &e->cidr))
			break;
	pg_cidr_format(&e->cidr, buf, sizeof(buf));
	if (del) {
		if (i == n) {
			snprintf(err, errlen, "no pool %s", buf);
			free(list);
			return -ENOENT;
		}
		memmove(&list[i], &list[i + 1], (n - i - 1) * sizeof(*list));
		n--;
	} else if (i < n) {
		list[i].action = e->action; /* same prefix: a new action */
	} else {
		if (n >= PG_MAX_POOLS) {
			snprintf(err, errlen, "too many pools (at most %u)", PG_MAX_POOLS);
			free(list);
			return -ENOSPC;
		}
		list[n++] = *e;
	}
	rc = pg_pools_build(list, n, &np);
	free(list);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	/* Room to retire the old set: wait for the oldest grace periods if there is none. */
	pg_pools_reclaim(false);
	if (pg_n_retired == PG_RETIRED_MAX)
		pg_pools_reclaim(true);
	__atomic_store_n(&pg_app.pools, np, __ATOMIC_RELEASE);
	if (cur) {
		pg_retired[pg_n_retired].p = cur;
		pg_retired[pg_n_retired].token = rte_rcu_qsbr_start(pg_app.qs);
		pg_n_retired++;
	}
	return 0;
}
