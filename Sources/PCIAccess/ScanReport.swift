#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PCIConfig

/// What `acsquirk scan` shows: one record per function, built from a `PCIReadResult`.
/// The JSON form is documented field by field in docs/scan.md.
public struct ScanReport: Hashable, Sendable, Encodable {
    /// The JSON format name and version; bumped when a field changes meaning or goes away.
    public static let format = "acsquirk-scan/1"

    public var source: PCISource
    /// What the `--dump` file held (`nil` live).
    public var format: InputFormat?
    /// What the reader assumed about the input (lspci text) and what a snapshot recorded about the machine.
    public var assumptions: [InputAssumption]
    public var recorded: RecordedSystem?
    public var libpciVersion: String
    /// `file:line: warning: ...` lines from the dump reader (and a missing pci.ids).
    public var warnings: [String]
    public var functions: [ScanRecord]

    /// Builds the records: decodes each function, finds its parent bridge with `PCIBusTree`,
    /// and words an unknown ACS status for the source (`PCISource.explanation(of:)`).
    public init(_ result: PCIReadResult, libpciVersion: String = PCIReader.libpciVersion) {
        source = result.source
        format = result.format
        assumptions = result.assumptions
        recorded = result.recorded
        self.libpciVersion = libpciVersion
        warnings = result.warnings.map(\.description)
        let tree = PCIBusTree(result.functions)
        functions = result.functions.map {
            ScanRecord($0, parent: tree.parent(of: $0.address), source: result.source, format: result.format,
                       driver: result.recorded?.drivers[$0.address], iommuGroup: result.recorded?.iommuGroups[$0.address])
        }
        notes = result.inputNotes
    }

    /// `inputNotes` of the read: printed under the table.
    var notes: [String]

