#!/bin/bash
# pawsguard's XDP target as an operator meets it on a real host (docs/DESIGN.md, "Pins,
# namespaces and upgrades"), against the real kernel: two server namespaces, each with an
# interface named pgs0 and a client behind a veth, real TCP connections through them.
#  (a) both namespaces attached at once, one through `ip netns exec`, one through nsenter:
#      their pools, counters and pins stay apart, and so does detach;
#  (b) a foreign direct-action TC filter at pref 1: added after attach it runs first, the
#      pool's connections fail (untranslated TSecr), and status, stats and pool verbs say so;
#      added before attach, pawsguard's filter goes in front and translation works; a filter
#      after pawsguard's still runs; clsact is removed on detach only when attach made it;
#  (c) stale pins: the interface deleted (every verb fails in one line, a re-created one of
#      the same name can be attached, detach cleans both), and pawsguard's XDP program
#      replaced by `ip -force link set ... xdp` (status says so, detach leaves the foreign
#      program, attach refuses to share the hook and says why);
#  (d) a map layout other than this build's recorded with the pins: every verb and reload
#      refuse;
#  (e) a hostile pin root (owned by nobody, writable by others, a symlink, bpffs without the
#      sticky bit) and no reachable bpffs at all, each in a private mount namespace with its
#      own bpffs so that the host's pins are never touched.
# Usage: xdp_ops.sh PATH/TO/pawsguard PATH/TO/pg-foreign-prog   (root; exit 77 = skipped)
set -u
PG=${1:?usage: xdp_ops.sh PATH/TO/pawsguard PATH/TO/pg-foreign-prog}
FOREIGN=${2:?usage: xdp_ops.sh PATH/TO/pawsguard PATH/TO/pg-foreign-prog}
export PG_NS=${PG_NS:-pgo} PG_NET=${PG_NET:-216}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$HERE/topo.sh"
# shellcheck source-path=SCRIPTDIR source=../check.sh
. "$HERE/../check.sh"
PY=${PG_PYTHON:-/usr/bin/python3}
S1="$PG_NS-s1" S2="$PG_NS-s2" C1="$PG_NS-c1" C2="$PG_NS-c2"
NET=$PG_NET
PIN="/sys/fs/bpf/$PG_NS-foreign"
TMP=""

# one_line WHAT REGEX CMD...: exit 1 and exactly one stderr line matching REGEX.
one_line() {
	local what=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	check "$what: $out" one_line_is "$rc" "$out" "$re"
}
one_line_is() { [ "$1" = 1 ] && [ "$(printf '%s\n' "$2" | wc -l)" = 1 ] && grep -Eq "$3" <<<"$2"; }

# ---- (e), run by the main script inside `unshare -m`: a bpffs of its own at /sys/fs/bpf ----
if [ "${3:-}" = --hostile ]; then
	mount -t bpf bpf /sys/fs/bpf || { echo "FAIL - a private bpffs"; exit 1; }
	# shellcheck disable=SC2317 # called through refused
	x() { nsenter --net="/run/netns/$S1" "$PG" "$@"; }
	refused() { one_line "$@"; }
	setpriv --reuid=65534 --regid=65534 --clear-groups mkdir /sys/fs/bpf/pawsguard
	refused "attach refuses a pin root made by nobody" "owned by uid 65534" x attach pgs0
	refused "pool list refuses it too" "owned by uid 65534" x pool list --iface pgs0
	refused "status refuses it too" "owned by uid 65534" x status
	rmdir /sys/fs/bpf/pawsguard
	mkdir -m 0777 /sys/fs/bpf/pawsguard
	refused "a pin root writable by others" "mode 0777" x attach pgs0
	rmdir /sys/fs/bpf/pawsguard
	mkdir -m 0700 /tmp/"$PG_NS"-elsewhere.$$
	ln -s /tmp/"$PG_NS"-elsewhere.$$ /sys/fs/bpf/pawsguard 2>/dev/null ||
		mkdir -m 0700 /sys/fs/bpf/pawsguard # bpffs without symlinks: a plain directory
	if [ -L /sys/fs/bpf/pawsguard ]; then
		refused "a pin root that is a symlink" "not a directory pawsguard can use" x attach pgs0
		rm /sys/fs/bpf/pawsguard
	fi
	rmdir /tmp/"$PG_NS"-elsewhere.$$ /sys/fs/bpf/pawsguard 2>/dev/null
	chmod 0777 /sys/fs/bpf
	refused "bpffs writable by all without the sticky bit" "without the sticky bit" x attach pgs0
	chmod 1777 /sys/fs/bpf
	check "a sane private bpffs: attach works" x attach pgs0
	check "and detach" x detach pgs0
	umount /sys/fs/bpf
	exit "$failures"
