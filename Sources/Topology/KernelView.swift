import Foundation
import PCIConfig
import Registry

/// The kernel version whose grouping behaviour is reproduced (linux-acs.md §3.9). The quirk
/// table, the quirk functions and `pci_device_group()` are identical in all three; they differ in
/// the ACS capability caching (7.x masks SV on IDT 0x80b5/0x8090), the ASPEED no-alias flag (7.x)
/// and the `pci=disable_acs_redir` semantics.
public enum KernelProfile: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case v6_1 = "6.1"
    case v6_12 = "6.12"
    case v7_3 = "7.3"

    public static let newest: KernelProfile = .v7_3

    public var description: String { rawValue }

    /// 7.x: `pci_for_each_dma_alias()` honours `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS` (ASPEED 1a03:1150).
    public var honoursBridgeNoAlias: Bool { self == .v7_3 }
    /// 7.x: `pci_disable_broken_acs_cap()` removes SV from the cached ACS capability of IDT
    /// 0x80b5 and 0x8090 (so SV is neither enabled nor required there).
    public var masksIDTSourceValidation: Bool { self == .v7_3 }

    /// The profile closest to a kernel release string (`uname -r`, `6.18.3-amd64`): 7.x → 7.3,
    /// 6.12 and later 6.x → 6.12, older → 6.1; nil when no `major.minor` can be read.
    public static func closest(toRelease release: String) -> KernelProfile? {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        if parts[0] >= 7 { return .v7_3 }
        if parts[0] == 6 && parts[1] >= 12 { return .v6_12 }
        return .v6_1
    }

    /// The running kernel's release as `uname -r` prints it (`uname(2)`), nil when unreadable.
    public static var runningRelease: String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        return withUnsafePointer(to: u.release) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: u.release)) { String(cString: $0) }
        }
    }

    /// The profile closest to the running kernel, nil when its release cannot be read.
    public static var running: KernelProfile? { runningRelease.flatMap(closest(toRelease:)) }

    /// THE default profile, used by every command (`groups`, `check`, `run`): an explicit
    /// `--kernel` value when given and known; else, on the live system, the profile closest to the
    /// running kernel; else the one closest to the release a snapshot recorded; else (a dump, whose
    /// kernel is unknown) `newest`. `note` is set when the profile stands for a kernel it does not
    /// describe: a running or recorded kernel newer than `newest` (its rules may have changed
    /// since); commands show it with the prediction.
    /// - Parameters:
    ///   - explicit: the `--kernel` value (nil when not given; an unknown value falls back too —
    ///     callers validate it first).
    ///   - live: whether the functions come from this machine's sysfs rather than a dump.
    ///   - recordedRelease: the kernel release a snapshot recorded (`uname -r` there): its closest
    ///     profile, as live.
    ///   - release: the running kernel's release (default: this machine's).
    public static func resolve(_ explicit: String?, live: Bool, recordedRelease: String? = nil,
                               release: String? = runningRelease) -> (profile: KernelProfile, note: String?) {
        if let explicit, let p = KernelProfile(rawValue: explicit) { return (p, nil) }
        let (which, chosen) = live ? ("running", release) : ("recorded", recordedRelease)
        guard let chosen, let p = closest(toRelease: chosen) else { return (newest, nil) }
        let mine = chosen.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let top = newest.rawValue.split(separator: ".").compactMap { Int($0) }
        guard mine.lexicographicallyPrecedes(top) || mine == top else {
            return (p, "the \(which) kernel \(chosen) is newer than the newest profile, \(newest): predicted with "
                + "\(newest)'s rules, which may miss what changed since (--kernel picks a profile)")
        }
        return (p, nil)
    }
}

/// What the prediction assumes about the platform and the dump.
public struct PredictionOptions: Hashable, Sendable {
    public var kernel: KernelProfile
    /// The dump was taken without an IOMMU (ACS Control as firmware left it): apply what Linux
    /// enables when an IOMMU requests ACS (`pci_std_enable_acs`: ctrl |= cap ∩ SV|RR|CR|UF, and the
    /// Intel SPT dword op).
    public var assumeIOMMU: Bool
    /// An AMD IOMMU with an ACPI IVRS table is present (`pci_quirk_amd_sb_acs` answers).
    public var amdIVRS: Bool
    /// Force "the Intel PCH RCBA workaround failed" for every quirked PCH root port.
    public var pchWorkaroundFails: Bool
    /// What `KernelProfile.resolve` said about choosing `kernel` (a running kernel newer than
    /// every profile), stated with the prediction's assumptions.
    public var kernelNote: String?

    public init(kernel: KernelProfile = .newest, assumeIOMMU: Bool = false, amdIVRS: Bool = false,
                pchWorkaroundFails: Bool = false, kernelNote: String? = nil) {
        self.kernel = kernel
        self.kernelNote = kernelNote
        self.assumeIOMMU = assumeIOMMU
        self.amdIVRS = amdIVRS
        self.pchWorkaroundFails = pchWorkaroundFails
    }
}

