#!/bin/bash
# [cxl-region] policies (issue 12 item 5): pmemnsd assembles a CXL PMEM region from its
# memdevs and carves it at 2 MiB, re-assembles it identically after a loss and after a
# reboot, skips one whose memdev is missing and leaves a foreign region alone. Two boots on
# the same backing files (tests/vm/boots), /var/lib kept across them as a disk would:
#
#   cxl-region.sh single|interleave first    policy in /etc at boot, apply = manual
#   cxl-region.sh single|interleave again    the reboot: apply = auto, the enabled unit
#                                            does everything, the test only looks
#
# single (topology cxl, cxl-region/10-single.conf): [cxl-region pool] = memdev 4660,
# [cxl-region gone] = 4999 (not present); 34M devdax, 130M fsdax, 64M sector on pool.
#   first: a foreign region made by hand (cxl create-region) on 4660: pool is a skip, the
#          foreign region untouched (uuid, enabled, no namespace); removed by hand. Apply:
#          rows pool `assemble` and gone `skip` naming 4999 before the namespace rows, the
#          creates where planned; Region object Provider CXL, Memdevs, InterleaveWays;
#          data written; the region torn down by hand (cxl disable-region, destroy-region);
#          Apply: `assemble` again with the same cxl uuid, every namespace `adopt`, same
#          uuids, same data.
#   again: assembled at start, all adopted, uuids and data as in the first boot; torn down
#          by hand once more, and a memdev add event (udev) makes the daemon re-assemble it.
# interleave (topology cxl-interleave, cxl-region/10-interleave.conf): pool = 4660, 4661
# (2-way, granularity 256); first: Apply assembles and creates, data; again: as single's
# again without the tear-down.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest-lib.sh
. /pmemnsd-test/guest-lib.sh

LAYOUT=${1:-single}
PHASE=${2:-first}
case "$LAYOUT" in
single) SERIALS=(4660) MEMDEVS=4660 WAYS=1;;
interleave) SERIALS=(4660 4661) MEMDEVS=4660,4661 WAYS=2;;
*) fail "unknown layout '$LAYOUT'";;
esac
NAMES=(dax db blk)
FACTS=/var/lib/pmemnsd-test/cxl-region.facts
B="busctl --timeout=600"
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }
log() { echo "## [$(elapsed)] $*"; }

# ---- helpers -----------------------------------------------------------------------------
# rows METHOD FILE: Plan or Apply, one tab-separated row per line
rows() {
        # shellcheck disable=SC2086 # PMEMNSD_MGR is three words
        $B --json=short call $PMEMNSD_MGR "$1" | jq -r '.data[0][] | @tsv' > "$2"
        echo "-- $1 rows (action instance region mode size usable start message):"
        sed 's/^/   /' "$2"
}
# field FILE INSTANCE N: column N (1 action, 2 instance, 3 region, ..., 8 message)
field() { awk -F'\t' -v i="$2" -v n="$3" '$2 == i { print $n; exit }' "$1"; }
# line FILE INSTANCE: the row's line number (0: none)
line_of() { awk -F'\t' -v i="$2" '$2 == i { print NR; f = 1; exit } END { if (!f) print 0 }' "$1"; }
# one listing of the namespaces for a round of checks (ndctl is slow under TCG): snap
# takes it; ns_json NAME and ns_dev NAME read the enabled namespace labelled NAME from it
snap() { ndctl_json -N > /tmp/ns.json; }
ns_json() { jq -c --arg n "$1" '[.[] | select(.name == $n)][0] // empty' /tmp/ns.json; }
ns_dev() { local d; d=$(ns_json "$1" | jq -r .dev); [ -n "$d" ] && echo "$d"; }
# CXL regions (regionN on the cxl bus) and nd regions pair up by their physical address
# (6.1 puts the nd region under the nvdimm bridge, not under the CXL region); the uuid of a
# CXL region is in sysfs (the cxl tool of bookworm does not list it)
cxl_attr() { cat "/sys/bus/cxl/devices/$1/$2"; }
cxl_regions() { local d; for d in /sys/bus/cxl/devices/region*; do [ -e "$d/uuid" ] && basename "$d"; done; return 0; }
cxl_of_nd() {
        local r res
        res=$(printf '%d' "$(nd_attr "$1" resource)")
        for r in $(cxl_regions); do
                [ "$(printf '%d' "$(cxl_attr "$r" resource)")" = "$res" ] && { echo "$r"; return 0; }
        done
        return 1
}
nd_of_cxl() {
        local nd res
        res=$(printf '%d' "$(cxl_attr "$1" resource)")
        for nd in $(cxl_nd_regions); do
                [ "$(printf '%d' "$(nd_attr "$nd" resource)")" = "$res" ] && { echo "$nd"; return 0; }
        done
        return 1
}
cxl_region_json() { cxl list -R -r "$1" | jq -c '.[0] // .'; }
# the CXL region with this uuid, if any
cxl_by_uuid() {
        local r
        for r in $(cxl_regions); do [ "$(cxl_attr "$r" uuid)" = "$1" ] && echo "$r"; done
        return 0
}
# Plan says pool would be assembled
pool_planned() { rows Plan /tmp/plan.tsv > /dev/null; [ "$(field /tmp/plan.tsv pool 1)" = assemble ]; }
# the recorded region is there
cxl_up() { [ -n "$(cxl_by_uuid "$CXL_UUID")" ]; }
# the namespaces are there and enabled (after an assembly by the daemon)
all_ns_there() { local n; snap; for n in "${NAMES[@]}"; do ns_dev "$n" >/dev/null || return 1; done; }

