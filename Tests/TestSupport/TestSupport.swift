import Foundation
import Subprocess
import SystemPackage

/// Test helpers shared by every test target: fixture paths and running real tools.
public enum Fixtures {
    /// The repository root (found from this file's path; tests read only files inside the repository).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Absolute path of `Tests/Fixtures/<relative>`.
    public static func path(_ relative: String) -> String {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative).path
    }

    /// Absolute path of a file relative to the repository root.
    public static func repoPath(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Reads a fixture as text.
    public static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// The QEMU topologies in Tests/Fixtures/qemu, sorted.
    public static var qemuTopologies: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path("qemu")))?.sorted() ?? []
    }

    /// The real-machine folders in Tests/Fixtures/machines, sorted.
    public static var machines: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path("machines")))?.sorted() ?? []
    }

    /// The public lspci reports in Tests/Fixtures/lspci-reports (file names, sorted).
    public static var lspciReports: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path("lspci-reports"))) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    /// A fresh temporary directory (removed by the caller or left in /tmp).
    public static func temporaryDirectory(_ name: String = "acsquirk-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The result of running a real tool.
public struct ToolResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an executable (looked up in PATH) with swift-subprocess and collects its output (up to 64 MiB).
public func runTool(_ executable: String, _ arguments: [String], workingDirectory: String? = nil,
                    environment: [String: String] = [:]) async throws -> ToolResult {
    var env = Environment.inherit
    for (k, v) in environment { env = env.updating([Environment.Key(stringLiteral: k): v]) }
    let r = try await Subprocess.run(
        .name(executable), arguments: Arguments(arguments), environment: env,
        workingDirectory: workingDirectory.map { FilePath($0) },
        output: .string(limit: 64 << 20), error: .string(limit: 64 << 20))
    let status: Int32
    switch r.terminationStatus {
    case let .exited(c): status = c
    case let .signaled(s): status = 128 + s
    }
    return ToolResult(status: status, stdout: r.standardOutput, stderr: r.standardError)
}

/// `git diff --no-index` of two texts, for reference-test failure messages.
public func textDiff(expected: String, actual: String) async -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let e = dir.appendingPathComponent("expected"), a = dir.appendingPathComponent("actual")
    try? expected.write(to: e, atomically: true, encoding: .utf8)
    try? actual.write(to: a, atomically: true, encoding: .utf8)
    let r = try? await runTool("git", ["diff", "--no-index", "--", e.path, a.path])
    try? FileManager.default.removeItem(at: dir)
    return r?.stdout ?? "(git diff failed)"
}

/// The `acsquirk` binary built next to the running test bundle (`swift build --build-tests`
/// builds it), else `.build/debug/acsquirk` of this checkout; `nil` when neither exists.
public func builtAcsquirk() -> String? { builtProduct("acsquirk") }

/// An executable product of this package (`acsquirk`, `acsquirk-fuzz`) built next to the running
/// test bundle, else in `.build/debug` of this checkout; `nil` when neither exists.
public func builtProduct(_ name: String) -> String? {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = Fixtures.repoPath(".build/debug/" + name)
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}

/// Registry entries that several suites need, as YAML.
public enum SampleEntries {
    /// A lint-clean `new` entry for QEMU's e1000e (Intel 82574L, 8086:10d3) as `acsquirk new`
    /// scaffolds it once the evidence is filled: a multifunction endpoint that never does
    /// peer-to-peer between its functions. Qemu-quirk/f-8086-10d3 records what the kernel does
    /// with such a quirk.
    public static let intel82574L = """
        schema: 1
        vendor: 0x8086
        vendor-name: Intel
        family: 82574L
        devices: [0x10d3]
        applies-to:
          port-type: endpoint
          multifunction: true
        isolation:
          kind: no-peer-to-peer
          acs-equivalent: [SV, TB, RR, CR, UF, DT]
        evidence:
          statement: Intel has verified that the functions of the 82574L do not perform peer-to-peer with each other.
          confirmed-by: Jane Doe <jane.doe@vendor.example>
        kernel:
          status: new

        """
}

/// Debian's kernel trees for the tests: `scripts/kernel-trees.sh` unpacks each installed
/// `linux-source-<series>` (or a downloaded one) into `$ACSQUIRK_CACHE/linux-source-<package
/// version>` and names it in `ACSQUIRK_KERNEL_TREE_<series>` (`make test` runs the tests that way;
/// `scripts/kernel-versions.sh` runs them on other served versions). Every suite takes its tree
/// from here, so a tree is never chosen by a path that ignores the package version.
public enum KernelTreeCache {
    /// The series the tests use, newest first.
    public static let series = ["6.12", "6.1"]

