#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the BPF_PROG_TEST_RUN fixtures of tests/bpf/fixtures.c.

Every fixture is built here with scapy from docs/DESIGN.md, never from the code
under test: the input frame, the expected output frame (new TSval/TSecr or NOPs, checksums
recomputed by scapy from scratch), the expected verdict, the expected counter deltas and
the expected map state afterwards.

Output: a line-based text file (format below) read by the C runner.

    vclock <u64>                     virtual clock (unwrapped ms) when generated
    fixture <name>
    prog xdp|tc
    pool <prefix>/<len> rewrite|strip|none
    source <addr> <field>=<value> ...                   pre-populated pg_sources entry
    flow <client> <cport> <server> <sport> <field>=<value> ...   pre-populated pg_flows
    in <hex>
    verdict <n>
    out <hex>
    wild <l3 offset> <TSval offset> <margin ms>   TSval' not known here: see below
    xfail <reason>                   a known bug of the programs: expected to fail
    stat <name> <delta>              every counter not listed must stay 0
    sources <n>                      entries in pg_sources afterwards
    flows <n>                        entries in pg_flows afterwards
    expect_source <addr> <field>=<value> ...
    expect_flow <client> <cport> <server> <sport> <field>=<value> ...
    end

Values: numbers; times "now" or "now-<seconds>" (setup: exactly the runner's clock at
reset, or that many seconds before; expected: "now" within a second of the run,
"now-<s>" exactly as set up, i.e. not touched); "tsv" and "tsv-<n>" the TSval' read from
the output of a "wild" fixture, unwrapped (below).

Positions: pg_source.max_fwd and pg_flow.fwd_pub are unwrapped 64-bit TSval' positions on
the line of the virtual clock (the real-time clock in unwrapped milliseconds); the wire
carries their low 32 bits. A SYN from a pool source with fresh state gets the position
max_fwd + 1 when max_fwd is ahead of the virtual clock, so "ahead" can only be decided
against the time of generation: sources get max_fwd = vclock + 2^30 (12 days ahead) and
the runner refuses fixtures older than 2^29 ms. meson regenerates them before every test
run. Where the TSval' can only come from the clock (a source without fresh state: vclock +
margin), the fixture is "wild": the runner checks the TSval' is the low 32 bits of a
position within the clock window (that position is "tsv"), the rest of the bytes exactly,
and the TCP checksum in full.

