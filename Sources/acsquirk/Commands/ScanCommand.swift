import ArgumentParser
import PCIAccess
import PCIConfig
import Rainbow
import LinuxPCI
import Registry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `acsquirk scan [--dump FILE] [-s SLOT] [-d ID] [-t] [-n|-nn] [-D] [-k] [--format text|json]`:
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

    @Option(name: .long, help: ArgumentHelp("Read this `lspci -xxxx` dump instead of the live system.", valueName: "file"))
    var dump: String?

    @OptionGroup var selection: PCISelectionOptions

    @Flag(name: [.customShort("t"), .customLong("tree")], help: "Draw the bus tree as lspci -t does, each function with its IOMMU group and ACS state.")
    var tree = false

    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Numbers instead of names (-n); both (-nn), as lspci.")
    var numeric: Int

    @Flag(name: [.customShort("D"), .customLong("domains")], help: "Always show PCI domains (segments), as lspci -D.")
    var domains = false

    @Flag(name: [.customShort("k"), .customLong("kernel-driver")], help: "Show the kernel driver bound to each function, as lspci -k (live, or as a snapshot or lspci -k text recorded it).")
    var kernelDriver = false

    @Option(name: .long, help: ArgumentHelp("Output format: text or json.", valueName: "text|json"))
    var format: String = "text"

    @Option(name: .customLong("pci-ids"), help: ArgumentHelp("pci.ids file for names (default: libpci's, /usr/share/misc/pci.ids).", valueName: "file"))
    var pciIDs: String?

    func run() async throws {
        // Validate here rather than with an enum so that a bad value exits 2 like other bad input.
        guard format == "text" || format == "json" else {
            printError("acsquirk scan: --format must be text or json, not '\(format)'")
            throw ExitStatus.badInput
        }
        if tree && format == "json" {
            printError("acsquirk scan: -t draws text; the JSON records give each function's parentBridge instead")
            throw ExitStatus.badInput
        }
        let filter = try selection.filter(command: "scan")
        let source: PCISource = dump.map { .dump(path: $0) } ?? .live()
        let result: PCIReadResult
        var drivers: [PCIAddress: String] = [:]
        var names: [String: String]?
        do throws(PCIAccessError) {
            result = try PCIReader.load(source, names: numeric == 0 || numeric >= 2, idsPath: pciIDs)
            // The drivers go into the JSON records whether or not -k shows them in text: read
            // live, or as a snapshot or lspci -k text recorded them.
            drivers = try dump == nil ? PCIReader.liveDrivers() : result.recorded?.drivers ?? [:]
            if numeric >= 2 && result.namesLoaded {
                let db = try PCINameDatabase(idsPath: pciIDs)
                names = [:]
                for f in result.functions where filter.matches(f) {
                    names?[f.address.description] = try db.lspciDescription(of: f.config, numeric: numeric)
                }
            }
        } catch {
            printError(error.message)
            throw ExitStatus.badInput
        }
        if kernelDriver, let dump, result.recorded == nil {
            printError("acsquirk scan: -k shows the driver bound to each function: it needs a live system, an acsquirk snapshot or lspci -k text; the lspci -xxxx dump \(dump) records no drivers")
            throw ExitStatus.badInput
        }
        for w in result.warnings { printError(w.description) }
        if case let .dump(path) = source, result.functions.isEmpty {
            printError("\(path): error: no PCI functions in this dump")
            throw ExitStatus.badInput
        }
        if tree {
            writeOut(try treeText(result, filter: filter, drivers: kernelDriver ? drivers : [:]))
            return
        }
        let report = ScanReport(result, selecting: filter, drivers: drivers)
        if format == "json" {
            writeOut(report.json())
        } else {
            let colour = useColour()
            let options = ScanReport.TextOptions(domains: domains, names: names, drivers: kernelDriver)
            writeOut(report.text(options) { text, style in colour ? ScanCommand.paint(text, style) : text })
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
        // The profile groups would pick: the running kernel's, a snapshot's recorded one, or the newest.
        let (profile, note) = KernelProfile.resolve(nil, live: dump == nil, recordedRelease: result.recorded?.kernelRelease)
        if let note { printError("acsquirk scan: -t: \(note)") }
        let p = GroupPredictor.predict(result.functions, quirks: QuirkTable(entries: reg.kernelEntries),
                                       system: LinuxSystem(kernel: profile, kernelNote: note))
        var notes: [PCIAddress: String] = [:]
        for (i, f) in p.tree.functions.enumerated() {
            var parts = ["group \(p.groupNumber[i])", Self.acsWords(f.acs)]
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
    static func acsWords(_ acs: ACSStatus) -> String {
        switch acs {
        case let .present(cap):
            let on = cap.control.intersection([.sv, .rr, .cr, .uf])
            return on.isEmpty ? "ACS none enabled" : "ACS " + on.shortNames.joined(separator: " ")
        case .absent: return "no ACS"
        case .unknown: return "ACS unknown"
        }
    }

    /// Colour only on a terminal (not TERM=dumb), never with NO_COLOR set (https://no-color.org).
    /// Rainbow applies the same rules when it paints.
    func useColour() -> Bool {
        if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
        if let t = getenv("TERM"), String(cString: t) == "dumb" { return false }
        return isatty(1) != 0
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

private func writeOut(_ s: String) { Console.out(s) }

private func printError(_ s: String) { Console.error(s) }
