import PCIConfig
import SafeFiles

extension StaticACSTable {
    /// Firmware tables as files: `<directory>/acs-table-<vvvv>-<family>.h` (see `suggestedFileName`;
    /// a `-2`, `-3`, ... suffix when two tables share vendor and family), each the `renderC()`
    /// fragment inside an include guard. Sorted by path; deterministic.
    public static func files(_ tables: [StaticACSTable], directory: String = "acs-tables") -> [(path: String, text: String)] {
        var used: [String: Int] = [:]
        var out: [(path: String, text: String)] = []
        let tables = tables.sorted { ($0.suggestedFileName, $0.renderC()) < ($1.suggestedFileName, $1.renderC()) }
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

    /// Whether `path` (relative to an output folder) names a table `files(_:directory:)` writes
    /// with the default directory: `acs-tables/acs-table-*.h`. Such a file that a run of
    /// `generate` or `run` did not write is an earlier run's (stale) and is removed.
    public static func isOutput(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "acs-tables" && parts[1].hasPrefix("acs-table-") && parts[1].hasSuffix(".h")
    }

    /// A file name for the table: `acs-table-<vvvv>-<family>.h` for a family, e.g.
    /// `acs-table-8086-82576.h` (lower case, other characters as `-`; the family cut so that the
    /// name, with a `-N` suffix, stays within `FileName.maxBytes`), `acs-table-<bdf>.h` for a function.
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
