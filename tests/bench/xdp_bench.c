// SPDX-License-Identifier: BSD-3-Clause
/*
 * ns per packet of the real XDP and TC programs by BPF_PROG_TEST_RUN, each case beside a
 * program that only returns XDP_PASS / TC_ACT_OK, measured in the same run on the same
 * packet. Maps are set up through the skeleton with the shared structs of types.h.
 *
 * BPF_PROG_TEST_RUN runs all repeats on one buffer: a rewrite in one repeat is the input of
 * the next. So the flow the established and TC cases hit is seeded with offset 0 and a
 * position behind the virtual clock (a client clock of 1 kHz or slower, past its first
 * second): every repeat does the whole lookup, rewrite and checksum update, and leaves
 * the bytes as it found them, as real traffic would find them.
 *
 * Beside the established segment, the floor program (tests/bench/scale_xdp.bpf.c: what any
 * program doing this job must do) on the same segment: the last line compares their costs
 * net of XDP_PASS.
 *
 * Learning (docs/DESIGN.md, "Learning a flow's offset") looks a segment of an unknown flow up
 * in the unconfirmed table and the pools: the non-pool TCP path is also measured on the
 * programs built without it (-DPG_NO_LEARN, the pipeline as it was before), in this run.
 *
 * Usage: pg-bench-xdp [REPEAT]   (root; REPEAT defaults to 1000000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pawsguard/csum.h"
#include "pawsguard/types.h"
#include "pgutil.h"
#include "pawsguard.skel.h"
#include "pawsguard_nolearn.skel.h"
#include "scale_xdp.h"
#include "scale_xdp.skel.h"
#include "testpkt.h"

#define ROUNDS 5

/* The flow of (client:40000, server:80) in its steady state, TSval mapped onto itself. */
static int seed_steady_flow(struct pawsguard_bpf *skel, const uint8_t client[4],
			    const uint8_t server[4], uint32_t tsval)
{
	struct pg_flow_key4 k = {.cport = pg_htons(40000), .sport = pg_htons(80)};
	struct timespec rt;
	struct pg_flow f;
	uint64_t vnow;
	int fd = bpf_map__fd(skel->maps.pg_flows4), ufd = bpf_map__fd(skel->maps.pg_uflows4);

	memcpy(&k.client, client, 4);
	memcpy(&k.server, server, 4);
	/* Opened by its SYN, the flow is unconfirmed; established, it lives in pg_flows4. */
	if (bpf_map_lookup_elem(ufd, &k, &f) || bpf_map_delete_elem(ufd, &k))
		return -1;
	clock_gettime(CLOCK_REALTIME, &rt);
	vnow = (uint64_t)rt.tv_sec * 1000 + (uint64_t)rt.tv_nsec / 1000000;
	f.offset = 0;
	f.state = PG_FS_EST;
	/* The last position whose low 32 bits are tsval, a day or more behind the clock. */
	f.fwd_pub = ((vnow - 86400000) & ~0xffffffffULL) | tsval;
	if (f.fwd_pub > vnow - 86400000)
		f.fwd_pub -= 1ULL << 32;
	return bpf_map_update_elem(fd, &k, &f, BPF_NOEXIST);
}

static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Best of ROUNDS averages: the figure least disturbed by the rest of the machine. Each
 * average is the thread's CPU time over the run (the kernel's own figure is whole ns).
 */
static int run(int prog_fd, const uint8_t *pkt, size_t len, uint32_t repeat, double *ns,
	       uint32_t *retval)
{
	uint8_t out[256];
	double best = 1e30, t;
	uint64_t t0;
	int i, rc;

	for (i = 0; i < ROUNDS; i++) {
		DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
				    .data_size_in = (__u32)len, .data_out = out,
				    .data_size_out = sizeof(out), .repeat = repeat);
		t0 = thread_ns();
		rc = bpf_prog_test_run_opts(prog_fd, &o);
		if (rc)
			return -errno;
		t = (double)(thread_ns() - t0) / repeat;
		if (t < best)
			best = t;
		*retval = o.retval;
	}
	*ns = best;
	return 0;
}

static void row(const char *name, double ns, double pass_ns)
{
	printf("%-52s %8.1f %8.1f %6.2fx\n", name, ns, pass_ns, pass_ns > 0 ? ns / pass_ns : 0.0);
}

