import PCIConfig

/// One hop of `pci_for_each_dma_alias()` that handed a device to the callback.
public enum AliasHop: Hashable, Sendable {
    /// The device itself (own requester ID, and its `dma_alias_mask` devfns).
    case own
    /// A PCIe-to-PCI/PCI-X bridge: requester ID = its secondary bus, devfn 00.0.
    case pcieToPCIBridge(requesterID: UInt16)
    /// A PCI/PCI-X-to-PCIe bridge: its own requester ID.
    case pciToPCIeBridge(requesterID: UInt16)
    /// A bridge without a PCIe capability: its own requester ID, or (PCIE_BRIDGE_ALIAS quirk) its
    /// secondary bus 00.0.
    case conventionalBridge(requesterID: UInt16, pcieBridgeAliasQuirk: Bool)
}

/// How a device came to be in its group: which step of `pci_device_group()` decided
/// (drivers/iommu/iommu.c).
public enum JoinReason: Hashable, Sendable {
    /// Step 5: no existing group found; a new group was allocated.
    case newGroup
    /// Step 1: the DMA alias walk reached `via` (an aliasing bridge), which already had a group.
    case dmaAliasWalk(via: Int, hop: AliasHop)
    /// Step 2: the path from `bridge` (an upstream bridge) to the root bus is not ACS-isolated
    /// (`failing` is the first device on it that fails `pci_acs_enabled`), so the device takes
    /// `bridge`'s group.
    case upstreamNotIsolated(bridge: Int, failing: Int)
    /// Step 3: `anchor` (the device, or the bridge/alias point steps 1-2 reached) and `found` are
    /// DMA aliases of each other (possibly through further aliases); `found` had the group.
    case aliasPeer(anchor: Int, found: Int)
    /// Step 4: `anchor` is a multifunction device not isolated by ACS; `found`, a non-isolated
    /// function of the same slot (or an alias of one), had the group.
    case functionPeer(anchor: Int, found: Int)
}

/// A predicted IOMMU group.
public struct PredictedGroup: Hashable, Sendable {
    /// The number the kernel would allocate at boot (`ida_alloc`, lowest free, in probe order).
    public var number: Int
    /// Member indices in the order they joined (the first allocated the group).
    public var members: [Int]
}

/// A statement about the prediction the reader must know: an assumption or a platform flag.
public struct PredictionNote: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Something config space cannot tell; the stated value was assumed.
        case assumption
        /// The input does not show everything (unreadable extended space, cycles, …).
        case input
        /// The platform does not form groups by ACS at all (PE-based, no IOMMU).
        case platform
        /// A hint for the user.
        case hint
    }

    public var kind: Kind
    public var text: String
}

/// The result of reproducing `pci_device_group()` for every device in probe order.
public struct GroupPrediction: Sendable {
    /// The devices the groups were formed from.
    public let view: KernelView
    public let quirks: QuirkTable
    /// Groups by number, ascending.
    public let groups: [PredictedGroup]
    /// The group number of each device (indices as in `tree.functions`).
    public let groupNumber: [Int]
    public let reasons: [JoinReason]
    /// `pci_acs_enabled(dev, SV|RR|CR|UF)` per device.
    public let verdicts: [ACSVerdict]
    /// For each device: the first device on the path from it to the root bus that fails
    /// `pci_acs_enabled` (`nil`: `pci_acs_path_enabled(dev)` is true).
    public let pathFailure: [Int?]
    /// Probe order (device indices).
    public let probeOrder: [Int]
    /// Assumptions, input limits and platform flags, in a fixed order.
    public let notes: [PredictionNote]
    /// Whether the numbers are the kernel's numbers (`true`) or only label a partition.
    public let numbersAreKernelNumbers: Bool

    public var tree: BusTopology { view.tree }
    public var devices: [PCIDev] { view.devices }
    public var system: LinuxSystem { view.system }

    /// How `pci_dev_specific_acs_enabled()` answered for device `i` when the groups were formed:
    /// every row consulted and the decisive one (`verdicts[i]` holds the decision alone).
    public func quirkTrace(_ i: Int) -> QuirkTrace { quirks.trace(devices[i], REQ_ACS_FLAGS, system) }

    /// The partition as sets of addresses, sorted (for comparisons).
    public var partition: [[PCIAddress]] { LiveGroups.partition(numberByAddress) }

