/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing over (data, data_end): Ethernet, up to two VLAN tags, IPv4 (options),
 * IPv6 (hop-by-hop, routing, destination options), TCP and its timestamp option; and the
 * in-place TSval/TSecr rewrite and option strip with incremental checksum updates.
 *
 * Every read is bounds-checked against end, every loop has a fixed cap, so the same code
 * passes the BPF verifier and is safe on arbitrary input in userspace (it is fuzzed).
 * Anything not understood is reported by reason (an enum pg_stat_id) and left untouched.
 */
#ifndef PAWSGUARD_PARSE_H
#define PAWSGUARD_PARSE_H

#include "compat.h"
#include "csum.h"
#include "types.h"

#define PG_ETH_HLEN	14
#define PG_ETH_P_IP	0x0800
#define PG_ETH_P_IPV6	0x86DD
#define PG_ETH_P_8021Q	0x8100
#define PG_ETH_P_8021AD 0x88A8
#define PG_IPPROTO_TCP	6
#define PG_IP6_HOPOPTS	0
#define PG_IP6_ROUTING	43
#define PG_IP6_FRAGMENT 44
#define PG_IP6_DSTOPTS	60
#define PG_IP6_EXT_MAX	4 /* extension headers walked before giving up */
#define PG_VLAN_MAX	2

#define PG_TCP_FIN 0x01
#define PG_TCP_SYN 0x02
#define PG_TCP_RST 0x04
#define PG_TCP_ACK 0x10

#define PG_TCPOPT_EOL	0
#define PG_TCPOPT_NOP	1
#define PG_TCPOPT_TS	8
#define PG_TCPOLEN_TS	10
#define PG_TCP_CSUM_OFF 16
/*
 * Options walked before giving up. 40 option bytes could hold 40 NOPs, but no real stack
 * sends more than about 8 options; a header that needs more steps is not understood.
 */
#define PG_OPT_MAX_STEPS 16

/* Parse result 0: a TCP segment; anything else is an enum pg_stat_id reason. */
#define PG_PARSE_TCP 0

struct pg_pkt {
	uint8_t *data;
	uint8_t *end;	/* data_end: one past the last readable byte */
	uint32_t len;	/* whole packet: more than end - data when only the headers are linear */
	uint8_t *l3;	/* IPv4 or IPv6 header */
	uint8_t *th;	/* TCP header */
	uint32_t seq;	/* host order */
	uint32_t tsval; /* host order, valid when ts_off != 0 */
	uint32_t tsecr;
	uint16_t thlen;	 /* TCP header length in bytes */
	uint16_t ts_off; /* offset of the TS option's kind byte from th; 0 when absent */
	uint8_t family;	 /* 4 or 6 */
	uint8_t flags;	 /* TCP flags byte */
	uint8_t pad[2];
};

/* One step of the TCP option walk. */
struct pg_optwalk {
	const uint8_t *th;
	const uint8_t *end;
	uint32_t hlen; /* TCP header length */
	uint32_t off;  /* next option, from th */
	uint32_t cur;  /* offset of the option just returned */
	uint8_t kind;
	uint8_t len;
};

#define PG_OPT_END (-1)

/*
 * Step over one option: 0 with w->kind/len/cur set, PG_OPT_END at EOL or header end, or a
 * reason when the option is malformed. A length is accepted only if the option fits.
 */
PG_INLINE int pg_opt_next(struct pg_optwalk *w)
{
	const uint8_t *p;
	uint32_t off = w->off;

	if (off >= w->hlen)
		return PG_OPT_END;
	/* Bounds the offset for the verifier: it learns nothing from off < hlen (clang 14). */
	off &= 63;
	p = w->th + off;
	if (p + 1 > w->end)
		return PG_STAT_OPT_OVERRUN;
	w->kind = p[0];
	w->cur = off;
	if (w->kind == PG_TCPOPT_EOL)
		return PG_OPT_END;
	if (w->kind == PG_TCPOPT_NOP) {
		w->len = 1;
		w->off = off + 1;
		return 0;
	}
	if (off + 2 > w->hlen || p + 2 > w->end)
		return PG_STAT_OPT_OVERRUN;
	w->len = p[1];
	if (w->len < 2)
		return PG_STAT_OPT_LEN;
	if (off + w->len > w->hlen)
		return PG_STAT_OPT_OVERRUN;
	w->off = off + w->len;
	return 0;
}

