import PCIConfig

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

extension ACSCapability {
    /// Whether the capability advertises P2P Request and Completion Redirect (RR and CR): Linux's
    /// `pci_enable_acs()` enables them and `pci_acs_enabled()` then isolates the device without a
    /// quirk. The one test behind `check`'s `has-acs`/`overrides-acs` and `new`'s note.
    var advertisesRedirect: Bool { capability.isSuperset(of: [.rr, .cr]) }
}
