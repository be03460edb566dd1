/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Simulation: a userspace pawsguard environment for pipeline.h. Pools are a short list of
 * prefixes with actions (longest match wins); sources live in an open-addressing hash table
 * that never deletes (a "restart" clears it whole), sized well above what a run needs.
 *
 * Flows live in a table of a given capacity with the dataplanes' eviction classes
 * (docs/DESIGN.md, "Eviction classes"): an entry is added unconfirmed, pg_env_flow_confirm()
 * makes it established, and a full table evicts, least recently used first, an entry that
 * is no longer live, else an unconfirmed one, and an established one only when no
 * unconfirmed entry is left. A flow reinitialised in place (a new SYN on its 4-tuple) keeps
 * its class, as in the BPF maps. Scenarios that do not measure eviction use the whole
 * capacity, far above what they need. The run is told of every eviction (on_evict), so that
 * its model of pawsguard's flows knows which connection lost its entry.
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
#define SIM_FLOWS_MAX 8192  /* entries; a run without a capacity uses a few hundred */
#define SIM_FLOWS_IDX 16384 /* index slots: a power of two, twice the entries */
#define SIM_SRCS_CAP  1024  /* a SYN flood spoofs a few hundred addresses of a pool */

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
	INJ_NO_ORPHAN,	  /* the table refuses orphan entries: nothing is learned */
	INJ_NO_CONFIRM,	  /* pg_env_flow_confirm() leaves entries unconfirmed */
	INJ_ORPHAN_RAW,	  /* a dataplane that writes an orphan's raw TSval back (the old rule) */
	INJ_CONN_CLOCK,	  /* clients draw a new TS offset per connection, reused 4-tuples too */
	INJ_MAX,
};

struct sim_pool {
	struct pg_addr pfx; /* IPv4 prefixes mapped, so plen counts the 96 bits of ::ffff: */
	uint32_t plen;
	uint32_t action;
};

struct sim_flow_ent {
	bool used;
	bool est;      /* eviction class: established (confirmed), else unconfirmed */
	uint64_t tick; /* last lookup or insert: the LRU order */
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
	/* Entries never move: the pipeline holds pointers to them within a packet. */
	struct sim_flow_ent *ents;
	uint32_t *idx; /* open addressing over ents: 0 empty, else entry + 1 */
	uint32_t *freel, nfree;
	uint32_t nflows, flow_cap;
	uint64_t tick;
	uint64_t now; /* the packet's time, set by the caller: expiry decides eviction first */
	struct sim_src_slot *srcs;
	uint32_t inject;
	uint64_t lookups;
	void (*on_evict)(void *ctx, const struct pg_flow_key *k, bool est);
	void *evict_ctx;
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

static inline uint32_t pg_env_pool(struct pg_env *e, uint8_t family, const struct pg_addr *src)
{
	uint32_t i, best = 0, act = PG_ACT_NONE;

	(void)family;
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

static inline uint32_t sim_flow_home(const struct pg_flow_key *k)
{
	return sim_hash(k, sizeof(*k)) & (SIM_FLOWS_IDX - 1);
}

/* The index slot holding k, or the empty slot where it would go. */
static inline uint32_t sim_flow_pos(const struct pg_env *e, const struct pg_flow_key *k)
{
	uint32_t i = sim_flow_home(k);

	while (e->idx[i] && memcmp(&e->ents[e->idx[i] - 1].k, k, sizeof(*k)))
		i = (i + 1) & (SIM_FLOWS_IDX - 1);
	return i;
}

/* Remove an entry: backward-shift deletion keeps every probe sequence unbroken. */
static inline void sim_flow_del(struct pg_env *e, uint32_t n)
{
	uint32_t i = sim_flow_pos(e, &e->ents[n].k), j = i;

	e->idx[i] = 0;
	for (;;) {
		uint32_t h;

		j = (j + 1) & (SIM_FLOWS_IDX - 1);
		if (!e->idx[j])
			break;
		h = sim_flow_home(&e->ents[e->idx[j] - 1].k);
		/* Move j back to the hole unless its home lies cyclically in (i, j]. */
		if (((j - h) & (SIM_FLOWS_IDX - 1)) >= ((j - i) & (SIM_FLOWS_IDX - 1))) {
			e->idx[i] = e->idx[j];
			e->idx[j] = 0;
			i = j;
		}
	}
	e->ents[n].used = false;
	e->freel[e->nfree++] = n;
	e->nflows--;
}

/* Make room: the LRU entry that is not live, else unconfirmed, else established. */
static inline void sim_flow_evict(struct pg_env *e)
{
	uint32_t n, best[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
	int c;

	for (n = 0; n < SIM_FLOWS_MAX; n++) {
		const struct sim_flow_ent *x = &e->ents[n];

		if (!x->used)
			continue;
		c = !pg_flow_live(&x->f, e->now, &e->cfg) ? 0 : x->est ? 2 : 1;
		if (best[c] == UINT32_MAX || x->tick < e->ents[best[c]].tick)
			best[c] = n;
	}
	for (c = 0; c < 3 && best[c] == UINT32_MAX; c++)
		;
	if (c == 3)
		return;
	n = best[c];
	if (c == 1)
		e->st.c[PG_STAT_EVICT_UNCONF]++;
	else if (c == 2)
		e->st.c[PG_STAT_EVICT_EST]++;
	if (e->on_evict)
		e->on_evict(e->evict_ctx, &e->ents[n].k, c == 2);
	sim_flow_del(e, n);
}

static inline struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k)
{
	uint32_t i;
	struct sim_flow_ent *x;

	if (e->inject == INJ_NULL_FLOW)
		return NULL;
	i = sim_flow_pos(e, k);
	if (!e->idx[i])
		return NULL;
	x = &e->ents[e->idx[i] - 1];
	x->tick = ++e->tick;
	/* Every 997th lookup finds the entry damaged: its offset slipped 5 s back. */
	if (e->inject == INJ_OFFSET_DRIFT && ++e->lookups % 997 == 0)
		x->f.offset -= 5000;
	return &x->f;
}

/* New entries are unconfirmed; a full table evicts first (see the top of this file). */
static inline struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
					      const struct pg_flow *init)
{
	struct sim_flow_ent *x;
	uint32_t i, n;

	if (e->inject == INJ_NULL_FLOW ||
	    (e->inject == INJ_NO_ORPHAN && init->state == PG_FS_ORPHAN))
		return NULL;
	i = sim_flow_pos(e, k);
	if (e->idx[i]) {
		x = &e->ents[e->idx[i] - 1];
	} else {
		if (e->nflows >= e->flow_cap) {
			sim_flow_evict(e);
			i = sim_flow_pos(e, k);
		}
		if (!e->nfree) {
			e->st.c[PG_STAT_TABLE_FULL]++;
			return NULL;
		}
		n = e->freel[--e->nfree];
		e->idx[i] = n + 1;
		e->nflows++;
		x = &e->ents[n];
		x->used = true;
		x->k = *k;
	}
	x->est = false;
	x->tick = ++e->tick;
	x->f = *init;
	return &x->f;
}

/*
 * The entry moves to the established class, in place (entries never move); only a move
 * counts (pipeline.h).
 */
static inline struct pg_flow *pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k,
						  struct pg_flow *f)
{
	struct sim_flow_ent *x =
		(struct sim_flow_ent *)((char *)f - offsetof(struct sim_flow_ent, f));

