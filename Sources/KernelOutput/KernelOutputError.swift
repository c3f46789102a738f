import Registry

/// Where a problem is: a file and, when known, a 1-based line.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?

    public init(path: String, line: Int? = nil) {
        self.path = path
        self.line = line
    }

    /// `path:line` or `path`.
    public var description: String { line.map { "\(path):\($0)" } ?? path }
}

/// Every error KernelOutput throws. The description names the file (and line) and what is wrong.
public enum KernelOutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel tree is missing a file or its text is not what the analysis expects
    /// (e.g. no `pci_dev_acs_enabled[]` in drivers/pci/quirks.c).
    case tree(SourceLocation, String)
    /// A registry entry cannot be turned into safe, reachable kernel code (refused, not escaped).
    case entry(SourceLocation, field: String, String)
    /// A template is missing or does not parse.
    case template(SourceLocation, String)
    /// A command-line value is malformed (`--from`, `--date`, an ENTRY selector).
    case argument(String)
    /// Writing an output file failed; earlier outputs were left untouched.
    case output(SourceLocation, String)
    /// The generated code failed its own check (e.g. the kernel would not reach a new row).
    case selfCheck(SourceLocation, String)

    public var description: String {
        switch self {
        case let .tree(loc, msg): "\(loc): \(msg)"
        case let .entry(loc, field, msg): "\(loc): \(field): \(msg)"
        case let .template(loc, msg): "\(loc): template: \(msg)"
        case let .argument(msg): msg
        case let .output(loc, msg): "\(loc): cannot write: \(msg)"
        case let .selfCheck(loc, msg): "\(loc): generated code rejected: \(msg)"
        }
    }
}

extension LoadedEntry {
    /// The entry's file and line, for error messages.
    var location: SourceLocation { SourceLocation(path: path, line: line) }
}
