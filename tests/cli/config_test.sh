#!/bin/bash
# Config files read and written safely (lib/pgconf.c): every hazard gets one line on
# stderr, exit status 1, and nothing half-applied.
#  - read (attach --config): a line over 511 bytes (a commented-out pool past byte 511 must
#    not be applied), a directory, a FIFO and /dev/zero (under a timeout: must not hang),
#    a NUL byte, a pool twice, a file owned by another user, a file writable by others;
#  - write (pool save): a symlink and a foreign file planted at the old temporary name, a
#    read-only directory, a full filesystem (a small tmpfs): the target keeps its old bytes,
#    and a save keeps the file's mode, comments and other directives.
# Usage: config_test.sh PATH/TO/pawsguard    (root; exit 77 = skipped)
set -u
PG=$1
HERE=$(cd "$(dirname "$0")" && pwd)
NS=pgcfg
fails=0
TMP=$(mktemp -d)

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
MNT="$TMP/mnt"
cleanup() {
	nsenter --net="/run/netns/$NS" "$PG" detach pgfa >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	umount "$MNT" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" && ip -n "$NS" link add pgfa type veth peer name pgfb &&
	ip -n "$NS" link set pgfa up && ip -n "$NS" link set pgfb up || { bad "netns setup"; exit 1; }
pgc() { nsenter --net="/run/netns/$NS" timeout 10 "$PG" "$@"; }

# not_attached: a refused config left nothing behind.
not_attached() {
	if pgc pool list --iface pgfa >/dev/null 2>&1; then
		bad "$1: attached anyway"
		pgc detach pgfa >/dev/null 2>&1
	else
		ok "$1: nothing attached"
	fi
}

echo "== reading"
C="$TMP/c.conf"
{ printf 'pool 10.1.0.0/16\n# '; head -c 600 /dev/zero | tr '\0' 'x'; printf ' pool 10.9.0.0/16 strip\n'; } >"$C"
expect_err "line over 511 bytes" "c.conf:2: line longer than 511 bytes" pgc attach pgfa --config "$C"
not_attached "long line"
expect_err "a directory" "is not a regular file \\(a directory\\)" pgc attach pgfa --config "$TMP"
mkfifo "$TMP/fifo"
expect_err "a FIFO, without hanging" "is not a regular file \\(a FIFO\\)" pgc attach pgfa --config "$TMP/fifo"
expect_err "/dev/zero, without hanging" "is not a regular file \\(a device\\)" pgc attach pgfa --config /dev/zero
printf 'pool 10.1.0.0/16\npool 10.2\0.0.0/16\n' >"$C"
expect_err "a NUL byte" "c.conf:2: NUL byte in the line" pgc attach pgfa --config "$C"
printf 'pool 10.1.0.0/16\n# two\npool 10.1.0.0/16 strip\n' >"$C"
expect_err "a pool twice" "c.conf:3: pool 10.1.0.0/16 again \\(first on line 1\\)" pgc attach pgfa --config "$C"
printf 'pool 10.1.0.0/16\n' >"$C"
chown nobody "$C"
expect_err "owned by another user" "owned by uid [0-9]+, not root: refused" pgc attach pgfa --config "$C"
chown root "$C"
chmod 0646 "$C"
expect_err "writable by others" "writable by others \\(mode 0646\\): refused" pgc attach pgfa --config "$C"
chmod 0644 "$C"
printf 'max-flows 4\n' >"$C"
expect_err "a table size out of range" "c.conf:1: max-flows must be 8\\.\\.67108864" pgc attach pgfa --config "$C"
not_attached "bad configs"

echo "== writing"
printf '# our pools\nmax-flows 4096\npool 10.1.0.0/16\n# keep me\npool 10.2.0.0/16 strip\nmax-sources 1024\n' >"$C"
chmod 0640 "$C"
expect_out "attach with the config" "attached to pgfa" pgc attach pgfa --config "$C"
expect_out "pool add" "added 10.3.0.0/16" pgc pool add 10.3.0.0/16 --iface pgfa
# What an older pool save followed: a fixed temporary name, here planted as a link to a file
# of someone else's choosing, and a foreign file.
echo secret >"$TMP/victim"
chmod 0600 "$TMP/victim"
ln -s "$TMP/victim" "$C.tmp"
expect_out "pool save over a planted link" "saved 3 pools to" pgc pool save "$C" --iface pgfa
if [ "$(cat "$TMP/victim")" = secret ] && [ -L "$C.tmp" ]; then
	ok "the planted link and its target are untouched"
else
	bad "the planted link was followed: $(cat "$TMP/victim")"
fi
want=$(printf '# our pools\nmax-flows 4096\npool 10.1.0.0/16 rewrite\npool 10.2.0.0/16 strip\npool 10.3.0.0/16 rewrite\n# keep me\nmax-sources 1024')
if [ "$(cat "$C")" = "$want" ]; then
	ok "comments and directives kept, the pools where the first was"
else
	bad "saved file: [$(cat "$C")]"
fi
m=$(stat -c %a "$C")
[ "$m" = 640 ] && ok "mode kept (0640)" || bad "mode $m after save, was 0640"
expect_out "the saved file loads back" "10.3.0.0/16" pgc pool list --iface pgfa
left=("$TMP"/.c.conf.*)
[ -e "${left[0]}" ] && bad "a temporary file was left: ${left[*]}" || ok "no temporary file left"

mkdir "$MNT"
mount -t tmpfs -o size=16k tmpfs "$MNT" || { bad "tmpfs"; exit 1; }
printf 'pool 10.1.0.0/16\n' >"$MNT/p.conf"
head -c 64k /dev/zero >"$MNT/fill" 2>/dev/null
for i in $(seq 1 200); do pgc pool add "10.100.$i.0/24" --iface pgfa >/dev/null || break; done
expect_err "a full filesystem" "cannot .*p.conf: No space left on device" pgc pool save "$MNT/p.conf" --iface pgfa
[ "$(cat "$MNT/p.conf")" = "pool 10.1.0.0/16" ] && ok "the old file is intact" ||
	bad "the old file changed: $(head -c 100 "$MNT/p.conf")"
left=("$MNT"/.p.conf.*)
[ -e "${left[0]}" ] && bad "a temporary file was left on the full fs: ${left[*]}" ||
	ok "no temporary file left on the full fs"
rm -f "$MNT/fill"
mount -o remount,ro "$MNT" || bad "remount ro"
expect_err "a read-only directory" "cannot create a temporary file in .*: Read-only file system" \
	pgc pool save "$MNT/p.conf" --iface pgfa

expect_out "detach" "detached" pgc detach pgfa
echo "config: $fails failure(s)"
[ "$fails" = 0 ]
