/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Simulation: real frames. Builds Ethernet (optional 802.1Q tag) + IPv4 (optional options)
 * or IPv6 (optional destination options header) + TCP with a choice of option layouts that
 * put the TS option at even and odd offsets, with correct IP and TCP checksums; and reads
 * frames back, verifying both checksums.
 *
 * Written independently of include/pawsguard/parse.h on purpose: the model of the server
 * and of the clients must see the bytes the way a TCP stack would, not the way the code
 * under test does, or a parsing bug would be invisible (common mode).
 */
#ifndef SIM_PKT_H
#define SIM_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pawsguard/types.h"

#define SIM_PKT_MAX	192 /* 14 + 4 + 40 + 8 + 60 + payload (<= 48) fits */
#define SIM_PAYLOAD_MAX 48

#define SIM_FIN 0x01
#define SIM_SYN 0x02
#define SIM_RST 0x04
#define SIM_PSH 0x08
#define SIM_ACK 0x10

/* Option layouts: one per simulated client "stack", SYN and non-SYN variants. */
#define SIM_LAYOUTS 4

/* A segment to build. Addresses are IPv4-mapped for family 4, ports host order. */
struct sim_seg {
	uint8_t family;
	uint8_t flags;
	uint8_t layout; /* 0 .. SIM_LAYOUTS - 1 */
	bool ts;	/* carry a TS option */
	bool vlan;	/* add an 802.1Q tag */
	bool l3opt;	/* IPv4 options / IPv6 destination options header */
	uint16_t sport, dport;
	uint16_t payload;
	struct pg_addr src, dst;
	uint32_t seq, ack, tsval, tsecr;
};

/* What a receiver reads from a frame. Offsets are from the start of the frame. */
struct sim_view {
	uint8_t family;
	uint8_t flags;
	bool ts;
	bool csum_ok; /* IPv4 header checksum and TCP checksum both valid */
	uint16_t sport, dport;
	struct pg_addr src, dst;
	uint32_t seq, ack, tsval, tsecr;
	uint32_t th; /* TCP header */
	uint32_t thlen;
	uint32_t ts_off; /* TS option kind byte; 0 when absent */
	uint32_t l3;
	uint32_t seglen;
	uint32_t len;
};

static inline void sim_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void sim_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t sim_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t sim_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Plain one's complement sum of n bytes, as if they started at an even offset. */
static inline uint32_t sim_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t sim_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Pseudo-header + segment sum; 0xffff when the checksum in the segment is right. */
static inline uint16_t sim_tcp_sum(uint8_t family, const uint8_t *l3, const uint8_t *th,
				   uint32_t seglen)
{
	uint32_t s = 0;

	if (family == 4) {
		s = sim_sum(l3 + 12, 8, 0);
	} else {
		s = sim_sum(l3 + 8, 32, 0);
		s += seglen >> 16;
	}
	s += 6 + (seglen & 0xffff);
	return sim_fold(sim_sum(th, seglen, s));
}

/* TCP options of a layout; returns their length (a multiple of 4). */
static inline uint32_t sim_opts(uint8_t *o, const struct sim_seg *s)
{
	bool syn = s->flags & SIM_SYN;
	uint32_t n = 0;

#define OPT(...)                                                                                   \
	do {                                                                                       \
		const uint8_t b_[] = {__VA_ARGS__};                                                \
		memcpy(o + n, b_, sizeof(b_));                                                     \
		n += sizeof(b_);                                                                   \
	} while (0)
#define TS()                                                                                       \
	do {                                                                                       \
		OPT(8, 10, 0, 0, 0, 0, 0, 0, 0, 0);                                                \
		sim_put32(o + n - 8, s->tsval);                                                    \
		sim_put32(o + n - 4, s->tsecr);                                                    \
	} while (0)

	if (syn && !s->ts) {
		OPT(2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7); /* MSS, SACK_PERM, NOP, WS */
		OPT(1, 1);
	} else if (syn) {
		switch (s->layout) {
		case 0: /* Linux: MSS, SACK_PERM, TS, NOP, WS; TS at 26 */
			OPT(2, 4, 0x05, 0xb4, 4, 2);
			TS();
			OPT(1, 3, 3, 7);
			break;
		case 1: /* BSD-like: MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL, EOL; TS at 30 */
			OPT(2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1);
			TS();
			OPT(4, 2, 0, 0);
			break;
		case 2: /* MSS, WS, TS (odd offset 27), NOP, NOP, EOL */
			OPT(2, 4, 0x05, 0xb4, 3, 3, 7);
			TS();
			OPT(1, 1, 0);
			break;
		default: /* TS first (20), MSS, NOP, NOP */
			TS();
			OPT(2, 4, 0x05, 0xb4, 1, 1);
			break;
		}
	} else if (s->ts) {
		switch (s->layout) {
		case 0: /* NOP, NOP, TS: the 32-byte header every Linux segment has */
			OPT(1, 1);
			TS();
			break;
		case 1: /* TS at 20, NOP, NOP */
			TS();
			OPT(1, 1);
			break;
		case 2: /* NOP, TS at the odd offset 21, NOP */
			OPT(1);
			TS();
			OPT(1);
			break;
		default: /* NOP, NOP, SACK one block, NOP, NOP, TS */
			OPT(1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0);
			OPT(1, 1);
			TS();
			break;
		}
	}
#undef TS
#undef OPT
	return n;
}

