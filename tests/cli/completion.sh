#!/bin/bash
# The bash completion generated from the command table: loaded by bash, it completes verbs,
# sub-commands, options and option values; every verb of `pawsguard help` is offered.
# Usage: completion.sh PATH/TO/pawsguard PATH/TO/completion-script
set -u
PG=$1
SCRIPT=$2
fails=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# shellcheck source=/dev/null
. "$SCRIPT" || { bad "the script does not load in bash"; exit 1; }
complete -p pawsguard 2>/dev/null | grep -q -- '-F _pawsguard' && ok "complete -F _pawsguard pawsguard" ||
	bad "pawsguard has no completion function"

# offers "WORDS..." EXPECTED...: complete the last word of the line; every EXPECTED offered.
offers() {
	local line=$1 w
	shift
	read -ra COMP_WORDS <<<"$line"
	case $line in *' ') COMP_WORDS+=("") ;; esac
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_pawsguard
	for w in "$@"; do
		if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$w"; then
			bad "'$line' does not offer $w (offers: ${COMPREPLY[*]})"
			return
		fi
	done
	ok "'$line' offers $*"
}
# offers_not "WORDS..." UNEXPECTED: the last word's completions leave UNEXPECTED out.
offers_not() {
	local line=$1
	read -ra COMP_WORDS <<<"$line"
	case $line in *' ') COMP_WORDS+=("") ;; esac
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_pawsguard
	if printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$2"; then
		bad "'$line' offers $2, which that command does not take"
	else
		ok "'$line' leaves out $2"
	fi
}

offers "pawsguard po" pool
offers "pawsguard pool " add del list flush save
offers "pawsguard pool add 10.0.0.0/8 --ac" --action
offers "pawsguard pool add 10.0.0.0/8 --action " rewrite strip
offers "pawsguard attach " lo
offers "pawsguard attach lo --" --config --max-flows --max-sources --skb --json
offers "pawsguard stats --" --watch --count --iface --dpdk --json
offers "pawsguard sources --sort " recent rescued
offers "pawsguard stats --iface " lo
offers_not "pawsguard stats --" --action
offers_not "pawsguard detach lo --" --iface
# Every verb the usage lists, from the same table.
for v in $("$PG" help | sed -n 's/^  pawsguard \([a-z]*\).*/\1/p' | sort -u); do
	offers "pawsguard $v" "$v"
done

[ "$fails" = 0 ] && { echo "completion: all checks passed"; exit 0; }
echo "completion: $fails check(s) failed"
exit 1
