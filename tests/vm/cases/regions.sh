#!/bin/bash
# Topology "all": the guest sees a labelled 1 GiB NVDIMM (node 0), a label-less 1 GiB
# NVDIMM, the legacy memmap=96M!0x74000000 region and a labelled 512 MiB NVDIMM on node 1.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

modprobe -a nfit nd_e820 nd_pmem 2>/dev/null || true
udevadm settle
ndctl list -BRNv > /tmp/nd.json
cat /tmp/nd.json

label_area=$((128 << 10))
regions() { jq -c '[.[] | .provider as $p | .regions[]? | . + {provider: $p}]' /tmp/nd.json; }
count=$(regions | jq length)
check_eq "$count" 4 "number of regions"

# the legacy e820 region, exactly where memmap= put it
check_eq "$(regions | jq '[.[] | select(.provider == "e820")] | length')" 1 "e820 regions"
check_eq "$(regions | jq '.[] | select(.provider == "e820") | .size')" $((96 << 20)) "e820 size"
res=$(cat /sys/bus/nd/devices/$(regions | jq -r '.[] | select(.provider == "e820") | .dev')/resource)
check_eq "$((res))" $((0x74000000)) "e820 start"

nfit=$(regions | jq -c '[.[] | select(.provider == "ACPI.NFIT")]')
check_eq "$(echo "$nfit" | jq length)" 3 "NFIT regions"
# labelled: carved namespaces are possible (namespace_seed exists, free space reported)
labelled_1g=$(echo "$nfit" | jq -r ".[] | select(.size == $(((1 << 30) - label_area)) and .available_size > 0) | .dev")
[ -n "$labelled_1g" ] || fail "no labelled 1 GiB region"
labelless=$(echo "$nfit" | jq -r ".[] | select(.size == $(((1 << 30) - label_area)) and .available_size == 0) | .dev")
[ -n "$labelless" ] || fail "no label-less 1 GiB region"
check_eq "$(jq -r "[.[] | .regions[]? | select(.dev == \"$labelless\") | .namespaces[]] | length" /tmp/nd.json)" 1 \
        "namespaces of the label-less region"
small=$(echo "$nfit" | jq -c ".[] | select(.size == $(((512 << 20) - label_area)))")
[ -n "$small" ] || fail "no 512 MiB region"
check_eq "$(echo "$small" | jq .numa_node)" 1 "NUMA node of the 512 MiB region"
check_eq "$(echo "$nfit" | jq -r ".[] | select(.dev == \"$labelled_1g\") | .numa_node")" 0 "NUMA node of the 1 GiB region"
echo "PASS regions: $labelled_1g labelled, $labelless label-less, e820 and a node-1 region"
