import Foundation
import PCIConfig

/// Registry entries for a kernel tree's `pci_dev_acs_enabled[]` (drivers/pci/quirks.c), with the
/// conditions and ID lists that live inside the quirk functions, read from the source itself:
/// PCIe type checks (`PCI_EXP_TYPE_*`), `dev->multifunction`, `pci_is_root_bus`, the ACPI `IVRS`
/// lookup, `dev->acs_cap`, `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`, `switch`/`case` ID ranges, ID arrays,
/// the flags passed to `pci_acs_ctrl_enabled()` and masks applied to `acs_flags`, and whether an
/// unlisted ID falls through to `return false` (a final "not isolated").
///
/// Rows are grouped into families by a built-in table (names and first mainline releases from
/// the kernel history, see `KernelImporter.families`); rows the table does not know are grouped
/// by vendor, function and table comment, so a newer kernel still imports completely.
public enum KernelImporter {
    /// The result of an import.
    public struct Result: Sendable {
        /// Entries in table order of their first row.
        public var entries: [QuirkEntry]
        /// Kernel version from the tree's Makefile, e.g. `6.12.117`.
        public var kernelVersion: String
        /// Number of table rows read.
        public var rowCount: Int
    }

    /// One row as read, resolved (for tests and `show`).
    public struct ResolvedRow: Hashable, Sendable {
        public var row: Int
        public var vendor: UInt16
        /// The macro used, or nil for a literal number.
        public var vendorMacro: String?
        /// nil = PCI_ANY_ID.
        public var device: UInt16?
        public var function: String
        /// Line in quirks.c.
        public var line: Int
    }

    /// Reads `tree`/drivers/pci/quirks.c and include/linux/pci_ids.h.
    /// - Throws: `KernelImportError` naming file and line.
    public static func rows(kernelTree tree: String) throws -> [ResolvedRow] {
        try load(tree).1
    }

    /// Imports the whole table of the kernel tree at `tree`.
    /// - Throws: `KernelImportError` naming file and line when something is missing or unexpected.
    public static func importTree(_ tree: String) throws -> Result {
        let (src, rows, version) = try load(tree)
        let entries = try entries(src, rows, version: version)
        // Two families must not land in one file.
        var paths: [String: String] = [:]
        for e in entries {
            let p = RegistryWriter.path(for: e, root: "")
            if let other = paths[p] {
                throw KernelImportError(path: src.path, "families '\(other)' and '\(e.family)' would both be written to \(p)")
            }
            paths[p] = e.family
        }
        return Result(entries: entries, kernelVersion: version, rowCount: rows.count)
    }

    /// Imports the table from the text of drivers/pci/quirks.c, without file access (KernelOutput
    /// reads a tree, and its own edits of it, this way). `macros`: the `#define NAME VALUE` values
    /// of include/linux/pci_ids.h the rows may use; `version` stands in for the kernel version in
    /// `kernel.since` of rows the built-in family table does not know. Entries are not checked for
    /// file-name collisions (nothing is written).
    /// - Throws: `KernelImportError` naming `path` and the line.
    public static func importSource(_ quirks: String, path: String, macros: [String: UInt16],
                                    version: String) throws -> Result {
        let (src, rows) = try parse(quirks, path: path, macros: macros, idsPath: "include/linux/pci_ids.h")
        return Result(entries: try entries(src, rows, version: version), kernelVersion: version, rowCount: rows.count)
    }

    /// The rows of quirks.c text as `importSource` reads them (vendor and device resolved, lines).
    public static func rows(source quirks: String, path: String, macros: [String: UInt16]) throws -> [ResolvedRow] {
        try parse(quirks, path: path, macros: macros, idsPath: "include/linux/pci_ids.h").1
    }

