import PCIConfig

/// Why Linux would not enable `numVFs` VFs on a function (`sriov_numvfs_store()`,
/// `sriov_enable()`, `sriov_init()` and `compute_max_vf_buses()`, drivers/pci/iov.c): the what-if
/// `--sriov BDF=N` is refused with this sentence.
public enum SRIOVRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// No function at the address.
    case noFunction(PCIAddress)
    /// The function has no SR-IOV capability (or its registers are not in the input), or is
    /// itself a VF.
    case noSRIOV(PCIAddress, id: String)
    /// TotalVFs is 0: `sriov_init()` leaves the function without SR-IOV.
    case noVFs(PCIAddress)
    /// More than TotalVFs: `sriov_numvfs_store()` returns -ERANGE.
    case beyondTotalVFs(PCIAddress, asked: Int, total: Int)
    /// Without VF Migration Capable, more than InitialVFs: `sriov_enable()` returns -EINVAL.
    case beyondInitialVFs(PCIAddress, asked: Int, initial: Int)
    /// First VF Offset 0, or VF Stride 0 with more than one VF: `compute_max_vf_buses()` -EIO.
    case cannotPlace(PCIAddress)
    /// The last VF's bus is past the PF bus's range: `sriov_enable()` logs "can't enable %d VFs
    /// (bus %02x out of range of %pR)".
    case busOutOfRange(PCIAddress, asked: Int, bus: Int, end: Int)

    public var description: String {
        switch self {
        case let .noFunction(a):
            "no function at \(a.shortDescription) in the input"
        case let .noSRIOV(a, id):
            "\(a.shortDescription) (\(id)) has no SR-IOV capability in the input: it has no VFs to enable"
        case let .noVFs(a):
            "\(a.shortDescription): its SR-IOV capability says TotalVFs 0 (sriov_init leaves it without VFs)"
        case let .beyondTotalVFs(a, asked, total):
            "\(a.shortDescription) supports at most \(total) VF\(total == 1 ? "" : "s") (TotalVFs): writing \(asked) "
                + "to sriov_numvfs fails with ERANGE"
        case let .beyondInitialVFs(a, asked, initial):
            "\(a.shortDescription) is not VF Migration Capable, so at most InitialVFs (\(initial)) VFs can be enabled, "
                + "not \(asked) (sriov_enable: EINVAL)"
        case let .cannotPlace(a):
            "\(a.shortDescription): First VF Offset or VF Stride is 0, the kernel refuses its SR-IOV capability "
                + "(compute_max_vf_buses: EIO)"
        case let .busOutOfRange(a, asked, bus, end):
            "\(a.shortDescription): VF \(asked) would be on bus \(hex(bus, width: 2)), past the last bus "
                + "\(hex(end, width: 2)) below its bridge (sriov_enable: \"can't enable \(asked) VFs\")"
        }
    }
}

/// The SR-IOV virtual functions Linux has (drivers/pci/iov.c): where they are, what Linux
/// makes of their config space, and the order they are added in. THE one place VFs are derived:
/// from the PF's SR-IOV capability (`SRIOVCapability`, whose routing-ID rule every reader shares),
/// never from the VF's own ID registers, which read FFFFh (PCIe Base Specification §9.3.4.1.1-2).
public struct VirtualFunctions: Sendable {
    /// One VF: its PF and its number (`virtfnN`).
    public struct VF: Hashable, Sendable {
        public var address: PCIAddress
        public var pf: PCIAddress
        /// 0-based, as `virtfnN` in sysfs.
        public var id: Int
    }

    /// The functions as Linux enumerates them: the input's, with each VF's IDs set as
    /// `pci_iov_add_virtfn()` sets them and the what-if VFs added; VFs of a what-if that disables
    /// or lowers NumVFs left out.
    public let functions: [PCIFunction]
    /// The VFs in the order Linux adds them: after the boot scan (the PF's driver enables
    /// SR-IOV), PF after PF in address order, VF 0 first (`sriov_add_vfs()`).
    public let vfs: [VF]
    /// For each PF with VFs: its SR-IOV capability and how many VFs it has.
    public let pfs: [PCIAddress: (capability: SRIOVCapability, numVFs: Int)]
    /// What-if requests the kernel would refuse (left out of the prediction).
    public let refused: [SRIOVRefusal]

