#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Input pcaps for the pawsguard-dpdk tests and benchmark (scapy).

  gen_pcap.py fixture DIR [B] DIR/fixture0_c.pcap and DIR/fixture0_s.pcap (both directions,
                              the servers' SYN-ACKs included), DIR/manifest.json (what
                              check_pcap.py must find for each frame, the pools to run with,
                              the counters to expect); DIR/in.pcap (the client side alone)
                              and DIR/empty.pcap (no frames) for runs that need no answers
  gen_pcap.py evict DIR       DIR/evict.pcap: 200 pool flows from 40 sources (a SYN and a
                              segment each), for a run with tables too small to hold them;
                              DIR/evict.json (its manifest) and DIR/empty.pcap
  gen_pcap.py learn DIR [B]   both directions (DIR/learn_c.pcap, DIR/learn_s.pcap) and
                              DIR/manifest.json: orphans, adoption from the server's echo,
                              a connection never translated before, jumbo frames
  gen_pcap.py classes DIR [B] eviction classes: established flows in a table of 8 survive a
                              burst of 60 SYNs; with no unconfirmed entry left the least
                              recently used established flow goes, and is learned again
  gen_pcap.py state DIR [B]   two runs: the first leaves flows (handshake, adopted, orphan)
                              and sources in --state FILE, the second continues them
  gen_pcap.py bench FILE [N]  a mix of N frames (default 1024) for tests/bench/dpdk.sh:
                              pool SYNs, pool established segments, non-pool TCP, UDP; and
                              FILE_srv.pcap: the servers' SYN-ACKs for the pool flows

