import Diagnostics
import Foundation
import PCIConfig
import SafeFiles

/// What the linter may consult beyond the files.
public struct LintOptions: Sendable {
    /// The pci.ids name of a vendor, or nil when unknown; the caller passes it in (PCIAccess's
    /// `PCINameDatabase.standardVendorLookup` and `vendorLookup` read pci.ids through libpci).
    /// `nil` closure: the `unknown-vendor` rule is skipped.
    public var vendorName: (@Sendable (UInt16) -> String?)?
    /// Today as `YYYY-MM-DD` (UTC) for the `future-date` rule; `nil` skips that rule.
    public var today: String?

    public init(vendorName: (@Sendable (UInt16) -> String?)?, today: String? = LintOptions.currentDate()) {
        self.vendorName = vendorName
        self.today = today
    }

    /// The current UTC date as `YYYY-MM-DD`.
    public static func currentDate() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    }

}

/// The result of linting paths.
public struct LintResult: Sendable {
    /// Registry files looked at.
    public var files: [String]
    /// Entries that loaded (files without loader errors).
    public var entries: [LoadedEntry]
    /// Every finding, sorted by path, line, column.
    public var diagnostics: [Diagnostic]
    /// Whether some input could not be read at all (lint exits 2).
    public var unreadable: Bool { diagnostics.contains { $0.rule == LintRules.unreadable.id } }
}

extension Registry {
    /// `quirks/<slug(vendor-name)>/<slug(family)>.yaml`: lower case ASCII letters and digits, every
    /// other run of characters one `-`, none at either end. `"SP 10GbE"` -> `sp-10gbe`.
    public static func slug(_ s: String) -> String {
        var out = ""
        var dash = false
        for u in s.unicodeScalars {
            if u.isASCII, u.properties.isAlphabetic || ("0"..."9").contains(u) {
                if dash && !out.isEmpty { out += "-" }
                dash = false
                out.unicodeScalars.append(contentsOf: String(u).lowercased().unicodeScalars)
            } else {
                dash = true
            }
        }
        return out
    }

    /// The longest suffix a registry file's name carries after the family's slug: `.dump.txt`,
    /// the config-space record `acsquirk new` saves next to the entry.
    static let longestSuffix = ".dump.txt"

    /// The file name of a family without its `.yaml`: `slug(family)` cut (at a `-` where one is
    /// near the end) so that the entry and its `.dump.txt` stay within the 255 bytes a file
    /// name may have (`FileName.maxBytes`). Empty when the family has no letters or digits.
    public static func fileStem(family: String) -> String {
        FileName.fitting(slug(family), bytes: FileName.maxBytes - longestSuffix.utf8.count)
    }

    /// The folder of a vendor: `slug(vendor-name)` within `FileName.maxBytes`. Empty when the
    /// name has no letters or digits.
    public static func folderName(vendorName: String) -> String {
        FileName.fitting(slug(vendorName), bytes: FileName.maxBytes)
    }

    /// Loads everything under `paths` and runs every lint rule (loader rules and `Linter.check`).
    /// A file with schema errors (an unknown key, a malformed value) still gets the semantic rules
    /// that do not read the fields in error, so one run shows every problem; such entries are
    /// not in `entries` (as in `load(paths:)`).
    public static func lint(paths: [String], options: LintOptions) -> LintResult {
        let found = files(in: paths)
        let files = found.files
        var diags = found.diagnostics
        var checked: [LoadedEntry] = []
        var entries: [LoadedEntry] = []
        var tainted: [String: Set<String>] = [:]
        for f in files {
            let parsed = SourceReader.parse(path: f)
            diags += parsed.diagnostics
            guard let root = parsed.root else { continue }
            let r = decodePartial(root, path: f)
            diags += r.diagnostics
            guard let e = r.entry else { continue }
            checked.append(e)
            if r.diagnostics.hasErrors { tainted[f] = r.tainted } else { entries.append(e) }
        }
        diags += Linter.check(checked, options: options, tainted: tainted)
        return LintResult(files: files, entries: entries, diagnostics: diags.sorted())
    }
}

/// The semantic lint rules over loaded entries (the loader already reported file, YAML and
/// schema problems). Per-entry rules, then cross-entry rules (vendor names, duplicate devices,
/// table rows), all deterministic.
public enum Linter {
    public static func check(_ entries: [LoadedEntry], options: LintOptions) -> [Diagnostic] {
        check(entries, options: options, tainted: [:])
    }

