import PCIConfig

/// Rebuilding config space from what `TextParser` collected, and the assumptions that takes.
extension TextParser {
    /// Ends the last device, then rebuilds every function. `ids` is called at most once.
    mutating func finish(ids idsLoader: () -> PCIIDsIndex?) -> ParsedDump {
        close()
        var assumptions: [InputAssumption] = []
        var loadedIDs: PCIIDsIndex??
        func ids() -> PCIIDsIndex? {
            if let l = loadedIDs { return l }
            let l = idsLoader()
            loadedIDs = .some(l)
            return l
        }
        if functions.isEmpty {
            if !diagnostics.contains(where: { $0.severity == .error }) {
                fail(max(lastLine, 1), "no lspci device lines ('00:1f.0 Class: Vendor Device'): not lspci output")
            }
            return report(assumptions)
        }
        if !sawDecode {
            fail(functions[0].line, "plain `lspci` output: without -vv it has no bus numbers, capabilities or ACS registers; "
                + "take it with `sudo lspci -vvv -nn` (or `sudo lspci -xxxx`)")
            return report(assumptions)
        }

        // IDs and class: from -nn, from hex, or from the names through pci.ids.
        var byName: [PCIAddress] = []
        var ambiguous: [(PCIAddress, String)] = []
        for i in functions.indices {
            var f = functions[i]
            if f.hexLength >= 4 {
                let id = PCIDeviceID(vendor: UInt16(f.hex[0] ?? 0xff) | UInt16(f.hex[1] ?? 0xff) << 8,
                                     device: UInt16(f.hex[2] ?? 0xff) | UInt16(f.hex[3] ?? 0xff) << 8)
                if let t = f.id, t != id {
                    warn(f.line, "\(f.address): the device line says [\(t)] but its hex bytes say \(id): the bytes are used")
                }
                f.id = id
            }
            if f.id == nil {
                guard let index = ids() else {
                    fail(f.line, "\(f.address): '\(f.vendorDevice)' has no [vendor:device] IDs and the PCI ID database "
                        + "(\(PCIIDsIndex.defaultPath)) cannot be read to look the name up; take the text with `lspci -nn`")
                    continue
                }
                let r = index.resolve(f.vendorDevice, truncated: f.truncatedName)
                guard let first = r.candidates.first else {
                    fail(f.line, "\(f.address): cannot tell the IDs of '\(f.vendorDevice)': no such name in pci.ids"
                        + (index.version.map { " \($0)" } ?? "") + "; take the text with `lspci -nn`")
                    continue
                }
                f.id = first
                if !r.numeric { byName.append(f.address) }
                if r.candidates.count > 1 {
                    ambiguous.append((f.address, "\(f.address.shortDescription) '\(f.vendorDevice)' is "
                        + r.candidates.map(\.description).joined(separator: " or ") + " in pci.ids; \(first) taken"))
                }
            }
            if f.classID == nil, f.hexLength < PCI_CLASS_DEVICE + 2, f.className != "", let index = ids() {
                let classes = index.classIDs(named: f.className)
                f.classID = classes.first
                if classes.count > 1 {
                    ambiguous.append((f.address, "\(f.address.shortDescription) class '\(f.className)' is "
                        + classes.map { hex($0, width: 4) }.joined(separator: " or ") + " in pci.ids; \(hex(classes[0], width: 4)) taken"))
                }
            }
            functions[i] = f
        }
        if !byName.isEmpty {
            assumptions.append(InputAssumption(.idsFromNames, byName, "IDs of \(byName.count) function\(byName.count == 1 ? "" : "s") (\(Self.list(byName.map(\.shortDescription)))) taken from their names "
                + "through pci.ids\(ids()?.version.map { " \($0)" } ?? "") (the text has no [vendor:device]; lspci -nn adds them)"))
        }
        for (a, t) in ambiguous { assumptions.append(InputAssumption(.ambiguousName, [a], "ambiguous name: \(t)")) }

        // What is missing or cut.
        let extReadable = functions.contains { !$0.extended.isEmpty || $0.hexLength > ConfigSpace.extendedStart }
        var denied: [PCIAddress] = []
        var undecodedACS: [PCIAddress] = []
        var unseenExt: [PCIAddress] = []
        var noExtCaps: [PCIAddress] = []
        var cut = Set<PCIAddress>()
        for f in functions {
            let bdf = f.address
            let isBridgeClass = f.classID == 0x0604 || f.classID == 0x0609 || f.classID == 0x0607
            if f.bus == nil, isBridgeClass, f.unknownHeaderType == nil, f.hexLength <= PCI_SUBORDINATE_BUS {
                fail(f.line, "\(f.address) is a bridge (class \(hex(f.classID!, width: 4))) without a 'Bus: primary=..' line: "
                    + "the text is cut or edited, and the devices below it cannot be placed")
            }
            if f.accessDenied, f.hexLength < PCI_CFG_SPACE_SIZE {
                denied.append(bdf)
                continue
            }
            if readsAllOnes(f) { continue }
            if verbose >= 2, f.statusCapList == nil, f.hexLength < PCI_STD_HEADER_SIZEOF {
                warn(f.line, "\(f.address) has no 'Status:' line (the text is cut?): its capabilities, port type and ACS are unknown")
                cut.insert(f.address)
                continue
            }
            // 'Status: Cap+' with no capability line is a capability pointer of 0 (lspci prints
            // nothing then), except at the very end of the text, where it is more likely cut off.
            if f.statusCapList == true, f.standard.isEmpty, !f.chainBroken, f.hexLength < PCI_STD_HEADER_SIZEOF, f.address == functions.last?.address {
                warn(f.line, "\(f.address): 'Status: Cap+' but the text ends before its capabilities (cut?): "
                    + "its port type and ACS are unknown")
                cut.insert(f.address)
                continue
            }
            if let acs = f.acs, acs.capability == nil || acs.control == nil {
                if verbose >= 2 {
                    warn(acs.line, "\(f.address): Access Control Services without its ACSCap/ACSCtl lines (the text is cut?): ACS unknown")
                } else {
                    undecodedACS.append(bdf)
                }
            }
            if f.express != nil {
                if !extReadable { unseenExt.append(bdf) } else if f.extended.isEmpty, f.hexLength <= ConfigSpace.extendedStart { noExtCaps.append(bdf) }
            }
        }
        if !denied.isEmpty {
            assumptions.append(InputAssumption(.accessDenied, denied, "lspci ran without root: 'Capabilities: <access denied>' for \(denied.count) function\(denied.count == 1 ? "" : "s") "
                + "(\(Self.list(denied))): their port types and ACS are unknown and treated as absent; take the text with `sudo lspci -vvv`"))
        }
        if !undecodedACS.isEmpty {
            assumptions.append(InputAssumption(.acsNotDecoded, undecodedACS, "ACS registers not decoded (lspci -v names the capability, -vv decodes it) for "
                + Self.list(undecodedACS) + ": ACS unknown, treated as absent; take the text with `lspci -vvv`"))
        }
        if !unseenExt.isEmpty {
            assumptions.append(InputAssumption(.extendedSpaceUnseen, unseenExt, "no function shows an extended capability, so lspci could not read extended config space "
                + "(not run as root, no ECAM/MMCONFIG, or a 256-byte dump): ACS unknown for the \(unseenExt.count) PCI Express "
                + "function\(unseenExt.count == 1 ? "" : "s"), treated as absent"))
        }
        if !noExtCaps.isEmpty {
            assumptions.append(InputAssumption(.noExtendedCapabilities, noExtCaps, "\(noExtCaps.count) PCI Express function\(noExtCaps.count == 1 ? " shows" : "s show") no extended capability "
                + "(\(Self.list(noExtCaps))); others do, so extended config space was readable and they are taken to have none (no ACS)"))
        }

        // SR-IOV VFs: lspci shows them with the IDs sysfs has (the PF's VF Device ID), but their
        // Vendor and Device ID registers read FFFFh (PCIe SR-IOV 3.4.1.1-2), as in a dump of the
        // same machine, and Linux never makes them multifunction siblings (`pci_iov_add_virtfn`).
        let present = Set(functions.map(\.address))
        var vfs = Set<PCIAddress>()
        for f in functions {
            guard let v = f.sriov else { continue }
            let mine = (v.capability?.virtualFunctions(of: f.address) ?? []).filter { present.contains($0) }
            guard !mine.isEmpty else { continue }
            vfs.formUnion(mine)
            assumptions.append(InputAssumption(.virtualFunctions, mine, "\(Self.list(mine)) \(mine.count == 1 ? "is an SR-IOV VF" : "are SR-IOV VFs") of \(f.address.shortDescription) "
                + "(its SR-IOV capability: VF Enable, NumVFs \(v.numVFs ?? 0), First VF Offset \(v.firstVFOffset ?? 0), VF Stride \(v.vfStride ?? 0)): "
                + "rebuilt with Vendor and Device ID reading FFFFh as VFs do (lspci showed the IDs sysfs has), not multifunction"))
        }

        // Multifunction: header type bit 7 is not in the text; other functions of a slot show it.
        var slotSize: [SlotKey: Int] = [:]
        for f in functions where !vfs.contains(f.address) { slotSize[SlotKey(f.address), default: 0] += 1 }
        var mfSet = 0
        var aloneWhereItMatters: [PCIAddress] = []
        for f in functions where f.hexLength <= PCI_HEADER_TYPE && f.unknownHeaderType == nil && !vfs.contains(f.address) {
            let several = (slotSize[SlotKey(f.address)] ?? 1) > 1
            if several { if f.address.function == 0 { mfSet += 1 } } else if f.address.function == 0,
                f.express?.type.pciACSEnabledReadsMultifunction == true {
                aloneWhereItMatters.append(f.address)
            }
        }
        if mfSet > 0 || !aloneWhereItMatters.isEmpty {
            var s = "the multifunction bit (header type bit 7) is not in lspci text: taken as set for the \(mfSet) slot\(mfSet == 1 ? "" : "s") "
                + "whose other functions the text shows"
            if !aloneWhereItMatters.isEmpty {
                s += ", and as clear for \(aloneWhereItMatters.count) PCI Express function\(aloneWhereItMatters.count == 1 ? "" : "s") "
                    + "shown alone in their slot (\(Self.list(aloneWhereItMatters))); a hidden function there would change `check`'s "
                    + "multifunction condition (and, for a switch upstream port, the groups below it)"
            }
            assumptions.append(InputAssumption(.multifunction, aloneWhereItMatters, s))
        }

        // Intel Sunrise Point erratum: lspci prints the high half of the capability dword as ACSCtl.
        let iommuOn = functions.contains { $0.iommuGroup != nil }
        var spt: [PCIAddress] = []
        for f in functions where isSPT(f) && f.acs?.capability != nil && f.hexLength < f.acs!.offset + INTEL_SPT_ACS_CTRL + 4 {
            spt.append(f.address)
        }
        if !spt.isEmpty {
            let assumed = iommuOn
                ? "taken as Linux sets it with an IOMMU on (the text has IOMMU groups): SV|RR|CR|UF that ACSCap advertises (pci_quirk_enable_intel_spt_pch_acs)"
                : "taken as 0, as firmware leaves it without an IOMMU (--assume-iommu applies what Linux enables)"
            assumptions.append(InputAssumption(.intelSPTControl, spt, "Intel PCH root port\(spt.count == 1 ? "" : "s") \(Self.list(spt)) keep ACS Capability and Control as dwords at +4 and +8 "
                + "(Sunrise Point erratum, pci_quirk_intel_spt_pch_acs); lspci reads the standard layout, so the ACSCtl it prints is the "
                + "upper half of the capability dword and the real control register is not in the text: control \(assumed)"))
        }

        // The Intel PCH root-port workaround reads RCBA (LPC bridge register 0xF0), which lspci does not decode.
        let lpc = functions.filter { l in
            isIntelLPCAt1f(l) && l.hexLength < INTEL_LPC_RCBA_REG + 4 && functions.contains {
                $0.id?.vendor == intelVendorID && $0.express?.type == .rootPort
                    && $0.address.domain == l.address.domain && $0.address.bus == l.address.bus
            }
        }
        if !lpc.isEmpty {
            assumptions.append(InputAssumption(.rcba, lpc.map(\.address), "the LPC bridge's RCBA register (0xF0 of \(Self.list(lpc.map(\.address)))), which the Intel PCH "
                + "root-port ACS workaround reads, is not in lspci text: the workaround is assumed to succeed"))
        }
        let withHex = functions.filter { !$0.hex.isEmpty }
        if !withHex.isEmpty {
            assumptions.append(InputAssumption(.hexBytes, withHex.map(\.address), "hex bytes in the text used as they are for \(withHex.count) function\(withHex.count == 1 ? "" : "s")"))
        }

        if diagnostics.contains(where: { $0.severity == .error }) { return report(assumptions) }
        var built: [PCIFunction] = []
        built.reserveCapacity(functions.count)
        for f in functions {
            let vf = vfs.contains(f.address)
            let mf = !vf && (slotSize[SlotKey(f.address)] ?? 1) > 1
            built.append(PCIFunction(address: f.address, config: rebuild(f, multifunction: mf, extReadable: extReadable,
                                                                         capsKnown: !cut.contains(f.address), iommuOn: iommuOn,
                                                                         virtualFunction: vf)))
        }
        assumptions.insert(InputAssumption(.rebuiltFromText, [], "lspci text: config space rebuilt from lspci's decode (IDs, class, header layout, bridge bus numbers, "
            + "PCI Express port type, ACS capability and control, capability offsets); registers lspci does not decode are not known"), at: 0)
        return report(assumptions, built: built)
    }