    /// The VFs of `input` (their PF's SR-IOV capability has VF Enable and NumVFs, and the input
    /// shows a function at the VF's routing ID), with `numVFs` what-if requests (`--sriov
    /// BDF=N`: NumVFs as if written to `sriov_numvfs`; 0 disables).
    public init(_ input: [PCIFunction], numVFs requests: [PCIAddress: Int] = [:]) {
        var byAddress: [PCIAddress: PCIFunction] = [:]
        for f in input where byAddress[f.address] == nil { byAddress[f.address] = f }
        var refused: [SRIOVRefusal] = []
        var vfs: [VF] = []
        var pfs: [PCIAddress: (SRIOVCapability, Int)] = [:]
        var dropped = Set<PCIAddress>()
        var added: [PCIAddress: PCIFunction] = [:]
        let pfList = byAddress.values.filter { !$0.isAllOnes && $0.config.sriov != nil }.sorted { $0.address < $1.address }
        // Requests for functions that are not PFs.
        for (a, _) in requests.sorted(by: { $0.key < $1.key }) where !pfList.contains(where: { $0.address == a }) {
            refused.append(byAddress[a].map { .noSRIOV(a, id: $0.idString) } ?? .noFunction(a))
        }
        let tree = requests.isEmpty ? nil : PCIBusTree(input.filter { !$0.isAllOnes })
        for pf in pfList {
            let cap = pf.config.sriov!
            let enabled = cap.virtualFunctions(of: pf.address).filter { byAddress[$0] != nil }
            var want = enabled.count
            var predicted = false
            if let asked = requests[pf.address] {
                let end = tree?.parent(of: pf.address).flatMap { tree?.bridges[$0]?.subordinate }.map(Int.init) ?? 0xff
                if let why = Self.sriovEnableRefusal(pf.address, cap, asked: asked, busEnd: end) {
                    refused.append(why)
                } else {
                    want = asked
                    predicted = true
                    // The VFs there now go away (sriov_numvfs is all or none).
                    dropped.formUnion(cap.virtualFunctions(of: pf.address))
                }
            }
            guard want > 0 else { continue }
            // VF n is at place n (`virtfnN`); without a what-if, only the VFs the input shows.
            let places = predicted ? cap.virtualFunctions(of: pf.address, count: want) : cap.virtualFunctions(of: pf.address)
            let shownVFs = Set(enabled)
            // pci_read_vf_config_common(): class, header type, subsystem come from VF 0; a VF the
            // input does not show is made like an input VF of this PF (or from the PF itself).
            let template = enabled.first.flatMap { byAddress[$0] }
            var count = 0
            for (id, a) in places.enumerated() {
                let shown = shownVFs.contains(a) ? byAddress[a] : nil
                if shown == nil, !predicted { continue }
                let base = shown ?? template.map { PCIFunction(address: a, config: $0.config, names: $0.names) }
                    ?? PCIFunction(address: a, config: Self.virtfnConfig(from: pf.config))
                added[a] = Self.pciIOVAddVirtfn(base, pf: pf, capability: cap)
                dropped.remove(a)
                vfs.append(VF(address: a, pf: pf.address, id: id))
                count += 1
            }
            pfs[pf.address] = (cap, count)
        }
        var out = input.filter { added[$0.address] == nil && !dropped.contains($0.address) }
        out += vfs.map { added[$0.address]! }
        self.functions = out
        self.vfs = vfs
        self.pfs = pfs.mapValues { (capability: $0.0, numVFs: $0.1) }
        self.refused = refused
    }

    /// What `pci_iov_add_virtfn()` (drivers/pci/iov.c) makes of a VF: `virtfn->vendor =
    /// dev->vendor`, `virtfn->device = iov->vf_device` (the PF's VF Device ID), whatever the VF's
    /// own ID registers read. The IDs are written into a copy of the VF's config space (as sysfs
    /// and lspci show them); nothing else changes. Names: the PF's class and "SR-IOV VF of" its
    /// device name (what a reader looked up for the VF's FFFFh IDs is dropped).
    static func pciIOVAddVirtfn(_ vf: PCIFunction, pf: PCIFunction, capability: SRIOVCapability) -> PCIFunction {
        var c = vf.config
        if c.readable >= 4 {
            c.set16(PCI_VENDOR_ID, pf.vendorID)
            c.set16(PCI_DEVICE_ID, capability.vfDevice)
        }
        let names = pf.names.map { PCINames(vendor: $0.vendor, device: "SR-IOV VF of \($0.device)", class: $0.class) }
        return PCIFunction(address: vf.address, config: c, names: names)
    }

