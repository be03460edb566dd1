# shellcheck shell=bash
# tests/e2e/heal_xdp_lib.sh: the hooks heal_lib.sh needs, for the XDP dataplane, shared by the
# tests that run its scenario through pawsguard attached to the server's interface
# (heal_xdp.sh, reload_xdp.sh). Needs PG and pgc (the CLI run in the server's namespace);
# gives hl_stats, hl_flows, quiet, and the cleanup trap (connections, detach, topology).

cleanup() {
	hl_kill
	[ -n "${NS_SRV:-}" ] && [ -e "/run/netns/$NS_SRV" ] && pgc detach "$SRV_IF" >/dev/null 2>&1
	topo_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

hl_stats() {
	pgc stats --json --iface "$SRV_IF" | "$HL_PY" -c '
import json, sys
d = json.load(sys.stdin)
out = dict(d["counters"])
out.update({k: v for k, v in d.items() if isinstance(v, int)})
print(json.dumps(out))'
}
quiet() { "$@" >/dev/null; }
hl_flows() { pgc flows --json --iface "$SRV_IF" --limit 100000; }