	(void)k;
	if (e->inject != INJ_NO_CONFIRM && !x->est) {
		x->est = true;
		e->st.c[PG_STAT_FLOW_CONFIRMED]++;
	}
	return f;
}

#include "pawsguard/pipeline.h"

static inline void sim_env_restart(struct pg_env *e);

static inline void sim_env_init(struct pg_env *e, uint32_t inject)
{
	const struct pg_config def = PG_CONFIG_DEFAULT;

	memset(e, 0, sizeof(*e));
	e->cfg = def;
	e->inject = inject;
	if (inject == INJ_NO_FRESH)
		e->cfg.source_ttl_ns = 1;
	e->ents = malloc(SIM_FLOWS_MAX * sizeof(*e->ents));
	e->idx = malloc(SIM_FLOWS_IDX * sizeof(*e->idx));
	e->freel = malloc(SIM_FLOWS_MAX * sizeof(*e->freel));
	e->srcs = malloc(SIM_SRCS_CAP * sizeof(*e->srcs));
	if (!e->ents || !e->idx || !e->freel || !e->srcs)
		abort();
	e->flow_cap = SIM_FLOWS_MAX;
	sim_env_restart(e);
}

/* A restart of pawsguard: pools come back from the config file, state and maps do not. */
static inline void sim_env_restart(struct pg_env *e)
{
	uint32_t n;

	memset(e->ents, 0, SIM_FLOWS_MAX * sizeof(*e->ents));
	memset(e->idx, 0, SIM_FLOWS_IDX * sizeof(*e->idx));
	memset(e->srcs, 0, SIM_SRCS_CAP * sizeof(*e->srcs));
	/* Handed out lowest first, for no reason but a readable trace. */
	for (n = 0; n < SIM_FLOWS_MAX; n++)
		e->freel[n] = SIM_FLOWS_MAX - 1 - n;
	e->nfree = SIM_FLOWS_MAX;
	e->nflows = 0;
}

static inline void sim_env_free(struct pg_env *e)
{
	free(e->ents);
	free(e->idx);
	free(e->freel);
	free(e->srcs);
	e->ents = NULL;
	e->idx = NULL;
	e->freel = NULL;
	e->srcs = NULL;
}

static inline void sim_env_pool(struct pg_env *e, const struct pg_addr *pfx, uint32_t plen,
				uint32_t action)
{
	if (e->npools < SIM_POOLS_MAX)
		e->pools[e->npools++] =
			(struct sim_pool){.pfx = *pfx, .plen = plen, .action = action};
}

#endif /* SIM_ENV_H */
