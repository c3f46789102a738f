import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport
import Yams

/// A small JSON Schema (draft 2020-12) validator for the keywords quirks/schema.json uses, so
/// that the committed schema is checked as JSON Schema, independently of the Swift loader.
struct MiniSchemaValidator {
    let root: [String: Any]
    static let known: Set<String> = ["$schema", "title", "description", "type", "properties", "required",
                                     "additionalProperties", "items", "minItems", "enum", "pattern", "minLength",
                                     "minimum", "maximum", "anyOf", "$ref", "$defs"]

    /// Every keyword used anywhere in the schema that this validator does not implement.
    func unknownKeywords(_ s: Any? = nil) -> Set<String> {
        guard let s = (s ?? root) as? [String: Any] else { return [] }
        var out = Set(s.keys).subtracting(Self.known)
        for (k, v) in s {
            switch k {
            case "properties", "$defs": for (_, sub) in (v as? [String: Any]) ?? [:] { out.formUnion(unknownKeywords(sub)) }
            case "items": out.formUnion(unknownKeywords(v))
            case "anyOf": for sub in (v as? [Any]) ?? [] { out.formUnion(unknownKeywords(sub)) }
            default: break
            }
        }
        return out
    }

    func errors(_ v: JSONValue, _ s: Any, at path: String = "") -> [String] {
        guard let s = s as? [String: Any] else { return ["\(path): schema is not an object"] }
        var errs: [String] = []
        if let ref = s["$ref"] as? String {
            let name = ref.replacingOccurrences(of: "#/$defs/", with: "")
            guard let defs = root["$defs"] as? [String: Any], let sub = defs[name] else { return ["\(path): bad $ref \(ref)"] }
            errs += errors(v, sub, at: path)
        }
        if let alts = s["anyOf"] as? [Any], !alts.contains(where: { errors(v, $0, at: path).isEmpty }) {
            errs.append("\(path): matches no alternative of anyOf")
        }
        if let words = s["enum"] as? [String] {
            if case let .string(x) = v, words.contains(x) {} else { errs.append("\(path): not one of \(words)") }
        }
        if let type = s["type"] as? String {
            switch (type, v) {
            case ("object", .object(let members)):
                let props = (s["properties"] as? [String: Any]) ?? [:]
                for (k, sub) in members {
                    if let ps = props[k] { errs += errors(sub, ps, at: "\(path)/\(k)") }
                    else if (s["additionalProperties"] as? Bool) == false { errs.append("\(path): additional property \(k)") }
                }
                for r in (s["required"] as? [String]) ?? [] where !members.contains(where: { $0.0 == r }) {
                    errs.append("\(path): missing \(r)")
                }
            case ("array", .array(let items)):
                if let min = s["minItems"] as? Int, items.count < min { errs.append("\(path): fewer than \(min) items") }
                if let item = s["items"] { for (i, x) in items.enumerated() { errs += errors(x, item, at: "\(path)/\(i)") } }
            case ("string", .string(let x)):
                if let min = s["minLength"] as? Int, x.count < min { errs.append("\(path): shorter than \(min)") }
                if let p = s["pattern"] as? String, x.range(of: p, options: .regularExpression) == nil {
                    errs.append("\(path): '\(x)' does not match \(p)")
                }
            case ("integer", .int(let x)):
                if let min = s["minimum"] as? Int, x < min { errs.append("\(path): below \(min)") }
                if let max = s["maximum"] as? Int, x > max { errs.append("\(path): above \(max)") }
            case ("boolean", .bool):
                break
            default:
                errs.append("\(path): expected \(type), found \(v)")
            }
        }
        return errs
    }
}

