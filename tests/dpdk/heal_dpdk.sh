#!/bin/bash
# Self-healing flows on the DPDK appliance: nine long-lived connections from two
# clients behind the NAT (a rewrite pool), three busy (a message every 50-100 ms) and six
# idle (one every 3-5 s), every message numbered and echoed (tests/e2e/longconn.py), through
# pawsguard-dpdk inline on net_af_packet (tests/e2e/topo.sh, inline mode) with a table of
# 1024 flows. In turn:
#  (a) kill -9, then a fresh start: every flow's offset is gone and must be learned again
#      from the server's echo (flow_adopted), or the server drops the connection's segments
#      by per-connection PAWS for good;
#  (a') SIGTERM, then a start with --state FILE: the tables come back, nothing to learn, and
#      the server never sees an untranslated segment (TcpExtPAWSEstab +0);
#  (b) a flood of 4000 spoofed SYNs from the pools (the NAT address with random low ports,
#      and a second pool prefix) against the 1024-entry table: unconfirmed entries are
#      evicted, established flows never (evict_established +0, no flow re-learned);
#  (c) failover: the instance is killed (kill -9) and another one, with another
#      --file-prefix and no state, takes the same interfaces: it learns every flow.
# After each, every connection must go on exchanging data and get back every message sent
# before; at the end every message must have arrived once, in order (client and server
# count). The server's TcpExtPAWSEstab delta and the appliance's counters are printed beside
# each event. docs/DESIGN.md, "Learning a flow's offset" and "Eviction classes".
#
# Usage: heal_dpdk.sh PATH/TO/pawsguard-dpdk    (root; exit 77 = skipped); about 80 s.
# HEAL_BREAK=nopool: the fresh start after kill -9 gets no pools (a deliberately wrong
# setup, to see the test fail: the connections whose TSvals run behind stall).
set -u
BIN=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
E2E="$HERE/../e2e"
export PG_NS=${PG_NS:-pghd} PG_NET=${PG_NET:-223}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
dp_require "$BIN"
# shellcheck source-path=SCRIPTDIR source=../e2e/topo.sh
. "$E2E/topo.sh"
# shellcheck source-path=SCRIPTDIR source=../e2e/heal_lib.sh
. "$E2E/heal_lib.sh"
for tool in ip nft ethtool ss ping timeout; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }

PREFIX="pghd-$$"
B_PREFIX="pghd-$$-b"
TEL=$PREFIX   # the instance telemetry talks to
RUN=0         # instances started so far (output files dp1.out, dp2.out, ...)
OUT=""
STATE=""

cleanup() {
	hl_kill
	dp_cleanup "$PREFIX"
	rm -rf "/var/run/dpdk/$B_PREFIX"
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tel() { "$PG_PYTHON" "$PGTEL" "$TEL" "$@"; }
hl_stats() { tel /pawsguard/stats; }
hl_flows() { "$PG_PYTHON" "$PGTEL" --list "$TEL" flows; }

# dp_up PREFIX [--state] [--nopool]: start an instance on the two veths, wait until it
# answers. One worker lcore: the kernel's TCP stacks keep the other CPU.
dp_up() {
	local prefix=$1 opt pools=() state=()
	shift
	for opt in "$NAT_IP4/32" "$NAT_IP6/128" "$HL_FLOOD4" "$HL_FLOOD6"; do
		pools+=(--pool "$opt")
	done
	for opt in "$@"; do
		case "$opt" in
		--state) state=(--state "$STATE") ;;
		--nopool) pools=() ;;
		esac
	done
	RUN=$((RUN + 1))
	OUT="$HL_DIR/dp$RUN.out"
	TEL=$prefix
	# shellcheck disable=SC2046 # word splitting of the EAL options is intended
	dp_start "$OUT" ip netns exec "$NS_APP" "$BIN" $(dp_eal "$prefix") $(dp_lcores 1) \
		--vdev="net_af_packet0,iface=$APP_IF0" --vdev="net_af_packet1,iface=$APP_IF1" -- \
		--max-flows 1024 "${pools[@]}" "${state[@]}"
	if ! dp_ready "$prefix" 20; then
		echo "appliance $RUN did not come up:"
		cat "$OUT"
		return 1
	fi
}

