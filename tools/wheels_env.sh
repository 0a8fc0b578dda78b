# Sourced by build_wheels.sh and check_wheels.sh (which set TOOL to their name first): the
# settings both read, and their two message helpers.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
PYTHON="${PYTHON:-python3}"
OUT="${WHEELS_OUT:-$REPO/dist}"
W="${WHEELS_WORK:-/tmp/faceedge-wheels}"
ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(x86_64 aarch64)
START=$SECONDS

die() { echo "$TOOL: FAILED: $*" >&2; exit 1; }
step() { echo "== $TOOL [$((SECONDS - START))s] $*"; }