    /// What every `DumpFormat` returns: the rebuilt functions sorted (none when an error refuses
    /// the text), one device per function at its device line, the assumptions, and the kernel's
    /// groups and drivers when the text shows them (`IOMMU group:`, `Kernel driver in use:`).
    func report(_ assumptions: [InputAssumption], built: [PCIFunction] = []) -> ParsedDump {
        var groups: [PCIAddress: Int] = [:]
        var drivers: [PCIAddress: String] = [:]
        for f in functions {
            if let g = f.iommuGroup { groups[f.address] = g }
            if let d = f.driver { drivers[f.address] = d }
        }
        var recorded: RecordedSystem?
        if !groups.isEmpty || !drivers.isEmpty {
            recorded = RecordedSystem(origin: "lspci text", iommuActive: !groups.isEmpty, iommuGroups: groups, drivers: drivers)
        }
        let readable = Dictionary(uniqueKeysWithValues: built.map { ($0.address, $0.config.readable) })
        let devices = built.isEmpty ? [] : functions.map {
            ParsedDump.Device(line: $0.line, text: $0.address.description, address: $0.address, length: readable[$0.address] ?? 0)
        }
        return ParsedDump(file: file, format: LspciText.name, diagnostics: diagnostics, devices: devices,
                          functions: built.sorted { $0.address < $1.address }, assumptions: assumptions, recorded: recorded)
    }

