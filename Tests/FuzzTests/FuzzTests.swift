import Foundation
import FuzzKit
import Testing
import TestSupport

/// The fuzz targets (Fuzz/FuzzKit) in `make test`: every regression input in
/// Tests/Fixtures/fuzz/<target>/ replayed, then a bounded seeded mutation run per target in its
/// own process (a crash there fails this test and names the input, instead of ending the run).
/// `make fuzz` runs the same targets for longer.
@Suite struct FuzzTests {
    /// Mutated inputs per target with the fixed seed, and the time they may take at most (the
    /// run stops early and says how far it got).
    static let runs: [String: (iterations: Int, seconds: Double)] = ["dump": (1500, 40), "config": (6000, 40), "text": (1500, 30),
                                                                            "snapshot": (1000, 20), "yaml": (3000, 40)]
    static let seed = "0x5eed"

    @Test func everyTargetHasABudgetAndAFolder() {
        #expect(Set(FuzzTargets.all.map { $0.name }) == Set(Self.runs.keys))
        for t in FuzzTargets.all {
            #expect(FileManager.default.fileExists(atPath: Repository.regressionFolder(t.name)), "\(t.name): no Tests/Fixtures/fuzz/\(t.name)")
            #expect(!t.corpus().isEmpty, "\(t.name): empty corpus")
        }
    }

    static let regressionInputs: [String] = FuzzTargets.all.flatMap { t in
        Repository.regressionInputs(t.name).map { "\(t.name)/\($0.name)" }
    }

    /// Every input a fuzz run once found something with passes now.
    @Test(arguments: regressionInputs)
    func regressionInputPasses(_ input: String) throws {
        let parts = input.split(separator: "/", maxSplits: 1).map(String.init)
        let target = try #require(FuzzTargets.named(parts[0]))
        let bytes = try #require(Repository.read(Repository.regressionFolder(parts[0]) + "/" + parts[1]))
        #expect(target.check(bytes) == [], "Tests/Fixtures/fuzz/\(input)")
    }

    @Test(arguments: FuzzTargets.all.map { $0.name })
    func seededMutationFindsNothing(_ name: String) async throws {
        let exe = try #require(builtProduct("acsquirk-fuzz"), "acsquirk-fuzz is not built: swift build --build-tests")
        let dir = try Fixtures.temporaryDirectory("acsquirk-fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        let budget = try #require(Self.runs[name])
        let current = dir.appendingPathComponent("current").path
        let r = try await runTool("env", [exe, name, "--seed", Self.seed, "--iterations", String(budget.iterations),
                                          "--seconds", String(budget.seconds), "--findings", dir.path, "--current", current])
        let summary = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(summary.hasPrefix("\(name): "), "\(r.stdout)\(r.stderr)")
        if r.status != 0 {
            // Keep what it found as regression inputs (and in the log, for a CI run).
            var found = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.filter { $0.hasPrefix("finding-") }
                .map { dir.appendingPathComponent($0).path } ?? []
            if FileManager.default.fileExists(atPath: current) { found.append(current) }
            var message = "acsquirk-fuzz \(name) exited \(r.status):\n\(r.stdout)\(r.stderr.suffix(2000))"
            for path in found {
                guard let bytes = Repository.read(path) else { continue }
                let kind = path == current ? "crash" : "finding"
                let keep = Repository.regressionFolder(name) + "/\(kind)-" + fnv1a(bytes)
                Repository.write(bytes, to: keep)
                message += "\n\(kind) kept as \(keep) (base64 \(Data(bytes.prefix(1 << 16)).base64EncodedString())): fix it and commit the file"
            }
            Issue.record(Comment(rawValue: message))
        }
        // How far it got (it may stop early on a slow machine; the seed keeps the inputs fixed).
        print(summary)
    }
}
