import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import SafeFiles
import Testing
import TestSupport

/// `acsquirk snapshot` on a sysfs tree rebuilt from a QEMU guest (FakeSysfs): the file holds what
/// acsquirk reads live, every command reads it back, lspci reads its config space, and `groups`
/// replays the recorded groups as live.
@Suite struct SnapshotTests {
    static let cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.12.0-1-amd64 root=UUID=0b0e2b4c-5a1e-4f4e-9f0e-123456789abc ro quiet "
        + "intel_iommu=on iommu=pt " + String(repeating: "console=ttyS0,115200n8 ", count: 12) + "acsquirk.test=\"a b\" end"

    static func groups(_ fixture: String) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try Fixtures.groups(fixture).map { ($0.key.description, $0.value) })
    }

    static func sysfs(groups: [String: Int]? = nil) throws -> URL {
        try FakeSysfs.make(dump: "qemu/b-switch/dump.txt", groups: groups ?? (try Self.groups("qemu/b-switch/groups.txt")),
                           drivers: ["0000:00:01.0": "pcieport", "0000:03:00.0": "e1000e"],
                           osRelease: "6.12.117-amd64", cmdline: Self.cmdline)
    }

    @Test func snapshotHoldsWhatIsReadLiveAndReadsBack() async throws {
        let root = try Self.sysfs()
        defer { try? FileManager.default.removeItem(at: root) }
        let snap = try SnapshotTaker.take(sysRoot: root.path, procRoot: root.path + "/proc", tool: "acsquirk test")
        #expect(snap.system.root == true)
        #expect(snap.system.kernelRelease == "6.12.117-amd64")
        #expect(snap.system.commandLine == Self.cmdline)
        #expect(snap.system.drivers == [PCIAddress("0000:00:01.0")!: "pcieport", PCIAddress("0000:03:00.0")!: "e1000e"])
        #expect(snap.system.iommuGroups.count == 14 && snap.system.iommuActive)
        // Every line fits libpci's dump reader (253 characters), and lspci reads the config part.
        let lines = snap.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.utf8.count <= DumpLint.maxLineLength })
        let dir = try Fixtures.temporaryDirectory("acsquirk-snapshot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("snapshot.txt").path
        try OutputFile.write(snap.text, to: file)
        #expect(DumpLint.check(bytes: Array(snap.text.utf8), file: file).diagnostics.isEmpty)
        let lspci = try await runTool("lspci", ["-F", file, "-n"])
        let original = try await runTool("lspci", ["-F", Fixtures.path("qemu/b-switch/dump.txt"), "-n"])
        #expect(lspci.status == 0 && lspci.stdout == original.stdout)

        // Read back: the same functions, the recorded state, serial numbers zeroed.
        let back = try PCIReader.load(.dump(path: file), names: false)
        #expect(back.format == .snapshot)
        #expect(back.recorded == RecordedSystem(origin: "snapshot", kernelRelease: "6.12.117-amd64", commandLine: Self.cmdline,
                                                iommuActive: true, iommuGroups: snap.system.iommuGroups,
                                                drivers: snap.system.drivers, root: true))
        let live = try PCIReader.load(.live(sysfsPath: root.path + "/bus/pci"), names: false)
        #expect(back.functions.map(\.address) == live.functions.map(\.address))
        for (b, l) in zip(back.functions, live.functions) {
            #expect(b.config == l.config.zeroingSerialNumbers(), "\(b.address)")
        }
        // QEMU's e1000e has a Device Serial Number capability at 0x140 with a serial derived from its MAC.
        let nic = try #require(live.functions.first { $0.address == PCIAddress("0000:03:00.0")! })
        #expect(nic.config.u32(0x144) != 0)
        let nicBack = try #require(back.functions.first { $0.address == nic.address })
        #expect(nicBack.config.u32(0x144) == 0 && nicBack.config.u32(0x148) == 0)
        #expect(nicBack.config.u32(0x140) == nic.config.u32(0x140))
    }

    /// `groups --dump SNAPSHOT` compares with the recorded groups like live: equal → exit 0, the
    /// recorded kernel's profile; a different partition → a finding (exit 1).
    @Test func groupsReplaysTheSnapshotAsLive() async throws {
        var groups = try Self.groups("qemu/b-switch/groups.txt")
        for (doctored, expectedStatus) in [(false, Int32(0)), (true, Int32(1))] {
            if doctored { groups["0000:02:00.0"] = groups["0000:01:00.0"]; groups["0000:03:00.0"] = groups["0000:01:00.0"] }
            let root = try Self.sysfs(groups: groups)
            defer { try? FileManager.default.removeItem(at: root) }
            let dir = try Fixtures.temporaryDirectory("acsquirk-snapshot")
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("snap.txt").path
            guard let taken = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc", "-o", file]) else { return }
            #expect(taken.status == 0, "\(taken.stderr)")
            let recordedGroups = Set(groups.values).count
            #expect(taken.stdout.isEmpty && taken.stderr.contains("wrote \(file) (14 functions, \(recordedGroups) IOMMU groups"))
            guard let g = try await acsquirk(["groups", "--dump", file]) else { return }
            #expect(g.status == expectedStatus, "\(g.stdout)\(g.stderr)")
            #expect(g.stdout.contains("(kernel 6.12.117 rules)"))
            #expect(g.stdout.contains("snapshot of a machine running kernel 6.12.117-amd64; \(recordedGroups) IOMMU groups recorded"))
            #expect(g.stdout.contains(doctored ? "Kernel groups recorded in the snapshot: the kernel's groups DIFFER"
                                               : "Kernel groups recorded in the snapshot: the kernel's groups equal the prediction, numbers included."))
            // Every other command reads it as it reads a dump.
            guard let scan = try await acsquirk(["scan", "--dump", file, "--format", "json"]) else { return }
            #expect(scan.status == 0)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
            #expect((doc["source"] as? [String: Any])?["format"] as? String == "snapshot")
            let fns = try #require(doc["functions"] as? [[String: Any]])
            #expect(fns.first { $0["bdf"] as? String == "0000:03:00.0" }?["driver"] as? String == "e1000e")
        }
    }

    /// A machine without IOMMU groups and without /proc/sys/kernel/osrelease: each gap is a
    /// warning under its `LiveReadFinding` rule, through the one text reporter; the snapshot is written.
    @Test func warnsUnderRulesAboutWhatCannotBeRecorded() async throws {
        let root = try FakeSysfs.make(dump: "qemu/b-switch/dump.txt", groups: [:], cmdline: Self.cmdline)
        defer { try? FileManager.default.removeItem(at: root) }
        let taken = try SnapshotTaker.take(sysRoot: root.path, procRoot: root.path + "/proc", tool: "acsquirk test")
        #expect(taken.warnings.compactMap(\.rule) == ["no-iommu", "kernel-release-unreadable"], "\(taken.warnings)")
        guard let r = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc", "-o", "/dev/null"])
        else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: [no-iommu] \(root.path)/kernel/iommu_groups is empty: no IOMMU is active, no groups recorded\n"),
                "\(r.stderr)")
        #expect(r.stderr.contains("warning: [kernel-release-unreadable] \(root.path)/proc/sys/kernel/osrelease cannot be read: "
                                  + "kernel release not recorded\n"), "\(r.stderr)")
    }

    /// stdout by default; /dev/null discards (and stays the device); a directory and a link are refused.
    @Test func writesSafely() async throws {
        let root = try Self.sysfs()
        defer { try? FileManager.default.removeItem(at: root) }
        guard let out = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc"]) else { return }
        #expect(out.status == 0 && out.stdout.hasPrefix(SnapshotFormat.magic))
        guard let dev = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc", "-o", "/dev/null"]) else { return }
        #expect(dev.status == 0)
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        let dir = try Fixtures.temporaryDirectory("acsquirk-snapshot")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let bad = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc", "-o", dir.path]) else { return }
        #expect(bad.status == 2 && bad.stderr.contains("not a regular file"))
        // A regular file is replaced whole (staged next to it, then renamed); a symbolic link is
        // neither replaced nor written through (issue #15: the one writer, SafeFiles.OutputFile).
        let target = dir.appendingPathComponent("old.txt").path
        try "old\n".write(toFile: target, atomically: true, encoding: .utf8)
        try OutputFile.write("new\n", to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        let link = dir.appendingPathComponent("link.txt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: FileError.self) { try OutputFile.write("other\n", to: link) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
        guard let linked = try await acsquirk(["snapshot", "--sysfs-root", root.path, "--proc-root", root.path + "/proc", "-o", link])
        else { return }
        #expect(linked.status == 2 && linked.stderr.contains("\(link): is a symbolic link to \(target)"), "\(linked.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["link.txt", "old.txt"])
    }

    /// A snapshot's sections are read strictly: a bad line is refused with its line.
    @Test func malformedSnapshotIsRefusedWithTheLine() throws {
        let text = SnapshotFormat.magic + "1\n# [iommu-groups]\n# 0000:00:01.0 x\n# [config-space]\n\n"
            + (try Fixtures.text("qemu/a-rootports/dump.txt"))
        let bad = DumpReader.read(bytes: Array(text.utf8), file: "s.txt")
        #expect(bad.kind == .snapshot && bad.isFatal && bad.functions.isEmpty)
        #expect(bad.errors.map(\.description) == ["s.txt:3: error: an [iommu-groups] line is 'dddd:bb:dd.f N'"])
        let cut = SnapshotFormat.magic + "1\n# [kernel]\n# release: 6.1\n"
        #expect(DumpReader.read(bytes: Array(cut.utf8), file: "c.txt").errors.first?.message.contains("no [config-space] section") == true)
    }
}
