import Foundation

/// An error reading a kernel tree, naming the file and line.
public struct KernelImportError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
    public var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}

/// What drivers/pci/quirks.c says about ACS, as parsed: the `pci_dev_acs_enabled[]` rows in order
/// and every top-level function and array (with its body tokens and preceding comment).
struct QuirksSource {
    /// One row of `pci_dev_acs_enabled[]`.
    struct Row {
        /// 1-based position in the table.
        var index: Int
        var line: Int
        /// The vendor expression: a macro name or a number literal.
        var vendor: String
        /// The device expression: `PCI_ANY_ID`, a macro or a number literal.
        var device: String
        var function: String
        /// Comments between the previous row and this one.
        var leadingComments: [String]
        /// A comment after this row on the same line.
        var trailingComment: String?
    }

    /// A top-level function or array definition.
    struct Definition {
        var name: String
        var line: Int
        var isFunction: Bool
        /// Tokens of the body (function) or initializer (array), without the outer braces.
        var body: [CToken]
        /// The comment directly before the definition (only whitespace between), if any.
        var leadingComment: String?
    }

    var path: String
    var rows: [Row]
    var definitions: [String: Definition]
    var tableLine: Int

    static func parse(_ text: String, path: String) throws -> QuirksSource {
        let toks = CTokenizer.tokenize(text)
        let code = toks.indices.filter { toks[$0].kind != .comment && toks[$0].kind != .directive }

        // The table: `pci_dev_acs_enabled [ ] = {`.
        var tableStart: Int?
        for (k, ti) in code.enumerated() where toks[ti].kind == .identifier && toks[ti].text == "pci_dev_acs_enabled" {
            if k + 4 < code.count, toks[code[k + 1]].text == "[", toks[code[k + 2]].text == "]",
               toks[code[k + 3]].text == "=", toks[code[k + 4]].text == "{" {
                tableStart = code[k + 4]
                break
            }
        }
        guard let open = tableStart else {
            throw KernelImportError(path: path, "the table 'pci_dev_acs_enabled[] = {' was not found")
        }
        let rows = try parseRows(toks, open: open, path: path)
        let defs = parseDefinitions(toks)
        return QuirksSource(path: path, rows: rows, definitions: defs, tableLine: toks[open].line)
    }

    /// Rows `{ vendor, device, function }` up to the `{ 0 }` terminator.
    static func parseRows(_ toks: [CToken], open: Int, path: String) throws -> [Row] {
        var rows: [Row] = []
        var pending: [String] = []
        var i = open + 1
        while i < toks.count {
            let t = toks[i]
            if t.kind == .comment {
                if let last = rows.last, last.line == t.line, last.trailingComment == nil, pending.isEmpty {
                    rows[rows.count - 1].trailingComment = clean(t.text).joined(separator: " ")
                } else {
                    pending.append(clean(t.text).joined(separator: " "))
                }
                i += 1
                continue
            }
            if t.kind == .directive { i += 1; continue }
            if t.text == "}" { break }
            if t.text == "," { i += 1; continue }
            guard t.text == "{" else {
                throw KernelImportError(path: path, line: t.line, "unexpected '\(t.text)' in pci_dev_acs_enabled[]")
            }
            var fields: [[CToken]] = [[]]
            var j = i + 1
            while j < toks.count, toks[j].text != "}" {
                if toks[j].kind == .comment || toks[j].kind == .directive { j += 1; continue }
                if toks[j].text == "," { fields.append([]) } else { fields[fields.count - 1].append(toks[j]) }
                if toks[j].text == "{" || toks[j].text == ";" {
                    throw KernelImportError(path: path, line: toks[j].line, "unexpected '\(toks[j].text)' inside a table row")
                }
                j += 1
            }
            guard j < toks.count else { throw KernelImportError(path: path, line: t.line, "unterminated table row") }
            if fields.count == 1, fields[0].count == 1, fields[0][0].text == "0" { return rows } // { 0 }
            guard fields.count == 3, fields.allSatisfy({ $0.count == 1 }) else {
                throw KernelImportError(path: path, line: t.line,
                                        "a table row must be '{ vendor, device, function }', found '\(fields.map { $0.map(\.text).joined(separator: " ") }.joined(separator: ", "))'")
            }
            rows.append(Row(index: rows.count + 1, line: t.line, vendor: fields[0][0].text, device: fields[1][0].text,
                            function: fields[2][0].text, leadingComments: pending, trailingComment: nil))
            pending = []
            i = j + 1
        }
        throw KernelImportError(path: path, line: toks[open].line, "pci_dev_acs_enabled[] has no '{ 0 }' terminator")
    }

