#!/bin/sh
# The XDP programs of several revisions side by side in one run (what each step of an
# optimisation bought): for each REV, its include/ and xdp/ with this tree's bench programs
# (tests/bench/scale_xdp.bpf.c) built into one object, then pg-bench-scale-xdp --compare:
# the established segment on one flow and on 1,024 random flows, beside the floor program.
# Usage (root): tests/bench/xdp_steps.sh REV...   (PG_BUILD: build dir; PG_STEPS_ARGS: more
#               arguments for pg-bench-scale-xdp, default "--rounds 15 --ms 20 --best")
set -eu
cd "$(dirname "$0")/../.."
BUILD=${PG_BUILD:-build}
[ $# -ge 1 ] || {
	echo "usage: tests/bench/xdp_steps.sh REV..." >&2
	exit 2
}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" pg-bench-scale-xdp >/dev/null
bench=$(cd "$BUILD" && pwd)/tests/bench/pg-bench-scale-xdp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
multiarch=$(cc -print-multiarch 2>/dev/null || true)
objs=
for rev in "$@"; do
	name=$(git rev-parse --short "$rev")
	mkdir -p "$tmp/$name"
	git archive "$rev" include xdp | tar -x -C "$tmp/$name"
	cp tests/bench/scale_xdp.bpf.c tests/bench/scale_xdp.h "$tmp/$name/"
	# The flags of xdp/meson.build.
	clang -target bpf -mcpu=v3 -O2 -g -ffreestanding -Wall -Wextra -Werror \
		-I "$tmp/$name/include" ${multiarch:+-I "/usr/include/$multiarch"} \
		-I "$tmp/$name/xdp" -c "$tmp/$name/scale_xdp.bpf.c" -o "$tmp/$name.o"
	objs="$objs $name.o"
done
cd "$tmp"
# shellcheck disable=SC2086 # one word per object and argument
taskset -c "${PG_BENCH_CPU:-0}" "$bench" \
	${PG_STEPS_ARGS:---rounds 15 --ms 20 --best} --compare $objs
