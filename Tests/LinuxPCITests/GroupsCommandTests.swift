import Foundation
import PCIConfig
import Testing
import TestSupport

/// The built `acsquirk` next to the test bundle (`swift build --build-tests` builds it).
private func acsquirkBinary() -> String? {
    if let binary = builtAcsquirk() { return binary }
    Issue.record("acsquirk is not built: run swift build --build-tests")
    return nil
}

/// Runs `acsquirk groups …` in `directory` (not the repository root: the commands must find the
/// shipped registry from anywhere).
private func groups(_ args: [String], in directory: String) async throws -> ToolResult? {
    guard let bin = acsquirkBinary() else { return nil }
    return try await runTool("env", [bin, "groups"] + args, workingDirectory: directory,
                             environment: ["NO_COLOR": "1", "ACSQUIRK_HOME": ""])
}

/// `acsquirk groups` as a command: the kernel table from the shipped registry whatever
/// `--registry` says, from any working directory; dump warnings, live differences and errors
/// on stderr.
@Suite(.serialized) struct GroupsCommandTests {
    static let snb = "machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt"

    static let newEntry = SampleEntries.intel82574L

    /// A registry folder holding one `new` entry used to replace the whole kernel table: the
    /// Intel PCH root ports (pci_quirk_intel_pch_acs) lost their quirk.
    @Test func aRegistryWithOneNewEntryKeepsTheKernelTable() async throws {
        let dir = try Fixtures.temporaryDirectory("groups-registry")
        defer { try? FileManager.default.removeItem(at: dir) }
        let reg = dir.appendingPathComponent("mine/intel")
        try FileManager.default.createDirectory(at: reg, withIntermediateDirectories: true)
        try Data(Self.newEntry.utf8).write(to: reg.appendingPathComponent("82574l.yaml"))
        let dump = Fixtures.path(Self.snb)
        guard let r = try await groups(["--dump", dump, "--registry", dir.path + "/mine"], in: dir.path) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        for (bdf, id) in [("00:1c.0", "8086:1c10"), ("00:1c.1", "8086:1c12")] {
            #expect(r.stdout.contains("  \(bdf)  [\(id)]  isolated: root port \(id) is isolated by kernel quirk pci_quirk_intel_pch_acs (table row 67)\n"),
                    "\(r.stdout)")
        }
        #expect(!r.stdout.contains("[8086:1c10]  NOT isolated"))
        // The same bytes as without --registry (the new entry is only what-if material) ...
        guard let plain = try await groups(["--dump", dump], in: dir.path) else { return }
        #expect(plain.status == 0)
        #expect(plain.stdout == r.stdout)
        // ... which --with-registry applies on top of the kernel table.
        guard let w = try await groups(["--dump", dump, "--registry", dir.path + "/mine", "--with-registry"], in: dir.path) else { return }
        #expect(w.status == 0)
        #expect(w.stdout.contains("What-if: --with-registry: 1 registry entry not upstream, consulted before the kernel's table\n"))
        #expect(w.stdout.contains("is isolated by kernel quirk pci_quirk_intel_pch_acs (table row 67)"))
    }

    @Test func worksFromAnyDirectory() async throws {
        let dir = try Fixtures.temporaryDirectory("groups-cwd")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let r = try await groups(["--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--quirk", "8086:10d3"], in: dir.path)
        else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout.contains("group 4 {01:00.0 01:00.1} splits into group 4 {01:00.0}, group 5 {01:00.1}"))
    }

    /// A --quirk ID that matches no device in the input changes nothing: said on stderr and in the
    /// What-if label, not left to look like "no change".
    @Test func aQuirkForNoDeviceIsNamed() async throws {
        let dir = try Fixtures.temporaryDirectory("groups-quirk-none")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = Fixtures.path("qemu/f-quirk/dump.txt")
        guard let r = try await groups(["--dump", dump, "--quirk", "8086:10d4", "--quirk", "8086:10d3"], in: dir.path) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "warning: [what-if-matches-nothing] --quirk 8086:10d4 matches no device in \(dump): it changes nothing\n", "\(r.stderr)")
        #expect(r.stdout.contains("--quirk 8086:10d4 (pci_quirk_mf_endpoint_acs: SV|TB|RR|CR|UF|DT): matches no device in \(dump)"), "\(r.stdout)")
        #expect(!r.stdout.contains("8086:10d3 (pci_quirk_mf_endpoint_acs: SV|TB|RR|CR|UF|DT): matches"))
        #expect(r.stdout.contains("group 4 {01:00.0 01:00.1} splits into group 4 {01:00.0}, group 5 {01:00.1}"))
    }

    @Test func aBrokenExtraRegistryIsBadInput() async throws {
        let dir = try Fixtures.temporaryDirectory("groups-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let r = try await groups(["--dump", Fixtures.path(Self.snb), "--registry", dir.path + "/none"], in: dir.path)
        else { return }
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == "acsquirk groups: registry \(dir.path)/none cannot be used:\n\(dir.path)/none: error: [unreadable] no such file or directory\n")
    }

    /// The dump pre-check's warnings reach stderr, as `scan` prints them.
    @Test func dumpWarningsArePrinted() async throws {
        let dump = Fixtures.path("malformed/11-header-8-digit-domain.txt")
        let dir = try Fixtures.temporaryDirectory("groups-warn")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let r = try await groups(["--dump", dump], in: dir.path) else { return }
        #expect(r.status == 0)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(lines.first?.hasPrefix("\(dump):18: warning: not a device header for libpci (8-digit domain") == true)
        #expect(lines.last?.hasPrefix("\(dump):19: warning: hex data merged into 0000:00:00.0") == true)
    }

    @Test func aMissingDumpIsNamedOnce() async throws {
        let dir = try Fixtures.temporaryDirectory("groups-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let r = try await groups(["--dump", "/nonexistent"], in: dir.path) else { return }
        #expect(r.status == 2)
        #expect(r.stderr == "/nonexistent: error: cannot open: No such file or directory\n")
    }

    /// Read live where a function's config file holds 64 bytes (what Linux lets a user who is not
    /// root read): one warning under `config-space-needs-root`, through the one text reporter.
    @Test func liveReadWithoutRootWarnsUnderItsRule() async throws {
        let root = try LiveTests.fakeSysfs(dump: "qemu/b-switch/dump.txt", groups: try Fixtures.groups("qemu/b-switch/groups.txt"))
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("bus/pci/devices/0000:03:00.0/config")
        try Data(try Data(contentsOf: config).prefix(64)).write(to: config)
        guard let r = try await groups(["--sysfs-root", root.path, "--kernel", "6.12"], in: root.path) else { return }
        #expect(r.stderr.hasPrefix("warning: [config-space-needs-root] config space beyond 64 bytes is readable only as root; "
                                   + "without it ACS is invisible and the prediction treats it as absent\n"), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "[config-space-needs-root]").count == 2, "\(r.stderr)")
        #expect(r.status == 0 && r.stdout.contains("IOMMU group"), "\(r.stderr)")
        // --strict: the same warning, once, refuses the read (exit 2, as any bad input).
        guard let strict = try await groups(["--sysfs-root", root.path, "--kernel", "6.12", "--strict"], in: root.path) else { return }
        #expect(strict.status == 2 && strict.stdout.isEmpty, "\(strict.stdout)\(strict.stderr)")
        #expect(strict.stderr == "warning: [config-space-needs-root] config space beyond 64 bytes is readable only as root; "
                + "without it ACS is invisible and the prediction treats it as absent\n"
                + "acsquirk groups: the input is refused: --strict makes its warnings errors\n", "\(strict.stderr)")
    }

    /// A live difference is a finding in every format; JSON and DOT say what differs on stderr.
    @Test(arguments: ["json", "dot", "text"])
    func liveMismatchIsExplainedInEveryFormat(_ format: String) async throws {
        var g = try Fixtures.groups("qemu/b-switch/groups.txt")
        let merged = g[PCIAddress("0000:02:00.0")!]!
        for (a, n) in g where n == merged { g[a] = g[PCIAddress("0000:01:00.0")!]! }
        let root = try LiveTests.fakeSysfs(dump: "qemu/b-switch/dump.txt", groups: g)
        defer { try? FileManager.default.removeItem(at: root) }
        guard let r = try await groups(["--sysfs-root", root.path, "--kernel", "6.12", "--format", format], in: root.path)
        else { return }
        #expect(r.status == 1)
        let text = format == "text" ? r.stdout : r.stderr
        #expect(text.contains("Live kernel (/sys/kernel/iommu_groups): the kernel's groups DIFFER from the prediction.\n"), "\(r.stderr)")
        #expect(text.contains("  predicted partition: "))
        #expect(text.contains("  kernel partition:    "))
        if format != "text" {
            #expect(r.stderr.hasPrefix("acsquirk groups: Live kernel"))
            #expect(!r.stdout.contains("DIFFER"))
        }
    }
}

