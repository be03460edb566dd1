#!/bin/sh
# Per-packet cost at scale, for each dataplane: the established segment and the pool SYN with
# the tables holding 1,024 flows from 256 sources and 4,194,304 flows from 1,048,576 sources,
# every packet of another flow drawn uniformly at random; memory per flow entry. The XDP part
# is tests/bench/scale_xdp.c (beside it, a floor program), the DPDK part
# tests/bench/scale_dpdk.sh. The last lines are every dataplane's result lines, together.
# Usage (root): tests/bench/scale.sh [xdp|dpdk|all]   (default all; PG_BUILD: build dir)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${PG_BUILD:-build}
what=${1:-all}
case $what in
xdp | dpdk | all) ;;
*)
	echo "usage: tests/bench/scale.sh [xdp|dpdk|all]" >&2
	exit 2
	;;
esac
[ "$(id -u)" = 0 ] || {
	echo "scale.sh: needs root" >&2
	exit 1
}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
: >"$tmp/lines"

# Show a part's output but its result lines, which are kept for the end.
part() {
	"$@" >"$tmp/out" || {
		cat "$tmp/out"
		echo "scale.sh: $1 failed" >&2
		exit 1
	}
	grep -v '^scale ' "$tmp/out" || true
	grep '^scale ' "$tmp/out" >>"$tmp/lines" || true
}

echo "kernel $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "$what" != dpdk ]; then
	meson compile -C "$BUILD" pg-bench-scale-xdp >/dev/null
	echo "== XDP (BPF_PROG_TEST_RUN)"
	# One CPU for every run, as tests/bench/xdp.sh.
	part taskset -c "${PG_BENCH_CPU:-0}" "$BUILD/tests/bench/pg-bench-scale-xdp" --rounds 7
fi
if [ "$what" != xdp ]; then
	echo "== DPDK"
	if [ -x tests/bench/scale_dpdk.sh ]; then
		part env PG_BUILD="$BUILD" tests/bench/scale_dpdk.sh
	else
		echo "scale: dpdk skipped: tests/bench/scale_dpdk.sh is not there yet"
	fi
fi
echo
cat "$tmp/lines"
