// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-packet cost of pawsguard's XDP ingress at scale, by BPF_PROG_TEST_RUN, beside a floor
 * program measured the same way on the same table (scale_xdp.bpf.c says what each does).
 *
 * For each size (N flows from N/4 sources; 1,024 and 4,194,304 by default), the maps are
 * sized as the loader sizes them (--max-flows N: all four flow maps; --max-sources N/4) and
 * filled from here with BPF_MAP_UPDATE_BATCH: N established flows in pg_flows4, N handshakes
 * on other 4-tuples (server port 81) in pg_uflows4, N/4 sources in pg_sources. Then, on one
 * CPU, every repeat of a run is a packet of a different flow drawn uniformly at random:
 *
 *   established  a segment of an established flow: the fast path (TSval rewrite)
 *   syn          a pool SYN with a new ISN on a handshake's 4-tuple: pool, source and both
 *                flow tables looked up, a TSval claimed for the source, the entry re-made
 *   floor        the floor program on the established flows
 *
 * A run costs the walk (drawing a flow and writing it into the frame) plus the program. The
 * walk's cost is measured on one flow: the walking program on flow 0 against the plain one
 * on flow 0's frame; it is subtracted, and so is an XDP_PASS program's cost: "net" is what
 * the program itself costs per packet. Every run is checked by the programs' counters (each
 * packet took the path it was meant to). Times are the thread's CPU time over the run
 * (fractions of a ns; preemption by other tasks not counted), median of the rounds.
 *
 * Memory: "memlock" of each map in /proc/self/fdinfo (the kernel's own accounting of the
 * map's memory: elements, buckets, LRU lists) divided by its max_entries.
 *
 * Usage: pg-bench-scale-xdp [--obj FILE] [--rounds R] [--ms MS] [--size FLOWS]...
 *        (root; FLOWS a power of two >= 4; the first size is the base)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pawsguard/types.h"
#include "testpkt.h"
#include "pgutil.h"
#include "scale_xdp.h"
/* After the structs its globals are made of. */
#include "scale_xdp.skel.h"

#define MAX_SIZES   4
#define MAX_ROUNDS  31
#define FILL_CHUNK  65536
#define FRAME_TSVAL 5000u
#define SYN_SPORT   81

/* --best: the fastest round instead of the median (steps compared on a busy machine). */
static bool best;

enum { C_PASS, C_INGRESS1, C_WALK1, C_EST, C_FLOOR1, C_FLOORWALK1, C_FLOOR, C_SYN, C_NR };

static const char *const case_names[C_NR] = {
	"XDP_PASS",
	"pg_xdp_ingress, flow 0",
	"pg_xdp_scale, flow 0",
	"pg_xdp_scale, established, all flows",
	"pg_floor, flow 0",
	"pg_floor_scale, flow 0",
	"pg_floor_scale, all flows",
	"pg_xdp_scale, pool SYN, all flows",
};

struct bench {
	struct bpf_object *obj;
	int prog[C_NR];
	struct bpf_map *flows4, *flows6, *uflows4, *uflows6, *sources, *pools4, *config, *stats,
		*walk, *floor_count;
	uint32_t flows, srcs;
	int ncpus;
	uint8_t est[256], syn[256]; /* frames of flow 0: a segment, a SYN */
	size_t elen, slen;
	uint32_t repeat[C_NR];
	double t[C_NR][MAX_ROUNDS];
};

struct result {
	uint32_t flows, srcs;
	double ns[C_NR];	/* median, gross */
	double est, floor, syn; /* net */
	double walk, floor_walk;
	double bytes_flow4, bytes_flow6, bytes_uflow4, bytes_uflow6, bytes_source;
	uint64_t memlock_all;
};

static void die(const char *what)
{
	fprintf(stderr, "pg-bench-scale-xdp: %s\n", what);
	exit(1);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * PG_SEC_NS + (uint64_t)ts.tv_nsec;
}

/* The kernel's accounting of a map's memory (fdinfo "memlock"). */
static uint64_t map_memlock(const struct bpf_map *m)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_map__fd(m));
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

static double per_entry(const struct bpf_map *m)
{
	return (double)map_memlock(m) / bpf_map__max_entries(m);
}