/// How the Intel PCH root-port ACS workaround (`pci_quirk_enable_intel_pch_acs`) was judged for
/// one bus: it reads RCBA (register 0xF0 of the LPC bridge at device 31 function 0 of the same
/// bus) and fails when its enable bit 0 is clear; the rest (BSPR/UPDCR in the RCBA window) is MMIO
/// and is assumed to work.
public enum PCHWorkaroundState: Hashable, Sendable {
    /// RCBA enable bit set in the LPC bridge's config space: the workaround succeeds (assumed for the MMIO part).
    case rcbaEnabled(lpc: PCIAddress)
    /// RCBA enable bit clear: the kernel logs "Failed to enable Intel PCH ACS quirk".
    case rcbaDisabled(lpc: PCIAddress)
    /// No readable LPC bridge at 1f.0 on that bus: assumed to succeed.
    case assumedToSucceed
    /// `--assume-pch-workaround-fails`.
    case forcedFailure

    public var succeeds: Bool {
        switch self {
        case .rcbaEnabled, .assumedToSucceed: true
        case .rcbaDisabled, .forcedFailure: false
        }
    }
}

/// One function as the kernel sees it after enumeration: corrected PCIe type, the multifunction
/// flag, effective ACS registers, DMA aliases and bridge flags.
public struct KernelDevice: Hashable, Sendable {
    /// Index into the bus tree's `functions`.
    public let index: Int
    public let address: PCIAddress
    public let vendor: UInt16
    public let device: UInt16
    public let classID: UInt16?
    /// Whether the function has a PCI Express capability (`pci_is_pcie`).
    public let isPCIe: Bool
    /// The type in the PCI Express Capabilities register.
    public let rawType: PCIExpressPortType?
    /// The type after `set_pcie_port_type()` (a "downstream port" below a downstream-type port is
    /// an upstream port and vice versa).
    public let type: PCIExpressPortType?
    /// `pdev->multifunction`.
    public let multifunction: Bool
    /// Why `multifunction` has its value, e.g. "function 2 (fn > 0)" or "header type bit 7 clear".
    public let multifunctionReason: String
    /// ACS as read from config space.
    public let acsStatus: ACSStatus
    /// Standard-layout capability as Linux uses it (7.x: IDT SV masked) and effective control.
    public let acsStandard: ACSRegisterValues?
    /// The registers per layout for the quirk functions (effective control).
    public let acsRegisters: [ACSRegisterLayout: ACSRegisterValues]
    /// Whether the control values were changed by the modelled enable op (`--assume-iommu`).
    public let acsEnabledByModel: Bool
    public let dma: DMAAliasQuirks.Effect
    /// Whether the function sits on a root bus.
    public let onRootBus: Bool
    /// For Intel root ports on this bus: how the PCH workaround is judged.
    public let pchWorkaround: PCHWorkaroundState

    /// `vvvv:dddd`.
    public var idString: String { hex(vendor, width: 4) + ":" + hex(device, width: 4) }

    /// The facts a quirk function sees.
    public var quirkFacts: QuirkDeviceFacts {
        QuirkDeviceFacts(vendor: vendor, device: device, portType: type, multifunction: multifunction,
                         classID: classID, onRootBus: onRootBus, acsRegisters: acsRegisters)
    }

    public func platform(_ options: PredictionOptions) -> PlatformAssumptions {
        PlatformAssumptions(amdIVRS: options.amdIVRS, intelPCHWorkaroundSucceeds: pchWorkaround.succeeds)
    }
}

