// SPDX-License-Identifier: BSD-3-Clause
/*
 * The DPDK target: the appliance's telemetry socket (DPDK's dpdk_telemetry.v2 protocol:
 * SOCK_SEQPACKET, a JSON greeting, then one JSON reply per "/command,param" request).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pawsguard/stats.h"
#include "pgtel.h"
#include "target.h"

#define PG_TEL_SOCK "dpdk_telemetry.v2"

/* Where DPDK puts a file prefix's runtime files (rte_eal_get_runtime_dir). */
static void pg_dpdk_sock_path(char *buf, size_t len, const char *prefix)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0 || !xdg)
		snprintf(buf, len, "%s/%s/%s", geteuid() == 0 ? PG_DPDK_RUN : "/tmp/dpdk", prefix,
			 PG_TEL_SOCK);
	else
		snprintf(buf, len, "%s/dpdk/%s/%s", xdg, prefix, PG_TEL_SOCK);
}

static int pg_tel_connect(const char *prefix, uint32_t *max_output, char *err, size_t el)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tmo = {.tv_sec = 5};
	struct json_object *j, *m;
	char path[PATH_MAX], buf[1024];
	ssize_t n;
	int fd, e;

	pg_dpdk_sock_path(path, sizeof(path), prefix);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, el, "telemetry socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, el, "socket: %s", strerror(e));
		return -e;
	}
	/*
	 * A stopped or wedged appliance keeps its socket listening: bound every wait, so that
	 * neither a verb nor a metrics scrape hangs on it.
	 */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(err, el, "no DPDK appliance running with file prefix '%s' (%s)",
				 prefix, path);
		else if (e == EACCES)
			snprintf(err, el, "permission denied on %s: run as root", path);
		else
			snprintf(err, el, "cannot connect to %s: %s", path, strerror(e));
		return -e;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		close(fd);
		snprintf(err, el, "no greeting on %s", path);
		return -EPROTO;
	}
	buf[n] = '\0';
	*max_output = 16384;
	j = json_tokener_parse(buf);
	if (j && json_object_object_get_ex(j, "max_output_len", &m))
		*max_output = (uint32_t)json_object_get_int(m);
	json_object_put(j);
	return fd;
}

/* Send a command, return the value under its key (caller puts the returned root). */
static int pg_tel_cmd(struct pg_target *t, const char *cmd, const char *param,
		      struct json_object **root, struct json_object **val, char *err, size_t el)
{
	char req[256], key[128], *buf;
	struct json_object *e;
	const char *comma;
	ssize_t n;

	if (param)
		snprintf(req, sizeof(req), "%s,%s", cmd, param);
	else
		snprintf(req, sizeof(req), "%s", cmd);
	if (write(t->fd[0], req, strlen(req)) < 0) {
		snprintf(err, el, "telemetry write: %s", strerror(errno));
		return -EIO;
	}
	buf = malloc(t->max_output + 1);
	if (!buf) {
		snprintf(err, el, "out of memory");
		return -ENOMEM;
	}
	n = read(t->fd[0], buf, t->max_output);
	if (n <= 0) {
		free(buf);
		snprintf(err, el, "telemetry: no reply to %s", cmd);
		return -EIO;
	}
	buf[n] = '\0';
	*root = json_tokener_parse(buf);
	free(buf);
	comma = strchr(cmd, ',');
	snprintf(key, sizeof(key), "%.*s", comma ? (int)(comma - cmd) : (int)strlen(cmd), cmd);
	if (!*root || !json_object_object_get_ex(*root, key, val) ||
	    json_object_is_type(*val, json_type_null)) {
		json_object_put(*root);
		*root = NULL;
		snprintf(err, el, "the appliance does not know %s (is it pawsguard-dpdk?)", key);
		return -ENOTSUP;
	}
	if (json_object_is_type(*val, json_type_object) &&
	    json_object_object_get_ex(*val, "error", &e)) {
		snprintf(err, el, "%s", json_object_get_string(e));
		json_object_put(*root);
		*root = NULL;
		return -EINVAL;
	}
	return 0;
}

