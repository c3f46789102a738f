/// The SR-IOV extended capability of a physical function (PCIe Base Specification §9.3.3; pciutils
/// ls-ecaps.c `cap_sriov`; the kernel reads the same registers in `sriov_init()`,
/// drivers/pci/iov.c): the registers that say where the VFs are and what they are.
public struct SRIOVCapability: Hashable, Sendable {
    /// Offset of the capability in config space.
    public var offset: Int
    /// SR-IOV Capabilities (`PCI_SRIOV_CAP`); bit 0 is VF Migration Capable.
    public var capabilities: UInt32?
    /// SR-IOV Control (`PCI_SRIOV_CTRL`): VF Enable, ARI Capable Hierarchy, ...
    public var control: UInt16
    public var initialVFs: UInt16?
    public var totalVFs: UInt16
    /// NumVFs: how many VFs are visible while VF Enable is set.
    public var numVFs: UInt16
    /// First VF Offset: routing ID of VF 1 relative to the PF (§9.3.3.9).
    public var firstVFOffset: UInt16
    /// VF Stride: routing ID distance between consecutive VFs (§9.3.3.10).
    public var vfStride: UInt16
    /// VF Device ID (§9.3.3.11): the Device ID every VF has (VFs read FFFFh there themselves).
    public var vfDevice: UInt16

    public init(offset: Int, capabilities: UInt32? = nil, control: UInt16, initialVFs: UInt16? = nil, totalVFs: UInt16,
                numVFs: UInt16, firstVFOffset: UInt16, vfStride: UInt16, vfDevice: UInt16) {
        self.offset = offset
        self.capabilities = capabilities
        self.control = control
        self.initialVFs = initialVFs
        self.totalVFs = totalVFs
        self.numVFs = numVFs
        self.firstVFOffset = firstVFOffset
        self.vfStride = vfStride
        self.vfDevice = vfDevice
    }

    /// VF Enable (`PCI_SRIOV_CTRL_VFE`).
    public var vfEnable: Bool { control & PCI_SRIOV_CTRL_VFE != 0 }
    /// ARI Capable Hierarchy (`PCI_SRIOV_CTRL_ARI`): First VF Offset and VF Stride are those of an
    /// ARI hierarchy (the kernel's `sriov_init()` sets it when the PF's bus forwards ARI).
    public var ariCapableHierarchy: Bool { control & PCI_SRIOV_CTRL_ARI != 0 }
    /// VF Migration Capable (`PCI_SRIOV_CAP_VFM`): without it, at most InitialVFs can be enabled.
    public var vfMigrationCapable: Bool { (capabilities ?? 0) & PCI_SRIOV_CAP_VFM != 0 }

    /// The VFs that exist now: NumVFs of them while VF Enable is set, none otherwise.
    public var enabledVFs: Int { vfEnable ? Int(numVFs) : 0 }

    /// The routing ID of VF `id` (0-based) of the PF at `pf`: PF routing ID + First VF Offset +
    /// `id` × VF Stride (§9.3.3.9-10; the kernel's `pci_iov_virtfn_bus()` and
    /// `pci_iov_virtfn_devfn()`), which may cross into the next device number or bus. `nil` past
    /// bus 255.
    public func virtualFunction(_ id: Int, of pf: PCIAddress) -> PCIAddress? {
        let rid = (Int(pf.bus) << 8 | Int(pf.devfn)) + Int(firstVFOffset) + id * Int(vfStride)
        guard rid <= 0xffff else { return nil }
        return PCIAddress(domain: pf.domain, bus: UInt8(rid >> 8), devfn: UInt8(rid & 0xff))
    }

    /// The addresses of VFs 0..<`count` (default: the enabled ones), in VF order; empty when the
    /// registers cannot place them (First VF Offset 0, or VF Stride 0 with more than one VF: the
    /// kernel's `compute_max_vf_buses()` refuses such a PF with -EIO) or one lies past bus 255.
    public func virtualFunctions(of pf: PCIAddress, count: Int? = nil) -> [PCIAddress] {
        let n = count ?? enabledVFs
        guard n > 0, firstVFOffset != 0, n == 1 || vfStride != 0 else { return [] }
        let out = (0..<n).compactMap { virtualFunction($0, of: pf) }
        return out.count == n ? out : []
    }
}

extension ConfigSpace {
    /// The SR-IOV capability, `nil` without one (or when its registers are not readable).
    public var sriov: SRIOVCapability? {
        guard let at = findExtendedCapability(PCI_EXT_CAP_ID_SRIOV),
              let ctrl = u16(at + PCI_SRIOV_CTRL), let total = u16(at + PCI_SRIOV_TOTAL_VF),
              let num = u16(at + PCI_SRIOV_NUM_VF), let first = u16(at + PCI_SRIOV_VF_OFFSET),
              let stride = u16(at + PCI_SRIOV_VF_STRIDE), let did = u16(at + PCI_SRIOV_VF_DID) else { return nil }
        return SRIOVCapability(offset: at, capabilities: u32(at + PCI_SRIOV_CAP), control: ctrl,
                               initialVFs: u16(at + PCI_SRIOV_INITIAL_VF), totalVFs: total, numVFs: num,
                               firstVFOffset: first, vfStride: stride, vfDevice: did)
    }
}
