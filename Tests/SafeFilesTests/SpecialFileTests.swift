import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue #15 items 2 and 6: every command that writes files writes only regular files or new
/// paths. A FIFO, a device node, a symbolic link (dangling or not) or a folder where an output
/// goes is refused with a message naming the path and what is there, and left as it was; `-`
/// and the process's own descriptors (`/dev/stdout`, `/dev/fd/N`) are standard output; no error
/// is a raw Foundation error.
@Suite(.serialized) struct SpecialFileTests {
    static let table = ["acs-table", "--device", "01:00.1", "--dump", CLI.dump]

    /// What acs-table prints without -o (the bytes every -o form must write).
    static func expectedTable() async throws -> String {
        let r = try await CLI.run(table)
        try #require(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func acsTableOutputIntoAFIFOIsRefusedAndTheFIFOStays() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.path + "/fifo"
        try makeFIFO(fifo)
        let r = try await CLI.run(Self.table + ["-o", fifo])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(Entry(fifo) == .fifo, "the FIFO was replaced: now \(Entry(fifo))")
        #expect(r.stderr.contains(fifo) && r.stderr.contains("FIFO"), "\(r.stderr)")
        #expect(r.stderr.contains("-o -"), "the refusal says how to write to standard output: \(r.stderr)")
        #expect(leftovers(dir.path).isEmpty)
    }

