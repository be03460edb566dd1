#!/bin/bash
# pawsguard-dpdk command line: bad application arguments give one line on stderr and a
# non-zero exit before EAL starts; --help works; a config file is read, the command line
# overrides it, and the pools it gives are the ones telemetry lists. --state FILE: a bad
# directory or a FILE that cannot be read is refused before EAL starts; a corrupt,
# truncated, foreign-layout or stale FILE is refused with one line and the appliance
# starts empty (and writes a good FILE when it stops).
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
bad_was() {
	[ "$1" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ] &&
		grep -q -- "$2" "$TMP/err"
}
bad() {
	local what=$1 words=$2 rc
	shift 2
	timeout 10 "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "$what: exit 2 (got $rc), one line: $(head -c 120 "$TMP/err")" bad_was "$rc" "$words"
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
bad "mtu too small" "mtu must be 68..65535, got '40'" -- --mtu 40
bad "mbuf-size not a number" "mbuf-size must be" -- --mbuf-size big
bad "mbufs too few" "mbufs must be 1024..67108864, got '100'" -- --mbufs 100
bad "state in a missing directory" "directory $TMP/nodir: No such file or directory" \
	-- --state "$TMP/nodir/pg.state"
mkdir "$TMP/adir"
bad "state not readable as a file" "state $TMP/adir: not a regular file" -- --state "$TMP/adir"

timeout 10 "$BIN" -- --help >"$TMP/out" 2>&1
check "--help: exit 0 with usage ($?)" grep -q "^usage: pawsguard-dpdk" "$TMP/out"

# shellcheck disable=SC2046 # word splitting of the EAL options is intended
timeout 30 "$BIN" $(dp_eal "$PREFIX-1") -l 0 --vdev=net_null0 -- >"$TMP/out" 2>&1
rc=$?
refused() { [ "$1" != 0 ] && grep -q "$2" "$TMP/out"; }
check "one port only: refused (exit $rc)" refused "$rc" "need exactly 2 ports"
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
	pools=$("$PG_PYTHON" "$PGTEL" --list "$PREFIX" pools)
	want='[{"prefix": "203.0.113.0/24", "action": "rewrite"}, {"prefix": "2001:db8:100::/48", "action": "rewrite"}, {"prefix": "198.51.100.0/24", "action": "strip"}]'
	check "pools from the config file and the command line: $pools" [ "$pools" = "$want" ]
	check "limits from the config file, the command line on top" \
		grep -q "3 pool(s), 1000 flows, 50 sources, 1 worker lcore(s)" "$TMP/run.out"
else
	check "appliance came up with --config" false
	cat "$TMP/run.out"
fi
stopped_ok() { dp_stop 10 && [ "${DP_RC:-1}" = 0 ]; }
stopped_mbufs() { stopped_ok && grep -q "worker lcore(s), 65536 mbufs" "$TMP/big.out"; }
clean_exit() { [ "$1" = 0 ] && grep -q "^counters:" "$2"; }
check "SIGINT: clean exit 0" stopped_ok
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
		clean_exit "$rc" "$TMP/run2.out"
else
	check "appliance came up" false
fi

# --state FILE that cannot be used: one line, the appliance starts empty and forwards, and
# on SIGINT it writes a good FILE (which the next case then damages in another way).
STATE="$TMP/pg.state"
head -c 300 /dev/urandom >"$STATE"
# patch_state EXPR: rewrite fields of the saved header (h: its fields as a list, in the
# order of state.c's layout: h[1] version, h[10] written ns, h[11] flows, h[12] sources,
# h[13] CRC) and fix its CRC-32 (unless EXPR says nocrc), so that only EXPR is wrong.
patch_state() {
	"$PG_PYTHON" - "$STATE" "$1" <<'PY'
import struct, sys, time, zlib
path, expr = sys.argv[1], sys.argv[2]
b = bytearray(open(path, "rb").read())
# state.c: magic, version, header size, 6 sizes, workers, written, counts, crc, 0
fmt = "<8sII6HIQQQII"
h = list(struct.unpack_from(fmt, b, 0))
now_ns = time.time_ns()
exec(expr)
h[-2] = 0
struct.pack_into(fmt, b, 0, *h)
if "nocrc" not in expr:
    h[-2] = zlib.crc32(bytes(b))
    struct.pack_into(fmt, b, 0, *h)
open(path, "wb").write(b)
PY
}
# state_case WHAT EXPECTED-LINE: start with --state, one refusal line, ready, stop, saved.
state_case() {
	local what=$1 line=$2 n
	# shellcheck disable=SC2046 # word splitting of the EAL options is intended
	dp_start "$TMP/st.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) \
		--vdev=net_null0,no-rx=1 --vdev=net_null1,no-rx=1 -- --state "$STATE"
	if dp_ready "$PREFIX" 20; then
		n=$(grep -c "state .*starting empty" "$TMP/st.out")
		check "state $what: one line, starting empty: $(grep "state " "$TMP/st.out" | head -1)" \
			refused_line "$n" "$line"
		check "state $what: SIGINT, exit 0, a good file written" saved_ok
	else
		check "state $what: appliance came up" false
		cat "$TMP/st.out"
	fi
	dp_cleanup "$PREFIX"
}
refused_line() { [ "$1" = 1 ] && grep -Eq "$2" "$TMP/st.out"; }
saved_ok() {
	dp_stop 10 && [ "${DP_RC:-1}" = 0 ] &&
		grep -q "state saved to $STATE: 0 flows (0 established, 0 unconfirmed), 0 sources" \
			"$TMP/st.out" && [ "$(stat -c %s "$STATE")" = 64 ]
}
state_case "corrupt (random bytes)" "state $STATE: not a pawsguard state file: starting empty"
patch_state 'h[1] = 99'
state_case "of another layout" "layout 99 .* is not this build's layout 1 .*: starting empty"
patch_state 'h[11] = 5'
state_case "truncated (5 flows claimed, none there)" \
	"64 bytes do not hold its 5 flows and 0 sources .truncated.*: starting empty"
patch_state 'h[10] -= 1; nocrc = 1'
state_case "with a bad checksum" "checksum mismatch .corrupt.: starting empty"
patch_state 'h[10] = now_ns - 200 * 10**9'
state_case "written 200 s ago" \
	"written 20[0-9]\.[0-9]{3} s ago, older than the source TTL .75 s.: starting empty"

# --mbufs: fewer than the queues and rings need is refused at start; a pcap of 40000 frames
# (more than the default pool) replays with net_pcap infinite_rx=1 given enough mbufs.
"$PG_PYTHON" - "$TMP/big.pcap" "$TMP/none.pcap" <<'PY'
import struct, sys
hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
with open(sys.argv[1], "wb") as f:
    f.write(hdr)
    for i in range(40000):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, i & 0xFFFF, 0, 64, 17, 0,
                         bytes([10, 1, i >> 8 & 255, i & 255]), bytes([198, 18, 0, 1]))
        p = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + \
            struct.pack("!HHHH", 1000, 53, 26, 0) + b"z" * 18
        f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)
