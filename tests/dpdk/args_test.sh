#!/bin/bash
# pawsguard-dpdk command line: bad application arguments give one line on stderr and a
# non-zero exit before EAL starts; --help works; a config file is read, the command line
# overrides it, and the pools it gives are the ones telemetry lists.
#
# Usage: args_test.sh PATH/TO/pawsguard-dpdk    (exit 77 = skip)
set -u
BIN=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
dp_require "$BIN"

PREFIX="pgd-args-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgd-args.XXXXXX")
trap 'dp_cleanup "$PREFIX"; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
failures=0

# bad "WHAT" "EXPECTED WORDS" ARGS...: exit 2, exactly one line on stderr, nothing on stdout.
bad() {
	local what=$1 words=$2 rc
	shift 2
	timeout 10 "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "$what: exit 2 (got $rc), one line: $(head -c 120 "$TMP/err")" \
		[ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ] &&
		grep -q -- "$words" "$TMP/err"
}

printf 'pool 203.0.113.0/24\npool 10.0.0.0/8 bogus\n' >"$TMP/bad.conf"
bad "unknown option" "unknown option '--bogus'" -- --bogus
bad "missing argument" "needs an argument" -- --pool
bad "bad CIDR" "prefix length" -- --pool 10.0.0.0/33
bad "bad action" "bad action 'drop'" -- --pool 10.0.0.0/8,drop
bad "max-flows 0" "max-flows must be" -- --max-flows 0
bad "max-sources not a number" "max-sources must be" -- --max-sources many
bad "stray argument" "unexpected argument 'extra'" -- extra
bad "missing config" "cannot read config" -- --config "$TMP/none.conf"
bad "bad config line" "bad.conf:2: bad action 'bogus'" -- --config "$TMP/bad.conf"

timeout 10 "$BIN" -- --help >"$TMP/out" 2>&1
check "--help: exit 0 with usage ($?)" grep -q "^usage: pawsguard-dpdk" "$TMP/out"

# shellcheck disable=SC2046 # word splitting of the EAL options is intended
timeout 30 "$BIN" $(dp_eal "$PREFIX-1") -l 0 --vdev=net_null0 -- >"$TMP/out" 2>&1
rc=$?
check "one port only: refused (exit $rc)" [ "$rc" != 0 ] && grep -q "need exactly 2 ports" "$TMP/out"
rm -rf "/var/run/dpdk/$PREFIX-1"

# Config file, with the command line on top: 2001:db8:100::/48 becomes rewrite.
cat >"$TMP/ok.conf" <<'EOF'
# pools for the test
pool 203.0.113.0/24
pool 2001:db8:100::/48 strip
max-flows 1000
max-sources 100
EOF
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/run.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev=net_null0,no-rx=1 --vdev=net_null1,no-rx=1 -- \
	--config "$TMP/ok.conf" --pool 2001:db8:100::/48,rewrite --pool 198.51.100.0/24,strip \
	--max-sources 50
if dp_ready "$PREFIX" 20; then
	pools=$("$PG_PYTHON" "$PGTEL" "$PREFIX" /pawsguard/pools)
	want='[{"prefix": "203.0.113.0/24", "action": "rewrite"}, {"prefix": "2001:db8:100::/48", "action": "rewrite"}, {"prefix": "198.51.100.0/24", "action": "strip"}]'
	check "pools from the config file and the command line: $pools" [ "$pools" = "$want" ]
	check "limits from the config file, the command line on top" \
		grep -q "3 pool(s), 1000 flows, 50 sources, 1 worker lcore(s)" "$TMP/run.out"
else
	check "appliance came up with --config" false
	cat "$TMP/run.out"
fi
check "SIGINT: clean exit 0" dp_stop 10 && [ "${DP_RC:-1}" = 0 ]
# dp_stop sends SIGINT; SIGTERM separately on a second start.
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/run2.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
	--vdev=net_null0,no-rx=1 --vdev=net_null1,no-rx=1 --
if dp_ready "$PREFIX" 20; then
	kill -TERM "$DP_PID"
	for ((i = 0; i < 100; i++)); do kill -0 "$DP_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$DP_PID"
	rc=$?
	DP_PID=""
	check "SIGTERM: clean exit 0 (got $rc), final counters printed" \
		[ "$rc" = 0 ] && grep -q "^counters:" "$TMP/run2.out"
else
	check "appliance came up" false
fi

if [ "$failures" -gt 0 ]; then
	echo "dpdk args: $failures check(s) failed"
	exit 1
fi
echo "dpdk args: all checks passed"
