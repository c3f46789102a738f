import PCIConfig
import Registry

/// The kernel's ACS quirk table as the analysis needs it: the rows in lookup order and what each
/// function answers. Built from a kernel tree's quirks.c (`init(source:)`) or, without a tree,
/// from the registry's upstream entries (`init(upstream:)`).
///
/// `answer(vendor:device:type:)` mirrors `pci_dev_specific_acs_enabled()`: the first row that
/// matches and whose function does not pass (-ENOTTY) decides.
public struct QuirkTableModel: Hashable, Sendable {
    /// One row of `pci_dev_acs_enabled[]` as the table walk sees it.
    public struct Row: Hashable, Sendable {
        /// 1-based table position.
        public var position: Int
        /// 1-based line in quirks.c (nil when built from the registry).
        public var line: Int?
        /// Vendor ID (0xffff: PCI_ANY_ID).
        public var vendor: UInt16
        public var vendorSpelling: VendorSpelling
        /// nil: PCI_ANY_ID.
        public var device: UInt16?
        public var function: String

        /// Whether the row matches a device (vendor or PCI_ANY_ID, device or PCI_ANY_ID).
        public func matches(vendor v: UInt16, device d: UInt16) -> Bool {
            (vendor == v || vendor == 0xffff) && (device == nil || device == d)
        }

        /// `row 60 (quirks.c:5134, PCI_VENDOR_ID_INTEL PCI_ANY_ID pci_quirk_rciep_acs)`.
        public var label: String {
            let dev = device.map { "0x" + hex($0, width: 4) } ?? "PCI_ANY_ID"
            let where_ = line.map { "\(QuirksSource.relativePath):\($0), " } ?? ""
            return "row \(position) (\(where_)\(vendorSpelling) \(dev) \(function))"
        }
    }

    /// The rows in lookup order.
    public var rows: [Row]
    /// What each function the rows name does, by name.
    public var profiles: [String: QuirkFunctionProfile]
    /// pci_ids.h's vendor macros (nil when built from the registry).
    public var macros: VendorMacros?

    public init(rows: [Row], profiles: [String: QuirkFunctionProfile], macros: VendorMacros? = nil) {
        self.rows = rows
        self.profiles = profiles
        self.macros = macros
    }

    /// The table of a kernel tree.
    public init(source: QuirksSource) {
        rows = source.table.rows.map { r in
            let spelling: VendorSpelling = parseCNumber(r.vendorToken) != nil ? .literal(r.vendor) : .macro(r.vendorToken)
            return Row(position: r.position, line: r.line, vendor: r.vendor, vendorSpelling: spelling,
                       device: r.device, function: r.function)
        }
        profiles = source.profiles
        macros = source.macros
    }

    /// The table the registry's `upstream` entries describe (their `kernel.table` rows sorted by
    /// position); function profiles come from the entries' `applies-to` and `kernel` fields.
    public init(upstream entries: [QuirkEntry]) {
        var rows: [Row] = []
        var byFunction: [String: [QuirkEntry]] = [:]
        for e in entries where e.kernel.status == .upstream {
            guard let fn = e.kernel.function else { continue }
            byFunction[fn, default: []].append(e)
            for t in e.kernel.table {
                let spelling: VendorSpelling = t.vendorMacro.map { .macro($0) } ?? .literal(e.vendor)
                rows.append(Row(position: t.row, line: nil, vendor: e.vendor, vendorSpelling: spelling,
                                device: t.device, function: fn))
            }
        }
        self.rows = rows.sorted { ($0.position, $0.device ?? 0) < ($1.position, $1.device ?? 0) }
        var profiles: [String: QuirkFunctionProfile] = [:]
        for (fn, es) in byFunction {
            let first = es[0]
            let vendorWide = es.contains { $0.kernel.table.contains { $0.device == nil } }
            var conditions: [String] = []
            for r in first.appliesTo.requires {
                switch r {
                case .amdIVRS: conditions.append("the ACPI IVRS table (AMD IOMMU) must exist")
                case .rootBus: conditions.append("the device must be on a root bus")
                case .intelPCHRCBAWorkaround: conditions.append("the Intel PCH RCBA workaround must succeed, else not isolated")
                case .acsCapability: conditions.append("the device must have an ACS capability; the answer comes from its registers")
                }
            }
            profiles[fn] = QuirkFunctionProfile(
                name: fn, acceptedTypes: Self.types(first.appliesTo.portType),
                ids: vendorWide ? es.flatMap(\.devices) : nil, unlisted: first.kernel.unlisted, conditions: conditions)
        }
        self.profiles = profiles
        macros = nil
    }

    static func types(_ c: AppliesTo.PortTypeCondition) -> Set<PCIExpressPortType>? {
        switch c {
        case .any: nil
        case .endpoint: [.endpoint, .legacyEndpoint]
        case .rootPort: [.rootPort]
        case .downstreamPort: [.downstreamPort]
        case .rootOrDownstreamPort: [.rootPort, .downstreamPort]
        case .rciep: [.rcIntegratedEndpoint]
        }
    }

    /// What one function answers for a device it is called for.
    public func answer(function: String, device: UInt16, type: PCIExpressPortType?) -> QuirkAnswer {
        guard let p = profiles[function] else {
            // A function the table names but nothing is known about: assume it answers.
            return .conditional(["\(function) is not known"])
        }
        if let accepted = p.acceptedTypes {
            guard let type, accepted.contains(type) else { return .pass }
        }
        if let ids = p.ids, !ids.contains(where: { $0.contains(device) }) {
            return p.unlisted == .notIsolated ? .notIsolated : .pass
        }
        return p.conditions.isEmpty ? .isolated : .conditional(p.conditions)
    }

