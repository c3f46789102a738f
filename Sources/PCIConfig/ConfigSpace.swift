/// The bytes of one function's configuration space and how many of them could really be read.
///
/// `bytes` always holds 4096 entries; bytes past `readable` are 0xff, as libpci returns them.
/// `readable` is 0, 64 (non-root sysfs read, `lspci -x` dump), 128 (CardBus, non-root),
/// 256 (conventional PCI, `lspci -xxx` dump) or 4096 (PCI Express extended config space,
/// PCIe Base Specification §7.2.2). Reads are little-endian; a read that is not fully inside
/// `readable` returns `nil` so callers can tell "not there" from "cannot see".
public struct ConfigSpace: Hashable, Sendable {
    public static let size = PCI_CFG_SPACE_EXP_SIZE
    /// Offset where PCI Express extended configuration space starts.
    public static let extendedStart = PCI_CFG_SPACE_SIZE

    public private(set) var bytes: [UInt8]
    /// How many bytes from offset 0 were readable.
    public let readable: Int

    /// Creates a config space from `bytes` (at most 4096; padded with 0xff).
    /// `readable` defaults to `bytes.count` and is clamped to 0...4096.
    public init(bytes: [UInt8], readable: Int? = nil) {
        var b = Array(bytes.prefix(ConfigSpace.size))
        let r = min(max(readable ?? b.count, 0), ConfigSpace.size)
        if b.count < ConfigSpace.size { b += Array(repeating: 0xff, count: ConfigSpace.size - b.count) }
        self.bytes = b
        self.readable = r
    }

    /// Whether `count` bytes at `offset` are readable.
    public func canRead(_ offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset + count <= readable
    }

    public func u8(_ offset: Int) -> UInt8? {
        canRead(offset, count: 1) ? bytes[offset] : nil
    }

    public func u16(_ offset: Int) -> UInt16? {
        guard canRead(offset, count: 2) else { return nil }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public func u32(_ offset: Int) -> UInt32? {
        guard canRead(offset, count: 4) else { return nil }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// Writes a little-endian value into a copy of the bytes (for building static tables and
    /// test inputs; never used on a live device). Extends `readable` only if `growReadable`.
    public mutating func set32(_ offset: Int, _ value: UInt32) {
        precondition(offset >= 0 && offset + 4 <= ConfigSpace.size && offset % 4 == 0)
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    public mutating func set16(_ offset: Int, _ value: UInt16) {
        precondition(offset >= 0 && offset + 2 <= ConfigSpace.size && offset % 2 == 0)
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    public mutating func set8(_ offset: Int, _ value: UInt8) {
        precondition(offset >= 0 && offset < ConfigSpace.size)
        bytes[offset] = value
    }

    /// Returns a copy whose readable size is `readable` (bytes beyond become 0xff).
    public func truncated(to readable: Int) -> ConfigSpace {
        let r = min(readable, self.readable)
        return ConfigSpace(bytes: Array(bytes.prefix(r)), readable: r)
    }

    // MARK: Type 0/1 header fields (PCI Local Bus Specification 3.0 §6.2, PCI-to-PCI Bridge Architecture §3.2)

    public var vendorID: UInt16? { u16(PCI_VENDOR_ID) }
    public var deviceID: UInt16? { u16(PCI_DEVICE_ID) }
    public var command: UInt16? { u16(PCI_COMMAND) }
    public var status: UInt16? { u16(PCI_STATUS) }
    public var revisionID: UInt8? { u8(PCI_REVISION_ID) }
    /// 24-bit class code: base class << 16 | sub class << 8 | programming interface.
    public var classCode: UInt32? {
        guard let pi = u8(PCI_CLASS_PROG), let cls = u16(PCI_CLASS_DEVICE) else { return nil }
        return UInt32(cls) << 8 | UInt32(pi)
    }
    /// Base class << 8 | sub class (what the kernel calls `class >> 8`).
    public var classID: UInt16? { classCode.map { UInt16($0 >> 8) } }
    public var headerType: HeaderType? { u8(PCI_HEADER_TYPE).map(HeaderType.init(rawValue:)) }

    /// Subsystem vendor and device (type 0 at 0x2c; CardBus at 0x40). `nil` for bridges.
    public var subsystem: (vendor: UInt16, device: UInt16)? {
        switch headerType?.layout {
        case .normal?:
            guard let v = u16(PCI_SUBSYSTEM_VENDOR_ID), let d = u16(PCI_SUBSYSTEM_ID) else { return nil }
            return (v, d)
        case .cardBus?:
            guard let v = u16(PCI_CB_SUBSYSTEM_VENDOR_ID), let d = u16(PCI_CB_SUBSYSTEM_ID) else { return nil }
            return (v, d)
        default: return nil
        }
    }

    /// Primary, secondary and subordinate bus numbers of a PCI-to-PCI (0x18-0x1a) or CardBus
    /// bridge (0x18-0x1a of the CardBus header); `nil` for other header layouts.
    public var busNumbers: BridgeBusNumbers? {
        guard let ht = headerType, ht.layout == .bridge || ht.layout == .cardBus,
              let p = u8(PCI_PRIMARY_BUS), let s = u8(PCI_SECONDARY_BUS), let sub = u8(PCI_SUBORDINATE_BUS) else { return nil }
        return BridgeBusNumbers(primary: p, secondary: s, subordinate: sub)
    }

    /// Whether all-ones IDs say that no function answered ("Illegal Vendor ID").
    public var isAllOnes: Bool { vendorID == 0xffff }
}

/// Header Type register (offset 0x0e): layout in bits 6:0, multifunction in bit 7.
public struct HeaderType: Hashable, Sendable {
    public enum Layout: Hashable, Sendable {
        /// Type 0: endpoint.
        case normal
        /// Type 1: PCI-to-PCI bridge.
        case bridge
        /// Type 2: CardBus bridge.
        case cardBus
        case other(UInt8)
    }

    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public var layout: Layout {
        switch rawValue & PCI_HEADER_TYPE_MASK {
        case PCI_HEADER_TYPE_NORMAL: .normal
        case PCI_HEADER_TYPE_BRIDGE: .bridge
        case PCI_HEADER_TYPE_CARDBUS: .cardBus
        case let v: .other(v)
        }
    }

    /// Bit 7: the device has more than one function.
    public var multifunction: Bool { rawValue & PCI_HEADER_TYPE_MFD != 0 }

    /// `0`, `1`, `2` as lspci's header type numbers.
    public var layoutNumber: UInt8 { rawValue & PCI_HEADER_TYPE_MASK }
}

/// The bus numbers a bridge forwards: secondary...subordinate (inclusive) lie below it.
public struct BridgeBusNumbers: Hashable, Sendable, Codable {
    public var primary: UInt8
    public var secondary: UInt8
    public var subordinate: UInt8

    public init(primary: UInt8, secondary: UInt8, subordinate: UInt8) {
        self.primary = primary
        self.secondary = secondary
        self.subordinate = subordinate
    }

    /// Whether `bus` is in `secondary...subordinate`.
    public func contains(_ bus: UInt8) -> Bool { secondary <= bus && bus <= subordinate && secondary != 0 }
}
