import LinuxPCI
import PCIConfig

/// Everything `acsquirk groups` prints, as one value (the JSON format is this, encoded with sorted
/// keys). Built from a prediction, an optional what-if prediction and an optional live comparison.
public struct GroupsReport: Codable, Hashable, Sendable {
    public struct Note: Codable, Hashable, Sendable {
        public var kind: String
        public var text: String
    }

    public struct Member: Codable, Hashable, Sendable {
        /// `dddd:bb:dd.f`.
        public var bdf: String
        /// `vvvv:dddd`.
        public var id: String
        /// `Class: Vendor Device` from pci.ids, when names were read.
        public var name: String?
        /// The PCIe type as Linux sees it (`root-port`, …) or `conventional`.
        public var type: String
        public var multifunction: Bool
        /// `pci_acs_enabled(dev, SV|RR|CR|UF)`.
        public var isolated: Bool
        /// Why (quirk, type rule or ACS registers).
        public var acs: String
        /// Why this member is in the group (`nil` for the member that allocated it).
        public var reason: String?
        /// For an SR-IOV VF: its PF (`dddd:bb:dd.f`).
        public var physfn: String?
    }

    public struct Group: Codable, Hashable, Sendable {
        public var number: Int
        public var members: [Member]
        /// What assigning the group to VFIO takes (`VFIOAdvice`).
        public var vfio: VFIO
    }

    /// `VFIOAdvice` as BDFs: the members to leave unbound or bind to vfio-pci (or pci-stub) for the
    /// group to be viable, the bridges and PCI Express ports that need not be, the ports among
    /// them that may keep pcieport, the host or ISA bridges among `bind` (the group is then no use
    /// for passthrough), and PFs whose VFs share the group.
    public struct VFIO: Codable, Hashable, Sendable {
        public var bind: [String]
        public var bridges: [String]
        public var ports: [String]
        public var hostDevices: [String]
        public var physfnsWithVFs: [String]
    }

    public struct RootPort: Codable, Hashable, Sendable {
        public var bdf: String
        public var id: String
        /// A device in this slot would get its own group (`pci_acs_path_enabled`).
        public var isolated: Bool
        public var reason: String
    }

    public struct PartitionGroup: Codable, Hashable, Sendable {
        public var number: Int
        public var members: [String]
    }

    public struct Change: Codable, Hashable, Sendable {
        public var kind: String
        public var before: [PartitionGroup]
        public var after: [PartitionGroup]
    }

    public struct WhatIfSection: Codable, Hashable, Sendable {
        /// The extra quirks, e.g. `--quirk 8086:10d3 (pci_quirk_mf_endpoint_acs)`.
        public var quirks: [String]
        public var changes: [Change]
        /// The groups with the extra quirks.
        public var groups: [PartitionGroup]
    }

    public struct LiveSection: Codable, Hashable, Sendable {
        /// Whether the kernel's partition equals the prediction.
        public var partitionMatches: Bool
        /// Whether the numbers are equal too.
        public var numbersMatch: Bool
        public var kernelGroups: [PartitionGroup]
        /// Differences: "before" = predicted, "after" = kernel.
        public var differences: [Change]
        /// PCI functions the kernel put in no group, and grouped functions we did not read.
        public var ungrouped: [String]
        public var unknown: [String]
        /// Where the kernel's groups come from: `null` for this machine's /sys/kernel/iommu_groups,
        /// else what recorded them (`snapshot`, `lspci text`).
        public var recordedIn: String?
    }

