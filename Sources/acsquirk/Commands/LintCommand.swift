import ArgumentParser
import Diagnostics
import Foundation
import PCIAccess
import PCIConfig
import Rainbow
import Registry

extension DiagnosticFormat: OutputFormat {
    static var helpNote: String {
        " (text coloured on a terminal unless NO_COLOR; github: workflow annotations; sarif: SARIF 2.1.0)"
    }
}

/// `acsquirk lint [PATH…] [--format text|json|github|sarif] [--strict]`: validates registry entries.
/// Exit 0 when there are no errors (warnings alone pass, but not with `--strict`), 1 on errors
/// (and with `--strict` on warnings), 2 when a path cannot be read.
struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate registry entries (quirks/**/*.yaml).",
        discussion: """
            Every finding is printed as path:line:col: error|warning: [rule-id] message. \
            Exit status: 0 no errors (warnings alone pass), 1 errors, 2 a path that cannot be read. \
            --strict makes warnings errors (as SwiftLint's --strict): every finding is printed as \
            without it, in every format, but a warning fails the run with exit 1 and the summary line \
            says so. --list-rules prints the rules; docs/registry.md explains each.
            """)

    @Argument(help: "Registry files or folders (default: ./quirks when present, else the shipped registry).")
    var paths: [String] = []

    @OptionGroup(title: "Output")
    var output: OutputOptions<DiagnosticFormat>

    @OptionGroup var names: NamesOptions

    @OptionGroup var strictness: StrictOptions

    @Flag(help: "Print the rules (id, severity, description) and exit.")
    var listRules = false

    @Flag(help: "Print the registry JSON Schema (quirks/schema.json) and exit.")
    var printSchema = false

    func run() async throws {
        if printSchema {
            try output.destination.write(JSONOutput.encode(RegistrySchema.jsonSchema()), command: "lint")
            return
        }
        if listRules {
            try output.destination.write(LintRules.all.map { "\($0.id)\t\($0.severity.rawValue)\t\($0.description)\n" }.joined(),
                                         command: "lint")
            return
        }
        var options = LintOptions(vendorName: PCINameDatabase.standardVendorLookup)
        if let pciIDs = names.idsPath {
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
        switch output.format {
        case .text:
            let colour = output.destination.colour
            try output.destination.write(TextReporter.render(d, paint: colour ? Self.paint : { s, _ in s }), command: "lint")
            Console.error(LintReporter.summary(d, files: result.files.count, strict: strictness.strict))
        default:
            try output.destination.write(LintReporter.render(d, files: result.files.count, format: output.format,
                                                             toolVersion: Acsquirk.version), command: "lint")
        }
        if result.unreadable { throw ExitStatus.badInput }
        if LintReporter.fails(d, strict: strictness.strict) { throw ExitStatus.findings }
    }

    /// `path:line:col:` bold, severity red/yellow, rule dimmed (used only with colour: a terminal,
    /// no NO_COLOR, no `-o`).
    static func paint(_ s: String, _ part: TextReporter.Part) -> String {
        switch part {
        case .location: s.bold
        case .severity(.error): s.red.bold
        case .severity: s.yellow.bold
        case .rule: s.dim
        }
    }
}
