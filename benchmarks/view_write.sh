#!/usr/bin/env bash
# Issue #12: `marcscope convert` writing records that need no change straight from their view
# (ReadOptions::skip_as_is), against a baseline marcscope binary and yaz-marcdump, on one thread.
#
#   benchmarks/view_write.sh BASELINE_MARCSCOPE NEW_MARCSCOPE MAKE_CORPUS [COUNT] [REPEATS]
#
# Makes a UTF-8 and a MARC-8 corpus of COUNT records (default 20000) with make_corpus, then for
# ISO 2709 -> ISO 2709, MARCXML and MARC-in-JSON prints, for each program:
#   instructions per record: callgrind's total on the corpus minus its total on an empty file,
#                            divided by COUNT (exact, whatever else the machine runs)
#   records per second:      the best of REPEATS wall times (-j 1 for marcscope)
# and checks that both marcscope binaries write the same bytes.
set -euo pipefail
BASE=$1 NEW=$2 MAKE_CORPUS=$3 N=${4:-20000} REPEATS=${5:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: > "$TMP/empty.mrc"
"$MAKE_CORPUS" --kind utf8 --count "$N" --out "$TMP/utf8.mrc" 2>/dev/null
"$MAKE_CORPUS" --kind marc8 --count "$N" --out "$TMP/marc8.mrc" 2>/dev/null

instructions() {  # command with @IN@ for the input; prints instructions on the corpus minus on the empty file
  local in=$1; shift
  local full empty
  full=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${@//@IN@/$in}" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
  empty=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${@//@IN@/$TMP/empty.mrc}" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
  echo $(((full - empty) / N))
}
rate() {  # best wall time of REPEATS runs -> records per second
  local in=$1; shift
  local best=
  for _ in $(seq "$REPEATS"); do
    local t0 t1
    t0=$(date +%s.%N); "${@//@IN@/$in}" >/dev/null; t1=$(date +%s.%N)
    best=$(echo "$t1 - $t0" | bc -l | awk -v b="$best" '{ if (b == "" || $1 < b) print $1; else print b }')
  done
  awk -v n="$N" -v t="$best" 'BEGIN { printf "%.0f", n / t }'
}

printf '| corpus | conversion | program | instructions/record | records/s (best of %s) |\n|---|---|---|---:|---:|\n' "$REPEATS"
for kind in utf8 marc8; do
  in="$TMP/$kind.mrc"
  for to in iso2709 marcxml json; do
    case $to in iso2709) yo=marc ;; *) yo=$to ;; esac
    "$BASE" convert -q -j 1 --to "$to" "$in" "$TMP/base.out"
    "$NEW" convert -q -j 1 --to "$to" "$in" "$TMP/new.out"
    cmp -s "$TMP/base.out" "$TMP/new.out" || { echo "$kind $to: the outputs differ" >&2; exit 1; }
    for prog in baseline new yaz; do
      case $prog in
        baseline) cmd=("$BASE" convert -q -j 1 --to "$to" @IN@ -) ;;
        new) cmd=("$NEW" convert -q -j 1 --to "$to" @IN@ -) ;;
        yaz) cmd=(yaz-marcdump -i marc -o "$yo" @IN@) ;;
      esac
      printf '| %s | ISO 2709 -> %s | %s | %s | %s |\n' "$kind" "$to" "$prog" "$(instructions "$in" "${cmd[@]}")" "$(rate "$in" "${cmd[@]}")"
    done
  done
done
