import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport
@testable import LinuxPCI

/// Issue #12 item 1: every qemu-cmdline case booted with kernel parameters, predicted from the
/// same topology's default-boot dump plus the case's own /proc/cmdline, equals the kernel's groups;
/// the ACS Control the model computes equals what the case's own dump shows.
@Suite struct KernelCommandLineOracleTests {
    static func profile(_ kernel: String) -> KernelProfile? { KernelProfile(argument: kernel) }

    /// Every kernel folder of the set whose release has a profile (6.12, 6.1 and 5.10).
    static let kernels = Fixtures.oracleKernels("qemu-cmdline").filter { profile($0) != nil }

    /// The parameter cases: everything but the default boots and the machine without an IOMMU
    /// (`--no-iommu-device` changes QEMU, not the command line).
    static let cases = Fixtures.oracleCases.filter { c in
        c.set == "qemu-cmdline" && c.name != "default" && profile(c.kernel) != nil
            && !((try? c.bootArgs()) ?? []).contains { $0.option == "--no-iommu-device" }
    }

    @Test func everyKernelWithAProfileIsPredicted() {
        // Loud rather than silent: 6.12 and 6.1 at least, and every case on each of them.
        #expect(Self.kernels.contains("6.12") && Self.kernels.contains("6.1"))
        #expect(Set(Self.cases.map(\.kernel)) == Set(Self.kernels))
        let perKernel = Dictionary(grouping: Self.cases, by: \.kernel).mapValues(\.count)
        #expect(Set(perKernel.values).count == 1, "every kernel has the same cases: \(perKernel)")
        #expect(Self.cases.count >= 30 * Self.kernels.count, "\(Self.cases.count) cases")
    }

