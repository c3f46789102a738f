import PCIConfig
import Pipeline
import Registry
import Testing
@testable import LinuxPCI

/// Every rule of `pci_acs_enabled()`, `pci_for_each_dma_alias()` and `pci_device_group()` the
/// fixtures do not reach, on config space built in code.
@Suite struct SyntheticRuleTests {
    func run(_ fns: [PCIFunction], kernel: KernelProfile = .newest, assumeIOMMU: Bool = false, amd: Bool = false,
             pchFails: Bool = false, extra: [QuirkEntry] = []) throws -> GroupPrediction {
        GroupPredictor.predict(fns, quirks: try KernelTable.table().consultingFirst(extra),
                               system: LinuxSystem(kernel: kernel, assumeIOMMU: assumeIOMMU, amdIVRS: amd,
                                                          pchWorkaroundFails: pchFails))
    }

    func why(_ p: GroupPrediction, _ bdf: String) -> String {
        p.tree.index(of: PCIAddress(bdf)!).flatMap { p.explanation($0) } ?? "(none)"
    }

    // MARK: DMA aliases (pci_for_each_dma_alias)

    @Test func func1DMAAliasMergesFunctionsThatACSWouldSplit() throws {
        // Marvell 88SE9123 fn0 + IDE fn1, both with ACS fully enabled: step 4 alone would split
        // them; quirk_dma_func1_alias makes fn0 use fn1's requester ID, so step 3 joins them.
        let rp = Syn.rootPort("00:01.0", secondary: 1)
        let f0 = Syn.fn("01:00.0", 0x1b4b_9123, multifunction: true, acs: Syn.on)
        let f1 = Syn.fn("01:00.1", 0x1b4b_91a4, multifunction: true, acs: Syn.on)
        let p = try run([Syn.host, rp, f0, f1])
        #expect(p.groupOf("01:00.1") == ["01:00.0", "01:00.1"])
        #expect(why(p, "01:00.1") == "01:00.1 with 01:00.0: DMA alias: 1b4b:9123 uses the requester ID of 01:00.1 (quirk_dma_func1_alias)")
        // The same pair with a non-aliasing ID splits.
        let other = Syn.fn("01:00.0", 0x1b4b_9999, multifunction: true, acs: Syn.on)
        #expect(try run([Syn.host, rp, other, f1]).groupOf("01:00.1") == ["01:00.1"])
        // A ghost function 1 (absent): the alias points at nothing; fn0 keeps its own group.
        let ghost = try run([Syn.host, rp, Syn.fn("01:00.0", 0x1b4b_9123, multifunction: false)])
        #expect(ghost.groupOf("01:00.0") == ["01:00.0"])
    }

