import Foundation
import PCIConfig
import Testing
import TestSupport

@Suite struct ACSTests {
    /// Every one of the 128 capability bit sets with every one of the 128 control bit sets:
    /// encode with `encodeACSCapability`, put it in extended config space, decode it back.
    @Test func encodeDecodeRoundTripForAll128Combinations() throws {
        let base = Synthetic.function(portType: .rootPort)
        var checked = 0
        for capBits in 0..<128 {
            let cap = ACSFlags(rawValue: UInt16(capBits))
            let vector = cap.contains(.ec) ? 32 : 0
            for ctlBits in 0..<128 {
                let ctl = ACSFlags(rawValue: UInt16(ctlBits))
                var c = base
                let bytes = encodeACSCapability(capability: cap, control: ctl, egressVectorBits: vector)
                Synthetic.put(bytes, at: 0x100, in: &c)
                let acs = try #require(c.acs.capability, "cap \(cap) ctl \(ctl)")
                guard acs.capability == cap, acs.control == ctl, acs.offset == 0x100, acs.layout == .standard,
                      acs.lspciCapability == cap, acs.lspciControl == ctl, acs.size == bytes.count,
                      Int(acs.rawCapability & 0x7f) == capBits, Int(acs.rawControl) == ctlBits
                else {
                    Issue.record("round trip failed for cap \(cap) ctl \(ctl): \(acs)")
                    return
                }
                if cap.contains(.ec) { #expect(acs.egressVectorBits == 32) }
                checked += 1
            }
            // Text forms round-trip too.
            #expect(ACSFlags(list: cap.description) == cap)
            #expect(ACSFlags(list: cap.shortNames.joined(separator: ",")) == cap)
            #expect(cap.lspciDescription.filter { $0 == "+" }.count == capBits.nonzeroBitCount)
        }
        #expect(checked == 128 * 128)
    }

    @Test func egressVectorOf256EncodesAsZero() throws {
        var c = Synthetic.function(portType: .downstreamPort)
        let bytes = encodeACSCapability(capability: [.sv, .ec], control: [], egressVectorBits: 256)
        #expect(bytes.count == 8 + 32)
        #expect(bytes[5] == 0)                       // Capability bits 15:8 = 0 means 256
        Synthetic.put(bytes, at: 0x100, in: &c)
        let acs = try #require(c.acs.capability)
        #expect(acs.egressVectorBits == 256)
        #expect(acs.size == 40)
    }

    @Test func acsFoundBehindOtherExtendedCapabilities() throws {
        var c = Synthetic.function(portType: .rootPort)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: 0x148))
        Synthetic.put(encodeACSCapability(capability: .linuxRequired, control: .linuxRequired, next: 0x200), at: 0x148, in: &c)
        c.set32(0x200, Synthetic.extHeader(PCI_EXT_CAP_ID_ARI, next: 0))
        let acs = try #require(c.acs.capability)
        #expect(acs.offset == 0x148)
        // The decoded registers enable SV, RR, CR, UF (pci_acs_flags_enabled itself: LinuxPCITests).
        #expect(acs.capability == .linuxRequired && acs.control == .linuxRequired)
        #expect(c.extendedCapabilities().entries.map(\.id) == [PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ARI])
        #expect(c.extendedCapabilities().anomaly == nil)
    }

    // MARK: Intel SPT/UPT dword layout (pci_quirk_intel_spt_pch_acs)

    static func sptPort(device: UInt16, portType: PCIExpressPortType = .rootPort, cap: ACSFlags, ctl: ACSFlags) -> ConfigSpace {
        var c = Synthetic.function(vendor: intelVendorID, device: device, classID: 0x0604, header: 0x81, portType: portType)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ACS, next: 0))
        c.set32(0x104, UInt32(cap.rawValue))        // Capability as a dword at +4
        c.set32(0x108, UInt32(ctl.rawValue))        // Control as a dword at +8
        return c
    }

    @Test func sptDwordLayoutDecodedCorrectlyAndLspciWrongly() throws {
        let c = Self.sptPort(device: 0xa110, cap: [.sv, .tb, .rr, .cr, .uf, .dt], ctl: .linuxRequired)
        #expect(c.hasIntelSPTACSErratum)
        let acs = try #require(c.acs.capability)
        #expect(acs.layout == .intelSPTDword)
        #expect(acs.capability == [.sv, .tb, .rr, .cr, .uf, .dt])
        #expect(acs.control == .linuxRequired)
        // lspci reads Control as the word at +6: the upper half of the Capability dword.
        #expect(acs.lspciCapability == [.sv, .tb, .rr, .cr, .uf, .dt])
        #expect(acs.lspciControl == [])
        #expect(acs.lspciDecodesWrongly)
        #expect(acs.control.isSuperset(of: .linuxRequired))
    }

    @Test(arguments: [
        (UInt16(0xa10f), false), (0xa110, true), (0xa11f, true), (0xa120, false), (0xa166, false), (0xa167, true),
        (0xa16a, true), (0xa16b, false), (0xa28f, false), (0xa290, true), (0xa29f, true), (0xa2a0, false),
        (0xa2e6, false), (0xa2e7, true), (0xa2ee, true), (0xa2ef, false), (0x9d0f, false), (0x9d10, true),
        (0x9d1b, true), (0x9d1c, false),
    ])
    func sptErratumRangeBoundaries(_ device: UInt16, _ erratum: Bool) throws {
        let c = Self.sptPort(device: device, cap: .linuxRequired, ctl: .linuxRequired)
        #expect(c.hasIntelSPTACSErratum == erratum)
        let acs = try #require(c.acs.capability)
        #expect(acs.layout == (erratum ? .intelSPTDword : .standard))
        // The standard layout reads Control from +6, which here holds 0.
        #expect(acs.control == (erratum ? .linuxRequired : []))
    }

    @Test func sptErratumOnlyForRootPorts() throws {
        let c = Self.sptPort(device: 0xa110, portType: .endpoint, cap: .linuxRequired, ctl: .linuxRequired)
        #expect(!c.hasIntelSPTACSErratum)
        #expect(c.acs.capability?.layout == .standard)
    }

    /// The device ID ranges are the kernel's own: parsed from pci_quirk_intel_spt_pch_acs_match()
    /// in the unpacked Debian kernel trees.
    @Test(.enabled(if: KernelTrees.available.isEmpty == false, "kernel trees not unpacked (scripts/kernel-trees.sh)"),
          arguments: KernelTrees.available)
    func sptRangesMatchTheKernel(_ tree: String) throws {
        let quirks = try String(contentsOfFile: tree + "/drivers/pci/quirks.c", encoding: .utf8)
        let start = try #require(quirks.range(of: "static bool pci_quirk_intel_spt_pch_acs_match"))
        let body = quirks[start.upperBound...].prefix { $0 != "}" }
        var ranges: [ClosedRange<UInt16>] = []
        let pattern = try Regex(#"case 0x([0-9a-f]{4}) \.\.\. 0x([0-9a-f]{4})"#)
        for m in String(body).matches(of: pattern) {
            let lo = try #require(UInt16(String(m.output[1].substring!), radix: 16))
            let hi = try #require(UInt16(String(m.output[2].substring!), radix: 16))
            ranges.append(lo...hi)
        }
        #expect(ranges.count == 5)
        #expect(ranges == intelSPTDwordACSDeviceIDs)
    }
}

/// The Debian kernel trees unpacked by scripts/kernel-trees.sh (`KernelTreeCache`).
enum KernelTrees {
    static var available: [String] { KernelTreeCache.series.compactMap(KernelTreeCache.available) }
}
