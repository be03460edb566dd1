// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pawsguard on a server's own NIC: XDP ingress rewrites client TSvals (or strips the
 * option), TC egress translates the server's TSecrs back. Both are thin wrappers around
 * the shared pipeline (include/pawsguard/pipeline.h); state lives in the maps below, pinned
 * by the loader under /sys/fs/bpf/pawsguard/IFACE/ and shared by the two programs.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

/* Hooks are static inline below, before the pipeline is included. */
#define PG_ENV_HOOKS 1
#include "pawsguard/parse.h"
#include "pawsguard/translate.h"
#include "pawsguard/types.h"

/* Sizes of the LRU tables are set by the loader (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct pg_lpm4_key);
	__type(value, struct pg_pool_val);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} pg_pools4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct pg_lpm6_key);
	__type(value, struct pg_pool_val);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} pg_pools6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pg_addr);
	__type(value, struct pg_source);
	__uint(max_entries, 65536);
} pg_sources SEC(".maps");

/*
 * Flows: IPv4 with a compact key (types.h), IPv6 with the full one; all four sized alike.
 * Two eviction classes (docs/DESIGN.md, "Eviction classes"): established flows live in
 * pg_flows4/6, handshakes and orphans in pg_uflows4/6. Each LRU map evicts only within
 * itself, so a flood of SYNs or stray segments churns the unconfirmed maps and never
 * pushes an established flow out; a flow moves on the handshake's ACK or on adoption.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pg_flow_key4);
	__type(value, struct pg_flow);
	__uint(max_entries, 262144);
} pg_flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pg_flow_key);
	__type(value, struct pg_flow);
	__uint(max_entries, 65536);
} pg_flows6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pg_flow_key4);
	__type(value, struct pg_flow);
	__uint(max_entries, 262144);
} pg_uflows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct pg_flow_key);
	__type(value, struct pg_flow);
	__uint(max_entries, 65536);
} pg_uflows6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pg_stats);
	__uint(max_entries, 1);
} pg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pg_config);
	__uint(max_entries, 1);
} pg_config SEC(".maps");

/*
 * The realtime clock, read once per jiffy per CPU. A clock read costs ~45 ns in a VM,
 * more than the rest of the fast path; a value up to one jiffy old (10 ms at HZ >= 100)
 * is what pg_config.clock_lag_ms covers. Private to the BPF programs.
 */
struct pg_clock {
	__u64 jiffies;
	__u64 now;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pg_clock);
	__uint(max_entries, 1);
} pg_clock SEC(".maps");

struct pg_env {
	struct pg_stats *st;
	const struct pg_config *cfg;
};

PG_INLINE struct pg_stats *pg_env_stats(struct pg_env *e)
{
	return e->st;
}

PG_INLINE const struct pg_config *pg_env_config(struct pg_env *e)
{
	return e->cfg;
}

PG_INLINE uint32_t pg_env_pool(struct pg_env *e, uint8_t family, const struct pg_addr *a)
{
	const struct pg_pool_val *v;
	(void)e;

	if (family == 4) {
		struct pg_lpm4_key k4 = {.prefixlen = 32};

		__builtin_memcpy(k4.addr, &a->b[12], 4);
		v = bpf_map_lookup_elem(&pg_pools4, &k4);
	} else {
		struct pg_lpm6_key k6 = {.prefixlen = 128};

		__builtin_memcpy(k6.addr, a->b, 16);
		v = bpf_map_lookup_elem(&pg_pools6, &k6);
	}
	return v ? v->action : PG_ACT_NONE;
}

PG_INLINE struct pg_source *pg_env_source(struct pg_env *e, const struct pg_addr *a, bool create)
{
	struct pg_source *s, zero = {};

	s = bpf_map_lookup_elem(&pg_sources, a);
	if (s || !create)
		return s;
	/* NOEXIST: if another CPU created it meanwhile, use theirs (and it counted it). */
	if (!bpf_map_update_elem(&pg_sources, a, &zero, BPF_NOEXIST))
		e->st->c[PG_STAT_SOURCE_NEW]++;
	s = bpf_map_lookup_elem(&pg_sources, a);
	if (!s)
		e->st->c[PG_STAT_TABLE_FULL]++;
	return s;
}

/* The established class alone: the fast path before the decision (pipeline.h). */
PG_INLINE struct pg_flow *pg_env_flow_est(struct pg_env *e, const struct pg_flow_key *k)
{
	struct pg_flow_key4 k4;

	(void)e;
	if (!pg_flow_key_is4(k))
		return bpf_map_lookup_elem(&pg_flows6, k);
	pg_flow_key_to4(k, &k4);
	return bpf_map_lookup_elem(&pg_flows4, &k4);
}

