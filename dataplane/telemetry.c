// SPDX-License-Identifier: BSD-3-Clause
/*
 * Telemetry commands under /pawsguard/, registered with DPDK's telemetry library: they answer
 * on DPDK's own socket (<runtime dir>/dpdk_telemetry.v2), next to /ethdev/... and /eal/...,
 * for dpdk-telemetry.py and the pawsguard CLI alike. Names, reply shapes and page sizes are
 * in lib/pgtel.h, shared with the CLI.
 *
 * DPDK 22.11 puts dicts in dicts (rte_tel_data_add_dict_container), not in arrays, so every
 * list is a dict keyed by position; a reply holds at most 16 KB, so lists come in pages
 * (pgtel.h sizes them so that a page always fits: what does not fit DPDK leaves out).
 *
 * Callbacks run on telemetry threads: everything that changes state or asks the workers
 * goes under ctl_lock. Counters are read as they are (statistics).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_telemetry.h>

#include "pawsguard/stats.h"
#include "pg_dpdk.h"
#include "pgtel.h"
#include "pools.h"
#include "telemetry.h"

#define PG_DUMP_WAIT_NS (2 * PG_SEC_NS)

_Static_assert(PG_TEL_PAGE <= PG_DUMP_PAGE && PG_TEL_RECENT_MAX <= PG_DUMP_MAX,
	       "a telemetry page fits what a worker dumps at once");
_Static_assert(PG_TEL_POOLS_PAGE < RTE_TEL_MAX_DICT_ENTRIES &&
		       PG_TEL_PAGE < RTE_TEL_MAX_DICT_ENTRIES,
	       "a page fits in one telemetry dict");

static int pg_tel_error(struct rte_tel_data *d, const char *msg)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", msg);
	return 0;
}

static uint64_t pg_rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int pg_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t c[PG_STAT_MAX] = {0};
	struct pg_xstats x = {0};
	uint64_t flows = 0, sources = 0;
	unsigned int i, k;

	(void)cmd;
	(void)params;
	for (k = 0; k < pg_app.n_workers; k++) {
		struct pg_worker *w = &pg_app.workers[k];

		for (i = 0; i < PG_STAT_MAX; i++)
			c[i] += pg_rd(&w->st.c[i]);
		x.rx += pg_rd(&w->x.rx);
		x.tx += pg_rd(&w->x.tx);
		x.tx_dropped += pg_rd(&w->x.tx_dropped);
		x.ring_dropped += pg_rd(&w->x.ring_dropped);
		x.handed_off += pg_rd(&w->x.handed_off);
		x.evictions += pg_rd(&w->x.evictions);
		flows += __atomic_load_n(&w->flow.used, __ATOMIC_RELAXED);
		sources += __atomic_load_n(&w->src.used, __ATOMIC_RELAXED);
	}
	rte_tel_data_start_dict(d);
	for (i = 0; i < PG_STAT_MAX; i++)
		rte_tel_data_add_dict_u64(d, pg_stat_descs[i].name, c[i]);
	rte_tel_data_add_dict_u64(d, "not_understood", pg_stats_not_understood(c));
	rte_tel_data_add_dict_u64(d, "flows", flows);
	rte_tel_data_add_dict_u64(d, "sources", sources);
	rte_tel_data_add_dict_u64(d, "flows_capacity", pg_app.max_flows);
	rte_tel_data_add_dict_u64(d, "sources_capacity", pg_app.max_sources);
	rte_tel_data_add_dict_u64(d, "evictions", x.evictions);
	rte_tel_data_add_dict_u64(d, "tx_dropped", x.tx_dropped);
	rte_tel_data_add_dict_u64(d, "ring_dropped", x.ring_dropped);
	rte_tel_data_add_dict_u64(d, "handed_off", x.handed_off);
	rte_tel_data_add_dict_u64(d, "rx_packets", x.rx);
	rte_tel_data_add_dict_u64(d, "tx_packets", x.tx);
	rte_tel_data_add_dict_u64(d, "lcores", pg_app.n_workers);
	return 0;
}

/* Adds child under key to d (d frees it); false when d is full (child freed here). */
static bool pg_tel_put(struct rte_tel_data *d, const char *key, struct rte_tel_data *child)
{
	if (rte_tel_data_add_dict_container(d, key, child, 0)) {
		rte_tel_data_free(child);
		return false;
	}
	return true;
}

