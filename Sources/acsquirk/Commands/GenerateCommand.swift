import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk generate`.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