    /// The config space of a VF the input does not show (what-if): the PF's Revision, Class and
    /// Subsystem, header type 0, and a PCI Express capability of the PF's device/port type (a VF
    /// is of its PF's type, PCIe Base Specification §9.3.5); no extended capability.
    static func virtfnConfig(from pf: ConfigSpace) -> ConfigSpace {
        var c = ConfigSpace(bytes: Array(repeating: 0, count: ConfigSpace.size), readable: max(pf.readable, PCI_CFG_SPACE_SIZE))
        c.set32(PCI_VENDOR_ID, 0xffff_ffff)
        c.set16(PCI_STATUS, PCI_STATUS_CAP_LIST)
        c.set32(PCI_REVISION_ID, pf.u32(PCI_REVISION_ID) ?? 0)
        c.set8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL)
        if let s = pf.subsystem {
            c.set16(PCI_SUBSYSTEM_VENDOR_ID, s.vendor)
            c.set16(PCI_SUBSYSTEM_ID, s.device)
        }
        let at = 0x40
        c.set8(PCI_CAPABILITY_LIST, UInt8(at))
        c.set8(at + PCI_CAP_LIST_ID, UInt8(PCI_CAP_ID_EXP))
        c.set8(at + PCI_CAP_LIST_NEXT, 0)
        let type = pf.pciExpress?.portType ?? .endpoint
        c.set16(at + PCI_EXP_FLAGS, 2 | UInt16(type.rawValue) << 4)
        return c
    }

    /// Whether `sriov_numvfs_store()` / `sriov_enable()` (drivers/pci/iov.c) would enable `asked`
    /// VFs on the PF at `pf`; `busEnd` is the last bus number below the PF's bridge
    /// (`dev->bus->busn_res.end`; 0xff on a root bus). `nil`: it would.
    public static func sriovEnableRefusal(_ pf: PCIAddress, _ cap: SRIOVCapability, asked: Int, busEnd: Int) -> SRIOVRefusal? {
        if asked == 0 { return nil }
        if cap.totalVFs == 0 { return .noVFs(pf) }
        if asked > Int(cap.totalVFs) { return .beyondTotalVFs(pf, asked: asked, total: Int(cap.totalVFs)) }
        if !cap.vfMigrationCapable, cap.capabilities != nil, let initial = cap.initialVFs, asked > Int(initial) {
            return .beyondInitialVFs(pf, asked: asked, initial: Int(initial))
        }
        guard let last = cap.virtualFunction(asked - 1, of: pf), cap.firstVFOffset != 0, asked == 1 || cap.vfStride != 0 else {
            return .cannotPlace(pf)
        }
        if Int(last.bus) > busEnd { return .busOutOfRange(pf, asked: asked, bus: Int(last.bus), end: busEnd) }
        return nil
    }
}

/// One `--sriov BDF=N` what-if: N VFs on the PF at BDF, as if N were written to its
/// `sriov_numvfs` (`LinuxSystem.sriovNumVFs`).
public struct SRIOVNumVFs: Hashable, Sendable, CustomStringConvertible {
    public var pf: PCIAddress
    public var numVFs: Int

    public init(pf: PCIAddress, numVFs: Int) {
        self.pf = pf
        self.numVFs = numVFs
    }

    /// `01:00.0=8` or `0000:01:00.0=8` (N decimal, 0...65535, as `sriov_numvfs_store()` reads a
    /// u16); `nil` for anything else.
    public init?(argument: String) {
        let parts = argument.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, let pf = PCIAddress(parts[0]), let n = UInt16(parts[1]) else { return nil }
        self.init(pf: pf, numVFs: Int(n))
    }

    public var description: String { "\(pf.shortDescription)=\(numVFs)" }
}