    public var source: String
    public var kernel: String
    public var functions: Int
    /// `kernel` (the numbers the kernel would allocate) or `partition` (labels only).
    public var numbering: String
    public var notes: [Note]
    public var groups: [Group]
    public var rootPorts: [RootPort]
    /// Switch downstream ports, as `rootPorts`: whether a card below one gets its own group.
    public var downstreamPorts: [RootPort]
    /// Why ACS does not form this platform's groups (`GroupPrediction.groupsNotFormedByACS`):
    /// `rootPorts` and `downstreamPorts` then give the ACS verdicts, not slot advice.
    public var groupsNotFormedByACS: String?
    public var whatIf: WhatIfSection?
    public var live: LiveSection?
    /// Set when lspci's `-s`/`-d` narrowed `groups` and `rootPorts` (see `selecting`).
    public var selection: Selection?
    /// The kernel command line predicted for (`LinuxSystem.commandLine`), `nil` for none.
    public var commandLine: String?
    /// The parameter that keeps the IOMMU off (`KernelView.iommuOff`): no groups, no root ports.
    public var iommuOff: String?

    /// What `groups -s/-d` kept: the options as typed and how many groups there are in all.
    public struct Selection: Codable, Hashable, Sendable {
        public var filter: String
        public var groupsInAll: Int
    }

    /// Builds the report. `whatIf` is the prediction with the extra quirks (`quirkLabels` name them).
    /// `inputNotes` are what the reader assumed about the input (lspci text), listed first as `input` notes.
    public init(prediction p: GroupPrediction, source: String, whatIf: GroupPrediction? = nil,
                quirkLabels: [String] = [], live: LiveGroups? = nil, inputNotes: [String] = []) {
        self.source = source
        kernel = p.system.kernel.description
        functions = p.tree.functions.count
        numbering = p.numbersAreKernelNumbers ? "kernel" : "partition"
        notes = inputNotes.map { Note(kind: PredictionNote.Kind.input.rawValue, text: $0) }
            + p.notes.map { Note(kind: $0.kind.rawValue, text: $0.text) }
        func bdfs(_ members: [Int]) -> [String] { members.map { p.devices[$0].address.description } }
        groups = p.groups.map { g in
            let vfio = p.vfioAdvice(g.number)
            return Group(number: g.number, members: g.members.sorted { p.tree.functions[$0].address < p.tree.functions[$1].address }.map { i in
                let d = p.devices[i]
                let f = p.tree.functions[i]
                return Member(
                    bdf: d.address.description, id: d.idString,
                    name: f.names.map { "\($0.class): \($0.vendor) \($0.device)" },
                    type: d.type.map(\.description) ?? "conventional", multifunction: d.multifunction,
                    isolated: p.verdicts[i].isolated, acs: p.verdicts[i].phrase(for: d), reason: p.explanation(i),
                    physfn: d.physfn.map { p.devices[$0].address.description })
            }, vfio: VFIO(bind: bdfs(vfio.bind), bridges: bdfs(vfio.bridges), ports: bdfs(vfio.ports),
                             hostDevices: bdfs(vfio.hostDevices), physfnsWithVFs: bdfs(vfio.physfnsWithVFs)))
        }
        commandLine = p.system.commandLine.isEmpty ? nil : p.system.commandLine.text
        iommuOff = p.view.iommuOff
        if iommuOff != nil {
            // Linux forms no IOMMU groups at all: nothing to list.
            groups = []
            rootPorts = []
            downstreamPorts = []
            return
        }
        func port(_ r: (port: Int, isolated: Bool, reason: String)) -> RootPort {
            RootPort(bdf: p.devices[r.port].address.description, id: p.devices[r.port].idString,
                     isolated: r.isolated, reason: r.reason)
        }
        rootPorts = p.rootPortIsolation.map(port)
        downstreamPorts = p.downstreamPortIsolation.map(port)
        groupsNotFormedByACS = p.groupsNotFormedByACS
        func pg(_ g: WhatIf.NumberedGroup) -> PartitionGroup {
            PartitionGroup(number: g.number, members: g.members.map(\.description))
        }
        func changes(_ c: [WhatIf.Change]) -> [Change] {
            c.map { Change(kind: $0.kind.rawValue, before: $0.before.map(pg), after: $0.after.map(pg)) }
        }
        if let w = whatIf {
            self.whatIf = WhatIfSection(
                quirks: quirkLabels, changes: changes(WhatIf.compare(before: p, after: w)),
                groups: w.groups.map { g in
                    PartitionGroup(number: g.number, members: g.members.map { w.tree.functions[$0].address }.sorted().map(\.description))
                })
        }
        if let live {
            let predicted = p.numberByAddress
            let diff = WhatIf.compare(before: predicted, after: live.groups)
            let ungrouped = predicted.keys.filter { live.groups[$0] == nil }.sorted().map(\.description)
            let unknown = live.groups.keys.filter { predicted[$0] == nil }.sorted().map(\.description)
            let numbersMatch = diff.isEmpty && predicted.allSatisfy { live.groups[$0.key] == nil || live.groups[$0.key] == $0.value }
            let byNumber = Dictionary(grouping: live.groups.keys, by: { live.groups[$0]! })
            self.live = LiveSection(
                // Functions the kernel left out of every group (the AMD IOMMU's own function, devices
                // outside the IVRS/DMAR scope) are listed, not counted as a difference: the kernel
                // attaches no IOMMU to them, which config space cannot show.
                partitionMatches: diff.isEmpty, numbersMatch: numbersMatch,
                kernelGroups: byNumber.keys.sorted().map { PartitionGroup(number: $0, members: byNumber[$0]!.sorted().map(\.description)) },
                differences: changes(diff), ungrouped: ungrouped, unknown: unknown, recordedIn: live.recordedIn)
        }
    }

