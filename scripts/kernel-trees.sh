#!/usr/bin/env bash
# Unpacks Debian's linux-source-<v> tarballs into $ACSQUIRK_CACHE (default ~/.cache/acsquirk),
# outside the repository, once: $ACSQUIRK_CACHE/linux-source-<v>/ with a .acsquirk-unpacked marker.
# Usage: scripts/kernel-trees.sh 6.12 6.1
set -euo pipefail
cache=${ACSQUIRK_CACHE:-$HOME/.cache/acsquirk}
mkdir -p "$cache"
for v in "$@"; do
  tree="$cache/linux-source-$v"
  [ -f "$tree/.acsquirk-unpacked" ] && continue
  tarball="/usr/src/linux-source-$v.tar.xz"
  [ -f "$tarball" ] || { echo "missing $tarball: install linux-source-$v" >&2; exit 1; }
  echo "unpacking $tarball into $cache"
  rm -rf "$tree" "$tree.tmp"
  mkdir -p "$tree.tmp"
  tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
  touch "$tree.tmp/.acsquirk-unpacked"
  mv "$tree.tmp" "$tree"
done
