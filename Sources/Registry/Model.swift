import PCIConfig

/// One registry entry: a product family of one vendor whose isolation a vendor confirmed.
/// One YAML file per entry, `quirks/<vendor>/<family>.yaml` (schema: quirks/schema.json).
///
/// The model says what the hardware is, what a quirk must check before it answers, what isolation
/// is claimed (and which ACS controls it stands for), the evidence, and where it stands in the
/// kernel. Kernel semantics that live inside upstream quirk functions (the Intel PCH workaround,
/// the Sunrise Point register erratum, AMD's IVRS condition, sticky "not isolated" answers) are
/// described in `applies-to` and `kernel`, so that the group predictor can reproduce them.
public struct QuirkEntry: Hashable, Sendable {
    /// Schema version; 1.
    public var schema: Int
    /// PCI vendor ID (16-bit).
    public var vendor: UInt16
    /// Vendor name as used in comments and patch subjects, e.g. "Intel", "Wangxun".
    public var vendorName: String
    /// Product family, e.g. "82576", "SP 10GbE"; used in comments and the patch subject.
    public var family: String
    /// Device IDs the quirk answers "isolated" for: single IDs and inclusive ranges.
    public var devices: [DeviceIDs]
    public var appliesTo: AppliesTo
    public var isolation: Isolation
    public var evidence: Evidence?
    public var kernel: KernelStatus

    public init(schema: Int = 1, vendor: UInt16, vendorName: String, family: String, devices: [DeviceIDs],
                appliesTo: AppliesTo = AppliesTo(), isolation: Isolation, evidence: Evidence? = nil,
                kernel: KernelStatus) {
        self.schema = schema
        self.vendor = vendor
        self.vendorName = vendorName
        self.family = family
        self.devices = devices
        self.appliesTo = appliesTo
        self.isolation = isolation
        self.evidence = evidence
        self.kernel = kernel
    }

    /// Whether `device` is one of `devices`.
    public func covers(device: UInt16) -> Bool { devices.contains { $0.contains(device) } }
    public func covers(vendor v: UInt16, device d: UInt16) -> Bool { v == vendor && covers(device: d) }
}

/// One ID or an inclusive range of IDs. YAML: `0x10c6` or `{first: 0x0100, last: 0x010f}`.
public enum DeviceIDs: Hashable, Sendable {
    case id(UInt16)
    case range(first: UInt16, last: UInt16)

    public func contains(_ d: UInt16) -> Bool {
        switch self {
        case let .id(x): x == d
        case let .range(a, b): a <= d && d <= b
        }
    }

    /// Every ID (empty for an inverted range).
    public var ids: [UInt16] {
        switch self {
        case let .id(x): [x]
        case let .range(a, b): a <= b ? Array(a...b) : []
        }
    }
}

/// What the quirk must check before it answers (the conditions inside the kernel function).
public struct AppliesTo: Hashable, Sendable {
    public enum PortTypeCondition: String, Hashable, Sendable, CaseIterable {
        case endpoint
        case rootPort = "root-port"
        case downstreamPort = "downstream-port"
        /// Root ports and switch downstream ports (Zhaoxin style).
        case rootOrDownstreamPort = "root-or-downstream-port"
        case rciep
        case any

        /// The PCIe Device/Port types this condition admits, in `PCI_EXP_TYPE_*` order; `nil` for
        /// `any` (every function, conventional PCI included). The one mapping between the registry's
        /// words and the kernel's types: the quirk semantics, lint, the kernel-tree analysis and the
        /// generated `pci_pcie_type()` guards all read it.
        public var types: [PCIExpressPortType]? {
            switch self {
            case .any: nil
            case .endpoint: [.endpoint, .legacyEndpoint]
            case .rootPort: [.rootPort]
            case .downstreamPort: [.downstreamPort]
            case .rootOrDownstreamPort: [.rootPort, .downstreamPort]
            case .rciep: [.rcIntegratedEndpoint]
            }
        }

        /// The narrowest word for a function of `type` (`endpoint`, `root-port`, ...), or `nil` for
        /// types no word names alone (upstream ports, bridges, RCECs, no PCIe capability).
        public init?(portType type: PCIExpressPortType?) {
            guard let type, let word = [Self.endpoint, .rootPort, .downstreamPort, .rciep]
                .first(where: { $0.types?.contains(type) == true }) else { return nil }
            self = word
        }

