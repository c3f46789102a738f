import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue #15 item 3: a command's outputs land together or not at all; leftovers of killed runs
/// are cleaned; a killed `run` leaves the outputs of one run, never of two.
@Suite(.serialized) struct AllOrNothingTests {
    /// Regular files under `dir` (relative path → text); any other kind of entry but folders is
    /// recorded as such.
    static func contents(_ dir: String) -> [String: String] {
        var out: [String: String] = [:]
        for (path, e) in tree(dir) {
            switch e {
            case let .regular(t): out[path] = t
            case .directory: break
            default: out[path] = "<\(e)>"
            }
        }
        return out
    }

    static func restore(_ dir: String, _ files: [String: String]) throws {
        try? FileManager.default.removeItem(atPath: dir)
        for (p, t) in files { try write(t, dir + "/" + p) }
    }

    /// The committed registry plus the e1000e entry (not upstream: it gets a stub and changes
    /// the check), i.e. a second registry version.
    static func secondRegistry(in dir: String) throws -> String {
        let root = dir + "/quirks-b"
        try FileManager.default.copyItem(atPath: CLI.quirks, toPath: root)
        try write(SampleEntries.intel82574L, root + "/intel/82574l.yaml")
        return root
    }

    /// The committed registry (the kernel's table) and a test registry with entries that are not
    /// upstream, so generate writes stubs and tables.
    static let stubRegistry = [CLI.quirks, Fixtures.path("kernel-output/registry")]

