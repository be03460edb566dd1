#!/bin/bash
# pawsguard metrics against real targets: an attached XDP program and a running DPDK
# appliance, both with traffic. The exposition passes promtool; a real Prometheus server,
# started here on the loopback address, scrapes the endpoint and its query API must return
# pawsguard_packets_total above 0 for both targets; the textfile mode writes the same.
# Usage: metrics.sh PATH/TO/pawsguard [PATH/TO/pawsguard-dpdk]   (exit 77 = skipped)
set -u
PG=$1
BIN=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for c in promtool prometheus curl; do
	command -v "$c" >/dev/null || { echo "SKIP: $c not installed (scripts/deps.sh)"; exit 77; }
done
TMP=$(mktemp -d)
NS=pgmet$$
IF=pgmet$$
PREFIX=pgmet$$
failures=0
# shellcheck source=../check.sh
. "$ROOT/tests/check.sh"
# shellcheck source=../dpdk/lib.sh
[ -n "$BIN" ] && . "$ROOT/tests/dpdk/lib.sh"
PIDS=()

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$BIN" ] && dp_cleanup "$PREFIX"
	"$PG" detach "$IF" >/dev/null 2>&1
	ip link del "$IF" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free loopback port, chosen by the kernel.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "== targets: XDP on $IF with SYNs from a namespace; DPDK reading a pcap"
ip netns add "$NS" && ip link add "$IF" type veth peer name "${IF}b" netns "$NS" &&
	ip link set "$IF" up && ip -n "$NS" link set "${IF}b" up || { echo "FAIL: setup"; exit 1; }
check "attach XDP" "$PG" attach "$IF" --max-flows 1024 --max-sources 1024
check "pool add" "$PG" pool add 203.0.113.0/24 --iface "$IF"
ip netns exec "$NS" /usr/bin/python3 "$ROOT/tests/cli/send_syns.py" --iface "${IF}b" \
	203.0.113.7 192.0.2.1 40000 1000,2000,3000,4000,5000
targets=1
if [ -n "$BIN" ] && [ -x "$BIN" ]; then
	/usr/bin/python3 "$ROOT/tests/cli/send_syns.py" --pcap "$TMP/in.pcap" 203.0.113.9 192.0.2.1 \
		41000 100,200,300 || echo "FAIL: pcap"
	# shellcheck disable=SC2046 # word splitting of the EAL options is intended
	dp_start "$TMP/dp.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
		--vdev="net_pcap0,rx_pcap=$TMP/in.pcap" --vdev=net_null0,no-rx=1 -- \
		--pool 203.0.113.0/24 --max-flows 1024 --max-sources 1024
	check "appliance up" dp_ready "$PREFIX" 20
	PIDS+=("$DP_PID")
	targets=2
else
	echo "skip - no DPDK appliance built: XDP only"
fi

echo "== the exposition"
PORT=$(free_port)
"$PG" metrics --listen "127.0.0.1:$PORT" >"$TMP/metrics.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	curl -sf --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$TMP/m.txt" && break
	sleep 0.2
done
check "GET /metrics answers" [ -s "$TMP/m.txt" ]
[ -s "$TMP/m.txt" ] || { echo "metrics said:"; cat "$TMP/metrics.out"; }
check "promtool check metrics passes" promtool check metrics <"$TMP/m.txt"
check "pawsguard_up for xdp:$IF is 1" grep -qx "pawsguard_up{target=\"xdp:$IF\"} 1" "$TMP/m.txt"
# The veth carries the kernel's own packets too (IPv6 ND): count the SYNs, sent by us alone.
check "xdp SYNs counted (5)" grep -qx "pawsguard_syn_total{target=\"xdp:$IF\"} 5" "$TMP/m.txt"
check "not-understood reasons as one metric with a reason label" \
	grep -q "^pawsguard_not_understood_total{target=\"xdp:$IF\",reason=\"[a-z_]*\"} " "$TMP/m.txt"
