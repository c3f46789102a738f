import Foundation

/// One booted case of the QEMU oracle (scripts/oracle, layout in Tests/Fixtures/README.md):
/// `<set>/<topology>/<case>/<kernel>/` with the files the guest wrote, the case's `boot.args` and
/// `NOTES.md` one level up and the topology's `topology.args` two levels up.
public struct OracleCase: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `qemu-cmdline` or `qemu-sriov`.
    public var set: String
    public var topology: String
    /// The case folder's name; `default` is the topology booted with the harness's defaults.
    public var name: String
    /// The kernel as scripts/oracle/kernel.sh names it: `6.12`, `6.1`, `5.10`.
    public var kernel: String

    public init(set: String, topology: String, name: String, kernel: String) {
        self.set = set
        self.topology = topology
        self.name = name
        self.kernel = kernel
    }

    /// Fixture-relative path of a file the guest wrote (`dump.txt`, `groups.txt`, `vvv.txt`,
    /// `tree.txt`, `cmdline.txt`, `release.txt`, `dmesg.txt`, `sriov.txt`).
    public func file(_ name: String) -> String { "\(set)/\(topology)/\(self.name)/\(kernel)/\(name)" }
    /// Fixture-relative path of `boot.args` or `NOTES.md`.
    public func caseFile(_ name: String) -> String { "\(set)/\(topology)/\(self.name)/\(name)" }
    /// Fixture-relative path of the QEMU arguments every case of the topology was booted with.
    public var topologyArgs: String { "\(set)/\(topology)/topology.args" }
    /// The same topology on the same kernel with the defaults: the dump a prediction starts from.
    public var defaultCase: OracleCase { OracleCase(set: set, topology: topology, name: "default", kernel: kernel) }

    /// The kernel parameters the case adds to the defaults (`--append` lines of boot.args).
    public func appendedParameters() throws -> [String] {
        try bootArgs().filter { $0.option == "--append" }.flatMap { $0.value.split(separator: " ").map(String.init) }
    }

    /// `boot.args`: one scripts/oracle/boot.sh option per line, `#` comments.
    public func bootArgs() throws -> [(option: String, value: String)] {
        try Fixtures.text(caseFile("boot.args")).split(separator: "\n").compactMap { raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { return nil }
            let parts = line.split(separator: " ", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    public var description: String { "\(set)/\(topology)/\(name) [\(kernel)]" }

    public static func < (a: OracleCase, b: OracleCase) -> Bool { a.description < b.description }
}

extension Fixtures {
    /// The oracle's case-layout fixture sets.
    public static let oracleSets = ["qemu-cmdline", "qemu-sriov"]

    /// The kernels a set was booted on (its `kernels` file).
    public static func oracleKernels(_ set: String) -> [String] {
        ((try? text("\(set)/kernels")) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Every booted case: each case folder (it has a boot.args) times each kernel of its set.
    public static var oracleCases: [OracleCase] {
        var out: [OracleCase] = []
        let fm = FileManager.default
        for set in oracleSets {
            for topology in ((try? fm.contentsOfDirectory(atPath: path(set))) ?? []).sorted() {
                for name in ((try? fm.contentsOfDirectory(atPath: path("\(set)/\(topology)"))) ?? []).sorted()
                where fm.fileExists(atPath: path("\(set)/\(topology)/\(name)/boot.args")) {
                    for kernel in oracleKernels(set) {
                        out.append(OracleCase(set: set, topology: topology, name: name, kernel: kernel))
                    }
                }
            }
        }
        return out
    }
}
