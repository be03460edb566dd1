#!/bin/bash
# Every pawsguard verb against the DPDK target (the appliance's telemetry), the same verbs
# and output as for XDP: pools (add, del, list, flush, save), a restart that keeps the
# saved pools through --config, stats (--json, --watch), sources, flows, suggest, target
# auto-detection, and errors. The appliance reads generated SYNs from a pcap on its client
# port and forwards them to net_null.
# Usage: cli_dpdk.sh PATH/TO/pawsguard PATH/TO/pawsguard-dpdk   (exit 77 = skipped)
set -u
PG=$1
BIN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=../dpdk/lib.sh
. "$HERE/../dpdk/lib.sh"
dp_require "$BIN"
fails=0
PREFIX=pgcli-$$
TMP=$(mktemp -d)
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# Outside the pools: 192.0.2.10 has a clock per connection (its SYN TSvals go backwards twice,
# across four 4-tuples), 192.0.2.11 is a NAT (its second SYN on one 4-tuple is behind the
# first). 10.1.1.1 is in the pool; 10.1.1.2 in the pool goes backwards once against its own
# first SYN.
gen() {
	"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 192.0.2.10 192.0.2.1 40000 \
		5000000,1000,6000000,2000 &&
		"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 192.0.2.11 192.0.2.1 45000 9000000 &&
		"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 192.0.2.11 192.0.2.1 45000 1000 &&
		"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 10.1.1.1 192.0.2.1 41000 7000 &&
		"$PG_PYTHON" "$HERE/send_syns.py" --pcap "$TMP/in.pcap" 10.1.1.2 192.0.2.1 42000 9000,3000
}
gen || { echo "FAIL: generator"; exit 1; }
NPKT=9

start() { # start EXTRA-ARGS...: the appliance with the pcap, ready and drained
	# shellcheck disable=SC2046 # word splitting of the EAL options is intended
	dp_start "$TMP/run.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
		--vdev="net_pcap0,rx_pcap=$TMP/in.pcap" --vdev=net_null0,no-rx=1 -- "$@"
	dp_ready "$PREFIX" 20 &&
		"$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets "$NPKT" --timeout 20 >/dev/null
}

echo "== no appliance yet"
expect_err "absent prefix" "no DPDK appliance running with file prefix '$PREFIX'" "$PG" stats --dpdk "$PREFIX"

echo "== start with one pool"
start --pool 10.0.0.0/8 || { bad "appliance did not come up: $(cat "$TMP/run.out")"; exit 1; }
D=(--dpdk "$PREFIX")

expect_out "pool list" "10.0.0.0/8 +rewrite" "$PG" pool list "${D[@]}"
expect_out "pool add strip" "added 198.51.100.0/24 strip \\(dpdk $PREFIX\\)" \
	"$PG" pool add 198.51.100.0/24 --action strip "${D[@]}"
expect_out "pool add IPv6 --json" '"added":"2001:db8::/32 rewrite"' "$PG" pool add 2001:db8::/32 --json "${D[@]}"
expect_out "options before the CIDR (--dpdk PREFIX CIDR)" "added 198.18.0.0/15 rewrite \\(dpdk $PREFIX\\)" \
	"$PG" pool add "${D[@]}" 198.18.0.0/15
expect_out "pool del, options first" "deleted 198.18.0.0/15" "$PG" pool del "${D[@]}" 198.18.0.0/15
expect_out "pool list --json" '"prefix":"198.51.100.0/24"' "$PG" pool list --json "${D[@]}"
[ "$(jq_py 'len(d)')" = 3 ] && ok "three pools" || bad "pool count: $(cat "$TMP/out")"
expect_out "pool del" "deleted 198.51.100.0/24" "$PG" pool del 198.51.100.0/24 "${D[@]}"
expect_err "pool del absent" "198.51.100.0/24" "$PG" pool del 198.51.100.0/24 "${D[@]}"
expect_err "bad CIDR" "bad CIDR" "$PG" pool add 300.1.1.1/8 "${D[@]}"
expect_out "pool add all" "added 0.0.0.0/0 rewrite, ::/0 rewrite \\(dpdk $PREFIX\\)" \
	"$PG" pool add all "${D[@]}"
