import Foundation
import KernelOutput
import Testing
import TestSupport

/// `acsquirk generate` and `acsquirk patch` end to end, through the built binary.
@Suite(.serialized)
struct KernelOutputCommandTests {
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("acsquirk").path
    }

    /// Runs acsquirk from `directory` (default: a directory without templates/, so the binary
    /// must find the repository's templates itself).
    static func acsquirk(_ args: [String], in directory: String? = nil) async throws -> ToolResult {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no acsquirk at \(binary): run swift build --build-tests")
        return try await runTool("env", ["NO_COLOR=1", binary] + args, workingDirectory: directory ?? NSTemporaryDirectory())
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
        #expect(r.stdout.contains("skipped \(registry)/intel-i219-duplicate.yaml: the kernel already covers every device"))
        #expect(r.stdout.contains("note: \(registry)/example-silicon-xs100.yaml: vendor 0x1f2a has no PCI_VENDOR_ID_* macro"))
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
        #expect(r.stdout.contains("before row 60 (drivers/pci/quirks.c:5134, PCI_VENDOR_ID_INTEL PCI_ANY_ID pci_quirk_rciep_acs)")
            || r.stdout.contains("pci_quirk_rciep_acs"))
        #expect(r.stdout.contains("skipped \(TestRegistry.directory)/intel-i219-duplicate.yaml: the tree already covers every device"))
        let written = try Self.files(out.path)
        let expected = try Self.files(ReferenceTests.expected + "/patch-6.12")
        #expect(Set(written.keys) == Set(expected.keys))
        for (k, v) in expected where written[k] != v {
            Issue.record("\(k):\n\(await textDiff(expected: v, actual: written[k] ?? ""))")
        }
        #expect(try String(contentsOfFile: quirks, encoding: .utf8) == before)

        // One entry, by vendor/family suffix, with a fixed date: a single [PATCH].
        let one = try Fixtures.temporaryDirectory("acsquirk-patch-one")
        defer { try? FileManager.default.removeItem(at: one) }
        let r2 = try await Self.acsquirk(["patch", "--kernel-tree", tree, "--out", one.path, "--registry", TestRegistry.directory,
                                          "--from", "Test Author <author@example.com>", "--date", "Tue, 4 Mar 2025 10:00:00 +0100",
                                          "registry/wangxun-10gbe"])
        #expect(r2.status == 0, "\(r2.stdout)\(r2.stderr)")
        let single = try Self.files(one.path)
        #expect(Array(single.keys) == ["0001-PCI-Add-ACS-quirk-for-Wangxun-TEST-ONLY-10GbE.patch"])
        let text = try #require(single.values.first)
        #expect(text.contains("\nSubject: [PATCH] PCI: Add ACS quirk for Wangxun TEST-ONLY 10GbE\n"))
        #expect(text.contains("\nDate: Tue, 4 Mar 2025 10:00:00 +0100\n"))
        #expect(text.contains("+\tcase 0x7ff0:\n+\tcase 0x7ff1:\n"))
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
        let series = try PatchSeries(entries: TestRegistry.series, quirks: text, macros: macros,
                                     renderer: CodeRenderer(templates: KernelTrees.templates()),
                                     from: Identity("Test Author <author@example.com>"), date: nil)
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
        var yaml = try String(contentsOfFile: TestRegistry.directory + "/synopsys-rp.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "family: TEST-ONLY RP", with: "family: \"TEST-ONLY RP \\u202E\"")
        try yaml.write(to: bad.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: TestRegistry.directory + "/intel-i999.yaml",
                                         toPath: bad.appendingPathComponent("good.yaml").path)
        let cases: [([String], String)] = [
            (["--registry", bad.path], "family: contains a Unicode bidirectional control character"),
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