    /// Only the groups with a member in `functions` (BDFs as `dddd:bb:dd.f`) and the root ports
    /// in `rootPorts`: `groups -s/-d` (`filter`, as typed). The what-if and live sections stay whole.
    public func selecting(_ functions: Set<String>, rootPorts ports: Set<String>, filter: String) -> GroupsReport {
        var r = self
        r.groups = groups.filter { $0.members.contains { functions.contains($0.bdf) } }
        r.rootPorts = rootPorts.filter { ports.contains($0.bdf) }
        r.downstreamPorts = downstreamPorts.filter { ports.contains($0.bdf) || functions.contains($0.bdf) }
        r.selection = Selection(filter: filter, groupsInAll: groups.count)
        return r
    }

    /// The JSON format name and version (`JSONOutput`); bumped when a field changes meaning or goes away.
    public static let format = "acsquirk-groups/1"

    /// The JSON document (`JSONOutput`, docs/schemas/groups.schema.json).
    public func json() -> String { JSONOutput.encode(self, format: GroupsReport.format) }

    /// Whether this report is a finding (exit 1): the live kernel's partition differs.
    public var isFinding: Bool { live.map { !$0.partitionMatches } ?? false }
}

// MARK: Text

extension GroupsReport {
    /// The text format. `explain` adds each member's reason and ACS verdict.
    public func text(explain: Bool) -> String {
        var out = ""
        let short = groups.allSatisfy { $0.members.allSatisfy { $0.bdf.hasPrefix("0000:") } }
        func s(_ bdf: String) -> String { short && bdf.hasPrefix("0000:") ? String(bdf.dropFirst(5)) : bdf }
        if let off = iommuOff {
            out += KernelView.noIOMMUGroups(off) + " (\(source): \(functions) functions, kernel \(kernel) rules): "
                + "Linux forms no IOMMU groups at all, so VFIO can assign no device.\n"
        } else {
            out += "IOMMU groups predicted for \(source): \(functions) functions, \(selection?.groupsInAll ?? groups.count) groups (kernel \(kernel) rules)\n"
        }
        if let commandLine { out += "Kernel command line: \(commandLine)\n" }
        if let selection {
            out += "Shown: the \(groups.count) group\(groups.count == 1 ? "" : "s") of the functions \(selection.filter) selects, and the root ports above them.\n"
        }
        if iommuOff == nil {
            out += numbering == "kernel" ? "Group numbers: as the kernel allocates them at boot.\n"
                                         : "Group numbers: labels of the partition only (the kernel's numbers cannot be known here).\n"
        }
        out += "\nAssumptions and limits:\n"
        for n in notes { out += "  - [\(n.kind)] \(n.text)\n" }
        out += "\n"
        for g in groups {
            out += "IOMMU group \(g.number)\n"
            for m in g.members {
                out += "  \(s(m.bdf))  [\(m.id)]  " + (m.name ?? m.type) + "\n"
                if explain && g.members.count > 1 {
                    if let r = m.reason { out += "      why: \(r)\n" }
                    if !(m.reason?.contains(m.acs) ?? false) { out += "      acs: \(m.acs)\n" }
                }
            }
            if explain { out += vfioText(g.vfio, s) }
        }
        if !rootPorts.isEmpty {
            if groupsNotFormedByACS != nil {
                out += "\nRoot ports (ACS verdicts only, no slot advice: this platform's groups are not formed by ACS, see the platform note):\n"
            } else {
                out += "\nRoot ports (a card in an isolated slot gets its own group; a multifunction card still needs ACS or a quirk to split its functions):\n"
            }
            for r in rootPorts {
                out += "  \(s(r.bdf))  [\(r.id)]  " + (r.isolated ? "isolated" : "NOT isolated") + ": \(r.reason)\n"
            }
            if explain { out += slotAdvice(s) }
        }
        func list(_ gs: [PartitionGroup]) -> String {
            gs.map { "group \($0.number) {" + $0.members.map(s).joined(separator: " ") + "}" }.joined(separator: ", ")
        }
        if let w = whatIf {
            out += "\nWhat-if: " + w.quirks.joined(separator: "; ") + ", consulted before the kernel's table\n"
            if w.changes.isEmpty {
                out += "  no group changes\n"
            }
            for c in w.changes {
                switch c.kind {
                case "split": out += "  \(list(c.before)) splits into \(list(c.after))\n"
                case "merge": out += "  \(list(c.before)) merge into \(list(c.after))\n"
                default: out += "  \(list(c.before)) become \(list(c.after))\n"
                }
            }
            if !w.changes.isEmpty {
                out += "  (numbers after the change are the kernel's new allocation in probe order, so groups that did not change can get other numbers)\n"
            }
        }
        if live != nil { out += "\n" + liveText() }
        return out
    }

