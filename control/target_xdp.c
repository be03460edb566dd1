// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP target's map access: pools, counters, sources and flows in the maps both programs
 * share, pinned by the loader (xdp_load.c) and opened here by path. Nothing here attaches,
 * detaches or pins: pg_xdp_open asks the loader for a healthy pin directory first.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "target.h"

const char *const pg_xdp_map_names[PG_XM_NR] = {
	"pg_pools4",  "pg_pools6",  "pg_sources", "pg_flows4", "pg_flows6",
	"pg_uflows4", "pg_uflows6", "pg_stats",	  "pg_config",
};

static void pg_lpm_key(const struct pg_cidr *c, void *key)
{
	if (c->family == 4) {
		struct pg_lpm4_key *k = key;

		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 4);
	} else {
		struct pg_lpm6_key *k = key;

		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 16);
	}
}

static int pg_xdp_pool_add(struct pg_target *t, const struct pg_pool_entry *e, char *err, size_t el)
{
	struct pg_pool_val v = {.action = e->action};
	struct pg_lpm6_key key = {0};
	int fd = t->fd[e->cidr.family == 4 ? PG_XM_POOLS4 : PG_XM_POOLS6];

	pg_lpm_key(&e->cidr, &key);
	if (bpf_map_update_elem(fd, &key, &v, BPF_ANY)) {
		snprintf(err, el, "cannot add pool: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int pg_xdp_pool_del(struct pg_target *t, const struct pg_cidr *c, char *err, size_t el)
{
	struct pg_lpm6_key key = {0};
	char buf[64];

	pg_lpm_key(c, &key);
	if (bpf_map_delete_elem(t->fd[c->family == 4 ? PG_XM_POOLS4 : PG_XM_POOLS6], &key)) {
		int e = errno;

		pg_cidr_format(c, buf, sizeof(buf));
		if (e == ENOENT)
			snprintf(err, el, "no pool %s on %s", buf, t->name);
		else
			snprintf(err, el, "cannot delete pool %s: %s", buf, strerror(e));
		return -e;
	}
	return 0;
}

/* Room for one more zeroed record at the end of *v (cnt in use), or NULL. */
static void *pg_grow(void **v, size_t cnt, size_t sz)
{
	uint8_t *nv = realloc(*v, (cnt + 1) * sz);

	if (!nv)
		return NULL;
	*v = nv;
	memset(nv + cnt * sz, 0, sz);
	return nv + cnt * sz;
}

static int pg_xdp_pool_list(struct pg_target *t, struct pg_pool_entry **out, size_t *n, char *err,
			    size_t el)
{
	struct pg_pool_entry *v = NULL;
	size_t cnt = 0;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		int fd = t->fd[fam == 4 ? PG_XM_POOLS4 : PG_XM_POOLS6];
		struct pg_lpm6_key key, next;
		struct pg_pool_val val;
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &val))
				continue;
			if (!pg_grow((void **)&v, cnt, sizeof(*v))) {
				free(v);
				snprintf(err, el, "out of memory");
				return -ENOMEM;
			}
			v[cnt].cidr.family = (uint8_t)fam;
			v[cnt].cidr.prefixlen = (uint8_t)key.prefixlen;
			memcpy(v[cnt].cidr.addr, key.addr, fam == 4 ? 4 : 16);
			v[cnt].action = val.action;
			cnt++;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

#define PG_COUNT_BATCH 4096

/* Entries in a hash map, one key at a time (kernels without batch lookups, before 5.6). */
static uint64_t pg_map_count_keys(int fd, size_t key_size)
{
	uint8_t key[64], next[64];
	uint64_t n = 0;
	void *prev = NULL;

	if (key_size > sizeof(key))
		return 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0 && n < (1ULL << 32)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/*
 * Entries in a hash map. The kernel keeps no count of an LRU map that we could read (its
 * per-CPU element counts stay 0 for preallocated maps, 6.18 included), so they are walked: by
 * BPF_MAP_LOOKUP_BATCH, thousands of entries a syscall, whose cursor is a bucket and stays
 * valid while the programs add and delete; one key at a time where batches are missing.
 */
static uint64_t pg_map_count(int fd, size_t key_size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info), in, out, n;
	uint64_t total = 0;
	void *keys, *vals, *cursor = NULL;
	int rc;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return pg_map_count_keys(fd, key_size);
	keys = malloc((size_t)info.key_size * PG_COUNT_BATCH);
	vals = malloc((size_t)info.value_size * PG_COUNT_BATCH);
	for (; keys && vals;) {
		n = PG_COUNT_BATCH;
		rc = bpf_map_lookup_batch(fd, cursor, &out, keys, vals, &n, &o);
		if (rc && errno != ENOENT) {
			free(keys);
			free(vals);
			return pg_map_count_keys(fd, key_size);
		}
		total += n;
		if (rc)
			break; /* ENOENT: the last buckets were read */
		in = out;
		cursor = &in;
	}
	if (!keys || !vals)
		total = pg_map_count_keys(fd, key_size);
	free(keys);
	free(vals);
	return total;
}

/* A map's max_entries, 0 if it cannot be read. */
static uint64_t pg_map_size(int fd)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

static int pg_xdp_stats(struct pg_target *t, struct pg_stats_rec *out, char *err, size_t el)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pg_stats *pc;
	uint32_t zero = 0;
	int cpu, i;
	uint64_t est, unc, moved;

	memset(out, 0, sizeof(*out));
	if (ncpu < 1) {
		snprintf(err, el, "cannot count CPUs");
		return -EINVAL;
	}
	pc = calloc((size_t)ncpu, sizeof(*pc));
	if (!pc) {
		snprintf(err, el, "out of memory");
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(t->fd[PG_XM_STATS], &zero, pc)) {
		int e = errno;

		free(pc);
		snprintf(err, el, "cannot read counters: %s", strerror(e));
		return -e;
	}
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < PG_STAT_MAX; i++)
			out->c[i] += pc[cpu].c[i];
	free(pc);
	out->flows_capacity = pg_map_size(t->fd[PG_XM_FLOWS4]);
	out->sources_capacity = pg_map_size(t->fd[PG_XM_SOURCES]);
	if (t->no_walk)
		return 0;
	out->counted = true;
	est = pg_map_count(t->fd[PG_XM_FLOWS4], sizeof(struct pg_flow_key4)) +
	      pg_map_count(t->fd[PG_XM_FLOWS6], sizeof(struct pg_flow_key));
	unc = pg_map_count(t->fd[PG_XM_UFLOWS4], sizeof(struct pg_flow_key4)) +
	      pg_map_count(t->fd[PG_XM_UFLOWS6], sizeof(struct pg_flow_key));
	out->flows = est + unc;
	out->sources = pg_map_count(t->fd[PG_XM_SOURCES], sizeof(struct pg_addr));
	/*
	 * The programs delete only when they move a flow to the established map (counted in
	 * flow_confirmed); otherwise an entry leaves when its LRU map evicts it, which BPF does
	 * not count. So evictions are what went in minus what left by a move minus what is
	 * there: exact when quiet, approximate while CPUs race on one key.
	 */
	moved = out->c[PG_STAT_FLOW_CONFIRMED];
	if (out->c[PG_STAT_UNCONF_ADD] > moved + unc)
		out->c[PG_STAT_EVICT_UNCONF] = out->c[PG_STAT_UNCONF_ADD] - moved - unc;
	if (moved > est)
		out->c[PG_STAT_EVICT_EST] = moved - est;
	out->evictions = out->c[PG_STAT_EVICT_UNCONF] + out->c[PG_STAT_EVICT_EST];
	if (out->c[PG_STAT_SOURCE_NEW] > out->sources)
		out->evictions += out->c[PG_STAT_SOURCE_NEW] - out->sources;
	return 0;
}

