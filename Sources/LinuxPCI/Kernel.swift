#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIConfig
import Registry

/// A Linux release: `6.12`, `6.12.117`, `5.9.3` (major, minor and, for a stable release, the
/// sublevel). Ordered as releases are: a release without a sublevel sorts as `.0`.
public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    /// The stable sublevel (`117` of `6.12.117`), `nil` for a mainline release.
    public var sublevel: Int?

    public init(_ major: Int, _ minor: Int, _ sublevel: Int? = nil) {
        self.major = major
        self.minor = minor
        self.sublevel = sublevel
    }

    /// Parses `6.12`, `6.12.117` or `v6.12`; nil for anything else. The grammar is the registry's
    /// (`KernelRelease`, what `kernel.since` holds), without its `<=`.
    public init?(_ text: String) {
        guard let r = KernelRelease(text.hasPrefix("v") ? text : "v" + text), !r.upperBound else { return nil }
        self.init(r.major, r.minor, r.sublevel)
    }

    /// The `major.minor` at the start of a kernel release string (`uname -r`, `6.1.0-40-amd64`,
    /// `6.18.3+deb13-amd64`); nil when there is none.
    public init?(release: String) {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        self.init(parts[0], parts[1])
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.sublevel ?? 0) < (b.major, b.minor, b.sublevel ?? 0)
    }

    /// `6.12`, `6.12.117`.
    public var description: String { "\(major).\(minor)" + (sublevel.map { ".\($0)" } ?? "") }
}

extension KernelVersion {
    /// The release line (`6.12` of `6.12.117`): the mainline release, without a sublevel.
    public var line: KernelVersion { KernelVersion(major, minor) }

    /// The line before this one (`5.19` before `6.0`), nil before 5.0; the last minor of each
    /// major is `KernelProfile.lastMinor`.
    public var previousLine: KernelVersion? {
        if minor > 0 { return KernelVersion(major, minor - 1) }
        return KernelProfile.lastMinor[major - 1].map { KernelVersion(major - 1, $0) }
    }
}

/// One row of `pci_dev_acs_enabled[]` (drivers/pci/quirks.c) as the kernel keys it: vendor,
/// device (`nil`: PCI_ANY_ID) and the quirk function.
public struct QuirkRowKey: Hashable, Sendable, CustomStringConvertible {
    public var vendor: UInt16
    public var device: UInt16?
    public var function: String

    public init(_ vendor: UInt16, _ device: UInt16?, _ function: String) {
        self.vendor = vendor
        self.device = device
        self.function = function
    }

    public var description: String {
        "\(hex(vendor, width: 4)):\(device.map { hex($0, width: 4) } ?? "ANY") \(function)"
    }
}

/// Device IDs a quirk function's own match list (a `switch` or a range test inside the function,
/// not a table row) accepts: vendor, inclusive device range, function.
public struct QuirkIDRange: Hashable, Sendable, CustomStringConvertible {
    public var vendor: UInt16
    public var devices: ClosedRange<UInt16>
    public var function: String

    public init(_ vendor: UInt16, _ devices: ClosedRange<UInt16>, _ function: String) {
        self.vendor = vendor
        self.devices = devices
        self.function = function
    }

    public func contains(vendor v: UInt16, device d: UInt16, function f: String) -> Bool {
        v == vendor && devices.contains(d) && f == function
    }

    public var description: String {
        "\(hex(vendor, width: 4)):\(hex(devices.lowerBound, width: 4))"
            + (devices.count > 1 ? "-\(hex(devices.upperBound, width: 4))" : "") + " in \(function)"
    }
}

/// One dated, sourced difference between kernel releases that changes what the model predicts.
/// A profile applies the differences whose releases contain its version; the model asks
/// `KernelProfile.has(_:)` where the kernel's code differs, the quirk walk skips the rows a
/// difference adds (`quirkRows`) on releases without it, and a quirk function there does not
/// accept the IDs it adds to the function's own list (`quirkIDs`: the entry's `kernel.unlisted`
/// answers for them instead). A new release line, a back-port or a
/// fixed regression is one more row of `KernelDifference.all`, not another copy of a rule.
///
/// The releases with the behaviour: every release from `since` on (mainline), plus the stable
/// releases of older lines that got it (`stableSince`, `5.4.48` = 5.4.48 and later 5.4.y); minus,
/// for a regression that was fixed, every release from `until` on and the stable releases of
/// the affected lines that got the fix (`stableUntil`).
public struct KernelDifference: Hashable, Sendable, Identifiable {
    /// A stable name, e.g. `pci_disable_broken_acs_cap`.
    public let id: String
    /// The kernel function whose behaviour differs.
    public let function: String
    /// The first mainline release with the behaviour.
    public let since: KernelVersion
    /// The first mainline release without it again (a regression that was fixed), `nil` while current.
    public let until: KernelVersion?
    /// The first stable release of each older line that got the behaviour by a back-port.
    public let stableSince: [KernelVersion]
    /// The first stable release of each affected line that got the fix (`until`'s commit).
    public let stableUntil: [KernelVersion]
    /// The `pci_dev_acs_enabled[]` rows the change added (absent from releases without it).
    public let quirkRows: [QuirkRowKey]
    /// The device IDs the change added to a quirk function's own match list (unlisted on
    /// releases without it).
    public let quirkIDs: [QuirkIDRange]
    /// Where it is established: the upstream commit, the stable releases, or the releases whose
    /// source was read.
    public let source: String
    /// What users see.
    public let summary: String