/* Sum of one counter over CPUs (the stats map's value starts with struct pg_stats). */
static uint64_t stat_sum(struct bench *b, struct bpf_map *m, int id)
{
	size_t vs = (bpf_map__value_size(m) + 7) & ~(size_t)7;
	uint8_t *buf = calloc((size_t)b->ncpus, vs);
	uint32_t zero = 0;
	uint64_t n = 0, v;
	int cpu;

	if (!buf || bpf_map_lookup_elem(bpf_map__fd(m), &zero, buf))
		die("cannot read counters");
	for (cpu = 0; cpu < b->ncpus; cpu++) {
		memcpy(&v, buf + (size_t)cpu * vs + (size_t)id * 8, 8);
		n += v;
	}
	free(buf);
	return n;
}

static void walk_set(struct bench *b, uint32_t flows, bool seq)
{
	struct pg_bench_walk w = {
		.rng = 0x9e3779b97f4a7c15ULL ^ clock_ns(CLOCK_MONOTONIC),
		.flow_mask = flows - 1,
		.src_mask = b->srcs - 1,
		.src_shift = (uint32_t)__builtin_ctz(b->srcs),
		.tsval = pg_htonl(FRAME_TSVAL),
		.seq = seq,
	};
	uint32_t zero = 0;

	if (!w.rng)
		w.rng = 1;
	if (bpf_map_update_elem(bpf_map__fd(b->walk), &zero, &w, BPF_ANY))
		die("cannot set the flow walk");
}

/* ns per repeat: the thread's CPU time over the whole run. */
static double run(int prog, const uint8_t *pkt, size_t len, uint32_t repeat)
{
	uint8_t out[256];
	uint64_t t0, t1;
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (bpf_prog_test_run_opts(prog, &o))
		die("BPF_PROG_TEST_RUN failed");
	t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (o.retval != XDP_PASS)
		die("a program did not pass the frame (frame too short?)");
	return (double)(t1 - t0) / repeat;
}

/* Ethernet + IPv4 + TCP (NOP NOP TS) + 64 bytes, of flow 0 (checksums are not checked). */
static size_t frame(uint8_t *p, uint8_t flags, uint16_t sport)
{
	uint8_t src[4], dst[4];

	pg_put_be32(src, PG_BENCH_SRC);
	pg_put_be32(dst, PG_BENCH_SERVER);
	return pg_test_frame4(p, 6, src, dst, PG_BENCH_PORT0, sport, flags, 1000, FRAME_TSVAL,
			      flags == 0x02 ? 0 : 4242);
}

static void key_of(const struct bench *b, uint32_t i, uint16_t sport, struct pg_flow_key4 *k)
{
	k->client = pg_htonl(PG_BENCH_SRC + (i & (b->srcs - 1)));
	k->server = pg_htonl(PG_BENCH_SERVER);
	k->cport = pg_htons((uint16_t)(PG_BENCH_PORT0 + (i >> __builtin_ctz(b->srcs))));
	k->sport = pg_htons(sport);
}

static void fill(int fd, const void *keys, const void *vals, uint32_t n, const char *what)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	uint32_t count = n;

	if (bpf_map_update_batch(fd, keys, vals, &count, &o) || count != n) {
		fprintf(stderr, "pg-bench-scale-xdp: filling %s: %s (%u of %u)\n", what,
			strerror(errno), count, n);
		exit(1);
	}
}

