import PCIConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One finding of the dump pre-check, printed as `file:line: error|warning: message`.
public struct DumpDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        /// libpci would abort on this line (or the file cannot be read at all).
        case error
        /// libpci accepts the file but silently ignores, merges or misreads something here.
        case warning
    }

    /// The file name as given.
    public var file: String
    /// 1-based line number; `nil` for problems with the whole file (cannot open it).
    public var line: Int?
    public var severity: Severity
    public var message: String
    /// For an error: the message libpci itself gives up with on this input, e.g.
    /// `dump: Malformed line` (lspci prints it as `lspci: dump: Malformed line`).
    public var libpciMessage: String?

    public init(file: String, line: Int?, severity: Severity, message: String, libpciMessage: String? = nil) {
        self.file = file
        self.line = line
        self.severity = severity
        self.message = message
        self.libpciMessage = libpciMessage
    }

    /// `file:line: severity: message` (without `:line` when there is no line).
    public var description: String {
        if let line { return "\(file):\(line): \(severity.rawValue): \(message)" }
        return "\(file): \(severity.rawValue): \(message)"
    }
}

/// What the pre-check found in a dump.
public struct DumpLintReport: Hashable, Sendable {
    /// A device header as libpci would read it.
    public struct Device: Hashable, Sendable {
        /// The header line (1-based).
        public var line: Int
        /// The address as written, e.g. `00:1c.0` or `0000:00:1c.0`.
        public var text: String
        /// The address, or `nil` when libpci accepts the header but the BDF is invalid
        /// (device > 0x1f or function > 7): acsquirk ignores such a device.
        public var address: PCIAddress?
        /// Bytes libpci will consider readable for this device (highest offset given + 1).
        public var length: Int
    }

    public var file: String
    /// In file order; errors and warnings mixed.
    public var diagnostics: [DumpDiagnostic]
    /// The device headers libpci will accept, in file order (duplicates included).
    public var devices: [Device]

