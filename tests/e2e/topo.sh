# shellcheck shell=bash
# tests/e2e/topo.sh: sourceable network-namespace topology that reproduces the
# TIME-WAIT PAWS failure of NAT'ed clients (docs/DESIGN.md, "The failure", the TIME-WAIT
# rule) against the real kernel TCP stack.
#
#   direct:  c1 --\
#                  br0 [NAT] out0 ---------------------------- srv0 [SRV]
#            c2 --/
#   inline:  c1 --\
#                  br0 [NAT] out0 ---- app0 [APP] app1 ---- srv0 [SRV]
#            c2 --/
#
# NS_APP has no IP configuration: it is the place of an L2 bump in the wire (the
# DPDK appliance with net_af_packet on APP_IF0/APP_IF1), or of a plain Linux
# bridge (topo_bridge_app_up) for a baseline without the appliance.
#
# Why it reproduces: c1 and c2 bind the same source port; the NAT (nft
# masquerade) keeps the source port when it is free, and its conntrack entry is
# gone 1 s after the close, so every connect reaches the server with the same
# 4-tuple. The server closes first and holds the TIME-WAIT socket, with
# ts_recent = the TSval of the last client. c1 and c2 have different random TS
# offsets (per saddr,daddr), so a SYN of the other client is PAWS-rejected by
# that TIME-WAIT socket whenever its clock is behind; with tcp_rfc1337=1 the
# client's RST does not clear it and the connect hangs until TIME-WAIT ends.
#
# Public API (all functions return non-zero on failure, never exit; usable
# under set -u and set -e):
#   topo_up MODE               MODE = direct | inline. Builds everything (calls
#                              topo_down first). Uses ${PG_NS:-pg} as namespace
#                              prefix and ${PG_NET:-201} (1..254) as the second
#                              octet / IPv6 group of every subnet, so two tests
#                              with different PG_NS and PG_NET can run at once.
#   topo_down                  Deletes everything, idempotent, safe in traps.
#   topo_check [TRIES]         Pings the server from both clients, v4 and v6.
#   topo_bridge_app_up         inline only: Linux bridge APP_IF0<->APP_IF1.
#   topo_bridge_app_down       inline only: remove that bridge.
#   topo_srv_rfc1337 0|1       net.ipv4.tcp_rfc1337 in NS_SRV (default 1).
#   topo_client_timestamps 0|1 net.ipv4.tcp_timestamps in c1/c2 (default 1);
#                              0 emulates a perfect option strip.
#   nstat_get NS COUNTER       Absolute value of a counter (TcpExtPAWSTimewait,
#                              TcpExtPAWSEstab, TcpExtPAWSActive, TcpActiveOpens,
#                              Ip6InReceives...) in NS; 0 if absent.
#   srv_conn_has_ts NS PORT    ss -tino check of ESTABLISHED sockets on local
#                              PORT: 0 = one has "ts", 1 = none has, 2 = none.
#   scenario_run FAMILY NCONN PORT BYTES CONNECT_TIMEOUT
#                              See its comment below.
#
# Variables exported by topo_up:
#   TOPO_MODE NS_C1 NS_C2 NS_NAT NS_SRV NS_APP ("" in direct mode)
#   SRV_IF (srv0, in NS_SRV)  APP_IF0 APP_IF1 (app0/app1 in NS_APP, inline only)
#   NAT_OUT_IF (out0, in NS_NAT)  NAT_OUT_MAC SRV_MAC (fixed, locally administered)
#   SRV_IP4 SRV_IP6 NAT_IP4 NAT_IP6 (NAT outside = what the server sees)
#   NAT_IN_IP4 NAT_IN_IP6 C1_IP4 C2_IP4 C1_IP6 C2_IP6
#   TOPO_TMP (scratch directory, removed by topo_down)
#
# Requirements: root, iproute2, nft, ethtool, ping, ss, timeout, python3.

PG_PYTHON=${PG_PYTHON:-/usr/bin/python3}
TOPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER_PY="$TOPO_DIR/peer.py"

# Log to stderr so that functions can print results on stdout.
topo_log() { echo "topo: $*" >&2; }

