import Foundation
import PCIConfig
import Registry

/// drivers/pci/quirks.c read as text: the `pci_dev_acs_enabled[]` table, its rows, and the quirk
/// functions the rows name (with the ID lists inside them). Pure: no file access.
///
/// Two readers see the same text: this one reads the layout an edit needs (lines of the rows,
/// their comment blocks, the `{ 0 }` terminator, function bodies, `switch`/array sites of ID
/// lists); Registry's `KernelImporter` reads what the functions mean (conditions, reported
/// controls, ID lists) as registry entries (`upstream`), which the table walk
/// (`QuirkTableModel`, LinuxPCI's `QuirkTable`) uses. Both must find the same rows: the
/// initializer refuses a text on which they disagree.
public struct QuirksSource: Hashable, Sendable {
    /// The file's path inside a kernel tree.
    public static let relativePath = "drivers/pci/quirks.c"

    /// The path used in messages.
    public let path: String
    /// The file's lines without their line feeds.
    public let lines: [String]
    /// Whether the text ends with a line feed.
    public let endsWithNewline: Bool
    /// The ACS table.
    public let table: ACSTable
    /// Every top-level `static` function definition, by name.
    public let functions: [String: CFunction]
    /// Every top-level `static const u16 name[] = { … };` array, by name.
    public let arrays: [String: CArray]
    /// What each function named in the table does, by name.
    public let profiles: [String: QuirkFunctionProfile]
    /// The table as upstream registry entries, read from the same text by Registry's
    /// `KernelImporter` (families grouped, functions analyzed; `kernel.table` rows by position).
    public let upstream: [QuirkEntry]
    /// The vendor macros the rows were resolved with.
    public let macros: VendorMacros

    /// Parses quirks.c. Throws `.tree` naming the line when the table or a function the table
    /// names cannot be found or read.
    public init(text: String, path: String = QuirksSource.relativePath, macros: VendorMacros) throws(KernelOutputError) {
        self.path = path
        self.macros = macros
        var ls = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { ls.removeLast() }
        lines = ls
        let code = CComments.strip(ls)
        (functions, arrays) = QuirksSource.definitions(ls, code)
        table = try ACSTable(lines: ls, code: code, path: path, macros: macros)
        for row in table.rows where functions[row.function] == nil {
            throw .tree(SourceLocation(path: path, line: row.line),
                        "table row names \(row.function), which is not defined in this file")
        }
        let imported: [QuirkEntry]
        do {
            imported = try KernelImporter.importSource(text, path: path, macros: macros.values, version: "tree").entries
        } catch let e as KernelImportError {
            throw .tree(SourceLocation(path: path, line: e.line), e.message)
        } catch {
            throw .tree(SourceLocation(path: path), "\(error)")
        }
        upstream = imported
        // Both readers must see the same rows, in the same order.
        var byPosition: [Int: (QuirkEntry, KernelStatus.TableRow)] = [:]
        for e in imported { for r in e.kernel.table { byPosition[r.row] = (e, r) } }
        for row in table.rows {
            guard let (e, r) = byPosition[row.position], e.vendor == row.vendor, r.device == row.device,
                  e.kernel.function == row.function else {
                throw .tree(SourceLocation(path: path, line: row.line),
                            "the two readers of quirks.c disagree about table row \(row.position) (Registry's KernelImporter: "
                            + (byPosition[row.position].map { "\(hex($0.0.vendor, width: 4)) "
                                + "\($0.1.device.map { hex($0, width: 4) } ?? "PCI_ANY_ID") \($0.0.kernel.function ?? "?")" } ?? "no row")
                            + ")")
            }
        }
        if byPosition.count != table.rows.count {
            throw .tree(SourceLocation(path: path, line: table.openLine),
                        "the two readers of quirks.c disagree about the number of table rows "
                        + "(\(table.rows.count) here, \(byPosition.count) in Registry's KernelImporter)")
        }
        var profiles: [String: QuirkFunctionProfile] = [:]
        for row in table.rows where profiles[row.function] == nil {
            let es = imported.filter { $0.kernel.function == row.function }
            profiles[row.function] = QuirkFunctionProfile(function: functions[row.function]!, entries: es, functions: functions,
                                                          arrays: arrays, code: code)
        }
        self.profiles = profiles
    }

