#!/bin/bash
# Feedback on every path (issue 14): --config and --check say what they read; a bad
# configuration at start keeps the daemon up in State config-error (reasons at err priority
# and on D-Bus) and `systemctl reload` fails until it is fixed; a policy whose selector has
# no region gets a skip row; Apply runs in a worker: while 32 namespaces are created the bus
# answers, Progress and STATUS= count the rows, a second Apply waits its turn; a worker
# killed in the middle of a create is reported and settled by the next Apply.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"
prop() { busctl get-property $MGR "$1"; }

# ---- --config and --check ---------------------------------------------------------------
if out=$(pmemnsd --config /nonexistent --check 2>&1); then fail "--config /nonexistent accepted: $out"; fi
check_match "$out" "/nonexistent: No such file or directory" "--config /nonexistent"
mkdir -p /etc/pmemnsd/policy.d /usr/lib/pmemnsd/policy.d
printf '[daemon]\napply = auto\ngranularity = subsection\n' > /etc/pmemnsd/pmemnsd.conf
if out=$(pmemnsd --config /etc/pmemnsd/pmemnsd.conf --check 2>&1); then fail "--config FILE accepted: $out"; fi
check_match "$out" "not a directory" "--config FILE"
printf '[region vendor]\nmatch.dev = region*\n' > /usr/lib/pmemnsd/policy.d/10-vendor.conf
printf '[region nv]\nmatch.provider = ACPI.NFIT\n' > /etc/pmemnsd/policy.d/10-vendor.conf
printf '[region old]\nmatch.dev = nothing\n' > /usr/lib/pmemnsd/policy.d/20-old.conf
ln -sf /dev/null /etc/pmemnsd/policy.d/20-old.conf
out=$(pmemnsd --check) || fail "--check: $out"
echo "$out" | sed 's/^/    /'
check_match "$out" "Read /etc/pmemnsd/pmemnsd.conf" "--check lists pmemnsd.conf"
check_match "$out" "Read /etc/pmemnsd/policy.d/10-vendor.conf" "--check lists the file read"
check_match "$out" "Skipped /usr/lib/pmemnsd/policy.d/10-vendor.conf \(hidden by /etc/pmemnsd/policy.d/10-vendor.conf\)" \
        "--check lists the file hidden"
check_match "$out" "Skipped /usr/lib/pmemnsd/policy.d/20-old.conf \(hidden by /etc/pmemnsd/policy.d/20-old.conf, a symlink to /dev/null\)" \
        "--check lists the file masked"
