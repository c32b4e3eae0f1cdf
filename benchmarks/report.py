#!/usr/bin/env python3
"""Turns benchmarks/results/raw.tsv and callgrind.tsv (written by run.sh) into docs/BENCHMARKS.md.

Medians over the repeats; records/s and MB/s are computed from the median wall time. Ratios
between two configurations ("vs 1 thread", the yaz target) are the median of the per-round
ratios of runs made one right after the other, so a change of machine load between rounds moves
both sides alike. Targets are
the ones of the issue "Parallel pipeline"; each is reported met or not met from the figures.
Text after NOTES_MARKER in an existing report is kept (hand-written analysis).
"""
import argparse
import csv
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

NOTES_MARKER = "<!-- Everything below this line is hand-written and kept by benchmarks/run.sh. -->"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    return model, os.cpu_count(), mem


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def fmt(x, digits=2):
    return ("{:,.%df}" % digits).format(x)


class Row:
    def __init__(self, rows):
        r0 = rows[0]
        self.label, self.corpus, self.tool = r0["label"], r0["corpus"], r0["tool"]
        self.threads = int(r0["threads"])
        self.records = int(r0["records"])
        self.bytes = int(r0["bytes"])
        self.n = len(rows)
        self.walls = [float(r["wall_s"]) for r in rows]
        self.wall = statistics.median(self.walls)
        self.cpu = statistics.median(float(r["cpu_s"]) for r in rows)
        self.rss = statistics.median(float(r["rss_mb"]) for r in rows)
        self.rss_max = max(float(r["rss_mb"]) for r in rows)
        self.rps = self.records / self.wall if self.wall > 0 else 0.0
        self.mbps = self.bytes / self.wall / 1e6 if self.wall > 0 else 0.0
        self.spread = (max(self.walls) - min(self.walls)) / self.wall if self.wall > 0 else 0.0
        self.by_rep = {r["rep"]: float(r["wall_s"]) for r in rows}


def paired(num, den):
    """Median, min and max over the rounds both rows ran in of num's wall time / den's."""
    ratios = [num.by_rep[k] / den.by_rep[k] for k in num.by_rep if k in den.by_rep and den.by_rep[k] > 0]
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def group(raw):
    groups = {}
    for r in raw:
        groups.setdefault((r["label"], r["corpus"], r["tool"], r["threads"]), []).append(r)
    return {k: Row(v) for k, v in groups.items()}


