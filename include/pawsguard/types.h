/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pawsguard: structures shared between the dataplanes (BPF maps, DPDK tables) and the CLI.
 *
 * Defined once, here, with fixed-width fields and explicit padding; the static assertions
 * below pin sizes and offsets so that a BPF object, the loader and the CLI can never disagree.
 */
#ifndef PAWSGUARD_TYPES_H
#define PAWSGUARD_TYPES_H

#include "compat.h"

/* Pool actions. NONE is what a source outside every pool gets. */
enum pg_action {
	PG_ACT_NONE = 0,
	PG_ACT_REWRITE = 1,
	PG_ACT_STRIP = 2,
};

/* An address: IPv6, or IPv4 mapped as ::ffff:a.b.c.d, network byte order. */
struct pg_addr {
	union {
		uint8_t b[16];
		uint32_t w[4];
	};
};

/* Pool keys: BPF LPM trie layout (prefix length first, then the address bytes). */
struct pg_lpm4_key {
	uint32_t prefixlen;
	uint8_t addr[4];
};

struct pg_lpm6_key {
	uint32_t prefixlen;
	uint8_t addr[16];
};

struct pg_pool_val {
	uint32_t action; /* enum pg_action */
	uint32_t flags;	 /* reserved, 0 */
};

/*
 * Per source address. Times are virtual-clock nanoseconds (realtime-derived, see
 * translate.h). Updated concurrently by several CPUs: max_fwd only through pg_raise_u32()
 * (compare-and-swap), the rest are statistics where a lost update is harmless.
 *
 * The evidence of several clocks behind the address is kept apart by the server rule it
 * endangers (docs/DESIGN.md, "Telling NATs from per-connection clocks"): backwards counts
 * SYNs behind an earlier SYN of the address (the per-peer rule; also what every 2026 client
 * does across its own 4-tuples), tuple_back SYNs behind the last SYN on their own 4-tuple
 * (the TIME-WAIT rule; several clocks on one 4-tuple: a NAT). recent[] remembers the last
 * SYN of four 4-tuples for that, ttls the operating systems' initial TTLs seen (a heuristic).
 */
struct pg_source {
	uint64_t last_ns; /* last SYN from this source, or last raise of max_fwd */
	uint64_t raw_ns;  /* when raw_max was set */
	/*
	 * Largest TSval forwarded for this source, unwrapped: a 64-bit position on the line of
	 * the virtual clock's milliseconds, whose low 32 bits are on the wire. Our decisions
	 * compare these without serial ambiguity, however far fast client clocks run ahead.
	 */
	uint64_t max_fwd;
	uint32_t raw_max;    /* largest untranslated SYN TSval seen within the PAWS window */
	uint32_t syns;	     /* SYNs carrying a timestamp */
	uint32_t backwards;  /* SYNs behind an earlier SYN within 60 s: rescued, or a hint */
	uint32_t tuple_back; /* SYNs behind the last SYN on their 4-tuple: several clocks */
	uint32_t flows;	     /* flows created (rewrite) */
	uint8_t action;	     /* pool action when last seen (enum pg_action) */
	uint8_t flags;	     /* PG_SF_* */
	uint8_t ttls;	     /* PG_TTL_* classes of the SYNs' IP TTL or hop limit */
	uint8_t pad;
	/*
	 * The last SYN on up to four 4-tuples (pg_tuple_index() picks the slot), as
	 * pg_tuple_slot() packs it: client port, 4 bits of the server address and port, the
	 * top 12 bits of the raw TSval. 0: empty. Cleared with raw_max when it expires.
	 */
	uint32_t recent[4];
};

/*
 * pg_source.flags. ADOPTED: what this source's max_fwd holds came from adopted flows since
 * its last SYN here, so its next SYN still gets the unknown-source margin (translate.h).
 */
#define PG_SF_ADOPTED 0x1

/*
 * pg_source.ttls: the initial TTL a SYN's IP TTL (IPv6: hop limit) was sent with, rounded up
 * to the usual defaults (64: Linux, BSD, macOS, Android, iOS; 128: Windows; 255: others).
 * Two classes behind one address are two operating systems: several hosts, a heuristic.
 */