    /// A function whose config space reads all ones (a powered-down GPU audio function, say):
    /// lspci still prints the IDs it got from sysfs, then `!!! Unknown header type 7f` with
    /// revision ff. The kernel does not enumerate it; neither do we.
    func readsAllOnes(_ f: TextFunction) -> Bool {
        if f.hexLength >= 2 { return f.hex[0] == 0xff && f.hex[1] == 0xff }
        return f.id?.vendor == 0xffff || (f.unknownHeaderType == 0x7f && f.revision == 0xff)
    }

    /// Up to four addresses (`bb:dd.f`), then how many more.
    static func list(_ addresses: [PCIAddress]) -> String {
        list(addresses.map { $0.domain == 0 ? $0.shortDescription : $0.description })
    }

    /// Up to four items, then how many more.
    static func list(_ items: [String]) -> String {
        items.count <= 4 ? items.joined(separator: ", ") : items.prefix(4).joined(separator: ", ") + " and \(items.count - 4) more"
    }

    struct SlotKey: Hashable {
        var domain: UInt32, bus: UInt8, device: UInt8
        init(_ a: PCIAddress) { domain = a.domain; bus = a.bus; device = a.device }
    }

    /// An Intel root port with the dword ACS registers (`intelSPTDwordACSDeviceIDs`, as
    /// `ConfigSpace.hasIntelSPTACSErratum` decides from bytes).
    func isSPT(_ f: TextFunction) -> Bool {
        guard let id = f.id, id.vendor == intelVendorID, f.express?.type == .rootPort else { return false }
        return intelSPTDwordACSDeviceIDs.contains { $0.contains(id.device) }
    }

