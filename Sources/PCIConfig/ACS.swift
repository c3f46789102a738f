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

/// What `pci_std_enable_acs()` (drivers/pci/pci.c) and `pci_quirk_enable_intel_spt_pch_acs()`
/// (drivers/pci/quirks.c) turn on: the advertised SV, RR, CR and UF (TB only for untrusted or
/// external-facing ports and with `pci=noats`, not modelled; EC and DT never). A pure function of
/// the ACS Capability register, kept here so that LinuxPCI's `pciStdEnableACS` and the lspci text
/// reader (which rebuilds the Intel SPT Control register Linux left) share it.
public func pciACSEnableBits(_ capability: ACSFlags) -> ACSFlags { capability.intersection(.linuxRequired) }

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

/// The ACS Capability and Control registers of one function as one register layout reads them
/// (PCIe Base Specification §7.7.8.2-3): the value type every module uses for ACS registers,
/// produced by the one decoder `ConfigSpace.acsRegisters(at:layout:)`.
///
/// The raw values keep every bit read (bits 15:8 of the Capability register are the Egress
/// Control Vector Size; the dword layout keeps its low 16 bits); `capability` and `control` are
/// the seven base bits, and setting them leaves the other bits as they were.
public struct ACSRegisters: Hashable, Sendable {
    /// ACS Capability register.
    public var rawCapability: UInt16
    /// ACS Control register.
    public var rawControl: UInt16

    public init(rawCapability: UInt16, rawControl: UInt16) {
        self.rawCapability = rawCapability
        self.rawControl = rawControl
    }

    /// Registers holding exactly these base bits.
    public init(capability: ACSFlags, control: ACSFlags) {
        self.init(rawCapability: capability.rawValue, rawControl: control.rawValue)
    }

    /// The controls the function implements (base bits of the Capability register).
    public var capability: ACSFlags {
        get { ACSFlags(rawValue: rawCapability & ACSFlags.all.rawValue) }
        set { rawCapability = rawCapability & ~ACSFlags.all.rawValue | newValue.rawValue }
    }

    /// The controls enabled (base bits of the Control register).
    public var control: ACSFlags {
        get { ACSFlags(rawValue: rawControl & ACSFlags.all.rawValue) }
        set { rawControl = rawControl & ~ACSFlags.all.rawValue | newValue.rawValue }
    }

    /// Egress Control Vector Size (Capability bits 15:8, `PCI_ACS_EGRESS_BITS`); 0 encodes 256.
    /// Only meaningful when EC is set.
    public var egressVectorBits: Int {
        let bits = Int(rawCapability >> 8)
        return bits == 0 ? 256 : bits
    }
}

extension ConfigSpace {
    /// The one ACS register decoder: the registers of the ACS capability at `offset` read with
    /// `layout`, either the standard 16-bit registers at `PCI_ACS_CAP` and `PCI_ACS_CTRL`, or the
    /// Intel Sunrise Point erratum's dwords at `INTEL_SPT_ACS_CAP` and `INTEL_SPT_ACS_CTRL` (their
    /// low 16 bits; Linux `pci_quirk_intel_spt_pch_acs`). `nil` when the bytes are not readable.
    public func acsRegisters(at offset: Int, layout: ACSRegisterLayout) -> ACSRegisters? {
        switch layout {
        case .standard:
            guard let cap = u16(offset + PCI_ACS_CAP), let ctl = u16(offset + PCI_ACS_CTRL) else { return nil }
            return ACSRegisters(rawCapability: cap, rawControl: ctl)
        case .intelSPTDword:
            guard let cap = u32(offset + INTEL_SPT_ACS_CAP), let ctl = u32(offset + INTEL_SPT_ACS_CTRL) else { return nil }
            return ACSRegisters(rawCapability: UInt16(truncatingIfNeeded: cap), rawControl: UInt16(truncatingIfNeeded: ctl))
        }
    }
}

/// An ACS extended capability (`PCI_EXT_CAP_ID_ACS`) as found in a function's config space.
public struct ACSCapability: Hashable, Sendable {
    /// Offset of the extended capability header.
    public let offset: Int
    /// Capability version (header bits 19:16).
    public let version: UInt8
    /// Register layout used to decode `registers`.
    public let layout: ACSRegisterLayout
    /// The registers read with `layout`.
    public let registers: ACSRegisters
    /// The registers as lspci decodes them (the standard layout), for comparison with `registers`.
    public let lspci: ACSRegisters

    public init(offset: Int, version: UInt8 = 1, layout: ACSRegisterLayout = .standard, registers: ACSRegisters,
                lspci: ACSRegisters? = nil) {
        self.offset = offset
        self.version = version
        self.layout = layout
        self.registers = registers
        self.lspci = lspci ?? registers
    }

