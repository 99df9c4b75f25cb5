#!/bin/bash
# Guest side of the bench (bench/run boots the VM once and runs this as root).
#   guest-bench.sh [runs=N] [queries=N] [idle=S] [pairs=N] [calls=N] [conns=N] [SECTION...]
# SECTIONs: capacity density speed appear query footprint flood (default all); runs: speed
# rounds and appear runs (default 5); queries: query runs (default 20); idle: seconds (default 60);
# pairs, calls, conns: flood pairs (default 5), Plan() calls per flood (1000), connections
# they are spread over (1).
# Prints progress as "## ..." and results as "BENCH KEY VALUE..." lines, which bench/report
# turns into the table. Times are milliseconds of wall clock in the guest.
set -euo pipefail
# shellcheck source=/dev/null
. /pmemnsd-test/guest-lib.sh
log() { echo "## [${SECONDS}s] $*"; }

RUNS=5 QUERIES=20 IDLE=60 PAIRS=5 CALLS=1000 CONNS=1 SECTIONS=()
for a in "$@"; do
        case "$a" in
        runs=*) RUNS=${a#*=};; queries=*) QUERIES=${a#*=};; idle=*) IDLE=${a#*=};;
        pairs=*) PAIRS=${a#*=};; calls=*) CALLS=${a#*=};; conns=*) CONNS=${a#*=};;
        *) SECTIONS+=("$a");;
        esac
done
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(capacity density speed appear query footprint flood)
REQUESTS=/pmemnsd-test/requests
NDCTL_ALIGN=$((16 << 20)) # the kernel's default region align, what ndctl expects
CLK_TCK=$(getconf CLK_TCK)

out() { echo "BENCH $*"; }
want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
now_us() { echo "${EPOCHREALTIME/./}"; }
to_bytes() {
        local v=$1
        case "$v" in
        *K) echo $((${v%K} << 10));; *M) echo $((${v%M} << 20));; *G) echo $((${v%G} << 30));;
        *) echo $((v));;
        esac
}
round_up() { echo $(((($1) + ($2) - 1) / ($2) * ($2))); }
# requests N: the first N lines of the request list (awk reads to the end: no closed pipe
# for the writer under pipefail, as head would leave)
requests() { awk -v n="$1" '!/^#/ && ++i <= n' "$REQUESTS"; }
# stats V...: "median min max" of the values
stats() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

# The two regions: the 4 GiB one (capacity, speed) and the 1 GiB one (density).
BIG=$(nd_regions | jq -r '[.[] | select(.size > 2147483648)][0].dev')
SMALL=$(nd_regions | jq -r '[.[] | select(.size < 2147483648)][0].dev')
if [ "$BIG" = null ] || [ "$SMALL" = null ]; then fail "expected a 4 GiB and a 1 GiB region"; fi
attr() { nd_attr "$1" "$2"; }
log "regions: $BIG ($(attr "$BIG" size) bytes at $(attr "$BIG" resource)), $SMALL ($(attr "$SMALL" size) bytes at $(attr "$SMALL" resource))"

