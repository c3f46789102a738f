import Diagnostics
import Foundation
import PCIAccess
import Registry
import Testing
import TestSupport

/// Writes an example's files under a fresh temporary folder and lints exactly those paths.
func lintExample(_ ex: RuleExample) throws -> (diagnostics: [Diagnostic], expected: [String: [SourcePosition]], root: URL) {
    let root = try Fixtures.temporaryDirectory("lint-example")
    var paths: [String] = []
    var expected: [String: [SourcePosition]] = [:]
    for f in ex.files {
        let full = root.appendingPathComponent(f.path).path
        let (bytes, exp) = f.materialize()
        if case .folder = f.content {
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        } else if let bytes {
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: full))
        }
        paths.append(full)
        expected[full] = exp
    }
    if let lint = ex.lint { paths = lint.map { root.appendingPathComponent($0).path } }
    let result = Registry.lint(paths: paths, options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
    return (result.diagnostics, expected, root)
}

@Suite struct LintRuleExamples {
    @Test func pciIDsIsInstalled() {
        // The unknown-vendor examples need the real database (Debian package pci.ids).
        #expect(PCINameDatabase.shared?.isAvailable == true, "pci.ids is missing: apt-get install pci.ids")
        #expect(PCINameDatabase.vendorName(0x8086) == "Intel Corporation")
        #expect(PCINameDatabase.vendorName(0x0002) == nil)
    }

    @Test func ruleIDsAreUniqueAndDescribed() {
        let ids = LintRules.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for r in LintRules.all {
            #expect(r.id.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, "\(r.id)")
            #expect(!r.description.isEmpty && !r.description.contains("\n"), "\(r.id)")
            #expect(!r.good.isEmpty && !r.bad.isEmpty, "\(r.id) needs good and bad examples")
        }
    }

    @Test(arguments: LintRules.all.map(\.id))
    func goodExamplesAreClean(_ id: String) throws {
        let rule = try #require(LintRules.rule(id))
        for ex in rule.good {
            let (diags, _, root) = try lintExample(ex)
            defer { try? FileManager.default.removeItem(at: root) }
            #expect(diags.isEmpty, "good example of \(id) produced:\n\(diags.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test(arguments: LintRules.all.map(\.id))
    func badExamplesTripExactlyTheirRule(_ id: String) throws {
        let rule = try #require(LintRules.rule(id))
        for (n, ex) in rule.bad.enumerated() {
            let (diags, expected, root) = try lintExample(ex)
            defer { try? FileManager.default.removeItem(at: root) }
            let got = diags.map { "\($0.path ?? ""):\($0.line ?? 1):\($0.column ?? 1) [\($0.rule ?? "")] \($0.severity.rawValue)" }.sorted()
            let want = expected.flatMap { path, positions in
                positions.map { "\(path):\($0.line):\($0.column) [\(id)] \(rule.severity.rawValue)" }
            }.sorted()
            #expect(!want.isEmpty)
            #expect(got == want, "bad example \(n + 1) of \(id):\n\(diags.map(\.description).joined(separator: "\n"))")
        }
    }
}
