import Diagnostics
import PCIAccess
import Registry

/// Registry loading (`SourceReader`: size, UTF-8, BOM, tabs, Yams composition, anchors; the schema
/// check and decoder; the semantic lint rules) on mutated registry files. Input: the file's bytes.
///
/// Checks: every finding is located inside the file (its path, a line the file has) under a rule
/// lint knows; an input is either an entry without errors or refused with an error; a UTF-8 byte
/// order mark in front changes no finding or position (YAML 1.2 §5.2); an entry `RegistryWriter` writes back
/// loads again, without findings, as the same entry; the semantic rules run on every entry.
public enum RegistryYAMLTarget: FuzzTarget {
    public static let name = "yaml"

    /// Where the input is loaded as (the folder and name `path-mismatch` expects of most inputs).
    static let path = "quirks/wangxun/sp-10gbe.yaml"

    /// Every file of the shipped registry and every lint rule example.
    public static func corpus() -> [[UInt8]] {
        var out: [[UInt8]] = []
        func walk(_ dir: String) {
            for n in Repository.list(dir) {
                let p = dir + "/" + n
                if Registry.isRegistryFileName(n) {
                    if let b = Repository.read(p) { out.append(b) }
                } else if !n.contains(".") {
                    walk(p)
                }
            }
        }
        walk(Repository.root + "/quirks")
        for rule in LintRules.all {
            for ex in rule.good + rule.bad {
                for f in ex.files { if let b = f.materialize().bytes { out.append(b) } }
            }
        }
        return out
    }

    public static let dictionary: [[UInt8]] = [
        "\n", ": ", "- ", "  ", "0x", "0x8086", "0xffff", "[", "]", "{", "}", ", ", "\"", "'", "#", "---\n", "...\n",
        "&a ", "*a", "!!str ", "? ", "|\n", ">-\n", "~", "null", "true", "1e10", "0o17", "\\u0000", "\u{FEFF}", "\t",
        "first: ", "last: ", "port-type: ", "acs-equivalent: ", "status: ", "table:", "row: ", "any", "upstream",
        "devices: ", "family: ", "vendor-name: ", "confirmed-by: ", "date: ", "TODO", "https://", "*/", "/*", "\r\n",
    ].map { Array($0.utf8) }

    /// Line edits that keep most of the YAML valid: a value replaced by a tricky one, a line
    /// repeated, dropped or indented differently, a deep nesting.
    public static func mutate(_ b: inout [UInt8], _ rng: inout SplitMix) -> Bool {
        var lines = b.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        guard !lines.isEmpty else { return false }
        let i = rng.below(lines.count)
        let values = ["0x", "0x1ffff", "[]", "{}", "\"\"", "''", "[0x1001, 0x1001]", "{first: 0x20, last: 0x10}", "*x", "&x 1",
                      String(repeating: "x", count: 300), "\"\\u0000\"", "\"*/ #include\"", "2099-01-01", "v6.1.2",
                      "[SV, RR, CR, UF, EC, DT, TB]", "-1", "99999999999999999999", "!!binary AAAA", "|\n  a\n  b"]
        switch rng.below(5) {
        case 0:
            guard let colon = lines[i].firstIndex(of: 0x3a) else { return false }
            lines[i] = Array(lines[i][...colon]) + Array((" " + values[rng.below(values.count)]).utf8)
        case 1: lines.insert(lines[i], at: i)
        case 2: lines.remove(at: i)
        case 3:
            if rng.below(2) == 0 { lines[i] = [0x20, 0x20] + lines[i] } else if lines[i].first == 0x20 { lines[i].removeFirst() }
        default:
            let depth = 1 + rng.below(1200)
            lines.insert(Array(("x: " + String(repeating: "[", count: depth)).utf8), at: i)
        }
        b = Array(lines.joined(separator: [0x0a]))
        return true
    }

    public static func check(_ input: [UInt8]) -> [String] {
        var problems: [String] = []
        let r = Registry.load(bytes: input, path: path)
        let lineCount = input.reduce(1) { $0 + ($1 == 0x0a ? 1 : 0) }
        for d in r.diagnostics {
            if d.path != path { problems.append("finding about another file: \(d)") }
            let line = d.line ?? 1
            if line < 1 || line > lineCount { problems.append("finding on line \(line) of a file of \(lineCount) lines: \(d)") }
            if LintRules.rule(d.rule ?? "") == nil { problems.append("finding under an unknown rule: \(d)") }
        }
        let errors = r.diagnostics.contains { $0.severity == .error }
        if (r.entry == nil) != errors {
            problems.append(r.entry == nil ? "refused without an error" : "an entry despite errors: \(r.diagnostics)")
        }
        if !input.starts(with: [0xef, 0xbb, 0xbf]), input.count + 3 <= SourceReader.sizeLimit {
            // Same findings at the same places (a message may count bytes: the file is 3 longer).
            func placed(_ ds: [Diagnostic]) -> [String] { ds.map { "\($0.rule ?? "") \($0.severity.rawValue) \($0.line ?? 0):\($0.column ?? 0)" } }
            let withBOM = Registry.load(bytes: [0xef, 0xbb, 0xbf] + input, path: path)
            if placed(withBOM.diagnostics) != placed(r.diagnostics) || withBOM.entry != r.entry {
                problems.append("a byte order mark in front changed the result: \(withBOM.diagnostics) instead of \(r.diagnostics)")
            }
        }
        guard let loaded = r.entry else { return problems }
        _ = Linter.check([loaded], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        let written = RegistryWriter.yaml(loaded.entry)
        let again = Registry.load(yaml: written, path: path)
        if let e = again.entry?.entry, e == loaded.entry, again.diagnostics.isEmpty { return problems }
        problems.append("written back, the entry does not load as itself: \(again.diagnostics)\n\(written)")
        return problems
    }
}