    /// Entries for the parsed table (families grouped, function bodies analyzed).
    static func entries(_ src: QuirksSource, _ rows: [ResolvedRow], version: String) throws -> [QuirkEntry] {
        var analyses: [String: FunctionFacts] = [:]
        func facts(_ f: String, line: Int) throws -> FunctionFacts {
            if let a = analyses[f] { return a }
            guard src.definitions[f]?.isFunction == true else {
                throw KernelImportError(path: src.path, line: line, "quirk function '\(f)' is not defined in this file")
            }
            let a = FunctionFacts.analyze(f, in: src)
            analyses[f] = a
            return a
        }

        // Group rows into families.
        struct Group { var spec: FamilySpec?; var rows: [(QuirksSource.Row, ResolvedRow)]; var key: String }
        var groups: [Group] = []
        for (raw, r) in zip(src.rows, rows) {
            if let spec = families.first(where: { $0.matches(r) }) {
                if let gi = groups.firstIndex(where: { $0.spec?.id == spec.id }) {
                    groups[gi].rows.append((raw, r))
                } else {
                    groups.append(Group(spec: spec, rows: [(raw, r)], key: spec.id))
                }
                continue
            }
            // Unknown row: continue the previous unknown group if same vendor and function, no new
            // comment and not a PCI_ANY_ID row; else start one.
            if let last = groups.last, last.spec == nil, let lr = last.rows.last?.1,
               lr.vendor == r.vendor, lr.function == r.function, lr.device != nil, r.device != nil,
               raw.leadingComments.isEmpty {
                groups[groups.count - 1].rows.append((raw, r))
            } else {
                groups.append(Group(spec: nil, rows: [(raw, r)], key: "auto-\(r.row)"))
            }
        }

        var entries: [QuirkEntry] = []
        for g in groups {
            let first = g.rows[0].1
            let fn = first.function
            guard g.rows.allSatisfy({ $0.1.function == fn && $0.1.vendor == first.vendor }) else {
                throw KernelImportError(path: src.path, line: g.rows[0].0.line, "family \(g.key) mixes vendors or functions")
            }
            let f = try facts(fn, line: g.rows[0].0.line)
            let vendorName = g.spec?.vendorName ?? fallbackVendorName(first)
            let family = g.spec?.family ?? fallbackFamily(g.rows.map(\.0), function: fn, vendorName: vendorName)
            let anyRow = g.rows.contains { $0.1.device == nil }
            var devices: [DeviceIDs]
            var unlisted = KernelStatus.UnlistedAnswer.pass
            if anyRow {
                guard g.rows.count == 1 else {
                    throw KernelImportError(path: src.path, line: g.rows[0].0.line, "a PCI_ANY_ID row must be its own family")
                }
                devices = f.ids.isEmpty ? [.range(first: 0x0000, last: 0xffff)] : f.ids
                if f.unlistedNotIsolated { unlisted = .notIsolated }
            } else {
                devices = g.rows.compactMap { $0.1.device.map(DeviceIDs.id) }
            }
            var notes: [String] = []
            let tableComments = g.rows.flatMap { $0.0.leadingComments + ($0.0.trailingComment.map { [$0] } ?? []) }
            for c in tableComments where !c.isEmpty {
                notes.append("Table comment: \(c)")
            }
            if anyRow {
                if !f.ids.isEmpty { notes.append("Device IDs from \(f.idSource); the table row is PCI_ANY_ID.") }
                else { notes.append("The table row is PCI_ANY_ID and \(fn)() checks no device ID.") }
                if unlisted == .notIsolated {
                    notes.append("Other \(vendorName) devices that \(fn)() accepts get 0 (not isolated), which ends the table walk.")
                }
            }
            if f.conditionalOnACPI { notes.append("The function body is compiled only with CONFIG_ACPI; otherwise it answers -ENODEV.") }
            if let n = g.spec?.note { notes.append(n) }
            if let h = g.spec?.history { notes.append(h) }
            let since: String?
            if let spec = g.spec {
                if let s = spec.since {
                    since = s
                } else {
                    // Every known family without a recorded release is in vanilla v6.1
                    // (drivers/pci/quirks.c of v6.1 has all rows of the 6.12 `pci_dev_acs_enabled[]`
                    // but 63-65, 85-91, 93-102 and 132, and those families have their release recorded).
                    since = "<=v6.1"
                    notes.append("First mainline release not recorded; vanilla v6.1 has it (Debian's stable changelogs list every later ACS-quirk addition).")
                }
            } else if let r = KernelRelease("v" + version), r.sublevel == nil {
                // A mainline tree (or release candidate) bounds the first release from above.
                since = "<=" + r.mainline
                notes.append("First mainline release not recorded; \(r.mainline) has it.")
            } else {
                // A stable tree can carry back-ports from later mainline releases: its version
                // says nothing about the first mainline release (lint reports upstream-incomplete).
                since = nil
                notes.append("First mainline release not recorded; present in stable \(version), which may carry back-ports from later releases.")
            }
            let requires = f.requires
            let applies = AppliesTo(portType: f.portType, multifunction: f.multifunction, classID: f.classID,
                                    requires: requires, registerLayout: f.erratum ? .intelSPTDword : .standard)
            let kind: Isolation.Kind = f.erratum ? .acsErratum : f.portsIsolated ? .portsIsolated : .noPeerToPeer
            let table = g.rows.map { KernelStatus.TableRow(row: $0.1.row, device: $0.1.device, vendorMacro: $0.1.vendorMacro) }
            let evidence = Evidence(statement: f.statement.isEmpty ? "(no comment in drivers/pci/quirks.c)" : f.statement,
                                    confirmedBy: [], references: f.references, date: nil)
            entries.append(QuirkEntry(
                vendor: first.vendor, vendorName: vendorName, family: family, devices: devices, appliesTo: applies,
                isolation: Isolation(kind: kind, acsEquivalent: f.equivalent), evidence: evidence,
                kernel: KernelStatus(status: .upstream, function: fn, since: since, link: nil, table: table,
                                     unlisted: unlisted, note: notes.isEmpty ? nil : notes.joined(separator: "\n"))))
        }
        return entries
    }

    /// Writes `entries` under `out` (`<out>/<vendor>/<family>.yaml`, atomically), returning the paths.
    public static func write(_ entries: [QuirkEntry], to out: String) throws -> [String] {
        var written: [String] = []
        for e in entries {
            let p = RegistryWriter.path(for: e, root: out)
            try RegistryWriter.writeAtomically(RegistryWriter.yaml(e), to: p)
            written.append(p)
        }
        return written
    }