# ---- daemon control --------------------------------------------------------------------
mkdir -p /etc/pmemnsd/policy.d
daemon_conf() { # GRANULARITY APPLY
        printf '[daemon]\ngranularity = %s\napply = %s\n' "$1" "$2" > /etc/pmemnsd/pmemnsd.conf
}
# policy_requests REGION N: the first N lines of the request list as policies on REGION
policy_requests() {
        local region=$1 n=$2 name mode map size
        {
                printf '[region bench]\nmatch.dev = %s\n' "$region"
                requests "$n" | while read -r name mode map size; do
                        printf '\n[namespace %s]\nregion = bench\nmode = %s\nsize = %s\n' \
                                "$name" "$mode" "$size"
                        if [ "$mode" = fsdax ]; then echo "map = $map"; else echo "align = 2M"; fi
                done
        } > /etc/pmemnsd/policy.d/50-bench.conf
}
daemon_restart() {
        pmemnsd --check > /dev/null || fail "pmemnsd --check rejected the bench config"
        systemctl restart pmemnsd.service || fail "pmemnsd.service did not start"
}
daemon_pid() { systemctl show -p MainPID --value pmemnsd.service; }
# ticks PID: utime stime (clock ticks) from /proc/PID/stat, fields 14 and 15
# shellcheck disable=SC2086 # split the fields
ticks() { local s; s=$(< "/proc/$1/stat"); s=${s##*) }; set -- $s; echo "${12} ${13}"; }
# syscalls PID: read and write syscalls so far (syscr, syscw of /proc/PID/io)
syscalls() { awk '/^syscr/ {r = $2} /^syscw/ {w = $2} END {print r, w}' "/proc/$1/io"; }
# profile_report FILE: the strace -f -T -y lines of one Apply, summed up
profile_report() {
        local f=$1
        # per syscall: count and seconds inside it (-T)
        awk '{ c = $3; sub(/\(.*/, "", c); t = $NF; gsub(/[<>]/, "", t); n[c]++; s[c] += t }
             END { for (c in n) printf "PROF calls %-8s %7d %9.3f s\n", c, n[c], s[c] }' "$f" | sort -k4 -rn
        # what the writes go to (sysfs attribute or device), with their time
        grep ' write(' "$f" | sed -E 's/.*write\([0-9]+<([^>]*)>.*<([0-9.]+)>$/\1 \2/' |
                sed -E 's#^.*/(ndbus|region|namespace|pfn|dax|btt)[0-9.]+/#\1N/#; s#^socket:\[[0-9]+\]#socket#' |
                awk '{ n[$1]++; s[$1] += $2 } END { for (k in n) printf "PROF writes %-28s %5d %8.3f s\n", k, n[k], s[k] }' |
                sort -k4 -rn | awk 'NR <= 20'
        # the most opened files, device numbers folded
        grep -o 'openat([^"]*"[^"]*"' "$f" | sed 's/.*"\(.*\)"/\1/' |
                sed -E 's/(namespace|pfn|dax|btt|region|ndbus|nmem|ndctl)[0-9]+(\.[0-9]+)?/\1N/g; s#/[0-9]+/#/N/#g' |
                sort | uniq -c | sort -rn | awk 'NR <= 25' | sed 's/^/PROF opens /'
        out prof.opens "$(grep -c ' openat(' "$f" || true)" \
                "$(grep -c ' openat([^"]*"/sys' "$f" || true)" \
                "$(grep -o ' openat([^"]*"[^"]*"' "$f" | sort -u | wc -l)"
}
manager() { busctl --timeout=1800 --json=short call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager "$@"; }
# apply: Apply(), the rows in /tmp/apply.json; warns about failed rows
apply() { apply_call; apply_check; }
apply_call() { manager Apply > /tmp/apply.json || fail "Apply failed"; }
apply_check() {
        if jq -e '[.data[0][] | select(.[0] == "failed")] | length > 0' /tmp/apply.json > /dev/null; then
                log "WARNING: failed rows:"
                jq -r '.data[0][] | select(.[0] == "failed") | @tsv' /tmp/apply.json
        fi
}
created() { jq '[.data[0][] | select(.[0] == "create")] | length' /tmp/apply.json; }

