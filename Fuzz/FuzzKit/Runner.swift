#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a seeded run found.
public struct FuzzSummary: Sendable {
    public var target: String
    public var seed: UInt64
    /// Inputs run: the corpus as it is, then mutated ones.
    public var inputs: Int
    public var seconds: Double
    /// Inputs whose `check` found something, saved as `finding-<hash>` when a folder was given.
    public var findings: [(file: String?, problems: [String])]
}

/// The seeded mutation loop (`make test`, and `make fuzz` without libFuzzer).
public enum FuzzRunner {
    /// Runs every corpus entry of `target` (and its regression inputs), then mutated inputs from `seed` until `iterations`
    /// mutated inputs ran or `maxSeconds` passed. The same seed and iteration count give the same
    /// inputs on every machine.
    ///
    /// - Parameters:
    ///   - findingsDir: where inputs with findings are saved as `finding-<FNV-1a hash>`.
    ///   - currentInput: a file that always holds the input being run, so that a crash leaves it
    ///     behind; removed when the run ends normally.
    public static func run(_ target: any FuzzTarget.Type, seed: UInt64, iterations: Int, maxSeconds: Double,
                           findingsDir: String? = nil, currentInput: String? = nil,
                           progress: (String) -> Void = { _ in }) -> FuzzSummary {
        let corpus = target.corpus() + Repository.regressionInputs(target.name).map(\.bytes)
        var mutator = Mutator(seed: seed, corpus: corpus, dictionary: target.dictionary, structural: target.mutate)
        var summary = FuzzSummary(target: target.name, seed: seed, inputs: 0, seconds: 0, findings: [])
        let stash: Int32 = currentInput.map { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } ?? -1
        let start = wallClock()
        var lastReport = start
        func elapsed() -> Double { wallClock() - start }
        func one(_ input: [UInt8]) {
            if stash >= 0 {
                _ = ftruncate(stash, 0)
                _ = input.withUnsafeBytes { pwrite(stash, $0.baseAddress, $0.count, 0) }
            }
            let problems = target.check(input)
            summary.inputs += 1
            if problems.isEmpty { return }
            var file: String?
            if let findingsDir {
                let path = "\(findingsDir)/finding-\(fnv1a(input))"
                if Repository.write(input, to: path) { file = path }
            }
            summary.findings.append((file, problems))
        }
        for input in corpus { one(input) }
        var done = 0
        while done < iterations && elapsed() < maxSeconds {
            one(mutator.next())
            done += 1
            if wallClock() - lastReport > 10 {
                lastReport = wallClock()
                progress("\(target.name): \(summary.inputs) inputs, \(summary.findings.count) findings, \(Int(elapsed())) s")
            }
        }
        summary.seconds = elapsed()
        if stash >= 0 {
            close(stash)
            if let currentInput { unlink(currentInput) }
        }
        return summary
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable name for an input.
public func fnv1a(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Monotonic wall-clock seconds.
func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
