import Foundation

/// One finding of any acsquirk producer: registry lint, the dump and lspci-text readers, `check`
/// (an entry against a device), where it is, how bad it is, which rule found it and what is wrong
/// (after swift-openapi-generator's `Diagnostic`). Collected through a `DiagnosticCollector` and
/// printed by one reporter per format (`DiagnosticFormat`).
public struct Diagnostic: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// How bad a finding is. `error` fails the command (exit 1 for lint and check, 2 for a refused
    /// input); `warning` is something to look at; `note` is information.
    public enum Severity: String, Hashable, Sendable, CaseIterable, Comparable, Codable {
        case note, warning, error

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
    }

    public var severity: Severity
    /// Where: a file (with line and column when known), a PCI function, or both.
    public var location: Location
    /// The id of the rule that found it (`unknown-key`, `port-type`), or `nil` for a reader's
    /// finding about its input's syntax (a dump line libpci would refuse), which has no rule.
    public var rule: String?
    /// One line saying what is wrong (and where it can, what to write instead).
    public var message: String
    /// What to do about it, when there is more to say than the message (one line or more).
    public var help: String?
    /// For a dump that libpci 3.9 refuses: the message libpci itself gives up with on this input
    /// (pciutils lib/dump.c `dump_init`), e.g. `dump: Malformed line`.
    public var libpciMessage: String?

    public init(_ severity: Severity, _ location: Location, rule: String?, message: String, help: String? = nil,
                libpciMessage: String? = nil) {
        self.severity = severity
        self.location = location
        self.rule = rule
        self.message = message
        self.help = help
        self.libpciMessage = libpciMessage
    }

    /// A finding at `line`:`column` of `path` (both 1-based; column in Unicode scalars).
    public init(path: String, line: Int, column: Int, severity: Severity, rule: String, message: String) {
        self.init(severity, Location(file: path, line: max(1, line), column: max(1, column)), rule: rule, message: message)
    }

    /// A finding about the path as a whole (no line or column): it does not exist, cannot be read.
    public init(path: String, severity: Severity, rule: String, message: String) {
        self.init(severity, Location(file: path), rule: rule, message: message)
    }

    /// The file the finding is in, when it is in one.
    public var path: String? { location.file }
    /// 1-based line, when known.
    public var line: Int? { location.line }
    /// 1-based column in Unicode scalars, when known.
    public var column: Int? { location.column }

    /// The PCI function (`dddd:bb:dd.f`) the finding is about, when it is about one.
    public var bdf: String? { location.device?.bdf }

    /// The text format (`TextReporter`): `path:line:col: severity: [rule] message`.
    public var description: String { TextReporter.line(self) }

    /// Sorted by file (findings without a file last), line, device, column, rule, message.
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        let (x, y) = (a.sortKey, b.sortKey)
        return x != y ? x < y : a.message < b.message
    }

    private var sortKey: (Int, String, Int, String, Int, String) {
        (location.file == nil ? 1 : 0, location.file ?? "", location.line ?? 0, location.device?.bdf ?? "",
         location.column ?? 0, rule ?? "")
    }
}

extension Diagnostic {
    /// Where a finding is. A registry finding names its file, line and column; a dump finding its
    /// file and line; a `check` finding about an entry names the entry's file and line and the
    /// function, and one about the machine names only the function (and the dump it was read from).
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        /// The file path as the user gave it (not made absolute).
        public var file: String?
        /// 1-based line.
        public var line: Int?
        /// 1-based column in Unicode scalars (as libyaml counts them).
        public var column: Int?
        /// The PCI function the finding is about.
        public var device: Device?

        public init(file: String? = nil, line: Int? = nil, column: Int? = nil, device: Device? = nil) {
            self.file = file
            self.line = line
            self.column = column
            self.device = device
        }

        /// The file to point at: `file`, else the dump the device was read from.
        public var artifact: String? { file ?? device?.input }

