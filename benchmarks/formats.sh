#!/usr/bin/env bash
# Conversion and validation benchmarks, side by side in one run, written to
# docs/BENCHMARKS-formats.md (issues #4 and #5: MarcScope against yaz-marcdump and MARC::Lint).
#
#   benchmarks/formats.sh [--size 100k|1m] [--repeats N] [--threads "1 N"] [--build-dir DIR]
#                         [--validate-1m] [--no-callgrind] [--output FILE]
#
# --validate-1m  also validate the 1M-record corpus (the issue's validation target is defined
#                on it) at each thread count
#
# Measures on the generated UTF-8 corpus (benchmarks/run.sh or make_corpus makes it):
#   ISO 2709 -> MARCXML      marcscope convert          vs  yaz-marcdump -o marcxml
#   MARCXML -> ISO 2709      marcscope convert          vs  yaz-marcdump -i marcxml -o marc
#   ISO 2709 -> MARC-in-JSON marcscope convert --to json vs yaz-marcdump -o json
#   validate                 marcscope validate         vs  marclint (MARC::Lint; on the 10k corpus,
#                                                            it reads about a thousand records a second)
#                                                            and vs MARC::Lint->check_record alone
#                                                            (marclint_check_record.pl: its time inside
#                                                            check_record, reading left out)
# at each thread count, REPEATS times (repeats are the outer loop), reporting the median wall
# time, CPU seconds (user + system), records per second and the ratio to the other tool; and,
# unless --no-callgrind, instructions per record on the 10k corpus (exact, unlike wall time).
set -euo pipefail

SCRIPT=formats.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OUTPUT="$ROOT/docs/BENCHMARKS-formats.md"
SIZE=100k
REPEATS=3
VALIDATE_1M=0
ARGS="$*"
while [ $# -gt 0 ]; do
  if common_option "$1" "${2:-}"; then shift "$SHIFT"; continue; fi
  case "$1" in
    --size) SIZE=$2; shift ;;
    --validate-1m) VALIDATE_1M=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done
case "$SIZE" in 100k) N=100000 ;; 1m) N=1000000 ;; *) die "--size 100k or 1m" ;; esac

mkdir -p "$CORPUS" "$RESULTS"
build_release marcscope make_corpus
CLI="$BUILD/app/marcscope"
YAZ=$(command -v yaz-marcdump || true)
MARCLINT=$(command -v marclint || true)
[ -n "$YAZ" ] || die "yaz-marcdump is needed (apt-get install yaz)"
need_time

SIZES="10k $SIZE"
[ "$VALIDATE_1M" -eq 1 ] && SIZES="$SIZES 1m"
for s in $SIZES; do
  f="$CORPUS/utf8-$s.mrc"
  if [ ! -s "$f" ]; then
    case "$s" in 10k) n=10000 ;; 100k) n=100000 ;; 1m) n=1000000 ;; esac
    log "making $f"
    "$BUILD/benchmarks/make_corpus" --kind utf8 --count "$n" --out "$f.tmp" 2>>"$RESULTS/make_corpus.log"
    mv "$f.tmp" "$f"
  fi
done
MRC="$CORPUS/utf8-$SIZE.mrc"
MRC10="$CORPUS/utf8-10k.mrc"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/marcscope-formats.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# The MARCXML inputs, made once by yaz (so that neither side reads its own output).
XML="$TMP/utf8-$SIZE.xml"
XML10="$TMP/utf8-10k.xml"
log "making the MARCXML inputs with yaz-marcdump"
"$YAZ" -i marc -o marcxml "$MRC" > "$XML"
"$YAZ" -i marc -o marcxml "$MRC10" > "$XML10"
for f in "$MRC" "$XML"; do cat "$f" > /dev/null; done

