import Diagnostics
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
        let dword = try #require(acs.intelSPTDword)
        #expect(dword == ACSRegisters(capability: .linuxRequired, control: .linuxRequired))
        #expect(pciACSFlagsEnabled(dword, REQ_ACS_FLAGS))
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

/// The one ACS decoder (`ConfigSpace.acsRegisters(at:layout:)` behind `ConfigSpace.acs`) as the
/// model reads it: registers the input does not hold are never invented, neither the standard
/// ones past the end of config space nor the Intel SPT dwords past the readable bytes.
@Suite struct OneACSDecoderTests {
    /// A QEMU-like root port 00:01.0 (bus 1 below it) whose extended list is AER at 0x100, then
    /// an ACS header at `offset` (registers left to the test).
    static func port(acsAt offset: Int, id: UInt32 = 0x1b36_000c) -> PCIFunction {
        var f = Syn.rootPort("00:01.0", secondary: 1, id: id, acs: nil)
        f.config.set32(PCI_CFG_SPACE_SIZE, UInt32(PCI_EXT_CAP_ID_ERR) | 1 << 16 | UInt32(offset) << 20)
        f.config.set32(offset, UInt32(PCI_EXT_CAP_ID_ACS) | 1 << 16)
        return f
    }

    static let endpoint = Syn.fn("01:00.0", 0x8086_1533)

