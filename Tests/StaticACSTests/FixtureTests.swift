import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import StaticACS
import Testing
import TestSupport

/// Static tables on real multifunction devices (QEMU e1000e/nvme/virtio pairs, NVIDIA GPU + HDMI
/// audio functions from real machines), judged by lspci.
@Suite struct FixtureTests {
    /// Multifunction endpoint functions with 4096 readable bytes and no ACS capability.
    static let functions: [(dump: String, bdf: String)] = [
        ("qemu/c-mf-endpoint/dump.txt", "0000:01:00.0"), // e1000e 8086:10d3
        ("qemu/c-mf-endpoint/dump.txt", "0000:01:00.1"),
        ("qemu/c-mf-endpoint/dump.txt", "0000:02:00.0"), // virtio-net 1af4:1041
        ("qemu/c-mf-endpoint/dump.txt", "0000:02:00.1"), // nvme 1b36:0010
        ("qemu/c-mf-endpoint/dump.txt", "0000:02:00.2"), // e1000e
        ("qemu/c-mf-endpoint/dump.txt", "0000:03:00.0"), // nvme 8086:5845
        ("qemu/c-mf-endpoint/dump.txt", "0000:03:00.1"),
        ("qemu/f-quirk/dump.txt", "0000:01:00.0"),
        ("qemu/f-quirk/dump.txt", "0000:01:00.1"),
        ("qemu/f-quirk/dump.txt", "0000:02:00.0"),
        ("qemu/f-quirk/dump.txt", "0000:02:00.1"),
        ("machines/arrandale-samsung-r580-gt330m/dump.txt", "0000:02:00.0"), // GT 330M 10de:0a29
        ("machines/arrandale-samsung-r580-gt330m/dump.txt", "0000:02:00.1"), // HDMI audio 10de:0be2
        ("machines/ivb-latitude-e6430-nvs5200m/dump.txt", "0000:01:00.0"), // NVS 5200M 10de:0dfc
        ("machines/x58-asus-p6t6-nf200/dump.txt", "0000:06:00.0"), // GeForce 210
        ("machines/x58-asus-p6t6-nf200/dump.txt", "0000:06:00.1"),
    ]

    static let requests: [(controls: ACSFlags, enabled: ACSFlags, egress: Int?)] = [
        ([], [], nil), // the static "no peer-to-peer" table
        ([.rr, .cr], [.rr, .cr], nil),
        (.all, .linuxRequired, 8),
    ]

    static var cases: [(String, String, Int)] {
        functions.flatMap { f in requests.indices.map { (f.dump, f.bdf, $0) } }
    }

