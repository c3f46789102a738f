import Diagnostics
import PCIConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Diagnostic {
    /// A finding about a dump at `line` of `file` (`nil`: the whole file, e.g. it cannot be opened),
    /// printed as `file:line: error|warning: message`. `error`: the dump is refused (libpci would
    /// abort on this line, or the file cannot be read); `warning`: libpci accepts the file but
    /// silently ignores, merges or misreads something here. A reader's finding names no rule.
    public init(file: String, line: Int?, severity: Severity, message: String, libpciMessage: String? = nil) {
        self.init(severity, Location(file: file, line: line), rule: nil, message: message, libpciMessage: libpciMessage)
    }
}

/// A dump as read: its functions, and what was found wrong with it.
public struct ParsedDump: Hashable, Sendable {
    /// A device header as libpci would read it.
    public struct Device: Hashable, Sendable {
        /// The header line (1-based).
        public var line: Int
        /// The address as written, e.g. `00:1c.0` or `0000:00:1c.0`.
        public var text: String
        /// The address, or `nil` when libpci accepts the header but the BDF is invalid
        /// (device > 0x1f or function > 7): acsquirk ignores such a device.
        public var address: PCIAddress?
        /// Bytes libpci considers readable for this device (highest offset given + 1).
        public var length: Int

        public init(line: Int, text: String, address: PCIAddress?, length: Int) {
            self.line = line
            self.text = text
            self.address = address
            self.length = length
        }
    }

    public var file: String
    /// The format's name (`DumpFormat.name`), e.g. `lspci hex dump`.
    public var format: String
    /// In file order; errors and warnings mixed.
    public var diagnostics: [Diagnostic]
    /// Every device header, in file order (duplicates and invalid BDFs included).
    public var devices: [Device]
    /// The functions acsquirk uses, sorted by address: one per valid address (the first of
    /// duplicates), with exactly the bytes and readable size libpci would give. Empty when fatal.
    public var functions: [PCIFunction]
    /// What the input cannot tell and what was taken instead (lspci text; empty for hex dumps).
    public var assumptions: [InputAssumption]
    /// What the machine recorded besides config space (a snapshot; lspci text with `IOMMU group:`
    /// or `Kernel driver in use:` lines).
    public var recorded: RecordedSystem?

    public init(file: String, format: String, diagnostics: [Diagnostic], devices: [Device], functions: [PCIFunction],
                assumptions: [InputAssumption] = [], recorded: RecordedSystem? = nil) {
        self.file = file
        self.format = format
        self.diagnostics = diagnostics
        self.devices = devices
        self.functions = functions
        self.assumptions = assumptions
        self.recorded = recorded
    }

    /// The kind of input the format that read it stands for.
    public var kind: InputFormat? { DumpReader.formats.first { $0.name == format }?.kind }

    public var errors: [Diagnostic] { diagnostics.errors }
    public var warnings: [Diagnostic] { diagnostics.warnings }
    /// Whether the dump is refused (libpci 3.9 would abort reading it, or worse).
    public var isFatal: Bool { diagnostics.hasErrors }
}

/// The name the malformed-corpus tests and the first pre-check used for the hex-dump parser.
public typealias DumpLint = LspciHexDump
/// What `DumpLint.check` returns.
public typealias DumpLintReport = ParsedDump

/// `lspci -x/-xxx/-xxxx` dumps (also `-vvvxxxx`), read with libpci 3.9's grammar (pciutils
/// lib/dump.c `dump_init`) in one pass: the functions with their bytes, and line-numbered
/// diagnostics for what libpci would abort on without a line number (errors: the dump is
/// refused) or silently ignore or merge (warnings). libpci itself no longer reads dumps;
/// `PCIAccessTests/DumpOracleTests` holds this parser to libpci's reader and to `lspci -F` on
/// every fixture.
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
/// At most `maxDiagnostics` findings are listed, then one line counts the rest; the first error
/// is always listed, however many warnings came before it.
public enum LspciHexDump: DumpFormat {
    public static let name = "lspci hex dump"
    public static let kind = InputFormat.hexDump
    /// libpci reads lines with `fgets(buf, 255)`: 253 characters plus the newline fit.
    public static let maxLineLength = 253
    /// After this many diagnostics the rest are summarised in one line (the first error excepted).
    public static let maxDiagnostics = 100

    /// The hex dump is the format of last resort: it claims every input (a file with no device
    /// header gets its warning).
    public static func claims(head: [UInt8]) -> Bool { true }

    public static func parse(_ input: DumpInput) throws(PCIAccessError) -> ParsedDump {
        var parser = HexDumpParser(file: input.file)
        defer { parser.deallocate() }
        try input.forEachLine { parser.line($0) }
        return parser.finish()
    }