    /// Group number by address.
    public var numberByAddress: [PCIAddress: Int] {
        var m: [PCIAddress: Int] = [:]
        for (i, n) in groupNumber.enumerated() { m[tree.functions[i].address] = n }
        return m
    }
}

/// Reproduces Linux's IOMMU group formation (`pci_device_group()` and helpers, drivers/iommu/iommu.c,
/// identical in 6.1, 6.12, 7.2 and 7.3) literally: DMA alias walk, ACS upward walk with
/// `pci_acs_path_enabled`, `get_pci_alias_group` / `get_pci_function_alias_group` with one shared
/// visited-devfn set, "first existing group wins", new groups numbered lowest-free in probe order.
public enum GroupPredictor {
    /// Predicts the groups of `functions` (any order) on `system`.
    public static func predict(_ functions: [PCIFunction], quirks: QuirkTable,
                               system: LinuxSystem = LinuxSystem()) -> GroupPrediction {
        predict(KernelView(functions: functions, system: system), quirks: quirks)
    }

    /// Predicts the groups of the devices of `view` (the same view serves every quirk table).
    public static func predict(_ view: KernelView, quirks: QuirkTable) -> GroupPrediction {
        var engine = Engine(view: view, quirks: quirks)
        return engine.run()
    }
}

private struct Engine {
    let view: KernelView
    let tree: BusTopology
    let quirks: QuirkTable
    let devices: [PCIDev]
    let order: [Int]
    let verdicts: [ACSVerdict]
    var pathFailure: [Int??]
    var group: [Int?]
    var groups: [[Int]] = []
    var reasons: [JoinReason]
    /// Same-bus members in list order, only for buses where some device has a DMA alias mask.
    let aliasBusMembers: [BusKey: [Int]]
    /// Same bus + slot members in list order.
    let slotMembers: [SlotKey: [Int]]

    struct SlotKey: Hashable { var bus: BusKey; var slot: UInt8 }

    init(view: KernelView, quirks: QuirkTable) {
        self.view = view
        let tree = view.tree
        self.tree = tree
        self.quirks = quirks
        let devices = view.devices
        self.devices = devices
        let order = view.probeOrder
        self.order = order
        self.verdicts = devices.map { pciACSEnabled($0, quirks: quirks, system: view.system) }
        self.pathFailure = Array(repeating: nil, count: devices.count)
        self.group = Array(repeating: nil, count: devices.count)
        self.reasons = Array(repeating: .newGroup, count: devices.count)
        var aliasBuses = Set<BusKey>()
        for d in devices where !d.dma.aliases.isEmpty { aliasBuses.insert(BusKey(d.address)) }
        var abm: [BusKey: [Int]] = [:]
        var sm: [SlotKey: [Int]] = [:]
        for i in order {
            let k = BusKey(devices[i].address)
            if aliasBuses.contains(k) { abm[k, default: []].append(i) }
            sm[SlotKey(bus: k, slot: devices[i].address.device), default: []].append(i)
        }
        self.aliasBusMembers = abm
        self.slotMembers = sm
    }

    func acsEnabled(_ i: Int) -> Bool { verdicts[i].isolated }

    /// `pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS)` (drivers/pci/pci.c), memoized: the
    /// first device on the way from `start` to the root bus that fails `pci_acs_enabled`, or nil
    /// when the path is enabled.
    mutating func pciACSPathFailure(_ start: Int) -> Int? {
        // Iterative: collect the chain up to a memoized entry or the root bus.
        var chain: [Int] = []
        var cur: Int? = start
        var result: Int?
        while let c = cur {
            if let memo = pathFailure[c] { result = memo; break }
            chain.append(c)
            cur = tree.parentBridge[c]
        }
        // Resolve from the top down.
        for c in chain.reversed() {
            let r: Int? = acsEnabled(c) ? result : c
            pathFailure[c] = .some(r)
            result = r
        }
        return pathFailure[start]!
    }

    func pciDevsAreDMAAliases(_ a: Int, _ b: Int) -> Bool {
        let da = devices[a], db = devices[b]
        return da.dma.aliases.contains(db.address.devfn) || db.dma.aliases.contains(da.address.devfn)
    }