    public init(id: String, function: String, since: KernelVersion, until: KernelVersion? = nil,
                stableSince: [KernelVersion] = [], stableUntil: [KernelVersion] = [], quirkRows: [QuirkRowKey] = [],
                quirkIDs: [QuirkIDRange] = [], source: String, summary: String) {
        self.id = id
        self.function = function
        self.since = since
        self.until = until
        self.stableSince = stableSince
        self.stableUntil = stableUntil
        self.quirkRows = quirkRows
        self.quirkIDs = quirkIDs
        self.source = source
        self.summary = summary
    }

    /// Whether `version` is `first` or later, or a stable release at or after one of `stable` in
    /// the same line.
    static func reached(_ first: KernelVersion, _ stable: [KernelVersion], by version: KernelVersion) -> Bool {
        version >= first || stable.contains { $0.line == version.line && (version.sublevel ?? 0) >= ($0.sublevel ?? 0) }
    }

    /// Whether release `version` has the behaviour.
    public func applies(to version: KernelVersion) -> Bool {
        Self.reached(since, stableSince, by: version) && !(until.map { Self.reached($0, stableUntil, by: version) } ?? false)
    }

    /// Every release where the behaviour starts or stops: `since`, `until` and the stable releases.
    public var boundaries: [KernelVersion] { [since] + stableSince + (until.map { [$0] } ?? []) + stableUntil }

    /// The releases that have it, for people: `5.7 and later; 5.4.48 and later 5.4.y`, `5.9 to 5.9.8`.
    public var releases: String {
        func stable(_ v: KernelVersion) -> String { "\(v) and later \(v.line).y" }
        guard let until else { return (["\(since) and later"] + stableSince.map(stable)).joined(separator: "; ") }
        let last = { (fix: KernelVersion) -> String in
            fix.sublevel.map { "\(fix.line)–\(fix.line).\($0 - 1)" } ?? "\(fix)"
        }
        var parts: [String] = []
        for line in Set(([since] + stableUntil).map(\.line)).sorted() where line < until {
            if let fix = stableUntil.first(where: { $0.line == line }) {
                parts.append(line == since.line ? last(fix) : "\(line)–\(line).\(fix.sublevel.map { $0 - 1 } ?? 0)")
            } else {
                parts.append("\(line).y")
            }
        }
        return parts.joined(separator: ", ") + " (fixed in \(([until] + stableUntil).map(\.description).joined(separator: ", ")))"
    }
}

extension KernelDifference {
    /// 5.9.0–5.9.8: `pci_acs_init()` calls `pci_enable_acs()` only for a function with an ACS
    /// capability (`if (dev->acs_cap)`), so `pci_dev_specific_enable_acs()` never runs for the
    /// Intel PCH root ports, which have none: `pci_quirk_enable_intel_pch_acs()` does not set
    /// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` and `pci_quirk_intel_pch_acs()` answers 0 (not isolated).
    public static let acsEnableNeedsCapability = KernelDifference(
        id: "pci_acs_init_needs_acs_cap", function: "pci_acs_init",
        since: KernelVersion(5, 9), until: KernelVersion(5, 10), stableUntil: [KernelVersion(5, 9, 9)],
        source: "52fbf5bdeeef (\"PCI: Cache ACS capability offset in device\", v5.9) calls pci_enable_acs() only when dev->acs_cap; "
            + "fixed by 462b58fb0339 (\"PCI: Always enable ACS even if no ACS Capability\", v5.10-rc3, stable 5.9.9)",
        summary: "Intel PCH root ports: the PCH ACS quirk's enable step is not called, so the ports are not isolated "
            + "(X99/PCH root ports and what is below them share one group)")

