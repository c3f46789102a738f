import PCIConfig

// Linux's ACS functions (drivers/pci/pci.c, drivers/pci/quirks.c), each once: the checks
// `pci_acs_flags_enabled`, `pci_acs_enabled`, `pci_acs_path_enabled` (in DeviceGroup.swift, memoized
// for the walk) and the enabling `pci_enable_acs` with `pci_std_enable_acs` and the device-specific
// ops of `pci_dev_acs_ops[]`.

/// `REQ_ACS_FLAGS` (drivers/iommu/iommu.c): SV|RR|CR|UF, what `pci_device_group()` asks for.
public let REQ_ACS_FLAGS: ACSFlags = .linuxRequired

/// `pci_acs_flags_enabled(pdev, acs_flags)` (drivers/pci/pci.c) on a function's registers: the
/// requested controls the capability advertises (EC always counts as advertised) must be enabled
/// in Control; a control the capability does not advertise counts as hard-wired enabled. Returns
/// the requested controls that are advertised but not enabled (empty: enabled).
/// `pci_quirk_intel_spt_pch_acs()` makes the same test on its dword registers.
public func pciACSFlagsMissing(_ registers: ACSRegisters, _ flags: ACSFlags) -> ACSFlags {
    pciACSFlagsRequired(registers, flags).subtracting(registers.control)
}

/// The requested controls `pci_acs_flags_enabled()` requires of these registers: those the
/// capability advertises, and EC always.
public func pciACSFlagsRequired(_ registers: ACSRegisters, _ flags: ACSFlags) -> ACSFlags {
    flags.intersection(registers.capability.union(.ec))
}

/// `pci_acs_flags_enabled(pdev, acs_flags)`: whether `pciACSFlagsMissing` is empty.
public func pciACSFlagsEnabled(_ registers: ACSRegisters, _ flags: ACSFlags) -> Bool {
    pciACSFlagsMissing(registers, flags).isEmpty
}

/// `pci_std_enable_acs(dev)` (drivers/pci/pci.c): Control |= the advertised SV, RR, CR, UF
/// (`pciACSEnableBits`, in PCIConfig: the lspci text reader rebuilds the Intel SPT Control with it).
/// Returns whether Control changed.
public func pciStdEnableACS(_ registers: inout ACSRegisters) -> Bool {
    let add = pciACSEnableBits(registers.capability)
    defer { registers.control.formUnion(add) }
    return !registers.control.isSuperset(of: add)
}

/// `pci_quirk_enable_intel_spt_pch_acs(dev)` (drivers/pci/quirks.c, an op of `pci_dev_acs_ops[]`):
/// the bits `pci_std_enable_acs` sets, on the Intel Sunrise Point dword registers (Control at
/// `INTEL_SPT_ACS_CTRL`). Returns whether Control changed.
public func pciQuirkEnableIntelSPTPCHACS(_ registers: inout ACSRegisters) -> Bool { pciStdEnableACS(&registers) }

/// `pci_enable_acs(dev)` (drivers/pci/pci.c) for a function with an ACS capability: THE one place
/// the ACS Control value Linux leaves is computed.
///
/// The value found in the input is the starting point. With `system.assumeIOMMU` (the input is as
/// firmware left it), the enable step runs as when an IOMMU requested ACS: the first op of
/// `pci_dev_acs_ops[]` that handles the device (`pci_dev_specific_enable_acs`: for Control only
/// `pci_quirk_enable_intel_spt_pch_acs` writes registers; the Intel PCH ports' op is
/// `KernelView.pciQuirkEnableIntelPCHACS`), else `pci_std_enable_acs`. Kernel parameters that
/// rewrite Control (`pci_disable_acs_redir`, `pci=config_acs=`) act after that step, on the same
/// values. 7.x's `pci_disable_broken_acs_cap()` edits the cached capability first.
public func pciEnableACS(_ function: PCIFunction, capability cap: ACSCapability, type: PCIExpressPortType?,
                         system: LinuxSystem) -> PCIDevACS {
    // The registers as found, from the one decoder: the standard reading (lspci's), and the
    // Intel SPT dwords where the input holds them (a what-if `acs-erratum` entry with the dword
    // layout reads them on any device).
    var standard = cap.lspci
    var dword = cap.layout == .intelSPTDword
        ? cap.registers : function.config.acsRegisters(at: cap.offset, layout: .intelSPTDword)
    // pci_acs_init() → pci_disable_broken_acs_cap() (7.x): IDT switch ports lose SV.
    if system.kernel.masksIDTSourceValidation, function.vendorID == 0x111d,
       function.deviceID == 0x80b5 || function.deviceID == 0x8090 {
        standard.capability.remove(.sv)
    }
    var enabled = false
    if system.assumeIOMMU {
        if cap.layout == .intelSPTDword, type == .rootPort, var registers = dword {
            // pci_dev_specific_enable_acs() → pci_quirk_enable_intel_spt_pch_acs().
            enabled = pciQuirkEnableIntelSPTPCHACS(&registers)
            dword = registers
        } else {
            enabled = pciStdEnableACS(&standard)
            // The dword reading of other devices only matters to a what-if `acs-erratum` entry
            // that reads them with the dword layout: it sees them enabled the same way.
            if dword != nil { _ = pciStdEnableACS(&dword!) }
        }
    }
    return PCIDevACS(offset: cap.offset, standard: standard, intelSPTDword: dword, enabledByLinux: enabled)
}

