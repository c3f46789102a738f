import PCIConfig

/// Platform flags and assumptions the prediction states (what config space cannot tell).
enum PredictionNotes {
    /// IBM POWER PHB root ports/host bridges: on PowerNV/pSeries Linux groups devices per
    /// partitionable endpoint (PE) from firmware, not by ACS.
    static let ibmPHB: Set<UInt32> = [0x1014_03dc, 0x1014_04c1, 0x1014_0652]
    /// IBM EADS(-X) PCI/PCI-X host bridges of pSeries machines (also PE-based).
    static let ibmEADS: Set<UInt32> = [0x1014_0188, 0x1014_028c, 0x1014_0302, 0x1014_0314]
    /// SoCs known to have no IOMMU at all: Freescale/NXP P2020 (1957:0070 P2020E, 1957:0071 P2020).
    static let noIOMMUSoC: [UInt32: String] = [
        0x1957_0070: "Freescale/NXP P2020E", 0x1957_0071: "Freescale/NXP P2020",
    ]
    /// Intel VMD controllers (drivers/pci/controller/vmd.c).
    static let intelVMD: Set<UInt16> = [0x201d, 0x28c0, 0x467f, 0x4c3d, 0x7d0b, 0x9a0b, 0xa77f, 0xad0b, 0xb60b, 0xb06f]

    /// Why ACS does not decide which slot isolates a card on this platform, or `nil` where it does:
    /// a PE-based IBM POWER machine (groups per partitionable endpoint, from firmware) or a SoC
    /// without an IOMMU (no groups). The platform notes of `make` say the same at more length.
    static func groupsNotFormedByACS(_ devices: [PCIDev]) -> String? {
        func key(_ d: PCIDev) -> UInt32 { UInt32(d.vendor) << 16 | UInt32(d.device) }
        if devices.contains(where: { ibmPHB.contains(key($0)) || ibmEADS.contains(key($0)) }) {
            return "on this PE-based platform Linux forms IOMMU groups per partitionable endpoint from firmware, "
                + "not by ACS, so which slot gives a card a group of its own depends on the firmware's PEs (not predicted here)"
        }
        if let soc = devices.first(where: { noIOMMUSoC[key($0)] != nil }) {
            return "\(noIOMMUSoC[key(soc)]!) has no IOMMU: Linux forms no IOMMU groups here and VFIO can assign no device"
        }
        return nil
    }

