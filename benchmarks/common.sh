# Shared by run.sh and formats.sh (sourced, not run): paths, defaults, logging, the Release build
# and the tools both need. The sourcing script sets SCRIPT (its name, for messages) first.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/benchmarks"
BUILD="$BENCH/build"
CORPUS="$BENCH/corpus"
RESULTS="$BENCH/results"
CALLGRIND=1
NPROC=$(nproc)
THREADS="1 $NPROC"
[ "$NPROC" -eq 1 ] && THREADS="1"
START=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "$SCRIPT: $*" >&2; exit 2; }

# common_option OPTION VALUE: the options both scripts take. Returns 0 and sets SHIFT (how many
# arguments it used) when OPTION is one of them, 1 otherwise.
common_option() {
  SHIFT=2
  case "$1" in
    --repeats) REPEATS=$2 ;;
    --threads) THREADS=$2 ;;
    --build-dir) BUILD=$2 ;;
    --output) OUTPUT=$2 ;;
    --no-callgrind) CALLGRIND=0; SHIFT=1 ;;
    *) return 1 ;;
  esac
}

# build_release TARGET...: configures $BUILD once (Release, benchmarks on, tests off) and builds
# the targets, showing the end of the log if that fails.
build_release() {
  log "building in $BUILD (Release)"
  mkdir -p "$RESULTS"
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DMARCSCOPE_BUILD_TESTS=OFF \
          -DMARCSCOPE_BUILD_BENCHMARKS=ON >/dev/null
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  if ! cmake --build "$BUILD" "${targets[@]}" -j "$NPROC" > "$RESULTS/$SCRIPT-build.log" 2>&1; then
    tail -30 "$RESULTS/$SCRIPT-build.log" >&2
    die "the build failed"
  fi
}

TIME=/usr/bin/time
need_time() { [ -x "$TIME" ] || die "/usr/bin/time is needed (apt-get install time)"; }