/// Linux's answer to `pci_acs_enabled(dev, acs_flags)` for one device, with the reason
/// (drivers/pci/pci.c).
public struct ACSVerdict: Hashable, Sendable {
    public enum Reason: Hashable, Sendable {
        /// The quirk table answered (first decisive row), overriding any ACS capability.
        case quirk(QuirkTable.Decision)
        /// No PCI Express capability: conventional PCI/PCI-X never isolates.
        case notPCIe
        /// PCIe-to-PCI bridge, PCI-to-PCIe bridge or Root Complex Event Collector: never isolated.
        case neverIsolatedType(PCIExpressPortType)
        /// Endpoint, legacy endpoint, upstream port or RCiEP that is not multifunction: isolated.
        case singleFunction(PCIExpressPortType)
        /// A type ACS does not apply to: isolated.
        case otherType(PCIExpressPortType)
        /// The standard check on a device that needs ACS but has no ACS capability.
        /// `unknown`: why the input cannot show the capability (extended config space not
        /// readable, registers past the end of config space); it is treated as absent.
        case noACSCapability(unknown: ACSStatus.UnknownReason?)
        /// The standard check: these requested controls are advertised but not enabled
        /// (empty: all enabled; unadvertised bits count as satisfied).
        case acsControls(missing: ACSFlags)
    }

    public var isolated: Bool
    public var reason: Reason
    /// The requested controls that are not provided (SV|RR|CR|UF subset); empty when isolated.
    public var missing: ACSFlags
}

/// `pci_acs_enabled(dev, acs_flags)` (drivers/pci/pci.c): the quirk table first
/// (`pci_dev_specific_acs_enabled`, a decisive answer is final), then the type rules, then
/// `pci_acs_flags_enabled` with unadvertised bits counted as satisfied.
public func pciACSEnabled(_ d: PCIDev, _ flags: ACSFlags = REQ_ACS_FLAGS, quirks: QuirkTable,
                          system: LinuxSystem) -> ACSVerdict {
    if let decision = quirks.pciDevSpecificACSEnabled(d, flags, system) {
        let ok = decision.answer == .isolated
        return ACSVerdict(isolated: ok, reason: .quirk(decision), missing: ok ? [] : flags)
    }
    guard d.isPCIe, let type = d.type else {
        return ACSVerdict(isolated: false, reason: .notPCIe, missing: flags)
    }
    func standard() -> ACSVerdict {
        guard let regs = d.acsStandard else {
            var unknown: ACSStatus.UnknownReason?
            if case let .unknown(why) = d.acsStatus { unknown = why }
            return ACSVerdict(isolated: false, reason: .noACSCapability(unknown: unknown), missing: flags)
        }
        let missing = pciACSFlagsMissing(regs, flags)
        return ACSVerdict(isolated: missing.isEmpty, reason: .acsControls(missing: missing), missing: missing)
    }
    switch type {
    case .pciToPCIeBridge, .pcieToPCIBridge, .rcEventCollector:
        return ACSVerdict(isolated: false, reason: .neverIsolatedType(type), missing: flags)
    case .downstreamPort, .rootPort:
        return standard()
    case _ where type.pciACSEnabledReadsMultifunction:
        // Endpoint, upstream port, legacy endpoint, RCiEP.
        if !d.multifunction {
            return ACSVerdict(isolated: true, reason: .singleFunction(type), missing: [])
        }
        return standard()
    default:
        return ACSVerdict(isolated: true, reason: .otherType(type), missing: [])
    }
}
