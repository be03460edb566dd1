# shellcheck shell=bash
# tests/dpdk/lib.sh: helpers shared by the pawsguard-dpdk tests and tests/bench/dpdk.sh.
#
#   dp_require BIN            exit 77 (skip) unless root and BIN is an executable
#   dp_eal PREFIX             the EAL options every run here uses: no hugepages, no PCI, a
#                             file prefix of its own (its runtime directory holds the
#                             telemetry socket). Never --in-memory: EAL refuses it beside
#                             --no-huge ("--legacy-mem is not compatible with --in-memory")
#   dp_lcores N               EAL lcore options for N worker lcores on this machine's CPUs
#   dp_start OUT BIN ARGS...  start BIN in the background, stdout+stderr to OUT (DP_PID)
#   dp_ready PREFIX [S]       wait until the appliance answers /pawsguard/stats (bounded)
#   dp_stop [S]               SIGINT, wait at most S seconds (default 10); DP_RC = exit code;
#                             non-zero if it had to be killed
#   dp_cleanup PREFIX         kill a leftover appliance, remove /var/run/dpdk/PREFIX
#   dp_counter OUT NAME       a final counter from the appliance's output
#   check DESCRIPTION CMD...  tests/check.sh
PG_PYTHON=${PG_PYTHON:-/usr/bin/python3}
DP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../check.sh
. "$DP_DIR/../check.sh"
PGTEL="$DP_DIR/pgtel.py"
DP_PID=""
# shellcheck disable=SC2034 # read by the scripts that source this file
DP_RC=""

dp_require() {
	local bin=${1:-}
	if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
	if [ -z "$bin" ] || [ ! -x "$bin" ]; then
		echo "SKIP: pawsguard-dpdk not built (DPDK unavailable)"; exit 77
	fi
	if ! "$PG_PYTHON" -c 'import scapy' 2>/dev/null; then
		echo "SKIP: python3-scapy missing"; exit 77
	fi
}

dp_eal() {
	echo "--no-huge -m 512 --no-pci --file-prefix=$1 --log-level=lib.eal:warning"
}

# The main lcore only controls; workers share the CPUs when there are more of them.
dp_lcores() {
	local n=$1 ncpu i spec
	ncpu=$(nproc)
	if [ "$n" -le 1 ]; then
		if [ "$ncpu" -ge 2 ]; then echo "-l 0-1"; else echo "--lcores=0@0,1@0"; fi
		return
	fi
	spec="0@0"
	for ((i = 1; i <= n; i++)); do
		spec="$spec,$i@$(((i - 1 + ncpu - 1) % ncpu))"
	done
	echo "--lcores=$spec"
}

dp_start() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	DP_PID=$!
}

dp_ready() {
	local prefix=$1 secs=${2:-15}
	"$PG_PYTHON" "$PGTEL" --ready "$prefix" --timeout "$secs" && kill -0 "$DP_PID" 2>/dev/null
}

dp_stop() {
	local secs=${1:-10} i
	DP_RC=""
	[ -n "$DP_PID" ] || return 1
	kill -INT "$DP_PID" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$DP_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DP_PID" 2>/dev/null; then
		echo "appliance did not stop within ${secs}s after SIGINT: killed" >&2
		kill -KILL "$DP_PID" 2>/dev/null
		wait "$DP_PID" 2>/dev/null
		DP_PID=""
		return 1
	fi
	wait "$DP_PID"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	DP_RC=$?
	DP_PID=""
	return 0
}

dp_cleanup() {
	if [ -n "$DP_PID" ]; then
		kill -KILL "$DP_PID" 2>/dev/null
		wait "$DP_PID" 2>/dev/null
		DP_PID=""
	fi
	[ -n "${1:-}" ] && rm -rf "/var/run/dpdk/$1"
	return 0
}

dp_counter() {
	awk -v n="$2" '$1 == n && NF == 2 { print $2; found = 1; exit } END { if (!found) print -1 }' "$1"
}
