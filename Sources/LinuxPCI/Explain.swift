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

    /// Why ACS does not form this platform's groups (`PredictionNotes.groupsNotFormedByACS`): the
    /// root-port verdicts are then no slot advice. `nil` where ACS decides.
    public var groupsNotFormedByACS: String? { PredictionNotes.groupsNotFormedByACS(devices) }

    /// Root ports with whether a device below them would start its own group
    /// (`pci_acs_path_enabled(port)`), in address order.
    public var rootPortIsolation: [(port: Int, isolated: Bool, reason: String)] { portIsolation(.rootPort) }

    /// Switch downstream ports with whether a device below them would start its own group
    /// (`pci_acs_path_enabled(port)`: the port, the switch's upstream port and everything above).
    public var downstreamPortIsolation: [(port: Int, isolated: Bool, reason: String)] { portIsolation(.downstreamPort) }

    private func portIsolation(_ type: PCIExpressPortType) -> [(port: Int, isolated: Bool, reason: String)] {
        devices.filter { $0.type == type }.sorted { $0.address < $1.address }.map { d in
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
        case let .acsOverride(why):
            return "\(what) \(id) is declared isolated by pcie_acs_override=\(why) (out-of-tree patch: isolation nobody confirmed)"
        case let .acsControls(m):
            if m.isEmpty { return "\(what) \(id) enforces ACS \(flagList(d.acsStandard.map { pciACSFlagsRequired($0, REQ_ACS_FLAGS) } ?? []))" }
            let set = d.acs?.commandLine.filter { if case .configured = $0.effect { true } else { false } }.map(\.parameter) ?? []
            return "\(what) \(id) has ACS but does not enable \(flagList(m))"
                + (set.isEmpty ? "" : " (ACS Control as " + set.joined(separator: " and ") + " on the kernel command line set it)")
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

/// What a VFIO user must do with one IOMMU group before a device of it can be assigned. VFIO
/// takes the DMA ownership of the whole group with `iommu_group_claim_dma_owner()`
/// (drivers/iommu/iommu.c, since 5.19), which fails while a member's driver took the default
/// domain through `iommu_device_use_default_domain()` in `pci_dma_configure()`
/// (drivers/pci/pci-driver.c). Only drivers with `struct device_driver.driver_managed_dma` set do
/// not: vfio-pci (and its variant drivers), pci-stub and pcieport. So every member must be
/// unbound, or on vfio-pci or pci-stub, or, for a PCI Express port, on pcieport, which
/// `pcie_portdrv_probe()` (drivers/pci/pcie/portdrv.c) binds only to root ports, switch upstream
/// and downstream ports and Root Complex Event Collectors, never to a PCIe-to-PCI or PCI-to-PCI
/// bridge (those normally have no driver). Before 5.19, `vfio_dev_driver_allowed()`
/// (drivers/vfio/vfio.c) let any function whose header type is not 0 keep its driver.
public struct VFIOAdvice: Hashable, Sendable {
    /// Functions with a type 0 header (endpoints, and host or ISA bridges, which are type 0 too):
    /// unbound, or on vfio-pci or pci-stub, for the group to be viable.
    public var bind: [Int]
    /// Members that need not be bound to vfio-pci: the PCI Express ports (`ports`) and the other
    /// bridges (header type 1 or 2), which need no driver.
    public var bridges: [Int]
    /// The members of `bridges` pcieport binds (`pcie_portdrv_probe()`): they may keep it.
    public var ports: [Int]
    /// The members of `bind` the host cannot give up: host bridges (class 0600h) and ISA/LPC
    /// bridges (0601h). A group holding one is unusable for passthrough in practice.
    public var hostDevices: [Int]
    /// PFs whose VFs share this group: assigning a VF takes the PF away from its driver too
    /// (pci-pf-stub is not `driver_managed_dma`).
    public var physfnsWithVFs: [Int]
}

extension PCIDev {
    /// Whether pcieport binds this function: `pcie_portdrv_probe()` (drivers/pci/pcie/portdrv.c)
    /// takes root ports, switch upstream and downstream ports and RCECs, and no other type.
    public var pcieportBinds: Bool {
        switch type {
        case .rootPort, .upstreamPort, .downstreamPort, .rcEventCollector: true
        default: false
        }
    }

    /// A host bridge (class 0600h) or an ISA/LPC bridge (0601h): a type 0 function the host
    /// cannot detach (chipset, firmware and legacy I/O hang on it).
    public var isHostDevice: Bool { classID == 0x0600 || classID == 0x0601 }
}

extension GroupPrediction {
    /// The VFIO advice for group `number` (`VFIOAdvice`).
    public func vfioAdvice(_ number: Int) -> VFIOAdvice {
        let members = groups[number].members.sorted { tree.functions[$0].address < tree.functions[$1].address }
        func isBridge(_ i: Int) -> Bool {
            let layout = tree.functions[i].headerType?.layout
            return (layout != nil && layout != .normal) || devices[i].pcieportBinds
        }
        let inGroup = Set(members)
        let pfs = Set(members.compactMap { i in devices[i].physfn.flatMap { inGroup.contains($0) ? $0 : nil } })
        let bind = members.filter { !isBridge($0) }
        return VFIOAdvice(bind: bind, bridges: members.filter(isBridge),
                          ports: members.filter { isBridge($0) && devices[$0].pcieportBinds },
                          hostDevices: bind.filter { devices[$0].isHostDevice },
                          physfnsWithVFs: members.filter(pfs.contains))
    }
}
