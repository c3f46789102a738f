import PCIConfig
import StaticACS
import Testing

/// Placement on synthetic extended capability lists: the cases real dumps do not have.
@Suite struct PlacementTests {
    let none = try! ACSTableRequest()

    @Test func emptyListGoesTo0x100WithoutLink() throws {
        let s = SyntheticFunction()
        let t = try StaticACSTable.place(none, in: s.function())
        #expect(t.placement?.offset == 0x100 && t.placement?.link == nil)
        let patched = try #require(t.patchedConfig)
        #expect(patched.extendedCapabilities().entries == [CapabilityEntry(id: 0x000d, offset: 0x100, version: 1)])
        #expect(t.writes.map(\.offset) == [0x100, 0x104])
        #expect(throws: StaticACSError.emptyListNeeds0x100(0x200)) { try StaticACSTable.place(none, in: s.function(), at: 0x200) }
        #expect(try StaticACSTable.place(none, in: s.function(), at: 0x100).placement?.offset == 0x100)
    }

    /// List order differs from address order: the link goes on the last capability of the *list*,
    /// the capability after the highest *address*.
    @Test func linksTheLastInListOrderAndPlacesAfterTheHighestAddress() throws {
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x0001, version: 2, next: 0x300) // AER 0x100-0x147
        s.ext(0x300, id: 0x0003, next: 0x200) // DSN 0x300-0x30b
        s.ext(0x200, id: 0x0018, next: 0) // LTR 0x200-0x207, last in the list
        let f = s.function()
        let t = try StaticACSTable.place(none, in: f)
        let p = try #require(t.placement)
        #expect(p.offset == 0x30c)
        #expect(p.link?.offset == 0x200)
        #expect(p.link?.oldHeader == 0x0001_0018 && p.link?.newHeader == 0x30c1_0018)
        let patched = try #require(t.patchedConfig)
        #expect(patched.extendedCapabilities().entries.map(\.offset) == [0x100, 0x300, 0x200, 0x30c])
        // Nothing else changed: only the 12-bit next pointer of 0x200 and the 8 new bytes.
        let changed = (0..<4096).filter { patched.bytes[$0] != f.config.bytes[$0] }
        #expect(Set(changed).isSubset(of: Set([0x202, 0x203]).union(0x30c..<0x314)))
    }

    @Test func fullSpaceHasNoRoom() throws {
        // A Vendor-Specific capability whose length field covers the rest of the space.
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x000b, next: 0, body: [0xf00 << 20 | 0x0001_1234])
        guard case .noRoom(_, let needed, let taken, _)? = placeError(s) else {
            Issue.record("expected noRoom, got \(String(describing: placeError(s)))"); return
        }
        #expect(needed == 8 && taken.map(\.end) == [0x1000])
        // An unknown ID that is last in address order takes everything after it; AER fills the rest.
        var u = SyntheticFunction()
        u.ext(0x100, id: 0x0001, next: 0x148)
        u.ext(0x148, id: 0x0077, next: 0)
        guard case .noRoom(_, _, let t2, _)? = placeError(u) else { Issue.record("expected noRoom"); return }
        #expect(t2.map(\.basis) == [.fixed, .unknownToEnd])
        // With EC and a 256-bit vector (40 bytes) a 36-byte gap is not enough.
        var g = SyntheticFunction()
        g.ext(0x100, id: 0x0018, next: 0x12c) // LTR 0x100-0x107
        g.ext(0x12c, id: 0x0077, next: 0) // unknown, taken to the end; gap 0x108-0x12b = 36 bytes
        let big = try ACSTableRequest(capability: [.ec], egressVectorBits: 256)
        let gf = g.function()
        do throws(StaticACSError) {
            _ = try StaticACSTable.place(big, in: gf)
            Issue.record("expected noRoom for 40 bytes in a 36-byte gap")
        } catch {
            guard case .noRoom(_, let needed, let taken, _) = error else { Issue.record("expected noRoom, got \(error)"); return }
            #expect(needed == 40)
            #expect(taken.map(\.basis) == [.fixed, .unknownToEnd])
        }
        #expect(try StaticACSTable.place(none, in: g.function()).placement?.offset == 0x108)
    }

    @Test func unknownCapabilityTakesSpaceUpToTheNextOne() throws {
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x0077, next: 0x400) // unknown: taken 0x100-0x3ff
        s.ext(0x400, id: 0x0018, next: 0) // LTR 0x400-0x407
        let e = ExtendedCapabilities.extents(of: s.config)
        #expect(e.map(\.range) == [0x100..<0x400, 0x400..<0x408])
        #expect(e.first?.basis == .unknownToNext && e.first?.name == "#77")
        #expect(try StaticACSTable.place(none, in: s.function()).placement?.offset == 0x408)
        #expect(throws: StaticACSError.offsetOverlaps(0x200, size: 8, e[0])) { try StaticACSTable.place(none, in: s.function(), at: 0x200) }
    }

    /// Gaps are used only when nothing is free after the highest capability, and never over data.
    @Test func fallsBackToGapsAndSkipsData() throws {
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x0018, next: 0xf00) // LTR 0x100-0x107
        s.ext(0xf00, id: 0x000b, next: 0, body: [0x100 << 20 | 0x0001_1234]) // VSEC to 0x1000
        s.config.set32(0x10c, 0xdead_beef) // undocumented register in the gap
        let t = try StaticACSTable.place(none, in: s.function())
        #expect(t.placement?.offset == 0x110)
        #expect(t.placement?.link?.offset == 0xf00)
        // All-ones dwords count as empty (unimplemented registers may read so).
        s.config.set32(0x114, 0xffff_ffff)
        #expect(try StaticACSTable.place(none, in: s.function(), at: 0x110).placement?.offset == 0x110)
    }

    @Test func chosenOffsetIsValidated() throws {
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x0001, version: 2, next: 0x148) // AER 0x100-0x147
        s.ext(0x148, id: 0x0003, next: 0) // DSN 0x148-0x153
        s.config.set32(0x400, 0x1234_5678)
        let f = s.function()
        let aer = ExtendedCapabilities.extents(of: s.config)[0]
        let dsn = ExtendedCapabilities.extents(of: s.config)[1]
        #expect(aer.range == 0x100..<0x148 && dsn.range == 0x148..<0x154)
        #expect(throws: StaticACSError.offsetUnaligned(0x202)) { try StaticACSTable.place(none, in: f, at: 0x202) }
        #expect(throws: StaticACSError.offsetOutOfRange(0xffc, size: 8)) { try StaticACSTable.place(none, in: f, at: 0xffc) }
        #expect(throws: StaticACSError.offsetOutOfRange(0x0fc, size: 8)) { try StaticACSTable.place(none, in: f, at: 0x0fc) }
        #expect(throws: StaticACSError.offsetOverlaps(0x140, size: 8, aer)) { try StaticACSTable.place(none, in: f, at: 0x140) }
        #expect(throws: StaticACSError.offsetOverlaps(0x150, size: 8, dsn)) { try StaticACSTable.place(none, in: f, at: 0x150) }
        #expect(throws: StaticACSError.offsetNotEmpty(0x3fc, size: 8, dwordAt: 0x400, value: 0x1234_5678)) {
            try StaticACSTable.place(none, in: f, at: 0x3fc)
        }
        let t = try StaticACSTable.place(none, in: f, at: 0xff8)
        #expect(t.placement?.offset == 0xff8 && t.placement?.chosen == true && t.placement?.link?.newHeader == 0xff81_0003)
        #expect(t.patchedConfig?.acs.capability?.offset == 0xff8)
    }

    @Test func refusesBrokenListsAndAllOnesExtendedSpace() throws {
        var s = SyntheticFunction()
        s.ext(0x100, id: 0x0001, next: 0x200)
        s.ext(0x200, id: 0x0003, next: 0x100) // loops back
        guard case .brokenCapabilityList(_, .cycle)? = placeError(s) else {
            Issue.record("expected a broken list, got \(String(describing: placeError(s)))"); return
        }
        var ones = SyntheticFunction()
        ones.config.set32(0x100, 0xffff_ffff)
        #expect(placeError(ones) == .extendedSpaceAllOnes(ones.function().address))
        var conventional = SyntheticFunction()
        conventional.config.set8(0x34, 0) // no capability list
        conventional.config.set16(0x06, 0)
        #expect(placeError(conventional) == .notPCIExpress(conventional.function().address))
    }

    @Test func computedExtents() throws {
        var s = SyntheticFunction(linkWidth: 16)
        // VC: Extended VC Count 1, 4-bit port arbitration entries, VC0 with a 128-phase table at +0x40.
        s.ext(0x100, id: 0x0002, next: 0x200, body: [0x0000_0801, 0, 0, 0x0400_0008, 0, 0, 0x0000_0000])
        s.ext(0x200, id: 0x0019, next: 0x300) // Secondary PCIe, x16: 0x0c + 32
        s.ext(0x300, id: 0x0015, next: 0x400, body: [0, 0x0000_0060]) // Resizable BAR, 3 BARs: 4 + 24
        s.ext(0x400, id: 0x0026, next: 0x500) // PL 16 GT/s, x16: 0x20 + 16
        s.ext(0x500, id: 0x0027, next: 0x600) // Lane Margining, x16: 8 + 64
        s.ext(0x600, id: 0x000b, next: 0x700, body: [0x00a << 20]) // VSEC length 10 -> 12
        s.ext(0x700, id: 0x001d, next: 0x800, body: [0x0000_0420]) // DPC with RP extensions, log 4 -> 0x44
        s.ext(0x800, id: 0x0017, next: 0, body: [0x0003_0200]) // TPH, ST table in capability, 4 entries
        let sizes = ExtendedCapabilities.extents(of: s.config).map(\.size)
        #expect(sizes == [0x40 + 128 * 4 / 8, 0x2c, 0x1c, 0x30, 0x48, 0x0c, 0x44, 0x14])
    }

    func placeError(_ s: SyntheticFunction) -> StaticACSError? {
        do { _ = try StaticACSTable.place(none, in: s.function()); return nil } catch { return error }
    }
}
