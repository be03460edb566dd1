// SPDX-License-Identifier: BSD-3-Clause
/*
 * Telemetry commands under /pawsguard/. The pawsguard CLI's DPDK target depends on these
 * exact shapes:
 *
 *   /pawsguard/stats              dict: every counter of PG_STATS_LIST by its stats.h name
 *                                 (summed over workers), "flows", "sources" (entries in
 *                                 use), "not_understood" (all reasons), "evictions",
 *                                 "tx_dropped", "lcores", and the
 *                                 appliance's own "ring_dropped", "handed_off",
 *                                 "rx_packets", "tx_packets"
 *   /pawsguard/pools[,OFFSET]     [{"prefix": "203.0.113.0/24", "action": "rewrite"}, ...]
 *                                 from OFFSET on, as many as fit in one reply: page on with
 *                                 OFFSET + what came until a page is empty
 *   /pawsguard/pool_add,CIDR[ ACTION]   {"ok": 1} or {"error": "..."}; ACTION rewrite|strip
 *                                 (default rewrite), after a space or a comma
 *   /pawsguard/pool_del,CIDR      {"ok": 1} or {"error": "..."}
 *   /pawsguard/sources[,LIMIT]    [{"addr","action","syns","backwards","max_fwd","raw_max",
 *                                   "flows","age_ms"}, ...] most recent first
 *   /pawsguard/flows[,LIMIT]      [{"client","cport","server","sport","offset","state",
 *                                   "age_ms"}, ...] most recent first
 *   /pawsguard/flows,page,W,POS   {"entries": [...], "next": "W,POS" | null}: every entry,
 *   /pawsguard/sources,page,W,POS a page at a time (table order), from "0,0" until null
 *
 * DPDK 22.11's rte_tel_data cannot hold a dict inside an array (containers are arrays of
 * scalars only; rte_tel_data_add_array_container returns -EINVAL for a dict), so the JSON is
 * written here and served on the telemetry socket by the front in telfront.c. The commands
 * are also registered with the telemetry library, so that "/" lists them and "/help" knows
 * them; a client of DPDK's own socket gets the same JSON as a string.
 *
 * Callbacks run on telemetry threads: everything that changes state or asks the workers
 * goes under ctl_lock. Counters are read as they are (statistics). Lists stop at
 * min(LIMIT, 500) entries and at what fits in one reply (16 KB); what is listed is always
 * the most recent entries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include "pawsguard/stats.h"
#include "pg_dpdk.h"
#include "pools.h"
#include "telemetry.h"

#define PG_DUMP_WAIT_NS (2 * PG_SEC_NS)

/* JSON text into a fixed buffer; a write that does not fit sets full and writes nothing. */
struct pg_json {
	char *p;
	size_t len;
	size_t cap; /* bytes usable, the terminating NUL not counted */
	bool full;
};

static void __rte_format_printf(2, 3) pg_jf(struct pg_json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->p + j->len, j->cap + 1 - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > j->cap - j->len) {
		j->p[j->len] = '\0';
		j->full = true;
		return;
	}
	j->len += (size_t)n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void pg_jstr(struct pg_json *j, const char *s)
{
	pg_jf(j, "\"");
	for (; *s && !j->full; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			pg_jf(j, "\\%c", c);
		else if (c < 0x20)
			pg_jf(j, "\\u%04x", c);
		else
			pg_jf(j, "%c", c);
	}
	pg_jf(j, "\"");
}

static void pg_jerror(struct pg_json *j, const char *msg)
{
	pg_jf(j, "{\"error\": ");
	pg_jstr(j, msg);
	pg_jf(j, "}");
}