with open(sys.argv[2], "wb") as f:
    f.write(hdr)
PY
PCAPS=(--vdev="net_pcap0,rx_pcap=$TMP/big.pcap,infinite_rx=1" --vdev="net_pcap1,rx_pcap=$TMP/none.pcap")
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
timeout 30 "$BIN" $(dp_eal "$PREFIX-2") $(dp_lcores 1) "${PCAPS[@]}" -- --mbufs 2000 \
	>"$TMP/out" 2>&1
rc=$?
check "--mbufs 2000: refused at start, the need said (exit $rc)" refused "$rc" \
	"mbufs 2000: these queues and rings need at least [0-9]*"
rm -rf "/var/run/dpdk/$PREFIX-2"
# shellcheck disable=SC2046 # word splitting of the EAL options is intended
dp_start "$TMP/big.out" "$BIN" $(dp_eal "$PREFIX") $(dp_lcores 1) "${PCAPS[@]}" -- \
	--mbufs 65536
if dp_ready "$PREFIX" 20; then
	got=$("$PG_PYTHON" "$PGTEL" --wait "$PREFIX" /pawsguard/stats tx_packets 80000 --timeout 20)
	check "40000-frame pcap replayed with --mbufs 65536 (tx_packets $got)" [ "${got:-0}" -ge 80000 ]
	check "--mbufs 65536: SIGINT, exit 0, 65536 mbufs said" stopped_mbufs
else
	check "--mbufs 65536: appliance came up with a 40000-frame pcap" false
	cat "$TMP/big.out"
fi
dp_cleanup "$PREFIX"

if [ "$failures" -gt 0 ]; then
	echo "dpdk args: $failures check(s) failed"
	exit 1
fi
echo "dpdk args: all checks passed"
