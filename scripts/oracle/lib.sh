# Shared by the oracle scripts (sourced, not run). Everything the harness downloads or builds lives
# under $ORACLE_CACHE, keyed on package versions or content hashes, never in the repository.
ORACLE_CACHE=${ORACLE_CACHE:-${ACSQUIRK_CACHE:-$HOME/.cache/acsquirk}/oracle}
ORACLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORACLE_REPO=$(cd "$ORACLE_DIR/../.." && pwd)

# The comment block at the top of a script (after the #! line), as its usage text.
header_usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"; }

die() { echo "oracle: error: $*" >&2; exit 1; }
note() { echo "oracle: $*" >&2; }

# Host packages the harness runs: QEMU, the static busybox and lspci copied into the guest,
# depmod for the guest's module index, the decompressors for Debian's kernel modules.
ORACLE_PACKAGES=(qemu-system-x86 busybox-static pciutils pci.ids kmod xz-utils zstd)

oracle_require_packages() {
    "$ORACLE_REPO/scripts/ensure-packages.sh" "${ORACLE_PACKAGES[@]}" ||
        die "missing host packages (see above)"
}

# sha256 of stdin, first 16 hex digits: the cache key of built artefacts.
short_hash() { sha256sum | cut -c1-16; }

# oracle_apt SUITE: set APT (options for apt-get/apt-cache) for one Debian suite: "host" is this
# machine's own apt; another suite gets a private state folder whose sources are the host's
# sources with the host's codename replaced (so no mirror is named here), updated once a day or
# when ORACLE_REFRESH=1.
oracle_apt() {
    APT=()
    [ "$1" = host ] && return 0
    local suite=$1 host_codename a f stamp
    host_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
    a=$ORACLE_CACHE/apt/$suite
    mkdir -p "$a/lists/partial" "$a/archives/partial" "$a/sources.list.d"
    : > "$a/sources.list"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed -E "/^(Suites:|deb )/s/\\b$host_codename\\b/$suite/g" "$f" > "$a/sources.list.d/$(basename "$f")"
    done
    mv "$a/sources.list.d/sources.list" "$a/sources.list" 2>/dev/null || true
    APT=(-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.list.d"
         -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a" -o Dir::Cache::archives="$a/archives"
         -o Dir::State::status=/dev/null)
    stamp=$a/lists/.updated
    if [ ! -f "$stamp" ] || [ "${ORACLE_REFRESH:-0}" = 1 ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
        note "updating the package lists of $suite"
        apt-get "${APT[@]}" update -qq >/dev/null 2>"$a/update.log" ||
            die "apt-get update for $suite failed: $(tail -3 "$a/update.log")"
        touch "$stamp"
    fi
}

# oracle_download PACKAGE VERSION: the path of PACKAGE_VERSION's .deb in $ORACLE_CACHE/debs,
# downloaded (apt-get download, never installed) when missing. Needs APT (oracle_apt).
oracle_download() {
    local pkg=$1 ver=$2 debs=$ORACLE_CACHE/debs deb
    mkdir -p "$debs"
    find_deb() { find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | while read -r f; do
        [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && echo "$f"; done | head -1; }
    deb=$(find_deb)
    if [ -z "$deb" ]; then
        note "downloading $pkg $ver"
        (cd "$debs" && apt-get "${APT[@]}" -o APT::Sandbox::User=root download "$pkg=$ver" -qq) ||
            die "apt-get download $pkg=$ver failed"
        deb=$(find_deb)
        [ -n "$deb" ] || die "apt-get download left no ${pkg}_*.deb of version $ver in $debs"
    fi
    echo "$deb"
}

# candidate_version PACKAGE: the version apt would pick today (needs APT).
candidate_version() {
    apt-cache "${APT[@]}" show --no-all-versions "$1" 2>/dev/null | awk '$1 == "Version:" {print $2; exit}'
}
