#!/usr/bin/env bash
# Runs the parallel-pipeline benchmarks side by side and writes docs/BENCHMARKS.md.
#
#   benchmarks/run.sh [--quick] [--repeats N] [--threads "1 N"] [--build-dir DIR]
#                     [--corpus-dir DIR] [--no-callgrind] [--no-marc4j] [--output FILE]
#
# --quick       the 100k-record corpora only (the targets are defined on 1M records)
# --repeats N   runs per configuration (default 5); the report gives the median (ratios: the
#               median of the ratios of runs made one after the other)
# --threads     thread counts for the pipeline modes (default "1 $(nproc)")
# --output      where the Markdown report goes (default docs/BENCHMARKS.md; "-" = stdout only)
#
# Everything is deterministic except wall-clock time. Raw figures go to benchmarks/results/.
set -euo pipefail

SCRIPT=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OUTPUT="$ROOT/docs/BENCHMARKS.md"
REPEATS=5
QUICK=0
MARC4J=1
ARGS="$*"

while [ $# -gt 0 ]; do
  if common_option "$1" "${2:-}"; then shift "$SHIFT"; continue; fi
  case "$1" in
    --quick) QUICK=1 ;;
    --corpus-dir) CORPUS=$2; shift ;;
    --no-marc4j) MARC4J=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done

# ---------------------------------------------------------------------------------------------
# 1. Build (Release, benchmarks on, tests off).
build_release marcscope bench_engine make_corpus memchr_floor
BIN="$BUILD/benchmarks"
CLI="$BUILD/app/marcscope"

# ---------------------------------------------------------------------------------------------
# 2. Corpora (made once, kept in $CORPUS).
mkdir -p "$CORPUS" "$RESULTS"
if [ "$QUICK" -eq 1 ]; then SIZES="10k 100k"; MAIN=100k; else SIZES="10k 100k 1m"; MAIN=1m; fi
count_of() { case "$1" in 10k) echo 10000 ;; 100k) echo 100000 ;; 1m) echo 1000000 ;; esac; }
for kind in utf8 marc8; do
  for size in $SIZES; do
    f="$CORPUS/$kind-$size.mrc"
    if [ ! -s "$f" ]; then
      log "making $f"
      "$BIN/make_corpus" --kind "$kind" --count "$(count_of "$size")" --out "$f.tmp" 2>>"$RESULTS/make_corpus.log"
      mv "$f.tmp" "$f"
    fi
  done
done
: > "$CORPUS/empty.mrc"
UTF8="$CORPUS/utf8-$MAIN.mrc"
MARC8="$CORPUS/marc8-$MAIN.mrc"
UTF8_100K="$CORPUS/utf8-100k.mrc"
MARC8_100K="$CORPUS/marc8-100k.mrc"

# marc4j (optional)
MARC4J_CP=""
MARC4J_WHY=""
if [ "$MARC4J" -eq 0 ]; then
  MARC4J_WHY="skipped (--no-marc4j)"
elif [ ! -f /usr/share/java/marc4j.jar ]; then
  MARC4J_WHY="skipped: /usr/share/java/marc4j.jar not found (apt-get install libmarc4j-java)"
elif ! command -v javac >/dev/null || ! command -v java >/dev/null; then
  MARC4J_WHY="skipped: no java/javac"
else
  mkdir -p "$BUILD/marc4j"
  javac -d "$BUILD/marc4j" -cp /usr/share/java/marc4j.jar "$BENCH/marc4j/Driver.java"
  MARC4J_CP="/usr/share/java/marc4j.jar:$BUILD/marc4j"
fi
YAZ=$(command -v yaz-marcdump || true)
need_time

