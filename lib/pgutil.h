/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Userspace helpers shared by the CLI (control/) and the DPDK appliance (dataplane/): the
 * clocks both compute ages and offsets with, and how addresses are written. Counter, action
 * and flow-state names are in pawsguard/stats.h, from the core's own lists.
 */
#ifndef PAWSGUARD_PGUTIL_H
#define PAWSGUARD_PGUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "pawsguard/types.h"

/* Realtime now, ns: every dataplane's clock is realtime-based (docs/DESIGN.md). */
uint64_t pg_realtime_ns(void);
/* Realtime minus boottime, ns: the BPF programs read bpf_ktime_get_boot_ns() and add this. */
uint64_t pg_realtime_offset_ns(void);

/* Longest text of pg_addr_format and of pg_endpoint_format, with the NUL. */
#define PG_ADDR_STRLEN	   46
#define PG_ENDPOINT_STRLEN (PG_ADDR_STRLEN + 8)

/* A pg_addr as text: dotted quad for IPv4-mapped, else IPv6. */
void pg_addr_format(const struct pg_addr *a, char *buf, size_t len);
/* "a.b.c.d:port" or "[x:y::z]:port"; port in network order. */
void pg_endpoint_format(const struct pg_addr *a, uint16_t port_be, char *buf, size_t len);

#endif /* PAWSGUARD_PGUTIL_H */
