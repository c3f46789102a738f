import ArgumentParser
import PCIAccess

/// lspci's `-s` and `-d` (docs/scan.md "lspci's options"), shared by `scan` and `groups`: parsed by
/// libpci into one `PCIFilter`.
struct PCISelectionOptions: ParsableArguments {
    @Option(name: .customShort("s"), help: ArgumentHelp("Only functions in this slot, as lspci -s (hex; empty or * is any; repeatable).", valueName: "[[[[domain]:]bus]:][slot][.[func]]"))
    var slots: [String] = []

    @Option(name: .customShort("d"), help: ArgumentHelp("Only functions with these IDs, as lspci -d (hex; empty or * is any; x digits in the class are wildcards; repeatable).", valueName: "[vendor]:[device][:class[:progif]]"))
    var ids: [String] = []

    /// The options as typed, `-s 00:1c -d 8086:` (empty without any).
    var text: String {
        (slots.map { "-s \($0)" } + ids.map { "-d \($0)" }).joined(separator: " ")
    }

    /// The filter, or a usage error (exit 2) with lspci's reason: `acsquirk scan: -s '1.x': Invalid function number`.
    func filter(command: String) throws -> PCIFilter {
        do throws(PCIFilterError) {
            return try PCIFilter(slots: slots, ids: ids)
        } catch {
            Console.error("acsquirk \(command): \(error)")
            throw ExitStatus.badInput
        }
    }
}
