import PCIConfig

/// The Linux system a prediction is for: the kernel profile and the platform facts config space
/// cannot show. One value for every command that predicts (`groups`, `check`, `run`), built once
/// from the command line.
///
/// The kernel command line (`commandLine`: `pci=config_acs=`, `pci=disable_acs_redir=`,
/// `pci=noats`, `iommu=off`, `pcie_acs_override=`) acts in `pciEnableACS` (after the enable
/// step), in `KernelView.iommuOff` and in `pciACSEnabled`, which all read this value.
public struct LinuxSystem: Hashable, Sendable {
    public var kernel: KernelProfile
    /// The kernel command line predicted for (`--cmdline`; live: /proc/cmdline; a dump: none).
    public var commandLine: KernelCommandLine
    /// Whether the kernel carries the out-of-tree `pcie_acs_override` patch (Proxmox, linux-zen,
    /// CachyOS, …) when `commandLine` has the parameter. Debian's, Fedora's and Ubuntu's kernels do
    /// not: they hand the parameter to init and group as without it.
    public var acsOverridePatch: Bool
    /// The input's ACS Control registers are as firmware left them (a dump taken without an IOMMU,
    /// `--assume-iommu`): model what `pci_enable_acs()` enables when an IOMMU requests ACS. When
    /// false, the input was taken under Linux with an IOMMU, so Control already holds it.
    public var assumeIOMMU: Bool
    /// An AMD IOMMU with an ACPI IVRS table is present (`pci_quirk_amd_sb_acs` answers only then).
    public var amdIVRS: Bool
    /// Force "the Intel PCH RCBA workaround failed" (`pci_quirk_enable_intel_pch_acs`) on every bus.
    public var pchWorkaroundFails: Bool
    /// What `KernelProfile.resolve` said about choosing `kernel` (a running or recorded kernel
    /// newer than every profile), stated with the prediction's assumptions.
    public var kernelNote: String?
    /// What-if `--sriov BDF=N`: NumVFs of a PF as if N were written to its `sriov_numvfs` (0
    /// disables its VFs); `VirtualFunctions` places the VFs.
    public var sriovNumVFs: [PCIAddress: Int]

    public init(kernel: KernelProfile = .newest, assumeIOMMU: Bool = false, amdIVRS: Bool = false,
                pchWorkaroundFails: Bool = false, kernelNote: String? = nil, commandLine: KernelCommandLine = .none,
                acsOverridePatch: Bool = true, sriovNumVFs: [PCIAddress: Int] = [:]) {
        self.kernel = kernel
        self.commandLine = commandLine
        self.acsOverridePatch = acsOverridePatch
        self.kernelNote = kernelNote
        self.sriovNumVFs = sriovNumVFs
        self.assumeIOMMU = assumeIOMMU
        self.amdIVRS = amdIVRS
        self.pchWorkaroundFails = pchWorkaroundFails
    }
}

/// How `pci_quirk_enable_intel_pch_acs()` (drivers/pci/quirks.c) ends for the root ports of one
/// bus: it reads RCBA (`INTEL_LPC_RCBA_REG` of the LPC bridge at device 31 function 0 of the same
/// bus) and fails when `INTEL_LPC_RCBA_ENABLE` is clear; otherwise it sets
/// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`. The rest (BSPR/UPDCR in the RCBA window) is MMIO and is
/// assumed to work.
public enum PCHWorkaroundState: Hashable, Sendable {
    /// RCBA enable bit set in the LPC bridge's config space: the workaround succeeds (assumed for the MMIO part).
    case rcbaEnabled(lpc: PCIAddress)
    /// RCBA enable bit clear: the kernel logs "Failed to enable Intel PCH ACS quirk".
    case rcbaDisabled(lpc: PCIAddress)
    /// No readable LPC bridge at 1f.0 on that bus: assumed to succeed.
    case assumedToSucceed
    /// `--assume-pch-workaround-fails`.
    case forcedFailure
    /// The kernel does not call `pci_dev_specific_enable_acs()` for a function without an ACS
    /// capability (`KernelProfile.skipsQuirkEnableWithoutACSCapability`: 5.9.0–5.9.8,
    /// 6.11.0–6.11.6), so the enable step never runs for the port.
    case enableNotCalled(KernelDifference)

