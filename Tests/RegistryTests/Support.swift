import Foundation
import Registry
import Testing
import TestSupport

/// A Debian kernel tree unpacked by scripts/kernel-trees.sh (`KernelTreeCache`). Records a
/// failure telling how to get it when it is missing.
func kernelTree(_ version: String) -> String? {
    do {
        return try KernelTreeCache.tree(version)
    } catch {
        Issue.record("\(error)")
        return nil
    }
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
