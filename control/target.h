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
};

#define PG_PIN_ROOT "/sys/fs/bpf/pawsguard"
#define PG_DPDK_RUN "/var/run/dpdk"

/* XDP target. */
int pg_xdp_open(struct pg_target *t, const char *iface, char *err, size_t el);
struct pg_attach_opts {
	const char *iface;
	const char *config;
	uint32_t max_flows;
	uint32_t max_sources;
	int skb_mode;
};
int pg_xdp_attach(const struct pg_attach_opts *o, char *err, size_t el);
int pg_xdp_detach(const char *iface, char *err, size_t el);
/* Interfaces with pawsguard attached (names under PG_PIN_ROOT); returns count. */
int pg_xdp_list(char names[][64], int max);

/* DPDK target: the appliance's telemetry socket for a file prefix (NULL: "rte"). */
int pg_dpdk_open(struct pg_target *t, const char *prefix, char *err, size_t el);
/* Running appliances (file prefixes with a pawsguard telemetry socket); returns count. */
int pg_dpdk_list(char names[][64], int max);

/* Route libbpf/libxdp messages (silent unless PAWSGUARD_DEBUG is set). */
void pg_lib_logging(void);

#endif /* PAWSGUARD_TARGET_H */
