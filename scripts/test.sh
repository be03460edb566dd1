#!/bin/sh
# Install what is missing, build everything, run every test; print "N passed, N failed".
# Usage (as root, on Debian 12): ./scripts/test.sh [meson test args, e.g. --suite unit]
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${PG_BUILD:-$ROOT/build}

./scripts/deps.sh

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD"
fi
if ! meson compile -C "$BUILD"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# BPF tests pin maps; make sure bpffs is there (root only).
if [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || true
fi

rc=0
meson test -C "$BUILD" --print-errorlogs "$@" || rc=$?

# Count from meson's own log, one JSON object per test.
/usr/bin/python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
names = []
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
                names.append("skipped: " + t.get("name", "?"))
            else:
                failed += 1
                names.append("failed: " + t.get("name", "?") + " (" + r + ")")
except OSError as e:
    print("no test log: %s" % e)
    failed = 1
for n in names:
    print(n)
if skipped:
    print("%d skipped" % skipped)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
PY
pyrc=$?
[ "$pyrc" = 0 ] && [ "$rc" = 0 ] || exit 1
