#!/bin/bash
# Crash at every step, and roll back at every step (issue 5). The daemon is built with
# -Dfault-injection=true: PMEMNSD_FAULT=POINT[@N][:kill|fail] makes it SIGKILL itself the
# Nth time it reaches POINT, or makes that step fail (@0: every time). Each point sits
# between two kernel-visible steps of create, claim, align change, label init, label-less
# conversion or destroy.
#
# After a kill the daemon is restarted clean: the next reconcile must finish the job,
# leave no orphan (a sized namespace without a name, a pfn/dax/btt seed configured for no
# namespace, a device left disabled, a leftover interrupted-operation record) and data on
# the other namespaces must be unchanged. After a failure the rollback must leave the
# region exactly as it was (ndctl list -RN, region align included).
#
# $1: labelled (create/destroy in a labelled region) or labelless (init-labels on an
# NVDIMM without labels, conversion and destroy of the legacy e820 namespace).
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

PHASE=${1:-labelled}
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\ngranularity = subsection\n' > /etc/pmemnsd/pmemnsd.conf

POINTS=0 RUNS=0
declare -A SEEN
count() { [ -n "${SEEN[$1]:-}" ] || { SEEN[$1]=1; POINTS=$((POINTS + 1)); }; RUNS=$((RUNS + 1)); }

ns_field() { ndctl list -N -n "$1" | jq -r "(.[0] // .).$2"; }
region_at() {  # physical address -> region device
        local r
        for r in /sys/bus/nd/devices/region*; do
                [ "$(printf '%d' "$(cat "$r/resource")")" = "$(printf '%d' "$1")" ] && { basename "$r"; return; }
        done
        fail "no region at $1"
}
# every namespace and region attribute an admin would look at, for before/after equality
# which claim (pfn, dax, btt) holds a namespace, "none" if none (ndctl calls an unclaimed
# label-less namespace "fsdax", which is not what we ask here)
personality() {
        local d
        for d in /sys/bus/nd/devices/{pfn,dax,btt}[0-9]*; do
                [ -e "$d/namespace" ] && [ "$(cat "$d/namespace")" = "$1" ] &&
                        { basename "$d" | sed 's/[0-9].*//'; return; }
        done
        echo none
}
# (idle seed devices, size 0, are left out: which device is the seed is the kernel's
# bookkeeping and moves when a namespace is enabled and deleted again)
snapshot() {
        ndctl list -RN -i | jq -S 'walk(if type == "object" then del(.numa_node, .target_node) |
                (if has("namespaces") then .namespaces |= map(select((.size // 0) > 0)) else . end)
                else . end)'
}

# nstype 5: ND_DEVICE_NAMESPACE_PMEM (labelled), 4: ND_DEVICE_NAMESPACE_IO (label-less)
orphans() {
        local bad=0 d
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/size")" = 0 ] && continue
                if [ -e "$d/alt_name" ] && [ -z "$(cat "$d/alt_name")" ] && [ "$(cat "$d/nstype")" = 5 ]; then
                        echo "orphan: $(basename "$d") has a size but no name"; bad=1
                fi
        done
        # (a claimed namespace has no driver itself: ask libndctl, which looks at the claim)
        d=$(ndctl list -N -i | jq -r '.[]? | select(.state == "disabled" and .size > 0) | .dev')
        [ -z "$d" ] || { echo "orphan: $d left disabled"; bad=1; }
        for d in /sys/bus/nd/devices/{pfn,dax,btt}[0-9]*; do
                [ -e "$d/uuid" ] || continue
                [ -n "$(cat "$d/namespace")" ] && continue
                case "$(cat "$d/uuid")" in
                ""|00000000-0000-0000-0000-000000000000) ;;
                *) echo "orphan: $(basename "$d") is configured for no namespace"; bad=1;;
                esac
        done
        for d in /sys/bus/nd/devices/region*; do
                [ -e "$d/driver" ] || { echo "orphan: $(basename "$d") is left disabled"; bad=1; }
        done
        if compgen -G "/run/pmemnsd/disabled.*" > /dev/null; then
                echo "leftover records: $(ls /run/pmemnsd)"; bad=1
        fi
        if compgen -G "/var/lib/pmemnsd/inflight/*" > /dev/null; then
                echo "leftover create records: $(ls /var/lib/pmemnsd/inflight)"; bad=1
        fi
        return $bad
}

