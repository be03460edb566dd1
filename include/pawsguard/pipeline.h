/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pipeline shared by every dataplane: parse, decide (translate.h), rewrite.
 *
 * The decision works on a struct pg_seg, the scalars of a parsed segment (its flow key,
 * TSval, TSecr, flags, ...), never on packet pointers: parse and rewrite stay with the
 * packet, and the BPF programs run the decision as a global function, verified once
 * whatever the parser found (the verifier otherwise walks the whole decision again for
 * every header layout: more than 900,000 instructions of its 1M limit on kernel 6.18).
 *
 * Dataplanes differ only in where state lives (BPF maps, DPDK tables) and in what they do
 * with the verdict. The includer defines struct pg_env (its per-CPU or per-lcore context)
 * and these functions over it:
 *
 *   struct pg_stats *pg_env_stats(struct pg_env *e);            never NULL
 *   const struct pg_config *pg_env_config(struct pg_env *e);    never NULL
 *   uint32_t pg_env_pool(struct pg_env *e, uint8_t family,
 *                        const struct pg_addr *src);            enum pg_action of src
 *   struct pg_source *pg_env_source(struct pg_env *e, const struct pg_addr *a, bool create);
 *   struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k);
 *   struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
 *                                   const struct pg_flow *init); NULL if it cannot
 *   struct pg_flow *pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k,
 *                                       struct pg_flow *f);  never NULL
 *
 * Eviction classes (docs/DESIGN.md, "Eviction classes"): an entry is added unconfirmed
 * (a handshake or an orphan) and becomes established when the pipeline confirms it (the
 * handshake's ACK, or adoption from the echo); pg_env_flow_confirm() moves it to the
 * established class, counts PG_STAT_FLOW_CONFIRMED if it was not there yet, and returns
 * where it lives now (BPF: another map). A full table
 * evicts unconfirmed entries before any established one.
 *
 * Entries returned may be shared with other CPUs: see translate.h for max_fwd.
 */
#ifndef PAWSGUARD_PIPELINE_H
#define PAWSGUARD_PIPELINE_H

#include "compat.h"
#include "parse.h"
#include "translate.h"
#include "types.h"

struct pg_env;

/*
 * An includer that defines the hooks as static inline functions before including this
 * file says so with PG_ENV_HOOKS (the BPF programs must: they cannot call out). Otherwise
 * they are external functions, implemented out of line in another translation unit.
 */
#ifndef PG_ENV_HOOKS
struct pg_stats *pg_env_stats(struct pg_env *e);
const struct pg_config *pg_env_config(struct pg_env *e);
uint32_t pg_env_pool(struct pg_env *e, uint8_t family, const struct pg_addr *src);
struct pg_source *pg_env_source(struct pg_env *e, const struct pg_addr *a, bool create);
struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k);
struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
				const struct pg_flow *init);
struct pg_flow *pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k,
				    struct pg_flow *f);
#endif

enum pg_verdict {
	PG_V_PASS = 0,	   /* forward untouched */
	PG_V_MODIFIED = 1, /* forward; bytes changed, checksums kept right */
};

/* What the decision asks of the packet (its return value; the value to write in seg.out). */
enum pg_seg_action {
	PG_SEG_PASS = 0,  /* leave it */
	PG_SEG_TSVAL = 1, /* write seg.out as the TSval */
	PG_SEG_TSECR = 2, /* write seg.out as the TSecr */
	PG_SEG_STRIP = 3, /* replace the TS option with NOPs */
};

/* A parsed TCP segment as the decision sees it: scalars only (see the top of this file). */
struct pg_seg {
	uint64_t now;		/* realtime ns */
	struct pg_flow_key key; /* (client, server) whatever the direction */
	uint32_t seq;
	uint32_t tsval; /* valid when has_ts */
	uint32_t tsecr;
	uint32_t out;  /* the value to write, per action */
	uint8_t flags; /* TCP flags */
	uint8_t family;
	uint8_t has_ts;
	uint8_t hint; /* PG_SEG_NOT_EST, and a SYN's TTL class (PG_SEG_TTL_SHIFT) */
};

