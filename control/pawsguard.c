// SPDX-License-Identifier: BSD-3-Clause
/*
 * pawsguard: the ops CLI. One table of commands and one of typed options; usage is
 * generated from them, numbers are range-checked, every command speaks --json, and every
 * error is one line on stderr with a non-zero exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pawsguard/stats.h"
#include "pgconf.h"
#include "target.h"

#define PG_DEFAULT_CONFIG "/etc/pawsguard/pawsguard.conf"

enum opt_type { T_FLAG, T_STR, T_OPTSTR, T_U32, T_ACTION, T_SORT };

enum opt_id {
	O_HELP,
	O_JSON,
	O_IFACE,
	O_DPDK,
	O_SKB,
	O_CONFIG,
	O_MAXFLOWS,
	O_MAXSOURCES,
	O_ACTION,
	O_LIMIT,
	O_SORT,
	O_WATCH,
	O_COUNT,
	O_NR
};

struct opt_def {
	const char *name;
	enum opt_type type;
	const char *metavar;
	uint32_t min, max;
	const char *help;
};

static const struct opt_def opt_defs[O_NR] = {
	[O_HELP] = {"help", T_FLAG, NULL, 0, 0, "show help for this command"},
	[O_JSON] = {"json", T_FLAG, NULL, 0, 0, "print JSON"},
	[O_IFACE] = {"iface", T_STR, "IFACE", 0, 0, "the XDP target: pawsguard attached to IFACE"},
	[O_DPDK] = {"dpdk", T_OPTSTR, "PREFIX", 0, 0,
		    "the DPDK appliance with EAL --file-prefix PREFIX (default rte)"},
	[O_SKB] = {"skb", T_FLAG, NULL, 0, 0, "attach XDP in generic (skb) mode"},
	[O_CONFIG] = {"config", T_STR, "FILE", 0, 0, "read pools and limits from FILE"},
	[O_MAXFLOWS] = {"max-flows", T_U32, "N", PG_TABLE_MIN, PG_TABLE_MAX, "flow table size"},
	[O_MAXSOURCES] = {"max-sources", T_U32, "N", PG_TABLE_MIN, PG_TABLE_MAX,
			  "source table size"},
	[O_ACTION] = {"action", T_ACTION, "rewrite|strip", 0, 0, "what to do (default rewrite)"},
	[O_LIMIT] = {"limit", T_U32, "N", 1, 1000000, "show at most N entries (default 20)"},
	[O_SORT] = {"sort", T_SORT, "recent|rescued", 0, 0, "order (default recent)"},
	[O_WATCH] = {"watch", T_U32, "SECONDS", 1, 3600, "refresh every SECONDS until interrupted"},
	[O_COUNT] = {"count", T_U32, "N", 1, 1000000, "with --watch: stop after N refreshes"},
};

struct ctx;

struct cmd_def {
	const char *verb;
	const char *sub;
	const char *args; /* positional synopsis */
	int pos_min, pos_max;
	uint32_t opts; /* bit per enum opt_id */
	int (*run)(struct ctx *c);
	const char *help;
};

struct ctx {
	const struct cmd_def *cmd;
	const char *pos[4];
	int npos;
	bool set[O_NR];
	const char *str[O_NR];
	uint32_t num[O_NR];
	char err[PG_ERRLEN];
};

#define B(o)   (1U << (o))
#define TARGET (B(O_IFACE) | B(O_DPDK))
#define COMMON (B(O_HELP) | B(O_JSON))

static int cmd_attach(struct ctx *c);
static int cmd_detach(struct ctx *c);
static int cmd_pool_add(struct ctx *c);
static int cmd_pool_del(struct ctx *c);
static int cmd_pool_list(struct ctx *c);
static int cmd_pool_flush(struct ctx *c);
static int cmd_pool_save(struct ctx *c);
static int cmd_stats(struct ctx *c);
static int cmd_sources(struct ctx *c);
static int cmd_flows(struct ctx *c);
static int cmd_suggest(struct ctx *c);

