#!/bin/bash
# tests/e2e/baseline.sh: proves that the namespace scenario (topo.sh) reproduces
# the TIME-WAIT PAWS failure of NAT'ed clients with no pawsguard anywhere:
# direct topology over IPv4 and IPv6, and the inline topology with a plain
# Linux bridge in place of the appliance. Tests that attach a dataplane rely on
# this: their "failure" phase is this baseline, their "fix" phase must differ.
#
# Passes when, in every case, (a) at least one connect failed or the server
# counted a PAWS reject of a SYN by a TIME-WAIT socket (TcpExtPAWSTimewait),
# (b) the server holds a TIME-WAIT socket for the clients' source port at the
# end (the NAT reused the port: same 4-tuple for c1 and c2), and (c) the
# topology carries traffic (at least one connect moved all its bytes). It also
# checks the timestamp probe helpers (srv_conn_has_ts, scenario_probe_ts).
# Exit: 0 pass, 1 fail, 77 skip (not root, no netns, missing tools).
# Runtime: about 60 s (failed connects wait their 3 s timeout, 2 s gaps).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# Own prefix and subnets, so that other e2e tests may run at the same time.
export PG_NS=${PG_NS:-pgbl} PG_NET=${PG_NET:-209}
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$HERE/topo.sh"

NCONN=6
BYTES=100000
CT=3

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
for tool in ip nft ethtool ss ping timeout "$PG_PYTHON"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found"
		exit 77
	fi
done
if ! topo_have_netns; then
	echo "SKIP: cannot create network namespaces"
	exit 77
fi

trap 'topo_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failures=0
t_start=$SECONDS

# check_case NAME: judge the SC_* globals of the last scenario_run.
check_case() {
	local name=$1 counters
	counters="ok=$SC_OK fail=$SC_FAIL paws_tw=$SC_PAWSTW tw=$SC_TW tw_sport=$SC_TW_SPORT"
	counters+=" maxconnect=${SC_MAXCONNECT}s bytes_min=$SC_BYTES_MIN"
	if [ $((SC_OK + SC_FAIL)) -ne "$NCONN" ]; then
		echo "FAIL: $name: $((SC_OK + SC_FAIL)) of $NCONN connects ran ($counters)"
	elif [ "$SC_OK" -lt 1 ] || [ "$SC_BYTES_MIN" -ne "$BYTES" ]; then
		echo "FAIL: $name: no connection carried $BYTES bytes ($counters)"
	elif [ "$SC_FAIL" -eq 0 ] && [ "$SC_PAWSTW" -le 0 ]; then
		echo "FAIL: $name: did not reproduce ($counters)"
	elif [ "$SC_TW_SPORT" -lt 1 ]; then
		echo "FAIL: $name: no server TIME-WAIT socket for source port ${SC_SPORT:-40000}," \
			"the NAT did not reuse the port ($counters)"
	else
		echo "PASS: $name: reproduced ($counters)"
		return 0
	fi
	failures=$((failures + 1))
	return 1
}

# check_ts_probe: the helpers a strip-mode test will use see the timestamp
# option on the server's connection, and see it gone when the clients do not
# send it (tcp_timestamps=0 on the clients stands in for a perfect strip; with
# tcp_rfc1337=0, as a strip-mode test runs, those connects come up).
check_ts_probe() {
	local rc
	echo "=== helper/srv_conn_has_ts"
	scenario_probe_ts 4 5104
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "PASS: srv_conn_has_ts sees ts with timestamps on (rc=$rc)"
	else
		echo "FAIL: srv_conn_has_ts with timestamps on: rc=$rc, expected 0"
		failures=$((failures + 1))
	fi
	topo_client_timestamps 0 && topo_srv_rfc1337 0
	scenario_probe_ts 6 5105
	rc=$?
	if [ "$rc" = 1 ]; then
		echo "PASS: srv_conn_has_ts sees no ts with timestamps off (rc=$rc)"
	else
		echo "FAIL: srv_conn_has_ts with timestamps off: rc=$rc, expected 1"
		failures=$((failures + 1))
	fi
	topo_client_timestamps 1 && topo_srv_rfc1337 1
}

# run_case NAME FAMILY PORT: one scenario, then its verdict. A new server port
# per case: TIME-WAIT sockets of an earlier case would still be there.
run_case() {
	local name=$1 fam=$2 port=$3
	echo "=== $name"
	if ! scenario_run "$fam" "$NCONN" "$port" "$BYTES" "$CT"; then
		echo "FAIL: $name: scenario could not run"
		failures=$((failures + 1))
		return 1
	fi
	check_case "$name"
}

if topo_up direct && topo_check 5; then
	run_case direct/ipv4 4 5101
	run_case direct/ipv6 6 5102
	check_ts_probe
else
	echo "FAIL: direct topology did not come up"
	failures=$((failures + 1))
fi

if topo_up inline && topo_bridge_app_up && topo_check 5; then
	run_case inline-bridge/ipv4 4 5103
else
	echo "FAIL: inline topology (Linux bridge in $NS_APP) did not come up"
	failures=$((failures + 1))
fi

topo_down
echo "runtime: $((SECONDS - t_start)) s"
if [ "$failures" -ne 0 ]; then
	echo "baseline: FAIL ($failures)"
	exit 1
fi
echo "baseline: PASS"
exit 0