#define PG_SEG_NOT_EST 0x01 /* the fast path found no established flow (BPF) */
/* hint bits 1-3: a SYN's PG_TTL_* class (types.h), for the several-hosts heuristic. */
#define PG_SEG_TTL_SHIFT 1

/* No padding: the BPF verifier wants every byte of a global function's argument written. */
_Static_assert(sizeof(struct pg_seg) == 64, "pg_seg");
_Static_assert(offsetof(struct pg_seg, seq) == 44, "pg_seg.seq");

PG_INLINE void pg_seg_of(struct pg_seg *sg, const struct pg_pkt *pkt, bool in, uint64_t now)
{
	pg_pkt_flow_key(pkt, in, &sg->key);
	sg->now = now;
	sg->seq = pkt->seq;
	sg->tsval = pkt->tsval;
	sg->tsecr = pkt->tsecr;
	sg->out = 0;
	sg->flags = pkt->flags;
	sg->family = pkt->family;
	sg->has_ts = pkt->ts_off != 0;
	sg->hint = 0;
}

/*
 * A SYN's initial-TTL class (PG_TTL_*) from its IP TTL or IPv6 hop limit: the evidence of
 * several operating systems behind one address (docs/DESIGN.md, "Telling NATs from
 * per-connection clocks"). 0 when the byte is not readable.
 */
PG_INLINE uint32_t pg_pkt_ttl_class(const struct pg_pkt *pkt)
{
	const uint8_t *p = pkt->l3 + (pkt->family == 4 ? 8 : 7);

	if (p + 1 > pkt->end)
		return 0;
	return *p <= 64 ? PG_TTL_64 : *p <= 128 ? PG_TTL_128 : PG_TTL_255;
}

PG_INLINE bool pg_seg_is_syn(const struct pg_seg *sg)
{
	return (sg->flags & (PG_TCP_SYN | PG_TCP_ACK | PG_TCP_RST)) == PG_TCP_SYN;
}

PG_INLINE void pg_count(struct pg_stats *st, int id)
{
	if (id >= 0 && id < PG_STAT_MAX)
		st->c[id]++;
}

/*
 * The flow of a segment's key for the decision. Where the fast path (below) already looked
 * in the established class and found nothing, only the unconfirmed class is left to look
 * in (pg_env_flow_unconf, BPF): a segment of no flow at all costs no second lookup.
 */
PG_INLINE struct pg_flow *pg_seg_flow(struct pg_env *env, const struct pg_seg *sg)
{
#ifdef PG_DECIDE_HOOKS
	if (sg->hint & PG_SEG_NOT_EST)
		return pg_env_flow_unconf(env, &sg->key);
#endif
	return pg_env_flow(env, &sg->key);
}

/* The live flow of a key, or NULL. */
PG_INLINE struct pg_flow *pg_flow_find(struct pg_env *env, const struct pg_flow_key *k,
				       uint64_t now, const struct pg_config *cfg)
{
	struct pg_flow *f = pg_env_flow(env, k);

	return f && pg_flow_live(f, now, cfg) ? f : NULL;
}

/*
 * A SYN that goes on untranslated (no timestamp, outside the pools, stripped) opens a new
 * connection on its 4-tuple: an older flow's offset must not touch it, in either direction.
 */
PG_INLINE void pg_flow_retire(struct pg_env *env, const struct pg_flow_key *k)
{
	struct pg_flow *f = pg_env_flow(env, k);

	if (f)
		f->state = PG_FS_DEAD;
}

/* A FIN or RST without timestamps (Linux sends its resets bare) still ends the flow. */
PG_INLINE void pg_flow_end_bare(struct pg_env *env, const struct pg_seg *sg, bool in,
				const struct pg_config *cfg)
{
	struct pg_flow *f;

	if (!(sg->flags & (PG_TCP_FIN | PG_TCP_RST)))
		return;
	f = pg_flow_find(env, &sg->key, sg->now, cfg);
	if (f)
		pg_flow_touch(f, sg->flags, in, sg->now);
}