static const struct cmd_def cmds[] = {
	{"attach", NULL, "IFACE", 1, 1,
	 COMMON | B(O_SKB) | B(O_CONFIG) | B(O_MAXFLOWS) | B(O_MAXSOURCES), cmd_attach,
	 "load the XDP ingress and TC egress programs on IFACE, pin maps under " PG_PIN_ROOT
	 "/IFACE"},
	{"detach", NULL, "IFACE", 1, 1, COMMON, cmd_detach,
	 "remove both programs from IFACE and the pinned maps"},
	{"pool", "add", "CIDR", 1, 1, COMMON | TARGET | B(O_ACTION), cmd_pool_add,
	 "add (or change) a NAT pool; takes effect at once"},
	{"pool", "del", "CIDR", 1, 1, COMMON | TARGET, cmd_pool_del,
	 "delete a pool; flows in progress keep their translation"},
	{"pool", "list", "", 0, 0, COMMON | TARGET, cmd_pool_list, "list pools"},
	{"pool", "flush", "", 0, 0, COMMON | TARGET, cmd_pool_flush, "delete every pool"},
	{"pool", "save", "[FILE]", 0, 1, COMMON | TARGET, cmd_pool_save,
	 "write the running pools in config format (default " PG_DEFAULT_CONFIG ")"},
	{"stats", NULL, "", 0, 0, COMMON | TARGET | B(O_WATCH) | B(O_COUNT), cmd_stats,
	 "counters: packets, SYNs, rewrites, rescued SYNs, packets not understood by reason"},
	{"sources", NULL, "", 0, 0, COMMON | TARGET | B(O_LIMIT) | B(O_SORT), cmd_sources,
	 "per-source state: SYNs, backwards TSvals, largest TSval forwarded"},
	{"flows", NULL, "", 0, 0, COMMON | TARGET | B(O_LIMIT), cmd_flows,
	 "translated flows and their fixed offsets"},
	{"suggest", NULL, "", 0, 0, COMMON | TARGET | B(O_LIMIT), cmd_suggest,
	 "find NATs: sources outside every pool whose SYN TSvals went backwards"},
};

static const char *prog = "pawsguard";

/*
 * The one line of an error. Messages quote what the user typed: control characters in it
 * (a newline, an escape sequence) are written as \xHH, so the error stays one line and
 * cannot drive the terminal.
 */
static int fail(const char *msg)
{
	const unsigned char *p;

	fprintf(stderr, "%s: ", prog);
	for (p = (const unsigned char *)msg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	return 1;
}

static void synopsis(FILE *f, const struct cmd_def *d)
{
	int i;

	fprintf(f, "  %s %s%s%s%s", prog, d->verb, d->sub ? " " : "", d->sub ? d->sub : "",
		*d->args ? " " : "");
	fprintf(f, "%s", d->args);
	for (i = 0; i < O_NR; i++) {
		const struct opt_def *o = &opt_defs[i];

		if (!(d->opts & B(i)) || i == O_HELP || i == O_DPDK)
			continue;
		if (i == O_IFACE) {
			fprintf(f, " [--iface IFACE | --dpdk [PREFIX]]");
			continue;
		}
		if (o->type == T_FLAG)
			fprintf(f, " [--%s]", o->name);
		else
			fprintf(f, " [--%s %s]", o->name, o->metavar);
	}
	fprintf(f, "\n");
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < PG_ARRAY_SIZE(cmds); i++)
		synopsis(f, &cmds[i]);
	fprintf(f,
		"  %s help | --version\n\n"
		"Without --iface or --dpdk, the one running target is used.\n"
		"'%s COMMAND --help' describes a command.\n",
		prog, prog);
}

static void cmd_help(const struct cmd_def *d)
{
	int i;

	printf("usage:\n");
	synopsis(stdout, d);
	printf("\n%s\n\noptions:\n", d->help);
	for (i = 0; i < O_NR; i++) {
		const struct opt_def *o = &opt_defs[i];
		char left[64];

		if (!(d->opts & B(i)))
			continue;
		if (o->type == T_FLAG)
			snprintf(left, sizeof(left), "--%s", o->name);
		else if (o->type == T_OPTSTR)
			snprintf(left, sizeof(left), "--%s [%s]", o->name, o->metavar);
		else
			snprintf(left, sizeof(left), "--%s %s", o->name, o->metavar);
		printf("  %-24s %s", left, o->help);
		if (o->type == T_U32)
			printf(" (%u..%u)", o->min, o->max);
		printf("\n");
	}
}

/* Parse argv against the table; 0, or 1 after printing one line. */
/*
 * Words from argv[from] on that are not options or option values: what is left for the
 * positionals. An option that takes a value (T_U32, T_STR, T_ACTION) eats the next word.
 */
static int count_words(int argc, char **argv, int from)
{
	int i, n = 0, id;

	for (i = from; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			n++;
			continue;
		}
		if (strchr(argv[i], '='))
			continue;
		for (id = 0; id < O_NR; id++)
			if (!strcmp(opt_defs[id].name, argv[i] + 2))
				break;
		if (id < O_NR && opt_defs[id].type != T_FLAG && opt_defs[id].type != T_OPTSTR)
			i++;
	}
	return n;
}

