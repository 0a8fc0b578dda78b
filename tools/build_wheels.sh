#!/usr/bin/env bash
# Build faceedge wheels for x86_64 and aarch64 Linux whose glibc floor matches onnxruntime's own
# wheels (manylinux_2_28), on an x86-64 Debian host, with only PyPI and Debian packages.
#
#   tools/build_wheels.sh [x86_64] [aarch64]        (default: both)
#
# Zig's clang (PyPI `ziglang`) compiles against glibc $GLIBC's symbol set and links its own libc++
# statically (cmake/zig.cmake); tools/elf_floor.py and auditwheel check the result, and
# `wheel tags` writes the manylinux tag.
# One wheel per CPython minor version (pybind11 has no stable-ABI build): the tag comes from
# $PYTHON, the host interpreter, so run once per Python (PYTHON=python3.12 ...). See docs/wheels.md.
#
# Environment:
#   PYTHON       host CPython (default python3); its version picks the cp3X tag
#   WHEELS_OUT   where the repaired wheels go (default dist/ in the repo)
#   WHEELS_WORK  build venv, zig cache, build trees, arm64 headers (default /tmp/faceedge-wheels);
#                kept between runs, so the second run only recompiles what changed
#   GLIBC        the glibc floor (default 2.28)
#   AARCH64_PYTHON_INCLUDE  arm64 Python headers (Python.h + the aarch64 pyconfig.h) to use instead
#                of Debian's libpython3.X-dev:arm64, which bookworm has only for 3.11
set -euo pipefail
TOOL=wheels
# shellcheck source=tools/wheels_env.sh
. "$(dirname "$0")/wheels_env.sh"
GLIBC="${GLIBC:-2.28}"

[ "$(uname -m)" = x86_64 ] || die "this script runs on an x86-64 host (this is $(uname -m))"
for arch in "${ARCHES[@]}"; do
  case "$arch" in x86_64|aarch64) ;; *) die "unknown architecture '$arch' (x86_64 or aarch64)" ;; esac
done
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  || die "cannot run $PYTHON"
CPTAG="cp${PYVER/./}"
mkdir -p "$W" "$OUT"

# ---- 1. build tools, from PyPI, in a venv of their own ------------------------------------------
# Versions pinned where a change would change the output (zig: the libc++ and the glibc stubs).
TOOLS=("ziglang==0.17.1" "auditwheel==6.8.2" "wheel>=0.40" "scikit-build-core>=0.10"
       "pybind11>=2.13" "cmake>=3.18" "ninja")
VENV="$W/venv-$PYVER"
if [ "$(cat "$VENV/.faceedge-tools" 2>/dev/null)" != "${TOOLS[*]}" ]; then
  step "build venv ($PYTHON $PYVER): ${TOOLS[*]}"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "python -m venv failed"
  "$VENV/bin/pip" install -q "${TOOLS[@]}" || die "pip could not install the build tools"
  echo "${TOOLS[*]}" > "$VENV/.faceedge-tools"
fi
PY="$VENV/bin/python"
ZIG="$("$PY" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')"
[ -x "$ZIG" ] || die "no zig binary at $ZIG"
export PATH="$VENV/bin:$PATH"                 # cmake, ninja, auditwheel
export ZIG_GLOBAL_CACHE_DIR="$W/zig-cache"    # libc++ and the glibc stubs, built once per target
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"

# ---- 2. arm64 Python headers ----------------------------------------------------------------------
# Python.h is the same on every architecture, pyconfig.h is not: take both from Debian's arm64
# libpython3.X-dev, fetched with a private apt state so the host's dpkg and apt stay untouched.
arm64_headers() {
  local inc="$W/pyinc-aarch64-$PYVER" a="$W/apt-arm64" x="$W/libpython-arm64"
  if [ -n "${AARCH64_PYTHON_INCLUDE:-}" ]; then
    [ -f "$AARCH64_PYTHON_INCLUDE/Python.h" ] || die "no Python.h in AARCH64_PYTHON_INCLUDE=$AARCH64_PYTHON_INCLUDE"
    echo "$AARCH64_PYTHON_INCLUDE"; return
  fi
  if [ ! -f "$inc/Python.h" ]; then
    step "arm64 headers: Debian libpython$PYVER-dev:arm64" >&2
    rm -rf "$a" "$x"
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$x"
    : > "$a/status"
    local apt=(apt-get -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64
               -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o Dir::State::status="$a/status")
    "${apt[@]}" update > "$a/update.log" 2>&1 || { cat "$a/update.log" >&2; die "arm64 apt-get update failed"; }
    (cd "$x" && "${apt[@]}" download "libpython$PYVER-dev" > "$a/download.log" 2>&1) \
      || { cat "$a/download.log" >&2
           die "Debian has no libpython$PYVER-dev:arm64; set AARCH64_PYTHON_INCLUDE (see docs/wheels.md)"; }
    dpkg-deb -x "$x"/libpython"$PYVER"-dev_*_arm64.deb "$x/root" || die "dpkg-deb -x failed"
    rm -rf "$inc"
    cp -r "$x/root/usr/include/python$PYVER" "$inc"
    cp "$x/root/usr/include/aarch64-linux-gnu/python$PYVER/pyconfig.h" "$inc/pyconfig.h" \
      || die "no arm64 pyconfig.h in libpython$PYVER-dev:arm64"
    rm -rf "$a" "$x"
  fi
  echo "$inc"
}