# data: devdax through daxio, the block devices by sha256 of their first and last 2 MiB
# (after a seeded pattern at both ends; all of them would take minutes under TCG)
write_data() {
        snap
        check_cmd daxio write "/dev/$(ns_json dax | jq -r .chardev)" 900
        check_cmd blk_io write "/dev/$(ns_json db | jq -r .blockdev)" db
        check_cmd blk_io write "/dev/$(ns_json blk | jq -r .blockdev)" blk
}
checksums() {
        local n dev last
        for n in db blk; do
                dev=/dev/$(ns_json "$n" | jq -r .blockdev)
                last=$(( $(blockdev --getsize64 "$dev") / MiB - 2 ))
                printf '%s=%s\n' "$n" "$({ dd if="$dev" bs=1M count=2 iflag=direct status=none
                                           dd if="$dev" bs=1M skip="$last" count=2 iflag=direct status=none; } |
                                         sha256sum | cut -c1-64)"
        done
}
uuids() { local n; for n in "${NAMES[@]}"; do printf '%s=%s\n' "$n" "$(ns_json "$n" | jq -r .uuid)"; done; }
verify_data() {  # what: checksums and uuids equal to the recorded ones
        snap
        check_cmd daxio verify "/dev/$(ns_json dax | jq -r .chardev)" 900
        check_eq "$(checksums)" "$SUMS" "sha256 of db and blk ($1)"
        check_eq "$(uuids)" "$UUIDS" "namespace uuids ($1: nothing re-made)"
        log "data and uuids as recorded ($1): $(tr '\n' ' ' <<< "$SUMS")"
}

# region_checks ND: the nd region of pool: provider CXL, ways, its Region object on the bus
region_checks() {
        local nd=$1
        p=/org/pmemnsd1/region/$1
        check_eq "$(nd_regions | jq -r --arg r "$nd" '.[] | select(.dev == $r) | .provider')" CXL "provider of $nd"
        check_eq "$(nd_attr "$nd" mappings)" "$WAYS" "mappings of $nd"
        get() { $B --json=short get-property org.pmemnsd1 "$p" org.pmemnsd1.Region "$1" | jq -c .data; }
        wait_for 30 sh -c "$B get-property org.pmemnsd1 $p org.pmemnsd1.Region Device >/dev/null 2>&1" ||
                fail "no Region object $p"
        check_eq "$(get Provider)" '"CXL"' "$nd Provider"
        check_eq "$(get InterleaveWays)" "$WAYS" "$nd InterleaveWays"
        check_eq "$(get Memdevs | jq -r 'join(",")')" "$MEMDEVS" "$nd Memdevs"
        check_eq "$(get Policy)" '"pool"' "$nd Policy (selector)"
        log "Region $nd: Provider CXL, InterleaveWays $WAYS, Memdevs $MEMDEVS, Policy pool"
}

