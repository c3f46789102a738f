import Diagnostics
import Foundation
import LinuxPCI
import Pipeline
import Testing
import TestSupport

/// The shared option groups of the command line (Sources/acsquirk/Commands/Options.swift): every
/// command that predicts IOMMU groups takes every platform flag and means the same by it, the
/// old spelling `--ids-path` still works, `--kernel` is refused with one message everywhere, and
/// `-o` writes what stdout would have shown.
@Suite struct OptionGroupTests {
    /// Intel PCH root ports whose ACS workaround (RCBA) succeeds: --assume-pch-workaround-fails merges their groups.
    static let pchDump = Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")
    static let platformFlags = ["--kernel", "6.12", "--cmdline", "quiet intel_iommu=on pci=noats", "--assume-iommu", "--amd-iommu",
                                "--assume-pch-workaround-fails"]

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

    /// A refused `--kernel` is one identical usage error (exit 2) from every predicting command,
    /// and it says `KernelProfile.parse`'s reason, not a list of every known line.
    @Test(arguments: ["bogus", "5.3", "5.20", "8.1"])
    func kernelIsRefusedWithOneMessageEverywhere(_ value: String) async throws {
        let reason: KernelProfileError
        do {
            _ = try KernelProfile.parse(value)
            Issue.record("\(value) is accepted")
            return
        } catch { reason = error }
        try await withTemporaryDirectoryAsync { dir in
            var messages: Set<String> = []
            for (name, args) in Self.predicting(out: dir.path + "/run") {
                guard let r = try await acsquirk(args + ["--kernel", value]) else { return }
                #expect(r.status == 2, "\(name)")
                let first = try #require(r.stderr.split(separator: "\n").map(String.init).first, "\(name)")
                messages.insert(first)
                #expect(!r.stderr.contains("  - \(KernelProfile.oldest)"), "\(name): the list of lines hides the reason")
            }
            #expect(messages.count == 1, "\(messages)")
            let message = try #require(messages.first)
            #expect(message.contains("'\(value)'") && message.contains("--kernel"), "\(message)")
            #expect(message.hasSuffix(": \(reason.description)"), "\(message)")
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
            // Missing folders above a new file are created (mkdir -p), as the help and docs/options.md say;
            // a file where a folder of the path should be is refused.
            let nested = dir.path + "/new/sub/groups.json"
            guard let made = try await acsquirk(["groups", "--dump", Self.pchDump, "--format", "json", "-o", nested]),
                  let blocked = try await acsquirk(["groups", "--dump", Self.pchDump, "-o", dir.path + "/groups.out/x.txt"]),
                  let help = try await acsquirk(["groups", "--help"]) else { return }
            #expect(made.status == 0 && FileManager.default.fileExists(atPath: nested), "\(made.stderr)")
            #expect(blocked.status == 2 && blocked.stderr.contains("nothing written"), "\(blocked.stderr)")
            #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
                .contains("a new path, whose missing folders are created"), "\(help.stdout)")
            let docs = try String(contentsOfFile: Fixtures.repoPath("docs/options.md"), encoding: .utf8)
            #expect(docs.contains("missing folders above a new FILE are created"))
        }
    }

    /// Long flags that each command declares for itself, because each means something of its own
    /// there (a shared `@OptionGroup` would have to carry one help text, one default and one value
    /// name for all of them):
    static let perCommandFlags: [String: String] = [
        // read-only search path (show, check, groups, survey), the registry linted and generated
        // (run), the entries to patch (patch): different defaults and roles.
        "registry": "search path, checked entries or patched entries, each with its own default",
        // a directory of patches (patch), of generated tables (generate), of the run's artifacts
        // (run), the registry folder written into (new, import-kernel): not the -o/--output file.
        "out": "the directory each command writes its own artifacts into",
        // read for its quirk table (generate, run), patched with --apply (patch), imported from
        // (import-kernel): required in some commands, optional in others.
        "kernel-tree": "read, patched or imported from; required only where the command needs it",
        // the device an entry is scaffolded for (new, any of its functions) and the one function
        // whose table is built (acs-table).
        "device": "a device (new) or exactly one function (acs-table)",
        // why each member is grouped (groups) and where the new capability goes (acs-table, stderr).
        "explain": "explains the groups (groups) or the capability placement (acs-table)",
    ]

    /// Every long flag declared with `@Option`/`@Flag` in Sources/acsquirk/Commands, with the
    /// files declaring it: an explicit `.customLong("x")`, else the property name in kebab case
    /// (ArgumentParser's `.long` and the default), none for a short-only name.
    static func declaredLongFlags() throws -> [String: [String]] {
        let dir = Fixtures.repoPath("Sources/acsquirk/Commands")
        var flags: [String: [String]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            for attribute in text.matches(of: /@(Option|Flag)\b/) {
                guard let property = text[attribute.range.upperBound...].firstMatch(of: /\bvar\s+(\w+)/) else { continue }
                let declaration = text[attribute.range.upperBound..<property.range.lowerBound]
                var longs = declaration.matches(of: /\.customLong\("([^"]+)"/).map { String($0.output.1) }
                if !declaration.contains("name:") || declaration.contains(/\.(long|shortAndLong)\b/) {
                    longs.append(String(property.output.1).replacing(/([a-z0-9])([A-Z])/) { "\($0.output.1)-\($0.output.2)" }.lowercased())
                }
                for long in longs { flags[long, default: []].append(file) }
            }
        }
        return flags
    }

    /// A flag shared by several commands is declared once, in an option group (Options.swift),
    /// so that its spelling, help and parsing cannot drift (`--ids-path` vs `--pci-ids` did);
    /// only the flags of `perCommandFlags` are declared by several commands, each for its own
    /// meaning, and each of them still is (a stale allow-list entry fails too).
    @Test func noFlagIsDeclaredTwiceAcrossTheCommands() throws {
        let flags = try Self.declaredLongFlags()
        #expect(flags["pci-ids"] == ["Options.swift"] && flags["assume-iommu"] == ["Options.swift"], "\(flags)")
        for (flag, files) in flags.sorted(by: { $0.key < $1.key }) where files.count > 1 {
            #expect(Self.perCommandFlags[flag] != nil, "--\(flag) is declared in \(files.joined(separator: ", ")): declare it once in an option group")
        }
        for flag in Self.perCommandFlags.keys.sorted() {
            #expect((flags[flag]?.count ?? 0) > 1, "--\(flag) is allowed per command but declared in \(flags[flag] ?? [])")
        }
    }
}

