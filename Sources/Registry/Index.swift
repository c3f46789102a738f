import PCIConfig

extension Registry {
    /// The kernel's `pci_dev_acs_enabled[]` rebuilt from upstream entries: one element per
    /// `kernel.table` row of every `upstream` entry, sorted by `row` (ties by path, then position).
    /// `device` nil is PCI_ANY_ID. Mirrors the table walk of `pci_dev_specific_acs_enabled()`
    /// (drivers/pci/quirks.c): a row matches when the vendor is equal and the device is equal or nil;
    /// the first matching row whose entry answers decides.
    public static func kernelTable(_ entries: [LoadedEntry]) -> [(row: Int, entry: LoadedEntry, device: UInt16?)] {
        var rows: [(row: Int, entry: LoadedEntry, device: UInt16?, order: Int)] = []
        for (i, e) in entries.enumerated() where e.entry.kernel.status == .upstream {
            for r in e.entry.kernel.table { rows.append((r.row, e, r.device, i)) }
        }
        rows.sort { ($0.row, $0.entry.path, $0.order) < ($1.row, $1.entry.path, $1.order) }
        return rows.map { ($0.row, $0.entry, $0.device) }
    }

    /// The same for entries without file locations.
    public static func kernelTable(_ entries: [QuirkEntry]) -> [(row: Int, entry: QuirkEntry, device: UInt16?)] {
        kernelTable(entries.map { LoadedEntry(entry: $0, path: "") }).map { ($0.row, $0.entry.entry, $0.device) }
    }
}

/// Entries by vendor:device: which registry entries cover a device ID (via `devices`, whatever
/// their conditions). Built once, looked up in O(entries of that vendor).
public struct RegistryIndex: Sendable {
    /// All entries, in the order given.
    public let entries: [LoadedEntry]
    private let byVendor: [UInt16: [Int]]

    public init(_ entries: [LoadedEntry]) {
        self.entries = entries
        var m: [UInt16: [Int]] = [:]
        for (i, e) in entries.enumerated() { m[e.entry.vendor, default: []].append(i) }
        byVendor = m
    }

    /// Entries for plain `QuirkEntry` values (path empty).
    public init(_ entries: [QuirkEntry]) { self.init(entries.map { LoadedEntry(entry: $0, path: "") }) }

    /// Entries whose `devices` contain `device` for `vendor`, in the order given to `init`.
    public func entries(vendor: UInt16, device: UInt16) -> [LoadedEntry] {
        (byVendor[vendor] ?? []).map { entries[$0] }.filter { $0.entry.covers(device: device) }
    }

    /// All entries of `vendor`.
    public func entries(vendor: UInt16) -> [LoadedEntry] { (byVendor[vendor] ?? []).map { entries[$0] } }

    public subscript(vendor: UInt16, device: UInt16) -> [LoadedEntry] { entries(vendor: vendor, device: device) }
}