# ---- region helpers --------------------------------------------------------------------
# destroy_all REGION: no namespace left, region align back at 16M, all space available.
# Stops the daemon first: it would refresh its state on every uevent of the destroy and
# compete for the 2 CPUs (callers start it again).
destroy_all() {
        local r=$1 size avail
        systemctl stop pmemnsd.service
        ndctl destroy-namespace all -r "$r" -f > /dev/null 2>&1 || true
        echo $NDCTL_ALIGN > "/sys/bus/nd/devices/$r/align"
        size=$(attr "$r" size)
        avail=$(attr "$r" available_size)
        [ "$avail" = $((size / NDCTL_ALIGN * NDCTL_ALIGN)) ] ||
                fail "$r: available_size $avail after destroying everything, region size $size"
        [ "$(ndctl_json -N -r "$r" | jq length)" = 0 ] || fail "$r: namespaces left after destroy"
}
# census REGION: "count usable metadata" over the region's namespaces; usable is ndctl's
# .size (the device's capacity for fsdax/devdax), metadata what nd_pfn_init() writes:
# 8 KiB info block + 64 bytes per 4 KiB page of the raw size for map=dev/devdax
census() {
        local r=$1 n=0 usable=0 meta=0 dev u map raw
        while read -r dev u map; do
                raw=$(attr "$dev" size)
                n=$((n + 1))
                usable=$((usable + u))
                meta=$((meta + 8192))
                [ "$map" = mem ] || meta=$((meta + 64 * ((raw - 8192) / 4096)))
        done < <(ndctl_json -N -r "$r" | jq -r '.[] | "\(.dev) \(.size) \(.map // "dev")"')
        echo "$n $usable $meta"
}
# ndctl_args REGION N [SIZES]: the arguments of ndctl create-namespace for the first N
# requests, one line each, computed before any timing. Without SIZES (ndctl at its
# defaults) each size is rounded up to the kernel's default region align 16 MiB (ndctl
# refuses anything else: "align setting is 0x1000000 size 0x1100000 is misaligned"), rest
# without -s. With SIZES (a file "NAME BYTES", the raw sizes pmemnsd made: ndctl at its
# best, the region align set to 2 MiB first) the same bytes as pmemnsd and --force.
ndctl_args() {
        local r=$1 n=$2 sizes=${3:-} name mode map size
        while read -r name mode map size; do
                printf -- '-r %s -n %s -m %s' "$r" "$name" "$mode"
                if [ "$mode" = fsdax ]; then printf ' -M %s' "$map"; else printf ' -a 2M'; fi
                if [ -n "$sizes" ]; then
                        printf ' -f -s %s' "$(awk -v n="$name" '$1 == n {print $2}' "$sizes")"
                elif [ "$size" != rest ]; then
                        printf ' -s %s' "$(round_up "$(to_bytes "$size")" $NDCTL_ALIGN)"
                fi
                echo
        done < <(requests "$n")
}
# ndctl_run ARGSFILE: one ndctl create-namespace per line (nothing else is started: the
# timed window holds the ndctl processes only); NDCTL_OK is how many succeeded
ndctl_run() {
        local args
        NDCTL_OK=0
        while read -ra args; do
                if ndctl create-namespace "${args[@]}" > /dev/null 2>> /tmp/ndctl.err; then
                        NDCTL_OK=$((NDCTL_OK + 1))
                else
                        echo "## ndctl create-namespace ${args[*]} failed" >&2
                fi
        done < "$1"
        return 0
}
# ndctl_create_requests REGION N: ndctl at its defaults for the first N requests; prints
# how many succeeded
ndctl_create_requests() {
        ndctl_args "$1" "$2" > /tmp/ndctl.args
        ndctl_run /tmp/ndctl.args
        echo "$NDCTL_OK"
}
# raw_sizes REGION FILE: "NAME BYTES" of the region's named namespaces (their raw size)
raw_sizes() {
        local d name size
        for d in /sys/bus/nd/devices/"$1"/namespace*.*; do
                [ -e "$d/size" ] || continue
                read -r size < "$d/size"
                read -r name < "$d/alt_name" || name=
                [ "$size" = 0 ] || [ -z "$name" ] || echo "$name $size"
        done > "$2"
}
# The kernel's necessary work: the sysfs writes that create, claim and enable each
# namespace, as bash builtins (no process is started; the uuids are made before), with
# pmemnsd's raw sizes at region align 2 MiB: per namespace holder_class, uuid, alt_name,
# size; the pfn/dax seed's uuid, mode, align, namespace; its bind to nd_pmem or dax_pmem.
# kernel_args REGION N SIZES: the lines "NAME MODE LOCATION BYTES UUID UUID" it works from.
kernel_args() {
        local r=$1 n=$2 sizes=$3 name mode map size u1 u2
        while read -r name mode map size; do
                read -r u1 < /proc/sys/kernel/random/uuid
                read -r u2 < /proc/sys/kernel/random/uuid
                [ "$mode" = fsdax ] && [ "$map" = mem ] && map=ram || map=pmem
                echo "$name $mode $map $(awk -v n="$name" '$1 == n {print $2}' "$sizes") $u1 $u2"
        done < <(requests "$n")
}
kw() { echo "$2" 2> /dev/null > "$1" || { echo "## kernel: writing '$2' to $1 failed" >&2; return 1; }; }
# kernel_run REGION FILE; KERNEL_OK is how many were enabled
kernel_run() {
        local r=$1 D=/sys/bus/nd/devices name mode loc size u1 u2 ns seed kind drv wp
        # the bus's wait_probe: reading it waits for the kernel's asynchronous registration
        # of the seeds the last bind made (libndctl and ndctl read it too)
        wp=$(readlink -f "$D/$r")/../wait_probe
        KERNEL_OK=0
        while read -r name mode loc size u1 u2; do
                if [ "$mode" = fsdax ]; then kind=pfn drv=nd_pmem; else kind=dax drv=dax_pmem; fi
                read -r _ < "$wp" || true
                read -r ns < "$D/$r/namespace_seed"
                read -r seed < "$D/$r/${kind}_seed"
                kw "$D/$ns/holder_class" $kind && kw "$D/$ns/uuid" "$u1" && kw "$D/$ns/alt_name" "$name" &&
                        kw "$D/$ns/size" "$size" && kw "$D/$seed/uuid" "$u2" && kw "$D/$seed/mode" "$loc" &&
                        kw "$D/$seed/align" 2097152 && kw "$D/$seed/namespace" "$ns" &&
                        kw "/sys/bus/nd/drivers/$drv/bind" "$seed" && KERNEL_OK=$((KERNEL_OK + 1))
        done < "$2"
        return 0
}

