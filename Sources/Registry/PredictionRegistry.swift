import Diagnostics
import Foundation

/// The registry as the IOMMU-group predictor and `check`-like commands use it: the kernel's
/// `pci_dev_acs_enabled[]` always comes from the **shipped** registry's `upstream` entries
/// (`quirks/` of the binary's home, `Registry.shippedRegistryPath()`, from any working
/// directory), and registry paths given by the user only add what-if material on top. A user
/// registry therefore can never drop or replace the kernel's table (a folder holding one `new`
/// entry used to leave the table empty).
public struct PredictionRegistry: Sendable {
    /// The shipped registry folder the kernel table was read from.
    public var shippedPath: String
    /// The kernel's table: the shipped registry's `upstream` entries (in load order; use
    /// `Registry.kernelTable` or `QuirkTable` for table order).
    public var kernel: [LoadedEntry]
    /// What-if material (`--with-registry`): every entry that is not part of the kernel table:
    /// the shipped registry's entries that are not `upstream`, and every entry of the extra paths
    /// except copies of a shipped upstream entry. Sorted by path.
    public var whatIf: [LoadedEntry]
    /// Warnings worth printing, at the entry's file and line (rule `upstream-not-shipped`: an
    /// extra `upstream` entry the shipped table does not have, which is treated as what-if
    /// material). Errors never land here: they throw.
    public var warnings: [Diagnostic]

    /// The rule of the warning about an extra `upstream` entry missing from the shipped table.
    public static let upstreamNotShippedRule = "upstream-not-shipped"

    /// The kernel table's entries.
    public var kernelEntries: [QuirkEntry] { kernel.map(\.entry) }
    /// The what-if entries.
    public var whatIfEntries: [QuirkEntry] { whatIf.map(\.entry) }
}

/// Why the registry cannot be used for a prediction. `description` is a complete message for
/// stderr (commands exit 2).
public enum PredictionRegistryError: Error, CustomStringConvertible, Sendable {
    /// No `quirks/` where `ProjectResources.lookup` looks: `looked` names every place looked at,
    /// in order.
    case shippedNotFound(looked: [String])
    /// The shipped registry has errors (or no upstream entries): the kernel table would be wrong.
    case shippedInvalid(path: String, diagnostics: [Diagnostic])
    /// A registry path given by the user cannot be read or has errors.
    case extraInvalid(paths: [String], diagnostics: [Diagnostic])

    public var description: String {
        switch self {
        case let .shippedNotFound(looked):
            return "cannot find the shipped registry (quirks/), which holds the kernel's quirk table; looked at:\n"
                + looked.map { "  " + $0 + "\n" }.joined()
                + "install acsquirk with `make install` (PREFIX/share/acsquirk), or set \(ProjectResources.homeVariable) "
                + "to a directory that holds quirks/ and templates/ (an acsquirk checkout)"
        case let .shippedInvalid(path, diags):
            if diags.isEmpty {
                return "the shipped registry \(path) holds no upstream entries, so the kernel's quirk table would be empty "
                    + "(regenerate it with `acsquirk import-kernel`)"
            }
            return "the shipped registry \(path) has errors, so the kernel's quirk table cannot be built:\n"
                + diags.map(\.description).joined(separator: "\n")
        case let .extraInvalid(paths, diags):
            return "registry \(paths.joined(separator: ", ")) cannot be used:\n"
                + diags.map(\.description).joined(separator: "\n")
        }
    }
}

extension Registry {
    /// The shipped registry folder: `quirks/` as `ProjectResources.lookup` finds it
    /// (`../share/acsquirk` next to the executable, `$ACSQUIRK_HOME`, the checkout holding the
    /// executable, the checkout it was built from), written relative to the current directory when
    /// it lies under it (`quirks` inside the checkout, so diagnostics keep short paths).
    /// - Throws: `.shippedNotFound` naming every place looked at.
    public static func shippedRegistryPath() throws(PredictionRegistryError) -> String {
        let found = ProjectResources.lookup("quirks")
        guard let path = found.path else { throw .shippedNotFound(looked: found.looked) }
        return ProjectResources.relative(path, to: FileManager.default.currentDirectoryPath)
    }

