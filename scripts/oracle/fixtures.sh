#!/usr/bin/env bash
# fixtures.sh [--check] [--jobs N] [FIXTURE_DIR...]: boot every QEMU fixture of Tests/Fixtures again
# and write (or, with --check, compare) what the kernel said. Without FIXTURE_DIR: all of them.
# Three layouts are understood:
#  * case folders (qemu-cmdline, qemu-sriov): <set>/<topology>/topology.args,
#    <set>/<topology>/<case>/boot.args (boot.sh options, one per line, "# ..." comments) and
#    NOTES.md; the set's file "kernels" names the kernels (kernel.sh names); each is booted into
#    <case>/<kernel>/ as cmdline.txt release.txt groups.txt dump.txt vvv.txt tree.txt dmesg.txt
#    (+ sriov.txt when the sriov hook ran).
#  * qemu-quirk/<name>/: topology.args and boot.args in one folder, booted on 6.12 into
#    dump.txt groups.txt vvv.txt beside them.
#  * qemu/<topology>/ (the first fixtures): topology.args booted with the defaults on 6.12 into
#    dump.txt groups.txt vvv.txt tree.txt and on 6.1 into dump-6.1.txt groups-6.1.txt vvv-6.1.txt.
# Every boot's full output stays in $ORACLE_CACHE/runs/ for a look at console.log.
# --check writes nothing and exits 1 when a booted file differs from the committed one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
FIX=$ORACLE_REPO/Tests/Fixtures
CASE_FILES="cmdline.txt release.txt groups.txt dump.txt vvv.txt tree.txt dmesg.txt sriov.txt"

# --job SET_KIND DEST_DIR TOPOLOGY BOOT_ARGS KERNEL: one boot (run by xargs below)
if [ "${1:-}" = --job ]; then
    kind=$2 dest=$3 topo=$4 bargs=$5 kernel=$6 check=$7
    run=$ORACLE_CACHE/runs/${dest#"$FIX"/}/$kernel
    opts=()
    if [ -f "$bargs" ]; then
        while IFS= read -r line; do
            line=${line%%#*}; line=$(echo "$line" | sed 's/[[:space:]]*$//')
            [ -n "$line" ] || continue
            opt=${line%% *}; val=""; [ "$opt" = "$line" ] || val=${line#* }
            case $opt in
                --no-iommu-device) opts+=("$opt");;
                --hook|--module-src) opts+=("$opt" "$ORACLE_REPO/$val");;   # relative to the repository
                *) opts+=("$opt" "$val");;
            esac
        done < "$bargs"
    fi
    log=$("$ORACLE_DIR/boot.sh" -k "$kernel" -o "$run" "${opts[@]}" "$topo" 2>&1) || {
        echo "FAIL ${dest#"$FIX"/} [$kernel]: $log"; exit 1; }
    if [ "$kind" = flat ]; then
        map="dump.txt:dump.txt groups.txt:groups.txt vvv.txt:vvv.txt"; dir=$dest
    elif [ "$kind" = legacy ]; then
        if [ "$kernel" = 6.12 ]; then map="dump.txt:dump.txt groups.txt:groups.txt vvv.txt:vvv.txt tree.txt:tree.txt"
        else map="dump.txt:dump-$kernel.txt groups.txt:groups-$kernel.txt vvv.txt:vvv-$kernel.txt"; fi
        dir=$dest
    else
        map=""; for f in $CASE_FILES; do [ -f "$run/$f" ] && map="$map $f:$f"; done
        dir=$dest/$kernel
    fi
    status=ok
    for m in $map; do
        src=$run/${m%%:*} dst=$dir/${m#*:}
        if [ "$check" = 1 ]; then
            cmp -s "$src" "$dst" || { status=differs; echo "DIFF ${dst#"$FIX"/}"; diff "$dst" "$src" | head -8 | sed 's/^/    /'; }
        else
            mkdir -p "$dir"; cp "$src" "$dst.tmp"; mv "$dst.tmp" "$dst"
        fi
    done
    echo "$status ${dest#"$FIX"/} [$kernel] $(sed -n 's/.*wall=\([0-9.]*s\).*/\1/p' "$run/time.log")"
    [ $status = ok ]
    exit
fi

check=0 jobs=2 dirs=()
while [ $# -gt 0 ]; do
    case $1 in
        --check) check=1; shift;;
        --jobs) jobs=${2:?}; shift 2;;
        -h|--help) header_usage "$0"; exit 0;;
        -*) die "unknown option $1";;
        *) dirs+=("$(cd "$1" && pwd)"); shift;;
    esac
done
oracle_require_packages
[ ${#dirs[@]} -gt 0 ] || dirs=("$FIX")

list=$(mktemp); trap 'rm -f "$list"' EXIT
in_dirs() { local d; for d in "${dirs[@]}"; do case $1/ in "$d"/*) return 0;; esac; done; return 1; }
{
    for topo in "$FIX"/qemu/*/topology.args; do
        in_dirs "$(dirname "$topo")" || continue
        for k in 6.12 6.1; do echo "legacy $(dirname "$topo") $topo - $k $check"; done
    done
    find "$FIX" -path "$FIX/qemu/*" -prune -o -name boot.args -print | sort | while read -r b; do
        case=$(dirname "$b"); tdir=$(dirname "$case"); set_dir=$(dirname "$tdir")
        in_dirs "$case" || continue
        if [ -f "$case/topology.args" ]; then echo "flat $case $case/topology.args $b 6.12 $check"; continue; fi
        [ -f "$tdir/topology.args" ] || die "$tdir/topology.args is missing"
        [ -f "$set_dir/kernels" ] || die "$set_dir/kernels is missing (the kernels to boot)"
        for k in $(cat "$set_dir/kernels"); do echo "case $case $tdir/topology.args $b $k $check"; done
    done
} > "$list"
# the kernels and the base initramfs first, so parallel boots never race on the cache
for k in $(awk '{print $5}' "$list" | sort -u); do "$ORACLE_DIR/kernel.sh" "$k" >/dev/null; done
"$ORACLE_DIR/initramfs.sh" >/dev/null
n=$(wc -l < "$list")
note "$n boots, $jobs at a time"
start=$(date +%s)
rc=0
xargs -r -P "$jobs" -L 1 "$0" --job < "$list" || rc=$?
note "$n boots in $(( $(date +%s) - start )) s"
exit $rc
