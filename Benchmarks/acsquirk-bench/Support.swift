// Clocks, memory, child processes and table formatting for the benchmarks.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic wall-clock seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// This process's resource usage so far (getrusage(RUSAGE_SELF)).
func selfUsage() -> rusage {
    var u = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return u
}

/// CPU seconds (user + system) this process has used so far.
func cpuNow() -> Double {
    let u = selfUsage()
    return seconds(u.ru_utime) + seconds(u.ru_stime)
}

func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

/// This process's peak resident memory so far, MiB.
func peakMemoryMiB() -> Double {
    Double(selfUsage().ru_maxrss) / 1024 // KiB on Linux
}

/// What one run of a command cost: its own CPU time (user + system, from wait4) and peak memory.
struct ChildCost {
    var status: Int32
    var cpu: Double
    var maxRSSMiB: Double
}

/// Runs `argv` with stdout sent to `stdout` (created or truncated) and stderr to /dev/null, and
/// returns what it cost.
func runChild(_ argv: [String], stdout: String = "/dev/null") -> ChildCost {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in cargs { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ)
    guard rc == 0 else { return ChildCost(status: -1, cpu: 0, maxRSSMiB: 0) }
    var status: Int32 = 0
    var u = rusage()
    while wait4(pid, &status, 0, &u) < 0 && errno == EINTR {}
    return ChildCost(status: status, cpu: seconds(u.ru_utime) + seconds(u.ru_stime), maxRSSMiB: Double(u.ru_maxrss) / 1024)
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// `x` with two decimals.
func fixed(_ x: Double, _ digits: Int = 2) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let v = (x * p).rounded() / p
    var s = String(v)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

/// One table row: the first column 36 wide, the others 12, right-aligned.
func row(_ cells: [String]) -> String {
    guard let first = cells.first else { return "" }
    var out = "  " + first.padding(36)
    for c in cells.dropFirst() { out += String(repeating: " ", count: max(1, 12 - c.count)) + c }
    return out
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