    /// Top-level `static ... name(...) { ... }` functions and `static ... name[] = { ... };` arrays.
    static func parseDefinitions(_ toks: [CToken]) -> [String: Definition] {
        var defs: [String: Definition] = [:]
        var depth = 0
        var i = 0
        var lastCodeEnd = -1 // index of the last non-comment token seen at depth 0
        while i < toks.count {
            let t = toks[i]
            if t.kind == .comment || t.kind == .directive { i += 1; continue }
            if t.text == "{" { depth += 1 } else if t.text == "}" { depth -= 1 }
            if depth == 0 && t.kind == .identifier && t.text == "static" {
                // The comment directly before `static`.
                var leading: String?
                if i > 0, toks[i - 1].kind == .comment, i - 1 > lastCodeEnd {
                    leading = toks[i - 1].text
                }
                // Scan the declarator.
                var j = i + 1
                var name: String?
                var paren = 0
                var isFunction = false, isArray = false
                while j < toks.count {
                    let u = toks[j]
                    if u.kind == .comment || u.kind == .directive { j += 1; continue }
                    if u.text == "(" {
                        if paren == 0 && name == nil, j > 0 {
                            var k = j - 1
                            while k > i, toks[k].kind == .comment { k -= 1 }
                            if toks[k].kind == .identifier { name = toks[k].text }
                        }
                        paren += 1
                    } else if u.text == ")" {
                        paren -= 1
                    } else if paren == 0 && u.text == "[" && name == nil {
                        var k = j - 1
                        while k > i, toks[k].kind == .comment { k -= 1 }
                        if toks[k].kind == .identifier { name = toks[k].text; isArray = true }
                    } else if paren == 0 && (u.text == ";" || u.text == "=" || u.text == "{") {
                        if u.text == "{" && name != nil && !isArray { isFunction = true }
                        break
                    }
                    j += 1
                }
                guard j < toks.count else { break }
                var bodyOpen: Int?
                if isFunction { bodyOpen = j }
                if isArray && toks[j].text == "=" {
                    var k = j + 1
                    while k < toks.count, toks[k].kind == .comment { k += 1 }
                    if k < toks.count, toks[k].text == "{" { bodyOpen = k }
                }
                if let open = bodyOpen, let name {
                    var d = 1, k = open + 1
                    while k < toks.count, d > 0 {
                        if toks[k].kind != .comment && toks[k].kind != .directive {
                            if toks[k].text == "{" { d += 1 } else if toks[k].text == "}" { d -= 1 }
                        }
                        k += 1
                    }
                    defs[name] = Definition(name: name, line: toks[i].line, isFunction: isFunction,
                                            body: Array(toks[(open + 1)..<max(open + 1, k - 1)]),
                                            leadingComment: leading)
                    i = k
                    lastCodeEnd = k - 1
                    continue
                }
                i = j
                continue
            }
            lastCodeEnd = i
            i += 1
        }
        return defs
    }

    /// Comment text as lines: ` * ` prefixes and surrounding blank lines removed.
    static func clean(_ comment: String) -> [String] {
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

/// `#define NAME VALUE` lines of include/linux/pci_ids.h: macro -> 16-bit value.
enum PCIIDsHeader {
    static func parse(_ text: String) -> [String: UInt16] {
        var m: [String: UInt16] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("#define") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 3, let v = CTokenizer.integer(String(parts[2])), v >= 0, v <= 0xffff else { continue }
            m[String(parts[1])] = UInt16(v)
        }
        return m
    }
}
