import Diagnostics
import PCIConfig

/// What a machine recorded besides config space: the kernel's IOMMU groups, the drivers bound,
/// the kernel release and command line. From an `acsquirk snapshot`, or (groups and drivers only)
/// from the `IOMMU group:` and `Kernel driver in use:` lines of lspci text.
public struct RecordedSystem: Hashable, Sendable {
    /// Where it was recorded, for messages: `snapshot`, `lspci text`.
    public var origin: String
    /// `uname -r` when the snapshot was taken.
    public var kernelRelease: String?
    /// `/proc/cmdline`.
    public var commandLine: String?
    /// Whether the kernel had an IOMMU active (`/sys/kernel/iommu_groups` had groups).
    public var iommuActive: Bool
    /// The group of each PCI function (`/sys/kernel/iommu_groups/N/devices/BDF`).
    public var iommuGroups: [PCIAddress: Int]
    /// The driver bound to each function (`/sys/bus/pci/devices/BDF/driver`).
    public var drivers: [PCIAddress: String]
    /// Whether the snapshot was taken as root (config space past 64 bytes readable); nil: not recorded.
    public var root: Bool?

    public init(origin: String, kernelRelease: String? = nil, commandLine: String? = nil, iommuActive: Bool,
                iommuGroups: [PCIAddress: Int], drivers: [PCIAddress: String], root: Bool? = nil) {
        self.origin = origin
        self.kernelRelease = kernelRelease
        self.commandLine = commandLine
        self.iommuActive = iommuActive
        self.iommuGroups = iommuGroups
        self.drivers = drivers
        self.root = root
    }
}

extension RecordedSystem {
    /// What a reader of the results must know about the recorded machine: the kernel it ran and
    /// the command line it booted with (`groups`, `check` and `run` predict with that command line
    /// unless `--cmdline` says otherwise; `KernelCommandLine` reads its parameters).
    public var notes: [String] {
        guard origin == "snapshot" else { return [] }
        var out: [String] = []
        var s = "snapshot of a machine running kernel \(kernelRelease ?? "(release not recorded)")"
        if root == false { s += ", taken without root (config space past 64 bytes not readable)" }
        out.append(s + (iommuActive ? "; \(Set(iommuGroups.values).count) IOMMU groups recorded" : "; no IOMMU was active (no groups recorded)"))
        if let commandLine, !commandLine.isEmpty { out.append("booted with the kernel command line: \(commandLine)") }
        return out
    }
}

extension PCIReadResult {
    /// What the results must say about the input: the reader's assumptions (lspci text), then what
    /// a snapshot recorded about the machine. Commands print these with every result.
    public var inputNotes: [String] {
        assumptions.map(\.text) + (recorded?.notes ?? [])
    }
}

/// `acsquirk snapshot` files as `--dump` input, read in one pass: the `#` sections
/// (`SnapshotSections`) and, from the same lines, the config space part by the hex dump parser
/// exactly as a dump (libpci's grammar ignores the `#` lines).
public enum AcsquirkSnapshot: DumpFormat {
    public static let name = "acsquirk snapshot"
    public static let kind = InputFormat.snapshot

    public static func claims(head: [UInt8]) -> Bool { head.starts(with: Array(SnapshotFormat.magic.utf8)) }

    /// A section line that cannot be read refuses the snapshot, with its line, as a dump error does.
    public static func parse(_ input: DumpInput) throws(PCIAccessError) -> ParsedDump {
        var sections = SnapshotSections(file: input.file)
        var hex = HexDumpParser(file: input.file)
        defer { hex.deallocate() }
        try input.forEachLine { l in
            sections.line(l)
            hex.line(l)
        }
        let (system, problems) = sections.finish()
        var parsed = hex.finish()
        parsed.format = name
        parsed.recorded = system
        if !problems.isEmpty {
            parsed.diagnostics = problems + parsed.diagnostics
            parsed.functions = []
        }
        return parsed
    }
}

/// The `acsquirk snapshot` file (docs/input-formats.md): an `lspci -xxxx -D` dump that lspci
/// itself still reads (`lspci -F FILE`), preceded by sections of `#` lines, which libpci's dump
/// reader ignores (pciutils lib/dump.c accepts only device and hex lines; every line stays under
/// its 253-character limit):
///
/// ```
/// # acsquirk snapshot 1
/// # ...what the file is...
/// # root: yes
/// #
/// # [kernel]
/// # release: 6.12.0-1-amd64
/// # cmdline: BOOT_IMAGE=/vmlinuz-6.12.0-1-amd64 root=UUID=... ro intel_iommu=on
/// #
/// # [iommu-groups]
/// # 0000:00:00.0 0
/// #
/// # [drivers]
/// # 0000:00:01.0 pcieport
/// #
/// # [config-space]
///
/// 0000:00:00.0 Host bridge: Intel Corporation ...
/// 00: 86 80 ...
/// ```
///
/// A long command line continues on `# cmdline+ ` lines (concatenated as they are). An empty
/// `[iommu-groups]` section says the kernel formed no groups (no IOMMU active).
public enum SnapshotFormat {
    /// The first line starts with this.
    public static let magic = "# acsquirk snapshot "
    public static let version = 1
    /// Command-line characters per line (lines stay far below libpci's 253).
    static let chunk = 160

