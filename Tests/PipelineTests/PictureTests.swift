import Foundation
import Pipeline
import Testing
import TestSupport

/// `acsquirk groups --format dot|svg|png` on a real machine (the Sandy Bridge desktop with a
/// PCIe-to-PCI bridge, quirked PCH root ports and a PEG root port without ACS), with names from a
/// committed pci.ids excerpt: the DOT against its committed reference, the pictures graphviz
/// draws from it, and the error without graphviz.
@Suite struct PictureTests {
    static let dump = Fixtures.path("machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt")
    static let ids = Fixtures.path("pictures/snb-h67.pci.ids")

    func groups(_ format: String, ids: String = ids) async throws -> ToolResult? {
        try await acsquirk(["groups", "--dump", Self.dump, "--ids-path", ids, "--format", format])
    }

    /// The groups as `--format json` reports them: number and member BDFs.
    func groupMembers() async throws -> [(number: Int, members: [String])] {
        let r = try #require(try await groups("json"))
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let gs = try #require(report["groups"] as? [[String: Any]])
        return gs.map { g in
            ((g["number"] as? Int) ?? -1, ((g["members"] as? [[String: Any]]) ?? []).compactMap { $0["bdf"] as? String })
        }
    }

    /// The DOT as the IOMMU on (`snb-h67.dot`) and off (`snb-h67-iommu-off.dot`: `--cmdline
    /// intel_iommu=off`, the tree without group clusters, captioned "No IOMMU groups: …") draw it.
    @Test(arguments: [("snb-h67.dot", [String]()), ("snb-h67-iommu-off.dot", ["--cmdline", "intel_iommu=off"])])
    func dotMatchesTheReference(_ reference: String, _ extra: [String]) async throws {
        guard let r = try await acsquirk(["groups", "--dump", Self.dump, "--ids-path", Self.ids, "--format", "dot"] + extra) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let file = Fixtures.path("pictures/" + reference)
        if ProcessInfo.processInfo.environment["ACSQUIRK_RECORD"] == "1" {
            try r.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: file, encoding: .utf8)
        if r.stdout != want {
            Issue.record("groups --format dot differs from Tests/Fixtures/pictures/\(reference):\n\(await textDiff(expected: want, actual: r.stdout))")
        }
    }