    /// An ACS header at 0xffc (issue #15 item 4): Linux's view has no ACS registers, the root port
    /// fails `pci_acs_enabled()` with the reason named, its endpoint shares its group, and
    /// `--assume-iommu` enables nothing on registers that are not there.
    @Test func registersPastTheEndOfConfigSpaceAreNoACSForLinux() throws {
        let fns = [Syn.host, Self.port(acsAt: 0xffc), Self.endpoint]
        for assumeIOMMU in [false, true] {
            let p = GroupPredictor.predict(fns, quirks: QuirkTable(entries: []), system: LinuxSystem(assumeIOMMU: assumeIOMMU))
            let rp = try #require(p.view.device(at: PCIAddress("00:01.0")!))
            #expect(rp.acsStatus == .unknown(.registersPastEndOfConfigSpace(offset: 0xffc)))
            #expect(rp.acs == nil)
            let verdict = p.verdicts[rp.index]
            #expect(!verdict.isolated && verdict.missing == REQ_ACS_FLAGS)
            #expect(verdict.reason == .noACSCapability(unknown: .registersPastEndOfConfigSpace(offset: 0xffc)))
            #expect(verdict.phrase(for: rp) == "root port 1b36:000c: ACS unknown (ACS capability at 0xffc has its registers "
                + "past the end of config space (0x1000), treated as absent; SV, RR, CR, UF not enforced) and no quirk for 1b36:000c")
            #expect(p.groupOf("01:00.0") == ["00:01.0", "01:00.0"])
        }
        // An entry that requires an ACS capability: the condition cannot be shown, and is not met.
        let entry = QuirkEntry(vendor: 0x1b36, vendorName: "Red Hat", family: "root ports", devices: [.id(0x000c)],
                               appliesTo: AppliesTo(portType: .rootPort, requires: [.acsCapability]),
                               isolation: Isolation(kind: .acsErratum, acsEquivalent: .linuxRequired),
                               kernel: KernelStatus(status: .new))
        let view = KernelView(functions: fns, system: LinuxSystem())
        let rp = try #require(view.device(at: PCIAddress("00:01.0")!))
        let acsCondition = try #require(entry.conditions(for: rp, system: view.system).first { $0.name == .acsCapability })
        #expect(acsCondition.state == .assumed)
        #expect(entry.pciQuirkACSEnabled(rp, REQ_ACS_FLAGS, view.system) == QuirkAnswer(answer: .pass, reason: .conditionNotMet(.acsCapability)))
    }

    /// ACS at 0xff8 on a port without the erratum: the standard registers end at 0x1000 and are
    /// decoded; the SPT dwords would end at 0x1004, so the model has none. A what-if `acs-erratum`
    /// entry reading dwords answers "not isolated" for want of registers, where invented zeros
    /// would have read as "every advertised control enabled".
    @Test func sptDwordsPastTheEndAreNotInvented() throws {
        var port = Self.port(acsAt: 0xff8)
        port.config.set16(0xff8 + PCI_ACS_CAP, ACSFlags.linuxRequired.rawValue)
        port.config.set16(0xff8 + PCI_ACS_CTRL, ACSFlags.linuxRequired.rawValue)
        let view = KernelView(functions: [Syn.host, port, Self.endpoint], system: LinuxSystem(assumeIOMMU: true))
        let rp = try #require(view.device(at: PCIAddress("00:01.0")!))
        let acs = try #require(rp.acs)
        #expect(acs.offset == 0xff8 && acs.standard == ACSRegisters(capability: .linuxRequired, control: .linuxRequired))
        #expect(acs.intelSPTDword == nil && acs.registers(.intelSPTDword) == nil)
        #expect(port.config.acsRegisters(at: 0xff8, layout: .intelSPTDword) == nil)

        func erratum(_ layout: ACSRegisterLayout) -> QuirkEntry {
            QuirkEntry(vendor: 0x1b36, vendorName: "Red Hat", family: "root ports \(layout)", devices: [.id(0x000c)],
                       appliesTo: AppliesTo(portType: .rootPort, requires: [.acsCapability], registerLayout: layout),
                       isolation: Isolation(kind: .acsErratum, acsEquivalent: .linuxRequired), kernel: KernelStatus(status: .new))
        }
        #expect(erratum(.intelSPTDword).pciQuirkACSEnabled(rp, REQ_ACS_FLAGS, view.system)
            == QuirkAnswer(answer: .notIsolated, reason: .acsRegisters(layout: .intelSPTDword, missing: nil)))
        #expect(erratum(.standard).pciQuirkACSEnabled(rp, REQ_ACS_FLAGS, view.system)
            == QuirkAnswer(answer: .isolated, reason: .acsRegisters(layout: .standard, missing: [])))
    }

    /// `pci_enable_acs()` on an Intel SPT root port: the device-specific op
    /// (`pci_quirk_enable_intel_spt_pch_acs`) sets SV RR CR UF in the Control dword at +8 and
    /// leaves the standard Control word at +6 (the upper half of the Capability dword) alone;
    /// `pci_std_enable_acs` does not run for it.
    @Test func sptEnableOpWritesTheDwordOnly() throws {
        let port = Syn.fn("00:1c.0", 0x8086_a110, type: .rootPort, acs: Syn.ACS(cap: Syn.all, ctl: [], dword: true),
                          bus: (0, 1, 1))
        let fns = [Syn.host, port, Syn.fn("01:00.0", 0x8086_1533)]
        let found = try #require(KernelView(functions: fns, system: LinuxSystem()).device(at: port.address)?.acs)
        let enabled = try #require(KernelView(functions: fns, system: LinuxSystem(assumeIOMMU: true)).device(at: port.address)?.acs)
        #expect(found.intelSPTDword?.control == [] && !found.enabledByLinux)
        #expect(enabled.intelSPTDword?.control == .linuxRequired && enabled.enabledByLinux)
        #expect(enabled.intelSPTDword?.capability == Syn.all)
        #expect(enabled.standard == found.standard && enabled.standard.control == [])
        // The kernel's own SPT row (pci_quirk_intel_spt_pch_acs) then answers from the dword.
        let p = GroupPredictor.predict(fns, quirks: try KernelTable.table(), system: LinuxSystem(assumeIOMMU: true))
        guard case let .quirk(decision) = p.verdicts[1].reason else {
            Issue.record("no quirk decided for the SPT port: \(p.verdicts[1].reason)")
            return
        }
        #expect(decision.entry.kernel.function == "pci_quirk_intel_spt_pch_acs")
        #expect(decision.answer == .isolated && decision.reason == .acsRegisters(layout: .intelSPTDword, missing: []))
        #expect(p.groupOf("01:00.0") == ["01:00.0"])
    }
}

