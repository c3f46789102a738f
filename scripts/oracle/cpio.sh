#!/usr/bin/env bash
# cpio.sh DIR: write DIR as a newc cpio archive to stdout, reproducibly (sorted names, every mtime
# 0, owner root) with busybox's cpio (Debian has no cpio binary by default), plus /dev/console and
# /dev/null, which the kernel wants before devtmpfs is mounted.
set -euo pipefail
dir=$1
mkdir -p "$dir/dev"
[ -e "$dir/dev/console" ] || mknod -m 600 "$dir/dev/console" c 5 1
[ -e "$dir/dev/null" ] || mknod -m 666 "$dir/dev/null" c 1 3
find "$dir" -exec touch -h -d @0 {} +
cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null
