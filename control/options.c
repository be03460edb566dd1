// SPDX-License-Identifier: BSD-3-Clause
/*
 * Option parsing, usage and --help from the commands' tables (options.h). Options may come
 * before or after the positional arguments; numbers are range-checked; every error is one
 * line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "pgconf.h"

const char *pg_prog = "pawsguard";

int pg_fail(const char *msg)
{
	const unsigned char *p;

	fprintf(stderr, "%s: ", pg_prog);
	for (p = (const unsigned char *)msg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	return 1;
}

int pg_failf(const char *fmt, ...)
{
	char msg[2 * PG_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pg_fail(msg);
}

void pg_opt_form(const struct pg_opt *o, char *buf, size_t len)
{
	if (o->type == PG_OPT_HELP || o->type == PG_OPT_FLAG)
		snprintf(buf, len, "--%s", o->name);
	else if (o->type == PG_OPT_OPTSTR)
		snprintf(buf, len, "--%s [%s]", o->name, o->metavar);
	else
		snprintf(buf, len, "--%s %s", o->name, o->metavar);
}

static const char *cmd_name(const struct pg_cmd *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", d->verb, d->sub ? " " : "", d->sub ? d->sub : "");
	return buf;
}

void pg_synopsis(FILE *f, const struct pg_cmd *d)
{
	const struct pg_opt *o;
	char name[64], form[96];

	fprintf(f, "  %s %s%s%s", pg_prog, cmd_name(d, name, sizeof(name)), *d->args ? " " : "",
		d->args);
	for (o = d->opts; o->name; o++) {
		if (o->type == PG_OPT_HELP || !strcmp(o->name, "dpdk"))
			continue;
		if (!strcmp(o->name, "iface")) {
			fprintf(f, " [--iface IFACE | --dpdk [PREFIX]]");
			continue;
		}
		pg_opt_form(o, form, sizeof(form));
		fprintf(f, " [%s]", form);
	}
	fprintf(f, "\n");
}

void pg_usage(FILE *f, const struct pg_cmd *const *cmds, size_t ncmds)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < ncmds; i++)
		pg_synopsis(f, cmds[i]);
	fprintf(f,
		"  %s help | --version\n\n"
		"Without --iface or --dpdk, the one running target is used.\n"
		"'%s COMMAND --help' describes a command.\n",
		pg_prog, pg_prog);
}

void pg_cmd_help(FILE *f, const struct pg_cmd *d)
{
	const struct pg_opt *o;
	char form[96];

	fprintf(f, "usage:\n");
	pg_synopsis(f, d);
	fprintf(f, "\n%s\n\noptions:\n", d->help);
	for (o = d->opts; o->name; o++) {
		pg_opt_form(o, form, sizeof(form));
		fprintf(f, "  %-24s %s", form, o->help);
		if (o->type == PG_OPT_U32)
			fprintf(f, " (%u..%u)", o->min, o->max);
		fprintf(f, "\n");
	}
}

static const struct pg_opt *find_opt(const struct pg_cmd *d, const char *name, size_t len)
{
	const struct pg_opt *o;

	for (o = d->opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static bool is_opt(const char *a)
{
	return !strncmp(a, "--", 2) && a[2];
}

/*
 * Words from argv[from] on that are not options or option values: what is left for the
 * positionals. An option that must take a value eats the next word.
 */
static int count_words(const struct pg_cmd *d, int argc, char **argv, int from)
{
	const struct pg_opt *o;
	int i, n = 0;

	for (i = from; i < argc; i++) {
		if (!is_opt(argv[i])) {
			n++;
			continue;
		}
		if (strchr(argv[i], '='))
			continue;
		o = find_opt(d, argv[i] + 2, strlen(argv[i] + 2));
		if (o && o->type != PG_OPT_HELP && o->type != PG_OPT_FLAG &&
		    o->type != PG_OPT_OPTSTR)
			i++;
	}
	return n;
}

static int set_value(const struct pg_opt *o, void *opts, const char *val)
{
	char *field = (char *)opts + o->off;
	struct pg_u32 *u = (struct pg_u32 *)field;
	int rc, k;

	switch (o->type) {
	case PG_OPT_HELP:
		break;
	case PG_OPT_FLAG:
		*(bool *)field = true;
		break;
	case PG_OPT_STR:
		*(const char **)field = val;
		break;
	case PG_OPT_OPTSTR:
		((struct pg_optstr *)field)->set = true;
		((struct pg_optstr *)field)->val = val;
		break;
	case PG_OPT_U32:
		rc = pg_parse_u32(val, o->min, o->max, &u->v);
		if (rc)
			return pg_failf("--%s '%s': %s (%u..%u)", o->name, val,
					rc == -ERANGE ? "out of range" : "not a number", o->min,
					o->max);
		u->set = true;
		break;
	case PG_OPT_ENUM:
		for (k = 0; o->choices[k]; k++)
			if (!strcmp(o->choices[k], val))
				break;
		if (!o->choices[k]) {
			char want[128] = "";

			for (k = 0; o->choices[k]; k++)
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
					 !k		     ? ""
					 : o->choices[k + 1] ? ", "
							     : " or ",
					 o->choices[k]);
			return pg_failf("--%s '%s': expected %s", o->name, val, want);
		}
		u->set = true;
		u->v = (uint32_t)k;
		break;
	}
	return 0;
}

