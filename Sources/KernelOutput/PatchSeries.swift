import Foundation
import PCIConfig
import Registry

/// A `git format-patch`-style series: one patch per registry entry (product family) that the
/// kernel tree does not cover yet, each computed on the tree with the previous ones applied.
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
    }

    /// The patches in series order.
    public var patches: [Patch]
    /// Entries without a patch.
    public var skipped: [Skipped]
    /// quirks.c with every patch applied (what `--apply` writes).
    public var finalText: String
    /// Remarks for the user (literal vendor IDs, shadowing rows).
    public var notes: [String]

    /// The file every patch changes.
    public static let path = QuirksSource.relativePath

    /// Builds the series.
    /// - Parameters:
    ///   - entries: the entries to patch (order does not matter: patches are ordered by vendor
    ///     name, family and path).
    ///   - quirks: the tree's drivers/pci/quirks.c; `macros`: its pci_ids.h vendor macros.
    ///   - fileMode: the mode git records for quirks.c (`100644`).
    ///   - from: the submitter (`From:` and `Signed-off-by:`, see `Submitter`), written without `"`
    ///     and `\\` (`Identity.asAuthor`) so that `From:` and `Signed-off-by:` agree for checkpatch.
    ///     The entries' `confirmed-by` people become `Acked-by:` trailers, never the signer.
    ///   - date: an RFC 2822 date for every patch (normalized); nil: each entry's evidence date.
    /// - Throws: `.entry` for an entry that cannot be generated, `.argument` when an author or a
    ///   date is missing, `.tree` when quirks.c cannot be read, `.selfCheck` when generated code
    ///   would not be reached.
    public init(entries: [LoadedEntry], quirks: String, macros: VendorMacros, fileMode: String = "100644",
                renderer: CodeRenderer, from: Identity, date: String?) throws(KernelOutputError) {
        let ordered = entries.sorted {
            (CText.singleLine($0.entry.vendorName).lowercased(), CText.singleLine($0.entry.family).lowercased(), $0.path)
                < (CText.singleLine($1.entry.vendorName).lowercased(), CText.singleLine($1.entry.family).lowercased(), $1.path)
        }
        var text = quirks
        var edits: [(QuirksEditor.Edit, old: String)] = []
        var skipped: [Skipped] = []
        var notes: [String] = []
        for loaded in ordered {
            try CodePlanner.validate(loaded, forPatch: true)
            if loaded.entry.kernel.status == .upstream {
                skipped.append(Skipped(entry: loaded, reason: "kernel.status is upstream"))
                continue
            }
            let source = try QuirksSource(text: text, macros: macros)
            guard let plan = try CodePlanner.plan(loaded, model: QuirkTableModel(source: source)) else {
                let cov = EntryCoverage(entry: loaded.entry, model: QuirkTableModel(source: source))
                let rows = Set(cov.covered.map(\.row.label)).sorted().joined(separator: "; ")
                skipped.append(Skipped(entry: loaded, reason: "the tree already covers every device: \(rows)"))
                continue
            }
            for c in plan.coverage.covered {
                notes.append("\(loaded.path): \(hex4(loaded.entry.vendor)):\(hex4(c.device)) is already covered by \(c.row.label)")
            }
            notes += plan.notes.map { "\(loaded.path): \($0)" }
            let edit = try QuirksEditor.apply(plan, to: source, renderer: renderer)
            edits.append((edit, text))
            text = edit.text
        }

        var patches: [Patch] = []
        for (n, (edit, old)) in edits.enumerated() {
            let loaded = edit.plan.entry
            // The submitter writes both From: and Signed-off-by:, in the form checkpatch matches.
            guard let author = from.asAuthor else {
                throw .argument("the submitter \(from.description.debugDescription) has no name left without "
                                + "quotes and backslashes; pass --from \"Name <email>\"")
            }
            let mailDate: String
            if let date {
                mailDate = date
            } else if let d = loaded.entry.evidence?.date, let m = MailDate.fromISODate(d) {
                mailDate = m
            } else {
                throw .argument("\(loaded.location): no date: pass --date \"Fri, 10 Feb 2023 00:00:00 +0000\" "
                                + "(the entry has no evidence.date)")
            }
            let (subject, body) = renderer.commitMessage(edit.plan, from: author)
            // git format-patch: `[PATCH %0*d/%d]`, the number padded to the width of the total.
            let total = String(edits.count), number = String(n + 1)
            let prefix = edits.count == 1 ? "[PATCH]"
                : "[PATCH \(String(repeating: "0", count: total.count - number.count))\(number)/\(total)]"
            let diff = UnifiedDiff(old: Self.lines(old), new: Self.lines(edit.text))
            var mail = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            mail += MailHeader.from(author) + "\n"
            mail += "Date: \(mailDate)\n"
            mail += MailHeader.subject(prefix: prefix, title: subject) + "\n"
            if (subject + body.joined()).utf8.contains(where: { $0 >= 0x80 }) {
                mail += "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
            }
            mail += "\n" + body.map { $0 + "\n" }.joined()
            mail += "---\n"
            mail += DiffStat.lines([DiffStat.File(path: Self.path, insertions: diff.insertions, deletions: diff.deletions)])
                .map { $0 + "\n" }.joined()
            mail += "\n"
            mail += "diff --git a/\(Self.path) b/\(Self.path)\n"
            mail += "index \(SHA1.gitBlobID(old))..\(SHA1.gitBlobID(edit.text)) \(fileMode)\n"
            mail += "--- a/\(Self.path)\n+++ b/\(Self.path)\n"
            mail += diff.text
            mail += "-- \nacsquirk\n\n"
            patches.append(Patch(fileName: Self.fileName(number: n + 1, subject: subject), text: mail, plan: edit.plan,
                                 placement: edit.placement))
        }
        self.patches = patches
        self.skipped = skipped
        self.finalText = text
        self.notes = notes
    }

    static func lines(_ text: String) -> [String] {
        var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") { l.removeLast() }
        return l
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
