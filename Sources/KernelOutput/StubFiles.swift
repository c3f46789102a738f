import Diagnostics
import Foundation
import PCIConfig
import Registry

/// `acsquirk generate`: C quirk stubs for every entry that is not upstream, one file per vendor
/// (`quirks/<vendor>.c`), with the isolation claim and the evidence in comments.
///
/// A stub file compiles when it follows the kernel's quirks.c definitions (it uses
/// `struct pci_dev_acs_enabled` and `pci_acs_ctrl_enabled()`): new functions as they would go
/// above the table, the rows as a `pci_dev_acs_enabled` array, and ID-list extensions as comments
/// naming the function to extend. `acsquirk patch` places the same code in a real tree.
public struct StubFiles: Sendable {
    /// One output file, path relative to the output directory.
    public struct File: Hashable, Sendable {
        public var path: String
        public var text: String
        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// The stub files, one per vendor (`quirks/<vendor>.c`).
    public var files: [File]

    /// Whether `path` (relative to an output folder) names a stub file: `quirks/*.c`. Such a file
    /// that a run of `generate` or `run` did not write is an earlier run's (a family that left
    /// the registry) and is removed.
    public static func isOutput(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "quirks" && parts[1].hasSuffix(".c") && !parts[1].hasPrefix(".")
    }
    /// Entries without a stub, and why (upstream, or already covered).
    public var skipped: [PatchSeries.Skipped]
    /// Remarks for the user, at the entries' files and lines.
    public var notes: [Diagnostic]

    struct Line { let text: String }

    struct StubHeaderView {
        let vendor: String
        let vendorHex: String
        let entryCount: String
        let literalNote: String?
    }

    struct StubEntryView {
        let vendor: String
        let family: String
        let path: String
        let idList: String
        let codeSummary: String
        let coveredSummary: String?
        let claim: String?
        let statement: String?
        let confirmedBy: String?
        let references: [Line]
    }

    struct EntryView { let commentLines: [Line]; let functionLines: [Line] }
    struct TableView { let arrayName: String; let rowLines: [Line] }
    struct FileView { let headerLines: [Line]; let entries: [EntryView]; let table: TableView? }

