#!/bin/sh
# The README's CLI block must be exactly `pawsguard help`: usage, --help and pawsguard(8)
# come from the CLI's tables; this keeps the README from drifting away from them.
# Usage: readme_sync.sh PATH/TO/pawsguard PATH/TO/README.md
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" help >"$tmp/help" || exit 1
awk '/^`pawsguard help`:$/ { on = 1; next } on && /^```$/ { if (++fences == 2) exit; next } on && fences == 1' \
	"$2" >"$tmp/readme"
if diff -u "$tmp/readme" "$tmp/help"; then
	echo "README's CLI block matches pawsguard help"
	exit 0
fi
echo "README's CLI block differs from pawsguard help (update README.md)"
exit 1