/// `groups --sriov BDF=N`: the groups of VFs not enabled yet, and the kernel's refusals as usage
/// errors (exit 2) with its reason.
@Suite struct GroupsSRIOVCommandTests {
    static let defaultBoot = "qemu-sriov/switch-rootports/default/6.12/dump.txt"

    @Test func whatIfGivesTheBootedGroupsOfTheVFs() async throws {
        guard let bin = builtAcsquirk() else { Issue.record("acsquirk is not built"); return }
        let r = try await runTool("env", [bin, "groups", "--dump", Fixtures.path(Self.defaultBoot), "--kernel", "6.12", "--format", "json",
                                        "--sriov", "01:00.0=8", "--sriov", "02:00.0=8", "--sriov", "05:00.0=8"],
                                  environment: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let groups = try #require(json["groups"] as? [[String: Any]])
        var predicted: [PCIAddress: Int] = [:]
        for g in groups {
            for m in try #require(g["members"] as? [[String: Any]]) {
                let bdf = try #require(m["bdf"] as? String)
                predicted[try #require(PCIAddress(bdf))] = try #require(g["number"] as? Int)
            }
        }
        // The kernel's groups after writing 8 to each PF's sriov_numvfs.
        #expect(predicted == (try Fixtures.groups("qemu-sriov/switch-rootports/vfs-8/6.12/groups.txt")))
    }

    @Test(arguments: [
        ("01:00.0=9", "01:00.0 supports at most 8 VFs (TotalVFs): writing 9 to sriov_numvfs fails with ERANGE"),
        ("00:01.0=1", "00:01.0 (1b36:000c) has no SR-IOV capability in the input"),
        ("07:00.0=1", "no function at 07:00.0 in the input"),
    ])
    func refusalsAreUsageErrors(_ argument: String, _ says: String) async throws {
        guard let bin = builtAcsquirk() else { Issue.record("acsquirk is not built"); return }
        let r = try await runTool("env", [bin, "groups", "--dump", Fixtures.path(Self.defaultBoot), "--sriov", argument],
                                  environment: ["NO_COLOR": "1"])
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr.contains("acsquirk groups: --sriov: " + says), "\(r.stderr)")
    }
}
