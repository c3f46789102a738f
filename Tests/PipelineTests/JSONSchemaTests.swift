import Foundation
import Pipeline
import Testing
import TestSupport

/// Every command's `--format json` output, on real dumps and the shipped registry, against its
/// published schema (docs/schemas/), with python3-jsonschema.
@Suite struct JSONSchemaTests {
    static let x58 = Fixtures.path("machines/x58-asus-p6t6-nf200/dump.txt")
    static let ivb = Fixtures.path("machines/ivb-latitude-e6430-nvs5200m/dump.txt")
    static let multidomain = Fixtures.path("machines/fsl-p2020-multidomain/dump.txt")
    static let shortDump = Fixtures.path("machines/arm-n1sdp-pex8749/dump.txt")

    /// (schema, arguments, expected exit status).
    static let outputs: [(String, [String], Int32)] = [
        ("scan", ["scan", "--dump", x58, "--format", "json"], 0),
        ("scan", ["scan", "--dump", multidomain, "--format", "json", "-d", "::0604"], 0),
        ("scan", ["scan", "--dump", shortDump, "--format", "json"], 0),
        ("scan", ["scan", "--dump", Fixtures.path("malformed/11-header-8-digit-domain.txt"), "--format", "json"], 0),
        ("scan", ["scan", "--format", "json"], 0),
        ("groups", ["groups", "--dump", x58, "--format", "json"], 0),
        ("groups", ["groups", "--dump", x58, "--format", "json", "--with-registry", "--quirk", "8086:3a40"], 0),
        ("groups", ["groups", "--dump", ivb, "--format", "json", "--assume-iommu", "-s", "0:1c"], 0),
        ("groups", ["groups", "--dump", multidomain, "--format", "json"], 0),
        // groupsNotFormedByACS (a PE-based POWER machine), downstreamPorts and vfio.ports/hostDevices.
        ("groups", ["groups", "--dump", Fixtures.path("machines/ppc64le-talos2-power9-phb4/dump.txt"), "--format", "json"], 0),
        ("groups", ["groups", "--dump", Fixtures.path("qemu-sriov/switch-rootports/default/6.12/dump.txt"), "--format", "json"], 0),
        // SR-IOV VFs (physfn, vfio), and VFs of the what-if.
        ("groups", ["groups", "--dump", Fixtures.path("qemu-sriov/switch-rootports/vfs-3/6.12/dump.txt"), "--format", "json"], 0),
        ("groups", ["groups", "--dump", Fixtures.path("qemu-sriov/rciep/default/6.1/dump.txt"), "--format", "json", "--sriov", "00:06.0=4"], 0),
        ("check", ["check", "--dump", x58, "--format", "json"], 0),
        ("check", ["check", "--dump", ivb, "--format", "json", "--kernel", "6.1"], 0),
        ("lint", ["lint", "quirks", "--format", "json"], 0),
        ("lint", ["lint", "/nonexistent/quirks", "--format", "json"], 2),
        ("show", ["show", "8086:3a40", "--format", "json"], 0),
        ("show", ["show", "1234:5678", "--format", "json"], 1),
        ("survey", ["survey", Fixtures.path("lspci-reports"), Fixtures.path("qemu/b-switch"), "--format", "json"], 0),
        ("scan", ["scan", "--dump", Fixtures.path("lspci-reports/aio-asus-m3400-amd-renoir-iommu.txt"), "--format", "json"], 0),
        ("groups", ["groups", "--dump", Fixtures.path("lspci-reports/aio-asus-m3400-amd-renoir-iommu.txt"), "--format", "json"], 0),
        ("groups", ["groups", "--dump", cmdlineDefault, "--format", "json", "--cmdline", "intel_iommu=off"], 0),
        ("groups", ["groups", "--dump", Fixtures.path("qemu-cmdline/c-mf-endpoint/default/6.12/dump.txt"), "--format", "json",
                    "--cmdline", "quiet pcie_acs_override=downstream,multifunction pci=disable_acs_redir=00:01.0"], 0),
        ("check", ["check", "--dump", cmdlineDefault, "--format", "json", "--cmdline", "iommu=off"], 0),
        ("check", ["check", "--dump", cmdlineDefault, "--format", "json", "--kernel", "6.1", "--cmdline", "pci=config_acs=x@00:01.0"], 0),
    ]
    static let cmdlineDefault = Fixtures.path("qemu-cmdline/a-rootports/default/6.12/dump.txt")

