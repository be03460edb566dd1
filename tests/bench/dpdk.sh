#!/bin/bash
# Packets per second of pawsguard-dpdk on ONE worker lcore, beside dpdk-testpmd in io,
# macswap and 5tswap forwarding modes on identical vdevs in the same run: net_pcap with
# infinite_rx=1 replays a generated mix (1/8 pool SYNs, 1/2 pool established segments,
# 1/4 non-pool TCP, 1/8 UDP; gen_pcap.py bench) into port 1. Each program runs on its
# own; the rate is port 1's opackets over a measured window, read through
# telemetry (/ethdev/stats) the same way for all of them. One line per program with Mpps
# and the ratio to testpmd 5tswap. Not part of meson test.
#
# The cost of learning (docs/DESIGN.md, "Learning a flow's offset") on TCP outside the pools:
# the same mix with a pool that matches none of it ("no pool traffic"), on the appliance and
# on a build without learning (-DPG_NO_LEARN, the pipeline as it was before).
#
# Usage (root): tests/bench/dpdk.sh [SECONDS] [ROUNDS]   (defaults 5 s, 3 rounds; the best
# round of each program counts). PG_BUILD: the build directory (default build, relative to the
# tree or absolute); PG_PREFIX: the start of the DPDK file prefixes (default pgb).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=${PG_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PFX=${PG_PREFIX:-pgb}
SECS=${1:-5}
ROUNDS=${2:-3}
# shellcheck source-path=SCRIPTDIR source=../dpdk/lib.sh
. "$ROOT/tests/dpdk/lib.sh"
[ "$(id -u)" = 0 ] || { echo "dpdk bench: needs root"; exit 1; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" pawsguard-dpdk pawsguard-dpdk-nolearn >/dev/null ||
	{ echo "dpdk bench: build failed"; exit 1; }
BIN="$BUILD/dataplane/pawsguard-dpdk"
BIN_NOLEARN="$BUILD/dataplane/pawsguard-dpdk-nolearn"
TESTPMD=$(command -v dpdk-testpmd) || { echo "dpdk bench: dpdk-testpmd not installed"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgd-bench.XXXXXX")
PREFIX=""
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
"$PG_PYTHON" "$ROOT/tests/dpdk/gen_pcap.py" bench "$TMP/mix.pcap" 1024 || exit 1

# Port 1 (the servers' side) sends the pool flows' SYN-ACKs once at the start, then only
# takes frames (net_pcap drops what it is given to send when it has no tx_pcap): the
# appliance sees established flows, as it would in front of real servers.
VDEVS=(--vdev="net_pcap0,rx_pcap=$TMP/mix.pcap,infinite_rx=1"
	--vdev="net_pcap1,rx_pcap=$TMP/mix_srv.pcap")

# rate PREFIX SECS: Mpps out of port 1 over SECS, once forwarding is under way.
rate() {
	"$PG_PYTHON" - "$ROOT/tests/dpdk" "$1" "$2" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
import pgtel

prefix, secs = sys.argv[2], float(sys.argv[3])

def sample():
    t = pgtel.Tel(prefix)
    try:
        v = t.cmd("/ethdev/stats,1")["opackets"]
        return time.monotonic(), v
    finally:
        t.close()

end = time.monotonic() + 30
while True:  # up and forwarding?
    try:
        if sample()[1] > 0:
            break
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if time.monotonic() > end:
        print("0")
        sys.exit(1)
    time.sleep(0.1)
time.sleep(0.5)  # past the start
t0, p0 = sample()
time.sleep(secs)
t1, p1 = sample()
print("%.3f" % ((p1 - p0) / (t1 - t0) / 1e6))
PY
}

# run NAME CMD...: one measured run; prints Mpps.
run() {
	local name=$1 mpps
	shift
	PREFIX="$PFX-$name-$$"
	dp_start "$TMP/$name.out" "$@"
	mpps=$(rate "$PREFIX" "$SECS") || mpps=0
	dp_stop 10 >/dev/null 2>&1 || true
	dp_cleanup "$PREFIX"
	echo "${mpps:-0}"
}

declare -A best
progs=(pawsguard-dpdk pawsguard-nopool pawsguard-nopool-nolearn testpmd-io testpmd-macswap
	testpmd-5tswap)
for p in "${progs[@]}"; do best[$p]=0; done
for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${progs[@]}"; do
		# shellcheck disable=SC2046 # word splitting of the EAL options is intended
		case "$p" in
		pawsguard-dpdk)
			m=$(run "$p" "$BIN" $(dp_eal "$PFX-$p-$$") -l 0-1 "${VDEVS[@]}" -- \
				--pool 203.0.113.0/24) ;;
		pawsguard-nopool)
			m=$(run "$p" "$BIN" $(dp_eal "$PFX-$p-$$") -l 0-1 "${VDEVS[@]}" -- \
				--pool 198.18.0.0/15) ;;
		pawsguard-nopool-nolearn)
			m=$(run "$p" "$BIN_NOLEARN" $(dp_eal "$PFX-$p-$$") -l 0-1 "${VDEVS[@]}" -- \
				--pool 198.18.0.0/15) ;;
		testpmd-*)
			m=$(run "$p" "$TESTPMD" $(dp_eal "$PFX-$p-$$") -l 0-1 "${VDEVS[@]}" -- \
				--no-mlockall --forward-mode="${p#testpmd-}" --auto-start --nb-cores=1 \
				--rxq=1 --txq=1 --total-num-mbufs=32768 --stats-period=3600) ;;
		esac
		if awk -v a="$m" -v b="${best[$p]}" 'BEGIN { exit !(a > b) }'; then best[$p]=$m; fi
	done
done

echo "kernel $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "DPDK $(pkg-config --modversion libdpdk 2>/dev/null), one forwarding lcore, net_pcap (infinite_rx) -> net_pcap (drop), best of $ROUNDS x ${SECS}s"
base=${best[testpmd-5tswap]}
for p in "${progs[@]}"; do
	awk -v n="$p" -v m="${best[$p]}" -v b="$base" \
		'BEGIN { printf "%-26s %7.3f Mpps  %5.2fx testpmd-5tswap\n", n, m, (b > 0 ? m / b : 0) }'
done
