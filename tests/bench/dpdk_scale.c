// SPDX-License-Identifier: BSD-3-Clause
/*
 * pg-bench-dpdk: the per-packet cost of the DPDK appliance's burst path at a table size, in
 * process, the way DPDK's own *_perf_autotest measure: the worker's very code
 * (pg_worker_burst, worker.c: the staged prefetch and the pipeline) over bursts of 32
 * generated mbufs, with the tables (tables.c) filled as a planned restart would fill them.
 *
 *   pg-bench-dpdk [EAL options] -- --flows N --sources N [--packets N] [--rounds N]
 *                 [--path established|syn] [--check]
 *
 * The tables hold N flows (IPv4, established, offsets learned) from N sources (flows / sources
 * each, all in one rewrite pool), on one worker sized to hold exactly them. Every packet is
 * drawn from a uniform random flow, so at millions of flows every lookup starts cold, as at
 * scale. Two paths: "established" (a segment of an established flow: NOP NOP TS, TSval
 * rewritten) and "syn" (a pool SYN with Linux's options on a known 4-tuple with a new ISN: pool,
 * source and flow lookups, a new offset claimed). Only the burst call is timed (rdtsc around
 * it); writing the next flows' addresses, ports, sequence number and TSval into the mbufs is
 * not. Each path: one warm-up round, then --rounds rounds of --packets packets; the median
 * round counts. Prints one line per path:
 *
 *   bench path=P flows=N sources=N ns=X rounds=R min_ns=X max_ns=X
 * and the memory the tables take:
 *   bench memory flow4_bytes=B flow6_bytes=B source_bytes=B bytes_per_flow=B bytes_per_source=B
 * (bytes of the table divided by the entries it holds; the IPv6 flow table is allocated beside
 * the IPv4 one, as the appliance does, and reported apart).
 *
 * --check (tests/dpdk/burst_check.sh): every frame must come out as the pipeline decides it,
 * whichever way the worker ran the burst (in stages from PG_PREFETCH_MIN entries on): each
 * established segment's TSval rewritten by the flow's offset, its TSecr untouched, every SYN
 * translated as a new connection on its 4-tuple, and the counters saying exactly that. Exit 1
 * with one line otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "pawsguard/translate.h"
#include "pg_dpdk.h"
#include "pools.h"
#include "tables.h"

#define BN_BURST  PG_BURST
#define BN_NBURST 64 /* bursts of mbufs in rotation */
#define BN_OFFSET 0x10000000u
#define BN_SERVER 0xc6120001u /* 198.18.0.1 */
#define BN_CLIENT 0x0a000000u /* 10.0.0.0/8: the pool; source i is 10.0.0.0 + i */

struct pg_app pg_app = {
	.cfg = PG_CONFIG_DEFAULT,
	.ctl_lock = PTHREAD_MUTEX_INITIALIZER,
};