# Apply with a kill point armed: the daemon dies, Apply gets no answer.
killed_apply() {  # spec
        pmemnsd_restart "$1"
        pmemnsd_apply > /tmp/killed.tsv 2>&1 && fail "Apply survived the fault at $1"
        sleep 1
        systemctl is-active -q pmemnsd.service && fail "pmemnsd still running after the fault at $1"
        pmemnsd_restart
}
recovered_apply() {  # spec, names that must exist afterwards...
        local spec=$1 n; shift
        pmemnsd_apply > /tmp/apply.tsv || fail "Apply after $spec failed"
        grep -qP '^failed\t' /tmp/apply.tsv && fail "Apply after $spec: $(grep -P '^failed' /tmp/apply.tsv)"
        for n in "$@"; do [ -n "$(ns_named "$n")" ] || fail "$n missing after recovery from $spec"; done
        orphans || fail "orphans after $spec"
}
# Apply with every hit of a point failing: each affected row fails, nothing else changes.
failed_apply() {  # spec
        local before after
        before=$(snapshot)
        pmemnsd_restart "$1"
        pmemnsd_apply > /tmp/apply.tsv || fail "Apply with $1 did not answer"
        grep -qP '^failed\t' /tmp/apply.tsv || fail "no failed row with $1: $(cat /tmp/apply.tsv)"
        after=$(snapshot)
        [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") || true; fail "rollback after $1 left changes"; }
        orphans || fail "orphans after the rollback of $1"
        systemctl is-active -q pmemnsd.service || fail "pmemnsd died with $1"
        pmemnsd_restart
}

if [ "$PHASE" = labelled ]; then
        LR=$(region_at 0x100000000)
        cat > /etc/pmemnsd/policy.d/10-keep.conf <<CONF
[region nv]
match.dev = $LR

[namespace keep]
region = nv
mode = fsdax
size = 64M
CONF
        pmemnsd_restart
        pmemnsd_apply > /dev/null
        keep=$(ns_named keep)
        [ -n "$keep" ] || fail "keep was not created"
        bdev=$(ns_field "$keep" blockdev)
        mkfs.ext4 -q -F -b 4096 "/dev/$bdev"
        mkdir -p /mnt/keep && mount -o dax "/dev/$bdev" /mnt/keep
        head -c 4M /dev/urandom > /mnt/keep/data
        sum=$(sha256sum /mnt/keep/data | cut -d' ' -f1)
        umount /mnt/keep

        # three creates per Apply, one per claim type (order: a, b, c)
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
        default_align() { echo 0x1000000 > "/sys/bus/nd/devices/$LR/align"; }
        destroy_work() {
                local n
                for n in a b c; do pmemnsctl destroy "$(ns_named $n)" || fail "destroying $n"; done
                orphans || fail "orphans after destroying the work namespaces"
        }

        # -- kill at every create step, at the 1st, 2nd and 3rd create of an Apply
        for spec in create-after-align \
                    create-after-uuid@{1,2,3} create-after-size@{1,2,3} \
                    claim-after-configure@{1,2,3} create-after-claim@{1,2,3} \
                    create-after-enable@{1,2,3}; do
                log "kill at $spec"
                default_align   # so that the align step happens again
                killed_apply "$spec"
                recovered_apply "$spec" keep a b c
                destroy_work
                count "${spec%@*}"
        done

        # -- fail at every create step: everything rolled back, region align included
        for p in create-after-align create-after-uuid create-after-size claim-after-configure \
                 create-after-claim create-after-enable; do
                log "fail at $p"
                default_align
                failed_apply "$p@0:fail"
                check_eq "$(( $(cat "/sys/bus/nd/devices/$LR/align") ))" 16777216 "region align after failing at $p"
                count "$p:fail"
        done
        default_align
        pmemnsd_apply > /dev/null
        for n in a b c; do [ -n "$(ns_named $n)" ] || fail "$n not created after the fail runs"; done

        # -- kill and fail during destroy, one victim per mode: the same namespace (uuid)
        #    comes back with its personality, nothing re-created
        for p in destroy-after-disable destroy-after-unclaim; do
                for victim in a b c; do
                        log "kill at $p destroying $victim"
                        dev=$(ns_named $victim)
                        uuid=$(ns_field "$dev" uuid) mode=$(ns_field "$dev" mode)
                        pmemnsd_restart "$p"
                        pmemnsctl destroy "$dev" 2>/dev/null && fail "destroy survived the fault at $p"
                        sleep 1
                        pmemnsd_restart
                        pmemnsd_apply > /tmp/apply.tsv || fail "Apply after $p failed"
                        grep -qP "^adopt\t$victim\t" /tmp/apply.tsv ||
                                fail "$victim not adopted after $p: $(cat /tmp/apply.tsv)"
                        check_eq "$(ns_field "$(ns_named $victim)" uuid)" "$uuid" "uuid of $victim after $p"
                        check_eq "$(ns_field "$(ns_named $victim)" mode)" "$mode" "mode of $victim after $p"
                        orphans || fail "orphans after $p"
                        count "$p"

                        log "fail at $p destroying $victim"
                        pmemnsd_restart "$p:fail"
                        out=$(pmemnsctl destroy "$dev" 2>&1) && fail "destroy survived the failure at $p"
                        echo "$out" | grep -q "injected" || fail "destroy failure does not say why: $out"
                        check_eq "$(ns_field "$(ns_named $victim)" uuid)" "$uuid" "uuid of $victim after failing at $p"
                        check_eq "$(ns_field "$(ns_named $victim)" mode)" "$mode" "mode of $victim after failing at $p"
                        orphans || fail "orphans after failing at $p"
                        pmemnsd_restart
                        count "$p:fail"
                done
        done
        mount -o dax "/dev/$bdev" /mnt/keep
        check_eq "$(sha256sum /mnt/keep/data | cut -d' ' -f1)" "$sum" "checksum of keep's data"
        umount /mnt/keep
else
        LEG=$(nd_regions | jq -r '.[] | select(.provider == "e820") | .dev')
        [ -n "$LEG" ] || fail "no legacy e820 region"
        # Once an NVDIMM has shown labels the kernel treats it as label-capable until reboot
        # (NDD_LABELING is never cleared), so every init-labels run gets its own NVDIMM.
        mapfile -t LLS < <(nd_regions | jq -r '.[] | select(.provider == "ACPI.NFIT") | .dev' |
                           while read -r r; do [ "$(nd_attr "$r" nstype)" = 5 ] || echo "$r"; done | sort -V)
        [ "${#LLS[@]}" -ge 4 ] || fail "expected 4 label-less NVDIMMs, found ${#LLS[@]}"
        pmemnsd_restart
        i=0
        for spec in labels-after-disable labels-after-dimm labels-after-disable@0:fail labels-after-dimm@0:fail; do
                LL=${LLS[i]}
                i=$((i + 1))
                cat > /etc/pmemnsd/policy.d/10-labels.conf <<CONF
[region ll]
match.dev = $LL
init-labels = yes

[namespace l$i]
region = ll
mode = sector
size = 64M
CONF
                case "$spec" in
                *:fail)
                        log "fail at $spec on $LL"
                        pmemnsd_restart "$spec"
                        pmemnsd_apply > /tmp/apply.tsv || fail "Apply with $spec did not answer"
                        grep -qP "^failed\tl$i\t" /tmp/apply.tsv || fail "l$i did not fail with $spec: $(cat /tmp/apply.tsv)"
                        orphans || fail "orphans after failing at $spec"
                        pmemnsd_restart
                        ;;
                *)
                        log "kill at $spec on $LL"
                        killed_apply "$spec"
                        ;;
                esac
                recovered_apply "$spec" "l$i"
                check_eq "$(nd_attr "$LL" nstype)" 5 "$LL labelled after $spec"
                count "$spec"
        done
        # data on l4 while the legacy region is converted back and forth
        bdev=/dev/$(ns_field "$(ns_named l4)" blockdev)
        head -c 4M /dev/urandom | dd of="$bdev" bs=1M oflag=direct status=none
        sum=$(head -c 4M "$bdev" | sha256sum | cut -d' ' -f1)

        cat > /etc/pmemnsd/policy.d/20-legacy.conf <<'CONF'
