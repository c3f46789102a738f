import Diagnostics
import Foundation
import PCIConfig
import Registry

/// drivers/pci/quirks.c read as C tokens: the `pci_dev_acs_enabled[]` table (rows with their lines
/// and comments), every top-level function and array with its body, and what the functions the
/// table names mean (`upstream`: the table as registry entries, `profiles`: each function's shape,
/// ID list and where that list can be extended). Pure: no file access.
///
/// The one reader of quirks.c: `acsquirk patch`, `generate --kernel-tree` and `import-kernel`
/// (`KernelImporter`) all read the file through it. A patch run reads the tree once; its edits
/// update the parsed form in place (`inserting(_:at:)` re-reads only the inserted lines, or the
/// one definition they extend).
public struct QuirksSource: Hashable, Sendable {
    /// The file's path inside a kernel tree.
    public static let relativePath = "drivers/pci/quirks.c"

    /// The path used in messages.
    public let path: String
    /// The file's lines without their line feeds.
    public private(set) var lines: [String]
    /// Whether the text ends with a line feed.
    public let endsWithNewline: Bool
    /// The vendor and device macros the rows were resolved with.
    public let macros: VendorMacros
    /// The ACS table.
    public private(set) var table: ACSTable
    /// Every top-level `static` function definition, by name.
    public private(set) var functions: [String: CDefinition]
    /// Every top-level `static … name[] = { … };` array, by name.
    public private(set) var arrays: [String: CDefinition]
    /// The table as upstream registry entries (rows grouped by vendor, function and table comment;
    /// functions analyzed by `FunctionFacts`; `kernel.table` rows by position).
    public private(set) var upstream: [QuirkEntry]
    /// What each function named in the table does, by name.
    public private(set) var profiles: [String: QuirkFunctionProfile]

    /// Parses quirks.c. Throws `.tree` naming the line when the table or a function the table
    /// names cannot be found or read.
    public init(text: String, path: String = QuirksSource.relativePath, macros: VendorMacros) throws(KernelOutputError) {
        self.path = path
        self.macros = macros
        var ls = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { ls.removeLast() }
        lines = ls
        let toks = CTokenizer.tokenize(text)
        (functions, arrays) = Self.definitions(toks)
        table = try ACSTable(toks, path: path, macros: macros)
        upstream = []
        profiles = [:]
        try analyze()
    }

    /// The text again (lines joined, final line feed restored).
    public var text: String { lines.joined(separator: "\n") + (endsWithNewline ? "\n" : "") }

    /// The definition called `name` (function or array).
    func definition(_ name: String) -> CDefinition? { functions[name] ?? arrays[name] }

    /// Checks that every row names a function of this file and derives `upstream` and `profiles`.
    private mutating func analyze() throws(KernelOutputError) {
        for row in table.rows where functions[row.function] == nil {
            throw .tree(Diagnostic.Location(file: path, line: row.line),
                        "table row names \(row.function), which is not defined in this file")
        }
        upstream = KernelImporter.entries(of: self)
        var profiles: [String: QuirkFunctionProfile] = [:]
        for row in table.rows where profiles[row.function] == nil {
            profiles[row.function] = QuirkFunctionProfile(function: functions[row.function]!,
                                                          entries: upstream.filter { $0.kernel.function == row.function },
                                                          source: self)
        }
        self.profiles = profiles
    }

    // MARK: - Definitions

