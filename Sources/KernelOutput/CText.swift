import Diagnostics
import Foundation
import PCIConfig
import Registry

/// Text from registry entries made safe and laid out for C comments and commit messages.
///
/// Registry text is data, never code: it only ever lands inside `/* */` comments and in the commit
/// message. Inside a block comment the only sequences that change what the compiler sees are `*/`
/// (ends the comment) and `/*` (a nested opener, `-Wcomment`); they are broken with a space.
/// Trigraphs such as `??/` are broken with a space too. Characters that could hide what a reviewer
/// reads are refused by `check` (`TextSafety` of module Registry, shared with lint): control
/// characters other than tab and line breaks, DEL, C1 controls, the Unicode bidirectional
/// overrides and isolates ("Trojan Source", CVE-2021-42574), zero-width and other invisible
/// format characters.
///
/// Widths follow checkpatch.pl: tabs advance to the next multiple of 8, every other character
/// counts its UTF-8 bytes (checkpatch measures bytes).
public enum CText {
    /// The longest line a generated C line may have: 80 columns, as drivers/pci/quirks.c keeps
    /// (Documentation/process/coding-style.rst; checkpatch's own limit is 100).
    public static let maxColumns = 80
    /// The width comment prose is wrapped to.
    public static let commentWrap = 80
    /// The width commit-message prose is wrapped to (checkpatch warns above 75).
    public static let commitWrap = 72

    /// Throws `.entry` when `text` holds a character that cannot be shown faithfully: the check
    /// is `TextSafety.problem(in:)` of module Registry, the same one lint's `unsafe-text` rule
    /// runs, so whatever is refused here already fails `acsquirk lint`.
    public static func check(_ text: String, field: String, at location: Diagnostic.Location) throws(KernelOutputError) {
        if let why = TextSafety.problem(in: text) { throw .entry(location, field: field, why) }
    }

    /// Whether `scalar` separates words: ASCII whitespace, line and paragraph separators, NEL.
    static func isSpace(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { s in
            switch s.value {
            case 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0x2028, 0x2029: true
            default: false
            }
        }
    }

    /// One line of text: every run of whitespace (line breaks included) becomes one space,
    /// leading and trailing whitespace is dropped.
    public static func singleLine(_ text: String) -> String {
        words(text).joined(separator: " ")
    }

    /// The words of `text` (split at whitespace, line breaks included).
    public static func words(_ text: String) -> [String] {
        text.split(whereSeparator: isSpace).map(String.init)
    }

