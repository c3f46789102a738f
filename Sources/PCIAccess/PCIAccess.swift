import CPCIShim
import PCIConfig

/// An error from libpci or from reading config space. `message` is libpci's own text where
/// libpci produced it (e.g. `dump: Malformed line`).
public struct PCIAccessError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where config space comes from.
public enum PCISource: Hashable, Sendable {
    /// The running system through libpci's linux-sysfs method. `sysfsPath` defaults to /sys/bus/pci.
    case live(sysfsPath: String? = nil)
    /// An `lspci -xxxx` (or `-x`, `-xxx`, `-vvvxxxx`) dump file, read with libpci's dump method.
    case dump(path: String)
}

/// Reads PCI functions through libpci.
///
/// Each call opens its own `pci_access` (libpci is not thread-safe per access), reads every
/// function's whole config space with `pci_read_block` and records how many bytes were readable,
/// and closes it. libpci's fatal errors come back as `PCIAccessError` (see cpcishim.h).
public enum PCIReader {
    /// Reads all functions from `source`, sorted by address. Names are looked up in pci.ids
    /// (or `idsPath`) when `names` is true, with udev's hwdb disabled for reproducibility.
    /// - Throws: `PCIAccessError` with libpci's message.
    public static func read(_ source: PCISource, names: Bool = true, idsPath: String? = nil) throws(PCIAccessError) -> [PCIFunction] {
        var err = [CChar](repeating: 0, count: 512)
        let method: Int32
        var dumpPath: String?
        var sysfsPath: String?
        switch source {
        case let .live(p): method = 0; sysfsPath = p
        case let .dump(p): method = 1; dumpPath = p
        }
        let access: OpaquePointer? = withOptionalCString(dumpPath) { dp in
            withOptionalCString(sysfsPath) { sp in
                withOptionalCString(idsPath) { ip in
                    cpcishim_open(method, dp, sp, ip, &err, err.count)
                }
            }
        }
        guard let access else { throw PCIAccessError(string(err)) }
        defer { cpcishim_close(access) }
        var result: [PCIFunction] = []
        var buf = [UInt8](repeating: 0xff, count: ConfigSpace.size)
        var dev = cpcishim_first(access)
        while let d = dev {
            var dom: Int32 = 0, bus: Int32 = 0, slot: Int32 = 0, fn: Int32 = 0
            cpcishim_location(d, &dom, &bus, &slot, &fn)
            let size = cpcishim_read_config(access, d, &buf, 0, &err, err.count)
            if size < 0 { throw PCIAccessError(string(err)) }
            let config = ConfigSpace(bytes: buf, readable: Int(size))
            // libpci accepts out-of-range device/function numbers from dumps; keep the bits we can.
            let address = PCIAddress(domain: UInt32(bitPattern: dom), bus: UInt8(truncatingIfNeeded: bus),
                                     devfn: UInt8(truncatingIfNeeded: (slot & 0x1f) << 3 | (fn & 7)))
            var n: PCINames?
            if names {
                n = try lookupNames(access, config)
            }
            result.append(PCIFunction(address: address, config: config, names: n))
            dev = cpcishim_next(d)
        }
        return result.sorted { $0.address < $1.address }
    }

    private static func lookupNames(_ a: OpaquePointer, _ c: ConfigSpace) throws(PCIAccessError) -> PCINames {
        let v = Int32(c.vendorID ?? 0xffff), d = Int32(c.deviceID ?? 0xffff)
        let cls = Int32(c.classID ?? 0xffff)
        // PCI_LOOKUP_VENDOR 1, DEVICE 2, CLASS 4.
        let vendor = try lookup(a, 1, v, 0)
        let device = try lookup(a, 2, v, d)
        let klass = try lookup(a, 4, cls, 0)
        return PCINames(vendor: vendor, device: device, class: klass)
    }

    private static func lookup(_ a: OpaquePointer, _ flags: Int32, _ x: Int32, _ y: Int32) throws(PCIAccessError) -> String {
        var out = [CChar](repeating: 0, count: 256)
        var err = [CChar](repeating: 0, count: 512)
        if cpcishim_lookup_name(a, &out, out.count, flags, x, y, 0, 0, &err, err.count) != 0 {
            throw PCIAccessError(string(err))
        }
        return string(out)
    }

    /// libpci's version, e.g. "3.9.0".
    public static var libpciVersion: String { String(cString: cpcishim_version()) }
}

func string(_ buf: [CChar]) -> String {
    buf.withUnsafeBufferPointer { p in
        String(decoding: UnsafeRawBufferPointer(start: p.baseAddress, count: strlenBounded(p)).bindMemory(to: UInt8.self), as: UTF8.self)
    }
}

private func strlenBounded(_ p: UnsafeBufferPointer<CChar>) -> Int {
    var n = 0
    while n < p.count, p[n] != 0 { n += 1 }
    return n
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    if let s { return s.withCString { body($0) } }
    return body(nil)
}