    static func make(view: KernelView, verdicts: [ACSVerdict]) -> ([PredictionNote], Bool) {
        let tree = view.tree, devices = view.devices, system = view.system
        var notes: [PredictionNote] = []
        var kernelNumbers = true
        func key(_ d: PCIDev) -> UInt32 { UInt32(d.vendor) << 16 | UInt32(d.device) }

        // Platforms where ACS rules do not form the groups.
        let phb = devices.filter { ibmPHB.contains(key($0)) || ibmEADS.contains(key($0)) }
        if let first = phb.first {
            kernelNumbers = false
            notes.append(PredictionNote(kind: .platform, text:
                "PE-based platform (IBM POWER host bridge \(first.idString) at \(first.address)): Linux forms IOMMU groups "
                + "per partitionable endpoint from firmware, ACS rules not applicable; the groups below are what "
                + "pci_device_group() would give, not what this machine does"))
        }
        if let soc = devices.first(where: { noIOMMUSoC[key($0)] != nil }) {
            kernelNumbers = false
            notes.append(PredictionNote(kind: .platform, text:
                "\(noIOMMUSoC[key(soc)]!) (\(soc.idString) at \(soc.address)) has no IOMMU: Linux forms no IOMMU groups "
                + "here; the groups below only show what an IOMMU would see"))
        }

        if let off = view.iommuOff {
            kernelNumbers = false
            notes.append(PredictionNote(kind: .platform, text:
                KernelView.noIOMMUGroups(off) + " (the \(view.amdIOMMU ? "AMD" : "Intel") IOMMU, from the kernel command line): "
                + "Linux forms no IOMMU groups at all and VFIO can assign no device; ACS is not enabled by the kernel either"))
        }
        notes.append(PredictionNote(kind: .assumption, text:
            "kernel \(system.kernel) rules (pci_device_group, quirk table, DMA-alias quirks); "
            + (view.iommuOff == nil ? "an IOMMU is active" : "no IOMMU")))
        if let note = system.kernelNote { notes.append(PredictionNote(kind: .assumption, text: note)) }
        notes += commandLineNotes(view: view)
        if system.assumeIOMMU {
            notes.append(PredictionNote(kind: .assumption, text:
                "--assume-iommu: ACS Control taken as firmware left it plus what Linux enables "
                + "(capability ∩ SV|RR|CR|UF, pci_std_enable_acs; Intel SPT dword op)"))
        } else if view.iommuOff == nil {
            // With the IOMMU off there are no groups for Control to decide (the platform note says so).
            notes.append(PredictionNote(kind: .assumption, text:
                "ACS Control as found in the input (a dump taken under Linux with the IOMMU on shows the kernel's settings)"))
            if view.iommuOff == nil, let hint = controlHint(devices: devices) { notes.append(hint) }
        }

        // Intel PCH root-port workaround.
        let pchPorts = devices.filter { d in
            d.vendor == intelVendorID && d.type == .rootPort && verdictUsesPCHQuirk(verdicts[d.index])
        }
        if !pchPorts.isEmpty {
            var states: [String] = []
            for d in pchPorts {
                let s: String
                switch d.pchWorkaround {
                case let .rcbaEnabled(lpc): s = "RCBA enabled in \(lpc) register 0xF0, the MMIO part assumed to succeed"
                case let .rcbaDisabled(lpc): s = "RCBA disabled in \(lpc) register 0xF0: the kernel's workaround fails"
                case .assumedToSucceed: s = "no LPC bridge at 1f.0 on that bus in the input: assumed to succeed"
                case .forcedFailure: s = "--assume-pch-workaround-fails"
                case let .enableNotCalled(d):
                    s = "kernel \(system.kernel) does not call it for a root port without an ACS capability (\(d.releases))"
                }
                if !states.contains(s) { states.append(s) }
            }
            let ok = pchPorts.allSatisfy { $0.pchWorkaround.succeeds }
            notes.append(PredictionNote(kind: .assumption, text:
                "Intel PCH root-port ACS workaround (pci_quirk_enable_intel_pch_acs) "
                + (ok ? "succeeds" : "fails") + " for " + pchPorts.map { $0.address.shortDescription }.joined(separator: ", ")
                + " (" + states.joined(separator: "; ") + ")"
                + (ok ? "; --assume-pch-workaround-fails shows the other case" : "")))
        }
        notes.append(PredictionNote(kind: .assumption, text: system.amdIVRS
            ? "--amd-iommu: an AMD IOMMU (ACPI IVRS) is present; IVRS DMA aliases are not modelled"
            : "no AMD IVRS table (AMD southbridge quirk inactive, no IVRS aliases; --amd-iommu to assume one)"))

        let vmd = devices.filter { $0.vendor == intelVendorID && intelVMD.contains($0.device) }
        let vmdDomains = Set(devices.map(\.address.domain)).filter { $0 >= 0x10000 }
        if !vmd.isEmpty || !vmdDomains.isEmpty {
            notes.append(PredictionNote(kind: .assumption, text:
                "Intel VMD present (" + (vmd.map { "\($0.idString) at \($0.address)" } + vmdDomains.sorted().map { "domain \(hex($0, width: 4))" })
                    .joined(separator: ", ") + "): devices behind VMD use the VMD endpoint's requester ID and share its group; "
                + "this is not modelled"))
            kernelNumbers = false
        }
        let ntb = devices.filter { $0.dma.unpredictable != nil }
        if !ntb.isEmpty {
            notes.append(PredictionNote(kind: .assumption, text:
                ntb.map { "\($0.address): \($0.dma.unpredictable!)" }.joined(separator: "; ")
                + ": its NTB DMA aliases cannot be read from config space and are assumed absent"))
        } else {
            notes.append(PredictionNote(kind: .assumption, text: "no VMD, NTB or IVRS DMA aliases beyond the kernel's ID-based quirks"))
        }

        // Group numbers are predictable where only PCI devices are grouped in probe order: x86
        // (Intel VT-d, AMD-Vi probe the PCI bus first). On device-tree/ACPI ARM platforms the SMMU
        // also groups platform devices, which take numbers in between.
        if kernelNumbers, !looksX86(tree: tree, devices: devices) {
            kernelNumbers = false
            notes.append(PredictionNote(kind: .platform, text:
                "no Intel or AMD host bridge on the first root bus: on this platform other (non-PCI) devices behind "
                + "the IOMMU take group numbers too, so the numbers below only label the partition"))
        }

        // Input limits.
        let unknown = devices.filter { if case .unknown = $0.acsStatus { return true } else { return false } }
        if !unknown.isEmpty {
            notes.append(PredictionNote(kind: .input, text:
                "extended config space missing for \(unknown.count) function(s) (e.g. \(unknown[0].address)): "
                + "ACS unknown, treated as absent"))
        }
        for f in tree.skipped {
            notes.append(PredictionNote(kind: .input, text:
                "\(f.address) reads all ones and no PF's SR-IOV capability places a VF there (hidden function): "
                + "not enumerated, not grouped"))
        }
        notes += sriovNotes(view.virtualFunctions, system: system)
        for a in tree.anomalies { notes.append(PredictionNote(kind: .input, text: a)) }
        if kernelNumbers {
            notes.append(PredictionNote(kind: .assumption, text:
                "group numbers as the kernel allocates them at boot (probe order, lowest free number; assumes only "
                + "PCI devices take numbers" + (tree.rootBuses.count > 1 ? " and host bridges are probed in domain/bus order" : "")
                + ")" + (view.virtualFunctions.vfs.isEmpty ? "" : "; VFs after every boot device, their PFs enabled in address order")))
        } else if view.iommuOff == nil {
            notes.append(PredictionNote(kind: .assumption, text: "group numbers only label the partition"))
        }
        return (notes, kernelNumbers)
    }

