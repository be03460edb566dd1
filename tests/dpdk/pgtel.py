#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal DPDK telemetry v2 client for the pawsguard-dpdk tests and benchmark.

  pgtel.py PREFIX CMD [CMD...]          print each reply's value, one JSON per line
  pgtel.py --ready PREFIX [--timeout S] wait until /pawsguard/stats answers a dict
  pgtel.py --list PREFIX pools|sources|flows
                                        every entry as one JSON array, walking the pages
                                        (pools,OFFSET; sources|flows,page,W,POS)
  pgtel.py --wait PREFIX CMD KEY N [--timeout S]
                                        wait until reply[KEY] >= N (e.g. /pawsguard/stats
                                        tx_packets 40); prints the last value
The socket is /var/run/dpdk/PREFIX/dpdk_telemetry.v2 for root, as dpdk-telemetry.py finds it.
Exit status: 0 ok, 1 timeout or error.
"""
import json
import os
import socket
import sys
import time


def sock_path(prefix):
    run = os.environ.get("RUNTIME_DIRECTORY")
    if not run:
        run = "/var/run" if os.getuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(run, "dpdk", prefix, "dpdk_telemetry.v2")


class Tel:
    def __init__(self, prefix, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(sock_path(prefix))
        hello = json.loads(self.s.recv(1024).decode())
        self.max = int(hello.get("max_output_len", 16384))

    def cmd(self, c):
        self.s.send(c.encode())
        reply = json.loads(self.s.recv(self.max).decode())
        key = c.split(",", 1)[0]
        return reply.get(key)

    def close(self):
        self.s.close()


def once(prefix, c, timeout=5.0):
    t = Tel(prefix, timeout)
    try:
        return t.cmd(c)
    finally:
        t.close()


def wait(prefix, c, key, n, timeout):
    """Poll (new connection each time) until reply[key] >= n; returns (ok, last value)."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = once(prefix, c)
            if isinstance(v, dict) and key in v:
                last = v[key]
                if n is None or last >= n:
                    return True, last
        except (OSError, ValueError):
            pass
        if time.monotonic() > end:
            return False, last
        time.sleep(0.05)


def list_all(prefix, what):
    """Every entry of a listing, page by page, in order (bounded by the table sizes)."""
    t = Tel(prefix)
    out = []
    try:
        if what == "pools":
            while True:
                v = t.cmd("/pawsguard/pools,%d" % len(out))
                out += [v["pools"][str(i)] for i in range(v["offset"], v["next"])]
                if v["next"] >= v["total"] or v["next"] == v["offset"]:
                    return out
        cursor = "0,0"
        for _ in range(1 << 20):
            v = t.cmd("/pawsguard/%s,page,%s" % (what, cursor))
            out += [v["entries"][str(i)] for i in range(v["count"])]
            if "next" not in v:
                return out
            cursor = v["next"]
        raise ValueError("the appliance kept paging")
    finally:
        t.close()


def main(argv):
    timeout = 20.0
    if "--timeout" in argv:
        i = argv.index("--timeout")
        timeout = float(argv[i + 1])
        del argv[i:i + 2]
    if argv and argv[0] == "--ready":
        ok, _ = wait(argv[1], "/pawsguard/stats", "lcores", None, timeout)
        return 0 if ok else 1
    if argv and argv[0] == "--list":
        print(json.dumps(list_all(argv[1], argv[2])))
        return 0
    if argv and argv[0] == "--wait":
        prefix, c, key, n = argv[1], argv[2], argv[3], int(argv[4])
        ok, last = wait(prefix, c, key, n, timeout)
        print(last)
        return 0 if ok else 1
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    t = Tel(argv[0])
    try:
        for c in argv[1:]:
            print(json.dumps(t.cmd(c)))
    finally:
        t.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
