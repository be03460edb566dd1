#!/bin/bash
# The Debian package, end to end: dpkg-buildpackage -us -uc -b on a copy of the source tree,
# lintian without errors, dpkg -i of both packages, the installed files used (units verified
# at their installed paths, pawsguard attached in a network namespace, a pool, stats, the
# metrics textfile, detach, the appliance's --help), then dpkg --purge, after which nothing
# of it is left on the host.
# Usage: package.sh SOURCE_ROOT   (exit 77 = skipped)
set -u
SRC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg -i)"; exit 77; }
for c in dpkg-buildpackage lintian dh; do
	command -v "$c" >/dev/null || { echo "SKIP: $c not installed (scripts/deps.sh)"; exit 77; }
done
if dpkg-query -W -f='${Status}' pawsguard 2>/dev/null | grep -q ' installed'; then
	echo "SKIP: a pawsguard package is installed on this host already: not touching it"
	exit 77
fi
TMP=$(mktemp -d)
NS=pgpkg$$
failures=0
# shellcheck source=../check.sh
. "$HERE/../check.sh"

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	ip netns exec "$NS" /usr/sbin/pawsguard detach pgpk0 >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	dpkg --purge pawsguard pawsguard-dpdk >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== build dependencies: every one is installed by scripts/deps.sh"
bdeps=$(sed -n '/^Build-Depends:/,/^$/p' "$SRC/debian/control" | sed 's/^Build-Depends://' |
	tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/^ *//; s/ *$//' | grep -v '^$' | sed 's/^debhelper-compat$/debhelper/')
for d in $bdeps; do
	check "  $d in scripts/deps.sh" grep -qw -- "$d" "$SRC/scripts/deps.sh"
done

echo "== build"
version=$(sed -n '1s/^pawsguard (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
dir="$TMP/pawsguard-$version"
mkdir -p "$dir"
# The tracked files only: no build folders, nothing a previous run left.
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRC" ls-files -z | (cd "$SRC" && tar --null -cf - -T -) | tar -xf - -C "$dir"
else
	tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$dir"
fi
(cd "$dir" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$TMP/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { tail -30 "$TMP/build.log"; exit 1; }
debs=("$TMP"/pawsguard_"$version"_*.deb "$TMP"/pawsguard-dpdk_"$version"_*.deb)
check "both packages built: ${debs[*]##*/}" [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ]
lintian --fail-on error "$TMP"/pawsguard_"$version"_*.changes >"$TMP/lintian.log" 2>&1
rc=$?
check "lintian: no errors (exit $rc)" [ "$rc" = 0 ]
grep '^E:' "$TMP/lintian.log"
grep -c '^W:' "$TMP/lintian.log" | sed 's/^/  lintian warnings: /'
check "the config file is a conffile" \
	bash -c "dpkg-deb -e '${debs[0]}' '$TMP/ctl' && grep -qx /etc/pawsguard/pawsguard.conf '$TMP/ctl/conffiles'"
for f in usr/sbin/pawsguard usr/share/man/man8/pawsguard.8.gz usr/share/bash-completion/completions/pawsguard \
	lib/systemd/system/pawsguard-xdp@.service lib/systemd/system/pawsguard-metrics.service; do
	check "pawsguard holds /$f" bash -c "dpkg-deb -c '${debs[0]}' | grep -q ' \\./$f\$'"
done
check "pawsguard-dpdk holds the appliance and its unit" \
	bash -c "dpkg-deb -c '${debs[1]}' | grep -q ' ./usr/sbin/pawsguard-dpdk$' &&
		dpkg-deb -c '${debs[1]}' | grep -q ' ./lib/systemd/system/pawsguard-dpdk.service$'"

echo "== install and use"
check "dpkg -i both" dpkg -i "${debs[@]}"
check "the installed units verify at their paths" \
	bash -c "systemd-analyze verify --man=no /lib/systemd/system/pawsguard-dpdk.service \
		/lib/systemd/system/pawsguard-metrics.service 2>&1 | tee '$TMP/verify.log'; [ ! -s '$TMP/verify.log' ]"
check "man pawsguard finds the page" bash -c "man -w pawsguard | grep -q pawsguard.8"
check "the completion loads and completes a verb" bash -c \
	". /usr/share/bash-completion/completions/pawsguard && COMP_WORDS=(pawsguard pool fl) COMP_CWORD=2 && _pawsguard && [ \"\${COMPREPLY[*]}\" = flush ]"
ip netns add "$NS" && ip -n "$NS" link add pgpk0 type veth peer name pgpk1 &&
	ip -n "$NS" link set pgpk0 up && ip -n "$NS" link set pgpk1 up || echo "FAIL: netns setup"
pg() { ip netns exec "$NS" /usr/sbin/pawsguard "$@"; }
check "installed pawsguard attaches in a namespace" pg attach pgpk0 --max-flows 1024 --max-sources 1024
check "pool add" pg pool add 203.0.113.0/24 --iface pgpk0
check "stats" bash -c "ip netns exec '$NS' /usr/sbin/pawsguard stats --json --iface pgpk0 | grep -q '\"target\":\"xdp\"'"
check "metrics textfile" bash -c "ip netns exec '$NS' /usr/sbin/pawsguard metrics --textfile '$TMP' --count 1 --iface pgpk0 >/dev/null &&
	grep -q 'pawsguard_up{target=\"xdp:pgpk0\"} 1' '$TMP/pawsguard.prom'"
check "detach" pg detach pgpk0
check "the appliance runs (--help)" bash -c "/usr/sbin/pawsguard-dpdk --help 2>&1 | grep -qi usage"

echo "== purge"
check "dpkg --purge both" dpkg --purge pawsguard pawsguard-dpdk
for f in /usr/sbin/pawsguard /usr/sbin/pawsguard-dpdk /etc/pawsguard /lib/systemd/system/pawsguard-xdp@.service \
	/usr/share/bash-completion/completions/pawsguard; do
	check "gone after purge: $f" [ ! -e "$f" ]
done

if [ "$failures" -gt 0 ]; then
	echo "package: $failures check(s) failed"
	exit 1
fi
echo "package: all checks passed"
