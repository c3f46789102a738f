import Foundation
import KernelOutput
import TestSupport

/// A git repository holding a whole Debian kernel tree, made once per tree and cached as
/// `$ACSQUIRK_CACHE/git-<key>` next to the tree `linux-source-<key>` (key: the package version,
/// `KernelTreeCache.key`; a full copy, every file committed; tag `acsquirk-base`), plus a `make
/// defconfig` build directory `$ACSQUIRK_CACHE/build-<key>` for `make O=… drivers/pci/quirks.o`.
/// Both are used only inside `withRepo`, which holds an exclusive `flock(2)` on
/// `$ACSQUIRK_CACHE/git-<key>.lock`, so two test runs at once never reset or patch the same copy.
/// Measured here: the copy takes about 8 s, `git add` of its ~90,000 files about 23 s, defconfig
/// with the first quirks.o about 20 s; later compiles of the patched quirks.c about 3 s.
enum GitCopy {
    static let tag = "acsquirk-base"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let gitEnvironment = [
        "GIT_AUTHOR_NAME": "acsquirk test", "GIT_AUTHOR_EMAIL": "test@acsquirk.invalid",
        "GIT_COMMITTER_NAME": "acsquirk test", "GIT_COMMITTER_EMAIL": "test@acsquirk.invalid",
        "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+0000", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+0000",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": NSTemporaryDirectory(),
    ]

    @discardableResult
    static func run(_ tool: String, _ args: [String], in dir: String? = nil, env: [String: String] = [:]) async throws -> ToolResult {
        let r = try await runTool(tool, args, workingDirectory: dir, environment: gitEnvironment.merging(env) { $1 })
        guard r.status == 0 else {
            throw Failure(description: "\(tool) \(args.joined(separator: " ")) failed (\(r.status)):\n\(r.stdout)\n\(r.stderr)")
        }
        return r
    }

    /// `$ACSQUIRK_CACHE/<prefix>-<key>` beside the tree of series `v`.
    static func companion(_ prefix: String, _ v: String) throws -> String {
        let tree = try KernelTrees.tree(v)
        return ((tree as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("\(prefix)-\(KernelTreeCache.key(of: tree))")
    }

    /// Runs `body` with the git copy and the build directory of series `v` (made when missing),
    /// holding the copy's lock; waits (polling, so no cooperative thread blocks) while another
    /// process holds it.
    static func withRepo<T>(_ v: String, _ body: (_ repo: String, _ build: String) async throws -> T) async throws -> T {
        let repo = try companion("git", v)
        let fd = open(repo + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open \(repo).lock: errno \(errno)") }
        defer { close(fd) }
        var waited = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if !waited { print("waiting for \(repo).lock (another test run uses the git copy)") }
            waited = true
            try await Task.sleep(for: .seconds(2))
        }
        defer { flock(fd, LOCK_UN) }
        try await ensure(v, repo: repo)
        return try await body(repo, try await ensureConfig(v, repo: repo))
    }

    /// The cached git copy of tree `v` at `repo`, made when missing or made from another tree.
    private static func ensure(_ v: String, repo: String) async throws {
        let source = try KernelTrees.tree(v)
        let fm = FileManager.default
        let origin = repo + "/.git/acsquirk-source"
        if (try? String(contentsOfFile: origin, encoding: .utf8)) == source,
           (try? await run("git", ["rev-parse", "-q", "--verify", "refs/tags/\(tag)"], in: repo)) != nil {
            return
        }
        let tmp = repo + ".tmp"
        try? fm.removeItem(atPath: tmp)
        try? fm.removeItem(atPath: repo)
        try? fm.removeItem(atPath: try companion("build", v))
        try await run("cp", ["-a", source, tmp])
        try? fm.removeItem(atPath: tmp + "/.acsquirk-unpacked")
        try? fm.removeItem(atPath: tmp + "/.acsquirk-used")
        // Debian's top-level .gitignore ends with "/*" and "!/debian/": it ignores the whole tree.
        let gi = tmp + "/.gitignore"
        let lines = try String(contentsOfFile: gi, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try lines.filter { $0 != "/*" && $0 != "!/debian/" }.joined(separator: "\n").write(toFile: gi, atomically: true, encoding: .utf8)
        try await run("git", ["init", "-q"], in: tmp)
        try await run("git", ["add", "-A"], in: tmp)
        try await run("git", ["commit", "-q", "--no-gpg-sign", "-m", "linux-source-\(v)"], in: tmp)
        try await run("git", ["tag", tag], in: tmp)
        try source.write(toFile: tmp + "/.git/acsquirk-source", atomically: true, encoding: .utf8)
        try fm.moveItem(atPath: tmp, toPath: repo)
    }

    /// Puts the repository back to the base commit (any `git am` in progress aborted).
    static func reset(_ repo: String) async throws {
        _ = try? await runTool("git", ["am", "--abort"], workingDirectory: repo, environment: gitEnvironment)
        try await run("git", ["reset", "-q", "--hard", tag], in: repo)
        try await run("git", ["clean", "-fdq"], in: repo)
    }

    /// `make defconfig` in the cached build directory, once.
    private static func ensureConfig(_ v: String, repo: String) async throws -> String {
        let build = try companion("build", v)
        let marker = build + "/.acsquirk-defconfig"
        if FileManager.default.fileExists(atPath: marker) { return build }
        try FileManager.default.createDirectory(atPath: build, withIntermediateDirectories: true)
        try await run("make", ["-s", "O=\(build)", "defconfig"], in: repo)
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        return build
    }
}
