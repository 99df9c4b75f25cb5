#!/bin/bash
# Hostile D-Bus input (issue 5 item 4): malformed calls to every method of
# org.pmemnsd1.Manager and to org.freedesktop.DBus.Properties on the Manager, a Region and a
# Namespace object: wrong signatures, missing and extra arguments, empty, huge (100 KB) and
# control-character strings, a{sv} with thousands of entries, unknown, duplicated and
# wrongly typed options, absurd sizes, paths that are valid syntax but not ours, Set on
# read-only properties, methods and interfaces that do not exist.
#
# Every call must come back with a D-Bus error (never a hang: busctl --timeout=30), the
# daemon must keep its PID (no crash, no restart), the kernel's view (ndctl list -RNv) must
# not change and the journal must show no crash or assertion. The caller is root here (the
# authorization check is vm-dbus's business), so every argument reaches the daemon's code.
#
# What cannot be sent: invalid UTF-8 and NUL bytes in strings, invalid object path or
# signature syntax, interface or member names that are not valid names. libsystemd refuses
# to build such messages (busctl fails before sending) and dbus-daemon drops them if another
# client did; the daemon never sees them.
#
# The policy fills the region completely (a raw namespace with size = rest): a call whose
# arguments are acceptable (a size that is not a multiple of the granularity is rounded up,
# by design) then fails for want of room instead of creating something; each call's error
# text is checked, so a call that should have been refused on its arguments but got as far
# as the allocator is still noticed.
#
# Then text the daemon did not write (issue 10 item 8): a policy file named 20-caf\xe9.conf
# (Latin-1, not UTF-8) and foreign namespaces labelled bad\xffname and esc<ESC>[2Jctl, made in
# the space of the raw namespace: status, list, plan, apply, reload, GetManagedObjects and
# Plan all answer, with the invalid bytes written as \xNN and pmemnsctl's text output free of
# control characters; a rejected config whose file name and value are not UTF-8 is
# answered with the reason. And a root caller whose call is read only after it disconnected
# (issue 10 item 12) is refused, logged as such (not as uid -1), and nothing is applied.
set -euo pipefail
. /pmemnsd-test/guest-lib.sh
FAULTS=${1:-} # "faults": a -Dfault-injection=true build (PMEMNSD_FAULT works)

B="busctl --timeout=30"
D=org.pmemnsd1
MP=/org/pmemnsd1
MI=org.pmemnsd1.Manager
PI=org.freedesktop.DBus.Properties

systemctl stop pmemnsd.service 2>/dev/null || true
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = auto\n' > /etc/pmemnsd/pmemnsd.conf
cat > /etc/pmemnsd/policy.d/50-hostile.conf <<'CONF'
[region main]
match.provider = ACPI.NFIT

[namespace db]
region = main
mode = fsdax
size = 64M

[namespace dax]
region = main
mode = devdax
size = 34M
count = 2

[namespace blk]
region = main
mode = sector
size = 32M

[namespace fill]
region = main
mode = raw
size = rest
CONF
systemctl start pmemnsd.service || fail "pmemnsd did not start"
for n in db dax.0 dax.1 blk fill; do
        ndctl list -N | jq -e ".[] | select(.name == \"$n\")" >/dev/null || fail "policy namespace $n missing"