Manifest: "runs" (one appliance run each: input pcaps per side, output pcap names, the
appliance's arguments, the counters to expect), "frames" (every input frame in the order the
appliance handles them: "run", "side" c (client to server) or s (server to client), "i" its
index in that run's pcap of that side, "kind").

Two directions in order: net_pcap returns a full burst when the file holds one, and the
worker polls the client port, then the server port, each iteration (one RX queue per pcap:
with more workers the first receives everything and hands frames over in order). So the
frames go in steps: a step's client frames, then its server frames, each side padded with
ARP frames to whole bursts of B (PG_BURST of dataplane/pg_dpdk.h); a step's server frames
are handled after all its client frames, the next step's client frames after those.

Kinds, per input frame:
  same         forwarded byte-identical (ARP, UDP, ICMPv6, non-pool TCP, malformed options,
               fragments, pool SYN without timestamps, RSTs of unknown flows, strip sources'
               non-SYN segments)
  syn          pool rewrite SYN opening a flow: TSval rewritten, the offset measured here
               holds for the flow ("fresh": first SYN of its source in the run; "any_order":
               not necessarily above its source's earlier TSvals, whose state may be evicted)
  syn_retrans  same ISN again: the flow's offset
  seg          later client segment of the flow: TSval + the flow's offset, nothing else
  strip        strip pool SYN: the 10 bytes of the TS option become 10 NOPs
  tsval        client segment: exactly the input with TSval "tsval" (an offset learned from
               an echo, computed here from the rules)
  orphan       client segment of an orphan (a rewrite pool's segment without a live flow,
               or on a SYN entry that saw no SYN-ACK, or an adopted flow learning again):
               exactly the input with TSval vclock - 2^30 (PG_ORPHAN_BEHIND_MS, never 0) at
               the time it went through, within the run's time window
  tsecr        server segment: exactly the input with TSecr "tsecr"
  echo         server segment of a SYN flow: TSecr - the flow's offset; with "floor" (the
               flow's SYN TSval, SYN state) never below it in serial order
A syn with "lead" L: its TSval' is L ms ahead of the clock (within the run's time window):
the source's max_fwd, bounded for adopted flows (PG_ADOPT_LEAD_MAX_MS).
"""
import time
import json
import os
import struct
import sys

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, IP, IPOption_Router_Alert,
                       IPv6, Raw, TCP, UDP, wrpcap)

NAT_MAC = "02:00:00:00:00:01"
SRV_MAC = "02:00:00:00:00:02"
SRV4 = "192.0.2.10"
SRV6 = "2001:db8:ff::10"
POOLS = [("203.0.113.0/24", "rewrite"), ("2001:db8:100::/48", "rewrite"),
         ("198.51.100.0/24", "strip"), ("2001:db8:200::/48", "strip")]


def l2(vlan=None):
    e = Ether(src=NAT_MAC, dst=SRV_MAC)
    if vlan is None:
        return e
    if isinstance(vlan, tuple):  # QinQ: 802.1ad outer, 802.1Q inner
        return e / Dot1AD(vlan=vlan[0]) / Dot1Q(vlan=vlan[1])
    return e / Dot1Q(vlan=vlan)


def l3(src, dst, ip_opts=False):
    if ":" in src:
        return IPv6(src=src, dst=dst, hlim=64)
    if ip_opts:
        return IP(src=src, dst=dst, ttl=64, id=7, options=[IPOption_Router_Alert()])
    return IP(src=src, dst=dst, ttl=64, id=7)


def opts(style, tsval, tsecr):
    ts = ("Timestamp", (tsval, tsecr))
    if style == "syn":  # what Linux sends: MSS, SACK permitted, TS, NOP, window scale
        return [("MSS", 1460), ("SAckOK", b""), ts, ("NOP", None), ("WScale", 7)]
    if style == "est":  # the 32-byte header of nearly every established segment
        return [("NOP", None), ("NOP", None), ts]
    if style == "odd":  # TS at an odd offset: the checksum folds its bytes swapped
        return [("NOP", None), ts, ("NOP", None)]
    if style == "sack":
        return [("NOP", None), ("NOP", None), ts, ("NOP", None), ("NOP", None),
                ("SAck", (1000, 2000))]
    if style == "nots":
        return [("MSS", 1460), ("NOP", None), ("WScale", 7)]
    raise ValueError(style)


def tcp(src, dst, sport, dport, flags, seq, ack=0, tsval=0, tsecr=0, style="est", payload=b"",
        vlan=None, ip_opts=False):
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=502,
            options=opts(style, tsval, tsecr))
    p = l2(vlan) / l3(src, dst, ip_opts) / t
    if payload:
        p = p / Raw(payload)
    return p


def raw_opts_tcp(src, dst, sport, dport, flags, seq, optbytes, ack=0, payload=b""):
    """A TCP header whose option bytes are given as they are (malformed on purpose)."""
    assert len(optbytes) % 4 == 0
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=502,
            dataofs=5 + len(optbytes) // 4)
    # The option bytes ride as the segment's first bytes; dataofs makes them the header.
    return l2() / l3(src, dst) / t / Raw(optbytes + payload)


class Fixture:
    """The fixture's frames in steps (see the top), and flat: DIR/in.pcap keeps the client
    side alone, without the server's SYN-ACKs, for tests that only need traffic to list."""

    def __init__(self, burst):
        self.st = Steps(0, burst)
        self.flat = []

    def add(self, pkt, kind, flow=None, fresh=False, bump=()):
        attrs = {}
        if flow:
            attrs["flow"] = flow
        if fresh:
            attrs["fresh"] = True
        bump = tuple(bump)
        if kind in ("syn", "syn_retrans", "seg", "orphan"):
            bump += ("tsval_rewritten",)
        elif kind == "strip":
            bump += ("ts_stripped",)
        self.st.c(pkt, kind, bump, **attrs)
        self.flat.append(pkt)

    def synack(self, flow, src, dst, sport, dport, syn_tsval, isn, vlan=None):
        """The server's SYN-ACK of a SYN flow (it echoes some TSval'; no TSecr below the
        SYN's TSval goes back, pipeline.h)."""
        self.st.s(srv_tcp(src, dst, sport, dport, "SA", 77000, isn + 1, 3000, 4242, style="syn",
                          vlan=vlan), "echo", ("tsecr_translated",), flow=flow, floor=syn_tsval)


def fixture(d, burst=32):
    f = Fixture(burst)
    a4, a6 = "203.0.113.5", "2001:db8:100::5"
    data = b"x" * 100
    est = ("flow_confirmed",)  # the first ACK after the SYN-ACK completes the handshake

    f.add(l2() / ARP(op=1, hwsrc=NAT_MAC, psrc="203.0.113.1", pdst=SRV4), "same")
    # Flow A: IPv4, a client clock near the top of the 32-bit space.
    ta, sa = 4294960000, 1000
    f.add(tcp(a4, SRV4, 40000, 80, "S", sa, tsval=ta, style="syn"), "syn", "A", fresh=True)
    f.add(tcp(a4, SRV4, 40000, 80, "S", sa, tsval=ta + 1000, style="syn"), "syn_retrans", "A")
    f.add(l2() / l3(a4, SRV4) / UDP(sport=5353, dport=5353) / Raw(b"udp"), "same")
    # Non-pool traffic: observed, never changed.
    f.add(tcp("10.1.1.1", SRV4, 41000, 80, "S", 5, tsval=12345, style="syn"), "same")
    f.add(tcp("fd00::1", SRV6, 41001, 443, "S", 5, tsval=777, style="syn"), "same")
    # Flow B: IPv6, TS at an odd offset on its data segment.
    tb, sb = 1000, 2000
    f.add(tcp(a6, SRV6, 40001, 443, "S", sb, tsval=tb, style="syn"), "syn", "B", fresh=True)
    f.add(l2() / l3(a6, SRV6) / ICMPv6EchoRequest(id=1, seq=1), "same")
    # Flow C: VLAN-tagged IPv4; flow D: QinQ IPv6.
    tc, sc = 55555, 3000
    f.add(tcp("203.0.113.6", SRV4, 40002, 80, "S", sc, tsval=tc, style="syn", vlan=10), "syn",
          "C", fresh=True)
    td, sd = 99, 4000
    f.add(tcp("2001:db8:100::6", SRV6, 40004, 443, "S", sd, tsval=td, style="syn",
              vlan=(100, 10)), "syn", "D", fresh=True)
    # Flow E: IPv4 header with options.
    te, se = 7000000, 5000
    f.add(tcp("203.0.113.7", SRV4, 40005, 80, "S", se, tsval=te, style="syn", ip_opts=True),
          "syn", "E", fresh=True)
    # The servers answer: every flow's handshake goes on.
    f.synack("A", SRV4, a4, 80, 40000, ta, sa)
    f.synack("B", SRV6, a6, 443, 40001, tb, sb)
    f.synack("C", SRV4, "203.0.113.6", 80, 40002, tc, sc, vlan=10)
    f.synack("D", SRV6, "2001:db8:100::6", 443, 40004, td, sd, vlan=(100, 10))
    f.synack("E", SRV4, "203.0.113.7", 80, 40005, te, se)
    f.st.step()
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa + 1, 501, ta + 1001, 77, "est"), "seg", "A", bump=est)
    f.add(tcp(a4, SRV4, 40000, 80, "PA", sa + 1, 501, ta + 1002, 77, "est", data), "seg", "A")
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa + 101, 601, ta + 1003, 78, "sack"), "seg", "A")
    # Malformed options on flow A's 4-tuple: a TS option of length 9, then a zero length.
    f.add(raw_opts_tcp(a4, SRV4, 40000, 80, "A", sa + 101,
                       bytes([1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 0]), 601), "same")
    f.add(raw_opts_tcp(a4, SRV4, 40000, 80, "A", sa + 101, bytes([3, 0, 0, 0]), 601), "same")
    f.add(tcp("10.1.1.1", SRV4, 41000, 80, "A", 6, 9, 12346, 50, "est"), "same")
    f.add(tcp(a6, SRV6, 40001, 443, "A", sb + 1, 9001, tb + 1, 5, "est"), "seg", "B", bump=est)
    f.add(tcp(a6, SRV6, 40001, 443, "PA", sb + 1, 9001, tb + 2, 5, "odd", data), "seg", "B")
    f.add(tcp("203.0.113.6", SRV4, 40002, 80, "PA", sc + 1, 1, tc + 3, 9, "est", data, vlan=10),
          "seg", "C", bump=est)
    f.add(tcp("2001:db8:100::6", SRV6, 40004, 443, "A", sd + 1, 1, td + 1, 9, "est",
              vlan=(100, 10)), "seg", "D", bump=est)
    f.add(tcp("203.0.113.7", SRV4, 40005, 80, "PA", se + 1, 1, te + 9, 3, "est", data,
              ip_opts=True), "seg", "E", bump=est)
    # Strip pools: the SYN loses its TS option, later segments pass as they are.
    f.add(tcp("198.51.100.7", SRV4, 40006, 80, "S", 6000, tsval=424242, style="syn"), "strip")
    f.add(tcp("198.51.100.7", SRV4, 40006, 80, "A", 6001, 1, 424243, 1, "est"), "same")
    f.add(tcp("2001:db8:200::7", SRV6, 40007, 443, "S", 7000, tsval=31337, style="syn", vlan=20),
          "strip")
    # Pool traffic the pipeline must leave alone.
    f.add(tcp(a4, SRV4, 40010, 80, "S", 8000, style="nots"), "same")  # SYN without TS
    # A segment of an unknown flow: an orphan, its TSval 2^30 ms behind the clock until the
    # server echoes (none does here).
    f.add(tcp(a4, SRV4, 40011, 80, "A", 8000, 1, 5, 5, "est"), "orphan", bump=("orphan_new",))
    f.add(raw_opts_tcp(a4, SRV4, 40012, 80, "S", 8100,
                       bytes([8, 10, 0, 0, 0, 1, 0, 0, 0, 0]) + bytes([8, 10, 0, 0, 0, 2, 0, 0, 0,
                                                                       0]) + bytes([1, 1, 1, 1])),
          "same")  # two TS options
    frag = tcp(a4, SRV4, 40013, 80, "S", 8200, tsval=5, style="syn")
    frag[IP].flags = "MF"
    f.add(frag, "same")
    # Flow A closes; a second client behind the NAT reuses its 4-tuple with an older clock
    # (exactly the PAWS case): a new flow, a new offset, still above all of A's TSvals.
    f.add(tcp(a4, SRV4, 40000, 80, "FA", sa + 101, 601, ta + 1004, 78, "est"), "seg", "A")
    sa2, ta2 = 90000, ta - 50000
    f.add(tcp(a4, SRV4, 40000, 80, "S", sa2, tsval=ta2, style="syn"), "syn", "A2")
    # Flow F: another flow of the same source, its clock far behind.
    tf, sf = 500, 9000
    f.add(tcp(a4, SRV4, 40003, 80, "S", sf, tsval=tf, style="syn"), "syn", "F")
    f.synack("A2", SRV4, a4, 80, 40000, ta2, sa2)
    f.synack("F", SRV4, a4, 80, 40003, tf, sf)
    f.st.step()
    # A2 lives in A's entry, reused in place: established already, no move to count.
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa2 + 1, 1, ta2 + 1, 1, "est"), "seg", "A2")
    f.add(tcp(a4, SRV4, 40003, 80, "PA", sf + 1, 1, tf + 2, 1, "est", data), "seg", "F",
          bump=est)
    f.add(tcp(a6, SRV6, 40001, 443, "FA", sb + 101, 9001, tb + 3, 5, "est"), "seg", "B")

    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "in.pcap"), f.flat)
    write_empty(d)
    run = f.st.write(d, "fixture")
    run["args"] = [a for prefix, action in POOLS for a in ("--pool", "%s,%s" % (prefix, action))]
    run["expect"] = dict(f.st.bumps, flow_new=7, syn_retrans=1, flow_reuse=1, rescued=1,
                         opt_len=1, ts_len=1, ts_dup=1, fragment=1, table_full=0,
                         echo_unmatched=0, evict_unconfirmed=0, evict_established=0)
    with open(os.path.join(d, "manifest.json"), "w") as out:
        json.dump({"pools": POOLS, "runs": [run], "frames": f.st.manifest}, out, indent=1)
    print("%d frames, %d rewritten, %d stripped" % (len(f.flat), f.st.bumps["tsval_rewritten"],
                                                    f.st.bumps["ts_stripped"]))


