import PCIConfig
import Registry
import Testing

/// `QuirkEntry.answer` and `QuirkTable` (Sources/Registry/QuirkSemantics.swift), step by step,
/// against the kernel table built from the real kernel-acs-table.tsv.
@Suite struct QuirkSemanticsTests {
    func facts(_ id: UInt32, type: PCIExpressPortType? = .endpoint, mf: Bool = false, cls: UInt16? = 0x0200,
               rootBus: Bool = false, acs: [ACSRegisterLayout: ACSRegisterValues] = [:]) -> QuirkDeviceFacts {
        QuirkDeviceFacts(vendor: UInt16(id >> 16), device: UInt16(id & 0xffff), portType: type, multifunction: mf,
                         classID: cls, onRootBus: rootBus, acsRegisters: acs)
    }
    let req = ACSFlags.linuxRequired
    let noAMD = PlatformAssumptions()

    /// The committed upstream entry of `function` for `vendor` that lists `device` (or the first).
    func entry(_ function: String, vendor: UInt16, device: UInt16? = nil) throws -> QuirkEntry {
        try #require(try KernelTable.entries().first {
            $0.kernel.function == function && $0.vendor == vendor && (device.map($0.covers(device:)) ?? true)
        })
    }

    @Test func kernelTableHas132RowsInOrder() throws {
        let t = try KernelTable.table()
        #expect(t.rows.count == 132)
        #expect(t.rows.map(\.row) == (1...132).map { Optional($0) })
        #expect(t.entries[t.rows[59].entryIndex].kernel.function == "pci_quirk_rciep_acs")
    }

    @Test func portTypeMultifunctionClassAndRequirements() throws {
        let rciep = try entry("pci_quirk_rciep_acs", vendor: 0x8086)
        #expect(rciep.answer(for: facts(0x8086_5845, type: .rcIntegratedEndpoint), requested: req, platform: noAMD) == .isolated)
        #expect(rciep.answer(for: facts(0x8086_5845, type: .endpoint), requested: req, platform: noAMD) == .pass)
        #expect(rciep.answer(for: facts(0x8086_5845, type: nil), requested: req, platform: noAMD) == .pass)
        let amd = try entry("pci_quirk_amd_sb_acs", vendor: 0x1002)
        let sb = facts(0x1002_4385, type: nil, mf: true, rootBus: true)
        #expect(amd.answer(for: sb, requested: req, platform: noAMD) == .pass)
        #expect(amd.answer(for: sb, requested: req, platform: PlatformAssumptions(amdIVRS: true)) == .isolated)
        var single = sb; single.multifunction = false
        #expect(amd.answer(for: single, requested: req, platform: PlatformAssumptions(amdIVRS: true)) == .pass)
        var notRoot = sb; notRoot.onRootBus = false
        #expect(amd.answer(for: notRoot, requested: req, platform: PlatformAssumptions(amdIVRS: true)) == .pass)
        // A class condition (not used by the kernel table, supported for registry entries).
        var withClass = amd; withClass.appliesTo.classID = 0x0c05
        #expect(withClass.answer(for: sb, requested: req, platform: PlatformAssumptions(amdIVRS: true)) == .pass)
    }

    @Test func unlistedAnswersAndRCBA() throws {
        let wx = try entry("pci_quirk_wangxun_nic_acs", vendor: 0x8088)
        #expect(wx.answer(for: facts(0x8088_1001), requested: req, platform: noAMD) == .isolated)
        #expect(wx.answer(for: facts(0x8088_7777), requested: req, platform: noAMD) == .notIsolated)
        let cav = try entry("pci_quirk_cavium_acs", vendor: 0x177d)
        #expect(cav.answer(for: facts(0x177d_a123, type: .rootPort), requested: req, platform: noAMD) == .isolated)
        #expect(cav.answer(for: facts(0x177d_b000, type: .rootPort), requested: req, platform: noAMD) == .pass)
        let pch = try entry("pci_quirk_intel_pch_acs", vendor: 0x8086)
        let rp = facts(0x8086_1c10, type: .rootPort)
        #expect(pch.answer(for: rp, requested: req, platform: noAMD) == .isolated)
        #expect(pch.answer(for: rp, requested: req, platform: PlatformAssumptions(intelPCHWorkaroundSucceeds: false)) == .notIsolated)
        #expect(pch.answer(for: facts(0x8086_3a40, type: .rootPort), requested: req, platform: noAMD) == .pass)
    }

    @Test func acsErratumReadsTheRealRegisters() throws {
        let spt = try entry("pci_quirk_intel_spt_pch_acs", vendor: 0x8086)
        let on = facts(0x8086_a110, type: .rootPort, acs: [
            .standard: ACSRegisterValues(capability: [], control: []),
            .intelSPTDword: ACSRegisterValues(capability: [.sv, .rr, .cr, .uf], control: req)])
        #expect(spt.answer(for: on, requested: req, platform: noAMD) == .isolated)
        let partial = facts(0x8086_a110, type: .rootPort, acs: [
            .standard: ACSRegisterValues(capability: [], control: []),
            .intelSPTDword: ACSRegisterValues(capability: [.rr, .cr], control: [.rr, .cr])])
        // Unadvertised SV/UF count as satisfied, as in the standard check.
        #expect(spt.answer(for: partial, requested: req, platform: noAMD) == .isolated)
        let off = facts(0x8086_a110, type: .rootPort, acs: [
            .standard: ACSRegisterValues(capability: [], control: []),
            .intelSPTDword: ACSRegisterValues(capability: [.sv, .rr, .cr, .uf], control: [.sv])])
        #expect(spt.answer(for: off, requested: req, platform: noAMD) == .notIsolated)
        #expect(spt.answer(for: facts(0x8086_a110, type: .rootPort), requested: req, platform: noAMD) == .pass)
    }

    @Test func requestedBitsAgainstEquivalent() throws {
        let mf = try entry("pci_quirk_mf_endpoint_acs", vendor: 0x8086, device: 0x10c9)
        #expect(mf.answer(for: facts(0x8086_10c9), requested: [.sv, .tb, .rr, .cr, .uf, .dt], platform: noAMD) == .isolated)
        #expect(mf.answer(for: facts(0x8086_10c9), requested: [.ec], platform: noAMD) == .notIsolated)
        let qcom = try entry("pci_quirk_qcom_rp_acs", vendor: 0x17cb, device: 0x0400)
        #expect(qcom.answer(for: facts(0x17cb_0400, type: .rootPort), requested: [.tb], platform: noAMD) == .notIsolated)
        #expect(qcom.answer(for: facts(0x17cb_0400, type: .rootPort), requested: req, platform: noAMD) == .isolated)
    }

    @Test func tableWalkFirstDecisiveRowAndEntriesConsultedFirst() throws {
        let t = try KernelTable.table()
        // An Intel RCiEP with a mf-endpoint ID: row 12 (mf_endpoint) answers before row 60 (rciep).
        let d = try #require(t.decide(facts(0x8086_10c6, type: .rcIntegratedEndpoint), requested: req, platform: noAMD))
        #expect(d.row.row == 12)
        // An Intel root port not in any list: every Intel row passes; no decision.
        #expect(t.decide(facts(0x8086_3a40, type: .rootPort), requested: req, platform: noAMD) == nil)
        // Zhaoxin multifunction row (104) before the vendor-wide port function (131).
        let z = try #require(t.decide(facts(0x1d17_3038, type: .downstreamPort), requested: req, platform: noAMD))
        #expect(z.row.row == 104 && z.answer == .isolated)
        // A what-if entry for a sticky-negative vendor is consulted first and wins.
        let extra = QuirkEntry(vendor: 0x8088, vendorName: "Wangxun", family: "test", devices: [.id(0x7777)],
                               isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
                               kernel: KernelStatus(status: .new))
        let w = try #require(t.consultingFirst([extra]).decide(facts(0x8088_7777), requested: req, platform: noAMD))
        #expect(w.answer == .isolated && w.row.row == nil)
        #expect(t.decide(facts(0x8088_7777), requested: req, platform: noAMD)?.answer == .notIsolated)
        // Entries consulted first only match the IDs they list.
        #expect(t.consultingFirst([extra]).decide(facts(0x8088_7778), requested: req, platform: noAMD)?.row.row == 132)
    }
}