static int parse_args(struct ctx *c, int argc, char **argv)
{
	const struct cmd_def *d = NULL;
	char msg[PG_ERRLEN + 64];
	int i, first;
	size_t k;

	for (k = 0; k < PG_ARRAY_SIZE(cmds); k++) {
		if (strcmp(cmds[k].verb, argv[1]))
			continue;
		if (!cmds[k].sub) {
			d = &cmds[k];
			break;
		}
		if (argc > 2 && !strcmp(cmds[k].sub, argv[2])) {
			d = &cmds[k];
			break;
		}
	}
	if (!d) {
		for (k = 0; k < PG_ARRAY_SIZE(cmds); k++)
			if (!strcmp(cmds[k].verb, argv[1]))
				break;
		if (k < PG_ARRAY_SIZE(cmds)) {
			if (argc > 2 && !strcmp(argv[2], "--help")) {
				usage(stdout);
				exit(0);
			}
			snprintf(msg, sizeof(msg),
				 "'%s' needs one of add, del, list, flush, save (got '%s')",
				 argv[1], argc > 2 ? argv[2] : "nothing");
		} else {
			snprintf(msg, sizeof(msg), "unknown command '%s' (try '%s help')", argv[1],
				 prog);
		}
		return fail(msg);
	}
	c->cmd = d;
	first = d->sub ? 3 : 2;
	for (i = first; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const struct opt_def *o = NULL;
		char name[64];
		int id;

		if (strncmp(a, "--", 2) || !a[2]) {
			if (c->npos >= d->pos_max) {
				snprintf(msg, sizeof(msg), "%s%s%s: unexpected argument '%s'",
					 d->verb, d->sub ? " " : "", d->sub ? d->sub : "", a);
				return fail(msg);
			}
			c->pos[c->npos++] = a;
			continue;
		}
		eq = strchr(a, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2),
			 a + 2);
		for (id = 0; id < O_NR; id++)
			if (!strcmp(opt_defs[id].name, name))
				break;
		if (id == O_NR || !(d->opts & B(id))) {
			snprintf(msg, sizeof(msg), "%s%s%s: unknown option '--%s'", d->verb,
				 d->sub ? " " : "", d->sub ? d->sub : "", name);
			return fail(msg);
		}
		o = &opt_defs[id];
		if (o->type == T_FLAG) {
			if (eq) {
				snprintf(msg, sizeof(msg), "option '--%s' takes no value", name);
				return fail(msg);
			}
		} else if (eq) {
			val = eq + 1;
		} else if (o->type == T_OPTSTR) {
			/*
			 * Takes the next word when the words after it still fill the positionals
			 * (--dpdk PREFIX CIDR, or CIDR --dpdk PREFIX); `--dpdk CIDR` alone leaves
			 * CIDR a positional. Use --dpdk=PREFIX to say it outright.
			 */
			if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) &&
			    c->npos + count_words(argc, argv, i + 2) >= d->pos_min)
				val = argv[++i];
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			snprintf(msg, sizeof(msg), "option '--%s' needs a value (%s)", name,
				 o->metavar);
			return fail(msg);
		}
		if (c->set[id]) {
			snprintf(msg, sizeof(msg), "option '--%s' given twice", name);
			return fail(msg);
		}
		c->set[id] = true;
		c->str[id] = val;
		if (o->type == T_U32) {
			int rc = pg_parse_u32(val, o->min, o->max, &c->num[id]);

			if (rc) {
				snprintf(msg, sizeof(msg), "--%s '%s': %s (%u..%u)", name, val,
					 rc == -ERANGE ? "out of range" : "not a number", o->min,
					 o->max);
				return fail(msg);
			}
		} else if (o->type == T_ACTION) {
			if (pg_action_parse(val, &c->num[id])) {
				snprintf(msg, sizeof(msg),
					 "--action '%s': expected rewrite or strip", val);
				return fail(msg);
			}
		} else if (o->type == T_SORT) {
			if (strcmp(val, "recent") && strcmp(val, "rescued")) {
				snprintf(msg, sizeof(msg),
					 "--sort '%s': expected recent or rescued", val);
				return fail(msg);
			}
		}
	}
	if (c->set[O_HELP]) {
		cmd_help(d);
		exit(0);
	}
	if (c->npos < d->pos_min) {
		snprintf(msg, sizeof(msg), "%s%s%s: missing %s", d->verb, d->sub ? " " : "",
			 d->sub ? d->sub : "", d->args);
		return fail(msg);
	}
	if (c->set[O_IFACE] && c->set[O_DPDK])
		return fail("choose one target: --iface or --dpdk, not both");
	if (c->set[O_COUNT] && !c->set[O_WATCH])
		return fail("--count only makes sense with --watch");
	return 0;
}

