#!/bin/bash
# The systemd units (contrib/systemd, as meson configured them into the build): with their
# binaries pointed at this build, `systemd-analyze verify` must accept each without a word;
# every pawsguard verb an Exec line runs must exist (its --help answers); a unit with a
# mistake planted in it must be reported (the check can fail).
# Usage: units.sh BUILD/contrib PATH/TO/pawsguard [PATH/TO/pawsguard-dpdk]   (77 = skipped)
set -u
UNITS=$1
PG=$2
DP=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
# shellcheck source=../check.sh
. "$HERE/../check.sh"

# The installed paths, as configured, replaced by this build's files.
sbindir=$(sed -n 's#^ExecStart=\(.*\)/pawsguard attach.*#\1#p' "$UNITS/pawsguard-xdp@.service")
sysconf=$(sed -n 's#^EnvironmentFile=\(.*\)/default/pawsguard-dpdk$#\1#p' "$UNITS/pawsguard-dpdk.service")
check "the units name their sbindir ($sbindir) and sysconfdir ($sysconf)" [ -n "$sbindir" ] && [ -n "$sysconf" ]
: >"$TMP/pawsguard-dpdk.env"
for u in "$UNITS"/*.service; do
	sed -e "s#$sbindir/pawsguard-dpdk#${DP:-/bin/true}#g" -e "s#$sbindir/pawsguard #$PG #g" \
		-e "s#$sysconf/default/pawsguard-dpdk#$TMP/pawsguard-dpdk.env#" "$u" >"$TMP/$(basename "$u")"
done
cp "$TMP/pawsguard-xdp@.service" "$TMP/pawsguard-xdp@lo.service"

verify_quiet() { # verify_quiet UNIT: rc 0 and nothing said
	(cd "$TMP" && systemd-analyze verify --man=no "./$1" >"$TMP/v.out" 2>&1) && [ ! -s "$TMP/v.out" ] ||
		{ sed 's/^/    /' "$TMP/v.out"; return 1; }
}
for u in pawsguard-xdp@lo.service pawsguard-dpdk.service pawsguard-metrics.service; do
	check "systemd-analyze verify $u: accepted without a warning" verify_quiet "$u"
done

# Every verb the units run exists in this CLI.
sed -n 's#^Exec[A-Za-z]*=[^ ]*/pawsguard \([a-z]*\) .*#\1#p' "$UNITS"/*.service | sort -u >"$TMP/verbs"
while read -r verb; do
	check "the units' verb '$verb' exists" "$PG" "$verb" --help
done <"$TMP/verbs"
check "ExecReload of pawsguard-xdp@ is reload" grep -q '^ExecReload=.*/pawsguard reload %I$' "$UNITS/pawsguard-xdp@.service"
check "pawsguard-dpdk keeps its flows across restarts (--state) and restarts on failure" \
	grep -q -- '--state /var/lib/pawsguard/' "$UNITS/pawsguard-dpdk.service"
check "  Restart=on-failure" grep -qx 'Restart=on-failure' "$UNITS/pawsguard-dpdk.service"

# A negative control: a misspelt key must be reported.
sed 's/^Restart=on-failure/Restrat=on-failure/' "$TMP/pawsguard-metrics.service" >"$TMP/bad.service"
check_fails "a unit with a misspelt key is reported" verify_quiet bad.service

if [ "$failures" -gt 0 ]; then
	echo "units: $failures check(s) failed"
	exit 1
fi
echo "units: all checks passed"