/// `--strict` in the input group (`InputOptions`, Sources/acsquirk/Commands/Options.swift): the
/// input's warnings go through `ErrorThrowingDiagnosticCollector` at `.warning`, so an input with a
/// read warning is refused (exit 2) at the first one, printed once with its `FILE:LINE`; without
/// `--strict` the same input is predicted as before, and an input without warnings is unaffected.
@Suite struct StrictInputTests {
    /// Real inputs with read warnings, and the first warning's line: the real `lspci -vvv -xxxx`
    /// text of a machine whose hex line 946 a pcilib message interrupts, and a dump whose 3-digit
    /// bus header libpci ignores (line 6) and merges below the device before it (line 7).
    static let warned: [(path: String, line: Int, fragment: String, summary: String)] = [
        (Fixtures.path("machines/x99-huananzhi-bd4/vvv.txt"), 946, "a tool message interrupts this hex line",
         "87 functions, 28 groups"),
        (Fixtures.path("malformed/05-header-3-digit-bus.txt"), 6, "not a device header for libpci (3-digit bus",
         "1 functions, 1 groups"),
    ]

    @Test(arguments: 0..<warned.count)
    func strictRefusesAnInputWithAReadWarningAtTheFirst(_ i: Int) async throws {
        let (path, line, fragment, summary) = Self.warned[i]
        guard let plain = try await acsquirk(["groups", "--dump", path]) else { return }
        // Without --strict: the warning on stderr, the prediction as always.
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains(summary), "\(plain.stdout)")
        #expect(plain.stderr.contains("\(path):\(line): warning: \(fragment)"), "\(plain.stderr)")

