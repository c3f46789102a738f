import Foundation
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport
@testable import LinuxPCI

/// f-quirk re-enumerated under a fake kernel quirk (kretprobe on pci_dev_specific_acs_enabled):
/// the kernel's partition after the quirk. Its numbers reflect a rescan, so only partitions compare.
@Suite struct QuirkWhatIfTests {
    @Test(arguments: [("8086:10d3", "f-8086-10d3"), ("1b36:0010", "f-1b36-0010")])
    func whatIfQuirkMatchesKernel(_ id: String, _ folder: String) throws {
        let (v, d) = try #require(PCIDeviceID(id).map { ($0.vendor, $0.device) })
        let expected = try Fixtures.groups("qemu-quirk/\(folder)/groups.txt")
        let before = try predict("qemu/f-quirk/dump.txt", kernel: .v6_12)
        let after = try predict("qemu/f-quirk/dump.txt", kernel: .v6_12, extra: [WhatIf.mfEndpointQuirk(vendor: v, device: d)])
        #expect(show(after.partition) == show(partition(expected)))
        // The quirk's own dump (taken after the rescan) gives the same prediction with the quirk.
        let afterOwnDump = try predict("qemu-quirk/\(folder)/dump.txt", kernel: .v6_12,
                                       extra: [WhatIf.mfEndpointQuirk(vendor: v, device: d)])
        #expect(show(afterOwnDump.partition) == show(partition(expected)))
        // Exactly one group splits: the pair with that ID.
        let changes = WhatIf.compare(before: before, after: after)
        #expect(changes.count == 1)
        let c = try #require(changes.first)
        #expect(c.kind == .split)
        #expect(c.before.count == 1 && c.after.count == 2)
        let ids = Set(c.before[0].members.compactMap { a in before.tree.index(of: a).map { before.tree.functions[$0].idString } })
        #expect(ids == [id])
    }

    @Test func whatIfForAbsentIDChangesNothing() throws {
        let before = try predict("qemu/f-quirk/dump.txt")
        let after = try predict("qemu/f-quirk/dump.txt", extra: [WhatIf.mfEndpointQuirk(vendor: 0x8086, device: 0x1234)])
        #expect(WhatIf.compare(before: before, after: after).isEmpty)
        #expect(before.partition == after.partition)
    }
}

/// `--with-registry`: a `new` registry entry, loaded by the real loader, consulted first.
@Suite struct RegistryWhatIfTests {
    static let yaml = SampleEntries.intel82574L

    @Test func newRegistryEntrySplitsLikeTheKernelQuirk() throws {
        let (loaded, diags) = Registry.load(yaml: Self.yaml, path: "quirks/intel/82574l.yaml")
        #expect(!diags.hasErrors, "\(diags)")
        let entry = try #require(loaded?.entry)
        let before = try predict("qemu/f-quirk/dump.txt", kernel: .v6_12)
        let after = try predict("qemu/f-quirk/dump.txt", kernel: .v6_12, extra: [entry])
        let expected = try Fixtures.groups("qemu-quirk/f-8086-10d3/groups.txt")
        #expect(show(after.partition) == show(partition(expected)))
        let report = GroupsReport(prediction: before, source: "f", whatIf: after, quirkLabels: ["--with-registry"])
        #expect(report.whatIf?.changes.count == 1)
        let i = try #require(after.tree.index(of: PCIAddress("01:00.1")!))
        #expect(after.verdicts[i].isolated)
        #expect(after.verdicts[i].phrase(for: after.devices[i]) == "multifunction endpoint 8086:10d3 is isolated by registry entry Intel 82574L (new)")
        let j = try #require(before.tree.index(of: PCIAddress("01:00.1")!))
        #expect(!before.verdicts[j].isolated)
    }
}