    /// Builds the stub files for `entries` (upstream ones are skipped) against `model` (a kernel
    /// tree's table, or the registry's upstream entries). Deterministic: vendors by ID, entries by
    /// family and path.
    public init(entries: [LoadedEntry], model: QuirkTableModel, renderer: CodeRenderer) throws(KernelOutputError) {
        var skipped: [PatchSeries.Skipped] = []
        var notes: [Diagnostic] = []
        var byVendor: [UInt16: [CodePlan]] = [:]
        for loaded in entries.sorted(by: { ($0.entry.vendor, $0.entry.family, $0.path) < ($1.entry.vendor, $1.entry.family, $1.path) }) {
            if loaded.entry.kernel.status == .upstream {
                skipped.append(PatchSeries.Skipped(entry: loaded, reason: "kernel.status is upstream", rule: .alreadyUpstream))
                continue
            }
            try CodePlanner.validate(loaded, forPatch: false)
            guard let plan = try CodePlanner.plan(loaded, model: model) else {
                let cov = EntryCoverage(entry: loaded.entry, model: model)
                let rows = Set(cov.covered.map(\.row.label)).sorted().joined(separator: "; ")
                skipped.append(PatchSeries.Skipped(entry: loaded, reason: "the kernel already covers every device: \(rows)",
                                                    rule: .alreadyCovered))
                continue
            }
            notes += plan.notes
            byVendor[loaded.entry.vendor, default: []].append(plan)
        }

        var usedNames: Set<String> = []
        var files: [File] = []
        for vendor in byVendor.keys.sorted() {
            let plans = byVendor[vendor]!
            let first = plans[0].entry.entry
            let slug = Slug.vendorFolder(first, taken: &usedNames)

            let literal: String?
            if case .literal = plans[0].vendor {
                literal = "Vendor 0x\(hex(vendor, width: 4)) is written as a literal: "
                    + (model.macros == nil
                        ? "check include/linux/pci_ids.h for a PCI_VENDOR_ID_* macro (run with --kernel-tree to resolve it)."
                        : "include/linux/pci_ids.h has no PCI_VENDOR_ID_* macro for it, as for 0x19a2 and 0x10df; "
                            + "add one only if several drivers share the ID.")
            } else {
                literal = nil
            }
            let families = plans.map { CText.singleLine($0.entry.entry.family) }
            let header = StubHeaderView(
                vendor: CodeRenderer.nameField(first.vendorName), vendorHex: "0x" + hex(vendor, width: 4),
                entryCount: CodeRenderer.englishList(families.map(CodeRenderer.nameField)), literalNote: literal)
            let headerLines = CodeRenderer.blockComment(Prose.blocks(renderer.templates.render("stub-header", header)), indent: "")

            var entryViews: [EntryView] = []
            var rowLines: [String] = []
            for plan in plans {
                let e = plan.entry.entry
                let summary: String
                switch plan.kind {
                case let .rows(fn):
                    summary = "table rows calling \(fn)() (below)."
                case let .newFunction(fn, _):
                    summary = "a new function \(fn)() (below) and its table rows."
                case let .extendList(fn):
                    summary = "add the devices to the ID list inside \(fn)(): its vendor-wide row would answer "
                        + "first for them (acsquirk patch shows the exact lines)."
                }
                let covered = plan.coverage.covered.isEmpty ? nil
                    : plan.coverage.covered.map { "\(hex($0.device, width: 4)) by \($0.row.label)" }.joined(separator: ", ")
                // A new function carries the claim in its own comment.
                var claim: String? = renderer.templates.render("claim-comment", CodeRenderer.claimView(e))
                if case .newFunction = plan.kind { claim = nil }
                // The evidence, for the reviewer of the stub (a patch names it in the commit message).
                let confirmed = (e.evidence?.confirmedBy ?? []).map { Identity($0)?.name ?? CText.singleLine($0) }
                let refs = (e.evidence?.references ?? []).map { r in
                    Line(text: CText.singleLine(r.title) + (r.url.map { ": " + $0 } ?? ""))
                }
                let view = StubEntryView(
                    vendor: CodeRenderer.nameField(e.vendorName), family: CodeRenderer.nameField(e.family),
                    path: CodeRenderer.nameField(plan.entry.path),
                    idList: CodeRenderer.idList(vendor: e.vendor, plan.compressedDevices), codeSummary: summary,
                    coveredSummary: covered, claim: claim,
                    statement: e.evidence.map { CodeRenderer.proseField($0.statement) }.flatMap { $0.isEmpty ? nil : $0 },
                    confirmedBy: confirmed.isEmpty ? nil : CodeRenderer.englishList(confirmed.map(CodeRenderer.nameField)),
                    references: refs)
                let comment = CodeRenderer.blockComment(Prose.blocks(renderer.templates.render("stub-entry", view)), indent: "")
                var fnLines: [String] = []
                if case .newFunction = plan.kind {
                    // The function carries its own claim comment.
                    fnLines = renderer.function(plan)
                }
                entryViews.append(EntryView(commentLines: comment.map(Line.init), functionLines: fnLines.map(Line.init)))
                switch plan.kind {
                case .rows, .newFunction: rowLines += renderer.tableRows(plan)
                case .extendList: break
                }
            }
            let table = rowLines.isEmpty ? nil
                : TableView(arrayName: "acsquirk_\(slug.replacingOccurrences(of: "-", with: "_"))_acs_rows",
                            rowLines: rowLines.map(Line.init))
            let text = renderer.templates.render("stub-file",
                                                 FileView(headerLines: headerLines.map(Line.init), entries: entryViews, table: table))
            files.append(File(path: "quirks/\(slug).c", text: text))
        }
        self.files = files
        self.skipped = skipped
        self.notes = notes
    }
}