static uint64_t pg_rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void pg_cmd_stats(struct pg_json *j)
{
	uint64_t c[PG_STAT_MAX] = {0};
	struct pg_xstats x = {0};
	uint64_t flows = 0, sources = 0;
	unsigned int i, k;

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
	pg_jf(j, "{");
	for (i = 0; i < PG_STAT_MAX; i++)
		pg_jf(j, "\"%s\": %" PRIu64 ", ", pg_stat_descs[i].name, c[i]);
	pg_jf(j, "\"not_understood\": %" PRIu64 ", ", pg_stats_not_understood(c));
	pg_jf(j,
	      "\"flows\": %" PRIu64 ", \"sources\": %" PRIu64 ", \"evictions\": %" PRIu64
	      ", \"tx_dropped\": %" PRIu64 ", \"ring_dropped\": %" PRIu64
	      ", \"handed_off\": %" PRIu64 ", \"rx_packets\": %" PRIu64 ", \"tx_packets\": %" PRIu64
	      ", \"lcores\": %u}",
	      flows, sources, x.evictions, x.tx_dropped, x.ring_dropped, x.handed_off, x.rx, x.tx,
	      pg_app.n_workers);
}

/* Append one list element; false, appending nothing, if it (and the list's end) would not fit. */
static bool pg_jelem(struct pg_json *j, bool first, const char *elem)
{
	size_t need = strlen(elem) + (first ? 0 : 2);

	if (j->full || j->len + need + PG_TEL_TAIL > j->cap)
		return false;
	pg_jf(j, "%s%s", first ? "" : ", ", elem);
	return true;
}

/*
 * The pools in the order added, from OFFSET (the parameter, default 0) on, as many as fit in
 * one reply: a client pages with the count it got until a page is empty (the CLI does).
 */
