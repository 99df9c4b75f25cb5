#!/bin/bash
# Guest side of the provisioning test (issue 3): on a labelled 1 GiB NVDIMM, create the
# acceptance mix with the given granularity, check every prediction against the kernel,
# then use every namespace. Usage: provision.sh subsection|compat|section [PHASE]
# PHASE "first" (default) provisions and writes data; "again" (after a reboot on the same
# backing file) checks that everything is adopted and the data is intact.
set -euo pipefail

G=${1:-subsection}
PHASE=${2:-first}
fail() { echo "FAIL: $*"; journalctl -u pmemnsd --no-pager | tail -40 || true; exit 1; }
log() { echo "## $*"; }

mkdir -p /etc/pmemnsd/policy.d
cat > /etc/pmemnsd/pmemnsd.conf <<CONF
[daemon]
granularity = $G
apply = manual
CONF
cat > /etc/pmemnsd/policy.d/50-mix.conf <<'CONF'
[region nv]
match.provider = ACPI.NFIT
match.type = pmem

[namespace db]
region = nv
mode = fsdax
size = 130M
map = dev

[namespace small]
region = nv
mode = fsdax
usable-size = 18M
map = mem

[namespace dax]
region = nv
mode = devdax
size = 34M
align = 2M
count = 3

[namespace blk]
region = nv
mode = sector
size = 64M

[namespace raw]
region = nv
mode = raw
size = 20M
CONF

pmemnsd --check || fail "pmemnsd --check rejected the test policy"
pmemnsd --plan
# The udev rule may have started the daemon at boot, before this policy existed.
systemctl restart pmemnsd.service || fail "pmemnsd.service did not start"

call() { busctl --timeout=600 --json=short call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager "$@"; }
rows() { jq -r '.data[0][] | @tsv'; }

call Plan | rows > /tmp/plan.tsv
cat /tmp/plan.tsv
call Apply | rows > /tmp/apply.tsv
cat /tmp/apply.tsv

sysattr() { cat "/sys/bus/nd/devices/$1/$2"; }
ns_by_name() {
        for d in /sys/bus/nd/devices/namespace*; do
                [ "$(cat "$d/alt_name" 2>/dev/null)" = "$1" ] && [ "$(cat "$d/size")" != 0 ] && { basename "$d"; return 0; }
        done
        return 1
}

expected_action=create
[ "$PHASE" = again ] && expected_action=adopt
n=0
skipped=0
misaligned16=0
total_usable=0
while IFS=$'\t' read -r action inst region mode size usable start msg; do
        [ -n "$inst" ] || continue
        n=$((n + 1))
        if [ "$G" != subsection ] && [ "$action" = skip ] && [[ "$msg" == "does not fit"* ]]; then
                # coarser granularities run out of room: that is what they cost
                grep -q "^skip	$inst	" /tmp/apply.tsv || fail "$inst: skipped by the plan but not by Apply"
                ns_by_name "$inst" >/dev/null && fail "$inst: skipped, yet a namespace of that name exists"
                echo "ok: $inst does not fit at $G: $msg"
                skipped=$((skipped + 1))
                continue
        fi
        [ "$action" = "$expected_action" ] || fail "$inst: planned '$action', expected $expected_action: $msg"
        grep -q "^$expected_action	$inst	" /tmp/apply.tsv || fail "$inst: not ${expected_action}ed by Apply"
        ns=$(ns_by_name "$inst") || fail "$inst: no namespace with that name"
        res=$(printf '%d' "$(sysattr "$ns" resource)")
        raw=$(sysattr "$ns" size)
        [ "$res" = "$start" ] || fail "$inst ($ns): planned start $start, kernel placed it at $res"
        [ "$raw" = "$size" ] || fail "$inst ($ns): planned raw size $size, kernel has $raw"
        nd=$(ndctl list -N -n "$ns")
        got_usable=$(echo "$nd" | jq -r '.[0].size // .size')
        got_mode=$(echo "$nd" | jq -r '.[0].mode // .mode')
        [ "$got_mode" = "$mode" ] || fail "$inst ($ns): mode $got_mode, planned $mode"
        [ "$got_usable" = "$usable" ] || fail "$inst ($ns): ndctl list shows $got_usable usable, plan said $usable"
        total_usable=$((total_usable + usable))
        if [ $((start % (2 << 20))) = 0 ] && [ $((start % (16 << 20))) != 0 ]; then
                misaligned16=$((misaligned16 + 1))
        fi
        case "$G" in
        compat) [ $((start % (16 << 20))) = 0 ] || fail "$inst: start $start not 16M-aligned at compat";;
        section) [ $((start % (128 << 20))) = 0 ] || fail "$inst: start $start not 128M-aligned at section";;
        esac
        echo "ok: $inst $ns $mode start=$(printf '%#x' "$start") raw=$raw usable=$usable"
