import PCIConfig
import Registry

extension GroupPrediction {
    /// A short address: `bb:dd.f` when every function is in domain 0000, else `dddd:bb:dd.f`.
    public func name(_ i: Int) -> String {
        let a = tree.functions[i].address
        return singleDomain ? a.shortDescription : a.description
    }

    /// Whether every function is in domain 0000 (addresses are then printed `bb:dd.f`).
    public var singleDomain: Bool { tree.functions.allSatisfy { $0.address.domain == 0 } }

    /// Why device `i` is in its group, as one sentence naming the devices and the missing controls;
    /// `nil` for the device that allocated the group.
    public func explanation(_ i: Int) -> String? {
        let me = name(i)
        switch reasons[i] {
        case .newGroup:
            return nil
        case let .dmaAliasWalk(via, hop):
            let b = devices[via]
            switch hop {
            case .own:
                return "\(me) is a DMA alias of \(name(via))"
            case let .pcieToPCIBridge(rid):
                return "\(me) joins \(name(via)): behind PCIe-to-PCI bridge \(name(via)) (\(b.idString)), "
                    + "requester ID aliased to \(ridName(rid, via))"
            case let .pciToPCIeBridge(rid):
                return "\(me) joins \(name(via)): behind PCI-to-PCIe bridge \(name(via)) (\(b.idString)), "
                    + "requester ID aliased to \(ridName(rid, via))"
            case let .conventionalBridge(rid, quirk):
                let bridge = b.portTypeKnown ? "conventional PCI bridge" : "bridge of unknown type (taken as conventional PCI)"
                return "\(me) joins \(name(via)): behind \(bridge) \(name(via)) (\(b.idString)), "
                    + "requester ID aliased to \(ridName(rid, via))"
                    + (quirk ? " (quirk_use_pcie_bridge_dma_alias: it is really a PCIe-to-PCI bridge)" : "")
            }
        case let .upstreamNotIsolated(bridge, failing):
            var s = "\(me) joins \(name(bridge)): " + verdicts[failing].phrase(for: devices[failing])
            if failing != bridge { s += " (\(name(failing)) is above \(name(bridge)))" }
            return s
        case let .aliasPeer(anchor, found):
            let via = anchor == i ? "" : " (through \(name(anchor)), reached by the upward walk)"
            return "\(me) with \(name(found)): DMA alias" + aliasSource(anchor, found) + via
        case let .functionPeer(anchor, found):
            let via = anchor == i ? "" : " (through \(name(anchor)), reached by the upward walk)"
            let sameSlot = devices[found].address.device == devices[anchor].address.device
                && BusKey(devices[found].address) == BusKey(devices[anchor].address)
            let how = sameSlot ? "" : " (a DMA alias of a function in the same slot)"
            return "\(me) with \(name(found)): " + verdicts[anchor].phrase(for: devices[anchor]) + how + via
        }
    }

    private func ridName(_ rid: UInt16, _ bridge: Int) -> String {
        let a = PCIAddress(domain: devices[bridge].address.domain, bus: UInt8(rid >> 8), devfn: UInt8(rid & 0xff))
        return singleDomain ? a.shortDescription : a.description
    }

    private func aliasSource(_ a: Int, _ b: Int) -> String {
        var parts: [String] = []
        for (x, y) in [(a, b), (b, a)] where devices[x].dma.aliases.contains(devices[y].address.devfn) {
            parts.append("\(devices[x].idString) uses the requester ID of \(name(y)) ("
                + devices[x].dma.sources.joined(separator: ", ") + ")")
        }
        return parts.isEmpty ? "" : ": " + parts.joined(separator: "; ")
    }

    /// Root ports with whether a device below them would start its own group
    /// (`pci_acs_path_enabled(port)`), in address order.
    public var rootPortIsolation: [(port: Int, isolated: Bool, reason: String)] {
        devices.filter { $0.type == .rootPort }.sorted { $0.address < $1.address }.map { d in
            if let f = pathFailure[d.index] {
                let why = verdicts[f].phrase(for: devices[f])
                return (d.index, false, f == d.index ? why : "\(why) (above it: \(name(f)))")
            }
            return (d.index, true, verdicts[d.index].phrase(for: d))
        }
    }
}

/// Human-readable name of a (corrected) PCIe type, e.g. "root port", "multifunction endpoint".
func typeName(_ t: PCIExpressPortType?, multifunction: Bool = false) -> String {
    PCIExpressPortType.humanName(t, multifunction: multifunction)
}

/// `SV, RR, CR, UF`.
func flagList(_ f: ACSFlags) -> String { f.shortNames.joined(separator: ", ") }

extension PCIDev {
    /// What kind of function this is, in words: `root port`, `multifunction endpoint`, ...
    public var kindDescription: String {
        let base = PCIExpressPortType.humanName(type)
        if type?.isDownstreamFacingPort == true { return base }
        return (multifunction ? "multifunction " : "single-function ") + base
    }

    /// The kind of function in the verdict phrases (`--explain`, `check`) and in `survey`:
    /// `root port`, `multifunction endpoint`, `conventional PCI function`, ...; "multifunction"
    /// only where `pci_acs_enabled()` reads the flag (not for downstream-facing ports). When the
    /// input cannot show whether there is a PCI Express capability (a 64-byte read without root:
    /// `portTypeKnown` false) it says the type is unknown rather than "conventional PCI".
    public var kindPhrase: String {
        guard portTypeKnown else { return "function (type unknown)" }
        return typeName(type, multifunction: multifunction && isPCIe && !(type?.isDownstreamFacingPort ?? false))
    }

