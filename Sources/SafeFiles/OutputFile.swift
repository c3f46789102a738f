import CFileShim

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a write did besides writing.
public struct WriteReport: Hashable, Sendable {
    /// How a folder's files landed.
    public enum Method: Hashable, Sendable {
        /// One file, staged next to its target and renamed over it.
        case file
        /// Written to a stream the user named (`-`, `/dev/stdout`, `/dev/fd/N`, `/dev/null`).
        case stream
        /// A new folder, staged whole next to where it goes and renamed into place.
        case created
        /// The folder's new contents staged whole next to it and exchanged with it in one
        /// atomic rename (renameat2 RENAME_EXCHANGE): every reader sees the old folder or the
        /// new one, never a mix, even if acsquirk is killed at any point.
        case exchanged
        /// Each file staged next to its target, then all renamed (the named commit file last,
        /// after it was removed first); a kill during the renames can leave files of two runs,
        /// and no commit file then. The reason the folder could not be exchanged.
        case fileByFile(String)
    }

    /// What was written (relative to the folder, or the file's path).
    public var written: [String] = []
    /// Earlier outputs of this command removed because this run did not write them (relative).
    public var removed: [String] = []
    /// Temporary files and folders of interrupted acsquirk runs that were removed.
    public var leftovers: [String] = []
    /// What the user should know: leftovers that are in use or could not be removed, files that
    /// appeared during the write and were kept aside, why a folder was written file by file.
    public var notes: [String] = []
    public var method: Method = .file

    public init() {}

    /// Lines for the user (stderr): leftovers removed, then the notes.
    public var messages: [String] {
        leftovers.map { "removed \($0) (left by an interrupted acsquirk)" } + notes.map { "note: \($0)" }
    }
}

/// One output file: `acs-table -o`, `snapshot -o`, the kernel tree's quirks.c (`patch --apply`).
///
/// Where it goes (`Destination`):
/// - `-` and `/dev/stdout` are standard output; `/dev/stderr`, `/dev/fd/N` and
///   `/proc/self/fd/N` the descriptor the shell opened (a pipe, a file opened with `>>`, a
///   process substitution): written into as it is, the way the user set it up;
/// - `/dev/null` (when it is the null device): the text is discarded;
/// - any other path must be a regular file or nothing: the text is staged in a temporary file
///   next to it (`.<name>.acsquirk-tmp-…`, fsync'd) and renamed over it, keeping the replaced
///   file's permissions (and owner, as root); missing folders above it are created;
/// - a symbolic link (dangling or not), a folder, a FIFO, a device node or a socket is refused
///   with what it is and what to do instead, and left as it was: acsquirk neither replaces a
///   special file nor writes into one the user did not name as a stream.
public enum OutputFile {
    public enum Destination: Hashable, Sendable {
        case descriptor(Int32)
        case discard
        case path(String)

        public init(_ argument: String) {
            switch argument {
            case "-", "/dev/stdout", "/proc/self/fd/1", "/dev/fd/1": self = .descriptor(1)
            case "/dev/stderr": self = .descriptor(2)
            case "/dev/null": self = Self.isNullDevice("/dev/null") ? .discard : .path(argument)
            default:
                for prefix in ["/dev/fd/", "/proc/self/fd/"] where argument.hasPrefix(prefix) {
                    let n = argument.dropFirst(prefix.count)
                    if !n.isEmpty, n.allSatisfy(\.isASCII), n.allSatisfy(\.isNumber), let fd = Int32(n) {
                        self = .descriptor(fd)
                        return
                    }
                }
                self = .path(argument)
            }
        }

