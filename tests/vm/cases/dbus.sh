#!/bin/bash
# The D-Bus service, authorization, pmemnsctl and the udev/D-Bus integration (issue 4).
set -euo pipefail
. /pmemnsd-test/guest-lib.sh

B="busctl --timeout=600"
MGR="org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager"

# ---- hot-adding an NVDIMM starts the service through the udev rule -----------------------
# enabled (as the package leaves it) into pmem.target, which the udev rule pulls in
systemctl stop pmemnsd.service 2>/dev/null || true
systemctl is-enabled -q pmemnsd.service || fail "pmemnsd.service is not enabled"
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = auto\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-dbus.conf <<'CONF'
[region main]
match.provider = ACPI.NFIT
match.size-min = 900M

[namespace db]
region = main
mode = fsdax
size = 64M

[namespace dax]
region = main
mode = devdax
size = 34M
count = 2

[region hot]
match.provider = ACPI.NFIT
match.size-max = 600M

# QEMU packs hot-added NVDIMMs right after the label-less end of the first one, so this
# region does not start on a 2 MiB boundary and cannot hold fsdax/devdax: sector it is.
[namespace hotblk]
region = hot
mode = sector
size = rest
CONF
systemctl is-active -q pmemnsd.service && fail "pmemnsd is running before the hot-add"
busctl monitor --match "type='signal',sender='org.pmemnsd1'" > /tmp/monitor.txt 2>&1 &
MON=$!
sleep 1
echo "@@MONITOR object_add memory-backend-file,id=mem-nvhp,share=on,mem-path=@STATE@/nvhp.img,size=512M@@"
echo "@@MONITOR device_add nvdimm,id=nvhp,memdev=mem-nvhp,label-size=128K@@"
for i in $(seq 60); do
        systemctl is-active -q pmemnsd.service && break
        sleep 1
done
systemctl is-active -q pmemnsd.service || fail "the hot-added NVDIMM did not start pmemnsd.service"
log "pmemnsd.service started by the hot-added NVDIMM"
hot=""
for i in $(seq 60); do
        hot=$(ndctl list -R | jq -r '.[] | select(.size < 600000000) | .dev' 2>/dev/null || true)
        if [ -n "$hot" ] && [ "$(ndctl list -N -r "$hot" | jq -r '(.[0] // .).mode')" = sector ]; then
                break
        fi
        sleep 1
done
[ -n "$hot" ] || fail "no hot-added region"
[ "$(ndctl list -N -r "$hot" | jq -r '(.[0] // .).mode')" = sector ] || { ndctl list -RNv -r "$hot"; pmemnsd --plan; }
check_eq "$(ndctl list -N -r "$hot" | jq -r '(.[0] // .).mode')" sector "mode of the hot-added NVDIMM's namespace"
# the labelled region's policy namespaces are there too
for n in db dax.0 dax.1; do
        ndctl list -N | jq -e ".[] | select(.name == \"$n\")" >/dev/null || fail "policy namespace $n missing"
done
sleep 2
grep -q InterfacesAdded /tmp/monitor.txt || fail "no InterfacesAdded seen"
grep -q '/org/pmemnsd1/namespace/' /tmp/monitor.txt || fail "no namespace object announced"
log "InterfacesAdded seen"