    /// A device node where the output goes (as root: `mknod c 1 3`, what /dev/null is).
    @Test(.enabled(if: getuid() == 0, "mknod needs root"))
    func acsTableOutputIntoADeviceNodeIsRefused() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-dev")
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = dir.path + "/null"
        var null = stat()
        try #require(stat("/dev/null", &null) == 0 && null.st_mode & S_IFMT == S_IFCHR)
        try #require(mknod(node, S_IFCHR | 0o666, null.st_rdev) == 0, "mknod: \(String(cString: strerror(errno)))")
        let before = Entry(node)
        let r = try await CLI.run(Self.table + ["-o", node])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(Entry(node) == before, "the device node was replaced: now \(Entry(node))")
        #expect(r.stderr.contains(node) && r.stderr.contains("character device"), "\(r.stderr)")
    }

    @Test func acsTableOutputThroughASymlinkIsRefusedAndBothStay() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-link")
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("keep\n", dir.path + "/real")
        try makeSymlink(dir.path + "/link", to: "real")
        try makeSymlink(dir.path + "/dangling", to: "nowhere")
        for (name, target) in [("link", "real"), ("dangling", "nowhere")] {
            let path = dir.path + "/" + name
            let r = try await CLI.run(Self.table + ["-o", path])
            #expect(r.status == 2, "\(name): \(r.stdout)\(r.stderr)")
            #expect(Entry(path) == .symlink(target), "\(name) is now \(Entry(path))")
            #expect(r.stderr.contains(path) && r.stderr.contains("symbolic link"), "\(r.stderr)")
            CLI.expectWords(r.stderr)
        }
        #expect(Entry(dir.path + "/real") == .regular("keep\n"))
        #expect(Entry(dir.path + "/nowhere") == .missing)
    }

    @Test func acsTableOutputOntoAFolderIsRefused() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-dir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CLI.run(Self.table + ["-o", dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir.path) && r.stderr.contains("is a folder"), "\(r.stderr)")
        CLI.expectWords(r.stderr)
    }

    /// `-o -` and `-o /dev/stdout` are standard output (written into, whatever it is); a
    /// regular file is replaced atomically with its permissions kept; a new path is created.
    @Test func acsTableOutputToStandardOutputAndRegularFiles() async throws {
        let expected = try await Self.expectedTable()
        let dir = try Fixtures.temporaryDirectory("acsquirk-stdout")
        defer { try? FileManager.default.removeItem(at: dir) }
        for spelling in ["-", "/dev/stdout"] {
            let r = try await CLI.run(Self.table + ["-o", spelling], in: dir.path)
            #expect(r.status == 0, "\(spelling): \(r.stderr)")
            #expect(r.stdout == expected, "\(spelling)")
        }
        #expect(tree(dir.path).isEmpty, "nothing written into the folder: \(tree(dir.path))")

        let file = dir.path + "/table.h"
        try write("old\n", file)
        #expect(chmod(file, 0o600) == 0)
        let r = try await CLI.run(Self.table + ["-o", file])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Entry(file) == .regular(expected))
        var st = stat()
        #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600, "permissions of the replaced file kept")
        let fresh = dir.path + "/new/table.h"
        let r2 = try await CLI.run(Self.table + ["-o", fresh])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(Entry(fresh) == .regular(expected))
        #expect(leftovers(dir.path).isEmpty)
    }

    /// `--out` that is a file or a dangling symbolic link: the path and what is wrong, in words
    /// (was "NSCocoaErrorDomain error 512" and "a file with the same name already exists").
    @Test(arguments: ["generate", "run"])
    func outThatIsNotAFolder(_ command: String) async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-out-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.path + "/afile"
        try write("mine\n", file)
        try makeSymlink(dir.path + "/dangling", to: "nowhere")
        let extra = command == "run" ? ["--dump", CLI.dump] : []
        for (path, words) in [(file, "is a file, not a folder"), (dir.path + "/dangling", "symbolic link")] {
            let r = try await CLI.run([command, "--out", path] + extra)
            #expect(r.status == 2, "\(command) --out \(path): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains(path) && r.stderr.contains(words), "\(command) --out \(path): \(r.stderr)")
            CLI.expectWords(r.stdout + r.stderr)
        }
        #expect(Entry(file) == .regular("mine\n"))
        #expect(Entry(dir.path + "/dangling") == .symlink("nowhere"))
        #expect(Entry(dir.path + "/nowhere") == .missing)
        #expect(leftovers(dir.path).isEmpty)
    }

    /// A special file or link where one of generate's or run's outputs goes: refused before
    /// anything is written, the special file left as it was.
    @Test(arguments: ["generate", "run"])
    func specialFileInsideTheOutputFolder(_ command: String) async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-out-special")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.path + "/out"
        let victim = "acs-tables/acs-table-8086-82576.h"
        try FileManager.default.createDirectory(atPath: out + "/acs-tables", withIntermediateDirectories: true)
        try makeFIFO(out + "/" + victim)
        try write("elsewhere\n", dir.path + "/elsewhere")
        try makeSymlink(out + "/acs-tables/acs-table-8086-82580.h", to: dir.path + "/elsewhere")
        let before = tree(out)
        let extra = command == "run" ? ["--dump", CLI.dump] : []
        let r = try await CLI.run([command, "--out", out] + extra)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(victim) || r.stderr.contains(victim), "\(r.stdout)\(r.stderr)")
        #expect(tree(out) == before, "the output folder changed: \(tree(out))")
        #expect(Entry(dir.path + "/elsewhere") == .regular("elsewhere\n"))
        CLI.expectWords(r.stdout + r.stderr)
    }

    /// `new` never writes through a dangling link where the entry or its dump goes.
    @Test func newRefusesALinkWhereTheEntryGoes() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-new-link")
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = dir.path + "/quirks"
        try FileManager.default.createDirectory(atPath: registry + "/intel", withIntermediateDirectories: true)
        try makeSymlink(registry + "/intel/82574l.dump.txt", to: dir.path + "/outside")
        let r = try await CLI.run(["new", "--device", "01:00.0", "--dump", CLI.dump, "--family", "82574L", "--out", registry])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("82574l.dump.txt") && r.stderr.contains("symbolic link"), "\(r.stderr)")
        #expect(Entry(dir.path + "/outside") == .missing, "written through the link")
        #expect(Entry(registry + "/intel/82574l.yaml") == .missing, "the entry landed without its dump")
        #expect(Entry(registry + "/intel/82574l.dump.txt") == .symlink(dir.path + "/outside"))
    }

    /// A kernel tree whose quirks.c is a folder, or missing: said in words.
    @Test func unreadableKernelTreeInWords() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-tree-words")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(atPath: dir.path + "/tree/drivers/pci/quirks.c", withIntermediateDirectories: true)
        let r = try await CLI.run(["generate", "--kernel-tree", dir.path + "/tree", "--out", dir.path + "/out"])
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir.path + "/tree/drivers/pci/quirks.c") && r.stderr.contains("is a folder"), "\(r.stderr)")
        CLI.expectWords(r.stderr)
        let r2 = try await CLI.run(["generate", "--kernel-tree", dir.path + "/none", "--out", dir.path + "/out"])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("no such file"), "\(r2.stderr)")
        CLI.expectWords(r2.stderr)
        #expect(Entry(dir.path + "/out") == .missing)
    }
}