extension BusTopology {
    /// The kernel's view of every function (indices match `functions`), computed in scan order so
    /// that parents are corrected before their children (`set_pcie_port_type` uses the parent's
    /// corrected type).
    public func kernelDevices(_ options: PredictionOptions) -> [KernelDevice] {
        var out = [KernelDevice?](repeating: nil, count: functions.count)
        // ARI: functions on a bus whose bridge has ARI Forwarding Enable are scanned with
        // next_ari_fn(); every devfn > 0 then counts as fn > 0.
        var ariBus = Set<BusKey>()
        for (bus, owner) in busOwner where ariForwardingEnabled(functions[owner].config) {
            ariBus.insert(bus)
        }
        var pchState: [BusKey: PCHWorkaroundState] = [:]
        func pch(_ bus: BusKey) -> PCHWorkaroundState {
            if options.pchWorkaroundFails { return .forcedFailure }
            if let s = pchState[bus] { return s }
            var s = PCHWorkaroundState.assumedToSucceed
            if let a = PCIAddress(domain: bus.domain, bus: bus.bus, device: 31, function: 0),
               let i = index(of: a), functions[i].vendorID == intelVendorID,
               let rcba = functions[i].config.u32(0xf0) {
                s = rcba & 1 != 0 ? .rcbaEnabled(lpc: a) : .rcbaDisabled(lpc: a)
            }
            pchState[bus] = s
            return s
        }
        for i in scanOrder {
            let f = functions[i]
            let c = f.config
            let pcie = c.pciExpress
            let raw = pcie?.portType
            var type = raw
            let parent = parentBridge[i]
            if let t = raw, let p = parent, let pd = out[p] {
                let pt = pd.type
                if t == .downstreamPort, pt == .rootPort || pt == .downstreamPort || pt == .pciToPCIeBridge {
                    type = .upstreamPort
                } else if t == .upstreamPort, pt == .upstreamPort {
                    type = .downstreamPort
                }
            }
            let fnum = f.address.function
            let multifunction: Bool
            let mfReason: String
            if fnum > 0 {
                multifunction = true
                mfReason = "function \(fnum); every function found at fn > 0 is multifunction"
            } else if ariBus.contains(BusKey(f.address)), f.address.devfn > 0 {
                multifunction = true
                mfReason = "ARI function \(f.address.devfn) (fn > 0)"
            } else if c.headerType?.multifunction == true {
                multifunction = true
                mfReason = "header type bit 7 set"
            } else {
                multifunction = false
                mfReason = "single function (header type bit 7 clear)"
            }

            // ACS registers: standard layout and the Intel SPT dword layout.
            let status = c.acs
            var regs: [ACSRegisterLayout: ACSRegisterValues] = [:]
            var standard: ACSRegisterValues?
            var enabledByModel = false
            if case let .present(cap) = status {
                let off = cap.offset
                var stdCap = ACSFlags(rawValue: (c.u16(off + 4) ?? 0) & ACSFlags.all.rawValue)
                var stdCtl = ACSFlags(rawValue: (c.u16(off + 6) ?? 0) & ACSFlags.all.rawValue)
                if options.kernel.masksIDTSourceValidation, f.vendorID == 0x111d,
                   f.deviceID == 0x80b5 || f.deviceID == 0x8090 {
                    stdCap.remove(.sv)
                }
                let dwCap = ACSFlags(rawValue: UInt16(truncatingIfNeeded: c.u32(off + 4) ?? 0) & ACSFlags.all.rawValue)
                var dwCtl = ACSFlags(rawValue: UInt16(truncatingIfNeeded: c.u32(off + 8) ?? 0) & ACSFlags.all.rawValue)
                if options.assumeIOMMU {
                    let isSPT = c.hasIntelSPTACSErratum && type == .rootPort
                    if isSPT {
                        // pci_quirk_enable_intel_spt_pch_acs: dword control at +8.
                        let add = dwCap.intersection(ACSFlags.linuxRequired)
                        if !dwCtl.isSuperset(of: add) { enabledByModel = true }
                        dwCtl.formUnion(add)
                    } else {
                        // pci_std_enable_acs.
                        let add = stdCap.intersection(ACSFlags.linuxRequired)
                        if !stdCtl.isSuperset(of: add) { enabledByModel = true }
                        stdCtl.formUnion(add)
                        dwCtl.formUnion(dwCap.intersection(ACSFlags.linuxRequired))
                    }
                }
                standard = ACSRegisterValues(capability: stdCap, control: stdCtl)
                regs[.standard] = standard
                regs[.intelSPTDword] = ACSRegisterValues(capability: dwCap, control: dwCtl)
            }

            let onRoot = parent == nil
            let parentType: PCIExpressPortType?? = parent.map { p in out[p]?.type ?? nil }
            let dma = DMAAliasQuirks.effect(for: f, kernel: options.kernel, onRootBus: onRoot,
                                            isPCIe: pcie != nil, parentPCIeType: parentType)
            out[i] = KernelDevice(
                index: i, address: f.address, vendor: f.vendorID, device: f.deviceID, classID: c.classID,
                isPCIe: pcie != nil, rawType: raw, type: type, multifunction: multifunction,
                multifunctionReason: mfReason, acsStatus: status, acsStandard: standard, acsRegisters: regs,
                acsEnabledByModel: enabledByModel, dma: dma, onRootBus: onRoot,
                pchWorkaround: pch(BusKey(f.address)))
        }
        return out.map { $0! }
    }

    /// Whether a bridge has ARI Forwarding Enable set (PCIe Device Control 2 bit 5, PCIe Base
    /// Specification §7.5.3.16; Linux `pci_ari_enabled(bus)`).
    func ariForwardingEnabled(_ c: ConfigSpace) -> Bool {
        guard let e = c.pciExpress, e.version >= 2, let ctl2 = c.u16(e.offset + 0x28) else { return false }
        return ctl2 & 0x20 != 0
    }
}
