import Foundation
import PCIConfig

/// A groups file's line that is neither `<group> <BDF>` nor a `/sys/kernel/iommu_groups` path.
public struct IOMMUGroupsLineError: Error, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var text: String
    public var description: String { "\(file):\(line): not '<group> <BDF>' or an iommu_groups path: \(text)" }
}

extension Fixtures {
    /// The kernel's IOMMU groups of a fixture, group number by address: `<group> <BDF>` lines (what
    /// scripts/oracle writes from /sys/kernel/iommu_groups) or the
    /// `/sys/kernel/iommu_groups/<group>/devices/<BDF>` paths that `find` prints on real machines.
    public static func groups(_ relative: String) throws -> [PCIAddress: Int] {
        var out: [PCIAddress: Int] = [:]
        for (i, line) in try text(relative).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[0]), let a = PCIAddress(parts[1]) {
                out[a] = n
                continue
            }
            let path = line.split(separator: "/")
            guard path.count == 6, path[2] == "iommu_groups", let n = Int(path[3]), let a = PCIAddress(path[5]) else {
                throw IOMMUGroupsLineError(file: relative, line: i + 1, text: String(line))
            }
            out[a] = n
        }
        return out
    }
}

/// Group numbers as a partition: sets of addresses, each sorted, sorted by first member.
public func partition(_ numbers: [PCIAddress: Int]) -> [[PCIAddress]] {
    Dictionary(grouping: numbers.keys, by: { numbers[$0]! }).values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
}