    /// The whole file: the sections, then the config space of `functions` (serial numbers must
    /// already be zeroed) as `DumpWriter` writes it.
    public static func text(functions: [PCIFunction], system: RecordedSystem, tool: String) -> String {
        var out = magic + "\(version)\n"
        out += """
            # One file with what acsquirk reads on a live machine. Every acsquirk command reads it with
            # --dump FILE (groups compares its prediction with the IOMMU groups recorded here); lspci reads
            # the config space part with `lspci -F FILE` (it ignores lines starting with #).
            # Device Serial Numbers are zeroed.

            """
        out += "# tool: \(tool)\n"
        out += "# root: \(system.root == false ? "no (config space past 64 bytes was not readable)" : "yes")\n"
        out += "#\n# [kernel]\n"
        out += "# release: \(oneLine(system.kernelRelease ?? "unknown"))\n"
        let cmdline = oneLine(system.commandLine ?? "")
        var rest = Substring(cmdline)
        out += "# cmdline: " + rest.prefix(chunk) + "\n"
        rest = rest.dropFirst(chunk)
        while !rest.isEmpty {
            out += "# cmdline+ " + rest.prefix(chunk) + "\n"
            rest = rest.dropFirst(chunk)
        }
        out += "#\n# [iommu-groups]" + (system.iommuActive ? "" : " none: no IOMMU was active") + "\n"
        for (a, g) in system.iommuGroups.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            out += "# \(a) \(g)\n"
        }
        out += "#\n# [drivers]\n"
        for (a, d) in system.drivers.sorted(by: { $0.key < $1.key }) {
            out += "# \(a) \(oneLine(d))\n"
        }
        out += "#\n# [config-space]\n\n"
        out += DumpWriter.text(functions)
        return out
    }

    /// Control characters (a newline would end the `#` line) as `?`.
    static func oneLine(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
    }
}

/// The `#` sections of a snapshot, read a line at a time (`AcsquirkSnapshot` feeds it every
/// line; it stops looking at the first device line, where the config space begins). Errors name
/// the line; a snapshot with one is refused.
struct SnapshotSections {
    let file: String
    var diagnostics: [Diagnostic] = []
    var system = RecordedSystem(origin: "snapshot", iommuActive: false, iommuGroups: [:], drivers: [:])
    var section = ""
    var cmdline: String?
    var sawConfig = false
    var done = false
    var lastLine = 0

    init(file: String) { self.file = file }

    mutating func fail(_ line: Int, _ m: String) {
        diagnostics.append(Diagnostic(file: file, line: line, severity: .error, message: m))
    }

    mutating func line(_ l: DumpLine) {
        guard !done else { return }
        lastLine = l.number
        var raw = l.bytes[...]
        if l.endsWithCR, raw.count == l.length { raw = raw.dropLast() }
        let line = String(decoding: raw, as: UTF8.self)
        if l.number == 1 {
            let magic = SnapshotFormat.magic
            guard line.hasPrefix(magic), let v = Int(line.dropFirst(magic.count)) else {
                fail(l.number, "not an acsquirk snapshot header")
                done = true
                return
            }
            if v > SnapshotFormat.version {
                fail(l.number, "snapshot format \(v) is newer than this acsquirk reads (\(SnapshotFormat.version)): update acsquirk")
            }
            return
        }
        guard line.hasPrefix("#") else {
            if !line.isEmpty { done = true }    // the config space
            return
        }
        let body = line == "#" ? "" : line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line.dropFirst())
        if body.hasPrefix("[") {
            guard let close = body.firstIndex(of: "]") else {
                fail(l.number, "section header without ']'")
                return
            }
            section = String(body[body.index(after: body.startIndex)..<close])
            if section == "iommu-groups" { system.iommuActive = !body.contains("none") }
            if section == "config-space" { sawConfig = true }
            return
        }
        if body.isEmpty { return }
        switch section {
        case "":
            if body.hasPrefix("root: ") { system.root = body.dropFirst(6).hasPrefix("yes") }
        case "kernel":
            if body.hasPrefix("release: ") {
                let r = String(body.dropFirst(9))
                system.kernelRelease = r == "unknown" ? nil : r
            } else if body.hasPrefix("cmdline: ") {
                cmdline = String(body.dropFirst(9))
            } else if body.hasPrefix("cmdline+ ") {
                cmdline = (cmdline ?? "") + body.dropFirst(9)
            } else {
                fail(l.number, "unknown line in [kernel]: 'release: ...' or 'cmdline: ...' expected")
            }
        case "iommu-groups":
            let parts = body.split(separator: " ")
            guard parts.count == 2, let a = PCIAddress(parts[0]), let g = Int(parts[1]), g >= 0 else {
                fail(l.number, "an [iommu-groups] line is 'dddd:bb:dd.f N'")
                return
            }
            system.iommuGroups[a] = g
            system.iommuActive = true
        case "drivers":
            let parts = body.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let a = PCIAddress(parts[0]) else {
                fail(l.number, "a [drivers] line is 'dddd:bb:dd.f driver'")
                return
            }
            system.drivers[a] = String(parts[1])
        default:
            break   // sections of later versions
        }
    }

    /// What was recorded, and the errors.
    mutating func finish() -> (RecordedSystem, [Diagnostic]) {
        if !sawConfig, diagnostics.isEmpty {
            fail(max(lastLine, 1), "no [config-space] section: the snapshot is cut")
        }
        system.commandLine = cmdline
        return (system, diagnostics)
    }
}