/* A dict child, or NULL without memory. */
static struct rte_tel_data *pg_tel_dict(void)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c)
		rte_tel_data_start_dict(c);
	return c;
}

/* "OFFSET[,COUNT]": a page of the pools in the order added. */
static int pg_tel_pools(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint32_t i, off = 0, count = PG_TEL_POOLS_PAGE, total, end;
	struct rte_tel_data *list, *e;
	const struct pg_pools *p;
	char prefix[64], key[16];

	(void)cmd;
	if (params && *params) {
		char buf[64], *c;

		snprintf(buf, sizeof(buf), "%s", params);
		c = strchr(buf, ',');
		if (c)
			*c++ = '\0';
		if (pg_parse_u32(buf, 0, UINT32_MAX, &off) ||
		    (c && pg_parse_u32(c, 1, PG_TEL_POOLS_PAGE, &count)))
			return pg_tel_error(d, "usage: " PG_TEL_POOLS "[,OFFSET[,COUNT]] (COUNT "
					       "1..128)");
	}
	list = pg_tel_dict();
	if (!list)
		return -ENOMEM;
	pthread_mutex_lock(&pg_app.ctl_lock);
	p = pg_app.pools;
	total = p ? p->n : 0;
	end = off < total ? off + (total - off < count ? total - off : count) : off;
	for (i = off; i < end; i++) {
		e = pg_tel_dict();
		if (!e)
			break;
		pg_cidr_format(&p->list[i].cidr, prefix, sizeof(prefix));
		rte_tel_data_add_dict_string(e, "prefix", prefix);
		rte_tel_data_add_dict_string(e, "action", pg_action_name(p->list[i].action));
		snprintf(key, sizeof(key), "%u", i);
		if (!pg_tel_put(list, key, e))
			break;
	}
	pthread_mutex_unlock(&pg_app.ctl_lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", total);
	rte_tel_data_add_dict_u64(d, "offset", off);
	/* Where the next page starts: short of end only when memory ran out. */
	rte_tel_data_add_dict_u64(d, "next", i);
	pg_tel_put(d, "pools", list);
	return 0;
}

/* "CIDR[ ACTION]" or "CIDR[,ACTION]"; ACTION only where with_action. */
static int pg_pool_params(const char *params, bool with_action, struct pg_pool_entry *e, char *err,
			  size_t el)
{
	const char *usage = with_action ? "usage: CIDR[ rewrite|strip]" : "usage: CIDR";
	char buf[256], *words[3], *save = NULL, *t;
	int n = 0;

	e->action = PG_ACT_REWRITE;
	if (!params || strlen(params) >= sizeof(buf)) {
		snprintf(err, el, "%s", usage);
		return -EINVAL;
	}
	strcpy(buf, params);
	for (t = strtok_r(buf, " ,\t\r\n", &save); t && n < 3;
	     t = strtok_r(NULL, " ,\t\r\n", &save))
		words[n++] = t;
	if (n == 0 || n > (with_action ? 2 : 1)) {
		snprintf(err, el, "%s", usage);
		return -EINVAL;
	}
	if (pg_cidr_parse(words[0], &e->cidr, err, el))
		return -EINVAL;
	if (n == 2 && pg_action_parse(words[1], &e->action)) {
		snprintf(err, el, "bad action '%.32s': expected rewrite or strip", words[1]);
		return -EINVAL;
	}
	return 0;
}

/* pool_add and pool_del answer with what they did and how many pools there are now. */
static int pg_tel_pool_change(const char *params, bool del, struct rte_tel_data *d)
{
	struct pg_pool_entry e;
	char err[PG_ERRLEN], prefix[64];
	uint32_t n = 0;
	int rc;

	rc = pg_pool_params(params, !del, &e, err, sizeof(err));
	if (!rc) {
		pthread_mutex_lock(&pg_app.ctl_lock);
		rc = pg_pools_update(&e, del, err, sizeof(err));
		n = pg_app.pools ? pg_app.pools->n : 0;
		pthread_mutex_unlock(&pg_app.ctl_lock);
	}
	if (rc)
		return pg_tel_error(d, err);
	pg_cidr_format(&e.cidr, prefix, sizeof(prefix));
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, del ? "deleted" : "added", prefix);
	if (!del)
		rte_tel_data_add_dict_string(d, "action", pg_action_name(e.action));
	rte_tel_data_add_dict_u64(d, "pools", n);
	return 0;
}

