#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIConfig

/// The IOMMU groups the running kernel formed: `/sys/kernel/iommu_groups/<N>/devices/<BDF>`
/// (Documentation/ABI/testing/sysfs-kernel-iommu_groups). Non-PCI device names are ignored.
public struct LiveGroups: Hashable, Sendable {
    /// Group number of each PCI function.
    public var groups: [PCIAddress: Int]
    /// Whether the directory existed and had at least one group (an IOMMU is active).
    public var iommuActive: Bool
    /// Where the groups were read: `nil` for this machine's /sys/kernel/iommu_groups, else what
    /// recorded them (`snapshot`, `lspci text`).
    public var recordedIn: String?

    public init(groups: [PCIAddress: Int], iommuActive: Bool, recordedIn: String? = nil) {
        self.groups = groups
        self.iommuActive = iommuActive
        self.recordedIn = recordedIn
    }

    /// An error naming the path that could not be read.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads `<root>` (default `/sys/kernel/iommu_groups`). A missing directory means no IOMMU.
    public static func read(root: String = "/sys/kernel/iommu_groups") throws(ReadError) -> LiveGroups {
        guard let groupNames = list(root) else { return LiveGroups(groups: [:], iommuActive: false) }
        var out: [PCIAddress: Int] = [:]
        for g in groupNames {
            guard let n = Int(g) else { continue }
            guard let devs = list(root + "/" + g + "/devices") else {
                throw ReadError(description: "\(root)/\(g)/devices: cannot be read")
            }
            for d in devs {
                if let a = PCIAddress(d) { out[a] = n }
            }
        }
        return LiveGroups(groups: out, iommuActive: !groupNames.isEmpty)
    }

    /// Directory entries (without . and ..), sorted; nil when the directory cannot be opened.
    static func list(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
