// SPDX-License-Identifier: BSD-3-Clause
/*
 * metrics: every running target's counters in Prometheus' text exposition format (0.0.4),
 * served over HTTP by libmicrohttpd (GET /metrics) or written atomically to DIR/pawsguard.prom
 * for node_exporter's textfile collector. A scrape reads each target's counters once and
 * never walks a table: the DPDK workers keep their fill levels; an XDP program's tables are
 * counted by a walk (the kernel keeps no count of an LRU map), which a thread of ours does
 * at most every PG_COUNT_EVERY_S seconds, the scrapes reading its last result and its age.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli.h"
#include "pawsguard/stats.h"

#define PG_METRICS_TARGETS 32
#define PG_METRICS_FILE	   "pawsguard.prom"
#define PG_COUNT_EVERY_S   10

struct metrics_opts {
	bool json;
	struct pg_target_sel target;
	const char *listen;
	const char *textfile;
	struct pg_u32 interval;
	struct pg_u32 count;
};

static const struct pg_opt metrics_opts[] = {
	PG_OPT_COMMON(struct metrics_opts),
	PG_OPT_TARGET(struct metrics_opts),
	PG_OPTION(struct metrics_opts, listen, "listen", PG_OPT_STR, "ADDR:PORT", 0, 0, NULL,
		  "serve GET /metrics on ADDR:PORT ([v6]:PORT for IPv6)"),
	PG_OPTION(struct metrics_opts, textfile, "textfile", PG_OPT_STR, "DIR", 0, 0, NULL,
		  "write DIR/" PG_METRICS_FILE " for node_exporter's textfile collector"),
	PG_OPTION(struct metrics_opts, interval, "interval", PG_OPT_U32, "SECONDS", 1, 3600, NULL,
		  "with --textfile: rewrite every SECONDS (default 15)"),
	PG_OPTION(struct metrics_opts, count, "count", PG_OPT_U32, "N", 1, 1000000, NULL,
		  "with --textfile: stop after N writes"),
	PG_OPT_END,
};

/* One target as scraped: its label and, when up, its counters. */
struct scraped {
	char label[80]; /* "xdp:eth0", "dpdk:pg" */
	bool up;
	struct pg_stats_rec s;
	double count_age_s; /* how old s's table counts are (s.counted) */
};

/* The last walk of an XDP target's tables (by label), under count_lock. */
static struct {
	char label[80];
	uint64_t when_ns;
	struct pg_stats_rec s;
} counts[PG_METRICS_TARGETS];
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct metrics_opts *g_opts;
static volatile sig_atomic_t stop;

/* The targets of one kind to scrape or count: the one named, or every running one. */
static int target_names(bool xdp, char names[][64], int max)
{
	const struct pg_target_sel *sel = &g_opts->target;

	if (sel->iface || sel->dpdk.set) {
		if (xdp ? !sel->iface : !sel->dpdk.set)
			return 0;
		snprintf(names[0], 64, "%s",
			 xdp		 ? sel->iface
			 : sel->dpdk.val ? sel->dpdk.val
					 : "rte");
		return 1;
	}
	return xdp ? pg_xdp_list(names, max) : pg_dpdk_list(names, max);
}

/* Walks every XDP target's tables once and keeps the counts (the only walks we do). */
static void count_pass(void)
{
	char names[16][64], err[PG_ERRLEN], label[80];
	struct pg_stats_rec s;
	struct pg_target t;
	int n = target_names(true, names, 16), i, k, slot;

	for (i = 0; i < n && !stop; i++) {
		if (pg_xdp_open(&t, names[i], err, sizeof(err)))
			continue;
		k = t.ops->stats(&t, &s, err, sizeof(err));
		t.ops->close(&t);
		if (k)
			continue;
		snprintf(label, sizeof(label), "xdp:%.63s", names[i]);
		pthread_mutex_lock(&count_lock);
		for (slot = -1, k = 0; k < PG_METRICS_TARGETS; k++) {
			if (!strcmp(counts[k].label, label) || (!counts[k].label[0] && slot < 0))
				slot = k;
			if (!strcmp(counts[k].label, label))
				break;
		}
		if (slot >= 0) {
			snprintf(counts[slot].label, sizeof(counts[slot].label), "%s", label);
			counts[slot].s = s;
			counts[slot].when_ns = pg_realtime_ns();
		}
		pthread_mutex_unlock(&count_lock);
	}
}

static void *count_thread(void *arg)
{
	int i;

	(void)arg;
	while (!stop) {
		count_pass();
		for (i = 0; i < PG_COUNT_EVERY_S * 10 && !stop; i++)
			usleep(100000);
	}
	return NULL;
}

