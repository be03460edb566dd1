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

static int do_pool_add(const void *opts, const char *const *pos, int npos)
{
	const struct pool_opts *p = opts;
	struct pg_pool_entry e = {.action = action_values[p->action.v]};
	char err[PG_ERRLEN], buf[96];
	struct pg_target t;
	int rc;

	(void)npos;
	if (pg_cidr_parse(pos[0], &e.cidr, err, sizeof(err)))
		return pg_fail(err);
	if (pg_open_target(&p->target, &t))
		return 1;
	rc = t.ops->pool_add(&t, &e, err, sizeof(err));
	if (!rc) {
		pg_cidr_format(&e.cidr, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s",
			 pg_action_name(e.action));
		print_done(p->json, &t, "added", buf);
	}
	t.ops->close(&t);
	return rc ? pg_fail(err) : 0;
}

const struct pg_cmd pg_cmd_pool_add = {
	"pool",
	"add",
	"CIDR",
	1,
	1,
	pool_add_opts,
	sizeof(struct pool_opts),
	do_pool_add,
	"add (or change) a NAT pool; takes effect at once",
};

static int do_pool_del(const void *opts, const char *const *pos, int npos)
{
	const struct pool_opts *p = opts;
	char err[PG_ERRLEN], buf[64];
	struct pg_target t;
	struct pg_cidr cidr;
	int rc;

	(void)npos;
	if (pg_cidr_parse(pos[0], &cidr, err, sizeof(err)))
		return pg_fail(err);
	if (pg_open_target(&p->target, &t))
		return 1;
	rc = t.ops->pool_del(&t, &cidr, err, sizeof(err));
	if (!rc) {
		pg_cidr_format(&cidr, buf, sizeof(buf));
		print_done(p->json, &t, "deleted", buf);
	}
	t.ops->close(&t);
	return rc ? pg_fail(err) : 0;
}

const struct pg_cmd pg_cmd_pool_del = {
	"pool",
	"del",
	"CIDR",
	1,
	1,
	pool_opts,
	sizeof(struct pool_opts),
	do_pool_del,
	"delete a pool; flows in progress keep their translation",
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
