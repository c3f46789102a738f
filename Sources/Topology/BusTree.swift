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

/// The bus tree of a set of PCI functions, built from the bridges' secondary/subordinate bus
/// numbers (PCI-to-PCI Bridge Architecture §3.2.5.3-5), the way `lspci -t` builds it: a bus
/// belongs below the bridge with the narrowest secondary...subordinate range that contains it
/// (in the same domain); a bus no bridge claims is a root bus. Several domains and several root
/// buses per domain are normal (host bridges, `pxb-pcie`, uncore buses).
///
/// Functions whose Vendor ID reads all ones are not part of the tree (the kernel's enumeration
/// skips them too: `pci_bus_read_dev_vendor_id`); they are listed in `skipped`.
public struct PCIBusTree: Sendable {
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
    /// Bridges (type 1 and CardBus headers) on each bus, in devfn order, whose secondary bus is
    /// owned by them (the buses the kernel would descend into).
    public let childBridges: [BusKey: [Int]]
    /// Irregularities found while building (bus-number cycles, overlapping ranges), human readable.
    public let anomalies: [String]

    private let indexByAddress: [PCIAddress: Int]

    /// Builds the tree. `functions` may come in any order.
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

        var members: [BusKey: [Int]] = [:]
        for (i, f) in fns.enumerated() { members[BusKey(f.address), default: []].append(i) }

        // Bridges per domain with their bus ranges.
        struct BridgeRange { var index: Int; var bus: UInt8; var secondary: UInt8; var subordinate: UInt8 }
        var bridgesByDomain: [UInt32: [BridgeRange]] = [:]
        var bySecondary: [BusKey: [Int]] = [:]
        for (i, f) in fns.enumerated() {
            guard f.isBridge, let n = f.config.busNumbers, n.secondary != 0 else { continue }
            let sub = max(n.subordinate, n.secondary)
            bridgesByDomain[f.address.domain, default: []].append(
                BridgeRange(index: i, bus: f.address.bus, secondary: n.secondary, subordinate: sub))
            bySecondary[BusKey(domain: f.address.domain, bus: n.secondary), default: []].append(i)
        }

        // The owner of each bus with functions: the narrowest containing range (ties: a bridge
        // whose secondary is the bus, then the lowest address). A bridge never owns its own bus.
        var owner: [BusKey: Int] = [:]
        for key in members.keys {
            var best: BridgeRange?
            func better(_ c: BridgeRange, _ b: BridgeRange) -> Bool {
                let wc = Int(c.subordinate) - Int(c.secondary), wb = Int(b.subordinate) - Int(b.secondary)
                if wc != wb { return wc < wb }
                let ec = c.secondary == key.bus, eb = b.secondary == key.bus
                if ec != eb { return ec }
                return c.index < b.index
            }
            for c in bridgesByDomain[key.domain] ?? [] where c.bus != key.bus
                && c.secondary <= key.bus && key.bus <= c.subordinate {
                if let b = best { if better(c, b) { best = c } } else { best = c }
            }
            if let best { owner[key] = best.index }
        }
        for (key, list) in bySecondary where list.count > 1 {
            anomalies.append("bus \(key): claimed as secondary bus by "
                + list.map { fns[$0].address.description }.joined(separator: ", "))
        }

        // Break bus-number cycles (a bridge below its own secondary bus): the lowest bus of a
        // cycle becomes a root bus.
        for key in members.keys.sorted() {
            var path: [BusKey] = []
            var onPath = Set<BusKey>()
            var cur: BusKey? = key
            while let k = cur, let o = owner[k] {
                if onPath.contains(k) {
                    let cycle = path.drop(while: { $0 != k })
                    let lowest = cycle.min()!
                    owner[lowest] = nil
                    anomalies.append("bus \(lowest): bridges' bus ranges form a cycle ("
                        + cycle.map(\.description).joined(separator: " → ") + "); treated as a root bus")
                    break
                }
                path.append(k)
                onPath.insert(k)
                cur = BusKey(fns[o].address)
            }
        }

        var parent = [Int?](repeating: nil, count: fns.count)
        for (i, f) in fns.enumerated() { parent[i] = owner[BusKey(f.address)] }
        var children: [BusKey: [Int]] = [:]
        var ownedBuses: [Int: [BusKey]] = [:]
        for (k, o) in owner { ownedBuses[o, default: []].append(k) }
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

    /// The kernel's boot-time scan order (linux-acs.md §3.6, `pci_scan_child_bus_extend`): root
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
