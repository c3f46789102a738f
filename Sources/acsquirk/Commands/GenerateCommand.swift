import ArgumentParser
import Foundation
import KernelOutput
import Pipeline
import Registry
import StaticACS

/// `acsquirk generate [--out DIR] [--kernel-tree DIR] [--templates DIR] [PATH…]`: C quirk stubs
/// for every registry entry that is not upstream, one file per vendor (docs/kernel-output.md).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write C quirk stubs for the registry entries Linux does not have, one file per vendor.",
        discussion: """
            Writes DIR/quirks/<vendor>.c for every vendor with entries that are not upstream: new \
            quirk functions, table rows (as a pci_dev_acs_enabled array) and the ID-list extensions, \
            with the isolation claim and the evidence in comments. What the kernel already has comes \
            from --kernel-tree (its drivers/pci/quirks.c and pci_ids.h) or, without it, from the \
            registry's upstream entries. The registry is linted first: entries that fail lint get \
            no code (exit 2). Entries the kernel already covers are reported and get no \
            stub. Output is deterministic. All files land together or none does (DIR is staged whole \
            next to itself and exchanged with it in one rename); DIR/quirks/*.c and \
            DIR/acs-tables/acs-table-*.h files of an earlier run that this run did not write are \
            removed, other files in DIR are kept; a link or special file where an output goes is \
            refused. Exit 2 on registry, template, tree or output errors (then DIR is as it was).
            """
    )

    @Option(name: .long, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "out"

    @Option(name: .customLong("kernel-tree"), help: ArgumentHelp("Kernel source tree to read the ACS table and vendor macros from.", valueName: "dir"))
    var kernelTree: String?

    @OptionGroup var templateOptions: TemplatesOptions

    @Argument(help: ArgumentHelp("Registry files or directories (default: ./quirks when present, else the shipped registry).", valueName: "path"))
    var paths: [String] = []

    func run() async throws {
        // Without a tree, the kernel's table is the shipped registry's (never only the entries given).
        let shippedKernel = kernelTree == nil ? try RegistryCLI.prediction(extra: [], command: "generate").kernel : []
        let entries = try KernelOutputCLI.loadRegistry(try RegistryCLI.working(paths, command: "generate"))
        let kernel = Registry.newEntries(in: shippedKernel, besides: entries)
        let stubs: StubFiles = try KernelOutputCLI.guarded {
            let renderer = try KernelOutputCLI.templates(templateOptions.templates)
            let model = try kernelTree.map { QuirkTableModel(source: try KernelTreeFiles(root: $0).source()) }
                ?? QuirkTableModel(upstream: (kernel + entries).map(\.entry))
            return try StubFiles(entries: entries, model: model, renderer: renderer)
        }
        let extra = try KernelOutputCLI.guarded { try Self.staticACSFiles(for: entries) }
        let files = stubs.files.map { (path: $0.path, text: $0.text) } + extra
        let report = try KernelOutputCLI.write(files, into: out, stale: { StubFiles.isOutput($0.path) || StaticACSTable.isOutput($0.path) })

        for f in files { KernelOutputCLI.say("wrote \((out as NSString).appendingPathComponent(f.path))") }
        for r in report.removed { KernelOutputCLI.say("removed \((out as NSString).appendingPathComponent(r)) (not generated any more)") }
        for s in stubs.skipped where s.entry.entry.kernel.status != .upstream {
            Console.diagnostics.emit(s.diagnostic)
        }
        for n in stubs.notes { KernelOutputCLI.say(n.description) }
        if files.isEmpty { KernelOutputCLI.say("nothing to generate: every entry is upstream or covered") }
    }

    /// Hook for the static ACS capability tables (module StaticACS renders an ACS capability as
    /// C): return extra files, paths relative to --out (e.g. `acs-tables/<vendor>.c`), to be
    /// written together with the quirk stubs (same all-or-nothing write). Not wired yet.
    static func staticACSFiles(for entries: [LoadedEntry]) throws -> [(path: String, text: String)] {
        // One static ACS capability per multifunction endpoint entry (upstream ones included: a
        // vendor can ship it in firmware so every kernel, old or new, isolates the functions).
        StaticACSTable.files(for: entries)
    }
}