# Run in a namespace; `ip netns exec` also remounts /sys for the namespace.
topo_nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The namespace names for the current prefix (independent of what topo_up
# exported, so that topo_down also cleans after a half-finished topo_up).
topo_ns_names() {
	local p=${PG_NS:-pg}
	echo "$p-c1 $p-c2 $p-nat $p-srv $p-app"
}

# 0 when we can create network namespaces (root, kernel and iproute2 support).
topo_have_netns() {
	local probe="${PG_NS:-pg}-probe$$"
	ip netns add "$probe" 2>/dev/null || return 1
	ip netns del "$probe" 2>/dev/null || true
	return 0
}

# Offloads off: a veth pair hands CHECKSUM_PARTIAL and GSO super-packets to its
# peer, which is not what a wire (or an af_packet/XDP dataplane reading it)
# would see. With tx/rx checksumming off every hop computes and verifies full
# checksums in software, so a dataplane that breaks one shows up as
# TcpInCsumErrors on the receiver instead of passing silently. Each feature
# separately: ethtool -K fails as a whole if the device lacks one of them.
topo_offloads_off() {
	local ns=$1 dev=$2
	# shellcheck disable=SC2016 # $1 and $f belong to the inner shell
	topo_nsx "$ns" sh -c '
		for f in tx rx tso gso gro lro sg rx-gro-list rx-udp-gro-forwarding; do
			ethtool -K "$1" "$f" off >/dev/null 2>&1
		done
		exit 0' sh "$dev"
}

# Per-namespace basics, to be done before any interface is created so that the
# "default" values apply to the new interfaces: no IPv6 DAD (an address in DAD
# is "tentative" and not usable for about a second, and with nodad alone the
# link-local one would still do DAD), no router advertisements.
topo_ns_new() {
	local ns=$1
	ip netns add "$ns" || return 1
	topo_nsx "$ns" sysctl -qw \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0 \
		>/dev/null || return 1
	ip -n "$ns" link set lo up
}

topo_down() {
	local ns pids pid i
	for ns in $(topo_ns_names); do
		[ -e "/run/netns/$ns" ] || continue
		# Processes still in our namespaces were started by this test (server,
		# clients, an appliance the caller forgot): TERM, bounded wait, KILL.
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [ -n "$pids" ]; then
			for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
			for i in 1 2 3 4 5 6 7 8 9 10; do
				pids=$(ip netns pids "$ns" 2>/dev/null)
				[ -n "$pids" ] || break
				sleep 0.2
			done
			for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
		fi
		# Deleting the namespace destroys its veths (and their peers).
		ip netns del "$ns" 2>/dev/null || true
	done
	# Scratch files of an interrupted scenario_run.
	if [ -n "${TOPO_TMP:-}" ] && [ -d "$TOPO_TMP" ]; then
		rm -rf -- "$TOPO_TMP"
	fi
	TOPO_TMP=""
	return 0
}

# Wait (bounded, 5 s) until every link in our namespaces has carrier and is
# operationally UP. A freshly enabled veth gets its carrier through linkwatch,
# which may lag up to a second; until then it transmits into the noop qdisc
# and the first packets (a ping, a SYN) are silently lost.
topo_wait_links() {
	local ns i bad
	for ((i = 0; i < 50; i++)); do
		bad=0
		for ns in "$@"; do
			if ip -n "$ns" -o link show 2>/dev/null | grep -v ': lo:' |
				grep -qE 'NO-CARRIER|state (DOWN|LOWERLAYERDOWN|DORMANT)'; then
				bad=1; break
			fi
		done
		[ "$bad" = 0 ] && return 0
		sleep 0.1
	done
	topo_log "links not up after 5 s in: $*"
	return 1
}

# Permanent neighbor entries on the outside link: the outside wire may run
# through an appliance that is not up yet, or that drops/ delays multicast ND.
# Unicast forwarding then only needs the appliance to pass frames.
topo_static_neigh() {
	ip -n "$NS_NAT" neigh replace "$SRV_IP4" lladdr "$SRV_MAC" nud permanent dev "$NAT_OUT_IF" &&
	ip -n "$NS_NAT" neigh replace "$SRV_IP6" lladdr "$SRV_MAC" nud permanent dev "$NAT_OUT_IF" &&
	ip -n "$NS_SRV" neigh replace "$NAT_IP4" lladdr "$NAT_OUT_MAC" nud permanent dev "$SRV_IF" &&
	ip -n "$NS_SRV" neigh replace "$NAT_IP6" lladdr "$NAT_OUT_MAC" nud permanent dev "$SRV_IF"
}

topo_up() {
	local mode=${1:-}
	local p=${PG_NS:-pg} net=${PG_NET:-201} hex
	case "$mode" in
	direct|inline) ;;
	*) topo_log "topo_up: MODE must be direct or inline, got '$mode'"; return 1 ;;
	esac
	case "$net" in
	''|*[!0-9]*) topo_log "topo_up: PG_NET must be 1..254"; return 1 ;;
	esac
	if [ "$net" -lt 1 ] || [ "$net" -gt 254 ]; then
		topo_log "topo_up: PG_NET must be 1..254"; return 1
	fi
	hex=$(printf '%02x' "$net")

	export TOPO_MODE=$mode
	export NS_C1="$p-c1" NS_C2="$p-c2" NS_NAT="$p-nat" NS_SRV="$p-srv" NS_APP=""
	export SRV_IF=srv0 NAT_OUT_IF=out0 APP_IF0="" APP_IF1=""
	export NAT_OUT_MAC="02:00:0a:$hex:02:01" SRV_MAC="02:00:0a:$hex:02:02"
	export NAT_IN_IP4="10.$net.1.1" C1_IP4="10.$net.1.11" C2_IP4="10.$net.1.12"
	export NAT_IP4="10.$net.2.1" SRV_IP4="10.$net.2.2"
	export NAT_IN_IP6="fd00:$net:1::1" C1_IP6="fd00:$net:1::11" C2_IP6="fd00:$net:1::12"
	export NAT_IP6="fd00:$net:2::1" SRV_IP6="fd00:$net:2::2"
	if [ "$mode" = inline ]; then
		export NS_APP="$p-app" APP_IF0=app0 APP_IF1=app1
	fi

	topo_down
	TOPO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$p-topo.XXXXXX") || return 1
	export TOPO_TMP
	if ! topo_up_inner; then
		topo_log "topo_up $mode failed; cleaning up"
		topo_down
		return 1
	fi
	topo_log "up: mode=$mode prefix=$p net=$net"
	return 0
}

