// SPDX-License-Identifier: BSD-3-Clause
/*
 * pawsguard-dpdk [EAL options] -- [--config FILE] [--pool CIDR[,rewrite|strip]]...
 *                [--max-flows N] [--max-sources N] [--swap-ports] [--state FILE]
 *                [--mtu N] [--mbuf-size N] [--mbufs N]
 *
 * An inline bump in the wire between two ports: port 0 faces the clients (the NAT side),
 * port 1 the servers (--swap-ports swaps them). Frames from the clients go through the
 * core's pg_ingress (TSval rewrite or strip for pool sources), frames from the servers
 * through pg_egress (TSecr translated back); everything else is forwarded unchanged.
 * Threading, tables and pool publication: pg_dpdk.h. Telemetry: telemetry.c. Planned
 * restart (--state): state.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "pawsguard/stats.h"
#include "pg_dpdk.h"
#include "telemetry.h"

#define PG_PROG	  "pawsguard-dpdk"
#define PG_NB_RXD 1024
#define PG_NB_TXD 1024
/* Ethernet header, CRC and two VLAN tags around an MTU-sized IP packet. */
#define PG_FRAME_OVERHEAD (RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN)
#define PG_MBUF_MIN	  256
#define PG_MBUF_MAX	  (UINT16_MAX - RTE_PKTMBUF_HEADROOM)
#define PG_MBUFS_MIN	  1024U
#define PG_MBUFS_MAX	  (1U << 26)

struct pg_app pg_app = {
	.cfg = PG_CONFIG_DEFAULT,
	.ctl_lock = PTHREAD_MUTEX_INITIALIZER,
};

struct pg_opts {
	const char *config;
	struct pg_pool_entry *pools;
	uint32_t n_pools;
	uint32_t max_flows;   /* 0: not given */
	uint32_t max_sources; /* 0: not given */
	bool swap_ports;
	const char *state;  /* --state FILE, or NULL */
	uint32_t mtu;	    /* 0: the PMD's default */
	uint32_t mbuf_size; /* data room of an mbuf past its headroom; 0: chosen here */
	uint32_t mbufs;	    /* --mbufs N; 0: what the queues and rings need */
};

static void pg_usage(FILE *f)
{
	fprintf(f, "usage: " PG_PROG
		   " [EAL options] -- [--config FILE] [--pool CIDR[,rewrite|strip]]...\n"
		   "       [--max-flows N] [--max-sources N] [--swap-ports] [--state FILE]\n"
		   "       [--mtu N] [--mbuf-size N] [--mbufs N]\n"
		   "Port 0 faces the clients (NAT side), port 1 the servers; --swap-ports swaps "
		   "them.\n"
		   "--state FILE: on SIGINT/SIGTERM write the flow and source tables to FILE; at "
		   "start\n"
		   "  read them back (and remove FILE) if it is younger than the source TTL.\n"
		   "--mtu N: the ports' MTU (jumbo frames; RX scatter where the PMD offers it).\n"
		   "--mbuf-size N: bytes of frame per mbuf (longer frames are chained where the "
		   "PMD\n"
		   "  scatters); default 2048, or the whole frame when a port cannot scatter.\n"
		   "--mbufs N: mbufs in the pool; default: every descriptor, ring slot and TX "
		   "buffer\n"
		   "  full at once, at least 16384. More for a vdev that preloads frames "
		   "(net_pcap\n"
		   "  infinite_rx=1 holds a whole pcap).\n"
		   "Telemetry: dpdk-telemetry.py -f PREFIX, commands under /pawsguard/.\n");
}

/* A one-line error, exit 2; with eal, once EAL runs (nothing was started yet). */
static void __rte_noreturn pg_vdie(bool eal, const char *fmt, va_list ap)
{
	fprintf(stderr, PG_PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	if (eal)
		rte_eal_cleanup();
	exit(2);
}

/* Bad arguments, before anything was set up. */
static void __rte_noreturn __rte_format_printf(1, 2) pg_arg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_vdie(false, fmt, ap);
}

