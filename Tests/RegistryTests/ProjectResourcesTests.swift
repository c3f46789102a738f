import Foundation
import Registry
import Testing
import TestSupport

/// `ProjectResources.lookup`: `../share/acsquirk` next to the executable, then $ACSQUIRK_HOME, then
/// the checkout holding the executable, then the checkout it was built from; never the current
/// directory.
struct ProjectResourcesTests {
    @Test func searchOrder() throws {
        let tmp = try Fixtures.temporaryDirectory("acsquirk-resources")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let fm = FileManager.default
        func dir(_ path: String) throws -> URL {
            let u = tmp.appendingPathComponent(path)
            try fm.createDirectory(at: u, withIntermediateDirectories: true)
            return u
        }
        func file(_ path: String) throws -> URL {
            let u = tmp.appendingPathComponent(path)
            try fm.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "".write(to: u, atomically: true, encoding: .utf8)
            return u
        }
        // A checkout with a binary deep in .build, and a symlink to it elsewhere
        // (~/bin/acsquirk -> checkout/.build/debug/acsquirk).
        let repo = try dir("checkout")
        for d in ["quirks", "templates"] { _ = try dir("checkout/" + d) }
        _ = try file("checkout/Package.swift")
        let exe = try file("checkout/.build/debug/acsquirk")
        let link = try dir("bin").appendingPathComponent("acsquirk")
        try fm.createSymbolicLink(atPath: link.path, withDestinationPath: exe.path)
        // An installed tree: PREFIX/bin/acsquirk and PREFIX/share/acsquirk/quirks.
        let installed = try file("prefix/bin/acsquirk")
        let share = try dir("prefix/share/acsquirk")
        _ = try dir("prefix/share/acsquirk/quirks")
        let home = try dir("home")
        _ = try dir("home/quirks")
        let lone = try file("lone/acsquirk")

        // Installed: its share, whatever $ACSQUIRK_HOME or the build checkout say.
        #expect(ProjectResources.lookup("quirks", environment: home.path, executable: installed.path, buildCheckout: repo.path).path == share.path + "/quirks")
        // The checkout holding the executable, through the symlink.
        #expect(ProjectResources.lookup("quirks", environment: nil, executable: link.path, buildCheckout: nil).path == repo.path + "/quirks")
        // $ACSQUIRK_HOME before the checkout holding the executable; empty or without quirks/: unset.
        #expect(ProjectResources.lookup("quirks", environment: home.path, executable: exe.path, buildCheckout: nil).path == home.path + "/quirks")
        #expect(ProjectResources.lookup("quirks", environment: "", executable: exe.path, buildCheckout: nil).path == repo.path + "/quirks")
        #expect(ProjectResources.lookup("quirks", environment: tmp.path, executable: exe.path, buildCheckout: nil).path == repo.path + "/quirks")
        // A copied binary: the checkout it was built from, while that exists.
        #expect(ProjectResources.lookup("quirks", environment: nil, executable: lone.path, buildCheckout: repo.path).path == repo.path + "/quirks")
        let none = ProjectResources.lookup("quirks", environment: nil, executable: lone.path, buildCheckout: tmp.appendingPathComponent("gone").path)
        #expect(none.path == nil)
        #expect(none.looked.count == 4, "\(none.looked)")
        #expect(none.looked[0] == "\(tmp.path)/share/acsquirk/quirks (next to the executable \(lone.path)): not there", "\(none.looked)")
        // The test binary itself lives in this repository's .build: the real checkout is found.
        let real = try #require(ProjectResources.lookup("quirks", environment: nil, executable: try fm.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
                                                      buildCheckout: nil).path)
        #expect(real == Fixtures.root.standardizedFileURL.path + "/quirks")
        // Templates follow the same order, each name on its own: a $ACSQUIRK_HOME with only
        // quirks/ still gets the templates of the binary's checkout.
        #expect(ProjectResources.lookup("templates", environment: home.path, executable: exe.path, buildCheckout: nil).path
                == repo.path + "/templates")
        #expect(ProjectResources.buildCheckout == Fixtures.root.standardizedFileURL.path)
    }

    /// Located directories under the current directory are written relative to it.
    @Test func relativeToTheCurrentDirectory() throws {
        let dir = try Fixtures.temporaryDirectory("relative")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("quirks/intel"), withIntermediateDirectories: true)
        #expect(ProjectResources.relative(dir.path + "/quirks", to: dir.path) == "quirks")
        #expect(ProjectResources.relative(dir.path + "/quirks/intel/../intel", to: dir.path + "/") == "quirks/intel")
        #expect(ProjectResources.relative(dir.path, to: dir.path) == ".")
        // From /: absolute, as an installed binary run from / prints its share.
        #expect(ProjectResources.relative(dir.path + "/quirks", to: "/") == dir.path + "/quirks")
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
