/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pawsguard-dpdk: the DPDK inline appliance, a bump in the wire between a client-side port
 * and a server-side port, built from the same header-only core as the XDP programs.
 *
 * Threading (why it is correct with any spread of packets over lcores)
 * --------------------------------------------------------------------
 * The main lcore only controls (reclaims retired pool sets, waits for a signal); every other
 * lcore is a worker. Each port gets min(workers, max queues) RX and TX queues; worker i polls
 * RX queue i of each port (RSS where the port supports it) and sends on TX queue i (shared
 * under a spinlock when a port has fewer TX queues than workers).
 *
 * All translation state of one client address lives on one worker, its OWNER:
 * hash(client address) % workers, where the client address is the IP source of a frame
 * from the client side and the IP destination of a frame from the server side. A worker that
 * receives a frame owned by another one hands it over through the owner's rte_ring (multi-
 * producer, single-consumer); the owner runs the pipeline and forwards it. So a source and
 * all its flows (both directions of every flow) are only ever touched by one lcore: the
 * per-lcore tables need no locks, and the core's compare-and-swap on max_fwd never races.
 * Frames that are not IPv4/IPv6 are forwarded by the worker that received them: the
 * pipeline never changes them. With one worker there is no ring: run to completion.
 * Order is kept per client address (one owner, FIFO rings), which is all TCP needs.
 *
 * Tables: per worker, one for sources (key: struct pg_addr) and one for flows of each family
 * (keys: struct pg_flow_key4, struct pg_flow_key): values at stable positions, an
 * open-addressing hash index to them (tables.h says why not rte_hash). A full table evicts: the first expired entry within a window
 * after a clock hand, else the least recently used entry of that window (sampled LRU);
 * evictions are counted. Each flow table has two eviction classes (docs/DESIGN.md,
 * "Eviction classes"): entries are added unconfirmed (handshakes, orphans) and kept in a
 * FIFO; confirmed (established) entries leave it. With no expired entry in the window, the
 * oldest unconfirmed entry goes, and an established flow only when none is left.
 *
 * Planned restart (state.c): with --state FILE the tables are written to FILE when the
 * workers have stopped and read back before forwarding starts, each entry on the worker
 * that owns its client address under the current worker count (pg_owner_of, tables.h).
 *
 * Pools: read-mostly and shared: an immutable pool set (pools.c) published by an atomic
 * pointer store from the control path; the old set is freed once every worker has passed a
 * quiescent state (rte_rcu_qsbr; workers report one per loop iteration).
 *
 * Telemetry (telemetry.c) reads counters directly (64-bit stores, statistics only), and the
 * tables never: it posts a request that each worker answers at its next loop iteration,
 * a bounded slice of its table at a time, into a buffer the worker owns.
 */
#ifndef PG_DPDK_H
#define PG_DPDK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "pawsguard/types.h"
#include "pgconf.h"
#include "pgutil.h"

#define PG_BURST	32
#define PG_TX_BUF	64    /* frames queued per output port before a forced flush */
#define PG_TX_RETRIES	4     /* tx_burst calls for one flush before the rest is dropped */
#define PG_RING_MIN	4096U /* slots of a handoff ring at least (main.c) */
#define PG_MBUF_CACHE	256   /* mbufs cached per lcore by the mempool */
#define PG_DUMP_MAX	500   /* most entries one /pawsguard/sources or /flows returns */
#define PG_DUMP_PAGE	80    /* entries of one page (always fits in one 16 KB reply) */
#define PG_DUMP_SLICE	8192  /* table slots a worker scans per loop iteration for a dump */
#define PG_EVICT_WINDOW 32    /* used slots looked at to choose an eviction victim */
#define PG_PREFETCH_MIN 16384 /* table entries in use from which lookups go in stages (worker.c) */
#define PG_MAX_POOLS	4096
#define PG_MAX_WORKERS	64

#define PG_DEFAULT_MAX_FLOWS   262144
#define PG_DEFAULT_MAX_SOURCES 65536

/* The two sides of the wire; a frame goes out on the side it did not come from. */
enum pg_side {
	PG_SIDE_CLIENT = 0, /* faces the clients (the NAT): ingress, TSval rewrite */
	PG_SIDE_SERVER = 1, /* faces the servers: egress, TSecr translated back */
};

/* Counters of the appliance itself, beside the core's struct pg_stats. */
struct pg_xstats {
	uint64_t rx;	       /* frames received from a port */
	uint64_t tx;	       /* frames a port accepted */
	uint64_t tx_dropped;   /* frames a port refused (freed) */
	uint64_t ring_dropped; /* frames the owner's handoff ring refused (freed) */
	uint64_t handed_off;   /* frames handed to their owner lcore */
	uint64_t evictions;    /* table entries evicted to make room (expired ones included) */
	uint64_t first_rx_ns;  /* realtime of the first frame received (0: none yet) */
	uint64_t last_rx_ns;   /* realtime of the last burst received */
};

