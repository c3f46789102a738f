#!/usr/bin/env bash
# Debian's kernel trees for the tests, unpacked once into $ACSQUIRK_CACHE (default
# ~/.cache/acsquirk), outside the repository, keyed on the PACKAGE VERSION: an upgraded
# linux-source-6.12 gets a tree of its own instead of silently reusing the old one.
#
# Usage: scripts/kernel-trees.sh [--deb SERIES=FILE.deb]... [--print] SERIES... [-- COMMAND...]
#   SERIES           6.12, 6.1: the tree of the installed linux-source-SERIES package
#                    (/usr/src/linux-source-SERIES.tar.xz), version from dpkg-query;
#   --deb S=FILE     the tree of series S from a downloaded package instead (`apt-get download
#                    linux-source-6.12=6.12.117-1`), version from the .deb; the system is not touched;
#   --print          print only the tree paths, one a line, in SERIES order;
#   -- COMMAND       run COMMAND with ACSQUIRK_KERNEL_TREE_<series, dots as _>=<tree> in its
#                    environment (ACSQUIRK_KERNEL_TREE_6_12, ...), holding a shared lock on the
#                    cache so that no other run removes a tree while COMMAND uses it.
#
# Layout: $ACSQUIRK_CACHE/linux-source-<key>/ (<key>: the package version, characters other than
# letters, digits, '.', '+', '-' as '_', e.g. 6.12.118-1_deb12u1), with .acsquirk-unpacked (the
# package and version) and .acsquirk-used (touched at every use). The tests keep their git copy
# and defconfig build directory beside it as git-<key>/ and build-<key>/.
#
# Concurrency: unpacking and cleaning take an exclusive flock(1) on $ACSQUIRK_CACHE/.lock;
# COMMAND runs under a shared one. A tree is unpacked into a temporary folder and renamed.
# Stale trees: a linux-source-*/git-*/build-* folder of this layout not used for
# $ACSQUIRK_CACHE_DAYS days (default 7) is removed, with its git copy and build directory.
set -euo pipefail
cache=${ACSQUIRK_CACHE:-$HOME/.cache/acsquirk}
days=${ACSQUIRK_CACHE_DAYS:-7}
mkdir -p "$cache"
lock="$cache/.lock"

declare -A debs=()
series=()
print=0
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) [[ "${2:-}" == *=* ]] || { echo "kernel-trees.sh: --deb takes SERIES=FILE.deb" >&2; exit 2; }
           debs[${2%%=*}]=${2#*=}; shift 2 ;;
    --print) print=1; shift ;;
    --) shift; break ;;
    -*) echo "kernel-trees.sh: unknown option $1" >&2; exit 2 ;;
    *) series+=("$1"); shift ;;
  esac
done
[ ${#series[@]} -gt 0 ] || { echo "usage: kernel-trees.sh [--deb SERIES=FILE.deb]... [--print] SERIES... [-- COMMAND...]" >&2; exit 2; }

key_of() { printf '%s' "$1" | tr -c 'A-Za-z0-9.+-' '_'; }
say() { [ "$print" = 1 ] || echo "$@"; }

# The Makefile's VERSION.PATCHLEVEL.SUBLEVEL of an unpacked tree.
tree_release() {
  awk -F' *= *' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2} $1=="SUBLEVEL"{s=$2} END{print v"."p"."s}' "$1/Makefile"
}

# unpack SERIES VERSION TREE [DEB]: the tarball of the installed package, or the one inside DEB.
unpack() {
  local s=$1 version=$2 tree=$3 deb=${4:-} tmp="$3.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  if [ -n "$deb" ]; then
    echo "unpacking linux-source-$s $version from $deb into $cache" >&2
    dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$s.tar.xz" | tar -xJ -C "$tmp" --strip-components=1
  else
    echo "unpacking /usr/src/linux-source-$s.tar.xz ($version) into $cache" >&2
    tar -xJf "/usr/src/linux-source-$s.tar.xz" -C "$tmp" --strip-components=1
  fi
  local release upstream
  release=$(tree_release "$tmp")
  upstream=${version%%-*}
  case "$release" in
    "$s".*) ;;
    *) echo "kernel-trees.sh: linux-source-$s $version unpacked to a $release tree" >&2; exit 1 ;;
  esac
  [ "$release" = "$upstream" ] || echo "kernel-trees.sh: note: linux-source-$s $version holds Linux $release" >&2
  printf 'linux-source-%s %s\n' "$s" "$version" > "$tmp/.acsquirk-unpacked"
  mv "$tmp" "$tree"
  trap - EXIT
}

# Removes the trees (and their git copies and build directories) not used for $days days.
clean_stale() {
  local keep=("$@") d key stamp
  for d in "$cache"/linux-source-* "$cache"/git-* "$cache"/build-*; do
    [ -d "$d" ] || continue
    key=${d##*/}; key=${key#linux-source-}; key=${key#git-}; key=${key#build-}
    case "$key" in *.tmp.*) ;; *) [[ " ${keep[*]} " == *" $key "* ]] && continue ;; esac
    # Only folders this layout made: a tree with its marker, a git copy, a defconfig build.
    [ -e "$d/.acsquirk-unpacked" ] || [ -e "$d/.acsquirk-defconfig" ] || [ -d "$d/.git" ] \
      || [[ "$d" == *.tmp.* ]] || continue
    stamp="$cache/linux-source-$key/.acsquirk-used"
    [ -e "$stamp" ] || stamp="$cache/linux-source-$key/.acsquirk-unpacked"
    [ -e "$stamp" ] || stamp=$d
    if [ -n "$(find "$stamp" -maxdepth 0 -mtime +"$days" 2>/dev/null)" ] || [[ "$d" == *.tmp.* ]]; then
      echo "removing stale $d" >&2
      rm -rf "$d" "$d.lock"
    fi
  done
}

trees=()
keys=()
exec 9>"$lock"
flock -x 9
for s in "${series[@]}"; do
  if [ -n "${debs[$s]:-}" ]; then
    deb=${debs[$s]}
    [ -f "$deb" ] || { echo "kernel-trees.sh: $deb: no such file" >&2; exit 1; }
    version=$(dpkg-deb -f "$deb" Version)
    package=$(dpkg-deb -f "$deb" Package)
    [ "$package" = "linux-source-$s" ] || { echo "kernel-trees.sh: $deb holds $package, not linux-source-$s" >&2; exit 1; }
  else
    deb=
    version=$(dpkg-query -W -f='${Version}' "linux-source-$s" 2>/dev/null) || true
    [ -n "$version" ] && [ -f "/usr/src/linux-source-$s.tar.xz" ] \
      || { echo "kernel-trees.sh: linux-source-$s is not installed (make test-deps installs it)" >&2; exit 1; }
  fi
  key=$(key_of "$version")
  tree="$cache/linux-source-$key"
  [ -f "$tree/.acsquirk-unpacked" ] || { rm -rf "$tree"; unpack "$s" "$version" "$tree" "$deb"; }
  touch "$tree/.acsquirk-used"
  trees+=("$tree")
  keys+=("$key")
  say "linux-source-$s $version: $tree"
  export "ACSQUIRK_KERNEL_TREE_${s//./_}=$tree"
done
clean_stale "${keys[@]}"
[ "$print" = 1 ] && printf '%s\n' "${trees[@]}"
[ $# -gt 0 ] || exit 0
flock -s 9
exec "$@"