expect_out "pool list after pool add all" "^::/0 +rewrite" "$PG" pool list "${D[@]}"
expect_out "pool del all" "deleted 0.0.0.0/0, ::/0" "$PG" pool del all "${D[@]}"
expect_err "a user who is not root is refused, not told it is absent" "permission denied: run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PG" stats "${D[@]}"

echo "== counters, sources, flows, suggest"
expect_out "stats" "^pawsguard dpdk $PREFIX" "$PG" stats "${D[@]}"
expect_out "stats --json" '"syn":9' "$PG" stats --json "${D[@]}"
[ "$(jq_py 'd["counters"]["pool_syn"]')" = 3 ] && ok "three pool SYNs" || bad "pool_syn: $(cat "$TMP/out")"
[ "$(jq_py 'd["counters"]["tsval_rewritten"]')" = 3 ] && ok "three TSvals rewritten" || bad "tsval_rewritten"
[ "$(jq_py 'd["counters"]["rescued"]')" = 1 ] && ok "one SYN rescued" || bad "rescued"
[ "$(jq_py 'd["counters"]["nat_suspect"]')" = 3 ] && ok "three SYNs backwards outside the pools" ||
	bad "nat_suspect"
[ "$(jq_py 'd["counters"]["nat_tuple"]')" = 1 ] && ok "one behind on its 4-tuple" || bad "nat_tuple"
[ "$(jq_py 'd["flows"]')" = 3 ] && ok "three flows in use" || bad "flows in use"
expect_out "stats --watch 1 --count 2" "packets" "$PG" stats --watch 1 --count 2 "${D[@]}"
[ "$(grep -c "^pawsguard dpdk $PREFIX" "$TMP/out")" = 2 ] && ok "watch printed twice" || bad "watch"
expect_out "sources" "192.0.2.10 +per-connection-clock +none +4 +2 +0 " "$PG" sources "${D[@]}"
expect_out "sources: the NAT" "192.0.2.11 +nat +none +2 +1 +1 " "$PG" sources "${D[@]}"
expect_out "sources --sort rescued --json --limit 1" '"addr":"192.0.2.11"' \
	"$PG" sources --sort rescued --json --limit 1 "${D[@]}"
[ "$(jq_py 'd[0]["kind"], d[0]["tuple_back"]')" = "nat 1" ] && ok "the NAT first, kind nat" ||
	bad "sources --sort rescued: $(cat "$TMP/out")"
expect_out "sources --json" '"lead_ms"' "$PG" sources --json "${D[@]}"
lead=$(jq_py 'max(abs(x["lead_ms"]) for x in d if x["action"] == "rewrite")')
[ "$lead" -lt 86400000 ] && ok "pool sources run within a day of the clock (lead $lead ms)" ||
	bad "lead_ms $lead: max_fwd lost its unwrapped position"
expect_out "flows" "10.1.1.1:41000 +192.0.2.1:80 +[0-9]+ +syn" "$PG" flows "${D[@]}"
expect_out "flows --json --limit 2" '"client":"10.1.1' "$PG" flows --json --limit 2 "${D[@]}"
[ "$(jq_py 'len(d)')" = 2 ] && ok "--limit 2 keeps two flows" || bad "flows --limit"
expect_out "suggest" "pawsguard pool add 192.0.2.11/32 --dpdk $PREFIX" "$PG" suggest "${D[@]}"
expect_out "suggest --json" '"kind":"nat"' "$PG" suggest --json "${D[@]}"
[ "$(jq_py 'len(d), d[0]["addr"], d[0]["tuple_back"]')" = "1 192.0.2.11 1" ] &&
	ok "suggest: the NAT alone" || bad "suggest --json: $(cat "$TMP/out")"
expect_out "suggest --rule per-peer" "pawsguard pool add 192.0.2.10/32 --dpdk $PREFIX" \
	"$PG" suggest --rule per-peer "${D[@]}"

