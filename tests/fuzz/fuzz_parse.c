/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the core: the input is one Ethernet frame.
 *
 * 1. pg_parse() never writes, and what it reports lies inside the frame; a view with only
 *    the headers readable (TC egress, GSO) parses the same, and a parse of a shorter
 *    readable prefix never reads past it. Its shortcut for the common layout
 *    (pg_parse_fast4) agrees with the walk of every layout field for field.
 * 2. With a TS option: pg_ts_rewrite() and pg_ts_strip() change only the option and the
 *    checksum, and a checksum that was valid stays valid (reference sum computed here).
 * 3. pg_ingress()/pg_egress() over a tiny userspace env (fixed-size tables, pool action from
 *    the source address): PG_V_PASS never changes a byte, PG_V_MODIFIED changes only the
 *    TS option and the checksum and keeps a valid checksum valid, an ingress rewrite never
 *    forwards TSval 0, and egress undoes exactly the flow's offset.
 * Every buffer is allocated at its exact size, so AddressSanitizer sees any access outside
 * [data, end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pawsguard/compat.h"
#include "pawsguard/parse.h"
#include "pawsguard/types.h"

/* ---- a minimal environment for pipeline.h ------------------------------------------------ */

#define FZ_SOURCES 4
#define FZ_FLOWS   4

struct pg_env {
	struct pg_stats stats;
	struct pg_config cfg;
	uint32_t flow_cap; /* 0..FZ_FLOWS: 0 makes every flow insert fail */
	bool source_fail;  /* pg_env_source() finds nothing and creates nothing */
	struct {
		bool used;
		struct pg_addr a;
		struct pg_source s;
	} src[FZ_SOURCES];
	struct {
		bool used;
		struct pg_flow_key k;
		struct pg_flow f;
	} flow[FZ_FLOWS];
};

static inline struct pg_stats *pg_env_stats(struct pg_env *e)
{
	return &e->stats;
}

static inline const struct pg_config *pg_env_config(struct pg_env *e)
{
	return &e->cfg;
}

/* The fuzzer picks the action through the source address: last byte mod 3. */
static inline uint32_t pg_env_pool(struct pg_env *e, uint8_t family, const struct pg_addr *src)
{
	(void)e;
	(void)family;
	return src->b[15] % 3;
}

static inline struct pg_source *pg_env_source(struct pg_env *e, const struct pg_addr *a,
					      bool create)
{
	int i;

	if (e->source_fail)
		return NULL;
	for (i = 0; i < FZ_SOURCES; i++)
		if (e->src[i].used && !memcmp(&e->src[i].a, a, sizeof(*a)))
			return &e->src[i].s;
	if (!create)
		return NULL;
	for (i = 0; i < FZ_SOURCES; i++) {
		if (!e->src[i].used) {
			e->src[i].used = true;
			e->src[i].a = *a;
			memset(&e->src[i].s, 0, sizeof(e->src[i].s));
			return &e->src[i].s;
		}
	}
	return NULL;
}

static inline struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k)
{
	uint32_t i;

	for (i = 0; i < FZ_FLOWS; i++)
		if (e->flow[i].used && !memcmp(&e->flow[i].k, k, sizeof(*k)))
			return &e->flow[i].f;
	return NULL;
}

static inline struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
					      const struct pg_flow *init)
{
	uint32_t i;

	for (i = 0; i < e->flow_cap; i++) {
		if (!e->flow[i].used) {
			e->flow[i].used = true;
			e->flow[i].k = *k;
			e->flow[i].f = *init;
			return &e->flow[i].f;
		}
	}
	return NULL;
}

/* One table: no eviction classes to move between. */
static inline struct pg_flow *pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k,
						  struct pg_flow *f)
{
	(void)k;
	pg_env_stats(e)->c[PG_STAT_FLOW_CONFIRMED]++;
	return f;
}

#define PG_ENV_HOOKS
#include "pawsguard/pipeline.h"

/* ---- helpers ----------------------------------------------------------------------------- */

