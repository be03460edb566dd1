/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translation decision (docs/DESIGN.md, "The rewrite algorithm") as pure functions over
 * the plain structs of types.h. Time is passed in; nothing here reads a clock or a map, so both
 * dataplanes share it and the simulation can drive it.
 *
 * Times are nanoseconds of the realtime clock. The virtual clock is its milliseconds mod
 * 2^32: every instance with NTP agrees on it, and it keeps running across restarts, so a
 * restarted instance still gives new SYNs TSvals above what it forwarded before.
 */
#ifndef PAWSGUARD_TRANSLATE_H
#define PAWSGUARD_TRANSLATE_H

#include "compat.h"
#include "types.h"

#define PG_PAWS_WINDOW 1 /* TCP_PAWS_WINDOW of the legacy per-peer check */
#define PG_CAS_TRIES   8
/*
 * How far ahead of the virtual clock an adopted flow may push its source's max_fwd. A
 * connection pawsguard never saw open carries TSvals of a clock unrelated to ours (Linux
 * gives every 4-tuple its own random offset): followed without a bound, one such flow could
 * make the source's next SYNs jump by up to 2^31 and turn serial comparisons around.
 * 2^24 ms is 4.6 hours, far more than the margin and clock lag a flow translated by a
 * previous run or a peer instance can carry (docs/DESIGN.md, "Learning a flow's offset").
 */
#define PG_ADOPT_LEAD_MAX_MS (1ULL << 24)

/*
 * The virtual clock in milliseconds: 64-bit (it never wraps), its low 32 bits are what a
 * SYN's TSval is made of.
 */
PG_INLINE uint64_t pg_vclock(uint64_t now_ns)
{
	return now_ns / 1000000;
}

/* Signed age, so that a realtime clock stepping back makes state look new, not expired. */
PG_INLINE bool pg_age_below(uint64_t now, uint64_t then, uint64_t limit)
{
	return (int64_t)(now - then) < (int64_t)limit;
}

/* Does the source's state still bind the next SYN (the server rules remember 60 s)? */
PG_INLINE bool pg_source_fresh(const struct pg_source *s, uint64_t now, const struct pg_config *c)
{
	return s->last_ns && pg_age_below(now, s->last_ns, c->source_ttl_ns);
}

/*
 * What a SYN's untranslated TSval shows (pg_source_observe_syn), by the server rule that
 * would reject it. PEER: a SYN from the same address in the last 60 s carried a TSval more
 * than TCP_PAWS_WINDOW ahead (a lower bound: the server compares with the last TSval of the
 * previous connection, which is at least its SYN's): the per-peer rule rejects it. Since
 * 2026 a single Linux client does that across its own 4-tuples (one clock per connection).
 * TUPLE: the last SYN on the same 4-tuple carried a TSval ahead of it: several clocks on one
 * 4-tuple, a NAT that reused it, and what the TIME-WAIT rule rejects (docs/DESIGN.md,
 * "Telling NATs from per-connection clocks"). Inside a pool they count as rescued SYNs.
 */
#define PG_OBS_PEER  0x1
#define PG_OBS_TUPLE 0x2

/* pg_source.recent: client port, 4 bits of the server side, the raw TSval's top 12 bits. */
#define PG_TUPLE_TS_SHIFT 20
#define PG_TUPLE_TS_MASK  0xfffu
#define PG_TUPLE_KEY_BITS 12 /* the slot's bits above these name the 4-tuple */

/* 4 bits of the server address and port: tells 4-tuples with one client port apart. */
PG_INLINE uint32_t pg_tuple_server4(const struct pg_flow_key *k)
{
	uint32_t x = k->server.w[0] ^ k->server.w[1] ^ k->server.w[2] ^ k->server.w[3] ^ k->sport;

	x ^= x >> 16;
	x ^= x >> 8;
	x ^= x >> 4;
	return x & 0xf;
}

/*
 * The slot of the 4-tuple in pg_source.recent: the low bits of the client port (a NAT's
 * few outside ports are consecutive, so they fall into different slots), mixed with the
 * server side.
 */
