import Foundation
import KernelOutput
import PCIAccess
import PCIConfig
import Registry
import StaticACS
import Topology

/// What `acsquirk run` is asked to do.
public struct RunConfiguration: Sendable {
    /// Registry files or folders: the entries to lint, check and generate code for (`quirks`).
    public var registry: [String]
    /// The shipped registry (`Registry.shippedRegistryPath()`): its upstream entries are the
    /// kernel's table and its other entries coverage, whatever `registry` holds, so a run on a
    /// folder of new entries never predicts with an empty table. `nil`: `registry` alone.
    public var shipped: String?
    /// An `lspci -xxxx` dump; `nil`: this machine through sysfs.
    public var dump: String?
    /// A kernel source tree: the quirk table is read from it and a patch series is written.
    public var kernelTree: String?
    /// Output directory (`out`).
    public var out: String
    /// Templates directory (`nil`: the shipped templates, `TemplateSet.locate`).
    public var templates: String?
    /// Platform and kernel assumptions for the check and the groups.
    public var check: CheckOptions
    /// pci.ids file for names and the unknown-vendor lint rule (`nil`: libpci's).
    public var pciIDs: String?
    /// The patches' submitter (`From:`, `Signed-off-by:`; see `Submitter.resolve`). `nil` with a
    /// kernel tree: the patch stage refuses (exit 2, no patch written, earlier stages' files kept).
    /// Never an entry's `confirmed-by`: those are named in the message and copied (`Cc:`).
    public var from: Identity?

    public init(registry: [String] = ["quirks"], shipped: String? = nil, dump: String? = nil, kernelTree: String? = nil,
                out: String = "out", templates: String? = nil, check: CheckOptions = CheckOptions(), pciIDs: String? = nil,
                from: Identity? = nil) {
        self.from = from
        self.registry = registry
        self.shipped = shipped
        self.dump = dump
        self.kernelTree = kernelTree
        self.out = out
        self.templates = templates
        self.check = check
        self.pciIDs = pciIDs
    }
}

/// The outcome of `acsquirk run`.
///
/// Exit status (`exitCode`): **0** the registry lints clean and no entry contradicts a device
/// present (warnings, notes, devices without an entry, a machine without PCIe functions or without
/// IOMMU groups are all fine); **1** lint errors (the run stops after lint and writes nothing) or
/// an entry contradicts its device (every stage still runs and writes its files); **2** bad input:
/// an unreadable registry path, dump or kernel tree, missing templates, an entry the generators
/// refuse, or an output file that cannot be written.
public struct RunResult: Sendable {
    public var lint: LintResult?
    public var functions: [PCIFunction]
    public var check: CheckReport?
    /// Output files written, relative to `out`, sorted.
    public var written: [String]
    /// Stage lines as printed (`[1/7] lint: ...`).
    public var progress: [String]
    /// Problems that stopped the run or that the user must see (lint errors, generation errors).
    public var errors: [String]
    public var exitCode: Int32
    /// The closing summary (several lines).
    public var summary: String
}

/// The whole pipeline, stage by stage: lint → scan → check → groups → C stubs → static ACS tables
/// → patch series (with a kernel tree). Each stage is one of the library calls the single
/// commands use (`Registry.lint`, `PCIReader.load`, `RegistryCheck.run`, the group predictor,
/// `StubFiles`, `StaticACSTable`, `PatchSeries`); this only wires them together and writes files
/// under `out` (each stage's files all-or-nothing, through `OutputWriter`).
public enum PipelineRunner {
    /// Stage names in order.
    public static let stages = ["lint", "scan", "check", "groups", "generate", "acs-tables", "patch"]

