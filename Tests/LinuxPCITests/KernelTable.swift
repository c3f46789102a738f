import Foundation
import LinuxPCI
import PCIConfig
import Registry
import TestSupport

/// The kernel's `pci_dev_acs_enabled[]` as registry entries: the committed `quirks/` (imported from
/// the kernel tree by `acsquirk import-kernel`), and, as an independent cross-check, the same table
/// built from Tests/Fixtures/kernel-acs-table.tsv plus the semantics of each quirk function (the ID
/// lists and conditions inside the functions, drivers/pci/quirks.c of 6.1.192/6.12.117).
enum KernelTable {
    /// The committed registry's upstream entries (what `acsquirk groups` uses by default).
    static func entries() throws -> [QuirkEntry] {
        if !committed.errors.isEmpty { throw TableError.bad(committed.errors) }
        return committed.entries.filter { $0.kernel.status == .upstream }
    }

    /// The committed registry's entries that are not upstream.
    static func localEntries() throws -> [QuirkEntry] {
        if !committed.errors.isEmpty { throw TableError.bad(committed.errors) }
        return committed.entries.filter { $0.kernel.status != .upstream }
    }

    /// Loaded once per test process (loading 30-odd YAML files takes a moment).
    static let committed: (entries: [QuirkEntry], errors: String) = {
        let (loaded, diags) = Registry.load(paths: [Fixtures.repoPath("quirks")])
        return (loaded.map(\.entry), diags.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
    }()
    static let committedTable: Result<QuirkTable, Error> = Result { QuirkTable(entries: try entries()) }

    struct Row { var row: Int; var vendor: UInt16; var macro: String?; var device: UInt16?; var function: String }

    static func rows() throws -> [Row] {
        let text = try Fixtures.text("kernel-acs-table.tsv")
        var out: [Row] = []
        for line in text.split(separator: "\n").dropFirst() where !line.isEmpty {
            let c = line.split(separator: "\t").map(String.init)
            guard c.count == 4, let v = parseHexID(c[0]) else { throw TableError.bad(String(line)) }
            let dev: UInt16? = c[2] == "ANY" ? nil : parseHexID(c[2])
            if c[2] != "ANY" && dev == nil { throw TableError.bad(String(line)) }
            out.append(Row(row: out.count + 1, vendor: v, macro: c[1].hasPrefix("PCI_") ? c[1] : nil,
                           device: dev, function: c[3]))
        }
        return out
    }

    enum TableError: Error { case bad(String), unknownFunction(String) }

    static let rootPortFlags: ACSFlags = .linuxRequired

    /// One upstream entry per (vendor, function) built from the TSV, carrying its table rows.
    static func tsvEntries() throws -> [QuirkEntry] {
        let rows = try rows()
        var order: [String] = []
        var grouped: [String: [Row]] = [:]
        for r in rows {
            let k = hex(r.vendor, width: 4) + "/" + r.function
            if grouped[k] == nil { order.append(k) }
            grouped[k, default: []].append(r)
        }
        return try order.map { k in
            let rs = grouped[k]!
            return try entry(vendor: rs[0].vendor, function: rs[0].function, rows: rs)
        }
    }

    static func ids(_ rows: [Row]) -> [DeviceIDs] { rows.compactMap { $0.device.map(DeviceIDs.id) } }

    static func entry(vendor: UInt16, function: String, rows: [Row]) throws -> QuirkEntry {
        var applies = AppliesTo()
        var iso = Isolation(kind: .portsIsolated, acsEquivalent: rootPortFlags)
        var devices = ids(rows)
        var unlisted = KernelStatus.UnlistedAnswer.pass
        switch function {
        case "pci_quirk_mf_endpoint_acs":
            iso = Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk)
        case "pci_quirk_amd_sb_acs":
            applies = AppliesTo(multifunction: true, requires: [.amdIVRS, .rootBus])
            iso = Isolation(kind: .noPeerToPeer, acsEquivalent: [.sv, .tb, .rr, .cr, .uf])
        case "pci_quirk_rciep_acs":
            applies = AppliesTo(portType: .rciep)
            devices = [.range(first: 0x0000, last: 0xffff)]
        case "pci_quirk_qcom_rp_acs", "pci_quirk_nxp_rp_acs", "pci_quirk_xgene_acs", "pci_quirk_brcm_acs",
             "pci_quirk_loongson_acs":
            break
        case "pci_quirk_al_acs":
            applies = AppliesTo(portType: .rootPort)
        case "pci_quirk_cavium_acs":
            applies = AppliesTo(portType: .rootPort)
            devices = [.range(first: 0xa000, last: 0xa7ff), .id(0xaf84), .id(0xb884)]
        case "pci_quirk_zhaoxin_pcie_ports_acs":
            applies = AppliesTo(portType: .rootOrDownstreamPort)
            devices = [.range(first: 0x0710, last: 0x071e), .id(0x0721), .range(first: 0x0723, last: 0x0752)]
            unlisted = .notIsolated
        case "pci_quirk_wangxun_nic_acs":
            devices = [.range(first: 0x0100, last: 0x010f), .id(0x1001), .id(0x2001),
                       .id(0x5010), .id(0x5025), .id(0x5040), .id(0x5110), .id(0x5125), .id(0x5140)]
            unlisted = .notIsolated
        case "pci_quirk_intel_pch_acs":
            applies = AppliesTo(portType: .rootPort, requires: [.intelPCHRCBAWorkaround])
            var list: [UInt16] = Array(0x3b42...0x3b51) + Array(0x1c10...0x1c1f) + Array(0x1e10...0x1e1f)
            list += Array(0x8c10...0x8c1f) + Array(0x9c10...0x9c1b) + Array(0x9c90...0x9c9b)
            list += [0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e]
            list += Array(0x8d10...0x8d1e) + [0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e]
            devices = list.map(DeviceIDs.id)
        case "pci_quirk_intel_spt_pch_acs":
            applies = AppliesTo(portType: .rootPort, requires: [.acsCapability], registerLayout: .intelSPTDword)
            iso = Isolation(kind: .acsErratum, acsEquivalent: rootPortFlags)
            devices = intelSPTDwordACSDeviceIDs.map { .range(first: $0.lowerBound, last: $0.upperBound) }
        default:
            throw TableError.unknownFunction(function)
        }
        return QuirkEntry(
            vendor: vendor, vendorName: rows[0].macro ?? hex(vendor, width: 4), family: function, devices: devices,
            appliesTo: applies, isolation: iso,
            kernel: KernelStatus(status: .upstream, function: function,
                                 table: rows.map { .init(row: $0.row, device: $0.device, vendorMacro: $0.macro) },
                                 unlisted: unlisted))
    }

    static func table() throws -> QuirkTable { try committedTable.get() }
    static func tsvTable() throws -> QuirkTable { QuirkTable(entries: try tsvEntries()) }
}
