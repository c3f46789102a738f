import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Testing
import TestSupport

/// lspci -vvv text as input: the groups predicted from the text equal the groups predicted from the
/// hex dump of the same machine, the kernel's groups where they were recorded, and stay the same
/// however the text was pasted (spaces for tabs, no indentation, CRLF, without -nn or -D).
@Suite struct TextInputTests {
    static func partition(_ functions: [PCIFunction], kernel: KernelProfile = .v6_12) throws -> [[PCIAddress]] {
        GroupPredictor.predict(functions, quirks: try KernelTable.committedTable.get(), system: LinuxSystem(kernel: kernel)).partition
    }

    static func readText(_ text: String, name: String = "pasted.txt") throws -> PCIReadResult {
        let dir = try Fixtures.temporaryDirectory("acsquirk-text")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try PCIReader.load(.dump(path: path), names: false)
    }

    /// Every fixture with both a hex dump and lspci's text of it.
    static var pairs: [String] {
        (Fixtures.qemuTopologies.map { "qemu/\($0)" } + ["qemu-quirk/f-1b36-0010", "qemu-quirk/f-8086-10d3"]
            + Fixtures.machines.map { "machines/\($0)" })
            .filter { FileManager.default.fileExists(atPath: Fixtures.path("\($0)/vvv.txt")) }
    }

    /// Fixtures whose text names devices without IDs (no -nn), with names from a pci.ids other than
    /// ours, so the IDs cannot be told: the text is refused with the lines, never guessed.
    static let refusedNames: Set<String> = [
        "machines/arm-rk3399-asm1184e-gk106", "machines/ich7m-netbook-vc-rcl", "machines/ppc64le-talos2-power9-phb4",
        "machines/snb-h67-pcie-pci-bridge-saa7134",
    ]