    /// `lspci -F patched -vvv` is `lspci -F original -s BDF -vvv` plus exactly one "Access Control
    /// Services" block, after every capability that was there (so every old capability is still at
    /// its old offset, with the same decode), showing the requested ACSCap/ACSCtl at the placed
    /// offset; our own decode of the patched dump (through libpci) agrees with lspci.
    @Test(arguments: cases)
    func patchedDumpDecodesWithLspci(dump: String, bdf: String, requestIndex: Int) async throws {
        let f = try fixtureFunction(dump, bdf)
        let r = Self.requests[requestIndex]
        let request = try ACSTableRequest(capability: r.controls, control: r.enabled, egressVectorBits: r.egress)
        let table = try StaticACSTable.place(request, in: f)
        let placement = try #require(table.placement)
        let text = try #require(table.renderDump())
        let path = try temporaryFile(text)

        let before = try await lspciVVV(Fixtures.path(dump), bdf).split(separator: "\n").map(String.init)
        let after = try await lspciVVV(path).split(separator: "\n").map(String.init)
        let header = "\tCapabilities: [\(hex(placement.offset, width: 3)) v1] Access Control Services"
        let start = try #require(after.firstIndex(of: header), "no ACS header in\n\(after.joined(separator: "\n"))")
        let block = Array(after[start..<min(start + 3, after.count)])
        #expect(block == [header, "\t\tACSCap:\t" + r.controls.lspciDescription, "\t\tACSCtl:\t" + r.enabled.lspciDescription])
        var rest = after
        rest.removeSubrange(start..<(start + 3))
        if rest != before {
            Issue.record("lspci output changed:\n\(await textDiff(expected: before.joined(separator: "\n"), actual: rest.joined(separator: "\n")))")
        }
        // The new capability is the last one lspci shows: it was linked at the end of the list.
        let capLines = after.indices.filter { after[$0].hasPrefix("\tCapabilities: [") }
        #expect(capLines.last == start)
        // Old extended capabilities: same offsets, same order.
        let oldExt = before.filter { $0.hasPrefix("\tCapabilities: [") && $0.dropFirst(16).prefix(4).last == " " }
        let newExt = after.filter { $0.hasPrefix("\tCapabilities: [") && $0.dropFirst(16).prefix(4).last == " " }
        #expect(newExt == oldExt + [header])

        // Our decode of the same file, through libpci, agrees with lspci and with the request.
        let reread = try PCIReader.read(.dump(path: path))
        #expect(reread.count == 1)
        let acs = try #require(reread.first?.acs.capability)
        #expect(acs.offset == placement.offset)
        #expect(acs.capability == r.controls && acs.control == r.enabled)
        #expect(acs.capability.lspciDescription == block[1].dropFirst(10) && acs.control.lspciDescription == block[2].dropFirst(10))
        if let bits = r.egress { #expect(acs.egressVectorBits == bits) }
        // The patched dump has the whole config space and only the placed bytes and the link changed.
        #expect(reread.first?.config.readable == 4096)
        let changed = (0..<4096).filter { reread[0].config.bytes[$0] != f.config.bytes[$0] }
        let allowed = Set(placement.offset..<(placement.offset + placement.size)).union(
            placement.link.map { Set(($0.offset + 2)..<($0.offset + 4)) } ?? [])
        #expect(Set(changed).isSubset(of: allowed))
    }

    /// The `hex` lines are exactly the lines of the patched dump that hold the new capability and
    /// the rewritten link, and applying the `writes` pairs to the original gives the patched bytes.
    @Test(arguments: functions.prefix(14).map { [$0.dump, $0.bdf] })
    func hexAndWritesAgreeWithTheDump(_ pair: [String]) throws {
        let f = try fixtureFunction(pair[0], pair[1])
        let table = try StaticACSTable.place(try ACSTableRequest(), in: f)
        let p = try #require(table.placement)
        let dumpLines = Set(try #require(table.renderDump()).split(separator: "\n").map(String.init))
        let hexLines = table.renderHex().split(separator: "\n").map(String.init)
        #expect(!hexLines.isEmpty && hexLines.allSatisfy { dumpLines.contains($0) })
        let offsets = hexLines.compactMap { Int($0.prefix { $0 != ":" }, radix: 16) }
        #expect(offsets.contains(p.offset & ~15))
        if let l = p.link { #expect(offsets.contains(l.offset & ~15)) }
        var c = f.config
        for line in table.renderWrites().split(separator: "\n") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2 && parts[0].hasPrefix("0x") && parts[1].count == 10)
            c.set32(try #require(Int(parts[0].dropFirst(2), radix: 16)), try #require(UInt32(parts[1].dropFirst(2), radix: 16)))
        }
        #expect(c == table.patchedConfig)
        // The link is written last.
        if let l = p.link { #expect(table.writes.last?.offset == l.offset) }
    }

    /// Linux's `pci_acs_flags_enabled(dev, REQ_ACS_FLAGS)` (mirrored by `ACSCapability.enables`)
    /// on the patched functions: the static "none" table passes as it is; a table advertising
    /// RR|CR passes only once the Control bits are set (by the table or by the kernel's
    /// `pci_std_enable_acs`).
    @Test(arguments: functions.map { [$0.dump, $0.bdf] })
    func linuxSeesThePatchedFunctionAsIsolated(_ pair: [String]) throws {
        let f = try fixtureFunction(pair[0], pair[1])
        #expect(f.acs == .absent)
        let none = try StaticACSTable.place(try ACSTableRequest(), in: f)
        #expect(pciACSFlagsEnabled(try #require(none.patchedConfig?.acs.capability).registers, .linuxRequired))
        let off = try StaticACSTable.place(try ACSTableRequest(capability: [.rr, .cr]), in: f)
        let offACS = try #require(off.patchedConfig?.acs.capability)
        #expect(!pciACSFlagsEnabled(offACS.registers, .linuxRequired) && pciACSFlagsMissing(offACS.registers, .linuxRequired) == [.rr, .cr])
        #expect(pciACSFlagsEnabled(ACSRegisters(capability: offACS.capability, control: pciACSEnableBits([.rr, .cr])), .linuxRequired))
    }

    // MARK: Refusals on real dumps

    @Test func refusesFunctionsThatAlreadyHaveACS() throws {
        // Navi 23 GPU and HDMI audio carry an ACS capability that advertises nothing (0x2a0).
        for bdf in ["0000:05:00.0", "0000:05:00.1"] {
            let f = try fixtureFunction("machines/x99-huananzhi-qd4-navi23/dump.txt", bdf)
            let existing = try #require(f.acs.capability)
            #expect(existing.offset == 0x2a0)
            #expect(throws: StaticACSError.alreadyHasACS(f.address, existing)) { try StaticACSTable.place(try ACSTableRequest(), in: f) }
        }
        let rp = try fixtureFunction("qemu/c-mf-endpoint/dump.txt", "0000:00:01.0")
        #expect(throws: StaticACSError.alreadyHasACS(rp.address, try #require(rp.acs.capability))) {
            try StaticACSTable.place(try ACSTableRequest(), in: rp)
        }
    }

    @Test func refusesConventionalPCIAndShortDumps() throws {
        // ICH9 LPC bridge: no PCI Express capability.
        let lpc = try fixtureFunction("qemu/c-mf-endpoint/dump.txt", "0000:00:1f.0")
        #expect(throws: StaticACSError.notPCIExpress(lpc.address)) { try StaticACSTable.place(try ACSTableRequest(), in: lpc) }
        // BCM5719 pair on POWER9: PCI Express, but the dump has only 256 bytes.
        for bdf in ["0004:01:00.0", "0004:01:00.1"] {
            let f = try fixtureFunction("machines/ppc64le-talos2-power9-phb4/dump.txt", bdf)
            #expect(f.config.readable == 256 && f.portType == .endpoint)
            #expect(throws: StaticACSError.extendedSpaceNotReadable(f.address, readable: 256)) {
                try StaticACSTable.place(try ACSTableRequest(), in: f)
            }
        }
        // NVS 5200M's hidden HDMI audio function reads all-ones.
        let hidden = try fixtureFunction("machines/ivb-latitude-e6430-nvs5200m/dump.txt", "0000:01:00.1")
        #expect(throws: StaticACSError.allOnes(hidden.address)) { try StaticACSTable.place(try ACSTableRequest(), in: hidden) }
        // The e1000e cut to 256 and to 64 bytes (an `lspci -xxx` and a non-root read).
        let e = try fixtureFunction("qemu/f-quirk/dump.txt", "0000:01:00.0")
        for n in [256, 64] {
            let short = PCIFunction(address: e.address, config: e.config.truncated(to: n))
            #expect(throws: StaticACSError.extendedSpaceNotReadable(e.address, readable: n)) {
                try StaticACSTable.place(try ACSTableRequest(), in: short)
            }
        }
    }