topo_up_inner() {
	local ns dev
	for ns in "$NS_C1" "$NS_C2" "$NS_NAT" "$NS_SRV" ${NS_APP:+"$NS_APP"}; do
		topo_ns_new "$ns" || return 1
	done

	# NS_APP is a bump in the wire: no IPv6 either, so that the kernel does not
	# send its own MLD/ND frames onto the wire being tested.
	if [ -n "$NS_APP" ]; then
		topo_nsx "$NS_APP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	fi

	# Veths are created directly inside their namespaces (never in the root
	# namespace), so fixed interface names cannot collide between tests.
	ip -n "$NS_C1" link add eth0 type veth peer name c1p netns "$NS_NAT" || return 1
	ip -n "$NS_C2" link add eth0 type veth peer name c2p netns "$NS_NAT" || return 1
	ip -n "$NS_NAT" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$NS_NAT" link set c1p master br0 || return 1
	ip -n "$NS_NAT" link set c2p master br0 || return 1
	if [ "$TOPO_MODE" = direct ]; then
		ip -n "$NS_NAT" link add "$NAT_OUT_IF" type veth peer name "$SRV_IF" netns "$NS_SRV" || return 1
	else
		ip -n "$NS_NAT" link add "$NAT_OUT_IF" type veth peer name "$APP_IF0" netns "$NS_APP" || return 1
		ip -n "$NS_APP" link add "$APP_IF1" type veth peer name "$SRV_IF" netns "$NS_SRV" || return 1
	fi
	ip -n "$NS_NAT" link set "$NAT_OUT_IF" address "$NAT_OUT_MAC" || return 1
	ip -n "$NS_SRV" link set "$SRV_IF" address "$SRV_MAC" || return 1

	topo_offloads_off "$NS_C1" eth0
	topo_offloads_off "$NS_C2" eth0
	for dev in c1p c2p br0 "$NAT_OUT_IF"; do topo_offloads_off "$NS_NAT" "$dev"; done
	topo_offloads_off "$NS_SRV" "$SRV_IF"
	if [ -n "$NS_APP" ]; then
		topo_offloads_off "$NS_APP" "$APP_IF0"
		topo_offloads_off "$NS_APP" "$APP_IF1"
	fi

	# Addresses (nodad: usable at once, see topo_ns_new).
	ip -n "$NS_C1" addr add "$C1_IP4/24" dev eth0 || return 1
	ip -n "$NS_C1" addr add "$C1_IP6/64" dev eth0 nodad || return 1
	ip -n "$NS_C2" addr add "$C2_IP4/24" dev eth0 || return 1
	ip -n "$NS_C2" addr add "$C2_IP6/64" dev eth0 nodad || return 1
	ip -n "$NS_NAT" addr add "$NAT_IN_IP4/24" dev br0 || return 1
	ip -n "$NS_NAT" addr add "$NAT_IN_IP6/64" dev br0 nodad || return 1
	ip -n "$NS_NAT" addr add "$NAT_IP4/24" dev "$NAT_OUT_IF" || return 1
	ip -n "$NS_NAT" addr add "$NAT_IP6/64" dev "$NAT_OUT_IF" nodad || return 1
	ip -n "$NS_SRV" addr add "$SRV_IP4/24" dev "$SRV_IF" || return 1
	ip -n "$NS_SRV" addr add "$SRV_IP6/64" dev "$SRV_IF" nodad || return 1

	ip -n "$NS_C1" link set eth0 up || return 1
	ip -n "$NS_C2" link set eth0 up || return 1
	for dev in c1p c2p br0 "$NAT_OUT_IF"; do ip -n "$NS_NAT" link set "$dev" up || return 1; done
	ip -n "$NS_SRV" link set "$SRV_IF" up || return 1
	if [ -n "$NS_APP" ]; then
		# The appliance reads frames for other MACs: promiscuous, and up.
		for dev in "$APP_IF0" "$APP_IF1"; do
			ip -n "$NS_APP" link set "$dev" promisc on up || return 1
		done
	fi

	# Clients route everything through the NAT. The server needs no route:
	# it only ever talks to NAT_IP4/NAT_IP6 on its own subnet.
	ip -n "$NS_C1" route add default via "$NAT_IN_IP4" || return 1
	ip -n "$NS_C1" -6 route add default via "$NAT_IN_IP6" || return 1
	ip -n "$NS_C2" route add default via "$NAT_IN_IP4" || return 1
	ip -n "$NS_C2" -6 route add default via "$NAT_IN_IP6" || return 1
	topo_static_neigh || return 1
	topo_wait_links "$NS_C1" "$NS_C2" "$NS_NAT" "$NS_SRV" ${NS_APP:+"$NS_APP"} || return 1

	topo_nat_setup || return 1
	topo_nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_timestamps=1 >/dev/null || return 1
	topo_srv_rfc1337 1 || return 1
	topo_client_timestamps 1 || return 1
	return 0
}

