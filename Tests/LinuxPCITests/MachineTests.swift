import Foundation
import PCIConfig
import Testing
import TestSupport
@testable import LinuxPCI

/// Real machines' dumps (Tests/Fixtures/machines) against what their NOTES.md expect. Where a
/// NOTES prediction conflicts with the kernel's rules (`pci_device_group()`, drivers/iommu/iommu.c), the test follows the
/// kernel rules and says why.
@Suite struct MachineTests {
    func m(_ name: String) -> String { "machines/\(name)/dump.txt" }

    @Test func x58NF200AndICH10() throws {
        // Dumped without an IOMMU (ACSCtl all clear): predict what Linux with an IOMMU would do.
        let p = try predict(m("x58-asus-p6t6-nf200"), assumeIOMMU: true)
        // The NF200 switch below an X58 root port with ACS. NOTES expects the upstream port, both
        // downstream ports and the SAS2008 in one group. Kernel rules disagree (§3.5, and the QEMU
        // b-switch oracle shows it on a real kernel): a single-function upstream port passes
        // pci_acs_enabled, the walk only ever goes *up*, so each ACS-less downstream port takes the
        // devices below it and sibling downstream ports stay apart.
        #expect(p.groupOf("02:00.0") == ["02:00.0"])
        #expect(p.groupOf("04:00.0") == ["03:00.0", "04:00.0"])
        #expect(p.groupOf("03:02.0") == ["03:02.0"])
        let sas = try #require(p.tree.index(of: PCIAddress("04:00.0")!))
        let why = try #require(p.explanation(sas))
        #expect(why.contains("04:00.0 joins 03:00.0: switch downstream port 10de:05b1 has no ACS capability (SV, RR, CR, UF not enforced)"))
        // ICH10 root ports (not in the Intel PCH quirk list, no ACS): one multifunction slot merge.
        #expect(p.groupOf("00:1c.0") == ["00:1c.0", "00:1c.1", "00:1c.2", "07:00.0", "08:00.0"])
        // GPU + HDMI audio behind 00:07.0 (ACS): together, and nothing else.
        #expect(p.groupOf("06:00.0") == ["06:00.0", "06:00.1"])
        #expect(p.rootPortIsolation.filter(\.isolated).map { p.name($0.port) } == ["00:00.0", "00:01.0", "00:03.0", "00:07.0"])
        #expect(p.numbersAreKernelNumbers)

        // Without --assume-iommu the dump's all-clear ACS Control makes the X58 ports non-isolating:
        // the switch joins its root port, and the tool says the dump was probably taken without an IOMMU.
        let raw = try predict(m("x58-asus-p6t6-nf200"))
        let rp = try #require(raw.tree.upstreamBridges(of: sas).last)
        #expect(raw.groupOf("04:00.0").contains(raw.name(rp)))
        #expect(raw.groupOf("04:00.0").count == 5)
        #expect(raw.notes.contains { $0.kind == .hint && $0.text.contains("--assume-iommu") })
        #expect(!p.notes.contains { $0.kind == .hint })
    }

    @Test func ivyBridgePCHPortsSplitAndDGPUJoinsPEG() throws {
        let p = try predict(m("ivb-latitude-e6430-nvs5200m"))
        for port in ["00:1c.0", "00:1c.1", "00:1c.2", "00:1c.3", "00:1c.5"] {
            #expect(p.groupOf(port) == [port], "PCH root port \(port) is quirked (1e10..1e1f)")
        }
        #expect(p.groupOf("03:00.0") == ["03:00.0"])
        // PEG port 8086:0151: no ACS, no quirk -> the NVS 5200M joins it.
        #expect(p.groupOf("01:00.0") == ["00:01.0", "01:00.0"])
        // 01:00.1 reads ffff:ffff: not a device.
        #expect(p.tree.skipped.map(\.address.shortDescription) == ["01:00.1"])
        #expect(p.notes.contains { $0.text.contains("01:00.1 reads all ones") })
        #expect(p.notes.contains { $0.text.contains("PCH root-port ACS workaround") && $0.text.contains("RCBA enabled in 0000:00:1f.0") })

        // If the RCBA workaround fails, the quirk answers "not isolated": one slot merge.
        let f = try predict(m("ivb-latitude-e6430-nvs5200m"), pchFails: true)
        #expect(f.groupOf("00:1c.0") == ["00:1c.0", "00:1c.1", "00:1c.2", "00:1c.3", "00:1c.5", "03:00.0", "0c:00.0"])
        let i = try #require(f.tree.index(of: PCIAddress("00:1c.1")!))
        #expect(f.explanation(i)?.contains("answers \"not isolated\" (the Intel PCH RCBA workaround failed)") == true)
    }

