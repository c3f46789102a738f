import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport
import Yams

/// The registry's documents as JSON, checked against the committed quirks/schema.json with a
/// real JSON Schema validator (python3-jsonschema), independently of the Swift loader.
func registrySchemaErrors(_ nodes: [Yams.Node]) async throws -> [[String]] {
    try await jsonSchemaErrors(nodes.map { JSONOutput.encode(RegistrySchema.jsonValue(of: $0)) }, schemaFile: quirksFolder + "/schema.json")
}

@Suite struct SchemaTests {
    func committedSchema() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: quirksFolder + "/schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func committedSchemaIsTheGeneratedOne() async throws {
        let committed = try String(contentsOfFile: quirksFolder + "/schema.json", encoding: .utf8)
        let generated = JSONOutput.encode(RegistrySchema.jsonSchema())
        let diff = committed == generated ? "" : await textDiff(expected: committed, actual: generated)
        #expect(committed == generated,
                "quirks/schema.json is stale: run `acsquirk lint --print-schema > quirks/schema.json`\n\(diff)")
    }

    @Test func schemaEnumsAreTheSwiftTypes() async throws {
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
        #expect(try await registrySchemaErrors([node]) == [[]])
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

    @Test func everyCommittedEntryValidatesAgainstTheSchema() async throws {
        let s = try committedSchema()
        #expect(s["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let files = yamlFiles(quirksFolder)
        #expect(files.count >= 30)
        var nodes: [Yams.Node] = []
        for f in files {
            let text = try String(contentsOfFile: quirksFolder + "/" + f, encoding: .utf8)
            nodes.append(try #require(try Yams.compose(yaml: text), "\(f)"))
        }
        for (f, errors) in zip(files, try await registrySchemaErrors(nodes)) { #expect(errors == [], "\(f)") }
    }

    /// The JSON Schema rejects what the loader's structural rules reject (unknown keys, missing
    /// keys, bad enum words) and accepts every good example: the two stay in step.
    @Test func schemaAgreesWithLoaderOnExamples() async throws {
        var bad: [(String, Yams.Node)] = [], good: [(String, Yams.Node)] = []
        for rule in [LintRules.unknownKey, LintRules.missingKey, LintRules.invalidValue] {
            for ex in rule.bad {
                let (bytes, _) = ex.files[0].materialize()
                let text = String(decoding: try #require(bytes), as: UTF8.self)
                bad.append((rule.id, try #require(try Yams.compose(yaml: text))))
            }
        }
        for rule in LintRules.all {
            for ex in rule.good {
                for f in ex.files {
                    let (bytes, _) = f.materialize()
                    let text = String(decoding: try #require(bytes), as: UTF8.self)
                    good.append(("\(rule.id) good example \(f.path)", try #require(try Yams.compose(yaml: text))))
                }
            }
        }
        #expect(bad.count >= 3 && good.count >= 10)
        for ((id, _), errors) in zip(bad, try await registrySchemaErrors(bad.map(\.1))) {
            #expect(!errors.isEmpty, "\(id) example accepted by schema.json")
        }
        for ((what, _), errors) in zip(good, try await registrySchemaErrors(good.map(\.1))) {
            #expect(errors == [], "\(what)")
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
