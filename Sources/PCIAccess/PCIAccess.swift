import CPCIShim
import PCIConfig

/// An error from libpci, from the dump pre-check or from reading config space.
///
/// `message` is what to show the user: for a dump the pre-check's `file:line: error: ...` lines
/// (one per line), otherwise libpci's own text where libpci produced it (e.g.
/// `dump: Cannot open ...`, `Parse error at /usr/share/misc/pci.ids, line 3`).
public struct PCIAccessError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// The pre-check's findings when the error comes from it (errors and warnings), else empty.
    public var diagnostics: [DumpDiagnostic]
    public init(_ message: String, diagnostics: [DumpDiagnostic] = []) {
        self.message = message
        self.diagnostics = diagnostics
    }
    public var description: String { message }
}

/// Where config space comes from.
public enum PCISource: Hashable, Sendable {
    /// The running system through libpci's linux-sysfs method. `sysfsPath` defaults to /sys/bus/pci.
    case live(sysfsPath: String? = nil)
    /// An `lspci -xxxx` (or `-x`, `-xxx`, `-vvvxxxx`) dump file, read with libpci's dump method.
    case dump(path: String)

    /// Why ACS is unknown, in words that fit where the bytes came from:
    /// - live, at most 128 bytes readable: `run as root to read past 64 bytes` (Linux lets only
    ///   CAP_SYS_ADMIN read past the first 64 bytes, 128 for CardBus, of a sysfs `config` file);
    /// - live, 256 bytes: the kernel has no access to extended config space (no ECAM/MMCONFIG);
    /// - dump, 256 bytes (`lspci -xxx`, or `-xxxx` of a device whose extended space was not
    ///   readable): `extended config space not in dump`;
    /// - dump, 64 or 128 bytes (`lspci -x`, or `-xxxx` run as non-root): capabilities not in dump.
    public func explanation(of reason: ACSStatus.UnknownReason) -> String {
        switch reason {
        case .allOnes:
            return reason.description
        case let .extendedSpaceNotReadable(readable):
            switch self {
            case .live:
                if readable <= 128 {
                    return readable == 64 ? "run as root to read past 64 bytes"
                        : "run as root to read past \(readable) bytes (only \(readable) readable)"
                }
                if readable <= 256 {
                    return "extended config space not readable (the kernel has no ECAM/MMCONFIG access to it)"
                }
                return "extended capability list runs past the \(readable) readable bytes"
            case .dump:
                if readable < 64 { return "only \(readable) bytes of config space in dump" }
                if readable < 256 {
                    return "only \(readable) bytes of config space in dump (lspci -x, or a dump taken as non-root): capabilities not in dump"
                }
                if readable == 256 { return "extended config space not in dump" }
                return "extended config space only partly in dump (\(readable) bytes)"
            }
        }
    }
}

/// What one read gave: the functions and the warnings about the input.
public struct PCIReadResult: Hashable, Sendable {
    public var source: PCISource
    /// Sorted by address, one per address (for a dump: the first of duplicates; invalid BDFs
    /// such as `00:20.0` left out, see the warnings).
    public var functions: [PCIFunction]
    /// Warnings: the dump pre-check's (`file:line: warning: ...`) and a missing pci.ids file.
    public var warnings: [DumpDiagnostic]
    /// Whether names were looked up and the pci.ids file could be loaded.
    public var namesLoaded: Bool
    /// What the `--dump` file held (`nil` for the live system).
    public var format: DumpFormat?
    /// What the input cannot tell and what was taken instead (lspci text), one sentence each:
    /// commands print them with every result.
    public var assumptions: [InputAssumption]
    /// What the machine recorded besides config space (a snapshot; lspci text with `IOMMU group:` lines).
    public var recorded: RecordedSystem?

    public init(source: PCISource, functions: [PCIFunction], warnings: [DumpDiagnostic], namesLoaded: Bool,
                format: DumpFormat? = nil, assumptions: [InputAssumption] = [], recorded: RecordedSystem? = nil) {
        self.source = source
        self.functions = functions
        self.warnings = warnings
        self.namesLoaded = namesLoaded
        self.format = format
        self.assumptions = assumptions
        self.recorded = recorded
    }
}

