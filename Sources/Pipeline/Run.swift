import Diagnostics
import Foundation
import KernelOutput
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry
import SafeFiles
import StaticACS

/// What `acsquirk run` is asked to do.
public struct RunConfiguration: Sendable {
    /// Registry files or folders: the entries to lint, check and generate code for (`quirks`).
    public var registry: [String]
    /// The shipped registry (`Registry.shippedRegistryPath()`): its upstream entries are the
    /// kernel's table and its other entries coverage, whatever `registry` holds, so a run on a
    /// folder of new entries never predicts with an empty table. `nil`: `registry` alone.
    public var shipped: String?
    /// What is read: this machine, or a file (`--dump`), with the pci.ids for names.
    public var input: InputSource
    /// The file read instead of this machine (`input.dump`).
    public var dump: String? {
        get { input.dump }
        set { input.dump = newValue }
    }
    /// A kernel source tree: the quirk table is read from it and a patch series is written.
    public var kernelTree: String?
    /// Output directory (`out`).
    public var out: String
    /// Templates directory (`nil`: the shipped templates, `TemplateSet.locate`).
    public var templates: String?
    /// `--kernel`: the kernel profile for the check and the groups; `nil`: resolved once the input
    /// is read (`KernelProfile.resolve(_:live:recordedRelease:)`, as for `groups` and `check`: the
    /// running kernel's, a snapshot's recorded kernel's, else the newest).
    public var kernel: KernelProfile?
    /// Platform for the check and the groups (`check.system.kernel` is set from `kernel`).
    public var check: CheckOptions
    /// `--cmdline`; nil: resolved once the input is read (`KernelCommandLine.resolve`).
    public var commandLine: String?
    /// `kernel`, `commandLine` and `check.system` as the command line's platform options give them.
    public var platform: PlatformAssumptions {
        get { PlatformAssumptions(kernel: kernel, system: check.system, commandLine: commandLine) }
        set { (kernel, check.system, commandLine) = (newValue.kernel, newValue.system, newValue.commandLine) }
    }
    /// pci.ids file for names and the unknown-vendor lint rule (`input.idsPath`; `nil`: libpci's).
    public var pciIDs: String? {
        get { input.idsPath }
        set { input.idsPath = newValue }
    }
    /// `--strict`: warnings are errors where they are about what the run reads. A lint warning
    /// stops the run as a lint error does (exit 1), and the input is refused at its first read
    /// warning (`InputSource.read` through `ErrorThrowingDiagnosticCollector`; exit 2); nothing is
    /// written either way. `check`'s findings keep their severity (as `acsquirk check --strict`).
    public var strict = false
    /// The patches' submitter (`From:`, `Signed-off-by:`; see `Submitter.resolve`). `nil` with a
    /// kernel tree: the patch stage refuses (exit 2, no patch written, earlier stages' files kept).
    /// Never an entry's `confirmed-by`: those are named in the message and copied (`Cc:`).
    public var from: Identity?

    public init(registry: [String] = ["quirks"], shipped: String? = nil, dump: String? = nil, kernelTree: String? = nil,
                out: String = "out", templates: String? = nil, kernel: KernelProfile? = nil, check: CheckOptions = CheckOptions(),
                pciIDs: String? = nil, from: Identity? = nil) {
        self.from = from
        self.kernel = kernel
        self.registry = registry
        self.shipped = shipped
        self.input = InputSource(dump: dump, idsPath: pciIDs)
        self.kernelTree = kernelTree
        self.out = out
        self.templates = templates
        self.check = check
    }
}