/* The unconfirmed class alone: after the fast path found nothing established. */
PG_INLINE struct pg_flow *pg_env_flow_unconf(struct pg_env *e, const struct pg_flow_key *k)
{
	struct pg_flow_key4 k4;

	(void)e;
#ifdef PG_NO_LEARN
	/* The benchmark's baseline build (tests/bench): one flow table per family, as before. */
	return NULL;
#endif
	if (!pg_flow_key_is4(k))
		return bpf_map_lookup_elem(&pg_uflows6, k);
	pg_flow_key_to4(k, &k4);
	return bpf_map_lookup_elem(&pg_uflows4, &k4);
}

/* Established first, then unconfirmed. */
PG_INLINE struct pg_flow *pg_env_flow(struct pg_env *e, const struct pg_flow_key *k)
{
	struct pg_flow_key4 k4;
	struct pg_flow *f;

	(void)e;
#ifdef PG_NO_LEARN
	/* The benchmark's baseline build (tests/bench): one flow table per family, as before. */
	return pg_env_flow_est(e, k);
#endif
	if (!pg_flow_key_is4(k)) {
		f = bpf_map_lookup_elem(&pg_flows6, k);
		return f ? f : bpf_map_lookup_elem(&pg_uflows6, k);
	}
	pg_flow_key_to4(k, &k4);
	f = bpf_map_lookup_elem(&pg_flows4, &k4);
	return f ? f : bpf_map_lookup_elem(&pg_uflows4, &k4);
}

/* New entries are unconfirmed (pipeline.h): an LRU map makes room by evicting its LRU. */
PG_INLINE struct pg_flow *pg_env_flow_add(struct pg_env *e, const struct pg_flow_key *k,
					  const struct pg_flow *init)
{
	struct pg_flow_key4 k4;
	struct pg_flow *f = NULL;

	if (pg_flow_key_is4(k)) {
		pg_flow_key_to4(k, &k4);
		if (!bpf_map_update_elem(&pg_uflows4, &k4, init, BPF_ANY))
			f = bpf_map_lookup_elem(&pg_uflows4, &k4);
	} else {
		if (!bpf_map_update_elem(&pg_uflows6, k, init, BPF_ANY))
			f = bpf_map_lookup_elem(&pg_uflows6, k);
	}
	if (!f)
		e->st->c[PG_STAT_TABLE_FULL]++;
	return f;
}

/*
 * Move a flow to the established map: copy, then delete the unconfirmed entry. An entry
 * already established (a 4-tuple reused after its handshake) stays where it is. If the copy
 * fails the flow keeps translating from the unconfirmed map.
 */
PG_INLINE struct pg_flow *pg_env_flow_confirm(struct pg_env *e, const struct pg_flow_key *k,
					      struct pg_flow *f)
{
	struct pg_flow_key4 k4;
	struct pg_flow *n;
	void *est, *unc, *key;

	if (pg_flow_key_is4(k)) {
		pg_flow_key_to4(k, &k4);
		key = &k4;
		est = &pg_flows4;
		unc = &pg_uflows4;
	} else {
		key = (void *)k;
		est = &pg_flows6;
		unc = &pg_uflows6;
	}
	n = bpf_map_lookup_elem(est, key);
	if (n)
		return n;
	if (bpf_map_update_elem(est, key, f, BPF_ANY))
		return f;
	n = bpf_map_lookup_elem(est, key);
	if (!n)
		return f;
	bpf_map_delete_elem(unc, key);
	e->st->c[PG_STAT_FLOW_CONFIRMED]++;
	return n;
}

/*
 * The decisions run as global functions (pipeline.h says why): declared here, defined after
 * the pipeline, which calls them through these hooks.
 */
#define PG_DECIDE_HOOKS 1
struct pg_seg;
__attribute__((noinline)) int pg_decide_ingress(struct pg_seg *sg);
__attribute__((noinline)) int pg_decide_egress(struct pg_seg *sg);
#define PG_INGRESS_DECIDE(env, sg) ((void)(env), pg_decide_ingress(sg))
#define PG_EGRESS_DECIDE(env, sg)  ((void)(env), pg_decide_egress(sg))

#include "pawsguard/pipeline.h"

/* Returns false when the maps are not there or not configured yet. */
static __always_inline bool pg_env_init(struct pg_env *e, uint64_t *now)
{
	struct pg_clock *c;
	__u32 zero = 0;
	__u64 j;

	e->st = bpf_map_lookup_elem(&pg_stats, &zero);
	e->cfg = bpf_map_lookup_elem(&pg_config, &zero);
	c = bpf_map_lookup_elem(&pg_clock, &zero);
	/* Until the loader has set the clock offset, pass everything untouched. */
	if (!e->st || !e->cfg || !c || !e->cfg->realtime_off_ns)
		return false;
	j = bpf_jiffies64();
	if (c->jiffies != j) {
		c->jiffies = j;
		c->now = bpf_ktime_get_boot_ns() + e->cfg->realtime_off_ns;
	}
	*now = c->now;
	return true;
}

