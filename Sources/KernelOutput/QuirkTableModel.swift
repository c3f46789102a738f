import LinuxPCI
import PCIConfig
import Registry

/// The kernel's ACS quirk table as the analysis needs it: the rows in lookup order (with their
/// lines when read from a tree), what each function checks and reports, and the table walk.
///
/// The walk and the answers are Linux's model's (`QuirkTable.pciDevSpecificACSEnabled`, the semantics every module
/// shares): the table is a list of upstream registry entries, either the registry's own
/// (`init(upstream:)`, no tree) or the ones `KernelImporter` reads from a tree's quirks.c
/// (`init(source:)`). This type only adds what needs the C text: row lines, vendor
/// spelling and the places where ID lists can be extended.
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
    /// pci_ids.h's vendor macros (nil when built from the registry: not checked).
    public var macros: VendorMacros?
    /// Every name quirks.c defines at the top level (functions and arrays; from the registry: the
    /// functions its rows call): a new function must not take one.
    public var definedFunctions: Set<String>
    /// The walk over the table's entries (Registry's semantics).
    public let table: QuirkTable
    /// Table position -> index into `rows`.
    let rowIndex: [Int: Int]

    /// The table of a kernel tree: rows and lines from the C text, the entries (conditions,
    /// reported controls, ID lists) as `KernelImporter` reads the same text.
    public init(source: QuirksSource) {
        rows = source.table.rows.map { r in
            let spelling: VendorSpelling = r.vendorMacro.map { .macro($0) } ?? .literal(r.vendor)
            return Row(position: r.position, line: r.line, vendor: r.vendor, vendorSpelling: spelling,
                       device: r.device, function: r.function)
        }
        profiles = source.profiles
        macros = source.macros
        definedFunctions = Set(source.functions.keys).union(source.arrays.keys)
        table = QuirkTable(entries: source.upstream)
        rowIndex = Self.index(rows)
    }

    /// The table the registry's `upstream` entries describe (their `kernel.table` rows sorted by
    /// position, entries without `kernel.function` left out); function profiles come from the
    /// entries' `applies-to`, `isolation` and `kernel` fields.
    public init(upstream entries: [QuirkEntry]) {
        let upstream = entries.filter { $0.kernel.status == .upstream && $0.kernel.function != nil }
        table = QuirkTable(entries: upstream)
        var rows: [Row] = []
        for r in table.rows {
            guard let position = r.row else { continue }
            let e = upstream[r.entryIndex]
            let macro = e.kernel.table.first { $0.row == position && $0.device == r.device }?.vendorMacro
            rows.append(Row(position: position, line: nil, vendor: e.vendor, vendorSpelling: macro.map { .macro($0) } ?? .literal(e.vendor),
                            device: r.device, function: e.kernel.function ?? ""))
        }
        self.rows = rows
        var byFunction: [String: [QuirkEntry]] = [:]
        for e in upstream { byFunction[e.kernel.function!, default: []].append(e) }
        var profiles: [String: QuirkFunctionProfile] = [:]
        for (fn, es) in byFunction {
            let vendorWide = es.first { $0.kernel.table.contains { $0.device == nil } }
            let e = vendorWide ?? es[0]
            profiles[fn] = QuirkFunctionProfile(name: fn, shape: QuirkShape(e), kind: e.isolation.kind, ids: vendorWide?.devices,
                                                unlisted: e.kernel.unlisted)
        }
        self.profiles = profiles
        definedFunctions = Set(profiles.keys)
        macros = nil
        rowIndex = Self.index(rows)
    }

    static func index(_ rows: [Row]) -> [Int: Int] {
        var m: [Int: Int] = [:]
        for (i, r) in rows.enumerated() where m[r.position] == nil { m[r.position] = i }
        return m
    }

    /// ACS registers that enable everything, under both layouts: an `acs-erratum` function then
    /// answers "isolated when the real registers say so" (a condition).
    static let permissiveRegisters = PCIDevACS(offset: PCI_CFG_SPACE_SIZE,
                                               standard: ACSRegisters(capability: .all, control: .all),
                                               intelSPTDword: ACSRegisters(capability: .all, control: .all))

    /// The first row that answers for a device when Linux asks for SV|RR|CR|UF (nil: no quirk
    /// applies, the real ACS capability decides): `QuirkTable.pciDevSpecificACSEnabled` of module LinuxPCI, as
    /// `pci_dev_specific_acs_enabled()` walks the table.
    ///
    /// Facts config space would give are assumed in the quirk's favour unless given: the device
    /// is on a root bus, multifunction (`multifunction` nil), has the class `classID`, has an ACS
    /// capability with everything enabled; the platform has an AMD IVRS table and the Intel PCH
    /// workaround succeeds. An answer that relies on such an assumption (or on a multifunction or
    /// class check) is `.conditional`, naming the conditions.
    public func answer(vendor: UInt16, device: UInt16, type: PCIExpressPortType?, multifunction: Bool? = nil,
                       classID: UInt16? = nil) -> (row: Row, answer: QuirkAnswer)? {
        let dev = PCIDev(vendor: vendor, device: device, type: type, multifunction: multifunction ?? true,
                         classID: classID, onRootBus: true, acs: Self.permissiveRegisters, pchWorkaround: .assumedToSucceed)
        guard let d = table.pciDevSpecificACSEnabled(dev, REQ_ACS_FLAGS, LinuxSystem(amdIVRS: true)),
              let position = d.row.row, let i = rowIndex[position] else { return nil }
        switch d.answer {
        case .pass: return nil
        case .notIsolated: return (rows[i], .notIsolated)
        case .isolated:
            let shape = QuirkShape(d.entry)
            return (rows[i], shape.isUnconditional ? .isolated : .conditional(shape.conditionDescriptions))
        }
    }

    /// How a new row writes `vendor`: the macro the table already uses for it, else the first
    /// `PCI_VENDOR_ID_*` of pci_ids.h, else the literal (as the table does for 0x19a2 and 0x10df).
    public func spelling(for vendor: UInt16) -> VendorSpelling {
        if let used = rows.first(where: { $0.vendor == vendor })?.vendorSpelling { return used }
        if let m = macros?.names(for: vendor).first { return .macro(m) }
        return .literal(vendor)
    }
}

