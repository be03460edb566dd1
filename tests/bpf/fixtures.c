// SPDX-License-Identifier: BSD-3-Clause
/*
 * BPF_PROG_TEST_RUN fixtures of the real XDP ingress and TC egress programs.
 *
 * Loads the object the build produced (through its skeleton; nothing is attached), then
 * for each fixture of the file written by gen_fixtures.py: resets every map, applies the
 * fixture's pools, sources and flows, runs the program once on the input frame and checks
 * the verdict, the exact output bytes, every counter of pg_stats (summed over CPUs; a
 * counter the fixture does not name must stay 0) and the map entries it names.
 *
 * Usage: bpf-fixtures FIXTURES [NAME...]   (only the named fixtures when names are given)
 * Exit: 0 all passed, 1 a failure, 77 skipped (not root, or no permission to load BPF).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "pawsguard/stats.h"
#include "pawsguard/types.h"
#include "pgutil.h"
#include "pawsguard.skel.h"

#define FX_SKIP	       77
#define FX_PKT_MAX     1024
#define FX_ITEMS_MAX   8
#define FX_SET_MAX     12
#define FX_ERR_MAX     4096
#define FX_IPPROTO_TCP 6
/* Map sizes for the test: small, so that the preallocated LRU maps load quickly. */
#define FX_MAP_ENTRIES 1024
/* "now" in an expectation: the program's clock and ours differ by far less than this. */
#define FX_NOW_SLACK_NS PG_SEC_NS
/* Fixtures carry max_fwd values 2^30 ms ahead of their generation: usable for 2^29 ms. */
#define FX_VCLOCK_MAX_AGE (1LL << 29)

enum fx_val_kind {
	FX_NUM, /* a number */
	FX_NOW, /* the reset time plus num ns; in an expectation "now" alone is approximate */
	FX_TSV, /* a wild fixture's TSval', unwrapped on the run's vclock, plus num */
};

struct fx_val {
	enum fx_val_kind kind;
	bool approx;
	int64_t num;
};

struct fx_field {
	const char *name;
	size_t off;
	size_t size;
};

#define FX_SIZE(type, member) sizeof(((type *)0)->member)
#define FX_CLASS_OFF	      ((size_t)-1)

static const struct fx_field fx_source_fields[] = {
	{"last", offsetof(struct pg_source, last_ns), FX_SIZE(struct pg_source, last_ns)},
	{"raw", offsetof(struct pg_source, raw_ns), FX_SIZE(struct pg_source, raw_ns)},
	{"max_fwd", offsetof(struct pg_source, max_fwd), FX_SIZE(struct pg_source, max_fwd)},
	{"raw_max", offsetof(struct pg_source, raw_max), FX_SIZE(struct pg_source, raw_max)},
	{"syns", offsetof(struct pg_source, syns), FX_SIZE(struct pg_source, syns)},
	{"backwards", offsetof(struct pg_source, backwards), FX_SIZE(struct pg_source, backwards)},
	{"tuple_back", offsetof(struct pg_source, tuple_back),
	 FX_SIZE(struct pg_source, tuple_back)},
	{"ttls", offsetof(struct pg_source, ttls), FX_SIZE(struct pg_source, ttls)},
	{"recent0", offsetof(struct pg_source, recent[0]), FX_SIZE(struct pg_source, recent[0])},
	{"recent1", offsetof(struct pg_source, recent[1]), FX_SIZE(struct pg_source, recent[1])},
	{"recent2", offsetof(struct pg_source, recent[2]), FX_SIZE(struct pg_source, recent[2])},
	{"recent3", offsetof(struct pg_source, recent[3]), FX_SIZE(struct pg_source, recent[3])},
	{"action", offsetof(struct pg_source, action), FX_SIZE(struct pg_source, action)},
	{"flows", offsetof(struct pg_source, flows), FX_SIZE(struct pg_source, flows)},
	{"flags", offsetof(struct pg_source, flags), FX_SIZE(struct pg_source, flags)},
};

static const struct fx_field fx_flow_fields[] = {
	{"last", offsetof(struct pg_flow, last_ns), FX_SIZE(struct pg_flow, last_ns)},
	{"offset", offsetof(struct pg_flow, offset), FX_SIZE(struct pg_flow, offset)},
	{"syn_seq", offsetof(struct pg_flow, syn_seq), FX_SIZE(struct pg_flow, syn_seq)},
	{"fwd_pub", offsetof(struct pg_flow, fwd_pub), FX_SIZE(struct pg_flow, fwd_pub)},
	{"syn_raw", offsetof(struct pg_flow, syn_raw), FX_SIZE(struct pg_flow, syn_raw)},
	{"state", offsetof(struct pg_flow, state), FX_SIZE(struct pg_flow, state)},
	{"flags", offsetof(struct pg_flow, flags), FX_SIZE(struct pg_flow, flags)},
	/*
	 * Not a field: the eviction class, which map the entry is in (0: established,
	 * 1: unconfirmed). Set up: by default from the state (SYN and orphan unconfirmed).
	 */
	{"class", FX_CLASS_OFF, 1},
};

