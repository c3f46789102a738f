#!/usr/bin/env bash
# Unpacks Debian's linux-source-<v> tarballs into $ACSQUIRK_CACHE (default ~/.cache/acsquirk),
# outside the repository, once: $ACSQUIRK_CACHE/linux-source-<v>/ with a .acsquirk-unpacked marker.
# Usage: scripts/kernel-trees.sh [--print] 6.12 6.1
#   --print   print only the tree paths, one a line, in the order given (make prove and the boot
#             proof's tests find the tree this way)
set -euo pipefail
cache=${ACSQUIRK_CACHE:-$HOME/.cache/acsquirk}
print=0
if [ "${1:-}" = --print ]; then print=1; shift; fi
[ $# -gt 0 ] || { echo "usage: kernel-trees.sh [--print] VERSION..." >&2; exit 2; }
mkdir -p "$cache"
for v in "$@"; do
  tree="$cache/linux-source-$v"
  if [ ! -f "$tree/.acsquirk-unpacked" ]; then
    tarball="/usr/src/linux-source-$v.tar.xz"
    [ -f "$tarball" ] || { echo "missing $tarball: install linux-source-$v" >&2; exit 1; }
    echo "unpacking $tarball into $cache" >&2
    rm -rf "$tree" "$tree.tmp"
    mkdir -p "$tree.tmp"
    tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
    touch "$tree.tmp/.acsquirk-unpacked"
    mv "$tree.tmp" "$tree"
  fi
  [ "$print" = 0 ] || echo "$tree"
done
