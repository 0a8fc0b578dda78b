#!/usr/bin/env bash
# CI, aarch64 under emulation: cross-build the extension on x86 at native speed, run it in a thin
# arm64 Debian rootfs under qemu-user with the PyPI aarch64 wheels, at every SIMD level, and
# compare a real-model smoke test with x86. Correctness only: nothing here is ever timed.
#
# Needs root (apt-get) on Debian 12 x86-64. All state lives in $AARCH64_WORK
# (default /tmp/faceedge-aarch64); the rootfs, the wheels and the build dirs are reused between
# runs. Anything that cannot be set up fails the script: it never skips.
#
# Uses the current python3 for the x86 reference when it can import faceedge._core (the .ci/run
# venv); otherwise it builds one into $AARCH64_WORK/x86-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
DATA="$REPO/tests/data"  # the photos the tests use, in the repository
W="${AARCH64_WORK:-/tmp/faceedge-aarch64}"
R="$W/rootfs"
SITE="$W/site"          # aarch64 site-packages, used through PYTHONPATH
PYVER=3.11              # bookworm's arm64 python3; the host Python must be the same minor version
EXT=".cpython-311-aarch64-linux-gnu.so"
START=$SECONDS

die() { echo "aarch64 CI: FAILED: $*" >&2; exit 1; }
step() { echo "== aarch64 [$((SECONDS - START))s] $*"; }
trap 'echo "aarch64 CI: FAILED at line $LINENO (exit $?)" >&2' ERR

[ "$(uname -m)" = x86_64 ] || die "this script cross-builds on an x86-64 host (this is $(uname -m))"
[ -f "$REPO/models/manifest.json" ] || die "the default model pack is missing at $REPO/models"
for f in obama_1.jpg obama_2.jpg; do
  [ -f "$DATA/faces/$f" ] || die "missing test photo $DATA/faces/$f"
done
HOST_PY="$(command -v python3)" || die "no python3 on the host"
"$HOST_PY" -c "import sys; assert sys.version_info[:2] == (3, 11)" \
  || die "the host python3 must be 3.$(echo $PYVER | cut -d. -f2) (the wheel tag comes from it, and must match bookworm's arm64 python$PYVER)"
mkdir -p "$W"

# ---- 1. host tools ------------------------------------------------------------------------------
step "host packages"
need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v dpkg-deb >/dev/null || need+=(dpkg)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${need[*]}"
  apt-get update -q || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
    || die "apt-get install ${need[*]} failed"
fi
command -v aarch64-linux-gnu-g++ >/dev/null || die "no aarch64-linux-gnu-g++ after installing it"
command -v qemu-aarch64-static >/dev/null || die "no qemu-aarch64-static after installing it"
"$HOST_PY" -c "import scikit_build_core, pybind11" 2>/dev/null \
  || "$HOST_PY" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.13" \
  || die "cannot install scikit-build-core and pybind11 for the host python"
command -v cmake >/dev/null || "$HOST_PY" -m pip install -q cmake ninja || die "no cmake"

