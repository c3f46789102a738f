import Foundation
@testable import KernelOutput
import PCIConfig
import Registry
import Testing
import TestSupport

/// What code each kind of entry becomes against the 6.12 table, and where it goes.
struct PlanTests {
    static func model() throws -> (QuirksSource, QuirkTableModel) {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let source = try QuirksSource(text: text, macros: macros)
        return (source, QuirkTableModel(source: source))
    }

    @Test func eachEntryBecomesTheRightCode() throws {
        let (_, model) = try Self.model()
        func kind(_ e: LoadedEntry) throws -> CodePlan.Kind? { try CodePlanner.plan(e, model: model)?.kind }
        #expect(try kind(TestRegistry.exampleNIC) == .rows(function: "pci_quirk_mf_endpoint_acs"))
        #expect(try kind(TestRegistry.intelNIC) == .rows(function: "pci_quirk_mf_endpoint_acs"))
        #expect(try kind(TestRegistry.exampleXS200) == .newFunction(name: "pci_quirk_example_xs200_acs", switchStyle: false))
        #expect(try kind(TestRegistry.wangxun25G) == .newFunction(name: "pci_quirk_wangxun_25gbe_acs", switchStyle: false))
        #expect(try kind(TestRegistry.synopsysRP) == .newFunction(name: "pci_quirk_synopsys_testonly_acs", switchStyle: false))
        #expect(try kind(TestRegistry.exampleSwitch) == .newFunction(name: "pci_quirk_example_es8_acs", switchStyle: true))
        #expect(try kind(TestRegistry.wangxunNIC) == .extendList(function: "pci_quirk_wangxun_nic_acs"))
        #expect(try kind(TestRegistry.zhaoxinPorts) == .extendList(function: "pci_quirk_zhaoxin_pcie_ports_acs"))
        #expect(try kind(TestRegistry.intelPCH) == .extendList(function: "pci_quirk_intel_pch_acs"))
        #expect(try kind(TestRegistry.coveredI219) == nil)

        // The macro when pci_ids.h has one, the literal otherwise (with a note saying so).
        let nic = try #require(try CodePlanner.plan(TestRegistry.exampleNIC, model: model))
        #expect(nic.vendor == .literal(0x1f2a))
        #expect(nic.notes.contains { $0.message.contains("no PCI_VENDOR_ID_* macro") && $0.message.contains("0x19a2") && $0.rule == "vendor-macro" })
        #expect(try CodePlanner.plan(TestRegistry.synopsysRP, model: model)?.vendor == .macro("PCI_VENDOR_ID_SYNOPSYS"))
        #expect(try CodePlanner.plan(TestRegistry.intelNIC, model: model)?.vendor == .macro("PCI_VENDOR_ID_INTEL"))
    }

