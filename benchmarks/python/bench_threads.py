#!/usr/bin/env python3
"""Python threads reading in parallel: 1 and 2 (and more where there are cores) Python threads,
each with its own MARCReader over its own copy of a corpus. Prints figures; not a test.

    PYTHONPATH=build/python python3 benchmarks/python/bench_threads.py --corpus benchmarks/corpus/utf8-100k.mrc
    benchmarks/python/threads.sh [--count 100000] [--repeats 5]     (makes the corpus, then runs this)

Each measurement runs in a fresh interpreter. Readers (what each thread makes):

  path, threads=1   MARCReader(copy, threads=1)       native, everything on the calling thread
  path              MARCReader(copy)                  native, parsed ahead on the shared pool
  file object       MARCReader(open(copy, "rb"))      1 MiB chunks read with the GIL, parsed without

Workload: every record's 245$a (``r.get("245").get("a")``). Reported: records/s over all
threads (wall clock, medians of the repeats), N threads / 1 thread for each reader, CPU/wall (the
cores the process got: on a machine shared with other work it caps the ratio), and records per
CPU second (the cost of a record, which does not depend on the load: it stays put when threads
share the work without fighting over the GIL).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

READERS = ["path, threads=1", "path", "file object"]


def open_reader(mod, reader: str, path: str):
    if reader == "path, threads=1":
        return mod.MARCReader(path, threads=1)
    if reader == "path":
        return mod.MARCReader(path)
    if reader == "file object":
        return mod.MARCReader(open(path, "rb"))
    raise ValueError(reader)


def titles(records) -> int:
    n = 0
    for r in records:
        f = r.get("245")
        if f is not None:
            f.get("a")
        n += 1
    return n


def child(reader: str, copies: list[str]) -> None:
    import marcscope

    counts = [0] * len(copies)

    def work(i: int) -> None:
        counts[i] = titles(open_reader(marcscope, reader, copies[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(copies))]
    start_cpu = time.process_time()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    print(json.dumps({"records": sum(counts), "wall": wall, "cpu": cpu}))


def measure(reader: str, copies: list[Path]) -> dict:
    cmd = [sys.executable, __file__, "--child", "--reader", reader, "--copies", os.pathsep.join(map(str, copies))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--reader")
    ap.add_argument("--copies", default="")
    ap.add_argument("--corpus", help="an ISO 2709 file (benchmarks/make_corpus makes one)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", default="", help="thread counts (default: 1, 2 and the core count)")
    ap.add_argument("--tmp", default="")
    ap.add_argument("--output", default="", help="also write the Markdown table here")
    args = ap.parse_args()
    if args.child:
        child(args.reader, args.copies.split(os.pathsep))
        return
    if not args.corpus:
        sys.exit("--corpus FILE is needed")
    import marcscope

    cores = os.cpu_count() or 1
    counts = sorted({int(x) for x in args.threads.split()} if args.threads else {1, 2, cores})
    tmp = Path(args.tmp or tempfile.mkdtemp(prefix="bench-threads-"))
    copies = []
    for i in range(max(counts)):
        copy = tmp / f"copy{i}.mrc"
        shutil.copyfile(args.corpus, copy)
        copies.append(copy)
    load = os.getloadavg()
    runs: dict = {}
    try:
        for rep in range(args.repeats):
            # Interleaved, so that a change in the machine's load hits every row alike.
            for n in counts:
                for reader in READERS:
                    m = measure(reader, copies[:n])
                    runs.setdefault((reader, n), []).append(m)
                    print(f"rep {rep} {reader:16} threads={n} {m['records'] / m['wall']:>10,.0f} rec/s "
                          f"wall {m['wall']:6.2f}s cpu/wall {m['cpu'] / m['wall']:.2f}", file=sys.stderr)
    finally:
        if not args.tmp:
            shutil.rmtree(tmp)
    load_after = os.getloadavg()

    def rate(reader, n):
        return statistics.median(m["records"] / m["wall"] for m in runs[(reader, n)])

    def cpu(reader, n):
        return statistics.median(m["cpu"] / m["wall"] for m in runs[(reader, n)])

    def per_cpu(reader, n):
        return statistics.median(m["records"] / m["cpu"] for m in runs[(reader, n)])

    records = runs[(READERS[0], 1)][0]["records"]
    lines = [f"{cores} cores, Python {sys.version.split()[0]}, marcscope {marcscope.__version__} "
             f"(shared pool: {marcscope._core.executor_threads()} threads); corpus {Path(args.corpus).name} "
             f"({records:,} records, {os.path.getsize(args.corpus) / 1e6:.0f} MB) per thread; "
             f"medians of {args.repeats}; load average {load[0]:.1f} before, {load_after[0]:.1f} after.", "",
             "| reader (one per thread) | threads | records/s (all threads) | vs 1 thread | CPU/wall | records per CPU second |",
             "|---|---:|---:|---:|---:|---:|"]
    for reader in READERS:
        one = rate(reader, 1)
        for n in counts:
            x = rate(reader, n)
            lines.append(f"| {reader} | {n} | {x:,.0f} | {x / one:.2f}x | {cpu(reader, n):.2f} | {per_cpu(reader, n):,.0f} |")
    text = "\n".join(lines)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