# ---- introspection equals the installed interface XML -------------------------------------
members() {  # interface name, XML on stdin -> one member per line
        awk -v want="$1" '
                /<interface name=/ { inside = index($0, "\"" want "\"") > 0 }
                /<\/interface>/ { inside = 0 }
                inside && /<(property|method|signal|arg) / {
                        kind = $1; sub(/^</, "", kind)
                        name = ""; type = ""; dir = ""
                        if (match($0, /name="[^"]*"/)) name = substr($0, RSTART + 6, RLENGTH - 7)
                        if (match($0, /type="[^"]*"/)) type = substr($0, RSTART + 6, RLENGTH - 7)
                        if (match($0, /direction="[^"]*"/)) dir = substr($0, RSTART + 11, RLENGTH - 12)
                        if (kind == "arg" && dir == "" && last == "method") dir = "in"
                        if (kind != "arg") last = kind
                        print kind, name, type, dir
                }'
}
compare_iface() {  # interface path
        $B introspect --xml-interface org.pmemnsd1 "$2" | members "$1" > /tmp/live.txt
        members "$1" < "/usr/share/dbus-1/interfaces/$1.xml" > /tmp/xml.txt
        diff -u /tmp/xml.txt /tmp/live.txt || fail "$1 at $2 differs from its interface XML"
        [ -s /tmp/live.txt ] || fail "$1 has no members"
}
region_path=$($B --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects |
        jq -r '.data[0] | keys[] | select(startswith("/org/pmemnsd1/region/"))' | head -1)
ns_path=$($B --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects |
        jq -r '.data[0] | keys[] | select(startswith("/org/pmemnsd1/namespace/"))' | head -1)
compare_iface org.pmemnsd1.Manager /org/pmemnsd1
compare_iface org.pmemnsd1.Region "$region_path"
compare_iface org.pmemnsd1.Namespace "$ns_path"
log "introspection matches the interface XML"

# ---- GetManagedObjects agrees with ndctl list ------------------------------------------------
$B --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects > /tmp/gmo.json
ndctl list -RN > /tmp/nd.json
nregions=$(jq '[.data[0] | to_entries[] | select(.value["org.pmemnsd1.Region"])] | length' /tmp/gmo.json)
# ndctl prints one object or an array, per bus or not: look for devices at any depth
nd_regions() { jq -c '[.. | objects | select((.dev? // "") | startswith("region"))]' /tmp/nd.json; }
nd_ns() { jq -c ".. | objects | select(.dev? == \"$1\")" /tmp/nd.json; }
check_eq "$nregions" "$(nd_regions | jq length)" "number of regions"
for ns in $(jq -r '.. | objects | select((.dev? // "") | startswith("namespace")) | .dev' /tmp/nd.json); do
        path=/org/pmemnsd1/namespace/${ns//./_}
        obj=$(jq -c ".data[0][\"$path\"][\"org.pmemnsd1.Namespace\"]" /tmp/gmo.json)
        [ "$obj" != null ] || fail "$ns is not on the bus"
        nd=$(nd_ns "$ns")
        check_eq "$(echo "$obj" | jq -r .Mode.data)" "$(echo "$nd" | jq -r .mode)" "$ns Mode"
        check_eq "$(echo "$obj" | jq -r .UsableSize.data)" "$(echo "$nd" | jq -r .size)" "$ns UsableSize"
        check_eq "$(echo "$obj" | jq -r .Name.data)" "$(echo "$nd" | jq -r '.name // ""')" "$ns Name"
        check_eq "$(echo "$obj" | jq -r .Size.data)" "$(cat /sys/bus/nd/devices/$ns/size)" "$ns Size"
        bd=$(echo "$nd" | jq -r '.blockdev // empty')
        [ -z "$bd" ] || check_eq "$(echo "$obj" | jq -r .BlockDevice.data)" "/dev/$bd" "$ns BlockDevice"
        cd=$(echo "$nd" | jq -r '.chardev // empty')
        [ -z "$cd" ] || check_eq "$(echo "$obj" | jq -r .CharDevice.data)" "/dev/$cd" "$ns CharDevice"
done
for reg in $(nd_regions | jq -r '.[].dev'); do
        obj=$(jq -c ".data[0][\"/org/pmemnsd1/region/$reg\"][\"org.pmemnsd1.Region\"]" /tmp/gmo.json)
        [ "$obj" != null ] || fail "$reg is not on the bus"
        # every region here is an emulated NVDIMM: one DIMM each, no CXL memdevs
        check_eq "$(echo "$obj" | jq -r .Provider.data)" ACPI.NFIT "$reg Provider"
        check_eq "$(echo "$obj" | jq -c .Memdevs.data)" "[]" "$reg Memdevs"
        check_eq "$(echo "$obj" | jq -r .InterleaveWays.data)" "$(cat "/sys/bus/nd/devices/$reg/mappings")" \
                "$reg InterleaveWays"
        check_eq "$(echo "$obj" | jq -r .InterleaveWays.data)" 1 "$reg InterleaveWays"
done
pmemnsctl --json list --regions | jq -e '.regions[] | select(.provider == "ACPI.NFIT" and .interleave_ways == 1
                                                        and .memdevs == [])' >/dev/null ||
        fail "pmemnsctl --json list: no provider/interleave_ways/memdevs"
pmemnsctl list --regions | grep -qE ' ACPI\.NFIT +1 -$' || fail "pmemnsctl list: no provider, ways, memdevs columns"
log "GetManagedObjects agrees with ndctl list"

# ---- authorization ---------------------------------------------------------------------------
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody busctl get-property $MGR Version >/dev/null || fail "nobody cannot read properties"
nobody busctl call $MGR Plan >/dev/null || fail "nobody cannot call Plan"
nobody busctl call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects >/dev/null ||
        fail "nobody cannot call GetManagedObjects"
nobody pmemnsctl list >/dev/null || fail "nobody cannot run pmemnsctl list"
# the bus policy lets the four mutating calls through: the daemon refuses them itself (it
# logs each denial), here through polkit, which grants nobody anything (auth_admin_keep, no
# agent); tests/vm/cases/polkit.sh has the grants
denied() {  # method args...
        local out
        if out=$(nobody busctl call $MGR "$@" 2>&1); then fail "nobody may call $1"; fi
        echo "$out" | grep -qi "access denied" || fail "$1 as nobody: expected AccessDenied, got: $out"
        sleep 0.5
        journalctl -u pmemnsd --no-pager | grep -q "Denied $1() to uid 65534" ||
                fail "$1 as nobody was not refused by the daemon"
}
denied Apply
denied Reload
denied CreateNamespace ssta{sv} region0 fsdax 33554432 0
denied DestroyNamespace o "$ns_path"
out=$(nobody pmemnsctl apply 2>&1) && fail "nobody may run pmemnsctl apply"
echo "$out" | grep -q "needs root or a polkit grant of org.pmemnsd1.apply" ||
        fail "pmemnsctl apply as nobody: expected 'needs root or a polkit grant', got: $out"
log "authorization: reads and Plan open, the four mutating methods refused to nobody by the daemon"

# ---- bad arguments ----------------------------------------------------------------------------
bad() {  # expected-text method signature args...
        local want=$1 out; shift
        if out=$($B call $MGR "$@" 2>&1); then fail "accepted: $*"; fi
        echo "$out" | grep -q "$want" || fail "$*: expected '$want' in: $out"
}
main=$(nd_regions | jq -r '.[] | select(.size > 900000000) | .dev')
bad "invalid mode" CreateNamespace ssta{sv} "$main" fsdaxx 33554432 0
bad "greater than 0" CreateNamespace ssta{sv} "$main" fsdax 0 0
bad "exceeds" CreateNamespace ssta{sv} "$main" fsdax 18446744073709551615 0
bad "no region" CreateNamespace ssta{sv} region99 fsdax 33554432 0
bad "unknown option" CreateNamespace ssta{sv} "$main" fsdax 33554432 1 colour s red
bad "must be an unsigned" CreateNamespace ssta{sv} "$main" fsdax 33554432 1 align s 2M
bad "invalid align" CreateNamespace ssta{sv} "$main" fsdax 33554432 1 align t 12345
bad "below the 16M" CreateNamespace ssta{sv} "$main" fsdax 4096 0
bad "no namespace object" DestroyNamespace o /org/pmemnsd1/namespace/namespace9_9
bad "no namespace object" DestroyNamespace o /org/pmemnsd1/elsewhere
log "bad arguments get InvalidArgs with a reason"

# ---- destroyed behind the daemon's back: InterfacesRemoved, re-created by Apply ---------------
db=$(ndctl list -N | jq -r '.[] | select(.name == "db") | .dev')
ndctl destroy-namespace -f "$db"
sleep 3
grep -q InterfacesRemoved /tmp/monitor.txt || fail "no InterfacesRemoved after ndctl destroy-namespace"
$B --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects |
        jq -e ".data[0][\"/org/pmemnsd1/namespace/${db//./_}\"]" >/dev/null 2>&1 &&
        fail "$db is still on the bus"
$B --json=short call $MGR Apply | jq -r '.data[0][] | @tsv' > /tmp/apply.tsv
grep -qP '^create\tdb\t' /tmp/apply.tsv || fail "Apply did not re-create db: $(cat /tmp/apply.tsv)"
log "ndctl destroy-namespace behind the daemon's back: removed from the bus, re-created by Apply"

# ---- pmemnsctl ----------------------------------------------------------------------------------
# every command in text, --json (pretty), --json=short (one line) and --no-legend (no header);
# the JSON keys lower snake_case (issue 14 point 4)
for cmd in status list "list --regions" "list --namespaces" plan apply map; do
        pmemnsctl $cmd > /tmp/out.txt || fail "pmemnsctl $cmd failed"
        [ -s /tmp/out.txt ] || fail "pmemnsctl $cmd printed nothing"
        pmemnsctl --json $cmd > /tmp/out.json || fail "pmemnsctl --json $cmd failed"
        jq -e 'type == "object"' /tmp/out.json >/dev/null || fail "pmemnsctl --json $cmd: not a JSON object"
        pmemnsctl --json=short $cmd > /tmp/short.json || fail "pmemnsctl --json=short $cmd failed"
        check_eq "$(wc -l < /tmp/short.json)" 1 "lines of pmemnsctl --json=short $cmd"
        check_eq "$(jq -c . /tmp/short.json)" "$(jq -c . /tmp/out.json)" "pmemnsctl --json=short $cmd"
        notsnake=$(jq -r '[.. | objects | keys[]] | unique | .[] | select(test("^[a-z][a-z0-9_]*$") | not)' \
                /tmp/out.json)
        [ -z "$notsnake" ] || fail "pmemnsctl --json $cmd: keys not snake_case: $notsnake"
        case $cmd in status|list*|plan|apply)
                pmemnsctl --no-legend $cmd > /tmp/nolegend.txt || fail "pmemnsctl --no-legend $cmd failed"
                grep -qE '^(REGION|NAMESPACE|ACTION) ' /tmp/nolegend.txt && fail "pmemnsctl --no-legend $cmd: a header"
                grep -qE '^(REGION|NAMESPACE|ACTION) ' /tmp/out.txt || fail "pmemnsctl $cmd: no header"
        esac
done
# the fields, as ndctl names them, and sizes in bytes
pmemnsctl --json=short status | jq -e '(.granularity | type) == "number" and .state != null
        and (.policy_files | length) > 0 and (.regions | length) >= 2' >/dev/null || fail "pmemnsctl --json status"
mainj=$(pmemnsctl --json=short list --regions | jq -c --arg r "$main" '.regions[] | select(.dev == $r)')
check_eq "$(jq -r .size <<< "$mainj")" "$(cat /sys/bus/nd/devices/$main/size)" "list --json: $main size"
check_eq "$(jq -r .available_size <<< "$mainj")" "$(cat /sys/bus/nd/devices/$main/available_size)" \
        "list --json: $main available_size"
check_eq "$(jq -r .max_available_extent <<< "$mainj")" "$(cat /sys/bus/nd/devices/$main/max_available_extent)" \
        "list --json: $main max_available_extent"
jq -e '(.numa_node | type) == "number" and (.align | type) == "number" and .provider == "ACPI.NFIT"
        and (.labeled | type) == "boolean" and .policy == "main"' <<< "$mainj" >/dev/null || fail "list --json: $mainj"
dbj=$(pmemnsctl --json=short list --namespaces | jq -c '.namespaces[] | select(.name == "db")')
dbdev=$(jq -r .dev <<< "$dbj")
check_eq "$(jq -r .region <<< "$dbj")" "$main" "list --json: db region"
check_eq "$(jq -r .mode <<< "$dbj")" fsdax "list --json: db mode"
check_eq "$(jq -r .size <<< "$dbj")" "$(cat /sys/bus/nd/devices/$dbdev/size)" "list --json: db size"
check_eq "$(jq -r .block_device <<< "$dbj")" "/dev/$(ndctl list -N -n "$dbdev" | jq -r '(.[0] // .).blockdev')" \
        "list --json: db block_device"
jq -e '.usable_size > 0 and .policy == "db" and .state == "active" and (.start | type) == "number"' <<< "$dbj" \
        >/dev/null || fail "list --json: db: $dbj"
jq -e --arg r "$main" --arg d "$dbdev" '.regions[] | select(.dev == $r) | .namespaces | index($d) != null' \
        <<< "$(pmemnsctl --json=short list --regions)" >/dev/null || fail "list --json: $main does not list $dbdev"
pmemnsctl --json=short plan | jq -e --arg r "$main" '.rows | map(select(.instance == "db" and .region == $r
        and (.size | type) == "number" and has("usable_size") and has("start") and has("message"))) | length == 1' \
        >/dev/null || fail "pmemnsctl --json plan: no row of db"
