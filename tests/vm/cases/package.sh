#!/bin/bash
# The Debian package (issue 13 items 1 and 3), as vm-run installs it into every guest: by
# dpkg -i in a chroot of the guest's rootfs, as in an image build (tests/vm/deb-layer).
#
#   package.sh pmem     (topology labelled) installed and enabled into pmem.target, started
#                       at boot by udev through pmem.target, modules loaded by
#                       pmemnsd-modules.service; after `systemctl disable` a hot-added
#                       NVDIMM does not start it, after `enable` one does; reinstalling
#                       restarts it; dpkg --remove stops it and leaves only conffiles and
#                       the enablement, --purge leaves no unit, symlink, state or bus name.
#   package.sh nopmem   (topology none: no NVDIMM, no NFIT) installed and enabled but not
#                       started at boot, nor by a reinstall; a D-Bus activation starts it
#                       and no kernel module of the nvdimm stack is loaded.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

H=/usr/lib/pmemnsd-test-harness
MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"
ND_MODULES="libnvdimm nfit nd_pmem nd_btt nd_e820 dax_pmem device_dax kmem"
deb=$(ls $H/deb/pmemnsd_*.deb)

log "installed into the rootfs before boot (vm-run, deb-layer): $(grep -m1 '^Setting up' $H/dpkg.log)"
check_eq "$(dpkg-query -W -f='${Status}' pmemnsd)" "install ok installed" "dpkg status"
for f in /lib/systemd/system/pmemnsd.service /lib/systemd/system/pmemnsd-modules.service \
         /lib/systemd/system/pmem.target /lib/udev/rules.d/90-pmemnsd.rules \
         /usr/share/dbus-1/system-services/org.pmemnsd1.service /usr/sbin/pmemnsd \
         /usr/libexec/pmemnsd/pmemnsd-worker; do
        dpkg -S "$f" >/dev/null || fail "$f is not the package's"
done
# enabled by the postinst (deb-systemd-helper), into pmem.target; no dbus-org alias
check_eq "$(systemctl is-enabled pmemnsd.service)" enabled "pmemnsd.service enablement"
check_eq "$(readlink /etc/systemd/system/pmem.target.wants/pmemnsd.service)" \
        /lib/systemd/system/pmemnsd.service "the enable symlink"
check_eq "$(systemctl show -p Names --value pmemnsd.service)" pmemnsd.service "the unit's names"
systemctl show -p CapabilityBoundingSet --value pmemnsd.service | grep -qi cap_sys_module &&
        fail "pmemnsd.service has CAP_SYS_MODULE"
loaded() { local m out=""; for m in $ND_MODULES; do [ -d "/sys/module/$m" ] && out="$out $m"; done; echo "${out# }"; }

