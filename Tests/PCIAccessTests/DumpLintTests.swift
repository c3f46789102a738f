import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// The malformed-dump corpus (Tests/Fixtures/malformed, see its README): our pre-check against
/// EXPECTED.tsv and against the real libpci (`lspci -F`).
@Suite struct DumpLintTests {
    struct Expectation: Sendable { var line: Int; var severity: String; var fragment: String }

    static let expected: [String: [Expectation]] = {
        let text = (try? Fixtures.text("malformed/EXPECTED.tsv")) ?? ""
        var out: [String: [Expectation]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            out[f[0], default: []] += f.count >= 4 ? [Expectation(line: Int(f[1])!, severity: f[2], fragment: f[3])] : []
        }
        return out
    }()

    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path("malformed"))) ?? []
        return names.filter { $0.hasSuffix(".txt") || $0.hasSuffix(".bin") }.sorted()
    }()

    @Test func corpusIsComplete() {
        #expect(Self.files.count >= 30)
        #expect(Set(Self.files) == Set(Self.expected.keys), "every corpus file has a row in EXPECTED.tsv and back")
    }

    /// Exactly the expected diagnostics, at the expected lines.
    @Test(arguments: files)
    func diagnosticsAsExpected(_ name: String) throws {
        let path = Fixtures.path("malformed/\(name)")
        let report = try DumpLint.check(path: path)
        let want = Self.expected[name] ?? []
        let got = report.diagnostics
        #expect(got.count == want.count, "\(name): got \(got.map(\.description))")
        for (g, w) in zip(got, want) {
            #expect(g.line == w.line && g.severity.rawValue == w.severity && g.message.contains(w.fragment),
                    "\(name): expected \(w.line) \(w.severity) '\(w.fragment)', got \(g)")
            #expect(g.description.hasPrefix("\(path):\(w.line): \(w.severity): "))
        }
    }

    /// Our verdict equals libpci's: the files we call fatal are exactly those `lspci -F` rejects,
    /// with the libpci message our error quotes; on the others, lspci lists the devices libpci
    /// accepted (one line each, invalid BDFs and duplicates included).
    @Test(arguments: files.filter { $0 != "36-offset-beyond-int.txt" })
    func verdictMatchesLibpci(_ name: String) async throws {
        let path = Fixtures.path("malformed/\(name)")
        let report = try DumpLint.check(path: path)
        let r = try await runTool("lspci", ["-F", path, "-D", "-n"])
        let libpciFailed = r.stderr.contains("lspci: dump: ")
        #expect(report.isFatal == libpciFailed, "\(name): ours fatal=\(report.isFatal), lspci: \(r.status) \(r.stderr)")
        if let first = report.errors.first {
            let message = try #require(first.libpciMessage)
            #expect(r.stderr.contains("lspci: \(message)"), "\(name): lspci said \(r.stderr)")
            #expect(r.status != 0)
        } else {
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.count == report.devices.count, "\(name): lspci lists \(lines.count), we expect \(report.devices.count)")
        }
    }

    /// Reading through PCIReader runs the pre-check: a fatal file is refused with file:line,
    /// never handed to libpci; warnings come back with the result.
    @Test(arguments: files)
    func readerRefusesWhatLibpciRejects(_ name: String) throws {
        let path = Fixtures.path("malformed/\(name)")
        let report = try DumpLint.check(path: path)
        if report.isFatal {
            let error = #expect(throws: PCIAccessError.self) { try PCIReader.load(.dump(path: path), names: false) }
            let lines = error?.message.split(separator: "\n").map(String.init) ?? []
            #expect(lines == report.errors.map(\.description))
            #expect(lines.allSatisfy { $0.hasPrefix(path + ":") && $0.contains(": error: ") })
        } else {
            let result = try PCIReader.load(.dump(path: path), names: false)
            #expect(result.warnings == report.warnings)
            // One function per valid, distinct address.
            let valid = Set(report.devices.compactMap(\.address))
            #expect(Set(result.functions.map(\.address)) == valid)
        }
    }

    @Test func mergedHeaderReallyChangesTheDeviceInLibpci() throws {
        // The trap: an 8-digit-domain header without a blank line; 00:00.0 becomes 8086:0d59.
        let result = try PCIReader.load(.dump(path: Fixtures.path("malformed/11-header-8-digit-domain.txt")), names: false)
        #expect(result.functions.map(\.idString) == ["8086:0d59"])
        #expect(result.warnings.contains { $0.line == 19 && $0.message.contains("merged") })
    }

    @Test func duplicatesKeepTheFirstAndShortDevicesKeepTheirBytes() throws {
        let dup = try PCIReader.read(.dump(path: Fixtures.path("malformed/17-duplicate-bdf.txt")), names: false)
        #expect(dup.count == 1 && dup[0].idString == "8086:29c0")
        let short = try PCIReader.read(.dump(path: Fixtures.path("malformed/18-device-under-64-bytes.txt")), names: false)
        let host = try #require(short.first { $0.address.description == "0000:00:00.0" })
        #expect(host.config.readable == 32)
        #expect(host.idString == "8086:29c0")
        #expect(host.acs == .unknown(.extendedSpaceNotReadable(readable: 32)))
    }

    @Test func gapsAndOddSizesAreReadExactly() throws {
        let gap = try PCIReader.read(.dump(path: Fixtures.path("malformed/29-gap-in-offsets.txt")), names: false)
        #expect(gap[0].config.readable == 256)
        #expect(gap[0].config.bytes[0x40..<0xf0].allSatisfy { $0 == 0xff })
        let empty = try PCIReader.read(.dump(path: Fixtures.path("malformed/31-data-line-without-bytes-ok.txt")), names: false)
        #expect(empty[0].config.readable == 256)
    }

    /// Real dumps give no diagnostic at all.
    @Test(arguments: Dumps.all)
    func realDumpsAreClean(_ dump: String) throws {
        let report = try DumpLint.check(path: Fixtures.path(dump))
        #expect(report.diagnostics.isEmpty, "\(dump): \(report.diagnostics.map(\.description))")
        #expect(!report.devices.isEmpty)
        // The pre-check's idea of each device's length is what libpci reads.
        let fns = try PCIReader.read(.dump(path: Fixtures.path(dump)), names: false)
        #expect(fns.map(\.config.readable) == report.devices.sorted { $0.address! < $1.address! }.map(\.length))
    }

    @Test func unreadableFilesAreErrorsWithoutLine() throws {
        let missing = #expect(throws: PCIAccessError.self) { try PCIReader.read(.dump(path: "/nonexistent/dump.txt")) }
        #expect(missing?.message == "/nonexistent/dump.txt: error: cannot open: No such file or directory")
        let dir = #expect(throws: PCIAccessError.self) { try PCIReader.read(.dump(path: Fixtures.path("malformed"))) }
        #expect(dir?.message.contains("is a directory") == true)
    }

    /// Random bytes and random edits of a real dump: the pre-check and the reader never crash,
    /// and the verdict equals libpci's. Deterministic (fixed seed).
    @Test func fuzzedDumpsNeverCrashAndAgreeWithLibpci() async throws {
        var rng = SplitMix(seed: 0x5eed)
        let base = Array(try Fixtures.text("malformed/00-valid-reference.txt").utf8)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let alphabet = Array("0123456789abcdefABCDEF :.\t\r\nxz".utf8) + [0]
        for i in 0..<60 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes.remove(at: at)
                }
            }
            let file = dir.appendingPathComponent("fuzz-\(i).txt").path
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let report = DumpLint.check(bytes: bytes, file: file)
            // Offsets of 0x80000000 and more would make libpci write outside its buffer.
            if report.errors.contains(where: { $0.libpciMessage == nil }) { continue }
            let r = try await runTool("lspci", ["-F", file, "-n"])
            #expect(report.isFatal == r.stderr.contains("lspci: dump: "), "fuzz \(i): ours \(report.diagnostics) lspci \(r.stderr)")
            _ = try? PCIReader.load(.dump(path: file), names: false)
        }
    }
}

/// A tiny deterministic PRNG (SplitMix64) for the fuzz test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