    /// The first row that answers for the device (nil: no quirk applies, the real ACS capability
    /// decides), as `pci_dev_specific_acs_enabled()` walks the table.
    public func answer(vendor: UInt16, device: UInt16, type: PCIExpressPortType?) -> (row: Row, answer: QuirkAnswer)? {
        for row in rows where row.matches(vendor: vendor, device: device) {
            let a = answer(function: row.function, device: device, type: type)
            if a != .pass { return (row, a) }
        }
        return nil
    }

    /// How a new row writes `vendor`: the macro the table already uses for it, else the first
    /// `PCI_VENDOR_ID_*` of pci_ids.h, else the literal (as the table does for 0x19a2 and 0x10df).
    public func spelling(for vendor: UInt16) -> VendorSpelling {
        if let used = rows.first(where: { $0.vendor == vendor })?.vendorSpelling { return used }
        if let m = macros?.names(for: vendor).first { return .macro(m) }
        return .literal(vendor)
    }
}

/// What a quirk answers for one device (the sign of the kernel function's return value).
public enum QuirkAnswer: Hashable, Sendable, CustomStringConvertible {
    /// -ENOTTY/-ENODEV: not mine, the walk goes on.
    case pass
    /// > 0 for the requested SV|RR|CR|UF.
    case isolated
    /// 0: not isolated, final.
    case notIsolated
    /// Isolated only when conditions outside config space hold (else not isolated or pass).
    case conditional([String])

    public var description: String {
        switch self {
        case .pass: "passes"
        case .isolated: "isolated"
        case .notIsolated: "not isolated"
        case let .conditional(c): "isolated when " + c.joined(separator: "; ")
        }
    }

    var isIsolating: Bool {
        switch self {
        case .isolated, .conditional: true
        default: false
        }
    }
}

/// The PCIe types an entry's devices can have, for reachability checks. A specific
/// `applies-to.port-type` gives its types; `any` gives the endpoint types (including RCiEPs) for
/// `no-peer-to-peer`, root and downstream ports for `ports-isolated`, every type otherwise.
public func effectivePortTypes(_ e: QuirkEntry) -> [PCIExpressPortType] {
    if let t = QuirkTableModel.types(e.appliesTo.portType) {
        return [PCIExpressPortType.endpoint, .legacyEndpoint, .rootPort, .upstreamPort, .downstreamPort, .rcIntegratedEndpoint]
            .filter { t.contains($0) }
    }
    switch e.isolation.kind {
    case .noPeerToPeer: return [.endpoint, .legacyEndpoint, .rcIntegratedEndpoint]
    case .portsIsolated: return [.rootPort, .downstreamPort]
    case .acsErratum: return [.endpoint, .legacyEndpoint, .rootPort, .upstreamPort, .downstreamPort, .rcIntegratedEndpoint]
    }
}

/// What the table already says about one entry's devices.
public struct EntryCoverage: Hashable, Sendable {
    /// A device the table already isolates, and the row that does it.
    public struct Covered: Hashable, Sendable {
        public var device: UInt16
        public var row: QuirkTableModel.Row
        public var answer: QuirkAnswer
    }

    /// A row that answers for a device before any new row could (placed after it, a new row would
    /// never be reached).
    public struct Blocker: Hashable, Sendable {
        public var device: UInt16
        public var type: PCIExpressPortType
        public var row: QuirkTableModel.Row
        public var answer: QuirkAnswer
    }

    /// Devices the table already isolates for every type the entry's devices can have.
    public var covered: [Covered]
    /// Devices that still need code, ascending.
    public var uncovered: [UInt16]
    /// First answering rows for the uncovered devices, by position.
    public var blockers: [Blocker]

    /// Whether the table already isolates every device of the entry.
    public var isFullyCovered: Bool { uncovered.isEmpty }

    /// Evaluates every device ID of `entry` against `model`.
    public init(entry: QuirkEntry, model: QuirkTableModel) {
        let types = effectivePortTypes(entry)
        var covered: [Covered] = []
        var uncovered: [UInt16] = []
        var blockers: [Blocker] = []
        let ids = Array(Set(entry.devices.flatMap(\.ids))).sorted()
        for d in ids {
            let answers = types.map { (t: $0, a: model.answer(vendor: entry.vendor, device: d, type: $0)) }
            if let first = answers.first?.a, answers.allSatisfy({ $0.a?.answer.isIsolating == true }) {
                covered.append(Covered(device: d, row: first.row, answer: first.answer))
            } else {
                uncovered.append(d)
                for (t, a) in answers {
                    if let a { blockers.append(Blocker(device: d, type: t, row: a.row, answer: a.answer)) }
                }
            }
        }
        self.covered = covered
        self.uncovered = uncovered
        self.blockers = blockers.sorted { ($0.row.position, $0.device) < ($1.row.position, $1.device) }
    }
}

/// IDs compressed into single IDs and inclusive ranges (runs of 3 or more consecutive IDs).
func compress(_ ids: [UInt16]) -> [DeviceIDs] {
    let sorted = Array(Set(ids)).sorted()
    var out: [DeviceIDs] = []
    var i = 0
    while i < sorted.count {
        var j = i
        while j + 1 < sorted.count, sorted[j + 1] == sorted[j] &+ 1, sorted[j + 1] > sorted[j] { j += 1 }
        if j - i >= 2 {
            out.append(.range(first: sorted[i], last: sorted[j]))
        } else {
            for k in i...j { out.append(.id(sorted[k])) }
        }
        i = j + 1
    }
    return out
}