A flow's TSval' unwraps against its fwd_pub: fwd_pub + (int32)(TSval' - (u32)fwd_pub).
Flows are set up with an fwd_pub consistent with their TSvals (their SYN's position), so
that whether a segment is ahead of the clock never depends on the time of the run.
"""

import struct
import sys
import time

from scapy.layers.inet import IP, TCP, UDP, IPOption_Router_Alert
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Raw

MASK = 0xFFFFFFFF
VCLOCK = time.time_ns() // 1000000   # unwrapped, as pg_vclock()
AHEAD = VCLOCK + (1 << 30)           # a source's max_fwd, far ahead of the clock
BEHIND = VCLOCK - (1 << 30)          # a TSval' position far behind the clock
# Positions more than 2^31 ms ahead of the clock: a microsecond client clock gets there
# in 36 minutes. 32-bit serial arithmetic would call them behind.
FAR_AHEAD = VCLOCK + (1 << 31) + 10**6
FAR_BEHIND = VCLOCK - (1 << 31) - 10**6
# The first position at or above AHEAD whose low 32 bits are 0: the wire value wraps there.
WRAP_AHEAD = (AHEAD | MASK) + 1
# A SYN of a source without fresh state gets vclock + unknown_margin_ms + clock_lag_ms
# (PG_CONFIG_DEFAULT: 1000 and 10; the lag covers a dataplane clock read once per jiffy).
CLOCK_LAG_MS = 10
MARGIN_MS = 1000 + CLOCK_LAG_MS
# An orphan's segments go out with a TSval 2^30 ms behind the clock (PG_ORPHAN_BEHIND_MS):
# wild, checked against the run's clock window.
ORPHAN_BEHIND = -(1 << 30)

MAC_C = '02:00:00:00:00:01'
MAC_S = '02:00:00:00:00:02'
SERVER4 = '192.0.2.10'
SERVER6 = '2001:db8:ffff::10'
CLIENT4 = '10.1.2.3'           # in 10.0.0.0/8, rewrite
STRIP4 = '172.16.5.9'          # in 172.16.0.0/12, strip
OUTSIDE4 = '198.51.100.7'      # in no pool
CLIENT6 = '2001:db8:aaaa::5'   # in 2001:db8:aaaa::/48, rewrite
STRIP6 = '2001:db8:bbbb::9'    # in 2001:db8:bbbb::/48, strip
CPORT = 40000
SPORT = 80

POOLS = [('10.0.0.0/8', 'rewrite'), ('172.16.0.0/12', 'strip'),
         ('2001:db8:aaaa::/48', 'rewrite'), ('2001:db8:bbbb::/48', 'strip')]

# Counter names of include/pawsguard/types.h (PG_STATS_LIST): the interface, not the code.
XDP_TCP = {'packets': 1, 'tcp': 1}
XDP_SYN = {'packets': 1, 'tcp': 1, 'syn': 1}
XDP_POOL_SYN = dict(XDP_SYN, pool_syn=1)
# A new flow: a SYN entry added to the unconfirmed table (docs/DESIGN.md, "Eviction classes").
XDP_SYN_NEW = dict(XDP_POOL_SYN, flow_new=1, tsval_rewritten=1, unconf_add=1)
# A new flow that took over an existing entry of its 4-tuple in place: nothing added.
XDP_SYN_REUSE = dict(XDP_POOL_SYN, flow_new=1, tsval_rewritten=1, flow_reuse=1)
TC_TCP = {'packets_out': 1}

FS_DEAD, FS_SYN, FS_EST, FS_CLOSING, FS_ORPHAN = 0, 1, 2, 3, 4
FF_SYNACK, FF_ADOPTED = 1, 2
CLASS_EST, CLASS_UNCONF = 0, 1
SF_ADOPTED = 1
ACT_NONE, ACT_REWRITE, ACT_STRIP = 0, 1, 2


def u32(v):
    return v & MASK


def s32(v):
    v &= MASK
    return v - (1 << 32) if v >> 31 else v


def pos_near(t32, near):
    """The position whose low 32 bits are t32, within 2^31 of near (pg_flow_unwrap)."""
    return near + s32(t32 - near)


def pos_behind(t32):
    """A position of the wire value t32 at least 2^30 ms behind the clock."""
    return pos_near(t32, VCLOCK - 3 * (1 << 30))


# TCP options, as raw bytes so that every layout (and every malformation) is explicit.
NOP = b'\x01'
EOL = b'\x00'


def o_mss(v=1460):
    return struct.pack('!BBH', 2, 4, v)


def o_sackok():
    return b'\x04\x02'


def o_ws(s=7):
    return bytes([3, 3, s])


def o_ts(tsval, tsecr):
    return struct.pack('!BBII', 8, 10, tsval, tsecr)


def o_sack(*blocks):
    return bytes([5, 2 + 8 * len(blocks)]) + b''.join(struct.pack('!II', *b) for b in blocks)


def syn_opts(tsval, tsecr=0):
    """What Linux sends in a SYN: MSS, SACK-permitted, TS (at option offset 6), NOP, WS."""
    return o_mss() + o_sackok() + o_ts(tsval, tsecr) + NOP + o_ws()


def syn_opts_odd(tsval, tsecr=0):
    """TS at option offset 5: its kind byte, TSval and TSecr at odd offsets."""
    return o_mss() + NOP + o_ts(tsval, tsecr) + o_ws() + NOP + NOP


def est_opts(tsval, tsecr):
    """NOP NOP TS: the 32-byte header of the fast path."""
    return NOP + NOP + o_ts(tsval, tsecr)


def nops_for(opts, tsval, tsecr):
    """The same options with the TS option replaced by 10 NOPs (what strip must produce)."""
    ts = o_ts(tsval, tsecr)
    assert opts.count(ts) == 1
    return opts.replace(ts, NOP * 10)


def tcp(opts=b'', payload=b'', **kw):
    assert len(opts) % 4 == 0 and len(opts) <= 40
    kw.setdefault('window', 64240)
    layer = TCP(dataofs=5 + len(opts) // 4, options=[], **kw)
    if opts or payload:
        layer = layer / Raw(opts + payload)
    return layer


def frame(src, dst, l4, vlans=(), ip_kw=None, v6_ext=(), rev=False):
    """An Ethernet frame; rev: server to client (the MACs swap)."""
    eth = Ether(src=MAC_S if rev else MAC_C, dst=MAC_C if rev else MAC_S)
    pkt = eth
    if len(vlans) == 2:
        pkt = Ether(src=eth.src, dst=eth.dst, type=0x88A8) / Dot1AD(vlan=vlans[0]) / \
            Dot1Q(vlan=vlans[1])
    elif len(vlans) == 1:
        pkt = pkt / Dot1Q(vlan=vlans[0])
    if ':' in src:
        l3 = IPv6(src=src, dst=dst, hlim=64)
        for h in v6_ext:
            l3 = l3 / h
    else:
        kw = dict({'ttl': 64, 'id': 0x1234, 'flags': 'DF'}, **(ip_kw or {}))
        l3 = IP(src=src, dst=dst, **kw)
    return bytes(pkt / l3 / l4)


class Fixture:
    def __init__(self, name, prog, pools=None):
        self.name = name
        self.prog = prog
        self.pools = POOLS if pools is None else pools
        self.sources = []
        self.flows = []
        self.inp = None
        self.out = None
        # XDP_PASS; TC_ACT_UNSPEC: the TC program lets the filters after it run.
        self.verdict = 2 if prog == 'xdp' else -1
        self.stats = {}
        self.wild = None
        self.n_sources = None
        self.n_flows = None
        self.x_sources = []
        self.x_flows = []
        self.xfail = None
        self.identity = False   # a translation that leaves the bytes as they were

    def source(self, addr, **f):
        self.sources.append((addr, f))
        return self

    def flow(self, client, server, cport=CPORT, sport=SPORT, **f):
        self.flows.append(((client, cport, server, sport), f))
        return self

    def expect_source(self, addr, **f):
        self.x_sources.append((addr, f))
        return self

    def expect_flow(self, client, server, cport=CPORT, sport=SPORT, **f):
        self.x_flows.append(((client, cport, server, sport), f))
        return self

    def emit(self, w):
        out = self.inp if self.out is None else self.out
        assert self.stats, self.name
        # Self-check: a fixture changes the bytes exactly when it counts a change.
        changes = {'tsval_rewritten', 'ts_stripped', 'tsecr_translated'} & set(self.stats)
        assert (out != self.inp) == (bool(changes) and not self.identity), self.name
        assert len(out) == len(self.inp), self.name
        w(f'fixture {self.name}')
        w(f'prog {self.prog}')
        for prefix, act in self.pools:
            w(f'pool {prefix} {act}')
        for addr, f in self.sources:
            w(f'source {addr} {fields(f)}'.rstrip())
        for key, f in self.flows:
            w(f'flow {key[0]} {key[1]} {key[2]} {key[3]} {fields(f)}'.rstrip())
        w(f'in {self.inp.hex()}')
        w(f'verdict {self.verdict}')
        w(f'out {out.hex()}')
        if self.xfail:
            w(f'xfail {self.xfail}')
        if self.wild:
            w('wild %d %d %d' % self.wild)
        for name, n in sorted(self.stats.items()):
            w(f'stat {name} {n}')
        n_src = len(self.sources) if self.n_sources is None else self.n_sources
        n_flow = len(self.flows) if self.n_flows is None else self.n_flows
        w(f'sources {n_src}')
        w(f'flows {n_flow}')
        for addr, f in self.x_sources:
            w(f'expect_source {addr} {fields(f)}'.rstrip())
        for key, f in self.x_flows:
            w(f'expect_flow {key[0]} {key[1]} {key[2]} {key[3]} {fields(f)}'.rstrip())
        w('end')


def fields(f):
    parts = []
    for k, v in f.items():
        parts.append(f'{k}={v:#x}' if isinstance(v, int) else f'{k}={v}')
    return ' '.join(parts)


FIXTURES = []


def fixture(name, prog, pools=None):
    fx = Fixture(name, prog, pools)
    FIXTURES.append(fx)
    return fx


def fresh_source(fx, addr, max_fwd=AHEAD, **kw):
    """A source seen 10 s ago whose max_fwd is far ahead: the next SYN gets max_fwd + 1."""
    return fx.source(addr, last='now-10', max_fwd=max_fwd, action=ACT_REWRITE, **kw)


# ---------------------------------------------------------------------------------------------
# XDP ingress: what is not TCP, or not from a pool, passes untouched.

def gen_not_tcp():
    fx = fixture('xdp_udp_v4_untouched', 'xdp')
    fx.inp = frame(CLIENT4, SERVER4, UDP(sport=5353, dport=53) / Raw(b'\x12\x34' + b'q' * 20))
    fx.stats = {'packets': 1, 'not_tcp': 1}

    fx = fixture('xdp_udp_v6_untouched', 'xdp')
    fx.inp = frame(CLIENT6, SERVER6, UDP(sport=5353, dport=53) / Raw(b'q' * 13))
    fx.stats = {'packets': 1, 'not_tcp': 1}

    fx = fixture('xdp_arp_untouched', 'xdp')
    fx.inp = bytes(Ether(src=MAC_C, dst='ff:ff:ff:ff:ff:ff') /
                   ARP(op=1, hwsrc=MAC_C, psrc=CLIENT4, pdst=SERVER4))
    fx.stats = {'packets': 1, 'not_ip': 1}


def gen_outside_pool():
    tsval = 0x11223344
    syn = frame(OUTSIDE4, SERVER4, tcp(syn_opts(tsval), sport=CPORT, dport=SPORT, flags='S',
                                       seq=0x0A0B0C0D))

    fx = fixture('xdp_syn_outside_pool_observed', 'xdp')
    fx.inp = syn
    fx.stats = dict(XDP_SYN, source_new=1)
    fx.n_sources = 1
    fx.expect_source(OUTSIDE4, syns=1, raw_max=tsval, raw='now', last='now', action=ACT_NONE,
                     max_fwd=0, flows=0, backwards=0)

    # The same source sent a SYN with a TSval 5000 ahead 5 s ago: a second clock, a NAT.
    fx = fixture('xdp_syn_outside_pool_nat_suspect', 'xdp')
    fx.source(OUTSIDE4, last='now-5', raw='now-5', raw_max=u32(tsval + 5000), syns=3)
    fx.inp = syn
    fx.stats = dict(XDP_SYN, nat_suspect=1)
    fx.expect_source(OUTSIDE4, syns=4, backwards=1, raw_max=u32(tsval + 5000), raw='now-5',
                     last='now', max_fwd=0, flows=0, action=ACT_NONE)

    # An explicit "none" pool inside a rewrite pool behaves as outside (longest prefix).
    fx = fixture('xdp_syn_pool_action_none', 'xdp', POOLS + [('10.8.0.0/16', 'none')])
    fx.inp = frame('10.8.0.1', SERVER4, tcp(syn_opts(tsval), sport=CPORT, dport=SPORT,
                                             flags='S', seq=1))
    fx.stats = dict(XDP_SYN, source_new=1)
    fx.n_sources = 1
    fx.expect_source('10.8.0.1', syns=1, action=ACT_NONE, max_fwd=0, flows=0)

    # Not a SYN, no flow: nothing to do and nothing observed.
    fx = fixture('xdp_ack_outside_pool_untouched', 'xdp')
    fx.inp = frame(OUTSIDE4, SERVER4, tcp(est_opts(tsval, 0x5555), sport=CPORT, dport=SPORT,
                                          flags='A', seq=2, ack=3))
    fx.stats = dict(XDP_TCP)


# ---------------------------------------------------------------------------------------------
# XDP ingress: SYNs from rewrite pools.

def syn_rewrite(name, client, server, opts_fn=syn_opts, tsval=12345678, tsecr=0, seq=0x01020304,
                **frame_kw):
    """A pool SYN of a fresh source: TSval' = max_fwd + 1, a flow with offset TSval' - TSval.

    max_fwd and fwd_pub hold the unwrapped position; the wire its low 32 bits."""
    t = AHEAD + 1
    fx = fixture(name, 'xdp')
    fresh_source(fx, client)
    fx.inp = frame(client, server, tcp(opts_fn(tsval, tsecr), sport=CPORT, dport=SPORT,
                                       flags='S', seq=seq), **frame_kw)
    fx.out = frame(client, server, tcp(opts_fn(u32(t), tsecr), sport=CPORT, dport=SPORT,
                                       flags='S', seq=seq), **frame_kw)
    fx.stats = dict(XDP_SYN_NEW)
    fx.n_flows = 1
    fx.expect_source(client, max_fwd=t, syns=1, flows=1, action=ACT_REWRITE, raw_max=tsval,
                     raw='now', last='now', backwards=0)
    fx.expect_flow(client, server, offset=u32(t - tsval), syn_seq=seq, syn_raw=tsval,
                   fwd_pub=t, state=FS_SYN, last='now')
    return fx


def gen_pool_syn():
    syn_rewrite('xdp_syn_rewrite_v4', CLIENT4, SERVER4)
    syn_rewrite('xdp_syn_rewrite_v6', CLIENT6, SERVER6)
    syn_rewrite('xdp_syn_rewrite_vlan', CLIENT4, SERVER4, vlans=(100,))
    syn_rewrite('xdp_syn_rewrite_qinq', CLIENT4, SERVER4, vlans=(10, 20))
    syn_rewrite('xdp_syn_rewrite_odd_offset', CLIENT4, SERVER4, opts_fn=syn_opts_odd)
    syn_rewrite('xdp_syn_rewrite_ip_options', CLIENT4, SERVER4,
                ip_kw={'options': [IPOption_Router_Alert()]})
    syn_rewrite('xdp_syn_rewrite_ip6_ext', CLIENT6, SERVER6,
                v6_ext=(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()))
    # A TSval below the offset's complement: TSval' still max_fwd + 1, nothing else moves.
    syn_rewrite('xdp_syn_rewrite_tsval_high', CLIENT4, SERVER4, tsval=0xFFFFFFF0, tsecr=0x77)

    # The previous SYN from this source 5 s ago carried a TSval 1000 ahead: a server with
    # the per-peer check would drop this one; rewritten, it passes (counted as rescued).
    tsval = 500000
    fx = syn_rewrite('xdp_syn_rescued', CLIENT4, SERVER4, tsval=tsval)
    fx.sources = []
    fresh_source(fx, CLIENT4, raw='now-5', raw_max=tsval + 1000, syns=7)
    fx.stats['rescued'] = 1
    fx.x_sources = []
    fx.expect_source(CLIENT4, max_fwd=AHEAD + 1, syns=8, backwards=1, flows=1,
                     raw_max=tsval + 1000, raw='now-5', last='now')

    # Exactly as many extension headers as are walked.
    syn_rewrite('xdp_syn_rewrite_ip6_ext_max', CLIENT6, SERVER6,
                v6_ext=(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrDestOpt(),
                        IPv6ExtHdrDestOpt()))
    # Default routes as pools: every source is in them.
    for name, client, server, pool in (('xdp_syn_pool_default_route_v4', OUTSIDE4, SERVER4,
                                        '0.0.0.0/0'),
                                       ('xdp_syn_pool_default_route_v6', '2001:db8:cccc::1',
                                        SERVER6, '::/0')):
        fx = syn_rewrite(name, client, server)
        fx.pools = [(pool, 'rewrite')]

    # Longest prefix: a strip /16 inside the rewrite /8.
    tsval = 0x0BADCAFE
    fx = fixture('xdp_syn_lpm_longest_prefix', 'xdp', POOLS + [('10.9.0.0/16', 'strip')])
    opts = syn_opts(tsval)
    fx.inp = frame('10.9.1.1', SERVER4, tcp(opts, sport=CPORT, dport=SPORT, flags='S', seq=9))
    fx.out = frame('10.9.1.1', SERVER4, tcp(nops_for(opts, tsval, 0), sport=CPORT, dport=SPORT,
                                             flags='S', seq=9))
    fx.stats = dict(XDP_POOL_SYN, ts_stripped=1, source_new=1)
    fx.n_sources = 1
    fx.expect_source('10.9.1.1', action=ACT_STRIP, syns=1, flows=0, max_fwd=0)

    # A SYN without a timestamp, from a pool: nothing to rewrite, nothing observed.
    fx = fixture('xdp_syn_no_ts_pool', 'xdp')
    fx.inp = frame(CLIENT4, SERVER4, tcp(o_mss() + NOP + o_ws() + o_sackok() + NOP + NOP,
                                         sport=CPORT, dport=SPORT, flags='S', seq=5))
    fx.stats = dict(XDP_SYN, syn_no_ts=1)

    fx = fixture('xdp_syn_no_options_pool', 'xdp')
    fx.inp = frame(CLIENT6, SERVER6, tcp(sport=CPORT, dport=SPORT, flags='S', seq=5))
    fx.stats = dict(XDP_SYN, syn_no_ts=1)

    # A SYN with ECN flags is still a connection request.
    fx = syn_rewrite('xdp_syn_ece_cwr_rewrite', CLIENT4, SERVER4)
    t = u32(AHEAD + 1)
    fx.inp = frame(CLIENT4, SERVER4, tcp(syn_opts(12345678), sport=CPORT, dport=SPORT,
                                         flags='SEC', seq=0x01020304))
    fx.out = frame(CLIENT4, SERVER4, tcp(syn_opts(t), sport=CPORT, dport=SPORT, flags='SEC',
                                         seq=0x01020304))

    # TSval' from the clock, known only at run time: vclock + margin for sources without
    # fresh state (none, or last seen 100 s ago: source_ttl is 75 s, its max_fwd no longer
    # binds), vclock alone for a fresh source whose max_fwd is behind it.
    for name, setup, margin in (('xdp_syn_unknown_source_margin', None, MARGIN_MS),
                                ('xdp_syn_stale_source_margin', 'now-100', MARGIN_MS),
                                ('xdp_syn_fresh_source_clock', 'now-10', CLOCK_LAG_MS)):
        tsval = 777
        fx = fixture(name, 'xdp')
        if setup:
            max_fwd = AHEAD if setup == 'now-100' else BEHIND
            fx.source(CLIENT4, last=setup, max_fwd=max_fwd, action=ACT_REWRITE)
        opts = syn_opts(tsval)
        fx.inp = frame(CLIENT4, SERVER4, tcp(opts, sport=CPORT, dport=SPORT, flags='S', seq=3))
        fx.out = frame(CLIENT4, SERVER4, tcp(syn_opts(0), sport=CPORT, dport=SPORT, flags='S',
                                             seq=3))
        # Ethernet 14 + IPv4 20 + TCP 20 + MSS 4 + SACK-permitted 2 + kind, length.
        fx.wild = (14, 14 + 20 + 20 + 6 + 2, margin)
        fx.stats = dict(XDP_SYN_NEW)
        if not setup:
            fx.stats['source_new'] = 1
        fx.n_sources = 1
        fx.n_flows = 1
        fx.expect_source(CLIENT4, max_fwd='tsv', syns=1, flows=1, last='now')
        fx.expect_flow(CLIENT4, SERVER4, offset=f'tsv-{tsval}', fwd_pub='tsv', syn_seq=3,
                       syn_raw=tsval, state=FS_SYN)


def syn_strip(name, client, server, opts_fn, tsval, tsecr=0):
    opts = opts_fn(tsval, tsecr)
    fx = fixture(name, 'xdp')
    fx.inp = frame(client, server, tcp(opts, sport=CPORT, dport=SPORT, flags='S', seq=11))
    fx.out = frame(client, server, tcp(nops_for(opts, tsval, tsecr), sport=CPORT, dport=SPORT,
                                       flags='S', seq=11))
    fx.stats = dict(XDP_POOL_SYN, ts_stripped=1, source_new=1)
    fx.n_sources = 1
    fx.expect_source(client, action=ACT_STRIP, syns=1, raw_max=tsval, last='now', flows=0,
                     max_fwd=0)
    return fx


def gen_strip():
    syn_strip('xdp_syn_strip_even', STRIP4, SERVER4, syn_opts, 0xDEADBEEF)
    syn_strip('xdp_syn_strip_odd', STRIP4, SERVER4, syn_opts_odd, 0xDEADBEEF, 0x01020304)
    syn_strip('xdp_syn_strip_v6', STRIP6, SERVER6, syn_opts, 0x00C0FFEE)
    syn_strip('xdp_syn_strip_v6_odd', STRIP6, SERVER6, syn_opts_odd, 0x7FFFFFFF)


# ---------------------------------------------------------------------------------------------
# XDP ingress: segments of known flows, SYN retransmits, new connections on a known 4-tuple.

OFFSET = 0x10000000


def est(name, opts_fn, tsval=0x00BC6200, tsecr=0x55, offset=OFFSET, flags='A', state=FS_EST,
        next_state=None, client=CLIENT4, server=SERVER4, payload=b'GET / HTTP/1.0\r\n\r\n',
        pad=b'', expect_tsval=None, fwd_pub=None, vlans=()):
    """A segment of a known flow: TSval' = TSval + offset.

    fwd_pub: the flow's last published position; by default its SYN's, 100 s before this
    segment's TSval' and far behind the clock (nothing to publish). Expected unchanged;
    fixtures that publish override the expectation."""
    fx = fixture(name, 'xdp')
    t = u32(tsval + offset) if expect_tsval is None else expect_tsval
    if fwd_pub is None:
        fwd_pub = pos_behind(t) - 100000
    # A client segment after its SYN: the server's SYN-ACK went by (or it is not this SYN's).
    fx.flow(client, server, offset=offset, syn_seq=100, syn_raw=u32(tsval - 100000),
            fwd_pub=fwd_pub, state=state, last='now-10',
            **({'flags': FF_SYNACK} if state == FS_SYN else {}))
    fx.inp = frame(client, server, tcp(opts_fn(tsval, tsecr), payload, sport=CPORT, dport=SPORT,
                                       flags=flags, seq=101, ack=7001), vlans=vlans) + pad
    fx.out = frame(client, server, tcp(opts_fn(t, tsecr), payload, sport=CPORT, dport=SPORT,
                                       flags=flags, seq=101, ack=7001), vlans=vlans) + pad
    fx.stats = dict(XDP_TCP, tsval_rewritten=1)
    fx.expect_flow(client, server, offset=offset, state=next_state or state, last='now',
                   syn_seq=100, fwd_pub=fwd_pub)
    if state == FS_SYN and next_state == FS_EST:
        # The handshake's ACK moves the flow to the established class.
        fx.stats['flow_confirmed'] = 1
        fx.x_flows[0][1]['class'] = CLASS_EST
    return fx


def gen_established():
    est('xdp_est_fast_path', est_opts)
    est('xdp_est_fast_path_v6', est_opts, client=CLIENT6, server=SERVER6)
    est('xdp_est_handshake_ack', est_opts, state=FS_SYN, next_state=FS_EST, payload=b'')
    est('xdp_est_fin_closing', est_opts, flags='FA', next_state=FS_CLOSING, payload=b'')
    # Not the fast path: SACK blocks make the header longer than 32 bytes.
    est('xdp_est_sack_blocks', lambda v, e: NOP + NOP + o_ts(v, e) + NOP + NOP +
        o_sack((1000, 2000)))
    # Not the fast path: a 32-byte header whose TS option comes first.
    est('xdp_est_ts_first', lambda v, e: o_ts(v, e) + NOP + NOP)
    est('xdp_est_ts_odd', lambda v, e: NOP + o_ts(v, e) + NOP)
    est('xdp_est_ts_eol_pad', lambda v, e: o_ts(v, e) + EOL + EOL)
    # An odd payload length: the checksum pads the last byte.
    est('xdp_est_odd_payload', est_opts, payload=b'abcdefg')
    # Ethernet trailer padding after a short IPv4 packet is not part of the segment.
    est('xdp_est_eth_padding', est_opts, payload=b'', pad=b'\x00' * 6)
    # Fifteen options: still walked to the end.
    est('xdp_est_many_options', lambda v, e: NOP * 14 + o_ts(v, e))
    # The TS option last in a 60-byte header (at offset 50).
    est('xdp_est_ts_at_header_end', lambda v, e: NOP + NOP + o_sack((1, 2), (3, 4), (5, 6)) +
        NOP + NOP + o_ts(v, e))
    est('xdp_est_vlan_odd', lambda v, e: NOP + o_ts(v, e) + NOP, vlans=(7,))
    # TSval' wraps past 2^32.
    est('xdp_tsval_wrap', est_opts, tsval=0xFFFFF000, offset=0x2000)
    # TSval + offset == 2^32: 0 means "no timestamp" to a receiver, it must come out as 1.
    est('xdp_tsval_wrap_zero_is_one', est_opts, tsval=0xFFFF0000, offset=0x10000,
        expect_tsval=1)
    est('xdp_tsval_wrap_zero_is_one_odd', lambda v, e: NOP + o_ts(v, e) + NOP, tsval=0x80000001,
        offset=0x7FFFFFFF, expect_tsval=1)

    # Publishing compares unwrapped positions (the flow's TSval' unwraps against its
    # fwd_pub): a TSval' at or ahead of the clock and above what the flow published goes
    # into max_fwd (when above it), and the flow remembers it.
    def ahead(name, pub, t, max_fwd=AHEAD, client=CLIENT4, server=SERVER4, source=True):
        """A flow that published pub gets a segment whose TSval' is at position t."""
        tsval = 1000
        fx = est(name, est_opts, tsval=tsval, offset=u32(t - tsval), fwd_pub=pub,
                 client=client, server=server)
        publish = t >= VCLOCK and t > pub
        if source:
            fresh_source(fx, client, max_fwd=max_fwd)
            if publish:
                fx.expect_source(client, max_fwd=max(max_fwd, t), last='now', syns=0, flows=0)
            else:
                fx.expect_source(client, max_fwd=max_fwd, last='now-10', syns=0, flows=0)
        else:
            fx.n_sources = 0
        fx.x_flows[0][1]['fwd_pub'] = t if publish else pub
        return fx

    # A client clock faster than 1 kHz, or a flow started with the unknown-source margin.
    ahead('xdp_est_ahead_raises_max_fwd', AHEAD, AHEAD + 500)
    # The flow published this value already: the source is left alone.
    ahead('xdp_est_ahead_already_published', AHEAD + 500, AHEAD + 500, max_fwd=AHEAD + 500)
    # Reordered: ahead of the clock, but below what the flow published.
    ahead('xdp_est_ahead_reordered_no_publish', AHEAD + 500, AHEAD + 400, max_fwd=AHEAD + 500)
    # Ahead and new for the flow, but another flow of the source went higher: the flow
    # records it, max_fwd does not go down (the source's last use is still now).
    ahead('xdp_est_ahead_below_max_fwd', AHEAD, AHEAD + 500, max_fwd=AHEAD + 10000)
    # The source entry is gone (LRU): the flow records it, no source is created.
    ahead('xdp_est_ahead_no_source', AHEAD, AHEAD + 500, source=False)
    # Behind the clock: nothing to publish.
    ahead('xdp_est_behind_keeps_max_fwd', BEHIND - 5000, BEHIND)
    # A microsecond client clock: its positions run more than 2^31 ms ahead of the clock
    # (32-bit serial arithmetic would call them behind). Still ahead: published.
    ahead('xdp_est_usec_clock_far_ahead_publishes', FAR_AHEAD, FAR_AHEAD + 5000,
          max_fwd=FAR_AHEAD)
    ahead('xdp_est_usec_clock_far_ahead_publishes_v6', FAR_AHEAD, FAR_AHEAD + 5000,
          max_fwd=FAR_AHEAD, client=CLIENT6, server=SERVER6)
    # max_fwd is raised by position, not by serial order: 2^31 ms and more above it ...
    ahead('xdp_est_far_ahead_raises_max_fwd', FAR_AHEAD + (1 << 30),
          FAR_AHEAD + (1 << 30) + 5000)
    # ... and never lowered to a value 2^32 ms below it (the same low 32 bits + 500).
    ahead('xdp_est_ahead_below_max_fwd_by_2_32', AHEAD, AHEAD + 500, max_fwd=AHEAD + (1 << 32))
    # And the other way round: more than 2^31 ms behind is still behind.
    ahead('xdp_est_far_behind_no_publish', FAR_BEHIND, FAR_BEHIND + 5000)
    # The wire value wraps past 2^32 between what the flow published and this segment:
    # the position carries into the upper 32 bits.
    ahead('xdp_est_ahead_unwrap_carry', WRAP_AHEAD - 0x1000, WRAP_AHEAD + 0x1000,
          max_fwd=WRAP_AHEAD - 0x1000)

    gen_orphans()
    # A known flow's segment without a timestamp: untouched, the flow not even touched.
    fx = fixture('xdp_est_no_ts_known_flow', 'xdp')
    fx.flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_SYN, last='now-10')
    fx.inp = frame(CLIENT4, SERVER4, tcp(sport=CPORT, dport=SPORT, flags='A', seq=1, ack=1))
    fx.stats = dict(XDP_TCP)
    fx.expect_flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_SYN, last='now-10')