    /// The text again (lines joined, final line feed restored).
    public var text: String { lines.joined(separator: "\n") + (endsWithNewline ? "\n" : "") }

    /// The identifier right before the first `(` of a line, if it is one.
    static func identifierBeforeParen(_ line: String) -> String? {
        guard let paren = line.firstIndex(of: "(") else { return nil }
        let head = line[line.startIndex..<paren]
        let name = head.reversed().prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
        return name.isEmpty ? nil : String(name.reversed())
    }

    private static func definitions(_ lines: [String], _ code: [String]) -> ([String: CFunction], [String: CArray]) {
        var functions: [String: CFunction] = [:]
        var arrays: [String: CArray] = [:]
        var i = 0
        while i < lines.count {
            let line = code[i]
            guard line.hasPrefix("static ") else { i += 1; continue }
            if line.contains("[] = {"), let eq = line.range(of: "[] = {") {
                // static const u16 name[] = {
                let name = String(line[line.startIndex..<eq.lowerBound].split(separator: " ").last ?? "")
                var j = i + 1
                while j < lines.count, code[j].trimmingCharacters(in: .whitespaces) != "};" { j += 1 }
                if j < lines.count {
                    var values: [UInt16] = []
                    for k in (i + 1)..<j {
                        for token in code[k].split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
                            if let v = parseHexID(token) { values.append(v) }
                        }
                    }
                    arrays[name] = CArray(name: name, startLine: i + 1, closeLine: j + 1, values: values)
                }
                i = j + 1
                continue
            }
            guard !line.contains(";"), let name = identifierBeforeParen(line) else { i += 1; continue }
            // Signature may continue on further lines; the body opens with a line that is "{".
            var open = i
            while open < lines.count, open <= i + 4, code[open].trimmingCharacters(in: .whitespaces) != "{" { open += 1 }
            guard open < lines.count, open <= i + 4 else { i += 1; continue }
            var close = open + 1
            while close < lines.count, code[close] != "}" { close += 1 }
            guard close < lines.count else { break }
            var commentStart: Int? = nil
            if i > 0, lines[i - 1].trimmingCharacters(in: .whitespaces).hasSuffix("*/") {
                var k = i - 1
                while k >= 0, !lines[k].trimmingCharacters(in: .whitespaces).hasPrefix("/*") { k -= 1 }
                if k >= 0 { commentStart = k + 1 }
            }
            let returnsBool = line.hasPrefix("static bool") || line.hasPrefix("static inline bool")
            functions[name] = CFunction(name: name, signatureLine: i + 1, openLine: open + 1, closeLine: close + 1,
                                        commentStartLine: commentStart, returnsBool: returnsBool)
            i = close + 1
        }
        return (functions, arrays)
    }
}

/// A top-level C function definition (1-based lines).
public struct CFunction: Hashable, Sendable {
    public var name: String
    public var signatureLine: Int
    /// The line holding the body's `{`.
    public var openLine: Int
    /// The line holding the body's closing `}` (column 0).
    public var closeLine: Int
    /// The first line of the comment block right above the signature, if any.
    public var commentStartLine: Int?
    public var returnsBool: Bool
}

/// A top-level `static const u16 name[] = { … };` array (1-based lines).
public struct CArray: Hashable, Sendable {
    public var name: String
    public var startLine: Int
    /// The line holding `};`.
    public var closeLine: Int
    public var values: [UInt16]
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

