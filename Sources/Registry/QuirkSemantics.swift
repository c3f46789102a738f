import PCIConfig

// How a registry entry answers Linux's `pci_dev_specific_acs_enabled()` question, and the walk
// over `pci_dev_acs_enabled[]` (drivers/pci/quirks.c). Pure functions: every module (group
// predictor, checker, generator) must agree on these answers, so they live here once.

/// What a quirk function answers for one device (drivers/pci/quirks.c, calling convention of
/// `pci_dev_acs_enabled[]` functions).
public enum ACSQuirkAnswer: String, Hashable, Sendable {
    /// Negative return (-ENOTTY/-ENODEV): "not mine", the table walk goes on.
    case pass
    /// Positive return: the device provides the requested controls (isolated).
    case isolated
    /// Zero: the device does NOT provide the requested controls. Final.
    case notIsolated = "not-isolated"
}

/// The ACS registers of one function as one register layout reads them, with Control as it is
/// after the kernel's enable op (`pci_std_enable_acs` or a device-specific one) when an IOMMU is on.
public struct ACSRegisterValues: Hashable, Sendable {
    public var capability: ACSFlags
    public var control: ACSFlags
    public init(capability: ACSFlags, control: ACSFlags) {
        self.capability = capability
        self.control = control
    }
}

/// The facts about one function a quirk function may look at. Built by the caller from config
/// space (after Linux's `set_pcie_port_type()` corrections and the `multifunction` rule).
public struct QuirkDeviceFacts: Hashable, Sendable {
    public var vendor: UInt16
    public var device: UInt16
    /// PCIe Device/Port type as Linux sees it (`nil`: no PCI Express capability).
    public var portType: PCIExpressPortType?
    /// Linux's `pdev->multifunction` (header bit 7 of function 0; every function at fn > 0 is 1).
    public var multifunction: Bool
    /// Class code base << 8 | sub class.
    public var classID: UInt16?
    /// Whether the device sits on a root bus (`pci_is_root_bus(dev->bus)`).
    public var onRootBus: Bool
    /// The ACS registers per layout; empty when the function has no ACS extended capability.
    public var acsRegisters: [ACSRegisterLayout: ACSRegisterValues]

    public init(vendor: UInt16, device: UInt16, portType: PCIExpressPortType?, multifunction: Bool,
                classID: UInt16?, onRootBus: Bool, acsRegisters: [ACSRegisterLayout: ACSRegisterValues] = [:]) {
        self.vendor = vendor
        self.device = device
        self.portType = portType
        self.multifunction = multifunction
        self.classID = classID
        self.onRootBus = onRootBus
        self.acsRegisters = acsRegisters
    }

    /// Whether the function has an ACS extended capability.
    public var hasACSCapability: Bool { !acsRegisters.isEmpty }
}

/// Platform facts config space cannot show, which some quirk functions depend on.
public struct PlatformAssumptions: Hashable, Sendable {
    /// The ACPI IVRS table exists (an AMD IOMMU): `pci_quirk_amd_sb_acs` answers only then.
    public var amdIVRS: Bool
    /// The Intel PCH RCBA-based workaround (`pci_quirk_enable_intel_pch_acs`) succeeded, so
    /// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` is set on the listed root ports.
    public var intelPCHWorkaroundSucceeds: Bool

    public init(amdIVRS: Bool = false, intelPCHWorkaroundSucceeds: Bool = true) {
        self.amdIVRS = amdIVRS
        self.intelPCHWorkaroundSucceeds = intelPCHWorkaroundSucceeds
    }
}

extension QuirkEntry {
    /// What this entry's quirk function answers for `facts` when asked for `requested`
    /// (Linux asks for SV|RR|CR|UF when grouping). The steps mirror the kernel functions
    /// (drivers/pci/quirks.c) as described by the shared quirk semantics:
    /// 1. port type, 2. multifunction, 3. class, 4. requirements (root bus, AMD IVRS, ACS
    /// capability) not met → `.pass`; 5. ID not listed → `kernel.unlisted`; 6. Intel PCH workaround
    /// assumed to fail → `.notIsolated`; 7. `acs-erratum`: the real registers read with
    /// `appliesTo.registerLayout` decide (`need = requested ∩ (cap|EC)`, isolated iff control ⊇ need);
    /// 8. otherwise isolated iff `requested ⊆ isolation.acsEquivalent` (`pci_acs_ctrl_enabled`).
    public func answer(for facts: QuirkDeviceFacts, requested: ACSFlags,
                       platform: PlatformAssumptions) -> ACSQuirkAnswer {
        guard facts.vendor == vendor else { return .pass }
        if !appliesTo.portType.matches(facts.portType) { return .pass }
        if let mf = appliesTo.multifunction, mf != facts.multifunction { return .pass }
        if let cls = appliesTo.classID, cls != facts.classID { return .pass }
        for r in appliesTo.requires {
            switch r {
            case .rootBus where !facts.onRootBus: return .pass
            case .amdIVRS where !platform.amdIVRS: return .pass
            case .acsCapability where !facts.hasACSCapability: return .pass
            default: break
            }
        }
        guard covers(device: facts.device) else {
            return kernel.unlisted == .pass ? .pass : .notIsolated
        }
        if appliesTo.requires.contains(.intelPCHRCBAWorkaround) && !platform.intelPCHWorkaroundSucceeds {
            return .notIsolated
        }
        if isolation.kind == .acsErratum {
            guard let regs = facts.acsRegisters[appliesTo.registerLayout] else { return .notIsolated }
            let need = requested.intersection(regs.capability.union(.ec))
            return regs.control.isSuperset(of: need) ? .isolated : .notIsolated
        }
        return isolation.acsEquivalent.isSuperset(of: requested) ? .isolated : .notIsolated
    }
}