topo_nat_setup() {
	topo_nsx "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	# masquerade keeps the client's source port when the outside tuple is free
	# (no "random"/"fully-random" flag): that port reuse is the whole point.
	topo_nsx "$NS_NAT" nft -f - <<-EOF || return 1
		table ip pg_nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$NAT_OUT_IF" masquerade
			}
		}
		table ip6 pg_nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$NAT_OUT_IF" masquerade
			}
		}
	EOF
	# The nat chains pull in conntrack; with a modular kernel, make sure the
	# module (and so its per-netns sysctls) is there.
	if [ ! -e /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait ] &&
		command -v modprobe >/dev/null 2>&1; then
		modprobe nf_conntrack 2>/dev/null || true
	fi
	# Conntrack timeouts are per netns. TIME_WAIT 1 s: the entry of the last
	# connection must be gone before the next connect (2 s later) so that the
	# NAT can hand out the same outside port again; otherwise it picks another
	# port and the server never sees the same 4-tuple. SYN_SENT and CLOSE 1 s
	# too: a PAWS-rejected connect leaves an entry in one of those states
	# (default 120 s / 10 s) that would otherwise hold the outside port and send
	# the next client to another port, blurring the c1/c2 alternation.
	topo_nsx "$NS_NAT" sysctl -qw \
		net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 \
		net.netfilter.nf_conntrack_tcp_timeout_close=1 \
		net.netfilter.nf_conntrack_tcp_timeout_syn_sent=1 >/dev/null || {
		topo_log "cannot set conntrack timeouts in $NS_NAT (nf_conntrack missing?)"
		return 1
	}
}

