// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bash completion for pawsguard, generated from the command and option tables like the usage
 * and the man page (meson builds it; `pawsguard --bash-completion` prints it): every verb,
 * sub-command and option, and the values an option or positional takes (interfaces, DPDK
 * file prefixes, files, the words of an enumeration).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* What completes a value of metavar m: a bash expression filling $words, or a compgen flag. */
static const char *value_words(const char *m, const char *const *choices)
{
	static char buf[256];
	int k;

	if (choices) {
		buf[0] = '\0';
		for (k = 0; choices[k]; k++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? " " : "",
				 choices[k]);
		return buf;
	}
	if (!strcmp(m, "IFACE"))
		return "$(ls /sys/class/net 2>/dev/null)";
	if (!strcmp(m, "PREFIX"))
		return "$(ls " PG_DPDK_RUN " 2>/dev/null)";
	return NULL;
}

static const char *cmd_key(const struct pg_cmd *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", d->verb, d->sub ? "_" : "", d->sub ? d->sub : "");
	return buf;
}

void pg_bash_completion(const struct pg_cmd *const *cmds, size_t ncmds)
{
	const struct pg_opt *o;
	char key[64], verbs[512] = "";
	size_t i, j;

	for (i = 0; i < ncmds; i++) {
		for (j = 0; j < i && strcmp(cmds[j]->verb, cmds[i]->verb); j++)
			;
		if (j == i)
			snprintf(verbs + strlen(verbs), sizeof(verbs) - strlen(verbs), "%s ",
				 cmds[i]->verb);
	}
	printf("# bash completion for pawsguard(8), generated from its command table.\n");
	printf("_pawsguard() {\n");
	printf("\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n");
	printf("\tlocal cmd=${COMP_WORDS[1]} words=\n");
	printf("\tCOMPREPLY=()\n");
	printf("\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n");
	printf("\t\tCOMPREPLY=($(compgen -W \"%shelp --version\" -- \"$cur\"))\n", verbs);
	printf("\t\treturn\n\tfi\n");
	/* Verbs with sub-commands: the second word is one of them. */
	printf("\tcase $cmd in\n");
	for (i = 0; i < ncmds; i++) {
		if (!cmds[i]->sub ||
		    (i && cmds[i - 1]->sub && !strcmp(cmds[i - 1]->verb, cmds[i]->verb)))
			continue;
		printf("\t%s)\n\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n\t\t\twords=\"",
		       cmds[i]->verb);
		for (j = i; j < ncmds && cmds[j]->sub && !strcmp(cmds[j]->verb, cmds[i]->verb); j++)
			printf("%s%s", j > i ? " " : "", cmds[j]->sub);
		printf("\"\n\t\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n");
		printf("\t\t\treturn\n\t\tfi\n\t\tcmd=${cmd}_${COMP_WORDS[2]}\n\t\t;;\n");
	}
	printf("\tesac\n");
	/* The value of the option just typed. */
	printf("\tcase $cmd:$prev in\n");
	for (i = 0; i < ncmds; i++) {
		for (o = cmds[i]->opts; o->name; o++) {
			const char *w;

			if (o->type == PG_OPT_HELP || o->type == PG_OPT_FLAG)
				continue;
			printf("\t%s:--%s)\n", cmd_key(cmds[i], key, sizeof(key)), o->name);
			w = value_words(o->metavar, o->type == PG_OPT_ENUM ? o->choices : NULL);
			if (w)
				printf("\t\tCOMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n", w);
			else if (!strcmp(o->metavar, "FILE"))
				printf("\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n");
			printf("\t\treturn\n\t\t;;\n");
		}
	}
	printf("\tesac\n");
	/* Options, and the positional argument's values. */
	printf("\tcase $cmd in\n");
	for (i = 0; i < ncmds; i++) {
		printf("\t%s)\n\t\twords=\"", cmd_key(cmds[i], key, sizeof(key)));
		for (o = cmds[i]->opts; o->name; o++)
			printf("%s--%s", o == cmds[i]->opts ? "" : " ", o->name);
		printf("\"\n");
		if (!strcmp(cmds[i]->args, "IFACE"))
			printf("\t\t[[ $cur == -* ]] || words=\"$words $(ls /sys/class/net "
			       "2>/dev/null)\"\n");
		else if (strstr(cmds[i]->args, "FILE"))
			printf("\t\t[[ $cur == -* ]] || { COMPREPLY=($(compgen -f -- \"$cur\")); "
			       "return; }\n");
		printf("\t\t;;\n");
	}
	printf("\t*)\n\t\treturn\n\t\t;;\n\tesac\n");
	printf("\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n");
	printf("}\ncomplete -F _pawsguard pawsguard\n");
}
