import Foundation
import LinuxPCI
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

/// `out/index.html` as `acsquirk run` writes it for a real machine (the Sandy Bridge desktop),
/// with hostile names from pci.ids and a hostile registry entry: what the page says, that input
/// stays text, and what a person sees in a real browser (Debian's Chromium, headless).
@Suite struct HTMLReportTests {
    static let dump = Fixtures.path("machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt")

    /// A `new` entry claiming the PEG root port 8086:0101 never forwards peer-to-peer, with markup
    /// in its family name and statement.
    static let family = "PEG </td><script>alert(3)</script> & \"port\""
    static let entryYAML = """
        schema: 1
        vendor: 0x8086
        vendor-name: Intel
        family: '\(family)'
        devices: [0x0101]
        applies-to:
          port-type: root-port
        isolation:
          kind: ports-isolated
          acs-equivalent: [SV, RR, CR, UF]
        evidence:
          statement: Intel verified that the PEG root port never forwards peer-to-peer requests <b>at all</b>.
          confirmed-by: Jane Doe <jane.doe@vendor.example>
        kernel:
          status: new

        """

    /// Runs the pipeline on the Sandy Bridge dump with the committed registry plus the hostile
    /// entry, names from `ids`; returns the output folder and the result.
    func run(in dir: URL, ids: String) async throws -> (out: String, result: RunResult) {
        let root = dir.appendingPathComponent("quirks").path
        try FileManager.default.copyItem(atPath: quirksFolder, toPath: root)
        let path = root + "/intel/" + Registry.slug(Self.family) + ".yaml"
        try Self.entryYAML.write(toFile: path, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let r = await PipelineRunner.run(RunConfiguration(registry: [root], dump: Self.dump, out: out, pciIDs: ids))
        #expect(r.exitCode == 0, "\(r.errors) \(r.lint?.diagnostics.map(\.description) ?? [])")
        return (out, r)
    }

    /// Every `href`, `xlink:href` and `src` value in `html`.
    func links(_ html: String) -> [String] {
        var found: [String] = []
        for attribute in [" href=\"", " xlink:href=\"", " src=\""] {
            var rest = html[...]
            while let r = rest.range(of: attribute) {
                let value = rest[r.upperBound...].prefix { $0 != "\"" }
                found.append(String(value))
                rest = rest[r.upperBound...]
            }
        }
        return found
    }

    /// Every link is an anchor of the page or a file of the run, relative, never a network address.
    func expectLinksResolve(_ html: String, out: String) {
        let all = links(html)
        #expect(all.count > 10)
        for link in all {
            #expect(!link.contains(":"), "\(link) is not a relative link")
            if link.hasPrefix("#") {
                #expect(html.contains(" id=\"\(link.dropFirst())\""), "\(link) names no element of the page")
            } else {
                let path = (link.removingPercentEncoding ?? link)
                #expect(!path.hasPrefix("/") && !path.contains(".."), "\(link)")
                #expect(FileManager.default.fileExists(atPath: out + "/" + path), "\(link) names no file in out/")
            }
        }
    }

    @Test func pageSaysWhatRunFound() async throws {
        let dir = try Fixtures.temporaryDirectory("report-page")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (out, r) = try await run(in: dir, ids: Fixtures.path("pictures/snb-h67.pci.ids"))
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(r.written.contains("index.html") && r.written.contains("groups.svg"))
        // Self-contained: the style and the picture inline, no script, no network address.
        #expect(page.contains("<style>") && page.contains("<svg ") && !page.contains("<script") && !page.contains("<link"))
        let namespaces = #"xmlns(:[a-z]+)?="[^"]*""#
        let stripped = page.replacingOccurrences(of: namespaces, with: "", options: .regularExpression)
        #expect(!stripped.contains("http:") && !stripped.contains("https:"), "a network address")
        // Every group, each shared one with its reasons exactly as groups.txt (--explain) says them.
        let report = try JSONDecoder().decode(GroupsReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/groups.json")))
        let text = try String(contentsOfFile: out + "/groups.txt", encoding: .utf8)
        for g in report.groups {
            #expect(page.contains("<section id=\"group-\(g.number)\""), "group \(g.number)")
            for m in g.members where g.members.count > 1 {
                if let why = m.reason {
                    #expect(text.contains("why: \(why)"))
                    #expect(page.contains("why: " + html(why)), "\(why)")
                }
            }
        }
        #expect(page.contains("why: 02:08.0 joins 01:00.0: behind PCIe-to-PCI bridge 01:00.0 (12d8:e111)"), "\(page)")
        // What the new entry splits, from the check's what-if, and the findings.
        #expect(page.contains("<tr><td>Intel " + html(Self.family) + " (new) in \(dir.path)/quirks/intel/")
            && page.contains("</td><td class=\"bdf\">0000:00:01.0</td><td>splits group 1 {00:01.0 01:00.0 02:08.0} into group 1 {00:01.0}, "
                + "group 11 {01:00.0 02:08.0}</td></tr>"), "the new entry's what-if")
        #expect(page.contains("<td class=\"bdf\">0000:00:1c.0 0000:00:1c.1</td><td>splits group 7 {00:1c.0 00:1c.1 04:00.0}"),
                "the upstream PCH quirk's effect")
        #expect(page.contains("<h3>Lint</h3>") && page.contains("<h3>Check</h3>"))
        // Links to the generated C, tables and reports, all of them files of the run.
        #expect(page.contains("<a href=\"quirks/intel.c\">quirks/intel.c</a>"))
        #expect(page.contains("<a href=\"acs-tables/acs-table-8086-82576.h\">"))
        #expect(page.contains("<a href=\"summary.txt\">summary.txt</a>"))
        expectLinksResolve(page, out: out)
    }

