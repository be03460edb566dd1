// SPDX-License-Identifier: BSD-3-Clause
#include "pgconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * Opens a config file for reading, refusing what is not one: O_NONBLOCK so that a FIFO
 * cannot hang the open, then fstat on the opened file (no race with a rename) for the
 * type, owner, mode and size. Returns the fd, or -errno with the reason in err.
 */
static int pg_config_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, flags;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		int e = errno;

		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "config '%s' is not a regular file (%s)", path,
			 S_ISDIR(st.st_mode)			      ? "a directory"
			 : S_ISFIFO(st.st_mode)			      ? "a FIFO"
			 : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
								      : "a special file");
		close(fd);
		return -EINVAL;
	}
	/* Pools decide what a root process rewrites: nobody else may have written them. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "config '%s' is owned by uid %u, not root: refused", path,
			 (unsigned int)st.st_uid);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "config '%s' is writable by others (mode %04o): refused",
			 path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	if ((uint64_t)st.st_size > PG_CONF_SIZE_MAX) {
		snprintf(err, errlen, "config '%s' is larger than %u bytes", path,
			 PG_CONF_SIZE_MAX);
		close(fd);
		return -EFBIG;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

/*
 * The next line of f into line (at most PG_CONF_LINE_MAX bytes and its newline), with its
 * length in *len. 1 with a line, 0 at the end, -EINVAL for a line that is too long or
 * holds a NUL byte (no line is ever split or cut).
 */
static int pg_config_line(FILE *f, char *line, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			break;
		if (c == 0 || n == PG_CONF_LINE_MAX) {
			/* Skip to the end of the line so the caller can name the next one. */
			while (c != EOF && c != '\n')
				c = getc(f);
			*len = n;
			return -EINVAL;
		}
		line[n++] = (char)c;
	}
	line[n] = '\0';
	*len = n;
	return c == EOF && n == 0 ? 0 : 1;
}

static bool pg_cidr_eq(const struct pg_cidr *a, const struct pg_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* One directive; words are split already. 0 or -errno with the reason in err. */
static int pg_config_directive(struct pg_file_config *cfg, char **words, int n,
			       const unsigned int *pool_lines, char *err, size_t errlen)
{
	char cerr[PG_ERRLEN];
	size_t i;

	if (!strcmp(words[0], "pool") && (n == 2 || n == 3)) {
		struct pg_pool_entry e = {.action = PG_ACT_REWRITE};
		struct pg_pool_entry *np;

		if (pg_cidr_parse(words[1], &e.cidr, cerr, sizeof(cerr))) {
			snprintf(err, errlen, "%s", cerr);
			return -EINVAL;
		}
		if (n == 3 && pg_action_parse(words[2], &e.action)) {
			snprintf(err, errlen, "bad action '%s': expected rewrite or strip",
				 words[2]);
			return -EINVAL;
		}
		for (i = 0; i < cfg->n_pools; i++) {
			if (pg_cidr_eq(&cfg->pools[i].cidr, &e.cidr)) {
				snprintf(err, errlen, "pool %s again (first on line %u)", words[1],
					 pool_lines[i]);
				return -EEXIST;
			}
		}
		np = realloc(cfg->pools, (cfg->n_pools + 1) * sizeof(*np));
		if (!np) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		cfg->pools = np;
		cfg->pools[cfg->n_pools++] = e;
		return 0;
	}
	if ((!strcmp(words[0], "max-flows") || !strcmp(words[0], "max-sources")) && n == 2) {
		uint32_t v;

		if (pg_parse_u32(words[1], PG_TABLE_MIN, PG_TABLE_MAX, &v)) {
			snprintf(err, errlen, "%s must be %u..%u", words[0], PG_TABLE_MIN,
				 PG_TABLE_MAX);
			return -EINVAL;
		}
		if (words[0][4] == 'f')
			cfg->max_flows = v;
		else
			cfg->max_sources = v;
		return 0;
	}
	snprintf(err, errlen, "unknown directive '%s' (expected pool, max-flows, max-sources)",
		 words[0]);
	return -EINVAL;
}

int pg_config_load(const char *path, struct pg_file_config *cfg, char *err, size_t errlen)
{
	char line[PG_CONF_LINE_MAX + 1], derr[PG_ERRLEN];
	unsigned int lineno = 0, *pool_lines = NULL, *nl;
	size_t len;
	int rc = 0, fd, r;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	fd = pg_config_open(path, err, errlen);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(-rc));
		return rc;
	}
	while ((r = pg_config_line(f, line, &len)) != 0) {
		char *p, *words[4];
		int n = 0;

		lineno++;
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 len == PG_CONF_LINE_MAX ? "line longer than 511 bytes"
							 : "NUL byte in the line");
			rc = -EINVAL;
			break;
		}
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
		rc = pg_config_directive(cfg, words, n, pool_lines, derr, sizeof(derr));
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, derr);
			break;
		}
		if (!strcmp(words[0], "pool")) {
			nl = realloc(pool_lines, cfg->n_pools * sizeof(*nl));
			if (!nl) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				break;
			}
			pool_lines = nl;
			pool_lines[cfg->n_pools - 1] = lineno;
		}
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(EIO));
	}
	fclose(f);
	free(pool_lines);
	if (rc)
		pg_config_free(cfg);
	return rc;
}

