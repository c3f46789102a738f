import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig

/// Where a command's config space comes from: this machine through libpci (sysfs) or a file
/// (`--dump`: an `lspci -xxxx` dump, lspci text or an `acsquirk snapshot`). The one reader every
/// command that looks at devices uses, `acsquirk run` included.
public struct InputSource: Hashable, Sendable {
    /// The file to read (`--dump`); nil: this machine.
    public var dump: String?
    /// The root of `/sys` for this machine (tests); nil: `/sys`.
    public var sysfsRoot: String?
    /// pci.ids for names (`--pci-ids`); nil: libpci's.
    public var idsPath: String?

    public init(dump: String? = nil, sysfsRoot: String? = nil, idsPath: String? = nil) {
        self.dump = dump
        self.sysfsRoot = sysfsRoot
        self.idsPath = idsPath
    }

    /// Whether the functions come from this machine rather than a file.
    public var isLive: Bool { dump == nil }

    /// libpci's access method for the input.
    public var pciSource: PCISource {
        dump.map { .dump(path: $0) } ?? .live(sysfsPath: sysfsRoot.map { $0 + "/bus/pci" })
    }

    /// `/sys/kernel/iommu_groups` of this machine (under `sysfsRoot`).
    public var iommuGroupsPath: String { (sysfsRoot ?? "/sys") + "/kernel/iommu_groups" }

    /// The file's name (`dump.txt`), or `this machine (sysfs)`: what reports say the functions are from.
    public var label: String { dump.map { ($0 as NSString).lastPathComponent } ?? "this machine (sysfs)" }

    /// Reads the functions (`PCIReader.load`). A read error (unreadable or malformed file, libpci
    /// failure) or a file without PCI functions throws: a file's errors name it and the line
    /// (`file:line: error: ...`), this machine's read `live system: ...`. `warnings` gets the input's
    /// warnings first (they explain an empty file): the reader's (`PCIReadResult.warnings`), then,
    /// read live without root, `LiveReadFinding.configSpaceNeedsRoot`. A collector that stops on
    /// them (`ErrorThrowingDiagnosticCollector` at `.warning`: `--strict`) makes them errors: the
    /// read throws at the first, with it as `PipelineError.stoppedOn`.
    public func read(names: Bool = true, warnings: (any DiagnosticCollector)? = nil) throws(PipelineError) -> PCIReadResult {
        let result: PCIReadResult
        do throws(PCIAccessError) {
            result = try PCIReader.load(pciSource, names: names, idsPath: idsPath)
        } catch {
            throw PipelineError(dump == nil ? "live system: \(error.message)" : error.message)
        }
        var found = result.warnings
        // Linux lets only CAP_SYS_ADMIN read past the first 64 bytes of a sysfs `config` file
        // (drivers/pci/pci-sysfs.c `pci_read_config`).
        if dump == nil, result.functions.contains(where: { $0.config.readable < PCI_CFG_SPACE_SIZE }) {
            found.append(LiveReadFinding.configSpaceNeedsRoot.warning(
                "config space beyond 64 bytes is readable only as root; without it ACS is invisible and the prediction treats it as absent"))
        }
        do {
            try warnings?.emit(contentsOf: found)
        } catch let stop as DiagnosticError {
            throw PipelineError(stop.description, stoppedOn: stop.diagnostic)
        } catch {
            throw PipelineError("\(error)")
        }
        if let dump, result.functions.isEmpty {
            throw PipelineError("\(dump): error: no PCI functions in this dump")
        }
        return result
    }
}

/// What the prediction assumes about the platform beyond config space (`--kernel`,
/// `--assume-iommu`, `--amd-iommu`, `--assume-pch-workaround-fails`): a `LinuxSystem` whose
/// kernel profile is resolved once the input is read (`KernelProfile.resolve`).
public struct PlatformAssumptions: Hashable, Sendable {
    /// `--kernel`; nil: the running kernel's profile live, a snapshot's recorded kernel's, else the newest.
    public var kernel: KernelProfile?
    /// Everything but the kernel profile and command line (`LinuxSystem.kernel` and
    /// `commandLine` are replaced when resolved).
    public var system: LinuxSystem
    /// `--cmdline`; nil: this machine's /proc/cmdline live, a snapshot's recorded one, else none.
    public var commandLine: String?

    public init(kernel: KernelProfile? = nil, system: LinuxSystem = LinuxSystem(), commandLine: String? = nil) {
        self.kernel = kernel
        self.system = system
        self.commandLine = commandLine
    }

    /// The system for functions read live or from a file; a snapshot ran a known kernel: its
    /// profile and command line, as live. `runningCommandLine` false: a live read of a sysfs tree
    /// that is not this machine's (tests), whose /proc/cmdline says nothing about it.
    public func resolved(live: Bool, recorded: RecordedSystem?, runningCommandLine: Bool = true) -> LinuxSystem {
        var s = system
        (s.kernel, s.kernelNote) = KernelProfile.resolve(kernel, live: live, recordedRelease: recorded?.kernelRelease)
        s.commandLine = KernelCommandLine.resolve(commandLine, live: live && runningCommandLine, recorded: recorded?.commandLine)
        return s
    }
}
