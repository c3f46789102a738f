#!/usr/bin/env bash
# initramfs.sh: build (once) the guest's base initramfs and print its path:
# the host's static busybox (busybox-static), the host's lspci with every library it links,
# pci.ids, and init.sh as /init. Nothing kernel-specific: boot.sh appends a second archive per run
# with the modules, hooks and settings of that run.
# Cached as $ORACLE_CACHE/initramfs/base-<hash>.cpio.gz, the hash taken over every file inside.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BB=/bin/busybox
[ -x "$BB" ] && LC_ALL=C file -L "$BB" 2>/dev/null | grep -q 'statically linked' ||
    { ldd "$BB" 2>&1 | grep -q 'not a dynamic executable'; } ||
    die "$BB is not the static busybox: install busybox-static"
command -v lspci >/dev/null || die "lspci not found: install pciutils"
[ -f /usr/share/misc/pci.ids ] || die "/usr/share/misc/pci.ids not found: install pci.ids"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,usr/bin,usr/share/misc,etc,oracle/hooks,lib/modules}
cp "$BB" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
lspci=$(readlink -f "$(command -v lspci)")
cp "$lspci" "$stage/usr/bin/lspci"
for lib in $(ldd "$lspci" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
done
gzip -9nc /usr/share/misc/pci.ids > "$stage/usr/share/misc/pci.ids.gz"
cp "$ORACLE_DIR/init.sh" "$stage/init"
chmod 755 "$stage/init"

key=$( (cd "$stage" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum) | short_hash)
out=$ORACLE_CACHE/initramfs/base-$key.cpio.gz
if [ ! -f "$out" ]; then
    mkdir -p "$(dirname "$out")"
    "$ORACLE_DIR/cpio.sh" "$stage" | gzip -9n > "$out.tmp.$$"
    mv "$out.tmp.$$" "$out"
fi
echo "$out"