    /// Paragraphs of `text`: separated by an empty (or blank) line; inside a paragraph single line
    /// breaks are just spaces. Returns each paragraph as a list of words.
    public static func paragraphs(_ text: String) -> [[String]] {
        var result: [[String]] = []
        var current: [String] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n")
            .split(omittingEmptySubsequences: false, whereSeparator: { c in
                c == "\n" || c == "\r" || c == "\u{2029}" || c == "\u{2028}" || c == "\u{85}"
            })
        for line in lines {
            let w = words(String(line))
            if w.isEmpty {
                if !current.isEmpty { result.append(current); current = [] }
            } else {
                current += w
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// `text` with every `*/` and `/*` broken by a space, so it cannot end or nest a C block
    /// comment, and every trigraph (`??/`, `??=`, …) broken by a space, so a `??/` at the end of
    /// a comment line is no line splice under `-trigraphs` and no `-Wtrigraphs` warning otherwise.
    public static func commentSafe(_ text: String) -> String {
        var s = text
        while s.contains("*/") || s.contains("/*") {
            s = s.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "/*", with: "/ *")
        }
        for t in ["=", "/", "'", "(", ")", "!", "<", ">", "-"] {
            s = s.replacingOccurrences(of: "??" + t, with: "?? " + t)
        }
        return s
    }

    /// The column after printing `text` from `column` (tabs to the next multiple of 8; UTF-8 bytes).
    public static func advance(_ column: Int, _ text: some StringProtocol) -> Int {
        var col = column
        for ch in text {
            if ch == "\t" { col = (col / 8 + 1) * 8 } else { col += String(ch).utf8.count }
        }
        return col
    }

    /// The display width of a whole line as checkpatch measures it.
    public static func width(_ line: some StringProtocol) -> Int { advance(0, line) }

    /// Whether a word is a URL (kept whole even when longer than a line; checkpatch accepts
    /// over-long lines that hold a URL).
    static func isURL(_ word: String) -> Bool {
        guard let r = word.range(of: "://") else { return false }
        let scheme = word[word.startIndex..<r.lowerBound]
        return !scheme.isEmpty && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// Greedy word wrap. Every line starts with `prefix`; lines are at most `width` columns unless
    /// a single word is longer: a URL, or a word whose line fits in `wholeWordWidth` columns
    /// (default `width`), stays whole on its own line; other words too long for a line are split.
    /// A word for which `keepWithPrevious` is true never starts a line (except the first).
    /// Returns the lines without trailing whitespace (a line that is just the prefix is
    /// right-trimmed).
    public static func wrap(_ words: [String], prefix: String, width: Int, wholeWordWidth: Int? = nil,
                            keepWithPrevious: (String) -> Bool = { _ in false }) -> [String] {
        let wholeWordWidth = wholeWordWidth ?? width
        let start = advance(0, prefix)
        let room = max(8, width - start)
        var pieces: [String] = []
        for w in words {
            // A URL is kept whole, as is a word that fits on a line of its own within
            // `wholeWordWidth` (a file path in a comment); longer words are split.
            if advance(0, w) <= max(room, wholeWordWidth - start) || isURL(w) {
                pieces.append(w)
            } else {
                // Split a long word at character boundaries.
                var chunk = ""
                for ch in w {
                    if advance(0, chunk + String(ch)) > room, !chunk.isEmpty {
                        pieces.append(chunk)
                        chunk = ""
                    }
                    chunk.append(ch)
                }
                if !chunk.isEmpty { pieces.append(chunk) }
            }
        }
        var lines: [String] = []
        var line: [String] = []
        func fits(_ words: [String]) -> Bool { advance(start, words.joined(separator: " ")) <= width }
        for p in pieces {
            if line.isEmpty || fits(line + [p]) {
                line.append(p)
            } else if !keepWithPrevious(p) {
                lines.append(line.joined(separator: " "))
                line = [p]
            } else if let i = line.lastIndex(where: { !keepWithPrevious($0) }), i > 0, fits(Array(line[i...]) + [p]) {
                // `p` must not start a line: take the last word that may start one, and the words
                // after it, along to the next line.
                let group = Array(line[i...])
                lines.append(line[..<i].joined(separator: " "))
                line = group + [p]
            } else {
                line.append(p)
            }
        }
        if !line.isEmpty { lines.append(line.joined(separator: " ")) }
        return lines.map { (prefix + $0).rightTrimmed }
    }
}

extension String {
    /// The string without trailing spaces and tabs.
    var rightTrimmed: String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// A C identifier or file-name fragment built from free text.
enum Slug {
    /// Lower-case ASCII letters and digits of `text` (diacritics folded), other runs replaced by
    /// `separator`, trimmed. May be empty.
    static func make(_ text: String, separator: Character) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil)
        var out = ""
        var pendingSeparator = false
        for ch in folded.lowercased() {
            if ch.isASCII, ch.isLetter || ch.isNumber {
                if pendingSeparator, !out.isEmpty { out.append(separator) }
                pendingSeparator = false
                out.append(ch)
            } else {
                pendingSeparator = true
            }
        }
        return out
    }

    /// The folder of a vendor's files (`quirks/<vendor>.c`, one patch series per vendor):
    /// the vendor name as a slug, `vendor-1234` when it has no letters or digits, with the ID
    /// appended when another vendor already took the name.
    static func vendorFolder(_ e: QuirkEntry, taken: inout Set<String>) -> String {
        var slug = make(CText.singleLine(e.vendorName), separator: "-")
        if slug.isEmpty { slug = "vendor-" + hex(e.vendor, width: 4) }
        if taken.contains(slug) { slug += "-" + hex(e.vendor, width: 4) }
        taken.insert(slug)
        return slug
    }

    /// Whether `name` is a plain C identifier in kernel style (lower case, digits, underscores,
    /// at most 64 characters, not starting with a digit).
    static func isKernelIdentifier(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 64, first == "_" || (first.isASCII && first.isLowercase)
        else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }
    }

    /// Whether `name` is a `PCI_VENDOR_ID_*` macro name.
    static func isVendorMacro(_ name: String) -> Bool {
        name.hasPrefix("PCI_VENDOR_ID_") && name.count > 14 && name.count <= 64
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }
    }
}
