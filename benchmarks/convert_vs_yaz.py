#!/usr/bin/env python3
"""One-thread `marcscope convert` against a baseline marcscope and yaz-marcdump, side by side.

    benchmarks/convert_vs_yaz.py BASELINE_MARCSCOPE NEW_MARCSCOPE INPUT.mrc TO [ROUNDS]

TO is marc, marcxml or json (yaz-marcdump's -o names, which marcscope's --to shares). Each round
runs the three programs one after the other (alternated, so that a busy spell of the machine
falls on all of them), output to /dev/null; prints each program's median and best wall time over
ROUNDS (default 9) and yaz's median over each program's: the ratio the issue's targets are
stated in (above 1: faster than yaz). Wall time in milliseconds from time.perf_counter().
"""

import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    base, new, path, to = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) == 6 else 9
    commands = {
        "baseline": [base, "convert", "-q", "-j", "1", "--to", to, path, "-"],
        "marcscope": [new, "convert", "-q", "-j", "1", "--to", to, path, "-"],
        "yaz-marcdump": ["yaz-marcdump", "-i", "marc", "-o", to, path],
    }
    times = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    yaz = statistics.median(times["yaz-marcdump"])
    print(f"{path} -> {to}, {rounds} rounds")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"  {name:13s} median {median * 1000:8.1f} ms  best {min(ts) * 1000:8.1f} ms  yaz/this {yaz / median:5.2f}")


if __name__ == "__main__":
    main()