/// `StaticACSTable`'s notes come from `pci_acs_enabled()` on the function with the table in
/// place: single-function endpoints, ports that do not advertise a requested control, bridges.
@Suite struct StaticTableNotesTests {
    @Test func notesFollowPCIACSEnabled() throws {
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 2, acs: nil),
                   Syn.fn("01:00.0", 0x1b36_000e, type: .pcieToPCIBridge, bus: (1, 2, 2)),
                   Syn.fn("00:02.0", 0x8086_1533), Syn.fn("00:03.0", 0x8086_10d3, multifunction: true),
                   Syn.fn("00:03.1", 0x8086_10d3)]
        let view = KernelView(functions: fns, system: LinuxSystem())
        func notes(_ bdf: String, _ request: ACSTableRequest) throws -> [String] {
            let a = try #require(PCIAddress(bdf))
            let f = try #require(fns.first { $0.address == a })
            let found = try StaticACSTable.place(request, in: f, linux: view.device(at: a)).warnings
            // Each note is at the function the table is for.
            #expect(found.allSatisfy { $0.severity == .note && $0.bdf == a.description && $0.path == nil })
            return found.map(\.message)
        }
        let noRR = try ACSTableRequest(capability: [.sv, .cr, .uf], control: [.sv, .cr, .uf])
        #expect(try notes("00:01.0", noRR) == ["0000:00:01.0 is a root-port: not advertising RR tells Linux the port "
            + "behaves as if they were enabled; only ship that if the port really never forwards peer-to-peer"])
        #expect(try notes("00:01.0", try ACSTableRequest(capability: Syn.all, control: .linuxRequired)).isEmpty)
        #expect(try notes("01:00.0", noRR) == ["0000:01:00.0 is a pcie-to-pci-bridge: Linux never considers such a function "
            + "isolated, whatever its ACS capability says"])
        #expect(try notes("00:02.0", noRR) == ["0000:00:02.0 is a single-function endpoint: Linux's pci_acs_enabled() does not "
            + "look at ACS for it (it is isolated by definition), so this table changes no IOMMU group"])
        #expect(try notes("00:03.0", noRR).isEmpty)
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

    /// `check` renders the same walk: for a `new` entry on the Zhaoxin port, the kernel row that
    /// answers today is the trace's decisive row, and the entry's conditions are the ones the walk
    /// tested (one evaluator: `QuirkEntry.test`).
    @Test func checkRendersTheDecisiveRow() throws {
        let fns = [Syn.host, Syn.rootPort("00:01.0", secondary: 1, subordinate: 3),
                   Syn.fn("01:00.0", 0x1d17_0801, type: .upstreamPort, bus: (1, 2, 3)),
                   Syn.fn("02:00.0", 0x1d17_0800, type: .downstreamPort, acs: Syn.on, bus: (2, 3, 3)),
                   Syn.fn("03:00.0", 0x8086_1533)]
        let ports = QuirkEntry(
            vendor: 0x1d17, vendorName: "Zhaoxin", family: "ports 0800", devices: [.id(0x0800)],
            appliesTo: AppliesTo(portType: .rootOrDownstreamPort),
            isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), kernel: KernelStatus(status: .new))
        let kernel = try KernelTable.entries().map { LoadedEntry(entry: $0, path: "quirks/\($0.family).yaml") }
        let report = RegistryCheck.run(functions: fns, entries: [LoadedEntry(entry: ports, path: "zhaoxin-0800.yaml")],
                                       context: kernel, source: "synthetic")
        let c = try #require(report.checks.first { $0.bdf == "0000:02:00.0" })

        let view = KernelView(functions: fns, system: LinuxSystem())
        let port = try #require(view.device(at: PCIAddress("02:00.0")!))
        let trace = try KernelTable.table().trace(port, REQ_ACS_FLAGS, view.system)
        let d = try #require(trace.decision)
        let fn = try #require(d.entry.kernel.function)
        #expect(c.kernel == "today row \(try #require(d.row.row)) (\(fn), \(d.entry.vendorName) \(d.entry.family)) answers not-isolated")
        #expect(c.conditions == ports.conditions(for: port, system: view.system))
        #expect(c.conditions.map(\.state) == [.holds])
        #expect(c.answer?.hasPrefix("isolated") == true)
        #expect(report.findings.contains { $0.rule == CheckRule.alreadyAnswered.rawValue && $0.bdf == "0000:02:00.0" })
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
        #expect(!inBus.warnings.contains { $0.rule == StaticACSNote.singleFunction.rawValue })
        let alone = try StaticACSTable.place(try ACSTableRequest(), in: f)
        #expect(alone.warnings.contains { $0.rule == StaticACSNote.singleFunction.rawValue && $0.message.contains("single-function") })
    }
}

