# shellcheck shell=bash
# tests/e2e/heal_lib.sh: the long-lived-connection scenario of the self-healing tests
# (tests/e2e/heal_xdp.sh, tests/dpdk/heal_dpdk.sh) over topo.sh. Source after topo.sh and
# topo_up. Both clients sit behind the NAT, so the server sees every connection from
# NAT_IP4/NAT_IP6; each client namespace has its own TCP timestamp offset per server
# address (Linux: per address pair), so the four (client, family) pairs run four clocks.
#
# The caller defines:
#   hl_stats      a flat JSON object of the dataplane's counters (PG_STATS_LIST names)
#   hl_flows      a JSON array of the dataplane's flows ("client", "sport", "offset",
#                 "state" as `pawsguard flows --json` prints them), established ones at least
# and gets:
#   hl_start PORT        server on SRV_IP4/SRV_IP6:PORT, then HL_CONNS connections: c1 with
#                        2 busy and 3 idle ones, c2 with 1 busy and 3 idle ones, over both
#                        families; waits until every one has had an echo
#   hl_window LABEL S    every connection must go on exchanging data for S seconds and get
#                        back every message sent before (check)
#   hl_mark              remember TcpExtPAWSEstab and the counters (before an event)
#   hl_report EVENT      print the PAWSEstab delta and the healing counters since hl_mark
#   hl_delta NAME        a counter's change since hl_mark (the dataplane may have been
#                        restarted: then the current value, see hl_mark RESET)
#   hl_est_flows         how many of our connections the dataplane holds as established
#   hl_at_risk           how many of them would die if their TSvals went out untranslated
#   hl_flood N4 N6       spoofed SYNs from the pools (NAT address with low random ports, and
#                        the flood prefixes HL_FLOOD4/HL_FLOOD6) to the server port
#   hl_stop              stop the clients (drain), the server, and check every message
#   hl_flood_phase WHAT  event (b): 4000 spoofed SYNs, then the checks both dataplanes share
#                        (the flood arrived, no established flow evicted or re-learned)
#   hl_relearned WHAT    after a restart or failover: the window, the report, every
#                        connection's offset learned and established again
# Knobs: HL_WINDOW (seconds after each event, default 9: more than the idle period plus a
# recovery).
HL_PY=${PG_PYTHON:-/usr/bin/python3}
HL_TOOL="$(dirname "${BASH_SOURCE[0]}")/longconn.py"
# shellcheck disable=SC2034 # read by the scripts that source this file
HL_WINDOW=${HL_WINDOW:-9}
HL_CONNS=9
HL_DURATION=${HL_DURATION:-400}
HL_PIDS=()
HL_PORT=""
HL_FLOOD4="10.${PG_NET:-201}.3.0/24"
HL_FLOOD6="fd00:${PG_NET:-201}:3::/64"

# shellcheck source-path=SCRIPTDIR source=../check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"

hl_dir() {
	HL_DIR="$TOPO_TMP/heal"
	mkdir -p "$HL_DIR"
}

# Every client status present and every connection echoed at least once (bounded).
hl_all_up() {
	"$HL_PY" - "$HL_DIR/c1.json" "$HL_DIR/c2.json" "$HL_CONNS" <<-'EOF'
		import json, sys
		try:
		    cs = [c for f in sys.argv[1:3] for c in json.load(open(f))["conns"]]
		except (OSError, ValueError):
		    sys.exit(1)
		ok = len(cs) == int(sys.argv[3])
		ok = ok and all(c["echoed"] >= 1 and not c["error"] for c in cs)
		sys.exit(0 if ok else 1)
	EOF
}

