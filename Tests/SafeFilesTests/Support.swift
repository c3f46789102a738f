import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Running the built `acsquirk` and looking at what it left on disk.
enum CLI {
    static var binary: String { builtAcsquirk() ?? Fixtures.repoPath(".build/debug/acsquirk") }

    /// Runs acsquirk from the repository root (so `quirks/` and `templates/` are found).
    static func run(_ args: [String], in directory: String? = nil, env: [String] = []) async throws -> ToolResult {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no acsquirk at \(binary): run swift build --build-tests")
        return try await runTool("env", ["-u", "ACSQUIRK_HOME", "NO_COLOR=1"] + env + [binary] + args,
                                 workingDirectory: directory ?? Fixtures.root.path)
    }

    static let dump = Fixtures.path("qemu/f-quirk/dump.txt")
    static let quirks = Fixtures.repoPath("quirks")

    /// No message may hand the user a raw Foundation error.
    static func expectWords(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for raw in ["NSCocoaErrorDomain", "The operation could not be completed", "Error Domain=", "NSFilePath"] {
            #expect(!text.contains(raw), "raw Foundation error in: \(text)", sourceLocation: sourceLocation)
        }
    }
}

/// What is at a path, without following a final symbolic link.
enum Entry: Equatable, CustomStringConvertible {
    case missing, regular(String), directory, symlink(String), fifo, charDevice(UInt64), other

    init(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { self = .missing; return }
        switch st.st_mode & S_IFMT {
        case S_IFREG: self = .regular((try? String(contentsOfFile: path, encoding: .utf8)) ?? "<binary>")
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .charDevice(UInt64(st.st_rdev))
        default: self = .other
        }
    }

    var description: String {
        switch self {
        case .missing: "missing"
        case let .regular(t): "regular file (\(t.count) characters)"
        case .directory: "directory"
        case let .symlink(t): "symlink to \(t)"
        case .fifo: "FIFO"
        case let .charDevice(d): "character device \(d)"
        case .other: "other"
        }
    }
}

/// Every entry under `dir` (relative path → what it is), hidden ones included, links not followed.
func tree(_ dir: String) -> [String: Entry] {
    var out: [String: Entry] = [:]
    func walk(_ rel: String) {
        let full = rel.isEmpty ? dir : dir + "/" + rel
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
        for n in names {
            let r = rel.isEmpty ? n : rel + "/" + n
            let e = Entry(dir + "/" + r)
            out[r] = e
            if e == .directory { walk(r) }
        }
    }
    walk("")
    return out
}

/// Entries whose name says an acsquirk write left them (temporary files and folders).
func leftovers(_ dir: String) -> [String] {
    tree(dir).keys.filter { ($0 as NSString).lastPathComponent.contains(".acsquirk-") }.sorted()
}

func makeFIFO(_ path: String) throws {
    try #require(mkfifo(path, 0o644) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
}

func makeSymlink(_ path: String, to target: String) throws {
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
}

func write(_ text: String, _ path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}
