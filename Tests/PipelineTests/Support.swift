import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

/// The functions of a fixture dump, with names.
func functions(_ fixture: String) throws -> [PCIFunction] {
    try PCIReader.read(.dump(path: Fixtures.path(fixture)))
}

/// The committed registry.
let quirksFolder = Fixtures.repoPath("quirks")

func committedRegistry() throws -> [LoadedEntry] {
    let r = Registry.load(paths: [quirksFolder])
    try #require(!r.diagnostics.hasErrors, "\(r.diagnostics.map(\.description))")
    return r.entries
}

/// One entry from YAML text (as if read from `path`).
func entry(_ yaml: String, path: String) throws -> LoadedEntry {
    let r = Registry.load(yaml: yaml, path: path)
    try #require(!r.diagnostics.hasErrors, "\(r.diagnostics.map(\.description))")
    return try #require(r.entry)
}

/// A lint-clean `new` entry for QEMU's e1000e functions: Intel 82574L, multifunction endpoint.
let e1000eEntryPath = "quirks/intel/82574l.yaml"
let e1000eEntryYAML = SampleEntries.intel82574L

/// A `new` entry claiming QEMU's root port 1b36:000c never forwards peer-to-peer.
let qemuRootPortEntryPath = "quirks/red-hat/qemu-pcie-root-port.yaml"
let qemuRootPortEntryYAML = """
    schema: 1
    vendor: 0x1b36
    vendor-name: Red Hat
    family: QEMU PCIe Root Port
    devices: [0x000c]
    applies-to:
      port-type: root-port
    isolation:
      kind: ports-isolated
      acs-equivalent: [SV, RR, CR, UF]
    evidence:
      statement: Red Hat verified that QEMU's root ports never forward peer-to-peer requests between each other.
      confirmed-by: Jane Doe <jane.doe@vendor.example>
    kernel:
      status: new

    """

/// The built `acsquirk` next to the test bundle (swift build --build-tests builds it).
func acsquirkBinary() -> String? {
    if let binary = builtAcsquirk() { return binary }
    Issue.record("acsquirk is not built: run swift build --build-tests")
    return nil
}

/// Runs `acsquirk` in the repository root.
func acsquirk(_ args: [String], env: [String: String] = ["NO_COLOR": "1"]) async throws -> ToolResult? {
    guard let bin = acsquirkBinary() else { return nil }
    return try await runTool("env", [bin] + args, workingDirectory: Fixtures.root.path, environment: env)
}

/// Replaces the evidence block `acsquirk new` writes (TODO markers) with real evidence, as a
/// person editing the file would; everything else in the file stays as written.
func fillTODOs(_ text: String) throws -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let start = try #require(lines.firstIndex(of: "evidence:"))
    let end = try #require(lines[start...].firstIndex(of: "kernel:"))
    #expect(lines[start..<end].joined(separator: "\n").contains("TODO"))
    let evidence = [
        "evidence:",
        "  statement: Intel verified that the functions of the 82574L never perform peer-to-peer with each other.",
        "  confirmed-by: Jane Doe <jane.doe@vendor.example>",
        "  references:",
        "    - title: 82574 datasheet, section 1.2",
        "      url: https://vendor.example/82574.pdf",
        "  date: 2024-05-02",
    ]
    return (lines[..<start] + evidence + lines[end...]).joined(separator: "\n")
}
