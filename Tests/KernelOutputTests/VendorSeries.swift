import Foundation
import KernelOutput
import PCIConfig
import Registry
import Testing
import TestSupport

/// Six entries written as vendor engineers write them (what `acsquirk new` scaffolds, the
/// evidence filled in; Tests/Fixtures/kernel-output/vendor-series, invented device IDs), one of
/// each shape of code: rows calling pci_quirk_mf_endpoint_acs() for a vendor without a
/// pci_ids.h macro (NebulaMatrix), an ID range in a new function with a `switch` (Pericom), a
/// new root-port function (Rockchip), Intel rows that must come before Intel's vendor-wide rows,
/// a `case` in Zhaoxin's ID switch (its vendor-wide row answers "not isolated" for other IDs),
/// and a row reusing pci_quirk_qcom_rp_acs() for a Qualcomm root port (posted, with an ack given
/// on the list).
enum VendorSeries {
    static let directory = Fixtures.path("kernel-output/vendor-series")
    static let author = Identity("Test Author <author@example.com>")!

    /// The entries, linted together with the project's quirks/ as `acsquirk patch` lints them
    /// (every rule; no lint error, or the commands would refuse them).
    static func entries() throws -> [LoadedEntry] {
        let lint = Registry.lint(paths: [Fixtures.repoPath("quirks"), directory], options: LintOptions(vendorName: nil))
        try #require(!lint.diagnostics.hasErrors, "\(lint.diagnostics.map(\.description))")
        let entries = lint.entries.filter { $0.path.hasPrefix(directory + "/") }
        try #require(entries.count == 6)
        return entries
    }

    static func entry(_ suffix: String) throws -> LoadedEntry {
        try #require(try entries().first { $0.path.hasSuffix(suffix + ".yaml") })
    }

    /// The series on the tree `version` (no --date: the newest evidence date).
    static func series(_ version: String) throws -> PatchSeries {
        let (text, macros) = try KernelTrees.quirks(version)
        return try PatchSeries(entries: try entries(), quirks: text, macros: macros,
                               renderer: CodeRenderer(templates: try KernelTrees.templates()), from: author, date: nil)
    }
}
