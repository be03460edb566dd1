#!/bin/bash
# A CLI built without the BPF toolchain (meson -Dbpf=disabled) manages a running appliance:
# a build of its own in a scratch directory, then pools and stats over --dpdk against the
# appliance of the main build, and a one-line refusal for every XDP verb.
# Usage: nobpf.sh SOURCE_ROOT PATH/TO/pawsguard-dpdk   (exit 77 = skipped)
set -u
SRC=$1
BIN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=../dpdk/lib.sh
. "$HERE/../dpdk/lib.sh"
dp_require "$BIN"
fails=0
PREFIX=pgnobpf-$$
TMP=$(mktemp -d)
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

echo "== build with -Dbpf=disabled"
if ! meson setup "$TMP/b" "$SRC" -Dbpf=disabled -Ddpdk=disabled -Dfuzz=disabled >"$TMP/setup.log" 2>&1 ||
	! meson compile -C "$TMP/b" control/pawsguard >"$TMP/build.log" 2>&1; then
	bad "build without BPF: $(tail -5 "$TMP/setup.log" "$TMP/build.log")"
	exit 1
fi
PG="$TMP/b/control/pawsguard"
ok "built $PG"
if ldd "$PG" | grep -Eq 'libbpf|libxdp'; then bad "links libbpf/libxdp"; else ok "no libbpf, no libxdp"; fi

"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 10.1.1.1 192.0.2.1 41000 7000 ||
	{ bad "pcap"; exit 1; }
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/run.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev="net_pcap0,rx_pcap=$TMP/in.pcap" --vdev=net_null0,no-rx=1 -- --pool 10.0.0.0/8
dp_ready "$PREFIX" 20 || { bad "appliance did not come up: $(cat "$TMP/run.out")"; exit 1; }
D=(--dpdk "$PREFIX")
expect_out "pool add over --dpdk" "added 198.51.100.0/24 rewrite" "$PG" pool add 198.51.100.0/24 "${D[@]}"
expect_out "pool list over --dpdk" "198.51.100.0/24" "$PG" pool list "${D[@]}"
expect_out "stats over --dpdk" "^pawsguard dpdk $PREFIX" "$PG" stats "${D[@]}"
if [ "$(find /var/run/dpdk -mindepth 1 -maxdepth 1 | wc -l)" = 1 ]; then
	expect_out "the one running target is found" "^pawsguard dpdk $PREFIX" "$PG" stats
else
	echo "skip - other DPDK runtimes on this machine"
fi
expect_err "attach refused in one line" "built without BPF support" "$PG" attach lo
expect_err "--iface refused in one line" "built without BPF support" "$PG" stats --iface lo
dp_stop 10 || bad "appliance stop"
[ "$fails" = 0 ] && { echo "cli nobpf: all checks passed"; exit 0; }
echo "cli nobpf: $fails check(s) failed"
exit 1
