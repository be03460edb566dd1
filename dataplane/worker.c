// SPDX-License-Identifier: BSD-3-Clause
/*
 * The worker loop: receive a burst, hand frames to their owner lcore or run the shared
 * pipeline on them, forward to the other port. See pg_dpdk.h for the threading model.
 */
#include <time.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "pg_dpdk.h"
#include "pools.h"
#include "tables.h"

/*
 * The pipeline's environment on a worker: static inline hooks, before the pipeline. Always
 * inlined: with the burst's prefetch stages in the same function GCC 12 otherwise keeps the
 * flow lookup out of line in the SYN path (a call per lookup, +10 ns a SYN, measured).
 */
#define PG_ENV_HOOKS 1
#include "pawsguard/parse.h"
#include "pawsguard/translate.h"

struct pg_env {
	struct pg_worker *w;
	const struct pg_pools *pools;
	uint64_t now;
};

static __rte_always_inline struct pg_stats *pg_env_stats(struct pg_env *e)
{
	return &e->w->st;
}

static __rte_always_inline const struct pg_config *pg_env_config(struct pg_env *e)
{
	(void)e;
	return &pg_app.cfg;
}

static __rte_always_inline uint32_t pg_env_pool(struct pg_env *e, uint8_t family,
						const struct pg_addr *src)
{
	uint64_t hi, lo;
	int v6 = family == 6;

	pg_pool_key_of(v6, v6 ? src->b : &src->b[12], &hi, &lo);
	return pg_pools_lookup(e->pools, v6, hi, lo);
}

static __rte_always_inline struct pg_source *pg_env_source(struct pg_env *e,
							   const struct pg_addr *a, bool create)
{
	return pg_tab_source(e->w, a, create, e->now);
}

static __rte_always_inline struct pg_flow *pg_env_flow(struct pg_env *e,
						       const struct pg_flow_key *k)
{
	return pg_tab_flow(e->w, k);
}

static __rte_always_inline struct pg_flow *
pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k, const struct pg_flow *init)
{
	return pg_tab_flow_add(e->w, k, init, e->now);
}

static __rte_always_inline struct pg_flow *
pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k, struct pg_flow *f)
{
	return pg_tab_flow_confirm(e->w, k, f);
}

#include "pawsguard/pipeline.h"

/*
 * The owner of a frame: pg_owner_of() its client address (IP source from the client side, IP
 * destination from the server side). The Ethernet/VLAN walk is the parser's (pg_parse_l2), so
 * that every frame the pipeline would translate lands where its state is; anything else
 * stays with the worker that received it, as the pipeline will not touch it.
 */
static inline unsigned int pg_owner(struct rte_mbuf *m, unsigned int side, unsigned int self,
				    unsigned int n)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), *end = d + rte_pktmbuf_data_len(m), *l3;
	struct pg_addr a;
	uint32_t a4;
	int proto;

	proto = pg_parse_l2(d, end, &l3);
	if (proto == PG_ETH_P_IP) {
		if (l3 + 20 > end)
			return self;
		memcpy(&a4, l3 + (side == PG_SIDE_CLIENT ? 12 : 16), sizeof(a4));
		return pg_owner_of4(a4, n);
	}
	if (proto == PG_ETH_P_IPV6) {
		if (l3 + 40 > end)
			return self;
		memcpy(a.b, l3 + (side == PG_SIDE_CLIENT ? 8 : 24), sizeof(a.b));
		return pg_owner_of(&a, n);
	}
	return self;
}

static void pg_tx_flush(struct pg_worker *w, struct pg_txq *q)
{
	uint16_t sent = 0;
	int tries = 0;

	if (!q->n)
		return;
	if (q->lock)
		rte_spinlock_lock(q->lock);
	do {
		sent += rte_eth_tx_burst(q->port, q->queue, q->pkts + sent, q->n - sent);
	} while (sent < q->n && ++tries < PG_TX_RETRIES);
	if (q->lock)
		rte_spinlock_unlock(q->lock);
	w->x.tx += sent;
	if (sent < q->n) {
		/* The port refused them: free, count, never hold a worker up. */
		rte_pktmbuf_free_bulk(q->pkts + sent, q->n - sent);
		w->x.tx_dropped += q->n - sent;
	}
	q->n = 0;
}

static inline void pg_forward(struct pg_worker *w, struct pg_env *env, struct rte_mbuf *m,
			      unsigned int side)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	/*
	 * The headers are read in the first segment, the lengths checked against the whole
	 * frame: a jumbo or scattered frame (an mbuf chain) is translated like any other, as
	 * the TS option and the TCP checksum are in its headers. Headers split across
	 * segments fail the parser's bounds and pass untouched (fail open).
	 */
	uint8_t *end = d + rte_pktmbuf_data_len(m);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct pg_txq *q = &w->tx[side ^ 1];

	if (side == PG_SIDE_CLIENT)
		pg_ingress_len(env, d, end, len, env->now);
	else
		pg_egress_len(env, d, end, len, env->now);
	q->pkts[q->n++] = m;
	if (q->n == PG_TX_BUF)
		pg_tx_flush(w, q);
}

