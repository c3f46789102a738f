import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import StaticACS
import Testing
import TestSupport

/// The C form compiles and holds the same bytes; the registry API; the CLI end to end.
@Suite struct OutputTests {
    /// Compiles `fragment` into a program that prints the `u8` array, the `u32` array and the
    /// `#define`s, runs it and returns its output lines.
    func compileAndRun(_ fragment: String, id: String, hasLink: Bool, hasOffset: Bool) async throws -> [String] {
        let macro = id.uppercased()
        let program = """
            #include <stdio.h>
            #include <stdint.h>
            typedef uint8_t u8;
            typedef uint32_t u32;
            #include "table.h"
            int main(void)
            {
            \tunsigned i;
            \tfor (i = 0; i < sizeof(\(id)_u8); i++)
            \t\tprintf("%02x%s", \(id)_u8[i], i + 1 < sizeof(\(id)_u8) ? " " : "\\n");
            \tfor (i = 0; i < sizeof(\(id)_u32) / 4; i++)
            \t\tprintf("%08x%s", (unsigned)\(id)_u32[i], i + 1 < sizeof(\(id)_u32) / 4 ? " " : "\\n");
            \(hasOffset ? "\tprintf(\"%x\\n\", \(macro)_OFFSET);" : "")
            \(hasLink ? "\tprintf(\"%x %08x\\n\", \(macro)_LINK_OFFSET, \(macro)_LINK_HEADER);" : "")
            \treturn 0;
            }

            """
        let dir = try Fixtures.temporaryDirectory("acsquirk-c")
        try fragment.write(to: dir.appendingPathComponent("table.h"), atomically: true, encoding: .utf8)
        try program.write(to: dir.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let exe = dir.appendingPathComponent("main").path
        let cc = try await runTool("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-o", exe, dir.appendingPathComponent("main.c").path])
        try #require(cc.status == 0, "gcc failed:\n\(cc.stderr)\n\(fragment)")
        let run = try await runTool("env", [exe])
        try #require(run.status == 0)
        return run.stdout.split(separator: "\n").map(String.init)
    }

    func hexBytes(_ b: [UInt8]) -> String { b.map { hex($0, width: 2) }.joined(separator: " ") }

