import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport

/// `Registry.loadForPrediction`: the kernel's table always comes from the shipped registry;
/// user registries only add what-if material.
@Suite struct PredictionRegistryTests {
    static let newEntry = """
        schema: 1
        vendor: 0x8086
        vendor-name: Intel
        family: 82574L
        devices: [0x10d3]
        applies-to:
          port-type: endpoint
        isolation:
          kind: no-peer-to-peer
          acs-equivalent: [SV, TB, RR, CR, UF, DT]
        evidence:
          statement: Intel has verified that the functions of the 82574L do not perform peer-to-peer.
          confirmed-by: Jane Doe <jane.doe@vendor.example>
        kernel:
          status: new

        """

    func writeFolder(_ dir: URL, _ files: [String: String]) throws -> String {
        for (rel, text) in files {
            let url = dir.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return dir.path
    }

    @Test func anExtraFolderAddsWhatIfEntriesAndKeepsTheKernelTable() throws {
        try withTemporaryDirectory("prediction") { dir in
            let extra = try writeFolder(dir, ["intel/82574l.yaml": Self.newEntry])
            let r = try Registry.loadForPrediction(extra: [extra], shipped: quirksFolder)
            #expect(r.shippedPath == quirksFolder)
            #expect(r.kernel.count == 33)
            #expect(Registry.kernelTable(r.kernel).count == 132)
            #expect(r.whatIf.map(\.entry.family) == ["82574L"])
            #expect(r.warnings.isEmpty)
            // Without extra paths: the same table, no what-if (the shipped registry is all upstream).
            let plain = try Registry.loadForPrediction(shipped: quirksFolder)
            #expect(plain.kernelEntries == r.kernelEntries)
            #expect(plain.whatIf.isEmpty)
        }
    }

    @Test func theShippedRegistryGivenAgainAddsNothing() throws {
        let r = try Registry.loadForPrediction(extra: [quirksFolder, quirksFolder + "/intel/82576.yaml"], shipped: quirksFolder)
        #expect(r.kernel.count == 33)
        #expect(r.whatIf.isEmpty)
        #expect(r.warnings.isEmpty)
    }

    @Test func aCopyOfAnUpstreamEntryIsSkippedAndAChangedOneIsWhatIf() throws {
        try withTemporaryDirectory("prediction") { dir in
            let original = try String(contentsOfFile: quirksFolder + "/intel/82576.yaml", encoding: .utf8)
            let changed = original.replacingOccurrences(of: "family: \"82576\"", with: "family: 82576 more")
                .replacingOccurrences(of: "family: '82576'", with: "family: 82576 more")
            #expect(changed != original)
            let extra = try writeFolder(dir, ["intel/82576.yaml": original, "intel/82576-more.yaml": changed])
            let r = try Registry.loadForPrediction(extra: [extra], shipped: quirksFolder)
            #expect(r.kernel.count == 33)
            #expect(r.whatIf.map(\.entry.family) == ["82576 more"])
            #expect(r.warnings.count == 1)
            let w = try #require(r.warnings.first)
            #expect(w.message.contains("is not in the shipped registry's kernel table"))
            #expect(w.severity == .warning && w.rule == PredictionRegistry.upstreamNotShippedRule)
            // At the changed entry's file and its first line, as the text reporter prints it.
            #expect(w.path == extra + "/intel/82576-more.yaml" && w.line == 1)
            #expect(w.description.hasPrefix(extra + "/intel/82576-more.yaml:1: warning: [upstream-not-shipped] upstream entry "))
        }
    }

    @Test func aBrokenOrEmptyShippedRegistryIsAnError() throws {
        try withTemporaryDirectory("prediction") { dir in
            // Only a new entry: no kernel table at all.
            let onlyNew = try writeFolder(dir.appendingPathComponent("a"), ["intel/82574l.yaml": Self.newEntry])
            #expect {
                try Registry.loadForPrediction(shipped: onlyNew)
            } throws: { e in
                guard let e = e as? PredictionRegistryError, case .shippedInvalid(_, let d) = e else { return false }
                return d.isEmpty && e.description.contains("holds no upstream entries")
            }
            // A shipped entry with an error.
            let bad = try writeFolder(dir.appendingPathComponent("b"),
                                      ["intel/82574l.yaml": Self.newEntry.replacingOccurrences(of: "vendor: 0x8086", with: "vendor: 8086")])
            #expect {
                try Registry.loadForPrediction(shipped: bad)
            } throws: { e in
                guard let e = e as? PredictionRegistryError, case .shippedInvalid(_, let d) = e else { return false }
                return d.map(\.rule) == ["hex-id"] && e.description.hasPrefix("the shipped registry \(bad) has errors")
            }
            // A missing shipped folder.
            #expect(throws: PredictionRegistryError.self) { try Registry.loadForPrediction(shipped: dir.path + "/none") }
            // An extra path with errors or missing is an error too (a partial what-if would mislead).
            #expect {
                try Registry.loadForPrediction(extra: [dir.path + "/missing"], shipped: quirksFolder)
            } throws: { e in
                guard let e = e as? PredictionRegistryError, case .extraInvalid = e else { return false }
                return e.description.contains("\(dir.path)/missing: error: [unreadable] no such file or directory")
            }
        }
    }

    @Test func notFoundNamesEveryPlaceLookedAndTheWayOut() {
        let home = ProjectResources.lookup("quirks", environment: nil, executable: "/nonexistent/bin/acsquirk", buildCheckout: "/nonexistent/src")
        #expect(home.path == nil)
        let text = PredictionRegistryError.shippedNotFound(looked: home.looked).description
        #expect(text.contains("/nonexistent/share/acsquirk/quirks (next to the executable /nonexistent/bin/acsquirk)"), "\(text)")
        #expect(text.contains("$ACSQUIRK_HOME: not set"))
        #expect(text.contains("the checkout holding /nonexistent/bin/acsquirk"))
        #expect(text.contains("/nonexistent/src (the checkout this binary was built from)"))
        #expect(text.contains("make install") && text.contains("ACSQUIRK_HOME"))
    }
}