/// Reads PCI functions through libpci.
///
/// Each call opens its own `pci_access` (libpci is not thread-safe per access), reads every
/// function's whole config space with `pci_read_block` and records how many bytes were readable,
/// and closes it. libpci's fatal errors come back as `PCIAccessError` (see cpcishim.h).
/// A dump is checked by `DumpLint` first: what libpci would abort on is refused with
/// `file:line` before libpci sees the file.
public enum PCIReader {
    /// Reads all functions from `source`, sorted by address. Names are looked up in pci.ids
    /// (or `idsPath`) when `names` is true, with udev's hwdb disabled for reproducibility.
    /// Warnings are dropped; use `load` to get them.
    /// - Throws: `PCIAccessError` with the pre-check's `file:line` errors or libpci's message.
    public static func read(_ source: PCISource, names: Bool = true, idsPath: String? = nil) throws(PCIAccessError) -> [PCIFunction] {
        try load(source, names: names, idsPath: idsPath).functions
    }

    /// Reads all functions from `source` with the warnings about the input.
    ///
    /// For a dump: runs `DumpLint` and throws its errors (message: one `file:line: error: ...`
    /// per line); keeps its warnings. A missing pci.ids file is a warning (names are then `nil`);
    /// a corrupt one is an error carrying libpci's `Parse error at FILE, line N`.
    /// - Throws: `PCIAccessError`.
    public static func load(_ source: PCISource, names: Bool = true, idsPath: String? = nil) throws(PCIAccessError) -> PCIReadResult {
        var warnings: [DumpDiagnostic] = []
        var format: DumpFormat?
        var recorded: RecordedSystem?
        if case let .dump(path) = source {
            // The content says what the file is (DumpFormat.detect): lspci text is rebuilt by
            // LspciText; a snapshot's sections are read here and its config space below.
            let bytes = try DumpLint.readFile(path)
            format = DumpFormat.detect(bytes)
            if format == .lspciText { return try loadText(bytes, path: path, names: names, idsPath: idsPath) }
            if format == .snapshot {
                let (system, problems) = SnapshotFormat.recorded(bytes, file: path)
                if !problems.isEmpty {
                    throw PCIAccessError(problems.map(\.description).joined(separator: "\n"), diagnostics: problems)
                }
                recorded = system
            }
            let lint = DumpLint.check(bytes: bytes, file: path)
            if lint.isFatal {
                throw PCIAccessError(lint.errors.map(\.description).joined(separator: "\n"), diagnostics: lint.diagnostics)
            }
            warnings += lint.warnings
        }
        var err = [CChar](repeating: 0, count: 512)
        let method: Int32
        var dumpPath: String?
        var sysfsPath: String?
        switch source {
        case let .live(p): method = 0; sysfsPath = p
        case let .dump(p): method = 1; dumpPath = p
        }
        let access: OpaquePointer? = withOptionalCString(dumpPath) { dp in
            withOptionalCString(sysfsPath) { sp in
                withOptionalCString(idsPath) { ip in
                    cpcishim_open(method, dp, sp, ip, &err, err.count)
                }
            }
        }
        guard let access else { throw PCIAccessError(string(err)) }
        defer { cpcishim_close(access) }
        // libpci prepends each device it parses, so its list is the reverse of the file order.
        var devs: [OpaquePointer] = []
        var dev = cpcishim_first(access)
        while let d = dev {
            devs.append(d)
            dev = cpcishim_next(d)
        }
        devs.reverse()
        var result: [PCIFunction] = []
        var seen = Set<PCIAddress>()
        var buf = [UInt8](repeating: 0xff, count: ConfigSpace.size)
        var namesLoaded = names
        for d in devs {
            var dom: Int32 = 0, bus: Int32 = 0, slot: Int32 = 0, fn: Int32 = 0
            cpcishim_location(d, &dom, &bus, &slot, &fn)
            // libpci accepts 00:20.0 or 00:00.8 from a dump; the pre-check warned, we skip them
            // rather than fold them onto another address.
            guard let address = PCIAddress(domain: UInt32(bitPattern: dom), bus: UInt8(truncatingIfNeeded: bus),
                                           device: UInt8(truncatingIfNeeded: slot), function: UInt8(truncatingIfNeeded: fn)),
                  slot >= 0, slot <= 0x1f, fn >= 0, fn <= 7, bus >= 0, bus <= 0xff,
                  seen.insert(address).inserted
            else { continue }
            let size = cpcishim_read_config(access, d, &buf, 0, &err, err.count)
            if size < 0 { throw PCIAccessError(string(err)) }
            let config = ConfigSpace(bytes: buf, readable: Int(size))
            var n: PCINames?
            if namesLoaded {
                let looked = try lookupNames(access, config)
                if cpcishim_id_load_failed(access) != 0 {
                    namesLoaded = false
                    warnings.append(DumpDiagnostic(file: idsPath ?? "pci.ids", line: nil, severity: .warning,
                                                   message: "cannot load the PCI ID database: names not shown (Debian package pci.ids)"))
                } else {
                    n = looked
                }
            }
            result.append(PCIFunction(address: address, config: config, names: n))
        }
        return PCIReadResult(source: source, functions: result.sorted { $0.address < $1.address },
                             warnings: warnings, namesLoaded: namesLoaded && !result.isEmpty,
                             format: format, recorded: recorded)
    }