# check_pool_row FILE ACTION: pool's row: ACTION, mode cxl-pmem, the nd region it made,
# size = usable, start = the region's address, before every namespace row. Sets ND.
check_pool_row() {
        local f=$1 want=$2 action nd size usable start msg n first=999999
        action=$(field "$f" pool 1) nd=$(field "$f" pool 3) size=$(field "$f" pool 5)
        usable=$(field "$f" pool 6) start=$(field "$f" pool 7) msg=$(field "$f" pool 8)
        check_eq "$action" "$want" "pool row action ($msg)"
        check_eq "$(field "$f" pool 4)" cxl-pmem "pool row mode"
        [ -n "$nd" ] || fail "pool row names no nd region"
        check_eq "$size" "$(nd_attr "$nd" size)" "pool row size = nd region $nd size"
        check_eq "$usable" "$size" "pool row usable"
        check_eq "$start" "$(printf '%d' "$(nd_attr "$nd" resource)")" "pool row start = $nd resource"
        for n in "${NAMES[@]}"; do
                [ "$(line_of "$f" "$n")" = 0 ] || [ "$(line_of "$f" "$n")" -gt "$first" ] ||
                        first=$(line_of "$f" "$n")
        done
        [ "$(line_of "$f" pool)" -lt "$first" ] || fail "pool's row is not before the namespace rows"
        ND=$nd
        CXLR=$(cxl_of_nd "$nd") || fail "no CXL region at the address of $nd"
        if [ "$want" = assemble ]; then
                [[ $msg == *"$CXLR"* && $msg == *"$nd"* ]] ||
                        fail "pool row message does not name $CXLR and $nd: $msg"
        fi
}
# check_gone_row FILE: the cxl-region whose memdev is missing: skip naming serial 4999
check_gone_row() {
        [ "$LAYOUT" = single ] || return 0
        check_eq "$(field "$1" gone 1)" skip "gone row action"
        check_match "$(field "$1" gone 8)" 4999 "gone row message names the missing memdev"
        check_eq "$(field "$1" gone 3)" "" "gone row region"
}
# check_ns_rows FILE ACTION: every namespace row ACTION, on ND, where the kernel has it
check_ns_rows() {
        local f=$1 want=$2 n ns start size odd=0 rs
        snap
        rs=$(printf '%d' "$(nd_attr "$ND" resource)")
        for n in "${NAMES[@]}"; do
                check_eq "$(field "$f" "$n" 1)" "$want" "$n row action ($(field "$f" "$n" 8))"
                check_eq "$(field "$f" "$n" 3)" "$ND" "$n row region"
                ns=$(ns_dev "$n") || fail "$n: no namespace with that name"
                start=$(field "$f" "$n" 7) size=$(field "$f" "$n" 5)
                check_eq "$(printf '%d' "$(nd_attr "$ns" resource)")" "$start" "$n ($ns) start"
                check_eq "$(nd_attr "$ns" size)" "$size" "$n ($ns) raw size"
                check_eq "$(ns_json "$n" | jq -r .mode)" "$(field "$f" "$n" 4)" "$n mode"
                check_eq "$(ns_json "$n" | jq -r .size)" "$(field "$f" "$n" 6)" "$n usable size"
                [ $(((start - rs) % (16 * MiB))) = 0 ] || odd=$((odd + 1))
        done
        check_ge "$odd" 1 "namespaces placed off the 16 MiB grid"
        # set before creating; a region assembled again has the kernel's default (16M)
        [ "$want" != create ] || check_eq "$(printf '%d' "$(nd_attr "$ND" align)")" $((2 * MiB)) "$ND align"
}
# tear_down CXLR: what an admin or a failing script does without a reboot: the region goes,
# the device memory and the labels stay
tear_down() {
        log "tear-down of $1 by hand: cxl disable-region, cxl destroy-region"
        check_cmd cxl disable-region "$1"
        check_cmd cxl destroy-region "$1"
        [ -z "$(cxl_by_uuid "$CXL_UUID")" ] || fail "$1 still there after destroy-region"
}
kernel_clean() {
        if dmesg | grep -E -q 'WARNING:|BUG:|Oops'; then
                dmesg | grep -E -B2 -A20 'WARNING:|BUG:|Oops' | head -60
                fail "kernel warning"
        fi
}

