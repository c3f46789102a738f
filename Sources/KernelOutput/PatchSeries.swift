import Diagnostics
import Foundation
import PCIConfig
import Registry
import SafeFiles

/// A `git format-patch`-style series: one patch per registry entry (product family) that the
/// kernel tree does not cover yet, each computed on the tree with the previous ones applied, with
/// a cover letter (`0000-cover-letter.patch`, as `git format-patch --cover-letter` names and
/// shapes it) when there is more than one patch, and one author date for the whole series.
public struct PatchSeries: Sendable {
    /// One mbox message.
    public struct Patch: Sendable {
        /// `0001-PCI-Add-ACS-quirk-for-Intel-I226.patch`
        public var fileName: String
        /// The whole mbox message.
        public var text: String
        public var plan: CodePlan
        /// Where the code went.
        public var placement: [String]
    }

    /// An entry that gets no patch, and why (upstream already, or covered by the tree).
    public struct Skipped: Sendable {
        public var entry: LoadedEntry
        public var reason: String
        /// `.alreadyUpstream` or `.alreadyCovered` (every device).
        public var rule: CodePlanNote

        /// The skip as a note at the entry's file and line (printed by the text reporter).
        public var diagnostic: Diagnostic { rule.note(entry, "skipped: " + reason) }
    }

    /// Where the series is written, relative to `--out`: "" for the whole registry, the vendor's
    /// folder (`rockchip`) for one series per vendor.
    public var directory: String
    /// The patches in series order.
    public var patches: [Patch]
    /// `0000-cover-letter.patch` (nil for a series of one patch).
    public var coverLetter: String?
    /// The author date of every message.
    public var date: String
    /// Entries without a patch.
    public var skipped: [Skipped]
    /// quirks.c with every patch applied, read (the tree's parse, updated by every edit).
    public var finalSource: QuirksSource
    /// quirks.c with every patch applied (what `--apply` writes).
    public var finalText: String { finalSource.text }
    /// Remarks for the user (literal vendor IDs, shadowing rows), at the entries' files and lines.
    public var notes: [Diagnostic]

    /// The file every patch changes.
    public static let path = QuirksSource.relativePath
    /// The cover letter's file name.
    public static let coverLetterName = "0000-cover-letter.patch"
    /// The signature below every message (`git format-patch --signature=acsquirk`); with the
    /// zero hash of the first line it marks the files acsquirk wrote (`isAcsquirkMessage`).
    public static let signature = "-- \nacsquirk\n\n"
    static let mboxFrom = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"

    /// Whether `text` is a message acsquirk wrote: it starts with the zero-hash mbox line and
    /// ends with the acsquirk signature (`--out` removes only such files when they are stale).
    public static func isAcsquirkMessage(_ text: String) -> Bool {
        text.hasPrefix(mboxFrom) && text.hasSuffix("\n" + signature)
    }

    /// Whether `file` (a regular file of an output folder that this write does not write) is a
    /// patch of an earlier series, which `OutputFolder.replace` then removes: named `*.patch`,
    /// directly in `folder` (relative to the output folder; `""`: the output folder itself) or
    /// one folder below it (`patch --series per-vendor` writes one folder per vendor), and its
    /// text a message acsquirk wrote (`isAcsquirkMessage`). Everything else is kept: patches
    /// acsquirk did not write, other files, files deeper down or outside `folder` (`run` looks
    /// in `OUT/patches` only: OUT itself may hold a series `acsquirk patch --out OUT` wrote).
    public static func isEarlierPatch(_ file: OutputFolder.Existing, in folder: String = "") -> Bool {
        var path = Substring(file.path)
        if !folder.isEmpty {
            guard path.hasPrefix(folder + "/") else { return false }
            path = path.dropFirst(folder.count + 1)
        }
        guard path.hasSuffix(".patch"), path.split(separator: "/", omittingEmptySubsequences: false).count <= 2 else {
            return false
        }
        return file.text().map(isAcsquirkMessage) ?? false
    }

    /// The files to write, relative to `--out`: the cover letter, then the patches.
    public var files: [(path: String, text: String)] {
        func at(_ name: String) -> String { directory.isEmpty ? name : directory + "/" + name }
        return (coverLetter.map { [(at(Self.coverLetterName), $0)] } ?? []) + patches.map { (at($0.fileName), $0.text) }
    }

    /// Builds the series from the text of the tree's quirks.c (parsed once).
    public init(entries: [LoadedEntry], quirks: String, macros: VendorMacros, fileMode: String = "100644",
                renderer: CodeRenderer, from: Identity, date: String?) throws(KernelOutputError) {
        try self.init(entries: entries, source: try QuirksSource(text: quirks, macros: macros), fileMode: fileMode,
                      renderer: renderer, from: from, date: date)
    }