    /// 6.11.0–6.11.6: the `config_acs` rework reads `dev->acs_cap` first and returns before
    /// `pci_dev_specific_enable_acs()` for a function without an ACS capability: the same effect
    /// on the Intel PCH root ports as `acsEnableNeedsCapability`.
    public static let configACSReworkSkipsQuirkEnable = KernelDifference(
        id: "pci_enable_acs_skips_quirk_enable", function: "pci_enable_acs",
        since: KernelVersion(6, 11), until: KernelVersion(6, 12), stableUntil: [KernelVersion(6, 11, 7)],
        source: "47c8846a49ba (\"PCI: Extend ACS configurability\", v6.11) returns from pci_enable_acs() before "
            + "pci_dev_specific_enable_acs() when !dev->acs_cap; fixed by f3c3ccc4fe49 (\"PCI: Fix pci_enable_acs() support "
            + "for the ACS quirks\", v6.12-rc6, stable 6.11.7)",
        summary: "Intel PCH root ports: the PCH ACS quirk's enable step is not called, so the ports are not isolated "
            + "(regression of the config_acs rework)")

    /// 5.5: `pci_quirk_al_acs()`, Amazon Annapurna Labs root ports.
    public static let annapurnaLabsRootPorts = KernelDifference(
        id: "pci_quirk_al_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(5, 5),
        quirkRows: [QuirkRowKey(0x1c36, 0x0031, "pci_quirk_al_acs")],
        source: "76e67e9e0f0f (\"PCI: Add ACS quirk for Amazon Annapurna Labs root ports\"), v5.5",
        summary: "Amazon Annapurna Labs root ports 1c36:0031 isolated by a quirk")

    /// 5.5 (stable 5.4.6): `pci_quirk_cavium_acs_match()` accepts ThunderX2 and ThunderX3 root ports.
    public static let caviumThunderX2X3 = KernelDifference(
        id: "pci_quirk_cavium_acs_thunderx2", function: "pci_quirk_cavium_acs_match", since: KernelVersion(5, 5),
        stableSince: [KernelVersion(5, 4, 6)],
        quirkIDs: [QuirkIDRange(0x177d, 0xaf84...0xaf84, "pci_quirk_cavium_acs"), QuirkIDRange(0x177d, 0xb884...0xb884, "pci_quirk_cavium_acs")],
        source: "\"PCI: Apply Cavium ACS quirk to ThunderX2 and ThunderX3\", v5.5, stable 5.4.6",
        summary: "Cavium ThunderX2/ThunderX3 root ports 177d:af84, 177d:b884 isolated by the Cavium quirk")

    /// 5.7 (stable 5.4.48): `pci_quirk_rciep_acs()`, Intel RCiEPs isolated (VT-d r3.1 §3.16).
    /// Before it a multifunction Intel RCiEP without ACS shares a group with its slot siblings.
    public static let intelRCiEP = KernelDifference(
        id: "pci_quirk_rciep_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(5, 7),
        stableSince: [KernelVersion(5, 4, 48)],
        quirkRows: [QuirkRowKey(0x8086, nil, "pci_quirk_rciep_acs")],
        source: "3247bd10a450 (\"PCI: Add ACS quirk for Intel Root Complex Integrated Endpoints\"), v5.7; "
            + "stable 5.4.48 (review series of 2020-06-20)",
        summary: "Intel RCiEPs isolated: multifunction Intel RCiEPs on the root bus get a group each")

    /// 5.7 (stable 5.6.9): Zhaoxin multifunction devices and root/downstream ports.
    public static let zhaoxin = KernelDifference(
        id: "pci_quirk_zhaoxin_pcie_ports_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(5, 7),
        stableSince: [KernelVersion(5, 6, 9)],
        quirkRows: [QuirkRowKey(0x1d17, nil, "pci_quirk_zhaoxin_pcie_ports_acs")]
            + [0x3038, 0x3104, 0x9083].map { QuirkRowKey(0x1d17, $0, "pci_quirk_mf_endpoint_acs") },
        source: "0325837c51cb (\"PCI: Add ACS quirk for Zhaoxin multi-function devices\") and 299bd044a6f3 "
            + "(\"PCI: Add ACS quirk for Zhaoxin Root/Downstream Ports\"), v5.7, stable 5.6.9",
        summary: "Zhaoxin root/downstream ports and multifunction devices 1d17:3038/3104/9083 isolated by quirks")

