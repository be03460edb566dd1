/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Randomized checksum property test. Random TCP segments (IPv4 and IPv6, VLAN tags, IP
 * options and extension headers, random option layouts with the TS option at odd and even
 * offsets, odd and even payload lengths, Ethernet trailers) get a valid checksum from a
 * reference implementation written here; after pg_ts_rewrite() and pg_ts_strip() the
 * incrementally updated checksum must equal a full recompute exactly, and no byte but the
 * option and the checksum may change. The csum.h helpers are checked against each other
 * and against the reference too.
 *
 * Deterministic: a fixed seed unless one is given. Usage: test_csum [SEED [SEGMENTS]]
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pawsguard/parse.h"

#define DEFAULT_SEED	 0x7061777367756172ULL /* "pawsguar" */
#define DEFAULT_SEGMENTS 20000
#define FRAME_MAX	 2048

static uint64_t rng;
static uint64_t seed;
static unsigned long failures;

/* splitmix64: tiny, and the same sequence everywhere. */
static uint64_t rnd64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The modulo bias is irrelevant here. */
static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rnd64() % n);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd64();
}

/* Values that stress one's complement arithmetic, mixed with random ones. */
static uint32_t rnd_ts(uint32_t old)
{
	static const uint32_t special[] = {
		0,	    1,		0xffff,	    0x10000,	0xffff0000, 0xfffffffe,
		0xffffffff, 0x80000000, 0x7fffffff, 0x00ff00ff, 0xff00ff00,
	};

	switch (rnd(6)) {
	case 0:
	case 1:
		return special[rnd(PG_ARRAY_SIZE(special))];
	case 2:
		return old; /* unchanged value: the update must be a no-op */
	case 3:
		return old + 1 - 2 * rnd(2);
	default:
		return (uint32_t)rnd64();
	}
}

/* ---- reference checksum, deliberately independent of csum.h ------------------------------ */