def orphan_out(fx, client, server, tcp_kw, payload=b'data', tsecr=6):
    """An orphan's segment: its TSval goes out 2^30 ms behind the clock (wild), the rest and
    the checksum as they must be; the raw TSval is what the orphan remembers."""
    v6 = ':' in client
    fx.out = frame(client, server, tcp(est_opts(u32(VCLOCK + ORPHAN_BEHIND), tsecr), payload,
                                       **tcp_kw))
    fx.wild = (14, 14 + (40 if v6 else 20) + 24, ORPHAN_BEHIND)
    fx.stats['tsval_rewritten'] = 1


def gen_orphans():
    """docs/DESIGN.md, "Learning a flow's offset": segments of unknown flows."""
    def unknown(name, client, server=SERVER4, flags='A', tsval=5, orphan=True, **kw):
        fx = fixture(name, 'xdp')
        tkw = dict(sport=CPORT, dport=SPORT, flags=flags, seq=1, ack=1)
        fx.inp = frame(client, server, tcp(est_opts(tsval, 6), b'data', **tkw))
        fx.stats = dict(XDP_TCP)
        if orphan:
            # An orphan: its raw TSval remembered, in the unconfirmed class; the segment
            # goes out far behind the clock so that the server drops it and echoes.
            orphan_out(fx, client, server, tkw)
            fx.stats.update(orphan_new=1, unconf_add=1)
            fx.n_flows = 1
            fx.expect_flow(client, server, state=FS_ORPHAN, syn_raw=tsval, offset=0,
                           flags=0, last='now', **{'class': CLASS_UNCONF})
        return fx

    unknown('xdp_orphan_new_v4', CLIENT4, tsval=0x00BC6200)
    unknown('xdp_orphan_new_v6', CLIENT6, SERVER6, tsval=0xFFFFFFF0)
    unknown('xdp_orphan_new_fin', CLIENT4, flags='FA')
    # Only rewrite pools learn: outside every pool, or in a strip pool, nothing is created.
    unknown('xdp_unknown_outside_pool_no_state', OUTSIDE4, orphan=False)
    unknown('xdp_unknown_strip_pool_no_state', STRIP4, orphan=False)
    # A reset ends whatever it belongs to: no orphan for it.
    unknown('xdp_unknown_rst_no_orphan', CLIENT4, flags='RA', orphan=False)
    # A flow of another 4-tuple does not match: this one becomes an orphan beside it.
    fx = unknown('xdp_orphan_beside_other_port', CLIENT4)
    fx.flow(CLIENT4, SERVER4, cport=CPORT + 1, offset=OFFSET, state=FS_EST, last='now-10')
    fx.n_flows = 2
    fx.expect_flow(CLIENT4, SERVER4, cport=CPORT + 1, offset=OFFSET, last='now-10')
    # A retired or expired entry of the key is reused in place (it keeps its map).
    for name, state, last in (('xdp_orphan_over_dead_entry', FS_DEAD, 'now-10'),
                              ('xdp_orphan_over_expired_flow', FS_EST, 'now-90000')):
        fx = unknown(name, CLIENT4, tsval=777)
        fx.flow(CLIENT4, SERVER4, offset=OFFSET, syn_seq=100, state=state, last=last)
        del fx.stats['unconf_add']
        fx.x_flows[0][1]['class'] = CLASS_EST

    # An orphan remembers the largest raw TSval it saw; its segments keep going out far
    # behind the clock until the echo.
    for name, seen, tsval, want in (('xdp_orphan_raw_advances', 1000, 1100, 1100),
                                    ('xdp_orphan_raw_reordered_kept', 1000, 900, 1000),
                                    ('xdp_orphan_raw_serial_wrap', 0xFFFFFF00, 0x10, 0x10)):
        fx = fixture(name, 'xdp')
        fx.flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=seen, last='now-10')
        tkw = dict(sport=CPORT, dport=SPORT, flags='A', seq=1, ack=1)
        fx.inp = frame(CLIENT4, SERVER4, tcp(est_opts(tsval, 6), b'x', **tkw))
        fx.stats = dict(XDP_TCP)
        orphan_out(fx, CLIENT4, SERVER4, tkw, payload=b'x')
        fx.expect_flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=want, offset=0,
                       last='now', **{'class': CLASS_UNCONF})

    # After a SYN whose SYN-ACK never came back, a client segment belongs to another
    # connection on the 4-tuple (the server kept an older one, or the SYN was spoofed):
    # the entry becomes an orphan.
    fx = fixture('xdp_syn_state_without_synack_becomes_orphan', 'xdp')
    fx.flow(CLIENT4, SERVER4, offset=OFFSET, syn_seq=100, syn_raw=4000, state=FS_SYN,
            last='now-10')
    tkw = dict(sport=CPORT, dport=SPORT, flags='A', seq=5000, ack=1)
    fx.inp = frame(CLIENT4, SERVER4, tcp(est_opts(0x00BC6200, 6), b'x', **tkw))
    fx.stats = dict(XDP_TCP, orphan_new=1)
    orphan_out(fx, CLIENT4, SERVER4, tkw, payload=b'x')
    fx.expect_flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=0x00BC6200, offset=0, last='now',
                   **{'class': CLASS_UNCONF})