#define PG_TTL_64  0x1
#define PG_TTL_128 0x2
#define PG_TTL_255 0x4

/* TCP state of a translated flow, as far as pawsguard needs it. */
enum pg_flow_state {
	PG_FS_DEAD = 0,	   /* retired: a later connection on the 4-tuple went untranslated */
	PG_FS_SYN = 1,	   /* SYN forwarded, handshake not complete */
	PG_FS_EST = 2,	   /* ACK seen from the client */
	PG_FS_CLOSING = 3, /* FIN or RST seen in either direction */
	/*
	 * Orphan: a segment of a pool source on a 4-tuple without a live entry (pawsguard
	 * restarted, failed over, evicted the flow, or never saw it open). Its offset is
	 * learned from the server's next echo (docs/DESIGN.md, "Learning a flow's offset").
	 */
	PG_FS_ORPHAN = 4,
};

/* pg_flow.flags */
#define PG_FF_SYNACK  0x01 /* SYN state: the server's SYN-ACK for this SYN went by */
#define PG_FF_ADOPTED 0x02 /* the offset was learned from an echo, not chosen for a SYN */

/* Flow key: always (client, server) whatever the packet's direction. */
struct pg_flow_key {
	struct pg_addr client;
	struct pg_addr server;
	uint16_t cport; /* network order */
	uint16_t sport; /* network order */
};

/*
 * An IPv4 flow in its own table: hashing 12 bytes instead of 36 is much of the cost of the
 * established-segment lookup. Addresses and ports in network order.
 */
struct pg_flow_key4 {
	uint32_t client;
	uint32_t server;
	uint16_t cport;
	uint16_t sport;
};

/* Is the key an IPv4 flow? Both addresses of a packet share a family: test the client's. */
static inline bool pg_flow_key_is4(const struct pg_flow_key *k)
{
	return k->client.w[2] == pg_htonl(0xffff) && !k->client.w[0] && !k->client.w[1];
}

static inline void pg_flow_key_to4(const struct pg_flow_key *k, struct pg_flow_key4 *k4)
{
	k4->client = k->client.w[3];
	k4->server = k->server.w[3];
	k4->cport = k->cport;
	k4->sport = k->sport;
}

static inline void pg_flow_key_from4(const struct pg_flow_key4 *k4, struct pg_flow_key *k)
{
	k->client.w[0] = k->client.w[1] = k->server.w[0] = k->server.w[1] = 0;
	k->client.w[2] = k->server.w[2] = pg_htonl(0xffff);
	k->client.w[3] = k4->client;
	k->server.w[3] = k4->server;
	k->cport = k4->cport;
	k->sport = k4->sport;
}

struct pg_flow {
	uint64_t last_ns;
	uint64_t fwd_pub; /* largest TSval' of the flow published in max_fwd, unwrapped */
	uint32_t offset;  /* TSval' = TSval + offset, TSecr = TSecr' - offset */
	uint32_t syn_seq; /* ISN of the client's SYN: tells a retransmit from a new connection */
	/*
	 * SYN state: the client's TSval in its first SYN, the SYN-ACK's TSecr floor.
	 * Orphan: the client's latest raw TSval, from which the echo teaches the offset.
	 */
	uint32_t syn_raw;
	uint8_t state; /* enum pg_flow_state */
	uint8_t flags; /* PG_FF_* */
	uint8_t pad[2];
};

/* Tunables. Times in nanoseconds. */
struct pg_config {
	uint64_t realtime_off_ns;   /* BPF: realtime = boottime + this (set by the loader) */
	uint64_t source_ttl_ns;	    /* source state is forgotten after this idle time */
	uint64_t syn_timeout_ns;    /* flow in SYN state */
	uint64_t est_timeout_ns;    /* idle established flow */
	uint64_t close_timeout_ns;  /* flow after FIN/RST: long enough for late segments */
	uint32_t unknown_margin_ms; /* added to vclock for a source without state */
	/*
	 * How far the dataplane's clock may lag the realtime clock (never lead). A SYN's TSval
	 * adds it, so that it stays above every TSval judged "not ahead" of a lagging clock.
	 * The BPF programs read a clock cached per jiffy (<= 10 ms at HZ >= 100).
	 */
	uint32_t clock_lag_ms;
};

