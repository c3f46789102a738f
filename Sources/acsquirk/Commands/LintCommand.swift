import Diagnostics
import ArgumentParser
import Foundation
import PCIAccess
import PCIConfig
import Rainbow
import Registry

extension DiagnosticFormat: ExpressibleByArgument {}

/// `acsquirk lint [PATH…] [--format text|json|github|sarif]`: validates registry entries.
/// Exit 0 when there are no errors (warnings alone pass), 1 on errors, 2 when a path cannot be read.
struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate registry entries (quirks/**/*.yaml).",
        discussion: """
            Every finding is printed as path:line:col: error|warning: [rule-id] message. \
            Exit status: 0 no errors (warnings alone pass), 1 errors, 2 a path that cannot be read. \
            --list-rules prints the rules; docs/registry.md explains each.
            """)

    @Argument(help: "Registry files or folders (default: ./quirks when present, else the shipped registry).")
    var paths: [String] = []

    @Option(help: "Output format: text (coloured on a terminal unless NO_COLOR), json, github, sarif.")
    var format: DiagnosticFormat = .text

    @Option(name: .customLong("pci-ids"), help: "pci.ids file for the unknown-vendor rule (default: libpci's).")
    var pciIDs: String?

    @Flag(help: "Print the rules (id, severity, description) and exit.")
    var listRules = false

    @Flag(help: "Print the registry JSON Schema (quirks/schema.json) and exit.")
    var printSchema = false

    func run() async throws {
        if printSchema {
            Console.out(JSONOutput.encode(RegistrySchema.jsonSchema()))
            return
        }
        if listRules {
            for r in LintRules.all { print("\(r.id)\t\(r.severity.rawValue)\t\(r.description)") }
            return
        }
        var options = LintOptions(vendorName: PCINameDatabase.standardVendorLookup)
        if let pciIDs {
            guard FileManager.default.isReadableFile(atPath: pciIDs) else {
                FileHandle.standardError.write(Data("acsquirk lint: cannot read \(pciIDs)\n".utf8))
                throw ExitStatus.badInput
            }
            let db = try PCINameDatabase(idsPath: pciIDs)
            options = LintOptions(vendorName: db.vendorLookup)
        }
        let targets = try RegistryCLI.working(paths, command: "lint")
        let result = Registry.lint(paths: targets, options: options)
        let d = result.diagnostics
        switch format {
        case .text:
            Console.out(TextReporter.render(d, paint: Self.paint))
            Console.error(LintReporter.summary(d, files: result.files.count))
        default:
            Console.out(LintReporter.render(d, files: result.files.count, format: format, toolVersion: Acsquirk.version))
        }
        if result.unreadable { throw ExitStatus.badInput }
        if d.hasErrors { throw ExitStatus.findings }
    }

    /// `path:line:col:` bold, severity red/yellow, rule dimmed (plain when Rainbow is off:
    /// NO_COLOR set, or not a terminal).
    static func paint(_ s: String, _ part: TextReporter.Part) -> String {
        switch part {
        case .location: s.bold
        case .severity(.error): s.red.bold
        case .severity: s.yellow.bold
        case .rule: s.dim
        }
    }
}