RAW="$RESULTS/formats.tsv"
printf 'task\ttool\tthreads\trep\trecords\twall_s\tcpu_s\trss_mb\n' > "$RAW"
# measure TASK TOOL THREADS RECORDS CMD... (output to $TMP/out; exit status 1 = problems found)
measure() {
  local task=$1 tool=$2 threads=$3 records=$4; shift 4
  local rc=0
  "$TIME" -f '%e %U %S %M' -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  if [ "$rc" -gt 1 ]; then log "FAILED ($rc): $*"; head -5 "$TMP/err" >&2; return 1; fi
  local w u s m
  read -r w u s m < <(tail -1 "$TMP/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$task" "$tool" "$threads" "$REP" "$records" "$w" \
    "$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')" "$(awk -v k="$m" 'BEGIN{printf "%.1f", k/1024}')" >> "$RAW"
}
: > "$RESULTS/formats-loadavg.txt"
for REP in $(seq 1 "$REPEATS"); do
  log "round $REP/$REPEATS"
  echo "round $REP ($(date +%H:%M)): $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/formats-loadavg.txt"
  measure "ISO 2709 -> MARCXML" yaz-marcdump 1 "$N" "$YAZ" -i marc -o marcxml "$MRC"
  measure "MARCXML -> ISO 2709" yaz-marcdump 1 "$N" "$YAZ" -i marcxml -o marc "$XML"
  measure "ISO 2709 -> JSON" yaz-marcdump 1 "$N" "$YAZ" -i marc -o json "$MRC"
  for t in $THREADS; do
    measure "ISO 2709 -> MARCXML" marcscope "$t" "$N" "$CLI" convert -q --threads "$t" "$MRC" "$TMP/out.xml"
    measure "MARCXML -> ISO 2709" marcscope "$t" "$N" "$CLI" convert -q --threads "$t" "$XML" "$TMP/out.mrc"
    measure "ISO 2709 -> JSON" marcscope "$t" "$N" "$CLI" convert -q --threads "$t" --to json "$MRC" "$TMP/out.json"
    measure "validate" marcscope "$t" "$N" "$CLI" validate -q --threads "$t" --format json "$MRC"
    if [ "$VALIDATE_1M" -eq 1 ] && [ "$SIZE" != 1m ]; then
      measure "validate (1M records)" marcscope "$t" 1000000 "$CLI" validate -q --threads "$t" --format json "$CORPUS/utf8-1m.mrc"
    fi
  done
  if [ -n "$MARCLINT" ] && [ "$REP" -eq 1 ]; then
    measure "validate" marclint 1 10000 "$MARCLINT" "$MRC10"
  fi
  if [ "$REP" -eq 1 ] && perl -MMARC::Lint -e 1 2>/dev/null; then
    # MARC::Lint's own checking: the seconds spent inside check_record, as both wall and CPU time.
    perl "$BENCH/marclint_check_record.pl" "$MRC10" > "$TMP/check_record.txt"
    s=$(awk -F'\t' '$1 == "check_record_s" {print $2}' "$TMP/check_record.txt")
    n=$(awk -F'\t' '$1 == "records" {print $2}' "$TMP/check_record.txt")
    printf 'validate\tMARC::Lint check_record\t1\t%s\t%s\t%s\t%s\t0.0\n' "$REP" "$n" "$s" "$s" >> "$RAW"
  fi
done
echo "end ($(date +%H:%M)): $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/formats-loadavg.txt"

CG="$RESULTS/formats-callgrind.tsv"
printf 'task\ttool\tir_per_record\n' > "$CG"
if [ "$CALLGRIND" -eq 1 ] && command -v valgrind >/dev/null; then
  log "callgrind (10k records, 1 thread)"
  EMPTY_MRC="$TMP/empty.mrc"; : > "$EMPTY_MRC"
  EMPTY_XML="$TMP/empty.xml"; printf '<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim"/>\n' > "$EMPTY_XML"
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$TMP/cg" || true
         sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$TMP/cg"; }
  cg() {  # cg TASK TOOL INPUT EMPTY_INPUT CMD... (@IN@ = the input)
    local task=$1 tool=$2 in=$3 empty=$4; shift 4
    local a b
    a=$(ir "${@//@IN@/$in}"); b=$(ir "${@//@IN@/$empty}")
    printf '%s\t%s\t%s\n' "$task" "$tool" "$(( (a - b) / 10000 ))" >> "$CG"
  }
  cg "ISO 2709 -> MARCXML" yaz-marcdump "$MRC10" "$EMPTY_MRC" "$YAZ" -i marc -o marcxml @IN@
  cg "ISO 2709 -> MARCXML" marcscope "$MRC10" "$EMPTY_MRC" "$CLI" convert -q --threads 1 --to marcxml @IN@ -
  cg "MARCXML -> ISO 2709" yaz-marcdump "$XML10" "$EMPTY_XML" "$YAZ" -i marcxml -o marc @IN@
  cg "MARCXML -> ISO 2709" marcscope "$XML10" "$EMPTY_XML" "$CLI" convert -q --threads 1 --to iso2709 @IN@ -
  cg "ISO 2709 -> JSON" yaz-marcdump "$MRC10" "$EMPTY_MRC" "$YAZ" -i marc -o json @IN@
  cg "ISO 2709 -> JSON" marcscope "$MRC10" "$EMPTY_MRC" "$CLI" convert -q --threads 1 --to json @IN@ -
  cg "validate" marcscope "$MRC10" "$EMPTY_MRC" "$CLI" validate -q --threads 1 --format json @IN@
fi

ELAPSED=$(( $(date +%s) - START ))
log "measured in ${ELAPSED}s; writing $OUTPUT"
python3 "$BENCH/formats_report.py" "$RAW" "$CG" "$RESULTS/formats-loadavg.txt" "$OUTPUT" "$SIZE" "$REPEATS" "$ELAPSED" "$ARGS" "$ROOT"
