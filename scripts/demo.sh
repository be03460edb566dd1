#!/bin/bash
# The README's first command: install what is missing, build, and show pawsguard at work
# in network namespaces on this machine (root, Debian 12):
#   two clients behind one NAT address, a server that closes first with tcp_rfc1337=1;
#   1. without pawsguard: SYNs rejected by the server's TIME-WAIT PAWS check, connects hang;
#   2. pawsguard attach on the server's interface, the NAT address in a rewrite pool;
#   3. the same traffic: every connect at once; the counters.
# Then the 2026 case (Linux gives every connection a timestamp offset of its own): the NAT
# masquerades onto 16 ports under pressure, as a node's SNAT does;
#   4. without a pool: TIME-WAIT PAWS rejects and connects slowed by a second; suggest
#      calls the address a NAT;
#   5. pawsguard pool add all: the same traffic without a reject.
# Everything it creates is removed at the end.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${PG_BUILD:-$ROOT/build}

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates network namespaces and loads BPF programs)" >&2
	exit 1
fi
./scripts/deps.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" >/dev/null
PG="$BUILD/control/pawsguard"
[ -x "$PG" ] || { echo "demo: $PG was not built (see meson's summary)" >&2; exit 1; }

set +e
export PG_NS=${PG_NS:-pgdemo} PG_NET=${PG_NET:-221}
# shellcheck source=../tests/e2e/topo.sh
. "$ROOT/tests/e2e/topo.sh"
# shellcheck source=../tests/e2e/snat_lib.sh
. "$ROOT/tests/e2e/snat_lib.sh"
pgc() { nsenter --net="/run/netns/$NS_SRV" "$PG" "$@"; }
cleanup() {
	[ -n "${NS_SRV:-}" ] && [ -e "/run/netns/$NS_SRV" ] && pgc detach "$SRV_IF" >/dev/null 2>&1
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "Building the scene in network namespaces"
topo_up direct || exit 1
topo_check || exit 1
echo "clients $C1_IP4 and $C2_IP4 share NAT address $NAT_IP4 and source port 40000;"
echo "server $SRV_IP4 closes first, keeps TIME-WAIT, and runs with net.ipv4.tcp_rfc1337=1."

say "1. Without pawsguard: 4 connects, alternating clients, 2 s apart"
scenario_run 4 4 6001 100000 3
echo "=> $SC_FAIL of 4 connects hung; server TcpExtPAWSTimewait +$SC_PAWSTW"

say "2. pawsguard attach $SRV_IF; pawsguard pool add $NAT_IP4/32"
pgc attach "$SRV_IF" && pgc pool add "$NAT_IP4/32" --iface "$SRV_IF" || exit 1

say "3. The same traffic with pawsguard: 6 connects"
scenario_run 4 6 6002 100000 3
echo "=> $SC_OK of 6 connects succeeded, slowest connect ${SC_MAXCONNECT}s;" \
	"server TcpExtPAWSTimewait +$SC_PAWSTW"

say "4. The 2026 case: SNAT under port pressure, no pool"
echo "Since Linux 7.0 (and 6.19.8, 6.18.18, 6.12 stable) each connection gets a timestamp offset"
echo "of its own, so a NAT that reuses an outer 4-tuple for another connection sends an unrelated"
echo "TSval. The NAT now maps c1's and c2's connections onto 16 outer ports, conntrack at its"
echo "default timeouts, the server at tcp_rfc1337=0 (the default); 200 short connections."
pgc pool del "$NAT_IP4/32" --iface "$SRV_IF" >/dev/null
snat_setup || exit 1
snat_run 6003 200
echo "=> TcpExtPAWSTimewait +$SN_PAWSTW, $SN_SLOW of $SN_DONE connects slowed (slowest ${SN_MAXC}s)"

say "pawsguard suggest (it tells NATs from clients that merely have a clock per connection)"
pgc suggest --iface "$SRV_IF"

say "5. pawsguard pool add all: every source rewritten; the same traffic"
pgc pool add all --iface "$SRV_IF" || exit 1
snat_run 6004 200
echo "=> TcpExtPAWSTimewait +$SN_PAWSTW, $SN_SLOW of $SN_DONE connects slowed (slowest ${SN_MAXC}s)"

say "pawsguard stats"
pgc stats --iface "$SRV_IF"
say "pawsguard sources"
pgc sources --iface "$SRV_IF"
say "pawsguard flows --limit 4"
pgc flows --iface "$SRV_IF" --limit 4

say "Cleaning up (pawsguard detach, namespaces removed)"
