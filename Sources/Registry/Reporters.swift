import Diagnostics
import PCIConfig

/// `acsquirk lint`'s reports: the diagnostics through the reporters of `DiagnosticFormat`, the
/// JSON document (docs/schemas/lint.schema.json) and the summary line.
public enum LintReporter {
    /// The `lint --format json` format name and version (`JSONOutput`, docs/schemas/lint.schema.json).
    public static let jsonFormat = "acsquirk-lint/1"

    /// Renders `diagnostics` (already sorted) for `files` files in `format`; SARIF names acsquirk
    /// `toolVersion` and every lint rule.
    public static func render(_ diagnostics: [Diagnostic], files: Int, format: DiagnosticFormat,
                              toolVersion: String) -> String {
        switch format {
        case .text: TextReporter.render(diagnostics)
        case .json: JSONOutput.encode(Document(files: files, errors: diagnostics.errorCount,
                                               warnings: diagnostics.warningCount, diagnostics: diagnostics),
                                      format: jsonFormat)
        case .github: GitHubReporter.render(diagnostics)
        case .sarif: SARIFReporter(toolName: "acsquirk", toolVersion: toolVersion, rules: LintRules.descriptors)
            .render(diagnostics)
        }
    }

    /// The `lint --format json` document.
    struct Document: Encodable {
        var files: Int
        var errors: Int
        var warnings: Int
        var diagnostics: [Diagnostic]
    }

    /// One summary line: `2 errors, 1 warning in 132 files`; `strict` (`lint --strict`) adds
    /// `(--strict: warnings are errors)`.
    public static func summary(_ diagnostics: [Diagnostic], files: Int, strict: Bool = false) -> String {
        func n(_ k: Int, _ w: String) -> String { "\(k) \(w)\(k == 1 ? "" : "s")" }
        return "\(n(diagnostics.errorCount, "error")), \(n(diagnostics.warningCount, "warning")) in \(n(files, "file"))"
            + (strict ? " (--strict: warnings are errors)" : "")
    }

    /// Whether the findings fail the lint (exit 1): an error, or with `strict` (`--strict`, as
    /// SwiftLint's) a warning too. Every finding is reported either way.
    public static func fails(_ diagnostics: [Diagnostic], strict: Bool = false) -> Bool {
        diagnostics.contains { $0.severity >= (strict ? .warning : .error) }
    }
}

extension LintRules {
    /// Every lint rule as the reporters describe it (SARIF's `driver.rules`).
    public static var descriptors: [DiagnosticRule] {
        all.map { DiagnosticRule(id: $0.id, shortDescription: $0.description, fullDescription: $0.rationale,
                                 defaultSeverity: $0.severity) }
    }
}