    /// The `For VFIO:` line under the root ports in `--explain`: which slots give a card a group
    /// of its own. A card directly in an isolated root port's slot does; behind a switch only a
    /// card below a downstream port whose whole path isolates (`pci_acs_path_enabled`). Where ACS
    /// does not form the groups (`groupsNotFormedByACS`) it says so instead.
    func slotAdvice(_ s: (String) -> String) -> String {
        if let why = groupsNotFormedByACS { return "  For VFIO: no slot advice from ACS: \(why).\n" }
        let own = rootPorts.filter(\.isolated).map { s($0.bdf) }
        let shared = (rootPorts + downstreamPorts).filter { !$0.isolated }.map { s($0.bdf) }
        let ownDown = downstreamPorts.filter(\.isolated).map { s($0.bdf) }
        var line = "  For VFIO: " + (own.isEmpty ? "no root port here gives a card a group of its own"
            : "a card directly in the slot of \(own.joined(separator: ", ")) gets a group of its own (each SR-IOV VF too; the functions "
                + "of a multifunction card only with ACS or a quirk)")
        if !downstreamPorts.isEmpty {
            line += ownDown.isEmpty ? "; behind a switch no card does"
                : "; behind a switch only a card below downstream port\(ownDown.count == 1 ? "" : "s") \(ownDown.joined(separator: ", ")) does"
        }
        return line + (shared.isEmpty ? "" : "; below \(shared.joined(separator: ", ")) a card shares the port's group") + ".\n"
    }

