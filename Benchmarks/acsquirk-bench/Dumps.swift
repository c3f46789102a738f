// End to end, the way a user waits for it: a dump file to IOMMU groups (parse, names, Linux's
// model and grouping) in this process, on the largest fixture and on generated dumps of 4,000
// and 10,000 functions (about 55 and 136 MB); then `acsquirk scan --dump` against
// `lspci -F D -xxxx` and `lspci -F D -vvv` on the same files, CPU time of paired runs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry

/// The largest dump in Tests/Fixtures (by bytes).
let largestFixture = "Tests/Fixtures/machines/x99-huananzhi-qd4-navi23/dump.txt"

/// Writes the synthetic topology of about `functions` functions (every one with 4096 bytes) as an
/// `lspci -D -xxxx` dump at `path`, one function at a time.
func writeDump(functions: Int, to path: String) -> Int {
    guard let f = fopen(path, "w") else { fatalError("cannot write \(path)") }
    defer { fclose(f) }
    let fns = topology(target: functions)
    for fn in fns {
        let text = DumpWriter.text([fn])
        _ = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count - 1, f) }
    }
    return fns.count
}

func fileSizeMB(_ path: String) -> Double {
    var st = stat()
    return stat(path, &st) == 0 ? Double(st.st_size) / 1e6 : 0
}

struct EndToEnd {
    var functions: Int
    var groups: Int
    var read: Double     // parse + names, CPU seconds
    var predict: Double  // Linux's model and grouping, CPU seconds
    var total: Double { read + predict }
}

/// One dump to groups in this process (best of `runs`, CPU time).
func endToEnd(_ path: String, table: QuirkTable, runs: Int) -> EndToEnd {
    var best: EndToEnd?
    for _ in 0..<runs {
        let t0 = cpuNow()
        guard let result = try? PCIReader.load(.dump(path: path)) else { fatalError("cannot read \(path)") }
        let t1 = cpuNow()
        let p = GroupPredictor.predict(result.functions, quirks: table, system: LinuxSystem(kernel: .newest))
        let t2 = cpuNow()
        let r = EndToEnd(functions: result.functions.count, groups: p.groups.count, read: t1 - t0, predict: t2 - t1)
        if best == nil || r.total < best!.total { best = r }
    }
    return best!
}

/// The dumps the end-to-end and lspci comparisons use: the largest fixture and two generated
/// ones, written into `dir` by a child process (`--write-dump N PATH`), so that this process
/// stays small for the memory measurements of the commands it starts.
func benchmarkDumps(in dir: String, bench: String) -> [(label: String, path: String)] {
    var out = [(label: "largest fixture", path: largestFixture)]
    for n in [4_000, 10_000] {
        let path = "\(dir)/generated-\(n).txt"
        guard runChild([bench, "--write-dump", String(n), path]).status == 0 else { fatalError("cannot write \(path)") }
        out.append((label: "generated, about \(n / 1000)k functions", path: path))
    }
    return out
}

/// Dump to groups; false unless the time per function at 10,000 functions stays within 1.5x of
/// that at 4,000 (linear scaling).
func dumpBenchmark(_ dumps: [(label: String, path: String)], table: QuirkTable) -> Bool {
    print("Dump to IOMMU groups in one process (CPU time, best of 3): read = parse + names, groups = model + grouping")
    print(row(["dump", "MB", "functions", "read (ms)", "groups (ms)", "µs/function"]))
    var perFunction: [Double] = []
    for d in dumps {
        let r = endToEnd(d.path, table: table, runs: 3)
        let per = r.total / Double(r.functions) * 1e6
        perFunction.append(per)
        print(row([d.label, fixed(fileSizeMB(d.path), 1), String(r.functions), fixed(r.read * 1000, 1),
                   fixed(r.predict * 1000, 1), fixed(per, 1)]))
    }
    print("  peak memory of this process so far: \(fixed(peakMemoryMiB(), 1)) MiB")
    let ratio = perFunction[2] / perFunction[1]
    print("  time per function, 10k vs 4k: \(fixed(ratio))x (linear: about 1x; limit 1.5x)")
    return ratio <= 1.5
}

/// `acsquirk scan --dump D` against `lspci -F D -D -xxxx` and `lspci -F D -vvv`: the median CPU
/// time (user + system) of `runs` paired runs each (the three commands take turns, so load on the
/// machine falls on all alike) and the peak memory. Returns false when a goal is missed: scan at
/// most 1.0x `lspci -xxxx` on the largest fixture and on the 4,000-function dump.
///
/// Run it while this process is small: a started command's peak memory counts this process's
/// peak at the moment it starts (Linux keeps the high-water mark across exec).
func lspciComparison(_ dumps: [(label: String, path: String)], acsquirk: String) -> Bool {
    print("scan --dump against lspci on the same dump (median CPU ms of paired runs; peak memory MiB,")
    print("at least this process's \(fixed(peakMemoryMiB(), 1)) MiB)")
    print("  acsquirk: \(acsquirk)")
    print(row(["dump", "runs", "scan", "-xxxx", "-vvv", "scan/-xxxx", "scan/-vvv", "MiB scan", "MiB -xxxx"]))
    var met = true
    for (i, d) in dumps.enumerated() {
        let runs = i == 0 ? 41 : i == 1 ? 5 : 3
        let commands = [[acsquirk, "scan", "--dump", d.path], ["lspci", "-F", d.path, "-D", "-xxxx"], ["lspci", "-F", d.path, "-vvv"]]
        var cpu: [[Double]] = [[], [], []]
        var rss: [Double] = [0, 0, 0]
        for _ in 0..<runs {
            for (k, c) in commands.enumerated() {
                let r = runChild(c)
                guard r.status == 0 else { fatalError("\(c.joined(separator: " ")) failed: status \(r.status)") }
                cpu[k].append(r.cpu)
                rss[k] = max(rss[k], r.maxRSSMiB)
            }
        }
        let m = cpu.map(median)
        let vsX = m[0] / m[1], vsV = m[0] / m[2]
        print(row([d.label, String(runs), fixed(m[0] * 1000, 1), fixed(m[1] * 1000, 1), fixed(m[2] * 1000, 1),
                   fixed(vsX) + "x", fixed(vsV) + "x", fixed(rss[0], 1), fixed(rss[1], 1)]))
        if i < 2 && vsX > 1.0 {
            print("  goal missed: scan --dump costs \(fixed(vsX))x lspci -xxxx on \(d.label) (goal: at most 1.0x)")
            met = false
        }
    }
    if met { print("  goals met: scan --dump at most 1.0x lspci -xxxx on the largest fixture and on 4,000 functions") }
    return met
}
