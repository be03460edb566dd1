#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check what pawsguard-dpdk forwarded against what it was given (see gen_pcap.py).

  check_pcap.py MANIFEST RUNS.json

RUNS.json (written by pcap_test.sh): per run of the manifest, {"vstart": ms, "vend": ms,
"workers": N}: the realtime clock around the run, and its worker lcores. Pcap names are
the manifest's, in its directory.

Every expected frame is built here from the input bytes, with an independent walk of the
headers and an independent TCP checksum, and compared byte for byte with the output.
With several worker lcores, frames are matched per client address and direction, the only
order the appliance promises; otherwise the whole order of each direction must be kept.
Offsets measured on a run's SYNs hold in later runs (--state keeps them). Values that depend
on the clock (a fresh source's SYN, an orphan's segment) must lie in a window around the run.
Exit 0 when everything holds; prints one line per problem otherwise.
"""
import os
import json
import struct
import sys

from scapy.all import rdpcap

# Added by the appliance to a fresh source's first SYN: clock lag + unknown-source margin
# (PG_CONFIG_DEFAULT), and slack for the time between the burst's clock read and now.
FRESH_MARGIN_MS = 10 + 1000
SLACK_MS = 200
# An orphan's segments go out this far behind the clock (PG_ORPHAN_BEHIND_MS, translate.h).
ORPHAN_BEHIND_MS = 1 << 30


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


def client_key(b, side="c"):
    """What pawsguard-dpdk assigns an owner lcore by: the client's address (IP source from
    the client side, destination from the server side), else the frame's L2."""
    w = walk(b)
    if not w:
        return "l2"
    l3, fam, _, _ = w
    if fam == 4:
        o = 12 if side == "c" else 16
        return bytes(b[l3 + o:l3 + o + 4])
    o = 8 if side == "c" else 24
    return bytes(b[l3 + o:l3 + o + 16])


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


def tsecr(b):
    return struct.unpack_from("!I", b, ts_off(b) + 6)[0]


def with_ts(b, off, v):
    e = bytearray(b)
    struct.pack_into("!I", e, ts_off(e) + off, v)
    fix_csum(e)
    return bytes(e)


def with_tsval(b, v):
    return with_ts(b, 2, v)


def with_tsecr(b, v):
    return with_ts(b, 6, v)


def stripped(b):
    e = bytearray(b)
    o = ts_off(e)
    e[o:o + 10] = b"\x01" * 10
    fix_csum(e)
    return bytes(e)


