#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run the libFuzzer target for a bounded time; fail on any finding.

Seeds are the frames of the unit packet corpus (tests/unit/gen_corpus.py), written out as
one file each. Everything the run produces (seeds, the growing corpus, crash/timeout/oom
artifacts) stays in WORKDIR, which meson points into the build directory.

Usage: run_fuzz.py FUZZER WORKDIR [--corpus corpus.txt] [--dict FILE] [--time SECONDS]
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys


def write_seeds(corpus, seeds):
    shutil.rmtree(seeds, ignore_errors=True)
    os.makedirs(seeds)
    n = 0
    with open(corpus) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            tok = line.split()
            name, frame = tok[0], tok[13]
            data = b"" if frame == "." else bytes.fromhex(frame)
            with open(os.path.join(seeds, name), "wb") as out:
                out.write(data)
            n += 1
            # The expected rewrite/strip outputs are good inputs too.
            for i, kind in ((14, "rewrite"), (15, "strip")):
                if tok[i] != "-":
                    with open(os.path.join(seeds, name + "." + kind), "wb") as out:
                        out.write(bytes.fromhex(tok[i]))
                    n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fuzzer")
    ap.add_argument("workdir")
    ap.add_argument("--corpus")
    ap.add_argument("--dict")
    ap.add_argument("--time", type=int, default=30)
    a = ap.parse_args()

    # Meson passes paths relative to the build dir; the fuzzer runs inside WORKDIR.
    fuzzer = os.path.abspath(a.fuzzer)
    work = os.path.abspath(a.workdir)
    seeds = os.path.join(work, "seeds")
    grown = os.path.join(work, "corpus")
    artifacts = os.path.join(work, "artifacts")
    os.makedirs(grown, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    # Findings of an earlier run stay for inspection, but must not pass for new ones.
    for old in glob.glob(os.path.join(artifacts, "*")):
        if not old.endswith(".old"):
            os.rename(old, old + ".old")

    dirs = [grown]
    if a.corpus:
        print("seeds: %d files from %s" % (write_seeds(a.corpus, seeds), a.corpus))
        dirs.append(seeds)
    cmd = [
        fuzzer,
        "-max_total_time=%d" % a.time,
        "-timeout=10",  # per input; a slow input is a finding (loops are bounded)
        "-rss_limit_mb=2048",
        "-max_len=4096",
        "-print_final_stats=1",
        "-artifact_prefix=" + artifacts + "/",
    ]
    if a.dict:
        cmd.append("-dict=" + os.path.abspath(a.dict))
    cmd += dirs
    print(" ".join(cmd), flush=True)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    rc = subprocess.call(cmd, env=env, cwd=work)
    found = [p for p in glob.glob(os.path.join(artifacts, "*")) if not p.endswith(".old")]
    for p in found:
        print("finding: %s" % p)
    if rc != 0 or found:
        print("FAIL: fuzzer exit %d, %d new artifacts" % (rc, len(found)))
        return 1
    print("fuzz: no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