struct fx_set {
	const struct fx_field *field;
	struct fx_val val;
};

/* A source (addr) or flow (key) entry, to set up or to expect. */
struct fx_item {
	bool flow;
	struct pg_addr addr;
	struct pg_flow_key key;
	char text[160]; /* as written, for messages */
	int nset;
	struct fx_set set[FX_SET_MAX];
};

struct fx_pool {
	int family;
	uint32_t prefixlen;
	uint8_t addr[16];
	uint32_t action;
};

struct fx {
	char name[96];
	int line;
	bool is_tc;
	int npools, nitems, nexpect;
	struct fx_pool pools[FX_ITEMS_MAX];
	struct fx_item items[FX_ITEMS_MAX];
	struct fx_item expect[FX_ITEMS_MAX];
	uint8_t in[FX_PKT_MAX], out[FX_PKT_MAX];
	uint32_t in_len, out_len;
	long verdict;
	uint64_t stats[PG_STAT_MAX];
	long n_sources, n_flows;
	bool wild;
	uint32_t wild_l3, wild_tsval;
	int64_t wild_margin; /* ms from the clock; an orphan's TSval' is 2^30 behind it */
	char xfail[160];     /* a known bug: the fixture is expected to fail, for this reason */
};

struct fx_ctx {
	struct pawsguard_bpf *skel;
	/*
	 * Flows: IPv4 in flows4 with the compact key, IPv6 in flows6; [0] established, [1]
	 * unconfirmed (docs/DESIGN.md, "Eviction classes"). An object with one table for both
	 * families (full keys) has only flows6 set; one without classes only [0].
	 */
	struct bpf_map *flows4[2], *flows6[2];
	struct bpf_map *clock; /* the programs' cached clock, when the object has one */
	int ncpus;
	uint64_t vclock_gen;
	/*
	 * Per fixture: the reset time, the vclock window of the run (64-bit, as pg_vclock()),
	 * a wild fixture's TSval' unwrapped: the position in that window whose low 32 bits
	 * are on the wire.
	 */
	uint64_t base_ns;
	uint64_t v0, v1, tsv;
	char err[FX_ERR_MAX];
	size_t errlen;
};

