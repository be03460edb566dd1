#!/usr/bin/python3
"""Long-lived TCP connections whose every message is accounted for (tests/e2e/heal_*.sh).
Stdlib only. Every mode is bounded by --duration (seconds).

server --addr A [--addr B ...] --port P --status FILE --duration S
    Listens on every address; echoes each line it reads ("ID SEQ PAD\\n") back at once.
    Checks that the SEQs of each ID arrive as 0, 1, 2, ... and writes, every 0.2 s
    (atomically), {"conns": {ID: {"recv", "peer", "ts", "closed", "error"}}}. Closes a
    connection when the client half-closes it.

client --name N --addr A [--addr B ...] --port P --busy K --idle M --status FILE
       --stop-file F --duration S [--busy-ms LO,HI] [--idle-s LO,HI] [--drain S]
    Opens K busy connections (a message every LO..HI ms, pipelined) and M idle ones (one
    message every LO..HI s, the first at once), round robin over the addresses. Each
    message is numbered; each echo must be the oldest unanswered message, byte for byte
    (else the connection is marked broken). Writes its status every 0.2 s:
    {"done", "conns": [{"id", "kind", "fam", "lport", "ts", "sent", "echoed", "gap_max",
    "error"}]} (gap_max: the longest wait, in seconds, for an echo while one was due).
    When F appears: no new messages, waits (at most --drain s) for the missing echoes,
    half-closes, waits for the server's close, writes "done": true and exits.
    Connections are never reopened: a connection that dies stays dead in the status.

window --before FILE... --after FILE... --expect N [--busy-min K] [--label L]
    Compares two snapshots of the clients' status files (taken some seconds apart): each of
    the N connections must be error-free, have every message sent before the window echoed
    by its end, and have exchanged at least one new message (a busy one at least K).

final --client FILE... --server FILE --expect N
    After the clients are done: per connection sent == echoed == received by the server, in
    order, no error, timestamps negotiated.

flood --iface IF --src-mac M --dst-mac M --dst4 A --dst6 B --port P --src4 A,A/24 ...
      --src6 ... --count4 N --count6 N [--pps R] [--sport-max P]
    Spoofed SYNs (MSS, SACK-permitted, timestamps with random TSvals, window scale) with
    random ISNs out of IF through an AF_PACKET socket, paced at R per second. A source
    given as a single address gets random source ports in 1024..P (below the clients'
    ephemeral range, so no SYN lands on a live 4-tuple); a prefix gets random hosts.
    Prints {"sent4", "sent6", "seconds"}.
"""
import argparse
import ipaddress
import json
import os
import random
import selectors
import socket
import struct
import sys
import time

TCPI_OPT_TIMESTAMPS = 1  # linux/tcp.h, tcpi_options bit


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def has_ts(sock):
    """tcpi_options is the 6th byte of struct tcp_info."""
    try:
        return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5] &
                    TCPI_OPT_TIMESTAMPS)
    except OSError:
        return None


