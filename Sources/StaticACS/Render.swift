import Foundation
import PCIConfig

/// Output formats of a static ACS table (`acsquirk acs-table --format`).
public enum ACSTableFormat: String, CaseIterable, Sendable {
    /// A C `u8` and a `u32` array with config-space offsets in comments (kernel / firmware style).
    case c
    /// `lspci -xxxx`-style lines (16 bytes each) holding the new bytes and the rewritten next pointer.
    case hex
    /// The function's whole patched config space in `lspci -xxxx` format, as `lspci -F` reads it.
    case dump
    /// `(offset, dword)` pairs, one `0xOOO 0xVVVVVVVV` line each, in the order to write them.
    case writes
}

extension StaticACSTable {
    /// The C identifier stem: `acs_cap_0000_01_00_0` for a function, `acs_cap_<vendor>_<family>`
    /// (lower case, other characters as `_`) for a registry entry.
    public var identifier: String {
        switch subject {
        case let .function(f):
            return "acs_cap_" + f.address.description.map { $0.isHexDigit ? String($0) : "_" }.joined()
        case let .family(_, vendorName, family, _):
            return "acs_cap_" + cIdentifierPart(vendorName + " " + family)
        }
    }

    /// Renders `format`. `dump` is `nil` for a firmware table (there is no device to patch).
    public func render(_ format: ACSTableFormat) -> String? {
        switch format {
        case .c: renderC()
        case .hex: renderHex()
        case .dump: renderDump()
        case .writes: renderWrites()
        }
    }

    /// `(offset, dword)` pairs, one per line: `0x14c 0x0001000d`. The capability's dwords come
    /// first, the link (the previous last capability's new header) last. Offsets are 3 hex
    /// digits, absolute for a placed table, relative to the capability start for a firmware table.
    public func renderWrites() -> String {
        writes.map { "0x\(hex($0.offset, width: 3)) 0x\(hex($0.value, width: 8))\n" }.joined()
    }

    /// The `lspci -xxxx` lines (16 bytes, `ooo: xx xx …`) of the patched config space that hold
    /// the new capability or the rewritten next pointer, in address order. They can replace the same
    /// lines of the function's dump. For a firmware table: the capability bytes in
    /// 16-byte lines at offsets relative to its start.
    public func renderHex() -> String {
        guard let patched = patchedConfig, let p = placement else {
            return hexLines(bytes, base: 0, lines: Array(stride(from: 0, to: bytes.count, by: 16)))
        }
        var touched = Set(stride(from: p.offset & ~15, to: p.offset + p.size, by: 16))
        if let l = p.link { touched.insert(l.offset & ~15) }
        return hexLines(patched.bytes, base: 0, lines: touched.sorted())
    }

    /// The patched function in `lspci -xxxx -D` format (PCIAccess `DumpWriter`): a header line,
    /// 256 lines of 16 bytes, a blank line. `nil` for a firmware table.
    public func renderDump() -> String? {
        patchedFunction.map { DumpWriter.text([$0]) }
    }

    /// A C fragment: a comment saying what the table is and where it goes, `#define`s for the
    /// offset and the link (placed tables), a `u8` array and a `u32` array (little-endian dwords as
    /// config reads return them), each byte group or dword commented with its config-space offset
    /// (absolute and `+` relative to the capability) and register.
    public func renderC() -> String {
        let id = identifier
        let macro = id.uppercased()
        let b = bytes
        let base = placement?.offset
        func where_(_ rel: Int) -> String {
            if let base { return "0x\(hex(base + rel, width: 3)) +0x\(hex(rel, width: 2))" }
            return "+0x\(hex(rel, width: 2))"
        }
        func byteList(_ r: Range<Int>) -> String { r.map { "0x" + hex(b[$0], width: 2) + "," }.joined(separator: " ") }
        let capRaw = UInt16(b[4]) | UInt16(b[5]) << 8
        let sizeNote = request.capability.contains(.ec) ? ", egress vector size \(request.egressVectorBits ?? 0)" : ""

        var out = "/*\n"
        for line in headerComment() {
            // Text from the registry must not end the comment early.
            let safe = line.replacingOccurrences(of: "*/", with: "* /")
            out += safe.isEmpty ? " *\n" : " * \(safe)\n"
        }
        out += " */\n"
        if let p = placement {
            out += "#define \(macro)_OFFSET\t0x\(hex(p.offset, width: 3))\n"
            if let l = p.link {
                out += "#define \(macro)_LINK_OFFSET\t0x\(hex(l.offset, width: 3))\n"
                out += "#define \(macro)_LINK_HEADER\t0x\(hex(l.newHeader, width: 8))\n"
            }
            out += "\n"
        }
        out += "static const u8 \(id)_u8[\(b.count)] = {\n"
        out += "\t\(byteList(0..<4))\t/* \(where_(0)) header: ID 0x000d (ACS), version \(request.version), next 0x000 */\n"
        out += "\t\(byteList(4..<6))\t\t/* \(where_(4)) ACS Capability 0x\(hex(capRaw, width: 4)): \(request.capability)\(sizeNote) */\n"
        out += "\t\(byteList(6..<8))\t\t/* \(where_(6)) ACS Control 0x\(hex(request.control.rawValue, width: 4)): \(request.control) */\n"
        for i in stride(from: 8, to: b.count, by: 4) {
            out += "\t\(byteList(i..<(i + 4)))\t/* \(where_(i)) Egress Control Vector bits \(egressBits(i)) */\n"
        }
        out += "};\n\n"
        out += "static const u32 \(id)_u32[\(b.count / 4)] = {\n"
        // Little-endian dwords, typed step by step (the one-expression form exceeds the release
        // build's type-checking budget).
        let relWrites: [UInt32] = stride(from: 0, to: b.count, by: 4).map { (i: Int) -> UInt32 in
            let b0 = UInt32(b[i]), b1 = UInt32(b[i + 1]) << 8
            let b2 = UInt32(b[i + 2]) << 16, b3 = UInt32(b[i + 3]) << 24
            return b0 | b1 | b2 | b3
        }
        for (n, v) in relWrites.enumerated() {
            let i = n * 4
            let what = i == 0 ? "header" : i == 4 ? "ACS Control << 16 | ACS Capability" : "Egress Control Vector bits \(egressBits(i))"
            out += "\t0x\(hex(v, width: 8)),\t/* \(where_(i)) \(what) */\n"
        }
        out += "};\n"
        return out
    }