def after(a, b):
    """Serial number order (RFC 1982): a is after b."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def in_window(t, lo, hi):
    """t in [lo, hi] on the 32-bit circle."""
    return ((t - lo) & 0xFFFFFFFF) <= ((hi - lo) & 0xFFFFFFFF)


def pair_frames(ins, outs, side, unordered):
    """The output frame of each input frame of one direction of one run."""
    if len(outs) != len(ins):
        return None, "%d frames in, %d out" % (len(ins), len(outs))
    if not unordered:
        return outs, None
    queues = {}
    for o in outs:
        queues.setdefault(client_key(o, side), []).append(o)
    pair = []
    for i, b in enumerate(ins):
        q = queues.get(client_key(b, side))
        if not q:
            return None, "no output left for input frame %d" % i
        pair.append(q.pop(0))
    return pair, None


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = os.path.dirname(os.path.abspath(argv[0]))
    manifest = json.load(open(argv[0]))
    runs, infos = manifest["runs"], json.load(open(argv[1]))
    if len(infos) != len(runs):
        print("FAIL: %d runs in the manifest, %d run records" % (len(runs), len(infos)))
        return 1
    ins, outs = {}, {}
    for r, run in enumerate(runs):
        for side, i_name, o_name in (("c", "in_c", "out_c"), ("s", "in_s", "out_s")):
            a = [bytes(p) for p in rdpcap(os.path.join(d, run[i_name]))]
            b = [bytes(p) for p in rdpcap(os.path.join(d, run[o_name]))]
            pair, why = pair_frames(a, b, side, infos[r]["workers"] > 1)
            if why:
                print("FAIL: run %d, %s side: %s" % (r, side, why))
                return 1
            ins[r, side], outs[r, side] = a, pair
    errors = []

    offsets = {}  # flow -> offset
    src_max = {}  # client address -> largest TSval forwarded for it
    for m in manifest["frames"]:
        r, side, i, kind = m.get("run", 0), m.get("side", "c"), m["i"], m["kind"]
        b, o = ins[r, side][i], outs[r, side][i]
        vstart, vend = infos[r]["vstart"] & 0xFFFFFFFF, infos[r]["vend"] & 0xFFFFFFFF

        def err(msg):
            errors.append("run %d, %s frame %d (%s): %s" % (r, side, i, kind, msg))

        if not tcp_csum_ok(o):
            err("bad TCP checksum on output")
        if kind == "same":
            if o != b:
                err("changed, expected byte-identical")
            continue
        if kind == "strip":
            if o != stripped(b):
                err("expected the TS option as 10 NOPs, exact bytes")
            continue
        if ts_off(b) is None or ts_off(o) is None:
            err("no TS option where one was expected")
            continue
        if kind == "orphan":
            # vclock - 2^30 at the time it went through (never 0), every other byte as it
            # came in, the checksum computed here over the whole segment.
            t_out = tsval(o)
            lo = (vstart - ORPHAN_BEHIND_MS) & 0xFFFFFFFF
            hi = (vend - ORPHAN_BEHIND_MS + SLACK_MS) & 0xFFFFFFFF
            if t_out == 0:
                err("TSval 0 forwarded")
            elif not in_window(t_out, lo, hi) and not (t_out == 1 and in_window(0, lo, hi)):
                err("orphan TSval' %u outside [vclock - 2^30 at start %u, at end %u] (input %u)"
                    % (t_out, lo, hi, tsval(b)))
            elif o != with_tsval(b, t_out):
                err("expected exactly the input with TSval %u" % t_out)
            continue
        if side == "s":
            if kind == "tsecr":
                exp = m["tsecr"]
            elif m["flow"] not in offsets:
                err("flow %s has no offset (its SYN failed)" % m["flow"])
                continue
            else:  # echo: TSecr' - offset, in SYN state not below the SYN's TSval
                exp = (tsecr(b) - offsets[m["flow"]]) & 0xFFFFFFFF
                if "floor" in m and after(m["floor"], exp):
                    exp = m["floor"]
            if o != with_tsecr(b, exp):
                err("expected exactly the input with TSecr %u (got %u)" % (exp, tsecr(o)))
            continue
        key = client_key(b)
        if kind == "syn":
            t_in, t_out = tsval(b), tsval(o)
            if t_out == 0:
                err("TSval 0 forwarded")
            offsets[m["flow"]] = (t_out - t_in) & 0xFFFFFFFF
            if m.get("fresh"):
                lo, hi = vstart, (vend + FRESH_MARGIN_MS + SLACK_MS) & 0xFFFFFFFF
                if not in_window(t_out, lo, hi):
                    err("TSval' %u outside [vclock at start %u, at end + margin %u]" %
                        (t_out, lo, hi))
            if "lead" in m:
                # Above the source's max_fwd, which an adopted flow pushed at most this far
                # ahead of the clock. Its own TSvals may run further ahead: by design the
                # SYN is not above those, so no src_max comparison here.
                lr = m.get("lead_run", r)
                lo = (infos[lr]["vstart"] + m["lead"]) & 0xFFFFFFFF
                hi = (vend + m["lead"] + SLACK_MS) & 0xFFFFFFFF
                if not in_window(t_out, lo, hi):
                    err("TSval' %u outside [%u, %u]: max_fwd not %u ms ahead of the clock" %
                        (t_out, lo, hi, m["lead"]))
            elif not m.get("any_order") and key in src_max and not after(t_out, src_max[key]):
                err("SYN TSval' %u not above %u already forwarded for its source" %
                    (t_out, src_max[key]))
        elif kind == "tsval":
            pass
        elif m["flow"] not in offsets:
            err("flow %s has no offset (its SYN failed)" % m["flow"])
            continue
        if kind == "tsval":
            exp_t = m["tsval"]
        else:
            exp_t = (tsval(b) + offsets[m["flow"]]) & 0xFFFFFFFF or 1
        if o != with_tsval(b, exp_t):
            err("expected exactly the input with TSval %u (got %u)" % (exp_t, tsval(o)))
        if kind != "tsval" and (key not in src_max or after(exp_t, src_max[key])):
            src_max[key] = exp_t
    for e in errors:
        print("FAIL: " + e)
    if errors:
        return 1
    print("ok: %d frames in %d run(s), %d flows with a SYN, offsets %s" %
          (len(manifest["frames"]), len(runs), len(offsets),
           " ".join("%s=%u" % kv for kv in sorted(offsets.items()) if "burst" not in kv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
