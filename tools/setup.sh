#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 / Ubuntu 24.04 machine (CMake >= 3.25, Qt >= 6.4).
#   tools/setup.sh run    install what is missing, build, run the main job on the bundled sample
#   tools/setup.sh test   install what is missing, build, run the whole test suite through CTest
# Run as root or with sudo available. Installs only Debian packages that are not there yet.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${MARCSCOPE_BUILD_DIR:-$ROOT/build}
JOBS=$(nproc)

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtbb-dev libutf8proc-dev libpcre2-dev zlib1g-dev libexpat1-dev libpugixml-dev libsimdjson-dev nlohmann-json3-dev libmimalloc-dev
  qt6-base-dev qt6-base-dev-tools libgl-dev qt6-charts-dev libqt6opengl6-dev
  python3 python3-dev python3-pytest python3-venv python3-build pybind11-dev python3-pybind11
  clang libclang-rt-14-dev xvfb xauth yaz libmarc-lint-perl valgrind
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "setup: all ${#PACKAGES[@]} packages already installed"
    return
  fi
  echo "setup: installing ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  local dir=$1
  shift
  local werror=OFF
  if [[ -n "${CI:-}" ]]; then werror=ON; fi
  local args=() targets=()
  while (($#)); do
    if [[ $1 == --target ]]; then
      targets+=(--target "$2")
      shift 2
    else
      args+=("$1")
      shift
    fi
  done
  cmake -S "$ROOT" -B "$dir" -G Ninja \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
    -DPython_EXECUTABLE=/usr/bin/python3 -DMARCSCOPE_WERROR=$werror "${args[@]}" >/dev/null
  cmake --build "$dir" -j "$JOBS" "${targets[@]}"
}

case "${1:-}" in
  run)
    install_missing
    configure_and_build "$BUILD"
    echo
    echo "== marcscope validate resources/samples/sample.mrc"
    status=0
    "$BUILD/app/marcscope" validate --max-per-code 5 "$ROOT/resources/samples/sample.mrc" || status=$?
    # validate exits 1 when it finds problems: that is a result, not a failure of the set-up.
    if ((status > 1)); then exit "$status"; fi
    gui=$BUILD/app/marcscope-gui
    if [[ -x $gui ]]; then
      echo
      if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -z "${MARCSCOPE_NO_GUI:-}" ]]; then
        echo "== marcscope-gui resources/samples/sample.mrc (close the window to finish)"
        "$gui" "$ROOT/resources/samples/sample.mrc"
      else
        shot=$BUILD/marcscope-gui.png
        echo "== no display (DISPLAY and WAYLAND_DISPLAY are unset): the desktop app draws offscreen instead"
        # (the offscreen platform's "does not support propagateSizeHints" notes are noise)
        QT_QPA_PLATFORM=offscreen "$gui" --screenshot "$shot" "$ROOT/resources/samples/sample.mrc" >/dev/null \
          2> >(grep -v -e propagateSizeHints -e XDG_RUNTIME_DIR >&2)
        echo "marcscope-gui on resources/samples/sample.mrc: $shot"
        echo "(on a machine with a display, run: $gui resources/samples/sample.mrc)"
      fi
    fi
    ;;
  test)
    install_missing
    # The engine tests once under AddressSanitizer + UndefinedBehaviorSanitizer, then the whole suite.
    configure_and_build "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DMARCSCOPE_SANITIZE=address -DMARCSCOPE_GUI=OFF
    (cd "$ROOT/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j "$JOBS" -L engine)
    # The pipelines' threads once under ThreadSanitizer (oneTBB and Qt are not instrumented:
    # tests/sanitizers/tsan.supp says what that hides).
    configure_and_build "$ROOT/build-tsan" -DCMAKE_BUILD_TYPE=Debug -DMARCSCOPE_SANITIZE=thread \
      --target test_pipeline --target test_stream_pipeline
    (cd "$ROOT/build-tsan" && MARCSCOPE_TEST_FAST=1 \
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$ROOT/tests/sanitizers/tsan.supp" \
      ctest --output-on-failure -R '^test_(stream_)?pipeline$')
    configure_and_build "$BUILD"
    cd "$BUILD"
    ctest --output-on-failure -j "$JOBS"
    ;;
  *)
    echo "usage: tools/setup.sh run|test" >&2
    exit 2
    ;;
esac
