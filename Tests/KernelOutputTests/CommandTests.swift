import Foundation
import KernelOutput
import Testing
import TestSupport

/// `acsquirk generate` and `acsquirk patch` end to end, through the built binary.
@Suite(.serialized)
struct KernelOutputCommandTests {
    static var binary: String { builtAcsquirk() ?? Fixtures.repoPath(".build/debug/acsquirk") }

    /// Runs acsquirk from `directory` (default: a directory without templates/, so the binary
    /// must find the repository's templates itself).
    static func acsquirk(_ args: [String], in directory: String? = nil, env: [String] = []) async throws -> ToolResult {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no acsquirk at \(binary): run swift build --build-tests")
        return try await runTool("env", ["-u", "ACSQUIRK_HOME", "NO_COLOR=1"] + env + [binary] + args,
                                 workingDirectory: directory ?? NSTemporaryDirectory())
    }

    static func files(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for rel in try FileManager.default.subpathsOfDirectory(atPath: dir) {
            var isDir: ObjCBool = false
            let p = (dir as NSString).appendingPathComponent(rel)
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try String(contentsOfFile: p, encoding: .utf8)
            }
        }
        return out
    }

    /// generate with the committed registry's upstream entries as the kernel's table gives the
    /// committed stub files (the same as with the table read from the reference TSV).
    @Test func generateWritesTheReferenceStubs() async throws {
        let out = try Fixtures.temporaryDirectory("acsquirk-generate")
        defer { try? FileManager.default.removeItem(at: out) }
        // A stale stub of an earlier run is removed; other files stay.
        try FileManager.default.createDirectory(at: out.appendingPathComponent("quirks"), withIntermediateDirectories: true)
        try "old".write(to: out.appendingPathComponent("quirks/gone.c"), atomically: true, encoding: .utf8)
        try "keep".write(to: out.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let registry = "Tests/Fixtures/kernel-output/registry"
        let r = try await Self.acsquirk(["generate", "--out", out.path, "quirks", registry], in: Fixtures.root.path)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        // No tree was read: the vendor macros were not checked (6.12 does have PCI_VENDOR_ID_SYNOPSYS).
        #expect(r.stdout.contains("\(registry)/example-silicon/xs-100-test-only-nic.yaml:1: note: [vendor-macro] vendor 0x1f2a: "
            + "PCI_VENDOR_ID_* macro not checked (no --kernel-tree)"), "\(r.stdout)")
        #expect(r.stdout.contains("\(registry)/synopsys/test-only-rp.yaml:1: note: [vendor-macro] vendor 0x16c3: PCI_VENDOR_ID_* macro not checked"))
        #expect(!r.stdout.contains("pci_ids.h has no") && !r.stdout.contains("no PCI_VENDOR_ID_* macro in"), "\(r.stdout)")
        var written = try Self.files(out.path)
        #expect(written.removeValue(forKey: "notes.txt") == "keep")
        let expected = try Self.files(ReferenceTests.expected + "/generate")
        #expect(Set(written.keys) == Set(expected.keys))
        for (k, v) in expected where written[k] != v {
            Issue.record("\(k):\n\(await textDiff(expected: v, actual: written[k] ?? ""))")
        }
        // With the kernel tree instead of the registry: the same stubs, except the vendor note,
        // which now says pci_ids.h has no macro.
        let withTree = try Fixtures.temporaryDirectory("acsquirk-generate-tree")
        defer { try? FileManager.default.removeItem(at: withTree) }
        let r2 = try await Self.acsquirk(["generate", "--out", withTree.path, "--kernel-tree", try KernelTrees.tree("6.12"),
                                          registry], in: Fixtures.root.path)
        #expect(r2.status == 0, "\(r2.stdout)\(r2.stderr)")
        let treeFiles = try Self.files(withTree.path)
        // Only the test registry this time: its stubs, and the static ACS tables of its own
        // multifunction endpoint entries (a subset of the reference tables).
        #expect(Set(treeFiles.keys.filter { $0.hasPrefix("quirks/") }) == Set(expected.keys.filter { $0.hasPrefix("quirks/") }))
        let tables = treeFiles.filter { $0.key.hasPrefix("acs-tables/") }
        #expect(!tables.isEmpty)
        for (k, v) in tables { #expect(expected[k] == v, "\(k) differs from the reference") }
        #expect(treeFiles["quirks/intel.c"] == expected["quirks/intel.c"])
        let note = treeFiles["quirks/example-silicon.c"]?.replacingOccurrences(of: "\n * ", with: " ")
        #expect(note?.contains("include/linux/pci_ids.h has no PCI_VENDOR_ID_* macro for it") == true)
        #expect(r2.stdout.contains("vendor 0x1f2a has no PCI_VENDOR_ID_* macro in include/linux/pci_ids.h"))
        #expect(!r2.stdout.contains("vendor 0x16c3"), "\(r2.stdout)")
        #expect(treeFiles["quirks/synopsys.c"]?.contains("{ PCI_VENDOR_ID_SYNOPSYS, 0x7ff0,") == true)
    }

    /// patch on the (read-only) 6.12 tree gives the committed series; ENTRY selects one family.
    @Test func patchWritesTheReferenceSeriesAndLeavesTheTreeAlone() async throws {
        let tree = try KernelTrees.tree("6.12")
        let quirks = tree + "/" + QuirksSource.relativePath
        let before = try String(contentsOfFile: quirks, encoding: .utf8)
        let out = try Fixtures.temporaryDirectory("acsquirk-patch")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", out.path, "--registry", TestRegistry.directory,
                                         "--from", "Test Author <author@example.com>"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("new function pci_quirk_wangxun_25gbe_acs() above pci_dev_acs_enabled[]; its row(s) before row"))
        #expect(r.stdout.contains("PCI_VENDOR_ID_WANGXUN PCI_ANY_ID pci_quirk_wangxun_nic_acs), which answers first for these devices"))
        let written = try Self.files(out.path)
        let expected = try Self.files(ReferenceTests.expected + "/patch-6.12")
        #expect(Set(written.keys) == Set(expected.keys))
        for (k, v) in expected {
            let (want, got) = (ReferenceTests.treeIndependent(v), ReferenceTests.treeIndependent(written[k] ?? ""))
            if want != got { Issue.record("\(k):\n\(await textDiff(expected: want, actual: got))") }
        }
        #expect(try String(contentsOfFile: quirks, encoding: .utf8) == before)

        // One entry, by vendor/family suffix, with a fixed date: a single [PATCH].
        let one = try Fixtures.temporaryDirectory("acsquirk-patch-one")
        defer { try? FileManager.default.removeItem(at: one) }
        let r2 = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", one.path, "--registry", TestRegistry.directory,
                                          "--from", "Test Author <author@example.com>", "--date", "Tue, 4 Mar 2025 10:00:00 +0100",
                                          "wangxun/test-only-10gbe"])
        #expect(r2.status == 0, "\(r2.stdout)\(r2.stderr)")
        let single = try Self.files(one.path)
        #expect(Array(single.keys) == ["0001-PCI-Add-ACS-quirk-for-Wangxun-TEST-ONLY-10GbE.patch"])
        let text = try #require(single.values.first)
        #expect(text.contains("\nSubject: [PATCH] PCI: Add ACS quirk for Wangxun TEST-ONLY 10GbE\n"))
        #expect(text.contains("\nDate: Tue, 4 Mar 2025 10:00:00 +0100\n"))
        #expect(text.contains("+\tcase 0x7ff0:\n+\tcase 0x7ff1:\n"))

        // An entry the tree already has (alone it passes lint; with quirks/ it is a duplicate).
        let covered = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", one.path, "--registry",
                                               TestRegistry.coveredDirectory])
        #expect(covered.status == 0, "\(covered.stdout)\(covered.stderr)")
        #expect(covered.stderr.contains("\(TestRegistry.coveredDirectory)/intel/i219-test-only-duplicate.yaml:1: note: "
            + "[already-covered] skipped: the tree already covers every device: row 58 (drivers/pci/quirks.c:"), "\(covered.stderr)")
        #expect(covered.stdout.contains("no patches: the tree already covers the selected entries"))
    }

    /// `--out` removes the patch files an earlier run of acsquirk wrote there and this run did
    /// not (so `git am out/*.patch` never picks up a stale one), and nothing else: not a patch
    /// file acsquirk did not write, not other files, not folders. `--series per-vendor` writes one
    /// series per vendor folder, each with its own cover letter when it has several patches.
    @Test func outRemovesStalePatchesAndSplitsPerVendor() async throws {
        let tree = try KernelTrees.tree("6.12")
        let out = try Fixtures.temporaryDirectory("acsquirk-stale")
        defer { try? FileManager.default.removeItem(at: out) }
        let from = "Test Author <author@example.com>"
        func patch(_ extra: [String]) async throws -> ToolResult {
            try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", out.path, "--registry", VendorSeries.directory,
                                     "--registry", TestRegistry.directory, "--from", from] + extra)
        }
        // A first run of the whole series, then a run for Intel alone.
        let all = try await patch([])
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        let first = try Self.files(out.path)
        #expect(first.count == 16 && first["0000-cover-letter.patch"]?.contains("[PATCH 00/15]") == true)
        // Files that are not acsquirk's: a patch written by someone else, a README, a folder.
        let mine = "From 1234567 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] my own\n\n-- \n2.39.0\n\n"
        try mine.write(to: out.appendingPathComponent("0099-my-own.patch"), atomically: true, encoding: .utf8)
        try "notes".write(to: out.appendingPathComponent("README"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: out.appendingPathComponent("keep.patch"), withIntermediateDirectories: true)
        let intel = try await patch(["intel/i235-ethernet-controllers", "intel/test-only-i999"])
        #expect(intel.status == 0, "\(intel.stdout)\(intel.stderr)")
        var now = try Self.files(out.path)
        #expect(Set(now.keys) == ["0000-cover-letter.patch", "0001-PCI-Add-ACS-quirk-for-Intel-I235-Ethernet-Controller.patch",
                                   "0002-PCI-Add-ACS-quirk-for-Intel-TEST-ONLY-I999.patch", "0099-my-own.patch", "README"],
                "\(now.keys.sorted())")
        #expect(intel.stdout.contains("removed stale \(out.path)/0015-PCI-Add-ACS-quirk-for-Zhaoxin-TEST-ONLY-Root-Ports.patch"))
        // (The long subject is folded as git folds mail headers.)
        #expect(now["0000-cover-letter.patch"]?.replacingOccurrences(of: "\n ", with: " ")
            .contains("Subject: [PATCH 0/2] PCI: Add ACS quirks for Intel I235 Ethernet Controllers and TEST-ONLY I999\n") == true)
        // One series per vendor: folders per vendor, the top-level series removed.
        let split = try await patch(["--series", "per-vendor", "--date", "Tue, 4 Mar 2025 10:00:00 +0100"])
        #expect(split.status == 0, "\(split.stdout)\(split.stderr)")
        now = try Self.files(out.path)
        #expect(!now.keys.contains { !$0.contains("/") && $0.hasPrefix("000") }, "\(now.keys.sorted())")
        #expect(now["0099-my-own.patch"] == mine && now["README"] == "notes")
        #expect(Set(now.keys.compactMap { $0.split(separator: "/").count == 2 ? String($0.split(separator: "/")[0]) : nil })
            == ["example-silicon", "example-switches", "intel", "nebulamatrix", "pericom", "qualcomm", "rockchip", "synopsys",
                "wangxun", "zhaoxin"])
        #expect(now["intel/0000-cover-letter.patch"]?.contains("Subject: [PATCH 0/3] PCI: Add ACS quirks for Intel ") == true)
        // One vendor's cover letter names that vendor as the one who confirmed it.
        #expect(now["intel/0000-cover-letter.patch"]?.replacingOccurrences(of: "\n", with: " ")
            .contains("do not advertise an ACS capability, but Intel confirmed that") == true)
        #expect(now["rockchip/0000-cover-letter.patch"] == nil)
        let rockchip = try #require(now["rockchip/0001-PCI-Add-ACS-quirk-for-Rockchip-RK3588-Root-Ports.patch"])
        #expect(rockchip.contains("\nSubject: [PATCH] PCI: Add ACS quirk for Rockchip RK3588 Root Ports\n"))
        #expect(rockchip.contains("\nDate: Tue, 4 Mar 2025 10:00:00 +0100\n"))
        // Each vendor's series is made against the tree alone: its first hunk is where the
        // whole series' would be without the other vendors' patches.
        #expect(rockchip.contains("\n+\t/* Rockchip RK3588 Root Ports */\n"))
        let per = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", out.path, "--registry", VendorSeries.directory,
                                           "--from", from, "--series", "per-vendor", "--apply"])
        #expect(per.status != 0 && per.stderr.contains("--apply writes one quirks.c"), "\(per.stderr)")
    }

    /// Entries that fail lint get no code: the audit's entry (a root port "no-peer-to-peer" claim,
    /// SV only, a hedged statement, nobody confirming it) made `patch` exit 0 with a
    /// pci_quirk_mf_endpoint_acs row (SV|TB|RR|CR|UF|DT for any type) while the commit said SV.
    /// Now patch and generate exit 2, list the lint diagnostics and write nothing; the hostile
    /// entry (unsafe text) is refused the same way.
    @Test func entriesThatFailLintGetNoCode() async throws {
        let tree = try KernelTrees.tree("6.12")
        let dir = try Fixtures.temporaryDirectory("acsquirk-lint-gate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("registry/synopsys/test-only-rp2.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try """
            schema: 1
            vendor: 0x16c3
            vendor-name: Synopsys
            family: TEST-ONLY RP2
            devices: [0x7ff4]
            applies-to:
              port-type: root-port
            isolation:
              kind: no-peer-to-peer
              acs-equivalent: [SV]
            evidence:
              statement: These ports could block peer-to-peer.
            kernel:
              status: new

            """.write(to: file, atomically: true, encoding: .utf8)
        let registry = dir.appendingPathComponent("registry").path
        let out = dir.appendingPathComponent("out")
        let quirks = Fixtures.repoPath("quirks")
        for args in [["patch", "--kernel-tree", tree, "--out", out.path, "--from", "Test Author <author@example.com>",
                      "--registry", quirks, "--registry", registry],
                     ["generate", "--out", out.path, quirks, registry],
                     ["patch", "--kernel-tree", tree, "--out", out.path, "--registry", TestRegistry.hostileDirectory]] {
            let r = try await Self.acsquirk(args)
            #expect(r.status == 2, "\(args): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("no code is generated from entries that fail lint; nothing written"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(args)")
            if args.contains(registry) {
                #expect(r.stderr.contains("test-only-rp2.yaml:9:9: error: [claim-port-type]"), "\(r.stderr)")
                #expect(r.stderr.contains("error: [hedged-statement]"), "\(r.stderr)")
                #expect(r.stderr.contains("error: [acs-equivalent-incomplete] acs-equivalent lacks RR, CR, UF: Linux requires SV, RR, CR and UF"),
                        "\(r.stderr)")
            } else {
                #expect(r.stderr.contains("error: [unsafe-text] vendor-name contains '*/'"), "\(r.stderr)")
            }
        }
    }

    /// The same checkout gives the same bytes wherever it lives: a registry found in the current
    /// directory (./quirks, or $ACSQUIRK_HOME pointing at it by absolute path) is named relative
    /// to it in the generated C comments, never by its absolute path.
    @Test func generatedBytesDoNotDependOnTheCheckoutLocation() async throws {
        let scratch = try Fixtures.temporaryDirectory("acsquirk-location")
        defer { try? FileManager.default.removeItem(at: scratch) }
        func checkout(_ rel: String) throws -> URL {
            let root = scratch.appendingPathComponent(rel)
            let q = root.appendingPathComponent("quirks")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.repoPath("quirks"), toPath: q.path)
            for rel in try FileManager.default.subpathsOfDirectory(atPath: TestRegistry.directory) where rel.hasSuffix(".yaml") {
                let dst = q.appendingPathComponent(rel)
                try FileManager.default.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: TestRegistry.directory + "/" + rel, toPath: dst.path)
            }
            return root
        }
        let a = try checkout("a/acsquirk"), b = try checkout("b/somewhere/else/checkout")
        // From the checkout's root (./quirks), and via ACSQUIRK_HOME set to the checkout's absolute path.
        let ra = try await Self.acsquirk(["generate", "--out", "out"], in: a.path)
        let rb = try await Self.acsquirk(["generate", "--out", "out"], in: b.path, env: ["ACSQUIRK_HOME=\(b.path)"])
        #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr)\(rb.stderr)")
        let fa = try Self.files(a.appendingPathComponent("out").path), fb = try Self.files(b.appendingPathComponent("out").path)
        #expect(fa["quirks/wangxun.c"] != nil, "\(fa.keys.sorted())")
        #expect(fa == fb)
        for (name, text) in fa {
            #expect(!text.contains(scratch.path) && !text.contains(a.path), "\(name) names the checkout's location")
        }
        #expect(fa.values.contains { $0.contains("quirks/") })
        #expect(ra.stdout == rb.stdout)
    }

    /// The commands find the registry and the templates from any directory: the project's quirks/
    /// by default, ACSQUIRK_HOME when set.
    @Test func worksFromAnyDirectory() async throws {
        let tree = try KernelTrees.tree("6.12")
        let elsewhere = try Fixtures.temporaryDirectory("acsquirk-elsewhere")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        // Default registry: the repository's quirks/, all upstream.
        let g = try await Self.acsquirk(["generate", "--out", "out"], in: elsewhere.path)
        #expect(g.status == 0, "\(g.stdout)\(g.stderr)")
        // (every entry is upstream: no stub; the static ACS tables of its multifunction endpoints)
        #expect(!g.stdout.contains("wrote out/quirks/"), "\(g.stdout)")
        #expect(g.stdout.contains("wrote out/acs-tables/acs-table-8086-82576.h"), "\(g.stdout)")
        let p = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", "out"], in: elsewhere.path)
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(p.stdout.contains("no patches: the tree already covers the selected entries"))
        // ACSQUIRK_HOME: its quirks/ (here the committed one plus the test registry) is the registry;
        // the templates still come from the repository of the binary.
        let home = elsewhere.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let homeQuirks = home.appendingPathComponent("quirks")
        try FileManager.default.copyItem(atPath: Fixtures.repoPath("quirks"), toPath: homeQuirks.path)
        for rel in try FileManager.default.subpathsOfDirectory(atPath: TestRegistry.directory) where rel.hasSuffix(".yaml") {
            let dst = homeQuirks.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: TestRegistry.directory + "/" + rel, toPath: dst.path)
        }
        let h = try await Self.acsquirk(["generate", "--out", "stubs"], in: elsewhere.path, env: ["ACSQUIRK_HOME=\(home.path)"])
        #expect(h.status == 0, "\(h.stdout)\(h.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("stubs/quirks/wangxun.c").path))
        // A copy of the binary outside any checkout, run where there is no quirks/: the registry
        // of the checkout it was built from (ProjectResources.buildCheckout), named by its path.
        let lone = elsewhere.appendingPathComponent("lone")
        try FileManager.default.createDirectory(at: lone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.binary, toPath: lone.appendingPathComponent("acsquirk").path)
        let n = try await runTool("env", ["-u", "ACSQUIRK_HOME", lone.appendingPathComponent("acsquirk").path, "show", "8086:10c9"],
                                  workingDirectory: lone.path)
        #expect(n.status == 0, "\(n.stderr)")
        #expect(n.stdout.contains(Fixtures.repoPath("quirks/intel/82576.yaml") + ":1: Intel 82576\n"), "\(n.stdout)")
    }

    /// --apply writes the final quirks.c into the tree; bad input changes nothing anywhere.
    @Test func applyAndFailures() async throws {
        let src = try KernelTrees.tree("6.1")
        let tree = try Fixtures.temporaryDirectory("acsquirk-minitree")
        defer { try? FileManager.default.removeItem(at: tree) }
        for f in [QuirksSource.relativePath, "include/linux/pci_ids.h"] {
            let dst = tree.appendingPathComponent(f)
            try FileManager.default.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: src + "/" + f, toPath: dst.path)
        }
        let quirks = tree.appendingPathComponent(QuirksSource.relativePath).path
        let original = try String(contentsOfFile: quirks, encoding: .utf8)
        let out = try Fixtures.temporaryDirectory("acsquirk-apply")
        defer { try? FileManager.default.removeItem(at: out) }

        let r = try await Self.acsquirk(["patch", "--kernel-tree", tree.path, "--out", out.path, "--registry", TestRegistry.directory,
                                         "--from", "Test Author <author@example.com>", "--apply"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let (text, macros) = try KernelTrees.quirks("6.1")
        let series = try PatchSeries(entries: TestRegistry.registry, quirks: text, macros: macros,
                                     renderer: CodeRenderer(templates: KernelTrees.templates()),
                                     from: Identity("Test Author <author@example.com>")!, date: nil)
        let applied = try String(contentsOfFile: quirks, encoding: .utf8)
        #expect(applied == series.finalText)
        #expect(applied != original)
        // Again on the patched tree: everything is covered now, no patch.
        let again = try Fixtures.temporaryDirectory("acsquirk-apply-again")
        defer { try? FileManager.default.removeItem(at: again) }
        let r2 = try await Self.acsquirk(["patch", "--kernel-tree", tree.path, "--out", again.path, "--registry",
                                          TestRegistry.directory, "--from", "Test Author <author@example.com>"])
        #expect(r2.status == 0, "\(r2.stdout)\(r2.stderr)")
        #expect(r2.stdout.contains("no patches: the tree already covers the selected entries"))
        #expect(try Self.files(again.path).isEmpty)

        // Failures exit 2 and leave the earlier outputs as they were.
        let earlier = try Self.files(out.path)
        let bad = try Fixtures.temporaryDirectory("acsquirk-bad-registry")
        defer { try? FileManager.default.removeItem(at: bad) }
        var yaml = try String(contentsOfFile: TestRegistry.directory + "/synopsys/test-only-rp.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "family: TEST-ONLY RP", with: "family: \"TEST-ONLY RP \\u202E\"")
        try yaml.write(to: bad.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: TestRegistry.directory + "/intel/test-only-i999.yaml",
                                         toPath: bad.appendingPathComponent("good.yaml").path)
        let cases: [([String], String)] = [
            (["--registry", bad.path], "error: [unsafe-text] family contains a Unicode bidirectional control character"),
            (["--registry", TestRegistry.directory, "--from", "nobody"], "--from must be \"Full Name <email>\""),
            (["--registry", TestRegistry.directory, "--date", "yesterday"], "--date must be an RFC 2822 date"),
            (["--registry", TestRegistry.directory, "no-such-entry"], "no registry entry matches \"no-such-entry\""),
            (["--registry", TestRegistry.directory, "--templates", "/nonexistent"], "/nonexistent/table-rows.mustache"),
        ]
        for (args, message) in cases {
            let r = try await Self.acsquirk(["patch", "--kernel-tree", tree.path, "--out", out.path, "--from",
                                             "Test Author <author@example.com>"] + args)
            #expect(r.status == 2, "\(args): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(try Self.files(out.path) == earlier)
            #expect(try String(contentsOfFile: quirks, encoding: .utf8) == applied)
        }
        let noTree = try await Self.acsquirk(["patch", "--kernel-tree", "/nonexistent", "--registry", TestRegistry.directory])
        #expect(noTree.status == 2)
        #expect(noTree.stderr.contains("/nonexistent/drivers/pci/quirks.c: cannot read"))
    }
}
