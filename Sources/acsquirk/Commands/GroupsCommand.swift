import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk groups`.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "groups", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
