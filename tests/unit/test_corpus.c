/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet corpus test: every frame of the scapy-built corpus (gen_corpus.py) goes through
 * pg_parse(), then pg_ts_rewrite() and pg_ts_strip() on copies. Results, fields and output
 * bytes must match the corpus exactly; scapy computed the expected checksums from scratch,
 * so this checks the incremental updates against an independent implementation.
 *
 * Usage: test_corpus CORPUS_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pawsguard/parse.h"
#include "pawsguard/stats.h"

struct reason_name {
	const char *name;
	int id;
};

/* Result names as the corpus spells them: the enum ids without their PG_STAT_ prefix. */
#define PG_REASON_NAME(id, name, help) {#id, PG_STAT_##id},
static const struct reason_name reason_names[] = {PG_STATS_LIST(PG_REASON_NAME)};
#undef PG_REASON_NAME

struct corpus_case {
	char *name;
	int result;
	uint32_t family, l3off, thoff, thlen, flags, seq, ts_off, tsval, tsecr;
	uint32_t new_tsval, new_tsecr;
	uint8_t *frame, *rewrite, *strip; /* rewrite/strip NULL: the call must fail */
	size_t len;
};

static int failures;
static const char *cur_case = "";

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s: %s:%d: %s: ", cur_case, __FILE__, __LINE__,      \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

static const char *result_name(int rc)
{
	size_t i;

	if (rc == PG_PARSE_TCP)
		return "TCP";
	for (i = 0; i < PG_ARRAY_SIZE(reason_names); i++)
		if (reason_names[i].id == rc)
			return reason_names[i].name;
	return "?";
}

