import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// The lspci text reader on its own: what it accepts, what it refuses (with the line), what it
/// warns about, and that no input makes it crash or hang.
@Suite struct LspciTextTests {
    static func parse(_ text: String, file: String = "t.txt") -> ParsedDump {
        // Reading from memory cannot fail.
        try! LspciText.parse(DumpInput(bytes: Array(text.utf8), file: file))
    }

    static let rootPort = """
        00:1c.0 PCI bridge [0604]: Intel Corporation 82801I (ICH9 Family) PCI Express Port 1 [8086:2940] (rev 02) (prog-if 00 [Normal decode])
        \tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR+ FastB2B- DisINTx+
        \tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-
        \tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
        \tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
        \t\tDevCtl2: Completion Timeout: 50us to 50ms, TimeoutDis- LTR- OBFF Disabled, ARIFwd+
        \tCapabilities: [100 v1] Access Control Services
        \t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
        \t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-

        01:00.0 Ethernet controller [0200]: Intel Corporation 82574L Gigabit Network Connection [8086:10d3]
        \tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
        \tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-
        \tCapabilities: [e0] Express (v1) Endpoint, MSI 00
        \tCapabilities: [100 v1] Advanced Error Reporting

        """

    /// The rebuilt bytes say what the text says, decoded by the same code that decodes dumps.
    @Test func rebuildsWhatTheTextShows() throws {
        let r = Self.parse(Self.rootPort)
        #expect(!r.isFatal, "\(r.diagnostics)")
        let rp = try #require(r.functions.first { $0.address == PCIAddress("00:1c.0")! })
        #expect(rp.idString == "8086:2940")
        #expect(rp.config.classID == 0x0604)
        #expect(rp.config.revisionID == 0x02)
        #expect(rp.headerType?.layout == .bridge)
        #expect(rp.config.busNumbers == BridgeBusNumbers(primary: 0, secondary: 1, subordinate: 1))
        #expect(rp.config.pciExpress?.offset == 0x40)
        #expect(rp.portType == .rootPort)
        #expect(rp.config.pciExpress?.slotImplemented == true)
        let acs = try #require(rp.acs.capability)
        #expect(acs.offset == 0x100)
        #expect(acs.capability == [.sv, .tb, .rr, .cr, .uf])
        #expect(acs.control == [.sv, .rr, .cr, .uf])
        // ARI Forwarding Enable (Device Control 2 bit 5).
        #expect(rp.config.u16(0x40 + 0x28) == 0x20)
        let ep = try #require(r.functions.first { $0.address == PCIAddress("01:00.0")! })
        #expect(ep.portType == .endpoint)
        guard case .absent = ep.acs else { Issue.record("\(ep.acs)"); return }
    }