/// `kernel.since`: `vX.Y` or `<=vX.Y`; a sublevel parses so that lint can reject it.
@Suite struct KernelReleaseTests {
    @Test func parsesReleasesAndBounds() throws {
        let a = try #require(KernelRelease("v6.3"))
        #expect(a == KernelRelease(major: 6, minor: 3))
        #expect(a.phrase == "v6.3")
        let b = try #require(KernelRelease("<=v6.1"))
        #expect(b.upperBound && b.sublevel == nil && b.mainline == "v6.1")
        #expect(b.phrase == "not recorded (present in v6.1)")
        #expect(b.description == "<=v6.1")
        let c = try #require(KernelRelease("v6.12.117"))
        #expect(c.sublevel == 117 && c.mainline == "v6.12" && c.description == "v6.12.117")
        for bad in ["6.3", "v6", "v6.", "v7.0-rc1", "<v6.1", "<= v6.1", "v6.1.2.3", "vx.y", "", "v٦.١"] {
            #expect(KernelRelease(bad) == nil, "\(bad)")
        }
    }
}

/// `lint` runs the semantic rules on what could be loaded despite schema errors.
@Suite struct PartialLintTests {
    func lint(_ text: String) throws -> [String] {
        try withTemporaryDirectory("partial-lint") { dir in
            let p = dir.appendingPathComponent("quirks/intel/82574l.yaml")
            try FileManager.default.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: p)
            let r = Registry.lint(paths: [p.path], options: LintOptions(vendorName: nil))
            #expect(r.entries.isEmpty, "an entry with schema errors is never loaded for use")
            return r.diagnostics.map { "\($0.line ?? 0):\($0.column ?? 0) [\($0.rule ?? "")]" }
        }
    }

    @Test func anUnknownKeyDoesNotHideTheOtherProblems() throws {
        let text = PredictionRegistryTests.newEntry
            .replacingOccurrences(of: "  port-type: endpoint", with: "  port-type: endpoint\n  revision: 0x01")
            .replacingOccurrences(of: "do not perform", with: "should not perform")
            .replacingOccurrences(of: "Jane Doe <jane.doe@vendor.example>", with: "jane")
        #expect(try lint(text) == ["8:3 [unknown-key]", "13:14 [hedged-statement]", "14:17 [confirmed-by-format]"])
    }

    @Test func rulesThatReadAFieldInErrorAreLeftOut() throws {
        // port-type is not a known word: claim-port-type (which reads it) and duplicate checks
        // stay quiet; the family/path mismatch (which does not) is still reported.
        let text = PredictionRegistryTests.newEntry
            .replacingOccurrences(of: "  port-type: endpoint", with: "  port-type: root")
            .replacingOccurrences(of: "family: 82574L", with: "family: 82574")
        #expect(try lint(text) == ["4:9 [path-mismatch]", "7:14 [invalid-value]"])
        // A missing acs-equivalent does not also count as "acs-equivalent incomplete".
        let missing = PredictionRegistryTests.newEntry.replacingOccurrences(of: "  acs-equivalent: [SV, TB, RR, CR, UF, DT]\n", with: "")
        #expect(try lint(missing) == ["9:3 [missing-key]"])
        // A malformed vendor hides the vendor rules but not the evidence rules.
        let vendor = PredictionRegistryTests.newEntry.replacingOccurrences(of: "vendor: 0x8086", with: "vendor: 8086")
            .replacingOccurrences(of: "do not perform", with: "might not perform")
        #expect(try lint(vendor) == ["2:9 [hex-id]", "12:14 [hedged-statement]"])
    }
}
