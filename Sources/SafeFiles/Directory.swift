#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open folder. Everything below it is reached relative to its descriptor (`openat`,
/// `fstatat`, `renameat`, ...) without following symbolic links, so a link planted inside an
/// output folder is never written through, and a folder renamed while acsquirk works in it is
/// still the folder acsquirk checked.
final class Directory {
    let fd: Int32
    /// The path for messages (as the user would recognise it).
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens the folder at `path` (symbolic links in `path` are followed: it is the user's).
    static func existing(_ path: String, shown: String? = nil) throws(FileError) -> Directory {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOTDIR, let kind = FileKind.at(path) {
                throw FileError(shown ?? path, "is \(kind.phrase), not a folder")
            }
            throw FileError.posix(shown ?? path, "cannot open the folder", code)
        }
        return Directory(fd: fd, path: shown ?? path)
    }

    func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// `fstatat` without following a link; nil when there is nothing (errno set).
    func status(_ name: String) -> stat? {
        var st = stat()
        return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    func status() -> stat {
        var st = stat()
        _ = fstat(fd, &st)
        return st
    }

    /// The subfolder `name`, created (mode 0777 less the umask) when `create` and missing. Never
    /// a link: a link or any other file there is refused, naming it.
    func subfolder(_ name: String, create: Bool) throws(FileError) -> Directory {
        if create, mkdirat(fd, name, 0o777) != 0, errno != EEXIST {
            throw FileError.posix(child(name), "cannot create the folder")
        }
        let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            let code = errno
            if let st = status(name) {
                let kind = FileKind(mode: st.st_mode)
                if kind == .symbolicLink {
                    throw FileError(child(name), "is a symbolic link to \(Refusal.linkTarget(name, at: fd)): acsquirk does not "
                        + "write through links inside its output folder; remove the link")
                }
                throw FileError(child(name), "is \(kind.phrase), not a folder: acsquirk writes files under it; remove or rename it")
            }
            throw FileError.posix(child(name), "cannot open the folder", code)
        }
        return Directory(fd: sub, path: child(name))
    }

    /// The names in this folder (no `.`, `..`), sorted; empty when it cannot be read.
    func names() -> [String] {
        let again = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard again >= 0, let d = fdopendir(again) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    /// Removes `name` and, for a folder, everything in it; links are removed, never followed.
    /// True when it is gone.
    @discardableResult
    func removeTree(_ name: String) -> Bool {
        guard let st = status(name) else { return errno == ENOENT }
        if FileKind(mode: st.st_mode) == .folder {
            if let sub = try? subfolder(name, create: false) {
                for n in sub.names() { sub.removeTree(n) }
            }
            return unlinkat(fd, name, AT_REMOVEDIR) == 0
        }
        return unlinkat(fd, name, 0) == 0
    }

    /// fsync(2) of the folder itself: its entries (renames, new names) reach the disk.
    func sync() { _ = fsync(fd) }

    /// A regular file's text (at most `limit` bytes, else nil); never follows a link, never
    /// blocks on a FIFO.
    func readText(_ name: String, limit: Int = 1 << 20) -> String? {
        let f = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else { return nil }
        defer { close(f) }
        var st = stat()
        guard fstat(f, &st) == 0, FileKind(mode: st.st_mode) == .regular, Int(st.st_size) <= limit else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let n = chunk.withUnsafeMutableBytes { read(f, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes.count <= limit ? String(decoding: bytes, as: UTF8.self) : nil
    }
}

/// Writes all of `bytes` to `fd` (short writes and EINTR retried); the errno of a failure.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += n
    }
    return nil
}

/// The same file system object (device and inode).
func sameObject(_ a: stat, _ b: stat) -> Bool { a.st_dev == b.st_dev && a.st_ino == b.st_ino }

/// The last component and the folder of `path` (`out/scan.txt` → (`out`, `scan.txt`), `x` →
/// (`.`, `x`)); trailing slashes are dropped.
func split(_ path: String) -> (folder: String, name: String) {
    var p = Substring(path)
    while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
    guard let slash = p.lastIndex(of: "/") else { return (".", String(p)) }
    let folder = p[..<slash]
    return (folder.isEmpty ? "/" : String(folder), String(p[p.index(after: slash)...]))
}

/// `mkdir -p`: `path` and its missing parents (links in `path` followed: it is the user's).
func makeFolders(_ path: String, shown: String) throws(FileError) {
    var st = stat()
    if stat(path, &st) == 0 {
        if FileKind(mode: st.st_mode) == .folder { return }
        throw FileError(shown, "a part of the path is \(FileKind(mode: st.st_mode).phrase), not a folder: \(path)")
    }
    if errno != ENOENT { throw FileError.posix(shown, "cannot look at \(path)") }
    let parent = split(path).folder
    if parent != path { try makeFolders(parent, shown: shown) }
    if mkdir(path, 0o777) != 0 && errno != EEXIST { throw FileError.posix(shown, "cannot create the folder \(path)") }
}

/// realpath(3) of an existing path.
func realPath(_ path: String) -> String? {
    guard let r = realpath(path, nil) else { return nil }
    defer { free(r) }
    return String(cString: r)
}
