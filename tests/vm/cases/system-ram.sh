#!/bin/bash
# devdax as System RAM, the result checked against the policy (issue 10 item 15).
# 1. `ram` (online-movable) under the kernel's own auto-online policy: 6.1 adds kmem's memory
#    offline and the daemon onlines it; Debian's 6.12 (MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO)
#    onlines it into ZONE_NORMAL inside the kmem probe, before the daemon sees it. Sized so
#    its data range ends on a memory block boundary; every block online in ZONE_MOVABLE
#    (valid_zones, daxctl "movable", /proc/zoneinfo); kmem trims what the plan said, < 1 block.
# 2. auto_online_blocks = online_movable (as memhp_default_state= sets it), then `ram2`
#    (online, not movable): every block online in a kernel zone, on both kernels.
#    auto_online_blocks is what it was before each apply (the daemon changes it only while
#    kmem binds).
# 3. A record left by a daemon killed while auto_online_blocks was changed: the next start
#    puts the value back.
# 4. `ram`'s movable memory offlines again, as destroying the namespace needs.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

mem_root=/sys/devices/system/memory
bs=$((16#$(cat $mem_root/block_size_bytes)))
kernel_auto=$(cat $mem_root/auto_online_blocks)
echo "memory block size $bs, auto_online_blocks $kernel_auto"
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-ram.conf <<'CONF'
[region nv]
match.provider = ACPI.NFIT

[namespace ram]
region = nv
mode = devdax
size = 300M
system-ram = online-movable
CONF
systemctl restart pmemnsd.service || fail "pmemnsd did not start"
call() { busctl --timeout=600 --json=short call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager "$@" | jq -r '.data[0][] | @tsv'; }
to_bytes() { numfmt --from=iec "$1"; }
# present pages of ZONE_MOVABLE, all nodes
movable_pages() { awk '$1 == "Node" { z = $4 } z == "Movable" && $1 == "present" { s += $2 } END { print s + 0 }' /proc/zoneinfo; }
# dax_of NAMESPACE-NAME: its dax device (daxX.Y)
dax_of() { ndctl list -N | jq -r ".[] | select(.name == \"$1\") | .chardev"; }
# blocks_of DAX: the memory blocks wholly inside its data range, one sysfs directory a line
blocks_of() {
        local s z a
        s=$(( $(cat "/sys/bus/dax/devices/$1/resource") ))
        z=$(cat "/sys/bus/dax/devices/$1/size")
        for ((a = (s + bs - 1) / bs * bs; a + bs <= s + z; a += bs)); do
                echo "$mem_root/memory$((a / bs))"
        done
}

log "step 1: ram, online-movable, auto_online_blocks $kernel_auto"
movable_before=$(movable_pages)
call Plan | tee /tmp/plan.tsv
call Apply | tee /tmp/apply.tsv
row=$(grep -P '^create\tram\t' /tmp/apply.tsv) || fail "ram was not created"
check_eq "$(cat $mem_root/auto_online_blocks)" "$kernel_auto" "auto_online_blocks after the apply"
[ ! -e /run/pmemnsd/auto-online-blocks ] || fail "the auto_online_blocks record is left behind"
size=$(echo "$row" | cut -f5)
start=$(echo "$row" | cut -f7)
check_eq "$(( (start + size) % bs ))" 0 "end of the namespace on a memory block boundary"
predicted=$(grep -P '^create\tram\t' /tmp/plan.tsv | grep -oP '[0-9.]+[KMGT]?(?= not onlined by kmem)') ||
        fail "the plan does not say what kmem trims"

dax=$(dax_of ram)
[ -n "$dax" ] && [ "$dax" != null ] || fail "ram has no dax device: $(ndctl list -N)"
daxctl list -d "$dax"
check_eq "$(daxctl list -d "$dax" | jq -r '.[0].mode')" system-ram "mode of $dax"
check_eq "$(daxctl list -d "$dax" | jq -r '.[0].movable')" true "daxctl's movable of $dax"
dsize=$(cat "/sys/bus/dax/devices/$dax/size")
online=0
for mem in $(blocks_of "$dax"); do
        check_eq "$(cat "$mem/state")" online "state of $(basename "$mem")"
        check_eq "$(cat "$mem/valid_zones")" Movable "zone of $(basename "$mem")"
        online=$((online + bs))
done
[ "$online" -gt 0 ] || fail "no memory block online"
movable_after=$(movable_pages)
echo "ZONE_MOVABLE present pages: $movable_before before, $movable_after after"
check_eq "$(( (movable_after - movable_before) * 4096 ))" "$online" "bytes ZONE_MOVABLE grew by"
trimmed=$((dsize - online))
echo "data range $dsize bytes, onlined $online, trimmed $trimmed, plan said $predicted"
check_eq "$trimmed" "$(to_bytes "$predicted")" "bytes kmem trimmed"
[ "$trimmed" -lt "$bs" ] || fail "kmem trimmed $trimmed bytes, one block or more"

log "step 2: ram2, online (not movable), auto_online_blocks online_movable"
echo online_movable > $mem_root/auto_online_blocks
cat >> /etc/pmemnsd/policy.d/50-ram.conf <<'CONF'

[namespace ram2]
region = nv
mode = devdax
size = 256M
system-ram = online
CONF
busctl call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager Reload
call Apply | tee /tmp/apply2.tsv
check_eq "$(cat $mem_root/auto_online_blocks)" online_movable "auto_online_blocks after the apply"
echo "$kernel_auto" > $mem_root/auto_online_blocks
grep -qP '^create\tram2\t' /tmp/apply2.tsv || fail "ram2 was not created"
grep -qP '^adopt\tram\t' /tmp/apply2.tsv || fail "ram is not adopted as it is"
dax2=$(dax_of ram2)
daxctl list -d "$dax2"
check_eq "$(daxctl list -d "$dax2" | jq -r '.[0].movable')" false "daxctl's movable of $dax2"
n=0
for mem in $(blocks_of "$dax2"); do
        check_eq "$(cat "$mem/state")" online "state of $(basename "$mem")"
        zone=$(cat "$mem/valid_zones")
        [ "$zone" != Movable ] || fail "$(basename "$mem") of ram2 is movable"
        echo "$(basename "$mem"): $zone"
        n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "ram2 has no memory block"
check_eq "$(movable_pages)" "$movable_after" "ZONE_MOVABLE present pages after ram2"

log "step 3: a hand-over killed while auto_online_blocks was changed: put back at start"
echo online_movable > $mem_root/auto_online_blocks
echo "$kernel_auto online_movable" > /run/pmemnsd/auto-online-blocks
systemctl restart pmemnsd.service || fail "pmemnsd did not start"
check_eq "$(cat $mem_root/auto_online_blocks)" "$kernel_auto" "auto_online_blocks after a start with a record"
[ ! -e /run/pmemnsd/auto-online-blocks ] || fail "the auto_online_blocks record is left behind"
journalctl -o cat -u pmemnsd.service | grep 'auto_online_blocks put back' || fail "no message about it"

log "step 4: ram's movable memory offlines again"
check_cmd daxctl offline-memory "$dax"
for mem in $(blocks_of "$dax"); do
        check_eq "$(cat "$mem/state")" offline "state of $(basename "$mem") after offline-memory"
done
echo "PASS system-ram"
