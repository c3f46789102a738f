#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIAccess
import PCIConfig

private let scratchPath = "/tmp/acsquirk-fuzz-dump-\(getpid()).txt"

/// The hex dump reader (`LspciHexDump`, `DumpInput`) on mutated dumps (format detection is
/// left out: a mutation that makes a dump look like lspci text is `LspciTextTarget`'s). Checks:
/// libpci's own reader agrees (`DumpOracle`); the result is consistent (refused means an error
/// and no functions; functions sorted, one per valid address, each as long as its device); lines
/// split across buffer refills give the same result; what `DumpWriter` writes from the functions
/// reads back to the same functions.
public enum DumpParserTarget: FuzzTarget {
    public static let name = "dump"

    /// The malformed and hostile corpora whole, and every real dump in pieces of three devices
    /// (a piece is what one mutation can change a lot of, and parses fast).
    public static func corpus() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for dir in ["malformed", "hostile"] {
            for n in Repository.list(Repository.fixture(dir)) where n.hasSuffix(".txt") || n.hasSuffix(".bin") {
                if let b = Repository.read(Repository.fixture("\(dir)/\(n)")) { out.append(b) }
            }
        }
        for path in Repository.dumps {
            guard let b = Repository.read(path) else { continue }
            out += Repository.threeDevicePieces(b)
        }
        return out
    }

    public static let dictionary: [[UInt8]] = [
        "\n", "\r\n", " ", "  ", "\t", ":", ".", "\0", "\n\n",
        "00:00.0 ", "0000:00:1c.0 ", "10000:00:00.0 ", "00000000:02:00.0 z", "00:1f.a ", "00:20.0 ", "00:00.8 ",
        "00: ", "f0: ", "100: ", "ff0: ", "1000: ", "7ffffff0: ", "80000000: ", "fffffff0: ", "123456789: ",
        "ff ff ff ff", "zz", "030", " 00: 00\n", "\tCapabilities: [40] Express (v2) Root Port (Slot+)\n",
        String(repeating: "00 ", count: 90),
    ].map { Array($0.utf8) }

    /// Changes where the grammar draws its lines: a data line's offset (past 0x1000, past
    /// 0x7fffffff), a line repeated past the 100-finding cap, header forms libpci ignores, blank
    /// lines, lines at the 253-character limit, CRLF, a cut or NUL-ended file.
    public static func mutate(_ b: inout [UInt8], _ rng: inout SplitMix) -> Bool {
        var lines: [Range<Int>] = []
        var start = 0
        for (i, c) in b.enumerated() where c == 0x0a {
            lines.append(start..<i)
            start = i + 1
        }
        if start < b.count { lines.append(start..<b.count) }
        guard !lines.isEmpty else { return false }
        let k = rng.below(lines.count)
        let line = lines[k]
        let text = Array(b[line])
        func replace(_ with: [UInt8]) { b.replaceSubrange(line, with: with) }
        switch rng.below(7) {
        case 0: // a data line's offset
            guard let colon = text.firstIndex(of: 0x3a), colon >= 2, colon <= 8 else { return false }
            let offsets = ["fffffff0", "80000000", "7ffffff0", "1000", "fff", "ff0", "100", "0ff", "00", "000001"]
            replace(Array(offsets[rng.below(offsets.count)].utf8) + text[colon...])
        case 1: // one line many times: past the diagnostic cap
            let copy = text + [0x0a]
            b.insert(contentsOf: Array([[UInt8]](repeating: copy, count: 90 + rng.below(70)).joined()), at: line.lowerBound)
        case 2: // a header in a form libpci reads differently
            let forms = [" 00:00.0 x", "00000000:00:00.0 x", "0000:00:1f.a x", "0000:00:00.0", "10000:00:00.0 x",
                         "0000:00:00.8 x", "0000:00:20.0 x", "000:00:00.0 x", "0000:000:00.0 x", "0000:00:00.0\tx"]
            replace(Array(forms[rng.below(forms.count)].utf8))
        case 3: // a blank line more or less
            if text.isEmpty { b.remove(at: line.lowerBound) } else { b.insert(0x0a, at: line.lowerBound) }
        case 4: // a line at the length limit (252 to 256 characters)
            let n = 252 + rng.below(5)
            replace(text.count >= n ? Array(text.prefix(n)) : text + [UInt8](repeating: 0x20, count: n - text.count))
        case 5: // CRLF for this line
            replace(text + [0x0d])
        default: // the end of the file: cut it, or end it in NUL
            if rng.below(2) == 0 { b.removeSubrange(rng.below(b.count)..<b.count) } else { b.append(0) }
        }
        return true
    }

    /// A file per process for libpci, which reads dumps only from a path (removed at exit).
    static let scratch: String = {
        atexit { unlink(scratchPath) }
        return scratchPath
    }()

    public static func check(_ input: [UInt8]) -> [String] {
        var problems: [String] = []
        let ours = LspciHexDump.check(bytes: input, file: "input")

        // Consistency.
        if ours.isFatal {
            if !ours.functions.isEmpty { problems.append("refused, yet \(ours.functions.count) functions") }
        } else {
            let addresses = ours.functions.map(\.address)
            if addresses != Array(Set(addresses)).sorted() { problems.append("functions not sorted or not unique") }
            var firstLength: [PCIAddress: Int] = [:]
            for d in ours.devices { if let a = d.address, firstLength[a] == nil { firstLength[a] = d.length } }
            if Set(addresses) != Set(firstLength.keys) { problems.append("functions are not the valid addresses") }
            for f in ours.functions where f.config.readable != firstLength[f.address] {
                problems.append("\(f.address): readable \(f.config.readable), device length \(firstLength[f.address] ?? -1)")
            }
        }
        let lines = Repository.lineCount(input)
        for d in ours.diagnostics { if let l = d.line, l < 1 || l > max(lines, 1) { problems.append("diagnostic at line \(l) of \(lines)") } }

        // Buffer refills: a small buffer (longest kept line 256 + 0...127 bytes) changes nothing,
        // except the checks inside a line cut short (its first error stays).
        let size = 512 + 2 * Int(input.count % 128)
        let small = (try? LspciHexDump.parse(DumpInput(bytes: input, file: "input", bufferSize: size)))
        var longest = 0, run = 0
        for c in input { run = c == 0x0a ? 0 : run + 1; longest = max(longest, run) }
        if longest < size / 2 {
            if small != ours { problems.append("a buffer of \(size) bytes reads it differently") }
        } else if small?.isFatal != ours.isFatal || small?.errors.first != ours.errors.first {
            problems.append("a buffer of \(size) bytes gives another verdict")
        }

        // libpci.
        if Repository.write(input, to: scratch) {
            problems += DumpOracle.disagreements(ours, path: scratch).map { "libpci: " + $0 }
        }

        // DumpWriter round trip.
        if !ours.isFatal {
            let back = LspciHexDump.check(bytes: Array(DumpWriter.text(ours.functions).utf8), file: "written")
            if back.isFatal || back.functions != ours.functions { problems.append("DumpWriter's output reads back differently") }
        }
        return problems
    }
}
