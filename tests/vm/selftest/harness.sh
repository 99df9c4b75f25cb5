#!/bin/bash
# Self-test of the VM harness, run in the guest: the environment vm-run promises, guest-lib,
# a monitor round trip to the host, then exit with the status given (default 0), which
# vm-run must pass on.
#   vm-run --topology labelled tests/vm/selftest/harness.sh [STATUS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest-lib.sh
. /pmemnsd-test/guest-lib.sh

status=${1:-0}
check_eq "$PMEMNSD_TEST" 1 PMEMNSD_TEST
check_eq "$PWD" /pmemnsd-test "working directory"
check_eq "$(id -u)" 0 uid
[ -f /pmemnsd-test/harness.sh ] || fail "the script's directory is not in /pmemnsd-test"
check_match "$PMEMNSD_TEST_KERNEL" '^6\.(1|12)$' PMEMNSD_TEST_KERNEL
check_eq "$PMEMNSD_TEST_RELEASE" "$(uname -r)" PMEMNSD_TEST_RELEASE
check_match "$PMEMNSD_TEST_BOOT" '^[0-9]+$' PMEMNSD_TEST_BOOT
[ ! -t 1 ] || fail "stdout is a terminal"
check_eq "$(systemctl is-system-running || true)" running "system state"
for tool in ndctl daxctl jq mkfs.ext4 setpriv busctl ip ps less man; do
        command -v "$tool" >/dev/null || fail "$tool missing"
done
check_eq "$(id -u nobody)" 65534 "uid of nobody"
for lib in libndctl.so.6 libdaxctl.so.1 libinih.so.1 libkmod.so.2 libsystemd.so.0 libudev.so.1 \
           libjson-c.so.5 libblkid.so.1 libuuid.so.1; do
        ldconfig -p | grep -q "$lib" || fail "$lib missing"
done
for m in nfit nd_pmem nd_btt nd_e820 dax_pmem device_dax kmem ext4; do
        modprobe "$m" || fail "modprobe $m"
done
out=$(qemu_monitor info status) || fail "qemu_monitor: $out"
check_match "$out" running "qemu_monitor info status"
if qemu_monitor device_add nvdimm,id=x,memdev=nothing >/dev/null; then
        fail "a failing monitor command succeeded"
fi
log "harness OK on $(uname -r), boot $PMEMNSD_TEST_BOOT; exiting $status"
exit "$status"
