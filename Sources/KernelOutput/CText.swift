import Foundation

/// Text from registry entries made safe and laid out for C comments and commit messages.
///
/// Registry text is data, never code: it only ever lands inside `/* */` comments and in the commit
/// message. Inside a block comment the only sequences that change what the compiler sees are `*/`
/// (ends the comment) and `/*` (a nested opener, `-Wcomment`); they are broken with a space.
/// Backslashes and trigraphs such as `??/` are harmless inside a block comment (a line splice only
/// joins two lines of the same comment) and are kept. Characters that could hide what a reviewer
/// reads are refused: control characters other than tab and line breaks, DEL, C1 controls and the
/// Unicode bidirectional overrides and isolates ("Trojan Source", CVE-2021-42574).
///
/// Widths follow checkpatch.pl: tabs advance to the next multiple of 8, every other character
/// counts its UTF-8 bytes (checkpatch measures bytes).
public enum CText {
    /// The longest line a generated C line may have (checkpatch's default `--max-line-length`).
    public static let maxColumns = 100
    /// The width comment prose is wrapped to.
    public static let commentWrap = 80
    /// The width commit-message prose is wrapped to (checkpatch warns above 75).
    public static let commitWrap = 72

    /// Throws when `text` holds a character that cannot be shown faithfully (see the type's doc).
    public static func check(_ text: String, field: String, at location: SourceLocation) throws(KernelOutputError) {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let bad: String?
            switch v {
            case 0x09, 0x0a, 0x0b, 0x0c, 0x0d: bad = nil
            case 0x00: bad = "a NUL character"
            case 0x01...0x1f, 0x7f: bad = "a control character"
            case 0x80...0x9f: bad = "a C1 control character"
            case 0x061c, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069:
                bad = "a Unicode bidirectional control character (it can make the code read differently from what it does)"
            case 0xfeff: bad = "a zero-width no-break space (byte-order mark)"
            case 0xfff9...0xfffb: bad = "an interlinear annotation character"
            default: bad = scalar.properties.generalCategory == .unassigned ? "an unassigned code point" : nil
            }
            if let bad {
                let hexValue = String(v, radix: 16, uppercase: true)
                throw .entry(location, field: field,
                             "contains \(bad) (U+\(String(repeating: "0", count: max(0, 4 - hexValue.count)))\(hexValue)); remove it")
            }
        }
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
    /// a single URL is longer. A non-URL word too long for a line is split across lines.
    /// A word for which `keepWithPrevious` is true never starts a line (except the first).
    /// Returns the lines without trailing whitespace (a line that is just the prefix is
    /// right-trimmed).
    public static func wrap(_ words: [String], prefix: String, width: Int,
                            keepWithPrevious: (String) -> Bool = { _ in false }) -> [String] {
        let start = advance(0, prefix)
        let room = max(8, width - start)
        var pieces: [String] = []
        for w in words {
            if advance(0, w) <= room || isURL(w) {
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