/* Established flows, handshakes and sources, as the programs would have left them. */
static void fill_tables(struct bench *b)
{
	struct pg_flow_key4 *keys = calloc(FILL_CHUNK, sizeof(*keys));
	struct pg_flow *vals = calloc(FILL_CHUNK, sizeof(*vals));
	struct pg_addr *skeys = calloc(FILL_CHUNK, sizeof(*skeys));
	struct pg_source *svals = calloc(FILL_CHUNK, sizeof(*svals));
	uint64_t now = clock_ns(CLOCK_REALTIME), vnow = now / 1000000, behind;
	uint32_t i, j, n;
	int cls;

	if (!keys || !vals || !skeys || !svals)
		die("out of memory");
	/* A position a day or more behind the clock whose low 32 bits are the frame's TSval. */
	behind = ((vnow - 86400000) & ~0xffffffffULL) | FRAME_TSVAL;
	if (behind > vnow - 86400000)
		behind -= 1ULL << 32;
	for (cls = 0; cls < 2; cls++) {
		for (i = 0; i < b->flows; i += n) {
			n = b->flows - i < FILL_CHUNK ? b->flows - i : FILL_CHUNK;
			for (j = 0; j < n; j++) {
				struct pg_flow *f = &vals[j];

				key_of(b, i + j, cls ? SYN_SPORT : 80, &keys[j]);
				memset(f, 0, sizeof(*f));
				f->last_ns = now;
				f->syn_raw = FRAME_TSVAL;
				if (cls) {
					/* A handshake: offset and position from its SYN's claim. */
					f->state = PG_FS_SYN;
					f->syn_seq = 1;
					f->fwd_pub = vnow + 10;
					f->offset = (uint32_t)f->fwd_pub - FRAME_TSVAL;
				} else {
					/* TSval' = TSval, behind the clock: nothing to publish. */
					f->state = PG_FS_EST;
					f->fwd_pub = behind;
				}
			}
			fill(bpf_map__fd(cls ? b->uflows4 : b->flows4), keys, vals, n,
			     cls ? "pg_uflows4" : "pg_flows4");
		}
	}
	for (i = 0; i < b->srcs; i += n) {
		n = b->srcs - i < FILL_CHUNK ? b->srcs - i : FILL_CHUNK;
		for (j = 0; j < n; j++) {
			memset(&skeys[j], 0, sizeof(skeys[j]));
			skeys[j].w[2] = pg_htonl(0xffff);
			skeys[j].w[3] = pg_htonl(PG_BENCH_SRC + i + j);
			memset(&svals[j], 0, sizeof(svals[j]));
			svals[j].last_ns = svals[j].raw_ns = now;
			svals[j].max_fwd = vnow + 10;
			svals[j].raw_max = FRAME_TSVAL;
			svals[j].syns = 8;
			svals[j].flows = 8;
			svals[j].action = PG_ACT_REWRITE;
		}
		fill(bpf_map__fd(b->sources), skeys, svals, n, "pg_sources");
	}
	free(keys);
	free(vals);
	free(skeys);
	free(svals);
}

/* Every flow and source must be there: an LRU map that evicted during the fill would not. */
static void check_tables(struct bench *b)
{
	struct pg_flow_key4 k;
	struct pg_addr a = {0};
	struct pg_flow f;
	struct pg_source s;
	uint32_t i, step = b->flows > 65536 ? 61 : 1;

	for (i = 0; i < b->flows; i += step) {
		key_of(b, i, 80, &k);
		if (bpf_map_lookup_elem(bpf_map__fd(b->flows4), &k, &f))
			die("an established flow is missing after the fill");
		key_of(b, i, SYN_SPORT, &k);
		if (bpf_map_lookup_elem(bpf_map__fd(b->uflows4), &k, &f))
			die("a handshake is missing after the fill");
	}
	a.w[2] = pg_htonl(0xffff);
	for (i = 0; i < b->srcs; i += step) {
		a.w[3] = pg_htonl(PG_BENCH_SRC + i);
		if (bpf_map_lookup_elem(bpf_map__fd(b->sources), &a, &s))
			die("a source is missing after the fill");
	}
}

static struct bpf_map *map_of(struct bench *b, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, name);

	if (!m) {
		fprintf(stderr, "pg-bench-scale-xdp: no map %s in the object\n", name);
		exit(1);
	}
	return m;
}

static int prog_of(struct bench *b, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(b->obj, name);

	if (!p) {
		fprintf(stderr, "pg-bench-scale-xdp: no program %s in the object\n", name);
		exit(1);
	}
	return bpf_program__fd(p);
}

