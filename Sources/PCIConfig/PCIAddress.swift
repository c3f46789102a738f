/// A PCI function address: domain (segment), bus, device and function, the "BDF".
///
/// Printed as lspci prints it with `-D`: `dddd:bb:dd.f`, lower-case hex, for example `0000:00:1c.0`
/// (domains above 0xffff print with as many digits as they need). Parsed from that form or the short
/// `bb:dd.f` form (domain 0). Device is at most 0x1f and function at most 7
/// (PCI Local Bus Specification 3.0 §6.1; PCIe Base Specification §2.2.6.2 "Requester ID").
public struct PCIAddress: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// PCI segment (domain). lspci accepts up to 5 hex digits in dumps.
    public var domain: UInt32
    public var bus: UInt8
    /// Device number, 0...0x1f.
    public var device: UInt8
    /// Function number, 0...7.
    public var function: UInt8

    /// Creates an address; returns `nil` when device > 0x1f or function > 7.
    public init?(domain: UInt32 = 0, bus: UInt8, device: UInt8, function: UInt8) {
        guard device <= 0x1f, function <= 7 else { return nil }
        self.domain = domain
        self.bus = bus
        self.device = device
        self.function = function
    }

    /// Creates an address from a domain, a bus and an 8-bit devfn (`device << 3 | function`).
    public init(domain: UInt32 = 0, bus: UInt8, devfn: UInt8) {
        self.domain = domain
        self.bus = bus
        self.device = devfn >> 3
        self.function = devfn & 7
    }

    /// `device << 3 | function`, as the kernel's `pdev->devfn`.
    public var devfn: UInt8 { device << 3 | function }

    /// The 16-bit Requester ID (bus << 8 | devfn), PCIe Base Specification §2.2.6.2.
    public var requesterID: UInt16 { UInt16(bus) << 8 | UInt16(devfn) }

    /// `dddd:bb:dd.f`.
    public var description: String {
        hex(domain, width: 4) + ":" + hex(bus, width: 2) + ":" + hex(device, width: 2) + "." + String(function)
    }

    /// `bb:dd.f` without the domain (as lspci prints without `-D`).
    public var shortDescription: String {
        hex(bus, width: 2) + ":" + hex(device, width: 2) + "." + String(function)
    }

    /// Parses `dddd:bb:dd.f` or `bb:dd.f` (hex; function decimal 0-7).
    /// Returns `nil` for anything else, including device > 0x1f and function > 7.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let domainPart: Substring?
        let busPart: Substring
        let rest: Substring
        switch parts.count {
        case 2: domainPart = nil; busPart = Substring(parts[0]); rest = Substring(parts[1])
        case 3: domainPart = Substring(parts[0]); busPart = Substring(parts[1]); rest = Substring(parts[2])
        default: return nil
        }
        let devFn = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard devFn.count == 2 else { return nil }
        func hexValue(_ s: Substring, maxDigits: Int) -> UInt32? {
            guard !s.isEmpty, s.count <= maxDigits, s.allSatisfy(\.isHexDigit) else { return nil }
            return UInt32(s, radix: 16)
        }
        var domain: UInt32 = 0
        if let domainPart {
            guard let d = hexValue(domainPart, maxDigits: 5) else { return nil }
            domain = d
        }
        guard let bus = hexValue(busPart, maxDigits: 2),
              let dev = hexValue(Substring(devFn[0]), maxDigits: 2),
              devFn[1].count == 1, let fn = devFn[1].first?.wholeNumberValue
        else { return nil }
        self.init(domain: domain, bus: UInt8(bus), device: UInt8(truncatingIfNeeded: dev),
                  function: UInt8(fn))
        if dev > 0x1f { return nil }
    }

    public static func < (a: PCIAddress, b: PCIAddress) -> Bool {
        (a.domain, a.bus, a.device, a.function) < (b.domain, b.bus, b.device, b.function)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let a = PCIAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a PCI address: \(text)"))
        }
        self = a
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Lower-case hex with zero padding to `width` digits.
@inlinable
public func hex(_ value: some BinaryInteger, width: Int) -> String {
    let s = String(value, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// Parses a 16-bit hex ID written as `8086`, `0x8086` or `0X8086` (1 to 4 hex digits).
public func parseHexID(_ text: some StringProtocol) -> UInt16? {
    var s = Substring(text)
    if s.hasPrefix("0x") || s.hasPrefix("0X") { s = s.dropFirst(2) }
    guard !s.isEmpty, s.count <= 4, s.allSatisfy(\.isHexDigit) else { return nil }
    return UInt16(s, radix: 16)
}

/// A PCI vendor and device ID pair as people write it on command lines and in `lspci -n`:
/// `VVVV:DDDD`, each side 1-4 hex digits with an optional `0x` prefix (`8086:10d3`,
/// `0x8086:0x10D3`). Printed as `vvvv:dddd` (lower case, four digits each).
public struct PCIDeviceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// PCI vendor ID (config space offset 0x00).
    public var vendor: UInt16
    /// PCI device ID (config space offset 0x02).
    public var device: UInt16

    public init(vendor: UInt16, device: UInt16) {
        self.vendor = vendor
        self.device = device
    }

    /// Parses `VVVV:DDDD` (see the type); nil for anything else: no colon, more than one colon,
    /// an empty side, a side that is not 1-4 hex digits (after an optional `0x`), surrounding blanks.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let v = parseHexID(parts[0]), let d = parseHexID(parts[1]) else { return nil }
        self.init(vendor: v, device: d)
    }

    /// `vvvv:dddd`.
    public var description: String { "\(hex(vendor, width: 4)):\(hex(device, width: 4))" }

    public static func < (a: PCIDeviceID, b: PCIDeviceID) -> Bool { (a.vendor, a.device) < (b.vendor, b.device) }
}
