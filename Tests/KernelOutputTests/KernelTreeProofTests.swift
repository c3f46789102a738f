import Foundation
import KernelOutput
import PCIConfig
import Registry
import Testing
import TestSupport

/// The real kernel trees judge the patches: `git apply --check` and `git am` on a git copy of
/// each tree, `checkpatch.pl --strict` from the tree's top, `make drivers/pci/quirks.o`, and the
/// table order the kernel walks. Serialized: they share the cached git copies and build dirs.
@Suite(.serialized)
struct KernelTreeProofTests {
    static let author = Identity("Test Author <author@example.com>")!

    static func series(_ quirks: String, _ macros: VendorMacros) throws -> PatchSeries {
        try PatchSeries(entries: TestRegistry.series, quirks: quirks, macros: macros,
                        renderer: CodeRenderer(templates: KernelTrees.templates()), from: author, date: nil)
    }

    @Test(arguments: KernelTrees.versions)
    func patchSeriesAppliesPassesCheckpatchAndCompiles(version: String) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await GitCopy.withRepo(version) { repo, build in
            let made = clock.now
            try await GitCopy.reset(repo)
            let base = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            let macros = VendorMacros(pciIDsHeader: try String(contentsOfFile: repo + "/include/linux/pci_ids.h", encoding: .utf8))
            let series = try Self.series(base, macros)

            // Every entry but the one the tree covers gets a patch, numbered like git format-patch.
            #expect(series.patches.count == TestRegistry.series.count - 1)
            #expect(series.skipped.map(\.entry.path) == [TestRegistry.coveredI219.path])
            for (i, p) in series.patches.enumerated() {
                #expect(p.fileName.hasPrefix(String(format: "%04d-PCI-Add-ACS-quirk-for-", i + 1)))
                // Numbered as git numbers them: padded to the width of the total ([PATCH 01/10]).
                #expect(p.text.contains(String(format: "Subject: [PATCH %02d/%d]", i + 1, series.patches.count)))
            }

            let out = try Fixtures.temporaryDirectory("acsquirk-patches-\(version)")
            defer { try? FileManager.default.removeItem(at: out) }
            var files: [String] = []
            for p in series.patches {
                let f = out.appendingPathComponent(p.fileName).path
                try p.text.write(toFile: f, atomically: true, encoding: .utf8)
                files.append(f)
            }

            // checkpatch.pl --strict, run from the top of the tree: nothing reported at all.
            for f in files {
                let r = try await runTool("perl", ["scripts/checkpatch.pl", "--strict", "--show-types", f], workingDirectory: repo)
                #expect(r.status == 0, "checkpatch on \((f as NSString).lastPathComponent):\n\(r.stdout)\(r.stderr)")
                #expect(r.stdout.contains("total: 0 errors, 0 warnings, 0 checks"), "\(r.stdout)")
            }

            // Each patch passes git apply --check on the tree with the earlier ones applied, then git am.
            for f in files {
                try await GitCopy.run("git", ["apply", "--check", f], in: repo)
                try await GitCopy.run("git", ["am", "-q", "--no-gpg-sign", f], in: repo)
            }
            let patched = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            #expect(patched == series.finalText, "git am result differs from the generator's own result")

            // git format-patch of the applied series gives the same messages back (our diff = git's diff).
            let again = out.appendingPathComponent("format-patch").path
            try await GitCopy.run("git", ["format-patch", "-q", "--full-index", "--signature=acsquirk", "-o", again,
                                          "\(GitCopy.tag)..HEAD"], in: repo)
            let names = try FileManager.default.contentsOfDirectory(atPath: again).sorted()
            #expect(names == series.patches.map(\.fileName))
            for (name, p) in zip(names, series.patches) {
                var theirs = try String(contentsOfFile: again + "/" + name, encoding: .utf8)
                if let nl = theirs.firstIndex(of: "\n") {
                    theirs = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001" + theirs[nl...]
                }
                if theirs != p.text {
                    Issue.record("\(name) differs from git format-patch:\n\(await textDiff(expected: theirs, actual: p.text))")
                }
            }

            // The patched quirks.c compiles (defconfig once per tree, cached).
            let configured = clock.now
            let make = try await runTool("make", ["-s", "O=\(build)", "drivers/pci/quirks.o"], workingDirectory: repo)
            #expect(make.status == 0, "make drivers/pci/quirks.o:\n\(make.stdout)\n\(make.stderr)")
            #expect(!make.stderr.contains("quirks.c"), "compiler diagnostics for quirks.c:\n\(make.stderr)")
            let compiled = clock.now
            // The object holds the new quirk functions (static, kept: the table points at them).
            let nm = try await GitCopy.run("nm", [build + "/drivers/pci/quirks.o"])
            for p in series.patches {
                if case let .newFunction(name, _) = p.plan.kind {
                    #expect(nm.stdout.contains(" t \(name)\n"), "\(name) missing from quirks.o")
                }
            }

            // The table order reaches every new device (re-read from the file git am produced).
            let final = try QuirksSource(text: patched, macros: macros)
            try Self.assertReachable(final, series: series)

            try await GitCopy.reset(repo)
            let restored = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            #expect(restored == base)
            print("kernel \(version): git copy and defconfig (first run only) \(made - start), patches+checkpatch+am \(configured - made), "
                + "make quirks.o \(compiled - configured)")
        }
    }

    /// A submitter whose name holds quotes (`--from 'Ëve "Q." Evil <eve@evil.example>'`): From:
    /// and Signed-off-by: must agree for checkpatch (it gave "From:/Signed-off-by: email name
    /// mismatch" before), git am takes the author from From:, and git format-patch of the applied
    /// series gives the same messages back. The confirmed-by people ack before the sign-off; the
    /// one who is the submitter (same address) does not ack their own patch.
    @Test(arguments: KernelTrees.versions)
    func quotedSubmitterPassesCheckpatchAndAm(version: String) async throws {
        try await GitCopy.withRepo(version) { repo, _ in
            try await GitCopy.reset(repo)
            let base = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            let macros = VendorMacros(pciIDsHeader: try String(contentsOfFile: repo + "/include/linux/pci_ids.h", encoding: .utf8))
            let eve = try #require(Identity("Ëve \"Q.\" Evil <eve@evil.example>"))
            let series = try PatchSeries(entries: TestRegistry.series, quirks: base, macros: macros,
                                         renderer: CodeRenderer(templates: KernelTrees.templates()), from: eve, date: nil)
            let hostile = try #require(series.patches.first { $0.plan.entry.path == TestRegistry.hostile.path })
            #expect(hostile.text.contains("\nFrom: =?UTF-8?q?=C3=8Bve=20Q=2E=20Evil?= <eve@evil.example>\n"))
            #expect(hostile.text.contains("\nSigned-off-by: Ëve Q. Evil <eve@evil.example>\n"))
            #expect(!hostile.text.contains("Acked-by: Ëve"))
            let nic = try #require(series.patches.first { $0.plan.entry.path == TestRegistry.exampleNIC.path })
            #expect(nic.text.contains("\nAcked-by: \(TestRegistry.ackedBy)\nSigned-off-by: Ëve Q. Evil <eve@evil.example>\n---\n"),
                    "\(nic.text)")
            let out = try Fixtures.temporaryDirectory("acsquirk-quoted-submitter-\(version)")
            defer { try? FileManager.default.removeItem(at: out) }
            var files: [String] = []
            for p in series.patches {
                let f = out.appendingPathComponent(p.fileName).path
                try p.text.write(toFile: f, atomically: true, encoding: .utf8)
                files.append(f)
                let r = try await runTool("perl", ["scripts/checkpatch.pl", "--strict", "--show-types", f], workingDirectory: repo)
                #expect(r.status == 0 && r.stdout.contains("total: 0 errors, 0 warnings, 0 checks"),
                        "checkpatch on \(p.fileName):\n\(r.stdout)\(r.stderr)")
            }
            for f in files { try await GitCopy.run("git", ["am", "-q", "--no-gpg-sign", f], in: repo) }
            // Each commit's author is the Signed-off-by of its message.
            let log = try await GitCopy.run("git", ["log", "--reverse", "--format=%an <%ae>%x00%(trailers:key=Signed-off-by,valueonly)%x01",
                                                    "\(GitCopy.tag)..HEAD"], in: repo)
            let commits = log.stdout.split(separator: "\u{1}").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            #expect(commits.count == series.patches.count)
            for c in commits {
                let parts = c.split(separator: "\0").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                #expect(parts.count == 2 && parts[0] == parts[1], "\(parts)")
            }
            let again = out.appendingPathComponent("format-patch").path
            try await GitCopy.run("git", ["format-patch", "-q", "--full-index", "--signature=acsquirk", "-o", again,
                                          "\(GitCopy.tag)..HEAD"], in: repo)
            for p in series.patches {
                var theirs = try String(contentsOfFile: again + "/" + p.fileName, encoding: .utf8)
                if let nl = theirs.firstIndex(of: "\n") {
                    theirs = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001" + theirs[nl...]
                }
                if theirs != p.text {
                    Issue.record("\(p.fileName) differs from git format-patch:\n\(await textDiff(expected: theirs, actual: p.text))")
                }
            }
            try await GitCopy.reset(repo)
        }
    }

    /// Every new device is answered "isolated" by its plan's function, first in table order.
    static func assertReachable(_ source: QuirksSource, series: PatchSeries) throws {
        let model = QuirkTableModel(source: source)
        for p in series.patches {
            let e = p.plan.entry.entry
            for d in p.plan.devices {
                for t in effectivePortTypes(e) {
                    let a = model.answer(vendor: e.vendor, device: d, type: t, multifunction: e.appliesTo.multifunction,
                                         classID: e.appliesTo.classID)
                    #expect(a?.row.function == p.plan.kind.function, "\(p.plan.entry.path) \(hex(d, width: 4)) \(t)")
                    #expect(a?.answer.isIsolatingForTest == true)
                }
            }
        }
        // The Intel multifunction rows sit before the vendor-wide Intel RCiEP row.
        // Every new function reads back (Registry's importer) as exactly what its entry says.
        for p in series.patches {
            if case let .newFunction(name, _) = p.plan.kind {
                #expect(model.profiles[name]?.shape == QuirkShape(p.plan.entry.entry), "\(name)")
            }
        }
        let rows = source.table.rows
        let rciep = try #require(rows.first { $0.vendor == 0x8086 && $0.function == "pci_quirk_rciep_acs" })
        let i999 = rows.filter { $0.vendor == 0x8086 && [0x7ff0, 0x7ff1].contains($0.device) }
        #expect(i999.count == 2)
        #expect(i999.allSatisfy { $0.position < rciep.position && $0.function == "pci_quirk_mf_endpoint_acs" })
        #expect(i999.map(\.position) == [rows.last { $0.vendor == 0x8086 && $0.device == 0x15b8 }!.position + 1,
                                         rows.last { $0.vendor == 0x8086 && $0.device == 0x15b8 }!.position + 2])
        // The Wangxun IDs that claim what pci_quirk_wangxun_nic_acs() reports went into its switch;
        // the ones that claim more got a function whose rows come before the vendor-wide row.
        #expect(rows.filter { $0.vendor == 0x8088 }.map(\.device) == [0x7ff8, 0x7ff9, nil])
        #expect(rows.filter { $0.vendor == 0x8088 }.map(\.function)
            == ["pci_quirk_wangxun_test_only_25gbe_acs", "pci_quirk_wangxun_test_only_25gbe_acs", "pci_quirk_wangxun_nic_acs"])
        let wangxun = try #require(source.profiles["pci_quirk_wangxun_nic_acs"])
        #expect(wangxun.ids?.contains(.id(0x7ff0)) == true && wangxun.ids?.contains(.id(0x7ff1)) == true)
        let zhaoxin = try #require(source.profiles["pci_quirk_zhaoxin_pcie_ports_acs"])
        #expect(zhaoxin.ids?.contains(.range(first: 0x7f00, last: 0x7f07)) == true)
        // New vendors come last, right before { 0 }, in series order.
        let last = rows.suffix(from: rows.firstIndex { $0.function == "pci_quirk_wangxun_nic_acs" }! + 1)
        #expect(Set(last.map(\.vendor)) == [0x1f2a, 0x1f2b, 0x1f2c, 0x16c3])
        #expect(source.table.terminatorLine == rows.last!.line + 1)
    }
}

extension QuirkAnswer {
    var isIsolatingForTest: Bool {
        switch self {
        case .isolated, .conditional: true
        default: false
        }
    }
}