        /// Whether a function with `type` (nil: no PCIe capability) satisfies this condition.
        public func matches(_ type: PCIExpressPortType?) -> Bool {
            guard let types else { return true }
            return type.map(types.contains) ?? false
        }
    }

    /// Platform facts config space alone cannot show, which the kernel function depends on.
    public enum Requirement: String, Hashable, Sendable, CaseIterable {
        /// AMD southbridge: only when the ACPI IVRS table (AMD IOMMU) exists (`pci_quirk_amd_sb_acs`).
        case amdIVRS = "amd-ivrs"
        /// Intel PCH: only when the RCBA-based workaround (`pci_quirk_enable_intel_pch_acs`) succeeded.
        case intelPCHRCBAWorkaround = "intel-pch-rcba-workaround"
        /// The device must have an ACS extended capability (Intel SPT: the quirk reads it with the
        /// dword layout and answers from the real Control bits).
        case acsCapability = "acs-capability"
        /// The device must sit on a root bus (AMD southbridge).
        case rootBus = "root-bus"
    }

    public var portType: PortTypeCondition
    /// `true`: only multifunction devices; `false`: only single-function; `nil`: either.
    public var multifunction: Bool?
    /// Class code (base << 8 | sub) the device must have, if any.
    public var classID: UInt16?
    public var requires: [Requirement]
    /// ACS register layout the quirk uses (the SPT erratum reads dwords).
    public var registerLayout: ACSRegisterLayout

    public init(portType: PortTypeCondition = .any, multifunction: Bool? = nil, classID: UInt16? = nil,
                requires: [Requirement] = [], registerLayout: ACSRegisterLayout = .standard) {
        self.portType = portType
        self.multifunction = multifunction
        self.classID = classID
        self.requires = requires
        self.registerLayout = registerLayout
    }
}

/// The isolation claimed.
public struct Isolation: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A multifunction device never does peer-to-peer between its functions.
        case noPeerToPeer = "no-peer-to-peer"
        /// Root or downstream ports never forward peer-to-peer between each other / devices below.
        case portsIsolated = "ports-isolated"
        /// The device has a real ACS capability with a register erratum; the quirk reads the real
        /// Control bits (Intel SPT). Isolated exactly when the real Control enables what is asked.
        case acsErratum = "acs-erratum"
    }

    public var kind: Kind
    /// The ACS controls the hardware behaves as if enabled (what the quirk reports),
    /// e.g. SV|RR|CR|UF for root-port quirks, SV|TB|RR|CR|UF|DT for `pci_quirk_mf_endpoint_acs`.
    public var acsEquivalent: ACSFlags
    /// Why `acsEquivalent` lacks one of SV, RR, CR, UF although such a claim changes no IOMMU
    /// group (Linux asks for all four when it forms groups): without it lint refuses the entry
    /// (`acs-equivalent-incomplete`).
    public var incompleteReason: String?

    public init(kind: Kind, acsEquivalent: ACSFlags, incompleteReason: String? = nil) {
        self.kind = kind
        self.acsEquivalent = acsEquivalent
        self.incompleteReason = incompleteReason
    }
}

/// The vendor's confirmation.
public struct Evidence: Hashable, Sendable {
    public struct Reference: Hashable, Sendable {
        public var title: String
        public var url: String?
        public init(title: String, url: String? = nil) { self.title = title; self.url = url }
    }

    /// An explicit statement that the hardware blocks peer-to-peer (not "could"/"may").
    public var statement: String
    /// `Full Name <email>`: who at the vendor confirmed it (privately: named in the patch and
    /// copied with a `Cc:` trailer, never an `Acked-by:`).
    public var confirmedBy: [String]
    public var references: [Reference]
    /// ISO date `YYYY-MM-DD`.
    public var date: String?

    public init(statement: String, confirmedBy: [String] = [], references: [Reference] = [], date: String? = nil) {
        self.statement = statement
        self.confirmedBy = confirmedBy
        self.references = references
        self.date = date
    }
}

