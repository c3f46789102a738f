import PCIConfig
import Registry
import SafeFiles

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

    /// The firmware tables of every entry `forEntry` accepts, as files for `acsquirk generate`:
    /// `<directory>/acs-table-<vvvv>-<family>.h` (see `suggestedFileName`; a `-2`, `-3`, ... suffix
    /// when two entries share vendor and family), each the `renderC()` fragment inside an include
    /// guard. Sorted by path; deterministic. Entries `forEntry` rejects produce no file.
    public static func files(for entries: [LoadedEntry], directory: String = "acs-tables") -> [(path: String, text: String)] {
        var used: [String: Int] = [:]
        var out: [(path: String, text: String)] = []
        let tables = entries.compactMap { forEntry($0.entry) }
            .sorted { ($0.suggestedFileName, $0.renderC()) < ($1.suggestedFileName, $1.renderC()) }
        for t in tables {
            var name = t.suggestedFileName
            let n = used[name, default: 0] + 1
            used[name] = n
            if n > 1 { name = String(name.dropLast(2)) + "-\(n).h" }
            let guardName = cIdentifierPart(name).uppercased()
            let text = "#ifndef \(guardName)\n#define \(guardName)\n\n" + t.renderC() + "\n#endif /* \(guardName) */\n"
            out.append((path: directory.isEmpty ? name : directory + "/" + name, text: text))
        }
        return out
    }

    /// Whether `path` (relative to an output folder) names a table `files(for:directory:)` writes
    /// with the default directory: `acs-tables/acs-table-*.h`. Such a file that a run of
    /// `generate` or `run` did not write is an earlier run's (stale) and is removed.
    public static func isOutput(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "acs-tables" && parts[1].hasPrefix("acs-table-") && parts[1].hasSuffix(".h")
    }

    /// A file name for the entry's table: `acs-table-<vvvv>-<family>.h`, e.g.
    /// `acs-table-8086-82576.h` (lower case, other characters as `-`; the family cut so that the
    /// name, with a `-N` suffix, stays within `FileName.maxBytes`).
    public var suggestedFileName: String {
        switch subject {
        case let .family(vendor, _, family, _):
            "acs-table-\(hex(vendor, width: 4))-"
                + FileName.fitting(cIdentifierPart(family).replacingUnderscores(), bytes: FileName.maxBytes - 24) + ".h"
        case let .function(f):
            "acs-table-\(f.address.description.map { $0.isHexDigit ? String($0) : "-" }.joined()).h"
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
