import Foundation
import Testing
import TestSupport
@testable import Topology

@Test func devPrintMachines() throws {
    guard ProcessInfo.processInfo.environment["DEVPRINT"] != nil else { return }
    for m in Fixtures.machines {
        let p = try predict("machines/\(m)/dump.txt", assumeIOMMU: true)
        print("=== \(m) kernelNumbers=\(p.numbersAreKernelNumbers)")
        for n in p.notes where n.kind != .assumption || n.text.contains("PCH") { print("  NOTE \(n.kind) \(n.text)") }
        for g in p.groups { print("  \(g.number): " + g.members.map { p.name($0) }.joined(separator: " ")) }
    }
}
