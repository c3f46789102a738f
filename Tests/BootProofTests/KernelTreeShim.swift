import Foundation
import TestSupport

/// Debian's unpacked kernel tree of a series, as `scripts/kernel-trees.sh --print` names it (the
/// same script `make prove` asks), or `$ACSQUIRK_KERNEL_TREE_<series>` when the caller set it.
/// Shaped like TestSupport's KernelTreeCache of the install branch (#10); delete this file when
/// that lands.
enum KernelTreeCache {
    struct Missing: Error, CustomStringConvertible { var description: String }

    static func tree(_ series: String) throws -> String {
        let variable = "ACSQUIRK_KERNEL_TREE_" + series.replacingOccurrences(of: ".", with: "_")
        if let t = ProcessInfo.processInfo.environment[variable], !t.isEmpty { return try check(t) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Fixtures.repoPath("scripts/kernel-trees.sh"), "--print", series]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let path = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Missing(description: "scripts/kernel-trees.sh --print \(series) failed: \(message) (make test-deps installs linux-source-\(series))")
        }
        return try check(path)
    }

    private static func check(_ tree: String) throws -> String {
        guard FileManager.default.fileExists(atPath: tree + "/drivers/pci/quirks.c") else {
            throw Missing(description: "\(tree)/drivers/pci/quirks.c is missing (scripts/kernel-trees.sh unpacks the tree)")
        }
        return tree
    }
}