done < /tmp/plan.tsv
[ "$n" -ge 5 ] || fail "only $n policy rows planned"
if [ "$G" = subsection ]; then
        [ "$misaligned16" -ge 1 ] || fail "no namespace starts on a 2 MiB boundary that is not a 16 MiB boundary"
fi
echo "CAPACITY granularity=$G requests=$n fit=$((n - skipped)) usable_bytes=$total_usable"

[ "$G" = subsection ] || exit 0

# ---- use every namespace -------------------------------------------------------------
blk_of() { ndctl list -N -n "$(ns_by_name "$1")" | jq -r '.[0].blockdev // .blockdev'; }
chr_of() { ndctl list -N -n "$(ns_by_name "$1")" | jq -r '(.[0] // .).chardev'; }
mkdir -p /mnt/db /mnt/blk
if [ "$PHASE" = first ]; then
        mkfs.ext4 -q -F -b 4096 "/dev/$(blk_of db)"
        mount -o dax "/dev/$(blk_of db)" /mnt/db || fail "mount -o dax of db failed"
        grep " /mnt/db " /proc/mounts | grep -q dax || fail "db is not mounted with dax"
        head -c 5M /dev/urandom > /mnt/db/data
        sha256sum /mnt/db/data | cut -d' ' -f1 > /mnt/db/data.sum
        umount /mnt/db
        mkfs.ext4 -q -F "/dev/$(blk_of blk)"
        mount "/dev/$(blk_of blk)" /mnt/blk
        echo "sector data" > /mnt/blk/hello
        umount /mnt/blk
        for i in 0 1 2; do
                daxio write "/dev/$(chr_of dax.$i)" $((1000 + i)) || fail "devdax dax.$i write"
        done
        head -c 1M /dev/urandom > /tmp/rawdata
        dd if=/tmp/rawdata of="/dev/$(blk_of raw)" bs=1M count=1 oflag=direct status=none
        dd if="/dev/$(blk_of raw)" of=/tmp/rawback bs=1M count=1 iflag=direct status=none
        cmp /tmp/rawdata /tmp/rawback || fail "raw namespace read-back differs"
        sha256sum /tmp/rawdata | cut -d' ' -f1 > /dev/null
fi
mount -o dax "/dev/$(blk_of db)" /mnt/db || fail "mount -o dax of db failed"
[ "$(sha256sum /mnt/db/data | cut -d' ' -f1)" = "$(cat /mnt/db/data.sum)" ] || fail "db data differs"
umount /mnt/db
mount "/dev/$(blk_of blk)" /mnt/blk || fail "mounting the sector namespace failed"
[ "$(cat /mnt/blk/hello)" = "sector data" ] || fail "sector data differs"
umount /mnt/blk
for i in 0 1 2; do
        daxio verify "/dev/$(chr_of dax.$i)" $((1000 + i)) || fail "devdax dax.$i verify"
done
echo "PASS provision $G $PHASE"