/* Add, or change the action of the same prefix: the last word on a prefix wins. */
static void pg_opts_pool(struct pg_opts *o, const struct pg_pool_entry *e)
{
	struct pg_pool_entry *np;
	uint32_t i;

	for (i = 0; i < o->n_pools; i++) {
		if (o->pools[i].cidr.family == e->cidr.family &&
		    o->pools[i].cidr.prefixlen == e->cidr.prefixlen &&
		    !memcmp(o->pools[i].cidr.addr, e->cidr.addr, sizeof(e->cidr.addr))) {
			o->pools[i].action = e->action;
			return;
		}
	}
	if (o->n_pools >= PG_MAX_POOLS)
		pg_arg_error("too many pools (at most %u)", PG_MAX_POOLS);
	np = realloc(o->pools, (o->n_pools + 1) * sizeof(*np));
	if (!np)
		pg_arg_error("out of memory");
	o->pools = np;
	o->pools[o->n_pools++] = *e;
}

static void pg_parse_pool_opt(struct pg_opts *o, const char *arg)
{
	struct pg_pool_entry e = {.action = PG_ACT_REWRITE};
	char buf[128], err[PG_ERRLEN], *comma;

	if (strlen(arg) >= sizeof(buf))
		pg_arg_error("--pool: argument too long");
	strcpy(buf, arg);
	comma = strchr(buf, ',');
	if (comma) {
		*comma = '\0';
		if (pg_action_parse(comma + 1, &e.action))
			pg_arg_error("--pool %s: bad action '%s': expected rewrite or strip", arg,
				     comma + 1);
	}
	if (pg_cidr_parse(buf, &e.cidr, err, sizeof(err)))
		pg_arg_error("--pool: %s", err);
	pg_opts_pool(o, &e);
}

/* The application's options: the words after "--". */
static void pg_parse_args(int argc, char **argv, struct pg_opts *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"pool", required_argument, NULL, 'p'},
		{"max-flows", required_argument, NULL, 'f'},
		{"max-sources", required_argument, NULL, 's'},
		{"swap-ports", no_argument, NULL, 'w'},
		{"state", required_argument, NULL, 'S'},
		{"mtu", required_argument, NULL, 'm'},
		{"mbuf-size", required_argument, NULL, 'b'},
		{"mbufs", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pg_file_config fc;
	char err[PG_ERRLEN];
	struct pg_opts cli = {0};
	uint32_t i;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.config = optarg;
			break;
		case 'p':
			pg_parse_pool_opt(&cli, optarg);
			break;
		case 'f':
		case 's':
			if (pg_parse_u32(optarg, PG_TABLE_MIN, PG_TABLE_MAX,
					 c == 'f' ? &cli.max_flows : &cli.max_sources))
				pg_arg_error("--%s must be %u..%u, got '%s'",
					     c == 'f' ? "max-flows" : "max-sources", PG_TABLE_MIN,
					     PG_TABLE_MAX, optarg);
			break;
		case 'w':
			cli.swap_ports = true;
			break;
		case 'S':
			if (pg_state_check_path(optarg, err, sizeof(err)))
				pg_arg_error("%s", err);
			cli.state = optarg;
			break;
		case 'm':
			if (pg_parse_u32(optarg, RTE_ETHER_MIN_MTU, UINT16_MAX, &cli.mtu))
				pg_arg_error("--mtu must be %u..%u, got '%s'", RTE_ETHER_MIN_MTU,
					     UINT16_MAX, optarg);
			break;
		case 'b':
			if (pg_parse_u32(optarg, PG_MBUF_MIN, PG_MBUF_MAX, &cli.mbuf_size))
				pg_arg_error("--mbuf-size must be %u..%u, got '%s'", PG_MBUF_MIN,
					     PG_MBUF_MAX, optarg);
			break;
		case 'n':
			if (pg_parse_u32(optarg, PG_MBUFS_MIN, PG_MBUFS_MAX, &cli.mbufs))
				pg_arg_error("--mbufs must be %u..%u, got '%s'", PG_MBUFS_MIN,
					     PG_MBUFS_MAX, optarg);
			break;
		case 'h':
			pg_usage(stdout);
			exit(0);
		case ':':
			pg_arg_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			pg_arg_error("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		pg_arg_error("unexpected argument '%s' (see --help)", argv[optind]);

	/* The config file first, then the command line on top of it. */
	*o = (struct pg_opts){0};
	if (cli.config) {
		if (pg_config_load(cli.config, &fc, err, sizeof(err)))
			pg_arg_error("%s", err);
		for (i = 0; i < fc.n_pools; i++)
			pg_opts_pool(o, &fc.pools[i]);
		o->max_flows = fc.max_flows;
		o->max_sources = fc.max_sources;
		pg_config_free(&fc);
	}
	for (i = 0; i < cli.n_pools; i++)
		pg_opts_pool(o, &cli.pools[i]);
	free(cli.pools);
	if (cli.max_flows)
		o->max_flows = cli.max_flows;
	if (cli.max_sources)
		o->max_sources = cli.max_sources;
	o->config = cli.config;
	o->swap_ports = cli.swap_ports;
	o->state = cli.state;
	o->mtu = cli.mtu;
	o->mbuf_size = cli.mbuf_size;
	o->mbufs = cli.mbufs;
}

static void pg_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&pg_app.force_quit, 1, __ATOMIC_RELAXED);
}

