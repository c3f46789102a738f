import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import StaticACS
import Testing
import TestSupport

/// decode(encode(x)) == x: the bytes `encodeACSCapability` / `ACSTableRequest` produce read back
/// through `ConfigSpace.acs` (and through lspci) as what was asked for.
@Suite struct EncodeDecodeTests {
    static let egressSizes = [1, 7, 8, 31, 32, 33, 64, 100, 255, 256]

    /// Every Capability x Control pair of the seven base bits (128 x 128), at 0x100 of a synthetic
    /// function, decodes to the same registers; with EC, for each egress size, the size field and
    /// the capability's length decode too.
    @Test func everyCapabilityAndControlPairRoundTrips() throws {
        var failures: [String] = []
        for capRaw in UInt16(0)..<128 {
            let cap = ACSFlags(rawValue: capRaw)
            let sizes: [Int] = cap.contains(.ec) ? Self.egressSizes : [0]
            for ctlRaw in UInt16(0)..<128 {
                let ctl = ACSFlags(rawValue: ctlRaw)
                for bits in sizes {
                    var s = SyntheticFunction()
                    let bytes = encodeACSCapability(capability: cap, control: ctl, next: 0, egressVectorBits: bits)
                    for (i, b) in bytes.enumerated() { s.config.set8(0x100 + i, b) }
                    guard let acs = s.config.acs.capability else { failures.append("\(cap)/\(ctl): not found"); continue }
                    if acs.offset != 0x100 || acs.version != 1 || acs.capability != cap || acs.control != ctl
                        || acs.rawControl != ctl.rawValue {
                        failures.append("\(cap)/\(ctl)/\(bits): decoded \(acs.capability)/\(acs.control)")
                    }
                    let expectedSize = cap.contains(.ec) ? 8 + (bits + 31) / 32 * 4 : 8
                    if bytes.count != expectedSize || acs.size != expectedSize { failures.append("\(cap)/\(bits): size \(bytes.count)") }
                    if cap.contains(.ec) && acs.egressVectorBits != bits { failures.append("\(cap)/\(bits): egress \(acs.egressVectorBits)") }
                    if !cap.contains(.ec) && capRaw >> 8 != 0 { failures.append("size field without EC") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Every valid request (Control a subset of Capability: 3^7 = 2187 pairs, EC with two egress
    /// sizes) placed into a real e1000e function decodes to the request at the placed offset, and
    /// the rest of the list is untouched.
    @Test func everyValidRequestPlacedInARealFunctionRoundTrips() throws {
        let f = try fixtureFunction("qemu/f-quirk/dump.txt", "0000:01:00.0")
        let before = f.config.extendedCapabilities().entries
        var count = 0
        var failures: [String] = []
        for capRaw in UInt16(0)..<128 {
            let cap = ACSFlags(rawValue: capRaw)
            for ctlRaw in UInt16(0)..<128 where ctlRaw & ~capRaw == 0 {
                let ctl = ACSFlags(rawValue: ctlRaw)
                for bits in cap.contains(.ec) ? [8, 256] : [nil] as [Int?] {
                    let req = try ACSTableRequest(capability: cap, control: ctl, egressVectorBits: bits)
                    let table = try StaticACSTable.place(req, in: f)
                    let patched = try #require(table.patchedConfig)
                    let acs = try #require(patched.acs.capability)
                    count += 1
                    if acs.offset != table.placement?.offset || acs.capability != cap || acs.control != ctl
                        || acs.size != req.size || (bits != nil && acs.egressVectorBits != bits) {
                        failures.append("\(cap)/\(ctl)/\(String(describing: bits))")
                    }
                    let after = patched.extendedCapabilities().entries
                    if Array(after.dropLast()) != before || after.last?.id != 0x000d { failures.append("list \(cap)/\(ctl)") }
                }
            }
        }
        #expect(count == 2187 + 2 * 729) // 3^7 pairs, plus a second egress size for the 2 * 3^6 pairs advertising EC
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// lspci decodes all 128 capability values (Control = Capability, and Control = what Linux
    /// enables) placed into the real e1000e function exactly as `ACSFlags.lspciDescription` says,
    /// at the offset we placed them, and `ConfigSpace.acs` read back through libpci agrees.
    @Test func lspciDecodesAll128CapabilityValues() async throws {
        let f = try fixtureFunction("qemu/f-quirk/dump.txt", "0000:01:00.0")
        var functions: [PCIFunction] = []
        var expected: [String: (ACSFlags, ACSFlags, Int)] = [:]
        for capRaw in UInt16(0)..<128 {
            for (half, kernel) in [false, true].enumerated() {
                let cap = ACSFlags(rawValue: capRaw)
                let ctl = kernel ? pciACSEnableBits(cap) : cap
                let req = try ACSTableRequest(capability: cap, control: ctl,
                                              egressVectorBits: cap.contains(.ec) ? Int(capRaw) + 1 : nil)
                let table = try StaticACSTable.place(req, in: f)
                var patched = try #require(table.patchedFunction)
                patched.address = try #require(PCIAddress(domain: 0, bus: UInt8(capRaw), device: UInt8(half), function: 0))
                functions.append(patched)
                expected[patched.address.description] = (cap, ctl, try #require(table.placement?.offset))
            }
        }
        let path = try temporaryFile(DumpWriter.text(functions))
        let devices = lspciDevices(try await lspciVVV(path))
        #expect(devices.count == 256)
        let ours = try PCIReader.read(.dump(path: path))
        #expect(ours.count == 256)
        for o in ours {
            let key = o.address.description
            let (cap, ctl, offset) = try #require(expected[key])
            let lspci = try #require(lspciACS(devices[o.address.shortDescription] ?? []), "lspci shows no ACS for \(key)")
            #expect(lspci == LspciACS(offset: offset, cap: cap.lspciDescription, ctl: ctl.lspciDescription), "\(key)")
            let acs = try #require(o.acs.capability)
            #expect(acs.offset == lspci.offset && acs.capability.lspciDescription == lspci.cap
                && acs.control.lspciDescription == lspci.ctl, "\(key)")
        }
    }

    @Test func requestValidation() throws {
        #expect(throws: StaticACSError.controlNotAdvertised(control: [.sv, .rr], capability: [.rr])) {
            try ACSTableRequest(capability: [.rr], control: [.sv, .rr])
        }
        #expect(throws: StaticACSError.egressBitsRequired) { try ACSTableRequest(capability: [.ec]) }
        #expect(throws: StaticACSError.egressBitsWithoutEC(8)) { try ACSTableRequest(capability: [.rr], egressVectorBits: 8) }
        #expect(throws: StaticACSError.egressBitsOutOfRange(0)) { try ACSTableRequest(capability: [.ec], egressVectorBits: 0) }
        #expect(throws: StaticACSError.egressBitsOutOfRange(257)) { try ACSTableRequest(capability: [.ec], egressVectorBits: 257) }
        let none = try ACSTableRequest()
        #expect(none.bytes() == [0x0d, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(try ACSTableRequest(capability: [.ec], egressVectorBits: 256).bytes(next: 0x2a0)
            == [0x0d, 0x00, 0x01, 0x2a, 0x20, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 32))
        #expect(pciACSEnableBits(.all) == .linuxRequired)
    }
}
