#!/bin/bash
# The demo: the example policies on the "all" topology, applied by pmemnsd.service.
set -uo pipefail
mkdir -p /etc/pmemnsd/policy.d
cp /usr/share/doc/pmemnsd/examples/*.conf /etc/pmemnsd/policy.d/
echo "### pmemnsd --check"
pmemnsd --check
echo "### systemctl restart pmemnsd (reconciles at start)"
systemctl restart pmemnsd.service
systemctl --no-pager status pmemnsd.service | head -5
if command -v pmemnsctl >/dev/null; then
        echo "### pmemnsctl status"; pmemnsctl status
        echo "### pmemnsctl list"; pmemnsctl list
        echo "### pmemnsctl plan"; pmemnsctl plan
        pmemnsctl map 2>/dev/null || true
else
        echo "### Plan over D-Bus"
        busctl call org.pmemnsd1 /org/pmemnsd1 org.pmemnsd1.Manager Plan --json=pretty | jq -r '.data[0][] | @tsv'
fi
echo "### journal"
journalctl -u pmemnsd --no-pager -o cat | tail -20
echo "### ndctl list -RN"
ndctl list -RN
