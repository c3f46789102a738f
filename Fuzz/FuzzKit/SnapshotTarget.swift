import PCIAccess
import PCIConfig

/// `acsquirk snapshot` files (`AcsquirkSnapshot`, `SnapshotFormat`) on mutated snapshots. Checks:
/// the result is consistent (refused means an error and no functions; every diagnostic names a
/// line of the input); the config space part is read exactly as the hex dump reader reads the
/// same bytes (a section error only adds its own errors); and what is read writes back to a
/// snapshot that reads the same and writes the same again (`SnapshotFormat.text`).
public enum SnapshotTarget: FuzzTarget {
    public static let name = "snapshot"

    /// A snapshot per QEMU guest: its dump, the IOMMU groups and drivers its `lspci -vvvnnD` shows,
    /// a kernel release, and a command line long enough to continue on `# cmdline+` lines.
    public static func corpus() -> [[UInt8]] {
        var out: [[UInt8]] = []
        let cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.12.48+deb13-amd64 root=UUID=0d6c5a8e-3b51-4c1e-9a43-8f1c2b7e6d10 ro quiet "
            + "intel_iommu=on iommu=pt pci=disable_acs_redir=0000:00:01.0;0000:00:02.0 pcie_acs_override=downstream,multifunction "
            + "vfio-pci.ids=8086:10d3,1b36:0010 console=ttyS0,115200n8"
        for dir in Repository.list(Repository.fixture("qemu")) {
            let base = Repository.fixture("qemu/\(dir)")
            guard let dump = try? DumpReader.read(path: base + "/dump.txt"), !dump.isFatal else { continue }
            let text = try? DumpReader.read(path: base + "/vvv.txt")
            let system = RecordedSystem(origin: "snapshot", kernelRelease: "6.12.48+deb13-amd64", commandLine: cmdline,
                                        iommuActive: !(text?.recorded?.iommuGroups.isEmpty ?? true),
                                        iommuGroups: text?.recorded?.iommuGroups ?? [:], drivers: text?.recorded?.drivers ?? [:],
                                        root: true)
            out.append(Array(SnapshotFormat.text(functions: dump.functions, system: system, tool: "acsquirk-fuzz").utf8))
        }
        return out
    }

    public static let dictionary: [[UInt8]] = [
        "\n", "\r\n", "#", "# ", "#\n", "[", "]", " ", "\t",
        "# acsquirk snapshot 2\n", "# [kernel]\n", "# [iommu-groups]\n", "# [iommu-groups] none: no IOMMU was active\n",
        "# [drivers]\n", "# [config-space]\n", "# [future]\n", "# release: ", "# cmdline: ", "# cmdline+ ", "# root: no\n",
        "# 0000:00:01.0 7\n", "# 0000:00:01.0 -1\n", "# 0000:00:20.0 3\n", "# 0000:00:01.0 pcieport\n",
        "0000:00:00.0 Host bridge: Intel Corporation Device 29c0\n", "00: 86 80 c0 29 ",
        "\u{00e9}\u{0301}", "\u{1F600}",
    ].map { Array($0.utf8) }

    /// Changes to the `#` sections: a line dropped or doubled, a group number or an address
    /// changed, a section header broken, a newer version, a long command line (past libpci's
    /// 253-character lines) or one with characters of several bytes.
    public static func mutate(_ b: inout [UInt8], _ rng: inout SplitMix) -> Bool {
        var lines = Repository.lines(b)
        let sections = lines.indices.filter { lines[$0].first == 0x23 }
        guard !sections.isEmpty else { return false }
        let k = sections[rng.below(sections.count)]
        switch rng.below(7) {
        case 0: lines.remove(at: k)
        case 1: lines.insert(lines[k], at: k)
        case 2: // a number or an address
            let digits = lines[k].indices.filter { lines[k][$0] >= 0x30 && lines[k][$0] <= 0x39 }
            guard !digits.isEmpty else { return false }
            lines[k][digits[rng.below(digits.count)]] = Array("0123456789abcdefx-".utf8)[rng.below(18)]
        case 3: // a section header
            guard let close = lines[k].firstIndex(of: 0x5d) else { return false }
            lines[k].remove(at: close)
        case 4: lines[0] = Array((SnapshotFormat.magic + String(rng.below(4))).utf8)
        default: // the command line
            let piece = rng.below(2) == 0 ? "pci=noaer " : "r\u{00e9}pertoire=\u{1F600}\u{0301} "
            let s = SnapshotFormat.magic + "1\n# [kernel]\n# release: 6.1.0-13-amd64\n# cmdline: "
                + String(repeating: piece, count: 1 + rng.below(60)) + "\n"
            guard let config = lines.firstIndex(where: { $0 == Array("# [config-space]".utf8) }) else { return false }
            lines = Repository.lines(Array(s.utf8)).dropLast() + lines[config...]
        }
        b = Array(lines.joined(separator: [0x0a]))
        return true
    }

    public static func check(_ input: [UInt8]) -> [String] {
        var problems: [String] = []
        let ours = DumpReader.read(bytes: input, file: "input")
        guard ours.kind == .snapshot else { return [] }
        if ours.recorded == nil { problems.append("a snapshot without what it recorded") }
        if ours.isFatal, !ours.functions.isEmpty { problems.append("refused, yet \(ours.functions.count) functions") }
        let lines = Repository.lineCount(input)
        for d in ours.diagnostics { if let l = d.line, l < 1 || l > max(lines, 1) { problems.append("diagnostic at line \(l) of \(lines)") } }

        // The config space part is a dump.
        let hex = LspciHexDump.check(bytes: input, file: "input")
        if !hex.diagnostics.allSatisfy(ours.diagnostics.contains) { problems.append("the hex dump reader's findings are not all reported") }
        let sectionErrors = ours.diagnostics.count - hex.diagnostics.count
        if ours.devices != hex.devices { problems.append("devices differ from the hex dump reader's") }
        if ours.functions != (sectionErrors == 0 ? hex.functions : []) { problems.append("functions differ from the hex dump reader's") }

        // Written back: reads the same, and writes the same again.
        if !ours.isFatal, let system = ours.recorded {
            let once = SnapshotFormat.text(functions: ours.functions, system: system, tool: "acsquirk-fuzz")
            let back = DumpReader.read(bytes: Array(once.utf8), file: "written")
            if back.isFatal || back.kind != .snapshot {
                problems.append("written back, it is refused: \(back.errors.first?.description ?? "not a snapshot")")
            } else if back.functions != ours.functions {
                problems.append("written back, its functions read differently")
            } else if SnapshotFormat.text(functions: back.functions, system: back.recorded!, tool: "acsquirk-fuzz") != once {
                problems.append("written twice, the text changes")
            }
        }
        return problems
    }
}