/*
 * Slots: value first (last_ns at offset 0 for eviction), then the key, then the used byte and,
 * in flow tables, the class byte right after it. An IPv4 flow lives in its own table with a
 * 12-byte key: 48-byte slots instead of 72 (pg_dpdk.h, "Tables").
 */
struct pg_src_slot {
	struct pg_source s;
	struct pg_addr key;
	uint8_t used;
	uint8_t pad[7];
};

struct pg_flow_slot {
	struct pg_flow f;
	struct pg_flow_key key;
	uint8_t used;
	uint8_t unconf; /* eviction class: 1 while on the unconfirmed FIFO */
	uint8_t pad[2];
};

struct pg_flow4_slot {
	struct pg_flow f;
	struct pg_flow_key4 key;
	uint8_t used;
	uint8_t unconf;
	uint8_t pad[2];
};

_Static_assert(sizeof(struct pg_src_slot) == 88, "pg_src_slot");
_Static_assert(sizeof(struct pg_flow_slot) == 72, "pg_flow_slot");
_Static_assert(sizeof(struct pg_flow4_slot) == 48, "pg_flow4_slot");
_Static_assert(offsetof(struct pg_flow_slot, unconf) == offsetof(struct pg_flow_slot, used) + 1,
	       "pg_flow_slot.unconf");
_Static_assert(offsetof(struct pg_flow4_slot, unconf) == offsetof(struct pg_flow4_slot, used) + 1,
	       "pg_flow4_slot.unconf");

#define PG_NIL UINT32_MAX /* no position */

/* Links of the unconfirmed FIFO, by position (kept apart: a lookup never touches them). */
struct pg_ulink {
	uint32_t prev;
	uint32_t next;
};

/*
 * One per-worker table (tables.h): values and keys at stable positions in slots, an
 * open-addressing index from hash to position; free positions are linked through the free
 * slots themselves (the first 4 bytes of their key).
 */
struct pg_table {
	uint32_t *idx;	    /* (hash << pbits) | (position + 1), truncated; 0: empty */
	uint32_t n;	    /* index entries: twice size (at most half full) */
	uint32_t pbits;	    /* low bits of an index entry holding position + 1 */
	uint32_t pmask;	    /* (1 << pbits) - 1 */
	uint32_t free_head; /* first free position, PG_NIL when full */
	void *slots;
	uint32_t size; /* positions 0..size-1: the worker's share of the limit */
	uint32_t used; /* entries in use */
	uint32_t hand; /* clock hand for eviction */
	uint32_t slot_size;
	uint32_t key_off;
	uint32_t key_len;
	uint32_t used_off;
	uint32_t (*hash)(const void *key);
	/* Flow tables only (NULL for sources): unconfirmed entries, oldest first. */
	struct pg_ulink *ulink;
	uint32_t uhead;
	uint32_t utail;
	uint32_t nunconf;
};

/*
 * A worker's flows: one table per address family, each sized by the worker's share of
 * --max-flows (as the XDP maps are, per family). Positions of a dump run over t4, then t6:
 * size is their sum, used the entries of both.
 */
struct pg_flows {
	uint32_t used;
	uint32_t size;
	struct pg_table t4;
	struct pg_table t6;
};

enum pg_dump_kind {
	PG_DUMP_SOURCES = 1,
	PG_DUMP_FLOWS = 2,
};

struct pg_dump_rec {
	uint64_t last_ns;
	union {
		struct {
			struct pg_addr addr;
			struct pg_source s;
		} src;
		struct {
			struct pg_flow_key k;
			struct pg_flow f;
		} flow;
	};
};

/*
 * A telemetry dump request. The control path fills kind/limit and then publishes req_seq
 * (release); the worker answers with ack_seq = req_seq (release) once it has scanned its
 * whole table into recs (a min-heap on last_ns of at most limit records).
 */
struct pg_dump {
	uint32_t req_seq; /* written by the control path */
	uint32_t kind;
	uint32_t limit;
	/*
	 * Page mode (page != 0): the used slots from position start on, in position order, at
	 * most limit of them; the worker sets next to the position after the last one it took
	 * (the table size when none is left). A listing pages through every entry this way.
	 */
	uint32_t page;
	uint32_t start;
	uint32_t next;
	uint32_t ack_seq __rte_cache_aligned; /* written by the worker */
	uint32_t seq;			      /* request being answered */
	uint32_t cursor;
	uint32_t n;
	struct pg_dump_rec *recs;
};

