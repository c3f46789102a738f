import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Testing
import TestSupport

/// The commands on lspci text: `new` scaffolds from it (and refuses what an entry cannot be built
/// from), `check` and `scan` print the assumptions, `acs-table` refuses it.
@Suite struct TextCommandsTests {
    @Test func newFromTextWritesARebuiltRecordThatCheckReads() async throws {
        let out = try Fixtures.temporaryDirectory("acsquirk-text-new")
        defer { try? FileManager.default.removeItem(at: out) }
        guard let r = try await acsquirk(["new", "--device", "01:00.0", "--dump", Fixtures.path("qemu/f-quirk/vvv.txt"),
                                          "--out", out.path, "--family", "82574L"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: [text-assumption] from the lspci text: "), "\(r.stderr)")
        let record = out.appendingPathComponent("intel/82574l.dump.txt").path
        let text = try String(contentsOfFile: record, encoding: .utf8)
        #expect(text.hasPrefix("# Rebuilt by `acsquirk new --device 0000:01:00.0` from the lspci text vvv.txt: not a dump."))
        #expect(text.contains("# - the multifunction bit (header type bit 7) is not in lspci text"))
        let yaml = try String(contentsOfFile: out.appendingPathComponent("intel/82574l.yaml").path, encoding: .utf8)
        #expect(yaml.contains("REBUILT from lspci text"))
        #expect(yaml.contains("multifunction: true"))
        // The record reads as a dump (libpci ignores the # lines): the same bytes as the text gave.
        let back = try PCIReader.load(.dump(path: record), names: false)
        #expect(back.format == .hexDump)
        let fromText = try PCIReader.load(.dump(path: Fixtures.path("qemu/f-quirk/vvv.txt")), names: false)
        #expect(back.functions.map(\.config) == fromText.functions.filter { $0.address.bus == 1 }.map(\.config))
        guard let lspci = try? await runTool("lspci", ["-F", record, "-n"]) else { return }
        #expect(lspci.status == 0 && lspci.stdout.split(separator: "\n").count == 2)
        guard let check = try await acsquirk(["check", "--dump", record, out.appendingPathComponent("intel/82574l.yaml").path,
                                              "--registry", quirksFolder]) else { return }
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    /// An entry needs exact IDs and a visible ACS capability.
    @Test func newRefusesWhatTheTextCannotTell() async throws {
        let out = try Fixtures.temporaryDirectory("acsquirk-text-new")
        defer { try? FileManager.default.removeItem(at: out) }
        // n1sdp's text names the Realtek NIC by a name pci.ids gives to 10ec:8161 and 10ec:8168.
        guard let ambiguous = try await acsquirk(["new", "--device", "0000:07:00.0", "--dump",
                                                  Fixtures.path("machines/arm-n1sdp-pex8749/vvv.txt"), "--out", out.path]) else { return }
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("ambiguous name") && ambiguous.stderr.contains("10ec:8161 or 10ec:8168"))
        // Text of a non-root lspci run: the capabilities cannot be seen.
        guard let nonRoot = try await acsquirk(["new", "--device", "00:1c.0", "--dump",
                                                Fixtures.path("lspci-reports/laptop-lenovo-thinkpad11e-nonroot.txt"), "--out", out.path]) else { return }
        #expect(nonRoot.status == 2 && nonRoot.stderr.contains("only 64 bytes of config space readable"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test func scanAndCheckPrintTheAssumptions() async throws {
        let text = Fixtures.path("lspci-reports/laptop-lenovo-thinkpad13-kbl-spt-lp.txt")
        guard let scan = try await acsquirk(["scan", "--dump", text]) else { return }
        #expect(scan.status == 0)
        #expect(scan.stdout.contains("Assumptions (lspci text):\n  - lspci text: config space rebuilt"))
        #expect(scan.stdout.contains("Intel PCH root ports 00:1c.0, 00:1c.3 keep ACS Capability and Control as dwords"))
        guard let check = try await acsquirk(["check", "--dump", text, "--registry", quirksFolder, quirksFolder]) else { return }
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("  - input: lspci text: config space rebuilt"))
    }

    @Test func acsTableRefusesText() async throws {
        guard let r = try await acsquirk(["acs-table", "--device", "01:00.0", "--dump", Fixtures.path("qemu/f-quirk/vvv.txt")]) else { return }
        #expect(r.status == 2)
        #expect(r.stderr.contains("lspci text shows lspci's decode, not the bytes"))
    }
}
