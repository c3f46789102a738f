import Diagnostics
import Foundation
import KernelOutput
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

@Suite struct NewEntryTests {
    let names = NameSource.pciIDs(PCINameDatabase.shared!)

    /// `new` on QEMU's multifunction e1000e (f-quirk 01:00.0, 8086:10d3).
    func e1000eScaffold(root: String, registry: [LoadedEntry]? = nil) throws -> Scaffold {
        let fs = try functions("qemu/f-quirk/dump.txt")
        return try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: fs, names: names,
                                            registry: registry ?? committedRegistry(), root: root, sourceLabel: "dump.txt")
    }

    @Test func entryIsFilledFromTheDevice() throws {
        let s = try e1000eScaffold(root: "quirks")
        let e = s.entry
        #expect(e.vendor == 0x8086)
        #expect(e.vendorName == "Intel")  // the registry's spelling for 0x8086
        #expect(e.family == "82574L Gigabit Network Connection")  // pci.ids
        #expect(e.devices == [.id(0x10d3)])
        #expect(e.appliesTo.portType == .endpoint)
        // Linux's multifunction flag, as the device shows it; equivalent to the
        // pci_quirk_mf_endpoint_acs shape (QuirkShape.fitsMultifunctionEndpointRows).
        #expect(e.appliesTo.multifunction == true)
        #expect(s.yaml.contains("applies-to:\n  port-type: endpoint\n  multifunction: true\n"), "\(s.yaml)")
        #expect(QuirkShape(e).fitsMultifunctionEndpointRows)
        #expect(s.yaml.contains("# 0000:01:00.0 [8086:10d3] multifunction endpoint (multifunction:"), "\(s.yaml)")
        #expect(s.yaml.contains("# 0000:01:00.1 [8086:10d3] multifunction endpoint (multifunction:"), "\(s.yaml)")
        #expect(s.workingACS.isEmpty)
        #expect(e.isolation.kind == .noPeerToPeer)
        #expect(e.isolation.acsEquivalent == [.sv, .tb, .rr, .cr, .uf, .dt])
        #expect(e.kernel.status == .new)
        #expect(s.entryPath == "quirks/intel/82574l-gigabit-network-connection.yaml")
        #expect(s.dumpPath == "quirks/intel/82574l-gigabit-network-connection.dump.txt")
        // Both functions of the device, with whether they have ACS, in the comment.
        #expect(s.functions.map(\.address.description) == ["0000:01:00.0", "0000:01:00.1"])
        #expect(s.yaml.hasPrefix("# Scaffolded by `acsquirk new --device 0000:01:00.0` from dump.txt."))
        #expect(s.yaml.components(separatedBy: "#   no ACS capability").count == 3)
        // The YAML part reads back as the entry.
        let back = try entry(s.yaml, path: s.entryPath)
        #expect(back.entry == e)
        // Nothing already covers 8086:10d3 with conditions that hold.
        #expect(s.notes.isEmpty, "\(s.notes)")
    }

    @Test func vendorNameWithoutARegistryComesFromPCIIDs() throws {
        let s = try e1000eScaffold(root: "quirks", registry: [])
        #expect(s.entry.vendorName == "Intel")
        #expect(EntryScaffolder.shortVendorName(try #require(PCINameDatabase.vendorName(0x1b36))) == "Red Hat")
        #expect(EntryScaffolder.shortVendorName(try #require(PCINameDatabase.vendorName(0x1022))) == "AMD")
        #expect(EntryScaffolder.shortVendorName(try #require(PCINameDatabase.vendorName(0x10de))) == "NVIDIA")
        #expect(EntryScaffolder.shortVendorName(try #require(PCINameDatabase.vendorName(0x14e4))) == "Broadcom")
        #expect(EntryScaffolder.shortVendorName(try #require(PCINameDatabase.vendorName(0x10ec))) == "Realtek Semiconductor")
    }

    @Test func rootPortBecomesAPortsIsolatedEntry() throws {
        let fs = try functions("qemu/a3-rootports-mf-noacs/dump.txt")
        let s = try EntryScaffolder.scaffold(device: PCIAddress("00:01.1")!, functions: fs, names: names,
                                             registry: committedRegistry(), root: "quirks", sourceLabel: "dump.txt")
        #expect(s.entry.vendorName == "Red Hat")
        #expect(s.entry.appliesTo.portType == .rootPort)
        #expect(s.entry.appliesTo.multifunction == nil)
        #expect(s.entry.isolation == Isolation(kind: .portsIsolated, acsEquivalent: [.sv, .rr, .cr, .uf]))
        // Every function of slot 00:01 (three root ports), one ID.
        #expect(s.functions.map(\.address.shortDescription) == ["00:01.0", "00:01.1", "00:01.2"])
        #expect(s.entry.devices == [.id(0x000c)])
    }

    /// f-quirk 00:01.0 is a root port with ACS advertising RR and CR: an entry is unnecessary.
    @Test func deviceWithWorkingACSIsFlagged() throws {
        let fs = try functions("qemu/f-quirk/dump.txt")
        let s = try EntryScaffolder.scaffold(device: PCIAddress("00:01.0")!, functions: fs, names: names,
                                             registry: committedRegistry(), root: "quirks", sourceLabel: "dump.txt")
        #expect(s.workingACS.count == 1)
        #expect(s.workingACS.first?.message.hasPrefix("0000:00:01.0 [1b36:000c] advertises ACS with RR and CR") == true, "\(s.workingACS)")
        #expect(s.workingACS.first?.rule == "device-has-working-acs")
        #expect(s.workingACS.first?.severity == .warning)
        #expect(s.workingACS.first?.location.device == Diagnostic.Device(bdf: "0000:00:01.0", id: "1b36:000c"))
    }

    @Test func commandRefusesADeviceWithWorkingACSUnlessForced() async throws {
        let dir = try Fixtures.temporaryDirectory("new-acs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("quirks").path
        let args = ["new", "--device", "00:01.0", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--out", out]
        guard let refused = try await acsquirk(args) else { return }
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("warning: [device-has-working-acs] 0000:00:01.0 [1b36:000c] advertises ACS with RR and CR"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        #expect(!FileManager.default.fileExists(atPath: out))
        guard let forced = try await acsquirk(args + ["--force"]) else { return }
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("warning: [device-has-working-acs] 0000:00:01.0 [1b36:000c] advertises ACS with RR and CR"), "\(forced.stderr)")
        #expect(forced.stdout.contains("wrote \(out)/"))
    }

    /// A 256-byte dump (no extended config space): ACS unknown, refused unless --force.
    @Test func commandRefusesUnknownACSUnlessForced() async throws {
        let dir = try Fixtures.temporaryDirectory("new-acs-unknown")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("quirks").path
        let args = ["new", "--device", "0004:01:00.0", "--dump",
                    Fixtures.path("machines/ppc64le-talos2-power9-phb4/dump.txt"), "--out", out]
        guard let refused = try await acsquirk(args) else { return }
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("warning: [device-acs-unknown] 0004:01:00.0 ["), "\(refused.stderr)")
        #expect(refused.stderr.contains("ACS cannot be read"), "\(refused.stderr)")
        #expect(refused.stderr.contains("take the dump with `sudo lspci -xxxx`"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        guard let forced = try await acsquirk(args + ["--force"]) else { return }
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("warning: [device-acs-unknown] 0004:01:00.0 ["), "\(forced.stderr)")
        #expect(forced.stderr.contains("ACS cannot be read"))
        #expect(forced.stdout.contains("wrote \(out)/"))
    }

    @Test func unknownACSIsRecorded() throws {
        let fs = try functions("machines/ppc64le-talos2-power9-phb4/dump.txt")
        let s = try EntryScaffolder.scaffold(device: PCIAddress("0004:01:00.0")!, functions: fs, names: names,
                                             registry: [], root: "quirks", sourceLabel: "dump.txt")
        #expect(!s.unknownACS.isEmpty)
        #expect(s.unknownACS.allSatisfy { $0.message.contains("ACS cannot be read") && $0.rule == "device-acs-unknown" })
        #expect(s.unknownACS.allSatisfy { $0.location.device?.bdf.hasPrefix("0004:01:00.") == true })
        // f-quirk's e1000e has 4096 bytes: its ACS is known.
        #expect(try e1000eScaffold(root: "quirks").unknownACS.isEmpty)
    }

    /// a-rootports 00:1f.0 is QEMU's ICH9 LPC bridge: no PCI Express capability.
    @Test func conventionalFunctionNote() throws {
        let fs = try functions("qemu/a-rootports/dump.txt")
        let s = try EntryScaffolder.scaffold(device: PCIAddress("00:1f.0")!, functions: fs, names: names,
                                             registry: [], root: "quirks", sourceLabel: "dump.txt")
        #expect(s.notes.contains { $0.message == "0000:00:1f.0 is a conventional PCI function (no PCI Express capability): "
                                 + "applies-to.port-type has no word for it and stays 'any'" && $0.rule == "port-type-any"
                                 && $0.severity == .note }, "\(s.notes)")
        #expect(!s.notes.contains { $0.message.contains("is a conventional:") })
        #expect(s.entry.appliesTo.portType == .any)
    }

    /// The scaffolded e1000e entry, filled, checked where the e1000e is single-function
    /// (a-rootports 01:00.0): its multifunction claim is reported.
    @Test func scaffoldedEntryOnASingleFunctionDevice() throws {
        let s = try e1000eScaffold(root: "quirks")
        let le = try entry(fillTODOs(s.yaml), path: s.entryPath)
        let r = RegistryCheck.run(functions: try functions("qemu/a-rootports/dump.txt"), entries: [le],
                                  context: try committedRegistry(), source: "a-rootports")
        let f = r.findings.filter { $0.path == s.entryPath && $0.rule == "multifunction" }
        #expect(f.map(\.bdf) == ["0000:01:00.0"])
        #expect(f.first?.severity == .error)
        #expect(f.first?.message.contains("is not multifunction: single function (header type bit 7 clear), but the entry claims it is multifunction") == true, "\(f)")
        #expect(r.hasContradictions)
    }

    /// a-rootports 01:00.0 is a single-function e1000e: written, with a note under its rule.
    @Test func commandNotesASingleFunctionDevice() async throws {
        let dir = try Fixtures.temporaryDirectory("new-single")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("quirks").path
        guard let r = try await acsquirk(["new", "--device", "01:00.0", "--dump", Fixtures.path("qemu/a-rootports/dump.txt"),
                                          "--out", out]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: [device-single-function] 0000:01:00.0 is a single-function endpoint: "
                                  + "Linux already treats it as isolated, so an entry for it changes no IOMMU group\n"), "\(r.stderr)")
    }

    @Test func missingAndAllOnesDevicesAreRefused() throws {
        let fs = try functions("machines/ivb-latitude-e6430-nvs5200m/dump.txt")
        #expect(throws: PipelineError.self) {
            try EntryScaffolder.scaffold(device: PCIAddress("05:00.0")!, functions: fs, names: names, root: "q", sourceLabel: "d")
        }
        do {
            _ = try EntryScaffolder.scaffold(device: PCIAddress("01:00.1")!, functions: fs, names: names, root: "q", sourceLabel: "d")
            Issue.record("an all-ones function was scaffolded")
        } catch {
            #expect(error.message.contains("all-ones"))
        }
    }

    @Test func serialNumbersAreZeroedInTheSavedDump() throws {
        let s = try e1000eScaffold(root: "quirks")
        let original = try functions("qemu/f-quirk/dump.txt").filter { s.functions.map(\.address).contains($0.address) }
        let dir = try Fixtures.temporaryDirectory("dsn")
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = dir.appendingPathComponent("saved.txt").path
        try s.dump.write(toFile: saved, atomically: true, encoding: .utf8)
        let back = try PCIReader.read(.dump(path: saved))
        #expect(back.map(\.address) == original.map(\.address))
        for (o, b) in zip(original, back) {
            // QEMU gives its e1000e a real serial number (52-54-00-ff-ff-12-34-56/57).
            let dsn = try #require(o.config.findExtendedCapability(PCI_EXT_CAP_ID_DSN))
            #expect(o.config.u32(dsn + 4) != 0)
            #expect(b.config.u32(dsn + 4) == 0 && b.config.u32(dsn + 8) == 0)
            // Everything else is byte for byte what was read.
            var expected = o.config.bytes
            for i in (dsn + 4)..<(dsn + 12) { expected[i] = 0 }
            #expect(b.config.bytes == expected)
            #expect(b.config.readable == o.config.readable)
        }
    }

    @Test func lspciReadsTheSavedDump() async throws {
        let s = try e1000eScaffold(root: "quirks")
        let dir = try Fixtures.temporaryDirectory("dsn-lspci")
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = dir.appendingPathComponent("saved.txt").path
        try s.dump.write(toFile: saved, atomically: true, encoding: .utf8)
        let r = try await runTool("lspci", ["-F", saved, "-vvv"])
        #expect(r.status == 0)
        #expect(r.stdout.components(separatedBy: "Device Serial Number 00-00-00-00-00-00-00-00").count == 3, "\(r.stdout)")
        #expect(!r.stdout.contains("52-54-00"))
    }

    @Test func writesBothFilesAndRefusesToOverwrite() throws {
        let dir = try Fixtures.temporaryDirectory("new")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("quirks").path
        let s = try e1000eScaffold(root: root)
        try EntryScaffolder.write(s)
        let yaml = try String(contentsOfFile: s.entryPath, encoding: .utf8)
        let dump = try String(contentsOfFile: s.dumpPath, encoding: .utf8)
        #expect(yaml == s.yaml && dump == s.dump)
        // A second run refuses and leaves both files alone.
        var other = s
        other.yaml = "changed"
        other.dump = "changed"
        #expect(throws: PipelineError.self) { try EntryScaffolder.write(other) }
        #expect(try String(contentsOfFile: s.entryPath, encoding: .utf8) == yaml)
        #expect(try String(contentsOfFile: s.dumpPath, encoding: .utf8) == dump)
        // Only the dump existing is refused too, and the entry is not written.
        try FileManager.default.removeItem(atPath: s.entryPath)
        #expect(throws: PipelineError.self) { try EntryScaffolder.write(s) }
        #expect(!FileManager.default.fileExists(atPath: s.entryPath))
        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: (s.dumpPath as NSString).deletingLastPathComponent)
        #expect(left == [(s.dumpPath as NSString).lastPathComponent])
    }

    @Test func lintRefusesTheTODOsUntilTheyAreFilled() throws {
        let dir = try Fixtures.temporaryDirectory("new-lint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("intel-quirks").path
        let s = try e1000eScaffold(root: root)
        try EntryScaffolder.write(s)
        let before = Registry.lint(paths: [s.entryPath], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        // Exactly the five evidence fields, each once, and nothing else.
        #expect(before.diagnostics.map(\.rule) == Array(repeating: "evidence-todo", count: 5),
                "\(before.diagnostics.map(\.description))")
        #expect(Set(before.diagnostics.map(\.line)).count == 5)

        try fillTODOs(s.yaml).write(toFile: s.entryPath, atomically: true, encoding: .utf8)
        let after = Registry.lint(paths: [s.entryPath], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        #expect(after.diagnostics.isEmpty, "\(after.diagnostics.map(\.description))")
        // Clean next to the committed registry too (no duplicate device, one vendor name).
        let together = Registry.lint(paths: [quirksFolder, s.entryPath], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        #expect(together.diagnostics.isEmpty, "\(together.diagnostics.map(\.description))")
        #expect(together.entries.count == (try committedRegistry()).count + 1)
    }

    /// Run outside the repository, `new` used to take the vendor name from pci.ids ("Qualcomm
    /// Technologies", folder qualcomm-technologies/), which lint then refused next to the registry
    /// (vendor-name-mismatch). The shipped registry's name is used wherever new runs.
    @Test func vendorNameComesFromTheShippedRegistryWhereverNewRuns() async throws {
        guard let bin = acsquirkBinary() else { return }
        let dir = try Fixtures.temporaryDirectory("new-elsewhere")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await runTool("env", ["-u", "ACSQUIRK_HOME", "NO_COLOR=1", bin, "new", "--device", "00:00.0", "--dump",
                                          Fixtures.path("machines/arm-qcom-rootport-17cb-010b/dump.txt")],
                                  workingDirectory: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        let path = dir.appendingPathComponent("quirks/qualcomm/device-010b.yaml").path
        #expect(r.stdout.hasPrefix("wrote quirks/qualcomm/device-010b.yaml\n"), "\(r.stdout)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\nvendor-name: Qualcomm\n"), "\(text)")
        try fillTODOs(text).write(toFile: path, atomically: true, encoding: .utf8)
        let together = Registry.lint(paths: [quirksFolder, path], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        #expect(together.diagnostics.isEmpty, "\(together.diagnostics.map(\.description))")
    }

    /// A device an entry already covers (82576, upstream row 39) is refused unless --force.
    @Test func aDeviceWithAnEntryIsRefusedUnlessForced() throws {
        let fs = try functions("qemu/f-quirk/dump.txt").map { f -> PCIFunction in
            guard f.deviceID == 0x10d3 else { return f }
            var g = f
            g.config.set16(0x02, 0x10c9)
            return g
        }
        let s = try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: fs, family: "82576 again", names: names,
                                            registry: try committedRegistry(), root: "quirks", sourceLabel: "dump.txt")
        #expect(s.covered.map(\.message) == ["8086:10c9 is already covered by \(quirksFolder)/intel/82576.yaml:1 (Intel 82576, upstream)"], "\(s.covered)")
        #expect(s.covered.map(\.rule) == ["device-already-covered"])
        #expect(s.covered.first?.location.device?.bdf == "0000:01:00.0")
        #expect(s.notes.isEmpty, "\(s.notes)")
    }

    @Test func commandWritesAndRefuses() async throws {
        let dir = try Fixtures.temporaryDirectory("new-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("quirks").path
        let args = ["new", "--device", "01:00.0", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--out", out,
                    "--family", "82574L"]
        guard let first = try await acsquirk(args) else { return }
        #expect(first.status == 0, "\(first.stderr)")
        let entryPath = out + "/intel/82574l.yaml"
        #expect(first.stdout.contains("wrote \(entryPath)"))
        let text = try String(contentsOfFile: entryPath, encoding: .utf8)
        #expect(text.contains("family: 82574L\n"))
        #expect(FileManager.default.fileExists(atPath: out + "/intel/82574l.dump.txt"))
        // Again: the device now has an entry (the one just written), so new refuses; with
        // --force it still never overwrites a file.
        guard let second = try await acsquirk(args) else { return }
        #expect(second.status == 2)
        #expect(second.stderr.contains("warning: [device-already-covered] 8086:10d3 is already covered by \(entryPath):"), "\(second.stderr)")
        #expect(second.stderr.contains("the device already has an entry: no entry written (pass --force"), "\(second.stderr)")
        guard let forced = try await acsquirk(args + ["--force"]) else { return }
        #expect(forced.status == 2)
        #expect(forced.stderr.contains("already exists"), "\(forced.stderr)")
        #expect(try String(contentsOfFile: entryPath, encoding: .utf8) == text)
        // A BDF that is not there, a malformed one.
        guard let missing = try await acsquirk(["new", "--device", "07:00.0", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), "--out", out]),
              let malformed = try await acsquirk(["new", "--device", "1:2:3", "--out", out]) else { return }
        #expect(missing.status == 2 && missing.stderr.contains("no PCI function 0000:07:00.0"))
        #expect(malformed.status == 2)
    }
}
