import Foundation
import PCIConfig

/// Output formats of `acsquirk lint`. Each reporter is a pure function of the diagnostics.
public enum LintFormat: String, Sendable, CaseIterable {
    /// `path:line:col: error: [rule] message`, one per line (coloured by the CLI on a terminal).
    case text
    /// `{"files": N, "errors": N, "warnings": N, "diagnostics": [...]}`.
    case json
    /// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::[rule] message`.
    case github
    /// SARIF 2.1.0 with the rule metadata of every rule.
    case sarif
}

public enum LintReporter {
    /// The `lint --format json` format name and version (`JSONOutput`, docs/schemas/lint.schema.json).
    public static let jsonFormat = "acsquirk-lint/1"

    /// Renders `diagnostics` (already sorted) for `files` files in `format`.
    public static func render(_ diagnostics: [Diagnostic], files: Int, format: LintFormat) -> String {
        switch format {
        case .text:
            return diagnostics.map { $0.description + "\n" }.joined()
        case .json:
            return JSONOutput.encode(JSONValue.object([
                ("files", .int(files)), ("errors", .int(diagnostics.errorCount)),
                ("warnings", .int(diagnostics.warningCount)),
                ("diagnostics", .array(diagnostics.map(\.json))),
            ]), format: jsonFormat)
        case .github:
            return diagnostics.map(github).joined()
        case .sarif:
            return JSONOutput.encode(sarif(diagnostics))
        }
    }

    /// One summary line: `2 errors, 1 warning in 132 files`.
    public static func summary(_ diagnostics: [Diagnostic], files: Int) -> String {
        func n(_ k: Int, _ w: String) -> String { "\(k) \(w)\(k == 1 ? "" : "s")" }
        return "\(n(diagnostics.errorCount, "error")), \(n(diagnostics.warningCount, "warning")) in \(n(files, "file"))"
    }

    /// GitHub's escaping: data escapes %, CR, LF; properties also `:` and `,`.
    static func github(_ d: Diagnostic) -> String {
        func data(_ s: String) -> String {
            s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
        }
        func prop(_ s: String) -> String { data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C") }
        let position = d.hasPosition ? ",line=\(d.line),col=\(d.column)" : ""
        return "::\(d.severity.rawValue) file=\(prop(d.path))\(position),title=\(prop(d.rule))::"
            + data("[\(d.rule)] \(d.message)") + "\n"
    }

    /// A SARIF 2.1.0 log (OASIS sarif-v2.1.0, §3.13 run, §3.19 toolComponent, §3.49 reportingDescriptor).
    public static func sarif(_ diagnostics: [Diagnostic]) -> JSONValue {
        let rules = LintRules.all
        let rulesJSON: [JSONValue] = rules.map { r in
            .object([
                ("id", .string(r.id)),
                ("name", .string(r.id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined())),
                ("shortDescription", .object([("text", .string(r.description))])),
                ("fullDescription", .object([("text", .string(r.rationale))])),
                ("defaultConfiguration", .object([("level", .string(r.severity == .error ? "error" : "warning"))])),
            ])
        }
        let results: [JSONValue] = diagnostics.map { d in
            var m: [(String, JSONValue)] = [("ruleId", .string(d.rule))]
            if let i = rules.firstIndex(where: { $0.id == d.rule }) { m.append(("ruleIndex", .int(i))) }
            var physical: [(String, JSONValue)] = [("artifactLocation", .object([("uri", .string(d.path))]))]
            if d.hasPosition {
                physical.append(("region", .object([("startLine", .int(d.line)), ("startColumn", .int(d.column))])))
            }
            m += [
                ("level", .string(d.severity == .error ? "error" : "warning")),
                ("message", .object([("text", .string(d.message))])),
                ("locations", .array([.object([("physicalLocation", .object(physical))])])),
            ]
            return .object(m)
        }
        return .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("acsquirk")),
                    ("rules", .array(rulesJSON)),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
    }
}
