#!/bin/bash
# pawsguard-dpdk telemetry: the /pawsguard/ commands through dpdk-telemetry.py (commands on
# its standard input, one JSON reply per line), JSON shapes and values asserted; then the
# pawsguard CLI against the same appliance, when it was built.
#
# The appliance reads gen_pcap.py's fixture and eviction pcaps (435 frames, 207 flows) on
# its client port and sends to net_null on the server port, so that sources and flows have
# something to list: more flows than one reply holds, so that paging is what lists them all.
#
# Usage: tel_test.sh PATH/TO/pawsguard-dpdk [PATH/TO/pawsguard]   (exit 77 = skip)
set -u
BIN=${1:-}
CLI=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
dp_require "$BIN"
TELPY=$(command -v dpdk-telemetry.py || true)
[ -n "$TELPY" ] || { echo "SKIP: dpdk-telemetry.py not installed"; exit 77; }

PREFIX="pgd-tel-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgd-tel.XXXXXX")
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
failures=0

gen_all() {
	"$PG_PYTHON" "$HERE/gen_pcap.py" fixture "$TMP" >/dev/null &&
		"$PG_PYTHON" "$HERE/gen_pcap.py" evict "$TMP" >/dev/null &&
		"$PG_PYTHON" -c '
import sys
from scapy.all import rdpcap, wrpcap
wrpcap(sys.argv[3], list(rdpcap(sys.argv[1])) + list(rdpcap(sys.argv[2])))' \
			"$TMP/in.pcap" "$TMP/evict.pcap" "$TMP/all.pcap"
}
gen_all || { echo "FAIL: generator"; exit 1; }

# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/run.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev="net_pcap0,rx_pcap=$TMP/all.pcap" --vdev=net_null0,no-rx=1 \
	-- --pool 203.0.113.0/24 --pool 2001:db8:100::/48
if ! dp_ready "$PREFIX" 20; then
	echo "FAIL: appliance did not come up"
	cat "$TMP/run.out"
	exit 1
