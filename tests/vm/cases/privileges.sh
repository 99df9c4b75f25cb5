#!/bin/bash
# Least privilege (issue 10 item 13): which of the unit's privileges the daemon needs. Each
# VARIANT runs the whole provisioning cycle under a drop-in that takes one privilege away:
# create fsdax, devdax, sector and raw namespaces and a devdax onlined as movable System RAM
# in a labelled region, initialise the labels of a label-less NVDIMM and carve a namespace
# in it, convert the legacy e820 namespace to devdax, then destroy all of them again (the
# System RAM one after an admin's `daxctl offline-memory` + devdax, as pmemnsd(8) says).
# Every step must do what it did before, with the daemon still the same process (a
# forbidden system call kills it: the no-raw-io variant drops SystemCallErrorNumber=EPERM
# so that a call out of the filter is fatal, not quiet) and no EPERM/EACCES in its journal.
#
# VARIANTs: no-raw-io (SystemCallFilter without @raw-io), no-sys-rawio (CapabilityBoundingSet
# without CAP_SYS_RAWIO), no-dac-override (without CAP_DAC_OVERRIDE), no-sys-admin (without
# CAP_SYS_ADMIN), no-caps (an empty CapabilityBoundingSet), caps=CAP_A,CAP_B (exactly these),
# installed (the unit as installed).
# Each uses one label-less NVDIMM of the `faults` topology (a DIMM that showed labels stays
# label-capable until reboot), so at most four per boot. `installed` also unloads kmem and
# nd_btt first and checks that a start loads them again, and prints `systemd-analyze
# security pmemnsd.service`.
#
#   tests/vm/vm-run --topology faults ... tests/vm/cases/privileges.sh installed no-raw-io no-sys-rawio no-dac-override
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

[ $# -gt 0 ] || set -- installed
[ $# -le 4 ] || fail "at most four variants per boot (one label-less NVDIMM each)"
dropin=/run/systemd/system/pmemnsd.service.d
mkdir -p "$dropin" /etc/pmemnsd/policy.d

region_at() {  # physical address -> region device
        local r
        for r in /sys/bus/nd/devices/region*; do
                [ "$(printf '%d' "$(cat "$r/resource")")" = "$(printf '%d' "$1")" ] && { basename "$r"; return; }
        done
        fail "no region at $1"
}
LR=$(region_at 0x100000000)
e820=$(ndctl list -BR | jq -r '.[] | select(.provider == "e820") | .regions[].dev')
mapfile -t fresh < <(ndctl list -BR | jq -r ".[] | select(.provider == \"ACPI.NFIT\") | .regions[] |
                                     select(.dev != \"$LR\") | .dev" | sort -V)
[ -n "$e820" ] && [ "${#fresh[@]}" -ge $# ] || fail "regions: labelled $LR, e820 '$e820', label-less '${fresh[*]}'"
cap_set() { systemctl show -p CapabilityBoundingSet --value pmemnsd.service | tr a-z A-Z; }
exposure() {
        systemd-analyze security --no-pager pmemnsd.service 2>/dev/null |
                sed -n 's/.*Overall exposure level for pmemnsd.service: \([0-9.]*\).*/\1/p'
}
log "unit: CapabilityBoundingSet=$(cap_set), exposure $(exposure)"
grep -E '^(CapabilityBoundingSet|SystemCallFilter|SystemCallErrorNumber|ExecStartPre)=' \
        "$(systemctl show -p FragmentPath --value pmemnsd.service)"

# cycle VARIANT LABEL-LESS-REGION
cycle() {
        local v=$1 fr=$2 since pid ns n dax pdchar who holder out
        log "== $v (label init on $fr)"
        rm -f "$dropin/variant.conf"
        case $v in
        no-raw-io)
                printf '[Service]\nSystemCallFilter=\nSystemCallFilter=%s\nSystemCallErrorNumber=\n' \
                        "$(systemctl cat pmemnsd.service | sed -n 's/^SystemCallFilter=//p' | tail -1 |
                           sed 's/ *@raw-io//')" > "$dropin/variant.conf";;
        no-sys-rawio|no-dac-override|no-sys-admin)
                local cap
                case $v in
                no-sys-rawio) cap=CAP_SYS_RAWIO;;
                no-dac-override) cap=CAP_DAC_OVERRIDE;;
                no-sys-admin) cap=CAP_SYS_ADMIN;;
                esac
                cap_set | grep -qw "$cap" || fail "the unit does not grant $cap"
                printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=%s\n' \
                        "$(cap_set | tr ' ' '\n' | grep -vx "$cap" | tr '\n' ' ')" > "$dropin/variant.conf";;
        no-caps)
                printf '[Service]\nCapabilityBoundingSet=\n' > "$dropin/variant.conf";;
        caps=*)
                printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=%s\n' \
                        "$(echo "${v#caps=}" | tr ',' ' ')" > "$dropin/variant.conf";;
        installed) ;;
        *) fail "unknown variant $v";;
        esac
        [ -e "$dropin/variant.conf" ] && cat "$dropin/variant.conf"
        cat > /etc/pmemnsd/pmemnsd.conf <<'CONF'
[daemon]
apply = manual
CONF
        cat > /etc/pmemnsd/policy.d/50-all.conf <<CONF
[region nv]
match.dev = $LR

[namespace pfs]
region = nv
mode = fsdax
size = 100M

[namespace pdax]
region = nv
mode = devdax
size = 64M

