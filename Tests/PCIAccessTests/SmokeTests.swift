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

    @Test func malformedDumpIsAnErrorNotAnExit() throws {
        let dir = try Fixtures.temporaryDirectory()
        let f = dir.appendingPathComponent("bad.txt").path
        try "00:00.0 x\n00: zz\n".write(toFile: f, atomically: true, encoding: .utf8)
        #expect(throws: PCIAccessError("dump: Malformed line")) { try PCIReader.read(.dump(path: f)) }
    }
}
