import CPCIShim
import Foundation
import PCIConfig

/// Vendor and device names from the pci.ids database, looked up through libpci
/// (`pci_lookup_name` with `PCI_LOOKUP_NO_NUMBERS`, udev's hwdb disabled).
///
/// The database is opened without scanning any bus: libpci's dump access method is pointed at
/// `/dev/null` (an empty dump holds no devices), so only the name list is used. libpci loads
/// pci.ids lazily on the first lookup; when it cannot be read, `isAvailable` turns false and every
/// lookup answers `nil`. Lookups are cached and serialized (one `pci_access` is not thread-safe).
public final class PCINameDatabase: @unchecked Sendable {
    private let access: OpaquePointer
    private let lock = NSLock()
    private var vendorCache: [UInt16: String?] = [:]

    /// Opens the name database at `idsPath` (default: libpci's compiled-in path,
    /// /usr/share/misc/pci.ids on Debian).
    /// - Throws: `PCIAccessError` when libpci cannot be initialised.
    public init(idsPath: String? = nil) throws(PCIAccessError) {
        var err = [CChar](repeating: 0, count: 512)
        let a: OpaquePointer? = "/dev/null".withCString { dump in
            if let idsPath {
                return idsPath.withCString { ids in cpcishim_open(1, dump, nil, ids, &err, err.count) }
            }
            return cpcishim_open(1, dump, nil, nil, &err, err.count)
        }
        guard let a else { throw PCIAccessError(string(err)) }
        access = a
    }

    deinit { cpcishim_close(access) }

    /// The process-wide database at libpci's default path (`nil` if libpci could not start).
    public static let shared: PCINameDatabase? = try? PCINameDatabase()

    /// The vendor's name in pci.ids (e.g. `Intel Corporation` for 0x8086), or `nil` when the
    /// vendor is not listed or the database is unavailable. Uses `shared`.
    public static func vendorName(_ vendor: UInt16) -> String? { shared?.vendorName(vendor) }

    /// The vendor's name in pci.ids, or `nil` when it is not listed (or pci.ids is unreadable).
    public func vendorName(_ vendor: UInt16) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = vendorCache[vendor] { return cached }
        // PCI_LOOKUP_VENDOR (1) | PCI_LOOKUP_NO_NUMBERS (0x20000): NULL (empty) when unknown.
        let name = lookupLocked(0x1 | 0x20000, Int32(vendor), 0)
        vendorCache[vendor] = name
        return name
    }

    /// The device's name in pci.ids, or `nil` when it is not listed.
    public func deviceName(vendor: UInt16, device: UInt16) -> String? {
        lock.lock()
        defer { lock.unlock() }
        // PCI_LOOKUP_DEVICE (2) | PCI_LOOKUP_NO_NUMBERS.
        return lookupLocked(0x2 | 0x20000, Int32(vendor), Int32(device))
    }

    /// Class, vendor and device names of `config` as `lspci -mm` prints them (numbers where
    /// pci.ids has no name), as `PCIReader` names the functions of a dump.
    /// - Throws: `PCIAccessError` when the database is corrupt.
    public func names(for config: ConfigSpace) throws(PCIAccessError) -> PCINames {
        lock.lock()
        defer { lock.unlock() }
        let v = Int32(config.vendorID ?? 0xffff), d = Int32(config.deviceID ?? 0xffff)
        let cls = Int32(config.classID ?? 0xffff)
        func lookup(_ flags: Int32, _ a: Int32, _ b: Int32) throws(PCIAccessError) -> String {
            var out = [CChar](repeating: 0, count: 1024)
            var err = [CChar](repeating: 0, count: 512)
            if cpcishim_lookup_name(access, &out, out.count, flags, a, b, 0, 0, &err, err.count) != 0 {
                throw PCIAccessError("error: corrupt PCI ID database: \(string(err)) (names can be turned off)")
            }
            return string(out)
        }
        // PCI_LOOKUP_VENDOR 1, DEVICE 2, CLASS 4.
        return PCINames(vendor: try lookup(1, v, 0), device: try lookup(2, v, d), class: try lookup(4, cls, 0))
    }

    /// Whether pci.ids could be loaded (known only after a first lookup; true before it).
    public var isAvailable: Bool {
        lock.lock()
        defer { lock.unlock() }
        _ = lookupLocked(0x1 | 0x20000, 0x8086, 0)
        return cpcishim_id_load_failed(access) == 0
    }

    private func lookupLocked(_ flags: Int32, _ a: Int32, _ b: Int32) -> String? {
        var out = [CChar](repeating: 0, count: 256)
        var err = [CChar](repeating: 0, count: 512)
        guard cpcishim_lookup_name(access, &out, out.count, flags, a, b, 0, 0, &err, err.count) == 0 else {
            return nil
        }
        let s = string(out)
        return s.isEmpty ? nil : s
    }
}
