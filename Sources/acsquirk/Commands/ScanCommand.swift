import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk scan`.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