fi
got=$("$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets 435 --timeout 20)
check "all 435 frames forwarded ($got)" [ "${got:-0}" = 435 ]

# One dpdk-telemetry.py session, commands on stdin, replies one per line, in order.
cat >"$TMP/cmds" <<'EOF'
/pawsguard/stats
/pawsguard/pools
/pawsguard/pool_add,198.51.100.0/24 strip
/pawsguard/pool_add,192.0.2.128/25,rewrite
/pawsguard/pool_add,2001:db8:300::/48
/pawsguard/pool_add,10.0.0.0/33
/pawsguard/pool_add,10.0.0.0/8 drop
/pawsguard/pool_add
/pawsguard/pool_add,2001:db8:100::/48 strip
/pawsguard/pools
/pawsguard/pool_del,192.0.2.128/25
/pawsguard/pool_del,192.0.2.128/25
/pawsguard/pool_del,not-a-cidr
/pawsguard/pools
/pawsguard/sources
/pawsguard/sources,2
/pawsguard/flows,3
/pawsguard/flows
/pawsguard/flows,abc
/
/pawsguard/flows,page,0,0
/pawsguard/pools,1,2
/pawsguard/pools,x
/pawsguard/sources,49
EOF
timeout 30 "$TELPY" -f "$PREFIX" <"$TMP/cmds" >"$TMP/replies" 2>"$TMP/tel.err"
check "dpdk-telemetry.py ran the commands (exit $?)" [ -s "$TMP/replies" ]

check "replies have the documented shapes and values" "$PG_PYTHON" - "$TMP/cmds" "$TMP/replies" \
	"$ROOT/include/pawsguard/types.h" <<'PY'
import json, re, sys

cmds = [l.strip() for l in open(sys.argv[1]) if l.strip()]
replies = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
names = re.findall(r'X\(\w+,\s*"(\w+)"', open(sys.argv[3]).read())
bad = []

def need(cond, msg):
    if not cond:
        bad.append(msg)

need(len(replies) == len(cmds), "%d replies to %d commands" % (len(replies), len(cmds)))
r = {}
for i, (c, rep) in enumerate(zip(cmds, replies)):
    key = c.split(",", 1)[0]
    need(list(rep) == [key], "reply %d keyed %s, expected %s" % (i, list(rep), key))
    r[i] = rep.get(key)

st = r[0]
need(isinstance(st, dict), "stats is a dict")
for n in names + ["flows", "sources", "evictions", "tx_dropped", "lcores"]:
    need(isinstance(st.get(n), int), "stats[%s] is a number" % n)
need(len(names) >= 20, "counter names parsed from types.h (%d)" % len(names))
# 435 frames: the fixture's 35 and the eviction pcap's 400, client side only: no SYN-ACK,
# so a pool flow's first segment after its SYN makes the SYN entry an orphan, and every
# segment of an orphan goes out with the orphan's TSval (pipeline.h). Rewritten: the
# fixture's 8 SYNs (A, its retransmit, B, C, D, E, A2, F), its 12 later segments as
# orphans' and its unknown flow's segment (its strip pools are not configured here: their
# frames pass), and all 400 (200 SYNs, 200 segments). Orphans: the fixture's A, B, C, D, E,
# A2, F and the unknown flow, and the 200. Flows: the fixture's 7 (A2 reuses A's entry,
# the unknown flow has one) and the 200; sources: 9 + 40.
need(st.get("packets") == 435, "stats packets = 435 (%s)" % st.get("packets"))
need(st.get("tsval_rewritten") == 421,
     "stats tsval_rewritten = 421 (%s)" % st.get("tsval_rewritten"))
need(st.get("orphan_new") == 208, "stats orphan_new = 208 (%s)" % st.get("orphan_new"))
need(st.get("lcores") == 1, "stats lcores = 1")
need(st.get("flows") == 207, "stats flows = 207 (%s)" % st.get("flows"))
need(st.get("tx_dropped") == 0 and st.get("evictions") == 0, "no drop, no eviction")

def pools(v):
    """A pools page: {"total", "offset", "next", "pools": {"POS": {...}}}, in order."""
    need(isinstance(v, dict) and set(v) == {"total", "offset", "next", "pools"},
         "pools page keys: %s" % v)
    if not isinstance(v, dict):
        return []
    need(sorted(int(k) for k in v.get("pools", {})) == list(range(v["offset"], v["next"])),
         "pools page keyed by position %s..%s: %s" % (v["offset"], v["next"], list(v["pools"])))
    return [v["pools"][str(i)] for i in range(v["offset"], v["next"])]

def listing(v, key):
    """A list reply: {"count": n, key: {"0": ..., "n-1": ...}}, in order."""
    need(isinstance(v, dict) and isinstance(v.get(key), dict) and
         sorted(v[key], key=int) == [str(i) for i in range(v.get("count", -1))],
         "%s: a dict keyed 0..count-1: %s" % (key, str(v)[:200]))
    return [v[key][str(i)] for i in range(v.get("count", 0))] if isinstance(v, dict) else []

need(pools(r[1]) == [{"prefix": "203.0.113.0/24", "action": "rewrite"},
                     {"prefix": "2001:db8:100::/48", "action": "rewrite"}],
     "initial pools: %s" % r[1])
need(r[1]["total"] == 2 and r[1]["next"] == 2, "initial pools: total and next 2")
for i, want in ((2, {"added": "198.51.100.0/24", "action": "strip", "pools": 3}),
                (3, {"added": "192.0.2.128/25", "action": "rewrite", "pools": 4}),
                (4, {"added": "2001:db8:300::/48", "action": "rewrite", "pools": 5}),
                (8, {"added": "2001:db8:100::/48", "action": "strip", "pools": 5}),
                (10, {"deleted": "192.0.2.128/25", "pools": 4})):
    need(r[i] == want, "command %d (%s) answered %s, expected %s" % (i, cmds[i], r[i], want))
for i in (5, 6, 7, 11, 12, 18, 22):
    need(isinstance(r[i], dict) and list(r[i]) == ["error"] and isinstance(r[i]["error"], str)
         and r[i]["error"] and "\n" not in r[i]["error"],
         "command %d (%s) gives one error line: %s" % (i, cmds[i], r[i]))
need("not found" in r[11]["error"] or "no pool" in r[11]["error"], "pool_del of a missing pool")
need(pools(r[9]) == [{"prefix": "203.0.113.0/24", "action": "rewrite"},
                     {"prefix": "2001:db8:100::/48", "action": "strip"},
                     {"prefix": "198.51.100.0/24", "action": "strip"},
                     {"prefix": "192.0.2.128/25", "action": "rewrite"},
                     {"prefix": "2001:db8:300::/48", "action": "rewrite"}],
     "pools after adds: %s" % r[9])
after_del = [{"prefix": "203.0.113.0/24", "action": "rewrite"},
             {"prefix": "2001:db8:100::/48", "action": "strip"},
             {"prefix": "198.51.100.0/24", "action": "strip"},
             {"prefix": "2001:db8:300::/48", "action": "rewrite"}]
need(pools(r[13]) == after_del, "pools after del: %s" % r[13])
need(pools(r[21]) == after_del[1:3] and r[21]["total"] == 4 and r[21]["next"] == 3,
     "pools,1,2 is the page of positions 1 and 2: %s" % r[21])

SRC_KEYS = ["addr", "action", "syns", "backwards", "tuple_back", "ttls", "max_fwd",
            "max_fwd_pos", "raw_max", "flows", "age_ms"]
FLOW_KEYS = ["client", "cport", "server", "sport", "offset", "state", "age_ms"]
src, flows = listing(r[14], "sources"), listing(r[17], "flows")
need(src, "sources is not empty")
for s in src:
    need(list(s) == SRC_KEYS, "source keys %s" % list(s))
    need(s["max_fwd"] == s["max_fwd_pos"] & 0xffffffff, "max_fwd is max_fwd_pos on the wire")
need([s["age_ms"] for s in src] == sorted(s["age_ms"] for s in src), "sources most recent first")
need(r[23] == {"error": r[23].get("error")} and "48" in r[23]["error"],
     "sources,49: more than one reply's 48 is refused, pointing at paging: %s" % r[23])
need(len(src) == 48, "48 of 49 sources listed by default (%d)" % len(src))
need(len(listing(r[15], "sources")) == 2, "sources,2 lists 2")
need(len(listing(r[16], "flows")) == 3, "flows,3 lists 3")
need(len(flows) == 48, "flows lists the 48 most recent of 207 (%d)" % len(flows))
for f in flows:
    need(list(f) == FLOW_KEYS, "flow keys %s" % list(f))
    need(f["state"] in ("syn", "established", "closing", "orphan"), "flow state %s" % f["state"])
need([f["age_ms"] for f in flows] == sorted(f["age_ms"] for f in flows), "flows most recent first")
need(all(f["client"].startswith("203.0.113.") for f in flows),
     "the most recent flows are the last ones received (evict pcap)")
need(all(c in r[19] for c in ["/pawsguard/stats", "/pawsguard/pools", "/pawsguard/pool_add",
                              "/pawsguard/pool_del", "/pawsguard/sources", "/pawsguard/flows"]),
     "/ lists the /pawsguard/ commands")
page = listing(r[20], "entries") if isinstance(r[20], dict) else []
need(len(page) == 48 and isinstance(r[20].get("next"), str),
     "flows,page,0,0: a full page of 48 and where the next starts: %s" % str(r[20])[:200])
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY

# The socket is root's alone: pool_add changes what the appliance does.
sock=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
check "telemetry socket mode 0600 ($(stat -c %a "$sock" 2>&1))" [ "$(stat -c %a "$sock")" = 600 ]
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	check_fails "a non-root user cannot connect" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$PG_PYTHON" -c '
import socket, sys
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sys.argv[1])
except PermissionError:
    sys.exit(1)' "$sock"
