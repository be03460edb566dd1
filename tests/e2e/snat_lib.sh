# shellcheck shell=bash
# tests/e2e/snat_lib.sh: the SNAT-under-pressure case (docs/DESIGN.md, "The failure" and
# "Telling NATs from per-connection clocks") on the real kernel, for either dataplane. Source
# after topo.sh (and topo_up) and check.sh.
#
# Since 2026 Linux gives every 4-tuple its own timestamp offset. A NAT that maps a new inner
# connection onto an outer 4-tuple the server still holds in TIME-WAIT (a node's SNAT under
# port pressure, as in Kubernetes: netfilter reuses outer tuples whose conntrack entry is in
# TIME_WAIT once its port range is used up) therefore sends a SYN with an unrelated TSval,
# behind the old connection's about half of the time: the server's TIME-WAIT check rejects
# it (TcpExtPAWSTimewait), answers with an ACK of the old connection, the client's RST
# frees the socket (tcp_rfc1337=0, the default) and the SYN retransmitted a second later
# gets through: a connect slowed by a second.
#
#   snat_setup            the NAT masquerades TCP onto SN_PORTS outer ports (40000 on),
#                         default conntrack timeouts (topo.sh lowers them for its classic
#                         case), SN_SINGLE_IP4 on the NAT's outside interface left alone
#                         (a host of its own, for the single-client case); server at
#                         tcp_rfc1337=0
#   snat_run PORT N       a server on PORT that closes first, N short connections taking
#                         turns from c1 and c2, one at a time (snat_load.py). Sets SN_DONE
#                         SN_OK SN_FAIL SN_SLOW (connects of 0.5 s or more) SN_MAXC
#                         SN_PAWSTW (TcpExtPAWSTimewait delta on the server) SN_DROPS (SYNs
#                         the NAT itself dropped: conntrack found no reusable outer tuple)
#                         SN_SERVED SN_PEERPORTS (distinct client ports the server saw)
#   snat_phase_fail PORT  snat_run without a pool: TIME-WAIT PAWS rejects and slow connects
#                         must show; if the kernel produced no reject in the bounded run,
#                         the test says so and fails ("did not reproduce")
#   snat_phase_fix PORT   snat_run with the NAT in a rewrite pool: no reject, no connect
#                         slowed but by the NAT's own drops, rescued_tw counted
# The caller defines stat_of NAME (a pawsguard counter by name) and, for the detection
# checks, pgcli ARGS... (the pawsguard CLI on the dataplane under test).
# Knobs: SN_PORTS (default 16), SN_CONNS (default 300).
SN_PORTS=${SN_PORTS:-16}
SN_CONNS=${SN_CONNS:-300}
SN_LOAD="$(dirname "${BASH_SOURCE[0]}")/snat_load.py"

snat_setup() {
	local hi=$((40000 + SN_PORTS - 1))
	SN_SINGLE_IP4="10.${PG_NET:-201}.2.3"
	topo_nsx "$NS_NAT" nft delete table ip pg_nat || return 1
	# shellcheck disable=SC2016 # nothing to expand but our variables
	topo_nsx "$NS_NAT" nft -f - <<-EOF || return 1
		table ip pg_nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				ip saddr $SN_SINGLE_IP4 accept
				oifname "$NAT_OUT_IF" meta l4proto tcp masquerade to :40000-$hi
				oifname "$NAT_OUT_IF" masquerade
			}
		}
	EOF
	# The kernel's defaults (topo.sh set them to 1 s for its classic case).
	topo_nsx "$NS_NAT" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=120 \
		net.netfilter.nf_conntrack_tcp_timeout_close=10 \
		net.netfilter.nf_conntrack_tcp_timeout_syn_sent=120 >/dev/null || return 1
	ip -n "$NS_NAT" addr add "$SN_SINGLE_IP4/24" dev "$NAT_OUT_IF" || return 1
	topo_srv_rfc1337 0
}

