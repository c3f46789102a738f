/// A position in a source file: 1-based line, 1-based column counted in Unicode scalars
/// (as libyaml counts them).
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How bad a finding is. `error` fails `acsquirk lint` (exit 1); `warning` alone does not.
public enum Severity: String, Hashable, Sendable, CaseIterable, Comparable {
    case warning
    case error

    public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
}

/// One finding about a registry file: where, how bad, which rule, what is wrong.
///
/// Printed as `path:line:col: error: [rule-id] message` (the compiler convention editors and CI
/// log parsers understand); a finding about the file as a whole (a path that does not exist or
/// cannot be read) has no position and prints as `path: error: [rule-id] message`. `rule` is the
/// id of a `LintRule` in `LintRules.all`.
public struct Diagnostic: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// File path as given to the loader (not made absolute).
    public var path: String
    /// 1-based line.
    public var line: Int
    /// 1-based column in Unicode scalars.
    public var column: Int
    public var severity: Severity
    /// Rule id, e.g. `unknown-key`.
    public var rule: String
    /// One line of text saying what is wrong (and where it can, what to write instead).
    public var message: String
    /// False for a finding about the whole file or path (it does not exist, cannot be read):
    /// `line` and `column` are then 1 only for sorting and are not printed.
    public var hasPosition: Bool

    public init(path: String, line: Int, column: Int, severity: Severity, rule: String, message: String) {
        self.path = path
        self.line = max(1, line)
        self.column = max(1, column)
        self.severity = severity
        self.rule = rule
        self.message = message
        self.hasPosition = true
    }

    /// A finding about the path as a whole (no line or column): `path: error: [rule] message`.
    public init(path: String, severity: Severity, rule: String, message: String) {
        self.init(path: path, line: 1, column: 1, severity: severity, rule: rule, message: message)
        hasPosition = false
    }

    public init(path: String, at position: SourcePosition, severity: Severity, rule: String, message: String) {
        self.init(path: path, line: position.line, column: position.column, severity: severity, rule: rule,
                  message: message)
    }

    public var position: SourcePosition { SourcePosition(line: line, column: column) }

    /// `path:line:col: severity: [rule] message`, or `path: severity: [rule] message` without a position.
    public var description: String { "\(location): \(severity.rawValue): [\(rule)] \(message)" }

    /// `path:line:col`, or just `path` for a finding without a position.
    public var location: String { hasPosition ? "\(path):\(line):\(column)" : path }

    /// Sorted by path, then line, column, rule, message.
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.path, a.line, a.column, a.rule, a.message) < (b.path, b.line, b.column, b.rule, b.message)
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
    public var errorCount: Int { filter { $0.severity == .error }.count }
    public var warningCount: Int { filter { $0.severity == .warning }.count }
}
