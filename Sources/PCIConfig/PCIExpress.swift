/// PCI Express Device/Port Type: bits 7:4 of the PCI Express Capabilities register
/// (PCIe Base Specification §7.5.3.2; Linux `PCI_EXP_TYPE_*` in include/uapi/linux/pci_regs.h).
public enum PCIExpressPortType: Hashable, Sendable, CustomStringConvertible, Codable {
    case endpoint                // 0x0
    case legacyEndpoint          // 0x1
    case rootPort                // 0x4
    case upstreamPort            // 0x5
    case downstreamPort          // 0x6
    case pcieToPCIBridge         // 0x7
    case pciToPCIeBridge         // 0x8
    case rcIntegratedEndpoint    // 0x9 (RCiEP)
    case rcEventCollector        // 0xa
    case other(UInt8)

    public init(rawValue: UInt8) {
        switch rawValue {
        case 0x0: self = .endpoint
        case 0x1: self = .legacyEndpoint
        case 0x4: self = .rootPort
        case 0x5: self = .upstreamPort
        case 0x6: self = .downstreamPort
        case 0x7: self = .pcieToPCIBridge
        case 0x8: self = .pciToPCIeBridge
        case 0x9: self = .rcIntegratedEndpoint
        case 0xa: self = .rcEventCollector
        default: self = .other(rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .endpoint: 0x0
        case .legacyEndpoint: 0x1
        case .rootPort: 0x4
        case .upstreamPort: 0x5
        case .downstreamPort: 0x6
        case .pcieToPCIBridge: 0x7
        case .pciToPCIeBridge: 0x8
        case .rcIntegratedEndpoint: 0x9
        case .rcEventCollector: 0xa
        case let .other(v): v
        }
    }

    /// The name lspci prints after "Express (vN)" (ls-caps.c `cap_express`).
    public var lspciName: String {
        switch self {
        case .endpoint: "Endpoint"
        case .legacyEndpoint: "Legacy Endpoint"
        case .rootPort: "Root Port"
        case .upstreamPort: "Upstream Port"
        case .downstreamPort: "Downstream Port"
        case .pcieToPCIBridge: "PCI-Express to PCI/PCI-X Bridge"
        case .pciToPCIeBridge: "PCI/PCI-X to PCI-Express Bridge"
        case .rcIntegratedEndpoint: "Root Complex Integrated Endpoint"
        case .rcEventCollector: "Root Complex Event Collector"
        case let .other(v): "Unknown type \(v)"
        }
    }

    /// A stable machine name: `endpoint`, `legacy-endpoint`, `root-port`, `upstream-port`,
    /// `downstream-port`, `pcie-to-pci-bridge`, `pci-to-pcie-bridge`, `rciep`, `rc-event-collector`,
    /// `type-N`.
    public var description: String {
        switch self {
        case .endpoint: "endpoint"
        case .legacyEndpoint: "legacy-endpoint"
        case .rootPort: "root-port"
        case .upstreamPort: "upstream-port"
        case .downstreamPort: "downstream-port"
        case .pcieToPCIBridge: "pcie-to-pci-bridge"
        case .pciToPCIeBridge: "pci-to-pcie-bridge"
        case .rcIntegratedEndpoint: "rciep"
        case .rcEventCollector: "rc-event-collector"
        case let .other(v): "type-\(v)"
        }
    }

    public init?(name: String) {
        let all: [PCIExpressPortType] = [.endpoint, .legacyEndpoint, .rootPort, .upstreamPort, .downstreamPort,
                                         .pcieToPCIBridge, .pciToPCIeBridge, .rcIntegratedEndpoint, .rcEventCollector]
        guard let t = all.first(where: { $0.description == name }) else { return nil }
        self = t
    }

    /// The kind of function in words, for messages: `root port`, `switch downstream port`,
    /// `RCiEP`, `PCIe-to-PCI bridge`, ...
    public var humanName: String {
        switch self {
        case .endpoint: "endpoint"
        case .legacyEndpoint: "legacy endpoint"
        case .rootPort: "root port"
        case .upstreamPort: "switch upstream port"
        case .downstreamPort: "switch downstream port"
        case .pcieToPCIBridge: "PCIe-to-PCI bridge"
        case .pciToPCIeBridge: "PCI-to-PCIe bridge"
        case .rcIntegratedEndpoint: "RCiEP"
        case .rcEventCollector: "root complex event collector"
        case let .other(v): "PCIe type \(v) function"
        }
    }

    /// Whether `pci_acs_enabled()` (drivers/pci/pci.c) reads `pdev->multifunction` for a function
    /// of this type: an endpoint, legacy endpoint, switch upstream port or RCiEP is isolated when
    /// single-function and needs ACS when multifunction; for every other type the flag changes
    /// nothing (ports are checked for ACS, bridges and event collectors never isolated, other
    /// types always). LinuxPCI's `pciACSEnabled` branches on it; the lspci text reader states the
    /// multifunction bit it cannot see only for these types.
    public var pciACSEnabledReadsMultifunction: Bool {
        switch self {
        case .endpoint, .legacyEndpoint, .upstreamPort, .rcIntegratedEndpoint: true
        case .rootPort, .downstreamPort, .pcieToPCIBridge, .pciToPCIeBridge, .rcEventCollector, .other: false
        }
    }

    /// `humanName` for an optional type (`nil`: no PCI Express capability), prefixed with
    /// "multifunction " when `multifunction` is true.
    public static func humanName(_ type: PCIExpressPortType?, multifunction: Bool = false) -> String {
        let base = type?.humanName ?? "conventional PCI function"
        return multifunction ? "multifunction " + base : base
    }

    /// The kernel's name of the type (include/uapi/linux/pci_regs.h), e.g. `PCI_EXP_TYPE_ROOT_PORT`;
    /// `nil` for a value the specification does not define.
    public var kernelMacro: String? {
        switch self {
        case .endpoint: "PCI_EXP_TYPE_ENDPOINT"
        case .legacyEndpoint: "PCI_EXP_TYPE_LEG_END"
        case .rootPort: "PCI_EXP_TYPE_ROOT_PORT"
        case .upstreamPort: "PCI_EXP_TYPE_UPSTREAM"
        case .downstreamPort: "PCI_EXP_TYPE_DOWNSTREAM"
        case .pcieToPCIBridge: "PCI_EXP_TYPE_PCI_BRIDGE"
        case .pciToPCIeBridge: "PCI_EXP_TYPE_PCIE_BRIDGE"
        case .rcIntegratedEndpoint: "PCI_EXP_TYPE_RC_END"
        case .rcEventCollector: "PCI_EXP_TYPE_RC_EC"
        case .other: nil
        }
    }

    /// Root ports and switch downstream ports: the ports that forward peer-to-peer traffic
    /// between devices below them and that ACS SV/RR/CR/UF apply to.
    public var isDownstreamFacingPort: Bool { self == .rootPort || self == .downstreamPort }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let t = PCIExpressPortType(name: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown port type \(s)"))
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The PCI Express capability (`PCI_CAP_ID_EXP`), PCIe Base Specification §7.5.3.
public struct PCIExpressCapability: Hashable, Sendable {
    /// Offset of the capability in config space.
    public let offset: Int
    /// PCI Express Capabilities register (+0x02).
    public let flags: UInt16

    /// Capability version (`PCI_EXP_FLAGS_VERS`).
    public var version: UInt8 { UInt8(flags & PCI_EXP_FLAGS_VERS) }
    /// Device/Port type (`PCI_EXP_FLAGS_TYPE`).
    public var portType: PCIExpressPortType { PCIExpressPortType(rawValue: UInt8((flags & PCI_EXP_FLAGS_TYPE) >> 4)) }
    /// Slot Implemented (`PCI_EXP_FLAGS_SLOT`; root and downstream ports).
    public var slotImplemented: Bool { flags & PCI_EXP_FLAGS_SLOT != 0 }
}

extension ConfigSpace {
    /// The PCI Express capability, or `nil` when the function has none (conventional PCI) or
    /// its capability list cannot be read.
    public var pciExpress: PCIExpressCapability? {
        guard let off = findCapability(PCI_CAP_ID_EXP), let flags = u16(off + PCI_EXP_FLAGS) else { return nil }
        return PCIExpressCapability(offset: off, flags: flags)
    }
}