# SYNs the NAT dropped itself: the "drop" column of /proc/net/stat/nf_conntrack (hex, per
# CPU), summed.
snat_nat_drops() {
	topo_nsx "$NS_NAT" cat /proc/net/stat/nf_conntrack | "$PG_PYTHON" -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
i = rows[0].index("drop")
print(sum(int(r[i], 16) for r in rows[1:]))'
}

# snat_client PORT ARGS...: snat_load.py client against the server's PORT; prints its JSON.
snat_client() {
	local port=$1
	shift
	timeout -k 2 400 "$PG_PYTHON" "$SN_LOAD" client --addr "$SRV_IP4" --port "$port" \
		--connect-timeout 5 --deadline 300 "$@" | tail -n 1
}

# snat_serve PORT: start the server in NS_SRV (SN_SPID), bounded; 0 once it listens.
snat_serve() {
	SN_SLOG=$(mktemp "${TOPO_TMP:-${TMPDIR:-/tmp}}/snat.XXXXXX") || return 1
	timeout -k 2 420 ip netns exec "$NS_SRV" "$PG_PYTHON" "$SN_LOAD" server --addr "$SRV_IP4" \
		--port "$1" --timeout 410 >"$SN_SLOG" &
	SN_SPID=$!
	topo_wait_listen "$NS_SRV" "$1"
}

# snat_unserve: stop the server; sets SN_SERVED SN_PEERPORTS.
snat_unserve() {
	local out
	kill -TERM "$SN_SPID" 2>/dev/null
	wait "$SN_SPID" 2>/dev/null
	out=$(tail -n 1 "$SN_SLOG")
	rm -f "$SN_SLOG"
	read -r SN_SERVED SN_PEERPORTS <<<"$("$PG_PYTHON" -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    print(d["served"], d["peer_ports"])
except Exception:
    print(0, 0)' "$out")"
}

# json_get JSON KEY...: the values, space-separated ("0" for a missing one).
json_get() {
	"$PG_PYTHON" -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    d = {}
print(" ".join(str(d.get(k, 0)) for k in sys.argv[2:]))' "$@"
}

snat_run() {
	local port=$1 n=$2 paws0 drops0 out
	SN_DONE=0 SN_OK=0 SN_FAIL=0 SN_SLOW=0 SN_MAXC=0 SN_PAWSTW=0 SN_DROPS=0 SN_SERVED=0
	SN_PEERPORTS=0
	snat_serve "$port" || { topo_log "snat_run: no server on $port"; return 1; }
	paws0=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)
	drops0=$(snat_nat_drops)
	out=$(snat_client "$port" --count "$n" --netns "$NS_C1,$NS_C2")
	SN_PAWSTW=$(($(nstat_get "$NS_SRV" TcpExtPAWSTimewait) - paws0))
	SN_DROPS=$(($(snat_nat_drops) - drops0))
	snat_unserve
	echo "client: $out"
	read -r SN_DONE SN_OK SN_FAIL SN_SLOW SN_MAXC <<<"$(json_get "$out" 'done' ok fail slow \
		max_connect_s)"
	echo "SNAT run port $port: $SN_DONE of $n connections, ok $SN_OK, failed $SN_FAIL," \
		"slow $SN_SLOW (max ${SN_MAXC}s), TcpExtPAWSTimewait +$SN_PAWSTW, NAT drops $SN_DROPS," \
		"server: $SN_SERVED served from $SN_PEERPORTS ports"
}

# More connections than 4 per outer port, all from the NAT's range: tuples were reused.
snat_reused() { [ "$SN_PEERPORTS" -le "$SN_PORTS" ] && [ "$SN_SERVED" -gt $((4 * SN_PORTS)) ]; }

