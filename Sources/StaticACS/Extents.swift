import PCIConfig

/// How the size of an extended capability was found.
public enum ExtentBasis: Hashable, Sendable, CustomStringConvertible {
    /// A fixed size from the PCIe Base Specification (the register map of that capability).
    case fixed
    /// Computed from the capability's own registers; the string says from which
    /// (e.g. "Extended VC Count 0, no arbitration tables", "x16 link").
    case computed(String)
    /// Unknown capability ID: everything up to the next capability start in address order is
    /// treated as taken.
    case unknownToNext
    /// Unknown capability ID that is the last one in address order: everything up to 0x1000 is
    /// treated as taken.
    case unknownToEnd

    public var description: String {
        switch self {
        case .fixed: "fixed size"
        case let .computed(why): "computed: \(why)"
        case .unknownToNext: "unknown ID: taken up to the next capability"
        case .unknownToEnd: "unknown ID: taken up to the end of config space"
        }
    }
}

/// The bytes one existing extended capability occupies in config space.
public struct ExtendedCapabilityExtent: Hashable, Sendable, CustomStringConvertible {
    /// The capability as found by the walk (ID, offset, version).
    public let entry: CapabilityEntry
    /// Its name (PCI Code and ID Assignment Specification §3), or `#xxxx` for unknown IDs as lspci prints them.
    public let name: String
    /// Size in bytes, always a multiple of 4 and at least 4.
    public let size: Int
    public let basis: ExtentBasis

    public init(entry: CapabilityEntry, name: String, size: Int, basis: ExtentBasis) {
        self.entry = entry
        self.name = name
        self.size = size
        self.basis = basis
    }

    public var offset: Int { entry.offset }
    /// One past the last byte: `offset + size`, at most 0x1000.
    public var end: Int { min(offset + size, ConfigSpace.size) }
    public var range: Range<Int> { offset..<end }

    /// `0x140-0x14b Device Serial Number (12 bytes, fixed size)`.
    public var description: String {
        "0x\(hex(offset, width: 3))-0x\(hex(end - 1, width: 3)) \(name) (\(end - offset) bytes, \(basis))"
    }
}

/// Names and sizes of extended capabilities (PCI Code and ID Assignment Specification §3,
/// PCIe Base Specification 6.0 chapter 7; constants as in Linux include/uapi/linux/pci_regs.h).
public enum ExtendedCapabilities {
    /// Capability names by ID, as lspci (ls-ecaps.c) prints them where it knows them.
    public static let names: [UInt16: String] = [
        PCI_EXT_CAP_ID_ERR: "Advanced Error Reporting",
        PCI_EXT_CAP_ID_VC: "Virtual Channel",
        PCI_EXT_CAP_ID_DSN: "Device Serial Number",
        PCI_EXT_CAP_ID_PWR: "Power Budgeting",
        PCI_EXT_CAP_ID_RCLD: "Root Complex Link",
        PCI_EXT_CAP_ID_RCILC: "Root Complex Internal Link Control",
        PCI_EXT_CAP_ID_RCEC: "Root Complex Event Collector",
        PCI_EXT_CAP_ID_MFVC: "Multi-Function Virtual Channel",
        PCI_EXT_CAP_ID_VC9: "Virtual Channel",
        PCI_EXT_CAP_ID_RCRB: "Root Complex Register Block",
        PCI_EXT_CAP_ID_VNDR: "Vendor Specific Information",
        PCI_EXT_CAP_ID_CAC: "Configuration Access Correlation",
        PCI_EXT_CAP_ID_ACS: "Access Control Services",
        PCI_EXT_CAP_ID_ARI: "Alternative Routing-ID Interpretation (ARI)",
        PCI_EXT_CAP_ID_ATS: "Address Translation Service (ATS)",
        PCI_EXT_CAP_ID_SRIOV: "Single Root I/O Virtualization (SR-IOV)",
        PCI_EXT_CAP_ID_MRIOV: "Multi-Root I/O Virtualization (MR-IOV)",
        PCI_EXT_CAP_ID_MCAST: "Multicast",
        PCI_EXT_CAP_ID_PRI: "Page Request Interface (PRI)",
        PCI_EXT_CAP_ID_REBAR: "Physical Resizable BAR",
        PCI_EXT_CAP_ID_DPA: "Dynamic Power Allocation",
        PCI_EXT_CAP_ID_TPH: "Transaction Processing Hints",
        PCI_EXT_CAP_ID_LTR: "Latency Tolerance Reporting",
        PCI_EXT_CAP_ID_SECPCI: "Secondary PCI Express",
        PCI_EXT_CAP_ID_PMUX: "Protocol Multiplexing",
        PCI_EXT_CAP_ID_PASID: "Process Address Space ID (PASID)",
        PCI_EXT_CAP_ID_LNR: "LN Requester",
        PCI_EXT_CAP_ID_DPC: "Downstream Port Containment",
        PCI_EXT_CAP_ID_L1SS: "L1 PM Substates",
        PCI_EXT_CAP_ID_PTM: "Precision Time Measurement",
        PCI_EXT_CAP_ID_FRS: "FRS Queueing",
        PCI_EXT_CAP_ID_RTR: "Readiness Time Reporting",
        PCI_EXT_CAP_ID_DVSEC: "Designated Vendor-Specific",
        PCI_EXT_CAP_ID_VF_REBAR: "VF Resizable BAR",
        PCI_EXT_CAP_ID_DLF: "Data Link Feature",
        PCI_EXT_CAP_ID_PL_16GT: "Physical Layer 16.0 GT/s",
        PCI_EXT_CAP_ID_LMR: "Lane Margining at the Receiver",
        PCI_EXT_CAP_ID_NPEM: "Native PCIe Enclosure Management",
        PCI_EXT_CAP_ID_PL_32GT: "Physical Layer 32.0 GT/s",
        PCI_EXT_CAP_ID_DOE: "Data Object Exchange",
        PCI_EXT_CAP_ID_PL_64GT: "Physical Layer 64.0 GT/s",
    ]

