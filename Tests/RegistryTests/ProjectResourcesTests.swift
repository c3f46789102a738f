import Foundation
import Registry
import Testing
import TestSupport

/// `ProjectResources.locate`: $ACSQUIRK_HOME, then ./, then the repository of the executable.
struct ProjectResourcesTests {
    @Test func searchOrder() throws {
        let tmp = try Fixtures.temporaryDirectory("acsquirk-resources")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let fm = FileManager.default
        // A fake checkout: Package.swift + quirks/ + templates/, a binary deep in .build, and a
        // symlink to it elsewhere (as in ~/bin/acsquirk -> checkout/.build/debug/acsquirk).
        let repo = tmp.appendingPathComponent("checkout")
        for d in ["quirks", "templates", ".build/debug"] {
            try fm.createDirectory(at: repo.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        try "// swift-tools-version: 6.2\n".write(to: repo.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        let exe = repo.appendingPathComponent(".build/debug/acsquirk")
        try "".write(to: exe, atomically: true, encoding: .utf8)
        let bin = tmp.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: bin.appendingPathComponent("acsquirk").path, withDestinationPath: exe.path)
        let elsewhere = tmp.appendingPathComponent("elsewhere")
        try fm.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let home = tmp.appendingPathComponent("home")
        try fm.createDirectory(at: home.appendingPathComponent("quirks"), withIntermediateDirectories: true)

        // From the executable's real path (through the symlink), from any directory.
        #expect(ProjectResources.locate("quirks", home: nil, currentDirectory: elsewhere.path,
                                        executable: bin.appendingPathComponent("acsquirk").path) == repo.appendingPathComponent("quirks").path)
        #expect(ProjectResources.locate("templates", home: "", currentDirectory: elsewhere.path, executable: exe.path)
                == repo.appendingPathComponent("templates").path)
        // A name the checkout does not have.
        #expect(ProjectResources.locate("nope", home: nil, currentDirectory: elsewhere.path, executable: exe.path) == nil)
        // ./ wins over the executable's repository.
        try fm.createDirectory(at: elsewhere.appendingPathComponent("quirks"), withIntermediateDirectories: true)
        #expect(ProjectResources.locate("quirks", home: nil, currentDirectory: elsewhere.path, executable: exe.path)
                == elsewhere.appendingPathComponent("quirks").path)
        // $ACSQUIRK_HOME wins over ./; a home without the name falls through.
        #expect(ProjectResources.locate("quirks", home: home.path, currentDirectory: elsewhere.path, executable: exe.path)
                == home.appendingPathComponent("quirks").path)
        #expect(ProjectResources.locate("templates", home: home.path, currentDirectory: elsewhere.path, executable: exe.path)
                == repo.appendingPathComponent("templates").path)
        // A binary outside any checkout finds nothing.
        let lone = tmp.appendingPathComponent("lone/acsquirk")
        try fm.createDirectory(at: lone.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "".write(to: lone, atomically: true, encoding: .utf8)
        #expect(ProjectResources.locate("quirks", home: nil, currentDirectory: tmp.path, executable: lone.path) == nil)
        // The test binary itself lives in this repository's .build: the real quirks/ is found.
        #expect(ProjectResources.locate("quirks", home: nil, currentDirectory: tmp.path, executable: nil) == nil)
        let real = try #require(ProjectResources.locate("quirks", home: nil, currentDirectory: tmp.path,
                                                        executable: try fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")))
        #expect(URL(fileURLWithPath: real).standardizedFileURL.path == Fixtures.repoPath("quirks"))
    }

    /// Located directories under the current directory are written relative to it.
    @Test func relativeToTheCurrentDirectory() throws {
        let dir = try Fixtures.temporaryDirectory("relative")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("quirks/intel"), withIntermediateDirectories: true)
        #expect(ProjectResources.relative(dir.path + "/quirks", to: dir.path) == "quirks")
        #expect(ProjectResources.relative(dir.path + "/quirks/intel/../intel", to: dir.path + "/") == "quirks/intel")
        #expect(ProjectResources.relative(dir.path, to: dir.path) == ".")
        // Not under it: unchanged (a sibling whose name starts the same is not under it either).
        #expect(ProjectResources.relative("/usr/share/quirks", to: dir.path) == "/usr/share/quirks")
        #expect(ProjectResources.relative(dir.path + "-other/quirks", to: dir.path) == dir.path + "-other/quirks")
        // Symlinked current directory: compared with links resolved.
        let link = dir.path + "-link"
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir.path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        #expect(ProjectResources.relative(dir.path + "/quirks", to: link) == "quirks")
    }
}
