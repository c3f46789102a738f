import Diagnostics
import Foundation
import SafeFiles
import Yams

/// Reading one registry file safely: size limit before reading, bounded read, UTF-8 validation,
/// tab and emptiness checks, then Yams composition into a `Node` with anchors and aliases rejected.
/// Every problem becomes a `Diagnostic` naming path, line and column; nothing here throws or hangs.
public enum SourceReader {
    /// Largest registry file accepted: 1 MiB (the biggest real entry is a few KiB).
    public static let sizeLimit = 1 << 20

    /// The outcome of reading and parsing one file.
    public struct Parsed {
        /// The file's text (nil when it could not be read or decoded).
        public var text: String?
        /// The single document's root node (nil on any error).
        public var root: Node?
        public var diagnostics: [Diagnostic]
    }

    /// Whether `path` exists and could not be opened or is not a regular file (exit status 2 in lint).
    public static func isUnreadable(_ diagnostics: [Diagnostic]) -> Bool {
        diagnostics.contains { $0.rule == LintRules.unreadable.id }
    }

    /// Reads `path` (at most `sizeLimit` + 1 bytes) and composes its YAML.
    public static func parse(path: String) -> Parsed {
        func fail(_ rule: LintRule, _ msg: String) -> Parsed {
            // About the file as a whole: no line or column.
            Parsed(text: nil, root: nil, diagnostics: [Diagnostic(path: path, severity: rule.severity, rule: rule.id,
                                                                  message: msg)])
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            return fail(LintRules.unreadable, "cannot read the file: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            return fail(LintRules.unreadable, "not a regular file")
        }
        if Int(st.st_size) > sizeLimit {
            return fail(LintRules.fileTooLarge,
                        "file is \(st.st_size) bytes; registry files are limited to \(sizeLimit) bytes (1 MiB)")
        }
        let bytes: [UInt8]
        do throws(FileError) {
            bytes = try TextFile.bytes(path, limit: sizeLimit + 1)
        } catch {
            return fail(LintRules.unreadable, error.problem)
        }
        if bytes.count > sizeLimit {
            return fail(LintRules.fileTooLarge, "file grew past \(sizeLimit) bytes (1 MiB) while being read")
        }
        return parse(bytes: bytes, path: path)
    }

    /// Parses bytes as if read from `path` (used by `parse(path:)` and by tests).
    public static func parse(bytes: [UInt8], path: String) -> Parsed {
        func fail(_ rule: LintRule, _ msg: String, _ pos: SourcePosition = SourcePosition(line: 1, column: 1),
                  text: String? = nil) -> Parsed {
            Parsed(text: text, root: nil, diagnostics: [Diagnostic(path: path, at: pos, severity: rule.severity,
                                                                   rule: rule.id, message: msg)])
        }
        if bytes.count > sizeLimit {
            return fail(LintRules.fileTooLarge,
                        "file is \(bytes.count) bytes; registry files are limited to \(sizeLimit) bytes (1 MiB)")
        }
        // A UTF-8 byte order mark may start a YAML stream (YAML 1.2 §5.2); editors do not show
        // it, so positions are counted after it.
        let bom = bytes.starts(with: [0xef, 0xbb, 0xbf]) ? 3 : 0
        let body = bytes[bom...]
        if body.isEmpty { return fail(LintRules.emptyFile, "the file is empty; it must hold one registry entry") }
        if let bad = firstInvalidUTF8(Array(body)) {
            let pos = position(ofByte: bad, in: Array(body))
            return fail(LintRules.invalidUTF8,
                        "invalid UTF-8 (byte 0x\(String(body[bom + bad], radix: 16)) at offset \(bom + bad)); save the file as UTF-8",
                        pos)
        }
        let text = String(decoding: body, as: UTF8.self)
        // Tabs: YAML forbids them in indentation; we forbid them everywhere (they also break
        // generated C comments and commit messages). One finding per line.
        var tabs: [Diagnostic] = []
        // Line breaks libyaml (YAML 1.1) counts but editors do not: CR without LF, NEL, LS, PS.
        // They would move every position after them off the line an editor shows.
        var line = 1, col = 1, tabOnLine = false
        var previous: Unicode.Scalar = "\n"
        for u in text.unicodeScalars {
            defer { previous = u }
            if previous == "\r" && u != "\n" {
                tabs.append(Diagnostic(path: path, line: line, column: col - 1, severity: LintRules.oddLineBreak.severity,
                                       rule: LintRules.oddLineBreak.id,
                                       message: "carriage return without a line feed; save the file with LF line endings"))
            }
            if u == "\u{85}" || u == "\u{2028}" || u == "\u{2029}" {
                let name = u == "\u{85}" ? "NEL (U+0085)" : u == "\u{2028}" ? "LINE SEPARATOR (U+2028)" : "PARAGRAPH SEPARATOR (U+2029)"
                tabs.append(Diagnostic(path: path, line: line, column: col, severity: LintRules.oddLineBreak.severity,
                                       rule: LintRules.oddLineBreak.id,
                                       message: "\(name), a line break to YAML that editors do not show; remove it"))
            }
            if u == "\n" { line += 1; col = 1; tabOnLine = false; continue }
            if u == "\t" && !tabOnLine {
                tabOnLine = true
                tabs.append(Diagnostic(path: path, line: line, column: col, severity: LintRules.tabCharacter.severity,
                                       rule: LintRules.tabCharacter.id,
                                       message: "tab character; indent and separate with spaces"))
            }
            col += 1
        }
        if previous == "\r" {
            tabs.append(Diagnostic(path: path, line: line, column: col - 1, severity: LintRules.oddLineBreak.severity,
                                   rule: LintRules.oddLineBreak.id,
                                   message: "carriage return without a line feed; save the file with LF line endings"))
        }
        if !tabs.isEmpty { return Parsed(text: text, root: nil, diagnostics: Array(tabs.sorted().prefix(100))) }

        let parser: Parser
        let root: Node?
        do {
            // The basic resolver reads every scalar as a string: no regular expressions per node
            // (the loader looks at scalar text itself), which makes loading several times faster.
            parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let e as YamlError {
            return Parsed(text: text, root: nil, diagnostics: [diagnostic(for: e, path: path, text: text)])
        } catch {
            return fail(LintRules.yamlSyntax, "YAML error: \(error)", text: text)
        }
        guard let root else {
            return fail(LintRules.emptyFile, "the file holds no YAML document (only comments or blank lines)",
                        text: text)
        }
        // Anchors are weak references kept alive by the parser: check while it lives.
        let anchors = withExtendedLifetime(parser) { anchorDiagnostics(root, path: path) }
        if !anchors.isEmpty { return Parsed(text: text, root: nil, diagnostics: anchors) }
        return Parsed(text: text, root: root, diagnostics: [])
    }

    /// Every anchored node (not descending into it, so an alias bomb is never walked).
    static func anchorDiagnostics(_ root: Node, path: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        func walk(_ n: Node) {
            if out.count >= 100 { return }
            if let a = n.anchor {
                out.append(Diagnostic(path: path, at: position(n.mark), severity: LintRules.yamlAnchor.severity,
                                      rule: LintRules.yamlAnchor.id,
                                      message: "YAML anchor '&\(a.rawValue)': anchors and aliases are not allowed; write each value out"))
                return
            }
            switch n {
            case let .mapping(m): for (k, v) in m { walk(k); walk(v) }
            case let .sequence(s): for v in s { walk(v) }
            case .scalar, .alias: break
            }
        }
        walk(root)
        // An alias is the anchored node itself: report each anchor once.
        var seen = Set<Diagnostic>()
        return out.filter { seen.insert($0).inserted }
    }

    /// libyaml puts the end of a stream that does not end in a line break on a line of its own
    /// (`yaml_parser_fetch_stream_end`: "Force new line"), one past the file's last line; an
    /// editor shows that place at the end of the last line.
    static func endOfText(clamping pos: SourcePosition, _ text: String) -> SourcePosition {
        guard !text.isEmpty, text.last != "\n", !text.hasSuffix("\r\n") else { return pos }
        var lines = 1
        for u in text.utf8 where u == 0x0a { lines += 1 }
        guard pos.line > lines else { return pos }
        let last = text.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        return SourcePosition(line: lines, column: last.unicodeScalars.count + 1)
    }

    static func diagnostic(for e: YamlError, path: String, text: String) -> Diagnostic {
        func d(_ rule: LintRule, _ pos: SourcePosition, _ msg: String) -> Diagnostic {
            Diagnostic(path: path, at: endOfText(clamping: pos, text), severity: rule.severity, rule: rule.id, message: msg)
        }
        func describe(_ ctx: YamlError.Context?, _ problem: String) -> String {
            if let ctx, !ctx.text.isEmpty { return "\(ctx.text) (line \(ctx.mark.line)): \(problem)" }
            return problem
        }
        switch e {
        case let .scanner(ctx, problem, mark, _), let .parser(ctx, problem, mark, _):
            return d(LintRules.yamlSyntax, SourcePosition(line: mark.line, column: mark.column),
                     "invalid YAML: \(describe(ctx, problem))")
        case let .composer(ctx, problem, mark, _):
            if problem.contains("alias") {
                return d(LintRules.yamlAnchor, SourcePosition(line: mark.line, column: mark.column),
                         "YAML alias: anchors and aliases are not allowed (\(problem))")
            }
            if problem.contains("another document") {
                return d(LintRules.yamlSyntax, SourcePosition(line: mark.line, column: mark.column),
                         "a second YAML document: a file holds exactly one entry")
            }
            return d(LintRules.yamlSyntax, SourcePosition(line: mark.line, column: mark.column),
                     "invalid YAML: \(describe(ctx, problem))")
        case let .duplicatedKeysInMapping(dups, ctx):
            // Yams marks the first occurrence of the first duplicated key; the finding belongs
            // at the second occurrence (the line to delete or rename).
            let first = SourcePosition(line: ctx.mark.line, column: ctx.mark.column)
            let pos = dups.first.flatMap { secondOccurrence(of: $0, after: first, in: text) } ?? first
            let names = dups.map { "'\($0)'" }.joined(separator: ", ")
            var msg = "key \(names) appears more than once in this mapping"
            if pos != first { msg += " (first at line \(first.line))" }
            return d(LintRules.duplicateKey, pos, msg)
        case let .reader(problem, offset, _, _):
            var pos = SourcePosition(line: 1, column: 1)
            if let offset {
                var line = 1, col = 1
                for (i, ch) in text.enumerated() {
                    if i >= offset { break }
                    if ch == "\n" || ch == "\r\n" { line += 1; col = 1 } else { col += ch.unicodeScalars.count }
                }
                pos = SourcePosition(line: line, column: col)
            }
            return d(LintRules.yamlSyntax, pos, "unreadable YAML: \(problem)")
        default:
            return d(LintRules.yamlSyntax, SourcePosition(line: 1, column: 1), "YAML error: \(e)")
        }
    }

    /// Where `key` occurs again in the mapping whose key at `first` (1-based line and column,
    /// as libyaml marks it) is its first occurrence: a block mapping's later line with the key at
    /// the same column (the mapping ends at the first non-blank, non-comment line indented less),
    /// or, in a flow mapping (`{a: 1, a: 2}`), the next `key:` after a `,` on the same level.
    /// Plain, single- and double-quoted spellings of the key are recognised. Nil when not found.
    static func secondOccurrence(of key: String, after first: SourcePosition, in text: String) -> SourcePosition? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let spellings = [key, "'\(key)'", "\"\(key)\""].map { Array($0.unicodeScalars) }
        /// The length of a key spelling followed by optional blanks and `:` at `i` in `l`, or nil.
        func keyAt(_ l: [Unicode.Scalar], _ i: Int) -> Int? {
            for sp in spellings where i + sp.count <= l.count && Array(l[i..<(i + sp.count)]) == sp {
                var j = i + sp.count
                while j < l.count, l[j] == " " { j += 1 }
                if j < l.count, l[j] == ":" { return sp.count }
            }
            return nil
        }
        let col = first.column - 1
        let firstLine = lines[first.line - 1]
        guard col < firstLine.count, let width = keyAt(firstLine, col) else { return nil }
        let flow = firstLine[..<col].last(where: { $0 != " " }) == "{" || firstLine[..<col].last(where: { $0 != " " }) == ","
        if flow {
            // Scan forward at flow depth 0 of this mapping for `, key:`.
            var depth = 0
            var quote: Unicode.Scalar?
            var li = first.line - 1, ci = col + width
            while li < lines.count {
                let l = lines[li]
                while ci < l.count {
                    let c = l[ci]
                    if let q = quote { if c == q { quote = nil } } else {
                        switch c {
                        case "'", "\"": quote = c
                        case "{", "[": depth += 1
                        case "}", "]":
                            if depth == 0 { return nil }
                            depth -= 1
                        case ",":
                            if depth == 0 {
                                var k = ci + 1
                                while k < l.count, l[k] == " " { k += 1 }
                                if k < l.count, keyAt(l, k) != nil { return SourcePosition(line: li + 1, column: k + 1) }
                                if k >= l.count {
                                    // The next key may start the following line.
                                    var nl = li + 1
                                    while nl < lines.count {
                                        let n = lines[nl]
                                        guard let s = n.firstIndex(where: { $0 != " " }) else { nl += 1; continue }
                                        if keyAt(n, s) != nil { return SourcePosition(line: nl + 1, column: s + 1) }
                                        break
                                    }
                                }
                            }
                        default: break
                        }
                    }
                    ci += 1
                }
                li += 1
                ci = 0
            }
            return nil
        }
        for li in first.line..<lines.count {
            let l = lines[li]
            guard let s = l.firstIndex(where: { $0 != " " }) else { continue }
            if l[s] == "#" { continue }
            if s < col { return nil }
            if s == col, keyAt(l, s) != nil { return SourcePosition(line: li + 1, column: s + 1) }
        }
        return nil
    }

    static func position(_ mark: Mark?) -> SourcePosition {
        guard let mark else { return SourcePosition(line: 1, column: 1) }
        return SourcePosition(line: mark.line, column: mark.column)
    }

    /// Line and column (Unicode scalars, 1-based) of byte `offset` in valid-UTF-8-prefixed `bytes`.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> SourcePosition {
        var line = 1, col = 1
        var i = 0
        while i < offset {
            let b = bytes[i]
            if b == 0x0a { line += 1; col = 1 } else if b & 0xc0 != 0x80 { col += 1 }
            i += 1
        }
        return SourcePosition(line: line, column: col)
    }

    /// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
    /// (Unicode 15 Table 3-7: no overlongs, no surrogates, nothing past U+10FFFF), or nil.
    public static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xbf
            switch c {
            case 0xc2...0xdf: need = 1
            case 0xe0: need = 2; lo = 0xa0
            case 0xe1...0xec, 0xee...0xef: need = 2
            case 0xed: need = 2; hi = 0x9f
            case 0xf0: need = 3; lo = 0x90
            case 0xf1...0xf3: need = 3
            case 0xf4: need = 3; hi = 0x8f
            default: return i
            }
            guard i + need < n else { return i }
            if b[i + 1] < lo || b[i + 1] > hi { return i }
            var k = 2
            while k <= need {
                if b[i + k] & 0xc0 != 0x80 { return i }
                k += 1
            }
            i += need + 1
        }
        return nil
    }
}