    /// Full names wrapped, never cut; the marks the legend explains are where the kernel's rules put them.
    @Test func dotWrapsFullNamesAndMarksBridgesAndQuirks() async throws {
        guard let r = try await groups("dot") else { return }
        let dot = r.stdout
        let lspci = try await runTool("lspci", ["-F", Self.dump, "-i", Self.ids, "-mm", "-D"])
        #expect(lspci.status == 0, "\(lspci.stderr)")
        for line in lspci.stdout.split(separator: "\n") {
            // 0000:00:1c.0 "PCI bridge" "Intel Corporation" "6 Series/C200 ... Root Port 1" -r.. ...
            let fields = line.split(separator: "\"").map(String.init)
            let bdf = fields[0].trimmingCharacters(in: .whitespaces)
            let full = fields[3] + " " + fields[5]
            let node = try #require(dot.split(separator: "\n").first { $0.contains("\"\(bdf)\" [label=") }, "\(bdf)")
            let label = try #require(node.split(separator: "\"").dropFirst(3).first)
            #expect(label.replacingOccurrences(of: "\\n", with: " ").contains(full), "\(bdf): \(label) lacks \(full)")
            for wrapped in label.components(separatedBy: "\\n") { #expect(wrapped.count <= 36, "\(bdf): \(wrapped)") }
        }
        #expect(!dot.contains("…\\n") && !dot.contains("…\""), "a name was cut")
        // The PEG root port (no ACS, no quirk) and the PCIe-to-PCI bridge do not isolate; the PCH
        // root ports are isolated by the Intel PCH quirk.
        for bridge in ["0000:00:01.0", "0000:01:00.0"] {
            let node = try #require(dot.split(separator: "\n").first { $0.contains("\"\(bridge)\" [label=") })
            #expect(node.contains("not isolating") && node.contains("style=\"rounded,filled,dashed\""), "\(node)")
        }
        for port in ["0000:00:1c.0", "0000:00:1c.1"] {
            let node = try #require(dot.split(separator: "\n").first { $0.contains("\"\(port)\" [label=") })
            #expect(node.contains("ACS quirk: pci_quirk_intel_pch_acs") && node.contains("color=\"#15803d\""), "\(node)")
        }
        // The legend: one row per group, and a sample of each mark.
        let members = try await groupMembers()
        #expect(dot.contains("subgraph \"cluster_legend\""))
        for g in members { #expect(dot.contains("<TD ALIGN=\"LEFT\">group \(g.number): "), "legend row of group \(g.number)") }
        #expect(dot.contains("\"legend:not-isolating\"") && dot.contains("\"legend:quirk\"") && dot.contains("\"legend:bus\""))
    }

    /// graphviz really draws it: every group's cluster with each member's node, and the legend;
    /// the same bytes twice.
    @Test func svgShowsEveryGroupAndTheLegend() async throws {
        guard let r = try await groups("svg"), let again = try await groups("svg") else { return }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == again.stdout)
        let svg = r.stdout
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg ") && svg.hasSuffix("</svg>\n"))
        let members = try await groupMembers()
        #expect(members.count == 12)
        for g in members {
            #expect(svg.contains("<title>cluster_group_\(g.number)</title>"), "group \(g.number)")
            #expect(svg.contains(">group \(g.number)</text>"), "group \(g.number) label")
            for bdf in g.members { #expect(svg.contains("<title>\(bdf)</title>"), "\(bdf) of group \(g.number)") }
        }
        for text in [">Legend</text>", ">bridge that does not isolate</text>", ">an ACS quirk isolates this function</text>",
                     ">IOMMU groups</text>"] {
            #expect(svg.contains(text), "\(text)")
        }
        // A full name, wrapped over lines of its own.
        #expect(svg.contains(">Intel Corporation Xeon E3&#45;1200/2nd</text>") || svg.contains(">Intel Corporation Xeon E3-1200/2nd</text>"), "\(svg)")
    }

    @Test func pngIsAPicture() async throws {
        guard let bin = acsquirkBinary() else { return }
        let dir = try Fixtures.temporaryDirectory("acsquirk-png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("groups.png").path
        let r = try await runTool("sh", ["-c", "\"$0\" groups --dump \"$1\" --ids-path \"$2\" --format png > \"$3\"",
                                         bin, Self.dump, Self.ids, file])
        #expect(r.status == 0, "\(r.stderr)")
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let size = try #require(pngSize(png), "not a PNG: \(png.prefix(16))")
        #expect(size.width > 400 && size.height > 400, "\(size)")
    }

    /// Without graphviz: a sentence naming the missing program and its package, exit 2, nothing
    /// on stdout; `run` still writes its page, without the picture, and says why.
    @Test func withoutGraphvizTheErrorSaysSo() async throws {
        guard let bin = acsquirkBinary() else { return }
        let empty = try Fixtures.temporaryDirectory("acsquirk-nopath")
        defer { try? FileManager.default.removeItem(at: empty) }
        let r = try await runTool("env", ["PATH=" + empty.path, bin, "groups", "--dump", Self.dump, "--format", "svg"],
                                  workingDirectory: Fixtures.root.path)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("acsquirk groups: cannot draw the picture: graphviz is not installed: the program 'dot' was not found in PATH (Debian: apt-get install graphviz)"),
                "\(r.stderr)")
        let out = empty.appendingPathComponent("out").path
        let run = try await runTool("env", ["PATH=" + empty.path, bin, "run", "--dump", Self.dump, "--out", out],
                                    workingDirectory: Fixtures.root.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("[8/8] report: index.html without a picture: graphviz is not installed"), "\(run.stdout)")
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(page.contains("No picture: graphviz is not installed") && !page.contains("<svg"))
        #expect(!FileManager.default.fileExists(atPath: out + "/groups.svg"))
        #expect(FileManager.default.fileExists(atPath: out + "/groups.dot"))
    }
}

/// Width and height from a PNG's IHDR chunk (PNG specification, 11.2.2), or `nil` when `bytes` is
/// not a PNG.
func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
    guard bytes.count > 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
    func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20))
}
