import ArgumentParser
import Foundation
import KernelOutput
import Registry

/// How `patch` splits the entries into series.
enum SeriesLayout: String, ExpressibleByArgument, CaseIterable {
    /// One series for every selected entry, in `--out`.
    case one
    /// One series per vendor, each in `--out/<vendor>/` and computed on the tree alone.
    case perVendor = "per-vendor"
}

/// `acsquirk patch --kernel-tree DIR [--out DIR] [--from "Name <email>"] [--date RFC2822]
/// [--series one|per-vendor] [--apply] [--registry PATH]… [ENTRY…]`: a `git am`-ready series,
/// one patch per family, with a cover letter (docs/kernel-output.md).
struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Write a git am-ready patch series adding ACS quirks to a kernel tree's drivers/pci/quirks.c.",
        discussion: """
            One patch per registry entry (product family) that the tree does not cover yet, numbered \
            as git format-patch numbers them, with a cover letter (0000-cover-letter.patch) when \
            there is more than one; each patch is computed on the tree with the earlier ones \
            applied. The registry is linted first: entries that fail lint get no code (exit 2). \
            The code claims exactly what the entry says, and an existing function wins whenever it \
            claims exactly that for the entry's devices (its rows, or its ID list: Wangxun, Zhaoxin \
            ports, Intel PCH); else a new function pci_quirk_<vendor>_<short>_acs. Rows go next to \
            the vendor's rows and before any row that would answer first. ENTRY: a registry file, a \
            vendor/family path suffix, or VVVV:DDDD (default: every entry that is not upstream). \
            The tree is read once and never written, unless --apply writes the final quirks.c into \
            it. Every message of a series has one date: --date, else the newest evidence date of \
            the series. The submitter (From: and Signed-off-by:) is --from, else git config \
            user.name/user.email, else nothing is written (exit 2). The entries' confirmed-by \
            people are named in the message and copied (Cc:); only acks given on the list \
            (kernel.acked-by) become Acked-by:. All files land together or none does (see \
            `generate`); a link or special file where one goes is refused. Patch files an earlier \
            run of acsquirk wrote into --out (or a vendor folder in it) that this run did not \
            write are removed; other files are kept. Exit 2 on bad input.
            """
    )

    @Option(name: .customLong("kernel-tree"), help: ArgumentHelp("Kernel source tree (read only unless --apply).", valueName: "dir"))
    var kernelTree: String

    @Option(name: .long, help: ArgumentHelp("Output directory for the .patch files.", valueName: "dir"))
    var out: String = "out/patches"

    @OptionGroup var submitter: SubmitterOptions

    @Option(name: .long, help: ArgumentHelp("Date of every message, RFC 2822: \"Fri, 10 Feb 2023 12:00:00 +0000\" (default: the newest evidence date of the series).", valueName: "date"))
    var date: String?

    @Option(name: .long, help: ArgumentHelp("one: one series for all entries; per-vendor: one series per vendor in OUT/<vendor>/.", valueName: "layout"))
    var series: SeriesLayout = .one

    @Flag(name: .long, help: "Also write the patched drivers/pci/quirks.c into the tree.")
    var apply = false

    @Option(name: .long, help: ArgumentHelp("Registry file or directory (repeatable; default: ./quirks when present, else the shipped registry).", valueName: "path"))
    var registry: [String] = []

    @OptionGroup var templateOptions: TemplatesOptions

    @Argument(help: ArgumentHelp("Entries to patch (default: all that are not upstream).", valueName: "entry"))
    var entries: [String] = []

    func validate() throws {
        if let date, MailDate.normalizeRFC2822(date) == nil {
            throw ValidationError("--date must be an RFC 2822 date like \"Fri, 10 Feb 2023 12:00:00 +0000\", not \(date.debugDescription)")
        }
        if apply, series == .perVendor {
            throw ValidationError("--apply writes one quirks.c: use it with --series one (per-vendor series are each made against the tree alone)")
        }
    }

    func run() async throws {
        guard let identity = await submitter.submitter() else {
            KernelOutputCLI.error("acsquirk patch: " + Submitter.missingMessage)
            throw ExitStatus.badInput
        }
        let all = try KernelOutputCLI.loadRegistry(try RegistryCLI.working(registry, command: "patch"))
        let layout = series
        let (produced, tree): ([PatchSeries], KernelTreeFiles) = try KernelOutputCLI.guarded {
            let selected = try EntrySelector.select(all, entries)
            let tree = try KernelTreeFiles(root: kernelTree)
            let renderer = try KernelOutputCLI.templates(templateOptions.templates)
            let source = try tree.source()
            let when = date.flatMap(MailDate.normalizeRFC2822)
            switch layout {
            case .one:
                return ([try PatchSeries(entries: selected, source: source, fileMode: tree.fileMode, renderer: renderer,
                                         from: identity, date: when)], tree)
            case .perVendor:
                return (try PatchSeries.perVendor(entries: selected, source: source, fileMode: tree.fileMode, renderer: renderer,
                                                  from: identity, date: when), tree)
            }
        }
        let report = try KernelOutputCLI.write(produced.flatMap(\.files), into: out, stale: { PatchSeries.isEarlierPatch($0) })
        if apply, let one = produced.first, !one.patches.isEmpty { try KernelOutputCLI.guarded { try tree.apply(one.finalText) } }
        for s in produced {
            for f in s.files {
                KernelOutputCLI.say((out as NSString).appendingPathComponent(f.path))
                if let p = s.patches.first(where: { f.path.hasSuffix("/" + $0.fileName) || f.path == $0.fileName }) {
                    for line in p.placement { KernelOutputCLI.say("  \(line)") }
                }
            }
        }
        for s in produced.flatMap(\.skipped) where !(entries.isEmpty && s.entry.entry.kernel.status == .upstream) {
            Console.diagnostics.emit(s.diagnostic)
        }
        for n in produced.flatMap(\.notes) { KernelOutputCLI.say(n.description) }
        for r in report.removed { KernelOutputCLI.say("removed stale \((out as NSString).appendingPathComponent(r))") }
        let count = produced.map(\.patches.count).reduce(0, +)
        if count == 0 {
            KernelOutputCLI.say("no patches: the tree already covers the selected entries")
        } else if apply {
            KernelOutputCLI.say("applied \(count) patch(es) to \((kernelTree as NSString).appendingPathComponent(QuirksSource.relativePath))")
        }
    }
}