    /// 5.13 (stable 5.10.46): Broadcom BCM57414.
    public static let broadcomBCM57414 = KernelDifference(
        id: "bcm57414", function: "pci_dev_acs_enabled[]", since: KernelVersion(5, 13),
        stableSince: [KernelVersion(5, 10, 46)],
        quirkRows: [QuirkRowKey(0x14e4, 0x16d7, "pci_quirk_mf_endpoint_acs")],
        source: "db2f77e2bd99 (\"PCI: Add ACS quirk for Broadcom BCM57414 NIC\"), v5.13, stable 5.10.46",
        summary: "Broadcom BCM57414 14e4:16d7 functions isolated by a quirk")

    /// 5.15 (stable 5.14.7): NXP LX2xx0/LX2xx2 root ports and Cavium multifunction devices.
    public static let nxpAndCaviumMultifunction = KernelDifference(
        id: "pci_quirk_nxp_rp_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(5, 15),
        stableSince: [KernelVersion(5, 14, 7)],
        quirkRows: [0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0, 0x8d92, 0x8d91, 0x8db1, 0x8d93, 0x8d89, 0x8da9,
                    0x8d8b, 0x8d88, 0x8da8, 0x8d8a, 0x8d98, 0x8db8, 0x8d9a, 0x8d99, 0x8db9, 0x8d9b]
            .map { QuirkRowKey(0x1957, $0, "pci_quirk_nxp_rp_acs") }
            + [0xa026, 0xa059, 0xa060].map { QuirkRowKey(0x177d, $0, "pci_quirk_mf_endpoint_acs") },
        source: "\"PCI: Add ACS quirks for NXP LX2xx0 and LX2xx2 platforms\" and \"PCI: Add ACS quirks for Cavium "
            + "multi-function devices\", v5.15, stable 5.14.7",
        summary: "NXP LX2xx0/LX2xx2 root ports 1957:8d80-8db9 and Cavium 177d:a026/a059/a060 functions isolated by quirks")

    /// 6.3 (stable 6.1.18): Wangxun NICs.
    public static let wangxun = KernelDifference(
        id: "pci_quirk_wangxun_nic_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(6, 3),
        stableSince: [KernelVersion(6, 1, 18)],
        quirkRows: [QuirkRowKey(0x8088, nil, "pci_quirk_wangxun_nic_acs")],
        source: "a2b9b123ccac (\"PCI: Add ACS quirk for Wangxun NICs\"), v6.3, stable 6.1.18",
        summary: "Wangxun 8088 NIC functions isolated by a quirk")

    /// 6.8 (stable 6.1.74, 6.6.13): more Zhaoxin root ports in `pci_quirk_zhaoxin_pcie_ports_acs()`;
    /// before it they are "unlisted", which that function answers with a sticky 0.
    public static let zhaoxinMoreRootPorts = KernelDifference(
        id: "pci_quirk_zhaoxin_more_ports", function: "pci_quirk_zhaoxin_pcie_ports_acs", since: KernelVersion(6, 8),
        stableSince: [KernelVersion(6, 1, 74), KernelVersion(6, 6, 13)],
        quirkIDs: [QuirkIDRange(0x1d17, 0x0723...0x0752, "pci_quirk_zhaoxin_pcie_ports_acs")],
        source: "\"PCI: Add ACS quirk for more Zhaoxin Root Ports\", v6.8, stable 6.1.74 and 6.6.13",
        summary: "Zhaoxin root ports 1d17:0723-0752 isolated (before: not isolated, the function's answer for IDs it does not list)")

    /// 6.11 (stable 6.1.122): Broadcom BCM5760X.
    public static let broadcomBCM5760X = KernelDifference(
        id: "bcm5760x", function: "pci_dev_acs_enabled[]", since: KernelVersion(6, 11),
        stableSince: [KernelVersion(6, 1, 122)],
        quirkRows: [0x1750, 0x1751, 0x1752, 0x1760, 0x1761, 0x1762, 0x1763].map { QuirkRowKey(0x14e4, $0, "pci_quirk_mf_endpoint_acs") },
        source: "524e057b2d66 (\"PCI: Add ACS quirk for Broadcom BCM5760X NIC\"), v6.11, stable 6.1.122",
        summary: "Broadcom BCM5750X/BCM5760X 14e4:1750-1752, 1760-1763 functions isolated by a quirk")