    /// Whether `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` ends up set.
    public var succeeds: Bool {
        switch self {
        case .rcbaEnabled, .assumedToSucceed: true
        case .rcbaDisabled, .forcedFailure, .enableNotCalled: false
        }
    }
}

/// A function's ACS capability as Linux uses it: `pdev->acs_cap` and the registers the checks
/// read, with Control as `pciEnableACS` leaves it.
public struct PCIDevACS: Hashable, Sendable {
    /// `pdev->acs_cap`: offset of the ACS extended capability.
    public var offset: Int
    /// The standard registers as `pci_acs_flags_enabled()` reads them: the capability as the
    /// kernel uses it (7.x: cached, broken bits removed by `pci_disable_broken_acs_cap()`), Control
    /// after `pci_enable_acs()`.
    public var standard: ACSRegisters
    /// The Intel Sunrise Point dword registers as `pci_quirk_intel_spt_pch_acs()` reads them,
    /// Control after `pci_enable_acs()`; `nil` when the input does not hold them (the dwords end
    /// 4 bytes past the standard registers: never invented).
    public var intelSPTDword: ACSRegisters?
    /// Whether the modelled `pci_enable_acs()` changed a Control register (`--assume-iommu`).
    public var enabledByLinux: Bool
    /// What the command line's ACS parameters did to this device (empty: none names it).
    public var commandLine: [ACSParameterApplied]

    public init(offset: Int, standard: ACSRegisters, intelSPTDword: ACSRegisters?, enabledByLinux: Bool = false,
                commandLine: [ACSParameterApplied] = []) {
        self.commandLine = commandLine
        self.offset = offset
        self.standard = standard
        self.intelSPTDword = intelSPTDword
        self.enabledByLinux = enabledByLinux
    }

    /// The registers read with `layout`, `nil` when the input does not hold them.
    public func registers(_ layout: ACSRegisterLayout) -> ACSRegisters? {
        switch layout {
        case .standard: standard
        case .intelSPTDword: intelSPTDword
        }
    }
}

/// One function as Linux's PCI core holds it after enumeration (`struct pci_dev`): the PCIe type
/// after `set_pcie_port_type()`, `pdev->multifunction`, the SR-IOV relation, the ACS registers
/// after `pci_enable_acs()`, the DMA-alias fixups and `dev_flags`. THE model of "the device as
/// Linux sees it": the quirk table, `pci_acs_enabled()`, `pci_device_group()`, `check` and `new`
/// all read it. Built for functions by `KernelView`; `init(vendor:device:…)` describes a device
/// by its facts alone (a device the kernel-tree analysis asks the quirk table about).
public struct PCIDev: Hashable, Sendable {
    /// Index into the bus topology's `functions` (-1 for a device described by its facts).
    public var index: Int
    public var address: PCIAddress
    public var vendor: UInt16
    public var device: UInt16
    /// `dev->class >> 8`: base class << 8 | sub class.
    public var classID: UInt16?
    /// `pci_is_pcie(dev)`: the function has a PCI Express capability.
    public var isPCIe: Bool
    /// The type in the PCI Express Capabilities register.
    public var rawType: PCIExpressPortType?
    /// `pci_pcie_type(dev)`: the type after `set_pcie_port_type()`.
    public var type: PCIExpressPortType?
    /// `pdev->multifunction`.
    public var multifunction: Bool
    /// Why `multifunction` has its value, e.g. "function 2; every function found at fn > 0 is
    /// multifunction" or "single function (header type bit 7 clear)".
    public var multifunctionReason: String
    /// `pdev->is_virtfn`: an SR-IOV virtual function.
    public var isVirtfn: Bool
    /// `pdev->physfn`: the index of the physical function of a VF.
    public var physfn: Int?
    /// ACS as read from config space.
    public var acsStatus: ACSStatus
    /// The ACS capability as Linux uses it, `nil` without one (or when it cannot be read).
    public var acs: PCIDevACS?
    /// The DMA-alias header fixups and bridge flags.
    public var dma: DMAAliasQuirks.Effect
    /// `pci_is_root_bus(dev->bus)`.
    public var onRootBus: Bool
    /// How `pci_quirk_enable_intel_pch_acs()` ends on this function's bus
    /// (`PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` for the PCH root ports it accepts).
    public var pchWorkaround: PCHWorkaroundState
    /// Bytes of config space the input shows (a 64-byte read hides the capability list).
    public var configReadable: Int

