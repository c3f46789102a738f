#!/usr/bin/env bash
# boot.sh [options] TOPOLOGY: boot a kernel under QEMU (q35, TCG) with the PCIe topology in the
# file TOPOLOGY (QEMU arguments, whitespace-separated, '#' starts a comment; no spaces inside one
# argument) and write what the guest saw into the output folder:
#   cmdline.txt  /proc/cmdline            release.txt  uname -r
#   groups.txt   "<group> <BDF>" from /sys/kernel/iommu_groups (empty when no IOMMU is on)
#   dump.txt     lspci -xxxx -D           vvv.txt      lspci -vvvnnD      tree.txt  lspci -tvnn
#   dmesg.txt    the kernel's lines about the IOMMU, ACS, its parameters and SR-IOV (no timestamps)
#   <name>.txt   every other section: modules.txt (insmod results), hooks.txt (hook output),
#                lspci-stderr.txt, and whatever a hook wrote to /oracle/out/<name>
#   topology.args (a copy), qemu-cmd.txt, console.log (ttyS0), raw.txt (ttyS1), time.txt
# Options:
#   -k, --kernel NAME|FILE  a name kernel.sh knows (6.12, 6.1, 5.10; default 6.12) or a bzImage/vmlinux
#   -a, --append PARAMS     kernel parameters after the defaults (repeatable)
#       --iommu PARAMS      the IOMMU parameters (default "intel_iommu=on iommu=pt"; "" = IOMMU off)
#       --no-iommu-device   no QEMU intel-iommu device at all
#   -m, --module "NAME [ARGS]"     load a module of the kernel's package (and its dependencies)
#       --module-file "FILE [ARGS]" load an out-of-tree .ko (loaded after the -m modules, in order)
#       --module-src "DIR [ARGS]"   build DIR (Kbuild + sources) against the kernel's headers
#                           (module.sh) and load it like --module-file
#       --hook FILE         run FILE (busybox sh, sourced by /init) after the modules, before the dumps
#       --set KEY=VALUE     a shell variable for the hooks (/oracle/env)
#   -o, --out DIR           output folder (default oracle-out/<topology name>)
#   -t, --timeout SECONDS   hard limit for the whole boot (default 180)
# Exit status: 0 done; 1 the guest did not finish (console tail printed); 2 bad usage; 3 a module
# failed to load, 4 a hook reported failure (it wrote /oracle/out/failed): in both cases the results
# are not what was asked for.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { header_usage "$0" >&2; exit 2; }
kernel=6.12 iommu="intel_iommu=on iommu=pt" iommu_device=1 out="" timeout=180
append=() modules=() module_files=() module_srcs=() hooks=() sets=()
while [ $# -gt 0 ]; do
    case $1 in
        -k|--kernel) kernel=${2:?}; shift 2;;
        -a|--append) append+=("${2?}"); shift 2;;
        --iommu) iommu=${2?}; shift 2;;
        --no-iommu-device) iommu_device=0; shift;;
        -m|--module) modules+=("${2:?}"); shift 2;;
        --module-file) module_files+=("${2:?}"); shift 2;;
        --module-src) module_srcs+=("${2:?}"); shift 2;;
        --hook) hooks+=("${2:?}"); shift 2;;
        --set) [[ ${2:?} == [A-Za-z_]*=* ]] || die "--set wants KEY=VALUE, not '$2'"; sets+=("$2"); shift 2;;
        -o|--out) out=${2:?}; shift 2;;
        -t|--timeout) timeout=${2:?}; shift 2;;
        -h|--help) usage;;
        -*) echo "oracle: unknown option $1" >&2; usage;;
        *) break;;
    esac
done
[ $# -eq 1 ] || usage
topo=$1
[ -f "$topo" ] || die "no topology file $topo"
oracle_require_packages
out=${out:-oracle-out/$(basename "${topo%.*}")}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# the kernel: a Debian package (with its modules) or an image file
kdir="" mdir=""
if [ -f "$kernel" ]; then
    image=$(readlink -f "$kernel")
    [ ${#modules[@]} -eq 0 ] && [ ${#module_srcs[@]} -eq 0 ] ||
        die "--module and --module-src need a Debian kernel (kernel.sh NAME); use --module-file with $kernel"
else
    kdir=$("$ORACLE_DIR/kernel.sh" "$kernel")
    image=$kdir/vmlinuz
    release=$(cat "$kdir/release")
    mdir=$kdir/root/lib/modules/$release
fi
base=$("$ORACLE_DIR/initramfs.sh")

# the run's own archive: module index, modules, hooks, settings
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/oracle/hooks" "$stage/oracle/files"
: > "$stage/oracle/modules.load"
if [ -n "$mdir" ]; then
    # the index lets lspci -vvv name the kernel modules of each device, as on an installed system
    mkdir -p "$stage/lib/modules/$release"
    cp "$mdir"/modules.*.bin "$mdir"/modules.builtin "$mdir"/modules.order "$stage/lib/modules/$release/"
fi
add_module() {  # add_module RELATIVE_PATH_IN_MODULES_DEP [ARGS]: decompressed, with its dependencies first
    local rel=$1 args=${2:-} deps d target
    deps=$(awk -v m="$rel:" '$1 == m { for (i = NF; i > 1; i--) print $i }' "$mdir/modules.dep")
    for d in $deps; do add_module "$d"; done
    target=/lib/modules/$release/${rel%.*}
    case $rel in *.ko) target=/lib/modules/$release/$rel;; esac
    grep -q "^$target\\b" "$stage/oracle/modules.load" && return 0
    mkdir -p "$stage$(dirname "$target")"
    case $rel in
        *.ko.xz) xz -dc "$mdir/$rel" > "$stage$target";;
        *.ko.zst) zstd -qdc "$mdir/$rel" > "$stage$target";;
        *.ko.gz) gzip -dc "$mdir/$rel" > "$stage$target";;
        *.ko) cp "$mdir/$rel" "$stage$target";;
        *) die "module file $rel has an unknown compression";;
    esac
    echo "$target $args" >> "$stage/oracle/modules.load"
}
for m in "${modules[@]}"; do
    name=${m%% *} args=""; [ "$name" = "$m" ] || args=${m#* }
    want=$(echo "$name" | tr - _)
    rel=$(awk -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); if (n == w) { print $1; exit } }' w="$want" "$mdir/modules.dep")
    [ -n "$rel" ] || die "kernel $release has no module $name"
    add_module "$rel" "$args"