rm -f /usr/lib/pmemnsd/policy.d/*.conf /etc/pmemnsd/policy.d/*.conf

# ---- a bad configuration at start: up, config-error, reload fails ------------------------
cat > /etc/pmemnsd/policy.d/10-dax.conf <<'CONF'
[region nv]
match.provider = ACPI.NFIT

[namespace d]
region = nv
mode = devdx
size = 30M
count = 32
CONF
since=$(date +%s)
systemctl restart pmemnsd.service || fail "pmemnsd did not start with a bad configuration"
systemctl is-active -q pmemnsd.service || fail "pmemnsd not active with a bad configuration"
check_eq "$(prop State)" 's "config-error"' "State with a bad configuration"
journalctl -u pmemnsd --since "@$since" -p err --no-pager -o cat | grep -q "devdx" ||
        fail "the problem is not in the journal at err priority"
if out=$(busctl call $MGR Plan 2>&1); then fail "Plan answered with a bad configuration: $out"; fi
check_match "$out" "No valid configuration in force.*devdx" "Plan's error"
if out=$(busctl call $MGR Apply 2>&1); then fail "Apply answered with a bad configuration: $out"; fi
check_match "$(systemctl show -p StatusText --value pmemnsd.service)" "^config-error: .*devdx" "STATUS= in config-error"
if systemctl reload pmemnsd.service 2>/dev/null; then fail "systemctl reload succeeded with a bad configuration"; fi
check_eq "$(prop State)" 's "config-error"' "State after a rejected reload"
check_eq "$(systemctl show -p NRestarts --value pmemnsd.service)" 0 "restarts with a bad configuration"
pid=$(systemctl show -p MainPID --value pmemnsd.service)
log "bad configuration: daemon up in config-error, Plan/Apply refused, reload failed"

# ---- fixed: reload reconciles 32 namespaces in a worker, the bus stays responsive --------
sed -i 's/devdx/devdax/' /etc/pmemnsd/policy.d/10-dax.conf
printf '[region far]\nmatch.dev = region99\n[namespace lost]\nregion = far\nmode = fsdax\nsize = 32M\n' \
        > /etc/pmemnsd/policy.d/20-far.conf
( systemctl reload pmemnsd.service; echo $? > /tmp/reload.rc ) &
# while it runs: properties, Plan and GetManagedObjects answer; progress shows
seen_progress="" seen_status="" answered=0
while [ ! -e /tmp/reload.rc ]; do
        p=$(prop Progress 2>/dev/null) || fail "Progress not answered during the apply"
        [[ $p =~ ^\(uu\)\ ([0-9]+)\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[2]}" -ge 32 ] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
                seen_progress="$p"
        st=$(systemctl show -p StatusText --value pmemnsd.service)
        [[ $st =~ ^applying\ [0-9]+/[0-9]+$ ]] && seen_status="$st"
        if [ ! -e /tmp/reload.rc ] && busctl --timeout=20 call org.pmemnsd1 /org/pmemnsd1 \
                org.freedesktop.DBus.ObjectManager GetManagedObjects > /dev/null &&
                busctl --timeout=20 call $MGR Plan > /dev/null && [ ! -e /tmp/reload.rc ]; then
                answered=$((answered + 1))
        fi
        if [ "$answered" = 1 ] && [ ! -e /tmp/apply2.started ]; then
                # a second Apply while the first runs: queued, never interleaved
                touch /tmp/apply2.started
                ( busctl --timeout=600 --json=short call $MGR Apply > /tmp/apply2.json 2>&1; echo $? > /tmp/apply2.rc ) &
        fi
        sleep 0.5
done
check_eq "$(cat /tmp/reload.rc)" 0 "systemctl reload with the fixed configuration"
[ -n "$seen_progress" ] || fail "Progress never showed rows done during the apply"
[ -n "$seen_status" ] || fail "STATUS= never said 'applying N/M'"
[ "$answered" -ge 1 ] || fail "the bus did not answer while the apply ran"
log "during the apply: Progress '$seen_progress', STATUS '$seen_status', $answered rounds of GetManagedObjects+Plan answered"
wait_for 600 test -e /tmp/apply2.rc || fail "the second Apply never returned"
check_eq "$(cat /tmp/apply2.rc)" 0 "the second Apply"
rows=$(jq -r '.data[0][] | @tsv' /tmp/apply2.json)
check_eq "$(echo "$rows" | awk -F'\t' '$2 ~ /^d\./ && $1 == "adopt"' | wc -l)" 32 "the second Apply adopts the 32"
check_eq "$(echo "$rows" | awk -F'\t' '$1 == "failed" || $1 == "conflict" || $1 == "create"' | wc -l)" 0 \
        "nothing created twice, failed or in conflict"
check_match "$(echo "$rows" | awk -F'\t' '$2 == "lost"')" "^skip	lost	.*selector 'far' matches no region$" \
        "the row of a policy whose selector matches no region"
check_eq "$(prop State)" 's "idle"' "State after the apply"
check_eq "$(prop Progress)" "(uu) 0 0" "Progress when idle"
check_eq "$(systemctl show -p StatusText --value pmemnsd.service)" "32 managed, 0 failed" "STATUS= when idle"
check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$pid" "pmemnsd's PID"

# ---- a worker killed in the middle of a create ------------------------------------------
printf '[daemon]\napply = manual\ngranularity = subsection\n' > /etc/pmemnsd/pmemnsd.conf
pmemnsd_restart "create-after-size:kill-worker"
pid=$(systemctl show -p MainPID --value pmemnsd.service)
victim=$(ns_named d.5)
pmemnsctl destroy "$victim" > /dev/null || fail "destroying d.5"
if out=$(busctl --timeout=600 call $MGR Apply 2>&1); then fail "Apply returned rows with its worker killed: $out"; fi
check_match "$out" "worker process [0-9]+ was killed" "Apply's error when its worker dies"
check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$pid" "the daemon survives its worker"
check_eq "$(prop State)" 's "degraded"' "State after a worker died"
pmemnsd_restart
rows=$(pmemnsd_apply)
check_eq "$(echo "$rows" | awk -F'\t' '$1 == "failed"' | wc -l)" 0 "failures after the killed worker"
[ -n "$(ns_named d.5)" ] || fail "d.5 not re-made after the killed worker"
for d in /sys/bus/nd/devices/namespace*; do
        [ "$(cat "$d/size")" = 0 ] || [ -n "$(cat "$d/alt_name")" ] || fail "$(basename "$d") has a size but no name"
done
check_eq "$(systemctl show -p StatusText --value pmemnsd.service)" "32 managed, 0 failed" "STATUS= at the end"
echo "PASS feedback"
