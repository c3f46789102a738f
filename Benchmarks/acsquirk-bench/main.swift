// acsquirk-bench: what a user waits for, in a release build (`make bench`).
//
//   1. `acsquirk scan --dump` against `lspci -F D -xxxx` and `-vvv` on the largest fixture and on
//      generated dumps of 4,000 and 10,000 functions, CPU time of paired runs (Dumps.swift;
//      skipped with --no-lspci).
//   2. IOMMU group prediction alone, 1,000 and 10,000 synthetic functions (Predictor.swift).
//   3. The same dumps to IOMMU groups in one process (Dumps.swift).
//   4. `lint` of a 10,000-entry registry (Lint.swift).
//   5. `patch` of 10 entries on linux-source-6.12 (PatchBench.swift; skipped without
//      `make kernel-trees`).
//   6. `acsquirk survey` of 1,000 and 10,000 reports (the real reports of Tests/Fixtures,
//      repeated) with two workers, CPU time and peak memory of the child (SurveyBench.swift).
//
// Exit 1 when a goal is missed: linear scaling (prediction 10k vs 1k within 2.5x, dump to groups
// 10k vs 4k within 1.5x), scan --dump at most 1.0x lspci -xxxx CPU on the largest fixture and
// on 4,000 functions, patch of 10 entries at most 0.5 s CPU, survey of 10,000 reports under a
// minute of CPU time on 2 cores with peak memory within 64 MiB of 1,000 reports'. Run from the
// repository root. Options: --acsquirk PATH (the binary to compare with lspci; default: the
// acsquirk next to this one), --tree, --no-lspci.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LinuxPCI
import Registry

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
// The child that writes a generated dump: --write-dump FUNCTIONS PATH.
if let i = arguments.firstIndex(of: "--write-dump"), i + 2 < arguments.count, let n = Int(arguments[i + 1]) {
    _ = writeDump(functions: n, to: arguments[i + 2])
    exit(0)
}
let here = arguments[0].split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
let acsquirk = option("--acsquirk") ?? (here.isEmpty ? "acsquirk" : here + "/acsquirk")

var scratch = Array("/tmp/acsquirk-bench-XXXXXX".utf8CString)
guard let made = scratch.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
    fatalError("cannot make a scratch folder")
}
let dir = String(cString: made)

print("acsquirk-bench (release build; scratch folder \(dir))")
let dumps = benchmarkDumps(in: dir, bench: arguments[0])
var ok = true
if !arguments.contains("--no-lspci") {
    ok = lspciComparison(dumps, acsquirk: acsquirk) && ok
    print("")
}
let table = quirkTable()
ok = predictorBenchmark(table: table, tree: arguments.contains("--tree")) && ok
print("")
ok = dumpBenchmark(dumps, table: table) && ok
print("")
lintBenchmark(entries: 10_000, in: dir)
print("")
ok = benchmarkPatchOfTenEntries(acsquirk: acsquirk) && ok
print("")
ok = surveyBenchmark(acsquirk: acsquirk, in: dir) && ok
print(ok ? "acsquirk-bench: ok" : "acsquirk-bench: FAIL: a goal was missed (see above)")
_ = runChild(["rm", "-rf", dir])
exit(ok ? 0 : 1)
