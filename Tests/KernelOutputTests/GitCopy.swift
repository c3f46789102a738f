import Foundation
import KernelOutput
import TestSupport

/// A git repository holding a whole Debian kernel tree, made once per tree and cached as
/// `$ACSQUIRK_CACHE/git-<v>` (a full copy of linux-source-<v>, every file committed; tag
/// `acsquirk-base`), plus a `make defconfig` build directory `$ACSQUIRK_CACHE/build-<v>` for
/// `make O=… drivers/pci/quirks.o`. Measured here: the copy takes about 8 s, `git add` of its
/// ~90,000 files about 23 s, defconfig with the first quirks.o about 20 s; later compiles of the
/// patched quirks.c about 3 s.
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

    static func repo(_ v: String) -> String { (KernelTrees.cache as NSString).appendingPathComponent("git-\(v)") }
    static func buildDir(_ v: String) -> String { (KernelTrees.cache as NSString).appendingPathComponent("build-\(v)") }

    /// The cached git copy of tree `v`, made when missing.
    static func ensure(_ v: String) async throws -> String {
        let source = try KernelTrees.tree(v)
        let repo = repo(v)
        let fm = FileManager.default
        if fm.fileExists(atPath: repo + "/.git"),
           (try? await run("git", ["rev-parse", "-q", "--verify", "refs/tags/\(tag)"], in: repo)) != nil {
            return repo
        }
        let tmp = repo + ".tmp"
        try? fm.removeItem(atPath: tmp)
        try? fm.removeItem(atPath: repo)
        try await run("cp", ["-a", source, tmp])
        try? fm.removeItem(atPath: tmp + "/.acsquirk-unpacked")
        // Debian's top-level .gitignore ends with "/*" and "!/debian/": it ignores the whole tree.
        let gi = tmp + "/.gitignore"
        let lines = try String(contentsOfFile: gi, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try lines.filter { $0 != "/*" && $0 != "!/debian/" }.joined(separator: "\n").write(toFile: gi, atomically: true, encoding: .utf8)
        try await run("git", ["init", "-q"], in: tmp)
        try await run("git", ["add", "-A"], in: tmp)
        try await run("git", ["commit", "-q", "--no-gpg-sign", "-m", "linux-source-\(v)"], in: tmp)
        try await run("git", ["tag", tag], in: tmp)
        try fm.moveItem(atPath: tmp, toPath: repo)
        return repo
    }

    /// Puts the repository back to the base commit (any `git am` in progress aborted).
    static func reset(_ repo: String) async throws {
        _ = try? await runTool("git", ["am", "--abort"], workingDirectory: repo, environment: gitEnvironment)
        try await run("git", ["reset", "-q", "--hard", tag], in: repo)
        try await run("git", ["clean", "-fdq"], in: repo)
    }

    /// `make defconfig` in the cached build directory, once.
    static func ensureConfig(_ v: String, repo: String) async throws -> String {
        let build = buildDir(v)
        let marker = build + "/.acsquirk-defconfig"
        if FileManager.default.fileExists(atPath: marker) { return build }
        try FileManager.default.createDirectory(atPath: build, withIntermediateDirectories: true)
        try await run("make", ["-s", "O=\(build)", "defconfig"], in: repo)
        _ = FileManager.default.createFile(atPath: marker, contents: Data())
        return build
    }
}
