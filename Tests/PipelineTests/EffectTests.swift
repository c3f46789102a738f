import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

/// The kernel's groups of a fixture as a partition.
func partition(_ fixture: String) throws -> [[PCIAddress]] {
    partition(try Fixtures.groups(fixture))
}

@Suite struct CheckEffectTests {
    @Test func newEntryFromTheDevicePredictsTheKernelsSplit() async throws {
        // new -> fill the TODOs -> lint clean -> the what-if of the entry is what the kernel did
        // when QEMU's 8086:10d3 was quirked (qemu-quirk/f-8086-10d3).
        let dir = try Fixtures.temporaryDirectory("new-split")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fs = try functions("qemu/f-quirk/dump.txt")
        let s = try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: fs,
                                             names: .pciIDs(PCINameDatabase.shared!), registry: committedRegistry(),
                                             root: dir.appendingPathComponent("quirks").path, sourceLabel: "dump.txt")
        try EntryScaffolder.write(s)
        try fillTODOs(s.yaml).write(toFile: s.entryPath, atomically: true, encoding: .utf8)
        let lint = Registry.lint(paths: [quirksFolder, s.entryPath], options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
        #expect(lint.diagnostics.isEmpty, "\(lint.diagnostics.map(\.description))")
        let mine = try #require(lint.entries.first { $0.path == s.entryPath })

        let upstream = lint.entries.map(\.entry).filter { $0.kernel.status == .upstream }
        let table = QuirkTable(entries: upstream).consultingFirst([mine.entry])
        let expected = try partition("qemu-quirk/f-8086-10d3/groups.txt")
        // On the dump the entry was made from, and on the dump of the re-enumerated kernel.
        for dump in ["qemu/f-quirk/dump.txt", "qemu-quirk/f-8086-10d3/dump.txt"] {
            let p = GroupPredictor.predict(try functions(dump), quirks: table)
            #expect(p.partition == expected, "\(dump)")
        }
        // Without it, the kernel's own groups of f-quirk (the e1000e functions together).
        let before = GroupPredictor.predict(fs, quirks: QuirkTable(entries: upstream))
        #expect(before.partition == (try partition("qemu/f-quirk/groups.txt")))

        // The check says the same in words.
        let r = RegistryCheck.run(functions: fs, entries: lint.entries, source: "f-quirk")
        let c = r.checks.filter { $0.path == s.entryPath }
        #expect(c.map(\.effect) == Array(repeating: ["splits group 4 {01:00.0 01:00.1} into group 4 {01:00.0}, group 5 {01:00.1}"], count: 2))
        #expect(c.allSatisfy { $0.answer?.hasPrefix("isolated") == true })
        #expect(r.findings.filter { $0.path == s.entryPath }.map(\.rule) == ["effect"])
        #expect(!r.uncovered.contains { $0.id == "8086:10d3" })

        // Checking only the new file, with the committed registry as the kernel's table: the same
        // answers, and no report on the upstream entries.
        let one = RegistryCheck.run(functions: fs, entries: [mine], context: try committedRegistry(), source: "f-quirk")
        #expect(one.checks == c)
        #expect(one.entries == lint.entries.count && one.upstreamEntries == 33)
        #expect(one.uncovered == r.uncovered)
        guard let cli = try await acsquirk(["check", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"), s.entryPath]) else { return }
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.hasPrefix("acsquirk check: dump.txt, kernel 7.3\n\n\(s.entryPath):"))
        #expect(cli.stdout.contains("effect: splits group 4 {01:00.0 01:00.1} into group 4 {01:00.0}, group 5 {01:00.1}"))
        // A dump is not this machine: its findings say "in this dump".
        guard let gh = try await acsquirk(["check", "--format", "github", "--dump", Fixtures.path("qemu/f-quirk/dump.txt"),
                                           s.entryPath]) else { return }
        #expect(gh.stdout.contains("in this dump the entry splits group 4"), "\(gh.stdout)")
        #expect(!gh.stdout.contains("on this machine"), "\(gh.stdout)")
        let dumpReport = RegistryCheck.run(functions: fs, entries: [mine], context: try committedRegistry(), source: "f-quirk",
                                           options: CheckOptions(dump: "dump.txt"))
        #expect(dumpReport.findings.contains { $0.message.hasPrefix("in this dump the entry splits") })
        #expect(r.findings.contains { $0.message.hasPrefix("on this machine the entry splits") })
    }

    @Test func devicesWithoutAnEntryNameTheDeviceAtFault() throws {
        // f-quirk without an e1000e entry: both multifunction endpoints share a group for want of ACS.
        let r = try check("qemu/f-quirk/dump.txt", [])
        let byID = Dictionary(grouping: r.uncovered, by: \.id)
        let e1000e = try #require(byID["8086:10d3"]?.first)
        #expect(e1000e.bdf == "0000:01:00.0" && e1000e.sharedWith == ["0000:01:00.1"])
        #expect(e1000e.reason == "multifunction endpoint without ACS and no quirk for 8086:10d3")
        #expect(e1000e.suggestion.contains("(an entry of kind no-peer-to-peer: acsquirk new --device 0000:01:00.0)"))
        // Checking a dump, the suggested command reads the same dump (it scaffolded from this
        // machine instead); a path with spaces or quotes stays one shell word.
        for (dump, word) in [("qemu/f-quirk/dump.txt", "qemu/f-quirk/dump.txt"), ("/tmp/my dumps/it's.txt", "'/tmp/my dumps/it'\\''s.txt'")] {
            let d = try check("qemu/f-quirk/dump.txt", [], options: CheckOptions(dump: dump))
            let s = try #require(d.uncovered.first { $0.id == "8086:10d3" }).suggestion
            #expect(s.contains("(an entry of kind no-peer-to-peer: acsquirk new --dump \(word) --device 0000:01:00.0)"), "\(s)")
        }
        #expect(byID["1b36:0010"]?.first?.sharedWith == ["0000:02:00.1"])
        // Root ports with ACS (00:01.0, 00:02.0) are never at fault.
        #expect(!r.uncovered.contains { $0.id == "1b36:000c" })
        #expect(r.findings.filter { $0.rule == "no-entry" }.count == r.uncovered.count)

        // Ivy Bridge laptop: the CPU's PEG root port has no ACS and no quirk, so the dGPU shares
        // its group (NOTES.md); the PCH root ports are covered by the PCH entry and not listed.
        let ivb = try check("machines/ivb-latitude-e6430-nvs5200m/dump.txt", [])
        let peg = try #require(ivb.uncovered.first { $0.bdf == "0000:00:01.0" })
        #expect(peg.id == "8086:0151" && peg.kind == "root port")
        #expect(peg.sharedWith == ["0000:01:00.0"])
        #expect(peg.suggestion.contains("ports-isolated"))
        #expect(!ivb.uncovered.contains { ["8086:1e10", "8086:1e12", "8086:1e14", "8086:1e16", "8086:1e1a"].contains($0.id) })
    }

    @Test func acsThatIsOnlyOffInTheDumpNeedsNoEntry() throws {
        // x99 QD4: the CPU root ports and the Navi switch's downstream port have ACS, but the dump
        // was taken without an IOMMU (Control 0).
        let dump = "machines/x99-huananzhi-qd4-navi23/dump.txt"
        let off = try check(dump, [])
        let rp = try #require(off.uncovered.first { $0.bdf == "0000:00:02.0" })
        #expect(!rp.needsEntry && !rp.conventional)
        #expect(rp.reason == "root port 8086:2f04 has ACS but does not enable SV, RR, CR, UF")
        #expect(rp.suggestion.hasPrefix("no entry needed"))
        #expect(off.findings.first { $0.bdf == "0000:00:02.0" }?.rule == "acs-disabled")
        #expect(off.uncovered.filter { !$0.needsEntry }.map(\.bdf) == ["0000:00:01.0", "0000:00:01.1", "0000:00:02.0", "0000:04:00.0"])
        // The Xeon uncore functions share groups because they are conventional PCI.
        #expect(off.uncovered.filter(\.needsEntry).allSatisfy { $0.conventional })
        let on = try check(dump, [], options: CheckOptions(system: LinuxSystem(assumeIOMMU: true)))
        #expect(on.uncovered.allSatisfy { $0.needsEntry })
        #expect(on.uncovered.map(\.bdf) == off.uncovered.filter(\.needsEntry).map(\.bdf))
    }

    @Test func pchEntrySplitsTheRootPortsUnlessTheWorkaroundFails() throws {
        let dump = "machines/ivb-latitude-e6430-nvs5200m/dump.txt"
        let ok = try check(dump, [])
        let pch = ok.checks.filter { $0.path.hasSuffix("intel/pch-root-ports.yaml") }
        #expect(pch.allSatisfy { $0.kernel == "row 67 (pci_quirk_intel_pch_acs, Intel PCH root ports) answers isolated" })
        #expect(pch.allSatisfy { $0.effect.first?.hasPrefix("splits group 8 {00:1c.0 00:1c.1 00:1c.2 00:1c.3 00:1c.5") == true })
        #expect(pch.allSatisfy { $0.conditions.contains { $0.actual == "succeeds: RCBA enabled in the LPC bridge 00:1f.0" } })

        let failing = try check(dump, [], options: CheckOptions(system: LinuxSystem(pchWorkaroundFails: true)))
        let pchFail = failing.checks.filter { $0.path.hasSuffix("intel/pch-root-ports.yaml") }
        #expect(pchFail.count == 5)
        #expect(pchFail.allSatisfy { $0.answer?.hasPrefix("not-isolated") == true })
        #expect(pchFail.allSatisfy { $0.effect == ["changes no IOMMU group on this machine: its quirk answers not-isolated for this device"] })
        #expect(!failing.hasContradictions)
    }

    @Test func upstreamRowShadowedByAnEarlierRow() throws {
        // An upstream pci_quirk_mf_endpoint_acs row for 8086:10d3 after Intel's RCiEP row 60: on
        // e-rciep the e1000e functions are RCiEPs, so row 60 answers first.
        let yaml = """
            schema: 1
            vendor: 0x8086
            vendor-name: Intel
            family: 82574L
            devices: [0x10d3]
            isolation:
              kind: no-peer-to-peer
              acs-equivalent: [SV, TB, RR, CR, UF, DT]
            evidence:
              statement: Intel verified that the functions of the 82574L never perform peer-to-peer with each other.
            kernel:
              status: upstream
              function: pci_quirk_mf_endpoint_acs
              since: v7.0
              table:
                - {row: 133, device: 0x10d3, vendor-macro: PCI_VENDOR_ID_INTEL}

            """
        let e = try entry(yaml, path: "quirks/intel/82574l.yaml")
        let r = try check("qemu/e-rciep/dump.txt", [e])
        let shadowed = r.findings.filter { $0.rule == "shadowed" }
        #expect(shadowed.map(\.bdf) == ["0000:00:03.0", "0000:00:06.0", "0000:00:06.1"])
        #expect(shadowed.allSatisfy { $0.severity == .warning && $0.line == 16 })
        #expect(shadowed.first?.message.contains("kernel row 60 (pci_quirk_rciep_acs, Intel RCiEP) answers isolated before this entry's row 133") == true)
        // On f-quirk (endpoints, not RCiEPs) row 133 is the one that decides: nothing shadows it.
        let f = try check("qemu/f-quirk/dump.txt", [e])
        #expect(f.findings.filter { $0.rule == "shadowed" }.isEmpty)
        #expect(f.checks.filter { $0.path == "quirks/intel/82574l.yaml" }.allSatisfy {
            $0.kernel == "row 133 (pci_quirk_mf_endpoint_acs, Intel 82574L) answers isolated" })
    }

    @Test func newEntryTheKernelAlreadyAnswers() throws {
        // A new RCiEP entry for the e1000e: Intel's RCiEP row already isolates Intel RCiEPs.
        let yaml = e1000eEntryYAML.replacingOccurrences(of: "port-type: endpoint", with: "port-type: rciep")
        let e = try entry(yaml, path: e1000eEntryPath)
        let r = try check("qemu/e-rciep/dump.txt", [e])
        let f = r.findings.filter { $0.path == e1000eEntryPath }
        #expect(f.filter { $0.rule == "already-answered" }.map(\.bdf) == ["0000:00:06.0", "0000:00:06.1"])
        #expect(f.filter { $0.rule == "already-answered" }.allSatisfy { $0.severity == .warning })
        // 00:03.0 is single-function: the entry's multifunction condition excludes it.
        #expect(f.filter { $0.rule == "multifunction" }.map(\.bdf) == ["0000:00:03.0"])
        #expect(r.checks.filter { $0.path == e1000eEntryPath && $0.bdf.hasSuffix("06.0") }.first?.effect.first?
                    .hasPrefix("changes no IOMMU group on this machine") == true)
    }
}

