#!/usr/bin/env python3
"""The Python module side by side with pymarc: prints figures, writes a Markdown report. Not a test.

    benchmarks/python/run.sh [--sizes "100k 1m"] [--repeats 3] [--pymarc DIR] [--output FILE]

Each measurement runs in a fresh interpreter (so peak memory is its own), reading a corpus made
by benchmarks/make_corpus (utf8-<size>.mrc). Readers:

  pymarc        pymarc.MARCReader(open(path, "rb"))    (only when a pymarc source directory or
                                                       installed copy is available)
  file object   marcscope.MARCReader(open(path, "rb")) (chunks read with the GIL, parsed without)
  path          marcscope.MARCReader(path)             (native, parsed ahead on the shared pool)
  one thread    marcscope.MARCReader(path, threads=1)  (native, everything on the calling thread)
  read_batch    marcscope.MARCReader(path).read_batch(1000) in a loop
  parallel      marcscope.read(path)                   (the parallel iterator)

Workloads: iterate (count records), title (every record's 245$a), values (every field's
value()), write (as_marc() of every record to a file). Threads: N Python threads, each reading
its own copy of the corpus with MARCReader(copy, threads=1), title workload.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

READERS = ["pymarc", "file object", "path", "one thread", "read_batch", "parallel"]
WORKLOADS = ["iterate", "title", "values", "write"]


# ---- one measurement, in a child interpreter -----------------------------------------------------


def open_reader(mod, reader: str, path: str):
    if reader in ("pymarc", "file object"):
        return mod.MARCReader(open(path, "rb"))
    if reader == "path":
        return mod.MARCReader(path)
    if reader == "one thread":
        return mod.MARCReader(path, threads=1)
    if reader == "parallel":
        return mod.read(path)
    if reader == "read_batch":
        r = mod.MARCReader(path)

        def batches():
            while True:
                batch = r.read_batch(1000)
                if not batch:
                    return
                yield from batch

        return batches()
    raise ValueError(reader)


def run_workload(records, workload: str, out_path: str) -> int:
    n = 0
    if workload == "iterate":
        for _ in records:
            n += 1
    elif workload == "title":
        for r in records:
            f = r.get("245")
            if f is not None:
                f.get("a")
            n += 1
    elif workload == "values":
        for r in records:
            for f in r.fields:
                f.value()
            n += 1
    elif workload == "write":
        with open(out_path, "wb") as out:
            for r in records:
                out.write(r.as_marc())
                n += 1
    else:
        raise ValueError(workload)
    return n


def child(args) -> None:
    if args.reader == "pymarc":
        sys.path.insert(0, args.pymarc)
        import pymarc as mod  # noqa: F401
    else:
        import marcscope as mod
    out_path = os.path.join(args.tmp, f"out-{os.getpid()}.mrc")
    start_cpu = time.process_time()
    start = time.perf_counter()
    if args.threads_n:
        copies = args.copies.split(os.pathsep)[: args.threads_n]
        counts = [0] * len(copies)

        def work(i):
            counts[i] = run_workload(mod.MARCReader(copies[i], threads=1), args.workload, out_path + str(i))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(copies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        n = sum(counts)
    else:
        n = run_workload(open_reader(mod, args.reader, args.path), args.workload, out_path)
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    for p in Path(args.tmp).glob(f"out-{os.getpid()}.mrc*"):
        p.unlink()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": n, "wall": wall, "cpu": cpu, "rss_mb": rss}))


def measure(args, reader, workload, path, threads_n=0, copies=()) -> dict:
    cmd = [sys.executable, __file__, "--child", "--reader", reader, "--workload", workload, "--path", str(path),
           "--tmp", args.tmp, "--pymarc", args.pymarc or ""]
    if threads_n:
        cmd += ["--threads-n", str(threads_n), "--copies", os.pathsep.join(map(str, copies))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the report ------------------------------------------------------------------------------


def find_pymarc(given: str | None) -> str | None:
    candidates = [given] if given else []
    candidates += [os.environ.get("PYMARC_SRC", "")]
    for c in candidates:
        if c and (Path(c) / "pymarc" / "__init__.py").exists():
            return str(Path(c).resolve())
    try:
        import importlib.util

        spec = importlib.util.find_spec("pymarc")
        if spec and spec.origin:
            return str(Path(spec.origin).parent.parent)
    except ImportError:
        pass
    return None


def callgrind_ir(args, reader: str, workload: str, path: Path) -> float | None:
    """Instructions per record on a small corpus: (Ir(file) - Ir(empty file)) / records, all
    threads counted (valgrind runs them one at a time). Exact and repeatable on a busy machine."""
    if not shutil.which("valgrind"):
        return None
    empty = Path(args.tmp) / "empty.mrc"
    empty.write_bytes(b"")
    irs = []
    for p in (path, empty):
        outfile = Path(args.tmp) / f"callgrind.{os.getpid()}.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}", sys.executable, __file__, "--child",
               "--reader", reader, "--workload", workload, "--path", str(p), "--tmp", args.tmp, "--pymarc",
               args.pymarc or ""]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        total = None
        for line in proc.stderr.splitlines():
            if "refs:" in line:
                total = int(line.split(":")[-1].strip().replace(",", ""))
        outfile.unlink(missing_ok=True)
        if total is None:
            return None
        irs.append(total)
    n = sum(1 for _ in open_reader(__import__("marcscope"), "path", str(path)))
    return (irs[0] - irs[1]) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--reader")
    ap.add_argument("--workload")
    ap.add_argument("--path")
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--pymarc")
    ap.add_argument("--threads-n", type=int, default=0)
    ap.add_argument("--copies", default="")
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[1] / "corpus"))
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pymarc-repeats", type=int, default=1)
    ap.add_argument("--workloads", default=" ".join(WORKLOADS), help="workloads on the first size")
    ap.add_argument("--big-workloads", default="iterate title",
                    help="workloads on the sizes after the first (the 1M corpus takes long)")
    ap.add_argument("--skip-threads", action="store_true")
    ap.add_argument("--callgrind-corpus", default="")
    ap.add_argument("--output", default="")
    args = ap.parse_args()
    if args.child:
        child(args)
        return

    import marcscope

    args.pymarc = find_pymarc(args.pymarc)
    results: dict = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                                 "marcscope": marcscope.__version__, "pymarc": args.pymarc,
                                 "pool_threads": marcscope._core.executor_threads()},
                     "runs": []}
    print(f"pymarc: {args.pymarc or 'not available'}", file=sys.stderr)
    ncores = os.cpu_count() or 1
    for size in args.sizes.split():
        path = Path(args.corpus) / f"utf8-{size}.mrc"
        if not path.exists():
            sys.exit(f"{path}: missing (benchmarks/python/run.sh makes it)")
        readers = [r for r in READERS if r != "pymarc" or args.pymarc]
        # pymarc takes minutes on the big corpus: it runs on the first size only.
        if size != args.sizes.split()[0]:
            readers = [r for r in readers if r != "pymarc"]
        workloads = args.workloads.split() if size == args.sizes.split()[0] else args.big_workloads.split()
        for rep in range(args.repeats):
            for workload in workloads:
                for reader in readers:
                    if reader == "pymarc" and rep >= args.pymarc_repeats:
                        continue
                    m = measure(args, reader, workload, path)
                    m.update(size=size, reader=reader, workload=workload, repeat=rep)
                    results["runs"].append(m)
                    print(f"{size} {workload:8} {reader:12} {m['records'] / m['wall']:>12,.0f} rec/s "
                          f"wall {m['wall']:6.2f}s cpu {m['cpu']:6.2f}s rss {m['rss_mb']:7.1f} MB", file=sys.stderr)
        if args.skip_threads:
            continue
        # N Python threads, each its own copy of the corpus.
        counts = sorted({1, 2, ncores} | ({4} if ncores >= 4 else set()))
        copies = []
        for i in range(max(counts)):
            copy = Path(args.tmp) / f"copy{i}-{size}.mrc"
            if not copy.exists():
                shutil.copyfile(path, copy)
            copies.append(copy)
        for rep in range(args.repeats):
            for n in counts:
                m = measure(args, "threads", "title", path, threads_n=n, copies=copies)
                m.update(size=size, reader=f"{n} Python threads", workload="title", repeat=rep, threads=n)
                results["runs"].append(m)
                print(f"{size} threads={n} {m['records'] / m['wall']:>12,.0f} rec/s wall {m['wall']:6.2f}s "
                      f"cpu {m['cpu']:6.2f}s", file=sys.stderr)
        for copy in copies:
            copy.unlink()
    if args.callgrind_corpus:
        small = Path(args.callgrind_corpus)
        results["callgrind"] = {}
        for reader in ("pymarc", "one thread", "path", "file object"):
            if reader == "pymarc" and not args.pymarc:
                continue
            for workload in (WORKLOADS if reader in ("pymarc", "one thread") else ["iterate", "title"]):
                ir = callgrind_ir(args, reader, workload, small)
                results["callgrind"][f"{reader}/{workload}"] = ir
                print(f"callgrind {reader} {workload}: {ir}", file=sys.stderr)
    text = report(results)
    print(text)
    if args.output:
        Path(args.output).write_text(text)
        Path(args.output).with_suffix(".json").write_text(json.dumps(results, indent=1))


def report(results: dict) -> str:
    runs = results["runs"]

    def rate(size, reader, workload):
        xs = [r["records"] / r["wall"] for r in runs if (r["size"], r["reader"], r["workload"]) == (size, reader, workload)]
        return statistics.median(xs) if xs else None

    def field(size, reader, workload, key):
        xs = [r[key] for r in runs if (r["size"], r["reader"], r["workload"]) == (size, reader, workload)]
        return statistics.median(xs) if xs else None

    m = results["machine"]
    lines = [f"Machine: {m['cores']} cores, Python {m['python']}, marcscope {m['marcscope']} "
             f"(shared pool: {m['pool_threads']} threads), pymarc: {m['pymarc'] or 'not available'}.", ""]
    sizes = sorted({r["size"] for r in runs}, key=lambda s: ("k" in s, s), reverse=True)
    first = sizes[0] if sizes else None
    for size in sizes:
        lines += [f"### utf8-{size}.mrc", "",
                  "| workload | reader | records/s | vs pymarc | vs one thread | CPU/wall | peak RSS MB |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for workload in WORKLOADS:
            if not any(r["size"] == size and r["workload"] == workload for r in runs):
                continue
            base = rate(first, "pymarc", workload)
            one = rate(size, "one thread", workload)
            for reader in READERS:
                x = rate(size, reader, workload)
                if x is None:
                    if reader == "pymarc":
                        lines.append(f"| {workload} | pymarc | not available | | | | |")
                    continue
                base_here = rate(size, "pymarc", workload) or (base if size == first else None)
                vs_pymarc = f"{x / base_here:.1f}x" if base_here and reader != "pymarc" else ""
                vs_one = f"{x / one:.2f}x" if one and reader not in ("pymarc",) else ""
                cpu = field(size, reader, workload, "cpu") / field(size, reader, workload, "wall")
                lines.append(f"| {workload} | {reader} | {x:,.0f} | {vs_pymarc} | {vs_one} | {cpu:.2f} | "
                             f"{field(size, reader, workload, 'rss_mb'):.0f} |")
        one = rate(size, "1 Python threads", "title")
        if one is None:
            lines.append("")
            continue
        lines += ["", "| Python threads (own copy each, title) | records/s | vs 1 thread | CPU/wall |",
                  "|---|---:|---:|---:|"]
        for n in sorted({r.get("threads", 0) for r in runs if r["size"] == size and r.get("threads")}):
            x = rate(size, f"{n} Python threads", "title")
            cpu = field(size, f"{n} Python threads", "title", "cpu") / field(size, f"{n} Python threads", "title", "wall")
            lines.append(f"| {n} | {x:,.0f} | {x / one:.2f}x | {cpu:.2f} |")
        lines.append("")
    if results.get("callgrind"):
        cg = results["callgrind"]
        lines += ["| reader | workload | instructions per record | pymarc / this |", "|---|---|---:|---:|"]
        for key, ir in cg.items():
            reader, workload = key.split("/")
            base = cg.get(f"pymarc/{workload}")
            ratio = f"{base / ir:.1f}x" if base and ir and reader != "pymarc" else ""
            lines.append(f"| {reader} | {workload} | {'n/a' if ir is None else f'{ir:,.0f}'} | {ratio} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