    static func predict(_ c: OracleCase, acsOverridePatch: Bool = false) throws -> GroupPrediction {
        let cmdline = KernelCommandLine(try Fixtures.text(c.file("cmdline.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
        // Debian's kernels do not carry the out-of-tree pcie_acs_override patch.
        let system = LinuxSystem(kernel: try #require(profile(c.kernel)), commandLine: cmdline, acsOverridePatch: acsOverridePatch)
        return GroupPredictor.predict(try functions(c.defaultCase.file("dump.txt")), quirks: try KernelTable.table(), system: system)
    }

    @Test(arguments: cases)
    func defaultDumpPlusCommandLineGivesTheKernelsGroups(_ c: OracleCase) throws {
        let expected = try Fixtures.groups(c.file("groups.txt"))
        let p = try Self.predict(c)
        if expected.isEmpty {
            #expect(p.view.iommuOff != nil, "the kernel formed no groups")
            #expect(p.notes.contains { $0.kind == .platform && $0.text.hasPrefix(KernelView.noIOMMUGroups(p.view.iommuOff ?? "")) })
        } else {
            #expect(p.view.iommuOff == nil)
            #expect(show(p.partition) == show(partition(expected)))
            #expect(p.numberByAddress == expected, "group numbers differ from the kernel's")
        }
    }

    /// The ACS Control value the model leaves equals the register in the case's own dump, on
    /// every function with a standard ACS capability (the ports a parameter names and the others).
    @Test(arguments: cases)
    func predictedACSControlIsWhatTheKernelWrote(_ c: OracleCase) throws {
        let p = try Self.predict(c)
        let own = try functions(c.file("dump.txt"))
        var compared = 0
        for f in own {
            guard let cap = f.config.acs.capability, cap.layout == .standard else { continue }
            let d = try #require(p.view.device(at: f.address))
            #expect(d.acs?.standard.control == cap.lspci.control,
                    "\(f.address): predicted \(d.acs?.standard.control.description ?? "-"), kernel wrote \(cap.lspci.control)")
            compared += 1
        }
        #expect(compared > 0)
    }

    /// The out-of-tree patch on a kernel that carries it: `multifunction` isolates the functions
    /// of the e1000e (no ACS capability) that share a group on the Debian kernels.
    @Test func acsOverrideSplitsWhatThePatchDeclaresIsolated() throws {
        let c = try #require(Self.cases.first { $0.topology == "c-mf-endpoint" && $0.name == "pcie_acs_override" })
        let without = try Self.predict(c)
        let with = try Self.predict(c, acsOverridePatch: true)
        #expect(with.partition.count > without.partition.count)
        let split = with.devices.indices.filter {
            if case .acsOverride = with.verdicts[$0].reason { return true } else { return false }
        }
        #expect(!split.isEmpty)
        for i in split { #expect(with.devices[i].acs == nil && with.devices[i].isPCIe) }
        #expect(with.notes.contains { $0.kind == .warning && $0.text.contains("Nobody confirmed") })
        #expect(!without.notes.contains { $0.kind == .warning })
    }
}

@Suite struct KernelCommandLineParserTests {
    @Test func quotesAndSpacesAsNextArgSplitsThem() {
        let cl = KernelCommandLine("  root=UUID=ab \"quoted arg\" dyndbg=\"file pci.c +p\" pci=noats  -- init=/bin/sh ")
        #expect(cl.parameters.map(\.name) == ["root", "quoted arg", "dyndbg", "pci"])
        #expect(cl.parameters[0].value == "UUID=ab")
        #expect(cl.parameters[2].value == "file pci.c +p")
        #expect(cl.noATS)
        // After `--` the parameters go to init.
        #expect(!cl.parameters.contains { $0.name == "init" })
    }

    @Test func multiplePCIParametersAndTheLastValueWins() {
        let cl = KernelCommandLine("pci=disable_acs_redir=00:01.0 pci=nommconf,disable_acs_redir=00:02.0,config_acs=x@00:01.0")
        #expect(cl.pciOptions == ["disable_acs_redir=00:01.0", "nommconf", "disable_acs_redir=00:02.0", "config_acs=x@00:01.0"])
        #expect(cl.disableACSRedir == "00:02.0")
        #expect(cl.configACS(.v6_12) == "x@00:01.0")
        #expect(cl.configACS(.v6_1) == nil)
        #expect(cl.unknownPCIOptions(.v6_1) == ["config_acs=x@00:01.0"])
        #expect(cl.unknownPCIOptions(.v6_12).isEmpty)
        #expect(cl.ignored == ["pci=nommconf"])
    }

    @Test func unknownParametersAreListedAsIgnored() {
        let cl = KernelCommandLine("BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on iommu=pt vfio-pci.ids=10de:1b80 pcie-acs-override=downstream")
        #expect(cl.ignored == ["BOOT_IMAGE=/vmlinuz", "ro", "quiet", "vfio-pci.ids=10de:1b80"])
        // `-` and `_` are the same in parameter names (parameq).
        #expect(cl.acsOverride?.downstream == true)
        #expect(cl.iommuOff(amd: false) == nil)
    }

    @Test func iommuOffByVendor() {
        #expect(KernelCommandLine("intel_iommu=off").iommuOff(amd: false) == "intel_iommu=off")
        #expect(KernelCommandLine("intel_iommu=off").iommuOff(amd: true) == nil)
        #expect(KernelCommandLine("amd_iommu=off").iommuOff(amd: true) == "amd_iommu=off")
        #expect(KernelCommandLine("intel_iommu=on iommu=off").iommuOff(amd: false) == "iommu=off")
        #expect(KernelCommandLine("intel_iommu=off intel_iommu=on,sm_on").iommuOff(amd: false) == nil)
    }

    @Test func acsOverrideAsThePatchReadsIt() throws {
        let o = try #require(KernelCommandLine("pcie_acs_override=multifunction,id:8086:10d3,id:zz:1,bogus").acsOverride)
        #expect(!o.downstream && o.multifunction)
        #expect(o.ids == [PCIDeviceID(vendor: 0x8086, device: 0x10d3)])
        #expect(o.rejected.count == 2)
        let many = (0..<17).map { "id:8086:\(hex($0, width: 4))" }.joined(separator: ",")
        #expect(KernelCommandLine("pcie_acs_override=" + many).acsOverride?.ids.count == 15)
    }

    @Test func deviceSelectorsAsPciDevStrMatchAcceptsThem() throws {
        let port = try #require(PCIAddress("0000:00:1c.4"))
        let nic = PCIDevIdentity(address: try #require(PCIAddress("0000:03:00.1")), vendor: 0x8086, device: 0x10c9,
                                 subsystemVendor: 0x1028, subsystemDevice: 0x0001, upstream: [port])
        func m(_ s: String) -> Int { pciDevStrMatch(nic, Substring(s)).result }
        #expect(m("0000:03:00.1") == 1)
        #expect(m("03:00.1") == 1)
        #expect(m("03:00.0") == 0)
        #expect(m("0001:03:00.1") == 0)
        #expect(m("pci:8086:10c9") == 1)
        #expect(m("pci:8086:0") == 1)
        #expect(m("pci:8086:10c9:1028:0001") == 1)
        #expect(m("pci:8086:10c9:1028:0002") == 0)
        #expect(m("pci:10de:10c9") == 0)
        // A path: the root port's bus:dev.fn, then the device's dev.fn below it.
        #expect(m("00:1c.4/00.1") == 1)
        #expect(m("00:1c.3/00.1") == 0)
        #expect(m("garbage") == -1)
        // A BDF ends only at ';' (pci_dev_str_match_path): "…,…" cannot be parsed.
        #expect(m("03:00.1,00:01.0") == -1)
        #expect(pciDevStrMatch(nic, "pci:8086:10c9,00:01.0").rest == ",00:01.0")
    }

    /// `__pci_config_acs()`: flags right to left, 'x' the firmware's bit, bits above DT rejected,
    /// the first entry naming the device wins.
    @Test func configACSFlagsAndLists() throws {
        let dev = PCIDevIdentity(address: try #require(PCIAddress("0000:00:01.0")), vendor: 0x1b36, device: 0x000c)
        func run(_ p: String, firmware: ACSFlags = [.tb]) -> (ACSParameterEffect, ACSFlags) {
            var ctrl: ACSFlags = [.sv, .rr, .cr, .uf]
            let e = pciConfigACS(dev, control: &ctrl, firmware: firmware, parameter: p, acsMask: [], acsFlags: [], deviceSpecific: false)
            return (e, ctrl)
        }
        #expect(run("101x1@00:01.0").1 == [.sv, .tb, .rr, .uf])
        #expect(run("x@00:01.0").1 == [.tb])
        #expect(run("0000000@00:01.0").1 == [])
        #expect(run("10000000@00:01.0").0 == .rejected("Invalid ACS flags specified"))
        #expect(run("1111111@00:02.0").0 == .notNamed)
        #expect(run("x@00:01.0;111x1@00:01.0").1 == [.tb])
        #expect(run("111x1@00:02.0;0x1x0@00:01.0").1 == [.tb, .rr])
        #expect(run("12@00:01.0").0 == .rejected("Invalid ACS flags"))
        #expect(run("00:01.0").0 == .rejected("ACS Flags missing"))
    }
}

/// Intel Sunrise Point erratum ports keep Control in a dword: `pci_dev_specific_disable_acs_redir()`
/// (`pci_quirk_disable_intel_spt_pch_acs_redir`) clears RR, CR and EC there, on 6.1 for
/// `disable_acs_redir` and on 6.12 for either parameter (`__pci_config_acs()` returns after it).
@Suite struct KernelCommandLineSPTTests {
    static let z170 = "lspci-reports/desktop-intel-z170-spt-iommu.txt"

    @Test(arguments: [(KernelProfile.v6_1, "pci=disable_acs_redir=00:1c.0"), (.v6_12, "pci=disable_acs_redir=00:1c.0"),
                      (.v6_12, "pci=config_acs=1111111@00:1c.0")])
    func sptPortLosesRedirectInItsDword(_ kernel: KernelProfile, _ cmdline: String) throws {
        let fs = try functions(Self.z170)
        let table = try KernelTable.table()
        let plain = GroupPredictor.predict(fs, quirks: table, system: LinuxSystem(kernel: kernel))
        let p = GroupPredictor.predict(fs, quirks: table, system: LinuxSystem(kernel: kernel, commandLine: KernelCommandLine(cmdline)))
        #expect(plain.groupOf("00:1c.0") == ["00:1c.0"])
        #expect(p.groupOf("00:1c.0") == ["00:1c.0", "05:00.0"])
        let address = try #require(PCIAddress("00:1c.0"))
        let port = try #require(p.view.device(at: address))
        let dword = try #require(port.acs?.intelSPTDword)
        #expect(dword.control.isDisjoint(with: [.rr, .cr, .ec]))
        #expect(port.acs?.commandLine.first?.effect == .deviceSpecific)
    }

    @Test func configACSOnSixOneChangesNothing() throws {
        let fs = try functions(Self.z170)
        let p = GroupPredictor.predict(fs, quirks: try KernelTable.table(),
                                       system: LinuxSystem(kernel: .v6_1, commandLine: KernelCommandLine("pci=config_acs=0000000@00:1c.0")))
        #expect(p.groupOf("00:1c.0") == ["00:1c.0"])
        #expect(p.notes.contains { $0.text.hasPrefix("pci=config_acs=0000000@00:1c.0: kernel 6.1 does not know it") })
    }
}
