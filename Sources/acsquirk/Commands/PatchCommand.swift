import ArgumentParser
import Foundation
import KernelOutput
import Registry

/// `acsquirk patch --kernel-tree DIR [--out DIR] [--from "Name <email>"] [--date RFC2822]
/// [--apply] [--registry PATH]… [ENTRY…]`: a `git am`-ready series, one patch per family
/// (docs/kernel-output.md).
struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Write a git am-ready patch series adding ACS quirks to a kernel tree's drivers/pci/quirks.c.",
        discussion: """
            One patch per registry entry (product family) that the tree does not cover yet, numbered \
            as git format-patch numbers them; each is computed on the tree with the earlier ones \
            applied. The registry is linted first: entries that fail lint get no code (exit 2). \
            The code claims exactly what the entry says: an existing function (its rows or its ID \
            list, e.g. Wangxun, Zhaoxin ports, Intel PCH) only when it checks and reports what the \
            entry does, else a new function. Rows go next to the vendor's rows and before any row \
            that would answer first. ENTRY: a registry file, a \
            vendor/family path suffix, or VVVV:DDDD (default: every entry that is not upstream). \
            The tree is read only, unless --apply writes the final quirks.c into it. Dates come \
            from --date or each entry's evidence date; the submitter (From: and Signed-off-by:) from \
            --from, else git config user.name/user.email, else nothing is written (exit 2). The \
            entries' confirmed-by people become Acked-by: (before Signed-off-by:), never the signer. \
            All patches land together or none does (see `generate`); a link or special file where \
            one goes is refused. Exit 2 on bad input.
            """
    )

    @Option(name: .customLong("kernel-tree"), help: ArgumentHelp("Kernel source tree (read only unless --apply).", valueName: "dir"))
    var kernelTree: String

    @Option(name: .long, help: ArgumentHelp("Output directory for the .patch files.", valueName: "dir"))
    var out: String = "out/patches"

    @Option(name: .long, help: ArgumentHelp("Submitter (From:, Signed-off-by:): \"Full Name <email>\" (default: git config user.name/user.email).", valueName: "identity"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Date of every patch, RFC 2822: \"Fri, 10 Feb 2023 12:00:00 +0000\".", valueName: "date"))
    var date: String?

    @Flag(name: .long, help: "Also write the patched drivers/pci/quirks.c into the tree.")
    var apply = false

    @Option(name: .long, help: ArgumentHelp("Registry file or directory (repeatable; default: the project's quirks/).", valueName: "path"))
    var registry: [String] = []

    @Option(name: .long, help: ArgumentHelp("Templates directory (default: ./templates, else the repository's).", valueName: "dir"))
    var templates: String?

    @Argument(help: ArgumentHelp("Entries to patch (default: all that are not upstream).", valueName: "entry"))
    var entries: [String] = []

    func validate() throws {
        if let from, Identity(from) == nil {
            throw ValidationError("--from must be \"Full Name <email>\", not \(from.debugDescription)")
        }
        if let date, MailDate.normalizeRFC2822(date) == nil {
            throw ValidationError("--date must be an RFC 2822 date like \"Fri, 10 Feb 2023 12:00:00 +0000\", not \(date.debugDescription)")
        }
    }

    func run() async throws {
        guard let submitter = await Submitter.resolve(explicit: from)?.identity else {
            KernelOutputCLI.error("acsquirk patch: " + Submitter.missingMessage)
            throw ExitStatus.badInput
        }
        let all = try KernelOutputCLI.loadRegistry(try KernelOutputCLI.registryPaths(registry, option: "--registry PATH"))
        let (series, tree): (PatchSeries, KernelTreeFiles) = try KernelOutputCLI.guarded {
            let selected = try EntrySelector.select(all, entries)
            let tree = try KernelTreeFiles(root: kernelTree)
            let renderer = try KernelOutputCLI.templates(templates)
            let s = try PatchSeries(entries: selected, quirks: tree.quirks, macros: tree.macros, fileMode: tree.fileMode,
                                    renderer: renderer, from: submitter,
                                    date: date.flatMap(MailDate.normalizeRFC2822))
            return (s, tree)
        }
        _ = try KernelOutputCLI.write(series.patches.map { (path: $0.fileName, text: $0.text) }, into: out)
        if apply, !series.patches.isEmpty { try KernelOutputCLI.guarded { try tree.apply(series.finalText) } }
        for p in series.patches {
            KernelOutputCLI.say((out as NSString).appendingPathComponent(p.fileName))
            for line in p.placement { KernelOutputCLI.say("  \(line)") }
        }
        for s in series.skipped where !(entries.isEmpty && s.entry.entry.kernel.status == .upstream) {
            KernelOutputCLI.say("skipped \(s.entry.path): \(s.reason)")
        }
        for n in series.notes { KernelOutputCLI.say("note: \(n)") }
        if series.patches.isEmpty {
            KernelOutputCLI.say("no patches: the tree already covers the selected entries")
        } else if apply {
            KernelOutputCLI.say("applied \(series.patches.count) patch(es) to \((kernelTree as NSString).appendingPathComponent(QuirksSource.relativePath))")
        }
    }
}