static int result_id(const char *s)
{
	size_t i;

	if (!strcmp(s, "TCP"))
		return PG_PARSE_TCP;
	for (i = 0; i < PG_ARRAY_SIZE(reason_names); i++)
		if (!strcmp(reason_names[i].name, s))
			return reason_names[i].id;
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "-": NULL (no output expected); ".": an empty frame. Always allocates at least 1 byte. */
static int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *b;

	*out = NULL;
	*len = 0;
	if (!strcmp(s, "-"))
		return 0;
	if (!strcmp(s, "."))
		n = 0;
	if (n % 2)
		return -1;
	b = malloc(n / 2 + 1);
	if (!b)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -1;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

static int parse_line(char *line, struct corpus_case *c)
{
	char *tok[16];
	/* The numeric fields, in corpus order. */
	uint32_t *num[] = {
		&c->family, &c->l3off, &c->thoff, &c->thlen,	 &c->flags,	&c->seq,
		&c->ts_off, &c->tsval, &c->tsecr, &c->new_tsval, &c->new_tsecr,
	};
	size_t i, n = 0, len;
	char *save = NULL, *t;

	for (t = strtok_r(line, " \t\n", &save); t && n < 16; t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	if (n != 16 || strtok_r(NULL, " \t\n", &save))
		return -1;
	memset(c, 0, sizeof(*c));
	c->name = strdup(tok[0]);
	c->result = result_id(tok[1]);
	if (!c->name || c->result < 0)
		return -1;
	for (i = 0; i < PG_ARRAY_SIZE(num); i++) {
		char *e;

		*num[i] = (uint32_t)strtoul(tok[2 + i], &e, 16);
		if (*e)
			return -1;
	}
	if (parse_hex(tok[13], &c->frame, &c->len) || !c->frame)
		return -1;
	if (parse_hex(tok[14], &c->rewrite, &len) || (c->rewrite && len != c->len))
		return -1;
	if (parse_hex(tok[15], &c->strip, &len) || (c->strip && len != c->len))
		return -1;
	return 0;
}

static void hexdump(const char *what, const uint8_t *b, size_t n)
{
	size_t i;

	fprintf(stderr, "  %-8s ", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%02x", b[i]);
	fputc('\n', stderr);
}

/* Exact comparison; on a mismatch show where and both frames. */
static void check_bytes(const char *what, const uint8_t *got, const uint8_t *want, size_t n)
{
	size_t i;

	if (!memcmp(got, want, n))
		return;
	for (i = 0; i < n && got[i] == want[i]; i++)
		;
	failures++;
	fprintf(stderr, "FAIL %s: %s: first difference at byte %zu: got %02x want %02x\n", cur_case,
		what, i, got[i], want[i]);
	hexdump("got", got, n);
	hexdump("want", want, n);
}

/*
 * Is the TCP checksum right? A reference sum over the pseudo-header and the segment, with
 * the segment's length from the IP header: an Ethernet trailer is not part of it. Scapy
 * built every frame, so this also checks that the corpus means what it says.
 */
static bool tcp_csum_valid(const struct corpus_case *c, const uint8_t *f)
{
	const uint8_t *l3 = f + c->l3off, *th = f + c->thoff, *p;
	uint32_t n, i;
	uint64_t s;

	if (c->family == 4) {
		n = (uint32_t)(l3[2] << 8 | l3[3]) - (c->thoff - c->l3off);
		s = PG_IPPROTO_TCP + n;
		p = l3 + 12;
		for (i = 0; i < 8; i += 2)
			s += (uint32_t)(p[i] << 8 | p[i + 1]);
	} else {
		n = 40 + (uint32_t)(l3[4] << 8 | l3[5]) - (c->thoff - c->l3off);
		s = PG_IPPROTO_TCP + (n >> 16) + (n & 0xffff);
		p = l3 + 8;
		for (i = 0; i < 32; i += 2)
			s += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(th[i] << 8 | th[i + 1]);
	if (n & 1)
		s += (uint32_t)th[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* A copy in a buffer of exactly len bytes, so that a sanitizer build sees any overrun. */
static uint8_t *dup_frame(const struct corpus_case *c)
{
	uint8_t *b = malloc(c->len ? c->len : 1);

	if (!b) {
		perror("malloc");
		exit(2);
	}
	memcpy(b, c->frame, c->len);
	return b;
}

static void check_fields(const struct corpus_case *c, const struct pg_pkt *p, const uint8_t *buf,
			 const char *view)
{
	CHECK(p->family == c->family, "%s: family %u want %u", view, p->family, c->family);
	CHECK(p->l3 - buf == (ptrdiff_t)c->l3off, "%s: l3 at %td want %u", view, p->l3 - buf,
	      c->l3off);
	CHECK(p->th - buf == (ptrdiff_t)c->thoff, "%s: th at %td want %u", view, p->th - buf,
	      c->thoff);
	CHECK(p->thlen == c->thlen, "%s: thlen %u want %u", view, p->thlen, c->thlen);
	CHECK(p->flags == c->flags, "%s: flags %#x want %#x", view, p->flags, c->flags);
	CHECK(p->seq == c->seq, "%s: seq %#x want %#x", view, p->seq, c->seq);
	CHECK(p->ts_off == c->ts_off, "%s: ts_off %u want %u", view, p->ts_off, c->ts_off);
	if (c->ts_off) {
		CHECK(p->tsval == c->tsval, "%s: tsval %#x want %#x", view, p->tsval, c->tsval);
		CHECK(p->tsecr == c->tsecr, "%s: tsecr %#x want %#x", view, p->tsecr, c->tsecr);
	}
}

static void run_case(const struct corpus_case *c)
{
	struct pg_pkt pkt, again;
	uint8_t *buf;
	int rc, r;

	cur_case = c->name;

	/* Parse: result, fields, and not a byte written. */
	buf = dup_frame(c);
	memset(&pkt, 0, sizeof(pkt));
	rc = pg_parse(&pkt, buf, buf + c->len);
	CHECK(rc == c->result, "parse returned %s (%d), want %s (%d)", result_name(rc), rc,
	      result_name(c->result), c->result);
	check_bytes("parse", buf, c->frame, c->len);
	if (rc == PG_PARSE_TCP && c->result == PG_PARSE_TCP) {
		check_fields(c, &pkt, buf, "full");
		CHECK(tcp_csum_valid(c, c->frame), "input checksum invalid");
		if (c->rewrite)
			CHECK(tcp_csum_valid(c, c->rewrite), "expected rewrite checksum invalid");
		if (c->strip)
			CHECK(tcp_csum_valid(c, c->strip), "expected strip checksum invalid");
		/*
		 * The same frame seen the way TC egress sees a GSO packet: only the headers are
		 * readable, the length is the whole packet's. Every field must come out the same.
		 */
		memset(&again, 0, sizeof(again));
		r = pg_parse_len(&again, buf, buf + c->thoff + c->thlen, (uint32_t)c->len);
		CHECK(r == PG_PARSE_TCP, "headers-only parse returned %s", result_name(r));
		if (r == PG_PARSE_TCP)
			check_fields(c, &again, buf, "headers-only");
	}
	if (rc != PG_PARSE_TCP)
		CHECK(pkt.ts_off == 0, "ts_off %u left set by a failed parse", pkt.ts_off);
	free(buf);

	/* Rewrite on a fresh copy: expected bytes, or a refusal that leaves the frame alone. */
	buf = dup_frame(c);
	memset(&pkt, 0, sizeof(pkt));
	pg_parse(&pkt, buf, buf + c->len);
	r = pg_ts_rewrite(&pkt, c->new_tsval, c->new_tsecr);
	if (c->rewrite) {
		CHECK(r == 0, "pg_ts_rewrite returned %d", r);
		check_bytes("rewrite", buf, c->rewrite, c->len);
		CHECK(pkt.tsval == c->new_tsval && pkt.tsecr == c->new_tsecr,
		      "pkt values not updated: %#x %#x", pkt.tsval, pkt.tsecr);
		/* The output parses back to the new values. */
		memset(&again, 0, sizeof(again));
		r = pg_parse(&again, buf, buf + c->len);
		CHECK(r == PG_PARSE_TCP && again.ts_off == c->ts_off &&
			      again.tsval == c->new_tsval && again.tsecr == c->new_tsecr,
		      "rewritten frame parses to %s ts_off %u %#x %#x", result_name(r),
		      again.ts_off, again.tsval, again.tsecr);
	} else {
		CHECK(r == -1, "pg_ts_rewrite returned %d on a frame it must not touch", r);
		check_bytes("rewrite (untouched)", buf, c->frame, c->len);
	}
	free(buf);

	/* Strip on a fresh copy. */
	buf = dup_frame(c);
	memset(&pkt, 0, sizeof(pkt));
	pg_parse(&pkt, buf, buf + c->len);
	r = pg_ts_strip(&pkt);
	if (c->strip) {
		CHECK(r == 0, "pg_ts_strip returned %d", r);
		CHECK(pkt.ts_off == 0, "ts_off %u after strip", pkt.ts_off);
		check_bytes("strip", buf, c->strip, c->len);
		/*
		 * The output parses back without a TS option; ten NOPs for one option may push a
		 * NOP-padded header over the option walk's cap, which is not understood either.
		 */
		memset(&again, 0, sizeof(again));
		r = pg_parse(&again, buf, buf + c->len);
		CHECK((r == PG_PARSE_TCP || r == PG_STAT_OPT_CAP) && again.ts_off == 0,
		      "stripped frame parses to %s ts_off %u", result_name(r), again.ts_off);
		/* A second strip finds nothing and changes nothing. */
		CHECK(pg_ts_strip(&pkt) == -1, "second strip did not refuse");
		check_bytes("strip twice", buf, c->strip, c->len);
	} else {
		CHECK(r == -1, "pg_ts_strip returned %d on a frame it must not touch", r);
		check_bytes("strip (untouched)", buf, c->frame, c->len);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	bool seen[PG_STAT_MAX] = {false};
	unsigned int n = 0, n_tcp = 0, n_ts = 0, n_odd = 0, n_fast = 0, lineno = 0;
	struct corpus_case c;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_FILE\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (parse_line(line, &c)) {
			fprintf(stderr, "%s:%u: malformed corpus line\n", argv[1], lineno);
			return 2;
		}
		run_case(&c);
		n++;
		if (c.result == PG_PARSE_TCP)
			n_tcp++;
		else
			seen[c.result] = true;
		if (c.rewrite) {
			n_ts++;
			n_odd += c.ts_off & 1;
			n_fast += c.ts_off == 22 && c.thlen == 32;
		}
		free(c.name);
		free(c.frame);
		free(c.rewrite);
		free(c.strip);
	}
	free(line);
	fclose(f);

	/* The corpus must not silently shrink: every reason and every kind of TS layout. */
	cur_case = "(corpus)";
	for (i = PG_STAT_NOT_IP; i <= PG_STAT_REASON_LAST; i++)
		CHECK(seen[i], "no case for %s", result_name(i));
	CHECK(n_odd >= 5 && n_ts - n_odd >= 5 && n_fast >= 5,
	      "too few TS layouts: %u odd, %u even, %u fast path", n_odd, n_ts - n_odd, n_fast);
	CHECK(n >= 100, "only %u cases", n);

	printf("%u cases (%u TCP, %u with a TS option: %u at odd offsets, %u fast path), "
	       "%d failures\n",
	       n, n_tcp, n_ts, n_odd, n_fast, failures);
	return failures ? 1 : 0;
}
