#!/bin/bash
# Label-less regions (spec 2.3): a 'size = rest' policy converts the legacy e820 region to
# devdax, leaves a label-less NVDIMM with a filesystem untouched (conflict), and
# initialises the labels of an empty label-less NVDIMM when init-labels = yes: at boot, by
# the daemon as installed (enabled, started by udev; cases/labelless/, copied to /etc by
# tests/vm/meson.build) on a never initialised label area (issue 10 item 14), and here, but
# never while the region's namespace is held open exclusively, open or mapped by a process
# through any node, although it carries no signature (item 4).
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

region_of_size() {  # provider size-min size-max
        ndctl list -BR | jq -r ".[] | select(.provider == \"$1\") | .regions[] | select(.size >= $2 and .size <= $3) | .dev"
}

# ---- at boot: the installed daemon initialised the blank label area of the 256 MiB NVDIMM
if [ -f /etc/pmemnsd/policy.d/20-boot.conf ]; then
        wait_for 120 systemctl is-active -q pmemnsd.service || fail "pmemnsd is not running after boot"
        early=$(region_of_size ACPI.NFIT 0 $((300 << 20)))
        [ -n "$early" ] || fail "no 256 MiB region"
        journalctl -b -o short-monotonic --no-pager -u pmemnsd.service -u pmemnsd-modules.service |
                grep -v libndctl | tee /tmp/boot-journal.log
        if grep -q "Initialising labels on .* failed" /tmp/boot-journal.log; then
                fail "init-labels at boot failed"
        fi
        grep -q "Initialised the label area of '$early'" /tmp/boot-journal.log ||
                fail "the daemon started at boot did not initialise the labels of $early"
        # a name is a label: the region is labelled now
        ns=$(ns_named early)
        [ -n "$ns" ] || fail "no namespace 'early' after boot"
        check_eq "$(ndctl list -N -n "$ns" | jq -r '(.[0] // .).mode')" raw "mode of 'early'"
        log "at boot: labels of $early initialised, 'early' is $ns"
fi

modprobe -a nfit nd_e820 nd_pmem 2>/dev/null || true
udevadm settle
systemctl stop pmemnsd.service 2>/dev/null || true

e820=$(region_of_size e820 0 $((1 << 40)))
big=$(region_of_size ACPI.NFIT $((900 << 20)) $((2 << 30)))
small=$(region_of_size ACPI.NFIT $((400 << 20)) $((600 << 20)))
[ -n "$e820" ] && [ -n "$big" ] && [ -n "$small" ] || fail "regions missing: e820='$e820' big='$big' small='$small'"
bigdev=$(ndctl list -N -r "$big" | jq -r '(.[0] // .).blockdev')
smalldev=$(ndctl list -N -r "$small" | jq -r '(.[0] // .).blockdev')
smallns=$(ndctl list -N -r "$small" | jq -r '(.[0] // .).dev')
[ -n "$smalldev" ] && [ "$smalldev" != null ] || fail "no block device on $small"

# a filesystem with data on the label-less 1 GiB NVDIMM
mkfs.ext4 -q -F -b 4096 "/dev/$bigdev"
mkdir -p /mnt/big
mount "/dev/$bigdev" /mnt/big
echo "keep me" > /mnt/big/precious
umount /mnt/big

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = auto\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-labelless.conf <<'CONF'
[region legacy]
match.provider = e820

[namespace legacydax]
region = legacy
mode = devdax
size = rest

[region big]
match.provider = ACPI.NFIT
match.size-min = 900M

[namespace bigdax]
region = big
mode = devdax
size = rest

[region fresh]
match.provider = ACPI.NFIT
match.size-min = 400M
match.size-max = 600M
init-labels = yes

[namespace carved]
region = fresh
mode = fsdax
size = 100M
CONF

# ---- init-labels refused while the raw namespace of the empty NVDIMM is in use (item 4).
# It holds data after its first MiB and no signature, so only the check made just before
# the region is disabled can see that it is in use.
dd if=/dev/urandom of="/dev/$smalldev" bs=1M seek=1 count=1 oflag=direct status=none
sum_before=$(head -c $((4 << 20)) "/dev/$smalldev" | sha256sum)
nstype_before=$(nd_attr "$small" nstype)
if blkid -p "/dev/$smalldev"; then
        fail "blkid finds a signature on /dev/$smalldev: the planner alone would refuse"
