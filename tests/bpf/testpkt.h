/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames for the C programs that drive the real BPF programs (tests/bpf/evict.c,
 * tests/bench/xdp_bench.c, tests/bench/scale_xdp.c): checksums are not filled in, the programs only update them.
 */
#ifndef PG_TESTPKT_H
#define PG_TESTPKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pawsguard/compat.h"

/* Ethernet + IPv4 + TCP (NOP NOP TS, a 32-byte header) + 64 bytes of payload, or UDP. */
static inline size_t pg_test_frame4(uint8_t *p, uint8_t proto, const uint8_t src[4],
				    const uint8_t dst[4], uint16_t sport, uint16_t dport,
				    uint8_t flags, uint32_t seq, uint32_t tsval, uint32_t tsecr)
{
	size_t l4 = proto == 6 ? 32 : 8, len = 14 + 20 + l4 + 64;
	uint8_t *ip = p + 14, *th = ip + 20;

	memset(p, 0, len);
	memcpy(p, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = (uint8_t)(dport >> 8);
	th[3] = (uint8_t)dport;
	if (proto != 6) {
		th[5] = (uint8_t)(len - 34);
		return len;
	}
	pg_put_be32(th + 4, seq);
	th[12] = 8 << 4;
	th[13] = flags;
	th[14] = 0xff;
	memcpy(th + 20, "\x01\x01\x08\x0a", 4);
	pg_put_be32(th + 24, tsval);
	pg_put_be32(th + 28, tsecr);
	return len;
}

#endif /* PG_TESTPKT_H */