static uint64_t ref_add(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint64_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint64_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* One's complement sum of the pseudo-header and the segment as it is (checksum included). */
static uint64_t ref_tcp_sum(int family, const uint8_t *l3, const uint8_t *th, uint32_t seglen)
{
	uint64_t s = 0;

	if (family == 4) {
		s = ref_add(s, l3 + 12, 8);
		s += PG_IPPROTO_TCP + seglen;
	} else {
		s = ref_add(s, l3 + 8, 32);
		s += (seglen >> 16) + (seglen & 0xffff) + PG_IPPROTO_TCP;
	}
	return ref_add(s, th, seglen);
}

/* The checksum a sender computes: with the field taken as zero. */
static uint16_t ref_tcp_csum(int family, const uint8_t *l3, uint8_t *th, uint32_t seglen)
{
	uint8_t save[2] = {th[16], th[17]};
	uint16_t c;

	th[16] = th[17] = 0;
	c = (uint16_t)~ref_fold(ref_tcp_sum(family, l3, th, seglen));
	th[16] = save[0];
	th[17] = save[1];
	return c;
}

static bool ref_tcp_valid(int family, const uint8_t *l3, const uint8_t *th, uint32_t seglen)
{
	return ref_fold(ref_tcp_sum(family, l3, th, seglen)) == 0xffff;
}

/* ---- segment generator ------------------------------------------------------------------- */

struct seg {
	uint8_t f[FRAME_MAX];
	uint32_t len;	 /* frame, trailer included */
	uint32_t l3off;	 /* IP header */
	uint32_t thoff;	 /* TCP header */
	uint32_t thlen;	 /* TCP header length */
	uint32_t seglen; /* TCP header + payload */
	int family;
	int ts_at; /* offset of the TS option from the TCP header, -1: none to be found */
	uint32_t tsval, tsecr;
	uint32_t steps; /* options the core walks before the end (EOL or header end) */
};

/*
 * Fill n option bytes with random well-formed options other than TS (and EOL when no_eol);
 * returns how many options the core walks there (an EOL stops the count), or -1 if a
 * random EOL ended the walk (the rest is then arbitrary bytes).
 */
static int fill_opts(uint8_t *o, uint32_t n, bool no_eol, uint32_t *steps)
{
	uint32_t off = 0, l;
	uint8_t kind;

	while (off < n) {
		uint32_t room = n - off;

		if (!no_eol && rnd(16) == 0) {
			/* EOL, then garbage: a TS-looking pattern there must be ignored. */
			o[off] = PG_TCPOPT_EOL;
			rnd_bytes(o + off + 1, room - 1);
			if (room >= 11 && rnd(2)) {
				o[off + 1] = PG_TCPOPT_TS;
				o[off + 2] = PG_TCPOLEN_TS;
			}
			return -1;
		}
		switch (rnd(5)) {
		case 0:
			l = 1;
			break;
		case 1:
			l = 2;
			break;
		case 2:
			l = 3;
			break;
		case 3:
			l = 4;
			break;
		default:
			l = 2 + rnd(room > 2 ? room - 1 : 1);
			break;
		}
		if (l > room)
			l = room;
		if (l == 1) {
			o[off] = PG_TCPOPT_NOP;
		} else {
			do {
				kind = (uint8_t)(2 + rnd(254));
			} while (kind == PG_TCPOPT_TS);
			o[off] = kind;
			o[off + 1] = (uint8_t)l;
			rnd_bytes(o + off + 2, l - 2);
		}
		off += l;
		(*steps)++;
	}
	return 0;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Options of olen bytes (a multiple of 4) at th + 20, TS option placed when with_ts. */
static void gen_options(struct seg *s, uint8_t *th, uint32_t olen, bool with_ts)
{
	uint8_t *o = th + 20;
	uint32_t pre, steps;
	int r;

	for (;;) {
		steps = 0;
		s->ts_at = -1;
		if (with_ts && olen >= PG_TCPOLEN_TS) {
			if (olen == 12 && rnd(2)) {
				pre = 2; /* NOP NOP TS: the fast path */
				o[0] = o[1] = PG_TCPOPT_NOP;
				steps = 2;
			} else {
				pre = rnd(olen - PG_TCPOLEN_TS + 1);
				fill_opts(o, pre, true, &steps);
			}
			s->ts_at = (int)(20 + pre);
			s->tsval = rnd_ts((uint32_t)rnd64());
			s->tsecr = rnd_ts((uint32_t)rnd64());
			o[pre] = PG_TCPOPT_TS;
			o[pre + 1] = PG_TCPOLEN_TS;
			pg_put_be32(o + pre + 2, s->tsval);
			pg_put_be32(o + pre + 6, s->tsecr);
			steps++;
			r = fill_opts(o + pre + PG_TCPOLEN_TS, olen - pre - PG_TCPOLEN_TS, false,
				      &steps);
		} else {
			r = fill_opts(o, olen, false, &steps);
		}
		(void)r;
		/* Keep under the walk's cap; the cap itself is the corpus test's business. */
		if (steps < PG_OPT_MAX_STEPS)
			break;
	}
	s->steps = steps;
}

static void gen_segment(struct seg *s)
{
	uint8_t *p = s->f, *l3, *th;
	uint32_t tags = rnd(3), i, ihl, olen, plen_pay, ext, extlen = 0, trailer;
	bool with_ts = rnd(10) != 0;
	uint8_t *nhp;

	memset(s, 0, sizeof(*s));
	rnd_bytes(p, 12); /* MACs */
	p += 12;
	for (i = 0; i < tags; i++) {
		put16(p, i == 0 && rnd(2) ? PG_ETH_P_8021AD : PG_ETH_P_8021Q);
		put16(p + 2, rnd(4096));
		p += 4;
	}
	s->family = rnd(2) ? 4 : 6;
	put16(p, s->family == 4 ? PG_ETH_P_IP : PG_ETH_P_IPV6);
	p += 2;
	l3 = p;
	s->l3off = (uint32_t)(l3 - s->f);

	if (s->family == 4) {
		ihl = 20 + 4 * (rnd(4) ? 0 : rnd(11));
		l3[0] = (uint8_t)(0x40 | ihl / 4);
		l3[1] = (uint8_t)rnd(256);
		put16(l3 + 4, rnd(65536));
		put16(l3 + 6, rnd(2) ? 0x4000 : 0); /* DF or nothing: never a fragment */
		l3[8] = (uint8_t)(1 + rnd(255));
		l3[9] = PG_IPPROTO_TCP;
		rnd_bytes(l3 + 10, 10); /* header checksum (not ours), addresses */
		memset(l3 + 20, PG_TCPOPT_NOP, ihl - 20);
		th = l3 + ihl;
	} else {
		l3[0] = (uint8_t)(0x60 | rnd(16));
		rnd_bytes(l3 + 1, 3);
		l3[7] = (uint8_t)rnd(256);
		rnd_bytes(l3 + 8, 32);
		nhp = l3 + 6;
		p = l3 + 40;
		ext = rnd(2) ? 0 : rnd(PG_IP6_EXT_MAX + 1);
		for (i = 0; i < ext; i++) {
			static const uint8_t types[] = {PG_IP6_HOPOPTS, PG_IP6_ROUTING,
							PG_IP6_DSTOPTS};
			uint32_t hl = rnd(3);

			*nhp = types[rnd(3)];
			nhp = p;
			p[1] = (uint8_t)hl;
			rnd_bytes(p + 2, 8 * (hl + 1) - 2);
			p += 8 * (hl + 1);
		}
		*nhp = PG_IPPROTO_TCP;
		extlen = (uint32_t)(p - (l3 + 40));
		th = p;
	}

	olen = 4 * rnd(11);
	if (with_ts && rnd(3) == 0)
		olen = 12; /* common on the wire */
	rnd_bytes(th, 20);
	th[12] = (uint8_t)((5 + olen / 4) << 4 | (th[12] & 0x0f));
	s->thlen = 20 + olen;
	gen_options(s, th, olen, with_ts);

	switch (rnd(4)) {
	case 0:
		plen_pay = 0;
		break;
	case 1:
		plen_pay = 1 + rnd(16);
		break;
	default:
		plen_pay = rnd(1460 + 1);
		break;
	}
	rnd_bytes(th + s->thlen, plen_pay);
	s->seglen = s->thlen + plen_pay;
	s->thoff = (uint32_t)(th - s->f);

	if (s->family == 4)
		put16(l3 + 2, (uint32_t)(th - l3) + s->seglen);
	else
		put16(l3 + 4, extlen + s->seglen);
	s->len = s->thoff + s->seglen;

	/* Ethernet trailer: beyond the IP packet, not part of the checksum. */
	trailer = rnd(5) == 0 ? 1 + rnd(16) : 0;
	rnd_bytes(s->f + s->len, trailer);
	s->len += trailer;

	put16(th + 16, ref_tcp_csum(s->family, l3, th, s->seglen));
}

/* ---- checks ------------------------------------------------------------------------------ */

static void dump(const char *what, const uint8_t *b, uint32_t n)
{
	uint32_t i;

	fprintf(stderr, "  %s:", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", b[i]);
	fputc('\n', stderr);
}

static void fail(const char *op, unsigned long iter, const struct seg *s, const uint8_t *before,
		 const uint8_t *after, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void fail(const char *op, unsigned long iter, const struct seg *s, const uint8_t *before,
		 const uint8_t *after, const char *fmt, ...)
{
	va_list ap;

	failures++;
	if (failures > 10)
		return;
	fprintf(stderr, "FAIL seed %#" PRIx64 " segment %lu: %s: ", seed, iter, op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  family %d, thoff %u, thlen %u, seglen %u, ts_off %d (%s), len %u\n",
		s->family, s->thoff, s->thlen, s->seglen, s->ts_at,
		s->ts_at >= 0 ? (s->ts_at & 1 ? "odd" : "even") : "-", s->len);
	dump("before", before, s->len);
	dump("after", after, s->len);
}

struct counts {
	unsigned long segs, v4, v6, ts_odd, ts_even, fast, no_ts, rewrites, strips, zero_csum,
		noncanon, trailer, same_value;
};

/*
 * After an update: the checksum field must be exactly what a sender computes from scratch.
 * The only tolerated difference is the other zero, 0xffff for 0x0000, and only when the
 * field held the non-canonical 0xffff before (the incremental update cannot produce it
 * from a canonical value; that it does not is part of what this checks).
 */
static void check_csum(const char *op, unsigned long iter, struct seg *s, const uint8_t *before,
		       bool was_canonical)
{
	uint8_t *th = s->f + s->thoff, *l3 = s->f + s->l3off;
	uint16_t got = pg_get_be16(th + 16);
	uint16_t want = ref_tcp_csum(s->family, l3, th, s->seglen);

	if (!ref_tcp_valid(s->family, l3, th, s->seglen))
		fail(op, iter, s, before, s->f, "checksum %#06x invalid (full recompute %#06x)",
		     got, want);
	else if (got != want && (was_canonical || got != 0xffff || want != 0))
		fail(op, iter, s, before, s->f, "checksum %#06x, full recompute %#06x", got, want);
}

/* Only the bytes in [lo, hi) of the TCP header and the checksum may differ. */
static void check_only(const char *op, unsigned long iter, const struct seg *s,
		       const uint8_t *before, uint32_t lo, uint32_t hi)
{
	uint32_t i, at;

	for (i = 0; i < s->len; i++) {
		at = i - s->thoff;
		if (i >= s->thoff && ((at >= lo && at < hi) || at == 16 || at == 17))
			continue;
		if (before[i] != s->f[i]) {
			fail(op, iter, s, before, s->f, "byte %u changed (%#x -> %#x)", i,
			     before[i], s->f[i]);
			return;
		}
	}
}

static void test_segment(unsigned long iter, struct counts *n)
{
	static struct seg s;
	uint8_t before[FRAME_MAX];
	struct pg_pkt pkt;
	uint8_t *th;
	uint32_t v, e, k, rounds;
	bool canon = true;
	int rc;

	gen_segment(&s);
	th = s.f + s.thoff;
	n->segs++;
	*(s.family == 4 ? &n->v4 : &n->v6) += 1;
	n->trailer += s.len > s.thoff + s.seglen;

	/*
	 * Now and then force the checksum to 0x0000 (add its value into the first payload
	 * word: the sum then folds to 0xffff), and sometimes store that zero as 0xffff, the
	 * other representation a receiver accepts.
	 */
	if (s.seglen - s.thlen >= 2 && rnd(20) == 0) {
		uint8_t *w = th + s.thlen; /* even offset from th: thlen is a multiple of 4 */
		uint32_t c = pg_get_be16(th + 16), x = pg_get_be16(w) + c;

		put16(w, (x & 0xffff) + (x >> 16));
		put16(th + 16, ref_tcp_csum(s.family, s.f + s.l3off, th, s.seglen));
		if (pg_get_be16(th + 16) != 0) {
			fprintf(stderr, "test bug: forced checksum is %#x\n", pg_get_be16(th + 16));
			exit(2);
		}
		n->zero_csum++;
		if (rnd(2)) {
			put16(th + 16, 0xffff);
			canon = false;
			n->noncanon++;
		}
	}

	memset(&pkt, 0, sizeof(pkt));
	rc = pg_parse(&pkt, s.f, s.f + s.len);
	if (rc != PG_PARSE_TCP || pkt.th != th || pkt.thlen != s.thlen ||
	    pkt.ts_off != (s.ts_at < 0 ? 0 : s.ts_at)) {
		fail("parse", iter, &s, s.f, s.f, "rc %d ts_off %u (want 0, %d)", rc, pkt.ts_off,
		     s.ts_at);
		return;
	}
	if (s.ts_at < 0) {
		n->no_ts++;
		memcpy(before, s.f, s.len);
		if (pg_ts_rewrite(&pkt, 1, 2) != -1 || pg_ts_strip(&pkt) != -1 ||
		    memcmp(before, s.f, s.len))
			fail("no TS", iter, &s, before, s.f,
			     "rewrite/strip changed a segment without a TS option");
		return;
	}
	if (pkt.tsval != s.tsval || pkt.tsecr != s.tsecr) {
		fail("parse", iter, &s, s.f, s.f, "values %#x %#x", pkt.tsval, pkt.tsecr);
		return;
	}
	*(s.ts_at & 1 ? &n->ts_odd : &n->ts_even) += 1;
	n->fast += s.ts_at == 22 && s.thlen == 32;

	/* A few rewrites in a row: the output of one update is the input of the next. */
	/*
	 * A few rewrites in a row, the output of one update the input of the next: both values
	 * (pg_ts_rewrite), or one alone as the dataplanes do (TSval on ingress, TSecr on egress).
	 */
	rounds = 1 + rnd(3);
	for (k = 0; k < rounds; k++) {
		uint32_t how = rnd(4), lo = (uint32_t)s.ts_at + 2, hi = (uint32_t)s.ts_at + 10;
		const char *op;
		int r;

		memcpy(before, s.f, s.len);
		v = rnd_ts(pkt.tsval);
		e = rnd_ts(pkt.tsecr);
		if (how == 0) {
			op = "pg_ts_set_tsval";
			e = pkt.tsecr;
			hi = lo + 4;
			r = pg_ts_set_tsval(&pkt, v);
		} else if (how == 1) {
			op = "pg_ts_set_tsecr";
			v = pkt.tsval;
			lo += 4;
			r = pg_ts_set_tsecr(&pkt, e);
		} else {
			op = "pg_ts_rewrite";
			r = pg_ts_rewrite(&pkt, v, e);
		}
		n->same_value += v == pg_get_be32(before + s.thoff + s.ts_at + 2) &&
				 e == pg_get_be32(before + s.thoff + s.ts_at + 6);
		if (r) {
			fail(op, iter, &s, before, s.f, "refused %#x %#x", v, e);
			return;
		}
		n->rewrites++;
		if (pg_get_be32(th + s.ts_at + 2) != v || pg_get_be32(th + s.ts_at + 6) != e ||
		    pkt.tsval != v || pkt.tsecr != e)
			fail(op, iter, &s, before, s.f, "values not written: %#x %#x", v, e);
		check_only(op, iter, &s, before, lo, hi);
		check_csum(op, iter, &s, before, canon);
		canon = pg_get_be16(th + 16) != 0xffff;
	}

	memcpy(before, s.f, s.len);
	if (pg_ts_strip(&pkt)) {
		fail("strip", iter, &s, before, s.f, "refused");
		return;
	}
	n->strips++;
	for (k = 0; k < PG_TCPOLEN_TS; k++)
		if (th[s.ts_at + k] != PG_TCPOPT_NOP)
			fail("strip", iter, &s, before, s.f, "byte %u is %#x, not a NOP",
			     (uint32_t)s.ts_at + k, th[s.ts_at + k]);
	check_only("strip", iter, &s, before, (uint32_t)s.ts_at, (uint32_t)s.ts_at + PG_TCPOLEN_TS);
	check_csum("strip", iter, &s, before, canon);
}

/* ---- the csum.h helpers ------------------------------------------------------------------ */

static void helper_fail(const char *what, uint32_t a, uint32_t b, uint32_t c)
{
	failures++;
	if (failures <= 10)
		fprintf(stderr, "FAIL %s: %#x %#x %#x\n", what, a, b, c);
}

static void test_helpers(void)
{
	static const uint32_t special[] = {
		0,	    1,		0xff,	    0xffff,	0x10000,    0xff00ff00,
		0x00ff00ff, 0xffff0000, 0xfffffffe, 0xffffffff, 0x80000000,
	};
	uint8_t buf[FRAME_MAX + 2], b4[4], m[16];
	uint32_t i, v, odd, n, off, fl;
	uint64_t s;

	for (i = 0; i < 200000; i++) {
		v = i < PG_ARRAY_SIZE(special) ? special[i] : (uint32_t)rnd64();
		pg_put_be32(b4, v);
		for (odd = 0; odd < 2; odd++) {
			/* Same unfolded sum as summing the bytes one by one. */
			if (pg_csum_word32(v, odd) != pg_csum_bytes(b4, 4, odd))
				helper_fail("pg_csum_word32 != pg_csum_bytes", v, odd,
					    pg_csum_word32(v, odd));
			/* And as the reference, the bytes placed at that parity in a buffer. */
			memset(buf, 0, 8);
			memcpy(buf + odd, b4, 4);
			if (pg_csum_fold(pg_csum_word32(v, odd)) != ref_fold(ref_add(0, buf, 8)))
				helper_fail("pg_csum_word32 != reference", v, odd, 0);
		}
		/* oddswap: v's odd-offset contribution, as an even-offset value. */
		if (pg_csum_word32(pg_csum_oddswap32(v), 0) != pg_csum_word32(v, 1))
			helper_fail("pg_csum_oddswap32", v, pg_csum_oddswap32(v), 0);
		if (pg_csum_oddswap32(pg_csum_oddswap32(v)) != v)
			helper_fail("pg_csum_oddswap32 twice", v, 0, 0);
		/* fold: congruent mod 0xffff, 16 bits, zero only for zero. */
		fl = pg_csum_fold(v);
		if (fl % 0xffff != v % 0xffff || (fl == 0) != (v == 0))
			helper_fail("pg_csum_fold", v, fl, 0);
	}

	for (i = 0; i < 20000; i++) {
		n = rnd(4) ? rnd(64) : rnd(FRAME_MAX);
		odd = rnd(2);
		rnd_bytes(buf, sizeof(buf));
		/* pg_csum_bytes at a parity == reference over the bytes placed at that parity. */
		memmove(buf + odd, buf, n);
		if (odd)
			buf[0] = 0;
		s = ref_add(0, buf, n + odd);
		if (pg_csum_fold(pg_csum_bytes(buf + odd, n, odd)) != ref_fold(s))
			helper_fail("pg_csum_bytes", n, odd, ref_fold(s));
		if (pg_csum_partial(buf, n + odd, 0) != ref_fold(s))
			helper_fail("pg_csum_partial", n + odd, pg_csum_partial(buf, n + odd, 0),
				    ref_fold(s));
	}

	/*
	 * pg_csum_update on its own: a buffer whose checksum at offset 16 covers it all; change
	 * 1 to 16 bytes anywhere else (any parity) and compare with a recompute.
	 */
	for (i = 0; i < 100000; i++) {
		uint16_t want, got;

		n = 40 + rnd(200);
		rnd_bytes(buf, n);
		buf[16] = buf[17] = 0;
		put16(buf + 16, (uint16_t)~ref_fold(ref_add(0, buf, n)));
		v = 1 + rnd(16);
		do {
			off = rnd(n - v + 1);
		} while (off < 18 && off + v > 16);
		rnd_bytes(m, v);
		if (rnd(8) == 0)
			memset(m, rnd(2) ? 0 : 0xff, v);
		s = pg_csum_bytes(buf + off, v, off & 1);
		memcpy(buf + off, m, v);
		pg_csum_update(buf + 16, (uint32_t)s, pg_csum_bytes(m, v, off & 1));
		got = pg_get_be16(buf + 16);
		buf[16] = buf[17] = 0;
		want = (uint16_t)~ref_fold(ref_add(0, buf, n));
		if (got != want)
			helper_fail("pg_csum_update", off << 8 | v, got, want);
	}
}

int main(int argc, char **argv)
{
	unsigned long segments = DEFAULT_SEGMENTS, i;
	struct counts n = {0};

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_SEED;
	if (argc > 2)
		segments = strtoul(argv[2], NULL, 0);
	rng = seed;

	test_helpers();
	for (i = 0; i < segments; i++)
		test_segment(i, &n);

	printf("seed %#" PRIx64 ": %lu segments (%lu IPv4, %lu IPv6, %lu with trailer); TS at odd "
	       "%lu, even %lu (fast path %lu), none %lu; %lu rewrites (%lu same value), %lu "
	       "strips; forced zero checksum %lu (%lu as 0xffff); %lu failures\n",
	       seed, n.segs, n.v4, n.v6, n.trailer, n.ts_odd, n.ts_even, n.fast, n.no_ts,
	       n.rewrites, n.same_value, n.strips, n.zero_csum, n.noncanon, failures);
	/* A generator that stopped producing a layout would make this test vacuous. */
	if (segments >= DEFAULT_SEGMENTS &&
	    (n.ts_odd < 1000 || n.ts_even < 1000 || n.fast < 100 || n.v4 < 1000 || n.v6 < 1000 ||
	     n.noncanon < 50 || n.trailer < 100 || n.same_value < 50)) {
		fprintf(stderr, "FAIL: generator coverage too low\n");
		return 1;
	}
	return failures ? 1 : 0;
}