    /// Builds the series.
    /// - Parameters:
    ///   - entries: the entries to patch (order does not matter: patches are ordered by vendor
    ///     name, family and path).
    ///   - source: the tree's drivers/pci/quirks.c, read (`QuirksSource`); the series edits a copy
    ///     of it and never reads the file again.
    ///   - fileMode: the mode git records for quirks.c (`100644`).
    ///   - from: the submitter (`From:` and `Signed-off-by:`, see `Submitter`), written without `"`
    ///     and `\\` (`Identity.asAuthor`) so that `From:` and `Signed-off-by:` agree for checkpatch.
    ///   - date: an RFC 2822 date for every message (normalized); nil: the newest evidence date
    ///     of the entries that get a patch, so the output stays deterministic.
    ///   - directory: where the series goes relative to `--out` (see `directory`).
    /// - Throws: `.entry` for an entry that cannot be generated, `.argument` when an author or a
    ///   date is missing, `.tree` when quirks.c cannot be read, `.selfCheck` when generated code
    ///   would not be reached.
    public init(entries: [LoadedEntry], source: QuirksSource, fileMode: String = "100644",
                renderer: CodeRenderer, from: Identity, date: String?, directory: String = "") throws(KernelOutputError) {
        let ordered = entries.sorted {
            (CText.singleLine($0.entry.vendorName).lowercased(), CText.singleLine($0.entry.family).lowercased(), $0.path)
                < (CText.singleLine($1.entry.vendorName).lowercased(), CText.singleLine($1.entry.family).lowercased(), $1.path)
        }
        // The submitter writes both From: and Signed-off-by:, in the form checkpatch matches.
        guard let author = from.asAuthor else {
            throw .argument("the submitter \(from.description.debugDescription) has no name left without "
                            + "quotes and backslashes; pass --from \"Name <email>\"")
        }
        var current = source
        var edits: [(edit: QuirksEditor.Edit, old: QuirksSource)] = []
        var skipped: [Skipped] = []
        var notes: [Diagnostic] = []
        for loaded in ordered {
            try CodePlanner.validate(loaded, forPatch: true)
            if loaded.entry.kernel.status == .upstream {
                skipped.append(Skipped(entry: loaded, reason: "kernel.status is upstream", rule: .alreadyUpstream))
                continue
            }
            let model = QuirkTableModel(source: current)
            guard let plan = try CodePlanner.plan(loaded, model: model) else {
                let cov = EntryCoverage(entry: loaded.entry, model: model)
                let rows = Set(cov.covered.map(\.row.label)).sorted().joined(separator: "; ")
                skipped.append(Skipped(entry: loaded, reason: "the tree already covers every device: \(rows)", rule: .alreadyCovered))
                continue
            }
            for c in plan.coverage.covered {
                notes.append(CodePlanNote.alreadyCovered.note(loaded, "\(hex4(loaded.entry.vendor)):\(hex4(c.device)) is already covered by \(c.row.label)"))
            }
            notes += plan.notes
            let edit = try QuirksEditor.apply(plan, to: current, renderer: renderer)
            edits.append((edit, current))
            current = edit.source
        }

        // One author date for the whole series.
        let seriesDate: String
        if let date {
            seriesDate = date
        } else if let newest = edits.compactMap({ $0.edit.plan.entry.entry.evidence?.date }).max(),
                  let d = MailDate.fromISODate(newest) {
            seriesDate = d
        } else if let first = edits.first {
            throw .argument("\(first.edit.plan.entry.location): no date: pass --date \"Fri, 10 Feb 2023 00:00:00 +0000\" "
                            + "(no entry of the series has an evidence.date)")
        } else {
            seriesDate = date ?? ""
        }

        var patches: [Patch] = []
        var oldText = source.text
        for (n, (edit, old)) in edits.enumerated() {
            let (subject, body) = renderer.commitMessage(edit.plan, from: author)
            let newText = edit.text
            let diff = UnifiedDiff(old: old.lines, new: edit.source.lines)
            var mail = Self.header(from: author, date: seriesDate, prefix: Self.prefix(n + 1, of: edits.count), subject: subject,
                                   utf8: (subject + body.joined()).utf8.contains { $0 >= 0x80 })
            mail += "\n" + body.map { $0 + "\n" }.joined()
            mail += "---\n"
            mail += DiffStat.lines([DiffStat.File(path: Self.path, insertions: diff.insertions, deletions: diff.deletions)])
                .map { $0 + "\n" }.joined()
            mail += "\n"
            mail += "diff --git a/\(Self.path) b/\(Self.path)\n"
            mail += "index \(SHA1.gitBlobID(oldText))..\(SHA1.gitBlobID(newText)) \(fileMode)\n"
            mail += "--- a/\(Self.path)\n+++ b/\(Self.path)\n"
            mail += diff.text
            mail += Self.signature
            patches.append(Patch(fileName: Self.fileName(number: n + 1, subject: subject), text: mail, plan: edit.plan,
                                 placement: edit.placement))
            oldText = newText
        }

        var cover: String?
        if patches.count > 1 {
            let (subject, blurb) = renderer.coverLetter(edits.map(\.edit.plan))
            let total = UnifiedDiff(old: source.lines, new: current.lines)
            var mail = Self.header(from: author, date: seriesDate, prefix: Self.prefix(0, of: patches.count), subject: subject,
                                   utf8: (subject + blurb.joined()).utf8.contains { $0 >= 0x80 })
            mail += "\n" + blurb.map { $0 + "\n" }.joined() + "\n"
            // git shortlog: the author, the number of patches, each subject wrapped at 72 columns.
            mail += "\(author.name) (\(patches.count)):\n"
            for (edit, _) in edits {
                mail += Self.shortlogLines(renderer.commitMessage(edit.plan, from: author).subject).map { $0 + "\n" }.joined()
            }
            mail += "\n"
            mail += DiffStat.lines([DiffStat.File(path: Self.path, insertions: total.insertions, deletions: total.deletions)])
                .map { $0 + "\n" }.joined()
            mail += "\n" + Self.signature
            cover = mail
        }

        self.directory = directory
        self.patches = patches
        self.coverLetter = cover
        self.date = seriesDate
        self.skipped = skipped
        self.finalSource = current
        self.notes = notes
    }

