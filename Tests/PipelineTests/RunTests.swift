import Foundation
import KernelOutput
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import StaticACS
import Testing
import TestSupport

/// The files `acsquirk run` writes whatever the registry holds.
let alwaysWritten = ["check.json", "check.txt", "groups.dot", "groups.json", "groups.svg", "groups.txt", "index.html",
                     "scan.json", "scan.txt", "summary.txt"]

/// The static ACS tables `acsquirk generate` writes for a registry (module StaticACS), by path.
func staticTables(_ entries: [LoadedEntry]) -> [String: String] {
    Dictionary(uniqueKeysWithValues: StaticACSTable.files(for: entries).map { ($0.path, $0.text) })
}

/// The files written besides the tables, and checks on the tables: header guard, non-empty.
func splitTables(_ files: [String], under out: String) throws -> (others: [String], tables: [String]) {
    let tables = files.filter { $0.hasPrefix("acs-tables/") }
    for t in tables {
        #expect(t.hasSuffix(".h"))
        let text = try String(contentsOfFile: out + "/" + t, encoding: .utf8)
        #expect(text.hasPrefix("#ifndef ACS_TABLE_") && text.contains("static const u8 acs_cap_"), "\(t)")
    }
    return (files.filter { !$0.hasPrefix("acs-tables/") }, tables)
}

/// Every regular file under `dir`, relative, sorted.
func filesUnder(_ dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let p = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir + "/" + p, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
    }
    return out.sorted()
}

/// A registry folder: a copy of the committed one plus the filled e1000e entry `acsquirk new`
/// scaffolds from qemu/f-quirk (with its dump).
func registryWithNewEntry(in dir: URL) throws -> String {
    let root = dir.appendingPathComponent("quirks").path
    try FileManager.default.copyItem(atPath: quirksFolder, toPath: root)
    let s = try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: try functions("qemu/f-quirk/dump.txt"),
                                         family: "82574L", names: .pciIDs(PCINameDatabase.shared!),
                                         registry: try committedRegistry(), root: root, sourceLabel: "dump.txt")
    try EntryScaffolder.write(s)
    try fillTODOs(s.yaml).write(toFile: s.entryPath, atomically: true, encoding: .utf8)
    return root
}

/// The unpacked Debian 6.12 tree (`KernelTreeCache`).
var kernelTree612: String? { KernelTreeCache.available("6.12") }

@Suite struct RunTests {
    @Test func committedRegistryOnAMachineDump() async throws {
        let dir = try Fixtures.temporaryDirectory("run-ivb")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        var lines: [String] = []
        let r = await PipelineRunner.run(RunConfiguration(registry: [quirksFolder],
                                                    dump: Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt"),
                                                    out: out)) { lines.append($0) }
        #expect(r.exitCode == 0, "\(r.errors)")
        #expect(lines.map { String($0.prefix(while: { $0 != ":" })) }
                == ["[1/8] lint", "[2/8] scan", "[3/8] check", "[4/8] groups", "[5/8] generate", "[6/8] acs-tables", "[7/8] patch",
                    "[8/8] report"])
        // Only upstream entries: no C stub, no patch; the firmware tables of the upstream
        // multifunction-endpoint families.
        let (others, tables) = try splitTables(filesUnder(out), under: out)
        #expect(others == alwaysWritten)
        let expected = staticTables(try committedRegistry())
        #expect(tables == expected.keys.sorted())
        for t in tables { #expect(try String(contentsOfFile: out + "/" + t, encoding: .utf8) == expected[t]) }
        #expect(tables.contains("acs-tables/acs-table-8086-82576.h"))
        #expect(r.written == filesUnder(out))
        for f in alwaysWritten {
            let text = try String(contentsOfFile: out + "/" + f, encoding: .utf8)
            #expect(!text.isEmpty, "\(f)")
        }
        // The files are what the single commands produce.
        let scan = try String(contentsOfFile: out + "/scan.json", encoding: .utf8)
        let read = try PCIReader.load(.dump(path: Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")))
        #expect(scan == ScanReport(read).json())
        let check = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/check.json")))
        #expect(check == r.check)
        #expect(try String(contentsOfFile: out + "/groups.txt", encoding: .utf8).contains("IOMMU group"))
        // The JSON files are the commands' documents: each validates against its published schema.
        for schema in ["scan", "check", "groups"] {
            let errors = try await jsonSchemaErrors(try String(contentsOfFile: out + "/\(schema).json", encoding: .utf8), schema: schema)
            #expect(errors.isEmpty, "\(schema).json: \(errors)")
        }
        // The summary: entries, devices checked, findings, files written.
        let summary = try String(contentsOfFile: out + "/summary.txt", encoding: .utf8)
        #expect(summary == r.summary)
        #expect(summary.hasPrefix("entries: 33 (33 upstream, 0 not upstream) in 33 files; lint: 0 errors, 0 warnings\n"
            + "devices checked: 21 functions of dump.txt, 6 covered by an entry\n"
            + "findings: 0 errors, 0 warnings, 4 notes; 3 devices without an entry sharing an IOMMU group\n"
            + "kernel profile: 7.3 (group prediction rules)\n"
            + "files written: \(alwaysWritten.count + expected.count) in \(out)/\n"))
        #expect(summary.hasSuffix("exit 0\n"))
    }

