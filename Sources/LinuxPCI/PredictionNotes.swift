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

        notes.append(PredictionNote(kind: .assumption, text:
            "kernel \(system.kernel) rules (pci_device_group, quirk table, DMA-alias quirks); an IOMMU is active"))
        if let note = system.kernelNote { notes.append(PredictionNote(kind: .assumption, text: note)) }
        if system.assumeIOMMU {
            notes.append(PredictionNote(kind: .assumption, text:
                "--assume-iommu: ACS Control taken as firmware left it plus what Linux enables "
                + "(capability ∩ SV|RR|CR|UF, pci_std_enable_acs; Intel SPT dword op)"))
        } else {
            notes.append(PredictionNote(kind: .assumption, text:
                "ACS Control as found in the input (a dump taken under Linux with the IOMMU on shows the kernel's settings)"))
            // A dump without an IOMMU: capabilities advertise SV/RR/CR/UF but nothing is enabled anywhere.
            // Intel SPT erratum ports keep Control in a dword at +8: their standard-layout
            // "control" is the upper half of the capability dword, not a setting.
            let withCap = devices.filter { $0.acsStatus.capability?.layout != .intelSPTDword }
                .compactMap { d -> ACSRegisters? in d.acsStandard }
                .filter { !$0.capability.intersection(.linuxRequired).isEmpty }
            if !withCap.isEmpty, withCap.allSatisfy({ $0.control.intersection(.linuxRequired).isEmpty }) {
                notes.append(PredictionNote(kind: .hint, text:
                    "every ACS Control register here is off although \(withCap.count) function(s) advertise SV/RR/CR/UF: "
                    + "the dump was probably taken without an IOMMU; add --assume-iommu to predict what Linux with an IOMMU does"))
            }
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
        } else {
            notes.append(PredictionNote(kind: .assumption, text: "group numbers only label the partition"))
        }
        return (notes, kernelNumbers)
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
