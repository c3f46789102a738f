import Foundation
import KernelOutput
import PCIConfig
import Registry
import TestSupport

/// The test registry of Tests/Fixtures/kernel-output/registry (lint-clean, also together with
/// quirks/), plus an entry the kernel already covers (covered/) and one with hostile text
/// (hostile/, fails lint on purpose: the CLI refuses it; the library must still keep its text
/// inside comments). All are also built in code (the YAML files and these values must agree; see
/// RegistryAgreementTests). Every family here is invented for testing the generator
/// ("TEST-ONLY"); none is a vendor confirmation.
enum TestRegistry {
    static let directory = Fixtures.path("kernel-output/registry")
    static let coveredDirectory = Fixtures.path("kernel-output/covered")
    static let hostileDirectory = Fixtures.path("kernel-output/hostile")

    static func path(_ name: String) -> String { "Tests/Fixtures/kernel-output/registry/\(name).yaml" }

    static let confirmer = "Jane Example <jane@example.com>"

    static func evidence(_ statement: String, date: String = "2025-01-15") -> Evidence {
        Evidence(statement: statement, confirmedBy: [confirmer],
                 references: [Evidence.Reference(title: "Vendor statement", url: "https://example.com/acs/statement")],
                 date: date)
    }

    /// A multifunction endpoint of a vendor with no rows and no pci_ids.h macro: rows calling
    /// pci_quirk_mf_endpoint_acs (no conditions, SV|TB|RR|CR|UF|DT).
    static let exampleNIC = LoadedEntry(entry: QuirkEntry(
        vendor: 0x1f2a, vendorName: "Example Silicon", family: "XS-100 TEST-ONLY NIC",
        devices: [.id(0x0100), .id(0x0101)],
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
        evidence: evidence("Example Silicon has verified that the XS-100 functions cannot perform peer-to-peer "
            + "transactions with each other: the device forwards every request from a function upstream."),
        kernel: KernelStatus(status: .new)), path: path("example-silicon/xs-100-test-only-nic"), line: 1)