    /// A device described by its facts (no config space, no bus): what a quirk function would see.
    public init(vendor: UInt16, device: UInt16, type: PCIExpressPortType?, multifunction: Bool, classID: UInt16?,
                onRootBus: Bool, acs: PCIDevACS? = nil, pchWorkaround: PCHWorkaroundState = .assumedToSucceed) {
        self.init(index: -1, address: PCIAddress(domain: 0, bus: 0, devfn: 0), vendor: vendor, device: device,
                  classID: classID, isPCIe: type != nil, rawType: type, type: type, multifunction: multifunction,
                  multifunctionReason: multifunction ? "multifunction" : "single function", isVirtfn: false, physfn: nil,
                  acsStatus: acs.map { .present(ACSCapability(offset: $0.offset, registers: $0.standard)) } ?? .absent,
                  acs: acs, dma: DMAAliasQuirks.Effect(), onRootBus: onRootBus, pchWorkaround: pchWorkaround,
                  configReadable: ConfigSpace.size)
    }

    init(index: Int, address: PCIAddress, vendor: UInt16, device: UInt16, classID: UInt16?, isPCIe: Bool,
         rawType: PCIExpressPortType?, type: PCIExpressPortType?, multifunction: Bool, multifunctionReason: String,
         isVirtfn: Bool, physfn: Int?, acsStatus: ACSStatus, acs: PCIDevACS?, dma: DMAAliasQuirks.Effect,
         onRootBus: Bool, pchWorkaround: PCHWorkaroundState, configReadable: Int) {
        self.index = index
        self.address = address
        self.vendor = vendor
        self.device = device
        self.classID = classID
        self.isPCIe = isPCIe
        self.rawType = rawType
        self.type = type
        self.multifunction = multifunction
        self.multifunctionReason = multifunctionReason
        self.isVirtfn = isVirtfn
        self.physfn = physfn
        self.acsStatus = acsStatus
        self.acs = acs
        self.dma = dma
        self.onRootBus = onRootBus
        self.pchWorkaround = pchWorkaround
        self.configReadable = configReadable
    }

    /// `vvvv:dddd`.
    public var idString: String { hex(vendor, width: 4) + ":" + hex(device, width: 4) }

    /// The standard ACS registers as `pci_acs_flags_enabled()` reads them, `nil` without ACS.
    public var acsStandard: ACSRegisters? { acs?.standard }

    /// Whether the type is known: a PCI Express capability was found, or the capability list
    /// could be read and has none (a 64-byte read cannot tell).
    public var portTypeKnown: Bool { type != nil || configReadable >= ConfigSpace.extendedStart }
}

/// `set_pcie_port_type(dev)` (drivers/pci/probe.c): a "downstream port" whose parent is a
/// downstream-type port (root port, downstream port, PCI-to-PCIe bridge) is an upstream port, and
/// an "upstream port" below an upstream port is a downstream port. `parent` is the parent
/// bridge's corrected type (`nil`: no parent, or one without PCIe).
public func setPCIePortType(_ type: PCIExpressPortType?, parent: PCIExpressPortType?) -> PCIExpressPortType? {
    guard let type, let parent else { return type }
    if type == .downstreamPort, parent == .rootPort || parent == .downstreamPort || parent == .pciToPCIeBridge {
        return .upstreamPort
    }
    if type == .upstreamPort, parent == .upstreamPort { return .downstreamPort }
    return type
}

/// `pdev->multifunction` for the function at `address` and why (drivers/pci/probe.c): an SR-IOV
/// VF is never multifunction (`pci_iov_add_virtfn`); every function `pci_scan_slot()` finds at
/// fn > 0 is (with ARI, `next_fn()` walks every devfn of the device, so devfn > 0 counts as
/// fn > 0); function 0 has bit 7 of its own Header Type register. The one rule: `check`, `new`
/// and the group predictor all read it through `PCIDev`.
public func pciMultifunction(_ address: PCIAddress, headerType: HeaderType?, ariForwarding: Bool,
                             isVirtfn: Bool = false) -> (multifunction: Bool, reason: String) {
    if isVirtfn { return (false, "SR-IOV virtual function (never multifunction)") }
    if address.function > 0 {
        return (true, "function \(address.function); every function found at fn > 0 is multifunction")
    }
    if ariForwarding, address.devfn > 0 { return (true, "ARI function \(address.devfn) (fn > 0)") }
    if headerType?.multifunction == true { return (true, "header type bit 7 set") }
    return (false, "single function (header type bit 7 clear)")
}