static int pg_xdp_sources(struct pg_target *t, struct pg_src_rec **out, size_t *n, char *err,
			  size_t el)
{
	struct pg_src_rec *v = NULL;
	struct pg_addr key, next;
	uint64_t now = pg_realtime_ns();
	size_t cnt = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(t->fd[PG_XM_SOURCES], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!pg_grow((void **)&v, cnt, sizeof(*v))) {
			free(v);
			snprintf(err, el, "out of memory");
			return -ENOMEM;
		}
		if (bpf_map_lookup_elem(t->fd[PG_XM_SOURCES], &key, &v[cnt].s))
			continue;
		v[cnt].addr = key;
		v[cnt].age_ms = now > v[cnt].s.last_ns ? (now - v[cnt].s.last_ns) / 1000000 : 0;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Appends the flows of one table; IPv4 keys are widened to the common key. */
static int pg_xdp_flows_of(int fd, bool v4, struct pg_flow_rec **v, size_t *cnt, uint64_t now)
{
	struct pg_flow_key key, next;
	struct pg_flow_rec *nv;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		nv = pg_grow((void **)v, *cnt, sizeof(**v));
		if (!nv)
			return -ENOMEM;
		if (bpf_map_lookup_elem(fd, &key, &nv->f))
			continue;
		if (v4)
			pg_flow_key_from4((struct pg_flow_key4 *)&key, &nv->k);
		else
			nv->k = key;
		nv->age_ms = now > nv->f.last_ns ? (now - nv->f.last_ns) / 1000000 : 0;
		(*cnt)++;
	}
	return 0;
}