        try await withTemporaryDirectoryAsync { dir in
            let out = dir.path + "/quirks"
            for (command, extra) in [("groups", [String]()), ("scan", []), ("check", []), ("new", ["--device", "00:00.0", "--out", out])] {
                guard let strict = try await acsquirk([command, "--dump", path, "--strict"] + extra) else { return }
                #expect(strict.status == 2, "\(command): \(strict.stderr)")
                #expect(strict.stdout.isEmpty, "\(command): \(strict.stdout)")
                let lines = strict.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                // The first warning once, with its location, then why the input is refused; no second warning.
                #expect(lines.count == 3 && lines[0].hasPrefix("\(path):\(line): warning: \(fragment)"), "\(command): \(strict.stderr)")
                #expect(lines.dropFirst().first == "acsquirk \(command): the input is refused: --strict makes its warnings errors",
                        "\(command): \(strict.stderr)")
                #expect(strict.stderr.components(separatedBy: ": warning: ").count == 2, "\(command): \(strict.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: out), "new wrote an entry for a refused input")
        }
    }

    /// `run --strict` refuses the input before anything is written; the warning is in its error line.
    @Test func runStrictRefusesTheInputAndWritesNothing() async throws {
        let (path, line, fragment, _) = Self.warned[0]
        try await withTemporaryDirectoryAsync { dir in
            let out = dir.path + "/out"
            guard let r = try await acsquirk(["run", "--dump", path, "--out", out, "--strict"]) else { return }
            #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("acsquirk run: the input is refused: --strict makes its warnings errors; the first: \(path):\(line): warning: \(fragment)"),
                    "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
            guard let plain = try await acsquirk(["run", "--dump", path, "--out", out]) else { return }
            #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
            #expect(FileManager.default.fileExists(atPath: out + "/groups.txt"))
        }
    }

    /// An input without warnings: --strict changes nothing, byte for byte.
    @Test func strictChangesNothingForAnInputWithoutWarnings() async throws {
        for args in [["groups", "--dump", OptionGroupTests.pchDump], ["check", "--dump", OptionGroupTests.pchDump, "--format", "json"],
                     ["scan", "--dump", OptionGroupTests.pchDump]] {
            guard let plain = try await acsquirk(args), let strict = try await acsquirk(args + ["--strict"]) else { return }
            #expect(plain.status == 0 && !plain.stdout.isEmpty, "\(args[0]): \(plain.stderr)")
            #expect(strict.status == plain.status && strict.stdout == plain.stdout && strict.stderr == plain.stderr, "\(args[0])")
        }
    }

    /// The reader itself: the collector is given the first warning only, and the error carries it.
    @Test func theReadStopsAtTheFirstWarningWithIt() throws {
        let (path, line, fragment, _) = Self.warned[1]
        let seen = AccumulatingDiagnosticCollector()
        let input = InputSource(dump: path)
        #expect(try input.read(names: false).warnings.count == 2)
        do throws(PipelineError) {
            _ = try input.read(names: false, warnings: ErrorThrowingDiagnosticCollector(upstream: seen, severity: .warning))
            Issue.record("the read did not stop")
        } catch {
            #expect(seen.diagnostics.count == 1)
            let first = try #require(seen.diagnostics.first)
            #expect(first.severity == .warning && first.line == line && first.message.contains(fragment), "\(first)")
            #expect(error.stoppedOn == first)
            #expect(error.message == first.description)
        }
    }
}