    /// lspci text: rebuilt by `LspciText`, names looked up by ID as for a dump (so every format
    /// names a device the same way). Errors are refused with their lines.
    static func loadText(_ bytes: [UInt8], path: String, names: Bool, idsPath: String?) throws(PCIAccessError) -> PCIReadResult {
        let report = LspciText.parse(bytes: bytes, file: path, ids: {
            idsPath.map { try? PCIIDsIndex(path: $0) } ?? PCIIDsIndex.shared
        })
        if report.isFatal {
            throw PCIAccessError(report.errors.map(\.description).joined(separator: "\n"), diagnostics: report.diagnostics)
        }
        var warnings = report.warnings
        var functions = report.functions
        var namesLoaded = false
        if names, !functions.isEmpty {
            let db: PCINameDatabase?
            if let idsPath { db = try PCINameDatabase(idsPath: idsPath) } else { db = PCINameDatabase.shared }
            if let db, db.isAvailable {
                namesLoaded = true
                for i in functions.indices where !functions[i].isAllOnes {
                    functions[i].names = try db.names(for: functions[i].config)
                }
            } else {
                warnings.append(DumpDiagnostic(file: idsPath ?? "pci.ids", line: nil, severity: .warning,
                                               message: "cannot load the PCI ID database: names not shown (Debian package pci.ids)"))
            }
        }
        var recorded: RecordedSystem?
        if !report.recordedGroups.isEmpty || !report.drivers.isEmpty {
            recorded = RecordedSystem(origin: "lspci text", iommuActive: !report.recordedGroups.isEmpty,
                                      iommuGroups: report.recordedGroups, drivers: report.drivers)
        }
        return PCIReadResult(source: .dump(path: path), functions: functions, warnings: warnings, namesLoaded: namesLoaded,
                             format: .lspciText, assumptions: report.assumptions, recorded: recorded)
    }

    private static func lookupNames(_ a: OpaquePointer, _ c: ConfigSpace) throws(PCIAccessError) -> PCINames {
        let v = Int32(c.vendorID ?? 0xffff), d = Int32(c.deviceID ?? 0xffff)
        let cls = Int32(c.classID ?? 0xffff)
        // PCI_LOOKUP_VENDOR 1, DEVICE 2, CLASS 4: what `lspci -mm` prints as Vendor, Device, Class.
        let vendor = try lookup(a, 1, v, 0)
        let device = try lookup(a, 2, v, d)
        let klass = try lookup(a, 4, cls, 0)
        return PCINames(vendor: vendor, device: device, class: klass)
    }

    private static func lookup(_ a: OpaquePointer, _ flags: Int32, _ x: Int32, _ y: Int32) throws(PCIAccessError) -> String {
        var out = [CChar](repeating: 0, count: 1024)
        var err = [CChar](repeating: 0, count: 512)
        if cpcishim_lookup_name(a, &out, out.count, flags, x, y, 0, 0, &err, err.count) != 0 {
            throw PCIAccessError("error: corrupt PCI ID database: \(string(err)) (names can be turned off)")
        }
        return string(out)
    }

    /// libpci's version, e.g. "3.9.0".
    public static var libpciVersion: String { String(cString: cpcishim_version()) }
}

/// The NUL-terminated text in `buf`, without trailing whitespace (some libpci messages end in a newline).
func string(_ buf: [CChar]) -> String {
    var s = buf.withUnsafeBufferPointer { p in
        String(decoding: UnsafeRawBufferPointer(start: p.baseAddress, count: strlenBounded(p)).bindMemory(to: UInt8.self), as: UTF8.self)
    }
    while let last = s.last, last.isWhitespace { s.removeLast() }
    return s
}

private func strlenBounded(_ p: UnsafeBufferPointer<CChar>) -> Int {
    var n = 0
    while n < p.count, p[n] != 0 { n += 1 }
    return n
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    if let s { return s.withCString { body($0) } }
    return body(nil)
}
