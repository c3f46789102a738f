/// Names of a function from the pci.ids database (through libpci), when looked up.
public struct PCINames: Hashable, Sendable, Codable {
    public var vendor: String
    public var device: String
    public var `class`: String

    public init(vendor: String, device: String, class: String) {
        self.vendor = vendor
        self.device = device
        self.class = `class`
    }
}

/// One PCI function as read from a system or a dump: its address, its config space and,
/// optionally, its names. A pure value: where it came from is the access layer's business.
public struct PCIFunction: Hashable, Sendable {
    public var address: PCIAddress
    public var config: ConfigSpace
    public var names: PCINames?

    public init(address: PCIAddress, config: ConfigSpace, names: PCINames? = nil) {
        self.address = address
        self.config = config
        self.names = names
    }

    public var vendorID: UInt16 { config.vendorID ?? 0xffff }
    public var deviceID: UInt16 { config.deviceID ?? 0xffff }
    /// `vvvv:dddd`.
    public var idString: String { hex(vendorID, width: 4) + ":" + hex(deviceID, width: 4) }
    public var headerType: HeaderType? { config.headerType }
    public var portType: PCIExpressPortType? { config.pciExpress?.portType }
    public var acs: ACSStatus { config.acs }
    /// Whether the function reads all-ones (vendor ID 0xffff, "Illegal Vendor ID"): no device
    /// answered at this address (for example a hidden GPU audio function), so it must be flagged,
    /// not treated as a device with capabilities. Linux does not enumerate such a function.
    public var isAllOnes: Bool { config.isAllOnes }
    /// Header type 1 (PCI-to-PCI bridge) or 2 (CardBus bridge).
    public var isBridge: Bool {
        guard let l = headerType?.layout else { return false }
        return l == .bridge || l == .cardBus
    }
}
