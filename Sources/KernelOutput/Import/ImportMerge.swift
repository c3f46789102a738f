import Diagnostics
import Foundation
import PCIConfig
import Registry
import SafeFiles

extension KernelImporter {
    /// One file `import-kernel` writes: the entry and where.
    public struct PlannedFile: Sendable {
        public var entry: QuirkEntry
        public var path: String
        /// Path of the existing non-upstream entry this one turns upstream, nil for a family file.
        public var merged: Bool
        /// What the maintainer should check, at the entry's file and line (rule
        /// `sinceFromStableTreeRule`: `since` written as a bound from a stable tree).
        public var warnings: [Diagnostic]
    }

    /// The rule of the warning that `kernel.since` was written as `<=vX.Y` from a stable tree.
    public static let sinceFromStableTreeRule = "since-from-stable-tree"

    /// The files to write for `result` into the registry folder `out` that already holds
    /// `existing` (its loaded entries; pass [] for an empty folder).
    ///
    /// A family of the tree whose rows are the rows of an existing `new` or `submitted` entry
    /// (same vendor, its device IDs all among the entry's, no `PCI_ANY_ID` row, and the quirk
    /// function claims for the entry's devices exactly what the entry claims:
    /// `QuirkShape.claimsExactly`, the rule the patch generator reuses a function by) — e.g. the
    /// rows acsquirk's own patch added, once merged — turns
    /// THAT file upstream in place when the families together cover every device ID of the entry:
    /// `kernel.status upstream`, `function`, `table` (the tree's rows), `unlisted` and `since` from
    /// the tree; the entry's family, devices, `applies-to`, isolation, evidence and `link` are
    /// kept. `since`: the entry's own `since` when it has a valid one, else the import's (the
    /// built-in map, or `<=vX.Y` of a mainline tree); from a stable tree, where the first mainline
    /// release is unknowable, the series `<=vX.Y` so the entry lints, with a note and a warning
    /// telling the maintainer to write the release that merged it. Every other family is written
    /// to `<out>/<vendor>/<family>.yaml` as `write(_:to:)` does.
    public static func plan(_ result: Result, existing: [LoadedEntry], out: String) -> [PlannedFile] {
        var claimed = Set<Int>()   // indices into result.entries merged into an existing file
        var files: [PlannedFile] = []
        for old in existing where old.entry.kernel.status != .upstream {
            let ids = Set(old.entry.devices.flatMap(\.ids))
            guard !ids.isEmpty else { continue }
            let parts = result.entries.indices.filter { i in
                let e = result.entries[i]
                return !claimed.contains(i) && e.vendor == old.entry.vendor && !e.kernel.table.isEmpty
                    && e.kernel.table.allSatisfy({ $0.device != nil })
                    && Set(e.devices.flatMap(\.ids)).isSubset(of: ids)
                    && QuirkShape(e).claimsExactly(QuirkShape(old.entry))
            }
            guard !parts.isEmpty, Set(parts.flatMap { result.entries[$0].devices.flatMap(\.ids) }) == ids,
                  Set(parts.compactMap { result.entries[$0].kernel.function }).count == 1 else { continue }
            claimed.formUnion(parts)
            let imported = parts.map { result.entries[$0] }
            var entry = old.entry
            var notes: [String] = []
            var warnings: [Diagnostic] = []
            var since: String?
            if let s = old.entry.kernel.since, let r = KernelRelease(s), r.sublevel == nil {
                since = s
            } else if let s = imported.compactMap(\.kernel.since).first {
                since = s
            } else if let r = KernelRelease("v" + result.kernelVersion) {
                since = "<=" + r.mainline
                notes.append("kernel.since <=\(r.mainline) was written by import-kernel from the stable tree \(result.kernelVersion), which cannot tell the first mainline release: replace it with the release that merged the patch.")
                warnings.append(Diagnostic(.warning, .init(file: old.path, line: old.line), rule: Self.sinceFromStableTreeRule,
                    message: "since <=\(r.mainline) written from stable tree \(result.kernelVersion); replace it with the "
                        + "mainline release that merged the quirk"))
            }
            let importNotes = imported.compactMap(\.kernel.note).filter { !$0.hasPrefix("First mainline release not recorded; present in stable") }
            let allNotes = [old.entry.kernel.note].compactMap { $0 } + importNotes.flatMap { $0.split(separator: "\n").map(String.init) }
                .filter { !$0.hasPrefix("First mainline release not recorded; present in stable") } + notes
            entry.kernel = KernelStatus(
                status: .upstream, function: imported[0].kernel.function, since: since, link: old.entry.kernel.link,
                table: imported.flatMap(\.kernel.table).sorted { $0.row < $1.row },
                unlisted: imported[0].kernel.unlisted, note: allNotes.isEmpty ? nil : allNotes.joined(separator: "\n"))
            files.append(PlannedFile(entry: entry, path: old.path, merged: true, warnings: warnings))
        }
        for (i, e) in result.entries.enumerated() where !claimed.contains(i) {
            files.append(PlannedFile(entry: e, path: RegistryWriter.path(for: e, root: out), merged: false, warnings: []))
        }
        return files
    }

    /// Writes planned files (paths under `out`, as `plan` makes them) together or not at all
    /// (`OutputFolder.replace`: other files in `out` are kept); `written` holds their paths.
    public static func write(_ files: [PlannedFile], into out: String) throws(FileError) -> WriteReport {
        let root = out.hasSuffix("/") ? out : out + "/"
        var outputs: [OutputFolder.File] = []
        for f in files {
            guard f.path.hasPrefix(root) else { throw FileError(f.path, "is not inside \(out)") }
            outputs.append(OutputFolder.File(String(f.path.dropFirst(root.count)), RegistryWriter.yaml(f.entry)))
        }
        var report = try OutputFolder(out).replace(with: outputs)
        report.written = files.map(\.path)
        return report
    }
}
