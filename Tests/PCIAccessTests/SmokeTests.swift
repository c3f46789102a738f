import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

@Suite struct SmokeTests {
    @Test func readsRootPortACSFromQEMUDump() throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path("qemu/a-rootports/dump.txt")))
        let rp = try #require(fns.first { $0.address.description == "0000:00:01.0" })
        #expect(rp.idString == "1b36:000c")
        #expect(rp.portType == .rootPort)
        #expect(rp.config.readable == 4096)
        let acs = try #require(rp.acs.capability)
        #expect(acs.offset == 0x148)
        #expect(acs.capability == [.sv, .tb, .rr, .cr, .uf, .dt])
        #expect(acs.control == .linuxRequired)
        #expect(rp.names?.vendor == "Red Hat, Inc.")
    }

    @Test func malformedDumpIsAnErrorWithALineNotAnExit() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("bad.txt").path
        try "00:00.0 x\n00: zz\n".write(toFile: f, atomically: true, encoding: .utf8)
        let e = #expect(throws: PCIAccessError.self) { try PCIReader.read(.dump(path: f)) }
        #expect(e?.message.hasPrefix("\(f):2: error: malformed hex bytes at column 5: 'zz' is not a hex byte") == true)
        #expect(e?.diagnostics.first?.libpciMessage == "dump: Malformed line")
    }

    /// A dump of 256 bytes per function (lspci -xxx): PCIe functions are unknown, with the
    /// dump-specific reason, never absent.
    @Test func twoHundredFiftySixByteDumpIsUnknownForPCIe() throws {
        let result = try PCIReader.load(.dump(path: Fixtures.path("machines/arm-n1sdp-pex8749/dump.txt")), names: false)
        let pcie = result.functions.filter { $0.portType != nil }
        #expect(!pcie.isEmpty)
        for f in pcie {
            #expect(f.config.readable == 256)
            #expect(f.acs == .unknown(.extendedSpaceNotReadable(readable: 256)))
            if case let .unknown(r) = f.acs { #expect(result.source.explanation(of: r) == "extended config space not in dump") }
        }
    }

    /// A real root port cut to 64 bytes, as a non-root read gives it: unknown, not absent, and
    /// the reason depends on the source.
    @Test func realConfigTruncatedTo64IsUnknown() throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path("qemu/a-rootports/dump.txt")), names: false)
        let rp = try #require(fns.first { $0.portType == .rootPort })
        let cut = rp.config.truncated(to: 64)
        #expect(cut.acs == .unknown(.extendedSpaceNotReadable(readable: 64)))
        #expect(cut.acs != .absent)
        #expect(PCISource.live().explanation(of: .extendedSpaceNotReadable(readable: 64)) == "run as root to read past 64 bytes")
        #expect(PCISource.dump(path: "x").explanation(of: .extendedSpaceNotReadable(readable: 64)).contains("not in dump"))
        #expect(PCISource.dump(path: "x").explanation(of: .allOnes).contains("all-ones"))
        // The same cut written as an lspci -x dump and read back through libpci.
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("x.txt").path
        try DumpWriter.text([PCIFunction(address: rp.address, config: cut)]).write(toFile: f, atomically: true, encoding: .utf8)
        let back = try #require(try PCIReader.read(.dump(path: f), names: false).first)
        #expect(back.config.readable == 64)
        #expect(back.acs == .unknown(.extendedSpaceNotReadable(readable: 64)))
    }

    @Test func allOnesFunctionIsFlagged() throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")), names: false)
        let flagged = fns.filter(\.isAllOnes)
        #expect(flagged.map(\.address.description) == ["0000:01:00.1"])
        let f = try #require(flagged.first)
        #expect(f.acs == .unknown(.allOnes))
        #expect(f.config.standardCapabilities().entries.isEmpty && f.config.extendedCapabilities().entries.isEmpty)
        #expect(f.portType == nil && !f.isBridge)
        let tree = PCIBusTree(fns)
        #expect(tree.parent(of: f.address)?.description == "0000:00:01.0")
    }
}
