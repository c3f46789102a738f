import Foundation
import PCIConfig

/// One topology the boot proof runs (Tests/Fixtures/prove/README.md): a folder with
/// `topology.args` (QEMU arguments, as scripts/oracle/boot.sh takes them) and `proof.txt`:
///
/// ```
/// # what the case proves
/// entry intel/82574l-test-only.yaml        # a registry file (relative to the registry folder) the series is made from
/// control 0000:02:00.0 0000:02:00.1        # one IOMMU group the series must not change
/// ```
///
/// At least one `entry` and one `control` line.
public struct ProofCase: Sendable, Hashable, CustomStringConvertible {
    /// The folder's name.
    public var name: String
    /// The folder.
    public var directory: String
    /// `<directory>/topology.args`.
    public var topology: String
    /// The registry files the series is made from (absolute), in the order given.
    public var entries: [String]
    /// The groups that must come out the same without and with the series (each sorted).
    public var controls: [[PCIAddress]]
    /// The comment lines at the top of proof.txt, `# ` removed: what the case proves.
    public var summary: [String]

    public var description: String { name }

    /// A proof.txt line that cannot be read, or a missing file.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads the case folder `directory`; entry paths are taken relative to `registry`.
    public init(directory: String, registry: String) throws(Invalid) {
        let dir = (directory as NSString).standardizingPath
        name = (dir as NSString).lastPathComponent
        self.directory = dir
        topology = (dir as NSString).appendingPathComponent("topology.args")
        let file = (dir as NSString).appendingPathComponent("proof.txt")
        guard FileManager.default.fileExists(atPath: topology) else { throw Invalid(description: "\(topology): no such file") }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw Invalid(description: "\(file): cannot be read")
        }
        var entries: [String] = [], controls: [[PCIAddress]] = [], summary: [String] = []
        var header = true
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "\(file):\(i + 1)"
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") {
                if header { summary.append(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)) }
                continue
            }
            header = false
            let line = trimmed.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "entry":
                guard words.count == 2 else { throw Invalid(description: "\(where_): 'entry' takes one registry file") }
                let path = ((registry as NSString).appendingPathComponent(words[1]) as NSString).standardizingPath
                guard FileManager.default.fileExists(atPath: path) else {
                    throw Invalid(description: "\(where_): registry file \(path) does not exist")
                }
                entries.append(path)
            case "control":
                let addresses = words.dropFirst().map { PCIAddress($0) }
                guard !addresses.isEmpty, addresses.allSatisfy({ $0 != nil }) else {
                    throw Invalid(description: "\(where_): 'control' takes the BDFs (dddd:bb:dd.f) of one IOMMU group")
                }
                controls.append(addresses.compactMap { $0 }.sorted())
            default:
                throw Invalid(description: "\(where_): unknown keyword '\(keyword)' (entry, control)")
            }
        }
        guard !entries.isEmpty, !controls.isEmpty else {
            throw Invalid(description: "\(file): needs at least one 'entry' and one 'control' line")
        }
        self.entries = entries
        self.controls = controls
        self.summary = summary
    }

    /// Every case folder (one holding proof.txt) directly under `root`, sorted by name; entries
    /// relative to `<root>/registry`.
    public static func all(in root: String) throws(Invalid) -> [ProofCase] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted()
        var out: [ProofCase] = []
        for n in names {
            let dir = (root as NSString).appendingPathComponent(n)
            guard fm.fileExists(atPath: (dir as NSString).appendingPathComponent("proof.txt")) else { continue }
            out.append(try ProofCase(directory: dir, registry: (root as NSString).appendingPathComponent("registry")))
        }
        guard !out.isEmpty else { throw Invalid(description: "\(root): no case folder (with a proof.txt)") }
        return out
    }
}