/// Whether a bridge has ARI Forwarding Enable set (`PCI_EXP_DEVCTL2_ARI`, PCIe Base
/// Specification §7.5.3.16; Linux `pci_ari_enabled(bus)` of the bus below it).
public func pciARIEnabled(_ bridge: ConfigSpace) -> Bool {
    guard let e = bridge.pciExpress, e.version >= 2, let ctl2 = bridge.u16(e.offset + PCI_EXP_DEVCTL2) else { return false }
    return ctl2 & PCI_EXP_DEVCTL2_ARI != 0
}

/// Linux's view of a set of functions after the bus scan: the bus hierarchy, the probe order and
/// a `PCIDev` per function. Built once per input and system; every prediction over the same
/// functions (today, what-if, an entry's effect) shares it.
public struct KernelView: Sendable {
    public let tree: BusTopology
    /// `PCIDev` per function (indices as in `tree.functions`).
    public let devices: [PCIDev]
    public let system: LinuxSystem
    /// The command-line parameter that keeps the IOMMU off (`KernelCommandLine.iommuOff`): no
    /// IOMMU groups at all, and no ACS enabled by the kernel. `nil`: an IOMMU is on.
    public let iommuOff: String?
    /// The one phrase every output says when `parameter` keeps the IOMMU off (`iommuOff`): the
    /// text and JSON notes of `groups` and `check`, the pictures' caption, `run`'s page and summary.
    public static func noIOMMUGroups(_ parameter: String) -> String { "No IOMMU groups: \(parameter) switches the IOMMU off" }
    /// Whether the IOMMU is AMD's (`--amd-iommu`, an AMD IOMMU function of class 0x0806 or an AMD
    /// host bridge on the first root bus), which decides whether `amd_iommu=` or `intel_iommu=` counts.
    public let amdIOMMU: Bool
    /// The SR-IOV VFs among the functions (and the what-if's, `system.sriovNumVFs`).
    public let virtualFunctions: VirtualFunctions
    /// The order Linux adds the devices in (device indices): the boot scan
    /// (`BusTopology.scanOrder`), then the VFs as their PFs' drivers enable them.
    public let probeOrder: [Int]

    /// The view of `functions` (any order; all-ones functions are left out, as the scan does,
    /// except VFs, which Linux adds from their PF's SR-IOV capability: `VirtualFunctions`).
    public init(functions: [PCIFunction], system: LinuxSystem) {
        let vfs = VirtualFunctions(functions, numVFs: system.sriovNumVFs)
        self.init(tree: BusTopology(functions: vfs.functions), system: system, virtualFunctions: vfs)
    }

