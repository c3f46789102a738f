import PCIConfig
import Registry

extension GroupPrediction {
    /// A short address: `bb:dd.f` when every function is in domain 0000, else `dddd:bb:dd.f`.
    public func name(_ i: Int) -> String {
        let a = tree.functions[i].address
        return singleDomain ? a.shortDescription : a.description
    }

    var singleDomain: Bool { tree.functions.allSatisfy { $0.address.domain == 0 } }

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
                return "\(me) joins \(name(via)): behind conventional PCI bridge \(name(via)) (\(b.idString)), "
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