/* --iface, --dpdk, or the one target that is running. */
static int open_target(struct ctx *c, struct pg_target *t)
{
	char x[16][64], p[16][64], msg[PG_ERRLEN + 64];
	int nx, np;

	if (c->set[O_IFACE])
		return pg_xdp_open(t, c->str[O_IFACE], c->err, sizeof(c->err)) ? fail(c->err) : 0;
	if (c->set[O_DPDK])
		return pg_dpdk_open(t, c->str[O_DPDK], c->err, sizeof(c->err)) ? fail(c->err) : 0;
	nx = pg_xdp_list(x, 16);
	np = pg_dpdk_list(p, 16);
	if (nx + np == 0)
		return fail("no pawsguard running: attach one (pawsguard attach IFACE) or start "
			    "pawsguard-dpdk, or name it with --iface/--dpdk");
	if (nx + np > 1) {
		snprintf(
			msg, sizeof(msg),
			"%d pawsguard targets running (%s %s and more): choose one with --iface or "
			"--dpdk",
			nx + np, nx ? "xdp" : "dpdk", nx ? x[0] : p[0]);
		return fail(msg);
	}
	if (nx)
		return pg_xdp_open(t, x[0], c->err, sizeof(c->err)) ? fail(c->err) : 0;
	return pg_dpdk_open(t, p[0], c->err, sizeof(c->err)) ? fail(c->err) : 0;
}

static void json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void addr_str(const struct pg_addr *a, char *buf, size_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(a->b, mapped, 12))
		inet_ntop(AF_INET, &a->b[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
}

static int cmd_attach(struct ctx *c)
{
	struct pg_attach_opts o = {
		.iface = c->pos[0],
		.config = c->str[O_CONFIG],
		.max_flows = c->num[O_MAXFLOWS],
		.max_sources = c->num[O_MAXSOURCES],
		.skb_mode = c->set[O_SKB],
	};

	if (pg_xdp_attach(&o, c->err, sizeof(c->err)))
		return fail(c->err);
	if (c->set[O_JSON]) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "attached", json_object_new_string(o.iface));
		json_object_object_add(j, "mode",
				       json_object_new_string(o.skb_mode ? "skb" : "native"));
		json_object_object_add(j, "pins", json_object_new_string(PG_PIN_ROOT));
		json_print(j);
	} else {
		printf("pawsguard attached to %s (%s XDP ingress, TC egress), maps in %s/%s\n",
		       o.iface, o.skb_mode ? "skb" : "native", PG_PIN_ROOT, o.iface);
	}
	return 0;
}

static int cmd_detach(struct ctx *c)
{
	if (pg_xdp_detach(c->pos[0], c->err, sizeof(c->err)))
		return fail(c->err);
	if (c->set[O_JSON]) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "detached", json_object_new_string(c->pos[0]));
		json_print(j);
	} else {
		printf("pawsguard detached from %s\n", c->pos[0]);
	}
	return 0;
}

static int simple_ok(struct ctx *c, struct pg_target *t, const char *what, const char *arg)
{
	if (c->set[O_JSON]) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, what, json_object_new_string(arg));
		json_object_object_add(j, "target", json_object_new_string(t->ops->kind));
		json_object_object_add(j, "name", json_object_new_string(t->name));
		json_print(j);
	} else {
		printf("%s %s (%s %s)\n", what, arg, t->ops->kind, t->name);
	}
	return 0;
}

static int cmd_pool_add(struct ctx *c)
{
	struct pg_pool_entry e = {.action = c->set[O_ACTION] ? c->num[O_ACTION] : PG_ACT_REWRITE};
	struct pg_target t;
	char buf[96];
	int rc;

	if (pg_cidr_parse(c->pos[0], &e.cidr, c->err, sizeof(c->err)))
		return fail(c->err);
	if (open_target(c, &t))
		return 1;
	rc = t.ops->pool_add(&t, &e, c->err, sizeof(c->err));
	if (!rc) {
		pg_cidr_format(&e.cidr, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s",
			 pg_action_name(e.action));
		simple_ok(c, &t, "added", buf);
	}
	t.ops->close(&t);
	return rc ? fail(c->err) : 0;
}

static int cmd_pool_del(struct ctx *c)
{
	struct pg_target t;
	struct pg_cidr cidr;
	char buf[64];
	int rc;

	if (pg_cidr_parse(c->pos[0], &cidr, c->err, sizeof(c->err)))
		return fail(c->err);
	if (open_target(c, &t))
		return 1;
	rc = t.ops->pool_del(&t, &cidr, c->err, sizeof(c->err));
	if (!rc) {
		pg_cidr_format(&cidr, buf, sizeof(buf));
		simple_ok(c, &t, "deleted", buf);
	}
	t.ops->close(&t);
	return rc ? fail(c->err) : 0;
}

