import Diagnostics
import Foundation
import PCIConfig

/// What a `--dump` file held (docs/input-formats.md): the `DumpFormat` that read it, by kind.
public enum InputFormat: String, Hashable, Sendable, CustomStringConvertible {
    /// `lspci -x`, `-xxx` or `-xxxx` (optionally with `-v` text around complete 4096-byte dumps):
    /// read byte for byte (`LspciHexDump`).
    case hexDump = "hex-dump"
    /// `lspci -vv`/`-vvv` text (with or without `-nn`, `-D`, `-k`, pieces of hex): config space
    /// rebuilt from lspci's decode, with assumptions (`LspciText`).
    case lspciText = "lspci-text"
    /// `acsquirk snapshot`: an `lspci -xxxx` dump plus the machine's recorded state (`AcsquirkSnapshot`).
    case snapshot

    public var description: String { rawValue }
}

/// Reads `lspci -vv`/`-vvv` text (what bug reports, forums and hardware databases hold) into the
/// functions the rest of acsquirk works on: for each function a `ConfigSpace` rebuilt from what
/// lspci decoded (IDs, class, header layout, bridge bus numbers, the PCI Express capability with
/// its port type and ARI Forwarding Enable, the ACS capability with ACSCap/ACSCtl, capability
/// offsets), so that every later stage works unchanged, and the list of what the text cannot tell
/// (`assumptions`), which commands print with every result.
///
/// Accepted: `-vv`, `-vvv`, with or without `-nn` (IDs; without them the names are resolved
/// through pci.ids), `-D`, `-k`, tabs or the spaces pastes turn them into (indentation is not
/// relied on), tool messages mixed in (`lspci: Unable to load libkmod resources`), and pieces of
/// `-x`/`-xxx`/`-xxxx` hex (those bytes are used as they are). The grammar follows pciutils
/// (lspci.c `show_device`/`show_verbose`, ls-caps.c, ls-ecaps.c `cap_acs`).
public enum LspciText: DumpFormat {
    public static let name = "lspci text"
    public static let kind = InputFormat.lspciText

    /// Reads `input` line by line; names without `[vvvv:dddd]` are looked up in the pci.ids at
    /// `idsPath` (default libpci's), loaded only when the text needs it.
    public static func parse(_ input: DumpInput, idsPath: String?) throws(PCIAccessError) -> ParsedDump {
        var p = TextParser(file: input.file)
        try input.forEachLine { l in
            if l.length > l.bytes.count {
                p.warn(l.number, "line of \(l.length) characters (lspci writes at most a few hundred): only its first \(l.bytes.count) are read")
            }
            p.line(ArraySlice(l.bytes), l.number)
        }
        return p.finish(ids: { idsPath.map { try? PCIIDsIndex(path: $0) } ?? PCIIDsIndex.shared })
    }

    public static func parse(_ input: DumpInput) throws(PCIAccessError) -> ParsedDump {
        try parse(input, idsPath: nil)
    }

    /// Whether `head` is lspci's text rather than a hex dump:
    /// - lines of lspci's verbose decode (`Control: I/O±`, `Status: Cap±`, `Capabilities: [..]`,
    ///   `Bus: primary=`, `Kernel driver in use:`, ...), unless every device seen whole in `head`
    ///   also carries all 4096 bytes in hex (`lspci -vvvxxxx`: the bytes are read exactly as a dump);
    /// - device lines with neither hex nor decode (plain `lspci`): text, which refuses it with the
    ///   reason.
    /// Anything else is left to the hex dump reader, which says what is wrong with it.
    public static func claims(head: [UInt8]) -> Bool {
        var sawDecode = false
        var headers = 0
        var hexLines = 0
        var fullHexDevices = 0
        var lastOffset = -1
        // The last line of a cut head may be partial, and so may the device it belongs to.
        let whole = head.count < DumpInput.headSize ? head[...] : head[..<(head.lastIndex(of: 0x0a) ?? head.startIndex)]
        var devicesEnded = 0
        for piece in whole.split(separator: 0x0a, omittingEmptySubsequences: true) {
            let line = piece.last == 0x0d ? piece.dropLast() : piece
            let t = trimLeft(line)
            if t.isEmpty { continue }
            if t.startIndex == line.startIndex, TextLine.bdfToken(t) != nil {
                if headers > 0 { devicesEnded += 1 }
                headers += 1
                if lastOffset >= 0xff0 { fullHexDevices += 1 }
                lastOffset = -1
                continue
            }
            if let off = TextLine.hexOffset(t) {
                hexLines += 1
                lastOffset = max(lastOffset, off)
                continue
            }
            // A line meant as hex (`00: zz ...`) still makes a dump: its errors are the hex reader's.
            if t.startIndex == line.startIndex, TextLine.looksLikeHex(t) {
                hexLines += 1
                continue
            }
            if !sawDecode, TextLine.isDecodeLine(t) { sawDecode = true }
        }
        if head.count < DumpInput.headSize {
            // The whole input: its last device ended too.
            if lastOffset >= 0xff0 { fullHexDevices += 1 }
            devicesEnded = headers
        }
        if sawDecode { return !(devicesEnded > 0 && fullHexDevices == devicesEnded) }
        return headers > 0 && hexLines == 0
    }
}

