/// ACS capability and control bits (PCIe Base Specification §7.7.8.2-3; Linux `PCI_ACS_*`).
///
/// The same bit positions are used in the ACS Capability register (+0x04, what the port can do)
/// and the ACS Control register (+0x06, what is enabled).
public struct ACSFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Source Validation (bit 0).
    public static let sv = ACSFlags(rawValue: 0x0001)
    /// Translation Blocking (bit 1).
    public static let tb = ACSFlags(rawValue: 0x0002)
    /// P2P Request Redirect (bit 2).
    public static let rr = ACSFlags(rawValue: 0x0004)
    /// P2P Completion Redirect (bit 3).
    public static let cr = ACSFlags(rawValue: 0x0008)
    /// Upstream Forwarding (bit 4).
    public static let uf = ACSFlags(rawValue: 0x0010)
    /// P2P Egress Control (bit 5).
    public static let ec = ACSFlags(rawValue: 0x0020)
    /// Direct Translated P2P (bit 6).
    public static let dt = ACSFlags(rawValue: 0x0040)

    /// The seven base ACS bits, in bit order.
    public static let all: ACSFlags = [.sv, .tb, .rr, .cr, .uf, .ec, .dt]
    /// What Linux's grouping code asks for: `REQ_ACS_FLAGS` = SV|RR|CR|UF (0x001d),
    /// drivers/iommu/iommu.c.
    public static let linuxRequired: ACSFlags = [.sv, .rr, .cr, .uf]
    /// What `pci_quirk_mf_endpoint_acs` reports: SV|TB|RR|CR|UF|DT (drivers/pci/quirks.c).
    public static let multifunctionEndpointQuirk: ACSFlags = [.sv, .tb, .rr, .cr, .uf, .dt]

    /// Short names in bit order, as used in the registry and in Linux: SV TB RR CR UF EC DT.
    public static let names: [(ACSFlags, short: String, lspci: String)] = [
        (.sv, "SV", "SrcValid"), (.tb, "TB", "TransBlk"), (.rr, "RR", "ReqRedir"),
        (.cr, "CR", "CmpltRedir"), (.uf, "UF", "UpstreamFwd"), (.ec, "EC", "EgressCtrl"),
        (.dt, "DT", "DirectTrans"),
    ]

    /// The short names of the set bits, in bit order, e.g. `["SV", "RR", "CR", "UF"]`.
    public var shortNames: [String] { ACSFlags.names.filter { contains($0.0) }.map(\.short) }

    /// `SV|RR|CR|UF` style, or `none`.
    public var description: String { isEmpty ? "none" : shortNames.joined(separator: "|") }

    /// Parses one short name (`SV`, `tb`, ...), case-insensitive.
    public init?(shortName: some StringProtocol) {
        let n = shortName.uppercased()
        guard let f = ACSFlags.names.first(where: { $0.short == n }) else { return nil }
        self = f.0
    }

    /// Parses a list like `SV,RR,CR,UF` (also `|` or spaces as separators) or `none`.
    public init?(list: some StringProtocol) {
        let trimmed = list.trimmingCharacters(in: " ")
        if trimmed.lowercased() == "none" || trimmed.isEmpty { self = []; return }
        var f: ACSFlags = []
        for part in trimmed.split(whereSeparator: { $0 == "," || $0 == "|" || $0 == " " }) {
            guard let one = ACSFlags(shortName: part) else { return nil }
            f.insert(one)
        }
        self = f
    }

    /// lspci's decoding of these bits: `SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-`
    /// (pciutils ls-ecaps.c `cap_acs`).
    public var lspciDescription: String {
        ACSFlags.names.map { $0.lspci + (contains($0.0) ? "+" : "-") }.joined(separator: " ")
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// How the ACS registers of a function are laid out.
public enum ACSRegisterLayout: String, Hashable, Sendable, Codable {
    /// As the PCIe spec says: 16-bit Capability at +4, 16-bit Control at +6.
    case standard
    /// Intel Sunrise Point / Union Point / 7th-8th gen mobile PCH root ports: Capability and Control
    /// as 32-bit dwords at +4 and +8 (erratum; Linux `pci_quirk_intel_spt_pch_acs`). lspci reads
    /// these ports with the standard layout and so decodes them wrongly.
    case intelSPTDword = "intel-spt-dword"
}

/// An ACS extended capability (ID 0x000D) as found in a function's config space.
public struct ACSCapability: Hashable, Sendable {
    /// Offset of the extended capability header.
    public let offset: Int
    /// Capability version (header bits 19:16).
    public let version: UInt8
    /// Register layout used to decode `capability` and `control`.
    public let layout: ACSRegisterLayout
    /// ACS Capability register: the seven base bits (and bit 7, ACS Enhanced Capability, in `rawCapability`).
    public let capability: ACSFlags
    /// ACS Control register, base bits only.
    public let control: ACSFlags
    /// The full 16-bit registers as read with `layout` (low 16 bits for the dword layout).
    public let rawCapability: UInt16
    public let rawControl: UInt16
    /// Egress Control Vector Size (Capability bits 15:8); 0 encodes 256. Only meaningful when EC is set.
    public let egressVectorBits: Int
    /// What lspci decodes at this capability (the standard layout), for comparison with `capability`/`control`.
    public let lspciCapability: ACSFlags
    public let lspciControl: ACSFlags

    public init(offset: Int, version: UInt8 = 1, layout: ACSRegisterLayout = .standard,
                rawCapability: UInt16, rawControl: UInt16,
                lspciCapability: UInt16? = nil, lspciControl: UInt16? = nil) {
        self.offset = offset
        self.version = version
        self.layout = layout
        self.rawCapability = rawCapability
        self.rawControl = rawControl
        self.capability = ACSFlags(rawValue: rawCapability & ACSFlags.all.rawValue)
        self.control = ACSFlags(rawValue: rawControl & ACSFlags.all.rawValue)
        let bits = Int(rawCapability >> 8)
        self.egressVectorBits = bits == 0 ? 256 : bits
        self.lspciCapability = ACSFlags(rawValue: (lspciCapability ?? rawCapability) & ACSFlags.all.rawValue)
        self.lspciControl = ACSFlags(rawValue: (lspciControl ?? rawControl) & ACSFlags.all.rawValue)
    }

    /// Whether lspci decodes this capability differently from its real layout (the SPT erratum).
    public var lspciDecodesWrongly: Bool {
        layout != .standard && (lspciCapability != capability || lspciControl != control)
    }

    /// Linux's standard check `pci_acs_flags_enabled(dev, flags)` (drivers/pci/pci.c): the
    /// requested bits that the capability advertises (EC always counts as advertised) must all be
    /// enabled in Control; bits not advertised count as satisfied.
    public func enables(_ requested: ACSFlags, control override: ACSFlags? = nil) -> Bool {
        let need = requested.intersection(capability.union(.ec))
        return (override ?? control).isSuperset(of: need)
    }

    /// The requested bits that the capability advertises but Control does not enable.
    public func missing(_ requested: ACSFlags, control override: ACSFlags? = nil) -> ACSFlags {
        let need = requested.intersection(capability.union(.ec))
        return need.subtracting(override ?? control)
    }

    /// Size in bytes of the capability: 8, plus the egress control vector rounded up to dwords
    /// when EC is advertised (PCIe Base Specification §7.7.8.4).
    public var size: Int {
        capability.contains(.ec) ? 8 + ((egressVectorBits + 31) / 32) * 4 : 8
    }
}

/// What can be said about a function's ACS capability.
public enum ACSStatus: Hashable, Sendable {
    /// The extended capability list was walked and has no ACS capability.
    case absent
    case present(ACSCapability)
    /// The extended config space could not be read, so ACS can be neither seen nor ruled out.
    case unknown(UnknownReason)

    /// Why ACS is unknown. The text a user sees depends on where the bytes came from (a dump or
    /// a live read); PCIAccess's `PCISource.explanation(of:)` gives that text, `description` a
    /// source-neutral one.
    public enum UnknownReason: Hashable, Sendable, CustomStringConvertible {
        /// Only `readable` bytes were available (a 64- or 256-byte dump, or a non-root read), and
        /// the capability that could hold ACS lies beyond them.
        case extendedSpaceNotReadable(readable: Int)
        /// The function reads as all-ones (vendor ID 0xffff, "Illegal Vendor ID"): no device
        /// answered, so there is nothing to decode. Linux does not enumerate such a function.
        case allOnes
        /// The ACS capability header at `offset` is the last dword or so of the 4096 bytes: its
        /// registers would lie past the end of config space, so they cannot be read (Linux reads
        /// whatever lies past the end: nothing defined).
        case registersPastEndOfConfigSpace(offset: Int)

        public var description: String {
            switch self {
            case let .extendedSpaceNotReadable(r): "only \(r) bytes of config space readable"
            case .allOnes: "function reads all-ones (ffff:ffff): no device answered"
            case let .registersPastEndOfConfigSpace(off):
                "ACS capability at 0x\(hex(off, width: 3)) has its registers past the end of config space (0x1000)"
            }
        }
    }

    public var capability: ACSCapability? {
        if case let .present(c) = self { return c }
        return nil
    }
}

/// Intel PCH root ports whose ACS registers are dwords (Linux `pci_quirk_intel_spt_pch_acs_match`):
/// Sunrise Point-H 0xa110-0xa11f, 0xa167-0xa16a; Union Point 0xa290-0xa29f, 0xa2e7-0xa2ee;
/// 7th/8th gen mobile 0x9d10-0x9d1b.
public let intelSPTDwordACSDeviceIDs: [ClosedRange<UInt16>] = [
    0xa110...0xa11f, 0xa167...0xa16a, 0xa290...0xa29f, 0xa2e7...0xa2ee, 0x9d10...0x9d1b,
]

public let intelVendorID: UInt16 = 0x8086

extension ConfigSpace {
    /// Whether this is an Intel root port with the dword ACS register erratum.
    public var hasIntelSPTACSErratum: Bool {
        guard vendorID == intelVendorID, let d = deviceID, pciExpress?.portType == .rootPort else { return false }
        return intelSPTDwordACSDeviceIDs.contains { $0.contains(d) }
    }

    /// The function's ACS status. PCI Express functions only have extended capabilities;
    /// a function without a PCI Express capability is `.absent` when its standard list could be
    /// read, and `.unknown` otherwise. A PCIe function whose extended space is not readable is
    /// `.unknown` (never "no ACS"), and so is one whose extended list runs past the readable
    /// bytes before an ACS capability was found, or whose ACS registers lie past the readable
    /// bytes (`.extendedSpaceNotReadable`) or past the 4096 bytes of config space
    /// (`.registersPastEndOfConfigSpace`): registers are never invented. An all-ones function
    /// (no device answered) is `.unknown(.allOnes)`.
    public var acs: ACSStatus {
        if readable < 0x40 { return .unknown(.extendedSpaceNotReadable(readable: readable)) }
        if isAllOnes { return .unknown(.allOnes) }
        if readable < 0x100, case .pointerPastReadable? = standardCapabilities().anomaly {
            // The capability list runs past what was readable (a 64-byte or non-root read):
            // we cannot even tell whether this is a PCI Express function.
            return .unknown(.extendedSpaceNotReadable(readable: readable))
        }
        guard pciExpress != nil else { return .absent }
        guard readable > ConfigSpace.extendedStart else {
            return .unknown(.extendedSpaceNotReadable(readable: readable))
        }
        let walk = extendedCapabilities()
        guard let off = walk.entries.first(where: { $0.id == ExtendedCapabilityID.acs })?.offset,
              let header = u32(off)
        else {
            if case .pointerPastReadable? = walk.anomaly {
                // The list continues past what could be read: ACS may be there.
                return .unknown(.extendedSpaceNotReadable(readable: readable))
            }
            return .absent
        }
        let version = UInt8((header >> 16) & 0xf)
        // Never decode registers that are not there: Capability and Control end at
        // +8 (PCIe Base Specification §7.7.8.2-3), the Intel SPT dword layout at +12.
        let registersEnd = off + (hasIntelSPTACSErratum ? 12 : 8)
        guard registersEnd <= readable, let lspciCap = u16(off + 4), let lspciCtl = u16(off + 6) else {
            return .unknown(registersEnd > ConfigSpace.size ? .registersPastEndOfConfigSpace(offset: off)
                : .extendedSpaceNotReadable(readable: readable))
        }
        if hasIntelSPTACSErratum, let cap32 = u32(off + 4), let ctl32 = u32(off + 8) {
            return .present(ACSCapability(offset: off, version: version, layout: .intelSPTDword,
                                          rawCapability: UInt16(truncatingIfNeeded: cap32),
                                          rawControl: UInt16(truncatingIfNeeded: ctl32),
                                          lspciCapability: lspciCap, lspciControl: lspciCtl))
        }
        return .present(ACSCapability(offset: off, version: version, rawCapability: lspciCap, rawControl: lspciCtl))
    }
}

// MARK: Encoding

/// Builds the bytes of an ACS extended capability (PCIe Base Specification §7.7.8):
/// header (ID 0x000D, `version`, `next` pointer), Capability, Control, and the Egress Control
/// Vector (all zero) when `capability` has EC. Returns little-endian bytes, a multiple of 4 long.
/// `egressVectorBits` is 1...256 (256 encodes as 0) and only used with EC.
public func encodeACSCapability(capability: ACSFlags, control: ACSFlags, next: Int = 0, version: UInt8 = 1,
                                egressVectorBits: Int = 0) -> [UInt8] {
    precondition(next & 3 == 0 && next >= 0 && next < 0x1000)
    precondition(!capability.contains(.ec) || (1...256).contains(egressVectorBits))
    let header = UInt32(ExtendedCapabilityID.acs) | UInt32(version & 0xf) << 16 | UInt32(next) << 20
    let sizeField: UInt16 = capability.contains(.ec) ? UInt16(egressVectorBits == 256 ? 0 : egressVectorBits) << 8 : 0
    let cap = capability.rawValue | sizeField
    var out: [UInt8] = []
    func put32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    put32(header)
    put32(UInt32(cap) | UInt32(control.rawValue) << 16)
    if capability.contains(.ec) {
        for _ in 0..<((egressVectorBits + 31) / 32) { put32(0) }
    }
    return out
}
