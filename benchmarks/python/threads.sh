#!/usr/bin/env bash
# Python threads reading in parallel (benchmarks/python/bench_threads.py): builds the module and
# make_corpus in the benchmarks' Release tree (or --build-dir DIR), makes the corpus if missing,
# measures 1, 2 (and the core count) Python threads, each with its own reader and copy.
#   benchmarks/python/threads.sh [--count 100000] [--repeats 5] [--build-dir DIR] [--output FILE]
set -euo pipefail
SCRIPT=python-threads
source "$(dirname "$0")/../common.sh"
COUNT=100000
REPEATS=5
OUTPUT=""
while (($#)); do
  case "$1" in
    --count) COUNT=$2; shift 2 ;;
    *) common_option "$@" || die "unknown option $1"; shift "$SHIFT" ;;
  esac
done
build_release marcscope_python make_corpus
mkdir -p "$CORPUS"
f="$CORPUS/utf8-threads-$COUNT.mrc"
if [ ! -f "$f" ]; then
  log "making $f"
  "$BUILD/benchmarks/make_corpus" --kind utf8 --count "$COUNT" --out "$f.tmp" 2>>"$RESULTS/make_corpus.log"
  mv "$f.tmp" "$f"
fi
log "measuring ($REPEATS repeats)"
PYTHONPATH="$BUILD/python" /usr/bin/python3 "$BENCH/python/bench_threads.py" --corpus "$f" --repeats "$REPEATS" \
  --output "${OUTPUT:-$RESULTS/python-threads.md}"
