import ArgumentParser
import Diagnostics
import KernelOutput
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import SafeFiles

// The flags several commands share, each declared once, as swift-argument-parser's
// `@OptionGroup`s: what is read (`InputOptions`), the platform a prediction assumes
// (`PlatformOptions`), what-if material (`WhatIfOptions`), lspci's selection
// (`PCISelectionOptions`), where the output goes in which format (`OutputOptions`), and what the
// kernel-code commands share (`TemplatesOptions`, `SubmitterOptions`).

/// `--sriov 01:00.0=8`: parsed by `SRIOVNumVFs.init?(argument:)`; a malformed one is a usage error (exit 2).
extension SRIOVNumVFs: ExpressibleByArgument {}

/// `--pci-ids FILE`: the pci.ids names come from (`input`, `lint`, `survey`). `--ids-path` is the
/// old spelling `groups` had: hidden, still accepted.
struct NamesOptions: ParsableArguments {
    @Option(name: .customLong("pci-ids"), help: ArgumentHelp("pci.ids file for names (default: libpci's, /usr/share/misc/pci.ids).", valueName: "file"))
    var pciIDs: String?

    @Option(name: .customLong("ids-path"), help: ArgumentHelp("Deprecated spelling of --pci-ids.", visibility: .hidden))
    var deprecatedIDsPath: String?

    /// The pci.ids file given under either spelling (`--pci-ids` wins).
    var idsPath: String? { pciIDs ?? deprecatedIDsPath }
}

/// Where this machine's `/sys` and `/proc` are (tests point them at a copied tree): hidden.
struct SystemRootOptions: ParsableArguments {
    @Option(name: .customLong("sysfs-root"), help: ArgumentHelp("Root of /sys for this machine (tests).", visibility: .hidden))
    var sysfsRoot: String?

    @Option(name: .customLong("proc-root"), help: ArgumentHelp("Root of /proc for this machine (tests).", visibility: .hidden))
    var procRoot: String?
}

/// `--strict`: warnings are errors (as SwiftLint's `--strict`), declared once for `lint` and for
/// every command that reads config space (`InputOptions`). `lint` still prints every finding and
/// fails on warnings as on errors (exit 1); a read refuses its input at the first warning through
/// `ErrorThrowingDiagnosticCollector` (exit 2, as any bad input). Other findings of a command
/// (`check`'s about entries and devices, `groups --quirk`'s) keep their severity.
struct StrictOptions: ParsableArguments {
    @Flag(help: "Warnings are errors: lint still prints every finding but fails on a warning (exit 1); a command that reads config space refuses an input with a read warning, printing the first (exit 2).")
    var strict = false

    /// Where the input's warnings go: `upstream`, which with `--strict` is given the first warning
    /// and then stops the read (`ErrorThrowingDiagnosticCollector` at `.warning`).
    func collector(upstream: any DiagnosticCollector) -> any DiagnosticCollector {
        strict ? ErrorThrowingDiagnosticCollector(upstream: upstream, severity: .warning) : upstream
    }
}

/// What a command reads: this machine through libpci, or a file (`--dump`). The one way commands
/// read config space: `read(command:)` (`InputSource.read`, which `run` uses as well).
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read this file instead of this machine: an `lspci -xxxx` dump, `lspci -vvv` text or an `acsquirk snapshot` (told apart by content).", valueName: "file"))
    var dump: String?

    @OptionGroup var names: NamesOptions

    @OptionGroup var strictness: StrictOptions

    @OptionGroup var roots: SystemRootOptions

    /// The input as the Pipeline takes it.
    var source: InputSource { InputSource(dump: dump, sysfsRoot: roots.sysfsRoot, idsPath: names.idsPath) }

    /// `--strict`.
    var strict: Bool { strictness.strict }

    /// Reads the functions and prints the input's warnings to stderr (read live without root, the
    /// extended config space, and ACS with it, is invisible: said once). A read error (unreadable
    /// or malformed file, libpci failure) or a file without PCI functions is printed and exits 2;
    /// with `--strict` so is an input with a warning: the first is printed, with its location, and
    /// the read stops there.
    func read(command: String, names: Bool = true) throws -> PCIReadResult {
        do throws(PipelineError) {
            return try source.read(names: names, warnings: strictness.collector(upstream: Console.diagnostics))
        } catch {
            if error.stoppedOn != nil {
                // The warning is printed already (`file:line: warning: ...`): say only why it stops.
                Console.error("acsquirk \(command): the input is refused: --strict makes its warnings errors")
            } else {
                // A file's errors name it and the line already (`file:line: error: ...`).
                Console.error(dump == nil ? "acsquirk \(command): \(error.message)" : error.message)
            }
            throw ExitStatus.badInput
        }
    }
}