def gen_flow_endings():
    """Flows ended by segments that carry no timestamp or are not translated."""
    # docs/DESIGN.md, "The rewrite algorithm": FIN or RST, with or without a timestamp, moves
    # the flow to closing. A RST usually carries no timestamp
    # (Linux's tcp_v4_send_reset() never adds one), and the programs look a flow up only
    # for segments with a TS option: the flow stays established.
    fx = fixture('xdp_rst_without_ts_closes_flow', 'xdp')
    fx.flow(CLIENT4, SERVER4, offset=OFFSET, syn_seq=100, state=FS_EST, last='now-10')
    fx.inp = frame(CLIENT4, SERVER4, tcp(sport=CPORT, dport=SPORT, flags='RA', seq=1, ack=1))
    fx.stats = dict(XDP_TCP)
    fx.expect_flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_CLOSING, last='now')

    # A SYN that is not rewritten (its source is in no pool now: the pool was removed while
    # the flow existed) starts a connection whose TSvals are the client's own. The old
    # flow entry on the same 4-tuple must not outlive it: if it stays, the connection's
    # later segments get TSval += the old offset (per-connection PAWS drops them, or the
    # server's clock for the peer jumps) and its SYN-ACK's TSecr -= the old offset (the
    # client drops it: PAWSActive). The entry is retired (state 0), never used again.
    fx = fixture('xdp_syn_outside_pool_drops_stale_flow', 'xdp')
    fx.flow(OUTSIDE4, SERVER4, offset=OFFSET, syn_seq=100, state=FS_CLOSING, last='now-10')
    fx.inp = frame(OUTSIDE4, SERVER4, tcp(syn_opts(0x11223344), sport=CPORT, dport=SPORT,
                                          flags='S', seq=0x0A0B0C0D))
    fx.stats = dict(XDP_SYN, source_new=1)
    fx.n_sources = 1
    fx.n_flows = 1
    fx.expect_flow(OUTSIDE4, SERVER4, offset=OFFSET, state=0, last='now-10')


