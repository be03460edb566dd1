#!/bin/sh
# The tree is formatted: clang-format --dry-run -Werror (the repository's .clang-format)
# over every C file and header. Prints the files that are not; exit 77 without clang-format.
# Usage: format.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "SKIP: no clang-format"; exit 77; }
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find include xdp dataplane control tests -name '*.[ch]')
fi
bad=0
n=0
for f in $files; do
	n=$((n + 1))
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "$n files, $bad not formatted"
[ "$bad" = 0 ]
