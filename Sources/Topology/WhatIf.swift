import PCIConfig
import Registry

/// What-if analysis: extra quirks consulted before the kernel's table, and how the partition changes.
public enum WhatIf {
    /// A `pci_quirk_mf_endpoint_acs`-style quirk for one ID (SV|TB|RR|CR|UF|DT, any type), as
    /// `--quirk VVVV:DDDD` adds it; consulted before every kernel row.
    public static func mfEndpointQuirk(vendor: UInt16, device: UInt16) -> QuirkEntry {
        QuirkEntry(
            vendor: vendor, vendorName: hex(vendor, width: 4), family: "--quirk \(hex(vendor, width: 4)):\(hex(device, width: 4))",
            devices: [.id(device)], appliesTo: AppliesTo(),
            isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
            kernel: KernelStatus(status: .new, function: "pci_quirk_mf_endpoint_acs"))
    }

    /// Parses `VVVV:DDDD` (hex), as `PCIDeviceID.init?(_:)` does.
    public static func parseID(_ text: String) -> (vendor: UInt16, device: UInt16)? {
        PCIDeviceID(text).map { ($0.vendor, $0.device) }
    }

    /// A group with its number and sorted member addresses.
    public struct NumberedGroup: Hashable, Sendable {
        public var number: Int
        public var members: [PCIAddress]
    }

    /// A connected set of groups that differs between "before" and "after": how the members are
    /// redistributed.
    public struct Change: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable { case split, merge, reshape }
        public var kind: Kind
        /// Groups before, ordered by first member.
        public var before: [NumberedGroup]
        /// Groups after, ordered by first member.
        public var after: [NumberedGroup]
    }

    /// The differences between two predictions over the same functions: connected components of
    /// "shares a group before or after", reported where before ≠ after, in address order.
    public static func compare(before: GroupPrediction, after: GroupPrediction) -> [Change] {
        compare(before: before.numberByAddress, after: after.numberByAddress)
    }

    /// The same for two group-number maps (e.g. a prediction and `/sys/kernel/iommu_groups`).
    /// Addresses present in only one map are ignored.
    public static func compare(before: [PCIAddress: Int], after: [PCIAddress: Int]) -> [Change] {
        let common = before.keys.filter { after[$0] != nil }.sorted()
        var beforeGroups: [Int: [PCIAddress]] = [:]
        var afterGroups: [Int: [PCIAddress]] = [:]
        for a in common {
            beforeGroups[before[a]!, default: []].append(a)
            afterGroups[after[a]!, default: []].append(a)
        }
        var seen = Set<PCIAddress>()
        var changes: [Change] = []
        for start in common where !seen.contains(start) {
            // Component: alternate between before- and after-groups.
            var bNums = Set<Int>(), aNums = Set<Int>()
            var queue = [start]
            var members = Set<PCIAddress>()
            while let x = queue.popLast() {
                guard members.insert(x).inserted else { continue }
                let b = before[x]!, a = after[x]!
                if bNums.insert(b).inserted { queue.append(contentsOf: beforeGroups[b]!) }
                if aNums.insert(a).inserted { queue.append(contentsOf: afterGroups[a]!) }
            }
            seen.formUnion(members)
            if bNums.count == 1 && aNums.count == 1 { continue }
            let kind: Change.Kind = bNums.count == 1 ? .split : (aNums.count == 1 ? .merge : .reshape)
            func list(_ nums: Set<Int>, _ groups: [Int: [PCIAddress]]) -> [NumberedGroup] {
                nums.map { NumberedGroup(number: $0, members: groups[$0]!) }.sorted { $0.members[0] < $1.members[0] }
            }
            changes.append(Change(kind: kind, before: list(bNums, beforeGroups), after: list(aNums, afterGroups)))
        }
        return changes
    }
}