/* Frames waiting for one TX queue of one port. */
struct pg_txq {
	uint16_t port;
	uint16_t queue;
	uint16_t n;
	rte_spinlock_t *lock; /* NULL when the queue is this worker's alone */
	struct rte_mbuf *pkts[PG_TX_BUF];
};

struct pg_rxq {
	uint16_t port;
	uint16_t queue;
	uint8_t side;
};

struct pg_worker {
	unsigned int idx;
	unsigned int lcore;
	struct pg_stats st;
	struct pg_xstats x;
	struct pg_table src;
	struct pg_flows flow;
	struct rte_ring *ring; /* frames other workers hand to this owner; NULL with one worker */
	unsigned int n_rxq;
	struct pg_rxq rxq[2];
	struct pg_txq tx[2]; /* by output side */
	int running;	     /* 1 while the loop runs (atomic) */
	struct pg_dump dump;
} __rte_cache_aligned;

/* An immutable pool set (pools.c); workers read it under RCU. */
struct pg_pool_key {
	uint64_t hi;
	uint64_t lo;
	uint32_t action;
};

struct pg_pool_group {
	uint64_t mhi;
	uint64_t mlo;
	uint32_t first;
	uint32_t count;
};

struct pg_pools {
	uint32_t n;
	struct pg_pool_entry *list; /* in the order added, for listing */
	uint32_t n_groups[2]; /* [0]: IPv4, [1]: IPv6; groups by prefix length, longest first */
	struct pg_pool_group groups[2][129];
	struct pg_pool_key *keys[2]; /* sorted within each group */
};

struct pg_app {
	struct pg_config cfg;
	unsigned int n_workers;
	struct pg_worker *workers; /* n_workers, cache aligned */
	uint16_t port[2];	   /* port id by side */
	uint32_t max_flows;
	uint32_t max_sources;
	struct rte_mempool *mp;
	struct rte_rcu_qsbr *qs;
	struct pg_pools *pools;	  /* RCU-published (atomic pointer) */
	pthread_mutex_t ctl_lock; /* control path: pool changes, dumps, reclaim */
	int force_quit;		  /* atomic */
	uint64_t start_ns;
};

extern struct pg_app pg_app;

static inline bool pg_quit(void)
{
	return __atomic_load_n(&pg_app.force_quit, __ATOMIC_RELAXED);
}

/* worker.c */
int pg_worker_main(void *arg);
/*
 * The pipeline over a burst of at most PG_BURST frames from one side (what the loop runs on
 * each burst it owns), leaving them in w->tx[side ^ 1]; for tests/bench/dpdk_scale.c.
 */
void pg_worker_burst(struct pg_worker *w, const struct pg_pools *pools, uint64_t now,
		     struct rte_mbuf **pkts, uint16_t n, unsigned int side);

/* tables.c */
int pg_tables_init(struct pg_worker *w, uint32_t max_sources, uint32_t max_flows, int socket);
void pg_tables_free(struct pg_worker *w);
struct pg_source *pg_tab_source_add(struct pg_worker *w, const struct pg_addr *a, uint32_t h,
				    uint64_t now);
struct pg_flow *pg_tab_flow_add(struct pg_worker *w, const struct pg_flow_key *k,
				const struct pg_flow *init, uint64_t now);
/* The flow became established (pipeline.h, eviction classes): returns where it lives. */
struct pg_flow *pg_tab_flow_confirm(struct pg_worker *w, const struct pg_flow_key *k,
				    struct pg_flow *f);
/* Restore an entry read from a state file, without evicting: 0, -EEXIST or -ENOSPC. */
int pg_tab_restore_flow(struct pg_worker *w, const struct pg_flow_key *k, const struct pg_flow *f,
			bool unconf);
int pg_tab_restore_source(struct pg_worker *w, const struct pg_addr *a,
			  const struct pg_source *src);
/* Free entries in the IPv4 (v4) or IPv6 flow table. */
uint32_t pg_tab_flow_room(const struct pg_worker *w, bool v4);
/* Bytes the tables take: the IPv4 and IPv6 flow tables, the source table. */
void pg_tables_bytes(const struct pg_worker *w, size_t *flow4, size_t *flow6, size_t *src);
void pg_dump_step(struct pg_worker *w);

/* state.c: --state FILE (pg_dpdk.h, "Planned restart") */
int pg_state_check_path(const char *path, char *err, size_t errlen);
void pg_state_load(const char *path);
int pg_state_save(const char *path);

/* pools.c */
int pg_pools_build(const struct pg_pool_entry *list, uint32_t n, struct pg_pools **out);
void pg_pools_free(struct pg_pools *p);
/* Control path, with ctl_lock held: replace the published set, retire the old one. */
int pg_pools_update(const struct pg_pool_entry *e, bool del, char *err, size_t errlen);
void pg_pools_reclaim(bool wait);

#endif /* PG_DPDK_H */