struct pg_port_plan {
	uint16_t id;
	uint16_t nrxq;
	uint16_t ntxq;
	rte_spinlock_t *locks; /* per TX queue, when workers share them */
	char name[RTE_ETH_NAME_MAX_LEN];
	bool can_scatter;  /* RX_OFFLOAD_SCATTER offered */
	bool can_multiseg; /* TX_OFFLOAD_MULTI_SEGS offered */
	bool scatter;	   /* frames may be chained: both offloads on where offered */
	uint16_t min_mtu;
	uint16_t max_mtu;
};

static void pg_port_plan(struct pg_port_plan *pp, uint16_t id)
{
	struct rte_eth_dev_info info;
	unsigned int nw = pg_app.n_workers;
	int rc;

	memset(pp, 0, sizeof(*pp));
	pp->id = id;
	rc = rte_eth_dev_info_get(id, &info);
	if (rc)
		rte_exit(EXIT_FAILURE, "port %u: cannot get device info: %s\n", id, strerror(-rc));
	rte_eth_dev_get_name_by_port(id, pp->name);
	pp->can_scatter = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	pp->can_multiseg = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	pp->min_mtu = info.min_mtu;
	pp->max_mtu = info.max_mtu;
	pp->nrxq = (uint16_t)RTE_MIN(nw, info.max_rx_queues);
	pp->ntxq = (uint16_t)RTE_MIN(nw, info.max_tx_queues);
	if (!pp->ntxq)
		rte_exit(EXIT_FAILURE, "port %u (%s) cannot transmit\n", id, pp->name);
	if (pp->ntxq < nw) {
		/* Fewer TX queues than workers (net_pcap: one per tx_pcap): share them. */
		pp->locks = rte_zmalloc("pg_txlocks", pp->ntxq * sizeof(*pp->locks), 0);
		if (!pp->locks)
			rte_exit(EXIT_FAILURE, "out of memory\n");
		for (unsigned int q = 0; q < pp->ntxq; q++)
			rte_spinlock_init(&pp->locks[q]);
	}
}

/* A one-line error once EAL runs. */
static void __rte_noreturn __rte_format_printf(1, 2) pg_setup_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_vdie(true, fmt, ap);
}

/*
 * The MTU against what both ports take, and the mbuf data room: --mbuf-size, else the
 * default, or the whole largest frame when it is longer and a port cannot scatter (a PMD
 * without scatter drops what does not fit). Frames longer than the room are chained:
 * scatter and multi-segment TX are turned on where the PMDs offer them.
 */