    /// What the input's ACS Control registers say about how it was taken, when they lack bits the
    /// kernel enables on ports that advertise them and no `--cmdline` parameter names those ports:
    /// all off everywhere (no IOMMU, or `pci=disable_acs_redir`/`config_acs` on every port with
    /// 6.11+, which write the firmware's value), or off on some ports while others hold what Linux
    /// enables (a parameter naming those ports: 6.11+ writes the firmware's value without RR/CR,
    /// older kernels clear RR/CR/EC and keep SV/UF). Intel SPT erratum ports keep Control in a
    /// dword at +8: their standard-layout "control" is the upper half of the capability dword, not
    /// a setting, so they never count.
    static func controlHint(devices: [PCIDev]) -> PredictionNote? {
        let withCap = devices.filter { d in
            d.acsStatus.capability?.layout != .intelSPTDword && d.acs?.commandLine.isEmpty != false
                && d.acsStandard.map { !pciACSEnableBits($0.capability).isEmpty } == true
        }
        let lacking = withCap.filter { d in
            let r = d.acsStandard!
            return !r.control.isSuperset(of: pciACSEnableBits(r.capability))
        }
        guard !lacking.isEmpty else { return nil }
        let list = lacking.map(\.address.description).joined(separator: ";")
        let cmdline = "--cmdline \"pci=disable_acs_redir=\(list)\""
        if lacking.count == withCap.count, lacking.allSatisfy({ $0.acsStandard!.control.intersection(.linuxRequired).isEmpty }) {
            return PredictionNote(kind: .hint, text:
                "every ACS Control register here is off although \(withCap.count) function(s) advertise SV/RR/CR/UF. Either "
                + "the dump was taken without an IOMMU (then --assume-iommu predicts what Linux with one does), or the kernel "
                + "was booted with pci=disable_acs_redir= or pci=config_acs= naming them (Linux 6.11 and later write the "
                + "firmware's value), and the groups above are that boot's: \(cmdline) says so. The machine's "
                + "/proc/cmdline tells which")
        }
        guard lacking.count < withCap.count else { return nil }
        let redirOnly = lacking.allSatisfy { d in
            let r = d.acsStandard!
            return r.control.isSuperset(of: pciACSEnableBits(r.capability).subtracting([.rr, .cr]))
        }
        return PredictionNote(kind: .hint, text:
            "ACS Control of " + lacking.map(\.address.shortDescription).joined(separator: ", ")
            + " lacks bits Linux enables when an IOMMU is on, while \(withCap.count - lacking.count) other function(s) hold them: "
            + (redirOnly ? "the signature of pci=disable_acs_redir= (kernels before 6.11 clear RR, CR and EC from what they set)"
                         : "the kernel was booted with pci=disable_acs_redir= or pci=config_acs= naming them (6.11 and later write the firmware's value)")
            + "; the groups above are that boot's, and \(cmdline) (or the machine's /proc/cmdline) states it. "
            + "--assume-iommu would enable them and predict groups that boot did not have")
    }

