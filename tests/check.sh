# shellcheck shell=bash
# tests/check.sh: the one assertion of the shell tests.
#   check DESCRIPTION CMD...  run CMD; print "ok   - DESCRIPTION" or "FAIL - DESCRIPTION" and
#                             count the failure in $failures
failures=${failures:-0}

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		failures=$((failures + 1))
	fi
}

#   check_fails DESCRIPTION CMD...  the same, for a CMD that must fail (exit non-zero)
check_fails() {
	local what=$1
	shift
	if ! "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		failures=$((failures + 1))
	fi
}
