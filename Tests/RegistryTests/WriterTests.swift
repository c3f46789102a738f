import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport

@Suite struct WriterTests {
    func roundTrip(_ e: QuirkEntry, sourceLocation: SourceLocation = #_sourceLocation) throws -> QuirkEntry? {
        let text = RegistryWriter.yaml(e)
        let r = Registry.load(yaml: text, path: "x.yaml")
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics.map(\.description))\n\(text)", sourceLocation: sourceLocation)
        return r.entry?.entry
    }

    /// load -> write -> load gives equal entries, and the writer reproduces the committed bytes.
    @Test func committedFilesRoundTripByteForByte() throws {
        let (entries, diags) = Registry.load(paths: [quirksFolder])
        #expect(diags.isEmpty)
        #expect(entries.count >= 30)
        for le in entries {
            let written = RegistryWriter.yaml(le.entry)
            let committed = try String(contentsOfFile: le.path, encoding: .utf8)
            #expect(written == committed, "\(le.path) is not in the writer's canonical form")
            #expect(try roundTrip(le.entry) == le.entry, "\(le.path)")
        }
    }

    @Test(arguments: [
        "plain text", "82576", "0x10c6", "1e10", "true", "no", "null", "~", "2023-02-10", "12:30",
        "- dash first", "key: value", "hash #not comment", "trailing colon:", " leading space", "trailing space ",
        "quote \" and 'single'", "back\\slash", "tab\there", "bell\u{07}", "unicode ✓ Ω 𝄞", "[flow]", "{map}",
        "*star", "&amp", "!tag", "%percent", "@at", "`tick", "|pipe", ">gt", "<<", "=", "",
        "line one\nline two", "para one\n\npara two", "\nleading newline", "trailing newline\n", "two  spaces\nx",
        "line with trailing space \nnext", " indented\nnext",
        String(repeating: "long words ", count: 40) + "end",
        String(repeating: "x", count: 150),
        "a\n\n\nb", "nel\u{85}here", "ls\u{2028}here", "bom\u{feff}",
    ])
    func stringsRoundTrip(_ s: String) throws {
        for field in 0..<4 {
            var e = QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: "f", devices: [.id(1)],
                               isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .linuxRequired),
                               evidence: Evidence(statement: "s", confirmedBy: ["A B <a@b.c>"], references: [.init(title: "t")]),
                               kernel: KernelStatus(status: .new))
            switch field {
            case 0: e.family = s
            case 1: e.evidence?.statement = s
            case 2: e.evidence?.references[0].title = s
            default: e.kernel.note = s
            }
            if s.isEmpty { continue } // empty plain values are rejected by design; quoted "" is tested below
            #expect(try roundTrip(e) == e, "field \(field): \(s.debugDescription)")
        }
    }

    @Test func emptyStringIsQuotedAndKept() throws {
        let e = QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: "f", devices: [.id(1)],
                           isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .linuxRequired),
                           evidence: Evidence(statement: ""), kernel: KernelStatus(status: .upstream))
        #expect(RegistryWriter.yaml(e).contains("statement: \"\"\n"))
        #expect(try roundTrip(e) == e)
    }

    @Test func formIsCanonical() async throws {
        let e = QuirkEntry(vendor: 0x10DF, vendorName: "Emulex", family: "Skyhawk-R",
                           devices: [.id(0x720), .range(first: 0xA000, last: 0xA7FF)],
                           appliesTo: AppliesTo(portType: .rootPort, classID: 0x0604),
                           isolation: Isolation(kind: .portsIsolated, acsEquivalent: [.uf, .sv, .cr, .rr]),
                           evidence: Evidence(statement: "Blocks peer-to-peer.", date: "2024-05-06"),
                           kernel: KernelStatus(status: .upstream, function: "pci_quirk_x", since: "v6.3",
                                                table: [.init(row: 70, device: 0x720), .init(row: 71, device: nil, vendorMacro: "PCI_VENDOR_ID_X")]))
        let expected = """
            schema: 1
            vendor: 0x10df
            vendor-name: Emulex
            family: Skyhawk-R
            devices:
              - 0x0720
              - {first: 0xa000, last: 0xa7ff}
            applies-to:
              port-type: root-port
              class: 0x0604
            isolation:
              kind: ports-isolated
              acs-equivalent: [SV, RR, CR, UF]
            evidence:
              statement: Blocks peer-to-peer.
              date: "2024-05-06"
            kernel:
              status: upstream
              function: pci_quirk_x
              since: v6.3
              table:
                - {row: 70, device: 0x0720}
                - {row: 71, device: any, vendor-macro: PCI_VENDOR_ID_X}

            """
        let got = RegistryWriter.yaml(e)
        let diff = got == expected ? "" : await textDiff(expected: expected, actual: got)
        #expect(got == expected, "\(diff)")
        #expect(RegistryWriter.path(for: e, root: "quirks/") == "quirks/emulex/skyhawk-r.yaml")
        #expect(try roundTrip(e) == e)
    }

    @Test func slugs() {
        #expect(Registry.slug("SP 10GbE") == "sp-10gbe")
        #expect(Registry.slug("LX2xx0/LX2xx2") == "lx2xx0-lx2xx2")
        #expect(Registry.slug("  Amazon  Annapurna Labs ") == "amazon-annapurna-labs")
        #expect(Registry.slug("82598/82599 10GbE") == "82598-82599-10gbe")
        #expect(Registry.slug("Zhaoxin ®") == "zhaoxin")
    }
}
