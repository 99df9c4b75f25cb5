#!/bin/bash
# The demo: the example policies on the "all" topology (three NVDIMMs, the legacy memmap
# region and a CXL type-3 PMEM device), applied by pmemnsd.service; pmemnsd assembles the
# CXL region ([cxl-region pool] in 40-cxl.conf) and carves it beside the NVDIMMs.
set -uo pipefail
mkdir -p /etc/pmemnsd/policy.d
cp /usr/share/doc/pmemnsd/examples/*.conf /etc/pmemnsd/policy.d/
# the CXL memdev, where the kernel binds one (not 6.12 under QEMU 7.2: the plan then says
# which memdev is missing); pmemnsd would also assemble it once it appears
udevadm settle
for _ in $(seq 20); do [ -n "$(cxl list -M 2>/dev/null)" ] && break; sleep 1; done
echo "### cxl list -M (CXL memdevs)"
cxl list -M -u 2>/dev/null || true
echo "### pmemnsd --check"
pmemnsd --check
echo "### systemctl restart pmemnsd (reconciles at start)"
systemctl restart pmemnsd.service
systemctl --no-pager status pmemnsd.service | head -5
if command -v pmemnsctl >/dev/null; then
        echo "### pmemnsctl status"; pmemnsctl status
        echo "### pmemnsctl list"; pmemnsctl list
        echo "### pmemnsctl plan"; pmemnsctl plan
        pmemnsctl map 2>/dev/null || true
else
        echo "### Plan over D-Bus"
        busctl call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager Plan --json=pretty | jq -r '.data[0][] | @tsv'
fi
echo "### journal"
journalctl -u pmemnsd --no-pager -o cat | tail -20
echo "### cxl list -R (the CXL region pmemnsd assembled)"
cxl list -R -u 2>/dev/null || true
echo "### ndctl list -RN"
ndctl list -RN
