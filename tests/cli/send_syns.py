#!/usr/bin/python3
"""Send TCP segments with chosen TSvals out of an interface (test traffic for the CLI tests).

usage: send_syns.py IFACE SRC DST SPORT TSVAL[,TSVAL...] [--flags S|A] [--dmac MAC]
Each TSval is one segment; the SYN ISN is derived from the source port and TSval, so a
new TSval is a new connection attempt.
"""
import argparse
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, TCP, sendp  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("iface")
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("sport", type=int)
ap.add_argument("tsvals")
ap.add_argument("--flags", default="S")
ap.add_argument("--dmac", default="ff:ff:ff:ff:ff:ff")
a = ap.parse_args()
ipl = IPv6 if ":" in a.src else IP
for i, ts in enumerate(int(t) for t in a.tsvals.split(",")):
    opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (ts, 0)), ("NOP", None), ("WScale", 7)]
    p = Ether(dst=a.dmac) / ipl(src=a.src, dst=a.dst) / TCP(
        sport=a.sport + i, dport=80, flags=a.flags, seq=1000 + ts, options=opts)
    sendp(p, iface=a.iface, verbose=False)