    /// Runs the pipeline; `progress` gets one line per stage as it finishes.
    public static func run(_ config: RunConfiguration, progress report: (String) -> Void = { _ in }) -> RunResult {
        // One default kernel profile for every stage (the same as `groups` and `check`).
        var config = config
        let explicitKernel = config.check.kernel
        let kernel = KernelProfile.resolve(explicitKernel, live: config.dump == nil)
        config.check.kernel = kernel.profile.rawValue
        config.check.kernelNote = kernel.note
        config.check.dump = config.dump
        var result = RunResult(lint: nil, functions: [], check: nil, written: [], progress: [], errors: [], exitCode: 0, summary: "")
        var n = 0
        func stage(_ text: String) {
            n += 1
            let line = "[\(n)/\(stages.count)] \(text)"
            result.progress.append(line)
            report(line)
        }
        func fail(_ code: Int32, _ message: String) -> RunResult {
            result.errors.append(message)
            result.exitCode = code
            result.summary = summaryText(result, config: config)
            return result
        }
        /// Writes `files` under `--out`; `stale` names the folder whose `*<ext>` files of an
        /// earlier run this run did not write are removed (a family that left the registry must
        /// not leave its stub behind).
        func write(_ files: [(path: String, text: String)], stale: (folder: String, ext: String)? = nil)
            throws(KernelOutputError) {
            if let stale {
                try OutputWriter.write(files, under: config.out, removingStale: stale.ext, in: [stale.folder])
            } else {
                try OutputWriter.write(files, under: config.out)
            }
            result.written += files.map(\.path)
        }

        // 1. lint
        var lintOptions = LintOptions.standard
        if let ids = config.pciIDs, let db = try? PCINameDatabase(idsPath: ids) {
            lintOptions = LintOptions(vendorName: { db.vendorName($0) })
        }
        let lint = Registry.lint(paths: config.registry, options: lintOptions)
        result.lint = lint
        stage("lint: \(LintReporter.summary(lint.diagnostics, files: lint.files.count))")
        if lint.unreadable {
            return fail(2, "the registry cannot be read: " + lint.diagnostics.filter { $0.rule == LintRules.unreadable.id }.map(\.description).joined(separator: "; "))
        }
        if lint.diagnostics.hasErrors {
            return fail(1, "the registry has lint errors: nothing else was run or written (acsquirk lint \(config.registry.joined(separator: " ")))")
        }
        let entries = lint.entries
        // The kernel's table (and coverage) from the shipped registry, whatever was linted.
        var context: [LoadedEntry] = []
        if let shipped = config.shipped {
            do throws(PredictionRegistryError) {
                let reg = try Registry.loadForPrediction(shipped: shipped)
                context = Registry.newEntries(in: reg.kernel + reg.whatIf, besides: entries)
            } catch {
                return fail(2, error.description)
            }
        }
        let kernelContext = context.filter { $0.entry.kernel.status == .upstream }

        // 2. scan
        let source: PCISource = config.dump.map { .dump(path: $0) } ?? .live()
        let read: PCIReadResult
        do throws(PCIAccessError) {
            read = try PCIReader.load(source, names: true, idsPath: config.pciIDs)
        } catch {
            return fail(2, error.message)
        }
        if config.dump != nil && read.functions.isEmpty {
            return fail(2, "\(config.dump!): error: no PCI functions in this dump")
        }
        result.functions = read.functions
        // A snapshot ran a known kernel: its profile, as live.
        let resolved = KernelProfile.resolve(explicitKernel, live: config.dump == nil, recordedRelease: read.recorded?.kernelRelease)
        config.check.kernel = resolved.profile.rawValue
        config.check.kernelNote = resolved.note
        let scan = ScanReport(read)
        let pcie = read.functions.filter { $0.portType != nil }.count
        var acsCounts = (present: 0, absent: 0, unknown: 0)
        for f in read.functions {
            switch f.acs {
            case .present: acsCounts.present += 1
            case .absent: acsCounts.absent += 1
            case .unknown: acsCounts.unknown += 1
            }
        }
        let label = config.dump.map { ($0 as NSString).lastPathComponent } ?? "this machine (sysfs)"
        do throws(KernelOutputError) {
            try write([("scan.txt", scan.text()), ("scan.json", scan.json())])
        } catch {
            return fail(2, error.description)
        }
        stage("scan: \(read.functions.count) functions from \(label), \(pcie) PCI Express; ACS present on \(acsCounts.present), "
            + "absent on \(acsCounts.absent), unknown on \(acsCounts.unknown)")

        // 3. check
        let check = RegistryCheck.run(functions: read.functions, entries: entries, context: context, source: label,
                                      options: config.check, inputNotes: read.inputNotes)
        result.check = check
        do throws(KernelOutputError) {
            try write([("check.txt", check.text()), ("check.json", check.json())])
        } catch {
            return fail(2, error.description)
        }
        stage("check: \(check.summary)")

        // 4. groups
        let groups = GroupsStage.run(functions: read.functions, entries: kernelContext + entries, source: source, label: label,
                                     options: config.check, recorded: read.recorded, inputNotes: read.inputNotes)
        do throws(KernelOutputError) {
            try write(groups.files)
        } catch {
            return fail(2, error.description)
        }
        stage("groups: \(groups.summary)")

        // 5. generate
        let renderer: CodeRenderer
        let model: QuirkTableModel
        var tree: KernelTreeFiles?
        var quirksSource: QuirksSource?   // quirks.c read once, for the stubs and the patches
        do throws(KernelOutputError) {
            renderer = CodeRenderer(templates: try TemplateSet(directory: TemplateSet.locate(explicit: config.templates)))
            if let dir = config.kernelTree {
                let t = try KernelTreeFiles(root: dir)
                tree = t
                let s = try t.source()
                quirksSource = s
                model = QuirkTableModel(source: s)
            } else {
                model = QuirkTableModel(upstream: (kernelContext + entries).map(\.entry))
            }
        } catch {
            return fail(2, error.description)
        }
        let pending = entries.filter { $0.entry.kernel.status != .upstream }
        do throws(KernelOutputError) {
            let stubs = try StubFiles(entries: entries, model: model, renderer: renderer)
            try write(stubs.files.map { ($0.path, $0.text) }, stale: ("quirks", ".c"))
            let covered = stubs.skipped.filter { $0.entry.entry.kernel.status != .upstream }
            var line = "generate: \(count(stubs.files.count, "C stub file")) for \(count(pending.count, "entry", "entries")) not upstream"
            if !covered.isEmpty { line += " (\(covered.count) already covered by the kernel)" }
            if pending.isEmpty { line += " (every entry is upstream: nothing to generate)" }
            stage(line)
        } catch {
            return fail(2, error.description)
        }

        // 6. static ACS tables
        let tables = StaticTablesStage.files(for: entries)
        do throws(KernelOutputError) {
            try write(tables.files, stale: ("acs-tables", ".h"))
        } catch {
            return fail(2, error.description)
        }
        stage("acs-tables: \(tables.summary)")

        // 7. patch
        var refused: String?
        let patchesDir = (config.out as NSString).appendingPathComponent("patches")
        if let tree, config.from == nil {
            // No submitter: no patch is written (stale ones from an earlier run are removed so
            // that out/patches never holds patches this run did not make); the other stages'
            // files stand, and the run exits 2 after writing the summary.
            do throws(KernelOutputError) {
                try OutputWriter.write([], under: patchesDir, removingStale: ".patch", isOurs: PatchSeries.isAcsquirkMessage)
            } catch {
                return fail(2, error.description)
            }
            refused = Submitter.missingMessage
            stage("patch: refused against \(tree.root): \(Submitter.missingMessage)")
        } else if let tree, let quirksSource, let from = config.from {
            do throws(KernelOutputError) {
                let series = try PatchSeries(entries: pending, source: quirksSource, fileMode: tree.fileMode,
                                             renderer: renderer, from: from, date: nil)
                // Stale patches are looked for in OUT/patches only: OUT itself may hold a series
                // `acsquirk patch --out OUT` wrote, which is not this run's to remove.
                try OutputWriter.write(series.files, under: patchesDir, removingStale: ".patch",
                                       isOurs: PatchSeries.isAcsquirkMessage)
                result.written += series.files.map { "patches/" + $0.path }
                stage("patch: \(series.patches.count) patch\(series.patches.count == 1 ? "" : "es") against \(tree.root)"
                    + (series.patches.isEmpty ? " (the tree covers every entry)" : ""))
            } catch {
                return fail(2, error.description)
            }
        } else {
            stage("patch: skipped (no --kernel-tree)")
        }

        if check.hasContradictions {
            result.errors.append("\(check.errors) contradiction\(check.errors == 1 ? "" : "s") between entries and devices (see check.txt)")
            result.exitCode = 1
        }
        if let refused {
            result.errors.append(refused)
            result.exitCode = 2
        }
        // The summary file lists every file, itself included.
        result.written.append("summary.txt")
        result.written.sort()
        result.summary = summaryText(result, config: config)
        do throws(KernelOutputError) {
            try OutputWriter.write([("summary.txt", result.summary)], under: config.out)
        } catch {
            return fail(2, error.description)
        }
        return result
    }

