import ArgumentParser
import Diagnostics
import Foundation
import KernelOutput
import LinuxPCI
import Pipeline
import Registry

/// `acsquirk run [--dump FILE] [--kernel-tree DIR] [--out DIR] [--registry PATH]`: the whole
/// pipeline, with a progress line per stage and a summary (docs/pipeline.md).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The whole pipeline: lint, scan, check, groups, C stubs, static ACS tables (and patches).",
        discussion: """
            Stages: lint the registry; scan this machine (or --dump); check the entries against the \
            functions present; predict the IOMMU groups with a reason for every member; write C quirk \
            stubs and static ACS tables for the entries that are not upstream; with --kernel-tree, \
            a git am-ready patch series signed off by the submitter: --from, else git config \
            user.name/user.email; without either the patch stage refuses (exit 2, no patch written, \
            the other stages' files are kept). The entries' confirmed-by people are named and copied \
            (Cc:), never the signer. Last, a page to look at: index.html (the machine, the IOMMU \
            groups drawn through graphviz and explained, what the entries change, the findings, \
            links to every file; no picture without graphviz). Writes into OUT: scan.txt/.json, \
            check.txt/.json, groups.txt/.json/.dot/.svg, quirks/<vendor>.c, acs-tables/*.h, \
            patches/*.patch (with 0000-cover-letter.patch for more than one), index.html, \
            summary.txt, all in one go at the end: OUT is staged whole next to itself and exchanged \
            with it in one rename, so it always holds the files of exactly one run (outputs of an \
            earlier run this one did not make are removed, patches only from OUT/patches and only \
            those acsquirk wrote; other files kept). A link or special file where an output goes is \
            refused. A run that stops on lint errors or bad input writes nothing. \
            --strict makes warnings errors where they are about what the run reads: a lint warning \
            stops the run like a lint error, an input with a read warning is refused as bad input \
            (check's findings keep their severity, as in acsquirk check). \
            Exit status: 0 clean (warnings, devices without an entry, a machine without PCIe \
            functions or IOMMU groups are fine); 1 lint errors (nothing else runs) or an entry \
            contradicts a device present; 2 bad input (unreadable registry, dump or kernel tree, \
            missing templates, an entry the generators refuse, no submitter for the patches, \
            unwritable output).
            """
    )

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "Platform")
    var platform: PlatformOptions

    @Option(name: .customLong("kernel-tree"), help: ArgumentHelp("Kernel source tree: its quirk table is used and a patch series written.", valueName: "dir"))
    var kernelTree: String?

    @Option(name: .long, help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String = "out"

    @Option(name: .long, help: ArgumentHelp("Registry file or folder to lint, check and generate code for (repeatable; default: ./quirks when present, else the shipped registry). The kernel's table always comes from the shipped registry.", valueName: "path"))
    var registry: [String] = []

    @OptionGroup var templateOptions: TemplatesOptions

    @OptionGroup var submitter: SubmitterOptions

    func run() async throws {
        // The shipped registry first: without it no entries named on the command line would help.
        let shipped = try RegistryCLI.shipped(command: "run")
        var config = RunConfiguration(
            registry: try RegistryCLI.working(registry, command: "run"), shipped: shipped, kernelTree: kernelTree, out: out,
            templates: templateOptions.templates, from: kernelTree == nil ? nil : await submitter.submitter())
        config.input = input.source
        config.platform = platform.assumptions
        config.strict = input.strict
        let result = await PipelineRunner.run(config) { PipelineCLI.out($0 + "\n") }
        for m in result.write?.messages ?? [] { PipelineCLI.error("acsquirk run: \(m)") }
        if let lint = result.lint, LintReporter.fails(lint.diagnostics, strict: input.strict) {
            try Console.diagnostics.emit(contentsOf: lint.diagnostics)
        }
        for e in result.errors { PipelineCLI.error("acsquirk run: \(e)") }
        if let check = result.check, check.hasContradictions {
            try Console.diagnostics.emit(contentsOf: check.findings.errors)
        }
        // The summary without its error lines: each error was just said on stderr.
        PipelineCLI.out("\n" + result.consoleSummary)
        switch result.exitCode {
        case 0: return
        case 1: throw ExitStatus.findings
        default: throw ExitStatus.badInput
        }
    }
}