/* The fill levels and derived evictions of an XDP target from its last walk, if any. */
static void counted_from_cache(struct scraped *s)
{
	int k;

	pthread_mutex_lock(&count_lock);
	for (k = 0; k < PG_METRICS_TARGETS; k++) {
		const struct pg_stats_rec *c = &counts[k].s;

		if (strcmp(counts[k].label, s->label))
			continue;
		s->s.flows = c->flows;
		s->s.sources = c->sources;
		s->s.evictions = c->evictions;
		s->s.c[PG_STAT_EVICT_UNCONF] = c->c[PG_STAT_EVICT_UNCONF];
		s->s.c[PG_STAT_EVICT_EST] = c->c[PG_STAT_EVICT_EST];
		s->s.counted = true;
		s->count_age_s = (double)(pg_realtime_ns() - counts[k].when_ns) / 1e9;
		break;
	}
	pthread_mutex_unlock(&count_lock);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The named targets, or every running one. */
static int scrape(struct scraped *v, int max)
{
	char names[16][64], err[PG_ERRLEN];
	struct pg_target t;
	int n = 0, k, i, kinds;

	for (kinds = 0; kinds < 2; kinds++) {
		bool xdp = kinds == 0;

		k = target_names(xdp, names, 16);
		for (i = 0; i < k && n < max; i++, n++) {
			struct scraped *s = &v[n];

			memset(s, 0, sizeof(*s));
			snprintf(s->label, sizeof(s->label), "%s:%.63s", xdp ? "xdp" : "dpdk",
				 names[i]);
			if ((xdp ? pg_xdp_open(&t, names[i], err, sizeof(err))
				 : pg_dpdk_open(&t, names[i], err, sizeof(err))))
				continue;
			t.no_walk = true;
			s->up = !t.ops->stats(&t, &s->s, err, sizeof(err));
			t.ops->close(&t);
			if (s->up && xdp)
				counted_from_cache(s);
		}
	}
	return n;
}

/* A label value: backslash, double quote and newline escaped (exposition format). */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, const struct scraped *s, const char *extra,
		   uint64_t v)
{
	fprintf(f, "%s{target=\"", name);
	label(f, s->label);
	fprintf(f, "\"%s} %llu\n", extra ? extra : "", (unsigned long long)v);
}

/* The exposition of n scraped targets (text format 0.0.4). */
static void render(FILE *f, const struct scraped *v, int n)
{
	static const struct {
		const char *name, *help;
		size_t off;
		bool walked; /* known only from a count of the tables (pg_stats_rec.counted) */
	} gauges[] = {
		{"pawsguard_flows", "flow table entries in use",
		 offsetof(struct pg_stats_rec, flows), true},
		{"pawsguard_sources", "source table entries in use",
		 offsetof(struct pg_stats_rec, sources), true},
		{"pawsguard_flows_capacity", "flow table size (XDP: of each flow map)",
		 offsetof(struct pg_stats_rec, flows_capacity), false},
		{"pawsguard_sources_capacity", "source table size",
		 offsetof(struct pg_stats_rec, sources_capacity), false},
	};
	char name[96], extra[96];
	size_t g;
	int i, k;

	family(f, "pawsguard_up", "gauge", "1 if the target answered this scrape");
	for (k = 0; k < n; k++)
		sample(f, "pawsguard_up", &v[k], NULL, v[k].up);
	for (i = 0; i < PG_STAT_REASON_FIRST; i++) {
		snprintf(name, sizeof(name), "pawsguard_%s_total", pg_stat_descs[i].name);
		family(f, name, "counter", pg_stat_descs[i].help);
		for (k = 0; k < n; k++)
			if (v[k].up)
				sample(f, name, &v[k], NULL, v[k].s.c[i]);
	}
	family(f, "pawsguard_not_understood_total", "counter",
	       "packets passed untouched because they were not understood, by reason");
	for (i = PG_STAT_REASON_FIRST; i <= PG_STAT_REASON_LAST; i++) {
		snprintf(extra, sizeof(extra), ",reason=\"%s\"", pg_stat_descs[i].name);
		for (k = 0; k < n; k++)
			if (v[k].up)
				sample(f, "pawsguard_not_understood_total", &v[k], extra,
				       v[k].s.c[i]);
	}
	family(f, "pawsguard_evictions_total", "counter", "table entries evicted to make room");
	for (k = 0; k < n; k++)
		if (v[k].up && v[k].s.counted)
			sample(f, "pawsguard_evictions_total", &v[k], NULL, v[k].s.evictions);
	for (g = 0; g < PG_ARRAY_SIZE(gauges); g++) {
		family(f, gauges[g].name, "gauge", gauges[g].help);
		for (k = 0; k < n; k++)
			if (v[k].up && (v[k].s.counted || !gauges[g].walked))
				sample(f, gauges[g].name, &v[k], NULL,
				       *(const uint64_t *)((const char *)&v[k].s + gauges[g].off));
	}
	family(f, "pawsguard_table_count_age_seconds", "gauge",
	       "age of pawsguard_flows and pawsguard_sources (XDP tables are counted by a walk)");
	for (k = 0; k < n; k++)
		if (v[k].up && v[k].s.counted) {
			fprintf(f, "pawsguard_table_count_age_seconds{target=\"");
			label(f, v[k].label);
			fprintf(f, "\"} %.3f\n", v[k].count_age_s);
		}
}

