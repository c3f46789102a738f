#!/usr/bin/env bash
# module.sh KERNEL SOURCE_DIR: build the out-of-tree module in SOURCE_DIR (a Kbuild file and its
# sources, one obj-m) against the headers of KERNEL (a kernel.sh name) and print the .ko's path.
# Cached as $ORACLE_CACHE/modules/<name>-<hash>.ko, the hash taken over the sources, the kernel
# package and the compiler. Debian builds each kernel with one gcc version (linux-compiler-gcc-N-x86);
# that gcc must be installed here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || { header_usage "$0" >&2; exit 2; }
kernel=$1 src=$(cd "$2" && pwd)
kdir=$("$ORACLE_DIR/kernel.sh" "$kernel")
build=$("$ORACLE_DIR/kernel.sh" --headers "$kernel")
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(gcc-[0-9]*\).*/\1/p' "$kdir/config")
[ -n "$cc" ] || cc=gcc
command -v "$cc" >/dev/null || die "$(cat "$kdir/release") was built with $cc; install it (apt-get install $cc)"
name=$(sed -n 's/^obj-m[[:space:]]*:\?=[[:space:]]*\([A-Za-z0-9_-]*\)\.o.*/\1/p' "$src/Kbuild" | head -1)
[ -n "$name" ] || die "$src/Kbuild has no 'obj-m := <name>.o' line"
key=$( { (cd "$src" && find . -type f ! -name '*.o' ! -name '*.ko' ! -name '*.mod*' ! -name '.*' -print0 |
          sort -z | xargs -0 sha256sum); cat "$kdir/package"; "$cc" --version | head -1; } | short_hash)
out=$ORACLE_CACHE/modules/$name-$key.ko
if [ ! -f "$out" ]; then
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    cp -r "$src"/. "$work/"
    # PAHOLE=true: no BTF (pahole is not needed for a test module)
    make -s -C "$build" M="$work" CC="$cc" PAHOLE=true modules > "$work/build.log" 2>&1 ||
        die "building $name for $(cat "$kdir/release") failed: $(tail -20 "$work/build.log")"
    mkdir -p "$(dirname "$out")"
    cp "$work/$name.ko" "$out.tmp.$$"; mv "$out.tmp.$$" "$out"
fi
echo "$out"