static int cmd_pool_list(struct ctx *c)
{
	struct pg_pool_entry *v = NULL;
	struct pg_target t;
	size_t n = 0, i;
	char buf[64];

	if (open_target(c, &t))
		return 1;
	if (t.ops->pool_list(&t, &v, &n, c->err, sizeof(c->err))) {
		t.ops->close(&t);
		return fail(c->err);
	}
	if (c->set[O_JSON]) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			pg_cidr_format(&v[i].cidr, buf, sizeof(buf));
			json_object_object_add(o, "prefix", json_object_new_string(buf));
			json_object_object_add(o, "action",
					       json_object_new_string(pg_action_name(v[i].action)));
			json_object_array_add(a, o);
		}
		json_print(a);
	} else {
		printf("%-44s %s\n", "PREFIX", "ACTION");
		for (i = 0; i < n; i++) {
			pg_cidr_format(&v[i].cidr, buf, sizeof(buf));
			printf("%-44s %s\n", buf, pg_action_name(v[i].action));
		}
	}
	free(v);
	t.ops->close(&t);
	return 0;
}

static int cmd_pool_flush(struct ctx *c)
{
	struct pg_pool_entry *v = NULL;
	struct pg_target t;
	size_t n = 0, i;
	char num[32];
	int rc = 0;

	if (open_target(c, &t))
		return 1;
	rc = t.ops->pool_list(&t, &v, &n, c->err, sizeof(c->err));
	for (i = 0; !rc && i < n; i++)
		rc = t.ops->pool_del(&t, &v[i].cidr, c->err, sizeof(c->err));
	if (!rc) {
		snprintf(num, sizeof(num), "%zu pools", n);
		simple_ok(c, &t, "flushed", num);
	}
	free(v);
	t.ops->close(&t);
	return rc ? fail(c->err) : 0;
}

static int cmd_pool_save(struct ctx *c)
{
	const char *path = c->npos ? c->pos[0] : PG_DEFAULT_CONFIG;
	struct pg_file_config fc = {0};
	struct pg_target t;
	int rc;

	if (open_target(c, &t))
		return 1;
	rc = t.ops->pool_list(&t, &fc.pools, &fc.n_pools, c->err, sizeof(c->err));
	t.ops->close(&t);
	if (rc)
		return fail(c->err);
	if (!c->npos)
		mkdir("/etc/pawsguard", 0755);
	rc = pg_config_save(path, &fc, c->err, sizeof(c->err));
	if (rc) {
		pg_config_free(&fc);
		return fail(c->err);
	}
	if (c->set[O_JSON]) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "saved", json_object_new_string(path));
		json_object_object_add(j, "pools", json_object_new_int64((int64_t)fc.n_pools));
		json_print(j);
	} else {
		printf("saved %zu pools to %s\n", fc.n_pools, path);
	}
	pg_config_free(&fc);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void stats_print(struct ctx *c, struct pg_target *t, const struct pg_stats_rec *s)
{
	int i;

	if (c->set[O_JSON]) {
		struct json_object *j = json_object_new_object(), *k = json_object_new_object();
		struct json_object *r = json_object_new_object();

		json_object_object_add(j, "target", json_object_new_string(t->ops->kind));
		json_object_object_add(j, "name", json_object_new_string(t->name));
		for (i = 0; i < PG_STAT_MAX; i++) {
			struct json_object *dst =
				i >= PG_STAT_REASON_FIRST && i <= PG_STAT_REASON_LAST ? r : k;

			json_object_object_add(dst, pg_stat_descs[i].name,
					       json_object_new_int64((int64_t)s->c[i]));
		}
		json_object_object_add(j, "counters", k);
		json_object_object_add(j, "not_understood", r);
		json_object_object_add(
			j, "not_understood_total",
			json_object_new_int64((int64_t)pg_stats_not_understood(s->c)));
		json_object_object_add(j, "flows", json_object_new_int64((int64_t)s->flows));
		json_object_object_add(j, "sources", json_object_new_int64((int64_t)s->sources));
		json_object_object_add(j, "evictions",
				       json_object_new_int64((int64_t)s->evictions));
		json_print(j);
		return;
	}
	printf("pawsguard %s %s\n", t->ops->kind, t->name);
	for (i = 0; i < PG_STAT_REASON_FIRST; i++)
		printf("  %-18s %14llu  %s\n", pg_stat_descs[i].name, (unsigned long long)s->c[i],
		       pg_stat_descs[i].help);
	printf("  %-18s %14llu  %s\n", "not_understood",
	       (unsigned long long)pg_stats_not_understood(s->c),
	       "packets passed untouched, by reason:");
	for (i = PG_STAT_REASON_FIRST; i <= PG_STAT_REASON_LAST; i++)
		if (s->c[i])
			printf("    %-16s %14llu  %s\n", pg_stat_descs[i].name,
			       (unsigned long long)s->c[i], pg_stat_descs[i].help);
	printf("  %-18s %14llu\n  %-18s %14llu\n  %-18s %14llu\n", "flows",
	       (unsigned long long)s->flows, "sources", (unsigned long long)s->sources, "evictions",
	       (unsigned long long)s->evictions);
}

