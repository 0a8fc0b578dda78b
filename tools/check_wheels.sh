#!/usr/bin/env bash
# Install the wheels from tools/build_wheels.sh the way a user would and run a real-model smoke
# test (tools/wheel_smoke.py): x86_64 in a fresh venv with PyPI's onnxruntime, numpy, opencv and
# onnx; aarch64 into the arm64 rootfs of .ci/aarch64.sh, under qemu. Nothing is timed.
#
#   tools/check_wheels.sh [x86_64] [aarch64]        (default: both)
#
# Environment: PYTHON, WHEELS_OUT, WHEELS_WORK as for build_wheels.sh; AARCH64_WORK (default
# /tmp/faceedge-aarch64), where
# .ci/aarch64.sh keeps its rootfs: run that script once first. Needs qemu-user-static for aarch64.
set -euo pipefail
TOOL=check
# shellcheck source=tools/wheels_env.sh
. "$(dirname "$0")/wheels_env.sh"
R="${AARCH64_WORK:-/tmp/faceedge-aarch64}/rootfs"

PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || die "cannot run $PYTHON"
CPTAG="cp${PYVER/./}"
FACES="$REPO/tests/data/faces"
PHOTOS=("$FACES/obama_1.jpg" "$FACES/obama_2.jpg" "$FACES/biden_1.jpg")
for f in "${PHOTOS[@]}"; do [ -f "$f" ] || die "missing test photo $f"; done
SMOKE="$W/wheel_smoke.py"   # a copy, so nothing is imported from the source tree
mkdir -p "$W"
cp "$REPO/tools/wheel_smoke.py" "$SMOKE"

wheel_for() {  # arch
  local w
  w="$(ls "$OUT"/faceedge-*-"$CPTAG"-"$CPTAG"-manylinux_*_"$1".whl 2>/dev/null | head -1)"
  [ -n "$w" ] || die "no $CPTAG manylinux $1 wheel in $OUT: run tools/build_wheels.sh $1"
  echo "$w"
}

# The level dispatch should pick on this x86 CPU, from the kernel's view of its flags.
x86_level() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
  if has avx512f avx512bw avx512dq avx512vl avx512_vnni; then echo avx512vnni
  elif has avx512f avx512bw avx512dq avx512vl; then echo avx512
  elif has avx2 fma f16c; then echo avx2
  elif has sse4_1; then echo sse
  else echo serial; fi
}

check_x86() {
  local wheel venv="$W/check-venv-x86_64"
  wheel="$(wheel_for x86_64)"
  step "x86_64: fresh venv + $(basename "$wheel") + its PyPI dependencies"
  rm -rf "$venv" "$W/cache-x86_64"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q "$wheel" pytest || die "pip install of the x86_64 wheel failed"
  "$venv/bin/pip" list 2>/dev/null | grep -E -i '^(faceedge|onnxruntime|numpy|opencv-python-headless|onnx) '
  step "x86_64: smoke test"
  (cd "$W" && env -u PYTHONPATH -u FACEEDGE_MODELS XDG_CACHE_HOME="$W/cache-x86_64" \
    "$venv/bin/python" "$SMOKE" --expect-level "$(x86_level)" "${PHOTOS[@]}") \
    || die "the x86_64 smoke test failed"
  # Every kernel level this CPU has against the scalar reference, on the installed module.
  step "x86_64: kernel + gallery tests on the installed wheel"
  env -u PYTHONPATH XDG_CACHE_HOME="$W/cache-x86_64" "$venv/bin/python" -m pytest -q \
    -p no:cacheprovider tests/test_kernels.py tests/test_gallery.py || die "the x86_64 kernel tests failed"
}

check_aarch64() {
  local wheel site="$W/wheel-site-aarch64"
  wheel="$(wheel_for aarch64)"
  [ -f "$R/.faceedge-rootfs" ] || die "no arm64 rootfs at $R: run .ci/aarch64.sh once to prepare it"
  [ -x "$R/usr/bin/python$PYVER" ] || die "the arm64 rootfs has no python$PYVER (Debian bookworm has 3.11)"
  command -v qemu-aarch64-static >/dev/null || die "no qemu-aarch64-static (apt-get install qemu-user-static)"
  # pip resolves the wheel and its dependencies for the board's platform: a wheel whose tag
  # pip would refuse on a manylinux_2_28 aarch64 system fails here.
  step "aarch64: pip install --platform manylinux_2_28_aarch64 $(basename "$wheel") + dependencies"
  rm -rf "$site" "$W/cache-aarch64"
  "$PYTHON" -m pip install -q --target "$site" --only-binary=:all: \
    --platform manylinux_2_28_aarch64 --python-version "$PYVER" --implementation cp --abi "$CPTAG" \
    "$wheel" pytest || die "pip would not install the aarch64 wheel for manylinux_2_28_aarch64"
  ls "$site"/faceedge-*.dist-info "$site"/onnxruntime-*.dist-info >/dev/null || die "incomplete install in $site"
  cat > "$W/arm-python" <<EOF
#!/bin/sh
exec qemu-aarch64-static -L "$R" -0 "$W/arm-python" "$R/usr/bin/python$PYVER" "\$@"
EOF
  chmod +x "$W/arm-python"
  arm() {  # cpu args...: the arm64 python under qemu, with nothing from the host's Python setup
    local cpu=$1; shift
    (cd "$W" && env -i PATH=/usr/bin:/bin HOME="$W" LANG=C.UTF-8 PYTHONPATH="$site" \
      PYTHONDONTWRITEBYTECODE=1 QEMU_CPU="$cpu" XDG_CACHE_HOME="$W/cache-aarch64" "$W/arm-python" "$@")
  }
  # The prepared SFace file is platform-independent ONNX keyed by its source's sha256: start from
  # the x86 run's cache when there is one (preparing under qemu works, only slowly).
  [ -d "$W/cache-x86_64" ] && cp -r "$W/cache-x86_64" "$W/cache-aarch64"
  step "aarch64: SIMD levels without dotprod (QEMU_CPU=cortex-a53)"
  local got
  got="$(arm cortex-a53 -c "import faceedge; print(faceedge.runtime_info()['simd_level'])")" \
    || die "importing faceedge under QEMU_CPU=cortex-a53 failed"
  [ "$got" = neon ] || die "QEMU_CPU=cortex-a53 picked '$got', expected neon"
  echo "   cortex-a53: $got"
  # The kernel tests, at every level each CPU offers, on the installed module.
  for cpu in cortex-a76 cortex-a53; do
    step "aarch64: kernel tests (QEMU_CPU=$cpu)"
    arm "$cpu" -m pytest -q -p no:cacheprovider "$REPO/tests/test_kernels.py" \
      || die "the aarch64 kernel tests failed under QEMU_CPU=$cpu"
  done
  step "aarch64: smoke test (QEMU_CPU=cortex-a76)"
  arm cortex-a76 "$SMOKE" --expect-level neondotprod "${PHOTOS[@]}" \
    || die "the aarch64 smoke test failed"
}

for arch in "${ARCHES[@]}"; do
  case "$arch" in
    x86_64) check_x86 ;;
    aarch64) check_aarch64 ;;
    *) die "unknown architecture '$arch'" ;;
  esac
done
step "passed: ${ARCHES[*]}"