/*
 * The floor program (tests/bench/scale_xdp.bpf.c: parse at fixed offsets, one LRU lookup
 * on the 12-byte key, TSval += offset, the checksum, one counter) on the same segment, its
 * flow in a table of its own object with the same offset 0: what any program doing this
 * job costs here. Returns its ns per packet, or a negative value.
 */
static double floor_case(const uint8_t *pkt, size_t len, const uint8_t client[4],
			 const uint8_t server[4], uint32_t repeat, double *pass_ns)
{
	struct scale_xdp_bpf *fl = scale_xdp_bpf__open_and_load();
	struct pg_flow_key4 k = {.cport = pg_htons(40000), .sport = pg_htons(80)};
	struct pg_flow f = {.state = PG_FS_EST};
	uint64_t n = 0, *per_cpu;
	int ncpu = libbpf_num_possible_cpus(), i;
	uint32_t zero = 0, rv;
	double ns = -1;

	if (!fl) {
		fprintf(stderr, "pg-bench-xdp: cannot load the floor object: %s\n",
			strerror(errno));
		return -1;
	}
	memcpy(&k.client, client, 4);
	memcpy(&k.server, server, 4);
	per_cpu = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*per_cpu));
	if (per_cpu && ncpu > 0 &&
	    !bpf_map_update_elem(bpf_map__fd(fl->maps.pg_flows4), &k, &f, BPF_NOEXIST) &&
	    !run(bpf_program__fd(fl->progs.pg_floor), pkt, len, repeat, &ns, &rv) &&
	    !run(bpf_program__fd(fl->progs.pg_xdp_pass), pkt, len, repeat, pass_ns, &rv) &&
	    !bpf_map_lookup_elem(bpf_map__fd(fl->maps.pg_floor_count), &zero, per_cpu)) {
		for (i = 0; i < ncpu; i++)
			n += per_cpu[i];
		/* Every packet found its flow, or the figure is not the floor's. */
		if (n != (uint64_t)ROUNDS * repeat)
			ns = -1;
	} else {
		ns = -1;
	}
	if (ns < 0)
		fprintf(stderr, "pg-bench-xdp: the floor program's run failed\n");
	free(per_cpu);
	scale_xdp_bpf__destroy(fl);
	return ns;
}

