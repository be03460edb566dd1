// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP target: attach/detach on a server's own interface, and the pinned maps under
 * /sys/fs/bpf/pawsguard/IFACE/ that both programs share and the CLI reads and writes.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "pawsguard.skel.h"
#include "target.h"

#define PG_BPF_FS	"/sys/fs/bpf"
#define PG_BPF_FS_MAGIC 0xcafe4a11
/* Our TC filter on clsact egress: a fixed handle and priority, so detach finds it. */
#define PG_TC_HANDLE 0x7067
#define PG_TC_PRIO   0x7067

/* Flow maps: established (FLOWS*) and unconfirmed (UFLOWS*), docs/DESIGN.md "Eviction classes". */
enum {
	M_POOLS4,
	M_POOLS6,
	M_SOURCES,
	M_FLOWS4,
	M_FLOWS6,
	M_UFLOWS4,
	M_UFLOWS6,
	M_STATS,
	M_CONFIG,
	M_NR
};
static const char *const pg_map_names[M_NR] = {
	"pg_pools4",  "pg_pools6",  "pg_sources", "pg_flows4", "pg_flows6",
	"pg_uflows4", "pg_uflows6", "pg_stats",	  "pg_config",
};

/*
 * libbpf and libxdp talk a lot, also about things that are fine (libxdp's dispatcher check
 * falls back to a single program where the kernel refuses freplace). The CLI's contract is
 * one line per error; PAWSGUARD_DEBUG=1 shows everything the libraries say.
 */
static int pg_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("PAWSGUARD_DEBUG"))
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int pg_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("PAWSGUARD_DEBUG"))
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void pg_lib_logging(void)
{
	libbpf_set_print(pg_libbpf_print);
	libxdp_set_print(pg_libxdp_print);
}

static int pg_need_root(char *err, size_t el)
{
	if (geteuid() == 0)
		return 0;
	snprintf(err, el, "permission denied: run as root (needs CAP_BPF and CAP_NET_ADMIN)");
	return -EPERM;
}

/* Mount bpffs where it is missing, as the kernel selftests and xdp-tools do. */
static int pg_bpffs_ensure(char *err, size_t el)
{
	struct statfs st;

	if (statfs(PG_BPF_FS, &st) == 0 && st.f_type == PG_BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", PG_BPF_FS, "bpf", 0, "mode=0700") == 0)
		return 0;
	snprintf(err, el, "bpffs is not mounted at %s and mounting it failed: %s", PG_BPF_FS,
		 strerror(errno));
	return -ENOENT;
}

static void pg_pin_dir(char *buf, size_t len, const char *iface)
{
	snprintf(buf, len, "%s/%s", PG_PIN_ROOT, iface);
}

static int pg_iface_check(const char *iface, char *err, size_t el)
{
	int idx;

	if (strlen(iface) >= IF_NAMESIZE || strchr(iface, '/')) {
		snprintf(err, el, "bad interface name '%s'", iface);
		return -EINVAL;
	}
	idx = (int)if_nametoindex(iface);
	if (!idx) {
		snprintf(err, el, "no such interface '%s'", iface);
		return -ENODEV;
	}
	return idx;
}

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
	int fd = t->fd[e->cidr.family == 4 ? M_POOLS4 : M_POOLS6];

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
	if (bpf_map_delete_elem(t->fd[c->family == 4 ? M_POOLS4 : M_POOLS6], &key)) {
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
		int fd = t->fd[fam == 4 ? M_POOLS4 : M_POOLS6];
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

/* Entries in a hash map (the kernel keeps no count for LRU maps we could read). */
static uint64_t pg_map_count(int fd, size_t key_size)
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
	if (bpf_map_lookup_elem(t->fd[M_STATS], &zero, pc)) {
		int e = errno;

		free(pc);
		snprintf(err, el, "cannot read counters: %s", strerror(e));
		return -e;
	}
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < PG_STAT_MAX; i++)
			out->c[i] += pc[cpu].c[i];
	free(pc);
	est = pg_map_count(t->fd[M_FLOWS4], sizeof(struct pg_flow_key4)) +
	      pg_map_count(t->fd[M_FLOWS6], sizeof(struct pg_flow_key));
	unc = pg_map_count(t->fd[M_UFLOWS4], sizeof(struct pg_flow_key4)) +
	      pg_map_count(t->fd[M_UFLOWS6], sizeof(struct pg_flow_key));
	out->flows = est + unc;
	out->sources = pg_map_count(t->fd[M_SOURCES], sizeof(struct pg_addr));
	out->flows_capacity = pg_map_size(t->fd[M_FLOWS4]);
	out->sources_capacity = pg_map_size(t->fd[M_SOURCES]);
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

	while (bpf_map_get_next_key(t->fd[M_SOURCES], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!pg_grow((void **)&v, cnt, sizeof(*v))) {
			free(v);
			snprintf(err, el, "out of memory");
			return -ENOMEM;
		}
		if (bpf_map_lookup_elem(t->fd[M_SOURCES], &key, &v[cnt].s))
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

	if (pg_xdp_flows_of(t->fd[M_FLOWS4], true, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[M_FLOWS6], false, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[M_UFLOWS4], true, &v, &cnt, now) ||
	    pg_xdp_flows_of(t->fd[M_UFLOWS6], false, &v, &cnt, now)) {
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

	for (i = 0; i < M_NR; i++)
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

int pg_xdp_open(struct pg_target *t, const char *iface, char *err, size_t el)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	int i, rc;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < (int)PG_ARRAY_SIZE(t->fd); i++)
		t->fd[i] = -1;
	rc = pg_need_root(err, el);
	if (rc)
		return rc;
	if (strlen(iface) >= sizeof(t->name) || strchr(iface, '/')) {
		snprintf(err, el, "bad interface name '%s'", iface);
		return -EINVAL;
	}
	pg_pin_dir(dir, sizeof(dir), iface);
	if (stat(dir, &st)) {
		if (pg_iface_check(iface, err, el) < 0)
			return -ENODEV;
		snprintf(err, el, "pawsguard is not attached to %s (run: pawsguard attach %s)",
			 iface, iface);
		return -ENOENT;
	}
	snprintf(t->name, sizeof(t->name), "%s", iface);
	t->ops = &pg_xdp_ops;
	for (i = 0; i < M_NR; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pg_map_names[i]);
		t->fd[i] = bpf_obj_get(path);
		if (t->fd[i] < 0) {
			rc = -errno;
			snprintf(err, el, "cannot open %s: %s", path, strerror(errno));
			pg_xdp_close(t);
			return rc;
		}
	}
	return 0;
}

