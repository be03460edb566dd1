#!/bin/bash
# pawsguard-dpdk on pcap files (net_pcap): each port reads one direction of gen_pcap.py's
# fixture and writes what was forwarded the other way; check_pcap.py then compares frame by
# frame with expected frames built from the input (exact bytes, TSval and TSecr values from
# the rules, orphans' TSvals 2^30 ms behind the run's clock, NOP'd options, TCP checksums),
# and the final counters of each run are compared with the fixture's expectations.
#
# Usage: pcap_test.sh PATH/TO/pawsguard-dpdk [WORKERS] [MODE]   (exit 77 = skip)
#   WORKERS 1: one worker, order kept exactly. More: frames spread over workers through the
#   handoff rings (one RX queue: the first worker receives all), matched per client address.
#   A fixture may fix its own worker count per run.
#   MODE fixture (default): one direction, every kind of frame the pipeline sees.
#   learn: both directions: orphans, adoption from the server's echo, a connection never
#     translated, jumbo frames as mbuf chains (--mtu 9000 --mbuf-size 1024).
#   classes: eviction classes in a table of 8 flows under a burst of SYNs.
#   state: --state FILE across a stop and a start with another worker count.
#   evict: 200 pool flows through tables of 16 flows / 8 sources: evictions, no failure,
#     every frame rewritten (SYNs, and their segments as orphans' without SYN-ACKs).
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
# Bursts as the worker reads them: the fixtures order both directions by them.
BURST=$(sed -n 's/^#define PG_BURST[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
	"$HERE/../../dataplane/pg_dpdk.h")
[ -n "$BURST" ] || { echo "FAIL: PG_BURST not found in dataplane/pg_dpdk.h"; exit 1; }

nframes() {
	"$PG_PYTHON" -c 'from scapy.all import rdpcap; import sys; print(len(rdpcap(sys.argv[1])))' \
		"$1" 2>/dev/null
}