/// Linux's `pci_dev_acs_enabled[]` walk over registry entries.
///
/// Order: entries that are not upstream (what-if quirks, `submitted`/`new` registry entries) come
/// first, in the order given, each matching the IDs it lists (a generated patch places their rows
/// where nothing shadows them); then the rows of all `upstream` entries sorted by `row`. A row
/// matches when the vendor is equal and the row's device is `nil` (PCI_ANY_ID) or equal. The first
/// matching row whose entry answers `.isolated` or `.notIsolated` decides
/// (`pci_dev_specific_acs_enabled`).
public struct QuirkTable: Hashable, Sendable {
    /// One consulted row.
    public struct Row: Hashable, Sendable {
        /// The kernel table position (upstream rows), or `nil` for entries consulted first.
        public var row: Int?
        public var vendor: UInt16
        /// `nil`: PCI_ANY_ID (upstream rows) or "every listed ID" (entries consulted first).
        public var device: UInt16?
        /// Index into `entries`.
        public var entryIndex: Int
    }

    /// The decision for one device.
    public struct Decision: Hashable, Sendable {
        public var answer: ACSQuirkAnswer
        /// The entry whose function answered.
        public var entry: QuirkEntry
        /// The row that matched (its `row` is `nil` for an entry consulted first).
        public var row: Row
    }

    public let entries: [QuirkEntry]
    /// Rows in the order the walk consults them.
    public let rows: [Row]
    private let rowsByVendor: [UInt16: [Int]]

    /// Builds the table from registry entries (see the type's documentation for the order).
    public init(entries: [QuirkEntry]) {
        self.entries = entries
        var first: [Row] = []
        var upstream: [Row] = []
        for (i, e) in entries.enumerated() {
            if e.kernel.status == .upstream {
                for r in e.kernel.table {
                    upstream.append(Row(row: r.row, vendor: e.vendor, device: r.device, entryIndex: i))
                }
            } else {
                first.append(Row(row: nil, vendor: e.vendor, device: nil, entryIndex: i))
            }
        }
        // Stable sort by row number (ties keep entry order).
        let sorted = upstream.enumerated().sorted { a, b in
            (a.element.row ?? 0, a.offset) < (b.element.row ?? 0, b.offset)
        }.map(\.element)
        rows = first + sorted
        var byVendor: [UInt16: [Int]] = [:]
        for (i, r) in rows.enumerated() { byVendor[r.vendor, default: []].append(i) }
        rowsByVendor = byVendor
    }

    /// A table with `extra` entries consulted before everything in `self`.
    public func consultingFirst(_ extra: [QuirkEntry]) -> QuirkTable {
        let forced = extra.map { e -> QuirkEntry in
            var e = e
            if e.kernel.status == .upstream { e.kernel.status = .new }
            return e
        }
        return QuirkTable(entries: forced + entries)
    }

    /// `pci_dev_specific_acs_enabled(dev, requested)`: the first decisive answer, or `nil` when no
    /// row answers (the caller then uses the standard ACS logic).
    public func decide(_ facts: QuirkDeviceFacts, requested: ACSFlags,
                       platform: PlatformAssumptions) -> Decision? {
        guard let candidates = rowsByVendor[facts.vendor] else { return nil }
        for i in candidates {
            let r = rows[i]
            let e = entries[r.entryIndex]
            if r.row == nil {
                // Entries consulted first match the IDs they list.
                guard e.covers(device: facts.device) else { continue }
            } else if let d = r.device, d != facts.device {
                continue
            }
            let a = e.answer(for: facts, requested: requested, platform: platform)
            if a != .pass { return Decision(answer: a, entry: e, row: r) }
        }
        return nil
    }
}
