import PCIConfig
import Registry

/// What the checks need to know about one function, as Linux sees it after enumeration.
///
/// `portType` is the PCIe Device/Port type (`nil`: no PCI Express capability), `multifunction`
/// Linux's `pdev->multifunction` (header type bit 7 of the function; every function found at
/// fn > 0 is forced to 1 by `pci_scan_slot`, linux-acs.md §3.2), `onRootBus`
/// `pci_is_root_bus(dev->bus)`.
public struct FunctionView: Hashable, Sendable {
    public var address: PCIAddress
    public var vendor: UInt16
    public var device: UInt16
    public var portType: PCIExpressPortType?
    public var multifunction: Bool
    /// Why `multifunction` has its value: `function 1 (fn > 0)`, `header type bit 7 set` or `clear`.
    public var multifunctionReason: String
    /// Base class << 8 | sub class.
    public var classID: UInt16?
    public var onRootBus: Bool
    public var acs: ACSStatus
    public var config: ConfigSpace
    public var names: PCINames?

    /// Whether the capability list could be read, so that "no PCI Express capability" is known
    /// rather than unseen (a non-root live read or an `lspci -x` dump gives only 64 bytes).
    public var portTypeKnown: Bool { portType != nil || config.readable >= ConfigSpace.extendedStart }

    public init(address: PCIAddress, vendor: UInt16, device: UInt16, portType: PCIExpressPortType?,
                multifunction: Bool, multifunctionReason: String, classID: UInt16?, onRootBus: Bool,
                acs: ACSStatus, config: ConfigSpace, names: PCINames?) {
        self.address = address
        self.vendor = vendor
        self.device = device
        self.portType = portType
        self.multifunction = multifunction
        self.multifunctionReason = multifunctionReason
        self.classID = classID
        self.onRootBus = onRootBus
        self.acs = acs
        self.config = config
        self.names = names
    }

    /// The view of `f` from its own config space: PCIe type as the capability says, the
    /// multifunction rule of `pci_scan_slot`, root bus from `tree`.
    public init(_ f: PCIFunction, tree: PCIConfig.PCIBusTree) {
        let mf = FunctionView.linuxMultifunction(f)
        self.init(address: f.address, vendor: f.vendorID, device: f.deviceID, portType: f.portType,
                  multifunction: mf.value, multifunctionReason: mf.reason, classID: f.config.classID,
                  onRootBus: tree.isOnRootBus(f.address), acs: f.acs, config: f.config, names: f.names)
    }

    /// Linux's `pdev->multifunction` for `f`: function > 0 is always multifunction
    /// (`pci_scan_slot`), function 0 has it when bit 7 of its Header Type register is set.
    public static func linuxMultifunction(_ f: PCIFunction) -> (value: Bool, reason: String) {
        if f.address.function > 0 { return (true, "function \(f.address.function) (fn > 0)") }
        if f.headerType?.multifunction == true { return (true, "header type bit 7 set") }
        return (false, "header type bit 7 clear")
    }

    /// `vvvv:dddd`.
    public var idString: String { hex(vendor, width: 4) + ":" + hex(device, width: 4) }

    /// What kind of function this is, in words: `root port`, `multifunction endpoint`, ...
    public var kindDescription: String {
        let base = PCIExpressPortType.humanName(portType)
        if portType?.isDownstreamFacingPort == true { return base }
        return (multifunction ? "multifunction " : "single-function ") + base
    }

    /// The port-type word the registry uses for this function (`endpoint`, `root-port`, ...), or
    /// `nil` for types no `applies-to.port-type` names (upstream ports, bridges, no PCIe).
    public var registryPortType: AppliesTo.PortTypeCondition? {
        switch portType {
        case .endpoint?, .legacyEndpoint?: .endpoint
        case .rootPort?: .rootPort
        case .downstreamPort?: .downstreamPort
        case .rcIntegratedEndpoint?: .rciep
        default: nil
        }
    }

