// SPDX-License-Identifier: BSD-3-Clause
/*
 * Eviction classes of the real XDP/TC programs (docs/DESIGN.md, "Eviction classes"), under
 * BPF_PROG_TEST_RUN with small tables:
 *
 *  1. flood: established flows, opened through the programs (SYN, SYN-ACK, ACK), survive
 *     a flood of spoofed SYNs and stray segments from pool addresses many times the table
 *     size, some on the clients' own address: each keeps its offset, both ways.
 *  2. full: more established flows than the established table holds. The LRU evicts the
 *     oldest; a later segment of an evicted flow becomes an orphan, and the server's echo
 *     teaches it back exactly the offset it had.
 *  3. restart: the maps are emptied (a detach and attach); every flow is learned back from
 *     its first echo.
 *
 * Usage: bpf-evict   (root; exit 77 when BPF programs cannot be loaded)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pawsguard/compat.h"
#include "pawsguard/types.h"
#include "pgutil.h"
#include "pawsguard.skel.h"
#include "testpkt.h"

#define TABLE	 256  /* entries per flow map */
#define NFLOWS	 16   /* established flows that must survive the flood */
#define FLOOD	 6000 /* spoofed SYNs and stray segments: many times the table */
#define OVERFILL (TABLE + 64)

static const uint8_t server[4] = {192, 0, 2, 10};
static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL ");                                                           \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

/* A TCP segment with NOP NOP TS (a 32-byte header): testpkt.h, the bench's frames. */
static size_t build(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		    uint16_t dport, uint8_t flags, uint32_t tsval, uint32_t tsecr)
{
	return pg_test_frame4(p, 6, src, dst, sport, dport, flags, 1000u + sport, tsval, tsecr);
}

static uint32_t ts_of(const uint8_t *p, int which)
{
	return pg_get_be32(p + 14 + 20 + 24 + 4 * which);
}

/* One frame through a program; returns the TSval (which 0) or TSecr (1) it left. */
static uint32_t run(int prog, uint8_t *pkt, size_t len, int which)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &o) || o.data_size_out != len) {
		printf("FAIL test run: %s\n", strerror(errno));
		exit(1);
	}
	return ts_of(out, which);
}

struct conn {
	uint8_t client[4];
	uint16_t cport;
	uint32_t raw;	 /* the client's TSval clock */
	uint32_t offset; /* TSval' - TSval, as the server saw the handshake */
};

struct env {
	struct pawsguard_bpf *skel;
	int xdp, tc;
};

/* The handshake through both programs; the offset is what the server saw. */
static void open_conn(struct env *e, struct conn *c)
{
	uint8_t pkt[256];
	size_t len;
	uint32_t t, echo;

	len = build(pkt, c->client, server, c->cport, 80, 0x02, c->raw, 0);
	t = run(e->xdp, pkt, len, 0);
	c->offset = t - c->raw;
	len = build(pkt, server, c->client, 80, c->cport, 0x12, 777, t);
	echo = run(e->tc, pkt, len, 1);
	CHECK(echo == c->raw, "SYN-ACK of %u: TSecr %u, want %u", c->cport, echo, c->raw);
	c->raw += 10;
	len = build(pkt, c->client, server, c->cport, 80, 0x10, c->raw, 777);
	t = run(e->xdp, pkt, len, 0);
	CHECK(t == c->raw + c->offset, "ACK of %u: TSval' %u, want %u", c->cport, t,
	      c->raw + c->offset);
}

/*
 * One exchange: a client segment (TSval' must be raw + offset), the server's echo of it
 * (TSecr must come back as raw). Returns true when both were translated with the offset.
 */
static bool exchange(struct env *e, struct conn *c)
{
	uint8_t pkt[256];
	size_t len;
	uint32_t t, echo;
	bool ok;

	c->raw += 10;
	len = build(pkt, c->client, server, c->cport, 80, 0x18, c->raw, 777);
	t = run(e->xdp, pkt, len, 0);
	ok = t == c->raw + c->offset;
	if (!ok)
		return false;
	/* The server echoes what it accepted last: the TSval' with the connection's offset. */
	len = build(pkt, server, c->client, 80, c->cport, 0x10, 778, c->raw + c->offset);
	echo = run(e->tc, pkt, len, 1);
	return ok && echo == c->raw;
}

static uint64_t stat(struct env *e, int id)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct pg_stats *pc = calloc((size_t)ncpu, sizeof(*pc));
	uint32_t zero = 0;
	uint64_t n = 0;

	if (!pc || bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.pg_stats), &zero, pc))
		exit(1);
	for (i = 0; i < ncpu; i++)
		n += pc[i].c[id];
	free(pc);
	return n;
}