topo_srv_rfc1337() {
	case "${1:-}" in 0|1) ;; *) topo_log "topo_srv_rfc1337 0|1"; return 1 ;; esac
	topo_nsx "$NS_SRV" sysctl -qw "net.ipv4.tcp_rfc1337=$1" >/dev/null
}

topo_client_timestamps() {
	case "${1:-}" in 0|1) ;; *) topo_log "topo_client_timestamps 0|1"; return 1 ;; esac
	topo_nsx "$NS_C1" sysctl -qw "net.ipv4.tcp_timestamps=$1" >/dev/null &&
	topo_nsx "$NS_C2" sysctl -qw "net.ipv4.tcp_timestamps=$1" >/dev/null
}

# Reachability of the server from both clients, both families; this also
# primes the clients' and the NAT's inside neighbor caches. Bounded: TRIES
# rounds of 1 s pings per path.
topo_check() {
	local tries=${1:-5} ns dst i ok
	for ns in "$NS_C1" "$NS_C2"; do
		for dst in "$SRV_IP4" "$SRV_IP6"; do
			ok=0
			for ((i = 0; i < tries; i++)); do
				if topo_nsx "$ns" ping -c1 -W1 -q "$dst" >/dev/null 2>&1; then
					ok=1; break
				fi
			done
			if [ "$ok" != 1 ]; then
				topo_log "topo_check: $ns cannot reach $dst"
				return 1
			fi
		done
	done
	return 0
}

topo_bridge_app_up() {
	[ -n "${NS_APP:-}" ] || { topo_log "topo_bridge_app_up: not inline mode"; return 1; }
	ip -n "$NS_APP" link add appbr type bridge stp_state 0 forward_delay 0 || return 1
	topo_offloads_off "$NS_APP" appbr
	ip -n "$NS_APP" link set "$APP_IF0" master appbr || return 1
	ip -n "$NS_APP" link set "$APP_IF1" master appbr || return 1
	ip -n "$NS_APP" link set appbr up || return 1
	topo_wait_links "$NS_APP"
}

topo_bridge_app_down() {
	[ -n "${NS_APP:-}" ] || return 0
	ip -n "$NS_APP" link del appbr 2>/dev/null || true
	# Deleting the bridge releases its ports; put back exactly what topo_up
	# promised the appliance (up, promiscuous), whatever the bridge did.
	ip -n "$NS_APP" link set "$APP_IF0" promisc on up 2>/dev/null || true
	ip -n "$NS_APP" link set "$APP_IF1" promisc on up 2>/dev/null || true
	return 0
}