# ---- 1. capacity -----------------------------------------------------------------------
if want capacity; then
        NREQ=$(grep -vc '^#' "$REQUESTS")
        out cap.requests "$NREQ"
        out cap.region_size "$(attr "$BIG" size)"
        if command -v bench-limit > /dev/null; then
                # shellcheck disable=SC2046 # "limit L metadata M padding P tail T"
                out cap.limit $(bench-limit "$(attr "$BIG" resource)" "$(attr "$BIG" size)" "$REQUESTS")
        fi
        policy_requests "$BIG" "$NREQ"
        for g in subsection compat section; do
                log "capacity: pmemnsd at $g"
                destroy_all "$BIG"
                daemon_conf "$g" manual
                daemon_restart
                t0=$(now_us)
                apply
                out cap.$g.ms $((($(now_us) - t0) / 1000))
                jq -r '.data[0][] | select(.[0] != "create") | "## \(.[0]) \(.[1]): \(.[7])"' /tmp/apply.json
                read -r n usable meta < <(census "$BIG")
                [ "$n" = "$(created)" ] || fail "$g: Apply created $(created), the region has $n"
                out cap.$g "$n $usable $meta $(attr "$BIG" available_size)"
        done
        log "capacity: ndctl create-namespace"
        destroy_all "$BIG"
        t0=$(now_us)
        ok=$(ndctl_create_requests "$BIG" "$NREQ")
        out cap.ndctl.ms $((($(now_us) - t0) / 1000))
        read -r n usable meta < <(census "$BIG")
        [ "$n" = "$ok" ] || fail "ndctl created $ok, the region has $n"
        out cap.ndctl "$n $usable $meta $(attr "$BIG" available_size)"
        destroy_all "$BIG"
fi

# ---- 1b. 34 MiB devdax namespaces in 1 GiB ---------------------------------------------
if want density; then
        log "density: pmemnsd, 34M devdax in $SMALL"
        destroy_all "$SMALL"
        rm -f /etc/pmemnsd/policy.d/50-bench.conf
        printf '[region small]\nmatch.dev = %s\n\n[namespace d34]\nregion = small\nmode = devdax\nsize = 34M\nalign = 2M\ncount = 64\n' \
                "$SMALL" > /etc/pmemnsd/policy.d/60-density.conf
        daemon_conf subsection manual
        daemon_restart
        apply
        read -r n _ < <(census "$SMALL")
        [ "$n" = "$(created)" ] || fail "density: Apply created $(created), the region has $n"
        out dens.pmemnsd "$n"
        raw_sizes "$SMALL" /tmp/dens-sizes
        dens_raw=$(awk 'NR == 1 {print $2}' /tmp/dens-sizes)
        destroy_all "$SMALL"
        log "density: ndctl loop"
        n=0
        if ndctl create-namespace -r "$SMALL" -m devdax -a 2M -s 34M > /dev/null 2> /tmp/ndctl.err; then
                size=34M
        else
                log "ndctl refuses 34M: $(tr '\n' ' ' < /tmp/ndctl.err); rounding up to the region align"
                size=$(round_up $((34 << 20)) $NDCTL_ALIGN)
        fi
        while ndctl create-namespace -r "$SMALL" -m devdax -a 2M -s "$size" > /dev/null 2>&1; do
                n=$((n + 1))
        done
        read -r n _ < <(census "$SMALL")
        out dens.ndctl "$n $size"
        destroy_all "$SMALL"
        # ndctl at its best: region align 2 MiB, --force, pmemnsd's raw size
        log "density: ndctl loop at region align 2M, pmemnsd's raw size $dens_raw, --force"
        echo $((2 << 20)) > "/sys/bus/nd/devices/$SMALL/align"
        while ndctl create-namespace -r "$SMALL" -m devdax -a 2M -s "$dens_raw" -f > /dev/null 2> /tmp/ndctl.err; do :; done
        read -r n _ < <(census "$SMALL")
        out dens.ndctl_best "$n $dens_raw"
        destroy_all "$SMALL"
        rm -f /etc/pmemnsd/policy.d/60-density.conf
fi

