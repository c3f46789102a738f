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

    /// One summary line: `2 errors, 1 warning in 132 files`.
    public static func summary(_ diagnostics: [Diagnostic], files: Int) -> String {
        func n(_ k: Int, _ w: String) -> String { "\(k) \(w)\(k == 1 ? "" : "s")" }
        return "\(n(diagnostics.errorCount, "error")), \(n(diagnostics.warningCount, "warning")) in \(n(files, "file"))"
    }
}

extension LintRules {
    /// Every lint rule as the reporters describe it (SARIF's `driver.rules`).
    public static var descriptors: [DiagnosticRule] {
        all.map { DiagnosticRule(id: $0.id, shortDescription: $0.description, fullDescription: $0.rationale,
                                 defaultSeverity: $0.severity) }
    }
}