/// Where the entry stands in the kernel.
public struct KernelStatus: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case upstream, submitted, new
    }

    /// What the quirk function answers for a device it accepts but whose ID is not in `devices`.
    public enum UnlistedAnswer: String, Hashable, Sendable {
        /// -ENOTTY: not mine, the table walk goes on (the usual case).
        case pass
        /// 0: "not isolated", final (Zhaoxin ports, Wangxun): a sticky negative.
        case notIsolated = "not-isolated"
    }

    /// One row of `pci_dev_acs_enabled[]` (upstream entries): its 1-based position in the table of
    /// the kernel the entry was imported from, and the device it matches (`nil` = PCI_ANY_ID).
    public struct TableRow: Hashable, Sendable {
        public var row: Int
        public var device: UInt16?
        /// The vendor macro the row uses (`PCI_VENDOR_ID_INTEL`), or `nil` for a literal.
        public var vendorMacro: String?
        public init(row: Int, device: UInt16?, vendorMacro: String? = nil) {
            self.row = row
            self.device = device
            self.vendorMacro = vendorMacro
        }
    }

    public var status: Status
    /// The kernel function, e.g. `pci_quirk_mf_endpoint_acs`.
    public var function: String?
    /// First mainline release, e.g. `v6.3` (upstream), or `<=v6.1` when only an upper bound is
    /// known (a release that already had it); `KernelRelease(since)` reads it.
    public var since: String?
    /// Where it was submitted (a lore link), for `submitted`.
    public var link: String?
    /// `Full Name <email>` of everyone who acked the posted patch on the list (at `link`): the
    /// patch's `Acked-by:` trailers.
    public var ackedBy: [String]
    /// The table rows (upstream entries, in table order).
    public var table: [TableRow]
    /// The answer for accepted but unlisted devices (see `UnlistedAnswer`).
    public var unlisted: UnlistedAnswer
    /// Free-form note about the kernel code (e.g. where the ID list lives).
    public var note: String?

    public init(status: Status, function: String? = nil, since: String? = nil, link: String? = nil,
                ackedBy: [String] = [], table: [TableRow] = [], unlisted: UnlistedAnswer = .pass, note: String? = nil) {
        self.status = status
        self.function = function
        self.since = since
        self.link = link
        self.ackedBy = ackedBy
        self.table = table
        self.unlisted = unlisted
        self.note = note
    }
}

/// A loaded entry with where it came from.
public struct LoadedEntry: Hashable, Sendable {
    public var entry: QuirkEntry
    /// File path as given to the loader.
    public var path: String
    /// Line of the entry's first key (1-based).
    public var line: Int
    /// Where each field's key and value are in the file (added by the registry loader; empty for
    /// entries built in code). Field paths look like `vendor`, `devices[2].first`, `kernel.table[0].row`.
    public var locations: FieldLocations

    public init(entry: QuirkEntry, path: String, line: Int = 1, locations: FieldLocations = FieldLocations()) {
        self.entry = entry
        self.path = path
        self.line = line
        self.locations = locations
    }
}

/// `kernel.since` read: a mainline release `vX.Y` (the first one with the quirk), or `<=vX.Y`
/// (the first release is not recorded; `vX.Y` is known to have it). A stable sublevel
/// (`v6.12.117`) parses with `sublevel` set so that lint can reject it (`since-sublevel`): a stable
/// tree can carry a back-port from a later mainline release, so its version says nothing about
/// when the quirk entered mainline.
public struct KernelRelease: Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    /// The stable sublevel, when written (always a lint error in `since`).
    public var sublevel: Int?
    /// `<=vX.Y`: only an upper bound of the first release is known.
    public var upperBound: Bool

    public init(major: Int, minor: Int, sublevel: Int? = nil, upperBound: Bool = false) {
        self.major = major
        self.minor = minor
        self.sublevel = sublevel
        self.upperBound = upperBound
    }

    /// Parses `vX.Y`, `vX.Y.Z` or `<=` followed by either; nil for anything else (release
    /// candidates included: the first release of a quirk merged in v7.0-rc1 is v7.0).
    public init?(_ text: String) {
        var t = Substring(text)
        let bound = t.hasPrefix("<=")
        if bound { t = t.dropFirst(2) }
        guard t.hasPrefix("v") else { return nil }
        let parts = t.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        self.init(major: Int(parts[0])!, minor: Int(parts[1])!, sublevel: parts.count == 3 ? Int(parts[2])! : nil,
                  upperBound: bound)
    }

    /// The mainline release `vX.Y` (without `<=` and without a sublevel).
    public var mainline: String { "v\(major).\(minor)" }

    /// As written in the registry: `v6.3`, `<=v6.1`, `v6.12.117`.
    public var description: String { (upperBound ? "<=" : "") + mainline + (sublevel.map { ".\($0)" } ?? "") }

    /// For people: `v6.3`, or `not recorded (present in v6.1)` for an upper bound.
    public var phrase: String { upperBound ? "not recorded (present in \(mainline))" : mainline }
}