log "warming the page cache"
for f in "$CORPUS"/*.mrc; do cat "$f" >/dev/null; done

# ---------------------------------------------------------------------------------------------
# 3. Timed runs. Each configuration runs REPEATS times; repeats are the outer loop so that a
#    change in machine load hits every configuration alike.
RAW="$RESULTS/raw.tsv"
printf 'label\tcorpus\ttool\tthreads\trep\trecords\tbytes\twall_s\tcpu_s\trss_mb\n' > "$RAW"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure LABEL TOOL THREADS CORPUS_FILE RECORDS CMD...
# Uses the program's own wall_s/cpu_s when it prints them (engine, memchr, marc4j), otherwise
# the process's (/usr/bin/time). Peak RSS is always the process's maximum resident set.
measure() {
  local label=$1 tool=$2 threads=$3 file=$4 records=$5; shift 5
  if ! "$TIME" -f '%e %U %S %M' -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err"; then
    # marcscope exits 1 when it finds problems; anything else is a failure
    if ! grep -q . "$TMP/out"; then
      log "FAILED: $*"; cat "$TMP/err" >&2; return 1
    fi
  fi
  local t_wall t_user t_sys t_rss
  read -r t_wall t_user t_sys t_rss < <(tail -1 "$TMP/time")
  local line; line=$(grep '=' "$TMP/out" | tail -1 || true)
  kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$line"; }
  local wall cpu recs
  wall=$(kv wall_s); cpu=$(kv cpu_s); recs=$(kv records)
  [ -n "$wall" ] || wall=$t_wall
  [ -n "$cpu" ] || cpu=$(awk -v u="$t_user" -v s="$t_sys" 'BEGIN{printf "%.2f", u+s}')
  [ -n "$recs" ] || recs=$records
  local bytes; bytes=$(stat -c %s "$file")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$(basename "$file" .mrc)" "$tool" "$threads" \
    "$REP" "$recs" "$bytes" "$wall" "$cpu" "$(awk -v k="$t_rss" 'BEGIN{printf "%.1f", k/1024}')" >> "$RAW"
}

# measure_pair LABEL FILE RECORDS CMD...: as many copies of a 1-thread CMD as the thread count
# asks for, started together. Their total records over the slowest copy's wall time is what the
# machine gives for that many independent threads at this moment: the ceiling for the pipeline's
# own N-thread run, measured right next to it (the report's "independent" ratio).
measure_pair() {
  local label=$1 file=$2 records=$3 n=$4; shift 4
  local i
  for i in $(seq "$n"); do "$@" >"$TMP/pair.$i" 2>&1 & done
  wait
  local wall cpu
  wall=$(cat "$TMP"/pair.* | sed -n 's/.*wall_s=\([^ ]*\).*/\1/p' | sort -g | tail -1)
  cpu=$(cat "$TMP"/pair.* | sed -n 's/.*cpu_s=\([^ ]*\).*/\1/p' | awk '{s+=$1} END {printf "%.6f", s}')
  rm -f "$TMP"/pair.*
  [ -n "$wall" ] || { log "FAILED: $* (x$n)"; return 1; }
  local bytes; bytes=$(stat -c %s "$file")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$(basename "$file" .mrc)" "independent" "$n" \
    "$REP" "$((records * n))" "$((bytes * n))" "$wall" "$cpu" "0" >> "$RAW"
}

N_MAIN=$(count_of "$MAIN")
: > "$RESULTS/loadavg.txt"
MODES="index parse decode title reencode"
for REP in $(seq 1 "$REPEATS"); do
  log "round $REP/$REPEATS"
  echo "round $REP ($(date +%H:%M)): $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/loadavg.txt"
  measure floor memchr 1 "$UTF8" "$N_MAIN" "$BIN/memchr_floor" "$UTF8"
  measure floor memchr 1 "$MARC8" "$N_MAIN" "$BIN/memchr_floor" "$MARC8"
  # Ratios are taken per round between runs made one right after the other (1 thread and N
  # threads of a mode; our parse and yaz-marcdump's), so a change of load between rounds moves
  # both sides of a ratio alike.
  for mode in $MODES; do
    for t in $THREADS; do
      [ "$mode" = index ] && [ "$t" != 1 ] && continue
      measure "$mode" marcscope "$t" "$UTF8" "$N_MAIN" "$BIN/bench_engine" --mode "$mode" --threads "$t" "$UTF8"
      if [ "$mode" != index ] && [ "$t" != 1 ]; then
        measure_pair "$mode" "$UTF8" "$N_MAIN" "$t" "$BIN/bench_engine" --mode "$mode" --threads 1 "$UTF8"
      fi
    done
    if [ "$mode" = parse ] && [ -n "$YAZ" ]; then
      measure "yaz -n" yaz-marcdump 1 "$UTF8" "$N_MAIN" "$YAZ" -n "$UTF8"
    fi
  done
  for mode in serial-parse serial-title; do
    measure "$mode" marcscope 1 "$UTF8" "$N_MAIN" "$BIN/bench_engine" --mode "$mode" "$UTF8"
  done
  for mode in parse decode; do
    for t in $THREADS; do
      measure "$mode" marcscope "$t" "$MARC8" "$N_MAIN" "$BIN/bench_engine" --mode "$mode" --threads "$t" "$MARC8"
      if [ "$mode" = decode ] && [ "$t" != 1 ]; then
        measure_pair "$mode" "$MARC8" "$N_MAIN" "$t" "$BIN/bench_engine" --mode "$mode" --threads 1 "$MARC8"
      fi
    done
    if [ "$mode" = parse ] && [ -n "$YAZ" ]; then
      measure "yaz -n" yaz-marcdump 1 "$MARC8" "$N_MAIN" "$YAZ" -n "$MARC8"
    fi
  done
  if [ "$QUICK" -eq 0 ] && [ "$REP" -eq 1 ]; then
    # Peak RSS must not depend on the file size: the same streaming modes on 100k records (once).
    for mode in parse decode reencode; do
      measure "$mode" marcscope "$NPROC" "$UTF8_100K" 100000 "$BIN/bench_engine" --mode "$mode" --threads "$NPROC" "$UTF8_100K"
    done
  fi
  for t in $THREADS; do
    measure "cli count" marcscope-cli "$t" "$UTF8" "$N_MAIN" "$CLI" count --quiet --threads "$t" "$UTF8"
  done
  if [ -n "$MARC4J_CP" ]; then
    # marc4j reads 10-20k records/s: the 100k corpora keep it within the time budget.
    measure "marc4j stream" marc4j 1 "$UTF8_100K" 100000 java -cp "$MARC4J_CP" Driver "$UTF8_100K" stream
    measure "marc4j marc8" marc4j 1 "$MARC8_100K" 100000 java -cp "$MARC4J_CP" Driver "$MARC8_100K" marc8
  fi
