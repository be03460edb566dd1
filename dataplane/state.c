// SPDX-License-Identifier: BSD-3-Clause
/*
 * --state FILE: the flow and source tables across a planned restart (docs/DESIGN.md,
 * "Restart and failover"). On SIGINT/SIGTERM, once the workers have stopped, every worker's
 * tables go to FILE, atomically (a temporary file in the same directory, fsync, rename,
 * fsync of the directory): a crash mid-write leaves the previous file or none, never half
 * of one. At start, before any port forwards, FILE is read back if it is younger than the
 * source TTL, each entry placed on the worker that owns its client address under the
 * current worker count. A file that is not this build's layout, truncated, corrupt or stale
 * is refused with one line and the appliance starts empty: learning from the server's echo
 * (pipeline.h) recovers every flow anyway; the file only saves that round trip.
 *
 * A loaded file is removed: it is a snapshot of the moment the previous run stopped, and
 * after a crash of this run (no new file written) it would bring back offsets of 4-tuples
 * that new connections have taken since, which learning cannot correct (the entry is live).
 *
 * Layout (version 1, native byte order: the file never leaves the machine), all integers
 * little-endian on x86:
 *   header, 64 bytes: magic "pgstate\0", u32 version, u32 header size, u16 sizes of a flow
 *   record, a source record, struct pg_flow, struct pg_source, struct pg_flow_key, struct
 *   pg_addr, u32 workers that wrote it, u64 realtime ns when written, u64 flows, u64
 *   sources, u32 CRC-32 (IEEE, as zlib's crc32) of the whole file with this field 0, u32 0;
 *   then the flow records (key, class, value), established first and then the unconfirmed
 *   ones oldest first; then the source records (address, value).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pawsguard/translate.h"
#include "pg_dpdk.h"
#include "tables.h"

#define PG_PROG		  "pawsguard-dpdk"
#define PG_STATE_VERSION  1
#define PG_STATE_MAGIC	  "pgstate"
#define PG_STATE_MAX_RECS (1ULL << 28) /* per kind: far above any table (--max-flows <= 2^26) */

struct pg_state_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint16_t flow_rec_size;
	uint16_t src_rec_size;
	uint16_t flow_size;
	uint16_t source_size;
	uint16_t key_size;
	uint16_t addr_size;
	uint32_t workers;
	uint64_t written_ns;
	uint64_t n_flows;
	uint64_t n_sources;
	uint32_t crc;
	uint32_t reserved;
};

struct pg_state_flow {
	struct pg_flow_key key;
	uint8_t unconf;
	uint8_t pad[3];
	struct pg_flow f;
};

struct pg_state_src {
	struct pg_addr addr;
	struct pg_source s;
};

_Static_assert(sizeof(struct pg_state_hdr) == 64, "state header");
_Static_assert(offsetof(struct pg_state_hdr, written_ns) == 32, "state header written_ns");
_Static_assert(offsetof(struct pg_state_hdr, crc) == 56, "state header crc");
_Static_assert(sizeof(struct pg_state_flow) == 72, "state flow record");
_Static_assert(sizeof(struct pg_state_src) == 80, "state source record");

/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320), table-driven. */
static uint32_t pg_crc_table[256];

