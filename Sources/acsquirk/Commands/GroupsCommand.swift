import ArgumentParser
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
            legend; png is binary: redirect it to a file.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, dot, svg, png }

    @Option(name: .long, help: "Read this file instead of this machine: an `lspci -xxxx` dump, `lspci -vvv` text or an `acsquirk snapshot` (told apart by content).")
    var dump: String?

    @Option(name: .long, help: "Kernel profile (default: \(KernelProfile.newest); live: the running kernel's).")
    var kernel: KernelProfile?

    @Option(name: .customLong("quirk"), help: "What-if: add a pci_quirk_mf_endpoint_acs-style quirk for VVVV:DDDD, consulted first (repeatable).")
    var quirks: [String] = []

    @Flag(name: .customLong("with-registry"), help: "What-if: add every registry entry that is not upstream.")
    var withRegistry = false

    @Option(name: .long, help: "Registry files or folders added to the shipped registry: what-if material for --with-registry (repeatable; default: ./quirks when present). The kernel's table always comes from the shipped registry's upstream entries.")
    var registry: [String] = []

    @OptionGroup var commandLine: KernelCommandLineOption

    @Flag(name: .customLong("assume-iommu"), help: "The dump was taken without an IOMMU: enable what Linux enables (capability ∩ SV|RR|CR|UF).")
    var assumeIOMMU = false

    @Flag(name: .customLong("amd-iommu"), help: "Assume an AMD IOMMU (ACPI IVRS): the AMD southbridge quirk answers.")
    var amdIOMMU = false

    @Flag(name: .customLong("assume-pch-workaround-fails"), help: "Assume the Intel PCH root-port ACS workaround (RCBA) fails.")
    var pchWorkaroundFails = false

    @Flag(name: .long, help: "Explain every member that is not alone and every ACS verdict.")
    var explain = false

    @OptionGroup(title: "Selection (as lspci; text and JSON show only the groups of the selected functions)")
    var selection: PCISelectionOptions

    @Option(name: .long, help: "Output format: text, json, dot, svg or png (svg and png through graphviz).")
    var format: Format = .text

    @Option(name: .long, help: ArgumentHelp("pci.ids file for names.", visibility: .hidden))
    var idsPath: String?

    @Option(name: .customLong("sysfs-root"), help: ArgumentHelp("Root of /sys for live mode (tests).", visibility: .hidden))
    var sysfsRoot: String?

    /// Usage errors exit with 2 (the project's "bad input" status), with a sentence on stderr.
    func validate() throws {
        for q in quirks where PCIDeviceID(q) == nil {
            printError("acsquirk groups: --quirk '\(q)' is not VVVV:DDDD (hex vendor and device ID, e.g. 8086:10d3)")
            throw ExitStatus.badInput
        }
        if format == .png, Console.outputIsTerminal {
            printError("acsquirk groups: --format png writes a binary picture: redirect it to a file "
                + "(acsquirk groups --format png > groups.png)")
            throw ExitStatus.badInput
        }
    }

    func run() async throws {
        let filter = try selection.filter(command: "groups")
        if !filter.selectsAll && format != .text && format != .json {
            printError("acsquirk groups: -s/-d select groups in text and JSON; the picture (dot, svg, png) always shows every group")
            throw ExitStatus.badInput
        }
        // The kernel's table: the shipped registry's upstream entries, wherever we run from;
        // --registry (or ./quirks) adds what-if material on top (never replaces the table).
        let reg = try RegistryCLI.prediction(extra: Registry.addedRegistryPaths(registry), command: "groups")

        // Config space.
        let functions: [PCIFunction]
        let source: String
        let result: PCIReadResult
        do throws(PCIAccessError) {
            if let dump {
                result = try PCIReader.load(.dump(path: dump), names: true, idsPath: idsPath)
                source = dump
            } else {
                let sysfs = sysfsRoot.map { $0 + "/bus/pci" }
                result = try PCIReader.load(.live(sysfsPath: sysfs), names: true, idsPath: idsPath)
                source = "this machine"
            }
            // The dump's warnings (and a missing pci.ids), as `scan` prints them.
            for w in result.warnings { printError(w.description) }
            functions = result.functions
        } catch {
            // Dump errors already name the file (`file:line: error: ...`).
            printError(dump == nil ? "acsquirk groups: live system: \(error.message)" : error.message)
            throw ExitStatus.badInput
        }
        if dump == nil, functions.contains(where: { $0.config.readable < PCI_CFG_SPACE_SIZE }) {
            printError("acsquirk groups: warning: config space beyond 64 bytes is readable only as root; "
                + "without it ACS is invisible and the prediction treats it as absent")
        }
        if functions.isEmpty {
            printError("acsquirk groups: \(dump ?? "live system"): no PCI functions found")
            throw ExitStatus.badInput
        }
        // A snapshot ran a known kernel: its profile, as live.
        let (profile, kernelNote) = KernelProfile.resolve(kernel, live: dump == nil, recordedRelease: result.recorded?.kernelRelease)
        let system = LinuxSystem(kernel: profile, assumeIOMMU: assumeIOMMU, amdIVRS: amdIOMMU,
                                 pchWorkaroundFails: pchWorkaroundFails, kernelNote: kernelNote,
                                 commandLine: commandLine.resolve(live: dump == nil && sysfsRoot == nil,
                                                                  recorded: result.recorded?.commandLine))

        // The kernel's table and the what-if entries (the builder `run` and `check` use).
        var tables = WhatIfTables(kernel: reg.kernelEntries)
        for q in quirks {
            let id = PCIDeviceID(q)!
            if !functions.contains(where: { !$0.isAllOnes && $0.vendorID == id.vendor && $0.deviceID == id.device }) {
                // Most likely a typo or the wrong dump: say so instead of printing "no change".
                printError("acsquirk groups: warning: --quirk \(id) matches no device in \(source): it changes nothing")
                tables.add(quirk: id, note: "matches no device in \(source)")
            } else {
                tables.add(quirk: id)
            }
        }
        if withRegistry {
            let local = reg.whatIfEntries
            tables.add(registryEntries: local, label: "--with-registry: \(local.count) registry entr\(local.count == 1 ? "y" : "ies") not upstream")
        }
        let (prediction, whatIf) = tables.predict(KernelView(functions: functions, system: system))

        // Live comparison, or with the groups the input recorded (snapshot, lspci text).
        var live: LiveGroups?
        if let recorded = result.recorded {
            if recorded.iommuActive {
                live = LiveGroups(groups: recorded.iommuGroups, iommuActive: true, recordedIn: recorded.origin)
            } else if recorded.origin == "snapshot" {
                printError("acsquirk groups: the snapshot records no IOMMU groups: no IOMMU was active on that machine")
            }
        } else if dump == nil {
            do {
                let l = try LiveGroups.read(root: (sysfsRoot ?? "/sys") + "/kernel/iommu_groups")
                if l.iommuActive {
                    live = l
                } else {
                    printError("acsquirk groups: /sys/kernel/iommu_groups is empty: no IOMMU is active, the kernel forms no groups")
                }
            } catch {
                printError("acsquirk groups: \(error)")
                throw ExitStatus.badInput
            }
        }

        var report = GroupsReport(prediction: prediction, source: source, whatIf: whatIf, quirkLabels: tables.labels, live: live,
                                  inputNotes: result.inputNotes)
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
            print(report.text(explain: explain), terminator: "")
        case .json:
            Console.out(report.json())
        case .dot, .svg, .png:
            let title = whatIf == nil ? nil
                : "IOMMU groups (kernel \(profile) rules) with " + tables.labels.joined(separator: "; ")
            let dot = (whatIf ?? prediction).dot(title: title)
            guard let picture = Graphviz.Format(rawValue: format.rawValue) else {
                print(dot, terminator: "")
                break
            }
            do throws(Graphviz.Failure) {
                Console.out(bytes: try await Graphviz.render(dot, as: picture))
            } catch {
                printError("acsquirk groups: cannot draw the picture: \(error)")
                throw ExitStatus.badInput
            }
        }
        if report.isFinding {
            // JSON, DOT and pictures keep stdout for data: say what differs on stderr.
            if format != .text { printError("acsquirk groups: " + report.liveText().trimmingCharacters(in: .newlines)) }
            throw ExitStatus.findings
        }
    }
}

private func printError(_ s: String) { Console.error(s) }
