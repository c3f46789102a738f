import Diagnostics
import Foundation
@testable import KernelOutput
import Registry
import Testing
import TestSupport

/// Comment safety, wrapping, mail headers, dates, blob IDs and the diff, each against the rules
/// (and, where a tool exists, against git itself).
struct TextTests {
    @Test func commentSafeTextCannotEndOrNestAComment() {
        for hostile in ["*/", "/*", "**/", "*/*/", "/*/", "a*/b/*c", "??/", "???/", "??=x", "*//*"] {
            let safe = CText.commentSafe(hostile)
            #expect(!safe.contains("*/") && !safe.contains("/*"), "\(hostile) -> \(safe)")
            #expect(!safe.contains("??/") && !safe.contains("??="), "\(hostile) -> \(safe)")
            // Only spaces were added.
            #expect(safe.replacingOccurrences(of: " ", with: "") == hostile.replacingOccurrences(of: " ", with: ""))
        }
    }

    @Test func invisibleAndControlCharactersAreRefused() {
        let loc = Diagnostic.Location(file: "x.yaml", line: 3)
        for bad in ["a\u{202E}b", "a\u{2066}b", "\u{0}", "a\u{1b}[31m", "\u{7f}", "\u{85}x", "\u{FEFF}x"] {
            #expect(throws: KernelOutputError.self) { try CText.check(bad, field: "family", at: loc) }
        }
        for good in ["Ünïcödé", "tab\tand\nlines\r\n", "漢字", "a */ b", "C:\\path"] {
            #expect(throws: Never.self) { try CText.check(good, field: "family", at: loc) }
        }
        do {
            try CText.check("x\u{202E}", field: "evidence.statement", at: loc)
        } catch {
            #expect("\(error)".hasPrefix("x.yaml:3: evidence.statement: contains a Unicode bidirectional control character"))
            #expect("\(error)".contains("U+202E"))
        }
    }

    /// One check: lint's unsafe-text rule reports exactly the characters patch and generate refuse
    /// (TextSafety), so a registry that passes lint never fails here for its text. Before the
    /// check was shared, lint let U+200B and U+202E (in a YAML escape) through.
    @Test func lintReportsWhatTheGeneratorRefuses() throws {
        let loc = Diagnostic.Location(file: "x.yaml", line: 1)
        let refused: [Unicode.Scalar] = [0x202E, 0x202A, 0x2066, 0x2069, 0x200E, 0x061C, 0x200B, 0x200C, 0x200D, 0x2060, 0x2063,
                                         0xFEFF, 0x00AD, 0x180E, 0xFFF9, 0xE0041, 0x3164, 0x115F, 0xE000, 0x0378, 0xFDD0, 0x7,
                                         0x1B, 0x7F, 0x85, 0x9B, 0xB, 0xC].map { Unicode.Scalar($0)! }
        let allowed: [Unicode.Scalar] = [0x61, 0xE9, 0x3A9, 0x2248, 0xB5, 0x5317, 0x1F600, 0x2D, 0x5C].map { Unicode.Scalar($0)! }
        for (scalar, shouldRefuse) in refused.map({ ($0, true) }) + allowed.map({ ($0, false) }) {
            let family = "SP\(Character(scalar))10GbE"
            var refusedByGenerator = false
            do { try CText.check(family, field: "family", at: loc) } catch { refusedByGenerator = true }
            // The YAML spells the character as an escape, so libyaml reads any code point.
            let yaml = LintRules.base.replacingOccurrences(
                of: "family: SP 10GbE", with: "family: \"SP\\U\(String(format: "%08X", scalar.value))10GbE\"")
            let dir = try Fixtures.temporaryDirectory("acsquirk-unsafe")
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("quirks/wangxun/sp-10gbe.yaml")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let result = Registry.lint(paths: [file.path], options: LintOptions(vendorName: nil))
            #expect(result.entries.first?.entry.family == family, "\(TextSafety.codePoint(scalar))")
            let lintRefuses = result.diagnostics.contains { $0.rule == "unsafe-text" && $0.severity == .error }
            #expect(refusedByGenerator == shouldRefuse, "generator, \(TextSafety.codePoint(scalar))")
            #expect(lintRefuses == refusedByGenerator, "lint vs generator, \(TextSafety.codePoint(scalar)): \(result.diagnostics)")
        }
    }

