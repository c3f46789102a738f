import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary files and folders of a write: named so that they are recognisably acsquirk's
/// (`.<target>.acsquirk-tmp-<12 hex digits>`), locked (flock) for as long as the write that made
/// them runs, and removed by a later write when no process holds their lock any more (the kernel
/// drops the lock of a killed process). Nothing else is ever removed as a leftover.
enum Staging {
    static let marker = ".acsquirk-tmp-"
    /// Where a folder replaced by a write keeps files that appeared in it during the write and
    /// could not be moved into the new folder (never removed automatically).
    static let keptMarker = ".acsquirk-kept-"

    /// Names the longest target name is cut to inside a temporary name (255-byte limit).
    static let nameBytes = 200

    /// `name` cut to at most `nameBytes` bytes on a UTF-8 boundary.
    static func shortened(_ name: String) -> String {
        if name.utf8.count <= nameBytes { return name }
        var out = ""
        for ch in name.unicodeScalars {
            if out.utf8.count + String(ch).utf8.count > nameBytes { break }
            out.unicodeScalars.append(ch)
        }
        return out
    }

    static func randomSuffix() -> String {
        let v = UInt64.random(in: 0...UInt64.max) & 0xffff_ffff_ffff
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 12 - s.count) + s
    }

    /// A fresh temporary name for `target`.
    static func temporaryName(for target: String, marker: String = marker) -> String {
        "." + shortened(target) + marker + randomSuffix()
    }

    /// The prefix every temporary name for `target` starts with.
    static func prefix(for target: String) -> String { "." + shortened(target) + marker }

    /// Whether `name` is one of acsquirk's temporary names: this version's, or the
    /// `.<name>.acsquirk-<UUID>` files acsquirk wrote before (which were never locked).
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix(".") else { return false }
        if let r = name.range(of: marker, options: .backwards) {
            let tail = name[r.upperBound...]
            return tail.count == 12 && tail.allSatisfy(\.isHexDigit)
        }
        return isLegacy(name)
    }

    /// `.<name>.acsquirk-XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (before issue #15).
    static func isLegacy(_ name: String) -> Bool {
        guard name.hasPrefix("."), let r = name.range(of: ".acsquirk-", options: .backwards) else { return false }
        let uuid = Array(name[r.upperBound...])
        guard uuid.count == 36 else { return false }
        for (i, c) in uuid.enumerated() {
            if [8, 13, 18, 23].contains(i) { if c != "-" { return false } } else if !c.isHexDigit { return false }
        }
        return true
    }

    /// A new locked, empty temporary file for `target` in `dir` (mode 0666 less the umask).
    static func createFile(in dir: Directory, for target: String) throws(FileError) -> (name: String, fd: Int32) {
        for _ in 0..<16 {
            let name = temporaryName(for: target)
            let fd = openat(dir.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw FileError.posix(dir.child(target), "cannot create a temporary file in \(dir.path)")
            }
            if lockedAndStillThere(fd, name, in: dir) { return (name, fd) }
            close(fd)
        }
        throw FileError(dir.child(target), "cannot create a temporary file in \(dir.path): every name tried was taken")
    }

    /// A new locked temporary folder for `target` in `dir` (mode 0777 less the umask).
    static func createFolder(in dir: Directory, for target: String) throws(FileError) -> (name: String, folder: Directory) {
        for _ in 0..<16 {
            let name = temporaryName(for: target)
            if mkdirat(dir.fd, name, 0o777) != 0 {
                if errno == EEXIST { continue }
                throw FileError.posix(dir.child(target), "cannot create a folder next to it")
            }
            let fd = openat(dir.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if lockedAndStillThere(fd, name, in: dir) { return (name, Directory(fd: fd, path: dir.child(name))) }
            close(fd)
        }
        throw FileError(dir.child(target), "cannot create a folder next to it: every name tried was taken")
    }

    /// Takes the lock of a temporary just created and checks that a cleaner did not remove it in
    /// between (it would have had to take the lock first).
    private static func lockedAndStillThere(_ fd: Int32, _ name: String, in dir: Directory) -> Bool {
        _ = flock(fd, LOCK_EX)
        var mine = stat()
        guard fstat(fd, &mine) == 0, let there = dir.status(name) else { return false }
        return sameObject(mine, there)
    }

    /// What cleaning found.
    struct Cleaned {
        var removed: [String] = []
        var notes: [String] = []
    }

    /// Removes acsquirk's temporary files and folders in `dir` whose names `matching` accepts and
    /// that no running process holds (their lock is free). A legacy name (never locked) is
    /// removed once it is ten minutes old. Links and special files with such names are left.
    static func clean(in dir: Directory, matching: (String) -> Bool = { _ in true }) -> Cleaned {
        var out = Cleaned()
        for name in dir.names() where isTemporary(name) && matching(name) {
            let fd = openat(dir.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { continue }
            let kind = FileKind(mode: st.st_mode)
            guard kind == .regular || kind == .folder else { continue }
            if isLegacy(name) {
                if time(nil) - st.st_mtim.tv_sec < 600 { continue }
            } else if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                if errno == EWOULDBLOCK { continue }   // in use by a running acsquirk
                out.notes.append("\(dir.child(name)): left by an acsquirk that was interrupted, or in use by one running now "
                    + "(the file system does not say: \(FileError.words(errno))); remove it by hand if no acsquirk is running")
                continue
            }
            if dir.removeTree(name) {
                out.removed.append(dir.child(name))
            } else {
                out.notes.append("\(dir.child(name)): left by an interrupted acsquirk; cannot remove it: \(FileError.words(errno))")
            }
        }
        return out
    }
}

/// For tests of interrupted writes: `ACSQUIRK_CRASH_AT=<point>` makes the process kill itself
/// with SIGKILL when a write reaches that point (`folder-staged`, `folder-exchanged`,
/// `files-staged`, `files-renaming`, `file-staged`), as a power cut or `kill -9` would. Unset, it
/// does nothing.
enum CrashPoint {
    static let armed: String? = {
        guard let p = getenv("ACSQUIRK_CRASH_AT") else { return nil }
        return String(cString: p)
    }()

    static func reach(_ point: String) {
        if armed == point { kill(getpid(), SIGKILL) }
    }
}
