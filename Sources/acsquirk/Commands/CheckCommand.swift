import ArgumentParser
import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Rainbow
import Registry

/// `acsquirk check [--dump FILE] [PATH…] [--format text|json|github|sarif] [--kernel V] [--assume-iommu]`:
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
            Exit status: 0 no contradiction; 1 an entry contradicts its device (wrong port type, \
            claims no ACS but the device advertises ACS with RR and CR, single-function device \
            claimed multifunction, ...); 2 bad input (unreadable dump or registry).
            """
    )

    @Argument(help: ArgumentHelp("Registry entries to check: files or folders (default: ./quirks when present, else the shipped registry).", valueName: "path"))
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp("Registry files or folders the checked entries live in, added to the shipped registry as coverage and what-if material (repeatable; default: ./quirks when present). The kernel's table always comes from the shipped registry.", valueName: "path"))
    var registry: [String] = []

    @Option(name: .long, help: ArgumentHelp("Read this file instead of the live system: an `lspci -xxxx` dump, `lspci -vvv` text or an `acsquirk snapshot`.", valueName: "file"))
    var dump: String?

    @Option(name: .long, help: ArgumentHelp("Output format: text, json, github (workflow annotations) or sarif (SARIF 2.1.0).", valueName: "format"))
    var format: DiagnosticFormat = .text

    @Option(name: .long, help: ArgumentHelp("Kernel profile for the group prediction (6.1, 6.12, 7.3; default: the running kernel's on this machine, 7.3 for a dump).", valueName: "version"))
    var kernel: KernelProfile?

    @Flag(name: .customLong("assume-iommu"), help: "The dump was taken without an IOMMU: model the ACS controls Linux enables.")
    var assumeIOMMU = false

    @Flag(name: .customLong("amd-iommu"), help: "Assume an AMD IOMMU (ACPI IVRS table): the AMD southbridge quirk answers.")
    var amdIOMMU = false

    @Flag(name: .customLong("assume-pch-workaround-fails"), help: "Assume the Intel PCH root-port ACS workaround fails.")
    var pchWorkaroundFails = false

    @Option(name: .customLong("pci-ids"), help: ArgumentHelp("pci.ids file for names (default: libpci's).", valueName: "file"))
    var pciIDs: String?

    func run() async throws {
        // The kernel's table from the shipped registry wherever check runs; --registry adds.
        let reg = try RegistryCLI.prediction(extra: Registry.addedRegistryPaths(registry), command: "check")
        let entries = try PipelineCLI.loadRegistry(try RegistryCLI.working(paths, command: "check"), command: "check")
        let context = reg.kernel + reg.whatIf
        let read = try PipelineCLI.readFunctions(dump: dump, pciIDs: pciIDs, command: "check")
        // A snapshot ran a known kernel: its profile, as live.
        let profile = KernelProfile.resolve(kernel, live: dump == nil, recordedRelease: read.recorded?.kernelRelease)
        let options = CheckOptions(system: LinuxSystem(kernel: profile.profile, assumeIOMMU: assumeIOMMU, amdIVRS: amdIOMMU,
                                                       pchWorkaroundFails: pchWorkaroundFails, kernelNote: profile.note),
                                   dump: dump)
        let report = RegistryCheck.run(functions: read.functions, entries: entries, context: context,
                                       source: PipelineCLI.sourceLabel(dump), options: options, inputNotes: read.inputNotes)
        switch format {
        case .text:
            let colour = PipelineCLI.useColour()
            PipelineCLI.out(report.text { s, style in colour ? Self.paint(s, style) : s })
        case .json:
            PipelineCLI.out(report.json())
        case .github:
            PipelineCLI.out(report.github())
        case .sarif:
            PipelineCLI.out(report.sarif(toolVersion: Acsquirk.version))
        }
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