hl_start() {
	local port=$1 i
	HL_PORT=$port
	hl_dir
	rm -f "$HL_DIR"/*.json "$HL_DIR/stop"
	timeout -k 2 "$HL_DURATION" ip netns exec "$NS_SRV" "$HL_PY" "$HL_TOOL" server \
		--addr "$SRV_IP4" --addr "$SRV_IP6" --port "$port" --status "$HL_DIR/srv.json" \
		--duration "$HL_DURATION" &
	HL_PIDS+=($!)
	topo_wait_listen "$NS_SRV" "$port" || { check "server listens on $port" false; return 1; }
	timeout -k 2 "$HL_DURATION" ip netns exec "$NS_C1" "$HL_PY" "$HL_TOOL" client --name c1 \
		--addr "$SRV_IP4" --addr "$SRV_IP6" --port "$port" --busy 2 --idle 3 \
		--status "$HL_DIR/c1.json" --stop-file "$HL_DIR/stop" --duration "$HL_DURATION" &
	HL_PIDS+=($!)
	timeout -k 2 "$HL_DURATION" ip netns exec "$NS_C2" "$HL_PY" "$HL_TOOL" client --name c2 \
		--addr "$SRV_IP4" --addr "$SRV_IP6" --port "$port" --busy 1 --idle 3 \
		--status "$HL_DIR/c2.json" --stop-file "$HL_DIR/stop" --duration "$HL_DURATION" &
	HL_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		hl_all_up && break
		sleep 0.1
	done
	check "$HL_CONNS long-lived connections up, each echoed once" hl_all_up
}

hl_snap() {
	cp "$HL_DIR/c1.json" "$HL_DIR/$1.c1.json" && cp "$HL_DIR/c2.json" "$HL_DIR/$1.c2.json"
}

hl_window() {
	local label=$1 secs=$2
	hl_snap before
	sleep "$secs"
	hl_snap after
	check "$label: every connection alive for ${secs}s more, no message lost" \
		"$HL_PY" "$HL_TOOL" window --label "$label" --expect "$HL_CONNS" \
		--before "$HL_DIR/before.c1.json" "$HL_DIR/before.c2.json" \
		--after "$HL_DIR/after.c1.json" "$HL_DIR/after.c2.json"
}

# Counter snapshot to a file; hl_get NAME FILE reads one.
hl_save_stats() {
	hl_stats >"$HL_DIR/$1.stats.json" 2>/dev/null || echo '{}' >"$HL_DIR/$1.stats.json"
}
hl_get() {
	"$HL_PY" -c '
import json, sys
print(int(json.load(open(sys.argv[2])).get(sys.argv[1], 0)))' "$1" "$HL_DIR/$2.stats.json" \
		2>/dev/null || echo 0
}

# hl_mark [RESET]: RESET = the counters start from 0 again (a new dataplane instance).
# shellcheck disable=SC2120 # the scripts that source this file pass RESET
hl_mark() {
	HL_PAWS0=$(nstat_get "$NS_SRV" TcpExtPAWSEstab)
	if [ "${1:-}" = RESET ]; then
		echo '{}' >"$HL_DIR/mark.stats.json"
	else
		hl_save_stats mark
	fi
}

hl_delta() {
	hl_save_stats now
	echo $(($(hl_get "$1" now) - $(hl_get "$1" mark)))
}

hl_report() {
	local n out=""
	hl_save_stats now
	for n in orphan_new flow_adopted echo_unmatched unconf_add evict_unconfirmed \
		evict_established table_full; do
		out="$out $n +$(($(hl_get "$n" now) - $(hl_get "$n" mark)))"
	done
	n=$(($(nstat_get "$NS_SRV" TcpExtPAWSEstab) - HL_PAWS0))
	echo "== $1: server TcpExtPAWSEstab +$n;$out; flows $(hl_get flows now)"
}

# Our connections among the dataplane's flows: client = the NAT, server port = HL_PORT.
hl_flow_filter() {
	hl_flows | "$HL_PY" -c '
import json, sys
want, port, what = sys.argv[1:3], int(sys.argv[3]), sys.argv[4]
fl = [f for f in json.load(sys.stdin)
      if f.get("client") in want and int(f.get("sport", 0)) == port
      and str(f.get("state", "")).lower().startswith("est")]
if what == "risk":
    # Untranslated, a TSval is older than the server ts_recent when offset > 0 (serial).
    fl = [f for f in fl if 0 < (int(f["offset"]) & 0xffffffff) < 1 << 31]
print(len(fl))' "$NAT_IP4" "$NAT_IP6" "$HL_PORT" "$1" 2>/dev/null || echo 0
}
hl_est_flows() { hl_flow_filter est; }
hl_at_risk() { hl_flow_filter risk; }

hl_flood() {
	local n4=$1 n6=$2 out
	out=$(timeout -k 2 60 ip netns exec "$NS_NAT" "$HL_PY" "$HL_TOOL" flood \
		--iface "$NAT_OUT_IF" --src-mac "$NAT_OUT_MAC" --dst-mac "$SRV_MAC" \
		--dst4 "$SRV_IP4" --dst6 "$SRV_IP6" \
		--port "$HL_PORT" --src4 "$NAT_IP4" "$HL_FLOOD4" --src6 "$NAT_IP6" "$HL_FLOOD6" \
		--count4 "$n4" --count6 "$n6" --pps 2000)
	echo "flood: $out"
	[ -n "$out" ]
}

hl_stop() {
	local i pid alive
	[ -n "${HL_DIR:-}" ] || return 0
	touch "$HL_DIR/stop"
	# The clients drain (at most 15 s) and exit; the server writes its status every 0.2 s.
	for ((i = 0; i < 200; i++)); do
		alive=0
		for pid in "${HL_PIDS[@]:1}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	sleep 0.5
	for pid in "${HL_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	HL_PIDS=()
	check "every message of every connection arrived, in order" \
		"$HL_PY" "$HL_TOOL" final --expect "$HL_CONNS" --server "$HL_DIR/srv.json" \
		--client "$HL_DIR/c1.json" "$HL_DIR/c2.json"
}

# For traps: kill what hl_start started, no checks.
hl_kill() {
	local pid
	for pid in "${HL_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	HL_PIDS=()
}

hl_flood_phase() {
	local d n
	echo "== (b) flood: 4000 spoofed SYNs from the pools, $1"
	hl_mark
	hl_flood 2500 1500 || check "flood sent" false
	hl_window "after flood" "$HL_WINDOW"
	hl_report "flood"
	d=$(hl_delta pool_syn)
	check "the flood reached pawsguard (pool_syn +$d >= 3600)" [ "$d" -ge 3600 ]
	d=$(hl_delta evict_established)
	check "no established flow evicted (evict_established +$d)" [ "$d" = 0 ]
	d=$(($(hl_delta orphan_new) + $(hl_delta flow_adopted)))
	check "no established flow was lost and re-learned (orphan_new + flow_adopted +$d)" \
		[ "$d" = 0 ]
	n=$(hl_est_flows)
	check "the $HL_CONNS connections are still established flows ($n)" [ "$n" = "$HL_CONNS" ]
}

hl_relearned() {
	local a n
	hl_window "after $1" "$HL_WINDOW"
	hl_report "$1"
	a=$(hl_get flow_adopted now)
	check "every connection's offset learned from the echo (flow_adopted $a >= $HL_CONNS)" \
		[ "$a" -ge "$HL_CONNS" ]
	n=$(hl_est_flows)
	check "the $HL_CONNS connections are established flows again ($n)" [ "$n" = "$HL_CONNS" ]
}
