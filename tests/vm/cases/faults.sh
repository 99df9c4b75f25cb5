#!/bin/bash
# Crash at every step (issue 5): the daemon is built with -Dfault-injection=true and
# PMEMNSD_FAULT=<point> makes it SIGKILL itself there. After each kill the daemon is
# restarted clean: the next reconcile must finish the job, leave no orphan (a sized
# namespace without a name, a pfn/dax/btt seed configured for nothing) and the data on the
# other namespaces must be unchanged.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"
DROPIN=/run/systemd/system/pmemnsd.service.d
mkdir -p /etc/pmemnsd/policy.d "$DROPIN"
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
printf '[region nv]\nmatch.provider = ACPI.NFIT\n\n[namespace keep]\nregion = nv\nmode = fsdax\nsize = 64M\n' \
        > /etc/pmemnsd/policy.d/10-keep.conf

restart() {  # [fault point]
        if [ -n "${1:-}" ]; then
                printf '[Service]\nEnvironment=PMEMNSD_FAULT=%s\nRestart=no\n' "$1" > "$DROPIN/fault.conf"
        else
                rm -f "$DROPIN/fault.conf"
        fi
        systemctl daemon-reload
        systemctl restart pmemnsd.service || fail "pmemnsd did not start"
}
apply() { busctl --timeout=600 --json=short call $MGR Apply | jq -r '.data[0][] | @tsv'; }
ns_named() { ndctl list -N | jq -r ".[]? | select(.name == \"$1\") | .dev"; }

orphans() {
        local bad=0 d
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/size")" = 0 ] && continue
                [ -n "$(cat "$d/alt_name" 2>/dev/null)" ] || { echo "orphan: $(basename "$d") has a size but no name"; bad=1; }
        done
        for d in /sys/bus/nd/devices/{pfn,dax,btt}[0-9]*; do
                [ -e "$d/uuid" ] || continue
                [ -n "$(cat "$d/namespace")" ] && continue
                case "$(cat "$d/uuid")" in
                ""|00000000-0000-0000-0000-000000000000) ;;
                *) echo "orphan: $(basename "$d") is configured for no namespace"; bad=1;;
                esac
        done
        return $bad
}

restart
apply > /dev/null
keep=$(ns_named keep)
[ -n "$keep" ] || fail "keep was not created"
bdev=$(ndctl list -N -n "$keep" | jq -r '(.[0] // .).blockdev')
mkfs.ext4 -q -F -b 4096 "/dev/$bdev"
mkdir -p /mnt/keep && mount -o dax "/dev/$bdev" /mnt/keep
head -c 4M /dev/urandom > /mnt/keep/data
sum=$(sha256sum /mnt/keep/data | cut -d' ' -f1)
umount /mnt/keep

cat > /etc/pmemnsd/policy.d/20-work.conf <<'CONF'
[namespace a]
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
CONF

CREATE_POINTS="create-after-align create-after-uuid create-after-size create-after-claim create-after-enable"
DESTROY_POINTS="destroy-after-disable destroy-after-unclaim"
runs=0
for p in $CREATE_POINTS; do
        log "kill at $p"
        # back to the kernel's default so that the align step happens again
        echo 0x1000000 > "/sys/bus/nd/devices/$(ndctl list -N -n "$keep" | jq -r '(.[0] // .).dev' >/dev/null; ls /sys/bus/nd/devices | grep -m1 '^region')/align"
        restart "$p"
        apply > /tmp/killed.tsv 2>&1 && fail "Apply survived the fault at $p"
        sleep 1
        systemctl is-active -q pmemnsd.service && fail "pmemnsd still running after the fault at $p"
        restart
        apply > /tmp/apply.tsv || fail "Apply after $p failed"
        grep -qP '^failed\t' /tmp/apply.tsv && fail "Apply after $p: $(grep -P '^failed' /tmp/apply.tsv)"
        for n in keep a b c; do [ -n "$(ns_named $n)" ] || fail "$n missing after recovery from $p"; done
        orphans || fail "orphans after $p"
        # start the next point from scratch
        for n in a b c; do pmemnsctl destroy "$(ns_named $n)" || fail "destroying $n after $p"; done
        orphans || fail "orphans after destroying the work namespaces ($p)"
        runs=$((runs + 1))
done
for p in $DESTROY_POINTS; do
        log "kill at $p"
        restart
        apply > /dev/null
        victim=$(ns_named a)
        restart "$p"
        pmemnsctl destroy "$victim" 2>/dev/null && fail "destroy survived the fault at $p"
        sleep 1
        restart
        orphans || fail "orphans after $p"
        apply > /tmp/apply.tsv || fail "Apply after $p failed"
        [ -n "$(ns_named a)" ] || fail "a not back after $p"
        orphans || fail "orphans after the apply following $p"
        runs=$((runs + 1))
done
mount -o dax "/dev/$bdev" /mnt/keep
check_eq "$(sha256sum /mnt/keep/data | cut -d' ' -f1)" "$sum" "checksum of keep's data"
umount /mnt/keep
echo "FAULTS points=$(( $(echo $CREATE_POINTS $DESTROY_POINTS | wc -w) )) runs=$runs survived"
echo "PASS faults"