/*
 * Publish a flow's forwarded TSval (unwrapped t64, ahead of the clock) in its source's
 * max_fwd, so that the source's next SYN stays above it. A flow adopted before its source
 * sent a SYN here creates the source.
 */
PG_INLINE void pg_flow_publish(struct pg_env *env, const struct pg_flow_key *key,
			       const struct pg_flow *f, uint64_t t64, uint64_t vnow, uint64_t now)
{
	struct pg_source *s = pg_env_source(env, &key->client, f->flags & PG_FF_ADOPTED);
	const struct pg_config *cfg = pg_env_config(env);

	if (s) {
		if ((f->flags & PG_FF_ADOPTED) && !pg_source_fresh(s, now, cfg))
			s->flags |= PG_SF_ADOPTED;
		pg_source_raise(s, pg_flow_pub_pos(f, t64, vnow));
		s->last_ns = now;
	}
}

/*
 * An orphan's segment goes out with its TSval far behind the clock (pg_orphan_tsval: the
 * server drops it and echoes ts_recent); the raw one is remembered.
 */
PG_INLINE int pg_orphan_out(struct pg_seg *sg)
{
	sg->out = pg_orphan_tsval(pg_vclock(sg->now));
	return PG_SEG_TSVAL;
}

/*
 * A client-to-server segment with a timestamp on a 4-tuple without a live entry (stale:
 * the dead or expired entry of the key, or NULL). From a rewrite pool it becomes an orphan
 * whose offset the server's echo will teach (docs/DESIGN.md, "Learning a flow's offset").
 * Without room for the orphan it passes untouched, as outside the pools. Only here, off the
 * path of known flows, is the pool looked up for a non-SYN segment.
 */
PG_INLINE int pg_ingress_unknown(struct pg_env *env, struct pg_stats *st, struct pg_seg *sg,
				 struct pg_flow *stale)
{
	struct pg_flow nf;

#ifdef PG_NO_LEARN
	/* Only in the benchmark's baseline build (tests/bench): the pipeline before learning. */
	return PG_SEG_PASS;
#endif
	if (sg->flags & PG_TCP_RST)
		return PG_SEG_PASS;
	if (pg_env_pool(env, sg->family, &sg->key.client) != PG_ACT_REWRITE)
		return PG_SEG_PASS;
	pg_flow_orphan_init(&nf, sg->tsval, sg->now);
	if (stale) {
		*stale = nf;
	} else {
		if (!pg_env_flow_add(env, &sg->key, &nf))
			return PG_SEG_PASS;
		st->c[PG_STAT_UNCONF_ADD]++;
	}
	st->c[PG_STAT_ORPHAN_NEW]++;
	return pg_orphan_out(sg);
}

/* A client-to-server SYN carrying a timestamp. */
PG_INLINE int pg_ingress_syn(struct pg_env *env, struct pg_stats *st, const struct pg_config *cfg,
			     struct pg_seg *sg)
{
	const struct pg_flow_key *kp = &sg->key;
	uint64_t now = sg->now;
	struct pg_flow *f, nf;
	struct pg_source *s;
	uint64_t vnow, t64;
	uint32_t act, t, obs = 0;
	bool fresh = false, margin = false;