fi
if [ "${3:-}" = --nobpffs ]; then
	# A pid namespace of our own: pid 1 and every ancestor are in this mount namespace,
	# which has no bpffs; ip netns exec then has nothing to reach.
	umount /sys/fs/bpf 2>/dev/null
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || break; done
	out=$(ip netns exec "$S1" "$PG" status 2>&1 >/dev/null)
	echo "$out"
	grep -q "no bpffs reachable: this runs in a private mount namespace (ip netns exec" <<<"$out" &&
		[ "$(printf '%s\n' "$out" | wc -l)" = 1 ]
	exit $?
fi

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$PG" ] && [ -x "$FOREIGN" ] || { echo "SKIP: $PG or $FOREIGN not built"; exit 77; }
topo_have_netns || { echo "SKIP: no network namespaces"; exit 77; }
command -v setpriv >/dev/null && command -v unshare >/dev/null || { echo "SKIP: util-linux"; exit 77; }

# pgc1: into S1 through ip netns exec, pgc2: into S2 through nsenter.
pgc1() { ip netns exec "$S1" "$PG" "$@"; }
pgc2() { nsenter --net="/run/netns/$S2" "$PG" "$@"; }
tc1() { nsenter --net="/run/netns/$S1" tc "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
fails() { ! "$@" >/dev/null 2>&1; }

jget() { "$PY" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
counter() { "pgc$1" stats --json --iface pgs0 | jget "d['counters']['$2']"; }

cleanup() {
	local ns
	for ns in "$S1" "$S2"; do
		[ -e "/run/netns/$ns" ] && nsenter --net="/run/netns/$ns" "$PG" detach pgs0 >/dev/null 2>&1
	done
	rm -f "$PIN-tc" "$PIN-tc2" "$PIN-tcip" "$PIN-xdp"
	for ns in "$S1" "$S2" "$C1" "$C2"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Server namespace i has pgs0 (10.NET.i.1), its client pgc0 (10.NET.i.2).
link_up() {
	local i=$1
	ip -n "$PG_NS-s$i" link add pgs0 type veth peer name pgc0 netns "$PG_NS-c$i" &&
		ip -n "$PG_NS-s$i" addr add "10.$NET.$i.1/24" dev pgs0 &&
		ip -n "$PG_NS-c$i" addr add "10.$NET.$i.2/24" dev pgc0 &&
		ip -n "$PG_NS-s$i" link set pgs0 up && ip -n "$PG_NS-c$i" link set pgc0 up || return 1
	topo_offloads_off "$PG_NS-s$i" pgs0
	topo_offloads_off "$PG_NS-c$i" pgc0
	topo_wait_links "$PG_NS-s$i" "$PG_NS-c$i"
}

setup() {
	local i ns
	cleanup
	TMP=$(mktemp -d)
	for i in 1 2; do
		for ns in "$PG_NS-s$i" "$PG_NS-c$i"; do
			ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
			ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=1 || return 1
		done
		link_up "$i" || return 1
	done
}

# conn I PORT: one real TCP connection from client I to server I within 3 s; prints the
# client's JSON line. 0 when data went both ways.
conn() {
	local i=$1 port=$2 out
	timeout 8 ip netns exec "$PG_NS-s$i" "$PY" "$HERE/peer.py" server --addr "10.$NET.$i.1" \
		--port "$port" --bytes 1000 --count 1 --timeout 6 --log "$TMP/srv$i.log" &
	topo_wait_listen "$PG_NS-s$i" "$port" || return 1
	out=$(timeout 8 ip netns exec "$PG_NS-c$i" "$PY" "$HERE/peer.py" client --addr "10.$NET.$i.1" \
		--port "$port" --sport $((port + 10000)) --bytes 1000 --connect-timeout 3)
	wait
	echo "$out"
	grep -q '"ok": true' <<<"$out"
}
conn_ts() { conn_is '"ts": true' "$@"; }
conn_nots() { conn_is '"ts": false' "$@"; }
conn_is() {
	local want=$1 out
	shift
	out=$(conn "$@") && grep -q "$want" <<<"$out" && return 0
	echo "  client: $out"
	return 1
}
# has_code PGC CODE: status --json names the problem CODE.
has_code() { "$1" status --json 2>/dev/null | grep -q "\"code\":\"$2\""; }

t0=$SECONDS
setup || { echo "FAIL: namespaces"; exit 1; }

echo "== (a) two namespaces, one interface name, attached at once"
check "attach pgs0 in $S1 (ip netns exec)" quiet pgc1 attach pgs0
check "attach pgs0 in $S2 (nsenter), not 'already attached'" quiet pgc2 attach pgs0
check "pool in $S1" quiet pgc1 pool add "10.$NET.1.0/24" --iface pgs0
check "strip pool in $S2" quiet pgc2 pool add "10.$NET.2.0/24" --action strip --iface pgs0
pools() { "$1" pool list --json --iface pgs0 | jget "[p['prefix'] for p in d]"; }
check "$S1 lists only its pool" [ "$(pools pgc1)" = "['10.$NET.1.0/24']" ]
check "$S2 lists only its pool" [ "$(pools pgc2)" = "['10.$NET.2.0/24']" ]
c1=$(pgc1 status --json | jget "[t['netns_cookie'] for t in d['targets']]")
c2=$(pgc2 status --json | jget "[t['netns_cookie'] for t in d['targets']]")
apart() { [ "${c1//[0-9]/}" = "[]" ] && [ "${c2//[0-9]/}" = "[]" ] && [ "$c1" != "$c2" ]; }
check "each namespace's status shows one target of its own ($c1, $c2)" apart
names() { [ -L "/sys/fs/bpf/pawsguard/pgs0@$S1" ] && [ -L "/sys/fs/bpf/pawsguard/pgs0@$S2" ]; }
check "readable names beside the pins" names
check "a rewritten connection in $S1 (timestamps kept, TSecr translated back)" conn_ts 1 7001
check "a stripped connection in $S2 (no timestamps)" conn_nots 2 7002
kept_apart() {
	[ "$(counter 1 tsecr_translated)" -gt 0 ] && [ "$(counter 2 tsecr_translated)" = 0 ] &&
		[ "$(counter 1 ts_stripped)" = 0 ] && [ "$(counter 2 ts_stripped)" -ge 1 ]
}
check "counters apart: $S1 translated TSecrs, $S2 stripped timestamps" kept_apart
check "detach in $S2" quiet pgc2 detach pgs0
check "$S1 still healthy with its pool" quiet pgc1 status pgs0
check "$S1 pool still there" [ "$(pools pgc1)" = "['10.$NET.1.0/24']" ]

echo "== (b) a foreign direct-action TC filter at pref 1"
check "a foreign TC program that returns TC_ACT_OK" quiet "$FOREIGN" tc "$PIN-tc" 0
check "added at pref 1 after attach" tc1 filter add dev pgs0 egress pref 1 handle 5 bpf da object-pinned "$PIN-tc"
one_line "status sees it and fails" "1 of 1 XDP targets not healthy" pgc1 status
check "status names the problem" has_code pgc1 tc_order
one_line "stats refuses to look healthy" "not healthy: a bpf filter \(pref 1 handle 0x5.*direct-action\) runs before" pgc1 stats --iface pgs0
one_line "pool add refuses" "not healthy" pgc1 pool add 192.0.2.0/24 --iface pgs0
paws0=$(nstat_get "$C1" TcpExtPAWSActive)
check "and truly: the pool's connections fail (TSecr untranslated)" fails conn 1 7003
check "the client dropped SYN-ACKs for PAWS (TcpExtPAWSActive +$(($(nstat_get "$C1" TcpExtPAWSActive) - paws0)))" \
	[ "$(nstat_get "$C1" TcpExtPAWSActive)" -gt "$paws0" ]
check "foreign filter removed" tc1 filter del dev pgs0 egress pref 1 handle 5 bpf
check "healthy again" quiet pgc1 status
check "detach: clsact made by attach goes too" quiet pgc1 detach pgs0
check "no clsact left" fails sh -c "nsenter --net=/run/netns/$S1 tc qdisc show dev pgs0 | grep -q clsact"
check "clsact and a foreign filter at pref 1 first" tc1 qdisc add dev pgs0 clsact
tc1 filter add dev pgs0 egress pref 1 handle 5 bpf da object-pinned "$PIN-tc"
check "attach puts pawsguard's filter in front of it" quiet pgc1 attach pgs0
check "status: healthy" quiet pgc1 status pgs0
check "pool again" quiet pgc1 pool add "10.$NET.1.0/24" --iface pgs0
check "translation works with the foreign filter behind" conn_ts 1 7004
check "a foreign filter that drops, at pref 2" quiet "$FOREIGN" tc "$PIN-tc2" 2
tc1 filter add dev pgs0 egress pref 2 handle 6 bpf da object-pinned "$PIN-tc2"
# The foreign pref 1 filter returns TC_ACT_OK: pref 2 never runs. Without it, pawsguard's
# TC_ACT_UNSPEC must let the dropping filter run.
tc1 filter del dev pgs0 egress pref 1 handle 5 bpf
check "filters after pawsguard's still run (its drop at pref 2 drops)" fails conn 1 7005
tc1 filter del dev pgs0 egress pref 2 handle 6 bpf
tc1 filter add dev pgs0 egress pref 1 handle 5 bpf da object-pinned "$PIN-tc"
check "detach" quiet pgc1 detach pgs0
check "detach kept the clsact it did not make, and the foreign filter" \
	sh -c "nsenter --net=/run/netns/$S1 tc filter show dev pgs0 egress | grep -q 'handle 0x5'"
tc1 qdisc del dev pgs0 clsact
check "a foreign TC program for IPv4 only" quiet "$FOREIGN" tc "$PIN-tcip" 0
tc1 qdisc add dev pgs0 clsact
tc1 filter add dev pgs0 egress pref 1 protocol ip handle 7 bpf da object-pinned "$PIN-tcip"
one_line "attach refuses a pref 1 it cannot share" "holds pref 1 on egress of pgs0.*move it to pref 2" pgc1 attach pgs0
check "nothing left behind by the refused attach" fails pgc1 status pgs0
tc1 qdisc del dev pgs0 clsact

echo "== (c) stale pins: the interface deleted and re-created"
check "attach in $S2" quiet pgc2 attach pgs0
check "delete pgs0 in $S2" ip -n "$S2" link del pgs0
one_line "status: interface gone" "1 of 1 XDP targets not healthy" pgc2 status
check "status names it" has_code pgc2 iface_gone
one_line "pool list fails in one line" "pins for pgs0 are stale .*run pawsguard detach pgs0" pgc2 pool list --iface pgs0
one_line "stats fails in one line" "pins for pgs0 are stale" pgc2 stats --iface pgs0
check "a new pgs0 of the same name" link_up 2
check "can be attached (not 'already attached')" quiet pgc2 attach pgs0
check "status: two targets, the stale one not healthy" [ "$(pgc2 status --json 2>/dev/null |
	jget "sorted(t['healthy'] for t in d['targets'])")" = "[False, True]" ]
check "detach pgs0 removes both" quiet pgc2 detach pgs0
one_line "nothing left" "no pawsguard XDP target in this network namespace" pgc2 status
check "delete pgs0 while attached, again" quiet pgc2 attach pgs0
ip -n "$S2" link del pgs0
check "detach of the vanished interface cleans its pins" quiet pgc2 detach pgs0
one_line "nothing left after it" "no pawsguard XDP target" pgc2 status

echo "== (c) stale pins: pawsguard's XDP program replaced by another"
check "a foreign XDP program" quiet "$FOREIGN" xdp "$PIN-xdp"
check "attach in $S1" quiet pgc1 attach pgs0
check "ip -force link set dev pgs0 xdp pinned ..." \
	nsenter --net="/run/netns/$S1" ip -force link set dev pgs0 xdp pinned "$PIN-xdp"
one_line "status fails" "not healthy" pgc1 status
check "status names it" has_code pgc1 xdp_replaced
one_line "stats fails in one line" "another XDP program \(id [0-9]+ 'foreign'\) holds pgs0" pgc1 stats --iface pgs0
one_line "reload refuses" "cannot reload pawsguard on pgs0: another XDP program" pgc1 reload pgs0
check "detach cleans pawsguard's part" quiet pgc1 detach pgs0
check "and leaves the foreign program" sh -c "ip -n $S1 link show dev pgs0 | grep -q 'prog/xdp'"
one_line "attach refuses to share the hook, and says why" \
	"another XDP program \(id [0-9]+ 'foreign'\) holds pgs0, and this kernel cannot share" pgc1 attach pgs0
ip -n "$S1" link set dev pgs0 xdp off

echo "== (d) a map layout this build does not know"
check "attach" quiet pgc1 attach pgs0
meta="/sys/fs/bpf/pawsguard/pgs0@$S1/pg_meta"
val=$(bpftool -j map lookup pinned "$meta" key 0 0 0 0 | jget "' '.join(d['value'][:4] + ['0xe7', '0x03', '0', '0'] + d['value'][8:])")
# shellcheck disable=SC2086 # one word per byte
check "pg_meta says layout 999" bpftool map update pinned "$meta" key 0 0 0 0 value $val
one_line "reload refuses" "cannot reload pawsguard on pgs0: the maps have layout 999" pgc1 reload pgs0
one_line "pool add refuses" "layout 999" pgc1 pool add 192.0.2.0/24 --iface pgs0
check "status names it" has_code pgc1 layout
check "detach still works" quiet pgc1 detach pgs0

echo "== (e) hostile pin roots, in a private mount namespace with its own bpffs"
unshare -m --propagation private "$0" "$PG" "$FOREIGN" --hostile
check "hostile pin roots refused" [ $? = 0 ]
out=$(unshare -m -p -f --mount-proc --propagation private "$0" "$PG" "$FOREIGN" --nobpffs)
check "no bpffs to reach under ip netns exec: $out" [ $? = 0 ]
host_root() { [ "$(stat -c %u:%a /sys/fs/bpf/pawsguard)" = 0:700 ]; }
check "the host's pin root was not touched by it" host_root

echo "xdp ops: $((SECONDS - t0)) s"
if [ "$failures" -gt 0 ]; then
	echo "xdp ops: $failures check(s) failed"
	exit 1
fi
echo "xdp ops: all checks passed"