    /// Fixed sizes in bytes (the whole register map of the capability, PCIe Base Specification 6.0 §7.x).
    /// AER is 0x48 for every function: root ports and RCECs have the Root Error registers (0x2c-0x37)
    /// and any function with End-End TLP Prefixes has the TLP Prefix Log (0x38-0x47); taking the
    /// largest layout is the conservative choice.
    public static let fixedSizes: [UInt16: Int] = [
        PCI_EXT_CAP_ID_ERR: 0x48,
        PCI_EXT_CAP_ID_DSN: 0x0c,
        PCI_EXT_CAP_ID_PWR: 0x10,
        PCI_EXT_CAP_ID_RCILC: 0x0c,
        PCI_EXT_CAP_ID_RCEC: 0x0c, // v2 with bus numbers
        PCI_EXT_CAP_ID_RCRB: 0x14,
        PCI_EXT_CAP_ID_ARI: 0x08,
        PCI_EXT_CAP_ID_ATS: 0x08,
        PCI_EXT_CAP_ID_SRIOV: 0x40,
        PCI_EXT_CAP_ID_MCAST: 0x30,
        PCI_EXT_CAP_ID_PRI: 0x10,
        PCI_EXT_CAP_ID_LTR: 0x08,
        PCI_EXT_CAP_ID_PASID: 0x08,
        PCI_EXT_CAP_ID_LNR: 0x08,
        PCI_EXT_CAP_ID_L1SS: 0x10,
        PCI_EXT_CAP_ID_PTM: 0x0c,
        PCI_EXT_CAP_ID_FRS: 0x10,
        PCI_EXT_CAP_ID_RTR: 0x0c,
        PCI_EXT_CAP_ID_DLF: 0x0c,
        PCI_EXT_CAP_ID_NPEM: 0x10,
        PCI_EXT_CAP_ID_DOE: 0x18,
    ]

    /// The name of extended capability `id`: the table name, or `#xx` as lspci prints unknown IDs.
    public static func name(of id: UInt16) -> String {
        names[id] ?? "#\(hex(id, width: 2))"
    }

