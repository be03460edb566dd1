// SPDX-License-Identifier: BSD-3-Clause
#include "pgconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pawsguard/stats.h"

int pg_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int pg_cidr_parse(const char *s, struct pg_cidr *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	uint32_t len, maxlen;
	size_t alen;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		snprintf(err, errlen, "bad CIDR '%s': expected ADDRESS[/LEN]", s);
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		maxlen = 128;
	} else {
		snprintf(err, errlen, "bad CIDR '%s': '%s' is not an IPv4 or IPv6 address", s, buf);
		return -EINVAL;
	}
	len = maxlen;
	if (slash && pg_parse_u32(slash + 1, 0, maxlen, &len)) {
		snprintf(err, errlen, "bad CIDR '%s': prefix length must be 0..%u", s, maxlen);
		return -EINVAL;
	}
	out->prefixlen = (uint8_t)len;
	/* Clear host bits, as ip(8) would print the prefix. */
	for (i = 0; i < maxlen / 8; i++) {
		int keep = (int)len - (int)i * 8;

		if (keep <= 0)
			out->addr[i] = 0;
		else if (keep < 8)
			out->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return 0;
}

void pg_cidr_format(const struct pg_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
}

int pg_action_parse(const char *s, uint32_t *action)
{
	if (!strcmp(s, "rewrite"))
		*action = PG_ACT_REWRITE;
	else if (!strcmp(s, "strip"))
		*action = PG_ACT_STRIP;
	else
		return -EINVAL;
	return 0;
}

void pg_config_free(struct pg_file_config *cfg)
{
	free(cfg->pools);
	memset(cfg, 0, sizeof(*cfg));
}

static char *pg_strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int pg_config_load(const char *path, struct pg_file_config *cfg, char *err, size_t errlen)
{
	char line[512], cerr[PG_ERRLEN];
	unsigned int lineno = 0;
	int rc = 0;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p, *words[4];
		int n = 0;

		lineno++;
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		p = pg_strip(line);
		while (*p && n < 4) {
			words[n++] = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			if (*p)
				*p++ = '\0';
			p = pg_strip(p);
		}
		if (n == 0)
			continue;
		if (*p) {
			snprintf(err, errlen, "%s:%u: too many words", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (!strcmp(words[0], "pool") && (n == 2 || n == 3)) {
			struct pg_pool_entry e = {.action = PG_ACT_REWRITE};
			struct pg_pool_entry *np;

			if (pg_cidr_parse(words[1], &e.cidr, cerr, sizeof(cerr))) {
				snprintf(err, errlen, "%s:%u: %s", path, lineno, cerr);
				rc = -EINVAL;
				break;
			}
			if (n == 3 && pg_action_parse(words[2], &e.action)) {
				snprintf(err, errlen,
					 "%s:%u: bad action '%s': expected rewrite or strip", path,
					 lineno, words[2]);
				rc = -EINVAL;
				break;
			}
			np = realloc(cfg->pools, (cfg->n_pools + 1) * sizeof(*np));
			if (!np) {
				rc = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				break;
			}
			cfg->pools = np;
			cfg->pools[cfg->n_pools++] = e;
		} else if ((!strcmp(words[0], "max-flows") || !strcmp(words[0], "max-sources")) &&
			   n == 2) {
			uint32_t v;

			if (pg_parse_u32(words[1], 1, 1U << 26, &v)) {
				snprintf(err, errlen, "%s:%u: %s must be 1..%u", path, lineno,
					 words[0], 1U << 26);
				rc = -EINVAL;
				break;
			}
			if (words[0][4] == 'f')
				cfg->max_flows = v;
			else
				cfg->max_sources = v;
		} else {
			snprintf(err, errlen,
				 "%s:%u: unknown directive '%s' (expected pool, max-flows, "
				 "max-sources)",
				 path, lineno, words[0]);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (rc)
		pg_config_free(cfg);
	return rc;
}

int pg_config_save(const char *path, const struct pg_file_config *cfg)
{
	char tmp[PATH_MAX], c[64];
	size_t i;
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "# pawsguard pools (pawsguard pool save)\n");
	if (cfg->max_flows)
		fprintf(f, "max-flows %u\n", cfg->max_flows);
	if (cfg->max_sources)
		fprintf(f, "max-sources %u\n", cfg->max_sources);
	for (i = 0; i < cfg->n_pools; i++) {
		pg_cidr_format(&cfg->pools[i].cidr, c, sizeof(c));
		fprintf(f, "pool %s %s\n", c, pg_action_name(cfg->pools[i].action));
	}
	if (fflush(f) || ferror(f))
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