/// Something the input cannot tell and what was taken instead: printed with every result.
public struct InputAssumption: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Config space rebuilt from lspci's decode (always first for lspci text).
        case rebuiltFromText = "rebuilt-from-text"
        /// IDs looked up by name in pci.ids (text without `-nn`).
        case idsFromNames = "ids-from-names"
        /// A name (or class name) that stands for several IDs; the first was taken.
        case ambiguousName = "ambiguous-name"
        /// lspci ran without root: `Capabilities: <access denied>`.
        case accessDenied = "access-denied"
        /// `lspci -v`: the ACS capability is named, its registers are not decoded.
        case acsNotDecoded = "acs-not-decoded"
        /// No function shows extended capabilities: ACS unknown everywhere.
        case extendedSpaceUnseen = "extended-space-unseen"
        /// PCIe functions without extended capabilities while others have some: taken as none.
        case noExtendedCapabilities = "no-extended-capabilities"
        /// Header type bit 7 inferred from the other functions of each slot.
        case multifunction
        /// Intel SPT ports: the ACS control dword is not in the text.
        case intelSPTControl = "intel-spt-control"
        /// The LPC bridge's RCBA register is not in the text.
        case rcba
        /// Hex bytes in the text used for some functions.
        case hexBytes = "hex-bytes"
        /// SR-IOV VFs told from their PF's SR-IOV capability; rebuilt with the IDs VFs read (FFFFh).
        case virtualFunctions = "virtual-functions"
    }

    public var kind: Kind
    /// The functions it is about (empty: the whole input).
    public var functions: [PCIAddress]
    public var text: String

    public init(_ kind: Kind, _ functions: [PCIAddress] = [], _ text: String) {
        self.kind = kind
        self.functions = functions
        self.text = text
    }

    public var description: String { text }
}

// MARK: - Lines

@inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
@inline(__always) func isHexDigit(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}
@inline(__always) func hexDigitValue(_ c: UInt8) -> Int {
    c <= 0x39 ? Int(c - 0x30) : c <= 0x46 ? Int(c - 0x41 + 10) : Int(c - 0x61 + 10)
}

func trimLeft(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var i = s.startIndex
    while i < s.endIndex, isBlank(s[i]) { i += 1 }
    return s[i...]
}

func trimRight(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var e = s.endIndex
    while e > s.startIndex, isBlank(s[e - 1]) { e -= 1 }
    return s[s.startIndex..<e]
}

extension ArraySlice where Element == UInt8 {
    @inline(__always) func hasPrefix(_ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        guard count >= n else { return false }
        return p.withUTF8Buffer { buf in
            var i = startIndex
            for c in buf {
                if self[i] != c { return false }
                i += 1
            }
            return true
        }
    }

    func dropping(_ n: Int) -> ArraySlice<UInt8> { self[(startIndex + Swift.min(n, count))...] }

    var text: String { String(decoding: self, as: UTF8.self) }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmedSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// The pieces of lspci's line grammar the parser and the format detection share.
enum TextLine {
    /// The address token at the start of a device line: `bb:dd.f` or `dddd:bb:dd.f` (4 to 8 hex
    /// digits of domain), followed by a space or a tab. Returns the token's end index.
    static func bdfToken(_ t: ArraySlice<UInt8>) -> ArraySlice<UInt8>.Index? {
        var i = t.startIndex
        func hexRun() -> Int {
            let s = i
            while i < t.endIndex, isHexDigit(t[i]) { i += 1 }
            return i - s
        }
        let g0 = hexRun()
        guard g0 >= 2, i < t.endIndex, t[i] == 0x3a else { return nil }
        i += 1
        let g1 = hexRun()
        guard g1 == 2, i < t.endIndex else { return nil }
        if t[i] == 0x3a {
            guard g0 >= 4 && g0 <= 8 else { return nil }
            i += 1
            guard hexRun() == 2, i < t.endIndex else { return nil }
        } else {
            guard g0 == 2 else { return nil }
        }
        guard t[i] == 0x2e else { return nil }
        i += 1
        guard i < t.endIndex, t[i] >= 0x30 && t[i] <= 0x39 else { return nil }
        i += 1
        guard i < t.endIndex, isBlank(t[i]) else { return nil }
        return i
    }

