import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk new`.
struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