PG_INLINE uint32_t pg_tuple_index(const struct pg_flow_key *k)
{
	return (pg_ntohs(k->cport) ^ pg_tuple_server4(k)) & 3;
}

/* What the slot holds for a SYN on k with TSval tsval. Never 0: a TCP port is never 0. */
PG_INLINE uint32_t pg_tuple_slot(const struct pg_flow_key *k, uint32_t tsval)
{
	return (uint32_t)pg_ntohs(k->cport) << 16 | pg_tuple_server4(k) << PG_TUPLE_KEY_BITS |
	       (tsval >> PG_TUPLE_TS_SHIFT);
}

/*
 * Is the SYN's slot value behind the one the slot held, for the same 4-tuple? Serial
 * arithmetic on the 12 bits kept: a client's own clock never moves back on one 4-tuple
 * (Linux derives the offset from it; one connection's TSvals are less than 2^31 apart), and
 * two unrelated clocks are less than 2^20 apart only once in 2^11 pairs.
 */
PG_INLINE bool pg_tuple_behind(uint32_t old, uint32_t slot)
{
	uint32_t d = (old - slot) & PG_TUPLE_TS_MASK;

	return old && !((old ^ slot) >> PG_TUPLE_KEY_BITS) && d && d < (PG_TUPLE_TS_MASK + 1) / 2;
}

/*
 * Observe a SYN's untranslated TSval on 4-tuple k (ttl: its PG_TTL_* class, or 0): counts
 * the evidence and returns it (PG_OBS_*). The per-source record sees tuples of every
 * source, pool or not; inside a rewrite pool the flow entry of the 4-tuple knows more
 * (pg_flow_reused_behind).
 */
PG_INLINE uint32_t pg_source_observe_syn(struct pg_source *s, const struct pg_flow_key *k,
					 uint32_t tsval, uint32_t ttl, uint64_t now)
{
	bool recent = s->raw_ns && pg_age_below(now, s->raw_ns, PG_PAWS_MSL_NS);
	uint32_t i = pg_tuple_index(k), slot = pg_tuple_slot(k, tsval), obs = 0;

	s->syns++;
	s->ttls |= (uint8_t)ttl;
	if (!recent)
		s->recent[0] = s->recent[1] = s->recent[2] = s->recent[3] = 0;
	if (pg_tuple_behind(s->recent[i], slot)) {
		s->tuple_back++;
		obs |= PG_OBS_TUPLE;
	}
	s->recent[i] = slot;
	if (recent && (int32_t)(s->raw_max - tsval) > PG_PAWS_WINDOW) {
		s->backwards++;
		return obs | PG_OBS_PEER;
	}
	if (!recent || pg_ts_after(tsval, s->raw_max)) {
		s->raw_max = tsval;
		s->raw_ns = now;
	}
	return obs;
}

/*
 * A new connection's SYN (tsval, raw) on the 4-tuple of flow entry f: was it behind the
 * previous connection there, while the server may still hold that one in TIME-WAIT (60 s
 * after its last segment)? syn_raw is that connection's first raw TSval (or, learned, its
 * latest): a lower bound of the ts_recent the server compares with.
 */
PG_INLINE bool pg_flow_reused_behind(const struct pg_flow *f, uint32_t tsval, uint64_t now)
{
	return f->state != PG_FS_DEAD && pg_age_below(now, f->last_ns, PG_PAWS_MSL_NS) &&
	       pg_ts_before(tsval, f->syn_raw);
}

/*
 * Unwrapped TSval' for the SYN of a new flow: the virtual clock (plus the dataplane
 * clock's lag, so it is never behind the real one), and strictly above every TSval
 * forwarded for the source (max_fwd) while its state is fresh. A source without fresh
 * state gets a margin on top, to stay above what another instance or a previous run may
 * have forwarded from a client clock running a little fast; so does a source known only
 * from adopted flows since its last SYN (margin, PG_SF_ADOPTED): its max_fwd holds what
 * those flows forwarded, not what a previous run forwarded on connections that are gone.
 * Its low 32 bits are never 0.
 */
