import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIConfig

/// The pci.ids database read backwards: from the names lspci prints to the IDs behind them.
///
/// `lspci -vvv` without `-nn` prints `Intel Corporation 82574L Gigabit Network Connection`, not
/// `8086:10d3`; libpci can only look names up by ID, so this index reads the pci.ids file itself
/// (format: the comment block at the top of pci.ids: vendor lines `vvvv  name`, device lines
/// `<tab>dddd  name`, class lines `C cc  name`, sub-class lines `<tab>ss  name`). A name can stand
/// for several IDs (pci.ids lists `Intel Corporation` for 8086 and 8087, and some vendors reuse a
/// device name): `resolve` returns every candidate so that the caller can say so.
public final class PCIIDsIndex: Sendable {
    /// The file read.
    public let path: String
    /// The `# Version: ...` line of the file, when it has one (`2023.04.11`).
    public let version: String?
    private let vendorsByName: [String: [UInt16]]
    private let devicesByVendor: [UInt16: [String: [UInt16]]]
    private let classesByName: [String: [UInt16]]
    /// The length in words of the longest vendor name (bounds the prefixes `resolve` tries).
    private let longestVendorWords: Int

    /// libpci's default file on Debian (package pci.ids).
    public static let defaultPath = "/usr/share/misc/pci.ids"

    /// Why the file cannot be used.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads and indexes `path` (default `defaultPath`).
    public init(path: String = PCIIDsIndex.defaultPath) throws(LoadError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(path): cannot read the PCI ID database")
        }
        let bytes = [UInt8](data)
        var vendors: [String: [UInt16]] = [:]
        var devices: [UInt16: [String: [UInt16]]] = [:]
        var classes: [String: [UInt16]] = [:]
        var version: String?
        var longest = 1
        var vendor: UInt16?
        var baseClass: UInt8?
        var pos = 0
        let n = bytes.count
        while pos < n {
            var end = pos
            while end < n, bytes[end] != 0x0a { end += 1 }
            let line = bytes[pos..<end]
            pos = end + 1
            guard let first = line.first else { continue }
            if first == UInt8(ascii: "#") {
                let text = String(decoding: line, as: UTF8.self)
                if version == nil, text.hasPrefix("#\tVersion: ") || text.hasPrefix("# Version: ") {
                    version = String(text.dropFirst("# Version: ".count)).trimmedSpaces
                }
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            if first == UInt8(ascii: "C"), text.hasPrefix("C ") {
                // C cc  name
                let parts = text.dropFirst(2)
                guard let id = parseHexID(parts.prefix(2)) else { continue }
                baseClass = UInt8(id)
                vendor = nil
                continue
            }
            if first == 0x09 {
                if line.count > 1, line[line.startIndex + 1] == 0x09 { continue } // subsystem or prog-if
                let body = text.dropFirst()
                if let v = vendor {
                    guard body.count > 6, let id = parseHexID(body.prefix(4)) else { continue }
                    let name = String(body.dropFirst(4)).trimmedSpaces
                    devices[v, default: [:]][name, default: []].append(id)
                } else if let b = baseClass {
                    guard body.count > 4, let id = parseHexID(body.prefix(2)) else { continue }
                    let name = String(body.dropFirst(2)).trimmedSpaces
                    classes[name, default: []].append(UInt16(b) << 8 | id)
                }
                continue
            }
            // vvvv  name
            guard text.count > 6, let id = parseHexID(text.prefix(4)), text.dropFirst(4).first == " " else {
                vendor = nil
                continue
            }
            let name = String(text.dropFirst(4)).trimmedSpaces
            vendors[name, default: []].append(id)
            longest = max(longest, name.split(separator: " ").count)
            vendor = id
            baseClass = nil
        }
        if vendors.isEmpty { throw LoadError(description: "\(path): no vendors in this file: not a pci.ids database") }
        vendorsByName = vendors
        devicesByVendor = devices
        classesByName = classes
        longestVendorWords = longest
        self.version = version
    }

    /// The index of libpci's default file, loaded on first use; nil when it cannot be read.
    public static let shared: PCIIDsIndex? = try? PCIIDsIndex()

    /// IDs a `vendor device` text (as lspci prints it without `-nn`) can stand for.
    public struct Resolution: Hashable, Sendable {
        /// Every (vendor, device) pair the text matches, sorted.
        public var candidates: [PCIDeviceID]
        /// Whether the text names the vendor only and the device by number (`Intel Corporation Device 1234`)
        /// or gives both numbers (`Device 1d0f:efa0`): exact, whatever the pci.ids version.
        public var numeric: Bool
    }

    /// Resolves `text`, the part of an lspci device line after `Class: ` without `(rev ..)` and
    /// `(prog-if ..)`, to IDs:
    /// - `Device vvvv:dddd` (vendor not in lspci's pci.ids): both numbers;
    /// - `<vendor name> Device dddd` (device not in lspci's pci.ids): the vendor's IDs with that device;
    /// - `<vendor name> <device name>`: every vendor with that name that lists that device name.
    ///
    /// `truncated`: lspci cut the name to fit its buffer (it ends in `...`, libpci names.c
    /// `format_name`): the device names that start with what is left count.
    public func resolve(_ text: String, truncated: Bool = false) -> Resolution {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        if words.count == 2, words[0] == "Device", let id = PCIDeviceID(words[1]) {
            return Resolution(candidates: [id], numeric: true)
        }
        var out: [PCIDeviceID] = []
        var numeric = false
        // Every split "vendor name" + " " + "rest" whose vendor part is a vendor name.
        for k in stride(from: min(longestVendorWords, words.count - 1), through: 1, by: -1) {
            let vendorName = words[0..<k].joined(separator: " ")
            guard let vendorIDs = vendorsByName[vendorName] else { continue }
            let rest = words[k...]
            if rest.count == 2, rest.first == "Device", let d = parseHexID(rest.last!), rest.last!.count == 4 {
                out += vendorIDs.map { PCIDeviceID(vendor: $0, device: d) }
                numeric = true
                continue
            }
            let deviceName = rest.joined(separator: " ")
            for v in vendorIDs {
                if truncated {
                    for (name, ids) in devicesByVendor[v] ?? [:] where name.hasPrefix(deviceName) {
                        out += ids.map { PCIDeviceID(vendor: v, device: $0) }
                    }
                } else {
                    for d in devicesByVendor[v]?[deviceName] ?? [] { out.append(PCIDeviceID(vendor: v, device: d)) }
                }
            }
        }
        // Most likely first: for `Vendor Device dddd` (lspci's pci.ids did not name it), a vendor
        // that lists dddd today (lspci's file was older) before one that does not.
        let sorted = Array(Set(out)).sorted { a, b in
            let ka = numeric && devicesByVendor[a.vendor]?.values.contains { $0.contains(a.device) } == true ? 0 : 1
            let kb = numeric && devicesByVendor[b.vendor]?.values.contains { $0.contains(b.device) } == true ? 0 : 1
            return (ka, a.vendor, a.device) < (kb, b.vendor, b.device)
        }
        return Resolution(candidates: sorted, numeric: numeric && sorted.count == 1)
    }

    /// Class codes (base << 8 | sub) that lspci prints as `name` (a sub-class name of pci.ids), sorted.
    public func classIDs(named name: String) -> [UInt16] {
        (classesByName[name] ?? []).sorted()
    }
}
