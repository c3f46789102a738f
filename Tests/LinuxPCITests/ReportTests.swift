import Foundation
import PCIConfig
import Pipeline
import Testing
import TestSupport
@testable import LinuxPCI

/// The text, JSON and DOT renderings: content, determinism, and that graphviz accepts the DOT.
@Suite struct ReportTests {
    @Test func textExplainsEveryMemberThatIsNotAlone() throws {
        let p = try predict("qemu/c-mf-endpoint/dump.txt")
        let text = GroupsReport(prediction: p, source: "c").text(explain: true)
        #expect(text.contains("why: 01:00.1 with 01:00.0: multifunction endpoint without ACS and no quirk for 8086:10d3"))
        #expect(text.contains("why: 00:1f.2 with 00:1f.0: conventional PCI function 8086:2922 has no PCI Express capability"))
        #expect(text.contains("Group numbers: as the kernel allocates them at boot."))
        #expect(text.contains("00:01.0  [1b36:000c]  isolated: root port 1b36:000c enforces ACS SV, RR, CR, UF"))
        // Every non-first member of a multi-member group has a reason.
        for g in p.groups where g.members.count > 1 {
            for i in g.members.dropFirst() { #expect(p.explanation(i) != nil) }
            #expect(p.explanation(g.members[0]) == nil)
        }
        #expect(GroupsReport(prediction: p, source: "c").text(explain: false).contains("why:") == false)
    }

    @Test func b2NamesTheRootPortAndMissingControls() throws {
        let p = try predict("qemu/b2-switch-rootport-noacs/dump.txt")
        let i = try #require(p.tree.index(of: PCIAddress("01:00.0")!))
        #expect(p.explanation(i) == "01:00.0 joins 00:01.0: root port 1b36:000c has no ACS capability (SV, RR, CR, UF not enforced) and no quirk")
        let rp = p.rootPortIsolation.first { p.name($0.port) == "00:01.0" }
        #expect(rp?.isolated == false)
    }

    @Test func jsonRoundTripsAndIsDeterministic() throws {
        let p = try predict("qemu/f-quirk/dump.txt")
        let w = try predict("qemu/f-quirk/dump.txt", extra: [WhatIf.mfEndpointQuirk(vendor: 0x8086, device: 0x10d3)])
        let r = GroupsReport(prediction: p, source: "f", whatIf: w, quirkLabels: ["--quirk 8086:10d3"])
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let a = try enc.encode(r), b = try enc.encode(GroupsReport(prediction: try predict("qemu/f-quirk/dump.txt"), source: "f",
                                                                   whatIf: w, quirkLabels: ["--quirk 8086:10d3"]))
        #expect(a == b)
        let back = try JSONDecoder().decode(GroupsReport.self, from: a)
        #expect(back == r)
        let change = try #require(back.whatIf?.changes.first)
        #expect(change.kind == "split")
        #expect(change.before.map(\.members) == [["0000:01:00.0", "0000:01:00.1"]])
        #expect(change.after.map(\.members) == [["0000:01:00.0"], ["0000:01:00.1"]])
        #expect(r.text(explain: false).contains("group 4 {01:00.0 01:00.1} splits into group 4 {01:00.0}, group 5 {01:00.1}"))
    }

    @Test(arguments: ["b2-switch-rootport-noacs", "d-pci-bridge", "e-rciep"])
    func dotIsDeterministicAndGraphvizAcceptsIt(_ topo: String) async throws {
        let p = try predict("qemu/\(topo)/dump.txt")
        let dot = p.dot()
        #expect(dot == (try predict("qemu/\(topo)/dump.txt")).dot())
        #expect(dot.components(separatedBy: "subgraph \"cluster_group_").count - 1 == p.groups.count)
        let dir = try Fixtures.temporaryDirectory("acsquirk-dot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("g.dot")
        try dot.write(to: file, atomically: true, encoding: .utf8)
        let r = try await runTool("dot", ["-Tsvg", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        // One node per function and root bus, four in the legend; one edge per function.
        #expect(r.stdout.components(separatedBy: "class=\"node\"").count - 1 == p.tree.functions.count + p.tree.rootBuses.count + 4)
        #expect(r.stdout.contains("<title>cluster_legend</title>"))
        #expect(r.stdout.components(separatedBy: "class=\"edge\"").count - 1 == p.tree.functions.count)
    }

    @Test func dotMarksNonIsolatingBridges() throws {
        let p = try predict("qemu/b2-switch-rootport-noacs/dump.txt")
        let dot = p.dot()
        #expect(dot.contains("\"0000:00:01.0\" [label=\"00:01.0  1b36:000c\\nroot port\\nnot isolating: SV RR CR UF missing\", color=\"#dc2626\""))
        // The isolating root port 00:02.0 is not marked.
        let line = try #require(dot.split(separator: "\n").first { $0.contains("\"0000:00:02.0\" [label") })
        #expect(!line.contains("not isolating"))
    }
}
