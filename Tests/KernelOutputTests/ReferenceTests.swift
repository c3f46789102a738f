import Foundation
import KernelOutput
import Registry
import Testing
import TestSupport

/// Generated files against committed copies in Tests/Fixtures/kernel-output/expected/ (a diff is
/// printed on mismatch). `ACSQUIRK_RECORD=1 swift test --filter ReferenceTests` re-records them.
///
/// Patches are compared without what depends on the exact tree they were made on (`treeIndependent`):
/// Debian serves several 6.12.x at once and rotates them, and a stable update that moves
/// drivers/pci/quirks.c by a few lines changes every hunk header and blob ID while the patch stays
/// the same. What proves a patch right on the installed tree (`git apply --check`, `git am`,
/// `checkpatch.pl --strict`, compiling quirks.o) runs every time in KernelTreeProofTests.
struct ReferenceTests {
    static let expected = Fixtures.path("kernel-output/expected")
    static var recording: Bool { ProcessInfo.processInfo.environment["ACSQUIRK_RECORD"] == "1" }

    /// Compares `files` with the committed copies under `expected/<dir>/<subdir>` (`subdir` empty:
    /// the whole folder). `generate`'s folder also holds the static ACS tables, which
    /// CommandTests compares; the stub renderer alone owns `generate/quirks`.
    static func compare(_ files: [(path: String, text: String)], under dir: String, only subdir: String = "") async throws {
        let root = (expected as NSString).appendingPathComponent(dir)
        if recording {
            try? FileManager.default.removeItem(atPath: subdir.isEmpty ? root : root + "/" + subdir)
            try OutputWriter.write(files, under: root)
        }
        let committed = try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { subdir.isEmpty || $0.hasPrefix(subdir + "/") }
            .filter { !$0.hasSuffix("/") && FileManager.default.isReadableFile(atPath: root + "/" + $0) }
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &d) && !d.boolValue }
            .sorted()
        #expect(committed == files.map(\.path).sorted(), "files in \(root)")
        for f in files {
            let want = (try? String(contentsOfFile: root + "/" + f.path, encoding: .utf8)) ?? ""
            let (a, b) = f.path.hasSuffix(".patch") ? (treeIndependent(want), treeIndependent(f.text)) : (want, f.text)
            if a != b {
                Issue.record("\(dir)/\(f.path) differs from the committed copy:\n\(await textDiff(expected: a, actual: b))")
            }
        }
    }

    /// `patch` with the parts that depend on the tree it was made on blanked: the line numbers of
    /// hunk headers (`@@ -4826,6 +4826,32 @@ static …` → `@@ -L,6 +L,32 @@ static …`: the lengths,
    /// the context text and every line of the hunk stay) and the blob IDs of `index` lines.
    static func treeIndependent(_ patch: String) -> String {
        var inDiff = false
        return patch.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("diff --git ") { inDiff = true }
            guard inDiff else { return String(line) }
            if line.hasPrefix("index "), let dots = line.range(of: "..") {
                let mode = line[dots.upperBound...].drop { $0 != " " }
                return "index <blob>..<blob>" + mode
            }
            if line.hasPrefix("@@ -"), let end = line.range(of: " @@", range: line.index(line.startIndex, offsetBy: 3)..<line.endIndex) {
                let ranges = line[line.index(line.startIndex, offsetBy: 3)..<end.lowerBound].split(separator: " ").map { r in
                    let sign = r.prefix(1), body = r.dropFirst()
                    return sign + "L" + (body.firstIndex(of: ",").map { String(body[$0...]) } ?? "")
                }
                return "@@ " + ranges.joined(separator: " ") + line[end.lowerBound...]
            }
            return String(line)
        }.joined(separator: "\n")
    }

    /// The hunk headers and index lines of a real patch blank as they should; the rest stays.
    @Test func treeIndependentBlanksOnlyOffsetsAndBlobs() {
        let patch = """
            Subject: [PATCH] PCI: x

            index 1..2 in the message stays
            ---
            diff --git a/drivers/pci/quirks.c b/drivers/pci/quirks.c
            index 0f8a1c9e2b..4d2e7f1a33 100644
            --- a/drivers/pci/quirks.c
            +++ b/drivers/pci/quirks.c
            @@ -4826,6 +4830,32 @@ static int pci_quirk_mf_endpoint_acs(struct pci_dev *dev, u16 acs_flags)
             \treturn 0;
            +@@ -1 +1 @@ text
            @@ -5 +9 @@
            """
        #expect(Self.treeIndependent(patch) == """
            Subject: [PATCH] PCI: x

            index 1..2 in the message stays
            ---
            diff --git a/drivers/pci/quirks.c b/drivers/pci/quirks.c
            index <blob>..<blob> 100644
            --- a/drivers/pci/quirks.c
            +++ b/drivers/pci/quirks.c
            @@ -L,6 +L,32 @@ static int pci_quirk_mf_endpoint_acs(struct pci_dev *dev, u16 acs_flags)
             \treturn 0;
            +@@ -1 +1 @@ text
            @@ -L +L @@
            """)
        // Another offset and other blobs compare equal; another hunk length or text does not.
        let moved = patch.replacingOccurrences(of: "-4826,6 +4830,32", with: "-4830,6 +4834,32")
            .replacingOccurrences(of: "0f8a1c9e2b..4d2e7f1a33", with: "aaaaaaaaaa..bbbbbbbbbb")
        #expect(Self.treeIndependent(moved) == Self.treeIndependent(patch))
        let longer = patch.replacingOccurrences(of: "+4830,32", with: "+4830,33")
        #expect(Self.treeIndependent(longer) != Self.treeIndependent(patch))
    }

    /// `generate` without a kernel tree: the upstream entries say which rows exist.
    @Test func stubFilesFromTheRegistry() async throws {
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        let upstream = try UpstreamFixture.entries().enumerated().map {
            LoadedEntry(entry: $0.element, path: "quirks/upstream/\($0.offset).yaml")
        }
        let model = QuirkTableModel(upstream: upstream.map(\.entry))
        let stubs = try StubFiles(entries: TestRegistry.registry + upstream, model: model, renderer: renderer)
        #expect(stubs.files.map(\.path) == ["quirks/synopsys.c", "quirks/zhaoxin.c", "quirks/example-silicon.c",
                                            "quirks/example-switches.c", "quirks/intel.c", "quirks/wangxun.c"])
        #expect(stubs.skipped.count == upstream.count)
        try await Self.compare(stubs.files.map { ($0.path, $0.text) }, under: "generate", only: "quirks")
        // Deterministic: the same input in another order gives the same bytes.
        let again = try StubFiles(entries: (TestRegistry.registry + upstream).reversed(), model: model, renderer: renderer)
        #expect(again.files == stubs.files)
    }

    /// `patch` on linux-source-6.12 (the lint-clean registry/, as `acsquirk patch` takes it).
    @Test func patchSeriesOn612() async throws {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let series = try PatchSeries(entries: TestRegistry.registry, quirks: text, macros: macros,
                                     renderer: CodeRenderer(templates: KernelTrees.templates()),
                                     from: Identity("Test Author <author@example.com>")!, date: nil)
        try await Self.compare(series.files, under: "patch-6.12")
    }

    /// The six vendor-engineer entries (`VendorSeries`), one series on each tree: the references
    /// show every shape of code the generator writes, as a maintainer reads them.
    @Test(arguments: KernelTrees.versions)
    func vendorSeries(version: String) async throws {
        let series = try VendorSeries.series(version)
        try await Self.compare(series.files, under: "vendor-series-\(version)")
    }
}
