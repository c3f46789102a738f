import Diagnostics
import Foundation
import PCIAccess
import Registry
import Testing
import TestSupport

/// The built `acsquirk` next to the test bundle (swift build --build-tests builds it).
func acsquirkBinary() -> String? {
    if let binary = builtAcsquirk() { return binary }
    Issue.record("acsquirk is not built: run swift build --build-tests")
    return nil
}

func acsquirk(_ args: [String], env: [String: String] = [:], in directory: String? = nil) async throws -> ToolResult? {
    guard let bin = acsquirkBinary() else { return nil }
    // runTool looks executables up in PATH; env(1) runs one by path.
    return try await runTool("env", [bin] + args, workingDirectory: directory ?? Fixtures.root.path, environment: env)
}

@Suite(.serialized) struct CommandTests {
    @Test func lintOfTheCommittedRegistryIsClean() async throws {
        guard let r = try await acsquirk(["lint"]) else { return }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("0 errors, 0 warnings in "))
        // The same through the library, with the real pci.ids.
        let result = Registry.lint(paths: [quirksFolder], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        #expect(Registry.kernelTable(result.entries).count == 132)
    }

    func writeBadRegistry(_ dir: URL) throws -> String {
        let root = dir.appendingPathComponent("quirks")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("wangxun"), withIntermediateDirectories: true)
        try Data(LintRules.base.replacingOccurrences(of: "  date: 2023-02-10", with: "  date: 2023-13-01").utf8)
            .write(to: root.appendingPathComponent("wangxun/sp-10gbe.yaml"))
        return root.path
    }

    @Test func lintFormatsAndExitCodes() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let root = try writeBadRegistry(dir)
            let file = root + "/wangxun/sp-10gbe.yaml"
            guard let text = try await acsquirk(["lint", root], env: ["NO_COLOR": "1"]) else { return }
            #expect(text.status == 1)
            #expect(text.stdout == "\(file):18:9: error: [bad-date] '2023-13-01' is not a calendar date written YYYY-MM-DD\n")
            #expect(text.stderr == "1 error, 0 warnings in 1 file\n")

            guard let gh = try await acsquirk(["lint", "--format", "github", root]) else { return }
            #expect(gh.status == 1)
            #expect(gh.stdout == "::error file=\(file),line=18,col=9,title=bad-date::[bad-date] '2023-13-01' is not a calendar date written YYYY-MM-DD\n")

            guard let js = try await acsquirk(["lint", "--format", "json", root]) else { return }
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])
            #expect(obj["errors"] as? Int == 1 && obj["warnings"] as? Int == 0 && obj["files"] as? Int == 1)
            let d = try #require((obj["diagnostics"] as? [[String: Any]])?.first)
            #expect(d["rule"] as? String == "bad-date" && d["line"] as? Int == 18 && d["column"] as? Int == 9)

            guard let sarif = try await acsquirk(["lint", "--format", "sarif", root]) else { return }
            #expect(sarif.status == 1)
            let s = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
            #expect(s["version"] as? String == "2.1.0")
            let run = try #require((s["runs"] as? [[String: Any]])?.first)
            let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
            let rules = try #require(driver["rules"] as? [[String: Any]])
            #expect(rules.map { $0["id"] as? String } == LintRules.all.map(\.id))
            let result = try #require((run["results"] as? [[String: Any]])?.first)
            #expect(result["ruleId"] as? String == "bad-date")
            #expect(result["ruleIndex"] as? Int == LintRules.all.firstIndex { $0.id == "bad-date" })
            let region = ((((result["locations"] as? [[String: Any]])?.first?["physicalLocation"]) as? [String: Any])?["region"]) as? [String: Any]
            #expect(region?["startLine"] as? Int == 18 && region?["startColumn"] as? Int == 9)

            // Warnings alone pass.
            try Data(LintRules.base.replacingOccurrences(of: "vendor: 0x8088", with: "vendor: 0x0002").utf8)
                .write(to: URL(fileURLWithPath: file))
            guard let warn = try await acsquirk(["lint", root]) else { return }
            #expect(warn.status == 0, "\(warn.stdout)")
            #expect(warn.stdout.contains("warning: [unknown-vendor]"))

            // Unreadable input: exit 2.
            guard let missing = try await acsquirk(["lint", root + "/nope.yaml"]) else { return }
            #expect(missing.status == 2)
            #expect(missing.stdout.contains("[unreadable] no such file or directory"))
        }
    }

    /// `lint --strict` (as SwiftLint's): a registry file whose only finding is a warning (a vendor
    /// the pci.ids given does not know) passes without it and fails with exit 1 with it; every
    /// format prints the same bytes either way, and the text summary says warnings are errors.
    @Test func lintStrictFailsOnAWarningAndPrintsTheSame() async throws {
        let file = Fixtures.path("kernel-output/registry/example-switches/es-8-test-only.yaml")
        let ids = ["--pci-ids", Fixtures.path("pictures/snb-h67.pci.ids")]
        for format in DiagnosticFormat.allCases {
            let args = ["lint", "--format", format.rawValue, file] + ids
            guard let plain = try await acsquirk(args, env: ["NO_COLOR": "1"]),
                  let strict = try await acsquirk(args + ["--strict"], env: ["NO_COLOR": "1"]) else { return }
            #expect(plain.status == 0, "\(format): \(plain.stdout)\(plain.stderr)")
            #expect(strict.status == 1, "\(format): \(strict.stdout)\(strict.stderr)")
            #expect(strict.stdout == plain.stdout && plain.stdout.contains("unknown-vendor"), "\(format): \(strict.stdout)")
            if format == .text {
                #expect(plain.stdout == "\(file):2:9: warning: [unknown-vendor] vendor 0x1f2b is not in pci.ids; check the ID\n")
                #expect(plain.stderr == "0 errors, 1 warning in 1 file\n")
                #expect(strict.stderr == "0 errors, 1 warning in 1 file (--strict: warnings are errors)\n")
            } else {
                #expect(strict.stderr == plain.stderr, "\(format)")
            }
        }
        // A registry without warnings passes --strict; an unreadable path is still exit 2.
        guard let clean = try await acsquirk(["lint", "--strict", quirksFolder], env: ["NO_COLOR": "1"]),
              let missing = try await acsquirk(["lint", "--strict", "/nonexistent/quirks"]) else { return }
        #expect(clean.status == 0 && clean.stderr.hasPrefix("0 errors, 0 warnings in ")
                && clean.stderr.hasSuffix(" files (--strict: warnings are errors)\n"),
                "\(clean.stdout)\(clean.stderr)")
        #expect(missing.status == 2)
    }

    /// Colour on a terminal (a pty from script(1)), none with NO_COLOR.
    @Test func textIsColouredOnATerminalUnlessNoColor() async throws {
        guard let bin = acsquirkBinary() else { return }
        try await withTemporaryDirectoryAsync { dir in
            let root = try writeBadRegistry(dir)
            let cmd = "\(bin) lint \(root)"
            let tty = try await runTool("script", ["-qec", cmd, "/dev/null"], environment: ["TERM": "xterm", "NO_COLOR": ""])
            #expect(tty.stdout.contains("\u{1B}["), "no ANSI colour on a terminal: \(tty.stdout.debugDescription)")
            let plain = try await runTool("script", ["-qec", cmd, "/dev/null"], environment: ["TERM": "xterm", "NO_COLOR": "1"])
            #expect(!plain.stdout.contains("\u{1B}["))
            #expect(plain.stdout.contains("error: [bad-date]"))
        }
    }

    @Test func printSchemaIsTheCommittedSchema() async throws {
        guard let r = try await acsquirk(["lint", "--print-schema"]) else { return }
        #expect(r.stdout == (try String(contentsOfFile: quirksFolder + "/schema.json", encoding: .utf8)))
        guard let rules = try await acsquirk(["lint", "--list-rules"]) else { return }
        #expect(rules.stdout.split(separator: "\n").count == LintRules.all.count)
    }

    @Test func showListsEveryCoveringEntry() async throws {
        guard let r = try await acsquirk(["show", "8086:10c9"]) else { return }
        #expect(r.status == 0)
        #expect(r.stdout.contains("quirks/intel/82576.yaml:1: Intel 82576\n"))
        #expect(r.stdout.contains("  claim: no-peer-to-peer, ACS-equivalent SV|TB|RR|CR|UF|DT\n"))
        // 82576's first mainline release is not recorded: the upper bound v6.1, never a stable version.
        #expect(r.stdout.contains("  kernel: upstream pci_quirk_mf_endpoint_acs; first mainline release: not recorded (present in v6.1)\n"))
        #expect(!r.stdout.contains("6.12.117"))
        #expect(r.stdout.contains("  kernel: upstream pci_quirk_rciep_acs since v5.7\n"))
        #expect(r.stdout.contains("  table: row 39 {PCI_VENDOR_ID_INTEL, 0x10c9}"))
        // Intel's RCiEP quirk covers every Intel ID, for RCiEPs only.
        #expect(r.stdout.contains("quirks/intel/rciep.yaml:1: Intel RCiEP\n"))
        #expect(r.stdout.contains("  applies to: port type rciep\n"))

        // Not in the registry: said, and exit 1 (as grep answers no match).
        guard let zx = try await acsquirk(["show", "0x1d17:0x0722"]) else { return }
        #expect(zx.status == 1)
        #expect(zx.stdout.hasPrefix("1d17:0722 is not in the registry\n"))
        #expect(zx.stdout.contains("vendor-wide kernel row 131 pci_quirk_zhaoxin_pcie_ports_acs"))

        guard let none = try await acsquirk(["show", "1234:5678"]) else { return }
        #expect(none.status == 1)
        #expect(none.stdout == "1234:5678 is not in the registry\n")

        guard let js = try await acsquirk(["show", "--format", "json", "8088:0105"]) else { return }
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])
        let entries = try #require(obj["entries"] as? [[String: Any]])
        #expect(entries.map { $0["path"] as? String } == ["quirks/wangxun/nics.yaml"])
        #expect(entries.first?["rows"] as? [Int] == [132])
    }

    @Test func usageErrorsExitTwo() async throws {
        guard let bad = try await acsquirk(["show", "zz"]) else { return }
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("is not VVVV:DDDD"))
        guard let fmt = try await acsquirk(["lint", "--format", "xml"]) else { return }
        #expect(fmt.status == 2)
    }

    @Test func aMissingLintPathHasNoMadeUpPosition() async throws {
        guard let r = try await acsquirk(["lint", "/nonexistent/quirks"], env: ["NO_COLOR": "1"]) else { return }
        #expect(r.status == 2)
        #expect(r.stdout == "/nonexistent/quirks: error: [unreadable] no such file or directory\n")
        guard let gh = try await acsquirk(["lint", "--format", "github", "/nonexistent/quirks"]) else { return }
        #expect(gh.stdout == "::error file=/nonexistent/quirks,title=unreadable::[unreadable] no such file or directory\n")
        guard let js = try await acsquirk(["lint", "--format", "json", "/nonexistent/quirks"]) else { return }
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any])
        let d = try #require((obj["diagnostics"] as? [[String: Any]])?.first)
        #expect(d["line"] is NSNull && d["column"] is NSNull)
        guard let sarif = try await acsquirk(["lint", "--format", "sarif", "/nonexistent/quirks"]) else { return }
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let result = try #require((((log["runs"] as? [[String: Any]])?.first)?["results"] as? [[String: Any]])?.first)
        let location = ((result["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any]
        #expect((location?["artifactLocation"] as? [String: Any])?["uri"] as? String == "file:///nonexistent/quirks")
        #expect(!sarif.stdout.contains("startLine"))
    }

    /// lint and show find the shipped quirks/ from any working directory (through the
    /// executable's checkout), not only from the repository root.
    @Test func lintAndShowWorkFromAnyDirectory() async throws {
        let elsewhere = try Fixtures.temporaryDirectory("acsquirk-cwd")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        guard let lint = try await acsquirk(["lint"], env: ["NO_COLOR": "1", "ACSQUIRK_HOME": ""], in: elsewhere.path) else { return }
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
        #expect(lint.stderr == "0 errors, 0 warnings in 33 files\n")
        guard let show = try await acsquirk(["show", "8086:10c9"], env: ["ACSQUIRK_HOME": ""], in: elsewhere.path) else { return }
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains(quirksFolder + "/intel/82576.yaml:1: Intel 82576\n"))
        // ACSQUIRK_HOME picks another project directory.
        let home = elsewhere.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("quirks/intel"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: quirksFolder + "/intel/82576.yaml", toPath: home.path + "/quirks/intel/82576.yaml")
        guard let other = try await acsquirk(["lint"], env: ["NO_COLOR": "1", "ACSQUIRK_HOME": home.path], in: elsewhere.path) else { return }
        #expect(other.stderr == "0 errors, 0 warnings in 1 file\n")
    }

    @Test func importKernelErrorsExitTwo() async throws {
        guard let r = try await acsquirk(["import-kernel", "--kernel-tree", "/nonexistent", "--out", "/tmp/unused-acsquirk"]) else { return }
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/drivers/pci/quirks.c: cannot read: no such file or directory"))
    }
}