/// The outcome of `acsquirk run`.
///
/// Exit status (`exitCode`): **0** the registry lints clean and no entry contradicts a device
/// present (warnings, notes, devices without an entry, a machine without PCIe functions or without
/// IOMMU groups are all fine); **1** lint errors (the run stops after lint and writes nothing) or
/// an entry contradicts its device (every stage still runs and writes its files); **2** bad input:
/// an unreadable registry path, dump or kernel tree, missing templates, an entry the generators
/// refuse, or an output file that cannot be written. With `strict` a lint warning is a lint
/// error (1) and an input with a read warning is bad input (2).
public struct RunResult: Sendable {
    public var lint: LintResult?
    public var functions: [PCIFunction]
    public var check: CheckReport?
    /// Output files written, relative to `out`, sorted.
    public var written: [String]
    /// Stage lines as printed (`[1/8] lint: ...`).
    public var progress: [String]
    /// Problems that stopped the run or that the user must see (lint errors, generation errors).
    public var errors: [String]
    /// What the prediction rests on that nobody confirmed: the group prediction's warnings
    /// (`PredictionNote.Kind.warning`, the out-of-tree `pcie_acs_override=`), as `groups` and
    /// `check` say them; in the summary (`warning: …`) and its console copy.
    public var warnings: [String] = []
    /// What writing the folder did besides writing: leftovers of interrupted runs removed,
    /// notes (`WriteReport.messages`); nil when nothing was written.
    public var write: WriteReport?
    public var exitCode: Int32
    /// The closing summary (several lines), as `summary.txt` holds it.
    public var summary: String
    /// The summary as the console shows it: without its `error: …` lines, which `acsquirk run`
    /// prints on stderr (`errors`), so each error is said once.
    public var consoleSummary: String = ""
}

/// The whole pipeline, stage by stage: lint → scan → check → groups → C stubs → static ACS tables
/// → patch series (with a kernel tree) → the HTML report. Each stage is one of the library calls
/// the single commands use (`Registry.lint`, `PCIReader.load`, `RegistryCheck.run`, the group
/// predictor, `StubFiles`, `StaticACSTable`, `PatchSeries`, `Graphviz`, `HTMLReport`); this only
/// wires them together.
///
/// The output folder is written once, at the end, with `OutputFolder.replace`: every file of the
/// run and `summary.txt` land together (the folder is staged whole and exchanged with the old one
/// in one rename), outputs of an earlier run that this one did not make are removed, other files
/// in the folder are kept. So the folder always holds the outputs of exactly one run, whatever
/// happens to the process. A run that stops on lint errors or bad input writes nothing.
public enum PipelineRunner {
    /// Stage names in order.
    public static let stages = ["lint", "scan", "check", "groups", "generate", "acs-tables", "patch", "report"]

    /// The files `run` writes directly in its folder (besides `quirks/`, `acs-tables/`, `patches/`).
    public static let fixedOutputs: Set<String> = ["scan.txt", "scan.json", "check.txt", "check.json", "groups.txt",
                                                   "groups.json", "groups.dot", "groups.svg", "index.html",
                                                   "summary.txt"]

    /// Whether `file` (a regular file in the output folder that this run does not write) is an
    /// output of an earlier run, which `OutputFolder.replace` removes: one of `fixedOutputs`, a C
    /// stub (`StubFiles.isOutput`), a static ACS table (`StaticACSTable.isOutput`) or a patch
    /// acsquirk wrote into `patches/` (`PatchSeries.isEarlierPatch`; a series `acsquirk patch
    /// --out OUT` wrote beside it is kept).
    public static func isEarlierOutput(_ file: OutputFolder.Existing) -> Bool {
        fixedOutputs.contains(file.path) || StubFiles.isOutput(file.path) || StaticACSTable.isOutput(file.path)
            || PatchSeries.isEarlierPatch(file, in: "patches")
    }

    /// Runs the pipeline; `progress` gets one line per stage as it finishes.
    public static func run(_ config: RunConfiguration, progress report: (String) -> Void = { _ in }) async -> RunResult {
        var config = config
        config.check.dump = config.dump
        var result = RunResult(lint: nil, functions: [], check: nil, written: [], progress: [], errors: [], write: nil,
                               exitCode: 0, summary: "")
        var outputs: [OutputFolder.File] = []
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
            (result.summary, result.consoleSummary) = summaries(result, config: config)
            return result
        }
        func add(_ files: [(path: String, text: String)]) {
            outputs += files.map { OutputFolder.File($0.path, $0.text) }
        }

