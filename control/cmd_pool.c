// SPDX-License-Identifier: BSD-3-Clause
/* pool add, del, list, flush and save: the NAT pools of either target. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "pawsguard/stats.h"

static const char *const action_names[] = {"rewrite", "strip", NULL};
static const uint32_t action_values[] = {PG_ACT_REWRITE, PG_ACT_STRIP};

/* What a pool verb did, on which target. */
static void print_done(bool json, const struct pg_target *t, const char *what, const char *arg)
{
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%s %%s", what);
	pg_print_begin(json, false);
	pg_print_str(what, fmt, arg);
	pg_print_str("target", " (%s", t->ops->kind);
	pg_print_str("name", " %s)\n", t->name);
	pg_print_end();
}

struct pool_opts {
	bool json;
	struct pg_target_sel target;
	struct pg_u32 action;
};

static const struct pg_opt pool_add_opts[] = {
	PG_OPT_COMMON(struct pool_opts),
	PG_OPT_TARGET(struct pool_opts),
	PG_OPTION(struct pool_opts, action, "action", PG_OPT_ENUM, "rewrite|strip", 0, 0,
		  action_names, "what to do (default rewrite)"),
	PG_OPT_END,
};

static const struct pg_opt pool_opts[] = {
	PG_OPT_COMMON(struct pool_opts),
	PG_OPT_TARGET(struct pool_opts),
	PG_OPT_END,
};

/*
 * The prefixes a pool argument names: a CIDR, or "all", every source of both families
 * (0.0.0.0/0 and ::/0: README, "Rewriting every source"). Returns how many, 0 after err.
 */
static int pool_arg(const char *arg, struct pg_cidr c[2], char *err, size_t el)
{
	if (!strcmp(arg, "all"))
		return pg_cidr_parse("0.0.0.0/0", &c[0], err, el) ||
				       pg_cidr_parse("::/0", &c[1], err, el)
			       ? 0
			       : 2;
	return pg_cidr_parse(arg, &c[0], err, el) ? 0 : 1;
}

/* The prefixes done so far, "P ACTION, P ACTION" (ACTION only for add). */
static void done_append(char *buf, size_t len, const struct pg_cidr *c, const char *action)
{
	size_t n = strlen(buf);

	if (n)
		n += (size_t)snprintf(buf + n, len - n, ", ");
	if (n < len)
		pg_cidr_format(c, buf + n, len - n);
	n = strlen(buf);
	if (action && n < len)
		snprintf(buf + n, len - n, " %s", action);
}

/*
 * pool add and pool del: every prefix the argument names, in order; on an error, what was
 * done before it is said with it (a count or a list is never claimed for what was not done).
 */
static int pool_change(const struct pool_opts *p, const char *arg, bool del)
{
	struct pg_pool_entry e = {.action = action_values[p->action.v]};
	char err[PG_ERRLEN], buf[160] = "";
	struct pg_cidr c[2];
	struct pg_target t;
	int rc = 0, n, i;

	n = pool_arg(arg, c, err, sizeof(err));
	if (!n)
		return pg_fail(err);
	if (pg_open_target(&p->target, &t))
		return 1;
	for (i = 0; !rc && i < n; i++) {
		e.cidr = c[i];
		rc = del ? t.ops->pool_del(&t, &c[i], err, sizeof(err))
			 : t.ops->pool_add(&t, &e, err, sizeof(err));
		if (!rc)
			done_append(buf, sizeof(buf), &c[i], del ? NULL : pg_action_name(e.action));
	}
	if (!rc)
		print_done(p->json, &t, del ? "deleted" : "added", buf);
	else if (buf[0])
		snprintf(err + strlen(err), sizeof(err) - strlen(err), " (after %s %s)",
			 del ? "deleting" : "adding", buf);
	t.ops->close(&t);
	return rc ? pg_fail(err) : 0;
}

static int do_pool_add(const void *opts, const char *const *pos, int npos)
{
	(void)npos;
	return pool_change(opts, pos[0], false);
}

const struct pg_cmd pg_cmd_pool_add = {
	"pool",
	"add",
	"CIDR|all",
	1,
	1,
	pool_add_opts,
	sizeof(struct pool_opts),
	do_pool_add,
	"add (or change) a NAT pool, or all: every source (0.0.0.0/0 and ::/0); at once",
};

