#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Packet corpus for the core parser and the TS option rewrite/strip (test_corpus.c).

Every frame is built with scapy. For a segment whose timestamp option the core must
understand, the expected output of pg_ts_rewrite() and pg_ts_strip() is built again by
scapy from the same description with the new option values (or ten NOPs in place of the
option) and scapy recomputes the TCP checksum from scratch: the C test then compares the
core's incremental update with an independent full computation, byte for byte.

Output: one case per line, whitespace separated (see FORMAT below); '#' lines are comments.
Deterministic: every field scapy would otherwise fill from the host (MACs, IDs) is set.

Usage: gen_corpus.py -o corpus.txt | gen_corpus.py --check corpus.txt
"""

import argparse
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import (  # noqa: E402
    ARP,
    ICMP,
    IP,
    UDP,
    Dot1AD,
    Dot1Q,
    Ether,
    ICMPv6EchoRequest,
    IPOption_Router_Alert,
    IPOption_RR,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Padding,
    Raw,
    TCP,
)

FORMAT = (
    "# name result family l3off thoff thlen flags seq ts_off tsval tsecr new_tsval new_tsecr"
    " frame rewrite strip\n"
    "# result: TCP (PG_PARSE_TCP) or a PG_STAT_ id without the prefix. Numbers are hex.\n"
    "# frame/rewrite/strip: hex bytes; '-' for rewrite/strip: the call must fail (-1) and\n"
    "# leave the frame untouched. '.' stands for an empty frame.\n"
)

MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
V4_C, V4_S = "192.0.2.10", "198.51.100.20"
V6_C, V6_S = "2001:db8::10", "2001:db8:1::20"

NOP = ("NOP", None)
EOL = ("EOL", None)
MSS = ("MSS", 1460)
SACKOK = ("SAckOK", b"")
WS = ("WScale", 7)


def TS(v, e):
    return ("Timestamp", (v, e))


# Encoded length of one option in scapy's list form (for the TS option's offset).
def opt_len(o):
    name, val = o
    if name in ("NOP", "EOL", 0, 1):
        return 1
    fixed = {"MSS": 4, "SAckOK": 2, "WScale": 3, "Timestamp": 10}
    if name in fixed:
        return fixed[name]
    if name == "SAck":
        return 2 + 4 * len(val)  # val: the edges, 4 bytes each
    if isinstance(name, int):
        return 2 + len(val)
    raise ValueError("unknown option %r" % (name,))


# ---- layers --------------------------------------------------------------------------------

def l2(tags=0, ad=False):
    """Ethernet, then `tags` VLAN tags; the outer one 802.1ad when ad."""
    p = Ether(src=MAC_C, dst=MAC_S)
    for i in range(tags):
        if i == 0 and ad:
            p = p / Dot1AD(vlan=100 + i, prio=0, id=0)
        else:
            p = p / Dot1Q(vlan=100 + i, prio=0, id=0)
    return p


def ip4(**kw):
    args = dict(src=V4_C, dst=V4_S, id=0x4242, ttl=64, flags="DF")
    args.update(kw)
    return IP(**args)


def ip6(**kw):
    args = dict(src=V6_C, dst=V6_S, hlim=64, fl=0x12345, tc=0)
    args.update(kw)
    return IPv6(**args)


def hbh():
    return IPv6ExtHdrHopByHop()


def dst(pad=0):
    # pad 8-byte units: exercises the (len + 1) * 8 arithmetic with a nonzero length field
    if pad:
        from scapy.all import PadN

        return IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * (pad * 8 + 4))])
    return IPv6ExtHdrDestOpt()


def rt():
    return IPv6ExtHdrRouting(addresses=[V6_S], segleft=0)


def tcp(flags="A", seq=0x10000001, ack=0x20000002, sport=40000, dport=443, **kw):
    return TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, window=64240, urgptr=0,
               **kw)


# ---- cases ---------------------------------------------------------------------------------

CASES = []


class Seg:
    """A TCP segment described so that scapy can build it three times: as is, with the TS
    option rewritten, and with the TS option replaced by ten NOPs.

    opts is either scapy's option list (the TS option as TS(v, e)) or raw option bytes with
    ts_at the TS option's offset within them (None: no TS option the core may touch)."""

    def __init__(self, name, under, opts, flags="A", payload=b"", trailer=b"", result="TCP",
                 new=(0xDEADBEEF, 0x01020304), ts_at=None, tcp_kw=None, seq=0x10000001,
                 ts_touch=True):
        self.name = name
        self.under = under  # function returning the layers below TCP
        self.opts = opts
        self.flags = flags
        self.payload = payload
        self.trailer = trailer
        self.result = result
        self.new = new
        self.ts_at = ts_at
        self.tcp_kw = tcp_kw or {}
        self.seq = seq
        self.ts_touch = ts_touch  # False: a TS option is there but the core must not use it

    def ts_index(self):
        if isinstance(self.opts, bytes):
            return self.ts_at
        idx = [i for i, o in enumerate(self.opts) if o[0] == "Timestamp"]
        if not idx:
            return None
        assert len(idx) == 1, self.name
        return sum(opt_len(o) for o in self.opts[: idx[0]])

    def ts_values(self):
        at = self.ts_index()
        raw = self.build_opts("keep")
        return (int.from_bytes(raw[at + 2 : at + 6], "big"),
                int.from_bytes(raw[at + 6 : at + 10], "big"))

    def build_opts(self, mode):
        """Option bytes (scapy's own encoding, padding included) for mode keep/rewrite/strip."""
        if isinstance(self.opts, bytes):
            raw = bytearray(self.opts)
            at = self.ts_at
            if mode == "rewrite":
                raw[at + 2 : at + 6] = self.new[0].to_bytes(4, "big")
                raw[at + 6 : at + 10] = self.new[1].to_bytes(4, "big")
            elif mode == "strip":
                raw[at : at + 10] = b"\x01" * 10
            return bytes(raw)
        return bytes(TCP(options=self.opt_list(mode)))[20:]

    def opt_list(self, mode):
        out = []
        for o in self.opts:
            if o[0] == "Timestamp" and mode == "rewrite":
                out.append(TS(*self.new))
            elif o[0] == "Timestamp" and mode == "strip":
                out += [NOP] * 10
            else:
                out.append(o)
        return out

    def frame(self, mode="keep"):
        kw = dict(self.tcp_kw)
        if isinstance(self.opts, bytes):
            raw = self.build_opts(mode)
            assert len(raw) % 4 == 0, self.name
            kw.setdefault("dataofs", 5 + len(raw) // 4)
            seg = tcp(self.flags, seq=self.seq, **kw) / Raw(raw + self.payload)
        else:
            seg = tcp(self.flags, seq=self.seq, options=self.opt_list(mode), **kw)
            if self.payload:
                seg = seg / Raw(self.payload)
        p = self.under() / seg
        if self.trailer:
            p = p / Padding(self.trailer)
        return bytes(p)


class Other:
    """A frame the core must leave alone: result is its reason."""

    def __init__(self, name, build, result):
        self.name = name
        self.build = build
        self.result = result


def seg(*a, **kw):
    CASES.append(Seg(*a, **kw))


def other(name, build, result):
    CASES.append(Other(name, build, result))


def E4(tags=0, ad=False, **kw):
    return lambda: l2(tags, ad) / ip4(**kw)


def E6(*ext, tags=0, ad=False, **kw):
    def f():
        p = l2(tags, ad) / ip6(**kw)
        for e in ext:
            p = p / e()
        return p

    return f


LINUX_SYN = lambda v, e=0: [MSS, SACKOK, TS(v, e), NOP, WS]  # noqa: E731
NNTS = lambda v, e: [NOP, NOP, TS(v, e)]  # noqa: E731
TSB = lambda v, e: b"\x08\x0a" + v.to_bytes(4, "big") + e.to_bytes(4, "big")  # noqa: E731
SACK3 = ("SAck", (0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000))

# -- L2 variants, TS understood
seg("eth_ipv4_linux_syn", E4(), LINUX_SYN(0x11223344), flags="S", new=(0x55667788, 0))
seg("eth_ipv4_fastpath_ack_odd_payload", E4(), NNTS(0x0A0B0C0D, 0x01010101), flags="PA",
    payload=b"hello world")
seg("vlan_ipv4_linux_syn", E4(tags=1), LINUX_SYN(0x7FFFFFFF), flags="S", new=(0x80000000, 0))
seg("vlan_ipv6_fastpath", E6(tags=1), NNTS(1000, 2000), payload=b"x" * 100)
seg("qinq_ipv4_linux_syn", E4(tags=2, ad=True), LINUX_SYN(0xCAFEBABE), flags="S")
seg("qinq_ipv6_ts_odd", E6(tags=2, ad=True), [MSS, NOP, TS(0x01234567, 0x89ABCDEF)],
    flags="SA", new=(0x89ABCDEF, 0x01234567))
seg("qinq_8021q_outer_ipv4_fastpath", E4(tags=2, ad=False), NNTS(5, 6), payload=b"ab")
# -- TS option positions (offsets from the TCP header)
seg("ts_first_20", E4(), [TS(0x12345678, 0x9ABCDEF0), NOP, NOP])
seg("ts_last_26_exact_end", E4(), [MSS, NOP, NOP, TS(0xA5A5A5A5, 0x5A5A5A5A)], flags="S")
seg("ts_22_after_sackok_32_byte_not_fastpath", E4(), [SACKOK, TS(77, 88)], flags="S")
seg("ts_21_after_one_nop_odd", E4(), [NOP, TS(0x00FF00FF, 0xFF00FF00)], payload=b"\xff" * 7)
seg("ts_25_after_mss_nop_odd", E4(), [MSS, NOP, TS(0xFFFF0000, 0x0000FFFF)], flags="S")
seg("ts_27_after_mss_ws_odd_eol_pad", E4(), [MSS, WS, TS(0x80808080, 0x7F7F7F7F)], flags="S")
seg("ts_22_before_sack_60_byte_hdr", E4(), [NOP, NOP, TS(0x11111111, 0x22222222), NOP, NOP,
                                            SACK3], payload=b"q" * 33)
seg("ts_50_last_in_60_byte_hdr", E4(), [SACK3, NOP, NOP, NOP, NOP, TS(0x31415926, 0x27182818)])
seg("ts_49_odd_in_60_byte_hdr", E4(), [SACK3, NOP, NOP, NOP, TS(0x31415926, 0x27182818)])
seg("ts_after_unknown_kind", E4(), [(254, b"\x12\x34\x56\x78"), TS(3, 4), NOP, NOP])
seg("ts_after_unknown_kind_odd", E4(), [(253, b"\x99"), TS(3, 4), NOP], flags="S")
seg("ts_35_after_14_nops_15_steps", E4(), b"\x01" * 14 + TSB(0x600DF00D, 0x0BADF00D),
    ts_at=14)
seg("ts_after_eol_ignored", E4(), b"\x00" + TSB(0x11223344, 0x55667788) + b"\x00",
    ts_touch=False)
seg("ts_after_eol_after_mss_ignored", E4(), b"\x02\x04\x05\xb4\x00\x01" + TSB(1, 2),
    flags="S", ts_touch=False)
# -- no TS
seg("no_ts_syn", E4(), [MSS, SACKOK, NOP, WS], flags="S")
seg("no_options_ack", E4(), [], payload=b"data")
seg("no_ts_ipv6_syn", E6(), [MSS, NOP, NOP, SACKOK, NOP, WS], flags="S")
seg("no_ts_all_nops", E4(), [NOP] * 12)
# -- values near the wrap
seg("wrap_ffffffff_to_0", E4(), NNTS(0xFFFFFFFF, 0xFFFFFFFE), new=(0, 0xFFFFFFFF))
seg("wrap_0_to_ffffffff_odd", E4(), [NOP, TS(0, 0)], new=(0xFFFFFFFF, 0xFFFFFFFF))
seg("wrap_ffff_values_odd", E4(), [MSS, NOP, TS(0xFFFF, 0xFFFF0000)], flags="S",
    new=(0xFFFF0000, 0xFFFF))
seg("rewrite_same_values", E4(), NNTS(0x01020304, 0x05060708), new=(0x01020304, 0x05060708))
seg("rewrite_to_zero", E6(), NNTS(0x01020304, 0x05060708), new=(0, 0))
seg("rewrite_from_zero_fastpath", E6(), NNTS(0, 0), new=(1, 0x80000000), payload=b"z")
# -- IPv4 options
seg("ipv4_router_alert_ts_odd", E4(options=[IPOption_Router_Alert()]),
    [NOP, TS(0xDEAD0001, 0xBEEF0002)])
seg("ipv4_ihl15_rr_fastpath", E4(options=[IPOption_RR(routers=["10.0.0.%d" % i
                                                                for i in range(9)])]),
    NNTS(0x10203040, 0x50607080), payload=b"xyz")
seg("ipv4_df_is_not_fragment", E4(flags="DF"), LINUX_SYN(9), flags="S")
# -- IPv6 extension headers
seg("ipv6_plain_linux_syn", E6(), LINUX_SYN(0x01000000), flags="S")
seg("ipv6_hbh", E6(hbh), NNTS(0xAAAAAAAA, 0xBBBBBBBB))
seg("ipv6_routing", E6(rt), [NOP, TS(0xAAAAAAAA, 0xBBBBBBBB)])
seg("ipv6_dstopts_len2", E6(lambda: dst(2)), NNTS(0xAAAAAAAA, 0xBBBBBBBB), payload=b"p" * 5)
seg("ipv6_chain_hbh_rt_dst", E6(hbh, rt, dst), LINUX_SYN(0xF0F0F0F0), flags="S")
seg("ipv6_chain_4_at_cap", E6(hbh, dst, rt, dst), [MSS, NOP, TS(1, 2)], flags="S")
# -- trailers: bytes after the IP packet are not part of TCP (nor of its checksum)
seg("eth_trailer_after_ipv4", E4(), NNTS(0x01020304, 0x0A0B0C0D), payload=b"abc",
    trailer=b"\xaa\xbb\xcc\xdd\xee")
seg("eth_trailer_after_ipv4_syn_odd_ts", E4(), [MSS, NOP, TS(0x01020304, 0)], flags="S",
    trailer=b"\x5a" * 6)
seg("eth_trailer_after_ipv6", E6(), NNTS(0x01020304, 0x0A0B0C0D), payload=b"a",
    trailer=b"\xff" * 8)
seg("eth_trailer_zeros_vlan", E4(tags=1), [NOP, TS(0xFFFFFFFF, 1)], trailer=b"\x00" * 4)
seg("large_payload_1400", E4(), NNTS(0x7A7A7A7A, 0x3C3C3C3C),
    payload=bytes(range(256)) * 5 + bytes(range(120)))
seg("flags_fin_rst", E4(), NNTS(1, 2), flags="FR")

# -- malformed TCP options: the segment is not understood, the frame stays untouched
seg("opt_len0", E4(), b"\x01\x01" + TSB(1, 2) + b"\x03\x00\x01\x01", result="OPT_LEN",
    ts_touch=False)
seg("opt_len1", E4(), b"\x02\x04\x05\xb4\x03\x01\x01\x01", result="OPT_LEN", flags="S")
seg("opt_overrun_len", E4(), b"\x01\x01" + TSB(1, 2) + b"\x02\x08\x05\xb4",
    result="OPT_OVERRUN", ts_touch=False)
seg("opt_overrun_kind_in_last_byte", E4(), b"\x01\x01\x01\x02", result="OPT_OVERRUN")
seg("ts_runs_past_header", E4(), b"\x01" * 6 + b"\x08\x0a", result="OPT_OVERRUN")
seg("ts_len8", E4(), b"\x08\x08" + b"\x11" * 6 + b"\x01" * 4, result="TS_LEN")
seg("ts_len12", E4(), b"\x08\x0c" + b"\x11" * 10, result="TS_LEN")
seg("ts_len12_after_valid_ts", E4(), b"\x01\x01" + TSB(5, 6) + b"\x08\x0c" + b"\x22" * 10
    + b"\x01" * 4, result="TS_LEN", ts_touch=False)
seg("ts_dup", E4(), b"\x01\x01" + TSB(1, 2) + b"\x01\x01" + TSB(3, 4), result="TS_DUP",
    ts_touch=False)
seg("opt_cap_17_nops_then_ts", E4(), b"\x01" * 17 + TSB(1, 2) + b"\x00", result="OPT_CAP",
    ts_touch=False)
seg("opt_cap_40_nops", E4(), b"\x01" * 40, result="OPT_CAP")
# The cap's boundary: 16 options are walked (a 17th step may only find the end), 17 are not.
seg("opt_16_options_exact_end", E4(), b"\x01" * 14 + b"\x02\x04\x05\xb4" + TSB(0x16161616, 2),
    ts_at=18, flags="S")
seg("opt_16_options_then_eol", E4(), b"\x01" * 15 + TSB(0x16161616, 2) + b"\x00" * 3, ts_at=15)
seg("opt_cap_17_options_exact_end", E4(), b"\x01" * 15 + b"\x03\x03\x07" + TSB(1, 2),
    result="OPT_CAP", flags="S", ts_touch=False)
seg("opt_cap_17_options_then_eol", E4(), b"\x01" * 16 + TSB(1, 2) + b"\x00" * 2,
    result="OPT_CAP", ts_touch=False)
# -- malformed TCP header
seg("tcp_doff4", E4(), [], result="BAD_TCP", tcp_kw={"dataofs": 4})
seg("tcp_doff15_past_segment", E4(), [], result="BAD_TCP", tcp_kw={"dataofs": 15})
seg("tcp_doff_past_ip_len_into_trailer", E4(len=40), b"\x01\x01" + TSB(1, 2),
    result="BAD_TCP")
seg("tcp_segment_19_bytes", E4(len=39), [], result="BAD_TCP")
seg("ipv6_tcp_doff_past_plen", E6(plen=20), b"\x01\x01" + TSB(1, 2), result="BAD_TCP")


def trunc(n, f):
    return lambda: f()[:n]


def raw_eth(etype, body=b""):
    return lambda: bytes(Ether(src=MAC_C, dst=MAC_S, type=etype)) + body


# -- L2
other("empty_frame", lambda: b"", "BAD_L2")
other("eth_13_bytes", trunc(13, lambda: bytes(l2() / ip4() / tcp())), "BAD_L2")
other("eth_14_bytes_ipv4_type", raw_eth(0x0800), "BAD_IP")
other("vlan_tag_truncated", trunc(16, lambda: bytes(l2(1) / ip4() / tcp())), "BAD_L2")
other("qinq_inner_tag_truncated", trunc(20, lambda: bytes(l2(2, True) / ip4() / tcp())),
      "BAD_L2")
other("three_vlan_tags", lambda: bytes(l2(3, True) / ip4() / tcp(options=NNTS(1, 2))),
      "NOT_IP")
other("arp", lambda: bytes(Ether(src=MAC_C, dst="ff:ff:ff:ff:ff:ff")
                           / ARP(hwsrc=MAC_C, psrc=V4_C, hwdst="00:00:00:00:00:00",
                                 pdst=V4_S)), "NOT_IP")
other("vlan_arp", lambda: bytes(l2(1) / ARP(hwsrc=MAC_C, psrc=V4_C, hwdst=MAC_S, pdst=V4_S)),
      "NOT_IP")
other("lldp_ethertype", raw_eth(0x88CC, b"\x02\x07\x04" + b"\x00" * 40), "NOT_IP")
# -- IPv4
other("ipv4_udp", lambda: bytes(l2() / ip4() / UDP(sport=53, dport=53) / Raw(b"q" * 8)),
      "NOT_TCP")
other("ipv4_icmp", lambda: bytes(l2() / ip4() / ICMP(id=1, seq=1)), "NOT_TCP")
other("ipv4_truncated_header", trunc(14 + 19, lambda: bytes(l2() / ip4() / tcp())),
      "BAD_IP")
other("ipv4_ihl4", lambda: bytes(l2() / ip4(ihl=4) / tcp(options=NNTS(1, 2))), "BAD_IP")
other("ipv4_ihl0", lambda: bytes(l2() / ip4(ihl=0) / tcp(options=NNTS(1, 2))), "BAD_IP")
other("ipv4_version6", lambda: bytes(l2() / ip4(version=6) / tcp(options=NNTS(1, 2))),
      "BAD_IP")
other("ipv4_totlen_past_frame", lambda: bytes(l2() / ip4(len=1000) / tcp(options=NNTS(1, 2))),
      "BAD_IP")
other("ipv4_totlen_one_past_frame", lambda: bytes(l2() / ip4(len=20 + 32 + 1)
                                                  / tcp(options=NNTS(1, 2))), "BAD_IP")
other("ipv4_totlen_below_ihl", lambda: bytes(l2() / ip4(len=19) / tcp(options=NNTS(1, 2))),
      "BAD_IP")
other("ipv4_ihl_past_frame", lambda: bytes(l2() / ip4(ihl=15, len=60) / Raw(b"\0" * 20)),
      "BAD_IP")
other("ipv4_mf", lambda: bytes(l2() / ip4(flags="MF") / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv4_frag_offset", lambda: bytes(l2() / ip4(flags=0, frag=185)
                                        / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv4_frag_offset_mf_df", lambda: bytes(l2() / ip4(flags="MF+DF", frag=1)
                                              / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv4_fragment_udp", lambda: bytes(l2() / ip4(flags="MF") / UDP()), "FRAGMENT")
# -- IPv6
other("ipv6_udp", lambda: bytes(l2() / ip6() / UDP(sport=53, dport=53)), "NOT_TCP")
other("ipv6_icmpv6", lambda: bytes(l2() / ip6() / ICMPv6EchoRequest(id=1, seq=1)), "NOT_TCP")
other("ipv6_no_next_header", lambda: bytes(l2() / ip6(nh=59, plen=8) / Raw(b"\0" * 8)),
      "NOT_TCP")
other("ipv6_hbh_udp", lambda: bytes(l2() / ip6() / hbh() / UDP()), "NOT_TCP")
other("ipv6_frag", lambda: bytes(l2() / ip6() / IPv6ExtHdrFragment(id=0x1234, m=1, offset=0)
                                 / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv6_atomic_frag", lambda: bytes(l2() / ip6() / IPv6ExtHdrFragment(id=7, m=0, offset=0)
                                        / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv6_hbh_dst_frag", lambda: bytes(l2() / ip6() / hbh() / dst()
                                         / IPv6ExtHdrFragment(id=1, m=0, offset=100)
                                         / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv6_4_ext_then_frag", lambda: bytes(l2() / ip6() / hbh() / dst() / rt() / dst()
                                            / IPv6ExtHdrFragment(id=1, m=1)
                                            / tcp(options=NNTS(1, 2))), "FRAGMENT")
other("ipv6_chain_5_over_cap", lambda: bytes(l2() / ip6() / hbh() / dst() / rt() / dst()
                                             / dst() / tcp(options=NNTS(1, 2))), "IP6_EXT")
other("ipv6_ext_truncated", lambda: bytes(l2() / ip6(nh=0, plen=4) / Raw(b"\x06\0\0\0")),
      "IP6_EXT")
other("ipv6_ext_len_past_plen", lambda: bytes(l2() / ip6(nh=0, plen=8)
                                              / Raw(b"\x06\x01" + b"\0" * 6)
                                              / Padding(b"\0" * 8)), "IP6_EXT")
other("ipv6_truncated_header", trunc(14 + 39, lambda: bytes(l2() / ip6() / tcp())), "BAD_IP")
other("ipv6_version4", lambda: bytes(l2() / ip6(version=4) / tcp(options=NNTS(1, 2))),
      "BAD_IP")
other("ipv6_plen0", lambda: bytes(l2() / ip6(plen=0) / tcp(options=NNTS(1, 2))), "BAD_IP")
other("ipv6_plen_past_frame", lambda: bytes(l2() / ip6(plen=33) / tcp(options=NNTS(1, 2))),
      "BAD_IP")
# IPv4-mapped addresses (::ffff:a.b.c.d) are not understood in either field, as they would
# alias IPv4 state; near misses are ordinary IPv6.
other("ipv6_src_v4mapped", lambda: bytes(l2() / ip6(src="::ffff:192.0.2.10")
                                         / tcp(options=NNTS(1, 2))), "BAD_IP")
other("ipv6_dst_v4mapped", lambda: bytes(l2() / ip6(dst="::ffff:198.51.100.20")
                                         / tcp(options=NNTS(1, 2))), "BAD_IP")
seg("ipv6_v4compat_not_mapped", E6(src="::192.0.2.10"), NNTS(0x600D, 0xF00D))
seg("ipv6_fffe_not_mapped", E6(dst="::fffe:198.51.100.20"), [NOP, TS(0x600D, 0xF00D)])
seg("ipv6_mapped_suffix_nonzero_prefix", E6(src="1::ffff:192.0.2.10"), NNTS(7, 8))
other("vlan_ipv6_frag", lambda: bytes(l2(1) / ip6() / IPv6ExtHdrFragment(id=2, m=1)
                                      / tcp(options=NNTS(1, 2))), "FRAGMENT")


# ---- output --------------------------------------------------------------------------------

def diff_positions(a, b):
    assert len(a) == len(b)
    return [i for i in range(len(a)) if a[i] != b[i]]


def hx(b):
    return b.hex() if b else "."


def emit():
    lines = [FORMAT]
    names = set()
    for c in CASES:
        assert c.name not in names, c.name
        names.add(c.name)
        if isinstance(c, Other):
            lines.append("%s %s 0 0 0 0 0 0 0 0 0 0 0 %s - -\n" % (c.name, c.result,
                                                                  hx(c.build())))
            continue
        frame = c.frame()
        if c.result != "TCP":
            lines.append("%s %s 0 0 0 0 0 0 0 0 0 %x %x %s - -\n" % (
                c.name, c.result, c.new[0], c.new[1], hx(frame)))
            continue
        p = Ether(frame)
        vl = 0
        while p.type in (0x8100, 0x88A8) and vl < 8:
            vl += 1
            p = p.payload
        l3off = 14 + 4 * vl
        ipl = p.payload
        if isinstance(ipl, IP):
            family, thoff = 4, l3off + ipl.ihl * 4
        else:
            family, thoff = 6, l3off + 40
            q = ipl.payload
            while not isinstance(q, TCP):
                thoff += len(bytes(q)) - len(bytes(q.payload))
                q = q.payload
        th = frame[thoff:]
        assert len(th) >= 20, (c.name, thoff, len(frame))
        thlen = (th[12] >> 4) * 4
        flags = th[13]
        seq = int.from_bytes(th[4:8], "big")
        at = c.ts_index() if c.ts_touch else None
        if at is None:
            ts_off = tsval = tsecr = 0
            rw = st = "-"
        else:
            ts_off = 20 + at
            tsval, tsecr = c.ts_values()
            assert len(th) >= ts_off + 10, (c.name, ts_off, len(th), thoff)
            assert th[ts_off] == 8 and th[ts_off + 1] == 10, c.name
            assert int.from_bytes(th[ts_off + 2 : ts_off + 6], "big") == tsval, c.name
            rwb = c.frame("rewrite")
            stb = c.frame("strip")
            # scapy built the variants from scratch: only the option and the checksum differ
            csum = {thoff + 16, thoff + 17}
            opt = set(range(thoff + ts_off, thoff + ts_off + 10))
            assert set(diff_positions(frame, rwb)) <= csum | opt, c.name
            assert set(diff_positions(frame, stb)) <= csum | opt, c.name
            assert stb[thoff + ts_off : thoff + ts_off + 10] == b"\x01" * 10, c.name
            rw, st = hx(rwb), hx(stb)
        lines.append("%s %s %x %x %x %x %x %x %x %x %x %x %x %s %s %s\n" % (
            c.name, c.result, family, l3off, thoff, thlen, flags, seq, ts_off, tsval, tsecr,
            c.new[0], c.new[1], hx(frame), rw, st))
    return "".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output")
    ap.add_argument("--check", help="regenerate and compare with this file")
    a = ap.parse_args()
    text = emit()
    if a.check:
        with open(a.check) as f:
            old = f.read()
        if old != text:
            sys.stderr.write("corpus differs from a fresh generation: not deterministic\n")
            return 1
        print("corpus: %d cases, regenerated identically" % len(CASES))
        return 0
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
