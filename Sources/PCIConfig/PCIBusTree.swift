/// The PCI bus hierarchy rebuilt from the bridges' bus numbers, the way `lspci -t` does it for a
/// dump (pciutils ls-tree.c `grow_tree`/`insert_dev`): a dump carries no parent links, only each
/// bridge's secondary and subordinate bus numbers (PCI-to-PCI Bridge Architecture §3.2.5.3-5).
///
/// Rules:
/// - A *bridge* is a function of base class 0x06 with header type 1 (PCI-to-PCI) or 2 (CardBus),
///   as lspci counts them. Its bus range is `secondary...subordinate` (0x19/0x1a).
/// - The *parent* of a function is the bridge, in the same domain, with the narrowest range that
///   contains the function's bus (ties: the later BDF, which is what lspci 3.9's child order
///   picks). A function with no such bridge sits on a root bus (bus 0 of every domain, or any bus
///   no bridge claims, such as a second host bridge's bus 0xff or a root port at 04:00.0).
/// - Only bridges whose secondary bus is above their own bus can be parents. Real enumeration
///   (firmware or Linux) always numbers that way; a bridge that claims its own bus or a lower one
///   is listed in `misnumberedBridges` and ignored, which also makes the tree loop-free.
///
/// On every dump in Tests/Fixtures this gives the same tree as `lspci -F dump -t` (tested).
/// Domains are kept apart. Duplicate addresses: the first one counts.
public struct PCIBusTree: Hashable, Sendable {
    /// Every function's address, sorted, without duplicates.
    public let functions: [PCIAddress]
    /// The bridges and their bus numbers.
    public let bridges: [PCIAddress: BridgeBusNumbers]
    /// Bridges that cannot be parents: secondary bus 0 (not configured) or not above their own bus.
    public let misnumberedBridges: [PCIAddress]
    private let parents: [PCIAddress: PCIAddress]
    private let childLists: [PCIAddress: [PCIAddress]]
    private let roots: [PCIAddress]

    /// Builds the tree from functions as read by PCIAccess (or built in tests).
    public init(_ functions: [PCIFunction]) {
        self.init(functions.map { ($0.address, $0.config) })
    }

    /// Builds the tree from addresses and their config space.
    public init(_ entries: [(address: PCIAddress, config: ConfigSpace)]) {
        var seen = Set<PCIAddress>()
        var unique: [(address: PCIAddress, config: ConfigSpace)] = []
        for e in entries where seen.insert(e.address).inserted { unique.append(e) }
        unique.sort { $0.address < $1.address }
        var bridges: [PCIAddress: BridgeBusNumbers] = [:]
        var usable: [UInt32: [(PCIAddress, BridgeBusNumbers)]] = [:]
        var misnumbered: [PCIAddress] = []
        for (a, c) in unique {
            guard let bus = PCIBusTree.bridgeBusNumbers(c) else { continue }
            bridges[a] = bus
            if bus.secondary > a.bus && bus.subordinate >= bus.secondary {
                usable[a.domain, default: []].append((a, bus))
            } else {
                misnumbered.append(a)
            }
        }
        var parents: [PCIAddress: PCIAddress] = [:]
        var children: [PCIAddress: [PCIAddress]] = [:]
        var roots: [PCIAddress] = []
        // The parent depends only on (domain, bus): computed once per bus, over that domain's
        // bridges, so building stays linear in the number of functions.
        var parentOfBus: [UInt64: PCIAddress?] = [:]
        for (a, _) in unique {
            let busKey = UInt64(a.domain) << 8 | UInt64(a.bus)
            let parent: PCIAddress?
            if let cached = parentOfBus[busKey] {
                parent = cached
            } else {
                var best: (PCIAddress, Int)?
                for (b, n) in usable[a.domain] ?? [] where n.secondary <= a.bus && a.bus <= n.subordinate {
                    let width = Int(n.subordinate) - Int(n.secondary)
                    if best == nil || width <= best!.1 { best = (b, width) }
                }
                parent = best?.0
                parentOfBus[busKey] = .some(parent)
            }
            if let p = parent {
                parents[a] = p
                children[p, default: []].append(a)
            } else {
                roots.append(a)
            }
        }
        self.functions = unique.map(\.address)
        self.bridges = bridges
        self.misnumberedBridges = misnumbered
        self.parents = parents
        self.childLists = children
        self.roots = roots
    }

    /// The bridge directly above `address` (whose bus range holds its bus), or `nil` when it sits
    /// on a root bus or is not in the tree.
    public func parent(of address: PCIAddress) -> PCIAddress? { parents[address] }

    /// The functions directly below `bridge` (on its secondary bus or, for a badly numbered tree,
    /// on another bus in its range), sorted; with `nil`, the functions on root buses.
    public func children(of bridge: PCIAddress?) -> [PCIAddress] {
        guard let bridge else { return roots }
        return childLists[bridge] ?? []
    }

    /// The bridges from `address` up to its root bus, nearest first (empty on a root bus).
    public func upstreamBridges(of address: PCIAddress) -> [PCIAddress] {
        var out: [PCIAddress] = []
        var cur = address
        // Parents sit on strictly lower bus numbers, so this ends; the bound is belt and braces.
        while let p = parents[cur], out.count < 256 {
            out.append(p)
            cur = p
        }
        return out
    }

    /// Whether `address` sits on a root bus (no bridge above it).
    public func isOnRootBus(_ address: PCIAddress) -> Bool { parents[address] == nil }

    /// Bus numbers of a bridge as lspci takes them: base class 0x06 and header type 1 or 2
    /// (CardBus: primary 0x18, CardBus number 0x19, subordinate 0x1a). `nil` otherwise.
    public static func bridgeBusNumbers(_ c: ConfigSpace) -> BridgeBusNumbers? {
        guard !c.isAllOnes, let cls = c.classID, cls >> 8 == 0x06 else { return nil }
        return c.busNumbers
    }
}
