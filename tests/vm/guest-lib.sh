# Helpers for guest-side test scripts (vm-run copies this file next to the script):
#   . /pmemnsd-test/guest-lib.sh
# shellcheck shell=bash

# messages and checks; fail exits 1 after the last lines of pmemnsd's journal
log() { echo "## $*"; }
fail() {
        echo "FAIL: $*"
        if systemctl cat pmemnsd.service >/dev/null 2>&1; then
                echo "-- the last lines of pmemnsd's journal:"
                journalctl -u pmemnsd --no-pager 2>/dev/null | tail -40 || true
        fi
        exit 1
}
skip() { echo "SKIP: $*"; exit 77; }
check_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"; }
check_ne() { [ "$1" != "$2" ] || fail "${3:-value}: expected anything but '$2'"; }
check_ge() { [ "$1" -ge "$2" ] || fail "${3:-value}: expected at least $2, got $1"; }
check_match() { [[ $1 =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"; }
check_cmd() { "$@" || fail "command failed ($?): $*"; }

export MiB=$((1 << 20)) GiB=$((1 << 30))

# wait_for SECONDS COMMAND...: retry COMMAND once a second until it succeeds
wait_for() {
        local t=$1 i
        shift
        for ((i = 0; i < t; i++)); do
                "$@" && return 0
                sleep 1
        done
        "$@"
}

# ndctl_json ARGS...: `ndctl list ARGS` as a JSON array, also when ndctl prints a single
# object or nothing at all
ndctl_json() {
        local out
        out=$(ndctl list "$@") || return 1
        [ -n "$out" ] || out='[]'
        jq -c 'if type == "array" then . else [.] end' <<< "$out"
}
# shellcheck disable=SC2120 # arguments are optional
# all regions of all buses, each with its bus's "provider" added (ACPI.NFIT, e820, ...)
nd_regions() {
        ndctl_json -B -R "$@" |
                jq -c '[.[] | .provider as $p | (.regions // [])[] | . + {provider: $p}]'
}
# shellcheck disable=SC2120
nd_namespaces() { ndctl_json -N "$@"; }
# shellcheck disable=SC2120
nd_dimms() { ndctl_json -D "$@"; }
# nd_attr DEVICE ATTRIBUTE: read /sys/bus/nd/devices/DEVICE/ATTRIBUTE
nd_attr() { local v; read -r v < "/sys/bus/nd/devices/$1/$2" && echo "$v"; }

# the daemon's D-Bus manager, for `busctl call $PMEMNSD_MGR METHOD ...`
PMEMNSD_MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"
# pmemnsd_apply: call Apply and print its rows as tab-separated values
pmemnsd_apply() {
        # shellcheck disable=SC2086 # PMEMNSD_MGR is three words
        busctl --timeout=600 --json=short call $PMEMNSD_MGR Apply | jq -r '.data[0][] | @tsv'
}
# ns_named NAME: the device of the namespace labelled NAME (nothing if none)
ns_named() { ndctl list -N | jq -r ".[]? | select(.name == \"$1\") | .dev"; }
# pmemnsd_restart [FAULT]: restart the daemon, with PMEMNSD_FAULT=FAULT (a
# -Dfault-injection=true build) and Restart=no, or without any fault
pmemnsd_restart() {
        local dropin=/run/systemd/system/pmemnsd.service.d
        mkdir -p "$dropin"
        if [ -n "${1:-}" ]; then
                printf '[Service]\nEnvironment=PMEMNSD_FAULT=%s\nRestart=no\n' "$1" > "$dropin/fault.conf"
        else
                rm -f "$dropin/fault.conf"
        fi
        systemctl daemon-reload
        systemctl restart pmemnsd.service || fail "pmemnsd did not start (${1:-no fault})"
}

# qemu_monitor HMP-COMMAND...: run a command in the QEMU monitor on the host (for example
# object_add/device_add to hot-add an NVDIMM) and print its output; @STATE@ in the command
# is the host's state directory. Fails when QEMU reports an error or does not answer.
qemu_monitor() {
        local seq reply t
        seq="$(date +%s%N)$RANDOM"
        printf '@@MONITOR %s %s@@\n' "$seq" "$*" > /dev/ttyS2
        for ((t = 0; t < 600; t++)); do
                if grep -q -x "@@END $seq@@" /run/pmemnsd-test/ctl-in 2>/dev/null; then
                        reply=$(sed -n "/^@@REPLY $seq /,/^@@END $seq@@\$/p" /run/pmemnsd-test/ctl-in)
                        sed '1d;$d' <<< "$reply"
                        [[ $(head -1 <<< "$reply") == "@@REPLY $seq 0@@" ]]
                        return
                fi
                sleep 0.1
        done
        echo "qemu_monitor: no answer from the host" >&2
        return 1
}

# hot_add_nvdimm ID SIZE [DEVICE-OPTIONS]: a new backing file STATE/ID.img on the host and
# an NVDIMM on it, e.g. hot_add_nvdimm nvhp 512M label-size=128K,node=1
hot_add_nvdimm() {
        local id=$1 size=$2 opts=${3:-label-size=128K}
        qemu_monitor "object_add memory-backend-file,id=mem-$id,share=on,mem-path=@STATE@/$id.img,size=$size" &&
                qemu_monitor "device_add nvdimm,id=$id,memdev=mem-$id${opts:+,$opts}"
}

# CXL (topologies with CXL=): cxl_load loads the CXL stack and waits for a memdev per
# device; cxl_memdev SERIAL prints the memdev (mem0, ...) of the device with that serial;
# cxl_create_region GRANULARITY SERIAL... assembles a pmem region from the first root
# decoder across the devices in that interleave order, as an admin does today, and prints
# the nd region it became (region0, ...); GRANULARITY "" lets the cxl tool pick.
cxl_load() {
        local want
        want=$(wc -w <<< "${PMEMNSD_TEST_CXL:-}")
        modprobe -a cxl_acpi cxl_pci cxl_port cxl_mem cxl_pmem || return 1
        udevadm settle
        wait_for 30 sh -c "[ \"\$(cxl list -M 2>/dev/null | jq length)\" -ge $want ]" 2>/dev/null
}
cxl_memdev() { cxl list -M | jq -r --argjson sn "$1" '.[] | select(.serial == $sn) | .memdev'; }
cxl_create_region() {
        local g=$1 sn m mems=() out region before nd t
        shift
        for sn in "$@"; do
                m=$(cxl_memdev "$sn")
                [ -n "$m" ] || { echo "cxl_create_region: no memdev with serial $sn" >&2; return 1; }
                mems+=("$m")
        done
        before=$(cxl_nd_regions)
        out=$(cxl create-region -m -d decoder0.0 -t pmem -w ${#mems[@]} ${g:+-g "$g"} "${mems[@]}") ||
                return 1
        region=$(jq -r '.region' <<< "$out")
        # the nd region (on the bus of provider CXL) appears once cxl_pmem binds the region
        for ((t = 0; t < 30; t++)); do
                nd=$(comm -13 <(echo "$before") <(cxl_nd_regions) | head -1)
                [ -n "$nd" ] && { echo "$nd"; return 0; }
                sleep 1
        done
        echo "cxl_create_region: $region has no nd region" >&2
        return 1
}
# the nd regions on CXL buses, sorted
cxl_nd_regions() { nd_regions | jq -r '.[] | select(.provider | test("^cxl"; "i")) | .dev' | sort; }

# blk_io write|verify DEVICE SEED: a seeded 1 MiB pattern at the start and at the end of a
# block device (direct I/O), like daxio does on device-dax
blk_io() {
        local op=$1 dev=$2 seed=$3 size off i
        size=$(blockdev --getsize64 "$dev") || return 1
        for i in 0 1; do
                off=$(( i == 0 ? 0 : size / MiB - 1 ))
                seed_pattern "$seed.$i" > /tmp/blk_io.pat
                if [ "$op" = write ]; then
                        dd if=/tmp/blk_io.pat of="$dev" bs=1M seek="$off" count=1 oflag=direct \
                                conv=notrunc status=none || return 1
                else
                        dd if="$dev" of=/tmp/blk_io.got bs=1M skip="$off" count=1 iflag=direct status=none ||
                                return 1
                        cmp -s /tmp/blk_io.pat /tmp/blk_io.got ||
                                { echo "blk_io: $dev differs at MiB $off" >&2; return 1; }
                fi
        done
        echo "blk_io: $op $dev OK ($size bytes)"
}
# 1 MiB of bytes derived from a seed string (a repeated sha256)
seed_pattern() {
        local s
        s=$(printf '%s' "$1" | sha256sum | cut -c1-64)
        yes "$s" 2>/dev/null | head -c $MiB
}
