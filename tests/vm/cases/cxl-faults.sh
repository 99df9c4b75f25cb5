#!/bin/bash
# The daemon's CXL assembly under fault injection (issue 12, -Dfault-injection=true): a
# [cxl-region] of two memdevs (2-way); no namespace policy, to keep each run short (the
# namespaces on an assembled region are vm-cxl-region's).
# - a step failing (the first, a middle and the last; `all`: each): the Apply row is
#   `failed` naming the step, the rollback
#   leaves no decoder programmed, no DPA held, no region, and the record of a region never
#   assembled is gone;
# - a SIGKILL after every step (the daemon's start-up reconcile): the next start finishes
#   the job (one region, ours by its recorded uuid, enabled), nothing stray:
#   an empty region it recorded creating is deleted, DPA on a recorded decoder is freed, a
#   half-made region carrying our uuid is taken down and assembled again.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

T=cxl-assemble
[ -n "${PMEMNSD_TEST_CXL:-}" ] || fail "the topology has no CXL device"
cxl_load || true
for sn in 4660 4661; do [ -n "$(cxl_memdev "$sn")" ] || fail "no memdev $sn"; done

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-cxl.conf <<'CONF'
[cxl-region pool]
memdevs = 4660, 4661
CONF
pmemnsd --check

# decoders programmed, DPA held, CXL regions: "" when there are none
leftovers() {
        local d v
        for d in /sys/bus/cxl/devices/decoder*; do
                case "$(basename "$(readlink -f "$d/..")")" in root*) continue;; esac
                if [ -e "$d/region" ]; then
                        v=$(cat "$d/region"); [ -z "$v" ] || echo "programmed: $(basename "$d") in $v"
                fi
                if [ -e "$d/dpa_size" ]; then
                        v=$(cat "$d/dpa_size"); [ "$((v))" = 0 ] || echo "DPA held: $(basename "$d") $v"
                fi
        done
        $T read | jq -r '.regions[] | "region: \(.region) uuid \(.uuid)"'
}
# back to nothing between runs: the region, our record (with an admin's tools)
reset() {
        systemctl stop pmemnsd.service
        local r
        for r in $($T read | jq -r '.regions[].region'); do
                cxl disable-region "$r" >/dev/null 2>&1 || true
                cxl destroy-region -f "$r" >/dev/null 2>&1 ||
                        echo "$r" > "/sys/bus/cxl/devices/$($T read | jq -r --arg r "$r" '.regions[] | select(.region == $r) | .decoder')/delete_region"
        done
        rm -rf /var/lib/pmemnsd/cxl
        [ -z "$(leftovers)" ] || { leftovers; fail "reset left the above"; }
}
# one region, carrying the recorded uuid, enabled with its nd region, nothing else held
finished() {
        local u regions
        u=$(sed -n 's/^uuid=//p' /var/lib/pmemnsd/cxl/pool)
        regions=$($T read | jq -c '[.regions[] | {region, uuid, enabled}]')
        check_eq "$(jq length <<< "$regions")" 1 "CXL regions after the recovery ($regions)"
        check_eq "$(jq -r '.[0].uuid' <<< "$regions")" "$u" "the region's uuid (the record's)"
        check_eq "$(jq -r '.[0].enabled' <<< "$regions")" true "region enabled"
        [ -n "$(jq -r '.[0].nd_region // empty' <<< "$($T read | jq -c '[.regions[]]')")" ] ||
                fail "no nd region"
        ! grep -q '^creating=' /var/lib/pmemnsd/cxl/pool || fail "the record still names a region being created"
        ! leftovers | grep -q '^DPA held' || {
                # DPA held by the region's own targets is not stray
                local held
                held=$(leftovers | sed -n 's/^DPA held: \([^ ]*\).*/\1/p' | sort)
                local in_region
                in_region=$($T read | jq -r '.regions[].target_decoders[]' | sort)
                check_eq "$held" "$in_region" "decoders holding DPA = the region's targets"
        }
}

POINTS=(cxl-after-create cxl-after-uuid cxl-after-size cxl-after-dpa cxl-after-dpa@2
        cxl-after-target cxl-after-target@2 cxl-after-commit cxl-after-enable)

# failing, the rollback is cxl_assemble()'s, which vm-cxl-assemble fails at every step; here
# what the daemon adds (the row, the record), at the first, a middle and the last step
# (`cxl-faults.sh all`: every step)
FAIL_POINTS=(cxl-after-create cxl-after-dpa@2 cxl-after-enable)
[ "${1:-}" = all ] && FAIL_POINTS=("${POINTS[@]}")

log "steps failing"
for p in "${FAIL_POINTS[@]}"; do
        pmemnsd_restart "$p:fail"
        pmemnsd_apply > /tmp/apply.tsv
        row=$(grep -P '^\w+\tpool\t' /tmp/apply.tsv || true)
        check_match "$row" "^failed" "row of pool with $p failing"
        check_match "$row" "injected fault" "its message"
        left=$(leftovers)
        [ -z "$left" ] || { echo "$left"; fail "the rollback at $p left the above"; }
        [ ! -e /var/lib/pmemnsd/cxl/pool ] || { cat /var/lib/pmemnsd/cxl/pool; fail "a record of an assembly that never was"; }
        echo "ok: FAIL at $p (${SECONDS}s): $(cut -f8 <<< "$row")"
        reset
done

log "SIGKILL after every step"
for p in "${POINTS[@]}"; do
        pmemnsd_restart "$p:kill"
        since=$(date +%s)
        pmemnsd_apply > /dev/null 2>&1 && fail "Apply returned with a kill at $p"
        # (after the enable, the new nd region's udev event may start the service again)
        wait_for 10 bash -c "journalctl -u pmemnsd --since @$since -o cat | grep -q 'code=killed, status=9/KILL'" ||
                fail "pmemnsd not killed at $p"
        echo "left at $p: $(leftovers | tr '\n' ';')"
        grep -q . /var/lib/pmemnsd/cxl/pool || fail "no record before the first write ($p)"
        pmemnsd_restart
        pmemnsd_apply > /tmp/apply.tsv
        row=$(grep -P '^\w+\tpool\t' /tmp/apply.tsv)
        # an enabled region of ours is adopted; anything less is taken down and assembled
        check_match "$row" "^(adopt|assemble)" "row of pool after the restart ($p)"
        finished
        journalctl -b -u pmemnsd --no-pager -o cat | grep -E "interrupted assembly" | tail -2 || true
        echo "ok: KILL at $p (${SECONDS}s): $(cut -f1 <<< "$row"), finished"
        reset
done
! dmesg | grep -E "BUG:|Oops|WARNING:" || fail "kernel warnings above"
echo "PASS cxl-faults: ${#FAIL_POINTS[@]} points failed, ${#POINTS[@]} killed"