    /// `check` over entries of which some were read partially: `tainted[path]` names the fields
    /// of that file with schema errors. A rule whose inputs (`dependencies`) or reported field
    /// touch a tainted field is left out for that entry; cross-entry rules leave such entries out.
    static func check(_ entries: [LoadedEntry], options: LintOptions, tainted: [String: Set<String>]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for e in entries { out += checkEntry(e, options: options, tainted: tainted[e.path] ?? []) }
        func clean(_ rule: LintRule) -> [LoadedEntry] {
            entries.filter { e in !(dependencies[rule.id] ?? []).contains { touches(tainted[e.path] ?? [], $0) } }
        }
        out += checkVendorNames(clean(LintRules.vendorNameMismatch))
        out += checkDuplicateDevices(clean(LintRules.duplicateDevice))
        out += checkTableRows(clean(LintRules.tableRow))
        return out.sorted()
    }

    /// The fields each semantic rule reads (beyond the field it reports on).
    static let dependencies: [String: [String]] = [
        LintRules.unknownVendor.id: ["vendor"],
        LintRules.vendorNameMismatch.id: ["vendor", "vendor-name"],
        LintRules.pathMismatch.id: ["vendor-name", "family"],
        LintRules.invertedRange.id: ["devices"],
        LintRules.duplicateDevice.id: ["vendor", "devices", "applies-to", "kernel.status"],
        LintRules.missingEvidence.id: ["evidence", "kernel.status"],
        LintRules.hedgedStatement.id: ["evidence.statement", "kernel.status"],
        LintRules.confirmedByFormat.id: ["evidence.confirmed-by", "kernel.acked-by"],
        LintRules.ackNotOnList.id: ["kernel.acked-by", "kernel.status", "kernel.link"],
        LintRules.claimPortType.id: ["isolation.kind", "applies-to.port-type"],
        LintRules.acsEquivalentIncomplete.id: ["isolation.acs-equivalent", "isolation.incomplete-reason"],
        LintRules.upstreamIncomplete.id: ["kernel"],
        LintRules.sinceSublevel.id: ["kernel.since"],
        LintRules.tableRow.id: ["kernel.table", "kernel.status", "devices"],
    ]

    /// Whether field `f` is, contains or lies inside one of `tainted` (paths like
    /// `devices[2].first`, `applies-to.port-type`).
    static func touches(_ tainted: Set<String>, _ f: String) -> Bool {
        tainted.contains { t in
            t == f || t.hasPrefix(f + ".") || t.hasPrefix(f + "[") || f.hasPrefix(t + ".") || f.hasPrefix(t + "[")
                || t.isEmpty
        }
    }

    static func d(_ e: LoadedEntry, _ rule: LintRule, _ pos: SourcePosition, _ msg: String) -> Diagnostic {
        Diagnostic(path: e.path, at: pos, severity: rule.severity, rule: rule.id, message: msg)
    }

    static let hedges = ["could", "may", "should", "might"]

