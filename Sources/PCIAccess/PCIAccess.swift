import CPCIShim
import Diagnostics
import PCIConfig

/// An error from libpci, from reading a dump or from reading config space.
///
/// `message` is what to show the user: for a dump the reader's `file:line: error: ...` lines
/// (one per line), otherwise libpci's own text where libpci produced it (e.g.
/// `dump: Cannot open ...`, `Parse error at /usr/share/misc/pci.ids, line 3`).
public struct PCIAccessError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// The dump's findings when the error comes from reading one (errors and warnings), else empty.
    public var diagnostics: [Diagnostic]
    public init(_ message: String, diagnostics: [Diagnostic] = []) {
        self.message = message
        self.diagnostics = diagnostics
    }
    public var description: String { message }
}

/// Where config space comes from.
public enum PCISource: Hashable, Sendable {
    /// The running system through libpci's linux-sysfs method. `sysfsPath` defaults to /sys/bus/pci.
    case live(sysfsPath: String? = nil)
    /// An `lspci -xxxx` (or `-x`, `-xxx`, `-vvvxxxx`) dump, `lspci -vvv` text or an `acsquirk
    /// snapshot` (a file or a pipe), read by `DumpReader` in the format its content shows.
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
        case .allOnes, .registersPastEndOfConfigSpace:
            return reason.description
        case let .extendedSpaceNotReadable(readable):
            switch self {
            case .live:
                if readable <= 128 {
                    return readable == PCI_STD_HEADER_SIZEOF ? "run as root to read past 64 bytes"
                        : "run as root to read past \(readable) bytes (only \(readable) readable)"
                }
                if readable <= PCI_CFG_SPACE_SIZE {
                    return "extended config space not readable (the kernel has no ECAM/MMCONFIG access to it)"
                }
                return "extended capability list runs past the \(readable) readable bytes"
            case .dump:
                if readable < PCI_STD_HEADER_SIZEOF { return "only \(readable) bytes of config space in dump" }
                if readable < PCI_CFG_SPACE_SIZE {
                    return "only \(readable) bytes of config space in dump (lspci -x, or a dump taken as non-root): capabilities not in dump"
                }
                if readable == PCI_CFG_SPACE_SIZE { return "extended config space not in dump" }
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
    /// Warnings: the dump reader's (`file:line: warning: ...`) and a missing pci.ids file.
    public var warnings: [Diagnostic]
    /// Whether names were looked up and the pci.ids file could be loaded.
    public var namesLoaded: Bool
    /// What the `--dump` file held (`nil` for the live system).
    public var format: InputFormat?
    /// What the input cannot tell and what was taken instead (lspci text), one sentence each:
    /// commands print them with every result.
    public var assumptions: [InputAssumption]
    /// What the machine recorded besides config space (a snapshot; lspci text with `IOMMU group:` lines).
    public var recorded: RecordedSystem?

    public init(source: PCISource, functions: [PCIFunction], warnings: [Diagnostic], namesLoaded: Bool,
                format: InputFormat? = nil, assumptions: [InputAssumption] = [], recorded: RecordedSystem? = nil) {
        self.source = source
        self.functions = functions
        self.warnings = warnings
        self.namesLoaded = namesLoaded
        self.format = format
        self.assumptions = assumptions
        self.recorded = recorded
    }
}

/// Reads PCI functions: the live system through libpci (linux-sysfs), a dump with
/// `DumpReader` (one pass, libpci's grammar, `file:line` diagnostics); names from pci.ids
/// through libpci (`PCINameDatabase`).
///
/// libpci's fatal errors come back as `PCIAccessError` (see cpcishim.h). libpci is not
/// thread-safe per access: each call opens its own.
public enum PCIReader {
    /// Reads all functions from `source`, sorted by address. Names are looked up in pci.ids
    /// (or `idsPath`) when `names` is true, with udev's hwdb disabled for reproducibility.
    /// Warnings are dropped; use `load` to get them.
    /// - Throws: `PCIAccessError` with the dump's `file:line` errors or libpci's message.
    public static func read(_ source: PCISource, names: Bool = true, idsPath: String? = nil) throws(PCIAccessError) -> [PCIFunction] {
        try load(source, names: names, idsPath: idsPath).functions
    }

    /// Reads all functions from `source` with the warnings about the input.
    ///
    /// A dump with errors is refused (message: one `file:line: error: ...` per line); its warnings
    /// come back with the result. A missing pci.ids file is a warning (names are then `nil`); a
    /// corrupt one is an error carrying libpci's `Parse error at FILE, line N`.
    /// - Throws: `PCIAccessError`.
    public static func load(_ source: PCISource, names: Bool = true, idsPath: String? = nil) throws(PCIAccessError) -> PCIReadResult {
        var warnings: [Diagnostic] = []
        var functions: [PCIFunction]
        var parsed: ParsedDump?
        switch source {
        case let .dump(path):
            let p = try DumpReader.read(path: path, idsPath: idsPath)
            if p.isFatal {
                throw PCIAccessError(p.errors.map(\.description).joined(separator: "\n"), diagnostics: p.diagnostics)
            }
            warnings = p.warnings
            functions = p.functions
            parsed = p
        case let .live(sysfsPath):
            functions = try readLive(sysfsPath: sysfsPath)
        }
        var namesLoaded = names && !functions.isEmpty
        if namesLoaded {
            let db = try PCINameDatabase(idsPath: idsPath)
            for i in functions.indices {
                guard let n = try db.names(of: functions[i].config) else {
                    namesLoaded = false
                    warnings.append(Diagnostic(file: idsPath ?? "pci.ids", line: nil, severity: .warning,
                                               message: "cannot load the PCI ID database: names not shown (Debian package pci.ids)"))
                    break
                }
                functions[i].names = n
            }
        }
        return PCIReadResult(source: source, functions: functions, warnings: warnings, namesLoaded: namesLoaded,
                             format: parsed?.kind, assumptions: parsed?.assumptions ?? [], recorded: parsed?.recorded)
    }