    /// X58 GPIO/scratch-pad function 00:14.1: an empty list but data at 0x104, so 0x100 is not free.
    @Test func refusesToOverwriteUndocumentedRegisters() throws {
        let f = try fixtureFunction("machines/x58-asus-p6t6-nf200/dump.txt", "0000:00:14.1")
        #expect(f.config.extendedCapabilities().entries.isEmpty)
        #expect(throws: StaticACSError.offsetNotEmpty(0x100, size: 8, dwordAt: 0x104, value: 1)) {
            try StaticACSTable.place(try ACSTableRequest(), in: f)
        }
    }

    /// Where the real devices' tables go: after the last capability, linked from the last one in
    /// list order (values read off the dumps by hand: see the lspci vvv.txt next to each).
    @Test func placementOnRealDevices() throws {
        let cases: [(String, String, Int, Int?)] = [
            ("qemu/f-quirk/dump.txt", "0000:01:00.0", 0x14c, 0x140), // AER 0x100, DSN 0x140-0x14b
            ("qemu/f-quirk/dump.txt", "0000:02:00.0", 0x100, nil), // nvme: empty list
            ("machines/arrandale-samsung-r580-gt330m/dump.txt", "0000:02:00.0", 0x624, 0x600), // VSEC len 0x24 at 0x600
            ("machines/arrandale-samsung-r580-gt330m/dump.txt", "0000:02:00.1", 0x100, nil),
            ("machines/x99-huananzhi-bd4/dump.txt", "0000:03:00.0", 0x468, 0x440), // Lane Margining x8 at 0x440
        ]
        for (dump, bdf, offset, link) in cases {
            let t = try StaticACSTable.place(try ACSTableRequest(), in: try fixtureFunction(dump, bdf))
            #expect(t.placement?.offset == offset, "\(dump) \(bdf)")
            #expect(t.placement?.link?.offset == link, "\(dump) \(bdf)")
        }
    }

    /// Extent sizes computed from real registers agree with where the hardware put the next
    /// capability: Navi 23's Secondary PCIe (x16) at 0x270 must end by the ACS at 0x2a0
    /// (2 bytes per lane; 4 would overlap), Lane Margining and PL 16 GT/s before the next ones.
    @Test func computedExtentsFitRealLayouts() throws {
        for dump in Fixtures.machines.map({ "machines/\($0)/dump.txt" }) + Fixtures.qemuTopologies.map({ "qemu/\($0)/dump.txt" }) {
            for f in try PCIReader.read(.dump(path: Fixtures.path(dump))) where f.config.readable == 4096 {
                let extents = ExtendedCapabilities.extents(of: f.config).sorted { $0.offset < $1.offset }
                for (a, b) in zip(extents, extents.dropFirst()) {
                    // AER is taken at its largest layout (0x48) on purpose; QEMU puts DSN at +0x40 of an endpoint's AER.
                    if a.entry.id == 0x0001 { continue }
                    #expect(a.end <= b.offset, "\(dump) \(f.address): \(a) runs into \(b)")
                }
            }
        }
    }
}
