# shellcheck shell=bash
# tests/cli/lib.sh: checks shared by the CLI tests. Needs TMP (a scratch folder) and
# counts failures in $fails.
#   expect_err DESCRIPTION REGEX CMD...  exit 1 and exactly one stderr line matching REGEX
#   expect_out DESCRIPTION REGEX CMD...  exit 0 and stdout matching REGEX
#   jq_py EXPR                           a Python expression over the last stdout as JSON (d)

ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

# expect_err DESCRIPTION REGEX CMD...: exit 1, exactly one stderr line matching REGEX.
expect_err() {
	local what=$1 re=$2 rc n
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	n=$(wc -l <"$TMP/err")
	if [ "$rc" = 1 ] && [ "$n" = 1 ] && grep -Eq "$re" "$TMP/err"; then
		ok "$what: $(cat "$TMP/err")"
	else
		bad "$what: rc=$rc lines=$n stderr=[$(cat "$TMP/err")]"
	fi
}

# expect_out DESCRIPTION REGEX CMD...: exit 0 and stdout matching REGEX.
expect_out() {
	local what=$1 re=$2 rc
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 0 ] && grep -Eq "$re" "$TMP/out"; then
		ok "$what"
	else
		bad "$what: rc=$rc stdout=[$(head -c 600 "$TMP/out")] stderr=[$(cat "$TMP/err")]"
	fi
}

jq_py() { /usr/bin/python3 -c "import json; d = json.load(open('$TMP/out')); print($1)"; }

