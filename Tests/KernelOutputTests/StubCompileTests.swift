import Foundation
import KernelOutput
import Registry
import Testing
import TestSupport

/// Every generated stub file, the hostile entry's included, compiles with gcc after a prelude of
/// the kernel definitions it uses: -Wall -Wextra -Werror, and with -trigraphs too (a `??/` in a
/// comment must not splice lines).
struct StubCompileTests {
    @Test(arguments: [["-std=gnu11"], ["-std=gnu11", "-trigraphs"]])
    func stubsCompile(flags: [String]) async throws {
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        let upstream = try UpstreamFixture.entries()
        let stubs = try StubFiles(entries: TestRegistry.series, model: QuirkTableModel(upstream: upstream), renderer: renderer)
        #expect(stubs.files.count == 7)
        let dir = try Fixtures.temporaryDirectory("acsquirk-stubs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prelude = Fixtures.path("kernel-output/stub-prelude.h")
        for f in stubs.files {
            let c = dir.appendingPathComponent((f.path as NSString).lastPathComponent).path
            try f.text.write(toFile: c, atomically: true, encoding: .utf8)
            let r = try await runTool("gcc", flags + ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
                                                      "-include", prelude, c])
            #expect(r.status == 0, "\(f.path):\n\(r.stderr)")
            #expect(r.stderr.isEmpty, "\(f.path):\n\(r.stderr)")
        }
        // The hostile text stayed inside comments: no symbol `pwned`, and its `#define` of
        // pci_acs_ctrl_enabled did not reach the preprocessor.
        let evil = try #require(stubs.files.first { $0.path.contains("evil") })
        let c = dir.appendingPathComponent("evil.c").path, o = dir.appendingPathComponent("evil.o").path
        try evil.text.write(toFile: c, atomically: true, encoding: .utf8)
        try #require(try await runTool("gcc", flags + ["-c", "-include", prelude, c, "-o", o]).status == 0)
        let symbols = try await runTool("nm", [o]).stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(Set(symbols) == ["pci_quirk_evil_q_acs", "acsquirk_evil_int_pwned_1_corp_acs_rows",
                                 "pci_acs_ctrl_enabled", "pci_quirk_mf_endpoint_acs", "pci_dev_acs_enabled", "pci_is_pcie", "pci_pcie_type"])
        let preprocessed = try await runTool("gcc", flags + ["-E", "-P", "-include", prelude, c]).stdout
        #expect(preprocessed.contains("return pci_acs_ctrl_enabled(acs_flags,"))
    }
}
