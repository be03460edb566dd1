/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Simulation: a userspace pawsguard environment for pipeline.h. Pools are a short list of
 * prefixes with actions (longest match wins); sources and flows live in open-addressing
 * hash tables that never delete (a "restart" clears them whole), sized well above what a
 * run needs, so eviction never interferes with what the simulation measures.
 *
 * Fault injections (enum sim_inject) break the environment on purpose, so that the test
 * can show that each of its checks fails when pawsguard misbehaves.
 */
#ifndef SIM_ENV_H
#define SIM_ENV_H

#include <stdlib.h>
#include <string.h>

#define PG_ENV_HOOKS 1
#include "pawsguard/parse.h"
#include "pawsguard/translate.h"
#include "pawsguard/types.h"

#define SIM_POOLS_MAX 4
#define SIM_FLOWS_CAP 8192 /* power of two; a run uses a few hundred 4-tuples */
#define SIM_SRCS_CAP  64

enum sim_inject {
	INJ_NONE = 0,
	INJ_NULL_FLOW,	  /* flow table always misses, inserts fail */
	INJ_NULL_SOURCE,  /* source table always misses, inserts fail */
	INJ_OFFSET_DRIFT, /* a flow entry's offset slips back now and then */
	INJ_NO_FRESH,	  /* sources never fresh: every SYN gets vclock + margin */
	INJ_NO_EGRESS,	  /* the TC egress program is not attached */
	INJ_WIRE_TSVAL0,  /* a dataplane that writes a TSval of 0 */
	INJ_WIRE_TSECR0,  /* a dataplane that translates a TSecr of 0 */
	INJ_WIRE_CSUM,	  /* a dataplane that forgets the checksum */
	INJ_WIRE_BYTES,	  /* a dataplane that touches a byte outside the TS option */
	INJ_POOL_BOTH,	  /* the "untranslated" run has the pool too */
	INJ_STRIP_LATE,	  /* the strip pool is configured only halfway through the run */
	INJ_MAX,
};

struct sim_pool {
	struct pg_addr pfx; /* IPv4 prefixes mapped, so plen counts the 96 bits of ::ffff: */
	uint32_t plen;
	uint32_t action;
};

struct sim_flow_slot {
	bool used;
	struct pg_flow_key k;
	struct pg_flow f;
};

struct sim_src_slot {
	bool used;
	struct pg_addr a;
	struct pg_source s;
};

struct pg_env {
	struct pg_stats st;
	struct pg_config cfg;
	struct sim_pool pools[SIM_POOLS_MAX];
	uint32_t npools;
	struct sim_flow_slot *flows;
	struct sim_src_slot srcs[SIM_SRCS_CAP];
	uint32_t nflows;
	uint32_t inject;
	uint64_t lookups;
};

static inline uint32_t sim_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h ^ (h >> 15);
}

static inline bool sim_prefix_match(const struct pg_addr *a, const struct sim_pool *p)
{
	uint32_t i, bits = p->plen;

	for (i = 0; i < 16 && bits; i++) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->b[i] ^ p->pfx.b[i]) & m)
			return false;
		bits -= bits >= 8 ? 8 : bits;
	}
	return true;
}

static inline struct pg_stats *pg_env_stats(struct pg_env *e)
{
	return &e->st;
}

static inline const struct pg_config *pg_env_config(struct pg_env *e)
{
	return &e->cfg;
}

static inline uint32_t pg_env_pool(struct pg_env *e, const struct pg_pkt *p,
				   const struct pg_addr *src)
{
	uint32_t i, best = 0, act = PG_ACT_NONE;

	(void)p;
	for (i = 0; i < e->npools; i++) {
		if (sim_prefix_match(src, &e->pools[i]) && e->pools[i].plen >= best) {
			best = e->pools[i].plen;
			act = e->pools[i].action;
		}
	}
	return act;
}

static inline struct pg_source *pg_env_source(struct pg_env *e, const struct pg_addr *a,
					      bool create)
{
	uint32_t i, h = sim_hash(a, sizeof(*a));

	if (e->inject == INJ_NULL_SOURCE)
		return NULL;
	for (i = 0; i < SIM_SRCS_CAP; i++) {
		struct sim_src_slot *sl = &e->srcs[(h + i) % SIM_SRCS_CAP];

		if (sl->used && !memcmp(&sl->a, a, sizeof(*a)))
			return &sl->s;
		if (!sl->used) {
			if (!create)
				return NULL;
			sl->used = true;
			sl->a = *a;
			memset(&sl->s, 0, sizeof(sl->s));
			e->st.c[PG_STAT_SOURCE_NEW]++;
			return &sl->s;
		}
	}
	if (create)
		e->st.c[PG_STAT_TABLE_FULL]++;
	return NULL;
}

static inline struct sim_flow_slot *sim_flow_slot(struct pg_env *e, const struct pg_flow_key *k)
{
	uint32_t i, h = sim_hash(k, sizeof(*k));

	for (i = 0; i < SIM_FLOWS_CAP; i++) {
		struct sim_flow_slot *sl = &e->flows[(h + i) & (SIM_FLOWS_CAP - 1)];

		if (!sl->used || !memcmp(&sl->k, k, sizeof(*k)))
			return sl;
	}
	return NULL;
}

static inline struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k)
{
	struct sim_flow_slot *sl;

	if (e->inject == INJ_NULL_FLOW)
		return NULL;
	sl = sim_flow_slot(e, k);
	if (!sl || !sl->used)
		return NULL;
	/* Every 997th lookup finds the entry damaged: its offset slipped 5 s back. */
	if (e->inject == INJ_OFFSET_DRIFT && ++e->lookups % 997 == 0)
		sl->f.offset -= 5000;
	return &sl->f;
}

static inline struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
					      const struct pg_flow *init)
{
	struct sim_flow_slot *sl;

	if (e->inject == INJ_NULL_FLOW)
		return NULL;
	sl = sim_flow_slot(e, k);
	if (!sl) {
		e->st.c[PG_STAT_TABLE_FULL]++;
		return NULL;
	}
	if (!sl->used)
		e->nflows++;
	sl->used = true;
	sl->k = *k;
	sl->f = *init;
	return &sl->f;
}

#include "pawsguard/pipeline.h"

static inline void sim_env_init(struct pg_env *e, uint32_t inject)
{
	const struct pg_config def = PG_CONFIG_DEFAULT;

	memset(e, 0, sizeof(*e));
	e->cfg = def;
	e->inject = inject;
	if (inject == INJ_NO_FRESH)
		e->cfg.source_ttl_ns = 1;
	e->flows = calloc(SIM_FLOWS_CAP, sizeof(*e->flows));
	if (!e->flows)
		abort();
}

/* A restart of pawsguard: pools come back from the config file, state and maps do not. */
static inline void sim_env_restart(struct pg_env *e)
{
	memset(e->flows, 0, SIM_FLOWS_CAP * sizeof(*e->flows));
	memset(e->srcs, 0, sizeof(e->srcs));
	e->nflows = 0;
}

static inline void sim_env_free(struct pg_env *e)
{
	free(e->flows);
	e->flows = NULL;
}

static inline void sim_env_pool(struct pg_env *e, const struct pg_addr *pfx, uint32_t plen,
				uint32_t action)
{
	if (e->npools < SIM_POOLS_MAX)
		e->pools[e->npools++] =
			(struct sim_pool){.pfx = *pfx, .plen = plen, .action = action};
}

#endif /* SIM_ENV_H */