@Suite struct IndexAndReporterTests {
    @Test func indexFindsEntriesByVendorAndDevice() throws {
        let (entries, diags) = Registry.load(paths: [quirksFolder])
        #expect(diags.isEmpty)
        let index = RegistryIndex(entries)
        #expect(index.entries(vendor: 0x8086, device: 0x10c9).map(\.entry.family) == ["82576", "RCiEP"])
        #expect(index[0x8088, 0x0105].map(\.entry.family) == ["NICs"])
        #expect(index.entries(vendor: 0x1d17, device: 0x0722).isEmpty)
        #expect(index.entries(vendor: 0x1d17, device: 0x0730).map(\.entry.family) == ["ports"])
        #expect(index.entries(vendor: 0x177d, device: 0xa026).map(\.entry.family).sorted() == ["ThunderX root ports", "multifunction"])
        #expect(index.entries(vendor: 0xabcd).isEmpty)
        // Plain entries work too.
        #expect(RegistryIndex(entries.map(\.entry)).entries(vendor: 0x8086, device: 0xa111).map(\.entry.family).sorted() == ["RCiEP", "SPT PCH root ports"])
        // The kernel table comes back in row order.
        let table = Registry.kernelTable(entries)
        #expect(table.map(\.row) == Array(1...132))
        #expect(table[59].entry.entry.family == "RCiEP" && table[59].device == nil)
    }

    @Test func githubEscapingAndSummary() {
        let d = Diagnostic(path: "a,b:c.yaml", line: 3, column: 4, severity: .warning, rule: "unknown-vendor",
                           message: "100% odd\nline")
        #expect(LintReporter.render([d], files: 1, format: .github, toolVersion: "0.1.0")
                == "::warning file=a%2Cb%3Ac.yaml,line=3,col=4,title=unknown-vendor::[unknown-vendor] 100%25 odd%0Aline\n")
        #expect(LintReporter.summary([d], files: 2) == "0 errors, 1 warning in 2 files")
        #expect(d.description == "a,b:c.yaml:3:4: warning: [unknown-vendor] 100% odd\nline")
    }
}
