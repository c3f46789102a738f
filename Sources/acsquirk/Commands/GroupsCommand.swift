import ArgumentParser
import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry

/// `acsquirk groups`: Linux's IOMMU groups predicted from config space, with reasons, what-if
/// quirks, DOT output, pictures through graphviz (SVG, PNG) and a comparison with the running kernel.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "Predict Linux's IOMMU groups from config space, explain them, and show what a quirk would change.",
        discussion: """
            Reproduces pci_device_group() step by step for a kernel profile: the quirk table (the \
            registry's upstream entries) first, then ACS, DMA aliases and same-slot functions. \
            Without --dump, reads this machine through libpci and compares with \
            /sys/kernel/iommu_groups (a difference is a finding, exit 1); a snapshot, or lspci text \
            with `IOMMU group:` lines, is compared with the groups it recorded the same way. \
            --format svg or png draws the groups through graphviz's dot (Debian: graphviz), with a \
            legend; png is binary: redirect it to a file or write it with -o.
            """)

    enum Format: String, OutputFormat {
        case text, json, dot, svg, png
        static var helpNote: String { " (svg and png through graphviz)" }
    }

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "Platform")
    var platform: PlatformOptions

    @OptionGroup(title: "What-if")
    var whatIf: WhatIfOptions

    @Option(name: .long, help: ArgumentHelp("Registry files or folders added to the shipped registry: what-if material for --with-registry (repeatable; default: ./quirks when present). The kernel's table always comes from the shipped registry's upstream entries.", valueName: "path"))
    var registry: [String] = []

    @Flag(name: .long, help: "Explain every member that is not alone and every ACS verdict, and advise VFIO: per group what to bind to vfio-pci, and which root ports give a card a group of its own.")
    var explain = false

    @OptionGroup(title: "Selection (as lspci; text and JSON show only the groups of the selected functions)")
    var selection: PCISelectionOptions

    @OptionGroup(title: "Output")
    var output: OutputOptions<Format>

    /// Usage errors exit with 2 (the project's "bad input" status), with a sentence on stderr.
    func validate() throws {
        _ = try whatIf.quirkIDs(command: "groups")
        if output.format == .png, output.destination.isTerminal {
            printError("acsquirk groups: --format png writes a binary picture: redirect it to a file "
                + "(acsquirk groups --format png > groups.png, or -o groups.png)")
            throw ExitStatus.badInput
        }
    }

    func run() async throws {
        let format = output.format
        let filter = try selection.filter(command: "groups")
        if !filter.selectsAll && format != .text && format != .json {
            printError("acsquirk groups: -s/-d select groups in text and JSON; the picture (dot, svg, png) always shows every group")
            throw ExitStatus.badInput
        }
        // The kernel's table: the shipped registry's upstream entries, wherever we run from;
        // --registry (or ./quirks) adds what-if material on top (never replaces the table).
        let reg = try RegistryCLI.prediction(extra: Registry.addedRegistryPaths(registry), command: "groups")

        let result = try input.read(command: "groups")
        let functions = result.functions
        let source = input.dump ?? "this machine"
        if functions.isEmpty {
            printError("acsquirk groups: live system: no PCI functions found")
            throw ExitStatus.badInput
        }
        var system = platform.system(for: result, from: input)
        system.sriovNumVFs = try whatIf.sriovNumVFs(for: functions, command: "groups")

        // The kernel's table and the what-if entries (the builder `run` and `check` use).
        var tables = WhatIfTables(kernel: reg.kernelEntries)
        // An ID no function has is most likely a typo or the wrong dump: say so instead of printing "no change".
        for d in tables.add(quirks: try whatIf.quirkIDs(command: "groups"), presentIn: functions, source: source) {
            Console.diagnostics.emit(d)
        }
        if whatIf.withRegistry {
            let local = reg.whatIfEntries
            tables.add(registryEntries: local, label: "--with-registry: \(local.count) registry entr\(local.count == 1 ? "y" : "ies") not upstream")
        }

        // Compared with the groups the input recorded (snapshot, lspci text) or this machine formed.
        let formed: FormedGroups
        do throws(LiveGroups.ReadError) {
            formed = try FormedGroups.of(input.source, recorded: result.recorded)
        } catch {
            printError("acsquirk groups: \(error)")
            throw ExitStatus.badInput
        }
        // The kernel's groups hold the VFs enabled then, not the what-if's.
        let compared = system.sriovNumVFs.isEmpty ? formed.groups : nil
        if compared == nil, formed.groups != nil {
            printError("acsquirk groups: --sriov: not compared with the kernel's groups (they hold the VFs enabled then)")
        }
        switch formed {
        case .noneRecorded: printError("acsquirk groups: the snapshot records no IOMMU groups: no IOMMU was active on that machine")
        case .noneLive: printError("acsquirk groups: /sys/kernel/iommu_groups is empty: no IOMMU is active, the kernel forms no groups")
        case .groups, .notRecorded: break
        }
        let predicted = GroupsPrediction(functions, tables: tables, system: system, source: source, formed: compared,
                                         inputNotes: result.inputNotes)
        var report = predicted.report
        if !filter.selectsAll {
            // The selected functions' groups, and the root ports above them (or selected themselves).
            let selected = functions.filter(filter.matches).map(\.address)
            let tree = PCIBusTree(functions)
            let above = Set(selected + selected.flatMap { tree.upstreamBridges(of: $0) })
            report = report.selecting(Set(selected.map(\.description)), rootPorts: Set(above.map(\.description)),
                                      filter: selection.text)
        }
        switch format {
        case .text:
            try output.destination.write(report.text(explain: explain), command: "groups")
        case .json:
            try output.destination.write(report.json(), command: "groups")
        case .dot, .svg, .png:
            let title = predicted.whatIf == nil ? nil
                : "IOMMU groups (kernel \(system.kernel) rules) with " + tables.labels.joined(separator: "; ")
            let dot = (predicted.whatIf ?? predicted.today).dot(title: title)
            guard let picture = Graphviz.Format(rawValue: format.rawValue) else {
                try output.destination.write(dot, command: "groups")
                break
            }
            let bytes: [UInt8]
            do throws(Graphviz.Failure) {
                bytes = try await Graphviz.render(dot, as: picture)
            } catch {
                printError("acsquirk groups: cannot draw the picture: \(error)")
                throw ExitStatus.badInput
            }
            try output.destination.write(bytes: bytes, command: "groups")
        }
        if report.isFinding {
            // JSON, DOT and pictures keep stdout for data: say what differs on stderr.
            if format != .text { printError("acsquirk groups: " + report.liveText().trimmingCharacters(in: .newlines)) }
            throw ExitStatus.findings
        }
    }
}

private func printError(_ s: String) { Console.error(s) }