# ---- 3. build, check, tag -------------------------------------------------------------------------
build() {  # arch
  local arch=$1 raw="$W/raw-$1" extra=()
  local target="$arch-linux-gnu.$GLIBC" plat="manylinux_${GLIBC/./_}_$arch"
  if [ "$arch" = aarch64 ]; then
    local inc
    inc="$(arm64_headers)"
    # FindPython only sees the host interpreter: headers and module suffix are handed over.
    extra=(-C cmake.define.Python_INCLUDE_DIR="$inc"
           -C cmake.define.PYTHON_MODULE_EXTENSION=".cpython-${PYVER/./}-aarch64-linux-gnu.so")
  fi
  step "$arch: zig c++ -target $target"
  rm -rf "$raw"
  env -u PIP_FIND_LINKS _PYTHON_HOST_PLATFORM="linux-$arch" \
    "$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$raw" \
    -C build-dir="$W/build-$arch-$PYVER" \
    -C cmake.define.CMAKE_TOOLCHAIN_FILE="$REPO/cmake/zig.cmake" \
    -C cmake.define.FACEEDGE_ZIG="$ZIG" \
    -C cmake.define.FACEEDGE_ZIG_TARGET="$target" \
    "${extra[@]}" "$REPO" || die "the $arch build failed"
  local wheel
  wheel="$(ls "$raw"/faceedge-*-"$CPTAG"-"$CPTAG"-linux_"$arch".whl 2>/dev/null | head -1)"
  [ -n "$wheel" ] || die "no $CPTAG linux_$arch wheel in $raw: $(ls "$raw")"
  "$PY" "$REPO/tools/elf_floor.py" --arch "$arch" --glibc "$GLIBC" "$wheel" \
    || die "the $arch module does not meet its floor"
  # auditwheel show rates the wheel (its repair only knows the host's architecture; there is
  # nothing to graft anyway: the module needs only glibc); `wheel tags` then writes the tag.
  auditwheel show "$wheel" > "$W/show-raw-$arch.txt" 2>&1 || { cat "$W/show-raw-$arch.txt" >&2; die "auditwheel show failed"; }
  local rated
  rated="$(tr '\n' ' ' < "$W/show-raw-$arch.txt" | grep -o 'platform tag: *"manylinux_[0-9]*_[0-9]*_[a-z0-9_]*"' | head -1 | grep -o 'manylinux_[0-9]*_[0-9]*')"
  [ -n "$rated" ] || { cat "$W/show-raw-$arch.txt" >&2; die "auditwheel gave the $arch wheel no manylinux tag"; }
  local major=${rated#manylinux_}; local minor=${major#*_}; major=${major%_*}
  [ "$major" -eq "${GLIBC%.*}" ] && [ "$minor" -le "${GLIBC#*.}" ] \
    || die "auditwheel rates the $arch wheel $rated, newer than $plat"
  rm -f "$OUT"/faceedge-*-"$CPTAG"-*"$arch".whl
  cp "$wheel" "$OUT/"
  local fixed
  fixed="$OUT/$("$PY" -m wheel tags --remove --platform-tag "$plat" "$OUT/$(basename "$wheel")")" \
    || die "wheel tags --platform-tag $plat failed"
  [ -f "$fixed" ] || die "no $fixed after retagging"
  auditwheel show "$fixed" 2>/dev/null | tee "$W/show-$arch.txt"
  step "$arch: $(basename "$fixed") ($(du -k "$fixed" | cut -f1) KiB)"
}

for arch in "${ARCHES[@]}"; do build "$arch"; done
step "done: ${ARCHES[*]} wheels in $OUT"
