import Diagnostics
import Foundation
import Testing
import TestSupport

/// Hostile text where a path, rule or message goes: spaces, `%`, `,`, `:`, CR, LF, non-ASCII.
let hostilePath = "quirks/ven dor,x/100%: ünïcode\u{0301}.yaml"
let hostileMessage = "50% done: a,b\r\nsecond line ::error file=x::injected"

func sample() -> [Diagnostic] {
    [
        Diagnostic(path: hostilePath, line: 3, column: 7, severity: .error, rule: "bad-date", message: hostileMessage),
        Diagnostic(path: "quirks/intel/82574l.yaml", line: 8, column: 18, severity: .warning, rule: "unknown-vendor",
                   message: "vendor 0x8087 is not in pci.ids"),
        Diagnostic(path: "/nonexistent/quirks", severity: .error, rule: "unreadable", message: "no such file or directory"),
        Diagnostic(.note, .init(device: .init(bdf: "0000:00:1c.0", id: "8086:3a40", input: "dumps/x58 board.txt")),
                   rule: "no-entry", message: "0000:00:1c.0 [8086:3a40]: no entry", help: "confirm with the vendor\nthen run acsquirk new"),
        Diagnostic(.error, .init(file: "dump.txt", line: 4), rule: nil, message: "malformed hex bytes", libpciMessage: "dump: Malformed line"),
    ]
}

@Suite struct TextReporterTests {
    @Test func everyLocationForm() {
        let lines = sample().map(\.description)
        #expect(lines == [
            "\(hostilePath):3:7: error: [bad-date] \(hostileMessage)",
            "quirks/intel/82574l.yaml:8:18: warning: [unknown-vendor] vendor 0x8087 is not in pci.ids",
            "/nonexistent/quirks: error: [unreadable] no such file or directory",
            "note: [no-entry] 0000:00:1c.0 [8086:3a40]: no entry\n    help: confirm with the vendor\n          then run acsquirk new",
            "dump.txt:4: error: malformed hex bytes",
        ])
    }

    @Test func paintStylesEachPart() {
        let painted = TextReporter.line(sample()[1]) { s, part in
            switch part {
            case .location: "<L>\(s)</L>"
            case let .severity(sev): "<\(sev.rawValue)>\(s)</\(sev.rawValue)>"
            case .rule: "<R>\(s)</R>"
            }
        }
        #expect(painted == "<L>quirks/intel/82574l.yaml:8:18:</L> <warning>warning:</warning> <R>[unknown-vendor]</R> vendor 0x8087 is not in pci.ids")
    }

    /// Files first (by path, line, device, column, rule, message), findings about no file last.
    @Test func sortOrder() {
        let sorted = sample().sorted().map { $0.path ?? "-" }
        #expect(sorted == ["/nonexistent/quirks", "dump.txt", "quirks/intel/82574l.yaml", hostilePath, "-"])
    }
}

@Suite struct GitHubReporterTests {
    /// actions/toolkit command.ts: data escapes %, CR, LF; properties also `:` and `,`.
    @Test func escaping() {
        #expect(GitHubReporter.escapeData("100% a:b,c\r\nd") == "100%25 a:b,c%0D%0Ad")
        #expect(GitHubReporter.escapeProperty("100% a:b,c\r\nd") == "100%25 a%3Ab%2Cc%0D%0Ad")
        // Escaping is applied once: an escaped text is not decoded back.
        #expect(GitHubReporter.escapeData("%0A") == "%250A")
    }

    @Test func hostileDiagnosticsStayOneCommandEach() {
        let out = GitHubReporter.render(sample(), titlePrefix: "acsquirk check ")
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == sample().count + 1 && lines.last == "")
        #expect(lines[0] == "::error file=quirks/ven dor%2Cx/100%25%3A ünïcode\u{0301}.yaml,line=3,col=7,title=acsquirk check bad-date::[bad-date] 50%25 done: a,b%0D%0Asecond line ::error file=x::injected")
        #expect(lines[2] == "::error file=/nonexistent/quirks,title=acsquirk check unreadable::[unreadable] no such file or directory")
        // A finding about a function names the dump it was read from, without a line.
        #expect(lines[3] == "::notice file=dumps/x58 board.txt,title=acsquirk check no-entry::[no-entry] 0000:00:1c.0 [8086:3a40]: no entry%0Aconfirm with the vendor%0Athen run acsquirk new")
        #expect(lines[4] == "::error file=dump.txt,line=4,title=acsquirk check::malformed hex bytes")
        // Every command starts a line: the message's newlines never start a second one.
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("::error ") || $0.hasPrefix("::warning ") || $0.hasPrefix("::notice ") })
    }
}