/* The whole exposition in a malloc'ed buffer (NULL without memory). */
static char *exposition(size_t *len)
{
	static struct scraped v[PG_METRICS_TARGETS];
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int n;

	if (!f)
		return NULL;
	n = scrape(v, PG_METRICS_TARGETS);
	render(f, v, n);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	static const char not_found[] = "not found: pawsguard serves /metrics\n";
	struct MHD_Response *r;
	enum MHD_Result rc;
	unsigned int status = MHD_HTTP_OK;
	size_t len = 0;
	char *body;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_NO;
	if (strcmp(url, "/metrics")) {
		r = MHD_create_response_from_buffer(strlen(not_found), (void *)not_found,
						    MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		body = exposition(&len);
		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* "a.b.c.d:port", "[v6]:port" or ":port" (every IPv4 address). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, char *err, size_t el)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[64];
	uint32_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || pg_parse_u32(colon + 1, 1, 65535, &port))
		goto bad;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
			return 0;
		goto bad;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (!hl || inet_pton(AF_INET, host, &a4->sin_addr) == 1)
		return 0;
bad:
	snprintf(err, el, "--listen '%.64s': expected ADDR:PORT, [IPV6]:PORT or :PORT", s);
	return -EINVAL;
}

static int serve(const struct metrics_opts *o)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	pthread_t counter;
	char err[PG_ERRLEN];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (parse_listen(o->listen, &ss, err, sizeof(err)))
		return pg_fail(err);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * One polling thread answers one scrape at a time: the work of a scrape is bounded and
	 * a flood of connections cannot multiply it. Idle or slow clients are cut after 10 s.
	 */
	d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 64U,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!d)
		return pg_failf("--listen %s: cannot listen there (in use, or not an address of "
				"this host)",
				o->listen);
	if (pthread_create(&counter, NULL, count_thread, NULL)) {
		MHD_stop_daemon(d);
		return pg_fail("cannot start the table counter");
	}
	pg_print_begin(o->json, false);
	pg_print_str("listening", "serving /metrics on %s\n", o->listen);
	pg_print_end();
	fflush(stdout);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	pthread_join(counter, NULL);
	return 0;
}

static int write_textfile(const struct metrics_opts *o)
{
	uint32_t n = 0, every = o->interval.set ? o->interval.v : 15;
	uint64_t last_count = 0;
	char path[4096], err[PG_ERRLEN];
	size_t len;
	char *body;

	if (snprintf(path, sizeof(path), "%s/%s", o->textfile, PG_METRICS_FILE) >=
	    (int)sizeof(path))
		return pg_fail("--textfile: path too long");
	for (;;) {
		/* The tables walked at most every PG_COUNT_EVERY_S, between writes. */
		if (pg_realtime_ns() - last_count >= PG_COUNT_EVERY_S * PG_SEC_NS) {
			count_pass();
			last_count = pg_realtime_ns();
		}
		body = exposition(&len);
		if (!body)
			return pg_fail("out of memory");
		/* Atomic: the collector never reads half a file. */
		if (pg_file_replace(path, body, len, NULL, 0644, err, sizeof(err))) {
			free(body);
			return pg_fail(err);
		}
		free(body);
		n++;
		if (stop || (o->count.set && n >= o->count.v))
			break;
		sleep(every);
		if (stop)
			break;
	}
	pg_print_begin(o->json, false);
	pg_print_str("written", "wrote %s", path);
	pg_print_u64("writes", " %llu time(s)\n", n);
	pg_print_end();
	return 0;
}

static int do_metrics(const void *opts, const char *const *pos, int npos)
{
	const struct metrics_opts *o = opts;
	struct sigaction sa = {.sa_handler = on_signal};

	(void)pos;
	(void)npos;
	if (!o->listen == !o->textfile)
		return pg_fail("metrics: give one of --listen ADDR:PORT or --textfile DIR");
	if ((o->interval.set || o->count.set) && !o->textfile)
		return pg_fail("--interval and --count only make sense with --textfile");
	if (o->target.iface && o->target.dpdk.set)
		return pg_fail("choose one target: --iface or --dpdk, not both (or neither: all)");
	g_opts = o;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return o->listen ? serve(o) : write_textfile(o);
}

const struct pg_cmd pg_cmd_metrics = {
	"metrics",
	NULL,
	"",
	0,
	0,
	metrics_opts,
	sizeof(struct metrics_opts),
	do_metrics,
	"Prometheus metrics of every running target (or the one named): HTTP or a textfile",
};