        /// `text`, else the function's address (in error messages: `path:line: what is wrong`).
        public var description: String { text ?? device?.bdf ?? "" }

        /// `path:line:col`, `path:line`, `path`, or `nil` when the finding is in no file.
        public var text: String? {
            guard let file else { return nil }
            var s = file
            if let line {
                s += ":\(line)"
                if let column { s += ":\(column)" }
            }
            return s
        }
    }

    /// A PCI function as a location: its address and IDs, and the input it was read from.
    public struct Device: Hashable, Sendable {
        /// `dddd:bb:dd.f`, as `lspci -D` prints it.
        public var bdf: String
        /// `vvvv:dddd`.
        public var id: String?
        /// The dump file the function was read from; `nil` for this machine (sysfs).
        public var input: String?

        public init(bdf: String, id: String? = nil, input: String? = nil) {
            self.bdf = bdf
            self.id = id
            self.input = input
        }
    }
}

/// One JSON shape for a diagnostic wherever it appears (`lint --format json`, `check --format
/// json`; docs/schemas/lint.schema.json and check.schema.json): `severity`, `rule`, `message`;
/// `path`, `line`, `column` when it is in a file (`line` and `column` null when the finding is
/// about the whole file); `bdf`, `id` and `input` (the dump it was read from) when it is about a
/// function; `help` when there is some.
extension Diagnostic: Codable {
    enum Keys: String, CodingKey { case severity, rule, message, help, path, line, column, bdf, id, input }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(severity, forKey: .severity)
        try c.encodeIfPresent(rule, forKey: .rule)
        try c.encode(message, forKey: .message)
        try c.encodeIfPresent(help, forKey: .help)
        if let file = location.file {
            try c.encode(file, forKey: .path)
            try c.encode(location.line, forKey: .line)
            try c.encode(location.column, forKey: .column)
        }
        if let device = location.device {
            try c.encode(device.bdf, forKey: .bdf)
            try c.encodeIfPresent(device.id, forKey: .id)
            try c.encodeIfPresent(device.input, forKey: .input)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let device = try c.decodeIfPresent(String.self, forKey: .bdf).map {
            Device(bdf: $0, id: try c.decodeIfPresent(String.self, forKey: .id),
                   input: try c.decodeIfPresent(String.self, forKey: .input))
        }
        self.init(try c.decode(Severity.self, forKey: .severity),
                  Location(file: try c.decodeIfPresent(String.self, forKey: .path),
                           line: try c.decodeIfPresent(Int.self, forKey: .line),
                           column: try c.decodeIfPresent(Int.self, forKey: .column), device: device),
                  rule: try c.decodeIfPresent(String.self, forKey: .rule), message: try c.decode(String.self, forKey: .message),
                  help: try c.decodeIfPresent(String.self, forKey: .help))
    }
}

extension Sequence where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
    public var errorCount: Int { count(.error) }
    public var warningCount: Int { count(.warning) }
    public var noteCount: Int { count(.note) }
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { filter { $0.severity == .warning } }

    public func count(_ severity: Diagnostic.Severity) -> Int {
        reduce(0) { $0 + ($1.severity == severity ? 1 : 0) }
    }
}

/// What a rule is, for the reporters that describe their rules (SARIF's `reportingDescriptor`,
/// OASIS SARIF 2.1.0 §3.49).
public struct DiagnosticRule: Hashable, Sendable {
    /// `unknown-key`.
    public var id: String
    /// One sentence.
    public var shortDescription: String
    /// Why the rule exists, when there is more to say.
    public var fullDescription: String?
    public var defaultSeverity: Diagnostic.Severity

    public init(id: String, shortDescription: String, fullDescription: String? = nil, defaultSeverity: Diagnostic.Severity) {
        self.id = id
        self.shortDescription = shortDescription
        self.fullDescription = fullDescription
        self.defaultSeverity = defaultSeverity
    }
}