static int cmd_stats(struct ctx *c)
{
	struct pg_stats_rec s;
	struct pg_target t;
	uint32_t n = 0;

	if (open_target(c, &t))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		if (t.ops->stats(&t, &s, c->err, sizeof(c->err))) {
			t.ops->close(&t);
			return fail(c->err);
		}
		if (c->set[O_WATCH] && !c->set[O_JSON] && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		stats_print(c, &t, &s);
		fflush(stdout);
		n++;
		if (!c->set[O_WATCH] || stop || (c->set[O_COUNT] && n >= c->num[O_COUNT]))
			break;
		sleep(c->num[O_WATCH]);
		if (stop)
			break;
	}
	t.ops->close(&t);
	return 0;
}

static int cmp_recent(const void *a, const void *b)
{
	const struct pg_src_rec *x = a, *y = b;

	return x->age_ms < y->age_ms ? -1 : x->age_ms > y->age_ms;
}

static int cmp_rescued(const void *a, const void *b)
{
	const struct pg_src_rec *x = a, *y = b;

	if (x->s.backwards != y->s.backwards)
		return x->s.backwards > y->s.backwards ? -1 : 1;
	return cmp_recent(a, b);
}

static int cmp_flow_recent(const void *a, const void *b)
{
	const struct pg_flow_rec *x = a, *y = b;

	return x->age_ms < y->age_ms ? -1 : x->age_ms > y->age_ms;
}

static int load_sources(struct ctx *c, struct pg_target *t, struct pg_src_rec **v, size_t *n)
{
	if (open_target(c, t))
		return 1;
	if (t->ops->sources(t, v, n, c->err, sizeof(c->err))) {
		t->ops->close(t);
		return fail(c->err);
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

static struct json_object *source_json(const struct pg_src_rec *r)
{
	struct json_object *o = json_object_new_object();
	char a[64];

	addr_str(&r->addr, a, sizeof(a));
	json_object_object_add(o, "addr", json_object_new_string(a));
	json_object_object_add(o, "action", json_object_new_string(pg_action_name(r->s.action)));
	json_object_object_add(o, "syns", json_object_new_int64(r->s.syns));
	json_object_object_add(o, "backwards", json_object_new_int64(r->s.backwards));
	json_object_object_add(o, "flows", json_object_new_int64(r->s.flows));
	json_object_object_add(o, "max_fwd", json_object_new_int64((uint32_t)r->s.max_fwd));
	json_object_object_add(o, "lead_ms", json_object_new_int64(source_lead_ms(r)));
	json_object_object_add(o, "raw_max", json_object_new_int64(r->s.raw_max));
	json_object_object_add(o, "age_ms", json_object_new_int64((int64_t)r->age_ms));
	return o;
}

static int cmd_sources(struct ctx *c)
{
	uint32_t limit = c->set[O_LIMIT] ? c->num[O_LIMIT] : 20;
	struct pg_src_rec *v = NULL;
	struct pg_target t;
	size_t n = 0, i;
	char a[64];

	if (load_sources(c, &t, &v, &n))
		return 1;
	qsort(v, n, sizeof(*v),
	      c->set[O_SORT] && !strcmp(c->str[O_SORT], "rescued") ? cmp_rescued : cmp_recent);
	if (n > limit)
		n = limit;
	if (c->set[O_JSON]) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(arr, source_json(&v[i]));
		json_print(arr);
	} else {
		printf("%-40s %-8s %8s %9s %6s %10s %9s %10s %9s\n", "SOURCE", "ACTION", "SYNS",
		       "BACKWARDS", "FLOWS", "MAX_FWD", "LEAD_MS", "RAW_MAX", "AGE_MS");
		for (i = 0; i < n; i++) {
			addr_str(&v[i].addr, a, sizeof(a));
			printf("%-40s %-8s %8u %9u %6u %10u %9lld %10u %9llu\n", a,
			       pg_action_name(v[i].s.action), v[i].s.syns, v[i].s.backwards,
			       v[i].s.flows, (uint32_t)v[i].s.max_fwd,
			       (long long)source_lead_ms(&v[i]), v[i].s.raw_max,
			       (unsigned long long)v[i].age_ms);
		}
	}
	free(v);
	t.ops->close(&t);
	return 0;
}

static int cmd_flows(struct ctx *c)
{
	uint32_t limit = c->set[O_LIMIT] ? c->num[O_LIMIT] : 20;
	struct pg_flow_rec *v = NULL;
	struct pg_target t;
	size_t n = 0, i;
	char a[64], b[64];

	if (open_target(c, &t))
		return 1;
	if (t.ops->flows(&t, &v, &n, c->err, sizeof(c->err))) {
		t.ops->close(&t);
		return fail(c->err);
	}
	qsort(v, n, sizeof(*v), cmp_flow_recent);
	if (n > limit)
		n = limit;
	if (c->set[O_JSON]) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			addr_str(&v[i].k.client, a, sizeof(a));
			addr_str(&v[i].k.server, b, sizeof(b));
			json_object_object_add(o, "client", json_object_new_string(a));
			json_object_object_add(o, "cport",
					       json_object_new_int(ntohs(v[i].k.cport)));
			json_object_object_add(o, "server", json_object_new_string(b));
			json_object_object_add(o, "sport",
					       json_object_new_int(ntohs(v[i].k.sport)));
			json_object_object_add(o, "offset", json_object_new_int64(v[i].f.offset));
			json_object_object_add(
				o, "state",
				json_object_new_string(pg_flow_state_name(v[i].f.state)));
			json_object_object_add(o, "age_ms",
					       json_object_new_int64((int64_t)v[i].age_ms));
			json_object_array_add(arr, o);
		}
		json_print(arr);
	} else {
		printf("%-46s %-46s %10s %-11s %9s\n", "CLIENT", "SERVER", "OFFSET", "STATE",
		       "AGE_MS");
		for (i = 0; i < n; i++) {
			char ca[72], sa[72];

			addr_str(&v[i].k.client, a, sizeof(a));
			addr_str(&v[i].k.server, b, sizeof(b));
			snprintf(ca, sizeof(ca), strchr(a, ':') ? "[%s]:%u" : "%s:%u", a,
				 ntohs(v[i].k.cport));
			snprintf(sa, sizeof(sa), strchr(b, ':') ? "[%s]:%u" : "%s:%u", b,
				 ntohs(v[i].k.sport));
			printf("%-46s %-46s %10u %-11s %9llu\n", ca, sa, v[i].f.offset,
			       pg_flow_state_name(v[i].f.state), (unsigned long long)v[i].age_ms);
		}
	}
	free(v);
	t.ops->close(&t);
	return 0;
}

