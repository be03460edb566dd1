#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check what pawsguard-dpdk forwarded against what it was given (see gen_pcap.py).

  check_pcap.py MANIFEST IN.pcap OUT.pcap VSTART_MS VEND_MS [--unordered]

Every expected frame is built here from the input bytes, with an independent walk of the
headers and an independent TCP checksum, and compared byte for byte with the output.
With --unordered (several worker lcores) frames are matched per client address, the
only order the appliance promises; otherwise the whole order must be kept.
Exit 0 when everything holds; prints one line per problem otherwise.
"""
import json
import struct
import sys

from scapy.all import rdpcap

# Added by the appliance to a fresh source's first SYN: clock lag + unknown-source margin
# (PG_CONFIG_DEFAULT), and slack for the time between the burst's clock read and now.
FRESH_MARGIN_MS = 10 + 1000
SLACK_MS = 200


def walk(b):
    """(l3 offset, family, l4 offset, proto) of a frame, or None where it is not plain IP."""
    off = 14
    if len(b) < off:
        return None
    et = struct.unpack_from("!H", b, 12)[0]
    for _ in range(2):
        if et not in (0x8100, 0x88A8):
            break
        if len(b) < off + 4:
            return None
        et = struct.unpack_from("!H", b, off + 2)[0]
        off += 4
    if et == 0x0800 and len(b) >= off + 20:
        ihl = (b[off] & 15) * 4
        return off, 4, off + ihl, b[off + 9]
    if et == 0x86DD and len(b) >= off + 40:
        return off, 6, off + 40, b[off + 6]
    return None


def client_key(b):
    """What pawsguard-dpdk assigns an owner lcore by: the IP source, else the frame's L2."""
    w = walk(b)
    if not w:
        return "l2"
    l3, fam, _, _ = w
    return bytes(b[l3 + 12:l3 + 16]) if fam == 4 else bytes(b[l3 + 8:l3 + 24])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def tcp_span(b):
    w = walk(b)
    if not w or w[3] != 6:
        return None
    l3, fam, l4, _ = w
    if fam == 4:
        end = l3 + struct.unpack_from("!H", b, l3 + 2)[0]
        pseudo = b[l3 + 12:l3 + 20] + struct.pack("!BBH", 0, 6, end - l4)
    else:
        end = l4 + struct.unpack_from("!H", b, l3 + 4)[0]
        pseudo = b[l3 + 8:l3 + 40] + struct.pack("!IxxxB", end - l4, 6)
    return l4, end, pseudo


def tcp_csum_ok(b):
    t = tcp_span(b)
    if not t:
        return True
    l4, end, pseudo = t
    if end > len(b):
        return True  # truncated on purpose: not a segment anyone can check
    return csum(pseudo + bytes(b[l4:end])) == 0xFFFF


def fix_csum(b):
    l4, end, pseudo = tcp_span(b)
    b[l4 + 16:l4 + 18] = b"\0\0"
    c = (~csum(pseudo + bytes(b[l4:end]))) & 0xFFFF
    b[l4 + 16:l4 + 18] = struct.pack("!H", c)


def ts_off(b):
    """Offset of the TS option's kind byte in the frame, or None."""
    t = tcp_span(b)
    if not t:
        return None
    l4 = t[0]
    hlen = (b[l4 + 12] >> 4) * 4
    i = l4 + 20
    while i < l4 + hlen:
        k = b[i]
        if k == 0:
            return None
        if k == 1:
            i += 1
            continue
        if k == 8:
            return i
        if i + 1 >= len(b) or b[i + 1] < 2:
            return None  # malformed: not ours to find a TS in
        i += b[i + 1]
    return None


def tsval(b):
    return struct.unpack_from("!I", b, ts_off(b) + 2)[0]


def with_tsval(b, v):
    e = bytearray(b)
    struct.pack_into("!I", e, ts_off(e) + 2, v)
    fix_csum(e)
    return bytes(e)


def stripped(b):
    e = bytearray(b)
    o = ts_off(e)
    e[o:o + 10] = b"\x01" * 10
    fix_csum(e)
    return bytes(e)


def after(a, b):
    """Serial number order (RFC 1982): a is after b."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def main(argv):
    unordered = "--unordered" in argv
    argv = [a for a in argv if a != "--unordered"]
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    man = json.load(open(argv[0]))["frames"]
    ins = [bytes(p) for p in rdpcap(argv[1])]
    outs = [bytes(p) for p in rdpcap(argv[2])]
    vstart, vend = int(argv[3]) & 0xFFFFFFFF, int(argv[4]) & 0xFFFFFFFF
    errors = []

    def err(i, msg):
        errors.append("frame %d (%s): %s" % (i, man[i]["kind"], msg))

    if len(outs) != len(ins):
        print("FAIL: %d frames in, %d out" % (len(ins), len(outs)))
        return 1
    # Pair each input frame with its output frame.
    if unordered:
        queues = {}
        for o in outs:
            queues.setdefault(client_key(o), []).append(o)
        pair = []
        for i, b in enumerate(ins):
            q = queues.get(client_key(b))
            if not q:
                print("FAIL: no output left for input frame %d" % i)
                return 1
            pair.append(q.pop(0))
    else:
        pair = outs

    offsets = {}  # flow -> offset
    src_max = {}  # client address -> largest TSval forwarded for it
    for i, (b, o) in enumerate(zip(ins, pair)):
        m = man[i]
        kind = m["kind"]
        if not tcp_csum_ok(o):
            err(i, "bad TCP checksum on output")
        if kind == "same":
            if o != b:
                err(i, "changed, expected byte-identical")
            continue
        if kind == "strip":
            if o != stripped(b):
                err(i, "expected the TS option as 10 NOPs, exact bytes")
            continue
        key = client_key(b)
        if kind == "syn":
            if ts_off(o) is None:
                err(i, "no TS option on output")
                continue
            t_in, t_out = tsval(b), tsval(o)
            if t_out == 0:
                err(i, "TSval 0 forwarded")
            offsets[m["flow"]] = (t_out - t_in) & 0xFFFFFFFF
            if m.get("fresh"):
                lo, hi = vstart, (vend + FRESH_MARGIN_MS + SLACK_MS) & 0xFFFFFFFF
                if not (((t_out - lo) & 0xFFFFFFFF) <= ((hi - lo) & 0xFFFFFFFF)):
                    err(i, "TSval' %u outside [vclock at start %u, at end + margin %u]" %
                        (t_out, lo, hi))
            if key in src_max and not after(t_out, src_max[key]):
                err(i, "SYN TSval' %u not above %u already forwarded for its source" %
                    (t_out, src_max[key]))
        elif m["flow"] not in offsets:
            err(i, "flow %s has no offset (its SYN failed)" % m["flow"])
            continue
        if ts_off(b) is None or ts_off(o) is None:
            err(i, "no TS option where one was expected")
            continue
        exp_t = (tsval(b) + offsets[m["flow"]]) & 0xFFFFFFFF or 1
        if o != with_tsval(b, exp_t):
            err(i, "expected exactly the input with TSval %u (offset %u of flow %s)" %
                (exp_t, offsets[m["flow"]], m["flow"]))
        if key not in src_max or after(exp_t, src_max[key]):
            src_max[key] = exp_t
    for e in errors:
        print("FAIL: " + e)
    if errors:
        return 1
    print("ok: %d frames%s, %d flows, offsets %s" %
          (len(ins), " (matched per client address)" if unordered else " in order",
           len(offsets), " ".join("%s=%u" % kv for kv in sorted(offsets.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