PG_INLINE uint64_t pg_syn_base(bool fresh, bool margin, uint64_t vnow, const struct pg_config *c)
{
	return vnow + c->clock_lag_ms + (!fresh || margin ? c->unknown_margin_ms : 0);
}

/* The SYN's TSval' from its base (pg_syn_base) and the source's max_fwd. */
PG_INLINE uint64_t pg_syn_tsval(uint64_t max_fwd, bool fresh, uint64_t base)
{
	uint64_t t = base;

	if (fresh && t <= max_fwd)
		t = max_fwd + 1;
	if (!(uint32_t)t)
		t++;
	return t;
}

/*
 * Choose the SYN's TSval and publish it in max_fwd in one step. Two CPUs may handle SYNs
 * of one source at once: the compare-and-swap makes each claim a value above the other's
 * (a failed swap means another CPU moved max_fwd forward; retry from its value). The loop
 * is bounded for the verifier, and the base is computed once, before it (a branch per
 * iteration on the margin took the verifier past its 1M instructions, kernel 6.18); after
 * PG_CAS_TRIES lost races the value is still above every TSval this CPU saw, which only
 * ties with the racing SYNs, on other 4-tuples.
 */
PG_INLINE uint64_t pg_source_claim_syn(struct pg_source *s, bool fresh, bool margin, uint64_t vnow,
				       const struct pg_config *c)
{
	uint64_t cur, t = 0, base = pg_syn_base(fresh, margin, vnow, c);
	int i;

	for (i = 0; i < PG_CAS_TRIES; i++) {
		cur = *(volatile uint64_t *)&s->max_fwd;
		t = pg_syn_tsval(cur, fresh, base);
		if (__sync_val_compare_and_swap(&s->max_fwd, cur, t) == cur)
			break;
		fresh = true;
	}
	return t;
}

/* max_fwd = max(max_fwd, v); the compare-and-swap as above. */
PG_INLINE void pg_source_raise(struct pg_source *s, uint64_t v)
{
	uint64_t cur;
	int i;

	for (i = 0; i < PG_CAS_TRIES; i++) {
		cur = *(volatile uint64_t *)&s->max_fwd;
		if (v <= cur)
			return;
		if (__sync_val_compare_and_swap(&s->max_fwd, cur, v) == cur)
			return;
	}
}

/*
 * A segment's TSval' on a known flow. The offset is fixed once the handshake is done
 * (per-connection PAWS). 0 means "no timestamp yet" to a receiver: never produce it.
 */
PG_INLINE uint32_t pg_flow_tsval(const struct pg_flow *f, uint32_t tsval)
{
	uint32_t t = tsval + f->offset;

	return t ? t : 1;
}

/*
 * The unwrapped position of a TSval' of the flow: consecutive TSvals of one connection
 * are less than 2^31 apart (the client's own PAWS needs that), so it is exact relative to
 * the last position the flow published.
 */
PG_INLINE uint64_t pg_flow_unwrap(const struct pg_flow *f, uint32_t t)
{
	return f->fwd_pub + (uint64_t)(int64_t)(int32_t)(t - (uint32_t)f->fwd_pub);
}

/*
 * A server-to-client TSecr translated back; 0 (nothing echoed yet) stays 0. Before the
 * handshake completes, a SYN-ACK may echo an earlier SYN of the flow that had another
 * offset (see pg_flow_syn_retrans): a Linux client drops a SYN-ACK whose TSecr is below
 * its first SYN's TSval (PAWSActive), so that is the floor.
 */
PG_INLINE uint32_t pg_flow_tsecr(const struct pg_flow *f, uint32_t tsecr)
{
	uint32_t e = tsecr - f->offset;

	if (!tsecr)
		return 0;
	if (f->state == PG_FS_SYN && pg_ts_before(e, f->syn_raw))
		return f->syn_raw;
	return e;
}

