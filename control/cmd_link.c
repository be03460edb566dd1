// SPDX-License-Identifier: BSD-3-Clause
/* attach and detach: the XDP ingress and TC egress programs on an interface. */
#include "cli.h"

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
	char err[PG_ERRLEN], pins[PG_ERRLEN];

	(void)npos;
	if (pg_xdp_attach(&o, err, sizeof(err)))
		return pg_fail(err);
	snprintf(pins, sizeof(pins), "%s/%s", PG_PIN_ROOT, o.iface);
	pg_print_begin(a->json, false);
	pg_print_str("attached", "pawsguard attached to %s", o.iface);
	pg_print_str("mode", " (%s XDP ingress, TC egress)", o.skb_mode ? "skb" : "native");
	pg_print_str("pins", ", maps in %s\n", pins);
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
	"load the XDP ingress and TC egress programs on IFACE, pin maps under " PG_PIN_ROOT
	"/IFACE",
};

struct detach_opts {
	bool json;
};

static const struct pg_opt detach_opts[] = {
	PG_OPT_COMMON(struct detach_opts),
	PG_OPT_END,
};

static int do_detach(const void *opts, const char *const *pos, int npos)
{
	const struct detach_opts *d = opts;
	char err[PG_ERRLEN];

	(void)npos;
	if (pg_xdp_detach(pos[0], err, sizeof(err)))
		return pg_fail(err);
	pg_print_begin(d->json, false);
	pg_print_str("detached", "pawsguard detached from %s\n", pos[0]);
	pg_print_end();
	return 0;
}

const struct pg_cmd pg_cmd_detach = {
	"detach",
	NULL,
	"IFACE",
	1,
	1,
	detach_opts,
	sizeof(struct detach_opts),
	do_detach,
	"remove both programs from IFACE and the pinned maps",
};