    /// Names from pci.ids and registry fields with markup stay text: escaped in the page and in the
    /// picture, never an element.
    @Test func hostileNamesStayText() async throws {
        let dir = try Fixtures.temporaryDirectory("report-hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (out, _) = try await run(in: dir, ids: Fixtures.path("pictures/hostile.pci.ids"))
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(!page.contains("<script") && !page.contains("<img") && !page.contains("<b id=\"evil\"") && !page.contains("</td><script"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &quot;q&quot; &#39;a&#39;"),
                "the hostile device name, escaped, in the groups list")
        #expect(page.contains(html(Self.family)))
        // graphviz escapes its text as well: the picture shows the name.
        let svg = try String(contentsOfFile: out + "/groups.svg", encoding: .utf8)
        #expect(!svg.contains("<script") && !svg.contains("<img") && svg.contains("&lt;script&gt;"), "\(svg)")
    }

    /// What a person checks, in Debian's Chromium (headless): the page renders to a screenshot of the
    /// requested size with far more on it than a blank page has; in the DOM the picture is there,
    /// every group of the prediction is listed with its functions, the hostile names are text, and
    /// every link resolves.
    @Test func chromiumShowsThePage() async throws {
        let dir = try Fixtures.temporaryDirectory("report-chromium")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (out, r) = try await run(in: dir, ids: Fixtures.path("pictures/hostile.pci.ids"))
        let page = URL(fileURLWithPath: out + "/index.html").absoluteString
        let blank = dir.appendingPathComponent("blank.html")
        try "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>\n"
            .write(to: blank, atomically: true, encoding: .utf8)

        let shot = dir.appendingPathComponent("page.png").path, blankShot = dir.appendingPathComponent("blank.png").path
        let width = 1280, height = 2400
        let s1 = try await chromium(["--screenshot=" + shot, "--window-size=\(width),\(height)", page], profile: dir)
        #expect(s1.status == 0, "\(s1.stderr)")
        let s2 = try await chromium(["--screenshot=" + blankShot, "--window-size=\(width),\(height)", blank.absoluteString], profile: dir)
        #expect(s2.status == 0, "\(s2.stderr)")
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: shot)))
        let blankPNG = try [UInt8](Data(contentsOf: URL(fileURLWithPath: blankShot)))
        let size = try #require(pngSize(png), "no PNG screenshot")
        #expect(size.width == width && size.height == height, "\(size)")
        #expect(png.count > 8 * blankPNG.count, "the screenshot (\(png.count) bytes) is hardly more than a blank page's (\(blankPNG.count))")

        let dump = try await chromium(["--dump-dom", page], profile: dir)
        #expect(dump.status == 0, "\(dump.stderr)")
        let dom = dump.stdout
        // The picture: an inline SVG with a node per function and a cluster per group.
        let prediction = try #require(r.check)
        #expect(dom.contains("<svg ") && dom.components(separatedBy: "class=\"node\"").count - 1 >= prediction.functions)
        let report = try JSONDecoder().decode(GroupsReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/groups.json")))
        #expect(!report.groups.isEmpty)
        for g in report.groups {
            let section = try #require(dom.range(of: "<section id=\"group-\(g.number)\""), "group \(g.number) is not listed")
            let end = dom[section.upperBound...].range(of: "</section>")?.lowerBound ?? dom.endIndex
            for m in g.members { #expect(dom[section.upperBound..<end].contains(m.bdf), "\(m.bdf) in group \(g.number)") }
            #expect(dom.contains("<title>cluster_group_\(g.number)</title>"), "group \(g.number) in the picture")
        }
        // The hostile names are text: no element came from them.
        #expect(!dom.contains("<script") && !dom.contains("<img") && !dom.contains("<b id=\"evil\""))
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        expectLinksResolve(dom, out: out)
    }

    /// Debian's Chromium, headless, with its own profile (concurrent tests never share one);
    /// `--no-sandbox` when running as root, where Chromium's sandbox refuses to start.
    func chromium(_ arguments: [String], profile dir: URL) async throws -> ToolResult {
        let profile = dir.appendingPathComponent("chromium-profile-\(UUID().uuidString)").path
        var args = ["120", "chromium", "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--force-device-scale-factor=1", "--hide-scrollbars", "--user-data-dir=" + profile]
        if getuid() == 0 { args.append("--no-sandbox") }
        return try await runTool("timeout", args + arguments)
    }
}

/// HTML text escaping as the page does it (`&`, `<`, `>`, `"`, `'`).
func html(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "'", with: "&#39;")
}