    /// `$ACSQUIRK_CACHE`, default `~/.cache/acsquirk`.
    public static var cache: String {
        let env = ProcessInfo.processInfo.environment
        if let c = env["ACSQUIRK_CACHE"], !c.isEmpty { return c }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/acsquirk"
    }

    /// The variable naming the tree of `series`: `ACSQUIRK_KERNEL_TREE_6_12`.
    public static func variable(_ series: String) -> String {
        "ACSQUIRK_KERNEL_TREE_" + series.replacingOccurrences(of: ".", with: "_")
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The unpacked tree of `series` (its `drivers/pci/quirks.c` exists): `$ACSQUIRK_KERNEL_TREE_<series>`;
    /// when no such variable is set (a plain `swift test`), `scripts/kernel-trees.sh --print` is
    /// run once for every series (it unpacks a missing tree). Throws saying how to get it.
    public static func tree(_ series: String) throws -> String {
        guard let r = resolved[series] else { throw Missing(description: "no kernel series \(series) in \(Self.series)") }
        return try r.get()
    }

    /// The tree of `series`, or nil (no error) when it is not available.
    public static func available(_ series: String) -> String? { try? tree(series) }

    /// The name the tree's companions (git copy `git-<key>`, build directory `build-<key>`) share:
    /// the package version scripts/kernel-trees.sh keyed it on (`6.12.118-1_deb12u1`).
    public static func key(of tree: String) -> String {
        let name = (tree as NSString).lastPathComponent
        return name.hasPrefix("linux-source-") ? String(name.dropFirst("linux-source-".count)) : name
    }

    private static let resolved: [String: Result<String, Missing>] = {
        let env = ProcessInfo.processInfo.environment
        var out: [String: Result<String, Missing>] = [:]
        var paths: [String: String] = [:]
        if series.contains(where: { env[variable($0)] != nil }) {
            for s in series { paths[s] = env[variable(s)] }
        } else {
            // Not run through scripts/kernel-trees.sh: let it find (or unpack) the installed trees.
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [Fixtures.repoPath("scripts/kernel-trees.sh"), "--print"] + series
            let pipe = Pipe(), err = Pipe()
            p.standardOutput = pipe
            p.standardError = err
            do {
                try p.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                if p.terminationStatus == 0, lines.count == series.count {
                    for (s, l) in zip(series, lines) { paths[s] = l }
                } else {
                    for s in series { out[s] = .failure(Missing(description: "scripts/kernel-trees.sh failed: \(errText)")) }
                }
            } catch {
                for s in series { out[s] = .failure(Missing(description: "cannot run scripts/kernel-trees.sh: \(error)")) }
            }
        }
        for s in series where out[s] == nil {
            if let p = paths[s], FileManager.default.fileExists(atPath: p + "/drivers/pci/quirks.c") {
                out[s] = .success(p)
            } else {
                out[s] = .failure(Missing(description: "no linux-source-\(s) tree (\(variable(s))=\(paths[s] ?? "unset")): "
                    + "run the tests with make test, or scripts/kernel-trees.sh \(series.joined(separator: " ")) -- swift test"))
            }
        }
        return out
    }()
}

/// A sysfs (and procfs) tree rebuilt from a real `lspci -xxxx` dump, which libpci's linux-sysfs
/// method reads exactly as it reads /sys: `<root>/bus/pci/devices/<BDF>/{config,vendor,device,
/// class,irq,resource}`, `<root>/bus/pci/devices/<BDF>/driver` (a symlink, when `drivers` names
/// one), `<root>/kernel/iommu_groups/<n>/devices/<BDF>`, and `<root>/proc/{cmdline,sys/kernel/osrelease}`.
public enum FakeSysfs {
    /// Builds the tree under a fresh temporary directory and returns it. `dump` is relative to
    /// Tests/Fixtures; `groups` and `drivers` are keyed by `dddd:bb:dd.f`.
    public static func make(dump: String, groups: [String: Int], drivers: [String: String] = [:],
                            osRelease: String? = nil, cmdline: String? = nil) throws -> URL {
        let root = try Fixtures.temporaryDirectory("acsquirk-sysfs")
        var configs: [(String, [UInt8])] = []
        for line in try Fixtures.text(dump).split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.split(separator: " ").first, first.count == 12, first.filter({ $0 == ":" }).count == 2 {
                configs.append((String(first), []))
            } else if let colon = line.firstIndex(of: ":"), !configs.isEmpty,
                      line[..<colon].count <= 3, line[..<colon].allSatisfy(\.isHexDigit) {
                let bytes = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt8($0, radix: 16) }
                configs[configs.count - 1].1 += bytes
            }
        }
        let fm = FileManager.default
        func hex(_ v: UInt32, _ width: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        for (bdf, b) in configs {
            let d = root.appendingPathComponent("bus/pci/devices/\(bdf)")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try Data(b).write(to: d.appendingPathComponent("config"))
            func put(_ name: String, _ text: String) throws {
                try (text + "\n").write(to: d.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try put("vendor", "0x" + hex(UInt32(b[1]) << 8 | UInt32(b[0]), 4))
            try put("device", "0x" + hex(UInt32(b[3]) << 8 | UInt32(b[2]), 4))
            try put("class", "0x" + hex(UInt32(b[11]) << 16 | UInt32(b[10]) << 8 | UInt32(b[9]), 6))
            try put("irq", "0")
            try put("resource", Array(repeating: "0x0000000000000000 0x0000000000000000 0x0000000000000000", count: 7)
                .joined(separator: "\n"))
            if let driver = drivers[bdf] {
                let target = root.appendingPathComponent("bus/pci/drivers/\(driver)")
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                try fm.createSymbolicLink(atPath: d.appendingPathComponent("driver").path,
                                          withDestinationPath: "../../../../bus/pci/drivers/\(driver)")
            }
        }
        for (a, n) in groups {
            let d = root.appendingPathComponent("kernel/iommu_groups/\(n)/devices")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try Data().write(to: d.appendingPathComponent(a))
        }
        if let osRelease {
            let d = root.appendingPathComponent("proc/sys/kernel")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try (osRelease + "\n").write(to: d.appendingPathComponent("osrelease"), atomically: true, encoding: .utf8)
        }
        if let cmdline {
            let d = root.appendingPathComponent("proc")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try (cmdline + "\n").write(to: d.appendingPathComponent("cmdline"), atomically: true, encoding: .utf8)
        }
        return root
    }
}

/// A fresh temporary folder (`Fixtures.temporaryDirectory`) removed at the end of `body`.
public func withTemporaryDirectory<T>(_ name: String = "acsquirk-test", _ body: (URL) throws -> T) throws -> T {
    let dir = try Fixtures.temporaryDirectory(name)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// `withTemporaryDirectory` for an async body.
public func withTemporaryDirectoryAsync(_ name: String = "acsquirk-test", _ body: (URL) async throws -> Void) async throws {
    let dir = try Fixtures.temporaryDirectory(name)
    defer { try? FileManager.default.removeItem(at: dir) }
    try await body(dir)
}

/// Checks JSON documents against a JSON Schema file with a real validator, python3-jsonschema
/// (the draft the schema's `$schema` names, Draft 2020-12 when it names none; the schema itself is
/// checked first), in one process. Returns, per document, one `/path: message` line per violation
/// (empty: valid).
public func jsonSchemaErrors(_ documents: [String], schemaFile: String) async throws -> [[String]] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for (i, d) in documents.enumerated() {
        try d.write(to: dir.appendingPathComponent("\(i).json"), atomically: true, encoding: .utf8)
    }
    let script = """
        import json, sys
        from jsonschema import Draft202012Validator, validators
        schema = json.load(open(sys.argv[1], encoding="utf-8"))
        cls = validators.validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
        validator = cls(schema)
        for i in range(int(sys.argv[3])):
            doc = json.load(open("%s/%d.json" % (sys.argv[2], i), encoding="utf-8"))
            for e in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
                print("%d\t/%s: %s" % (i, "/".join(str(p) for p in e.absolute_path), e.message.replace("\\n", " ")))
        """
    let r = try await runTool("python3", ["-c", script, schemaFile, dir.path, String(documents.count)])
    guard r.status == 0 else {
        return documents.map { _ in ["python3-jsonschema failed (exit \(r.status)): \(r.stderr)"] }
    }
    var out = [[String]](repeating: [], count: documents.count)
    for line in r.stdout.split(separator: "\n") {
        guard let tab = line.firstIndex(of: "\t"), let i = Int(line[..<tab]), out.indices.contains(i) else { continue }
        out[i].append(String(line[line.index(after: tab)...]))
    }
    return out
}

/// Checks a JSON document against a published schema, `docs/schemas/<name>.schema.json`
/// (`jsonSchemaErrors(_:schemaFile:)`).
public func jsonSchemaErrors(_ json: String, schema name: String) async throws -> [String] {
    try await jsonSchemaErrors([json], schemaFile: Fixtures.repoPath("docs/schemas/\(name).schema.json"))[0]
}
