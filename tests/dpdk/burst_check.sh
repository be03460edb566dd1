#!/bin/bash
# The worker's burst path gives the same frames whichever way it runs (worker.c: in stages
# over the burst once the tables hold PG_PREFETCH_MIN entries, frame by frame below): the
# appliance's own code in process (pg-bench-dpdk --check) at 1,024 flows from 256 sources and
# at 32,768 flows from 8,192 sources, established segments and pool SYNs, every frame and
# counter checked.
#
# Usage: burst_check.sh PATH/TO/pg-bench-dpdk    (exit 77 = skip)
set -u
BIN=${1:-}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then echo "SKIP: pg-bench-dpdk not built (DPDK unavailable)"; exit 77; fi
PREFIX="pgd-burst-$$"
trap 'rm -rf "/var/run/dpdk/$PREFIX"' EXIT
failures=0
for size in "1024 256" "32768 8192"; do
	read -r flows sources <<<"$size"
	out=$("$BIN" --no-huge -m 256 --no-pci -l 0 --file-prefix "$PREFIX" \
		--log-level=lib.eal:warning --log-level=lib.telemetry:error -- \
		--flows "$flows" --sources "$sources" --packets 65536 --rounds 2 --check 2>&1)
	rc=$?
	echo "$out" | grep '^check '
	n=$(echo "$out" | grep -c '^check .*: ok: ')
	if [ "$rc" != 0 ] || [ "$n" != 2 ]; then
		echo "not ok - $flows flows: exit $rc, $n of 2 paths as expected"
		echo "$out" | tail -3
		failures=$((failures + 1))
	else
		echo "ok   - $flows flows from $sources sources: both paths, every frame as expected"
	fi
done
[ "$failures" = 0 ] || { echo "burst check: $failures size(s) failed"; exit 1; }
echo "burst check: all checks passed"