    @Test func newEntryGetsAStubAndTheSameBytesTwice() async throws {
        let dir = try Fixtures.temporaryDirectory("run-new")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try registryWithNewEntry(in: dir)
        let out = dir.appendingPathComponent("out").path
        let config = RunConfiguration(registry: [registry], dump: Fixtures.path("qemu/f-quirk/dump.txt"), out: out)
        let r = await PipelineRunner.run(config)
        #expect(r.exitCode == 0, "\(r.errors) \(r.progress)")
        let files = filesUnder(out)
        #expect(files.contains("quirks/intel.c"), "\(files)")
        #expect(files.contains("acs-tables/acs-table-8086-82574l.h"), "\(files)")
        #expect(try splitTables(files, under: out).tables == staticTables(Registry.load(paths: [registry]).entries).keys.sorted())
        let stub = try String(contentsOfFile: out + "/quirks/intel.c", encoding: .utf8)
        #expect(stub.contains("0x10d3") && stub.contains("82574L"))
        // The groups show what the new entry splits.
        let groups = try String(contentsOfFile: out + "/groups.txt", encoding: .utf8)
        #expect(groups.contains("registry entries not upstream: Intel 82574L"))
        #expect(groups.contains("splits into"), "\(groups)")
        // Deterministic: a second run writes the same bytes.
        let first = try files.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }
        let again = await PipelineRunner.run(config)
        #expect(again.exitCode == 0)
        #expect(filesUnder(out) == files)
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) } == first)
    }

    @Test(.enabled(if: kernelTree612 != nil, "needs scripts/kernel-trees.sh 6.12"))
    func patchSeriesAgainstTheKernelTree() async throws {
        let tree = try #require(kernelTree612)
        let dir = try Fixtures.temporaryDirectory("run-patch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try registryWithNewEntry(in: dir)
        let out = dir.appendingPathComponent("out").path
        let quirksBefore = try Data(contentsOf: URL(fileURLWithPath: tree + "/drivers/pci/quirks.c"))
        let r = await PipelineRunner.run(RunConfiguration(registry: [registry], dump: Fixtures.path("qemu/f-quirk/dump.txt"),
                                                    kernelTree: tree, out: out,
                                                    from: Identity("Sam Submitter <sam@example.org>")))
        #expect(r.exitCode == 0, "\(r.errors)")
        let patches = filesUnder(out).filter { $0.hasPrefix("patches/") }
        #expect(patches == ["patches/0001-PCI-Add-ACS-quirk-for-Intel-82574L.patch"], "\(filesUnder(out))")
        let text = try String(contentsOfFile: out + "/" + patches[0], encoding: .utf8)
        // The submitter signs; the vendor contact who confirmed it is named and copied, never acks.
        #expect(text.contains("\nFrom: Sam Submitter <sam@example.org>\n"))
        #expect(text.contains("\nCc: Jane Doe <jane.doe@vendor.example>\nSigned-off-by: Sam Submitter <sam@example.org>\n---\n"),
                "\(text)")
        #expect(text.contains("Jane Doe confirmed this for Intel.") && !text.contains("Acked-by:"))
        #expect(!text.contains("Signed-off-by: Jane Doe") && !text.contains("From: Jane Doe"))
        // The entry `new` scaffolds for a multifunction endpoint takes the row upstream would:
        // pci_quirk_mf_endpoint_acs next to the Intel rows, no new function.
        // (The scaffolded entry says multifunction: true, as the device is.)
        let yaml = try String(contentsOfFile: registry + "/intel/82574l.yaml", encoding: .utf8)
        #expect(yaml.contains("applies-to:\n  port-type: endpoint\n  multifunction: true\n"), "\(yaml)")
        #expect(text.contains("+\t{ PCI_VENDOR_ID_INTEL, 0x10d3, pci_quirk_mf_endpoint_acs },\n"), "\(text)")
        #expect(!text.contains("+static int pci_quirk_"))
        #expect(r.summary.contains("kernel profile: 7.3"))
        // The tree is only read.
        #expect(try Data(contentsOf: URL(fileURLWithPath: tree + "/drivers/pci/quirks.c")) == quirksBefore)
        // The patch applies to the tree and passes checkpatch --strict.
        let patch = out + "/" + patches[0]
        let apply = try await runTool("git", ["apply", "--check", patch], workingDirectory: tree)
        #expect(apply.status == 0, "\(apply.stderr)")
        let cp = try await runTool("perl", ["scripts/checkpatch.pl", "--strict", "--no-tree", patch], workingDirectory: tree)
        #expect(cp.status == 0, "\(cp.stdout)")
        #expect(r.progress.contains("[7/8] patch: 1 patch against \(tree)"), "\(r.progress)")
    }

    /// Without a submitter (no --from, no git identity) the patch stage refuses: exit 2, no patch
    /// (stale ones removed), the other stages' files written; never the confirmed-by as signer.
    @Test(.enabled(if: kernelTree612 != nil, "needs scripts/kernel-trees.sh 6.12"))
    func noSubmitterRefusesThePatches() async throws {
        let tree = try #require(kernelTree612)
        let dir = try Fixtures.temporaryDirectory("run-nosubmitter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try registryWithNewEntry(in: dir)
        let out = dir.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out + "/patches", withIntermediateDirectories: true)
        // A patch an earlier run wrote (acsquirk's zero-hash mbox line and signature) is stale.
        let old = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nSubject: old\n\n-- \nacsquirk\n\n"
        try old.write(toFile: out + "/patches/0001-old.patch", atomically: true, encoding: .utf8)
        // One `acsquirk patch --out OUT` wrote beside OUT/patches is not run's to remove.
        try old.write(toFile: out + "/0001-other-series.patch", atomically: true, encoding: .utf8)
        let r = await PipelineRunner.run(RunConfiguration(registry: [registry], dump: Fixtures.path("qemu/f-quirk/dump.txt"),
                                                    kernelTree: tree, out: out, from: nil))
        #expect(r.exitCode == 2)
        #expect(r.errors.contains(Submitter.missingMessage))
        #expect(r.progress.contains { $0.hasPrefix("[7/8] patch: refused against \(tree): no submitter") }, "\(r.progress)")
        let files = filesUnder(out)
        #expect(!files.contains { $0.hasPrefix("patches/") }, "\(files)")
        #expect(files.contains("0001-other-series.patch"), "\(files)")
        for f in alwaysWritten { #expect(files.contains(f), "\(f)") }
        #expect(r.summary.contains("exit 2"))
    }

    /// `acsquirk run` as documented: --from signs; without it git config user.name/user.email
    /// (of the current directory) does; with neither, exit 2 and no patch.
    @Test(.enabled(if: kernelTree612 != nil, "needs scripts/kernel-trees.sh 6.12"))
    func runCommandTakesTheSubmitterFromFromOrGit() async throws {
        let tree = try #require(kernelTree612)
        let dir = try Fixtures.temporaryDirectory("run-cli-submitter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try registryWithNewEntry(in: dir)
        let home = dir.appendingPathComponent("home").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let noGit = ["NO_COLOR": "1", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": home + "/gitconfig",
                     "XDG_CONFIG_HOME": home]
        func run(_ out: String, _ extra: [String], env: [String: String]) async throws -> (ToolResult, String?)? {
            guard let r = try await acsquirk(["run", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--registry", registry,
                                              "--kernel-tree", tree, "--out", out] + extra, env: env) else { return nil }
            let patch = filesUnder(out).first { $0.hasPrefix("patches/") }
            return (r, try patch.map { try String(contentsOfFile: out + "/" + $0, encoding: .utf8) })
        }
        // Neither --from nor a git identity.
        guard let (none, nonePatch) = try await run(dir.path + "/o1", [], env: noGit) else { return }
        #expect(none.status == 2)
        #expect(none.stderr.contains("no submitter for the patches: pass --from"), "\(none.stderr)")
        #expect(nonePatch == nil)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/o1/check.txt"))
        // --from.
        guard let (given, givenPatch) = try await run(dir.path + "/o2", ["--from", "Sam Submitter <sam@example.org>"], env: noGit)
        else { return }
        #expect(given.status == 0, "\(given.stderr)")
        #expect(givenPatch?.contains("\nCc: Jane Doe <jane.doe@vendor.example>\nSigned-off-by: Sam Submitter <sam@example.org>\n") == true)
        // git config user.name/user.email.
        try "[user]\n\tname = Gita Config\n\temail = gita@example.net\n".write(toFile: home + "/gitconfig", atomically: true, encoding: .utf8)
        guard let (git, gitPatch) = try await run(dir.path + "/o3", [], env: noGit) else { return }
        #expect(git.status == 0, "\(git.stderr)")
        #expect(gitPatch?.contains("\nFrom: Gita Config <gita@example.net>\n") == true)
        #expect(gitPatch?.contains("\nCc: Jane Doe <jane.doe@vendor.example>\nSigned-off-by: Gita Config <gita@example.net>\n") == true)
        #expect(gitPatch?.contains("Signed-off-by: Jane Doe") == false)
        // patch behaves the same way without --from.
        try FileManager.default.removeItem(atPath: home + "/gitconfig")
        guard let p = try await acsquirk(["patch", "--kernel-tree", tree, "--out", dir.path + "/o4", "--registry", registry],
                                         env: noGit) else { return }
        #expect(p.status == 2 && p.stderr.contains("no submitter for the patches"), "\(p.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/o4"))
    }

    @Test func lintErrorsStopTheRun() async throws {
        let dir = try Fixtures.temporaryDirectory("run-lint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("quirks").path
        let s = try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: try functions("qemu/f-quirk/dump.txt"),
                                             names: .pciIDs(PCINameDatabase.shared!), root: root, sourceLabel: "dump.txt")
        try EntryScaffolder.write(s)  // TODO markers left in
        let out = dir.appendingPathComponent("out").path
        let r = await PipelineRunner.run(RunConfiguration(registry: [root], dump: Fixtures.path("qemu/f-quirk/dump.txt"), out: out))
        #expect(r.exitCode == 1)
        #expect(r.lint?.diagnostics.map(\.rule) == Array(repeating: "evidence-todo", count: 5))
        #expect(r.progress.count == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
        // The command says the error once: on stderr, not again in the summary it prints.
        guard let c = try await acsquirk(["run", "--registry", root, "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--out", out])
        else { return }
        #expect(c.status == 1)
        #expect((c.stdout + c.stderr).components(separatedBy: "the registry has lint errors").count == 2, "\(c.stdout)\(c.stderr)")
        #expect(c.stderr.contains("acsquirk run: the registry has lint errors"), "\(c.stderr)")
        #expect(c.stdout.hasSuffix("exit 1\n"), "\(c.stdout)")
    }

    @Test func contradictedEntryFailsButWritesEverything() async throws {
        let dir = try Fixtures.temporaryDirectory("run-contradiction")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("quirks").path
        try FileManager.default.copyItem(atPath: quirksFolder, toPath: root)
        try FileManager.default.createDirectory(atPath: root + "/red-hat", withIntermediateDirectories: true)
        try qemuRootPortEntryYAML.write(toFile: root + "/red-hat/qemu-pcie-root-port.yaml", atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let r = await PipelineRunner.run(RunConfiguration(registry: [root], dump: Fixtures.path("qemu/a-rootports/dump.txt"), out: out))
        #expect(r.exitCode == 1)
        #expect(r.check?.errors == 4)
        #expect(r.errors == ["4 contradictions between entries and devices (see check.txt)"])
        // summary.txt lists the error; the console's copy leaves it to stderr.
        let summary = try String(contentsOfFile: out + "/summary.txt", encoding: .utf8)
        #expect(summary == r.summary && summary.contains("\nerror: 4 contradictions"))
        #expect(r.consoleSummary == summary.replacingOccurrences(of: "error: 4 contradictions between entries and devices (see check.txt)\n", with: ""))
        let files = filesUnder(out)
        #expect(Set(alwaysWritten).isSubset(of: Set(files)) && files.contains("quirks/red-hat.c"), "\(files)")
    }

    @Test func badDumpIsBadInput() async throws {
        let dir = try Fixtures.temporaryDirectory("run-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = await PipelineRunner.run(RunConfiguration(registry: [quirksFolder], dump: Fixtures.path("malformed/03-bad-hex-byte.txt"),
                                                    out: dir.appendingPathComponent("out").path))
        #expect(r.exitCode == 2)
        #expect(r.errors.first?.contains("03-bad-hex-byte.txt:") == true, "\(r.errors)")
    }

    @Test func thisMachine() async throws {
        // Whatever this machine has (a VM may show no PCIe function and no IOMMU groups): exit 0.
        let dir = try Fixtures.temporaryDirectory("run-live")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let r = await PipelineRunner.run(RunConfiguration(registry: [quirksFolder], out: out))
        #expect(r.exitCode == 0, "\(r.errors)")
        #expect(Set(alwaysWritten).isSubset(of: Set(filesUnder(out))) || r.functions.isEmpty)
    }

    @Test func commandEndToEnd() async throws {
        let dir = try Fixtures.temporaryDirectory("run-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        guard let r = try await acsquirk(["run", "--dump", Fixtures.path("machines/x99-huananzhi-qd4-navi23/dump.txt"), "--out", out])
        else { return }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(8).map { $0.prefix(6) } == ["[1/8] ", "[2/8] ", "[3/8] ", "[4/8] ", "[5/8] ", "[6/8] ", "[7/8] ", "[8/8] "])
        #expect(r.stdout.hasSuffix(try String(contentsOfFile: out + "/summary.txt", encoding: .utf8)))
        #expect(try splitTables(filesUnder(out), under: out).others == alwaysWritten)

        // check on the same dump, all three formats.
        guard let text = try await acsquirk(["check", "--dump", Fixtures.path("machines/x99-huananzhi-qd4-navi23/dump.txt")]),
              let gh = try await acsquirk(["check", "--format", "github", "--dump", Fixtures.path("machines/x99-huananzhi-qd4-navi23/dump.txt")]),
              let json = try await acsquirk(["check", "--format", "json", "--dump", Fixtures.path("machines/x99-huananzhi-qd4-navi23/dump.txt")])
        else { return }
        #expect(text.status == 0 && gh.status == 0 && json.status == 0)
        #expect(text.stdout == (try String(contentsOfFile: out + "/check.txt", encoding: .utf8)))
        #expect(json.stdout == (try String(contentsOfFile: out + "/check.json", encoding: .utf8)))
        #expect(gh.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("::notice ") || $0.hasPrefix("::warning ") })
        guard let bad = try await acsquirk(["check", "--format", "xml"]) else { return }
        #expect(bad.status == 2)
    }
}