/*
 * The state the decisions need: counters and configuration. The programs looked them up
 * already, but a global function is verified alone and gets only its argument; array
 * lookups are inlined by the verifier into a few instructions.
 */
static __always_inline bool pg_env_get(struct pg_env *e)
{
	__u32 zero = 0;

	e->st = bpf_map_lookup_elem(&pg_stats, &zero);
	e->cfg = bpf_map_lookup_elem(&pg_config, &zero);
	return e->st && e->cfg;
}

__attribute__((noinline)) int pg_decide_ingress(struct pg_seg *sg)
{
	struct pg_env env;

	if (!sg || !pg_env_get(&env))
		return PG_SEG_PASS;
	return pg_ingress_decide(&env, sg);
}

__attribute__((noinline)) int pg_decide_egress(struct pg_seg *sg)
{
	struct pg_env env;

	if (!sg || !pg_env_get(&env))
		return PG_SEG_PASS;
	return pg_egress_decide(&env, sg);
}

/* Under libxdp's dispatcher: run after higher-priority programs, chain on XDP_PASS. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(pg_xdp_ingress);

SEC("xdp")
int pg_xdp_ingress(struct xdp_md *ctx)
{
	uint8_t *data = (uint8_t *)(long)ctx->data;
	uint8_t *end = (uint8_t *)(long)ctx->data_end;
	struct pg_env env;
	uint64_t now;

	if (pg_env_init(&env, &now))
		pg_ingress(&env, data, end, now);
	/* pawsguard never drops: rewritten or not, the packet goes on to the stack. */
	return XDP_PASS;
}

/*
 * pawsguard's filter runs first on clsact egress (pref 1; docs/DESIGN.md, "Pins, namespaces
 * and upgrades") and never decides a packet's fate: TC_ACT_UNSPEC lets classification go on to
 * the filters after it, as if pawsguard were not there. TC_ACT_OK would end it and silently
 * switch those filters off.
 */
SEC("tc")
int pg_tc_egress(struct __sk_buff *skb)
{
	uint8_t *data, *end, *o;
	struct pg_env env;
	struct pg_pkt pkt;
	uint32_t tsecr = 0, from, to, csum_off, toff, old;
	uint64_t now;

	if (!pg_env_init(&env, &now))
		return TC_ACT_UNSPEC;
	/* Headers of locally built packets are linear; pull if a driver left them paged. */
	if (skb->data_end - skb->data < 128 && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128);
	data = (uint8_t *)(long)skb->data;
	end = (uint8_t *)(long)skb->data_end;
	/* skb->len: a GSO packet carries up to 64 KB in pages beyond its linear headers. */
	if (pg_egress_parse_decide(&env, &pkt, data, end, skb->len, now, &tsecr) != PG_V_MODIFIED)
		return TC_ACT_UNSPEC;
	o = pg_ts_ptr(&pkt);
	if (!o)
		return TC_ACT_UNSPEC;
	toff = (uint32_t)(o + 6 - data);
	pg_put_be32(o + 6, tsecr);
	/*
	 * bpf_l4_csum_replace knows CHECKSUM_PARTIAL (the field then holds only the pseudo
	 * header sum and must stay as it is). It sums its operands as if at an even offset;
	 * for a field at an odd offset, hand it the byte-swapped halves (csum.h).
	 */
	from = pkt.tsecr;
	to = tsecr;
	if (pkt.ts_off & 1) {
		from = pg_csum_oddswap32(from);
		to = pg_csum_oddswap32(to);
	}
	csum_off = (uint32_t)(pkt.th - data) + PG_TCP_CSUM_OFF;
	if (bpf_l4_csum_replace(skb, csum_off, pg_htonl(from), pg_htonl(to), 4)) {
		/* The checksum could not follow: put the echo back as it was (fail open). */
		old = pg_htonl(pkt.tsecr);
		bpf_skb_store_bytes(skb, toff, &old, sizeof(old), 0);
		return TC_ACT_UNSPEC;
	}
	env.st->c[PG_STAT_TSECR_TRANSLATED]++;
	return TC_ACT_UNSPEC;
}

/* Baselines for the benchmark (tests/bench/xdp.sh): the cost of doing nothing. */
SEC("xdp")
int pg_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("tc")
int pg_tc_pass(struct __sk_buff *skb)
{
	(void)skb;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual BSD/GPL";
