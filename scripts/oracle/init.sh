#!/bin/busybox sh
# /init of the oracle's guest (busybox sh). Loads the modules listed in /oracle/modules.load, runs
# the hooks in /oracle/hooks/*.sh (sourced, in name order, after /oracle/env), then writes every
# result to /dev/ttyS1 between "@@@BEGIN name" and "@@@END name" lines and powers off. The kernel's
# console is ttyS0, so its messages never interleave with the results.
# A hook adds a section of its own by writing /oracle/out/<name>.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /oracle/out
[ -f /oracle/env ] && . /oracle/env

# "<group> <BDF>" for every device in /sys/kernel/iommu_groups (empty without an IOMMU), sorted;
# the groups section below, and for hooks that record the groups at other moments
iommu_groups() {
    for l in /sys/kernel/iommu_groups/*/devices/*; do
        [ -e "$l" ] || continue
        g=${l#/sys/kernel/iommu_groups/}
        echo "${g%%/*} ${l##*/}"
    done | sort -n -k1,1 -k2,2
}

# modules.load: "<path of .ko> [parameters]" per line, in load order
if [ -f /oracle/modules.load ]; then
    while read -r ko args; do
        [ -n "$ko" ] || continue
        insmod "$ko" $args
        echo "insmod ${ko##*/} $args rc=$?"
    done < /oracle/modules.load > /oracle/out/modules 2>&1
fi
for h in /oracle/hooks/*.sh; do
    [ -f "$h" ] || continue
    echo "# ${h##*/}"
    . "$h"
done > /oracle/out/hooks 2>&1

OUT=/dev/ttyS1
[ -c $OUT ] || OUT=/dev/console
stty -F $OUT raw -echo 2>/dev/null   # no \r\n translation, no echo
{
    begin() { echo "@@@BEGIN $1"; }
    end() { echo "@@@END $1"; }
    begin cmdline; cat /proc/cmdline; end cmdline
    begin release; uname -r; end release
    begin groups; iommu_groups; end groups
    begin dump; lspci -xxxx -D 2>>/oracle/out/lspci-stderr; end dump
    begin vvv; lspci -vvvnnD 2>>/oracle/out/lspci-stderr; end vvv
    begin tree; lspci -tvnn 2>>/oracle/out/lspci-stderr; end tree
    begin dmesg
    # what the kernel said about the IOMMU, ACS, its parameters and SR-IOV; no timestamps
    dmesg | sed 's/^\[[ 0-9.]*\] //' |
        grep -E 'DMAR|[Ii][Oo][Mm][Mm][Uu]|\bACS|acs|Unknown option|pci=|SR-IOV|sriov|pf-stub|virtfn|\bVFs?\b|\bATS\b'
    end dmesg
    for f in /oracle/out/*; do
        [ -f "$f" ] || continue
        begin "${f##*/}"; cat "$f"; end "${f##*/}"
    done
    echo "@@@DONE"
} > $OUT 2>&1
sync
poweroff -f