[namespace psec]
region = nv
mode = sector
size = 64M

[namespace praw]
region = nv
mode = raw
size = 32M

[namespace pram]
region = nv
mode = devdax
size = 256M
system-ram = online-movable

[region fresh]
match.dev = $fr
init-labels = yes

[namespace carved]
region = fresh
mode = sector
size = 32M

[region legacy]
match.provider = e820

[namespace legacydax]
region = legacy
mode = devdax
size = rest
CONF
        systemctl daemon-reload
        log "$v: exposure $(exposure)"
        if [ "$v" = installed ]; then
                modprobe -r kmem nd_btt 2>/dev/null || true
                log "modules loaded before the start: $(cd /sys/module && ls -d kmem nd_btt 2>/dev/null | xargs)"
        fi
        since=$(date '+%Y-%m-%d %H:%M:%S')
        sleep 1
        systemctl restart pmemnsd.service || fail "$v: pmemnsd did not start"
        pid=$(systemctl show -p MainPID --value pmemnsd.service)
        if [ "$v" = installed ]; then
                for m in kmem nd_btt; do [ -d "/sys/module/$m" ] || fail "$v: $m not loaded at start"; done
        fi
        pmemnsd_apply | tee /tmp/apply.tsv
        ! grep -qP '^failed\t' /tmp/apply.tsv || fail "$v: a row failed"
        for n in pfs:fsdax pdax:devdax psec:sector praw:raw pram:devdax carved:sector; do
                ns=$(ns_named "${n%%:*}")
                [ -n "$ns" ] || fail "$v: ${n%%:*} was not created"
                check_eq "$(ndctl list -N -n "$ns" | jq -r '(.[0] // .).mode')" "${n#*:}" "$v: mode of ${n%%:*}"
        done
        check_eq "$(ndctl list -N -r "$e820" | jq -r '(.[0] // .).mode')" devdax "$v: mode of the e820 namespace"
        dax=$(ndctl list -N -n "$(ns_named pram)" | jq -r '(.[0] // .).chardev')
        check_eq "$(daxctl list -d "$dax" | jq -r '.[0].movable')" true "$v: pram movable"

        # The devdax busy check of DestroyNamespace reads /proc/PID/fd, maps and map_files of
        # every process (util/devbusy.c). Following those links is a ptrace read access
        # (ptrace_may_access()): without CAP_SYS_PTRACE the daemon sees only processes of its
        # own uid whose capabilities are a subset of its own (commoncap's
        # cap_ptrace_access_check()), so not a root shell's, nor another user's, whose 0500
        # fd directory also needs CAP_DAC_READ_SEARCH. Required of the installed unit,
        # reported for the others.
        pdchar=$(ndctl list -N -n "$(ns_named pdax)" | jq -r '(.[0] // .).chardev')
        for who in root nobody; do
                chmod 0666 "/dev/$pdchar"
                if [ $who = root ]; then
                        sleep 600 < "/dev/$pdchar" & holder=$!
                else
                        setpriv --reuid=65534 --regid=65534 --clear-groups sleep 600 < "/dev/$pdchar" & holder=$!
                fi
                sleep 1
                if out=$(pmemnsctl destroy "$(ns_named pdax)" 2>&1); then
                        echo "BUSY-CHECK $v $who: MISSED, pdax destroyed while /dev/$pdchar was open"
                        [ "$v" != installed ] || fail "$v: pdax destroyed while $who held /dev/$pdchar open"
                        kill $holder; wait $holder 2>/dev/null || true
                        pmemnsd_apply | grep -P '^create\tpdax\t' || fail "$v: pdax not made again"
                        pdchar=$(ndctl list -N -n "$(ns_named pdax)" | jq -r '(.[0] // .).chardev')
                else
                        echo "BUSY-CHECK $v $who: refused: $out"
                        kill $holder; wait $holder 2>/dev/null || true
                fi
        done

        log "$v: destroy"
        daxctl offline-memory "$dax" > /dev/null || fail "$v: offlining pram's memory"
        daxctl reconfigure-device -m devdax "$dax" > /dev/null || fail "$v: pram back to devdax"
        for n in pfs pdax psec praw pram carved; do
                pmemnsctl destroy "$(ns_named $n)" || fail "$v: destroying $n"
        done
        ns=$(ndctl list -N -r "$e820" | jq -r '(.[0] // .).dev')
        pmemnsctl destroy "$ns" || fail "$v: destroying the e820 namespace $ns"
        check_eq "$(ndctl_json -N -r "$LR" | jq -r '[.[] | select(.size > 0)] | length')" 0 "$v: namespaces left in $LR"
        # (ndctl calls an unclaimed label-less namespace "fsdax")
        check_eq "$(ndctl list -N -r "$e820" | jq -r '(.[0] // .).chardev // "none"')" none "$v: the e820 namespace's dax device after destroy"
        check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$pid" "$v: daemon pid (killed by seccomp?)"
        if journalctl -o cat -u pmemnsd.service --since "$since" |
                grep -Ei 'not permitted|permission denied|EPERM|EACCES|status=31'; then
                fail "$v: the daemon was refused something"
        fi
        if [ "$v" = installed ]; then
                systemd-analyze security --no-pager pmemnsd.service | tail -25
        fi
        log "$v: PASS"
}

i=0
for v in "$@"; do
        cycle "$v" "${fresh[$i]}"
        i=$((i + 1))
done
rm -f "$dropin/variant.conf"
echo "PASS privileges $*"
