/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the CLI can do to a running dataplane, whichever it is: the XDP programs' pinned
 * maps (target_xdp.c) or the DPDK appliance's telemetry socket (target_dpdk.c).
 */
#ifndef PAWSGUARD_TARGET_H
#define PAWSGUARD_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "pawsguard/types.h"
#include "pgconf.h"
#include "pgutil.h"

struct pg_src_rec {
	struct pg_addr addr;
	struct pg_source s;
	uint64_t age_ms; /* since last_ns */
};

struct pg_flow_rec {
	struct pg_flow_key k;
	struct pg_flow f;
	uint64_t age_ms;
};

struct pg_stats_rec {
	uint64_t c[PG_STAT_MAX];
	uint64_t flows; /* entries in use */
	uint64_t sources;
	uint64_t evictions;	 /* table evictions (XDP: derived from inserts and entries) */
	uint64_t flows_capacity; /* the configured table sizes (XDP: each flow map's size) */
	uint64_t sources_capacity;
	/*
	 * flows, sources, evictions and the evict_* counters are filled. Always for DPDK (its
	 * workers keep counts); for XDP unless the target was opened with no_walk, since they
	 * need a walk of every table.
	 */
	bool counted;
};

struct pg_target;

struct pg_target_ops {
	const char *kind; /* "xdp" or "dpdk" */
	int (*pool_add)(struct pg_target *t, const struct pg_pool_entry *e, char *err, size_t el);
	int (*pool_del)(struct pg_target *t, const struct pg_cidr *c, char *err, size_t el);
	int (*pool_list)(struct pg_target *t, struct pg_pool_entry **out, size_t *n, char *err,
			 size_t el);
	int (*stats)(struct pg_target *t, struct pg_stats_rec *out, char *err, size_t el);
	int (*sources)(struct pg_target *t, struct pg_src_rec **out, size_t *n, char *err,
		       size_t el);
	int (*flows)(struct pg_target *t, struct pg_flow_rec **out, size_t *n, char *err,
		     size_t el);
	void (*close)(struct pg_target *t);
};

struct pg_target {
	const struct pg_target_ops *ops;
	char name[64]; /* interface, or DPDK file prefix */
	int fd[12];    /* xdp: map fds; dpdk: socket */
	uint32_t max_output;
	bool no_walk; /* XDP stats: skip the table walks (pg_stats_rec.counted) */
};

#define PG_PIN_ROOT "/sys/fs/bpf/pawsguard"
#define PG_DPDK_RUN "/var/run/dpdk"

/*
 * XDP target. The loader (xdp_load.c: attach, detach, reload, status, pins, probes) and the
 * map access behind pg_target_ops (target_xdp.c) are apart; docs/DESIGN.md "Pins, namespaces
 * and upgrades" describes the pins.
 */

/* The maps under a target's pin directory, shared by both programs and the CLI. */
enum {
	PG_XM_POOLS4,
	PG_XM_POOLS6,
	PG_XM_SOURCES,
	PG_XM_FLOWS4, /* established flows; UFLOWS: handshakes and orphans ("Eviction classes") */
	PG_XM_FLOWS6,
	PG_XM_UFLOWS4,
	PG_XM_UFLOWS6,
	PG_XM_STATS,
	PG_XM_CONFIG,
	PG_XM_NR
};
extern const char *const pg_xdp_map_names[PG_XM_NR];

/* pg_xdp_open: map access to pawsguard on IFACE of this network namespace, healthy only. */
int pg_xdp_open(struct pg_target *t, const char *iface, char *err, size_t el);
/* Interfaces of this network namespace with pawsguard pins; returns count. */
int pg_xdp_list(char names[][64], int max);

struct pg_attach_opts {
	const char *iface;
	const char *config;
	uint32_t max_flows;
	uint32_t max_sources;
	int skb_mode;
};