    @Test func formatIsToldByContent() throws {
        #expect(DumpReader.format(of: Array(Self.rootPort.utf8)).kind == .lspciText)
        #expect(DumpReader.format(of: Array(try Fixtures.text("qemu/b-switch/dump.txt").utf8)).kind == .hexDump)
        #expect(DumpReader.format(of: Array(try Fixtures.text("qemu/b-switch/vvv.txt").utf8)).kind == .lspciText)
        // -vvv with complete 4096-byte hex: libpci reads the bytes.
        #expect(DumpReader.format(of: Array("# acsquirk snapshot 1\n".utf8)).kind == .snapshot)
        // Plain `lspci`: text, refused by the text reader with the reason.
        #expect(DumpReader.format(of: Array("00:00.0 Host bridge: Intel Corporation Device 1234\n".utf8)).kind == .lspciText)
        // Every file of the malformed-dump corpus stays a hex dump (its expectations are libpci's).
        for name in (try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("malformed"))).sorted()
        where name.hasSuffix(".txt") && name != "37-vvv-style-ok.txt" && name != "EXPECTED.tsv" {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("malformed/\(name)"))))
            #expect(DumpReader.format(of: bytes).kind == .hexDump, "\(name)")
        }
    }

    /// What cannot be used is refused with the file and the line; what can is warned about.
    @Test(arguments: [
        ("00:01.0 garbage without a class\n\tStatus: Cap- 66MHz-\n", 1, "no 'Class: Vendor Device'"),
        (rootPort.replacingOccurrences(of: "[40] Express", with: "[4g] Express"), 5, "capability offset '4g' is not a hex offset"),
        (rootPort.replacingOccurrences(of: " EgressCtrl- DirectTrans-\n\t\tACSCtl", with: "\n\t\tACSCtl"), 8, "lacks EgressCtrl, DirectTrans"),
        (rootPort.replacingOccurrences(of: "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n", with: ""), 1, "without a 'Bus: primary=..' line"),
        (rootPort.replacingOccurrences(of: "secondary=01", with: "secondary=1"), 4, "bus numbers not readable"),
        (rootPort.replacingOccurrences(of: "Express (v2) Root Port", with: "Express (v2) Root Thing"), 5, "port type not recognised"),
        (rootPort.replacingOccurrences(of: " [8086:10d3]", with: "").replacingOccurrences(of: "82574L Gigabit", with: "82574Q Gigabit"), 11, "cannot tell the IDs of 'Intel Corporation 82574Q"),
        ("00:00.0 Host bridge: Intel Corporation Device 1234\n00:01.0 PCI bridge: Intel Corporation Device 1235\n", 1, "plain `lspci` output"),
        ("\n\n", 2, "no lspci device lines"),
        ("00:00.0 Host bridge [0600]: Intel \0Corporation\n", 1, "NUL byte"),
        (rootPort.replacingOccurrences(of: "\tCapabilities: [e0] Express (v1) Endpoint, MSI 00\n", with: "\tCapabilities: [e0] Express (v1) Endpoint, MSI 00\n00: 86 80 zz 10\n"), 15, "malformed hex line"),
    ])
    func malformedTextIsRefusedWithTheLine(_ text: String, _ line: Int, _ fragment: String) throws {
        let r = Self.parse(text, file: "report.txt")
        #expect(r.isFatal)
        let e = try #require(r.errors.first)
        #expect(e.line == line, "\(r.errors)")
        #expect(e.message.contains(fragment), "\(e)")
        #expect(e.description.hasPrefix("report.txt:\(line): error: "))
        #expect(r.functions.isEmpty)
    }

    /// Text cut short: the function that lost its lines is warned about (with its line) and its
    /// ACS is unknown, never taken as absent.
    @Test func truncatedTextIsWarnedAbout() throws {
        // Cut inside the ACS capability, before ACSCap/ACSCtl.
        let cut1 = String(Self.rootPort.prefix(upTo: Self.rootPort.range(of: "\t\tACSCap")!.lowerBound))
        let r1 = Self.parse(cut1)
        #expect(!r1.isFatal)
        let w1 = try #require(r1.warnings.first)
        #expect(w1.line == 7 && w1.message.contains("without its ACSCap/ACSCtl lines"))
        guard case .unknown = try #require(r1.functions.first).acs else { Issue.record("ACS should be unknown"); return }
        // Cut after 'Status: Cap+' of the last function.
        let cut2 = String(Self.rootPort.prefix(upTo: Self.rootPort.range(of: "\tCapabilities: [e0]")!.lowerBound))
        let r2 = Self.parse(cut2)
        let w2 = try #require(r2.warnings.first)
        #expect(w2.line == 11 && w2.message.contains("text ends before its capabilities"))
        guard case .unknown = try #require(r2.functions.last).acs else { Issue.record("ACS should be unknown"); return }
        // A function without its Status line.
        let r3 = Self.parse(Self.rootPort.replacingOccurrences(of: "\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n\tCapabilities: [e0]", with: "\tCapabilities: [e0]"))
        #expect(r3.warnings.contains { $0.line == 11 && $0.message.contains("no 'Status:' line") })
    }

    @Test func duplicatesAndInvalidAddressesAreWarnedAbout() throws {
        let r = Self.parse(Self.rootPort + Self.rootPort.split(separator: "\n\n")[1] + "\n\n00:20.0 Host bridge [0600]: X [1234:5678]\n\tStatus: Cap-\n")
        #expect(r.warnings.contains { $0.message.contains("duplicate function 0000:01:00.0 (first at line 11)") })
        #expect(r.warnings.contains { $0.message.contains("00:20.0 is not a valid PCI address") })
        #expect(r.functions.count == 2)
    }

    /// A report of `lspci -v` (one v): the ACS capability is named but not decoded.
    /// SR-IOV: the PF's decoded SR-IOV registers are rebuilt at their offsets, as the dump has
    /// them; the VFs it enables are rebuilt reading FFFFh and never multifunction, as in the dump
    /// (VF at function 0 of the next device included: vfs-8); VF Enable clear makes no VFs.
    @Test(arguments: ["switch-rootports/vfs-3/6.12", "switch-rootports/vfs-8/6.1", "rciep/vfs-2/5.10"])
    func virtualFunctionsAreToldFromTheirPF(_ folder: String) throws {
        let vvv = try Fixtures.text("qemu-sriov/\(folder)/vvv.txt")
        let text = Self.parse(vvv)
        let dump = try PCIReader.read(.dump(path: Fixtures.path("qemu-sriov/\(folder)/dump.txt")), names: false)
        #expect(text.errors.isEmpty)
        let pfs = dump.filter { $0.config.findExtendedCapability(PCI_EXT_CAP_ID_SRIOV) != nil }
        #expect(!pfs.isEmpty)
        for pf in pfs {
            let t = try #require(text.functions.first { $0.address == pf.address })
            let at = try #require(pf.config.findExtendedCapability(PCI_EXT_CAP_ID_SRIOV))
            #expect(t.config.findExtendedCapability(PCI_EXT_CAP_ID_SRIOV) == at)
            for reg in [PCI_SRIOV_CTRL, PCI_SRIOV_INITIAL_VF, PCI_SRIOV_TOTAL_VF, PCI_SRIOV_NUM_VF, PCI_SRIOV_VF_OFFSET,
                        PCI_SRIOV_VF_STRIDE, PCI_SRIOV_VF_DID] {
                #expect(t.config.u16(at + reg) == pf.config.u16(at + reg), "\(pf.address) SR-IOV +\(reg)")
            }
        }
        let vfs = Set(dump.filter(\.isAllOnes).map(\.address))
        #expect(Set(text.assumptions.filter { $0.kind == .virtualFunctions }.flatMap(\.functions)) == vfs)
        #expect(Set(text.functions.filter(\.isAllOnes).map(\.address)) == vfs)
        #expect(text.functions.filter { vfs.contains($0.address) }.allSatisfy { $0.headerType?.multifunction == false })

        // VF Enable clear: the same functions are not VFs (and share their PF's slot).
        let disabled = Self.parse(vvv.replacingOccurrences(of: "IOVCtl:\tEnable+", with: "IOVCtl:\tEnable-"))
        #expect(!disabled.assumptions.contains { $0.kind == .virtualFunctions })
        #expect(!disabled.functions.contains { $0.isAllOnes })
    }

    @Test func singleVerboseLeavesACSUnknownAndSaysSo() throws {
        let text = Self.rootPort.split(separator: "\n").filter { !$0.contains("ACSCap") && !$0.contains("ACSCtl") && !$0.contains("Control:") && !$0.contains("Status:") }
            .joined(separator: "\n").replacingOccurrences(of: "(rev 02) (prog-if 00 [Normal decode])", with: "(rev 02) (prog-if 00 [Normal decode])\n\tFlags: bus master, fast devsel, latency 0, IRQ 24")
        let r = Self.parse(text)
        #expect(!r.isFatal, "\(r.diagnostics)")
        #expect(r.assumptions.contains { $0.kind == .acsNotDecoded && $0.functions == [PCIAddress("00:1c.0")!] })
        guard case .unknown = try #require(r.functions.first).acs else { Issue.record("ACS should be unknown"); return }
    }

    /// Real public reports (linuxhw/LsPCI, see Tests/Fixtures/lspci-reports/README.md): each reads
    /// without error, and every function lspci listed is there.
    @Test(arguments: Fixtures.lspciReports)
    func publicReportsRead(_ name: String) throws {
        let text = try Fixtures.text("lspci-reports/\(name)")
        let r = Self.parse(text, file: name)
        #expect(!r.isFatal, "\(r.errors)")
        let headers = text.split(separator: "\n").filter { line in
            guard let first = line.split(separator: " ").first else { return false }
            return PCIAddress(first) != nil && line.contains(": ")
        }
        #expect(r.functions.count == headers.count)
        #expect(r.assumptions.first?.kind == .rebuiltFromText)
    }
}