        /// The character device 1:3 (Linux's null device).
        static func isNullDevice(_ path: String) -> Bool {
            var st = stat()
            guard stat(path, &st) == 0, FileKind(mode: st.st_mode) == .characterDevice else { return false }
            let dev = UInt64(st.st_rdev)
            let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)
            let minor = (dev & 0xff) | ((dev >> 12) & ~0xff)
            return major == 1 && minor == 3
        }
    }

    /// Writes `text` to `argument` (see the type's rules). Throws a `FileError` naming the path
    /// and what is wrong; then nothing changed.
    @discardableResult
    public static func write(_ text: String, to argument: String) throws(FileError) -> WriteReport {
        try write(Array(text.utf8), to: argument)
    }

    @discardableResult
    public static func write(_ bytes: [UInt8], to argument: String) throws(FileError) -> WriteReport {
        var report = WriteReport()
        report.written = [argument]
        switch Destination(argument) {
        case .discard:
            report.method = .stream
        case let .descriptor(fd):
            report.method = .stream
            guard fcntl(fd, F_GETFD) >= 0 else {
                throw FileError(argument, "descriptor \(fd) is not open in this process")
            }
            if let code = writeAll(fd, bytes) { throw FileError.posix(argument, "cannot write", code) }
        case let .path(path):
            try replaceFile(path, with: bytes, report: &report)
        }
        return report
    }

    static func replaceFile(_ path: String, with bytes: [UInt8], report: inout WriteReport) throws(FileError) {
        let (folderPath, name) = split(path)
        guard !name.isEmpty, name != ".", name != "..", !path.hasSuffix("/") else {
            throw FileError(path, "is a folder path; give the path of a file")
        }
        guard name.utf8.count <= 255 else {
            throw FileError(path, "the name is \(name.utf8.count) bytes long; file systems accept at most 255")
        }
        var existing: stat?
        var st = stat()
        if lstat(path, &st) == 0 {
            let kind = FileKind(mode: st.st_mode)
            switch kind {
            case .regular: existing = st
            case .symbolicLink:
                throw Refusal.link(path, target: Refusal.linkTarget(path), dangling: stat(path, &st) != 0)
            default:
                throw Refusal.notAFile(path, kind, standardOutputHint: true)
            }
        } else if errno == ENOENT {
            try makeFolders(folderPath, shown: path)
        } else {
            throw FileError.posix(path, "cannot write")
        }
        let folder = try Directory.existing(folderPath, shown: folderPath)
        let cleaned = Staging.clean(in: folder) { $0.hasPrefix(Staging.prefix(for: name)) || Staging.isLegacy($0) && $0.hasPrefix("." + name + ".") }
        report.leftovers += cleaned.removed
        report.notes += cleaned.notes

        let (temp, fd) = try Staging.createFile(in: folder, for: name)
        defer { close(fd) }
        func fail(_ doing: String, _ code: Int32 = errno) -> FileError {
            unlinkat(folder.fd, temp, 0)
            return FileError.posix(path, doing, code)
        }
        if let code = writeAll(fd, bytes) { throw fail("cannot write", code) }
        if let old = existing {
            _ = fchmod(fd, old.st_mode & 0o7777)
            if geteuid() == 0 { _ = fchown(fd, old.st_uid, old.st_gid) }
        }
        if fsync(fd) != 0 { throw fail("cannot write") }
        CrashPoint.reach("file-staged")
        // The last look before the rename: what is there now must still be what was checked.
        let now = folder.status(name)
        if let old = existing {
            guard let now, sameObject(now, old) else {
                unlinkat(folder.fd, temp, 0)
                throw FileError(path, "changed while acsquirk was writing it; nothing written, run again")
            }
            if renameat(folder.fd, temp, folder.fd, name) != 0 { throw fail("cannot replace the file") }
        } else {
            guard now == nil else {
                unlinkat(folder.fd, temp, 0)
                throw FileError(path, "appeared while acsquirk was writing it; nothing written, run again")
            }
            var r = cfileshim_renameat2(folder.fd, temp, folder.fd, name, UInt32(CFILESHIM_RENAME_NOREPLACE))
            if r != 0 && (errno == EINVAL || errno == ENOSYS) { r = renameat(folder.fd, temp, folder.fd, name) }
            if r != 0 { throw fail("cannot create the file") }
        }
        folder.sync()
        report.method = .file
    }
}
