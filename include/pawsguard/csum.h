/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum helpers: incremental update (RFC 1624, eqn. 3) for fields at any byte
 * offset. Sums are host integers over big-endian 16-bit words.
 *
 * A byte at an even offset from the start of the checksummed data is the high half of its
 * 16-bit word, a byte at an odd offset the low half. Summing a field that starts at an odd
 * offset is therefore the byte-swapped sum of the same bytes at an even offset: that is the
 * whole trick for TCP options, whose 4-byte values may start at any offset.
 */
#ifndef PAWSGUARD_CSUM_H
#define PAWSGUARD_CSUM_H

#include "compat.h"

PG_INLINE uint16_t pg_csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Contribution of n bytes to a one's complement sum; odd: p[0] sits at an odd offset. */
PG_INLINE uint32_t pg_csum_bytes(const uint8_t *p, uint32_t n, uint32_t odd)
{
	uint32_t s = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		s += ((i + odd) & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

/* Contribution of a 32-bit big-endian field holding v (host order). */
PG_INLINE uint32_t pg_csum_word32(uint32_t v, uint32_t odd)
{
	if (odd)
		return (v >> 24) + ((v >> 8) & 0xff) + (((v >> 16) & 0xff) << 8) +
		       ((v & 0xff) << 8);
	return (v >> 16) + (v & 0xffff);
}

/*
 * For helpers that assume an even offset (the kernel's bpf_l4_csum_replace): the value
 * whose even-offset contribution equals v's contribution at an odd offset.
 */
PG_INLINE uint32_t pg_csum_oddswap32(uint32_t v)
{
	return ((v & 0x00ff00ffU) << 8) | ((v & 0xff00ff00U) >> 8);
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), with m and m' the old and new contributions of
 * the changed bytes. csum points at the 16-bit checksum field in the packet.
 */
PG_INLINE void pg_csum_update(uint8_t *csum, uint32_t old_sum, uint32_t new_sum)
{
	uint32_t s;
	uint16_t hc;

	hc = pg_get_be16(csum);
	s = (uint16_t)~hc;
	s += (uint16_t)~pg_csum_fold(old_sum);
	s += pg_csum_fold(new_sum);
	hc = (uint16_t)~pg_csum_fold(s);
	csum[0] = (uint8_t)(hc >> 8);
	csum[1] = (uint8_t)hc;
}

/* Full sum of a buffer starting at an even offset (tests and tools only; not for BPF). */
PG_INLINE uint32_t pg_csum_partial(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return pg_csum_fold(sum);
}

#endif /* PAWSGUARD_CSUM_H */