    @Test func sandyBridgeConventionalCaptureCardBehindPCIeToPCIBridge() throws {
        let p = try predict(m("snb-h67-pcie-pci-bridge-saa7134"))
        #expect(p.groupOf("02:08.0") == ["00:01.0", "01:00.0", "02:08.0"])
        let card = try #require(p.tree.index(of: PCIAddress("02:08.0")!))
        #expect(p.explanation(card) == "02:08.0 joins 01:00.0: behind PCIe-to-PCI bridge 01:00.0 (12d8:e111), requester ID aliased to 02:00.0")
        let bridge = try #require(p.tree.index(of: PCIAddress("01:00.0")!))
        #expect(p.explanation(bridge)?.hasPrefix("01:00.0 joins 00:01.0: root port 8086:0101 has no ACS capability") == true)
        #expect(p.groupOf("00:1c.0") == ["00:1c.0"])
        #expect(p.groupOf("00:1c.1") == ["00:1c.1"])
        #expect(p.groupOf("04:00.0") == ["04:00.0"])
    }

    @Test func ich8mCardBusBehindMobileBridge() throws {
        let p = try predict(m("ich8m-fujitsu-p8010"))
        #expect(p.groupOf("1d:00.0") == ["00:1e.0", "1c:03.0", "1c:03.2", "1c:03.4", "1d:00.0"])
        // ICH8 root ports: no ACS, not quirked, same slot.
        #expect(p.groupOf("00:1c.0") == ["00:1c.0", "00:1c.4", "04:00.0", "14:00.0"])
        let cb = try #require(p.tree.index(of: PCIAddress("1d:00.0")!))
        #expect(p.explanation(cb)?.contains("behind conventional PCI bridge") == true)
    }

    @Test func rk3399MarvellFunc1Alias() throws {
        let p = try predict(m("arm-rk3399-asm1184e-gk106"))
        let sata = try #require(p.devices.first { $0.idString == "1b4b:9123" })
        #expect(sata.dma.sources == ["quirk_dma_func1_alias"])
        #expect(sata.dma.aliases.members == [sata.address.devfn | 1])
        let fn1 = try #require(p.devices.first { $0.address.bus == sata.address.bus && $0.address.function == 1 })
        #expect(p.groupNumber[sata.index] == p.groupNumber[fn1.index])
        // 256-byte dump: ACS invisible, said so; ASM1184e without ACS -> one group below the root port.
        #expect(p.notes.contains { $0.kind == .input && $0.text.contains("ACS unknown, treated as absent") })
        #expect(p.groups.count == 1)
        #expect(!p.numbersAreKernelNumbers)
    }

    @Test func x99QD4() throws {
        let p = try predict(m("x99-huananzhi-qd4-navi23"), assumeIOMMU: true)
        #expect(p.groupOf("00:02.0") == ["00:02.0"])
        #expect(p.groupOf("03:00.0") == ["03:00.0"])
        #expect(p.groupOf("04:00.0") == ["04:00.0"])
        // NOTES expects {05:00.0, 05:00.1}. Kernel rules say otherwise: both Navi functions carry an
        // ACS capability that advertises no bits, and pci_acs_flags_enabled() counts unadvertised
        // controls as satisfied, so each multifunction endpoint passes pci_acs_enabled() and gets
        // its own group (step 4 only merges functions that fail it).
        #expect(p.groupOf("05:00.0") == ["05:00.0"])
        #expect(p.groupOf("05:00.1") == ["05:00.1"])
        let gpu = try #require(p.tree.index(of: PCIAddress("05:00.0")!))
        #expect(p.verdicts[gpu].isolated)
        #expect(p.devices[gpu].acsStandard?.capability == [])
        #expect(p.groupOf("02:00.0") == ["02:00.0"])
        #expect(p.groupOf("00:01.1") == ["00:01.1"])
        #expect(p.groupOf("08:00.0") == ["08:00.0"])
        #expect(p.groupOf("00:1c.2") == ["00:1c.2"])
    }

