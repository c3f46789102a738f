import PCIConfig
import Testing

/// Broken capability lists, built byte by byte: every walk must end (bounded, loop-safe) and say
/// why it ended.
@Suite(.timeLimit(.minutes(1))) struct CapabilityWalkTests {
    @Test func standardListWithACycle() {
        var c = Synthetic.function()
        c.set8(0x41, 0x50)                               // PCIe capability -> 0x50
        c.set8(0x50, UInt8(PCI_CAP_ID_MSI))
        c.set8(0x51, 0x40)                               // MSI -> back to 0x40
        let walk = c.standardCapabilities()
        #expect(walk.entries.map(\.offset) == [0x40, 0x50])
        #expect(walk.anomaly == .cycle(list: .standard, at: 0x40))
        #expect(c.pciExpress?.portType == .endpoint)
    }

    @Test func standardPointerBelow0x40() {
        var c = Synthetic.function()
        c.set8(0x41, 0x20)                               // next pointer into the header
        let walk = c.standardCapabilities()
        #expect(walk.entries.map(\.offset) == [0x40])
        #expect(walk.anomaly == .pointerIntoHeader(list: .standard, pointer: 0x20, from: 0x40))
        #expect(walk.anomaly?.description == "standard capability at 0x040 points into the header (0x020)")

        var d = Synthetic.function()
        d.set8(0x34, 0x10)                               // the very first pointer
        #expect(d.standardCapabilities().anomaly == .pointerIntoHeader(list: .standard, pointer: 0x10, from: 0x34))
        #expect(d.standardCapabilities().entries.isEmpty)
        // No PCIe capability could be seen, so this is not a PCIe function: no extended list, no ACS.
        #expect(d.pciExpress == nil)
    }

    @Test func standardLowBitsOfPointersAreIgnored() {
        var c = Synthetic.function()
        c.set8(0x34, 0x43)                               // low two bits are reserved
        #expect(c.standardCapabilities().entries.map(\.offset) == [0x40])
    }

    @Test func extendedListPointingPastTheReadableSize() throws {
        var full = Synthetic.function(portType: .rootPort)
        full.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: 0x200))
        Synthetic.put(encodeACSCapability(capability: .linuxRequired, control: .linuxRequired), at: 0x200, in: &full)
        #expect(full.acs.capability?.offset == 0x200)
        let c = full.truncated(to: 0x180)
        let walk = c.extendedCapabilities()
        #expect(walk.entries.map(\.offset) == [0x100])
        #expect(walk.anomaly == .pointerPastReadable(list: .extended, pointer: 0x200, readable: 0x180))
        // ACS may sit beyond what was read: unknown, never "absent".
        #expect(c.acs == .unknown(.extendedSpaceNotReadable(readable: 0x180)))
    }

    @Test func extendedListWithACycle() {
        var c = Synthetic.function(portType: .rootPort)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: 0x140))
        c.set32(0x140, Synthetic.extHeader(PCI_EXT_CAP_ID_ARI, next: 0x100))
        let walk = c.extendedCapabilities()
        #expect(walk.entries.map(\.offset) == [0x100, 0x140])
        #expect(walk.anomaly == .cycle(list: .extended, at: 0x100))
        #expect(c.acs == .absent)
    }

    @Test func extendedSelfLoop() {
        var c = Synthetic.function(portType: .rootPort)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: 0x100))
        #expect(c.extendedCapabilities().anomaly == .cycle(list: .extended, at: 0x100))
    }

    @Test func extendedPointerIntoTheStandardSpace() {
        var c = Synthetic.function(portType: .rootPort)
        c.set32(0x100, Synthetic.extHeader(PCI_EXT_CAP_ID_ERR, next: 0x40))
        let walk = c.extendedCapabilities()
        #expect(walk.anomaly == .pointerIntoHeader(list: .extended, pointer: 0x40, from: 0x100))
        #expect(walk.entries.count == 1)
    }

    @Test func longestPossibleExtendedChainEnds() {
        // 960 entries of 4 bytes from 0x100 to 0xffc, each pointing to the next, the last to 0x100.
        var c = Synthetic.function(portType: .rootPort)
        for off in stride(from: 0x100, to: 0x1000, by: 4) {
            c.set32(off, Synthetic.extHeader(0x0b, next: off + 4 == 0x1000 ? 0x100 : off + 4))
        }
        let walk = c.extendedCapabilities()
        #expect(walk.entries.count == 960)
        #expect(walk.anomaly != nil)
    }

    @Test func emptyExtendedSpaceMeansAbsent() {
        var c = Synthetic.function(portType: .rootPort)
        c.set32(0x100, 0xffff_ffff)
        #expect(c.extendedCapabilities().entries.isEmpty)
        #expect(c.acs == .absent)
    }

    // MARK: Truncated config space: unknown, not absent

    @Test(arguments: [64, 128, 256])
    func truncatedPCIeFunctionIsUnknownNotAbsent(_ size: Int) throws {
        var c = Synthetic.function(portType: .rootPort)
        Synthetic.put(encodeACSCapability(capability: .linuxRequired, control: .linuxRequired), at: 0x100, in: &c)
        #expect(c.acs.capability != nil)
        let t = c.truncated(to: size)
        #expect(t.acs == .unknown(.extendedSpaceNotReadable(readable: size)))
        #expect(t.acs != .absent)
    }

    @Test func truncatedTo64WithCapabilitiesBeyondIsUnknown() {
        // The capability list starts at 0x40: with 64 bytes nothing of it can be read.
        let c = Synthetic.function(portType: .endpoint).truncated(to: 64)
        #expect(c.standardCapabilities().anomaly == .pointerPastReadable(list: .standard, pointer: 0x40, readable: 64))
        #expect(c.acs == .unknown(.extendedSpaceNotReadable(readable: 64)))
    }

    @Test func conventionalFunctionWithoutCapabilityListIsAbsentEvenAt64Bytes() {
        // Status bit 4 clear: no capability list, so no PCI Express capability, so no ACS.
        let c = Synthetic.function(portType: nil).truncated(to: 64)
        #expect(c.acs == .absent)
        #expect(c.truncated(to: 32).acs == .unknown(.extendedSpaceNotReadable(readable: 32)))
    }

    // MARK: All-ones functions

    @Test func allOnesFunctionIsFlaggedNotDecoded() {
        let c = ConfigSpace(bytes: [UInt8](repeating: 0xff, count: 4096), readable: 4096)
        #expect(c.isAllOnes)
        #expect(c.standardCapabilities().entries.isEmpty && c.standardCapabilities().anomaly == nil)
        #expect(c.extendedCapabilities().entries.isEmpty)
        #expect(c.pciExpress == nil)
        #expect(c.acs == .unknown(.allOnes))
        #expect(ACSStatus.UnknownReason.allOnes.description.contains("all-ones"))
        let f = PCIFunction(address: PCIAddress(bus: 1, devfn: 1), config: c)
        #expect(f.isAllOnes && !f.isBridge && f.portType == nil && f.idString == "ffff:ffff")
    }

    @Test func allOnesHeaderButCapabilityBytesBelow() {
        // What a hidden GPU audio function looks like in a dump: ff in the header, 00 from 0x40.
        var bytes = [UInt8](repeating: 0xff, count: 64) + [UInt8](repeating: 0, count: 4096 - 64)
        bytes[0xfc] = 0x10
        let c = ConfigSpace(bytes: bytes, readable: 4096)
        #expect(c.acs == .unknown(.allOnes))
        #expect(c.standardCapabilities().entries.isEmpty)
    }
}