    @Test func func0AliasAndFixedAdaptecAlias() throws {
        let rp = Syn.rootPort("00:01.0", secondary: 1)
        // Ricoh e832 at fn 1 uses fn 0's requester ID.
        let r0 = Syn.fn("01:00.0", 0x1180_e822, multifunction: true, acs: Syn.on)
        let r1 = Syn.fn("01:00.1", 0x1180_e832, multifunction: true, acs: Syn.on)
        #expect(try run([Syn.host, rp, r0, r1]).groupOf("01:00.0") == ["01:00.0", "01:00.1"])
        // Adaptec 3405 (9005:0285, subsystem 9005:02bb) aliases devfn 01.0 on its bus.
        let pcieBridge = Syn.fn("01:00.0", 0x8086_0370, type: .pcieToPCIBridge, bus: (1, 2, 2))
        let atu = Syn.fn("02:0e.0", 0x9005_0285, type: nil, subsystem: (0x9005, 0x02bb))
        let hidden = Syn.fn("02:01.0", 0x8086_1234, type: nil)
        let p = try run([Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 2), pcieBridge, atu, hidden])
        let d = try #require(p.devices.first { $0.idString == "9005:0285" })
        #expect(d.dma.sources == ["quirk_fixed_dma_alias"])
        #expect(d.dma.aliases.members == [0x08])
        #expect(p.groupOf("02:0e.0") == ["01:00.0", "02:01.0", "02:0e.0"])
    }

    // MARK: Intel PCH root ports (pci_quirk_intel_pch_acs, enable op pci_quirk_enable_intel_pch_acs)

    func pch(rcba: UInt32?) -> [PCIFunction] {
        var f = [Syn.host,
                 Syn.rootPort("00:1c.0", secondary: 2, id: 0x8086_8c10, acs: nil, multifunction: true),
                 Syn.rootPort("00:1c.2", secondary: 3, id: 0x8086_8c14, acs: nil, multifunction: true),
                 Syn.fn("02:00.0", 0x10ec_8168), Syn.fn("03:00.0", 0x8086_1533)]
        if let rcba { f.append(Syn.fn("00:1f.0", 0x8086_8c4e, type: nil, multifunction: true, classID: 0x0601, rcba: rcba)) }
        return f
    }

    @Test func intelPCHRootPortsWithAndWithoutWorkaround() throws {
        // RCBA enabled (bit 0) in the LPC bridge: the workaround succeeds, the ports are isolated.
        let ok = try run(pch(rcba: 0xfed1_c001))
        #expect(ok.groupOf("00:1c.0") == ["00:1c.0"])
        #expect(ok.groupOf("02:00.0") == ["02:00.0"])
        #expect(ok.groupOf("03:00.0") == ["03:00.0"])
        #expect(ok.notes.contains { $0.text.contains("succeeds") && $0.text.contains("RCBA enabled in 0000:00:1f.0") })
        // RCBA disabled in config space: the kernel's enable op fails, the quirk answers 0.
        let off = try run(pch(rcba: 0xfed1_c000))
        #expect(off.groupOf("00:1c.0") == ["00:1c.0", "00:1c.2", "02:00.0", "03:00.0"])
        #expect(off.notes.contains { $0.text.contains("fails") && $0.text.contains("RCBA disabled") })
        #expect(why(off, "00:1c.2").contains("kernel quirk pci_quirk_intel_pch_acs (table row 67) answers \"not isolated\""))
        // No LPC bridge in the input: assumed to succeed, and said so.
        let unknown = try run(pch(rcba: nil))
        #expect(unknown.groupOf("00:1c.2") == ["00:1c.2"])
        #expect(unknown.notes.contains { $0.text.contains("assumed to succeed") })
        // --assume-pch-workaround-fails.
        let forced = try run(pch(rcba: 0xfed1_c001), pchFails: true)
        #expect(forced.groupOf("03:00.0") == ["00:1c.0", "00:1c.2", "02:00.0", "03:00.0"])
        #expect(forced.notes.contains { $0.text.contains("--assume-pch-workaround-fails") })
        // An ICH10 port (not in the list) with the same layout is never helped by the workaround.
        var ich = pch(rcba: 0xfed1_c001)
        ich[1] = Syn.rootPort("00:1c.0", secondary: 2, id: 0x8086_3a40, acs: nil, multifunction: true)
        ich[2] = Syn.rootPort("00:1c.2", secondary: 3, id: 0x8086_3a44, acs: nil, multifunction: true)
        #expect(try run(ich).groupOf("00:1c.0") == ["00:1c.0", "00:1c.2", "02:00.0", "03:00.0"])
    }

    @Test func intelSPTDwordErratum() throws {
        // Sunrise Point-H root port: ACS registers as dwords (+4 capability, +8 control).
        func topo(_ ctl: ACSFlags) -> [PCIFunction] {
            [Syn.host,
             Syn.rootPort("00:1b.0", secondary: 1, id: 0x8086_a167, acs: Syn.ACS(cap: Syn.all, ctl: ctl, dword: true)),
             Syn.fn("01:00.0", 0x144d_a808)]
        }
        // Linux enabled SV|RR|CR|UF in the dword at +8; the standard +6 word (what lspci shows) is 0.
        let on = try run(topo(.linuxRequired))
        let rp = try #require(on.devices.first { $0.idString == "8086:a167" })
        #expect(rp.acs?.registers(.standard)?.control == [])
        #expect(rp.acs?.registers(.intelSPTDword)?.control == .linuxRequired)
        #expect(on.groupOf("01:00.0") == ["01:00.0"])
        #expect(on.verdicts[rp.index].isolated)
        // Control dword off: the quirk reads the real registers and answers "not isolated".
        let off = try run(topo([]))
        #expect(off.groupOf("01:00.0") == ["00:1b.0", "01:00.0"])
        #expect(why(off, "01:00.0").contains("pci_quirk_intel_spt_pch_acs (table row 68) answers \"not isolated\""))
        // --assume-iommu runs the SPT enable op on the dword.
        #expect(try run(topo([]), assumeIOMMU: true).groupOf("01:00.0") == ["01:00.0"])
        // Without an ACS capability the SPT quirk passes (-ENOTTY) and the standard check fails.
        let noCap = try run([Syn.host, Syn.rootPort("00:1b.0", secondary: 1, id: 0x8086_a167, acs: nil), Syn.fn("01:00.0", 0x144d_a808)])
        #expect(noCap.groupOf("01:00.0") == ["00:1b.0", "01:00.0"])
    }

    // MARK: ARI (get_pci_function_alias_group: same slot is devfn >> 3)

    @Test func ariFunctionsEightAndUpNeverMergeWithZeroToSeven() throws {
        var fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, ari: true)]
        for devfn in 0..<16 {
            let a = PCIAddress(bus: 1, devfn: UInt8(devfn))
            // Only function 0 has the header multifunction bit, as on real ARI devices.
            fns.append(Syn.fn(a.shortDescription, 0x15b3_1019, multifunction: devfn == 0))
        }
        let p = try run(fns)
        #expect(p.groupOf("01:00.0") == (0..<8).map { "01:00.\($0)" })
        #expect(p.groupOf("01:01.0") == (0..<8).map { "01:01.\($0)" })
        // 01:01.0 (ARI function 8) is multifunction because it was found at fn > 0.
        let f8 = try #require(p.tree.index(of: PCIAddress("01:01.0")!))
        #expect(p.devices[f8].multifunction)
        #expect(p.devices[f8].multifunctionReason.contains("ARI function 8"))
        // Without ARI forwarding 01:01.0 is function 0 of device 1 with the multifunction bit
        // clear: single-function, isolated; its fn > 0 siblings still merge among themselves.
        fns[1] = Syn.rootPort("00:01.0", secondary: 1, ari: false)
        let q = try run(fns)
        #expect(q.groupOf("01:01.0") == ["01:01.0"])
        #expect(q.groupOf("01:01.1") == (1..<8).map { "01:01.\($0)" })
    }

    // MARK: Quirks answering "not isolated", AMD southbridge, table order

    @Test func wangxunUnlistedIDIsNotIsolatedDespiteRealACS() throws {
        let rp = Syn.rootPort("00:01.0", secondary: 1)
        // An unlisted Wangxun multifunction NIC with a real, enabled ACS capability: the quirk
        // answers 0 (final), the standard check is never reached.
        let u0 = Syn.fn("01:00.0", 0x8088_7777, multifunction: true, acs: Syn.on)
        let u1 = Syn.fn("01:00.1", 0x8088_7777, multifunction: true, acs: Syn.on)
        let p = try run([Syn.host, rp, u0, u1])
        #expect(p.groupOf("01:00.0") == ["01:00.0", "01:00.1"])
        #expect(why(p, "01:00.1").contains("pci_quirk_wangxun_nic_acs (table row 132) answers \"not isolated\""))
        #expect(why(p, "01:00.1").contains("even with a real ACS capability"))
        // A listed Wangxun ID without any ACS: isolated by the quirk, split.
        let l0 = Syn.fn("01:00.0", 0x8088_1001, multifunction: true)
        let l1 = Syn.fn("01:00.1", 0x8088_1001, multifunction: true)
        #expect(try run([Syn.host, rp, l0, l1]).groupOf("01:00.0") == ["01:00.0"])
        // A what-if quirk for the unlisted ID is consulted first and wins.
        let w = try run([Syn.host, rp, u0, u1], extra: [WhatIf.mfEndpointQuirk(vendor: 0x8088, device: 0x7777)])
        #expect(w.groupOf("01:00.0") == ["01:00.0"])
    }

    @Test func zhaoxinUnlistedDownstreamPortIsNotIsolated() throws {
        // Zhaoxin switch downstream port 1d17:0800 (unlisted) with ACS enabled: sticky negative.
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x1d17_0801, type: .upstreamPort, bus: (1, 2, 3)),
                   Syn.fn("02:00.0", 0x1d17_0800, type: .downstreamPort, acs: Syn.on, bus: (2, 3, 3)),
                   Syn.fn("03:00.0", 0x8086_1533)]
        let p = try run(fns)
        #expect(p.groupOf("03:00.0") == ["02:00.0", "03:00.0"])
        // A listed Zhaoxin port (0x0710) is isolated.
        var listed = fns
        listed[3] = Syn.fn("02:00.0", 0x1d17_0710, type: .downstreamPort, bus: (2, 3, 3))
        #expect(try run(listed).groupOf("03:00.0") == ["03:00.0"])
    }

    @Test func amdSouthbridgeNeedsIVRS() throws {
        let fns = [Syn.fn("00:00.0", 0x1022_1450, type: nil, classID: 0x0600),
                   Syn.fn("00:14.0", 0x1002_4385, type: nil, multifunction: true, classID: 0x0c05),
                   Syn.fn("00:14.1", 0x1002_439c, type: nil, multifunction: true, classID: 0x0101)]
        #expect(try run(fns).groupOf("00:14.0") == ["00:14.0", "00:14.1"])
        #expect(try run(fns, amd: true).groupOf("00:14.0") == ["00:14.0"])
        #expect(try run(fns).notes.contains { $0.text.contains("no AMD IVRS table") })
    }

    @Test func quirkOverridesRealACSAndTableOrderDecides() throws {
        // An Intel RCiEP pair without ACS: pci_quirk_rciep_acs isolates them (Intel only).
        let intel = [Syn.host, Syn.fn("00:03.0", 0x8086_5845, type: .rcIntegratedEndpoint, multifunction: true),
                     Syn.fn("00:03.1", 0x8086_5845, type: .rcIntegratedEndpoint, multifunction: true)]
        #expect(try run(intel).groupOf("00:03.0") == ["00:03.0"])
        // The same as a normal endpoint type: no quirk applies.
        let ep = [Syn.host, Syn.fn("00:03.0", 0x8086_5845, multifunction: true), Syn.fn("00:03.1", 0x8086_5845, multifunction: true)]
        #expect(try run(ep).groupOf("00:03.0") == ["00:03.0", "00:03.1"])
    }

    // MARK: ACS rules (pci_acs_enabled)

    @Test func unadvertisedControlsCountAsSatisfied() throws {
        // A downstream-type root port whose ACS advertises only RR|CR, both enabled: isolated.
        let rp = Syn.rootPort("00:01.0", secondary: 1, acs: Syn.ACS(cap: [.rr, .cr], ctl: [.rr, .cr]))
        #expect(try run([Syn.host, rp, Syn.fn("01:00.0", 0x10ec_8168)]).groupOf("01:00.0") == ["01:00.0"])
        // Advertises SV too but does not enable it: not isolated, and the missing bit is named.
        let rp2 = Syn.rootPort("00:01.0", secondary: 1, acs: Syn.ACS(cap: [.sv, .rr, .cr], ctl: [.rr, .cr]))
        let p = try run([Syn.host, rp2, Syn.fn("01:00.0", 0x10ec_8168)])
        #expect(p.groupOf("01:00.0") == ["00:01.0", "01:00.0"])
        #expect(why(p, "01:00.0") == "01:00.0 joins 00:01.0: root port 1b36:000c has ACS but does not enable SV")
    }

    @Test func neverIsolatedTypesAndRCEC() throws {
        let rcec = Syn.fn("00:07.0", 0x8086_0b23, type: .rcEventCollector, multifunction: true, acs: Syn.on)
        let peer = Syn.fn("00:07.1", 0x8086_0b24, type: .rcEventCollector, multifunction: true, acs: Syn.on)
        let p = try run([Syn.host, rcec, peer])
        // Intel RCECs: the RCiEP quirk does not cover them; the type is never isolated.
        #expect(p.groupOf("00:07.0") == ["00:07.0", "00:07.1"])
        let d = try #require(p.tree.index(of: PCIAddress("00:07.1")!))
        #expect(p.verdicts[d].phrase(for: p.devices[d]).contains("never isolated"))
    }

    @Test func kernelSVMaskingForIDTIn7x() throws {
        // IDT 0x80b5 downstream port, ACS SV|RR|CR|UF advertised, RR|CR|UF enabled (SV off, as a
        // 7.x kernel leaves it). 6.12 requires SV; 7.3 masked SV out of the cached capability.
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x111d_80b5, type: .upstreamPort, bus: (1, 2, 3)),
                   Syn.fn("02:02.0", 0x111d_80b5, type: .downstreamPort,
                          acs: Syn.ACS(cap: Syn.all, ctl: [.rr, .cr, .uf]), bus: (2, 3, 3)),
                   Syn.fn("03:00.0", 0x10ec_8168)]
        #expect(try run(fns, kernel: .v6_12).groupOf("03:00.0") == ["02:02.0", "03:00.0"])
        #expect(try run(fns, kernel: .v7_3).groupOf("03:00.0") == ["03:00.0"])
        // --assume-iommu on an all-off dump: 6.12 enables SV too; both isolate.
        var off = fns
        off[3] = Syn.fn("02:02.0", 0x111d_80b5, type: .downstreamPort, acs: Syn.off, bus: (2, 3, 3))
        #expect(try run(off, kernel: .v6_12, assumeIOMMU: true).groupOf("03:00.0") == ["03:00.0"])
        #expect(try run(off, kernel: .v7_3, assumeIOMMU: true).groupOf("03:00.0") == ["03:00.0"])
        #expect(try run(off, kernel: .v7_3).groupOf("03:00.0") == ["02:02.0", "03:00.0"])
    }

    // MARK: set_pcie_port_type corrections

    @Test func downstreamPortBelowRootPortIsRetypedUpstream() throws {
        // A switch whose upstream port claims "downstream port" (and has no ACS).
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 4),
                   Syn.fn("01:00.0", 0x10b5_8724, type: .downstreamPort, bus: (1, 2, 4)),
                   Syn.fn("02:00.0", 0x10b5_8724, type: .downstreamPort, acs: Syn.on, bus: (2, 3, 3)),
                   Syn.fn("02:01.0", 0x10b5_8724, type: .downstreamPort, acs: Syn.on, bus: (2, 4, 4)),
                   Syn.fn("03:00.0", 0x10ec_8168), Syn.fn("04:00.0", 0x10ec_8168)]
        let p = try run(fns)
        let usp = try #require(p.tree.index(of: PCIAddress("01:00.0")!))
        #expect(p.devices[usp].rawType == .downstreamPort)
        #expect(p.devices[usp].type == .upstreamPort)
        // Corrected: a single-function upstream port is isolated, so everything splits.
        #expect(p.groups.map { $0.members.count } == [1, 1, 1, 1, 1, 1, 1])
        // The downstream ports below it keep their type (the parent is now an upstream port).
        let dsp = try #require(p.tree.index(of: PCIAddress("02:00.0")!))
        #expect(p.devices[dsp].type == .downstreamPort)
    }

    @Test func upstreamPortBelowUpstreamPortIsRetypedDownstream() throws {
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x10b5_8724, type: .upstreamPort, bus: (1, 2, 3)),
                   Syn.fn("02:00.0", 0x10b5_8724, type: .upstreamPort, bus: (2, 3, 3)),
                   Syn.fn("03:00.0", 0x10ec_8168)]
        let p = try run(fns)
        let d = try #require(p.tree.index(of: PCIAddress("02:00.0")!))
        #expect(p.devices[d].type == .downstreamPort)
        // As a downstream port without ACS it now takes the endpoint below it.
        #expect(p.groupOf("03:00.0") == ["02:00.0", "03:00.0"])
        #expect(why(p, "03:00.0") == "03:00.0 joins 02:00.0: switch downstream port 10b5:8724 has no ACS capability (SV, RR, CR, UF not enforced) and no quirk")
    }

    // MARK: Conventional bridges (pci_for_each_dma_alias, pci_device_group)

    @Test func conventionalBridgesAliasEverythingBehindThem() throws {
        // Root port (ACS) -> PCI-to-PCI bridge without a PCIe capability -> two conventional devices
        // and a nested conventional bridge with one more device.
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x3388_0021, type: nil, bus: (1, 2, 3)),
                   Syn.fn("02:04.0", 0x10ec_8139, type: nil), Syn.fn("02:05.0", 0x1102_0002, type: nil),
                   Syn.fn("02:06.0", 0x3388_0021, type: nil, bus: (2, 3, 3)),
                   Syn.fn("03:01.0", 0x1106_3044, type: nil)]
        let p = try run(fns)
        #expect(p.groupOf("03:01.0") == ["01:00.0", "02:04.0", "02:05.0", "02:06.0", "03:01.0"])
        #expect(p.groupOf("00:01.0") == ["00:01.0"])
        // Nested: the alias walk stops at the first bridge that already has a group (02:06.0,
        // probed before the devices behind it), which is 01:00.0's group.
        #expect(why(p, "03:01.0") == "03:01.0 joins 02:06.0: behind conventional PCI bridge 02:06.0 (3388:0021), requester ID aliased to 02:06.0")
        #expect(why(p, "02:06.0") == "02:06.0 joins 01:00.0: behind conventional PCI bridge 01:00.0 (3388:0021), requester ID aliased to 01:00.0")
    }

    @Test func pcieBridgeAliasQuirkAndPCIToPCIeBridge() throws {
        // ASMedia ASM1083 (1b21:1080): no PCIe capability although it sits below a root port;
        // quirk_use_pcie_bridge_dma_alias makes it alias like a PCIe-to-PCI bridge (secondary 00.0).
        let fns = [Syn.host, Syn.rootPort("00:1c.0", secondary: 1, subordinate: 2),
                   Syn.fn("01:00.0", 0x1b21_1080, type: nil, bus: (1, 2, 2)),
                   Syn.fn("02:00.0", 0x13f6_8788, type: nil)]
        let p = try run(fns)
        let b = try #require(p.devices.first { $0.idString == "1b21:1080" })
        #expect(b.dma.pcieBridgeAlias)
        #expect(p.groupOf("02:00.0") == ["01:00.0", "02:00.0"])
        #expect(why(p, "02:00.0").contains("requester ID aliased to 02:00.0 (quirk_use_pcie_bridge_dma_alias"))
        // On a root bus the quirk does not apply.
        let root = [Syn.host, Syn.fn("00:1e.0", 0x1b21_1080, type: nil, bus: (0, 1, 1)), Syn.fn("01:00.0", 0x13f6_8788, type: nil)]
        #expect(try run(root).devices.first { $0.idString == "1b21:1080" }?.dma.pcieBridgeAlias == false)
        // A PCI-to-PCIe bridge (type 0x8) aliases to its own requester ID and is never isolated.
        let rev = [Syn.host, Syn.fn("00:1e.0", 0x12d8_e130, type: .pciToPCIeBridge, bus: (0, 1, 1)),
                   Syn.fn("01:00.0", 0x10ec_8168)]
        let r = try run(rev)
        #expect(r.groupOf("01:00.0") == ["00:1e.0", "01:00.0"])
        #expect(why(r, "01:00.0").contains("behind PCI-to-PCIe bridge 00:1e.0 (12d8:e130), requester ID aliased to 00:1e.0"))
    }

    @Test func aspeedNoAliasIn7xSameGroupOtherReason() throws {
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 2),
                   Syn.fn("01:00.0", 0x1a03_1150, type: .pcieToPCIBridge, bus: (1, 2, 2)),
                   Syn.fn("02:00.0", 0x1a03_2000, type: nil, classID: 0x0300)]
        let old = try run(fns, kernel: .v6_12)
        let new = try run(fns, kernel: .v7_3)
        #expect(old.partition == new.partition)
        #expect(old.groupOf("02:00.0") == ["01:00.0", "02:00.0"])
        #expect(why(old, "02:00.0").contains("requester ID aliased"))
        #expect(why(new, "02:00.0") == "02:00.0 joins 01:00.0: PCIe-to-PCI bridge 1a03:1150 is never isolated (ACS does not apply to it)")
    }

    // MARK: Probe order and numbers (pci_scan_child_bus_extend, ida_alloc)

    @Test func numbersFollowScanOrderAcrossRootBuses() throws {
        // Two root buses (0000:00 and 0000:80, e.g. pxb-pcie) and a bridge: bus 00's devices first,
        // then the bus behind 00:01.0, then root bus 80.
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1), Syn.fn("00:02.0", 0x8086_10d3),
                   Syn.fn("01:00.0", 0x8086_10d3),
                   Syn.fn("80:00.0", 0x1b36_000b, type: nil, classID: 0x0600), Syn.rootPort("80:01.0", secondary: 0x81),
                   Syn.fn("81:00.0", 0x8086_10d3)]
        let p = try run(fns)
        #expect(p.probeOrder.map { p.name($0) } == ["00:00.0", "00:01.0", "00:02.0", "01:00.0", "80:00.0", "80:01.0", "81:00.0"])
        #expect(p.numberByAddress[PCIAddress("01:00.0")!] == 3)
        #expect(p.numberByAddress[PCIAddress("81:00.0")!] == 6)
        #expect(p.numbersAreKernelNumbers)
    }

    @Test func busTreeNarrowestRangeAndCycles() throws {
        // Bus 3 lies in 00:01.0's range [1..5] and in 01:00.0's [3..4]: the narrower one owns it.
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 5),
                   Syn.fn("01:00.0", 0x10b5_8724, type: .upstreamPort, bus: (1, 3, 4)),
                   Syn.fn("03:00.0", 0x10ec_8168)]
        let t = BusTopology(functions: fns)
        #expect(t.parentBridge[t.index(of: PCIAddress("03:00.0")!)!] == t.index(of: PCIAddress("01:00.0")!))
        // Two bridges claiming each other's bus: the one numbered below its own bus is not a
        // parent (as lspci -t), reported, and nothing loops.
        let loop = [Syn.fn("05:00.0", 0x10b5_8724, type: .upstreamPort, bus: (5, 6, 6)),
                    Syn.fn("06:00.0", 0x10b5_8724, type: .upstreamPort, bus: (6, 5, 5))]
        let lt = BusTopology(functions: loop)
        #expect(lt.rootBuses.count == 1)
        #expect(lt.anomalies.contains { $0.contains("0000:06:00.0") && $0.contains("not above its own bus") })
        #expect(lt.scanOrder.count == 2)
        let p = try run(loop)
        #expect(p.groups.flatMap(\.members).count == 2)
    }
}