/// What a quirk function checks and reports, in the registry's terms: the part of an entry that
/// code must honour exactly (the `applies-to` conditions and the controls it reports). Code for
/// an entry is only written with a function of the same shape, so the function never claims more
/// (or less) than the entry does.
public struct QuirkShape: Hashable, Sendable, CustomStringConvertible {
    public var portType: AppliesTo.PortTypeCondition
    /// `true`: multifunction devices only; `false`: single-function only; nil: either.
    public var multifunction: Bool?
    /// Class code (base << 8 | sub) required, if any.
    public var classID: UInt16?
    public var requires: Set<AppliesTo.Requirement>
    /// `acs-erratum`: the answer comes from the real ACS registers read with `registerLayout`.
    public var fromRegisters: Bool
    public var registerLayout: ACSRegisterLayout
    /// What the function reports (`pci_acs_ctrl_enabled(acs_flags, …)`); not compared when the
    /// answer comes from the registers.
    public var acsEquivalent: ACSFlags

    public init(portType: AppliesTo.PortTypeCondition = .any, multifunction: Bool? = nil, classID: UInt16? = nil,
                requires: Set<AppliesTo.Requirement> = [], fromRegisters: Bool = false,
                registerLayout: ACSRegisterLayout = .standard, acsEquivalent: ACSFlags) {
        self.portType = portType
        self.multifunction = multifunction
        self.classID = classID
        self.requires = requires
        self.fromRegisters = fromRegisters
        self.registerLayout = fromRegisters ? registerLayout : .standard
        self.acsEquivalent = fromRegisters ? [] : acsEquivalent
    }

    /// The shape of an entry's claim.
    public init(_ e: QuirkEntry) {
        self.init(portType: e.appliesTo.portType, multifunction: e.appliesTo.multifunction, classID: e.appliesTo.classID,
                  requires: Set(e.appliesTo.requires), fromRegisters: e.isolation.kind == .acsErratum,
                  registerLayout: e.appliesTo.registerLayout, acsEquivalent: e.isolation.acsEquivalent)
    }

    /// `pci_quirk_mf_endpoint_acs()`: no check, reports SV|TB|RR|CR|UF|DT.
    public static let multifunctionEndpoint = QuirkShape(acsEquivalent: .multifunctionEndpointQuirk)