DESCRIBE = {
    "floor": "memchr floor (count 0x1D)",
    "index": "index only (build_index)",
    "parse": "full decode: stage 1 + RecordView::parse",
    "decode": "decode + UTF-8 owning model (Record::from_view)",
    "title": "decode + read 245$a from the view",
    "reencode": "decode + model + write_iso2709",
    "serial-parse": "serial Reader: stage 1 + parse (no pipeline)",
    "serial-title": "serial Reader + 245$a (one parse)",
    "cli count": "`marcscope count`",
    "yaz -n": "`yaz-marcdump -n` (parse only)",
    "marc4j stream": "marc4j MarcStreamReader",
    "marc4j marc8": "marc4j MarcStreamReader(in, \"MARC-8\")",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--callgrind", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--main", required=True)
    ap.add_argument("--threads", required=True)
    ap.add_argument("--repeats", required=True)
    ap.add_argument("--elapsed", required=True)
    ap.add_argument("--args", default="")
    ap.add_argument("--marc4j", default="ok")
    ap.add_argument("--root", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()

    rows = group(read_tsv(a.raw))
    cg = read_tsv(a.callgrind)
    threads = [int(t) for t in a.threads.split()]
    tmax = max(threads)
    main_utf8, main_marc8 = "utf8-" + a.main, "marc8-" + a.main

    def get(label, corpus, threads=1, tool=None):
        # "independent" rows (N separate 1-thread processes at once) only when asked for by name
        for (l, c, t, th), row in rows.items():
            if l == label and c == corpus and int(th) == threads and (t == tool if tool else t != "independent"):
                return row
        return None

    def independent(one, n, label, corpus):
        """Median and range over the rounds of what n separate 1-thread processes, run at once
        right after the pipeline's n-thread run, gave over one process: the machine's own ceiling."""
        ind = get(label, corpus, n, "independent")
        pr = paired(one, ind) if (one and ind) else None
        return tuple(n * x for x in pr) if pr else None

    def cg_get(label, corpus):
        for r in cg:
            if r["label"] == label and r["corpus"] == corpus:
                return int(r["ir_per_record"])
        return None

    out = []
    w = out.append
    model, ncpu, mem = machine()
    now = datetime.datetime.now().astimezone()
    commit = sh("git -C '%s' rev-parse --short HEAD" % a.root)
    dirty = sh("git -C '%s' status --porcelain -- engine app CMakeLists.txt" % a.root)
    w("# Benchmarks: the parallel pipeline")
    w("")
    w("Generated by `benchmarks/run.sh%s` on %s (%s s of measuring)." %
      ((" " + a.args) if a.args else "", now.strftime("%Y-%m-%d %H:%M %Z"), a.elapsed))
    w("What each program measures: [benchmarks/README.md](../benchmarks/README.md).")
    w("")
    w("## Machine")
    w("")
    w("- CPU: %s, `nproc` = %s; memory %s; Linux %s" % (model, ncpu, mem, platform.release()))
    w("- Compiler: %s; oneTBB %s; build type Release" % (
        sh("c++ --version | head -1"),
        sh("dpkg-query -W -f='${Version}' libtbb-dev 2>/dev/null") or "?"))
    w("- Engine commit %s%s" % (commit or "?", " with uncommitted changes in engine/app" if dirty else ""))
    w("- Others: yaz %s; %s" % (sh("dpkg-query -W -f='${Version}' yaz 2>/dev/null") or "?",
                                   (sh("java -version 2>&1 | head -1") + ", marc4j " +
                                    (sh("dpkg-query -W -f='${Version}' libmarc4j-java 2>/dev/null") or "?"))
                                   if a.marc4j == "ok" else "marc4j " + a.marc4j))
    lp = os.path.join(a.results, "loadavg.txt")
    loads = "; ".join(l.strip() for l in open(lp) if l.strip()) if os.path.exists(lp) else ""
    w("- Load average (1, 5, 15 min) %s. The machine is shared: wall times vary by "
      "about ±15%% between runs and a loaded machine gives a run less than the cores it asks for "
      "(see \"cores used\"); instruction counts (callgrind) do not vary." % (
          ("during the run: " + loads) if loads else
          ("when the report was written: " + sh("cut -d' ' -f1-3 /proc/loadavg"))))
    w("")
    w("## How to reproduce")
    w("")
    w("```sh")
    w("benchmarks/run.sh            # 1M-record corpora, %s repeats, medians (6-8 min on an idle 2-core machine)" % a.repeats)
    w("benchmarks/run.sh --quick    # 100k-record corpora")
    w("# single figures:")
    w("benchmarks/build/benchmarks/make_corpus --kind utf8 --count 1000000 --out benchmarks/corpus/utf8-1m.mrc")
    w("benchmarks/build/benchmarks/bench_engine --mode parse --threads 1 benchmarks/corpus/utf8-1m.mrc")
    w("benchmarks/build/benchmarks/memchr_floor benchmarks/corpus/utf8-1m.mrc")
    w("yaz-marcdump -n benchmarks/corpus/utf8-1m.mrc")
    w("valgrind --tool=callgrind benchmarks/build/benchmarks/bench_engine --mode parse --threads 1 "
      "benchmarks/corpus/utf8-10k.mrc")
    w("```")
    w("")

    # Corpora
    w("## Corpora")
    w("")
    w("Made by `make_corpus` from the distinct records of tests/data/valid and tests/data/pairs that read "
      "with no diagnostic at all; every copy has a unique 001. UTF-8: decoded to the owning model "
      "(MARC-8 converted) and written with `write_iso2709`. MARC-8: the records declaring MARC-8, bytes "
      "kept, only 001, lengths and directory rewritten.")
    w("")
    w("| corpus | records | bytes | bytes/record |")
    w("|---|---:|---:|---:|")
    for name in sorted(os.listdir(a.corpus)):
        m = re.match(r"(utf8|marc8)-(\d+)(k|m)\.mrc$", name)
        if not m:
            continue
        n = int(m.group(2)) * (1000 if m.group(3) == "k" else 1000000)
        size = os.path.getsize(os.path.join(a.corpus, name))
        w("| %s | %s | %s | %s |" % (name, fmt_int(n), fmt_int(size), fmt_int(size / n)))
    log = os.path.join(a.results, "make_corpus.log")
    if os.path.exists(log):
        bases = sorted(set(l.strip() for l in open(log) if " base: " in l))
        if bases:
            w("")
            for b in bases:
                w("- `%s`" % b.replace("make_corpus: ", ""))
    w("")

    def table(corpus, labels, title):
        yaz = get("yaz -n", corpus)
        floor = get("floor", corpus)
        w("## %s" % title)
        w("")
        w("Median of %s runs. records/s and MB/s (10^6 bytes) from the median wall time; CPU = user + system. "
          "\"vs yaz\" and \"vs memchr\" divide records/s; \"vs 1 thread\" is the median over the rounds of the "
          "1-thread wall time divided by this row's, each pair run one right after the other. \"cores used\" = CPU s / wall s: below the thread count, the run did not get the cores "
          "(other load) or waited; \"spread\" = (max − min) / 2 of the wall times, relative to the median." % a.repeats)
        w("")
        w("| what | threads | corpus | wall s | records/s | MB/s | CPU s | cores used | peak RSS MB | vs yaz | vs memchr | vs 1 thread | spread |")
        w("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, corp in labels:
            for t in sorted(set([1] + threads)):
                r = get(label, corp, t)
                if not r:
                    continue
                one = get(label, corp, 1)
                pr = paired(one, r) if (one and t != 1) else None
                vs1 = ("%.2f×" % pr[0]) if pr else ""
                k = corpus.split("-")[0]
                y = yaz if corp == corpus else get("yaz -n", k + "-" + a.main)
                vy = ("%.2f×" % (r.rps / y.rps)) if y and label != "yaz -n" else ""
                vf = ("%.3f×" % (r.rps / floor.rps)) if floor and label != "floor" else ""
                w("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | ±%d%% |" % (
                    DESCRIBE.get(label, label), t, corp, fmt(r.wall, 3), fmt_int(r.rps), fmt_int(r.mbps),
                    fmt(r.cpu, 2), fmt(r.cpu / r.wall, 2) if r.wall > 0 else "", fmt(r.rss, 1), vy, vf, vs1,
                    round(50 * r.spread)))
                ind = get(label, corp, t, "independent") if t != 1 else None
                if ind:
                    ic = independent(one, t, label, corp)
                    w("| ↳ the same work as %d separate 1-thread processes at once (the machine's ceiling) | %d | %s | %s | %s | %s | %s | %s |  |  |  | %s | ±%d%% |" % (
                        t, t, corp, fmt(ind.wall, 3), fmt_int(ind.rps), fmt_int(ind.mbps), fmt(ind.cpu, 2),
                        fmt(ind.cpu / ind.wall, 2) if ind.wall > 0 else "", ("%.2f×" % ic[0]) if ic else "",
                        round(50 * ind.spread)))
        w("")

    utf8_labels = [(l, main_utf8) for l in ["floor", "index", "parse", "serial-parse", "title", "serial-title",
                                            "decode", "reencode", "cli count", "yaz -n"]]
    utf8_labels += [("marc4j stream", "utf8-100k")]
    table(main_utf8, utf8_labels, "UTF-8 corpus (%s records)" % a.main)
    marc8_labels = [(l, main_marc8) for l in ["floor", "parse", "decode", "yaz -n"]] + [("marc4j marc8", "marc8-100k")]
    table(main_marc8, marc8_labels, "MARC-8 corpus (%s records)" % a.main)
    if a.main != "100k" and get("parse", "utf8-100k", tmax):
        w("### Peak RSS against file size")
        w("")
        w("| mode | threads | RSS on utf8-100k MB | RSS on %s MB |" % main_utf8)
        w("|---|---:|---:|---:|")
        for label in ["parse", "decode", "reencode"]:
            small, big = get(label, "utf8-100k", tmax), get(label, main_utf8, tmax)
            if small and big:
                w("| %s | %d | %s | %s |" % (label, tmax, fmt(small.rss, 1), fmt(big.rss, 1)))
        w("")

    # Callgrind
    if cg:
        w("## Instructions per record (callgrind, 1 thread)")
        w("")
        w("`valgrind --tool=callgrind` on the 10,000-record corpora: (Ir on the file − Ir on an empty file) / "
          "10,000, so start-up cancels out. Exact and repeatable (±0.01%), unlike the wall times above.")
        w("")
        w("\"serial stages\": share of the instructions spent in the pipeline's slicer (stage 1) and in-order "
          "delivery stage (which also destroys each Batch); the rest runs in the parallel stage. With pipelining, "
          "N threads give at most min(N, 1 / largest serial share) times one thread.")
        w("")
        w("| what | corpus | instructions/record | yaz ÷ this | serial stages: slicer + delivery | speed-up cap |")
        w("|---|---|---:|---:|---:|---:|")
        for r in cg:
            y = cg_get("yaz -n", r["corpus"])
            v = int(r["ir_per_record"])
            sl, dl = int(r.get("ir_slicer") or 0), int(r.get("ir_deliver") or 0)
            tot = int(r["ir_file"]) - int(r["ir_empty"])
            share = cap = ""
            if (sl or dl) and tot > 0:
                share = "%.1f%% + %.1f%%" % (100.0 * sl / tot, 100.0 * dl / tot)
                cap = "%.0f×" % (tot / max(sl, dl))
            w("| %s | %s | %s | %s | %s | %s |" % (DESCRIBE.get(r["label"], r["label"]), r["corpus"], fmt_int(v),
                                                   ("%.2f" % (y / v)) if y and r["label"] != "yaz -n" and v else "",
                                                   share, cap))
        w("")

    # Targets
    w("## Targets of the issue")
    w("")
    if a.main != "1m":
        w("**Measured with --quick on 100k records; the targets are defined on the 1M-record corpus.**")
        w("")
    w("| target | measured | status |")
    w("|---|---|---|")

    def status(ok):
        return "**met**" if ok else "**not met**"

    r = get("index", main_utf8)
    if r:
        w("| index ≥ 2 GB/s (%s) | %s GB/s (%s GB per CPU second) | %s |" % (
            main_utf8, fmt(r.mbps / 1000, 2), fmt(r.bytes / r.cpu / 1e9, 2), status(r.mbps >= 2000)))
    ir = cg_get("parse", "utf8-10k")
    if ir is not None:
        w("| full decode ≤ 5,000 instructions/record | %s instructions/record (utf8-10k) | %s |" % (fmt_int(ir), status(ir <= 5000)))
    p1 = get("parse", main_utf8, 1)
    if p1:
        w("| single-thread full decode ≥ 700k records/s (aim 1M) | %s records/s (%s per CPU second) | %s |" % (
            fmt_int(p1.rps), fmt_int(p1.records / p1.cpu), status(p1.rps >= 700000)))
    y = get("yaz -n", main_utf8)
    if p1 and y:
        iry = cg_get("yaz -n", "utf8-10k")
        extra = ("; by instructions %.2f×" % (iry / ir)) if iry and ir else ""
        pr = paired(y, p1)
        ratio, lo, hi = pr if pr else (p1.rps / y.rps, p1.rps / y.rps, p1.rps / y.rps)
        w("| single-thread full decode ≥ 5× yaz-marcdump -n | %.2f× (median of the rounds, each run right after yaz; "
          "rounds %.2f-%.2f×; %s vs %s records/s%s) | %s |" % (
            ratio, lo, hi, fmt_int(p1.rps), fmt_int(y.rps), extra, status(ratio >= 5)))
    m1, mn = get("decode", main_marc8, 1), get("decode", main_marc8, tmax)
    if m1:
        txt = "%s records/s at 1 thread (%s per CPU second)" % (fmt_int(m1.rps), fmt_int(m1.records / m1.cpu))
        if mn and tmax != 1:
            txt += ", %s at %d threads" % (fmt_int(mn.rps), tmax)
        # The issue gives no thread count for this target; the pipeline's default is every core.
        best = mn if (mn and tmax != 1) else m1
        w("| MARC-8 decode ≥ 300k records/s (default threads: every core) | %s | %s |" % (txt, status(best.rps >= 300000) + (
            " at %d threads (%s at 1)" % (tmax, "met" if m1.rps >= 300000 else "not met") if best is not m1 else "")))
    if tmax > 1:
        for label, corp in [("parse", main_utf8), ("title", main_utf8), ("decode", main_utf8), ("reencode", main_utf8),
                            ("decode", main_marc8)]:
            one, many = get(label, corp, 1), get(label, corp, tmax)
            if one and many:
                sp, lo, hi = paired(one, many)
                ic = independent(one, tmax, label, corp)
                ceiling = ("; %d separate 1-thread processes at once: %.2f× (rounds %.2f-%.2f×)" % ((tmax,) + ic)) if ic else ""
                w("| %d threads ≥ 1.8× one thread: %s, %s | %.2f× (rounds %.2f-%.2f×; %s → %s s; CPU %s → %s s%s) | %s |" % (
                    tmax, label, corp, sp, lo, hi, fmt(one.wall, 2), fmt(many.wall, 2), fmt(one.cpu, 2), fmt(many.cpu, 2),
                    ceiling, status(sp >= 1.8)))
    streaming = [r for (l, c, t, th), r in rows.items()
                 if t == "marcscope" and l in ("parse", "decode", "title", "reencode")]  # not "independent"
    if streaming:
        worst = max(streaming, key=lambda r: r.rss_max)
        w("| peak RSS while streaming ≤ 100 MB | at most %s MB (%s, %d threads, %s) | %s |" % (
            fmt(worst.rss_max, 1), worst.label, worst.threads, worst.corpus, status(worst.rss_max <= 100)))
    idx = get("index", main_utf8)
    if idx:
        w("| (not a target) index keeps the mapping resident | %s MB for %s | — |" % (fmt(idx.rss, 1), main_utf8))
    w("")

    # Hot spots
    hs = [(m, os.path.join(a.results, "hotspots.%s.txt" % m)) for m in ("parse", "decode")]
    if any(os.path.exists(p) for _, p in hs):
        w("## Hot spots (callgrind, self cost, utf8-10k, 1 thread)")
        w("")
        for m, p in hs:
            if not os.path.exists(p):
                continue
            w("`%s`:" % m)
            w("")
            w("```")
            for line in open(p):
                line = re.sub(r"\s*\[[^\]]*\]\s*$", "", line.rstrip())
                line = re.sub(r"std::basic_string_view<char, std::char_traits<char> >", "string_view", line)
                line = re.sub(r"std::vector<marcscope::Diagnostic, std::allocator<marcscope::Diagnostic> >", "Diagnostics", line)
                line = re.sub(r"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >", "string", line)
                w(line[:150])
            w("```")
            w("")

    notes = ""
    if a.output != "-" and os.path.exists(a.output):
        text = open(a.output).read()
        if NOTES_MARKER in text:
            notes = text.split(NOTES_MARKER, 1)[1]
    w(NOTES_MARKER)
    report = "\n".join(out) + (notes if notes else "\n")
    if a.output == "-":
        sys.stdout.write(report)
    else:
        with open(a.output, "w") as f:
            f.write(report)
        sys.stdout.write(report)


if __name__ == "__main__":
    main()