        // 1. lint
        var lintOptions = LintOptions(vendorName: PCINameDatabase.standardVendorLookup)
        if let ids = config.pciIDs, let db = try? PCINameDatabase(idsPath: ids) {
            lintOptions = LintOptions(vendorName: db.vendorLookup)
        }
        let lint = Registry.lint(paths: config.registry, options: lintOptions)
        result.lint = lint
        stage("lint: \(LintReporter.summary(lint.diagnostics, files: lint.files.count, strict: config.strict))")
        if lint.unreadable {
            return fail(2, "the registry cannot be read: " + lint.diagnostics.filter { $0.rule == LintRules.unreadable.id }.map(\.description).joined(separator: "; "))
        }
        if lint.diagnostics.hasErrors {
            return fail(1, "the registry has lint errors: nothing else was run or written (acsquirk lint \(config.registry.joined(separator: " ")))")
        }
        if LintReporter.fails(lint.diagnostics, strict: config.strict) {
            return fail(1, "the registry has lint warnings and --strict makes them errors: nothing else was run or written "
                + "(acsquirk lint --strict \(config.registry.joined(separator: " ")))")
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
        let read: PCIReadResult
        do throws(PipelineError) {
            // Without --strict the read's warnings reach scan.txt and scan.json with the functions.
            read = try config.input.read(warnings: config.strict
                ? ErrorThrowingDiagnosticCollector(upstream: AccumulatingDiagnosticCollector(), severity: .warning) : nil)
        } catch {
            return fail(2, error.stoppedOn == nil ? error.message
                : "the input is refused: --strict makes its warnings errors; the first: \(error.message)")
        }
        result.functions = read.functions
        // One kernel profile for every stage.
        config.check.system = config.platform.resolved(live: config.input.isLive, recorded: read.recorded,
                                                       runningCommandLine: config.input.sysfsRoot == nil)
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
        let label = config.input.label
        add([("scan.txt", scan.text()), ("scan.json", scan.json())])
        stage("scan: \(read.functions.count) functions from \(label), \(pcie) PCI Express; ACS present on \(acsCounts.present), "
            + "absent on \(acsCounts.absent), unknown on \(acsCounts.unknown)")

        // 3. check
        let check = RegistryCheck.run(functions: read.functions, entries: entries, context: context, source: label,
                                      options: config.check, inputNotes: read.inputNotes)
        result.check = check
        add([("check.txt", check.text()), ("check.json", check.json())])
        stage("check: \(check.summary)")

        // 4. groups
        let groups = GroupsStage.run(functions: read.functions, entries: kernelContext + entries, input: config.input, label: label,
                                     system: config.check.system, recorded: read.recorded, inputNotes: read.inputNotes)
        add(groups.files)
        result.warnings = groups.warnings
        stage("groups: \(groups.summary)" + (groups.warnings.isEmpty ? "" : "; \(count(groups.warnings.count, "warning")) (below)"))

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
            add(stubs.files.map { ($0.path, $0.text) })
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
        add(tables.files)
        stage("acs-tables: \(tables.summary)")

        // 7. patch
        if let tree, config.from == nil {
            // No submitter: no patch is written (an earlier run's patches in OUT/patches are stale
            // outputs and removed: OUT/patches never holds patches this run did not make); the
            // other stages' files are written, and the run exits 2.
            result.errors.append(Submitter.missingMessage)
            result.exitCode = 2
            stage("patch: refused against \(tree.root): \(Submitter.missingMessage)")
        } else if let tree, let quirksSource, let from = config.from {
            do throws(KernelOutputError) {
                let series = try PatchSeries(entries: pending, source: quirksSource, fileMode: tree.fileMode,
                                             renderer: renderer, from: from, date: nil)
                add(series.files.map { ("patches/" + $0.path, $0.text) })
                stage("patch: \(series.patches.count) patch\(series.patches.count == 1 ? "" : "es") against \(tree.root)"
                    + (series.patches.isEmpty ? " (the tree covers every entry)" : ""))
            } catch {
                return fail(2, error.description)
            }
        } else {
            stage("patch: skipped (no --kernel-tree)")
        }

        // 8. report: the picture through graphviz (a missing graphviz costs the picture, not the run)
        // and the page, which links every file written so far and the summary written next.
        var picture: Result<String, Graphviz.Failure>?
        var pictureFiles: [(path: String, text: String)] = []
        if let today = groups.today {
            do throws(Graphviz.Failure) {
                // groups.svg as groups.dot draws it; the page's copy links each group to its section.
                let svg = String(decoding: try await Graphviz.render(today.dot(), as: .svg), as: UTF8.self)
                let linked = String(decoding: try await Graphviz.render(today.dot(groupLinks: true), as: .svg), as: UTF8.self)
                pictureFiles = [("groups.svg", svg)]
                picture = .success(Graphviz.svgElement(linked))
            } catch {
                picture = .failure(error)
            }
        }
        let page = HTMLReport(
            machine: .init(source: label, functions: read.functions.count, pcie: pcie, acsPresent: acsCounts.present,
                           acsAbsent: acsCounts.absent, acsUnknown: acsCounts.unknown, libpci: PCIReader.libpciVersion),
            groups: groups.report, picture: picture, lint: lint, check: check,
            files: (outputs.map(\.path) + pictureFiles.map(\.path) + ["summary.txt"]).sorted())
        add(pictureFiles + [("index.html", page.html())])
        switch picture {
        case .success?:
            if let off = groups.report?.iommuOff {
                stage("report: index.html (\(KernelView.noIOMMUGroups(off)): the picture, groups.svg, shows the PCI tree only)")
            } else {
                stage("report: index.html with the IOMMU groups picture (groups.svg)")
            }
        case let .failure(why)?: stage("report: index.html without a picture: \(why)")
        case nil: stage("report: index.html (no PCI functions: no picture)")
        }

        if check.hasContradictions {
            result.errors.insert("\(check.errors) contradiction\(check.errors == 1 ? "" : "s") between entries and devices (see check.txt)", at: 0)
            result.exitCode = max(result.exitCode, 1)
        }
        // The summary file lists every file, itself included.
        result.written = (outputs.map(\.path) + ["summary.txt"]).sorted()
        (result.summary, result.consoleSummary) = summaries(result, config: config)
        do throws(FileError) {
            result.write = try OutputFolder(config.out).replace(with: outputs + [OutputFolder.File("summary.txt", result.summary)],
                                                                 stale: isEarlierOutput, commit: "summary.txt")
        } catch {
            result.written = []
            return fail(2, "nothing written: \(error)")
        }
        return result
    }