    /// The function's type as a machine word: `root-port`, ..., or `conventional` without PCIe.
    public var portTypeName: String { portType?.description ?? "conventional" }
}

/// One condition of an entry's `applies-to` evaluated for one function (the steps 1-4 and 6 of the
/// shared quirk semantics, docs/registry.md "What an entry answers").
public struct ConditionCheck: Hashable, Sendable {
    public enum Name: String, Hashable, Sendable, Codable {
        case portType = "port-type"
        case multifunction
        case classID = "class"
        case rootBus = "root-bus"
        case acsCapability = "acs-capability"
        case amdIVRS = "amd-ivrs"
        case intelPCHWorkaround = "intel-pch-rcba-workaround"
    }

    public enum State: String, Hashable, Sendable, Codable {
        /// Config space shows the condition holds.
        case holds
        /// Config space shows it does not: the quirk passes (-ENOTTY) for this function.
        case fails
        /// Config space cannot tell (a platform fact, or ACS not readable): what was assumed is in `actual`.
        case assumed
    }

    public var name: Name
    public var state: State
    /// What the entry asks for, e.g. `root-port`, `true`, `0x0200`.
    public var expected: String
    /// What the function has, e.g. `endpoint`, `false (header type bit 7 clear)`.
    public var actual: String
    /// The registry field the condition comes from (for file:line), e.g. `applies-to.port-type`.
    public var field: String
}

/// The platform facts the checks assume (config space cannot show them).
public struct PlatformFacts: Hashable, Sendable {
    /// An AMD IOMMU with an ACPI IVRS table is present.
    public var amdIVRS: Bool
    /// Whether the Intel PCH RCBA workaround succeeds for a function (nil: unknown, assumed to).
    public var intelPCHWorkaround: @Sendable (PCIAddress) -> (succeeds: Bool, why: String)

    public init(amdIVRS: Bool = false,
                intelPCHWorkaround: @escaping @Sendable (PCIAddress) -> (succeeds: Bool, why: String) = { _ in (true, "assumed to succeed") }) {
        self.amdIVRS = amdIVRS
        self.intelPCHWorkaround = intelPCHWorkaround
    }

    public static func == (a: PlatformFacts, b: PlatformFacts) -> Bool { a.amdIVRS == b.amdIVRS }
    public func hash(into h: inout Hasher) { h.combine(amdIVRS) }
}

extension QuirkEntry {
    /// Every condition of `applies-to` evaluated for `f`, in the order the kernel functions test
    /// them: port type, multifunction, class, then each `requires` item.
    public func conditions(for f: FunctionView, platform: PlatformFacts = PlatformFacts()) -> [ConditionCheck] {
        var out: [ConditionCheck] = []
        let a = appliesTo
        if a.portType != .any {
            if f.portTypeKnown {
                out.append(ConditionCheck(name: .portType, state: a.portType.matches(f.portType) ? .holds : .fails,
                                          expected: a.portType.rawValue, actual: f.portTypeName, field: "applies-to.port-type"))
            } else {
                out.append(ConditionCheck(name: .portType, state: .assumed, expected: a.portType.rawValue,
                                          actual: "unknown: only \(f.config.readable) bytes of config space readable (run as root)",
                                          field: "applies-to.port-type"))
            }
        }
        if let mf = a.multifunction {
            out.append(ConditionCheck(name: .multifunction, state: mf == f.multifunction ? .holds : .fails,
                                      expected: String(mf), actual: "\(f.multifunction) (\(f.multifunctionReason))",
                                      field: "applies-to.multifunction"))
        }
        if let c = a.classID {
            out.append(ConditionCheck(name: .classID, state: c == f.classID ? .holds : .fails,
                                      expected: "0x" + hex(c, width: 4), actual: f.classID.map { "0x" + hex($0, width: 4) } ?? "unknown",
                                      field: "applies-to.class"))
        }
        for r in a.requires {
            switch r {
            case .rootBus:
                out.append(ConditionCheck(name: .rootBus, state: f.onRootBus ? .holds : .fails, expected: "on a root bus",
                                          actual: f.onRootBus ? "on a root bus" : "behind a bridge", field: "applies-to.requires"))
            case .acsCapability:
                let state: ConditionCheck.State
                let actual: String
                switch f.acs {
                case .present: state = .holds; actual = "ACS capability present"
                case .absent: state = .fails; actual = "no ACS capability"
                case let .unknown(why): state = .assumed; actual = "ACS unknown (\(why)); assumed absent as Linux would see it"
                }
                out.append(ConditionCheck(name: .acsCapability, state: state, expected: "an ACS capability", actual: actual,
                                          field: "applies-to.requires"))
            case .amdIVRS:
                out.append(ConditionCheck(name: .amdIVRS, state: .assumed, expected: "an AMD IOMMU (ACPI IVRS table)",
                                          actual: platform.amdIVRS ? "assumed present (--amd-iommu)" : "assumed absent (--amd-iommu to assume one)",
                                          field: "applies-to.requires"))
            case .intelPCHRCBAWorkaround:
                let w = platform.intelPCHWorkaround(f.address)
                out.append(ConditionCheck(name: .intelPCHWorkaround, state: .assumed,
                                          expected: "the Intel PCH RCBA workaround succeeds",
                                          actual: (w.succeeds ? "succeeds: " : "fails: ") + w.why, field: "applies-to.requires"))
            }
        }
        return out
    }

