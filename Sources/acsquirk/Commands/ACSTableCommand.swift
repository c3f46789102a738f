import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk acs-table`.
struct ACSTableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "acs-table", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
