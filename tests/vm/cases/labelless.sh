#!/bin/bash
# Label-less regions (spec 2.3): a 'size = rest' policy converts the legacy e820 region to
# devdax, leaves a label-less NVDIMM with a filesystem untouched (conflict), and
# initialises the labels of an empty label-less NVDIMM when init-labels = yes.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

modprobe -a nfit nd_e820 nd_pmem 2>/dev/null || true
udevadm settle
systemctl stop pmemnsd.service 2>/dev/null || true

region_of_size() {  # provider size-min size-max
        ndctl list -BR | jq -r ".[] | select(.provider == \"$1\") | .regions[] | select(.size >= $2 and .size <= $3) | .dev"
}
e820=$(region_of_size e820 0 $((1 << 40)))
big=$(region_of_size ACPI.NFIT $((900 << 20)) $((2 << 30)))
small=$(region_of_size ACPI.NFIT 0 $((600 << 20)))
[ -n "$e820" ] && [ -n "$big" ] && [ -n "$small" ] || fail "regions missing: e820='$e820' big='$big' small='$small'"
bigdev=$(ndctl list -N -r "$big" | jq -r '(.[0] // .).blockdev')

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
match.size-max = 600M
init-labels = yes

[namespace carved]
region = fresh
mode = fsdax
size = 100M
CONF
systemctl restart pmemnsd.service || fail "pmemnsd did not start"
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
echo "PASS labelless"
