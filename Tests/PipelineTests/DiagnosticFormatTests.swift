import Diagnostics
import Foundation
import Pipeline
import Registry
import Testing
import TestSupport

/// `lint` and `check` through the same reporters (`--format github|sarif`), on real inputs with
/// findings: a QEMU guest's dump with an entry that contradicts its devices, and a registry file
/// whose name and text hold spaces, `%`, `,`, `:` and non-ASCII. Each output is compared with its
/// reference in Tests/Fixtures/diagnostics/reference (a mismatch prints a diff;
/// `ACSQUIRK_RECORD=1 swift test --filter DiagnosticFormatTests` re-records them), and every SARIF
/// log is validated against the official SARIF 2.1.0 schema (docs/schemas/sarif-schema-2.1.0.json).
@Suite struct DiagnosticFormatTests {
    static let entries = "Tests/Fixtures/diagnostics/quirks"
    static let hostile = "Tests/Fixtures/diagnostics/hostile"
    static let dump = "Tests/Fixtures/qemu/e-rciep/dump.txt"
    static var recording: Bool { ProcessInfo.processInfo.environment["ACSQUIRK_RECORD"] == "1" }

    /// (reference file, arguments, exit status). Paths relative to the repository root, where the
    /// tests run acsquirk: the SARIF URIs are relative to it (SRCROOT).
    static let cases: [(String, [String], Int32)] = [
        ("check-e-rciep.sarif", ["check", entries, "--dump", dump, "--format", "sarif"], 1),
        ("check-e-rciep.github", ["check", entries, "--dump", dump, "--format", "github"], 1),
        ("lint-hostile.sarif", ["lint", hostile, "--format", "sarif"], 1),
        ("lint-hostile.github", ["lint", hostile, "--format", "github"], 1),
    ]

    @Test(arguments: cases.indices)
    func matchesItsReference(_ i: Int) async throws {
        let (name, args, status) = Self.cases[i]
        guard let r = try await acsquirk(args) else { return }
        #expect(r.status == status, "\(args): \(r.stderr)")
        let file = Fixtures.path("diagnostics/reference/" + name)
        if Self.recording {
            try r.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: file, encoding: .utf8)
        if r.stdout != expected {
            Issue.record("acsquirk \(args.joined(separator: " ")) differs from \(name):\n\(await textDiff(expected: expected, actual: r.stdout))")
        }
        if name.hasSuffix(".sarif") {
            let errors = try await jsonSchemaErrors([r.stdout], schemaFile: Fixtures.repoPath("docs/schemas/sarif-schema-2.1.0.json"))[0]
            #expect(errors.isEmpty, "\(name) against the SARIF 2.1.0 schema:\n\(errors.joined(separator: "\n"))")
        }
    }

    /// What the references hold, stated once more so a re-recording that loses it fails: the
    /// tool version, the rules, percent-encoded relative URIs, entry findings at their line, and
    /// machine findings at the dump with the function as a logical location.
    @Test func sarifCarriesVersionRulesAndLocations() async throws {
        guard let check = try await acsquirk(Array(Self.cases[0].1)), let lint = try await acsquirk(Array(Self.cases[2].1)),
              let version = try await acsquirk(["--version"]) else { return }
        let log = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "acsquirk")
        #expect(driver["version"] as? String == version.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((driver["rules"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == CheckRule.allCases.map(\.rawValue))
        let results = try #require(run["results"] as? [[String: Any]])
        func physical(_ r: [String: Any]) -> [String: Any]? {
            ((r["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any]
        }
        let portType = try #require(results.first { $0["ruleId"] as? String == "port-type" })
        #expect((physical(portType)?["artifactLocation"] as? [String: Any])?["uri"] as? String
                == "Tests/Fixtures/diagnostics/quirks/intel/82574l.yaml")
        #expect((physical(portType)?["artifactLocation"] as? [String: Any])?["uriBaseId"] as? String == "SRCROOT")
        #expect((physical(portType)?["region"] as? [String: Any])?["startLine"] as? Int == 7)
        let noEntry = try #require(results.first { $0["ruleId"] as? String == "no-entry" })
        #expect((physical(noEntry)?["artifactLocation"] as? [String: Any])?["uri"] as? String == Self.dump)
        #expect(physical(noEntry)?["region"] == nil)
        let logical = ((noEntry["locations"] as? [[String: Any]])?.first)?["logicalLocations"] as? [[String: Any]]
        #expect((logical?.first?["name"] as? String)?.hasPrefix("0000:00:") == true)

        let lintLog = try #require(try JSONSerialization.jsonObject(with: Data(lint.stdout.utf8)) as? [String: Any])
        let lintRun = try #require((lintLog["runs"] as? [[String: Any]])?.first)
        let lintResult = try #require((lintRun["results"] as? [[String: Any]])?.first)
        #expect((physical(lintResult)?["artifactLocation"] as? [String: Any])?["uri"] as? String
                == "Tests/Fixtures/diagnostics/hostile/quirks/intel/82574l%20100%25%20%C3%BCn%C3%AF%2C%20a%3Ab.yaml")
        let lintDriver = (lintRun["tool"] as? [String: Any])?["driver"] as? [String: Any]
        #expect(lintDriver?["version"] as? String == driver["version"] as? String)
        #expect((lintDriver?["rules"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == LintRules.all.map(\.id))
    }

    /// The shipped registry's lint SARIF validates too (no findings: an empty result list).
    @Test func lintOfTheShippedRegistryValidates() async throws {
        guard let r = try await acsquirk(["lint", "quirks", "--format", "sarif"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let errors = try await jsonSchemaErrors([r.stdout], schemaFile: Fixtures.repoPath("docs/schemas/sarif-schema-2.1.0.json"))[0]
        #expect(errors.isEmpty, "\(errors)")
    }
}