fi
holder=
hold() {  # MODE PATH: holddev in the background until release
        holddev "$1" "$2" > /tmp/holddev.out 2>&1 &
        holder=$!
        wait_for 10 grep -q '^ready' /tmp/holddev.out || fail "holddev $1 $2: $(cat /tmp/holddev.out)"
}
release() {
        kill "$holder"
        wait "$holder" 2>/dev/null || true
        holder=
}
# refused ROW WHAT: carved failed naming the device; the region is enabled, still label-less,
# its namespace and the data on it untouched
refused() {
        echo "$1"
        check_eq "$(echo "$1" | cut -f1)" failed "carved action while $2"
        echo "$1" | grep -q "/dev/$smalldev" || fail "the refusal does not name /dev/$smalldev: $1"
        [ -e "/sys/bus/nd/devices/$small/driver" ] || fail "$small was left disabled ($2)"
        check_eq "$(nd_attr "$small" nstype)" "$nstype_before" "nstype of $small ($2)"
        check_eq "$(ndctl list -N -r "$small" | jq -r '(.[0] // .).dev')" "$smallns" "namespace of $small ($2)"
        check_eq "$(ndctl list -N -r "$small" | jq -r '(.[0] // .).mode')" raw "mode of $smallns ($2)"
        check_eq "$(head -c $((4 << 20)) "/dev/$smalldev" | sha256sum)" "$sum_before" "data on /dev/$smalldev ($2)"
}
log "init-labels while /dev/$smalldev is held exclusively (no signature)"
hold excl "/dev/$smalldev"
systemctl restart pmemnsd.service || fail "pmemnsd did not start"
# this start's entries, the daemon's and its workers' (the reconcile runs in a worker)
journalctl -o cat --no-pager _SYSTEMD_INVOCATION_ID="$(systemctl show -p InvocationID --value pmemnsd.service)" |
        grep "Initialising labels on '$small' failed" ||
        fail "the startup reconcile initialised the labels of $small under an exclusive holder"
row=$(pmemnsd_apply | grep -P '^\w+\tcarved\t') || fail "no Apply row for carved"
refused "$row" "held exclusively"
echo "$row" | grep -q "mounted or held" || fail "the refusal does not say it is held: $row"
release
# a plain open and a mapping of the device through a node of their own
IFS=: read -r maj min < "/sys/block/$smalldev/dev"
mknod /tmp/pmem-alias b "$maj" "$min"
for how in open mmap; do
        want=open
        [ "$how" = mmap ] && want=mapped
        log "init-labels while /dev/$smalldev is $want through /tmp/pmem-alias"
        hold "$how" /tmp/pmem-alias
        row=$(pmemnsd_apply | grep -P '^\w+\tcarved\t') || fail "no Apply row for carved"
        refused "$row" "$want through another node"
        echo "$row" | grep -q "(holddev) has it $want" || fail "the refusal does not name the process: $row"
        release
done
rm /tmp/pmem-alias

log "init-labels with nothing holding /dev/$smalldev"
pmemnsd_apply | tee /tmp/apply.tsv
busctl --json=short call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager Plan | jq -r '.data[0][] | @tsv' | tee /tmp/plan.tsv
ndctl list -RN

# the legacy region: converted, and usable
row=$(grep -P '^\w+\tlegacydax\t' /tmp/plan.tsv) || fail "no plan row for legacydax"
check_eq "$(echo "$row" | cut -f1)" adopt "legacydax action after the startup reconcile"
ns=$(ndctl list -N -r "$e820")
check_eq "$(echo "$ns" | jq -r '(.[0] // .).mode')" devdax "mode of the e820 namespace"
chardev=$(echo "$ns" | jq -r '(.[0] // .).chardev')
daxio write "/dev/$chardev" 77 || fail "writing the converted legacy devdax"
daxio verify "/dev/$chardev" 77 || fail "reading the converted legacy devdax"

# the label-less NVDIMM with a filesystem: conflict, untouched
row=$(grep -P '^\w+\tbigdax\t' /tmp/plan.tsv) || fail "no plan row for bigdax"
check_eq "$(echo "$row" | cut -f1)" conflict "bigdax action"
echo "$row" | grep -q "'ext4' signature" || fail "bigdax conflict does not name the ext4 signature: $row"
check_eq "$(ndctl list -N -r "$big" | jq -r '(.[0] // .).mode')" raw "mode of the label-less NVDIMM"
mount "/dev/$bigdev" /mnt/big || fail "the filesystem on $bigdev is gone"
check_eq "$(cat /mnt/big/precious)" "keep me" "data on the label-less NVDIMM"
umount /mnt/big

# init-labels on the empty label-less NVDIMM, then a carved namespace
row=$(grep -P '^\w+\tcarved\t' /tmp/plan.tsv) || fail "no plan row for carved"
check_eq "$(echo "$row" | cut -f1)" adopt "carved action"
check_eq "$(ndctl list -N -r "$small" | jq -r '(.[0] // .).name')" carved "name of the carved namespace"

# ---- the devdax busy check of DestroyNamespace by device number (item 11): the converted
# legacy devdax mapped through a node of its own is not destroyed
IFS=: read -r maj min < "/sys/bus/dax/devices/$chardev/dev"
mknod /tmp/dax-alias c "$maj" "$min"
hold mmap /tmp/dax-alias
e820ns=$(ndctl list -N -r "$e820" | jq -r '(.[0] // .).dev')
# shellcheck disable=SC2086 # PMEMNSD_MGR is three words
out=$(busctl call $PMEMNSD_MGR DestroyNamespace o "/org/pmemnsd1/namespace/${e820ns/./_}" 2>&1) &&
        fail "DestroyNamespace of $e820ns succeeded while /dev/$chardev is mapped through /tmp/dax-alias"
log "DestroyNamespace($e820ns) while mapped: $out"
check_match "$out" "open or mapped" "the refusal"
check_eq "$(ndctl list -N -r "$e820" | jq -r '(.[0] // .).mode')" devdax "mode of $e820ns after the refusal"
release
rm /tmp/dax-alias
daxio verify "/dev/$chardev" 77 || fail "the converted legacy devdax after the refused destroy"
echo "PASS labelless"