# ---- first boot ------------------------------------------------------------------------------
if [ "$PHASE" = first ]; then
        cxl_load || true
        for sn in "${SERIALS[@]}"; do
                [ -n "$(cxl_memdev "$sn")" ] || fail "no CXL memdev with serial $sn: $(dmesg | grep -i cxl | tail -5)"
        done
        check_eq "$(systemctl is-active pmemnsd.service)" active "pmemnsd (enabled, apply = manual)"
        pmemnsd --check || fail "pmemnsd --check"

        if [ "$LAYOUT" = single ]; then
                log "a foreign region (cxl create-region by hand) on 4660"
                FND=$(cxl_create_region "" 4660) || fail "cxl create-region"
                FCXL=$(cxl_of_nd "$FND") || fail "no CXL region for $FND"
                FUUID=$(cxl_attr "$FCXL" uuid)
                rows Apply /tmp/apply0.tsv
                check_eq "$(field /tmp/apply0.tsv pool 1)" skip "pool row while 4660 is in a foreign region"
                check_gone_row /tmp/apply0.tsv
                ! cut -f1 /tmp/apply0.tsv | grep -q failed || fail "a row failed"
                check_eq "$(cxl_by_uuid "$FUUID")" "$FCXL" "the foreign region, by its uuid"
                check_eq "$(cxl_region_json "$FCXL" | jq -r '.decode_state // "commit"')" commit "$FCXL decode state"
                check_eq "$(nd_of_cxl "$FCXL")" "$FND" "the foreign region's nd region"
                check_eq "$(ndctl_json -N -r "$FND" | jq length)" 0 "namespaces in the foreign $FND"
                log "foreign $FCXL ($FUUID, nd $FND) untouched, pool skipped: $(field /tmp/apply0.tsv pool 8)"
                log "the admin removes the foreign region"
                check_cmd cxl destroy-region -f "$FCXL"
                # Plan() answers from the daemon's cache, refreshed 300 ms after the last
                # udev event (daemon/udev.c): give it the events
                udevadm settle
                wait_for 15 pool_planned || true
        fi

        log "Plan, then Apply: assemble, then the creates"
        rows Plan /tmp/plan.tsv
        check_eq "$(field /tmp/plan.tsv pool 1)" assemble "pool planned"
        check_eq "$(field /tmp/plan.tsv pool 3)" "" "pool's planned nd region (not assembled yet)"
        check_gone_row /tmp/plan.tsv
        rows Apply /tmp/apply1.tsv
        check_pool_row /tmp/apply1.tsv assemble
        check_gone_row /tmp/apply1.tsv
        check_ns_rows /tmp/apply1.tsv create
        cxl list -R -u -r "$CXLR"
        CXL_UUID=$(cxl_attr "$CXLR" uuid)
        [ "$LAYOUT" = single ] || check_eq "$(cxl_region_json "$CXLR" | jq -r .interleave_granularity)" 256 "$CXLR granularity"
        [ -f "/var/lib/pmemnsd/cxl/pool" ] || fail "no assembly record /var/lib/pmemnsd/cxl/pool"
        echo "-- /var/lib/pmemnsd/cxl/pool:"; sed 's/^/   /' /var/lib/pmemnsd/cxl/pool
        region_checks "$ND"
        write_data
        SUMS=$(checksums) UUIDS=$(uuids)
        log "assembled $CXLR ($CXL_UUID) as $ND, namespaces made, data written ($(elapsed))"

        if [ "$LAYOUT" = single ]; then
                tear_down "$CXLR"
                rows Apply /tmp/apply2.tsv
                check_pool_row /tmp/apply2.tsv assemble
                check_gone_row /tmp/apply2.tsv
                check_ns_rows /tmp/apply2.tsv adopt
                check_eq "$(cxl_attr "$CXLR" uuid)" "$CXL_UUID" "uuid of the re-assembled $CXLR"
                verify_data "re-assembled in the same boot"
                region_checks "$ND"
        fi
        kernel_clean
        # the guest's root is an initramfs: /var/lib goes to the host, which puts it back at
        # the next boot (tests/vm/boots), as a disk keeps it
        mkdir -p "${FACTS%/*}"
        { printf 'CXL_UUID=%q\n' "$CXL_UUID"; printf 'SUMS=%q\n' "$SUMS"; printf 'UUIDS=%q\n' "$UUIDS"; } > "$FACTS"
        echo "@@VARLIB $(tar -C /var/lib -cz pmemnsd pmemnsd-test | base64 -w0)@@"
        echo "PASS cxl-region $LAYOUT first ($(elapsed))"
        exit 0
