import ArgumentParser
import Diagnostics
import Foundation
import KernelOutput
import PCIAccess
import Registry
import SafeFiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `generate` and `patch` share: registry loading, template lookup, messages.
enum KernelOutputCLI {
    /// One line to stderr.
    static func error(_ s: String) { Console.error(s) }

    /// One line to stdout.
    static func say(_ s: String) { Console.line(s) }

    /// Loads the registry and runs every lint rule over it (`Registry.lint`, the same check as
    /// `acsquirk lint`): code is only generated from entries that pass lint. Prints every
    /// diagnostic to stderr; on any error (a file that does not load, or an entry that fails a
    /// lint rule) says so and exits 2, writing nothing.
    static func loadRegistry(_ paths: [String]) throws -> [LoadedEntry] {
        let result = Registry.lint(paths: paths, options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        let printed = CountingDiagnosticCollector(upstream: Console.diagnostics)
        try printed.emit(contentsOf: result.diagnostics)
        if printed.errorCount > 0 {
            let files = Set(result.diagnostics.errors.map(\.path)).count
            error("acsquirk: the registry has \(printed.errorCount) lint error(s) in \(files) file(s) "
                  + "(run acsquirk lint); no code is generated from entries that fail lint; nothing written")
            throw ExitStatus.badInput
        }
        return result.entries
    }

    /// The templates from --templates, else the shipped ones (`TemplateSet.locate`).
    static func templates(_ explicit: String?) throws -> CodeRenderer {
        CodeRenderer(templates: try TemplateSet(directory: TemplateSet.locate(explicit: explicit)))
    }

    /// Writes `files` into the folder `out` (`OutputFolder.replace`: together or not at all),
    /// removing the files of an earlier run that `stale` recognises (by their path relative to
    /// `out`, and their text where that decides: `PatchSeries.isEarlierPatch`). Prints what the
    /// write has to say (leftovers of interrupted runs removed, notes) to stderr; an error is
    /// printed and becomes exit 2.
    static func write(_ files: [(path: String, text: String)], into out: String,
                      stale: (OutputFolder.Existing) -> Bool = { _ in false }) throws -> WriteReport {
        do throws(FileError) {
            let report = try OutputFolder(out).replace(with: files.map { OutputFolder.File($0.path, $0.text) },
                                                       stale: stale)
            for m in report.messages { error("acsquirk: \(m)") }
            return report
        } catch {
            self.error("acsquirk: \(error) (nothing written)")
            throw ExitStatus.badInput
        }
    }

    /// Runs `body`; a KernelOutputError is printed and becomes exit 2.
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as KernelOutputError {
            error("acsquirk: \(e)")
            throw ExitStatus.badInput
        }
    }
}
