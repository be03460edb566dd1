// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Bench-only programs (tests/bench/scale.sh, xdp.sh), built with the very programs and maps
 * of xdp/pawsguard.bpf.c, included whole:
 *
 * - pg_xdp_scale: on every BPF_PROG_TEST_RUN repeat, writes the next pseudo-random flow's
 *   client address and port (and a new ISN, and a fixed TSval) into the frame, then runs
 *   the ingress program's body (pg_xdp_run). The walk costs no memory access: flow i's
 *   addresses are a function of i (scale_xdp.h). Its own cost is measured on one flow
 *   (flow_mask 0) against pg_xdp_ingress on the same frame, and subtracted.
 * - pg_floor: the essential work of the established segment and nothing more: parse
 *   Ethernet/IPv4/TCP with NOP NOP TS at fixed offsets, one LRU hash lookup on the 12-byte
 *   key (pawsguard's own pg_flows4, so both look in the same table), TSval += offset, the
 *   RFC 1624 checksum update, one per-CPU counter. pg_floor_scale walks flows as above.
 */
#include "pawsguard.bpf.c"

#include "scale_xdp.h"

/* In a section of its own: the map's value is exactly the struct, for the bench to write. */
struct pg_bench_walk pg_bench_walk SEC(".data.pg_bench") = {.rng = 0x9e3779b97f4a7c15ULL};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} pg_floor_count SEC(".maps");

/* The next flow of the walk into the frame; false if the frame is too short. */
static __always_inline bool pg_bench_next(struct xdp_md *ctx)
{
	uint8_t *d = (uint8_t *)(long)ctx->data;
	uint8_t *end = (uint8_t *)(long)ctx->data_end;
	struct pg_bench_walk *w = &pg_bench_walk;
	__u64 x = w->rng;
	__u32 i;

	if (d + PG_BENCH_FRAME_MIN > end)
		return false;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	w->rng = x;
	i = w->seq ? w->next++ : (__u32)(x >> 32);
	i &= w->flow_mask;
	*(__u32 *)(void *)(d + PG_BENCH_OFF_SADDR) = pg_htonl(PG_BENCH_SRC + (i & w->src_mask));
	*(__u16 *)(void *)(d + PG_BENCH_OFF_SPORT) =
		pg_htons((__u16)(PG_BENCH_PORT0 + (i >> w->src_shift)));
	*(__u32 *)(void *)(d + PG_BENCH_OFF_SEQ) = (__u32)x;
	*(__u32 *)(void *)(d + PG_BENCH_OFF_TSVAL) = w->tsval;
	return true;
}

SEC("xdp")
int pg_xdp_scale(struct xdp_md *ctx)
{
	if (!pg_bench_next(ctx))
		return XDP_ABORTED;
	return pg_xdp_run(ctx);
}

static __always_inline int pg_floor_run(struct xdp_md *ctx)
{
	uint8_t *d = (uint8_t *)(long)ctx->data;
	uint8_t *end = (uint8_t *)(long)ctx->data_end;
	struct pg_flow_key4 k;
	struct pg_flow *f;
	__u32 zero = 0, old, val, sum;
	__u64 *n;

	if (d + PG_BENCH_FRAME_MIN > end)
		return XDP_PASS;
	/* IPv4 without options, TCP with a 32-byte header starting NOP NOP TS. */
	if (pg_load16(d + 12) != pg_htons(PG_ETH_P_IP) || d[14] != 0x45 ||
	    d[23] != PG_IPPROTO_TCP || (d[46] >> 4) != 8 ||
	    pg_load32(d + 54) != pg_htonl(0x0101080a))
		return XDP_PASS;
	k.client = pg_load32(d + 26);
	k.server = pg_load32(d + 30);
	k.cport = pg_load16(d + 34);
	k.sport = pg_load16(d + 36);
	f = bpf_map_lookup_elem(&pg_flows4, &k);
	if (!f)
		return XDP_PASS;
	/* Its own loads and checksum arithmetic: a fixed reference whatever the core does. */
	old = __builtin_bswap32(*(__u32 *)(void *)(d + 58));
	val = old + f->offset;
	*(__u32 *)(void *)(d + 58) = __builtin_bswap32(val);
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over 16-bit words. */
	sum = (__u16)~__builtin_bswap16(*(__u16 *)(void *)(d + 50));
	sum += (__u16) ~(old >> 16) + (__u16)~old + (val >> 16) + (val & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*(__u16 *)(void *)(d + 50) = __builtin_bswap16((__u16)~sum);
	n = bpf_map_lookup_elem(&pg_floor_count, &zero);
	if (n)
		(*n)++;
	return XDP_PASS;
}

SEC("xdp")
int pg_floor(struct xdp_md *ctx)
{
	return pg_floor_run(ctx);
}

SEC("xdp")
int pg_floor_scale(struct xdp_md *ctx)
{
	if (!pg_bench_next(ctx))
		return XDP_ABORTED;
	return pg_floor_run(ctx);
}