case ${1:-pmem} in
pmem)
        # ---- started at boot: udev -> pmem.target -> pmemnsd.service ---------------------
        wait_for 120 systemctl is-active -q pmemnsd.service || fail "pmemnsd is not running after boot"
        # pmem.target stops again at once (StopWhenUnneeded=): reached, then inactive
        # (then garbage-collected: its timestamps are gone, the journal has it)
        journalctl -b --no-pager UNIT=pmem.target | grep -q 'Reached target' ||
                fail "pmem.target was not reached at boot"
        check_eq "$(systemctl show -p ConditionResult --value pmemnsd-modules.service)" yes \
                "pmemnsd-modules.service condition"
        check_eq "$(systemctl show -p Result --value pmemnsd-modules.service)" success \
                "pmemnsd-modules.service result"
        for m in nd_btt kmem dax_pmem; do
                [ -d "/sys/module/$m" ] || fail "$m not loaded (not autoloaded for this topology)"
        done
        log "at boot: pmem.target reached ($(systemctl is-active pmem.target) now), pmemnsd active, modules: $(loaded)"

        # ---- systemctl disable is respected by the udev rule -----------------------------
        systemctl disable pmemnsd.service
        systemctl stop pmemnsd.service
        regions() { find /sys/bus/nd/devices -maxdepth 1 -name 'region*' | wc -l; }
        before=$(regions)
        more_regions() { [ "$(regions)" -gt "$before" ]; }
        hot_add_nvdimm nvoff 256M || fail "hot-adding an NVDIMM failed"
        wait_for 60 more_regions || fail "the hot-added NVDIMM shows no region"
        udevadm settle
        sleep 5
        systemctl is-active -q pmemnsd.service &&
                fail "a region appeared and started the disabled pmemnsd.service"
        log "disabled: a hot-added region did not start pmemnsd ($(systemctl is-active pmemnsd.service))"
        systemctl enable pmemnsd.service
        hot_add_nvdimm nvon 256M || fail "hot-adding an NVDIMM failed"
        wait_for 60 systemctl is-active -q pmemnsd.service ||
                fail "enabled: a hot-added region did not start pmemnsd.service"
        log "enabled: a hot-added region started pmemnsd"

        # ---- reinstall with systemd running: the postinst restarts it --------------------
        pid=$(systemctl show -p MainPID --value pmemnsd.service)
        dpkg -i "$deb" > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i (reinstall) failed"; }
        wait_for 60 systemctl is-active -q pmemnsd.service || fail "not running after a reinstall"
        check_ne "$(systemctl show -p MainPID --value pmemnsd.service)" "$pid" "MainPID after a reinstall"
        check_eq "$(systemctl is-enabled pmemnsd.service)" enabled "enablement after a reinstall"
        log "reinstalled: restarted ($pid -> $(systemctl show -p MainPID --value pmemnsd.service))"

        # ---- remove and purge -----------------------------------------------------------
        [ -d /var/lib/pmemnsd ] || fail "no /var/lib/pmemnsd while running"
        dpkg --remove pmemnsd > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg --remove failed"; }
        systemctl is-active -q pmemnsd.service && fail "pmemnsd still running after dpkg --remove"
        check_eq "$(dpkg-query -W -f='${Status}' pmemnsd)" "deinstall ok config-files" "status after remove"
        for f in /usr/sbin/pmemnsd /lib/systemd/system/pmemnsd.service /lib/udev/rules.d/90-pmemnsd.rules \
                 /usr/share/dbus-1/system-services/org.pmemnsd1.service /usr/libexec/pmemnsd/pmemnsd-worker; do
                [ -e "$f" ] && fail "$f left after dpkg --remove"
        done
        [ -f /etc/pmemnsd/pmemnsd.conf ] || fail "the conffile went with dpkg --remove"
        systemctl cat pmemnsd.service >/dev/null 2>&1 && fail "systemd still knows pmemnsd.service"
        log "removed: stopped, program and units gone, conffile kept"

        mkdir -p /etc/pmemnsd/policy.d
        echo '# the admin' > /etc/pmemnsd/policy.d/99-admin.conf
        dpkg --purge pmemnsd > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg --purge failed"; }
        dpkg-query -W pmemnsd >/dev/null 2>&1 && fail "dpkg still knows pmemnsd after --purge"
        left=$(find /etc/systemd /lib/systemd/system /lib/udev /usr/share/dbus-1 /var/lib/systemd \
                    /var/lib/pmemnsd /run/pmemnsd /etc/pmemnsd -name '*pmem*' 2>/dev/null |
              grep -v -e 99-admin.conf -e pmemnsd-test -e 'pmemnsd.service.d' |
              grep -v -x -e /etc/pmemnsd -e /etc/pmemnsd/policy.d || true)
        [ -z "$left" ] || fail "left after --purge: $left"
        [ -f /etc/pmemnsd/policy.d/99-admin.conf ] || fail "purge deleted the admin's own policy file"
        [ -e /etc/pmemnsd/pmemnsd.conf ] && fail "the conffile is left after --purge"
        systemctl daemon-reload
        check_eq "$(systemctl list-unit-files --no-legend pmemnsd.service pmemnsd-modules.service pmem.target | wc -l)" 0 "unit files after --purge"
        busctl status org.pmemnsd1 >/dev/null 2>&1 && fail "org.pmemnsd1 still activatable after --purge"
        log "purged: no unit, symlink, state, bus name left (the admin's policy file stays)"
        ;;
nopmem)
        [ -e /sys/firmware/acpi/tables/NFIT ] && fail "this machine has an NFIT"
        [ -e /sys/bus/nd ] && fail "this machine has an nd bus"
        sleep 5
        systemctl is-active -q pmemnsd.service && fail "pmemnsd started at boot on a machine without pmem"
        check_eq "$(loaded)" "" "nvdimm modules loaded at boot"
        # the postinst with systemd running starts nothing where there is no region
        dpkg -i "$deb" > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i (reinstall) failed"; }
        systemctl is-active -q pmemnsd.service && fail "the postinst started pmemnsd without pmem"
        check_eq "$(loaded)" "" "nvdimm modules loaded by the postinst"
        log "no pmem: installed and enabled, not started, no module loaded"
        # a D-Bus activation (any user may read properties) starts it; still no module
        # shellcheck disable=SC2086 # MGR is three words
        v=$(busctl get-property $MGR Version) || fail "D-Bus activation failed"
        # the name is on the bus before READY=1, which follows the first reconcile (its
        # workers): activating, then active
        wait_for 60 systemctl is-active -q pmemnsd.service || fail "not running after a D-Bus activation"
        check_eq "$(systemctl show -p ConditionResult --value pmemnsd-modules.service)" no \
                "pmemnsd-modules.service condition"
        check_eq "$(loaded)" "" "nvdimm modules loaded by a D-Bus activation"
        # shellcheck disable=SC2086
        check_eq "$(busctl call $MGR Plan --json=short | jq '.data[0] | length')" 0 "plan rows"
        log "D-Bus activation: Version $v, pmemnsd-modules.service skipped (condition), no module loaded"
        ;;
*) fail "usage: package.sh pmem|nopmem";;
esac
log "PASS"
