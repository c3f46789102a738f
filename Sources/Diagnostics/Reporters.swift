import Foundation
import PCIConfig

/// The output formats of the commands that report diagnostics (`lint`, `check`).
public enum DiagnosticFormat: String, Hashable, Sendable, CaseIterable {
    /// `path:line:col: severity: [rule] message`, one per line (`TextReporter`).
    case text
    /// The command's JSON document (`JSONOutput`; each diagnostic in `Diagnostic`'s one shape).
    case json
    /// GitHub Actions workflow commands (`GitHubReporter`).
    case github
    /// SARIF 2.1.0 (`SARIFReporter`).
    case sarif
}

/// The text format: `path:line:col: severity: [rule] message` (the compiler convention editors
/// and CI log parsers understand). The location is as precise as the finding: `path:line:col`,
/// `path:line` (a dump line), `path` (a file as a whole), or nothing (a function no file is about);
/// `[rule] ` is left out for a reader's finding without a rule; help follows on its own line.
public enum TextReporter {
    /// The parts a caller may style (colour on a terminal).
    public enum Part: Hashable, Sendable {
        /// `path:line:col:` with its colon.
        case location
        /// `error:` with its colon.
        case severity(Diagnostic.Severity)
        /// `[rule]`.
        case rule
    }

    /// One diagnostic, without a trailing newline; `paint` styles parts (identity without colour).
    public static func line(_ d: Diagnostic, paint: (String, Part) -> String = { s, _ in s }) -> String {
        var s = d.location.text.map { paint($0 + ":", .location) + " " } ?? ""
        s += paint("\(d.severity.rawValue):", .severity(d.severity)) + " "
        if let rule = d.rule { s += paint("[\(rule)]", .rule) + " " }
        s += d.message
        if let help = d.help { s += "\n    help: " + help.replacingOccurrences(of: "\n", with: "\n          ") }
        return s
    }

    /// Every diagnostic, one per line.
    public static func render(_ diagnostics: [Diagnostic], paint: (String, Part) -> String = { s, _ in s }) -> String {
        diagnostics.map { line($0, paint: paint) + "\n" }.joined()
    }
}

/// GitHub Actions workflow commands (docs.github.com, "Workflow commands for GitHub Actions":
/// `::error file={name},line={line},col={col},title={title}::{message}`), with GitHub's escaping
/// (actions/toolkit `packages/core/src/command.ts`: `escapeData`, `escapeProperty`).
public enum GitHubReporter {
    /// Message text: `%` → `%25`, CR → `%0D`, LF → `%0A`.
    public static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value: as message text, and also `:` → `%3A`, `,` → `%2C`.
    public static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// `::name key=value,…::message` and a newline, everything escaped.
    public static func command(_ name: String, _ properties: [(String, String)], _ message: String) -> String {
        let props = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
        return "::\(name)\(props.isEmpty ? "" : " " + props)::\(escapeData(message))\n"
    }

    /// One diagnostic: `::error|warning|notice file=…,line=…,col=…,title=<titlePrefix><rule>::[rule] message`.
    /// The file is the finding's file, else the dump its function was read from.
    public static func line(_ d: Diagnostic, titlePrefix: String = "") -> String {
        var props: [(String, String)] = []
        if let file = d.location.artifact {
            props.append(("file", file))
            if d.location.file != nil, let line = d.location.line {
                props.append(("line", String(line)))
                if let col = d.location.column { props.append(("col", String(col))) }
            }
        }
        let title = titlePrefix + (d.rule ?? "")
        if !title.isEmpty { props.append(("title", title.trimmingCharacters(in: .whitespaces))) }
        let level = d.severity == .note ? "notice" : d.severity.rawValue
        var message = d.rule.map { "[\($0)] " } ?? ""
        message += d.message
        if let help = d.help { message += "\n" + help }
        return command(level, props, message)
    }

    /// Every diagnostic, one command each.
    public static func render(_ diagnostics: [Diagnostic], titlePrefix: String = "") -> String {
        diagnostics.map { line($0, titlePrefix: titlePrefix) }.joined()
    }
}

/// SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format, errata01; the schema is
/// docs/schemas/sarif-schema-2.1.0.json): one run whose tool driver names acsquirk, its version
/// and its rules (§3.19 toolComponent, §3.49 reportingDescriptor); each result's location is its
/// file as a percent-encoded URI relative to `SRCROOT` (§3.4.4, §3.10 uriBaseId) with the region
/// of its line and column (§3.30), and the PCI function as a logical location (§3.33).
public struct SARIFReporter: Sendable {
    /// `driver.name`.
    public var toolName: String
    /// `driver.version` and `semanticVersion`: the version `acsquirk --version` prints.
    public var toolVersion: String
    /// `driver.informationUri`.
    public var informationURI: String?
    /// `driver.rules`: every rule a result may name.
    public var rules: [DiagnosticRule]
    /// Absolute paths under this folder are written relative to `SRCROOT` (the current directory).
    public var root: String

    /// The `uriBaseId` of relative artifact locations: the folder the command ran in.
    public static let rootBase = "SRCROOT"

    public init(toolName: String, toolVersion: String, informationURI: String? = nil, rules: [DiagnosticRule],
                root: String = FileManager.default.currentDirectoryPath) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.informationURI = informationURI
        self.rules = rules
        self.root = root
    }

    /// The log as JSON (`JSONOutput`: sorted keys, byte-identical for the same input).
    /// `notifications`: what the run itself must say beside the results (no rule, no location),
    /// written as the invocation's `toolExecutionNotifications` (§3.20.21, §3.58 notification).
    public func render(_ diagnostics: [Diagnostic], notifications: [(Diagnostic.Severity, String)] = []) -> String {
        JSONOutput.encode(log(diagnostics, notifications: notifications))
    }

    public func log(_ diagnostics: [Diagnostic], notifications: [(Diagnostic.Severity, String)] = []) -> SARIFLog {
        let index = Dictionary(rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let driver = SARIFLog.Driver(
            name: toolName, version: toolVersion, semanticVersion: toolVersion, informationUri: informationURI,
            rules: rules.map { r in
                SARIFLog.Rule(id: r.id, name: Self.ruleName(r.id), shortDescription: .init(text: r.shortDescription),
                              fullDescription: r.fullDescription.map { .init(text: $0) },
                              defaultConfiguration: .init(level: Self.level(r.defaultSeverity)))
            })
        let results = diagnostics.map { d in
            var text = d.message
            if let help = d.help { text += "\n\n" + help }
            var physical: SARIFLog.PhysicalLocation?
            if let file = d.location.artifact {
                let (uri, base) = Self.uri(for: file, root: root)
                var region: SARIFLog.Region?
                if d.location.file != nil, let line = d.location.line {
                    region = SARIFLog.Region(startLine: line, startColumn: d.location.column)
                }
                physical = SARIFLog.PhysicalLocation(artifactLocation: .init(uri: uri, uriBaseId: base), region: region)
            }
            let logical = d.location.device.map {
                [SARIFLog.LogicalLocation(name: $0.bdf, fullyQualifiedName: $0.bdf + ($0.id.map { " [\($0)]" } ?? ""),
                                          kind: "pci-function")]
            }
            let locations = physical == nil && logical == nil
                ? nil : [SARIFLog.Location(physicalLocation: physical, logicalLocations: logical)]
            return SARIFLog.Result(ruleId: d.rule, ruleIndex: d.rule.flatMap { index[$0] }, level: Self.level(d.severity),
                                   message: .init(text: text), locations: locations)
        }
        let invocations = notifications.isEmpty ? nil : [SARIFLog.Invocation(
            executionSuccessful: true,
            toolExecutionNotifications: notifications.map { .init(level: Self.level($0.0), message: .init(text: $0.1)) })]
        return SARIFLog(runs: [.init(tool: .init(driver: driver), invocations: invocations, results: results)])
    }

    /// SARIF's level for a severity (§3.27.10: `note`, `warning`, `error`).
    static func level(_ s: Diagnostic.Severity) -> String { s.rawValue }

    /// `unknown-key` → `UnknownKey` (§3.49.7: a rule's name is an identifier, not its id).
    static func ruleName(_ id: String) -> String {
        id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A file path as a URI (RFC 3986): relative paths (and absolute ones under `root`) as a
    /// relative reference with the base `SRCROOT`, other absolute paths as `file://` URIs; every
    /// byte but the unreserved characters and `/` percent-encoded (spaces, `%`, `:`, `,`, non-ASCII
    /// as UTF-8), so no segment is mistaken for a scheme.
    public static func uri(for path: String, root: String) -> (uri: String, base: String?) {
        var p = path
        let r = root.hasSuffix("/") ? root : root + "/"
        if p.hasPrefix(r) { p.removeFirst(r.count) }
        if p.hasPrefix("/") { return ("file://" + percentEncoded(p), nil) }
        while p.hasPrefix("./") { p.removeFirst(2) }
        return (percentEncoded(p), rootBase)
    }

    /// RFC 3986 §2.3 unreserved characters and `/` kept, every other UTF-8 byte as `%XX`.
    public static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}

/// The subset of the SARIF 2.1.0 object model acsquirk writes (names as in the standard).
public struct SARIFLog: Encodable, Hashable, Sendable {
    public var schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    public var version = "2.1.0"
    public var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema", version, runs
    }

    public struct Run: Encodable, Hashable, Sendable {
        public var tool: Tool
        /// libyaml counts columns in Unicode scalars.
        public var columnKind = "unicodeCodePoints"
        /// How the run went, with its notifications (`nil`: nothing to say).
        public var invocations: [Invocation]?
        public var results: [Result]

        public init(tool: Tool, invocations: [Invocation]? = nil, results: [Result]) {
            self.tool = tool
            self.invocations = invocations
            self.results = results
        }
    }

    /// §3.20 invocation: `executionSuccessful` is required.
    public struct Invocation: Encodable, Hashable, Sendable {
        public var executionSuccessful: Bool
        public var toolExecutionNotifications: [Notification]
    }

    /// §3.58 notification: a message about the run, with its level.
    public struct Notification: Encodable, Hashable, Sendable {
        public var level: String
        public var message: Message
    }

    public struct Tool: Encodable, Hashable, Sendable {
        public var driver: Driver
    }

    public struct Driver: Encodable, Hashable, Sendable {
        public var name: String
        public var version: String
        public var semanticVersion: String
        public var informationUri: String?
        public var rules: [Rule]
    }

    public struct Rule: Encodable, Hashable, Sendable {
        public var id: String
        public var name: String
        public var shortDescription: Message
        public var fullDescription: Message?
        public var defaultConfiguration: Configuration
    }

    public struct Configuration: Encodable, Hashable, Sendable {
        public var level: String
    }

    public struct Message: Encodable, Hashable, Sendable {
        public var text: String
    }

    public struct Result: Encodable, Hashable, Sendable {
        public var ruleId: String?
        public var ruleIndex: Int?
        public var level: String
        public var message: Message
        public var locations: [Location]?
    }

    public struct Location: Encodable, Hashable, Sendable {
        public var physicalLocation: PhysicalLocation?
        public var logicalLocations: [LogicalLocation]?
    }

    public struct PhysicalLocation: Encodable, Hashable, Sendable {
        public var artifactLocation: ArtifactLocation
        public var region: Region?
    }

    public struct ArtifactLocation: Encodable, Hashable, Sendable {
        public var uri: String
        public var uriBaseId: String?
    }

    public struct Region: Encodable, Hashable, Sendable {
        public var startLine: Int
        public var startColumn: Int?
    }

    public struct LogicalLocation: Encodable, Hashable, Sendable {
        public var name: String
        public var fullyQualifiedName: String
        public var kind: String
    }
}