    @Test func x99BD4AndArrandalePCHQuirk() throws {
        let bd4 = try predict(m("x99-huananzhi-bd4"), assumeIOMMU: true)
        #expect(bd4.groupOf("00:1c.0") == ["00:1c.0"])
        #expect(bd4.groupOf("00:1c.3") == ["00:1c.3"])
        let arr = try predict(m("arrandale-samsung-r580-gt330m"))
        for port in ["00:1c.0", "00:1c.2", "00:1c.3"] { #expect(arr.groupOf(port) == [port]) }
        #expect(arr.groupOf("02:00.0") == ["00:01.0", "02:00.0", "02:00.1"])
    }

    @Test func gm45SlotMerge() throws {
        let p = try predict(m("gm45-acer-extensa5630"))
        #expect(p.groupOf("00:1c.0") == ["00:1c.0", "00:1c.1", "00:1c.4", "02:00.0", "03:00.0"])
    }

    @Test func powerPlatformsAreFlagged() throws {
        let talos = try predict(m("ppc64le-talos2-power9-phb4"))
        #expect(talos.notes.contains { $0.kind == .platform && $0.text.contains("PE-based platform") && $0.text.contains("1014:04c1") })
        #expect(!talos.numbersAreKernelNumbers)
        // BCM5719 functions share a group (and, with ACS invisible in 256 bytes, the PHB root port too).
        #expect(talos.groupOf("0004:01:00.1") == ["0004:00:00.0", "0004:01:00.0", "0004:01:00.1"])
        #expect(talos.tree.rootBuses.count == 10)
        // The AST2500 VGA behind the ASPEED PCIe-to-PCI bridge 1a03:1150: 6.12 aliases it to the
        // bridge; 7.x sets PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS, so the ACS walk decides instead. Same group.
        let old = try predict(m("ppc64le-talos2-power9-phb4"), kernel: .v6_12)
        let vga = try #require(talos.tree.index(of: PCIAddress("0005:02:00.0")!))
        #expect(old.explanation(vga) == "0005:02:00.0 joins 0005:01:00.0: behind PCIe-to-PCI bridge 0005:01:00.0 (1a03:1150), requester ID aliased to 0005:02:00.0")
        #expect(talos.explanation(vga) == "0005:02:00.0 joins 0005:01:00.0: PCIe-to-PCI bridge 1a03:1150 is never isolated (ACS does not apply to it)")
        #expect(old.partition == talos.partition)
        let pseries = try predict(m("ppc-ibm-pcix-multidomain"))
        #expect(pseries.notes.contains { $0.kind == .platform && $0.text.contains("PE-based platform") })
    }

    @Test func noIOMMUAndDTPlatforms() throws {
        let fsl = try predict(m("fsl-p2020-multidomain"))
        #expect(fsl.notes.contains { $0.kind == .platform && $0.text.contains("has no IOMMU") })
        #expect(fsl.tree.rootBuses.map(\.description) == ["0000:04", "0001:02", "0002:00"])
        #expect(fsl.groups.count == 3)
        // The Qualcomm board's kernel put its only root port in group 7: platform devices took 0-6.
        let qcom = try predict(m("arm-qcom-rootport-17cb-010b"))
        let seen = try Fixtures.groups("machines/arm-qcom-rootport-17cb-010b/groups.txt")
        #expect(show(qcom.partition) == show(partition(seen)))
        #expect(!qcom.numbersAreKernelNumbers)
        #expect(qcom.notes.contains { $0.text.contains("only label the partition") })
        // A DT root port without ACS and no quirk (17cb:010b is not in the table).
        #expect(qcom.rootPortIsolation.map(\.isolated) == [false])
    }

    @Test func n1sdpPLXDMAFunctionsWithUpstreamPort() throws {
        let p = try predict(m("arm-n1sdp-pex8749"))
        let up = p.groupOf("0000:01:00.0")
        for f in 1...4 { #expect(up.contains("0000:01:00.\(f)")) }
        #expect(p.notes.contains { $0.text.contains("extended config space missing for 16 function(s)") })
        #expect(p.groupOf("0001:00:00.0") == ["0001:00:00.0"])
    }

    @Test(arguments: Fixtures.machines)
    func everyMachineIsPartitionedAndDeterministic(_ name: String) throws {
        let a = try predict(m(name))
        let b = try predict(m(name))
        #expect(a.partition == b.partition)
        #expect(a.dot() == b.dot())
        #expect(Set(a.partition.flatMap { $0 }).count == a.tree.functions.count)
        #expect(a.groups.map(\.number) == Array(0..<a.groups.count))
    }
}