    public init(offset: Int, version: UInt8 = 1, layout: ACSRegisterLayout = .standard,
                rawCapability: UInt16, rawControl: UInt16,
                lspciCapability: UInt16? = nil, lspciControl: UInt16? = nil) {
        self.init(offset: offset, version: version, layout: layout,
                  registers: ACSRegisters(rawCapability: rawCapability, rawControl: rawControl),
                  lspci: ACSRegisters(rawCapability: lspciCapability ?? rawCapability, rawControl: lspciControl ?? rawControl))
    }

    /// ACS Capability register: the seven base bits (and bit 7, ACS Enhanced Capability, in `rawCapability`).
    public var capability: ACSFlags { registers.capability }
    /// ACS Control register, base bits only.
    public var control: ACSFlags { registers.control }
    /// The full 16-bit registers as read with `layout` (low 16 bits for the dword layout).
    public var rawCapability: UInt16 { registers.rawCapability }
    public var rawControl: UInt16 { registers.rawControl }
    /// Egress Control Vector Size (Capability bits 15:8); 0 encodes 256. Only meaningful when EC is set.
    public var egressVectorBits: Int { registers.egressVectorBits }
    /// What lspci decodes at this capability (the standard layout).
    public var lspciCapability: ACSFlags { lspci.capability }
    public var lspciControl: ACSFlags { lspci.control }

    /// Whether lspci decodes this capability differently from its real layout (the SPT erratum).
    public var lspciDecodesWrongly: Bool {
        layout != .standard && (lspciCapability != capability || lspciControl != control)
    }

    /// Size in bytes of the capability: 8, plus the egress control vector rounded up to dwords
    /// when EC is advertised (PCIe Base Specification §7.7.8.4).
    public var size: Int {
        capability.contains(.ec) ? PCI_ACS_EGRESS_CTL_V + ((egressVectorBits + 31) / 32) * 4 : PCI_ACS_EGRESS_CTL_V
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
        if readable < PCI_STD_HEADER_SIZEOF { return .unknown(.extendedSpaceNotReadable(readable: readable)) }
        if isAllOnes { return .unknown(.allOnes) }
        if readable < PCI_CFG_SPACE_SIZE, case .pointerPastReadable? = standardCapabilities().anomaly {
            // The capability list runs past what was readable (a 64-byte or non-root read):
            // we cannot even tell whether this is a PCI Express function.
            return .unknown(.extendedSpaceNotReadable(readable: readable))
        }
        guard pciExpress != nil else { return .absent }
        guard readable > ConfigSpace.extendedStart else {
            return .unknown(.extendedSpaceNotReadable(readable: readable))
        }
        let walk = extendedCapabilities()
        guard let entry = walk.entries.first(where: { $0.id == PCI_EXT_CAP_ID_ACS }), u32(entry.offset) != nil else {
            if case .pointerPastReadable? = walk.anomaly {
                // The list continues past what could be read: ACS may be there.
                return .unknown(.extendedSpaceNotReadable(readable: readable))
            }
            return .absent
        }
        // Never decode registers that are not there: Capability and Control end at `PCI_ACS_CTRL` + 2
        // (PCIe Base Specification §7.7.8.2-3), the Intel SPT dword layout at `INTEL_SPT_ACS_CTRL` + 4.
        let registersEnd = entry.offset + (hasIntelSPTACSErratum ? INTEL_SPT_ACS_CTRL + 4 : PCI_ACS_CTRL + 2)
        guard registersEnd <= readable, let lspci = acsRegisters(at: entry.offset, layout: .standard) else {
            return .unknown(registersEnd > ConfigSpace.size ? .registersPastEndOfConfigSpace(offset: entry.offset)
                : .extendedSpaceNotReadable(readable: readable))
        }
        if hasIntelSPTACSErratum, let dwords = acsRegisters(at: entry.offset, layout: .intelSPTDword) {
            return .present(ACSCapability(offset: entry.offset, version: entry.version, layout: .intelSPTDword,
                                          registers: dwords, lspci: lspci))
        }
        return .present(ACSCapability(offset: entry.offset, version: entry.version, registers: lspci))
    }
}

// MARK: Encoding

/// Builds the bytes of an ACS extended capability (PCIe Base Specification §7.7.8):
/// header (ID 0x000D, `version`, `next` pointer), Capability, Control, and the Egress Control
/// Vector (all zero) when `capability` has EC. Returns little-endian bytes, a multiple of 4 long.
/// `egressVectorBits` is 1...256 (256 encodes as 0) and only used with EC.
public func encodeACSCapability(capability: ACSFlags, control: ACSFlags, next: Int = 0, version: UInt8 = 1,
                                egressVectorBits: Int = 0) -> [UInt8] {
    precondition(next & 3 == 0 && next >= 0 && next < PCI_CFG_SPACE_EXP_SIZE)
    precondition(!capability.contains(.ec) || (1...256).contains(egressVectorBits))
    let header = UInt32(PCI_EXT_CAP_ID_ACS) | UInt32(version & 0xf) << 16 | UInt32(next) << 20
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
