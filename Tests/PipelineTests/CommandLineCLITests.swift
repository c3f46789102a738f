import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// Runs the built `acsquirk` with `args` (no colour, no ACSQUIRK_HOME).
private func acsquirk(_ args: [String]) async throws -> ToolResult? {
    guard let bin = builtAcsquirk() else {
        Issue.record("acsquirk is not built: run swift build --build-tests")
        return nil
    }
    return try await runTool("env", [bin] + args, environment: ["NO_COLOR": "1", "ACSQUIRK_HOME": ""])
}

/// `--cmdline` on `groups`, `check` and `run` (issue #12 item 1), on the QEMU dumps whose booted
/// groups are known (Tests/Fixtures/qemu-cmdline).
@Suite(.serialized) struct CommandLineCLITests {
    static let a612 = Fixtures.path("qemu-cmdline/a-rootports/default/6.12/dump.txt")
    static let c612 = Fixtures.path("qemu-cmdline/c-mf-endpoint/default/6.12/dump.txt")
    /// Booted with pci=disable_acs_redir=pci:1b36:000c on 6.12: the three root-port functions
    /// read Control 0x0000 and the kernel made 3 groups.
    static let redirDump = Fixtures.path("qemu-cmdline/a2-rootports-mf/redir-id/6.12/dump.txt")

