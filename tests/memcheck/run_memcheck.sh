#!/bin/sh
# Runs the command-line tool under Valgrind's memcheck on every file of tests/data/malformed, in
# recover mode (the mode that does the most with broken input), validating and writing MARCMaker
# text, and fails on any memcheck error:
# an invalid read or write, a use of uninitialised memory, a mismatched or invalid free, or a
# definite leak.
#
#   run_memcheck.sh VALGRIND MARCSCOPE DATA_DIR
#
# `validate` and `dump` each see all the files in one process (valgrind's start-up costs a second
# or two each time). `validate` exits 1 when it finds problems and 2 when an input is not MARC:
# both are results, so memcheck reports errors with its own exit status, 99. A signal or any
# other status also fails.
#
# MARCSCOPE is the tool linked without mimalloc (marcscope_glibc_malloc, see app/CMakeLists.txt):
# mimalloc's operator delete[] ends in its free(), which memcheck takes for a free() of memory that
# operator new[] allocated (in oneTBB's pipeline) and reports as a mismatched free on every run;
# --soname-synonyms=somalloc=libmimalloc.so* does not help.
set -u
valgrind=$1
marcscope=$2
data=$3

# memcheck EXPECTED ARGS...: runs marcscope ARGS under memcheck; its status must be one of
# EXPECTED ("01": 0 or 1, the results of a run that read its input; "2": not MARC). A usage
# error (also 2) in a run that should have read its input therefore fails too.
memcheck() {
  expected=$1
  shift
  status=0
  "$valgrind" --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --track-origins=no --num-callers=30 "$marcscope" "$@" >/dev/null || status=$?
  if [ "$status" -eq 99 ]; then
    echo "memcheck: errors in: marcscope $1 ... (see above)" >&2
    exit 1
  fi
  case $expected in
    *"$status"*) ;;
    *) echo "memcheck: marcscope $* ended with status $status, expected one of $expected" >&2; exit 1 ;;
  esac
}

# A command refuses its whole input when one file is not MARC: those files (found without
# valgrind, which is fast) get a run of their own, the rest one run of each command.
accepted=""
refused=""
count=0
for f in "$data"/malformed/*; do
  count=$((count + 1))
  status=0
  "$marcscope" count "$f" >/dev/null 2>&1 || status=$?
  if [ "$status" -eq 2 ]; then refused="$refused $f"; else accepted="$accepted $f"; fi
done
[ "$count" -gt 0 ] || { echo "memcheck: no files in $data/malformed" >&2; exit 1; }

# shellcheck disable=SC2086  # the file lists split on blanks (fixture names have none)
memcheck 01 validate --mode recover --max-per-code 2 $accepted
# shellcheck disable=SC2086
memcheck 01 dump --mode recover $accepted
for f in $refused; do memcheck 2 validate --mode recover "$f"; done
echo "memcheck: no errors in $count files ($(echo $refused | wc -w) not MARC)"