/// The committed quirks/ (imported from the kernel tree) against the table built independently
/// from kernel-acs-table.tsv and the quirk functions' code: the same decision (answer and table
/// row) for every listed ID, the range ends, unlisted neighbours, each port type, with and without
/// multifunction, root bus, ACS registers, IVRS and the PCH workaround.
@Suite struct CommittedTableCrossCheck {
    @Test func committedRegistryDecidesLikeTheKernelTable() throws {
        let committed = try KernelTable.table()
        let tsv = try KernelTable.tsvTable()
        #expect(committed.rows.map(\.row) == tsv.rows.map(\.row))
        #expect(committed.rows.map(\.device) == tsv.rows.map(\.device))
        #expect(committed.rows.map(\.vendor) == tsv.rows.map(\.vendor))
        var ids = Set<UInt32>()
        for e in tsv.entries {
            for d in e.devices {
                switch d {
                case let .id(x): ids.formUnion([x, x &+ 1, x &- 1].map { UInt32(e.vendor) << 16 | UInt32($0) })
                case let .range(a, b):
                    ids.formUnion([a, b, a &- 1, b &+ 1, a + (b - a) / 2].map { UInt32(e.vendor) << 16 | UInt32($0) })
                }
            }
            ids.insert(UInt32(e.vendor) << 16 | 0x7777)
        }
        let types: [PCIExpressPortType?] = [nil, .endpoint, .rootPort, .downstreamPort, .upstreamPort, .rcIntegratedEndpoint]
        let acsVariants: [[ACSRegisterLayout: ACSRegisterValues]] = [
            [:],
            [.standard: ACSRegisterValues(capability: [], control: []),
             .intelSPTDword: ACSRegisterValues(capability: .linuxRequired, control: .linuxRequired)],
            [.standard: ACSRegisterValues(capability: .linuxRequired, control: .linuxRequired),
             .intelSPTDword: ACSRegisterValues(capability: .linuxRequired, control: [.sv])],
        ]
        let platforms = [PlatformAssumptions(), PlatformAssumptions(amdIVRS: true, intelPCHWorkaroundSucceeds: false)]
        var compared = 0
        for id in ids.sorted() {
            for t in types {
                for mf in [false, true] {
                    for root in [false, true] {
                        for acs in acsVariants {
                            for pl in platforms {
                                let f = QuirkDeviceFacts(vendor: UInt16(id >> 16), device: UInt16(id & 0xffff), portType: t,
                                                         multifunction: mf, classID: 0x0200, onRootBus: root, acsRegisters: acs)
                                let a = committed.decide(f, requested: .linuxRequired, platform: pl)
                                let b = tsv.decide(f, requested: .linuxRequired, platform: pl)
                                #expect(a?.answer == b?.answer && a?.row.row == b?.row.row,
                                        "\(hex(id >> 16, width: 4)):\(hex(id & 0xffff, width: 4)) \(String(describing: t)) mf=\(mf) root=\(root)")
                                compared += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(compared > 10_000)
    }
}
