#!/bin/sh
# Every shell script passes shellcheck (the repository's .shellcheckrc); exit 77 without it.
# Usage: shellcheck.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
command -v shellcheck >/dev/null || { echo "SKIP: no shellcheck"; exit 77; }
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.sh')
else
	files=$(find scripts tests .ci -name '*.sh')
fi
# shellcheck disable=SC2086 # one word per file
shellcheck -x $files && echo "shellcheck: $(echo "$files" | wc -w) scripts clean"