    static func checkEntry(_ le: LoadedEntry, options: LintOptions, tainted: Set<String> = []) -> [Diagnostic] {
        let e = le.entry, L = le.locations
        var out: [Diagnostic] = []
        func report(_ rule: LintRule, _ field: String, _ msg: String, key: Bool = false) {
            if !tainted.isEmpty,
               touches(tainted, field) || (dependencies[rule.id] ?? []).contains(where: { touches(tainted, $0) }) {
                return
            }
            out.append(d(le, rule, key ? L.key(field) : L.value(field), msg))
        }

        // unknown-vendor
        if let lookup = options.vendorName, lookup(e.vendor) == nil {
            report(LintRules.unknownVendor, "vendor", "vendor 0x\(hex(e.vendor, width: 4)) is not in pci.ids; check the ID")
        }

        // path-mismatch
        let url = URL(fileURLWithPath: le.path)
        let dir = url.deletingLastPathComponent().lastPathComponent
        let file = url.lastPathComponent
        let vslug = Registry.folderName(vendorName: e.vendorName), fslug = Registry.fileStem(family: e.family)
        if vslug.isEmpty {
            report(LintRules.pathMismatch, "vendor-name",
                   "vendor-name '\(e.vendorName)' has no letters or digits (A-Z, a-z, 0-9) to name its folder with")
        } else if dir != vslug {
            report(LintRules.pathMismatch, "vendor-name",
                   "vendor-name '\(e.vendorName)' belongs in folder '\(vslug)/', but the file is in '\(dir)/'")
        }
        let lower = file.lowercased()
        let stem = lower.hasSuffix(".yaml") ? String(file.dropLast(5)) : lower.hasSuffix(".yml") ? String(file.dropLast(4)) : file
        if fslug.isEmpty {
            report(LintRules.pathMismatch, "family",
                   "family '\(e.family)' has no letters or digits (A-Z, a-z, 0-9) to name the file with; give it its product name")
        } else if stem != fslug || !file.hasSuffix(".yaml") {
            report(LintRules.pathMismatch, "family", "family '\(e.family)' belongs in '\(fslug).yaml', but the file is '\(file)'")
        }

        // inverted-range, duplicate-device within the entry
        var seen: [(DeviceIDs, Int)] = []
        for (i, dev) in e.devices.enumerated() {
            if case let .range(a, b) = dev, a > b {
                report(LintRules.invertedRange, "devices[\(i)].first",
                       "range 0x\(hex(a, width: 4))-0x\(hex(b, width: 4)) is inverted: first is above last")
                continue
            }
            if let (other, j) = seen.first(where: { overlap($0.0, dev) != nil }) {
                let x = overlap(other, dev)!
                report(LintRules.duplicateDevice, "devices[\(i)]",
                       "device 0x\(hex(x, width: 4)) is already covered by item \(j + 1) of devices")
            }
            seen.append((dev, i))
        }

        // evidence
        let status = e.kernel.status
        if status == .new || status == .submitted {
            if let ev = e.evidence {
                if ev.statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    report(LintRules.missingEvidence, "evidence.statement", "the statement is empty")
                }
                if ev.confirmedBy.isEmpty {
                    report(LintRules.missingEvidence, "evidence",
                           "a \(status.rawValue) entry needs confirmed-by: who at the vendor confirmed it (Full Name <email>)",
                           key: true)
                }
                let words = ev.statement.lowercased().split { !$0.isLetter }.map(String.init)
                if !EvidenceTODO.isMarked(ev.statement), let h = hedges.first(where: words.contains) {
                    report(LintRules.hedgedStatement, "evidence.statement",
                           "the statement hedges ('\(h)'): upstream needs the vendor to state that the hardware DOES block peer-to-peer")
                }
            } else {
                report(LintRules.missingEvidence, "kernel.status",
                       "a \(status.rawValue) entry needs evidence: a statement from the vendor and who confirmed it")
            }
        }
        if let ev = e.evidence {
            // evidence-todo: fields `acsquirk new` left for a person to fill. A marked field gets
            // this one finding, not also the format rules below.
            var todo: [(String, String)] = [("evidence.statement", "statement")]
            for i in ev.confirmedBy.indices { todo.append(("evidence.confirmed-by[\(i)]", "confirmed-by")) }
            for (i, r) in ev.references.enumerated() {
                todo.append(("evidence.references[\(i)].title", "reference title"))
                if r.url != nil { todo.append(("evidence.references[\(i)].url", "reference url")) }
            }
            if ev.date != nil { todo.append(("evidence.date", "date")) }
            for (field, what) in todo where EvidenceTODO.isMarked(evidenceText(ev, field)) {
                report(LintRules.evidenceTODO, field,
                       "the \(what) still holds a TODO marker: replace it with what the vendor confirmed")
            }
            for (i, p) in ev.confirmedBy.enumerated() where !isPerson(p) && !EvidenceTODO.isMarked(p) {
                report(LintRules.confirmedByFormat, "evidence.confirmed-by[\(i)]",
                       "confirmed-by '\(p)' is not 'Full Name <email>'")
            }
            for (i, r) in ev.references.enumerated() {
                if let u = r.url, !isURL(u), !EvidenceTODO.isMarked(u) {
                    report(LintRules.badURL, "evidence.references[\(i)].url", "'\(u)' is not an http(s) URL with a host")
                }
            }
            if let date = ev.date, !isDate(date), !EvidenceTODO.isMarked(date) {
                report(LintRules.badDate, "evidence.date", "'\(date)' is not a calendar date written YYYY-MM-DD")
            } else if let date = ev.date, isDate(date), let today = options.today, date > today {
                report(LintRules.futureDate, "evidence.date", "'\(date)' is after today (\(today)): a confirmation cannot come from the future")
            }
        }
        if let link = e.kernel.link, !isURL(link) {
            report(LintRules.badURL, "kernel.link", "'\(link)' is not an http(s) URL with a host")
        }
        for (i, p) in e.kernel.ackedBy.enumerated() where !isPerson(p) {
            report(LintRules.confirmedByFormat, "kernel.acked-by[\(i)]", "acked-by '\(p)' is not 'Full Name <email>'")
        }
        if !e.kernel.ackedBy.isEmpty, e.kernel.status == .new || e.kernel.link == nil {
            report(LintRules.ackNotOnList, "kernel.acked-by",
                   e.kernel.status == .new
                    ? "an ack is given on the posted patch, but this entry is new (not posted): a vendor's private confirmation is confirmed-by"
                    : "an ack is given on the posted patch: set kernel.link to the thread where it was given", key: true)
        }

