// The IOMMU group predictor alone on synthetic topologies of 1,000 and 10,000 functions, and the
// synthetic topologies the other benchmarks write as dumps.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LinuxPCI
import PCIConfig
import Registry

/// Config space for one synthetic function: PCIe capability at 0x40, ACS at 0x100.
func function(_ domain: UInt32, _ bus: UInt8, _ devfn: UInt8, id: UInt32, type: PCIExpressPortType?,
              multifunction: Bool = false, acs: Bool = false, bridge: (UInt8, UInt8, UInt8)? = nil) -> PCIFunction {
    var c = ConfigSpace(bytes: [UInt8](repeating: 0, count: 4096), readable: 4096)
    c.set16(0x00, UInt16(id >> 16))
    c.set16(0x02, UInt16(id & 0xffff))
    c.set16(0x0a, bridge != nil ? 0x0604 : 0x0200)
    c.set8(0x0e, (bridge != nil ? 1 : 0) | (multifunction ? 0x80 : 0))
    if let (p, s, sub) = bridge { c.set8(0x18, p); c.set8(0x19, s); c.set8(0x1a, sub) }
    if let t = type {
        c.set16(0x06, 0x0010)
        c.set8(0x34, 0x40)
        c.set8(0x40, 0x10)
        c.set16(0x42, UInt16(t.rawValue) << 4 | 2)
        if acs {
            c.set32(0x100, 0x0001_000d)
            c.set16(0x104, 0x001f)
            c.set16(0x106, 0x001d)
        }
    }
    return PCIFunction(address: PCIAddress(domain: domain, bus: bus, devfn: devfn), config: c)
}

/// An SR-IOV PF (Intel 82576, VF Device ID 10ca) with `vfs` VFs enabled at First VF Offset 1,
/// VF Stride 1, and its VFs as a dump shows them: Vendor and Device ID reading FFFFh.
func physicalFunction(_ domain: UInt32, _ bus: UInt8, vfs: Int) -> [PCIFunction] {
    var pf = function(domain, bus, 0, id: 0x8086_10c9, type: .endpoint)
    var c = pf.config
    c.set32(0x100, 0x0001_0010)
    c.set16(0x100 + PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_ARI)
    c.set16(0x100 + PCI_SRIOV_TOTAL_VF, UInt16(vfs))
    c.set16(0x100 + PCI_SRIOV_NUM_VF, UInt16(vfs))
    c.set16(0x100 + PCI_SRIOV_VF_OFFSET, 1)
    c.set16(0x100 + PCI_SRIOV_VF_STRIDE, 1)
    c.set16(0x100 + PCI_SRIOV_VF_DID, 0x10ca)
    pf.config = c
    return [pf] + (1...vfs).map { devfn in
        var vf = function(domain, bus, UInt8(devfn), id: 0xffff_ffff, type: .endpoint)
        vf.config.set16(0x0a, 0x0200)
        return vf
    }
}

/// A topology of about `target` functions: per domain a host bridge and root ports (alternately
/// with and without ACS); each root port leads to a switch with 8 downstream ports (half with
/// ACS), each with a 4-function endpoint without ACS, except two: an SR-IOV PF with 7 VFs (below a
/// port with ACS) and one with 15 VFs (without; its VFs cross into devices 1 and 2); every fourth
/// port a PCIe-to-PCI bridge with conventional devices; a Marvell DMA-alias pair here and there.
func topology(target: Int) -> [PCIFunction] {
    var out: [PCIFunction] = []
    var domain: UInt32 = 0
    while out.count < target {
        out.append(function(domain, 0, 0, id: 0x8086_29c0, type: nil))
        var bus: UInt8 = 1
        var slot: UInt8 = 1
        while slot < 24 && Int(bus) + 11 < 250 && out.count < target {
            let rp = slot
            let first = bus
            let acs = rp % 2 == 0
            if rp % 4 == 3 {
                // Root port -> PCIe-to-PCI bridge -> 6 conventional devices.
                out.append(function(domain, 0, rp << 3, id: 0x1b36_000c, type: .rootPort, acs: acs, bridge: (0, first, first + 1)))
                out.append(function(domain, first, 0, id: 0x1b36_000e, type: .pcieToPCIBridge, bridge: (first, first + 1, first + 1)))
                for d: UInt8 in 1...6 { out.append(function(domain, first + 1, d << 3, id: 0x8086_100e, type: nil)) }
                bus += 2
            } else {
                out.append(function(domain, 0, rp << 3, id: 0x1b36_000c, type: .rootPort, acs: acs, bridge: (0, first, first + 9)))
                out.append(function(domain, first, 0, id: 0x104c_8232, type: .upstreamPort, bridge: (first, first + 1, first + 9)))
                for dp: UInt8 in 0..<8 {
                    let sec = first + 2 + dp
                    out.append(function(domain, first + 1, dp << 3, id: 0x104c_8233, type: .downstreamPort,
                                        acs: dp % 2 == 0, bridge: (first + 1, sec, sec)))
                    if dp == 2 || dp == 3 {
                        out += physicalFunction(domain, sec, vfs: dp == 2 ? 7 : 15)
                        continue
                    }
                    let alias = dp == 5
                    for f: UInt8 in 0..<4 {
                        out.append(function(domain, sec, f, id: alias && f == 0 ? 0x1b4b_9123 : 0x8086_10d3,
                                            type: .endpoint, multifunction: true))
                    }
                }
                bus += 10
            }
            slot += 1
        }
        domain += 1
    }
    return out
}

