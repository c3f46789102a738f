// `acsquirk survey` at scale: 1,000 and 10,000 reports (symbolic links cycling over the real
// reports in Tests/Fixtures: public lspci text, QEMU guests' text and dumps), run as a user runs
// it (`acsquirk survey --format json --jobs 2 DIR`, a child process, so that its CPU time and peak
// memory are its own and not this benchmark's). Goals (issue 13): 10,000 reports under a minute on
// 2 cores (judged on the child's CPU time over two workers, so that a loaded machine does not fail
// it; wall time is printed too), memory bounded (the peak grows by at most 64 MiB from 1,000 to
// 10,000 reports), and every report read.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs the survey benchmark with the `acsquirk` binary at `acsquirk`, in `scratch`; false when a
/// goal is missed.
func surveyBenchmark(acsquirk: String, in scratch: String) -> Bool {
    let fm = FileManager.default
    let here = fm.currentDirectoryPath
    var sources: [String] = []
    for name in ((try? fm.contentsOfDirectory(atPath: "Tests/Fixtures/lspci-reports")) ?? []).sorted() where name.hasSuffix(".txt") {
        sources.append("\(here)/Tests/Fixtures/lspci-reports/\(name)")
    }
    for topo in ((try? fm.contentsOfDirectory(atPath: "Tests/Fixtures/qemu")) ?? []).sorted() {
        for file in ["vvv.txt", "dump.txt"] where fm.fileExists(atPath: "Tests/Fixtures/qemu/\(topo)/\(file)") {
            sources.append("\(here)/Tests/Fixtures/qemu/\(topo)/\(file)")
        }
    }
    guard !sources.isEmpty else {
        print("acsquirk-bench: survey: run from the repository (Tests/Fixtures is needed)")
        return false
    }
    print("acsquirk survey --format json --jobs 2 over \(sources.count) distinct real reports, repeated (child process)")
    print(row(["reports", "unreadable", "wall (s)", "CPU (s)", "CPU/2 (s)", "MiB"]))
    var ok = true
    var peakSmall = 0.0
    for n in [1_000, 10_000] {
        let dir = "\(scratch)/survey-\(n)"
        mkdir(dir, 0o755)
        for i in 0..<n { symlink(sources[i % sources.count], "\(dir)/report-\(i)") }
        let json = "\(scratch)/survey-\(n).json"
        let t0 = now()
        let cost = runChild([acsquirk, "survey", "--format", "json", "--jobs", "2", dir], stdout: json)
        let wall = now() - t0
        let doc = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))) as? [String: Any]
        let read = (doc?["reports"] as? [Any])?.count ?? 0
        let unreadable = (doc?["unreadable"] as? [Any])?.count ?? n
        print(row([String(n), String(unreadable), fixed(wall), fixed(cost.cpu), fixed(cost.cpu / 2), fixed(cost.maxRSSMiB, 1)]))
        if cost.status != 0 || read != n {
            print("acsquirk-bench: FAIL: survey exited with status \(cost.status), \(read) of \(n) reports read")
            ok = false
        }
        if n == 1_000 { peakSmall = cost.maxRSSMiB }
        if n == 10_000 && cost.cpu / 2 > 60 {
            print("acsquirk-bench: FAIL: survey of 10,000 reports takes \(fixed(cost.cpu / 2)) s of CPU on two cores (goal: under 60 s)")
            ok = false
        }
        if n == 10_000 && cost.maxRSSMiB > peakSmall + 64 {
            print("acsquirk-bench: FAIL: survey's peak memory grew from \(fixed(peakSmall, 1)) to \(fixed(cost.maxRSSMiB, 1)) MiB with 9,000 more reports")
            ok = false
        }
    }
    print("  goals\(ok ? " met" : ""): 10,000 reports under 60 s of CPU on two cores, peak memory within 64 MiB of 1,000 reports'")
    return ok
}
