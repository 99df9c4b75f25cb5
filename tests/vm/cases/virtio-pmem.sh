#!/bin/bash
# virtio-pmem (issue 12): what cloud guests get, a label-less region on a bus of its own
# (provider virtio-pmem, an asynchronous region: flushes go to the host). A `size = rest`
# policy per mode converts its one namespace; every mode is tried in turn in this one boot
# (the namespace reset to raw with ndctl between them) and the result is checked against
# what this kernel allows: MODES_OK must be created and used (I/O at both ends), the others
# must be refused by the kernel, and the case prints the kernel's reason.
#
#   virtio-pmem.sh MODE...   the modes that must work on this kernel
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MODES_OK=" $* "
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
ns0=$(ndctl_json -N -r "$R" | jq -r '.[0].dev')
[ "$(ndctl_json -N -r "$R" | jq -r '.[0].mode')" = raw ] || fail "$ns0 is not raw at boot"

mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
summary=()
for mode in fsdax devdax sector; do
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
        if [[ $MODES_OK == *" $mode "* ]]; then
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
                summary+=("$mode: works, $usable usable of $(nd_attr "$R" size)")
        else
                [ "$got" != "$mode" ] || fail "$mode: the kernel was expected to refuse it, but it worked"
                reason=$( (dmesg | tail -n +$((mark + 1)) | grep -i -E 'nd_|pfn|dax|btt|virtio|pmem' | tail -3; echo "pmemnsd: $(cut -f8 <<< "$row")") | tr '\n' ' ')
                summary+=("$mode: refused: $reason")
        fi
        systemctl stop pmemnsd.service
        # back to one raw namespace over the region for the next mode
        ndctl destroy-namespace -f all -r "$R" >/dev/null 2>&1 || true
        ndctl disable-region "$R" >/dev/null && ndctl enable-region "$R" >/dev/null
        check_eq "$(ndctl_json -N -r "$R" | jq -r '.[0].mode')" raw "mode after the reset"
done
if dmesg | grep -E -q 'WARNING:|BUG:'; then fail "kernel warning"; fi
log "virtio-pmem on $PMEMNSD_TEST_RELEASE"
printf 'MODE %s\n' "${summary[@]}"
echo "PASS virtio-pmem"