	act = pg_env_pool(env, sg->family, &kp->client);
	/* Every source is observed, pool or not: that is how suggest finds NATs. */
	s = pg_env_source(env, &kp->client, true);
	if (s) {
		fresh = pg_source_fresh(s, now, cfg);
		/* Known only from adopted flows since its last SYN: see pg_syn_base(). */
		margin = s->flags & PG_SF_ADOPTED;
		s->flags &= (uint8_t)~PG_SF_ADOPTED;
		obs = pg_source_observe_syn(s, kp, sg->tsval, sg->hint >> PG_SEG_TTL_SHIFT, now);
		s->action = (uint8_t)act;
	}
	if (act == PG_ACT_NONE) {
		if (obs & PG_OBS_PEER)
			st->c[PG_STAT_NAT_SUSPECT]++;
		if (obs & PG_OBS_TUPLE)
			st->c[PG_STAT_NAT_TUPLE]++;
		if (s)
			s->last_ns = now;
		pg_flow_retire(env, kp);
		return PG_SEG_PASS;
	}
	st->c[PG_STAT_POOL_SYN]++;
	if (obs & PG_OBS_PEER)
		st->c[PG_STAT_RESCUED]++;
	if (act == PG_ACT_STRIP) {
		if (s)
			s->last_ns = now;
		pg_flow_retire(env, kp);
		return PG_SEG_STRIP;
	}

	vnow = pg_vclock(now);
	f = pg_env_flow(env, kp);
	if (f && pg_flow_syn_retrans(f, sg->seq, now, cfg)) {
		st->c[PG_STAT_SYN_RETRANS]++;
		t = pg_flow_tsval(f, sg->tsval);
		t64 = pg_flow_unwrap(f, t);
		/*
		 * Once the handshake is done the offset is fixed: a late duplicate keeps it.
		 * A SYN after a reset (the client's RST to a server's challenge ACK) is the
		 * handshake starting over.
		 */
		if (f->state != PG_FS_EST) {
			/* A SYN-ACK seen before the reset was for the old attempt. */
			if (f->state != PG_FS_SYN)
				f->flags &= (uint8_t)~PG_FF_SYNACK;
			f->state = PG_FS_SYN;
		}
		if (s && f->state == PG_FS_SYN &&
		    (t64 < vnow + cfg->clock_lag_ms ||
		     (fresh && t64 <= *(volatile uint64_t *)&s->max_fwd))) {
			/*
			 * The retransmit would go out below what a new SYN gets: other segments of
			 * the source may have gone out above it (published in max_fwd, or up to
			 * the clock, which bounds what is not), and the server may have dropped
			 * the first SYN and remembered theirs. A new claim, a new offset; the
			 * handshake is not done, so nothing has seen the old one but a SYN-ACK's
			 * TSecr, which pg_flow_tsecr() keeps above the first SYN's TSval.
			 */
			t64 = pg_source_claim_syn(s, true, margin, vnow, cfg);
			t = (uint32_t)t64;
			f->offset = t - sg->tsval;
			f->fwd_pub = t64;
		} else if (pg_tsval_must_publish(f, t64, vnow)) {
			f->fwd_pub = t64;
			if (s)
				pg_source_raise(s, pg_flow_pub_pos(f, t64, vnow));
		}
		f->last_ns = now;
	} else {
		/*
		 * A new connection on the 4-tuple of an earlier one: its entry knows that
		 * connection's raw TSval exactly, where the source's record may have lost it.
		 */
		if (s && f && !(obs & PG_OBS_TUPLE) && pg_flow_reused_behind(f, sg->tsval, now)) {
			s->tuple_back++;
			obs |= PG_OBS_TUPLE;
		}
		if (s)
			t64 = pg_source_claim_syn(s, fresh, margin, vnow, cfg);
		else
			t64 = pg_syn_tsval(0, false, pg_syn_base(false, false, vnow, cfg));
		t = (uint32_t)t64;
		pg_flow_init(&nf, sg->tsval, t64, sg->seq, now);
		if (f) {
			*f = nf;
			st->c[PG_STAT_FLOW_REUSE]++;
		} else {
			/*
			 * Without a flow entry the rest of the connection could not follow the
			 * SYN's offset and the server would drop it by per-connection PAWS:
			 * leave this SYN untouched instead.
			 */
			if (!pg_env_flow_add(env, kp, &nf)) {
				pg_flow_retire(env, kp);
				return PG_SEG_PASS;
			}
			st->c[PG_STAT_UNCONF_ADD]++;
		}
		st->c[PG_STAT_FLOW_NEW]++;
		if (s)
			s->flows++;
	}
	if (s)
		s->last_ns = now;
	/* Rewritten: what the TIME-WAIT rule would have rejected goes through. */
	if (obs & PG_OBS_TUPLE)
		st->c[PG_STAT_RESCUED_TW]++;
	sg->out = t;
	return PG_SEG_TSVAL;
}

