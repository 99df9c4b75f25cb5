#!/bin/bash
# The libcxl adapter (lib/cxl/) on the kernel, without the daemon: tests/tools/cxl-assemble
# assembles a 1-memdev and a 2-way PMEM region, each must give an nd region on a bus of
# provider CXL; disassembling leaves no decoder programmed and no region. A disassemble
# with another uuid is refused. With $1 = faults (a -Dfault-injection=true build): every
# step failing (-EIO) must roll back to a clean topology, and a SIGKILL at every step
# leaves what the log lists ("left after KILL at POINT: ..."), which a disassemble by uuid
# (what the next reconcile does) must clean; DPA allocated on an endpoint decoder not yet
# attached to the region (cxl-after-dpa) carries no uuid: free-dpa frees it for the decoder
# the caller recorded (will_allocate), and refuses one that is in a region.
# Topology: cxl-interleave (serials 4660 and 4661 on two root ports of one host bridge).
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MODE=${1:-}
T=/usr/local/bin/cxl-assemble

if declare -F cxl_load >/dev/null; then
        cxl_load || true
else
        modprobe -a cxl_acpi cxl_pci cxl_port cxl_mem cxl_pmem || true
        udevadm settle
fi
wait_for 30 sh -c "[ \"\$($T read | jq '[.memdevs[] | select(.enabled)] | length')\" -ge 2 ]" ||
        skip "no two enabled CXL memdevs on $(uname -r): $(dmesg | grep -iE 'cxl.*(fail|error)' | head -3 | tr '\n' ' ')"

$T read > /tmp/cxl0.json
log "CXL state at start: $(jq -c '{memdevs: [.memdevs[] | {memdev, serial, pmem_size, free_decoder}], decoders: [.decoders[] | {decoder, pmem_capable, ways, granularity, reachable}]}' /tmp/cxl0.json)"
check_eq "$(jq '.regions | length' /tmp/cxl0.json)" 0 "CXL regions at start"

# every decoder below the root (host bridge and endpoint decoders) free: in no region, no
# DPA; and no region. (6.1 leaves a host bridge decoder's 'size' as it was after the reset:
# shown, not judged; the kernel takes a decoder by its region, the next assembly reuses it.)
clean() {
        local d bad=0 v
        for d in /sys/bus/cxl/devices/decoder*; do
                case "$(basename "$(readlink -f "$d/..")")" in root*) continue;; esac
                if [ -e "$d/region" ]; then
                        v=$(cat "$d/region")
                        [ -z "$v" ] || { echo "programmed: $(basename "$d") in region '$v' (size $(cat "$d/size"))"; bad=1; }
                else
                        v=$(cat "$d/size"); [ "$((v))" = 0 ] || { echo "programmed: $(basename "$d") size $v"; bad=1; }
                fi
                if [ -e "$d/dpa_size" ]; then
                        v=$(cat "$d/dpa_size"); [ "$((v))" = 0 ] || { echo "DPA held: $(basename "$d") dpa_size $v"; bad=1; }
                fi
        done
        v=$($T read | jq -r '[.regions[].region] | join(" ")')
        [ -z "$v" ] || { echo "region left: $v"; bad=1; }
        [ -z "$(cxl_nd_regions_any)" ] || { echo "nd region left: $(cxl_nd_regions_any)"; bad=1; }
        return $bad
}
cxl_nd_regions_any() { nd_regions | jq -r '.[] | select(.provider == "CXL") | .dev'; }

# assemble_check UUID SIZE WAYS SERIAL...: assemble and check the result on both buses;
# REGION is the CXL region
assemble_check() {
        local uuid=$1 size=$2 ways=$3 out region nd
        shift 3
        out=$($T assemble "$uuid" 0 0 "$@") || fail "assemble $* failed"
        log "assembled: $(jq -c . <<< "$out")"
        region=$(jq -r .region <<< "$out")
        nd=$(jq -r .nd_region <<< "$out")
        check_eq "$(jq -r .size <<< "$out")" "$size" "$region size"
        $T read | jq --arg r "$region" '.regions[] | select(.region == $r)' > /tmp/r.json
        check_eq "$(jq -r .uuid /tmp/r.json)" "$uuid" "$region uuid"
        check_eq "$(jq -r .type /tmp/r.json)" pmem "$region type"
        check_eq "$(jq -r .ways /tmp/r.json)" "$ways" "$region ways"
        check_eq "$(jq -c .targets /tmp/r.json)" "$(jq -cn '$ARGS.positional | map(tonumber)' --args "$@")" "$region targets in position order"
        check_eq "$(jq -r '.committed and .enabled' /tmp/r.json)" true "$region committed and enabled"
        check_eq "$(jq -r .nd_region /tmp/r.json)" "$nd" "$region nd region"
        # the nd side as ndctl sees it
        nd_regions | jq --arg r "$nd" '.[] | select(.dev == $r)' > /tmp/nd.json
        check_eq "$(jq -r .provider /tmp/nd.json)" CXL "$nd provider"
        check_eq "$(jq -r .size /tmp/nd.json)" "$size" "$nd size"
        check_eq "$(nd_attr "$nd" mappings)" "$ways" "$nd mappings"
        REGION=$region
}