static int pg_dpdk_pool_add(struct pg_target *t, const struct pg_pool_entry *e, char *err,
			    size_t el)
{
	struct json_object *root, *val;
	char p[96];
	int rc;

	pg_cidr_format(&e->cidr, p, sizeof(p));
	snprintf(p + strlen(p), sizeof(p) - strlen(p), " %s", pg_action_name(e->action));
	rc = pg_tel_cmd(t, PG_TEL_POOL_ADD, p, &root, &val, err, el);
	if (!rc)
		json_object_put(root);
	return rc;
}

static int pg_dpdk_pool_del(struct pg_target *t, const struct pg_cidr *c, char *err, size_t el)
{
	struct json_object *root, *val;
	char p[64];
	int rc;

	pg_cidr_format(c, p, sizeof(p));
	rc = pg_tel_cmd(t, PG_TEL_POOL_DEL, p, &root, &val, err, el);
	if (!rc)
		json_object_put(root);
	return rc;
}

static const char *pg_jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static uint64_t pg_jnum(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/*
 * Every pool, a page at a time (pgtel.h): from offset 0 until the page's "next" reaches the
 * total. Bounded: every page moves on by at least one pool, there are at most
 * PG_MAX_POOLS_ANY of them. A listing is complete or an error, never cut.
 */
#define PG_MAX_POOLS_ANY 65536

static int pg_dpdk_pool_list(struct pg_target *t, struct pg_pool_entry **out, size_t *n, char *err,
			     size_t el)
{
	struct json_object *root, *val, *pools, *o;
	struct pg_pool_entry *v = NULL, *nv;
	uint64_t total, next, i;
	size_t have = 0;
	char off[24], key[24], cerr[PG_ERRLEN];
	int rc;

	for (;;) {
		snprintf(off, sizeof(off), "%zu", have);
		rc = pg_tel_cmd(t, PG_TEL_POOLS, off, &root, &val, err, el);
		if (rc) {
			free(v);
			return rc;
		}
		total = pg_jnum(val, "total");
		next = pg_jnum(val, "next");
		if (!json_object_object_get_ex(val, "pools", &pools) || next < have ||
		    (next == have && have < total) || total > PG_MAX_POOLS_ANY) {
			json_object_put(root);
			free(v);
			snprintf(err, el,
				 "the appliance does not page its pools (an older "
				 "pawsguard-dpdk?)");
			return -EPROTO;
		}
		nv = realloc(v, (next + 1) * sizeof(*v));
		if (!nv) {
			json_object_put(root);
			free(v);
			snprintf(err, el, "out of memory");
			return -ENOMEM;
		}
		v = nv;
		for (i = have; i < next; i++) {
			snprintf(key, sizeof(key), "%llu", (unsigned long long)i);
			if (!json_object_object_get_ex(pools, key, &o) ||
			    pg_cidr_parse(pg_jstr(o, "prefix"), &v[i].cidr, cerr, sizeof(cerr)) ||
			    pg_action_parse(pg_jstr(o, "action"), &v[i].action)) {
				json_object_put(root);
				free(v);
				snprintf(err, el,
					 "the appliance listed a pool that does not parse");
				return -EPROTO;
			}
		}
		have = next;
		json_object_put(root);
		if (have >= total)
			break;
	}
	*out = v ? v : calloc(1, sizeof(*v));
	*n = have;
	return *out ? 0 : -ENOMEM;
}

static int pg_dpdk_stats(struct pg_target *t, struct pg_stats_rec *out, char *err, size_t el)
{
	struct json_object *root, *val;
	int i, rc;

	memset(out, 0, sizeof(*out));
	rc = pg_tel_cmd(t, PG_TEL_STATS, NULL, &root, &val, err, el);
	if (rc)
		return rc;
	for (i = 0; i < PG_STAT_MAX; i++)
		out->c[i] = pg_jnum(val, pg_stat_descs[i].name);
	out->flows = pg_jnum(val, "flows");
	out->sources = pg_jnum(val, "sources");
	out->evictions = pg_jnum(val, "evictions");
	out->flows_capacity = pg_jnum(val, "flows_capacity");
	out->sources_capacity = pg_jnum(val, "sources_capacity");
	out->counted = true;
	json_object_put(root);
	return 0;
}

/* "a.b.c.d" or an IPv6 address, into the dataplanes' mapped form. */
static void pg_addr_parse(const char *s, struct pg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->b[12]) == 1) {
		a->b[10] = a->b[11] = 0xff;
		return;
	}
	inet_pton(AF_INET6, s, a->b);
}