static const struct pg_cmd *find_cmd(const struct pg_cmd *const *cmds, size_t ncmds, int argc,
				     char **argv)
{
	size_t k;

	for (k = 0; k < ncmds; k++) {
		if (strcmp(cmds[k]->verb, argv[1]))
			continue;
		if (!cmds[k]->sub || (argc > 2 && !strcmp(cmds[k]->sub, argv[2])))
			return cmds[k];
	}
	return NULL;
}

/* argv[1] is a verb with sub-commands, but argv[2] is none of them. */
static int bad_sub(const struct pg_cmd *const *cmds, size_t ncmds, int argc, char **argv)
{
	char subs[256] = "";
	size_t k;

	for (k = 0; k < ncmds; k++) {
		if (strcmp(cmds[k]->verb, argv[1]) || !cmds[k]->sub)
			continue;
		snprintf(subs + strlen(subs), sizeof(subs) - strlen(subs), "%s%s",
			 *subs ? ", " : "", cmds[k]->sub);
	}
	if (!*subs)
		return pg_failf("unknown command '%s' (try '%s help')", argv[1], pg_prog);
	if (argc > 2 && !strcmp(argv[2], "--help")) {
		pg_usage(stdout, cmds, ncmds);
		exit(0);
	}
	return pg_failf("'%s' needs one of %s (got '%s')", argv[1], subs,
			argc > 2 ? argv[2] : "nothing");
}

int pg_opts_parse(const struct pg_cmd *const *cmds, size_t ncmds, int argc, char **argv,
		  const struct pg_cmd **cmd, void **optsp, const char **pos, int *npos)
{
	const struct pg_cmd *d = find_cmd(cmds, ncmds, argc, argv);
	bool seen[64] = {false};
	char name[64];
	void *opts;
	int i;

	if (!d)
		return bad_sub(cmds, ncmds, argc, argv);
	opts = calloc(1, d->opts_size);
	if (!opts)
		return pg_fail("out of memory");
	*cmd = d;
	*optsp = opts;
	*npos = 0;
	for (i = d->sub ? 3 : 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const struct pg_opt *o;
		size_t len;

		if (!is_opt(a)) {
			if (*npos >= d->pos_max || *npos >= PG_POS_MAX)
				return pg_failf("%s: unexpected argument '%s'",
						cmd_name(d, name, sizeof(name)), a);
			pos[(*npos)++] = a;
			continue;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		o = find_opt(d, a + 2, len);
		if (!o)
			return pg_failf("%s: unknown option '--%.*s'",
					cmd_name(d, name, sizeof(name)), (int)(len < 48 ? len : 48),
					a + 2);
		if (o->type == PG_OPT_HELP || o->type == PG_OPT_FLAG) {
			if (eq)
				return pg_failf("option '--%s' takes no value", o->name);
		} else if (eq) {
			val = eq + 1;
		} else if (o->type == PG_OPT_OPTSTR) {
			/*
			 * Takes the next word when the words after it still fill the positionals
			 * (--dpdk PREFIX CIDR, or CIDR --dpdk PREFIX); `--dpdk CIDR` alone leaves
			 * CIDR a positional. --dpdk=PREFIX says it outright.
			 */
			if (i + 1 < argc && !is_opt(argv[i + 1]) &&
			    *npos + count_words(d, argc, argv, i + 2) >= d->pos_min)
				val = argv[++i];
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return pg_failf("option '--%s' needs a value (%s)", o->name, o->metavar);
		}
		if (seen[o - d->opts])
			return pg_failf("option '--%s' given twice", o->name);
		seen[o - d->opts] = true;
		if (o->type == PG_OPT_HELP) {
			pg_cmd_help(stdout, d);
			exit(0);
		}
		if (set_value(o, opts, val))
			return 1;
	}
	if (*npos < d->pos_min)
		return pg_failf("%s: missing %s", cmd_name(d, name, sizeof(name)), d->args);
	return 0;
}