    /// The function the Intel PCH workaround reads RCBA from: Intel, device 0x1f function 0, no
    /// PCI Express capability (the LPC/eSPI bridge).
    func isIntelLPCAt1f(_ f: TextFunction) -> Bool {
        f.id?.vendor == intelVendorID && f.address.device == 0x1f && f.address.function == 0 && f.express == nil
    }

    /// The config space `f` stands for: the header (IDs, command, status capability bit, class,
    /// revision, header type with the multifunction bit, bus numbers, subsystem), the standard
    /// capability chain in the text's order (the PCI Express capability with its flags and Device
    /// Control 2 ARI Forwarding Enable), the extended chain from 0x100 (ACS with its registers,
    /// the Intel SPT dword layout for the erratum ports), then the text's hex bytes over it.
    ///
    /// `readable`: 64 when the capabilities could not be read (non-root, cut text); for PCI
    /// Express functions 4096 when extended config space was readable, else 256 (ACS unknown);
    /// the offset of an ACS capability whose registers are not decoded (ACS unknown); 0xf0 for the
    /// Intel LPC bridge (its RCBA register is not in the text); 256 otherwise; at least the hex length.
    func rebuild(_ f: TextFunction, multifunction: Bool, extReadable: Bool, capsKnown: Bool, iommuOn: Bool,
                 virtualFunction: Bool = false) -> ConfigSpace {
        let id = virtualFunction ? PCIDeviceID(vendor: 0xffff, device: 0xffff) : f.id ?? PCIDeviceID(vendor: 0xffff, device: 0xffff)
        if readsAllOnes(f) {
            return ConfigSpace(bytes: [], readable: max(PCI_STD_HEADER_SIZEOF, f.hexLength))
        }
        var c = ConfigSpace(bytes: [UInt8](repeating: 0, count: ConfigSpace.size), readable: ConfigSpace.size)
        c.set16(PCI_VENDOR_ID, id.vendor)
        c.set16(PCI_DEVICE_ID, id.device)
        c.set16(PCI_COMMAND, f.command ?? 0)
        let layout: UInt8
        if let h = f.unknownHeaderType { layout = h & PCI_HEADER_TYPE_MASK } else if f.bus != nil || f.classID == 0x0604 || f.classID == 0x0609 {
            layout = f.classID == 0x0607 ? PCI_HEADER_TYPE_CARDBUS : PCI_HEADER_TYPE_BRIDGE
        } else { layout = f.classID == 0x0607 ? PCI_HEADER_TYPE_CARDBUS : PCI_HEADER_TYPE_NORMAL }
        let bridgeLayout = layout == PCI_HEADER_TYPE_BRIDGE || layout == PCI_HEADER_TYPE_CARDBUS
        let capabilityList = layout == PCI_HEADER_TYPE_CARDBUS ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST
        let hasCaps = capsKnown && !f.accessDenied && (f.statusCapList ?? !f.standard.isEmpty)
        let capsUnseen = (!capsKnown || f.accessDenied) && f.statusCapList != false
        c.set16(PCI_STATUS, hasCaps || capsUnseen ? PCI_STATUS_CAP_LIST : 0)
        c.set8(PCI_REVISION_ID, f.revision ?? 0)
        c.set8(PCI_CLASS_PROG, f.progIF ?? 0)
        c.set16(PCI_CLASS_DEVICE, f.classID ?? 0)
        c.set8(PCI_HEADER_TYPE, layout | (multifunction ? PCI_HEADER_TYPE_MFD : 0))
        if let b = f.bus, bridgeLayout {
            // The CardBus header keeps its bus numbers at the same offsets (PCI_CB_PRIMARY_BUS ..).
            c.set8(PCI_PRIMARY_BUS, b.primary)
            c.set8(PCI_SECONDARY_BUS, b.secondary)
            c.set8(PCI_SUBORDINATE_BUS, b.subordinate)
        }
        if let s = f.subsystem, layout == PCI_HEADER_TYPE_NORMAL {
            c.set16(PCI_SUBSYSTEM_VENDOR_ID, s.vendor)
            c.set16(PCI_SUBSYSTEM_ID, s.device)
        }
        var readable: Int
        if !capsKnown || f.accessDenied {
            readable = PCI_STD_HEADER_SIZEOF
        } else if f.express != nil {
            readable = extReadable ? ConfigSpace.size : PCI_CFG_SPACE_SIZE
        } else if isIntelLPCAt1f(f) {
            readable = INTEL_LPC_RCBA_REG
        } else {
            readable = PCI_CFG_SPACE_SIZE
        }

        // Capabilities the text does not show: a list pointer past the 64 readable bytes, so that
        // the walk ends "past readable" and ACS reads as unknown, as for a non-root read.
        if capsUnseen { c.set8(capabilityList, UInt8(PCI_STD_HEADER_SIZEOF)) }
        // Standard capabilities: the chain in the text's order, within what is readable.
        if hasCaps {
            let caps = uniqueOffsets(f.standard).filter { $0.offset + 2 <= min(readable, PCI_CFG_SPACE_SIZE) }
            c.set8(capabilityList, UInt8(caps.first?.offset ?? 0))
            for (k, cap) in caps.enumerated() {
                c.set8(cap.offset + PCI_CAP_LIST_ID, UInt8(truncatingIfNeeded: cap.id))
                c.set8(cap.offset + PCI_CAP_LIST_NEXT, k + 1 < caps.count ? UInt8(caps[k + 1].offset) : 0)
                if cap.id == PCI_CAP_ID_EXP, let e = f.express, e.offset == cap.offset, cap.offset + PCI_EXP_FLAGS + 2 <= PCI_CFG_SPACE_SIZE {
                    let version = UInt16(e.version ?? 2) & PCI_EXP_FLAGS_VERS
                    c.set16(cap.offset + PCI_EXP_FLAGS, version | UInt16(e.type.rawValue) << 4 | (e.slot ? PCI_EXP_FLAGS_SLOT : 0)
                        | UInt16(e.interruptMessage) << 9)
                    if e.ariForwarding, cap.offset + PCI_EXP_DEVCTL2 + 2 <= PCI_CFG_SPACE_SIZE {
                        c.set16(cap.offset + PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_ARI)
                    }
                }
            }
        }

        // Extended capabilities from 0x100.
        if f.express != nil, readable > ConfigSpace.extendedStart {
            var caps = uniqueOffsets(f.extended)
            if let first = caps.first, first.offset != ConfigSpace.extendedStart {
                // lspci starts its walk at 0x100; a list that does not is edited. Keep the walk intact.
                caps.insert(TextCapability(line: first.line, offset: ConfigSpace.extendedStart, version: 1, id: 0, name: "Null"), at: 0)
            }
            for (k, cap) in caps.enumerated() {
                let next = k + 1 < caps.count ? caps[k + 1].offset : 0
                c.set32(cap.offset, UInt32(cap.id) | UInt32((cap.version ?? 1) & 0xf) << 16 | UInt32(next) << 20)
                if cap.id == PCI_EXT_CAP_ID_SRIOV, let v = f.sriov, v.offset == cap.offset, cap.offset + PCI_SRIOV_VF_DID + 2 <= (next == 0 ? ConfigSpace.size : next) {
                    writeSRIOV(v, into: &c)
                }
                guard cap.id == PCI_EXT_CAP_ID_ACS, let acs = f.acs, acs.offset == cap.offset else { continue }
                guard let capability = acs.capability, let control = acs.control else {
                    readable = cap.offset    // registers not in the text: ACS unknown
                    break
                }
                let room = next == 0 ? ConfigSpace.size : next
                if isSPT(f), cap.offset + INTEL_SPT_ACS_CTRL + 4 <= room {
                    let assumed = iommuOn ? pciACSEnableBits(capability) : []
                    c.set32(cap.offset + INTEL_SPT_ACS_CAP, UInt32(capability.rawValue) | UInt32(control.rawValue) << 16)
                    c.set32(cap.offset + INTEL_SPT_ACS_CTRL, UInt32(assumed.rawValue))
                } else if cap.offset + PCI_ACS_CTRL + 2 <= room {
                    c.set16(cap.offset + PCI_ACS_CAP, capability.rawValue)
                    c.set16(cap.offset + PCI_ACS_CTRL, control.rawValue)
                }
            }
        }

        // The text's own bytes win.
        for (off, b) in f.hex { c.set8(off, b) }
        readable = max(readable, f.hexLength)
        // Bytes past what is readable read as ff, as libpci returns them.
        return ConfigSpace(bytes: Array(c.bytes.prefix(readable)), readable: readable)
    }