static void fx_fail(struct fx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Collects the reasons a fixture failed; they are printed under its FAIL line. */
static void fx_fail(struct fx_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->errlen + 8 >= sizeof(c->err))
		return;
	n = snprintf(c->err + c->errlen, sizeof(c->err) - c->errlen, "    ");
	c->errlen += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(c->err + c->errlen, sizeof(c->err) - c->errlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->errlen += (size_t)n;
	if (c->errlen >= sizeof(c->err) - 1)
		c->errlen = sizeof(c->err) - 2;
	c->err[c->errlen++] = '\n';
	c->err[c->errlen] = 0;
}

/* The virtual clock of translate.h (unwrapped milliseconds), from our side. */
static uint64_t fx_vclock(void)
{
	return pg_realtime_ns() / 1000000;
}

/* --- parsing -------------------------------------------------------------------------- */

static int fx_hex(const char *s, uint8_t *buf, uint32_t *len)
{
	size_t n = strlen(s), i;
	unsigned int b;

	if (n % 2 || n / 2 > FX_PKT_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		buf[i] = (uint8_t)b;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

/* An address as pg_addr: IPv6, or IPv4 mapped as ::ffff:a.b.c.d (types.h). */
static int fx_addr(const char *s, struct pg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 6;
	if (inet_pton(AF_INET, s, &a->b[12]) == 1) {
		a->b[10] = 0xff;
		a->b[11] = 0xff;
		return 4;
	}
	return -1;
}

static int fx_value(const char *s, struct fx_val *v)
{
	char *end;

	memset(v, 0, sizeof(*v));
	if (!strncmp(s, "now", 3)) {
		v->kind = FX_NOW;
		s += 3;
		if (!*s) {
			v->approx = true;
			return 0;
		}
		if (*s != '-')
			return -1;
		v->num = -(int64_t)strtoull(s + 1, &end, 0) * (int64_t)PG_SEC_NS;
		return *end ? -1 : 0;
	}
	if (!strncmp(s, "tsv", 3)) {
		v->kind = FX_TSV;
		s += 3;
		if (!*s)
			return 0;
		if (*s != '-')
			return -1;
		v->num = -(int64_t)strtoull(s + 1, &end, 0);
		return *end ? -1 : 0;
	}
	v->kind = FX_NUM;
	errno = 0;
	v->num = (int64_t)strtoull(s, &end, 0);
	return *end || errno ? -1 : 0;
}

/* "addr f=v ..." or "client cport server sport f=v ...", tokens from strtok_r. */
static int fx_item_parse(struct fx_item *it, bool flow, char *rest)
{
	const struct fx_field *fields = flow ? fx_flow_fields : fx_source_fields;
	size_t nfields = flow ? PG_ARRAY_SIZE(fx_flow_fields) : PG_ARRAY_SIZE(fx_source_fields);
	char *save = NULL, *tok, *eq;
	size_t i;

	memset(it, 0, sizeof(*it));
	it->flow = flow;
	snprintf(it->text, sizeof(it->text), "%s", rest);
	tok = strtok_r(rest, " ", &save);
	if (!tok)
		return -1;
	if (!flow) {
		if (fx_addr(tok, &it->addr) < 0)
			return -1;
	} else {
		char *cport = strtok_r(NULL, " ", &save);
		char *server = strtok_r(NULL, " ", &save);
		char *sport = strtok_r(NULL, " ", &save);

		if (!cport || !server || !sport || fx_addr(tok, &it->key.client) < 0 ||
		    fx_addr(server, &it->key.server) < 0)
			return -1;
		/* Ports stay in network order in the key. */
		it->key.cport = htons((uint16_t)strtoul(cport, NULL, 0));
		it->key.sport = htons((uint16_t)strtoul(sport, NULL, 0));
		/* Only the first part of the text is the key; fields follow. */
		snprintf(it->text, sizeof(it->text), "%s:%s -> %s:%s", tok, cport, server, sport);
	}
	if (!flow)
		snprintf(it->text, sizeof(it->text), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		eq = strchr(tok, '=');
		if (!eq || it->nset == FX_SET_MAX)
			return -1;
		*eq = 0;
		for (i = 0; i < nfields; i++)
			if (!strcmp(fields[i].name, tok))
				break;
		if (i == nfields || fx_value(eq + 1, &it->set[it->nset].val))
			return -1;
		it->set[it->nset++].field = &fields[i];
	}
	return 0;
}

static int fx_pool_parse(struct fx_pool *p, char *rest)
{
	char *slash, *act;
	struct pg_addr a;

	act = strchr(rest, ' ');
	slash = strchr(rest, '/');
	if (!act || !slash || slash > act)
		return -1;
	*act++ = 0;
	*slash++ = 0;
	p->family = fx_addr(rest, &a);
	p->prefixlen = (uint32_t)strtoul(slash, NULL, 10);
	if (p->family == 4)
		memcpy(p->addr, &a.b[12], 4);
	else
		memcpy(p->addr, a.b, 16);
	if (!strcmp(act, "rewrite"))
		p->action = PG_ACT_REWRITE;
	else if (!strcmp(act, "strip"))
		p->action = PG_ACT_STRIP;
	else if (!strcmp(act, "none"))
		p->action = PG_ACT_NONE;
	else
		return -1;
	return p->family < 0 || p->prefixlen > (p->family == 4 ? 32U : 128U) ? -1 : 0;
}

static int fx_stat_id(const char *name)
{
	int i;

	for (i = 0; i < PG_STAT_MAX; i++)
		if (!strcmp(pg_stat_descs[i].name, name))
			return i;
	return -1;
}

/*
 * Read lines up to "end" into fx. Returns 1 with a fixture, 0 at the end of the file,
 * -1 on a syntax error (message printed).
 */
static int fx_read(FILE *f, int *lineno, struct fx *fx, struct fx_ctx *c)
{
	char line[2 * FX_PKT_MAX + 256], *rest, *nl;
	bool started = false, have_in = false, have_out = false, have_prog = false;
	unsigned long long n;
	int id;

	memset(fx, 0, sizeof(*fx));
	fx->n_sources = fx->n_flows = -1;
	fx->verdict = LONG_MIN;
	while (fgets(line, sizeof(line), f)) {
		(*lineno)++;
		nl = strchr(line, '\n');
		if (!nl) {
			fprintf(stderr, "line %d: too long\n", *lineno);
			return -1;
		}
		*nl = 0;
		if (!line[0] || line[0] == '#')
			continue;
		rest = strchr(line, ' ');
		if (rest)
			*rest++ = 0;
		else
			rest = line + strlen(line);
		if (!strcmp(line, "vclock")) {
			c->vclock_gen = strtoull(rest, NULL, 0);
			continue;
		}
		if (!strcmp(line, "fixture")) {
			if (started)
				goto bad;
			started = true;
			snprintf(fx->name, sizeof(fx->name), "%s", rest);
			fx->line = *lineno;
			continue;
		}
		if (!started)
			goto bad;
		if (!strcmp(line, "end")) {
			if (!have_prog || !have_in || !have_out || fx->verdict == LONG_MIN)
				goto bad;
			return 1;
		} else if (!strcmp(line, "prog")) {
			if (strcmp(rest, "xdp") && strcmp(rest, "tc"))
				goto bad;
			fx->is_tc = !strcmp(rest, "tc");
			have_prog = true;
		} else if (!strcmp(line, "pool")) {
			if (fx->npools == FX_ITEMS_MAX ||
			    fx_pool_parse(&fx->pools[fx->npools++], rest))
				goto bad;
		} else if (!strcmp(line, "source") || !strcmp(line, "flow")) {
			if (fx->nitems == FX_ITEMS_MAX ||
			    fx_item_parse(&fx->items[fx->nitems++], line[0] == 'f', rest))
				goto bad;
		} else if (!strcmp(line, "expect_source") || !strcmp(line, "expect_flow")) {
			if (fx->nexpect == FX_ITEMS_MAX ||
			    fx_item_parse(&fx->expect[fx->nexpect++], line[7] == 'f', rest))
				goto bad;
		} else if (!strcmp(line, "in")) {
			if (fx_hex(rest, fx->in, &fx->in_len))
				goto bad;
			have_in = true;
		} else if (!strcmp(line, "out")) {
			if (fx_hex(rest, fx->out, &fx->out_len))
				goto bad;
			have_out = true;
		} else if (!strcmp(line, "verdict")) {
			fx->verdict = strtol(rest, NULL, 0);
		} else if (!strcmp(line, "wild")) {
			if (sscanf(rest, "%" SCNu32 " %" SCNu32 " %" SCNd64, &fx->wild_l3,
				   &fx->wild_tsval, &fx->wild_margin) != 3)
				goto bad;
			fx->wild = true;
		} else if (!strcmp(line, "stat")) {
			char name[64];

			if (sscanf(rest, "%63s %llu", name, &n) != 2)
				goto bad;
			id = fx_stat_id(name);
			if (id < 0)
				goto bad;
			fx->stats[id] = n;
		} else if (!strcmp(line, "xfail")) {
			snprintf(fx->xfail, sizeof(fx->xfail), "%s", rest);
		} else if (!strcmp(line, "sources")) {
			fx->n_sources = strtol(rest, NULL, 0);
		} else if (!strcmp(line, "flows")) {
			fx->n_flows = strtol(rest, NULL, 0);
		} else {
			goto bad;
		}
	}
	if (!started)
		return 0;
bad:
	fprintf(stderr, "fixtures line %d: cannot parse \"%s\"\n", *lineno, line);
	return -1;
}

/* --- maps ----------------------------------------------------------------------------- */

/* Delete every entry; always from the first key, as deleting breaks an iteration. */
static int fx_map_clear(int fd)
{
	uint8_t key[64];
	int i, err;

	for (i = 0; i < FX_MAP_ENTRIES * 4; i++) {
		err = bpf_map_get_next_key(fd, NULL, key);
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		err = bpf_map_delete_elem(fd, key);
		if (err)
			return err;
	}
	return -E2BIG;
}

static long fx_map_count(int fd)
{
	uint8_t key[64], next[64];
	long n = 0;
	int err;

	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err && n < FX_MAP_ENTRIES * 4) {
		n++;
		memcpy(key, next, sizeof(key));
		err = bpf_map_get_next_key(fd, key, next);
	}
	return err == -ENOENT ? n : -1;
}

static int fx_stats_read(struct fx_ctx *c, uint64_t *sum)
{
	struct pg_stats *v;
	uint32_t zero = 0;
	int cpu, i, err;

	v = calloc((size_t)c->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.pg_stats), &zero, v);
	if (!err) {
		memset(sum, 0, sizeof(uint64_t) * PG_STAT_MAX);
		for (cpu = 0; cpu < c->ncpus; cpu++)
			for (i = 0; i < PG_STAT_MAX; i++)
				sum[i] += v[cpu].c[i];
	}
	free(v);
	return err;
}

static int fx_stats_zero(struct fx_ctx *c)
{
	struct pg_stats *v;
	uint32_t zero = 0;
	int err;

	/* sizeof(struct pg_stats) is a multiple of 8: no per-CPU padding to add. */
	v = calloc((size_t)c->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_update_elem(bpf_map__fd(c->skel->maps.pg_stats), &zero, v, BPF_ANY);
	free(v);
	return err;
}

static uint64_t fx_resolve(const struct fx_ctx *c, const struct fx_val *v)
{
	if (v->kind == FX_NOW)
		return c->base_ns + (uint64_t)v->num;
	if (v->kind == FX_TSV)
		return c->tsv + (uint64_t)v->num;
	return (uint64_t)v->num;
}

static void fx_field_put(void *obj, const struct fx_field *f, uint64_t v)
{
	uint8_t *p = (uint8_t *)obj + f->off;
	uint32_t v32 = (uint32_t)v;
	uint8_t v8 = (uint8_t)v;

	if (f->size == 8)
		memcpy(p, &v, 8);
	else if (f->size == 4)
		memcpy(p, &v32, 4);
	else
		memcpy(p, &v8, 1);
}

static uint64_t fx_field_get(const void *obj, const struct fx_field *f)
{
	const uint8_t *p = (const uint8_t *)obj + f->off;
	uint64_t v = 0;
	uint32_t v32;

	if (f->size == 8) {
		memcpy(&v, p, 8);
	} else if (f->size == 4) {
		memcpy(&v32, p, 4);
		v = v32;
	} else {
		v = *p;
	}
	return v;
}

static bool fx_addr_is4(const struct pg_addr *a)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a->b, v4mapped, sizeof(v4mapped));
}

