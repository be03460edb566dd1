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

NCONN=${NCONN:-6}
# DP_WORKERS=2: two worker lcores, two queue pairs per veth (the kernel's packet fanout
# spreads frames over them), so frames cross between workers through the handoff rings.
DP_WORKERS=${DP_WORKERS:-1}
BYTES=100000
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

tel() { "$PG_PYTHON" "$PGTEL" "$PREFIX" "$@"; }

stat_of() { # stat_of NAME: a counter of /pawsguard/stats
	tel /pawsguard/stats | "$PG_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

pool_add() { # pool_add "CIDR[ ACTION]": must answer {"ok": 1}
	[ "$(tel "/pawsguard/pool_add,$1")" = '{"ok": 1}' ]
}

paws_snapshot() {
	P_TW=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)
	P_EST=$(nstat_get "$NS_SRV" TcpExtPAWSEstab)
	P_ACT=$(($(nstat_get "$NS_C1" TcpExtPAWSActive) + $(nstat_get "$NS_C2" TcpExtPAWSActive)))
}

# phase_fail FAMILY PORT: the appliance forwards, no pool: the failure must show.
phase_fail() {
	local fam=$1 port=$2
	echo "== IPv$fam through the appliance, no pool (port $port): expect PAWS-rejected SYNs"
	scenario_run "$fam" 4 "$port" "$BYTES" 3 || { check "scenario ran" false; return; }
	if [ "$SC_FAIL" -gt 0 ] || [ "$SC_PAWSTW" -gt 0 ]; then
		echo "ok   - reproduced: $SC_FAIL hung connects, TcpExtPAWSTimewait +$SC_PAWSTW"
	else
		echo "FAIL - did not reproduce (no hung connect, TcpExtPAWSTimewait +0, tw_sport=$SC_TW_SPORT)"
		failures=$((failures + 1))
	fi
	check "some connection moved its bytes through the appliance (min $SC_BYTES_MIN)" \
		[ "$SC_OK" -ge 1 ]
}

# phase_fix FAMILY PORT: with a rewrite pool, everything must work.
phase_fix() {
	local fam=$1 port=$2 tw est act rw tr
	echo "== IPv$fam through the appliance, rewrite pool (port $port)"
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
check "pool_add $NAT_IP4/32" pool_add "$NAT_IP4/32"
check "pool_add $NAT_IP6/128" pool_add "$NAT_IP6/128 rewrite"
phase_fix 4 5103
phase_fix 6 5104
check "rescued SYNs counted ($(stat_of rescued))" [ "$(stat_of rescued)" -gt 0 ]
nu=$(tel /pawsguard/stats | "$PG_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
r = ["bad_l2", "bad_ip", "fragment", "ip6_ext", "bad_tcp", "opt_len", "opt_overrun", "ts_len",
     "ts_dup", "opt_cap"]
print(" ".join("%s=%d" % (k, d[k]) for k in r if d.get(k)) or "none")')
check "no packet was not understood ($nu)" [ "$nu" = none ]

echo "== IPv4 strip pool, server tcp_rfc1337=0 (port 5105)"
topo_srv_rfc1337 0
check "pool_add $NAT_IP4/32 strip (the action changes)" pool_add "$NAT_IP4/32 strip"
st0=$(stat_of ts_stripped)
scenario_run 4 "$NCONN" 5105 "$BYTES" 3 || check "scenario ran" false
check "every connect succeeded ($SC_OK/$NCONN)" [ "$SC_OK" -eq "$NCONN" ]
check "connects within 3 s (max ${SC_MAXCONNECT}s)" awk -v m="$SC_MAXCONNECT" 'BEGIN { exit !(m <= 3.0) }'
check "no timestamps on the server side (connections with ts: $SC_TS)" [ "$SC_TS" -eq 0 ]
check "every server-side connection seen without ts ($SC_NOTS)" [ "$SC_NOTS" -eq "$NCONN" ]
check "at least $BYTES bytes each way (min received $SC_BYTES_MIN)" [ "$SC_BYTES_MIN" -ge "$BYTES" ]
check "options stripped ($(stat_of ts_stripped) > $st0)" [ "$(stat_of ts_stripped)" -ge $((st0 + NCONN)) ]
scenario_probe_ts 4 5106 >/dev/null
check "ss -ti on the server shows the connection without ts (probe: $SC_SS_TS)" [ "$SC_SS_TS" = 1 ]

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
