import LinuxPCI
import PCIConfig
import Registry
import Testing

/// `QuirkEntry.pciQuirkACSEnabled` and `QuirkTable` (Sources/LinuxPCI/Quirks.swift), step by step,
/// against the kernel table built from the real kernel-acs-table.tsv.
@Suite struct QuirkSemanticsTests {
    func facts(_ id: UInt32, type: PCIExpressPortType? = .endpoint, mf: Bool = false, cls: UInt16? = 0x0200,
               rootBus: Bool = false, acs: PCIDevACS? = nil, pch: PCHWorkaroundState = .assumedToSucceed) -> PCIDev {
        PCIDev(vendor: UInt16(id >> 16), device: UInt16(id & 0xffff), type: type, multifunction: mf,
               classID: cls, onRootBus: rootBus, acs: acs, pchWorkaround: pch)
    }
    /// ACS registers in both layouts.
    func acs(standard: ACSRegisters, dword: ACSRegisters) -> PCIDevACS {
        PCIDevACS(offset: 0x100, standard: standard, intelSPTDword: dword)
    }
    let req = ACSFlags.linuxRequired
    let noAMD = LinuxSystem()

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
        #expect(rciep.pciQuirkACSEnabled(facts(0x8086_5845, type: .rcIntegratedEndpoint), req, noAMD).answer == .isolated)
        #expect(rciep.pciQuirkACSEnabled(facts(0x8086_5845, type: .endpoint), req, noAMD).answer == .pass)
        #expect(rciep.pciQuirkACSEnabled(facts(0x8086_5845, type: nil), req, noAMD).answer == .pass)
        let amd = try entry("pci_quirk_amd_sb_acs", vendor: 0x1002)
        let sb = facts(0x1002_4385, type: nil, mf: true, rootBus: true)
        #expect(amd.pciQuirkACSEnabled(sb, req, noAMD).answer == .pass)
        #expect(amd.pciQuirkACSEnabled(sb, req, LinuxSystem(amdIVRS: true)).answer == .isolated)
        var single = sb; single.multifunction = false
        #expect(amd.pciQuirkACSEnabled(single, req, LinuxSystem(amdIVRS: true)).answer == .pass)
        var notRoot = sb; notRoot.onRootBus = false
        #expect(amd.pciQuirkACSEnabled(notRoot, req, LinuxSystem(amdIVRS: true)).answer == .pass)
        // A class condition (not used by the kernel table, supported for registry entries).
        var withClass = amd; withClass.appliesTo.classID = 0x0c05
        #expect(withClass.pciQuirkACSEnabled(sb, req, LinuxSystem(amdIVRS: true)).answer == .pass)
    }

    @Test func unlistedAnswersAndRCBA() throws {
        let wx = try entry("pci_quirk_wangxun_nic_acs", vendor: 0x8088)
        #expect(wx.pciQuirkACSEnabled(facts(0x8088_1001), req, noAMD).answer == .isolated)
        #expect(wx.pciQuirkACSEnabled(facts(0x8088_7777), req, noAMD).answer == .notIsolated)
        let cav = try entry("pci_quirk_cavium_acs", vendor: 0x177d)
        #expect(cav.pciQuirkACSEnabled(facts(0x177d_a123, type: .rootPort), req, noAMD).answer == .isolated)
        #expect(cav.pciQuirkACSEnabled(facts(0x177d_b000, type: .rootPort), req, noAMD).answer == .pass)
        let pch = try entry("pci_quirk_intel_pch_acs", vendor: 0x8086)
        let rp = facts(0x8086_1c10, type: .rootPort)
        #expect(pch.pciQuirkACSEnabled(rp, req, noAMD).answer == .isolated)
        #expect(pch.pciQuirkACSEnabled(facts(0x8086_1c10, type: .rootPort, pch: .forcedFailure), req, noAMD).answer == .notIsolated)
        #expect(pch.pciQuirkACSEnabled(facts(0x8086_3a40, type: .rootPort), req, noAMD).answer == .pass)
    }

    @Test func acsErratumReadsTheRealRegisters() throws {
        let spt = try entry("pci_quirk_intel_spt_pch_acs", vendor: 0x8086)
        let on = facts(0x8086_a110, type: .rootPort, acs: acs(
            standard: ACSRegisters(capability: [], control: []),
            dword: ACSRegisters(capability: [.sv, .rr, .cr, .uf], control: req)))
        #expect(spt.pciQuirkACSEnabled(on, req, noAMD).answer == .isolated)
        let partial = facts(0x8086_a110, type: .rootPort, acs: acs(
            standard: ACSRegisters(capability: [], control: []),
            dword: ACSRegisters(capability: [.rr, .cr], control: [.rr, .cr])))
        // Unadvertised SV/UF count as satisfied, as in the standard check.
        #expect(spt.pciQuirkACSEnabled(partial, req, noAMD).answer == .isolated)
        let off = facts(0x8086_a110, type: .rootPort, acs: acs(
            standard: ACSRegisters(capability: [], control: []),
            dword: ACSRegisters(capability: [.sv, .rr, .cr, .uf], control: [.sv])))
        #expect(spt.pciQuirkACSEnabled(off, req, noAMD).answer == .notIsolated)
        #expect(spt.pciQuirkACSEnabled(facts(0x8086_a110, type: .rootPort), req, noAMD).answer == .pass)
    }

    @Test func requestedBitsAgainstEquivalent() throws {
        let mf = try entry("pci_quirk_mf_endpoint_acs", vendor: 0x8086, device: 0x10c9)
        #expect(mf.pciQuirkACSEnabled(facts(0x8086_10c9), [.sv, .tb, .rr, .cr, .uf, .dt], noAMD).answer == .isolated)
        #expect(mf.pciQuirkACSEnabled(facts(0x8086_10c9), [.ec], noAMD).answer == .notIsolated)
        let qcom = try entry("pci_quirk_qcom_rp_acs", vendor: 0x17cb, device: 0x0400)
        #expect(qcom.pciQuirkACSEnabled(facts(0x17cb_0400, type: .rootPort), [.tb], noAMD).answer == .notIsolated)
        #expect(qcom.pciQuirkACSEnabled(facts(0x17cb_0400, type: .rootPort), req, noAMD).answer == .isolated)
    }

    @Test func tableWalkFirstDecisiveRowAndEntriesConsultedFirst() throws {
        let t = try KernelTable.table()
        // An Intel RCiEP with a mf-endpoint ID: row 12 (mf_endpoint) answers before row 60 (rciep).
        let d = try #require(t.pciDevSpecificACSEnabled(facts(0x8086_10c6, type: .rcIntegratedEndpoint), req, noAMD))
        #expect(d.row.row == 12)
        // An Intel root port not in any list: every Intel row passes; no decision.
        #expect(t.pciDevSpecificACSEnabled(facts(0x8086_3a40, type: .rootPort), req, noAMD) == nil)
        // Zhaoxin multifunction row (104) before the vendor-wide port function (131).
        let z = try #require(t.pciDevSpecificACSEnabled(facts(0x1d17_3038, type: .downstreamPort), req, noAMD))
        #expect(z.row.row == 104 && z.answer == .isolated)
        // A what-if entry for a sticky-negative vendor is consulted first and wins.
        let extra = QuirkEntry(vendor: 0x8088, vendorName: "Wangxun", family: "test", devices: [.id(0x7777)],
                               isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
                               kernel: KernelStatus(status: .new))
        let w = try #require(t.consultingFirst([extra]).pciDevSpecificACSEnabled(facts(0x8088_7777), req, noAMD))
        #expect(w.answer == .isolated && w.row.row == nil)
        #expect(t.pciDevSpecificACSEnabled(facts(0x8088_7777), req, noAMD)?.answer == .notIsolated)
        // Entries consulted first only match the IDs they list.
        #expect(t.consultingFirst([extra]).pciDevSpecificACSEnabled(facts(0x8088_7778), req, noAMD)?.row.row == 132)
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
        let acsVariants: [PCIDevACS?] = [
            nil,
            PCIDevACS(offset: 0x100, standard: ACSRegisters(capability: [], control: []),
                      intelSPTDword: ACSRegisters(capability: .linuxRequired, control: .linuxRequired)),
            PCIDevACS(offset: 0x100, standard: ACSRegisters(capability: .linuxRequired, control: .linuxRequired),
                      intelSPTDword: ACSRegisters(capability: .linuxRequired, control: [.sv])),
        ]
        // No AMD IVRS and the PCH workaround succeeding; an AMD IVRS table and the workaround failing.
        let platforms: [(LinuxSystem, PCHWorkaroundState)] = [(LinuxSystem(), .assumedToSucceed),
                                                              (LinuxSystem(amdIVRS: true), .forcedFailure)]
        var compared = 0
        for id in ids.sorted() {
            for t in types {
                for mf in [false, true] {
                    for root in [false, true] {
                        for acs in acsVariants {
                            for pl in platforms {
                                let f = PCIDev(vendor: UInt16(id >> 16), device: UInt16(id & 0xffff), type: t,
                                               multifunction: mf, classID: 0x0200, onRootBus: root, acs: acs, pchWorkaround: pl.1)
                                let a = committed.pciDevSpecificACSEnabled(f, .linuxRequired, pl.0)
                                let b = tsv.pciDevSpecificACSEnabled(f, .linuxRequired, pl.0)
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