    private func egressBits(_ rel: Int) -> String {
        let first = (rel - 8) * 8
        let last = min(first + 31, (request.egressVectorBits ?? 1) - 1)
        return "\(last):\(first)"
    }

    /// The comment at the top of the C form.
    func headerComment() -> [String] {
        var lines: [String] = []
        let meaning = request.capability.isEmpty
            ? ["No ACS control advertised: the function cannot do peer-to-peer, and Linux",
               "(pci_acs_flags_enabled) treats every control as hard-wired enabled."]
            : ["Control is the reset value as written here; Linux enables SV|RR|CR|UF of",
               "what is advertised itself when an IOMMU is on (pci_std_enable_acs)."]
        let regs = "ACS Capability: \(request.capability), ACS Control: \(request.control)"
            + (request.egressVectorBits.map { ", Egress Control Vector: \($0) bits" } ?? "") + "."
        switch subject {
        case let .function(f):
            lines.append("ACS extended capability (PCIe Base Specification 7.7.8) for \(f.address) [\(f.idString)]")
            if let n = f.names { lines.append("(\(n.vendor) \(n.device)).") }
            lines.append(regs)
            lines += meaning
            if let p = placement {
                lines.append("")
                if let l = p.link {
                    lines.append("Placed at 0x\(hex(p.offset, width: 3)) (\(p.size) bytes) and linked at the end of the list: the")
                    lines.append("header of \(l.extent.name) at 0x\(hex(l.offset, width: 3)) changes from")
                    lines.append("0x\(hex(l.oldHeader, width: 8)) to 0x\(hex(l.newHeader, width: 8)) (next = 0x\(hex(p.offset, width: 3))).")
                } else {
                    lines.append("Placed at 0x100 (\(p.size) bytes): the extended capability list was empty.")
                }
            }
            lines.append("Generated by acsquirk acs-table.")
        case let .family(vendor, vendorName, family, devices):
            lines.append("Static ACS extended capability (PCIe Base Specification 7.7.8) for")
            lines.append("\(vendorName) \(family): vendor 0x\(hex(vendor, width: 4)), devices \(deviceList(devices)).")
            lines.append(regs)
            lines += meaning
            for paragraph in evidence {
                lines.append("")
                lines += wrap(paragraph, width: 72)
            }
            lines.append("")
            lines.append("Next Capability Offset is 0. Firmware places these bytes at a free, dword")
            lines.append("aligned offset in 0x100-0xfff of every function and links them at the end")
            lines.append("of that function's extended capability list (the previous last capability's")
            lines.append("header bits 31:20 = the offset), or at 0x100 when the list is empty.")
            lines.append("It is the alternative to a kernel ACS quirk for these devices.")
            lines.append("Generated by acsquirk generate.")
        }
        return lines
    }
}

/// `0x10c9, 0x10e6-0x10e8` (at most 12 items, then `…`).
func deviceList(_ ranges: [ClosedRange<UInt16>]) -> String {
    let items = ranges.map { r in
        r.lowerBound == r.upperBound ? "0x\(hex(r.lowerBound, width: 4))"
            : "0x\(hex(r.lowerBound, width: 4))-0x\(hex(r.upperBound, width: 4))"
    }
    return items.count > 12 ? items.prefix(12).joined(separator: ", ") + ", ..." : items.joined(separator: ", ")
}

/// Words of `text` in lines of at most `width` characters (`wordWrap`, PCIConfig).
func wrap(_ text: String, width: Int) -> [String] { wordWrap(text, width: width) }

/// Lower-case letters and digits, runs of anything else as one `_`, no leading or trailing `_`.
func cIdentifierPart(_ s: String) -> String {
    var out = ""
    for ch in s.lowercased() {
        if ch.isASCII && (ch.isLetter || ch.isNumber) { out.append(ch) } else if out.last != "_" { out.append("_") }
    }
    while out.hasPrefix("_") { out.removeFirst() }
    while out.hasSuffix("_") { out.removeLast() }
    return out.isEmpty ? "device" : out
}

/// `lspci -xxxx`-style data lines for the 16-byte lines starting at `lines` (offsets into
/// `bytes`, printed as `base + offset`): 2 hex digits for offsets below 0x100, 3 above.
func hexLines(_ bytes: [UInt8], base: Int, lines: [Int]) -> String {
    var out = ""
    for start in lines {
        let o = base + start
        out += hex(o, width: o < 0x100 ? 2 : 3) + ":"
        for i in start..<min(start + 16, bytes.count) { out += " " + hex(bytes[i], width: 2) }
        out += "\n"
    }
    return out
}