def write_status(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def read_status(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------- server

class SrvConn:
    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = "%s:%d" % (peer[0], peer[1])
        self.ts = has_ts(sock)
        self.inbuf = b""
        self.outbuf = b""
        self.id = None


def run_server(a):
    sel = selectors.DefaultSelector()
    for addr in a.addr:
        fam = family_of(addr)
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        ls.bind((addr, a.port))
        ls.listen(64)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, None)
    conns = {}  # ID -> record
    end = time.monotonic() + a.duration
    next_status = 0.0

    def rec_of(cid, c):
        r = conns.get(cid)
        if r is None:
            r = conns[cid] = {"recv": 0, "peer": c.peer, "ts": c.ts, "closed": False,
                              "error": None}
        return r

    def drop(c, err):
        if c.id is not None:
            r = rec_of(c.id, c)
            r["closed"] = True
            if err and not r["error"]:
                r["error"] = err
        sel.unregister(c.sock)
        c.sock.close()

    def flush(c):
        """Send what the socket takes of c.outbuf; False when it failed (c is dropped)."""
        try:
            n = c.sock.send(c.outbuf)
            c.outbuf = c.outbuf[n:]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            drop(c, "%s: %s" % (type(e).__name__, e))
            return False
        return True

    while time.monotonic() < end:
        for key, ev in sel.select(timeout=0.1):
            if key.data is None:
                try:
                    s, peer = key.fileobj.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(s, selectors.EVENT_READ, SrvConn(s, peer))
                continue
            c = key.data
            if ev & selectors.EVENT_WRITE and c.outbuf and not flush(c):
                continue
            if ev & selectors.EVENT_READ:
                try:
                    b = c.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    b = None
                except OSError as e:
                    drop(c, "%s: %s" % (type(e).__name__, e))
                    continue
                if b == b"":
                    # The client half-closed after its last echo: a clean end.
                    drop(c, "EOF with a partial line" if c.inbuf else None)
                    continue
                if b:
                    c.inbuf += b
                    while b"\n" in c.inbuf:
                        line, c.inbuf = c.inbuf.split(b"\n", 1)
                        parts = line.split(b" ")
                        cid, seq = parts[0].decode(), int(parts[1])
                        c.id = cid
                        r = rec_of(cid, c)
                        if seq != r["recv"] and not r["error"]:
                            r["error"] = "message %d arrived when %d was due" % (seq, r["recv"])
                        r["recv"] += 1
                        c.outbuf += line + b"\n"
                    if not flush(c):
                        continue
            sel.modify(c.sock, selectors.EVENT_READ |
                       (selectors.EVENT_WRITE if c.outbuf else 0), c)
        now = time.monotonic()
        if now >= next_status:
            write_status(a.status, {"conns": conns})
            next_status = now + 0.2
    write_status(a.status, {"conns": conns})
    return 0


# ---------------------------------------------------------------- client

class CliConn:
    def __init__(self, cid, kind, addr, port, a):
        self.id, self.kind, self.addr = cid, kind, addr
        self.fam = 6 if ":" in addr else 4
        self.sent = self.echoed = 0
        self.pending = []  # lines sent, not echoed yet (oldest first)
        self.pending_since = None  # when the oldest unanswered message went out
        self.gap_max = 0.0
        self.error = None
        self.closed = False
        self.half_closed = False
        self.inbuf = b""
        self.outbuf = b""
        self.lport = 0
        self.ts = None
        if kind == "busy":
            lo, hi = a.busy_ms
            self.period = lambda: random.uniform(lo, hi) / 1000.0
        else:
            lo, hi = a.idle_s
            self.period = lambda: random.uniform(lo, hi)
        self.next_send = time.monotonic()
        self.sock = socket.socket(family_of(addr), socket.SOCK_STREAM)
        self.sock.settimeout(5.0)
        try:
            self.sock.connect((addr, port))
            self.lport = self.sock.getsockname()[1]
            self.ts = has_ts(self.sock)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
        except OSError as e:
            self.fail("connect: %s: %s" % (type(e).__name__, e))

    def fail(self, err):
        if not self.error:
            self.error = err
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def message(self):
        # Sizes vary so that some busy messages are several hundred bytes.
        pad = b"x" * (random.randint(8, 900) if self.kind == "busy" else 32)
        return b"%s %d %s\n" % (self.id.encode(), self.sent, pad)

    def status(self, now):
        gap = self.gap_max
        if self.pending_since is not None:
            gap = max(gap, now - self.pending_since)
        return {"id": self.id, "kind": self.kind, "fam": self.fam, "lport": self.lport,
                "ts": self.ts, "sent": self.sent, "echoed": self.echoed,
                "gap_max": round(gap, 3), "error": self.error, "closed": self.closed}


def run_client(a):
    conns = []
    kinds = ["busy"] * a.busy + ["idle"] * a.idle
    for i, kind in enumerate(kinds):
        addr = a.addr[i % len(a.addr)]
        cid = "%s.v%d.%s%d" % (a.name, 6 if ":" in addr else 4, kind, i)
        conns.append(CliConn(cid, kind, addr, a.port, a))
    end = time.monotonic() + a.duration
    stopping = None  # monotonic deadline of the drain once the stop file appeared
    next_status = 0.0
    sel = selectors.DefaultSelector()
    for c in conns:
        if not c.closed:
            sel.register(c.sock, selectors.EVENT_READ, c)

    def status(done):
        now = time.monotonic()
        write_status(a.status, {"name": a.name, "done": done,
                                "conns": [c.status(now) for c in conns]})

    while True:
        now = time.monotonic()
        if now >= end:
            for c in conns:
                if not c.closed and c.pending:
                    c.fail("still %d echoes missing at the end of --duration" % len(c.pending))
            break
        if stopping is None and os.path.exists(a.stop_file):
            stopping = now + a.drain
        live = [c for c in conns if not c.closed]
        if stopping is not None:
            for c in live:
                if not c.pending and not c.outbuf and not c.half_closed:
                    c.half_closed = True
                    try:
                        c.sock.shutdown(socket.SHUT_WR)
                    except OSError as e:
                        sel.unregister(c.sock)
                        c.fail("shutdown: %s: %s" % (type(e).__name__, e))
            if not live:
                break
            if now >= stopping:
                for c in live:
                    c.fail("%d echoes missing after the %.0f s drain" % (len(c.pending),
                                                                        a.drain))
                break
        for c in live:
            if stopping is None and now >= c.next_send:
                m = c.message()
                c.sent += 1
                if not c.pending:
                    c.pending_since = now
                c.pending.append(m)
                c.outbuf += m
                c.next_send = now + c.period()
            if c.outbuf:
                try:
                    n = c.sock.send(c.outbuf)
                    c.outbuf = c.outbuf[n:]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as e:
                    sel.unregister(c.sock)
                    c.fail("send: %s: %s" % (type(e).__name__, e))
        for key, _ in sel.select(timeout=0.01):
            c = key.data
            try:
                b = c.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                sel.unregister(c.sock)
                c.fail("recv: %s: %s" % (type(e).__name__, e))
                continue
            if b == b"":
                sel.unregister(c.sock)
                if c.half_closed and not c.pending:
                    c.closed = True
                    c.sock.close()
                else:
                    c.fail("the server closed the connection")
                continue
            c.inbuf += b
            t = time.monotonic()
            while b"\n" in c.inbuf:
                line, c.inbuf = c.inbuf.split(b"\n", 1)
                line += b"\n"
                if not c.pending or line != c.pending[0]:
                    c.error = c.error or "echo %r is not the oldest unanswered message" % line[:40]
                    continue
                c.pending.pop(0)
                c.echoed += 1
                c.gap_max = max(c.gap_max, t - c.pending_since)
                c.pending_since = t if c.pending else None
        if now >= next_status:
            status(False)
            next_status = now + 0.2
    for c in conns:
        if not c.closed:
            c.fail("not closed")
    status(True)
    return 0


# ---------------------------------------------------------------- checks

def merged(files):
    out = {}
    for f in files:
        for c in read_status(f)["conns"]:
            out[c["id"]] = c
    return out


def run_window(a):
    before, after = merged(a.before), merged(a.after)
    bad = 0
    for cid in sorted(after):
        b, c = before.get(cid), after[cid]
        why = []
        if b is None:
            why.append("not in the first snapshot")
            b = {"sent": 0, "echoed": 0}
        if c["error"]:
            why.append(c["error"])
        if c["echoed"] < b["sent"]:
            why.append("%d of the messages sent before the window never came back" %
                       (b["sent"] - c["echoed"]))
        new = c["echoed"] - b["echoed"]
        need = a.busy_min if c["kind"] == "busy" else 1
        if new < need:
            why.append("only %d new echoes (want >= %d)" % (new, need))
        bad += bool(why)
        print("  %-18s lport %5d sent %5d echoed %5d (+%d) gap_max %6.3fs %s" %
              (cid, c["lport"], c["sent"], c["echoed"], new, c["gap_max"],
               "ok" if not why else "FAILED: " + "; ".join(why)))
    missing = a.expect - len(after)
    print("window %s: %d/%d connections exchanging data, every earlier message echoed" %
          (a.label, len(after) - bad, a.expect))
    return 0 if bad == 0 and missing == 0 else 1


def run_final(a):
    cli = merged(a.client)
    srv = read_status(a.server)["conns"]
    bad = 0
    for cid in sorted(cli):
        c, s = cli[cid], srv.get(cid, {"recv": 0, "error": "never seen by the server"})
        why = []
        if c["error"]:
            why.append("client: " + c["error"])
        if s["error"]:
            why.append("server: " + s["error"])
        if not (c["sent"] == c["echoed"] == s["recv"]):
            why.append("sent %d, received by the server %d, echoed %d" %
                       (c["sent"], s["recv"], c["echoed"]))
        if c["ts"] is not True:
            why.append("no TCP timestamps on the connection")
        bad += bool(why)
        print("  %-18s sent %5d server %5d echoed %5d gap_max %6.3fs %s" %
              (cid, c["sent"], s["recv"], c["echoed"], c["gap_max"],
               "ok" if not why else "FAILED: " + "; ".join(why)))
    n = len(cli)
    print("final: %d/%d connections delivered every message in order (%d messages)" %
          (n - bad, a.expect, sum(c["sent"] for c in cli.values())))
    return 0 if bad == 0 and n == a.expect else 1


# ---------------------------------------------------------------- flood

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_tcp(sport, dport, pseudo):
    opts = struct.pack("!BBH BB BBII B BBB", 2, 4, 1460, 4, 2, 8, 10,
                       random.getrandbits(32), 0, 1, 3, 3, 7)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0,
                      (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts
    c = csum(pseudo(len(hdr)) + hdr)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:]


def frame4(eth, src, dst, sport, dport):
    s, d = src.packed, dst.packed
    tcp = syn_tcp(sport, dport, lambda n: s + d + struct.pack("!BBH", 0, 6, n))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000,
                     64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return eth + b"\x08\x00" + ip + tcp


def frame6(eth, src, dst, sport, dport):
    s, d = src.packed, dst.packed
    tcp = syn_tcp(sport, dport, lambda n: s + d + struct.pack("!I3xB", n, 6))
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, s, d)
    return eth + b"\x86\xdd" + ip + tcp


