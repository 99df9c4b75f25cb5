#!/bin/bash
# Power loss (issue 5), run by tests/vm/power-loss once per boot on the same NVDIMMs.
# Every boot but the first checks what the previous boot's power cut left: the labels are
# consistent (the daemon's D-Bus view equals ndctl list), the daemon completes the policy
# with no failure and no orphan, and keep's data is intact. Then, unless $1 is "none", it
# arms a stop point (PMEMNSD_FAULT=POINT:stop), starts provisioning (or a destroy, for
# destroy-* points), waits until the daemon stops there and cuts the power.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MOMENT=${1:-none}
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\ngranularity = subsection\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/10-keep.conf <<'CONF'
[region nv]
match.provider = ACPI.NFIT

[namespace keep]
region = nv
mode = fsdax
size = 64M
CONF
WORK='[namespace a]
region = nv
mode = devdax
size = 34M

[namespace b]
region = nv
mode = sector
size = 32M

[namespace c]
region = nv
mode = fsdax
size = 40M
map = mem
'

log "boot $PMEMNSD_TEST_BOOT"
ndctl list -N | jq -c '.[]? | {dev, name, mode, size}'
if [ "$PMEMNSD_TEST_BOOT" = 1 ]; then
        pmemnsd_restart
        pmemnsd_apply > /dev/null
        keep=$(ns_named keep)
        [ -n "$keep" ] || fail "keep was not created"
        bdev=$(ndctl list -N -n "$keep" | jq -r '(.[0] // .).blockdev')
        mkfs.ext4 -q -F -b 4096 "/dev/$bdev"
        mkdir -p /mnt/keep && mount -o dax "/dev/$bdev" /mnt/keep
        head -c 4M /dev/urandom > /mnt/keep/data
        sha256sum /mnt/keep/data | cut -d' ' -f1 > /mnt/keep/data.sum
        umount /mnt/keep
        printf '%s' "$WORK" > /etc/pmemnsd/policy.d/20-work.conf
else
        printf '%s' "$WORK" > /etc/pmemnsd/policy.d/20-work.conf
        pmemnsd_restart
        # the daemon's view before it changes anything equals the kernel's
        dbus=$(busctl --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager \
                        GetManagedObjects | jq -r '.data[0] | keys[] | select(startswith("/org/pmemnsd1/namespace/"))' |
                        sed 's|.*/||; s|_|.|' | sort)
        kernel=$(ndctl list -N | jq -r '.[]?.dev' | sort)
        check_eq "$dbus" "$kernel" "namespaces on D-Bus vs ndctl list after the power cut"
        pmemnsd_apply > /tmp/apply.tsv || fail "Apply after the power cut failed"
        cat /tmp/apply.tsv | cut -f1,2,8
        grep -qP '^failed\t' /tmp/apply.tsv && fail "Apply after the power cut: $(grep -P '^failed' /tmp/apply.tsv)"
        for n in keep a b c; do [ -n "$(ns_named $n)" ] || fail "$n missing after the power cut"; done
        ndctl list -N -i | jq -e '.[]? | select(.state == "disabled" and .size > 0)' >/dev/null &&
                fail "a namespace is left disabled: $(ndctl list -N -i | jq -c '.[] | select(.state == "disabled" and .size > 0)')"
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/size")" = 0 ] || [ -n "$(cat "$d/alt_name")" ] || fail "$(basename "$d") has a size but no name"
        done
        keep=$(ns_named keep)
        bdev=$(ndctl list -N -n "$keep" | jq -r '(.[0] // .).blockdev')
        mkdir -p /mnt/keep && mount -o dax "/dev/$bdev" /mnt/keep
        check_eq "$(sha256sum /mnt/keep/data | cut -d' ' -f1)" "$(cat /mnt/keep/data.sum)" "keep's data"
        umount /mnt/keep
        # every namespace a, b, c is a working device of its mode
        for n in a b c; do
                mode=$(ndctl list -N -n "$(ns_named $n)" | jq -r '(.[0] // .).mode')
                case $n in a) want=devdax;; b) want=sector;; c) want=fsdax;; esac
                check_eq "$mode" "$want" "mode of $n"
        done
        log "boot $PMEMNSD_TEST_BOOT: consistent, policy complete, data intact"
fi
[ "$MOMENT" = none ] && { echo "PASS power-loss"; exit 0; }

# start the next moment from scratch: only keep exists (a destroy moment needs a)
for n in a b c; do
        d=$(ns_named $n)
        [ -z "$d" ] || pmemnsctl destroy "$d" || fail "destroying $n"
done
case "$MOMENT" in
destroy-*)
        pmemnsd_restart
        pmemnsd_apply > /dev/null
        pmemnsd_restart "$MOMENT:stop"
        pmemnsctl destroy "$(ns_named a)" > /dev/null 2>&1 &
        ;;
*)
        pmemnsd_restart "$MOMENT:stop"
        busctl --timeout=600 call $PMEMNSD_MGR Apply > /dev/null 2>&1 &
        ;;
esac
pid=$(systemctl show -p MainPID --value pmemnsd.service)
wait_for 120 grep -q '^State:.*T (stopped)' "/proc/$pid/status" || fail "pmemnsd never reached $MOMENT"
log "pmemnsd stopped at $MOMENT; cutting the power"
# The guest's root is an initramfs: hand /var/lib/pmemnsd (the create records, fsync'ed
# before each create's first kernel write) to the host, which puts it back at the next boot,
# as a disk would keep it.
echo "@@VARLIB $(tar -C /var/lib -cz pmemnsd 2>/dev/null | base64 -w0)@@"
echo "@@MONITOR quit@@"
sleep 120
fail "still running two minutes after the power cut"