/// The platform a prediction assumes beyond config space: every command that predicts IOMMU
/// groups (`groups`, `check`, `run`, `scan -t`, `survey`) takes these.
struct PlatformOptions: ParsableArguments {
    /// `--kernel 6.12`, `--kernel 5.9.3`: parsed and validated once, by `KernelProfile.parse(_:)`;
    /// a value it refuses is a usage error (exit 2) that says parse's reason (`KernelProfileError`).
    @Option(name: .long, help: ArgumentHelp("Kernel release the group prediction is for (\(KernelProfile.oldest) to \(KernelProfile.newest), e.g. 5.10, 5.9.3, 6.6.58; default: the running kernel's on this machine, a snapshot's recorded kernel's, else the newest, \(KernelProfile.newest)).", valueName: "version"),
            completion: .list(KernelProfile.allValueStrings), transform: KernelProfile.parse)
    var kernel: KernelProfile?

    @Option(name: .customLong("cmdline"), help: ArgumentHelp(
        "Kernel command line to predict for, e.g. \"intel_iommu=on pci=disable_acs_redir=0000:00:01.0\": pci=disable_acs_redir=, pci=config_acs=, pci=noats, intel_iommu=off, amd_iommu=off, iommu=off and the out-of-tree pcie_acs_override= act; other parameters are listed as ignored (default: this machine's /proc/cmdline, a snapshot's recorded one, none for a dump).",
        valueName: "parameters"))
    var cmdline: String?

    @Flag(name: .customLong("assume-iommu"), help: "The input was taken without an IOMMU: model the ACS controls Linux enables (capability ∩ SV|RR|CR|UF).")
    var assumeIOMMU = false

    @Flag(name: .customLong("amd-iommu"), help: "Assume an AMD IOMMU (ACPI IVRS table): the AMD southbridge quirk answers.")
    var amdIOMMU = false

    @Flag(name: .customLong("assume-pch-workaround-fails"), help: "Assume the Intel PCH root-port ACS workaround (RCBA) fails.")
    var pchWorkaroundFails = false

    /// The assumptions as the Pipeline takes them (the kernel profile resolved once the input is read).
    var assumptions: PlatformAssumptions {
        PlatformAssumptions(kernel: kernel, system: LinuxSystem(assumeIOMMU: assumeIOMMU, amdIVRS: amdIOMMU,
                                                                pchWorkaroundFails: pchWorkaroundFails),
                            commandLine: cmdline)
    }

    /// The system for `read` from `input` (a `--sysfs-root` tree is not this machine: its
    /// /proc/cmdline does not apply).
    func system(for read: PCIReadResult, from input: InputOptions) -> LinuxSystem {
        assumptions.resolved(live: input.dump == nil, recorded: read.recorded, runningCommandLine: input.roots.sysfsRoot == nil)
    }
}

/// What-if material for the prediction, consulted before the kernel's table (`WhatIfTables`).
/// SR-IOV what-ifs (`--sriov`) belong here.
struct WhatIfOptions: ParsableArguments {
    @Option(name: .customLong("quirk"), help: ArgumentHelp("What-if: add a pci_quirk_mf_endpoint_acs-style quirk for VVVV:DDDD, consulted first (repeatable).", valueName: "VVVV:DDDD"))
    var quirks: [String] = []

    @Flag(name: .customLong("with-registry"), help: "What-if: add every registry entry that is not upstream.")
    var withRegistry = false

    @Option(name: .customLong("sriov"), help: ArgumentHelp("What-if: N SR-IOV VFs enabled on the PF at BDF, as if N were written to its sriov_numvfs (0 disables; at most TotalVFs; repeatable).", valueName: "BDF=N"))
    var sriov: [SRIOVNumVFs] = []

    /// NumVFs by PF for `LinuxSystem.sriovNumVFs` (placed by LinuxPCI's `VirtualFunctions`). A
    /// PF named twice, or a request the kernel would refuse on `functions` (no SR-IOV capability,
    /// beyond TotalVFs, ...), is printed with its reason and exits 2.
    func sriovNumVFs(for functions: [PCIFunction], command: String) throws -> [PCIAddress: Int] {
        var out: [PCIAddress: Int] = [:]
        for r in sriov {
            if out[r.pf] != nil {
                Console.error("acsquirk \(command): --sriov names \(r.pf.shortDescription) twice")
                throw ExitStatus.badInput
            }
            out[r.pf] = r.numVFs
        }
        let refused = VirtualFunctions(functions, numVFs: out).refused
        for why in refused { Console.error("acsquirk \(command): --sriov: \(why)") }
        if !refused.isEmpty { throw ExitStatus.badInput }
        return out
    }

