import PCIConfig

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

    /// A file name for the table: `acs-table-<vvvv>-<family>.h` for a family, e.g.
    /// `acs-table-8086-82576.h` (lower case, other characters as `-`), `acs-table-<bdf>.h` for a function.
    public var suggestedFileName: String {
        switch subject {
        case let .family(vendor, _, family, _):
            "acs-table-\(hex(vendor, width: 4))-\(cIdentifierPart(family).replacingUnderscores()).h"
        case let .function(f):
            "acs-table-\(f.address.description.map { $0.isHexDigit ? String($0) : "-" }.joined()).h"
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