    /// Reads and parses the file at `path` as a hex dump (no format detection).
    /// - Throws: `PCIAccessError` when the file cannot be read (message `path: error: ...`).
    public static func check(path: String) throws(PCIAccessError) -> ParsedDump {
        try parse(DumpInput(path: path))
    }

    /// Parses dump text given as bytes; `file` is only used in messages.
    public static func check(bytes: [UInt8], file: String) -> ParsedDump {
        // Reading from memory cannot fail.
        (try? parse(DumpInput(bytes: bytes, file: file)))
            ?? ParsedDump(file: file, format: name, diagnostics: [], devices: [], functions: [])
    }
}

// MARK: - The parser

/// dump_init's state machine, one line at a time, with the open device's bytes kept as libpci
/// keeps them (0xff where no byte was given; readable up to the highest offset given + 1).
struct HexDumpParser {
    let file: String
    var diagnostics: [Diagnostic] = []
    var devices: [ParsedDump.Device] = []
    var functions: [PCIFunction] = []
    var suppressed = 0
    var sawError = false
    var lastLine = 0

    // The open device (nil after a blank line), as dump_init's `dev`.
    var open: Int?                  // index into devices
    var openLength = 0              // highest offset + 1
    var openKept = false            // its bytes become a function (valid, first of its address)
    var mergedFrom: Int?            // an ignored header line whose data now merges here
    var warnedMerge = false
    /// The open device's bytes (0xff where none was given) and which offsets were given; below
    /// `openLength` only, the rest stays 0xff / false.
    let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: ConfigSpace.size)
    let present = UnsafeMutableBufferPointer<Bool>.allocate(capacity: ConfigSpace.size)
    var presentCount = 0            // offsets given at least once

    var firstSeen: [PCIAddress: Int] = [:]     // address -> header line
    var strayWarnedUntilBlank = false
    var ignoredHeaderWithoutDevice: Int?       // an ignored header when no device is open
    var previousLineWasData = false

    init(file: String) {
        self.file = file
        bytes.initialize(repeating: 0xff)
        present.initialize(repeating: false)
    }

    func deallocate() {
        bytes.deallocate()
        present.deallocate()
    }

    static let unterminated = "dump: line too long or unterminated"
    static let malformed = "dump: Malformed line"
    static let tooBig = "dump: At most 4096 bytes of config space are supported"

    mutating func add(_ line: Int?, _ severity: Diagnostic.Severity, _ message: String, libpci: String? = nil) {
        // libpci stops at its first fatal error: what it would have ignored or merged after that
        // point no longer matters, but further errors are worth fixing in the same pass.
        if severity == .warning && sawError { return }
        let firstError = severity == .error && !sawError
        if severity == .error { sawError = true }
        // The cap never hides the error that refuses the dump (issue #15: an error after 100
        // warnings used to reach libpci unchecked).
        if diagnostics.count >= LspciHexDump.maxDiagnostics && !firstError { suppressed += 1; return }
        diagnostics.append(Diagnostic(file: file, line: line, severity: severity, message: message, libpciMessage: libpci))
    }

    mutating func finish() -> ParsedDump {
        closeDevice()
        if devices.isEmpty {
            let what = lastLine == 0 ? "empty file" : "no device header lines"
            add(max(lastLine, 1), .warning, "\(what): libpci reads this as a bus without devices")
        }
        var d = diagnostics
        if suppressed > 0 {
            d.append(Diagnostic(file: file, line: nil, severity: sawError ? .error : .warning,
                                message: "\(suppressed) more findings not shown"))
        }
        return ParsedDump(file: file, format: LspciHexDump.name, diagnostics: d, devices: devices,
                          functions: sawError ? [] : functions.sorted { $0.address < $1.address })
    }

    // MARK: One line

    /// fgets(buf, 255) and the end-of-line handling of dump_init.
    mutating func line(_ l: DumpLine) {
        lastLine = l.number
        let content = l.bytes
        if let base = content.baseAddress, let nul = memchr(base, 0, content.count) {
            let z = base.distance(to: nul.assumingMemoryBound(to: UInt8.self))
            add(l.number, .error, "NUL byte at column \(z + 1) (a binary file?); libpci stops here with \"\(Self.unterminated)\"",
                libpci: Self.unterminated)
            previousLineWasData = false
            return
        }
        // One trailing \r is dropped (CRLF files); a cut line has lost its \r already.
        let b = l.endsWithCR && content.count == l.length ? UnsafeBufferPointer(rebasing: content.dropLast()) : content
        if l.length > LspciHexDump.maxLineLength {
            let crlf = l.endsWithCR ? ", counting the \\r of the CRLF line end" : ""
            add(l.number, .error, "line has \(l.length) characters\(crlf); libpci reads at most \(LspciHexDump.maxLineLength) before the newline (\"\(Self.unterminated)\")",
                libpci: Self.unterminated)
            // Check the rest as if the line had fit, so later errors are found in this pass.
            line(b, l.number)
            return
        }
        if !l.terminated {
            // libpci aborts before looking at the line; nothing more to check.
            add(l.number, .error, "last line has no newline; libpci rejects the whole file (\"\(Self.unterminated)\")",
                libpci: Self.unterminated)
            return
        }
        line(b, l.number)
    }

    mutating func line(_ b: UnsafeBufferPointer<UInt8>, _ no: Int) {
        if let h = header(b) {
            startDevice(h, no)
            previousLineWasData = false
            return
        }
        if b.isEmpty {
            closeDevice()
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
                let d = devices[o]
                add(no, .warning, "not a device header for libpci (\(reason)): ignored, and hex lines below it are merged into \(d.text) from line \(d.line) until the next blank line")
                mergedFrom = no
                warnedMerge = false
            } else {
                add(no, .warning, "not a device header for libpci (\(reason)): ignored with its hex lines")
                ignoredHeaderWithoutDevice = no
            }
        }
    }

    // MARK: Headers

    struct Header {
        var domain: UInt32
        var bus: UInt8
        var device: Int
        var function: Int
        var text: String
    }

    /// libpci's three header forms: "##:##.# ", "####:##:##.# ", "#####:##:##.# " (`#` a hex
    /// digit) followed by sscanf("%x:%x.%d") / ("%x:%x:%x.%d"): the function must be a decimal
    /// digit (0-9), else the line is not a header.
    func header(_ b: UnsafeBufferPointer<UInt8>) -> Header? {
        // The first colon's position tells which form can match (a colon is no hex digit).
        guard b.count >= 8 else { return nil }
        let domainDigits = b[2] == 0x3a ? 0 : b[4] == 0x3a ? 4 : b.count >= 14 && b[5] == 0x3a ? 5 : -1
        guard domainDigits >= 0 else { return nil }
        let start = domainDigits == 0 ? 0 : domainDigits + 1
        guard b.count >= start + 8 else { return nil }
        for i in 0..<domainDigits where !isHex(b[i]) { return nil }
        guard isHex(b[start]), isHex(b[start + 1]), b[start + 2] == 0x3a, isHex(b[start + 3]), isHex(b[start + 4]),
              b[start + 5] == 0x2e, isHex(b[start + 6]), b[start + 7] == 0x20 else { return nil }
        let fnChar = b[start + 6]
        guard fnChar >= 0x30 && fnChar <= 0x39 else { return nil }
        return Header(domain: domainDigits == 0 ? 0 : hexValue(b[0..<domainDigits]),
                      bus: UInt8(hexValue(b[start..<start + 2])), device: Int(hexValue(b[start + 3..<start + 5])),
                      function: Int(fnChar - 0x30), text: String(decoding: b[0..<start + 7], as: UTF8.self))
    }

    mutating func startDevice(_ h: Header, _ no: Int) {
        if previousLineWasData, let o = open {
            add(no, .warning, "device header directly after the hex lines of \(devices[o].text) (line \(devices[o].line)) without a blank line; lspci always writes one, so the file was probably edited")
        }
        closeDevice()
        var address: PCIAddress? = nil
        if h.device > 0x1f || h.function > 7 {
            let what = h.device > 0x1f ? "device 0x\(hex(h.device, width: 2)) > 0x1f" : "function \(h.function) > 7"
            add(no, .warning, "invalid BDF \(h.text) (\(what)): libpci accepts it, acsquirk ignores this device")
        } else {
            address = PCIAddress(domain: h.domain, bus: h.bus, device: UInt8(h.device), function: UInt8(h.function))
        }
        openKept = false
        if let address {
            if let first = firstSeen[address] {
                add(no, .warning, "duplicate device \(address) (first at line \(first)): libpci keeps both, acsquirk uses the first")
            } else {
                firstSeen[address] = no
                openKept = true
            }
        }
        devices.append(ParsedDump.Device(line: no, text: h.text, address: address, length: 0))
        open = devices.count - 1
        openLength = 0
        mergedFrom = nil
        warnedMerge = false
        strayWarnedUntilBlank = false
        ignoredHeaderWithoutDevice = nil
    }

    mutating func closeDevice() {
        guard let o = open else { return }
        open = nil
        let length = openLength
        devices[o].length = length
        if let address = devices[o].address {
            let d = devices[o]
            if length < 64 {
                add(d.line, .warning, "\(d.text) has only \(length) bytes of config space: fewer than the 64-byte header (lspci: \"Cannot show hex-dump\"); nothing about it can be decoded reliably")
            }
            if presentCount < length, let gap = present[0..<length].firstIndex(of: false) {
                var end = gap
                while end < length && !present[end] { end += 1 }
                add(d.line, .warning, "\(d.text): bytes 0x\(hex(gap, width: 2))-0x\(hex(end - 1, width: 2)) are missing below the last given offset; libpci reads them as ff")
            }
            if openKept && !sawError {
                functions.append(PCIFunction(address: address, config: ConfigSpace(bytes: Array(bytes), readable: length)))
            }
        }
        // Ready for the next device: every byte written lies below its length.
        UnsafeMutableBufferPointer(rebasing: bytes[0..<length]).update(repeating: 0xff)
        UnsafeMutableBufferPointer(rebasing: present[0..<length]).update(repeating: false)
        openLength = 0
        presentCount = 0
    }

    /// Why a line that looks like a header is not one for libpci, or nil when it does not look
    /// like a header at all (verbose `lspci -vvv` text lines are left alone).
    func headerLookalike(_ b: UnsafeBufferPointer<UInt8>) -> String? {
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
    func hexLookalike(_ b: UnsafeBufferPointer<UInt8>) -> String? {
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

    /// libpci: "##: " ... "########: " (2-8 hex digits, colon, space). Returns the number of
    /// digits (the index of the colon). Only the form whose length equals the run of leading hex
    /// digits can match, so one scan decides.
    func dataPrefix(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var n = 0
        while n < b.count, n < 9, isHex(b[n]) { n += 1 }
        guard n >= 2, n <= 8, n + 1 < b.count, b[n] == 0x3a, b[n + 1] == 0x20 else { return nil }
        return n
    }

    mutating func data(_ b: UnsafeBufferPointer<UInt8>, offsetEnd: Int, _ no: Int) {
        guard let o = open else { return }
        if let m = mergedFrom, !warnedMerge {
            add(no, .warning, "hex data merged into \(devices[o].text) (line \(devices[o].line)) because the header at line \(m) was ignored")
            warnedMerge = true
        }
        let offset = UInt64(hexValue(b[0..<offsetEnd]))
        var z = offsetEnd + 2
        var k: UInt64 = 0
        var failed = false
        // while (isxdigit(z[0]) && isxdigit(z[1]) && (!z[2] || z[2] == ' ')) in dump_init.
        while z < b.count {
            guard isHex(b[z]), z + 1 < b.count, isHex(b[z + 1]), z + 2 == b.count || b[z + 2] == 0x20 else { break }
            let at = offset + k
            if at >= UInt64(ConfigSpace.size) {
                let note = offset >= 0x8000_0000 ? "; libpci 3.9 reads this offset as negative and writes outside its buffer" : ""
                add(no, .error, "byte at offset 0x\(String(at, radix: 16)) is past 4096 bytes of config space (\"\(Self.tooBig)\"\(note))",
                    libpci: offset >= 0x8000_0000 ? nil : Self.tooBig)
                failed = true
                break
            }
            let i = Int(at)
            bytes[i] = UInt8(truncatingIfNeeded: hexDigit(b[z]) << 4 | hexDigit(b[z + 1]))
            if !present[i] {
                present[i] = true
                presentCount += 1
            }
            if i + 1 > openLength { openLength = i + 1 }
            k += 1
            z += 2
            if z < b.count { z += 1 }
        }
        if !failed && z < b.count {
            add(no, .error, "malformed hex bytes at column \(z + 1): \(describe(b, at: z)); libpci wants two-digit hex bytes separated by single spaces (\"\(Self.malformed)\")",
                libpci: Self.malformed)
        }
    }

    func describe(_ b: UnsafeBufferPointer<UInt8>, at z: Int) -> String {
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
}

/// C's isxdigit in the "C" locale.
@inline(__always) private func isHex(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

@inline(__always) private func isAlnum(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/// The value of one hex digit (the caller has checked `isHex`).
@inline(__always) private func hexDigit(_ c: UInt8) -> UInt32 {
    c <= 0x39 ? UInt32(c &- 0x30) : UInt32((c | 0x20) &- 0x61 &+ 10)
}

private func hexValue(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32 {
    var v: UInt32 = 0
    for c in s { v = v &* 16 &+ hexDigit(c) }
    return v
}