static int cmd_suggest(struct ctx *c)
{
	uint32_t limit = c->set[O_LIMIT] ? c->num[O_LIMIT] : 20;
	struct pg_src_rec *v = NULL;
	struct json_object *arr = NULL;
	struct pg_target t;
	size_t n = 0, i, k = 0;
	char a[64], tgt[96], cmd[256];

	if (load_sources(c, &t, &v, &n))
		return 1;
	qsort(v, n, sizeof(*v), cmp_rescued);
	if (!strcmp(t.ops->kind, "xdp"))
		snprintf(tgt, sizeof(tgt), "--iface %s", t.name);
	else
		snprintf(tgt, sizeof(tgt), "--dpdk %s", t.name);
	if (c->set[O_JSON])
		arr = json_object_new_array();
	for (i = 0; i < n && k < limit; i++) {
		const char *plen;

		if (v[i].s.action != PG_ACT_NONE || !v[i].s.backwards)
			continue;
		addr_str(&v[i].addr, a, sizeof(a));
		plen = strchr(a, ':') ? "128" : "32";
		k++;
		snprintf(cmd, sizeof(cmd), "%s pool add %s/%s %s", prog, a, plen, tgt);
		if (arr) {
			struct json_object *o = source_json(&v[i]);

			json_object_object_add(o, "command", json_object_new_string(cmd));
			json_object_array_add(arr, o);
		} else {
			printf("# %s: %u of %u SYNs went backwards within 60 s (several clocks "
			       "behind "
			       "one address: a NAT)\n",
			       a, v[i].s.backwards, v[i].s.syns);
			printf("%s\n", cmd);
		}
	}
	if (arr)
		json_print(arr);
	else if (!k)
		printf("# no NAT suspects: no source outside the pools sent SYN TSvals that went "
		       "backwards\n");
	free(v);
	t.ops->close(&t);
	return 0;
}

