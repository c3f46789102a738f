import Diagnostics
import Registry

/// Every error KernelOutput throws. The description names the file (and line) and what is wrong.
public enum KernelOutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel tree is missing a file or its text is not what the analysis expects
    /// (e.g. no `pci_dev_acs_enabled[]` in drivers/pci/quirks.c).
    case tree(Diagnostic.Location, String)
    /// A registry entry cannot be turned into safe, reachable kernel code (refused, not escaped).
    case entry(Diagnostic.Location, field: String, String)
    /// A template is missing or does not parse.
    case template(Diagnostic.Location, String)
    /// A command-line value is malformed (`--from`, `--date`, an ENTRY selector).
    case argument(String)
    /// Writing an output file failed; earlier outputs were left untouched.
    case output(Diagnostic.Location, String)
    /// The generated code failed its own check (e.g. the kernel would not reach a new row).
    case selfCheck(Diagnostic.Location, String)

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
    var location: Diagnostic.Location { Diagnostic.Location(file: path, line: line) }
}
