import PCIConfig
import Registry
import StaticACS

extension StaticACSTable {
    /// The firmware alternative to a kernel quirk for a registry entry: an ACS extended capability
    /// with no controls advertised and Control 0, next pointer 0, no placement.
    ///
    /// Returns a table for entries that claim no peer-to-peer between the functions of a
    /// multifunction device (`isolation.kind == .noPeerToPeer`, `appliesTo.multifunction` not
    /// `false`), the case `pci_quirk_mf_endpoint_acs` covers in the kernel, when the claim is
    /// unconditional (no `requires`, port type endpoint or any) and names device IDs (not every ID
    /// of a vendor); `nil` for every other entry (ports-isolated root/downstream ports and register errata need a real ACS capability
    /// whose controls work, not a static table). Firmware places the bytes in each function's
    /// extended config space and links them at the end of its list (see `renderC()`'s comment).
    public static func forEntry(_ entry: QuirkEntry) -> StaticACSTable? {
        guard entry.isolation.kind == .noPeerToPeer, entry.appliesTo.multifunction != false else { return nil }
        // Only an unconditional claim about named endpoints can be shipped in a device's own
        // config space: not a claim about every ID of a vendor (Intel RCiEPs) and not one that
        // holds only on some platforms (AMD southbridge: only with an IVRS table).
        guard entry.appliesTo.requires.isEmpty,
              entry.appliesTo.portType == .any || entry.appliesTo.portType == .endpoint,
              !entry.devices.contains(where: { $0 == .range(first: 0x0000, last: 0xffff) })
        else { return nil }
        let devices: [ClosedRange<UInt16>] = entry.devices.compactMap {
            switch $0 {
            case let .id(d): d...d
            case let .range(a, b): a <= b ? a...b : nil
            }
        }
        // An empty request cannot fail validation.
        guard let request = try? ACSTableRequest() else { return nil }
        var evidence: [String] = []
        if let e = entry.evidence {
            evidence.append("Vendor statement: " + e.statement)
            if !e.confirmedBy.isEmpty { evidence.append("Confirmed by: " + e.confirmedBy.joined(separator: ", ")) }
        }
        return StaticACSTable(subject: .family(vendor: entry.vendor, vendorName: entry.vendorName,
                                               family: entry.family, devices: devices),
                              request: request, placement: nil, evidence: evidence)
    }

    /// The firmware tables of every entry `forEntry` accepts, as files for `acsquirk generate`
    /// (`StaticACSTable.files(_:directory:)`). Entries `forEntry` rejects produce no file.
    public static func files(for entries: [LoadedEntry], directory: String = "acs-tables") -> [(path: String, text: String)] {
        files(entries.compactMap { forEntry($0.entry) }, directory: directory)
    }
}
