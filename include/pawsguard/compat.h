/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pawsguard core: portability layer.
 *
 * The core builds three ways: with clang -target bpf (BPF programs, freestanding), with
 * gcc/clang for userspace (DPDK dataplane, CLI, tests). It therefore uses only <stdint.h>,
 * <stddef.h> and <stdbool.h>, which clang provides freestanding, and never a libc call.
 */
#ifndef PAWSGUARD_COMPAT_H
#define PAWSGUARD_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__bpf__)
/* The verifier has no calls into non-static functions: everything must inline. */
#define PG_INLINE static inline __attribute__((always_inline))
#else
#define PG_INLINE static inline
#endif

#define PG_LIKELY(x)	 __builtin_expect(!!(x), 1)
#define PG_UNLIKELY(x)	 __builtin_expect(!!(x), 0)
#define PG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define pg_htons(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define pg_htonl(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define pg_htons(x) ((uint16_t)(x))
#define pg_htonl(x) ((uint32_t)(x))
#else
#error "pawsguard: unknown byte order"
#endif
#define pg_ntohs(x) pg_htons(x)
#define pg_ntohl(x) pg_htonl(x)

/*
 * Raw 16/32-bit loads in memory (network) order from any alignment. clang 14's BPF
 * backend splits a memcpy from a uint8_t pointer into byte loads; x86-64 and arm64 JITs
 * do unaligned loads and the verifier allows them on packets where the architecture has
 * efficient unaligned access, so BPF uses a plain load. Userspace uses memcpy, which is
 * one instruction and well defined.
 */
#if defined(__bpf__)
PG_INLINE uint32_t pg_load32(const uint8_t *p)
{
	return *(const uint32_t *)(const void *)p;
}

PG_INLINE uint16_t pg_load16(const uint8_t *p)
{
	return *(const uint16_t *)(const void *)p;
}
#else
PG_INLINE uint32_t pg_load32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

PG_INLINE uint16_t pg_load16(const uint8_t *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}
#endif

/*
 * Big-endian loads and stores. In BPF a load or store and a byte swap, one x86 instruction
 * each once JITed, where the byte-wise form costs eight (-1 ns per segment on the fast
 * path); the unaligned access is the one pg_load32() explains, so they are for packet data
 * only (the verifier refuses a misaligned access to the stack on every architecture).
 * Elsewhere by byte, which compilers turn into the same.
 */
#if defined(__bpf__)
PG_INLINE uint16_t pg_get_be16(const uint8_t *p)
{
	return pg_ntohs(pg_load16(p));
}

PG_INLINE uint32_t pg_get_be32(const uint8_t *p)
{
	return pg_ntohl(pg_load32(p));
}

PG_INLINE void pg_put_be32(uint8_t *p, uint32_t v)
{
	*(uint32_t *)(void *)p = pg_htonl(v);
}
#else
PG_INLINE uint16_t pg_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

PG_INLINE uint32_t pg_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

PG_INLINE void pg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
#endif

/* Serial number arithmetic (RFC 1982 / RFC 7323): all TSval comparisons wrap mod 2^32. */
PG_INLINE bool pg_ts_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

PG_INLINE bool pg_ts_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

#endif /* PAWSGUARD_COMPAT_H */