/*
 * The map and key of a flow: an IPv4 flow in flows4 with the compact key (both addresses
 * and ports in network order, as struct pg_flow_key4), anything else with the full key.
 */
static int fx_flow_map(const struct fx_ctx *c, const struct pg_flow_key *k, struct pg_flow_key4 *k4,
		       const void **key, int cls)
{
	if (!c->flows6[cls])
		cls = 0;
	if (c->flows4[cls] && fx_addr_is4(&k->client)) {
		memcpy(&k4->client, &k->client.b[12], 4);
		memcpy(&k4->server, &k->server.b[12], 4);
		k4->cport = k->cport;
		k4->sport = k->sport;
		*key = k4;
		return bpf_map__fd(c->flows4[cls]);
	}
	*key = k;
	return bpf_map__fd(c->flows6[cls]);
}

static int fx_clock_reset(struct fx_ctx *c)
{
	void *zero;
	uint32_t key = 0;
	int err;

	if (!c->clock)
		return 0;
	zero = calloc((size_t)c->ncpus, (bpf_map__value_size(c->clock) + 7) & ~7U);
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(bpf_map__fd(c->clock), &key, zero, BPF_ANY);
	free(zero);
	return err;
}

/* Empty every map, configure, then apply the fixture's pools, sources and flows. */
static int fx_setup(struct fx_ctx *c, const struct fx *fx)
{
	struct pawsguard_bpf *s = c->skel;
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	uint32_t zero = 0;
	int i, err;

	err = fx_map_clear(bpf_map__fd(s->maps.pg_pools4));
	if (!err)
		err = fx_map_clear(bpf_map__fd(s->maps.pg_pools6));
	if (!err)
		err = fx_map_clear(bpf_map__fd(s->maps.pg_sources));
	for (i = 0; i < 2; i++) {
		if (!err && c->flows4[i])
			err = fx_map_clear(bpf_map__fd(c->flows4[i]));
		if (!err && c->flows6[i])
			err = fx_map_clear(bpf_map__fd(c->flows6[i]));
	}
	/* The programs read the clock again, and so see the offset written below. */
	if (!err)
		err = fx_clock_reset(c);
	if (!err)
		err = fx_stats_zero(c);
	if (err) {
		fx_fail(c, "cannot reset the maps: %s", strerror(-err));
		return err;
	}
	/* The programs' clock: bpf_ktime_get_boot_ns() + realtime_off_ns, as the loader sets. */
	cfg.realtime_off_ns = pg_realtime_offset_ns();
	c->base_ns = pg_realtime_ns();
	err = bpf_map_update_elem(bpf_map__fd(s->maps.data_pg_config), &zero, &cfg, BPF_ANY);
	for (i = 0; !err && i < fx->npools; i++) {
		const struct fx_pool *p = &fx->pools[i];
		struct pg_pool_val v = {.action = p->action};

		if (p->family == 4) {
			struct pg_lpm4_key k = {.prefixlen = p->prefixlen};

			memcpy(k.addr, p->addr, 4);
			err = bpf_map_update_elem(bpf_map__fd(s->maps.pg_pools4), &k, &v,
						  BPF_NOEXIST);
		} else {
			struct pg_lpm6_key k = {.prefixlen = p->prefixlen};

			memcpy(k.addr, p->addr, 16);
			err = bpf_map_update_elem(bpf_map__fd(s->maps.pg_pools6), &k, &v,
						  BPF_NOEXIST);
		}
	}
	for (i = 0; !err && i < fx->nitems; i++) {
		const struct fx_item *it = &fx->items[i];
		struct pg_source src = {0};
		struct pg_flow flow = {0};
		struct pg_flow_key4 k4;
		const void *key;
		int j, fd, cls = -1;

		for (j = 0; j < it->nset; j++) {
			if (it->set[j].field->off == FX_CLASS_OFF) {
				cls = !!fx_resolve(c, &it->set[j].val);
				continue;
			}
			fx_field_put(it->flow ? (void *)&flow : (void *)&src, it->set[j].field,
				     fx_resolve(c, &it->set[j].val));
		}
		if (cls < 0)
			cls = flow.state == PG_FS_SYN || flow.state == PG_FS_ORPHAN;
		if (it->flow) {
			fd = fx_flow_map(c, &it->key, &k4, &key, cls);
			err = bpf_map_update_elem(fd, key, &flow, BPF_NOEXIST);
		} else {
			err = bpf_map_update_elem(bpf_map__fd(s->maps.pg_sources), &it->addr, &src,
						  BPF_NOEXIST);
		}
	}
	if (err)
		fx_fail(c, "cannot set up the maps: %s", strerror(-err));
	return err;
}