echo "== the one running target is found without --dpdk"
if [ -z "$(ls /sys/fs/bpf/pawsguard 2>/dev/null)" ] &&
	[ "$(find /var/run/dpdk -mindepth 1 -maxdepth 1 | wc -l)" = 1 ]; then
	expect_out "stats without a target" "^pawsguard dpdk $PREFIX" "$PG" stats
else
	echo "skip - other pawsguard targets are running on this machine"
fi

echo "== save, restart with --config, flush"
expect_out "pool save" "saved 2 pools to $TMP/pools.conf" "$PG" pool save "$TMP/pools.conf" "${D[@]}"
dp_stop 10 || bad "appliance stop"
start --config "$TMP/pools.conf" || { bad "restart with --config: $(cat "$TMP/run.out")"; exit 1; }
expect_out "pools back after restart" "2001:db8::/32 +rewrite" "$PG" pool list "${D[@]}"
expect_out "pool flush" "flushed 2 pools" "$PG" pool flush "${D[@]}"
[ "$("$PG" pool list "${D[@]}" | wc -l)" = 1 ] && ok "no pool left" || bad "pools left"

echo "== 1000 pools: eight telemetry pages; every verb must see them all"
for i in $(seq 0 999); do
	"$PG" pool add "10.$((i / 250)).$((i % 250)).0/24" "${D[@]}" >/dev/null || { bad "pool add $i"; break; }
done
n=$("$PG" pool list --json "${D[@]}" | /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
[ "$n" = 1000 ] && ok "pool list: all 1000" || bad "pool list shows $n of 1000"
expect_out "pool save: all 1000" "saved 1000 pools to $TMP/many.conf" "$PG" pool save "$TMP/many.conf" "${D[@]}"
n=$(grep -c '^pool ' "$TMP/many.conf")
[ "$n" = 1000 ] && ok "the saved file holds 1000 pools" || bad "the saved file holds $n pools"
expect_out "pool flush: all 1000" "flushed 1000 pools" "$PG" pool flush "${D[@]}"
[ "$("$PG" pool list "${D[@]}" | wc -l)" = 1 ] && ok "none left after the flush" || bad "pools left after the flush"
dp_stop 10 || bad "appliance stop"

echo "== 6000 flows from 1500 sources: flows and sources list every one, a page at a time"
"$PG_PYTHON" - "$TMP/many.pcap" <<'PY' || bad "many-flows pcap"
import sys
from scapy.all import Ether, IP, TCP, wrpcap
opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5000, 0)), ("NOP", None), ("WScale", 7)]
wrpcap(sys.argv[1], [Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                     IP(src="10.2.%d.%d" % (i % 1500 // 250, i % 1500 % 250 + 1), dst="192.0.2.1") /
                     TCP(sport=20000 + i // 1500, dport=80, flags="S", seq=i, options=opts)
                     for i in range(6000)])
PY
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/many.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev="net_pcap0,rx_pcap=$TMP/many.pcap" --vdev=net_null0,no-rx=1 -- \
	--pool 10.0.0.0/8 --max-flows 8192 --max-sources 4096
if dp_ready "$PREFIX" 20 &&
	"$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets 6000 --timeout 30 >/dev/null; then
	n=$("$PG" flows --json --limit 100000 "${D[@]}" | "$PG_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n" = 6000 ] && ok "flows: all 6000" || bad "flows lists $n of 6000"
	n=$("$PG" sources --json --limit 100000 "${D[@]}" | "$PG_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n" = 1500 ] && ok "sources: all 1500" || bad "sources lists $n of 1500"
	n=$("$PG" flows --json --limit 5 "${D[@]}" | "$PG_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))')
	[ "$n" = 5 ] && ok "flows --limit 5: five" || bad "flows --limit 5 lists $n"
else
	bad "the appliance did not take the 6000 SYNs: $(tail -3 "$TMP/many.out")"
fi
dp_stop 10 || bad "appliance stop"

[ "$fails" = 0 ] && { echo "cli dpdk: all checks passed"; exit 0; }
echo "cli dpdk: $fails check(s) failed"
exit 1
