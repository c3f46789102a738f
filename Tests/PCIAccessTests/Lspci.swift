import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// Every real dump in Tests/Fixtures, relative to it: QEMU (kernel 6.12 and 6.1), the QEMU quirk
/// runs, and the real machines.
enum Dumps {
    static let all: [String] = {
        var out: [String] = []
        for dir in ["qemu", "qemu-quirk", "machines"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path(dir)))?.sorted() ?? []
            for n in names {
                for file in ["dump.txt", "dump-6.1.txt"] where FileManager.default.fileExists(atPath: Fixtures.path("\(dir)/\(n)/\(file)")) {
                    out.append("\(dir)/\(n)/\(file)")
                }
            }
        }
        return out
    }()

    /// Dumps whose folder has a `vvv.txt` that lspci wrote from the same machine run.
    static var withVVV: [String] {
        all.filter { $0.hasSuffix("/dump.txt") && FileManager.default.fileExists(atPath: Fixtures.path(vvvPath($0))) }
    }

    static func vvvPath(_ dump: String) -> String {
        String(dump.dropLast("dump.txt".count)) + "vvv.txt"
    }
}

/// What `lspci -vvv` (with or without -D, -nn, -x...) says about one function.
struct LspciBlock {
    var header: String
    /// The device/port type after "Express (vN) ", without " (Slot±)".
    var express: String?
    var acsCap: String?
    var acsCtl: String?
    var bus: (primary: UInt8, secondary: UInt8, subordinate: UInt8)?
    /// Bytes of the hex dump, when the output has one.
    var hex: [UInt8] = []
    var unknownHeaderType = false
}

enum Lspci {
    static var headerPattern: Regex<AnyRegexOutput> { try! Regex(#"^(?:([0-9a-f]{4,5}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) "#) }
    static var hexPattern: Regex<AnyRegexOutput> { try! Regex(#"^([0-9a-f]{2,3}):((?: [0-9a-f]{2})+)$"#) }
    static var busPattern: Regex<AnyRegexOutput> { try! Regex(#"^\tBus: primary=([0-9a-f]{2}), secondary=([0-9a-f]{2}), subordinate=([0-9a-f]{2})"#) }

    /// Splits lspci output into blocks keyed by address (a missing domain means 0000).
    static func parse(_ text: String) -> [PCIAddress: LspciBlock] {
        var out: [PCIAddress: LspciBlock] = [:]
        var current: PCIAddress?
        let headerPattern = headerPattern, hexPattern = hexPattern, busPattern = busPattern
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if let m = line.prefixMatch(of: headerPattern) {
                let domain = m.output[1].substring.map { String($0) } ?? "0000"
                let text = "\(domain):\(m.output[2].substring!):\(m.output[3].substring!).\(m.output[4].substring!)"
                current = PCIAddress(text)
                if let current { out[current] = LspciBlock(header: line) }
                continue
            }
            guard let c = current else { continue }
            if let m = line.wholeMatch(of: hexPattern) {
                for b in m.output[2].substring!.split(separator: " ") { out[c]?.hex.append(UInt8(b, radix: 16)!) }
            } else if line.contains("Capabilities: ["), let r = line.range(of: "] Express (v") {
                guard out[c]?.express == nil else { continue }
                var t = line[r.upperBound...].drop { $0 != ")" }.dropFirst(2)
                if let msi = t.range(of: ", MSI ") { t = t[..<msi.lowerBound] }
                var s = String(t)
                for slot in [" (Slot+)", " (Slot-)"] where s.hasSuffix(slot) { s.removeLast(slot.count) }
                out[c]?.express = s
            } else if let r = line.range(of: "ACSCap:") {
                if out[c]?.acsCap == nil { out[c]?.acsCap = line[r.upperBound...].trimmingCharacters(in: .whitespaces) }
            } else if let r = line.range(of: "ACSCtl:") {
                if out[c]?.acsCtl == nil { out[c]?.acsCtl = line[r.upperBound...].trimmingCharacters(in: .whitespaces) }
            } else if let m = line.prefixMatch(of: busPattern) {
                out[c]?.bus = (UInt8(m.output[1].substring!, radix: 16)!, UInt8(m.output[2].substring!, radix: 16)!,
                               UInt8(m.output[3].substring!, radix: 16)!)
            } else if line.contains("!!! Unknown header type") {
                out[c]?.unknownHeaderType = true
            }
        }
        return out
    }

    /// `lspci -vmm` records: Slot, Class, Vendor, Device, ... per function.
    static func parseMachine(_ text: String) -> [PCIAddress: [String: String]] {
        var out: [PCIAddress: [String: String]] = [:]
        for record in text.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in record.split(separator: "\n") {
                guard let tab = line.firstIndex(of: "\t"), line[..<tab].hasSuffix(":") else { continue }
                let key = String(line[..<line.index(before: tab)])
                if fields[key] == nil { fields[key] = String(line[line.index(after: tab)...]) }
            }
            if let slot = fields["Slot"], let a = PCIAddress(slot) { out[a] = fields }
        }
        return out
    }

    /// Runs lspci (stderr is ignored: lspci warns about libkmod on this machine) and fails the
    /// test on a non-zero exit.
    static func run(_ args: [String]) async throws -> String {
        let r = try await runTool("lspci", args)
        try #require(r.status == 0, "lspci \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
        return r.stdout
    }

    /// The device/port type names lspci prints after "Express (vN)"; older lspci versions wrote
    /// "PCI/PCI-X Bridge" for a PCI Express to PCI/PCI-X bridge (seen in a committed vvv.txt).
    static func expressName(_ t: PCIExpressPortType, older: Bool = false) -> Set<String> {
        older && t == .pcieToPCIBridge ? [t.lspciName, "PCI/PCI-X Bridge"] : [t.lspciName]
    }
}

/// The built `acsquirk` executable: next to the test bundle in the build directory.
enum Binary {
    static var path: String { builtAcsquirk() ?? Fixtures.repoPath(".build/debug/acsquirk") }

    static func run(_ args: [String], environment: [String: String] = [:]) async throws -> ToolResult {
        try #require(FileManager.default.isExecutableFile(atPath: path), "no acsquirk binary at \(path): run `swift build` first")
        // swift-subprocess looks names up in PATH only; `env` runs the absolute path.
        return try await runTool("env", [path] + args, environment: environment)
    }
}