/// An Intel Sunrise Point root port (8086:a110) built from QEMU's root port 00:01.0 of
/// a-rootports: the same config space with the IDs changed and the ACS registers laid out as
/// the erratum has them (Capability dword at +4, Control dword at +8).
func sunrisePointDump(control: ACSFlags) throws -> [PCIFunction] {
    var fs = try functions("qemu/a-rootports/dump.txt")
    let i = try #require(fs.firstIndex { $0.address == PCIAddress("00:01.0")! })
    var c = fs[i].config
    let acs = try #require(c.findExtendedCapability(PCI_EXT_CAP_ID_ACS))
    #expect(c.u32(acs + 8) == 0)  // free space after QEMU's 8-byte capability
    c.set16(0x00, 0x8086)
    c.set16(0x02, 0xa110)
    c.set32(acs + 4, UInt32(ACSFlags.linuxRequired.rawValue))
    c.set32(acs + 8, UInt32(control.rawValue))
    fs[i].config = c
    fs[i].names = nil
    return fs
}

@Suite struct CheckErratumTests {
    @Test func sunrisePointRegistersAreDecodedAsDwords() throws {
        let fs = try sunrisePointDump(control: .linuxRequired)
        let r = RegistryCheck.run(functions: fs, entries: try committedRegistry(), source: "spt")
        let c = try #require(r.checks.first { $0.path.hasSuffix("intel/spt-pch-root-ports.yaml") })
        #expect(c.bdf == "0000:00:01.0")
        #expect(c.acs == "ACS at 0x148 read with the intel-spt-dword layout: cap SV|RR|CR|UF, ctl SV|RR|CR|UF (lspci's standard decode: cap SV|RR|CR|UF, ctl none)")
        #expect(c.answer?.hasPrefix("isolated") == true)
        #expect(c.kernel == "row 68 (pci_quirk_intel_spt_pch_acs, Intel SPT PCH root ports) answers isolated")
        let f = r.findings.filter { $0.rule == "acs-erratum" }
        #expect(f.count == 1 && f[0].severity == .note)
        // Not an "overrides a real capability" warning: the erratum quirk reads the real registers.
        #expect(r.findings.filter { $0.rule == "overrides-acs" }.isEmpty)
    }

    @Test func sunrisePointControlNotEnabled() throws {
        // Control 0: a dump taken without an IOMMU; with --assume-iommu Linux's enable op is modelled.
        let fs = try sunrisePointDump(control: [])
        let r = RegistryCheck.run(functions: fs, entries: try committedRegistry(), source: "spt")
        let w = try #require(r.findings.first { $0.rule == "acs-erratum" })
        #expect(w.severity == .warning)
        #expect(w.message.hasSuffix("Control does not enable SV|RR|CR|UF (a dump taken without an IOMMU? --assume-iommu models what Linux enables)"))
        #expect(r.checks.first { $0.path.hasSuffix("spt-pch-root-ports.yaml") }?.answer?.hasPrefix("not-isolated") == true)

        let assumed = RegistryCheck.run(functions: fs, entries: try committedRegistry(), source: "spt",
                                        options: CheckOptions(system: LinuxSystem(assumeIOMMU: true)))
        #expect(assumed.findings.first { $0.rule == "acs-erratum" }?.severity == .note)
        #expect(assumed.checks.first { $0.path.hasSuffix("spt-pch-root-ports.yaml") }?.answer?.hasPrefix("isolated") == true)
    }
}
