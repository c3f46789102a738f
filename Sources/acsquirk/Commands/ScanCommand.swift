import ArgumentParser
import PCIAccess
import PCIConfig
import Rainbow

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `acsquirk scan [--dump FILE] [--format text|json]`: one record per PCI function with what
/// matters for isolation (docs/scan.md).
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
            """
    )

    @Option(name: .long, help: ArgumentHelp("Read this `lspci -xxxx` dump instead of the live system.", valueName: "file"))
    var dump: String?

    @Option(name: .long, help: ArgumentHelp("Output format: text or json.", valueName: "text|json"))
    var format: String = "text"

    @Option(name: .customLong("pci-ids"), help: ArgumentHelp("pci.ids file for names (default: libpci's, /usr/share/misc/pci.ids).", valueName: "file"))
    var pciIDs: String?

    @Flag(name: .customLong("numeric"), help: "Do not look up names.")
    var numeric = false

    func run() async throws {
        // Validate here rather than with an enum so that a bad value exits 2 like other bad input.
        guard format == "text" || format == "json" else {
            printError("acsquirk scan: --format must be text or json, not '\(format)'")
            throw ExitStatus.badInput
        }
        let source: PCISource = dump.map { .dump(path: $0) } ?? .live()
        let result: PCIReadResult
        do throws(PCIAccessError) {
            result = try PCIReader.load(source, names: !numeric, idsPath: pciIDs)
        } catch {
            printError(error.message)
            throw ExitStatus.badInput
        }
        for w in result.warnings { printError(w.description) }
        if case let .dump(path) = source, result.functions.isEmpty {
            printError("\(path): error: no PCI functions in this dump")
            throw ExitStatus.badInput
        }
        let report = ScanReport(result)
        if format == "json" {
            writeOut(report.json())
        } else {
            let colour = useColour()
            writeOut(report.text { text, style in colour ? ScanCommand.paint(text, style) : text })
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