/* Keys of any of the maps fit in 64 bytes. */
static long count(struct bpf_map *m)
{
	uint8_t k[64], next[64];
	void *prev = NULL;
	long n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(m), prev, &next) && n < 1000000) {
		memcpy(k, next, sizeof(k));
		prev = k;
		n++;
	}
	return n;
}

static void clear(struct bpf_map *m)
{
	uint8_t k[64];
	int n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(m), NULL, k) && n++ < 1000000)
		bpf_map_delete_elem(bpf_map__fd(m), k);
}

static void conn_init(struct conn *c, int i)
{
	/* Two clients behind the NAT-like pool address, several connections each. */
	memcpy(c->client, (uint8_t[]){10, 1, 0, (uint8_t)(1 + i % 2)}, 4);
	c->cport = (uint16_t)(41000 + i);
	c->raw = 0x10000000u * (uint32_t)(i % 7) + 12345u * (uint32_t)i + 1;
}

static int flood_test(struct env *e)
{
	struct conn c[NFLOWS];
	uint8_t pkt[256], src[4];
	uint64_t seed = 0x70617773;
	int i, ok = 0;
	size_t len;

	for (i = 0; i < NFLOWS; i++) {
		conn_init(&c[i], i);
		open_conn(e, &c[i]);
	}
	for (i = 0; i < FLOOD; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		/* A third from the clients' own addresses, on random ports. */
		if (i % 3 == 0)
			memcpy(src, c[i % 2].client, 4);
		else
			memcpy(src,
			       (uint8_t[]){10, (uint8_t)(seed >> 24), (uint8_t)(seed >> 32),
					   (uint8_t)(seed >> 40)},
			       4);
		/* Every fourth a stray ACK (an orphan to be), the rest SYNs. */
		len = build(pkt, src, server, (uint16_t)(1024 + (seed >> 48) % 60000), 80,
			    i % 4 == 3 ? 0x10 : 0x02, (uint32_t)(seed >> 16), 0);
		run(e->xdp, pkt, len, 0);
		/* The flows keep talking now and then during the flood. */
		if (i % 500 == 0)
			exchange(e, &c[(i / 500) % NFLOWS]);
	}
	for (i = 0; i < NFLOWS; i++)
		ok += exchange(e, &c[i]);
	printf("flood: %d SYNs and stray segments into %d-entry maps: %d/%d established flows "
	       "kept their offset; unconfirmed entries added %llu, evicted %llu; established "
	       "entries %ld, unconfirmed %ld\n",
	       FLOOD, TABLE, ok, NFLOWS, (unsigned long long)stat(e, PG_STAT_UNCONF_ADD),
	       (unsigned long long)(stat(e, PG_STAT_UNCONF_ADD) - stat(e, PG_STAT_FLOW_CONFIRMED) -
				    (uint64_t)count(e->skel->maps.pg_uflows4)),
	       count(e->skel->maps.pg_flows4), count(e->skel->maps.pg_uflows4));
	CHECK(ok == NFLOWS, "flood: %d of %d established flows lost their offset", NFLOWS - ok,
	      NFLOWS);
	CHECK(count(e->skel->maps.pg_flows4) == NFLOWS, "flood: %ld established entries, want %d",
	      count(e->skel->maps.pg_flows4), NFLOWS);
	CHECK(stat(e, PG_STAT_UNCONF_ADD) > 4 * TABLE, "flood: only %llu unconfirmed entries added",
	      (unsigned long long)stat(e, PG_STAT_UNCONF_ADD));
	return 0;
}

/*
 * Learn back: a segment of a flow without an entry goes out far behind the clock (the
 * server drops it: below its ts_recent), the server's duplicate ACK echoes ts_recent and
 * teaches the offset, the retransmission and everything after are translated.
 */
static bool relearn(struct env *e, struct conn *c)
{
	uint8_t pkt[256];
	uint32_t t, echo, ts_recent;
	size_t len;

	/* The server accepted raw + offset last. */
	ts_recent = c->raw + c->offset;
	c->raw += 10;
	len = build(pkt, c->client, server, c->cport, 80, 0x18, c->raw, 777);
	t = run(e->xdp, pkt, len, 0);
	if (t == c->raw || (int32_t)(t - ts_recent) >= 0)
		return false; /* an orphan's TSval must be one the server drops */
	len = build(pkt, server, c->client, 80, c->cport, 0x10, 779, ts_recent);
	echo = run(e->tc, pkt, len, 1);
	/* Learned offset: ts_recent - latest raw; the echo comes back as that raw. */
	if (echo != c->raw)
		return false;
	c->offset = ts_recent - c->raw;
	/* The retransmission and everything after: at or above ts_recent. */
	c->raw += 10;
	len = build(pkt, c->client, server, c->cport, 80, 0x18, c->raw, 779);
	t = run(e->xdp, pkt, len, 0);
	return t == c->raw + c->offset && (int32_t)(t - ts_recent) >= 0;
}