@Suite struct SARIFReporterTests {
    static let reporter = SARIFReporter(
        toolName: "acsquirk", toolVersion: "9.8.7",
        rules: [DiagnosticRule(id: "bad-date", shortDescription: "Dates are YYYY-MM-DD.", fullDescription: "Why.", defaultSeverity: .error),
                DiagnosticRule(id: "no-entry", shortDescription: "No entry.", defaultSeverity: .note)],
        root: "/work/checkout")

    @Test func percentEncodedRelativeURIs() throws {
        #expect(SARIFReporter.uri(for: hostilePath, root: "/r") == ("quirks/ven%20dor%2Cx/100%25%3A%20%C3%BCn%C3%AFcode%CC%81.yaml", "SRCROOT"))
        #expect(SARIFReporter.uri(for: "./quirks/a.yaml", root: "/r") == ("quirks/a.yaml", "SRCROOT"))
        #expect(SARIFReporter.uri(for: "/r/quirks/a b.yaml", root: "/r") == ("quirks/a%20b.yaml", "SRCROOT"))
        #expect(SARIFReporter.uri(for: "/r/quirks/a b.yaml", root: "/r/") == ("quirks/a%20b.yaml", "SRCROOT"))
        #expect(SARIFReporter.uri(for: "/elsewhere/a:b.yaml", root: "/r") == ("file:///elsewhere/a%3Ab.yaml", nil))
        // A first segment with a colon is not read as a scheme.
        #expect(SARIFReporter.uri(for: "c:x.yaml", root: "/r").uri == "c%3Ax.yaml")
        // Every URI parses as a URI reference and decodes back to the path.
        for path in [hostilePath, "quirks/a.yaml", "c:x.yaml", "/elsewhere/ü,%.yaml"] {
            let uri = SARIFReporter.uri(for: path, root: "/r").uri
            #expect(uri.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 }, "\(uri)")
            let url = try #require(URL(string: uri), "\(uri)")
            #expect(url.absoluteString == uri)
            #expect(uri.removingPercentEncoding.map { $0.hasPrefix("file://") ? String($0.dropFirst(7)) : $0 } == path)
        }
    }

    @Test func logNamesToolVersionRulesAndLocations() throws {
        let log = Self.reporter.log(sample())
        #expect(log.version == "2.1.0")
        let run = try #require(log.runs.first)
        #expect(run.tool.driver.name == "acsquirk" && run.tool.driver.version == "9.8.7")
        #expect(run.tool.driver.rules.map(\.id) == ["bad-date", "no-entry"])
        #expect(run.tool.driver.rules.map(\.name) == ["BadDate", "NoEntry"])
        #expect(run.results.map(\.ruleIndex) == [0, nil, nil, 1, nil])
        #expect(run.results.map(\.level) == ["error", "warning", "error", "note", "error"])
        let first = try #require(run.results[0].locations?.first?.physicalLocation)
        #expect(first.artifactLocation.uriBaseId == "SRCROOT")
        #expect(first.region?.startLine == 3 && first.region?.startColumn == 7)
        #expect(run.results[2].locations?.first?.physicalLocation?.region == nil)
        #expect(run.results[2].locations?.first?.physicalLocation?.artifactLocation.uri == "file:///nonexistent/quirks")
        let device = try #require(run.results[3].locations?.first)
        #expect(device.physicalLocation?.artifactLocation.uri == "dumps/x58%20board.txt" && device.physicalLocation?.region == nil)
        #expect(device.logicalLocations?.first?.fullyQualifiedName == "0000:00:1c.0 [8086:3a40]")
        #expect(run.results[3].message.text == "0000:00:1c.0 [8086:3a40]: no entry\n\nconfirm with the vendor\nthen run acsquirk new")
        #expect(run.results[4].locations?.first?.physicalLocation?.region.map { [$0.startLine, $0.startColumn] } == [4, nil])
    }