def gen_syn_again():
    seq, tsval, old_off = 0x55667788, 40000, 0x12345678

    def retransmit(name, pub, src_max_fwd, out_pos, offset, fwd_pub, max_fwd, delta=1000,
                   src_last='now-10', client=CLIENT4, server=SERVER4, state=FS_SYN):
        """A SYN retransmit (same ISN, flow 2 s old in SYN state) carrying TSval + delta.

        The flow's first SYN carried TSval (syn_raw) and went out at position pub (its
        fwd_pub); src_max_fwd: the source's max_fwd (None: no source entry). Expected: the
        retransmit goes out at position out_pos with the flow's offset, fwd_pub and the
        source's max_fwd as given; syn_raw and syn_seq stay the first SYN's."""
        retx = u32(tsval + delta)
        fx = fixture(name, 'xdp')
        if src_max_fwd is not None:
            fx.source(client, last=src_last, max_fwd=src_max_fwd, action=ACT_REWRITE)
        fx.flow(client, server, offset=u32(pub - tsval), syn_seq=seq, syn_raw=tsval,
                fwd_pub=pub, state=state, last='now-2')
        fx.inp = frame(client, server, tcp(syn_opts(retx), sport=CPORT, dport=SPORT, flags='S',
                                           seq=seq))
        fx.out = frame(client, server, tcp(syn_opts(u32(out_pos)), sport=CPORT, dport=SPORT,
                                           flags='S', seq=seq))
        fx.stats = dict(XDP_POOL_SYN, syn_retrans=1, tsval_rewritten=1)
        if src_max_fwd is None:
            fx.stats['source_new'] = 1
            fx.n_sources = 1
        # No new flow: the source's flow count does not move; its last use is now.
        fx.expect_source(client, max_fwd=max_fwd, syns=1, flows=0, raw_max=retx,
                         action=ACT_REWRITE, last='now')
        fx.expect_flow(client, server, offset=offset, syn_seq=seq, syn_raw=tsval,
                       fwd_pub=fwd_pub, state=state, last='now')
        return fx

    # The retransmit's TSval' (its TSval + the flow's offset) is above max_fwd: the offset
    # is kept. Ahead of the clock (the flow's SYN claimed max_fwd + 1 of a source far
    # ahead), so it is published: fwd_pub and max_fwd move to it.
    pub = AHEAD
    retransmit('xdp_syn_retransmit_keeps_offset', pub, AHEAD, pub + 1000,
               offset=u32(pub - tsval), fwd_pub=pub + 1000, max_fwd=pub + 1000)
    retransmit('xdp_syn_retransmit_keeps_offset_v6', pub, AHEAD, pub + 1000,
               offset=u32(pub - tsval), fwd_pub=pub + 1000, max_fwd=pub + 1000,
               client=CLIENT6, server=SERVER6)
    # Behind the clock (the SYN 2 s ago took the clock, a client clock slower than 1 kHz):
    # other segments of the source may have gone out up to the clock unpublished, so the
    # retransmit gets a new claim, the clock (+ its lag), known only at run time.
    pub = VCLOCK - 2000
    fx = retransmit('xdp_syn_retransmit_behind_clock_new_claim', pub, pub, 0,
                    offset=f'tsv-{u32(tsval + 1000)}', fwd_pub='tsv', max_fwd='tsv')
    fx.wild = (14, 14 + 20 + 20 + 6 + 2, CLOCK_LAG_MS)

    # Other SYNs of the source went out above the retransmit's TSval' (max_fwd = AHEAD, the
    # flow's SYN was at AHEAD - 5000): the server may have dropped the first SYN and
    # remembered theirs. A new claim max_fwd + 1 and a new offset for it.
    pub = AHEAD - 5000
    new = AHEAD + 1
    retx = tsval + 1000
    retransmit('xdp_syn_retransmit_overtaken_new_offset', pub, AHEAD, new,
               offset=u32(new - retx), fwd_pub=new, max_fwd=new)
    retransmit('xdp_syn_retransmit_overtaken_new_offset_v6', pub, AHEAD, new,
               offset=u32(new - retx), fwd_pub=new, max_fwd=new, client=CLIENT6,
               server=SERVER6)
    # "Above" is strict: a retransmit repeating its TSval at exactly max_fwd (its own SYN's
    # claim) gets a new claim too.
    retransmit('xdp_syn_retransmit_at_max_fwd_new_offset', AHEAD, AHEAD, AHEAD + 1,
               offset=u32(AHEAD + 1 - tsval), fwd_pub=AHEAD + 1, max_fwd=AHEAD + 1, delta=0)
    # Overtaken by a microsecond client clock behind the same address (max_fwd more than
    # 2^31 ms ahead of the clock and of the retransmit, whose SYN took the clock 5 s ago):
    # still a claim above it.
    retransmit('xdp_syn_retransmit_overtaken_far_ahead', VCLOCK - 5000, FAR_AHEAD,
               FAR_AHEAD + 1, offset=u32(FAR_AHEAD + 1 - retx), fwd_pub=FAR_AHEAD + 1,
               max_fwd=FAR_AHEAD + 1)
    # The claim skips a TSval' of 0: max_fwd's low 32 bits all ones, the claim carries.
    m = WRAP_AHEAD - 1
    retransmit('xdp_syn_retransmit_overtaken_claim_skips_zero', m - 5000, m, m + 2,
               offset=u32(m + 2 - retx), fwd_pub=m + 2, max_fwd=m + 2)
    # Overtaken, with max_fwd behind the clock: the claim is the clock (+ its lag), known
    # only at run time.
    pub = VCLOCK - 5000
    fx = retransmit('xdp_syn_retransmit_overtaken_clock', pub, VCLOCK - 3000, 0,
                    offset=f'tsv-{retx}', fwd_pub='tsv', max_fwd='tsv')
    fx.wild = (14, 14 + 20 + 20 + 6 + 2, CLOCK_LAG_MS)
    # Below max_fwd, but the source's state is not fresh (last used 100 s ago): it binds
    # nothing, the offset is kept. Ahead of the clock: published, but max_fwd never goes
    # down.
    pub = AHEAD - 5000
    retransmit('xdp_syn_retransmit_stale_source_keeps_offset', pub, AHEAD, pub + 1000,
               offset=u32(pub - tsval), fwd_pub=pub + 1000, max_fwd=AHEAD, src_last='now-100')
    # The source entry is gone (LRU): recreated without fresh state. Behind the clock: a
    # new claim at the clock, published into the new entry; ahead of it: the offset is
    # kept and published.
    pub = pos_behind(u32(tsval + old_off))
    fx = retransmit('xdp_syn_retransmit_no_source', pub, None, 0,
                    offset=f'tsv-{u32(tsval + 1000)}', fwd_pub='tsv', max_fwd='tsv')
    fx.wild = (14, 14 + 20 + 20 + 6 + 2, CLOCK_LAG_MS)
    pub = AHEAD
    retransmit('xdp_syn_retransmit_no_source_ahead', pub, None, pub + 1000,
               offset=u32(pub - tsval), fwd_pub=pub + 1000, max_fwd=pub + 1000,
               client=CLIENT6, server=SERVER6)

    # A late duplicate of the SYN after the handshake (same ISN, flow established) is the
    # same connection, whose offset is fixed: kept even behind the clock and below max_fwd,
    # where a flow still in SYN state would get a new claim.
    pub = VCLOCK - 2000
    retransmit('xdp_syn_late_duplicate_keeps_offset', pub, AHEAD, pub + 1000,
               offset=u32(pub - tsval), fwd_pub=pub, max_fwd=AHEAD, state=FS_EST)

    # New ISN on the 4-tuple of a flow still in SYN state: a new connection (NAT port
    # reuse), a new offset from max_fwd.
    for name, state, flow_seq, last in (
            ('xdp_syn_new_isn_new_offset', FS_SYN, seq - 1000, 'now-2'),
            ('xdp_syn_after_close_new_offset', FS_CLOSING, seq - 1000, 'now-2'),
            ('xdp_syn_same_isn_expired_new_offset', FS_SYN, seq, 'now-100')):
        t = AHEAD + 1
        fx = fixture(name, 'xdp')
        fresh_source(fx, CLIENT4)
        fx.flow(CLIENT4, SERVER4, offset=old_off, syn_seq=flow_seq, syn_raw=tsval - 7000,
                fwd_pub=pos_behind(u32(tsval + old_off)), state=state, last=last)
        fx.inp = frame(CLIENT4, SERVER4, tcp(syn_opts(tsval), sport=CPORT, dport=SPORT,
                                             flags='S', seq=seq))
        fx.out = frame(CLIENT4, SERVER4, tcp(syn_opts(u32(t)), sport=CPORT, dport=SPORT,
                                             flags='S', seq=seq))
        fx.stats = dict(XDP_SYN_REUSE)
        fx.expect_source(CLIENT4, max_fwd=t, syns=1, flows=1, last='now')
        fx.expect_flow(CLIENT4, SERVER4, offset=u32(t - tsval), syn_seq=seq, syn_raw=tsval,
                       fwd_pub=t, state=FS_SYN, last='now')

    # New flows whose claim is a position the 32-bit wire cannot tell from the clock.
    def claim(name, max_fwd, t):
        fx = syn_rewrite(name, CLIENT4, SERVER4, tsval=tsval, seq=seq)
        fx.sources = []
        fresh_source(fx, CLIENT4, max_fwd=max_fwd)
        fx.out = frame(CLIENT4, SERVER4, tcp(syn_opts(u32(t)), sport=CPORT, dport=SPORT,
                                             flags='S', seq=seq))
        fx.x_sources[0][1]['max_fwd'] = t
        fx.x_flows[0][1].update(offset=u32(t - tsval), fwd_pub=t)

    # max_fwd more than 2^31 ms ahead (a microsecond client clock): still max_fwd + 1.
    claim('xdp_syn_max_fwd_far_ahead', FAR_AHEAD, FAR_AHEAD + 1)
    # max_fwd + 1 has low 32 bits 0: TSval' 0 means "none", the claim is max_fwd + 2.
    claim('xdp_syn_claim_skips_zero', WRAP_AHEAD - 1, WRAP_AHEAD + 1)


# ---------------------------------------------------------------------------------------------
# Evidence of several clocks, by the server rule it endangers (docs/DESIGN.md, "Telling NATs
# from per-connection clocks"): a SYN behind the last SYN on its own 4-tuple (tuple_back: a
# NAT, the TIME-WAIT rule), behind an earlier SYN of the address on another 4-tuple only
# (backwards: per-connection clocks, the per-peer rule), and the initial-TTL classes.

TTL_64, TTL_128, TTL_255 = 1, 2, 4


def addr16(a):
    """The address as pg_addr holds it: IPv6, or IPv4 mapped as ::ffff:a.b.c.d."""
    import ipaddress
    ip = ipaddress.ip_address(a)
    return ip.packed if ip.version == 6 else b'\0' * 10 + b'\xff\xff' + ip.packed


def tuple_server4(server, sport):
    """The XOR of the server address's 16 bytes and the server port's 2, nibbles folded."""
    x = 0
    for b in addr16(server) + struct.pack('!H', sport):
        x ^= b
    return (x ^ (x >> 4)) & 0xF


def tuple_index(server, cport, sport=SPORT):
    return (cport ^ tuple_server4(server, sport)) & 3


def tuple_slot(server, cport, tsval, sport=SPORT):
    """Client port, 4 bits of the server side, the raw TSval's top 12 bits."""
    return cport << 16 | tuple_server4(server, sport) << 12 | tsval >> 20


def recent(server, cport, tsval, sport=SPORT):
    """The pg_source.recent field a SYN on that 4-tuple fills: {'recentN': slot}."""
    return {f'recent{tuple_index(server, cport, sport)}': tuple_slot(server, cport, tsval,
                                                                     sport)}


