/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK appliance's telemetry commands, registered with DPDK's telemetry library
 * (dataplane/telemetry.c) and used by the CLI (control/target_dpdk.c): names and paging
 * defined once. Every reply is a dict (DPDK 22.11 holds dicts in dicts, not in arrays), so a
 * list is a dict keyed by position; one reply holds at most 16 KB and 256 keys, so lists come
 * in pages a client walks to the end.
 *
 *   /pawsguard/stats                 every counter by its stats.h name (summed over workers),
 *                                    "flows", "sources", "flows_capacity",
 *                                    "sources_capacity", "not_understood", "evictions",
 *                                    "tx_dropped", "ring_dropped", "handed_off",
 *                                    "rx_packets", "tx_packets", "lcores"
 *   /pawsguard/pools[,OFFSET[,COUNT]] {"total": N, "offset": O, "next": O + count,
 *                                    "pools": {"O": {"prefix", "action"}, ...}}: at most
 *                                    PG_TEL_POOLS_PAGE per page, in the order added
 *   /pawsguard/pool_add,CIDR[ ACTION] {"added": CIDR, "action": ACTION, "pools": N}
 *   /pawsguard/pool_del,CIDR         {"deleted": CIDR, "pools": N}
 *   /pawsguard/sources[,LIMIT]       {"count": n, "sources": {"0": {...}, ...}}: the LIMIT
 *   /pawsguard/flows[,LIMIT]         (at most PG_TEL_RECENT_MAX) most recent, "0" first
 *   /pawsguard/sources,page,W,POS    {"count": n, "entries": {"0": {...}, ...}, "next":
 *   /pawsguard/flows,page,W,POS      "W,POS"}: every entry, a page at a time in table
 *                                    order, from "0,0" until a page has no "next"
 *
 * A source's "max_fwd" is the TSval on the wire, as `pawsguard sources --json` shows it;
 * "max_fwd_pos" the unwrapped position it is kept as (pawsguard/types.h).
 * A command that fails answers {"error": "one line"}.
 */
#ifndef PAWSGUARD_PGTEL_H
#define PAWSGUARD_PGTEL_H

#define PG_TEL_STATS	"/pawsguard/stats"
#define PG_TEL_POOLS	"/pawsguard/pools"
#define PG_TEL_POOL_ADD "/pawsguard/pool_add"
#define PG_TEL_POOL_DEL "/pawsguard/pool_del"
#define PG_TEL_SOURCES	"/pawsguard/sources"
#define PG_TEL_FLOWS	"/pawsguard/flows"

/*
 * Entries per reply. DPDK 22.11 drops, without a word, what does not fit in its 16 KB reply
 * buffer, so pages are sized for the longest entry: a source of an IPv6 address and every
 * number at its widest is about 290 bytes of JSON (48 of them: 14 KB of 16), a flow about 230, a
 * pool about 80.
 */
#define PG_TEL_POOLS_PAGE 128
#define PG_TEL_PAGE	  48
#define PG_TEL_RECENT_MAX 48

#endif /* PAWSGUARD_PGTEL_H */