    /// What the kernel command line does here: the parameters the model reads, per device what
    /// the ACS parameters wrote, what the kernel ignores or rejects, and what is not modelled.
    static func commandLineNotes(view: KernelView) -> [PredictionNote] {
        let system = view.system, cl = system.commandLine, kernel = system.kernel
        guard !cl.isEmpty else { return [] }
        var notes = [PredictionNote(kind: .assumption, text: "kernel command line: \(cl.text)")]
        var applied: [String: [String]] = [:]
        var rejected: [String: String] = [:]
        for d in view.devices {
            for a in d.acs?.commandLine ?? [] {
                if case let .rejected(why) = a.effect { rejected[a.parameter] = why; continue }
                applied[a.parameter, default: []].append("\(d.address.shortDescription): " + a.description)
            }
        }
        for (param, value) in [("pci=disable_acs_redir", cl.disableACSRedir), ("pci=config_acs", cl.configACS(kernel))] {
            guard let value else { continue }
            let semantics = param == "pci=config_acs"
                ? "__pci_config_acs: ctrl = (firmware & ~mask) | (flags & mask), 'x' keeps the firmware's bit"
                : kernel.has(.disableACSRedirFromFirmware)
                    ? "__pci_config_acs: the firmware's value without RR, CR, EC"
                    : "pci_disable_acs_redir: RR, CR, EC cleared from what the kernel set"
            if let why = rejected[param] {
                notes.append(PredictionNote(kind: .assumption, text:
                    "\(param)=\(value): rejected by kernel \(kernel) (\"\(why)\"), ACS Control unchanged"))
            } else if let lines = applied[param] {
                notes.append(PredictionNote(kind: .assumption, text:
                    "\(param)=\(value) (\(semantics)): " + lines.joined(separator: "; ")))
            } else {
                notes.append(PredictionNote(kind: .assumption, text:
                    "\(param)=\(value) names no function with an ACS capability here: it changes nothing"))
            }
        }
        for o in cl.unknownPCIOptions(kernel) {
            notes.append(PredictionNote(kind: .assumption, text:
                "pci=\(o): kernel \(kernel) does not know it (\"PCI: Unknown option\"; \(KernelDifference.pciConfigACSParameter.source)), ignored"))
        }
        if cl.noATS {
            notes.append(PredictionNote(kind: .assumption, text: kernel.has(.noATSTranslationBlocking)
                ? "pci=noats: ATS off, and kernel \(kernel) also enables ACS TB where ports have it (groups unchanged)"
                : "pci=noats: ATS off; kernel \(kernel) does not enable ACS TB for it (groups unchanged)"))
        }
        if let o = cl.acsOverride {
            if system.acsOverridePatch, o.isActive {
                let what = (o.downstream ? ["downstream (every root and downstream port without ACS)"] : [])
                    + (o.multifunction ? ["multifunction (every multifunction endpoint without ACS)"] : [])
                    + o.ids.map { "id:\($0)" }
                notes.append(PredictionNote(kind: .warning, text:
                    "pcie_acs_override (out-of-tree patch, not in Linux): declares " + what.joined(separator: ", ")
                    + " isolated. Nobody confirmed that isolation: devices in these groups may still reach each other by "
                    + "peer-to-peer DMA the IOMMU never sees. Predicted as the patch behaves (its row last in the quirk "
                    + "table); a kernel without the patch (Debian, Fedora, Ubuntu) ignores the parameter"))
            } else if !system.acsOverridePatch {
                notes.append(PredictionNote(kind: .assumption, text:
                    "pcie_acs_override: this kernel does not carry the out-of-tree patch and passes it to init: no effect"))
            }
            if !o.rejected.isEmpty {
                notes.append(PredictionNote(kind: .assumption, text:
                    "pcie_acs_override entries the patch ignores: " + o.rejected.joined(separator: ", ")))
            }
        }
        let ignored = cl.ignored
        if !ignored.isEmpty {
            notes.append(PredictionNote(kind: .assumption, text:
                "ignored (no effect on ACS or IOMMU groups in this model): " + ignored.joined(separator: " ")))
        }
        return notes
    }