    /// The function's type as a machine word: `root-port`, ..., or `conventional` without PCIe.
    public var portTypeName: String { type?.description ?? "conventional" }

    /// The port-type word the registry uses for this function (`endpoint`, `root-port`, ...), or
    /// `nil` for types no `applies-to.port-type` names (upstream ports, bridges, no PCIe).
    public var registryPortType: AppliesTo.PortTypeCondition? { AppliesTo.PortTypeCondition(portType: type) }
}

extension ACSVerdict {
    /// Why the device is or is not isolated, as a phrase naming the device type and the missing
    /// controls, e.g. "root port 8086:a294 has no ACS capability (SV, RR, CR, UF not enforced)".
    public func phrase(for d: PCIDev) -> String {
        let what = d.kindPhrase
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
            return "\(what) \(id): \(src) answers \"not isolated\"" + Self.notIsolatedDetail(dec)
        case .notPCIe where !d.portTypeKnown:
            return "\(what) \(id): its capabilities are not in the input (only the 64-byte header is readable without root), "
                + "so it is taken as not isolated, and no quirk"
        case .notPCIe:
            return "\(what) \(id) has no PCI Express capability and no quirk (conventional PCI is never isolated)"
        case let .neverIsolatedType(t):
            return "\(typeName(t)) \(id) is never isolated (ACS does not apply to it)"
        case .singleFunction:
            return "\(what) \(id) is single-function (isolated without ACS)"
        case .otherType:
            return "\(what) \(id) is of a type ACS does not apply to (isolated)"
        case let .noACSCapability(unknown):
            if let unknown {
                let why: String = switch unknown {
                case .extendedSpaceNotReadable, .allOnes: "extended config space not in the input"
                case .registersPastEndOfConfigSpace: unknown.description
                }
                return "\(what) \(id): ACS unknown (\(why), treated as absent; "
                    + "\(flagList(missing)) not enforced) and no quirk for \(id)"
            }
            if d.multifunction, !(d.type?.isDownstreamFacingPort ?? false) {
                return "\(what) without ACS and no quirk for \(id)"
            }
            return "\(what) \(id) has no ACS capability (\(flagList(missing)) not enforced) and no quirk"
        case let .acsControls(m):
            if m.isEmpty { return "\(what) \(id) enforces ACS \(flagList(d.acsStandard.map { pciACSFlagsRequired($0, REQ_ACS_FLAGS) } ?? []))" }
            return "\(what) \(id) has ACS but does not enable \(flagList(m))"
        }
    }

    /// Why a quirk answered "not isolated", from the walk's reason: a sticky 0 for an unlisted
    /// ID, a failed Intel PCH workaround, or erratum registers that do not enable the controls.
    static func notIsolatedDetail(_ dec: QuirkTable.Decision) -> String {
        switch dec.reason {
        case .notListed:
            return " (the function answers 0 for every \(dec.entry.vendorName) ID it does not list, even with a real ACS capability)"
        case .intelPCHWorkaroundFailed:
            return " (the Intel PCH RCBA workaround failed)"
        case .acsRegisters:
            return " (its real ACS registers do not enable SV, RR, CR, UF)"
        case .otherVendor, .conditionNotMet, .acsCtrlEnabled:
            return ""
        }
    }
}

/// What a VFIO user must do with one IOMMU group before a device of it can be assigned: VFIO
/// takes a group only when it is viable, and it is viable only when no member is bound to a
/// driver that uses the kernel's DMA API. Since the DMA-ownership rework (5.19) the test is
/// `iommu_group_claim_dma_owner()` (drivers/iommu/iommu.c) failing while a member's driver took
/// the default domain in `pci_dma_configure()` (drivers/pci/pci-driver.c): drivers with
/// `driver_managed_dma` do not (vfio-pci and its variant drivers, pci-stub, and pcieport,
/// drivers/pci/pcie/portdrv.c, which binds PCI Express ports), nor does a device without a
/// driver. Before, `vfio_dev_viable()` with `vfio_dev_driver_allowed()` (drivers/vfio/vfio.c)
/// let any device whose header type is not 0 (bridges) keep its driver. Either way: bridges may
/// stay as they are, every other member must be on vfio-pci (or pci-stub, or without driver).
public struct VFIOAdvice: Hashable, Sendable {
    /// Members that must be bound to vfio-pci (or have no driver) for the group to be viable.
    public var bind: [Int]
    /// Members that may keep their driver: bridges (header type 1 or 2) and PCI Express ports
    /// pcieport binds (a Root Complex Event Collector has a type 0 header).
    public var bridges: [Int]
    /// PFs whose VFs share this group: assigning a VF takes the PF away from its driver too
    /// (pci-pf-stub is not `driver_managed_dma`).
    public var physfnsWithVFs: [Int]
}

extension GroupPrediction {
    /// The VFIO advice for group `number` (`VFIOAdvice`).
    public func vfioAdvice(_ number: Int) -> VFIOAdvice {
        let members = groups[number].members.sorted { tree.functions[$0].address < tree.functions[$1].address }
        func isBridge(_ i: Int) -> Bool {
            let layout = tree.functions[i].headerType?.layout
            return (layout != nil && layout != .normal) || devices[i].type == .rcEventCollector
        }
        let inGroup = Set(members)
        let pfs = Set(members.compactMap { i in devices[i].physfn.flatMap { inGroup.contains($0) ? $0 : nil } })
        return VFIOAdvice(bind: members.filter { !isBridge($0) }, bridges: members.filter(isBridge),
                          physfnsWithVFs: members.filter(pfs.contains))
    }
}