# ---- 2. provisioning speed ---------------------------------------------------------------
# RUNS rounds, each of four methods from an empty region, their order reversed every other
# round: pmemnsd Apply (subsection), ndctl at its best (region align 2 MiB, --force,
# pmemnsd's raw sizes), the kernel's necessary writes (same sizes), ndctl at its defaults
# (sizes rounded to 16 MiB). Every timed window runs from the start of the client (one
# busctl; the ndctl processes; nothing for the kernel's writes, bash builtins) to the last
# namespace enabled. The daemon is stopped during the others (destroy_all stops it): it
# would re-read the nd bus on each of their uevents.
NSPEED=32
speed_pmemnsd() {
        destroy_all "$BIG"
        systemctl start pmemnsd.service
        sleep 2 # settle after the start
        pid=$(daemon_pid)
        read -r u0 s0 < <(ticks "$pid")
        read -r r0 w0 < <(syscalls "$pid")
        t0=$(now_us)
        apply_call
        t1=$(now_us)
        read -r u1 s1 < <(ticks "$pid")
        read -r r1 w1 < <(syscalls "$pid")
        apply_check
        [ "$(created)" = $NSPEED ] || fail "speed: Apply created $(created) of $NSPEED"
        pm_io+=("$((r1 - r0))/$((w1 - w0))")
        pm_runs+=($(((t1 - t0) / 1000)))
        pm_cpu+=("$((u1 - u0))/$((s1 - s0))")
        # off-CPU share of the Apply's wall time (ticks are 1/CLK_TCK s)
        pm_off+=("$(awk -v c=$((u1 - u0 + s1 - s0)) -v t=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", 100 * (1 - c / hz / (t / 1e6)) }')")
        [ -s /tmp/pm-sizes ] || raw_sizes "$BIG" /tmp/pm-sizes
}
# speed_ndctl best|default: the ndctl loop, in a subshell so that its cutime/cstime are the
# ndctl processes'
speed_ndctl() {
        local kind=$1 cpu
        destroy_all "$BIG" # also stops the daemon
        if [ "$kind" = best ]; then
                echo $((2 << 20)) > "/sys/bus/nd/devices/$BIG/align"
                ndctl_args "$BIG" $NSPEED /tmp/pm-sizes > /tmp/ndctl.args
        else
                ndctl_args "$BIG" $NSPEED > /tmp/ndctl.args
        fi
        t0=$(now_us)
        cpu=$(ndctl_run /tmp/ndctl.args
                [ "$NDCTL_OK" = $NSPEED ] || echo "## ndctl ($kind) created only $NDCTL_OK" >&2
                s=$(< "/proc/$BASHPID/stat"); s=${s##*) }
                # shellcheck disable=SC2086
                set -- $s
                echo "${14}/${15}")
        t1=$(now_us)
        [ "$(ndctl_json -N -r "$BIG" | jq length)" = $NSPEED ] || log "WARNING: ndctl ($kind) left $(ndctl_json -N -r "$BIG" | jq length) namespaces"
        if [ "$kind" = best ]; then
                nb_runs+=($(((t1 - t0) / 1000))); nb_cpu+=("$cpu")
                raw_sizes "$BIG" /tmp/nb-sizes
                [ "$(sort /tmp/pm-sizes)" = "$(sort /tmp/nb-sizes)" ] || log "WARNING: ndctl (best) raw sizes differ from pmemnsd's"
        else
                nd_runs+=($(((t1 - t0) / 1000))); nd_cpu+=("$cpu")
        fi
        raw_sizes "$BIG" /tmp/nd-sizes
        nd_bytes=$(awk '{ s += $2 } END { print s }' /tmp/nd-sizes)
}
speed_kernel() {
        destroy_all "$BIG"
        echo $((2 << 20)) > "/sys/bus/nd/devices/$BIG/align"
        kernel_args "$BIG" $NSPEED /tmp/pm-sizes > /tmp/kernel.args
        t0=$(now_us)
        kernel_run "$BIG" /tmp/kernel.args
        t1=$(now_us)
        [ "$KERNEL_OK" = $NSPEED ] || log "WARNING: the kernel's writes enabled $KERNEL_OK of $NSPEED"
        kn_runs+=($(((t1 - t0) / 1000)))
}
if want speed; then
        policy_requests "$BIG" $NSPEED
        daemon_conf subsection manual
        daemon_restart
        modprobe -a nd_pmem dax_pmem 2> /dev/null || true
        rm -f /tmp/pm-sizes
        pm_runs=() nd_runs=() nb_runs=() kn_runs=() pm_cpu=() nd_cpu=() nb_cpu=() pm_io=() pm_off=()
        r_best=() r_def=() r_kern=() r_nbk=()
        for ((i = 0; i < RUNS; i++)); do
                if ((i % 2 == 0)); then order=(pmemnsd best kernel default); else order=(default kernel best pmemnsd); fi
                for m in "${order[@]}"; do
                        log "speed: round $((i + 1)) of $RUNS: $m"
                        case $m in
                        pmemnsd) speed_pmemnsd;;
                        best|default) speed_ndctl "$m";;
                        kernel) speed_kernel;;
                        esac
                        [ "$m" != default ] || def_bytes=$nd_bytes
                done
                r_best+=("$(ratio "${pm_runs[i]}" "${nb_runs[i]}")")
                r_def+=("$(ratio "${pm_runs[i]}" "${nd_runs[i]}")")
                r_kern+=("$(ratio "${pm_runs[i]}" "${kn_runs[i]}")")
                r_nbk+=("$(ratio "${nb_runs[i]}" "${kn_runs[i]}")")
        done
        out speed.bytes "$(awk '{ s += $2 } END { print s }' /tmp/pm-sizes)" "$def_bytes"
        out speed.ratio_best "$(stats "${r_best[@]}")" "${r_best[@]}"
        out speed.ratio_default "$(stats "${r_def[@]}")" "${r_def[@]}"
        out speed.ratio_kernel "$(stats "${r_kern[@]}")" "${r_kern[@]}"
        out speed.ratio_best_kernel "$(stats "${r_nbk[@]}")" "${r_nbk[@]}"
        destroy_all "$BIG"
        daemon_restart
        apply # the 32 for the Plan() figure below
        # the cost of one look at the nd bus with 32 namespaces: Plan() reads all regions
        # (manager_refresh()) and plans, creating nothing
        systemctl start pmemnsd.service
        sleep 2
        pl_runs=()
        pid=$(daemon_pid)
        read -r u0 s0 < <(ticks "$pid")
        for ((i = 0; i < 5; i++)); do
                t0=$(now_us)
                manager Plan > /dev/null
                pl_runs+=($((($(now_us) - t0) / 1000)))
        done
        read -r u1 s1 < <(ticks "$pid")
        out speed.plan "${pl_runs[@]}"
        out speed.plan_cpu "$(((u1 - u0) / 5))/$(((s1 - s0) / 5))"
        out speed.pmemnsd "${pm_runs[@]}"
        out speed.ndctl "${nd_runs[@]}"
        out speed.ndctl_best "${nb_runs[@]}"
        out speed.kernel "${kn_runs[@]}"
        out speed.pmemnsd_cpu "${pm_cpu[@]}" # daemon utime/stime ticks during Apply
        out speed.pmemnsd_offcpu "${pm_off[@]}" # % of the Apply's wall time off-CPU
        out speed.ndctl_cpu "${nd_cpu[@]}"   # ndctl processes' utime/stime ticks
        out speed.ndctl_best_cpu "${nb_cpu[@]}"
        out speed.pmemnsd_io "${pm_io[@]}"   # daemon read/write syscalls during Apply
        out clk_tck "$CLK_TCK"

        # Profile one more Apply under strace. Attached with -p, every syscall of the
        # daemon would stop (and the Apply outlive the 3 min watchdog under TCG), so the
        # daemon is started under strace with --seccomp-bpf: only the traced calls stop.
        # read(2) is left out (too many); its count comes from /proc/PID/io above.
        if command -v strace > /dev/null; then
                log "speed: Apply under strace"
                destroy_all "$BIG"
                mkdir -p /run/bench
                rm -f /run/bench/strace.txt
                cat > /etc/systemd/system/pmemnsd.service.d/zz-bench-strace.conf <<UNIT
