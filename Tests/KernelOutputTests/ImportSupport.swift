import Foundation
import PCIConfig
import KernelOutput
import Registry
import Testing
import TestSupport

/// A Debian kernel tree unpacked by scripts/kernel-trees.sh (`KernelTrees.tree`); records a
/// failure telling how to get it when it is missing.
func kernelTree(_ version: String) -> String? {
    do { return try KernelTrees.tree(version) } catch {
        Issue.record("\(error)")
        return nil
    }
}

/// The committed registry folder.
let quirksFolder = Fixtures.repoPath("quirks")

/// The committed registry's entries: the families `import-kernel` names the tree's rows by.
func committedEntries() -> [QuirkEntry] { Registry.load(paths: [quirksFolder]).entries.map(\.entry) }

/// The kernel table fixture: (vendor hex, vendor macro, device hex or ANY, function), in order.
func fixtureTable() throws -> [[String]] {
    let text = try Fixtures.text("kernel-acs-table.tsv")
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
}

/// The table as a TSV line per row: vendor hex, vendor macro or (literal), device or ANY, function.
func tsv(vendor: UInt16, macro: String?, device: UInt16?, function: String) -> [String] {
    ["0x" + hex(vendor, width: 4), macro ?? "(literal)", device.map { "0x" + hex($0, width: 4) } ?? "ANY", function]
}

/// Registry files (YAML) under a folder, sorted, relative to it.
func yamlFiles(_ root: String) -> [String] {
    Registry.files(in: [root]).files.map { String($0.dropFirst(root.count + 1)) }.sorted()
}

/// The built `acsquirk`, run from the fixtures folder; nil (and a recorded issue) when not built.
func acsquirk(_ args: [String], env: [String: String] = [:]) async throws -> ToolResult? {
    guard let bin = builtAcsquirk() else {
        Issue.record("acsquirk is not built: run swift build --build-tests")
        return nil
    }
    return try await runTool("env", [bin] + args, workingDirectory: Fixtures.root.path, environment: env)
}
