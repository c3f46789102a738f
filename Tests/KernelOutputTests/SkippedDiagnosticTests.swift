import Diagnostics
import Foundation
import KernelOutput
import Registry
import Testing
import TestSupport

/// Issue #11: the entries `generate` and `patch` skip are notes at the entry's file and line,
/// printed by the one text reporter.
@Suite struct SkippedDiagnosticTests {
    /// `generate` over the shipped registry: every upstream entry is skipped, each note naming
    /// its file, the line of its first key and the rule.
    @Test func upstreamEntriesOfQuirksAreSkippedAtTheirFileAndLine() throws {
        let loaded = Registry.load(paths: [quirksFolder])
        #expect(!loaded.diagnostics.hasErrors)
        let upstream = loaded.entries.filter { $0.entry.kernel.status == .upstream }
        #expect(!upstream.isEmpty)
        let stubs = try StubFiles(entries: loaded.entries, model: QuirkTableModel(upstream: upstream.map(\.entry)),
                                  renderer: CodeRenderer(templates: try KernelTrees.templates()))
        let skippedUpstream = stubs.skipped.filter { $0.rule == .alreadyUpstream }
        #expect(Set(skippedUpstream.map(\.entry.path)) == Set(upstream.map(\.path)))
        for s in skippedUpstream {
            let d = s.diagnostic
            #expect(d.severity == .note && d.rule == "already-upstream")
            #expect(d.path == s.entry.path && d.line == s.entry.line && d.line == 1)
            #expect(d.description == "\(s.entry.path):\(s.entry.line): note: [already-upstream] skipped: kernel.status is upstream")
        }
    }
}
