import Foundation
import Registry
import Testing
import TestSupport

/// A Debian kernel tree unpacked by scripts/kernel-trees.sh (env ACSQUIRK_CACHE, default
/// $HOME/.cache/acsquirk). Records a failure telling how to get it when it is missing.
func kernelTree(_ version: String) -> String? {
    let env = ProcessInfo.processInfo.environment
    let cache = env["ACSQUIRK_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache/acsquirk"
    let tree = "\(cache)/linux-source-\(version)"
    if FileManager.default.fileExists(atPath: tree + "/drivers/pci/quirks.c") { return tree }
    Issue.record("kernel tree \(tree) is missing: run scripts/kernel-trees.sh 6.12 6.1 (make test does)")
    return nil
}

/// The committed registry folder.
let quirksFolder = Fixtures.repoPath("quirks")

/// The kernel table fixture: (vendor hex, vendor macro, device hex or ANY, function), in order.
func fixtureTable() throws -> [[String]] {
    let text = try Fixtures.text("kernel-acs-table.tsv")
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
}

/// Registry files (YAML) under a folder, sorted, relative to it.
func yamlFiles(_ root: String) -> [String] {
    Registry.files(in: [root]).files.map { String($0.dropFirst(root.count + 1)) }.sorted()
}

/// A fresh temp folder removed at the end of `body`.
func withTemporaryDirectory<T>(_ name: String = "registry-test", _ body: (URL) throws -> T) throws -> T {
    let dir = try Fixtures.temporaryDirectory(name)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// A fresh temp folder removed at the end of `body`.
func withTemporaryDirectoryAsync(_ body: (URL) async throws -> Void) async throws {
    let dir = try Fixtures.temporaryDirectory("registry-import")
    defer { try? FileManager.default.removeItem(at: dir) }
    try await body(dir)
}