    /// Whether code of this shape (an existing quirk function) claims, for every device a claim
    /// of shape `claim` describes, exactly what that claim says: the same controls reported (or
    /// the same register erratum), the same platform conditions and class condition, and a port
    /// type check that accepts the claim's port types. A function that checks no port type
    /// answers the same for a root port as one that checks for it (`pci_quirk_qcom_rp_acs()` for
    /// an entry `acsquirk new` wrote with `port-type: root-port`), and one that accepts root and
    /// downstream ports answers the same for a root port (`pci_quirk_zhaoxin_pcie_ports_acs()`):
    /// the rows or the ID list name only the claim's devices, and a device ID keeps its port type.
    /// The multifunction condition must be the claim's, except that a function checking none
    /// stands for a multifunction endpoint claim: Linux's `pci_acs_enabled()` consults ACS for an
    /// endpoint or RCiEP only when it is multifunction, so the answer for a single-function one
    /// changes no IOMMU group (the same configuration of a device can expose one function or
    /// several, so the condition is not a fact of the device ID; nor is the class code).
    ///
    /// The one rule by which the patch generator reuses a function (`CodePlanner`) and
    /// `import-kernel` turns a merged patch's entry upstream (`KernelImporter.plan`).
    public func claimsExactly(_ claim: QuirkShape) -> Bool {
        guard requires == claim.requires, fromRegisters == claim.fromRegisters, registerLayout == claim.registerLayout,
              acsEquivalent == claim.acsEquivalent, classID == claim.classID else { return false }
        if let mine = portType.types {
            guard let theirs = claim.portType.types, Set(theirs).isSubset(of: mine) else { return false }
        }
        if multifunction != claim.multifunction {
            let endpointClaim = [.any, .endpoint, .rciep].contains(claim.portType)
            guard multifunction == nil, claim.multifunction == true, endpointClaim else { return false }
        }
        return true
    }

    /// Whether rows calling `pci_quirk_mf_endpoint_acs()` say what a `no-peer-to-peer` claim of
    /// this shape says (the generic function a vendor without a fitting function of its own gets
    /// for multifunction endpoints; `claimsExactly`: it checks nothing and reports
    /// SV|TB|RR|CR|UF|DT, so a claim that reports less, e.g. SV|RR|CR|UF only, gets its own
    /// function and the rows never grant TB or DT the vendor did not confirm).
    public var fitsMultifunctionEndpointRows: Bool { Self.multifunctionEndpoint.claimsExactly(self) }

    /// Whether the answer depends on something besides the device ID and its PCIe type.
    public var isUnconditional: Bool { multifunction == nil && classID == nil && requires.isEmpty && !fromRegisters }

    /// The conditions in words (for `QuirkAnswer.conditional`).
    public var conditionDescriptions: [String] {
        var c: [String] = []
        if let m = multifunction { c.append(m ? "the device must be multifunction" : "the device must be single-function") }
        if let cls = classID { c.append("the device must have class 0x\(hex(cls, width: 4))") }
        for r in AppliesTo.Requirement.allCases where requires.contains(r) {
            switch r {
            case .amdIVRS: c.append("the ACPI IVRS table (AMD IOMMU) must exist")
            case .rootBus: c.append("the device must be on a root bus")
            case .intelPCHRCBAWorkaround: c.append("the Intel PCH RCBA workaround must succeed, else not isolated")
            case .acsCapability: c.append("the device must have an ACS capability; the answer comes from its registers")
            }
        }
        if fromRegisters, !requires.contains(.acsCapability) { c.append("the answer comes from the ACS registers") }
        return c
    }

    /// `port-type root-port, multifunction, class 0x0200, requires [amd-ivrs], reports SV|RR|CR|UF`.
    public var description: String {
        var parts = ["port-type \(portType.rawValue)"]
        if let m = multifunction { parts.append(m ? "multifunction only" : "single-function only") }
        if let c = classID { parts.append("class 0x\(hex(c, width: 4))") }
        if !requires.isEmpty {
            parts.append("requires [" + AppliesTo.Requirement.allCases.filter(requires.contains).map(\.rawValue)
                .joined(separator: ", ") + "]")
        }
        parts.append(fromRegisters ? "answers from the \(registerLayout.rawValue) ACS registers"
                                   : "reports \(acsEquivalent.shortNames.joined(separator: "|"))")
        return parts.joined(separator: ", ")
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
    /// Isolated only when conditions outside the device ID and type hold (else not isolated or pass).
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
    if let t = e.appliesTo.portType.types { return t }
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

    /// Evaluates every device ID of `entry` against `model` (with the entry's own multifunction
    /// and class conditions as the device's facts).
    public init(entry: QuirkEntry, model: QuirkTableModel) {
        let types = effectivePortTypes(entry)
        var covered: [Covered] = []
        var uncovered: [UInt16] = []
        var blockers: [Blocker] = []
        let ids = Array(Set(entry.devices.flatMap(\.ids))).sorted()
        for d in ids {
            let answers = types.map {
                (t: $0, a: model.answer(vendor: entry.vendor, device: d, type: $0, multifunction: entry.appliesTo.multifunction,
                                        classID: entry.appliesTo.classID))
            }
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
