import CPCIShim
import Foundation

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

extension PCINameDatabase {
    /// This database's vendor names as a lookup function (what Registry's `LintOptions` takes
    /// for the `unknown-vendor` rule: the registry itself never opens pci.ids).
    public var vendorLookup: @Sendable (UInt16) -> String? { { self.vendorName($0) } }

    /// The vendor names of libpci's own pci.ids (`shared`), or `nil` when it cannot be read, so
    /// that a linter skips the `unknown-vendor` rule rather than flagging every vendor.
    public static var standardVendorLookup: (@Sendable (UInt16) -> String?)? {
        guard let db = shared, db.isAvailable else { return nil }
        return db.vendorLookup
    }
}