    /// The view of `tree`, computed in scan order so that parents are typed before their
    /// children (`set_pcie_port_type` reads the parent's corrected type).
    init(tree: BusTopology, system: LinuxSystem, virtualFunctions: VirtualFunctions) {
        self.tree = tree
        self.system = system
        let amd = system.amdIVRS || tree.functions.indices.contains { i in
            let f = tree.functions[i]
            return f.vendorID == 0x1022 && (f.config.classID == 0x0806 || (f.config.classID == 0x0600 && tree.isOnRootBus(i)))
        }
        amdIOMMU = amd
        let iommuOff = system.commandLine.iommuOff(amd: amd)
        self.iommuOff = iommuOff
        self.virtualFunctions = virtualFunctions
        var physfn: [Int: Int] = [:]
        for vf in virtualFunctions.vfs {
            if let v = tree.index(of: vf.address), let p = tree.index(of: vf.pf) { physfn[v] = p }
        }
        let boot = tree.scanOrder.filter { physfn[$0] == nil }
        probeOrder = boot + virtualFunctions.vfs.compactMap { tree.index(of: $0.address) }
        var out = [PCIDev?](repeating: nil, count: tree.functions.count)
        // ARI: functions on a bus whose bridge has ARI Forwarding Enable are scanned with next_fn().
        var ariBus = Set<BusKey>()
        for (bus, owner) in tree.busOwner where pciARIEnabled(tree.functions[owner].config) { ariBus.insert(bus) }
        var pchState: [BusKey: PCHWorkaroundState] = [:]
        for i in boot + physfn.keys.sorted() {
            let f = tree.functions[i]
            let c = f.config
            let pcie = c.pciExpress
            let parent = tree.parentBridge[i]
            let parentType: PCIExpressPortType?? = parent.map { p in out[p]?.type ?? nil }
            let type = setPCIePortType(pcie?.portType, parent: parentType ?? nil)
            let pf = physfn[i]
            let mf = pciMultifunction(f.address, headerType: c.headerType, ariForwarding: ariBus.contains(BusKey(f.address)),
                                      isVirtfn: pf != nil)
            let bus = BusKey(f.address)
            let pch: PCHWorkaroundState
            if let s = pchState[bus] {
                pch = s
            } else {
                pch = Self.pciQuirkEnableIntelPCHACS(bus, tree: tree, system: system)
                pchState[bus] = pch
            }
            let status = c.acs
            // A VF on a bus of its own (virtfn_add_bus) sits on a virtual bus below its PF's bus:
            // never a root bus, and without a bridge (the walks skip it, as `bus->self` is NULL).
            let onRoot = pf.map { p in out[p]!.onRootBus && BusKey(tree.functions[p].address) == bus } ?? (parent == nil)
            // pci_acs_init()/pci_enable_acs(): some releases call the quirk enable step only for a
            // function with an ACS capability.
            let pchCalled: PCHWorkaroundState = status.capability == nil && pch != .forcedFailure
                ? system.kernel.skipsQuirkEnableWithoutACSCapability.map { .enableNotCalled($0) } ?? pch : pch
            out[i] = PCIDev(
                index: i, address: f.address, vendor: f.vendorID, device: f.deviceID, classID: c.classID,
                isPCIe: pcie != nil, rawType: pcie?.portType, type: type, multifunction: mf.multifunction,
                multifunctionReason: mf.reason, isVirtfn: pf != nil, physfn: pf, acsStatus: status,
                acs: status.capability.map {
                    pciEnableACS(f, capability: $0, type: type, identity: Self.identity(i, tree: tree), iommuOn: iommuOff == nil,
                                 system: system)
                },
                dma: DMAAliasQuirks.effect(for: f, kernel: system.kernel, onRootBus: onRoot, isPCIe: pcie != nil,
                                           parentPCIeType: parentType),
                onRootBus: onRoot, pchWorkaround: pchCalled, configReadable: c.readable)
        }
        devices = out.map { $0! }
    }

    /// What `pci_dev_str_match()` reads of function `i`: address, IDs, subsystem IDs, bridges above.
    static func identity(_ i: Int, tree: BusTopology) -> PCIDevIdentity {
        let f = tree.functions[i]
        var up: [PCIAddress] = []
        var cur = tree.parentBridge[i]
        while let b = cur { up.append(tree.functions[b].address); cur = tree.parentBridge[b] }
        let sub = f.config.subsystem
        return PCIDevIdentity(address: f.address, vendor: f.vendorID, device: f.deviceID, subsystemVendor: sub?.vendor ?? 0,
                              subsystemDevice: sub?.device ?? 0, upstream: up)
    }

    /// The device at `address`.
    public func device(at address: PCIAddress) -> PCIDev? { tree.index(of: address).map { devices[$0] } }

    /// The function the device was read from (names, config space).
    public func function(_ d: PCIDev) -> PCIFunction { tree.functions[d.index] }

    /// How `pci_quirk_enable_intel_pch_acs()` ends for the root ports on `bus`: RCBA of the Intel
    /// LPC bridge at 1f.0 of the same bus, or `--assume-pch-workaround-fails`.
    static func pciQuirkEnableIntelPCHACS(_ bus: BusKey, tree: BusTopology, system: LinuxSystem) -> PCHWorkaroundState {
        if system.pchWorkaroundFails { return .forcedFailure }
        guard let lpc = PCIAddress(domain: bus.domain, bus: bus.bus, device: 31, function: 0),
              let i = tree.index(of: lpc), tree.functions[i].vendorID == intelVendorID,
              let rcba = tree.functions[i].config.u32(INTEL_LPC_RCBA_REG) else { return .assumedToSucceed }
        return rcba & INTEL_LPC_RCBA_ENABLE != 0 ? .rcbaEnabled(lpc: lpc) : .rcbaDisabled(lpc: lpc)
    }
}