/* What attach, reload and detach did. */
struct pg_xdp_result {
	char pin_dir[160]; /* as the operator sees it: /sys/fs/bpf/pawsguard/... */
	char mode[8];	   /* native, skb */
	uint32_t xdp_id, tc_id;
	uint32_t old_xdp_id, old_tc_id; /* reload: the programs replaced */
	int multiprog;			/* XDP through libxdp's dispatcher */
	int clsact_created;		/* attach made the clsact qdisc; detach: removed it */
	char note[256];			/* what else happened, or "" */
};

int pg_xdp_attach(const struct pg_attach_opts *o, struct pg_xdp_result *r, char *err, size_t el);
int pg_xdp_detach(const char *iface, struct pg_xdp_result *r, char *err, size_t el);
/* Replace both programs with this build's, keeping every pinned map. */
int pg_xdp_reload(const char *iface, struct pg_xdp_result *r, char *err, size_t el);

/* Health of one target (pg_xdp_status). Program ids are 0 where there is none. */
#define PG_XDP_PROBLEMS 8
struct pg_xdp_problem {
	const char *code; /* iface_gone, xdp_replaced, tc_order, ... (docs/DESIGN.md) */
	char msg[320];
};
struct pg_xdp_health {
	char iface[16];	   /* the interface name recorded at attach */
	char cur_name[16]; /* its name now, "" when the interface is gone */
	uint32_t ifindex;
	uint64_t netns_cookie;
	char pin_dir[160]; /* as the operator sees it */
	char open_dir[96]; /* the path this process opens it by */
	char version[32];  /* the pawsguard that loaded the programs */
	uint32_t layout;   /* PG_MAP_LAYOUT_VERSION recorded with the pins */
	char mode[8];
	int multiprog;
	uint32_t xdp_pinned, xdp_attached;
	uint32_t tc_pinned, tc_attached;
	uint32_t tc_prio, tc_handle;
	int clsact_created;
	uint32_t reloads;
	uint64_t attached_ns, reloaded_ns; /* realtime */
	int nproblems;
	struct pg_xdp_problem problems[PG_XDP_PROBLEMS];
};
/* Every target of this network namespace (iface NULL) or those of IFACE. */
int pg_xdp_status(const char *iface, struct pg_xdp_health **out, size_t *n, char *err, size_t el);
/* 1 when this kernel runs libxdp's multi-program dispatcher, 0 when not (probed once). */
int pg_xdp_multiprog(void);
/* Where the pins are: the bpffs in use, and how it was found. */
void pg_xdp_bpffs(char *buf, size_t len);

/* Table fill levels of a target (target_xdp.c), for status. */
struct pg_xdp_fill {
	const char *map;
	uint64_t entries, max;
};
int pg_xdp_fill(const struct pg_xdp_health *h, struct pg_xdp_fill *out, size_t max, char *err,
		size_t el);

/* Loader to map access: the tunables and the pools of a new target (target_xdp.c). */
int pg_xdp_seed(const int *fds, const struct pg_file_config *fc, char *err, size_t el);
/* Map access to loader: an open of the pins under DIR without health checks. */
int pg_xdp_open_dir(struct pg_target *t, const char *name, const char *dir, char *err, size_t el);
/* Loader to map access: the healthy pin directory of IFACE, as pg_xdp_open needs it. */
int pg_xdp_locate(const char *iface, char *dir, size_t len, char *err, size_t el);

/* DPDK target: the appliance's telemetry socket for a file prefix (NULL: "rte"). */
int pg_dpdk_open(struct pg_target *t, const char *prefix, char *err, size_t el);
/* Running appliances (file prefixes with a pawsguard telemetry socket); returns count. */
int pg_dpdk_list(char names[][64], int max);

/* Route libbpf/libxdp messages (silent unless PAWSGUARD_DEBUG is set). */
void pg_lib_logging(void);

#endif /* PAWSGUARD_TARGET_H */