# nstat_get NS COUNTER: /proc/net/netstat and /proc/net/snmp come as pairs of
# lines "Prefix: names..." / "Prefix: values..." (counter = Prefix+name, as
# nstat spells it); /proc/net/snmp6 as "Name value" lines. Reading /proc
# directly avoids nstat's history file, which is shared between namespaces.
nstat_get() {
	local ns=$1 ctr=$2 v
	v=$(topo_nsx "$ns" cat /proc/net/netstat /proc/net/snmp /proc/net/snmp6 2>/dev/null |
		awk -v want="$ctr" '
		$1 ~ /:$/ {
			p = substr($1, 1, length($1) - 1)
			if (!(p in seen)) { seen[p] = 1; for (i = 2; i <= NF; i++) name[p, i] = $i; next }
			for (i = 2; i <= NF; i++) if (p name[p, i] == want) { print $i; exit }
			next
		}
		NF == 2 && $1 == want { print $2; exit }')
	echo "${v:-0}"
}

# srv_conn_has_ts NS PORT: does an ESTABLISHED socket on local PORT carry the
# timestamp option? ss -ti prints "ts" among "ts sack cubic wscale:..." for
# such sockets, but iproute2 6.1 (Debian 12) prints that "ts sack" part only
# with -o (or -e) as well: hence -tino. TIME-WAIT sockets have no tcp_info, so
# this only works while the connection is up, and the server closes first
# right after the exchange: run the server with --hold S (scenario_run:
# SC_HOLD=S) and poll this during the hold, as scenario_probe_ts does. For an after-the-fact answer use scenario_run's SC_TS / SC_NOTS,
# which the server takes from TCP_INFO of every accepted connection.
# Returns 0 if one has ts, 1 if connections exist but none has ts, 2 if none.
srv_conn_has_ts() {
	local ns=$1 port=$2 out
	out=$(topo_nsx "$ns" ss -Htino state established "( sport = :$port )" 2>/dev/null)
	[ -n "$out" ] || return 2
	grep -qw ts <<<"$out" && return 0
	return 1
}

# Wait (bounded) until something listens on PORT in NS.
topo_wait_listen() {
	local ns=$1 port=$2 i
	for ((i = 0; i < 50; i++)); do
		[ -n "$(topo_nsx "$ns" ss -Hltn "( sport = :$port )" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# scenario_run FAMILY NCONN PORT BYTES CONNECT_TIMEOUT
#   Starts peer.py server on SRV_IPx:PORT in NS_SRV, then NCONN connects
#   alternating c1, c2, c1, ... all from source port SC_SPORT (default 40000),
#   SC_GAP seconds apart (default 2: more than the NAT's 1 s conntrack
#   TIME_WAIT, so the NAT reuses the outside port). Each client sends BYTES,
#   reads BYTES and EOF. Prints "c1 {json}" per connect and a SUMMARY line.
#   Sets: SC_OK SC_FAIL (connects), SC_MAXCONNECT (max connect seconds over all
#   attempts), SC_BYTES_MIN (min bytes received by a successful client, 0 if
#   none), SC_PAWSTW (TcpExtPAWSTimewait delta in NS_SRV), SC_TW (server
#   TIME-WAIT sockets of this family on PORT at the end), SC_TW_SPORT (those
#   whose peer port is SC_SPORT: the NAT reused the port), SC_TS / SC_NOTS
#   (server-side connections with / without timestamps, from TCP_INFO),
#   SC_RESULTS (array of the printed result lines).
#   Optional: SC_HOLD (server keeps each connection S seconds before closing;
#   meanwhile srv_conn_has_ts can look), SC_IO_TIMEOUT (default 10).
#   Use a new PORT (or SC_SPORT) per phase in one topology: the TIME-WAIT
#   socket of a previous phase lives 60 s, re-armed by every PAWS reject.
#   Returns 0 if it could run (whatever the outcome), 1 on setup errors.
scenario_run() {
	local fam=${1:-} nconn=${2:-} port=${3:-} bytes=${4:-} ct=${5:-}
	local sport=${SC_SPORT:-40000} gap=${SC_GAP:-2} hold=${SC_HOLD:-0}
	local io=${SC_IO_TIMEOUT:-10} srv_ip ns who i json line parsed ok cs recv
	local srv_limit cli_limit spid log paws0 paws1

	SC_OK=0 SC_FAIL=0 SC_MAXCONNECT=0 SC_BYTES_MIN=0 SC_PAWSTW=0
	SC_TW=0 SC_TW_SPORT=0 SC_TS=0 SC_NOTS=0 SC_RESULTS=()
	case "$fam" in
	4) srv_ip=$SRV_IP4 ;;
	6) srv_ip=$SRV_IP6 ;;
	*) topo_log "scenario_run: FAMILY must be 4 or 6"; return 1 ;;
	esac
	if [ -z "$nconn" ] || [ -z "$port" ] || [ -z "$bytes" ] || [ -z "$ct" ]; then
		topo_log "scenario_run FAMILY NCONN PORT BYTES CONNECT_TIMEOUT"; return 1
	fi

	# Bounds: a client can take connect + 2 I/O timeouts + hold; the server
	# must outlive all clients and the gaps, then it is killed anyway.
	cli_limit=$((ct + 2 * io + ${hold%.*} + 5))
	srv_limit=$((nconn * (cli_limit + gap) + 10))
	log=$(mktemp "${TOPO_TMP:-${TMPDIR:-/tmp}}/srvlog.XXXXXX") || return 1
	paws0=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)

	timeout -k 2 "$srv_limit" ip netns exec "$NS_SRV" "$PG_PYTHON" "$PEER_PY" server \
		--addr "$srv_ip" --port "$port" --bytes "$bytes" --count "$nconn" \
		--timeout "$srv_limit" --hold "$hold" --io-timeout "$io" --log "$log" &
	spid=$!
	if ! topo_wait_listen "$NS_SRV" "$port"; then
		topo_log "scenario_run: server did not listen on $port"
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		rm -f "$log"
		return 1
	fi

	for ((i = 0; i < nconn; i++)); do
		if ((i % 2 == 0)); then who=c1 ns=$NS_C1; else who=c2 ns=$NS_C2; fi
		json=$(timeout -k 2 "$cli_limit" ip netns exec "$ns" "$PG_PYTHON" "$PEER_PY" client \
			--addr "$srv_ip" --port "$port" --sport "$sport" --bytes "$bytes" \
			--connect-timeout "$ct" --io-timeout "$io" 2>/dev/null | tail -n 1 || true)
		[ -n "$json" ] || json='{"ok": false, "connect_s": 0.0, "sent": 0, "recv": 0, "error": "client produced no output"}'
		line="$who $json"
		echo "$line"
		SC_RESULTS+=("$line")
		parsed=$("$PG_PYTHON" -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    print(1 if d.get("ok") else 0, float(d.get("connect_s") or 0), int(d.get("recv") or 0))
except Exception:
    print(0, 0, 0)' "$json")
		read -r ok cs recv <<<"$parsed"
		if [ "$ok" = 1 ]; then
			if [ "$SC_OK" = 0 ] || [ "$recv" -lt "$SC_BYTES_MIN" ]; then SC_BYTES_MIN=$recv; fi
			SC_OK=$((SC_OK + 1))
		else
			SC_FAIL=$((SC_FAIL + 1))
		fi
		SC_MAXCONNECT=$(awk -v a="$SC_MAXCONNECT" -v b="$cs" 'BEGIN { print (b > a) ? b : a }')
		if ((i + 1 < nconn)); then sleep "$gap"; fi
	done

	# Before killing the server: what the server holds for this 4-tuple.
	SC_TW=$(topo_nsx "$NS_SRV" ss -Htn "-$fam" state time-wait "( sport = :$port )" 2>/dev/null | wc -l)
	SC_TW_SPORT=$(topo_nsx "$NS_SRV" ss -Htn "-$fam" state time-wait \
		"( sport = :$port and dport = :$sport )" 2>/dev/null | wc -l)
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	SC_TS=$(grep -c '"ts": true' "$log" || true)
	SC_NOTS=$(grep -c '"ts": false' "$log" || true)
	rm -f "$log"
	paws1=$(nstat_get "$NS_SRV" TcpExtPAWSTimewait)
	SC_PAWSTW=$((paws1 - paws0))
	echo "SUMMARY family=$fam conns=$nconn ok=$SC_OK fail=$SC_FAIL maxconnect=${SC_MAXCONNECT}s" \
		"bytes_min=$SC_BYTES_MIN paws_tw=$SC_PAWSTW tw=$SC_TW tw_sport=$SC_TW_SPORT" \
		"srv_ts=$SC_TS srv_nots=$SC_NOTS"
	return 0
}