    // MARK: Reading the tree

    static func load(_ tree: String) throws -> (QuirksSource, [ResolvedRow], String) {
        let quirksPath = tree + "/drivers/pci/quirks.c"
        let idsPath = tree + "/include/linux/pci_ids.h"
        guard let quirks = try? String(contentsOfFile: quirksPath, encoding: .utf8) else {
            throw KernelImportError(path: quirksPath, "cannot read the file (is \(tree) a kernel tree?)")
        }
        guard let idsText = try? String(contentsOfFile: idsPath, encoding: .utf8) else {
            throw KernelImportError(path: idsPath, "cannot read the file")
        }
        let macros = PCIIDsHeader.parse(idsText)
        if macros.isEmpty { throw KernelImportError(path: idsPath, "no '#define NAME 0x....' lines found") }
        let (src, rows) = try parse(quirks, path: quirksPath, macros: macros, idsPath: idsPath)
        return (src, rows, try version(tree))
    }

    /// Parses quirks.c text and resolves its rows with `macros`.
    static func parse(_ quirks: String, path quirksPath: String, macros: [String: UInt16],
                      idsPath: String) throws -> (QuirksSource, [ResolvedRow]) {
        let src = try QuirksSource.parse(quirks, path: quirksPath)
        var rows: [ResolvedRow] = []
        for r in src.rows {
            func value(_ t: String, what: String) throws -> UInt16 {
                if let v = CTokenizer.integer(t) {
                    guard v >= 0 && v <= 0xffff else {
                        throw KernelImportError(path: quirksPath, line: r.line, "\(what) \(t) is not a 16-bit value")
                    }
                    return UInt16(v)
                }
                guard let v = macros[t] else {
                    throw KernelImportError(path: quirksPath, line: r.line, "\(what) macro \(t) is not defined in \(idsPath)")
                }
                return v
            }
            let vendor = try value(r.vendor, what: "vendor")
            let isMacro = CTokenizer.integer(r.vendor) == nil
            let device: UInt16? = r.device == "PCI_ANY_ID" ? nil : try value(r.device, what: "device")
            rows.append(ResolvedRow(row: r.index, vendor: vendor, vendorMacro: isMacro ? r.vendor : nil, device: device,
                                    function: r.function, line: r.line))
        }
        return (src, rows)
    }

    /// `VERSION.PATCHLEVEL.SUBLEVEL` from the tree's Makefile (SUBLEVEL 0 omitted, EXTRAVERSION kept).
    static func version(_ tree: String) throws -> String {
        let path = tree + "/Makefile"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KernelImportError(path: path, "cannot read the file")
        }
        var v: [String: String] = [:]
        for line in text.split(separator: "\n").prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { v[parts[0]] = parts[1] }
        }
        guard let major = v["VERSION"], let minor = v["PATCHLEVEL"], !major.isEmpty, !minor.isEmpty else {
            throw KernelImportError(path: path, "VERSION and PATCHLEVEL not found")
        }
        var s = "\(major).\(minor)"
        if let sub = v["SUBLEVEL"], !sub.isEmpty, sub != "0" { s += ".\(sub)" }
        if let extra = v["EXTRAVERSION"], !extra.isEmpty { s += extra }
        return s
    }

    static func fallbackVendorName(_ r: ResolvedRow) -> String {
        if let known = vendorNames[r.vendor] { return known }
        if let m = r.vendorMacro, m.hasPrefix("PCI_VENDOR_ID_") {
            return m.dropFirst("PCI_VENDOR_ID_".count).split(separator: "_").map { $0.prefix(1) + $0.dropFirst().lowercased() }
                .joined(separator: " ")
        }
        return "Vendor \(hex(r.vendor, width: 4))"
    }

    /// The family of rows the built-in table does not know: their table comment, without a
    /// leading vendor name (acsquirk's patches write `/* Intel 82574L */` for vendor-name `Intel`,
    /// family `82574L`, so a merged patch imports under its own family again).
    static func fallbackFamily(_ rows: [QuirksSource.Row], function: String, vendorName: String) -> String {
        if let c = rows[0].leadingComments.last ?? rows[0].trailingComment, !c.isEmpty {
            let prefix = vendorName.lowercased() + " "
            if c.lowercased().hasPrefix(prefix) {
                let rest = c.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                if !rest.isEmpty { return rest }
            }
            return c
        }
        return "\(function) row \(rows[0].index)"
    }
}

/// What a quirk function (and the helpers and ID arrays it uses) says, read from its tokens.
struct FunctionFacts {
    var portType: AppliesTo.PortTypeCondition = .any
    /// `true`: `!dev->multifunction` answers -ENOTTY/-ENODEV (multifunction only); `false`:
    /// `dev->multifunction` does (single-function only); nil: not checked.
    var multifunction: Bool?
    /// `(dev->class >> 8) != 0xCCSS` answers -ENOTTY: the class code it requires.
    var classID: UInt16?
    var requires: [AppliesTo.Requirement] = []
    var ids: [DeviceIDs] = []
    var idSource = ""
    var unlistedNotIsolated = false
    var erratum = false
    var portsIsolated = false
    var equivalent: ACSFlags = []
    var conditionalOnACPI = false
    var statement = ""
    var references: [Evidence.Reference] = []