snat_phase_fail() {
	local port=$1
	echo "== SNAT onto $SN_PORTS ports, no pool (pawsguard passes every packet, port $port)"
	snat_run "$port" "$SN_CONNS" || { check "SNAT run" false; return; }
	check "every connection ran ($SN_DONE of $SN_CONNS)" [ "$SN_DONE" -eq "$SN_CONNS" ]
	check "the NAT reused its outer 4-tuples ($SN_SERVED connections from $SN_PEERPORTS ports)" \
		snat_reused
	if [ "$SN_PAWSTW" -gt 0 ]; then
		echo "ok   - reproduced: TcpExtPAWSTimewait +$SN_PAWSTW," \
			"$SN_SLOW connects slowed (max ${SN_MAXC}s)"
	else
		echo "FAIL - did not reproduce: the kernel ($(uname -r)) produced no TIME-WAIT PAWS reject" \
			"in $SN_DONE connections onto $SN_PORTS outer ports: this test proves nothing here"
		failures=$((failures + 1))
	fi
	check "connects slowed by the rejects ($SN_SLOW)" [ "$SN_SLOW" -gt 0 ]
}

snat_phase_fix() {
	local port=$1 tw0 rw0 tw rw what
	echo "== SNAT onto $SN_PORTS ports, the NAT in a rewrite pool (port $port)"
	tw0=$(stat_of rescued_tw)
	rw0=$(stat_of tsval_rewritten)
	snat_run "$port" "$SN_CONNS" || { check "SNAT run" false; return; }
	check "every connection ran ($SN_DONE of $SN_CONNS)" [ "$SN_DONE" -eq "$SN_CONNS" ]
	check "the NAT reused its outer 4-tuples ($SN_SERVED connections from $SN_PEERPORTS ports)" \
		snat_reused
	check "TcpExtPAWSTimewait stayed 0 (+$SN_PAWSTW)" [ "$SN_PAWSTW" -eq 0 ]
	# The NAT drops a SYN when none of its outer tuples may be reused (conntrack wants the
	# new ISN after the old connection's); that delay is the NAT's, not the server's.
	what="slow $SN_SLOW, failed $SN_FAIL, NAT drops $SN_DROPS"
	check "no connect slowed or failed but by the NAT's own drops ($what)" \
		[ $((SN_SLOW + SN_FAIL)) -le "$SN_DROPS" ]
	rw=$(stat_of tsval_rewritten)
	tw=$(stat_of rescued_tw)
	check "TSvals rewritten ($rw0 -> $rw)" [ "$rw" -gt "$rw0" ]
	check "SYNs the TIME-WAIT rule would have rejected counted as rescued_tw ($tw0 -> $tw)" \
		[ "$tw" -gt "$tw0" ]
}

# snat_source_get ADDR KEY...: fields of ADDR in `sources --json` (pgcli), "-" if absent.
snat_source_get() {
	local addr=$1
	shift
	pgcli sources --json --limit 100000 | "$PG_PYTHON" -c '
import json, sys
addr, keys = sys.argv[1], sys.argv[2:]
for s in json.load(sys.stdin):
    if s["addr"] == addr:
        print(" ".join(str(s.get(k, "-")) for k in keys))
        break
else:
    print(" ".join("-" for k in keys))' "$addr" "$@"
}

# snat_suggests RULE ADDR: the kind `suggest --json --rule RULE` gives ADDR, "-" if absent.
snat_suggests() {
	pgcli suggest --json --rule "$1" --limit 100000 | "$PG_PYTHON" -c '
import json, sys
print(next((s["kind"] for s in json.load(sys.stdin) if s["addr"] == sys.argv[1]), "-"))' "$2"
}

snat_grew() { [ "$1" != - ] && [ "$1" -gt "$2" ]; }

# After snat_phase_fail: the evidence calls the NAT a NAT (tuple_back grew past BEFORE).
snat_check_detect() {
	local before=$1 tb kind
	read -r tb kind <<<"$(snat_source_get "$NAT_IP4" tuple_back kind)"
	check "the SNAT traffic showed several clocks on one 4-tuple (tuple_back $before -> $tb)" \
		snat_grew "$tb" "$before"
	check "sources: $NAT_IP4 is kind nat ($kind)" [ "$kind" = nat ]
	kind=$(snat_suggests timewait "$NAT_IP4")
	check "suggest (timewait) lists $NAT_IP4 as nat ($kind)" [ "$kind" = nat ]
}
