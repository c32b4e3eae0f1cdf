#!/usr/bin/env bash
# The Python module against pymarc (benchmarks/python/bench_python.py): builds the module in the
# benchmarks' Release tree, makes the corpora if missing, measures, writes docs/BENCHMARKS-python.md.
#   benchmarks/python/run.sh [--sizes "100k 1m"] [--repeats N] [--pymarc DIR] [--callgrind] [--output FILE]
# pymarc is not a Debian package: give a pymarc source directory (--pymarc DIR or PYMARC_SRC) or
# have it installed; without it the pymarc rows say "not available".
set -euo pipefail
SCRIPT=python-bench
source "$(dirname "$0")/../common.sh"
SIZES="100k"
REPEATS=3
PYMARC=()
CALLGRIND_ARGS=()
while (($#)); do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --pymarc) PYMARC=(--pymarc "$2"); shift 2 ;;
    --callgrind) CALLGRIND_ARGS=(--callgrind-corpus "$CORPUS/utf8-10k.mrc"); shift ;;
    *) die "unknown option $1" ;;
  esac
done
build_release marcscope_python make_corpus
count_of() { case "$1" in 10k) echo 10000 ;; 100k) echo 100000 ;; 1m) echo 1000000 ;; esac; }
mkdir -p "$CORPUS"
for size in $SIZES 10k; do
  f="$CORPUS/utf8-$size.mrc"
  if [ ! -f "$f" ]; then
    log "making $f"
    "$BUILD/benchmarks/make_corpus" --kind utf8 --count "$(count_of "$size")" --out "$f.tmp" 2>>"$RESULTS/make_corpus.log"
    mv "$f.tmp" "$f"
  fi
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log "measuring (sizes: $SIZES, repeats: $REPEATS)"
PYTHONPATH="$BUILD/python" /usr/bin/python3 "$BENCH/python/bench_python.py" --corpus "$CORPUS" --sizes "$SIZES" \
  --repeats "$REPEATS" --tmp "$TMP" "${PYMARC[@]}" "${CALLGRIND_ARGS[@]}" --output "$RESULTS/python.md"
log "figures in $RESULTS/python.md (and python.json)"