    /// 6.12 (stable 6.11.4, 6.1.113): Qualcomm SA8775P root port.
    public static let qualcommSA8775P = KernelDifference(
        id: "qcom_sa8775p", function: "pci_dev_acs_enabled[]", since: KernelVersion(6, 12),
        stableSince: [KernelVersion(6, 1, 113), KernelVersion(6, 11, 4)],
        quirkRows: [QuirkRowKey(0x17cb, 0x0115, "pci_quirk_qcom_rp_acs")],
        source: "026f84d3fa62 (\"PCI: Add ACS quirk for Qualcomm SA8775P\"), v6.12, stable 6.1.113 and 6.11.4",
        summary: "Qualcomm SA8775P root port 17cb:0115 isolated by a quirk")

    /// 6.13 (stable 6.1.120, 6.12.5): Wangxun FF5xxx IDs in `pci_quirk_wangxun_nic_acs()`; before
    /// it they are "unlisted", which that function answers with a sticky 0.
    public static let wangxunFF5xxx = KernelDifference(
        id: "pci_quirk_wangxun_ff5xxx", function: "pci_quirk_wangxun_nic_acs", since: KernelVersion(6, 13),
        stableSince: [KernelVersion(6, 1, 120), KernelVersion(6, 12, 5)],
        quirkIDs: [0x5010, 0x5025, 0x5040, 0x5110, 0x5125, 0x5140].map { QuirkIDRange(0x8088, $0...$0, "pci_quirk_wangxun_nic_acs") },
        source: "aa46a3736afc (\"PCI: Add ACS quirk for Wangxun FF5xxx NICs\"), v6.13, stable 6.1.120 and 6.12.5 (6.6.y not established)",
        summary: "Wangxun FF5xxx NICs 8088:5010-5140 isolated (before: not isolated, the function's answer for IDs it does not list)")

    /// 6.16 (stable 6.1.142, 6.12.35): Loongson PCIe root ports.
    public static let loongson = KernelDifference(
        id: "pci_quirk_loongson_acs", function: "pci_dev_acs_enabled[]", since: KernelVersion(6, 16),
        stableSince: [KernelVersion(6, 1, 142), KernelVersion(6, 12, 35)],
        quirkRows: [0x3c09, 0x3c19, 0x3c29, 0x7a09, 0x7a19, 0x7a29, 0x7a39, 0x7a49, 0x7a59, 0x7a69]
            .map { QuirkRowKey(0x0014, $0, "pci_quirk_loongson_acs") },
        source: "\"PCI: Add ACS quirk for Loongson PCIe\", v6.16, stable 6.1.142 and 6.12.35",
        summary: "Loongson root ports 0014:3c09-3c29, 7a09-7a69 isolated by a quirk")

    /// 7.0 (stable 6.1.165, 6.12.75): Qualcomm Hamoa and Glymur root ports.
    public static let qualcommHamoaGlymur = KernelDifference(
        id: "qcom_hamoa_glymur", function: "pci_dev_acs_enabled[]", since: KernelVersion(7, 0),
        stableSince: [KernelVersion(6, 1, 165), KernelVersion(6, 12, 75)],
        quirkRows: [QuirkRowKey(0x17cb, 0x0111, "pci_quirk_qcom_rp_acs"), QuirkRowKey(0x17cb, 0x0120, "pci_quirk_qcom_rp_acs")],
        source: "\"PCI: Add ACS quirk for Qualcomm Hamoa & Glymur\", v7.0, stable 6.1.165 and 6.12.75",
        summary: "Qualcomm Hamoa and Glymur root ports 17cb:0111, 17cb:0120 isolated by a quirk")

    /// 7.x: `pci_disable_broken_acs_cap()` (drivers/pci/quirks.c, called from `pci_acs_init()`)
    /// removes SV from the cached ACS capability of IDT 0x80b5 and 0x8090 switch ports, so SV is
    /// neither enabled nor required there (6.x only worked around the erratum around config reads,
    /// `pci_idt_bus_quirk()`).
    public static let idtBrokenACSSourceValidation = KernelDifference(
        id: "pci_disable_broken_acs_cap", function: "pci_disable_broken_acs_cap",
        since: KernelVersion(7, 0),
        source: "drivers/pci/quirks.c of 7.2.13 and 7.3-rc7 has it, 6.12.117 does not; first release taken as 7.0",
        summary: "IDT 0x80b5/0x8090 switch ports: SV removed from the cached ACS capability (neither enabled nor required)")