#define FZ_ASSERT(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_parse: %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static uint8_t *dup_exact(const uint8_t *d, size_t n)
{
	/* malloc(0) may return NULL; one byte keeps a valid pointer, and nothing reads it. */
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		abort();
	memcpy(b, d, n);
	return b;
}

/* Reference one's complement sum, independent of csum.h. */
static uint64_t ref_add(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint64_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint64_t)p[n - 1] << 8;
	return s;
}

/* TCP segment length as the IP header says (parse succeeded, so it is consistent). */
static uint32_t seg_len(const struct pg_pkt *p)
{
	if (p->family == 4)
		return pg_get_be16(p->l3 + 2) - (uint32_t)(p->th - p->l3);
	return 40 + pg_get_be16(p->l3 + 4) - (uint32_t)(p->th - p->l3);
}

static bool tcp_csum_valid(const struct pg_pkt *p)
{
	uint32_t n = seg_len(p);
	uint64_t s;

	if (p->family == 4)
		s = ref_add(PG_IPPROTO_TCP + n, p->l3 + 12, 8);
	else
		s = ref_add(PG_IPPROTO_TCP + (n >> 16) + (n & 0xffff), p->l3 + 8, 32);
	s = ref_add(s, p->th, n);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static void tcp_csum_set(const struct pg_pkt *p)
{
	uint32_t n = seg_len(p);
	uint64_t s;
	uint16_t c;

	p->th[16] = p->th[17] = 0;
	if (p->family == 4)
		s = ref_add(PG_IPPROTO_TCP + n, p->l3 + 12, 8);
	else
		s = ref_add(PG_IPPROTO_TCP + (n >> 16) + (n & 0xffff), p->l3 + 8, 32);
	s = ref_add(s, p->th, n);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	c = (uint16_t)~s;
	p->th[16] = (uint8_t)(c >> 8);
	p->th[17] = (uint8_t)c;
}

/*
 * Compare after an operation: bytes outside the TS option [ts, ts + 10) and the checksum
 * must be identical. ts_off == 0 (no option): nothing may differ at all.
 */
static void check_changes(const char *op, const uint8_t *before, const uint8_t *after, size_t n,
			  const struct pg_pkt *p)
{
	size_t i, th = p->ts_off ? (size_t)(p->th - p->data) : 0;

	for (i = 0; i < n; i++) {
		if (before[i] == after[i])
			continue;
		FZ_ASSERT(p->ts_off &&
				  ((i >= th + p->ts_off && i < th + p->ts_off + PG_TCPOLEN_TS) ||
				   i == th + 16 || i == th + 17),
			  "%s changed byte %zu (%#x -> %#x), ts_off %u", op, i, before[i], after[i],
			  p->ts_off);
	}
}

static void check_pkt_bounds(const struct pg_pkt *p, const uint8_t *data, const uint8_t *end)
{
	FZ_ASSERT(p->family == 4 || p->family == 6, "family %u", p->family);
	FZ_ASSERT(p->l3 >= data + PG_ETH_HLEN && p->l3 < end, "l3 outside");
	FZ_ASSERT(p->th >= p->l3 + 20 && p->th + p->thlen <= end, "th outside");
	FZ_ASSERT(p->thlen >= 20 && p->thlen <= 60 && p->thlen % 4 == 0, "thlen %u", p->thlen);
	FZ_ASSERT(!p->ts_off || (p->ts_off >= 20 && p->ts_off + PG_TCPOLEN_TS <= p->thlen),
		  "ts_off %u thlen %u", p->ts_off, p->thlen);
	if (p->ts_off) {
		FZ_ASSERT(p->th[p->ts_off] == PG_TCPOPT_TS && p->th[p->ts_off + 1] == PG_TCPOLEN_TS,
			  "no TS option at ts_off %u", p->ts_off);
		FZ_ASSERT(pg_get_be32(p->th + p->ts_off + 2) == p->tsval &&
				  pg_get_be32(p->th + p->ts_off + 6) == p->tsecr,
			  "values");
	}
}

static uint64_t fnv1a(const uint8_t *d, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ULL;
	return h;
}

/* A TS value from the input hash, often one of the values that stress the arithmetic. */
static uint32_t pick_ts(uint64_t h, uint32_t old)
{
	static const uint32_t special[] = {0, 1, 0xffff, 0xffff0000, 0xffffffff, 0x80000000};

	switch (h & 7) {
	case 0:
		return special[(h >> 3) % PG_ARRAY_SIZE(special)];
	case 1:
		return old;
	default:
		return (uint32_t)(h >> 16);
	}
}

/* ---- 1 and 2: parser, rewrite, strip ----------------------------------------------------- */

static void fuzz_parse_rewrite(const uint8_t *d, size_t n, uint64_t h)
{
	struct pg_pkt p, q;
	uint8_t *buf = dup_exact(d, n), *cp;
	uint32_t v, e, k;
	bool valid;
	int rc, r;

	/* The shortcut for the common layout yields exactly what the walk does. */
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	if (pg_parse_fast4(&q, buf, buf + n, (uint32_t)n))
		FZ_ASSERT(pg_parse_walk(&p, buf, buf + n, (uint32_t)n) == PG_PARSE_TCP &&
				  !memcmp(&p, &q, sizeof(p)),
			  "pg_parse_fast4 and pg_parse_walk differ");

	memset(&p, 0, sizeof(p));
	rc = pg_parse(&p, buf, buf + n);
	FZ_ASSERT(!memcmp(buf, d, n), "pg_parse wrote to the frame");
	FZ_ASSERT(rc == PG_PARSE_TCP || (rc >= PG_STAT_NOT_IP && rc <= PG_STAT_REASON_LAST),
		  "result %d", rc);
	if (rc != PG_PARSE_TCP) {
		FZ_ASSERT(p.ts_off == 0, "ts_off %u after %d", p.ts_off, rc);
		FZ_ASSERT(pg_ts_rewrite(&p, 1, 2) == -1 && pg_ts_strip(&p) == -1,
			  "rewrite/strip after a failed parse");
		FZ_ASSERT(!memcmp(buf, d, n), "rewrite/strip wrote after a failed parse");
		free(buf);
	} else {
		check_pkt_bounds(&p, buf, buf + n);

		/* Headers-only view: same answer, same fields. */
		memset(&q, 0, sizeof(q));
		r = pg_parse_len(&q, buf, p.th + p.thlen, (uint32_t)n);
		FZ_ASSERT(r == PG_PARSE_TCP && q.th == p.th && q.l3 == p.l3 && q.thlen == p.thlen &&
				  q.ts_off == p.ts_off && q.tsval == p.tsval && q.tsecr == p.tsecr,
			  "headers-only view differs: %d", r);

		valid = tcp_csum_valid(&p);
		if (!p.ts_off) {
			FZ_ASSERT(pg_ts_rewrite(&p, 1, 2) == -1 && pg_ts_strip(&p) == -1,
				  "rewrite/strip without a TS option");
			FZ_ASSERT(!memcmp(buf, d, n), "wrote without a TS option");
		} else {
			/* Rewrite, twice in a row: the second update starts from the first. */
			for (k = 0; k < 2; k++) {
				v = pick_ts(h >> (8 * k), p.tsval);
				e = pick_ts(h >> (8 * k + 4), p.tsecr);
				cp = dup_exact(buf, n);
				FZ_ASSERT(pg_ts_rewrite(&p, v, e) == 0, "rewrite refused");
				check_changes("pg_ts_rewrite", cp, buf, n, &p);
				FZ_ASSERT(pg_get_be32(p.th + p.ts_off + 2) == v &&
						  pg_get_be32(p.th + p.ts_off + 6) == e,
					  "values not written");
				FZ_ASSERT(!valid || tcp_csum_valid(&p),
					  "checksum broken by rewrite %#x %#x, ts_off %u", v, e,
					  p.ts_off);
				free(cp);
			}
			cp = dup_exact(buf, n);
			memset(&q, 0, sizeof(q));
			FZ_ASSERT(pg_parse(&q, cp, cp + n) == PG_PARSE_TCP && q.ts_off == p.ts_off,
				  "rewritten frame no longer parses the same");
			FZ_ASSERT(pg_ts_strip(&q) == 0, "strip refused");
			check_changes("pg_ts_strip", buf, cp, n, &p);
			for (k = 0; k < PG_TCPOLEN_TS; k++)
				FZ_ASSERT(q.th[p.ts_off + k] == PG_TCPOPT_NOP, "not a NOP");
			FZ_ASSERT(!valid || tcp_csum_valid(&q),
				  "checksum broken by strip, ts_off %u", p.ts_off);
			FZ_ASSERT(q.ts_off == 0 && pg_ts_strip(&q) == -1, "strip twice");
			free(cp);
		}
		free(buf);
	}

	/*
	 * A shorter readable prefix of a longer packet (len stays the frame's): whatever the
	 * answer, nothing outside the prefix may be read (ASan: the copy is exactly that long)
	 * and a rewrite stays inside it.
	 */
	if (n > 1) {
		size_t m = (size_t)(h >> 40) % n;

		cp = dup_exact(d, m);
		memset(&q, 0, sizeof(q));
		r = pg_parse_len(&q, cp, cp + m, (uint32_t)n);
		if (r == PG_PARSE_TCP) {
			check_pkt_bounds(&q, cp, cp + m);
			pg_ts_rewrite(&q, (uint32_t)h, (uint32_t)(h >> 32));
		}
		free(cp);
	}
}

/* ---- 3: the pipeline ---------------------------------------------------------------------- */

/*
 * Run one direction (in: client to server) on buf, n bytes, and check the verdict against
 * what happened to the bytes. Returns the verdict.
 */
static int run_dir(struct pg_env *env, bool in, uint8_t *buf, size_t n, uint64_t now)
{
	uint8_t *before = dup_exact(buf, n);
	struct pg_pkt p, a;
	struct pg_flow *f = NULL;
	struct pg_flow_key key;
	uint32_t off = 0, floor = 0, want;
	bool tcp, valid = false, syn_state = false, orphan = false;
	int v;

	memset(&p, 0, sizeof(p));
	tcp = pg_parse(&p, before, before + n) == PG_PARSE_TCP;
	if (tcp) {
		valid = tcp_csum_valid(&p);
		if (!in && p.ts_off) {
			pg_pkt_flow_key(&p, false, &key);
			f = pg_env_flow(env, &key);
			if (f) {
				off = f->offset;
				syn_state = f->state == PG_FS_SYN;
				orphan = f->state == PG_FS_ORPHAN;
				floor = f->syn_raw;
			}
		}
	}

	v = in ? pg_ingress(env, buf, buf + n, now) : pg_egress(env, buf, buf + n, now);
	FZ_ASSERT(v == PG_V_PASS || v == PG_V_MODIFIED, "verdict %d", v);
	if (v == PG_V_PASS) {
		FZ_ASSERT(!memcmp(before, buf, n), "%s: PASS but bytes changed", in ? "in" : "out");
	} else {
		FZ_ASSERT(tcp && p.ts_off, "MODIFIED without a TS option");
		check_changes(in ? "pg_ingress" : "pg_egress", before, buf, n, &p);
		memset(&a, 0, sizeof(a));
		a.data = buf;
		a.l3 = buf + (p.l3 - before);
		a.th = buf + (p.th - before);
		a.family = p.family;
		FZ_ASSERT(!valid || tcp_csum_valid(&a), "%s: checksum broken", in ? "in" : "out");
		if (in && a.th[p.ts_off] == PG_TCPOPT_TS)
			FZ_ASSERT(pg_get_be32(a.th + p.ts_off + 2) != 0, "forwarded TSval 0");
		if (!in) {
			FZ_ASSERT(f, "egress MODIFIED without a flow");
			FZ_ASSERT(pg_get_be32(a.th + p.ts_off + 2) == p.tsval,
				  "egress changed TSval");
			/*
			 * TSecr - offset; before the handshake completes, never below the client's
			 * first SYN TSval (a SYN-ACK may echo an older SYN of the flow).
			 */
			want = p.tsecr - off;
			if (syn_state && (int32_t)(want - floor) < 0)
				want = floor;
			/*
			 * An orphan adopts from this echo (docs/DESIGN.md, "Learning a flow's
			 * offset"): the echo goes back as the client's latest raw TSval.
			 */
			if (orphan)
				want = floor;
			FZ_ASSERT(pg_get_be32(a.th + p.ts_off + 6) == want,
				  "egress TSecr %#x, want %#x (%#x - %#x, floor %#x)",
				  pg_get_be32(a.th + p.ts_off + 6), want, p.tsecr, off, floor);
		}
	}
	free(before);
	return v;
}

/* Swap addresses and ports: the reply direction. The checksum does not change. */
static void reverse(uint8_t *buf, const struct pg_pkt *p)
{
	uint8_t t[16];
	uint32_t a = p->family == 4 ? 12 : 8, l = p->family == 4 ? 4 : 16;
	uint8_t *b = buf + (p->l3 - p->data), *th = buf + (p->th - p->data);

	memcpy(t, b + a, l);
	memmove(b + a, b + a + l, l);
	memcpy(b + a + l, t, l);
	memcpy(t, th, 2);
	memmove(th, th + 2, 2);
	memcpy(th + 2, t, 2);
}

static void fuzz_pipeline(const uint8_t *d, size_t n, uint64_t h)
{
	static const struct pg_config defcfg = PG_CONFIG_DEFAULT;
	struct pg_env *env = calloc(1, sizeof(*env));
	uint64_t now = 1700000000ULL * PG_SEC_NS + (h & 0xffffffffffULL);
	uint8_t *buf, *rev;
	struct pg_pkt p;
	bool tcp_ts;
	int i;

	if (!env)
		abort();
	env->cfg = defcfg;
	env->flow_cap = (uint32_t)(h >> 20) % (FZ_FLOWS + 1);
	env->source_fail = ((h >> 24) & 15) == 0;

	memset(&p, 0, sizeof(p));
	buf = dup_exact(d, n);
	tcp_ts = pg_parse(&p, buf, buf + n) == PG_PARSE_TCP && p.ts_off;

	/* Client to server, then the reply, then the same segment again (a retransmit). */
	run_dir(env, true, buf, n, now);
	if (tcp_ts) {
		rev = dup_exact(d, n);
		reverse(rev, &p);
		run_dir(env, false, rev, n, now + PG_SEC_NS / 1000);
		free(rev);
	}
	memcpy(buf, d, n);
	run_dir(env, true, buf, n, now + 2 * PG_SEC_NS / 1000);

	/*
	 * The flow's later life: the segment as an ACK (established path), FIN, and a new SYN
	 * much later (4-tuple reuse). The checksum is recomputed so that validity can be kept
	 * as an invariant.
	 */
	if (tcp_ts) {
		static const uint8_t flags[] = {PG_TCP_ACK, PG_TCP_ACK | 0x08,
						PG_TCP_FIN | PG_TCP_ACK, PG_TCP_SYN};

		for (i = 0; i < 4; i++) {
			struct pg_pkt q;

			memcpy(buf, d, n);
			memset(&q, 0, sizeof(q));
			pg_parse(&q, buf, buf + n);
			q.th[13] = flags[i];
			if (i == 3)
				pg_put_be32(q.th + 4, q.seq + 1);
			tcp_csum_set(&q);
			run_dir(env, true, buf, n, now + (uint64_t)(i + 3) * 61 * PG_SEC_NS / 4);
			rev = dup_exact(buf, n);
			reverse(rev, &q);
			run_dir(env, false, rev, n,
				now + (uint64_t)(i + 3) * 61 * PG_SEC_NS / 4 + 1);
			free(rev);
		}
	}
	FZ_ASSERT(env->stats.c[PG_STAT_PACKETS] >= 2, "packets %llu",
		  (unsigned long long)env->stats.c[PG_STAT_PACKETS]);
	free(buf);
	free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fnv1a(data, size);

	if (size > 65535)
		return 0;
	fuzz_parse_rewrite(data, size, h);
	fuzz_pipeline(data, size, h);
	return 0;
}