static void __rte_noreturn bn_die(const char *what, int rc)
{
	fprintf(stderr, "pg-bench-dpdk: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	rte_eal_cleanup();
	exit(1);
}

static uint64_t bn_rng = 0x9e3779b97f4a7c15ull;

static inline uint64_t bn_rand(void)
{
	/* xorshift64* */
	bn_rng ^= bn_rng >> 12;
	bn_rng ^= bn_rng << 25;
	bn_rng ^= bn_rng >> 27;
	return bn_rng * 2685821657736338717ull;
}

static inline uint32_t bn_below(uint32_t n)
{
	return (uint32_t)(((bn_rand() >> 32) * n) >> 32);
}

static void bn_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void bn_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Offsets in a frame: Ethernet, IPv4 without options, TCP. */
#define BN_IP  14
#define BN_TCP 34

/*
 * A frame of the path: Ethernet, IPv4, TCP with NOP NOP TS and 6 bytes of data (established),
 * or a SYN with MSS, SACK permitted, TS, NOP, window scale (what Linux sends). Returns the
 * offset of the TSval. Checksums are left as they are: nothing on the path verifies them
 * (the rewrite updates them incrementally).
 */
static uint32_t bn_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t bn_frame(uint8_t *p, bool syn, uint16_t *len)
{
	uint32_t topt = BN_TCP + 20, tcplen = syn ? 40 : 32, data = syn ? 0 : 6, ts;

	memset(p, 0, 128);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	p[BN_IP] = 0x45;
	bn_put16(p + BN_IP + 2, (uint16_t)(20 + tcplen + data));
	p[BN_IP + 8] = 64;
	p[BN_IP + 9] = 6;
	p[BN_TCP + 12] = (uint8_t)(tcplen / 4 << 4);
	p[BN_TCP + 13] = syn ? 0x02 : 0x10;
	bn_put16(p + BN_TCP + 14, 502);
	if (syn) {
		memcpy(p + topt, "\x02\x04\x05\xb4\x04\x02\x08\x0a", 8);
		ts = topt + 8;
		memcpy(p + topt + 16, "\x01\x03\x03\x07", 4);
	} else {
		memcpy(p + topt, "\x01\x01\x08\x0a", 4);
		ts = topt + 4;
	}
	*len = (uint16_t)(BN_TCP + tcplen + data);
	return ts;
}

struct bn {
	uint32_t flows, sources, per;
	struct pg_worker *w;
	struct pg_pools *pools;
	struct rte_mempool *mp;
	struct rte_mbuf *m[BN_NBURST][BN_BURST];
	uint32_t ts_off[2];
	bool check;
	uint64_t bad; /* frames that did not come out as expected (--check) */
};

static void bn_key(const struct bn *b, uint32_t f, struct pg_flow_key *k)
{
	struct pg_flow_key4 k4 = {
		.client = rte_cpu_to_be_32(BN_CLIENT + f / b->per),
		.server = rte_cpu_to_be_32(BN_SERVER),
		.cport = rte_cpu_to_be_16((uint16_t)(1024 + f % b->per)),
		.sport = rte_cpu_to_be_16(80),
	};

	pg_flow_key_from4(&k4, k);
}

/* The tables as a planned restart leaves them (state.c): every source, every flow. */
static void bn_fill(struct bn *b, uint64_t now)
{
	uint64_t vnow = pg_vclock(now);
	struct pg_flow_key k;
	struct pg_source s = {.last_ns = now,
			      .raw_ns = now,
			      .max_fwd = vnow,
			      .syns = 1,
			      .action = PG_ACT_REWRITE,
			      .flows = b->per};
	struct pg_flow f = {.last_ns = now,
			    .fwd_pub = vnow,
			    .offset = BN_OFFSET,
			    .syn_seq = 1,
			    .syn_raw = 1,
			    .state = PG_FS_EST,
			    .flags = PG_FF_SYNACK};
	uint32_t i;
	int rc;

	for (i = 0; i < b->sources; i++) {
		bn_key(b, i * b->per, &k);
		rc = pg_tab_restore_source(b->w, &k.client, &s);
		if (rc)
			bn_die("source table", rc);
	}
	for (i = 0; i < b->flows; i++) {
		bn_key(b, i, &k);
		rc = pg_tab_restore_flow(b->w, &k, &f, false);
		if (rc)
			bn_die("flow table", rc);
	}
}

/* The next burst's frames: each from a random flow. */
static void bn_gen(struct bn *b, struct rte_mbuf **m, bool syn, uint32_t tsval)
{
	uint32_t i, f, ts = b->ts_off[syn];
	uint8_t *p;

	for (i = 0; i < BN_BURST; i++) {
		f = bn_below(b->flows);
		p = rte_pktmbuf_mtod(m[i], uint8_t *);
		bn_put32(p + BN_IP + 12, BN_CLIENT + f / b->per);
		bn_put32(p + BN_IP + 16, BN_SERVER);
		bn_put16(p + BN_TCP, (uint16_t)(1024 + f % b->per));
		bn_put16(p + BN_TCP + 2, 80);
		/* A SYN with a new ISN: a new connection on the 4-tuple, not a retransmit. */
		bn_put32(p + BN_TCP + 4, syn ? (uint32_t)bn_rand() | 2 : 2);
		bn_put32(p + ts, tsval);
		bn_put32(p + ts + 4, 0);
	}
}

/* --check: the burst's frames as the pipeline must leave them. */
static void bn_verify(struct bn *b, struct rte_mbuf **m, bool syn, uint32_t tsval)
{
	const uint8_t *p;
	uint32_t i, t;

	for (i = 0; i < BN_BURST; i++) {
		p = rte_pktmbuf_mtod(m[i], const uint8_t *) + b->ts_off[syn];
		t = bn_get32(p);
		/* A SYN's TSval' is claimed from the clock: anything but the raw value. */
		if ((syn ? t == tsval : t != tsval + BN_OFFSET) || bn_get32(p + 4))
			b->bad++;
	}
}

/* One round of n packets on a path: ns per packet. */
static double bn_round(struct bn *b, bool syn, uint32_t n)
{
	uint64_t cycles = 0, t0, now;
	uint32_t done, k = 0, tsval;
	struct pg_txq *q = &b->w->tx[PG_SIDE_SERVER];

	for (done = 0; done < n; done += BN_BURST, k = (k + 1) % BN_NBURST) {
		now = pg_realtime_ns();
		/* Behind the clock: an established segment publishes nothing. */
		tsval = syn ? (uint32_t)pg_vclock(now)
			    : (uint32_t)pg_vclock(now) - 1000 - BN_OFFSET;
		bn_gen(b, b->m[k], syn, tsval);
		t0 = rte_rdtsc();
		pg_worker_burst(b->w, b->pools, now, b->m[k], BN_BURST, PG_SIDE_CLIENT);
		cycles += rte_rdtsc() - t0;
		if (b->check)
			bn_verify(b, b->m[k], syn, tsval);
		/* The frames stay ours: nothing is sent. */
		q->n = 0;
	}
	return (double)cycles * 1e9 / (double)rte_get_tsc_hz() / done;
}

static int bn_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return (a > c) - (a < c);
}