    /// Every function of the running system through libpci's linux-sysfs method, sorted, one
    /// per address, with its whole readable config space.
    private static func readLive(sysfsPath: String?) throws(PCIAccessError) -> [PCIFunction] {
        var seen = Set<PCIAddress>()
        var out: [PCIFunction] = []
        for d in try LibpciDevices.read(method: 0, path: sysfsPath) {
            guard let address = d.address, seen.insert(address).inserted else { continue }
            out.append(PCIFunction(address: address, config: d.config))
        }
        return out.sorted { $0.address < $1.address }
    }

    /// The kernel driver bound to each function of the running system, by address: libpci's
    /// `PCI_FILL_DRIVER` (the sysfs `driver` link), what `lspci -k` prints as "Kernel driver in
    /// use". Functions without a bound driver are left out. Only a live system has drivers.
    /// - Throws: `PCIAccessError` with libpci's message (e.g. `Cannot open /sys/bus/pci/devices`).
    public static func liveDrivers(sysfsPath: String? = nil) throws(PCIAccessError) -> [PCIAddress: String] {
        var err = [CChar](repeating: 0, count: 512)
        let access: OpaquePointer? = withOptionalCString(sysfsPath) { cpcishim_open(0, nil, $0, nil, &err, err.count) }
        guard let access else { throw PCIAccessError(string(err)) }
        defer { cpcishim_close(access) }
        var out: [PCIAddress: String] = [:]
        var name = [CChar](repeating: 0, count: 256)
        var dev = cpcishim_first(access)
        while let d = dev {
            dev = cpcishim_next(d)
            var dom: Int32 = 0, bus: Int32 = 0, slot: Int32 = 0, fn: Int32 = 0
            cpcishim_location(d, &dom, &bus, &slot, &fn)
            guard let address = LibpciDevice(domain: dom, bus: bus, device: slot, function: fn, config: ConfigSpace(bytes: [])).address
            else { continue }
            guard cpcishim_string_property(access, d, Int32(CPCISHIM_DRIVER.rawValue), &name, name.count, &err, err.count) == 0 else { throw PCIAccessError(string(err)) }
            let driver = string(name)
            if !driver.isEmpty { out[address] = driver }
        }
        return out
    }

    /// libpci's version, e.g. "3.9.0".
    public static var libpciVersion: String { String(cString: cpcishim_version()) }
}

/// One device as libpci lists it.
package struct LibpciDevice: Hashable, Sendable {
    /// The location exactly as libpci holds it (a dump may give `00:20.0` or `00:00.8`).
    package var domain: Int32, bus: Int32, device: Int32, function: Int32
    /// Every byte `pci_read_block` gives, and how many that is (`readable`).
    package var config: ConfigSpace

    /// The address, or `nil` for a location that is no valid BDF.
    package var address: PCIAddress? {
        guard domain >= 0, bus >= 0, bus <= 0xff, device >= 0, function >= 0 else { return nil }
        return PCIAddress(domain: UInt32(domain), bus: UInt8(bus), device: UInt8(truncatingIfNeeded: device),
                          function: UInt8(truncatingIfNeeded: function))
            .flatMap { device <= 0x1f && function <= 7 ? $0 : nil }
    }
}

/// Devices through libpci: the live system (method 0, linux-sysfs) and, as the test oracle for
/// `DumpReader`, libpci's own dump reader (method 1, what `lspci -F` uses). Never give the dump
/// reader a file `DumpReader` refuses with an error whose `libpciMessage` is `nil`: libpci 3.9
/// writes outside its buffer there.
package enum LibpciDevices {
    /// All devices in the order they were found (for a dump: file order, duplicates included).
    package static func read(method: Int32, path: String?) throws(PCIAccessError) -> [LibpciDevice] {
        var err = [CChar](repeating: 0, count: 512)
        let access: OpaquePointer? = withOptionalCString(path) { p in
            method == 1 ? cpcishim_open(1, p, nil, nil, &err, err.count) : cpcishim_open(0, nil, p, nil, &err, err.count)
        }
        guard let access else { throw PCIAccessError(string(err)) }
        defer { cpcishim_close(access) }
        // libpci prepends each device it finds, so its list is the reverse of the file order.
        var devs: [OpaquePointer] = []
        var dev = cpcishim_first(access)
        while let d = dev {
            devs.append(d)
            dev = cpcishim_next(d)
        }
        var out: [LibpciDevice] = []
        var buf = [UInt8](repeating: 0xff, count: ConfigSpace.size)
        for d in devs.reversed() {
            var dom: Int32 = 0, bus: Int32 = 0, slot: Int32 = 0, fn: Int32 = 0
            cpcishim_location(d, &dom, &bus, &slot, &fn)
            let size = cpcishim_read_config(access, d, &buf, 0, &err, err.count)
            if size < 0 { throw PCIAccessError(string(err)) }
            out.append(LibpciDevice(domain: dom, bus: bus, device: slot, function: fn,
                                    config: ConfigSpace(bytes: buf, readable: Int(size))))
        }
        return out
    }
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
