#!/usr/bin/env bash
# The C++ core under AddressSanitizer and UndefinedBehaviorSanitizer (UBSan halting: the first
# report fails the run), on the tests that reach C++.
#
# Run from an activated venv that has the project's dependencies (".[test]"; CI's, or a
# developer's with an editable install). The sanitized build gets its own build dir
# (build/sanitizers) and its own venv (build/sanitizers/venv), which sees the active venv's
# packages through a .pth line (so nothing is downloaded again) and has the sanitized faceedge
# installed in itself, ahead of them. The active venv is not changed.
#
# Python itself is not built with ASan, so libasan is preloaded (it must come first in the
# process), and leak detection is off: CPython's own allocations at exit would be reported as
# leaks. ONNX Runtime is dlopened uninstrumented, which ASan allows. Set
# FACEEDGE_SANITIZER_TESTS to run other test files. pytest captures sys.std* only (--capture=sys):
# a sanitizer report is written to fd 2 just before the process aborts, and must not be lost
# in a capture buffer.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
BUILD_DIR="$REPO/build/sanitizers"
VENV="$BUILD_DIR/venv"
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# Without NDEBUG, pybind11 also checks that no Python reference count changes while the GIL is
# released (it throws "inc_ref() is being called while the GIL is either not held or invalid").
# That check is kept: it is the same kind of bug. FACEEDGE_SANITIZER_GIL_CHECK=0 turns it off
# (for a run that wants the sanitizers' reports only).
if [ "${FACEEDGE_SANITIZER_GIL_CHECK:-1}" = "0" ]; then
  FLAGS="$FLAGS -DPYBIND11_NO_ASSERT_GIL_HELD_INCREF_DECREF"
fi

start=$(date +%s)
PARENT_SITE="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
rm -rf "$VENV"
python -m venv "$VENV"
"$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
  | { read -r own; echo "$PARENT_SITE" > "$own/parent_venv.pth"; }
# Debug at -O0 -g1: pybind11's glue at -O2 -g with both sanitizers took 8.5 minutes to compile
# here, at -O0 about 4; -g1 (line tables only) keeps file:line in reports for less. The core
# target's own -O3 still applies to it (it comes later on the command line).
"$VENV/bin/python" -m pip install -q --no-deps --disable-pip-version-check \
  -C build-dir="$BUILD_DIR/build" -C cmake.build-type=Debug \
  -C "cmake.define.CMAKE_CXX_FLAGS_DEBUG=-O0 -g1" \
  -C "cmake.define.CMAKE_CXX_FLAGS=$FLAGS" \
  -C "cmake.define.CMAKE_MODULE_LINKER_FLAGS=$FLAGS" \
  -C "cmake.define.CMAKE_SHARED_LINKER_FLAGS=$FLAGS" \
  .
echo "sanitizers: sanitized build installed in $(( $(date +%s) - start )) s"

LIBASAN="$(${CXX:-g++} -print-file-name=libasan.so)"
LIBUBSAN="$(${CXX:-g++} -print-file-name=libubsan.so)"
[ -e "$LIBASAN" ] || { echo "sanitizers: libasan.so not found ($LIBASAN)" >&2; exit 1; }

TESTS="${FACEEDGE_SANITIZER_TESTS:-tests/test_kernels.py tests/test_images.py tests/test_engine.py \
tests/test_library.py tests/test_quality.py tests/test_liveness_core.py tests/test_ort_runtime.py \
tests/test_gallery.py tests/test_detect_core.py}"

# The sanitized faceedge must be the one imported: checked before the tests run.
# shellcheck disable=SC2086
env LD_PRELOAD="$LIBASAN $LIBUBSAN" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$VENV/bin/python" - "$VENV" <<'EOF'
import faceedge, faceedge._core as core, os, sys
where = os.path.dirname(core.__file__)
assert where.startswith(sys.argv[1]), f"not the sanitized build: {where}"
maps = open("/proc/self/maps").read()
assert "libasan" in maps, "libasan is not loaded"
print(f"sanitizers: faceedge from {where}, libasan loaded")
EOF

# shellcheck disable=SC2086
env LD_PRELOAD="$LIBASAN $LIBUBSAN" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider --capture=sys $TESTS
echo "sanitizers: done in $(( $(date +%s) - start )) s"
