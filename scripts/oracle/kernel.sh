#!/usr/bin/env bash
# kernel.sh NAME: fetch one of Debian's kernel images WITHOUT installing it and print the folder
# that holds it, unpacked:
#   vmlinuz        the boot image         release   its `uname -r` (the ABI name)
#   package        "<package> <version>"  config    the kernel's .config
#   root/lib/modules/<release>/           its modules, indexed by depmod (for insmod and lspci -k)
# NAME is a line of the table below: the meta package is resolved through apt today, so the ABI
# name is never written down here (Debian replaces it with every security update).
# The folder is $ORACLE_CACHE/kernel/<package>_<version>; a second call is a cache hit.
# ORACLE_REFRESH=1 updates the private package lists of foreign suites first.
# kernel.sh --headers NAME: also fetch the kernel's linux-headers packages and print the folder to
# build out-of-tree modules against (make -C FOLDER M=...; module.sh does that).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# NAME  SUITE (host = this machine's apt sources)  META PACKAGE
KERNELS="
6.12  host      linux-image-6.12-amd64
6.1   host      linux-image-amd64
5.10  bullseye  linux-image-amd64
"

usage() { header_usage "$0"; echo "names:"; echo "$KERNELS" | sed '/^$/d;s/^/  /'; exit 2; }
headers=0
[ "${1:-}" = --headers ] && { headers=1; shift; }
[ $# -eq 1 ] || usage
name=$1
row=$(echo "$KERNELS" | awk -v n="$name" '$1 == n') || true
[ -n "$row" ] || { echo "oracle: error: unknown kernel name '$name'" >&2; usage; }
read -r _ suite meta <<<"$row"

# name -> package resolved once per state of the package lists (apt-cache takes seconds)
lists=/var/lib/apt/lists
[ "$suite" = host ] || lists=$ORACLE_CACHE/apt/$suite/lists/.updated
resolved=$ORACLE_CACHE/kernel/$name.resolved
if [ "$headers" = 0 ] && [ -f "$resolved" ] && [ -e "$lists" ] && [ "$resolved" -nt "$lists" ] &&
   [ -z "$(find "$resolved" -mmin +1440)" ] && [ -f "$(cat "$resolved")/package" ]; then
    cat "$resolved"
    exit 0
fi
# One kernel.sh at a time from here on: parallel boots share the cache (make test runs the module
# route's proofs at once), and one run's unpacking must not remove a folder another run is
# unpacking or building against. A run that waited finds the folders made and reuses them.
mkdir -p "$ORACLE_CACHE"
exec 9>"$ORACLE_CACHE/kernel.lock"
flock 9
oracle_apt "$suite"

pkg=$(apt-cache "${APT[@]}" depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || die "apt knows no $meta in suite $suite (run apt-get update, or ORACLE_REFRESH=1)"
ver=$(candidate_version "$pkg")
[ -n "$ver" ] || die "apt has no version of $pkg (meta package $meta) in suite $suite"

dir=$ORACLE_CACHE/kernel/${pkg}_$ver
if [ ! -f "$dir/package" ]; then
    deb=$(oracle_download "$pkg" "$ver")
    note "unpacking $(basename "$deb")"
    tmp=$dir.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp/root"
    trap 'rm -rf "$tmp"' EXIT
    dpkg-deb -x "$deb" "$tmp/root"
    img=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -1)
    [ -n "$img" ] || die "$deb holds no boot/vmlinuz-*"
    release=${img##*/vmlinuz-}
    mv "$img" "$tmp/vmlinuz"
    mv "$tmp/root/boot/config-$release" "$tmp/config"
    rm -rf "$tmp/root/boot" "$tmp/root/usr"
    echo "$release" > "$tmp/release"
    depmod -b "$tmp/root" "$release" || die "depmod failed for $release"
    echo "$pkg $ver" > "$tmp/package"
    rm -rf "$dir"; mv "$tmp" "$dir"
    trap - EXIT
fi
mkdir -p "$(dirname "$resolved")"
echo "$dir" > "$resolved.$$" && mv "$resolved.$$" "$resolved"
[ "$headers" = 1 ] || { echo "$dir"; exit 0; }

# --headers: linux-headers-<release> and the linux-headers-*/linux-kbuild-* packages it depends
# on, unpacked into headers/; the arch folder's Makefile includes the -common folder by absolute
# path, which is pointed at the private copy.
release=$(cat "$dir/release")
build=$dir/headers/usr/src/linux-headers-$release
if [ ! -f "$dir/headers/.unpacked" ]; then
    hpkg=linux-headers-$release
    hver=$(candidate_version "$hpkg")
    [ -n "$hver" ] || die "apt has no $hpkg in suite $suite"
    pkgs=("$hpkg=$hver")
    while read -r dep; do
        pkgs+=("$dep=$(candidate_version "$dep")")
    done < <(apt-cache "${APT[@]}" depends "$hpkg" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-(headers|kbuild)-/ {print $2}')
    # Unpacked beside the folder and renamed into place: a run cut off leaves no half folder.
    tmp=$dir/headers.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    for p in "${pkgs[@]}"; do dpkg-deb -x "$(oracle_download "${p%%=*}" "${p#*=}")" "$tmp"; done
    staged=$tmp/usr/src/linux-headers-$release
    [ -f "$staged/Makefile" ] || die "no $build/Makefile after unpacking ${pkgs[*]}"
    sed -i "s#/usr/src/linux-headers-#$dir/headers/usr/src/linux-headers-#" "$staged/Makefile"
    touch "$tmp/.unpacked"
    rm -rf "$dir/headers"; mv "$tmp" "$dir/headers"
    trap - EXIT
fi
echo "$build"