    /// 7.x: `pci_for_each_dma_alias()` (drivers/pci/search.c) honours
    /// `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS`, which `quirk_aspeed_pci_bridge_no_alias()` sets on the
    /// ASPEED 1a03:1150 PCIe-to-PCI bridge (same groups, no alias requester ID).
    public static let aspeedBridgeNoAlias = KernelDifference(
        id: "quirk_aspeed_pci_bridge_no_alias", function: "pci_for_each_dma_alias",
        since: KernelVersion(7, 0),
        source: "drivers/pci/search.c and quirks.c of 7.2.13 and 7.3-rc7 have it, 6.12.117 does not; first release taken as 7.0",
        summary: "ASPEED 1a03:1150 PCIe-to-PCI bridge adds no DMA alias (same groups, other reason)")

    /// Every difference the model knows, in release order. THE table: profiles, the quirk walk,
    /// the tests and docs/kernels.md all read it.
    public static let all: [KernelDifference] = [
        annapurnaLabsRootPorts, caviumThunderX2X3, intelRCiEP, zhaoxin, acsEnableNeedsCapability, broadcomBCM57414,
        noATSTranslationBlocking, nxpAndCaviumMultifunction, wangxun, zhaoxinMoreRootPorts,
        configACSReworkSkipsQuirkEnable, pciConfigACSParameter, disableACSRedirFromFirmware, broadcomBCM5760X,
        qualcommSA8775P, wangxunFF5xxx, loongson, qualcommHamoaGlymur,
        idtBrokenACSSourceValidation, aspeedBridgeNoAlias,
    ]

    /// The difference that added `row` to `pci_dev_acs_enabled[]`, nil for a row every profile has.
    public static func adding(_ row: QuirkRowKey) -> KernelDifference? { rowIndex[row] }

    private static let rowIndex: [QuirkRowKey: KernelDifference] = {
        var out: [QuirkRowKey: KernelDifference] = [:]
        for d in all { for r in d.quirkRows { out[r] = d } }
        return out
    }()

    /// The difference that added `device` to `function`'s own match list, nil for an ID every
    /// profile's function accepts.
    public static func adding(vendor: UInt16, device: UInt16, function: String) -> KernelDifference? {
        idIndex[vendor]?.first { $0.range.contains(vendor: vendor, device: device, function: function) }?.difference
    }

    private static let idIndex: [UInt16: [(range: QuirkIDRange, difference: KernelDifference)]] = {
        var out: [UInt16: [(range: QuirkIDRange, difference: KernelDifference)]] = [:]
        for d in all { for r in d.quirkIDs { out[r.vendor, default: []].append((r, d)) } }
        return out
    }()

    /// `all` as the Markdown table docs/kernels.md holds (a test keeps the two equal).
    public static var markdownTable: String {
        var out = "| releases | what users see | kernel function | source |\n|---|---|---|---|\n"
        for d in all {
            let cells = [d.releases, d.summary, "`\(d.function)`", d.source].map { $0.replacingOccurrences(of: "|", with: "\\|") }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
    }
}

/// Why `--kernel` refused a value.
public struct KernelProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
}

