import Foundation
import PCIConfig
import Pipeline
import Registry
import StaticACS
import Testing
import TestSupport
@testable import LinuxPCI

/// `pci_acs_flags_enabled` once, on the one ACS register value type (both layouts).
@Suite struct PCIACSFlagsEnabledTests {
    @Test func linuxFlagCheckMirrorsPciAcsFlagsEnabled() {
        // Capability without RR: RR counts as satisfied (drivers/pci/pci.c pci_acs_flags_enabled).
        let noRR = ACSCapability(offset: 0x100, rawCapability: ACSFlags([.sv, .cr, .uf]).rawValue,
                                 rawControl: ACSFlags([.sv, .cr, .uf]).rawValue)
        #expect(pciACSFlagsEnabled(noRR.registers, .linuxRequired))
        // Advertised but not enabled: missing.
        let off = ACSCapability(offset: 0x100, rawCapability: ACSFlags.linuxRequired.rawValue, rawControl: 0)
        #expect(!pciACSFlagsEnabled(off.registers, .linuxRequired))
        #expect(pciACSFlagsMissing(off.registers, .linuxRequired) == .linuxRequired)
        // EC always counts as advertised.
        let noEC = ACSCapability(offset: 0x100, rawCapability: 0, rawControl: 0)
        #expect(!pciACSFlagsEnabled(noEC.registers, .ec))
    }

    /// An Intel Sunrise Point root port: the one decoder gives the dword registers to the model
    /// (`pci_quirk_intel_spt_pch_acs` enables SV RR CR UF) and the standard reading lspci makes
    /// (Control read from +6, the upper half of the Capability dword: nothing enabled).
    @Test func sptDwordRegistersReachTheModelDecodedOnce() throws {
        let port = Syn.fn("00:1c.0", 0x8086_a110, type: .rootPort, multifunction: true,
                          acs: Syn.ACS(cap: .linuxRequired, ctl: .linuxRequired, dword: true), bus: (0, 1, 1))
        let view = KernelView(functions: [Syn.host, port], system: LinuxSystem())
        let dev = try #require(view.device(at: PCIAddress("00:1c.0")!))
        let acs = try #require(dev.acs)
        #expect(acs.intelSPTDword == ACSRegisters(capability: .linuxRequired, control: .linuxRequired))
        #expect(pciACSFlagsEnabled(acs.intelSPTDword, REQ_ACS_FLAGS))
        #expect(acs.standard.control == [])
        #expect(!pciACSFlagsEnabled(acs.standard, REQ_ACS_FLAGS))
        // The same registers as PCIConfig's decoder reads them (one decoder, one value type).
        #expect(port.config.acsRegisters(at: acs.offset, layout: .intelSPTDword)?.control == .linuxRequired)
        #expect(dev.acsStatus.capability?.registers.control == .linuxRequired)
    }

    /// `pci_enable_acs()`: with `--assume-iommu` the standard op enables the advertised SV RR CR UF on
    /// top of the value found; without it, Control stays as found.
    @Test func enableACSStartsFromTheValueFound() throws {
        let port = Syn.rootPort("00:01.0", secondary: 1, acs: Syn.ACS(cap: [.sv, .rr, .cr, .uf, .ec], ctl: [.ec]))
        let found = try #require(KernelView(functions: [Syn.host, port], system: LinuxSystem()).devices[1].acs)
        #expect(found.standard.control == [.ec] && !found.enabledByLinux)
        let enabled = try #require(KernelView(functions: [Syn.host, port], system: LinuxSystem(assumeIOMMU: true)).devices[1].acs)
        #expect(enabled.standard.control == [.sv, .rr, .cr, .uf, .ec] && enabled.enabledByLinux)
        #expect(pciACSEnableBits([.sv, .tb, .rr, .cr, .uf, .ec, .dt]) == .linuxRequired)
    }
}

