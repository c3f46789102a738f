# rescan.sh (a boot.sh --hook): remove every device on a root bus except the host bridge 00:00.0
# and the ICH9 functions 00:1f.*, then rescan, so that the IOMMU groups are formed again with
# whatever the modules loaded before changed (a bridge takes its whole subtree with it).
# ORACLE_RESCAN="BDF ..." removes only those devices instead.
if [ -n "${ORACLE_RESCAN:-}" ]; then
    for b in $ORACLE_RESCAN; do echo 1 > "/sys/bus/pci/devices/$b/remove"; done
else
    for d in /sys/devices/pci[0-9a-f]*:[0-9a-f]*/[0-9a-f]*:[0-9a-f]*:[0-9a-f]*.[0-7]; do
        case ${d##*/} in 0000:00:00.0|0000:00:1f.*) continue;; esac
        [ -e "$d/remove" ] && echo 1 > "$d/remove"
    done
fi
echo 1 > /sys/bus/pci/rescan
echo "rescan: groups below were formed after remove and rescan" > /oracle/out/rescan
