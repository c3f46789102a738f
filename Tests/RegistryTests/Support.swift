import Foundation
import Registry
import Testing
import TestSupport

/// The committed registry folder.
let quirksFolder = Fixtures.repoPath("quirks")

/// Registry files (YAML) under a folder, sorted, relative to it.
func yamlFiles(_ root: String) -> [String] {
    Registry.files(in: [root]).files.map { String($0.dropFirst(root.count + 1)) }.sorted()
}