    /// The SR-IOV registers the text decodes, at their offsets in the capability (PCIe SR-IOV
    /// 3.3.3-3.3.11; the kernel's `PCI_SRIOV_CTRL` .. `PCI_SRIOV_VF_DID`).
    func writeSRIOV(_ v: TextSRIOV, into c: inout ConfigSpace) {
        let base = v.offset
        if let x = v.control { c.set16(base + PCI_SRIOV_CTRL, x) }
        if let x = v.initialVFs { c.set16(base + PCI_SRIOV_INITIAL_VF, x) }
        if let x = v.totalVFs { c.set16(base + PCI_SRIOV_TOTAL_VF, x) }
        if let x = v.numVFs { c.set16(base + PCI_SRIOV_NUM_VF, x) }
        if let x = v.functionLink { c.set8(base + PCI_SRIOV_FUNC_LINK, x) }
        if let x = v.firstVFOffset { c.set16(base + PCI_SRIOV_VF_OFFSET, x) }
        if let x = v.vfStride { c.set16(base + PCI_SRIOV_VF_STRIDE, x) }
        if let x = v.vfDevice { c.set16(base + PCI_SRIOV_VF_DID, x) }
    }

    /// Capabilities in text order without repeated offsets (a repeated offset is a loop lspci
    /// already cut with `<chain looped>`).
    func uniqueOffsets(_ caps: [TextCapability]) -> [TextCapability] {
        var seen = Set<Int>()
        return caps.filter { seen.insert($0.offset).inserted }
    }
}