static void pg_cmd_pools(struct pg_json *j, const char *params)
{
	const struct pg_pools *p;
	char prefix[64], elem[160];
	struct pg_json e = {.p = elem, .cap = sizeof(elem) - 1};
	uint32_t i, off = 0;

	if (params && *params && pg_parse_u32(params, 0, UINT32_MAX, &off)) {
		pg_jf(j, "{\"error\": \"usage: /pawsguard/pools[,OFFSET]\"}");
		return;
	}
	pg_jf(j, "[");
	pthread_mutex_lock(&pg_app.ctl_lock);
	p = pg_app.pools;
	for (i = off; p && i < p->n; i++) {
		pg_cidr_format(&p->list[i].cidr, prefix, sizeof(prefix));
		e.len = 0;
		e.full = false;
		pg_jf(&e, "{\"prefix\": \"%s\", \"action\": \"%s\"}", prefix,
		      pg_action_name(p->list[i].action));
		if (!pg_jelem(j, i == off, elem))
			break;
	}
	pthread_mutex_unlock(&pg_app.ctl_lock);
	pg_jf(j, "]");
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

static void pg_cmd_pool_change(struct pg_json *j, const char *params, bool del)
{
	struct pg_pool_entry e;
	char err[PG_ERRLEN];
	int rc;

	rc = pg_pool_params(params, !del, &e, err, sizeof(err));
	if (!rc) {
		pthread_mutex_lock(&pg_app.ctl_lock);
		rc = pg_pools_update(&e, del, err, sizeof(err));
		pthread_mutex_unlock(&pg_app.ctl_lock);
	}
	if (rc)
		pg_jerror(j, err);
	else
		pg_jf(j, "{\"ok\": 1}");
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

static void pg_rec_json(struct pg_json *e, uint32_t kind, const struct pg_dump_rec *r, uint64_t now)
{
	uint64_t age = now > r->last_ns ? (now - r->last_ns) / 1000000 : 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (kind == PG_DUMP_SOURCES) {
		const struct pg_source *s = &r->src.s;

		pg_addr_format(&r->src.addr, a, sizeof(a));
		pg_jf(e,
		      "{\"addr\": \"%s\", \"action\": \"%s\", \"syns\": %u, \"backwards\": %u, "
		      "\"max_fwd\": %" PRIu64
		      ", \"raw_max\": %u, \"flows\": %u, \"age_ms\": %" PRIu64 "}",
		      a, pg_action_name(s->action), s->syns, s->backwards, (uint64_t)s->max_fwd,
		      s->raw_max, s->flows, age);
	} else {
		const struct pg_flow_key *k = &r->flow.k;
		const struct pg_flow *f = &r->flow.f;

		pg_addr_format(&k->client, a, sizeof(a));
		pg_addr_format(&k->server, b, sizeof(b));
		pg_jf(e,
		      "{\"client\": \"%s\", \"cport\": %u, \"server\": \"%s\", \"sport\": %u, "
		      "\"offset\": %u, \"state\": \"%s\", \"age_ms\": %" PRIu64 "}",
		      a, ntohs(k->cport), b, ntohs(k->sport), f->offset,
		      pg_flow_state_name(f->state), age);
	}
}

/*
 * One page of a complete listing: worker w's used slots from position pos on, at most
 * PG_DUMP_PAGE of them, and where the next page starts ("next": "W,POS", or null after the
 * last worker). With ctl_lock held.
 */
static void pg_cmd_page(struct pg_json *j, uint32_t kind, uint32_t w, uint32_t pos)
{
	uint64_t deadline = pg_realtime_ns() + PG_DUMP_WAIT_NS, now;
	char elem[512];
	struct pg_json e = {.p = elem, .cap = sizeof(elem) - 1};
	struct pg_dump *dp;
	uint32_t i, next_w = w, next_pos;
	size_t start = j->len;

	if (w >= pg_app.n_workers) {
		pg_jf(j, "{\"entries\": [], \"next\": null}");
		return;
	}
	dp = &pg_app.workers[w].dump;
	if (!__atomic_load_n(&pg_app.workers[w].running, __ATOMIC_ACQUIRE) ||
	    !pg_wait_ack(dp, deadline)) {
		pg_jerror(j, "a worker did not answer");
		return;
	}
	dp->kind = kind;
	dp->limit = PG_DUMP_PAGE;
	dp->page = 1;
	dp->start = pos;
	__atomic_store_n(&dp->req_seq, dp->req_seq + 1, __ATOMIC_RELEASE);
	if (!pg_wait_ack(dp, deadline)) {
		dp->page = 0; /* only read by the worker with the next request */
		pg_jerror(j, "a worker did not answer");
		return;
	}
	dp->page = 0;
	next_pos = dp->next;
	if (next_pos >=
	    (kind == PG_DUMP_SOURCES ? pg_app.workers[w].src.size : pg_app.workers[w].flow.size)) {
		next_w = w + 1;
		next_pos = 0;
	}
	now = pg_realtime_ns();
	pg_jf(j, "{\"entries\": [");
	for (i = 0; i < dp->n; i++) {
		e.len = 0;
		e.full = false;
		pg_rec_json(&e, kind, &dp->recs[i], now);
		if (!pg_jelem(j, i == 0, elem)) {
			/* PG_DUMP_PAGE is chosen to fit: never hand out a cut page. */
			j->len = start;
			j->p[start] = '\0';
			j->full = false;
			pg_jerror(j, "a page did not fit in one reply");
			return;
		}
	}
	if (next_w < pg_app.n_workers)
		pg_jf(j, "], \"next\": \"%u,%u\"}", next_w, next_pos);
	else
		pg_jf(j, "], \"next\": null}");
}

static void pg_cmd_dump(struct pg_json *j, uint32_t kind, const char *params)
{
	struct pg_dump_rec *recs;
	uint32_t limit = PG_DUMP_MAX, n, i;
	char elem[512];
	struct pg_json e = {.p = elem, .cap = sizeof(elem) - 1};
	uint64_t now;

	if (params && !strncmp(params, "page,", 5)) {
		char buf[64], *c;
		uint32_t w, pos;

		snprintf(buf, sizeof(buf), "%s", params + 5);
		c = strchr(buf, ',');
		if (c)
			*c++ = '\0';
		if (!c || pg_parse_u32(buf, 0, UINT32_MAX, &w) ||
		    pg_parse_u32(c, 0, UINT32_MAX, &pos)) {
			pg_jerror(j, "usage: page,WORKER,POSITION");
			return;
		}
		pthread_mutex_lock(&pg_app.ctl_lock);
		pg_cmd_page(j, kind, w, pos);
		pthread_mutex_unlock(&pg_app.ctl_lock);
		return;
	}
	if (params && *params) {
		if (pg_parse_u32(params, 0, UINT32_MAX, &limit)) {
			pg_jerror(j, "LIMIT must be a number");
			return;
		}
		if (limit > PG_DUMP_MAX)
			limit = PG_DUMP_MAX;
	}
	recs = calloc((size_t)pg_app.n_workers * PG_DUMP_MAX + 1, sizeof(*recs));
	if (!recs) {
		pg_jerror(j, "out of memory");
		return;
	}
	pthread_mutex_lock(&pg_app.ctl_lock);
	n = pg_collect(kind, limit, recs);
	pthread_mutex_unlock(&pg_app.ctl_lock);
	now = pg_realtime_ns();
	pg_jf(j, "[");
	for (i = 0; i < n; i++) {
		e.len = 0;
		e.full = false;
		pg_rec_json(&e, kind, &recs[i], now);
		pg_jelem(j, i == 0, elem);
	}
	pg_jf(j, "]");
	free(recs);
}

/* The value of one /pawsguard/ command (without its "{cmd: ...}" wrapper); false: unknown. */
static bool pg_cmd_value(const char *cmd, const char *params, struct pg_json *j)
{
	if (!strcmp(cmd, "/pawsguard/stats"))
		pg_cmd_stats(j);
	else if (!strcmp(cmd, "/pawsguard/pools"))
		pg_cmd_pools(j, params);
	else if (!strcmp(cmd, "/pawsguard/pool_add"))
		pg_cmd_pool_change(j, params, false);
	else if (!strcmp(cmd, "/pawsguard/pool_del"))
		pg_cmd_pool_change(j, params, true);
	else if (!strcmp(cmd, "/pawsguard/sources"))
		pg_cmd_dump(j, PG_DUMP_SOURCES, params);
	else if (!strcmp(cmd, "/pawsguard/flows"))
		pg_cmd_dump(j, PG_DUMP_FLOWS, params);
	else
		return false;
	return true;
}

size_t pg_tel_reply(const char *req, char *out, size_t outlen)
{
	char cmd[PG_TEL_CMD_MAX];
	const char *comma = strchr(req, ',');
	size_t clen = comma ? (size_t)(comma - req) : strlen(req);
	struct pg_json j = {.p = out, .cap = outlen - 1};

	if (clen >= sizeof(cmd))
		clen = sizeof(cmd) - 1;
	memcpy(cmd, req, clen);
	cmd[clen] = '\0';
	pg_jf(&j, "{");
	pg_jstr(&j, cmd);
	pg_jf(&j, ": ");
	/* "/" reaches here only without DPDK's socket to relay it to: list what is here. */
	if (!strcmp(cmd, "/"))
		pg_jf(&j, "[\"/\", \"/pawsguard/stats\", \"/pawsguard/pools\", "
			  "\"/pawsguard/pool_add\", \"/pawsguard/pool_del\", "
			  "\"/pawsguard/sources\", \"/pawsguard/flows\"]");
	else if (!pg_cmd_value(cmd, comma ? comma + 1 : NULL, &j))
		pg_jf(&j, "null");
	pg_jf(&j, "}");
	return j.len;
}

/* Through DPDK's own socket: the same JSON, as a string (see the top of this file). */
static int pg_tel_lib_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *buf = malloc(RTE_TEL_MAX_SINGLE_STRING_LEN);
	struct pg_json j = {.p = buf, .cap = RTE_TEL_MAX_SINGLE_STRING_LEN - 1};

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	pg_cmd_value(cmd, params, &j);
	rte_tel_data_string(d, buf);
	free(buf);
	return 0;
}

int pg_telemetry_register(void)
{
	static const struct {
		const char *cmd;
		const char *help;
	} cmds[] = {
		{"/pawsguard/stats", "pawsguard counters, summed over workers"},
		{"/pawsguard/pools", "pools: [{prefix, action}]"},
		{"/pawsguard/pool_add",
		 "add a pool or change its action. Parameters: CIDR[ rewrite|strip]"},
		{"/pawsguard/pool_del", "remove a pool. Parameters: CIDR"},
		{"/pawsguard/sources",
		 "most recent sources first. Parameters: [LIMIT] (at most 500)"},
		{"/pawsguard/flows", "most recent flows first. Parameters: [LIMIT] (at most 500)"},
	};
	size_t i;
	int rc;

	for (i = 0; i < RTE_DIM(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, pg_tel_lib_cb, cmds[i].help);
		if (rc)
			return rc < 0 ? rc : -rc;
	}
	return 0;
}
