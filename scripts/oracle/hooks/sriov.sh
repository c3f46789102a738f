# sriov.sh (a boot.sh --hook): enable SR-IOV virtual functions before the dumps.
# ORACLE_SRIOV="<PF BDF>=<NumVFs> ..." (boot.sh --set). Needs boot.sh --module pci-pf-stub: the PF
# gets that driver through driver_override (sriov_numvfs needs a bound driver with
# sriov_configure), and sriov_drivers_autoprobe is switched off so no driver touches the VFs.
# Writes the section "sriov": per PF what sysfs says, and each virtfnN link.
for spec in ${ORACLE_SRIOV:-}; do
    pf=${spec%=*} n=${spec#*=}
    d=/sys/bus/pci/devices/$pf
    if [ ! -e "$d/sriov_numvfs" ]; then
        echo "sriov: $pf has no SR-IOV capability in sysfs" >> /oracle/out/failed
        continue
    fi
    echo pci-pf-stub > "$d/driver_override"
    echo "$pf" > /sys/bus/pci/drivers_probe
    echo 0 > "$d/sriov_drivers_autoprobe"
    echo "$n" > "$d/sriov_numvfs"
    rc=$?
    {
        echo "$pf driver=$(basename "$(readlink "$d/driver")") totalvfs=$(cat "$d/sriov_totalvfs") numvfs=$(cat "$d/sriov_numvfs") offset=$(cat "$d/sriov_offset") stride=$(cat "$d/sriov_stride") vf_device=$(cat "$d/sriov_vf_device") rc=$rc"
        for v in "$d"/virtfn*; do
            [ -e "$v" ] && echo "  ${v##*/} $(basename "$(readlink "$v")")"
        done
    } >> /oracle/out/sriov
    [ "$(cat "$d/sriov_numvfs")" = "$n" ] || echo "sriov: $pf has $(cat "$d/sriov_numvfs") VFs, not $n (rc=$rc)" >> /oracle/out/failed
done
