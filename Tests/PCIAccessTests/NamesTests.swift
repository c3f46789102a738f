import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// Names come from pci.ids through libpci, with udev's hwdb off.
@Suite struct NamesTests {
    let dump = Fixtures.path("qemu/a-rootports/dump.txt")

    @Test func missingIDsFileIsAWarningAndNoNames() async throws {
        let result = try PCIReader.load(.dump(path: dump), idsPath: "/nonexistent/pci.ids")
        #expect(!result.namesLoaded)
        #expect(result.functions.allSatisfy { $0.names == nil })
        #expect(result.warnings.map(\.description) == ["/nonexistent/pci.ids: warning: cannot load the PCI ID database: names not shown (Debian package pci.ids)"])
        // libpci itself falls back to numbers there too.
        let r = try await runTool("lspci", ["-F", dump, "-i", "/nonexistent/pci.ids", "-s", "00:01.0"])
        #expect(r.stdout.contains("Device 1b36:000c"))
    }

    @Test(arguments: [
        ("garbage line\n", "Parse error at"),
        ("8086  Intel\n8086  Intel again\n", "Duplicate entry at"),
    ])
    func corruptIDsFileIsAClearErrorNotAnExit(_ content: String, _ libpciSays: String) async throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ids = dir.appendingPathComponent("pci.ids").path
        try content.write(toFile: ids, atomically: true, encoding: .utf8)
        let e = #expect(throws: PCIAccessError.self) { try PCIReader.load(.dump(path: dump), idsPath: ids) }
        let message = try #require(e?.message)
        #expect(message.hasPrefix("error: corrupt PCI ID database: \(libpciSays) \(ids), line "))
        // Exactly what lspci reports for the same file.
        let r = try await runTool("lspci", ["-F", dump, "-i", ids])
        let lspciLine = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("lspci: ") })
        #expect(message.contains(String(lspciLine.dropFirst("lspci: ".count))))
        // Without names the same file is no problem.
        #expect(try PCIReader.read(.dump(path: dump), names: false, idsPath: ids).count == 12)
    }

    @Test func ownIDsFileIsUsed() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ids = dir.appendingPathComponent("pci.ids").path
        try "1b36  Test Vendor\n\t000c  Test Root Port\nC 06  Bridge\n\t04  Test PCI bridge\n".write(toFile: ids, atomically: true, encoding: .utf8)
        let fns = try PCIReader.read(.dump(path: dump), idsPath: ids)
        let rp = try #require(fns.first { $0.address.description == "0000:00:01.0" })
        #expect(rp.names == PCINames(vendor: "Test Vendor", device: "Test Root Port", class: "Test PCI bridge"))
        let other = try #require(fns.first { $0.idString == "8086:29c0" })
        #expect(other.names == PCINames(vendor: "Vendor 8086", device: "Device 29c0", class: "Bridge [0600]"))
    }
}
