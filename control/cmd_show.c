// SPDX-License-Identifier: BSD-3-Clause
/* stats, sources, flows and suggest: what a target counts and holds. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli.h"
#include "pawsguard/stats.h"

#define PG_LIMIT_DEFAULT 20

/* --limit: any number up to what a table can hold. */
#define PG_OPT_LIMIT(T)                                                                            \
	PG_OPTION(T, limit, "limit", PG_OPT_U32, "N", 1, PG_TABLE_MAX, NULL,                       \
		  "show at most N entries (default 20)")

void pg_print_limited(size_t shown, size_t total, const char *what)
{
	if (shown >= total)
		return;
	if (pg_print_is_json())
		fprintf(stderr, "%s: %zu of %zu %s shown (--limit)\n", pg_prog, shown, total, what);
	else
		printf("# %zu of %zu %s shown (--limit)\n", shown, total, what);
}

static uint32_t limit_of(const struct pg_u32 *l)
{
	return l->set ? l->v : PG_LIMIT_DEFAULT;
}

/* ---- stats ---- */

struct stats_opts {
	bool json;
	struct pg_target_sel target;
	struct pg_u32 watch;
	struct pg_u32 count;
};

static const struct pg_opt stats_opts[] = {
	PG_OPT_COMMON(struct stats_opts),
	PG_OPT_TARGET(struct stats_opts),
	PG_OPTION(struct stats_opts, watch, "watch", PG_OPT_U32, "SECONDS", 1, 3600, NULL,
		  "refresh every SECONDS until interrupted"),
	PG_OPTION(struct stats_opts, count, "count", PG_OPT_U32, "N", 1, 1000000, NULL,
		  "with --watch: stop after N refreshes"),
	PG_OPT_END,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void stats_print(bool json, const struct pg_target *t, const struct pg_stats_rec *s)
{
	int i;

	pg_print_begin(json, false);
	pg_print_str("target", "pawsguard %s", t->ops->kind);
	pg_print_str("name", " %s\n", t->name);
	pg_print_open_object("counters");
	for (i = 0; i < PG_STAT_REASON_FIRST; i++) {
		pg_print_text("  %-18s ", pg_stat_descs[i].name);
		pg_print_u64(pg_stat_descs[i].name, "%14llu", s->c[i]);
		pg_print_text("  %s\n", pg_stat_descs[i].help);
	}
	pg_print_close_object();
	pg_print_text("  %-18s ", "not_understood");
	pg_print_u64("not_understood_total", "%14llu", pg_stats_not_understood(s->c));
	pg_print_text("  %s\n", "packets passed untouched, by reason:");
	pg_print_open_object("not_understood");
	for (i = PG_STAT_REASON_FIRST; i <= PG_STAT_REASON_LAST; i++) {
		/* Text shows the reasons that happened; JSON has every key, for scripts. */
		if (!json && !s->c[i])
			continue;
		pg_print_text("    %-16s ", pg_stat_descs[i].name);
		pg_print_u64(pg_stat_descs[i].name, "%14llu", s->c[i]);
		pg_print_text("  %s\n", pg_stat_descs[i].help);
	}
	pg_print_close_object();
	pg_print_u64("flows", "  flows              %14llu\n", s->flows);
	pg_print_u64("sources", "  sources            %14llu\n", s->sources);
	pg_print_u64("evictions", "  evictions          %14llu\n", s->evictions);
	pg_print_end();
}

static int do_stats(const void *opts, const char *const *pos, int npos)
{
	const struct stats_opts *o = opts;
	char err[PG_ERRLEN];
	struct pg_stats_rec s;
	struct pg_target t;
	uint32_t n = 0;

	(void)pos;
	(void)npos;
	if (o->count.set && !o->watch.set)
		return pg_fail("--count only makes sense with --watch");
	if (pg_open_target(&o->target, &t))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		if (t.ops->stats(&t, &s, err, sizeof(err))) {
			t.ops->close(&t);
			return pg_fail(err);
		}
		if (o->watch.set && !o->json && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		stats_print(o->json, &t, &s);
		fflush(stdout);
		n++;
		if (!o->watch.set || stop || (o->count.set && n >= o->count.v))
			break;
		sleep(o->watch.v);
		if (stop)
			break;
	}
	t.ops->close(&t);
	return 0;
}

const struct pg_cmd pg_cmd_stats = {
	"stats",
	NULL,
	"",
	0,
	0,
	stats_opts,
	sizeof(struct stats_opts),
	do_stats,
	"counters: packets, SYNs, rewrites, rescued SYNs, packets not understood by reason",
};

/* ---- sources and suggest ---- */

static const char *const sort_names[] = {"recent", "rescued", NULL};
enum { SORT_RECENT, SORT_RESCUED };

struct sources_opts {
	bool json;
	struct pg_target_sel target;
	struct pg_u32 limit;
	struct pg_u32 sort;
};

static const struct pg_opt sources_opts[] = {
	PG_OPT_COMMON(struct sources_opts),
	PG_OPT_TARGET(struct sources_opts),
	PG_OPT_LIMIT(struct sources_opts),
	PG_OPTION(struct sources_opts, sort, "sort", PG_OPT_ENUM, "recent|rescued", 0, 0,
		  sort_names, "order (default recent)"),
	PG_OPT_END,
};

static int cmp_recent(const void *a, const void *b)
{
	const struct pg_src_rec *x = a, *y = b;

	return x->age_ms < y->age_ms ? -1 : x->age_ms > y->age_ms;
}

/* The most evidence first: several clocks on one 4-tuple, then backwards SYNs. */
static int cmp_rescued(const void *a, const void *b)
{
	const struct pg_src_rec *x = a, *y = b;

	if (x->s.tuple_back != y->s.tuple_back)
		return x->s.tuple_back > y->s.tuple_back ? -1 : 1;
	if (x->s.backwards != y->s.backwards)
		return x->s.backwards > y->s.backwards ? -1 : 1;
	return cmp_recent(a, b);
}

/*
 * What the evidence says a source is (docs/DESIGN.md, "Telling NATs from per-connection
 * clocks"). "nat": SYNs behind the last SYN on their own 4-tuple (several clocks on one
 * 4-tuple), or the IP TTLs of several operating systems (a heuristic): the TIME-WAIT rule
 * rejects its SYNs, and the per-peer rule too. "per-connection-clock": SYNs backwards only
 * across 4-tuples, one clock per connection (a 2026 Linux or FreeBSD client, or a NAT that
 * has not reused a 4-tuple yet): only the per-peer rule rejects them. "none": no evidence.
 */
enum { KIND_NONE, KIND_PER_CONN, KIND_NAT };
static const char *const kind_names[] = {"none", "per-connection-clock", "nat"};

static bool several_ttls(const struct pg_source *s)
{
	return s->ttls & (s->ttls - 1);
}

static int source_kind(const struct pg_source *s)
{
	if (s->tuple_back || several_ttls(s))
		return KIND_NAT;
	return s->backwards ? KIND_PER_CONN : KIND_NONE;
}

static int load_sources(const struct pg_target_sel *sel, struct pg_target *t, struct pg_src_rec **v,
			size_t *n)
{
	char err[PG_ERRLEN];

	if (pg_open_target(sel, t))
		return 1;
	if (t->ops->sources(t, v, n, err, sizeof(err))) {
		t->ops->close(t);
		return pg_fail(err);
	}
	return 0;
}

/*
 * How far the source's TSvals run ahead of the virtual clock: the margin for sources seen
 * first, more for client clocks faster than 1 kHz. max_fwd is unwrapped (types.h).
 */
static int64_t source_lead_ms(const struct pg_src_rec *r)
{
	return r->s.max_fwd ? (int64_t)(r->s.max_fwd - pg_realtime_ns() / 1000000) : 0;
}

/* One source's fields: a row of `sources`, an object of `suggest --json`. */
static void source_print(const struct pg_src_rec *r)
{
	char a[PG_ADDR_STRLEN];

	pg_addr_format(&r->addr, a, sizeof(a));
	pg_print_str("addr", "%-40s ", a);
	pg_print_str("kind", "%-20s ", kind_names[source_kind(&r->s)]);
	pg_print_str("action", "%-8s ", pg_action_name(r->s.action));
	pg_print_u64("syns", "%8llu ", r->s.syns);
	pg_print_u64("backwards", "%9llu ", r->s.backwards);
	pg_print_u64("tuple_back", "%10llu ", r->s.tuple_back);
	/* The initial-TTL classes seen (types.h): 1 = 64, 2 = 128, 4 = 255, summed. */
	pg_print_u64("ttls", "%4llu ", r->s.ttls);
	pg_print_u64("flows", "%6llu ", r->s.flows);
	/* The TSval on the wire (low 32 bits of the unwrapped position), as in telemetry. */
	pg_print_u64("max_fwd", "%10llu ", (uint32_t)r->s.max_fwd);
	pg_print_s64("lead_ms", "%9lld ", source_lead_ms(r));
	pg_print_u64("raw_max", "%10llu ", r->s.raw_max);
	pg_print_u64("age_ms", "%9llu\n", r->age_ms);
}

static int do_sources(const void *opts, const char *const *pos, int npos)
{
	const struct sources_opts *o = opts;
	struct pg_src_rec *v = NULL;
	size_t n = 0, i, shown;
	struct pg_target t;

	(void)pos;
	(void)npos;
	if (load_sources(&o->target, &t, &v, &n))
		return 1;
	qsort(v, n, sizeof(*v), o->sort.v == SORT_RESCUED ? cmp_rescued : cmp_recent);
	shown = n < limit_of(&o->limit) ? n : limit_of(&o->limit);
	pg_print_begin(o->json, true);
	pg_print_text("%-40s %-20s %-8s %8s %9s %10s %4s %6s %10s %9s %10s %9s\n", "SOURCE", "KIND",
		      "ACTION", "SYNS", "BACKWARDS", "TUPLE_BACK", "TTLS", "FLOWS", "MAX_FWD",
		      "LEAD_MS", "RAW_MAX", "AGE_MS");
	for (i = 0; i < shown; i++) {
		pg_print_open_object(NULL);
		source_print(&v[i]);
		pg_print_close_object();
	}
	pg_print_end();
	pg_print_limited(shown, n, "sources");
	free(v);
	t.ops->close(&t);
	return 0;
}

const struct pg_cmd pg_cmd_sources = {
	"sources",
	NULL,
	"",
	0,
	0,
	sources_opts,
	sizeof(struct sources_opts),
	do_sources,
	"per-source state: SYNs, backwards TSvals (across 4-tuples, on one), largest TSval "
	"forwarded",
};

/*
 * suggest --rule: the server rule to suggest pools for, and so the evidence that counts.
 * timewait (every kernel): several clocks on one 4-tuple, a NAT. per-peer (tcp_tw_recycle
 * before Linux 4.12, appliances that want monotonic TSvals per address): any SYN behind an
 * earlier one of the address, per-connection clocks included. any: either.
 */
static const char *const rule_names[] = {"timewait", "per-peer", "any", NULL};
enum { RULE_TIMEWAIT, RULE_PER_PEER, RULE_ANY };

struct suggest_opts {
	bool json;
	struct pg_target_sel target;
	struct pg_u32 limit;
	struct pg_u32 rule;
};

static const struct pg_opt suggest_opts[] = {
	PG_OPT_COMMON(struct suggest_opts),
	PG_OPT_TARGET(struct suggest_opts),
	PG_OPT_LIMIT(struct suggest_opts),
	PG_OPTION(struct suggest_opts, rule, "rule", PG_OPT_ENUM, "timewait|per-peer|any", 0, 0,
		  rule_names,
		  "the servers' rule: timewait (every kernel, the default) lists NATs; per-peer "
		  "(tcp_tw_recycle) and any list per-connection clocks too"),
	PG_OPT_END,
};

static bool rule_wants(uint32_t rule, const struct pg_source *s)
{
	bool nat = source_kind(s) == KIND_NAT;

	if (rule == RULE_TIMEWAIT)
		return nat;
	if (rule == RULE_PER_PEER)
		return s->backwards;
	return nat || s->backwards;
}

/* What the evidence means, and which server rule it endangers. */
static void suggest_explain(const char *a, const struct pg_source *s)
{
	if (s->tuple_back)
		pg_print_text(
			"# %s: nat: %u of %u SYNs reused a recent 4-tuple of the address with "
			"an older TSval\n#   (several clocks on one 4-tuple: a NAT); both the "
			"TIME-WAIT check (every kernel)\n#   and the per-peer check reject them\n",
			a, s->tuple_back, s->syns);
	else if (several_ttls(s))
		pg_print_text(
			"# %s: nat: its SYNs carry the IP TTLs of several operating systems "
			"(a heuristic)\n#   (several hosts behind one address); the TIME-WAIT "
			"check rejects their SYNs on reused 4-tuples\n",
			a);
	else
		pg_print_text("# %s: per-connection-clock: %u of %u SYNs went backwards, across "
			      "4-tuples only\n#   (a clock per connection: a 2026 Linux or FreeBSD "
			      "client, or a NAT); only servers\n#   with the per-peer check "
			      "(tcp_tw_recycle before Linux 4.12) reject them\n",
			      a, s->backwards, s->syns);
}

static int do_suggest(const void *opts, const char *const *pos, int npos)
{
	const struct suggest_opts *o = opts;
	char a[PG_ADDR_STRLEN], tgt[96], cmd[256];
	struct pg_src_rec *v = NULL;
	size_t n = 0, i, k = 0, found = 0, other = 0;
	struct pg_target t;

	(void)pos;
	(void)npos;
	if (load_sources(&o->target, &t, &v, &n))
		return 1;
	qsort(v, n, sizeof(*v), cmp_rescued);
	snprintf(tgt, sizeof(tgt), "--%s %s", strcmp(t.ops->kind, "xdp") ? "dpdk" : "iface",
		 t.name);
	pg_print_begin(o->json, true);
	for (i = 0; i < n; i++) {
		if (v[i].s.action != PG_ACT_NONE)
			continue;
		if (!rule_wants(o->rule.v, &v[i].s)) {
			other += rule_wants(RULE_ANY, &v[i].s);
			continue;
		}
		if (found++ >= limit_of(&o->limit))
			continue;
		k++;
		pg_addr_format(&v[i].addr, a, sizeof(a));
		snprintf(cmd, sizeof(cmd), "%s pool add %s/%s %s", pg_prog, a,
			 strchr(a, ':') ? "128" : "32", tgt);
		suggest_explain(a, &v[i].s);
		pg_print_open_object(NULL);
		if (o->json)
			source_print(&v[i]);
		pg_print_str("command", "%s\n", cmd);
		pg_print_close_object();
	}
	if (!found)
		pg_print_text("# no source outside the pools shows evidence against the %s rule\n",
			      rule_names[o->rule.v]);
	/* Per-connection clocks are every 2026 client: worth a pool only for per-peer servers. */
	if (other && o->rule.v == RULE_TIMEWAIT)
		pg_print_text(
			"# %zu more with per-connection clocks only, harmless to the TIME-WAIT "
			"check;\n#   `%s suggest --rule per-peer` lists them for servers with "
			"the per-peer check\n",
			other, pg_prog);
	pg_print_end();
	pg_print_limited(k, found, "suspects");
	free(v);
	t.ops->close(&t);
	return 0;
}

const struct pg_cmd pg_cmd_suggest = {
	"suggest",
	NULL,
	"",
	0,
	0,
	suggest_opts,
	sizeof(struct suggest_opts),
	do_suggest,
	"find NATs: sources outside every pool whose SYN TSvals show several clocks",
};

/* ---- flows ---- */

struct flows_opts {
	bool json;
	struct pg_target_sel target;
	struct pg_u32 limit;
};

static const struct pg_opt flows_opts[] = {
	PG_OPT_COMMON(struct flows_opts),
	PG_OPT_TARGET(struct flows_opts),
	PG_OPT_LIMIT(struct flows_opts),
	PG_OPT_END,
};

static int cmp_flow_recent(const void *a, const void *b)
{
	const struct pg_flow_rec *x = a, *y = b;

	return x->age_ms < y->age_ms ? -1 : x->age_ms > y->age_ms;
}

static void flow_print(const struct pg_flow_rec *r)
{
	char a[PG_ADDR_STRLEN], ep[PG_ENDPOINT_STRLEN];

	/* Text joins address and port in one column; JSON keeps them apart. */
	pg_addr_format(&r->k.client, a, sizeof(a));
	pg_print_str("client", NULL, a);
	pg_print_u64("cport", NULL, ntohs(r->k.cport));
	pg_endpoint_format(&r->k.client, r->k.cport, ep, sizeof(ep));
	pg_print_text("%-46s ", ep);
	pg_addr_format(&r->k.server, a, sizeof(a));
	pg_print_str("server", NULL, a);
	pg_print_u64("sport", NULL, ntohs(r->k.sport));
	pg_endpoint_format(&r->k.server, r->k.sport, ep, sizeof(ep));
	pg_print_text("%-46s ", ep);
	pg_print_u64("offset", "%10llu ", r->f.offset);
	pg_print_str("state", "%-11s ", pg_flow_state_name(r->f.state));
	pg_print_u64("age_ms", "%9llu\n", r->age_ms);
}

static int do_flows(const void *opts, const char *const *pos, int npos)
{
	const struct flows_opts *o = opts;
	struct pg_flow_rec *v = NULL;
	size_t n = 0, i, shown;
	char err[PG_ERRLEN];
	struct pg_target t;

	(void)pos;
	(void)npos;
	if (pg_open_target(&o->target, &t))
		return 1;
	if (t.ops->flows(&t, &v, &n, err, sizeof(err))) {
		t.ops->close(&t);
		return pg_fail(err);
	}
	qsort(v, n, sizeof(*v), cmp_flow_recent);
	shown = n < limit_of(&o->limit) ? n : limit_of(&o->limit);
	pg_print_begin(o->json, true);
	pg_print_text("%-46s %-46s %10s %-11s %9s\n", "CLIENT", "SERVER", "OFFSET", "STATE",
		      "AGE_MS");
	for (i = 0; i < shown; i++) {
		pg_print_open_object(NULL);
		flow_print(&v[i]);
		pg_print_close_object();
	}
	pg_print_end();
	pg_print_limited(shown, n, "flows");
	free(v);
	t.ops->close(&t);
	return 0;
}

const struct pg_cmd pg_cmd_flows = {
	"flows",
	NULL,
	"",
	0,
	0,
	flows_opts,
	sizeof(struct flows_opts),
	do_flows,
	"translated flows and their fixed offsets",
};