/* Build a frame into buf (SIM_PKT_MAX bytes); returns its length. */
static inline uint32_t sim_build(uint8_t *buf, const struct sim_seg *s)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	uint32_t l3, l3len, th, thlen, seglen, n, i;
	uint8_t *p;

	memset(buf, 0, SIM_PKT_MAX);
	memcpy(buf, mac, 12);
	n = 12;
	if (s->vlan) {
		sim_put16(buf + n, 0x8100);
		sim_put16(buf + n + 2, 42);
		n += 4;
	}
	sim_put16(buf + n, s->family == 4 ? 0x0800 : 0x86dd);
	l3 = n + 2;
	if (s->family == 4)
		l3len = s->l3opt ? 24 : 20;
	else
		l3len = s->l3opt ? 48 : 40;
	th = l3 + l3len;
	thlen = 20 + sim_opts(buf + th + 20, s);
	seglen = thlen + s->payload;

	p = buf + th;
	sim_put16(p, s->sport);
	sim_put16(p + 2, s->dport);
	sim_put32(p + 4, s->seq);
	sim_put32(p + 8, s->ack);
	p[12] = (uint8_t)(thlen / 4) << 4;
	p[13] = s->flags;
	sim_put16(p + 14, 65535);
	for (i = 0; i < s->payload; i++)
		p[thlen + i] = (uint8_t)(s->seq + i * 7);

	p = buf + l3;
	if (s->family == 4) {
		p[0] = (uint8_t)(0x40 | l3len / 4);
		sim_put16(p + 2, (uint16_t)(l3len + seglen));
		sim_put16(p + 4, (uint16_t)s->seq);
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, &s->src.b[12], 4);
		memcpy(p + 16, &s->dst.b[12], 4);
		if (s->l3opt) {
			p[20] = 1; /* NOP, NOP, NOP, EOL */
			p[21] = 1;
			p[22] = 1;
		}
		sim_put16(p + 10, (uint16_t)~sim_fold(sim_sum(p, l3len, 0)));
	} else {
		p[0] = 0x60;
		sim_put16(p + 4, (uint16_t)(l3len - 40 + seglen));
		p[6] = s->l3opt ? 60 : 6;
		p[7] = 64;
		memcpy(p + 8, s->src.b, 16);
		memcpy(p + 24, s->dst.b, 16);
		if (s->l3opt) {
			p[40] = 6; /* destination options: next TCP, PadN over 6 bytes */
			p[42] = 1;
			p[43] = 4;
		}
	}
	sim_put16(buf + th + 16, (uint16_t)~sim_tcp_sum(s->family, p, buf + th, seglen));
	return th + seglen;
}

/* Read a frame built by sim_build (or rewritten since). Returns false if not understood. */
static inline bool sim_read(struct sim_view *v, const uint8_t *buf, uint32_t len)
{
	uint32_t n = 12, l3, l3len, seglen, off;
	const uint8_t *ip, *t;
	uint16_t proto;
	bool ipok = true;

	memset(v, 0, sizeof(*v));
	v->len = len;
	proto = sim_get16(buf + n);
	if (proto == 0x8100) {
		n += 4;
		proto = sim_get16(buf + n);
	}
	l3 = n + 2;
	ip = buf + l3;
	if (proto == 0x0800) {
		l3len = (ip[0] & 15) * 4u;
		if (ip[9] != 6)
			return false;
		seglen = sim_get16(ip + 2) - l3len;
		ipok = sim_fold(sim_sum(ip, l3len, 0)) == 0xffff;
		v->family = 4;
		memset(&v->src, 0, sizeof(v->src));
		memset(&v->dst, 0, sizeof(v->dst));
		v->src.b[10] = v->src.b[11] = v->dst.b[10] = v->dst.b[11] = 0xff;
		memcpy(&v->src.b[12], ip + 12, 4);
		memcpy(&v->dst.b[12], ip + 16, 4);
	} else if (proto == 0x86dd) {
		l3len = 40;
		if (ip[6] == 60)
			l3len += (ip[41] + 1u) * 8;
		else if (ip[6] != 6)
			return false;
		seglen = sim_get16(ip + 4) + 40 - l3len;
		v->family = 6;
		memcpy(v->src.b, ip + 8, 16);
		memcpy(v->dst.b, ip + 24, 16);
	} else {
		return false;
	}
	v->l3 = l3;
	v->th = l3 + l3len;
	v->seglen = seglen;
	if (v->th + seglen > len)
		return false;
	t = buf + v->th;
	v->sport = sim_get16(t);
	v->dport = sim_get16(t + 2);
	v->seq = sim_get32(t + 4);
	v->ack = sim_get32(t + 8);
	v->thlen = (t[12] >> 4) * 4u;
	v->flags = t[13];
	v->csum_ok = ipok && sim_tcp_sum(v->family, ip, t, seglen) == 0xffff;
	/* Option walk as a stack does it (tcp_parse_options): kinds, lengths, EOL. */
	for (off = 20; off < v->thlen;) {
		uint8_t kind = t[off], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			off++;
			continue;
		}
		if (off + 2 > v->thlen)
			break;
		olen = t[off + 1];
		if (olen < 2 || off + olen > v->thlen)
			break;
		if (kind == 8 && olen == 10) {
			v->ts = true;
			v->ts_off = v->th + off;
			v->tsval = sim_get32(t + off + 2);
			v->tsecr = sim_get32(t + off + 6);
		}
		off += olen;
	}
	return true;
}

/*
 * Rewrite a 32-bit field of a frame and fix the TCP checksum from scratch: used only by the
 * fault injections (a broken dataplane), never on the path under test.
 */
static inline void sim_poke32(uint8_t *buf, uint32_t len, uint32_t off, uint32_t val)
{
	struct sim_view v;

	sim_put32(buf + off, val);
	if (!sim_read(&v, buf, len))
		return;
	sim_put16(buf + v.th + 16, 0);
	sim_put16(buf + v.th + 16,
		  (uint16_t)~sim_tcp_sum(v.family, buf + v.l3, buf + v.th, v.seglen));
}

#endif /* SIM_PKT_H */
