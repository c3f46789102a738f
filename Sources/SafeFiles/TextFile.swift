#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading an input text file (a kernel tree's quirks.c, a template) with errors in words:
/// `no such file or directory`, `is a folder`, `is a FIFO (named pipe), not a file` (never
/// opened, so a FIFO cannot hang the read), `is not UTF-8 text (byte 0xff at offset 12)`.
public enum TextFile {
    public static func read(_ path: String) throws(FileError) -> String {
        let bytes = try bytes(path)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw invalid(path, bytes) }
        return text
    }

    /// The bytes of the regular file at `path`: all of them, or the first `limit`.
    public static func bytes(_ path: String, limit: Int = .max) throws(FileError) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileError.posix(path, "cannot read") }
        let kind = FileKind(mode: st.st_mode)
        guard kind == .regular else {
            throw FileError(path, kind == .folder ? "is a folder, not a file" : "is \(kind.phrase), not a file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FileError.posix(path, "cannot read") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(Int(st.st_size), limit))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit - bytes.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.posix(path, "cannot read")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// The error for bytes that are not UTF-8: the line and offset of the first bad byte.
    static func invalid(_ path: String, _ bytes: [UInt8]) -> FileError {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0, line = 1
        while case let .scalarValue(u) = decoder.decode(&it) {
            offset += UTF8.width(u)
            if u == "\n" { line += 1 }
        }
        let byte = offset < bytes.count ? " 0x" + String(bytes[offset], radix: 16) : ""
        return FileError(path, "is not UTF-8 text (line \(line), byte\(byte) at offset \(offset))")
    }
}