    /// The closing summary: entries, devices checked, findings, files written.
    static func summaryText(_ r: RunResult, config: RunConfiguration) -> String {
        var lines: [String] = []
        if let lint = r.lint {
            let up = lint.entries.filter { $0.entry.kernel.status == .upstream }.count
            lines.append("entries: \(lint.entries.count) (\(up) upstream, \(lint.entries.count - up) not upstream) in \(count(lint.files.count, "file")); "
                + "lint: \(count(lint.diagnostics.errorCount, "error")), \(count(lint.diagnostics.warningCount, "warning"))")
        }
        if let c = r.check {
            let covered = Set(c.checks.map(\.bdf)).count
            lines.append("devices checked: \(c.functions) functions of \(c.source), \(covered) covered by an entry")
            let notes = c.findings.filter { $0.severity == .note }.count
            lines.append("findings: \(count(c.errors, "error")), \(count(c.warnings, "warning")), \(count(notes, "note")); "
                + "\(count(c.uncovered.filter(\.needsEntry).count, "device")) without an entry sharing an IOMMU group")
        }
        if let k = config.check.kernel {
            lines.append("kernel profile: \(k) (group prediction rules)" + (config.check.kernelNote.map { "; \($0)" } ?? ""))
        }
        lines.append("files written: \(r.written.count)" + (r.written.isEmpty ? "" : " in \(config.out)/"))
        for f in r.written { lines.append("  \(f)") }
        for e in r.errors { lines.append("error: \(e)") }
        lines.append("exit \(r.exitCode)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `1 file`, `2 files` (`plural` for irregular words).
func count(_ n: Int, _ word: String, _ plural: String? = nil) -> String {
    "\(n) " + (n == 1 ? word : plural ?? word + "s")
}

/// The groups stage (module Topology): the IOMMU groups Linux forms today with a reason for every
/// member and each member's ACS verdict (`acsquirk groups --explain`), what the registry's entries
/// that are not upstream would split (`--with-registry`), and on a live system the comparison with
/// `/sys/kernel/iommu_groups` (a difference is reported, not a failure: `acsquirk groups` is the
/// command that fails on it).
enum GroupsStage {
    static func run(functions: [PCIFunction], entries: [LoadedEntry], source: PCISource, label: String,
                    options: CheckOptions, recorded: RecordedSystem? = nil,
                    inputNotes: [String] = []) -> (files: [(path: String, text: String)], summary: String) {
        let popts = options.predictionOptions
        let profile = popts.kernel
        let present = functions.filter { !$0.isAllOnes }
        guard !present.isEmpty else { return ([], "no PCI functions: no groups") }
        let upstream = entries.map(\.entry).filter { $0.kernel.status == .upstream }
        let pending = entries.map(\.entry).filter { $0.kernel.status != .upstream }
        let base = QuirkTable(entries: upstream)
        let today = GroupPredictor.predict(present, quirks: base, options: popts)
        let whatIf = pending.isEmpty ? nil
            : GroupPredictor.predict(tree: today.tree, quirks: base.consultingFirst(pending), options: popts)
        var live: LiveGroups?
        var liveNote = ""
        if let recorded, recorded.iommuActive {
            live = LiveGroups(groups: recorded.iommuGroups, iommuActive: true, recordedIn: recorded.origin)
        } else if case .live = source {
            if let l = try? LiveGroups.read(), l.iommuActive {
                live = l
            } else {
                liveNote = "; /sys/kernel/iommu_groups is empty (no IOMMU active): nothing to compare"
            }
        }
        let labels = pending.isEmpty ? [] : ["registry entries not upstream: " + pending.map { "\($0.vendorName) \($0.family)" }.joined(separator: ", ")]
        let report = GroupsReport(prediction: today, source: label, whatIf: whatIf, quirkLabels: labels, live: live,
                                  inputNotes: inputNotes)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = (try? enc.encode(report)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? "{}\n"
        let shared = today.groups.filter { $0.members.count > 1 }.count
        var summary = "\(count(today.groups.count, "IOMMU group")) (kernel \(profile.rawValue) rules), \(shared) shared by several functions"
        if let w = whatIf {
            let changes = WhatIf.compare(before: today, after: w)
            summary += "; with \(count(pending.count, "entry", "entries")) not upstream, \(count(changes.count, "group")) change\(changes.count == 1 ? "s" : "")"
        }
        if let l = report.live {
            summary += l.partitionMatches ? "; the running kernel's groups match" : "; the running kernel's groups DIFFER (see groups.txt)"
        }
        summary += liveNote
        return ([("groups.txt", report.text(explain: true)), ("groups.json", json)], summary)
    }
}

/// The static ACS tables stage (module StaticACS): the firmware alternative to a quirk, an ACS
/// capability with no controls advertised, for every entry that claims no peer-to-peer between
/// the functions of a multifunction device (upstream ones included, as `acsquirk generate` writes
/// them: firmware can ship it for kernels that lack the quirk). Ports and errata need a working
/// ACS capability, not a table.
enum StaticTablesStage {
    static func files(for entries: [LoadedEntry]) -> (files: [(path: String, text: String)], summary: String) {
        let files = StaticACSTable.files(for: entries)
        let kinds = entries.filter { StaticACSTable.forEntry($0.entry) != nil }.count
        return (files, "\(count(files.count, "static ACS table")) for \(count(kinds, "no-peer-to-peer entry", "no-peer-to-peer entries"))"
            + " (ports-isolated and erratum entries need a working ACS capability, not a table)")
    }
}
