#!/bin/bash
# Complete listings on the XDP target: 1,200 pools (from a config file at attach, then by the
# CLI) listed, saved and flushed in full; 5,000 flows from 1,250 sources (real SYNs through
# a veth into the attached program) listed in full; --limit cuts and says so.
# Usage: many_xdp.sh PATH/TO/pawsguard    (exit 77 = skipped: not root)
set -u
PG=$1
HERE=$(cd "$(dirname "$0")" && pwd)
NS=pgmany
fails=0
TMP=$(mktemp -d)

# shellcheck source=lib.sh
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	nsenter --net="/run/netns/$NS" "$PG" detach pgma >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" && ip -n "$NS" link add pgma type veth peer name pgmb &&
	ip -n "$NS" link set pgma up && ip -n "$NS" link set pgmb up || { bad "netns setup"; exit 1; }
# Every verb names its target: other targets may be attached on this host meanwhile.
pgc() { nsenter --net="/run/netns/$NS" "$PG" "$@"; }
pgi() { pgc "$@" --iface pgma; }
count() { /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null; }

echo "== 1200 pools: 1000 from the config file at attach, 200 more from the CLI"
for i in $(seq 0 999); do
	echo "pool 10.$((i / 250)).$((i % 250)).0/24 rewrite"
done >"$TMP/pools.conf"
echo "max-flows 8192" >>"$TMP/pools.conf"
expect_out "attach with 1000 pools in the config" "attached to pgma" \
	pgc attach pgma --config "$TMP/pools.conf" --max-sources 4096
for i in $(seq 0 199); do
	pgi pool add "2001:db8:$i::/48" --action strip >/dev/null || { bad "pool add $i"; break; }
done
n=$(pgi pool list --json | count)
[ "$n" = 1200 ] && ok "pool list: all 1200" || bad "pool list shows $n of 1200"
expect_out "pool save: all 1200" "saved 1200 pools to $TMP/saved.conf" pgi pool save "$TMP/saved.conf"
n=$(grep -c '^pool ' "$TMP/saved.conf")
[ "$n" = 1200 ] && ok "the saved file holds 1200 pools" || bad "the saved file holds $n pools"
grep -q '^pool 2001:db8:199::/48 strip$' "$TMP/saved.conf" && ok "the saved file keeps actions" ||
	bad "2001:db8:199::/48 strip missing from the saved file"

echo "== 5000 flows from 1250 sources, listed in full"
# Pool 10.0.0.0/8 holds them (the /24s above are inside it as well: the longest prefix wins).
pgi pool add 10.0.0.0/8 >/dev/null || bad "pool add 10.0.0.0/8"
ip netns exec "$NS" /usr/bin/python3 - <<'PY' || bad "sending the SYNs"
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, sendp
opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5000, 0)), ("NOP", None), ("WScale", 7)]
pkts = [Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
        IP(src="10.9.%d.%d" % (i % 1250 // 250, i % 1250 % 250 + 1), dst="192.0.2.1") /
        TCP(sport=20000 + i // 1250, dport=80, flags="S", seq=i, options=opts)
        for i in range(5000)]
sendp(pkts, iface="pgmb", verbose=False)
PY
n=$(pgi flows --json --limit 100000 | count)
[ "$n" = 5000 ] && ok "flows: all 5000" || bad "flows lists $n of 5000"
n=$(pgi stats --json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["flows"])' 2>/dev/null)
[ "$n" = 5000 ] && ok "stats counts 5000 flows (batched table walk)" || bad "stats counts $n flows of 5000"
n=$(pgi sources --json --limit 100000 | count)
[ "$n" = 1250 ] && ok "sources: all 1250" || bad "sources lists $n of 1250"
expect_out "flows --limit 3 says it was limited" "^# 3 of 5000 flows shown \\(--limit\\)" \
	pgi flows --limit 3
n=$(pgi flows --json --limit 3 2>"$TMP/lim.err" | count)
[ "$n" = 3 ] && grep -q "3 of 5000 flows shown" "$TMP/lim.err" &&
	ok "flows --json --limit 3: three, the cut said on stderr" ||
	bad "flows --json --limit 3: $n, stderr [$(cat "$TMP/lim.err")]"

echo "== flush: every pool"
expect_out "pool flush: all 1201" "flushed 1201 pools" pgi pool flush
n=$(pgi pool list --json | count)
[ "$n" = 0 ] && ok "none left after the flush" || bad "$n pools left after the flush"
expect_out "detach" "detached from pgma" pgc detach pgma

[ "$fails" = 0 ] && { echo "cli many xdp: all checks passed"; exit 0; }
echo "cli many xdp: $fails check(s) failed"
exit 1