    /// Multifunction Ethernet endpoints (class 0x0200) reporting SV|RR|CR|UF: a function of their
    /// own that checks the type, multifunction and class (the mf rows would claim more).
    static let exampleXS200 = LoadedEntry(entry: QuirkEntry(
        vendor: 0x1f2a, vendorName: "Example Silicon", family: "XS-200 TEST-ONLY",
        devices: [.id(0x0110), .id(0x0111)],
        appliesTo: AppliesTo(portType: .endpoint, multifunction: true, classID: 0x0200),
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .linuxRequired),
        evidence: evidence("Example Silicon has verified that the functions of the XS-200 Ethernet controllers never "
            + "perform peer-to-peer transactions with each other."),
        kernel: KernelStatus(status: .new)), path: path("example-silicon/xs-200-test-only"), line: 1)

    /// A new ID for a vendor with rows (Intel multifunction endpoints): rows next to Intel's
    /// multifunction rows, before the vendor-wide RCiEP row.
    static let intelNIC = LoadedEntry(entry: QuirkEntry(
        vendor: 0x8086, vendorName: "Intel", family: "TEST-ONLY I999",
        devices: [.id(0x7ff0), .id(0x7ff1)],
        appliesTo: AppliesTo(portType: .endpoint),
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
        evidence: evidence("Intel has verified that the I999 functions do not perform peer-to-peer transactions "
            + "between each other."),
        kernel: KernelStatus(status: .new)), path: path("intel/test-only-i999"), line: 1)

    /// Root ports that need a new function (vendor with a pci_ids.h macro but no rows).
    static let synopsysRP = LoadedEntry(entry: QuirkEntry(
        vendor: 0x16c3, vendorName: "Synopsys", family: "TEST-ONLY RP",
        devices: [.id(0x7ff0), .id(0x7ff2)],
        appliesTo: AppliesTo(portType: .rootPort),
        isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
        evidence: evidence("Synopsys has verified that these Root Ports never forward peer-to-peer transactions to "
            + "each other: every request is sent upstream to the host bridge, and requests with a bus number "
            + "outside the port's range are rejected."),
        kernel: KernelStatus(status: .new)), path: path("synopsys/test-only-rp"), line: 1)

    /// A new Wangxun ID behind the vendor-wide row that answers "not isolated" for unlisted IDs,
    /// claiming what pci_quirk_wangxun_nic_acs() reports (SV|RR|CR|UF): its switch is extended.
    static let wangxunNIC = LoadedEntry(entry: QuirkEntry(
        vendor: 0x8088, vendorName: "Wangxun", family: "TEST-ONLY 10GbE",
        devices: [.id(0x7ff0), .id(0x7ff1)],
        appliesTo: AppliesTo(portType: .any),
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .linuxRequired),
        evidence: evidence("Wangxun has verified that there is no peer-to-peer between the functions of these NICs."),
        kernel: KernelStatus(status: .new)), path: path("wangxun/test-only-10gbe"), line: 1)

    /// Wangxun IDs behind the same row, claiming more than that function reports
    /// (SV|TB|RR|CR|UF|DT): a new function whose row goes before the vendor-wide row.
    static let wangxun25G = LoadedEntry(entry: QuirkEntry(
        vendor: 0x8088, vendorName: "Wangxun", family: "TEST-ONLY 25GbE",
        devices: [.id(0x7ff8), .id(0x7ff9)],
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
        evidence: evidence("Wangxun has verified that the functions of these NICs never perform peer-to-peer transactions "
            + "with each other, translated or not."),
        kernel: KernelStatus(status: .new)), path: path("wangxun/test-only-25gbe"), line: 1)

    /// Zhaoxin ports: a range, behind the sticky Zhaoxin ports row: extends its switch.
    static let zhaoxinPorts = LoadedEntry(entry: QuirkEntry(
        vendor: 0x1d17, vendorName: "Zhaoxin", family: "TEST-ONLY Root Ports",
        devices: [.range(first: 0x7f00, last: 0x7f07), .id(0x7f10)],
        appliesTo: AppliesTo(portType: .rootOrDownstreamPort),
        isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
        evidence: evidence("Zhaoxin has verified that these Root Ports and Switch Downstream Ports block "
            + "peer-to-peer transactions between each other."),
        kernel: KernelStatus(status: .new)), path: path("zhaoxin/test-only-root-ports"), line: 1)

    /// Intel PCH root ports that rely on the RCBA workaround: extends pci_quirk_intel_pch_acs_ids[].
    static let intelPCH = LoadedEntry(entry: QuirkEntry(
        vendor: 0x8086, vendorName: "Intel", family: "TEST-ONLY PCH",
        devices: [.range(first: 0x7fe0, last: 0x7fe3)],
        appliesTo: AppliesTo(portType: .rootPort, requires: [.intelPCHRCBAWorkaround]),
        isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
        evidence: evidence("Intel has verified that these PCH Root Ports provide the same ACS-like controls as "
            + "the ports listed in Red Hat bugzilla 1037684."),
        kernel: KernelStatus(status: .new)), path: path("intel/test-only-pch"), line: 1)

    /// Switch downstream ports with a range: a new function holding a switch, one PCI_ANY_ID row.
    static let exampleSwitch = LoadedEntry(entry: QuirkEntry(
        vendor: 0x1f2b, vendorName: "Example Switches", family: "ES-8 TEST-ONLY",
        devices: [.range(first: 0x0200, last: 0x020f)],
        appliesTo: AppliesTo(portType: .downstreamPort),
        isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
        evidence: evidence("Example Switches has verified that the ES-8 downstream ports never route peer-to-peer "
            + "requests between each other; all requests go to the upstream port."),
        kernel: KernelStatus(status: .new)), path: path("example-switches/es-8-test-only"), line: 1)

    /// IDs the kernel already covers (I219): no patch, reported. (With quirks/ lint reports it as
    /// a duplicate; alone, it stands for an entry the tree got after the registry was made.)
    static let coveredI219 = LoadedEntry(entry: QuirkEntry(
        vendor: 0x8086, vendorName: "Intel", family: "I219 TEST-ONLY duplicate",
        devices: [.id(0x15b7), .id(0x15b8)],
        appliesTo: AppliesTo(portType: .any, multifunction: true),
        isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
        evidence: evidence("Intel has verified that the I219 functions do not perform peer-to-peer transactions."),
        kernel: KernelStatus(status: .new)), path: "Tests/Fixtures/kernel-output/covered/intel/i219-test-only-duplicate.yaml", line: 1)

    /// Text that tries to break out of comments, the commit message and the mbox.
    static let hostile = LoadedEntry(entry: QuirkEntry(
        vendor: 0x1f2c, vendorName: "Evil */ int pwned = 1; /* Corp",
        family: "\"Q\\\" ??/ ??= Ünïcödé --- TEST-ONLY",
        devices: [.id(0x0001), .id(0x0002)],
        appliesTo: AppliesTo(portType: .rootPort),
        isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
        evidence: Evidence(
            statement: "Evil Corp verified */ #define pci_acs_ctrl_enabled(a, b) 1 /* that the ports block "
                + "peer-to-peer ??/\nFrom nobody Mon Sep 17 00:00:00 2001\n---\ndiff --git a/x b/x\n"
                + "Index: x\n|verbatim? \\\n\nSigned-off-by: Mallory <m@evil.example>\n"
                + "A very long word: " + String(repeating: "Peer2Peer", count: 20) + " and Ω≈ç√∫ text.\n"
                + "// a line comment \\\n*/ /* /* */",
            confirmedBy: ["Ëve \"Q.\" Evil <eve@evil.example>"],
            references: [Evidence.Reference(title: "Statement */ with /* markers", url: "https://evil.example/a*/b?c=d"),
                         Evidence.Reference(title: "A reference without a link ??/")],
            date: "2024-02-29"),
        kernel: KernelStatus(status: .new)), path: "Tests/Fixtures/kernel-output/hostile/hostile.yaml", line: 1)

    /// The lint-clean entries of registry/ (what `acsquirk patch --registry registry/` uses).
    static let registry: [LoadedEntry] = [
        exampleNIC, exampleXS200, intelNIC, synopsysRP, wangxunNIC, wangxun25G, zhaoxinPorts, intelPCH, exampleSwitch,
    ]

    /// The entries that make the patch series of the proofs on the real trees: the registry, the
    /// covered entry (no patch) and the hostile one.
    static let series: [LoadedEntry] = registry + [coveredI219, hostile]
}

/// The kernel trees of the series the tests use (`KernelTreeCache`: the installed packages'
/// versions, unpacked by scripts/kernel-trees.sh).
enum KernelTrees {
    static let versions = KernelTreeCache.series

    /// The unpacked tree, or an error telling how to get it.
    static func tree(_ v: String) throws -> String { try KernelTreeCache.tree(v) }

    static func quirks(_ v: String) throws -> (text: String, macros: VendorMacros) {
        let root = try tree(v)
        let text = try String(contentsOfFile: (root as NSString).appendingPathComponent(QuirksSource.relativePath), encoding: .utf8)
        let ids = try String(contentsOfFile: (root as NSString).appendingPathComponent("include/linux/pci_ids.h"), encoding: .utf8)
        return (text, VendorMacros(pciIDsHeader: ids))
    }

    static func templates() throws -> TemplateSet { try TemplateSet(directory: Fixtures.repoPath("templates")) }
}
