import Diagnostics
import LinuxPCI
import PCIConfig
import Registry

/// The quirk tables a prediction compares, built in one place for `groups`, `run` and `check`: the
/// kernel's `pci_dev_acs_enabled[]` (the upstream entries, in table order) and what-if entries
/// consulted before it (`--quirk`, `--with-registry`, the registry's entries that are not
/// upstream), with a label for each group of them.
public struct WhatIfTables: Sendable {
    /// The kernel's rows: every upstream entry given.
    public let kernelEntries: [QuirkEntry]
    /// The kernel's table.
    public let kernel: QuirkTable
    /// What-if entries, consulted first in this order.
    public private(set) var extra: [QuirkEntry] = []
    /// What each addition stands for, e.g. `--quirk 8086:10d3 (pci_quirk_mf_endpoint_acs: SV|TB|RR|CR|UF|DT)`.
    public private(set) var labels: [String] = []
    /// Whether a what-if prediction was asked for (also with no entries to add).
    public private(set) var asked = false

    /// The tables for `entries`: their upstream ones are the kernel's table; the others are not
    /// used until added.
    public init(kernel entries: [QuirkEntry]) {
        kernelEntries = entries.filter { $0.kernel.status == .upstream }
        kernel = QuirkTable(entries: kernelEntries)
    }

    /// Adds a `pci_quirk_mf_endpoint_acs`-style quirk for one ID (`--quirk VVVV:DDDD`); `note`
    /// ends its label (e.g. `matches no device in dump.txt`).
    public mutating func add(quirk id: PCIDeviceID, note: String? = nil) {
        extra.append(WhatIf.mfEndpointQuirk(vendor: id.vendor, device: id.device))
        labels.append("--quirk \(id) (pci_quirk_mf_endpoint_acs: SV|TB|RR|CR|UF|DT)" + (note.map { ": " + $0 } ?? ""))
        asked = true
    }

    /// The rule of the warning about a `--quirk` ID that no function of the input has.
    public static let matchesNothing = "what-if-matches-nothing"

    /// Adds `--quirk` IDs (`add(quirk:note:)`); an ID no function of `functions` has is most
    /// likely a typo or the wrong input, so its label says `matches no device in SOURCE`. Returns
    /// a warning for each (rule `WhatIfTables.matchesNothing`), for the command to report.
    @discardableResult
    public mutating func add(quirks ids: [PCIDeviceID], presentIn functions: [PCIFunction], source: String) -> [Diagnostic] {
        var unmatched: [Diagnostic] = []
        for id in ids {
            if functions.contains(where: { !$0.isAllOnes && $0.vendorID == id.vendor && $0.deviceID == id.device }) {
                add(quirk: id)
            } else {
                add(quirk: id, note: "matches no device in \(source)")
                unmatched.append(Diagnostic(.warning, Diagnostic.Location(), rule: Self.matchesNothing,
                                            message: "--quirk \(id) matches no device in \(source): it changes nothing"))
            }
        }
        return unmatched
    }

    /// Adds registry entries (upstream ones are consulted first too, as what-if material).
    public mutating func add(registryEntries entries: [QuirkEntry], label: String) {
        extra += entries
        labels.append(label)
        asked = true
    }

    /// The table with the what-if entries consulted first, `nil` when none was asked for.
    public var whatIf: QuirkTable? { asked ? kernel.consultingFirst(extra) : nil }

    /// The groups of `view` today and with the what-if entries.
    public func predict(_ view: KernelView) -> (today: GroupPrediction, whatIf: GroupPrediction?) {
        let today = GroupPredictor.predict(view, quirks: kernel)
        return (today, whatIf.map { GroupPredictor.predict(view, quirks: $0) })
    }
}

/// What-if analysis: the `--quirk` entries, and how a partition changes.
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
