// `acsquirk survey` at scale: 10,000 reports (symbolic links cycling over the real reports in
// Tests/Fixtures: public lspci text, QEMU guests' text and dumps) read, predicted and ranked with
// two workers, streamed as the command streams them. Goal (issue 13): under a minute on 2 cores
// (judged on CPU time over two workers, so that a loaded machine does not fail it), memory bounded
// (the peak does not grow from 1,000 to 10,000 reports).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Pipeline
import Registry

/// Runs the survey benchmark; false when a goal is missed.
func runSurveyBench() -> Bool {
    let fm = FileManager.default
    var sources: [String] = []
    for dir in ["Tests/Fixtures/lspci-reports"] {
        for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.hasSuffix(".txt") {
            sources.append(fm.currentDirectoryPath + "/" + dir + "/" + name)
        }
    }
    for topo in ((try? fm.contentsOfDirectory(atPath: "Tests/Fixtures/qemu")) ?? []).sorted() {
        for file in ["vvv.txt", "dump.txt"] { sources.append(fm.currentDirectoryPath + "/Tests/Fixtures/qemu/\(topo)/\(file)") }
    }
    guard !sources.isEmpty, let reg = try? Registry.loadForPrediction() else {
        print("acsquirk-bench: survey: run from the repository (Tests/Fixtures and quirks/ are needed)")
        return false
    }
    let root = NSTemporaryDirectory() + "acsquirk-survey-bench-\(getpid())"
    defer { try? fm.removeItem(atPath: root) }
    func reports(_ n: Int) -> [String] {
        let dir = root + "/\(n)"
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<n {
            let link = dir + "/report-\(String(i, radix: 10).leftPadded(5))"
            if !fm.fileExists(atPath: link) { try? fm.createSymbolicLink(atPath: link, withDestinationPath: sources[i % sources.count]) }
        }
        return Survey.files([dir]).files
    }
    let options = Survey.Options(jobs: 2)
    let table = QuirkTable(entries: reg.kernelEntries)
    print("acsquirk-bench: survey (\(sources.count) distinct real reports, repeated; 2 workers; output streamed and discarded)")
    // Wall time on a shared machine depends on its load; CPU time does not. The goal is judged on
    // CPU time spread over the two workers (what two idle cores take), and wall time is printed too.
    print("  reports  unreadable  wall (s)  cpu (s)  cpu/2 (s)  reports/s (cpu/2)  peak memory (MiB)")
    var failed = false
    var peakAfterSmall = 0.0
    for n in [1_000, 10_000] {
        let files = reports(n)
        let t0 = now()
        let c0 = cpuNow()
        var bytes = 0
        let totals = Survey.run(files: files, table: table, whatIf: reg.whatIf, options: options) { r in
            if case let .success(report) = r { bytes += SurveyOutput.json(report, first: false).utf8.count }
        }
        let summary = totals.summary(names: { _ in nil }, whatIf: reg.whatIf)
        bytes += SurveyOutput.jsonEnd(summary: summary, unreadable: totals.unreadable, anyReport: true).utf8.count
        let t = now() - t0
        let cpu = cpuNow() - c0
        let onTwo = cpu / 2
        let mem = (peakMemoryMiB() * 10).rounded() / 10
        func f(_ x: Double) -> String { String((x * 100).rounded() / 100) }
        print("  \(String(n).leftPadded(7, " "))  \(String(totals.unreadable.count).leftPadded(10, " "))  \(f(t).leftPadded(8, " "))  "
            + "\(f(cpu).leftPadded(7, " "))  \(f(onTwo).leftPadded(9, " "))  \(String(Int(Double(n) / onTwo)).leftPadded(17, " "))  \(mem)")
        if n == 10_000 && onTwo > 60 {
            print("acsquirk-bench: FAIL: survey of 10,000 reports takes \(f(onTwo)) s on two cores (goal: under 60 s)")
            failed = true
        }
        if n == 1_000 { peakAfterSmall = mem }
        if n == 10_000 && mem > peakAfterSmall + 64 {
            print("acsquirk-bench: FAIL: peak memory grew from \(peakAfterSmall) to \(mem) MiB with 9,000 more reports")
            failed = true
        }
        if totals.reports != n { print("acsquirk-bench: FAIL: \(n - totals.reports) reports unreadable"); failed = true }
        _ = bytes
    }
    print(failed ? "acsquirk-bench: survey: a goal was missed" : "acsquirk-bench: survey ok")
    print("")
    return !failed
}

extension String {
    func leftPadded(_ width: Int, _ pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
