import Diagnostics
import Foundation
import PCIConfig
import Yams

/// Where fields of an entry are in its file. Field paths: `vendor`, `applies-to.port-type`,
/// `devices[2]`, `devices[2].first`, `evidence.confirmed-by[0]`, `kernel.table[5].device`.
public struct FieldLocations: Hashable, Sendable {
    /// Position of each field's value (for a mapping or sequence: where it starts).
    public var values: [String: SourcePosition] = [:]
    /// Position of each field's key (mapping members only).
    public var keys: [String: SourcePosition] = [:]

    public init() {}

    /// The value position of `field`, else of its closest recorded parent, else 1:1.
    public func value(_ field: String) -> SourcePosition {
        var f = field
        while true {
            if let p = values[f] { return p }
            guard let cut = f.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            f = String(f[..<cut])
        }
        return values[""] ?? SourcePosition(line: 1, column: 1)
    }

    /// The key position of `field` (falls back to its value position).
    public func key(_ field: String) -> SourcePosition { keys[field] ?? value(field) }
}

/// Turns a composed YAML node into a `QuirkEntry`, checking it against `RegistrySchema.entry`
/// first: unknown keys, missing keys, wrong kinds of value, malformed hex IDs. The scalar TEXT is
/// what counts (YAML would read unquoted `0x10c6` as an integer and `1e10` as a float).
struct EntryDecoder {
    let path: String
    var diagnostics: [Diagnostic] = []
    var locations = FieldLocations()
    /// Field paths whose value has a schema error (missing, wrong kind, malformed): lint leaves
    /// out the semantic rules that read them (see `Linter.dependencies`).
    var tainted = Set<String>()

    init(path: String) { self.path = path }

    mutating func report(_ rule: LintRule, _ pos: SourcePosition, _ message: String, field: String? = nil) {
        diagnostics.append(Diagnostic(path: path, at: pos, severity: rule.severity, rule: rule.id, message: message))
        if let field { tainted.insert(field) }
    }

    static func pos(_ n: Node) -> SourcePosition { SourcePosition(line: n.mark?.line ?? 1, column: n.mark?.column ?? 1) }