/*
 * Every entry of a table, a page at a time (/pawsguard/flows,page,W,POS: the workers' slots
 * in order, PG_TEL_PAGE at most per page, pgtel.h) until a page has no "next". parse fills one record from a JSON entry. A listing is complete or an error.
 */
static int pg_tel_pages(struct pg_target *t, const char *cmd, size_t sz,
			void (*parse)(struct json_object *o, void *rec), void **out, size_t *n,
			char *err, size_t el)
{
	struct json_object *root, *val, *ents, *next, *o;
	char cursor[48] = "page,0,0", key[24];
	size_t have = 0, cnt, i, pages;
	uint8_t *v = NULL, *nv;
	int rc;

	/* Bounded: a page holds at least one entry of at most 2^26 per worker and table. */
	for (pages = 0; pages < (1U << 26); pages++) {
		rc = pg_tel_cmd(t, cmd, cursor, &root, &val, err, el);
		if (rc) {
			free(v);
			return rc;
		}
		if (!json_object_object_get_ex(val, "entries", &ents) ||
		    !json_object_is_type(ents, json_type_object)) {
			json_object_put(root);
			free(v);
			snprintf(err, el,
				 "the appliance does not page %s (an older pawsguard-dpdk?)", cmd);
			return -EPROTO;
		}
		cnt = pg_jnum(val, "count");
		nv = cnt < (1U << 16) ? realloc(v, (have + cnt + 1) * sz) : NULL;
		if (!nv) {
			json_object_put(root);
			free(v);
			snprintf(err, el, "out of memory");
			return -ENOMEM;
		}
		v = nv;
		memset(v + have * sz, 0, (cnt + 1) * sz);
		for (i = 0; i < cnt; i++) {
			snprintf(key, sizeof(key), "%zu", i);
			if (!json_object_object_get_ex(ents, key, &o)) {
				json_object_put(root);
				free(v);
				snprintf(err, el, "%s: a page lacks its entry %zu", cmd, i);
				return -EPROTO;
			}
			parse(o, v + (have + i) * sz);
		}
		have += cnt;
		if (!json_object_object_get_ex(val, "next", &next)) {
			json_object_put(root);
			*out = v;
			*n = have;
			return 0;
		}
		snprintf(cursor, sizeof(cursor), "page,%.32s", json_object_get_string(next));
		json_object_put(root);
	}
	free(v);
	snprintf(err, el, "%s: the appliance kept paging", cmd);
	return -EPROTO;
}

static void pg_src_of_json(struct json_object *o, void *rec)
{
	struct pg_src_rec *r = rec;
	uint32_t act = PG_ACT_NONE;

	pg_addr_parse(pg_jstr(o, "addr"), &r->addr);
	pg_action_parse(pg_jstr(o, "action"), &act);
	r->s.action = act;
	r->s.syns = (uint32_t)pg_jnum(o, "syns");
	r->s.backwards = (uint32_t)pg_jnum(o, "backwards");
	r->s.tuple_back = (uint32_t)pg_jnum(o, "tuple_back");
	r->s.ttls = (uint8_t)pg_jnum(o, "ttls");
	r->s.max_fwd = pg_jnum(o, "max_fwd_pos"); /* unwrapped, 64-bit */
	r->s.raw_max = (uint32_t)pg_jnum(o, "raw_max");
	r->s.flows = (uint32_t)pg_jnum(o, "flows");
	r->age_ms = pg_jnum(o, "age_ms");
}

