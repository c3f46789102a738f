import PCIAccess
import PCIConfig
import Registry
import StaticACS
import Testing
import TestSupport
import LinuxPCI

/// The static table changes IOMMU groups the way a kernel quirk does: Linux's group formation
/// (LinuxPCI's `GroupPredictor`, which reproduces `pci_device_group()`) on patched dumps.
@Suite struct GroupTests {
    /// The kernel's groups of a fixture as a partition.
    func partition(_ relative: String) throws -> [[PCIAddress]] {
        TestSupport.partition(try Fixtures.groups(relative))
    }

    func patch(_ functions: [PCIFunction], _ targets: [String]) throws -> [PCIFunction] {
        try functions.map { f in
            guard targets.contains(f.address.description) else { return f }
            return try #require(StaticACSTable.place(try ACSTableRequest(), in: f).patchedFunction)
        }
    }

    /// QEMU f-quirk: the two e1000e (8086:10d3) or nvme (1b36:0010) functions share a group; with
    /// the static table on both functions the predicted groups are exactly what the real kernel
    /// formed when a `pci_quirk_mf_endpoint_acs` row for that ID was active (qemu-quirk/…).
    /// No kernel quirk row matches these QEMU devices, so an empty quirk table is the kernel's view
    /// here; the unpatched prediction checks that against the kernel's own groups first.
    @Test(arguments: [
        (["0000:01:00.0", "0000:01:00.1"], "qemu-quirk/f-8086-10d3/groups.txt"),
        (["0000:02:00.0", "0000:02:00.1"], "qemu-quirk/f-1b36-0010/groups.txt"),
    ])
    func staticTableSplitsLikeTheKernelQuirk(targets: [String], expected: String) throws {
        let functions = try PCIReader.read(.dump(path: Fixtures.path("qemu/f-quirk/dump.txt")), names: false)
        let options = LinuxSystem(kernel: .v6_12)
        let before = GroupPredictor.predict(functions, quirks: QuirkTable(entries: []), system: options)
        #expect(before.partition == (try partition("qemu/f-quirk/groups.txt")))
        let after = GroupPredictor.predict(try patch(functions, targets), quirks: QuirkTable(entries: []), system: options)
        #expect(after.partition == (try partition(expected)))
        let a = try #require(PCIAddress(targets[0])), b = try #require(PCIAddress(targets[1]))
        #expect(before.numberByAddress[a] == before.numberByAddress[b])
        #expect(after.numberByAddress[a] != after.numberByAddress[b])
    }

    /// X58 machine: GeForce 210 (06:00.0) and its HDMI audio (06:00.1) behind root port 00:07.0,
    /// which has ACS (dumped without an IOMMU, so Control is assumed enabled as Linux would).
    /// One group without the table, one group each with it.
    @Test func realGPUFunctionsLandInSeparateGroups() throws {
        let functions = try PCIReader.read(.dump(path: Fixtures.path("machines/x58-asus-p6t6-nf200/dump.txt")), names: false)
        let options = LinuxSystem(kernel: .v6_12, assumeIOMMU: true)
        let targets = ["0000:06:00.0", "0000:06:00.1"]
        let gpu = try #require(PCIAddress(targets[0])), audio = try #require(PCIAddress(targets[1]))
        let before = GroupPredictor.predict(functions, quirks: QuirkTable(entries: []), system: options)
        #expect(before.numberByAddress[gpu] == before.numberByAddress[audio])
        let after = GroupPredictor.predict(try patch(functions, targets), quirks: QuirkTable(entries: []), system: options)
        #expect(after.numberByAddress[gpu] != after.numberByAddress[audio])
        // Nothing else moved: the partition differs only by the split.
        let rest = { (p: [[PCIAddress]]) in p.filter { !$0.contains(gpu) && !$0.contains(audio) } }
        #expect(rest(after.partition) == rest(before.partition))
        // With two functions one table is already enough: the patched function passes
        // pci_acs_enabled, so the other finds no unisolated sibling (get_pci_function_alias_group).
        let half = GroupPredictor.predict(try patch(functions, [targets[0]]), quirks: QuirkTable(entries: []), system: options)
        #expect(half.numberByAddress[gpu] != half.numberByAddress[audio])
    }

    /// Three functions (QEMU c-mf-endpoint rp2: virtio-net, nvme, e1000e): a table on one
    /// function takes only that one out; the other two stay together.
    @Test func oneTableTakesOnlyItsFunctionOut() throws {
        let functions = try PCIReader.read(.dump(path: Fixtures.path("qemu/c-mf-endpoint/dump.txt")), names: false)
        let options = LinuxSystem(kernel: .v6_12)
        let before = GroupPredictor.predict(functions, quirks: QuirkTable(entries: []), system: options)
        #expect(before.partition == (try partition("qemu/c-mf-endpoint/groups.txt")))
        let after = GroupPredictor.predict(try patch(functions, ["0000:02:00.0"]), quirks: QuirkTable(entries: []), system: options)
        let f = ["0000:02:00.0", "0000:02:00.1", "0000:02:00.2"].compactMap { PCIAddress($0) }
        #expect(after.partition.contains([f[0]]))
        #expect(after.partition.contains([f[1], f[2]]))
    }
}
