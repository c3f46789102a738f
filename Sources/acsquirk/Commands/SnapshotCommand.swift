import ArgumentParser
import PCIAccess
import Pipeline

/// `acsquirk snapshot [-o FILE]`: one file with everything acsquirk reads on this machine
/// (docs/input-formats.md#snapshot).
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Record this machine in one file that every command reads back with --dump.",
        discussion: """
            Records the config space of every PCI function (run as root: all 4096 bytes; Device Serial \
            Numbers zeroed), the IOMMU groups the kernel formed (/sys/kernel/iommu_groups), the \
            driver bound to each function, the kernel release and /proc/cmdline. The file is an \
            `lspci -xxxx -D` dump with `#` sections in front, so `lspci -F FILE` still reads it. \
            Attach it to a bug report; `acsquirk groups --dump FILE` replays the prediction and \
            compares it with the recorded groups (a difference is a finding, exit 1), and every \
            other command reads it as it reads a dump. Writes to stdout, or atomically to -o FILE \
            (staged next to it and renamed, its permissions kept; a link, folder, FIFO or device is \
            refused and left as it is; -o - or /dev/stdout is stdout, /dev/null discards). \
            Exit 0 written (warnings on stderr, e.g. not root), 2 nothing written.
            """)

    @OptionGroup var destination: OutputDestination

    @OptionGroup var roots: SystemRootOptions

    func run() async throws {
        let snapshot: SnapshotTaker.Snapshot
        do throws(PipelineError) {
            snapshot = try SnapshotTaker.take(sysRoot: roots.sysfsRoot ?? "/sys", procRoot: roots.procRoot ?? "/proc",
                                              tool: "acsquirk \(Acsquirk.configuration.version)")
        } catch {
            Console.error("acsquirk snapshot: \(error.message)")
            throw ExitStatus.badInput
        }
        for w in snapshot.warnings { Console.diagnostics.emit(w) }
        try destination.write(snapshot.text, command: "snapshot")
        guard let output = destination.output else { return }
        Console.error("acsquirk snapshot: wrote \(output) (\(snapshot.functions.count) functions, "
            + (snapshot.system.iommuActive ? "\(Set(snapshot.system.iommuGroups.values).count) IOMMU groups" : "no IOMMU groups")
            + ", kernel \(snapshot.system.kernelRelease ?? "unknown"))")
    }
}