U1=$(cat /proc/sys/kernel/random/uuid)
log "1 memdev (4660)"
assemble_check "$U1" $((512 * MiB)) 1 4660; R=$REGION
# a region is ours only by its uuid
OTHER=$(cat /proc/sys/kernel/random/uuid)
set +e; $T disassemble "$R" "$OTHER" 2>/tmp/err; rc=$?; set -e
check_eq "$rc" 3 "disassemble with another uuid (exit status)"
log "refused: $(cat /tmp/err)"
check_eq "$($T read | jq -r --arg r "$R" '.regions[] | select(.region == $r) | .enabled')" true "$R after the refused disassemble"
check_cmd $T disassemble "$R" "$U1"
clean || fail "not clean after disassembling $R"
log "1 memdev: assembled, refused a foreign uuid, disassembled, clean"

U2=$(cat /proc/sys/kernel/random/uuid)
log "2-way (4660, 4661)"
assemble_check "$U2" $((1024 * MiB)) 2 4660 4661; R=$REGION
check_cmd $T disassemble "$R" "$U2"
clean || fail "not clean after disassembling the 2-way $R"
# the other position order is another interleave set: the adapter keeps the one asked for
assemble_check "$U2" $((1024 * MiB)) 2 4661 4660; R=$REGION
check_cmd $T disassemble "$R" "$U2"
clean || fail "not clean after disassembling the 2-way $R (4661, 4660)"
log "2-way: assembled in both position orders, disassembled, clean"

# a memdev that is not there is the caller's skip reason, nothing is made
set +e; $T assemble "$U2" 0 0 4660 4999 2>/tmp/err; rc=$?; set -e
check_eq "$rc" 1 "assemble with a missing memdev"
check_match "$(cat /tmp/err)" "memdev 4999 is not present" "its reason"
clean || fail "not clean after the refused assembly"

[ "$MODE" = faults ] || { echo "PASS"; exit 0; }

POINTS=(cxl-after-create cxl-after-uuid cxl-after-size cxl-after-dpa cxl-after-target
        cxl-after-commit cxl-after-enable)
# every step failing: the rollback leaves nothing
for p in "${POINTS[@]}" cxl-after-dpa@2 cxl-after-target@2; do
        U=$(cat /proc/sys/kernel/random/uuid)
        set +e; PMEMNSD_FAULT="$p:fail" $T assemble "$U" 0 0 4660 4661 2>/tmp/err; rc=$?; set -e
        check_eq "$rc" 1 "assemble with $p failing"
        check_match "$(cat /tmp/err)" "injected fault" "the error at $p"
        clean || fail "rollback after $p failing left the above"
        log "FAIL at $p: rolled back clean ($(cat /tmp/err))"
done

# a SIGKILL at every step: what is left, and what a disassemble by uuid cleans
for p in "${POINTS[@]}" cxl-after-dpa@2 cxl-after-target@2; do
        U=$(cat /proc/sys/kernel/random/uuid)
        set +e; PMEMNSD_FAULT="$p:kill" $T assemble "$U" 0 0 4660 4661 >/dev/null 2>&1; rc=$?; set -e
        check_eq "$rc" 137 "assemble killed at $p (exit status)"
        $T read > /tmp/k.json
        left=$(jq -c '{regions: [.regions[] | {region, uuid, size, targets, committed, enabled, nd_region}]}' /tmp/k.json)
        stray=$(for d in /sys/bus/cxl/devices/decoder*; do
                        [ -e "$d/dpa_size" ] && [ "$(($(cat "$d/dpa_size")))" != 0 ] &&
                                ! jq -e --arg d "$(basename "$d")" '[.regions[].target_decoders[]] | index($d)' /tmp/k.json >/dev/null &&
                                echo "$(basename "$d"):$(cat "$d/dpa_size")"
                done | tr '\n' ' ' || true)
        log "left after KILL at $p: $left; DPA not in a region: ${stray:-none}"
        R=$(jq -r --arg u "$U" '.regions[] | select(.uuid == $u) | .region' /tmp/k.json)
        if [ "$p" = cxl-after-enable ]; then  # an assembled region's DPA is not stray
                d=$(jq -r '.regions[0].target_decoders[0]' /tmp/k.json)
                set +e; $T free-dpa "$d" 2>/tmp/err; rc=$?; set -e
                check_eq "$rc" 1 "free-dpa of $d, in a region"
        fi
        if [ -n "$R" ]; then
                check_cmd $T disassemble "$R" "$U"
        else
                # no uuid written yet (cxl-after-create): an empty region nobody can prove
                # ours; the reconcile would need the name it recorded before the create
                R=$(jq -r '.regions[0].region // empty' /tmp/k.json)
                [ -n "$R" ] && log "KILL at $p: $R has no uuid ($(jq -c '.regions[0] | {size, ways, targets}' /tmp/k.json))"
                # (`cxl destroy-region` refuses a region without ways: delete it by hand)
                [ -n "$R" ] && echo "$R" > "/sys/bus/cxl/devices/$(jq -r '.regions[0].decoder' /tmp/k.json)/delete_region"
        fi
        # DPA given to a decoder that never reached the region: the daemon recorded the
        # decoder (will_allocate) and frees it; one in a region is refused
        for s in $stray; do check_eq "$($T free-dpa "${s%%:*}")" freed "free-dpa ${s%%:*}"; done
        clean || fail "after KILL at $p and the clean-up by uuid, the above is left"
done
! dmesg | grep -E "BUG:|Oops|WARNING:" || fail "kernel warnings above"
echo "PASS"
