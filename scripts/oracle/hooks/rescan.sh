# rescan.sh (a boot.sh --hook): remove every device on a root bus except the host bridge 00:00.0
# and the ICH9 functions 00:1f.*, then rescan, so that the IOMMU groups are formed again with
# whatever the modules loaded before changed (a bridge takes its whole subtree with it).
# ORACLE_RESCAN="BDF ..." removes only those devices instead.
# ORACLE_RESCAN_PARAM=/sys/module/<module>/parameters/<bool>: rescan twice, first with that
# parameter 0, then with it 1, recording the groups as the kernel formed them at boot (section
# groups-boot) and after the first rescan (section groups-off); groups.txt is after the second.
# modules/acs-quirk's rows parameter: one boot shows the groups without and with its rows.
rescan() {
    if [ -n "${ORACLE_RESCAN:-}" ]; then
        for b in $ORACLE_RESCAN; do echo 1 > "/sys/bus/pci/devices/$b/remove"; done
    else
        for d in /sys/devices/pci[0-9a-f]*:[0-9a-f]*/[0-9a-f]*:[0-9a-f]*:[0-9a-f]*.[0-7]; do
            case ${d##*/} in 0000:00:00.0|0000:00:1f.*) continue;; esac
            [ -e "$d/remove" ] && echo 1 > "$d/remove"
        done
    fi
    echo 1 > /sys/bus/pci/rescan
}
set_param() {
    echo "$1" > "$ORACLE_RESCAN_PARAM" && [ "$(cat "$ORACLE_RESCAN_PARAM")" = "$2" ] ||
        echo "rescan: could not set $ORACLE_RESCAN_PARAM to $1" >> /oracle/out/failed
}
if [ -n "${ORACLE_RESCAN_PARAM:-}" ]; then
    iommu_groups > /oracle/out/groups-boot
    set_param 0 N
    rescan
    iommu_groups > /oracle/out/groups-off
    set_param 1 Y
    rescan
    echo "rescan: groups-boot as formed at boot; groups-off after a rescan with $ORACLE_RESCAN_PARAM=0;" \
         "groups after a rescan with it 1" > /oracle/out/rescan
else
    rescan
    echo "rescan: groups below were formed after remove and rescan" > /oracle/out/rescan
fi
