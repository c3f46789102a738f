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
    /// Writes `<root>/bus/pci/devices/<BDF>/{config,vendor,device,class,irq,resource}` from an
    /// `lspci -xxxx` dump and `<root>/kernel/iommu_groups/<n>/devices/<BDF>` from a groups listing.
    static func fakeSysfs(dump: String, groups: [PCIAddress: Int]) throws -> URL {
        let root = try Fixtures.temporaryDirectory("acsquirk-sysfs")
        var configs: [(String, [UInt8])] = []
        for line in try Fixtures.text(dump).split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.split(separator: " ").first, PCIAddress(first) != nil, first.count == 12 {
                configs.append((String(first), []))
            } else if let colon = line.firstIndex(of: ":"), !configs.isEmpty,
                      line[..<colon].count <= 3, line[..<colon].allSatisfy(\.isHexDigit) {
                let bytes = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt8($0, radix: 16) }
                configs[configs.count - 1].1 += bytes
            }
        }
        let fm = FileManager.default
        for (bdf, b) in configs {
            let d = root.appendingPathComponent("bus/pci/devices/\(bdf)")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try Data(b).write(to: d.appendingPathComponent("config"))
            func put(_ name: String, _ text: String) throws {
                try (text + "\n").write(to: d.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try put("vendor", "0x" + hex(UInt16(b[1]) << 8 | UInt16(b[0]), width: 4))
            try put("device", "0x" + hex(UInt16(b[3]) << 8 | UInt16(b[2]), width: 4))
            try put("class", "0x" + hex(UInt32(b[11]) << 16 | UInt32(b[10]) << 8 | UInt32(b[9]), width: 6))
            try put("irq", "0")
            try put("resource", Array(repeating: "0x0000000000000000 0x0000000000000000 0x0000000000000000", count: 7)
                .joined(separator: "\n"))
        }
        for (a, n) in groups {
            let d = root.appendingPathComponent("kernel/iommu_groups/\(n)/devices")
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
            try Data().write(to: d.appendingPathComponent(a.description))
        }
        return root
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

    @Test func noIOMMUDirectoryMeansNoGroups() throws {
        let l = try LiveGroups.read(root: "/nonexistent/kernel/iommu_groups")
        #expect(!l.iommuActive)
        #expect(l.groups.isEmpty)
    }
}
