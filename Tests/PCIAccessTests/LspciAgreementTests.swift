import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// For every function in every real dump, our decode equals what lspci decodes from the same
/// dump, run here (`lspci -F dump ...`), and what the committed `vvv.txt` (lspci on the machine
/// itself) says.
@Suite struct LspciAgreementTests {
    /// Port type, ACSCap/ACSCtl, bridge bus numbers and the config bytes themselves against
    /// `lspci -F dump -vvv -D` and `lspci -F dump -D -xxxx`; multifunction and header layout
    /// from the header-type byte lspci printed.
    @Test(arguments: Dumps.all)
    func decodeMatchesLspci(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let ours = try PCIReader.read(.dump(path: path), names: false)
        let verbose = Lspci.parse(try await Lspci.run(["-F", path, "-vvv", "-D"]))
        let hexdump = Lspci.parse(try await Lspci.run(["-F", path, "-D", "-xxxx"]))
        #expect(ours.map(\.address) == verbose.keys.sorted(), "\(dump): set of functions")
        var acsCompared = 0
        for f in ours {
            let here = "\(dump) \(f.address)"
            let v = try #require(verbose[f.address], "\(here) missing in lspci -vvv")
            let x = try #require(hexdump[f.address], "\(here) missing in lspci -xxxx")
            // Bytes: lspci shows 64/128, 256 or 4096 of them, as far as they are readable.
            let shown = f.config.readable >= 4096 ? 4096 : f.config.readable >= 256 ? 256
                : f.headerType?.layout == .cardBus && f.config.readable >= 128 ? 128 : 64
            if f.config.readable >= 64 {
                #expect(x.hex.count == shown, "\(here): lspci shows \(x.hex.count) bytes, we read \(f.config.readable)")
                #expect(Array(f.config.bytes.prefix(x.hex.count)) == x.hex, "\(here): bytes differ from lspci -xxxx")
                // Header type byte as lspci printed it.
                let ht = x.hex[0x0e]
                #expect(f.headerType?.multifunction == (ht & 0x80 != 0), "\(here): multifunction")
                #expect(f.headerType?.layoutNumber == ht & 0x7f, "\(here): header layout")
            }
            // PCI Express device/port type.
            #expect(f.portType.map(\.lspciName) == v.express, "\(here): port type ours \(String(describing: f.portType)) lspci \(v.express ?? "none")")
            // Bridge bus numbers.
            if let b = v.bus, !f.isAllOnes {
                let n = try #require(f.config.busNumbers, "\(here): lspci shows bus numbers, we have none")
                #expect((n.primary, n.secondary, n.subordinate) == b, "\(here): bus numbers")
            }
            // ACS.
            switch f.acs {
            case let .present(acs):
                #expect(v.acsCap == acs.lspciCapability.lspciDescription, "\(here): ACSCap")
                #expect(v.acsCtl == acs.lspciControl.lspciDescription, "\(here): ACSCtl")
                if acs.layout == .standard {
                    #expect(acs.capability == acs.lspciCapability && acs.control == acs.lspciControl)
                }
                acsCompared += 1
            case .absent:
                #expect(v.acsCap == nil, "\(here): lspci shows ACS, we say absent")
            case let .unknown(reason):
                #expect(v.acsCap == nil, "\(here): lspci shows ACS, we say unknown (\(reason))")
                if case .allOnes = reason { #expect(v.unknownHeaderType, "\(here): all-ones without lspci's unknown header type") }
            }
        }
        #expect(!ours.isEmpty)
        _ = acsCompared
    }

    /// The committed `vvv.txt` was written by lspci (some older than 3.9) on the machine itself,
    /// sometimes from a run with more bytes than the dump: where we decode ACS it must say the same,
    /// where we say absent it must show none; where we say unknown it may show anything.
    @Test(arguments: Dumps.withVVV)
    func decodeMatchesCommittedVVV(_ dump: String) throws {
        let ours = try PCIReader.read(.dump(path: Fixtures.path(dump)), names: false)
        let vvv = Lspci.parse(try Fixtures.text(Dumps.vvvPath(dump)))
        var matched = 0
        for f in ours {
            guard let v = vvv[f.address] else { continue }
            matched += 1
            let here = "\(Dumps.vvvPath(dump)) \(f.address)"
            if let t = f.portType, let e = v.express {
                #expect(Lspci.expressName(t, older: true).contains(e), "\(here): port type ours \(t.lspciName) vvv \(e)")
            } else if f.config.readable >= 256 {
                #expect(f.portType == nil && v.express == nil, "\(here): PCIe capability ours \(String(describing: f.portType)) vvv \(v.express ?? "none")")
            }
            switch f.acs {
            case let .present(acs):
                #expect(v.acsCap == acs.lspciCapability.lspciDescription, "\(here): ACSCap")
                #expect(v.acsCtl == acs.lspciControl.lspciDescription, "\(here): ACSCtl")
            case .absent:
                #expect(v.acsCap == nil, "\(here): vvv shows ACS, we say absent")
            case .unknown:
                break
            }
        }
        #expect(matched > 0, "\(dump): no function of the dump is in vvv.txt")
    }

    /// PCIBusTree reproduces `lspci -F dump -t` exactly.
    @Test(arguments: Dumps.all)
    func busTreeMatchesLspciT(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let ours = try PCIReader.read(.dump(path: path), names: false)
        let expected = try await Lspci.run(["-F", path, "-t"])
        let actual = LspciTree.render(ours)
        if actual != expected {
            Issue.record("\(dump): tree differs from lspci -t:\n\(await textDiff(expected: expected, actual: actual))")
        }
    }

    /// Vendor, device and class names equal `lspci -F dump -D -vmm` (same pci.ids, hwdb off).
    @Test(arguments: Dumps.all)
    func namesMatchLspci(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let result = try PCIReader.load(.dump(path: path))
        #expect(result.namesLoaded)
        let mm = Lspci.parseMachine(try await Lspci.run(["-F", path, "-D", "-vmm"]))
        for f in result.functions {
            let n = try #require(f.names, "\(dump) \(f.address): no names")
            let m = try #require(mm[f.address], "\(dump) \(f.address) missing in lspci -vmm")
            #expect(n.vendor == m["Vendor"], "\(dump) \(f.address): vendor")
            #expect(n.device == m["Device"], "\(dump) \(f.address): device")
            #expect(n.class == m["Class"], "\(dump) \(f.address): class")
        }
    }

    /// An Intel Sunrise Point root port, made from a QEMU root port by giving it the ID 8086:a110
    /// and the erratum's dword register layout: we decode Control from +8, lspci (by design)
    /// from +6 and gets it wrong. Checked against the real lspci.
    @Test func sptErratumAgainstRealLspci() async throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path("qemu/a-rootports/dump.txt")), names: false)
        var port = try #require(fns.first { $0.address.description == "0000:00:01.0" })
        let standard = try #require(port.acs.capability)
        port.config.set16(0x00, intelVendorID)
        port.config.set16(0x02, 0xa110)
        port.config.set32(standard.offset + 4, UInt32(standard.rawCapability))
        port.config.set32(standard.offset + 8, UInt32(standard.rawControl))
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("spt.txt").path
        try DumpWriter.text([port]).write(toFile: file, atomically: true, encoding: .utf8)

        let back = try #require(try PCIReader.read(.dump(path: file), names: false).first)
        #expect(back.config == port.config)
        let acs = try #require(back.acs.capability)
        #expect(acs.layout == .intelSPTDword)
        #expect(acs.capability == standard.capability && acs.control == standard.control)
        #expect(acs.lspciDecodesWrongly)
        let v = try #require(Lspci.parse(try await Lspci.run(["-F", file, "-vvv", "-D"]))[back.address])
        #expect(v.acsCap == acs.lspciCapability.lspciDescription)
        #expect(v.acsCtl == acs.lspciControl.lspciDescription)
        #expect(v.acsCtl != acs.control.lspciDescription, "lspci should decode the SPT control register wrongly")
    }

    /// DumpWriter output reads back to the same functions through libpci, for every dump.
    @Test(arguments: Dumps.all)
    func dumpWriterRoundTrip(_ dump: String) throws {
        let fns = try PCIReader.read(.dump(path: Fixtures.path(dump)), names: false)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("out.txt").path
        try DumpWriter.text(fns).write(toFile: file, atomically: true, encoding: .utf8)
        let back = try PCIReader.load(.dump(path: file), names: false)
        #expect(back.functions == fns)
        #expect(back.warnings.isEmpty)
    }
}