# run_appliance OUT WORKERS IN0 OUT0 IN1 OUT1 NIN ARGS...: port 0 (clients) reads IN0 and
# writes OUT0, port 1 (servers) reads IN1 and writes OUT1; waits until NIN frames went out,
# then (with FLOWS_WANT set) checks the flows listing, and stops with SIGINT.
run_appliance() {
	local out=$1 workers=$2 in0=$3 out0=$4 in1=$5 out1=$6 nin=$7 got
	shift 7
	# shellcheck disable=SC2046 # word splitting of the EAL options is intended
	dp_start "$out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores "$workers") \
		--vdev="net_pcap0,rx_pcap=$in0,tx_pcap=$out0" \
		--vdev="net_pcap1,rx_pcap=$in1,tx_pcap=$out1" -- "$@"
	if ! dp_ready "$PREFIX" 20; then
		echo "FAIL: appliance did not come up"
		cat "$out"
		exit 1
	fi
	got=$("$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets "$nin" --timeout 20)
	check "appliance forwarded all $nin frames before SIGINT ($got)" [ "${got:-0}" = "$nin" ]
	if [ -n "${FLOWS_WANT:-}" ]; then
		"$PG_PYTHON" "$PGTEL" --list "$PREFIX" flows >"$TMP/flows.json"
		check "flows listed by state: $FLOWS_WANT" "$PG_PYTHON" -c '
import collections, json, sys
got = collections.Counter(f["state"] for f in json.load(open(sys.argv[1])))
want = json.loads(sys.argv[2])
print("  flows by state:", dict(got))
sys.exit(0 if dict(got) == want else 1)' "$TMP/flows.json" "$FLOWS_WANT"
	fi
	check "stopped cleanly on SIGINT" dp_stop 10
	check "exit status 0 (got ${DP_RC:-none})" [ "${DP_RC:-1}" = 0 ]
	sed -n '/^pawsguard-dpdk: stopped/,/^counters:/p' "$out"
	grep '^pawsguard-dpdk: state\|^pawsguard-dpdk: port .* faces' "$out"
	check "tx_dropped 0" [ "$(dp_counter "$out" tx_dropped)" = 0 ]
	check "ring_dropped 0" [ "$(dp_counter "$out" ring_dropped)" = 0 ]
	rm -rf "/var/run/dpdk/$PREFIX"
}

if [ "$MODE" = evict ]; then
	"$PG_PYTHON" "$HERE/gen_pcap.py" evict "$TMP" >/dev/null || { echo "FAIL: generator"; exit 1; }
	IN="$TMP/evict.pcap"
	NIN=$(nframes "$IN")
	VSTART=$(date +%s%3N)
	run_appliance "$TMP/run.out" "$WORKERS" "$IN" "$TMP/evict_s.out.pcap" "$TMP/empty.pcap" \
		"$TMP/evict_c.out.pcap" "$NIN" --pool 203.0.113.0/24 --max-flows 16 --max-sources 8
	VEND=$(date +%s%3N)
	OUT="$TMP/run.out"
	n0=$(nframes "$TMP/evict_s.out.pcap")
	n1=$(nframes "$TMP/evict_c.out.pcap")
	check "nothing sent back to the client port ($n0 frames)" [ "$n0" = 0 ]
	check "all $NIN frames forwarded ($n1)" [ "$n1" = "$NIN" ]
	ev=$(dp_counter "$OUT" evictions)
	fl=$(dp_counter "$OUT" flows)
	so=$(dp_counter "$OUT" sources)
	rw=$(dp_counter "$OUT" tsval_rewritten)
	on=$(dp_counter "$OUT" orphan_new)
	check "evictions counted ($ev)" [ "$ev" -gt 0 ]
	check "flows within their table (16 + worker rounding: $fl)" [ "$fl" -le $((16 + WORKERS)) ]
	check "sources within their table (8 + worker rounding: $so)" [ "$so" -le $((8 + WORKERS)) ]
	check "no insert failed (table_full $(dp_counter "$OUT" table_full))" \
		[ "$(dp_counter "$OUT" table_full)" = 0 ]
	# Every SYN is rewritten. No SYN-ACK comes back here, so each flow's next segment is
	# another connection's as far as pawsguard knows (pipeline.h): an orphan, whether its
	# SYN's entry was still there or already evicted, its TSval rewritten to the orphan's
	# (2^30 ms behind the clock). No insert failed, so no orphan passed untouched.
	check "every frame rewritten ($rw of $NIN)" [ "$rw" = "$NIN" ]
	check "every segment an orphan ($on of $((NIN / 2)))" [ "$on" = $((NIN / 2)) ]
	echo "[{\"vstart\": $VSTART, \"vend\": $VEND, \"workers\": $WORKERS}]" >"$TMP/runs.json"
	check "output frames as expected" "$PG_PYTHON" "$HERE/check_pcap.py" "$TMP/evict.json" \
		"$TMP/runs.json"
else
	"$PG_PYTHON" "$HERE/gen_pcap.py" "$MODE" "$TMP" "$BURST" || { echo "FAIL: generator"; exit 1; }
	NRUNS=$("$PG_PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["runs"]))' \
		"$TMP/manifest.json")
	echo "[" >"$TMP/runs.json"
	for ((r = 0; r < NRUNS; r++)); do
		# One field of run r; lists one word a line; @STATE@ is this test's state file.
		field() {
			"$PG_PYTHON" -c '
import json, sys
v = json.load(open(sys.argv[1]))["runs"][int(sys.argv[2])].get(sys.argv[3], sys.argv[4])
if isinstance(v, list):
    print("\n".join(x.replace("@STATE@", sys.argv[5]) for x in v))
elif isinstance(v, dict):
    print(json.dumps(v, sort_keys=True))
elif v != "":
    print(v)' "$TMP/manifest.json" "$r" "$1" "$2" "$TMP/pg.state"
		}
		W=$(field workers "$WORKERS")
		mapfile -t ARGS < <(field args "")
		FLOWS_WANT=$(field flows "")
		IC="$TMP/$(field in_c "")" IS="$TMP/$(field in_s "")"
		OC="$TMP/$(field out_c "")" OS="$TMP/$(field out_s "")"
		NIN=$(($(nframes "$IC") + $(nframes "$IS")))
		echo "--- run $r: $W worker(s), $NIN frames, ${ARGS[*]}"
		VSTART=$(date +%s%3N)
		run_appliance "$TMP/run$r.out" "$W" "$IC" "$OS" "$IS" "$OC" "$NIN" "${ARGS[@]}"
		VEND=$(date +%s%3N)
		[ "$r" -gt 0 ] && echo "," >>"$TMP/runs.json"
		echo "{\"vstart\": $VSTART, \"vend\": $VEND, \"workers\": $W}" >>"$TMP/runs.json"
		while read -r name want; do
			got=$(dp_counter "$TMP/run$r.out" "$name")
			check "run $r: counter $name = $want (got $got)" [ "$got" = "$want" ]
		done < <("$PG_PYTHON" -c '
import json, sys
for k, v in sorted(json.load(open(sys.argv[1]))["runs"][int(sys.argv[2])]["expect"].items()):
    print(k, v)' "$TMP/manifest.json" "$r")
		while read -r line; do
			[ -n "$line" ] || continue
			check "run $r: output has /$line/" grep -Eq "$line" "$TMP/run$r.out"
		done < <(field lines "")
	done
	echo "]" >>"$TMP/runs.json"
	check "output frames as expected" "$PG_PYTHON" "$HERE/check_pcap.py" "$TMP/manifest.json" \
		"$TMP/runs.json"
fi

if [ "$failures" -gt 0 ]; then
	echo "dpdk pcap ($MODE, $WORKERS worker(s)): $failures check(s) failed"
	exit 1
fi
echo "dpdk pcap ($MODE, $WORKERS worker(s)): all checks passed"
