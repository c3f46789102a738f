import Foundation

/// Finds the project's resource directories (`quirks`, `templates`, …) from any working
/// directory, so that `acsquirk groups`, `lint`, `generate`, `patch` … work wherever they are run.
///
/// Search order for `locate(name)`, first hit wins (a hit is an existing directory):
/// 1. `$ACSQUIRK_HOME/<name>` when the environment variable `ACSQUIRK_HOME` is set and non-empty;
/// 2. `./<name>` (the current directory);
/// 3. the executable's real path (symlinks resolved; `/proc/self/exe` on Linux), walking up
///    its ancestors to the first directory holding both `Package.swift` and `quirks/` (the
///    repository the binary was built in, e.g. `.build/debug/acsquirk` -> the checkout), then
///    `<that directory>/<name>`.
///
/// `locate(_:)` returns a hit under the current directory relative to it.
///
/// Returns `nil` when none exists; callers then say which option overrides the lookup
/// (`--registry`, `--templates`).
public enum ProjectResources {
    /// The environment variable naming the project directory (the one holding `quirks/`).
    public static let homeVariable = "ACSQUIRK_HOME"

    /// The directory `name` (e.g. `"quirks"`, `"templates"`) of the project, or `nil`.
    /// See the type's documentation for the search order.
    ///
    /// A directory under the current directory is returned relative to it (`quirks`, not
    /// `/home/me/acsquirk/quirks`), so that paths the commands print or write into generated files
    /// (C comments, patch summaries) do not depend on where the checkout lives.
    public static func locate(_ name: String) -> String? {
        let cwd = FileManager.default.currentDirectoryPath
        return locate(name, home: ProcessInfo.processInfo.environment[homeVariable],
                      currentDirectory: cwd, executable: executablePath())
            .map { relative($0, to: cwd) }
    }

    /// `path` relative to `directory` when it lies under it (both compared with `.`/`..` and
    /// symlinks resolved), else `path` unchanged. `directory` itself gives `.`.
    public static func relative(_ path: String, to directory: String) -> String {
        let base = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath().path
        let full = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.resolvingSymlinksInPath().path
        if full == base { return "." }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : path
    }

    /// `locate(_:)` with its inputs explicit (for tests): `home` is `$ACSQUIRK_HOME` (nil or empty
    /// = unset), `executable` the path of the running binary (relative paths are taken from
    /// `currentDirectory`; symlinks are resolved).
    public static func locate(_ name: String, home: String?, currentDirectory: String,
                              executable: String?) -> String? {
        let cwd = URL(fileURLWithPath: currentDirectory, isDirectory: true)
        if let home, !home.isEmpty {
            let candidate = URL(fileURLWithPath: home, relativeTo: cwd).appendingPathComponent(name)
            if isDirectory(candidate.path) { return candidate.standardizedFileURL.path }
        }
        let local = cwd.appendingPathComponent(name)
        if isDirectory(local.path) { return local.standardizedFileURL.path }
        guard let executable, !executable.isEmpty else { return nil }
        var url = URL(fileURLWithPath: executable, relativeTo: cwd).standardizedFileURL.resolvingSymlinksInPath()
        while url.path != "/" && !url.path.isEmpty {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path),
               isDirectory(url.appendingPathComponent("quirks").path) {
                let candidate = url.appendingPathComponent(name)
                return isDirectory(candidate.path) ? candidate.path : nil
            }
        }
        return nil
    }

    /// The running binary's path: `/proc/self/exe` resolved on Linux, else `argv[0]`.
    static func executablePath() -> String? {
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return real }
        return Bundle.main.executablePath ?? CommandLine.arguments.first
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
