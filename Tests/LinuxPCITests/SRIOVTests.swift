import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Testing
import TestSupport
@testable import LinuxPCI

/// SR-IOV VFs against the booted kernels (Tests/Fixtures/qemu-sriov): VFs found from the PF's
/// SR-IOV capability although their ID registers read FFFFh, grouped as single-function devices
/// after the boot scan, and the what-if `--sriov` from the boot without VFs.
@Suite struct SRIOVTests {
    /// The cases with VFs whose kernel has a profile.
    static let vfCases = Fixtures.oracleCases.filter {
        $0.set == "qemu-sriov" && $0.name != "default" && KernelProfile(argument: $0.kernel) != nil
    }

    /// `ORACLE_SRIOV=0000:01:00.0=8 0000:02:00.0=8` of boot.args: NumVFs per PF.
    static func numVFs(_ c: OracleCase) throws -> [PCIAddress: Int] {
        let value = try #require(try c.bootArgs().first { $0.option == "--set" && $0.value.hasPrefix("ORACLE_SRIOV=") }?.value)
        var out: [PCIAddress: Int] = [:]
        for pair in value.dropFirst("ORACLE_SRIOV=".count).split(separator: " ") {
            let parts = pair.split(separator: "=")
            guard let a = PCIAddress(parts[0]), let n = Int(parts[1]) else { throw CocoaError(.formatting) }
            out[a] = n
        }
        return out
    }

