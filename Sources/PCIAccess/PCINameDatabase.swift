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
        let name = (try? lookupLocked(0x1 | 0x20000, Int32(vendor), 0)).flatMap { $0.isEmpty ? nil : $0 }
        vendorCache[vendor] = name
        return name
    }

    /// The device's name in pci.ids, or `nil` when it is not listed.
    public func deviceName(vendor: UInt16, device: UInt16) -> String? {
        lock.lock()
        defer { lock.unlock() }
        // PCI_LOOKUP_DEVICE (2) | PCI_LOOKUP_NO_NUMBERS.
        return (try? lookupLocked(0x2 | 0x20000, Int32(vendor), Int32(device))).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Vendor, device and class names as `lspci -mm` prints them (`Device 1234:5678` where
    /// pci.ids has no name), or `nil` when pci.ids cannot be loaded.
    /// - Throws: `PCIAccessError` for a corrupt pci.ids (libpci's `Parse error at FILE, line N`).
    public func names(of c: ConfigSpace) throws(PCIAccessError) -> PCINames? {
        lock.lock()
        defer { lock.unlock() }
        let v = Int32(c.vendorID ?? 0xffff), d = Int32(c.deviceID ?? 0xffff)
        let cls = Int32(c.classID ?? 0xffff)
        do throws(PCIAccessError) {
            // PCI_LOOKUP_VENDOR 1, DEVICE 2, CLASS 4.
            let names = PCINames(vendor: try lookupLocked(1, v, 0), device: try lookupLocked(2, v, d),
                                 class: try lookupLocked(4, cls, 0))
            return cpcishim_id_load_failed(access) != 0 ? nil : names
        } catch {
            throw PCIAccessError("error: corrupt PCI ID database: \(error.message) (names can be turned off)")
        }
    }

    /// What `lspci` prints after a function's address, `Class: Vendor Device`, with `numeric`
    /// counting lspci's `-n` options (`pci_access.numeric_ids`): 0 names (numbers where pci.ids
    /// has none), 1 numbers only (`0604: 8086:3408`), 2 or more both
    /// (`PCI bridge [0604]: Intel Corporation ... [8086:3408]`, PCI_LOOKUP_MIXED).
    /// - Throws: `PCIAccessError` for a corrupt pci.ids.
    public func lspciDescription(of c: ConfigSpace, numeric: Int) throws(PCIAccessError) -> String {
        lock.lock()
        defer { lock.unlock() }
        // PCI_LOOKUP_NUMERIC 0x10000, PCI_LOOKUP_MIXED 0x40000 (lib/names.c pci_lookup_name).
        let mode: Int32 = numeric >= 2 ? 0x40000 : numeric == 1 ? 0x10000 : 0
        let v = Int32(c.vendorID ?? 0xffff), d = Int32(c.deviceID ?? 0xffff)
        // PCI_LOOKUP_CLASS 4; PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE 3.
        return try lookupLocked(4 | mode, Int32(c.classID ?? 0xffff), 0) + ": " + lookupLocked(3 | mode, v, d)
    }

    /// Whether pci.ids could be loaded (known only after a first lookup; true before it).
    public var isAvailable: Bool {
        lock.lock()
        defer { lock.unlock() }
        _ = try? lookupLocked(0x1 | 0x20000, 0x8086, 0)
        return cpcishim_id_load_failed(access) == 0
    }

    /// One `pci_lookup_name`; the caller holds the lock. Empty when libpci answers NULL.
    /// - Throws: `PCIAccessError` with libpci's message (a corrupt pci.ids).
    private func lookupLocked(_ flags: Int32, _ a: Int32, _ b: Int32) throws(PCIAccessError) -> String {
        var out = [CChar](repeating: 0, count: 1024)
        var err = [CChar](repeating: 0, count: 512)
        guard cpcishim_lookup_name(access, &out, out.count, flags, a, b, 0, 0, &err, err.count) == 0 else {
            throw PCIAccessError(string(err))
        }
        return string(out)
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