/// The quirk walk's trace: the rows consulted, what made each pass, the decisive one; and what
/// `groups --explain` and `check` render from it.
@Suite struct QuirkTraceTests {
    /// A `new` Zhaoxin entry for the endpoint functions of 1d17:0800, consulted first, and Linux's
    /// row 131 (`pci_quirk_zhaoxin_pcie_ports_acs`, PCI_ANY_ID), on a Zhaoxin switch downstream
    /// port 1d17:0800: the entry passes (port type), row 131 answers 0 for an ID it does not list.
    @Test func zhaoxinStickyNegativeDecisiveRowAndPasses() throws {
        let endpointsOnly = QuirkEntry(
            vendor: 0x1d17, vendorName: "Zhaoxin", family: "endpoints", devices: [.id(0x0800)],
            appliesTo: AppliesTo(portType: .endpoint),
            isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
            kernel: KernelStatus(status: .new))
        let table = try KernelTable.table().consultingFirst([endpointsOnly])
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x1d17_0801, type: .upstreamPort, bus: (1, 2, 3)),
                   Syn.fn("02:00.0", 0x1d17_0800, type: .downstreamPort, acs: Syn.on, bus: (2, 3, 3)),
                   Syn.fn("03:00.0", 0x8086_1533)]
        let view = KernelView(functions: fns, system: LinuxSystem())
        let port = try #require(view.device(at: PCIAddress("02:00.0")!))
        let trace = table.trace(port, REQ_ACS_FLAGS, view.system)
        // Rows 104-106 (Zhaoxin multifunction IDs) do not match 0x0800 and are not consulted.
        #expect(trace.steps.map(\.row.row) == [nil, 131])
        #expect(trace.steps[0].entry == endpointsOnly)
        #expect(trace.steps[0].answer == QuirkAnswer(answer: .pass, reason: .conditionNotMet(.portType)))
        #expect(trace.steps[1].entry.kernel.function == "pci_quirk_zhaoxin_pcie_ports_acs")
        #expect(trace.steps[1].answer == QuirkAnswer(answer: .notIsolated, reason: .notListed))
        let decision = try #require(trace.decision)
        #expect(decision.row.row == 131 && decision.answer == .notIsolated && decision.reason == .notListed)
        // The walk without a trace decides the same.
        #expect(table.pciDevSpecificACSEnabled(port, REQ_ACS_FLAGS, view.system) == decision)
        // groups --explain renders the decisive step's reason: the sticky 0, despite real ACS.
        let p = GroupPredictor.predict(view, quirks: table)
        let verdict = p.verdicts[port.index]
        #expect(!verdict.isolated)
        #expect(p.quirkTrace(port.index) == trace && verdict.reason == .quirk(decision))
        #expect(verdict.phrase(for: port) == "switch downstream port 1d17:0800: kernel quirk pci_quirk_zhaoxin_pcie_ports_acs "
            + "(table row 131) answers \"not isolated\" (the function answers 0 for every Zhaoxin ID it does not list, "
            + "even with a real ACS capability)")
        #expect(p.groupOf("03:00.0") == ["02:00.0", "03:00.0"])
        // A listed port: row 131 is decisive and isolated (reason: the claim reports SV RR CR UF).
        var listed = fns
        listed[3] = Syn.fn("02:00.0", 0x1d17_0710, type: .downstreamPort, bus: (2, 3, 3))
        let lv = KernelView(functions: listed, system: LinuxSystem())
        let lt = try KernelTable.table().trace(lv.devices[3], REQ_ACS_FLAGS, lv.system)
        #expect(lt.steps.count == 1 && lt.decision?.answer == .isolated && lt.decision?.reason == .acsCtrlEnabled(missing: []))
    }

    /// Every row passes: no decision, and the steps say which condition made each pass.
    @Test func everyRowPassesWithItsCondition() throws {
        let view = KernelView(functions: [Syn.host, Syn.fn("00:02.0", 0x1d17_0800, type: .endpoint)], system: LinuxSystem())
        let trace = try KernelTable.table().trace(view.devices[1], REQ_ACS_FLAGS, view.system)
        #expect(trace.decision == nil)
        #expect(trace.steps.map(\.row.row) == [131])
        #expect(trace.steps.map(\.answer.reason) == [.conditionNotMet(.portType)])
    }
}

