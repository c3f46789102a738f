import PCIConfig
import Testing

/// Capability decoding never reads bytes that are not there (issue #15 item 4): a capability whose
/// header fits but whose registers lie past the readable bytes, or past the 4096 bytes of config
/// space, is not decoded from invented values.
@Suite struct CapabilityBoundsTests {
    /// A root port whose extended list is AER at 0x100, then ACS at `acsOffset` (header only:
    /// what follows it is whatever the test writes).
    static func port(acsAt acsOffset: Int, vendor: UInt16 = 0x1234, device: UInt16 = 0x5678) -> ConfigSpace {
        var c = Synthetic.function(vendor: vendor, device: device, classID: 0x0604, header: 0x01, portType: .rootPort)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: acsOffset))
        c.set32(acsOffset, Synthetic.extHeader(PCI_EXT_CAP_ID_ACS, next: 0))
        return c
    }

    @Test func acsHeaderAtFFCHasNoRegisters() {
        let c = Self.port(acsAt: 0xffc)
        #expect(c.extendedCapabilities().entries.last?.offset == 0xffc, "the header itself is readable")
        #expect(c.acs.capability == nil, "ACS at 0xffc decoded from registers past 0x1000: \(c.acs)")
        #expect(c.acs == .unknown(.registersPastEndOfConfigSpace(offset: 0xffc)))
    }

    @Test func acsRegistersPastAShortDumpAreUnknown() {
        // A dump that stops at 0x200, with the ACS header in its last dword.
        let c = Self.port(acsAt: 0x1fc).truncated(to: 0x200)
        #expect(c.acs == .unknown(.extendedSpaceNotReadable(readable: 0x200)))
    }

    @Test func acsAtFF8StillFits() throws {
        var c = Self.port(acsAt: 0xff8)
        c.set16(0xffc, ACSFlags.linuxRequired.rawValue)
        c.set16(0xffe, ACSFlags.linuxRequired.rawValue)
        let acs = try #require(c.acs.capability)
        #expect(acs.offset == 0xff8 && acs.capability == .linuxRequired && acs.control == .linuxRequired)
    }

    /// An Intel SPT PCH root port keeps ACS Control as a dword at +8 (Linux
    /// `pci_quirk_intel_spt_pch_acs`): at 0xff8 that dword is past the end, so the erratum layout
    /// cannot be decoded, and falling back to the standard layout would decode the wrong register.
    @Test func sptDwordControlPastTheEndIsUnknown() {
        var c = Self.port(acsAt: 0xff8, vendor: intelVendorID, device: 0xa110)
        c.set16(0xffc, ACSFlags.linuxRequired.rawValue)
        #expect(c.hasIntelSPTACSErratum)
        #expect(c.acs.capability == nil, "SPT ACS at 0xff8 decoded as \(c.acs)")
    }
}