static int do_pool_del(const void *opts, const char *const *pos, int npos)
{
	(void)npos;
	return pool_change(opts, pos[0], true);
}

const struct pg_cmd pg_cmd_pool_del = {
	"pool",
	"del",
	"CIDR|all",
	1,
	1,
	pool_opts,
	sizeof(struct pool_opts),
	do_pool_del,
	"delete a pool (all: 0.0.0.0/0 and ::/0); flows in progress keep their translation",
};

static int do_pool_list(const void *opts, const char *const *pos, int npos)
{
	const struct pool_opts *p = opts;
	struct pg_pool_entry *v = NULL;
	char err[PG_ERRLEN], buf[64];
	struct pg_target t;
	size_t n = 0, i;

	(void)pos;
	(void)npos;
	if (pg_open_target(&p->target, &t))
		return 1;
	if (t.ops->pool_list(&t, &v, &n, err, sizeof(err))) {
		t.ops->close(&t);
		return pg_fail(err);
	}
	pg_print_begin(p->json, true);
	pg_print_text("%-44s %s\n", "PREFIX", "ACTION");
	for (i = 0; i < n; i++) {
		pg_cidr_format(&v[i].cidr, buf, sizeof(buf));
		pg_print_open_object(NULL);
		pg_print_str("prefix", "%-44s ", buf);
		pg_print_str("action", "%s\n", pg_action_name(v[i].action));
		pg_print_close_object();
	}
	pg_print_end();
	free(v);
	t.ops->close(&t);
	return 0;
}

const struct pg_cmd pg_cmd_pool_list = {
	"pool", "list", "", 0, 0, pool_opts, sizeof(struct pool_opts), do_pool_list, "list pools",
};

static int do_pool_flush(const void *opts, const char *const *pos, int npos)
{
	const struct pool_opts *p = opts;
	struct pg_pool_entry *v = NULL;
	char err[PG_ERRLEN], num[32];
	struct pg_target t;
	size_t n = 0, i;
	int rc;

	(void)pos;
	(void)npos;
	if (pg_open_target(&p->target, &t))
		return 1;
	rc = t.ops->pool_list(&t, &v, &n, err, sizeof(err));
	for (i = 0; !rc && i < n; i++)
		rc = t.ops->pool_del(&t, &v[i].cidr, err, sizeof(err));
	if (!rc) {
		snprintf(num, sizeof(num), "%zu pools", n);
		print_done(p->json, &t, "flushed", num);
	} else if (i > 1) {
		/* Say how far it got: the count is what was achieved, not what was meant. */
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
			 " (after deleting %zu of %zu pools)", i - 1, n);
	}
	free(v);
	t.ops->close(&t);
	return rc ? pg_fail(err) : 0;
}

const struct pg_cmd pg_cmd_pool_flush = {
	"pool",
	"flush",
	"",
	0,
	0,
	pool_opts,
	sizeof(struct pool_opts),
	do_pool_flush,
	"delete every pool",
};

static int do_pool_save(const void *opts, const char *const *pos, int npos)
{
	const struct pool_opts *p = opts;
	const char *path = npos ? pos[0] : PG_DEFAULT_CONFIG;
	struct pg_file_config fc = {0};
	char err[PG_ERRLEN];
	struct pg_target t;
	int rc;

	if (pg_open_target(&p->target, &t))
		return 1;
	rc = t.ops->pool_list(&t, &fc.pools, &fc.n_pools, err, sizeof(err));
	t.ops->close(&t);
	if (rc)
		return pg_fail(err);
	if (!npos)
		mkdir("/etc/pawsguard", 0755);
	rc = pg_config_save(path, &fc, err, sizeof(err));
	if (rc) {
		pg_config_free(&fc);
		return pg_fail(err);
	}
	pg_print_begin(p->json, false);
	pg_print_u64("pools", "saved %llu pools", fc.n_pools);
	pg_print_str("saved", " to %s\n", path);
	pg_print_end();
	pg_config_free(&fc);
	return 0;
}

const struct pg_cmd pg_cmd_pool_save = {
	"pool",
	"save",
	"[FILE]",
	0,
	1,
	pool_opts,
	sizeof(struct pool_opts),
	do_pool_save,
	"write the running pools in config format (default " PG_DEFAULT_CONFIG ")",
};
