/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scale benchmark's flow walk (tests/bench/scale_xdp.bpf.c, scale_xdp.c): flow i of a
 * table of N = 4 * S flows from S sources is client src_base + (i % S), port
 * PG_BENCH_PORT0 + i / S, to PG_BENCH_SERVER:80. S and N are powers of two.
 */
#ifndef PG_BENCH_SCALE_XDP_H
#define PG_BENCH_SCALE_XDP_H

#include "pawsguard/compat.h"

#define PG_BENCH_PORT0	1024
#define PG_BENCH_SERVER 0xc6120001 /* 198.18.0.1 */
#define PG_BENCH_SRC	0x0a000000 /* 10.0.0.0, in the pool 10.0.0.0/8 */

/* Offsets in the bench frame (Ethernet, IPv4 without options, TCP with NOP NOP TS). */
#define PG_BENCH_OFF_SADDR 26
#define PG_BENCH_OFF_SPORT 34
#define PG_BENCH_OFF_SEQ   38
#define PG_BENCH_OFF_TSVAL 58
#define PG_BENCH_FRAME_MIN 66

struct pg_bench_walk {
	uint64_t rng;	    /* xorshift64 state, never 0 */
	uint32_t flow_mask; /* N - 1: 0 walks the one flow 0 */
	uint32_t src_mask;  /* S - 1 */
	uint32_t src_shift; /* log2(S) */
	uint32_t tsval;	    /* TSval written into every frame, network order */
	uint32_t seq;	    /* 1: flows in order (warming the table up), 0: uniform random */
	uint32_t next;	    /* the next flow in order */
};

_Static_assert(sizeof(struct pg_bench_walk) == 32, "pg_bench_walk");

#endif /* PG_BENCH_SCALE_XDP_H */
