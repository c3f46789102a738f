import Foundation
import KernelOutput
import PCIConfig
import PCIAccess
import Registry
import Testing
import TestSupport

@Suite(.serialized) struct ImportKernelTests {
    @Test(arguments: ["6.12", "6.1"])
    func rowsEqualTheFixtureInOrder(_ version: String) throws {
        guard let tree = kernelTree(version) else { return }
        let rows = try KernelTreeFiles(root: tree).source().table.rows
        let got = rows.map { tsv(vendor: $0.vendor, macro: $0.vendorMacro, device: $0.device, function: $0.function) }
        let want = try fixtureTable()
        #expect(rows.count == 132)
        #expect(got == want)
        #expect(rows.map(\.position) == Array(1...132))
    }

    /// Without a registry to name the families (rows grouped by vendor, function and comment)
    /// and with it, the imported entries rebuild the tree's table and lint clean.
    @Test(arguments: ["6.12", "6.1"], [false, true])
    func importedEntriesRebuildTheTable(_ version: String, named: Bool) throws {
        guard let tree = kernelTree(version) else { return }
        let result = try KernelImporter.importTree(tree, known: named ? committedEntries() : [])
        #expect(result.rowCount == 132)
        #expect(result.entries.allSatisfy { $0.kernel.status == .upstream })
        let table = Registry.kernelTable(result.entries)
        let got = table.map { t in
            tsv(vendor: t.entry.vendor, macro: t.entry.kernel.table.first { $0.row == t.row }?.vendorMacro,
                device: t.device, function: t.entry.kernel.function ?? "")
        }
        #expect(got == (try fixtureTable()))
        #expect(table.map(\.row) == Array(1...132))
        // Every entry lints clean; without the registry's record of the first releases, a stable
        // tree (which may carry back-ports) gives no `since` and lint says so, nothing else.
        let diags = Linter.check(result.entries.map { LoadedEntry(entry: $0, path: RegistryWriter.path(for: $0, root: "quirks")) },
                                  options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        if named {
            #expect(diags.isEmpty, "\(diags.map(\.description))")
        } else {
            #expect(diags.count == result.entries.count && diags.allSatisfy { $0.rule == LintRules.upstreamIncomplete.id
                && $0.message.contains("needs since") }, "\(diags.map(\.description))")
        }
    }

    /// The committed quirks/ is exactly what import-kernel writes for the 6.12 and the 6.1 tree,
    /// the families named by quirks/ itself (no family is spelled in Swift).
    @Test(arguments: ["6.12", "6.1"])
    func committedRegistryEqualsAFreshImport(_ version: String) async throws {
        guard let tree = kernelTree(version) else { return }
        let result = try KernelImporter.importTree(tree, known: committedEntries())
        try await withTemporaryDirectoryAsync { dir in
            let out = dir.appendingPathComponent("quirks").path
            let written = try KernelImporter.write(result.entries, to: out)
            #expect(written.count == result.entries.count)
            let fresh = yamlFiles(out)
            let committedUpstream = Registry.load(paths: [quirksFolder]).entries
                .filter { $0.entry.kernel.status == .upstream }
                .map { String($0.path.dropFirst(quirksFolder.count + 1)) }.sorted()
            #expect(fresh == committedUpstream, "upstream files differ from a fresh import: run acsquirk import-kernel --kernel-tree \(tree)")
            for f in fresh {
                let a = try String(contentsOfFile: out + "/" + f, encoding: .utf8)
                let b = (try? String(contentsOfFile: quirksFolder + "/" + f, encoding: .utf8)) ?? ""
                if a != b { Issue.record("quirks/\(f) differs from a fresh import:\n\(await textDiff(expected: b, actual: a))") }
            }
        }
    }

    /// Each quirk function's entry has the shape the shared semantics give it (COMMON.md).
    @Test func entryShapesFollowTheQuirkFunctions() throws {
        guard let tree = kernelTree("6.12") else { return }
        let entries = try KernelImporter.importTree(tree, known: committedEntries()).entries
        func one(_ function: String, vendor: UInt16? = nil) throws -> QuirkEntry {
            let m = entries.filter { $0.kernel.function == function && (vendor == nil || $0.vendor == vendor) }
            return try #require(m.first, "\(function)")
        }
        let all7: ACSFlags = .linuxRequired
        for e in entries where e.kernel.function == "pci_quirk_mf_endpoint_acs" {
            #expect(e.isolation == Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk), "\(e.family)")
            #expect(e.appliesTo == AppliesTo(), "\(e.family)")
            #expect(e.kernel.unlisted == .pass)
        }
        for e in entries where e.kernel.function == "pci_quirk_amd_sb_acs" {
            #expect(e.appliesTo.multifunction == true)
            #expect(Set(e.appliesTo.requires) == [.amdIVRS, .rootBus])
            #expect(e.isolation.acsEquivalent == [.sv, .tb, .rr, .cr, .uf])
            #expect(e.appliesTo.portType == .any)
        }
        let rciep = try one("pci_quirk_rciep_acs")
        #expect(rciep.appliesTo.portType == .rciep)
        #expect(rciep.devices == [.range(first: 0, last: 0xffff)])
        #expect(rciep.isolation.acsEquivalent == all7)
        #expect(rciep.kernel.table.map(\.device) == [nil])
        for f in ["pci_quirk_qcom_rp_acs", "pci_quirk_nxp_rp_acs", "pci_quirk_xgene_acs", "pci_quirk_brcm_acs", "pci_quirk_loongson_acs"] {
            for e in entries where e.kernel.function == f {
                #expect(e.isolation == Isolation(kind: .portsIsolated, acsEquivalent: all7), "\(f)")
                #expect(e.appliesTo.portType == .any, "\(f)")
            }
        }
        let al = try one("pci_quirk_al_acs")
        #expect(al.appliesTo.portType == .rootPort)
        #expect(al.isolation == Isolation(kind: .portsIsolated, acsEquivalent: all7))
        let cavium = try one("pci_quirk_cavium_acs")
        #expect(cavium.appliesTo.portType == .rootPort)
        #expect(cavium.devices == [.range(first: 0xa000, last: 0xa7ff), .id(0xaf84), .id(0xb884)])
        #expect(cavium.kernel.unlisted == .pass)
        let zx = try one("pci_quirk_zhaoxin_pcie_ports_acs")
        #expect(zx.appliesTo.portType == .rootOrDownstreamPort)
        #expect(zx.devices == [.range(first: 0x0710, last: 0x071e), .id(0x0721), .range(first: 0x0723, last: 0x0752)])
        #expect(zx.kernel.unlisted == .notIsolated)
        let wx = try one("pci_quirk_wangxun_nic_acs")
        #expect(wx.appliesTo.portType == .any)
        #expect(wx.kernel.unlisted == .notIsolated)
        #expect(wx.devices.flatMap(\.ids) == Array(0x0100...0x010f) + [0x1001, 0x2001, 0x5010, 0x5025, 0x5040, 0x5110, 0x5125, 0x5140])
        #expect(wx.isolation.acsEquivalent == all7)
        let pch = try one("pci_quirk_intel_pch_acs")
        #expect(pch.appliesTo.portType == .rootPort)
        #expect(pch.appliesTo.requires == [.intelPCHRCBAWorkaround])
        #expect(pch.isolation == Isolation(kind: .portsIsolated, acsEquivalent: all7))
        let pchIDs = pch.devices.flatMap(\.ids)
        #expect(pchIDs.count == 16 * 4 + 12 * 2 + 8 + 15 + 8)
        #expect(pchIDs.first == 0x3b42 && pchIDs.last == 0x8c9e)
        #expect(pchIDs.contains(0x1d1e) && !pchIDs.contains(0x1d11) && !pchIDs.contains(0x8d1f))
        let spt = try one("pci_quirk_intel_spt_pch_acs")
        #expect(spt.appliesTo.portType == .rootPort)
        #expect(spt.appliesTo.requires == [.acsCapability])
        #expect(spt.appliesTo.registerLayout == .intelSPTDword)
        #expect(spt.isolation.kind == .acsErratum)
        #expect(spt.devices == [.range(first: 0xa110, last: 0xa11f), .range(first: 0xa167, last: 0xa16a),
                                .range(first: 0xa290, last: 0xa29f), .range(first: 0xa2e7, last: 0xa2ee),
                                .range(first: 0x9d10, last: 0x9d1b)])
        // The SPT ranges agree with PCIConfig's own list of erratum IDs.
        #expect(spt.devices.flatMap(\.ids).sorted() == intelSPTDwordACSDeviceIDs.flatMap { Array($0) }.sorted())
        // Statements are the kernel's comments; Wangxun's says the hardware isolates the functions.
        #expect(wx.evidence?.statement.hasPrefix("Wangxun 40G/25G/10G/1G NICs have no ACS capability") == true)
        #expect(entries.allSatisfy { !($0.evidence?.statement.isEmpty ?? true) })
        // Families and release facts.
        let paths = entries.map { RegistryWriter.path(for: $0, root: "quirks") }
        for p in ["quirks/intel/82576.yaml", "quirks/intel/pch-root-ports.yaml", "quirks/intel/spt-pch-root-ports.yaml",
                  "quirks/intel/rciep.yaml", "quirks/wangxun/nics.yaml", "quirks/zhaoxin/multifunction.yaml",
                  "quirks/zhaoxin/ports.yaml", "quirks/nxp/lx2xx0-lx2xx2.yaml"] {
            #expect(paths.contains(p), "\(p)")
        }
        #expect(wx.kernel.since == "v6.3")
        #expect(entries.first { $0.family == "BCM5760X" }?.kernel.since == "v6.11")
        // A family whose first release is not recorded gets the upper bound v6.1 (vanilla v6.1.0
        // had every row but 63-65, 85-91, 93-102 and 132), never the stable tree's version.
        let unknown = try #require(entries.first { $0.family == "82576" })
        #expect(unknown.kernel.since == "<=v6.1")
        #expect(unknown.kernel.note?.contains("First mainline release not recorded; vanilla v6.1 has it") == true)
        #expect(spt.kernel.since == "v4.7")
        #expect(spt.kernel.note?.contains("1bf2bf229b64") == true)
        let notInV61: Set<Int> = Set(63...65).union(85...91).union(93...102).union([132])
        for e in entries {
            let since = try #require(e.kernel.since.flatMap(KernelRelease.init), "\(e.family)")
            #expect(since.sublevel == nil, "\(e.family): \(since)")
            let rows = Set(e.kernel.table.map(\.row))
            if since.upperBound {
                #expect(since.mainline == "v6.1" && rows.isDisjoint(with: notInV61), "\(e.family)")
            }
            // Rows vanilla v6.1 lacked all have a recorded release after v6.1.
            if !rows.isDisjoint(with: notInV61) {
                #expect(!since.upperBound && (since.major, since.minor) > (6, 1), "\(e.family): \(since)")
            }
        }
    }

    /// The line of a `.tree` error.
    static func line(_ e: KernelOutputError) -> Int? {
        if case let .tree(loc, _) = e { return loc.line }
        return nil
    }

    @Test func missingTreeAndMissingTableAreClearErrors() throws {
        #expect(throws: KernelOutputError.self) { try KernelImporter.importTree("/nonexistent/tree") }
        do {
            _ = try KernelImporter.importTree("/nonexistent/tree")
        } catch {
            #expect(error.description == "/nonexistent/tree/drivers/pci/quirks.c: cannot read: no such file or directory (is /nonexistent/tree a kernel tree?)")
        }
        try withTemporaryDirectory("fake-tree") { dir in
            let fm = FileManager.default
            for p in ["drivers/pci", "include/linux"] {
                try fm.createDirectory(at: dir.appendingPathComponent(p), withIntermediateDirectories: true)
            }
            try Data("VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 0\nEXTRAVERSION =\n".utf8).write(to: dir.appendingPathComponent("Makefile"))
            try Data("#define PCI_VENDOR_ID_INTEL\t\t0x8086\n".utf8).write(to: dir.appendingPathComponent("include/linux/pci_ids.h"))
            let quirks = dir.appendingPathComponent("drivers/pci/quirks.c")
            try Data("static int x(void) { return 0; }\n".utf8).write(to: quirks)
            #expect(throws: KernelOutputError.self) { try KernelImporter.importTree(dir.path) }
            do { _ = try KernelImporter.importTree(dir.path) } catch let error as KernelOutputError {
                #expect(error.description.hasSuffix("quirks.c: the table 'pci_dev_acs_enabled[] = {' was not found"))
            }
            // A malformed row is reported with its line.
            let bad = """
                static int f(struct pci_dev *dev, u16 acs_flags) { return 1; }
                static const struct pci_dev_acs_enabled {
                \tu16 vendor;
                } pci_dev_acs_enabled[] = {
                \t{ PCI_VENDOR_ID_INTEL, 0x10C6, f },
                \t{ PCI_VENDOR_ID_INTEL, 0x10C6 f },
                \t{ 0 }
                };

                """
            try Data(bad.utf8).write(to: quirks)
            do { _ = try KernelImporter.importTree(dir.path); Issue.record("no error") } catch let error as KernelOutputError {
                #expect(Self.line(error) == 6)
                #expect(error.description.contains("quirks.c:6: a table row must be"))
            }
            // An unknown macro names the row's line.
            try Data(bad.replacingOccurrences(of: "0x10C6 f", with: "PCI_DEVICE_ID_NOPE, f").utf8).write(to: quirks)
            do { _ = try KernelImporter.importTree(dir.path); Issue.record("no error") } catch let error as KernelOutputError {
                #expect(Self.line(error) == 6)
                #expect(error.description.contains("PCI_DEVICE_ID_NOPE"))
            }
            // A well-formed minimal tree imports: the unknown family is grouped automatically.
            try Data(bad.replacingOccurrences(of: "0x10C6 f", with: "0x10C7, f").utf8).write(to: quirks)
            let r = try KernelImporter.importTree(dir.path)
            #expect(r.kernelVersion == "6.99")
            #expect(r.entries.count == 1)
            #expect(r.entries.first?.devices == [.id(0x10c6), .id(0x10c7)])
            // A mainline tree bounds the unknown family's first release from above ...
            #expect(r.entries.first?.kernel.since == "<=v6.99")
            #expect(r.entries.first?.kernel.note?.contains("First mainline release not recorded; v6.99 has it.") == true)
            // ... a stable tree does not (it may carry back-ports): no since, and lint says so.
            try Data("VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 7\nEXTRAVERSION =\n".utf8).write(to: dir.appendingPathComponent("Makefile"))
            let stable = try KernelImporter.importTree(dir.path)
            #expect(stable.kernelVersion == "6.99.7")
            let e = try #require(stable.entries.first)
            #expect(e.kernel.since == nil)
            #expect(e.kernel.note?.contains("present in stable 6.99.7, which may carry back-ports") == true)
            let yaml = RegistryWriter.yaml(e)
            let (loaded, diags) = Registry.load(yaml: yaml, path: RegistryWriter.path(for: e, root: "quirks"))
            #expect(!diags.hasErrors)
            let lint = Linter.check([try #require(loaded)], options: LintOptions(vendorName: nil))
            #expect(lint.map(\.rule).contains("upstream-incomplete"))
        }
    }
}
