import ArgumentParser

/// The `acsquirk` command line: each subcommand lives in Commands/, one file each.
@main
struct Acsquirk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acsquirk",
        abstract: "PCIe isolation facts: a registry of vendor-confirmed ACS quirks, checked against real config space.",
        discussion: """
            The kernel's quirk table comes from the registry acsquirk shipped with: \
            ../share/acsquirk/quirks next to the executable (make install), else \
            $ACSQUIRK_HOME/quirks, else the checkout a debug build is in or was built from; the \
            templates likewise. Commands work on ./quirks when the current directory has one, else \
            on the shipped registry; --registry never replaces the kernel's table. \
            Exit codes: 0 success, 1 findings (lint errors, check mismatches, group mismatches, \
            show of a device no entry covers), 2 usage or input error.
            """,
        version: version,
        subcommands: [
            ScanCommand.self, LintCommand.self, ShowCommand.self, ImportKernelCommand.self,
            GroupsCommand.self, CheckCommand.self, NewCommand.self, GenerateCommand.self,
            PatchCommand.self, ACSTableCommand.self, RunCommand.self, SnapshotCommand.self, SurveyCommand.self,
        ]
    )
}

extension Acsquirk {
    /// What `acsquirk --version` prints, and the tool version in SARIF logs (`driver.version`).
    static let version = "0.1.0"

    /// Runs the command line. Usage errors (unknown options, bad values) exit 2 like every other
    /// bad input instead of ArgumentParser's 64, so scripts see one code for "fix your input".
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                Console.error(message)
                exit(withError: ExitStatus.badInput)
            }
            exit(withError: error)
        }
    }
}

/// Exit codes shared by every subcommand.
enum ExitStatus {
    static let findings = ExitCode(1)
    static let badInput = ExitCode(2)
}