/*
 * The decision for a client-to-server TCP segment: rewrite the TSval or strip the option
 * for pool sources (PG_SEG_*; sg->out is the TSval to write).
 */
PG_INLINE int pg_ingress_decide(struct pg_env *env, struct pg_seg *sg)
{
	struct pg_stats *st = pg_env_stats(env);
	const struct pg_config *cfg = pg_env_config(env);
	uint64_t now = sg->now, t64, vnow;
	struct pg_flow *f;
	uint32_t t;

	st->c[PG_STAT_TCP]++;
	if (pg_seg_is_syn(sg)) {
		st->c[PG_STAT_SYN]++;
		if (!sg->has_ts) {
			st->c[PG_STAT_SYN_NO_TS]++;
			pg_flow_retire(env, &sg->key);
			return PG_SEG_PASS;
		}
		return pg_ingress_syn(env, st, cfg, sg);
	}
	if (!sg->has_ts) {
		pg_flow_end_bare(env, sg, true, cfg);
		return PG_SEG_PASS;
	}
	/*
	 * Established segments go by flow alone, without the pool lookup: removing a pool
	 * must not change the offset of a flow in progress, and a hash miss is cheap.
	 */
	f = pg_seg_flow(env, sg);
	if (PG_UNLIKELY(!f || !pg_flow_live(f, now, cfg)))
		return pg_ingress_unknown(env, st, sg, f);
	if (PG_UNLIKELY(pg_flow_unconfirmed(f))) {
		if (f->state == PG_FS_ORPHAN) {
			pg_flow_orphan_see(f, sg->tsval, now);
			return pg_orphan_out(sg);
		}
		if (!(f->flags & PG_FF_SYNACK)) {
			/*
			 * A segment after a SYN whose SYN-ACK never came back belongs to another
			 * connection on the 4-tuple: the server kept an older one (and answered
			 * the SYN with a challenge ACK), or the SYN was spoofed. Its offset is
			 * not this entry's: learn it from the echo.
			 */
			pg_flow_orphan_init(f, sg->tsval, now);
			st->c[PG_STAT_ORPHAN_NEW]++;
			return pg_orphan_out(sg);
		}
	}
	if (PG_UNLIKELY((f->flags & PG_FF_ADOPTED) && pg_ts_before(sg->tsval, f->syn_raw))) {
		/*
		 * The client's own clock is behind the raw TSval the offset was learned against:
		 * that value was not the client's (a spoofed segment raised it while the entry
		 * was an orphan) or was reordered. Learn again from this one, or the client's
		 * segments would stay below ts_recent until its clock caught up.
		 */
		pg_flow_orphan_init(f, sg->tsval, now);
		st->c[PG_STAT_ORPHAN_NEW]++;
		return pg_orphan_out(sg);
	}
	t = pg_flow_tsval(f, sg->tsval);
	t64 = pg_flow_unwrap(f, t);
	vnow = pg_vclock(now);
	if (pg_tsval_must_publish(f, t64, vnow)) {
		f->fwd_pub = t64;
		pg_flow_publish(env, &sg->key, f, t64, vnow, now);
	}
	if (pg_flow_touch(f, sg->flags, true, now))
		pg_env_flow_confirm(env, &sg->key, f);
	sg->out = t;
	return PG_SEG_TSVAL;
}

/*
 * The decision for a server-to-client TCP segment: the TSecr translated back
 * (PG_SEG_TSECR with sg->out), or nothing.
 */