def bench(path, n):
    """A mix close to a loaded front end: 1/8 pool SYNs, 1/2 pool established segments,
    1/4 non-pool TCP, 1/8 UDP, over 64 sources. A flow's segments share one TSval, as the
    many segments a busy client sends within one tick of its clock do. The SYNs open other
    4-tuples than the established segments' (replayed, each is a retransmit of its own
    handshake); the established flows are learned from their SYN-ACKs (FILE_srv.pcap)."""
    frames = []
    flows = 64
    for i in range(n):
        k = i % 8
        f = (i // 8) % flows
        src = "203.0.113.%d" % (1 + f % 200)
        sport = 30000 + f
        ts = 100000 + 10 * f
        if k == 0:
            p = tcp(src, SRV4, sport + 10000, 80, "S", 1000 * f, tsval=ts, style="syn")
        elif k in (1, 2, 3, 4):
            p = tcp(src, SRV4, sport, 80, "A", 1000 * f + 1, 1, ts + 1, 7, "est", b"y" * 6)
        elif k in (5, 6):
            p = tcp("10.2.%d.%d" % (f // 200, 1 + f % 200), SRV4, sport, 80, "A", 1, 1, ts + 1,
                    7, "est", b"y" * 6)
        else:
            p = l2() / l3(src, SRV4) / UDP(sport=sport, dport=53) / Raw(b"z" * 18)
        frames.append(p)
    wrpcap(path, frames)
    # The servers' side: a SYN-ACK for every pool flow, repeated over the first passes of
    # the mix, so that every flow is established once (its SYN-ACK seen, or adopted from
    # it if its segment came first; docs/DESIGN.md, "Learning a flow's offset") and the mix
    # then measures the established path, not orphans waiting for an echo.
    srv = []
    for _ in range(16):
        for f in range(flows):
            src = "203.0.113.%d" % (1 + f % 200)
            p = Ether(src=SRV_MAC, dst=NAT_MAC) / l3(SRV4, src) / TCP(
                sport=80, dport=30000 + f, flags="SA", seq=7000 * f, ack=1000 * f + 1,
                window=502, options=opts("syn", 9000 + f, 100000 + 10 * f + 1000))
            srv.append(p)
    wrpcap(path[:-5] + "_srv.pcap" if path.endswith(".pcap") else path + "_srv", srv)


def write_empty(d):
    """DIR/empty.pcap: a pcap header, no frame."""
    with open(os.path.join(d, "empty.pcap"), "wb") as e:
        e.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))


