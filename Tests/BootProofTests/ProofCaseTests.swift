import Foundation
import PCIConfig
import Testing
import TestSupport
@testable import BootProof

/// proof.txt: what is read, and what is refused with the file and line.
@Suite struct ProofCaseTests {
    static func write(_ proof: String) throws -> (root: String, dir: String) {
        let root = try Fixtures.temporaryDirectory("acsquirk-proofcase").path
        try FileManager.default.createDirectory(atPath: root + "/registry/intel", withIntermediateDirectories: true)
        try "schema: 1\n".write(toFile: root + "/registry/intel/x.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/case", withIntermediateDirectories: true)
        try "-device nvme\n".write(toFile: root + "/case/topology.args", atomically: true, encoding: .utf8)
        try proof.write(toFile: root + "/case/proof.txt", atomically: true, encoding: .utf8)
        return (root, root + "/case")
    }

    @Test func readsEntriesControlsAndTheSummary() throws {
        let (root, dir) = try Self.write("# first line\n# second\nentry intel/x.yaml   # a comment\n\ncontrol 0000:02:00.1 0000:02:00.0\n")
        let c = try ProofCase(directory: dir, registry: root + "/registry")
        #expect(c.name == "case")
        #expect(c.summary == ["first line", "second"])
        #expect(c.entries == [root + "/registry/intel/x.yaml"])
        #expect(c.controls == [[PCIAddress("0000:02:00.0")!, PCIAddress("0000:02:00.1")!]])
        #expect(try ProofCase.all(in: root).map(\.name) == ["case"])
    }

    @Test(arguments: [
        ("entry intel/missing.yaml\ncontrol 0000:01:00.0\n", "proof.txt:1: registry file "),
        ("entry intel/x.yaml\ncontrol 01:00.0 zz\n", "proof.txt:2: 'control' takes the BDFs"),
        ("entry intel/x.yaml\nsplit 0000:01:00.0\n", "proof.txt:2: unknown keyword 'split'"),
        ("entry intel/x.yaml\n", "proof.txt: needs at least one 'entry' and one 'control' line"),
    ])
    func refusesWithFileAndLine(_ text: String, _ message: String) throws {
        let (root, dir) = try Self.write(text)
        let e = #expect(throws: ProofCase.Invalid.self) { try ProofCase(directory: dir, registry: root + "/registry") }
        #expect(e?.description.contains(message) == true, "\(e?.description ?? "no error")")
    }
}

/// A tool the proof needs that is not installed fails with its name, never a silent skip.
@Test func aMissingToolIsNamed() async throws {
    let e = await #expect(throws: ProofError.self) { try await Tool.run("acsquirk-no-such-tool", ["--version"]) }
    #expect(e?.description.contains("cannot run acsquirk-no-such-tool") == true, "\(e?.description ?? "no error")")
    #expect(e?.description.contains("make test-deps") == true)
}
