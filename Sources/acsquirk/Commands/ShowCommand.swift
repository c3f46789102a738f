import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk show`.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