# dp_kill SIGNAL: stop the running instance with SIGNAL, bounded; DP_RC = its exit status.
# (stderr off: bash reports a job killed by a signal whenever it reaps it.)
dp_kill() {
	local i
	{
		kill "-$1" "$DP_PID"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$DP_PID" || break
			sleep 0.1
		done
		kill -KILL "$DP_PID"
		wait "$DP_PID"
		DP_RC=$?
	} 2>/dev/null
	DP_PID=""
}

t0=$SECONDS
topo_up inline || { echo "FAIL: topology"; exit 1; }
hl_dir
STATE="$HL_DIR/pawsguard.state"
check "appliance started (--max-flows 1024, pools $NAT_IP4/32 $NAT_IP6/128 $HL_FLOOD4 $HL_FLOOD6)" \
	dp_up "$PREFIX" --state || exit 1
topo_check 5 || { echo "FAIL: topology does not carry traffic through the appliance"; exit 1; }
hl_start 5401 || exit 1
n=$(hl_est_flows)
check "the $HL_CONNS connections are established flows ($n)" [ "$n" = "$HL_CONNS" ]
echo "connections whose raw TSvals run behind their translated ones: $(hl_at_risk) of $HL_CONNS" \
	"(those die on a restart unless their offset is learned again)"
hl_window steady 6

echo "== (a) kill -9, then a fresh start"
hl_mark RESET
dp_kill KILL
brk=""
[ "${HEAL_BREAK:-}" = nopool ] && brk=--nopool
check "fresh start" dp_up "$PREFIX" --state $brk
check "no state to load after kill -9" grep -q "state .*: none yet, starting empty" "$OUT"
hl_relearned "kill -9 + fresh start"

echo "== (a') SIGTERM, then a start with --state"
dp_kill TERM
check "SIGTERM: exit status 0 (got $DP_RC)" [ "$DP_RC" = 0 ]
grep "state saved to" "$OUT"
check "state written" [ -s "$STATE" ]
hl_mark RESET
check "start with --state" dp_up "$PREFIX" --state
grep "state loaded from\|state .*starting empty" "$OUT"
check "state loaded" grep -q "state loaded from" "$OUT"
hl_window "after SIGTERM + --state" "$HL_WINDOW"
hl_report "SIGTERM + start with --state"
d=$(($(hl_get orphan_new now) + $(hl_get flow_adopted now)))
check "nothing to learn: the flows came back (orphan_new + flow_adopted $d)" [ "$d" = 0 ]
d=$(($(nstat_get "$NS_SRV" TcpExtPAWSEstab) - HL_PAWS0))
check "the server saw no untranslated segment (TcpExtPAWSEstab +$d)" [ "$d" = 0 ]
n=$(hl_est_flows)
check "the $HL_CONNS connections are established flows ($n)" [ "$n" = "$HL_CONNS" ]

hl_flood_phase "a table of 1024 flows"
d=$(hl_delta evict_unconfirmed)
check "the table overflowed: unconfirmed entries evicted (+$d)" [ "$d" -gt 0 ]

echo "== (c) failover: instance A killed, instance B (--file-prefix $B_PREFIX, no state) starts"
hl_mark RESET
dp_kill KILL
check "instance B started on the same interfaces" dp_up "$B_PREFIX"
hl_relearned "failover to B"

hl_stop
check "B stopped cleanly on SIGINT" dp_stop 10
echo "heal dpdk: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "heal dpdk: $failures check(s) failed"
	exit 1
fi
echo "heal dpdk: all checks passed"
