#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be read or written: the path and what is wrong, in words
/// (`out/scan.txt: is a FIFO (named pipe): …`). Never a raw Foundation error.
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path as the user gave it (or as the command built it from what the user gave).
    public var path: String
    /// What is wrong, starting lower case (`is a folder`, `no space left on device`).
    public var problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }

    /// `errno` in words, lower case (`no such file or directory`, `permission denied`).
    public static func words(_ code: Int32) -> String {
        switch code {
        case ENOTDIR: return "a part of the path is not a folder"
        case EISDIR: return "is a folder"
        case ELOOP: return "too many symbolic links in the path"
        case ENAMETOOLONG: return "a name in the path is longer than the file system accepts (255 bytes)"
        case EFBIG: return "file too large (over the file size limit)"
        default:
            let s = String(cString: strerror(code))
            guard let first = s.first else { return "error \(code)" }
            return first.lowercased() + s.dropFirst()
        }
    }

    /// The error of the last failed system call on `path`, with what was being done
    /// (`cannot create the folder: permission denied`).
    static func posix(_ path: String, _ doing: String? = nil, _ code: Int32 = errno) -> FileError {
        FileError(path, (doing.map { $0 + ": " } ?? "") + words(code))
    }
}

/// What is at a path, named as a person would name it in an error.
public enum FileKind: Equatable, Sendable {
    case regular, folder, symbolicLink, fifo, characterDevice, blockDevice, socket, other

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .folder
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }

    /// `a file`, `a FIFO (named pipe)`, ...
    public var phrase: String {
        switch self {
        case .regular: "a file"
        case .folder: "a folder"
        case .symbolicLink: "a symbolic link"
        case .fifo: "a FIFO (named pipe)"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .other: "a special file"
        }
    }

    /// What is at `path` without following a final symbolic link; nil when nothing is.
    public static func at(_ path: String) -> FileKind? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileKind(mode: st.st_mode)
    }
}

/// What to say about a path that holds something acsquirk will not write into or replace.
enum Refusal {
    /// The target of the symbolic link at `path` (as stored), or `?`.
    static func linkTarget(_ path: String, at dirfd: Int32 = AT_FDCWD) -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirfd, path, &buf, buf.count - 1)
        guard n >= 0 else { return "?" }
        return buf.prefix(n).withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
    }

    /// A symbolic link where a file is to be written.
    static func link(_ shown: String, target: String, dangling: Bool) -> FileError {
        FileError(shown, "is a symbolic link to \(target)" + (dangling ? ", which does not exist" : "")
            + ": acsquirk neither replaces a link nor writes through it; give "
            + (dangling ? "the path of a file" : "the file it points to") + ", or remove the link")
    }

    /// A special file (FIFO, device, socket) or a folder where a file is to be written.
    static func notAFile(_ shown: String, _ kind: FileKind, standardOutputHint: Bool) -> FileError {
        if kind == .folder { return FileError(shown, "is a folder, not a regular file; give the path of a file") }
        return FileError(shown, "is \(kind.phrase): acsquirk writes only regular files, never into or over special files"
            + (standardOutputHint ? "; use -o - to write to standard output (and redirect it)" : ""))
    }
}

/// File names file systems accept: at most 255 bytes per name (NAME_MAX on Linux's file
/// systems), counted in UTF-8 bytes, not characters.
public enum FileName {
    public static let maxBytes = 255

    /// `name` cut to at most `bytes` UTF-8 bytes: at the last `separator` that keeps it within
    /// the limit when there is one in its second half, else at a character boundary; never
    /// ending in `separator`.
    public static func fitting(_ name: String, bytes: Int, separator: Character = "-") -> String {
        guard name.utf8.count > bytes else { return name }
        var cut = ""
        for ch in name {
            if cut.utf8.count + String(ch).utf8.count > bytes { break }
            cut.append(ch)
        }
        if let i = cut.lastIndex(of: separator), cut.distance(from: cut.startIndex, to: i) >= cut.count / 2 {
            cut = String(cut[..<i])
        }
        while cut.last == separator { cut.removeLast() }
        return cut
    }
}