PG_INLINE int pg_egress_decide(struct pg_env *env, struct pg_seg *sg)
{
	struct pg_stats *st = pg_env_stats(env);
	const struct pg_config *cfg = pg_env_config(env);
	uint64_t now = sg->now, vnow;
	struct pg_flow *f;

	if (!sg->has_ts || !sg->tsecr) {
		pg_flow_end_bare(env, sg, false, cfg);
		return PG_SEG_PASS;
	}
	f = pg_seg_flow(env, sg);
	if (!f || !pg_flow_live(f, now, cfg)) {
		st->c[PG_STAT_ECHO_UNMATCHED]++;
		return PG_SEG_PASS;
	}
	if (PG_UNLIKELY(pg_flow_unconfirmed(f))) {
		if (f->state == PG_FS_ORPHAN) {
			/* The echo teaches the offset; this very TSecr is translated with it. */
			vnow = pg_vclock(now);
			pg_flow_adopt(f, sg->tsecr, vnow, now);
			if (f->fwd_pub >= vnow)
				pg_flow_publish(env, &sg->key, f, f->fwd_pub, vnow, now);
			st->c[PG_STAT_FLOW_ADOPTED]++;
			f = pg_env_flow_confirm(env, &sg->key, f);
		} else if ((sg->flags & (PG_TCP_SYN | PG_TCP_ACK)) == (PG_TCP_SYN | PG_TCP_ACK)) {
			f->flags |= PG_FF_SYNACK;
		}
	}
	sg->out = pg_flow_tsecr(f, sg->tsecr);
	pg_flow_touch(f, sg->flags, false, now);
	return PG_SEG_TSECR;
}

/*
 * Where the wrappers below run the decisions. The BPF programs replace them with their
 * global functions (PG_DECIDE_HOOKS); everyone else calls them inline.
 */
#ifndef PG_DECIDE_HOOKS
#define PG_INGRESS_DECIDE(env, sg) pg_ingress_decide(env, sg)
#define PG_EGRESS_DECIDE(env, sg)  pg_egress_decide(env, sg)
#else
/*
 * With the decisions out of line, the segment of an established flow, the case that
 * matters at line rate, is decided before the call, in the program itself, looking in the
 * established class alone. A frame of the common layout (pg_parse_fast4) is decided from
 * its header, its 12-byte key looked up as its table keys it (the includer's
 * pg_env_flow_est4()); any other from its pg_seg (pg_env_flow_est()). Both read the
 * includer's pg_env_vclock(), the virtual clock of now kept with its cached clock (a 64-bit
 * division less per packet). Anything else (a SYN, FIN or RST, a flow in another state, a
 * TSval to publish, an adopted flow's clock behind what it learned against) is PG_SEG_SLOW:
 * the full decision starts over with it, told in the hint when there was no established
 * flow at all.
 *
 * Two fast paths because of the verifier: the general parser leaves many states (one per
 * header layout), and code behind it that reads the packet again is walked once per state
 * (past the 1M instruction limit, kernel 6.18); behind pg_seg_of() the states are scalars.
 * The common layout is one state, its offsets constants.
 */
#define PG_SEG_SLOW (-1)

/* The live established flow found, or NULL; the hint says when there was none at all. */
PG_INLINE struct pg_flow *pg_fast_est(struct pg_env *env, struct pg_flow *f, uint64_t now,
				      uint8_t *hint)
{
	if (!f) {
		*hint |= PG_SEG_NOT_EST;
		return NULL;
	}
	return f->state == PG_FS_EST && pg_flow_live(f, now, pg_env_config(env)) ? f : NULL;
}

PG_INLINE bool pg_fast_flags(uint8_t flags)
{
	return !(flags & (PG_TCP_SYN | PG_TCP_FIN | PG_TCP_RST));
}

/* Client to server on the established flow f: PG_SEG_TSVAL with *out, or PG_SEG_SLOW. */
PG_INLINE int pg_ingress_fast_flow(struct pg_env *env, struct pg_flow *f, uint32_t tsval,
				   uint8_t flags, uint64_t now, uint32_t *out)
{
	uint64_t t64;
	uint32_t t;

	if ((f->flags & PG_FF_ADOPTED) && pg_ts_before(tsval, f->syn_raw))
		return PG_SEG_SLOW;
	t = pg_flow_tsval(f, tsval);
	t64 = pg_flow_unwrap(f, t);
	if (pg_tsval_must_publish(f, t64, pg_env_vclock(env)))
		return PG_SEG_SLOW;
	pg_flow_touch(f, flags, true, now);
	pg_env_stats(env)->c[PG_STAT_TCP]++;
	*out = t;
	return PG_SEG_TSVAL;
}

