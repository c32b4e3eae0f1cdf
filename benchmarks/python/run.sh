#!/usr/bin/env bash
# The Python module against pymarc (benchmarks/python/bench_python.py): builds the module in the
# benchmarks' Release tree, makes the corpora if missing, measures, writes docs/BENCHMARKS-python.md.
#   benchmarks/python/run.sh [--sizes "100k 1m"] [--repeats N] [--pymarc DIR] [--callgrind] [--build-dir DIR]
#                            [--output FILE]
# pymarc is not a Debian package: give a pymarc source directory (--pymarc DIR or PYMARC_SRC) or
# have it installed; without it the pymarc rows say "not available". --callgrind adds instruction
# counts on utf8-3k.mrc (the first 3,000 records of utf8-10k.mrc; pymarc takes minutes under
# valgrind). --build-dir measures an existing build tree (configured with benchmarks on).
set -euo pipefail
SCRIPT=python-bench
source "$(dirname "$0")/../common.sh"
SIZES="100k"
REPEATS=3
PYMARC=()
CALLGRIND_ARGS=()
CALLGRIND_SIZE=""
OUTPUT="$RESULTS/python.md"
while (($#)); do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --pymarc) PYMARC=(--pymarc "$2"); shift 2 ;;
    --callgrind) CALLGRIND_ARGS=(--callgrind-corpus "$CORPUS/utf8-3k.mrc"); CALLGRIND_SIZE=3k; shift ;;
    --build-dir) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --output) OUTPUT=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
build_release marcscope_python make_corpus
count_of() { case "$1" in 3k) echo 3000 ;; 10k) echo 10000 ;; 100k) echo 100000 ;; 1m) echo 1000000 ;; esac; }
mkdir -p "$CORPUS"
for size in $SIZES $CALLGRIND_SIZE; do
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
  --repeats "$REPEATS" --tmp "$TMP" "${PYMARC[@]}" "${CALLGRIND_ARGS[@]}" --output "$OUTPUT"
log "figures in $OUTPUT (and ${OUTPUT%.md}.json)"
