#!/bin/bash
# SNAT under port pressure (snat_lib.sh, issue 12) with the DPDK appliance inline: the
# appliance is the bump in the wire between the NAT and the server, in its own namespace,
# on net_af_packet vdevs over the veths there (tests/e2e/topo.sh, inline mode, as
# tests/dpdk/e2e_inline.sh). The CLI drives it over telemetry.
#
#  1. No pool: TIME-WAIT PAWS rejects and slowed connects; the appliance's sources call
#     the NAT a NAT (suggest --dpdk).
#  2. `pool add all` (every source, both families): the same traffic without a reject or
#     a slowed connect.
#  3. SIGINT: the appliance stops cleanly and dropped nothing.
#
# Usage: snat_dpdk.sh PATH/TO/pawsguard-dpdk PATH/TO/pawsguard   (root; exit 77 = skipped)
set -u
BIN=${1:-}
PG=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
export PG_NS=${PG_NS:-pgsd} PG_NET=${PG_NET:-225}
# shellcheck source-path=SCRIPTDIR source=../dpdk/lib.sh
. "$HERE/../dpdk/lib.sh"
dp_require "$BIN"
[ -n "$PG" ] && [ -x "$PG" ] || { echo "SKIP: the pawsguard CLI was not built"; exit 77; }
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$HERE/topo.sh"
# shellcheck source-path=SCRIPTDIR source=snat_lib.sh
. "$HERE/snat_lib.sh"
for tool in ip nft ethtool ss ping timeout; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

PREFIX="${PG_NS}-snat-$$"
OUT=$(mktemp "${TMPDIR:-/tmp}/pgsd.XXXXXX")
failures=0

cleanup() {
	dp_cleanup "$PREFIX"
	topo_down
	rm -f "$OUT"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pgcli() { "$PG" "$@" --dpdk "$PREFIX"; }
stat_of() {
	pgcli stats --json | "$PG_PYTHON" -c '
import json, sys
print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

t0=$SECONDS
topo_up inline || { echo "FAIL: topology"; exit 1; }
# One worker lcore: it polls both veths, the kernel's TCP stacks keep the other CPU.
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$OUT" ip netns exec "$NS_APP" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev="net_af_packet0,iface=$APP_IF0" --vdev="net_af_packet1,iface=$APP_IF1" --
if ! dp_ready "$PREFIX" 20; then
	echo "FAIL: appliance did not come up"
	cat "$OUT"
	exit 1
fi
topo_check 5 || { echo "FAIL: topology does not carry traffic through the appliance"; exit 1; }
snat_setup || { echo "FAIL: SNAT setup"; exit 1; }

snat_phase_fail 5401
snat_check_detect 0

echo "== every source in a rewrite pool"
check "pool add all" pgcli pool add all
snat_phase_fix 5402

echo "== stop"
check "stopped cleanly on SIGINT" dp_stop 10
check "exit status 0 (got ${DP_RC:-none})" [ "${DP_RC:-1}" = 0 ]
txd=$(dp_counter "$OUT" tx_dropped)
rgd=$(dp_counter "$OUT" ring_dropped)
check "nothing dropped on the way (tx_dropped $txd, ring_dropped $rgd)" [ "$txd$rgd" = 00 ]
echo "snat dpdk: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "snat dpdk: $failures check(s) failed"
	exit 1
fi
echo "snat dpdk: all checks passed"
