import ArgumentParser
import Diagnostics
import Foundation
import PCIConfig
import Registry

enum ShowFormat: String, OutputFormat { case text, json }

/// `acsquirk show VVVV:DDDD`: every registry entry covering a device, with file:line, the claim,
/// its conditions and kernel status (with table rows). Exit 0 when an entry covers the device;
/// 1 when none does (as `grep` answers 1 for no match) or the registry has errors; 2 for a
/// malformed ID, an unreadable registry or no shipped registry.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "What the registry (and the kernel table it mirrors) knows of a device.",
        discussion: """
            Prints every entry of the shipped registry (and of --registry) whose devices cover \
            VVVV:DDDD. Exit 0 when an entry covers it, 1 when none does (it is not in the \
            registry) or the registry has errors, 2 for a malformed ID or an unreadable registry.
            """)

    @Argument(help: "Vendor and device ID in hex, e.g. 8086:10c9.")
    var id: String

    @Option(help: ArgumentHelp("Registry files or folders searched besides the shipped registry (repeatable).", valueName: "path"))
    var registry: [String] = []

    @OptionGroup(title: "Output")
    var output: OutputOptions<ShowFormat>

    func validate() throws {
        guard PCIDeviceID(id) != nil else {
            throw ValidationError("'\(id)' is not VVVV:DDDD (two hex IDs, e.g. 8086:10c9)")
        }
    }

    func run() async throws {
        let pciID = PCIDeviceID(id)!
        let (vendor, device) = (pciID.vendor, pciID.device)
        let shipped = try RegistryCLI.shipped(command: "show")
        let loaded = Registry.load(paths: [shipped] + registry)
        if SourceReader.isUnreadable(loaded.diagnostics) {
            try Console.diagnostics.emit(contentsOf: loaded.diagnostics)
            throw ExitStatus.badInput
        }
        let index = RegistryIndex(loaded.entries)
        let hits = index.entries(vendor: vendor, device: device)
        let table = Registry.kernelTable(loaded.entries)
        let name = pciID.description
        switch output.format {
        case .text:
            var lines: [String] = []
            if hits.isEmpty {
                lines.append("\(name) is not in the registry")
                let wide = table.filter { $0.entry.entry.vendor == vendor && $0.device == nil }
                for r in wide {
                    lines.append("  (vendor-wide kernel row \(r.row) \(r.entry.entry.kernel.function ?? "") in \(r.entry.path) does not list it)")
                }
            }
            lines += hits.map { Self.describe($0, device: device) }
            try output.destination.write(lines.map { $0 + "\n" }.joined(), command: "show")
        case .json:
            let items: [JSONValue] = hits.map { e in
                .object([
                    ("path", .string(e.path)), ("line", .int(e.line)),
                    ("vendor-name", .string(e.entry.vendorName)), ("family", .string(e.entry.family)),
                    ("kind", .string(e.entry.isolation.kind.rawValue)),
                    ("acs-equivalent", .array(e.entry.isolation.acsEquivalent.shortNames.map { .string($0) })),
                    ("port-type", .string(e.entry.appliesTo.portType.rawValue)),
                    ("status", .string(e.entry.kernel.status.rawValue)),
                    ("function", e.entry.kernel.function.map { .string($0) } ?? .null),
                    ("since", e.entry.kernel.since.map { .string($0) } ?? .null),
                    ("rows", .array(e.entry.kernel.table.map { .int($0.row) })),
                ])
            }
            try output.destination.write(JSONOutput.encode(JSONValue.object([("device", .string(name)), ("entries", .array(items))]),
                                                           format: "acsquirk-show/1"), command: "show")
        }
        if loaded.diagnostics.hasErrors {
            for d in loaded.diagnostics where d.severity == .error { Console.diagnostics.emit(d) }
            throw ExitStatus.findings
        }
        if hits.isEmpty { throw ExitStatus.findings }
    }

    static func describe(_ le: LoadedEntry, device: UInt16) -> String {
        let e = le.entry
        var lines: [String] = []
        lines.append("\(le.path):\(le.line): \(e.vendorName) \(e.family)")
        var claim = "  claim: \(e.isolation.kind.rawValue), ACS-equivalent \(e.isolation.acsEquivalent)"
        if e.isolation.kind == .acsErratum { claim += " (answers from the real ACS Control register)" }
        lines.append(claim)
        var cond = ["port type \(e.appliesTo.portType.rawValue)"]
        if let mf = e.appliesTo.multifunction { cond.append(mf ? "multifunction only" : "single-function only") }
        if let c = e.appliesTo.classID { cond.append("class \(hex(c, width: 4))") }
        if !e.appliesTo.requires.isEmpty { cond.append("requires \(e.appliesTo.requires.map(\.rawValue).joined(separator: ", "))") }
        if e.appliesTo.registerLayout == .intelSPTDword { cond.append("register layout intel-spt-dword") }
        lines.append("  applies to: \(cond.joined(separator: "; "))")
        var k = "  kernel: \(e.kernel.status.rawValue)"
        if let f = e.kernel.function { k += " \(f)" }
        if let s = e.kernel.since {
            if let r = KernelRelease(s), r.upperBound, r.sublevel == nil {
                k += "; first mainline release: \(r.phrase)"
            } else {
                k += " since \(s)"
            }
        }
        if let l = e.kernel.link { k += " (\(l))" }
        lines.append(k)
        let rows = e.kernel.table.filter { $0.device == nil || $0.device == device }
        if !rows.isEmpty {
            lines.append("  table: " + rows.map { "row \($0.row) {\($0.vendorMacro ?? "0x" + hex(e.vendor, width: 4)), \($0.device.map { "0x" + hex($0, width: 4) } ?? "PCI_ANY_ID")}" }
                .joined(separator: ", "))
        }
        if let ev = e.evidence, !ev.confirmedBy.isEmpty {
            lines.append("  confirmed by: \(ev.confirmedBy.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