def gen_evidence():
    tsval = 0x30000000
    ahead = tsval + (5 << 20)     # the earlier SYN's TSval: 5 units of 2^20 ahead
    other = CPORT + 4             # another client port that falls into the same slot
    assert tuple_index(SERVER4, other) == tuple_index(SERVER4, CPORT)

    def outside(name, src_kw, stats, cport=CPORT, ttl=64, server=SERVER4, **expect):
        fx = fixture(name, 'xdp')
        fx.source(OUTSIDE4 if ':' not in server else '2001:db8:dddd::7', **src_kw)
        client = OUTSIDE4 if ':' not in server else '2001:db8:dddd::7'
        kw = {'ip_kw': {'ttl': ttl}} if ':' not in server else {}
        fx.inp = frame(client, server, tcp(syn_opts(tsval), sport=cport, dport=SPORT,
                                           flags='S', seq=7), **kw)
        fx.stats = dict(XDP_SYN, **stats)
        fx.expect_source(client, **expect)
        return fx

    # The last SYN on this very 4-tuple, 5 s ago, was ahead: several clocks on one 4-tuple,
    # a NAT that reused it. The TIME-WAIT rule rejects this SYN (and the per-peer rule too:
    # raw_max is that SYN's TSval).
    outside('xdp_evidence_tuple_back', dict(last='now-5', raw='now-5', raw_max=ahead, syns=3,
                                            **recent(SERVER4, CPORT, ahead)),
            {'nat_suspect': 1, 'nat_tuple': 1}, syns=4, backwards=1, tuple_back=1,
            raw_max=ahead, raw='now-5', **recent(SERVER4, CPORT, tsval))
    # The SYN ahead was on another 4-tuple (another client port, same slot): a clock per
    # connection, what a single 2026 Linux client does. Only the per-peer rule minds; the
    # slot now holds this 4-tuple.
    outside('xdp_evidence_other_tuple_per_connection',
            dict(last='now-5', raw='now-5', raw_max=ahead, syns=3,
                 **recent(SERVER4, other, ahead)),
            {'nat_suspect': 1}, syns=4, backwards=1, tuple_back=0, raw_max=ahead,
            **recent(SERVER4, CPORT, tsval))
    # Same client port to another server port: another 4-tuple too.
    fx = outside('xdp_evidence_other_server_port', dict(
        last='now-5', raw='now-5', raw_max=ahead, syns=3), {'nat_suspect': 1}, syns=4,
        backwards=1, tuple_back=0)
    s443 = tuple_slot(SERVER4, CPORT, ahead, sport=443)
    assert tuple_slot(SERVER4, CPORT, 0) >> 12 != s443 >> 12
    fx.sources[0][1][f'recent{tuple_index(SERVER4, CPORT, 443)}'] = s443
    if tuple_index(SERVER4, CPORT, 443) != tuple_index(SERVER4, CPORT):
        fx.expect_source(OUTSIDE4, **{f'recent{tuple_index(SERVER4, CPORT, 443)}': s443})
    # The same 4-tuple moving forward (one client's own clock on a reused 4-tuple): nothing.
    outside('xdp_evidence_same_tuple_forward',
            dict(last='now-5', raw='now-5', raw_max=tsval - (3 << 20), syns=3,
                 **recent(SERVER4, CPORT, tsval - (3 << 20))),
            {}, syns=4, backwards=0, tuple_back=0, raw_max=tsval, raw='now',
            **recent(SERVER4, CPORT, tsval))
    # Behind on the 4-tuple by less than the 2^20 the record keeps: not seen (the per-peer
    # test, on full TSvals, still sees it).
    outside('xdp_evidence_tuple_back_below_resolution',
            dict(last='now-5', raw='now-5', raw_max=tsval + 5000, syns=3,
                 **recent(SERVER4, CPORT, tsval + 5000)),
            {'nat_suspect': 1}, syns=4, backwards=1, tuple_back=0)
    # The record is as old as raw_max (61 s: past the servers' 60 s memory): cleared, the
    # SYN is the first one seen again.
    old = {'recent0': 0x11111111, 'recent1': 0x22222222, 'recent2': 0x33333333,
           'recent3': 0x44444444}
    old.update(recent(SERVER4, CPORT, ahead))
    cleared = {'recent0': 0, 'recent1': 0, 'recent2': 0, 'recent3': 0}
    cleared.update(recent(SERVER4, CPORT, tsval))
    outside('xdp_evidence_stale_record_cleared',
            dict(last='now-61', raw='now-61', raw_max=ahead, syns=3, **old),
            {}, syns=4, backwards=0, tuple_back=0, raw_max=tsval, raw='now', **cleared)
    # TTL classes: 64 and then 128 behind one address, two operating systems (heuristic);
    # IPv6 hop limit 255.
    outside('xdp_evidence_ttl_classes', dict(last='now-5', raw='now-5', raw_max=tsval,
                                             syns=1, ttls=TTL_64),
            {}, ttl=120, ttls=TTL_64 | TTL_128, syns=2)
    fx = fixture('xdp_evidence_ttl_v6', 'xdp')
    fx.inp = bytes(Ether(src=MAC_C, dst=MAC_S) /
                   IPv6(src='2001:db8:dddd::7', dst=SERVER6, hlim=255) /
                   tcp(syn_opts(tsval), sport=CPORT, dport=SPORT, flags='S', seq=7))
    fx.stats = dict(XDP_SYN, source_new=1)
    fx.n_sources = 1
    fx.expect_source('2001:db8:dddd::7', syns=1, ttls=TTL_255,
                     **recent(SERVER6, CPORT, tsval))

    # A rewrite pool: the flow entry of the 4-tuple's previous connection (closed 5 s ago,
    # its SYN's raw TSval ahead) knows what the record lost (the slot holds another port).
    # The rewrite rescues the SYN from the TIME-WAIT rule: rescued_tw.
    def reuse(name, state, last, syn_raw, stats, tuple_back):
        t = AHEAD + 1
        fx = fixture(name, 'xdp')
        fresh_source(fx, CLIENT4, raw='now-5', raw_max=tsval, **recent(SERVER4, other, tsval))
        fx.flow(CLIENT4, SERVER4, offset=0x1234, syn_seq=99, syn_raw=syn_raw,
                fwd_pub=pos_behind(u32(syn_raw + 0x1234)), state=state, last=last)
        fx.inp = frame(CLIENT4, SERVER4, tcp(syn_opts(tsval), sport=CPORT, dport=SPORT,
                                             flags='S', seq=7))
        fx.out = frame(CLIENT4, SERVER4, tcp(syn_opts(u32(t)), sport=CPORT, dport=SPORT,
                                             flags='S', seq=7))
        fx.stats = dict(XDP_SYN_REUSE, **stats)
        fx.expect_source(CLIENT4, max_fwd=t, syns=1, flows=1, tuple_back=tuple_back,
                         backwards=0, **recent(SERVER4, CPORT, tsval))
        fx.expect_flow(CLIENT4, SERVER4, offset=u32(t - tsval), syn_seq=7, syn_raw=tsval,
                       fwd_pub=t, state=FS_SYN, last='now')

    reuse('xdp_evidence_pool_flow_reused_behind', FS_CLOSING, 'now-5', u32(tsval + 300),
          {'rescued_tw': 1}, 1)
    # The same, but that connection ended 61 s ago: the server's TIME-WAIT is over.
    reuse('xdp_evidence_pool_flow_reused_after_timewait', FS_CLOSING, 'now-61',
          u32(tsval + 300), {}, 0)
    # Ahead of the previous connection: what the TIME-WAIT rule accepts.
    reuse('xdp_evidence_pool_flow_reused_ahead', FS_CLOSING, 'now-5', u32(tsval - 300), {}, 0)


# ---------------------------------------------------------------------------------------------
# Malformed packets (pool SYNs of a fresh source, so that they would be rewritten if they
# were understood): untouched, counted by reason, the source not even observed.

def raw_tcp_frame(client, server, tcp_bytes, ip_kw=None):
    """IPv4 frame around raw TCP bytes (checksum left as given)."""
    return frame(client, server, Raw(tcp_bytes), ip_kw=dict({'proto': 6}, **(ip_kw or {})))


def malformed(name, reason, inp, prog='xdp'):
    fx = fixture(name, prog)
    fresh_source(fx, CLIENT4)
    fresh_source(fx, CLIENT6)
    fx.inp = inp
    fx.stats = {'packets' if prog == 'xdp' else 'packets_out': 1, reason: 1}
    fx.expect_source(CLIENT4, max_fwd=AHEAD, syns=0, last='now-10')
    fx.expect_source(CLIENT6, max_fwd=AHEAD, syns=0, last='now-10')
    return fx


def pool_syn(opts, client=CLIENT4, server=SERVER4, **kw):
    return frame(client, server, tcp(opts, sport=CPORT, dport=SPORT, flags='S', seq=42), **kw)


def gen_malformed():
    ts = o_ts(1111, 0)
    malformed('xdp_bad_opt_len0', 'opt_len', pool_syn(o_mss() + b'\x05\x00' + ts + NOP * 4))
    malformed('xdp_bad_opt_len1', 'opt_len', pool_syn(o_mss() + b'\x04\x01' + ts + NOP * 4))
    # The last option's length runs past the header (the TS option before it is fine).
    malformed('xdp_bad_opt_overrun', 'opt_overrun',
              pool_syn(o_mss() + ts + NOP * 3 + b'\x03\x08\x07'))
    # A kind byte in the header's last byte: no room for its length byte.
    malformed('xdp_bad_opt_overrun_last_byte', 'opt_overrun',
              pool_syn(o_mss() + ts + NOP * 5 + b'\x02'))
    malformed('xdp_bad_ts_len', 'ts_len',
              pool_syn(o_mss() + b'\x08\x0c' + struct.pack('!III', 1, 2, 3) + NOP * 2))
    malformed('xdp_bad_ts_len_short', 'ts_len',
              pool_syn(o_mss() + b'\x08\x06' + struct.pack('!I', 1) + NOP * 2))
    malformed('xdp_bad_ts_dup', 'ts_dup', pool_syn(NOP + NOP + ts + o_ts(2222, 0) + NOP * 2))
    # Two TS options in a 32-byte header that starts like the fast path.
    malformed('xdp_bad_ts_dup_est', 'ts_dup',
              frame(CLIENT4, SERVER4, tcp(ts + o_ts(3, 4) + NOP * 4, sport=CPORT, dport=SPORT,
                                          flags='A', seq=1, ack=1)))
    # More options than any real stack sends: 30 NOPs before the TS option.
    malformed('xdp_bad_opt_cap', 'opt_cap', pool_syn(NOP * 30 + ts))
    malformed('xdp_bad_frag_v4_first', 'fragment',
              pool_syn(syn_opts(1111), ip_kw={'flags': 'MF'}))
    malformed('xdp_bad_frag_v4_later', 'fragment',
              raw_tcp_frame(CLIENT4, SERVER4, b'\x00' * 40, ip_kw={'frag': 100}))
    malformed('xdp_bad_frag_v6', 'fragment',
              pool_syn(syn_opts(1111), client=CLIENT6, server=SERVER6,
                       v6_ext=(IPv6ExtHdrFragment(m=1, id=7),)))
    malformed('xdp_bad_frag_v6_after_hbh', 'fragment',
              pool_syn(syn_opts(1111), client=CLIENT6, server=SERVER6,
                       v6_ext=(IPv6ExtHdrHopByHop(), IPv6ExtHdrFragment(m=1, id=7))))
    # Extension headers beyond what is walked.
    malformed('xdp_bad_ip6_ext_chain', 'ip6_ext',
              pool_syn(syn_opts(1111), client=CLIENT6, server=SERVER6,
                       v6_ext=(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrDestOpt(),
                               IPv6ExtHdrDestOpt(), IPv6ExtHdrDestOpt())))
    # Truncated TCP header: 12 bytes of TCP in the IP packet.
    syn = tcp(syn_opts(1111), sport=CPORT, dport=SPORT, flags='S', seq=42)
    malformed('xdp_bad_tcp_truncated', 'bad_tcp', raw_tcp_frame(CLIENT4, SERVER4,
                                                                bytes(syn)[:12]))
    hdr = bytearray(bytes(tcp(sport=CPORT, dport=SPORT, flags='S', seq=42)))
    hdr[12] = 4 << 4
    malformed('xdp_bad_tcp_doff_small', 'bad_tcp', raw_tcp_frame(CLIENT4, SERVER4, bytes(hdr)))
    hdr = bytearray(bytes(syn))
    hdr[12] = 15 << 4  # 60 bytes claimed, 40 in the packet
    malformed('xdp_bad_tcp_doff_large', 'bad_tcp', raw_tcp_frame(CLIENT4, SERVER4, bytes(hdr)))
    good = pool_syn(syn_opts(1111))
    # IPv4 total length beyond the frame.
    b = bytearray(good)
    b[16:18] = struct.pack('!H', len(good) - 14 + 8)
    malformed('xdp_bad_ip_total_length', 'bad_ip', bytes(b))
    b = bytearray(good)
    b[14] = 0x44  # IHL 4
    malformed('xdp_bad_ip_ihl', 'bad_ip', bytes(b))
    b = bytearray(pool_syn(syn_opts(1111), client=CLIENT6, server=SERVER6))
    b[18:20] = struct.pack('!H', len(b) - 14 - 40 + 4)  # payload length beyond the frame
    malformed('xdp_bad_ip6_payload_length', 'bad_ip', bytes(b))
    # A VLAN ethertype and no room for the tag.
    malformed('xdp_bad_l2_vlan', 'bad_l2', bytes.fromhex('020000000002020000000001810000'))
    # Truncated IPv4 header.
    malformed('xdp_bad_ip_truncated', 'bad_ip', good[:14 + 12])


