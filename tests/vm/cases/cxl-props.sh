#!/bin/bash
# Region objects of a CXL region (issue 12 deliverable 1), topology "cxl-interleave": two
# CXL type-3 devices, serials 4660 and 4661, assembled by hand (as an admin does today)
# into one 2-way pmem region. The daemon shows Provider "CXL", InterleaveWays 2 and the
# memdevs' serials in the region's position order, as libcxl (`cxl list`) sees them.
#   vm-run --topology cxl-interleave tests/vm/cases/cxl-props.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest-lib.sh
. /pmemnsd-test/guest-lib.sh

B="busctl --timeout=600"

cxl_load || fail "no CXL memdevs: $(cxl list -M 2>&1)"
# the other order first: the positions, not the memdev names, decide the list
nd=$(cxl_create_region "" 4661 4660) || nd=$(cxl_create_region "" 4660 4661) ||
        fail "cxl create-region failed"
log "nd region $nd"
cxl list -R -T -u
cxlr=$(cxl list -R | jq -r '.[0].region // .region')
# serials in position order as libcxl reports them
want=$(cxl list -R -T -r "$cxlr" | jq -r '(.[0] // .).mappings | sort_by(.position) | .[].memdev' |
        while read -r m; do cxl list -M -m "$m" | jq -r '(.[0] // .).serial'; done | paste -sd,)
log "memdevs by position (cxl list): $want"
[ "$(tr , '\n' <<< "$want" | grep -c .)" = 2 ] || fail "cxl list shows no 2 memdevs: $want"

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
systemctl start pmemnsd.service || fail "pmemnsd did not start"

p=/org/pmemnsd1/region/$nd
I=org.pmemnsd1.Region
get() { $B --json=short get-property org.pmemnsd1 "$p" $I "$1" | jq -c .data; }
check_eq "$(get Provider)" '"CXL"' "$nd Provider"
check_eq "$(get InterleaveWays)" 2 "$nd InterleaveWays"
check_eq "$(get Memdevs | jq -r 'join(",")')" "$want" "$nd Memdevs"
log "bus: Provider CXL, InterleaveWays 2, Memdevs $want"

out=$(pmemnsctl list --regions) || fail "pmemnsctl list"
echo "$out"
grep -qE "^$nd .* CXL +2 $want\$" <<< "$out" || fail "pmemnsctl list does not show CXL 2 $want"
pmemnsctl --json list --regions |
        jq -e --arg nd "$nd" --arg want "$want" '.regions[] | select(.dev == $nd and .provider == "CXL"
                and .interleave_ways == 2 and (.memdevs | join(",")) == $want)' >/dev/null ||
        fail "pmemnsctl --json list: $nd is not CXL, 2 ways, $want"
log "pmemnsctl shows them"
