# Helpers for guest-side test scripts: . /pmemnsd-test/guest-lib.sh
# shellcheck shell=bash
fail() { echo "FAIL: $*"; journalctl -u pmemnsd --no-pager 2>/dev/null | tail -40 || true; exit 1; }
log() { echo "## $*"; }
check_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"; }