for g in flows sources flows_capacity sources_capacity; do
	check "gauge pawsguard_$g" grep -q "^# TYPE pawsguard_$g gauge" "$TMP/m.txt"
done
check "xdp flows_capacity 1024" grep -qx "pawsguard_flows_capacity{target=\"xdp:$IF\"} 1024" "$TMP/m.txt"
# The XDP tables are counted by the server's own thread, not by the scrape: the 5 flows of
# the 5 SYNs appear with the age of their count.
for _ in $(seq 50); do
	curl -sf --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$TMP/m2.txt"
	grep -q "^pawsguard_flows{target=\"xdp:$IF\"}" "$TMP/m2.txt" && break
	sleep 0.2
done
check "xdp flows counted: 5" grep -qx "pawsguard_flows{target=\"xdp:$IF\"} 5" "$TMP/m2.txt"
check "xdp sources counted: 1" grep -qx "pawsguard_sources{target=\"xdp:$IF\"} 1" "$TMP/m2.txt"
check "the count's age is exported" grep -q "^pawsguard_table_count_age_seconds{target=\"xdp:$IF\"} [0-9.]*$" "$TMP/m2.txt"
if [ "$targets" = 2 ]; then
	check "dpdk target up" grep -qx "pawsguard_up{target=\"dpdk:$PREFIX\"} 1" "$TMP/m.txt"
	check "dpdk packets counted (3 SYNs)" \
		grep -qx "pawsguard_packets_total{target=\"dpdk:$PREFIX\"} 3" "$TMP/m.txt"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nothing")
check "another path is 404 ($code)" [ "$code" = 404 ]
check "only the named target with --iface" \
	bash -c "\"$PG\" metrics --textfile \"$TMP\" --count 1 --iface \"$IF\" >/dev/null &&
		! grep -q 'target=\"dpdk:' \"$TMP/pawsguard.prom\" && grep -q 'target=\"xdp:$IF\"' \"$TMP/pawsguard.prom\""

echo "== a real Prometheus scrapes it"
PPORT=$(free_port)
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: pawsguard
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prom.log" 2>&1 &
PIDS+=($!)
got=""
for _ in $(seq 60); do
	got=$(curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=pawsguard_packets_total{target=~\"xdp:$IF|dpdk:$PREFIX\"} > 0" |
		/usr/bin/python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(" ".join(sorted("%s=%s" % (x["metric"]["target"], x["value"][1]) for x in r)))' 2>/dev/null)
	[ "$(wc -w <<<"$got")" -ge "$targets" ] && break
	sleep 0.5
done
check "Prometheus has pawsguard_packets_total > 0 for $targets target(s): $got" \
	[ "$(wc -w <<<"$got")" -ge "$targets" ]
check "Prometheus sees xdp:$IF" grep -q "xdp:$IF=" <<<"$got"
[ "$targets" = 2 ] && check "Prometheus sees dpdk:$PREFIX" grep -q "dpdk:$PREFIX=3" <<<"$got"

echo "== textfile mode"
check "metrics --textfile writes twice and stops" \
	"$PG" metrics --textfile "$TMP" --interval 1 --count 2
check "the textfile passes promtool" promtool check metrics <"$TMP/pawsguard.prom"
check "the textfile has the xdp counters" \
	grep -qx "pawsguard_syn_total{target=\"xdp:$IF\"} 5" "$TMP/pawsguard.prom"
check_fails "no temporary file left" bash -c "ls -A \"$TMP\" | grep -q '^\\.pawsguard\\|\\.tmp'"
check_fails "metrics without --listen or --textfile refused" "$PG" metrics
check_fails "a bad --listen refused" "$PG" metrics --listen nowhere

if [ "$failures" -gt 0 ]; then
	echo "metrics: $failures check(s) failed"
	exit 1
fi
echo "metrics: all checks passed"