/*
 * Must a forwarded TSval be published in the source's max_fwd? When it runs ahead of the
 * virtual clock (a client clock faster than 1 kHz, or a flow started with the unknown
 * source margin) the next SYN's clock would not cover it. Equal counts as ahead: a SYN
 * must be strictly newer to reopen a TIME-WAIT 4-tuple. A value the flow already
 * published needs nothing: that keeps bursts sharing one TSval off the source's cache line.
 */
PG_INLINE bool pg_tsval_must_publish(const struct pg_flow *f, uint64_t t, uint64_t vnow)
{
	return t >= vnow && t > f->fwd_pub;
}

/* A new flow from its SYN: tsval as sent, tsval_fwd (unwrapped) as forwarded. */
PG_INLINE void pg_flow_init(struct pg_flow *f, uint32_t tsval, uint64_t tsval_fwd, uint32_t seq,
			    uint64_t now)
{
	f->last_ns = now;
	f->fwd_pub = tsval_fwd;
	f->offset = (uint32_t)tsval_fwd - tsval;
	f->syn_seq = seq;
	f->syn_raw = tsval;
	f->state = PG_FS_SYN;
	f->flags = 0;
	f->pad[0] = f->pad[1] = 0;
}

/*
 * A provisional entry for a segment of a pool source on a 4-tuple without a live flow: it
 * remembers the client's raw TSval until the server echoes (its segments go out with
 * pg_orphan_tsval(), below).
 */
PG_INLINE void pg_flow_orphan_init(struct pg_flow *f, uint32_t tsval, uint64_t now)
{
	f->last_ns = now;
	f->fwd_pub = 0;
	f->offset = 0;
	f->syn_seq = 0;
	f->syn_raw = tsval;
	f->state = PG_FS_ORPHAN;
	f->flags = 0;
	f->pad[0] = f->pad[1] = 0;
}

/*
 * The client's latest raw TSval of an orphan: the largest seen, so that a reordered older
 * segment cannot lower it. Raw TSvals never decrease in the order the client sends, and
 * every segment the server accepted passed here first, so the echo's segment is at most
 * this one and every later segment at least it.
 */
PG_INLINE void pg_flow_orphan_see(struct pg_flow *f, uint32_t tsval, uint64_t now)
{
	if (pg_ts_after(tsval, f->syn_raw))
		f->syn_raw = tsval;
	if (!pg_age_below(now, f->last_ns, PG_SEC_NS))
		f->last_ns = now;
}

/*
 * What an orphan's segments carry instead of the client's raw TSval: a value 2^30 ms
 * (12 days) behind the virtual clock. The server must not accept them: a raw TSval is on
 * the client's own clock (Linux: a random offset per 4-tuple), and once the server took one
 * the connection's ts_recent would live on that clock, up to 2^31 ahead of ours, where no
 * SYN of the source can follow it (the TIME-WAIT rule on its 4-tuple, the per-peer rule).
 * A connection pawsguard translated (before a restart, on another instance) has a ts_recent
 * within days of the clock, so this is before it: dropped by PAWS, answered with the echo
 * that teaches the offset, retransmitted translated. docs/DESIGN.md, "Learning a flow's
 * offset".
 */
#define PG_ORPHAN_BEHIND_MS (1ULL << 30)

PG_INLINE uint32_t pg_orphan_tsval(uint64_t vnow)
{
	uint32_t t = (uint32_t)(vnow - PG_ORPHAN_BEHIND_MS);

	return t ? t : 1;
}

/*
 * Learn an orphan's offset from the server's echo (RFC 7323: TSecr is ts_recent, the
 * TSval' of the latest client segment the server accepted). Every later raw TSval is at or
 * above the latest one seen, so raw + offset stays at or above ts_recent: all the server's
 * per-connection PAWS check asks. The offset may be "negative" (mod 2^32): the connection
 * stays on the line its ts_recent is on. fwd_pub starts at the echo's position nearest the
 * virtual clock: later TSvals unwrap against it.
 */