/* Find the timestamp option; sets pkt->ts_off/tsval/tsecr. Returns 0 or a reason. */
PG_INLINE int pg_tcp_find_ts(struct pg_pkt *pkt)
{
	struct pg_optwalk w = {.th = pkt->th, .end = pkt->end, .hlen = pkt->thlen, .off = 20};
	uint32_t ts_off = 0;
	const uint8_t *o;
	int i, rc;

	pkt->ts_off = 0;
	pkt->tsval = pkt->tsecr = 0; /* 0 without the option: the decision copies them */
	if (pkt->thlen <= 20)
		return 0;
	o = pkt->th + 20;
	/*
	 * Fast path, as the kernel's tcp_parse_aligned_timestamp(): a 32-byte header holding
	 * NOP, NOP, TS is what Linux and most stacks send on every established segment, and
	 * those 12 bytes leave no room for another option.
	 */
	if (pkt->thlen == 32 && o + 12 <= pkt->end && o[0] == PG_TCPOPT_NOP &&
	    o[1] == PG_TCPOPT_NOP && o[2] == PG_TCPOPT_TS && o[3] == PG_TCPOLEN_TS) {
		pkt->ts_off = 22;
		pkt->tsval = pg_get_be32(o + 4);
		pkt->tsecr = pg_get_be32(o + 8);
		return 0;
	}
	/* One step more than options allowed: the last may only find the end. */
	for (i = 0; i <= PG_OPT_MAX_STEPS; i++) {
		rc = pg_opt_next(&w);
		if (rc == PG_OPT_END)
			break;
		if (rc)
			return rc;
		if (i == PG_OPT_MAX_STEPS)
			return PG_STAT_OPT_CAP;
		if (w.kind != PG_TCPOPT_TS)
			continue;
		if (w.len != PG_TCPOLEN_TS)
			return PG_STAT_TS_LEN;
		if (ts_off)
			return PG_STAT_TS_DUP;
		ts_off = w.cur;
	}
	if (ts_off) {
		ts_off &= 63;
		o = pkt->th + ts_off;
		if (o + PG_TCPOLEN_TS > pkt->end)
			return PG_STAT_OPT_OVERRUN;
		pkt->ts_off = (uint16_t)ts_off;
		pkt->tsval = pg_get_be32(o + 2);
		pkt->tsecr = pg_get_be32(o + 6);
	}
	return 0;
}

PG_INLINE int pg_parse_tcp(struct pg_pkt *pkt, uint8_t *th, uint32_t seglen)
{
	uint32_t hlen;

	if (th + 20 > pkt->end || seglen < 20)
		return PG_STAT_BAD_TCP;
	hlen = (uint32_t)(th[12] >> 4) * 4;
	if (hlen < 20 || hlen > seglen || th + hlen > pkt->end)
		return PG_STAT_BAD_TCP;
	pkt->th = th;
	pkt->thlen = (uint16_t)hlen;
	pkt->flags = th[13];
	pkt->seq = pg_get_be32(th + 4);
	return pg_tcp_find_ts(pkt);
}

PG_INLINE int pg_parse_ipv4(struct pg_pkt *pkt, uint8_t *ip)
{
	uint32_t ihl, tot;

	if (ip + 20 > pkt->end)
		return PG_STAT_BAD_IP;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = pg_get_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || ip + ihl > pkt->end ||
	    (uint32_t)(ip - pkt->data) + tot > pkt->len)
		return PG_STAT_BAD_IP;
	/* More-fragments flag or a fragment offset: the TCP header may be elsewhere. */
	if (pg_get_be16(ip + 6) & 0x3fff)
		return PG_STAT_FRAGMENT;
	if (ip[9] != PG_IPPROTO_TCP)
		return PG_STAT_NOT_TCP;
	pkt->family = 4;
	pkt->l3 = ip;
	return pg_parse_tcp(pkt, ip + ihl, tot - ihl);
}