    enum Keys: String, CodingKey { case format, source, libpci, warnings, functions, assumptions, recorded }
    enum SourceKeys: String, CodingKey { case kind, path, format }
    enum AssumptionKeys: String, CodingKey { case kind, functions, text }
    enum RecordedKeys: String, CodingKey { case origin, kernelRelease, commandLine, iommuActive, root, notes }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(ScanReport.format, forKey: .format)
        var s = c.nestedContainer(keyedBy: SourceKeys.self, forKey: .source)
        switch source {
        case let .dump(path):
            try s.encode("dump", forKey: .kind)
            try s.encode(path, forKey: .path)
        case let .live(path):
            try s.encode("live", forKey: .kind)
            try s.encode(path ?? "/sys/bus/pci", forKey: .path)
        }
        try s.encode(format?.rawValue, forKey: .format)
        var list = c.nestedUnkeyedContainer(forKey: .assumptions)
        for a in assumptions {
            var o = list.nestedContainer(keyedBy: AssumptionKeys.self)
            try o.encode(a.kind.rawValue, forKey: .kind)
            try o.encode(a.functions.map(\.description), forKey: .functions)
            try o.encode(a.text, forKey: .text)
        }
        if let r = recorded {
            var o = c.nestedContainer(keyedBy: RecordedKeys.self, forKey: .recorded)
            try o.encode(r.origin, forKey: .origin)
            try o.encode(r.kernelRelease, forKey: .kernelRelease)
            try o.encode(r.commandLine, forKey: .commandLine)
            try o.encode(r.iommuActive, forKey: .iommuActive)
            try o.encode(r.root, forKey: .root)
            try o.encode(r.notes, forKey: .notes)
        } else {
            try c.encodeNil(forKey: .recorded)
        }
        try c.encode(libpciVersion, forKey: .libpci)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(functions, forKey: .functions)
    }

    /// Pretty-printed JSON with sorted keys and a final newline: byte-identical for the same input.
    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        let data = (try? e.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// How a piece of the text table should look; the caller maps it to colour (or nothing).
    public enum Style: Hashable, Sendable {
        case plain, header, present, absent, unknown, flagged, detail
    }

    /// A readable table: one row per function, then indented detail lines (ACSCap/ACSCtl as
    /// lspci prints them, why ACS is unknown, anomalies), then a one-line summary. Columns are
    /// padded before `style` is applied, so colour codes do not break the alignment.
    public func text(style: (String, Style) -> String = { s, _ in s }) -> String {
        let head = ["BDF", "ID", "CLASS", "HDR", "MF", "PORT", "PARENT", "BYTES", "ACS"]
        var rows: [[String]] = []
        for r in functions {
            rows.append([
                r.bdf, r.id, r.allOnes ? "-" : r.classID ?? "-", r.allOnes ? "-" : r.headerType.map(String.init) ?? "-",
                !r.allOnes && r.multifunction ? "yes" : "-",
                r.portType ?? (r.pcie == false ? "pci" : r.allOnes ? "-" : "?"), r.parentBridge ?? "-", String(r.readableBytes), r.acs.state,
            ])
        }
        var widths = head.map(\.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        let rightAligned: Set<Int> = [7]
        func pad(_ s: String, _ i: Int) -> String {
            let fill = String(repeating: " ", count: widths[i] - s.count)
            return rightAligned.contains(i) ? fill + s : s + fill
        }
        var out = ""
        out += style((head.enumerated().map { pad($0.element, $0.offset) } + ["NAME"]).joined(separator: "  "), .header) + "\n"
        let indent = String(repeating: " ", count: widths[0] + 2)
        for (r, row) in zip(functions, rows) {
            var cells = row.enumerated().map { pad($0.element, $0.offset) }
            let acsStyle: Style = r.allOnes ? .flagged : r.acs.state == "present" ? .present : r.acs.state == "absent" ? .absent : .unknown
            // Style the text, then pad, so escape codes never count towards the width.
            cells[8] = style(row[8], acsStyle) + String(repeating: " ", count: widths[8] - row[8].count)
            if r.allOnes { cells[1] = style(row[1], .flagged) + String(repeating: " ", count: widths[1] - row[1].count) }
            let name = r.names.map { "\($0.class): \($0.vendor) \($0.device)" } ?? ""
            out += (cells + [name]).joined(separator: "  ").trimmingTrailingSpaces() + "\n"
            for line in r.detailLines() { out += indent + style(line, .detail) + "\n" }
        }
        let present = functions.filter { $0.acs.state == "present" }.count
        let absent = functions.filter { $0.acs.state == "absent" }.count
        let unknown = functions.count - present - absent
        let flagged = functions.filter(\.allOnes).count
        var summary = "\(functions.count) function\(functions.count == 1 ? "" : "s"): ACS present on \(present), absent on \(absent), unknown on \(unknown)"
        if flagged > 0 { summary += "; \(flagged) all-ones (no device answered)" }
        out += summary + "\n"
        if !notes.isEmpty {
            out += style(format == .lspciText ? "Assumptions (lspci text):" : "Input:", .header) + "\n"
            for n in notes { out += "  - " + n + "\n" }
        }
        return out
    }
}

/// One function in `acsquirk scan` output (see docs/scan.md for the JSON fields).
public struct ScanRecord: Hashable, Sendable, Encodable {
    public var bdf: String
    public var vendorID: String
    public var deviceID: String
    /// `vvvv:dddd`.
    public var id: String
    public var names: PCINames?
    /// Base class and sub class, `0604`.
    public var classID: String?
    /// Header layout number (0 normal, 1 PCI-to-PCI bridge, 2 CardBus, else what was read).
    public var headerType: Int?
    public var multifunction: Bool
    /// Whether the function has a PCI Express capability; nil when that could not be read (a
    /// 64-byte read whose capability list starts beyond it) or for an all-ones function.
    public var pcie: Bool?
    /// `PCIExpressPortType.description` (`root-port`, `endpoint`, ...) or nil without a PCIe capability.
    public var portType: String?
    public var parentBridge: String?
    public var busNumbers: BridgeBusNumbers?
    public var readableBytes: Int
    public var allOnes: Bool
    public var anomalies: [String]
    public var acs: ACS
    /// The driver bound, as a snapshot or the lspci text (`Kernel driver in use:`) recorded it.
    public var driver: String?
    /// The kernel's IOMMU group, as a snapshot or the lspci text (`IOMMU group:`) recorded it.
    public var iommuGroup: Int?

    /// The ACS part of a record.
    public struct ACS: Hashable, Sendable, Encodable {
        /// `present`, `absent` or `unknown`.
        public var state: String
        public var reason: String?
        public var offset: String?
        public var version: Int?
        public var layout: String?
        public var capability: Register?
        public var control: Register?
        public var egressVectorBits: Int?
        public var lspciDecodesWrongly: Bool?
        /// What `lspci -vvv` prints at this capability (`ACSCap`, `ACSCtl`); differs from
        /// `capability`/`control` only for the Intel SPT dword layout.
        public var lspciShows: [String: String]?

        public struct Register: Hashable, Sendable, Encodable {
            /// The 16-bit register, `0x005f`.
            public var raw: String
            /// Short names of the seven base bits that are set, in bit order (`SV TB RR CR UF EC DT`).
            public var flags: [String]
            /// The bits as lspci prints them: `SrcValid+ TransBlk- ...`.
            public var lspci: String
        }

        enum Keys: String, CodingKey {
            case state, reason, offset, version, layout, capability, control, egressVectorBits, lspciDecodesWrongly, lspciShows
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(state, forKey: .state)
            try c.encode(reason, forKey: .reason)
            try c.encode(offset, forKey: .offset)
            try c.encode(version, forKey: .version)
            try c.encode(layout, forKey: .layout)
            try c.encode(capability, forKey: .capability)
            try c.encode(control, forKey: .control)
            try c.encode(egressVectorBits, forKey: .egressVectorBits)
            try c.encode(lspciDecodesWrongly, forKey: .lspciDecodesWrongly)
            try c.encode(lspciShows, forKey: .lspciShows)
        }
    }

    public init(_ f: PCIFunction, parent: PCIAddress?, source: PCISource, format: InputFormat? = nil,
                driver: String? = nil, iommuGroup: Int? = nil) {
        self.driver = driver
        self.iommuGroup = iommuGroup
        let c = f.config
        bdf = f.address.description
        vendorID = hex(f.vendorID, width: 4)
        deviceID = hex(f.deviceID, width: 4)
        id = f.idString
        names = f.names
        classID = c.classID.map { hex($0, width: 4) }
        headerType = c.headerType.map { Int($0.layoutNumber) }
        multifunction = c.headerType?.multifunction ?? false
        allOnes = f.isAllOnes
        portType = allOnes ? nil : f.portType?.description
        parentBridge = parent?.description
        busNumbers = allOnes ? nil : PCIBusTree.bridgeBusNumbers(c)
        readableBytes = c.readable
        var anomalies: [String] = []
        if !allOnes {
            // A list running past the readable bytes is what a short read looks like, not a
            // fault of the device: it shows as ACS unknown with the reason instead.
            for a in [c.standardCapabilities().anomaly, c.extendedCapabilities().anomaly].compactMap({ $0 }) {
                if case .pointerPastReadable = a { continue }
                anomalies.append(a.description)
            }
        }
        self.anomalies = anomalies
        let standardCut: Bool = { if case .pointerPastReadable? = c.standardCapabilities().anomaly { return true }; return false }()
        pcie = allOnes ? nil : c.pciExpress != nil ? true : (standardCut || c.readable < 64) ? nil : false
        switch c.acs {
        case .absent:
            acs = ACS(state: "absent")
        case let .unknown(reason):
            acs = ACS(state: "unknown", reason: format == .lspciText
                ? (f.isAllOnes ? reason.description : "not in the lspci text (see the assumptions)") : source.explanation(of: reason))
        case let .present(cap):
            func reg(_ raw: UInt16, _ flags: ACSFlags) -> ACS.Register {
                ACS.Register(raw: "0x" + hex(raw, width: 4), flags: flags.shortNames, lspci: flags.lspciDescription)
            }
            acs = ACS(state: "present", offset: "0x" + hex(cap.offset, width: 3), version: Int(cap.version),
                      layout: cap.layout.rawValue,
                      capability: reg(cap.rawCapability, cap.capability), control: reg(cap.rawControl, cap.control),
                      egressVectorBits: cap.capability.contains(.ec) ? cap.egressVectorBits : nil,
                      lspciDecodesWrongly: cap.lspciDecodesWrongly,
                      lspciShows: ["ACSCap": cap.lspciCapability.lspciDescription, "ACSCtl": cap.lspciControl.lspciDescription])
        }
    }

    enum Keys: String, CodingKey {
        case bdf, vendorID, deviceID, id, names, classID = "class", headerType, multifunction, pcie, portType, parentBridge,
             busNumbers, readableBytes, allOnes, anomalies, acs, driver, iommuGroup
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(bdf, forKey: .bdf)
        try c.encode(vendorID, forKey: .vendorID)
        try c.encode(deviceID, forKey: .deviceID)
        try c.encode(id, forKey: .id)
        try c.encode(names, forKey: .names)
        try c.encode(classID, forKey: .classID)
        try c.encode(headerType, forKey: .headerType)
        try c.encode(multifunction, forKey: .multifunction)
        try c.encode(pcie, forKey: .pcie)
        try c.encode(portType, forKey: .portType)
        try c.encode(parentBridge, forKey: .parentBridge)
        try c.encode(busNumbers, forKey: .busNumbers)
        try c.encode(readableBytes, forKey: .readableBytes)
        try c.encode(allOnes, forKey: .allOnes)
        try c.encode(anomalies, forKey: .anomalies)
        try c.encode(acs, forKey: .acs)
        try c.encode(driver, forKey: .driver)
        try c.encode(iommuGroup, forKey: .iommuGroup)
    }

    /// The indented lines under a row of the text table.
    func detailLines() -> [String] {
        var out: [String] = []
        if allOnes { out.append("flagged: reads all-ones (ffff:ffff): no device answered; not a real function") }
        switch acs.state {
        case "present":
            if let cap = acs.capability, let ctl = acs.control {
                out.append("ACSCap: " + cap.lspci)
                out.append("ACSCtl: " + ctl.lspci)
            }
            if acs.lspciDecodesWrongly == true, let shows = acs.lspciShows {
                out.append("Intel SPT/UPT PCH erratum: ACS Capability and Control are dwords at +4/+8; lspci decodes them wrongly as")
                out.append("  ACSCap: " + (shows["ACSCap"] ?? "") + " / ACSCtl: " + (shows["ACSCtl"] ?? ""))
            }
        case "unknown":
            if !allOnes, let r = acs.reason { out.append("ACS unknown: " + r) }
        default:
            break
        }
        for a in anomalies { out.append("anomaly: " + a) }
        return out
    }
}

extension ScanRecord.ACS {
    init(state: String, reason: String? = nil) {
        self.init(state: state, reason: reason, offset: nil, version: nil, layout: nil, capability: nil, control: nil,
                  egressVectorBits: nil, lspciDecodesWrongly: nil, lspciShows: nil)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