    /// A failing write in the middle (a folder where a table goes) leaves everything as it was:
    /// no stub of this run, the earlier run's files and the user's own file untouched.
    @Test func generateFailingWriteChangesNothing() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-generate-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.path + "/out"
        let first = try await CLI.run(["generate", "--out", out] + Self.stubRegistry)
        try #require(first.status == 0, "\(first.stderr)")
        let stubs = Self.contents(out).keys.filter { $0.hasPrefix("quirks/") }
        try #require(!stubs.isEmpty)
        try write("mine\n", out + "/notes.txt")
        // The next run writes into another folder whose last table path is taken by a folder.
        let out2 = dir.path + "/out2"
        try write("mine\n", out2 + "/notes.txt")
        let tables = Self.contents(out).keys.filter { $0.hasPrefix("acs-tables/") }.sorted()
        let blocked = try #require(tables.last)
        try write("inside\n", out2 + "/" + blocked + "/file")
        let before = tree(out2)
        let r = try await CLI.run(["generate", "--out", out2] + Self.stubRegistry)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(blocked), "\(r.stderr)")
        #expect(tree(out2) == before, "generate wrote part of its outputs: \(tree(out2).keys.sorted())")
        CLI.expectWords(r.stderr)

        // A write that fails for real (files over 1 KiB refused: EFBIG) changes nothing either.
        let earlier = Self.contents(out)
        let sh = "trap '' XFSZ; ulimit -f 2; exec \"$@\""
        let r3 = try await runTool("sh", ["-c", sh, "sh", CLI.binary, "generate", "--out", out] + Self.stubRegistry,
                                   workingDirectory: Fixtures.root.path)
        #expect(r3.status == 2, "\(r3.stdout)\(r3.stderr)")
        #expect(Self.contents(out) == earlier)
        #expect(r3.stderr.lowercased().contains("file too large"), "\(r3.stderr)")
        CLI.expectWords(r3.stderr)
        #expect(leftovers(dir.path).isEmpty, "\(leftovers(dir.path))")
    }

    /// Temporary files a killed acsquirk left (before this fix: `.<name>.acsquirk-<UUID>`, never
    /// cleaned) are removed by the next write into the same folder, and said so.
    @Test func leftoversOfKilledRunsAreCleaned() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-leftovers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.path + "/out"
        let stale = out + "/quirks/.intel.c.acsquirk-0B4F6D9C-2E8A-4C61-9F0E-5D3A7B1C2E4F"
        try write("half a stub", stale)
        // An hour old: not the temporary file of a write going on now.
        var times = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(stale, &times) == 0)
        try write("mine\n", out + "/quirks/.notes")
        let r = try await CLI.run(["generate", "--out", out] + Self.stubRegistry)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Entry(stale) == .missing, "leftover not removed")
        #expect((r.stdout + r.stderr).contains(".intel.c.acsquirk-0B4F6D9C"), "removal not reported: \(r.stdout)\(r.stderr)")
        #expect(Entry(out + "/quirks/.notes") == .regular("mine\n"), "a hidden file of the user's was removed")
        #expect(leftovers(dir.path).isEmpty)
    }

    /// SIGKILL at points spread over a whole `run` (the second run, with a second registry
    /// version, into the folder of the first): the folder holds exactly the first run's files or
    /// exactly the second's, summary.txt always lists what is there; the next run leaves nothing
    /// hidden behind.
    @Test func killedRunLeavesTheOutputsOfOneRun() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registryB = try Self.secondRegistry(in: dir.path)
        let out = dir.path + "/out"
        func args(_ registry: String) -> [String] { ["run", "--dump", CLI.dump, "--registry", registry, "--out", out] }
        let a = try await CLI.run(args(CLI.quirks))
        try #require(a.status == 0, "\(a.stdout)\(a.stderr)")
        let stateA = Self.contents(out)
        let started = Date()
        let b = try await CLI.run(args(registryB))
        let duration = Date().timeIntervalSince(started)
        try #require(b.status == 0, "\(b.stdout)\(b.stderr)")
        let stateB = Self.contents(out)
        try #require(stateA != stateB && stateB["quirks/intel.c"] != nil)

        var outcomes: [String] = []
        for k in 0..<16 {
            try Self.restore(out, stateA)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = args(registryB)
            p.currentDirectoryURL = Fixtures.root
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(duration * Double(k) / 16 * 1_000_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let state = Self.contents(out)
            let which = state == stateA ? "A" : state == stateB ? "B" : "mixed"
            outcomes.append(which)
            #expect(which != "mixed", """
                killed after \(k)/16 of the run: files of two runs: \
                \(state.keys.filter { state[$0] != stateA[$0] && state[$0] != stateB[$0] }.sorted()) \
                \(state.filter { stateA[$0.key] == $0.value && stateB[$0.key] != $0.value }.keys.sorted()) \
                \(Set(stateB.keys).subtracting(state.keys).sorted())
                """)
        }
        print("killed run outcomes: \(outcomes.joined(separator: " "))")
        let again = try await CLI.run(args(registryB))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.contents(out) == stateB)
        #expect(leftovers(dir.path).isEmpty, "left behind: \(leftovers(dir.path))")
    }

    /// An output folder that holds the current directory cannot be exchanged: its files are
    /// staged one by one and renamed at the end. The result is the same as into a fresh folder
    /// (earlier outputs the run did not write removed, the user's files kept), and a write that
    /// fails while staging changes nothing.
    @Test func outputFolderThatIsTheCurrentDirectory() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-cwd-out")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fresh = dir.path + "/fresh", out = dir.path + "/out"
        let a = try await CLI.run(["generate", "--out", fresh] + Self.stubRegistry)
        try #require(a.status == 0, "\(a.stderr)")
        try write("mine\n", out + "/notes.txt")
        try write("/* an earlier run's stub */\n", out + "/quirks/gone.c")
        let r = try await CLI.run(["generate", "--out", "."] + Self.stubRegistry, in: out)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        var expected = Self.contents(fresh)
        expected["notes.txt"] = "mine\n"
        #expect(Self.contents(out) == expected, "\(Self.contents(out).keys.sorted())")
        #expect(r.stdout.contains("quirks/gone.c") || r.stderr.contains("quirks/gone.c"), "removal not reported: \(r.stdout)\(r.stderr)")

        let before = Self.contents(out)
        try write("/* changed */\n", out + "/" + (try #require(before.keys.first { $0.hasPrefix("quirks/") })))
        let changed = Self.contents(out)
        let sh = "trap '' XFSZ; ulimit -f 2; exec \"$@\""
        let r2 = try await runTool("sh", ["-c", sh, "sh", CLI.binary, "generate", "--out", "."] + Self.stubRegistry,
                                   workingDirectory: out)
        #expect(r2.status == 2, "\(r2.stdout)\(r2.stderr)")
        #expect(r2.stderr.lowercased().contains("file too large"), "\(r2.stderr)")
        #expect(Self.contents(out) == changed, "a failed write into the current directory changed it")
        #expect(leftovers(dir.path).isEmpty, "\(leftovers(dir.path))")
    }

    /// SIGKILL at each named point of a write (`ACSQUIRK_CRASH_AT`, SafeFiles' `CrashPoint`):
    /// an exchanged folder holds one run's files whatever the point; written file by file (the
    /// folder is the current directory), a kill while renaming leaves no summary.txt, so the
    /// folder says it is incomplete; the next run cleans up and writes the whole folder.
    @Test func killAtEachPointOfAWrite() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-crash-points")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registryB = try Self.secondRegistry(in: dir.path)
        let out = dir.path + "/out"
        func run(_ registry: String, crash: String? = nil, in cwd: String? = nil) async throws -> ToolResult {
            try await CLI.run(["run", "--dump", CLI.dump, "--registry", registry, "--out", cwd == nil ? out : "."],
                              in: cwd, env: crash.map { ["ACSQUIRK_CRASH_AT=" + $0] } ?? [])
        }
        let a = try await run(CLI.quirks)
        try #require(a.status == 0, "\(a.stderr)")
        let stateA = Self.contents(out)
        let b = try await run(registryB)
        try #require(b.status == 0, "\(b.stderr)")
        let stateB = Self.contents(out)
        for point in ["folder-staged", "folder-exchanged"] {
            try Self.restore(out, stateA)
            let r = try await run(registryB, crash: point)
            #expect(r.status != 0, "\(point): not killed")
            let state = Self.contents(out)
            #expect(state == stateA || state == stateB, "\(point): files of two runs: \(state.keys.sorted())")
        }
        for point in ["files-staged", "files-renaming"] {
            try Self.restore(out, stateA)
            let r = try await run(registryB, crash: point, in: out)
            #expect(r.status != 0, "\(point): not killed")
            let state = Self.contents(out).filter { !($0.key as NSString).lastPathComponent.contains(".acsquirk-") }
            if point == "files-staged" {
                #expect(state.filter { $0.key != "summary.txt" } == stateA.filter { $0.key != "summary.txt" }, "\(point)")
            }
            if state != stateA && state != stateB {
                #expect(state["summary.txt"] == nil, "\(point): a mixed folder with a summary.txt")
            }
        }
        let again = try await run(registryB)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.contents(out) == stateB)
        #expect(leftovers(dir.path).isEmpty, "left behind: \(leftovers(dir.path))")
    }
}
