import CPCIShim
import PCIConfig

/// lspci's device filter: `-s [[[[domain]:]bus]:][slot][.[func]]` and
/// `-d [vendor]:[device][:class[:progif]]`, with lspci's exact syntax, meaning and error messages.
///
/// The text is parsed by libpci itself (`pci_filter_parse_slot`, `pci_filter_parse_id`,
/// pciutils lib/filter.c): hex fields, an empty field or `*` for "any", `x` digits as wildcards
/// inside the class (`-d ::06xx`), bounds checked per field (domain 0x7fffffff, bus 0xff, slot
/// 0x1f, function 7, IDs 0xffff, prog-if 0xff), at most 63 characters. Repeated options add to the
/// same filter, as in lspci (`-s 00: -s .1` selects every function 1 on bus 0). Matching mirrors
/// `pci_filter_match` field by field; nil means "any".
public struct PCIFilter: Hashable, Sendable {
    public var domain: UInt32?
    public var bus: UInt8?
    /// Device number ("slot" in lspci's words).
    public var slot: UInt8?
    public var function: UInt8?
    public var vendor: UInt16?
    public var device: UInt16?
    /// Base class and sub class (config offset 0x0a) and which of its bits are compared.
    public var deviceClass: UInt16?
    public var deviceClassMask: UInt32 = ~0
    /// Programming interface (config offset 0x09).
    public var progIf: UInt8?

    /// The filter that selects every function.
    public init() {}

    /// `-s` and `-d` options as given, in order (the `-s` ones first, as each option only sets
    /// its own fields).
    /// - Throws: `PCIFilterError` naming the option and libpci's reason.
    public init(slots: [String] = [], ids: [String] = []) throws(PCIFilterError) {
        for s in slots { try parse(slot: s) }
        for d in ids { try parse(id: d) }
    }

    /// Whether the filter selects every function.
    public var selectsAll: Bool { self == PCIFilter() }

    /// Adds an `-s` expression, `[[[[domain]:]bus]:][slot][.[func]]`.
    public mutating func parse(slot text: String) throws(PCIFilterError) {
        try parse(text, isID: false)
    }

    /// Adds a `-d` expression, `[vendor]:[device][:class[:progif]]`.
    public mutating func parse(id text: String) throws(PCIFilterError) {
        try parse(text, isID: true)
    }

    private mutating func parse(_ text: String, isID: Bool) throws(PCIFilterError) {
        func any<T: BinaryInteger>(_ v: T?) -> Int64 { v.map { Int64($0) } ?? -1 }
        var fields: [Int64] = [any(domain), any(bus), any(slot), any(function), any(vendor), any(device),
                               any(deviceClass), Int64(deviceClassMask), any(progIf)]
        let option = isID ? "-d" : "-s"
        // A NUL would end the C string early: libpci would parse less than was typed.
        if text.utf8.contains(0) { throw PCIFilterError(option: option, text: text, message: "Invalid character") }
        let err = fields.withUnsafeMutableBufferPointer { buf in
            buf.withMemoryRebound(to: CLongLong.self) { cpcishim_filter_parse(isID ? 1 : 0, $0.baseAddress, text) }
        }
        if let err { throw PCIFilterError(option: option, text: text, message: String(cString: err)) }
        func value<T: FixedWidthInteger>(_ v: Int64) -> T? { v < 0 ? nil : T(truncatingIfNeeded: v) }
        domain = value(fields[0])
        bus = value(fields[1])
        slot = value(fields[2])
        function = value(fields[3])
        vendor = value(fields[4])
        device = value(fields[5])
        deviceClass = value(fields[6])
        deviceClassMask = UInt32(truncatingIfNeeded: fields[7])
        progIf = value(fields[8])
    }

    /// `pci_filter_match`: every given field equals the function's; the class compares only the
    /// bits of `deviceClassMask`. IDs, class and prog-if are read from config space as libpci
    /// reads them (all-ones where the bytes are missing).
    public func matches(_ f: PCIFunction) -> Bool {
        let a = f.address
        if let domain, domain != a.domain { return false }
        if let bus, bus != a.bus { return false }
        if let slot, slot != a.device { return false }
        if let function, function != a.function { return false }
        if let vendor, vendor != f.vendorID { return false }
        if let device, device != f.deviceID { return false }
        if let deviceClass, (UInt32(deviceClass) ^ UInt32(f.config.classID ?? 0xffff)) & deviceClassMask != 0 { return false }
        if let progIf, progIf != f.config.u8(PCI_CLASS_PROG) ?? 0xff { return false }
        return true
    }
}

/// A filter lspci would refuse: `-s: Invalid slot number`, as lspci words it.
public struct PCIFilterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `-s` or `-d`.
    public var option: String
    /// The expression as given.
    public var text: String
    /// libpci's reason (`Invalid slot number`, `Too many fields`, `At least two fields must be given`, ...).
    public var message: String

    public var description: String { "\(option) '\(text)': \(message)" }
}
