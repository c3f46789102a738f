// acsquirk-fuzz: attacks the parsers and decoders (FuzzKit targets) with mutated inputs.
//
//   acsquirk-fuzz TARGET [--seed N] [--iterations N] [--seconds S] [--findings DIR] [--current FILE]
//       The seeded mutation loop (make test; make fuzz without libFuzzer): the target's corpus,
//       then N mutated inputs (default 1000) or S seconds (default 60), whichever ends first.
//       Inputs with findings are saved in DIR as finding-<hash>; FILE always holds the input
//       being run, so a crash leaves it behind. Exit 1 when anything was found.
//   acsquirk-fuzz --list
//       The targets' names.
//
// Built with `-sanitize=fuzzer -DLIBFUZZER` (make fuzz), the same program hands everything after
// TARGET to libFuzzer (`acsquirk-fuzz TARGET -max_total_time=600 CORPUS_DIR ...`), after writing
// the target's corpus into CORPUS_DIR; a finding stops the run as a crash and libFuzzer writes
// the input (-artifact_prefix).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FuzzKit
#if LIBFUZZER
import CFuzzDriver
#endif

/// One line to stderr.
func printError(_ s: String) {
    let line = Array((s + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

let args = Array(CommandLine.arguments.dropFirst())
if args.first == "--list" {
    for t in FuzzTargets.all { print(t.name) }
    exit(0)
}
guard let name = args.first, FuzzTargets.named(name) != nil else {
    printError("usage: acsquirk-fuzz TARGET [options] (targets: \(FuzzTargets.all.map { $0.name }.joined(separator: ", ")))")
    exit(2)
}

#if LIBFUZZER
/// The target libFuzzer's callback runs (a C function pointer cannot capture it).
nonisolated(unsafe) var selected: (any FuzzTarget.Type)? = FuzzTargets.named(name)

/// libFuzzer's mutation hook: half the time the target's own mutation (`FuzzTarget.mutate`),
/// else libFuzzer's.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var rng = SplitMix(seed: UInt64(seed))
    if rng.below(2) == 0, let target = selected {
        var input = Array(UnsafeBufferPointer(start: data, count: size))
        if target.mutate(&input, &rng), input.count <= maxSize {
            input.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
            return input.count
        }
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}

/// libFuzzer starts from the files in its first corpus folder: put the target's corpus there.
func seedCorpus() {
    guard let target = selected, let dir = args.dropFirst().first(where: { !$0.hasPrefix("-") }) else { return }
    for input in target.corpus() { Repository.write(input, to: "\(dir)/seed-\(fnv1a(input))") }
}

func runLibFuzzer() -> Int32 {
    seedCorpus()
    var argv: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + args.dropFirst()).map { strdup($0) } + [nil]
    var argc = Int32(argv.count - 1)
    return argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &p) { data, size in
            guard let target = selected else { return 0 }
            let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            let problems = target.check(input)
            if !problems.isEmpty { fatalError("\(target.name): " + problems.joined(separator: "; ")) }
            return 0
        }
    }
}
exit(runLibFuzzer())
#else
func value(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func number(_ s: String) -> UInt64? { s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : UInt64(s) }

/// The seeded run; true when nothing was found.
func runSeeded(_ name: String) -> Bool {
    guard let target = FuzzTargets.named(name) else { return false }
    let seed = value("--seed").flatMap(number) ?? 0x5eed
    let summary = FuzzRunner.run(target, seed: seed, iterations: value("--iterations").flatMap { Int($0) } ?? 1000,
                                 maxSeconds: value("--seconds").flatMap { Double($0) } ?? 60,
                                 findingsDir: value("--findings"), currentInput: value("--current"),
                                 progress: printError)
    print("\(summary.target): \(summary.inputs) inputs (seed 0x\(String(seed, radix: 16))) in \((summary.seconds * 10).rounded() / 10) s, \(summary.findings.count) findings")
    for f in summary.findings.prefix(20) {
        print("  \(f.file ?? "(not saved)"): \(f.problems.joined(separator: "; "))")
    }
    return summary.findings.isEmpty
}
exit(runSeeded(name) ? 0 : 1)
#endif
