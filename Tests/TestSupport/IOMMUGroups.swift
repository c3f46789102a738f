import Foundation
import LinuxPCI
import PCIConfig

extension Fixtures {
    /// The kernel's IOMMU groups of a fixture, group number by address: `<group> <BDF>` lines (what
    /// scripts/oracle writes from /sys/kernel/iommu_groups) or the
    /// `/sys/kernel/iommu_groups/<group>/devices/<BDF>` paths that `find` prints on real machines
    /// (LinuxPCI's `LiveGroups(listing:path:)` reads both).
    public static func groups(_ relative: String) throws -> [PCIAddress: Int] {
        try LiveGroups(listing: text(relative), path: relative).groups
    }
}

/// Group numbers as a partition: sets of addresses, each sorted, sorted by first member.
public func partition(_ numbers: [PCIAddress: Int]) -> [[PCIAddress]] {
    LiveGroups.partition(numbers)
}
