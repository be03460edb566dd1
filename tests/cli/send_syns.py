#!/usr/bin/python3
"""TCP segments with chosen TSvals, sent out of an interface or appended to a pcap file
(test traffic for the CLI tests).

usage: send_syns.py (--iface IFACE | --pcap FILE) SRC DST SPORT TSVAL[,TSVAL...] [--flags S|A]
Each TSval is one segment from its own source port (SPORT, SPORT+1, ...); the ISN is
derived from the TSval, so every segment is a new connection attempt.
"""
import argparse
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, TCP, sendp, wrpcap  # noqa: E402

ap = argparse.ArgumentParser()
out = ap.add_mutually_exclusive_group(required=True)
out.add_argument("--iface")
out.add_argument("--pcap")
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("sport", type=int)
ap.add_argument("tsvals")
ap.add_argument("--flags", default="S")
a = ap.parse_args()
ipl = IPv6 if ":" in a.src else IP
for i, ts in enumerate(int(t) for t in a.tsvals.split(",")):
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (ts, 0)), ("NOP", None), ("WScale", 7)]
    p = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / ipl(src=a.src, dst=a.dst) / TCP(
        sport=a.sport + i, dport=80, flags=a.flags, seq=1000 + ts, options=opts)
    if a.pcap:
        wrpcap(a.pcap, p, append=True)
    else:
        sendp(p, iface=a.iface, verbose=False)