static void bn_path(struct bn *b, bool syn, uint32_t packets, uint32_t rounds)
{
	double r[64];
	uint32_t i;

	uint64_t *c = b->w->st.c,
		 n = (uint64_t)(rounds + 1) * ((packets + BN_BURST - 1) / BN_BURST * BN_BURST);
	bool ok;

	memset(&b->w->st, 0, sizeof(b->w->st));
	bn_round(b, syn, packets); /* warm-up: code, the pool set, at small sizes the tables */
	for (i = 0; i < rounds; i++)
		r[i] = bn_round(b, syn, packets);
	if (b->check) {
		ok = !b->bad && c[PG_STAT_PACKETS] == n && c[PG_STAT_TSVAL_REWRITTEN] == n &&
		     !c[PG_STAT_ORPHAN_NEW] && !c[PG_STAT_TABLE_FULL] && !c[PG_STAT_UNCONF_ADD] &&
		     (syn ? c[PG_STAT_POOL_SYN] == n && c[PG_STAT_FLOW_REUSE] == n
			  : c[PG_STAT_TCP] == n && !c[PG_STAT_SYN]);
		printf("check path=%s flows=%u: %s: %lu frames, %lu not as expected, "
		       "tsval_rewritten "
		       "%lu, flow_reuse %lu, orphan_new %lu\n",
		       syn ? "syn" : "established", b->flows, ok ? "ok" : "FAILED",
		       (unsigned long)n, (unsigned long)b->bad,
		       (unsigned long)c[PG_STAT_TSVAL_REWRITTEN],
		       (unsigned long)c[PG_STAT_FLOW_REUSE], (unsigned long)c[PG_STAT_ORPHAN_NEW]);
		if (!ok) {
			fflush(stdout);
			rte_eal_cleanup();
			exit(1);
		}
	}
	qsort(r, rounds, sizeof(r[0]), bn_cmp);
	printf("bench path=%s flows=%u sources=%u ns=%.1f rounds=%u min_ns=%.1f max_ns=%.1f\n",
	       syn ? "syn" : "established", b->flows, b->sources, r[rounds / 2], rounds, r[0],
	       r[rounds - 1]);
	fflush(stdout);
}

static void bn_usage(void)
{
	fprintf(stderr, "usage: pg-bench-dpdk [EAL options] -- --flows N --sources N "
			"[--packets N] [--rounds N] [--path established|syn] [--check]\n");
	exit(2);
}