    /// The `vfio:` line of a group in `--explain` (`VFIOAdvice`): what must be unbound or on
    /// vfio-pci/pci-stub, which PCI Express ports may keep pcieport, which bridges need no driver,
    /// whether a host or ISA bridge makes the group unusable, and PFs whose VFs share the group.
    func vfioText(_ v: VFIO, _ s: (String) -> String) -> String {
        guard !v.bind.isEmpty else { return "" }
        func list(_ xs: [String]) -> String { xs.map(s).joined(separator: " ") }
        var line: String
        if !v.hostDevices.isEmpty {
            line = "  vfio: unusable for passthrough in practice: " + list(v.hostDevices)
                + (v.hostDevices.count == 1 ? " is a host or ISA/LPC bridge" : " are host or ISA/LPC bridges")
                + ", which the host cannot give up (VFIO needs every endpoint of the group unbound or on vfio-pci/pci-stub)"
        } else {
            line = "  vfio: bind " + list(v.bind) + " to vfio-pci (or pci-stub, or leave "
                + (v.bind.count == 1 ? "it" : "them") + " without a driver) for the group to be viable"
        }
        let ports = v.bridges.filter(v.ports.contains)
        let others = v.bridges.filter { !v.ports.contains($0) }
        if !ports.isEmpty {
            line += "; " + list(ports) + (ports.count == 1 ? " is a PCIe port and may" : " are PCIe ports and may") + " keep pcieport"
        }
        if !others.isEmpty {
            line += "; " + list(others) + (others.count == 1 ? " is a bridge and needs" : " are bridges and need") + " no driver"
        }
        if !v.physfnsWithVFs.isEmpty {
            line += "; " + v.physfnsWithVFs.map(s).joined(separator: " ") + " shares the group with its VFs: assigning a VF takes "
                + "the PF from its driver too (pci-pf-stub does not leave it to VFIO)"
        }
        return line + "\n"
    }

    /// The comparison with the running kernel (empty without one): whether its partition equals
    /// the prediction and, when not, the differing groups and both partitions. Part of `text`;
    /// the CLI writes it to stderr for the JSON and DOT formats, whose stdout is data.
    public func liveText() -> String {
        var out = ""
        let short = groups.allSatisfy { $0.members.allSatisfy { $0.bdf.hasPrefix("0000:") } }
        func s(_ bdf: String) -> String { short && bdf.hasPrefix("0000:") ? String(bdf.dropFirst(5)) : bdf }
        func list(_ gs: [PartitionGroup]) -> String {
            gs.map { "group \($0.number) {" + $0.members.map(s).joined(separator: " ") + "}" }.joined(separator: ", ")
        }
        if let l = live {
            out += l.recordedIn.map { "Kernel groups recorded in the \($0): " } ?? "Live kernel (/sys/kernel/iommu_groups): "
            if l.partitionMatches {
                out += "the kernel's groups equal the prediction" + (l.numbersMatch ? ", numbers included.\n" : " (numbers differ).\n")
            } else {
                out += "the kernel's groups DIFFER from the prediction.\n"
                for c in l.differences { out += "  predicted \(list(c.before)); kernel \(list(c.after))\n" }
                if !l.ungrouped.isEmpty { out += "  in no kernel group: " + l.ungrouped.map(s).joined(separator: " ") + "\n" }
                out += "  predicted partition: " + groups.map { "{" + $0.members.map { s($0.bdf) }.joined(separator: " ") + "}" }.joined(separator: " ") + "\n"
                out += "  kernel partition:    " + l.kernelGroups.map { "{" + $0.members.map(s).joined(separator: " ") + "}" }.joined(separator: " ") + "\n"
            }
            if l.partitionMatches, !l.ungrouped.isEmpty {
                out += "  in no kernel group (the kernel attached no IOMMU to them, e.g. the AMD IOMMU's own function): "
                    + l.ungrouped.map(s).joined(separator: " ") + "\n"
            }
            if !l.unknown.isEmpty { out += "  grouped by the kernel but not read: " + l.unknown.map(s).joined(separator: " ") + "\n" }
        }
        return out
    }
}
