import PCIConfig

/// A set of devfns on one bus (Linux `dma_alias_mask`, a 256-bit bitmap).
public struct DevfnSet: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    public init(_ devfns: some Sequence<UInt8>) {
        for d in devfns { insert(d) }
    }

    public mutating func insert(_ devfn: UInt8) {
        let bit = UInt64(1) << UInt64(devfn & 63)
        switch devfn >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    public func contains(_ devfn: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(devfn & 63)
        switch devfn >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    /// `test_and_set_bit`: inserts and returns whether it was already there.
    public mutating func testAndSet(_ devfn: UInt8) -> Bool {
        let was = contains(devfn)
        insert(devfn)
        return was
    }

    public var isEmpty: Bool { words.0 == 0 && words.1 == 0 && words.2 == 0 && words.3 == 0 }

    /// The devfns in ascending order.
    public var members: [UInt8] { (0...255).map { UInt8($0) }.filter { contains($0) } }

    public static func == (a: DevfnSet, b: DevfnSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into h: inout Hasher) {
        h.combine(words.0); h.combine(words.1); h.combine(words.2); h.combine(words.3)
    }
}

/// The kernel's DMA-alias header fixups and bridge flags (drivers/pci/quirks.c, read by
/// `pci_for_each_dma_alias()` in drivers/pci/search.c),
/// as data. Only those that config space determines are applied; the others are reported as
/// assumptions (Switchtec NTB reads BAR0 MMIO, AMD IVRS aliases need ACPI, VMD needs the domain
/// mapping).
public enum DMAAliasQuirks {
    /// Result of the header fixups for one function.
    public struct Effect: Hashable, Sendable {
        /// Devfns (same bus) added to `dma_alias_mask`.
        public var aliases = DevfnSet()
        /// Which fixup produced them, e.g. `quirk_dma_func1_alias`.
        public var sources: [String] = []
        /// `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT` (the DMA alias walk stops at this bridge).
        public var xlateRoot = false
        /// `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS` (a bridge without a PCIe capability aliases as a
        /// PCIe-to-PCI bridge: secondary bus, devfn 00.0).
        public var pcieBridgeAlias = false
        /// `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS` (7.x: the PCIe-to-PCI bridge adds no alias).
        public var pciBridgeNoAlias = false
        /// Aliases exist but cannot be computed from config space (Switchtec NTB).
        public var unpredictable: String?
    }

    /// `quirk_dma_func0_alias`: functions other than 0 also use function 0's requester ID.
    public static let func0Alias: Set<UInt32> = [
        0x1180_e832, 0x1180_e476, // Ricoh
        0x6766_3d40, 0x6766_3d41, // Glenfly
    ]
    /// `quirk_dma_func1_alias`: functions other than 1 also use function 1's requester ID.
    public static let func1Alias: Set<UInt32> = [
        0x1b4b_9120, 0x1b4b_9123, 0x1b4b_9125, 0x1b4b_9128, 0x1b4b_9130, 0x1b4b_9170, 0x1b4b_9172,
        0x1b4b_917a, 0x1b4b_9182, 0x1b4b_9183, 0x1b4b_91a0, 0x1b4b_9215, 0x1b4b_9220, 0x1b4b_9230,
        0x1b4b_9235, // Marvell (PCI_VENDOR_ID_MARVELL_EXT)
        0x1103_0642, 0x1103_0645, // TTI
        0x197b_2392, // JMicron JMB388_ESD
        0x1c28_0122, // Lite-On / Plextor M6E
    ]
    /// `quirk_use_pcie_bridge_dma_alias` candidates.
    public static let pcieBridgeAlias: Set<UInt32> = [
        0x1b21_1080, // ASMedia ASM1083/1085
        0x10e3_8113, // Tundra 8113
        0x1283_8892, 0x1283_8893, // ITE 8892/8893
        0x8086_244e, // Intel 82801
    ]
    /// `quirk_mic_x200_dma_alias`: Intel MIC x200 NTB, aliases 10.0, 11.0, 12.3.
    public static let micX200: Set<UInt32> = [0x8086_2260, 0x8086_2264]
    /// `quirk_pex_vca_alias`: Intel VCA, functions 0-4 of every slot.
    public static let pexVCA: Set<UInt32> = [
        0x8086_2954, 0x8086_2955, 0x8086_2956, 0x8086_2958, 0x8086_2959, 0x8086_295a,
    ]
    /// `quirk_bridge_cavm_thrx2_pcie_root`: Broadcom Vulcan / Cavium ThunderX2 root bridges.
    public static let xlateRoot: Set<UInt32> = [0x14e4_9000, 0x14e4_9084]
    /// `quirk_plx_ntb_dma_alias`: PLX NTB, all 256 devfns.
    public static let plxNTB: Set<UInt32> = [0x10b5_87b0, 0x10b5_87b1]
    /// `quirk_aspeed_pci_bridge_no_alias` (7.x only).
    public static let aspeedNoAlias: Set<UInt32> = [0x1a03_1150]

    /// `quirk_switchtec_ntb_dma_alias` vendors (class 0x0680 only): Microsemi Switchtec 0x11f8
    /// and EFAR 0x1055 PCI100X (0x1001-0x1006, 0x1008). Their aliases come from BAR0 MMIO.
    public static func isSwitchtecNTB(vendor: UInt16, device: UInt16, classID: UInt16?) -> Bool {
        guard classID == 0x0680 else { return false }
        if vendor == 0x11f8 { return true }
        if vendor == 0x1055 { return (0x1001...0x1006).contains(device) || device == 0x1008 }
        return false
    }

    /// The header fixups for `function`. `onRootBus`, `isPCIe`, and the parent bridge's PCIe type
    /// are needed by `quirk_use_pcie_bridge_dma_alias`.
    public static func effect(for function: PCIFunction, kernel: KernelProfile, onRootBus: Bool,
                              isPCIe: Bool, parentPCIeType: PCIExpressPortType??) -> Effect {
        var e = Effect()
        let key = UInt32(function.vendorID) << 16 | UInt32(function.deviceID)
        let devfn = function.address.devfn
        let slot = devfn >> 3
        let fn = devfn & 7
        if func0Alias.contains(key), fn != 0 {
            e.aliases.insert(slot << 3)
            e.sources.append("quirk_dma_func0_alias")
        }
        if func1Alias.contains(key), fn != 1 {
            e.aliases.insert(slot << 3 | 1)
            e.sources.append("quirk_dma_func1_alias")
        }
        if key == 0x9005_0285, let sub = function.config.subsystem, sub.vendor == 0x9005,
           sub.device == 0x02bb || sub.device == 0x02bc {
            e.aliases.insert(1 << 3)
            e.sources.append("quirk_fixed_dma_alias")
        }
        if micX200.contains(key) {
            for d: UInt8 in [0x10 << 3, 0x11 << 3, 0x12 << 3 | 3] { e.aliases.insert(d) }
            e.sources.append("quirk_mic_x200_dma_alias")
        }
        if pexVCA.contains(key) {
            for s: UInt8 in 0..<0x20 { for f: UInt8 in 0..<5 { e.aliases.insert(s << 3 | f) } }
            e.sources.append("quirk_pex_vca_alias")
        }
        if plxNTB.contains(key) {
            for d in 0...255 { e.aliases.insert(UInt8(d)) }
            e.sources.append("quirk_plx_ntb_dma_alias")
        }
        if xlateRoot.contains(key) { e.xlateRoot = true }
        if pcieBridgeAlias.contains(key), !onRootBus, function.headerType?.layout == .bridge, !isPCIe,
           let parentType = parentPCIeType, let pt = parentType, pt != .pcieToPCIBridge {
            e.pcieBridgeAlias = true
        }
        if kernel.honoursBridgeNoAlias, aspeedNoAlias.contains(key) { e.pciBridgeNoAlias = true }
        if isSwitchtecNTB(vendor: function.vendorID, device: function.deviceID, classID: function.config.classID) {
            e.unpredictable = "Switchtec NTB (quirk_switchtec_ntb_dma_alias reads its requester-ID table from BAR0)"
        }
        return e
    }
}