static void bench_open(struct bench *b, const char *objpath, uint32_t flows)
{
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	struct pg_lpm4_key pk = {.prefixlen = 8, .addr = {10, 0, 0, 0}};
	struct pg_pool_val pv = {.action = PG_ACT_REWRITE};
	uint32_t zero = 0;
	size_t sz = 0;
	int rc;

	b->flows = flows;
	b->srcs = flows / 4;
	if (objpath) {
		b->obj = bpf_object__open_file(objpath, NULL);
	} else {
		const void *elf = scale_xdp_bpf__elf_bytes(&sz);

		b->obj = bpf_object__open_mem(elf, sz, NULL);
	}
	if (!b->obj)
		die("cannot open the BPF object");
	b->flows4 = map_of(b, "pg_flows4");
	b->flows6 = map_of(b, "pg_flows6");
	b->uflows4 = map_of(b, "pg_uflows4");
	b->uflows6 = map_of(b, "pg_uflows6");
	b->sources = map_of(b, "pg_sources");
	b->pools4 = map_of(b, "pg_pools4");
	b->stats = map_of(b, "pg_stats");
	b->walk = map_of(b, ".data.pg_bench");
	b->floor_count = map_of(b, "pg_floor_count");
	/* The configuration: a map of its own, or a global in a section of its own. */
	b->config = bpf_object__find_map_by_name(b->obj, "pg_config");
	if (!b->config)
		b->config = map_of(b, ".data.pg_config");
	/* As the loader does with --max-flows N --max-sources N/4. */
	bpf_map__set_max_entries(b->flows4, flows);
	bpf_map__set_max_entries(b->flows6, flows);
	bpf_map__set_max_entries(b->uflows4, flows);
	bpf_map__set_max_entries(b->uflows6, flows);
	bpf_map__set_max_entries(b->sources, b->srcs);
	rc = bpf_object__load(b->obj);
	if (rc) {
		fprintf(stderr, "pg-bench-scale-xdp: cannot load the BPF object: %s\n",
			strerror(-rc));
		exit(1);
	}
	b->prog[C_PASS] = prog_of(b, "pg_xdp_pass");
	b->prog[C_INGRESS1] = prog_of(b, "pg_xdp_ingress");
	b->prog[C_WALK1] = b->prog[C_EST] = b->prog[C_SYN] = prog_of(b, "pg_xdp_scale");
	b->prog[C_FLOOR1] = prog_of(b, "pg_floor");
	b->prog[C_FLOORWALK1] = b->prog[C_FLOOR] = prog_of(b, "pg_floor_scale");
	cfg.realtime_off_ns = pg_realtime_offset_ns();
	if (bpf_map_update_elem(bpf_map__fd(b->config), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(b->pools4), &pk, &pv, BPF_ANY))
		die("cannot configure the programs");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Does a run do what it is meant to? The counters say, per packet. */
static void check_run(struct bench *b, int c, uint32_t repeat, const uint64_t before[3])
{
	uint64_t rw = stat_sum(b, b->stats, PG_STAT_TSVAL_REWRITTEN) - before[0];
	uint64_t reuse = stat_sum(b, b->stats, PG_STAT_FLOW_REUSE) - before[1];
	uint64_t fl = stat_sum(b, b->floor_count, 0) - before[2];
	bool ok = true;

	if (c == C_INGRESS1 || c == C_WALK1 || c == C_EST)
		ok = rw == repeat && reuse == 0;
	else if (c == C_SYN)
		/* A new ISN every time; equal to the entry's one in 1 of 2^32. */
		ok = rw == repeat && reuse + repeat / 1000 >= repeat;
	else if (c != C_PASS)
		ok = fl == repeat;
	if (!ok) {
		fprintf(stderr,
			"pg-bench-scale-xdp: %s at %u flows took another path (%" PRIu64
			" rewritten, %" PRIu64 " reused, %" PRIu64 " floor of %u)\n",
			case_names[c], b->flows, rw, reuse, fl, repeat);
		exit(1);
	}
}

/* Runs of all flows draw from the whole table; the others walk flow 0 alone. */
static bool all_flows(int c)
{
	return c == C_EST || c == C_FLOOR || c == C_SYN;
}

static double run_case(struct bench *b, int c, uint32_t repeat)
{
	walk_set(b, all_flows(c) ? b->flows : 1, false);
	if (c == C_SYN)
		return run(b->prog[c], b->syn, b->slen, repeat);
	return run(b->prog[c], b->est, b->elen, repeat);
}

static void prepare(struct bench *b, double ms)
{
	int c;

	b->elen = frame(b->est, 0x10, 80);
	b->slen = frame(b->syn, 0x02, SYN_SPORT);
	/*
	 * The kernel marks an LRU entry referenced on its first lookup (a write): touch every
	 * established flow once, so that neither program measured first pays that for the
	 * other. The handshakes and sources are written on every SYN anyway.
	 */
	walk_set(b, b->flows, true);
	run(b->prog[C_FLOOR], b->est, b->elen, b->flows);
	/* Repeats for about ms milliseconds per run, from a short calibration. */
	for (c = 0; c < C_NR; c++) {
		double ns = run_case(b, c, 20000);

		b->repeat[c] = (uint32_t)(ms * 1e6 / (ns > 1 ? ns : 1));
		if (b->repeat[c] < 10000)
			b->repeat[c] = 10000;
	}
}

/* One run of every case, each checked. */
static void one_round(struct bench *b, int round)
{
	uint64_t before[3];
	int c;

	for (c = 0; c < C_NR; c++) {
		before[0] = stat_sum(b, b->stats, PG_STAT_TSVAL_REWRITTEN);
		before[1] = stat_sum(b, b->stats, PG_STAT_FLOW_REUSE);
		before[2] = stat_sum(b, b->floor_count, 0);
		b->t[c][round] = run_case(b, c, b->repeat[c]);
		check_run(b, c, b->repeat[c], before);
	}
}

static void finish(struct bench *b, struct result *r, int rounds)
{
	int c;

	for (c = 0; c < C_NR; c++) {
		qsort(b->t[c], (size_t)rounds, sizeof(double), cmp_double);
		r->ns[c] = b->t[c][best ? 0 : rounds / 2];
	}
	r->flows = b->flows;
	r->srcs = b->srcs;
	r->walk = r->ns[C_WALK1] - r->ns[C_INGRESS1];
	r->floor_walk = r->ns[C_FLOORWALK1] - r->ns[C_FLOOR1];
	r->est = r->ns[C_EST] - r->walk - r->ns[C_PASS];
	r->syn = r->ns[C_SYN] - r->walk - r->ns[C_PASS];
	r->floor = r->ns[C_FLOOR] - r->floor_walk - r->ns[C_PASS];
	r->bytes_flow4 = per_entry(b->flows4);
	r->bytes_flow6 = per_entry(b->flows6);
	r->bytes_uflow4 = per_entry(b->uflows4);
	r->bytes_uflow6 = per_entry(b->uflows6);
	r->bytes_source = per_entry(b->sources);
	r->memlock_all = map_memlock(b->flows4) + map_memlock(b->flows6) + map_memlock(b->uflows4) +
			 map_memlock(b->uflows6) + map_memlock(b->sources);
}

static void measure(struct bench *b, struct result *r, int rounds, double ms)
{
	int i;

	prepare(b, ms);
	for (i = 0; i < rounds; i++)
		one_round(b, i);
	finish(b, r, rounds);
}

static void print_result(const struct result *r)
{
	int c;

	printf("\n%u flows from %u sources (each flow map %u entries, %u sources):\n", r->flows,
	       r->srcs, r->flows, r->srcs);
	printf("  %-40s %9s\n", "run", "ns/pkt");
	for (c = 0; c < C_NR; c++)
		printf("  %-40s %9.2f\n", case_names[c], r->ns[c]);
	printf("  %-40s %9.2f\n", "walk (scale - ingress, flow 0)", r->walk);
	printf("  %-40s %9.2f\n", "walk (floor_scale - floor, flow 0)", r->floor_walk);
	printf("  net of walk and XDP_PASS: established %.2f, syn %.2f, floor %.2f\n", r->est,
	       r->syn, r->floor);
	printf("  memory (fdinfo memlock / max_entries): pg_flows4 %.1f B, pg_uflows4 %.1f B, "
	       "pg_flows6 %.1f B, pg_uflows6 %.1f B per entry, pg_sources %.1f B per source\n",
	       r->bytes_flow4, r->bytes_uflow4, r->bytes_flow6, r->bytes_uflow6, r->bytes_source);
	printf("  all five tables: %.1f MiB, %.1f B per configured flow (four flow maps, sources "
	       "at N/4)\n",
	       (double)r->memlock_all / (1 << 20), (double)r->memlock_all / r->flows);
}

/*
 * Several builds of the bench object side by side at one size (the steps of an
 * optimisation): each loaded and filled, then every round runs every case of each.
 */
static int compare(char **objs, int nobjs, uint32_t flows, int rounds, double ms)
{
	struct bench *b = calloc((size_t)nobjs, sizeof(*b));
	struct result r;
	int i, k;

	if (!b)
		die("out of memory");
	for (k = 0; k < nobjs; k++) {
		b[k].ncpus = libbpf_num_possible_cpus();
		bench_open(&b[k], objs[k], flows);
		fill_tables(&b[k]);
		check_tables(&b[k]);
		prepare(&b[k], ms);
	}
	for (i = 0; i < rounds; i++)
		for (k = 0; k < nobjs; k++)
			one_round(&b[k], i);
	printf("%u flows from %u sources; ns per packet net of XDP_PASS (and of the walk)\n", flows,
	       flows / 4);
	printf("%-32s %8s %8s %8s %8s %8s %8s %8s\n", "object", "pass", "est/1", "floor/1", "ratio",
	       "est/N", "floor/N", "ratio");
	for (k = 0; k < nobjs; k++) {
		double e1, f1;

		finish(&b[k], &r, rounds);
		e1 = r.ns[C_INGRESS1] - r.ns[C_PASS];
		f1 = r.ns[C_FLOOR1] - r.ns[C_PASS];
		printf("%-32s %8.2f %8.2f %8.2f %7.2fx %8.2f %8.2f %7.2fx  syn/N %.1f\n", objs[k],
		       r.ns[C_PASS], e1, f1, e1 / f1, r.est, r.floor, r.est / r.floor, r.syn);
		bpf_object__close(b[k].obj);
	}
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t sizes[MAX_SIZES] = {1024, 4194304};
	struct result res[MAX_SIZES];
	const char *objpath = NULL;
	int nsizes = 0, rounds = 5, i, cmp = 0;
	double ms = 40;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--obj") && i + 1 < argc) {
			objpath = argv[++i];
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--ms") && i + 1 < argc) {
			ms = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc && nsizes < MAX_SIZES) {
			sizes[nsizes++] = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--best")) {
			best = true;
		} else if (!strcmp(argv[i], "--compare") && i + 1 < argc) {
			cmp = i + 1;
			break;
		} else {
			fprintf(stderr,
				"usage: pg-bench-scale-xdp [--obj FILE] [--rounds R] "
				"[--ms MS] [--best] [--size FLOWS]... [--compare OBJ...]\n");
			return 2;
		}
	}
	if (!nsizes)
		nsizes = cmp ? 1 : 2;
	if (rounds < 1 || rounds > MAX_ROUNDS || ms <= 0)
		die("--rounds is 1..31, --ms positive");
	for (i = 0; i < nsizes; i++)
		if (sizes[i] < 4 || (sizes[i] & (sizes[i] - 1)) || sizes[i] > (1u << 26))
			die("a size is a power of two in 4..2^26");
	if (geteuid()) {
		fprintf(stderr, "pg-bench-scale-xdp: needs root\n");
		return 77;
	}
	if (!getenv("PAWSGUARD_DEBUG"))
		libbpf_set_print(NULL);
	printf("BPF_PROG_TEST_RUN, %s of %d rounds of about %.0f ms per run, one CPU; "
	       "uniform random flows\n",
	       best ? "best" : "median", rounds, ms);
	if (cmp)
		return compare(argv + cmp, argc - cmp, sizes[0], rounds, ms);
	for (i = 0; i < nsizes; i++) {
		struct bench b = {.ncpus = libbpf_num_possible_cpus()};
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t1;

		if (b.ncpus < 1)
			die("cannot count CPUs");
		bench_open(&b, objpath, sizes[i]);
		fill_tables(&b);
		check_tables(&b);
		t1 = clock_ns(CLOCK_MONOTONIC);
		measure(&b, &res[i], rounds, ms);
		print_result(&res[i]);
		printf("  (fill %.1f s, measurement %.1f s)\n", (double)(t1 - t0) / 1e9,
		       (double)(clock_ns(CLOCK_MONOTONIC) - t1) / 1e9);
		/* Frees the tables before the next size is allocated. */
		bpf_object__close(b.obj);
	}
	printf("\n");
	for (i = 0; i < nsizes; i++)
		printf("scale dataplane=xdp path=established flows=%u sources=%u ns=%.1f "
		       "base_ns=%.1f ratio=%.2f bytes_per_flow=%.0f\n",
		       res[i].flows, res[i].srcs, res[i].est, res[0].est, res[i].est / res[0].est,
		       res[i].bytes_flow4);
	for (i = 0; i < nsizes; i++)
		printf("scale dataplane=xdp path=syn flows=%u sources=%u ns=%.1f base_ns=%.1f "
		       "ratio=%.2f bytes_per_flow=%.0f\n",
		       res[i].flows, res[i].srcs, res[i].syn, res[0].syn, res[i].syn / res[0].syn,
		       res[i].bytes_flow4);
	for (i = 0; i < nsizes; i++)
		printf("scale dataplane=xdp path=floor flows=%u ns=%.1f base_ns=%.1f ratio=%.2f\n",
		       res[i].flows, res[i].floor, res[0].floor, res[i].floor / res[0].floor);
	return 0;
}
