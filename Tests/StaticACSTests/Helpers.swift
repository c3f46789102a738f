import Foundation
import PCIAccess
import PCIConfig
import StaticACS
import Testing
import TestSupport

/// A synthetic PCI Express function with a hand-built extended capability list, for placement
/// cases no real dump has (empty list, full space, broken lists). Everything else comes from
/// real dumps.
struct SyntheticFunction {
    var config: ConfigSpace

    /// Type 0 header (1234:5678, class 0x0200, multifunction), a PCI Express capability at 0x40
    /// with `portType` and a Maximum Link Width of `linkWidth`, 4096 readable bytes, an empty
    /// extended list.
    init(portType: UInt8 = 0, linkWidth: Int = 4) {
        var c = ConfigSpace(bytes: [UInt8](repeating: 0, count: ConfigSpace.size))
        c.set32(0x00, 0x5678_1234)
        c.set16(0x06, 0x0010) // Status: capability list
        c.set32(0x08, 0x0200_0000) // class 0x020000
        c.set8(0x0e, 0x80) // header type 0, multifunction
        c.set8(0x34, 0x40)
        c.set16(0x40, 0x0010) // PCI Express, next 0
        c.set16(0x42, UInt16(portType) << 4 | 2)
        c.set32(0x4c, UInt32(linkWidth) << 4 | 3) // Link Capabilities
        config = c
    }

    /// Writes an extended capability header (and `body` dwords after it).
    mutating func ext(_ offset: Int, id: UInt16, version: UInt8 = 1, next: Int, body: [UInt32] = []) {
        config.set32(offset, UInt32(id) | UInt32(version) << 16 | UInt32(next) << 20)
        for (i, v) in body.enumerated() { config.set32(offset + 4 + 4 * i, v) }
    }

    func function(_ text: String = "0000:01:00.0") -> PCIFunction {
        PCIFunction(address: PCIAddress(text)!, config: config)
    }
}

/// Reads one function from a fixture dump.
func fixtureFunction(_ dump: String, _ bdf: String) throws -> PCIFunction {
    let fns = try PCIReader.read(.dump(path: Fixtures.path(dump)))
    let address = try #require(PCIAddress(bdf))
    return try #require(fns.first { $0.address == address }, "\(bdf) not in \(dump)")
}

/// What lspci prints for one ACS capability: offset, ACSCap and ACSCtl lines.
struct LspciACS: Hashable {
    var offset: Int
    var cap: String
    var ctl: String
}

/// Splits `lspci -vvv` output into devices (by the header line's BDF) and returns each device's
/// lines.
func lspciDevices(_ text: String) -> [String: [String]] {
    var out: [String: [String]] = [:]
    var current: String?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if let first = line.first, first.isHexDigit, let bdf = line.split(separator: " ").first {
            current = String(bdf)
            out[current!] = []
        } else if let c = current, !line.isEmpty {
            out[c, default: []].append(String(line))
        }
    }
    return out
}

/// The ACS capability lspci decoded in one device's lines, if any.
func lspciACS(_ lines: [String]) -> LspciACS? {
    guard let i = lines.firstIndex(where: { $0.contains("Access Control Services") }) else { return nil }
    let head = lines[i]
    guard let open = head.firstIndex(of: "["), let sp = head[open...].firstIndex(of: " "),
          let off = Int(head[head.index(after: open)..<sp], radix: 16), i + 2 < lines.count else { return nil }
    func value(_ l: String, _ key: String) -> String {
        let t = l.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix(key) ? t.dropFirst(key.count).trimmingCharacters(in: .whitespaces) : "(missing \(key))"
    }
    return LspciACS(offset: off, cap: value(lines[i + 1], "ACSCap:"), ctl: value(lines[i + 2], "ACSCtl:"))
}

/// `lspci -F <file> -vvv [-s BDF]`, stdout; the test fails if lspci fails.
func lspciVVV(_ file: String, _ bdf: String? = nil) async throws -> String {
    var args = ["-F", file, "-vvv"]
    if let bdf { args += ["-s", bdf] }
    let r = try await runTool("lspci", args)
    try #require(r.status == 0, "lspci \(args) failed: \(r.stderr)")
    return r.stdout
}

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "patched.txt") throws -> String {
    let dir = try Fixtures.temporaryDirectory("acsquirk-staticacs")
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The built `acsquirk` executable next to the test bundle (swift build --build-tests builds it).
func acsquirkExecutable() throws -> String {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [dir.appendingPathComponent("acsquirk").path]
    // `swift test` may run the bundle from inside the .xctest directory.
    candidates.append(dir.deletingLastPathComponent().appendingPathComponent("acsquirk").path)
    candidates.append(Fixtures.repoPath(".build/debug/acsquirk"))
    let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    return try #require(found, "acsquirk executable not built (looked at \(candidates))")
}
