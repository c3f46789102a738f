import Diagnostics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a dump as `DumpInput` hands it to a parser.
public struct DumpLine {
    /// 1-based line number.
    public let number: Int
    /// The line's bytes without the `\n` (a `\r` before it is kept): at most
    /// `DumpInput.maxLineBytes` of them. Valid only inside the `forEachLine` call that gave it.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The line's real length without the `\n`; larger than `bytes.count` only for a line longer
    /// than `DumpInput.maxLineBytes`, whose tail is not kept.
    public let length: Int
    /// Whether a `\n` ended the line (false only for a last line without one).
    public let terminated: Bool
    /// Whether the line's last byte (before the `\n`) is a `\r`, as in a CRLF file; exact even
    /// for a cut line.
    public let endsWithCR: Bool
}

/// The bytes of a dump read once, front to back, a line at a time, with memory bounded by
/// `bufferSize` whatever the file's size: a 130 MB dump of 10,000 functions is never held whole.
///
/// The first `headSize` bytes are read at once (`head`) so that `DumpReader` can tell the format
/// from the content before a parser reads the lines.
public final class DumpInput {
    /// The name used in messages (the path as given).
    public let file: String
    /// Up to the first `headSize` bytes of the input (fewer for a shorter input).
    public private(set) var head: [UInt8] = []

    /// How many bytes `head` holds at most.
    public static let headSize = 64 << 10
    /// The longest line prefix handed to a parser; longer lines are cut (their `length` is exact).
    /// No format has lines near this long: lspci writes at most about 250 characters per line.
    public static let maxLineBytes = 64 << 10

    private enum Source {
        case descriptor(Int32)
        case bytes([UInt8], position: Int)
    }

    private var source: Source
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// Valid data is buffer[start..<end].
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var consumed = false
    private let maxLine: Int

    /// Opens `path` for reading: a regular file or a pipe (`--dump /dev/stdin`, `<(lspci -xxxx)`).
    /// - Throws: `PCIAccessError` with `path: error: ...` when it cannot be opened or read, or is a
    ///   directory or a device.
    public convenience init(path: String) throws(PCIAccessError) {
        func fail(_ what: String) -> PCIAccessError {
            let d = Diagnostic(file: path, line: nil, severity: .error, message: what)
            return PCIAccessError(d.description, diagnostics: [d])
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw fail("cannot open: \(String(cString: strerror(e)))")
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR { close(fd); throw fail("is a directory, not a dump file") }
        if kind != S_IFREG && kind != S_IFIFO {
            close(fd)
            throw fail("not a regular file or a pipe (a device?): save the dump to a file first")
        }
        self.init(file: path, source: .descriptor(fd))
        try fillHead()
    }

    /// Reads dump text given as bytes (tests, fuzzing); `file` is only used in messages.
    /// `bufferSize` below the default exercises the line splitting across buffer refills.
    public convenience init(bytes: [UInt8], file: String, bufferSize: Int = DumpInput.defaultBufferSize) {
        self.init(file: file, source: .bytes(bytes, position: 0), bufferSize: bufferSize)
        head = Array(bytes.prefix(DumpInput.headSize))
    }

    /// 1 MiB: a few dozen devices of a full dump per refill.
    public static let defaultBufferSize = 1 << 20

    private init(file: String, source: Source, bufferSize: Int = DumpInput.defaultBufferSize) {
        self.file = file
        self.source = source
        // Room for the longest kept line prefix plus a chunk to search for its end.
        let size = max(bufferSize, 512)
        maxLine = min(DumpInput.maxLineBytes, size / 2)
        buffer = .allocate(capacity: size)
    }

    deinit {
        buffer.deallocate()
        if case let .descriptor(fd) = source { close(fd) }
    }

    /// Calls `body` with every line in order: once only per input.
    /// - Throws: `PCIAccessError` when reading fails part way (`path: error: cannot read: ...`).
    public func forEachLine(_ body: (DumpLine) -> Void) throws(PCIAccessError) {
        precondition(!consumed, "a DumpInput is read once")
        consumed = true
        var number = 0
        var scan = start           // where the search for "\n" resumes
        var skipped = 0            // bytes of an over-long line dropped after its kept prefix
        var overLong = false       // buffer[0..<maxLine] holds the kept prefix of an over-long line
        var lastDropped: UInt8 = 0 // the last byte dropped from it
        let base = buffer.baseAddress!
        while true {
            if scan < end, let p = memchr(base + scan, 0x0a, end - scan) {
                let nl = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                number += 1
                if overLong {
                    let last = nl > maxLine ? base[nl - 1] : lastDropped
                    body(DumpLine(number: number, bytes: UnsafeBufferPointer(start: base, count: maxLine),
                                  length: skipped + nl, terminated: true, endsWithCR: last == 0x0d))
                    overLong = false
                    skipped = 0
                } else {
                    body(DumpLine(number: number, bytes: UnsafeBufferPointer(start: base + start, count: nl - start),
                                  length: nl - start, terminated: true, endsWithCR: nl > start && base[nl - 1] == 0x0d))
                }
                start = nl + 1
                scan = start
                continue
            }
            scan = end
            if atEOF {
                if overLong {
                    let last = end > maxLine ? base[end - 1] : lastDropped
                    body(DumpLine(number: number + 1, bytes: UnsafeBufferPointer(start: base, count: maxLine),
                                  length: skipped + end, terminated: false, endsWithCR: last == 0x0d))
                } else if start < end {
                    body(DumpLine(number: number + 1, bytes: UnsafeBufferPointer(start: base + start, count: end - start),
                                  length: end - start, terminated: false, endsWithCR: base[end - 1] == 0x0d))
                }
                return
            }
            // Keep the partial line at the front, then read more after it.
            if start > 0 {
                if end > start { memmove(base, base + start, end - start) }
                end -= start
                scan -= start
                start = 0
            }
            if end == buffer.count {
                // A line longer than the buffer: keep its first maxLine bytes, count the rest.
                skipped += end - maxLine
                lastDropped = base[end - 1]
                end = maxLine
                scan = maxLine
                overLong = true
            }
            try refill()
        }
    }

    /// Reads into buffer[end...] until at least `headSize` bytes (or the whole input) are there.
    private func fillHead() throws(PCIAccessError) {
        while end < DumpInput.headSize && !atEOF { try refill() }
        head = Array(buffer[0..<min(end, DumpInput.headSize)])
    }

    /// One read into buffer[end...]; sets `atEOF` at the end of the input.
    private func refill() throws(PCIAccessError) {
        let room = buffer.count - end
        guard room > 0 else { return }
        switch source {
        case let .descriptor(fd):
            while true {
                let n = read(fd, buffer.baseAddress! + end, room)
                if n > 0 { end += n; return }
                if n == 0 { atEOF = true; return }
                if errno == EINTR { continue }
                let d = Diagnostic(file: file, line: nil, severity: .error,
                                   message: "cannot read: \(String(cString: strerror(errno)))")
                throw PCIAccessError(d.description, diagnostics: [d])
            }
        case let .bytes(all, position):
            let n = min(room, all.count - position)
            if n == 0 { atEOF = true; return }
            all.withUnsafeBufferPointer { src in
                _ = UnsafeMutableBufferPointer(rebasing: buffer[end..<end + n])
                    .initialize(from: UnsafeBufferPointer(rebasing: src[position..<position + n]))
            }
            end += n
            source = .bytes(all, position: position + n)
        }
    }
}