/* Server to client on the established flow f. */
PG_INLINE int pg_egress_fast_flow(struct pg_flow *f, uint32_t tsecr, uint8_t flags, uint64_t now,
				  uint32_t *out)
{
	*out = pg_flow_tsecr(f, tsecr);
	pg_flow_touch(f, flags, false, now);
	return PG_SEG_TSECR;
}

/* A frame of the common layout, from its header (pkt as pg_parse_fast4() left it). */
PG_INLINE int pg_fast4(struct pg_env *env, const struct pg_pkt *pkt, bool in, uint64_t now,
		       uint32_t *out, uint8_t *hint)
{
	struct pg_flow_key4 k4;
	struct pg_flow *f;

	if (!pg_fast_flags(pkt->flags) || (!in && !pkt->tsecr))
		return PG_SEG_SLOW;
	pg_pkt_flow_key4(pkt, in, &k4);
	f = pg_fast_est(env, pg_env_flow_est4(env, &k4), now, hint);
	if (!f)
		return PG_SEG_SLOW;
	if (in)
		return pg_ingress_fast_flow(env, f, pkt->tsval, pkt->flags, now, out);
	return pg_egress_fast_flow(f, pkt->tsecr, pkt->flags, now, out);
}

/* Any other frame, from its segment (sg->out, sg->hint). */
PG_INLINE int pg_fast(struct pg_env *env, struct pg_seg *sg, bool in)
{
	struct pg_flow *f;

	if (!sg->has_ts || !pg_fast_flags(sg->flags) || (!in && !sg->tsecr))
		return PG_SEG_SLOW;
	f = pg_fast_est(env, pg_env_flow_est(env, &sg->key), sg->now, &sg->hint);
	if (!f)
		return PG_SEG_SLOW;
	if (in)
		return pg_ingress_fast_flow(env, f, sg->tsval, sg->flags, sg->now, &sg->out);
	return pg_egress_fast_flow(f, sg->tsecr, sg->flags, sg->now, &sg->out);
}
#endif

/*
 * Parse a frame and decide its segment (in: client to server; len as for pg_parse_len()):
 * the PG_SEG_* action, with *out the value to write; PG_SEG_PASS for a frame that is not a
 * TCP segment pawsguard understands (counted by reason).
 */
/* A client's SYN carries its TTL class to the decision (the source's evidence); else 0. */
PG_INLINE uint8_t pg_seg_syn_hint(const struct pg_pkt *pkt, bool in)
{
	if (!in || PG_LIKELY(!(pkt->flags & PG_TCP_SYN)))
		return 0;
	return (uint8_t)(pg_pkt_ttl_class(pkt) << PG_SEG_TTL_SHIFT);
}

PG_INLINE int pg_parse_decide(struct pg_env *env, struct pg_pkt *pkt, uint8_t *data, uint8_t *end,
			      uint32_t len, uint64_t now, bool in, uint32_t *out)
{
	struct pg_seg sg;
	int rc;

#ifdef PG_DECIDE_HOOKS
	uint8_t hint = 0;

	if (pg_parse_fast4(pkt, data, end, len)) {
		rc = pg_fast4(env, pkt, in, now, out, &hint);
		if (rc != PG_SEG_SLOW)
			return rc;
		pg_seg_of(&sg, pkt, in, now);
		sg.hint = hint | pg_seg_syn_hint(pkt, in);
		goto decide;
	}
	rc = pg_parse_walk(pkt, data, end, len);
#else
	rc = pg_parse_len(pkt, data, end, len);
#endif
	if (rc != PG_PARSE_TCP) {
		pg_count(pg_env_stats(env), rc);
		return PG_SEG_PASS;
	}
	pg_seg_of(&sg, pkt, in, now);
	sg.hint = pg_seg_syn_hint(pkt, in);
#ifdef PG_DECIDE_HOOKS
	rc = pg_fast(env, &sg, in);
	if (rc != PG_SEG_SLOW) {
		*out = sg.out;
		return rc;
	}
decide:
#endif
	rc = in ? PG_INGRESS_DECIDE(env, &sg) : PG_EGRESS_DECIDE(env, &sg);
	*out = sg.out;
	return rc;
}

