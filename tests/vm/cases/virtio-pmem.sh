#!/bin/bash
# virtio-pmem (issue 12): what cloud guests get, a label-less region on a bus of its own
# (provider virtio-pmem, an asynchronous region: flushes go to the host). A `size = rest`
# policy per mode converts its one namespace; each MODE given is tried in turn in this one
# boot (the namespace reset with ndctl between them): created, used (I/O at both ends), no
# kernel warning. Which modes a kernel allows, and why not the others: tests/vm/README.md.
#
#   virtio-pmem.sh MODE...
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

[ -n "${PMEMNSD_TEST_VIRTIO_PMEM:-}" ] || fail "the topology has no virtio-pmem device"
modprobe -a virtio_pmem nd_pmem nd_btt dax_pmem 2>/dev/null || true
udevadm settle
wait_for 30 sh -c 'ndctl list -B | jq -e ".[] | select(.provider | test(\"virtio\"))" >/dev/null' ||
        fail "no virtio-pmem bus"
nd_regions | jq -c '.[]'
R=$(nd_regions | jq -r '[.[] | select(.provider | test("virtio"))][0].dev')
PROVIDER=$(nd_regions | jq -r --arg r "$R" '.[] | select(.dev == $r) | .provider')
echo "region $R provider $PROVIDER size $(nd_attr "$R" size) align $(nd_attr "$R" align)" \
        "deep_flush $(nd_attr "$R" deep_flush 2>/dev/null || echo -)"
ndctl list -N -i -r "$R"

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
summary=()
for mode in "$@"; do
        log "size = rest, mode = $mode"
        cat > /etc/pmemnsd/policy.d/50-vp.conf <<CONF
[region vp]
match.provider = $PROVIDER

[namespace vp]
region = vp
mode = $mode
size = rest
CONF
        pmemnsd --check || fail "pmemnsd --check rejected the $mode policy"
        mark=$(dmesg | wc -l)
        pmemnsd_restart
        row=$(pmemnsd_apply | grep -P '^\w+\tvp\t' || true)
        echo "$row"
        nd=$(ndctl_json -N -r "$R")
        got=$(jq -r '.[0].mode' <<< "$nd")
        [[ $(cut -f1 <<< "$row") =~ ^(convert|create)$ ]] || fail "$mode: $row"
        check_eq "$got" "$mode" "mode after Apply"
        usable=$(jq -r '.[0].size' <<< "$nd")
        case "$mode" in
        devdax) check_cmd daxio write "/dev/$(jq -r '.[0].chardev' <<< "$nd")" 99
                check_cmd daxio verify "/dev/$(jq -r '.[0].chardev' <<< "$nd")" 99;;
        *) dev=/dev/$(jq -r '.[0].blockdev' <<< "$nd")
           check_cmd blk_io write "$dev" "$mode"
           check_cmd blk_io verify "$dev" "$mode";;
        esac
        if dmesg | tail -n +$((mark + 1)) | grep -E -q 'WARNING:|BUG:'; then
                dmesg | tail -n +$((mark + 1)) | grep -E -A12 'WARNING:|BUG:' | head -30
                fail "$mode: kernel warning"
        fi
        summary+=("$mode: works, $usable usable of $(nd_attr "$R" size)")
        systemctl stop pmemnsd.service
        # back to one raw namespace over the region for the next mode
        ndctl destroy-namespace -f all -r "$R" >/dev/null 2>&1 || true
        ndctl disable-region "$R" >/dev/null && ndctl enable-region "$R" >/dev/null
        ndctl list -N -i -r "$R"
done
log "virtio-pmem on $PMEMNSD_TEST_RELEASE"
printf 'MODE %s\n' "${summary[@]}"
echo "PASS virtio-pmem"
