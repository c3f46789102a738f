import Foundation
import KernelOutput
import Registry
import Testing
import TestSupport

/// Generated files against committed copies in Tests/Fixtures/kernel-output/expected/ (a diff is
/// printed on mismatch). `ACSQUIRK_RECORD=1 swift test --filter ReferenceTests` re-records them.
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
            if want != f.text {
                Issue.record("\(dir)/\(f.path) differs from the committed copy:\n\(await textDiff(expected: want, actual: f.text))")
            }
        }
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