/*
 * Where a frame's lookups will go, for the first stages of a burst (tables.h): the flow's
 * table and hash, and for a client's SYN the source's hash. Only plain layouts are looked at
 * (Ethernet/VLAN, IPv4, or IPv6 straight to TCP): this only warms caches, the pipeline
 * parses every frame in full.
 */
struct pg_pre {
	const struct pg_table *t; /* NULL: nothing to prefetch */
	uint32_t h;
	uint32_t sh;
	bool syn;
};

static __rte_always_inline void pg_pre_of(struct pg_worker *w, struct rte_mbuf *m,
					  unsigned int side, struct pg_pre *p)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), *end = d + rte_pktmbuf_data_len(m), *l3, *l4;
	bool in = side == PG_SIDE_CLIENT;
	uint32_t a4 = 0, b4, i;
	uint16_t sp, dp;
	struct pg_flow_key k;
	int proto;

	p->t = NULL;
	p->syn = false;
	proto = pg_parse_l2(d, end, &l3);
	if (proto == PG_ETH_P_IP) {
		if (l3 + 20 > end || l3[9] != PG_IPPROTO_TCP)
			return;
		l4 = l3 + (l3[0] & 15) * 4;
		if (l4 + 14 > end)
			return;
		/* Client first, as the tables key a flow; ports in network order. */
		memcpy(&a4, l3 + (in ? 12 : 16), 4);
		memcpy(&b4, l3 + (in ? 16 : 12), 4);
		memcpy(&sp, l4 + (in ? 0 : 2), 2);
		memcpy(&dp, l4 + (in ? 2 : 0), 2);
		p->t = &w->flow.t4;
		p->h = pg_hash4(a4, b4, sp, dp);
	} else if (proto == PG_ETH_P_IPV6) {
		if (l3 + 40 > end || l3[6] != PG_IPPROTO_TCP)
			return;
		l4 = l3 + 40;
		if (l4 + 14 > end)
			return;
		for (i = 0; i < 4; i++) {
			memcpy(&k.client.w[i], l3 + (in ? 8 : 24) + 4 * i, 4);
			memcpy(&k.server.w[i], l3 + (in ? 24 : 8) + 4 * i, 4);
		}
		memcpy(&k.cport, l4 + (in ? 0 : 2), 2);
		memcpy(&k.sport, l4 + (in ? 2 : 0), 2);
		p->t = &w->flow.t6;
		p->h = pg_hash_flow(&k);
	} else {
		return;
	}
	pg_tab_prefetch_idx(p->t, p->h);
	if (in && (l4[13] & (PG_TCP_SYN | PG_TCP_ACK | PG_TCP_RST)) == PG_TCP_SYN) {
		p->syn = true;
		p->sh = proto == PG_ETH_P_IP ? pg_hash_addr4(a4) : pg_hash_addr(&k.client);
		pg_tab_prefetch_idx(&w->src, p->sh);
	}
}

#define PG_PREFETCH 4 /* frames ahead, in the pipeline's loop */

static inline void pg_prefetch_frame(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	rte_prefetch0(d);
	rte_prefetch0(d + RTE_CACHE_LINE_SIZE);
}

/*
 * Run the pipeline on frames of this owner that came in on one side. Both first cache lines
 * of a frame are prefetched: the TS option of a plain IPv4 segment ends at byte 66.
 *
 * Tables that outgrow the caches (PG_PREFETCH_MIN entries in use) are looked up in stages
 * over the burst, so that the cache misses of different frames overlap (tables.h): the
 * frames' headers, then their index lines, then their slots, then the pipeline, whose lookups
 * find them in. Below that the stages would cost more than they save (about a fifth of the
 * burst path at 1,024 flows, measured): frames are prefetched a few ahead instead.
 */
static __attribute__((flatten)) void pg_process(struct pg_worker *w, struct pg_env *env,
						struct rte_mbuf **pkts, uint16_t n,
						unsigned int side)
{
	struct pg_pre pre[PG_BURST];
	uint16_t i;

	if (w->flow.used + w->src.used < PG_PREFETCH_MIN) {
		for (i = 0; i < n && i < PG_PREFETCH; i++)
			pg_prefetch_frame(pkts[i]);
		for (i = 0; i < n; i++) {
			if (i + PG_PREFETCH < n)
				pg_prefetch_frame(pkts[i + PG_PREFETCH]);
			pg_forward(w, env, pkts[i], side);
		}
		return;
	}
	for (i = 0; i < n; i++)
		pg_prefetch_frame(pkts[i]);
	for (i = 0; i < n; i++)
		pg_pre_of(w, pkts[i], side, &pre[i]);
	for (i = 0; i < n; i++) {
		if (!pre[i].t)
			continue;
		pg_tab_prefetch_slot(pre[i].t, pre[i].h);
		if (pre[i].syn)
			pg_tab_prefetch_slot(&w->src, pre[i].sh);
	}
	for (i = 0; i < n; i++)
		pg_forward(w, env, pkts[i], side);
}

