import Foundation
import KernelOutput
import Testing
import TestSupport
@testable import BootProof

/// What the module route compiles: the rows a series added and the definitions they reach, read
/// from the patched quirks.c of Debian's linux-source-6.12 (no QEMU).
@Suite struct ProofModuleSourceTests {
    /// The tree's quirks.c, and `patched` (default: the same text) read with the tree's macros.
    static func sources(_ patched: String? = nil) throws -> (base: QuirksSource, patched: QuirksSource) {
        let files = try KernelTreeFiles(root: try ProveFixtures.kernelTree())
        let base = try files.source()
        return (base, try patched.map { try QuirksSource(text: $0, macros: files.macros) } ?? base)
    }

    /// The series of `combined` (82574L rows for pci_quirk_mf_endpoint_acs, a new root-port
    /// function): exactly its two rows, and the three definitions they reach, verbatim and in
    /// file order.
    @Test func copiesTheAddedRowsAndWhatTheyCall() async throws {
        let c = try #require(ProveFixtures.cases.first { $0.name == "combined" })
        let prover = try ProveFixtures.prover("module-source")
        let dir = prover.work + "/combined"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let patchedPath = try await prover.applySeries(try await prover.makeSeries(c, in: dir), in: dir)
        let text = try String(contentsOfFile: patchedPath, encoding: .utf8)
        let (base, patched) = try Self.sources(text)
        let m = try ProofModuleSource(base: base, patched: patched)

        #expect(m.rows.map(\.function) == ["pci_quirk_mf_endpoint_acs", "pci_quirk_redhat_qemu_acs"])
        #expect(m.rows.map(\.deviceToken) == ["0x10d3", "0x000c"])
        #expect(m.rows.count == patched.table.rows.count - base.table.rows.count)
        #expect(m.definitions == ["pci_acs_ctrl_enabled", "pci_quirk_mf_endpoint_acs",
                                  "pci_quirk_redhat_qemu_acs"])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for name in m.definitions {
            let f = try #require(patched.functions[name])
            let body = lines[(f.startLine - 1)..<f.closeLine].joined(separator: "\n")
            #expect(m.header.contains(body + "\n"), "\(name) is not copied verbatim")
        }
        for row in m.rows { #expect(m.header.contains(lines[row.line - 1] + "\n")) }
        #expect(m.header.contains("static const struct acs_quirk_row acs_quirk_rows[] = {\n"))
        #expect(m.header.hasSuffix("\t{ 0 }\n};\n"))
        // Nothing of the kernel's own table is copied.
        #expect(!m.header.contains("pci_quirk_intel_pch_acs"))
    }

    @Test func refusesASeriesWithoutRows() throws {
        let (base, _) = try Self.sources()
        let e = #expect(throws: KernelOutputError.self) { try ProofModuleSource(base: base, patched: base) }
        #expect(e?.description.contains("the series adds no row to pci_dev_acs_enabled[]") == true)
    }

    /// An ID list extended inside an existing function (the Intel PCH root-port list) is not
    /// reached by any added row: the module cannot run it, so it is refused rather than dropped.
    @Test func refusesAChangeNoAddedRowReaches() throws {
        let (base, _) = try Self.sources()
        let marker = "static const u16 pci_quirk_intel_pch_acs_ids[] = {\n"
        // one unrelated new row, so the series does add a row, right before the table's { 0 }
        var lines = base.lines
        lines.insert("\t{ 0x1f2a, 0x0100, pci_quirk_mf_endpoint_acs },", at: base.table.terminatorLine - 1)
        let text = lines.joined(separator: "\n") + "\n"
        #expect(text.contains(marker))
        let (_, patched) = try Self.sources(text.replacingOccurrences(of: marker, with: marker + "\t0x7fe0,\n"))
        let e = #expect(throws: KernelOutputError.self) { try ProofModuleSource(base: base, patched: patched) }
        #expect(e?.description.contains("the series changes pci_quirk_intel_pch_acs_ids, which no added row calls") == true, "\(e?.description ?? "")")
    }
}