def evict(d, n_src=40, per_src=5):
    """n_src sources of a rewrite pool, per_src flows each: a SYN and one segment per flow.
    Run with small tables (--max-flows 16 --max-sources 8) to make them evict. No SYN-ACK
    comes back, so each segment belongs to another connection as far as pawsguard knows
    (pipeline.h): whether its SYN's entry is still there (it becomes an orphan) or was
    evicted (a new orphan), it goes out with the orphan's TSval. A SYN's source may have
    been evicted since its previous SYN: its TSval' is in the fresh window, in any order."""
    frames, marks = [], []
    for f in range(per_src):
        for s in range(n_src):
            src = "203.0.113.%d" % (10 + s)
            sport, isn, t = 20000 + f, 1000 * f + s, 100000 + 1000 * f + s
            frames.append(tcp(src, SRV4, sport, 80, "S", isn, tsval=t, style="syn"))
            marks.append({"kind": "syn", "flow": "burst_e%d_%d" % (s, f), "fresh": True,
                          "any_order": True})
            frames.append(tcp(src, SRV4, sport, 80, "A", isn + 1, 1, t + 1, 1, "est"))
            marks.append({"kind": "orphan"})
    for i, m in enumerate(marks):
        m.update(run=0, side="c", i=i)
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "evict.pcap"), frames)
    write_empty(d)
    run = {"in_c": "evict.pcap", "in_s": "empty.pcap", "out_c": "evict_c.out.pcap",
           "out_s": "evict_s.out.pcap"}
    with open(os.path.join(d, "evict.json"), "w") as out:
        json.dump({"pools": POOLS, "runs": [run], "frames": marks}, out, indent=1)
    print("%d frames" % len(frames))


# ---- both directions, in steps (see the top) ----

def srv_tcp(src, dst, sport, dport, flags, seq, ack, tsval, tsecr, style="est", payload=b"",
            vlan=None):
    """A server-to-client segment (server address first)."""
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=502,
            options=opts(style, tsval, tsecr))
    e = Ether(src=SRV_MAC, dst=NAT_MAC)
    if isinstance(vlan, tuple):
        e = e / Dot1AD(vlan=vlan[0]) / Dot1Q(vlan=vlan[1])
    elif vlan is not None:
        e = e / Dot1Q(vlan=vlan)
    p = e / l3(src, dst) / t
    if payload:
        p = p / Raw(payload)
    return p


def filler(side):
    """What pads a burst: ARP, forwarded untouched by whichever worker receives it."""
    if side == "c":
        return Ether(src=NAT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=NAT_MAC,
                                                                 psrc="203.0.113.1", pdst=SRV4)
    return Ether(src=SRV_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=SRV_MAC, psrc=SRV4,
                                                             pdst="203.0.113.1")


def jumbo(total):
    """Payload that makes an IPv4 frame with the 32-byte TCP header total bytes long."""
    n = total - 14 - 20 - 32
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


