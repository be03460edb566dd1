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

NCONN=${NCONN:-6}
BYTES=100000
failures=0

# `ip netns exec` remounts /sys, hiding bpffs: enter only the network namespace.
pgc() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }

cleanup() {
	[ -n "${NS_SRV:-}" ] && [ -e "/run/netns/$NS_SRV" ] && pgc detach "$SRV_IF" >/dev/null 2>&1
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() { # check DESCRIPTION CONDITION...
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		failures=$((failures + 1))
	fi
}

stat_of() { # stat_of NAME: a counter from `pawsguard stats --json`
	pgc stats --json --iface "$SRV_IF" | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
n = sys.argv[1]
print(d["counters"].get(n, d["not_understood"].get(n, d.get(n, 0))))' "$1"
}

paws_snapshot() {
	P_TW=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)
	P_EST=$(nstat_get "$NS_SRV" TcpExtPAWSEstab)
	P_ACT=$(($(nstat_get "$NS_C1" TcpExtPAWSActive) + $(nstat_get "$NS_C2" TcpExtPAWSActive)))
}

# phase_fail FAMILY PORT: without pawsguard, the failure must show.
phase_fail() {
	local fam=$1 port=$2
	echo "== IPv$fam without pawsguard (port $port): expect PAWS-rejected SYNs"
	scenario_run "$fam" 4 "$port" "$BYTES" 3 || { check "scenario ran" false; return; }
	if [ "$SC_FAIL" -gt 0 ] || [ "$SC_PAWSTW" -gt 0 ]; then
		echo "ok   - reproduced: $SC_FAIL hung connects, TcpExtPAWSTimewait +$SC_PAWSTW"
	else
		echo "FAIL - did not reproduce (no hung connect, TcpExtPAWSTimewait +0, tw_sport=$SC_TW_SPORT)"
		failures=$((failures + 1))
	fi
}

# phase_fix FAMILY PORT: with a rewrite pool, everything must work.
phase_fix() {
	local fam=$1 port=$2 tw est act rw tr
	echo "== IPv$fam with pawsguard, rewrite pool (port $port)"
	paws_snapshot
	rw=$(stat_of tsval_rewritten)
	tr=$(stat_of tsecr_translated)
	scenario_run "$fam" "$NCONN" "$port" "$BYTES" 3 || { check "scenario ran" false; return; }
	tw=$(($(nstat_get "$NS_SRV" TcpExtPAWSTimewait) - P_TW))
	est=$(($(nstat_get "$NS_SRV" TcpExtPAWSEstab) - P_EST))
	act=$(($(nstat_get "$NS_C1" TcpExtPAWSActive) + $(nstat_get "$NS_C2" TcpExtPAWSActive) - P_ACT))
	check "every connect succeeded ($SC_OK/$NCONN)" [ "$SC_OK" -eq "$NCONN" ]
	check "connects were quick (max ${SC_MAXCONNECT}s < 1s)" \
		awk -v m="$SC_MAXCONNECT" 'BEGIN { exit !(m < 1.0) }'
	check "at least $BYTES bytes each way (min received $SC_BYTES_MIN)" [ "$SC_BYTES_MIN" -ge "$BYTES" ]
	check "the NAT reused the 4-tuple (server TIME-WAIT on the client port: $SC_TW_SPORT)" \
		[ "$SC_TW_SPORT" -ge 1 ]
	check "TcpExtPAWSTimewait stayed 0 (+$tw)" [ "$tw" -eq 0 ]
	check "TcpExtPAWSEstab stayed 0 (+$est)" [ "$est" -eq 0 ]
	check "TcpExtPAWSActive stayed 0 on the clients (+$act)" [ "$act" -eq 0 ]
	check "TSvals were rewritten" [ "$(stat_of tsval_rewritten)" -gt "$rw" ]
	check "TSecrs were translated back" [ "$(stat_of tsecr_translated)" -gt "$tr" ]
}

topo_up direct || { echo "FAIL: topology"; exit 1; }
topo_check || { echo "FAIL: topology does not carry traffic"; exit 1; }

phase_fail 4 5001
phase_fail 6 5002

echo "== attach"
check "pawsguard attach $SRV_IF" pgc attach "$SRV_IF"
check "pool add $NAT_IP4/32" pgc pool add "$NAT_IP4/32" --iface "$SRV_IF"
check "pool add $NAT_IP6/128" pgc pool add "$NAT_IP6/128" --iface "$SRV_IF"

phase_fix 4 5003
phase_fix 6 5004
check "rescued SYNs counted ($(stat_of rescued))" [ "$(stat_of rescued)" -gt 0 ]
nu=$(pgc stats --json --iface "$SRV_IF" | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%d" % kv for kv in d["not_understood"].items() if kv[1]) or "none")')
check "no packet was not understood ($nu)" [ "$nu" = none ]

echo "== IPv4 strip pool, server tcp_rfc1337=0 (port 5005)"
topo_srv_rfc1337 0
check "pool add $NAT_IP4/32 --action strip" pgc pool add "$NAT_IP4/32" --action strip --iface "$SRV_IF"
st0=$(stat_of ts_stripped)
scenario_run 4 "$NCONN" 5005 "$BYTES" 3 || check "scenario ran" false
check "every connect succeeded ($SC_OK/$NCONN)" [ "$SC_OK" -eq "$NCONN" ]
check "connects within 3 s (max ${SC_MAXCONNECT}s)" awk -v m="$SC_MAXCONNECT" 'BEGIN { exit !(m <= 3.0) }'
check "no timestamps on the server side (connections with ts: $SC_TS)" [ "$SC_TS" -eq 0 ]
check "every server-side connection seen without ts ($SC_NOTS)" [ "$SC_NOTS" -eq "$NCONN" ]
check "at least $BYTES bytes each way (min received $SC_BYTES_MIN)" [ "$SC_BYTES_MIN" -ge "$BYTES" ]
check "options stripped ($(stat_of ts_stripped) > $st0)" [ "$(stat_of ts_stripped)" -ge $((st0 + NCONN)) ]

echo "== detach"
check "pawsguard detach $SRV_IF" pgc detach "$SRV_IF"
check "pins removed" [ ! -e "/sys/fs/bpf/pawsguard/$SRV_IF" ]

if [ "$failures" -gt 0 ]; then
	echo "xdp e2e: $failures check(s) failed"
	exit 1
fi
echo "xdp e2e: all checks passed"