done
REGION=$(nd_regions | jq -r '.[0].dev')
RSIZE=$(nd_regions | jq -r '.[0].size')
check_eq "$(nd_regions | jq -r '.[0].available_size')" 0 "available size of the filled $REGION"
ns_dev() { ndctl list -N | jq -r ".[] | select(.name == \"$1\") | .dev"; }
DB=$(ns_dev db)
DBPATH=$MP/namespace/${DB//./_}
RPATH=$MP/region/$REGION
SEED=$(nd_attr "$REGION" namespace_seed)
log "region $REGION ($RSIZE bytes), db is $DB, namespace seed $SEED"

snapshot() { ndctl list -RNv | jq -S .; }
BEFORE=$(snapshot)
PID=$(systemctl show -p MainPID --value pmemnsd.service)
NRESTARTS=$(systemctl show -p NRestarts --value pmemnsd.service)
SINCE=$(date '+%Y-%m-%d %H:%M:%S')
check_ne "$PID" 0 "MainPID"

CALLS=0 ERRORS=0 LAX=0 TOLERATED=0
PROBLEMS=()
# try LABEL WANT BUSCTL-ARGS...: one call that must fail with a D-Bus error whose text
# matches the extended regex WANT. With LAX_WANT set, an error matching it instead is
# counted as lax: refused, but not for the reason it should have been.
try() {
        local label=${1//$'\n'/\\n} want=$2 out rc
        shift 2
        CALLS=$((CALLS + 1))
        rc=0
        # "--": arguments such as -1 are not busctl options
        out=$(timeout 60 $B -- "$@" 2>&1) || rc=$?
        out=${out//$'\n'/\\n}
        if [ $rc = 0 ] && [ -n "${TOLERATE:-}" ]; then
                TOLERATED=$((TOLERATED + 1))
                echo "~~ $label: answered (${out:0:100}); $TOLERATE"
                return 0
        fi
        if [ $rc = 0 ]; then
                PROBLEMS+=("$label: accepted (${out:0:200})")
                echo "!! $label: ACCEPTED ${out:0:200}"
                return 0
        fi
        if [ $rc = 124 ] || [[ $out =~ [Tt]imed\ out|[Tt]imeout ]]; then
                PROBLEMS+=("$label: no answer within 30 s ($out)")
                echo "!! $label: NO ANSWER"
                return 0
        fi
        ERRORS=$((ERRORS + 1))
        echo "   $label: ${out:0:220}"
        if ! [[ $out =~ $want ]] && [ -n "${LAX_WANT:-}" ] && [[ $out =~ $LAX_WANT ]]; then
                LAX=$((LAX + 1))
                echo "~~ $label: refused, but only for: ${out:0:100}"
        elif ! [[ $out =~ $want ]]; then
                PROBLEMS+=("$label: expected /$want/, got: ${out:0:300}")
                echo "!! $label: unexpected error text"
        fi
}
mgr() { local l=$1 w=$2; shift 2; try "$l" "$w" call $D $MP $MI "$@"; }
create() { local l=$1 w=$2; shift 2; mgr "$l" "$w" CreateNamespace ssta{sv} "$@"; }
alive() { $B get-property $D $MP $MI Version >/dev/null || fail "the daemon does not answer after $1"; }

sigerr() { echo "Invalid arguments '$1' to call $MI\\.$2\\(\\), expecting '$3'"; }
H=$(head -c 102400 /dev/zero | tr '\0' a)    # 100 KB (argv allows 128 KiB per argument)
# object paths: libsystemd refuses to build one longer than 64 KiB (BUS_PATH_SIZE_MAX)
P=$(head -c 60000 /dev/zero | tr '\0' a)
M16=$((16 * MiB)) M32=$((32 * MiB))

# ---- wrong signatures, missing and extra arguments: every Manager method --------------------------
log "wrong signatures"
for m in Plan Apply Reload; do
        mgr "$m(s)" "$(sigerr s $m '')" $m s x
        mgr "$m(t)" "$(sigerr t $m '')" $m t 1
        mgr "$m(as)" "$(sigerr as $m '')" $m as 2 a b
        mgr "$m(a{sv})" "$(sigerr 'a\{sv\}' $m '')" $m a{sv} 1 force v b true
done
CS='ssta\{sv\}'
mgr "CreateNamespace()" "$(sigerr '' CreateNamespace "$CS")" CreateNamespace
mgr "CreateNamespace(s)" "$(sigerr s CreateNamespace "$CS")" CreateNamespace s "$REGION"
mgr "CreateNamespace(ss)" "$(sigerr ss CreateNamespace "$CS")" CreateNamespace ss "$REGION" fsdax
mgr "CreateNamespace(sst)" "$(sigerr sst CreateNamespace "$CS")" CreateNamespace sst "$REGION" fsdax $M32
mgr "CreateNamespace(sss)" "$(sigerr sss CreateNamespace "$CS")" CreateNamespace sss a b c
mgr "CreateNamespace(ssss)" "$(sigerr ssss CreateNamespace "$CS")" CreateNamespace ssss "$REGION" fsdax 32M ""
mgr "CreateNamespace(ssua{sv})" "$(sigerr 'ssua\{sv\}' CreateNamespace "$CS")" CreateNamespace ssua{sv} "$REGION" fsdax $M32 0
mgr "CreateNamespace(ssxa{sv})" "$(sigerr 'ssxa\{sv\}' CreateNamespace "$CS")" CreateNamespace ssxa{sv} "$REGION" fsdax -1 0
mgr "CreateNamespace(ssta{ss})" "$(sigerr 'ssta\{ss\}' CreateNamespace "$CS")" CreateNamespace ssta{ss} "$REGION" fsdax $M32 1 name x
mgr "CreateNamespace(sstas)" "$(sigerr sstas CreateNamespace "$CS")" CreateNamespace sstas "$REGION" fsdax $M32 1 x
mgr "CreateNamespace(ssta{sv}s)" "$(sigerr 'ssta\{sv\}s' CreateNamespace "$CS")" CreateNamespace ssta{sv}s "$REGION" fsdax $M32 0 extra
mgr "CreateNamespace((ssta{sv}))" "$(sigerr '\(ssta\{sv\}\)' CreateNamespace "$CS")" CreateNamespace "(ssta{sv})" "$REGION" fsdax $M32 0
mgr "CreateNamespace(v)" "$(sigerr v CreateNamespace "$CS")" CreateNamespace v s "$REGION"
mgr "DestroyNamespace()" "$(sigerr '' DestroyNamespace o)" DestroyNamespace
mgr "DestroyNamespace(s /x)" "$(sigerr s DestroyNamespace o)" DestroyNamespace s /x
mgr "DestroyNamespace(s db)" "$(sigerr s DestroyNamespace o)" DestroyNamespace s "$DBPATH"
mgr "DestroyNamespace(oo)" "$(sigerr oo DestroyNamespace o)" DestroyNamespace oo "$DBPATH" "$DBPATH"
mgr "DestroyNamespace(ao)" "$(sigerr ao DestroyNamespace o)" DestroyNamespace ao 1 "$DBPATH"
mgr "DestroyNamespace(g)" "$(sigerr g DestroyNamespace o)" DestroyNamespace g o
mgr "DestroyNamespace(t)" "$(sigerr t DestroyNamespace o)" DestroyNamespace t 0
mgr "DestroyNamespace(v)" "$(sigerr v DestroyNamespace o)" DestroyNamespace v o "$DBPATH"
alive "wrong signatures"
[ -n "$(ns_dev db)" ] || fail "db vanished"

# ---- CreateNamespace: bad regions and modes ---------------------------------------------------------
log "CreateNamespace: regions, modes"
NOREG="no region"
for r in "" region region99 "$REGION " " $REGION" "${REGION^^}" "$REGION"$'\n' "$REGION/" "../$REGION" \
         "region*" "*" "$DB" "$SEED" ndbus0 nmem0 "$REGION"$'\t\x01\x1b[31m' "$H"; do
        create "region '${r:0:24}'" "$NOREG" "$r" fsdax $M32 0
done
BADMODE="invalid mode"
for m in "" FSDAX "fsdax " " fsdax" $'fsdax\n' memory dax pfn btt blk pmem "raw;reboot" $'\x1b]0;x\x07' "$H"; do
        create "mode '${m:0:24}'" "$BADMODE" "$REGION" "$m" $M32 0
done

# ---- CreateNamespace: absurd sizes --------------------------------------------------------------------
log "CreateNamespace: sizes"
ZERO="greater than 0"
EXCEEDS="exceeds"
SMALL="below the 16M|16M"
NOROOM="no room|not enough|no space|available|fit"
create "size 0" "$ZERO" "$REGION" fsdax 0 0
for s in 1 4095 4096 4097 $((2 * MiB)) $((M16 - 1)) $((M16 - 4096)); do
        create "size $s" "$SMALL" "$REGION" fsdax "$s" 0
done
for s in 18446744073709551615 9223372036854775808 9223372036854775807 18446744073709547520 \
         $((RSIZE + 1)) $((RSIZE + 2 * MiB)) $((1 << 40)); do
        create "size $s" "$EXCEEDS" "$REGION" fsdax "$s" 0
done
# acceptable sizes (rounded up to the granularity) in a full region
for s in $((M16 + 1)) $((M16 + 4096)) $((M32 + 512)) $((M32 + MiB)) $M32 "$RSIZE" $((RSIZE - 4096)); do
        create "size $s (full region)" "$NOROOM" "$REGION" fsdax "$s" 0
done
for mode in devdax sector raw; do
        create "size 1 $mode" "$SMALL|$NOROOM" "$REGION" $mode 1 0
        create "size 2^64-1 $mode" "$EXCEEDS" "$REGION" $mode 18446744073709551615 0
done
alive "bad sizes"

# ---- CreateNamespace: options ---------------------------------------------------------------------------
log "CreateNamespace: options"
UNKNOWN="unknown option"
for k in "" colour Name NAME "name " " name" "name"$'\n' sector_size sectorsize size mode region \
         "align\t" "$H"; do
        create "option key '${k:0:24}'" "$UNKNOWN" "$REGION" fsdax $M32 1 "$k" s x
done
WANTS="must be a string"
WANTT="must be an unsigned"
create "name as t" "$WANTS" "$REGION" fsdax $M32 1 name t 1
create "name as as" "$WANTS" "$REGION" fsdax $M32 1 name as 1 x
create "name as v(s)" "$WANTS" "$REGION" fsdax $M32 1 name v s x
create "name as b" "$WANTS" "$REGION" fsdax $M32 1 name b true
create "name as o" "$WANTS" "$REGION" fsdax $M32 1 name o /x
create "map as b" "$WANTS" "$REGION" fsdax $M32 1 map b false
create "map as y" "$WANTS" "$REGION" fsdax $M32 1 map y 1
create "align as s" "$WANTT" "$REGION" fsdax $M32 1 align s 2M
create "align as u" "$WANTT" "$REGION" fsdax $M32 1 align u 2097152
create "align as x" "$WANTT" "$REGION" fsdax $M32 1 align x 2097152
create "align as i -1" "$WANTT" "$REGION" fsdax $M32 1 align i -1
create "align as d" "$WANTT" "$REGION" fsdax $M32 1 align d 2097152.0
create "align as a{sv}" "$WANTT" "$REGION" fsdax $M32 1 align a{sv} 0
create "sector-size as s" "$WANTT" "$REGION" sector $M32 1 sector-size s 4096
create "sector-size as q" "$WANTT" "$REGION" sector $M32 1 sector-size q 512
for a in 0 1 512 4095 8192 65536 $MiB $((2 * MiB + 1)) $((4 * MiB)) $((512 * MiB)) $((2 * GiB)) \
         $((16 * GiB)) 18446744073709551615; do
        create "align $a" "invalid align" "$REGION" fsdax $M32 1 align t "$a"
done
create "align 2M on sector" "apply only to fsdax and devdax" "$REGION" sector $M32 1 align t $((2 * MiB))
create "align 4K on raw" "apply only to fsdax and devdax" "$REGION" raw $M32 1 align t 4096
create "map mem on raw" "apply only to fsdax and devdax" "$REGION" raw $M32 1 map s mem
for v in "" DEV Mem pmem device ram "dev " $'dev\n' "dev,mem" "$H"; do
        create "map '${v:0:24}'" "invalid map" "$REGION" fsdax $M32 1 map s "$v"
done
for v in 0 1 511 513 1024 2048 4097 8192 65536 18446744073709551615; do
        create "sector-size $v" "invalid sector-size" "$REGION" sector $M32 1 sector-size t "$v"
done
create "sector-size 4096 on fsdax" "applies only to sector" "$REGION" fsdax $M32 1 sector-size t 4096
N64=$(printf 'n%.0s' $(seq 64)) N65=$(printf 'n%.0s' $(seq 65))
BADNAME="invalid name"
for n in "" "$N64" "$N65" "$H" a/b ../x / "a b" " " $'a\nb' $'\t' $'\x01' $'\x7f' $'\x1b[2J' "a;b" \
         'a$b' "name*" "na:me" "é" "ns€" "-"$'\r'; do
        create "name '$(printf '%q' "${n:0:24}")'" "$BADNAME" "$REGION" fsdax $M32 1 name s "$n"
done
create "name of an existing namespace" "already has a namespace named" "$REGION" fsdax $M32 1 name s db
create "63-character name (full region)" "$NOROOM" "$REGION" fsdax $M32 1 name s "${N64:1}"

log "CreateNamespace: duplicated options"
# a repeated key is an error, as in the config files (not "last one wins")
DUP="given twice"
create "name twice" "$DUP" "$REGION" fsdax $M32 2 name s a name s b
create "name twice (same)" "$DUP" "$REGION" fsdax $M32 2 name s a name s a
create "align twice" "$DUP" "$REGION" fsdax $M32 2 align t 4096 align t $((2 * MiB))
create "map twice" "$DUP" "$REGION" fsdax $M32 2 map s dev map s mem
create "sector-size twice" "$DUP" "$REGION" sector $M32 2 sector-size t 512 sector-size t 4096
LAX_WANT=
create "good option then bad name" "$BADNAME" "$REGION" fsdax $M32 2 map s dev name s a/b

log "CreateNamespace: a{sv} with thousands of entries"
big=()
for ((i = 0; i < 5000; i++)); do big+=("k$i" s v); done
create "5000 unknown keys" "$UNKNOWN" "$REGION" fsdax $M32 5000 "${big[@]}"
big=()
for ((i = 0; i < 5000; i++)); do big+=(align t $((2 * MiB))); done
create "5000 x align" "$DUP" "$REGION" fsdax $M32 5000 "${big[@]}"
big=()
for ((i = 0; i < 4000; i++)); do big+=(name s "n$i"); done
create "4000 x name" "$DUP" "$REGION" fsdax $M32 4000 "${big[@]}"
big=()
for ((i = 0; i < 3000; i++)); do big+=(map s dev); done
big+=(map s bogus)
create "3000 x map, then a bad one" "$DUP" "$REGION" fsdax $M32 3001 "${big[@]}"
unset big
alive "bad options"

# ---- DestroyNamespace: paths of valid syntax that are not ours -------------------------------------------
log "DestroyNamespace: paths"
NONS="no namespace object"
for p in / /org /org/pmemnsd1 "$RPATH" $MP/region $MP/namespace $MP/namespace/namespace9_9 \
         "$MP/namespace/${SEED//./_}" "$MP/namespace/$(tr a-z A-Z <<< "${DB//./_}")" "${DBPATH^^}" "$DBPATH/sub" "${DBPATH}_" \
         "$MP/namespace/_${DB//./_}" $MP/namespace/_ $MP/namespace/x "$MP/region/${DB//./_}" \
         "$MP/namespace/$REGION" "/org/pmemnsd1x/namespace/${DB//./_}" "/x$DBPATH" \
         "$MP/namespace/${DB//./_}_${DB//./_}" "$MP/namespace/$P" "/$P"; do
        mgr "DestroyNamespace ${p:0:48}" "$NONS" DestroyNamespace o "$p"
done
alive "bad paths"
[ -n "$(ns_dev db)" ] || fail "db vanished"

# ---- Properties on the Manager, a Region and a Namespace --------------------------------------------------
log "Properties"
RO="read-only|not writable"
NOPROP="[Uu]nknown (property|interface)|does not exist|[Nn]o such"
prop() { local l=$1 w=$2 path=$3; shift 3; try "$l" "$w" call $D "$path" $PI "$@"; }
for v in "Version s 9.9" "KernelRelease s x" "SubsectionHotplug b false" "SubsectionSize t 0" \
         "SectionSize t 1" "MemoryBlockSize t 0" "Granularity t 4096" "PolicyFiles as 1 /etc/passwd" \
         "State s idle" "Version t 1" "Granularity s 2M"; do
        # shellcheck disable=SC2086 # the words are the property, its type and its value
        set -- $v
        prop "Set Manager.$1 ($2)" "$RO" $MP Set ssv $MI "$@"
done
for v in "Size t 0" "Align t 4096" "Policy s main" "Namespaces ao 0" "NumaNode i -1" "Labeled b false" \
         "Device s region7"; do
        # shellcheck disable=SC2086
        set -- $v
        prop "Set Region.$1" "$RO" "$RPATH" Set ssv org.pmemnsd1.Region "$@"
done
for v in "Name s evil" "Mode s raw" "Size t 0" "State s active" "Error s x" "Region o /" "UUID s x" \
         "Policy s db"; do
        # shellcheck disable=SC2086
        set -- $v
        prop "Set Namespace.$1" "$RO" "$DBPATH" Set ssv org.pmemnsd1.Namespace "$@"
done
prop "Set Manager.Nope" "$NOPROP" $MP Set ssv $MI Nope s x
prop "Set Namespace.Name on the Manager" "$NOPROP" $MP Set ssv org.pmemnsd1.Namespace Name s x
prop "Get Manager.Nope" "$NOPROP" $MP Get ss $MI Nope
prop "Get Manager.version" "$NOPROP" $MP Get ss $MI version
prop "Get Manager.Version, no interface" "$NOPROP" $MP Get ss "" Version
prop "Get Manager.Version, lower-case interface" "$NOPROP" $MP Get ss org.pmemnsd1.manager Version
prop "Get 100 KB property" "$NOPROP" $MP Get ss $MI "$H"
prop "Get 100 KB interface" "$NOPROP" $MP Get ss "$H" Version
prop "Get Region.Size on the Manager" "$NOPROP" $MP Get ss org.pmemnsd1.Region Size
prop "Get Manager.Version on a Region" "$NOPROP" "$RPATH" Get ss $MI Version
prop "Get Namespace.Mode on a Region" "$NOPROP" "$RPATH" Get ss org.pmemnsd1.Namespace Mode
prop "Get Region.Size on a Namespace" "$NOPROP" "$DBPATH" Get ss org.pmemnsd1.Region Size
prop "Get Namespace.Nope" "$NOPROP" "$DBPATH" Get ss org.pmemnsd1.Namespace Nope
# Properties is libsystemd's own code: it reads the arguments it wants and checks
# writability before the value's presence
ARGS="Invalid arguments|Expected (interface|no) (and member )?param"
prop "Get (s)" "$ARGS" $MP Get s $MI
prop "Get (st)" "$ARGS" $MP Get st $MI 1
prop "Get (ts)" "$ARGS" $MP Get ts 1 Version
prop "Set (ss)" "$ARGS|$RO" $MP Set ss $MI Version
prop "Set (sss)" "$ARGS|$RO" $MP Set sss $MI Version x
prop "Set (s)" "$ARGS" $MP Set s $MI
prop "GetAll ()" "$ARGS" $MP GetAll
prop "GetAll (t)" "$ARGS" $MP GetAll t 1
prop "GetAll unknown interface" "$NOPROP" $MP GetAll s org.pmemnsd1.Nope
prop "GetAll 100 KB interface" "$NOPROP" $MP GetAll s "$H"
prop "GetAll Region on the Manager" "$NOPROP" $MP GetAll s org.pmemnsd1.Region
prop "GetAll Manager on a Region" "$NOPROP" "$RPATH" GetAll s $MI
prop "GetAll Manager on a Namespace" "$NOPROP" "$DBPATH" GetAll s $MI
prop "GetAll on a region that does not exist" "[Uu]nknown|does not exist|no region" \
        $MP/region/region99 GetAll s org.pmemnsd1.Region
prop "Get on a namespace that does not exist" "[Uu]nknown|does not exist|no namespace" \
        $MP/namespace/namespace9_9 Get ss org.pmemnsd1.Namespace Mode
prop "Get on the seed namespace" "[Uu]nknown|does not exist|no namespace" \
        "$MP/namespace/${SEED//./_}" Get ss org.pmemnsd1.Namespace Mode
alive "property calls"

# ---- methods and interfaces that do not exist --------------------------------------------------------------
log "unknown methods and interfaces"
NOMETHOD="[Uu]nknown (method|interface|object)|does not (exist|understand)|[Nn]o such"
try "Manager.Frobnicate" "$NOMETHOD" call $D $MP $MI Frobnicate
try "Manager.plan" "$NOMETHOD" call $D $MP $MI plan
try "Manager.Destroy" "$NOMETHOD" call $D $MP $MI Destroy o "$DBPATH"
try "Manager2.Plan" "$NOMETHOD" call $D $MP org.pmemnsd1.Manager2 Plan
try "org.pmemnsd1.Plan" "$NOMETHOD" call $D $MP org.pmemnsd1 Plan
try "Region.Plan on the Manager" "$NOMETHOD" call $D $MP org.pmemnsd1.Region Plan
try "Manager.Plan on a Region" "$NOMETHOD" call $D "$RPATH" $MI Plan
try "Manager.DestroyNamespace on a Namespace" "$NOMETHOD" call $D "$DBPATH" $MI DestroyNamespace o "$DBPATH"
try "Namespace.Destroy" "$NOMETHOD" call $D "$DBPATH" org.pmemnsd1.Namespace Destroy
try "Properties.Frob" "$NOMETHOD" call $D $MP $PI Frob
try "Manager.Plan on /org/pmemnsd1/nope" "$NOMETHOD" call $D $MP/nope $MI Plan
try "Manager.Plan on /" "$NOMETHOD" call $D / $MI Plan
try "GetManagedObjects(s)" "$ARGS" call $D $MP org.freedesktop.DBus.ObjectManager GetManagedObjects s x
try "GetManagedObjects on a Region" "$NOMETHOD" call $D "$RPATH" org.freedesktop.DBus.ObjectManager GetManagedObjects
try "Introspect(s)" "$ARGS" call $D $MP org.freedesktop.DBus.Introspectable Introspect s x
alive "unknown methods"

# ---- extra arguments that libsystemd's built-in handlers ignore (not pmemnsd's code): any
#      answer will do, as long as there is one and the daemon lives ------------------------------------
log "trailing arguments to libsystemd's handlers"
TOLERATE="libsystemd ignores trailing arguments here"
prop "Get (sss)" "$ARGS" $MP Get sss $MI Version x
prop "GetAll (ss)" "$ARGS" $MP GetAll ss $MI x
try "Ping(t)" "$ARGS" call $D $MP org.freedesktop.DBus.Peer Ping t 1
TOLERATE=

# ---- callers that vanish before the answer, and many at once ---------------------------------------------
log "callers that vanish, concurrent callers"
for i in 1 2 3 4 5; do
        (timeout -s KILL 0.$i busctl -- call $D $MP $MI Plan >/dev/null 2>&1) 2>/dev/null || true
        (timeout -s KILL 0.$i busctl -- call $D $MP $MI CreateNamespace ssta{sv} "$REGION" fsdax $M32 0 \
                >/dev/null 2>&1) 2>/dev/null || true
done
pids=()
for i in $(seq 16); do
        ( out=$(timeout 120 $B -- call $D $MP $MI CreateNamespace ssta{sv} "$REGION" fsdax $M32 1 align t $i 2>&1) &&
                { echo "concurrent call $i accepted: $out"; exit 1; }
          [[ $out =~ "invalid align" ]] || { echo "concurrent call $i: $out"; exit 1; } ) &
        pids+=($!)
done
for p in "${pids[@]}"; do
        CALLS=$((CALLS + 1))
        if wait "$p"; then ERRORS=$((ERRORS + 1)); else PROBLEMS+=("concurrent call (pid $p) not refused as expected"); fi
done
alive "vanished and concurrent callers"

# ---- afterwards: same process, same kernel state, a clean journal ------------------------------------------
sleep 1
check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$PID" "MainPID after the hostile calls"
check_eq "$(systemctl show -p NRestarts --value pmemnsd.service)" "$NRESTARTS" "NRestarts after the hostile calls"
systemctl is-active -q pmemnsd.service || fail "pmemnsd.service is not active"
AFTER=$(snapshot)
[ "$BEFORE" = "$AFTER" ] || { diff <(echo "$BEFORE") <(echo "$AFTER") || true; fail "ndctl list -RNv changed"; }
check_eq "$(ndctl list -N | jq length)" 5 "number of namespaces"
CRASH='assert|Assertion|segfault|SIGSEGV|SIGABRT|SIGBUS|core dump|dumped core|Aborted|Main process exited|Failed with result|[Ww]atchdog|double free|corrupted|stack smashing'
if journalctl -u pmemnsd --since "$SINCE" --no-pager -o cat | grep -E "$CRASH"; then
        fail "the journal shows a crash"
fi
if journalctl -k --since "$SINCE" --no-pager -o cat | grep -E "pmemnsd.*(segfault|trap)"; then
        fail "the kernel log shows a crash of pmemnsd"
fi
# the daemon still works: a Plan shows the five policy namespaces adopted
check_eq "$($B --json=short call $D $MP $MI Plan | jq '[.data[0][] | select(.[0] == "adopt")] | length')" 5 \
        "adopted rows in a Plan after the hostile calls"
log "journal lines of pmemnsd during the test: $(journalctl -u pmemnsd --since "$SINCE" --no-pager -o cat | wc -l)"

echo "HOSTILE calls=$CALLS errors=$ERRORS lax=$LAX tolerated=$TOLERATED problems=${#PROBLEMS[@]}"
check_eq "$LAX" 0 "calls refused for another reason than the expected one"
if [ ${#PROBLEMS[@]} -gt 0 ]; then
        printf 'PROBLEM: %s\n' "${PROBLEMS[@]}"
        fail "${#PROBLEMS[@]} of $CALLS hostile calls were not refused as expected"
fi
check_eq "$((ERRORS + TOLERATED))" "$CALLS" "calls answered with an error"

# ---- a root caller that disconnects right after its call (issue 10 item 12) ----------------------------------
# The daemon is stopped while busctl sends Apply without waiting for the answer and exits,
# so the call is read after the bus forgot its sender: the credentials cannot be read.
log "a caller that disconnected before its credentials could be read"
SINCE12=$(date '+%Y-%m-%d %H:%M:%S')
journal_has() { journalctl -u pmemnsd --since "$1" --no-pager -o cat | grep -Eq "$2"; }
MON=/run/pmemnsd-test-applied.json
timeout -s INT 300 stdbuf -oL busctl monitor --json=short \
        --match "type='signal',interface='$MI',member='Applied'" > $MON 2>/dev/null &
MONPID=$!
sleep 2
applied_signals() { grep -c '"Applied"' $MON || true; }
monitor_saw_applied() { [ "$(applied_signals)" -ge 1 ]; }
check_eq "$(applied_signals)" 0 "Applied signals before the call"
kill -STOP "$PID"
busctl --expect-reply=no -- call $D $MP $MI Apply || { kill -CONT "$PID"; fail "busctl could not send Apply"; }
sleep 1
kill -CONT "$PID"
GONE='Denied Apply\(\): the caller \(sender :[0-9]+\.[0-9]+\) disconnected before its credentials could be read'
wait_for 30 journal_has "$SINCE12" "$GONE" || {
        journalctl -u pmemnsd --since "$SINCE12" --no-pager -o cat | tail -5
        fail "no 'Denied Apply(): the caller ... disconnected' in the journal"
}
journalctl -u pmemnsd --since "$SINCE12" --no-pager -o cat | grep -E 'Denied Apply' | head -3
alive "a caller that disconnected"
sleep 2
check_eq "$(applied_signals)" 0 "Applied signals after the refused Apply (it must not run)"
# the monitor does see an Apply that runs
pmemnsctl apply >/dev/null || fail "pmemnsctl apply"
wait_for 10 monitor_saw_applied || fail "busctl monitor saw no Applied signal after pmemnsctl apply"
kill -INT $MONPID 2>/dev/null || true
wait $MONPID 2>/dev/null || true
if journalctl -u pmemnsd --since "$SINCE" --no-pager -o cat | grep -E 'uid -1'; then
        fail "a caller is logged as uid -1"
fi

# ---- names that are not UTF-8, names with control characters (issue 10 item 8) ----------------------------
log "names that are not UTF-8 and names with control characters"
SINCE8=$(date '+%Y-%m-%d %H:%M:%S')
CAFE=/etc/pmemnsd/policy.d/20-caf$'\xe9'.conf
BADNAME=$'bad\xffname' CTLNAME=$'esc\x1b[2Jctl'
BADSHOWN='bad\xffname' CTLSHOWN='esc\x1b[2Jctl'   # as the bus and pmemnsctl write them
printf '# the name of this file is not UTF-8 (Latin-1 e acute)\n' > "$CAFE"
# make room: the raw namespace that filled the region is no longer a policy's
sed -i '/^\[namespace fill\]/,$d' /etc/pmemnsd/policy.d/50-hostile.conf
out=$(timeout 60 pmemnsctl reload 2>&1) || fail "pmemnsctl reload with a policy file named 20-caf\\xe9.conf: $out"
FILL=$(ns_dev fill)
[ -n "$FILL" ] || fail "the raw namespace fill is gone"
ndctl destroy-namespace -f "$FILL" >/dev/null 2>&1 || fail "ndctl destroy-namespace $FILL"
# ns_with_label NAME: the namespace whose label name is NAME, from sysfs (byte for byte)
ns_with_label() {
        local d n
        for d in /sys/bus/nd/devices/namespace*; do
                n=$(cat "$d/alt_name" 2>/dev/null) || continue
                [ "$n" = "$1" ] && [ "$(cat "$d/size")" != 0 ] && { basename "$d"; return 0; }
        done
        return 1
}
for name in "$BADNAME" "$CTLNAME"; do
        ndctl create-namespace -r "$REGION" -m raw -s 32M -n "$name" >/dev/null 2>&1 ||
                fail "ndctl create-namespace -n $(printf '%q' "$name")"
done
BADDEV=$(ns_with_label "$BADNAME") || fail "no namespace labelled bad\\xffname"
CTLDEV=$(ns_with_label "$CTLNAME") || fail "no namespace labelled esc\\x1b[2Jctl"
log "labels: $BADDEV $(od -An -c "/sys/bus/nd/devices/$BADDEV/alt_name" | tr -s ' '), $CTLDEV $(od -An -c "/sys/bus/nd/devices/$CTLDEV/alt_name" | tr -s ' ')"

# GetManagedObjects (busctl, not pmemnsctl): the names as the bus carries them
bus_names() {
        $B --json=short call $D $MP org.freedesktop.DBus.ObjectManager GetManagedObjects |
                jq -r '.data[0][] | .["org.pmemnsd1.Namespace"].Name.data // empty'
}
bus_has_name() { bus_names 2>/dev/null | grep -qxF -- "$1"; }
wait_for 30 bus_has_name "$BADSHOWN" || { bus_names || true; fail "GetManagedObjects: no namespace named $BADSHOWN"; }
wait_for 10 bus_has_name "$CTLNAME" || { bus_names || true; fail "GetManagedObjects: no namespace named esc<ESC>[2Jctl"; }
check_eq "$($B --json=short get-property $D "$MP/namespace/${BADDEV//./_}" org.pmemnsd1.Namespace Name | jq -r .data)" \
        "$BADSHOWN" "property Name of $BADDEV"
check_eq "$($B --json=short call $D $MP $PI GetAll s $MI | jq -r '.data[0].PolicyFiles.data[]' | grep -c -F '20-caf\xe9.conf')" \
        1 "PolicyFiles with 20-caf\\xe9.conf (GetAll)"
# Plan: the foreign namespace's row quotes its name
out=$($B --json=short call $D $MP $MI Plan) || fail "Plan: $out"
jq -r '.data[0][] | .[7]' <<< "$out" | grep -F "$BADDEV '$BADSHOWN'" ||
        fail "Plan: no row quotes $BADDEV '$BADSHOWN'"

# pmemnsctl: everything answers, text output escaped, --json as the daemon sent it
out=$(timeout 60 pmemnsctl status 2>&1) || fail "pmemnsctl status: $out"
grep -F '20-caf\xe9.conf' <<< "$out" || fail "pmemnsctl status does not show 20-caf\\xe9.conf"
out=$(timeout 60 pmemnsctl list 2>&1) || fail "pmemnsctl list: $out"
echo "$out"
grep -qF -- "$BADSHOWN" <<< "$out" || fail "pmemnsctl list does not show $BADSHOWN"
grep -qF -- "$CTLSHOWN" <<< "$out" || fail "pmemnsctl list does not show $CTLSHOWN"
for cmd in "list" "plan" "status" "apply" "map"; do
        # shellcheck disable=SC2086 # cmd is one word
        out=$(timeout 120 pmemnsctl $cmd 2>&1) || fail "pmemnsctl $cmd: $out"
        if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<< "$out"; then
                fail "pmemnsctl $cmd writes control characters: $(printf '%q' "$out")"
        fi
        [ "$cmd" = status ] || grep -qF -- "$CTLSHOWN" <<< "$out" || fail "pmemnsctl $cmd does not show $CTLSHOWN"
done
pmemnsctl plan | grep -F "$BADDEV '$BADSHOWN'"
out=$(pmemnsctl --json list --namespaces) || fail "pmemnsctl --json list"
jq -e --arg b "$BADSHOWN" --arg c "$CTLNAME" \
        '[.namespaces[] | select(.name == $b or .name == $c)] | length == 2' <<< "$out" >/dev/null ||
        fail "pmemnsctl --json list: the names are not as the daemon sent them"

# a rejected config whose file name and value are not UTF-8: the reason comes back
printf '[namespace odd]\nregion = main\nmode = fs\xffdax\nsize = 32M\n' > "$CAFE"
rc=0
out=$(timeout 60 pmemnsctl reload 2>&1) || rc=$?
check_ne "$rc" 0 "pmemnsctl reload of a config with mode = fs\\xffdax"
check_ne "$rc" 124 "pmemnsctl reload (no answer)"
echo "$out"
check_match "$out" 'rejected.*20-caf\\xe9\.conf:3: .*fs\\xffdax' "pmemnsctl reload's reason"
printf '# the name of this file is not UTF-8\n' > "$CAFE"
out=$(timeout 60 pmemnsctl reload 2>&1) || fail "pmemnsctl reload after the fix: $out"

check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$PID" "MainPID after the names that are not UTF-8"
if journalctl -u pmemnsd --since "$SINCE8" --no-pager -o cat | grep -E "Failed to emit|$CRASH"; then
        fail "the journal shows a failed signal or a crash"
fi

# The journal (issue 14 item 3): the daemon's entries carry MESSAGE_IDs and REGION=,
# NAMESPACE=, POLICY=; the package's catalog explains them in journalctl -x. The ids are
# those of daemon/pmemnsd-messages.h.
log "journal: MESSAGE_IDs, fields and the catalog"
ID_CREATED=246245d6d4d44506ab0d19edd7af792a
ID_CONFLICT=470b9dcbe62d4310bc7ba19a30f863e1
ID_REJECTED=7571bca4557240c193816281cf4a608e
jq_entries() { journalctl -u pmemnsd -o json --no-pager "$@" | jq -s .; }
created=$(jq_entries MESSAGE_ID=$ID_CREATED)
for n in db dax.0 dax.1 blk; do
        dev=$(ns_dev "$n")
        jq -e --arg p "$n" --arg r "$REGION" --arg d "$dev" \
                'any(.[]; .POLICY == $p and .REGION == $r and .NAMESPACE == $d and .PRIORITY == "6")' \
                <<< "$created" >/dev/null || fail "no created entry with POLICY=$n REGION=$REGION NAMESPACE=$dev: $created"
done
# the bad reload above: rejected at priority err
rejected=$(jq_entries --since "$SINCE8" MESSAGE_ID=$ID_REJECTED)
check_eq "$(jq '[.[] | select(.PRIORITY == "3")] | length' <<< "$rejected")" 1 "config-rejected entries at err since the bad reload"
# a conflict: an admin's raw namespace named db where db's was
ndctl destroy-namespace -f "$DB" >/dev/null 2>&1 || fail "ndctl destroy-namespace $DB"
ndctl create-namespace -r "$REGION" -m raw -s 32M -n db >/dev/null 2>&1 || fail "ndctl create-namespace -n db"
ADMIN_DB=$(ns_dev db)
out=$(timeout 120 pmemnsctl apply 2>&1) || true
echo "$out"
has_conflict() { jq_entries MESSAGE_ID=$ID_CONFLICT | jq -e --arg r "$REGION" 'any(.[]; .POLICY == "db" and .REGION == $r)' >/dev/null; }
wait_for 30 has_conflict || fail "no conflict entry with POLICY=db REGION=$REGION: $(jq_entries MESSAGE_ID=$ID_CONFLICT)"
log "conflict entry: $(jq_entries MESSAGE_ID=$ID_CONFLICT | jq -c '.[-1] | {MESSAGE, PRIORITY, REGION, NAMESPACE, POLICY}') (admin's db is $ADMIN_DB)"
# the catalog: installed by the package, made known by the systemd package's dpkg trigger
[ -f /usr/lib/systemd/catalog/pmemnsd.catalog ] || fail "the package installed no /usr/lib/systemd/catalog/pmemnsd.catalog"
if journalctl --list-catalog | grep "^$ID_CREATED pmemnsd: "; then
        log "catalog known after the package's installation"
else
        log "catalog NOT known after the package's installation: journalctl --update-catalog"
        journalctl --update-catalog
fi
out=$(journalctl -u pmemnsd -x --no-pager MESSAGE_ID=$ID_CONFLICT)
echo "$out" | tail -12
grep -q "Subject: db: conflict in $REGION, nothing changed" <<< "$out" || fail "journalctl -x: no catalog subject for the conflict"
grep -q "Defined-By: pmemnsd" <<< "$out" || fail "journalctl -x: no Defined-By: pmemnsd"
out=$(journalctl -u pmemnsd -x --no-pager MESSAGE_ID=$ID_REJECTED)
grep -q "Subject: Configuration rejected" <<< "$out" || fail "journalctl -x: no catalog subject for the rejected config: $out"
check_eq "$(systemctl show -p MainPID --value pmemnsd.service)" "$PID" "MainPID after the conflict"
# a drift: blk's policy now wants 48M; the recorded 32M namespace is left as it is
ID_DRIFT=fab423829334405787bd23497fda0007
BLK=$(ns_dev blk)
sed -i '/^\[namespace blk\]/,/^$/ s/^size = 32M$/size = 48M/' /etc/pmemnsd/policy.d/50-hostile.conf
out=$(timeout 120 pmemnsctl reload 2>&1) || fail "pmemnsctl reload with blk at 48M: $out"
has_drift() {
        jq_entries MESSAGE_ID=$ID_DRIFT | jq -e --arg r "$REGION" --arg d "$BLK" \
                'any(.[]; .POLICY == "blk" and .REGION == $r and .NAMESPACE == $d and .PRIORITY == "5")' >/dev/null
}
wait_for 30 has_drift || fail "no drift entry with POLICY=blk REGION=$REGION NAMESPACE=$BLK: $(jq_entries MESSAGE_ID=$ID_DRIFT)"
log "drift entry: $(jq_entries MESSAGE_ID=$ID_DRIFT | jq -c '.[-1] | {MESSAGE, PRIORITY, REGION, NAMESPACE, POLICY}')"
# a failed create (a -Dfault-injection=true build): every size write of a create fails
if [ "$FAULTS" = faults ]; then
        ID_FAILED=8af121f76c8e462495be05861741bb44
        pmemnsd_restart create-after-size@0:fail
        printf '[namespace extra]\nregion = main\nmode = raw\nsize = 16M\n' > /etc/pmemnsd/policy.d/60-extra.conf
        out=$(timeout 120 pmemnsctl reload 2>&1) || true
        echo "$out"
        has_failed() {
                jq_entries "MESSAGE_ID=$ID_FAILED" | jq -e --arg r "$REGION" \
                        'any(.[]; .POLICY == "extra" and .REGION == $r and .PRIORITY == "3")' >/dev/null
        }
        wait_for 30 has_failed || fail "no failed entry with POLICY=extra REGION=$REGION: $(jq_entries MESSAGE_ID=$ID_FAILED)"
        log "failed entry: $(jq_entries MESSAGE_ID=$ID_FAILED | jq -c '.[-1] | {MESSAGE, PRIORITY, REGION, NAMESPACE, POLICY}')"
        out=$(journalctl -u pmemnsd -x --no-pager MESSAGE_ID=$ID_FAILED)
        grep -q "Subject: Provisioning extra in $REGION failed" <<< "$out" || fail "journalctl -x: no catalog subject for the failure: $out"
        rm /etc/pmemnsd/policy.d/60-extra.conf
        pmemnsd_restart
fi
echo "PASS hostile"
