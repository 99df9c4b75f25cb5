#!/bin/bash
# Data safety (issue 10): pmemnsd never destroys, re-makes, claims or re-enables what it
# cannot prove it made. Three boots on one NVDIMM (tests/vm/boots); the policy and
# pmemnsd.conf are in /etc at boot and the udev-started daemon reconciles on its own, as
# on a real machine.
#  provision  db (256M devdax) and log (130M fsdax) provisioned at boot; data written.
#             Then, in the same boot, ownership: a disabled namespace named like an
#             instance in a region no selector matches is not re-enabled (10.2); a raw
#             namespace named like an instance with data after 8 KiB is a conflict, not
#             claimed (10.3); DestroyNamespace refuses an admin's namespace and accepts
#             one CreateNamespace made (10.5); a property read by nobody that activates
#             the stopped service changes nothing (10.6).
#  nodrivers  booted with modprobe.blacklist=dax_pmem,nd_pmem and load-modules = no: no
#             namespace destroyed or re-made (uuids, sizes), not after a restart and an
#             Apply either; the plan says why they are not active (10.1).
#  back       the drivers are back: the data of db and log intact, the uuids of boot 1.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

PHASE=$1
REGION=region0
# name, namespace uuid and raw size of every sized namespace, from sysfs (ndctl shows the
# claim's uuid and usable size for an active one, the namespace's for a disabled one)
ns_table() {
        local d
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/size")" != 0 ] || continue
                echo "$(cat "$d/alt_name") $(cat "$d/uuid") $(cat "$d/size")"
        done | sort
}
# the device of the namespace named $1, disabled ones included
ns_dev() {
        local d
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/size")" != 0 ] && [ "$(cat "$d/alt_name")" = "$1" ] && { basename "$d"; return; }
        done
}
seed_uuid() { cat "/sys/bus/nd/devices/$(nd_attr $REGION namespace_seed)/uuid" 2>/dev/null || true; }
plan_row() {  # instance -> "action<TAB>message"
        # shellcheck disable=SC2086
        busctl --json=short call $PMEMNSD_MGR Plan | jq -r --arg n "$1" '.data[0][] | select(.[1] == $n) | "\(.[0])\t\(.[7])"'
}
wait_active() { wait_for 120 systemctl is-active -q pmemnsd.service || fail "pmemnsd did not start"; }
wait_named() { wait_for 300 test -n "$(ns_named "$1")" || fail "$1 was not provisioned at boot"; }