[Service]
ExecStart=
ExecStart=$(command -v strace) -f -ttt -T -y --seccomp-bpf -e trace=openat,write,ioctl -o /run/bench/strace.txt $(command -v pmemnsd)
NotifyAccess=all
WatchdogSec=0
SystemCallFilter=
ReadWritePaths=/run/bench
UNIT
                systemctl daemon-reload
                systemctl start pmemnsd.service
                sleep 2
                t0=$(now_us)
                apply
                t1=$(now_us)
                systemctl stop pmemnsd.service
                rm /etc/systemd/system/pmemnsd.service.d/zz-bench-strace.conf
                systemctl daemon-reload
                out prof.strace_ms $(((t1 - t0) / 1000)) "$(created)"
                # only the Apply's own calls: by the -ttt timestamps
                awk -v t0="${t0:0:-6}.${t0: -6}" -v t1="${t1:0:-6}.${t1: -6}" \
                        '$2 + 0 >= t0 && $2 + 0 <= t1' /run/bench/strace.txt > /tmp/apply.strace
                profile_report /tmp/apply.strace
        fi
fi

# ---- 2b. region appears -> policy namespaces active ---------------------------------------
# active: one of the region's /dev nodes per namespace (pmemR*, daxR.*) exists
count_active() {
        local id=${1#region} f
        shopt -s nullglob
        f=(/dev/pme[m]"$id" /dev/pmem"$id".* /dev/dax"$id".*) # [m]: a pattern, for nullglob
        shopt -u nullglob
        echo ${#f[@]}
}
if want appear; then
        policy_requests "$BIG" $NSPEED
        ap_runs=()
        for ((i = 0; i < (RUNS < 3 ? RUNS : 3); i++)); do # not a pair figure: 3 runs
                log "appear: run $((i + 1))"
                destroy_all "$BIG"
                ndctl disable-region "$BIG" > /dev/null
                daemon_conf subsection auto
                daemon_restart # its start-up reconcile sees the region disabled
                sleep 3
                [ "$(count_active "$BIG")" = 0 ] || fail "appear: namespaces active before enable: $(ls /dev)"
                t0=$(now_us)
                ndctl enable-region "$BIG" > /dev/null
                while [ "$(count_active "$BIG")" -lt $NSPEED ]; do
                        (($(now_us) - t0 < 600000000)) || fail "appear: only $(count_active "$BIG") active after 600 s"
                        sleep 0.05
                done
                t1=$(now_us)
                ap_runs+=($(((t1 - t0) / 1000)))
                [ "$(ndctl_json -N -r "$BIG" | jq length)" = $NSPEED ] || fail "appear: namespace count"
        done
        out appear.pmemnsd "${ap_runs[@]}"
        daemon_conf subsection manual
        daemon_restart
fi

# ---- 3. query speed ----------------------------------------------------------------------
if want query; then
        if [ "$(ndctl_json -N | jq length)" -lt 32 ]; then
                log "query: provisioning $NSPEED namespaces first"
                policy_requests "$BIG" $NSPEED
                daemon_conf subsection manual
                destroy_all "$BIG"
                daemon_restart
                apply
        fi
        systemctl start pmemnsd.service
        nns=$(ndctl_json -N | jq length)
        objs=$(busctl --json=short call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects | jq '.data[0] | length')
        log "query: $nns namespaces, $objs D-Bus objects"
        out query.objects "$nns $objs"
        # Each query is a new process, as a user runs it. The floors are what any call of
        # the same program costs under TCG: busctl asking dbus-daemon for its id, and
        # ndctl printing its version.
        q_bus=() q_nd=() q_busfloor=() q_ndfloor=()
        pid=$(daemon_pid)
        dticks=0
        for ((i = 0; i < QUERIES; i++)); do
                read -r u0 s0 < <(ticks "$pid")
                t0=$(now_us)
                busctl call org.pmemnsd1 /org/pmemnsd1 org.freedesktop.DBus.ObjectManager GetManagedObjects > /dev/null
                t1=$(now_us)
                read -r u1 s1 < <(ticks "$pid")
                dticks=$((dticks + u1 - u0 + s1 - s0))
                ndctl list -N > /dev/null
                t2=$(now_us)
                busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId > /dev/null
                t3=$(now_us)
                ndctl --version > /dev/null
                t4=$(now_us)
                q_bus+=($(((t1 - t0) / 1000)))
                q_nd+=($(((t2 - t1) / 1000)))
                q_busfloor+=($(((t3 - t2) / 1000)))
                q_ndfloor+=($(((t4 - t3) / 1000)))
        done
        out query.gmo "${q_bus[@]}"
        out query.ndctl "${q_nd[@]}"
        out query.busctl_floor "${q_busfloor[@]}"
        out query.ndctl_floor "${q_ndfloor[@]}"
        out query.daemon_ticks "$dticks" "$QUERIES"
        # In-process, without the process start-ups: an sd-bus client's GetManagedObjects
        # loop and a libndctl walk (a fresh context each time) reading the same data, 200
        # calls each, in 5 alternating pairs of 40
        qi_bus=() qi_nd=() qi_r=()
        for ((i = 0; i < 5; i++)); do
                if ((i % 2 == 0)); then order=(bus ndctl); else order=(ndctl bus); fi
                for k in "${order[@]}"; do
                        read -r _ _ n us cnt < <(bench-query "$k" 40) || fail "bench-query $k failed"
                        if [ "$k" = bus ]; then qi_bus+=("$((us / n))"); qi_objs=$cnt; else qi_nd+=("$((us / n))"); qi_ns=$cnt; fi
                done
                qi_r+=("$(ratio "${qi_nd[i]}" "${qi_bus[i]}")")
        done
        out query.inproc_bus_us "${qi_bus[@]}"
        out query.inproc_ndctl_us "${qi_nd[@]}"
        out query.inproc_ratio "$(stats "${qi_r[@]}")" "${qi_r[@]}"
        out query.inproc_counts "$qi_objs $qi_ns"
        # the one-shot figure as per-pair ratios too
        q_r=()
        for ((i = 0; i < QUERIES; i++)); do q_r+=("$(ratio "${q_nd[i]}" "${q_bus[i]}")"); done
        out query.ratio "$(stats "${q_r[@]}")"
fi

# ---- 4. footprint ------------------------------------------------------------------------
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# mem PID: "RSS PSS PRIVATE PRIVATE_DIRTY" in kB from /proc/PID/smaps_rollup (private =
# Private_Clean + Private_Dirty, the USS: what the process alone holds)
mem() {
        awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_Clean:/ {pc = $2} /^Private_Dirty:/ {pd = $2}
             END {print r, p, pc + pd, pd}' "/proc/$1/smaps_rollup"
}
# prof_private PID KIND: the private (USS) kB per mapping name, the largest first: where
# the goal's figure is
prof_private() {
        awk -v kind="$2" '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
             /^Private_(Clean|Dirty):/ { priv[name] += $2 }
             END { for (n in priv) if (priv[n] > 0) printf "PROF %s %6d kB %s\n", kind, priv[n], n }' \
                "/proc/$1/smaps" | sort -k3 -rn | awk 'NR <= 14'
}
if want footprint; then
        # a daemon that did the provisioning itself: a fresh start, Apply of the 32
        log "footprint: a new daemon provisions $NSPEED namespaces"
        policy_requests "$BIG" $NSPEED
        daemon_conf subsection manual
        destroy_all "$BIG"
        daemon_restart
        pid=$(daemon_pid)
        rss_start=$(rss_kb "$pid")
        out foot.mem_start "$(mem "$pid")"
        # the worker (pmemnsd-worker, which links libndctl) lives for one job: its largest
        # smaps_rollup while the Apply runs, sampled every 0.1 s (by Pss)
        ( peak="0 0 0 0"
          while :; do
                for w in $(pgrep -x pmemnsd-worker); do
                        m=$(mem "$w" 2> /dev/null) || continue
                        [ -n "$m" ] && [ "$(echo "$m" | cut -d' ' -f2)" -gt "$(echo "$peak" | cut -d' ' -f2)" ] && peak=$m
                done
                echo "$peak" > /tmp/worker-peak
                sleep 0.1
          done ) &
        sampler=$!
        apply
        kill "$sampler"; wait "$sampler" 2> /dev/null || true
        out foot.mem_applied "$(mem "$pid")"
        out foot.worker_mem_peak "$(cat /tmp/worker-peak)"
        out foot.namespaces "$(ndctl_json -N | jq length)"
        out foot.rss_kb "$(rss_kb "$pid")"
        out foot.rss_start_kb "$rss_start"
        out foot.hwm_kb "$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
        # the root file system of the guest is an initramfs (tmpfs): mapped libraries count
        # as RssShmem there, not RssFile; Pss shares them out among their users
        out foot.rss_split "$(awk '/^(RssAnon|RssShmem|RssFile|Threads)/ {printf "%s %s ", $1, $2}' "/proc/$pid/status")" \
                "$(awk '/^Pss:/ {print "Pss:", $2}' "/proc/$pid/smaps_rollup")"
        # the private anonymous mappings one by one (malloc arenas, stacks)
        awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); name = NF >= 6 ? $6 : "[anon]"; range = $1 }
             /^Rss:/ && name ~ /^\[(anon|heap|stack)/ && $2 >= 256 { printf "PROF anon %6d kB %s %s\n", $2, name, range }' \
                "/proc/$pid/smaps" | sort -k3 -rn | awk 'NR <= 8'
        # where the resident pages are: the largest mappings by Rss, summed per file
        awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
             /^Rss:/ { rss[name] += $2 }
             END { for (n in rss) if (rss[n] > 0) printf "PROF rss %6d kB %s\n", rss[n], n }' \
                "/proc/$pid/smaps" | sort -k3 -rn | awk 'NR <= 12'
        prof_private "$pid" private
        sleep 5 # the refresh timers of the last changes
        read -r u0 s0 < <(ticks "$pid")
        log "footprint: $IDLE idle seconds"
        sleep "$IDLE"
        read -r u1 s1 < <(ticks "$pid")
        [ "$(daemon_pid)" = "$pid" ] || fail "the daemon restarted during the idle period"
        out foot.idle "$IDLE $((u1 - u0 + s1 - s0)) $((u1 - u0))/$((s1 - s0))"
        out foot.rss_kb_idle "$(rss_kb "$pid")"
        out foot.mem_idle "$(mem "$pid")"
        # does memory grow with each Plan()? 100 calls; the goal's figure is after them
        for ((i = 0; i < 100; i++)); do manager Plan > /dev/null; done
        out foot.rss_kb_plans "$(rss_kb "$pid")"
        out foot.mem_plans "$(mem "$pid")"
        prof_private "$pid" private_plans
        out foot.hwm_kb_plans "$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
fi

# ---- 5. Plan() flood -----------------------------------------------------------------------
# How long unprivileged Plan() calls queued ahead of it delay root's Apply() (issue 10
# item 7). plan-flood (tests/tools) times, per pair, an Apply() alone and an Apply() sent
# right after user nobody has queued CALLS Plan() calls on CONNS connections without
# waiting for replies. The Apply has nothing to do: the NFLOOD namespaces exist.
NFLOOD=16
if want flood; then
        command -v plan-flood > /dev/null || fail "flood: no plan-flood in the guest (bench/run copies it)"
        log "flood: $NFLOOD namespaces provisioned by a policy"
        policy_requests "$BIG" $NFLOOD
        daemon_conf subsection manual
        destroy_all "$BIG"
        daemon_restart
        apply
        [ "$(ndctl_json -N -r "$BIG" | jq length)" = $NFLOOD ] || fail "flood: $NFLOOD namespaces expected"
        sleep 5 # the refresh timers of the creates' uevents
        pid=$(daemon_pid)
        out flood.setup "$NFLOOD $CALLS $CONNS $PAIRS"
        log "flood: $PAIRS pairs: Apply alone, Apply behind $CALLS Plan() calls of nobody on $CONNS connection(s)"
        read -r u0 s0 < <(ticks "$pid")
        plan-flood --calls "$CALLS" --conns "$CONNS" --pairs "$PAIRS" > /tmp/flood.txt ||
                fail "flood: plan-flood failed: $(cat /tmp/flood.txt)"
        read -r u1 s1 < <(ticks "$pid")
        [ "$(daemon_pid)" = "$pid" ] || fail "flood: the daemon restarted during the flood"
        # pair I ALONE_MS FLOODED_MS ANSWERED LIMITED OTHER SEND_MS DRAIN_MS
        while read -r _ i rest; do out "flood.pair.$i" "$rest"; done < /tmp/flood.txt
        out flood.daemon_ticks "$((u1 - u0))/$((s1 - s0))"
fi
out kernel "$(uname -r)"
out finished 1