@Suite struct SchemaTests {
    func committedSchema() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: quirksFolder + "/schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func committedSchemaIsTheGeneratedOne() async throws {
        let committed = try String(contentsOfFile: quirksFolder + "/schema.json", encoding: .utf8)
        let generated = RegistrySchema.jsonSchema().serialized()
        let diff = committed == generated ? "" : await textDiff(expected: committed, actual: generated)
        #expect(committed == generated,
                "quirks/schema.json is stale: run `acsquirk lint --print-schema > quirks/schema.json`\n\(diff)")
    }

    @Test func schemaEnumsAreTheSwiftTypes() throws {
        let s = try committedSchema()
        func prop(_ path: [String]) -> [String: Any]? {
            var cur: [String: Any]? = s
            for p in path { cur = (cur?["properties"] as? [String: Any])?[p] as? [String: Any] }
            return cur
        }
        func enumValues(_ path: [String], items: Bool = false) -> [String]? {
            var p = prop(path)
            if items { p = p?["items"] as? [String: Any] }
            return p?["enum"] as? [String]
        }
        #expect(enumValues(["applies-to", "port-type"]) == AppliesTo.PortTypeCondition.allCases.map(\.rawValue))
        #expect(enumValues(["applies-to", "requires"], items: true) == AppliesTo.Requirement.allCases.map(\.rawValue))
        #expect(enumValues(["applies-to", "register-layout"]) == [ACSRegisterLayout.standard.rawValue, ACSRegisterLayout.intelSPTDword.rawValue])
        #expect(enumValues(["isolation", "kind"]) == Isolation.Kind.allCases.map(\.rawValue))
        #expect(enumValues(["isolation", "acs-equivalent"], items: true) == ACSFlags.names.map(\.short))
        #expect(enumValues(["kernel", "status"]) == KernelStatus.Status.allCases.map(\.rawValue))
        #expect(enumValues(["kernel", "unlisted"]) == ["pass", "not-isolated"])
        #expect(KernelStatus.UnlistedAnswer(rawValue: "not-isolated") == .notIsolated)
        // Every key the writer emits is a property of the schema (checked on a full entry).
        let full = QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: "x", devices: [.id(1), .range(first: 2, last: 3)],
                              appliesTo: AppliesTo(portType: .rootPort, multifunction: true, classID: 0x0604,
                                                   requires: AppliesTo.Requirement.allCases, registerLayout: .intelSPTDword),
                              isolation: Isolation(kind: .acsErratum, acsEquivalent: .all, incompleteReason: "r"),
                              evidence: Evidence(statement: "s", confirmedBy: ["A B <a@b.c>", "C D <c@d.e>"],
                                                 references: [.init(title: "t", url: "https://x.org/")], date: "2024-01-02"),
                              kernel: KernelStatus(status: .upstream, function: "f", since: "v6.3", link: "https://lore.kernel.org/r/1",
                                                   ackedBy: ["E F <e@f.g>"], table: [.init(row: 1, device: nil, vendorMacro: "PCI_VENDOR_ID_INTEL")],
                                                   unlisted: .notIsolated, note: "n"))
        let node = try #require(try Yams.compose(yaml: RegistryWriter.yaml(full)))
        let v = MiniSchemaValidator(root: s)
        #expect(v.errors(RegistrySchema.jsonValue(of: node), s) == [])
        // And the writer wrote every schema property for this full entry.
        func keys(_ j: JSONValue, _ prefix: String = "") -> Set<String> {
            guard case let .object(m) = j else {
                if case let .array(items) = j { return items.reduce(into: Set<String>()) { $0.formUnion(keys($1, prefix)) } }
                return []
            }
            return m.reduce(into: Set<String>()) { acc, kv in acc.insert(prefix + kv.0); acc.formUnion(keys(kv.1, prefix + kv.0 + ".")) }
        }
        func schemaKeys(_ s: [String: Any], _ prefix: String = "") -> Set<String> {
            var out = Set<String>()
            var props = (s["properties"] as? [String: Any]) ?? [:]
            if let items = s["items"] as? [String: Any] { return schemaKeys(items, prefix) }
            if let alts = s["anyOf"] as? [[String: Any]] { for a in alts { out.formUnion(schemaKeys(a, prefix)) } }
            for (k, sub) in props { out.insert(prefix + k); out.formUnion(schemaKeys(sub as! [String: Any], prefix + k + ".")) }
            props = [:]
            return out
        }
        #expect(keys(RegistrySchema.jsonValue(of: node)) == schemaKeys(s))
    }

    @Test func validatorImplementsEveryKeywordTheSchemaUses() throws {
        let s = try committedSchema()
        #expect(MiniSchemaValidator(root: s).unknownKeywords().isEmpty)
        #expect(s["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test func everyCommittedEntryValidatesAgainstTheSchema() throws {
        let s = try committedSchema()
        let v = MiniSchemaValidator(root: s)
        let files = yamlFiles(quirksFolder)
        #expect(files.count >= 30)
        for f in files {
            let text = try String(contentsOfFile: quirksFolder + "/" + f, encoding: .utf8)
            let node = try #require(try Yams.compose(yaml: text))
            #expect(v.errors(RegistrySchema.jsonValue(of: node), s) == [], "\(f)")
        }
    }

    /// The JSON Schema rejects what the loader's structural rules reject (unknown keys, missing
    /// keys, bad enum words) and accepts every good example: the two stay in step.
    @Test func schemaAgreesWithLoaderOnExamples() throws {
        let s = try committedSchema()
        let v = MiniSchemaValidator(root: s)
        for rule in [LintRules.unknownKey, LintRules.missingKey, LintRules.invalidValue] {
            for ex in rule.bad {
                let (bytes, _) = ex.files[0].materialize()
                let text = String(decoding: try #require(bytes), as: UTF8.self)
                let node = try #require(try Yams.compose(yaml: text))
                #expect(!v.errors(RegistrySchema.jsonValue(of: node), s).isEmpty, "\(rule.id) example accepted by schema.json")
            }
        }
        for rule in LintRules.all {
            for ex in rule.good {
                for f in ex.files {
                    let (bytes, _) = f.materialize()
                    let text = String(decoding: try #require(bytes), as: UTF8.self)
                    let node = try #require(try Yams.compose(yaml: text))
                    #expect(v.errors(RegistrySchema.jsonValue(of: node), s) == [], "\(rule.id) good example \(f.path)")
                }
            }
        }
    }
}

@Suite struct DocumentationTests {
    /// docs/registry.md documents every rule and every key (so the reference cannot fall behind).
    @Test func registryDocsNameEveryRuleAndKey() throws {
        let doc = try String(contentsOfFile: Fixtures.repoPath("docs/registry.md"), encoding: .utf8)
        for r in LintRules.all {
            #expect(doc.contains("| `\(r.id)` | \(r.severity.rawValue) |"), "docs/registry.md lacks rule \(r.id)")
        }
        func keys(_ t: SchemaType, _ prefix: String) -> [String] {
            switch t {
            case let .object(props): props.flatMap { p -> [String] in
                if case .object = p.type { return keys(p.type, prefix + p.name + ".") }
                return [prefix + p.name] + keys(p.type, prefix + p.name + ".")
            }
            case let .array(item, _): keys(item, prefix)
            case let .choice(alts): alts.flatMap { keys($0, prefix) }
            default: []
            }
        }
        for k in keys(RegistrySchema.entry, "") where !k.hasPrefix("devices.") && !k.hasPrefix("kernel.table.")
            && !k.hasPrefix("evidence.references.") {
            #expect(doc.contains("| `\(k)` |"), "docs/registry.md lacks key \(k)")
        }
        let contributing = try String(contentsOfFile: Fixtures.repoPath("CONTRIBUTING.md"), encoding: .utf8)
        #expect(contributing.contains("acsquirk patch --kernel-tree DIR --out DIR"))
        #expect(contributing.contains("acsquirk lint"))
    }
}