done

# ---------------------------------------------------------------------------------------------
# 4. Instructions per record (callgrind): exact and repeatable, unlike wall time here.
#    Ir(10k-record file) - Ir(empty file), divided by 10,000: start-up costs cancel out.
CG="$RESULTS/callgrind.tsv"
printf 'label\tcorpus\ttool\trecords\tir_file\tir_empty\tir_per_record\tir_slicer\tir_deliver\n' > "$CG"
# Inclusive Ir of the pipeline's two serial stages (slicer, in-order delivery incl. freeing the
# batch): the share of work that cannot run in parallel.
stage_ir() {  # stage_ir CALLGRIND_OUT PATTERN
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null | grep -F "$2" | head -1 \
    | sed -n 's/^ *\([0-9,]*\) .*/\1/p' | tr -d , | grep . || echo 0
}
cg_one() {  # cg_one LABEL TOOL CORPUS_NAME OUTFILE CMD... (with @FILE@ standing for the input)
  local label=$1 tool=$2 corpus=$3 out=$4; shift 4
  local ir=()
  for f in "$CORPUS/$corpus.mrc" "$CORPUS/empty.mrc"; do
    local cmd=("${@//@FILE@/$f}")
    local cgout="$out"; [ "$f" = "$CORPUS/empty.mrc" ] && cgout="$out.empty"
    valgrind --tool=callgrind --callgrind-out-file="$cgout" "${cmd[@]}" >/dev/null 2>"$TMP/cg"
    ir+=("$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$TMP/cg")")
  done
  rm -f "$out.empty"
  local slicer=0 deliver=0
  if [ "$tool" = marcscope ]; then
    slicer=$(stage_ir "$out" 'concrete_filter<void, marcscope::(anonymous namespace)::Slice*')
    deliver=$(stage_ir "$out" 'concrete_filter<marcscope::Batch*, void')
  fi
  printf '%s\t%s\t%s\t10000\t%s\t%s\t%s\t%s\t%s\n' "$label" "$corpus" "$tool" "${ir[0]}" "${ir[1]}" \
    "$(( (ir[0] - ir[1]) / 10000 ))" "$slicer" "$deliver" >> "$CG"
}
echo "end ($(date +%H:%M)): $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/loadavg.txt"
if [ "$CALLGRIND" -eq 1 ] && command -v valgrind >/dev/null; then
  log "callgrind (10k records, 1 thread)"
  for mode in index parse serial-parse title serial-title decode reencode; do
    cg_one "$mode" marcscope utf8-10k "$RESULTS/callgrind.$mode.utf8.out" \
      "$BIN/bench_engine" --mode "$mode" --threads 1 @FILE@
  done
  for mode in parse decode; do
    cg_one "$mode" marcscope marc8-10k "$RESULTS/callgrind.$mode.marc8.out" \
      "$BIN/bench_engine" --mode "$mode" --threads 1 @FILE@
  done
  if [ -n "$YAZ" ]; then
    cg_one "yaz -n" yaz-marcdump utf8-10k "$RESULTS/callgrind.yaz.utf8.out" "$YAZ" -n @FILE@
    cg_one "yaz -n" yaz-marcdump marc8-10k "$RESULTS/callgrind.yaz.marc8.out" "$YAZ" -n @FILE@
  fi
  for mode in parse decode; do
    callgrind_annotate --inclusive=no "$RESULTS/callgrind.$mode.utf8.out" 2>/dev/null \
      | grep -E '^ *[0-9,]+ +\(' | grep -v 'PROGRAM TOTALS' | head -12 > "$RESULTS/hotspots.$mode.txt" || true
  done
elif [ "$CALLGRIND" -eq 1 ]; then
  log "valgrind not found: no instruction counts"
fi

# ---------------------------------------------------------------------------------------------
# 5. Report.
ELAPSED=$(( $(date +%s) - START ))
log "measured in ${ELAPSED}s; writing the report"
python3 "$BENCH/report.py" --raw "$RAW" --callgrind "$CG" --results "$RESULTS" --corpus "$CORPUS" \
  --main "$MAIN" --threads "$THREADS" --repeats "$REPEATS" --elapsed "$ELAPSED" --args "$ARGS" \
  --marc4j "${MARC4J_WHY:-ok}" --root "$ROOT" --output "$OUTPUT"
