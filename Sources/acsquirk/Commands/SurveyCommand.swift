import ArgumentParser
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry

/// `acsquirk survey PATH…`: IOMMU groups of many machines, and which devices without ACS would
/// help the most machines with a quirk (docs/survey.md).
struct SurveyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "survey",
        abstract: "Predict the IOMMU groups of many reports and rank the devices a quirk would help most.",
        discussion: """
            Reads every file under PATH (folders recursively) in any format --dump reads (lspci \
            -vvv text, lspci -xxxx dumps, acsquirk snapshots) and prints, per report, the groups \
            shared by several functions and the devices without ACS or quirk; then a ranking of \
            vendor:device IDs that lack ACS and a quirk, by the machines where a quirk for them \
            would split an IOMMU group and the functions it would separate; then the registry \
            entries not upstream (the shipped registry and --registry) by the machines they would \
            help. An IOMMU is assumed on (as --assume-iommu). Unreadable reports are counted and \
            listed, never fatal. Exit 0; 2 when no report could be read or a path does not exist.
            """)

    enum Format: String, OutputFormat { case text, json }

    @Argument(help: ArgumentHelp("Report files or folders.", valueName: "path"))
    var paths: [String]

    @OptionGroup(title: "Output")
    var output: OutputOptions<Format>

    @Option(name: .long, help: ArgumentHelp("Also write a bar chart of the ranking as SVG to this file.", valueName: "file"))
    var svg: String?

    @Option(name: .long, help: ArgumentHelp("Rows of the rankings in text and SVG (JSON has all).", valueName: "n"))
    var top: Int = 25

    @OptionGroup(title: "Platform (an IOMMU is always assumed on)")
    var platform: PlatformOptions

    @Option(name: .long, help: ArgumentHelp("Registry files or folders whose entries not upstream are ranked too (repeatable).", valueName: "path"))
    var registry: [String] = []

    @Option(name: .long, help: ArgumentHelp("Reports read at once (default: the number of processors).", valueName: "n"))
    var jobs: Int?

    @OptionGroup var names: NamesOptions

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let reg = try RegistryCLI.prediction(extra: registry, command: "survey")
        let system = platform.assumptions.resolved(live: false, recorded: nil)
        let profile = system.kernel
        // Every report is predicted with an IOMMU on: a command line that switches it off cannot
        // hold for them (it would be silently ignored), so it is refused.
        if let off = system.commandLine.iommuOff(amd: false) ?? system.commandLine.iommuOff(amd: true) {
            Console.error("acsquirk survey: --cmdline \(off) switches the IOMMU off, but survey predicts every report with an "
                + "IOMMU on (there are no groups to rank without one); leave it out")
            throw ExitStatus.badInput
        }
        // The out-of-tree override's warning, as groups and check say it (the prediction's notes).
        let warnings = GroupPredictor.predict([], quirks: QuirkTable(entries: []), system: system).notes
            .filter { $0.kind == .warning }.map(\.text)
        for w in warnings { Console.error("acsquirk survey: warning: \(w)") }
        let pciIDs = names.idsPath
        var options = Survey.Options(system: system, idsPath: pciIDs)
        if let jobs { options.jobs = jobs }
        let (files, missing) = Survey.files(paths)
        for m in missing { Console.error("acsquirk survey: \(m.path): \(m.reason)") }
        if !missing.isEmpty || files.isEmpty {
            if files.isEmpty { Console.error("acsquirk survey: no report files under \(paths.joined(separator: " "))") }
            throw ExitStatus.badInput
        }
        let notes = ["kernel \(profile) rules; an IOMMU assumed on (ACS controls as Linux enables them, --assume-iommu)",
                     "a device counts when Linux's standard ACS check fails for it for lack of an ACS capability and no quirk answers; "
                         + "its effect is a pci_quirk_mf_endpoint_acs-style quirk for its ID consulted first"]
            + warnings.map { "warning: " + $0 }
        let format = output.format
        let out = output.destination.sink(command: "survey")
        if format == .json { out.write(SurveyOutput.jsonStart(kernel: profile.description, notes: notes)) }
        var first = true
        let totals = Survey.run(files: files, table: QuirkTable(entries: reg.kernelEntries), whatIf: reg.whatIf, options: options) { r in
            switch (format, r) {
            case let (.text, .success(report)): out.write(SurveyOutput.text(report))
            case let (.text, .failure(u)): out.write(SurveyOutput.text(u))
            case let (.json, .success(report)):
                out.write(SurveyOutput.json(report, first: first))
                first = false
            case (.json, .failure): break
            }
        }
        let db = try? PCINameDatabase(idsPath: pciIDs)
        let summary = totals.summary(names: { id in
            guard let db, let d = db.deviceName(vendor: id.vendor, device: id.device) else { return nil }
            return (db.vendorName(id.vendor).map { $0 + " " } ?? "") + d
        }, whatIf: reg.whatIf)
        switch format {
        case .text: out.write(SurveyOutput.text(summary: summary, unreadable: totals.unreadable, kernel: profile.description, top: top))
        case .json: out.write(SurveyOutput.jsonEnd(summary: summary, unreadable: totals.unreadable, anyReport: !first))
        }
        try out.finish()
        if let svg {
            let chart = OutputSink(path: svg, command: "survey")
            chart.write(SurveyOutput.svg(summary: summary, top: top))
            try chart.finish()
        }
        if totals.reports == 0 {
            Console.error("acsquirk survey: none of the \(files.count) files could be read as a report")
            throw ExitStatus.badInput
        }
    }
}