    /// Top-level `static ... name(...) { ... }` functions and `static ... name[] = { ... };` arrays.
    static func definitions(_ toks: [CToken], lineOffset: Int = 0) -> ([String: CDefinition], [String: CDefinition]) {
        var functions: [String: CDefinition] = [:]
        var arrays: [String: CDefinition] = [:]
        var depth = 0
        var i = 0
        var lastCodeEnd = -1 // index of the last non-comment token seen at depth 0
        while i < toks.count {
            let t = toks[i]
            if t.kind == .comment || t.kind == .directive { i += 1; continue }
            if t.text == "{" { depth += 1 } else if t.text == "}" { depth -= 1 }
            if depth == 0 && t.kind == .identifier && t.text == "static" {
                // The comment directly before `static`.
                var leading: CToken?
                if i > 0, toks[i - 1].kind == .comment, i - 1 > lastCodeEnd { leading = toks[i - 1] }
                // Scan the declarator.
                var j = i + 1
                var name: String?
                var paren = 0
                var isFunction = false, isArray = false, returnsBool = false
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
                    } else if paren == 0 && name == nil && u.text == "bool" {
                        returnsBool = true
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
                    let close = min(k - 1, toks.count - 1)
                    let def = CDefinition(name: name, isFunction: isFunction, startLine: t.line, openLine: toks[open].line,
                                          closeLine: toks[close].line, returnsBool: returnsBool,
                                          body: Array(toks[(open + 1)..<max(open + 1, k - 1)]),
                                          leadingComment: leading?.text, leadingCommentLine: leading?.line)
                    if isFunction { functions[name] = def } else { arrays[name] = def }
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
        return (functions, arrays)
    }

    // MARK: - Editing

    /// The source with `newLines` inserted before the 0-based line `index` (so that they become
    /// lines `index + 1 …` in 1-based numbering), re-reading only what changed: inserted table
    /// rows (with their comments), inserted top-level definitions, or the one function or array
    /// the lines land in (an extended `switch` or ID array). Throws `.tree` when the lines do not
    /// read as one of those.
    public func inserting(_ newLines: [String], at index: Int) throws(KernelOutputError) -> QuirksSource {
        try inserting([(index, newLines)])
    }

    /// The source with several insertions (each as `inserting(_:at:)`, indexes into this
    /// source's lines), analyzed once when all are in.
    public func inserting(_ insertions: [(index: Int, lines: [String])]) throws(KernelOutputError) -> QuirksSource {
        var s = self
        for ins in insertions.sorted(by: { $0.index > $1.index }) { try s.insert(ins.lines, at: ins.index) }
        try s.analyze()
        return s
    }

    /// Inserts lines and re-reads what they change (no analysis; see `inserting`).
    private mutating func insert(_ newLines: [String], at index: Int) throws(KernelOutputError) {
        precondition(index >= 0 && index <= lines.count)
        let k = newLines.count
        guard k > 0 else { return }
        var s = self
        s.lines.insert(contentsOf: newLines, at: index)
        let first = index + 1 // 1-based line of the first inserted line
        let fragment = newLines.joined(separator: "\n") + "\n"
        let loc = Diagnostic.Location(file: path, line: first)

        if first > table.openLine && first <= table.terminatorLine {
            // Rows (and their comments) inside pci_dev_acs_enabled[].
            let toks = CTokenizer.tokenize(fragment, firstLine: first)
            let added = try ACSTable.rows(toks, from: 0, path: path, macros: macros, terminated: false).rows
            guard !added.isEmpty else { throw .tree(loc, "the inserted lines hold no table row") }
            s.table.shift(from: first, by: k)
            s.table.insert(added)
            s.shiftDefinitions(from: first, by: k)
        } else if let holder = (functions.values.first { $0.startLine < first && first <= $0.closeLine }
                                ?? arrays.values.first { $0.startLine < first && first <= $0.closeLine }) {
            // Lines inside one definition: read that definition again.
            s.table.shift(from: first, by: k)
            s.shiftDefinitions(from: first, by: k)
            let top = holder.leadingCommentLine ?? holder.startLine
            let bottom = holder.closeLine + k
            let text = s.lines[(top - 1)..<bottom].joined(separator: "\n") + "\n"
            let (fs, as_) = Self.definitions(CTokenizer.tokenize(text, firstLine: top))
            guard let again = fs[holder.name] ?? as_[holder.name], fs.count + as_.count == 1 else {
                throw .tree(loc, "\(holder.name) no longer reads as one definition after the edit")
            }
            if again.isFunction { s.functions[holder.name] = again } else { s.arrays[holder.name] = again }
        } else if first <= table.structLine {
            // Whole definitions between two top-level definitions, above the table.
            let toks = CTokenizer.tokenize(fragment, firstLine: first)
            let (fs, as_) = Self.definitions(toks)
            guard !fs.isEmpty || !as_.isEmpty else { throw .tree(loc, "the inserted lines hold no definition") }
            for name in Array(fs.keys) + Array(as_.keys) where definition(name) != nil {
                throw .tree(loc, "\(name) is already defined in this file")
            }
            s.table.shift(from: first, by: k)
            s.shiftDefinitions(from: first, by: k)
            s.functions.merge(fs) { $1 }
            s.arrays.merge(as_) { $1 }
        } else {
            throw .tree(loc, "lines inserted at line \(first) are neither table rows, a definition nor part of one")
        }
        self = s
    }

    private mutating func shiftDefinitions(from first: Int, by k: Int) {
        for (n, d) in functions { functions[n] = d.shifted(from: first, by: k) }
        for (n, d) in arrays { arrays[n] = d.shifted(from: first, by: k) }
    }
}

/// A top-level C definition in quirks.c: a function or an initialized array (1-based lines).
public struct CDefinition: Hashable, Sendable {
    public var name: String
    /// A function (else an array).
    public var isFunction: Bool
    /// The line of `static`.
    public var startLine: Int
    /// The line holding the body's (or initializer's) `{`.
    public var openLine: Int
    /// The line holding its closing `}`.
    public var closeLine: Int
    /// Declared `bool` (a `…_match()` helper).
    public var returnsBool: Bool
    /// The tokens between the braces.
    var body: [CToken]
    /// The comment right before `static` (only blank space between), without delimiters.
    var leadingComment: String?
    /// The line where that comment starts.
    var leadingCommentLine: Int?

    func shifted(from first: Int, by k: Int) -> CDefinition {
        func s(_ l: Int) -> Int { l >= first ? l + k : l }
        var d = self
        d.startLine = s(startLine)
        d.openLine = s(openLine)
        d.closeLine = s(closeLine)
        d.leadingCommentLine = leadingCommentLine.map(s)
        if closeLine >= first { d.body = body.map { $0.line >= first ? $0.shifted(k) : $0 } }
        return d
    }
}

/// `pci_dev_acs_enabled[]` in quirks.c (1-based lines).
public struct ACSTable: Hashable, Sendable {
    /// `static const struct pci_dev_acs_enabled {`: new quirk functions go above it.
    public var structLine: Int
    /// `} pci_dev_acs_enabled[] = {`
    public var openLine: Int
    /// The rows in table order.
    public var rows: [ACSTableRow]
    /// The `{ 0 }` terminator.
    public var terminatorLine: Int

    init(_ toks: [CToken], path: String, macros: VendorMacros) throws(KernelOutputError) {
        let code = toks.indices.filter { toks[$0].kind != .comment && toks[$0].kind != .directive }
        var open: Int?
        var structAt: Int?
        for (k, ti) in code.enumerated() where toks[ti].kind == .identifier && toks[ti].text == "pci_dev_acs_enabled" {
            if k >= 3, k + 1 < code.count, toks[code[k - 3]].text == "static", toks[code[k - 2]].text == "const",
               toks[code[k - 1]].text == "struct", toks[code[k + 1]].text == "{" {
                structAt = code[k - 3]
            }
            if k + 4 < code.count, toks[code[k + 1]].text == "[", toks[code[k + 2]].text == "]",
               toks[code[k + 3]].text == "=", toks[code[k + 4]].text == "{" {
                open = code[k + 4]
                break
            }
        }
        guard let open else { throw .tree(Diagnostic.Location(file: path), "the table 'pci_dev_acs_enabled[] = {' was not found") }
        guard let structAt else {
            throw .tree(Diagnostic.Location(file: path, line: toks[open].line),
                        "struct pci_dev_acs_enabled definition not found above the table")
        }
        openLine = toks[open].line
        structLine = toks[structAt].line
        let read = try Self.rows(toks, from: open + 1, path: path, macros: macros, terminated: true)
        rows = read.rows
        terminatorLine = read.terminator ?? 0
    }

    /// Rows `{ vendor, device, function },` from token `start` up to the `{ 0 }` terminator
    /// (`terminated`), or to the end of `toks` (a fragment of inserted rows).
    static func rows(_ toks: [CToken], from start: Int, path: String, macros: VendorMacros,
                     terminated: Bool) throws(KernelOutputError) -> (rows: [ACSTableRow], terminator: Int?) {
        var rows: [ACSTableRow] = []
        var pending: [CToken] = []
        var i = start
        func loc(_ line: Int) -> Diagnostic.Location { Diagnostic.Location(file: path, line: line) }
        while i < toks.count {
            let t = toks[i]
            if t.kind == .comment {
                if let last = rows.last, last.line == t.line, last.trailingComment == nil, pending.isEmpty {
                    rows[rows.count - 1].trailingComment = CTokenizer.commentLines(t.text).joined(separator: " ")
                } else {
                    pending.append(t)
                }
                i += 1
                continue
            }
            if t.kind == .directive { i += 1; continue }
            if t.text == "," { i += 1; continue }
            if t.text == "}" {
                throw .tree(loc(t.line), "pci_dev_acs_enabled[] has no { 0 } terminator")
            }
            guard t.text == "{" else {
                throw .tree(loc(t.line), "unexpected '\(t.text)' in pci_dev_acs_enabled[]")
            }
            var fields: [[CToken]] = [[]]
            var j = i + 1
            while j < toks.count, toks[j].text != "}" {
                if toks[j].kind == .comment || toks[j].kind == .directive { j += 1; continue }
                if toks[j].text == "{" || toks[j].text == ";" {
                    throw .tree(loc(toks[j].line), "unexpected '\(toks[j].text)' inside a table row")
                }
                if toks[j].text == "," { fields.append([]) } else { fields[fields.count - 1].append(toks[j]) }
                j += 1
            }
            guard j < toks.count else { throw .tree(loc(t.line), "unterminated table row") }
            if fields.count == 1, fields[0].count == 1, fields[0][0].text == "0" {
                guard terminated else { throw .tree(loc(t.line), "unexpected { 0 } among inserted rows") }
                return (rows, t.line)
            }
            guard fields.count == 3, fields.allSatisfy({ $0.count == 1 }) else {
                throw .tree(loc(t.line), "a table row must be '{ vendor, device, function }', found '"
                            + fields.map { $0.map(\.text).joined(separator: " ") }.joined(separator: ", ") + "'")
            }
            let vendorToken = fields[0][0].text, deviceToken = fields[1][0].text, function = fields[2][0].text
            func value(_ token: String, _ what: String) throws(KernelOutputError) -> UInt16 {
                if let v = macros.value(of: token) { return v }
                if CTokenizer.integer(token) != nil { throw .tree(loc(t.line), "cannot read \(what) \(token): not a 16-bit value") }
                guard token.first.map({ $0.isLetter || $0 == "_" }) == true else {
                    throw .tree(loc(t.line), "cannot read \(what) \(token)")
                }
                throw .tree(loc(t.line), "\(what) macro \(token) is not defined in include/linux/pci_ids.h")
            }
            let vendor = vendorToken == "PCI_ANY_ID" ? 0xffff : try value(vendorToken, "vendor")
            let device: UInt16? = deviceToken == "PCI_ANY_ID" ? nil : try value(deviceToken, "device")
            guard fields[2][0].kind == .identifier else { throw .tree(loc(t.line), "cannot read function \(function)") }
            // The comment lines directly above the row (no blank line between): their first line.
            var blockStart = t.line
            for c in pending.reversed() where c.endLine == blockStart - 1 || (c.endLine == blockStart && c.line < blockStart) {
                blockStart = c.line
            }
            rows.append(ACSTableRow(position: rows.count + 1, line: t.line, vendor: vendor, vendorToken: vendorToken,
                                    device: device, deviceToken: deviceToken, function: function,
                                    leadingComments: pending.map { CTokenizer.commentLines($0.text).joined(separator: " ") },
                                    trailingComment: nil, blockStartLine: blockStart))
            pending = []
            i = j + 1
        }
        if terminated { throw .tree(loc(toks[max(0, start - 1)].line), "pci_dev_acs_enabled[] has no { 0 } terminator") }
        return (rows, nil)
    }

    mutating func shift(from first: Int, by k: Int) {
        func s(_ l: Int) -> Int { l >= first ? l + k : l }
        structLine = s(structLine)
        openLine = s(openLine)
        terminatorLine = s(terminatorLine)
        rows = rows.map { r in
            var r = r
            r.line = s(r.line)
            r.blockStartLine = s(r.blockStartLine)
            return r
        }
    }

    /// Adds rows read from inserted lines (already at their final lines) and renumbers positions.
    mutating func insert(_ added: [ACSTableRow]) {
        rows = (rows + added).sorted { $0.line < $1.line }
        for i in rows.indices { rows[i].position = i + 1 }
    }
}

/// One row of `pci_dev_acs_enabled[]`.
public struct ACSTableRow: Hashable, Sendable {
    /// 1-based position in the table (table order = lookup order).
    public var position: Int
    /// 1-based line in quirks.c.
    public var line: Int
    /// The vendor ID (0xffff for PCI_ANY_ID).
    public var vendor: UInt16
    /// The vendor as written: a macro or a literal.
    public var vendorToken: String
    /// The device ID; `nil` for PCI_ANY_ID.
    public var device: UInt16?
    /// The device as written.
    public var deviceToken: String
    /// The quirk function.
    public var function: String
    /// The comments between the previous row and this one (delimiters and ` * ` removed, each on one line).
    public var leadingComments: [String]
    /// A `/* … */` comment after the row on the same line.
    public var trailingComment: String?
    /// The first line of the comment lines directly above this row (its own line if none): new
    /// rows that must come before this one go above its comment.
    public var blockStartLine: Int

    /// The vendor macro the row uses, nil for a literal.
    public var vendorMacro: String? { CTokenizer.integer(vendorToken) == nil && vendorToken != "PCI_ANY_ID" ? vendorToken : nil }

    /// Whether the row matches a device the way `pci_dev_specific_acs_enabled()` compares.
    public func matches(vendor v: UInt16, device d: UInt16) -> Bool {
        (vendor == v || vendor == 0xffff) && (device == nil || device == d)
    }
}

/// What a quirk function named in the table does: its shape (conditions and reported controls)
/// and ID list as registry entries describe them (`KernelImporter` reading the tree, or the
/// registry's upstream entries), plus where the C text lets an edit extend the list.
public struct QuirkFunctionProfile: Hashable, Sendable {
    /// Where a function's ID list can be extended.
    public enum IDListSite: Hashable, Sendable {
        /// `case` labels of a `switch (dev->device)`: new labels go after `afterLine`.
        case switchCases(function: String, afterLine: Int, indent: String)
        /// A `static const u16 name[]` array: new values go before its `};` at `beforeLine`.
        case array(name: String, beforeLine: Int, indent: String)
    }

    public var name: String
    /// The line of the function's signature (nil when known only from the registry).
    public var line: Int?
    /// What the function checks and reports.
    public var shape: QuirkShape
    /// The isolation kind its entries claim (`ports-isolated` for root-port functions).
    public var kind: Isolation.Kind
    /// The device IDs listed inside the function (nil: the function has no list; the table rows
    /// decide).
    public var ids: [DeviceIDs]?
    /// Where the ID list can be extended (nil when known only from the registry).
    public var site: IDListSite?
    /// What the function answers for an accepted device that is not in `ids`.
    public var unlisted: KernelStatus.UnlistedAnswer

    /// The PCIe types the function accepts (nil: any).
    public var acceptedTypes: Set<PCIExpressPortType>? { shape.portType.types.map(Set.init) }
    /// Conditions besides the device ID and type the answer depends on, in words.
    public var conditions: [String] { shape.conditionDescriptions }

    public init(name: String, line: Int? = nil, shape: QuirkShape, kind: Isolation.Kind = .noPeerToPeer,
                ids: [DeviceIDs]? = nil, site: IDListSite? = nil, unlisted: KernelStatus.UnlistedAnswer = .pass) {
        self.name = name
        self.line = line
        self.shape = shape
        self.kind = kind
        self.ids = ids
        self.site = site
        self.unlisted = unlisted
    }

    /// The profile of `def` in a tree: shape, IDs and the unlisted answer from `entries` (the
    /// imported entries calling it; the one with the `PCI_ANY_ID` row holds the function's ID
    /// list), the site from the C text (the last `case` of a `switch` in the function or in a
    /// `bool …_match()` helper it calls, or a `static const u16 …[]` array it uses).
    init(function def: CDefinition, entries: [QuirkEntry], source: QuirksSource) {
        name = def.name
        line = def.startLine
        let vendorWide = entries.first { $0.kernel.table.contains { $0.device == nil } }
        let first = vendorWide ?? entries.first
        shape = first.map(QuirkShape.init) ?? QuirkShape(acsEquivalent: [])
        kind = first?.isolation.kind ?? .noPeerToPeer
        unlisted = first?.kernel.unlisted ?? .pass

        func identifiers(_ d: CDefinition) -> [String] { d.body.filter { $0.kind == .identifier }.map(\.text) }
        func indent(_ line: Int) -> String { String(source.lines[line - 1].prefix { $0 == " " || $0 == "\t" }) }
        let used = identifiers(def)
        let helpers = Set(used).compactMap { source.functions[$0] }.filter { $0.name != def.name && $0.returnsBool }
            .sorted { $0.startLine < $1.startLine }
        var site: IDListSite?
        for f in [def] + helpers {
            if let lastCase = f.body.last(where: { $0.kind == .identifier && $0.text == "case" }) {
                site = .switchCases(function: f.name, afterLine: lastCase.line, indent: indent(lastCase.line))
            }
        }
        let allUsed = Set(([def] + helpers).flatMap(identifiers))
        for a in allUsed.compactMap({ source.arrays[$0] }).sorted(by: { $0.startLine < $1.startLine }) {
            let i = a.closeLine >= 2 ? indent(a.closeLine - 1) : "\t"
            site = .array(name: a.name, beforeLine: a.closeLine, indent: i.isEmpty ? "\t" : i)
        }
        self.site = site
        ids = site != nil ? vendorWide?.devices : nil
    }
}
