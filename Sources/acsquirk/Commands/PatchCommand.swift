import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk patch`.
struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patch", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