def sources(specs, sport_max):
    """(address, port) pickers: a single address gets random low ports, a prefix hosts."""
    out = []
    for spec in specs:
        net = ipaddress.ip_network(spec, strict=False)
        if net.num_addresses == 1:
            a = net.network_address
            out.append(lambda a=a: (a, random.randint(1024, sport_max)))
        else:
            size = min(net.num_addresses - 2, 1 << 20)
            base = int(net.network_address)
            out.append(lambda b=base, n=size, t=type(net.network_address):
                       (t(b + 1 + random.randrange(n)), random.randint(1024, 65535)))
    return out


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def run_flood(a):
    eth = mac_bytes(a.dst_mac) + mac_bytes(a.src_mac)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    jobs = []
    for specs, count, dst, mk in ((a.src4, a.count4, a.dst4, frame4),
                                  (a.src6, a.count6, a.dst6, frame6)):
        pick = sources(specs, a.sport_max)
        dsta = ipaddress.ip_address(dst) if dst else None
        for i in range(count):
            src, sport = pick[i % len(pick)]()
            jobs.append((mk is frame6, mk(eth, src, dsta, sport, a.port)))
    random.shuffle(jobs)
    t0 = time.monotonic()
    sent = [0, 0]
    for i, (v6, fr) in enumerate(jobs):
        # Paced: a burst would overflow the receiver's backlog and test nothing.
        ahead = t0 + i / a.pps - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        s.send(fr)
        sent[v6] += 1
    print(json.dumps({"sent4": sent[0], "sent6": sent[1],
                      "seconds": round(time.monotonic() - t0, 2)}))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("--addr", action="append", required=True)
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--status", required=True)
    sv.add_argument("--duration", type=float, required=True)
    cl = sub.add_parser("client")
    cl.add_argument("--name", required=True)
    cl.add_argument("--addr", action="append", required=True)
    cl.add_argument("--port", type=int, required=True)
    cl.add_argument("--busy", type=int, default=1)
    cl.add_argument("--idle", type=int, default=2)
    cl.add_argument("--busy-ms", type=lambda s: [float(x) for x in s.split(",")],
                    default=[50.0, 100.0])
    cl.add_argument("--idle-s", type=lambda s: [float(x) for x in s.split(",")],
                    default=[3.0, 5.0])
    cl.add_argument("--status", required=True)
    cl.add_argument("--stop-file", required=True)
    cl.add_argument("--duration", type=float, required=True)
    cl.add_argument("--drain", type=float, default=15.0)
    wn = sub.add_parser("window")
    wn.add_argument("--before", nargs="+", required=True)
    wn.add_argument("--after", nargs="+", required=True)
    wn.add_argument("--expect", type=int, required=True)
    wn.add_argument("--busy-min", type=int, default=10)
    wn.add_argument("--label", default="")
    fn = sub.add_parser("final")
    fn.add_argument("--client", nargs="+", required=True)
    fn.add_argument("--server", required=True)
    fn.add_argument("--expect", type=int, required=True)
    fl = sub.add_parser("flood")
    fl.add_argument("--iface", required=True)
    fl.add_argument("--src-mac", required=True)
    fl.add_argument("--dst-mac", required=True)
    fl.add_argument("--dst4")
    fl.add_argument("--dst6")
    fl.add_argument("--port", type=int, required=True)
    fl.add_argument("--src4", nargs="*", default=[])
    fl.add_argument("--src6", nargs="*", default=[])
    fl.add_argument("--count4", type=int, default=0)
    fl.add_argument("--count6", type=int, default=0)
    fl.add_argument("--pps", type=float, default=2000.0)
    fl.add_argument("--sport-max", type=int, default=32767)
    a = ap.parse_args()
    return {"server": run_server, "client": run_client, "window": run_window,
            "final": run_final, "flood": run_flood}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
