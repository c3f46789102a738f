import Diagnostics
import Foundation
import KernelOutput
import LinuxPCI
import PCIAccess
import PCIConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules of the warnings about reading this machine (`acsquirk snapshot`, and every command
/// that reads it live without `--dump`): what could not be read, so what a result leaves out.
public enum LiveReadFinding: String, Hashable, Sendable, CaseIterable {
    /// Not root: Linux lets only CAP_SYS_ADMIN read past the first 64 bytes of a sysfs `config`
    /// file (drivers/pci/pci-sysfs.c `pci_read_config`), so capabilities and ACS are invisible.
    case configSpaceNeedsRoot = "config-space-needs-root"
    /// `/sys/kernel/iommu_groups` could not be read.
    case iommuGroupsUnreadable = "iommu-groups-unreadable"
    /// `/sys/kernel/iommu_groups` is empty: no IOMMU is active.
    case noIOMMU = "no-iommu"
    /// `/proc/sys/kernel/osrelease` could not be read.
    case kernelReleaseUnreadable = "kernel-release-unreadable"

    /// A warning of this kind (about the machine as a whole: no location).
    public func warning(_ message: String) -> Diagnostic {
        Diagnostic(.warning, Diagnostic.Location(), rule: rawValue, message: message)
    }
}

/// `acsquirk snapshot`: everything acsquirk reads on a live machine, in one file that every
/// command reads back with `--dump` (format: `SnapshotFormat`, docs/input-formats.md).
public enum SnapshotTaker {
    /// What was recorded.
    public struct Snapshot: Sendable {
        /// The file text.
        public var text: String
        /// Functions recorded (serial numbers zeroed).
        public var functions: [PCIFunction]
        public var system: RecordedSystem
        /// Things the user must know: the reader's warnings, then `LiveReadFinding`s (not root,
        /// no IOMMU, a file that could not be read).
        public var warnings: [Diagnostic]
    }

    /// Reads this machine: config space of every function through libpci (`sysRoot/bus/pci`),
    /// `sysRoot/kernel/iommu_groups` (`LiveGroups.read`), the driver each function is bound to
    /// (`sysRoot/bus/pci/devices/BDF/driver`), the kernel release (`procRoot/sys/kernel/osrelease`,
    /// what `uname -r` prints) and `procRoot/cmdline`. Device Serial Numbers are zeroed
    /// (`ConfigSpace.zeroingSerialNumbers`, as `acsquirk new` records a device).
    /// - Throws: `PipelineError` when libpci cannot read the bus or no function is found.
    public static func take(sysRoot: String = "/sys", procRoot: String = "/proc", tool: String) throws(PipelineError) -> Snapshot {
        let read: PCIReadResult
        do throws(PCIAccessError) {
            read = try PCIReader.load(.live(sysfsPath: sysRoot + "/bus/pci"), names: true)
        } catch {
            throw PipelineError("this machine: \(error.message)")
        }
        guard !read.functions.isEmpty else { throw PipelineError("this machine: no PCI functions found under \(sysRoot)/bus/pci") }
        var warnings = read.warnings
        let functions = read.functions.map { f -> PCIFunction in
            var g = f
            g.config = f.config.zeroingSerialNumbers()
            return g
        }
        // Linux lets only CAP_SYS_ADMIN read past 64 bytes (128 for CardBus) of a sysfs config file.
        let root = !functions.contains { !$0.isAllOnes && $0.config.readable <= 128 }
        if !root {
            warnings.append(LiveReadFinding.configSpaceNeedsRoot.warning(
                "not run as root: only the first 64 bytes of config space were readable, so capabilities and ACS "
                + "are not in the snapshot; run `sudo acsquirk snapshot`"))
        }
        var groups: [PCIAddress: Int] = [:]
        var active = false
        do {
            let l = try LiveGroups.read(root: sysRoot + "/kernel/iommu_groups")
            groups = l.groups
            active = l.iommuActive
        } catch {
            warnings.append(LiveReadFinding.iommuGroupsUnreadable.warning("\(error): IOMMU groups not recorded"))
        }
        if !active {
            warnings.append(LiveReadFinding.noIOMMU.warning("\(sysRoot)/kernel/iommu_groups is empty: no IOMMU is active, no groups recorded"))
        }
        var drivers: [PCIAddress: String] = [:]
        for f in functions {
            if let d = driverName(sysRoot + "/bus/pci/devices/" + f.address.description + "/driver") { drivers[f.address] = d }
        }
        let release = firstLine(procRoot + "/sys/kernel/osrelease")
        if release == nil {
            warnings.append(LiveReadFinding.kernelReleaseUnreadable.warning("\(procRoot)/sys/kernel/osrelease cannot be read: kernel release not recorded"))
        }
        let cmdline = firstLine(procRoot + "/cmdline")
        let system = RecordedSystem(origin: "snapshot", kernelRelease: release, commandLine: cmdline, iommuActive: active,
                                    iommuGroups: groups, drivers: drivers, root: root)
        let text = SnapshotFormat.text(functions: functions, system: system,
                                       tool: "\(tool), libpci \(PCIReader.libpciVersion)")
        return Snapshot(text: text, functions: functions, system: system, warnings: warnings)
    }

    /// The last path component of the symlink at `path` (`.../drivers/pcieport` → `pcieport`).
    static func driverName(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let target = buf.prefix(n).withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
        return target.split(separator: "/").last.map(String.init)
    }

    /// The first line of a small text file (procfs reports size 0, so read until EOF).
    static func firstLine(_ path: String) -> String? {
        guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? fh.close() }
        guard let data = try? fh.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // /proc/cmdline ends in a newline; a NUL-separated file would not (kept as spaces).
        return text.split(separator: "\n", omittingEmptySubsequences: false).first.map { $0.replacingOccurrences(of: "\0", with: " ") }
    }
}
