import PCIAccess
import PCIConfig

/// The lspci text reader (`LspciText`, and its format detection) on mutated `lspci -vvv` text.
/// Checks: the result is consistent (refused means an error and no functions;
/// functions sorted, one per address, each a whole config space; every diagnostic names a line of
/// the input; every assumption is about functions that were read); what must not matter does
/// not: the buffer size, the indentation (forum pastes turn tabs into spaces or drop them), CRLF
/// line ends (for the detection too); and the rebuilt config space is what a dump holds (`DumpWriter`, then the hex dump
/// reader, gives the same functions).
public enum LspciTextTarget: FuzzTarget {
    public static let name = "text"

    /// The real reports whole (linuxhw/LsPCI, real machines), and the QEMU guests' `lspci
    /// -vvvnnD` in pieces of three devices (what one mutation changes a lot of).
    public static func corpus() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for n in Repository.list(Repository.fixture("lspci-reports")) where n.hasSuffix(".txt") {
            if let b = Repository.read(Repository.fixture("lspci-reports/\(n)")) { out.append(b) }
        }
        for path in Repository.files(named: "vvv.txt", under: "machines") {
            if let b = Repository.read(path) { out.append(b) }
        }
        // The oracle's cases were booted on three kernels with the same guest lspci: one of each.
        for dir in ["qemu", "qemu-sriov"] {
            for path in Repository.files(named: "vvv.txt", under: dir) where dir == "qemu" || path.contains("/6.12/") {
                guard let b = Repository.read(path) else { continue }
                out += Repository.threeDevicePieces(b)
            }
        }
        return out
    }

    public static let dictionary: [[UInt8]] = [
        "\n", "\r\n", "\t", "\t\t", "    ", " ", ": ", "+", "-", "[", "]", "...", "\n\n",
        "00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a110] (rev f1) (prog-if 00 [Normal decode])\n",
        "0000:00:01.0 ", "00:20.0 ", " [8086:10d3]", " [0604]", " (rev ff)", "!!! Unknown header type 7f\n",
        "\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR+ FastB2B- DisINTx+\n",
        "\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n",
        "\tStatus: Cap- ", "\tBus: primary=00, secondary=01, subordinate=ff, sec-latency=0\n",
        "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n", "Downstream Port", "Upstream Port",
        "Root Complex Integrated Endpoint", "PCI-Express to PCI/PCI-X Bridge", "Unknown type 12",
        "\t\tDevCtl2: Completion Timeout: 50us to 50ms, TimeoutDis- LTR- OBFF Disabled, ARIFwd+\n",
        "\tCapabilities: [100 v1] Access Control Services\n", "\tCapabilities: [ffc v1] Access Control Services\n",
        "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n",
        "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n",
        "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n",
        "\t\tIOVCtl:\tEnable+ Migration- Interrupt- MSE+ ARIHierarchy+ 10BitTagReq-\n",
        "\t\tInitial VFs: 8, Total VFs: 8, Number of VFs: 8, Function Dependency Link: 00\n",
        "\t\tVF offset: 128, stride: 1, Device ID: 10ed\n", "\tCapabilities: <access denied>\n",
        "\tCapabilities: [e0] <chain broken>\n", "\tIOMMU group: 7\n", "\tKernel driver in use: pcieport\n",
        "00: 86 80 10 a1 07 04 10 00 f1 00 04 06 10 00 81 00\n", "ff0: ",
    ].map { Array($0.utf8) }

    /// Line changes a paste or a cut makes: a line dropped, doubled or cut short, indentation
    /// turned into spaces or dropped, a flag flipped, the `[vvvv:dddd]` IDs of a device line
    /// dropped, a hex digit changed (bus numbers, offsets, IDs), the text cut at a line.
    public static func mutate(_ b: inout [UInt8], _ rng: inout SplitMix) -> Bool {
        var lines = Repository.lines(b)
        guard !lines.isEmpty else { return false }
        let k = rng.below(lines.count)
        var line = lines[k]
        switch rng.below(8) {
        case 0: lines.remove(at: k)
        case 1: lines.insert(line, at: k)
        case 2: lines[k] = Array(line.prefix(rng.below(line.count + 1)))
        case 3: // indentation: tabs to spaces, or none
            let indent = line.prefix { $0 == 0x09 || $0 == 0x20 }.count
            let tabs = line.prefix(indent).filter { $0 == 0x09 }.count
            lines[k] = (rng.below(2) == 0 ? [UInt8](repeating: 0x20, count: 4 * tabs + 2 * rng.below(3)) : []) + line.dropFirst(indent)
        case 4: // a flag
            let signs = line.indices.filter { line[$0] == 0x2b || line[$0] == 0x2d }
            guard !signs.isEmpty else { return false }
            let i = signs[rng.below(signs.count)]
            line[i] = line[i] == 0x2b ? 0x2d : 0x2b
            lines[k] = line
        case 5: // the IDs of a device line
            guard let open = line.lastIndex(of: 0x5b), let close = line[open...].firstIndex(of: 0x5d),
                  close - open == 10, line[open + 5] == 0x3a else { return false }
            lines[k] = Array(line[..<max(0, open - 1)] + line[(close + 1)...])
        case 6: // a hex digit
            let digits = line.indices.filter { (line[$0] >= 0x30 && line[$0] <= 0x39) || (line[$0] >= 0x61 && line[$0] <= 0x66) }
            guard !digits.isEmpty else { return false }
            line[digits[rng.below(digits.count)]] = Array("0123456789abcdef".utf8)[rng.below(16)]
            lines[k] = line
        default:
            lines.removeSubrange(k...)
        }
        b = Array(lines.joined(separator: [0x0a]))
        return true
    }

    static func parse(_ input: [UInt8], bufferSize: Int = DumpInput.defaultBufferSize) -> ParsedDump {
        // Reading from memory cannot fail.
        (try? LspciText.parse(DumpInput(bytes: input, file: "input", bufferSize: bufferSize)))
            ?? ParsedDump(file: "input", format: LspciText.name, diagnostics: [], devices: [], functions: [])
    }

    public static func check(_ input: [UInt8]) -> [String] {
        var problems: [String] = []
        let ours = parse(input)

        // Consistency.
        let addresses = ours.functions.map(\.address)
        if ours.isFatal {
            if !ours.functions.isEmpty { problems.append("refused, yet \(ours.functions.count) functions") }
        } else {
            if ours.functions.isEmpty { problems.append("accepted without functions") }
            if addresses != Array(Set(addresses)).sorted() { problems.append("functions not sorted or not unique") }
            if Set(ours.devices.compactMap(\.address)) != Set(addresses) { problems.append("devices are not the functions") }
            for f in ours.functions where f.config.bytes.count != ConfigSpace.size || !(0...ConfigSpace.size).contains(f.config.readable) {
                problems.append("\(f.address): \(f.config.bytes.count) bytes, readable \(f.config.readable)")
            }
            let read = Set(addresses)
            for a in ours.assumptions where !a.functions.allSatisfy(read.contains) {
                problems.append("assumption '\(a.kind.rawValue)' about functions not read")
            }
            if ours.assumptions.first?.kind != .rebuiltFromText { problems.append("the first assumption is not that the bytes are rebuilt") }
        }
        let lines = Repository.lineCount(input)
        for d in ours.diagnostics { if let l = d.line, l < 1 || l > max(lines, 1) { problems.append("diagnostic at line \(l) of \(lines)") } }

        // What must not matter.
        var longest = 0, run = 0
        for c in input { run = c == 0x0a ? 0 : run + 1; longest = max(longest, run) }
        let size = 512 + 2 * Int(input.count % 128)
        if longest < size / 2, parse(input, bufferSize: size) != ours { problems.append("a buffer of \(size) bytes reads it differently") }
        let flush = Array(Repository.lines(input).map { $0.drop { $0 == 0x09 || $0 == 0x20 } }.joined(separator: [0x0a]))
        if parse(flush) != ours { problems.append("read differently without indentation") }
        if !input.contains(0x0d) {
            let crlf = Array(Repository.lines(input).joined(separator: [0x0d, 0x0a]))
            if parse(crlf) != ours { problems.append("read differently with CRLF line ends") }
            let head = Array(input.prefix(DumpInput.headSize)), crlfHead = Array(crlf.prefix(DumpInput.headSize))
            if input.count < DumpInput.headSize / 2, LspciText.claims(head: head) != LspciText.claims(head: crlfHead) {
                problems.append("format detection changes with CRLF line ends")
            }
        }

        // The rebuilt bytes as a dump.
        if !ours.isFatal {
            let back = LspciHexDump.check(bytes: Array(DumpWriter.text(ours.functions).utf8), file: "written")
            if back.isFatal || back.functions != ours.functions { problems.append("the rebuilt functions written as a dump read back differently") }
        }
        return problems
    }
}