    @Test func wrapKeepsWidthsAndWords() {
        let words = CText.words("The quick brown fox jumps over the lazy dog and keeps running along the river bank until night")
        let lines = CText.wrap(words, prefix: "\t * ", width: 40)
        #expect(lines.allSatisfy { CText.width($0) <= 40 })
        #expect(lines.map { $0.dropFirst(4) }.joined(separator: " ") == words.joined(separator: " "))
        // A long word is split, a URL is kept whole.
        let long = CText.wrap([String(repeating: "x", count: 100), "https://example.com/" + String(repeating: "y", count: 100)],
                              prefix: " * ", width: 80)
        #expect(long.filter { !$0.contains("https://") }.allSatisfy { CText.width($0) <= 80 })
        #expect(long.contains(" * https://example.com/" + String(repeating: "y", count: 100)))
        // A word that fits in the hard limit (a file path in a comment) stays whole when asked.
        let path = "Tests/Fixtures/kernel-output/registry/example-silicon/xs-100-test-only-nic.yaml)"
        #expect(CText.wrap(["(" + path], prefix: " * ", width: 80, wholeWordWidth: 100) == [" * (" + path])
        #expect(CText.wrap(["(" + path], prefix: " * ", width: 80).count == 2)
        // Widths count UTF-8 bytes and tabs as checkpatch does.
        #expect(CText.width("\tä") == 10)
        #expect(CText.width("ab\tc") == 9)
    }

    @Test func commitLinesNeverStartWithMailOrDiffSyntax() {
        let text = "Intro words here. From here on --- diff --git a/x b/x Index: y Signed-off-by: Mallory <m@x> "
            + "Link: https://x.example"
        let lines = CodeRenderer.commitLines([.paragraph(CText.words(text)), .gap,
                                              .paragraph(["Signed-off-by:", "Joe", "<j@x>"])])
        for l in lines {
            #expect(!CodeRenderer.mustNotStartLine(String(l.split(separator: " ").first ?? "")), "\(l)")
        }
        #expect(lines.joined(separator: " ").contains("Signed-off-by: Joe"))
        // Short words: the word before a trailer-like token moves down with it, widths stay.
        var rng = SplitMix(seed: 7)
        for _ in 0..<50 {
            let words = (0..<60).map { _ in ["word", "Cc:", "Link:", "diff", "From", "---", "abc", "x"][Int(rng.next() % 8)] }
            let wrapped = CodeRenderer.commitLines([.paragraph(["Intro"] + words)])
            // A line is only longer when it is one word followed by words that must stay with it.
            for l in wrapped where l.count > CText.commitWrap {
                let w = l.split(separator: " ").map(String.init)
                #expect(w.dropFirst().allSatisfy(CodeRenderer.mustNotStartLine), "\(l)")
            }
            #expect(wrapped.dropFirst().allSatisfy { !CodeRenderer.mustNotStartLine(String($0.split(separator: " ").first ?? "")) })
            #expect(wrapped.joined(separator: " ").split(separator: " ").map(String.init) == ["Intro"] + words)
        }
    }

    @Test func identitiesAndDates() {
        #expect(Identity("Jane Doe <jane@example.com>")?.name == "Jane Doe")
        #expect(Identity("Jane Doe <jane@example.com>")?.email == "jane@example.com")
        for bad in ["jane@example.com", "<jane@example.com>", "Jane <jane>", "Jane <ja ne@x>", "Jane <@x>", "Ja<ne <j@x>"] {
            #expect(Identity(bad) == nil, "\(bad)")
        }
        #expect(MailDate.fromISODate("2023-02-10") == "Fri, 10 Feb 2023 00:00:00 +0000")
        #expect(MailDate.fromISODate("2024-02-29") == "Thu, 29 Feb 2024 00:00:00 +0000")
        #expect(MailDate.fromISODate("2023-02-02") == "Thu, 2 Feb 2023 00:00:00 +0000")
        #expect(MailDate.fromISODate("2023-02-29") == nil)
        #expect(MailDate.fromISODate("2023-2-1") == nil)
        #expect(MailDate.normalizeRFC2822("Fri, 10 Feb 2023 12:34:56 +0100") == "Fri, 10 Feb 2023 12:34:56 +0100")
        #expect(MailDate.normalizeRFC2822("10 Feb 2023 12:34:56 -0530") == "Fri, 10 Feb 2023 12:34:56 -0530")
        #expect(MailDate.normalizeRFC2822("Mon, 10 Feb 2023 12:34:56 +0100") == nil) // wrong weekday
        #expect(MailDate.normalizeRFC2822("2023-02-10") == nil)
    }