    /// `QuirkShape.claimsExactly`, the one rule for reusing a function (and for import-kernel's
    /// merge): a looser port-type check is the same claim for the entry's devices; a looser
    /// multifunction check only for a multifunction endpoint claim; never a looser class check,
    /// other controls or other platform conditions.
    @Test func reuseRuleClaimsExactly() throws {
        let qcom = QuirkShape(acsEquivalent: .linuxRequired)                         // pci_quirk_qcom_rp_acs
        let zhaoxin = QuirkShape(portType: .rootOrDownstreamPort, acsEquivalent: .linuxRequired)
        let rootPort = QuirkShape(portType: .rootPort, acsEquivalent: .linuxRequired)  // what `new` writes
        #expect(qcom.claimsExactly(rootPort) && zhaoxin.claimsExactly(rootPort) && rootPort.claimsExactly(rootPort))
        #expect(!rootPort.claimsExactly(qcom) && !rootPort.claimsExactly(zhaoxin))
        #expect(!qcom.claimsExactly(QuirkShape(portType: .rootPort, acsEquivalent: [.sv, .rr, .cr, .uf, .tb])))
        #expect(!qcom.claimsExactly(QuirkShape(portType: .rootPort, requires: [.rootBus], acsEquivalent: .linuxRequired)))
        let mf = QuirkShape.multifunctionEndpoint
        #expect(mf.claimsExactly(QuirkShape(portType: .endpoint, multifunction: true, acsEquivalent: .multifunctionEndpointQuirk)))
        #expect(!mf.claimsExactly(QuirkShape(portType: .endpoint, multifunction: false, acsEquivalent: .multifunctionEndpointQuirk)))
        #expect(!mf.claimsExactly(QuirkShape(portType: .rootPort, multifunction: true, acsEquivalent: .multifunctionEndpointQuirk)))
        #expect(!mf.claimsExactly(QuirkShape(portType: .endpoint, classID: 0x0200, acsEquivalent: .multifunctionEndpointQuirk)))
        // The planner: a Qualcomm root port as `new` writes it gets a row for pci_quirk_qcom_rp_acs.
        let (_, model) = try Self.model()
        var qualcomm = TestRegistry.synopsysRP
        qualcomm.entry.vendor = 0x17cb
        qualcomm.entry.vendorName = "Qualcomm"
        qualcomm.entry.family = "SC8280XP root port"
        #expect(try CodePlanner.plan(qualcomm, model: model)?.kind == .rows(function: "pci_quirk_qcom_rp_acs"))
        // A downstream-port entry of that vendor: pci_quirk_qcom_rp_acs checks no port type, so it
        // claims the same for that device too.
        qualcomm.entry.appliesTo.portType = .downstreamPort
        #expect(try CodePlanner.plan(qualcomm, model: model)?.kind == .rows(function: "pci_quirk_qcom_rp_acs"))
        // An endpoint claim of that vendor is another kind of claim: not the root-port function.
        qualcomm.entry.appliesTo.portType = .endpoint
        qualcomm.entry.isolation.kind = .noPeerToPeer
        #expect(try CodePlanner.plan(qualcomm, model: model)?.kind == .newFunction(name: "pci_quirk_qcom_sc8280xp_acs",
                                                                                   switchStyle: false))
    }

    /// A new Cavium root port goes into the ThunderX list of pci_quirk_cavium_acs_match(), which
    /// the vendor-wide Cavium row already calls; downstream ports (not accepted there) get a new function.
    @Test func listsOfVendorWideFunctionsAreExtended() throws {
        let (source, model) = try Self.model()
        var cavium = TestRegistry.synopsysRP
        cavium.entry.vendor = 0x177d
        cavium.entry.vendorName = "Cavium"
        cavium.entry.family = "TEST-ONLY ThunderX9"
        cavium.entry.devices = [.id(0xc884)]
        let plan = try #require(try CodePlanner.plan(cavium, model: model))
        #expect(plan.kind == .extendList(function: "pci_quirk_cavium_acs"))
        let edit = try QuirksEditor.apply(plan, to: source, renderer: CodeRenderer(templates: try KernelTrees.templates()))
        let added = UnifiedDiff(old: source.lines, new: edit.source.lines).hunks
        #expect(added.count == 1)
        #expect(added.first?.function == "static bool pci_quirk_cavium_acs_match(struct pci_dev *dev)")
        #expect(added.first?.lines.filter { $0.hasPrefix("+") } == ["+\t/* Cavium TEST-ONLY ThunderX9 */", "+\tcase 0xc884:"])
        cavium.entry.appliesTo.portType = .rootOrDownstreamPort
        #expect(try CodePlanner.plan(cavium, model: model)?.kind
            == .newFunction(name: "pci_quirk_cavium_thunderx9_acs", switchStyle: false))
    }

    /// The code never claims more (or less) than the entry. Before: every no-peer-to-peer entry
    /// became rows calling pci_quirk_mf_endpoint_acs (SV|TB|RR|CR|UF|DT for any type), and vendor
    /// lists were extended whatever the entry's conditions and controls.
    @Test func codeClaimsExactlyWhatTheEntrySays() throws {
        let (source, model) = try Self.model()
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        func plan(_ e: LoadedEntry) throws -> CodePlan { try #require(try CodePlanner.plan(e, model: model)) }
        func new(_ e: LoadedEntry) throws -> String {
            guard case let .newFunction(name, _) = try plan(e).kind else { Issue.record("\(e.path): \(try plan(e).kind)"); return "" }
            return name
        }
        // The audit's entry: root ports, "no-peer-to-peer", SV only (lint refuses it in the CLI;
        // with a reason, the patch says that it changes no group).
        var repro = TestRegistry.synopsysRP
        repro.entry.family = "TEST-ONLY RP2"
        repro.entry.isolation = Isolation(kind: .noPeerToPeer, acsEquivalent: [.sv],
                                          incompleteReason: "The vendor confirmed source validation only.")
        let name = try new(repro)
        let edit = try QuirksEditor.apply(try plan(repro), to: source, renderer: renderer)
        let fn = renderer.function(try plan(repro)).joined(separator: "\n")
        #expect(fn.contains("pci_pcie_type(dev) != PCI_EXP_TYPE_ROOT_PORT"))
        #expect(fn.contains("return pci_acs_ctrl_enabled(acs_flags,\n\t\tPCI_ACS_SV);"))
        let after = QuirkTableModel(source: try QuirksSource(text: edit.text, macros: source.macros))
        #expect(after.profiles[name]?.shape == QuirkShape(portType: .rootPort, acsEquivalent: [.sv]))
        #expect(!edit.text.contains("0x7ff0, pci_quirk_mf_endpoint_acs"))
        // The commit message says what the code does (SV only) and that it changes no group.
        let message = renderer.commitMessage(try plan(repro), from: Identity("A B <a@b.example>")!).body.joined(separator: " ")
        #expect(message.contains("reports SV as enabled") && message.contains("This changes no IOMMU group")
                && message.contains("source validation only") && !message.contains("TB") && !message.contains("can be in"))

        // No conditions but fewer controls than pci_quirk_mf_endpoint_acs reports: own function.
        var fewer = TestRegistry.exampleNIC
        fewer.entry.isolation.acsEquivalent = .linuxRequired
        _ = try new(fewer)
        // The mf controls but a class or single-function condition: own function with the checks.
        for change in [{ (e: inout QuirkEntry) in e.appliesTo.classID = 0x0200 }, { $0.appliesTo.multifunction = false }] {
            var e = TestRegistry.exampleNIC
            change(&e.entry)
            let p = try plan(e)
            let text = renderer.function(p).joined(separator: "\n")
            #expect(text.contains("dev->multifunction") || text.contains("dev->class >> 8"), "\(text)")
            let edited = try QuirksEditor.apply(p, to: source, renderer: renderer)
            let read = QuirkTableModel(source: try QuirksSource(text: edited.text, macros: source.macros)).profiles[p.kind.function]
            #expect(read?.shape == QuirkShape(e.entry), "\(read.map { "\($0.shape)" } ?? "nil")")
        }
        // Endpoint and any-type entries with exactly those controls use the mf rows, with
        // multifunction true or unset (QuirkShape.claimsExactly: the same groups).
        var endpoint = TestRegistry.exampleNIC
        endpoint.entry.appliesTo.portType = .endpoint
        #expect(try plan(endpoint).kind == .rows(function: "pci_quirk_mf_endpoint_acs"))
        endpoint.entry.appliesTo.multifunction = true
        let mfPlan = try plan(endpoint)
        #expect(mfPlan.kind == .rows(function: "pci_quirk_mf_endpoint_acs"))
        #expect(try QuirksEditor.apply(mfPlan, to: source, renderer: renderer).text.contains("pci_quirk_mf_endpoint_acs"))
        // kernel.function naming a function that says something else is refused.
        var forced = TestRegistry.exampleNIC
        forced.entry.appliesTo.multifunction = false
        forced.entry.kernel.function = "pci_quirk_mf_endpoint_acs"
        #expect { try CodePlanner.plan(forced, model: model) } throws: {
            "\($0)".contains("kernel.function: pci_quirk_mf_endpoint_acs() has port-type any, reports")
                && "\($0)".contains("single-function only")
        }
        forced = TestRegistry.intelPCH
        forced.entry.isolation.acsEquivalent = [.sv, .rr]
        #expect { try CodePlanner.plan(forced, model: model) } throws: {
            "\($0)".contains("applies-to: pci_quirk_intel_pch_acs() has port-type root-port") && "\($0)".contains("reports SV|RR: the code would claim")
        }
        // A vendor list is only extended when the function says what the entry says; otherwise a new
        // function whose rows go before the vendor-wide row (Zhaoxin with a class condition, Cavium
        // root ports reporting more).
        var zhaoxin = TestRegistry.zhaoxinPorts
        zhaoxin.entry.appliesTo.classID = 0x0604
        let zx = try plan(zhaoxin)
        _ = try new(zhaoxin)
        let anyRow = try #require(source.table.rows.first { $0.vendor == 0x1d17 && $0.device == nil })
        #expect(QuirksEditor.rowInsertionIndex(zx, source: source, model: model).index < anyRow.blockStartLine)
        #expect(zx.notes.contains { $0.message.contains("answers \"not isolated\"") && $0.message.contains("a new function") })
        _ = try QuirksEditor.apply(zx, to: source, renderer: renderer)
        var cavium = TestRegistry.synopsysRP
        cavium.entry.vendor = 0x177d
        cavium.entry.vendorName = "Cavium"
        cavium.entry.family = "TEST-ONLY ThunderX9"
        cavium.entry.devices = [.id(0xc884)]
        cavium.entry.isolation.acsEquivalent = .all
        _ = try new(cavium)
    }

    /// The editor reads its own result back with Registry's importer and refuses code that claims
    /// something else than the entry (here a hand-made plan: mf rows for an SV-only entry).
    @Test func selfCheckRefusesCodeThatClaimsMore() throws {
        let (source, model) = try Self.model()
        var e = TestRegistry.exampleNIC
        e.entry.isolation.acsEquivalent = .linuxRequired
        var p = try #require(try CodePlanner.plan(e, model: model))
        p.kind = .rows(function: "pci_quirk_mf_endpoint_acs")
        #expect { try QuirksEditor.apply(p, to: source, renderer: CodeRenderer(templates: try KernelTrees.templates())) } throws: {
            "\($0)".contains("generated code rejected: pci_quirk_mf_endpoint_acs() reads back as port-type any, reports SV|TB|RR|CR|UF|DT")
        }
    }

    @Test func partlyCoveredEntriesOnlyAddTheMissingIDs() throws {
        let (_, model) = try Self.model()
        var e = TestRegistry.intelNIC
        e.entry.devices = [.id(0x15b7), .id(0x7ff0)]
        let plan = try #require(try CodePlanner.plan(e, model: model))
        #expect(plan.devices == [0x7ff0])
        #expect(plan.coverage.covered.map(\.device) == [0x15b7])
        #expect(plan.coverage.covered.first?.row.function == "pci_quirk_mf_endpoint_acs")
    }

    /// The rows a naive generator would append after the vendor-wide Wangxun / Zhaoxin / Intel RCiEP
    /// rows are never reached; the planned code is.
    @Test func shadowingRowsAreAvoided() throws {
        let (source, model) = try Self.model()
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        // An any-type Intel multifunction endpoint: the vendor-wide RCiEP row answers first for an RCiEP.
        var anyIntel = TestRegistry.intelNIC
        anyIntel.entry.appliesTo.portType = .any
        for entry in [TestRegistry.wangxunNIC, TestRegistry.zhaoxinPorts, anyIntel, TestRegistry.wangxun25G] {
            let e = entry.entry
            let plan = try #require(try CodePlanner.plan(entry, model: model))
            // Counterfactual: the same rows right before { 0 }.
            var naive = source.lines
            let rows = renderer.tableRows(vendor: model.spelling(for: e.vendor), devices: plan.devices,
                                          function: e.isolation.kind == .noPeerToPeer ? "pci_quirk_mf_endpoint_acs" : "pci_quirk_x_acs",
                                          comment: nil)
            naive.insert(contentsOf: rows, at: source.table.terminatorLine - 1)
            var text = naive.joined(separator: "\n") + "\n"
            if e.isolation.kind != .noPeerToPeer {
                text = text.replacingOccurrences(of: "static const struct pci_dev_acs_enabled {",
                                                 with: "static int pci_quirk_x_acs(struct pci_dev *dev, u16 acs_flags)\n{\n\treturn 1;\n}\n\n"
                                                    + "static const struct pci_dev_acs_enabled {")
            }
            let naiveModel = QuirkTableModel(source: try QuirksSource(text: text, macros: source.macros))
            let shadowedTypes = effectivePortTypes(e).filter { t in
                let a = naiveModel.answer(vendor: e.vendor, device: plan.devices[0], type: t)
                return a?.row.device == nil && a?.row.function != "pci_quirk_mf_endpoint_acs" && a?.row.function != "pci_quirk_x_acs"
            }
            #expect(!shadowedTypes.isEmpty, "\(entry.path): the naive rows should be shadowed")
            // The planned edit is reached for every type.
            let edit = try QuirksEditor.apply(plan, to: source, renderer: renderer)
            let after = QuirkTableModel(source: try QuirksSource(text: edit.text, macros: source.macros))
            for t in effectivePortTypes(e) {
                #expect(after.answer(vendor: e.vendor, device: plan.devices[0], type: t)?.row.function == plan.kind.function)
            }
        }
        // Wangxun and Zhaoxin answer "not isolated" to the naive rows' devices: the vendor-wide row wins.
        #expect(model.answer(vendor: 0x8088, device: 0x7ff0, type: .endpoint)?.answer == .notIsolated)
        #expect(model.answer(vendor: 0x1d17, device: 0x7f00, type: .rootPort)?.answer == .notIsolated)
    }

    @Test func newRowsGoNextToTheVendorsRows() throws {
        let (source, model) = try Self.model()
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        // Intel: right after the last Intel multifunction row (I219 0x15b8), before the RCiEP row.
        var anyIntel = TestRegistry.intelNIC
        anyIntel.entry.appliesTo.portType = .any
        let intel = try #require(try CodePlanner.plan(anyIntel, model: model))
        let (index, why) = QuirksEditor.rowInsertionIndex(intel, source: source, model: model)
        let i219 = try #require(source.table.rows.first { $0.vendor == 0x8086 && $0.device == 0x15b8 })
        #expect(index == i219.line)
        #expect(why.contains("pci_quirk_rciep_acs"))
        // A vendor with rows but another function: after its last row (Zhaoxin mf endpoint).
        var zx = TestRegistry.exampleNIC
        zx.entry.vendor = 0x1d17
        zx.entry.vendorName = "Zhaoxin"
        let zhaoxinMF = try #require(try CodePlanner.plan(zx, model: model))
        #expect(zhaoxinMF.kind == .rows(function: "pci_quirk_mf_endpoint_acs"))
        let lastZhaoxinMF = try #require(source.table.rows.last { $0.vendor == 0x1d17 && $0.device == 0x9083 })
        #expect(QuirksEditor.rowInsertionIndex(zhaoxinMF, source: source, model: model).index == lastZhaoxinMF.line)
        // A new vendor: before { 0 }.
        let nic = try #require(try CodePlanner.plan(TestRegistry.exampleNIC, model: model))
        #expect(QuirksEditor.rowInsertionIndex(nic, source: source, model: model).index == source.table.terminatorLine - 1)
        // Wangxun IDs with a function of their own: before the vendor-wide row that answers "not isolated".
        let w25 = try #require(try CodePlanner.plan(TestRegistry.wangxun25G, model: model))
        let wangxunRow = try #require(source.table.rows.first { $0.vendor == 0x8088 && $0.device == nil })
        let (w25Index, w25Why) = QuirksEditor.rowInsertionIndex(w25, source: source, model: model)
        #expect(w25Index == wangxunRow.blockStartLine - 1)
        #expect(w25Why.contains("PCI_VENDOR_ID_WANGXUN PCI_ANY_ID pci_quirk_wangxun_nic_acs), which answers first"))
        // The rendered edit is exactly the comment and the rows.
        let edit = try QuirksEditor.apply(intel, to: source, renderer: renderer)
        let added = UnifiedDiff(old: source.lines, new: edit.source.lines).hunks.flatMap(\.lines).filter { $0.hasPrefix("+") }
        #expect(added == ["+\t/* Intel TEST-ONLY I999 */",
                          "+\t{ PCI_VENDOR_ID_INTEL, 0x7ff0, pci_quirk_mf_endpoint_acs },",
                          "+\t{ PCI_VENDOR_ID_INTEL, 0x7ff1, pci_quirk_mf_endpoint_acs },"])
    }

    @Test func refusalsNameTheEntryAndField() throws {
        let (_, model) = try Self.model()
        func error(_ e: LoadedEntry, forPatch: Bool = false) -> String {
            do {
                try CodePlanner.validate(e, forPatch: forPatch)
                _ = try CodePlanner.plan(e, model: model)
                return ""
            } catch {
                return "\(error)"
            }
        }
        var e = TestRegistry.synopsysRP
        e.entry.isolation.kind = .acsErratum
        #expect(error(e).hasPrefix("\(e.path):1: isolation.kind: acs-erratum entries need register code"))
        e = TestRegistry.synopsysRP
        e.entry.kernel.function = "pci_quirk_x(); evil"
        #expect(error(e).contains("kernel.function: \"pci_quirk_x(); evil\" is not a C identifier"))
        e = TestRegistry.synopsysRP
        e.entry.family = "RP\u{202E}"
        #expect(error(e).contains("family: contains a Unicode bidirectional control character"))
        e = TestRegistry.synopsysRP
        e.entry.evidence = nil
        #expect(error(e, forPatch: true).contains("evidence: a patch needs the vendor's statement"))
        #expect(error(e, forPatch: false) == "")
        e = TestRegistry.synopsysRP
        e.entry.evidence?.confirmedBy = ["just a name"]
        #expect(error(e, forPatch: true).contains("evidence.confirmed-by: \"just a name\" is not \"Full Name <email>\""))
        e = TestRegistry.synopsysRP
        e.entry.appliesTo.requires = [.amdIVRS]
        #expect(error(e).contains("applies-to.requires"))
        e = TestRegistry.exampleNIC
        e.entry.devices = [.range(first: 0x0000, last: 0x00ff)]
        #expect(error(e).contains("devices: 256 IDs would need 256 table rows"))
        e = TestRegistry.exampleNIC
        e.entry.evidence?.date = "2025-13-01"
        #expect(error(e).contains("evidence.date: is not a date"))
        e = TestRegistry.exampleNIC
        e.entry.kernel.table = [KernelStatus.TableRow(row: 1, device: 1, vendorMacro: "PCI_VENDOR_ID_X }, { evil")]
        #expect(error(e).contains("kernel.table.vendor-macro"))
    }

    /// The submitter signs (From:, Signed-off-by:); the entry's confirmed-by people are named and
    /// copied (Cc:), never acks; a submitter who is also the confirmer is not copied.
    @Test func seriesNeedsADateAndSignsAsTheSubmitter() throws {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        let sam = try #require(Identity("Sam Submitter <sam@example.org>"))
        var noDate = TestRegistry.intelNIC
        noDate.entry.evidence?.date = nil
        #expect {
            try PatchSeries(entries: [noDate], quirks: text, macros: macros, renderer: renderer, from: sam, date: nil)
        } throws: { "\($0)".contains("no date: pass --date") && "\($0)".contains(noDate.path) }
        let s = try PatchSeries(entries: [noDate], quirks: text, macros: macros, renderer: renderer, from: sam,
                                date: "Tue, 4 Mar 2025 10:00:00 +0100")
        let patch = try #require(s.patches.first).text
        #expect(patch.contains("\nFrom: Sam Submitter <sam@example.org>\nDate: Tue, 4 Mar 2025 10:00:00 +0100\n"))
        #expect(patch.contains("\nCc: Jane Example <jane@example.com>\nSigned-off-by: Sam Submitter <sam@example.org>\n---\n"),
                "\(patch)")
        #expect(patch.contains("Jane Example confirmed this for Intel.") && !patch.contains("Acked-by:"))
        #expect(!patch.contains("From: Jane") && !patch.contains("Signed-off-by: Jane"))
        // The confirmer submitting their own entry: not copied, not named as a third party.
        let jane = try #require(Identity("Jane Example <JANE@example.com>"))
        let own = try PatchSeries(entries: [TestRegistry.intelNIC], quirks: text, macros: macros, renderer: renderer, from: jane,
                                  date: nil)
        #expect(own.patches.first.map { !$0.text.contains("Cc:") && !$0.text.contains("confirmed this") } == true)
        // Without confirmed-by (lint refuses that for a patch anyway): no ack, the submitter signs.
        var nobody = TestRegistry.intelNIC
        nobody.entry.evidence?.confirmedBy = []
        if let n = try? PatchSeries(entries: [nobody], quirks: text, macros: macros, renderer: renderer, from: sam, date: nil) {
            #expect(n.patches.first.map { !$0.text.contains("Acked-by:") && !$0.text.contains("Cc:") } == true)
            #expect(n.patches.first?.text.contains("\nSigned-off-by: Sam Submitter <sam@example.org>\n") == true)
        }
    }

    /// `pci_quirk_<vendor>_<short>_acs`, as quirks.c names them: the vendor's macro word, the
    /// family's model word; never a name the file has; the definition and the rows within 80
    /// columns.
    @Test func functionNamesAreShortAndFitTheLine() throws {
        let (_, model) = try Self.model()
        func name(_ vendorName: String, _ family: String, spelling: VendorSpelling, range: Bool = false,
                  taken: Set<String> = []) throws -> String {
            var e = TestRegistry.synopsysRP
            e.entry.vendorName = vendorName
            e.entry.family = family
            if range { e.entry.devices = [.range(first: 0x7f00, last: 0x7f07)] }
            return try CodePlanner.newFunctionName(e, vendor: spelling, taken: taken)
        }
        #expect(try name("Rockchip Electronics", "RK3588 Root Ports", spelling: .macro("PCI_VENDOR_ID_ROCKCHIP"))
            == "pci_quirk_rockchip_rk3588_acs")
        #expect(try name("Qualcomm", "SC8280XP root port", spelling: .macro("PCI_VENDOR_ID_QCOM")) == "pci_quirk_qcom_sc8280xp_acs")
        #expect(try name("NebulaMatrix", "NM-2000 NICs", spelling: .literal(0x1f0f)) == "pci_quirk_nebulamatrix_nm2000_acs")
        #expect(try name("Loongson", "PCIe Root Ports", spelling: .macro("PCI_VENDOR_ID_LOONGSON")) == "pci_quirk_loongson_acs")
        // A name the tree has: the family's next word, else a number.
        #expect(try name("Qualcomm", "RP", spelling: .macro("PCI_VENDOR_ID_QCOM"), taken: model.definedFunctions)
            == "pci_quirk_qcom_acs")
        #expect(try name("Qualcomm", "RP", spelling: .macro("PCI_VENDOR_ID_QCOM"), taken: ["pci_quirk_qcom_acs"])
            == "pci_quirk_qcom_2_acs")
        #expect(try name("Qualcomm", "SC8280XP Gen4 root ports", spelling: .macro("PCI_VENDOR_ID_QCOM"),
                         taken: ["pci_quirk_qcom_sc8280xp_acs"]) == "pci_quirk_qcom_sc8280xp_gen4_acs")
        // Too long for the row `\t{ PCI_VENDOR_ID_…, PCI_ANY_ID, NAME },` (the Pericom switch of
        // the vendor series: pci_quirk_pericom_pi7c9x3g808_acs is 81 columns): the vendor alone,
        // never a cut-off part number that names another product (`pi7c9x3g80`); only when the
        // vendor's name is taken too, the model word shortened.
        #expect(try name("Pericom", "PI7C9X3G808 Downstream Ports", spelling: .macro("PCI_VENDOR_ID_PERICOM"), range: true)
            == "pci_quirk_pericom_acs")
        #expect(try name("Pericom", "PI7C9X3G808 Downstream Ports", spelling: .macro("PCI_VENDOR_ID_PERICOM")) == "pci_quirk_pericom_pi7c9x3g808_acs")
        let shortened = try name("Rockchip", "RK3588ABCDEFGHIJ ports", spelling: .macro("PCI_VENDOR_ID_ROCKCHIP"), range: true,
                                 taken: ["pci_quirk_rockchip_acs"])
        #expect(shortened.hasPrefix("pci_quirk_rockchip_rk3588") && shortened.hasSuffix("_acs"))
        #expect(CText.width("\t{ PCI_VENDOR_ID_ROCKCHIP, PCI_ANY_ID, \(shortened) },") <= 80)
        // A long vendor macro leaves no room for the vendor word either: its initials, as upstream
        // named the Amazon Annapurna Labs function pci_quirk_al_acs.
        let long = try name("Amazon", "ABCDEFGHIJKLMNOP1 ports", spelling: .macro("PCI_VENDOR_ID_AMAZON_ANNAPURNA_LABS"), range: true)
        #expect(long == "pci_quirk_aal_acs")
        #expect(CText.width("\t{ PCI_VENDOR_ID_AMAZON_ANNAPURNA_LABS, PCI_ANY_ID, \(long) },") <= 80)
        // Every generated name fits `static int NAME(struct pci_dev *dev, u16 acs_flags)` in 80 columns.
        for n in [shortened, long, try name("3Com", "X", spelling: .literal(0x16c3))] {
            #expect(CText.width("static int \(n)(struct pci_dev *dev, u16 acs_flags)") <= 80, "\(n)")
        }
        #expect(try name("3Com", "X", spelling: .literal(0x16c3)) == "pci_quirk_v16c3_x_acs")
        var e = TestRegistry.synopsysRP
        e.entry.kernel.function = String(repeating: "a", count: 40)
        #expect(throws: KernelOutputError.self) { try CodePlanner.newFunctionName(e, vendor: .literal(0x16c3), taken: []) }
    }

    /// Upstream entries rebuilt from the kernel's table regenerate the kernel's own rows.
    @Test(arguments: KernelTrees.versions)
    func upstreamRowsRegenerateTheKernelTable(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let source = try QuirksSource(text: text, macros: macros)
        let entries = try UpstreamFixture.entries()
        let model = QuirkTableModel(upstream: entries)
        #expect(model.rows.count == source.table.rows.count)
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        let generated = model.rows.flatMap {
            renderer.tableRows(vendor: $0.vendorSpelling, devices: [$0.device], function: $0.function, comment: nil)
        }
        let kernel = source.table.rows.map { UpstreamFixture.normalized(source.lines[$0.line - 1]) }
        #expect(generated == kernel)
        // And the model built from the entries answers like the one read from the tree.
        let treeModel = QuirkTableModel(source: source)
        for (v, d, t) in [(UInt16(0x8086), UInt16(0x1234), PCIExpressPortType.rcIntegratedEndpoint), (0x8088, 0x7ff0, .endpoint),
                          (0x1d17, 0x0721, .rootPort), (0x1d17, 0x0800, .rootPort), (0x177d, 0xa001, .rootPort),
                          (0x1957, 0x8d81, .rootPort), (0x14e4, 0x1750, .endpoint)] {
            #expect(model.answer(vendor: v, device: d, type: t)?.answer == treeModel.answer(vendor: v, device: d, type: t)?.answer,
                    "\(hex(v, width: 4)):\(hex(d, width: 4)) \(t)")
        }
    }
}