    public var errors: [DumpDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [DumpDiagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// Whether libpci 3.9 would abort reading this file.
    public var isFatal: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A line-numbered pre-check of `lspci -x/-xxx/-xxxx` dumps that mirrors libpci 3.9's dump
/// grammar (pciutils lib/dump.c `dump_init`), so that acsquirk can refuse, with `file:line`,
/// what libpci would abort on without a line number, and warn about what libpci silently
/// ignores or merges.
///
/// Errors (libpci aborts the whole read):
/// - a line with more than 253 characters before its newline, or the last line without a newline
///   (`dump: line too long or unterminated`); a NUL byte anywhere in a line has the same effect,
///   which is how binary files fail;
/// - inside a device, a hex line whose offset is followed by anything but two-digit hex bytes
///   separated by single spaces (one trailing space allowed): `dump: Malformed line`;
/// - a byte at offset 0x1000 or above: `dump: At most 4096 bytes of config space are supported`
///   (offsets of 0x80000000 and more turn negative inside libpci and would write outside its
///   buffer; they are errors here as well).
///
/// Warnings (libpci reads on, possibly wrongly):
/// - a line that looks like a device header but is not one for libpci (leading whitespace, an
///   8-digit domain, a 3-digit bus, a 1-digit device, a hex-letter function, no space after the
///   function): it is ignored, and the hex lines below it are merged into the previous device
///   when no blank line came between (or dropped when none is open);
/// - hex lines outside a device (ignored);
/// - an invalid BDF that libpci accepts (`00:20.0`, `00:00.8`): acsquirk ignores that device;
/// - a duplicate BDF (both exist in libpci; acsquirk keeps the first);
/// - a device with fewer than 64 bytes, or with bytes missing below its highest offset
///   (they read as 0xff);
/// - a header directly after another device's hex lines without a blank line;
/// - no devices at all (an empty or non-dump file).
///
/// After the first error only further errors are reported (libpci would have stopped there).
public enum DumpLint {
    /// libpci reads lines with `fgets(buf, 255)`: 253 characters plus the newline fit.
    public static let maxLineLength = 253
    /// The largest file the pre-check reads (a full 4096-byte dump of 256 functions is ~3.4 MB).
    public static let maxFileSize = 64 << 20
    /// After this many diagnostics the rest are summarised in one line.
    public static let maxDiagnostics = 100

    /// Reads and checks the file at `path`.
    /// - Throws: `PCIAccessError` when the file cannot be read (message `path: error: ...`).
    public static func check(path: String) throws(PCIAccessError) -> DumpLintReport {
        let bytes = try readFile(path)
        return check(bytes: bytes, file: path)
    }

    /// Checks dump text given as bytes; `file` is only used in messages.
    public static func check(bytes: [UInt8], file: String) -> DumpLintReport {
        var lint = Linter(file: file)
        lint.run(bytes)
        return lint.report
    }

    static func readFile(_ path: String) throws(PCIAccessError) -> [UInt8] {
        func fail(_ what: String) -> PCIAccessError {
            let d = DumpDiagnostic(file: path, line: nil, severity: .error, message: what)
            return PCIAccessError(d.description, diagnostics: [d])
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw fail("cannot open: \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw fail("is a directory, not a dump file") }
        // libpci opens the file again itself: a pipe would be empty by then.
        if (st.st_mode & S_IFMT) != S_IFREG { throw fail("not a regular file (a pipe?): save the dump to a file first") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw fail("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > maxFileSize { throw fail("larger than \(maxFileSize >> 20) MiB: not an lspci dump") }
        }
        return out
    }
}

// MARK: - The checker

private struct Linter {
    let file: String
    var diagnostics: [DumpDiagnostic] = []
    var devices: [DumpLintReport.Device] = []
    var suppressed = 0

    // State mirroring dump_init: the open device (nil after a blank line).
    struct Open {
        var index: Int            // into devices
        var present: [Bool]       // which offsets were given
        var length: Int           // highest offset + 1
        var mergedFrom: Int?      // an ignored header line whose data now merges here
        var warnedMerge = false
    }
    var open: Open?
    var firstSeen: [String: Int] = [:]     // canonical address -> line
    var strayWarnedUntilBlank = false
    var ignoredHeaderWithoutDevice: Int?   // an ignored header when no device is open
    var previousLineWasData = false
    var sawError = false

    init(file: String) { self.file = file }

    var report: DumpLintReport {
        var d = diagnostics
        if suppressed > 0 {
            d.append(DumpDiagnostic(file: file, line: nil, severity: d.contains { $0.severity == .error } ? .error : .warning,
                                    message: "\(suppressed) more findings not shown"))
        }
        return DumpLintReport(file: file, diagnostics: d, devices: devices)
    }

    mutating func add(_ line: Int, _ severity: DumpDiagnostic.Severity, _ message: String, libpci: String? = nil) {
        // libpci stops at its first fatal error: what it would have ignored or merged after that
        // point no longer matters, but further errors are worth fixing in the same pass.
        if severity == .warning && sawError { return }
        if severity == .error { sawError = true }
        if diagnostics.count >= DumpLint.maxDiagnostics { suppressed += 1; return }
        diagnostics.append(DumpDiagnostic(file: file, line: line, severity: severity, message: message, libpciMessage: libpci))
    }

    static let unterminated = "dump: line too long or unterminated"
    static let malformed = "dump: Malformed line"
    static let tooBig = "dump: At most 4096 bytes of config space are supported"

    mutating func run(_ bytes: [UInt8]) {
        var pos = 0
        var lineNo = 0
        let n = bytes.count
        while pos < n {
            lineNo += 1
            // The whole line; libpci's fgets(buf, 255) holds 253 characters plus the newline,
            // which the length check below enforces.
            var nl: Int? = nil
            var i = pos
            while i < n {
                if bytes[i] == 0x0a { nl = i; break }
                i += 1
            }
            let lineEnd = nl ?? n                       // end of this line's content
            let content = Array(bytes[pos..<lineEnd])
            pos = (nl ?? n - 1) + 1
            if let z = content.firstIndex(of: 0) {
                add(lineNo, .error, "NUL byte at column \(z + 1) (a binary file?); libpci stops here with \"\(Linter.unterminated)\"",
                    libpci: Linter.unterminated)
                previousLineWasData = false
                continue
            }
            if content.count > DumpLint.maxLineLength {
                let crlf = content.last == 0x0d ? ", counting the \\r of the CRLF line end" : ""
                add(lineNo, .error, "line has \(content.count) characters\(crlf); libpci reads at most \(DumpLint.maxLineLength) before the newline (\"\(Linter.unterminated)\")",
                    libpci: Linter.unterminated)
                // Check the rest as if the line had fit, so later errors are found in this pass.
                var buf = content
                if buf.last == 0x0d { buf.removeLast() }
                line(buf, lineNo)
                continue
            }
            if nl == nil {
                add(lineNo, .error, "last line has no newline; libpci rejects the whole file (\"\(Linter.unterminated)\")",
                    libpci: Linter.unterminated)
                // libpci aborts before looking at the line; nothing more to check.
                break
            }
            var buf = content
            if buf.last == 0x0d { buf.removeLast() }
            line(buf, lineNo)
        }
        closeDevice()
        if devices.isEmpty {
            let what = bytes.isEmpty ? "empty file" : "no device header lines"
            add(max(lineNo, 1), .warning, "\(what): libpci reads this as a bus without devices")
        }
    }

    // MARK: One line

    mutating func line(_ b: [UInt8], _ no: Int) {
        if let h = header(b) {
            startDevice(h, b, no)
            previousLineWasData = false
            return
        }
        if b.isEmpty {
            closeDevice()
            open = nil
            strayWarnedUntilBlank = false
            ignoredHeaderWithoutDevice = nil
            previousLineWasData = false
            return
        }
        if let offsetEnd = dataPrefix(b) {
            if open != nil {
                data(b, offsetEnd: offsetEnd, no)
                previousLineWasData = true
            } else {
                if !strayWarnedUntilBlank {
                    if let h = ignoredHeaderWithoutDevice {
                        add(no, .warning, "hex data ignored: its header at line \(h) is not a header for libpci and no device is open")
                    } else {
                        add(no, .warning, "hex data outside a device (no header since the last blank line): libpci ignores it")
                    }
                    strayWarnedUntilBlank = true
                }
                previousLineWasData = false
            }
            return
        }
        previousLineWasData = false
        if open != nil, let reason = hexLookalike(b) {
            add(no, .warning, "hex line ignored by libpci (\(reason)): its bytes are not read")
            return
        }
        if let reason = headerLookalike(b) {
            if let o = open {
                let d = devices[o.index]
                add(no, .warning, "not a device header for libpci (\(reason)): ignored, and hex lines below it are merged into \(d.text) from line \(d.line) until the next blank line")
                open?.mergedFrom = no
                open?.warnedMerge = false
            } else {
                add(no, .warning, "not a device header for libpci (\(reason)): ignored with its hex lines")
                ignoredHeaderWithoutDevice = no
            }
        }
    }

    // MARK: Headers

    struct Header {
        var domain: UInt32
        var bus: Int
        var device: Int
        var function: Int
        var text: String
    }

    /// libpci's three header forms: "##:##.# ", "####:##:##.# ", "#####:##:##.# " followed by
    /// sscanf("%x:%x.%d") / ("%x:%x:%x.%d"): the function must be a decimal digit (0-9).
    func header(_ b: [UInt8]) -> Header? {
        for domainDigits in [0, 4, 5] {
            let fmt = (domainDigits == 0 ? "" : String(repeating: "#", count: domainDigits) + ":") + "##:##.# "
            guard validate(b, fmt) else { continue }
            let start = domainDigits == 0 ? 0 : domainDigits + 1
            let fnChar = b[start + 6]
            guard fnChar >= 0x30 && fnChar <= 0x39 else { return nil }
            let domain = domainDigits == 0 ? 0 : hexValue(b[0..<domainDigits])
            let bus = Int(hexValue(b[start..<start + 2]))
            let dev = Int(hexValue(b[start + 3..<start + 5]))
            let text = String(decoding: b[0..<start + 7], as: UTF8.self)
            return Header(domain: domain, bus: bus, device: dev, function: Int(fnChar - 0x30), text: text)
        }
        return nil
    }

    mutating func startDevice(_ h: Header, _ b: [UInt8], _ no: Int) {
        if previousLineWasData, let o = open {
            add(no, .warning, "device header directly after the hex lines of \(devices[o.index].text) (line \(devices[o.index].line)) without a blank line; lspci always writes one, so the file was probably edited")
        }
        closeDevice()
        var address: PCIAddress? = nil
        if h.device > 0x1f || h.function > 7 {
            let what = h.device > 0x1f ? "device 0x\(hex(h.device, width: 2)) > 0x1f" : "function \(h.function) > 7"
            add(no, .warning, "invalid BDF \(h.text) (\(what)): libpci accepts it, acsquirk ignores this device")
        } else {
            address = PCIAddress(domain: h.domain, bus: UInt8(h.bus), device: UInt8(h.device), function: UInt8(h.function))
        }
        if let address {
            let key = address.description
            if let first = firstSeen[key] {
                add(no, .warning, "duplicate device \(key) (first at line \(first)): libpci keeps both, acsquirk uses the first")
            } else {
                firstSeen[key] = no
            }
        }
        devices.append(DumpLintReport.Device(line: no, text: h.text, address: address, length: 0))
        open = Open(index: devices.count - 1, present: [Bool](repeating: false, count: 4096), length: 0)
        strayWarnedUntilBlank = false
        ignoredHeaderWithoutDevice = nil
    }

    mutating func closeDevice() {
        guard let o = open else { return }
        open = nil
        let d = devices[o.index]
        devices[o.index].length = o.length
        guard d.address != nil else { return }
        if o.length < 64 {
            add(d.line, .warning, "\(d.text) has only \(o.length) bytes of config space: fewer than the 64-byte header (lspci: \"Cannot show hex-dump\"); nothing about it can be decoded reliably")
        }
        if let gap = o.present[0..<o.length].firstIndex(of: false) {
            var end = gap
            while end < o.length && !o.present[end] { end += 1 }
            add(d.line, .warning, "\(d.text): bytes 0x\(hex(gap, width: 2))-0x\(hex(end - 1, width: 2)) are missing below the last given offset; libpci reads them as ff")
        }
    }

    /// Why a line that looks like a header is not one for libpci, or nil when it does not look
    /// like a header at all (verbose `lspci -vvv` text lines are left alone).
    func headerLookalike(_ b: [UInt8]) -> String? {
        var i = 0
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        let leading = i
        func hexRun() -> Int {
            let s = i
            while i < b.count, isHex(b[i]) { i += 1 }
            return i - s
        }
        var groups: [Int] = []
        let g0 = hexRun()
        guard g0 > 0, i < b.count, b[i] == 0x3a else { return nil }
        groups.append(g0)
        i += 1
        let g1 = hexRun()
        guard g1 > 0, i < b.count else { return nil }
        groups.append(g1)
        if b[i] == 0x3a {
            i += 1
            let g2 = hexRun()
            guard g2 > 0, i < b.count else { return nil }
            groups.append(g2)
        }
        guard b[i] == 0x2e else { return nil }
        i += 1
        let fs = i
        while i < b.count, isAlnum(b[i]) { i += 1 }
        let fn = Array(b[fs..<i])
        guard !fn.isEmpty, fn.count <= 2 else { return nil }
        // Only treat it as a would-be header when what follows the function is a space, a tab or
        // the end of the line: keeps times or version numbers in verbose text out.
        if i < b.count, b[i] != 0x20 && b[i] != 0x09 { return nil }
        if leading > 0 { return "leading whitespace" }
        if groups.count == 3, groups[0] != 4 && groups[0] != 5 {
            return "\(groups[0])-digit domain; libpci reads 4 or 5 digits"
        }
        let bus = groups[groups.count - 2], dev = groups[groups.count - 1]
        if bus != 2 { return "\(bus)-digit bus; libpci reads exactly 2 digits" }
        if dev != 2 { return "\(dev)-digit device; libpci reads exactly 2 digits" }
        if fn.count != 1 || !(fn[0] >= 0x30 && fn[0] <= 0x39) {
            return "function '\(String(decoding: fn, as: UTF8.self))' is not one decimal digit"
        }
        if i >= b.count { return "no space after the function number" }
        return "a tab after the function number; libpci needs a space"
    }

    /// Why a line that looks like a hex line is not one for libpci (leading whitespace, or an
    /// offset of 9 or more digits), or nil.
    func hexLookalike(_ b: [UInt8]) -> String? {
        var i = 0
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        let leading = i
        while i < b.count, isHex(b[i]) { i += 1 }
        let digits = i - leading
        guard digits >= 2, i + 4 <= b.count, b[i] == 0x3a, b[i + 1] == 0x20, isHex(b[i + 2]), isHex(b[i + 3]),
              i + 4 == b.count || b[i + 4] == 0x20 else { return nil }
        if leading > 0 { return "leading whitespace" }
        if digits > 8 { return "\(digits)-digit offset; libpci reads 2 to 8 digits" }
        return nil
    }

    // MARK: Data lines

    /// libpci: "##: " ... "########: " (2-8 hex digits, colon, space). Returns the index of the colon.
    func dataPrefix(_ b: [UInt8]) -> Int? {
        for digits in 2...8 {
            if validate(b, String(repeating: "#", count: digits) + ": ") { return digits }
        }
        return nil
    }

    mutating func data(_ b: [UInt8], offsetEnd: Int, _ no: Int) {
        guard var o = open else { return }
        if let m = o.mergedFrom, !o.warnedMerge {
            add(no, .warning, "hex data merged into \(devices[o.index].text) (line \(devices[o.index].line)) because the header at line \(m) was ignored")
            o.warnedMerge = true
        }
        let offset = UInt64(hexValue(b[0..<offsetEnd]))
        var z = offsetEnd + 2
        var k: UInt64 = 0
        var failed = false
        // while (isxdigit(z[0]) && isxdigit(z[1]) && (!z[2] || z[2] == ' ')) in dump_init.
        while z < b.count {
            guard isHex(b[z]), z + 1 < b.count, isHex(b[z + 1]), z + 2 == b.count || b[z + 2] == 0x20 else { break }
            let at = offset + k
            if at >= 4096 {
                let note = offset >= 0x8000_0000 ? "; libpci 3.9 reads this offset as negative and writes outside its buffer" : ""
                add(no, .error, "byte at offset 0x\(String(at, radix: 16)) is past 4096 bytes of config space (\"\(Linter.tooBig)\"\(note))",
                    libpci: offset >= 0x8000_0000 ? nil : Linter.tooBig)
                failed = true
                break
            }
            o.present[Int(at)] = true
            if Int(at) + 1 > o.length { o.length = Int(at) + 1 }
            k += 1
            z += 2
            if z < b.count { z += 1 }
        }
        if !failed && z < b.count {
            add(no, .error, "malformed hex bytes at column \(z + 1): \(describe(b, at: z)); libpci wants two-digit hex bytes separated by single spaces (\"\(Linter.malformed)\")",
                libpci: Linter.malformed)
        }
        open = o
        devices[o.index].length = o.length
    }

    func describe(_ b: [UInt8], at z: Int) -> String {
        func show(_ c: UInt8) -> String {
            switch c {
            case 0x09: "a tab"
            case 0x20: "a space"
            case 0x0d: "a carriage return"
            case 0x21...0x7e: "'\(Character(Unicode.Scalar(c)))'"
            default: "byte 0x\(hex(c, width: 2))"
            }
        }
        let c = b[z]
        if c == 0x20 { return z + 1 == b.count ? "a second trailing space" : "a double space" }
        if isHex(c), z + 1 < b.count, isHex(b[z + 1]), z + 2 < b.count {
            let pair = String(decoding: b[z..<z + 2], as: UTF8.self)
            if isHex(b[z + 2]) {
                var end = z
                while end < b.count, isHex(b[end]) { end += 1 }
                return "'\(String(decoding: b[z..<end], as: UTF8.self))' has more than two digits"
            }
            return "\(show(b[z + 2])) after '\(pair)' instead of a space"
        }
        if isHex(c) { return z + 1 < b.count ? "'\(Character(Unicode.Scalar(c)))' followed by \(show(b[z + 1]))" : "a one-digit byte at the end" }
        if c > 0x20 && c < 0x7f {
            var end = z
            while end < b.count, b[end] > 0x20, b[end] < 0x7f, end - z < 8 { end += 1 }
            return "'\(String(decoding: b[z..<end], as: UTF8.self))' is not a hex byte"
        }
        return "\(show(c)) where a hex byte should be"
    }

    // MARK: Helpers (libpci's dump_validate: '#' = isxdigit, anything else literal)

    func validate(_ b: [UInt8], _ fmt: String) -> Bool {
        var i = 0
        for f in fmt.utf8 {
            guard i < b.count else { return false }
            if f == UInt8(ascii: "#") { if !isHex(b[i]) { return false } } else if f != b[i] { return false }
            i += 1
        }
        return true
    }
}

@inline(__always) private func isHex(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

@inline(__always) private func isAlnum(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

private func hexValue(_ s: ArraySlice<UInt8>) -> UInt32 {
    var v: UInt32 = 0
    for c in s {
        let d: UInt32 = c <= 0x39 ? UInt32(c - 0x30) : c <= 0x46 ? UInt32(c - 0x41 + 10) : UInt32(c - 0x61 + 10)
        v = v &* 16 &+ d
    }
    return v
}