/// The kernel whose behaviour is reproduced: a release (`5.10`, `5.9.3`, `6.6.58`, `7.3`) from
/// `oldest` to the newest line known. `pci_device_group()` and the quirk functions are the same
/// from 5.4 on; releases differ only where `KernelDifference.all` says, never by a switch over
/// releases.
///
/// THE type for `--kernel`: `parse(_:)` is the one place a value is validated (the command
/// line's `--kernel` option transforms its value with it and shows its reason),
/// `resolve(_:live:recordedRelease:release:)` the one default. `X.Y` stands for the mainline
/// release (`X.Y.0`); `X.Y.Z` for that stable release. A profile read from a distribution's
/// release string that does not name its stable sublevel (`6.1.0-40-amd64`) is `X.Y.y`: the
/// newest stable release of the line, with a note naming what earlier ones lack.
public struct KernelProfile: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The release.
    public let version: KernelVersion
    /// The stable sublevel is not known (`X.Y.y`): the line's newest stable release is assumed.
    public let sublevelUnknown: Bool

    public init(_ version: KernelVersion, sublevelUnknown: Bool = false) {
        self.version = sublevelUnknown ? version.line : version
        self.sublevelUnknown = sublevelUnknown
    }

    /// The oldest line with a profile: the oldest longterm line still maintained when the
    /// profiles were written.
    public static let oldest = KernelVersion(5, 4)
    /// The last minor release of each major (7: the newest line known).
    public static let lastMinor: [Int: Int] = [4: 20, 5: 19, 6: 19, 7: 3]
    /// Every line with a profile, oldest first.
    public static let lines: [KernelVersion] = (oldest.major...7).flatMap { major in
        (0...lastMinor[major]!).map { KernelVersion(major, $0) }
    }.filter { $0 >= oldest }

    public static let newest = KernelProfile(lines.last!)
    public static let v6_1 = KernelProfile(KernelVersion(6, 1))
    public static let v6_12 = KernelProfile(KernelVersion(6, 12))
    public static let v7_3 = KernelProfile(KernelVersion(7, 3))

    /// `--kernel`'s value: `5.10`, `5.9.3`, `6.6.58` (a leading `v` is accepted), a line from
    /// `oldest` to the newest known; anything else is refused with what is wrong.
    public static func parse(_ text: String) throws(KernelProfileError) -> KernelProfile {
        guard let v = KernelVersion(text) else {
            // `uname -r` pasted as it prints (`6.6.58-1-lts`, `6.1.0-40-amd64`): name the release to give.
            if text.contains(where: { $0 == "-" || $0 == "+" }), let line = KernelVersion(release: text),
               line >= oldest, line <= newest.version, let p = closest(toRelease: text) {
                throw KernelProfileError(description: "\(text.debugDescription) is a release string as uname -r prints it, not a kernel release: "
                    + (p.sublevelUnknown
                        ? "its .0-N counts ABI changes, not stable releases; give the stable release it is built from, "
                            + "--kernel \(line).N (Debian's uname -v names it: \"Debian \(line).N-…\")"
                        : "--kernel \(p.version)"))
            }
            throw KernelProfileError(description: "\(text.debugDescription) is not a kernel release (e.g. 5.10, 5.9.3, 6.6.58)")
        }
        guard v.line >= oldest else {
            throw KernelProfileError(description: "\(v) is older than the oldest kernel profile, \(oldest)")
        }
        guard lines.contains(v.line) else {
            throw KernelProfileError(description: v.line > newest.version
                ? "\(v) is newer than the newest kernel line known, \(newest) (--kernel \(newest) predicts with its rules)"
                : "\(v.line) is not a Linux release line")
        }
        return KernelProfile(v)
    }

    /// The profile named `argument`, or `nil` for a value `parse(_:)` refuses.
    public init?(argument: String) {
        guard let p = try? Self.parse(argument) else { return nil }
        self = p
    }

    /// `--kernel`'s lines, for its shell completion (a stable release of any of them is accepted too).
    public static var allValueStrings: [String] { lines.map(\.description) }

    /// `6.12`, `6.12.117`, `6.1.y` (sublevel unknown).
    public var description: String { sublevelUnknown ? "\(version.line).y" : version.description }

    public static func < (a: KernelProfile, b: KernelProfile) -> Bool { a.evaluated < b.evaluated }

    /// The release the differences are evaluated at (`X.Y.y`: after every stable release).
    var evaluated: KernelVersion { sublevelUnknown ? KernelVersion(version.major, version.minor, Int.max) : version }

    /// Whether this kernel behaves as `difference` says.
    public func has(_ difference: KernelDifference) -> Bool { difference.applies(to: evaluated) }

    /// Whether this kernel's `function` lists `device` of `vendor` in its own match list.
    public func quirkFunctionLists(vendor: UInt16, device: UInt16, function: String) -> Bool {
        KernelDifference.adding(vendor: vendor, device: device, function: function).map(has) ?? true
    }

    /// `pci_for_each_dma_alias()` honours `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS` (ASPEED 1a03:1150).
    public var honoursBridgeNoAlias: Bool { has(.aspeedBridgeNoAlias) }
    /// `pci_disable_broken_acs_cap()` removes SV from the cached ACS capability of IDT
    /// 0x80b5 and 0x8090 (so SV is neither enabled nor required there).
    public var masksIDTSourceValidation: Bool { has(.idtBrokenACSSourceValidation) }
    /// The difference by which `pci_dev_specific_enable_acs()` is not called for a function
    /// without an ACS capability (5.9.0–5.9.8, 6.11.0–6.11.6), nil where it is.
    public var skipsQuirkEnableWithoutACSCapability: KernelDifference? {
        [KernelDifference.acsEnableNeedsCapability, .configACSReworkSkipsQuirkEnable].first(where: has)
    }

    /// The profile of a kernel release string (`uname -r`): `7.3`, `6.6.58-1-lts`,
    /// `6.12.43+deb13-amd64` name their release; `6.1.0-40-amd64`, `5.10.0-46-amd64` (Debian),
    /// `6.8.0-45-generic` (Ubuntu) and `5.14.0-427.el9` (RHEL) do not: their `.0-N` counts ABI
    /// changes within the line, not stable releases, so the sublevel is unknown (`X.Y.y`) unless
    /// `version` (`uname -v`: Debian's `… Debian 6.1.153-1 (2025-09-20)`) names the package's
    /// upstream release. A release candidate (`6.12.0-rc3`) is its line's mainline release.
    /// The line is clamped to `oldest`…`newest`; nil when no `major.minor` can be read.
    public static func closest(toRelease release: String, version: String? = nil) -> KernelProfile? {
        guard let line = KernelVersion(release: release) else { return nil }
        var v = line
        var unknown = false
        let rest = release.drop { $0 != "." }.dropFirst().drop { $0.isNumber }
        if rest.hasPrefix(".") {
            let sub = rest.dropFirst().prefix { $0.isNumber }
            let after = rest.dropFirst().drop { $0.isNumber }
            if sub == "0", after.hasPrefix("-"), after.dropFirst().first?.isNumber == true {
                unknown = true
            } else if let s = Int(sub), s > 0 {
                v = KernelVersion(line.major, line.minor, s)
            }
        }
        if unknown, let version, let r = version.range(of: "Debian ") {
            let parts = version[r.upperBound...].prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
            if parts.count == 3, KernelVersion(parts[0], parts[1]) == line {
                v = KernelVersion(parts[0], parts[1], parts[2])
                unknown = false
            }
        }
        if v.line < oldest { return KernelProfile(oldest) }
        if v.line > newest.version { return newest }
        return KernelProfile(v, sublevelUnknown: unknown)
    }

    /// The running kernel's release and version as `uname -r` and `uname -v` print them
    /// (`uname(2)`), nil when unreadable.
    public static var runningRelease: String? { uts(\.release) }
    public static var runningVersion: String? { uts(\.version) }

    private static func uts<T>(_ field: KeyPath<utsname, T>) -> String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        var value = u[keyPath: field]
        return withUnsafePointer(to: &value) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout<T>.size) { String(cString: $0) }
        }
    }

    /// The profile of the running kernel, nil when its release cannot be read.
    public static var running: KernelProfile? {
        runningRelease.flatMap { closest(toRelease: $0, version: runningVersion) }
    }

    /// THE default profile, used by every command (`groups`, `check`, `run`): `explicit` (the
    /// parsed `--kernel`) when given; else, on the live system, the running kernel's release
    /// (`closest(toRelease:version:)`); else the release a snapshot recorded (`uname -r` there);
    /// else (a dump, whose kernel is unknown) `newest`. `note` is set when the profile stands
    /// for a kernel it does not describe exactly: a running or recorded kernel newer than
    /// `newest` or older than `oldest`, or one whose stable sublevel is unknown in a line where
    /// stable releases differ; commands show it with the prediction (`LinuxSystem.kernelNote`).
    /// - Parameters:
    ///   - explicit: the parsed `--kernel` (nil when not given).
    ///   - live: whether the functions come from this machine's sysfs rather than a dump.
    ///   - recordedRelease: the kernel release a snapshot recorded.
    ///   - release: the running kernel's release (default: this machine's).
    ///   - version: the running kernel's `uname -v` (default: this machine's).
    public static func resolve(_ explicit: KernelProfile?, live: Bool, recordedRelease: String? = nil,
                               release: String? = runningRelease,
                               version: String? = runningVersion) -> (profile: KernelProfile, note: String?) {
        if let explicit { return (explicit, nil) }
        let (which, chosen) = live ? ("running", release) : ("recorded", recordedRelease)
        guard let chosen, let line = KernelVersion(release: chosen),
              let p = closest(toRelease: chosen, version: live ? version : nil) else { return (newest, nil) }
        if line > newest.version {
            return (p, "the \(which) kernel \(chosen) is newer than the newest profile, \(newest): predicted with "
                + "\(newest)'s rules, which may miss what changed since (--kernel picks a profile)")
        }
        if line < oldest {
            return (p, "the \(which) kernel \(chosen) is older than the oldest profile, \(oldest): predicted with "
                + "\(oldest)'s rules, which may differ from what it did")
        }
        if p.sublevelUnknown {
            let earlier = KernelDifference.all.filter { d in
                (d.stableSince + d.stableUntil).contains { $0.line == line }
            }
            if !earlier.isEmpty {
                let what = earlier.map { "\($0.summary) (\($0.releases))" }.joined(separator: "; ")
                return (p, "the \(which) kernel \(chosen) does not name its stable release (a distribution's \(line).0-N "
                    + "counts ABI changes, not stable releases): predicted as the newest \(line) stable release, \(p); "
                    + "earlier \(line) stable releases differ: \(what) (--kernel \(line).N picks one)")
            }
        }
        return (p, nil)
    }
}