static uint32_t bn_num(const char *s, uint32_t lo, uint32_t hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		bn_usage();
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"flows", required_argument, NULL, 'f'},
		{"sources", required_argument, NULL, 's'},
		{"packets", required_argument, NULL, 'p'},
		{"rounds", required_argument, NULL, 'r'},
		{"path", required_argument, NULL, 'P'},
		{"check", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct pg_pool_entry pool = {.action = PG_ACT_REWRITE};
	uint32_t packets = 1u << 20, rounds = 5, i, j;
	int only = -1; /* both paths */
	size_t f4, f6, sb;
	struct bn b = {0};
	uint16_t len[2];
	uint8_t tmpl[2][128];
	int rc, c;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		bn_die("EAL", rte_errno);
	argc -= rc;
	argv += rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			b.flows = bn_num(optarg, 1, PG_TABLE_MAX);
			break;
		case 's':
			b.sources = bn_num(optarg, 1, 1u << 24);
			break;
		case 'p':
			packets = bn_num(optarg, BN_BURST, 1u << 30);
			break;
		case 'r':
			rounds = bn_num(optarg, 1, 63);
			break;
		case 'C':
			b.check = true;
			break;
		case 'P':
			if (!strcmp(optarg, "established"))
				only = 0;
			else if (!strcmp(optarg, "syn"))
				only = 1;
			else
				bn_usage();
			break;
		default:
			bn_usage();
		}
	}
	if (!b.flows || !b.sources || b.flows % b.sources || b.flows / b.sources > 60000)
		bn_usage();
	b.per = b.flows / b.sources;

	b.w = rte_zmalloc("bench_worker", sizeof(*b.w), RTE_CACHE_LINE_SIZE);
	if (!b.w)
		bn_die("worker", ENOMEM);
	pg_app.n_workers = 1;
	pg_app.workers = b.w;
	pg_app.max_flows = b.flows;
	pg_app.max_sources = b.sources;
	rc = pg_tables_init(b.w, b.sources, b.flows, (int)rte_socket_id());
	if (rc)
		bn_die("tables", rc);
	pool.cidr.family = 4;
	pool.cidr.prefixlen = 8;
	pool.cidr.addr[0] = 10;
	rc = pg_pools_build(&pool, 1, &b.pools);
	if (rc)
		bn_die("pools", rc);
	pg_app.pools = b.pools;
	b.mp = rte_pktmbuf_pool_create("bench_mbufs", BN_NBURST * BN_BURST + 511, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!b.mp)
		bn_die("mbufs", rte_errno);
	b.ts_off[0] = bn_frame(tmpl[0], false, &len[0]);
	b.ts_off[1] = bn_frame(tmpl[1], true, &len[1]);
	bn_fill(&b, pg_realtime_ns());

	pg_tables_bytes(b.w, &f4, &f6, &sb);
	printf("bench memory flow4_bytes=%zu flow6_bytes=%zu source_bytes=%zu bytes_per_flow=%.1f "
	       "bytes_per_source=%.1f bytes_per_flow6=%.1f\n",
	       f4, f6, sb, (double)f4 / b.flows, (double)sb / b.sources, (double)f6 / b.flows);
	fflush(stdout);

	/* Established first: the SYNs then reopen the flows they hit. */
	for (c = 0; c < 2; c++) {
		if (only >= 0 && c != only)
			continue;
		for (i = 0; i < BN_NBURST; i++) {
			for (j = 0; j < BN_BURST; j++) {
				struct rte_mbuf *m = b.m[i][j];

				if (!m) {
					m = rte_pktmbuf_alloc(b.mp);
					if (!m)
						bn_die("mbuf", ENOMEM);
					b.m[i][j] = m;
				}
				memcpy(rte_pktmbuf_mtod(m, uint8_t *), tmpl[c], len[c]);
				m->data_len = m->pkt_len = len[c];
			}
		}
		bn_path(&b, c == 1, packets, rounds);
	}
	for (i = 0; i < BN_NBURST; i++)
		rte_pktmbuf_free_bulk(b.m[i], BN_BURST);
	pg_tables_free(b.w);
	pg_pools_free(b.pools);
	rte_free(b.w);
	rte_mempool_free(b.mp);
	rte_eal_cleanup();
	return 0;
}
