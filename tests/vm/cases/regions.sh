#!/bin/bash
# Regions seen by a real kernel, topology "all":
#   NFIT handle 1: 1 GiB NVDIMM, labels initialised, NUMA node 0
#   NFIT handle 2: 1 GiB NVDIMM, label area never initialised (label-less), node 0
#   NFIT handle 3: 512 MiB NVDIMM, labels initialised, node 1
#   e820: memmap=96M!0x74000000, the legacy label-less region
# Every NVDIMM has a 128 KiB label area at its end, so its region is 128 KiB smaller.
# Labelled vs label-less is read where the kernel decides it: the nstype of the region's
# namespace seed (5 = PMEM, carved from labels; 4 = IO, one namespace over the whole
# region), and cross-checked with `ndctl check-labels`, available_size, the interleave-set
# cookie and the namespaces.
#   vm-run --topology all tests/vm/cases/regions.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest-lib.sh
. /pmemnsd-test/guest-lib.sh

LABEL_AREA=$((128 << 10))
ND_PMEM=5 ND_IO=4

modprobe -a nfit nd_e820 nd_pmem
udevadm settle
# one listing, everything below reads it (processes are slow under TCG)
ndctl list -B -R -D -N -v > /tmp/nd.json
# shellcheck disable=SC2016 # jq, not shell
REGIONS='[.[] | .provider as $p | (.regions // [])[] | . + {provider: $p}]'
log "regions:"
jq -r "$REGIONS"' | .[] | "   \(.dev) \(.provider) size=\(.size) available=\(.available_size) node=\(.numa_node) dimm=\(.mappings[0].dimm // "-")"' /tmp/nd.json

check_eq "$(jq "$REGIONS | length" /tmp/nd.json)" 4 "number of regions"
check_eq "$(jq "$REGIONS"' | [.[] | select(.provider == "ACPI.NFIT")] | length' /tmp/nd.json)" 3 "NFIT regions"
check_eq "$(jq "$REGIONS"' | [.[] | select(.provider == "e820")] | length' /tmp/nd.json)" 1 "e820 regions"

nstype_of_seed() { nd_attr "$(nd_attr "$1" namespace_seed)" nstype; }
# region_facts JQ-SELECTOR: shell assignments for the region(s) the selector picks
region_facts() {
        jq -r "$REGIONS | [.[] | select($1)] as \$r | (\$r[0] // {}) as \$x
                | ([\$x.namespaces // [] | .[] | select(.size > 0)]) as \$ns
                | @sh \"nregions=\(\$r | length) region=\(\$x.dev // \"\") size=\(\$x.size // 0)
                        node=\(\$x.numa_node // \"none\") type=\(\$x.type // \"\")
                        avail=\(\$x.available_size // -1) iset=\(\$x.iset_id // \"\")
                        nns=\(\$ns | length) nssize=\(\$ns[0].size // 0)\"" /tmp/nd.json
}

SUMMARY=()
# check_nvdimm HANDLE SIZE LABELLED(yes|no) NODE
check_nvdimm() {
        local handle=$1 want_size=$2 labelled=$3 want_node=$4 what dimm seedtype
        local nregions region size node type avail iset nns nssize
        what="NVDIMM with handle $handle"
        dimm=$(jq -r --argjson h "$handle" '[.[] | (.dimms // [])[] | select(.handle == $h) | .dev][0] // ""' /tmp/nd.json)
        [ -n "$dimm" ] || fail "$what: no such DIMM"
        eval "$(region_facts ".provider == \"ACPI.NFIT\" and .mappings[0].dimm == \"$dimm\"")"
        check_eq "$nregions" 1 "$what ($dimm): regions"
        what="$what ($dimm, $region)"
        check_eq "$size" $((want_size - LABEL_AREA)) "$what: size"
        check_eq "$node" "$want_node" "$what: numa_node"
        check_eq "$(nd_attr "$region" numa_node)" "$want_node" "$what: numa_node in sysfs"
        check_eq "$type" pmem "$what: type"
        seedtype=$(nstype_of_seed "$region")
        if [ "$labelled" = yes ]; then
                check_eq "$seedtype" $ND_PMEM "$what: nstype of the namespace seed (labelled)"
                ndctl check-labels "$dimm" >/dev/null 2>&1 ||
                        fail "$what: ndctl check-labels finds no valid label index"
                # all of it, less what the 16 MiB region alignment cuts off
                check_ge "$avail" $((want_size - LABEL_AREA - 16 * MiB)) "$what: available_size"
                [ -n "$iset" ] || fail "$what: no interleave-set cookie"
                check_eq "$nns" 0 "$what: namespaces on a fresh labelled region"
        else
                check_eq "$seedtype" $ND_IO "$what: nstype of the namespace seed (label-less)"
                if ndctl check-labels "$dimm" >/dev/null 2>&1; then
                        fail "$what: ndctl check-labels finds labels on a label-less NVDIMM"
                fi
                check_eq "$avail" 0 "$what: available_size"
                check_eq "$nns" 1 "$what: namespaces"
                check_eq "$nssize" $((want_size - LABEL_AREA)) "$what: namespace size"
        fi
        SUMMARY+=("$(printf '%-8s ACPI.NFIT  handle %s %-6s %10d bytes (%4d MiB - 128 KiB)  node %s  %s (nstype %s)' \
                "$region" "$handle" "$dimm" "$size" $((want_size / MiB)) "$node" \
                "$([ "$labelled" = yes ] && echo labelled || echo label-less)" "$seedtype")")
}

check_nvdimm 1 $((1 * GiB)) yes 0
check_nvdimm 2 $((1 * GiB)) no 0
check_nvdimm 3 $((512 * MiB)) yes 1

# the legacy region, where memmap= put it, label-less with one namespace over all of it
eval "$(region_facts '.provider == "e820"')"
check_eq "$size" $((96 * MiB)) "e820 region size"
check_eq "$(printf '%d' "$(nd_attr "$region" resource)")" $((0x74000000)) "e820 region start"
seedtype=$(nstype_of_seed "$region")
check_eq "$seedtype" $ND_IO "e820 region: nstype of the namespace seed"
check_eq "$avail" 0 "e820 region: available_size"
check_eq "$nns" 1 "e820 region: namespaces"
check_eq "$nssize" $((96 * MiB)) "e820 region: namespace size"
SUMMARY+=("$(printf '%-8s e820       at 0x74000000 %10d bytes (%4d MiB)             node %s  label-less (nstype %s)' \
        "$region" "$size" $((size / MiB)) "$node" "$seedtype")")

log "summary:"
printf '   %s\n' "${SUMMARY[@]}"
echo "PASS regions: 4 regions (2 labelled NFIT, 1 label-less NFIT, 1 e820); sizes and NUMA nodes as configured"
