import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk check`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