/* The non-pool TCP segment on the programs without learning: the "before" figure. */
static int nolearn_case(const struct pg_config *cfg, const struct pg_lpm4_key *k4,
			const struct pg_pool_val *pv, const uint8_t src[4], const uint8_t server[4],
			uint32_t repeat)
{
	struct pawsguard_nolearn_bpf *nl = pawsguard_nolearn_bpf__open_and_load();
	uint32_t zero = 0, rv;
	double ns, pass_ns;
	uint8_t pkt[256];
	size_t len;
	int rc;

	if (!nl) {
		fprintf(stderr, "pg-bench-xdp: cannot load the baseline object: %s\n",
			strerror(errno));
		return 1;
	}
	rc = bpf_map_update_elem(bpf_map__fd(nl->maps.data_pg_config), &zero, cfg, BPF_ANY);
	rc |= bpf_map_update_elem(bpf_map__fd(nl->maps.pg_pools4), k4, pv, BPF_ANY);
	len = pg_test_frame4(pkt, 6, src, server, 40000, 80, 0x10, 1001, 5000, 4242);
	if (rc || run(bpf_program__fd(nl->progs.pg_xdp_ingress), pkt, len, repeat, &ns, &rv) ||
	    run(bpf_program__fd(nl->progs.pg_xdp_pass), pkt, len, repeat, &pass_ns, &rv)) {
		fprintf(stderr, "pg-bench-xdp: baseline run failed\n");
		pawsguard_nolearn_bpf__destroy(nl);
		return 1;
	}
	row("TCP, source outside pools, without learning", ns, pass_ns);
	pawsguard_nolearn_bpf__destroy(nl);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t pool_src[4] = {10, 1, 1, 1}, other_src[4] = {192, 0, 2, 1},
			     server[4] = {10, 200, 0, 1};
	struct pg_config cfg = PG_CONFIG_DEFAULT;
	struct pg_lpm4_key k4 = {.prefixlen = 8, .addr = {10, 0, 0, 0}};
	struct pg_pool_val pv = {.action = PG_ACT_REWRITE};
	struct pawsguard_bpf *skel;
	uint32_t repeat = 1000000, zero = 0, rv;
	double ns, pass_ns, est = 0, fl = 0, fl_pass = 0;
	uint8_t pkt[256];
	size_t len;
	int rc, i;
	struct {
		const char *name;
		int tc;
		uint8_t proto;
		const uint8_t *src;
		uint8_t flags;
		uint16_t cport;
	} cases[] = {
		{"non-TCP (UDP)", 0, 17, other_src, 0, 40000},
		{"TCP, source outside pools", 0, 6, other_src, 0x10, 40000},
		/* The first repeat makes the orphan; the rest find it waiting for the echo. */
		{"pool segment of an orphan (offset not learned yet)", 0, 6, pool_src, 0x10, 40001},
		{"pool SYN again (same ISN: retransmit path)", 0, 6, pool_src, 0x02, 40000},
		{"pool established segment (TSval rewrite)", 0, 6, pool_src, 0x10, 40000},
		{"TC egress: TSecr translated back", 1, 6, pool_src, 0x10, 40000},
	};

	if (argc > 1)
		repeat = (uint32_t)strtoul(argv[1], NULL, 10);
	if (geteuid()) {
		fprintf(stderr, "pg-bench-xdp: needs root\n");
		return 77;
	}
	libbpf_set_print(NULL);
	skel = pawsguard_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "pg-bench-xdp: cannot load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	cfg.realtime_off_ns = pg_realtime_offset_ns();
	rc = bpf_map_update_elem(bpf_map__fd(skel->maps.data_pg_config), &zero, &cfg, BPF_ANY);
	rc |= bpf_map_update_elem(bpf_map__fd(skel->maps.pg_pools4), &k4, &pv, BPF_ANY);
	if (rc) {
		fprintf(stderr, "pg-bench-xdp: cannot set up maps\n");
		return 1;
	}
	/* The flow the cases hit: created by the program from its SYN. */
	len = pg_test_frame4(pkt, 6, pool_src, server, 40000, 80, 0x02, 1000, 5000, 0);
	run(bpf_program__fd(skel->progs.pg_xdp_ingress), pkt, len, 1, &ns, &rv);

	printf("BPF_PROG_TEST_RUN, best of %d x %u repeats, ns per packet\n", ROUNDS, repeat);
	printf("%-52s %8s %8s %7s\n", "case", "prog", "pass", "ratio");
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		if (i == 4 && seed_steady_flow(skel, pool_src, server, 5000)) {
			fprintf(stderr, "pg-bench-xdp: cannot seed the flow\n");
			return 1;
		}
		int prog = bpf_program__fd(cases[i].tc ? skel->progs.pg_tc_egress
						       : skel->progs.pg_xdp_ingress);
		int pass = bpf_program__fd(cases[i].tc ? skel->progs.pg_tc_pass
						       : skel->progs.pg_xdp_pass);

		if (cases[i].tc)
			len = pg_test_frame4(pkt, 6, server, cases[i].src, 80, cases[i].cport,
					     cases[i].flags, 7000, 90000, 5000 + 4242);
		else
			len = pg_test_frame4(pkt, cases[i].proto, cases[i].src, server,
					     cases[i].cport, 80, cases[i].flags,
					     cases[i].flags == 0x02 ? 1000 : 1001, 5000, 4242);
		if (run(prog, pkt, len, repeat, &ns, &rv) ||
		    run(pass, pkt, len, repeat, &pass_ns, &rv)) {
			fprintf(stderr, "pg-bench-xdp: test run failed: %s\n", strerror(errno));
			return 1;
		}
		row(cases[i].name, ns, pass_ns);
		if (i != 4)
			continue;
		est = ns - pass_ns;
		fl = floor_case(pkt, len, pool_src, server, repeat, &fl_pass);
		if (fl < 0)
			return 1;
		row("floor program, same segment (see scale_xdp.bpf.c)", fl, fl_pass);
	}
	if (nolearn_case(&cfg, &k4, &pv, other_src, server, repeat))
		return 1;
	printf("established segment net of XDP_PASS: pawsguard %.1f ns, floor %.1f ns: %.2fx the "
	       "floor\n",
	       est, fl - fl_pass, est / (fl - fl_pass));
	pawsguard_bpf__destroy(skel);
	return 0;
}