static uint32_t pg_ports_size(const struct pg_opts *o, struct pg_port_plan pp[2])
{
	uint32_t frame, room = o->mbuf_size ? o->mbuf_size : RTE_MBUF_DEFAULT_DATAROOM;
	unsigned int side;

	for (side = 0; o->mtu && side < 2; side++)
		if (o->mtu < pp[side].min_mtu || o->mtu > pp[side].max_mtu)
			pg_setup_error("--mtu %u: port %u (%s) takes %u..%u", o->mtu, pp[side].id,
				       pp[side].name, pp[side].min_mtu, pp[side].max_mtu);
	frame = (o->mtu ? o->mtu : RTE_ETHER_MTU) + PG_FRAME_OVERHEAD;
	if (!o->mbuf_size && frame > room && !(pp[0].can_scatter && pp[1].can_scatter))
		room = RTE_MIN(RTE_ALIGN_CEIL(frame, 1024), PG_MBUF_MAX);
	for (side = 0; side < 2; side++)
		pp[side].scatter = frame > room;
	return room;
}

static void pg_port_start(const struct pg_port_plan *pp, uint32_t mtu)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = PG_NB_RXD, nb_txd = PG_NB_TXD, q;
	int rc, socket = rte_eth_dev_socket_id(pp->id);

	if (socket < 0)
		socket = (int)rte_socket_id();
	memset(&conf, 0, sizeof(conf));
	rte_eth_dev_info_get(pp->id, &info);
	if (pp->nrxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if (pp->scatter && pp->can_scatter)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (pp->scatter && pp->can_multiseg)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	conf.rxmode.mtu = mtu;
	rc = rte_eth_dev_configure(pp->id, pp->nrxq, pp->ntxq, &conf);
	if (rc)
		rte_exit(EXIT_FAILURE, "port %u: configure: %s\n", pp->id, strerror(-rc));
	if (mtu) {
		/* A PMD without an MTU operation keeps what configure recorded. */
		rc = rte_eth_dev_set_mtu(pp->id, (uint16_t)mtu);
		if (rc && rc != -ENOTSUP)
			rte_exit(EXIT_FAILURE, "port %u: MTU %u: %s\n", pp->id, mtu, strerror(-rc));
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pp->id, &nb_rxd, &nb_txd);
	if (rc)
		rte_exit(EXIT_FAILURE, "port %u: descriptors: %s\n", pp->id, strerror(-rc));
	for (q = 0; q < pp->nrxq; q++) {
		rc = rte_eth_rx_queue_setup(pp->id, q, nb_rxd, (unsigned int)socket, NULL,
					    pg_app.mp);
		if (rc)
			rte_exit(EXIT_FAILURE, "port %u: rx queue %u: %s%s\n", pp->id, q,
				 strerror(-rc),
				 rc == -EINVAL || rc == -ENOMEM
					 ? " (a vdev that preloads frames may need more: --mbufs N)"
					 : "");
	}
	for (q = 0; q < pp->ntxq; q++) {
		rc = rte_eth_tx_queue_setup(pp->id, q, nb_txd, (unsigned int)socket, NULL);
		if (rc)
			rte_exit(EXIT_FAILURE, "port %u: tx queue %u: %s\n", pp->id, q,
				 strerror(-rc));
	}
	/* A bump in the wire forwards frames for any MAC; not every PMD has the knob. */
	rte_eth_promiscuous_enable(pp->id);
	rc = rte_eth_dev_start(pp->id);
	if (rc)
		rte_exit(EXIT_FAILURE, "port %u: start: %s\n", pp->id, strerror(-rc));
}

/*
 * A worker's handoff ring holds what the other workers' RX queues can pass it at once: their
 * descriptors on both ports, at least PG_RING_MIN slots.
 */
static unsigned int pg_ring_size(const struct pg_port_plan pp[2])
{
	unsigned int n = 0, side;

	for (side = 0; side < 2; side++)
		n += pp[side].nrxq * PG_NB_RXD;
	return rte_align32pow2(RTE_MAX(n, PG_RING_MIN));
}

/* Every descriptor, ring slot and TX buffer full at once, plus per-lcore caches. */
static unsigned int pg_mbufs_needed(const struct pg_port_plan pp[2])
{
	unsigned int n = 4096, side;

	for (side = 0; side < 2; side++)
		n += pp[side].nrxq * PG_NB_RXD + pp[side].ntxq * PG_NB_TXD;
	if (pg_app.n_workers > 1)
		n += pg_app.n_workers * pg_ring_size(pp);
	n += pg_app.n_workers * (2 * PG_TX_BUF + 2 * PG_BURST);
	n += (pg_app.n_workers + 1) * PG_MBUF_CACHE;
	return n;
}

