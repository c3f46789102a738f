#!/usr/bin/env bash
# The kernel-tree tests on the versions of Debian's linux-source-6.12 and linux-source-6.1 the
# archive serves, not only the installed ones: each other version is fetched with
# `apt-get download` into a scratch folder (the system's packages are never touched), unpacked by
# scripts/kernel-trees.sh (--deb) and the tests that read a kernel tree run on it, the other
# series on its installed package.
#
# Usage: scripts/kernel-versions.sh [SERIES=VERSION...]
#   default: every version `apt-cache madison` lists for each series today (they rotate; a version
#   no longer served is reported and skipped, never a failure of the script itself).
# Environment: KERNEL_TEST_FILTER (a `swift test --filter` regex; default: the suites that read a
#   kernel tree), KERNEL_SERIES (default "6.12 6.1"). Run `swift build --build-tests` first
#   (`make kernel-versions` does). Logs: .build/kernel-versions/<series>-<version>.log.
# Trees unpacked here for versions that are not installed are removed again afterwards (with
# their git copy and build directory), unless they were in the cache before.
# Exit 0 when every tested version passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a series <<< "${KERNEL_SERIES:-6.12 6.1}"
filter=${KERNEL_TEST_FILTER:-'KernelOutputTests\.|RegistryTests\.Import|PCIConfigTests\.ACSTests|PipelineTests\.RunTests'}
cache=${ACSQUIRK_CACHE:-$HOME/.cache/acsquirk}
logs=$PWD/.build/kernel-versions
mkdir -p "$logs" "$cache"

served() { apt-cache madison "linux-source-$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u -V -r; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for s in "${series[@]}"; do
    versions=$(served "$s")
    if [ -z "$versions" ] && [ "$(id -u)" -eq 0 ]; then apt-get update -qq -o DPkg::Lock::Timeout=600 || true; versions=$(served "$s"); fi
    [ -n "$versions" ] || echo "linux-source-$s: apt-cache madison lists no version" >&2
    for v in $versions; do targets+=("$s=$v"); done
  done
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
results=()
status=0
for t in "${targets[@]}"; do
  s=${t%%=*} v=${t#*=}
  key=$(printf '%s' "$v" | tr -c 'A-Za-z0-9.+-' '_')
  log="$logs/$s-$key.log"
  installed=$(dpkg-query -W -f='${Version}' "linux-source-$s" 2>/dev/null || true)
  deb=()
  if [ "$v" != "$installed" ]; then
    if ! (cd "$scratch" && apt-get download -q "linux-source-$s=$v" > "$log" 2>&1); then
      results+=("linux-source-$s $v: not served (skipped): $(tail -1 "$log")")
      continue
    fi
    deb=(--deb "$s=$(ls "$scratch"/linux-source-"$s"_*.deb)")
  fi
  had_tree=0
  [ -d "$cache/linux-source-$key" ] && had_tree=1
  echo "linux-source-$s $v${deb[*]:+ (downloaded)}: swift test --filter '$filter'" >&2
  if scripts/kernel-trees.sh "${deb[@]}" "${series[@]}" -- swift test --skip-build --filter "$filter" >> "$log" 2>&1; then
    results+=("linux-source-$s $v: passed: $(grep -E 'Test run with .* (passed|failed)' "$log" | tail -1)")
  else
    results+=("linux-source-$s $v: FAILED (see $log): $(grep -E 'Test run with .* (passed|failed)' "$log" | tail -1)")
    status=1
  fi
  if [ ${#deb[@]} -gt 0 ]; then
    rm -f "$scratch"/linux-source-"$s"_*.deb
    [ "$had_tree" = 1 ] || flock -x "$cache/.lock" rm -rf "$cache/linux-source-$key" "$cache/git-$key" "$cache/git-$key.lock" "$cache/build-$key"
  fi
done
printf '%s\n' "${results[@]}"
exit $status
