/// A small C tokenizer for reading drivers/pci/quirks.c: enough to find the ACS table, the quirk
/// functions, their `switch`/`case` labels, ID arrays and comments. Not a preprocessor: directives
/// are single tokens, macros are not expanded.
struct CToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case identifier
        case number
        case string
        case char
        case punct
        /// `/* ... */` or `// ...`; `text` is the comment body without delimiters.
        case comment
        /// A whole preprocessor line (with continuations).
        case directive
    }

    var kind: Kind
    var text: String
    /// 1-based line where the token starts.
    var line: Int
    /// 1-based line where the token ends (differs for block comments and continued directives).
    var endLine: Int

    /// The token moved down by `by` lines.
    func shifted(_ by: Int) -> CToken { CToken(kind: kind, text: text, line: line + by, endLine: endLine + by) }
}

enum CTokenizer {
    /// Multi-character punctuators, longest first (C11 §6.4.6, the ones quirks.c can hold).
    static let multi: [[UInt8]] = ["...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
                                   "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##"].map { Array($0.utf8) }

    /// Tokens of `source`, line numbers counted from `firstLine`. Unterminated comments and strings
    /// end at the end of the input.
    static func tokenize(_ source: String, firstLine: Int = 1) -> [CToken] {
        let s = Array(source.utf8)
        var out: [CToken] = []
        out.reserveCapacity(s.count / 4)
        var i = 0, line = firstLine
        var atLineStart = true
        let n = s.count
        func text(_ a: Int, _ b: Int) -> String { String(decoding: s[a..<b], as: UTF8.self) }
        func isIdentStart(_ c: UInt8) -> Bool { c == 0x5f || (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while i < n {
            let c = s[i]
            if c == 0x0a { line += 1; i += 1; atLineStart = true; continue }
            if c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0c || c == 0x0b { i += 1; continue }
            let start = i, startLine = line
            // Comments
            if c == 0x2f, i + 1 < n, s[i + 1] == 0x2a {
                i += 2
                while i < n, !(s[i] == 0x2a && i + 1 < n && s[i + 1] == 0x2f) {
                    if s[i] == 0x0a { line += 1 }
                    i += 1
                }
                let body = text(start + 2, min(i, n))
                i = min(i + 2, n)
                out.append(CToken(kind: .comment, text: body, line: startLine, endLine: line))
                continue
            }
            if c == 0x2f, i + 1 < n, s[i + 1] == 0x2f {
                while i < n, s[i] != 0x0a { i += 1 }
                out.append(CToken(kind: .comment, text: text(start + 2, i), line: startLine, endLine: line))
                continue
            }
            // Preprocessor directive: `#` first on its line, up to an unescaped newline.
            if c == 0x23 && atLineStart {
                while i < n {
                    if s[i] == 0x5c, i + 1 < n, s[i + 1] == 0x0a { line += 1; i += 2; continue }
                    if s[i] == 0x0a { break }
                    if s[i] == 0x2f, i + 1 < n, s[i + 1] == 0x2a {
                        // A comment inside a directive: skip it (it may span lines).
                        i += 2
                        while i < n, !(s[i] == 0x2a && i + 1 < n && s[i + 1] == 0x2f) {
                            if s[i] == 0x0a { line += 1 }
                            i += 1
                        }
                        i = min(i + 2, n)
                        continue
                    }
                    i += 1
                }
                out.append(CToken(kind: .directive, text: text(start, i), line: startLine, endLine: line))
                continue
            }
            atLineStart = false
            if isIdentStart(c) {
                while i < n, isIdentStart(s[i]) || isDigit(s[i]) { i += 1 }
                out.append(CToken(kind: .identifier, text: text(start, i), line: startLine, endLine: line))
                continue
            }
            if isDigit(c) || (c == 0x2e && i + 1 < n && isDigit(s[i + 1])) {
                while i < n, isIdentStart(s[i]) || isDigit(s[i]) || s[i] == 0x2e
                    && !(i + 2 < n && s[i + 1] == 0x2e && s[i + 2] == 0x2e) { i += 1 }
                out.append(CToken(kind: .number, text: text(start, i), line: startLine, endLine: line))
                continue
            }
            if c == 0x22 || c == 0x27 {
                i += 1
                while i < n, s[i] != c, s[i] != 0x0a {
                    if s[i] == 0x5c { i += 1 }
                    i += 1
                }
                i = min(i + 1, n)
                out.append(CToken(kind: c == 0x22 ? .string : .char, text: text(start, i), line: startLine, endLine: line))
                continue
            }
            var length = 1
            for p in multi where i + p.count <= n && s[i] == p[0] && s[i + 1] == p[1] && (p.count == 2 || s[i + 2] == p[2]) {
                length = p.count
                break
            }
            out.append(CToken(kind: .punct, text: text(i, i + length), line: startLine, endLine: line))
            i += length
        }
        return out
    }

    /// The integer value of a C integer literal (`0x10C6`, `0710` octal, `42`, suffixes allowed).
    static func integer(_ t: String) -> Int? {
        var s = Substring(t.lowercased())
        while let l = s.last, l == "u" || l == "l" { s = s.dropLast() }
        if s.hasPrefix("0x") { return Int(s.dropFirst(2), radix: 16) }
        if s.count > 1, s.hasPrefix("0") { return Int(s.dropFirst(), radix: 8) }
        return Int(s)
    }

    /// Comment text as lines: ` * ` prefixes and surrounding blank lines removed.
    static func commentLines(_ comment: String) -> [String] {
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map { l -> String in
            var s = Substring(l)
            while s.first == " " || s.first == "\t" { s = s.dropFirst() }
            if s.hasPrefix("*") { s = s.dropFirst() }
            if s.first == " " { s = s.dropFirst() }
            while s.last == " " || s.last == "\t" { s = s.dropLast() }
            return String(s)
        }
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
