import ArgumentParser

/// The `acsquirk` command line: each subcommand lives in Commands/, one file each.
@main
struct Acsquirk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acsquirk",
        abstract: "PCIe isolation facts: a registry of vendor-confirmed ACS quirks, checked against real config space.",
        discussion: """
            Exit codes: 0 success, 1 findings (lint errors, check mismatches, group mismatches), \
            2 usage or input error.
            """,
        version: "0.1.0",
        subcommands: [
            ScanCommand.self, LintCommand.self, ShowCommand.self, ImportKernelCommand.self,
            GroupsCommand.self, CheckCommand.self, NewCommand.self, GenerateCommand.self,
            PatchCommand.self, ACSTableCommand.self, RunCommand.self,
        ]
    )
}

/// Exit codes shared by every subcommand.
enum ExitStatus {
    static let findings = ExitCode(1)
    static let badInput = ExitCode(2)
}