    /// The devices `pci_for_each_dma_alias()` hands to the callback, in order.
    func pciForEachDMAAlias(_ i: Int) -> [(Int, AliasHop)] {
        var out: [(Int, AliasHop)] = [(i, .own)]
        // Every devfn in dma_alias_mask calls back with the device itself.
        if !devices[i].dma.aliases.isEmpty {
            for _ in devices[i].dma.aliases.members { out.append((i, .own)) }
        }
        var cur = tree.parentBridge[i]
        while let b = cur {
            let bd = devices[b]
            if bd.dma.xlateRoot { break }
            let secondary = tree.functions[b].config.busNumbers?.secondary ?? 0
            let secRID = UInt16(secondary) << 8
            if bd.isPCIe {
                switch bd.type {
                case .pcieToPCIBridge?:
                    if !bd.dma.pciBridgeNoAlias { out.append((b, .pcieToPCIBridge(requesterID: secRID))) }
                case .pciToPCIeBridge?:
                    out.append((b, .pciToPCIeBridge(requesterID: bd.address.requesterID)))
                default:
                    break
                }
            } else {
                if bd.dma.pcieBridgeAlias {
                    out.append((b, .conventionalBridge(requesterID: secRID, pcieBridgeAliasQuirk: true)))
                } else {
                    out.append((b, .conventionalBridge(requesterID: bd.address.requesterID, pcieBridgeAliasQuirk: false)))
                }
            }
            cur = tree.parentBridge[b]
        }
        return out
    }

    /// `get_pci_alias_group()`: returns (group, device that had it).
    mutating func getPCIAliasGroup(_ p: Int, _ visited: inout DevfnSet) -> (Int, Int)? {
        if visited.testAndSet(devices[p].address.devfn) { return nil }
        if let g = group[p] { return (g, p) }
        guard let members = aliasBusMembers[BusKey(devices[p].address)] else { return nil }
        for t in members where t != p {
            if pciDevsAreDMAAliases(p, t) {
                if let r = getPCIAliasGroup(t, &visited) { return r }
                if let r = getPCIFunctionAliasGroup(t, &visited) { return r }
            }
        }
        return nil
    }

    /// `get_pci_function_alias_group()`.
    mutating func getPCIFunctionAliasGroup(_ p: Int, _ visited: inout DevfnSet) -> (Int, Int)? {
        if !devices[p].multifunction || acsEnabled(p) { return nil }
        let key = SlotKey(bus: BusKey(devices[p].address), slot: devices[p].address.device)
        for t in slotMembers[key] ?? [] where t != p && !acsEnabled(t) {
            if let r = getPCIAliasGroup(t, &visited) { return r }
        }
        return nil
    }

    /// `pci_device_group(dev)`.
    mutating func pciDeviceGroup(_ dev: Int) -> (Int?, JoinReason) {
        // 1. DMA alias walk: the last device handed over, or an existing group.
        var p = dev
        for (d, hop) in pciForEachDMAAlias(dev) {
            p = d
            if let g = group[d] { return (g, .dmaAliasWalk(via: d, hop: hop)) }
        }
        // 2. Upward while the path above is not ACS-isolated.
        var cur = tree.parentBridge[p]
        while let b = cur {
            if pciACSPathFailure(b) == nil { break }
            p = b
            if let g = group[p] { return (g, .upstreamNotIsolated(bridge: b, failing: pciACSPathFailure(b)!)) }
            cur = tree.parentBridge[b]
        }
        // 3. and 4. share one visited set.
        var visited = DevfnSet()
        if let (g, found) = getPCIAliasGroup(p, &visited) { return (g, .aliasPeer(anchor: p, found: found)) }
        if let (g, found) = getPCIFunctionAliasGroup(p, &visited) { return (g, .functionPeer(anchor: p, found: found)) }
        return (nil, .newGroup)
    }

    mutating func run() -> GroupPrediction {
        for i in order {
            let (g, reason) = pciDeviceGroup(i)
            if let g {
                group[i] = g
                groups[g].append(i)
            } else {
                group[i] = groups.count
                groups.append([i])
            }
            reasons[i] = reason
        }
        var pf: [Int?] = []
        pf.reserveCapacity(devices.count)
        for i in 0..<devices.count { pf.append(pciACSPathFailure(i)) }
        let (notes, kernelNumbers) = PredictionNotes.make(view: view, verdicts: verdicts)
        return GroupPrediction(
            view: view, quirks: quirks,
            groups: groups.enumerated().map { PredictedGroup(number: $0.offset, members: $0.element) },
            groupNumber: group.map { $0! }, reasons: reasons, verdicts: verdicts, pathFailure: pf,
            probeOrder: order, notes: notes, numbersAreKernelNumbers: kernelNumbers)
    }
}
