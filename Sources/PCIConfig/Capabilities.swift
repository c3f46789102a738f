/// One entry of a capability list: its ID and where it starts.
public struct CapabilityEntry: Hashable, Sendable {
    /// Capability ID: 8-bit for the standard list (e.g. 0x10 PCI Express), 16-bit for the
    /// extended list (e.g. 0x000D ACS).
    public let id: UInt16
    /// Offset in config space.
    public let offset: Int
    /// Capability version (extended capabilities only, bits 19:16 of the header).
    public let version: UInt8

    public init(id: UInt16, offset: Int, version: UInt8 = 0) {
        self.id = id
        self.offset = offset
        self.version = version
    }
}

/// Something wrong in a capability list that ended the walk early. The walk never hangs or
/// crashes: a cycle, a pointer into the header, or a pointer past the readable size ends it.
public enum CapabilityAnomaly: Hashable, Sendable, CustomStringConvertible {
    /// A pointer pointed at an entry already visited.
    case cycle(list: CapabilityList, at: Int)
    /// A pointer into the header (standard: below 0x40; extended: below 0x100).
    case pointerIntoHeader(list: CapabilityList, pointer: Int, from: Int)
    /// A pointer past what could be read (or past 4096 / 256).
    case pointerPastReadable(list: CapabilityList, pointer: Int, readable: Int)
    /// More entries than the list can hold (48 standard, 960 extended, as the kernel bounds it).
    case tooManyEntries(list: CapabilityList)

    public var description: String {
        switch self {
        case let .cycle(list, at): "\(list) capability list loops back to 0x\(hex(at, width: 3))"
        case let .pointerIntoHeader(list, p, from):
            "\(list) capability at 0x\(hex(from, width: 3)) points into the header (0x\(hex(p, width: 3)))"
        case let .pointerPastReadable(list, p, r):
            "\(list) capability pointer 0x\(hex(p, width: 3)) is past the readable \(r) bytes"
        case let .tooManyEntries(list): "\(list) capability list has too many entries"
        }
    }
}

public enum CapabilityList: String, Hashable, Sendable, CustomStringConvertible {
    case standard
    case extended
    public var description: String { rawValue }
}

extension ConfigSpace {
    /// Walks the standard capability list (PCI Local Bus Specification 3.0 §6.7): starts at the
    /// pointer at 0x34 (0x14 for CardBus) when Status bit 4 is set, follows next pointers with
    /// the low two bits masked, and stops at 0. Bounded to 48 entries like the kernel's
    /// `__pci_find_next_cap_ttl`. Returns the entries found and any anomaly that ended the walk.
    /// An all-ones function (`isAllOnes`: no device answered) has no capabilities.
    public func standardCapabilities() -> (entries: [CapabilityEntry], anomaly: CapabilityAnomaly?) {
        guard !isAllOnes, let status = status, status & PCI_STATUS_CAP_LIST != 0, let ht = headerType else { return ([], nil) }
        let pointerOffset = ht.layout == .cardBus ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST
        guard let first = u8(pointerOffset) else { return ([], nil) }
        var entries: [CapabilityEntry] = []
        var seen = Set<Int>()
        var pos = Int(first & 0xfc)
        var from = pointerOffset
        let limit = min(readable, PCI_CFG_SPACE_SIZE)
        while pos != 0 {
            if pos < PCI_STD_HEADER_SIZEOF { return (entries, .pointerIntoHeader(list: .standard, pointer: pos, from: from)) }
            if pos + 2 > limit { return (entries, .pointerPastReadable(list: .standard, pointer: pos, readable: limit)) }
            if seen.contains(pos) { return (entries, .cycle(list: .standard, at: pos)) }
            if entries.count >= 48 { return (entries, .tooManyEntries(list: .standard)) }
            seen.insert(pos)
            guard let id = u8(pos + PCI_CAP_LIST_ID), let next = u8(pos + PCI_CAP_LIST_NEXT) else { break }
            if id == 0xff { break }
            entries.append(CapabilityEntry(id: UInt16(id), offset: pos))
            from = pos
            pos = Int(next & 0xfc)
        }
        return (entries, nil)
    }

    /// Walks the PCI Express extended capability list (PCIe Base Specification §7.6.3): starts at
    /// 0x100, stops at a header of 0 or 0xffffffff (as lspci and the kernel do), follows the
    /// 12-bit next pointer with the low two bits masked. Bounded to 960 entries (the kernel's
    /// `PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8`). Returns nothing when the extended
    /// space is not readable or the function reads all-ones. A list that points past the readable
    /// bytes ends with `.pointerPastReadable`: what follows is unknown, not absent.
    public func extendedCapabilities() -> (entries: [CapabilityEntry], anomaly: CapabilityAnomaly?) {
        guard readable > ConfigSpace.extendedStart, !isAllOnes else { return ([], nil) }
        var entries: [CapabilityEntry] = []
        var seen = Set<Int>()
        var pos = ConfigSpace.extendedStart
        var from = 0
        while true {
            if pos < ConfigSpace.extendedStart {
                return (entries, .pointerIntoHeader(list: .extended, pointer: pos, from: from))
            }
            if pos + 4 > readable { return (entries, .pointerPastReadable(list: .extended, pointer: pos, readable: readable)) }
            if seen.contains(pos) { return (entries, .cycle(list: .extended, at: pos)) }
            if entries.count >= 960 { return (entries, .tooManyEntries(list: .extended)) }
            seen.insert(pos)
            guard let header = u32(pos) else { break }
            if header == 0 || header == 0xffff_ffff { break }
            entries.append(CapabilityEntry(id: PCI_EXT_CAP_ID(header), offset: pos, version: PCI_EXT_CAP_VER(header)))
            let next = PCI_EXT_CAP_NEXT(header)
            if next == 0 { break }
            from = pos
            pos = next
        }
        return (entries, nil)
    }

    /// Offset of the first standard capability with `id`, or `nil`.
    public func findCapability(_ id: UInt16) -> Int? {
        standardCapabilities().entries.first { $0.id == id }?.offset
    }

    /// Offset of the first extended capability with `id`, or `nil`.
    public func findExtendedCapability(_ id: UInt16) -> Int? {
        extendedCapabilities().entries.first { $0.id == id }?.offset
    }
}