static int pg_xdp_flows(struct pg_target *t, struct pg_flow_rec **out, size_t *n, char *err,
			size_t el)
{
	struct pg_flow_rec *v = NULL;
	uint64_t now = pg_realtime_ns();
	size_t cnt = 0;

	if (pg_xdp_flows_of(t->fd[PG_XM_FLOWS4], true, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[PG_XM_FLOWS6], false, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[PG_XM_UFLOWS4], true, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[PG_XM_UFLOWS6], false, &v, &cnt, now)) {
		free(v);
		snprintf(err, el, "out of memory");
		return -ENOMEM;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static void pg_xdp_close(struct pg_target *t)
{
	int i;

	for (i = 0; i < PG_XM_NR; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
}

static const struct pg_target_ops pg_xdp_ops = {
	.kind = "xdp",
	.pool_add = pg_xdp_pool_add,
	.pool_del = pg_xdp_pool_del,
	.pool_list = pg_xdp_pool_list,
	.stats = pg_xdp_stats,
	.sources = pg_xdp_sources,
	.flows = pg_xdp_flows,
	.close = pg_xdp_close,
};

int pg_xdp_open_dir(struct pg_target *t, const char *name, const char *dir, char *err, size_t el)
{
	char path[PATH_MAX];
	int i, rc;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < (int)PG_ARRAY_SIZE(t->fd); i++)
		t->fd[i] = -1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->ops = &pg_xdp_ops;
	for (i = 0; i < PG_XM_NR; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pg_xdp_map_names[i]);
		t->fd[i] = bpf_obj_get(path);
		if (t->fd[i] < 0) {
			rc = -errno;
			snprintf(err, el, "cannot open map %s of pawsguard on %s: %s",
				 pg_xdp_map_names[i], name, strerror(-rc));
			pg_xdp_close(t);
			return rc;
		}
	}
	return 0;
}

int pg_xdp_open(struct pg_target *t, const char *iface, char *err, size_t el)
{
	char dir[PATH_MAX];
	int rc;

	memset(t, 0, sizeof(*t));
	rc = pg_xdp_locate(iface, dir, sizeof(dir), err, el);
	if (rc)
		return rc;
	return pg_xdp_open_dir(t, iface, dir, err, el);
}

int pg_xdp_fill(const struct pg_xdp_health *h, struct pg_xdp_fill *out, size_t max, char *err,
		size_t el)
{
	static const size_t ksz[PG_XM_NR] = {
		[PG_XM_POOLS4] = sizeof(struct pg_lpm4_key),
		[PG_XM_POOLS6] = sizeof(struct pg_lpm6_key),
		[PG_XM_SOURCES] = sizeof(struct pg_addr),
		[PG_XM_FLOWS4] = sizeof(struct pg_flow_key4),
		[PG_XM_FLOWS6] = sizeof(struct pg_flow_key),
		[PG_XM_UFLOWS4] = sizeof(struct pg_flow_key4),
		[PG_XM_UFLOWS6] = sizeof(struct pg_flow_key),
	};
	struct pg_target t;
	size_t n = 0;
	int i, rc;

	rc = pg_xdp_open_dir(&t, h->iface, h->open_dir, err, el);
	if (rc)
		return rc;
	/* The tables that fill up; counters and configuration have one entry. */
	for (i = 0; i <= PG_XM_UFLOWS6 && n < max; i++) {
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(t.fd[i], &info, &len))
			continue;
		out[n].map = pg_xdp_map_names[i];
		out[n].entries = pg_map_count(t.fd[i], ksz[i]);
		out[n].max = info.max_entries;
		n++;
	}
	pg_xdp_close(&t);
	return (int)n;
}

/* The tunables (with this boot's realtime offset) and the pools from a config file. */
int pg_xdp_seed(const int *fds, const struct pg_file_config *fc, char *err, size_t el)
{
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	uint32_t zero = 0;
	size_t i;

	cfg.realtime_off_ns = pg_realtime_offset_ns();
	if (bpf_map_update_elem(fds[PG_XM_CONFIG], &zero, &cfg, BPF_ANY)) {
		snprintf(err, el, "cannot write the configuration: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < fc->n_pools; i++) {
		struct pg_pool_val v = {.action = fc->pools[i].action};
		struct pg_lpm6_key key = {0};
		int fd = fds[fc->pools[i].cidr.family == 4 ? PG_XM_POOLS4 : PG_XM_POOLS6];

		pg_lpm_key(&fc->pools[i].cidr, &key);
		if (bpf_map_update_elem(fd, &key, &v, BPF_ANY)) {
			snprintf(err, el, "cannot add pool from the configuration: %s",
				 strerror(errno));
			return -errno;
		}
	}
	return 0;
}
