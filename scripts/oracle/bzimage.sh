#!/usr/bin/env bash
# bzimage.sh [--quirks FILE | --describe] TREE: build a kernel from the source tree TREE for the oracle's guest
# (boot.sh -k IMAGE) and print the image's path: `make tinyconfig` plus iommu-boot.config (PCI,
# PCIe ports, ACPI, the Intel IOMMU, initramfs, serial console; no modules), `make bzImage`.
# --quirks FILE builds it with FILE as drivers/pci/quirks.c (a patched copy: `git am` of a series
# on that file); TREE itself is never written. --describe prints what the image would be built
# from (the lines "source", "fragment", "compiler" of the cache's info file) and builds nothing.
# Cache: $ORACLE_CACHE/bzimage/<key>/, the key taken over the tree (its path, `make kernelversion`,
# the package marker scripts/kernel-trees.sh leaves, the git HEAD of a git tree), the config
# fragment and the compiler (gcc and ld versions). It holds src/ (TREE hard-linked, with a private
# quirks.c), build/ (the O= folder: a later build recompiles quirks.c and relinks) and
# images/<sha of quirks.c>.bzImage, so an image already built is printed at once. One build at a
# time per key (flock). A key not used for $ACSQUIRK_CACHE_DAYS days (default 7) is removed.
# Needs build-essential flex bison bc libelf-dev (installed as root, else the apt-get command is
# printed). The first build of a key compiles the whole kernel (measured: 10 min of CPU, about
# 5 min on 2 idle cores, 30 min on a loaded one); each other quirks.c recompiles one file and
# relinks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quirks="" describe=0
while [ $# -gt 0 ]; do
    case $1 in
        --quirks) quirks=$(readlink -f "${2:?}"); shift 2;;
        --describe) describe=1; shift;;
        -h|--help) header_usage "$0"; exit 0;;
        -*) echo "oracle: unknown option $1" >&2; header_usage "$0" >&2; exit 2;;
        *) break;;
    esac
done
[ $# -eq 1 ] || { header_usage "$0" >&2; exit 2; }
tree=$(readlink -f "$1")
[ -f "$tree/Makefile" ] && [ -f "$tree/drivers/pci/quirks.c" ] || die "$1 is not a kernel source tree (no Makefile or drivers/pci/quirks.c)"
[ -z "$quirks" ] || [ -f "$quirks" ] || die "no file $quirks"
"$ORACLE_REPO/scripts/ensure-packages.sh" build-essential flex bison bc libelf-dev ||
    die "missing packages to build a kernel (see above)"
fragment=$ORACLE_DIR/iommu-boot.config

version=$(make -s -C "$tree" kernelversion 2>/dev/null) || die "make kernelversion failed in $tree"
marker=$(cat "$tree/.acsquirk-unpacked" 2>/dev/null || true)
head=$(git -C "$tree" rev-parse -q --verify HEAD 2>/dev/null || true)
compiler="$(gcc --version | head -1); $(ld --version | head -1)"
info="source $tree: Linux $version${marker:+ ($marker)}${head:+, git $head}
fragment scripts/oracle/iommu-boot.config $(sha256sum < "$fragment" | cut -c1-16)
compiler $compiler"
[ "$describe" = 0 ] || { echo "$info"; exit 0; }
key=$( { echo "$tree"; echo "$version"; echo "$marker"; echo "$head"; cat "$fragment"; echo "$compiler"; } | short_hash)
dir=$ORACLE_CACHE/bzimage/$key
source_file=${quirks:-$tree/drivers/pci/quirks.c}
image=$dir/images/$(sha256sum < "$source_file" | cut -c1-16).bzImage
mkdir -p "$dir"
touch "$dir/.used"
# other keys not used for a while (an upgraded tree, another compiler), unless one is building
for old in "$ORACLE_CACHE"/bzimage/*/; do
    old=${old%/}
    [ "$old" != "$dir" ] && [ -f "$old/.used" ] && [ -n "$(find "$old/.used" -mtime +"${ACSQUIRK_CACHE_DAYS:-7}")" ] || continue
    ( flock -n 8 && note "removing $old (not used for ${ACSQUIRK_CACHE_DAYS:-7} days)" && rm -rf "$old" ) 8>"$old.lock" || true
done
[ -f "$image" ] && { echo "$image"; exit 0; }

exec 9>"$dir.lock"
flock 9
[ -f "$image" ] && { echo "$image"; exit 0; }
echo "$info" > "$dir/info"

# src/: the tree hard-linked (seconds, no space), quirks.c always a private file: it is replaced by
# rename, never written through a link into TREE.
if [ ! -f "$dir/src/.acsquirk-src" ]; then
    note "linking $tree into $dir/src"
    rm -rf "$dir/src" "$dir/src.tmp"
    cp -al "$tree" "$dir/src.tmp" 2>/dev/null || { rm -rf "$dir/src.tmp"; cp -a "$tree" "$dir/src.tmp"; }
    touch "$dir/src.tmp/.acsquirk-src"
    mv "$dir/src.tmp" "$dir/src"
fi
q=$dir/src/drivers/pci/quirks.c
cmp -s "$source_file" "$q" && [ "$(stat -c %h "$q")" = 1 ] || { cp "$source_file" "$q.tmp.$$"; mv "$q.tmp.$$" "$q"; }

# build/.config: tinyconfig + fragment, every fragment line checked in the result
jobs=$(nproc)
if [ ! -f "$dir/build/.acsquirk-config" ]; then
    note "configuring $version: tinyconfig + iommu-boot.config"
    rm -rf "$dir/build"; mkdir -p "$dir/build"
    make -s -C "$dir/src" O="$dir/build" tinyconfig > "$dir/config.log" 2>&1 &&
        "$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/build" "$dir/build/.config" "$fragment" >> "$dir/config.log" 2>&1 &&
        make -s -C "$dir/src" O="$dir/build" olddefconfig >> "$dir/config.log" 2>&1 ||
        die "configuring $tree failed: $(tail -15 "$dir/config.log")"
    missing=""
    while IFS= read -r line; do
        case $line in
            CONFIG_*=n) opt=${line%=n}; grep -q "^$opt=" "$dir/build/.config" && missing="$missing $line";;
            CONFIG_*) grep -qx "$line" "$dir/build/.config" || missing="$missing $line";;
        esac
    done < "$fragment"
    [ -z "$missing" ] || die "$version does not take these iommu-boot.config lines (a dependency is missing):$missing"
    touch "$dir/build/.acsquirk-config"
fi
note "building $version bzImage ($jobs jobs, log $dir/build.log)"
start=$(date +%s)
make -s -C "$dir/src" O="$dir/build" -j"$jobs" bzImage > "$dir/build.log" 2>&1 ||
    die "make bzImage of $tree failed: $(tail -25 "$dir/build.log")"
mkdir -p "$dir/images"
cp "$dir/build/arch/x86/boot/bzImage" "$image.tmp.$$"
mv "$image.tmp.$$" "$image"
note "built $image in $(( $(date +%s) - start )) s"
echo "$image"