    /// The extent of every capability in `config`'s extended list, in list (walk) order.
    ///
    /// Sizes come from `fixedSizes`, or are computed from the capability's registers:
    /// VC/MFVC (Linux `pci_vc_do_save_buffer`: VC resources at +0x10, 12 bytes each, plus the VC
    /// and port arbitration tables where their offsets are non-zero), Vendor-Specific and DVSEC (the
    /// length field, bits 31:20 of +0x04), Resizable BAR (+0x08 bits 7:5 BARs, 8 bytes each),
    /// Root Complex Link Declaration (+0x04 bits 15:8 link entries, 16 bytes each), DPA (+0x04 bits
    /// 4:0 substates, one byte each from +0x10), TPH (steering table in the capability: +0x04 bits
    /// 26:16, two bytes per entry from +0x0c), DPC (root port extensions: RP PIO log from +0x20),
    /// ACS (egress control vector), and per-lane capabilities from the Maximum Link Width of the PCI
    /// Express capability's Link Capabilities (bits 9:4; 32 lanes when absent): Secondary PCIe
    /// 0x0c + 2 bytes per lane (PCIe Base Specification 6.0 §7.7.3.4: one 16-bit Lane Equalization
    /// Control register per lane), Physical Layer 16/32/64 GT/s 0x20 + 1 byte per lane, Lane
    /// Margining 0x08 + 4 bytes per lane. Unknown IDs (and lengths that make no sense) take the
    /// space up to the next capability start in address order, or up to 0x1000 for the last one.
    public static func extents(of config: ConfigSpace) -> [ExtendedCapabilityExtent] {
        let entries = config.extendedCapabilities().entries
        let starts = entries.map(\.offset).sorted()
        let lanes = maximumLinkWidth(config)
        return entries.map { e in
            let nextStart = starts.first { $0 > e.offset }
            if let (size, basis) = knownSize(e, config: config, lanes: lanes) {
                return ExtendedCapabilityExtent(entry: e, name: name(of: e.id), size: roundUp4(max(size, 4)), basis: basis)
            }
            let end = nextStart ?? ConfigSpace.size
            return ExtendedCapabilityExtent(entry: e, name: name(of: e.id), size: end - e.offset,
                                            basis: nextStart == nil ? .unknownToEnd : .unknownToNext)
        }
    }

    /// Maximum Link Width (Link Capabilities bits 9:4 of the PCI Express capability), or `nil`.
    static func maximumLinkWidth(_ config: ConfigSpace) -> Int? {
        guard let pcie = config.pciExpress, let lnkcap = config.u32(pcie.offset + PCI_EXP_LNKCAP) else { return nil }
        let w = Int((lnkcap & PCI_EXP_LNKCAP_MLW) >> 4)
        return w == 0 ? nil : w
    }

    private static func roundUp4(_ n: Int) -> Int { (n + 3) & ~3 }

    private static func knownSize(_ e: CapabilityEntry, config c: ConfigSpace, lanes: Int?) -> (Int, ExtentBasis)? {
        let o = e.offset
        if let s = fixedSizes[e.id] { return (s, .fixed) }
        let laneCount = lanes ?? 32
        let laneNote = lanes.map { "x\($0) link" } ?? "no link width, 32 lanes assumed"
        switch e.id {
        case PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_VC9:
            return vcSize(c, o)
        case PCI_EXT_CAP_ID_RCLD:
            guard let esd = c.u32(o + PCI_RCLINK_ESD) else { return nil }
            let links = Int((esd >> 8) & 0xff)
            return (PCI_RCLINK_LINK1 + PCI_RCLINK_LINK_SIZE * links, .computed("\(links) link entries"))
        case PCI_EXT_CAP_ID_VNDR, PCI_EXT_CAP_ID_DVSEC: // length in bytes in bits 31:20 (same offset for both)
            guard let h = c.u32(o + PCI_VNDR_HEADER) else { return nil }
            let len = Int(h >> 20)
            guard len >= 8 else { return nil }
            return (len, .computed("length field 0x\(hex(len, width: 3))"))
        case PCI_EXT_CAP_ID_ACS:
            guard let regs = c.acsRegisters(at: o, layout: .standard) else { return nil }
            let acs = ACSCapability(offset: o, registers: regs)
            return (acs.size, .computed(acs.capability.contains(.ec) ? "egress vector of \(acs.egressVectorBits) bits" : "no egress vector"))
        case PCI_EXT_CAP_ID_REBAR, PCI_EXT_CAP_ID_VF_REBAR:
            guard let ctl = c.u32(o + PCI_REBAR_CTRL) else { return nil }
            var n = Int((ctl & PCI_REBAR_CTRL_NBAR_MASK) >> 5)
            let note: String
            if (1...6).contains(n) { note = "\(n) resizable BARs" } else { n = 6; note = "invalid BAR count, 6 assumed" }
            return (4 + 8 * n, .computed(note))
        case PCI_EXT_CAP_ID_DPA:
            guard let cap = c.u32(o + PCI_DPA_CAP) else { return nil }
            let sub = Int(cap & PCI_DPA_CAP_SUBSTATE_MASK) + 1
            return (PCI_DPA_BASE_SIZEOF + sub, .computed("\(sub) substates"))
        case PCI_EXT_CAP_ID_TPH:
            guard let cap = c.u32(o + PCI_TPH_CAP) else { return nil }
            if cap & PCI_TPH_CAP_LOC_MASK == PCI_TPH_LOC_CAP {
                let entries = Int((cap & PCI_TPH_CAP_ST_MASK) >> 16) + 1
                return (PCI_TPH_BASE_SIZEOF + 2 * entries, .computed("steering table of \(entries) entries"))
            }
            return (PCI_TPH_BASE_SIZEOF, .computed("no steering table in the capability"))
        case PCI_EXT_CAP_ID_SECPCI:
            return (PCI_SECPCI_LE_CTRL + 2 * laneCount, .computed(laneNote))
        case PCI_EXT_CAP_ID_DPC:
            guard let cap = c.u16(o + PCI_EXP_DPC_CAP) else { return nil }
            if cap & PCI_EXP_DPC_CAP_RP_EXT != 0 {
                let log = Int((cap & PCI_EXP_DPC_RP_PIO_LOG_SIZE) >> 8) | (cap & PCI_EXP_DPC_RP_PIO_LOG_SIZE4 != 0 ? 0x10 : 0)
                return (max(0x44, PCI_EXP_DPC_RP_PIO_HEADER_LOG + 4 * log), .computed("root port extensions, RP PIO log of \(log) dwords"))
            }
            return (0x0c, .computed("no root port extensions"))
        case PCI_EXT_CAP_ID_PL_16GT, PCI_EXT_CAP_ID_PL_32GT, PCI_EXT_CAP_ID_PL_64GT:
            return (PCI_PL_16GT_LE_CTRL + laneCount, .computed(laneNote))
        case PCI_EXT_CAP_ID_LMR:
            return (PCI_LMR_LANE_CTRL + 4 * laneCount, .computed(laneNote))
        default:
            return nil
        }
    }