# ---------------------------------------------------------------------------------------------
# TC egress: server-to-client TSecrs translated back.

def tc(name, opts_fn, tsval=0x00ABCDEF, tsecr=0x20000000, offset=OFFSET, flags='A',
       state=FS_EST, next_state=None, client=CLIENT4, server=SERVER4, payload=b'HTTP/1.0 200',
       vlans=(), flow=True, cport=CPORT, v6_ext=(), syn_raw=None, expect_tsecr=None):
    """A server-to-client segment: TSecr' = TSecr - offset.

    syn_raw: the TSval of the client's first SYN. In SYN state it is the floor of the
    translated TSecr (tc_clamp below); by default a SYN-state flow's is 1000 below the
    translation (the segment echoes a later SYN), an established flow's 1000 above it
    (the floor must not apply there)."""
    fx = fixture(name, 'tc')
    # Translated only on the flow's own 4-tuple, and never a TSecr of 0 (nothing echoed).
    translated = flow and tsecr != 0 and cport == CPORT
    e = u32(tsecr - offset) if translated else tsecr
    if syn_raw is None:
        syn_raw = u32(e - 1000) if state == FS_SYN else u32(e + 1000)
    if translated and expect_tsecr is not None:
        e = expect_tsecr
    if flow:
        fx.flow(client, server, cport=cport, offset=offset, syn_seq=100, syn_raw=syn_raw,
                state=state, last='now-10')

    def mk(v):
        return frame(server, client, tcp(opts_fn(tsval, v), payload, sport=SPORT, dport=CPORT,
                                         flags=flags, seq=7000, ack=101), vlans=vlans,
                     v6_ext=v6_ext, rev=True)

    fx.inp = mk(tsecr)
    fx.out = mk(e)
    fx.stats = dict(TC_TCP, tsecr_translated=1) if translated else dict(TC_TCP)
    if tsecr != 0 and not translated:
        fx.stats['echo_unmatched'] = 1
    if flow:
        fx.expect_flow(client, server, cport=cport, offset=offset, syn_raw=syn_raw,
                       state=(next_state or state) if translated else state,
                       last='now' if translated else 'now-10')
        if state == FS_SYN:
            # The server's SYN-ACK for the SYN: the client's next segment completes it.
            synack = translated and 'S' in flags and 'A' in flags
            fx.x_flows[-1][1]['flags'] = FF_SYNACK if synack else 0
    return fx


def gen_adopt():
    """docs/DESIGN.md, "Learning a flow's offset": the server's echo teaches an orphan."""
    def adopt(name, raw, echo, client=CLIENT4, server=SERVER4, src=None, src_after=None,
              flags='A'):
        """An orphan whose client sent raw at most; the server echoes echo (ts_recent).

        offset = echo - raw (mod 2^32), whichever comes first: the connection stays on the
        line of its ts_recent."""
        fx = fixture(name, 'tc')
        fx.flow(client, server, state=FS_ORPHAN, syn_raw=raw, last='now-10')
        if src is not None:
            fresh_source(fx, client, max_fwd=src)

        def mk(v):
            return frame(server, client, tcp(est_opts(0x00ABCDEF, v), b'ok', sport=SPORT,
                                             dport=CPORT, flags=flags, seq=7000, ack=101),
                         rev=True)
        fx.inp = mk(echo)
        # That very echo goes back translated: the client's own latest TSval.
        fx.out = mk(raw)
        fx.stats = dict(TC_TCP, tsecr_translated=1, flow_adopted=1, flow_confirmed=1)
        pos = pos_near(echo, VCLOCK)
        fx.expect_flow(client, server, state=FS_EST, offset=u32(echo - raw), flags=FF_ADOPTED,
                       fwd_pub=pos, syn_raw=raw, last='now', **{'class': CLASS_EST})
        if src_after is not None:
            fx.expect_source(client, max_fwd=src_after, last='now')
        return fx

    # A flow pawsguard translated before a restart: the echo is the old TSval' (behind
    # the clock here), so nothing is published and no source is made.
    echo = u32(BEHIND)
    fx = adopt('tc_adopt_orphan', raw=u32(echo - 0x00BC6200), echo=echo)
    fx.n_sources = 0
    fx = adopt('tc_adopt_orphan_v6', raw=u32(echo - 0x00BC6200), echo=echo, client=CLIENT6,
               server=SERVER6)
    fx.n_sources = 0
    # The offset wraps mod 2^32 (raw numerically above the echo, serially before it).
    fx = adopt('tc_adopt_offset_wraps', raw=u32(echo - 0x100), echo=echo)
    fx.n_sources = 0
    # A connection never translated (opened before attach): the echo is the client's own
    # TSval, here an older segment's, 300 before the latest raw: offset -300 (mod 2^32).
    fx = adopt('tc_adopt_never_translated', raw=u32(echo + 300), echo=echo)
    fx.n_sources = 0
    # Adopted from a FIN: established, then closing.
    fx = adopt('tc_adopt_from_fin', raw=u32(echo - 500), echo=echo, flags='FA')
    fx.x_flows[0][1]['state'] = FS_CLOSING
    fx.n_sources = 0
    # Ahead of the clock (a flow a previous run started with the unknown-source margin):
    # published into max_fwd, the source created if absent and marked: its next SYN still
    # gets the margin (PG_SF_ADOPTED).
    ahead = VCLOCK + (1 << 20)
    fx = adopt('tc_adopt_ahead_publishes_new_source', raw=u32(ahead - 1000), echo=u32(ahead),
               src_after=ahead)
    fx.x_sources[0][1]['flags'] = SF_ADOPTED
    fx.stats['source_new'] = 1
    fx.n_sources = 1
    # A source whose state is fresh (a SYN of it was seen here) is not marked.
    fx = adopt('tc_adopt_ahead_raises_max_fwd', raw=u32(ahead - 1000), echo=u32(ahead),
               src=VCLOCK + 5000, src_after=ahead)
    fx.x_sources[0][1]['flags'] = 0
    # Further ahead than PG_ADOPT_LEAD_MAX_MS (2^24 ms): max_fwd goes no higher than the
    # clock + 2^24, so a source already above that keeps its value (unbounded, it would
    # jump to the echo's position, 2^30 ahead).
    cap_above = VCLOCK + (1 << 24) + (1 << 23)
    far = u32(VCLOCK + (1 << 30))
    adopt('tc_adopt_far_ahead_lead_bounded', raw=u32(far - 1000), echo=far, src=cap_above,
          src_after=cap_above)
    # TSecr 0 echoes nothing: the orphan waits.
    fx = fixture('tc_orphan_tsecr_zero_waits', 'tc')
    fx.flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=1000, last='now-10')
    fx.inp = frame(SERVER4, CLIENT4, tcp(est_opts(0x00ABCDEF, 0), sport=SPORT, dport=CPORT,
                                         flags='A', seq=7000, ack=101), rev=True)
    fx.stats = dict(TC_TCP)
    fx.expect_flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=1000, last='now-10',
                   **{'class': CLASS_UNCONF})


def gen_adopted_segments():
    """Client segments of an adopted flow: translated; published with the lead bound."""
    def adopted(name, t, max_fwd, want_max_fwd):
        """A segment of an adopted flow whose TSval' is at position t, ahead of the clock."""
        tsval = 1000
        fx = fixture(name, 'xdp')
        fx.flow(CLIENT4, SERVER4, offset=u32(t - tsval), state=FS_EST, flags=FF_ADOPTED,
                fwd_pub=t - 10, last='now-10')
        fresh_source(fx, CLIENT4, max_fwd=max_fwd)
        tkw = dict(sport=CPORT, dport=SPORT, flags='A', seq=1, ack=1)
        fx.inp = frame(CLIENT4, SERVER4, tcp(est_opts(tsval, 6), b'x', **tkw))
        fx.out = frame(CLIENT4, SERVER4, tcp(est_opts(u32(t), 6), b'x', **tkw))
        fx.stats = dict(XDP_TCP, tsval_rewritten=1)
        fx.expect_flow(CLIENT4, SERVER4, fwd_pub=t, state=FS_EST, last='now')
        fx.expect_source(CLIENT4, max_fwd=want_max_fwd, last='now')

    # Within the bound: published as for any flow.
    adopted('xdp_adopted_ahead_publishes', VCLOCK + (1 << 20), VCLOCK + 5000, VCLOCK + (1 << 20))
    # Beyond it: the flow records its position, max_fwd does not follow past the bound.
    cap_above = VCLOCK + (1 << 24) + (1 << 23)
    adopted('xdp_adopted_far_ahead_lead_bounded', VCLOCK + (1 << 30), cap_above, cap_above)
    # Behind the raw TSval the offset was learned against: that value was not the client's
    # (spoofed into the orphan) or was reordered. Learned again: an orphan, untouched.
    fx = fixture('xdp_adopted_behind_learned_raw_relearns', 'xdp')
    fx.flow(CLIENT4, SERVER4, offset=0x5000, state=FS_EST, flags=FF_ADOPTED, syn_raw=0x70000000,
            fwd_pub=pos_behind(0x70005000), last='now-10')
    tkw = dict(sport=CPORT, dport=SPORT, flags='A', seq=1, ack=1)
    fx.inp = frame(CLIENT4, SERVER4, tcp(est_opts(0x00BC6200, 6), b'x', **tkw))
    fx.stats = dict(XDP_TCP, orphan_new=1)
    orphan_out(fx, CLIENT4, SERVER4, tkw, payload=b'x')
    fx.expect_flow(CLIENT4, SERVER4, state=FS_ORPHAN, syn_raw=0x00BC6200, offset=0, flags=0,
                   last='now', **{'class': CLASS_EST})
    # At or after it: translated.
    fx = fixture('xdp_adopted_after_learned_raw_translated', 'xdp')
    fx.flow(CLIENT4, SERVER4, offset=0x5000, state=FS_EST, flags=FF_ADOPTED, syn_raw=0x00BC6200,
            fwd_pub=pos_behind(0x00BC6200 + 0x5000), last='now-10')
    fx.inp = frame(CLIENT4, SERVER4, tcp(est_opts(0x00BC6200, 6), b'x', sport=CPORT, dport=SPORT,
                                         flags='A', seq=1, ack=1))
    fx.out = frame(CLIENT4, SERVER4, tcp(est_opts(0x00BC6200 + 0x5000, 6), b'x', sport=CPORT,
                                         dport=SPORT, flags='A', seq=1, ack=1))
    fx.stats = dict(XDP_TCP, tsval_rewritten=1)
    fx.expect_flow(CLIENT4, SERVER4, state=FS_EST, offset=0x5000, flags=FF_ADOPTED, last='now')
    # A flow pawsguard opened itself is not bounded (a microsecond clock runs far ahead):
    # see xdp_est_usec_clock_far_ahead_publishes.