    static let flagMacros: [String: ACSFlags] = [
        "PCI_ACS_SV": .sv, "PCI_ACS_TB": .tb, "PCI_ACS_RR": .rr, "PCI_ACS_CR": .cr, "PCI_ACS_UF": .uf,
        "PCI_ACS_EC": .ec, "PCI_ACS_DT": .dt,
    ]

    static func analyze(_ name: String, in src: QuirksSource) -> FunctionFacts {
        var f = FunctionFacts()
        // The function and the pci_quirk_* helpers/arrays it uses, transitively (breadth first).
        var order = [name]
        var k = 0
        while k < order.count {
            for t in src.definitions[order[k]]?.body ?? [] where t.kind == .identifier && t.text.hasPrefix("pci_quirk_")
                && src.definitions[t.text] != nil && !order.contains(t.text) {
                order.append(t.text)
            }
            k += 1
        }
        let defs = order.compactMap { src.definitions[$0] }
        let all = defs.flatMap(\.body)
        let code = all.filter { $0.kind != .comment && $0.kind != .directive }
        let idents = Set(code.filter { $0.kind == .identifier }.map(\.text))

        // Conditions.
        let root = idents.contains("PCI_EXP_TYPE_ROOT_PORT"), down = idents.contains("PCI_EXP_TYPE_DOWNSTREAM")
        if idents.contains("PCI_EXP_TYPE_RC_END") { f.portType = .rciep }
        else if root && down { f.portType = .rootOrDownstreamPort }
        else if root { f.portType = .rootPort }
        else if down { f.portType = .downstreamPort }
        else if idents.contains("PCI_EXP_TYPE_ENDPOINT") || idents.contains("PCI_EXP_TYPE_LEG_END") { f.portType = .endpoint }
        if let m = code.indices.first(where: { code[$0].kind == .identifier && code[$0].text == "multifunction" }) {
            // `!dev->multifunction` (or `!pdev->multifunction`): multifunction devices only.
            f.multifunction = m >= 3 && code[m - 1].text == "->" && code[m - 3].text == "!"
        }
        for c in code.indices where code[c].kind == .identifier && code[c].text == "class" && c > 0 && code[c - 1].text == "->" {
            // `(dev->class >> 8) != 0xCCSS`
            var j = c + 1
            while j < min(code.count, c + 6), code[j].text != "!=" { j += 1 }
            if j + 1 < code.count, code[j].text == "!=", let v = CTokenizer.integer(code[j + 1].text), v >= 0, v <= 0xffff,
               code[c + 1].text == ">>" {
                f.classID = UInt16(v)
            }
        }
        if code.contains(where: { $0.kind == .string && $0.text == "\"IVRS\"" }) { f.requires.append(.amdIVRS) }
        if idents.contains("PCI_DEV_FLAGS_ACS_ENABLED_QUIRK") { f.requires.append(.intelPCHRCBAWorkaround) }
        if idents.contains("acs_cap") { f.requires.append(.acsCapability) }
        if idents.contains("pci_is_root_bus") { f.requires.append(.rootBus) }
        f.conditionalOnACPI = all.contains { $0.kind == .directive && $0.text.contains("CONFIG_ACPI") }

        // Device IDs: case labels, then arrays.
        for d in defs {
            let c = d.body.filter { $0.kind != .comment && $0.kind != .directive }
            var i = 0
            var found = false
            while i < c.count {
                if c[i].text == "case", i + 2 < c.count, let a = CTokenizer.integer(c[i + 1].text) {
                    if c[i + 2].text == "...", i + 3 < c.count, let b = CTokenizer.integer(c[i + 3].text) {
                        f.ids.append(.range(first: UInt16(truncatingIfNeeded: a), last: UInt16(truncatingIfNeeded: b)))
                        i += 4
                    } else {
                        f.ids.append(.id(UInt16(truncatingIfNeeded: a)))
                        i += 2
                    }
                    found = true
                    continue
                }
                i += 1
            }
            if !d.isFunction {
                for t in c where t.kind == .number { if let v = CTokenizer.integer(t.text) { f.ids.append(.id(UInt16(truncatingIfNeeded: v))) } }
                if !c.isEmpty { found = true }
                if found { f.idSource = "\(d.name)[]" }
            } else if found {
                f.idSource = "the switch in \(d.name)()"
            }
            if found && d.isFunction && d.name == name {
                // `switch (...) { ... }` then `return false;` / `return 0;`: a final "not isolated".
                if let s = c.firstIndex(where: { $0.text == "switch" }) {
                    var j = s
                    while j < c.count, c[j].text != "{" { j += 1 }
                    var depth = 0
                    while j < c.count {
                        if c[j].text == "{" { depth += 1 } else if c[j].text == "}" { depth -= 1; if depth == 0 { break } }
                        j += 1
                    }
                    if j + 2 < c.count, c[j + 1].text == "return", c[j + 2].text == "false" || c[j + 2].text == "0" {
                        f.unlistedNotIsolated = true
                    }
                }
            }
        }

        // Reported controls: pci_acs_ctrl_enabled(acs_flags, X) and masks on acs_flags.
        var reported: ACSFlags = []
        var mask: ACSFlags = .all
        var cleared: ACSFlags = []
        var i = 0
        while i < code.count {
            if code[i].text == "pci_acs_ctrl_enabled", i + 1 < code.count, code[i + 1].text == "(" {
                var j = i + 2, depth = 1, comma = false
                var arg2: [CToken] = []
                while j < code.count, depth > 0 {
                    let t = code[j]
                    if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1; if depth == 0 { break } }
                    if depth == 1 && t.text == "," { comma = true } else if comma { arg2.append(t) }
                    j += 1
                }
                for t in arg2 where t.kind == .identifier {
                    if let fl = flagMacros[t.text] { reported.formUnion(fl) } else { f.erratum = true }
                }
                i = j
                continue
            }
            if code[i].text == "acs_flags", i + 1 < code.count, code[i + 1].text == "&=" {
                var j = i + 2
                let negate = j < code.count && code[j].text == "~"
                var fl: ACSFlags = []
                while j < code.count, code[j].text != ";" {
                    if let x = flagMacros[code[j].text] { fl.formUnion(x) }
                    j += 1
                }
                if negate { cleared.formUnion(fl) } else { mask.formIntersection(fl) }
                i = j
                continue
            }
            i += 1
        }
        // A request bit is satisfied when it is masked away, cleared, or reported:
        // equivalent = (ALL - mask) ∪ cleared ∪ reported.
        f.equivalent = ACSFlags.all.subtracting(mask).union(cleared).union(reported)
        if f.erratum { f.equivalent = ACSFlags.linuxRequired }