#define PG_SEC_NS      1000000000ULL
#define PG_PAWS_MSL_NS (60 * PG_SEC_NS) /* TCP_PAWS_MSL: the server rules' memory */

#define PG_CONFIG_DEFAULT                                                                          \
	{                                                                                          \
		.realtime_off_ns = 0, .source_ttl_ns = 75 * PG_SEC_NS,                             \
		.syn_timeout_ns = 75 * PG_SEC_NS, .est_timeout_ns = 86400 * PG_SEC_NS,             \
		.close_timeout_ns = 120 * PG_SEC_NS, .unknown_margin_ms = 1000,                    \
		.clock_lag_ms = 10,                                                                \
	}

/*
 * Counters. One array per CPU (BPF) or per lcore (DPDK), summed by the CLI. The names table
 * lives in stats.h next to this list so the two cannot drift.
 */
#define PG_STATS_LIST(X)                                                                           \
	X(PACKETS, "packets", "packets seen (client to server)")                                   \
	X(PACKETS_OUT, "packets_out", "packets seen (server to client)")                           \
	X(TCP, "tcp", "TCP segments (client to server)")                                           \
	X(SYN, "syn", "SYNs")                                                                      \
	X(SYN_NO_TS, "syn_no_ts", "SYNs without a timestamp option")                               \
	X(POOL_SYN, "pool_syn", "SYNs from a pool")                                                \
	X(SYN_RETRANS, "syn_retrans", "pool SYN retransmits (same ISN)")                           \
	X(TSVAL_REWRITTEN, "tsval_rewritten", "TSvals rewritten")                                  \
	X(TS_STRIPPED, "ts_stripped", "timestamp options stripped")                                \
	X(TSECR_TRANSLATED, "tsecr_translated", "TSecrs translated back")                          \
	X(RESCUED, "rescued", "pool SYNs the server would have rejected")                          \
	X(NAT_SUSPECT, "nat_suspect", "SYNs outside pools whose TSval went backwards")             \
	X(RESCUED_TW, "rescued_tw", "pool SYNs behind the last SYN on their 4-tuple (TIME-WAIT)")  \
	X(NAT_TUPLE, "nat_tuple", "SYNs outside pools behind the last SYN on their 4-tuple")       \
	X(FLOW_NEW, "flow_new", "flows created")                                                   \
	X(FLOW_REUSE, "flow_reuse", "new flows on a known 4-tuple (NAT port reuse)")               \
	X(ORPHAN_NEW, "orphan_new", "segments of unknown pool flows: offset to learn (orphans)")   \
	X(FLOW_ADOPTED, "flow_adopted", "orphans whose offset was learned from the server's echo") \
	X(ECHO_UNMATCHED, "echo_unmatched", "server TSecrs that matched no flow entry")            \
	X(FLOW_CONFIRMED, "flow_confirmed", "flows moved to the established class")                \
	X(UNCONF_ADD, "unconf_add", "entries added to the unconfirmed table (SYNs, orphans)")      \
	X(EVICT_UNCONF, "evict_unconfirmed", "unconfirmed entries evicted to make room")           \
	X(EVICT_EST, "evict_established", "established flows evicted to make room")                \
	X(SOURCE_NEW, "source_new", "sources created")                                             \
	X(TABLE_FULL, "table_full", "flow or source inserts that failed")                          \
	X(NOT_IP, "not_ip", "frames neither IPv4 nor IPv6")                                        \
	X(NOT_TCP, "not_tcp", "IP packets that are not TCP")                                       \
	X(BAD_L2, "bad_l2", "not understood: truncated Ethernet/VLAN header")                      \
	X(BAD_IP, "bad_ip", "not understood: malformed IPv4/IPv6 header")                          \
	X(FRAGMENT, "fragment", "not understood: IP fragment")                                     \
	X(IP6_EXT, "ip6_ext", "not understood: IPv6 extension chain too long or truncated")        \
	X(BAD_TCP, "bad_tcp", "not understood: malformed TCP header")                              \
	X(OPT_LEN, "opt_len", "not understood: TCP option length 0 or 1")                          \
	X(OPT_OVERRUN, "opt_overrun", "not understood: TCP option runs past the header")           \
	X(TS_LEN, "ts_len", "not understood: timestamp option with a wrong length")                \
	X(TS_DUP, "ts_dup", "not understood: two timestamp options")                               \
	X(OPT_CAP, "opt_cap", "not understood: too many TCP options")