static int pg_tel_pool_add(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return pg_tel_pool_change(params, false, d);
}

static int pg_tel_pool_del(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return pg_tel_pool_change(params, true, d);
}

static int pg_rec_cmp(const void *a, const void *b)
{
	const struct pg_dump_rec *x = a, *y = b;

	/* Most recent first. */
	return x->last_ns == y->last_ns ? 0 : x->last_ns > y->last_ns ? -1 : 1;
}

static bool pg_wait_ack(struct pg_dump *dp, uint64_t deadline)
{
	while (__atomic_load_n(&dp->ack_seq, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&dp->req_seq, __ATOMIC_RELAXED)) {
		if (pg_quit() || pg_realtime_ns() > deadline)
			return false;
		usleep(100);
	}
	return true;
}

/*
 * Ask every running worker for its limit most recent entries, merge, sort. With ctl_lock
 * held. A worker that does not answer in time is left out, and its buffer is not touched
 * again before it has answered (the next request first waits for that).
 */
static uint32_t pg_collect(uint32_t kind, uint32_t limit, struct pg_dump_rec *out)
{
	uint64_t deadline = pg_realtime_ns() + PG_DUMP_WAIT_NS;
	bool posted[PG_MAX_WORKERS] = {false};
	uint32_t n = 0;
	unsigned int k;

	for (k = 0; k < pg_app.n_workers; k++) {
		struct pg_dump *dp = &pg_app.workers[k].dump;

		if (!__atomic_load_n(&pg_app.workers[k].running, __ATOMIC_ACQUIRE))
			continue;
		if (!pg_wait_ack(dp, deadline))
			continue;
		dp->kind = kind;
		dp->limit = limit;
		__atomic_store_n(&dp->req_seq, dp->req_seq + 1, __ATOMIC_RELEASE);
		posted[k] = true;
	}
	for (k = 0; k < pg_app.n_workers; k++) {
		struct pg_dump *dp = &pg_app.workers[k].dump;

		if (!posted[k] || !pg_wait_ack(dp, deadline))
			continue;
		memcpy(out + n, dp->recs, dp->n * sizeof(*out));
		n += dp->n;
	}
	qsort(out, n, sizeof(*out), pg_rec_cmp);
	return n < limit ? n : limit;
}

/* One source or flow as a dict (NULL without memory). */
static struct rte_tel_data *pg_rec_tel(uint32_t kind, const struct pg_dump_rec *r, uint64_t now)
{
	uint64_t age = now > r->last_ns ? (now - r->last_ns) / 1000000 : 0;
	struct rte_tel_data *e = pg_tel_dict();
	char a[PG_ADDR_STRLEN];

