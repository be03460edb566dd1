#!/bin/bash
# The 2026 timestamp world on the real kernel, pawsguard's XDP programs on the server's NIC
# (issue 12; docs/DESIGN.md, "Telling NATs from per-connection clocks"). Every client here is
# a Linux of this machine: one TS offset per 4-tuple. pawsguard is attached from the start,
# without a pool until the last phase: it passes every packet untouched and only observes.
#
#  1. Two clients behind the classic NAT (it keeps their source port) take turns on one
#     source port: several clocks on one 4-tuple, reported as kind "nat".
#  2. One host with no NAT makes ten connections from ten source ports: its SYN TSvals go
#     backwards across them, reported as "per-connection-clock", never "nat"; suggest
#     leaves it out for the TIME-WAIT rule and lists it for the per-peer rule.
#  3. SNAT under port pressure (snat_lib.sh): the masquerade maps c1's and c2's connections
#     onto 16 outer ports, default conntrack timeouts, a server that closes first: TIME-WAIT
#     PAWS rejects and slowed connects, and the evidence calls the NAT a NAT.
#  4. The NAT address in a rewrite pool: the same traffic without a reject or a slowed
#     connect.
#
# Usage: snat_xdp.sh PATH/TO/pawsguard     (root; exit 77 = skipped); about 60 s.
set -u
PG=${1:?usage: snat_xdp.sh PATH/TO/pawsguard}
export PG_NS=${PG_NS:-pgsx} PG_NET=${PG_NET:-215}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=topo.sh
. "$HERE/topo.sh"
# shellcheck source=../check.sh
. "$HERE/../check.sh"
# shellcheck source=snat_lib.sh
. "$HERE/snat_lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for tool in ip nft ethtool ss ping timeout nsenter; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

# `ip netns exec` remounts /sys, hiding bpffs: enter only the network namespace.
pgc() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }
pgcli() { pgc "$@" --iface "$SRV_IF"; }
stat_of() {
	pgcli stats --json | "$PG_PYTHON" -c '
import json, sys
print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

cleanup() {
	[ -n "${NS_SRV:-}" ] && [ -e "/run/netns/$NS_SRV" ] && pgc detach "$SRV_IF" >/dev/null 2>&1
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM
failures=0
t0=$SECONDS

topo_up direct || { echo "FAIL: topology"; exit 1; }
topo_check || { echo "FAIL: topology does not carry traffic"; exit 1; }
check "pawsguard attach $SRV_IF" pgc attach "$SRV_IF"
topo_srv_rfc1337 0

echo "== 1. the classic NAT: c1 and c2 take turns on source port 41000"
# More than topo.sh's 1 s conntrack TIME_WAIT between connects, so the NAT keeps the port.
snat_serve 5301 || { echo "FAIL: server"; exit 1; }
out=$(snat_client 5301 --count 12 --netns "$NS_C1,$NS_C2" --sport 41000 --gap 2)
snat_unserve
echo "client: $out"
read -r tb kind <<<"$(snat_source_get "$NAT_IP4" tuple_back kind)"
check "one outer 4-tuple for all ($SN_SERVED connections from $SN_PEERPORTS port)" \
	[ "$SN_PEERPORTS" = 1 ]
# Each reuse is behind the previous client's with probability 1/2: 11 of them.
check "SYNs behind the last SYN on their 4-tuple (tuple_back $tb)" snat_grew "$tb" 0
check "$NAT_IP4 is kind nat ($kind)" [ "$kind" = nat ]
tb_classic=$tb

snat_setup || { echo "FAIL: SNAT setup"; exit 1; }

echo "== 2. one host, no NAT: ten connections from ten source ports ($SN_SINGLE_IP4)"
snat_serve 5302 || { echo "FAIL: server"; exit 1; }
out=$(snat_client 5302 --count 10 --netns "$NS_NAT" --bind "$SN_SINGLE_IP4")
snat_unserve
echo "client: $out"
read -r syns back tb kind <<<"$(snat_source_get "$SN_SINGLE_IP4" syns backwards tuple_back kind)"
check "ten connections from ten ports ($SN_SERVED from $SN_PEERPORTS)" [ "$SN_PEERPORTS" = 10 ]
# Ten unrelated offsets rise in order once in 10! runs.
check "its SYN TSvals went backwards across 4-tuples ($back of $syns)" snat_grew "$back" 0
check "never on one 4-tuple (tuple_back $tb)" [ "$tb" = 0 ]
check "$SN_SINGLE_IP4 is kind per-connection-clock ($kind)" [ "$kind" = per-connection-clock ]
kind=$(snat_suggests timewait "$SN_SINGLE_IP4")
check "suggest (timewait) leaves it out ($kind)" [ "$kind" = - ]
kind=$(snat_suggests per-peer "$SN_SINGLE_IP4")
check "suggest --rule per-peer lists it as per-connection-clock ($kind)" \
	[ "$kind" = per-connection-clock ]

echo "== 3. SNAT under port pressure"
snat_phase_fail 5303
snat_check_detect "$tb_classic"

echo "== 4. the NAT address in a rewrite pool"
check "pool add $NAT_IP4/32" pgcli pool add "$NAT_IP4/32"
snat_phase_fix 5304

check "pawsguard detach $SRV_IF" pgc detach "$SRV_IF"
echo "snat xdp: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "snat xdp: $failures check(s) failed"
	exit 1
fi
echo "snat xdp: all checks passed"
