// SPDX-License-Identifier: BSD-3-Clause
/*
 * attach, detach, reload and status: the XDP ingress and TC egress programs on an interface
 * of this network namespace (the loader is xdp_load.c; docs/DESIGN.md, "Pins, namespaces and
 * upgrades").
 */
#include <stdlib.h>

#include "cli.h"

/* The note of a result (what else happened), on a line of its own. */
static void print_note(const struct pg_xdp_result *r)
{
	if (r->note[0])
		pg_print_str("note", "  note: %s\n", r->note);
}

struct attach_opts {
	bool json;
	bool skb;
	const char *config;
	struct pg_u32 max_flows;
	struct pg_u32 max_sources;
};

static const struct pg_opt attach_opts[] = {
	PG_OPT_COMMON(struct attach_opts),
	PG_OPTION(struct attach_opts, skb, "skb", PG_OPT_FLAG, NULL, 0, 0, NULL,
		  "attach XDP in generic (skb) mode"),
	PG_OPTION(struct attach_opts, config, "config", PG_OPT_STR, "FILE", 0, 0, NULL,
		  "read pools and limits from FILE"),
	PG_OPTION(struct attach_opts, max_flows, "max-flows", PG_OPT_U32, "N", PG_TABLE_MIN,
		  PG_TABLE_MAX, NULL, "flow table size"),
	PG_OPTION(struct attach_opts, max_sources, "max-sources", PG_OPT_U32, "N", PG_TABLE_MIN,
		  PG_TABLE_MAX, NULL, "source table size"),
	PG_OPT_END,
};

static int do_attach(const void *opts, const char *const *pos, int npos)
{
	const struct attach_opts *a = opts;
	struct pg_attach_opts o = {
		.iface = pos[0],
		.config = a->config,
		.max_flows = a->max_flows.v,
		.max_sources = a->max_sources.v,
		.skb_mode = a->skb,
	};
	struct pg_xdp_result r;
	char err[PG_ERRLEN];

	(void)npos;
	if (pg_xdp_attach(&o, &r, err, sizeof(err)))
		return pg_fail(err);
	pg_print_begin(a->json, false);
	pg_print_str("attached", "pawsguard attached to %s", o.iface);
	pg_print_str("mode", " (%s XDP ingress, TC egress first at pref 1)", r.mode);
	pg_print_str("pins", ", pins in %s\n", r.pin_dir);
	pg_print_u64("xdp_prog_id", NULL, r.xdp_id);
	pg_print_u64("tc_prog_id", NULL, r.tc_id);
	pg_print_bool("multiprog", NULL, r.multiprog);
	pg_print_bool("clsact_created", NULL, r.clsact_created);
	print_note(&r);
	pg_print_end();
	return 0;
}

const struct pg_cmd pg_cmd_attach = {
	"attach",
	NULL,
	"IFACE",
	1,
	1,
	attach_opts,
	sizeof(struct attach_opts),
	do_attach,
	"load the XDP ingress and TC egress programs on IFACE, pin maps under " PG_PIN_ROOT,
};

struct link_opts {
	bool json;
};

static const struct pg_opt link_opts[] = {
	PG_OPT_COMMON(struct link_opts),
	PG_OPT_END,
};

static int do_detach(const void *opts, const char *const *pos, int npos)
{
	const struct link_opts *d = opts;
	struct pg_xdp_result r;
	char err[PG_ERRLEN];

	(void)npos;
	if (pg_xdp_detach(pos[0], &r, err, sizeof(err)))
		return pg_fail(err);
	pg_print_begin(d->json, false);
	pg_print_str("detached", "pawsguard detached from %s\n", pos[0]);
	pg_print_bool("clsact_removed", NULL, r.clsact_created);
	print_note(&r);
	pg_print_end();
	return 0;
}

const struct pg_cmd pg_cmd_detach = {
	"detach",
	NULL,
	"IFACE",
	1,
	1,
	link_opts,
	sizeof(struct link_opts),
	do_detach,
	"remove both programs from IFACE, their pins and the clsact qdisc attach made; also "
	"the stale pins of a vanished IFACE",
};

static int do_reload(const void *opts, const char *const *pos, int npos)
{
	const struct link_opts *d = opts;
	struct pg_xdp_result r;
	char err[PG_ERRLEN];

	(void)npos;
	if (pg_xdp_reload(pos[0], &r, err, sizeof(err)))
		return pg_fail(err);
	pg_print_begin(d->json, false);
	pg_print_str("reloaded", "pawsguard reloaded on %s:", pos[0]);
	pg_print_u64("old_xdp_prog_id", " XDP program %llu", r.old_xdp_id);
	pg_print_u64("xdp_prog_id", " -> %llu,", r.xdp_id);
	pg_print_u64("old_tc_prog_id", " TC program %llu", r.old_tc_id);
	pg_print_u64("tc_prog_id", " -> %llu,", r.tc_id);
	pg_print_str("pins", " every map kept in %s\n", r.pin_dir);
	print_note(&r);
	pg_print_end();
	return 0;
}

