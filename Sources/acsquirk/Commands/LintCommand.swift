import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk lint`.
struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lint", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
