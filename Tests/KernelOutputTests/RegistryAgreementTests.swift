import Foundation
import KernelOutput
import PCIConfig
import Registry
import Testing
import TestSupport

/// The registry loader, the importer's quirks/ and this module agree.
struct RegistryAgreementTests {
    /// The YAML test registry loads without errors and equals the entries built in code.
    @Test func yamlTestRegistryEqualsTheCodeRegistry() throws {
        let (entries, diagnostics) = Registry.load(paths: [TestRegistry.directory])
        #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.description))")
        #expect(entries.count == TestRegistry.series.count)
        for code in TestRegistry.series {
            let name = (code.path as NSString).lastPathComponent
            let yaml = try #require(entries.first { ($0.path as NSString).lastPathComponent == name }, "\(name)")
            #expect(yaml.entry == code.entry, "\(name)")
            #expect(yaml.line == 1)
        }
    }

    static func committedRegistry() throws -> [LoadedEntry] {
        let (entries, diagnostics) = Registry.load(paths: [Fixtures.repoPath("quirks")])
        #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.description))")
        try #require(entries.count >= 30)
        return entries
    }

    /// The rows of the imported upstream entries, rendered by the generator, are the kernel's own
    /// table rows (hex written as 0x%04x, trailing comments aside), in the kernel's order.
    @Test(arguments: KernelTrees.versions)
    func importedUpstreamRowsRegenerateTheKernelTable(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let source = try QuirksSource(text: text, macros: macros)
        let upstream = try Self.committedRegistry().map(\.entry)
        let model = QuirkTableModel(upstream: upstream)
        let renderer = CodeRenderer(templates: try KernelTrees.templates())
        let generated = model.rows.flatMap {
            renderer.tableRows(vendor: $0.vendorSpelling, devices: [$0.device], function: $0.function, comment: nil)
        }
        let kernel = source.table.rows.map { UpstreamFixture.normalized(source.lines[$0.line - 1]) }
        #expect(generated.count == 132)
        if generated != kernel {
            let diffs = zip(generated, kernel).filter { $0.0 != $0.1 }.map { "registry: \($0.0)\nkernel:   \($0.1)" }
            Issue.record("rows differ:\n\(diffs.joined(separator: "\n"))")
        }
    }

    /// The table built from the imported entries answers like the table read from the tree, for
    /// every listed ID (ranges sampled) and every port type.
    @Test(arguments: KernelTrees.versions)
    func importedEntriesAnswerLikeTheTree(version: String) throws {
        let (text, macros) = try KernelTrees.quirks(version)
        let tree = QuirkTableModel(source: try QuirksSource(text: text, macros: macros))
        let entries = try Self.committedRegistry().map(\.entry)
        let registry = QuirkTableModel(upstream: entries)
        func category(_ a: QuirkAnswer?) -> String {
            switch a {
            case nil: "none"
            case .pass?: "pass"
            case .isolated?: "isolated"
            case .notIsolated?: "not-isolated"
            case .conditional?: "conditional"
            }
        }
        var devices: [(UInt16, UInt16)] = []
        for e in entries {
            for d in e.devices {
                switch d {
                case let .id(x): devices.append((e.vendor, x))
                case let .range(a, b): devices += [(e.vendor, a), (e.vendor, b), (e.vendor, a &+ (b &- a) / 2)]
                }
            }
            devices += [(e.vendor, 0x7ff7), (e.vendor, 0x0000)]
        }
        var compared = 0
        for (v, d) in devices {
            for t in [PCIExpressPortType.endpoint, .legacyEndpoint, .rootPort, .downstreamPort, .upstreamPort, .rcIntegratedEndpoint] {
                let a = tree.answer(vendor: v, device: d, type: t), b = registry.answer(vendor: v, device: d, type: t)
                let what = "\(hex(v, width: 4)):\(hex(d, width: 4)) \(t): tree \(a.map { "\($0.row.label) \($0.answer)" } ?? "none"), "
                    + "registry \(b.map { "\($0.row.label) \($0.answer)" } ?? "none")"
                #expect(category(a?.answer) == category(b?.answer) && a?.row.position == b?.row.position, "\(what)")
                compared += 1
            }
        }
        #expect(compared > 1000)
    }

    /// Every upstream entry of the committed registry is reported as covered by the tree.
    @Test func upstreamEntriesAreCoveredByTheTree() throws {
        let (text, macros) = try KernelTrees.quirks("6.12")
        let model = QuirkTableModel(source: try QuirksSource(text: text, macros: macros))
        for e in try Self.committedRegistry() where e.entry.kernel.status == .upstream {
            // Intel's RCiEP entry covers 0x0000-0xffff: sample it.
            var probe = e
            if e.entry.devices.first.map({ $0.ids.count > 4096 }) == true { probe.entry.devices = [.id(0x1234), .id(0xffff)] }
            let cov = EntryCoverage(entry: probe.entry, model: model)
            #expect(cov.isFullyCovered, "\(e.path): uncovered \(cov.uncovered.map { hex($0, width: 4) })")
        }
    }
}