void pg_worker_burst(struct pg_worker *w, const struct pg_pools *pools, uint64_t now,
		     struct rte_mbuf **pkts, uint16_t n, unsigned int side)
{
	struct pg_env env = {.w = w, .pools = pools, .now = now};

	pg_process(w, &env, pkts, n, side);
}

/* Several workers: keep what this worker owns, hand the rest to their owners. */
static void pg_dispatch(struct pg_worker *w, struct pg_env *env, struct rte_mbuf **pkts, uint16_t n,
			const struct pg_rxq *rq)
{
	struct rte_mbuf *mine[PG_BURST], *theirs[PG_BURST];
	uint8_t owner[PG_BURST];
	unsigned int o, nw = pg_app.n_workers, k;
	uint16_t i, nm = 0, nt;

	for (i = 0; i < n; i++) {
		owner[i] = (uint8_t)pg_owner(pkts[i], rq->side, w->idx, nw);
		if (owner[i] == w->idx)
			mine[nm++] = pkts[i];
	}
	pg_process(w, env, mine, nm, rq->side);
	if (nm == n)
		return;
	for (o = 0; o < nw; o++) {
		if (o == w->idx)
			continue;
		nt = 0;
		for (i = 0; i < n; i++) {
			if (owner[i] != o)
				continue;
			/* The owner learns the side from the input port. */
			pkts[i]->port = rq->port;
			theirs[nt++] = pkts[i];
		}
		if (!nt)
			continue;
		k = rte_ring_mp_enqueue_burst(pg_app.workers[o].ring, (void **)theirs, nt, NULL);
		w->x.handed_off += k;
		if (k < nt) {
			rte_pktmbuf_free_bulk(theirs + k, nt - k);
			w->x.ring_dropped += nt - k;
		}
	}
}

static inline unsigned int pg_side_of(const struct rte_mbuf *m)
{
	return m->port == pg_app.port[PG_SIDE_CLIENT] ? PG_SIDE_CLIENT : PG_SIDE_SERVER;
}

/* Frames other workers handed over; each carries its input port in mbuf->port. */
static void pg_drain_ring(struct pg_worker *w, struct pg_env *env)
{
	struct rte_mbuf *pkts[PG_BURST];
	unsigned int side;
	uint16_t n, i, j;

	n = (uint16_t)rte_ring_sc_dequeue_burst(w->ring, (void **)pkts, PG_BURST, NULL);
	if (!n)
		return;
	env->now = pg_realtime_ns();
	/* Runs of one side, in ring order: each side's order is kept. */
	for (i = 0; i < n; i = j) {
		side = pg_side_of(pkts[i]);
		for (j = i + 1; j < n && pg_side_of(pkts[j]) == side; j++)
			;
		pg_process(w, env, pkts + i, j - i, side);
	}
}

int pg_worker_main(void *arg)
{
	struct pg_worker *w = arg;
	struct rte_mbuf *pkts[PG_BURST];
	struct pg_env env = {.w = w};
	bool single = pg_app.n_workers == 1;
	unsigned int i;
	uint16_t n;

	rte_rcu_qsbr_thread_register(pg_app.qs, w->idx);
	rte_rcu_qsbr_thread_online(pg_app.qs, w->idx);
	__atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
	while (!pg_quit()) {
		/* One pool set per iteration: the quiescent report below ends its use. */
		env.pools = __atomic_load_n(&pg_app.pools, __ATOMIC_ACQUIRE);
		for (i = 0; i < w->n_rxq; i++) {
			const struct pg_rxq *rq = &w->rxq[i];

			n = rte_eth_rx_burst(rq->port, rq->queue, pkts, PG_BURST);
			if (!n)
				continue;
			/* The clock once per burst: translation needs ms, a read costs ~25 ns. */
			env.now = pg_realtime_ns();
			w->x.rx += n;
			if (!w->x.first_rx_ns)
				w->x.first_rx_ns = env.now;
			w->x.last_rx_ns = env.now;
			if (single)
				pg_process(w, &env, pkts, n, rq->side);
			else
				pg_dispatch(w, &env, pkts, n, rq);
		}
		if (!single)
			pg_drain_ring(w, &env);
		pg_tx_flush(w, &w->tx[PG_SIDE_CLIENT]);
		pg_tx_flush(w, &w->tx[PG_SIDE_SERVER]);
		if (unlikely(__atomic_load_n(&w->dump.req_seq, __ATOMIC_RELAXED) !=
			     w->dump.ack_seq))
			pg_dump_step(w);
		rte_rcu_qsbr_quiescent(pg_app.qs, w->idx);
	}
	rte_rcu_qsbr_thread_offline(pg_app.qs, w->idx);
	rte_rcu_qsbr_thread_unregister(pg_app.qs, w->idx);
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}
