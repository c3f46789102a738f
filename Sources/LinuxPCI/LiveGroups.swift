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

extension LiveGroups {
    /// The groups written down as text: `<group> <BDF>` lines (what scripts/oracle's guest writes
    /// from /sys/kernel/iommu_groups) or the `/sys/kernel/iommu_groups/<group>/devices/<BDF>` paths
    /// that `find /sys/kernel/iommu_groups` prints on a real machine. Empty lines are skipped; an
    /// empty text means no IOMMU. `path` names the text in the error for a line that is neither.
    public init(listing: String, path: String) throws(ReadError) {
        var out: [PCIAddress: Int] = [:]
        for (i, line) in listing.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[0]), let a = PCIAddress(parts[1]) {
                out[a] = n
                continue
            }
            let components = line.split(separator: "/")
            guard components.count == 6, components[2] == "iommu_groups", let n = Int(components[3]),
                  let a = PCIAddress(components[5]) else {
                throw ReadError(description: "\(path):\(i + 1): not '<group> <BDF>' or an iommu_groups path: \(line)")
            }
            out[a] = n
        }
        self.init(groups: out, iommuActive: !out.isEmpty)
    }

    /// The groups as sets of addresses, each sorted, sorted by first member: what two groupings
    /// share when only the partition, not the numbers, can be compared.
    public var partition: [[PCIAddress]] { Self.partition(groups) }

    /// `numbers` (group number by address) as a partition.
    public static func partition(_ numbers: [PCIAddress: Int]) -> [[PCIAddress]] {
        Dictionary(grouping: numbers.keys, by: { numbers[$0]! }).values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }
}