[region leg]
match.provider = e820

[namespace legacy]
region = leg
mode = devdax
size = rest
CONF
        LNS=$(nd_namespaces -r "$LEG" | jq -r '.[0].dev')
        unconvert() {
                pmemnsctl destroy "$LNS" || fail "destroying the legacy devdax"
                check_eq "$(personality "$LNS")" none "legacy namespace's claim after destroy"
        }
        for spec in convert-after-disable create-after-claim convert-after-enable; do
                log "kill at $spec (label-less conversion)"
                killed_apply "$spec"
                pmemnsd_apply > /tmp/apply.tsv || fail "Apply after $spec failed"
                grep -qP '^failed\t' /tmp/apply.tsv && fail "Apply after $spec: $(cat /tmp/apply.tsv)"
                check_eq "$(personality "$LNS")" dax "legacy namespace's claim after recovery from $spec"
                orphans || fail "orphans after $spec"
                unconvert
                count "convert:$spec"

                log "fail at $spec (label-less conversion)"
                failed_apply "$spec@0:fail"
                check_eq "$(personality "$LNS")" none "legacy namespace's claim after failing at $spec"
                count "convert:$spec:fail"
        done
        pmemnsd_apply > /dev/null
        chr=$(ns_field "$LNS" chardev)
        daxio write "/dev/$chr" 4242 || fail "writing the legacy devdax"
        for spec in destroy-after-disable destroy-after-unclaim; do
                log "kill at $spec (label-less)"
                pmemnsd_restart "$spec"
                pmemnsctl destroy "$LNS" 2>/dev/null && fail "destroy survived the fault at $spec"
                sleep 1
                pmemnsd_restart
                pmemnsd_apply > /tmp/apply.tsv || fail "Apply after $spec failed"
                grep -qP '^adopt\tlegacy\t' /tmp/apply.tsv || fail "legacy not adopted after $spec: $(cat /tmp/apply.tsv)"
                orphans || fail "orphans after $spec"
                daxio verify "/dev/$(ns_field "$LNS" chardev)" 4242 || fail "legacy data after $spec"
                count "labelless:$spec"
        done
        check_eq "$(head -c 4M "$bdev" | sha256sum | cut -d' ' -f1)" "$sum" "checksum of l4's data"
fi
echo "FAULTS phase=$PHASE points=$POINTS runs=$RUNS survived"
echo "PASS faults $PHASE"