/* --- checks --------------------------------------------------------------------------- */

static void fx_hexdump(struct fx_ctx *c, const char *what, const uint8_t *p, uint32_t n)
{
	char buf[2 * FX_PKT_MAX + 1];
	uint32_t i;

	for (i = 0; i < n && i < FX_PKT_MAX; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * i] = 0;
	fx_fail(c, "%s %s", what, buf);
}

static uint32_t fx_sum16(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* Full TCP checksum over pseudo header and segment (IPv4 at l3): true when it verifies. */
static bool fx_tcp4_csum_ok(const uint8_t *pkt, uint32_t len, uint32_t l3)
{
	uint32_t ihl, tot, sum;

	if (l3 + 20 > len)
		return false;
	ihl = (pkt[l3] & 0x0fU) * 4;
	tot = (uint32_t)pkt[l3 + 2] << 8 | pkt[l3 + 3];
	if (l3 + tot > len || tot < ihl + 20)
		return false;
	sum = fx_sum16(pkt + l3 + 12, 8, 0) + FX_IPPROTO_TCP + (tot - ihl);
	sum = fx_sum16(pkt + l3 + ihl, tot - ihl, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* The same for IPv6 at l3, TCP right after the fixed header. */
static bool fx_tcp6_csum_ok(const uint8_t *pkt, uint32_t len, uint32_t l3)
{
	uint32_t plen, sum;

	if (l3 + 40 > len || pkt[l3 + 6] != FX_IPPROTO_TCP)
		return false;
	plen = (uint32_t)pkt[l3 + 4] << 8 | pkt[l3 + 5];
	if (l3 + 40 + plen > len || plen < 20)
		return false;
	sum = fx_sum16(pkt + l3 + 8, 32, 0) + FX_IPPROTO_TCP + plen;
	sum = fx_sum16(pkt + l3 + 40, plen, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static bool fx_tcp_csum_ok(const uint8_t *pkt, uint32_t len, uint32_t l3)
{
	return (pkt[l3] >> 4) == 6 ? fx_tcp6_csum_ok(pkt, len, l3) : fx_tcp4_csum_ok(pkt, len, l3);
}

/*
 * A wild fixture's TSval' comes from the clock: vclock + margin at the time of the run.
 * Check it against the window of the run (one ms of slack each side: our clock reading and
 * the program's are not the same instant), then compare everything else. The wire carries
 * the low 32 bits; the unwrapped value (what max_fwd and fwd_pub hold) is the position in
 * the window with those low bits.
 */
static void fx_check_wild(struct fx_ctx *c, const struct fx *fx, const uint8_t *out, uint32_t len,
			  bool *diff)
{
	uint32_t csum_off, t, i;
	uint64_t lo, hi, t64;

	if (fx->wild_tsval + 4 > len || fx->wild_l3 + 20 > len) {
		*diff = true;
		return;
	}
	csum_off = fx->wild_l3 +
		   ((out[fx->wild_l3] >> 4) == 6 ? 40 : (out[fx->wild_l3] & 0x0fU) * 4) + 16;
	for (i = 0; i < len; i++) {
		if (i >= fx->wild_tsval && i < fx->wild_tsval + 4)
			continue;
		if (i == csum_off || i == csum_off + 1)
			continue;
		if (out[i] != fx->out[i])
			*diff = true;
	}
	t = pg_get_be32(out + fx->wild_tsval);
	lo = c->v0 + (uint64_t)fx->wild_margin - 1;
	hi = c->v1 + (uint64_t)fx->wild_margin + 1;
	t64 = lo + (uint32_t)(t - (uint32_t)lo);
	c->tsv = t64;
	if (t64 > hi)
		fx_fail(c, "TSval' %" PRIu32 ": no vclock + margin in [%" PRIu64 ", %" PRIu64 "]",
			t, lo, hi);
	if (!t)
		fx_fail(c, "TSval' 0");
	if (!fx_tcp_csum_ok(out, len, fx->wild_l3))
		fx_fail(c, "TCP checksum of the output does not verify");
}

static void fx_check_bytes(struct fx_ctx *c, const struct fx *fx, const uint8_t *out, uint32_t len)
{
	bool diff = len != fx->out_len;
	uint32_t i;

	if (!diff && fx->wild)
		fx_check_wild(c, fx, out, len, &diff);
	else if (!diff)
		diff = memcmp(out, fx->out, len) != 0;
	if (!diff)
		return;
	for (i = 0; i < len && i < fx->out_len; i++)
		if (out[i] != fx->out[i])
			break;
	fx_fail(c,
		"output differs (length %" PRIu32 ", expected %" PRIu32 ", first difference at "
		"byte %" PRIu32 ")",
		len, fx->out_len, i);
	fx_hexdump(c, "expected", fx->out, fx->out_len);
	fx_hexdump(c, "actual  ", out, len);
}

static void fx_check_stats(struct fx_ctx *c, const struct fx *fx)
{
	uint64_t got[PG_STAT_MAX];
	int i;

	if (fx_stats_read(c, got)) {
		fx_fail(c, "cannot read pg_stats");
		return;
	}
	for (i = 0; i < PG_STAT_MAX; i++)
		if (got[i] != fx->stats[i])
			fx_fail(c, "counter %s: expected %" PRIu64 ", got %" PRIu64,
				pg_stat_descs[i].name, fx->stats[i], got[i]);
}

static void fx_check_item(struct fx_ctx *c, const struct fx_item *it, uint64_t t_end)
{
	struct pawsguard_bpf *s = c->skel;
	struct pg_flow_key4 k4;
	struct pg_source src;
	struct pg_flow flow;
	const void *obj, *key;
	uint64_t got, want;
	int j, fd, err, cls = 0;

	if (it->flow) {
		/* Where the programs look: established first. */
		fd = fx_flow_map(c, &it->key, &k4, &key, 0);
		err = bpf_map_lookup_elem(fd, key, &flow);
		if (err && c->flows6[1]) {
			cls = 1;
			fd = fx_flow_map(c, &it->key, &k4, &key, 1);
			err = bpf_map_lookup_elem(fd, key, &flow);
		}
	} else {
		err = bpf_map_lookup_elem(bpf_map__fd(s->maps.pg_sources), &it->addr, &src);
	}
	if (err) {
		fx_fail(c, "%s %s: no entry", it->flow ? "flow" : "source", it->text);
		return;
	}
	obj = it->flow ? (const void *)&flow : (const void *)&src;
	for (j = 0; j < it->nset; j++) {
		const struct fx_set *st = &it->set[j];

		got = st->field->off == FX_CLASS_OFF ? (uint64_t)cls : fx_field_get(obj, st->field);
		want = fx_resolve(c, &st->val);
		if (st->val.approx) {
			/* "now": set during this run, by the program's clock. */
			if (got + FX_NOW_SLACK_NS < c->base_ns || got > t_end + FX_NOW_SLACK_NS)
				fx_fail(c, "%s %s: %s = %" PRIu64 " is not now (%" PRIu64 ")",
					it->flow ? "flow" : "source", it->text, st->field->name,
					got, c->base_ns);
			continue;
		}
		if (st->field->size == 4)
			want = (uint32_t)want;
		else if (st->field->size == 1)
			want = (uint8_t)want;
		if (got != want)
			fx_fail(c, "%s %s: %s expected %#" PRIx64 ", got %#" PRIx64,
				it->flow ? "flow" : "source", it->text, st->field->name, want, got);
	}
}

static void fx_check_maps(struct fx_ctx *c, const struct fx *fx, uint64_t t_end)
{
	long n;
	int i;

	if (fx->n_sources >= 0) {
		n = fx_map_count(bpf_map__fd(c->skel->maps.pg_sources));
		if (n != fx->n_sources)
			fx_fail(c, "pg_sources: expected %ld entries, got %ld", fx->n_sources, n);
	}
	if (fx->n_flows >= 0) {
		long m;

		n = 0;
		for (i = 0; i < 4 && n >= 0; i++) {
			struct bpf_map *map = i < 2 ? c->flows4[i] : c->flows6[i - 2];

			if (!map)
				continue;
			m = fx_map_count(bpf_map__fd(map));
			n = m < 0 ? m : n + m;
		}
		if (n != fx->n_flows)
			fx_fail(c, "pg_flows: expected %ld entries, got %ld", fx->n_flows, n);
	}
	for (i = 0; i < fx->nexpect; i++)
		fx_check_item(c, &fx->expect[i], t_end);
}

/* Returns true when the fixture passed. */
static bool fx_run(struct fx_ctx *c, const struct fx *fx)
{
	struct bpf_program *prog =
		fx->is_tc ? c->skel->progs.pg_tc_egress : c->skel->progs.pg_xdp_ingress;
	uint8_t out[FX_PKT_MAX + 256];
	uint64_t t_end;
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = fx->in, .data_size_in = fx->in_len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	c->errlen = 0;
	c->err[0] = 0;
	c->tsv = 0;
	if (fx_setup(c, fx))
		return false;
	c->v0 = fx_vclock();
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	c->v1 = fx_vclock();
	t_end = pg_realtime_ns();
	if (err) {
		fx_fail(c, "BPF_PROG_TEST_RUN: %s", strerror(-err));
		return false;
	}
	/* retval is the program's int: TC_ACT_UNSPEC is -1. */
	if ((long)(int32_t)opts.retval != fx->verdict)
		fx_fail(c, "verdict: expected %ld, got %" PRId32, fx->verdict,
			(int32_t)opts.retval);
	fx_check_bytes(c, fx, out, opts.data_size_out);
	fx_check_stats(c, fx);
	fx_check_maps(c, fx, t_end);
	return c->errlen == 0;
}

static int fx_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Warnings carry the verifier log when a load fails; the rest is noise. */
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool fx_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc <= 2)
		return true;
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static struct fx fx; /* large: off the stack */
	struct fx_ctx *c;
	int passed = 0, failed = 0, xfailed = 0, lineno = 0, rc, i;
	int64_t age;
	bool ok;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURES [NAME...]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN needs root\n");
		return FX_SKIP;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	libbpf_set_print(fx_libbpf_print);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		fprintf(stderr, "cannot count the possible CPUs\n");
		return 1;
	}
	c->skel = pawsguard_bpf__open();
	if (!c->skel) {
		fprintf(stderr, "cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	/* By name, so that the runner follows the object's layout of flow tables. */
	c->flows4[0] = bpf_object__find_map_by_name(c->skel->obj, "pg_flows4");
	c->flows6[0] = bpf_object__find_map_by_name(c->skel->obj, "pg_flows6");
	c->flows4[1] = bpf_object__find_map_by_name(c->skel->obj, "pg_uflows4");
	c->flows6[1] = bpf_object__find_map_by_name(c->skel->obj, "pg_uflows6");
	if (!c->flows6[0]) {
		c->flows4[0] = c->flows4[1] = c->flows6[1] = NULL;
		c->flows6[0] = bpf_object__find_map_by_name(c->skel->obj, "pg_flows");
	}
	c->clock = bpf_object__find_map_by_name(c->skel->obj, "pg_clock");
	if (!c->flows6[0]) {
		fprintf(stderr, "FAIL: no flow table in the BPF object\n");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (c->flows4[i])
			bpf_map__set_max_entries(c->flows4[i], FX_MAP_ENTRIES);
		if (c->flows6[i])
			bpf_map__set_max_entries(c->flows6[i], FX_MAP_ENTRIES);
	}
	bpf_map__set_max_entries(c->skel->maps.pg_sources, FX_MAP_ENTRIES);
	rc = pawsguard_bpf__load(c->skel);
	if (rc == -EPERM || rc == -EACCES) {
		/* Root without CAP_BPF/CAP_SYS_ADMIN (a container): nothing to test here. */
		printf("SKIP: cannot load BPF programs: %s\n", strerror(-rc));
		pawsguard_bpf__destroy(c->skel);
		return FX_SKIP;
	}
	if (rc) {
		fprintf(stderr, "FAIL: cannot load the BPF object: %s\n", strerror(-rc));
		pawsguard_bpf__destroy(c->skel);
		return 1;
	}
	while ((rc = fx_read(f, &lineno, &fx, c)) == 1) {
		if (!fx_selected(argc, argv, fx.name))
			continue;
		/* Fixtures whose max_fwd is no longer ahead of the clock cannot pass. */
		age = (int64_t)(fx_vclock() - c->vclock_gen);
		if (age < -3600 * 1000 || age > FX_VCLOCK_MAX_AGE) {
			fprintf(stderr,
				"FAIL: fixtures generated at vclock %" PRIu64 ", now %" PRIu64
				": too old, rebuild them (meson test does)\n",
				c->vclock_gen, fx_vclock());
			rc = -1;
			break;
		}
		ok = fx_run(c, &fx);
		if (fx.xfail[0] && ok) {
			/* Fixed: the marker must go, or it would hide a regression. */
			printf("FAIL %s (line %d): passes, but is marked xfail\n", fx.name,
			       fx.line);
			failed++;
		} else if (fx.xfail[0]) {
			printf("xfail %s: %s\n%s", fx.name, fx.xfail, c->err);
			xfailed++;
		} else if (ok) {
			printf("ok   %s\n", fx.name);
			passed++;
		} else {
			printf("FAIL %s (line %d)\n%s", fx.name, fx.line, c->err);
			failed++;
		}
	}
	fclose(f);
	pawsguard_bpf__destroy(c->skel);
	free(c);
	if (rc < 0)
		failed++;
	if (xfailed)
		printf("%d expected failures (known bugs, marked xfail)\n", xfailed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