    /// The registry a command works on when it is given no registry paths: `./quirks` when the
    /// current directory has one (an acsquirk checkout, a fork, the folder `acsquirk new` writes
    /// into), else the shipped registry. The kernel's table never comes from here: see
    /// `loadForPrediction(extra:)`.
    /// - Throws: `.shippedNotFound` when there is no `./quirks` and no shipped registry.
    public static func workingRegistryPath() throws(PredictionRegistryError) -> String {
        if let local = addedRegistryPaths([]).first { return local }
        return try shippedRegistryPath()
    }

    /// What a command adds to the shipped registry for a prediction (`loadForPrediction(extra:)`)
    /// when it reads devices: `given` (`--registry`) when not empty, else `./quirks` when the
    /// current directory has one (as `workingRegistryPath()`), else nothing: the shipped registry
    /// alone, whose absence `loadForPrediction` reports.
    public static func addedRegistryPaths(_ given: [String]) -> [String] {
        if !given.isEmpty { return given }
        return ProjectResources.isDirectory("quirks") ? ["quirks"] : []
    }

    /// Loads the registry for predicting IOMMU groups: the kernel table from the shipped
    /// registry (`shipped`, default `shippedRegistryPath()`), and what-if material from it and
    /// from `extra` (files or folders, e.g. `--registry PATH`). Paths of `extra` that are the
    /// shipped registry itself (or files inside it) add nothing twice.
    ///
    /// - Throws: `PredictionRegistryError`: `.shippedNotFound`; `.shippedInvalid` when the
    ///   shipped registry has any error or no upstream entry (a partial table would predict the
    ///   wrong groups); `.extraInvalid` when an extra path does not exist or has errors.
    public static func loadForPrediction(extra: [String] = [], shipped: String? = nil)
        throws(PredictionRegistryError) -> PredictionRegistry {
        let shippedPath: String
        if let shipped { shippedPath = shipped } else { shippedPath = try shippedRegistryPath() }
        let base = load(paths: [shippedPath])
        if base.diagnostics.hasErrors {
            throw .shippedInvalid(path: shippedPath, diagnostics: base.diagnostics.filter { $0.severity == .error })
        }
        let kernel = base.entries.filter { $0.entry.kernel.status == .upstream }
        if kernel.isEmpty { throw .shippedInvalid(path: shippedPath, diagnostics: []) }
        var whatIf = base.entries.filter { $0.entry.kernel.status != .upstream }
        var warnings: [Diagnostic] = []

        if !extra.isEmpty {
            let loaded = load(paths: extra)
            if loaded.diagnostics.hasErrors {
                throw .extraInvalid(paths: extra, diagnostics: loaded.diagnostics.filter { $0.severity == .error })
            }
            let shippedFiles = Set(base.entries.map { canonical($0.path) })
            let upstream = Set(kernel.map(\.entry))
            var seen = Set<String>()
            for e in loaded.entries {
                let file = canonical(e.path)
                if shippedFiles.contains(file) || !seen.insert(file).inserted { continue }
                if e.entry.kernel.status == .upstream {
                    if upstream.contains(e.entry) { continue }
                    warnings.append(Diagnostic(.warning, .init(file: e.path, line: e.line), rule: PredictionRegistry.upstreamNotShippedRule,
                        message: "upstream entry \(e.entry.vendorName) \(e.entry.family) is not in the shipped registry's kernel "
                            + "table (\(shippedPath)); it is what-if material, consulted before the kernel's rows"))
                }
                whatIf.append(e)
            }
        }
        whatIf.sort { ($0.path, $0.line) < ($1.path, $1.line) }
        return PredictionRegistry(shippedPath: shippedPath, kernel: kernel, whatIf: whatIf, warnings: warnings)
    }

    /// The entries of `others` that add something to `entries`: each one that is neither the same
    /// file nor the same content (a fork's copy of a shipped entry) as one of `entries` or an
    /// earlier one of `others`, in order.
    public static func newEntries(in others: [LoadedEntry], besides entries: [LoadedEntry]) -> [LoadedEntry] {
        var files = Set(entries.map { canonical($0.path) }), contents = Set(entries.map(\.entry))
        return others.filter { e in
            guard files.insert(canonical(e.path)).inserted, contents.insert(e.entry).inserted else { return false }
            return true
        }
    }

    /// `path` absolute, standardized and with symlinks resolved (to recognise one file given twice).
    public static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
