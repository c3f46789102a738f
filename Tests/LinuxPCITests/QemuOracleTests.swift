import Foundation
import PCIConfig
import Testing
import TestSupport
@testable import LinuxPCI

/// The kernel's own groups (QEMU q35 + intel-iommu, Debian 6.12.117 and 6.1) against the prediction.
@Suite struct QemuOracleTests {
    static let topologies = Fixtures.qemuTopologies

    @Test(arguments: topologies)
    func kernel612PartitionAndNumbers(_ topo: String) throws {
        let expected = try Fixtures.groups("qemu/\(topo)/groups.txt")
        let p = try predict("qemu/\(topo)/dump.txt", kernel: .v6_12)
        #expect(show(p.partition) == show(partition(expected)))
        #expect(p.numbersAreKernelNumbers)
        #expect(p.numberByAddress == expected, "group numbers differ from the kernel's")
    }

    @Test(arguments: topologies)
    func kernel61PartitionAndNumbers(_ topo: String) throws {
        let expected = try Fixtures.groups("qemu/\(topo)/groups-6.1.txt")
        let p = try predict("qemu/\(topo)/dump-6.1.txt", kernel: .v6_1)
        #expect(show(p.partition) == show(partition(expected)))
        #expect(p.numberByAddress == expected, "group numbers differ from the kernel's")
    }

    @Test(arguments: topologies)
    func newestProfileAgreesOnQemu(_ topo: String) throws {
        // Nothing in these topologies differs between 6.12 and 7.3 (no IDT or ASPEED devices).
        let expected = try Fixtures.groups("qemu/\(topo)/groups.txt")
        let p = try predict("qemu/\(topo)/dump.txt", kernel: .v7_3)
        #expect(show(p.partition) == show(partition(expected)))
    }
}
