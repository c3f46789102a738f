import ArgumentParser

// Placeholder: replaced by the module that implements `acsquirk import-kernel`.
struct ImportKernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import-kernel", abstract: "(not built yet)")
    func run() async throws { throw ExitStatus.badInput }
}