    init(lines: [String], code: [String], path: String, macros: VendorMacros) throws(KernelOutputError) {
        guard let open = code.firstIndex(where: { $0.replacingOccurrences(of: " ", with: "").hasPrefix("}pci_dev_acs_enabled[]={") })
        else { throw .tree(SourceLocation(path: path), "pci_dev_acs_enabled[] not found") }
        guard let structIndex = code[..<open].lastIndex(where: { $0.hasPrefix("static const struct pci_dev_acs_enabled") })
        else { throw .tree(SourceLocation(path: path, line: open + 1), "struct pci_dev_acs_enabled definition not found above the table") }
        openLine = open + 1
        structLine = structIndex + 1
        var rows: [ACSTableRow] = []
        var terminator: Int?
        var blockStart: Int?
        var i = open + 1
        while i < lines.count {
            let raw = lines[i]
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            let c = code[i].trimmingCharacters(in: .whitespaces)
            let loc = SourceLocation(path: path, line: i + 1)
            if c.isEmpty {
                // blank line or comment-only line
                if trimmed.isEmpty { blockStart = nil } else if blockStart == nil { blockStart = i + 1 }
                i += 1
                continue
            }
            if c == "};" { break }
            guard c.hasPrefix("{"), let close = c.lastIndex(of: "}") else {
                throw .tree(loc, "unexpected line in pci_dev_acs_enabled[]: \(trimmed)")
            }
            let inner = c[c.index(after: c.startIndex)..<close]
            let fields = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields == ["0"] {
                terminator = i + 1
                break
            }
            guard fields.count == 3, c[c.index(after: close)...].trimmingCharacters(in: .whitespaces) == "," else {
                throw .tree(loc, "cannot read table row: \(trimmed)")
            }
            let vendorToken = fields[0], deviceToken = fields[1], function = fields[2]
            let vendor: UInt16
            if vendorToken == "PCI_ANY_ID" {
                vendor = 0xffff
            } else if let v = parseCNumber(vendorToken) {
                vendor = v
            } else if let v = macros.values[vendorToken] {
                vendor = v
            } else {
                throw .tree(loc, "vendor \(vendorToken) is not defined in include/linux/pci_ids.h")
            }
            let device: UInt16?
            if deviceToken == "PCI_ANY_ID" {
                device = nil
            } else if let d = parseCNumber(deviceToken) {
                device = d
            } else {
                throw .tree(loc, "cannot read device \(deviceToken)")
            }
            guard Slug.isKernelIdentifier(function) || function.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw .tree(loc, "cannot read function \(function)")
            }
            var trailing: String?
            if let r = raw.range(of: "/*", options: .backwards), let e = raw.range(of: "*/", options: .backwards), r.upperBound <= e.lowerBound {
                trailing = raw[r.upperBound..<e.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            rows.append(ACSTableRow(position: rows.count + 1, line: i + 1, vendor: vendor, vendorToken: vendorToken,
                                    device: device, deviceToken: deviceToken, function: function,
                                    trailingComment: trailing, blockStartLine: blockStart ?? (i + 1)))
            blockStart = nil
            i += 1
        }
        guard let terminator else {
            throw .tree(SourceLocation(path: path, line: open + 1), "pci_dev_acs_enabled[] has no { 0 } terminator")
        }
        terminatorLine = terminator
        self.rows = rows
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
    /// A `/* … */` comment after the row on the same line.
    public var trailingComment: String?
    /// The first line of the comment lines directly above this row (its own line if none): new
    /// rows that must come before this one go above its comment.
    public var blockStartLine: Int

    /// Whether the row matches a device the way `pci_dev_specific_acs_enabled()` compares.
    public func matches(vendor v: UInt16, device d: UInt16) -> Bool {
        (vendor == v || vendor == 0xffff) && (device == nil || device == d)
    }
}

/// Parses a C integer literal (hex `0x…` or decimal) that fits 16 bits.
func parseCNumber(_ token: some StringProtocol) -> UInt16? {
    let t = token.lowercased()
    if t.hasPrefix("0x") {
        let digits = t.dropFirst(2)
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isHexDigit) else { return nil }
        return UInt16(digits, radix: 16)
    }
    guard !t.isEmpty, t.allSatisfy(\.isNumber) else { return nil }
    return UInt16(t)
}

/// C comment removal that keeps the line structure (comment characters become spaces).
enum CComments {
    static func strip(_ lines: [String]) -> [String] {
        var inBlock = false
        return lines.map { line in
            var out = ""
            var chars = Array(line)
            var i = 0
            var inString = false
            while i < chars.count {
                let c = chars[i]
                let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
                if inBlock {
                    if c == "*", next == "/" { inBlock = false; out += "  "; i += 2 } else { out += " "; i += 1 }
                } else if inString {
                    out.append(c)
                    if c == "\\", let n = next { out.append(n); i += 2; continue }
                    if c == "\"" { inString = false }
                    i += 1
                } else if c == "/", next == "*" {
                    inBlock = true; out += "  "; i += 2
                } else if c == "/", next == "/" {
                    out += String(repeating: " ", count: chars.count - i); i = chars.count
                } else {
                    if c == "\"" { inString = true }
                    out.append(c); i += 1
                }
            }
            chars.removeAll()
            return out.rightTrimmed
        }
    }
}

/// What a quirk function named in the table does: its shape (conditions and reported controls)
/// and ID list as registry entries describe them (Registry's `KernelImporter` reading the tree,
/// or the registry's upstream entries), plus where the C text lets an edit extend the list.
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