/* Is this line (as read) a pool directive? Those are what pool save replaces. */
static bool pg_line_is_pool(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return !strncmp(line, "pool", 4) && (isspace((unsigned char)line[4]) || !line[4]);
}

static int pg_write_pools(FILE *f, const struct pg_file_config *cfg)
{
	char c[64];
	size_t i;

	for (i = 0; i < cfg->n_pools; i++) {
		pg_cidr_format(&cfg->pools[i].cidr, c, sizeof(c));
		if (fprintf(f, "pool %s %s\n", c, pg_action_name(cfg->pools[i].action)) < 0)
			return -errno;
	}
	return 0;
}

/*
 * The new file's text into f: the old file's lines with its pool lines replaced by the
 * pools of cfg (at the first one's place, or at the end), or a fresh file.
 */
static int pg_config_compose(FILE *f, FILE *old, const struct pg_file_config *cfg)
{
	char line[PG_CONF_LINE_MAX + 1];
	bool done = false;
	size_t len;
	int r, rc;

	if (!old) {
		if (fprintf(f, "# pawsguard pools (pawsguard pool save)\n") < 0)
			return -errno;
		if (cfg->max_flows && fprintf(f, "max-flows %u\n", cfg->max_flows) < 0)
			return -errno;
		if (cfg->max_sources && fprintf(f, "max-sources %u\n", cfg->max_sources) < 0)
			return -errno;
		return pg_write_pools(f, cfg);
	}
	while ((r = pg_config_line(old, line, &len)) != 0) {
		if (r < 0)
			return -EINVAL; /* the loader refuses such a file: do not keep half of it */
		if (pg_line_is_pool(line)) {
			if (!done && (rc = pg_write_pools(f, cfg)))
				return rc;
			done = true;
			continue;
		}
		if (fprintf(f, "%s\n", line) < 0)
			return -errno;
	}
	return done ? 0 : pg_write_pools(f, cfg);
}

static int pg_write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int pg_file_replace(const char *path, const void *buf, size_t len, const struct stat *like,
		    unsigned int mode, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *what = "write";
	int fd, dfd, rc = 0;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash > path ? (int)(slash - path) : 1, path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	/* mkstemp: O_EXCL with a fresh name, never a file or link someone planted. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", dir,
			 strerror(-rc));
		return rc;
	}
	if (fchmod(fd, like ? like->st_mode & 07777 : (mode_t)mode) ||
	    (like && fchown(fd, like->st_uid, like->st_gid))) {
		rc = -errno;
		what = "set the mode of";
	}
	if (!rc)
		rc = pg_write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path)) {
		rc = -errno;
		what = "rename the new file onto";
	}
	if (rc) {
		unlink(tmp);
		snprintf(err, errlen, "cannot %s %s: %s", what, path, strerror(-rc));
		return rc;
	}
	/* The rename itself must reach the disk, or a power cut could undo it. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd)) {
		rc = -errno;
		snprintf(err, errlen, "cannot fsync the directory of %s: %s", path, strerror(-rc));
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int pg_config_save(const char *path, const struct pg_file_config *cfg, char *err, size_t errlen)
{
	char oerr[PG_ERRLEN], *buf = NULL;
	struct stat st;
	FILE *f, *old = NULL;
	size_t len = 0;
	int ofd, rc;

	/* The existing file, read as the loader would: its other lines and its mode stay. */
	ofd = pg_config_open(path, oerr, sizeof(oerr));
	if (ofd < 0 && ofd != -ENOENT) {
		snprintf(err, errlen, "%s", oerr);
		return ofd;
	}
	if (ofd >= 0) {
		old = fstat(ofd, &st) ? NULL : fdopen(ofd, "r");
		if (!old) {
			rc = -errno;
			close(ofd);
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
			return rc;
		}
	}
	/* The new text in memory first: nothing touches the disk before it is complete. */
	f = open_memstream(&buf, &len);
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = pg_config_compose(f, old, cfg);
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc == -EINVAL)
		snprintf(err, errlen, "cannot write %s: %s has a line the loader refuses", path,
			 path);
	else if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	else
		rc = pg_file_replace(path, buf, len, old ? &st : NULL, 0644, err, errlen);
out:
	free(buf);
	if (old)
		fclose(old);
	return rc;
}