/// One multifunction rule (`pciMultifunction`, with ARI): the predictor, `check`, `new` and the
/// static table's notes all see the same flag for an ARI function 8.
@Suite struct ARIMultifunctionTests {
    static let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, ari: true),
                      Syn.fn("01:00.0", 0x8086_10d3, multifunction: true),
                      Syn.fn("01:01.0", 0x8086_10d3, multifunction: false)]
    static let f8 = PCIAddress("01:01.0")!

    @Test func everyConsumerSeesARIFunction8AsMultifunction() throws {
        let view = KernelView(functions: Self.fns, system: LinuxSystem())
        let dev = try #require(view.device(at: Self.f8))
        #expect(dev.multifunction && dev.multifunctionReason == "ARI function 8 (fn > 0)")

        // check: an entry that requires multifunction holds for it.
        let loaded = Registry.load(yaml: SampleEntries.intel82574L, path: "quirks/intel/82574l.yaml")
        let entry = try #require(loaded.entry)
        let report = RegistryCheck.run(functions: Self.fns, entries: [entry], source: "ari")
        let c = try #require(report.checks.first { $0.bdf == "0000:01:01.0" })
        let mf = try #require(c.conditions.first { $0.name == .multifunction })
        #expect(mf.state == .holds && mf.actual == "true (ARI function 8 (fn > 0))")
        #expect(!report.findings.contains { $0.rule == CheckRule.multifunction.rawValue })

        // new: the scaffold claims multifunction and records the same reason.
        let s = try EntryScaffolder.scaffold(device: Self.f8, functions: Self.fns, names: .none, root: "quirks",
                                             sourceLabel: "ari")
        #expect(s.entry.appliesTo.multifunction == true)
        #expect(s.yaml.contains("(multifunction: ARI function 8 (fn > 0))"))

        // A static table on it: Linux looks at its ACS (no "single-function" note) when the
        // function is seen in its bus; viewed alone it would look like function 0 of a device.
        let f = try #require(Self.fns.first { $0.address == Self.f8 })
        let inBus = try StaticACSTable.place(try ACSTableRequest(), in: f, linux: dev)
        #expect(!inBus.warnings.contains { $0.contains("single-function") })
        let alone = try StaticACSTable.place(try ACSTableRequest(), in: f)
        #expect(alone.warnings.contains { $0.contains("single-function") })
    }
}

/// `--kernel`: one type, validated in one place, built from the table of differences.
@Suite struct KernelProfileArgumentTests {
    @Test func argumentsAreTheKnownProfiles() {
        #expect(KernelProfile.allValueStrings == ["6.1", "6.12", "7.3"])
        #expect(KernelProfile(argument: "6.12") == .v6_12)
        for bad in ["6.5", "v6.12", "6.12.0", "", "7"] { #expect(KernelProfile(argument: bad) == nil) }
    }

    @Test func differencesApplyByRelease() {
        #expect(KernelProfile.v7_3.masksIDTSourceValidation && KernelProfile.v7_3.honoursBridgeNoAlias)
        #expect(!KernelProfile.v6_12.masksIDTSourceValidation && !KernelProfile.v6_12.honoursBridgeNoAlias)
        #expect(!KernelProfile.v6_1.has(.idtBrokenACSSourceValidation))
        // The table is the only source: 7.3 has every difference it lists, 6.12 and 6.1 none.
        #expect(KernelDifference.all.filter(KernelProfile.v7_3.has) == KernelDifference.all)
        #expect(KernelDifference.all.filter(KernelProfile.v6_12.has).isEmpty)
        let fixed = KernelDifference(id: "x", function: "f", since: KernelVersion(5, 9), until: KernelVersion(5, 9, 9),
                                     source: "test", summary: "a regression fixed in 5.9.9")
        #expect(fixed.applies(to: KernelVersion(5, 9, 3)) && !fixed.applies(to: KernelVersion(5, 9, 9))
            && !fixed.applies(to: KernelVersion(5, 8)))
        #expect(KernelVersion("5.9.3") == KernelVersion(5, 9, 3) && KernelVersion("v6.12") == KernelVersion(6, 12))
        #expect(KernelVersion("6.12.x") == nil)
        // A 7.0 kernel is a 7.x kernel.
        #expect(KernelProfile.closest(toRelease: "7.0.1-amd64") == .v7_3)
    }
}