# ---- 2. thin arm64 rootfs: apt-get download of the closure + dpkg-deb -x ----------------------
# A private apt state (arm64 only): the host's dpkg database and architectures stay untouched.
PKGS=(python$PYVER libpython$PYVER-dev libstdc++6)
STAMP="rootfs-v1 ${PKGS[*]}"
if [ "$(cat "$R/.faceedge-rootfs" 2>/dev/null)" != "$STAMP" ]; then
  step "arm64 rootfs (${PKGS[*]})"
  A="$W/apt"
  rm -rf "$R" "$A"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$R"
  : > "$A/status"
  APT=(apt-get -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64
       -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o Dir::State::status="$A/status")
  "${APT[@]}" update >"$A/update.log" 2>&1 || { cat "$A/update.log" >&2; die "arm64 apt-get update failed"; }
  "${APT[@]}" -y install --download-only --no-install-recommends "${PKGS[@]}" >"$A/download.log" 2>&1 \
    || { cat "$A/download.log" >&2; die "downloading the arm64 packages failed"; }
  debs=("$A"/cache/archives/*_arm64.deb "$A"/cache/archives/*_all.deb)
  n=0
  for d in "${debs[@]}"; do
    [ -f "$d" ] || continue
    dpkg-deb -x "$d" "$R" || die "dpkg-deb -x $d failed"
    n=$((n + 1))
  done
  [ -x "$R/usr/bin/python$PYVER" ] || die "the rootfs has no usr/bin/python$PYVER ($n packages unpacked)"
  [ -f "$R/usr/include/python$PYVER/Python.h" ] || die "the rootfs has no Python.h"
  # qemu 7.2 shows the host's x86 /proc/cpuinfo to the guest and ONNX Runtime's cpuinfo then
  # crashes; with -L, qemu opens $R/proc/cpuinfo instead. (The SIMD levels come from the
  # emulated CPU's hwcaps, not from this file.)
  mkdir -p "$R/proc"
  cat > "$R/proc/cpuinfo" <<'EOF'
processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x4
CPU part	: 0xd0b
CPU revision	: 1

EOF
  rm -rf "$A/cache/archives"
  echo "$STAMP" > "$R/.faceedge-rootfs"
  step "rootfs ready: $n packages"
fi

# Python headers for the cross build: the arm64 pyconfig.h in place of Debian's multiarch shim.
PYINC="$W/pyinc"
if [ ! -f "$PYINC/Python.h" ] || [ "$R/.faceedge-rootfs" -nt "$PYINC/Python.h" ]; then
  rm -rf "$PYINC"
  cp -r "$R/usr/include/python$PYVER" "$PYINC"
  cp "$R/usr/include/aarch64-linux-gnu/python$PYVER/pyconfig.h" "$PYINC/pyconfig.h" \
    || die "no arm64 pyconfig.h in the rootfs"
fi

# ---- 3. x86 reference environment ---------------------------------------------------------------
if "$HOST_PY" -c "import faceedge._core, onnxruntime" 2>/dev/null; then
  X86_PY="$HOST_PY"
  step "x86 reference: the current python ($X86_PY)"
else
  step "x86 reference: building faceedge into $W/x86-venv"
  [ -x "$W/x86-venv/bin/python" ] || "$HOST_PY" -m venv "$W/x86-venv"
  X86_PY="$W/x86-venv/bin/python"
  "$X86_PY" -m pip install -q -C build-dir="$W/build-x86" "$REPO" \
    || die "building faceedge for x86 failed"
fi
ORT_VERSION="$("$X86_PY" -c "import importlib.metadata as m; print(m.version('onnxruntime'))")"

# ---- 4. aarch64 wheels from PyPI, unpacked into $SITE --------------------------------------------
WHEEL_REQS=("onnxruntime==$ORT_VERSION" numpy opencv-python-headless onnx pytest)
WSTAMP="wheels-v1 ${WHEEL_REQS[*]}"
if [ "$(cat "$SITE/.faceedge-wheels" 2>/dev/null)" != "$WSTAMP" ]; then
  step "aarch64 wheels: ${WHEEL_REQS[*]}"
  rm -rf "$SITE"
  "$HOST_PY" -m pip install -q --target "$SITE" --only-binary=:all: \
    --platform manylinux_2_28_aarch64 --python-version $PYVER --implementation cp --abi cp311 \
    "${WHEEL_REQS[@]}" || die "pip could not fetch the aarch64 wheels"
  ls "$SITE"/onnxruntime/capi/libonnxruntime.so* >/dev/null 2>&1 || die "no libonnxruntime in the aarch64 onnxruntime wheel"
  echo "$WSTAMP" > "$SITE/.faceedge-wheels"
fi

# ---- 5. cross-build the extension into an aarch64 wheel ------------------------------------------
step "cross-building the aarch64 wheel"
rm -rf "$W/dist"
env -u PIP_FIND_LINKS \
  _PYTHON_HOST_PLATFORM=linux-aarch64 \
  "$HOST_PY" -m pip wheel -q --no-build-isolation --no-deps -w "$W/dist" \
  -C build-dir="$W/build-aarch64" \
  -C cmake.define.CMAKE_TOOLCHAIN_FILE="$REPO/cmake/aarch64-linux-gnu.cmake" \
  -C cmake.define.Python_INCLUDE_DIR="$PYINC" \
  -C cmake.define.PYTHON_MODULE_EXTENSION="$EXT" \
  "$REPO" || die "the aarch64 cross build failed"
WHEEL="$(ls "$W"/dist/faceedge-*-linux_aarch64.whl 2>/dev/null | head -1)"
[ -n "$WHEEL" ] || die "no linux_aarch64 wheel in $W/dist: $(ls "$W/dist")"
rm -rf "$SITE/faceedge" "$SITE"/faceedge-*.dist-info
"$HOST_PY" -m zipfile -e "$WHEEL" "$SITE"
SO="$(ls "$SITE"/faceedge/_core*.so)"
case "$SO" in *"$EXT") ;; *) die "the module is $SO, not *$EXT" ;; esac
file "$SO" 2>/dev/null | grep -q aarch64 || aarch64-linux-gnu-readelf -h "$SO" | grep -q AArch64 \
  || die "$SO is not an aarch64 ELF"
echo "   $(basename "$WHEEL")"

# ---- 6. run under qemu ----------------------------------------------------------------------------
# sys.executable is a host shell wrapper (qemu -0 sets argv[0]), so the tests that start a child
# Python work without binfmt_misc. env -i keeps the host's PYTHON*/PIP* settings out.
mkdir -p "$W/bin" "$W/home"
cat > "$W/bin/python3" <<EOF
#!/bin/sh
exec qemu-aarch64-static -L "$R" -0 "$W/bin/python3" "$R/usr/bin/python$PYVER" "\$@"
EOF
chmod +x "$W/bin/python3"
arm() {  # arm CPU cmd...: the arm64 python under qemu with that CPU model
  local cpu=$1; shift
  env -i PATH=/usr/bin:/bin HOME="$W/home" LANG=C.UTF-8 PYTHONPATH="$SITE" \
    PYTHONDONTWRITEBYTECODE=1 QEMU_CPU="$cpu" \
    XDG_CACHE_HOME="${ARM_CACHE:-$W/home/.cache}" "$W/bin/python3" "$@"
}

check_levels() {  # cpu expected-levels
  local got
  got="$(arm "$1" -c "from faceedge import _core; print(','.join(_core.available_simd_levels()))")" \
    || die "importing faceedge._core failed under QEMU_CPU=$1"
  [ "$got" = "$2" ] || die "QEMU_CPU=$1: SIMD levels are '$got', expected '$2'"
  echo "   QEMU_CPU=$1: SIMD levels $got"
}
step "SIMD levels"
check_levels cortex-a76 serial,neon,neondotprod
check_levels cortex-a53 serial,neon

# Every kernel test at every level both CPUs offer (cortex-a76: serial, neon, neondotprod;
# cortex-a53: serial, neon, detected without dotprod). test_int8_recall_at_1 is a statistical
# recall check of the gallery's int8 + re-rank logic on 20k faces: ~4 min per CPU under qemu,
# so only its d=128 cases run here, on cortex-a76 (the x86 job runs all of them).
declare -A DESELECT=(
  [cortex-a76]="not (test_int8_recall_at_1 and 512)"
  [cortex-a53]="not test_int8_recall_at_1"
)
for cpu in cortex-a76 cortex-a53; do
  step "kernel + gallery tests, QEMU_CPU=$cpu (-k '${DESELECT[$cpu]}')"
  arm "$cpu" -m pytest -q -p no:cacheprovider tests/test_kernels.py tests/test_gallery.py \
    -k "${DESELECT[$cpu]}" || die "the kernel tests failed under QEMU_CPU=$cpu"
done

# ---- 7. real-model smoke test against x86 -------------------------------------------------------
# The x86 run prepares the SFace file into its cache; the prepared file is platform-independent
# ONNX keyed by the source's sha256, so the emulated run starts from a copy of that cache.
step "smoke test: x86 reference"
PHOTOS=("$DATA/faces/obama_1.jpg" "$DATA/faces/obama_2.jpg")
rm -rf "$W/cache-x86" "$W/cache-arm"
XDG_CACHE_HOME="$W/cache-x86" "$X86_PY" tests/aarch64_smoke.py --write "$W/smoke-x86.json" \
  "$REPO/models" "${PHOTOS[@]}" || die "the x86 smoke run failed"
cp -r "$W/cache-x86" "$W/cache-arm"
step "smoke test: aarch64 (QEMU_CPU=cortex-a76)"
ARM_CACHE="$W/cache-arm" arm cortex-a76 tests/aarch64_smoke.py --check "$W/smoke-x86.json" \
  "$REPO/models" "${PHOTOS[@]}" || die "the aarch64 smoke test does not match x86"

step "aarch64 CI passed in $((SECONDS - START)) s"
