import Foundation
import PCIConfig
import Yams

/// Writes registry entries as YAML, deterministically: keys in schema order, hex IDs as
/// lower-case `0x` + 4 digits, strings plain when YAML would read them back as the same string and
/// quoted otherwise, long one-line text folded (`>-`), multi-line text as literal blocks (`|-`).
/// `Registry.load(yaml: RegistryWriter.yaml(e), path:)` gives back `e` (tested on every
/// committed file).
public enum RegistryWriter {
    /// Folded text is wrapped to this many columns (including indentation).
    public static let width = 100

    /// The YAML text of one entry (ends with a newline).
    public static func yaml(_ e: QuirkEntry) -> String {
        var out = ""
        func line(_ s: String) { out += s + "\n" }
        /// `  key: Full Name <email>` for one person, a list for several.
        func people(_ key: String, _ list: [String]) {
            if list.count == 1 {
                line("  \(key): \(scalar(list[0], indent: 2, keyWidth: key.count + 2))")
            } else if list.count > 1 {
                line("  \(key):")
                for p in list { line("    - \(scalar(p, indent: 4, keyWidth: 0))") }
            }
        }
        line("schema: \(e.schema)")
        line("vendor: \(hexID(e.vendor))")
        line("vendor-name: \(scalar(e.vendorName, indent: 0, keyWidth: 13))")
        line("family: \(scalar(e.family, indent: 0, keyWidth: 8))")
        line("devices:")
        for d in e.devices {
            switch d {
            case let .id(x): line("  - \(hexID(x))")
            case let .range(a, b): line("  - {first: \(hexID(a)), last: \(hexID(b))}")
            }
        }
        let a = e.appliesTo
        if a != AppliesTo() {
            line("applies-to:")
            if a.portType != .any { line("  port-type: \(a.portType.rawValue)") }
            if let mf = a.multifunction { line("  multifunction: \(mf)") }
            if let c = a.classID { line("  class: \(hexID(c))") }
            if !a.requires.isEmpty { line("  requires: [\(a.requires.map(\.rawValue).joined(separator: ", "))]") }
            if a.registerLayout != .standard {
                line("  register-layout: \(a.registerLayout == .intelSPTDword ? ACSRegisterLayoutName.intelSPTDword : ACSRegisterLayoutName.standard)")
            }
        }
        line("isolation:")
        line("  kind: \(e.isolation.kind.rawValue)")
        line("  acs-equivalent: [\(e.isolation.acsEquivalent.shortNames.joined(separator: ", "))]")
        if let r = e.isolation.incompleteReason { line("  incomplete-reason: \(scalar(r, indent: 2, keyWidth: 19))") }
        if let ev = e.evidence {
            line("evidence:")
            line("  statement: \(scalar(ev.statement, indent: 2, keyWidth: 11))")
            people("confirmed-by", ev.confirmedBy)
            if !ev.references.isEmpty {
                line("  references:")
                for r in ev.references {
                    line("    - title: \(scalar(r.title, indent: 6, keyWidth: 7))")
                    if let u = r.url { line("      url: \(scalar(u, indent: 6, keyWidth: 5))") }
                }
            }
            if let d = ev.date { line("  date: \(scalar(d, indent: 2, keyWidth: 6))") }
        }
        let k = e.kernel
        line("kernel:")
        line("  status: \(k.status.rawValue)")
        if let f = k.function { line("  function: \(scalar(f, indent: 2, keyWidth: 10))") }
        if let s = k.since { line("  since: \(scalar(s, indent: 2, keyWidth: 7))") }
        if let l = k.link { line("  link: \(scalar(l, indent: 2, keyWidth: 6))") }
        people("acked-by", k.ackedBy)
        if !k.table.isEmpty {
            line("  table:")
            for r in k.table {
                var parts = ["row: \(r.row)", "device: \(r.device.map(hexID) ?? "any")"]
                if let m = r.vendorMacro { parts.append("vendor-macro: \(flowScalar(m))") }
                line("    - {\(parts.joined(separator: ", "))}")
            }
        }
        if k.unlisted != .pass { line("  unlisted: \(k.unlisted.rawValue)") }
        if let n = k.note { line("  note: \(scalar(n, indent: 2, keyWidth: 6))") }
        return out
    }

    /// `0x` and four lower-case hex digits.
    public static func hexID(_ v: UInt16) -> String { "0x" + hex(v, width: 4) }