    @Test(arguments: pairs)
    func textGivesTheGroupsOfTheHexDump(_ fixture: String) throws {
        let hex = try PCIReader.load(.dump(path: Fixtures.path("\(fixture)/dump.txt")), names: false)
        #expect(hex.format == .hexDump)
        if Self.refusedNames.contains(fixture) {
            let e = #expect(throws: PCIAccessError.self) {
                try PCIReader.load(.dump(path: Fixtures.path("\(fixture)/vvv.txt")), names: false)
            }
            // Each refusal names the file, the line and the name that is not in pci.ids.
            for d in e?.diagnostics ?? [] where d.severity == .error {
                #expect(d.line != nil && d.message.contains("cannot tell the IDs"), "\(d)")
            }
            #expect(e?.message.contains("vvv.txt:") == true)
            return
        }
        let text = try PCIReader.load(.dump(path: Fixtures.path("\(fixture)/vvv.txt")), names: false)
        #expect(text.format == .lspciText)
        #expect(text.assumptions.first?.kind == .rebuiltFromText)
        #expect(try Self.partition(text.functions) == Self.partition(hex.functions), "\(fixture)")
        // The same functions, IDs and port types.
        let t = text.functions.filter { !$0.isAllOnes }, h = hex.functions.filter { !$0.isAllOnes }
        #expect(t.map(\.address) == h.map(\.address))
        // IDs, except where the text names a device pci.ids knows under several IDs (said in an assumption).
        let ambiguous = Set(text.assumptions.filter { $0.kind == .ambiguousName }.flatMap(\.functions))
        #expect(t.filter { !ambiguous.contains($0.address) }.map(\.idString) == h.filter { !ambiguous.contains($0.address) }.map(\.idString))
        #expect(t.map(\.portType) == h.map(\.portType))
    }

    @Test(arguments: Fixtures.qemuTopologies)
    func qemuTextGivesTheKernelsGroups(_ topo: String) throws {
        let text = try PCIReader.load(.dump(path: Fixtures.path("qemu/\(topo)/vvv.txt")), names: false)
        let kernel = try Fixtures.groups("qemu/\(topo)/groups.txt")
        let expected = TestSupport.partition(kernel)
        #expect(try Self.partition(text.functions) == expected)
        // The text carries the kernel's own groups (`IOMMU group:` lines), as groups compares them.
        #expect(text.recorded?.iommuGroups == kernel)
        let p = GroupPredictor.predict(text.functions, quirks: try KernelTable.committedTable.get(), system: LinuxSystem(kernel: .v6_12))
        let report = GroupsReport(prediction: p, source: "vvv.txt",
                                  live: LiveGroups(groups: text.recorded!.iommuGroups, iommuActive: true, recordedIn: "lspci text"))
        #expect(report.live?.partitionMatches == true && report.live?.numbersMatch == true)
        #expect(!report.isFinding)
    }

    /// The quirk fixtures were booted on a kernel with one more quirk: the text gives the kernel's
    /// groups with that quirk added, as the dump does.
    @Test(arguments: [("f-1b36-0010", UInt16(0x1b36), UInt16(0x0010)), ("f-8086-10d3", 0x8086, 0x10d3)])
    func quirkTextGivesTheKernelsGroups(_ folder: String, _ vendor: UInt16, _ device: UInt16) throws {
        let text = try PCIReader.load(.dump(path: Fixtures.path("qemu-quirk/\(folder)/vvv.txt")), names: false)
        let kernel = try Fixtures.groups("qemu-quirk/\(folder)/groups.txt")
        let p = try predict("qemu-quirk/\(folder)/vvv.txt", kernel: .v6_12, extra: [WhatIf.mfEndpointQuirk(vendor: vendor, device: device)])
        #expect(p.partition == TestSupport.partition(kernel))
        #expect(text.recorded?.iommuGroups == kernel)
    }

    /// The oracle's cases (kernel parameters, SR-IOV VFs; 6.12, 6.1 and 5.10): every `vvv.txt`
    /// gives the functions, IDs, port types and groups of the `dump.txt` beside it, on the
    /// kernel profile closest to the one booted. VFs: lspci shows the IDs sysfs has, the dump the
    /// FFFFh VFs read; the text is rebuilt as the dump (an assumption names each VF and its PF).
    /// The `IOMMU group:` lines equal groups.txt (none when the case switched the IOMMU off).
    @Test(arguments: Fixtures.oracleCases)
    func oracleTextGivesTheGroupsOfItsDump(_ c: OracleCase) throws {
        let hex = try PCIReader.load(.dump(path: Fixtures.path(c.file("dump.txt"))), names: false)
        let text = try PCIReader.load(.dump(path: Fixtures.path(c.file("vvv.txt"))), names: false)
        #expect(text.format == .lspciText)
        let profile = try #require(KernelProfile.closest(toRelease: c.kernel))
        #expect(try Self.partition(text.functions, kernel: profile) == Self.partition(hex.functions, kernel: profile))
        #expect(text.functions.map(\.address) == hex.functions.map(\.address))
        #expect(text.functions.map(\.idString) == hex.functions.map(\.idString))
        #expect(text.functions.map(\.portType) == hex.functions.map(\.portType))
        // Header type bit 7 of function 0 (the kernel takes every function > 0 as multifunction,
        // pci_scan_slot): inferred from the other functions of the slot, as the dump has it.
        func mf(_ r: PCIReadResult) -> [Bool?] { r.functions.filter { $0.address.function == 0 }.map { $0.headerType?.multifunction } }
        #expect(mf(text) == mf(hex))
        let kernel = try Fixtures.groups(c.file("groups.txt"))
        #expect(text.recorded?.iommuGroups ?? [:] == kernel)
        // VFs named in an assumption are exactly those the PF's SR-IOV capability says (sriov.txt).
        let vfs = Set(text.assumptions.filter { $0.kind == .virtualFunctions }.flatMap(\.functions))
        #expect(vfs == Set(hex.functions.filter { $0.isAllOnes }.map(\.address)))
        #expect((c.set == "qemu-sriov" && c.name != "default") == !vfs.isEmpty)
    }

    /// The oracle's default boots (no parameter, no VF) on 6.12 and 6.1: the text gives the
    /// kernel's groups. (5.10 has no profile of its own, and kernel parameters and VFs are
    /// issue #12's; those cases are held to their dump above.)
    @Test(arguments: Fixtures.oracleCases.filter { $0.name == "default" && $0.kernel != "5.10" })
    func oracleDefaultTextGivesTheKernelsGroups(_ c: OracleCase) throws {
        let text = try PCIReader.load(.dump(path: Fixtures.path(c.file("vvv.txt"))), names: false)
        let profile = try #require(KernelProfile.closest(toRelease: c.kernel))
        #expect(try Self.partition(text.functions, kernel: profile) == TestSupport.partition(try Fixtures.groups(c.file("groups.txt"))))
    }

    /// What forum pastes and mail clients do to lspci's text.
    static func variants(_ text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        out.append(("tabs as 8 spaces", text.replacingOccurrences(of: "\t", with: "        ")))
        out.append(("tabs as 4 spaces", text.replacingOccurrences(of: "\t", with: "    ")))
        out.append(("tabs as 1 space", text.replacingOccurrences(of: "\t", with: " ")))
        out.append(("no indentation", text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0.drop { $0 == "\t" || $0 == " " }) }.joined(separator: "\n")))
        out.append(("indented code block", text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "    " + $0 }.joined(separator: "\n")))
        out.append(("CRLF", text.replacingOccurrences(of: "\n", with: "\r\n")))
        out.append(("no final newline", String(text.dropLast())))
        out.append(("prompt and tool chatter", "$ sudo lspci -vvvnnD\nlspci: Unable to load libkmod resources: error -2\n" + text))
        // Without -D: lspci prints no domain when every function is in domain 0.
        out.append(("without -D", text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("0000:") ? String(line.dropFirst(5)) : String(line)
        }.joined(separator: "\n")))
        return out
    }

    @Test(arguments: ["qemu/b-switch", "qemu/d-pci-bridge", "qemu/c-mf-endpoint", "qemu/e-rciep"])
    func pastedTextGivesTheSameGroups(_ fixture: String) throws {
        let original = try Fixtures.text("\(fixture)/vvv.txt")
        let expected = try Self.partition(try Self.readText(original).functions)
        for (what, text) in Self.variants(original) {
            let r = try Self.readText(text)
            #expect(r.format == .lspciText, "\(what)")
            #expect(try Self.partition(r.functions) == expected, "\(fixture): \(what)")
            #expect(r.functions.map(\.config) == (try Self.readText(original).functions.map(\.config)), "\(fixture): \(what)")
        }
    }

    /// Every dump in Tests/Fixtures as the real lspci prints it (`lspci -F dump -vvv`, names only;
    /// `-vvvnn`; `-vvvnnD`; `-vvvxxx`): the text gives the groups of the dump itself. Without -nn the
    /// IDs come from the names through pci.ids (the file lspci used), said in an assumption; a name
    /// pci.ids gives to several IDs is said too and left out of the ID comparison.
    @Test(arguments: (Fixtures.qemuTopologies.map { "qemu/\($0)" } + Fixtures.machines.map { "machines/\($0)" }))
    func lspciTextOfEveryDumpGivesItsGroups(_ fixture: String) async throws {
        let dumpPath = Fixtures.path("\(fixture)/dump.txt")
        let hex = try PCIReader.load(.dump(path: dumpPath), names: false)
        let expected = try Self.partition(hex.functions)
        for flags in ["-vvv", "-vvvnn", "-vvvnnD", "-vvvxxx"] {
            let r = try await runTool("lspci", ["-F", dumpPath, flags])
            #expect(r.status == 0, "lspci \(flags): \(r.stderr)")
            let text = try Self.readText(r.stdout)
            #expect(text.format == .lspciText, "\(fixture) \(flags)")
            #expect(try Self.partition(text.functions) == expected, "\(fixture) lspci \(flags)")
            let ambiguous = Set(text.assumptions.filter { $0.kind == .ambiguousName }.flatMap(\.functions))
            let t = text.functions.filter { !$0.isAllOnes && !ambiguous.contains($0.address) }
            let h = hex.functions.filter { !$0.isAllOnes && !ambiguous.contains($0.address) }
            #expect(t.map(\.idString) == h.map(\.idString), "\(fixture) lspci \(flags)")
            #expect(t.map(\.portType) == h.map(\.portType), "\(fixture) lspci \(flags)")
            if flags == "-vvv", fixture.hasPrefix("qemu/") { #expect(text.assumptions.contains { $0.kind == .idsFromNames }) }
        }
    }

    /// `lspci -vvvx`: the first 64 bytes in hex are used as they are (the real multifunction bit
    /// included), the rest still comes from the decode.
    @Test func hexPiecesAreUsedAsTheyAre() throws {
        let text = try Fixtures.text("qemu/c-mf-endpoint/vvv.txt")
        let dump = try PCIReader.load(.dump(path: Fixtures.path("qemu/c-mf-endpoint/dump.txt")), names: false)
        // After each device's decode, its first 64 bytes as `lspci -x` prints them.
        var out: [String] = []
        var current: PCIAddress?
        func hexLines(_ a: PCIAddress) -> [String] {
            guard let f = dump.functions.first(where: { $0.address == a }) else { return [] }
            return stride(from: 0, to: 64, by: 16).map { off in
                hex(off, width: 2) + ":" + (off..<off + 16).map { " " + hex(f.config.bytes[$0], width: 2) }.joined()
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty, let c = current { out += hexLines(c); current = nil }
            if let first = line.split(separator: " ").first, let a = PCIAddress(first) { current = a }
            out.append(String(line))
        }
        let r = try Self.readText(out.joined(separator: "\n"))
        #expect(r.assumptions.contains { $0.kind == .hexBytes })
        #expect(!r.assumptions.contains { $0.kind == .multifunction })
        for f in r.functions {
            let d = try #require(dump.functions.first { $0.address == f.address })
            #expect(Array(f.config.bytes[0..<64]) == Array(d.config.bytes[0..<64]), "\(f.address)")
        }
        #expect(try Self.partition(r.functions) == Self.partition(dump.functions))
    }

    /// The multifunction bit the text cannot show is stated only for the types whose isolation
    /// `pci_acs_enabled()` decides by it (`pciACSEnabledReadsMultifunction`): an endpoint alone
    /// in its slot is listed; the same function as a root complex event collector (never
    /// isolated, single-function or not) is not.
    @Test func theHiddenMultifunctionBitIsStatedOnlyWherePciAcsEnabledReadsIt() throws {
        let text = try Fixtures.text("qemu/a-rootports/vvv.txt")
        let listed = try #require(try Self.readText(text).assumptions.first { $0.kind == .multifunction }).functions
        let endpoint = try #require(listed.first)
        let blocks = text.components(separatedBy: "\n\n").map { block -> String in
            guard let first = block.split(separator: " ").first, PCIAddress(first) == endpoint else { return block }
            return block.replacing(/Express \((v\d)\) Endpoint/) { "Express (\($0.output.1)) " + PCIExpressPortType.rcEventCollector.lspciName }
        }
        #expect(blocks.joined(separator: "\n\n") != text)
        let r = try Self.readText(blocks.joined(separator: "\n\n"))
        #expect(r.functions.first { $0.address == endpoint }?.portType == .rcEventCollector)
        let after = r.assumptions.first { $0.kind == .multifunction }?.functions ?? []
        #expect(!after.contains(endpoint) && Set(after) == Set(listed).subtracting([endpoint]), "\(after)")
    }

    /// Every real report from linuxhw/LsPCI (Tests/Fixtures/lspci-reports/README.md) whose text
    /// carries the kernel's IOMMU groups: the prediction from the text gives the kernel's partition (the
    /// AMD IOMMU's own function and, on Phoenix, the root complex, which the kernel puts in no
    /// group, aside). The Framework 13 report shows no extended capability at all (ACS unknown,
    /// taken as absent): its kernel merged the GPP bridges as the text-only prediction does.
    @Test(arguments: reportsWithGroups(fromRoot: true))
    func publicReportsGiveTheKernelsGroups(_ name: String) throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/\(name)")), names: false)
        let recorded = try #require(r.recorded)
        #expect(recorded.iommuActive && !recorded.iommuGroups.isEmpty)
        let p = GroupPredictor.predict(r.functions, quirks: try KernelTable.committedTable.get(), system: LinuxSystem(kernel: .v6_12))
        let report = GroupsReport(prediction: p, source: name,
                                  live: LiveGroups(groups: recorded.iommuGroups, iommuActive: true, recordedIn: "lspci text"))
        let live = try #require(report.live)
        #expect(live.partitionMatches, "\(report.liveText())")
        #expect(live.unknown.isEmpty)
    }

    /// The public reports whose text carries the kernel's IOMMU groups, from a run as root (every
    /// capability readable) or without root (`Capabilities: <access denied>`).
    static func reportsWithGroups(fromRoot: Bool) -> [String] {
        Fixtures.lspciReports.filter { name in
            guard let text = try? Fixtures.text("lspci-reports/\(name)"), text.contains("\tIOMMU group: ") else { return false }
            return text.contains("<access denied>") != fromRoot
        }
    }

    /// The same reports from a run without root: no capability can be read (not even the PCI
    /// Express one), so port types and ACS are taken as absent and the assumption says so.
    /// Taking ACS as absent can only merge what the kernel isolated, never split a kernel group:
    /// every group the kernel formed lies inside one predicted group.
    @Test(arguments: reportsWithGroups(fromRoot: false))
    func reportsWithoutRootMergeButNeverSplitTheKernelsGroups(_ name: String) throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/\(name)")), names: false)
        #expect(r.assumptions.contains { $0.kind == .accessDenied })
        let recorded = try #require(r.recorded)
        let p = GroupPredictor.predict(r.functions, quirks: try KernelTable.committedTable.get(), system: LinuxSystem(kernel: .v6_12))
        let predicted = p.numberByAddress
        for group in LiveGroups.partition(recorded.iommuGroups) {
            let numbers = Set(group.compactMap { predicted[$0] })
            #expect(numbers.count <= 1, "\(name): the kernel's group \(group.map(\.description)) is split by the prediction")
        }
    }

    /// Without root lspci shows only the 64-byte header: whether a function has a PCI Express
    /// capability is unknown, so `--explain` must not call it "conventional PCI" (what the 64
    /// bytes cannot tell) but say its type is unknown and why; a function whose type the input
    /// does show keeps its type word (a host bridge with `Status: Cap-` is conventional PCI).
    @Test(arguments: reportsWithGroups(fromRoot: false))
    func reportsWithoutRootSayTheTypeIsUnknown(_ name: String) throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/\(name)")), names: false)
        let p = GroupPredictor.predict(r.functions, quirks: try KernelTable.committedTable.get(), system: LinuxSystem(kernel: .v6_12))
        let unknown = p.devices.filter { !$0.portTypeKnown }
        #expect(!unknown.isEmpty)
        for d in unknown {
            let phrase = p.verdicts[d.index].phrase(for: d)
            #expect(phrase.contains("type unknown") && !phrase.contains("conventional") && !phrase.contains("no PCI Express capability"),
                    "\(name) \(d.address): \(phrase)")
        }
        // The words reach `--explain`: a member joins a group through a function of unknown type.
        let explained = p.devices.indices.compactMap { p.explanation($0) }
        #expect(explained.contains { $0.contains("type unknown") }, "\(name): \(explained)")
        for d in unknown where d.type == nil && p.tree.functions[d.index].isBridge {
            for (i, reason) in p.reasons.enumerated() {
                guard case let .dmaAliasWalk(via, _) = reason, via == d.index, let why = p.explanation(i) else { continue }
                #expect(why.contains("unknown type") && !why.contains("behind conventional PCI bridge"), "\(name): \(why)")
            }
        }
    }

    /// A server report (X570D4U-2L2T, Proxmox): the X550's VFs sit on the next bus (First VF
    /// Offset 384, VF Stride 2 from 24:00.0 is 25:10.0) and read FFFFh when rebuilt; the X550's
    /// ACS capability advertises no flag, so no flag is required of it (pci_acs_flags_enabled
    /// masks the required flags with the capability) and each PF has its own group behind the
    /// switch's downstream port, which has ACS.
    @Test func serverReportWithVFsOnAnotherBus() throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/server-asrockrack-x570d4u-2l2t-sriov-vfio.txt")), names: false)
        let vfs = r.assumptions.filter { $0.kind == .virtualFunctions }
        #expect(vfs.map(\.functions) == [[PCIAddress("25:10.0")!], [PCIAddress("25:10.1")!]])
        #expect(r.functions.filter(\.isAllOnes).map(\.address) == [PCIAddress("25:10.0")!, PCIAddress("25:10.1")!])
        let p = GroupPredictor.predict(r.functions, quirks: try KernelTable.committedTable.get(),
                                       system: LinuxSystem(kernel: .v6_12, assumeIOMMU: true))
        #expect(p.partition.contains([PCIAddress("24:00.0")!]) && p.partition.contains([PCIAddress("24:00.1")!]))
        // The GPU behind its own root port keeps its own group with its audio function.
        #expect(p.partition.contains([PCIAddress("2d:00.0")!, PCIAddress("2d:00.1")!]))
    }

    /// The Sunrise Point erratum from text: the capability dword at +4 is what lspci printed, the
    /// control dword at +8 what Linux enables with an IOMMU on (the text has IOMMU groups).
    @Test func intelSPTRootPortsFromText() throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/desktop-intel-z170-spt-iommu.txt")), names: false)
        let spt = try #require(r.assumptions.first { $0.kind == .intelSPTControl })
        #expect(spt.text.contains("IOMMU on"))
        let rp = try #require(r.functions.first { $0.address == PCIAddress("00:1c.0")! })
        let acs = try #require(rp.acs.capability)
        #expect(acs.layout == .intelSPTDword)
        #expect(acs.capability == [.sv, .tb, .rr, .cr])
        #expect(acs.control == [.sv, .rr, .cr])
        #expect(acs.lspciControl == [])
        #expect(spt.functions.contains(rp.address))
    }

    /// A non-root lspci run shows `<access denied>`: ACS unknown, said, never "absent".
    @Test func nonRootTextLeavesACSUnknown() throws {
        let r = try PCIReader.load(.dump(path: Fixtures.path("lspci-reports/laptop-lenovo-thinkpad11e-nonroot.txt")), names: false)
        let denied = try #require(r.assumptions.first { $0.kind == .accessDenied })
        #expect(denied.functions.count == 17)
        for a in denied.functions {
            let f = try #require(r.functions.first { $0.address == a })
            guard case .unknown = f.acs else { Issue.record("\(a): \(f.acs)"); continue }
        }
        let p = GroupPredictor.predict(r.functions, quirks: try KernelTable.committedTable.get())
        #expect(p.notes.contains { $0.kind == .input && $0.text.contains("extended config space missing for 17") })
    }
}