PG_INLINE int pg_parse_ipv6(struct pg_pkt *pkt, uint8_t *ip)
{
	uint32_t plen, off = 40, len;
	uint8_t nh;
	uint8_t *p;
	int i;

	if (ip + 40 > pkt->end)
		return PG_STAT_BAD_IP;
	plen = pg_get_be16(ip + 4);
	/* A zero payload length means a jumbogram; not a thing on the paths we serve. */
	if ((ip[0] >> 4) != 6 || plen == 0 || (uint32_t)(ip - pkt->data) + 40 + plen > pkt->len)
		return PG_STAT_BAD_IP;
	/*
	 * IPv4-mapped addresses never appear on the wire (RFC 4291); here they would alias the
	 * IPv4 state, which keys IPv4 addresses in that form.
	 */
	if (pg_load32(ip + 16) == pg_htonl(0xffff) && !pg_load32(ip + 8) && !pg_load32(ip + 12))
		return PG_STAT_BAD_IP;
	if (pg_load32(ip + 32) == pg_htonl(0xffff) && !pg_load32(ip + 24) && !pg_load32(ip + 28))
		return PG_STAT_BAD_IP;
	nh = ip[6];
	for (i = 0; i < PG_IP6_EXT_MAX; i++) {
		if (nh != PG_IP6_HOPOPTS && nh != PG_IP6_ROUTING && nh != PG_IP6_DSTOPTS)
			break;
		/* off stays below 40 + 4 * 2048; the mask only tells the verifier so. */
		off &= 0x3fff;
		p = ip + off;
		if (p + 8 > pkt->end)
			return PG_STAT_IP6_EXT;
		len = ((uint32_t)p[1] + 1) * 8;
		nh = p[0];
		off += len;
		if (off > 40 + plen)
			return PG_STAT_IP6_EXT;
	}
	if (nh == PG_IP6_FRAGMENT)
		return PG_STAT_FRAGMENT;
	if (nh == PG_IP6_HOPOPTS || nh == PG_IP6_ROUTING || nh == PG_IP6_DSTOPTS)
		return PG_STAT_IP6_EXT;
	if (nh != PG_IPPROTO_TCP)
		return PG_STAT_NOT_TCP;
	pkt->family = 6;
	pkt->l3 = ip;
	off &= 0x3fff;
	return pg_parse_tcp(pkt, ip + off, 40 + plen - off);
}

/*
 * Walk Ethernet and up to two VLAN tags (802.1Q, 802.1ad): the EtherType of the L3 header,
 * which starts at *l3, or -1 when the frame ends first. Dataplanes that place packets by
 * address use it too, so they agree with the parser on where the IP header is.
 */
PG_INLINE int pg_parse_l2(uint8_t *data, uint8_t *end, uint8_t **l3)
{
	uint8_t *p = data + PG_ETH_HLEN;
	uint16_t proto;
	int i;

	if (p > end)
		return -1;
	proto = pg_get_be16(data + 12);
	for (i = 0; i < PG_VLAN_MAX; i++) {
		if (proto != PG_ETH_P_8021Q && proto != PG_ETH_P_8021AD)
			break;
		if (p + 4 > end)
			return -1;
		proto = pg_get_be16(p + 2);
		p += 4;
	}
	*l3 = p;
	return proto;
}

/*
 * The layout of nearly every segment at line rate: Ethernet without a VLAN tag, IPv4
 * without options and not a fragment, TCP with a 32-byte header that starts NOP NOP TS
 * (what Linux sends on every established segment). Recognised with one bounds check and a
 * few loads, it yields exactly the pg_pkt of the walk below (which every other frame takes,
 * including one of this layout that fails a check here: it gets its reason there).
 */
#define PG_FAST4_LEN (PG_ETH_HLEN + 20 + 32)