class Steps:
    """Frames of one run in steps: client frames, then server frames (see the top)."""

    def __init__(self, run, burst):
        self.run, self.b = run, burst
        self.frames = {"c": [], "s": []}
        self.manifest = []
        self.bumps = {}
        self.cur = {"c": [], "s": []}

    def add(self, side, pkt, kind, bump=(), **attrs):
        self.cur[side].append((pkt, dict(kind=kind, **attrs)))
        for name in bump:
            self.bumps[name] = self.bumps.get(name, 0) + 1

    def c(self, pkt, kind, bump=(), **attrs):
        self.add("c", pkt, kind, bump, **attrs)

    def s(self, pkt, kind, bump=(), **attrs):
        self.add("s", pkt, kind, bump, **attrs)

    def _pad(self, side):
        while len(self.frames[side]) % self.b:
            self._put(side, filler(side), {"kind": "same"})

    def _put(self, side, pkt, m):
        m.update(run=self.run, side=side, i=len(self.frames[side]))
        self.frames[side].append(pkt)
        self.manifest.append(m)

    def step(self):
        """Close a step: its client frames in whole bursts, its server frames in the
        iterations from the last of those on."""
        c, s = self.cur["c"], self.cur["s"]
        self.cur = {"c": [], "s": []}
        if not c and not s:
            return
        # Align: both sides at the same iteration.
        n = max(len(self.frames["c"]), len(self.frames["s"])) // self.b
        for side in "cs":
            while len(self.frames[side]) < n * self.b:
                self._put(side, filler(side), {"kind": "same"})
        for pkt, m in c:
            self._put("c", pkt, m)
        self._pad("c")
        if s:
            # The server side catches up to the iteration of the last client burst.
            last = max(len(self.frames["c"]) // self.b - 1, n)
            while len(self.frames["s"]) < last * self.b:
                self._put("s", filler("s"), {"kind": "same"})
            for pkt, m in s:
                self._put("s", pkt, m)
            self._pad("s")

    def write(self, d, prefix):
        self.step()
        for side in "cs":
            wrpcap(os.path.join(d, "%s%d_%s.pcap" % (prefix, self.run, side)), self.frames[side])
        return {"in_c": "%s%d_c.pcap" % (prefix, self.run),
                "in_s": "%s%d_s.pcap" % (prefix, self.run),
                "out_c": "%s%d_c.out.pcap" % (prefix, self.run),
                "out_s": "%s%d_s.out.pcap" % (prefix, self.run)}


def now_ms():
    return int(time.time() * 1000)


def u32(v):
    return v & 0xFFFFFFFF


def write_manifest(d, runs, steps):
    frames = [m for st in steps for m in st.manifest]
    with open(os.path.join(d, "manifest.json"), "w") as out:
        json.dump({"pools": POOLS, "runs": runs, "frames": frames}, out, indent=1)
    print("%d runs, %d frames" % (len(runs), len(frames)))


LEAD_MAX_MS = 1 << 24  # PG_ADOPT_LEAD_MAX_MS (translate.h)
# A segment that creates an orphan entry: it goes out with the orphan's TSval (kind orphan).
NEW_ORPHAN = ("orphan_new", "unconf_add", "tsval_rewritten")
POOL_ARGS = ["--pool", "203.0.113.0/24", "--pool", "2001:db8:100::/48"]


def learn(d, burst):
    """Orphans and adoption (pipeline.h, docs/DESIGN.md "Learning a flow's offset"), with
    jumbo frames arriving as mbuf chains (--mtu 9000 --mbuf-size 1024)."""
    st = Steps(0, burst)
    now = now_ms()
    a_o, a_n, a_h, a_q = "203.0.113.20", "203.0.113.21", "203.0.113.22", "203.0.113.23"
    a_6, a_g = "2001:db8:100::20", "203.0.113.24"
    # O: a connection translated before (its TSval' near the clock), seen mid-stream: an
    # orphan. Its segments go out 2^30 ms behind the clock (the server drops them and echoes
    # its ts_recent); their raw TSvals are remembered.
    T = u32(now - 5000)
    st.c(tcp(a_o, SRV4, 41000, 80, "PA", 100, 900, 5000000, 777, payload=b"a" * 10), "orphan",
         NEW_ORPHAN)
    st.c(tcp(a_o, SRV4, 41000, 80, "PA", 110, 900, 5000003, 777, payload=b"b" * 10), "orphan",
         ("tsval_rewritten",))
    # Reordered: an older TSval must not lower the orphan's latest raw TSval.
    st.c(tcp(a_o, SRV4, 41000, 80, "A", 100, 900, 4999990, 777), "orphan", ("tsval_rewritten",))
    # Not translated, no orphan: outside the pools; a pool RST.
    st.c(tcp("10.1.1.9", SRV4, 41009, 80, "A", 1, 1, 12345, 6), "same")
    st.c(tcp(a_o, SRV4, 41008, 80, "R", 1, 0, 5000001, 0), "same")
    # Q: an orphan whose server never echoes: it stays one (telemetry: "orphan").
    st.c(tcp(a_q, SRV4, 41007, 80, "A", 1, 1, 777777, 5), "orphan", NEW_ORPHAN)
    # N: a connection pawsguard never translated, its client clock 2^30 ms ahead of ours.
    X = u32(now + (1 << 30))
    st.c(tcp(a_n, SRV4, 41001, 80, "PA", 1, 1, X, 9, payload=b"n"), "orphan", NEW_ORPHAN)
    # V6: the same as O over IPv6.
    T6 = u32(now - 7000)
    st.c(tcp(a_6, SRV6, 41002, 443, "PA", 1, 1, 3000, 4), "orphan", NEW_ORPHAN)
    # G: its raw TSvals 2^29 ms ahead of the line its ts_recent is on (near the clock): the
    # echo is before the raw TSval, the offset "negative" (mod 2^32), taken as it is.
    R, Tg = u32(now + (1 << 29)), u32(now - 3000)
    st.c(tcp(a_g, SRV4, 41005, 80, "PA", 1, 1, R, 3, payload=b"g"), "orphan", NEW_ORPHAN)
    # H: a handshake seen here.
    h0 = 100
    st.c(tcp(a_h, SRV4, 41003, 80, "S", 5000, tsval=h0, style="syn"), "syn",
         ("flow_new", "unconf_add", "tsval_rewritten"), flow="H", fresh=True)
    # Server side: O's echo of ts_recent fixes offset T - 5000003; the echo comes back as
    # the latest raw TSval. An echo of no flow. N's server echoes the raw TSval: offset 0.
    st.s(srv_tcp(SRV4, a_o, 80, 41000, "A", 900, 120, 60000, T), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=5000003)
    st.s(srv_tcp(SRV4, "203.0.113.99", 80, 41099, "A", 1, 1, 60001, 424242), "same",
         ("echo_unmatched",))
    st.s(srv_tcp(SRV4, a_n, 80, 41001, "A", 1, 2, 70000, X), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=X)
    st.s(srv_tcp(SRV6, a_6, 443, 41002, "A", 1, 2, 70001, T6), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=3000)
    st.s(srv_tcp(SRV4, a_g, 80, 41005, "A", 1, 2, 90000, Tg), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=R)
    # H's SYN-ACK: any TSecr goes back as TSecr - offset, not below the SYN's TSval.
    st.s(srv_tcp(SRV4, a_h, 80, 41003, "SA", 8000, 5001, 80000, 12345, style="syn"), "echo",
         ("tsecr_translated",), flow="H", floor=h0)
    st.step()
    # Later client segments translated with the learned offsets; a jumbo frame of O.
    off_o = u32(T - 5000003)
    st.c(tcp(a_o, SRV4, 41000, 80, "PA", 120, 910, 5000010, 60000, payload=b"c" * 10), "tsval",
         ("tsval_rewritten",), tsval=u32(5000010 + off_o))
    st.c(tcp(a_o, SRV4, 41000, 80, "PA", 130, 910, 5000011, 60000, payload=jumbo(9000)),
         "tsval", ("tsval_rewritten",), tsval=u32(5000011 + off_o))
    st.c(tcp(a_n, SRV4, 41001, 80, "A", 2, 2, u32(X + 5), 70000), "tsval",
         ("tsval_rewritten",), tsval=u32(X + 5))
    st.c(tcp(a_6, SRV6, 41002, 443, "PA", 2, 2, 3001, 70001, payload=b"6" * 8900), "tsval",
         ("tsval_rewritten",), tsval=u32(3001 + T6 - 3000))
    st.c(tcp(a_g, SRV4, 41005, 80, "PA", 2, 2, u32(R + 5), 90000, payload=b"h"), "tsval",
         ("tsval_rewritten",), tsval=u32(Tg + 5))
    # A raw TSval before the one G learned against (that one was spoofed, or this segment
    # is reordered): G learns again, an orphan in its entry (which stays established).
    st.c(tcp(a_g, SRV4, 41005, 80, "A", 3, 2, u32(R - 10), 90000), "orphan",
         ("orphan_new", "tsval_rewritten"))
    # A new connection of N's source: above the adopted flow's published TSvals, which are
    # bounded to PG_ADOPT_LEAD_MAX_MS ahead of the clock (not 2^30).
    st.c(tcp(a_n, SRV4, 41004, 80, "S", 7000, tsval=55, style="syn"), "syn",
         ("flow_new", "unconf_add", "tsval_rewritten"), flow="N2", lead=LEAD_MAX_MS + 1)
    # H completes its handshake (confirmed) and sends a jumbo frame.
    st.c(tcp(a_h, SRV4, 41003, 80, "A", 5001, 8001, h0 + 1, 80000), "seg",
         ("tsval_rewritten", "flow_confirmed"), flow="H")
    st.c(tcp(a_h, SRV4, 41003, 80, "PA", 5001, 8001, h0 + 2, 80000, payload=jumbo(9000)),
         "seg", ("tsval_rewritten",), flow="H")
    st.s(srv_tcp(SRV4, a_o, 80, 41000, "A", 900, 140, 60002, u32(T + 7)), "tsecr",
         ("tsecr_translated",), tsecr=5000010)
    st.s(srv_tcp(SRV4, a_h, 80, 41003, "PA", 8001, 5001, 80001, 999999, payload=jumbo(9000)),
         "echo", ("tsecr_translated",), flow="H")
    # G's echo of ts_recent Tg + 5: offset Tg + 5 - (R - 10); it goes back as R - 10.
    st.s(srv_tcp(SRV4, a_g, 80, 41005, "A", 2, 3, 90001, u32(Tg + 5)), "tsecr",
         ("flow_adopted", "tsecr_translated"), tsecr=u32(R - 10))
    st.step()
    st.c(tcp(a_g, SRV4, 41005, 80, "A", 3, 2, u32(R - 9), 90001), "tsval",
         ("tsval_rewritten",), tsval=u32(Tg + 6))
    run = st.write(d, "learn")
    run["args"] = POOL_ARGS + ["--mtu", "9000", "--mbuf-size", "1024"]
    run["expect"] = dict(st.bumps, evict_unconfirmed=0, evict_established=0, table_full=0)
    run["flows"] = {"orphan": 1, "established": 5, "syn": 1}
    write_manifest(d, [run], [st])


def classes(d, burst):
    """Eviction classes (docs/DESIGN.md): --max-flows 8, one worker."""
    st = Steps(0, burst)
    now = now_ms()
    e1, e2, e3, e4 = "203.0.113.40", "203.0.113.41", "203.0.113.42", "203.0.113.43"
    T3, T4 = u32(now - 3000), u32(now - 4000)
    # E4: adopted first; it gets no frame until the end, so it is the least recently used.
    st.c(tcp(e4, SRV4, 42004, 80, "A", 1, 1, 7000, 1), "orphan", NEW_ORPHAN)
    st.s(srv_tcp(SRV4, e4, 80, 42004, "A", 1, 2, 1000, T4), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=7000)
    st.step()
    # E1, E2: handshakes; E3: adopted.
    for a, p, t in ((e1, 42001, 1000), (e2, 42002, 2000)):
        st.c(tcp(a, SRV4, p, 80, "S", t, tsval=t, style="syn"), "syn",
             ("flow_new", "unconf_add", "tsval_rewritten"), flow=a, fresh=True)
    st.c(tcp(e3, SRV4, 42003, 80, "A", 1, 1, 30000, 1), "orphan", NEW_ORPHAN)
    for a, p, t in ((e1, 42001, 1000), (e2, 42002, 2000)):
        st.s(srv_tcp(SRV4, a, 80, p, "SA", 500, t + 1, 100, 7, style="syn"), "echo",
             ("tsecr_translated",), flow=a, floor=t)
    st.s(srv_tcp(SRV4, e3, 80, 42003, "A", 1, 2, 1000, T3), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=30000)
    st.step()
    for a, p, t in ((e1, 42001, 1000), (e2, 42002, 2000)):
        st.c(tcp(a, SRV4, p, 80, "A", t + 1, 501, t + 1, 100), "seg",
             ("tsval_rewritten", "flow_confirmed"), flow=a)
    # 4 established flows, 4 free entries: a burst of 60 SYNs from 12 pool addresses fills
    # them and then evicts 56 unconfirmed entries, oldest first; no established one.
    for k in range(60):
        src = "203.0.113.%d" % (100 + k % 12)
        st.c(tcp(src, SRV4, 50000 + k, 80, "S", 77 * k, tsval=1000 + k, style="syn"), "syn",
             ("flow_new", "unconf_add", "tsval_rewritten")
             + (("evict_unconfirmed",) if k >= 4 else ()), flow="burst%d" % k)
    st.step()
    # They survived: translated as before, both ways (E4 gets nothing: it stays the LRU).
    for a, p, t in ((e1, 42001, 1000), (e2, 42002, 2000)):
        st.c(tcp(a, SRV4, p, 80, "PA", t + 1, 501, t + 2, 100, payload=b"d" * 20), "seg",
             ("tsval_rewritten",), flow=a)
        st.s(srv_tcp(SRV4, a, 80, p, "A", 501, t + 21, 101, 4242), "echo",
             ("tsecr_translated",), flow=a)
    st.c(tcp(e3, SRV4, 42003, 80, "PA", 1, 2, 30001, 1000, payload=b"e" * 20), "tsval",
         ("tsval_rewritten",), tsval=u32(30001 + T3 - 30000))
    st.s(srv_tcp(SRV4, e3, 80, 42003, "A", 2, 21, 1001, u32(T3 + 1)), "tsecr",
         ("tsecr_translated",), tsecr=30001)
    st.step()
    # Four orphans take the place of the 4 remaining SYN entries, then are adopted: 8
    # established flows, no unconfirmed entry left.
    for k in range(4):
        src = "203.0.113.%d" % (60 + k)
        st.c(tcp(src, SRV4, 43000 + k, 80, "A", 1, 1, 9000 + k, 1), "orphan",
             NEW_ORPHAN + ("evict_unconfirmed",))
        st.s(srv_tcp(SRV4, src, 80, 43000 + k, "A", 1, 2, 1, u32(now - 100 - k)), "tsecr",
             ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=9000 + k)
    st.step()
    # A new SYN: only established flows are left, the least recently used (E4) goes.
    st.c(tcp("203.0.113.70", SRV4, 44000, 80, "S", 1, tsval=5, style="syn"), "syn",
         ("flow_new", "unconf_add", "tsval_rewritten", "evict_established"), flow="late",
         fresh=True)
    st.step()
    # E4 again: no entry, an orphan (displacing the SYN, unconfirmed); the server's echo of
    # its ts_recent teaches the offset again; then it is translated with it.
    st.c(tcp(e4, SRV4, 42004, 80, "PA", 1, 2, 7100, 1000, payload=b"f"), "orphan",
         NEW_ORPHAN + ("evict_unconfirmed",))
    st.s(srv_tcp(SRV4, e4, 80, 42004, "A", 2, 3, 1001, T4), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=7100)
    st.step()
    st.c(tcp(e4, SRV4, 42004, 80, "PA", 2, 3, 7101, 1001, payload=b"g"), "tsval",
         ("tsval_rewritten",), tsval=u32(7101 + T4 - 7100))
    for a, p, t in ((e1, 42001, 1000), (e2, 42002, 2000)):
        st.c(tcp(a, SRV4, p, 80, "A", t + 21, 501, t + 3, 101), "seg", ("tsval_rewritten",),
             flow=a)
    run = st.write(d, "classes")
    run["args"] = ["--pool", "203.0.113.0/24", "--max-flows", "8", "--max-sources", "64"]
    run["workers"] = 1
    ev = st.bumps["evict_unconfirmed"] + st.bumps["evict_established"]
    run["expect"] = dict(st.bumps, table_full=0, evictions=ev, flows=8)
    run["flows"] = {"established": 8}
    write_manifest(d, [run], [st])


def state(d, burst):
    """--state across a planned restart: run 0 (one worker) leaves a handshake flow, an
    adopted flow whose client clock runs 2^30 ms ahead (its source's max_fwd bounded to
    PG_ADOPT_LEAD_MAX_MS) and an orphan; run 1 (two workers: entries move to their owner
    under the new count) translates them as if nothing had happened."""
    now = now_ms()
    a_h, a_n, a_q = "203.0.113.30", "203.0.113.31", "2001:db8:100::31"
    X, D, Tq = u32(now + (1 << 30)), 5000, u32(now - 2000)
    r0 = Steps(0, burst)
    r0.c(tcp(a_h, SRV4, 45000, 80, "S", 10, tsval=200, style="syn"), "syn",
         ("flow_new", "unconf_add", "tsval_rewritten"), flow="H", fresh=True)
    r0.c(tcp(a_n, SRV4, 45001, 80, "A", 1, 1, X, 1), "orphan", NEW_ORPHAN)
    r0.c(tcp(a_q, SRV6, 45002, 443, "A", 1, 1, 6000, 1), "orphan", NEW_ORPHAN)
    r0.s(srv_tcp(SRV4, a_h, 80, 45000, "SA", 1, 11, 300, 99, style="syn"), "echo",
         ("tsecr_translated",), flow="H", floor=200)
    r0.s(srv_tcp(SRV4, a_n, 80, 45001, "A", 1, 2, 400, u32(X + D)), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=X)
    r0.step()
    r0.c(tcp(a_h, SRV4, 45000, 80, "A", 11, 2, 201, 300), "seg",
         ("tsval_rewritten", "flow_confirmed"), flow="H")
    r0.c(tcp(a_q, SRV6, 45002, 443, "A", 1, 1, 6005, 1), "orphan", ("tsval_rewritten",))
    run0 = r0.write(d, "state")
    run0["args"] = POOL_ARGS + ["--state", "@STATE@"]
    run0["workers"] = 1
    run0["expect"] = dict(r0.bumps, table_full=0)
    run0["lines"] = ["state saved to .*: 3 flows [(]2 established, 1 unconfirmed[)], 2 sources"]

    r1 = Steps(1, burst)
    # First the new SYN of a_n's source: above max_fwd as restored (vclock + 2^24 at run 0).
    r1.c(tcp(a_n, SRV4, 45003, 80, "S", 99, tsval=7, style="syn"), "syn",
         ("flow_new", "unconf_add", "tsval_rewritten"), flow="N2", lead=LEAD_MAX_MS + 1,
         lead_run=0)
    r1.c(tcp(a_h, SRV4, 45000, 80, "PA", 11, 2, 202, 300, payload=b"h" * 30), "seg",
         ("tsval_rewritten",), flow="H")
    r1.c(tcp(a_n, SRV4, 45001, 80, "PA", 1, 2, u32(X + 3), 400, payload=b"n" * 30), "tsval",
         ("tsval_rewritten",), tsval=u32(X + 3 + D))
    r1.c(tcp(a_q, SRV6, 45002, 443, "A", 1, 1, 6007, 1), "orphan", ("tsval_rewritten",))
    # The orphan learns from the echo now: latest raw 6007.
    r1.s(srv_tcp(SRV6, a_q, 443, 45002, "A", 1, 2, 500, Tq), "tsecr",
         ("flow_adopted", "flow_confirmed", "tsecr_translated"), tsecr=6007)
    r1.s(srv_tcp(SRV4, a_h, 80, 45000, "A", 2, 41, 301, 123456), "echo",
         ("tsecr_translated",), flow="H")
    r1.step()
    r1.c(tcp(a_q, SRV6, 45002, 443, "PA", 1, 2, 6010, 500, payload=b"q"), "tsval",
         ("tsval_rewritten",), tsval=u32(6010 + Tq - 6007))
    run1 = r1.write(d, "state")
    run1["args"] = POOL_ARGS + ["--state", "@STATE@"]
    run1["workers"] = 2
    run1["expect"] = dict(r1.bumps, table_full=0, orphan_new=0, echo_unmatched=0)
    run1["lines"] = ["state loaded from .* by 1 worker[(]s[)][)]: 3 flows [(]2 established, "
                     "1 unconfirmed[)], 2 sources on 2 worker[(]s[)]; skipped 0 expired, "
                     "0 without room",
                     "state saved to .*: 4 flows [(]3 established, 1 unconfirmed[)], 2 sources"]
    write_manifest(d, [run0, run1], [r0, r1])


def main(argv):
    if len(argv) >= 2 and argv[0] == "fixture":
        fixture(argv[1], int(argv[2]) if len(argv) > 2 else 32)
        return 0
    if len(argv) >= 2 and argv[0] == "evict":
        evict(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] in ("learn", "classes", "state"):
        os.makedirs(argv[1], exist_ok=True)
        b = int(argv[2]) if len(argv) > 2 else 32
        {"learn": learn, "classes": classes, "state": state}[argv[0]](argv[1], b)
        return 0
    if len(argv) >= 2 and argv[0] == "bench":
        bench(argv[1], int(argv[2]) if len(argv) > 2 else 1024)
        return 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