    @Test func groupsTextAppliesTheParametersPerKernel() async throws {
        let cmdline = "BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on pci=disable_acs_redir=0000:00:01.0"
        guard let r = try await acsquirk(["groups", "--dump", Self.a612, "--kernel", "6.12", "--cmdline", cmdline]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Kernel command line: \(cmdline)\n"))
        #expect(r.stdout.contains("IOMMU group 1\n  00:01.0  [1b36:000c]"))
        #expect(r.stdout.contains("  01:00.0  "))
        #expect(r.stdout.contains("pci=disable_acs_redir=0000:00:01.0 (__pci_config_acs: the firmware's value without RR, CR, EC): "
            + "00:01.0: pci=disable_acs_redir: ACS Control set to 0x0000 (none)"), "\(r.stdout)")
        #expect(r.stdout.contains("ignored (no effect on ACS or IOMMU groups in this model): BOOT_IMAGE=/vmlinuz ro quiet"))
        // 6.1 keeps SV and UF.
        guard let old = try await acsquirk(["groups", "--dump", Self.a612, "--kernel", "6.1", "--cmdline", cmdline + " pci=config_acs=x@00:02.0"]) else { return }
        #expect(old.stdout.contains("ACS Control set to 0x0011 (SV|UF)"), "\(old.stdout)")
        #expect(old.stdout.contains("pci=config_acs=x@00:02.0: kernel 6.1 does not know it (\"PCI: Unknown option\""))
    }

    @Test func iommuOffMeansNoGroupsInEveryOutput() async throws {
        guard let t = try await acsquirk(["groups", "--dump", Self.a612, "--cmdline", "intel_iommu=off"]) else { return }
        #expect(t.status == 0)
        #expect(t.stdout.hasPrefix("No IOMMU groups: intel_iommu=off switches the IOMMU off (\(Self.a612): 12 functions, kernel "), "\(t.stdout.prefix(300))")
        #expect(!t.stdout.contains("IOMMU group 0\n"))
        // No group-only lines: numbering, the ACS Control assumption.
        #expect(!t.stdout.contains("Group numbers:") && !t.stdout.contains("ACS Control as found"), "\(t.stdout)")
        guard let j = try await acsquirk(["groups", "--dump", Self.a612, "--cmdline", "iommu=off", "--format", "json"]) else { return }
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(doc["iommuOff"] as? String == "iommu=off")
        #expect((doc["groups"] as? [Any])?.isEmpty == true)
        #expect(doc["commandLine"] as? String == "iommu=off")
        guard let c = try await acsquirk(["check", "--dump", Self.a612, "--cmdline", "intel_iommu=off", "--format", "json"]) else { return }
        #expect(c.status == 0)
        let notes = try #require((try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])?["notes"] as? [String])
        #expect(notes.contains { $0.hasPrefix("platform: No IOMMU groups: intel_iommu=off switches the IOMMU off") }, "\(notes)")
        guard let ct = try await acsquirk(["check", "--dump", Self.a612, "--cmdline", "intel_iommu=off"]) else { return }
        #expect(ct.stdout.contains("No IOMMU groups: intel_iommu=off switches the IOMMU off"))
        // The pictures (issue #12): the tree without group clusters, captioned with the same phrase.
        guard let dot = try await acsquirk(["groups", "--dump", Self.a612, "--cmdline", "intel_iommu=off", "--format", "dot"]),
              let svg = try await acsquirk(["groups", "--dump", Self.a612, "--cmdline", "amd_iommu=off iommu=off", "--format", "svg"])
        else { return }
        #expect(dot.status == 0 && svg.status == 0, "\(dot.stderr)\(svg.stderr)")
        #expect(dot.stdout.contains("label=\"No IOMMU groups: intel_iommu=off switches the IOMMU off\\n"), "\(dot.stdout.prefix(600))")
        #expect(svg.stdout.contains(">No IOMMU groups: iommu=off switches the IOMMU off</text>"), "\(svg.stdout.prefix(1500))")
        for picture in [dot.stdout, svg.stdout] {
            #expect(!picture.contains("cluster_group") && !picture.contains("IOMMU groups</") && !picture.contains("not isolating"))
            for bdf in ["0000:00:01.0", "0000:01:00.0"] { #expect(picture.contains("\(bdf)"), "\(bdf) is drawn") }
        }
    }

    @Test func acsOverrideWarnsInEveryOutput() async throws {
        let args = ["--dump", Self.c612, "--cmdline", "pcie_acs_override=downstream,multifunction"]
        guard let g = try await acsquirk(["groups"] + args + ["--explain"]) else { return }
        #expect(g.status == 0)
        #expect(g.stdout.contains("[warning] pcie_acs_override (out-of-tree patch, not in Linux)"))
        #expect(g.stdout.contains("Nobody confirmed that isolation"))
        guard let j = try await acsquirk(["groups"] + args + ["--format", "json"]) else { return }
        #expect(j.stdout.contains("\"kind\" : \"warning\"") || j.stdout.contains("\"kind\": \"warning\""), "\(j.stdout.prefix(2000))")
        guard let c = try await acsquirk(["check"] + args) else { return }
        #expect(c.stdout.contains("Nobody confirmed that isolation"))
        // The CI formats carry it too: a GitHub warning annotation, a SARIF notification.
        guard let gh = try await acsquirk(["check"] + args + ["--format", "github"]) else { return }
        #expect(gh.status == 0)
        #expect(gh.stdout.contains("::warning title=acsquirk check::pcie_acs_override (out-of-tree patch, not in Linux)"), "\(gh.stdout)")
        guard let sarif = try await acsquirk(["check"] + args + ["--format", "sarif"]) else { return }
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == true)
        let notifications = try #require(invocation["toolExecutionNotifications"] as? [[String: Any]])
        #expect(notifications.contains {
            $0["level"] as? String == "warning"
                && (($0["message"] as? [String: Any])?["text"] as? String)?.contains("Nobody confirmed that isolation") == true
        }, "\(notifications)")
        // IOMMU off: no groups, said in the annotations as in the text.
        guard let off = try await acsquirk(["check", "--dump", Self.c612, "--cmdline", "intel_iommu=off", "--format", "github"])
        else { return }
        #expect(off.stdout.contains("::notice title=acsquirk check::No IOMMU groups: intel_iommu=off switches the IOMMU off"), "\(off.stdout)")
        guard let quiet = try await acsquirk(["check", "--dump", Self.c612, "--format", "github"]) else { return }
        #expect(!quiet.stdout.contains("::warning"), "\(quiet.stdout)")
        // Without the parameter: no warning.
        guard let plain = try await acsquirk(["groups", "--dump", Self.c612]) else { return }
        #expect(!plain.stdout.contains("[warning]"))
    }

    /// `scan -t` draws each function's group with its enabled ACS controls: both must follow the
    /// command line, or the tree contradicts itself (a port that "enforces SV RR CR UF" yet shares
    /// its group with the card below it). The IOMMU off and the override are said on stderr.
    @Test func scanTreeFollowsTheCommandLine() async throws {
        let args = ["scan", "--dump", Self.a612, "-t", "--kernel", "6.12"]
        guard let plain = try await acsquirk(args) else { return }
        #expect(plain.stdout.contains("+-01.0 (group 1, ACS SV RR CR UF)-[01]----00.0 (group 6, no ACS)"), "\(plain.stdout)")
        #expect(plain.stderr.isEmpty, "\(plain.stderr)")
        guard let redir = try await acsquirk(args + ["--cmdline", "pci=disable_acs_redir=0000:00:01.0"]) else { return }
        #expect(redir.status == 0)
        // 6.12 writes the firmware's value without RR, CR, EC: 0x0000 on QEMU's root port.
        #expect(redir.stdout.contains("+-01.0 (group 1, ACS none enabled)-[01]----00.0 (group 1, no ACS)"), "\(redir.stdout)")
        #expect(redir.stdout.contains("+-02.0 (group 2, ACS SV RR CR UF)"))
        guard let old = try await acsquirk(["scan", "--dump", Self.a612, "-t", "--kernel", "6.1",
                                            "--cmdline", "pci=disable_acs_redir=0000:00:01.0"]) else { return }
        // Before 6.11: RR and CR cleared from what the kernel set, SV and UF stay.
        #expect(old.stdout.contains("+-01.0 (group 1, ACS SV UF)-[01]----00.0 (group 1, no ACS)"), "\(old.stdout)")
        guard let off = try await acsquirk(args + ["--cmdline", "intel_iommu=off"]) else { return }
        #expect(off.status == 0)
        #expect(!off.stdout.contains("group"), "\(off.stdout)")
        #expect(off.stderr.contains("acsquirk scan: -t: No IOMMU groups: intel_iommu=off switches the IOMMU off"), "\(off.stderr)")
        guard let override = try await acsquirk(args + ["--cmdline", "pcie_acs_override=downstream,multifunction"]) else { return }
        #expect(override.stderr.contains("acsquirk scan: -t: warning: pcie_acs_override (out-of-tree patch, not in Linux)"), "\(override.stderr)")
    }

    /// The false advice of issue #12: on a dump taken with disable_acs_redir the hint offered only
    /// --assume-iommu, which gives 8 groups where the kernel made 3. Now it names the --cmdline that
    /// explains the registers, and following that keeps the kernel's 3 groups.
    @Test func redirDumpAdvisesTheCommandLine() async throws {
        guard let r = try await acsquirk(["groups", "--dump", Self.redirDump, "--kernel", "6.12"]) else { return }
        #expect(r.stdout.contains(": 10 functions, 3 groups"))
        let cmdline = "pci=disable_acs_redir=0000:00:01.0;0000:00:01.1;0000:00:01.2"
        #expect(r.stdout.contains("--cmdline \"\(cmdline)\" says so"), "\(r.stdout)")
        guard let f = try await acsquirk(["groups", "--dump", Self.redirDump, "--kernel", "6.12", "--cmdline", cmdline]) else { return }
        #expect(f.stdout.contains(": 10 functions, 3 groups"))
        #expect(!f.stdout.contains("[hint]"), "\(f.stdout)")
        // Even with --assume-iommu as well, the command line keeps the kernel's groups.
        guard let a = try await acsquirk(["groups", "--dump", Self.redirDump, "--kernel", "6.12", "--cmdline", cmdline, "--assume-iommu"]) else { return }
        #expect(a.stdout.contains(": 10 functions, 3 groups"))
        // check gives the same advice for the port.
        guard let c = try await acsquirk(["check", "--dump", Self.redirDump, "--kernel", "6.12"]) else { return }
        #expect(c.stdout.contains("--cmdline \"pci=disable_acs_redir=0000:00:01.0\" states it"), "\(c.stdout)")
    }

    /// The H310C's PCH root port (Sunrise Point erratum, decoded with the dword layout): lspci's
    /// standard decode shows ACSCtl all off, which must not make the tool say the dump was taken
    /// without an IOMMU (it has IOMMU groups).
    @Test func h310cGivesNoIOMMUHint() async throws {
        let text = Fixtures.path("lspci-reports/desktop-asrock-h310cm-hdv-coffeelake-iommu.txt")
        for kernel in ["6.1", "6.12", "7.3"] {
            guard let r = try await acsquirk(["groups", "--dump", text, "--kernel", kernel]) else { return }
            #expect(r.status == 0)
            #expect(!r.stdout.contains("[hint]"), "\(kernel): \(r.stdout)")
            #expect(!r.stdout.contains("without an IOMMU"))
            guard let c = try await acsquirk(["check", "--dump", text, "--kernel", kernel]) else { return }
            #expect(!c.stdout.contains("without an IOMMU"), "\(kernel): \(c.stdout)")
        }
    }

    /// A snapshot records the command line it booted with, and the prediction uses it: the
    /// redir-id boot on 6.12 (3 groups) equals the groups it recorded, with no hint.
    @Test func aSnapshotsRecordedCommandLineIsUsed() async throws {
        let dir = try Fixtures.temporaryDirectory("snapshot-cmdline")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = "qemu-cmdline/a2-rootports-mf/redir-id/6.12/"
        let functions = try PCIReader.read(.dump(path: Fixtures.path(base + "dump.txt")), names: false)
        let cmdline = try Fixtures.text(base + "cmdline.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let system = RecordedSystem(origin: "snapshot", kernelRelease: try Fixtures.text(base + "release.txt")
                                        .trimmingCharacters(in: .whitespacesAndNewlines),
                                    commandLine: cmdline, iommuActive: true, iommuGroups: try Fixtures.groups(base + "groups.txt"),
                                    drivers: [:], root: true)
        let file = dir.appendingPathComponent("snapshot.txt").path
        try SnapshotFormat.text(functions: functions, system: system, tool: "test").write(toFile: file, atomically: true, encoding: .utf8)
        guard let r = try await acsquirk(["groups", "--dump", file]) else { return }
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("Kernel command line: \(cmdline)\n"))
        #expect(r.stdout.contains("the kernel's groups equal the prediction, numbers included"))
        #expect(r.stdout.contains("00:01.0: pci=disable_acs_redir: ACS Control set to 0x0000 (none)"))
        #expect(!r.stdout.contains("[hint]"))
        // --cmdline overrides what the snapshot recorded (here: the IOMMU off).
        guard let off = try await acsquirk(["groups", "--dump", file, "--cmdline", "intel_iommu=off"]) else { return }
        #expect(off.stdout.hasPrefix("No IOMMU groups: intel_iommu=off switches the IOMMU off"))
    }

    @Test func runTakesTheCommandLine() async throws {
        let dir = try Fixtures.temporaryDirectory("run-cmdline")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        guard let r = try await acsquirk(["run", "--dump", Self.a612, "--out", out, "--registry", Fixtures.repoPath("quirks"),
                                          "--cmdline", "intel_iommu=off"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let groups = try String(contentsOfFile: out + "/groups.txt", encoding: .utf8)
        let phrase = "No IOMMU groups: intel_iommu=off switches the IOMMU off"
        #expect(groups.hasPrefix(phrase), "\(groups.prefix(400))")
        let check = try String(contentsOfFile: out + "/check.txt", encoding: .utf8)
        #expect(check.contains(phrase))
        // The summary, the page and its picture say it too; no group is drawn or listed.
        #expect(r.stdout.contains("groups: \(phrase) (kernel "), "\(r.stdout)")
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(page.contains("<tr><th>IOMMU groups</th><td><strong>\(phrase)</strong>"), "\(page.prefix(3000))")
        #expect(page.contains("<p><strong>\(phrase)</strong>: the picture shows the PCI tree only."))
        #expect(page.contains("<p><strong>\(phrase)</strong> ("))
        #expect(!page.contains("id=\"group-") && !page.contains("cluster_group"))
        let svg = try String(contentsOfFile: out + "/groups.svg", encoding: .utf8)
        #expect(svg.contains(">\(phrase)</text>") && !svg.contains("cluster_group"))
        // The report stage does not promise a groups picture that has no groups.
        #expect(r.stdout.contains("[8/8] report: index.html (\(phrase): the picture, groups.svg, shows the PCI tree only)\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("IOMMU groups picture"))
    }

    /// `run` with the out-of-tree override says its warning as `groups` and `check` do, in the
    /// console and in summary.txt (a fresh user saw only "0 groups change", not why).
    @Test func runWarnsOfTheOverride() async throws {
        let dir = try Fixtures.temporaryDirectory("run-override")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dump = Fixtures.path("machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt")
        let out = dir.appendingPathComponent("out").path
        guard let r = try await acsquirk(["run", "--dump", dump, "--out", out, "--registry", Fixtures.repoPath("quirks"),
                                          "--cmdline", "pcie_acs_override=downstream"]),
              let g = try await acsquirk(["groups", "--dump", dump, "--cmdline", "pcie_acs_override=downstream"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        // The same words as groups' [warning] note, from the same prediction note.
        let warning = try #require(g.stdout.split(separator: "\n").first { $0.contains("[warning] pcie_acs_override") }
            .map { String($0[$0.range(of: "[warning] ")!.upperBound...]) })
        #expect(warning.contains("Nobody confirmed that isolation"))
        let groupsLine = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("[4/8] groups: ") })
        #expect(groupsLine.hasSuffix("; 1 warning (below)"), "\(groupsLine)")
        let summary = try String(contentsOfFile: out + "/summary.txt", encoding: .utf8)
        #expect(summary.contains("\nwarning: \(warning)\n"), "\(summary)")
        #expect(r.stdout.hasSuffix(summary))
        // Without the parameter: no warning.
        guard let plain = try await acsquirk(["run", "--dump", dump, "--out", out, "--registry", Fixtures.repoPath("quirks")])
        else { return }
        #expect(plain.status == 0 && !plain.stdout.contains("\nwarning: ") && !plain.stdout.contains("(below)"), "\(plain.stdout)")
    }
}