fi

# The standard DPDK commands still answer on the same socket.
eth=$(echo "/ethdev/stats,1" | timeout 10 "$TELPY" -f "$PREFIX" 2>/dev/null)
check "DPDK's own /ethdev/stats answers (port 1 opackets)" \
	"$PG_PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1])["/ethdev/stats"]; sys.exit(d["opackets"] != 435)' "$eth"

if [ -n "$CLI" ] && [ -x "$CLI" ]; then
	out=$("$CLI" pool list --json --dpdk "$PREFIX" 2>&1)
	check "pawsguard pool list --dpdk: $(echo "$out" | tr -d '\n' | cut -c1-100)" \
		grep -q "203.0.113.0/24" <<<"$out"
	out=$("$CLI" stats --json --dpdk "$PREFIX" 2>&1)
	check "pawsguard stats --dpdk: $(echo "$out" | tr -d '\n' | cut -c1-100)" grep -q "435" <<<"$out"
	out=$("$CLI" flows --json --dpdk "$PREFIX" --limit 5 2>&1)
	check "pawsguard flows --dpdk: $(echo "$out" | tr -d '\n' | cut -c1-100)" grep -q "203.0.113" <<<"$out"
	# Every source through the pages (49: more than the 48 of one reply), with its values.
	check "pawsguard sources --dpdk: all 49, 203.0.113.5 and 10.1.1.1 as observed" \
		"$PG_PYTHON" -c '
import json, sys
v = json.loads(sys.argv[1])
by = {s["addr"]: s for s in v}
a = by.get("203.0.113.5", {})
sys.exit(not (len(v) == 49 and a.get("action") == "rewrite" and a.get("syns") == 4 and
              a.get("flows") == 3 and a.get("backwards") == 1 and
              by.get("10.1.1.1", {}).get("action") == "none"))' \
		"$("$CLI" sources --json --dpdk "$PREFIX" --limit 1000 2>/dev/null)"
	# Every flow through the pages: all 207 (more than four replies' worth).
	n=$("$CLI" flows --json --dpdk "$PREFIX" --limit 100000 2>/dev/null |
		"$PG_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	check "pawsguard flows --dpdk --limit 100000 lists all 207 ($n)" [ "${n:-0}" = 207 ]
	out=$("$CLI" flows --dpdk "$PREFIX" --limit 5 2>&1)
	check "a listing cut by --limit says so" grep -q "^# 5 of 207 flows shown (--limit)" <<<"$out"
else
	echo "skip - the pawsguard CLI was not built: not checked against the appliance"
fi

check "stopped cleanly on SIGINT" dp_stop 10
check "exit status 0 (got ${DP_RC:-none})" [ "${DP_RC:-1}" = 0 ]
if [ "$failures" -gt 0 ]; then
	echo "dpdk telemetry: $failures check(s) failed"
	exit 1
fi
echo "dpdk telemetry: all checks passed"
