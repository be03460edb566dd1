#!/bin/bash
# Every pawsguard verb against the XDP target, and bad input: each error must be one line
# on stderr with exit status 1. Traffic comes from scapy on the peer of a veth whose other
# end has pawsguard attached (native XDP on veth). Every verb runs twice, under
# `ip netns exec NS` (a private mount namespace with its own /sys: the pins must still land
# in the host's bpffs) and under `nsenter --net=` (the host's mount namespace), and the two
# must see the same pins.
# Usage: cli_xdp.sh PATH/TO/pawsguard    (exit 77 = skipped: not root). PG_NS names the
# namespace (default pgcli).
set -u
PG=$1
HERE=$(cd "$(dirname "$0")" && pwd)
NS=${PG_NS:-pgcli}
fails=0
TMP=$(mktemp -d)

# shellcheck source=lib.sh
. "$HERE/lib.sh"

echo "== bad input, parsed before anything is touched"
expect_err "unknown verb" "unknown command 'frobnicate'" "$PG" frobnicate
expect_err "pool without a sub-command" "needs one of add" "$PG" pool
expect_err "unknown option" "unknown option '--bogus'" "$PG" stats --bogus
expect_err "bad CIDR" "bad CIDR '10.0.0.0/33'" "$PG" pool add 10.0.0.0/33 --iface lo
expect_err "not an address" "not an IPv4 or IPv6 address" "$PG" pool add nonsense --iface lo
expect_err "control characters escaped, one line" "bad CIDR '10\\.0\\.0\\.0/8\\\\x0a\\\\x1b\\[31m'" \
	"$PG" pool add $'10.0.0.0/8\n\e[31m' --iface lo
expect_err "bad action" "expected rewrite or strip" "$PG" pool add 10.0.0.0/8 --action drop --iface lo
expect_err "number out of range" "out of range" "$PG" sources --limit 0 --iface lo
expect_err "not a number" "not a number" "$PG" attach lo --max-flows 12k
expect_err "missing argument" "missing IFACE" "$PG" attach
expect_err "extra argument" "unexpected argument" "$PG" detach a b
expect_err "two targets" "not both" "$PG" stats --iface lo --dpdk
expect_err "option value missing" "needs a value" "$PG" attach lo --config
expect_err "--count without --watch" "only makes sense with --watch" "$PG" stats --count 2 --iface lo
expect_err "no command: a one-line hint" "no command given \\(try 'pawsguard help'" "$PG"
expect_out "help" "pawsguard pool add CIDR" "$PG" help
expect_out "verb --help" "add \\(or change\\) a NAT pool" "$PG" pool add --help
expect_out "--version" "^pawsguard [0-9]" "$PG" --version

