#!/bin/bash
# devdax with system-ram = online-movable: sized so its data range ends on a memory block
# boundary; its blocks come online as movable; kmem trims what the plan said, < 1 block.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

bs=$((16#$(cat /sys/devices/system/memory/block_size_bytes)))
echo "memory block size $bs, auto_online_blocks $(cat /sys/devices/system/memory/auto_online_blocks)"
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
call Plan | tee /tmp/plan.tsv
call Apply | tee /tmp/apply.tsv
row=$(grep -P '^create\tram\t' /tmp/apply.tsv) || fail "ram was not created"
size=$(echo "$row" | cut -f5)
start=$(echo "$row" | cut -f7)
check_eq "$(( (start + size) % bs ))" 0 "end of the namespace on a memory block boundary"
predicted=$(grep -P '^create\tram\t' /tmp/plan.tsv | grep -oP '[0-9.]+[KMGT]?(?= not onlined by kmem)') ||
        fail "the plan does not say what kmem trims"
to_bytes() { numfmt --from=iec "$1"; }

dax=$(daxctl list | jq -r '.[] | select(.mode == "system-ram") | .chardev')
[ -n "$dax" ] || fail "no dax device in system-ram mode: $(daxctl list)"
dstart=$(( $(cat /sys/bus/dax/devices/$dax/resource) ))
dsize=$(cat /sys/bus/dax/devices/$dax/size)
online=0
for ((a = (dstart + bs - 1) / bs * bs; a + bs <= dstart + dsize; a += bs)); do
        mem=/sys/devices/system/memory/memory$((a / bs))
        check_eq "$(cat "$mem/state")" online "state of $(basename "$mem")"
        grep -q Movable "$mem/valid_zones" || fail "$(basename "$mem") is not movable: $(cat "$mem/valid_zones")"
        online=$((online + bs))
done
[ "$online" -gt 0 ] || fail "no memory block online"
trimmed=$((dsize - online))
echo "data range $dsize bytes, onlined $online, trimmed $trimmed, plan said $predicted"
check_eq "$trimmed" "$(to_bytes "$predicted")" "bytes kmem trimmed"
[ "$trimmed" -lt "$bs" ] || fail "kmem trimmed $trimmed bytes, one block or more"
echo "PASS system-ram"
