#!/bin/bash
# Concurrent admins (issue 5): while the daemon reconciles, an admin runs ndctl
# create-namespace and destroy-namespace on the same region. The daemon must not crash,
# must not touch any namespace of the admin's, and must report the final state truthfully
# on D-Bus; the next Apply completes the policy. Three rounds.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\ngranularity = subsection\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/10-busy.conf <<'CONF'
[region nv]
match.provider = ACPI.NFIT

[namespace d]
region = nv
mode = devdax
size = 34M
count = 8

[namespace f]
region = nv
mode = fsdax
size = 40M
count = 3

[namespace s]
region = nv
mode = sector
size = 20M
count = 2
CONF
OURS="d.0 d.1 d.2 d.3 d.4 d.5 d.6 d.7 f.0 f.1 f.2 s.0 s.1"
R=$(nd_regions | jq -r '.[0].dev')
systemctl restart pmemnsd.service
pid=$(systemctl show -p MainPID --value pmemnsd.service)

describe() { ndctl list -N -n "$1" | jq -c '(.[0] // .) | {uuid, name, size, mode}'; }
on_dbus() {
        busctl --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager \
                GetManagedObjects | jq -r '.data[0] | keys[] | select(startswith("/org/pmemnsd1/namespace/"))' |
                sed 's|.*/||; s|_|.|' | sort
}

# The admin: creates raw namespaces of its own (fsdax would mostly be refused: ndctl wants
# 16M alignment and the daemon packs at 2M) and destroys every other one, as fast
# as ndctl goes. Failures are allowed (the daemon and ndctl race for the same seed device,
# which the kernel does not arbitrate); whatever the admin made must stay as made.
admin() {  # round
        local i out dev prev=""
        for i in 1 2 3 4 5 6; do
                if out=$(ndctl create-namespace -r "$R" -m raw -s 32M -n "admin$1.$i" 2>/tmp/admin.err); then
                        dev=$(echo "$out" | jq -r .dev)
                        echo "$dev $(describe "$dev")" >> /tmp/admin.made
                        if [ -n "$prev" ]; then
                                ndctl destroy-namespace -f "$prev" >/dev/null 2>&1 &&
                                        echo "$prev" >> /tmp/admin.destroyed
                                prev=""
                        else
                                prev=$dev
                        fi
                else
                        echo "admin create $1.$i failed: $(tr '\n' ' ' < /tmp/admin.err)" >> /tmp/admin.failed
                fi
        done
}

: > /tmp/admin.made; : > /tmp/admin.destroyed; : > /tmp/admin.failed
for round in 1 2 3; do
        log "round $round"
        # the daemon starts from scratch each round; the admin's namespaces stay
        for n in $OURS; do
                d=$(ns_named "$n")
                [ -z "$d" ] || pmemnsctl destroy "$d" >/dev/null || fail "destroying $n"
        done
        busctl --timeout=600 --json=short call $MGR Apply > /tmp/apply.$round.json 2>&1 &
        apply_pid=$!
        admin $round
        wait $apply_pid || fail "Apply in round $round failed: $(cat /tmp/apply.$round.json)"
        jq -r '.data[0][] | @tsv' /tmp/apply.$round.json | cut -f1,2,8 | sort | uniq -c | sort -rn | head -5 |
                sed 's/^/    /'
        check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$pid" "pmemnsd's PID (no crash)"
done
sed 's/^/    /' /tmp/admin.failed
log "admin: $(wc -l < /tmp/admin.made) made, $(wc -l < /tmp/admin.destroyed) destroyed, $(wc -l < /tmp/admin.failed) raced"
sleep 3   # the daemon's refresh after the udev burst

# nothing of the admin's touched
while read -r dev desc; do
        grep -qx "$dev" /tmp/admin.destroyed && continue
        check_eq "$(describe "$dev")" "$desc" "admin's $dev"
done < /tmp/admin.made
# truthful: D-Bus shows what the kernel has
check_eq "$(on_dbus)" "$(ndctl list -N | jq -r '.[]?.dev' | sort)" "namespaces on D-Bus vs ndctl list"

# the next Apply completes the policy, without touching the admin's
busctl --timeout=600 --json=short call $MGR Apply | jq -r '.data[0][] | @tsv' > /tmp/apply.tsv
grep -qP '^failed\t' /tmp/apply.tsv && fail "final Apply: $(grep -P '^failed' /tmp/apply.tsv)"
for n in $OURS; do [ -n "$(ns_named "$n")" ] || fail "$n missing after the final Apply"; done
while read -r dev desc; do
        grep -qx "$dev" /tmp/admin.destroyed && continue
        check_eq "$(describe "$dev")" "$desc" "admin's $dev after the final Apply"
done < /tmp/admin.made
# no half-made leftovers: every sized namespace has a name, no seed configured for nothing
for d in /sys/bus/nd/devices/namespace*; do
        [ "$(cat "$d/size")" = 0 ] || [ -n "$(cat "$d/alt_name")" ] || fail "$(basename "$d") has a size but no name"
done
for d in /sys/bus/nd/devices/{pfn,dax,btt}[0-9]*; do
        [ -e "$d/uuid" ] && [ -z "$(cat "$d/namespace")" ] || continue
        case "$(cat "$d/uuid")" in ""|00000000-0000-0000-0000-000000000000) ;; *) fail "$(basename "$d") configured for no namespace";; esac
done
check_eq "$(systemctl show -p NRestarts --value pmemnsd.service)" 0 "restarts"
check_eq "$(on_dbus)" "$(ndctl list -N | jq -r '.[]?.dev' | sort)" "namespaces on D-Bus vs ndctl list at the end"
# least privilege (issue 5): the hardened unit that did all of the above
score=$(systemd-analyze security pmemnsd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for pmemnsd.service: \([0-9.]*\).*/\1/p')
echo "EXPOSURE $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.4) }' || fail "systemd-analyze security: exposure '$score', above 2.4"
echo "CONCURRENT rounds=3 admin_made=$(wc -l < /tmp/admin.made) admin_raced=$(wc -l < /tmp/admin.failed)"
echo "PASS concurrent"