	if (!e)
		return NULL;
	if (kind == PG_DUMP_SOURCES) {
		const struct pg_source *s = &r->src.s;

		pg_addr_format(&r->src.addr, a, sizeof(a));
		rte_tel_data_add_dict_string(e, "addr", a);
		rte_tel_data_add_dict_string(e, "action", pg_action_name(s->action));
		rte_tel_data_add_dict_u64(e, "syns", s->syns);
		rte_tel_data_add_dict_u64(e, "backwards", s->backwards);
		rte_tel_data_add_dict_u64(e, "tuple_back", s->tuple_back);
		rte_tel_data_add_dict_u64(e, "ttls", s->ttls);
		/*
		 * max_fwd as `pawsguard sources --json` has it: the TSval on the wire (low 32
		 * bits); max_fwd_pos the unwrapped position it is kept as (types.h).
		 */
		rte_tel_data_add_dict_u64(e, "max_fwd", (uint32_t)s->max_fwd);
		rte_tel_data_add_dict_u64(e, "max_fwd_pos", s->max_fwd);
		rte_tel_data_add_dict_u64(e, "raw_max", s->raw_max);
		rte_tel_data_add_dict_u64(e, "flows", s->flows);
		rte_tel_data_add_dict_u64(e, "age_ms", age);
	} else {
		const struct pg_flow_key *k = &r->flow.k;
		const struct pg_flow *f = &r->flow.f;

		pg_addr_format(&k->client, a, sizeof(a));
		rte_tel_data_add_dict_string(e, "client", a);
		rte_tel_data_add_dict_u64(e, "cport", ntohs(k->cport));
		pg_addr_format(&k->server, a, sizeof(a));
		rte_tel_data_add_dict_string(e, "server", a);
		rte_tel_data_add_dict_u64(e, "sport", ntohs(k->sport));
		rte_tel_data_add_dict_u64(e, "offset", f->offset);
		rte_tel_data_add_dict_string(e, "state", pg_flow_state_name(f->state));
		rte_tel_data_add_dict_u64(e, "age_ms", age);
	}
	return e;
}

/* recs as a dict keyed "0", "1", ... under key in d; the count beside it. */
static int pg_tel_recs(struct rte_tel_data *d, const char *key, uint32_t kind,
		       const struct pg_dump_rec *recs, uint32_t n)
{
	struct rte_tel_data *list = pg_tel_dict(), *e;
	uint64_t now = pg_realtime_ns();
	char k[16];
	uint32_t i;

	if (!list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = pg_rec_tel(kind, &recs[i], now);
		snprintf(k, sizeof(k), "%u", i);
		if (!e || !pg_tel_put(list, k, e)) {
			rte_tel_data_free(list);
			return -ENOMEM;
		}
	}
	rte_tel_data_add_dict_u64(d, "count", n);
	return pg_tel_put(d, key, list) ? 0 : -ENOSPC;
}

/*
 * One page of a complete listing: worker w's used slots from position pos on, at most
 * PG_TEL_PAGE of them, and where the next page starts ("next": "W,POS", absent after the
 * last worker). With ctl_lock held.
 */
static int pg_tel_page(struct rte_tel_data *d, uint32_t kind, uint32_t w, uint32_t pos)
{
	uint64_t deadline = pg_realtime_ns() + PG_DUMP_WAIT_NS;
	uint32_t next_w = w, next_pos;
	struct pg_dump *dp;
	char next[32];
	int rc;

	rte_tel_data_start_dict(d);
	if (w >= pg_app.n_workers)
		return pg_tel_recs(d, "entries", kind, NULL, 0);
	dp = &pg_app.workers[w].dump;
	if (!__atomic_load_n(&pg_app.workers[w].running, __ATOMIC_ACQUIRE) ||
	    !pg_wait_ack(dp, deadline))
		return pg_tel_error(d, "a worker did not answer");
	dp->kind = kind;
	dp->limit = PG_TEL_PAGE;
	dp->page = 1;
	dp->start = pos;
	__atomic_store_n(&dp->req_seq, dp->req_seq + 1, __ATOMIC_RELEASE);
	if (!pg_wait_ack(dp, deadline)) {
		dp->page = 0; /* only read by the worker with the next request */
		return pg_tel_error(d, "a worker did not answer");
	}
	dp->page = 0;
	next_pos = dp->next;
	if (next_pos >=
	    (kind == PG_DUMP_SOURCES ? pg_app.workers[w].src.size : pg_app.workers[w].flow.size)) {
		next_w = w + 1;
		next_pos = 0;
	}
	rc = pg_tel_recs(d, "entries", kind, dp->recs, dp->n);
	if (rc)
		return pg_tel_error(d, "out of memory");
	if (next_w < pg_app.n_workers) {
		snprintf(next, sizeof(next), "%u,%u", next_w, next_pos);
		rte_tel_data_add_dict_string(d, "next", next);
	}
	return 0;
}