static uint32_t pg_crc32_ieee(uint32_t crc, const uint8_t *p, size_t n)
{
	uint32_t c, k;

	if (!pg_crc_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			pg_crc_table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = pg_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void pg_state_hdr_layout(struct pg_state_hdr *h)
{
	memcpy(h->magic, PG_STATE_MAGIC, sizeof(PG_STATE_MAGIC));
	h->version = PG_STATE_VERSION;
	h->hdr_size = sizeof(*h);
	h->flow_rec_size = sizeof(struct pg_state_flow);
	h->src_rec_size = sizeof(struct pg_state_src);
	h->flow_size = sizeof(struct pg_flow);
	h->source_size = sizeof(struct pg_source);
	h->key_size = sizeof(struct pg_flow_key);
	h->addr_size = sizeof(struct pg_addr);
}

/* CRC of a whole file image, its own field taken as 0. */
static uint32_t pg_state_crc(const uint8_t *buf, size_t len)
{
	static const uint32_t zero;
	size_t off = offsetof(struct pg_state_hdr, crc);
	uint32_t c;

	c = pg_crc32_ieee(0, buf, off);
	c = pg_crc32_ieee(c, (const uint8_t *)&zero, sizeof(zero));
	return pg_crc32_ieee(c, buf + off + sizeof(zero), len - off - sizeof(zero));
}

/* The directory FILE lives in (its temporary file goes there too). */
static void pg_state_dir(const char *path, char *dir, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, len, "%s", dirname(tmp));
}

int pg_state_check_path(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	if (!*path || strlen(path) >= PATH_MAX - 16) {
		snprintf(err, errlen, "--state: bad file name '%s'", path);
		return -EINVAL;
	}
	pg_state_dir(path, dir, sizeof(dir));
	if (stat(dir, &st)) {
		snprintf(err, errlen, "--state %s: directory %s: %s", path, dir, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--state %s: %s is not a directory", path, dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "--state %s: cannot write in %s: %s", path, dir,
			 strerror(errno));
		return -EACCES;
	}
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return 0; /* the first run: written at the end */
		snprintf(err, errlen, "--state %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--state %s: not a regular file", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--state %s: cannot read: %s", path, strerror(errno));
		return -EACCES;
	}
	close(fd);
	return 0;
}

/* ---- save ---- */

/* A flow slot's key and class as a record: IPv4 slots hold the short key. */
static void pg_state_flow_rec(struct pg_state_flow *r, const void *slot, bool v4)
{
	if (v4) {
		const struct pg_flow4_slot *s = slot;

		pg_flow_key_from4(&s->key, &r->key);
		r->unconf = s->unconf;
		r->f = s->f;
	} else {
		const struct pg_flow_slot *s = slot;

		r->key = s->key;
		r->unconf = s->unconf;
		r->f = s->f;
	}
}

/*
 * One worker's flows into fr[*fi..n): per family, the established ones, then the unconfirmed
 * ones oldest first, so that a reader rebuilds the same eviction order.
 */
static void pg_state_save_flows(struct pg_worker *w, struct pg_state_flow *fr, uint64_t n,
				uint64_t *fi, uint64_t *n_est, uint64_t *n_unc)
{
	struct pg_table *tabs[2] = {&w->flow.t4, &w->flow.t6}, *t;
	uint32_t pos, steps;
	const uint8_t *slot;
	int v;

	for (v = 0; v < 2; v++) {
		t = tabs[v];
		for (pos = 0; pos < t->size && *fi < n; pos++) {
			slot = pg_tab_slot(t, pos);
			/* used, then the class byte (pg_dpdk.h) */
			if (!slot[t->used_off] || slot[t->used_off + 1])
				continue;
			pg_state_flow_rec(&fr[(*fi)++], slot, v == 0);
			(*n_est)++;
		}
		for (pos = t->uhead, steps = 0; pos != PG_NIL && steps < t->nunconf && *fi < n;
		     pos = t->ulink[pos].next, steps++) {
			pg_state_flow_rec(&fr[(*fi)++], pg_tab_slot(t, pos), v == 0);
			(*n_unc)++;
		}
	}
}

int pg_state_save(const char *path)
{
	uint64_t n_flows = 0, n_src = 0, n_est = 0, n_unc = 0, fi = 0, si = 0;
	struct pg_state_hdr *h;
	struct pg_state_flow *fr;
	struct pg_state_src *sr;
	char err[PG_ERRLEN];
	unsigned int k;
	uint32_t pos;
	uint8_t *buf;
	size_t len;
	int rc;

	for (k = 0; k < pg_app.n_workers; k++) {
		n_flows += pg_app.workers[k].flow.used;
		n_src += pg_app.workers[k].src.used;
	}
	len = sizeof(*h) + n_flows * sizeof(*fr) + n_src * sizeof(*sr);
	buf = calloc(1, len);
	if (!buf) {
		fprintf(stderr, PG_PROG ": cannot save state to %s: out of memory\n", path);
		return -ENOMEM;
	}
	h = (struct pg_state_hdr *)buf;
	fr = (struct pg_state_flow *)(h + 1);
	sr = (struct pg_state_src *)(fr + n_flows);
	for (k = 0; k < pg_app.n_workers; k++) {
		struct pg_worker *w = &pg_app.workers[k];

		pg_state_save_flows(w, fr, n_flows, &fi, &n_est, &n_unc);
		for (pos = 0; pos < w->src.size && si < n_src; pos++) {
			struct pg_src_slot *s = pg_src_slot_at(w, (int32_t)pos);

			if (!s->used)
				continue;
			sr[si].addr = s->key;
			sr[si].s = s->s;
			si++;
		}
	}
	/* Counts as written: a table whose FIFO lost an entry must not leave a zero record. */
	if (fi < n_flows) {
		memmove(fr + fi, sr, si * sizeof(*sr));
		n_flows = fi;
	}
	len = sizeof(*h) + n_flows * sizeof(*fr) + si * sizeof(*sr);
	pg_state_hdr_layout(h);
	h->workers = pg_app.n_workers;
	h->written_ns = pg_realtime_ns();
	h->n_flows = n_flows;
	h->n_sources = si;
	h->crc = pg_state_crc(buf, len);
	/* Owner only: the file holds every flow's offset. */
	rc = pg_file_replace(path, buf, len, NULL, 0600, err, sizeof(err));
	free(buf);
	if (rc) {
		fprintf(stderr, PG_PROG ": cannot save state: %s\n", err);
		return rc;
	}
	printf(PG_PROG ": state saved to %s: %" PRIu64 " flows (%" PRIu64 " established, %" PRIu64
		       " unconfirmed), %" PRIu64 " sources\n",
	       path, n_flows, n_est, n_unc, si);
	fflush(stdout);
	return 0;
}

/* ---- load ---- */

struct pg_order {
	uint64_t last_ns;
	uint64_t i;
};

/* Most recently used first: what a full table keeps. */
static int pg_order_cmp(const void *a, const void *b)
{
	const struct pg_order *x = a, *y = b;

	return x->last_ns < y->last_ns ? 1 : x->last_ns > y->last_ns ? -1 : 0;
}

static void __rte_format_printf(2, 3) pg_state_refuse(const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf(PG_PROG ": state %s: %s: starting empty\n", path, msg);
	fflush(stdout);
}

/* The whole file, read with bounds; NULL after one line saying why not. */
static uint8_t *pg_state_read(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t k;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			printf(PG_PROG ": state %s: none yet, starting empty\n", path);
		else
			pg_state_refuse(path, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pg_state_refuse(path, "not a regular file");
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size < sizeof(struct pg_state_hdr) ||
	    (uint64_t)st.st_size > sizeof(struct pg_state_hdr) +
					   PG_STATE_MAX_RECS * (sizeof(struct pg_state_flow) +
								sizeof(struct pg_state_src))) {
		pg_state_refuse(path, "%" PRIu64 " bytes: not a pawsguard state file",
				(uint64_t)st.st_size);
		close(fd);
		return NULL;
	}
	*len = (size_t)st.st_size;
	buf = malloc(*len);
	if (!buf) {
		pg_state_refuse(path, "out of memory for %zu bytes", *len);
		close(fd);
		return NULL;
	}
	while (got < *len) {
		k = read(fd, buf + got, *len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got < *len) {
		pg_state_refuse(path, "read %zu of %zu bytes", got, *len);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Is the image this build's, whole and fresh? One line when not. */
static bool pg_state_valid(const char *path, const uint8_t *buf, size_t len, uint64_t now)
{
	struct pg_state_hdr want = {0}, h;
	uint64_t body = len - sizeof(h), age;

	memcpy(&h, buf, sizeof(h));
	pg_state_hdr_layout(&want);
	if (memcmp(h.magic, want.magic, sizeof(h.magic))) {
		pg_state_refuse(path, "not a pawsguard state file");
		return false;
	}
	if (h.version != want.version || h.hdr_size != want.hdr_size ||
	    h.flow_rec_size != want.flow_rec_size || h.src_rec_size != want.src_rec_size ||
	    h.flow_size != want.flow_size || h.source_size != want.source_size ||
	    h.key_size != want.key_size || h.addr_size != want.addr_size) {
		pg_state_refuse(path,
				"layout %u (header %u, flow %u/%u, source %u/%u bytes) is not "
				"this build's layout %u (header %u, flow %u/%u, source %u/%u)",
				h.version, h.hdr_size, h.flow_rec_size, h.flow_size, h.src_rec_size,
				h.source_size, want.version, want.hdr_size, want.flow_rec_size,
				want.flow_size, want.src_rec_size, want.source_size);
		return false;
	}
	if (h.n_flows > PG_STATE_MAX_RECS || h.n_sources > PG_STATE_MAX_RECS ||
	    h.n_flows * sizeof(struct pg_state_flow) + h.n_sources * sizeof(struct pg_state_src) !=
		    body) {
		pg_state_refuse(path,
				"%zu bytes do not hold its %" PRIu64 " flows and %" PRIu64
				" sources (truncated?)",
				len, h.n_flows, h.n_sources);
		return false;
	}
	if (pg_state_crc(buf, len) != h.crc) {
		pg_state_refuse(path, "checksum mismatch (corrupt)");
		return false;
	}
	if (!pg_age_below(now, h.written_ns, pg_app.cfg.source_ttl_ns)) {
		age = now - h.written_ns;
		pg_state_refuse(path,
				"written %" PRIu64 ".%03" PRIu64 " s ago, older than the source "
				"TTL (%" PRIu64 " s)",
				(uint64_t)(age / PG_SEC_NS), (uint64_t)(age % PG_SEC_NS / 1000000),
				(uint64_t)(pg_app.cfg.source_ttl_ns / PG_SEC_NS));
		return false;
	}
	return true;
}

struct pg_load_count {
	uint64_t est;
	uint64_t unc;
	uint64_t src;
	uint64_t expired;
	uint64_t no_room;
};

/*
 * Established flows, most recently used first while their owner has room; then the
 * unconfirmed ones in FIFO order, dropping each owner's oldest beyond its room: a table
 * too small for the file loses unconfirmed entries first. A key twice in a (corrupt but
 * well-formed) file keeps its first record and counts the other as without room.
 */
static int pg_load_flows(const struct pg_state_flow *fr, uint64_t n, uint64_t now,
			 struct pg_load_count *c)
{
	unsigned int nw = pg_app.n_workers, o;
	uint64_t skip[2 * PG_MAX_WORKERS] = {0}, i, ne = 0, room;
	struct pg_order *ord;
	struct pg_flow_key k;
	struct pg_flow f;

	ord = malloc((n ? n : 1) * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(&f, &fr[i].f, sizeof(f));
		if (!pg_flow_live(&f, now, &pg_app.cfg)) {
			c->expired++;
			continue;
		}
		if (!fr[i].unconf)
			ord[ne++] = (struct pg_order){.last_ns = f.last_ns, .i = i};
	}
	qsort(ord, ne, sizeof(*ord), pg_order_cmp);
	for (i = 0; i < ne; i++) {
		memcpy(&k, &fr[ord[i].i].key, sizeof(k));
		memcpy(&f, &fr[ord[i].i].f, sizeof(f));
		o = pg_owner_of(&k.client, nw);
		if (pg_tab_restore_flow(&pg_app.workers[o], &k, &f, false))
			c->no_room++;
		else
			c->est++;
	}
	free(ord);
	/*
	 * Unconfirmed: how many each owner's table of each family must drop, then the rest
	 * oldest first.
	 */
	for (i = 0; i < n; i++) {
		memcpy(&f, &fr[i].f, sizeof(f));
		if (fr[i].unconf && pg_flow_live(&f, now, &pg_app.cfg)) {
			memcpy(&k, &fr[i].key, sizeof(k));
			skip[2 * pg_owner_of(&k.client, nw) + !pg_flow_key_is4(&k)]++;
		}
	}
	for (o = 0; o < 2 * nw; o++) {
		room = pg_tab_flow_room(&pg_app.workers[o / 2], !(o & 1));
		skip[o] = skip[o] > room ? skip[o] - room : 0;
	}
	for (i = 0; i < n; i++) {
		memcpy(&f, &fr[i].f, sizeof(f));
		if (!fr[i].unconf || !pg_flow_live(&f, now, &pg_app.cfg))
			continue;
		memcpy(&k, &fr[i].key, sizeof(k));
		o = pg_owner_of(&k.client, nw);
		if (skip[2 * o + !pg_flow_key_is4(&k)]) {
			skip[2 * o + !pg_flow_key_is4(&k)]--;
			c->no_room++;
			continue;
		}
		if (pg_tab_restore_flow(&pg_app.workers[o], &k, &f, true))
			c->no_room++;
		else
			c->unc++;
	}
	return 0;
}

static int pg_load_sources(const struct pg_state_src *sr, uint64_t n, uint64_t now,
			   struct pg_load_count *c)
{
	struct pg_order *ord;
	struct pg_source s;
	struct pg_addr a;
	uint64_t i, ns = 0;

	ord = malloc((n ? n : 1) * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(&s, &sr[i].s, sizeof(s));
		if (!pg_source_fresh(&s, now, &pg_app.cfg))
			c->expired++;
		else
			ord[ns++] = (struct pg_order){.last_ns = s.last_ns, .i = i};
	}
	qsort(ord, ns, sizeof(*ord), pg_order_cmp);
	for (i = 0; i < ns; i++) {
		memcpy(&a, &sr[ord[i].i].addr, sizeof(a));
		memcpy(&s, &sr[ord[i].i].s, sizeof(s));
		if (pg_tab_restore_source(&pg_app.workers[pg_owner_of(&a, pg_app.n_workers)], &a,
					  &s))
			c->no_room++;
		else
			c->src++;
	}
	free(ord);
	return 0;
}

void pg_state_load(const char *path)
{
	struct pg_load_count c = {0};
	struct pg_state_hdr h;
	uint64_t now = pg_realtime_ns(), age;
	uint8_t *buf;
	size_t len = 0;
	int rc;

	buf = pg_state_read(path, &len);
	if (!buf)
		return;
	if (!pg_state_valid(path, buf, len, now)) {
		free(buf);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	rc = pg_load_flows((const struct pg_state_flow *)(buf + sizeof(h)), h.n_flows, now, &c);
	if (!rc)
		rc = pg_load_sources(
			(const struct pg_state_src *)(buf + sizeof(h) +
						      h.n_flows * sizeof(struct pg_state_flow)),
			h.n_sources, now, &c);
	free(buf);
	if (rc) {
		printf(PG_PROG ": state %s: %s while loading: %" PRIu64 " flows, %" PRIu64
			       " sources loaded\n",
		       path, strerror(-rc), c.est + c.unc, c.src);
		fflush(stdout);
		return;
	}
	/* Consumed: see the top of this file. */
	if (unlink(path))
		fprintf(stderr, PG_PROG ": state %s: cannot remove after loading: %s\n", path,
			strerror(errno));
	age = (int64_t)(now - h.written_ns) > 0 ? now - h.written_ns : 0;
	printf(PG_PROG ": state loaded from %s (written %" PRIu64 ".%03" PRIu64
		       " s ago by %u worker(s)): %" PRIu64 " flows (%" PRIu64
		       " established, %" PRIu64 " unconfirmed), %" PRIu64
		       " sources on %u worker(s); skipped %" PRIu64 " expired, %" PRIu64
		       " without room\n",
	       path, (uint64_t)(age / PG_SEC_NS), (uint64_t)(age % PG_SEC_NS / 1000000), h.workers,
	       c.est + c.unc, c.est, c.unc, c.src, pg_app.n_workers, c.expired, c.no_room);
	fflush(stdout);
}