    /// As git format-patch writes them (checked against git 2.39 output).
    @Test func fromHeadersLikeGit() {
        #expect(MailHeader.from(Identity("José Müller <j@x.example>")!) == "From: =?UTF-8?q?Jos=C3=A9=20M=C3=BCller?= <j@x.example>")
        #expect(MailHeader.from(Identity("J. Doe <j@x.example>")!) == "From: \"J. Doe\" <j@x.example>")
        #expect(MailHeader.from(Identity("Jane Doe <j@x.example>")!) == "From: Jane Doe <j@x.example>")
        #expect(MailHeader.subject(prefix: "[PATCH]", title: "PCI: Add ACS quirk for Intel I226 with a really long family name that goes on and on and on")
            == "Subject: [PATCH] PCI: Add ACS quirk for Intel I226 with a really long family\n name that goes on and on and on")
    }

    @Test func formatPatchFileNames() {
        #expect(PatchSeries.fileName(number: 1, subject: "PCI: Add ACS quirk for Intel I226")
            == "0001-PCI-Add-ACS-quirk-for-Intel-I226.patch")
        #expect(PatchSeries.fileName(number: 2, subject: "PCI: Add ACS quirk for Intel I226 with a really long family name that goes on")
            == "0002-PCI-Add-ACS-quirk-for-Intel-I226-with-a-really-long-.patch")
        #expect(PatchSeries.fileName(number: 12, subject: "PCI: Add ACS quirk for A... B (x.y)")
            == "0012-PCI-Add-ACS-quirk-for-A.-B-x.y.patch")
    }

    @Test func blobIDsMatchGitHashObject() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-sha1")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, text) in ["", "a\n", String(repeating: "0123456789abcdef", count: 1000), "Ünïcödé ??/ */\n"].enumerated() {
            let f = dir.appendingPathComponent("f\(i)").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: f))
            let r = try await runTool("git", ["hash-object", f])
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == SHA1.gitBlobID(text))
        }
    }

    /// Random edits of quirks.c: our hunks equal `git diff --no-index` hunks.
    @Test func unifiedDiffMatchesGitDiff() async throws {
        let (text, _) = try KernelTrees.quirks("6.12")
        let base = Array(text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
        var rng = SplitMix(seed: 42)
        let dir = try Fixtures.temporaryDirectory("acsquirk-diff")
        defer { try? FileManager.default.removeItem(at: dir) }
        for round in 0..<12 {
            var new = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(new.count))
                switch rng.next() % 3 {
                case 0: new.insert(contentsOf: ["\t/* inserted \(round) */", "\t{ 0x1234, 0x0001, f },"], at: at)
                case 1: new.remove(at: at)
                default: new[at] = new[at] + " /* changed */"
                }
            }
            // Ambiguous inserts: a blank line and a duplicate of the neighbour.
            if round % 3 == 0 {
                let blank = base.firstIndex(of: "static const struct pci_dev_acs_enabled {")!
                new.insert(contentsOf: ["", "/* x */", "static int x(void)", "{", "}"], at: blank - 1)
            }
            let a = dir.appendingPathComponent("a.c"), b = dir.appendingPathComponent("b.c")
            try (base.joined(separator: "\n") + "\n").write(to: a, atomically: true, encoding: .utf8)
            try (new.joined(separator: "\n") + "\n").write(to: b, atomically: true, encoding: .utf8)
            let git = try await runTool("git", ["diff", "--no-index", "--no-color", a.path, b.path])
            let theirs = git.stdout.components(separatedBy: "\n").drop { !$0.hasPrefix("@@") }.joined(separator: "\n")
            let ours = UnifiedDiff(old: base, new: new).text
            if theirs != ours {
                Issue.record("round \(round):\n\(await textDiff(expected: theirs, actual: ours))")
            }
        }
    }

    @Test func diffStatLikeGit() {
        #expect(DiffStat.lines([.init(path: "drivers/pci/quirks.c", insertions: 12, deletions: 0)])
            == [" drivers/pci/quirks.c | 12 ++++++++++++", " 1 file changed, 12 insertions(+)"])
        #expect(DiffStat.lines([.init(path: "drivers/pci/quirks.c", insertions: 1, deletions: 1)])
            == [" drivers/pci/quirks.c | 2 +-", " 1 file changed, 1 insertion(+), 1 deletion(-)"])
        // Scaled to 72 columns.
        let big = DiffStat.lines([.init(path: "drivers/pci/quirks.c", insertions: 100, deletions: 0)])[0]
        #expect(big.count <= 72)
        #expect(big.hasPrefix(" drivers/pci/quirks.c | 100 +++"))
    }
}

/// A small deterministic PRNG (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
