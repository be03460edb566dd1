/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CLI's option machinery, in the xdp-tools way: every command has its own typed option
 * struct and a table of the options it takes (name, type, where in the struct, range, help).
 * Parsing, usage, per-command --help and the man page are all generated from these tables.
 */
#ifndef PAWSGUARD_OPTIONS_H
#define PAWSGUARD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pg_opt_type {
	PG_OPT_HELP,   /* --help: prints the command's help and exits 0 */
	PG_OPT_FLAG,   /* bool */
	PG_OPT_STR,    /* const char *: takes a value */
	PG_OPT_OPTSTR, /* struct pg_optstr: the value is optional (--dpdk [PREFIX]) */
	PG_OPT_U32,    /* struct pg_u32: a number in [min, max] */
	PG_OPT_ENUM,   /* struct pg_u32: the index of the value in choices */
};

struct pg_optstr {
	bool set;
	const char *val; /* NULL when given without a value */
};

struct pg_u32 {
	bool set;
	uint32_t v;
};

struct pg_opt {
	const char *name;
	enum pg_opt_type type;
	size_t off; /* of the field in the command's option struct */
	const char *metavar;
	uint32_t min, max;
	const char *const *choices; /* PG_OPT_ENUM: NULL-terminated */
	const char *help;
};

/* Options most commands take: output format and target selection. */
struct pg_target_sel {
	const char *iface;
	struct pg_optstr dpdk;
};

/* One row of an option table: field is where the value goes in the command's struct T. */
#define PG_OPTION(T, field, nm, ty, mv, lo, hi, ch, hl)                                            \
	{                                                                                          \
		.name = nm, .type = ty, .off = offsetof(T, field), .metavar = mv, .min = lo,       \
		.max = hi, .choices = ch, .help = hl,                                              \
	}
#define PG_OPT_COMMON(T)                                                                           \
	PG_OPTION(T, json, "help", PG_OPT_HELP, NULL, 0, 0, NULL, "show help for this command"),   \
		PG_OPTION(T, json, "json", PG_OPT_FLAG, NULL, 0, 0, NULL, "print JSON")
#define PG_OPT_TARGET(T)                                                                           \
	PG_OPTION(T, target.iface, "iface", PG_OPT_STR, "IFACE", 0, 0, NULL,                       \
		  "the XDP target: pawsguard attached to IFACE"),                                  \
		PG_OPTION(T, target.dpdk, "dpdk", PG_OPT_OPTSTR, "PREFIX", 0, 0, NULL,             \
			  "the DPDK appliance with EAL --file-prefix PREFIX (default rte)")
#define PG_OPT_END                                                                                 \
	{                                                                                          \
		.name = NULL                                                                       \
	}

#define PG_POS_MAX 4

struct pg_cmd {
	const char *verb;
	const char *sub;  /* second word (pool add), or NULL */
	const char *args; /* positional synopsis */
	int pos_min, pos_max;
	const struct pg_opt *opts;
	size_t opts_size; /* of the option struct run() receives */
	int (*run)(const void *opts, const char *const *pos, int npos);
	const char *help;
};

/* The program's name in messages. */
extern const char *pg_prog;

/*
 * One line on stderr: "pawsguard: msg", control characters written as \xHH so that what a
 * user typed (a newline, an escape sequence) cannot break the line or drive the terminal.
 * Returns 1, the exit status of every error.
 */
int pg_fail(const char *msg);
/* printf-style pg_fail. */
int pg_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Finds the command of argv[1] (and argv[2]) in cmds, fills *opts (allocated, zeroed, of the
 * command's opts_size) and pos. 0, or 1 after printing one line; --help prints and exits 0.
 */
int pg_opts_parse(const struct pg_cmd *const *cmds, size_t ncmds, int argc, char **argv,
		  const struct pg_cmd **cmd, void **opts, const char **pos, int *npos);

/* Generated text: the synopsis line of a command, the usage of all, a command's --help. */
void pg_synopsis(FILE *f, const struct pg_cmd *d);
void pg_usage(FILE *f, const struct pg_cmd *const *cmds, size_t ncmds);
void pg_cmd_help(FILE *f, const struct pg_cmd *d);
/* "--name", "--name VALUE", "--name [VALUE]" as the synopsis writes it. */
void pg_opt_form(const struct pg_opt *o, char *buf, size_t len);

#endif /* PAWSGUARD_OPTIONS_H */