    /// The offset of a hex line `xx: b b b ...` (2 or 3 offset digits, then at least one byte), or nil.
    static func hexOffset(_ t: ArraySlice<UInt8>) -> Int? {
        var i = t.startIndex
        var off = 0
        while i < t.endIndex, isHexDigit(t[i]) {
            off = off * 16 + hexDigitValue(t[i])
            i += 1
        }
        let digits = i - t.startIndex
        guard digits == 2 || digits == 3, i + 3 < t.endIndex, t[i] == 0x3a, t[i + 1] == 0x20,
              isHexDigit(t[i + 2]), isHexDigit(t[i + 3]), i + 4 == t.endIndex || isBlank(t[i + 4]) else { return nil }
        return off
    }

    /// `xx: ` with 2 to 8 hex digits (libpci's `dump_validate` prefixes): a line meant as hex,
    /// whatever follows.
    static func looksLikeHex(_ t: ArraySlice<UInt8>) -> Bool {
        var i = t.startIndex
        while i < t.endIndex, isHexDigit(t[i]) { i += 1 }
        let digits = i - t.startIndex
        return digits >= 2 && digits <= 8 && i + 1 < t.endIndex && t[i] == 0x3a && t[i + 1] == 0x20
    }

    /// Whether a (left-trimmed) line is one of lspci's verbose decode lines that only `-v` and
    /// more print.
    static func isDecodeLine(_ t: ArraySlice<UInt8>) -> Bool {
        t.hasPrefix("Control: I/O") || t.hasPrefix("Status: Cap") || t.hasPrefix("Capabilities: [")
            || t.hasPrefix("Capabilities: <") || t.hasPrefix("Bus: primary=") || t.hasPrefix("Kernel driver in use:")
            || t.hasPrefix("Kernel modules:") || t.hasPrefix("IOMMU group:") || t.hasPrefix("Flags: bus master")
            || t.hasPrefix("Flags: fast devsel") || t.hasPrefix("Flags: medium devsel") || t.hasPrefix("Flags: slow devsel")
    }
}

// MARK: - What one function's text says

/// One capability line: `Capabilities: [off vN] Name...`.
struct TextCapability {
    var line: Int
    var offset: Int
    var version: UInt8?
    var id: UInt16
    var name: String
}

/// The PCI Express capability as lspci decodes it.
struct TextExpress {
    var offset: Int
    var version: UInt8?
    var type: PCIExpressPortType
    var slot: Bool
    var interruptMessage: UInt8
    var ariForwarding = false
}

/// The ACS capability as lspci decodes it (`cap_acs`).
struct TextACS {
    var line: Int
    var offset: Int
    var version: UInt8
    var capability: ACSFlags?
    var control: ACSFlags?
}

/// The SR-IOV capability of a physical function as lspci decodes it (ls-ecaps.c `cap_sriov`):
/// `IOVCtl: Enable+ ... MSE+ ARIHierarchy+`, `Initial VFs: 8, Total VFs: 8, Number of VFs: 3,
/// Function Dependency Link: 00`, `VF offset: 1, stride: 1, Device ID: 0010`.
struct TextSRIOV {
    var line: Int
    var offset: Int
    var version: UInt8
    var control: UInt16?
    var initialVFs: UInt16?
    var totalVFs: UInt16?
    var numVFs: UInt16?
    var functionLink: UInt8?
    var firstVFOffset: UInt16?
    var vfStride: UInt16?
    var vfDevice: UInt16?

    /// The capability the text decodes, `nil` when a register the VFs' places need is not in
    /// it (the VFs are then unknown).
    var capability: SRIOVCapability? {
        guard let control, let totalVFs, let numVFs, let firstVFOffset, let vfStride, let vfDevice else { return nil }
        return SRIOVCapability(offset: offset, control: control, initialVFs: initialVFs, totalVFs: totalVFs, numVFs: numVFs,
                               firstVFOffset: firstVFOffset, vfStride: vfStride, vfDevice: vfDevice)
    }
}

/// Everything the text says about one function.
struct TextFunction {
    var line: Int
    var address: PCIAddress
    /// The device line after the address.
    var className: String
    var classID: UInt16?
    /// `vendor device` text without IDs, revision and programming interface.
    var vendorDevice: String
    /// lspci cut the name (it ended in `...`): `vendorDevice` is a prefix.
    var truncatedName = false
    var id: PCIDeviceID?
    var revision: UInt8?
    var progIF: UInt8?
    var subsystem: PCIDeviceID?
    var command: UInt16?
    var statusCapList: Bool?
    var bus: BridgeBusNumbers?
    var unknownHeaderType: UInt8?
    var accessDenied = false
    var chainBroken = false
    var standard: [TextCapability] = []
    var extended: [TextCapability] = []
    var express: TextExpress?
    var acs: TextACS?
    var sriov: TextSRIOV?
    /// Hex bytes given with the text (`-x`/`-xxx`/`-xxxx`), by offset.
    var hex: [Int: UInt8] = [:]
    /// How many bytes from offset 0 the hex gives without a gap (set when the function ends):
    /// what is known for certain. Bytes past a gap are still written over the rebuild.
    var hexLength = 0
    var iommuGroup: Int?
    var driver: String?
    /// The last `Capabilities:` line seen (what `ACSCap:`, `DevCtl2:` belong to).
    var current: TextCapability?
}

// MARK: - The parser

struct TextParser {
    let file: String
    var functions: [TextFunction] = []
    var seen: [PCIAddress: Int] = [:]
    var diagnostics: [Diagnostic] = []
    var open: TextFunction?
    var verbose = 0
    var sawDecode = false
    var sawHex = false
    var lastLine = 0
    var lastNonBlankLine = 0