static int pg_tel_dump(struct rte_tel_data *d, uint32_t kind, const char *params)
{
	const char *key = kind == PG_DUMP_SOURCES ? "sources" : "flows";
	uint32_t limit = PG_TEL_RECENT_MAX, n;
	struct pg_dump_rec *recs;
	int rc;

	if (params && !strncmp(params, "page,", 5)) {
		char buf[64], *c;
		uint32_t w, pos;

		snprintf(buf, sizeof(buf), "%s", params + 5);
		c = strchr(buf, ',');
		if (c)
			*c++ = '\0';
		if (!c || pg_parse_u32(buf, 0, UINT32_MAX, &w) ||
		    pg_parse_u32(c, 0, UINT32_MAX, &pos))
			return pg_tel_error(d, "usage: page,WORKER,POSITION");
		pthread_mutex_lock(&pg_app.ctl_lock);
		rc = pg_tel_page(d, kind, w, pos);
		pthread_mutex_unlock(&pg_app.ctl_lock);
		return rc;
	}
	if (params && *params && pg_parse_u32(params, 1, PG_TEL_RECENT_MAX, &limit))
		return pg_tel_error(d, "LIMIT must be a number 1..48 (page,W,POS lists all)");
	recs = calloc((size_t)pg_app.n_workers * PG_DUMP_MAX + 1, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	pthread_mutex_lock(&pg_app.ctl_lock);
	n = pg_collect(kind, limit, recs);
	pthread_mutex_unlock(&pg_app.ctl_lock);
	rte_tel_data_start_dict(d);
	rc = pg_tel_recs(d, key, kind, recs, n);
	free(recs);
	return rc ? pg_tel_error(d, "out of memory") : 0;
}

static int pg_tel_sources(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return pg_tel_dump(d, PG_DUMP_SOURCES, params);
}

static int pg_tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return pg_tel_dump(d, PG_DUMP_FLOWS, params);
}

/*
 * The socket answers whoever can connect to it, and pool_add changes what the appliance
 * does: it stays root's alone (0600), whatever the umask DPDK created it under.
 */
static int pg_tel_restrict(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
	if (chmod(path, 0600) && errno != ENOENT)
		return -errno;
	return 0;
}

int pg_telemetry_register(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{PG_TEL_STATS, pg_tel_stats, "pawsguard counters, summed over workers"},
		{PG_TEL_POOLS, pg_tel_pools,
		 "pools in the order added. Parameters: [OFFSET[,COUNT]] (a page: COUNT <= 128)"},
		{PG_TEL_POOL_ADD, pg_tel_pool_add,
		 "add a pool or change its action. Parameters: CIDR[ rewrite|strip]"},
		{PG_TEL_POOL_DEL, pg_tel_pool_del, "remove a pool. Parameters: CIDR"},
		{PG_TEL_SOURCES, pg_tel_sources,
		 "sources. Parameters: [LIMIT] most recent (<= 48), or page,W,POS for all"},
		{PG_TEL_FLOWS, pg_tel_flows,
		 "flows. Parameters: [LIMIT] most recent (<= 48), or page,W,POS for all"},
	};
	size_t i;
	int rc;

	for (i = 0; i < RTE_DIM(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc)
			return rc < 0 ? rc : -rc;
	}
	return pg_tel_restrict();
}