    static func kindName(_ n: Node) -> String {
        switch n {
        case let .scalar(s): s.string.isEmpty && s.style == .plain ? "an empty value" : "a scalar '\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    // MARK: Structural check against the schema

    mutating func check(_ node: Node, _ type: SchemaType, field: String, what: String) {
        locations.values[field] = Self.pos(node)
        switch type {
        case let .object(props):
            guard case let .mapping(m) = node else {
                report(LintRules.invalidValue, Self.pos(node), "\(what) must be a mapping, found \(Self.kindName(node))",
                       field: field)
                return
            }
            var seen = Set<String>()
            for (k, v) in m {
                guard case let .scalar(ks) = k else {
                    report(LintRules.invalidValue, Self.pos(k), "keys must be plain words, found \(Self.kindName(k))",
                           field: field)
                    continue
                }
                let name = ks.string
                let sub = field.isEmpty ? name : "\(field).\(name)"
                guard let p = props.first(where: { $0.name == name }) else {
                    let known = props.map(\.name)
                    var msg = "unknown key '\(name)' in \(what)"
                    if let s = Self.suggestion(name, known) { msg += "; did you mean '\(s)'?" }
                    msg += " (allowed: \(known.joined(separator: ", ")))"
                    report(LintRules.unknownKey, Self.pos(k), msg)
                    continue
                }
                seen.insert(name)
                locations.keys[sub] = Self.pos(k)
                check(v, p.type, field: sub, what: "'\(name)'")
            }
            for p in props where p.required && !seen.contains(p.name) {
                report(LintRules.missingKey, Self.pos(node), "\(what) lacks the required key '\(p.name)'",
                       field: field.isEmpty ? p.name : "\(field).\(p.name)")
            }
        case let .array(item, minItems):
            guard case let .sequence(s) = node else {
                report(LintRules.invalidValue, Self.pos(node), "\(what) must be a list, found \(Self.kindName(node))",
                       field: field)
                return
            }
            if s.count < minItems {
                report(LintRules.invalidValue, Self.pos(node), "\(what) needs at least \(minItems) item(s)", field: field)
            }
            for (i, v) in s.enumerated() { check(v, item, field: "\(field)[\(i)]", what: "\(what) item \(i + 1)") }
        case let .choice(alts):
            let pick = alts.first { alt in
                switch (alt, node) {
                case (.object, .mapping), (.array, .sequence): true
                case (.object, _), (.array, _), (_, .mapping), (_, .sequence): false
                default: true
                }
            }
            if let pick { check(node, pick, field: field, what: what) } else {
                report(LintRules.invalidValue, Self.pos(node), "\(what) cannot be \(Self.kindName(node))", field: field)
            }
        case .hexID, .hexOrAny, .integer, .boolean, .enumeration, .text:
            guard case let .scalar(s) = node else {
                report(LintRules.invalidValue, Self.pos(node), "\(what) must be a single value, found \(Self.kindName(node))",
                       field: field)
                return
            }
            let before = diagnostics.count
            checkScalar(s, type, pos: Self.pos(node), what: what)
            if diagnostics.count > before { tainted.insert(field) }
        }
    }

    mutating func checkScalar(_ s: Node.Scalar, _ type: SchemaType, pos: SourcePosition, what: String) {
        let t = s.string
        let plain = s.style == .plain || s.style == .any
        switch type {
        case .hexID:
            if case .failure(let msg) = Self.parseHex(t) { report(LintRules.hexID, pos, "\(what): \(msg)") }
        case .hexOrAny:
            if t == "any" { return }
            if case .failure(let msg) = Self.parseHex(t) {
                report(LintRules.hexID, pos, "\(what): \(msg) (or write any for PCI_ANY_ID)")
            }
        case let .integer(r):
            if !plain || Int(t) == nil || !t.allSatisfy(\.isNumber) {
                report(LintRules.invalidValue, pos, "\(what) must be a decimal number, found '\(t)'")
            } else if let i = Int(t), !r.contains(i) {
                report(LintRules.invalidValue, pos,
                       r.count == 1 ? "\(what) must be \(r.lowerBound), found \(i)" : "\(what) must be between \(r.lowerBound) and \(r.upperBound), found \(i)")
            }
        case .boolean:
            if !(plain && (t == "true" || t == "false")) {
                report(LintRules.invalidValue, pos, "\(what) must be true or false, found '\(t)'")
            }
        case let .enumeration(words):
            if !words.contains(t) {
                var msg = "\(what) must be one of \(words.joined(separator: ", ")); found '\(t)'"
                if let sug = Self.suggestion(t, words) { msg += " (did you mean '\(sug)'?)" }
                report(LintRules.invalidValue, pos, msg)
            }
        case let .text(kind):
            if plain && (t.isEmpty || t == "~" || t == "null") {
                report(LintRules.invalidValue, pos, "\(what) is empty")
                return
            }
            switch kind {
            case .identifier:
                if !Self.isIdentifier(t) { report(LintRules.invalidValue, pos, "\(what) must be a C identifier, found '\(t)'") }
            case .release:
                // A sublevel (v6.12.117) is structurally a release; the since-sublevel rule says why
                // it is wrong. Anything else is not a release at all.
                if KernelRelease(t) == nil {
                    report(LintRules.invalidValue, pos,
                           "\(what) must be a mainline release like v6.3, or <=v6.1 when only an upper bound is known; found '\(t)'")
                }
            case .line, .multiline, .date, .url, .person:
                break // format rules are lint rules (bad-date, bad-url, confirmed-by-format, unsafe-text)
            }
        default:
            break
        }
    }

    enum HexResult { case success(UInt16), failure(String) }

    /// `0x` followed by 1-4 hex digits; anything else explained.
    static func parseHex(_ t: String) -> HexResult {
        if t.isEmpty { return .failure("empty; write a 16-bit hex ID like 0x10c6") }
        let lower = t.lowercased()
        if lower.hasPrefix("0x") {
            let digits = t.dropFirst(2)
            if digits.isEmpty || !digits.allSatisfy(\.isHexDigit) {
                return .failure("'\(t)' is not a hex number; write a 16-bit hex ID like 0x10c6")
            }
            if digits.count > 4 {
                let trimmed = digits.drop { $0 == "0" }
                if trimmed.count > 4 { return .failure("'\(t)' is wider than 16 bits (0x0000-0xffff)") }
                return .failure("'\(t)' has more than 4 hex digits; write it as 0x\(String(repeating: "0", count: max(0, 4 - trimmed.count)) + trimmed.lowercased())")
            }
            return .success(UInt16(digits, radix: 16)!)
        }
        if t.allSatisfy(\.isNumber) && t.allSatisfy(\.isASCII) {
            return .failure("'\(t)' is a decimal number to YAML; IDs are hex with a 0x prefix (0x\(lower) if that was meant)")
        }
        if t.allSatisfy(\.isHexDigit) && t.count <= 4 {
            let float = t.range(of: "^[0-9]+[eE][0-9]+$", options: .regularExpression) != nil
            return .failure("'\(t)' lacks the 0x prefix\(float ? " (YAML reads it as a float)" : ""); write 0x\(lower)")
        }
        return .failure("'\(t)' is not a 16-bit hex ID; write it as 0x followed by 1 to 4 hex digits, e.g. 0x10c6")
    }

    static func isIdentifier(_ t: String) -> Bool {
        guard let f = t.unicodeScalars.first, f == "_" || (f.isASCII && f.properties.isAlphabetic) else { return false }
        return t.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// A close spelling among `candidates` (Levenshtein distance <= 2, or the same after `_`->`-`).
    static func suggestion(_ word: String, _ candidates: [String]) -> String? {
        let w = word.lowercased().replacingOccurrences(of: "_", with: "-")
        if let exact = candidates.first(where: { $0 == w }) { return exact }
        var best: (String, Int)?
        for c in candidates {
            let d = levenshtein(w, c)
            if d <= 2, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    // MARK: Construction (after a clean structural check)

    static func str(_ n: Node?) -> String? { n?.scalar?.string }

    /// The value of `key` in mapping `n`, compared by scalar text (no tag resolution).
    static func get(_ n: Node?, _ key: String) -> Node? {
        guard case let .mapping(m)? = n else { return nil }
        return m.first { $0.key.scalar?.string == key }?.value
    }

    static func hex(_ n: Node?) -> UInt16? {
        guard let t = str(n), case let .success(v) = parseHex(t) else { return nil }
        return v
    }

    static func list(_ n: Node?) -> [Node] {
        if case let .sequence(s)? = n { return Array(s) }
        return []
    }

    /// The entry as far as it can be read: after a clean structural check, exactly the file's
    /// entry; after schema errors, a partial entry (fields with errors left at defaults, device
    /// items that are not IDs left out) that only lint sees, with `tainted` naming what to
    /// distrust. Nil when the root is not a mapping.
    func build(_ root: Node) -> QuirkEntry? {
        guard case .mapping = root else { return nil }
        let vendor = Self.hex(Self.get(root, "vendor")) ?? 0
        let kernelNode = Self.get(root, "kernel"), isoNode = Self.get(root, "isolation")
        var devices: [DeviceIDs] = []
        for d in Self.list(Self.get(root, "devices")) {
            if case .mapping = d {
                guard let a = Self.hex(Self.get(d, "first")), let b = Self.hex(Self.get(d, "last")) else { continue }
                devices.append(.range(first: a, last: b))
            } else {
                guard let v = Self.hex(d) else { continue }
                devices.append(.id(v))
            }
        }
        var applies = AppliesTo()
        if let a = Self.get(root, "applies-to") {
            if let p = Self.str(Self.get(a, "port-type")) { applies.portType = AppliesTo.PortTypeCondition(rawValue: p) ?? .any }
            if let mf = Self.str(Self.get(a, "multifunction")) { applies.multifunction = mf == "true" }
            applies.classID = Self.hex(Self.get(a, "class"))
            applies.requires = Self.list(Self.get(a, "requires")).compactMap { Self.str($0).flatMap(AppliesTo.Requirement.init(rawValue:)) }
            if let l = Self.str(Self.get(a, "register-layout")) {
                applies.registerLayout = l == ACSRegisterLayoutName.intelSPTDword ? .intelSPTDword : .standard
            }
        }
        var flags: ACSFlags = []
        for f in Self.list(Self.get(isoNode, "acs-equivalent")) {
            if let s = Self.str(f), let one = ACSFlags(shortName: s) { flags.insert(one) }
        }
        let kind = Isolation.Kind(rawValue: Self.str(Self.get(isoNode, "kind")) ?? "") ?? .noPeerToPeer
        func people(_ node: Node?) -> [String] {
            switch node {
            case let .scalar(s)?: [s.string]
            case let .sequence(s)?: s.compactMap { Self.str($0) }
            default: []
            }
        }
        var evidence: Evidence?
        if let e = Self.get(root, "evidence") {
            let confirmed = people(Self.get(e, "confirmed-by"))
            let refs = Self.list(Self.get(e, "references")).map {
                Evidence.Reference(title: Self.str(Self.get($0, "title")) ?? "", url: Self.str(Self.get($0, "url")))
            }
            evidence = Evidence(statement: Self.str(Self.get(e, "statement")) ?? "", confirmedBy: confirmed, references: refs,
                                date: Self.str(Self.get(e, "date")))
        }
        let table = Self.list(Self.get(kernelNode, "table")).map { row -> KernelStatus.TableRow in
            let d = Self.str(Self.get(row, "device"))
            return KernelStatus.TableRow(row: Int(Self.str(Self.get(row, "row")) ?? "") ?? 0,
                                         device: d == "any" ? nil : Self.hex(Self.get(row, "device")),
                                         vendorMacro: Self.str(Self.get(row, "vendor-macro")))
        }
        let kernel = KernelStatus(
            status: KernelStatus.Status(rawValue: Self.str(Self.get(kernelNode, "status")) ?? "") ?? .new,
            function: Self.str(Self.get(kernelNode, "function")), since: Self.str(Self.get(kernelNode, "since")),
            link: Self.str(Self.get(kernelNode, "link")), ackedBy: people(Self.get(kernelNode, "acked-by")), table: table,
            unlisted: KernelStatus.UnlistedAnswer(rawValue: Self.str(Self.get(kernelNode, "unlisted")) ?? "pass") ?? .pass,
            note: Self.str(Self.get(kernelNode, "note")))
        return QuirkEntry(schema: Int(Self.str(Self.get(root, "schema")) ?? "") ?? 1, vendor: vendor,
                          vendorName: Self.str(Self.get(root, "vendor-name")) ?? "", family: Self.str(Self.get(root, "family")) ?? "",
                          devices: devices, appliesTo: applies,
                          isolation: Isolation(kind: kind, acsEquivalent: flags,
                                               incompleteReason: Self.str(Self.get(isoNode, "incomplete-reason"))),
                          evidence: evidence, kernel: kernel)
    }
}

/// The registry: loading entries from files and directories, the kernel table view, lint.
public enum Registry {
    /// Whether `name` has a registry file's extension: `.yaml` or `.yml`, in any case
    /// (`SP-10GbE.YAML` is a registry file; `path-mismatch` says where it belongs).
    public static func isRegistryFileName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
    }

    /// Registry files under `paths`: a file is taken as is; a folder is walked recursively for
    /// registry files (`isRegistryFileName`), sorted by path. A file reached twice (a folder and
    /// a file inside it, the shipped registry given again with `--registry`) is listed once, as
    /// first reached. Nothing is skipped without a word: a path that does not exist is an
    /// `unreadable` error; a hidden registry file, or a hidden folder holding registry files, is
    /// skipped with a `hidden-file` warning naming it; a folder without any registry file is a
    /// `no-registry-files` error.
    public static func files(in paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
        var files: [String] = []
        var diagnostics: [Diagnostic] = []
        var seen = Set<String>()
        let fm = FileManager.default
        func add(_ f: String) { if seen.insert(canonical(f)).inserted { files.append(f) } }
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                diagnostics.append(Diagnostic(path: p, severity: .error, rule: LintRules.unreadable.id,
                                              message: "no such file or directory"))
                continue
            }
            if !isDir.boolValue { add(p); continue }
            func full(_ rel: String) -> String { p.hasSuffix("/") ? p + rel : p + "/" + rel }
            guard let it = fm.enumerator(atPath: p) else {
                diagnostics.append(Diagnostic(path: p, severity: .error, rule: LintRules.unreadable.id,
                                              message: "cannot read the folder"))
                continue
            }
            var found: [String] = []
            while let rel = it.nextObject() as? String {
                let name = (rel as NSString).lastPathComponent
                let isFolder = (it.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory
                if name.hasPrefix(".") {
                    if isFolder {
                        it.skipDescendants()
                        let inside = (fm.enumerator(atPath: full(rel))?.allObjects as? [String] ?? [])
                            .filter { isRegistryFileName(($0 as NSString).lastPathComponent) }.count
                        if inside > 0 {
                            diagnostics.append(Diagnostic(
                                path: full(rel), severity: LintRules.hiddenFile.severity, rule: LintRules.hiddenFile.id,
                                message: "hidden folder skipped, with the \(inside) registry file\(inside == 1 ? "" : "s") in it; "
                                    + "rename it without the leading '.' if \(inside == 1 ? "it is an entry" : "they are entries")"))
                        }
                    } else if isRegistryFileName(name) {
                        diagnostics.append(Diagnostic(
                            path: full(rel), severity: LintRules.hiddenFile.severity, rule: LintRules.hiddenFile.id,
                            message: "hidden file skipped; rename it without the leading '.' if it is an entry"))
                    }
                    continue
                }
                if !isFolder, isRegistryFileName(name) { found.append(full(rel)) }
            }
            if found.isEmpty {
                diagnostics.append(Diagnostic(path: p, severity: LintRules.noRegistryFiles.severity,
                                              rule: LintRules.noRegistryFiles.id,
                                              message: "no registry files (*.yaml) in this folder"))
            }
            found.sorted().forEach(add)
        }
        return (files, diagnostics)
    }

    /// Loads one file: its entry (nil when the file has any error) and the loader's diagnostics
    /// (file, YAML and schema problems; semantic rules run in `lint`).
    public static func load(file path: String) -> (entry: LoadedEntry?, diagnostics: [Diagnostic]) {
        let parsed = SourceReader.parse(path: path)
        guard let root = parsed.root else { return (nil, parsed.diagnostics) }
        return decode(root, path: path)
    }

    /// Loads one entry from YAML text as if it were the file `path` (tests, `acsquirk new`).
    public static func load(yaml: String, path: String) -> (entry: LoadedEntry?, diagnostics: [Diagnostic]) {
        load(bytes: Array(yaml.utf8), path: path)
    }

    /// Loads one entry from a file's bytes as if they were the file `path` (the `yaml` fuzz target).
    public static func load(bytes: [UInt8], path: String) -> (entry: LoadedEntry?, diagnostics: [Diagnostic]) {
        let parsed = SourceReader.parse(bytes: bytes, path: path)
        guard let root = parsed.root else { return (nil, parsed.diagnostics) }
        return decode(root, path: path)
    }

    static func decode(_ root: Node, path: String) -> (entry: LoadedEntry?, diagnostics: [Diagnostic]) {
        let r = decodePartial(root, path: path)
        return (r.diagnostics.hasErrors ? nil : r.entry, r.diagnostics)
    }

    /// `decode` that also returns the partial entry of a file with schema errors, and the fields
    /// with errors (lint runs the semantic rules that do not read them).
    static func decodePartial(_ root: Node, path: String)
        -> (entry: LoadedEntry?, diagnostics: [Diagnostic], tainted: Set<String>) {
        var dec = EntryDecoder(path: path)
        dec.check(root, RegistrySchema.entry, field: "", what: "the entry")
        let diags = dec.diagnostics.sorted()
        guard let entry = dec.build(root) else { return (nil, diags, dec.tainted) }
        let line: Int
        if case let .mapping(m) = root, let first = m.first { line = first.key.mark?.line ?? 1 } else { line = 1 }
        return (LoadedEntry(entry: entry, path: path, line: line, locations: dec.locations), diags, dec.tainted)
    }

    /// Loads every registry file under `paths` (files or directories, see `files(in:)`).
    /// Entries of files with errors are left out; `diagnostics` (sorted) says why. A missing path
    /// is an `unreadable` diagnostic (see `files(in:)` for folders). Semantic lint rules are not run here: see `lint(paths:)`.
    public static func load(paths: [String]) -> (entries: [LoadedEntry], diagnostics: [Diagnostic]) {
        let found = files(in: paths)
        let files = found.files
        var diags = found.diagnostics
        var entries: [LoadedEntry] = []
        for f in files {
            let (e, d) = load(file: f)
            if let e { entries.append(e) }
            diags += d
        }
        return (entries, diags.sorted())
    }
}
