import ArgumentParser
import Foundation
import KernelOutput
import Registry
import SafeFiles

/// `acsquirk import-kernel --kernel-tree DIR [--out quirks]`: registry entries for the whole
/// `pci_dev_acs_enabled[]` table of a kernel tree (upstream entries, one file per family).
struct ImportKernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-kernel",
        abstract: "Write registry entries for a kernel tree's ACS quirk table.",
        discussion: """
            Reads DIR/drivers/pci/quirks.c (the pci_dev_acs_enabled[] rows in order, and the ID lists and \
            conditions inside the quirk functions) and DIR/include/linux/pci_ids.h, and writes one \
            upstream entry per product family to OUT/<vendor>/<family>.yaml, all together or none \
            (OUT is staged next to itself and exchanged with it in one rename). Rows the \
            registry already records (OUT's upstream entries, then the project's quirks/) keep their \
            family, vendor name, first release and notes; other rows are grouped by vendor, function \
            and table comment. A new or \
            submitted entry in OUT whose rows the tree has (a merged acsquirk patch) becomes upstream \
            in its own file, keeping its family and evidence. Files of other entries in OUT are left alone. Exit 2 when the tree cannot be read or parsed.
            """)

    @Option(help: "Kernel source tree (e.g. ~/.cache/acsquirk/linux-source-6.12).")
    var kernelTree: String

    @Option(help: "Registry folder to write into.")
    var out: String = "quirks"

    func run() async throws {
        // Entries already in OUT: their families name the tree's rows, and a `new`/`submitted`
        // entry whose rows the tree now has becomes upstream in its own file (KernelImporter.plan).
        var existing: [LoadedEntry] = []
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), isDir.boolValue {
            existing = Registry.load(paths: [out]).entries
        }
        // The project's registry names the families OUT does not have yet (an import into an
        // empty folder still gets the registry's family names).
        var known = existing.map(\.entry)
        func real(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        if let project = ProjectResources.locate("quirks"), real(project) != real(out) {
            known += Registry.load(paths: [project]).entries.map(\.entry)
        }
        let result: KernelImporter.Result
        do {
            result = try KernelImporter.importTree(kernelTree, known: known)
        } catch {
            Console.error("acsquirk import-kernel: \(error)")
            throw ExitStatus.badInput
        }
        let files = KernelImporter.plan(result, existing: existing, out: out)
        let report: WriteReport
        do throws(FileError) {
            report = try KernelImporter.write(files, into: out)
        } catch {
            Console.error("acsquirk import-kernel: \(error) (nothing written)")
            throw ExitStatus.badInput
        }
        for m in report.messages { Console.error("acsquirk import-kernel: \(m)") }
        for p in report.written { Console.line(p) }
        for f in files where f.merged { Console.error("\(f.path): now upstream (\(f.entry.kernel.function ?? ""), rows \(f.entry.kernel.table.map { String($0.row) }.joined(separator: ", ")))") }
        for w in files.flatMap(\.warnings) { Console.diagnostics.emit(w) }
        Console.error("imported \(result.rowCount) rows of Linux \(result.kernelVersion) into \(files.count) entries under \(out)")
    }
}
