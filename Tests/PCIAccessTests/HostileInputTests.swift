import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// Crafted inputs from issue #15 (Tests/Fixtures/hostile, see its README): each one crashed or
/// misled acsquirk before it was fixed.
@Suite struct HostileInputTests {
    static let offsetFile = Fixtures.path("hostile/after-100-warnings-offset-fffffff0.txt")
    static let malformedFile = Fixtures.path("hostile/after-100-warnings-malformed-line.txt")

    /// 101 ignored hex lines (a warning each) and then a line libpci cannot take: the error is
    /// reported with its line however many warnings came before, and the dump is refused.
    @Test(arguments: [offsetFile, malformedFile])
    func errorAfterHundredWarningsIsStillAnError(_ path: String) throws {
        let report = try DumpLint.check(path: path)
        let fatal = report.isFatal
        #expect(fatal, "refused: \(report.errors.map(\.description))")
        let first = try #require(report.errors.first)
        #expect(first.line == 107)
        #expect(first.description.hasPrefix("\(path):107: error: "))
        #expect(report.warnings.count == DumpLint.maxDiagnostics, "warnings up to the cap are kept")
    }

    /// The reader refuses it with FILE:LINE (libpci's bare `dump: Malformed line` before).
    @Test func readerNamesTheLineAfterHundredWarnings() throws {
        let e = #expect(throws: PCIAccessError.self) { try PCIReader.load(.dump(path: Self.malformedFile), names: false) }
        #expect(e?.message.hasPrefix("\(Self.malformedFile):107: error: malformed hex bytes") == true, "\(e?.message ?? "")")
    }

    /// Every command that reads a dump stops with exit 2 and the located error: the offset
    /// `fffffff0:` made libpci write outside its buffer (scan 139, groups/check/run 134, scan
    /// --format json exit 0 with corrupted data).
    @Test(arguments: [offsetFile, malformedFile])
    func everyCommandRefusesIt(_ path: String) async throws {
        let out = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let commands: [[String]] = [
            ["scan"], ["scan", "--format", "json"], ["groups"], ["groups", "--format", "json"],
            ["check", Fixtures.repoPath("quirks")], ["run", "--out", out.path],
        ]
        for c in commands {
            let r = try await Binary.run(c + ["--dump", path], environment: ["NO_COLOR": "1"])
            #expect(r.status == 2, "\(c): exit \(r.status), stderr \(r.stderr.suffix(300))")
            #expect(r.stderr.contains("\(path):107: error: "), "\(c): \(r.stderr.suffix(300))")
            if c.first == "scan" { #expect(r.stdout.isEmpty, "\(c) printed a result") }
        }
    }

    /// Issue #15 item 4: an ACS header at 0xffc has its Capability and Control registers past the
    /// end of config space. It must not be `present` with invented zero registers (which read as
    /// "every advertised bit enabled" and split IOMMU groups): the root port's ACS is unknown and
    /// the endpoint below it shares the root port's group.
    @Test func acsHeaderAtFFCDoesNotSplitGroups() async throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path("qemu/a-rootports/dump.txt")), names: false)
        let portAddress = try #require(PCIAddress("0000:00:01.0"))
        var port = try #require(fns.first { $0.address == portAddress })
        let walk = port.config.extendedCapabilities().entries
        let acs = try #require(walk.first { $0.id == PCI_EXT_CAP_ID_ACS })
        let before = try #require(walk.last { $0.offset < acs.offset }, "ACS is not the first extended capability")
        // Point the capability before ACS at 0xffc and put the ACS header there.
        let header = try #require(port.config.u32(before.offset))
        port.config.set32(before.offset, header & 0x000f_ffff | 0xffc << 20)
        port.config.set32(0xffc, UInt32(PCI_EXT_CAP_ID_ACS) | 1 << 16)
        #expect(port.config.extendedCapabilities().entries.last?.offset == 0xffc)

        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("acs-at-ffc.txt").path
        try DumpWriter.text(fns.map { $0.address == portAddress ? port : $0 }).write(toFile: file, atomically: true, encoding: .utf8)

        let scan = try await Binary.run(["scan", "--dump", file, "--format", "json", "--numeric"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        let records = try #require(doc["functions"] as? [[String: Any]])
        let record = try #require(records.first { $0["bdf"] as? String == "0000:00:01.0" })
        let state = (record["acs"] as? [String: Any])?["state"] as? String
        #expect(state == "unknown", "ACS at 0xffc decoded as \(state ?? "nil")")

        let groups = try await Binary.run(["groups", "--dump", file, "--format", "json"])
        #expect(groups.status == 0, "\(groups.stderr)")
        let g = try #require(try JSONSerialization.jsonObject(with: Data(groups.stdout.utf8)) as? [String: Any])
        let members = ((g["groups"] as? [[String: Any]]) ?? []).map { ($0["members"] as? [[String: Any]] ?? []).compactMap { $0["bdf"] as? String } }
        let endpointGroup = try #require(members.first { $0.contains("0000:01:00.0") })
        #expect(endpointGroup.contains("0000:00:01.0"), "01:00.0 split from its root port on invented ACS registers: \(endpointGroup)")
    }
}
