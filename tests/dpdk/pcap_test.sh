#!/bin/bash
# pawsguard-dpdk on pcap files (net_pcap): the client port reads gen_pcap.py's fixture, the
# server port writes what was forwarded; check_pcap.py then compares frame by frame with
# expected frames built from the input (exact bytes, TSval offsets, NOP'd options, TCP
# checksums), and the final counters are compared with the fixture's expectations.
#
# Usage: pcap_test.sh PATH/TO/pawsguard-dpdk [WORKERS] [fixture|evict]   (exit 77 = skip)
#   WORKERS 1: one worker, order kept exactly. More: frames spread over workers through the
#   handoff rings (one RX queue: the first worker receives all), matched per client address.
#   evict: 200 pool flows through tables of 16 flows / 8 sources: evictions, no failure.
set -u
BIN=${1:-}
WORKERS=${2:-1}
MODE=${3:-fixture}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
dp_require "$BIN"

PREFIX="pgd-pcap-$MODE$WORKERS-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgd-pcap.XXXXXX")
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
failures=0

if [ "$MODE" = evict ]; then
	"$PG_PYTHON" "$HERE/gen_pcap.py" evict "$TMP" >/dev/null || { echo "FAIL: generator"; exit 1; }
	"$PG_PYTHON" "$HERE/gen_pcap.py" fixture "$TMP" >/dev/null || { echo "FAIL: generator"; exit 1; }
	IN="$TMP/evict.pcap"
	APPARGS=(--pool 203.0.113.0/24 --max-flows 16 --max-sources 8)
else
	"$PG_PYTHON" "$HERE/gen_pcap.py" fixture "$TMP" || { echo "FAIL: generator"; exit 1; }
	IN="$TMP/in.pcap"
	mapfile -t APPARGS < <("$PG_PYTHON" -c '
import json, sys
for prefix, action in json.load(open(sys.argv[1]))["pools"]:
    print("--pool")
    print("%s,%s" % (prefix, action))' "$TMP/manifest.json")
fi
NIN=$("$PG_PYTHON" -c 'from scapy.all import rdpcap; import sys; print(len(rdpcap(sys.argv[1])))' "$IN")

# Port 0 (clients) reads the input and writes what comes back from the servers (nothing);
# port 1 (servers) reads an empty file (net_pcap needs an RX source) and writes the output.
VSTART=$(date +%s%3N)
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/run.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores "$WORKERS") \
	--vdev="net_pcap0,rx_pcap=$IN,tx_pcap=$TMP/out0.pcap" \
	--vdev="net_pcap1,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out1.pcap" \
	-- "${APPARGS[@]}"
if ! dp_ready "$PREFIX" 20; then
	echo "FAIL: appliance did not come up"
	cat "$TMP/run.out"
	exit 1
fi
got=$("$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets "$NIN" --timeout 20)
check "appliance forwarded all $NIN frames before SIGINT ($got)" [ "${got:-0}" = "$NIN" ]
VEND=$(date +%s%3N)
check "stopped cleanly on SIGINT" dp_stop 10
check "exit status 0 (got ${DP_RC:-none})" [ "${DP_RC:-1}" = 0 ]
sed -n '/^pawsguard-dpdk: stopped/,/^counters:/p' "$TMP/run.out"

n0=$("$PG_PYTHON" -c 'from scapy.all import rdpcap; import sys; print(len(rdpcap(sys.argv[1])))' "$TMP/out0.pcap" 2>/dev/null)
check "nothing sent back to the client port ($n0 frames)" [ "$n0" = 0 ]
check "tx_dropped 0" [ "$(dp_counter "$TMP/run.out" tx_dropped)" = 0 ]
check "ring_dropped 0" [ "$(dp_counter "$TMP/run.out" ring_dropped)" = 0 ]

if [ "$MODE" = evict ]; then
	n1=$("$PG_PYTHON" -c 'from scapy.all import rdpcap; import sys; print(len(rdpcap(sys.argv[1])))' "$TMP/out1.pcap" 2>/dev/null)
	check "all $NIN frames forwarded ($n1)" [ "$n1" = "$NIN" ]
	ev=$(dp_counter "$TMP/run.out" evictions)
	fl=$(dp_counter "$TMP/run.out" flows)
	so=$(dp_counter "$TMP/run.out" sources)
	rw=$(dp_counter "$TMP/run.out" tsval_rewritten)
	check "evictions counted ($ev)" [ "$ev" -gt 0 ]
	check "flows within their table (16 + worker rounding: $fl)" [ "$fl" -le $((16 + WORKERS)) ]
	check "sources within their table (8 + worker rounding: $so)" [ "$so" -le $((8 + WORKERS)) ]
	check "no insert failed (table_full $(dp_counter "$TMP/run.out" table_full))" \
		[ "$(dp_counter "$TMP/run.out" table_full)" = 0 ]
	# Every segment follows its SYN, so every flow is in the table when its segment comes.
	check "every SYN and segment rewritten ($rw of $NIN)" [ "$rw" = "$NIN" ]
else
	order=()
	[ "$WORKERS" -gt 1 ] && order=(--unordered)
	check "output frames as expected" "$PG_PYTHON" "$HERE/check_pcap.py" "$TMP/manifest.json" \
		"$IN" "$TMP/out1.pcap" "$VSTART" "$VEND" "${order[@]}"
	while read -r name want; do
		check "counter $name = $want" [ "$(dp_counter "$TMP/run.out" "$name")" = "$want" ]
	done < <("$PG_PYTHON" -c '
import json, sys
for k, v in json.load(open(sys.argv[1]))["expect"].items():
    print(k, v)' "$TMP/manifest.json")
fi

if [ "$failures" -gt 0 ]; then
	echo "dpdk pcap ($MODE, $WORKERS worker(s)): $failures check(s) failed"
	exit 1
fi
echo "dpdk pcap ($MODE, $WORKERS worker(s)): all checks passed"
