import Diagnostics
import Foundation
import Registry
import Testing
import TestSupport

/// Bad input never crashes or hangs, and each problem is one clear diagnostic with a position.
@Suite struct LoaderRobustness {
    func loadText(_ text: String, name: String = "x.yaml") throws -> (LoadedEntry?, [Diagnostic]) {
        try withTemporaryDirectory { dir in
            let p = dir.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: p))
            let r = Registry.load(file: p)
            return (r.entry, r.diagnostics.map { var d = $0; d.location.file = name; return d })
        }
    }

    @Test func validEntryLoadsWithLocations() throws {
        let (e, d) = try loadText(LintRules.base)
        #expect(d.isEmpty)
        let entry = try #require(e)
        #expect(entry.entry.vendor == 0x8088)
        #expect(entry.entry.devices == [.id(0x1001), .id(0x2001)])
        #expect(entry.entry.appliesTo.multifunction == true)
        #expect(entry.entry.evidence?.confirmedBy == ["Jane Doe <jane.doe@vendor.example>"])
        #expect(entry.line == 1)
        #expect(entry.locations.value("devices[1]") == SourcePosition(line: 5, column: 19))
        #expect(entry.locations.key("evidence.date") == SourcePosition(line: 18, column: 3))
        #expect(entry.locations.value("evidence.date") == SourcePosition(line: 18, column: 9))
    }

    @Test func hexIDsAreReadFromTheText() throws {
        let quoted = LintRules.base.replacingOccurrences(of: "vendor: 0x8088", with: "vendor: '0X8088'")
            .replacingOccurrences(of: "devices: [0x1001, 0x2001]", with: "devices: [\"0x1001\", 0x2001, 0x01]")
        let (e, d) = try loadText(quoted)
        #expect(d.isEmpty)
        #expect(e?.entry.vendor == 0x8088)
        #expect(e?.entry.devices == [.id(0x1001), .id(0x2001), .id(0x0001)])
        let (_, bad) = try loadText(LintRules.base.replacingOccurrences(of: "devices: [0x1001, 0x2001]", with: "devices: [4318, 1e10, 0x00001001]"))
        #expect(bad.map(\.message) == [
            "'devices' item 1: '4318' is a decimal number to YAML; IDs are hex with a 0x prefix (0x4318 if that was meant)",
            "'devices' item 2: '1e10' lacks the 0x prefix (YAML reads it as a float); write 0x1e10",
            "'devices' item 3: '0x00001001' has more than 4 hex digits; write it as 0x1001",
        ])
    }

    @Test func invalidYAMLNamesLineAndColumn() throws {
        let (e, d) = try loadText("schema: 1\nvendor: [0x8086\nfamily: x\n")
        #expect(e == nil)
        #expect(d.count == 1)
        #expect(d.first?.rule == "yaml-syntax")
        #expect(d.first?.line == 3)
        #expect(d.first?.description.hasPrefix("x.yaml:3:") == true)
    }

    @Test func tabsAreRejectedPerLine() throws {
        let (e, d) = try loadText("schema: 1\n\tvendor: 0x8086\nfamily:\tx\t\n")
        #expect(e == nil)
        #expect(d.map(\.position) == [SourcePosition(line: 2, column: 1), SourcePosition(line: 3, column: 8)])
        #expect(d.allSatisfy { $0.rule == "tab-character" })
    }

    @Test func duplicateKeysAreRejected() throws {
        let (e, d) = try loadText(LintRules.base.replacingOccurrences(of: "  kind: no-peer-to-peer",
                                                                     with: "  kind: no-peer-to-peer\n  kind: ports-isolated"))
        #expect(e == nil)
        #expect(d.map(\.rule) == ["duplicate-key"])
        // At the second 'kind' (the line to remove), naming the first.
        #expect(d.first?.position == SourcePosition(line: 11, column: 3))
        #expect(d.first?.message.contains("'kind'") == true)
        #expect(d.first?.message.contains("(first at line 10)") == true)
    }

    @Test func duplicateKeyIsReportedAtTheSecondOccurrence() throws {
        // Top level: the finding is on line 2, not at the first key.
        var (_, d) = try loadText("schema: 1\nschema: 1\n")
        #expect(d.map(\.description) == ["x.yaml:2:1: error: [duplicate-key] key 'schema' appears more than once in this mapping (first at line 1)"])
        // Comments, blank lines and a deeper mapping in between; quoted spelling.
        (_, d) = try loadText("schema: 1\n# c\n\nkernel:\n  status: new\n  note: x\n\"schema\": 2\n")
        #expect(d.first?.position == SourcePosition(line: 7, column: 1))
        // Inside a list item; the next item's key of the same name is not the duplicate.
        (_, d) = try loadText("devices:\n  - {first: 0x1, last: 0x2}\nkernel:\n  table:\n    - row: 1\n      device: any\n      row: 2\n    - row: 3\n")
        #expect(d.first?.position == SourcePosition(line: 7, column: 7))
        // A flow mapping.
        (_, d) = try loadText("devices: [{first: 0x1, last: 0x2, first: 0x3}]\n")
        #expect(d.first?.position == SourcePosition(line: 1, column: 35))
    }

    @Test func aliasBombIsRejectedWithoutExpansion() throws {
        // "Billion laughs": 10 levels of 10 aliases would be 10^10 nodes if expanded.
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let start = Date()
        let (e, d) = try loadText(text)
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(e == nil)
        #expect(!d.isEmpty && d.allSatisfy { $0.rule == "yaml-anchor" })
        #expect(d.first?.position == SourcePosition(line: 1, column: 5))
    }

    @Test func mergeKeysAndUndefinedAliasesAreRejected() throws {
        let (_, d1) = try loadText("base: &b {schema: 1}\nentry:\n  <<: *b\n")
        #expect(d1.map(\.rule) == ["yaml-anchor"])
        #expect(d1.first?.position == SourcePosition(line: 1, column: 7))
        let (_, d2) = try loadText("schema: *nowhere\n")
        #expect(d2.map(\.rule) == ["yaml-anchor"])
        #expect(d2.first?.position == SourcePosition(line: 1, column: 9))
    }

    @Test func emptyAndCommentOnlyFiles() throws {
        for text in ["", "\n\n", "# just a comment\n", "---\n"] {
            let (e, d) = try loadText(text)
            #expect(e == nil)
            #expect(d.count == 1, "\(text.debugDescription)")
            #expect(d.first?.rule == (text == "---\n" ? "invalid-value" : "empty-file"), "\(text.debugDescription): \(d)")
        }
    }

    @Test func invalidUTF8NamesTheByte() throws {
        try withTemporaryDirectory { dir in
            let p = dir.appendingPathComponent("bad.yaml").path
            // An overlong encoding of '/' (0xc0 0xaf) in line 2.
            try Data(Array("schema: 1\nfamily: a".utf8) + [0xc0, 0xaf] + Array("\n".utf8)).write(to: URL(fileURLWithPath: p))
            let r = Registry.load(file: p)
            #expect(r.entry == nil)
            #expect(r.diagnostics.count == 1)
            #expect(r.diagnostics.first?.rule == "invalid-utf8")
            #expect(r.diagnostics.first?.position == SourcePosition(line: 2, column: 10))
        }
        // The validator itself: surrogates, overlongs, truncated sequences, beyond U+10FFFF.
        #expect(SourceReader.firstInvalidUTF8(Array("héllo ✓ 𝄞".utf8)) == nil)
        #expect(SourceReader.firstInvalidUTF8([0x61, 0xed, 0xa0, 0x80]) == 1)
        #expect(SourceReader.firstInvalidUTF8([0xe0, 0x80, 0x80]) == 0)
        #expect(SourceReader.firstInvalidUTF8([0x61, 0x62, 0xe2, 0x82]) == 2)
        #expect(SourceReader.firstInvalidUTF8([0xf4, 0x90, 0x80, 0x80]) == 0)
        #expect(SourceReader.firstInvalidUTF8([0x80]) == 0)
    }

    @Test func fiftyMegabyteFileFailsFastWithoutReadingIt() throws {
        try withTemporaryDirectory { dir in
            let p = dir.appendingPathComponent("huge.yaml").path
            #expect(FileManager.default.createFile(atPath: p, contents: Data("schema: 1\n".utf8)))
            let h = try #require(FileHandle(forWritingAtPath: p))
            try h.truncate(atOffset: 50 << 20)
            try h.close()
            let start = Date()
            let r = Registry.load(file: p)
            #expect(Date().timeIntervalSince(start) < 0.5)
            #expect(r.entry == nil)
            #expect(r.diagnostics.map(\.rule) == ["file-too-large"])
            #expect(r.diagnostics.first?.message.contains("52428800 bytes") == true)
            #expect(r.diagnostics.first?.description.hasPrefix("\(p): error: [file-too-large]") == true)
        }
    }

    @Test func fifoAndDirectoryArgumentsDoNotHang() throws {
        try withTemporaryDirectory { dir in
            let fifo = dir.appendingPathComponent("pipe.yaml").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let r = Registry.load(file: fifo)
            #expect(r.diagnostics.map(\.rule) == ["unreadable"])
            #expect(r.diagnostics.first?.message == "not a regular file")
            let missing = Registry.load(paths: [dir.appendingPathComponent("nope").path])
            #expect(missing.diagnostics.map(\.rule) == ["unreadable"])
            #expect(SourceReader.isUnreadable(missing.diagnostics))
        }
    }

    /// Hidden folders are skipped, each named in a `hidden-file` warning when it holds registry
    /// files (issue #15: never skipped without a word).
    @Test func directoryWalkTakesOnlyYAMLAndSkipsHiddenFolders() throws {
        try withTemporaryDirectory { dir in
            let fm = FileManager.default
            for p in ["wangxun", ".git", "wangxun/.hidden"] {
                try fm.createDirectory(at: dir.appendingPathComponent(p), withIntermediateDirectories: true)
            }
            try Data(LintRules.base.utf8).write(to: dir.appendingPathComponent("wangxun/sp-10gbe.yaml"))
            try Data("not: [yaml".utf8).write(to: dir.appendingPathComponent(".git/x.yaml"))
            try Data("not: [yaml".utf8).write(to: dir.appendingPathComponent("wangxun/.hidden/x.yaml"))
            try Data("{}".utf8).write(to: dir.appendingPathComponent("schema.json"))
            try Data("notes".utf8).write(to: dir.appendingPathComponent("README.md"))
            let r = Registry.load(paths: [dir.path])
            #expect(r.diagnostics.map { "\($0.path ?? "") \($0.rule ?? "") \($0.severity.rawValue)" }
                == [dir.path + "/.git hidden-file warning", dir.path + "/wangxun/.hidden hidden-file warning"])
            #expect(r.entries.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["sp-10gbe.yaml"])
        }
    }

    @Test func tenThousandFilesLoadCompletely() throws {
        try withTemporaryDirectory("registry-10k") { dir in
            let fm = FileManager.default
            try fm.createDirectory(at: dir.appendingPathComponent("wangxun"), withIntermediateDirectories: true)
            for i in 0..<10_000 {
                // A minimal valid upstream-style entry per file, each with its own device ID.
                let id = String(format: "0x%04x", i)
                let text = """
                    schema: 1
                    vendor: 0x8088
                    vendor-name: Wangxun
                    family: f\(i)
                    devices: [\(id)]
                    isolation: {kind: no-peer-to-peer, acs-equivalent: [SV, RR, CR, UF]}
                    kernel: {status: upstream, function: f, since: v6.3, table: [{row: \(i + 1), device: \(id)}]}

                    """
                try Data(text.utf8).write(to: dir.appendingPathComponent("wangxun/f\(i).yaml"))
            }
            // How fast is `make bench`'s business (lint of a 10,000-entry registry), not a test's.
            let r = Registry.lint(paths: [dir.path], options: LintOptions(vendorName: nil))
            #expect(r.files.count == 10_000)
            #expect(r.entries.count == 10_000)
            #expect(r.diagnostics.isEmpty, "\(r.diagnostics.prefix(3))")
        }
    }

    @Test func schemaErrorsEachHaveAPosition() throws {
        let text = """
            schema: 1
            vendor: 0x8088
            vendor-name: Wangxun
            family: SP 10GbE
            devices: 0x1001
            applies-to: {port-type: switch}
            isolation: {kind: no-peer-to-peer, acs-equivalent: SV}
            kernel: {status: new, function: "not an identifier", since: 6.3}

            """
        let (e, d) = try loadText(text)
        #expect(e == nil)
        let got = d.map { "\($0.line ?? 0):\($0.column ?? 0) \($0.rule ?? "")" }
        #expect(got == ["5:10 invalid-value", "6:25 invalid-value", "7:52 invalid-value",
                        "8:33 invalid-value", "8:61 invalid-value"], "\(d.map(\.description))")
    }
}