/// A small quirk table with the shapes the kernel uses (mf-endpoint rows, an ANY-ID function).
func quirkTable() -> QuirkTable {
    // The committed registry when run from the repository (make bench), else a built-in sample.
    let loaded = Registry.load(paths: ["quirks"]).entries.map(\.entry).filter { $0.kernel.status == .upstream }
    if !loaded.isEmpty { return QuirkTable(entries: loaded) }
    return QuirkTable(entries: [
        QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: "82576", devices: [.id(0x10c9), .id(0x10e6)],
                   isolation: Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk),
                   kernel: KernelStatus(status: .upstream, function: "pci_quirk_mf_endpoint_acs",
                                        table: [.init(row: 1, device: 0x10c9), .init(row: 2, device: 0x10e6)])),
        QuirkEntry(vendor: 0x8086, vendorName: "Intel", family: "RCiEP", devices: [.range(first: 0, last: 0xffff)],
                   appliesTo: AppliesTo(portType: .rciep),
                   isolation: Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired),
                   kernel: KernelStatus(status: .upstream, function: "pci_quirk_rciep_acs", table: [.init(row: 3, device: nil)])),
    ])
}

/// Best of `runs` wall-clock times (seconds) of building the tree and predicting every group.
func measure(_ fns: [PCIFunction], _ table: QuirkTable, runs: Int) -> (Double, GroupPrediction) {
    var best = Double.infinity
    var last: GroupPrediction?
    for _ in 0..<runs {
        let t0 = now()
        let p = GroupPredictor.predict(fns, quirks: table, system: LinuxSystem(kernel: .newest))
        best = min(best, now() - t0)
        last = p
    }
    return (best, last!)
}

/// IOMMU group prediction at 1,000 and 10,000 functions; false unless the time per function at
/// 10,000 stays within 2.5x of that at 1,000 (linear scaling).
func predictorBenchmark(table: QuirkTable, tree: Bool) -> Bool {
    if tree {
        for n in [1_000, 10_000] {
            let f = topology(target: n)
            let t0 = now(); _ = PCIBusTree(f); let t1 = now()
            _ = BusTopology(functions: f); let t2 = now()
            print("tree \(f.count): PCIBusTree \((t1 - t0) * 1000) ms, BusTopology \((t2 - t1) * 1000) ms")
        }
    }
    let small = topology(target: 1_000)
    let large = topology(target: 10_000)
    _ = measure(small, table, runs: 1) // warm-up
    let (tSmall, pSmall) = measure(small, table, runs: 5)
    let (tLarge, pLarge) = measure(large, table, runs: 3)
    let perSmall = tSmall / Double(small.count) * 1e6
    let perLarge = tLarge / Double(large.count) * 1e6
    print("IOMMU group prediction (kernel \(KernelProfile.newest) rules, \(table.rows.count) quirk rows)")
    print(row(["functions", "SR-IOV VFs", "groups", "time (ms)", "µs/function"]))
    for (n, p, t, per) in [(small.count, pSmall, tSmall, perSmall), (large.count, pLarge, tLarge, perLarge)] {
        print(row([String(n), String(p.devices.filter(\.isVirtfn).count), String(p.groups.count), fixed(t * 1000), fixed(per)]))
    }
    let ratio = perLarge / perSmall
    print("  time per function, 10k vs 1k: \(fixed(ratio))x (linear: about 1x; limit 2.5x)")
    return ratio <= 2.5
}