    init(file: String) { self.file = file }

    mutating func warn(_ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: line, severity: .warning, message: message))
    }

    mutating func fail(_ line: Int?, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: line, severity: .error, message: message))
    }

    /// Set by a NUL byte: a binary file, nothing after it is read.
    var stopped = false

    /// One line (without its `\n`; a `\r` before it is dropped here), numbered from 1.
    mutating func line(_ raw: ArraySlice<UInt8>, _ no: Int) {
        guard !stopped else { return }
        if raw.contains(0) {
            fail(no, "NUL byte: a binary file, not lspci text")
            stopped = true
            return
        }
        lastLine = no
        let line = trimRight(raw.last == 0x0d ? raw.dropLast() : raw)
        let t = trimLeft(line)
        if t.isEmpty { return }
        lastNonBlankLine = no
        if let end = TextLine.bdfToken(t) {
            close()
            header(t, tokenEnd: end, no)
            return
        }
        guard open != nil else {
            if TextLine.isDecodeLine(t) || TextLine.hexOffset(t) != nil {
                warn(no, "lspci text before the first device line: ignored")
            }
            return
        }
        body(t, no)
    }

    // MARK: Device lines

    /// `[dddd:]bb:dd.f Class[ [cccc]]: Vendor Device[ [vvvv:dddd]][ (rev rr)][ (prog-if pp[ [name]])]`
    /// (lspci.c `show_terse`), or `-n`: `bb:dd.f cccc: vvvv:dddd (rev rr)`.
    mutating func header(_ t: ArraySlice<UInt8>, tokenEnd: ArraySlice<UInt8>.Index, _ no: Int) {
        let token = t[t.startIndex..<tokenEnd].text
        guard let address = PCIAddress(token) else {
            warn(no, "\(token) is not a valid PCI address (device above 1f or function above 7): this function is skipped")
            return
        }
        let rest = t[(tokenEnd + 1)...].text.trimmedSpaces
        guard let colon = rest.range(of: ": ") else {
            fail(no, "\(token): no 'Class: Vendor Device' after the address (not a line lspci writes; the line may be cut)")
            return
        }
        var f = TextFunction(line: no, address: address, className: String(rest[..<colon.lowerBound]), vendorDevice: "")
        var vd = String(rest[colon.upperBound...])
        if let r = vd.range(of: " (prog-if ", options: .backwards) {
            let hexPart = vd[r.upperBound...].prefix(2)
            f.progIF = UInt8(hexPart, radix: 16)
            vd = String(vd[..<r.lowerBound])
        }
        if vd.hasSuffix(")"), let r = vd.range(of: " (rev ", options: .backwards) {
            f.revision = UInt8(vd[r.upperBound...].dropLast(), radix: 16)
            vd = String(vd[..<r.lowerBound])
        }
        if vd.hasSuffix("]"), let open = vd.lastIndex(of: "["), let id = PCIDeviceID(vd[vd.index(after: open)..<vd.index(before: vd.endIndex)]) {
            f.id = id
            vd = String(vd[..<open]).trimmedSpaces
        } else if let id = PCIDeviceID(vd), vd.count == 9 {
            f.id = id    // lspci -n
        } else if vd.hasSuffix("...") {
            // lspci cut a long name to its buffer (libpci names.c format_name), -nn IDs included.
            vd = String(vd.dropLast(3))
            if let open = vd.range(of: " [", options: .backwards), vd[open.upperBound...].allSatisfy({ $0.isHexDigit || $0 == ":" }) {
                vd = String(vd[..<open.lowerBound])
            }
            f.truncatedName = true
        }
        f.vendorDevice = vd
        // Class: `Name [cccc]` (-nn, or a sub-class pci.ids lacks), `cccc` (-n), `Class cccc`, or a name.
        var cls = f.className
        if cls.hasSuffix("]"), let o = cls.lastIndex(of: "["), let id = parseHexID(cls[cls.index(after: o)..<cls.index(before: cls.endIndex)]),
           cls.distance(from: o, to: cls.endIndex) == 6 {
            f.classID = id
            cls = String(cls[..<o]).trimmedSpaces
            f.className = cls
        } else if cls.count == 4, let id = parseHexID(cls) {
            f.classID = id
        } else if cls.hasPrefix("Class "), let id = parseHexID(cls.dropFirst(6)), cls.count == 10 {
            f.classID = id
        }
        open = f
    }

    // MARK: Lines inside a device

    mutating func body(_ t: ArraySlice<UInt8>, _ no: Int) {
        guard var f = open else { return }
        defer { open = f }
        if let off = TextLine.hexOffset(t) {
            hexLine(&f, t, offset: off, no)
            return
        }
        if t.hasPrefix("Capabilities: ") {
            sawDecode = true
            capability(&f, t.dropping(14), no)
            return
        }
        if t.hasPrefix("ACSCap:") || t.hasPrefix("ACSCtl:") {
            let isCap = t.hasPrefix("ACSCap:")
            guard var acs = f.acs, f.current?.offset == acs.offset else {
                warn(no, "\(isCap ? "ACSCap" : "ACSCtl") line outside an Access Control Services capability: ignored")
                return
            }
            guard let flags = acsFlags(t.dropping(7), no) else { return }
            if isCap { acs.capability = flags } else { acs.control = flags }
            f.acs = acs
            return
        }
        if t.hasPrefix("IOVCtl:") || t.hasPrefix("Initial VFs:") || t.hasPrefix("VF offset:") {
            guard var v = f.sriov, f.current?.offset == v.offset else { return }
            sriovLine(&v, t.text)
            f.sriov = v
            return
        }
        if t.hasPrefix("DevCtl2:") {
            if f.express != nil, f.current?.id == PCI_CAP_ID_EXP, f.current?.offset == f.express?.offset {
                f.express!.ariForwarding = t.text.contains("ARIFwd+")
            }
            return
        }
        if t.hasPrefix("Status: Cap") {
            sawDecode = true
            verbose = max(verbose, 2)
            let s = t.dropping(11)
            if let c = s.first { f.statusCapList = c == UInt8(ascii: "+") }
            return
        }
        if t.hasPrefix("Control: I/O") {
            sawDecode = true
            verbose = max(verbose, 2)
            f.command = commandRegister(t.dropping(9).text)
            return
        }
        if t.hasPrefix("Bus: primary=") {
            sawDecode = true
            busNumbers(&f, t.text, no)
            return
        }
        if t.hasPrefix("Subsystem: "), f.current == nil {
            let s = t.text
            if s.hasSuffix("]"), let o = s.lastIndex(of: "["),
               let id = PCIDeviceID(s[s.index(after: o)..<s.index(before: s.endIndex)]) {
                f.subsystem = id
            }
            return
        }
        if t.hasPrefix("IOMMU group:") {
            sawDecode = true
            f.iommuGroup = Int(t.dropping(12).text.trimmedSpaces)
            if f.iommuGroup == nil { warn(no, "IOMMU group line without a number: ignored") }
            return
        }
        if t.hasPrefix("Kernel driver in use:") {
            sawDecode = true
            f.driver = t.dropping(21).text.trimmedSpaces
            return
        }
        if t.hasPrefix("Flags: ") {
            let s = t.text
            if s.contains("devsel") {
                sawDecode = true
                verbose = max(verbose, 1)
            }
            return
        }
        if t.hasPrefix("!!! Unknown header type ") {
            f.unknownHeaderType = UInt8(t.dropping(24).text.prefix(2), radix: 16)
            return
        }
    }

    mutating func hexLine(_ f: inout TextFunction, _ t: ArraySlice<UInt8>, offset: Int, _ no: Int) {
        sawHex = true
        var i = t.startIndex
        while t[i] != 0x3a { i += 1 }
        i += 2
        var k = 0
        while i < t.endIndex {
            guard i + 1 < t.endIndex, isHexDigit(t[i]), isHexDigit(t[i + 1]), i + 2 == t.endIndex || isBlank(t[i + 2]) else {
                let rest = t[i...]
                if rest.hasPrefix("pcilib:") || rest.hasPrefix("lspci:") {
                    // stderr written into the middle of stdout (lspci -xxxx reading VPD, say).
                    warn(no, "a tool message interrupts this hex line at column \(i - t.startIndex + 1): the bytes after it are not used")
                    return
                }
                fail(no, "malformed hex line at column \(i - t.startIndex + 1): lspci writes two-digit hex bytes separated by spaces")
                return
            }
            let at = offset + k
            guard at < ConfigSpace.size else {
                fail(no, "byte at offset 0x\(hex(at, width: 3)) is past 4096 bytes of config space")
                return
            }
            f.hex[at] = UInt8(hexDigitValue(t[i]) << 4 | hexDigitValue(t[i + 1]))
            k += 1
            i += 2
            while i < t.endIndex, isBlank(t[i]) { i += 1 }
        }
    }

    /// The SR-IOV registers lspci prints (ls-ecaps.c `cap_sriov`): IOVCtl's flags, the VF
    /// counts, First VF Offset, VF Stride and VF Device ID. A field that does not parse stays
    /// unknown, and so do the VFs.
    func sriovLine(_ v: inout TextSRIOV, _ s: String) {
        func number(_ key: String, radix: Int = 10) -> UInt16? {
            guard let r = s.range(of: key) else { return nil }
            return UInt16(s[r.upperBound...].prefix { $0.isHexDigit }, radix: radix)
        }
        if s.hasPrefix("IOVCtl:") {
            // Enable (VF Enable, bit 0), Migration (1), Interrupt (2), MSE (3), ARIHierarchy (4), 10BitTagReq (5).
            let flags = s.dropFirst(7).split { $0 == " " || $0 == "\t" }
            let names = ["Enable", "Migration", "Interrupt", "MSE", "ARIHierarchy", "10BitTagReq"]
            guard flags.contains(where: { $0 == "Enable+" || $0 == "Enable-" }) else { return }
            v.control = names.enumerated().reduce(0) { c, n in flags.contains { $0 == n.element + "+" } ? c | 1 << n.offset : c }
        } else if s.hasPrefix("Initial VFs:") {
            v.initialVFs = number("Initial VFs: ")
            v.totalVFs = number("Total VFs: ")
            v.numVFs = number("Number of VFs: ")
            v.functionLink = number("Function Dependency Link: ", radix: 16).flatMap { UInt8(exactly: $0) }
        } else {
            v.firstVFOffset = number("VF offset: ")
            v.vfStride = number("stride: ")
            v.vfDevice = number("Device ID: ", radix: 16)
        }
    }

    /// `Bus: primary=00, secondary=01, subordinate=05, sec-latency=0` (`show_htype1`, `show_htype2`).
    mutating func busNumbers(_ f: inout TextFunction, _ s: String, _ no: Int) {
        func value(_ key: String) -> UInt8? {
            guard let r = s.range(of: key + "=") else { return nil }
            let digits = s[r.upperBound...].prefix { $0.isHexDigit }
            guard digits.count == 2 else { return nil }
            return UInt8(digits, radix: 16)
        }
        guard let p = value("primary"), let sec = value("secondary"), let sub = value("subordinate") else {
            fail(no, "bus numbers not readable: lspci writes 'Bus: primary=bb, secondary=bb, subordinate=bb' with two hex digits each")
            return
        }
        f.bus = BridgeBusNumbers(primary: p, secondary: sec, subordinate: sub)
    }

    /// `SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-`: all seven.
    mutating func acsFlags(_ rest: ArraySlice<UInt8>, _ no: Int) -> ACSFlags? {
        var flags: ACSFlags = []
        var found: ACSFlags = []
        for word in rest.text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let sign = word.last, sign == "+" || sign == "-" else { continue }
            let name = word.dropLast()
            guard let f = ACSFlags.names.first(where: { $0.lspci == name }) else { continue }
            found.insert(f.0)
            if sign == "+" { flags.insert(f.0) }
        }
        if found != .all {
            let missing = ACSFlags.names.filter { !found.contains($0.0) }.map(\.lspci)
            fail(no, "ACS register line lacks \(missing.joined(separator: ", ")) (lspci prints all seven flags; the line may be cut)")
            return nil
        }
        return flags
    }

    /// lspci's `Control:` flags as the Command register (PCI Local Bus Specification 3.0 §6.2.2).
    func commandRegister(_ s: String) -> UInt16 {
        let bits: [(String, UInt16)] = [("I/O", 0), ("Mem", 1), ("BusMaster", 2), ("SpecCycle", 3), ("MemWINV", 4),
                                        ("VGASnoop", 5), ("ParErr", 6), ("Stepping", 7), ("SERR", 8), ("FastB2B", 9),
                                        ("DisINTx", 10)]
        var v: UInt16 = 0
        for word in s.split(separator: " ") {
            guard word.last == "+" else { continue }
            if let b = bits.first(where: { $0.0 == word.dropLast() }) { v |= 1 << b.1 }
        }
        return v
    }

    // MARK: Capabilities

    /// `[54] Express (v2) Root Port (Slot+), MSI 00`, `[148 v1] Access Control Services`,
    /// `<access denied>`, `[e0] <chain broken>`.
    mutating func capability(_ f: inout TextFunction, _ rest: ArraySlice<UInt8>, _ no: Int) {
        let s = rest.text
        if s.hasPrefix("<access denied>") {
            f.accessDenied = true
            f.current = nil
            return
        }
        guard s.hasPrefix("["), let close = s.firstIndex(of: "]") else {
            fail(no, "capability line without '[offset]': lspci writes 'Capabilities: [54] Name'")
            return
        }
        let inside = s[s.index(after: s.startIndex)..<close].split(separator: " ")
        guard let offText = inside.first, offText.count <= 3, let offset = Int(offText, radix: 16) else {
            fail(no, "capability offset '\(s[s.index(after: s.startIndex)..<close])' is not a hex offset")
            return
        }
        var version: UInt8?
        if inside.count > 1, inside[1].hasPrefix("v") { version = UInt8(inside[1].dropFirst()) }
        let name = String(s[s.index(after: close)...]).trimmedSpaces
        if name.hasPrefix("<chain broken>") || name.hasPrefix("<chain looped>") || name.hasPrefix("<access denied>") {
            f.chainBroken = true
            f.current = nil
            return
        }
        if offset < ConfigSpace.extendedStart {
            guard offset >= PCI_STD_HEADER_SIZEOF, offset & 3 == 0 else {
                warn(no, "capability at 0x\(hex(offset, width: 2)) lies in the header or is unaligned: ignored")
                f.current = nil
                return
            }
            let cap = TextCapability(line: no, offset: offset, version: version, id: Self.standardID(name), name: name)
            f.standard.append(cap)
            f.current = cap
            if cap.id == PCI_CAP_ID_EXP {
                guard let e = express(name, offset: offset, no) else { return }
                if f.express == nil { f.express = e }
            }
        } else {
            guard offset & 3 == 0, offset <= PCI_CFG_SPACE_EXP_SIZE - 4 else {
                warn(no, "extended capability at 0x\(hex(offset, width: 3)) is unaligned: ignored")
                f.current = nil
                return
            }
            let cap = TextCapability(line: no, offset: offset, version: version, id: Self.extendedID(name), name: name)
            f.extended.append(cap)
            f.current = cap
            if cap.id == PCI_EXT_CAP_ID_ACS, f.acs == nil {
                f.acs = TextACS(line: no, offset: offset, version: version ?? 1)
            }
            if cap.id == PCI_EXT_CAP_ID_SRIOV, f.sriov == nil {
                f.sriov = TextSRIOV(line: no, offset: offset, version: version ?? 1)
            }
        }
    }

    /// `Express (v2) Root Port (Slot+), MSI 00` (ls-caps.c `cap_express`); older lspci: no
    /// `(vN)`, `IRQ n` instead of `MSI n`.
    mutating func express(_ name: String, offset: Int, _ no: Int) -> TextExpress? {
        var s = Substring(name.dropFirst("Express".count)).drop { $0 == " " }
        var version: UInt8?
        if s.hasPrefix("(v"), let close = s.firstIndex(of: ")") {
            version = UInt8(s[s.index(s.startIndex, offsetBy: 2)..<close])
            s = s[s.index(after: close)...].drop { $0 == " " }
        }
        var type: PCIExpressPortType?
        for (n, t) in Self.expressTypes where s.hasPrefix(n) {
            type = t
            s = s.dropFirst(n.count)
            break
        }
        if type == nil, s.hasPrefix("Unknown type ") {
            let digits = s.dropFirst(13).prefix { $0.isNumber }
            if let v = UInt8(digits) { type = .other(v) }
            s = s.dropFirst(13 + digits.count)
        }
        guard let type else {
            fail(no, "PCI Express port type not recognised in '\(name)' (lspci writes e.g. 'Express (v2) Root Port (Slot+), MSI 00')")
            return nil
        }
        let slot = s.contains("(Slot+)")
        var msi: UInt8 = 0
        if let r = s.range(of: "MSI ") { msi = UInt8(s[r.upperBound...].prefix(2), radix: 16) ?? 0 }
        return TextExpress(offset: offset, version: version, type: type, slot: slot, interruptMessage: msi & 0x1f)
    }

    /// The names lspci gives each type (`PCIExpressPortType.lspciName`; before pciutils 3.3 type 7
    /// was `PCI/PCI-X Bridge`), longest first, so that `Legacy Endpoint` is not read as `Endpoint`.
    static let expressTypes: [(String, PCIExpressPortType)] = (
        [PCIExpressPortType.rcIntegratedEndpoint, .rcEventCollector, .legacyEndpoint, .endpoint, .rootPort, .upstreamPort,
         .downstreamPort, .pcieToPCIBridge, .pciToPCIeBridge].map { ($0.lspciName, $0) }
            + [("PCI/PCI-X Bridge", .pcieToPCIBridge)]
    ).sorted { $0.0.count > $1.0.count }

    /// Standard capability names as ls-caps.c `show_caps` prints them, and their IDs (PCI Code
    /// and ID Assignment Specification §2). Unknown names get ID 0.
    static let standardNames: [(String, UInt16)] = [
        ("Power Management version", 0x01), ("AGP version", 0x02), ("Vital Product Data", 0x03), ("Slot ID", 0x04),
        ("MSI-X", 0x11), ("MSI:", 0x05), ("CompactPCI hot-swap", 0x06), ("PCI-X", 0x07), ("HyperTransport", 0x08),
        ("Vendor Specific Information", 0x09), ("Debug port", 0x0a), ("CompactPCI central resource control", 0x0b),
        ("Hot-plug capable", 0x0c), ("PCI Hot-plug", 0x0c), ("Subsystem", 0x0d), ("Secure device", 0x0f), ("Express", 0x10),
        ("SATA HBA", 0x12), ("PCI Advanced Features", 0x13), ("Enhanced Allocation", 0x14), ("Flattening Portal Bridge", 0x15),
        ("Null", 0x00),
    ]

    /// Extended capability names as ls-ecaps.c `show_ext_caps` prints them, and their IDs (PCI
    /// Code and ID Assignment Specification §3). Unknown names get ID 0.
    static let extendedNames: [(String, UInt16)] = [
        ("Advanced Error Reporting", 0x01), ("Virtual Channel", 0x02), ("Device Serial Number", 0x03),
        ("Power Budgeting", 0x04), ("Root Complex Link", 0x05), ("Root Complex Internal Link", 0x06),
        ("Root Complex Event Collector", 0x07), ("Multi-Function Virtual Channel", 0x08),
        ("Root Complex Register Block", 0x0a), ("Vendor Specific Information", 0x0b), ("Access Control Services", 0x0d),
        ("Alternative Routing-ID Interpretation", 0x0e), ("Address Translation Service", 0x0f),
        ("Single Root I/O Virtualization", 0x10), ("Multi-Root I/O Virtualization", 0x11), ("Multicast", 0x12),
        ("Page Request Interface", 0x13), ("Physical Resizable BAR", 0x15), ("Resizable BAR", 0x15),
        ("Dynamic Power Allocation", 0x16), ("Transaction Processing Hints", 0x17), ("Latency Tolerance Reporting", 0x18),
        ("Secondary PCI Express", 0x19), ("Protocol Multiplexing", 0x1a), ("Process Address Space ID", 0x1b),
        ("LN Requester", 0x1c), ("Downstream Port Containment", 0x1d), ("L1 PM Substates", 0x1e),
        ("Precision Time Measurement", 0x1f), ("PCI Express over M_PHY", 0x20), ("FRS Queueing", 0x21),
        ("Readiness Time Reporting", 0x22), ("Designated Vendor-Specific", 0x23), ("Virtual Resizable BAR", 0x24),
        ("VF Resizable BAR", 0x24), ("Data Link Feature", 0x25), ("Physical Layer 16.0 GT/s", 0x26),
        ("Lane Margining at the Receiver", 0x27), ("Hierarchy ID", 0x28), ("Native PCIe Enclosure Management", 0x29),
        ("Physical Layer 32.0 GT/s", 0x2a), ("Data Object Exchange", 0x2e), ("Integrity & Data Encryption", 0x30),
        ("Null", 0x00),
    ].sorted { $0.0.count > $1.0.count }

    static func standardID(_ name: String) -> UInt16 {
        if let id = numberedID(name) { return id }
        return standardNames.first { name.hasPrefix($0.0) }?.1 ?? 0
    }

    static func extendedID(_ name: String) -> UInt16 {
        if let id = numberedID(name) { return id }
        return extendedNames.first { name.hasPrefix($0.0) }?.1 ?? 0
    }

    /// `Capability ID 0x16 [...]`, `Extended Capability ID 0x2b`, older `#16 [...]`.
    static func numberedID(_ name: String) -> UInt16? {
        for p in ["Extended Capability ID 0x", "Capability ID 0x", "#"] where name.hasPrefix(p) {
            let digits = name.dropFirst(p.count).prefix { $0.isHexDigit }
            if let v = UInt16(digits, radix: 16) { return v }
        }
        return nil
    }

    // MARK: End of a device

    mutating func close() {
        guard var f = open else { return }
        open = nil
        while f.hex[f.hexLength] != nil { f.hexLength += 1 }
        if let first = seen[f.address] {
            warn(f.line, "duplicate function \(f.address) (first at line \(functions[first].line)): the first is used")
            return
        }
        seen[f.address] = functions.count
        functions.append(f)
    }
}