    /// What the prediction takes of SR-IOV: each PF's VFs (from its SR-IOV capability, with the IDs
    /// `pci_iov_add_virtfn()` gives them) and the what-if's.
    static func sriovNotes(_ v: VirtualFunctions, system: LinuxSystem) -> [PredictionNote] {
        var notes: [PredictionNote] = []
        let byPF = Dictionary(grouping: v.vfs, by: \.pf)
        for (pf, e) in v.pfs.sorted(by: { $0.key < $1.key }) {
            let mine = byPF[pf] ?? []
            guard let first = mine.first, let last = mine.last else { continue }
            let range = mine.count == 1 ? first.address.shortDescription : "\(first.address.shortDescription)-\(last.address.shortDescription)"
            let c = e.capability
            let regs = "First VF Offset \(c.firstVFOffset), VF Stride \(c.vfStride), VF Device ID \(hex(c.vfDevice, width: 4))"
                + (c.ariCapableHierarchy ? ", ARI Capable Hierarchy" : "")
            if let asked = system.sriovNumVFs[pf] {
                notes.append(PredictionNote(kind: .assumption, text:
                    "--sriov \(pf.shortDescription)=\(asked): VF\(asked == 1 ? "" : "s") \(range) placed by the PF's SR-IOV capability "
                    + "(\(regs) as the input shows them; a device may change offset and stride with NumVFs, PCIe §9.3.3.9-10); "
                    + "VFs the input does not show take the config space of one it shows, else the PF's class and port type"))
            } else {
                notes.append(PredictionNote(kind: .assumption, text:
                    "\(range): SR-IOV VF\(mine.count == 1 ? "" : "s") of \(pf.shortDescription) (VF Enable, NumVFs \(c.numVFs), \(regs)): "
                    + "IDs as pci_iov_add_virtfn gives them (the PF's vendor, the VF Device ID), single-function, "
                    + "never a multifunction sibling"))
            }
        }
        for r in v.refused {
            notes.append(PredictionNote(kind: .input, text: "--sriov ignored: \(r)"))
        }
        return notes
    }

    /// An Intel or AMD host bridge (class 0x0600) on the first root bus.
    static func looksX86(tree: BusTopology, devices: [PCIDev]) -> Bool {
        guard let first = tree.rootBuses.first else { return false }
        return (tree.busMembers[first] ?? []).contains { i in
            let d = devices[i]
            return (d.vendor == 0x8086 || d.vendor == 0x1022) && d.classID == 0x0600
        }
    }

    static func verdictUsesPCHQuirk(_ v: ACSVerdict) -> Bool {
        if case let .quirk(dec) = v.reason { return dec.entry.appliesTo.requires.contains(.intelPCHRCBAWorkaround) }
        return false
    }
}
