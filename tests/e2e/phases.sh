# shellcheck shell=bash
# tests/e2e/phases.sh: the phases every dataplane's end-to-end test runs over topo.sh, the
# same assertions whatever carries the translation. Source after topo.sh (and topo_up);
# the caller defines:
#   stat_of NAME            a pawsguard counter by name (stats.h names)
#   pool_set CIDR ACTION    add the pool, or change its action
#   not_understood          "none", or the non-zero not-understood reasons
# and gets:
#   check DESCRIPTION CMD...  run CMD, print ok/FAIL, count failures in $failures
#   phase_fail FAMILY PORT    without a pool: the failure must show ("did not reproduce")
#   phase_fix FAMILY PORT     with a rewrite pool: every connect at once, data both ways,
#                             no PAWS counter moves, TSvals and TSecrs translated
#   phase_strip FAMILY PORT   a strip pool, server at tcp_rfc1337=0: connections up within
#                             3 s without timestamps (TCP_INFO and ss -ti), data moves
#   phase_counters            rescued SYNs counted, nothing not understood
# Knobs: NCONN (default 6), BYTES (default 100000).
NCONN=${NCONN:-6}
BYTES=${BYTES:-100000}
failures=${failures:-0}

# shellcheck source=../check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

paws_snapshot() {
	P_TW=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)
	P_EST=$(nstat_get "$NS_SRV" TcpExtPAWSEstab)
	P_ACT=$(($(nstat_get "$NS_C1" TcpExtPAWSActive) + $(nstat_get "$NS_C2" TcpExtPAWSActive)))
}

phase_fail() {
	local fam=$1 port=$2
	echo "== IPv$fam without a pool (port $port): expect PAWS-rejected SYNs"
	scenario_run "$fam" 4 "$port" "$BYTES" 3 || { check "scenario ran" false; return; }
	if [ "$SC_FAIL" -gt 0 ] || [ "$SC_PAWSTW" -gt 0 ]; then
		echo "ok   - reproduced: $SC_FAIL hung connects, TcpExtPAWSTimewait +$SC_PAWSTW"
	else
		echo "FAIL - did not reproduce (no hung connect, TcpExtPAWSTimewait +0, tw_sport=$SC_TW_SPORT)"
		failures=$((failures + 1))
	fi
	check "some connection moved its bytes (min $SC_BYTES_MIN)" [ "$SC_OK" -ge 1 ]
}

phase_fix() {
	local fam=$1 port=$2 tw est act rw tr
	echo "== IPv$fam with a rewrite pool (port $port)"
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

phase_strip() {
	local fam=$1 port=$2 st0 addr
	[ "$fam" = 4 ] && addr="$NAT_IP4/32" || addr="$NAT_IP6/128"
	echo "== IPv$fam strip pool, server tcp_rfc1337=0 (port $port)"
	topo_srv_rfc1337 0
	check "strip pool $addr" pool_set "$addr" strip
	st0=$(stat_of ts_stripped)
	scenario_run "$fam" "$NCONN" "$port" "$BYTES" 3 || check "scenario ran" false
	check "every connect succeeded ($SC_OK/$NCONN)" [ "$SC_OK" -eq "$NCONN" ]
	check "connects within 3 s (max ${SC_MAXCONNECT}s)" awk -v m="$SC_MAXCONNECT" 'BEGIN { exit !(m <= 3.0) }'
	check "no timestamps on the server side (connections with ts: $SC_TS)" [ "$SC_TS" -eq 0 ]
	check "every server-side connection seen without ts ($SC_NOTS)" [ "$SC_NOTS" -eq "$NCONN" ]
	check "at least $BYTES bytes each way (min received $SC_BYTES_MIN)" [ "$SC_BYTES_MIN" -ge "$BYTES" ]
	check "options stripped ($(stat_of ts_stripped) > $st0)" [ "$(stat_of ts_stripped)" -ge $((st0 + NCONN)) ]
	scenario_probe_ts "$fam" $((port + 1)) >/dev/null
	check "ss -ti on the server shows the connection without ts (probe: $SC_SS_TS)" [ "$SC_SS_TS" = 1 ]
	topo_srv_rfc1337 1
}

phase_counters() {
	local nu
	check "rescued SYNs counted ($(stat_of rescued))" [ "$(stat_of rescued)" -gt 0 ]
	nu=$(not_understood)
	check "no packet was not understood ($nu)" [ "$nu" = none ]
}
