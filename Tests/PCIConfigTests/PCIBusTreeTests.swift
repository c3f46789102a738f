import PCIConfig
import Testing

@Suite struct PCIBusTreeTests {
    func a(_ s: String) -> PCIAddress { PCIAddress(s)! }

    @Test func nestedSwitchBelowRootPort() {
        let tree = PCIBusTree([
            (a("0000:00:00.0"), Synthetic.function(classID: 0x0600, portType: nil)),
            (a("0000:00:01.0"), Synthetic.bridge(primary: 0, secondary: 1, subordinate: 4)),
            (a("0000:01:00.0"), Synthetic.bridge(primary: 1, secondary: 2, subordinate: 4, portType: .upstreamPort)),
            (a("0000:02:00.0"), Synthetic.bridge(primary: 2, secondary: 3, subordinate: 3, portType: .downstreamPort)),
            (a("0000:02:01.0"), Synthetic.bridge(primary: 2, secondary: 4, subordinate: 4, portType: .downstreamPort)),
            (a("0000:03:00.0"), Synthetic.function()),
            (a("0000:04:00.0"), Synthetic.function()),
            (a("0000:04:00.1"), Synthetic.function()),
        ])
        #expect(tree.parent(of: a("0000:00:01.0")) == nil)
        #expect(tree.parent(of: a("0000:01:00.0")) == a("0000:00:01.0"))
        #expect(tree.parent(of: a("0000:02:01.0")) == a("0000:01:00.0"))
        #expect(tree.parent(of: a("0000:03:00.0")) == a("0000:02:00.0"))
        #expect(tree.parent(of: a("0000:04:00.1")) == a("0000:02:01.0"))
        #expect(tree.children(of: nil) == [a("0000:00:00.0"), a("0000:00:01.0")])
        #expect(tree.children(of: a("0000:01:00.0")) == [a("0000:02:00.0"), a("0000:02:01.0")])
        #expect(tree.children(of: a("0000:02:01.0")) == [a("0000:04:00.0"), a("0000:04:00.1")])
        #expect(tree.upstreamBridges(of: a("0000:04:00.1")) == [a("0000:02:01.0"), a("0000:01:00.0"), a("0000:00:01.0")])
        #expect(tree.isOnRootBus(a("0000:00:00.0")))
        #expect(tree.misnumberedBridges.isEmpty)
        #expect(tree.bridges.count == 4)
    }

    @Test func domainsAreKeptApart() {
        let tree = PCIBusTree([
            (a("0000:00:01.0"), Synthetic.bridge(primary: 0, secondary: 1, subordinate: 1)),
            (a("0001:00:01.0"), Synthetic.bridge(primary: 0, secondary: 1, subordinate: 1)),
            (a("0000:01:00.0"), Synthetic.function()),
            (a("0001:01:00.0"), Synthetic.function()),
            (a("0002:01:00.0"), Synthetic.function()),          // no bridge in domain 2: a root bus
        ])
        #expect(tree.parent(of: a("0000:01:00.0")) == a("0000:00:01.0"))
        #expect(tree.parent(of: a("0001:01:00.0")) == a("0001:00:01.0"))
        #expect(tree.parent(of: a("0002:01:00.0")) == nil)
    }

    @Test func rootPortOnANonZeroRootBus() {
        // Like the P2020 board: a root port at 04:00.0 of domain 0, nothing above it.
        let tree = PCIBusTree([
            (a("0000:04:00.0"), Synthetic.bridge(primary: 4, secondary: 5, subordinate: 5)),
            (a("0000:05:00.0"), Synthetic.function()),
        ])
        #expect(tree.parent(of: a("0000:04:00.0")) == nil)
        #expect(tree.parent(of: a("0000:05:00.0")) == a("0000:04:00.0"))
    }

    @Test func narrowestRangeWinsAndSubordinateBusesBelongToTheBridge() {
        let tree = PCIBusTree([
            (a("0000:00:1e.0"), Synthetic.bridge(primary: 0, secondary: 0x1c, subordinate: 0x20, portType: nil)),
            (a("0000:1c:03.0"), Synthetic.bridge(primary: 0x1c, secondary: 0x1d, subordinate: 0x20, portType: nil)),
            (a("0000:1d:00.0"), Synthetic.function()),
            (a("0000:20:00.0"), Synthetic.function()),          // no bridge has 0x20 as secondary
        ])
        #expect(tree.parent(of: a("0000:1d:00.0")) == a("0000:1c:03.0"))
        #expect(tree.parent(of: a("0000:20:00.0")) == a("0000:1c:03.0"))
    }

    @Test func misnumberedAndUnconfiguredBridgesAreNotParents() {
        let tree = PCIBusTree([
            (a("0000:00:01.0"), Synthetic.bridge(primary: 0, secondary: 0, subordinate: 0)),    // unconfigured
            (a("0000:02:00.0"), Synthetic.bridge(primary: 2, secondary: 2, subordinate: 3)),    // claims its own bus
            (a("0000:03:00.0"), Synthetic.bridge(primary: 3, secondary: 2, subordinate: 2)),    // points back up
            (a("0000:02:01.0"), Synthetic.function()),
            (a("0000:00:02.0"), Synthetic.function()),
        ])
        #expect(Set(tree.misnumberedBridges) == [a("0000:00:01.0"), a("0000:02:00.0"), a("0000:03:00.0")])
        #expect(tree.parent(of: a("0000:00:02.0")) == nil)
        #expect(tree.parent(of: a("0000:02:01.0")) == nil)
        #expect(tree.parent(of: a("0000:02:00.0")) == nil)
        #expect(tree.upstreamBridges(of: a("0000:03:00.0")).isEmpty)
    }

    @Test func onlyBridgeClassFunctionsWithBridgeHeadersCount() {
        // Header type 1 but class 0x0200: lspci does not treat it as a bridge, neither do we.
        var odd = Synthetic.bridge(primary: 0, secondary: 1, subordinate: 1)
        odd.set16(0x0a, 0x0200)
        var cardbus = Synthetic.function(classID: 0x0607, header: 0x02, portType: nil)
        cardbus.set8(0x18, 0); cardbus.set8(0x19, 2); cardbus.set8(0x1a, 5)
        let tree = PCIBusTree([
            (a("0000:00:01.0"), odd), (a("0000:01:00.0"), Synthetic.function()),
            (a("0000:00:02.0"), cardbus), (a("0000:02:00.0"), Synthetic.function()),
            (a("0000:01:00.0"), Synthetic.bridge(primary: 9, secondary: 9, subordinate: 9)),   // duplicate: ignored
        ])
        #expect(tree.parent(of: a("0000:01:00.0")) == nil)
        #expect(tree.parent(of: a("0000:02:00.0")) == a("0000:00:02.0"))
        #expect(tree.bridges.keys.sorted() == [a("0000:00:02.0")])
        #expect(tree.functions.count == 4)
    }
}