PG_INLINE bool pg_parse_fast4(struct pg_pkt *pkt, uint8_t *data, uint8_t *end, uint32_t len)
{
	uint8_t *ip = data + PG_ETH_HLEN, *th = ip + 20;
	uint32_t tot;

	if (data + PG_FAST4_LEN > end)
		return false;
	pkt->data = data;
	pkt->end = end;
	pkt->len = len;
	if (pg_load16(data + 12) != pg_htons(PG_ETH_P_IP) || ip[0] != 0x45 ||
	    ip[9] != PG_IPPROTO_TCP || (pg_load16(ip + 6) & pg_htons(0x3fff)) || th[12] >> 4 != 8 ||
	    pg_load32(th + 20) != pg_htonl(0x0101080a))
		return false;
	tot = pg_get_be16(ip + 2);
	if (tot < 20 + 32 || PG_ETH_HLEN + tot > len)
		return false;
	pkt->family = 4;
	pkt->l3 = ip;
	pkt->th = th;
	pkt->thlen = 32;
	pkt->flags = th[13];
	pkt->seq = pg_get_be32(th + 4);
	pkt->ts_off = 22;
	pkt->tsval = pg_get_be32(th + 24);
	pkt->tsecr = pg_get_be32(th + 28);
	return true;
}

/* Every layout, header by header: pg_parse_len() without its shortcut. */
PG_INLINE int pg_parse_walk(struct pg_pkt *pkt, uint8_t *data, uint8_t *end, uint32_t len)
{
	uint8_t *l3 = data;
	int proto;

	pkt->data = data;
	pkt->end = end;
	pkt->len = len;
	pkt->ts_off = 0;
	proto = pg_parse_l2(data, end, &l3);
	if (proto < 0)
		return PG_STAT_BAD_L2;
	if (proto == PG_ETH_P_IP)
		return pg_parse_ipv4(pkt, l3);
	if (proto == PG_ETH_P_IPV6)
		return pg_parse_ipv6(pkt, l3);
	return PG_STAT_NOT_IP;
}

/*
 * Parse a packet of len bytes of which [data, end) is readable: len is more than
 * end - data where only the headers are linear (a GSO packet at TC egress is one IP
 * packet of up to 64 KB). Lengths are checked against len, every read against end.
 * Returns PG_PARSE_TCP with pkt filled, or the reason it was not.
 */
PG_INLINE int pg_parse_len(struct pg_pkt *pkt, uint8_t *data, uint8_t *end, uint32_t len)
{
	if (pg_parse_fast4(pkt, data, end, len))
		return PG_PARSE_TCP;
	return pg_parse_walk(pkt, data, end, len);
}

/* Parse a whole frame in [data, end). */
PG_INLINE int pg_parse(struct pg_pkt *pkt, uint8_t *data, uint8_t *end)
{
	return pg_parse_len(pkt, data, end, (uint32_t)(end - data));
}

/* Source and destination addresses, IPv4 mapped into IPv6 (::ffff:a.b.c.d). */
PG_INLINE void pg_pkt_addrs(const struct pg_pkt *pkt, struct pg_addr *src, struct pg_addr *dst)
{
	const uint8_t *ip = pkt->l3;
	int i;

	if (pkt->family == 4) {
		src->w[0] = src->w[1] = dst->w[0] = dst->w[1] = 0;
		src->w[2] = dst->w[2] = pg_htonl(0x0000ffff);
		src->w[3] = pg_load32(ip + 12);
		dst->w[3] = pg_load32(ip + 16);
		return;
	}
	for (i = 0; i < 4; i++) {
		src->w[i] = pg_load32(ip + 8 + 4 * i);
		dst->w[i] = pg_load32(ip + 24 + 4 * i);
	}
}

/* The flow key of a client-to-server (in) or server-to-client (!in) segment. */
PG_INLINE void pg_pkt_flow_key(const struct pg_pkt *pkt, bool in, struct pg_flow_key *k)
{
	uint16_t sport = pg_load16(pkt->th); /* ports stay in network order */
	uint16_t dport = pg_load16(pkt->th + 2);

	if (in) {
		pg_pkt_addrs(pkt, &k->client, &k->server);
		k->cport = sport;
		k->sport = dport;
	} else {
		pg_pkt_addrs(pkt, &k->server, &k->client);
		k->cport = dport;
		k->sport = sport;
	}
}

