import PCIConfig

/// The macros of a kernel's include/linux/pci_ids.h: the `PCI_VENDOR_ID_*` names a row can spell
/// a vendor with, and every 16-bit `#define` a table row may use (the one reader of that file).
///
/// Vendor macros: `#define PCI_VENDOR_ID_<NAME> 0x<hex>` lines and aliases of other vendor macros
/// (`#define PCI_VENDOR_ID_A PCI_VENDOR_ID_B`). Several names can share a value
/// (`PCI_VENDOR_ID_FREESCALE` and `PCI_VENDOR_ID_NXP` are both 0x1957); `names(for:)` keeps the
/// file order.
public struct VendorMacros: Hashable, Sendable {
    /// Vendor macro name -> vendor ID.
    public private(set) var values: [String: UInt16] = [:]
    /// Every `#define NAME VALUE` whose value is a C integer literal of 16 bits (device macros
    /// included), for reading table rows.
    public private(set) var defines: [String: UInt16] = [:]
    /// Vendor ID -> macro names in file order.
    public private(set) var namesByValue: [UInt16: [String]] = [:]
    /// Macro name -> 1-based line in pci_ids.h.
    public private(set) var lines: [String: Int] = [:]

    public init() {}

    /// Parses the text of include/linux/pci_ids.h.
    public init(pciIDsHeader text: String) {
        var aliases: [(String, String, Int)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            guard line.hasPrefix("#define") else { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 3, parts[0] == "#define" else { continue }
            if defines[String(parts[1])] == nil, let v = CTokenizer.integer(String(parts[2])), (0...0xffff).contains(v) {
                defines[String(parts[1])] = UInt16(v)
            }
            guard parts[1].hasPrefix("PCI_VENDOR_ID_") else { continue }
            let name = String(parts[1]), value = String(parts[2])
            if let v = parseHexID(value), value.lowercased().hasPrefix("0x") {
                add(name, v, line: i + 1)
            } else if value.hasPrefix("PCI_VENDOR_ID_") {
                aliases.append((name, value, i + 1))
            }
        }
        for (name, target, line) in aliases {
            if let v = values[target] {
                add(name, v, line: line)
                if defines[name] == nil { defines[name] = v }
            }
        }
    }

    private mutating func add(_ name: String, _ value: UInt16, line: Int) {
        guard values[name] == nil else { return }
        values[name] = value
        lines[name] = line
        namesByValue[value, default: []].append(name)
    }

    /// The macros for `vendor`, in file order (empty: the kernel has none; rows use the literal).
    public func names(for vendor: UInt16) -> [String] { namesByValue[vendor] ?? [] }

    /// The value of a table row's token: a C integer literal of 16 bits or a macro of pci_ids.h.
    public func value(of token: String) -> UInt16? {
        if let v = CTokenizer.integer(token) { return (0...0xffff).contains(v) ? UInt16(v) : nil }
        return defines[token]
    }
}

/// How a vendor ID is written in a table row: a `PCI_VENDOR_ID_*` macro or a literal such as
/// `0x19a2` (the kernel writes literals for vendors pci_ids.h does not define).
public enum VendorSpelling: Hashable, Sendable, CustomStringConvertible {
    case macro(String)
    case literal(UInt16)

    public var description: String {
        switch self {
        case let .macro(m): m
        case let .literal(v): "0x" + hex(v, width: 4)
        }
    }

    /// The macro name, if any.
    public var macro: String? {
        if case let .macro(m) = self { return m }
        return nil
    }
}