static void pg_workers_setup(const struct pg_opts *o, struct pg_port_plan pp[2])
{
	unsigned int nw = pg_app.n_workers, k = 0, lcore, side, q;
	uint32_t cap_f, cap_s;
	char name[RTE_RING_NAMESIZE];
	size_t sz;
	int rc;

	pg_app.max_flows = o->max_flows ? o->max_flows : PG_DEFAULT_MAX_FLOWS;
	pg_app.max_sources = o->max_sources ? o->max_sources : PG_DEFAULT_MAX_SOURCES;
	/* Owners split the addresses evenly: each worker gets its share of the limits. */
	cap_f = (pg_app.max_flows + nw - 1) / nw;
	cap_s = (pg_app.max_sources + nw - 1) / nw;

	sz = rte_rcu_qsbr_get_memsize(nw);
	pg_app.qs = rte_zmalloc("pg_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (!pg_app.qs || rte_rcu_qsbr_init(pg_app.qs, nw))
		rte_exit(EXIT_FAILURE, "cannot set up RCU\n");

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		pg_app.workers[k].lcore = lcore;
		k++;
	}
	if (!k)
		pg_app.workers[0].lcore = rte_get_main_lcore();
	for (k = 0; k < nw; k++) {
		struct pg_worker *w = &pg_app.workers[k];
		int socket = (int)rte_lcore_to_socket_id(w->lcore);

		w->idx = k;
		rc = pg_tables_init(w, cap_s, cap_f, socket);
		if (rc)
			rte_exit(EXIT_FAILURE, "worker %u: tables of %u flows, %u sources: %s\n", k,
				 cap_f, cap_s, strerror(-rc));
		if (nw > 1) {
			snprintf(name, sizeof(name), "pg_ring_%u", k);
			w->ring = rte_ring_create(name, pg_ring_size(pp), socket, RING_F_SC_DEQ);
			if (!w->ring)
				rte_exit(EXIT_FAILURE, "worker %u: ring: %s\n", k,
					 rte_strerror(rte_errno));
		}
		for (side = 0; side < 2; side++) {
			if (k < pp[side].nrxq) {
				w->rxq[w->n_rxq].port = pp[side].id;
				w->rxq[w->n_rxq].queue = (uint16_t)k;
				w->rxq[w->n_rxq].side = (uint8_t)side;
				w->n_rxq++;
			}
			/* tx[side]: frames going out towards that side. */
			q = k % pp[side].ntxq;
			w->tx[side].port = pp[side].id;
			w->tx[side].queue = (uint16_t)q;
			w->tx[side].lock = pp[side].locks ? &pp[side].locks[q] : NULL;
		}
	}
}