        // The statement: the comment before the function and before each helper, and the
        // multi-line comments inside the function itself.
        var paragraphs: [String] = []
        var refs: [Evidence.Reference] = []
        func take(_ comment: String) {
            var para: [String] = []
            func flush() {
                if !para.isEmpty {
                    // Kernel comments put two spaces after a full stop; one is kept.
                    paragraphs.append(para.joined(separator: " ").split(separator: " ").joined(separator: " "))
                }
                para = []
            }
            for line in QuirksSource.clean(comment) {
                let l = line.trimmingCharacters(in: .whitespaces)
                if l.isEmpty { flush(); continue }
                if let m = l.range(of: #"^(\[[0-9]+\] *)?https?://[^ ]+$"#, options: .regularExpression) {
                    let s = String(l[m])
                    let label = s.hasPrefix("[") ? String(s[..<s.firstIndex(of: "]")!]) + "]" : nil
                    let url = String(s[s.range(of: "http")!.lowerBound...])
                    let title = label.map { "drivers/pci/quirks.c, \(name)() comment, reference \($0)" }
                        ?? "drivers/pci/quirks.c, \(name)() comment"
                    refs.append(Evidence.Reference(title: title, url: url))
                    flush()
                    continue
                }
                if l.range(of: #"^(0x[0-9a-fA-F]{4}|[0-9a-fA-F]{4}:[0-9a-fA-F]{4})\b"#, options: .regularExpression) != nil {
                    flush()
                    continue
                }
                para.append(l)
            }
            flush()
        }
        for d in defs {
            if let c = d.leadingComment { take(c) }
            if d.name == name {
                for t in d.body where t.kind == .comment && t.endLine > t.line { take(t.text) }
            }
        }
        f.statement = paragraphs.joined(separator: "\n")
        f.references = refs
        f.portsIsolated = f.portType == .rootPort || f.portType == .downstreamPort || f.portType == .rootOrDownstreamPort
            || f.statement.lowercased().contains("root port")
        return f
    }
}

/// A known family of table rows: names and first mainline release (the upstream commit that added
/// its rows to `pci_dev_acs_enabled[]`, drivers/pci/quirks.c).
struct FamilySpec: Sendable {
    var id: String
    var vendor: UInt16
    var function: String
    /// Device IDs of its rows; nil = the PCI_ANY_ID row.
    var devices: Set<UInt16>?
    var vendorName: String
    var family: String
    /// First mainline release, when recorded (with its source in `history`); nil: not
    /// established, and the importer writes the upper bound `<=v6.1`.
    var since: String?
    var note: String?
    /// Where the family came from: upstream commit and subject, and the source of `since`.
    var history: String?

    func matches(_ r: KernelImporter.ResolvedRow) -> Bool {
        guard r.vendor == vendor, r.function == function else { return false }
        if let devices { return r.device.map(devices.contains) ?? false }
        return r.device == nil
    }
}

