/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Userspace helpers shared by the CLI and the DPDK appliance: CIDR and action parsing,
 * and the pool configuration file.
 *
 * Config file format (one directive per line, '#' starts a comment):
 *
 *   pool 203.0.113.0/24 rewrite
 *   pool 2001:db8:100::/48 strip
 *   max-flows 262144
 *   max-sources 65536
 *
 * The action defaults to rewrite. `pawsguard pool save` writes this format back.
 */
#ifndef PAWSGUARD_PGCONF_H
#define PAWSGUARD_PGCONF_H

#include <stddef.h>
#include <stdint.h>

#define PG_ERRLEN 256

/* Table sizes: one range for the CLI, the config file and the appliance. */
#define PG_TABLE_MIN 8U
#define PG_TABLE_MAX (1U << 26)
/* Config files: bounds on what is read (a longer line is an error, never split). */
#define PG_CONF_LINE_MAX 511
#define PG_CONF_SIZE_MAX (16U << 20)

struct pg_cidr {
	uint8_t family;	   /* 4 or 6 */
	uint8_t prefixlen; /* 0..32 or 0..128 */
	uint8_t addr[16];  /* network order; IPv4 in addr[0..3]; host bits cleared */
};

struct pg_pool_entry {
	struct pg_cidr cidr;
	uint32_t action; /* enum pg_action */
};

struct pg_file_config {
	struct pg_pool_entry *pools;
	size_t n_pools;
	uint32_t max_flows;   /* 0: not set */
	uint32_t max_sources; /* 0: not set */
};

/* "a.b.c.d[/n]" or "x:y::z[/n]"; a missing length means a host route. 0 or -EINVAL. */
int pg_cidr_parse(const char *s, struct pg_cidr *out, char *err, size_t errlen);
/* Writes "prefix/len" into buf. */
void pg_cidr_format(const struct pg_cidr *c, char *buf, size_t len);
/* "rewrite" or "strip". 0 or -EINVAL. */
int pg_action_parse(const char *s, uint32_t *action);
/* A decimal number in [min, max]. 0 or -EINVAL / -ERANGE. */
int pg_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * Reads a config file: a regular file, owned by root (or the caller) and not writable by
 * others, at most PG_CONF_SIZE_MAX bytes, lines of at most PG_CONF_LINE_MAX bytes, no NUL
 * byte, no pool twice. 0, or -errno with a one-line reason ("file:line: what") in err.
 */
int pg_config_load(const char *path, struct pg_file_config *cfg, char *err, size_t errlen);
void pg_config_free(struct pg_file_config *cfg);
/*
 * Writes the pools of cfg to path, atomically: a temporary file created exclusively beside
 * it (mkstemp), with the existing file's mode, owner and every line that is not a pool
 * (comments, max-flows, max-sources) kept in place, the pools where the first pool line
 * was; fsync, rename, fsync of the directory. 0, or -errno with a one-line reason in err.
 */
int pg_config_save(const char *path, const struct pg_file_config *cfg, char *err, size_t errlen);

struct stat;
/*
 * Replaces path with buf atomically: a temporary file created exclusively beside it
 * (mkstemp), with like's mode and owner (or mode when like is NULL), written, fsynced,
 * renamed over path, the directory fsynced. 0, or -errno with a one-line reason in err.
 * The config file (pool save) and the appliance's state file are written this way.
 */
int pg_file_replace(const char *path, const void *buf, size_t len, const struct stat *like,
		    unsigned int mode, char *err, size_t errlen);

#endif /* PAWSGUARD_PGCONF_H */
