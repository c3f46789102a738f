import Foundation
import KernelOutput
import PCIConfig
import Registry
import Testing
import TestSupport

/// Reading drivers/pci/quirks.c and pci_ids.h of the real Debian trees.
struct QuirksSourceTests {
    /// kernel-acs-table.tsv: vendor_hex, vendor_macro, device_hex_or_ANY, function (table order).
    static func tsvRows() throws -> [(vendor: UInt16, macro: String?, device: UInt16?, function: String)] {
        try Fixtures.text("kernel-acs-table.tsv").split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t").map(String.init)
            let macro = f[1].hasPrefix("PCI_VENDOR_ID_") ? f[1] : nil
            return (parseHexID(f[0])!, macro, f[2] == "ANY" ? nil : parseHexID(f[2])!, f[3])
        }
    }

    @Test(arguments: KernelTrees.versions)
    func tableRowsMatchTheReferenceTable(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let source = try QuirksSource(text: text, macros: macros)
        let expected = try Self.tsvRows()
        #expect(source.table.rows.count == 132)
        #expect(source.table.rows.count == expected.count)
        for (row, e) in zip(source.table.rows, expected) {
            #expect(row.vendor == e.vendor && row.device == e.device && row.function == e.function, "row \(row.position)")
            if let m = e.macro { #expect(row.vendorToken == m) } else { #expect(parseHexID(row.vendorToken) == e.vendor) }
            #expect(source.lines[row.line - 1].contains(row.function))
        }
        #expect(source.table.rows.map(\.position) == Array(1...132))
        #expect(source.lines[source.table.terminatorLine - 1].trimmingCharacters(in: .whitespaces) == "{ 0 }")
        #expect(source.table.terminatorLine == source.table.rows.last!.line + 1)
        #expect(source.lines[source.table.structLine - 1] == "static const struct pci_dev_acs_enabled {")
        #expect(source.text == text)
    }

    @Test(arguments: KernelTrees.versions)
    func functionProfilesFollowTheKernelCode(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let source = try QuirksSource(text: text, macros: macros)
        let p = source.profiles
        #expect(Set(p.keys).count == 14)

        let mf = try #require(p["pci_quirk_mf_endpoint_acs"])
        #expect(mf.acceptedTypes == nil && mf.ids == nil && mf.conditions.isEmpty)

        let wangxun = try #require(p["pci_quirk_wangxun_nic_acs"])
        #expect(wangxun.acceptedTypes == nil)
        #expect(wangxun.unlisted == .notIsolated)
        #expect(wangxun.ids == [.range(first: 0x0100, last: 0x010f), .id(0x1001), .id(0x2001), .id(0x5010), .id(0x5025),
                                .id(0x5040), .id(0x5110), .id(0x5125), .id(0x5140)])
        guard case let .switchCases(holder, after, indent)? = wangxun.site else { Issue.record("no switch site"); return }
        #expect(holder == "pci_quirk_wangxun_nic_acs" && indent == "\t")
        #expect(source.lines[after - 1].contains("case 0x5110: case 0x5125: case 0x5140:"))

        let zhaoxin = try #require(p["pci_quirk_zhaoxin_pcie_ports_acs"])
        #expect(zhaoxin.acceptedTypes == [.rootPort, .downstreamPort])
        #expect(zhaoxin.unlisted == .notIsolated)
        #expect(zhaoxin.ids == [.range(first: 0x0710, last: 0x071e), .id(0x0721), .range(first: 0x0723, last: 0x0752)])

        let pch = try #require(p["pci_quirk_intel_pch_acs"])
        #expect(pch.acceptedTypes == [.rootPort])
        #expect(pch.unlisted == .pass)
        #expect(pch.ids?.count == 119)
        #expect(pch.conditions.contains { $0.contains("Intel PCH") })
        guard case let .array(name, before, _)? = pch.site else { Issue.record("no array site"); return }
        #expect(name == "pci_quirk_intel_pch_acs_ids" && source.lines[before - 1] == "};")

        let spt = try #require(p["pci_quirk_intel_spt_pch_acs"])
        #expect(spt.acceptedTypes == [.rootPort] && spt.unlisted == .pass)
        #expect(spt.ids?.contains(.range(first: 0x9d10, last: 0x9d1b)) == true)
        #expect(spt.conditions.contains { $0.contains("ACS capability") })

        let cavium = try #require(p["pci_quirk_cavium_acs"])
        #expect(cavium.acceptedTypes == [.rootPort] && cavium.unlisted == .pass)
        #expect(cavium.ids == [.range(first: 0xa000, last: 0xa7ff), .id(0xaf84), .id(0xb884)])

        #expect(p["pci_quirk_rciep_acs"]?.acceptedTypes == [.rcIntegratedEndpoint])
        #expect(p["pci_quirk_al_acs"]?.acceptedTypes == [.rootPort])
        #expect(p["pci_quirk_amd_sb_acs"]?.conditions.count == 3)
        for unconditional in ["pci_quirk_qcom_rp_acs", "pci_quirk_nxp_rp_acs", "pci_quirk_xgene_acs", "pci_quirk_brcm_acs",
                              "pci_quirk_loongson_acs"] {
            let f = try #require(p[unconditional])
            #expect(f.acceptedTypes == nil && f.ids == nil && f.conditions.isEmpty, "\(unconditional)")
        }
    }

    @Test func tableWalkAnswersLikeTheKernel() throws {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let model = QuirkTableModel(source: try QuirksSource(text: text, macros: macros))
        // Intel RCiEP: the vendor-wide RCiEP row.
        #expect(model.answer(vendor: 0x8086, device: 0x1234, type: .rcIntegratedEndpoint)?.row.function == "pci_quirk_rciep_acs")
        #expect(model.answer(vendor: 0x8086, device: 0x1234, type: .endpoint) == nil)
        // Listed Intel multifunction endpoint.
        #expect(model.answer(vendor: 0x8086, device: 0x10c6, type: .endpoint)?.answer == .isolated)
        // Sticky negatives.
        #expect(model.answer(vendor: 0x8088, device: 0x7ff0, type: .endpoint)?.answer == .notIsolated)
        #expect(model.answer(vendor: 0x8088, device: 0x1001, type: .endpoint)?.answer == .isolated)
        #expect(model.answer(vendor: 0x1d17, device: 0x7f00, type: .rootPort)?.answer == .notIsolated)
        #expect(model.answer(vendor: 0x1d17, device: 0x7f00, type: .endpoint) == nil)
        #expect(model.answer(vendor: 0x1d17, device: 0x0730, type: .downstreamPort)?.answer == .isolated)
        // Intel PCH: conditional on the RCBA workaround; unlisted root ports pass.
        if case .conditional? = model.answer(vendor: 0x8086, device: 0x3b42, type: .rootPort)?.answer {} else {
            Issue.record("Intel PCH 0x3b42 should be conditional")
        }
        #expect(model.answer(vendor: 0x8086, device: 0x7fe0, type: .rootPort) == nil)
        // Cavium ThunderX root ports by range; other Cavium root ports pass.
        #expect(model.answer(vendor: 0x177d, device: 0xa123, type: .rootPort)?.answer == .isolated)
        #expect(model.answer(vendor: 0x177d, device: 0xb000, type: .rootPort) == nil)
        // Non-PCIe devices never pass a port-type check.
        #expect(model.answer(vendor: 0x1d17, device: 0x0730, type: nil) == nil)
    }

    @Test func vendorMacrosAndSpelling() throws {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let model = QuirkTableModel(source: try QuirksSource(text: text, macros: macros))
        #expect(macros.names(for: 0x1957) == ["PCI_VENDOR_ID_FREESCALE", "PCI_VENDOR_ID_NXP"])
        #expect(model.spelling(for: 0x1957) == .macro("PCI_VENDOR_ID_NXP"))   // the table's choice
        #expect(model.spelling(for: 0x16c3) == .macro("PCI_VENDOR_ID_SYNOPSYS")) // pci_ids.h, no rows
        #expect(model.spelling(for: 0x19a2) == .literal(0x19a2))                 // the table's literal
        #expect(model.spelling(for: 0x1f2a) == .literal(0x1f2a))                 // unknown vendor
        #expect(macros.values["PCI_VENDOR_ID_INTEL"] == 0x8086)
        #expect(macros.lines["PCI_VENDOR_ID_INTEL"].map { $0 > 0 } == true)
    }

    /// A patch run reads quirks.c once: each edit re-reads only what it inserted (rows, a new
    /// function, the function or array whose ID list grew). After the whole TEST-ONLY series
    /// (every kind of edit, the hostile entry included) the kept parse equals a fresh parse of
    /// the final text: rows, lines, definitions, entries and profiles.
    @Test(arguments: KernelTrees.versions)
    func incrementalEditsReadLikeAFreshParse(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let series = try PatchSeries(entries: TestRegistry.series, quirks: text, macros: macros,
                                     renderer: CodeRenderer(templates: try KernelTrees.templates()),
                                     from: Identity("Test Author <author@example.com>")!, date: nil)
        #expect(series.patches.count == TestRegistry.series.count - 1)
        let fresh = try QuirksSource(text: series.finalText, macros: macros)
        #expect(series.finalSource.table == fresh.table)
        #expect(series.finalSource.functions == fresh.functions && series.finalSource.arrays == fresh.arrays)
        #expect(series.finalSource.upstream == fresh.upstream && series.finalSource.profiles == fresh.profiles)
        #expect(series.finalSource == fresh)
        // An insertion that is neither rows, a definition nor inside one is refused.
        let source = try QuirksSource(text: text, macros: macros)
        #expect(throws: KernelOutputError.self) { try source.inserting(["int stray;"], at: source.table.terminatorLine + 2) }
    }

    @Test func malformedTablesAreReportedWithTheLine() throws {
        let macros = VendorMacros(pciIDsHeader: "#define PCI_VENDOR_ID_INTEL\t0x8086\n")
        let head = "static const struct pci_dev_acs_enabled {\n\tu16 vendor;\n} pci_dev_acs_enabled[] = {\n"
        let cases: [(String, String)] = [
            ("int x;\n", "the table 'pci_dev_acs_enabled[] = {' was not found"),
            (head + "\t{ PCI_VENDOR_ID_INTEL, 0x1234, f },\n};\n", "no { 0 } terminator"),
            (head + "\t{ PCI_VENDOR_ID_NOPE, 0x1234, f },\n\t{ 0 }\n};\n", "PCI_VENDOR_ID_NOPE is not defined"),
            (head + "\t{ PCI_VENDOR_ID_INTEL, 0x12345, f },\n\t{ 0 }\n};\n", "cannot read device 0x12345"),
            (head + "\tgarbage\n\t{ 0 }\n};\n", "unexpected 'garbage' in pci_dev_acs_enabled[]"),
            (head + "\t{ PCI_VENDOR_ID_INTEL, 0x1234, nosuchfn },\n\t{ 0 }\n};\n", "nosuchfn, which is not defined"),
        ]
        for (text, message) in cases {
            #expect {
                try QuirksSource(text: text, path: "quirks.c", macros: macros)
            } throws: { error in
                "\(error)".contains(message) && "\(error)".hasPrefix("quirks.c")
            }
        }
        // The error for a bad row names its line.
        do {
            _ = try QuirksSource(text: head + "\n\t{ PCI_VENDOR_ID_INTEL, 0xzz, f },\n\t{ 0 }\n};\n", path: "q.c", macros: macros)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("q.c:5: "))
        }
    }
}