#define PG_STAT_ENUM(id, name, help) PG_STAT_##id,
enum pg_stat_id { PG_STATS_LIST(PG_STAT_ENUM) PG_STAT_MAX };
#undef PG_STAT_ENUM

struct pg_stats {
	uint64_t c[PG_STAT_MAX];
};

/* First and last "not understood" reasons, for totals. */
#define PG_STAT_REASON_FIRST PG_STAT_BAD_L2
#define PG_STAT_REASON_LAST  PG_STAT_OPT_CAP

/*
 * The layout of the XDP target's maps, recorded with its pins (control/xdp_load.c): `pawsguard
 * reload` refuses to run programs of one layout against maps made by another, and every verb
 * refuses pins of another layout. Bump it whenever a map's key or value layout changes: a struct
 * below (size, field order or meaning), a counter added to PG_STATS_LIST, a map's type, key or
 * value in xdp/pawsguard.bpf.c, or the set of pinned maps. The assertions below fail on most such
 * changes; PG_STAT_MAX is pinned with them so that a new counter cannot slip by.
 */
/* 2: pg_source of 64 bytes (the NAT evidence), counters rescued_tw and nat_tuple. */
#define PG_MAP_LAYOUT_VERSION 2

_Static_assert(PG_STAT_MAX == 37, "counters changed: bump PG_MAP_LAYOUT_VERSION, then this count");
_Static_assert(sizeof(struct pg_addr) == 16, "pg_addr");
_Static_assert(sizeof(struct pg_lpm4_key) == 8, "pg_lpm4_key");
_Static_assert(sizeof(struct pg_lpm6_key) == 20, "pg_lpm6_key");
_Static_assert(sizeof(struct pg_pool_val) == 8, "pg_pool_val");
_Static_assert(sizeof(struct pg_source) == 64, "pg_source");
_Static_assert(offsetof(struct pg_source, max_fwd) == 16, "pg_source.max_fwd");
_Static_assert(offsetof(struct pg_source, tuple_back) == 36, "pg_source.tuple_back");
_Static_assert(offsetof(struct pg_source, action) == 44, "pg_source.action");
_Static_assert(offsetof(struct pg_source, recent) == 48, "pg_source.recent");
_Static_assert(sizeof(struct pg_flow_key) == 36, "pg_flow_key");
_Static_assert(offsetof(struct pg_flow_key, cport) == 32, "pg_flow_key.cport");
_Static_assert(sizeof(struct pg_flow_key4) == 12, "pg_flow_key4");
_Static_assert(sizeof(struct pg_flow) == 32, "pg_flow");
_Static_assert(offsetof(struct pg_flow, fwd_pub) == 8, "pg_flow.fwd_pub");
_Static_assert(offsetof(struct pg_flow, offset) == 16, "pg_flow.offset");
_Static_assert(offsetof(struct pg_flow, state) == 28, "pg_flow.state");
_Static_assert(offsetof(struct pg_flow, flags) == 29, "pg_flow.flags");
_Static_assert(sizeof(struct pg_config) == 48, "pg_config");
_Static_assert(sizeof(struct pg_stats) == 8 * PG_STAT_MAX, "pg_stats");

#endif /* PAWSGUARD_TYPES_H */