    /// One series per vendor (`--series per-vendor`): each vendor's entries against the same
    /// tree, in the vendor's folder (`Slug` of its vendor name), so each can be posted and
    /// applied on its own. Vendors in the order of their names.
    public static func perVendor(entries: [LoadedEntry], source: QuirksSource, fileMode: String = "100644",
                                 renderer: CodeRenderer, from: Identity, date: String?) throws(KernelOutputError) -> [PatchSeries] {
        var byVendor: [UInt16: [LoadedEntry]] = [:]
        for e in entries { byVendor[e.entry.vendor, default: []].append(e) }
        var out: [PatchSeries] = []
        var used: Set<String> = []
        let vendors = byVendor.keys.sorted {
            (CText.singleLine(byVendor[$0]![0].entry.vendorName).lowercased(), $0)
                < (CText.singleLine(byVendor[$1]![0].entry.vendorName).lowercased(), $1)
        }
        for v in vendors {
            let dir = Slug.vendorFolder(byVendor[v]![0].entry, taken: &used)
            out.append(try PatchSeries(entries: byVendor[v]!, source: source, fileMode: fileMode, renderer: renderer,
                                       from: from, date: date, directory: dir))
        }
        return out
    }

    /// A subject as `git shortlog` lists it in a cover letter: greedy wrap at 72 columns, the
    /// first line indented by 2, the others by 4 (git builtin/log.c `make_cover_letter`).
    static func shortlogLines(_ subject: String) -> [String] {
        var out: [String] = []
        var line = "  "
        for w in CText.words(subject) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { line += w; continue }
            if line.utf8.count + 1 + w.utf8.count > 72 {
                out.append(line)
                line = "    " + w
            } else {
                line += " " + w
            }
        }
        out.append(line)
        return out
    }

    /// `[PATCH]` for a single patch, else `[PATCH n/m]` with `n` padded to the width of `m`
    /// (`git format-patch`: `[PATCH %0*d/%d]`; `[PATCH 0/m]` is the cover letter).
    static func prefix(_ n: Int, of total: Int) -> String {
        if total == 1 { return "[PATCH]" }
        let t = String(total), s = String(n)
        return "[PATCH \(String(repeating: "0", count: t.count - s.count))\(s)/\(t)]"
    }

    /// The mbox headers of one message, as `git format-patch` writes them.
    static func header(from author: Identity, date: String, prefix: String, subject: String, utf8: Bool) -> String {
        var mail = mboxFrom
        mail += MailHeader.from(author) + "\n"
        mail += "Date: \(date)\n"
        mail += MailHeader.subject(prefix: prefix, title: subject) + "\n"
        if utf8 { mail += "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n" }
        return mail
    }

    /// `git format-patch`'s file name: `%04d-` + the subject with runs of other characters than
    /// letters, digits, `.` and `_` turned into `-` (repeated dots collapsed, trailing `.`/`-`
    /// trimmed), cut to 57 characters, + `.patch` (git log.c `fmt_output_subject`,
    /// pretty.c `format_sanitized_subject`).
    public static func fileName(number: Int, subject: String) -> String {
        var sanitized = ""
        var space = 2
        var previousDot = false
        for ch in subject {
            let title = ch.isASCII && (ch.isLetter || ch.isNumber || ch == "." || ch == "_")
            if title {
                if ch == ".", previousDot { continue }
                if space == 1 { sanitized.append("-") }
                space = 0
                sanitized.append(ch)
                previousDot = ch == "."
            } else {
                space |= 1
                previousDot = false
            }
        }
        while let last = sanitized.last, last == "." || last == "-" { sanitized.removeLast() }
        let digits = String(number)
        var name = String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "-" + sanitized
        if name.count > 57 { name = String(name.prefix(57)) }
        return name + ".patch"
    }
}

func hex4(_ v: UInt16) -> String { hex(v, width: 4) }
