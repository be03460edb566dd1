/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pipeline shared by every dataplane: parse, decide (translate.h), rewrite.
 *
 * Dataplanes differ only in where state lives (BPF maps, DPDK tables) and in what they do
 * with the verdict. The includer defines struct pg_env (its per-CPU or per-lcore context)
 * and these functions over it:
 *
 *   struct pg_stats *pg_env_stats(struct pg_env *e);            never NULL
 *   const struct pg_config *pg_env_config(struct pg_env *e);    never NULL
 *   uint32_t pg_env_pool(struct pg_env *e, const struct pg_pkt *p,
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
uint32_t pg_env_pool(struct pg_env *e, const struct pg_pkt *p, const struct pg_addr *src);
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

PG_INLINE void pg_count(struct pg_stats *st, int id)
{
	if (id >= 0 && id < PG_STAT_MAX)
		st->c[id]++;
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
PG_INLINE void pg_flow_end_bare(struct pg_env *env, const struct pg_pkt *pkt, bool in, uint64_t now,
				const struct pg_config *cfg)
{
	struct pg_flow_key key;
	struct pg_flow *f;

	if (!(pkt->flags & (PG_TCP_FIN | PG_TCP_RST)))
		return;
	pg_pkt_flow_key(pkt, in, &key);
	f = pg_flow_find(env, &key, now, cfg);
	if (f)
		pg_flow_touch(f, pkt->flags, in, now);
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

	if (s) {
		pg_source_raise(s, pg_flow_pub_pos(f, t64, vnow));
		s->last_ns = now;
	}
}

/*
 * The flow became established: move it to the established class. The hook counts
 * PG_STAT_FLOW_CONFIRMED when it moved the entry (not for one that was there already).
 */
PG_INLINE struct pg_flow *pg_flow_confirm(struct pg_env *env, struct pg_stats *st,
					  const struct pg_flow_key *key, struct pg_flow *f)
{
	(void)st;
	return pg_env_flow_confirm(env, key, f);
}

/*
 * A client-to-server segment with a timestamp on a 4-tuple without a live entry (stale:
 * the dead or expired entry of the key, or NULL). From a rewrite pool it becomes an orphan
 * whose offset the server's echo will teach (docs/DESIGN.md, "Learning a flow's offset");
 * either way it passes untouched. Only here, off the path of known flows, is the pool
 * looked up for a non-SYN segment.
 */
PG_INLINE int pg_ingress_unknown(struct pg_env *env, struct pg_stats *st, struct pg_pkt *pkt,
				 const struct pg_flow_key *key, struct pg_flow *stale, uint64_t now)
{
	struct pg_flow nf;

#ifdef PG_NO_LEARN
	/* Only in the benchmark's baseline build (tests/bench): the pipeline before learning. */
	return PG_V_PASS;
#endif
	if (pkt->flags & PG_TCP_RST)
		return PG_V_PASS;
	if (pg_env_pool(env, pkt, &key->client) != PG_ACT_REWRITE)
		return PG_V_PASS;
	pg_flow_orphan_init(&nf, pkt->tsval, now);
	if (stale) {
		*stale = nf;
	} else {
		if (!pg_env_flow_add(env, key, &nf))
			return PG_V_PASS;
		st->c[PG_STAT_UNCONF_ADD]++;
	}
	st->c[PG_STAT_ORPHAN_NEW]++;
	return PG_V_PASS;
}

/* A client-to-server SYN carrying a timestamp. */
PG_INLINE int pg_ingress_syn(struct pg_env *env, struct pg_stats *st, const struct pg_config *cfg,
			     struct pg_pkt *pkt, uint64_t now)
{
	struct pg_flow_key key;
	struct pg_flow *f, nf;
	struct pg_source *s;
	uint64_t vnow, t64;
	uint32_t act, t;
	bool fresh = false, back = false;

	pg_pkt_flow_key(pkt, true, &key);
	act = pg_env_pool(env, pkt, &key.client);
	/* Every source is observed, pool or not: that is how suggest finds NATs. */
	s = pg_env_source(env, &key.client, true);
	if (s) {
		fresh = pg_source_fresh(s, now, cfg);
		back = pg_source_observe_syn(s, pkt->tsval, now);
		s->action = act;
	}
	if (act == PG_ACT_NONE) {
		if (back)
			st->c[PG_STAT_NAT_SUSPECT]++;
		if (s)
			s->last_ns = now;
		pg_flow_retire(env, &key);
		return PG_V_PASS;
	}
	st->c[PG_STAT_POOL_SYN]++;
	if (back)
		st->c[PG_STAT_RESCUED]++;
	if (act == PG_ACT_STRIP) {
		if (s)
			s->last_ns = now;
		pg_flow_retire(env, &key);
		if (pg_ts_strip(pkt))
			return PG_V_PASS;
		st->c[PG_STAT_TS_STRIPPED]++;
		return PG_V_MODIFIED;
	}

	vnow = pg_vclock(now);
	f = pg_env_flow(env, &key);
	if (f && pg_flow_syn_retrans(f, pkt->seq, now, cfg)) {
		st->c[PG_STAT_SYN_RETRANS]++;
		t = pg_flow_tsval(f, pkt->tsval);
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
			t64 = pg_source_claim_syn(s, true, vnow, cfg);
			t = (uint32_t)t64;
			f->offset = t - pkt->tsval;
			f->fwd_pub = t64;
		} else if (pg_tsval_must_publish(f, t64, vnow)) {
			f->fwd_pub = t64;
			if (s)
				pg_source_raise(s, pg_flow_pub_pos(f, t64, vnow));
		}
		f->last_ns = now;
	} else {
		if (s)
			t64 = pg_source_claim_syn(s, fresh, vnow, cfg);
		else
			t64 = pg_syn_tsval(0, false, vnow, cfg);
		t = (uint32_t)t64;
		pg_flow_init(&nf, pkt->tsval, t64, pkt->seq, now);
		if (f) {
			*f = nf;
			st->c[PG_STAT_FLOW_REUSE]++;
		} else {
			/*
			 * Without a flow entry the rest of the connection could not follow the
			 * SYN's offset and the server would drop it by per-connection PAWS:
			 * leave this SYN untouched instead.
			 */
			if (!pg_env_flow_add(env, &key, &nf)) {
				pg_flow_retire(env, &key);
				return PG_V_PASS;
			}
			st->c[PG_STAT_UNCONF_ADD]++;
		}
		st->c[PG_STAT_FLOW_NEW]++;
		if (s)
			s->flows++;
	}
	if (s)
		s->last_ns = now;
	if (pg_ts_set_tsval(pkt, t))
		return PG_V_PASS;
	st->c[PG_STAT_TSVAL_REWRITTEN]++;
	return PG_V_MODIFIED;
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
	const struct pg_config *cfg = pg_env_config(env);
	struct pg_flow_key key;
	struct pg_flow *f;
	struct pg_pkt pkt;
	uint64_t t64, vnow;
	uint32_t t;
	int rc;

	st->c[PG_STAT_PACKETS]++;
	rc = pg_parse_len(&pkt, data, end, len);
	if (rc != PG_PARSE_TCP) {
		pg_count(st, rc);
		return PG_V_PASS;
	}
	st->c[PG_STAT_TCP]++;
	if (pg_pkt_is_syn(&pkt)) {
		st->c[PG_STAT_SYN]++;
		if (!pkt.ts_off) {
			st->c[PG_STAT_SYN_NO_TS]++;
			pg_pkt_flow_key(&pkt, true, &key);
			pg_flow_retire(env, &key);
			return PG_V_PASS;
		}
		return pg_ingress_syn(env, st, cfg, &pkt, now);
	}
	if (!pkt.ts_off) {
		pg_flow_end_bare(env, &pkt, true, now, cfg);
		return PG_V_PASS;
	}
	/*
	 * Established segments go by flow alone, without the pool lookup: removing a pool
	 * must not change the offset of a flow in progress, and a hash miss is cheap.
	 */
	pg_pkt_flow_key(&pkt, true, &key);
	f = pg_env_flow(env, &key);
	if (PG_UNLIKELY(!f || !pg_flow_live(f, now, cfg)))
		return pg_ingress_unknown(env, st, &pkt, &key, f, now);
	if (PG_UNLIKELY(pg_flow_unconfirmed(f))) {
		if (f->state == PG_FS_ORPHAN) {
			pg_flow_orphan_see(f, pkt.tsval, now);
			return PG_V_PASS;
		}
		if (!(f->flags & PG_FF_SYNACK)) {
			/*
			 * A segment after a SYN whose SYN-ACK never came back belongs to another
			 * connection on the 4-tuple: the server kept an older one (and answered
			 * the SYN with a challenge ACK), or the SYN was spoofed. Its offset is
			 * not this entry's: learn it from the echo.
			 */
			pg_flow_orphan_init(f, pkt.tsval, now);
			st->c[PG_STAT_ORPHAN_NEW]++;
			return PG_V_PASS;
		}
	}
	if (PG_UNLIKELY((f->flags & PG_FF_ADOPTED) && pg_ts_before(pkt.tsval, f->syn_raw))) {
		/*
		 * The client's own clock is behind the raw TSval the offset was learned against:
		 * that value was not the client's (a spoofed segment raised it while the entry
		 * was an orphan) or was reordered. Learn again from this one, or the client's
		 * segments would stay below ts_recent until its clock caught up.
		 */
		pg_flow_orphan_init(f, pkt.tsval, now);
		st->c[PG_STAT_ORPHAN_NEW]++;
		return PG_V_PASS;
	}
	t = pg_flow_tsval(f, pkt.tsval);
	t64 = pg_flow_unwrap(f, t);
	vnow = pg_vclock(now);
	if (pg_tsval_must_publish(f, t64, vnow)) {
		f->fwd_pub = t64;
		pg_flow_publish(env, &key, f, t64, vnow, now);
	}
	if (pg_flow_touch(f, pkt.flags, true, now))
		pg_flow_confirm(env, st, &key, f);
	if (pg_ts_set_tsval(&pkt, t))
		return PG_V_PASS;
	st->c[PG_STAT_TSVAL_REWRITTEN]++;
	return PG_V_MODIFIED;
}

/* Client to server, the whole packet readable in [data, end). */
PG_INLINE int pg_ingress(struct pg_env *env, uint8_t *data, uint8_t *end, uint64_t now)
{
	return pg_ingress_len(env, data, end, (uint32_t)(end - data), now);
}

/*
 * Server to client: decide the TSecr translation without writing it, for dataplanes that
 * fix the checksum their own way (TC: bpf_l4_csum_replace knows CHECKSUM_PARTIAL), and
 * that may see only the headers of a longer packet (len, see pg_parse_len()).
 * Returns PG_V_MODIFIED with *tsecr set to the value to write.
 */
PG_INLINE int pg_egress_decide(struct pg_env *env, struct pg_pkt *pkt, uint8_t *data, uint8_t *end,
			       uint32_t len, uint64_t now, uint32_t *tsecr)
{
	struct pg_stats *st = pg_env_stats(env);
	const struct pg_config *cfg = pg_env_config(env);
	struct pg_flow_key key;
	struct pg_flow *f;
	uint64_t vnow;
	int rc;

	st->c[PG_STAT_PACKETS_OUT]++;
	rc = pg_parse_len(pkt, data, end, len);
	if (rc != PG_PARSE_TCP) {
		pg_count(st, rc);
		return PG_V_PASS;
	}
	if (!pkt->ts_off || !pkt->tsecr) {
		pg_flow_end_bare(env, pkt, false, now, cfg);
		return PG_V_PASS;
	}
	pg_pkt_flow_key(pkt, false, &key);
	f = pg_flow_find(env, &key, now, cfg);
	if (!f) {
		st->c[PG_STAT_ECHO_UNMATCHED]++;
		return PG_V_PASS;
	}
	if (PG_UNLIKELY(pg_flow_unconfirmed(f))) {
		if (f->state == PG_FS_ORPHAN) {
			/* The echo teaches the offset; this very TSecr is translated with it. */
			vnow = pg_vclock(now);
			pg_flow_adopt(f, pkt->tsecr, vnow, now);
			if (f->fwd_pub >= vnow)
				pg_flow_publish(env, &key, f, f->fwd_pub, vnow, now);
			st->c[PG_STAT_FLOW_ADOPTED]++;
			f = pg_flow_confirm(env, st, &key, f);
		} else if ((pkt->flags & (PG_TCP_SYN | PG_TCP_ACK)) == (PG_TCP_SYN | PG_TCP_ACK)) {
			f->flags |= PG_FF_SYNACK;
		}
	}
	*tsecr = pg_flow_tsecr(f, pkt->tsecr);
	pg_flow_touch(f, pkt->flags, false, now);
	st->c[PG_STAT_TSECR_TRANSLATED]++;
	return PG_V_MODIFIED;
}

/* Server to client, with the checksum updated in software; len as for pg_ingress_len(). */
PG_INLINE int pg_egress_len(struct pg_env *env, uint8_t *data, uint8_t *end, uint32_t len,
			    uint64_t now)
{
	struct pg_pkt pkt;
	uint32_t tsecr = 0;

	if (pg_egress_decide(env, &pkt, data, end, len, now, &tsecr) != PG_V_MODIFIED)
		return PG_V_PASS;
	if (pg_ts_set_tsecr(&pkt, tsecr))
		return PG_V_PASS;
	return PG_V_MODIFIED;
}

PG_INLINE int pg_egress(struct pg_env *env, uint8_t *data, uint8_t *end, uint64_t now)
{
	return pg_egress_len(env, data, end, (uint32_t)(end - data), now);
}

#endif /* PAWSGUARD_PIPELINE_H */