extension ARIMultifunctionTests {
    /// The same function without ARI Forwarding Enable on the root port: 01:01.0 is function 0 of
    /// device 1 with header type bit 7 clear, single-function for the predictor and for `check`.
    @Test func withoutARIForwardingDevice1IsSingleFunction() throws {
        var fns = Self.fns
        fns[1] = Syn.rootPort("00:01.0", secondary: 1, ari: false)
        let view = KernelView(functions: fns, system: LinuxSystem())
        let dev = try #require(view.device(at: Self.f8))
        #expect(!dev.multifunction && dev.multifunctionReason == "single function (header type bit 7 clear)")
        #expect(pciMultifunction(Self.f8, headerType: fns[3].config.headerType, ariForwarding: true).multifunction)
        #expect(!pciMultifunction(Self.f8, headerType: fns[3].config.headerType, ariForwarding: true, isVirtfn: true).multifunction)

        let entry = try #require(Registry.load(yaml: SampleEntries.intel82574L, path: "quirks/intel/82574l.yaml").entry)
        let report = RegistryCheck.run(functions: fns, entries: [entry], source: "no-ari")
        let c = try #require(report.checks.first { $0.bdf == "0000:01:01.0" })
        let mf = try #require(c.conditions.first { $0.name == .multifunction })
        #expect(mf.state == .fails && mf.actual == "false (single function (header type bit 7 clear))")
        #expect(report.findings.contains { $0.rule == CheckRule.multifunction.rawValue && $0.bdf == "0000:01:01.0" })
    }
}

/// `--kernel`: one type, validated in one place, built from the table of differences.
@Suite struct KernelProfileArgumentTests {
    @Test func argumentsAreTheKnownProfiles() {
        #expect(KernelProfile.allValueStrings.count == 40)
        #expect(KernelProfile(argument: "6.12") == .v6_12)
        #expect(KernelProfile(argument: "6.12.0") == KernelProfile(KernelVersion(6, 12, 0)))
        for bad in ["5.3", "7.4", "", "7", "6.12.x"] { #expect(KernelProfile(argument: bad) == nil) }
    }

    @Test func differencesApplyByRelease() {
        #expect(KernelProfile.v7_3.masksIDTSourceValidation && KernelProfile.v7_3.honoursBridgeNoAlias)
        #expect(!KernelProfile.v6_12.masksIDTSourceValidation && !KernelProfile.v6_12.honoursBridgeNoAlias)
        #expect(!KernelProfile.v6_1.has(.idtBrokenACSSourceValidation))
        // The table is the only source: 7.3 has every difference that is not a fixed regression.
        #expect(KernelDifference.all.filter(KernelProfile.v7_3.has) == KernelDifference.all.filter { $0.until == nil })
        #expect(KernelDifference.all.filter(KernelProfile.v6_12.has).allSatisfy { $0.since <= KernelVersion(6, 12) })
        let fixed = KernelDifference(id: "x", function: "f", since: KernelVersion(5, 9), until: KernelVersion(5, 9, 9),
                                     source: "test", summary: "a regression fixed in 5.9.9")
        #expect(fixed.applies(to: KernelVersion(5, 9, 3)) && !fixed.applies(to: KernelVersion(5, 9, 9))
            && !fixed.applies(to: KernelVersion(5, 8)))
        #expect(KernelVersion("5.9.3") == KernelVersion(5, 9, 3) && KernelVersion("v6.12") == KernelVersion(6, 12))
        #expect(KernelVersion("6.12.x") == nil)
        // A 7.0 kernel is a 7.x kernel.
        #expect(KernelProfile.closest(toRelease: "7.0.1-amd64")?.masksIDTSourceValidation == true)
    }
}
