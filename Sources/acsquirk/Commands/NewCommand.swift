import ArgumentParser
import Diagnostics
import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Registry

/// `acsquirk new --device BDF [--dump FILE] [--out quirks] [--family NAME]`: a new registry entry
/// scaffolded from a real device, with the device's config space saved next to it
/// (docs/pipeline.md).
struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Scaffold a registry entry from a real device, with its config space as the record.",
        discussion: """
            Writes OUT/<vendor>/<family>.yaml filled from the device at BDF: vendor (and the name \
            the shipped registry or OUT uses, else pci.ids'), the device IDs of all its functions (same bus and slot), \
            port type, multifunction, the claim that fits the device (multifunction endpoint: \
            no-peer-to-peer SV|TB|RR|CR|UF|DT; root or downstream port: ports-isolated SV|RR|CR|UF), \
            each function's ACS capability in a comment, status new, and TODO markers in every \
            evidence field, which `acsquirk lint` refuses until a person replaces them. Saves \
            OUT/<vendor>/<family>.dump.txt (lspci -xxxx format, every function of the device, Device \
            Serial Number capabilities zeroed). Refuses to overwrite either file (exit 2, nothing \
            written). Refuses a device that an entry of the shipped registry or of OUT already \
            covers (exit 2, nothing written) unless --force. Refuses a device that already has a working ACS capability (ACS advertising \
            RR and CR: Linux uses it, the entry is unnecessary and check would report it as an \
            error) with exit 2 and nothing written, unless --force (then it warns and writes); the \
            same for a device whose ACS capability cannot be read (e.g. a 256-byte dump: take it \
            with `sudo lspci -xxxx`). Multifunction endpoints get port-type endpoint and \
            multifunction: true, which pci_quirk_mf_endpoint_acs() rows stand for (its answer for a \
            single-function endpoint changes no IOMMU group). Exit 0 written, 2 bad input.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The device: dddd:bb:dd.f or bb:dd.f (any of its functions).", valueName: "bdf"))
    var device: String

    @OptionGroup(title: "Input")
    var input: InputOptions

    @Option(name: .long, help: ArgumentHelp("Registry folder to write into.", valueName: "dir"))
    var out: String = "quirks"

    @Option(name: .long, help: ArgumentHelp("Family name (default: the device's pci.ids name).", valueName: "name"))
    var family: String?

    @Flag(name: .long, help: "Write the entry even when an entry already covers the device, the device already has a working ACS capability, or its ACS cannot be read.")
    var force = false

    func validate() throws {
        guard PCIAddress(device) != nil else {
            throw ValidationError("--device '\(device)' is not a BDF (dddd:bb:dd.f or bb:dd.f)")
        }
        if let family, family.trimmingCharacters(in: .whitespaces).isEmpty || Registry.slug(family).isEmpty {
            throw ValidationError("--family '\(family)' has no letters or digits to name a file with")
        }
    }

    func run() async throws {
        let address = PCIAddress(device)!
        let read = try input.read(command: "new")
        let db: PCINameDatabase
        do throws(PCIAccessError) {
            db = try PCINameDatabase(idsPath: input.names.idsPath)
        } catch {
            PipelineCLI.error("acsquirk new: \(error.message)")
            throw ExitStatus.badInput
        }
        // Entries already in the registry (the shipped one wherever new runs, and the folder
        // written into): the vendor-name to reuse, devices already covered.
        let shipped = try RegistryCLI.shipped(command: "new")
        let existing = Registry.load(paths: [shipped] + (FileManager.default.fileExists(atPath: out) ? [out] : [])).entries
        let scaffold: Scaffold
        do throws(PipelineError) {
            scaffold = try EntryScaffolder.scaffold(device: address, functions: read.functions, family: family,
                                                    names: .pciIDs(db), registry: existing, root: out,
                                                    sourceLabel: input.source.label, input: input.dump,
                                                    rebuiltFromText: read.format == .lspciText ? read.assumptions : nil)
            // Findings about the device, through the one reporter; each refuses without --force.
            for d in scaffold.covered + scaffold.workingACS + scaffold.unknownACS { Console.diagnostics.emit(d) }
            if !force, !scaffold.covered.isEmpty {
                throw PipelineError("the device already has an entry: no entry written (pass --force to write another anyway)")
            }
            if !force, !scaffold.workingACS.isEmpty {
                throw PipelineError("the device already has a working ACS capability: no entry written "
                    + "(pass --force to write it anyway)")
            }
            if !force, !scaffold.unknownACS.isEmpty {
                throw PipelineError("the device's ACS capability is unknown: no entry written; take the dump with "
                    + "`sudo lspci -xxxx` (all 4096 bytes of config space) and run new on it (or pass --force)")
            }
            let report = try EntryScaffolder.write(scaffold)
            for m in report.messages { PipelineCLI.error(m) }
        } catch {
            PipelineCLI.error("acsquirk new: \(error.message)")
            throw ExitStatus.badInput
        }
        for n in scaffold.notes { Console.diagnostics.emit(n) }
        let ids = scaffold.functions.map { "\($0.address.shortDescription) [\($0.idString)]" }.joined(separator: ", ")
        PipelineCLI.out("""
            wrote \(scaffold.entryPath)
            wrote \(scaffold.dumpPath) (\(scaffold.functions.count) function\(scaffold.functions.count == 1 ? "" : "s"): \(ids))
            next: replace the TODO markers under evidence with what the vendor confirmed, then
              acsquirk lint \(scaffold.entryPath)
              acsquirk check --dump \(scaffold.dumpPath) \(scaffold.entryPath)

            """)
    }
}