/*
 * Client to server: rewrite TSval (or strip it) for pool sources. len is the whole
 * packet's length, of which only [data, end) need be readable: the headers of a frame
 * whose payload lies in further buffers (a DPDK mbuf chain); see pg_parse_len().
 */
PG_INLINE int pg_ingress_len(struct pg_env *env, uint8_t *data, uint8_t *end, uint32_t len,
			     uint64_t now)
{
	struct pg_stats *st = pg_env_stats(env);
	struct pg_pkt pkt;
	uint32_t out = 0;
	int rc;

	st->c[PG_STAT_PACKETS]++;
	rc = pg_parse_decide(env, &pkt, data, end, len, now, true, &out);
	if (rc == PG_SEG_TSVAL) {
		if (pg_ts_set_tsval(&pkt, out))
			return PG_V_PASS;
		st->c[PG_STAT_TSVAL_REWRITTEN]++;
		return PG_V_MODIFIED;
	}
	if (rc == PG_SEG_STRIP) {
		if (pg_ts_strip(&pkt))
			return PG_V_PASS;
		st->c[PG_STAT_TS_STRIPPED]++;
		return PG_V_MODIFIED;
	}
	return PG_V_PASS;
}

/* Client to server, the whole packet readable in [data, end). */
PG_INLINE int pg_ingress(struct pg_env *env, uint8_t *data, uint8_t *end, uint64_t now)
{
	return pg_ingress_len(env, data, end, (uint32_t)(end - data), now);
}

/*
 * Server to client: parse and decide the TSecr translation without writing it, for
 * dataplanes that fix the checksum their own way (TC: bpf_l4_csum_replace knows
 * CHECKSUM_PARTIAL), and that may see only the headers of a longer packet (len, see
 * pg_parse_len()). Returns PG_V_MODIFIED with *tsecr set to the value to write; the caller
 * counts PG_STAT_TSECR_TRANSLATED once it is written.
 */
PG_INLINE int pg_egress_parse_decide(struct pg_env *env, struct pg_pkt *pkt, uint8_t *data,
				     uint8_t *end, uint32_t len, uint64_t now, uint32_t *tsecr)
{
	pg_env_stats(env)->c[PG_STAT_PACKETS_OUT]++;
	if (pg_parse_decide(env, pkt, data, end, len, now, false, tsecr) != PG_SEG_TSECR)
		return PG_V_PASS;
	return PG_V_MODIFIED;
}

/* Server to client, with the checksum updated in software; len as for pg_ingress_len(). */
PG_INLINE int pg_egress_len(struct pg_env *env, uint8_t *data, uint8_t *end, uint32_t len,
			    uint64_t now)
{
	struct pg_pkt pkt;
	uint32_t tsecr = 0;

	if (pg_egress_parse_decide(env, &pkt, data, end, len, now, &tsecr) != PG_V_MODIFIED)
		return PG_V_PASS;
	if (pg_ts_set_tsecr(&pkt, tsecr))
		return PG_V_PASS;
	pg_env_stats(env)->c[PG_STAT_TSECR_TRANSLATED]++;
	return PG_V_MODIFIED;
}

PG_INLINE int pg_egress(struct pg_env *env, uint8_t *data, uint8_t *end, uint64_t now)
{
	return pg_egress_len(env, data, end, (uint32_t)(end - data), now);
}

#endif /* PAWSGUARD_PIPELINE_H */
