import ArgumentParser
import Foundation
import PCIAccess
import LinuxPCI
import PCIConfig
import SafeFiles
import StaticACS

/// `acsquirk acs-table`: an ACS extended capability for one function, placed into its extended
/// config space, as C arrays, lspci hex lines, a patched dump or register writes.
/// See docs/acs-table.md.
struct ACSTableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acs-table",
        abstract: "Build a static ACS extended capability for one function and place it into its config space.",
        discussion: """
            The default (--controls none) is the table the PCIe spec allows for a function that \
            cannot do peer-to-peer: an ACS capability advertising no controls, which Linux treats \
            as every control enabled, so the functions of a multifunction device get separate IOMMU \
            groups without a kernel quirk. The capability goes after the last existing extended \
            capability (or at 0x100 when there is none) and the last capability's next pointer is \
            rewritten. Nothing is ever written to a device. Exit codes: 0 ok, 2 bad input or refusal.
            """
    )

    enum Format: String, OutputFormat {
        case c, hex, dump, writes
        var tableFormat: ACSTableFormat { ACSTableFormat(rawValue: rawValue)! }
    }

    @Option(name: .long, help: ArgumentHelp("The function: dddd:bb:dd.f or bb:dd.f.", valueName: "BDF"))
    var device: String

    @OptionGroup(title: "Input (live needs root)")
    var input: InputOptions

    @Option(name: .long, help: ArgumentHelp("ACS Capability: controls implemented, `none` or a list of SV,TB,RR,CR,UF,EC,DT.", valueName: "LIST"))
    var controls: String = "none"

    @Option(name: [.customLong("enabled"), .customLong("control-enabled")],
            help: ArgumentHelp("ACS Control as the table initialises it: `none` (reset value), `kernel` (what Linux enables: SV|RR|CR|UF of the capabilities) or a list; must be a subset of --controls.", valueName: "LIST"))
    var enabled: String = "none"

    @Option(name: .long, help: ArgumentHelp("Egress Control Vector Size in bits (1-256); required with EC, rejected without it.", valueName: "N"))
    var egressBits: Int?

    @Option(name: .long, help: ArgumentHelp("Place the capability here (hex, dword aligned, free) instead of after the last capability.", valueName: "0xNNN"))
    var offset: String?

    @Flag(name: .long, help: "With --format dump: every function of the source, this one patched (for lspci -F / acsquirk groups).")
    var allFunctions = false

    @Flag(name: .long, help: "Print the existing extended capabilities, their sizes and the placement to stderr.")
    var explain = false

    @OptionGroup(title: "Output")
    var output: OutputOptions<Format>

    func run() async throws {
        let text: String
        do {
            text = try build()
        } catch let e as CommandFailure {
            printError(e.message)
            throw ExitStatus.badInput
        } catch let e as StaticACSError {
            printError(e.description)
            throw ExitStatus.badInput
        }
        try output.destination.write(text, command: "acs-table")
    }

    /// A refusal to report.
    private struct CommandFailure: Error {
        let message: String
        init(_ m: String) { message = m }
    }

    private func printError(_ message: String) { Console.error("acsquirk acs-table: error: \(message)") }

    private func note(_ message: String) { Console.error("acsquirk acs-table: \(message)") }

    /// Parses the options, reads the source, places the table and renders it.
    func build() throws -> String {
        guard let address = PCIAddress(device) else {
            throw CommandFailure("--device \(device): not a PCI address (dddd:bb:dd.f or bb:dd.f)")
        }
        guard let capability = ACSFlags(list: controls) else {
            throw CommandFailure("--controls \(controls): use `none` or a list of SV, TB, RR, CR, UF, EC, DT")
        }
        let control: ACSFlags
        switch enabled.lowercased() {
        case "kernel": control = pciACSEnableBits(capability)
        default:
            guard let c = ACSFlags(list: enabled) else {
                throw CommandFailure("--enabled \(enabled): use `none`, `kernel` or a list of SV, TB, RR, CR, UF, EC, DT")
            }
            control = c
        }
        var at: Int?
        if let offset {
            var s = Substring(offset)
            if s.hasPrefix("0x") || s.hasPrefix("0X") { s = s.dropFirst(2) }
            // Hex digits only: Int(_:radix:) would also take a sign ("0x-4", "0x+14c").
            guard !s.isEmpty, s.count <= 4, s.allSatisfy(\.isHexDigit), let v = Int(s, radix: 16) else {
                throw CommandFailure("--offset \(offset): not a hex offset like 0x14c")
            }
            at = v
        }
        let format = output.format
        if allFunctions && format != .dump { throw CommandFailure("--all-functions only goes with --format dump") }
        let request = try ACSTableRequest(capability: capability, control: control, egressVectorBits: egressBits)

        let sourceName = input.dump ?? "the live system"
        let result = try input.read(command: "acs-table")
        if result.format == .lspciText {
            // Placing a capability needs every byte of extended config space; the text shows a decode.
            throw CommandFailure("\(sourceName): lspci text shows lspci's decode, not the bytes: acs-table places a capability "
                + "in free extended config space and needs the real bytes (`sudo lspci -xxxx` or `acsquirk snapshot`)")
        }
        let functions = result.functions
        guard let function = functions.first(where: { $0.address == address }) else {
            throw StaticACSError.deviceNotFound(address, source: sourceName, count: functions.count)
        }
        let linux = KernelView(functions: functions, system: LinuxSystem()).device(at: address)
        let table = try StaticACSTable.place(request, in: function, at: at, linux: linux)
        for var w in table.warnings {
            w.location.device?.input = input.dump
            Console.diagnostics.emit(w)
        }
        if explain, let p = table.placement { note(explainText(p)) }

        if format == .dump && allFunctions, let patched = table.patchedFunction {
            return DumpWriter.text(functions.map { $0.address == address ? patched : $0 })
        }
        return table.render(format.tableFormat) ?? ""
    }

    private func explainText(_ p: ACSPlacement) -> String {
        var s = "extended capabilities (list order):\n"
        for e in p.existing { s += "  \(e)\n" }
        if p.existing.isEmpty { s += "  none (header 0 at 0x100)\n" }
        s += "ACS capability: 0x\(hex(p.offset, width: 3))-0x\(hex(p.offset + p.size - 1, width: 3)) (\(p.size) bytes, "
            + (p.chosen ? "chosen with --offset" : "first free and empty place") + ")"
        if let l = p.link {
            s += "\nlink: header at 0x\(hex(l.offset, width: 3)) 0x\(hex(l.oldHeader, width: 8)) -> 0x\(hex(l.newHeader, width: 8))"
        }
        return s
    }
}
