#!/bin/bash
# Real-kernel end-to-end test of the XDP mode (issue 3): two clients behind an nft
# masquerade NAT reuse one source port against a server that closes first with
# tcp_rfc1337=1. Without pawsguard the server's TIME-WAIT PAWS check must reject SYNs
# (else: "did not reproduce"); with `pawsguard attach` on the server's interface and the
# NAT address in a rewrite pool, every connect must succeed at once, data must flow both
# ways and no PAWS counter may move. IPv4 and IPv6. Then a strip pool, tested for what
# strip promises (server at tcp_rfc1337=0): connections up within 3 s, no timestamps.
#
# Usage: xdp_e2e.sh PATH/TO/pawsguard     (root; exit 77 = skipped)
set -u
PG=${1:?usage: xdp_e2e.sh PATH/TO/pawsguard}
export PG_NS=${PG_NS:-pgx} PG_NET=${PG_NET:-211}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=topo.sh
. "$HERE/topo.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

# `ip netns exec` remounts /sys, hiding bpffs: enter only the network namespace.
pgc() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }

cleanup() {
	[ -n "${NS_SRV:-}" ] && [ -e "/run/netns/$NS_SRV" ] && pgc detach "$SRV_IF" >/dev/null 2>&1
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# What phases.sh needs, through the CLI.
stats_json() { pgc stats --json --iface "$SRV_IF"; }
stat_of() {
	stats_json | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
n = sys.argv[1]
print(d["counters"].get(n, d["not_understood"].get(n, d.get(n, 0))))' "$1"
}
pool_set() { pgc pool add "$1" --action "$2" --iface "$SRV_IF" >/dev/null; }
not_understood() {
	stats_json | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%d" % kv for kv in d["not_understood"].items() if kv[1]) or "none")'
}
# shellcheck source=phases.sh
. "$HERE/phases.sh"

topo_up direct || { echo "FAIL: topology"; exit 1; }
topo_check || { echo "FAIL: topology does not carry traffic"; exit 1; }

phase_fail 4 5001
phase_fail 6 5002

echo "== attach"
check "pawsguard attach $SRV_IF" pgc attach "$SRV_IF"
check "pool add $NAT_IP4/32" pool_set "$NAT_IP4/32" rewrite
check "pool add $NAT_IP6/128" pool_set "$NAT_IP6/128" rewrite

phase_fix 4 5003
phase_fix 6 5004
phase_counters
phase_strip 4 5005

echo "== detach"
check "pawsguard detach $SRV_IF" pgc detach "$SRV_IF"
not_attached() { pgc status "$SRV_IF" 2>&1 | grep -q "not attached to $SRV_IF"; }
check "pins removed (status: not attached)" not_attached

if [ "$failures" -gt 0 ]; then
	echo "xdp e2e: $failures check(s) failed"
	exit 1
fi
echo "xdp e2e: all checks passed"
