#!/bin/bash
# Upgrade in place (docs/DESIGN.md, "Pins, namespaces and upgrades"): `pawsguard reload` under
# nine long-lived connections from two clients behind the NAT (a rewrite pool), three busy
# and six idle, every message numbered and echoed (tests/e2e/longconn.py). Two reloads, one
# through `ip netns exec` and one through nsenter, replace both programs while the maps stay:
# no flow may be lost (no orphan learned, none adopted again), the server must see no
# segment out of its PAWS window (TcpExtPAWSEstab unchanged), every connection must keep
# exchanging data, and at the end every message must have arrived once, in order.
# Usage: reload_xdp.sh PATH/TO/pawsguard     (root; exit 77 = skipped); about 25 s.
# RELOAD_BREAK=detach: detach and attach instead of reload (to see the test fail: flows are
# lost and learned again).
set -u
PG=${1:?usage: reload_xdp.sh PATH/TO/pawsguard}
export PG_NS=${PG_NS:-pgr} PG_NET=${PG_NET:-217}
# Windows of 6 s: more than the idle connections' period (3-5 s).
HL_WINDOW=${HL_WINDOW:-6}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$HERE/topo.sh"
# shellcheck source-path=SCRIPTDIR source=heal_lib.sh
. "$HERE/heal_lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$PG" ] || { echo "SKIP: $PG not built"; exit 77; }
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

# Both ways into the server's namespace; the pins are the same.
pgc() { ip netns exec "$NS_SRV" "$PG" "$@"; }
pgn() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }

# shellcheck source-path=SCRIPTDIR source=heal_xdp_lib.sh
. "$HERE/heal_xdp_lib.sh"
jget() { "$HL_PY" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
status_get() { pgc status "$SRV_IF" --json | jget "d['targets'][0]['$1']"; }

attach() {
	pgc attach "$SRV_IF" --max-flows 4096 >/dev/null || return 1
	pgc pool add "$NAT_IP4/32" --iface "$SRV_IF" >/dev/null &&
		pgc pool add "$NAT_IP6/128" --iface "$SRV_IF" >/dev/null
}

# reload_phase WHAT CLI: one reload while the connections run, then the checks.
reload_phase() {
	local what=$1 cli=$2 xdp0 tc0 d n
	echo "== reload through $what"
	hl_mark
	xdp0=$(status_get xdp_pinned)
	tc0=$(status_get tc_pinned)
	if [ "${RELOAD_BREAK:-}" = detach ]; then
		check "detach and attach instead (RELOAD_BREAK=detach)" detach_attach
	else
		check "reload through $what" quiet "$cli" reload "$SRV_IF"
	fi
	check "new programs attached and pinned (XDP $xdp0 -> $(status_get xdp_attached), TC $tc0 -> $(status_get tc_attached))" \
		new_programs "$xdp0" "$tc0"
	hl_window "after the reload through $what" "$HL_WINDOW"
	hl_report "reload through $what"
	d=$(($(nstat_get "$NS_SRV" TcpExtPAWSEstab) - HL_PAWS0))
	check "no segment out of the server's PAWS window (TcpExtPAWSEstab +$d)" [ "$d" = 0 ]
	d=$(($(hl_delta orphan_new) + $(hl_delta flow_adopted)))
	check "no flow lost and learned again (orphan_new + flow_adopted +$d)" [ "$d" = 0 ]
	d=$(hl_delta tsecr_translated)
	check "the new TC program translates (tsecr_translated +$d)" [ "$d" -gt 0 ]
	d=$(hl_delta tsval_rewritten)
	check "the new XDP program rewrites (tsval_rewritten +$d)" [ "$d" -gt 0 ]
	n=$(hl_est_flows)
	check "the $HL_CONNS connections are still established flows ($n)" [ "$n" = "$HL_CONNS" ]
}
detach_attach() { quiet pgc detach "$SRV_IF" && attach; }
new_programs() {
	local s
	s=$(pgc status "$SRV_IF" --json) || return 1
	[ "$(jget "d['targets'][0]['healthy'] and d['targets'][0]['xdp_attached'] == \
d['targets'][0]['xdp_pinned'] != $1 and d['targets'][0]['tc_attached'] == \
d['targets'][0]['tc_pinned'] != $2" <<<"$s")" = True ]
}

t0=$SECONDS
topo_up direct || { echo "FAIL: topology"; exit 1; }
topo_check 5 || { echo "FAIL: topology does not carry traffic"; exit 1; }
check "attach $SRV_IF, pools $NAT_IP4/32 $NAT_IP6/128" attach
hl_start 5311 || exit 1
n=$(hl_est_flows)
check "the $HL_CONNS connections are established flows ($n)" [ "$n" = "$HL_CONNS" ]
echo "connections whose raw TSvals run behind their translated ones: $(hl_at_risk) of $HL_CONNS" \
	"(those would stall on a single untranslated segment)"
hl_window steady 5
pools0=$(pgc pool list --json --iface "$SRV_IF")
reload_phase "ip netns exec" pgc
reload_phase nsenter pgn
check "pools kept" [ "$(pgc pool list --json --iface "$SRV_IF")" = "$pools0" ]
check "status counts two reloads" [ "$(status_get reloads)" = 2 ]
check "counters kept across both (flow_new $(hl_get flow_new now) >= $HL_CONNS)" \
	[ "$(hl_get flow_new now)" -ge "$HL_CONNS" ]

hl_stop
check "detach" quiet pgc detach "$SRV_IF"
echo "reload xdp: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "reload xdp: $failures check(s) failed"
	exit 1
fi
echo "reload xdp: all checks passed"
