import Foundation
import LinuxPCI
import Testing
import TestSupport

/// The shared option groups of the command line (Sources/acsquirk/Commands/Options.swift): every
/// command that predicts IOMMU groups takes every platform flag and means the same by it, the
/// old spelling `--ids-path` still works, `--kernel` is refused with one message everywhere, and
/// `-o` writes what stdout would have shown.
@Suite struct OptionGroupTests {
    /// Intel PCH root ports whose ACS workaround (RCBA) succeeds: --assume-pch-workaround-fails merges their groups.
    static let pchDump = Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")
    static let platformFlags = ["--kernel", "6.12", "--assume-iommu", "--amd-iommu", "--assume-pch-workaround-fails"]

    /// The predicting commands, each reading `pchDump` (run writes into `out`).
    static func predicting(out: String) -> [(name: String, args: [String])] {
        [("groups", ["groups", "--dump", pchDump, "--format", "json"]),
         ("check", ["check", "--dump", pchDump, "--format", "json"]),
         ("scan -t", ["scan", "-t", "--dump", pchDump]),
         ("survey", ["survey", pchDump, "--format", "json"]),
         ("run", ["run", "--dump", pchDump, "--out", out])]
    }

    @Test func everyPredictingCommandTakesEveryPlatformFlag() async throws {
        try await withTemporaryDirectoryAsync { dir in
            for (name, args) in Self.predicting(out: dir.path + "/run") {
                guard let r = try await acsquirk(args + Self.platformFlags) else { return }
                #expect(r.status == 0, "\(name): \(r.stderr)")
                #expect(!r.stderr.contains("Error:"), "\(name): \(r.stderr)")
            }
        }
    }

    @Test func thePCHFlagChangesTheGroupsOfGroupsAndRunAlike() async throws {
        try await withTemporaryDirectoryAsync { dir in
            guard let ok = try await acsquirk(["groups", "--dump", Self.pchDump]),
                  let failing = try await acsquirk(["groups", "--dump", Self.pchDump, "--assume-pch-workaround-fails"])
            else { return }
            #expect(ok.stdout.contains("21 functions, 17 groups"))
            #expect(failing.stdout.contains("21 functions, 11 groups"))
            // `run` lacked the flag: its groups stage now predicts the same groups as `groups`.
            guard let run = try await acsquirk(["run", "--dump", Self.pchDump, "--out", dir.path, "--assume-pch-workaround-fails"])
            else { return }
            #expect(run.status == 0, "\(run.stderr)")
            let text = try String(contentsOfFile: dir.path + "/groups.txt", encoding: .utf8)
            #expect(text.contains("21 functions, 11 groups"))
            #expect(text.contains("workaround (pci_quirk_enable_intel_pch_acs) fails for 00:1c.0"))
        }
    }

    @Test func kernelIsRefusedWithOneMessageEverywhere() async throws {
        try await withTemporaryDirectoryAsync { dir in
            var messages: Set<String> = []
            for (name, args) in Self.predicting(out: dir.path + "/run") {
                guard let r = try await acsquirk(args + ["--kernel", "bogus"]) else { return }
                #expect(r.status == 2, "\(name)")
                let first = try #require(r.stderr.split(separator: "\n").first.map(String.init), "\(name)")
                messages.insert(first)
            }
            #expect(messages.count == 1, "\(messages)")
            let message = try #require(messages.first)
            #expect(message.contains("'bogus'") && message.contains("--kernel"))
            for profile in KernelProfile.allValueStrings { #expect(message.contains("'\(profile)'"), "\(message)") }
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/run"))
        }
    }

    @Test func theDeprecatedIDsPathStillNamesThePCIIDsFile() async throws {
        let ids = Fixtures.path("pictures/snb-h67.pci.ids")
        for command in [["groups", "--dump", Self.pchDump], ["scan", "--dump", Self.pchDump], ["check", "--dump", Self.pchDump]] {
            guard let new = try await acsquirk(command + ["--pci-ids", ids]),
                  let old = try await acsquirk(command + ["--ids-path", ids]),
                  let missing = try await acsquirk(command + ["--ids-path", "/nonexistent/pci.ids"]) else { return }
            #expect(new.status == old.status && new.stdout == old.stdout && !old.stdout.isEmpty, "\(command[0])")
            // The file is really read under the old name: a missing one is said so.
            #expect(missing.stderr.contains("/nonexistent/pci.ids"), "\(command[0]): \(missing.stderr)")
        }
        guard let help = try await acsquirk(["groups", "--help"]) else { return }
        #expect(help.stdout.contains("--pci-ids") && !help.stdout.contains("--ids-path"))
    }

    @Test func outputFileHoldsWhatStdoutShows() async throws {
        try await withTemporaryDirectoryAsync { dir in
            for (name, args) in [("groups", ["groups", "--dump", Self.pchDump, "--format", "json"]),
                                 ("check", ["check", "--dump", Self.pchDump]),
                                 ("scan", ["scan", "--dump", Self.pchDump]),
                                 ("lint", ["lint", Fixtures.repoPath("quirks")]),
                                 ("show", ["show", "8086:1e10"])] {
                let file = dir.path + "/\(name).out"
                guard let shown = try await acsquirk(args), let written = try await acsquirk(args + ["-o", file]) else { return }
                #expect(written.status == shown.status && written.stdout.isEmpty, "\(name)")
                #expect(try String(contentsOfFile: file, encoding: .utf8) == shown.stdout, "\(name)")
            }
            // A folder where the file goes is refused, and nothing is written (SafeFiles).
            guard let refused = try await acsquirk(["groups", "--dump", Self.pchDump, "-o", dir.path]) else { return }
            #expect(refused.status == 2 && refused.stderr.contains("nothing written"), "\(refused.stderr)")
        }
    }
}