/// Upstream registry entries rebuilt from Tests/Fixtures/kernel-acs-table.tsv (the importer's
/// shape: one entry per run of rows with the same vendor and function).
enum UpstreamFixture {
    static func entries() throws -> [QuirkEntry] {
        let rows = try QuirksSourceTests.tsvRows()
        var entries: [QuirkEntry] = []
        for (i, r) in rows.enumerated() {
            let row = KernelStatus.TableRow(row: i + 1, device: r.device, vendorMacro: r.macro)
            if var last = entries.last, last.vendor == r.vendor, last.kernel.function == r.function {
                last.kernel.table.append(row)
                if let d = r.device { last.devices.append(.id(d)) }
                entries[entries.count - 1] = last
                continue
            }
            let shape = shapes[r.function] ?? (AppliesTo(), Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
                                              KernelStatus.UnlistedAnswer.pass, [DeviceIDs]())
            entries.append(QuirkEntry(
                vendor: r.vendor, vendorName: "v\(r.vendor)", family: r.function,
                devices: r.device.map { [.id($0)] } ?? shape.3, appliesTo: shape.0, isolation: shape.1,
                kernel: KernelStatus(status: .upstream, function: r.function, table: [row], unlisted: shape.2)))
        }
        return entries
    }

    /// Known function -> entry shape (COMMON.md).
    static let shapes: [String: (AppliesTo, Isolation, KernelStatus.UnlistedAnswer, [DeviceIDs])] = [
        "pci_quirk_mf_endpoint_acs": (AppliesTo(), Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk), .pass, []),
        "pci_quirk_amd_sb_acs": (AppliesTo(multifunction: true, requires: [.amdIVRS, .rootBus]),
                                 Isolation(kind: .noPeerToPeer, acsEquivalent: [.sv, .tb, .rr, .cr, .uf]), .pass, []),
        "pci_quirk_rciep_acs": (AppliesTo(portType: .rciep), Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), .pass,
                                [.range(first: 0, last: 0xffff)]),
        "pci_quirk_cavium_acs": (AppliesTo(portType: .rootPort), Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), .pass,
                                 [.range(first: 0xa000, last: 0xa7ff), .id(0xaf84), .id(0xb884)]),
        "pci_quirk_zhaoxin_pcie_ports_acs": (AppliesTo(portType: .rootOrDownstreamPort),
                                             Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), .notIsolated,
                                             [.range(first: 0x0710, last: 0x071e), .id(0x0721), .range(first: 0x0723, last: 0x0752)]),
        "pci_quirk_wangxun_nic_acs": (AppliesTo(), Isolation(kind: .noPeerToPeer, acsEquivalent: .linuxRequired), .notIsolated,
                                      [.range(first: 0x0100, last: 0x010f), .id(0x1001), .id(0x2001), .id(0x5010), .id(0x5025),
                                       .id(0x5040), .id(0x5110), .id(0x5125), .id(0x5140)]),
        "pci_quirk_intel_pch_acs": (AppliesTo(portType: .rootPort, requires: [.intelPCHRCBAWorkaround]),
                                    Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), .pass,
                                    [.range(first: 0x3b42, last: 0x3b51)]),
        "pci_quirk_intel_spt_pch_acs": (AppliesTo(portType: .rootPort, requires: [.acsCapability], registerLayout: .intelSPTDword),
                                        Isolation(kind: .acsErratum, acsEquivalent: .linuxRequired), .pass,
                                        [.range(first: 0xa110, last: 0xa11f)]),
        "pci_quirk_al_acs": (AppliesTo(portType: .rootPort), Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired), .pass, []),
    ]

    /// A kernel row line with its hex numbers written as 0x%04x and without its trailing comment.
    static func normalized(_ line: String) -> String {
        var l = line
        if let c = l.range(of: " /*") { l = String(l[..<c.lowerBound]) }
        return l.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let w = String(word)
            let core = w.hasSuffix(",") ? String(w.dropLast()) : w
            guard core.lowercased().hasPrefix("0x"), let v = parseHexID(core) else { return w }
            return "0x" + hex(v, width: 4) + (w.hasSuffix(",") ? "," : "")
        }.joined(separator: " ")
    }
}