        // claim-port-type
        let pt = e.appliesTo.portType
        switch (e.isolation.kind, pt) {
        case (.noPeerToPeer, .rootPort), (.noPeerToPeer, .downstreamPort), (.noPeerToPeer, .rootOrDownstreamPort):
            report(LintRules.claimPortType, "isolation.kind",
                   "no-peer-to-peer is a claim about the functions of one device, not about \(pt.rawValue)s; use ports-isolated")
        case (.portsIsolated, .endpoint), (.portsIsolated, .rciep):
            report(LintRules.claimPortType, "isolation.kind",
                   "ports-isolated is a claim about root or downstream ports, not about an \(pt.rawValue); use no-peer-to-peer")
        default: break
        }

        // acs-equivalent-incomplete
        let missing = ACSFlags.linuxRequired.subtracting(e.isolation.acsEquivalent)
        let reason = e.isolation.incompleteReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !missing.isEmpty, reason.isEmpty {
            report(LintRules.acsEquivalentIncomplete, "isolation.acs-equivalent",
                   "acs-equivalent lacks \(missing.shortNames.joined(separator: ", ")): Linux requires SV, RR, CR and UF to put "
                    + "devices in separate IOMMU groups, so this claim changes no group; add the missing controls the vendor "
                    + "confirmed, or say why in isolation.incomplete-reason")
        }

        // unsafe-text
        var texts: [(String, String, Bool)] = [("vendor-name", e.vendorName, true), ("family", e.family, true)]
        if let ev = e.evidence {
            texts.append(("evidence.statement", ev.statement, false))
            for (i, p) in ev.confirmedBy.enumerated() { texts.append(("evidence.confirmed-by[\(i)]", p, true)) }
            for (i, r) in ev.references.enumerated() {
                texts.append(("evidence.references[\(i)].title", r.title, true))
                if let u = r.url { texts.append(("evidence.references[\(i)].url", u, true)) }
            }
            if let date = ev.date { texts.append(("evidence.date", date, true)) }
        }
        if let s = e.kernel.since { texts.append(("kernel.since", s, true)) }
        if let s = e.kernel.link { texts.append(("kernel.link", s, true)) }
        for (i, p) in e.kernel.ackedBy.enumerated() { texts.append(("kernel.acked-by[\(i)]", p, true)) }
        if let r = e.isolation.incompleteReason { texts.append(("isolation.incomplete-reason", r, false)) }
        if let s = e.kernel.note { texts.append(("kernel.note", s, false)) }
        for (field, value, oneLine) in texts {
            if let why = unsafe(value, oneLine: oneLine) {
                report(LintRules.unsafeText, field, "\(field) \(why)")
            }
        }

