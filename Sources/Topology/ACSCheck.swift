import PCIConfig
import Registry

/// Linux's answer to `pci_acs_enabled(dev, SV|RR|CR|UF)` for one device, with the reason
/// (drivers/pci/pci.c; linux-acs.md §3.2).
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
        /// `unknown`: extended config space was not readable, so the capability is treated as absent.
        case noACSCapability(unknown: Bool)
        /// The standard check: these requested controls are advertised but not enabled
        /// (empty: all enabled; unadvertised bits count as satisfied).
        case acsControls(missing: ACSFlags)
    }

    public var isolated: Bool
    public var reason: Reason
    /// The requested controls that are not provided (SV|RR|CR|UF subset); empty when isolated.
    public var missing: ACSFlags
}

/// Human-readable name of a (corrected) PCIe type, e.g. "root port", "multifunction endpoint".
func typeName(_ t: PCIExpressPortType?, multifunction: Bool = false) -> String {
    PCIExpressPortType.humanName(t, multifunction: multifunction)
}

/// `SV, RR, CR, UF`.
func flagList(_ f: ACSFlags) -> String { f.shortNames.joined(separator: ", ") }

/// `pci_acs_enabled(dev, requested)`: the quirk table first (a decisive answer is final), then the
/// type rules, then the standard capability check with unadvertised bits counted as satisfied.
public func linuxACSEnabled(_ d: KernelDevice, requested: ACSFlags = .linuxRequired, quirks: QuirkTable,
                            options: PredictionOptions) -> ACSVerdict {
    if let decision = quirks.decide(d.quirkFacts, requested: requested, platform: d.platform(options)) {
        let ok = decision.answer == .isolated
        return ACSVerdict(isolated: ok, reason: .quirk(decision), missing: ok ? [] : requested)
    }
    guard d.isPCIe, let type = d.type else {
        return ACSVerdict(isolated: false, reason: .notPCIe, missing: requested)
    }
    func standard() -> ACSVerdict {
        guard let regs = d.acsStandard else {
            var unknown = false
            if case .unknown = d.acsStatus { unknown = true }
            return ACSVerdict(isolated: false, reason: .noACSCapability(unknown: unknown), missing: requested)
        }
        let need = requested.intersection(regs.capability.union(.ec))
        let missing = need.subtracting(regs.control)
        return ACSVerdict(isolated: missing.isEmpty, reason: .acsControls(missing: missing), missing: missing)
    }
    switch type {
    case .pciToPCIeBridge, .pcieToPCIBridge, .rcEventCollector:
        return ACSVerdict(isolated: false, reason: .neverIsolatedType(type), missing: requested)
    case .downstreamPort, .rootPort:
        return standard()
    case .endpoint, .upstreamPort, .legacyEndpoint, .rcIntegratedEndpoint:
        if !d.multifunction {
            return ACSVerdict(isolated: true, reason: .singleFunction(type), missing: [])
        }
        return standard()
    case .other:
        return ACSVerdict(isolated: true, reason: .otherType(type), missing: [])
    }
}

extension ACSVerdict {
    /// Why the device is or is not isolated, as a phrase naming the device type and the missing
    /// controls, e.g. "root port 8086:a294 has no ACS capability (SV, RR, CR, UF not enforced)".
    public func phrase(for d: KernelDevice) -> String {
        let what = typeName(d.type, multifunction: d.multifunction && d.isPCIe && !(d.type?.isDownstreamFacingPort ?? false))
        let id = d.idString
        switch reason {
        case let .quirk(dec):
            let fn = dec.entry.kernel.function ?? "quirk"
            let src: String
            switch dec.entry.kernel.status {
            case .upstream: src = dec.row.row.map { "kernel quirk \(fn) (table row \($0))" } ?? "kernel quirk \(fn)"
            case .submitted: src = "registry entry \(dec.entry.vendorName) \(dec.entry.family) (submitted, \(fn))"
            case .new where dec.entry.family.hasPrefix("--quirk"):
                src = "what-if quirk \(fn) (\(dec.entry.family))"
            case .new: src = "registry entry \(dec.entry.vendorName) \(dec.entry.family) (new)"
            }
            if isolated { return "\(what) \(id) is isolated by \(src)" }
            return "\(what) \(id): \(src) answers \"not isolated\"" + stickyDetail(dec, d)
        case .notPCIe:
            return "\(what) \(id) has no PCI Express capability and no quirk (conventional PCI is never isolated)"
        case let .neverIsolatedType(t):
            return "\(typeName(t)) \(id) is never isolated (ACS does not apply to it)"
        case .singleFunction:
            return "\(what) \(id) is single-function (isolated without ACS)"
        case .otherType:
            return "\(what) \(id) is of a type ACS does not apply to (isolated)"
        case let .noACSCapability(unknown):
            if unknown {
                return "\(what) \(id): ACS unknown (extended config space not in the input, treated as absent; "
                    + "\(flagList(missing)) not enforced) and no quirk for \(id)"
            }
            if d.multifunction, !(d.type?.isDownstreamFacingPort ?? false) {
                return "\(what) without ACS and no quirk for \(id)"
            }
            return "\(what) \(id) has no ACS capability (\(flagList(missing)) not enforced) and no quirk"
        case let .acsControls(m):
            if m.isEmpty { return "\(what) \(id) enforces ACS \(flagList(ACSFlags.linuxRequired.intersection(d.acsStandard?.capability.union(.ec) ?? [])))" }
            return "\(what) \(id) has ACS but does not enable \(flagList(m))"
        }
    }

    private func stickyDetail(_ dec: QuirkTable.Decision, _ d: KernelDevice) -> String {
        let e = dec.entry
        if !e.covers(device: d.device), e.kernel.unlisted == .notIsolated {
            return " (the function answers 0 for every \(e.vendorName) ID it does not list, even with a real ACS capability)"
        }
        if e.appliesTo.requires.contains(.intelPCHRCBAWorkaround), !d.pchWorkaround.succeeds {
            return " (the Intel PCH RCBA workaround failed)"
        }
        if e.isolation.kind == .acsErratum { return " (its real ACS registers do not enable SV, RR, CR, UF)" }
        return ""
    }
}
