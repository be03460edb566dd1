// SPDX-License-Identifier: BSD-3-Clause
/*
 * pawsguard: the ops CLI. The commands live by object in cmd_link.c (attach, detach, reload,
 * status), cmd_pool.c (pools) and cmd_show.c (stats and listings), each with a typed option
 * table (options.h); usage, --help and pawsguard(8) are generated from this one list of them.
 * Every command speaks --json, and every error is one line on stderr with exit status 1.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct pg_cmd *const cmds[] = {
	&pg_cmd_attach,	   &pg_cmd_detach,   &pg_cmd_reload,	&pg_cmd_status,
	&pg_cmd_pool_add,  &pg_cmd_pool_del, &pg_cmd_pool_list, &pg_cmd_pool_flush,
	&pg_cmd_pool_save, &pg_cmd_stats,    &pg_cmd_sources,	&pg_cmd_flows,
	&pg_cmd_suggest,   &pg_cmd_metrics,
};

int pg_open_target(const struct pg_target_sel *s, struct pg_target *t)
{
	char x[16][64], p[16][64], err[PG_ERRLEN];
	int nx, np;

	if (s->iface && s->dpdk.set)
		return pg_fail("choose one target: --iface or --dpdk, not both");
	if (s->iface)
		return pg_xdp_open(t, s->iface, err, sizeof(err)) ? pg_fail(err) : 0;
	if (s->dpdk.set)
		return pg_dpdk_open(t, s->dpdk.val, err, sizeof(err)) ? pg_fail(err) : 0;
	nx = pg_xdp_list(x, 16);
	np = pg_dpdk_list(p, 16);
	if (nx + np == 0)
		return pg_fail("no pawsguard running: attach one (pawsguard attach IFACE) or start "
			       "pawsguard-dpdk, or name it with --iface/--dpdk");
	if (nx + np > 1)
		return pg_failf("%d pawsguard targets running (%s %s and more): choose one with "
				"--iface or --dpdk",
				nx + np, nx ? "xdp" : "dpdk", nx ? x[0] : p[0]);
	if (nx)
		return pg_xdp_open(t, x[0], err, sizeof(err)) ? pg_fail(err) : 0;
	return pg_dpdk_open(t, p[0], err, sizeof(err)) ? pg_fail(err) : 0;
}

int main(int argc, char **argv)
{
	const char *pos[PG_POS_MAX];
	const struct pg_cmd *cmd;
	void *opts = NULL;
	int npos, rc;

	if (argc < 2)
		return pg_fail("no command given (try 'pawsguard help' for the usage)");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		pg_usage(stdout, cmds, PG_ARRAY_SIZE(cmds));
		return 0;
	}
	if (!strcmp(argv[1], "--man")) {
		pg_man_page(cmds, PG_ARRAY_SIZE(cmds));
		return 0;
	}
	if (!strcmp(argv[1], "--bash-completion")) {
		pg_bash_completion(cmds, PG_ARRAY_SIZE(cmds));
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pawsguard %s\n", PG_VERSION);
		return 0;
	}
	if (pg_opts_parse(cmds, PG_ARRAY_SIZE(cmds), argc, argv, &cmd, &opts, pos, &npos)) {
		free(opts);
		return 1;
	}
	pg_lib_logging();
	rc = cmd->run(opts, pos, npos);
	free(opts);
	return rc;
}