int pg_xdp_list(char names[][64], int max)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir(PG_PIN_ROOT);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= 64)
			continue;
		snprintf(names[n++], 64, "%s", d->d_name);
	}
	closedir(dir);
	return n;
}

static void pg_unpin_all(const char *dir)
{
	char path[PATH_MAX + 32];
	int i;

	for (i = 0; i < M_NR; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pg_map_names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int pg_tc_detach(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = PG_TC_HANDLE, .priority = PG_TC_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

/* Remove our program from the interface's libxdp dispatcher (other programs stay). */
static int pg_xdp_prog_detach(int ifindex)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int rc = -ENOENT;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return -ENOENT;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), "pg_xdp_ingress"))
			rc = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (strcmp(xdp_program__name(p), "pg_xdp_ingress"))
				continue;
			rc = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
			break;
		}
	}
	xdp_multiprog__close(mp);
	return rc;
}

int pg_xdp_attach(const struct pg_attach_opts *o, char *err, size_t el)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = PG_TC_HANDLE, .priority = PG_TC_PRIO);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .prog_name = "pg_xdp_ingress");
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	struct pg_file_config fc = {0};
	struct pawsguard_bpf *skel = NULL;
	struct xdp_program *xp = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 32], cerr[PG_ERRLEN];
	struct bpf_map *maps[M_NR];
	uint32_t zero = 0, flows, sources;
	struct stat st;
	int ifindex, rc, i;
	bool tc_done = false;

	rc = pg_need_root(err, el);
	if (rc)
		return rc;
	ifindex = pg_iface_check(o->iface, err, el);
	if (ifindex < 0)
		return ifindex;
	rc = pg_bpffs_ensure(err, el);
	if (rc)
		return rc;
	pg_pin_dir(dir, sizeof(dir), o->iface);
	if (stat(dir, &st) == 0) {
		snprintf(err, el, "pawsguard is already attached to %s (detach it first)",
			 o->iface);
		return -EEXIST;
	}
	if (o->config && pg_config_load(o->config, &fc, cerr, sizeof(cerr))) {
		snprintf(err, el, "%s", cerr);
		return -EINVAL;
	}
	flows = o->max_flows ? o->max_flows : fc.max_flows ? fc.max_flows : 262144;
	sources = o->max_sources ? o->max_sources : fc.max_sources ? fc.max_sources : 65536;

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = pawsguard_bpf__open();
	if (!skel) {
		rc = -errno;
		snprintf(err, el, "cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	maps[M_POOLS4] = skel->maps.pg_pools4;
	maps[M_POOLS6] = skel->maps.pg_pools6;
	maps[M_SOURCES] = skel->maps.pg_sources;
	maps[M_FLOWS4] = skel->maps.pg_flows4;
	maps[M_FLOWS6] = skel->maps.pg_flows6;
	maps[M_UFLOWS4] = skel->maps.pg_uflows4;
	maps[M_UFLOWS6] = skel->maps.pg_uflows6;
	maps[M_STATS] = skel->maps.pg_stats;
	maps[M_CONFIG] = skel->maps.pg_config;
	/* Each class gets the full size: a flood of one never crowds the other out. */
	bpf_map__set_max_entries(skel->maps.pg_flows4, flows);
	bpf_map__set_max_entries(skel->maps.pg_flows6, flows);
	bpf_map__set_max_entries(skel->maps.pg_uflows4, flows);
	bpf_map__set_max_entries(skel->maps.pg_uflows6, flows);
	bpf_map__set_max_entries(skel->maps.pg_sources, sources);
	if (mkdir(PG_PIN_ROOT, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, el, "cannot create %s: %s", PG_PIN_ROOT, strerror(errno));
		goto out;
	}
	if (mkdir(dir, 0700)) {
		rc = -errno;
		snprintf(err, el, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	/* libbpf pins each map at load: the TC program, the XDP program and the CLI share them. */
	for (i = 0; i < M_NR; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pg_map_names[i]);
		bpf_map__set_pin_path(maps[i], path);
	}
	rc = pawsguard_bpf__load(skel);
	if (rc) {
		snprintf(err, el, "cannot load the BPF programs: %s", strerror(-rc));
		goto out_unpin;
	}
	/* Configure and fill pools before any program sees a packet. */
	cfg.realtime_off_ns = pg_realtime_offset_ns();
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.pg_config), &zero, &cfg, BPF_ANY)) {
		rc = -errno;
		snprintf(err, el, "cannot write the configuration: %s", strerror(errno));
		goto out_unpin;
	}
	for (i = 0; i < (int)fc.n_pools; i++) {
		struct pg_pool_val v = {.action = fc.pools[i].action};
		struct pg_lpm6_key key = {0};
		int fd = bpf_map__fd(fc.pools[i].cidr.family == 4 ? skel->maps.pg_pools4
								  : skel->maps.pg_pools6);

		pg_lpm_key(&fc.pools[i].cidr, &key);
		if (bpf_map_update_elem(fd, &key, &v, BPF_ANY)) {
			rc = -errno;
			snprintf(err, el, "cannot add pool from %s: %s", o->config,
				 strerror(errno));
			goto out_unpin;
		}
	}
	/* Egress first: a SYN rewritten on the way in must find its SYN-ACK translated. */
	hook.ifindex = ifindex;
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, el, "cannot create the clsact qdisc on %s: %s", o->iface,
			 strerror(-rc));
		goto out_unpin;
	}
	tco.prog_fd = bpf_program__fd(skel->progs.pg_tc_egress);
	rc = bpf_tc_attach(&hook, &tco);
	if (rc == -EEXIST) {
		snprintf(err, el,
			 "a pawsguard TC filter is already on %s without its maps (run: "
			 "pawsguard detach %s)",
			 o->iface, o->iface);
		goto out_unpin;
	} else if (rc) {
		snprintf(err, el, "cannot attach the TC egress program to %s: %s", o->iface,
			 strerror(-rc));
		goto out_unpin;
	}
	tc_done = true;
	xo.obj = skel->obj;
	xp = xdp_program__create(&xo);
	rc = (int)libxdp_get_error(xp);
	if (rc) {
		xp = NULL;
		snprintf(err, el, "cannot prepare the XDP program: %s", strerror(-rc));
		goto out_unpin;
	}
	rc = xdp_program__attach(xp, ifindex, o->skb_mode ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
	if (rc) {
		char xerr[128];

		libxdp_strerror(rc, xerr, sizeof(xerr));
		snprintf(err, el, "cannot attach XDP to %s in %s mode: %s%s", o->iface,
			 o->skb_mode ? "skb" : "native", xerr, o->skb_mode ? "" : " (try --skb)");
		goto out_unpin;
	}
	rc = 0;
	goto out;

out_unpin:
	if (tc_done)
		pg_tc_detach(ifindex);
	pg_unpin_all(dir);
out:
	if (xp)
		xdp_program__close(xp);
	pawsguard_bpf__destroy(skel);
	pg_config_free(&fc);
	return rc;
}

int pg_xdp_detach(const char *iface, char *err, size_t el)
{
	char dir[PATH_MAX];
	struct stat st;
	int ifindex, rc, xrc = -ENOENT, trc = -ENOENT;
	bool pinned;

	rc = pg_need_root(err, el);
	if (rc)
		return rc;
	pg_pin_dir(dir, sizeof(dir), iface);
	pinned = stat(dir, &st) == 0;
	ifindex = pg_iface_check(iface, err, el);
	if (ifindex < 0 && !pinned)
		return ifindex;
	/* The interface may be gone (pins stay), or the pins lost (programs stay): clean both. */
	if (ifindex > 0) {
		xrc = pg_xdp_prog_detach(ifindex);
		trc = pg_tc_detach(ifindex);
	}
	if (pinned)
		pg_unpin_all(dir);
	if (!pinned && xrc && trc) {
		snprintf(err, el, "pawsguard is not attached to %s", iface);
		return -ENOENT;
	}
	return 0;
}