def tc_clamp():
    """Before the handshake completes, a retransmitted SYN may have got a new, larger offset
    (its TSval' was overtaken by other SYNs of the source) while the server answers the
    first SYN: the SYN-ACK echoes the first SYN's TSval' = raw + old offset, and TSecr -
    the new offset falls below raw, which the client drops (Linux PAWSActive: a SYN-ACK's
    TSecr must not be before its first SYN's TSval). In SYN state the translation is
    never before syn_raw (serial arithmetic); once established it is plain."""
    raw, old_off, new_off = 40000, 0x3FE00000, 0x3FE00000 + 6000
    echo = u32(raw + old_off)
    for sfx, opts_fn in (('', syn_opts), ('_odd_offset', syn_opts_odd)):
        tc('tc_synack_older_syn_clamped' + sfx, opts_fn, flags='SA', state=FS_SYN, payload=b'',
           tsecr=echo, offset=new_off, syn_raw=raw, expect_tsecr=raw)
    tc('tc_synack_older_syn_clamped_v6', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=echo, offset=new_off, syn_raw=raw, expect_tsecr=raw, client=CLIENT6,
       server=SERVER6)
    # Any server segment in SYN state (a server ACK does not complete the handshake).
    tc('tc_ack_syn_state_clamped', est_opts, state=FS_SYN, tsecr=echo, offset=new_off,
       syn_raw=raw, expect_tsecr=raw)
    # The SYN-ACK of the retransmit itself: at or after raw, untouched by the floor.
    tc('tc_synack_new_syn_not_clamped', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=u32(raw + 1000 + new_off), offset=new_off, syn_raw=raw)
    # Boundaries: one below the floor is clamped, one above is not.
    tc('tc_synack_clamp_one_below', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=u32(raw - 1 + new_off), offset=new_off, syn_raw=raw, expect_tsecr=raw)
    tc('tc_synack_clamp_one_above', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=u32(raw + 1 + new_off), offset=new_off, syn_raw=raw)
    # Serial, not numeric: numerically above but before the floor (across the wrap) ...
    tc('tc_synack_clamp_serial_wrap', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=u32(0xFFFFFF00 + new_off), offset=new_off, syn_raw=0x10, expect_tsecr=0x10)
    # ... and numerically below but after it.
    tc('tc_synack_no_clamp_serial_wrap', syn_opts, flags='SA', state=FS_SYN, payload=b'',
       tsecr=u32(0x10 + new_off), offset=new_off, syn_raw=0xFFFFFF00)
    # Established or closing: the same older echo is translated plainly.
    tc('tc_est_older_offset_not_clamped', est_opts, state=FS_EST, tsecr=echo, offset=new_off,
       syn_raw=raw)
    tc('tc_closing_older_offset_not_clamped', est_opts, state=FS_CLOSING, tsecr=echo,
       offset=new_off, syn_raw=raw)


def gen_tc():
    tc('tc_ack_tsecr_translated', est_opts)
    tc('tc_synack_translated', syn_opts, flags='SA', state=FS_SYN, payload=b'')
    tc('tc_synack_odd_offset', syn_opts_odd, flags='SA', state=FS_SYN, payload=b'')
    tc('tc_ts_odd_offset', lambda v, e: NOP + o_ts(v, e) + NOP)
    tc('tc_ts_odd_offset_carry', lambda v, e: NOP + o_ts(v, e) + NOP, tsecr=0xFFFF00FF,
       offset=0x00FF0100, payload=b'\xff' * 9)
    tc('tc_sack_blocks', lambda v, e: NOP + NOP + o_ts(v, e) + NOP + NOP + o_sack((5, 9)))
    tc('tc_ts_first', lambda v, e: o_ts(v, e) + NOP + NOP)
    tc('tc_v6', est_opts, client=CLIENT6, server=SERVER6)
    tc('tc_v6_odd_offset', lambda v, e: NOP + o_ts(v, e) + NOP, client=CLIENT6, server=SERVER6)
    tc('tc_vlan', est_opts, vlans=(100,))
    tc('tc_qinq_odd_offset', lambda v, e: NOP + o_ts(v, e) + NOP, vlans=(10, 20))
    tc('tc_v6_ext', est_opts, client=CLIENT6, server=SERVER6,
       v6_ext=(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()))
    tc('tc_ts_at_header_end', lambda v, e: NOP + NOP + o_sack((1, 2), (3, 4), (5, 6)) + NOP +
       NOP + o_ts(v, e))
    tc('tc_many_options_odd', lambda v, e: NOP * 13 + o_ts(v, e) + NOP)
    tc('tc_fin_closing', est_opts, flags='FA', next_state=FS_CLOSING, payload=b'')
    tc('tc_rst_closing', est_opts, flags='RA', next_state=FS_CLOSING, payload=b'')
    # A server ACK does not move a flow in SYN state to established (only the client's does).
    tc('tc_ack_keeps_syn_state', est_opts, state=FS_SYN)
    tc('tc_tsecr_wrap', est_opts, tsecr=0x100, offset=0x1000)
    tc_clamp()
    tc('tc_tsecr_zero_untouched', est_opts, tsecr=0)
    tc('tc_synack_tsecr_zero_untouched', syn_opts, tsecr=0, flags='SA', state=FS_SYN,
       payload=b'')
    tc('tc_no_flow_untouched', est_opts, flow=False)
    tc('tc_other_port_untouched', est_opts, cport=CPORT + 1)
    fx = tc('tc_wrong_direction_untouched', est_opts, flow=False)
    # A client-to-server segment of a known flow: TC egress keys it the other way round.
    fx.flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_EST, last='now-10')
    fx.inp = fx.out = frame(CLIENT4, SERVER4, tcp(est_opts(1, 2), sport=CPORT, dport=SPORT,
                                                  flags='A', seq=1, ack=1))
    fx.expect_flow(CLIENT4, SERVER4, offset=OFFSET, last='now-10')

    # Fail open on what is not understood.
    fx = fixture('tc_udp_untouched', 'tc')
    fx.inp = frame(SERVER4, CLIENT4, UDP(sport=53, dport=5353) / Raw(b'r' * 30), rev=True)
    fx.stats = dict(TC_TCP, not_tcp=1)
    fx = fixture('tc_arp_untouched', 'tc')
    fx.inp = bytes(Ether(src=MAC_S, dst=MAC_C) / ARP(op=2, hwsrc=MAC_S, psrc=SERVER4,
                                                     hwdst=MAC_C, pdst=CLIENT4))
    fx.stats = dict(TC_TCP, not_ip=1)

    def synack(opts, **kw):
        return frame(SERVER4, CLIENT4, tcp(opts, sport=SPORT, dport=CPORT, flags='SA', seq=9,
                                           ack=43), rev=True, **kw)

    def bad(name, reason, inp):
        fx = fixture(name, 'tc')
        fx.flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_SYN, last='now-10')
        fx.inp = inp
        fx.stats = dict(TC_TCP, **{reason: 1})
        fx.expect_flow(CLIENT4, SERVER4, offset=OFFSET, state=FS_SYN, last='now-10')

    ts = o_ts(5, 0x20000000)
    bad('tc_bad_opt_len0', 'opt_len', synack(o_mss() + b'\x05\x00' + ts + NOP * 4))
    bad('tc_bad_opt_overrun', 'opt_overrun', synack(o_mss() + ts + NOP * 3 + b'\x03\x08\x07'))
    bad('tc_bad_ts_len', 'ts_len',
        synack(o_mss() + b'\x08\x0c' + struct.pack('!III', 1, 2, 3) + NOP * 2))
    bad('tc_bad_ts_dup', 'ts_dup', synack(NOP + NOP + ts + ts + NOP * 2))
    bad('tc_bad_frag_v4', 'fragment', synack(NOP + NOP + ts, ip_kw={'flags': 'MF'}))
    fx = fixture('tc_bad_frag_v6', 'tc')
    fx.flow(CLIENT6, SERVER6, offset=OFFSET, state=FS_SYN, last='now-10')
    fx.inp = frame(SERVER6, CLIENT6, tcp(NOP + NOP + ts, sport=SPORT, dport=CPORT, flags='SA',
                                         seq=9, ack=43),
                   v6_ext=(IPv6ExtHdrFragment(m=1, id=9),), rev=True)
    fx.stats = dict(TC_TCP, fragment=1)
    hdr = bytearray(bytes(tcp(NOP + NOP + ts, sport=SPORT, dport=CPORT, flags='SA', seq=9,
                              ack=43)))
    bad('tc_bad_tcp_truncated', 'bad_tcp',
        frame(SERVER4, CLIENT4, Raw(bytes(hdr[:16])), ip_kw={'proto': 6}, rev=True))


def main():
    gen_not_tcp()
    gen_outside_pool()
    gen_pool_syn()
    gen_strip()
    gen_established()
    gen_syn_again()
    gen_flow_endings()
    gen_malformed()
    gen_tc()
    gen_adopt()
    gen_adopted_segments()
    gen_evidence()
    names = [fx.name for fx in FIXTURES]
    assert len(names) == len(set(names)), 'duplicate fixture names'
    lines = ['# generated by tests/bpf/gen_fixtures.py: do not edit', f'vclock {VCLOCK}']
    for fx in FIXTURES:
        fx.emit(lines.append)
    with open(sys.argv[1], 'w', encoding='ascii') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
