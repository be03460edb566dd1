#!/bin/bash
# Real-kernel end-to-end test of the DPDK appliance inline (issue 4): two clients behind an
# nft masquerade NAT reuse one source port against a server that closes first
# (tests/e2e/topo.sh, inline mode); pawsguard-dpdk is the bump in the wire between the NAT
# and the server, in its own namespace, on net_af_packet vdevs over the two veths there
# (offloads off, promiscuous: topo.sh sets that up).
#
#  1. Appliance without a pool: the failure must show (hung connects or
#     TcpExtPAWSTimewait > 0), IPv4 and IPv6; otherwise "did not reproduce".
#  2. The NAT address in a rewrite pool (telemetry pool_add, at run time): every connect
#     succeeds at once, >= 100 KB each way, TcpExtPAWSTimewait and TcpExtPAWSEstab (server)
#     and TcpExtPAWSActive (clients) stay 0; IPv4 and IPv6.
#  3. The same address as a strip pool, server at tcp_rfc1337=0: every connection up
#     within 3 s, no timestamps on the server side, data moves.
#  4. SIGINT: the appliance stops cleanly and dropped nothing in between.
#
# Usage: e2e_inline.sh PATH/TO/pawsguard-dpdk    (root; exit 77 = skipped); about 60 s.
set -u
BIN=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
E2E="$HERE/../e2e"
# Own namespaces and subnets, so that the XDP test and the baseline may run beside it.
export PG_NS=${PG_NS:-pgd} PG_NET=${PG_NET:-221}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
dp_require "$BIN"
[ -f "$E2E/topo.sh" ] || { echo "SKIP: tests/e2e/topo.sh missing"; exit 77; }
# shellcheck source-path=SCRIPTDIR source=../e2e/topo.sh
. "$E2E/topo.sh"
for tool in ip nft ethtool ss ping timeout; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

# DP_WORKERS=2: two worker lcores, two queue pairs per veth (the kernel's packet fanout
# spreads frames over them), so frames cross between workers through the handoff rings.
DP_WORKERS=${DP_WORKERS:-1}
PREFIX="pgd-e2e-$$"
OUT=$(mktemp "${TMPDIR:-/tmp}/pgd-e2e.XXXXXX")
failures=0

cleanup() {
	dp_cleanup "$PREFIX"
	topo_down
	rm -f "$OUT"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tel() { "$PG_PYTHON" "$PGTEL" "$PREFIX" "$@"; }

# What phases.sh needs, through telemetry.
stat_of() { # a counter of /pawsguard/stats
	tel /pawsguard/stats | "$PG_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
pool_set() { # must answer with what it added
	tel "/pawsguard/pool_add,$1 $2" | grep -q "\"added\": \"$1\", \"action\": \"$2\""
}
not_understood() { # the appliance's total; the whole stats dict when it is not 0
	tel /pawsguard/stats | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print("none" if d["not_understood"] == 0 else json.dumps(d))'
}
# shellcheck source-path=SCRIPTDIR source=../e2e/phases.sh
. "$E2E/phases.sh"

t0=$SECONDS
topo_up inline || { echo "FAIL: topology"; exit 1; }
# One worker lcore by default: it polls both veths, the kernel's TCP stacks keep the other
# CPU.
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$OUT" ip netns exec "$NS_APP" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores "$DP_WORKERS") \
	--vdev="net_af_packet0,iface=$APP_IF0,qpairs=$DP_WORKERS" \
	--vdev="net_af_packet1,iface=$APP_IF1,qpairs=$DP_WORKERS" --
if ! dp_ready "$PREFIX" 20; then
	echo "FAIL: appliance did not come up"
	cat "$OUT"
	exit 1
fi
grep '^pawsguard-dpdk: port' "$OUT"
topo_check 5 || { echo "FAIL: topology does not carry traffic through the appliance"; exit 1; }

phase_fail 4 5101
phase_fail 6 5102

echo "== pools through telemetry"
check "pool_add $NAT_IP4/32" pool_set "$NAT_IP4/32" rewrite
check "pool_add $NAT_IP6/128" pool_set "$NAT_IP6/128" rewrite
phase_fix 4 5103
phase_fix 6 5104
phase_counters
phase_strip 4 5105

echo "== stop"
check "stopped cleanly on SIGINT" dp_stop 10
check "exit status 0 (got ${DP_RC:-none})" [ "${DP_RC:-1}" = 0 ]
sed -n '/^pawsguard-dpdk: stopped/,/^counters:/p' "$OUT"
check "nothing dropped on the way (tx_dropped $(dp_counter "$OUT" tx_dropped), ring_dropped $(dp_counter "$OUT" ring_dropped))" \
	[ "$(dp_counter "$OUT" tx_dropped)" = 0 ] && [ "$(dp_counter "$OUT" ring_dropped)" = 0 ]
if [ "$DP_WORKERS" -gt 1 ]; then
	ho=$(dp_counter "$OUT" handed_off)
	check "frames crossed between workers (handed_off $ho)" [ "$ho" -gt 0 ]
fi
echo "dpdk e2e: $((SECONDS - t0)) s"

if [ "$failures" -gt 0 ]; then
	echo "dpdk e2e: $failures check(s) failed"
	exit 1
fi
echo "dpdk e2e: all checks passed"