# scenario_probe_ts FAMILY PORT: one c1 connection (1000 bytes) that the server
# holds for 1 s before closing, while srv_conn_has_ts polls ss in NS_SRV.
# Prints the client line and SUMMARY (its srv_ts/srv_nots come from TCP_INFO).
# Sets and returns SC_SS_TS: 0 = ss saw "ts", 1 = ss saw the connection
# without "ts" (what a strip mode must produce), 2 = ss never saw it.
# Uses its own PORT: it leaves a TIME-WAIT socket like scenario_run.
scenario_probe_ts() {
	local fam=${1:-} port=${2:-} out i bg
	SC_SS_TS=2
	out=$(mktemp "${TOPO_TMP:-${TMPDIR:-/tmp}}/probe.XXXXXX") || return 2
	# A subshell: its SC_* results are lost, the printed SUMMARY stays.
	SC_HOLD=1 scenario_run "$fam" 1 "$port" 1000 3 >"$out" &
	bg=$!
	for ((i = 0; i < 60; i++)); do
		if srv_conn_has_ts "$NS_SRV" "$port"; then SC_SS_TS=0; else SC_SS_TS=$?; fi
		[ "$SC_SS_TS" != 2 ] && break
		sleep 0.05
	done
	wait "$bg" || true
	cat "$out"
	rm -f "$out"
	return "$SC_SS_TS"
}