log "boot $PMEMNSD_TEST_BOOT: $PHASE on $(uname -r)"
ns_table
case "$PHASE" in
provision|provision-only)  # provision-only: without the ownership checks
        wait_named db
        wait_named log
        wait_for 60 test "$(ndctl list -N -n "$(ns_named db)" | jq -r '(.[0] // .).chardev')" != null
        db_chr=$(ndctl list -N -n "$(ns_named db)" | jq -r '(.[0] // .).chardev')
        log_blk=$(ndctl list -N -n "$(ns_named log)" | jq -r '(.[0] // .).blockdev')
        daxio write "/dev/$db_chr" 1234 || fail "writing db"
        mkfs.ext4 -q -F -b 4096 "/dev/$log_blk"
        mkdir -p /mnt/log && mount -o dax "/dev/$log_blk" /mnt/log
        head -c 8M /dev/urandom > /mnt/log/data
        sha256sum /mnt/log/data | cut -d' ' -f1 > /mnt/log/data.sum
        ns_table > /mnt/log/uuids
        umount /mnt/log
        [ "$PHASE" = provision-only ] && { echo "PASS data-safety $PHASE"; exit 0; }

        # 10.3: an admin's raw namespace named like an instance, data after 8 KiB
        printf '[namespace cdb]\nregion = nv\nmode = fsdax\nsize = 64M\n' > /etc/pmemnsd/policy.d/20-cdb.conf
        adm=$(ndctl create-namespace -r $REGION -m raw -s 64M -n cdb | jq -r .dev) || fail "admin create"
        blk=$(ndctl list -N -n "$adm" | jq -r '(.[0] // .).blockdev')
        printf 'ADMIN-DATA-AT-16K' | dd of="/dev/$blk" bs=4096 seek=4 conv=notrunc,fsync status=none
        pmemnsctl reload || fail "reload"
        pmemnsd_apply > /tmp/apply.tsv || fail "Apply"
        row=$(plan_row cdb)
        log "cdb: $row"
        check_match "$row" '^conflict.*no record of creating it' "plan row of the admin's raw 'cdb'"
        check_eq "$(ndctl list -N -n "$adm" | jq -r '(.[0] // .).mode')" raw "mode of the admin's cdb"
        check_eq "$(dd if="/dev/$blk" bs=4096 skip=4 count=1 status=none | head -c 17)" ADMIN-DATA-AT-16K "cdb's data"

        # 10.5: DestroyNamespace of the admin's namespace is refused
        path=/org/pmemnsd1/namespace/${adm/./_}
        # shellcheck disable=SC2086
        out=$(busctl call $PMEMNSD_MGR DestroyNamespace o "$path" 2>&1) && fail "DestroyNamespace of an admin's namespace succeeded"
        log "DestroyNamespace($adm): $out"
        # (busctl shows any AccessDenied as "Access denied"; pmemnsctl shows the reason)
        check_match "$out" 'Access denied' "the refusal"
        check_eq "$(ns_named cdb)" "$adm" "the admin's namespace after DestroyNamespace"
        out=$(pmemnsctl destroy "$adm" 2>&1) && fail "pmemnsctl destroy of an admin's namespace succeeded"
        check_match "$out" 'foreign' "pmemnsctl's refusal"
        # ... and accepts one that CreateNamespace made
        made=$(pmemnsctl create --region $REGION --mode raw --size 20M --name scratch) || fail "create scratch"
        log "CreateNamespace: $made"
        pmemnsctl destroy "$(ns_named scratch)" || fail "DestroyNamespace of CreateNamespace's namespace"
        check_eq "$(ns_named scratch)" "" "scratch after its destroy"
        rm /etc/pmemnsd/policy.d/20-cdb.conf
        ndctl destroy-namespace -f "$adm" > /dev/null

        # 10.2: an admin's namespace named like an instance, disabled, in a region no
        # selector matches: a restart (its recovery) leaves it disabled
        printf '[region elsewhere]\nmatch.dev = region99\n[namespace spare]\nregion = elsewhere\nmode = raw\nsize = 32M\n' \
                > /etc/pmemnsd/policy.d/30-spare.conf
        spare=$(ndctl create-namespace -r $REGION -m raw -s 32M -n spare | jq -r .dev) || fail "admin create spare"
        ndctl disable-namespace "$spare" > /dev/null
        systemctl restart pmemnsd.service
        pmemnsd_apply > /dev/null || fail "Apply with spare"
        check_eq "$(ndctl list -Ni -n "$spare" | jq -r '(.[0] // .).state // "enabled"')" disabled "the admin's disabled 'spare'"
        ndctl destroy-namespace -f "$spare" > /dev/null
        rm /etc/pmemnsd/policy.d/30-spare.conf

        # 10.6: the admin stops the daemon and works with ndctl (here: the policy namespace
        # s6 disabled, the seed half-configured as a killed ndctl create-namespace leaves
        # it); nobody reads a property, which activates the service: nothing changes
        printf '[namespace s6]\nregion = nv\nmode = raw\nsize = 32M\n' > /etc/pmemnsd/policy.d/40-s6.conf
        pmemnsctl reload || fail "reload with s6"
        s6=$(ns_named s6)
        [ -n "$s6" ] || fail "s6 was not created"
        systemctl stop pmemnsd.service
        ndctl disable-namespace "$s6" > /dev/null
        seed=$(nd_attr $REGION namespace_seed)
        echo 5f9a2e2c-6d1c-4e61-9a5e-3f1a5c0e7d21 > "/sys/bus/nd/devices/$seed/uuid"
        before=$(ndctl list -RNi; seed_uuid)
        setpriv --reuid=nobody --regid=nogroup --clear-groups \
                busctl get-property org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager Version || fail "property read by nobody"
        wait_active
        sleep 5
        after=$(ndctl list -RNi; seed_uuid)
        [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") || true; fail "an activation by nobody changed the nd bus"; }
        check_match "$(plan_row s6)" '^skip	.*not active' "the plan row of the disabled s6"
        # the admin is done
        echo 00000000-0000-0000-0000-000000000000 > "/sys/bus/nd/devices/$seed/uuid"
        ndctl destroy-namespace -f "$s6" > /dev/null
        rm /etc/pmemnsd/policy.d/40-s6.conf
        pmemnsctl reload || fail "reload without s6"
        pmemnsd_apply > /dev/null || fail "the last Apply"
        ns_table
        ;;
nodrivers)
        grep -q 'modprobe.blacklist=dax_pmem,nd_pmem' /proc/cmdline || fail "not booted with the blacklist"
        [ ! -e /sys/bus/nd/drivers/nd_pmem ] || fail "nd_pmem is loaded"
        wait_active
        wait_for 120 sh -c 'busctl get-property org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager State | grep -qv applying'
        table=$(ns_table)
        check_eq "$(echo "$table" | awk '$1 == "db" || $1 == "log"' | wc -l)" 2 "db and log still sized after the boot's reconcile"
        journalctl -u pmemnsd --no-pager | grep -E 'half-configured|rolled back|Deleting' && fail "recovery acted"
        for n in db log; do
                row=$(plan_row $n)
                log "$n: $row"
                check_match "$row" '^skip	.*not active: the nd_pmem driver is not loaded' "plan row of $n"
                dev=$(ns_dev $n)
                state=$(busctl get-property org.pmemnsd1 "/org/pmemnsd1/namespace/${dev/./_}" org.pmemnsd1.Namespace State)
                check_eq "$state" 's "failed"' "the State of $n"
        done
        systemctl restart pmemnsd.service
        wait_active
        pmemnsd_apply > /tmp/apply.tsv || fail "Apply without drivers"
        cut -f1,2,8 /tmp/apply.tsv
        check_eq "$(ns_table)" "$table" "namespaces (name uuid size) after a restart and an Apply without drivers"
        ;;
back)
        wait_named db
        wait_named log
        wait_for 60 test "$(ndctl list -N -n "$(ns_named db)" | jq -r '(.[0] // .).chardev')" != null
        db_chr=$(ndctl list -N -n "$(ns_named db)" | jq -r '(.[0] // .).chardev')
        daxio verify "/dev/$db_chr" 1234 || fail "db's data is gone"
        log_blk=$(ndctl list -N -n "$(ns_named log)" | jq -r '(.[0] // .).blockdev')
        mkdir -p /mnt/log && mount -o dax "/dev/$log_blk" /mnt/log
        check_eq "$(sha256sum /mnt/log/data | cut -d' ' -f1)" "$(cat /mnt/log/data.sum)" "log's data"
        check_eq "$(ns_table)" "$(cat /mnt/log/uuids)" "namespaces (name uuid size) against boot 1"
        umount /mnt/log
        ;;
*) fail "unknown phase $PHASE";;
esac
echo "PASS data-safety $PHASE"