static void pg_flow_of_json(struct json_object *o, void *rec)
{
	struct pg_flow_rec *r = rec;

	pg_addr_parse(pg_jstr(o, "client"), &r->k.client);
	pg_addr_parse(pg_jstr(o, "server"), &r->k.server);
	r->k.cport = htons((uint16_t)pg_jnum(o, "cport"));
	r->k.sport = htons((uint16_t)pg_jnum(o, "sport"));
	r->f.offset = (uint32_t)pg_jnum(o, "offset");
	r->f.state = pg_flow_state_parse(pg_jstr(o, "state"));
	r->age_ms = pg_jnum(o, "age_ms");
}

static int pg_dpdk_sources(struct pg_target *t, struct pg_src_rec **out, size_t *n, char *err,
			   size_t el)
{
	return pg_tel_pages(t, PG_TEL_SOURCES, sizeof(**out), pg_src_of_json, (void **)out, n, err,
			    el);
}

static int pg_dpdk_flows(struct pg_target *t, struct pg_flow_rec **out, size_t *n, char *err,
			 size_t el)
{
	return pg_tel_pages(t, PG_TEL_FLOWS, sizeof(**out), pg_flow_of_json, (void **)out, n, err,
			    el);
}

static void pg_dpdk_close(struct pg_target *t)
{
	if (t->fd[0] >= 0)
		close(t->fd[0]);
}

static const struct pg_target_ops pg_dpdk_ops = {
	.kind = "dpdk",
	.pool_add = pg_dpdk_pool_add,
	.pool_del = pg_dpdk_pool_del,
	.pool_list = pg_dpdk_pool_list,
	.stats = pg_dpdk_stats,
	.sources = pg_dpdk_sources,
	.flows = pg_dpdk_flows,
	.close = pg_dpdk_close,
};

int pg_dpdk_open(struct pg_target *t, const char *prefix, char *err, size_t el)
{
	int fd, i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < (int)PG_ARRAY_SIZE(t->fd); i++)
		t->fd[i] = -1;
	if (!prefix || !*prefix)
		prefix = "rte";
	if (strlen(prefix) >= sizeof(t->name) || strchr(prefix, '/')) {
		snprintf(err, el, "bad DPDK file prefix '%s'", prefix);
		return -EINVAL;
	}
	snprintf(t->name, sizeof(t->name), "%s", prefix);
	/* The appliance runs as root and its telemetry socket is root's: say so, not "absent". */
	if (geteuid() != 0) {
		snprintf(err, el,
			 "permission denied: run as root (the appliance's telemetry socket "
			 "is root's)");
		return -EPERM;
	}
	fd = pg_tel_connect(prefix, &t->max_output, err, el);
	if (fd < 0)
		return fd;
	t->fd[0] = fd;
	t->ops = &pg_dpdk_ops;
	return 0;
}

int pg_dpdk_list(char names[][64], int max)
{
	char base[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *d;
	struct stat st;
	int n = 0;
	DIR *dir;

	pg_dpdk_sock_path(base, sizeof(base), "x");
	*strrchr(base, '/') = '\0';
	*strrchr(base, '/') = '\0';
	dir = opendir(base);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		struct pg_target t;
		char err[PG_ERRLEN];
		struct json_object *root, *val;

		if (d->d_name[0] == '.' || strlen(d->d_name) >= 64)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", base, d->d_name, PG_TEL_SOCK);
		if (stat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		/* A stale socket, or a DPDK program that is not ours, does not count. */
		if (pg_dpdk_open(&t, d->d_name, err, sizeof(err)))
			continue;
		if (pg_tel_cmd(&t, PG_TEL_POOLS, NULL, &root, &val, err, sizeof(err)) == 0) {
			json_object_put(root);
			snprintf(names[n++], 64, "%s", d->d_name);
		}
		pg_dpdk_close(&t);
	}
	closedir(dir);
	return n;
}
