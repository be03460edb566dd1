#!/bin/sh
# ns per packet of pawsguard's XDP and TC programs by BPF_PROG_TEST_RUN, each beside an
# XDP_PASS / TC_ACT_OK program on the same packet in the same run, with the ratio; the
# established segment also beside the floor program (tests/bench/scale_xdp.bpf.c).
# Usage (root): tests/bench/xdp.sh [REPEAT]   (default 1000000)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${PG_BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" pg-bench-xdp >/dev/null
echo "kernel $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# One CPU for both programs of a pair: a fair comparison even when the other is busy.
exec taskset -c "${PG_BENCH_CPU:-0}" "$BUILD/tests/bench/pg-bench-xdp" "${1:-1000000}"
