#!/usr/bin/python3
"""TCP peers for the TIME-WAIT PAWS scenario (tests/e2e/topo.sh). Stdlib only.

server --addr A --port P --bytes N --count K [--timeout S] [--hold S]
       [--io-timeout S] [--log FILE]
    Accepts connections one after another. For each: reads exactly N bytes,
    sends N bytes, optionally holds the connection for --hold seconds (so that
    `ss -tin` can look at it), then closes FIRST: the server, not the client,
    ends up with the TIME-WAIT socket, as in the field report. Exits after K
    connections or when --timeout seconds have passed. Per connection it
    appends one JSON line to --log (or stderr): peer, bytes, and whether the
    timestamp option was negotiated (TCP_INFO), which is what a strip-mode
    test needs to know after the fact.

client --addr A --port P --sport S --bytes N --connect-timeout T [--io-timeout S]
    Binds source port S (SO_REUSEADDR), connects within T seconds, sends N
    bytes, reads N bytes and waits for EOF, then closes. Because the server
    closed first, the client goes CLOSE_WAIT -> LAST_ACK -> CLOSED and never
    holds a TIME-WAIT socket, so the same source port is free again at once.
    Prints one JSON line {"ok", "connect_s", "sent", "recv", "error", "ts"}
    ("ts": timestamps negotiated, null if unknown) and exits 0 either way.
"""
import argparse
import json
import socket
import sys
import time

TCPI_OPT_TIMESTAMPS = 1  # linux/tcp.h, tcpi_options bit
CHUNK = 65536


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def has_ts(sock):
    """tcpi_options is the 6th byte of struct tcp_info."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return bool(info[5] & TCPI_OPT_TIMESTAMPS)
    except OSError:
        return None


def payload(n):
    pattern = bytes(range(256))
    return (pattern * (n // 256 + 1))[:n]


def recv_exact(sock, n):
    """Read exactly n bytes (fewer only on EOF). Socket timeout applies per call."""
    got = bytearray()
    while len(got) < n:
        b = sock.recv(min(CHUNK, n - len(got)))
        if not b:
            break
        got += b
    return len(got)


def run_server(a):
    fam = family_of(a.addr)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    ls.bind((a.addr, a.port))
    ls.listen(16)
    logf = open(a.log, "a", buffering=1) if a.log else sys.stderr
    deadline = time.monotonic() + a.timeout
    data = payload(a.bytes)
    served = 0
    while served < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ls.settimeout(left)
        try:
            c, peer = ls.accept()
        except (socket.timeout, InterruptedError):
            break
        served += 1
        rec = {"peer": "%s:%d" % (peer[0], peer[1]), "recv": 0, "sent": 0,
               "ts": has_ts(c), "error": None}
        try:
            c.settimeout(a.io_timeout)
            rec["recv"] = recv_exact(c, a.bytes)
            if rec["recv"] == a.bytes:
                c.sendall(data)
                rec["sent"] = a.bytes
                if a.hold > 0:
                    time.sleep(a.hold)
        except OSError as e:
            rec["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            # Close first: FIN now, the TIME-WAIT socket stays with us.
            c.close()
        logf.write(json.dumps(rec) + "\n")
    ls.close()
    return 0


def run_client(a):
    fam = family_of(a.addr)
    res = {"ok": False, "connect_s": 0.0, "sent": 0, "recv": 0, "error": None, "ts": None}
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
        s.settimeout(a.connect_timeout)
        t0 = time.monotonic()
        try:
            s.connect((a.addr, a.port))
        finally:
            res["connect_s"] = round(time.monotonic() - t0, 3)
        res["ts"] = has_ts(s)
        s.settimeout(a.io_timeout)
        s.sendall(payload(a.bytes))
        res["sent"] = a.bytes
        res["recv"] = recv_exact(s, a.bytes)
        # Wait for the server's FIN so that we close second (no TIME-WAIT here).
        extra = s.recv(1)
        if extra:
            res["error"] = "peer sent more than %d bytes" % a.bytes
        elif res["recv"] != a.bytes:
            res["error"] = "short read: %d of %d bytes" % (res["recv"], a.bytes)
        else:
            res["ok"] = True
    except socket.timeout as e:
        res["error"] = "timeout: %s" % (e or "timed out")
    except OSError as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    print(json.dumps(res), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("--addr", required=True)
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--bytes", type=int, required=True)
    sv.add_argument("--count", type=int, default=1)
    sv.add_argument("--timeout", type=float, default=120.0, help="overall bound, seconds")
    sv.add_argument("--io-timeout", type=float, default=10.0)
    sv.add_argument("--hold", type=float, default=0.0, help="seconds to keep each connection before closing")
    sv.add_argument("--log", help="append one JSON line per connection here (default stderr)")
    cl = sub.add_parser("client")
    cl.add_argument("--addr", required=True)
    cl.add_argument("--port", type=int, required=True)
    cl.add_argument("--sport", type=int, required=True)
    cl.add_argument("--bytes", type=int, required=True)
    cl.add_argument("--connect-timeout", type=float, required=True)
    cl.add_argument("--io-timeout", type=float, default=10.0)
    a = ap.parse_args()
    return run_server(a) if a.mode == "server" else run_client(a)


if __name__ == "__main__":
    sys.exit(main())
