import ArgumentParser
import Foundation
import Registry

/// `acsquirk import-kernel --kernel-tree DIR [--out quirks]`: registry entries for the whole
/// `pci_dev_acs_enabled[]` table of a kernel tree (upstream entries, one file per family).
struct ImportKernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-kernel",
        abstract: "Write registry entries for a kernel tree's ACS quirk table.",
        discussion: """
            Reads DIR/drivers/pci/quirks.c (the pci_dev_acs_enabled[] rows in order, and the ID lists and \
            conditions inside the quirk functions) and DIR/include/linux/pci_ids.h, and writes one \
            upstream entry per product family to OUT/<vendor>/<family>.yaml (atomically). Files of \
            other entries in OUT are left alone. Exit 2 when the tree cannot be read or parsed.
            """)

    @Option(help: "Kernel source tree (e.g. ~/.cache/acsquirk/linux-source-6.12).")
    var kernelTree: String

    @Option(help: "Registry folder to write into.")
    var out: String = "quirks"

    func run() async throws {
        let result: KernelImporter.Result
        do {
            result = try KernelImporter.importTree(kernelTree)
        } catch {
            FileHandle.standardError.write(Data("acsquirk import-kernel: \(error)\n".utf8))
            throw ExitStatus.badInput
        }
        let written: [String]
        do {
            written = try KernelImporter.write(result.entries, to: out)
        } catch {
            FileHandle.standardError.write(Data("acsquirk import-kernel: cannot write into \(out): \(error)\n".utf8))
            throw ExitStatus.badInput
        }
        for p in written { print(p) }
        FileHandle.standardError.write(Data(
            "imported \(result.rowCount) rows of Linux \(result.kernelVersion) into \(result.entries.count) entries under \(out)\n".utf8))
    }
}