static void pg_print_final(double secs)
{
	uint64_t c[PG_STAT_MAX] = {0}, flows = 0, sources = 0, first = 0, last = 0;
	struct pg_xstats x = {0};
	struct rte_eth_stats es;
	unsigned int i, k, side;
	double span;

	for (k = 0; k < pg_app.n_workers; k++) {
		struct pg_worker *w = &pg_app.workers[k];

		for (i = 0; i < PG_STAT_MAX; i++)
			c[i] += w->st.c[i];
		x.rx += w->x.rx;
		x.tx += w->x.tx;
		x.tx_dropped += w->x.tx_dropped;
		x.ring_dropped += w->x.ring_dropped;
		x.handed_off += w->x.handed_off;
		x.evictions += w->x.evictions;
		flows += w->flow.used;
		sources += w->src.used;
		if (w->x.first_rx_ns && (!first || w->x.first_rx_ns < first))
			first = w->x.first_rx_ns;
		if (w->x.last_rx_ns > last)
			last = w->x.last_rx_ns;
	}
	span = first && last > first ? (double)(last - first) / 1e9 : 0;
	printf(PG_PROG ": stopped after %.3f s on %u worker lcore(s)\n", secs, pg_app.n_workers);
	for (side = 0; side < 2; side++) {
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(pg_app.port[side], &es);
		printf(PG_PROG ": port %u (%s side): rx %" PRIu64 " tx %" PRIu64 " imissed %" PRIu64
			       " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
		       pg_app.port[side], side == PG_SIDE_CLIENT ? "client" : "server", es.ipackets,
		       es.opackets, es.imissed, es.ierrors, es.oerrors, es.rx_nombuf);
	}
	printf(PG_PROG ": forwarded %" PRIu64 " of %" PRIu64 " frames, %.3f Mpps over %.3f s from "
		       "first to last burst\n",
	       x.tx, x.rx, span > 0 ? (double)x.tx / span / 1e6 : 0.0, span);
	printf("counters:\n");
	for (i = 0; i < PG_STAT_MAX; i++)
		printf("  %-18s %" PRIu64 "\n", pg_stat_descs[i].name, c[i]);
	printf("  %-18s %" PRIu64 "\n", "flows", flows);
	printf("  %-18s %" PRIu64 "\n", "sources", sources);
	printf("  %-18s %" PRIu64 "\n", "evictions", x.evictions);
	printf("  %-18s %" PRIu64 "\n", "tx_dropped", x.tx_dropped);
	printf("  %-18s %" PRIu64 "\n", "ring_dropped", x.ring_dropped);
	printf("  %-18s %" PRIu64 "\n", "handed_off", x.handed_off);
	printf("  %-18s %" PRIu64 "\n", "rx_packets", x.rx);
	printf("  %-18s %" PRIu64 "\n", "tx_packets", x.tx);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct pg_port_plan pp[2];
	struct pg_opts o;
	struct rte_mbuf *m;
	uint16_t ids[2], n_ports = 0, id;
	unsigned int k, nmbufs, side;
	int i, app = argc, rc, status = 0;
	uint32_t room;
	uint16_t mtu;
	uint64_t t0;

	/* Application options first: a typo costs one line, not an EAL start. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			app = i;
			break;
		}
	}
	if (app < argc)
		pg_parse_args(argc - app, argv + app, &o);
	else
		pg_parse_args(1, argv, &o);
	optind = 1;

	rc = rte_eal_init(app, argv);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "EAL initialization failed: %s\n", rte_strerror(rte_errno));

	RTE_ETH_FOREACH_DEV(id)
	{
		if (n_ports < 2)
			ids[n_ports] = id;
		n_ports++;
	}
	if (n_ports != 2)
		rte_exit(EXIT_FAILURE, "need exactly 2 ports (--vdev=...), found %u\n", n_ports);
	pg_app.port[PG_SIDE_CLIENT] = ids[o.swap_ports ? 1 : 0];
	pg_app.port[PG_SIDE_SERVER] = ids[o.swap_ports ? 0 : 1];

	pg_app.n_workers = RTE_MAX(rte_lcore_count() - 1, 1u);
	if (pg_app.n_workers > PG_MAX_WORKERS)
		rte_exit(EXIT_FAILURE, "at most %u worker lcores\n", PG_MAX_WORKERS);
	pg_app.workers = rte_zmalloc("pg_workers", pg_app.n_workers * sizeof(struct pg_worker),
				     RTE_CACHE_LINE_SIZE);
	if (!pg_app.workers)
		rte_exit(EXIT_FAILURE, "out of memory\n");

	for (side = 0; side < 2; side++)
		pg_port_plan(&pp[side], pg_app.port[side]);
	nmbufs = pg_mbufs_needed(pp);
	if (o.mbufs && o.mbufs < nmbufs)
		rte_exit(EXIT_FAILURE, "--mbufs %u: these queues and rings need at least %u\n",
			 o.mbufs, nmbufs);
	nmbufs = o.mbufs ? o.mbufs : RTE_MAX(nmbufs, 16384u);
	room = pg_ports_size(&o, pp);
	pg_app.mp = rte_pktmbuf_pool_create("pg_mbufs", nmbufs, PG_MBUF_CACHE, 0,
					    (uint16_t)(room + RTE_PKTMBUF_HEADROOM),
					    (int)rte_socket_id());
	if (!pg_app.mp)
		rte_exit(EXIT_FAILURE, "cannot create a pool of %u mbufs: %s\n", nmbufs,
			 rte_strerror(rte_errno));

	pg_workers_setup(&o, pp);
	rc = pg_pools_build(o.pools, o.n_pools, &pg_app.pools);
	free(o.pools);
	if (rc)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	/* Before any frame is forwarded: the tables as the previous run left them. */
	if (o.state)
		pg_state_load(o.state);
	for (side = 0; side < 2; side++)
		pg_port_start(&pp[side], o.mtu);
	rc = pg_telemetry_register();
	if (rc)
		rte_exit(EXIT_FAILURE, "cannot register telemetry commands: %s\n", strerror(-rc));

	signal(SIGINT, pg_signal);
	signal(SIGTERM, pg_signal);
	/* A telemetry client that goes away mid-reply must not kill the appliance. */
	signal(SIGPIPE, SIG_IGN);

	for (side = 0; side < 2; side++) {
		if (rte_eth_dev_get_mtu(pp[side].id, &mtu))
			mtu = 0;
		printf(PG_PROG ": port %u (%s) faces the %s: %u rx / %u tx queue(s)%s, mtu %u, "
			       "%u-byte mbufs%s\n",
		       pp[side].id, pp[side].name, side == PG_SIDE_CLIENT ? "clients" : "servers",
		       pp[side].nrxq, pp[side].ntxq, pp[side].locks ? ", tx shared" : "", mtu, room,
		       !pp[side].scatter      ? ""
		       : pp[side].can_scatter ? ", rx scatter"
					      : ", no rx scatter offered (the PMD may chain)");
	}
	printf(PG_PROG ": %u pool(s), %u flows, %u sources, %u worker lcore(s), %u mbufs\n",
	       pg_app.pools->n, pg_app.max_flows, pg_app.max_sources, pg_app.n_workers, nmbufs);
	fflush(stdout);

	t0 = pg_realtime_ns();
	pg_app.start_ns = t0;
	if (rte_lcore_count() == 1) {
		/* No worker lcore: the main lcore forwards; pool changes reclaim on their own. */
		pg_worker_main(&pg_app.workers[0]);
	} else {
		for (k = 0; k < pg_app.n_workers; k++)
			rte_eal_remote_launch(pg_worker_main, &pg_app.workers[k],
					      pg_app.workers[k].lcore);
		while (!pg_quit()) {
			pthread_mutex_lock(&pg_app.ctl_lock);
			pg_pools_reclaim(false);
			pthread_mutex_unlock(&pg_app.ctl_lock);
			usleep(10000);
		}
		rte_eal_mp_wait_lcore();
	}

	/* Frames still handed over but not forwarded: the workers have stopped. */
	for (k = 0; k < pg_app.n_workers; k++)
		while (pg_app.workers[k].ring &&
		       rte_ring_dequeue(pg_app.workers[k].ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	for (side = 0; side < 2; side++) {
		rc = rte_eth_dev_stop(pg_app.port[side]);
		if (rc)
			fprintf(stderr, PG_PROG ": port %u: stop: %s\n", pg_app.port[side],
				strerror(-rc));
	}
	pg_print_final((double)(pg_realtime_ns() - t0) / 1e9);
	/* The workers have stopped: the tables hold still. A failed save fails the exit. */
	if (o.state && pg_state_save(o.state))
		status = 1;
	for (side = 0; side < 2; side++)
		rte_eth_dev_close(pg_app.port[side]);

	pthread_mutex_lock(&pg_app.ctl_lock);
	pg_pools_reclaim(true);
	pg_pools_free(pg_app.pools);
	pg_app.pools = NULL;
	pthread_mutex_unlock(&pg_app.ctl_lock);
	for (k = 0; k < pg_app.n_workers; k++) {
		pg_tables_free(&pg_app.workers[k]);
		rte_ring_free(pg_app.workers[k].ring);
	}
	rte_eal_cleanup();
	return status;
}
