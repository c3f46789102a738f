import Foundation
import KernelOutput
import LinuxPCI
import PCIConfig
import Registry
import Testing
import TestSupport

/// Two readers of drivers/pci/quirks.c exist: KernelOutput's (the layout an edit needs: lines,
/// comment blocks, the terminator, ID-list sites) and Registry's KernelImporter (what the functions
/// mean). KernelOutput takes the meaning from Registry's (`QuirksSource.upstream`) and refuses a
/// text where the two disagree on a row; these tests check they find the same rows, lines and
/// definitions on both real trees, and that KernelOutput's table walk is Registry's.
struct ReaderAgreementTests {
    @Test(arguments: KernelTrees.versions)
    func bothReadersFindTheSameRowsLinesAndDefinitions(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let mine = try QuirksSource(text: text, macros: macros)
        let theirs = try KernelImporter.rows(source: text, path: QuirksSource.relativePath, macros: macros.values)
        #expect(mine.table.rows.count == 132 && theirs.count == 132)
        for (a, b) in zip(mine.table.rows, theirs) {
            #expect(a.position == b.row && a.line == b.line && a.vendor == b.vendor && a.device == b.device
                    && a.function == b.function, "row \(a.position): line \(a.line) vs \(b.line)")
            #expect((parseHexID(a.vendorToken) == nil ? a.vendorToken : nil) == b.vendorMacro, "row \(a.position)")
        }
        // The definitions the table uses (functions, their helpers, ID arrays) at the same lines.
        let defs = try RegistryInternals.definitions(text)
        var compared = 0
        for (name, f) in mine.functions {
            guard let d = defs[name] else { Issue.record("\(name) (line \(f.signatureLine)) not found by Registry's reader"); continue }
            #expect(d.isFunction && d.line == f.signatureLine, "\(name): \(d.line) vs \(f.signatureLine)")
            compared += 1
        }
        for (name, a) in mine.arrays {
            guard let d = defs[name] else { Issue.record("array \(name) not found by Registry's reader"); continue }
            #expect(!d.isFunction && d.line == a.startLine, "\(name): \(d.line) vs \(a.startLine)")
            compared += 1
        }
        for fn in Set(mine.table.rows.map(\.function)) {
            #expect(mine.functions[fn] != nil && defs[fn]?.isFunction == true, "\(fn)")
        }
        #expect(compared > 100)
        // And the imported entries cover every row exactly once.
        #expect(mine.upstream.flatMap(\.kernel.table).map(\.row).sorted() == Array(1...132))
    }

    /// KernelOutput's answer is `QuirkTable.pciDevSpecificACSEnabled` (module LinuxPCI): for the
    /// committed quirks/ and > 1000 vendor/device/PCIe type/multifunction cases, the table built
    /// from the registry and the table read from each tree give the row and the answer the walk
    /// gives over the committed entries.
    @Test(arguments: KernelTrees.versions)
    func tableWalkIsQuirkTableDecide(version: String) throws {
        let committed = try RegistryAgreementTests.committedRegistry().map(\.entry)
        let direct = QuirkTable(entries: committed.filter { $0.kernel.status == .upstream })
        let (text, macros) = try KernelTrees.quirks(version)
        let models = [("registry", QuirkTableModel(upstream: committed)),
                      ("tree \(version)", QuirkTableModel(source: try QuirksSource(text: text, macros: macros)))]
        let all = ACSRegisters(capability: .all, control: .all)
        let platform = LinuxSystem(amdIVRS: true)
        var devices: [(UInt16, UInt16)] = []
        for e in committed {
            for d in e.devices {
                switch d {
                case let .id(x): devices.append((e.vendor, x))
                case let .range(a, b): devices += [(e.vendor, a), (e.vendor, b), (e.vendor, a &+ (b &- a) / 2), (e.vendor, b &+ 1)]
                }
            }
            devices += [(e.vendor, 0x7ff7), (e.vendor, 0x0000), (e.vendor, 0xffff)]
        }
        var compared = 0
        var decisive = 0
        let types: [PCIExpressPortType?] = [.endpoint, .legacyEndpoint, .rootPort, .downstreamPort, .upstreamPort,
                                            .rcIntegratedEndpoint, nil]
        for (v, d) in devices {
            for t in types {
                for mf in [true, false] {
                    let facts = PCIDev(vendor: v, device: d, type: t, multifunction: mf, classID: nil, onRootBus: true,
                                       acs: PCIDevACS(offset: 0x100, standard: all, intelSPTDword: all), pchWorkaround: .assumedToSucceed)
                    let want = direct.pciDevSpecificACSEnabled(facts, .linuxRequired, platform)
                    let wantAnswer = want.map { $0.answer == .notIsolated ? "not-isolated" : "isolated" }
                    if want != nil { decisive += 1 }
                    for (name, model) in models {
                        let got = model.answer(vendor: v, device: d, type: t, multifunction: mf)
                        let gotAnswer = got.map { $0.answer == .notIsolated ? "not-isolated" : "isolated" }
                        let what = "\(name) \(hex(v, width: 4)):\(hex(d, width: 4)) \(t.map { "\($0)" } ?? "no PCIe") mf=\(mf): "
                            + "\(got.map { "\($0.row.label) \($0.answer)" } ?? "none") vs decide "
                            + "\(want.map { "row \($0.row.row ?? 0) \($0.answer)" } ?? "none")"
                        #expect(got?.row.position == want?.row.row && gotAnswer == wantAnswer, "\(what)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 1000)
        #expect(decisive > 200)
    }
}
