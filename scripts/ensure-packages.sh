#!/usr/bin/env bash
# Installs the Debian packages given as arguments when any is missing (as root), or prints the
# exact command and fails (as another user). Runs `apt-get update` once before installing.
# Another apt or dpkg at work (unattended-upgrades, a second `make test`) is waited for, up to
# $APT_LOCK_TIMEOUT seconds (default 600): apt-get install through apt's own DPkg::Lock::Timeout;
# apt-get update, whose package-list lock that option does not cover, by retrying.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
timeout=${APT_LOCK_TIMEOUT:-600}
lock=(-o "DPkg::Lock::Timeout=$timeout")
export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
waited=0
until out=$(apt-get update -qq "${lock[@]}" 2>&1); do
  if [[ "$out" == *"Could not get lock"* ]] && [ "$waited" -lt "$timeout" ]; then
    [ "$waited" -eq 0 ] && echo "waiting for another apt to finish: ${out%%$'\n'*}"
    sleep 5
    waited=$((waited + 5))
    continue
  fi
  echo "$out" >&2
  exit 1
done
apt-get install -y -qq --no-install-recommends "${lock[@]}" "${missing[@]}" >/dev/null
