#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Input pcaps for the pawsguard-dpdk tests and benchmark (scapy).

  gen_pcap.py fixture DIR     DIR/in.pcap (client-direction frames), DIR/empty.pcap (no
                              frames: the server port's input), DIR/manifest.json (what
                              check_pcap.py must find for each frame, the pools to run with,
                              the counters to expect)
  gen_pcap.py evict DIR       DIR/evict.pcap: 200 pool flows from 40 sources (a SYN and a
                              segment each), for a run with tables too small to hold them
  gen_pcap.py bench FILE [N]  a mix of N frames (default 1024) for tests/bench/dpdk.sh:
                              pool SYNs, pool established segments, non-pool TCP, UDP

Fixture manifest kinds, per input frame:
  same         forwarded byte-identical (ARP, UDP, ICMPv6, non-pool TCP, malformed options,
               fragments, pool SYN without timestamps, segments of unknown flows, strip
               sources' non-SYN segments)
  syn          pool rewrite SYN opening a flow: TSval rewritten, the offset measured here
               holds for the flow ("fresh": first SYN of its source in the run)
  syn_retrans  same ISN again: the flow's offset
  seg          later client segment of the flow: TSval + the flow's offset, nothing else
  strip        strip pool SYN: the 10 bytes of the TS option become 10 NOPs
"""
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
    def __init__(self):
        self.frames = []
        self.manifest = []
        self.rewritten = 0
        self.stripped = 0

    def add(self, pkt, kind, flow=None, fresh=False):
        self.frames.append(pkt)
        m = {"i": len(self.frames) - 1, "kind": kind}
        if flow:
            m["flow"] = flow
        if fresh:
            m["fresh"] = True
        self.manifest.append(m)
        if kind in ("syn", "syn_retrans", "seg"):
            self.rewritten += 1
        elif kind == "strip":
            self.stripped += 1


def fixture(d):
    f = Fixture()
    a4, a6 = "203.0.113.5", "2001:db8:100::5"
    data = b"x" * 100

    f.add(l2() / ARP(op=1, hwsrc=NAT_MAC, psrc="203.0.113.1", pdst=SRV4), "same")
    # Flow A: IPv4, a client clock near the top of the 32-bit space.
    ta, sa = 4294960000, 1000
    f.add(tcp(a4, SRV4, 40000, 80, "S", sa, tsval=ta, style="syn"), "syn", "A", fresh=True)
    f.add(tcp(a4, SRV4, 40000, 80, "S", sa, tsval=ta + 1000, style="syn"), "syn_retrans", "A")
    f.add(l2() / l3(a4, SRV4) / UDP(sport=5353, dport=5353) / Raw(b"udp"), "same")
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa + 1, 501, ta + 1001, 77, "est"), "seg", "A")
    f.add(tcp(a4, SRV4, 40000, 80, "PA", sa + 1, 501, ta + 1002, 77, "est", data), "seg", "A")
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa + 101, 601, ta + 1003, 78, "sack"), "seg", "A")
    # Malformed options on flow A's 4-tuple: a TS option of length 9, then a zero length.
    f.add(raw_opts_tcp(a4, SRV4, 40000, 80, "A", sa + 101,
                       bytes([1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 0]), 601), "same")
    f.add(raw_opts_tcp(a4, SRV4, 40000, 80, "A", sa + 101, bytes([3, 0, 0, 0]), 601), "same")
    # Non-pool traffic: observed, never changed.
    f.add(tcp("10.1.1.1", SRV4, 41000, 80, "S", 5, tsval=12345, style="syn"), "same")
    f.add(tcp("10.1.1.1", SRV4, 41000, 80, "A", 6, 9, 12346, 50, "est"), "same")
    f.add(tcp("fd00::1", SRV6, 41001, 443, "S", 5, tsval=777, style="syn"), "same")
    # Flow B: IPv6, TS at an odd offset on its data segment.
    tb, sb = 1000, 2000
    f.add(tcp(a6, SRV6, 40001, 443, "S", sb, tsval=tb, style="syn"), "syn", "B", fresh=True)
    f.add(l2() / l3(a6, SRV6) / ICMPv6EchoRequest(id=1, seq=1), "same")
    f.add(tcp(a6, SRV6, 40001, 443, "A", sb + 1, 9001, tb + 1, 5, "est"), "seg", "B")
    f.add(tcp(a6, SRV6, 40001, 443, "PA", sb + 1, 9001, tb + 2, 5, "odd", data), "seg", "B")
    # Flow C: VLAN-tagged IPv4; flow D: QinQ IPv6.
    tc, sc = 55555, 3000
    f.add(tcp("203.0.113.6", SRV4, 40002, 80, "S", sc, tsval=tc, style="syn", vlan=10), "syn",
          "C", fresh=True)
    f.add(tcp("203.0.113.6", SRV4, 40002, 80, "PA", sc + 1, 1, tc + 3, 9, "est", data, vlan=10),
          "seg", "C")
    td, sd = 99, 4000
    f.add(tcp("2001:db8:100::6", SRV6, 40004, 443, "S", sd, tsval=td, style="syn",
              vlan=(100, 10)), "syn", "D", fresh=True)
    f.add(tcp("2001:db8:100::6", SRV6, 40004, 443, "A", sd + 1, 1, td + 1, 9, "est",
              vlan=(100, 10)), "seg", "D")
    # Flow E: IPv4 header with options.
    te, se = 7000000, 5000
    f.add(tcp("203.0.113.7", SRV4, 40005, 80, "S", se, tsval=te, style="syn", ip_opts=True),
          "syn", "E", fresh=True)
    f.add(tcp("203.0.113.7", SRV4, 40005, 80, "PA", se + 1, 1, te + 9, 3, "est", data,
              ip_opts=True), "seg", "E")
    # Strip pools: the SYN loses its TS option, later segments pass as they are.
    f.add(tcp("198.51.100.7", SRV4, 40006, 80, "S", 6000, tsval=424242, style="syn"), "strip")
    f.add(tcp("198.51.100.7", SRV4, 40006, 80, "A", 6001, 1, 424243, 1, "est"), "same")
    f.add(tcp("2001:db8:200::7", SRV6, 40007, 443, "S", 7000, tsval=31337, style="syn", vlan=20),
          "strip")
    # Pool traffic the pipeline must leave alone.
    f.add(tcp(a4, SRV4, 40010, 80, "S", 8000, style="nots"), "same")  # SYN without TS
    f.add(tcp(a4, SRV4, 40011, 80, "A", 8000, 1, 5, 5, "est"), "same")  # unknown flow
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
    f.add(tcp(a4, SRV4, 40000, 80, "A", sa2 + 1, 1, ta2 + 1, 1, "est"), "seg", "A2")
    # Flow F: another flow of the same source, its clock far behind.
    tf, sf = 500, 9000
    f.add(tcp(a4, SRV4, 40003, 80, "S", sf, tsval=tf, style="syn"), "syn", "F")
    f.add(tcp(a4, SRV4, 40003, 80, "PA", sf + 1, 1, tf + 2, 1, "est", data), "seg", "F")
    f.add(tcp(a6, SRV6, 40001, 443, "FA", sb + 101, 9001, tb + 3, 5, "est"), "seg", "B")

    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "in.pcap"), f.frames)
    with open(os.path.join(d, "empty.pcap"), "wb") as e:  # a pcap header, no frame
        e.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    with open(os.path.join(d, "manifest.json"), "w") as out:
        json.dump({"pools": POOLS, "frames": f.manifest,
                   "expect": {"tsval_rewritten": f.rewritten, "ts_stripped": f.stripped,
                              "flow_new": 7, "syn_retrans": 1, "flow_reuse": 1,
                              "rescued": 1, "opt_len": 1, "ts_len": 1, "ts_dup": 1,
                              "fragment": 1, "table_full": 0}},
                  out, indent=1)
    print("%d frames, %d rewritten, %d stripped" % (len(f.frames), f.rewritten, f.stripped))


def bench(path, n):
    """A mix close to a loaded front end: 1/8 pool SYNs, 1/2 pool established segments,
    1/4 non-pool TCP, 1/8 UDP, over 64 flows; every pool SYN's flow has segments in the mix.
    A flow's segments share one TSval, as the many segments a busy client sends within one
    tick of its clock do (a replayed SYN starts its flow anew each round)."""
    frames = []
    flows = 64
    for i in range(n):
        k = i % 8
        f = (i // 8) % flows
        src = "203.0.113.%d" % (1 + f % 200)
        sport = 30000 + f
        ts = 100000 + 10 * f
        if k == 0:
            p = tcp(src, SRV4, sport, 80, "S", 1000 * f, tsval=ts, style="syn")
        elif k in (1, 2, 3, 4):
            p = tcp(src, SRV4, sport, 80, "A", 1000 * f + 1, 1, ts + 1, 7, "est", b"y" * 6)
        elif k in (5, 6):
            p = tcp("10.2.%d.%d" % (f // 200, 1 + f % 200), SRV4, sport, 80, "A", 1, 1, ts + 1,
                    7, "est", b"y" * 6)
        else:
            p = l2() / l3(src, SRV4) / UDP(sport=sport, dport=53) / Raw(b"z" * 18)
        frames.append(p)
    wrpcap(path, frames)


def evict(d, n_src=40, per_src=5):
    """n_src sources of a rewrite pool, per_src flows each: a SYN and one segment per flow.
    Run with small tables (--max-flows 16 --max-sources 8) to make them evict."""
    frames = []
    for f in range(per_src):
        for s in range(n_src):
            src = "203.0.113.%d" % (10 + s)
            sport, isn, t = 20000 + f, 1000 * f + s, 100000 + 1000 * f + s
            frames.append(tcp(src, SRV4, sport, 80, "S", isn, tsval=t, style="syn"))
            frames.append(tcp(src, SRV4, sport, 80, "A", isn + 1, 1, t + 1, 1, "est"))
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "evict.pcap"), frames)
    print("%d frames" % len(frames))


def main(argv):
    if len(argv) >= 2 and argv[0] == "fixture":
        fixture(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "evict":
        evict(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "bench":
        bench(argv[1], int(argv[2]) if len(argv) > 2 else 1024)
        return 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
