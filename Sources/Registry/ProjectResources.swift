import Foundation

/// Finds the directories acsquirk ships with: the registry (`quirks/`, whose upstream entries are
/// the kernel's table) and the code templates (`templates/`), so that every command uses the
/// kernel table it shipped with, from any working directory.
///
/// `name` is looked for in these places, first hit wins:
/// 1. `../share/acsquirk/<name>` next to the executable's real path (symlinks resolved,
///    `/proc/self/exe` on Linux): what `make install` lays out (`PREFIX/bin/acsquirk`,
///    `PREFIX/share/acsquirk/`);
/// 2. `$ACSQUIRK_HOME/<name>` when the variable is set and non-empty (a copied binary pointed at
///    a checkout or a copy of its registry);
/// 3. the checkout holding the executable (its first ancestor with both `Package.swift` and
///    `quirks/`: `.build/debug/acsquirk` during development);
/// 4. debug builds only: the checkout the binary was compiled from (the source path recorded at
///    build time), so a development binary copied elsewhere still finds what it was built with
///    while that checkout exists. A release build (`make install`, `make dist`) has no such
///    fallback: a copy without its `share/acsquirk` exits 2 instead of taking whatever that
///    checkout holds today.
///
/// The current directory is never looked at: a `quirks/` folder there (another checkout, a fork,
/// a vendor's folder of new entries) is what commands work on by default
/// (`Registry.workingRegistryPath()`), never the kernel's table.
public enum ProjectResources {
    /// The environment variable naming a directory that holds `quirks/` (and `templates/`).
    public static let homeVariable = "ACSQUIRK_HOME"
    /// Where `make install` puts `quirks/` and `templates/`, relative to the binary's directory.
    public static let installedHome = "../share/acsquirk"

    /// The checkout this binary was compiled from (`<root>/Sources/Registry/ProjectResources.swift`);
    /// nil in a release build (Package.swift defines `ACSQUIRK_RELOCATABLE` for it).
    public static let buildCheckout: String? = {
        #if ACSQUIRK_RELOCATABLE
        return nil
        #else
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        #endif
    }()

    /// Where `name` was found (nil: nowhere) and every place looked at before, in order, as
    /// sentences for a message (`/usr/local/share/acsquirk/quirks (next to the executable
    /// /usr/local/bin/acsquirk): not there`).
    public struct Lookup: Sendable, Hashable {
        public var path: String?
        public var looked: [String]
    }

    /// `name` (`"quirks"`, `"templates"`) for the running binary (see the type's documentation
    /// for the order); `path` is absolute.
    public static func lookup(_ name: String) -> Lookup {
        lookup(name, environment: ProcessInfo.processInfo.environment[homeVariable], executable: executablePath(),
               buildCheckout: buildCheckout)
    }

    /// `lookup(_:)` with its inputs explicit (tests): `environment` is `$ACSQUIRK_HOME` (nil or
    /// empty = unset), `executable` the binary's path (symlinks are resolved), `buildCheckout` the
    /// checkout it was compiled from.
    public static func lookup(_ name: String, environment: String?, executable: String?, buildCheckout: String?) -> Lookup {
        var looked: [String] = []
        func has(_ dir: String) -> String? {
            let path = (dir as NSString).appendingPathComponent(name)
            return isDirectory(path) ? path : nil
        }
        let exe = executable.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath() }
        if let exe {
            let installed = exe.deletingLastPathComponent().appendingPathComponent(installedHome).standardizedFileURL.path
            if let found = has(installed) { return Lookup(path: found, looked: looked) }
            looked.append("\(installed)/\(name) (next to the executable \(exe.path)): not there")
        } else {
            looked.append("next to the executable: its path is unknown")
        }
        if let env = environment, !env.isEmpty {
            let dir = URL(fileURLWithPath: env).standardizedFileURL.path
            if let found = has(dir) { return Lookup(path: found, looked: looked) }
            looked.append("\(dir)/\(name) ($\(homeVariable)): not there")
        } else {
            looked.append("$\(homeVariable): not set")
        }
        if let exe {
            if let checkout = checkout(above: exe), let found = has(checkout) { return Lookup(path: found, looked: looked) }
            looked.append("the checkout holding \(exe.path) (a folder above it with Package.swift and quirks/): "
                + (checkout(above: exe).map { "\($0) has no \(name)/" } ?? "none"))
        }
        if let built = buildCheckout, !built.isEmpty {
            if isCheckout(built), let found = has(built) { return Lookup(path: found, looked: looked) }
            looked.append("\(built) (the checkout this binary was built from): no Package.swift, quirks/ and \(name)/ there")
        }
        return Lookup(path: nil, looked: looked)
    }

    /// `lookup(name).path`, written relative to the current directory when it lies under it
    /// (`quirks`, not `/home/me/acsquirk/quirks`), so that paths the commands print or write into
    /// generated files do not depend on where the checkout lives.
    public static func locate(_ name: String) -> String? {
        lookup(name).path.map { relative($0, to: FileManager.default.currentDirectoryPath) }
    }

    /// `path` relative to `directory` when it lies under it (both compared with `.`/`..` and
    /// symlinks resolved), else `path` unchanged. `directory` itself gives `.`; under `/` every
    /// path stays absolute (`/usr/local/share/…`, not `usr/local/share/…`).
    public static func relative(_ path: String, to directory: String) -> String {
        let base = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath().path
        let full = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.resolvingSymlinksInPath().path
        if full == base { return "." }
        if base == "/" { return full }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : path
    }

    /// The first ancestor of `file` that is a checkout (`Package.swift` and `quirks/`).
    static func checkout(above file: URL) -> String? {
        var url = file
        while url.path != "/" && !url.path.isEmpty {
            url = url.deletingLastPathComponent()
            if isCheckout(url.path) { return url.path }
        }
        return nil
    }

    static func isCheckout(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("Package.swift"))
            && isDirectory((dir as NSString).appendingPathComponent("quirks"))
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