    /// The `--quirk` IDs; a malformed one is a usage error (exit 2).
    func quirkIDs(command: String) throws -> [PCIDeviceID] {
        try quirks.map { q in
            guard let id = PCIDeviceID(q) else {
                Console.error("acsquirk \(command): --quirk '\(q)' is not VVVV:DDDD (hex vendor and device ID, e.g. 8086:10d3)")
                throw ExitStatus.badInput
            }
            return id
        }
    }
}

/// A command's output formats (`--format`): one enum per command, `text` first by default.
protocol OutputFormat: ExpressibleByArgument, CaseIterable, RawRepresentable, Sendable where RawValue == String {
    /// The format without `--format`.
    static var standard: Self { get }
    /// What follows the list of formats in the help, e.g. ` (svg and png through graphviz)`.
    static var helpNote: String { get }
}

extension OutputFormat {
    static var standard: Self { allCases.first! }
    static var helpNote: String { "" }

    /// `text or json`, `text, json or github`.
    static var valueList: String {
        let names = allCases.map(\.rawValue)
        return names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// `--format`'s parser: a value no case has is a usage error (exit 2) naming the formats.
    static func parse(_ argument: String) throws -> Self {
        guard let f = Self(rawValue: argument) else {
            throw ValidationError("--format must be \(valueList), not '\(argument)'")
        }
        return f
    }
}

/// `-o FILE`: where a command's output goes instead of stdout. The one writer of command output:
/// files through `OutputFile.write` (SafeFiles: staged next to the file and renamed over it,
/// links and special files refused), stdout through `Console`.
struct OutputDestination: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write to FILE instead of stdout: staged next to it and renamed over it (a regular file or a new path, whose missing folders are created; links, folders and special files are refused). `-` or /dev/stdout is stdout, /dev/null discards.", valueName: "file"))
    var output: String?

    /// Whether the output goes to a terminal (binary output is refused there).
    var isTerminal: Bool { output == nil && Console.outputIsTerminal }

    /// Colour only on a terminal (`Console.useColour`), never into a file.
    var colour: Bool { output == nil && Console.useColour }

    /// Writes `text` (see `sink`).
    func write(_ text: String, command: String) throws {
        let sink = self.sink(command: command)
        sink.write(text)
        try sink.finish()
    }

    /// Writes `bytes` (a PNG picture) (see `sink`).
    func write(bytes: [UInt8], command: String) throws {
        let sink = self.sink(command: command)
        sink.write(bytes: bytes)
        try sink.finish()
    }

    /// A sink for output written in pieces: to stdout as it comes, or collected and written to
    /// the file by `finish()` (all of it or nothing; a failure is printed and exits 2).
    func sink(command: String) -> OutputSink { OutputSink(path: output, command: command) }
}

/// Output on its way to stdout or to a file (`OutputDestination.sink`).
final class OutputSink {
    private let path: String?
    private let command: String
    private var bytes: [UInt8] = []

    /// Output for `path` (nil: stdout); `command` names the messages.
    init(path: String?, command: String) {
        self.path = path
        self.command = command
    }

    func write(_ text: String) {
        if path == nil { Console.out(text) } else { bytes += Array(text.utf8) }
    }

    func write(bytes more: [UInt8]) {
        if path == nil { Console.out(bytes: more) } else { bytes += more }
    }

    /// Writes what was collected to the file (nothing to do for stdout).
    func finish() throws {
        guard let path else { return }
        do throws(FileError) {
            let report = try OutputFile.write(bytes, to: path)
            for m in report.messages { Console.error("acsquirk \(command): \(m)") }
        } catch {
            Console.error("acsquirk \(command): \(error) (nothing written)")
            throw ExitStatus.badInput
        }
    }
}

/// `--format` and `-o`: the output options of a command whose formats are `Format`.
struct OutputOptions<Format: OutputFormat>: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Output format: \(Format.valueList)\(Format.helpNote).", valueName: "format"),
            completion: .list(Format.allValueStrings), transform: Format.parse)
    var format: Format = Format.standard

    @OptionGroup var destination: OutputDestination
}

/// `--templates DIR`: the templates `generate`, `patch` and `run` render C and patches with.
struct TemplatesOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Templates directory (default: the templates acsquirk shipped with, found like its registry).", valueName: "dir"))
    var templates: String?
}

/// `--from "Name <email>"`: the submitter of the patches `patch` and `run` write.
struct SubmitterOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Submitter of the patches (From:, Signed-off-by:): \"Full Name <email>\" (default: git config user.name/user.email).", valueName: "identity"))
    var from: String?

    func validate() throws {
        if let from, Identity(from) == nil {
            throw ValidationError("--from must be \"Full Name <email>\", not \(from.debugDescription)")
        }
    }

    /// `--from`, else git's `user.name`/`user.email` (`Submitter.resolve`); nil when neither is set.
    func submitter() async -> Identity? { await Submitter.resolve(explicit: from)?.identity }
}