PG_INLINE void pg_flow_adopt(struct pg_flow *f, uint32_t tsecr, uint64_t vnow, uint64_t now)
{
	f->offset = tsecr - f->syn_raw;
	f->fwd_pub = vnow + (uint64_t)(int64_t)(int32_t)(tsecr - (uint32_t)vnow);
	f->state = PG_FS_EST;
	f->flags = PG_FF_ADOPTED;
	f->last_ns = now;
}

/*
 * The position a flow's TSval' t64 is published at in max_fwd: as it is, but an adopted
 * flow at most PG_ADOPT_LEAD_MAX_MS ahead of the clock (see there).
 */
PG_INLINE uint64_t pg_flow_pub_pos(const struct pg_flow *f, uint64_t t64, uint64_t vnow)
{
	if ((f->flags & PG_FF_ADOPTED) && t64 > vnow + PG_ADOPT_LEAD_MAX_MS)
		return vnow + PG_ADOPT_LEAD_MAX_MS;
	return t64;
}

/* Entries that count as unconfirmed for eviction: handshakes and orphans. */
PG_INLINE bool pg_flow_unconfirmed(const struct pg_flow *f)
{
	return f->state == PG_FS_SYN || f->state == PG_FS_ORPHAN;
}

PG_INLINE uint64_t pg_flow_timeout(const struct pg_flow *f, const struct pg_config *c)
{
	if (f->state == PG_FS_SYN || f->state == PG_FS_ORPHAN)
		return c->syn_timeout_ns;
	if (f->state == PG_FS_EST)
		return c->est_timeout_ns;
	return c->close_timeout_ns;
}

PG_INLINE bool pg_flow_expired(const struct pg_flow *f, uint64_t now, const struct pg_config *c)
{
	return !pg_age_below(now, f->last_ns, pg_flow_timeout(f, c));
}

/* Does the entry still translate? Not once retired, nor idle past its state's timeout. */
PG_INLINE bool pg_flow_live(const struct pg_flow *f, uint64_t now, const struct pg_config *c)
{
	return f->state != PG_FS_DEAD && !pg_flow_expired(f, now, c);
}

/*
 * A SYN on an existing flow entry is a retransmit when it repeats the ISN of the flow's
 * SYN; otherwise it is a new connection reusing the 4-tuple (exactly what a NAT does)
 * and it needs a new offset, chosen against the source's state. A retransmit keeps its
 * offset unless other SYNs of the source overtook it meanwhile (the server may have
 * dropped the first SYN, and a slow client clock falls behind): see pipeline.h.
 */
PG_INLINE bool pg_flow_syn_retrans(const struct pg_flow *f, uint32_t seq, uint64_t now,
				   const struct pg_config *c)
{
	/* A late duplicate of the SYN after the handshake is the same connection too. */
	return f->state != PG_FS_ORPHAN && f->syn_seq == seq && pg_flow_live(f, now, c);
}

/* TCP state after a segment; in: client to server. */
PG_INLINE uint8_t pg_flow_next_state(uint8_t state, uint8_t tcp_flags, bool in)
{
	/* An orphan has no offset yet: it waits for the echo whatever the segment says. */
	if (state == PG_FS_ORPHAN)
		return state;
	if (tcp_flags & (0x01 | 0x04)) /* FIN, RST */
		return PG_FS_CLOSING;
	if (in && state == PG_FS_SYN && (tcp_flags & 0x10)) /* the handshake's ACK */
		return PG_FS_EST;
	return state;
}

/*
 * Refresh a flow after a segment. last_ns is written at most once a second: it is a
 * cache line shared by the CPUs of both directions, and timeouts are in seconds. Returns
 * true when the segment completed the handshake: the flow is to be confirmed.
 */
PG_INLINE bool pg_flow_touch(struct pg_flow *f, uint8_t tcp_flags, bool in, uint64_t now)
{
	uint8_t st = pg_flow_next_state(f->state, tcp_flags, in);
	bool confirm = st == PG_FS_EST && f->state == PG_FS_SYN;

	if (st != f->state || !pg_age_below(now, f->last_ns, PG_SEC_NS)) {
		f->state = st;
		f->last_ns = now;
	}
	return confirm;
}

#endif /* PAWSGUARD_TRANSLATE_H */