extension KernelImporter {
    /// Display names of the vendors in the table.
    static let vendorNames: [UInt16: String] = [
        0x1002: "AMD", 0x1022: "AMD", 0x1924: "Solarflare", 0x8086: "Intel", 0x17cb: "Qualcomm", 0x1dbf: "HXT",
        0x19a2: "Emulex", 0x10df: "Emulex", 0x177d: "Cavium", 0x10e8: "APM", 0x1def: "Ampere", 0x14e4: "Broadcom",
        0x0014: "Loongson", 0x1c36: "Amazon Annapurna Labs", 0x1d17: "Zhaoxin", 0x1957: "NXP", 0x8088: "Wangxun",
    ]

    static let mf = "pci_quirk_mf_endpoint_acs"

    /// The families of the 6.1/6.12 table. `since` is set only where the first mainline release is
    /// recorded (the upstream commit's mainline release, or its own mainline tag as a distribution's
    /// back-port names it); `history` says where from. Otherwise the import writes the upper bound
    /// `<=v6.1` (drivers/pci/quirks.c of vanilla v6.1 has every family without a recorded release) and
    /// says so in `note`. Never a stable tree's version: stable trees carry back-ports.
    static let families: [FamilySpec] = [
        FamilySpec(id: "amd-sb", vendor: 0x1002, function: "pci_quirk_amd_sb_acs",
                   devices: [0x4385, 0x439c, 0x4383, 0x439d, 0x4384, 0x4399],
                   vendorName: "AMD", family: "SBx00 southbridge"),
        FamilySpec(id: "amd-fch", vendor: 0x1022, function: "pci_quirk_amd_sb_acs", devices: [0x780f, 0x7809],
                   vendorName: "AMD", family: "FCH"),
        FamilySpec(id: "solarflare", vendor: 0x1924, function: mf, devices: [0x0903, 0x0923, 0x0a03],
                   vendorName: "Solarflare", family: "NICs",
                   history: "Rows 0x0903 and 0x0923 came with \"PCI: Add ACS quirk for Solarflare SFC9120 & SFC9140\" (Alex Williamson, 2014; subject as listed by the RHEL 7 and openSUSE kernel changelogs that back-ported it). Its first mainline release is not established here."),
        FamilySpec(id: "intel-10g", vendor: 0x8086, function: mf,
                   devices: [0x10c6, 0x10db, 0x10dd, 0x10e1, 0x10f1, 0x10f7, 0x10f8, 0x10f9, 0x10fa, 0x10fb, 0x10fc,
                             0x1507, 0x1514, 0x151c, 0x1529, 0x152a, 0x154d, 0x154f, 0x1551, 0x1558],
                   vendorName: "Intel", family: "82598/82599 10GbE",
                   history: "The first of these rows came with \"PCI: Add ACS quirk for Intel 10G NICs\" (Alex Williamson, 2014; subject as listed by the RHEL 7 and openSUSE kernel changelogs that back-ported it). Its first mainline release is not established here."),
        FamilySpec(id: "intel-82580", vendor: 0x8086, function: mf,
                   devices: [0x1509, 0x150e, 0x150f, 0x1510, 0x1511, 0x1516, 0x1527], vendorName: "Intel", family: "82580"),
        FamilySpec(id: "intel-82576", vendor: 0x8086, function: mf,
                   devices: [0x10c9, 0x10e6, 0x10e7, 0x10e8, 0x150a, 0x150d, 0x1518, 0x1526], vendorName: "Intel", family: "82576"),
        FamilySpec(id: "intel-82575", vendor: 0x8086, function: mf, devices: [0x10a7, 0x10a9, 0x10d6],
                   vendorName: "Intel", family: "82575"),
        FamilySpec(id: "intel-i350", vendor: 0x8086, function: mf, devices: [0x1521, 0x1522, 0x1523, 0x1524],
                   vendorName: "Intel", family: "I350"),
        FamilySpec(id: "intel-82571", vendor: 0x8086, function: mf, devices: [0x105e, 0x105f, 0x1060, 0x10d9],
                   vendorName: "Intel", family: "82571"),
        FamilySpec(id: "intel-i219", vendor: 0x8086, function: mf, devices: [0x15b7, 0x15b8],
                   vendorName: "Intel", family: "I219"),
        FamilySpec(id: "intel-rciep", vendor: 0x8086, function: "pci_quirk_rciep_acs", devices: nil,
                   vendorName: "Intel", family: "RCiEP", since: "v5.7",
                   history: "Upstream commit 3247bd10a450 (\"PCI: Add ACS quirk for Intel Root Complex Integrated Endpoints\"), v5.7 (linux-acs.md §6.3; commit cited by Bjorn Helgaas on linux-pci in 2020)."),
        FamilySpec(id: "qcom-qdf2xxx", vendor: 0x17cb, function: "pci_quirk_qcom_rp_acs", devices: [0x0400, 0x0401],
                   vendorName: "Qualcomm", family: "QDF2xxx root ports"),
        FamilySpec(id: "qcom-sa8775p", vendor: 0x17cb, function: "pci_quirk_qcom_rp_acs", devices: [0x0115],
                   vendorName: "Qualcomm", family: "SA8775P root port", since: "v6.12",
                   history: "\"PCI: Add ACS quirk for Qualcomm SA8775P\", v6.12 (linux-acs.md §6.3; stable 6.11.4, 6.1.113)."),
        FamilySpec(id: "qcom-hamoa", vendor: 0x17cb, function: "pci_quirk_qcom_rp_acs", devices: [0x0111],
                   vendorName: "Qualcomm", family: "Hamoa root port", since: "v7.0",
                   note: "Back-ported to stable 6.1.165 and 6.12.75.",
                   history: "\"PCI: Add ACS quirk for Qualcomm Hamoa & Glymur\", v7.0 (linux-acs.md §6.3: pci/virtualization merged for v7.0)."),
        FamilySpec(id: "qcom-glymur", vendor: 0x17cb, function: "pci_quirk_qcom_rp_acs", devices: [0x0120],
                   vendorName: "Qualcomm", family: "Glymur root port", since: "v7.0",
                   note: "Back-ported to stable 6.1.165 and 6.12.75.",
                   history: "\"PCI: Add ACS quirk for Qualcomm Hamoa & Glymur\", v7.0 (linux-acs.md §6.3: pci/virtualization merged for v7.0)."),
        FamilySpec(id: "hxt-sd4800", vendor: 0x1dbf, function: "pci_quirk_qcom_rp_acs", devices: [0x0401],
                   vendorName: "HXT", family: "SD4800 root ports",
                   history: "Upstream commit 01926f6b321b (\"PCI: Add ACS quirk for HXT SD4800\"), cited by Bjorn Helgaas on linux-pci in 2020. Its first mainline release is not established here."),
        FamilySpec(id: "intel-pch", vendor: 0x8086, function: "pci_quirk_intel_pch_acs", devices: nil,
                   vendorName: "Intel", family: "PCH root ports",
                   note: "Answers isolated only when pci_quirk_enable_intel_pch_acs() found RCBA enabled in the LPC bridge (device 31 function 0, register 0xf0) and set PCI_DEV_FLAGS_ACS_ENABLED_QUIRK; otherwise 0 (not isolated), final."),
        FamilySpec(id: "intel-spt-pch", vendor: 0x8086, function: "pci_quirk_intel_spt_pch_acs", devices: nil,
                   vendorName: "Intel", family: "SPT PCH root ports", since: "v4.7",
                   note: "Answers from the real ACS Control dword at capability + 8 (erratum layout); acs-equivalent lists what pci_quirk_enable_intel_spt_pch_acs() turns on where the capability has it.",
                   history: "Upstream commit 1bf2bf229b64 (\"PCI: Work around Intel Sunrise Point PCH incorrect ACS capability\", Alex Williamson): Patch-mainline v4.7-rc1 in the openSUSE back-port (bsc#1030057). v4.7 is the release of the function and its first (Sunrise Point) IDs; when each later ID range was added is not recorded."),
        FamilySpec(id: "emulex-be3r", vendor: 0x19a2, function: mf, devices: [0x0710], vendorName: "Emulex", family: "BE3-R",
                   note: "Vendor 0x19a2 (ServerEngines) is written as a literal; pci_ids.h has no macro for it.",
                   history: "Added by \"PCI: Add ACS quirk for Emulex NICs\" (subject as listed by an openSUSE kernel changelog that back-ported it, bug 917089). Its first mainline release is not established here."),
        FamilySpec(id: "emulex-skyhawk", vendor: 0x10df, function: mf, devices: [0x0720], vendorName: "Emulex",
                   family: "Skyhawk-R", note: "Vendor 0x10df is written as a literal in the table.",
                   history: "Added by \"PCI: Add ACS quirk for Emulex NICs\" (subject as listed by an openSUSE kernel changelog that back-ported it, bug 917089). Its first mainline release is not established here."),
        FamilySpec(id: "cavium-thunderx", vendor: 0x177d, function: "pci_quirk_cavium_acs", devices: nil,
                   vendorName: "Cavium", family: "ThunderX root ports",
                   note: "ThunderX2 (0xaf84) and ThunderX3 (0xb884) were added in v5.5."),
        FamilySpec(id: "cavium-mf", vendor: 0x177d, function: mf, devices: [0xa026, 0xa059, 0xa060],
                   vendorName: "Cavium", family: "multifunction", since: "v5.15",
                   history: "\"PCI: Add ACS quirks for Cavium multi-function devices\", v5.15 (linux-acs.md §6.3; stable 5.14.7)."),
        FamilySpec(id: "apm-xgene", vendor: 0x10e8, function: "pci_quirk_xgene_acs", devices: [0xe004],
                   vendorName: "APM", family: "X-Gene",
                   history: "\"PCI: Add ACS quirk for APM X-Gene devices\" (Feng Kan), back-ported by openSUSE (bsc#1120058). Its first mainline release is not established here."),
        FamilySpec(id: "ampere", vendor: 0x1def, function: "pci_quirk_xgene_acs",
                   devices: [0xe005, 0xe006, 0xe007, 0xe008, 0xe009, 0xe00a, 0xe00b, 0xe00c],
                   vendorName: "Ampere", family: "root ports",
                   history: "\"PCI: Add ACS quirk for Ampere root ports\" (Feng Kan), back-ported by openSUSE (bsc#1120058) and to stable 4.14.185. Its first mainline release is not established here."),
        FamilySpec(id: "brcm-bcm57414", vendor: 0x14e4, function: mf, devices: [0x16d7], vendorName: "Broadcom",
                   family: "BCM57414", since: "v5.13",
                   history: "Upstream commit db2f77e2bd99 (\"PCI: Add ACS quirk for Broadcom BCM57414 NIC\"), v5.13 (linux-acs.md §6.3; stable 5.10.46)."),
        FamilySpec(id: "brcm-bcm5760x", vendor: 0x14e4, function: mf,
                   devices: [0x1750, 0x1751, 0x1752, 0x1760, 0x1761, 0x1762, 0x1763], vendorName: "Broadcom",
                   family: "BCM5760X", since: "v6.11",
                   history: "Upstream commit 524e057b2d66 (\"PCI: Add ACS quirk for Broadcom BCM5760X NIC\"), v6.11 (linux-acs.md §6.3; stable 6.1.122)."),
        FamilySpec(id: "brcm-paxb", vendor: 0x14e4, function: "pci_quirk_brcm_acs", devices: [0xd714],
                   vendorName: "Broadcom", family: "iProc PAXB root ports",
                   history: "Upstream commit 46b2c32df7a4 (\"PCI: Add ACS quirk for iProc PAXB\", Abhinav Ratna), posted to linux-pci on 2019-08-20 and back-ported to stable 4.14.185 in June 2020. Its first mainline release is not established here."),
        FamilySpec(id: "loongson", vendor: 0x0014, function: "pci_quirk_loongson_acs",
                   devices: [0x3c09, 0x3c19, 0x3c29, 0x7a09, 0x7a19, 0x7a29, 0x7a39, 0x7a49, 0x7a59, 0x7a69],
                   vendorName: "Loongson", family: "root ports", since: "v6.16",
                   note: "Back-ported to stable 6.1.142 and 6.12.35.",
                   history: "\"PCI: Add ACS quirk for Loongson PCIe\", v6.16 (linux-acs.md §6.3)."),
        FamilySpec(id: "amazon-al", vendor: 0x1c36, function: "pci_quirk_al_acs", devices: [0x0031],
                   vendorName: "Amazon Annapurna Labs", family: "root ports", since: "v5.5",
                   history: "Upstream commit 76e67e9e0f0f (\"PCI: Add ACS quirk for Amazon Annapurna Labs root ports\"), v5.5 (linux-acs.md §6.3)."),
        FamilySpec(id: "zhaoxin-mf", vendor: 0x1d17, function: mf, devices: [0x3038, 0x3104, 0x9083],
                   vendorName: "Zhaoxin", family: "multifunction", since: "v5.7",
                   history: "Upstream commit 0325837c51cb (\"PCI: Add ACS quirk for Zhaoxin multi-function devices\"), v5.7 (linux-acs.md §6.3; stable 5.6.9)."),
        FamilySpec(id: "nxp-lx2", vendor: 0x1957, function: "pci_quirk_nxp_rp_acs",
                   devices: [0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0, 0x8d92, 0x8d91, 0x8db1, 0x8d93,
                             0x8d89, 0x8da9, 0x8d8b, 0x8d88, 0x8da8, 0x8d8a, 0x8d98, 0x8db8, 0x8d9a, 0x8d99, 0x8db9, 0x8d9b],
                   vendorName: "NXP", family: "LX2xx0/LX2xx2", since: "v5.15",
                   history: "\"PCI: Add ACS quirks for NXP LX2xx0 and LX2xx2 platforms\", v5.15 (linux-acs.md §6.3; stable 5.14.7)."),
        FamilySpec(id: "zhaoxin-ports", vendor: 0x1d17, function: "pci_quirk_zhaoxin_pcie_ports_acs", devices: nil,
                   vendorName: "Zhaoxin", family: "ports", since: "v5.7",
                   note: "The range 0x0723-0x0752 was added in v6.8 (stable 6.1.74).",
                   history: "Upstream commit 299bd044a6f3 (\"PCI: Add ACS quirk for Zhaoxin Root/Downstream Ports\"), v5.7 (linux-acs.md §6.3; stable 5.6.9)."),
        FamilySpec(id: "wangxun", vendor: 0x8088, function: "pci_quirk_wangxun_nic_acs", devices: nil,
                   vendorName: "Wangxun", family: "NICs", since: "v6.3",
                   note: "The FF5xxx IDs 0x5010, 0x5025, 0x5040, 0x5110, 0x5125 and 0x5140 were added in v6.13 (stable 6.1.120, 6.12.5).",
                   history: "Upstream commit a2b9b123ccac (\"PCI: Add ACS quirk for Wangxun NICs\"), v6.3 (linux-acs.md §6.3: applied to pci/virtualization for v6.3; stable 6.1.18)."),
    ]
}