static int full_test(struct env *e)
{
	static struct conn c[OVERFILL];
	uint64_t adopted0 = stat(e, PG_STAT_FLOW_ADOPTED);
	int i, kept = 0, relearned = 0, lost;

	for (i = 0; i < OVERFILL; i++) {
		conn_init(&c[i], i);
		c[i].cport = (uint16_t)(20000 + i);
		open_conn(e, &c[i]);
	}
	/* The newest flows are there; the oldest were evicted by the LRU. */
	for (i = OVERFILL - 1; i >= 0; i--) {
		if (exchange(e, &c[i])) {
			kept++;
			continue;
		}
		/* exchange() sent one segment already, which made the orphan: send it again. */
		c[i].raw -= 10;
		relearned += relearn(e, &c[i]);
	}
	lost = OVERFILL - kept - relearned;
	printf("full: %d established flows into %d-entry maps: %d kept their entry, %d learned "
	       "their offset back from the echo, %d lost; flows adopted %llu\n",
	       OVERFILL, TABLE, kept, relearned, lost,
	       (unsigned long long)(stat(e, PG_STAT_FLOW_ADOPTED) - adopted0));
	CHECK(lost == 0, "full: %d flows neither kept nor learned back", lost);
	CHECK(relearned > 0, "full: nothing was evicted from a table of %d (%d flows)", TABLE,
	      OVERFILL);
	return 0;
}

static int restart_test(struct env *e)
{
	struct conn c[NFLOWS];
	int i, ok = 0;

	for (i = 0; i < NFLOWS; i++) {
		conn_init(&c[i], i);
		c[i].cport = (uint16_t)(30000 + i);
		open_conn(e, &c[i]);
	}
	/* What a detach and attach leaves: empty tables. */
	clear(e->skel->maps.pg_flows4);
	clear(e->skel->maps.pg_uflows4);
	clear(e->skel->maps.pg_sources);
	for (i = 0; i < NFLOWS; i++)
		ok += relearn(e, &c[i]) && exchange(e, &c[i]);
	printf("restart: %d/%d flows learned their offset back from the first echo\n", ok, NFLOWS);
	CHECK(ok == NFLOWS, "restart: %d flows not learned back", NFLOWS - ok);
	return 0;
}

int main(void)
{
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	struct pg_lpm4_key k4 = {.prefixlen = 8, .addr = {10, 0, 0, 0}};
	struct pg_pool_val pv = {.action = PG_ACT_REWRITE};
	struct env e = {0};
	uint32_t zero = 0;
	int rc;

	if (geteuid()) {
		printf("SKIP: needs root\n");
		return 77;
	}
	libbpf_set_print(NULL);
	e.skel = pawsguard_bpf__open();
	if (!e.skel)
		return 1;
	bpf_map__set_max_entries(e.skel->maps.pg_flows4, TABLE);
	bpf_map__set_max_entries(e.skel->maps.pg_uflows4, TABLE);
	bpf_map__set_max_entries(e.skel->maps.pg_flows6, TABLE);
	bpf_map__set_max_entries(e.skel->maps.pg_uflows6, TABLE);
	rc = pawsguard_bpf__load(e.skel);
	if (rc == -EPERM || rc == -EACCES) {
		printf("SKIP: cannot load BPF programs: %s\n", strerror(-rc));
		return 77;
	}
	if (rc)
		return 1;
	e.xdp = bpf_program__fd(e.skel->progs.pg_xdp_ingress);
	e.tc = bpf_program__fd(e.skel->progs.pg_tc_egress);
	cfg.realtime_off_ns = pg_realtime_offset_ns();
	if (bpf_map_update_elem(bpf_map__fd(e.skel->maps.data_pg_config), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(e.skel->maps.pg_pools4), &k4, &pv, BPF_ANY))
		return 1;
	flood_test(&e);
	clear(e.skel->maps.pg_flows4);
	clear(e.skel->maps.pg_uflows4);
	full_test(&e);
	clear(e.skel->maps.pg_flows4);
	clear(e.skel->maps.pg_uflows4);
	restart_test(&e);
	pawsguard_bpf__destroy(e.skel);
	printf("%s\n", failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