    /// sriov.txt: each PF's `virtfnN` links and VF Device ID, as sysfs showed them.
    static func sysfsVFs(_ c: OracleCase) throws -> (vfs: [PCIAddress: PCIAddress], vfDevice: [PCIAddress: UInt16]) {
        var vfs: [PCIAddress: PCIAddress] = [:], did: [PCIAddress: UInt16] = [:]
        var pf: PCIAddress?
        for line in try Fixtures.text(c.file("sriov.txt")).split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("  virtfn") {
                guard let vf = PCIAddress(words[1]), let pf else { throw CocoaError(.formatting) }
                vfs[vf] = pf
            } else {
                guard let a = PCIAddress(words[0]), let d = words.first(where: { $0.hasPrefix("vf_device=") }),
                      let id = UInt16(d.dropFirst("vf_device=".count), radix: 16) else { throw CocoaError(.formatting) }
                pf = a
                did[a] = id
            }
        }
        return (vfs, did)
    }

    /// The case's kernel and the command line it booted with (`cmdline.txt`: the harness's
    /// `intel_iommu=on iommu=pt`, plus `pci=disable_acs_redir=` in vfs-3-redir-rp1).
    static func system(_ c: OracleCase, sriov: [PCIAddress: Int] = [:]) throws -> LinuxSystem {
        let cmdline = KernelCommandLine(try Fixtures.text(c.file("cmdline.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
        return LinuxSystem(kernel: try #require(KernelProfile(argument: c.kernel)), commandLine: cmdline, sriovNumVFs: sriov)
    }

    @Test func theCasesAreThere() {
        // 6 VF cases on each booted kernel: 6.12, 6.1 and 5.10.
        for kernel in ["6.12", "6.1", "5.10"] {
            #expect(Self.vfCases.filter { $0.kernel == kernel }.count == 6, "\(kernel)")
        }
    }

    /// The case's own dump (VFs read FFFFh): the VFs sysfs listed, with the IDs Linux gave them,
    /// single-function, and the kernel's groups and numbers.
    @Test(arguments: vfCases)
    func ownDumpGivesTheKernelsVFsAndGroups(_ c: OracleCase) throws {
        let fns = try functions(c.file("dump.txt"))
        let (vfs, did) = try Self.sysfsVFs(c)
        #expect(Set(fns.filter(\.isAllOnes).map(\.address)) == Set(vfs.keys), "the dump's VFs read FFFFh")
        let p = GroupPredictor.predict(fns, quirks: try KernelTable.table(), system: try Self.system(c))
        let found = p.devices.filter(\.isVirtfn)
        #expect(Set(found.map(\.address)) == Set(vfs.keys))
        for d in found {
            let pf = p.devices[try #require(d.physfn)]
            #expect(pf.address == vfs[d.address])
            #expect(d.vendor == pf.vendor && d.device == did[pf.address], "\(d.address): IDs as pci_iov_add_virtfn sets them")
            #expect(!d.multifunction, "\(d.address): a VF is never multifunction")
        }
        let expected = try Fixtures.groups(c.file("groups.txt"))
        #expect(show(p.partition) == show(partition(expected)))
        #expect(p.numberByAddress == expected, "group numbers differ from the kernel's")
        #expect(!p.notes.contains { $0.text.contains("reads all ones") })
    }

    /// The boot without VFs plus the NumVFs the case wrote (`--sriov`): the kernel's groups and
    /// numbers; the parameter case (`pci=disable_acs_redir`) with the command line it booted with.
    @Test(arguments: vfCases)
    func defaultDumpWithTheWhatIfGivesTheKernelsGroups(_ c: OracleCase) throws {
        let fns = try functions(c.defaultCase.file("dump.txt"))
        #expect(!fns.contains { $0.isAllOnes })
        let p = GroupPredictor.predict(fns, quirks: try KernelTable.table(), system: try Self.system(c, sriov: try Self.numVFs(c)))
        #expect(p.view.virtualFunctions.refused.isEmpty)
        let sysfs = try Self.sysfsVFs(c).vfs
        #expect(Set(p.devices.filter(\.isVirtfn).map(\.address)) == Set(sysfs.keys))
        let expected = try Fixtures.groups(c.file("groups.txt"))
        #expect(show(p.partition) == show(partition(expected)))
        #expect(p.numberByAddress == expected, "group numbers differ from the kernel's")
        #expect(p.notes.contains { $0.text.hasPrefix("--sriov ") })
    }

    /// lspci's text of the case (VFs shown with the IDs sysfs has) gives the same VFs and groups.
    @Test(arguments: vfCases)
    func textGivesTheSameVFs(_ c: OracleCase) throws {
        let text = try PCIReader.load(.dump(path: Fixtures.path(c.file("vvv.txt"))), names: false)
        #expect(text.format == .lspciText)
        let p = GroupPredictor.predict(text.functions, quirks: try KernelTable.table(), system: try Self.system(c))
        let vfs = try Self.sysfsVFs(c).vfs
        #expect(Dictionary(uniqueKeysWithValues: p.devices.filter(\.isVirtfn).map { ($0.address, p.devices[$0.physfn!].address) }) == vfs)
        let expected = try Fixtures.groups(c.file("groups.txt"))
        #expect(show(p.partition) == show(partition(expected)))
    }

    /// What the kernel refuses to enable is refused with its reason: more than TotalVFs, a
    /// function without SR-IOV, no function at all; 0 disables the VFs a dump shows.
    @Test func refusalsAndDisable() throws {
        let fns = try functions("qemu-sriov/switch-rootports/default/6.12/dump.txt")
        let pf = try #require(PCIAddress("01:00.0"))
        let port = try #require(PCIAddress("00:01.0"))
        let v = VirtualFunctions(fns, numVFs: [pf: 9, port: 1, PCIAddress(bus: 7, devfn: 0): 2])
        #expect(v.vfs.isEmpty)
        #expect(v.refused.count == 3)
        #expect(v.refused.contains(.beyondTotalVFs(pf, asked: 9, total: 8)))
        #expect(v.refused.contains { if case .noSRIOV = $0 { true } else { false } })
        let absent = try #require(PCIAddress("07:00.0"))
        #expect(v.refused.contains(.noFunction(absent)))
        #expect(v.refused.first { if case .beyondTotalVFs = $0 { true } else { false } }!.description.contains("at most 8"))

        let withVFs = try functions("qemu-sriov/switch-rootports/vfs-3/6.12/dump.txt")
        let off = VirtualFunctions(withVFs, numVFs: [pf: 0])
        #expect(!off.vfs.contains { $0.pf == pf })
        #expect(!off.functions.contains { $0.address.bus == 1 && $0.address.function > 0 })
        #expect(off.vfs.count == 6)
    }

    /// `--sriov`'s argument: a BDF and a decimal u16, as `sriov_numvfs_store()` reads it.
    @Test func argumentParses() {
        #expect(SRIOVNumVFs(argument: "01:00.0=8") == SRIOVNumVFs(pf: PCIAddress(bus: 1, devfn: 0), numVFs: 8))
        #expect(SRIOVNumVFs(argument: "0000:05:00.0=0")?.numVFs == 0)
        for bad in ["01:00.0", "01:00.0=", "01:00.0=-1", "01:00.0=65536", "01:00.0=8=9", "1:2=3", "=8"] {
            #expect(SRIOVNumVFs(argument: bad) == nil, "\(bad)")
        }
    }

    /// The routing-ID rule (PCIe §9.3.3.9-10, `pci_iov_virtfn_bus`/`pci_iov_virtfn_devfn`)
    /// crosses device and bus numbers; the kernel refuses a last VF past its bridge's buses.
    @Test func routingIDsCrossDeviceAndBus() throws {
        let cap = SRIOVCapability(offset: 0x160, control: PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_ARI, totalVFs: 64, numVFs: 64,
                                  firstVFOffset: 0x80, vfStride: 4, vfDevice: 0x1520)
        let pf = try #require(PCIAddress("03:00.0"))
        let vfs = cap.virtualFunctions(of: pf)
        #expect(vfs.count == 64)
        #expect(vfs[0].shortDescription == "03:10.0")
        #expect(vfs[1].shortDescription == "03:10.4")
        #expect(vfs[32].shortDescription == "04:00.0")
        #expect(vfs[63].shortDescription == "04:0f.4")
        #expect(VirtualFunctions.sriovEnableRefusal(pf, cap, asked: 64, busEnd: 3) == .busOutOfRange(pf, asked: 64, bus: 4, end: 3))
        #expect(VirtualFunctions.sriovEnableRefusal(pf, cap, asked: 64, busEnd: 4) == nil)
        #expect(VirtualFunctions.sriovEnableRefusal(pf, cap, asked: 32, busEnd: 3) == nil)
    }
}

/// `groups --explain`'s advice for VFIO users, on booted topologies: what to bind to vfio-pci for
/// a group to be viable (bridges excluded), and which root ports give a card its own group.
@Suite struct VFIOAdviceTests {
    static func prediction(_ relative: String, kernel: KernelProfile = .v6_12) throws -> GroupPrediction {
        GroupPredictor.predict(try functions(relative), quirks: try KernelTable.table(), system: LinuxSystem(kernel: kernel))
    }

    static func names(_ p: GroupPrediction, _ members: [Int]) -> [String] { members.map { p.name($0) } }

    @Test func vfsBehindPortsWithAndWithoutACS() throws {
        let p = try Self.prediction("qemu-sriov/switch-rootports/vfs-3/6.12/dump.txt")
        func advice(_ bdf: String) throws -> VFIOAdvice {
            let a = try #require(PCIAddress(bdf))
            return p.vfioAdvice(p.groupNumber[try #require(p.tree.index(of: a))])
        }
        // Behind the root port with ACS: each VF alone, nothing else to bind.
        let alone = try advice("01:00.2")
        #expect(Self.names(p, alone.bind) == ["01:00.2"] && alone.bridges.isEmpty && alone.physfnsWithVFs.isEmpty)
        // Behind the root port without ACS: the PF and its VFs with the port, which may keep pcieport.
        let shared = try advice("02:00.1")
        #expect(Self.names(p, shared.bind) == ["02:00.0", "02:00.1", "02:00.2", "02:00.3"])
        #expect(Self.names(p, shared.bridges) == ["00:02.0"])
        #expect(Self.names(p, shared.physfnsWithVFs) == ["02:00.0"])
        #expect(Self.names(p, shared.ports) == ["00:02.0"])
        // Behind the switch: the downstream port is the bridge.
        #expect(Self.names(p, try advice("05:00.3").bridges) == ["04:00.0"])
        #expect(Self.names(p, p.rootPortIsolation.filter(\.isolated).map(\.port)) == ["00:01.0", "00:03.0"])

        let text = GroupsReport(prediction: p, source: "vfs-3").text(explain: true)
        #expect(text.contains("  vfio: bind 02:00.0 02:00.1 02:00.2 02:00.3 to vfio-pci (or pci-stub, or leave them without a driver) "
            + "for the group to be viable; 00:02.0 is a PCIe port and may keep pcieport; 02:00.0 shares the group with its VFs"))
        #expect(text.contains("For VFIO: a card directly in the slot of 00:01.0, 00:03.0 gets a group of its own"))
        #expect(text.contains("a card shares the port's group"))
        #expect(!GroupsReport(prediction: p, source: "vfs-3").text(explain: false).contains("vfio:"))
    }

    /// Conventional PCI behind PCIe-to-PCI and PCI-to-PCI bridges: the bridges are not to be
    /// bound, every device behind them is.
    @Test func conventionalDevicesBehindBridges() throws {
        let p = try Self.prediction("qemu/d-pci-bridge/dump.txt")
        let a0 = try #require(PCIAddress("04:01.0"))
        let g = p.groupNumber[try #require(p.tree.index(of: a0))]
        let a = p.vfioAdvice(g)
        #expect(Self.names(p, a.bind) == ["04:01.0", "04:02.0"])
        #expect(Self.names(p, a.bridges) == ["00:03.0"])
        #expect(a.physfnsWithVFs.isEmpty)
    }

    /// pcieport binds PCI Express ports only (`pcie_portdrv_probe()`): a PCIe-to-PCI bridge keeps
    /// no driver, and a host or LPC bridge (type 0 headers) makes its group unusable.
    @Test func pcieportOnlyForPortsAndHostBridgesMakeAGroupUnusable() throws {
        let p = try Self.prediction("machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt")
        func advice(_ bdf: String) throws -> VFIOAdvice {
            let a = try #require(PCIAddress(bdf))
            return p.vfioAdvice(p.groupNumber[try #require(p.tree.index(of: a))])
        }
        let card = try advice("02:08.0")
        #expect(Self.names(p, card.bind) == ["02:08.0"])
        #expect(Self.names(p, card.bridges) == ["00:01.0", "01:00.0"])
        #expect(Self.names(p, card.ports) == ["00:01.0"])
        #expect(card.hostDevices.isEmpty)
        #expect(Self.names(p, try advice("00:00.0").hostDevices) == ["00:00.0"])
        #expect(Self.names(p, try advice("00:1f.2").hostDevices) == ["00:1f.0"])

        let text = GroupsReport(prediction: p, source: "snb").text(explain: true)
        #expect(text.contains("  vfio: bind 02:08.0 to vfio-pci (or pci-stub, or leave it without a driver) for the group to be viable; "
            + "00:01.0 is a PCIe port and may keep pcieport; 01:00.0 is a bridge and needs no driver\n"))
        #expect(!text.contains("01:00.0 are bridges and may keep pcieport"))
        #expect(!text.contains("bind 00:00.0"))
        #expect(!text.contains("bind 00:1f.0"))
        #expect(text.contains("  vfio: unusable for passthrough in practice: 00:00.0 is a host or ISA/LPC bridge"))
        #expect(text.contains("  vfio: unusable for passthrough in practice: 00:1f.0 is a host or ISA/LPC bridge"))
    }

    /// A switch whose downstream ports have no ACS below an isolated root port (00:03.0): the
    /// cards behind it share their downstream port's group, so the slot advice names only the
    /// root port's own slot and lists the downstream ports as shared.
    @Test func cardsBehindASwitchWithoutACSAreNotPromisedAGroup() throws {
        let p = try Self.prediction("qemu-sriov/switch-rootports/default/6.12/dump.txt")
        #expect(p.groupOf("05:00.0") == ["04:00.0", "05:00.0"])
        #expect(Self.names(p, p.downstreamPortIsolation.filter { !$0.isolated }.map(\.port)) == ["04:00.0", "04:01.0"])
        let text = GroupsReport(prediction: p, source: "default").text(explain: true)
        #expect(!text.contains("a card below 00:01.0, 00:03.0 gets a group of its own"))
        #expect(text.contains("  For VFIO: a card directly in the slot of 00:01.0, 00:03.0 gets a group of its own (each SR-IOV VF too; "
            + "the functions of a multifunction card only with ACS or a quirk); behind a switch no card does; "
            + "below 00:02.0, 04:00.0, 04:01.0 a card shares the port's group.\n"))
    }

    /// On a PE-based POWER machine the groups come from firmware, not ACS: no ACS slot advice.
    @Test func peBasedPlatformGetsNoACSSlotAdvice() throws {
        let p = try Self.prediction("machines/ppc64le-talos2-power9-phb4/dump.txt")
        #expect(p.groupsNotFormedByACS != nil)
        let r = GroupsReport(prediction: p, source: "talos")
        let text = r.text(explain: true)
        #expect(!text.contains("gets a group of its own ("))
        #expect(!text.contains("a card in an isolated slot gets its own group"))
        #expect(text.contains("  For VFIO: no slot advice from ACS: on this PE-based platform Linux forms IOMMU groups per "
            + "partitionable endpoint from firmware, not by ACS"))
        #expect(r.json().contains("\"groupsNotFormedByACS\" : \"on this PE-based platform"))
        // An x86 machine keeps its slot advice.
        #expect(try Self.prediction("machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt").groupsNotFormedByACS == nil)
    }

    /// With the IOMMU off there are no groups: no group-numbering line, no ACS Control note.
    @Test func iommuOffPrintsNoGroupOnlyLines() throws {
        let system = LinuxSystem(kernel: .v6_12, commandLine: KernelCommandLine("intel_iommu=off"))
        let p = GroupPredictor.predict(try functions("qemu-cmdline/a-rootports/default/6.12/dump.txt"),
                                       quirks: try KernelTable.table(), system: system)
        let text = GroupsReport(prediction: p, source: "a").text(explain: true)
        #expect(text.hasPrefix("No IOMMU groups: intel_iommu=off switches the IOMMU off"))
        #expect(!text.contains("Group numbers:"))
        #expect(!text.contains("ACS Control as found"))
        #expect(!text.contains("group numbers only label the partition"))
        #expect(!text.contains("For VFIO"))
    }
}