    /// Whether the entry's device list covers the whole 16-bit ID space of its vendor (a
    /// vendor-wide quirk such as Intel's RCiEP one): such an entry "covers" every device of the
    /// vendor, so only functions whose conditions hold are worth reporting.
    public var isVendorWide: Bool {
        devices.contains { if case let .range(a, b) = $0 { return a == 0 && b == 0xffff }; return false }
    }
}

extension Array where Element == ConditionCheck {
    /// The conditions that config space shows do not hold.
    public var failing: [ConditionCheck] { filter { $0.state == .fails } }
}

/// Text for a function's ACS status: `none`, `cap SV|RR|CR|UF ctl SV|RR|CR|UF at 0x148`,
/// `unknown (extended config space not in dump)`.
public func acsSummary(_ status: ACSStatus, explain: (ACSStatus.UnknownReason) -> String = { $0.description }) -> String {
    switch status {
    case .absent: return "no ACS capability"
    case let .unknown(why): return "ACS unknown (\(explain(why)))"
    case let .present(c):
        var s = "ACS at 0x\(hex(c.offset, width: 3)): cap \(c.capability), ctl \(c.control)"
        if c.layout == .intelSPTDword {
            s += " (read as dwords, Intel SPT erratum; lspci decodes cap \(c.lspciCapability), ctl \(c.lspciControl))"
        }
        return s
    }
}

/// The ACS Capability and Control registers at `cap` read with `layout`: the standard 16-bit
/// registers at +4/+6, or the Intel Sunrise Point dwords at +4/+8 (`pci_quirk_intel_spt_pch_acs`).
/// `nil` when the bytes are not readable.
public func acsRegisters(_ config: ConfigSpace, capability cap: ACSCapability,
                         layout: ACSRegisterLayout) -> (capability: ACSFlags, control: ACSFlags)? {
    switch layout {
    case .standard:
        guard let c = config.u16(cap.offset + 4), let k = config.u16(cap.offset + 6) else { return nil }
        return (ACSFlags(rawValue: c & ACSFlags.all.rawValue), ACSFlags(rawValue: k & ACSFlags.all.rawValue))
    case .intelSPTDword:
        guard let c = config.u32(cap.offset + 4), let k = config.u32(cap.offset + 8) else { return nil }
        return (ACSFlags(rawValue: UInt16(truncatingIfNeeded: c) & ACSFlags.all.rawValue),
                ACSFlags(rawValue: UInt16(truncatingIfNeeded: k) & ACSFlags.all.rawValue))
    }
}
