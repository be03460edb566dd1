#!/usr/bin/python3
"""Short HTTP/1.0-style connections for the SNAT-under-pressure test (snat_e2e.sh). Stdlib.

server --addr A --port P --timeout S
    Accepts connections until --timeout seconds have passed or SIGTERM. For each: reads
    the request, sends a short response and closes FIRST, so that the server holds the
    TIME-WAIT socket of every 4-tuple, as a web server answering HTTP/1.0 does. Prints
    {"served", "peer_ports" (distinct client ports seen)} when it stops.

client --addr A --port P --count N --netns NS[,NS...] [--connect-timeout T] [--slow S]
       [--deadline S] [--sport PORT --gap S] [--bind ADDR]
    N connections one after another, taking turns from the network namespaces NS (their
    names under /run/netns: the clients behind the NAT), each from an ephemeral source
    port that the NAT maps onto its few outside ports (or from --sport PORT, --gap
    seconds apart; --bind: from that local address): connect, send a request, read the
    response up to EOF, close. One process and one connection at a time: two clients
    connecting at once through one NAT also lose SYNs to conntrack insert races
    (insert_failed), a failure of its own that would blur this one. No connection starts
    after --deadline seconds. Prints one JSON line: {"done" (connections tried), "ok",
    "fail", "slow" (connects that took S seconds or more: a SYN retransmit),
    "max_connect_s", "connect_s_sum", "errors"}.
"""
import argparse
import ctypes
import os
import json
import signal
import socket
import sys
import time

REQ = b"GET / HTTP/1.0\r\n\r\n"
RESP = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def run_server(a):
    fam = family_of(a.addr)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    ls.bind((a.addr, a.port))
    ls.listen(64)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    deadline = time.monotonic() + a.timeout
    served = 0
    ports = set()
    while not stop:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        # Short waits: SIGTERM does not interrupt accept() (PEP 475), the loop sees it.
        ls.settimeout(min(left, 0.2))
        try:
            c, peer = ls.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        ports.add(peer[1])
        c.settimeout(5)
        try:
            got = b""
            while b"\r\n\r\n" not in got and len(got) < 4096:
                b = c.recv(4096)
                if not b:
                    break
                got += b
            c.sendall(RESP)
            served += 1
        except OSError:
            pass
        c.close()
    print(json.dumps({"served": served, "peer_ports": len(ports)}), flush=True)


CLONE_NEWNET = 0x40000000


def netns_fds(names):
    """Open the namespaces once; a socket lives in the namespace it was created in."""
    return [os.open("/run/netns/" + n, os.O_RDONLY) for n in names.split(",")]


def enter(libc, fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def run_client(a):
    fam = family_of(a.addr)
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fds = netns_fds(a.netns)
    ok = fail = slow = 0
    cmax = csum = 0.0
    errors = {}
    done = 0
    end = time.monotonic() + a.deadline
    for i in range(a.count):
        if time.monotonic() > end:
            break
        if i and a.gap:
            time.sleep(a.gap)
        done += 1
        enter(libc, fds[i % len(fds)])
        s = socket.socket(fam, socket.SOCK_STREAM)
        if a.sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if a.sport or a.bind:
            s.bind((a.bind or "", a.sport))
        s.settimeout(a.connect_timeout)
        t0 = time.monotonic()
        try:
            s.connect((a.addr, a.port))
            dt = time.monotonic() - t0
            cmax = max(cmax, dt)
            csum += dt
            if dt >= a.slow:
                slow += 1
            s.settimeout(5)
            s.sendall(REQ)
            got = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
            if got.startswith(b"HTTP/1.0 200"):
                ok += 1
            else:
                fail += 1
                errors["short response"] = errors.get("short response", 0) + 1
        except OSError as e:
            fail += 1
            k = type(e).__name__ if not e.strerror else e.strerror
            errors[k] = errors.get(k, 0) + 1
        finally:
            s.close()
    print(json.dumps({"done": done, "ok": ok, "fail": fail, "slow": slow, "max_connect_s": round(cmax, 3),
                      "connect_s_sum": round(csum, 3), "errors": errors}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--addr", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--timeout", type=float, default=120)
    c = sub.add_parser("client")
    c.add_argument("--addr", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--netns", required=True)
    c.add_argument("--connect-timeout", type=float, default=5)
    c.add_argument("--slow", type=float, default=0.5)
    c.add_argument("--deadline", type=float, default=300)
    c.add_argument("--sport", type=int, default=0)
    c.add_argument("--gap", type=float, default=0)
    c.add_argument("--bind", default="")
    a = p.parse_args()
    if a.mode == "server":
        run_server(a)
    else:
        run_client(a)


if __name__ == "__main__":
    main()