    @Test(arguments: [
        ("qemu/f-quirk/dump.txt", "0000:01:00.0", ACSFlags(), nil as Int?),
        ("machines/arrandale-samsung-r580-gt330m/dump.txt", "0000:02:00.1", ACSFlags(), nil),
        ("machines/ivb-latitude-e6430-nvs5200m/dump.txt", "0000:01:00.0", ACSFlags.all, 40),
    ])
    func cFormCompilesAndHoldsTheBytes(dump: String, bdf: String, controls: ACSFlags, egress: Int?) async throws {
        let f = try fixtureFunction(dump, bdf)
        let t = try StaticACSTable.place(try ACSTableRequest(capability: controls, egressVectorBits: egress), in: f)
        let p = try #require(t.placement)
        let out = try await compileAndRun(t.renderC(), id: t.identifier, hasLink: p.link != nil, hasOffset: true)
        #expect(out[0] == hexBytes(t.bytes))
        let capWrites = t.writes.filter { $0.offset >= p.offset && $0.offset < p.offset + p.size }
        #expect(out[1] == capWrites.map { hex($0.value, width: 8) }.joined(separator: " "))
        #expect(out[2] == hex(p.offset, width: 1))
        if let l = p.link { #expect(out[3] == "\(hex(l.offset, width: 1)) \(hex(l.newHeader, width: 8))") }
        // Every byte line carries its absolute offset in a comment.
        let c = t.renderC()
        for off in stride(from: p.offset, to: p.offset + p.size, by: 4) { #expect(c.contains("/* 0x\(hex(off, width: 3)) +0x")) }
    }

    static func entry(kind: Isolation.Kind, multifunction: Bool? = true, port: AppliesTo.PortTypeCondition = .any,
                      family: String = "82576 (Kawela) NIC") -> QuirkEntry {
        QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: family, devices: [.id(0x10c9), .range(first: 0x10e6, last: 0x10e8)],
                   appliesTo: AppliesTo(portType: port, multifunction: multifunction),
                   isolation: Isolation(kind: kind, acsEquivalent: .multifunctionEndpointQuirk),
                   evidence: Evidence(statement: "The functions have no internal path between them: */ peer-to-peer is blocked "
                                          + "in hardware and every request goes upstream to the root complex.",
                                      confirmedBy: ["Jane Doe <jane@vendor.example>"]),
                   kernel: KernelStatus(status: .new))
    }

    /// `files(for:)`: one header per accepted entry, include-guarded, compiling when included twice.
    @Test func registryFilesForGenerate() async throws {
        let entries = [
            LoadedEntry(entry: Self.entry(kind: .noPeerToPeer), path: "quirks/intel/82576.yaml"),
            LoadedEntry(entry: Self.entry(kind: .portsIsolated, port: .rootPort), path: "quirks/intel/pch.yaml"),
            LoadedEntry(entry: Self.entry(kind: .noPeerToPeer, family: "I350"), path: "quirks/intel/i350.yaml"),
        ]
        let files = StaticACSTable.files(for: entries)
        #expect(files.map(\.path) == ["acs-tables/acs-table-8086-82576-kawela-nic.h", "acs-tables/acs-table-8086-i350.h"])
        #expect(StaticACSTable.files(for: entries.reversed()).map(\.text) == files.map(\.text))
        let text = files[0].text
        #expect(text.hasPrefix("#ifndef ACS_TABLE_8086_82576_KAWELA_NIC_H\n"))
        #expect(text.contains("Vendor statement: The functions have no internal path between them: * /"))
        #expect(text.contains("Confirmed by: Jane Doe <jane@vendor.example>"))
        let out = try await compileAndRun(text + text, id: "acs_cap_intel_82576_kawela_nic", hasLink: false, hasOffset: false)
        #expect(out == ["0d 00 01 00 00 00 00 00", "0001000d 00000000"])
    }

    @Test func registryEntryFirmwareTable() async throws {
        let t = try #require(StaticACSTable.forEntry(Self.entry(kind: .noPeerToPeer)))
        #expect(t.placement == nil && t.bytes == [0x0d, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(t.identifier == "acs_cap_intel_82576_kawela_nic")
        #expect(t.suggestedFileName == "acs-table-8086-82576-kawela-nic.h")
        #expect(t.renderDump() == nil)
        #expect(t.renderWrites() == "0x000 0x0001000d\n0x004 0x00000000\n")
        let c = t.renderC()
        #expect(c.contains("devices 0x10c9, 0x10e6-0x10e8") && c.contains("Next Capability Offset is 0"))
        let out = try await compileAndRun(c, id: t.identifier, hasLink: false, hasOffset: false)
        #expect(out == ["0d 00 01 00 00 00 00 00", "0001000d 00000000"])
        // Deterministic.
        #expect(StaticACSTable.forEntry(Self.entry(kind: .noPeerToPeer))?.renderC() == c)
        // Not for ports, errata or single-function entries.
        #expect(StaticACSTable.forEntry(Self.entry(kind: .portsIsolated, port: .rootPort)) == nil)
        #expect(StaticACSTable.forEntry(Self.entry(kind: .acsErratum, port: .rootPort)) == nil)
        #expect(StaticACSTable.forEntry(Self.entry(kind: .noPeerToPeer, multifunction: false)) == nil)
        #expect(StaticACSTable.forEntry(Self.entry(kind: .noPeerToPeer, multifunction: nil)) != nil)
    }

    // MARK: CLI

    func acsTable(_ args: [String]) async throws -> ToolResult {
        // runTool looks names up in PATH; `env` runs the built executable by its path.
        try await runTool("env", [try acsquirkExecutable(), "acs-table"] + args, environment: ["NO_COLOR": "1"])
    }

    @Test func cliFormatsMatchTheAPI() async throws {
        let dump = Fixtures.path("qemu/c-mf-endpoint/dump.txt")
        let f = try fixtureFunction("qemu/c-mf-endpoint/dump.txt", "0000:02:00.2")
        let t = try StaticACSTable.place(try ACSTableRequest(capability: [.rr, .cr, .ec], control: [.rr, .cr], egressVectorBits: 3), in: f)
        for format in ACSTableFormat.allCases {
            let r = try await acsTable(["--device", "02:00.2", "--dump", dump, "--controls", "RR,CR,EC", "--enabled", "kernel",
                                        "--egress-bits", "3", "--format", format.rawValue])
            #expect(r.status == 0, "\(format): \(r.stderr)")
            #expect(r.stdout == t.render(format), "\(format)")
        }
        // --output writes the same text to a file.
        let out = try Fixtures.temporaryDirectory().appendingPathComponent("t.h").path
        let r = try await acsTable(["--device", "0000:02:00.2", "--dump", dump, "--controls", "rr,cr,ec", "--enabled", "RR,CR",
                                    "--egress-bits", "3", "-o", out])
        #expect(r.status == 0 && r.stdout.isEmpty)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == t.renderC())
    }

    /// A note on how Linux reads the table is a `Diagnostic` at the function (its BDF and IDs, the
    /// dump it came from), printed by the text reporter: a PCIe-to-PCI bridge of a QEMU guest.
    @Test func cliNoteIsADiagnosticAtTheFunction() async throws {
        let path = "qemu/d-pci-bridge/dump.txt"
        let functions = try PCIReader.read(.dump(path: Fixtures.path(path)))
        let f = try fixtureFunction(path, "0000:01:00.0")
        let linux = KernelView(functions: functions, system: LinuxSystem()).device(at: f.address)
        let t = try StaticACSTable.place(try ACSTableRequest(capability: [.sv, .cr, .uf], control: [.sv, .cr, .uf]), in: f, linux: linux)
        let note = try #require(t.warnings.first)
        #expect(t.warnings.count == 1)
        #expect(note.severity == .note && note.rule == StaticACSNote.neverIsolated.rawValue)
        #expect(note.bdf == "0000:01:00.0" && note.location.device?.id == f.idString && note.path == nil)
        let r = try await acsTable(["--device", "01:00.0", "--dump", Fixtures.path(path), "--controls", "SV,CR,UF"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "note: [acs-never-isolated] 0000:01:00.0 is a pcie-to-pci-bridge: Linux never considers such a "
            + "function isolated, whatever its ACS capability says\n")
    }

    /// `--format dump --all-functions`: the whole system with the two e1000e functions patched one
    /// after the other reads back through lspci and libpci with ACS on both.
    @Test func cliWholeDumpPatchesBothFunctions() async throws {
        let first = try await acsTable(["--device", "01:00.0", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"),
                                        "--format", "dump", "--all-functions"])
        #expect(first.status == 0)
        let p1 = try temporaryFile(first.stdout)
        let second = try await acsTable(["--device", "01:00.1", "--dump", p1, "--format", "dump", "--all-functions"])
        #expect(second.status == 0)
        let p2 = try temporaryFile(second.stdout)
        let original = try PCIReader.read(.dump(path: Fixtures.path("qemu/f-quirk/dump.txt")))
        let patched = try PCIReader.read(.dump(path: p2))
        #expect(patched.map(\.address) == original.map(\.address))
        for (a, b) in zip(original, patched) {
            let isTarget = ["0000:01:00.0", "0000:01:00.1"].contains(a.address.description)
            #expect((a.config == b.config) != isTarget, "\(a.address)")
            if isTarget { #expect(b.acs.capability?.capability == [] && b.acs.capability?.offset == 0x14c) }
        }
        let devices = lspciDevices(try await lspciVVV(p2))
        #expect(lspciACS(devices["01:00.0"] ?? [])?.offset == 0x14c)
        #expect(lspciACS(devices["01:00.1"] ?? [])?.offset == 0x14c)

        // `acsquirk scan` of the same file agrees with lspci for every function.
        let scan = try await runTool("env", [try acsquirkExecutable(), "scan", "--dump", p2, "--format", "json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["functions"] as? [[String: Any]])
        #expect(rows.count == patched.count)
        for row in rows {
            let bdf = try #require(row["bdf"] as? String)
            let acs = try #require(row["acs"] as? [String: Any])
            let short = try #require(PCIAddress(bdf)).shortDescription
            if let l = lspciACS(devices[short] ?? []) {
                #expect(acs["state"] as? String == "present", "\(bdf)")
                #expect(acs["offset"] as? String == "0x" + hex(l.offset, width: 3), "\(bdf)")
                let shows = acs["lspciShows"] as? [String: String]
                #expect(shows?["ACSCap"] == l.cap && shows?["ACSCtl"] == l.ctl, "\(bdf)")
            } else {
                #expect(acs["state"] as? String != "present", "\(bdf)")
            }
        }
    }

    /// Every refusal: exit 2, nothing on stdout, the reason on stderr.
    @Test func cliRefusals() async throws {
        var full = SyntheticFunction()
        full.ext(0x100, id: 0x000b, next: 0, body: [0xf00 << 20 | 0x0001_1234])
        let fullDump = try temporaryFile(DumpWriter.text([full.function("0000:07:00.0")]))
        let mf = Fixtures.path("qemu/c-mf-endpoint/dump.txt")
        let cases: [([String], String)] = [
            (["--device", "05:00.0", "--dump", mf], "0000:05:00.0 is not in \(mf)"),
            (["--device", "00:1f.0", "--dump", mf], "has no PCI Express capability"),
            (["--device", "0004:01:00.1", "--dump", Fixtures.path("machines/ppc64le-talos2-power9-phb4/dump.txt")],
             "only 256 bytes of 0004:01:00.1's config space"),
            (["--device", "05:00.1", "--dump", Fixtures.path("machines/x99-huananzhi-qd4-navi23/dump.txt")],
             "already has an ACS capability at 0x2a0"),
            (["--device", "07:00.0", "--dump", fullDump], "no room for 8 bytes"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "0x14e"], "not dword aligned"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "0x120"], "overlaps the existing capability 0x100-0x147 Advanced Error Reporting"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "0x1000"], "outside the extended config space"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "zz"], "not a hex offset"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "0x-4"], "--offset 0x-4: not a hex offset like 0x14c"),
            (["--device", "01:00.0", "--dump", mf, "--offset", "+14c"], "--offset +14c: not a hex offset like 0x14c"),
            (["--device", "01:00.0", "--dump", mf, "--controls", "SV,XX"], "--controls SV,XX"),
            (["--device", "01:00.0", "--dump", mf, "--controls", "EC"], "give --egress-bits"),
            (["--device", "01:00.0", "--dump", mf, "--egress-bits", "8"], "without EC"),
            (["--device", "01:00.0", "--dump", mf, "--controls", "RR", "--enabled", "SV"], "does not advertise"),
            (["--device", "01:00.0", "--dump", "/nonexistent/dump.txt"], "/nonexistent/dump.txt"),
            (["--device", "1:2:3", "--dump", mf], "not a PCI address"),
            (["--device", "00:00.0", "--dump", Fixtures.path("malformed/03-bad-hex-byte.txt")], "03-bad-hex-byte.txt:4: error: malformed hex bytes"),
            (["--device", "01:00.1", "--dump", Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")], "reads all-ones"),
        ]
        for (args, message) in cases {
            let r = try await acsTable(args)
            #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }
}