[ "$(id -u)" = 0 ] || { echo "SKIP: the rest needs root"; exit 77; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	nsenter --net="/run/netns/$NS" "$PG" detach pgca >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" && ip -n "$NS" link add pgca type veth peer name pgcb &&
	ip -n "$NS" link set pgca up && ip -n "$NS" link set pgcb up || { bad "netns setup"; exit 1; }
# How the CLI enters the namespace: MODE=netns (ip netns exec) or nsenter.
MODE=netns
pgc() {
	if [ "$MODE" = netns ]; then
		ip netns exec "$NS" "$PG" "$@"
	else
		nsenter --net="/run/netns/$NS" "$PG" "$@"
	fi
}
send() { ip netns exec "$NS" /usr/bin/python3 "$HERE/send_syns.py" --iface pgcb "$@"; }

verbs() {
	local port=$1
	local -a T=()
	echo "== [$MODE] errors that need the system"
	expect_err "no such interface" "no such interface 'nope0'" pgc attach nope0
	expect_err "not attached" "not attached to pgca" pgc pool list --iface pgca
	# Without --iface the one running target is used: only while no appliance of another
	# test runs on this machine.
	if pgc stats 2>&1 | grep -q "no pawsguard running"; then
		ok "no target running"
	else
		T=(--iface pgca)
		echo "note - another pawsguard target is running on this machine: naming pgca"
	fi
	expect_err "status: nothing attached" "no pawsguard XDP target in this network namespace" pgc status
	expect_err "status IFACE: not attached" "not attached to pgca" pgc status pgca
	expect_err "reload: not attached" "not attached to pgca" pgc reload pgca
	if command -v setpriv >/dev/null; then
		expect_err "not root" "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$PG" attach lo
		expect_err "status, not root" "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$PG" status
	fi

	echo "== [$MODE] attach, status, pools"
	expect_out "attach" "attached to pgca .*pins in /sys/fs/bpf/pawsguard/net[0-9]+-if[0-9]+" \
		pgc attach pgca --max-flows 4096 --max-sources 4096
	expect_err "attach twice" "already attached to pgca" pgc attach pgca
	expect_out "status" "pawsguard xdp pgca .*: healthy" pgc status
	expect_out "status IFACE --json" '"healthy":true' pgc status pgca --json
	[ "$(jq_py 'd["targets"][0]["xdp_attached"] == d["targets"][0]["xdp_pinned"] > 0')" = True ] &&
		ok "status: the XDP program attached is the one pinned" || bad "status xdp ids: $(cat "$TMP/out")"
	[ "$(jq_py 'd["targets"][0]["layout"] > 0 and d["targets"][0]["tc_prio"] == 1')" = True ] &&
		ok "status: layout version recorded, TC filter at pref 1" || bad "status layout/prio"
	[ "$(jq_py '[t["max"] for t in d["targets"][0]["tables"] if t["map"] == "pg_flows4"][0]')" = 4096 ] &&
		ok "status: table sizes" || bad "status tables: $(cat "$TMP/out")"
	expect_out "pool add (default rewrite)" "added 10.0.0.0/8 rewrite" pgc pool add 10.1.2.3/8 --iface pgca
	expect_out "pool add strip, IPv6" "added 2001:db8::/32 strip" pgc pool add 2001:db8::/32 --action strip "${T[@]}"
	expect_out "pool add --json" '"added":"198.51.100.0/24 rewrite"' pgc pool add 198.51.100.0/24 --json "${T[@]}"
	expect_out "pool list" "2001:db8::/32 +strip" pgc pool list "${T[@]}"
	expect_out "pool list --json" '"prefix":"10.0.0.0/8"' pgc pool list --json "${T[@]}"
	[ "$(jq_py 'len(d)')" = 3 ] && ok "three pools listed" || bad "pool list --json length"
	expect_out "pool add all: every source, both families" \
		"added 0.0.0.0/0 rewrite, ::/0 rewrite \(xdp pgca\)" pgc pool add all "${T[@]}"
	expect_out "pool list after pool add all" "^::/0 +rewrite" pgc pool list "${T[@]}"
	[ "$(pgc pool list "${T[@]}" | wc -l)" = 6 ] && ok "five pools" ||
		bad "pools after pool add all: $(pgc pool list "${T[@]}")"
	expect_out "pool del all" "deleted 0.0.0.0/0, ::/0" pgc pool del all "${T[@]}"
	expect_err "pool del all again: the first is gone" "no pool 0.0.0.0/0" pgc pool del all "${T[@]}"
	expect_out "pool del" "deleted 198.51.100.0/24" pgc pool del 198.51.100.0/24 --iface pgca
	expect_err "pool del of an absent pool" "no pool 198.51.100.0/24" pgc pool del 198.51.100.0/24 "${T[@]}"
	expect_out "pool save" "saved 2 pools to $TMP/pools.conf" pgc pool save "$TMP/pools.conf" "${T[@]}"
	grep -q "^pool 2001:db8::/32 strip$" "$TMP/pools.conf" && grep -q "^pool 10.0.0.0/8 rewrite$" "$TMP/pools.conf" &&
		ok "saved file holds both pools" || bad "saved file: $(cat "$TMP/pools.conf")"
	expect_out "pool flush" "flushed 2 pools" pgc pool flush "${T[@]}"
	expect_out "pool list after flush is empty" "^PREFIX" pgc pool list "${T[@]}"
	[ "$(pgc pool list "${T[@]}" | wc -l)" = 1 ] && ok "no pool left" || bad "pools left after flush"
	expect_out "detach" "detached from pgca" pgc detach pgca
	expect_out "attach --config restores the saved pools" "attached" pgc attach pgca --config "$TMP/pools.conf"
	expect_out "pools back" "10.0.0.0/8 +rewrite" pgc pool list "${T[@]}"
	printf 'pool 10.0.0.0/8 rewrite\nbogus line\n' >"$TMP/bad.conf"
	pgc detach pgca >/dev/null
	expect_err "bad config file" "bad.conf:2: unknown directive 'bogus'" pgc attach pgca --config "$TMP/bad.conf"
	expect_err "missing config file" "cannot read config" pgc attach pgca --config "$TMP/none.conf"
	expect_out "attach again" "attached" pgc attach pgca --config "$TMP/pools.conf"

	echo "== [$MODE] traffic: per-connection clocks and a NAT outside the pools, then inside"
	# 192.0.2.10 sends SYNs from four ports whose TSvals go backwards across them: a clock per
	# connection (a 2026 client), which only the per-peer rule minds. 192.0.2.11 sends two
	# SYNs on one 4-tuple, the second 2^23 behind: two clocks on one 4-tuple, a NAT (the
	# TIME-WAIT rule).
	send 192.0.2.10 192.0.2.1 "$port" 5000000,1000,6000000,2000
	send 192.0.2.11 192.0.2.1 $((port + 500)) 9000000
	send 192.0.2.11 192.0.2.1 $((port + 500)) 1000
	expect_out "stats counts the SYNs" "syn +6 " pgc stats "${T[@]}"
	expect_out "stats --json" '"nat_tuple":1' pgc stats --json "${T[@]}"
	expect_out "suggest finds the NAT" "pawsguard pool add 192.0.2.11/32 --iface pgca" pgc suggest "${T[@]}"
	grep -q "192.0.2.10/32" "$TMP/out" && bad "suggest lists the per-connection clocks for timewait" ||
		ok "suggest leaves the per-connection clocks out"
	expect_out "suggest explains the NAT" "nat: 1 of 2 SYNs reused a recent 4-tuple" pgc suggest "${T[@]}"
	expect_out "suggest counts what it left out" "1 more with per-connection clocks only" \
		pgc suggest "${T[@]}"
	expect_out "suggest --json" '"kind":"nat"' pgc suggest --json "${T[@]}"
	[ "$(jq_py 'len(d), d[0]["addr"], d[0]["tuple_back"], d[0]["backwards"]')" = "1 192.0.2.11 1 1" ] &&
		ok "one NAT, one SYN behind on its 4-tuple" || bad "suggest --json: $(cat "$TMP/out")"
	expect_out "suggest --rule per-peer" \
		"per-connection-clock: 2 of 4 SYNs went backwards, across 4-tuples only" \
		pgc suggest --rule per-peer "${T[@]}"
	expect_out "suggest --rule per-peer --json" '"kind":"per-connection-clock"' \
		pgc suggest --rule per-peer --json "${T[@]}"
	[ "$(jq_py 'sorted((x["addr"], x["kind"]) for x in d)')" = \
		"[('192.0.2.10', 'per-connection-clock'), ('192.0.2.11', 'nat')]" ] &&
		ok "per-peer: both, each with its kind" || bad "suggest --rule per-peer --json: $(cat "$TMP/out")"
	expect_out "suggest --rule any" "pool add 192.0.2.10/32" pgc suggest --rule any "${T[@]}"
	expect_err "suggest --rule bogus" "rule" pgc suggest --rule bogus "${T[@]}"
	expect_out "sources" "192.0.2.10 +per-connection-clock +none +4 +2 +0 " pgc sources "${T[@]}"
	expect_out "sources: the NAT" "192.0.2.11 +nat +none +2 +1 +1 " pgc sources "${T[@]}"
	pgc pool add 192.0.2.10/32 "${T[@]}" >/dev/null
	pgc pool add 192.0.2.11/32 "${T[@]}" >/dev/null
	send 192.0.2.10 192.0.2.1 $((port + 1000)) 7000000,3000
	send 192.0.2.11 192.0.2.1 $((port + 1500)) 9500000
	expect_out "stats --json" '"pool_syn":3' pgc stats --json "${T[@]}"
	[ "$(jq_py 'd["counters"]["tsval_rewritten"]')" = 3 ] && ok "three TSvals rewritten" || bad "tsval_rewritten"
	[ "$(jq_py 'd["counters"]["rescued"]')" = 1 ] && ok "one SYN rescued" || bad "rescued: $(cat "$TMP/out")"
	[ "$(jq_py 'd["flows"]')" = 3 ] && ok "three flows in use" || bad "flows in use"
	expect_out "flows" "192.0.2.10:$((port + 1001)) +192.0.2.1:80 +[0-9]+ +syn" pgc flows --limit 5 "${T[@]}"
	expect_out "flows --json" "\"cport\":$((port + 1000))" pgc flows --json "${T[@]}"
	expect_out "sources --sort rescued --json" '"action":"rewrite"' pgc sources --sort rescued --json --limit 1 "${T[@]}"
	expect_out "sources --json" '"lead_ms"' pgc sources --json --iface pgca
	lead=$(jq_py 'max(abs(x["lead_ms"]) for x in d if x["action"] == "rewrite")')
	[ "$lead" -lt 86400000 ] && ok "pool sources run within a day of the clock (lead $lead ms)" ||
		bad "lead_ms $lead: max_fwd lost its unwrapped position"
	expect_out "suggest: nothing left outside the pools" "no source outside the pools shows evidence" \
		pgc suggest --rule any "${T[@]}"
	expect_out "stats --watch 1 --count 2" "packets" pgc stats --watch 1 --count 2 "${T[@]}"
	[ "$(grep -c '^pawsguard xdp pgca' "$TMP/out")" = 2 ] && ok "watch printed twice" || bad "watch output"

	echo "== [$MODE] reload: new programs, every map kept"
	expect_out "status --json before reload" '"healthy":true' pgc status --json
	old_xdp=$(jq_py 'd["targets"][0]["xdp_pinned"]')
	expect_out "reload" "reloaded on pgca: XDP program $old_xdp -> [0-9]+" pgc reload pgca
	expect_out "reload --json" "\"old_xdp_prog_id\":[0-9]+" pgc reload pgca --json
	[ "$(jq_py 'd["xdp_prog_id"] != d["old_xdp_prog_id"] and d["tc_prog_id"] != d["old_tc_prog_id"]')" = True ] &&
		ok "reload put new programs in" || bad "reload ids: $(cat "$TMP/out")"
	expect_out "status after two reloads" "reloaded 2 times" pgc status pgca
	expect_out "pools kept" "192.0.2.10/32 +rewrite" pgc pool list "${T[@]}"
	expect_out "flows kept" '"flows":3' pgc stats --json "${T[@]}"
	[ "$(jq_py 'd["counters"]["tsval_rewritten"]')" = 3 ] && ok "counters kept" || bad "counters after reload"

	echo "== [$MODE] detach"
	expect_out "detach" "detached from pgca" pgc detach pgca
	expect_err "detach twice" "not attached to pgca" pgc detach pgca
	expect_err "no pins left" "not attached to pgca" pgc status pgca
}

verbs 40000
MODE=nsenter
verbs 42000

echo "== the two ways in share one set of pins"
MODE=netns
expect_out "attach under ip netns exec" "attached" pgc attach pgca
MODE=nsenter
expect_out "pool add under nsenter" "added 203.0.113.0/24" pgc pool add 203.0.113.0/24 --iface pgca
MODE=netns
expect_out "pool list under ip netns exec sees it" "203.0.113.0/24 +rewrite" pgc pool list --iface pgca
MODE=nsenter
expect_out "status under nsenter" ": healthy" pgc status pgca
expect_out "detach under nsenter" "detached" pgc detach pgca
MODE=netns
expect_err "gone under ip netns exec too" "not attached to pgca" pgc pool list --iface pgca

[ "$fails" = 0 ] && { echo "cli xdp: all checks passed"; exit 0; }
echo "cli xdp: $fails check(s) failed"
exit 1