fi

# ---- the reboot: the enabled unit assembles and reconciles on its own ----------------------
[ -f "$FACTS" ] || fail "no facts from the first boot ($FACTS): /var/lib not kept"
# shellcheck disable=SC1090
. "$FACTS"
log "waiting for the daemon to re-assemble $CXL_UUID and bring the namespaces back"
if ! wait_for 240 cxl_up || 
   ! wait_for 60 all_ns_there; then
        lsmod | grep -E '^cxl' || true
        cxl list -M -R -u || true
        fail "not re-assembled within 300 s of the script's start"
fi
log "re-assembled at start after $(elapsed) of the script ($(systemctl show -p ActiveEnterTimestamp --value pmemnsd.service))"
# by the daemon, from its record (the test ran no cxl command)
journalctl -u pmemnsd -o cat | grep "cxl-region 'pool': assembled .*, as assembled before" ||
        fail "pmemnsd did not log re-assembling pool from its record"
wait_for 60 sh -c "$B get-property org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager State | grep -q -E 'idle|degraded'" || true
rows Plan /tmp/plan.tsv
check_pool_row /tmp/plan.tsv adopt
check_gone_row /tmp/plan.tsv
check_ns_rows /tmp/plan.tsv adopt
check_eq "$(cxl_attr "$CXLR" uuid)" "$CXL_UUID" "uuid of $CXLR after the reboot"
region_checks "$ND"
verify_data "after the reboot"
pmemnsctl plan

if [ "$LAYOUT" = single ]; then
        # the udev path: a memdev appearing (here: an add event for it) makes the daemon
        # re-assemble what is missing
        tear_down "$CXLR"
        m=$(cxl_memdev 4660)
        log "udevadm trigger --action=add $m"
        udevadm trigger --action=add "/sys/bus/cxl/devices/$m"
        wait_for 120 cxl_up ||
                fail "not re-assembled after the memdev event"
        wait_for 60 all_ns_there || fail "namespaces not back after the memdev event"
        check_eq "$(journalctl -u pmemnsd -o cat | grep -c "cxl-region 'pool': assembled .*, as assembled before")" 2 \
                "re-assemblies logged by pmemnsd in this boot"
        wait_for 60 sh -c "$B get-property org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager State | grep -q -E 'idle|degraded'" || true
        rows Plan /tmp/plan2.tsv
        check_pool_row /tmp/plan2.tsv adopt
        check_ns_rows /tmp/plan2.tsv adopt
        verify_data "re-assembled on the memdev event"
fi
kernel_clean
echo "PASS cxl-region $LAYOUT again ($(elapsed))"