pmemnsctl --json=short map "$main" | jq -e --arg d "$dbdev" '.regions | length == 1 and
        (.[0].layout | map(select(.dev == $d and .name == "db" and (.offset | type) == "number")) | length == 1)' \
        >/dev/null || fail "pmemnsctl --json map $main: no $dbdev in the layout"
# pmemnsd --plan --json: the same rows as pmemnsctl's (the daemon idle, so the same plan)
check_eq "$(pmemnsd --plan --json=short 2>/dev/null | jq -c '.rows | map(del(.message))')" \
        "$(pmemnsctl --json=short plan | jq -c '.rows | map(del(.message))')" "pmemnsd --plan --json rows"
# unknown objects and surplus arguments
if out=$(pmemnsctl map NOSUCH 2>&1); then fail "pmemnsctl map NOSUCH succeeded"; fi
check_match "$out" "NOSUCH" "pmemnsctl map NOSUCH's reason"
if out=$(pmemnsctl destroy NOSUCH 2>&1); then fail "pmemnsctl destroy NOSUCH succeeded"; fi
check_match "$out" "NOSUCH" "pmemnsctl destroy NOSUCH's reason"
if out=$(pmemnsctl apply --force 2>&1); then fail "pmemnsctl apply --force succeeded"; fi
if out=$(pmemnsctl status extra 2>&1); then fail "pmemnsctl status extra succeeded"; fi
[ "$(echo "$out" | wc -l)" = 1 ] || fail "error is not one line: $out"
log "pmemnsctl: snake_case JSON of status/list/plan/map, --json=short, --no-legend, unknown objects refused"
pmemnsctl status
path=$(pmemnsctl create --region "$main" --mode fsdax --size 40M --name adhoc) || fail "pmemnsctl create"
adhoc=$(ndctl list -N | jq -r '.[] | select(.name == "adhoc") | .dev')
[ -n "$adhoc" ] || fail "adhoc not created"
check_eq "$path" "/org/pmemnsd1/namespace/${adhoc//./_}" "object path of the new namespace"
# busy: a mounted fsdax namespace is refused
bdev=$(ndctl list -N -n "$adhoc" | jq -r '(.[0] // .).blockdev')
mkfs.ext4 -q -F -b 4096 "/dev/$bdev" && mkdir -p /mnt/a && mount "/dev/$bdev" /mnt/a
if out=$(pmemnsctl destroy "$adhoc" 2>&1); then fail "destroyed a mounted namespace"; fi
echo "$out" | grep -q busy || fail "busy refusal does not say so: $out"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "error is not one line: $out"
umount /mnt/a
pmemnsctl destroy "$adhoc" || fail "pmemnsctl destroy"
ndctl list -N | jq -e '.[] | select(.name == "adhoc")' >/dev/null && fail "adhoc still exists"
if out=$(pmemnsctl create --region "$main" --mode bogus --size 40M 2>&1); then fail "bogus mode accepted"; fi
[ "$(echo "$out" | wc -l)" = 1 ] || fail "error is not one line: $out"
# not running: stop and mask, so D-Bus activation cannot start it either
systemctl stop pmemnsd.service
systemctl mask --runtime pmemnsd.service
if out=$(pmemnsctl status 2>&1); then fail "pmemnsctl status succeeded without the daemon"; fi
[ "$(echo "$out" | wc -l)" = 1 ] || fail "error is not one line: $out"
echo "without the daemon: $out"
systemctl unmask --runtime pmemnsd.service
kill $MON 2>/dev/null || true
MANPAGER=cat man pmemnsctl 2>/dev/null | grep -q "query and drive pmemnsd" || fail "man pmemnsctl does not render"
MANPAGER=cat man 5 pmemnsd.conf 2>/dev/null | grep -q "usable-size" || fail "man 5 pmemnsd.conf does not render"
echo "PASS dbus"
