import PCIConfig

extension QuirkEntry {
    /// Whether this entry claims exactly what `pci_quirk_mf_endpoint_acs()` (drivers/pci/quirks.c)
    /// answers, so that rows calling that function are its code and an imported row calling it is
    /// this entry: port type `endpoint` or `any`, `multifunction` true or unset, no `class`, no
    /// `requires`, not an `acs-erratum` claim, and `acs-equivalent` exactly SV|TB|RR|CR|UF|DT.
    ///
    /// `multifunction: true` is equivalent to unset here because the function's answer for a
    /// single-function endpoint never changes an IOMMU group: Linux's `pci_acs_enabled()` already
    /// returns true for a single-function endpoint (it only tests ACS on multifunction devices,
    /// downstream ports and RCiEPs), so a condition that leaves single-function endpoints out of
    /// the quirk leaves every group as it is. The patch generator (`QuirkShape`, `CodePlanner`)
    /// and the importer's in-place merge (`KernelImporter.plan`) both use this one predicate.
    public var isMultifunctionEndpointQuirkShape: Bool {
        Self.isMultifunctionEndpointQuirkShape(portType: appliesTo.portType, multifunction: appliesTo.multifunction,
                                               classID: appliesTo.classID, requires: !appliesTo.requires.isEmpty,
                                               fromRegisters: isolation.kind == .acsErratum,
                                               acsEquivalent: isolation.acsEquivalent)
    }

    /// `isMultifunctionEndpointQuirkShape` for the parts of a claim (for shapes read from code):
    /// `requires` whether any platform requirement is set, `fromRegisters` whether the answer
    /// comes from the real ACS registers (`acs-erratum`).
    public static func isMultifunctionEndpointQuirkShape(portType: AppliesTo.PortTypeCondition, multifunction: Bool?,
                                                         classID: UInt16?, requires: Bool, fromRegisters: Bool,
                                                         acsEquivalent: ACSFlags) -> Bool {
        (portType == .any || portType == .endpoint) && multifunction != false && classID == nil && !requires
            && !fromRegisters && acsEquivalent == .multifunctionEndpointQuirk
    }
}
