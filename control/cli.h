/* SPDX-License-Identifier: BSD-3-Clause */
/* What the CLI's verb files share: the commands they define and how they find a target. */
#ifndef PAWSGUARD_CLI_H
#define PAWSGUARD_CLI_H

#include "options.h"
#include "print.h"
#include "target.h"

#define PG_DEFAULT_CONFIG "/etc/pawsguard/pawsguard.conf"

/* --iface, --dpdk, or the one target that is running. 0, or 1 after one line. */
int pg_open_target(const struct pg_target_sel *s, struct pg_target *t);

/* Prints what a listing left out because of --limit (text: a last line; JSON: stderr). */
void pg_print_limited(size_t shown, size_t total, const char *what);

/* cmd_link.c: the XDP programs on an interface. */
extern const struct pg_cmd pg_cmd_attach, pg_cmd_detach, pg_cmd_reload, pg_cmd_status;
/* cmd_pool.c: NAT pools on either target. */
extern const struct pg_cmd pg_cmd_pool_add, pg_cmd_pool_del, pg_cmd_pool_list, pg_cmd_pool_flush,
	pg_cmd_pool_save;
/* cmd_show.c: counters and listings. */
extern const struct pg_cmd pg_cmd_stats, pg_cmd_sources, pg_cmd_flows, pg_cmd_suggest;

/* cmd_metrics.c: Prometheus metrics. */
extern const struct pg_cmd pg_cmd_metrics;

/* man.c: pawsguard(8) from the same tables as usage and --help. */
void pg_man_page(const struct pg_cmd *const *cmds, size_t ncmds);
/* completion.c: the bash completion script, from the same tables. */
void pg_bash_completion(const struct pg_cmd *const *cmds, size_t ncmds);

#endif /* PAWSGUARD_CLI_H */