done
for m in "${module_srcs[@]}"; do
    d=${m%% *} args=""; [ "$d" = "$m" ] || args=${m#* }
    [ -d "$d" ] || die "no module source folder $d"
    ko=$("$ORACLE_DIR/module.sh" "$kernel" "$d")
    module_files+=("$ko${args:+ $args}")
done
for m in "${module_files[@]}"; do
    f=${m%% *} args=""; [ "$f" = "$m" ] || args=${m#* }
    [ -f "$f" ] || die "no module file $f"
    cp "$f" "$stage/oracle/files/$(basename "$f")"
    echo "/oracle/files/$(basename "$f") $args" >> "$stage/oracle/modules.load"
done
i=10
for h in "${hooks[@]}"; do
    [ -f "$h" ] || die "no hook file $h"
    cp "$h" "$stage/oracle/hooks/$i-$(basename "$h")"; i=$((i + 1))
done
for s in "${sets[@]}"; do printf '%s=%q\n' "${s%%=*}" "${s#*=}"; done > "$stage/oracle/env"
"$ORACLE_DIR/cpio.sh" "$stage" | gzip -1n > "$out/run.cpio.gz"
cat "$base" "$out/run.cpio.gz" > "$out/initrd.img"
rm -f "$out/run.cpio.gz"

mapfile -t targs < <(sed 's/#.*//' "$topo" | tr -s ' \t' '\n\n' | grep -v '^$')
[ "$(readlink -f "$topo")" = "$out/topology.args" ] || cp "$topo" "$out/topology.args"
rm -f "$out"/*.txt "$out/console.log"
cmd=(qemu-system-x86_64 -accel tcg,thread=single -M q35 -cpu max -smp 1 -m 512
     -nodefaults -no-user-config -display none -no-reboot)
[ $iommu_device = 1 ] && cmd+=(-device intel-iommu,intremap=on)
# no_timer_check: under TCG on a loaded host the kernel may otherwise distrust the timer
cmdline="console=ttyS0 quiet panic=-1 no_timer_check${iommu:+ $iommu}${append[*]:+ ${append[*]}}"
cmd+=(-serial "file:$out/console.log" -serial "file:$out/raw.txt"
      -kernel "$image" -initrd "$out/initrd.img" -append "$cmdline" "${targs[@]}")
printf '%q ' "${cmd[@]}" > "$out/qemu-cmd.txt"; echo >> "$out/qemu-cmd.txt"
start=$(date +%s.%N)
rc=0
timeout "$timeout" "${cmd[@]}" > "$out/qemu-stderr.log" 2>&1 || rc=$?
wall=$(echo "$(date +%s.%N) - $start" | bc)
rm -f "$out/initrd.img"
printf 'kernel=%s wall=%.1fs qemu-rc=%s\n' "$(basename "$image")${kdir:+ $(cat "$kdir/package")}" "$wall" "$rc" > "$out/time.log"
if ! grep -q '^@@@DONE' "$out/raw.txt" 2>/dev/null; then
    { echo "oracle: error: the guest did not finish (qemu exit $rc after ${wall%.*} s; $topo)"
      sed -n '1,5p' "$out/qemu-stderr.log"
      echo "--- last lines of $out/console.log:"; tail -15 "$out/console.log" 2>/dev/null; } >&2
    exit 1
fi
# split the sections into files
awk -v dir="$out" '
    /^@@@BEGIN / { name = substr($0, 10); file = dir "/" name ".txt"; printf "" > file; next }
    /^@@@END / { close(file); file = ""; next }
    file != "" { print > file }' "$out/raw.txt"
if grep -q 'rc=[1-9]' "$out/modules.txt" 2>/dev/null; then
    echo "oracle: error: a module did not load; the results do not show what was asked:" >&2
    grep 'rc=[1-9]' "$out/modules.txt" >&2
    exit 3
fi
if [ -s "$out/failed.txt" ]; then
    echo "oracle: error: a hook failed; the results do not show what was asked:" >&2
    cat "$out/failed.txt" >&2
    exit 4
fi
n=$(grep -c '^[0-9a-f]\{4\}:' "$out/dump.txt" || true)
g=$(cut -d' ' -f1 "$out/groups.txt" | sort -u | wc -l)
echo "$(cat "$out/release.txt"): $n functions, $g IOMMU groups, ${wall%.*} s -> $out"