/* The compact key of an IPv4 segment (pkt->family 4), as pg_flow_key_to4() of the above. */
PG_INLINE void pg_pkt_flow_key4(const struct pg_pkt *pkt, bool in, struct pg_flow_key4 *k)
{
	uint32_t src = pg_load32(pkt->l3 + 12), dst = pg_load32(pkt->l3 + 16);
	uint16_t sport = pg_load16(pkt->th), dport = pg_load16(pkt->th + 2);

	k->client = in ? src : dst;
	k->server = in ? dst : src;
	k->cport = in ? sport : dport;
	k->sport = in ? dport : sport;
}

/* Is this a connection request (SYN without ACK, no RST)? */
PG_INLINE bool pg_pkt_is_syn(const struct pg_pkt *pkt)
{
	return (pkt->flags & (PG_TCP_SYN | PG_TCP_ACK | PG_TCP_RST)) == PG_TCP_SYN;
}

/* Pointer to the TS option, re-checked against end so every caller is verifier-safe. */
PG_INLINE uint8_t *pg_ts_ptr(const struct pg_pkt *pkt)
{
	uint8_t *o;

	if (!pkt->ts_off || pkt->th + 20 > pkt->end)
		return NULL;
	o = pkt->th + (pkt->ts_off & 63);
	if (o + PG_TCPOLEN_TS > pkt->end)
		return NULL;
	return o;
}

/*
 * Set one 32-bit field of the TS option (off 2: TSval, 6: TSecr) from old to val; the TCP
 * checksum follows incrementally, the field's parity decides how its bytes fold.
 */
PG_INLINE int pg_ts_set_word(struct pg_pkt *pkt, uint32_t off, uint32_t old, uint32_t val)
{
	uint8_t *o = pg_ts_ptr(pkt);
	uint32_t odd = (pkt->ts_off + off) & 1;

	if (!o)
		return -1;
	pg_put_be32(o + (off & 7), val);
	pg_csum_update(pkt->th + PG_TCP_CSUM_OFF, pg_csum_word32(old, odd),
		       pg_csum_word32(val, odd));
	return 0;
}

PG_INLINE int pg_ts_set_tsval(struct pg_pkt *pkt, uint32_t tsval)
{
	if (pg_ts_set_word(pkt, 2, pkt->tsval, tsval))
		return -1;
	pkt->tsval = tsval;
	return 0;
}

PG_INLINE int pg_ts_set_tsecr(struct pg_pkt *pkt, uint32_t tsecr)
{
	if (pg_ts_set_word(pkt, 6, pkt->tsecr, tsecr))
		return -1;
	pkt->tsecr = tsecr;
	return 0;
}

/* Rewrite TSval and TSecr in place. */
PG_INLINE int pg_ts_rewrite(struct pg_pkt *pkt, uint32_t tsval, uint32_t tsecr)
{
	if (pg_ts_set_tsval(pkt, tsval))
		return -1;
	return pg_ts_set_tsecr(pkt, tsecr);
}

/* Replace the whole TS option by NOPs (as TCPOPTSTRIP does); checksum folded per word. */
PG_INLINE int pg_ts_strip(struct pg_pkt *pkt)
{
	uint8_t *o = pg_ts_ptr(pkt);
	uint32_t odd = pkt->ts_off & 1;
	uint32_t old_sum;
	int i;

	if (!o)
		return -1;
	old_sum = pg_csum_bytes(o, PG_TCPOLEN_TS, odd);
	for (i = 0; i < PG_TCPOLEN_TS; i++)
		o[i] = PG_TCPOPT_NOP;
	/* Ten NOP bytes are five 0x0101 words whatever the parity. */
	pg_csum_update(pkt->th + PG_TCP_CSUM_OFF, old_sum, 5 * 0x0101);
	pkt->ts_off = 0;
	return 0;
}

#endif /* PAWSGUARD_PARSE_H */
