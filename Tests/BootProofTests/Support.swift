import Foundation
import PCIConfig
import Testing
import TestSupport
@testable import BootProof

/// The boot-proof cases of Tests/Fixtures/prove and a prover for them.
enum ProveFixtures {
    static let root = Fixtures.path("prove")

    /// Every case (a broken case folder fails `casesLoad`, not silently here).
    static let cases: [ProofCase] = (try? ProofCase.all(in: root)) ?? []

    /// QEMU boots of all suites share two slots (the CI machine has 2 cores; the kernel-tree
    /// suites compile at the same time).
    static let boots = Slots(2)

    /// Debian's linux-source-6.12 tree the series are made for (scripts/kernel-trees.sh).
    static func kernelTree() throws -> String { try tree.get() }
    private static let tree = Result { try KernelTreeCache.tree("6.12") }

    static func prover(_ name: String) throws -> Prover {
        let acsquirk = try #require(builtAcsquirk(), "the acsquirk binary is not built (swift build --build-tests builds it)")
        let work = try Fixtures.temporaryDirectory("acsquirk-prove-\(name)").path
        return Prover(repository: Fixtures.root.path, acsquirk: acsquirk, kernelTree: try kernelTree(), work: work) { line in
            print("prove: \(line)")
        }
    }

    /// Proves `c` on `route` alone (a QEMU slot of `boots`): the prover, the proof, its text
    /// report and the route's proof, which must be of `route`.
    static func prove(_ c: ProofCase, on route: ProofRoute) async throws
        -> (prover: Prover, proof: CaseProof, report: String, route: RouteProof) {
        let prover = try prover(c.name)
        let proof = try await boots.run { try await prover.prove(c, routes: [route]) }
        let r = try #require(proof.routes.first)
        #expect(r.route == route)
        return (prover, proof, ProofReport.text(proof), r)
    }

    /// The last check of a route test: the case is proven; its work directory is then removed
    /// (kept otherwise, for the report's paths).
    static func expectProven(_ proof: CaseProof, _ prover: Prover, report: String) {
        #expect(proof.proven, "\(report)")
        if proof.proven { try? FileManager.default.removeItem(atPath: prover.work) }
    }

    /// `acsquirk groups --dump DUMP --kernel 6.12 --registry E… --with-registry --format json`:
    /// the groups the command line predicts without the entries (`groups`) and with them
    /// (`whatIf.groups`), group number by address.
    static func cliPrediction(dump: String, entries: [String]) async throws
        -> (without: [PCIAddress: Int], with: [PCIAddress: Int]) {
        let acsquirk = try #require(builtAcsquirk())
        var args = ["groups", "--dump", dump, "--kernel", "6.12", "--with-registry", "--format", "json"]
        for e in entries { args += ["--registry", e] }
        // runTool looks executables up in PATH; env(1) runs one by path.
        let r = try await runTool("env", [acsquirk] + args, workingDirectory: Fixtures.root.path)
        #expect(r.status == 0, "acsquirk groups: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        func numbers(_ groups: Any?) throws -> [PCIAddress: Int] {
            var out: [PCIAddress: Int] = [:]
            for g in try #require(groups as? [[String: Any]]) {
                let n = try #require(g["number"] as? Int)
                for m in try #require(g["members"] as? [Any]) {
                    let bdf = try #require((m as? String) ?? ((m as? [String: Any])?["bdf"] as? String))
                    out[try #require(PCIAddress(bdf))] = n
                }
            }
            return out
        }
        let whatIf = try #require(json["whatIf"] as? [String: Any])
        return (try numbers(json["groups"]), try numbers(whatIf["groups"]))
    }

    /// The group of `members[0]` in `groups`, sorted.
    static func group(of members: [PCIAddress], in groups: [PCIAddress: Int]) -> [PCIAddress] {
        guard let n = groups[members[0]] else { return [] }
        return groups.filter { $0.value == n }.keys.sorted()
    }
}
