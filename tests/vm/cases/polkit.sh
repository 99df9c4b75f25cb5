#!/bin/bash
# shellcheck disable=SC2086 # $B and $MGR are several words
# polkit authorization of the mutating methods (issue 13 item 2), topology "labelled": a
# rules.d rule grants org.pmemnsd1.apply to group pmemadm. A member may Apply (busctl and
# pmemnsctl) but not Reload, a non-member may do neither (AccessDenied from the daemon, which
# the bus policy lets the calls reach; pmemnsctl says "needs root or a polkit grant"), root
# may everything. With polkit stopped and masked, root only: the member is refused too.
#   vm-run --kernel 6.12 --topology labelled tests/vm/cases/polkit.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest-lib.sh
. /pmemnsd-test/guest-lib.sh

B="busctl --timeout=600"
MGR=$PMEMNSD_MGR
SINCE=$(date '+%Y-%m-%d %H:%M:%S')

[ -f /usr/share/polkit-1/actions/org.pmemnsd1.policy ] || fail "the polkit actions are not installed"
mkdir -p /etc/pmemnsd/policy.d
printf '[daemon]\napply = manual\n' > /etc/pmemnsd/pmemnsd.conf
printf '[region main]\nmatch.provider = ACPI.NFIT\n[namespace p]\nregion = main\nmode = raw\nsize = 32M\n' \
        > /etc/pmemnsd/policy.d/50-polkit.conf
# (udev may have started it at boot, before the policy was there)
systemctl restart pmemnsd.service || fail "pmemnsd did not start"

groupadd pmemadm
useradd -M -N -G pmemadm member
useradd -M -N outsider
cat > /etc/polkit-1/rules.d/50-pmemadm.rules <<'JS'
polkit.addRule(function(action, subject) {
        if (action.id == "org.pmemnsd1.apply" && subject.isInGroup("pmemadm"))
                return polkit.Result.YES;
});
JS
# the guest image is packed with every file owned by root (cpio -R 0:0): give polkitd back
# its rules directories, as the package has them
chown polkitd /etc/polkit-1/rules.d /usr/share/polkit-1/rules.d
systemctl restart polkit.service || fail "polkit did not start"
for a in apply reload create-namespace destroy-namespace; do
        pkaction --action-id "org.pmemnsd1.$a" --verbose | grep -q 'implicit any: *auth_admin_keep' ||
                fail "polkit does not know org.pmemnsd1.$a with auth_admin_keep"
done
log "polkit knows the four actions (auth_admin_keep); rule: pmemadm may apply"

as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
journal_has() { journalctl -u pmemnsd --since "$SINCE" --no-pager -o cat | grep -Eq "$1"; }
refused() {  # who expected-text command...: refused with AccessDenied, the text in the output
        local who=$1 want=$2 out; shift 2
        if out=$(as "$who" "$@" 2>&1); then fail "$who may: $*"; fi
        grep -q -- "$want" <<< "$out" || fail "$who: $*: expected '$want', got: $out"
}
ns_p() { ndctl list -N | jq -r '.[]? | select(.name == "p") | .dev'; }

# the member: Apply through polkit, the namespace made; Reload is not granted
$B call $MGR Plan >/dev/null
as member $B call $MGR Apply >/dev/null || fail "member: busctl Apply refused"
[ -n "$(ns_p)" ] || fail "member's Apply made no namespace"
as member pmemnsctl apply >/dev/null || fail "member: pmemnsctl apply refused"
journal_has "Allowed Apply\(\) to uid $(id -u member) .*polkit grants org\.pmemnsd1\.apply" ||
        fail "no 'Allowed Apply() to uid $(id -u member)' in the journal"
refused member 'Access denied' $B call $MGR Reload
refused member 'needs root or a polkit grant of org.pmemnsd1.reload' pmemnsctl reload
log "member: Apply allowed by polkit, Reload refused"

# the outsider: refused by the daemon (the bus let the call through), with and without
# interactive authorization allowed (no agent here)
for i in yes no; do
        refused outsider 'Access denied' $B --allow-interactive-authorization=$i call $MGR Apply
done
refused outsider 'needs root or a polkit grant' pmemnsctl apply
refused outsider 'Access denied' $B call $MGR DestroyNamespace o "/org/pmemnsd1/namespace/$(ns_p | tr . _)"
[ -n "$(ns_p)" ] || fail "the outsider's DestroyNamespace destroyed p"
sleep 0.5
journal_has "Denied Apply\(\) to uid $(id -u outsider) " || fail "the outsider's Apply was not refused by the daemon"
journal_has "Denied DestroyNamespace\(\) to uid $(id -u outsider) " ||
        fail "the outsider's DestroyNamespace was not refused by the daemon"
as outsider pmemnsctl apply 2>&1 | head -1 || true
log "outsider: refused by the daemon, pmemnsctl says needs root or a polkit grant"

# root: no polkit question
pmemnsctl apply >/dev/null || fail "root: pmemnsctl apply"
pmemnsctl reload || fail "root: pmemnsctl reload"
log "root: allowed"

# polkit gone: root only
systemctl mask polkit.service
systemctl stop polkit.service
SINCE=$(date '+%Y-%m-%d %H:%M:%S')
refused member 'Access denied' $B call $MGR Apply
refused member 'needs root or a polkit grant of org.pmemnsd1.apply: polkit is not running' pmemnsctl apply
sleep 0.5
journal_has "Denied Apply\(\) to uid $(id -u member) .*polkit is not running" ||
        fail "the member's refusal without polkit is not logged as such"
journalctl -u pmemnsd --since "$SINCE" --no-pager -o cat | grep 'Denied Apply' | head -1
pmemnsctl apply >/dev/null || fail "root without polkit: pmemnsctl apply"
out=$(pmemnsctl destroy "$(ns_p)") || fail "root without polkit: pmemnsctl destroy: $out"
log "without polkit: the member refused, root allowed"
systemctl is-active -q pmemnsd.service || fail "pmemnsd is not running at the end"
echo "PASS polkit"
