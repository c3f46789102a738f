import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Testing
import TestSupport
@testable import LinuxPCI

/// Live mode on a sysfs tree rebuilt from a QEMU guest's dump and /sys/kernel/iommu_groups
/// listing: libpci's sysfs method reads it exactly as it reads /sys.
@Suite struct LiveTests {
    /// The QEMU guest's sysfs tree (`FakeSysfs` in TestSupport) with its IOMMU groups.
    static func fakeSysfs(dump: String, groups: [PCIAddress: Int]) throws -> URL {
        try FakeSysfs.make(dump: dump, groups: Dictionary(uniqueKeysWithValues: groups.map { ($0.key.description, $0.value) }))
    }

    @Test(arguments: ["b-switch", "d-pci-bridge", "e-rciep"])
    func liveMatchesKernel(_ topo: String) throws {
        let groups = try Fixtures.groups("qemu/\(topo)/groups.txt")
        let root = try Self.fakeSysfs(dump: "qemu/\(topo)/dump.txt", groups: groups)
        defer { try? FileManager.default.removeItem(at: root) }
        let fns = try PCIReader.read(.live(sysfsPath: root.path + "/bus/pci"), names: false)
        #expect(fns.count == groups.count)
        let live = try LiveGroups.read(root: root.path + "/kernel/iommu_groups")
        #expect(live.iommuActive)
        #expect(live.groups == groups)
        let p = GroupPredictor.predict(fns, quirks: try KernelTable.table(), system: LinuxSystem(kernel: .v6_12))
        let report = GroupsReport(prediction: p, source: "this machine", live: live)
        let l = try #require(report.live)
        #expect(l.partitionMatches)
        #expect(l.numbersMatch)
        #expect(!report.isFinding)
        #expect(report.text(explain: false).contains("the kernel's groups equal the prediction, numbers included."))
    }

    @Test func liveDifferenceIsAFinding() throws {
        // The kernel (here: a doctored listing) merged 02:00.0's group into 01:00.0's.
        var groups = try Fixtures.groups("qemu/b-switch/groups.txt")
        let merged = groups[PCIAddress("0000:02:00.0")!]!
        for (a, n) in groups where n == merged { groups[a] = groups[PCIAddress("0000:01:00.0")!]! }
        let root = try Self.fakeSysfs(dump: "qemu/b-switch/dump.txt", groups: groups)
        defer { try? FileManager.default.removeItem(at: root) }
        let fns = try PCIReader.read(.live(sysfsPath: root.path + "/bus/pci"), names: false)
        let live = try LiveGroups.read(root: root.path + "/kernel/iommu_groups")
        let p = GroupPredictor.predict(fns, quirks: try KernelTable.table(), system: LinuxSystem(kernel: .v6_12))
        let report = GroupsReport(prediction: p, source: "this machine", live: live)
        #expect(report.isFinding)
        let l = try #require(report.live)
        #expect(l.differences.count == 1)
        #expect(l.differences[0].kind == "merge")
        #expect(l.differences[0].before.map(\.members) == [["0000:01:00.0"], ["0000:02:00.0", "0000:03:00.0"]])
        let text = report.text(explain: false)
        #expect(text.contains("the kernel's groups DIFFER from the prediction."))
        #expect(text.contains("predicted partition: "))
        #expect(text.contains("kernel partition:    "))
    }

    /// The two ways groups are written down (the oracle's `<group> <BDF>` lines, `find`'s paths)
    /// read alike; anything else is refused with the file and line.
    @Test func listingsOfBothKindsReadAlike() throws {
        let lines = try LiveGroups(listing: "0 0000:00:00.0\n1 0000:00:01.0\n1 0000:01:00.0\n\n", path: "groups.txt")
        let paths = try LiveGroups(listing: """
            /sys/kernel/iommu_groups/0/devices/0000:00:00.0
            /sys/kernel/iommu_groups/1/devices/0000:00:01.0
            /sys/kernel/iommu_groups/1/devices/0000:01:00.0
            """, path: "find.txt")
        #expect(lines == paths)
        #expect(lines.iommuActive)
        #expect(lines.partition.map { $0.map(\.description) } == [["0000:00:00.0"], ["0000:00:01.0", "0000:01:00.0"]])
        #expect(try !LiveGroups(listing: "", path: "empty.txt").iommuActive)
        let error = #expect(throws: LiveGroups.ReadError.self) {
            try LiveGroups(listing: "0 0000:00:00.0\nnot a group\n", path: "bad.txt")
        }
        #expect(error?.description == "bad.txt:2: not '<group> <BDF>' or an iommu_groups path: not a group")
    }

    @Test func noIOMMUDirectoryMeansNoGroups() throws {
        let l = try LiveGroups.read(root: "/nonexistent/kernel/iommu_groups")
        #expect(!l.iommuActive)
        #expect(l.groups.isEmpty)
    }
}