const struct pg_cmd pg_cmd_reload = {
	"reload",
	NULL,
	"IFACE",
	1,
	1,
	link_opts,
	sizeof(struct link_opts),
	do_reload,
	"replace both programs on IFACE with this build's in place, keeping every pinned map "
	"(flows, sources, pools, counters); refused when the map layouts differ",
};

static void print_health(const struct pg_xdp_health *h)
{
	struct pg_xdp_fill fill[PG_XM_NR];
	char err[PG_ERRLEN];
	int i, n;

	pg_print_open_object(NULL);
	pg_print_str("iface", "pawsguard xdp %s", h->iface);
	pg_print_u64("ifindex", " (ifindex %llu", h->ifindex);
	pg_print_u64("netns_cookie", ", netns cookie %llu)", h->netns_cookie);
	pg_print_bool("healthy", NULL, !h->nproblems);
	pg_print_text(": %s\n", h->nproblems ? "NOT HEALTHY" : "healthy");
	pg_print_str("pins", "  pins        %s\n", h->pin_dir);
	pg_print_str("version", "  loaded by   pawsguard %s", h->version[0] ? h->version : "?");
	pg_print_u64("layout", ", map layout %llu", h->layout);
	pg_print_u64("reloads", ", reloaded %llu times\n", h->reloads);
	pg_print_u64("attached_ns", NULL, h->attached_ns);
	pg_print_u64("reloaded_ns", NULL, h->reloaded_ns);
	pg_print_str("mode", "  xdp         %s", h->mode);
	pg_print_bool("multiprog", NULL, h->multiprog);
	pg_print_text("%s", h->multiprog ? " under libxdp's dispatcher" : ", alone on the hook");
	pg_print_u64("xdp_attached", ", program id %llu attached", h->xdp_attached);
	pg_print_u64("xdp_pinned", " (pinned %llu)\n", h->xdp_pinned);
	pg_print_u64("tc_prio", "  tc egress   pref %llu", h->tc_prio);
	pg_print_u64("tc_handle", " handle 0x%llx", h->tc_handle);
	pg_print_u64("tc_attached", ", program id %llu attached", h->tc_attached);
	pg_print_u64("tc_pinned", " (pinned %llu)", h->tc_pinned);
	pg_print_bool("clsact_created", NULL, h->clsact_created);
	pg_print_text(", clsact %s\n", h->clsact_created ? "made by pawsguard" : "was there");
	n = pg_xdp_fill(h, fill, PG_XM_NR, err, sizeof(err));
	pg_print_open_array("tables");
	pg_print_text("  tables     ");
	for (i = 0; i < n; i++) {
		pg_print_open_object(NULL);
		pg_print_str("map", " %s", fill[i].map);
		pg_print_u64("entries", " %llu", fill[i].entries);
		pg_print_u64("max", "/%llu", fill[i].max);
		pg_print_close_object();
	}
	pg_print_text("%s\n", n < 0 ? " unreadable" : "");
	pg_print_close_array();
	pg_print_open_array("problems");
	for (i = 0; i < h->nproblems; i++) {
		pg_print_open_object(NULL);
		pg_print_str("code", "  problem     %s: ", h->problems[i].code);
		pg_print_str("message", "%s\n", h->problems[i].msg);
		pg_print_close_object();
	}
	pg_print_close_array();
	pg_print_close_object();
}

static const struct pg_opt status_opts[] = {
	PG_OPT_COMMON(struct link_opts),
	PG_OPT_END,
};

static int do_status(const void *opts, const char *const *pos, int npos)
{
	const struct link_opts *s = opts;
	struct pg_xdp_health *h = NULL;
	char err[PG_ERRLEN], fs[96];
	size_t n = 0, i, bad = 0;
	int multi;

	if (pg_xdp_status(npos ? pos[0] : NULL, &h, &n, err, sizeof(err)))
		return pg_fail(err);
	multi = pg_xdp_multiprog();
	pg_xdp_bpffs(fs, sizeof(fs));
	pg_print_begin(s->json, false);
	pg_print_bool("multiprog_available", NULL, multi);
	pg_print_text("multi-program XDP: %s\n",
		      multi ? "available (libxdp's dispatcher)"
			    : "not available (the kernel refuses BPF trampolines: one XDP "
			      "program per interface)");
	pg_print_str("bpffs", "bpffs: %s\n", fs);
	pg_print_open_array("targets");
	for (i = 0; i < n; i++) {
		print_health(&h[i]);
		bad += h[i].nproblems > 0;
	}
	pg_print_close_array();
	pg_print_end();
	free(h);
	if (!n)
		return pg_fail("no pawsguard XDP target in this network namespace");
	if (bad)
		return pg_failf("%zu of %zu XDP targets not healthy", bad, n);
	return 0;
}

const struct pg_cmd pg_cmd_status = {
	"status",
	NULL,
	"[IFACE]",
	0,
	1,
	status_opts,
	sizeof(struct link_opts),
	do_status,
	"health of the XDP targets of this network namespace: programs still pawsguard's and "
	"attached, TC filter first, map layout, table fill; exit status 1 when anything is wrong",
};
