import ArgumentParser
import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Rainbow
import Registry

/// `acsquirk check [--dump FILE] [PATH…] [--format text|json|github|sarif] [-o FILE] [--kernel V] [--assume-iommu]…`:
/// registry entries against the devices present (docs/pipeline.md).
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check registry entries against the devices present (live config space or a dump).",
        discussion: """
            For every function an entry covers: the entry's conditions (port type, Linux's \
            multifunction flag, class, requirements), that the device really lacks a working ACS \
            capability (Sunrise Point erratum ports decoded with the dword layout), the kernel row \
            that decides for it today (shadowing), and which IOMMU groups the entry splits on this \
            machine. Upstream entries are checked too, but only for devices they really act on. \
            Then every device without an entry whose missing ACS makes functions share an IOMMU \
            group: what a vendor would need to confirm. \
            --strict refuses an input with a read warning (exit 2), as every command that reads \
            config space does; check's own warnings (a kernel row shadowed or overriding real ACS, \
            ACS without RR or CR, an erratum port whose ACS is not enabled, a device the kernel \
            already answers for) stay warnings: they are about the kernel's table and the state the \
            input was taken in, not contradictions. \
            Exit status: 0 no contradiction; 1 an entry contradicts its device (wrong port type, \
            claims no ACS but the device advertises ACS with RR and CR, single-function device \
            claimed multifunction, ...); 2 bad input (unreadable dump or registry; with --strict, \
            an input with a read warning).
            """
    )

    @Argument(help: ArgumentHelp("Registry entries to check: files or folders (default: ./quirks when present, else the shipped registry).", valueName: "path"))
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp("Registry files or folders the checked entries live in, added to the shipped registry as coverage and what-if material (repeatable; default: ./quirks when present). The kernel's table always comes from the shipped registry.", valueName: "path"))
    var registry: [String] = []

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "Platform")
    var platform: PlatformOptions

    @OptionGroup(title: "Output")
    var output: OutputOptions<DiagnosticFormat>

    func run() async throws {
        // The kernel's table from the shipped registry wherever check runs; --registry adds.
        let reg = try RegistryCLI.prediction(extra: Registry.addedRegistryPaths(registry), command: "check")
        let entries = try PipelineCLI.loadRegistry(try RegistryCLI.working(paths, command: "check"), command: "check")
        let context = reg.kernel + reg.whatIf
        let read = try input.read(command: "check")
        let options = CheckOptions(system: platform.system(for: read, from: input), dump: input.dump)
        let report = RegistryCheck.run(functions: read.functions, entries: entries, context: context,
                                       source: input.source.label, options: options, inputNotes: read.inputNotes)
        let text: String
        switch output.format {
        case .text:
            let colour = output.destination.colour
            text = report.text { s, style in colour ? Self.paint(s, style) : s }
        case .json:
            text = report.json()
        case .github:
            text = report.github()
        case .sarif:
            text = report.sarif(toolVersion: Acsquirk.version)
        }
        try output.destination.write(text, command: "check")
        if report.hasContradictions { throw ExitStatus.findings }
    }

    static func paint(_ s: String, _ style: CheckReport.TextStyle) -> String {
        switch style {
        case .header: s.bold
        case .good: s.green
        case .bad: s.red.bold
        case .warn: s.yellow
        case .detail: s.dim
        }
    }
}