    /// VC / VC9 / MFVC: the register extent (not Linux's save-buffer length, but computed from the
    /// same fields as `pci_vc_do_save_buffer`).
    private static func vcSize(_ c: ConfigSpace, _ o: Int) -> (Int, ExtentBasis)? {
        guard let cap1 = c.u32(o + PCI_VC_PORT_CAP1), let cap2 = c.u32(o + PCI_VC_PORT_CAP2) else { return nil }
        let evcc = Int(cap1 & PCI_VC_CAP1_EVCC)
        let lpevcc = Int((cap1 & PCI_VC_CAP1_LPEVCC) >> 4)
        let parbBits = 1 << Int((cap1 & PCI_VC_CAP1_ARB_SIZE) >> 10)
        var end = PCI_VC_RES_CAP + PCI_CAP_VC_PER_VC_SIZEOF * (evcc + 1)
        var tables = 0
        let vcarbOffset = Int(cap2 >> 24) * 16
        if vcarbOffset != 0 {
            let phases = cap2 & PCI_VC_CAP2_128_PHASE != 0 ? 128 : cap2 & PCI_VC_CAP2_64_PHASE != 0 ? 64
                : cap2 & PCI_VC_CAP2_32_PHASE != 0 ? 32 : 0
            let size = (lpevcc + 1) * phases * 4 / 8
            if size > 0 { end = max(end, vcarbOffset + size); tables += 1 }
        }
        for i in 0...evcc {
            guard let res = c.u32(o + PCI_VC_RES_CAP + PCI_CAP_VC_PER_VC_SIZEOF * i) else { return nil }
            let parbOffset = Int(res >> 24) * 16
            guard parbOffset != 0 else { continue }
            let phases = res & PCI_VC_RES_CAP_256_PHASE != 0 ? 256
                : res & (PCI_VC_RES_CAP_128_PHASE | PCI_VC_RES_CAP_128_PHASE_TB) != 0 ? 128
                : res & PCI_VC_RES_CAP_64_PHASE != 0 ? 64 : res & PCI_VC_RES_CAP_32_PHASE != 0 ? 32 : 0
            let size = parbBits * phases / 8
            if size > 0 { end = max(end, parbOffset + size); tables += 1 }
        }
        return (end, .computed("Extended VC Count \(evcc), \(tables) arbitration tables"))
    }
}
