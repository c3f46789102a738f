import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

/// `acsquirk survey` over real reports: public lspci text (linuxhw/LsPCI), QEMU guests' text and
/// dumps, an unreadable file; checked against the group predictor and against what the real
/// kernel did with a quirk (Tests/Fixtures/qemu-quirk).
@Suite struct SurveyTests {
    static func registry(with entries: [(path: String, yaml: String)] = []) throws -> PredictionRegistry {
        let dir = try Fixtures.temporaryDirectory("acsquirk-survey-registry")
        for e in entries {
            let file = dir.appendingPathComponent(e.path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try e.yaml.write(to: file, atomically: true, encoding: .utf8)
        }
        return try Registry.loadForPrediction(extra: entries.isEmpty ? [] : [dir.path], shipped: quirksFolder)
    }

    static func run(_ paths: [String], registry: PredictionRegistry, jobs: Int) -> ([Result<Survey.Report, Survey.Unreadable>], Survey.Totals) {
        let (files, missing) = Survey.files(paths)
        #expect(missing.isEmpty)
        var emitted: [Result<Survey.Report, Survey.Unreadable>] = []
        let totals = Survey.run(files: files, table: QuirkTable(entries: registry.kernelEntries), whatIf: registry.whatIf,
                                options: Survey.Options(kernel: .v6_12, jobs: jobs)) { emitted.append($0) }
        return (emitted, totals)
    }

    static var mixedInputs: [String] {
        [Fixtures.path("lspci-reports")] + Fixtures.qemuTopologies.flatMap { [Fixtures.path("qemu/\($0)/vvv.txt"), Fixtures.path("qemu/\($0)/dump.txt")] }
    }

    @Test func everyReportGetsItsPredictedGroupsAndUnreadableOnesAreListed() throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-survey")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "this is not an lspci report\n".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try "00:01.0 PCI bridge [0604]: Intel Corporation Device [8086:1234]\n\tStatus: Cap+\n".write(
            to: dir.appendingPathComponent("bridge-without-bus.txt"), atomically: true, encoding: .utf8)
        let reg = try Self.registry()
        let (emitted, totals) = Self.run(Self.mixedInputs + [dir.path], registry: reg, jobs: 2)
        let reports = emitted.compactMap { try? $0.get() }
        let reportFiles = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("lspci-reports")).filter { $0.hasSuffix(".txt") }
        #expect(reports.count == reportFiles.count + 2 * Fixtures.qemuTopologies.count)
        #expect(totals.reports == reports.count)
        // lspci-reports/README.md is not a report either: listed, not fatal.
        #expect(totals.unreadable.map { ($0.path as NSString).lastPathComponent }.sorted() == ["README.md", "bridge-without-bus.txt", "notes.txt"])
        #expect(totals.unreadable.first { $0.path.hasSuffix("bridge-without-bus.txt") }?.reason.hasPrefix("line 1: error:") == true)
        // In path order, as emitted.
        let paths = emitted.map { r -> String in switch r { case let .success(x): x.path; case let .failure(u): u.path } }
        #expect(paths == paths.sorted())
        // Each report's groups are the predictor's (an IOMMU assumed on).
        for r in reports {
            let read = try PCIReader.load(.dump(path: r.path), names: false)
            let p = GroupPredictor.predict(read.functions, quirks: QuirkTable(entries: reg.kernelEntries),
                                           system: LinuxSystem(kernel: .v6_12, assumeIOMMU: true))
            #expect(r.groups.map { $0.map { PCIAddress($0)! } }.sorted { $0[0] < $1[0] } == p.partition, "\(r.path)")
            #expect(r.format == read.format?.rawValue)
        }
        // The text and the dump of the same QEMU guest give the same report.
        for topo in Fixtures.qemuTopologies {
            let t = try #require(reports.first { $0.path == Fixtures.path("qemu/\(topo)/vvv.txt") })
            let d = try #require(reports.first { $0.path == Fixtures.path("qemu/\(topo)/dump.txt") })
            #expect(t.groups == d.groups && t.withoutACS == d.withoutACS, "\(topo)")
        }
    }

    /// The same inputs give the same output, whatever the number of workers.
    @Test func outputIsDeterministic() throws {
        let reg = try Self.registry()
        let (a, ta) = Self.run(Self.mixedInputs, registry: reg, jobs: 1)
        let (b, tb) = Self.run(Self.mixedInputs, registry: reg, jobs: 2)
        #expect(a.map { try? $0.get() } == b.map { try? $0.get() })
        let sa = ta.summary(names: { _ in nil }, whatIf: reg.whatIf), sb = tb.summary(names: { _ in nil }, whatIf: reg.whatIf)
        #expect(sa == sb)
        #expect(SurveyOutput.svg(summary: sa, top: 10) == SurveyOutput.svg(summary: sb, top: 10))
        #expect(SurveyOutput.jsonEnd(summary: sa, unreadable: ta.unreadable, anyReport: true)
                == SurveyOutput.jsonEnd(summary: sb, unreadable: tb.unreadable, anyReport: true))
    }

    /// What a quirk for 8086:10d3 (and the registry's 82574L entry) would split, against what the
    /// real kernel split with that quirk: the functions whose group got smaller between
    /// qemu/f-quirk and qemu-quirk/f-8086-10d3.
    @Test func effectsAreWhatTheKernelDid() throws {
        let before = try Fixtures.groups("qemu/f-quirk/groups.txt"), after = try Fixtures.groups("qemu-quirk/f-8086-10d3/groups.txt")
        func size(_ g: [PCIAddress: Int], _ n: Int) -> Int { g.values.filter { $0 == n }.count }
        let kernelSeparated = before.keys.filter { size(after, after[$0]!) < size(before, before[$0]!) }.count
        #expect(kernelSeparated > 0)

        let reg = try Self.registry(with: [("intel/82574l.yaml", SampleEntries.intel82574L)])
        let inputs = [Fixtures.path("qemu/f-quirk/dump.txt"), Fixtures.path("qemu/f-quirk/vvv.txt"), Fixtures.path("qemu/a-rootports/dump.txt")]
        let (_, totals) = Self.run(inputs, registry: reg, jobs: 2)
        let s = totals.summary(names: { _ in nil }, whatIf: reg.whatIf)
        let nic = try #require(s.devicesWithoutACS.first { $0.id == "8086:10d3" })
        #expect(nic.machinesSeen == 2 && nic.machinesMerged == 2)
        #expect(nic.functionsSeparated == 2 * kernelSeparated)
        #expect(nic.kind == "multifunction endpoint")
        let entry = try #require(s.registryEntries.first)
        #expect(entry.family == "Intel 82574L" && entry.status == "new")
        #expect(entry.machinesHelped == 2 && entry.functionsSeparated == 2 * kernelSeparated)
        // Invariants of the ranking.
        #expect(s.devicesWithoutACS.allSatisfy { $0.machinesMerged <= $0.machinesSeen && $0.examples.count <= 3 })
        #expect(s.devicesWithoutACS == s.devicesWithoutACS.sorted {
            ($1.machinesMerged, $1.functionsSeparated, $0.id) < ($0.machinesMerged, $0.functionsSeparated, $1.id)
        })
    }

    /// `--cmdline` on survey: an IOMMU is assumed on for every report, so a command line that
    /// switches it off is refused rather than ignored; the override's warning is said (stderr and
    /// the JSON notes), as groups and check say it.
    @Test func commandLineThatSwitchesTheIOMMUOffIsRefusedAndTheOverrideWarns() async throws {
        let report = Fixtures.path("qemu/b-switch/dump.txt")
        for off in ["intel_iommu=off", "amd_iommu=off", "quiet iommu=off"] {
            guard let r = try await acsquirk(["survey", report, "--cmdline", off]) else { return }
            #expect(r.status == 2, "\(off): \(r.stdout)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("switches the IOMMU off, but survey predicts every report with an IOMMU on"), "\(r.stderr)")
        }
        guard let on = try await acsquirk(["survey", report, "--cmdline", "intel_iommu=on quiet"]) else { return }
        #expect(on.status == 0 && on.stderr.isEmpty, "\(on.stderr)")
        guard let o = try await acsquirk(["survey", report, "--cmdline", "pcie_acs_override=downstream", "--format", "json"]) else { return }
        #expect(o.status == 0)
        #expect(o.stderr.contains("acsquirk survey: warning: pcie_acs_override (out-of-tree patch, not in Linux)"), "\(o.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any])
        #expect((doc["notes"] as? [String])?.contains { $0.hasPrefix("warning: pcie_acs_override") } == true)
    }

    /// The command: text, JSON (streamed, one document), the SVG chart, exit codes.
    @Test func commandWritesTextJSONAndSVG() async throws {
        let dir = try Fixtures.temporaryDirectory("acsquirk-survey-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "garbage\n".write(to: dir.appendingPathComponent("junk.txt"), atomically: true, encoding: .utf8)
        let outDir = try Fixtures.temporaryDirectory("acsquirk-survey-out")
        defer { try? FileManager.default.removeItem(at: outDir) }
        let svg = outDir.appendingPathComponent("chart.svg").path
        let inputs = [Fixtures.path("lspci-reports"), Fixtures.path("qemu/f-quirk/vvv.txt"), dir.path]
        let expected = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("lspci-reports")).filter { $0.hasSuffix(".txt") }.count + 1
        guard let json = try await acsquirk(["survey", "--format", "json", "--svg", svg] + inputs) else { return }
        #expect(json.status == 0, "\(json.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(Set(doc.keys) == ["format", "kernel", "notes", "reports", "summary", "unreadable"])
        #expect(doc["format"] as? String == SurveyOutput.format)
        let reports = try #require(doc["reports"] as? [[String: Any]])
        #expect(reports.count == expected)
        // junk.txt and lspci-reports/README.md.
        #expect((doc["unreadable"] as? [[String: Any]])?.count == 2)
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["reports"] as? Int == expected && summary["unreadable"] as? Int == 2)
        // The chart is well-formed XML with one bar per ranked device that merges groups.
        let chart = try String(contentsOfFile: svg, encoding: .utf8)
        let parser = XMLParser(data: Data(chart.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let ranked = (summary["devicesWithoutACS"] as? [[String: Any]] ?? []).filter { ($0["machinesMerged"] as? Int ?? 0) > 0 }
        #expect(chart.components(separatedBy: "fill=\"#c0392b\"").count - 1 == min(ranked.count, 25))

        guard let text = try await acsquirk(["survey"] + inputs) else { return }
        #expect(text.status == 0)
        #expect(text.stdout.contains("\nSurvey: \(expected) reports"))
        #expect(text.stdout.contains("junk.txt: unreadable:"))
        #expect(text.stdout.contains("Devices without ACS and without a quirk"))

        // --svg goes through the one writer (SafeFiles.OutputFile): a FIFO there is refused and stays.
        let fifo = outDir.appendingPathComponent("fifo.svg").path
        #expect(mkfifo(fifo, 0o644) == 0)
        guard let refused = try await acsquirk(["survey", "--svg", fifo, Fixtures.path("qemu/f-quirk/vvv.txt")]) else { return }
        #expect(refused.status == 2 && refused.stderr.contains("\(fifo): is a FIFO"), "\(refused.stderr)")
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)

        guard let missing = try await acsquirk(["survey", dir.appendingPathComponent("nope").path]) else { return }
        #expect(missing.status == 2 && missing.stderr.contains("no such file or folder"))
        guard let none = try await acsquirk(["survey", dir.appendingPathComponent("junk.txt").path]) else { return }
        #expect(none.status == 2 && none.stderr.contains("none of the 1 files could be read as a report"))
    }
}
