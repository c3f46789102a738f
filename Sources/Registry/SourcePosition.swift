import Diagnostics

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

extension Diagnostic {
    /// A registry finding at `position` of `path`.
    public init(path: String, at position: SourcePosition, severity: Severity, rule: String, message: String) {
        self.init(path: path, line: position.line, column: position.column, severity: severity, rule: rule, message: message)
    }

    /// The line and column, when the finding has them.
    public var position: SourcePosition? { line.map { SourcePosition(line: $0, column: column ?? 1) } }
}
