#!/bin/bash
# PMEM next to PMEM in one 128 MiB section (issue 12, topology shared-section): a devdax
# that ends in the section shared by two NVDIMMs and an fsdax that starts in it, both
# active at once; I/O at both ends of each (daxio through the devdax mapping, direct I/O
# and a DAX-mounted filesystem on the fsdax), and no kernel warning.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

SECTION=$((128 * MiB))
SHARED=0x140000000
region_at() {  # physical address -> region device
        local r
        for r in /sys/bus/nd/devices/region*; do
                [ "$(printf '%d' "$(cat "$r/resource")")" = "$(printf '%d' "$1")" ] && { basename "$r"; return; }
        done
}
A=$(region_at 0x100000000)
B=$(region_at 0x144000000)
if [ -z "$A" ] || [ -z "$B" ]; then
        nd_regions
        fail "regions at 0x100000000 and 0x144000000 missing"
fi
a_end=$(( $(nd_attr "$A" resource) + $(nd_attr "$A" size) ))
check_eq "$(printf '%#x' "$a_end")" 0x144000000 "end of $A"
check_eq $(( (a_end - 1) / SECTION )) $(( 0x144000000 / SECTION )) "the two regions share a section"

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-shared.conf <<'CONF'
[region a]
match.provider = ACPI.NFIT
match.size-min = 1000M

[region b]
match.provider = ACPI.NFIT
match.size-max = 600M

# ends at the end of region a, in the shared section
[namespace tail]
region = a
mode = devdax
size = rest

# starts at the start of region b, in the shared section
[namespace head]
region = b
mode = fsdax
size = 130M
map = dev
CONF
pmemnsd --check || fail "pmemnsd --check rejected the policy"
pmemnsd_restart
pmemnsd_apply | tee /tmp/apply.tsv
for n in tail head; do
        grep -q -P "^create\t$n\t" /tmp/apply.tsv || fail "$n was not created"
done
ns_t=$(ns_named tail) ns_h=$(ns_named head)
t_start=$(printf '%d' "$(nd_attr "$ns_t" resource)")
t_end=$((t_start + $(nd_attr "$ns_t" size)))
h_start=$(printf '%d' "$(nd_attr "$ns_h" resource)")
printf 'tail %s [%#x, %#x)  head %s [%#x, ...)\n' "$ns_t" "$t_start" "$t_end" "$ns_h" "$h_start"
check_eq $(( (t_end - 1) / SECTION )) $((SHARED / SECTION)) "section of the devdax's end"
check_eq $(( h_start / SECTION )) $((SHARED / SECTION)) "section of the fsdax's start"
check_ge $(( t_end - SHARED )) 1 "devdax bytes in the shared section"

chr=/dev/$(ndctl_json -N -n "$ns_t" | jq -r '.[0].chardev')
blk=/dev/$(ndctl_json -N -n "$ns_h" | jq -r '.[0].blockdev')
check_cmd daxio write "$chr" 4242
check_cmd blk_io write "$blk" head
# both active and in use at once: a DAX mount on the fsdax beside the devdax mapping
check_cmd daxio verify "$chr" 4242
check_cmd blk_io verify "$blk" head
mkfs.ext4 -q -F -b 4096 "$blk"
mkdir -p /mnt/head
mount -o dax "$blk" /mnt/head || fail "mount -o dax failed"
grep " /mnt/head " /proc/mounts | grep -q dax || fail "not mounted with dax"
head -c 8M /dev/urandom > /mnt/head/data
sync
sum=$(sha256sum < /mnt/head/data)
check_cmd daxio verify "$chr" 4242
umount /mnt/head
mount -o dax "$blk" /mnt/head
check_eq "$(sha256sum < /mnt/head/data)" "$sum" "file data on the fsdax"
umount /mnt/head
check_cmd daxio verify "$chr" 4242
grep -E 'Persistent|System RAM' /proc/iomem || true
if dmesg | grep -E -q 'WARNING:|BUG:|Call Trace'; then
        dmesg | grep -E -B2 -A20 'WARNING:|BUG:' | head -60
        fail "kernel warning"
fi
echo "PASS shared-section"
