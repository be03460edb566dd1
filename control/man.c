// SPDX-License-Identifier: BSD-3-Clause
/* pawsguard(8), generated from the command and option tables (meson builds it into build/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pawsguard/stats.h"

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

void pg_man_page(const struct pg_cmd *const *cmds, size_t ncmds)
{
	const struct pg_opt *seen[64];
	size_t i, nseen = 0, j;
	int k;

	printf(".TH PAWSGUARD 8 \"\" \"pawsguard %s\" \"System Administration\"\n", PG_VERSION);
	printf(".SH NAME\npawsguard \\- keep NAT'ed clients' SYNs acceptable to PAWS-checking "
	       "servers\n");
	printf(".SH SYNOPSIS\n.nf\n");
	for (i = 0; i < ncmds; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		pg_synopsis(f, cmds[i]);
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
	for (i = 0; i < ncmds; i++) {
		printf(".TP\n.B %s%s%s", cmds[i]->verb, cmds[i]->sub ? " " : "",
		       cmds[i]->sub ? cmds[i]->sub : "");
		if (*cmds[i]->args)
			printf(" \\fI%s\\fR", cmds[i]->args);
		printf("\n");
		roff(cmds[i]->help);
		printf("\n");
	}
	printf(".SH OPTIONS\n");
	/* Every option once, in the order commands first take it; help of its first taker. */
	for (i = 0; i < ncmds; i++) {
		const struct pg_opt *o;

		for (o = cmds[i]->opts; o->name; o++) {
			for (j = 0; j < nseen && strcmp(seen[j]->name, o->name); j++)
				;
			if (j < nseen || nseen == PG_ARRAY_SIZE(seen))
				continue;
			seen[nseen++] = o;
			printf(".TP\n.B \\-\\-%s", o->name);
			if (o->type == PG_OPT_OPTSTR)
				printf(" \\fR[\\fI%s\\fR]", o->metavar);
			else if (o->type != PG_OPT_FLAG && o->type != PG_OPT_HELP)
				printf(" \\fI%s\\fR", o->metavar);
			printf("\n");
			roff(o->help);
			if (o->type == PG_OPT_U32)
				printf(" (%u..%u)", o->min, o->max);
			printf("\n");
		}
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
	printf(".SH EXIT STATUS\n0 on success; 1 with one line on stderr for any error, and for "
	       "\\fBstatus\\fR when a target is not healthy or there is none.\n");
	printf(".SH SEE ALSO\n\\fBxdp\\-loader\\fR(8), \\fBtc\\-bpf\\fR(8), "
	       "\\fBdpdk\\-telemetry.py\\fR(1), \\fBip\\-netns\\fR(8)\n");
}
