import ArgumentParser
import Diagnostics
import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Registry

/// What `check`, `new` and `run` share: loading the registry, messages.
enum PipelineCLI {
    /// One line to stderr.
    static func error(_ s: String) { Console.error(s) }

    /// Text to stdout, all of it.
    static func out(_ s: String) { Console.out(s) }

    /// Loads the registry; prints the loader's diagnostics to stderr. Unreadable paths or files
    /// with errors exit 2 (run `acsquirk lint` for the details).
    static func loadRegistry(_ paths: [String], command: String) throws -> [LoadedEntry] {
        let loaded = Registry.load(paths: paths)
        let printed = CountingDiagnosticCollector(upstream: Console.diagnostics)
        try printed.emit(contentsOf: loaded.diagnostics)
        if printed.errorCount > 0 {
            error("acsquirk \(command): the registry has errors (acsquirk lint \(paths.joined(separator: " ")) shows them)")
            throw ExitStatus.badInput
        }
        return loaded.entries
    }
}
