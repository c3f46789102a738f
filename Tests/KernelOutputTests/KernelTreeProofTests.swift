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

    /// Runs `body` with the git copy of the tree `version` (made once, cached, used under its lock:
    /// `GitCopy.withRepo`) reset to its base commit, its quirks.c and pci_ids.h read, and its
    /// defconfig build directory.
    static func withTree<T>(_ version: String,
                            _ body: (_ repo: String, _ quirks: String, _ macros: VendorMacros, _ build: String) async throws -> T)
        async throws -> T {
        try await GitCopy.withRepo(version) { repo, build in
            try await GitCopy.reset(repo)
            let quirks = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            let macros = VendorMacros(pciIDsHeader: try String(contentsOfFile: repo + "/include/linux/pci_ids.h", encoding: .utf8))
            return try await body(repo, quirks, macros, build)
        }
    }

    static func series(_ quirks: String, _ macros: VendorMacros) throws -> PatchSeries {
        try PatchSeries(entries: TestRegistry.series, quirks: quirks, macros: macros,
                        renderer: CodeRenderer(templates: KernelTrees.templates()), from: author, date: nil)
    }

    @Test(arguments: KernelTrees.versions)
    func patchSeriesAppliesPassesCheckpatchAndCompiles(version: String) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await Self.withTree(version) { repo, base, macros, build in
            let made = clock.now
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
            #expect(series.files.first?.path == PatchSeries.coverLetterName)

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
            print("kernel \(version): git copy and defconfig (first run only) \(made - start), "
                + "patches+checkpatch+am \(configured - made), make quirks.o \(compiled - configured)")
        }
    }

    /// A submitter whose name holds quotes (`--from 'Ëve "Q." Evil <eve@evil.example>'`): From:
    /// and Signed-off-by: must agree for checkpatch (it gave "From:/Signed-off-by: email name
    /// mismatch" before), git am takes the author from From:, and git format-patch of the applied
    /// series gives the same messages back. The confirmed-by people are copied (Cc:) before the
    /// sign-off, never acks; the one who is the submitter (same address) is not copied.
    @Test(arguments: KernelTrees.versions)
    func quotedSubmitterPassesCheckpatchAndAm(version: String) async throws {
        try await Self.withTree(version) { repo, base, macros, _ in
            let eve = try #require(Identity("Ëve \"Q.\" Evil <eve@evil.example>"))
            let series = try PatchSeries(entries: TestRegistry.series, quirks: base, macros: macros,
                                         renderer: CodeRenderer(templates: KernelTrees.templates()), from: eve, date: nil)
            let hostile = try #require(series.patches.first { $0.plan.entry.path == TestRegistry.hostile.path })
            #expect(hostile.text.contains("\nFrom: =?UTF-8?q?=C3=8Bve=20Q=2E=20Evil?= <eve@evil.example>\n"))
            #expect(hostile.text.contains("\nSigned-off-by: Ëve Q. Evil <eve@evil.example>\n"))
            #expect(!hostile.text.contains("Cc: Ëve") && !hostile.text.contains("Acked-by:"))
            let nic = try #require(series.patches.first { $0.plan.entry.path == TestRegistry.exampleNIC.path })
            #expect(nic.text.contains("\nCc: \(TestRegistry.confirmer)\nSigned-off-by: Ëve Q. Evil <eve@evil.example>\n---\n"),
                    "\(nic.text)")
            #expect(!nic.text.contains("Acked-by:"))
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

    /// The six vendor-engineer entries (`VendorSeries`) on each tree: every patch passes
    /// `checkpatch.pl --strict` with nothing reported, `git am` applies the series, quirks.o
    /// compiles, and `git format-patch --cover-letter` of the applied series gives our messages
    /// back (the cover letter's subject, blurb and date aside). The series follows the
    /// conventions of upstream ACS-quirk commits (docs/kernel-output.md), asserted one by one.
    @Test(arguments: KernelTrees.versions)
    func vendorSeriesAppliesPassesCheckpatchAndCompiles(version: String) async throws {
        try await Self.withTree(version) { repo, base, macros, build in
            let series = try PatchSeries(entries: try VendorSeries.entries(), quirks: base, macros: macros,
                                         renderer: CodeRenderer(templates: try KernelTrees.templates()), from: VendorSeries.author,
                                         date: nil)
            #expect(series.patches.count == 6 && series.skipped.isEmpty)
            let out = try Fixtures.temporaryDirectory("acsquirk-vendor-series-\(version)")
            defer { try? FileManager.default.removeItem(at: out) }
            for f in series.files { try f.text.write(toFile: out.appendingPathComponent(f.path).path, atomically: true, encoding: .utf8) }
            for p in series.patches {
                let f = out.appendingPathComponent(p.fileName).path
                let r = try await runTool("perl", ["scripts/checkpatch.pl", "--strict", "--show-types", f], workingDirectory: repo)
                #expect(r.status == 0 && r.stdout.contains("total: 0 errors, 0 warnings, 0 checks"), "\(p.fileName):\n\(r.stdout)\(r.stderr)")
            }
            // `git am --empty=drop OUT/*.patch`, as the docs say: the cover letter (no diff) is dropped.
            try await GitCopy.run("git", ["am", "-q", "--no-gpg-sign", "--empty=drop"]
                                    + series.files.map { out.appendingPathComponent($0.path).path }.sorted(), in: repo)
            let log = try await GitCopy.run("git", ["log", "--format=%s", "\(GitCopy.tag)..HEAD"], in: repo)
            #expect(log.stdout.split(separator: "\n").count == series.patches.count)
            let patched = try String(contentsOfFile: repo + "/" + QuirksSource.relativePath, encoding: .utf8)
            #expect(patched == series.finalText, "git am result differs from the generator's own result")
            // The parse the series kept up to date edit by edit is the parse of the final text.
            #expect(series.finalSource == (try QuirksSource(text: patched, macros: macros)), "incremental parse differs from a fresh one")

            // git format-patch --cover-letter of the applied series: the same patches, and the same
            // cover letter but for the subject, the blurb and the date git cannot know.
            let again = out.appendingPathComponent("format-patch").path
            try await GitCopy.run("git", ["format-patch", "-q", "--full-index", "--signature=acsquirk", "--cover-letter", "-o", again,
                                          "\(GitCopy.tag)..HEAD"], in: repo,
                                  env: ["GIT_COMMITTER_NAME": VendorSeries.author.name, "GIT_COMMITTER_EMAIL": VendorSeries.author.email])
            let names = try FileManager.default.contentsOfDirectory(atPath: again).sorted()
            #expect(names == series.files.map(\.path))
            func normalized(_ text: String, cover: Bool) -> String {
                var lines = text.components(separatedBy: "\n")
                lines[0] = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
                guard cover, let blank = lines.firstIndex(of: "") else { return lines.joined(separator: "\n") }
                lines = lines.map { $0.hasPrefix("Date: ") ? "Date: -" : $0.hasPrefix("Subject: ") ? "Subject: -" : $0 }
                // The blurb: the paragraph after the headers.
                var end = blank + 1
                while end < lines.count, !lines[end].isEmpty { end += 1 }
                lines.replaceSubrange((blank + 1)..<end, with: ["BLURB"])
                return lines.filter { !$0.hasPrefix(" ") || !$0.contains("SUBJECT HERE") }.joined(separator: "\n")
            }
            for (name, ours) in zip(names, series.files.map(\.text)) {
                let theirs = try String(contentsOfFile: again + "/" + name, encoding: .utf8)
                let cover = name == PatchSeries.coverLetterName
                if normalized(theirs, cover: cover) != normalized(ours, cover: cover) {
                    Issue.record("\(name) differs from git format-patch:\n\(await textDiff(expected: normalized(theirs, cover: cover), actual: normalized(ours, cover: cover)))")
                }
            }

            // quirks.o compiles, with the two new functions in it.
            let make = try await runTool("make", ["-s", "O=\(build)", "drivers/pci/quirks.o"], workingDirectory: repo)
            #expect(make.status == 0 && !make.stderr.contains("quirks.c"), "make drivers/pci/quirks.o:\n\(make.stdout)\n\(make.stderr)")
            let nm = try await GitCopy.run("nm", [build + "/drivers/pci/quirks.o"])
            for name in ["pci_quirk_rockchip_rk3588_acs", "pci_quirk_pericom_acs"] {
                #expect(nm.stdout.contains(" t \(name)\n"), "\(name) missing from quirks.o")
            }
            try Self.assertConventions(series, entries: try VendorSeries.entries())
            try await GitCopy.reset(repo)
        }
    }

    /// The conventions of upstream ACS-quirk commits the generator follows (docs/kernel-output.md),
    /// one assertion each, on a generated series.
    static func assertConventions(_ series: PatchSeries, entries: [LoadedEntry]) throws {
        func patch(_ suffix: String) throws -> PatchSeries.Patch {
            try #require(series.patches.first { $0.plan.entry.path.hasSuffix(suffix + ".yaml") })
        }
        func message(_ p: PatchSeries.Patch) -> String { String(p.text[..<p.text.range(of: "\n---\n")!.lowerBound]) }
        func added(_ p: PatchSeries.Patch) -> [String] {
            p.text.components(separatedBy: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.map { String($0.dropFirst()) }
        }
        /// The prose a reader reads: the subject, the body paragraphs (no headers, footnotes or
        /// trailers) and the comments of the added code.
        func prose(_ p: PatchSeries.Patch) -> String {
            let m = message(p)
            let subject = m.components(separatedBy: "\n").first { $0.hasPrefix("Subject: ") } ?? ""
            let body = m[m.range(of: "\n\n")!.upperBound...].components(separatedBy: "\n\n")
                .filter { !$0.hasPrefix("[") && !$0.contains("Signed-off-by: ") }
            let comments = added(p).filter { $0.contains("/*") || $0.hasPrefix(" *") }
            return ([subject] + body + comments).joined(separator: "\n")
        }
        // 1. No noun twice in a row ("RK3588 Root Ports Root Ports"): in the messages and the code.
        for p in series.patches {
            let words = prose(p).lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" }).map(String.init)
                .filter { $0.contains(where: \.isLetter) }
            for n in 1...3 where words.count >= 2 * n {
                for i in 0...(words.count - 2 * n) where words[i..<(i + n)] == words[(i + n)..<(i + 2 * n)] {
                    Issue.record("\(p.fileName): repeated \"\(words[i..<(i + n)].joined(separator: " "))\"")
                }
            }
        }
        // 2. Every added line of quirks.c within 80 columns; function names pci_quirk_<vendor>_<short>_acs.
        for p in series.patches {
            for l in added(p) { #expect(CText.width(l) <= 80, "\(p.fileName): \(l)") }
            if case let .newFunction(name, _) = p.plan.kind { #expect(name.count <= 33 && name.hasSuffix("_acs"), "\(name)") }
        }
        // 3. No new function where one fits: the Qualcomm root port is a row for
        //    pci_quirk_qcom_rp_acs(), the Zhaoxin ports a `case` in the existing switch; only the
        //    Rockchip and Pericom entries get functions.
        #expect(try patch("qualcomm/sc8380xp-root-port").plan.kind == .rows(function: "pci_quirk_qcom_rp_acs"))
        #expect(try patch("zhaoxin/kh-50000-root-ports").plan.kind == .extendList(function: "pci_quirk_zhaoxin_pcie_ports_acs"))
        #expect(try added(patch("zhaoxin/kh-50000-root-ports")) == ["\t/* Zhaoxin KH-50000 Root Ports */", "\tcase 0x7f50:", "\tcase 0x7f51:"])
        #expect(Set(series.patches.compactMap { p -> String? in
            if case let .newFunction(name, _) = p.plan.kind { return name } else { return nil }
        }) == ["pci_quirk_rockchip_rk3588_acs", "pci_quirk_pericom_acs"])
        for p in series.patches where !added(p).contains(where: { $0.hasPrefix("static int ") }) {
            if case .newFunction = p.plan.kind { Issue.record("\(p.fileName): new function without a definition") }
        }
        // 4. Acked-by: only for an ack the entry records as given on the list; the vendor's
        //    private confirmation is named in the body and copied (Cc:); Link: only for public
        //    discussion, documents cited in the body.
        for p in series.patches {
            let m = message(p), e = p.plan.entry.entry
            let acks = m.components(separatedBy: "\n").filter { $0.hasPrefix("Acked-by: ") }.map { String($0.dropFirst(10)) }
            #expect(acks == e.kernel.ackedBy, "\(p.fileName)")
            for c in e.evidence?.confirmedBy ?? [] {
                #expect(m.contains("\nCc: \(c)\n") && m.contains("\(Identity(c)!.name) confirmed this"), "\(p.fileName)")
            }
            for l in m.components(separatedBy: "\n") where l.hasPrefix("Link: ") {
                #expect(l.hasPrefix("Link: https://lore.kernel.org/"), "\(p.fileName): \(l)")
            }
            for r in e.evidence?.references ?? [] {
                if let u = r.url { #expect(m.contains("] \(u)\n") && !m.contains("Link: \(u)"), "\(p.fileName): \(u)") }
            }
            // 6. Short: at most four paragraphs before the trailers; no names, addresses,
            //    dates or links in the code.
            let paragraphs = m[m.range(of: "\n\n")!.upperBound...].components(separatedBy: "\n\n")
            let prose = paragraphs.filter { !$0.hasPrefix("[") && !$0.contains("Signed-off-by: ") }
            #expect((2...3).contains(prose.count), "\(p.fileName): \(prose)")
            for l in added(p) where l.contains("/*") || l.hasPrefix(" *") {
                #expect(!l.contains("@") && !l.contains("http") && !l.contains("2025"), "\(p.fileName): \(l)")
            }
            let comment = added(p).filter { $0.hasPrefix(" * ") }
            #expect(comment.count <= 2, "\(p.fileName): the function comment states the claim in a line or two")
        }
        #expect(try message(patch("qualcomm/sc8380xp-root-port")).contains(
            "\nLink: https://lore.kernel.org/linux-pci/20250506-sc8380xp-acs-v1-1@example.com/\n"))
        // 5. A cover letter, as git format-patch --cover-letter names it, for more than one patch.
        #expect(series.files.first?.path == PatchSeries.coverLetterName)
        #expect(series.coverLetter?.contains("\nSubject: [PATCH 0/6] PCI: Add ACS quirks for ") == true)
        for (i, p) in series.patches.enumerated() { #expect(p.text.contains("\nSubject: [PATCH \(i + 1)/6] PCI: Add ACS quirk for ")) }
        // 7. One author date for the whole series: the newest evidence date by default.
        let newest = try #require(entries.compactMap(\.entry.evidence?.date).max())
        let dates = Set(series.files.map { f in f.text.components(separatedBy: "\n").first { $0.hasPrefix("Date: ") } })
        #expect(dates == ["Date: " + MailDate.fromISODate(newest)!])
        // Intel's rows come before Intel's vendor-wide rows (the RCiEP row would answer first).
        let intel = try patch("intel/i235-ethernet-controllers")
        let rows = series.finalSource.table.rows
        let rciep = try #require(rows.first { $0.vendor == 0x8086 && $0.device == nil })
        #expect(rows.filter { $0.vendor == 0x8086 && [0x7f40, 0x7f41].contains($0.device) }.allSatisfy { $0.position < rciep.position })
        #expect(intel.plan.kind == .rows(function: "pci_quirk_mf_endpoint_acs"))
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
            == ["pci_quirk_wangxun_25gbe_acs", "pci_quirk_wangxun_25gbe_acs", "pci_quirk_wangxun_nic_acs"])
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