    /// A scalar value for a block mapping value or sequence item at `indent` whose key takes
    /// `keyWidth` columns (used to decide folding).
    static func scalar(_ s: String, indent: Int, keyWidth: Int) -> String {
        if s.contains("\n") {
            if let f = folded(s, indent: indent + 2) { return f }
            if let lit = literal(s, indent: indent + 2) { return lit }
            return doubleQuoted(s)
        }
        if indent + keyWidth + s.count > width, let folded = folded(s, indent: indent + 2) { return folded }
        if isPlainSafe(s, flow: false) { return s }
        return doubleQuoted(s)
    }

    /// A scalar inside a flow collection (`{...}`).
    static func flowScalar(_ s: String) -> String { isPlainSafe(s, flow: true) ? s : doubleQuoted(s) }

    /// Whether `s` may be written as a plain scalar and read back as the same string.
    static func isPlainSafe(_ s: String, flow: Bool) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        if first == " " || last == " " { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        if flow && s.unicodeScalars.contains(where: { ",[]{}".unicodeScalars.contains($0) }) { return false }
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7f || (0x80...0x9f).contains(u.value) || u == "\u{feff}"
                || u == "\u{2028}" || u == "\u{2029}" || u == "\\" && false { return false }
        }
        // Anything YAML would resolve to a non-string (numbers, booleans, null, dates) is quoted.
        return Resolver.default.resolveTag(of: Node(s)) == .str && Resolver.basic.resolveTag(of: Node(s)) == .str
            && !looksTyped(s)
    }

    /// YAML 1.2 core and 1.1 forms other tools would read as non-strings.
    static func looksTyped(_ s: String) -> Bool {
        let lower = s.lowercased()
        if ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf", "+.inf"].contains(lower) {
            return true
        }
        if s.range(of: #"^[-+]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?)$"#,
                   options: .regularExpression) != nil { return true }
        if s.range(of: #"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"#, options: .regularExpression) != nil { return true }
        if s.range(of: #"^[0-9]+(:[0-5]?[0-9])+(\.[0-9]*)?$"#, options: .regularExpression) != nil { return true }
        return false
    }

    /// A double-quoted scalar with YAML escapes.
    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where u.value < 0x20 || u.value == 0x7f || (0x80...0x9f).contains(u.value)
                || u == "\u{2028}" || u == "\u{2029}" || u == "\u{feff}":
                out += String(format: "\\u%04X", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Text safe for block scalars: no control characters, no tabs, no line with leading or
    /// trailing spaces, no empty first line.
    static func blockSafe(_ s: String) -> Bool {
        for u in s.unicodeScalars where (u.value < 0x20 && u != "\n") || u.value == 0x7f || (0x80...0x9f).contains(u.value)
            || u == "\u{2028}" || u == "\u{2029}" || u == "\u{feff}" { return false }
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, !first.isEmpty, let last = lines.last, !last.isEmpty else { return false }
        return lines.allSatisfy { !$0.hasPrefix(" ") && !$0.hasSuffix(" ") }
    }

    /// `|-` literal block for multi-line text (nil when not representable exactly).
    static func literal(_ s: String, indent: Int) -> String? {
        guard blockSafe(s) else { return nil }
        let pad = String(repeating: " ", count: indent)
        return "|-\n" + s.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// `>-` folded block, broken at single spaces to `width` columns; a run of k line breaks in
    /// the text is written as k empty lines (YAML 1.2 §8.1.3 line folding). nil when folding could
    /// not give the text back exactly (double spaces, lines with leading or trailing spaces,
    /// control characters, leading or trailing line breaks).
    static func folded(_ s: String, indent: Int) -> String? {
        guard blockSafe(s), !s.contains("  ") else { return nil }
        let pad = String(repeating: " ", count: indent)
        var out = ">-"
        var emptyRun = 0
        for segment in s.split(separator: "\n", omittingEmptySubsequences: false) {
            if segment.isEmpty { emptyRun += 1; continue }
            if out != ">-" { out += String(repeating: "\n", count: emptyRun + 1) }
            emptyRun = 0
            var cur = ""
            for word in segment.split(separator: " ", omittingEmptySubsequences: false) {
                if cur.isEmpty { cur = String(word); continue }
                if indent + cur.count + 1 + word.count > width {
                    out += "\n" + pad + cur
                    cur = String(word)
                } else {
                    cur += " " + word
                }
            }
            out += "\n" + pad + cur
        }
        return out
    }

    /// The path of `e` under `root`: `root/<slug(vendor-name)>/<slug(family)>.yaml` (see
    /// `Registry.folderName(vendorName:)` and `Registry.fileStem(family:)`).
    public static func path(for e: QuirkEntry, root: String) -> String {
        let r = root.hasSuffix("/") ? String(root.dropLast()) : root
        return "\(r)/\(Registry.folderName(vendorName: e.vendorName))/\(Registry.fileStem(family: e.family)).yaml"
    }
}