    public init(name: String, line: Int? = nil, shape: QuirkShape, ids: [DeviceIDs]? = nil, site: IDListSite? = nil,
                unlisted: KernelStatus.UnlistedAnswer = .pass) {
        self.name = name
        self.line = line
        self.shape = shape
        self.ids = ids
        self.site = site
        self.unlisted = unlisted
    }

    /// The profile of `def` in a tree: shape, IDs and the unlisted answer from `entries` (the
    /// imported entries calling it; the one with the `PCI_ANY_ID` row holds the function's ID
    /// list), the site from the C text (the `switch` in the function or a `bool …_match()`
    /// helper it calls, or a `static const u16 …[]` array it uses).
    init(function def: CFunction, entries: [QuirkEntry], functions: [String: CFunction], arrays: [String: CArray],
         code: [String]) {
        name = def.name
        line = def.signatureLine
        let vendorWide = entries.first { $0.kernel.table.contains { $0.device == nil } }
        let first = vendorWide ?? entries.first
        shape = first.map(QuirkShape.init) ?? QuirkShape(acsEquivalent: [])
        unlisted = first?.kernel.unlisted ?? .pass

        func body(_ f: CFunction) -> ArraySlice<String> { code[(f.openLine - 1)..<f.closeLine] }
        func identifiers(_ text: some Sequence<String>) -> Set<String> {
            var s = Set<String>()
            for l in text {
                for t in l.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) { s.insert(String(t)) }
            }
            return s
        }
        let mainIDs = identifiers(body(def))
        let helpers = mainIDs.compactMap { functions[$0] }.filter { $0.name != def.name && $0.returnsBool }
            .sorted { $0.signatureLine < $1.signatureLine }
        let parts = [def] + helpers
        let allIDs = identifiers(parts.flatMap { Array(body($0)) })
        var site: IDListSite?
        for f in parts {
            var lastCase: Int?
            for (offset, l) in body(f).enumerated() where !Self.caseLabels(l).isEmpty { lastCase = f.openLine + offset }
            if let lastCase {
                let raw = code[lastCase - 1]
                site = .switchCases(function: f.name, afterLine: lastCase,
                                    indent: String(raw.prefix(while: { $0 == " " || $0 == "\t" })))
            }
        }
        for a in allIDs.compactMap({ arrays[$0] }).sorted(by: { $0.startLine < $1.startLine }) {
            let indent = a.closeLine >= 2 ? String(code[a.closeLine - 2].prefix(while: { $0 == " " || $0 == "\t" })) : "\t"
            site = .array(name: a.name, beforeLine: a.closeLine, indent: indent.isEmpty ? "\t" : indent)
        }
        self.site = site
        ids = site != nil ? vendorWide?.devices : nil
    }

    /// The `case A:` / `case A ... B:` labels on a comment-free line.
    static func caseLabels(_ line: String) -> [DeviceIDs] {
        var out: [DeviceIDs] = []
        var rest = Substring(line)
        while let r = rest.range(of: "case ") {
            let before = rest[rest.startIndex..<r.lowerBound].last
            rest = rest[r.upperBound...]
            guard before == nil || !(before!.isLetter || before!.isNumber || before! == "_"),
                  let colon = rest.firstIndex(of: ":") else { continue }
            let label = rest[rest.startIndex..<colon]
            rest = rest[rest.index(after: colon)...]
            let parts = label.components(separatedBy: "...").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 1, let v = parseCNumber(parts[0]) {
                out.append(.id(v))
            } else if parts.count == 2, let a = parseCNumber(parts[0]), let b = parseCNumber(parts[1]) {
                out.append(.range(first: a, last: b))
            }
        }
        return out
    }
}