    /// Against the official OASIS schema (docs/schemas/sarif-schema-2.1.0.json), with a real validator.
    @Test func validatesAgainstTheOfficialSchema() async throws {
        let schema = Fixtures.repoPath("docs/schemas/sarif-schema-2.1.0.json")
        let good = Self.reporter.render(sample())
        let empty = Self.reporter.render([])
        // The schema refuses what SARIF forbids, so the check can fail: a level SARIF does not know.
        let bad = good.replacingOccurrences(of: "\"level\" : \"note\"", with: "\"level\" : \"info\"")
        #expect(bad != good)
        let errors = try await jsonSchemaErrors([good, empty, bad], schemaFile: schema)
        #expect(errors[0].isEmpty, "\(errors[0])")
        #expect(errors[1].isEmpty, "\(errors[1])")
        #expect(!errors[2].isEmpty)
    }

    @Test func deterministic() {
        #expect(Self.reporter.render(sample()) == Self.reporter.render(sample()))
    }
}

@Suite struct CollectorTests {
    @Test func accumulatingKeepsOrder() throws {
        let c = AccumulatingDiagnosticCollector()
        try c.emit(contentsOf: sample())
        #expect(c.diagnostics == sample())
    }

    @Test func printingWritesTheTextFormat() throws {
        let sink = AccumulatingText()
        let c = PrintingDiagnosticCollector { sink.append($0) }
        try c.emit(contentsOf: sample())
        #expect(sink.lines == sample().map(\.description))
    }

    @Test func countingCountsAndPassesOn() throws {
        let all = AccumulatingDiagnosticCollector()
        let c = CountingDiagnosticCollector(upstream: all)
        try c.emit(contentsOf: sample())
        #expect((c.errorCount, c.warningCount, c.noteCount) == (3, 1, 1))
        #expect(all.diagnostics == sample())
    }

    @Test func errorThrowingStopsAtTheFirstErrorAfterPassingItOn() throws {
        let all = AccumulatingDiagnosticCollector()
        let c = ErrorThrowingDiagnosticCollector(upstream: all)
        let ds = [sample()[1], sample()[3], sample()[0], sample()[2]]
        var thrown: DiagnosticError?
        do { try c.emit(contentsOf: ds) } catch { thrown = error as? DiagnosticError }
        #expect(thrown?.diagnostic == sample()[0])
        #expect(all.diagnostics == Array(ds.prefix(3)))
        // With a lower threshold a warning stops it.
        let strict = ErrorThrowingDiagnosticCollector(upstream: AccumulatingDiagnosticCollector(), severity: .warning)
        #expect(throws: DiagnosticError.self) { try strict.emit(sample()[1]) }
        #expect(throws: Never.self) { try strict.emit(sample()[3]) }
    }
}

@Suite struct DiagnosticCodingTests {
    /// One JSON shape: `path`, `line`, `column` only for a finding in a file (null when about the
    /// whole file), `bdf`, `id`, `input` only for one about a function.
    @Test func shapeAndRoundTrip() throws {
        let data = try JSONEncoder().encode(sample())
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(Set(objects[0].keys) == ["severity", "rule", "message", "path", "line", "column"])
        #expect(objects[2]["line"] is NSNull && objects[2]["column"] is NSNull)
        #expect(Set(objects[3].keys) == ["severity", "rule", "message", "help", "bdf", "id", "input"])
        #expect(Set(objects[4].keys) == ["severity", "message", "path", "line", "column"])
        let back = try JSONDecoder().decode([Diagnostic].self, from: data)
        // libpci's message is the reader's business and is not part of the document.
        var expected = sample()
        expected[4].libpciMessage = nil
        #expect(back == expected)
    }
}

/// A text sink for `PrintingDiagnosticCollector`.
final class AccumulatingText: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    func append(_ s: String) { lock.withLock { collected.append(s) } }
    var lines: [String] { lock.withLock { collected } }
}
