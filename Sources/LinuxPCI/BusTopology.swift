import PCIConfig

/// A PCI bus in one domain (segment).
public struct BusKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var domain: UInt32
    public var bus: UInt8

    public init(domain: UInt32, bus: UInt8) {
        self.domain = domain
        self.bus = bus
    }

    public init(_ address: PCIAddress) {
        self.init(domain: address.domain, bus: address.bus)
    }

    public static func < (a: BusKey, b: BusKey) -> Bool { (a.domain, a.bus) < (b.domain, b.bus) }

    /// `dddd:bb`.
    public var description: String { hex(domain, width: 4) + ":" + hex(bus, width: 2) }
}

/// The bus topology the group predictor works on: `PCIConfig.PCIBusTree` (the tree `lspci -t`
/// builds from the bridges' secondary/subordinate bus numbers: a function's parent is the bridge
/// with the narrowest range containing its bus; several domains and root buses per domain are
/// normal) turned into index-based lookups, bus membership and the kernel's scan order.
///
/// Functions whose Vendor ID reads all ones are not part of it (the kernel's enumeration skips
/// them too: `pci_bus_read_dev_vendor_id`); they are listed in `skipped`.
public struct BusTopology: Sendable {
    /// The functions in the tree, sorted by address. Indices below refer to this array.
    public let functions: [PCIFunction]
    /// Functions left out (all-ones Vendor ID), sorted by address.
    public let skipped: [PCIFunction]
    /// For each function: the index of the bridge that owns its bus (`bus->self`), or `nil` when
    /// the function sits on a root bus.
    public let parentBridge: [Int?]
    /// The bridge owning each non-root bus that has functions on it.
    public let busOwner: [BusKey: Int]
    /// Functions on each bus, in devfn order.
    public let busMembers: [BusKey: [Int]]
    /// Root buses (buses with functions but no owning bridge), sorted by domain and bus.
    public let rootBuses: [BusKey]
    /// Bridges on each bus that own buses below them, in devfn order (the buses the kernel
    /// descends into).
    public let childBridges: [BusKey: [Int]]
    /// Irregularities found while building (duplicates, misnumbered bridges), human readable.
    public let anomalies: [String]

    private let indexByAddress: [PCIAddress: Int]

    /// Builds the topology. `functions` may come in any order.
    public init(functions input: [PCIFunction]) {
        let sorted = input.sorted { $0.address < $1.address }
        var fns: [PCIFunction] = []
        var skipped: [PCIFunction] = []
        var seen = Set<PCIAddress>()
        var anomalies: [String] = []
        for f in sorted {
            if f.config.isAllOnes || f.config.vendorID == nil {
                skipped.append(f)
            } else if !seen.insert(f.address).inserted {
                anomalies.append("\(f.address): listed twice; the first copy is used")
            } else {
                fns.append(f)
            }
        }
        self.functions = fns
        self.skipped = skipped
        var indexByAddress: [PCIAddress: Int] = [:]
        for (i, f) in fns.enumerated() { indexByAddress[f.address] = i }
        self.indexByAddress = indexByAddress

        let tree = PCIBusTree(fns)
        for b in tree.misnumberedBridges {
            let n = tree.bridges[b]!
            anomalies.append("bridge \(b): secondary bus \(hex(n.secondary, width: 2)) is not above its own bus; "
                + "not used as a parent (as lspci -t does)")
        }
        var members: [BusKey: [Int]] = [:]
        var parent = [Int?](repeating: nil, count: fns.count)
        var owner: [BusKey: Int] = [:]
        for (i, f) in fns.enumerated() {
            let key = BusKey(f.address)
            members[key, default: []].append(i)
            if let p = tree.parent(of: f.address), let pi = indexByAddress[p] {
                parent[i] = pi
                owner[key] = pi
            }
        }
        var ownedBuses: [Int: [BusKey]] = [:]
        for (k, o) in owner { ownedBuses[o, default: []].append(k) }
        var children: [BusKey: [Int]] = [:]
        for (i, f) in fns.enumerated() where ownedBuses[i] != nil {
            children[BusKey(f.address), default: []].append(i)
        }
        self.parentBridge = parent
        self.busOwner = owner
        self.busMembers = members
        self.childBridges = children
        self.rootBuses = members.keys.filter { owner[$0] == nil }.sorted()
        self.anomalies = anomalies
        self.ownedBuses = ownedBuses.mapValues { $0.sorted() }
    }

    /// The buses a bridge owns (normally its secondary bus alone; more when a bus between
    /// secondary and subordinate has no bridge of its own in the input), sorted.
    public let ownedBuses: [Int: [BusKey]]

    /// The index of the function at `address`.
    public func index(of address: PCIAddress) -> Int? { indexByAddress[address] }

    /// Whether function `i` sits on a root bus (`pci_is_root_bus(dev->bus)`).
    public func isOnRootBus(_ i: Int) -> Bool { parentBridge[i] == nil }

    /// The upstream bridges of function `i`, nearest first (`bus->self`, then its bus's self, …).
    public func upstreamBridges(of i: Int) -> [Int] {
        var out: [Int] = []
        var cur = parentBridge[i]
        while let b = cur {
            out.append(b)
            cur = parentBridge[b]
        }
        return out
    }

    /// The kernel's boot-time scan order (`pci_scan_child_bus_extend`, drivers/pci/probe.c): root
    /// buses in domain/bus order; on each bus all functions in devfn order, then the buses behind
    /// that bus's bridges, recursively, in bridge order.
    public var scanOrder: [Int] {
        var out: [Int] = []
        out.reserveCapacity(functions.count)
        var visited = Set<BusKey>()
        // Iterative DFS to survive very deep trees.
        for root in rootBuses {
            var stack: [BusKey] = [root]
            while let bus = stack.popLast() {
                guard visited.insert(bus).inserted else { continue }
                out.append(contentsOf: busMembers[bus] ?? [])
                var next: [BusKey] = []
                for b in childBridges[bus] ?? [] { next.append(contentsOf: ownedBuses[b] ?? []) }
                stack.append(contentsOf: next.reversed())
            }
        }
        return out
    }
}
