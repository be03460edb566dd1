#!/bin/bash
# Self-healing flows on the XDP dataplane: nine long-lived connections from two
# clients behind the NAT (a rewrite pool), three busy (a message every 50-100 ms) and six
# idle (one every 3-5 s), every message numbered and echoed (tests/e2e/longconn.py), through
# pawsguard attached to the server's interface with tables of 1024 flows. In turn:
#  (a) restart: detach, 1 s of untranslated traffic, attach, pools added again. The flows'
#      offsets are gone; each must be learned again from the server's echo (flow_adopted),
#      or the server drops the connection's segments by per-connection PAWS for good;
#  (b) a flood of 4000 spoofed SYNs from the pools (the NAT address with random low ports,
#      and a second pool prefix) against the 1024-entry tables: established flows live in
#      their own maps and must not be evicted (no flow re-learned, all still established).
# After each, every connection must go on exchanging data and get back every message sent
# before; at the end every message must have arrived once, in order (client and server
# count). The server's TcpExtPAWSEstab delta and pawsguard's counters are printed beside
# each event. docs/DESIGN.md, "Learning a flow's offset" and "Eviction classes".
#
# Usage: heal_xdp.sh PATH/TO/pawsguard     (root; exit 77 = skipped); about 50 s.
# HEAL_BREAK=nopool: after the restart the pools are not added back (a deliberately wrong
# setup, to see the test fail: the connections whose TSvals run behind stall).
set -u
PG=${1:?usage: heal_xdp.sh PATH/TO/pawsguard}
export PG_NS=${PG_NS:-pgh} PG_NET=${PG_NET:-213}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$HERE/topo.sh"
# shellcheck source-path=SCRIPTDIR source=heal_lib.sh
. "$HERE/heal_lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$PG" ] || { echo "SKIP: $PG not built"; exit 77; }
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

# Into the server's network namespace (ip netns exec works as well: reload_xdp.sh uses both).
pgc() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }

# shellcheck source-path=SCRIPTDIR source=heal_xdp_lib.sh
. "$HERE/heal_xdp_lib.sh"

attach() {
	pgc attach "$SRV_IF" --max-flows 1024 >/dev/null || return 1
	[ "${HEAL_BREAK:-}" = nopool ] && [ "${1:-}" = again ] && return 0
	for p in "$NAT_IP4/32" "$NAT_IP6/128" "$HL_FLOOD4" "$HL_FLOOD6"; do
		pgc pool add "$p" --iface "$SRV_IF" >/dev/null || return 1
	done
}

t0=$SECONDS
topo_up direct || { echo "FAIL: topology"; exit 1; }
topo_check 5 || { echo "FAIL: topology does not carry traffic"; exit 1; }
check "attach $SRV_IF --max-flows 1024, pools $NAT_IP4/32 $NAT_IP6/128 $HL_FLOOD4 $HL_FLOOD6" attach
hl_start 5301 || exit 1
n=$(hl_est_flows)
check "the $HL_CONNS connections are established flows ($n)" [ "$n" = "$HL_CONNS" ]
echo "connections whose raw TSvals run behind their translated ones: $(hl_at_risk) of $HL_CONNS" \
	"(those die on a restart unless their offset is learned again)"
hl_window steady 6

echo "== (a) restart: detach, 1 s untranslated, attach, pools"
hl_mark RESET
check "detach" quiet pgc detach "$SRV_IF"
sleep 1
check "attach again" attach again
hl_relearned "restart"

hl_flood_phase "tables of 1024 flows"
d=$(hl_delta unconf_add)
check "the unconfirmed tables overflowed (unconf_add +$d > 1024 per family)" [ "$d" -gt 2048 ]

hl_stop
check "detach" quiet pgc detach "$SRV_IF"
echo "heal xdp: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "heal xdp: $failures check(s) failed"
	exit 1
fi
echo "heal xdp: all checks passed"