    /// The closing summary as `summary.txt` holds it and as the console shows it (`consoleSummary`).
    static func summaries(_ r: RunResult, config: RunConfiguration) -> (file: String, console: String) {
        (summaryText(r, config: config), summaryText(r, config: config, errors: false))
    }

    /// The closing summary: entries, devices checked, findings, the prediction's warnings, files
    /// written, and with `errors` the errors.
    static func summaryText(_ r: RunResult, config: RunConfiguration, errors: Bool = true) -> String {
        var lines: [String] = []
        if let lint = r.lint {
            let up = lint.entries.filter { $0.entry.kernel.status == .upstream }.count
            lines.append("entries: \(lint.entries.count) (\(up) upstream, \(lint.entries.count - up) not upstream) in \(count(lint.files.count, "file")); "
                + "lint: \(count(lint.diagnostics.errorCount, "error")), \(count(lint.diagnostics.warningCount, "warning"))")
        }
        if let c = r.check {
            let covered = Set(c.checks.map(\.bdf)).count
            lines.append("devices checked: \(c.functions) functions of \(c.source), \(covered) covered by an entry")
            let notes = c.findings.noteCount
            lines.append("findings: \(count(c.errors, "error")), \(count(c.warnings, "warning")), \(count(notes, "note")); "
                + "\(count(c.uncovered.filter(\.needsEntry).count, "device")) without an entry sharing an IOMMU group")
        }
        lines.append("kernel profile: \(config.check.system.kernel) (group prediction rules)"
            + (config.check.system.kernelNote.map { "; \($0)" } ?? ""))
        for w in r.warnings { lines.append("warning: \(w)") }
        lines.append("files written: \(r.written.count)" + (r.written.isEmpty ? "" : " in \(config.out)/"))
        for f in r.written { lines.append("  \(f)") }
        if errors { for e in r.errors { lines.append("error: \(e)") } }
        lines.append("exit \(r.exitCode)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `1 file`, `2 files` (`plural` for irregular words).
func count(_ n: Int, _ word: String, _ plural: String? = nil) -> String {
    "\(n) " + (n == 1 ? word : plural ?? word + "s")
}

/// The groups stage (module LinuxPCI, rendered by `GroupsReport`; the what-if tables come from
/// `WhatIfTables`, as for `groups`): the IOMMU groups Linux forms today with a reason for every
/// member and each member's ACS verdict (`acsquirk groups --explain`), their DOT picture
/// (`acsquirk groups --format dot`), what the registry's entries
/// that are not upstream would split (`--with-registry`), and on a live system the comparison with
/// `/sys/kernel/iommu_groups` (a difference is reported, not a failure: `acsquirk groups` is the
/// command that fails on it).
enum GroupsStage {
    /// What the stage made: its files (groups.txt, groups.json, groups.dot), its progress line,
    /// and for the report stage the groups Linux forms today and the report (both `nil` without
    /// PCI functions).
    struct Output {
        var files: [(path: String, text: String)]
        var summary: String
        var today: GroupPrediction?
        var report: GroupsReport?
        /// The prediction's warnings (`PredictionNote.Kind.warning`), as groups.txt lists them.
        var warnings: [String] = []
    }

    static func run(functions: [PCIFunction], entries: [LoadedEntry], input: InputSource, label: String,
                    system: LinuxSystem, recorded: RecordedSystem? = nil,
                    inputNotes: [String] = []) -> Output {
        let present = functions.filter { !$0.isAllOnes }
        guard !present.isEmpty else { return Output(files: [], summary: "no PCI functions: no groups") }
        var tables = WhatIfTables(kernel: entries.map(\.entry))
        let pending = entries.map(\.entry).filter { $0.kernel.status != .upstream }
        if !pending.isEmpty {
            tables.add(registryEntries: pending,
                       label: "registry entries not upstream: " + pending.map { "\($0.vendorName) \($0.family)" }.joined(separator: ", "))
        }
        // A live machine's groups that cannot be read are noted as an inactive IOMMU: `run`
        // reports the comparison, `acsquirk groups` is the command that fails on it.
        let formed = (try? FormedGroups.of(input, recorded: recorded)) ?? .noneLive
        let liveNote = input.isLive && formed.groups == nil
            ? "; /sys/kernel/iommu_groups is empty (no IOMMU active): nothing to compare" : ""
        let predicted = GroupsPrediction(present, tables: tables, system: system, source: label, formed: formed.groups,
                                         inputNotes: inputNotes)
        let (today, whatIf, report) = (predicted.today, predicted.whatIf, predicted.report)
        let json = report.json()
        let shared = today.groups.filter { $0.members.count > 1 }.count
        var summary = report.iommuOff.map { KernelView.noIOMMUGroups($0) + " (kernel \(system.kernel) rules)" }
            ?? "\(count(today.groups.count, "IOMMU group")) (kernel \(system.kernel) rules), \(shared) shared by several functions"
        if report.iommuOff == nil, let w = whatIf {
            let changes = WhatIf.compare(before: today, after: w)
            summary += "; with \(count(pending.count, "entry", "entries")) not upstream, \(count(changes.count, "group")) change\(changes.count == 1 ? "s" : "")"
        }
        if let l = report.live {
            summary += l.partitionMatches ? "; the running kernel's groups match" : "; the running kernel's groups DIFFER (see groups.txt)"
        }
        summary += liveNote
        return Output(files: [("groups.txt", report.text(explain: true)), ("groups.json", json), ("groups.dot", today.dot())],
                      summary: summary, today: today, report: report,
                      warnings: today.notes.filter { $0.kind == .warning }.map(\.text))
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