        // upstream-incomplete, table-row (per entry)
        if status == .upstream {
            var lacks: [String] = []
            if e.kernel.function == nil { lacks.append("function") }
            if e.kernel.since == nil { lacks.append("since") }
            if e.kernel.table.isEmpty { lacks.append("table rows") }
            if !lacks.isEmpty {
                report(LintRules.upstreamIncomplete, "kernel.status",
                       "an upstream entry needs \(lacks.joined(separator: ", ")): where the kernel has it")
            }
        }
        if let s = e.kernel.since, let r = KernelRelease(s), let sub = r.sublevel {
            report(LintRules.sinceSublevel, "kernel.since",
                   "since '\(s)' is a stable release (sublevel \(sub)), which may carry back-ports from later mainline releases; write the first mainline release (vX.Y), or <=vX.Y for a mainline release known to have it")
        }
        if status != .upstream && !e.kernel.table.isEmpty {
            report(LintRules.tableRow, "kernel.table", "only upstream entries have kernel table rows")
        }
        for (i, r) in e.kernel.table.enumerated() {
            if let dev = r.device, !e.covers(device: dev) {
                report(LintRules.tableRow, "kernel.table[\(i)].device",
                       "row \(r.row) names device 0x\(hex(dev, width: 4)), which is not in devices")
            }
        }
        return out
    }

    /// The text of one evidence field named as in `FieldLocations` (`evidence.date`, ...).
    static func evidenceText(_ ev: Evidence, _ field: String) -> String {
        if field == "evidence.statement" { return ev.statement }
        if field == "evidence.date" { return ev.date ?? "" }
        let digits = field.drop { !$0.isNumber }.prefix { $0.isNumber }
        guard let i = Int(digits) else { return "" }
        if field.hasPrefix("evidence.confirmed-by[") { return ev.confirmedBy[i] }
        if field.hasSuffix(".title") { return ev.references[i].title }
        return ev.references[i].url ?? ""
    }

    /// The smallest ID two device items share, if any.
    static func overlap(_ a: DeviceIDs, _ b: DeviceIDs) -> UInt16? {
        let (a1, a2) = bounds(a), (b1, b2) = bounds(b)
        let lo = max(a1, b1), hi = min(a2, b2)
        return lo <= hi ? lo : nil
    }

    static func bounds(_ d: DeviceIDs) -> (UInt16, UInt16) {
        switch d {
        case let .id(x): (x, x)
        case let .range(a, b): (a, b)
        }
    }

    static func isPerson(_ s: String) -> Bool {
        s.range(of: RegistrySchema.pattern(for: .person)!, options: .regularExpression) != nil
    }

    static func isURL(_ s: String) -> Bool {
        guard s.range(of: #"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]+)?(/[^\s]*)?$"#, options: .regularExpression) != nil
        else { return false }
        return URL(string: s)?.host != nil
    }

    static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              (1...12).contains(m), y >= 1970 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (1...days).contains(d)
    }

    /// Why `s` could break a C comment or a commit message, or nil.
    public static func unsafe(_ s: String, oneLine: Bool) -> String? {
        if s.contains("*/") { return "contains '*/', which would end a C comment" }
        if s.contains("/*") { return "contains '/*', which nests a C comment" }
        // What the kernel-code generators refuse (invisible, bidirectional and control characters).
        if let why = TextSafety.problem(in: s) { return why }
        for u in s.unicodeScalars {
            if u == "\n" || u == "\r" || u == "\u{2028}" || u == "\u{2029}" || u == "\u{85}" {
                if oneLine || u != "\n" { return "contains a line break; it must be one line" }
                continue
            }
            if u.value < 0x20 || (0x7f...0x9f).contains(u.value) {
                return "contains the control character U+\(String(format: "%04X", u.value))"
            }
        }
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) where line.hasSuffix("\\") {
            _ = line
            return "ends a line with a backslash, which would continue a C line"
        }
        let trigraphEnds: Set<Character> = ["=", "/", "'", "(", ")", "!", "<", ">", "-"]
        let chars = Array(s)
        if chars.count >= 3 {
            for i in 0..<(chars.count - 2) where chars[i] == "?" && chars[i + 1] == "?" && trigraphEnds.contains(chars[i + 2]) {
                return "contains the trigraph '??\(chars[i + 2])'"
            }
        }
        return nil
    }

    // MARK: Cross-entry rules

    static func checkVendorNames(_ entries: [LoadedEntry]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let byVendor = Dictionary(grouping: entries, by: \.entry.vendor)
        for vendor in byVendor.keys.sorted() {
            let group = byVendor[vendor]!
            let counts = Dictionary(grouping: group, by: \.entry.vendorName).mapValues(\.count)
            guard counts.count > 1 else { continue }
            let canonical = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.first!.key
            let where_ = group.filter { $0.entry.vendorName == canonical }.map(\.path).sorted().first!
            for e in group where e.entry.vendorName != canonical {
                out.append(d(e, LintRules.vendorNameMismatch, e.locations.value("vendor-name"),
                             "vendor 0x\(hex(vendor, width: 4)) is named '\(e.entry.vendorName)' here but '\(canonical)' in \(where_)"))
            }
        }
        return out
    }

    /// Whether one function could satisfy both entries' conditions.
    static func conditionsOverlap(_ a: AppliesTo, _ b: AppliesTo) -> Bool {
        if let x = a.portType.types, let y = b.portType.types, Set(x).isDisjoint(with: y) { return false }
        if let x = a.multifunction, let y = b.multifunction, x != y { return false }
        if let x = a.classID, let y = b.classID, x != y { return false }
        return true
    }

    static func checkDuplicateDevices(_ entries: [LoadedEntry]) -> [Diagnostic] {
        struct Item { var lo: UInt16; var hi: UInt16; var entry: Int; var index: Int }
        var out: [Diagnostic] = []
        let byVendor = Dictionary(grouping: entries.indices, by: { entries[$0].entry.vendor })
        for vendor in byVendor.keys.sorted() {
            var items: [Item] = []
            for ei in byVendor[vendor]! {
                for (i, dev) in entries[ei].entry.devices.enumerated() {
                    let (lo, hi) = bounds(dev)
                    if lo <= hi { items.append(Item(lo: lo, hi: hi, entry: ei, index: i)) }
                }
            }
            items.sort { ($0.lo, $0.hi, $0.entry, $0.index) < ($1.lo, $1.hi, $1.entry, $1.index) }
            var active: [Item] = []
            var reported = Set<[Int]>()
            for it in items {
                active.removeAll { $0.hi < it.lo }
                for other in active where other.entry != it.entry {
                    let a = entries[other.entry], b = entries[it.entry]
                    if a.entry.kernel.status == .upstream && b.entry.kernel.status == .upstream { continue }
                    if !conditionsOverlap(a.entry.appliesTo, b.entry.appliesTo) { continue }
                    let key = [other.entry, other.index, it.entry, it.index]
                    guard reported.insert(key).inserted else { continue }
                    let x = max(other.lo, it.lo)
                    for (me, you) in [(other, it), (it, other)] {
                        let m = entries[me.entry], y = entries[you.entry]
                        out.append(d(m, LintRules.duplicateDevice, m.locations.value("devices[\(me.index)]"),
                                     "device 0x\(hex(vendor, width: 4)):0x\(hex(x, width: 4)) is also covered by \(y.path):\(y.locations.value("devices[\(you.index)]").line) with overlapping conditions"))
                    }
                }
                active.append(it)
            }
        }
        return out
    }

    static func checkTableRows(_ entries: [LoadedEntry]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var byRow: [Int: [(Int, Int)]] = [:]
        for (ei, e) in entries.enumerated() {
            for (ri, r) in e.entry.kernel.table.enumerated() { byRow[r.row, default: []].append((ei, ri)) }
        }
        for row in byRow.keys.sorted() where byRow[row]!.count > 1 {
            let users = byRow[row]!
            for (ei, ri) in users {
                let e = entries[ei]
                let others = users.filter { $0 != (ei, ri) }.map { o in
                    "\(entries[o.0].path):\(entries[o.0].locations.value("kernel.table[\(o.1)].row").line)"
                }
                out.append(d(e, LintRules.tableRow, e.locations.value("kernel.table[\(ri)].row"),
                             "table row \(row) is also claimed by \(others.joined(separator: ", "))"))
            }
        }
        return out
    }
}

/// The marker `acsquirk new` writes into the evidence fields it cannot know (the vendor's
/// statement, who confirmed it, references, the date), and the test the `evidence-todo` lint rule
/// applies: a field is unfilled while it contains the word `TODO` (upper case, as a whole word).
public enum EvidenceTODO {
    public static let marker = "TODO"

    /// Whether `text` still holds the marker as a word (`TODO`, `TODO:`, `(TODO)`; not `TODOS`).
    public static func isMarked(_ text: String) -> Bool {
        var rest = Substring(text)
        while let r = rest.range(of: marker) {
            let before = r.lowerBound == rest.startIndex ? nil : rest[rest.index(before: r.lowerBound)]
            let after = r.upperBound == rest.endIndex ? nil : rest[r.upperBound]
            if !(before.map(isWordCharacter) ?? false) && !(after.map(isWordCharacter) ?? false) { return true }
            rest = rest[r.upperBound...]
        }
        return false
    }

    private static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
}
