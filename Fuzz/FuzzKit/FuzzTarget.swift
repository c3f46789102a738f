#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Code under attack: a parser or decoder that takes bytes. One target is one small file: a
/// name, real inputs to start from, the tokens of its format, and a `check` that runs one input
/// and says what is wrong with the result. Add it to `FuzzTargets.all` and it runs in `make test`
/// (seeded, bounded) and `make fuzz` (libFuzzer, or seeded for longer), and the files in
/// `Tests/Fixtures/fuzz/<name>/` are replayed by `FuzzTests`.
public protocol FuzzTarget: Sendable {
    /// The name on the command line (`acsquirk-fuzz NAME`) and the folder of its regression
    /// inputs, `Tests/Fixtures/fuzz/NAME/`.
    static var name: String { get }
    /// Real inputs the mutations start from (fixtures of this repository).
    static func corpus() -> [[UInt8]]
    /// Byte strings of the format the mutator inserts or writes over (may be empty).
    static var dictionary: [[UInt8]] { get }
    /// Runs `input` through the code under test and checks invariants of the result; returns
    /// what is wrong, one line each (empty when all is well). A crash is a finding too.
    static func check(_ input: [UInt8]) -> [String]
    /// A change that knows the format (a pointer moved to the end of config space, a line
    /// repeated past a limit), or false to leave the input to the blind mutations. Optional.
    static func mutate(_ input: inout [UInt8], _ rng: inout SplitMix) -> Bool
}

extension FuzzTarget {
    public static func mutate(_ input: inout [UInt8], _ rng: inout SplitMix) -> Bool { false }
}

/// Every target, by name.
public enum FuzzTargets {
    public static let all: [any FuzzTarget.Type] = [DumpParserTarget.self, ConfigSpaceTarget.self, LspciTextTarget.self,
                                                    SnapshotTarget.self, RegistryYAMLTarget.self]

    public static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}

/// Paths of this repository (found from this file's place in it, as the tests do).
public enum Repository {
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3) // Fuzz/FuzzKit/FuzzTarget.swift
        return parts.joined(separator: "/")
    }()

    /// `Tests/Fixtures/<relative>`.
    public static func fixture(_ relative: String) -> String { root + "/Tests/Fixtures/" + relative }

    /// Where a target's regression inputs live: `Tests/Fixtures/fuzz/<name>`.
    public static func regressionFolder(_ target: String) -> String { fixture("fuzz/" + target) }

    /// A target's regression inputs (every file in its folder but README.md), by name.
    public static func regressionInputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let dir = regressionFolder(target)
        return list(dir).filter { $0 != "README.md" }.compactMap { n in read("\(dir)/\(n)").map { (n, $0) } }
    }

    /// The names in a folder (no `.` entries), sorted; empty when it cannot be read.
    public static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { out.append(name) }
        }
        return out.sorted()
    }

    /// The whole file, or nil.
    public static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Writes `bytes` to `path` (replacing it); false on failure.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let f = fopen(path, "wb") else { return false }
        defer { fclose(f) }
        return bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) } == bytes.count
    }

    /// Every file called `name` in `Tests/Fixtures/<under>` and its folders, sorted.
    public static func files(named name: String, under relative: String) -> [String] {
        var out: [String] = []
        func walk(_ dir: String) {
            for n in list(dir) {
                let path = dir + "/" + n
                if n == name, access(path, R_OK) == 0 { out.append(path) } else if let d = opendir(path) {
                    closedir(d)
                    walk(path)
                }
            }
        }
        walk(fixture(relative))
        return out.sorted()
    }

    /// The lines of `bytes`, split at each `\n` (a final `\n` leaves an empty last line, so
    /// joining them with `\n` gives `bytes` back).
    public static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
    }

    /// How many lines a reader numbers in `bytes` (a last line without `\n` counts).
    public static func lineCount(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) } + (bytes.last == 0x0a || bytes.isEmpty ? 0 : 1)
    }

    /// `bytes` cut after each blank line: one device of an lspci output per piece.
    public static func paragraphs(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0a && i + 1 < bytes.count && bytes[i + 1] == 0x0a {
            out.append(Array(bytes[start...i + 1]))
            start = i + 2
        }
        if start < bytes.count { out.append(Array(bytes[start...])) }
        return out
    }

    /// `bytes` in pieces of three devices (`paragraphs`): what one mutation changes a lot of.
    public static func threeDevicePieces(_ bytes: [UInt8]) -> [[UInt8]] {
        let devices = paragraphs(bytes)
        return stride(from: 0, to: devices.count, by: 3).map { devices[$0..<min(devices.count, $0 + 3)].flatMap { $0 } }
    }

    /// The real dumps under Tests/Fixtures: QEMU guests, QEMU quirk runs and real machines.
    public static var dumps: [String] {
        var out: [String] = []
        for dir in ["qemu", "qemu-quirk", "machines"] {
            for n in list(fixture(dir)) {
                for file in ["dump.txt", "dump-6.1.txt"] where access(fixture("\(dir)/\(n)/\(file)"), R_OK) == 0 {
                    out.append(fixture("\(dir)/\(n)/\(file)"))
                }
            }
        }
        return out
    }
}
