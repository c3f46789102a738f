import PCIAccess
import PCIConfig

/// Config-space decoding (PCIConfig: the capability walks, the PCI Express capability, ACS,
/// bridge bus numbers; PCIAccess's scan record) on mutated config spaces. Input: two bytes of
/// readable size (little-endian, modulo 4097), then the bytes from offset 0.
///
/// Checks that decoding never reads bytes that are not there: every capability found lies inside
/// the readable bytes (ACS with its registers), and changing the bytes past the readable size
/// changes no decoded value.
public enum ConfigSpaceTarget: FuzzTarget {
    public static let name = "config"

    /// Every function of every real dump, with its readable size.
    public static func corpus() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for path in Repository.dumps {
            guard let dump = try? DumpReader.read(path: path) else { continue }
            for f in dump.functions { out.append(encode(f.config)) }
        }
        return out
    }

    /// `config` as an input of this target.
    public static func encode(_ config: ConfigSpace) -> [UInt8] {
        [UInt8(config.readable & 0xff), UInt8(config.readable >> 8)] + config.bytes.prefix(config.readable)
    }

    public static let dictionary: [[UInt8]] = [
        [0x00, 0x10], [0x00, 0x01], [0x40, 0x00], [0x80, 0x00],      // readable 4096, 256, 64, 128
        [0x10, 0x00], [0x10, 0x40], [0x01, 0x00],                    // PCIe capability, a pointer
        [0x0d, 0x00, 0x01, 0x00], [0x0d, 0x00, 0xc1, 0xff],          // ACS header: last; next 0xffc
        [0x01, 0x00, 0xc1, 0xff], [0x01, 0x00, 0x81, 0xff],          // AER header: next 0xffc, 0xff8
        [0x0e, 0x00, 0x01, 0x10], [0x10, 0x00, 0x01, 0x00],          // ARI, SR-IOV headers
        [0x1f, 0x00, 0x1f, 0x00], [0x5f, 0x20, 0x00, 0x00],          // ACS Capability/Control
        [0x86, 0x80, 0x10, 0xa1],                                    // Intel SPT root port ID
        [0xff, 0xff, 0xff, 0xff], [0x00, 0x00, 0x00, 0x00], [0x81], [0x01], [0x02], [0x42],
    ]

    /// Moves what decoding follows: capability pointers (to the end of config space, into the
    /// header, onto themselves), capability headers placed anywhere, the readable size next to a
    /// capability, ACS registers, port type, header type, the Capabilities List bit.
    public static func mutate(_ b: inout [UInt8], _ rng: inout SplitMix) -> Bool {
        guard b.count >= 2 else { return false }
        let whole = ConfigSpace(bytes: Array(b.dropFirst(2)), readable: ConfigSpace.size)
        let std = whole.standardCapabilities().entries, ext = whole.extendedCapabilities().entries
        func put(_ offset: Int, _ bytes: [UInt8]) {
            let end = 2 + offset + bytes.count
            if b.count < end { b += [UInt8](repeating: 0xff, count: end - b.count) }
            b.replaceSubrange(2 + offset..<end, with: bytes)
        }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let extTargets = [0x000, 0x0fc, 0x100, 0x104, 0xff0, 0xff4, 0xff8, 0xffc] + ext.map(\.offset)
        func anyExtOffset() -> Int { rng.below(3) == 0 ? 0x100 + 4 * rng.below(0x3c0) : extTargets[rng.below(extTargets.count)] }
        let ids: [UInt16] = [PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_ARI,
                             PCI_EXT_CAP_ID_SRIOV, 0xffff, 0x0000]
        switch rng.below(6) {
        case 0: // an extended capability's next pointer
            guard !ext.isEmpty else { return false }
            let e = ext[rng.below(ext.count)]
            let header = whole.u32(e.offset) ?? 0
            put(e.offset, le32(header & 0x000f_ffff | UInt32(anyExtOffset() & 0xffc) << 20))
        case 1: // an extended capability header somewhere
            let id = ids[rng.below(ids.count)]
            let next = rng.below(2) == 0 ? 0 : anyExtOffset() & 0xffc
            put(anyExtOffset(), le32(UInt32(id) | UInt32(1 + rng.below(2)) << 16 | UInt32(next) << 20))
        case 2: // a standard pointer: the list head or a capability's next
            let at = std.isEmpty || rng.below(3) == 0 ? PCI_CAPABILITY_LIST : std[rng.below(std.count)].offset + PCI_CAP_LIST_NEXT
            let targets: [UInt8] = [0x00, 0x3c, 0x40, 0xfc, 0xfe, 0xff] + std.map { UInt8($0.offset) }
            put(at, [rng.below(3) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : targets[rng.below(targets.count)]])
        case 3: // the readable size, often right at a capability
            let marks = [0, 63, 64, 128, 255, 256, 257, 0x1fc, 0x200, 4092, 4095, 4096]
                + (std + ext).map { $0.offset + rng.below(13) }
            let r = marks[rng.below(marks.count)]
            b[0] = UInt8(r & 0xff)
            b[1] = UInt8(r >> 8)
        case 4: // ACS Capability and Control (and the dword the SPT erratum uses)
            guard let acs = ext.first(where: { $0.id == PCI_EXT_CAP_ID_ACS }) else { return false }
            put(acs.offset + PCI_ACS_CAP, le32(UInt32(truncatingIfNeeded: rng.next())))
            if rng.below(2) == 0 { put(acs.offset + INTEL_SPT_ACS_CTRL, le32(UInt32(truncatingIfNeeded: rng.next()))) }
        default: // who the function is
            switch rng.below(4) {
            case 0:
                if let p = std.first(where: { $0.id == PCI_CAP_ID_EXP }) {
                    put(p.offset + PCI_EXP_FLAGS, [UInt8(rng.below(16)) << 4 | 2])
                } else { return false }
            case 1: put(PCI_HEADER_TYPE, [[0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x7f][rng.below(7)]])
            case 2: put(PCI_STATUS, [(whole.u8(PCI_STATUS) ?? 0) ^ UInt8(PCI_STATUS_CAP_LIST)])
            default: put(PCI_VENDOR_ID, [0x86, 0x80, 0x10, 0xa1])   // an Intel SPT PCH root port's ID
            }
        }
        return true
    }

    public static func check(_ input: [UInt8]) -> [String] {
        let readable = input.count >= 2 ? Int(UInt16(input[0]) | UInt16(input[1]) << 8) % (ConfigSpace.size + 1) : 0
        let body = Array(input.dropFirst(2).prefix(ConfigSpace.size))
        let c = ConfigSpace(bytes: body, readable: readable)
        let r = c.readable
        var problems: [String] = []
        let std = c.standardCapabilities(), ext = c.extendedCapabilities()
        for e in std.entries where e.offset < PCI_STD_HEADER_SIZEOF || e.offset + 2 > min(r, PCI_CFG_SPACE_SIZE) {
            problems.append("standard capability at 0x\(hex(e.offset, width: 3)) outside the \(r) readable bytes")
        }
        for e in ext.entries where e.offset < PCI_CFG_SPACE_SIZE || e.offset % 4 != 0 || e.offset + 4 > r {
            problems.append("extended capability at 0x\(hex(e.offset, width: 3)) outside the \(r) readable bytes")
        }
        if let p = c.pciExpress, p.offset + 4 > r { problems.append("PCI Express capability registers past the readable bytes") }
        if case let .present(acs) = c.acs {
            let end = acs.offset + (acs.layout == .standard ? PCI_ACS_CTRL + 2 : INTEL_SPT_ACS_CTRL + 4)
            if end > r { problems.append("ACS at 0x\(hex(acs.offset, width: 3)) decoded from registers up to 0x\(hex(end, width: 3)), \(r) readable") }
        }
        // Bytes past the readable size are not there: other values there must change nothing.
        let other = ConfigSpace(bytes: Array(c.bytes.prefix(r)) + [UInt8](repeating: 0x00, count: ConfigSpace.size - r), readable: r)
        if decoded(other) != decoded(c) { problems.append("a value past the \(r) readable bytes changes the decoding") }
        return problems
    }

    /// Everything decoded from `c`, as text.
    static func decoded(_ c: ConfigSpace) -> String {
        let function = PCIFunction(address: PCIAddress(bus: 0, devfn: 0), config: c)
        let scan = ScanReport(PCIReadResult(source: .dump(path: "input"), functions: [function], warnings: [], namesLoaded: false),
                              libpciVersion: "-")
        return "\(c.standardCapabilities()) \(c.extendedCapabilities()) \(String(describing: c.pciExpress)) \(c.acs) "
            + "\(String(describing: c.busNumbers)) \(String(describing: c.subsystem)) \(c.isAllOnes)\n" + scan.text() + scan.json()
    }
}