/* roff-escape: backslashes and leading dots/quotes; dashes are kept literal. */
static void roff(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

/* pawsguard(8), from the same tables as usage and --help (meson builds it into build/). */
static void man_page(void)
{
	size_t i;
	int k;

	printf(".TH PAWSGUARD 8 \"\" \"pawsguard %s\" \"System Administration\"\n", PG_VERSION);
	printf(".SH NAME\npawsguard \\- keep NAT'ed clients' SYNs acceptable to PAWS-checking "
	       "servers\n");
	printf(".SH SYNOPSIS\n.nf\n");
	for (i = 0; i < PG_ARRAY_SIZE(cmds); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		synopsis(f, &cmds[i]);
		fclose(f);
		roff(buf + 2);
		free(buf);
	}
	printf(".fi\n.SH DESCRIPTION\n");
	printf("Servers that apply PAWS checks per peer address (Linux before 4.12 with "
	       "tcp_tw_recycle=1) or per 4-tuple in TIME-WAIT silently drop SYNs from clients "
	       "behind a NAT, whose TCP timestamp clocks differ. pawsguard rewrites the timestamps "
	       "of configured NAT pools (monotonic per source, a fixed offset per flow, TSecr "
	       "translated back) or strips them, in an XDP/TC program on the server's interface or "
	       "in a DPDK appliance in front of the servers.\n");
	printf(".PP\nWithout \\fB\\-\\-iface\\fR or \\fB\\-\\-dpdk\\fR, the one running target is "
	       "used; none or several is an error.\n");
	printf(".SH COMMANDS\n");
	for (i = 0; i < PG_ARRAY_SIZE(cmds); i++) {
		printf(".TP\n.B %s%s%s", cmds[i].verb, cmds[i].sub ? " " : "",
		       cmds[i].sub ? cmds[i].sub : "");
		if (*cmds[i].args)
			printf(" \\fI%s\\fR", cmds[i].args);
		printf("\n");
		roff(cmds[i].help);
		printf("\n");
	}
	printf(".SH OPTIONS\n");
	for (k = 0; k < O_NR; k++) {
		const struct opt_def *o = &opt_defs[k];

		printf(".TP\n.B \\-\\-%s", o->name);
		if (o->type == T_OPTSTR)
			printf(" \\fR[\\fI%s\\fR]", o->metavar);
		else if (o->type != T_FLAG)
			printf(" \\fI%s\\fR", o->metavar);
		printf("\n");
		roff(o->help);
		if (o->type == T_U32)
			printf(" (%u..%u)", o->min, o->max);
		printf("\n");
	}
	/* From the one counter list (types.h): stats, --json and this page cannot drift. */
	printf(".SH COUNTERS\n\\fBstats\\fR prints these (\\fB\\-\\-json\\fR: under "
	       "\\fBcounters\\fR, the not-understood reasons under \\fBnot_understood\\fR):\n");
	for (k = 0; k < PG_STAT_MAX; k++) {
		printf(".TP\n.B %s\n", pg_stat_descs[k].name);
		roff(pg_stat_descs[k].help);
		printf("\n");
	}
	printf(".SH FLOW STATES\n\\fBflows\\fR shows each entry's state: \\fBsyn\\fR (handshake "
	       "under way), \\fBestablished\\fR, \\fBclosing\\fR (FIN or RST seen), "
	       "\\fBorphan\\fR (a segment of a pool source on a connection pawsguard has no "
	       "offset for, after a restart, a failover or an eviction: its segments go out far "
	       "behind the clock until the server's next echo teaches the offset) and "
	       "\\fBretired\\fR (a later connection on its 4-tuple went untranslated). "
	       "Handshakes and orphans are evicted before established flows when a table is "
	       "full.\n");
	printf(".SH CONFIGURATION FILE\nRead by \\fBattach \\-\\-config\\fR and by "
	       "\\fBpawsguard\\-dpdk \\-\\-config\\fR, written by \\fBpool save\\fR. One "
	       "directive per line, \\fB#\\fR starts a comment:\n.PP\n.nf\n"
	       "pool 203.0.113.0/24 rewrite\npool 2001:db8:100::/48 strip\nmax\\-flows 262144\n"
	       "max\\-sources 65536\n.fi\n");
	printf(".SH EXIT STATUS\n0 on success; 1 with one line on stderr for any error.\n");
	printf(".SH SEE ALSO\n\\fBxdp\\-loader\\fR(8), \\fBtc\\-bpf\\fR(8), "
	       "\\fBdpdk\\-telemetry.py\\fR(1), \\fBip\\-netns\\fR(8)\n");
}

int main(int argc, char **argv)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	if (argc < 2)
		return fail("no command given (try 'pawsguard help' for the usage)");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--man")) {
		man_page();
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pawsguard %s\n", PG_VERSION);
		return 0;
	}
	if (parse_args(&c, argc, argv))
		return 1;
	pg_lib_logging();
	return c.cmd->run(&c);
}