    @Test(arguments: outputs.indices)
    func outputValidates(_ i: Int) async throws {
        let (schema, args, status) = Self.outputs[i]
        guard let r = try await acsquirk(args) else { return }
        #expect(r.status == status, "\(args): \(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(args)")
        #expect(doc["format"] as? String == "acsquirk-\(schema)/1", "\(args)")
        let errors = try await jsonSchemaErrors(r.stdout, schema: schema)
        #expect(errors.isEmpty, "\(args.joined(separator: " ")) against docs/schemas/\(schema).schema.json:\n\(errors.joined(separator: "\n"))")
    }

    /// A lint run with a diagnostic at a line (a YAML syntax error) validates too.
    @Test func lintWithDiagnosticsValidates() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let file = dir.appendingPathComponent("broken.yaml")
            try "schema: 1\nvendor: [0x8086\n".write(to: file, atomically: true, encoding: .utf8)
            guard let r = try await acsquirk(["lint", "--format", "json", dir.path]) else { return }
            #expect(r.status == 1)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect((doc["diagnostics"] as? [[String: Any]])?.first?["line"] as? Int != nil)
            let errors = try await jsonSchemaErrors(r.stdout, schema: "lint")
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    /// The schemas are strict: a record without a key, an unknown key, another format version or a
    /// malformed BDF is refused (so the tests above can fail).
    @Test func schemasRefuseWhatTheOutputsNeverHold() async throws {
        guard let r = try await acsquirk(["scan", "--dump", Self.x58, "--format", "json"]) else { return }
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        func errors(_ d: [String: Any]) async throws -> [String] {
            let data = try JSONSerialization.data(withJSONObject: d)
            return try await jsonSchemaErrors(String(decoding: data, as: UTF8.self), schema: "scan")
        }
        #expect(try await errors(doc).isEmpty)
        var functions = try #require(doc["functions"] as? [[String: Any]])
        let first = functions[0]
        functions[0].removeValue(forKey: "driver")
        doc["functions"] = functions
        #expect(try await errors(doc).contains { $0.hasPrefix("/functions/0: 'driver' is a required property") })
        functions[0] = first
        functions[0]["bdf"] = "00:00.0"
        doc["functions"] = functions
        #expect(try await errors(doc).contains { $0.hasPrefix("/functions/0/bdf:") })
        functions[0] = first
        doc["functions"] = functions
        doc["extra"] = 1
        #expect(try await errors(doc).count == 1)
        doc.removeValue(forKey: "extra")
        doc["format"] = "acsquirk-scan/2"
        #expect(try await errors(doc).contains { $0.hasPrefix("/format:") })
    }

    /// The check schema's rule words are `CheckRule`'s, in the same order.
    @Test func checkSchemaRulesAreTheSwiftRules() throws {
        let url = URL(fileURLWithPath: Fixtures.repoPath("docs/schemas/check.schema.json"))
        let s = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let finding = ((s["$defs"] as? [String: Any])?["finding"] as? [String: Any])?["properties"] as? [String: Any]
        #expect((finding?["rule"] as? [String: Any])?["enum"] as? [String] == CheckRule.allCases.map(\.rawValue))
    }

    /// One schema per command that writes JSON, each declaring the format it describes.
    @Test func everyJSONCommandHasItsSchema() throws {
        let folder = Fixtures.repoPath("docs/schemas")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".schema.json") }.sorted()
        #expect(names == ["check", "groups", "lint", "scan", "show", "survey"].map { "\($0).schema.json" })
        for n in names {
            let s = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/" + n))) as? [String: Any])
            let format = ((s["properties"] as? [String: Any])?["format"] as? [String: Any])?["const"] as? String
            #expect(format == "acsquirk-\(n.dropLast(".schema.json".count))/1", "\(n)")
            #expect(s["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        }
    }
}
