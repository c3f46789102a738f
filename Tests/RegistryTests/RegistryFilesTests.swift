import Foundation
import Registry
import Testing
import TestSupport

/// Issue #15 item 5: registry files are neither rejected wrongly nor skipped without a word, and
/// the file names lint suggests are names a file system accepts.
@Suite(.serialized) struct RegistryFilesTests {
    /// `LintRules.base` at quirks/wangxun/<name> under a fresh folder; returns the folder.
    func registry(_ files: [String: [UInt8]], _ body: (String) async throws -> Void) async throws {
        let dir = try Fixtures.temporaryDirectory("registry-files")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.path + "/quirks"
        for (rel, bytes) in files {
            let p = root + "/" + rel
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: p))
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try await body(root)
    }

    static let bom: [UInt8] = [0xef, 0xbb, 0xbf]

    /// A UTF-8 byte order mark (YAML 1.2 §5.2 allows one at the start of a stream) is accepted;
    /// the lines of a finding after it are the editor's lines.
    @Test func byteOrderMarkIsAccepted() async throws {
        let broken = LintRules.base.replacingOccurrences(of: "vendor-name: Wangxun", with: "vendor-name: [Wangxun")
        try await registry(["wangxun/sp-10gbe.yaml": Self.bom + Array(LintRules.base.utf8),
                            "broken/sp-10gbe.yaml": Self.bom + Array(broken.utf8)]) { root in
            let clean = Registry.lint(paths: [root + "/wangxun"], options: LintOptions(vendorName: nil))
            #expect(clean.diagnostics.isEmpty, "\(clean.diagnostics.map(\.description))")
            #expect(clean.entries.first?.entry.vendorName == "Wangxun")
            #expect(clean.entries.first?.locations.value("vendor") == SourcePosition(line: 2, column: 9))
            let bad = Registry.lint(paths: [root + "/broken"], options: LintOptions(vendorName: nil))
            let syntax = try #require(bad.diagnostics.first { $0.rule == LintRules.yamlSyntax.id }, "\(bad.diagnostics)")
            #expect(syntax.line == 3 || syntax.line == 4, "\(syntax)")
        }
    }

    /// Hidden files and folders are skipped with a warning naming them; `*.YAML` files are
    /// registry files (path-mismatch says where they belong); a folder without registry files
    /// is an error, not "0 files".
    @Test func nothingIsSkippedWithoutAWord() async throws {
        let text = Array(LintRules.base.utf8)
        try await registry([".hidden/wangxun/sp-10gbe.yaml": text, "wangxun/.sp-10gbe.yaml": text]) { root in
            guard let r = try await acsquirk(["lint", root], env: ["NO_COLOR": "1"]) else { return }
            #expect(r.status != 0, "a registry of hidden files lints clean: \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains(root + "/.hidden") && r.stdout.contains(root + "/wangxun/.sp-10gbe.yaml"), "\(r.stdout)")
            #expect(r.stdout.contains("hidden"), "\(r.stdout)")
            #expect(r.stdout.contains("no registry files"), "\(r.stdout)")
        }
        try await registry(["wangxun/sp-10gbe.YAML": text]) { root in
            guard let r = try await acsquirk(["lint", root], env: ["NO_COLOR": "1"]) else { return }
            #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("\(root)/wangxun/sp-10gbe.YAML:4:9: error: [path-mismatch]"), "\(r.stdout)")
            #expect(r.stdout.contains("belongs in 'sp-10gbe.yaml'"), "\(r.stdout)")
            #expect(r.stderr.contains("in 1 file"), "\(r.stderr)")
        }
        try await registry([:]) { root in
            guard let r = try await acsquirk(["lint", root], env: ["NO_COLOR": "1"]) else { return }
            #expect(r.status == 1, "an empty registry folder lints clean: \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains(root) && r.stdout.contains("no registry files"), "\(r.stdout)")
        }
    }

    /// A family without letters or digits gets no `.yaml` suggestion; a long one a name of at
    /// most 255 bytes, which `new` writes and lint then accepts as the entry's place.
    @Test func suggestedNamesAreNamesAFileSystemAccepts() async throws {
        let dots = LintRules.base.replacingOccurrences(of: "family: SP 10GbE", with: "family: \"..\"")
        let long = String(repeating: "Quad port 10GbE ", count: 25) + "NIC"
        let longText = LintRules.base.replacingOccurrences(of: "family: SP 10GbE", with: "family: \(long)")
        try await registry(["wangxun/dots.yaml": Array(dots.utf8), "wangxun/long.yaml": Array(longText.utf8)]) { root in
            let r = Registry.lint(paths: [root], options: LintOptions(vendorName: nil))
            let messages = r.diagnostics.filter { $0.rule == LintRules.pathMismatch.id }.map(\.message)
            let dotsMessage = try #require(messages.first { $0.contains("'..'") }, "\(messages)")
            #expect(!dotsMessage.contains("'.yaml'"), "\(dotsMessage)")
            #expect(dotsMessage.contains("letters or digits"), "\(dotsMessage)")
            let longMessage = try #require(messages.first { $0.contains("Quad port") }, "\(messages)")
            let suggested = try #require(longMessage.components(separatedBy: "belongs in '").dropFirst().first?
                .components(separatedBy: "'").first, "\(longMessage)")
            #expect(suggested.hasSuffix(".yaml") && suggested.utf8.count <= 255, "\(suggested.utf8.count) bytes: \(suggested)")
        }
        // `new` with that family writes the entry and its dump under names of at most 255 bytes.
        let dir = try Fixtures.temporaryDirectory("registry-long-family")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let n = try await acsquirk(["new", "--device", "01:00.0", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"),
                                          "--family", long, "--out", dir.path]) else { return }
        #expect(n.status == 0, "\(n.stdout)\(n.stderr)")
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: dir.path)) ?? []
        let yaml = try #require(names.first { $0.hasSuffix(".yaml") }, "\(names)")
        #expect(names.contains(String(yaml.dropLast(5)) + ".dump.txt"))
        for name in names { #expect((name as NSString).lastPathComponent.utf8.count <= 255, "\(name)") }
        let lint = Registry.lint(paths: [dir.path + "/" + yaml], options: LintOptions(vendorName: nil))
        #expect(!lint.diagnostics.contains { $0.rule == LintRules.pathMismatch.id }, "\(lint.diagnostics.map(\.description))")
    }
}
