import ArgumentParser
import PCIAccess
import PCIConfig
import Rainbow
import LinuxPCI
import Pipeline
import Registry


/// `acsquirk scan [--dump FILE] [-s SLOT] [-d ID] [-t] [-n|-nn] [-D] [-k] [--format text|json] [-o FILE]`:
/// one record per PCI function with what matters for isolation (docs/scan.md), selected and
/// shown with lspci's options.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Show every PCI function with its PCIe port type, parent bridge and ACS capability.",
        discussion: """
            Reads this machine through libpci (linux-sysfs), or an `lspci -xxxx` dump with --dump. \
            A dump is read once with libpci's own grammar: what libpci would reject is reported \
            as FILE:LINE and the scan stops (exit 2); what libpci would silently ignore or merge is \
            a warning on stderr. ACS is `present` (ACSCap/ACSCtl decoded as lspci prints them), \
            `absent`, or `unknown` with the reason (a 256-byte dump, a non-root read), never \
            "no ACS" when extended config space could not be seen. JSON fields: docs/scan.md.

            -s, -d, -t, -n, -D and -k work as in lspci (libpci parses -s and -d, so the syntax, \
            the wildcards and the errors are lspci's). -t draws lspci's tree with each function's \
            predicted IOMMU group (as `acsquirk groups` numbers it) and ACS state beside it: \
            `ACS SV RR CR UF` lists the enabled controls Linux asks for, `ACS none enabled`, \
            `no ACS`, `ACS unknown`; `quirk` when a kernel quirk decides instead of the registers. \
            -k needs a live system, an acsquirk snapshot or lspci -k text: an `lspci -xxxx` dump \
            records no drivers.
            """
    )

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "Selection (as lspci)")
    var selection: PCISelectionOptions

    @Flag(name: [.customShort("t"), .customLong("tree")], help: "Draw the bus tree as lspci -t does, each function with its IOMMU group and ACS state.")
    var tree = false

    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Numbers instead of names (-n); both (-nn), as lspci.")
    var numeric: Int

    @Flag(name: [.customShort("D"), .customLong("domains")], help: "Always show PCI domains (segments), as lspci -D.")
    var domains = false

    @Flag(name: [.customShort("k"), .customLong("kernel-driver")], help: "Show the kernel driver bound to each function, as lspci -k (live, or as a snapshot or lspci -k text recorded it).")
    var kernelDriver = false

    @OptionGroup(title: "Platform (the groups of -t)")
    var platform: PlatformOptions

    @OptionGroup(title: "Output")
    var output: OutputOptions<ScanFormat>

    func run() async throws {
        if tree && output.format == .json {
            printError("acsquirk scan: -t draws text; the JSON records give each function's parentBridge instead")
            throw ExitStatus.badInput
        }
        let filter = try selection.filter(command: "scan")
        let result = try input.read(command: "scan", names: numeric == 0 || numeric >= 2)
        var drivers: [PCIAddress: String] = [:]
        var names: [String: String]?
        do throws(PCIAccessError) {
            // The drivers go into the JSON records whether or not -k shows them in text: read
            // live, or as a snapshot or lspci -k text recorded them.
            drivers = try input.dump == nil ? PCIReader.liveDrivers(sysfsPath: input.roots.sysfsRoot.map { $0 + "/bus/pci" })
                : result.recorded?.drivers ?? [:]
            if numeric >= 2 && result.namesLoaded {
                let db = try PCINameDatabase(idsPath: input.names.idsPath)
                names = [:]
                for f in result.functions where filter.matches(f) {
                    names?[f.address.description] = try db.lspciDescription(of: f.config, numeric: numeric)
                }
            }
        } catch {
            printError(error.message)
            throw ExitStatus.badInput
        }
        if kernelDriver, let dump = input.dump, result.recorded == nil {
            printError("acsquirk scan: -k shows the driver bound to each function: it needs a live system, an acsquirk snapshot or lspci -k text; the lspci -xxxx dump \(dump) records no drivers")
            throw ExitStatus.badInput
        }
        if tree {
            try output.destination.write(try treeText(result, filter: filter, drivers: kernelDriver ? drivers : [:]), command: "scan")
            return
        }
        let report = ScanReport(result, selecting: filter, drivers: drivers)
        switch output.format {
        case .json:
            try output.destination.write(report.json(), command: "scan")
        case .text:
            let colour = output.destination.colour
            let options = ScanReport.TextOptions(domains: domains, names: names, drivers: kernelDriver)
            try output.destination.write(report.text(options) { text, style in colour ? ScanCommand.paint(text, style) : text },
                                         command: "scan")
        }
    }

    /// `-t`: lspci's tree with ` (group N, ACS ...)` after each function (docs/scan.md).
    func treeText(_ result: PCIReadResult, filter: PCIFilter, drivers: [PCIAddress: String]) throws -> String {
        let reg: PredictionRegistry
        do throws(PredictionRegistryError) {
            reg = try Registry.loadForPrediction()
        } catch {
            printError("acsquirk scan: \(error)")
            throw ExitStatus.badInput
        }
        // The platform groups would assume (the kernel profile: the running kernel's, a snapshot's
        // recorded one, or the newest).
        let system = platform.system(for: result, from: input)
        if let note = system.kernelNote { printError("acsquirk scan: -t: \(note)") }
        let p = GroupPredictor.predict(result.functions, quirks: QuirkTable(entries: reg.kernelEntries), system: system)
        // What the command line did that the tree cannot show: the IOMMU off (no groups at all)
        // and the out-of-tree override's warning, said as `groups` says them.
        for note in p.notes where note.kind == .warning || (p.view.iommuOff != nil && note.kind == .platform) {
            printError("acsquirk scan: -t: \(note.kind == .warning ? "warning: " : "")\(note.text)")
        }
        var notes: [PCIAddress: String] = [:]
        for (i, f) in p.tree.functions.enumerated() {
            // ACS as Linux left it (pci_enable_acs with the command line), which the groups follow.
            var parts = [Self.acsWords(f.acs, effective: p.devices[i].acs)]
            if p.view.iommuOff == nil { parts.insert("group \(p.groupNumber[i])", at: 0) }
            if case .quirk = p.verdicts[i].reason { parts.append("quirk") }
            if let d = drivers[f.address] { parts.append(d) }
            notes[f.address] = " (" + parts.joined(separator: ", ") + ")"
        }
        for f in result.functions where notes[f.address] == nil && f.isAllOnes {
            notes[f.address] = " (all-ones: no device answered)"
        }
        let selected = Set(result.functions.filter(filter.matches).map(\.address))
        return LspciTree.render(result.functions, matching: filter.selectsAll ? nil : { selected.contains($0) },
                                annotate: { notes[$0] })
    }

    /// A function's ACS capability in a few words: the enabled controls among those Linux asks
    /// for (`pci_acs_enabled(dev, SV|RR|CR|UF)`), `none enabled`, `no ACS` or `ACS unknown`.
    /// `effective`: the registers as `pci_enable_acs()` left them (the kernel command line, an
    /// IOMMU that is off), which the predicted groups follow; without it, Control as read.
    static func acsWords(_ acs: ACSStatus, effective: PCIDevACS? = nil) -> String {
        switch acs {
        case let .present(cap):
            let control = effective?.registers(cap.layout)?.control ?? cap.control
            let on = control.intersection([.sv, .rr, .cr, .uf])
            return on.isEmpty ? "ACS none enabled" : "ACS " + on.shortNames.joined(separator: " ")
        case .absent: return "no ACS"
        case .unknown: return "ACS unknown"
        }
    }

    static func paint(_ s: String, _ style: ScanReport.Style) -> String {
        switch style {
        case .plain: s
        case .header: s.bold
        case .present: s.green
        case .absent: s.yellow
        case .unknown: s.magenta
        case .flagged: s.red.bold
        case .detail: s.dim
        }
    }
}

/// Output formats of `acsquirk scan`.
enum ScanFormat: String, OutputFormat { case text, json }

private func printError(_ s: String) { Console.error(s) }
