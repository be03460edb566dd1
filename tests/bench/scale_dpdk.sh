#!/bin/bash
# The DPDK appliance at scale: per-packet cost of its burst path (pg-bench-dpdk, the worker's
# own code over generated mbufs in process, tests/bench/dpdk_scale.c) on the established-
# segment path and on the pool-SYN path, with the tables holding 1,024 flows from 256 sources
# (the base) and 4,194,304 flows from 1,048,576 sources, every packet from a uniform random
# flow. 2 MB hugepages when the machine can allocate them (allocated here, given back at the
# end), --no-huge otherwise; the output says which. Memory per entry is the bytes of each
# table divided by the entries it holds.
#
# Usage (root): tests/bench/scale_dpdk.sh [RUNS]   (default 5: base and scale alternate RUNS
# times, each run the median of 5 rounds of 2^20 packets per path; the median run counts;
# about 20 s)
# PG_BUILD: the build directory (default build, relative to the tree or absolute); PG_PREFIX:
# the DPDK file prefix (default pgs); PG_BENCH_CPU: the CPU to run on (default 0);
# PG_NO_HUGE=1: 4 KB pages even where hugepages could be had.
# Other load on the machine inflates every figure: compare within one run.
#
# Last lines, one per path:
#   scale dataplane=dpdk path=established|syn flows=N sources=N ns=X base_ns=Y ratio=R bytes_per_flow=B
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=${PG_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
RUNS=${1:-5}
PFX=${PG_PREFIX:-pgs}-$$
CPU=${PG_BENCH_CPU:-0}
BASE_F=1024 BASE_S=256 BIG_F=4194304 BIG_S=1048576
case "$RUNS" in '' | *[!0-9]* | 0) echo "scale_dpdk: RUNS must be a positive number"; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "scale_dpdk: needs root"; exit 1; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" pg-bench-dpdk >/dev/null ||
	{ echo "scale_dpdk: build failed (pg-bench-dpdk needs libdpdk-dev)"; exit 1; }
BIN="$BUILD/tests/bench/pg-bench-dpdk"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pg-scale.XXXXXX")
HUGE_OLD=""
cleanup() {
	mountpoint -q "$TMP/huge" 2>/dev/null && umount "$TMP/huge"
	[ -n "$HUGE_OLD" ] && echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages
	rm -rf "/var/run/dpdk/$PFX" "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# What the big run's tables take (tables.c: 64 bytes an IPv4 flow, 88 an IPv6 one, 96 a
# source), plus mbufs and EAL's own, in MB.
need_mb=$(((BIG_F * (64 + 88) + BIG_S * 96) / 1048576 + 128))
pages=$(((need_mb + 1) / 2))
mem="--no-huge"
HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo "")
if [ "${PG_NO_HUGE:-0}" = 1 ]; then
	HUGE_OLD=""
elif [ -n "$HUGE_OLD" ] && echo $((HUGE_OLD + pages)) >/proc/sys/vm/nr_hugepages 2>/dev/null &&
	[ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -ge "$pages" ] &&
	mkdir -p "$TMP/huge" && mount -t hugetlbfs -o pagesize=2M nodev "$TMP/huge" 2>/dev/null; then
	mem="hugepages"
else
	[ -n "$HUGE_OLD" ] && echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages
	HUGE_OLD=""
fi
if [ "$mem" = hugepages ]; then
	echo "memory: 2 MB hugepages ($pages allocated for this run, given back at the end)"
else
	echo "memory: --no-huge (4 KB pages): $([ "${PG_NO_HUGE:-0}" = 1 ] && echo "PG_NO_HUGE=1" ||
		echo "no 2 MB hugepages could be allocated")"
fi

# run FLOWS SOURCES: one process, its "bench" lines into $TMP/FLOWS.N
run() {
	local eal
	if [ "$mem" = hugepages ]; then
		eal="--huge-dir $TMP/huge -m $need_mb"
	else
		eal="--no-huge -m $need_mb"
	fi
	# shellcheck disable=SC2086 # word splitting of the EAL options is intended
	"$BIN" $eal --no-pci -l "$CPU" --file-prefix "$PFX" --log-level=lib.eal:warning \
		--log-level=lib.telemetry:error -- --flows "$1" --sources "$2" 2>"$TMP/err" |
		grep '^bench ' >>"$TMP/$1.out"
	if [ "${PIPESTATUS[0]}" != 0 ]; then
		echo "scale_dpdk: pg-bench-dpdk --flows $1 failed: $(tail -1 "$TMP/err")"
		exit 1
	fi
	rm -rf "/var/run/dpdk/$PFX"
}

for ((r = 1; r <= RUNS; r++)); do
	run $BASE_F $BASE_S
	run $BIG_F $BIG_S
done

# median FILE PATH: the median over runs of the path's ns
median() {
	awk -v p="path=$2" '$2 == p { for (i = 3; i <= NF; i++) if ($i ~ /^ns=/) print substr($i, 4) }' "$1" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}
field() { awk -v k="$2" '$2 == "memory" { for (i = 3; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"; }

echo "kernel $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "DPDK $(pkg-config --modversion libdpdk 2>/dev/null), one lcore (CPU $CPU), $mem, median of $RUNS runs x 5 rounds x 2^20 packets, bursts of 32"
for f in $BASE_F $BIG_F; do
	echo "tables at $f flows: $(field "$TMP/$f.out" bytes_per_flow) bytes per IPv4 flow entry," \
		"$(field "$TMP/$f.out" bytes_per_flow6) per IPv6 flow entry," \
		"$(field "$TMP/$f.out" bytes_per_source) per source entry"
done
for p in established syn; do
	b=$(median "$TMP/$BASE_F.out" $p)
	echo "base $p: $b ns per packet ($BASE_F flows, $BASE_S sources; runs: $(awk -v p="path=$p" '$2 == p { for (i = 3; i <= NF; i++) if ($i ~ /^ns=/) printf "%s ", substr($i, 4) }' "$TMP/$BASE_F.out"))"
	s=$(median "$TMP/$BIG_F.out" $p)
	echo "scale $p: $s ns per packet ($BIG_F flows, $BIG_S sources; runs: $(awk -v p="path=$p" '$2 == p { for (i = 3; i <= NF; i++) if ($i ~ /^ns=/) printf "%s ", substr($i, 4) }' "$TMP/$BIG_F.out"))"
done
bpf=$(field "$TMP/$BIG_F.out" bytes_per_flow)
for p in established syn; do
	b=$(median "$TMP/$BASE_F.out" $p)
	s=$(median "$TMP/$BIG_F.out" $p)
	awk -v p="$p" -v f=$BIG_F -v n=$BIG_S -v s="$s" -v b="$b" -v bpf="$bpf" 'BEGIN {
		printf "scale dataplane=dpdk path=%s flows=%d sources=%d ns=%.1f base_ns=%.1f ratio=%.2f bytes_per_flow=%.1f\n",
			p, f, n, s, b, (b > 0 ? s / b : 0), bpf }'
done
