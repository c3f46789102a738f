import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk run`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
