import PCIConfig
import Registry

// How a registry entry answers Linux's `pci_dev_specific_acs_enabled()` question, and the walk
// over `pci_dev_acs_enabled[]` (drivers/pci/quirks.c). Every module (group predictor, checker,
// kernel-tree analysis) asks these functions, so they live here once; the registry only
// describes the entries (Registry's schema), it does not evaluate them.

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

/// One condition of an entry's `applies-to` tested on one device, in the order the kernel
/// functions test them (port type, multifunction, class, then each `requires` item).
public struct ConditionCheck: Hashable, Sendable, Codable {
    public enum Name: String, Hashable, Sendable, Codable {
        case portType = "port-type"
        case multifunction
        case classID = "class"
        case rootBus = "root-bus"
        case acsCapability = "acs-capability"
        case amdIVRS = "amd-ivrs"
        case intelPCHWorkaround = "intel-pch-rcba-workaround"
    }

    public enum State: String, Hashable, Sendable, Codable {
        /// Config space shows the condition holds.
        case holds
        /// Config space shows it does not: the quirk passes (-ENOTTY) for this function.
        case fails
        /// Config space cannot tell (a platform fact, or ACS not readable): what was assumed is in `actual`.
        case assumed
    }

    public var name: Name
    public var state: State
    /// What the entry asks for, e.g. `root-port`, `true`, `0x0200`.
    public var expected: String
    /// What the function has, e.g. `endpoint`, `false (header type bit 7 clear)`.
    public var actual: String
    /// The registry field the condition comes from (for file:line), e.g. `applies-to.port-type`.
    public var field: String
}

extension ConditionCheck.Name {
    /// The condition a `requires` item stands for.
    public init(_ requirement: AppliesTo.Requirement) {
        switch requirement {
        case .rootBus: self = .rootBus
        case .acsCapability: self = .acsCapability
        case .amdIVRS: self = .amdIVRS
        case .intelPCHRCBAWorkaround: self = .intelPCHWorkaround
        }
    }
}

extension Array where Element == ConditionCheck {
    /// The conditions that config space shows do not hold.
    public var failing: [ConditionCheck] { filter { $0.state == .fails } }
}

/// What one quirk function answered for one device, and why.
public struct QuirkAnswer: Hashable, Sendable {
    public enum Reason: Hashable, Sendable {
        /// The device is of another vendor: no row of this entry matches it.
        case otherVendor
        /// A condition the function tests before its ID list is not met (-ENOTTY/-ENODEV).
        case conditionNotMet(ConditionCheck.Name)
        /// The device ID is not in the function's list: `kernel.unlisted` answers (a pass, or a
        /// sticky 0 that ends the walk).
        case notListed
        /// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` is not set: the Intel PCH workaround failed (0).
        case intelPCHWorkaroundFailed
        /// `acs-erratum`: the real registers read with `layout` decide (`pci_acs_flags_enabled` on
        /// them); `missing` is what Control does not enable. `nil` registers: no ACS capability.
        case acsRegisters(layout: ACSRegisterLayout, missing: ACSFlags?)
        /// `pci_acs_ctrl_enabled(acs_flags, acs-equivalent)`: `missing` are the requested controls
        /// the claim does not report.
        case acsCtrlEnabled(missing: ACSFlags)
    }

    public var answer: ACSQuirkAnswer
    public var reason: Reason
}

extension QuirkEntry {
    /// The conditions of `applies-to` in the order the kernel functions test them: port type,
    /// multifunction, class, then each `requires` item.
    var conditionNames: [ConditionCheck.Name] {
        var out: [ConditionCheck.Name] = []
        if appliesTo.portType != .any { out.append(.portType) }
        if appliesTo.multifunction != nil { out.append(.multifunction) }
        if appliesTo.classID != nil { out.append(.classID) }
        out += appliesTo.requires.map(ConditionCheck.Name.init)
        return out
    }

    /// One condition tested on `dev`: what config space shows (`state`) and whether the kernel
    /// function, with what the model knows, takes it as met (`met`; an unreadable port type or
    /// ACS capability is not met, as Linux would not see it either). The one test of each
    /// condition: the answer and the displayed conditions both use it.
    func test(_ name: ConditionCheck.Name, _ dev: PCIDev, _ system: LinuxSystem) -> (state: ConditionCheck.State, met: Bool) {
        func shown(_ met: Bool) -> (ConditionCheck.State, Bool) { (met ? .holds : .fails, met) }
        switch name {
        case .portType:
            let met = appliesTo.portType.matches(dev.type)
            return dev.portTypeKnown ? shown(met) : (.assumed, met)
        case .multifunction: return shown(appliesTo.multifunction == dev.multifunction)
        case .classID: return shown(appliesTo.classID == dev.classID)
        case .rootBus: return shown(dev.onRootBus)
        case .acsCapability:
            switch dev.acsStatus {
            case .present: return (.holds, dev.acs != nil)
            case .absent: return (.fails, false)
            case .unknown: return (.assumed, false)
            }
        case .amdIVRS: return (.assumed, system.amdIVRS)
        case .intelPCHWorkaround: return (.assumed, dev.pchWorkaround.succeeds)
        }
    }

    /// Every condition of `applies-to` tested on `dev`, in the kernel functions' order, with what
    /// the entry asks for and what the device has (for `check`).
    public func conditions(for dev: PCIDev, system: LinuxSystem) -> [ConditionCheck] {
        conditionNames.map { name in
            let (state, _) = test(name, dev, system)
            let expected: String
            let actual: String
            var field = "applies-to.requires"
            switch name {
            case .portType:
                field = "applies-to.port-type"
                expected = appliesTo.portType.rawValue
                actual = state == .assumed
                    ? "unknown: only \(dev.configReadable) bytes of config space readable (run as root)" : dev.portTypeName
            case .multifunction:
                field = "applies-to.multifunction"
                expected = String(appliesTo.multifunction!)
                actual = "\(dev.multifunction) (\(dev.multifunctionReason))"
            case .classID:
                field = "applies-to.class"
                expected = "0x" + hex(appliesTo.classID!, width: 4)
                actual = dev.classID.map { "0x" + hex($0, width: 4) } ?? "unknown"
            case .rootBus:
                expected = "on a root bus"
                actual = dev.onRootBus ? "on a root bus" : "behind a bridge"
            case .acsCapability:
                expected = "an ACS capability"
                switch dev.acsStatus {
                case .present: actual = "ACS capability present"
                case .absent: actual = "no ACS capability"
                case let .unknown(why): actual = "ACS unknown (\(why)); assumed absent as Linux would see it"
                }
            case .amdIVRS:
                expected = "an AMD IOMMU (ACPI IVRS table)"
                actual = system.amdIVRS ? "assumed present (--amd-iommu)" : "assumed absent (--amd-iommu to assume one)"
            case .intelPCHWorkaround:
                expected = "the Intel PCH RCBA workaround succeeds"
                let why: String
                switch dev.pchWorkaround {
                case let .rcbaEnabled(lpc): why = "RCBA enabled in the LPC bridge \(lpc.shortDescription)"
                case let .rcbaDisabled(lpc):
                    why = "RCBA disabled in the LPC bridge \(lpc.shortDescription): the kernel logs \"Failed to enable Intel PCH ACS quirk\""
                case .assumedToSucceed: why = "no readable LPC bridge at 1f.0: assumed to succeed"
                case .forcedFailure: why = "--assume-pch-workaround-fails"
                case let .enableNotCalled(d):
                    why = "kernel \(system.kernel) does not call it for a port without an ACS capability (\(d.releases): \(d.function))"
                }
                actual = (dev.pchWorkaround.succeeds ? "succeeds: " : "fails: ") + why
            }
            return ConditionCheck(name: name, state: state, expected: expected, actual: actual, field: field)
        }
    }

    /// What this entry's quirk function answers for `dev` when asked for `flags` (Linux asks for
    /// `REQ_ACS_FLAGS` when grouping), and why. The steps mirror the kernel functions
    /// (drivers/pci/quirks.c): 1. the `applies-to` conditions in order (`test`), the first one
    /// not met → `.pass`; 2. ID not listed → `kernel.unlisted`; 3. Intel PCH workaround failed
    /// (`PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` not set) → `.notIsolated`; 4. `acs-erratum`: the real
    /// registers read with `appliesTo.registerLayout` decide (`pci_acs_flags_enabled`);
    /// 5. otherwise isolated iff `flags ⊆ isolation.acsEquivalent` (`pci_acs_ctrl_enabled`).
    public func pciQuirkACSEnabled(_ dev: PCIDev, _ flags: ACSFlags, _ system: LinuxSystem) -> QuirkAnswer {
        guard dev.vendor == vendor else { return QuirkAnswer(answer: .pass, reason: .otherVendor) }
        // The conditions in `conditionNames` order, without building the list (this runs for every
        // row the walk consults, for every device).
        func notMet(_ name: ConditionCheck.Name) -> QuirkAnswer? {
            test(name, dev, system).met ? nil : QuirkAnswer(answer: .pass, reason: .conditionNotMet(name))
        }
        if appliesTo.portType != .any, let a = notMet(.portType) { return a }
        if appliesTo.multifunction != nil, let a = notMet(.multifunction) { return a }
        if appliesTo.classID != nil, let a = notMet(.classID) { return a }
        // The Intel PCH workaround decides after the ID list (step 3).
        for r in appliesTo.requires where r != .intelPCHRCBAWorkaround {
            if let a = notMet(ConditionCheck.Name(r)) { return a }
        }
        // An upstream function lists the ID only from the release that added it (`KernelDifference.quirkIDs`).
        guard covers(device: dev.device), kernel.status != .upstream
                || system.kernel.quirkFunctionLists(vendor: vendor, device: dev.device, function: kernel.function ?? "") else {
            return QuirkAnswer(answer: kernel.unlisted == .pass ? .pass : .notIsolated, reason: .notListed)
        }
        if appliesTo.requires.contains(.intelPCHRCBAWorkaround) && !dev.pchWorkaround.succeeds {
            return QuirkAnswer(answer: .notIsolated, reason: .intelPCHWorkaroundFailed)
        }
        if isolation.kind == .acsErratum {
            let layout = appliesTo.registerLayout
            guard let regs = dev.acs?.registers(layout) else {
                return QuirkAnswer(answer: .notIsolated, reason: .acsRegisters(layout: layout, missing: nil))
            }
            let missing = pciACSFlagsMissing(regs, flags)
            return QuirkAnswer(answer: missing.isEmpty ? .isolated : .notIsolated,
                               reason: .acsRegisters(layout: layout, missing: missing))
        }
        let missing = flags.subtracting(isolation.acsEquivalent)
        return QuirkAnswer(answer: missing.isEmpty ? .isolated : .notIsolated, reason: .acsCtrlEnabled(missing: missing))
    }

    /// Whether the entry's device list covers the whole 16-bit ID space of its vendor (a
    /// vendor-wide quirk such as Intel's RCiEP one): such an entry "covers" every device of the
    /// vendor, so only functions whose conditions hold are worth reporting.
    public var isVendorWide: Bool {
        devices.contains { if case let .range(a, b) = $0 { return a == 0 && b == 0xffff }; return false }
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
        /// The kernel difference that added this upstream row (`KernelDifference.quirkRows`):
        /// kernels without it do not have the row. `nil` for a row every profile has.
        public var addedBy: KernelDifference?
    }

    /// The decision for one device.
    public struct Decision: Hashable, Sendable {
        public var answer: ACSQuirkAnswer
        /// The entry whose function answered.
        public var entry: QuirkEntry
        /// The row that matched (its `row` is `nil` for an entry consulted first).
        public var row: Row
        /// Why the function answered so (a sticky 0 for an unlisted ID, a failed workaround, …).
        public var reason: QuirkAnswer.Reason
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
                    let key = QuirkRowKey(e.vendor, r.device, e.kernel.function ?? "")
                    upstream.append(Row(row: r.row, vendor: e.vendor, device: r.device, entryIndex: i,
                                        addedBy: KernelDifference.adding(key)))
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

    /// `pci_dev_specific_acs_enabled(dev, acs_flags)`: the first decisive answer, or `nil` when no
    /// row answers (the caller then uses the standard ACS logic).
    public func pciDevSpecificACSEnabled(_ dev: PCIDev, _ flags: ACSFlags, _ system: LinuxSystem) -> Decision? {
        walk(dev, flags, system, record: nil)
    }

    /// The same walk, with every row it consulted: what `check` and `groups --explain` render.
    public func trace(_ dev: PCIDev, _ flags: ACSFlags = REQ_ACS_FLAGS, _ system: LinuxSystem) -> QuirkTrace {
        var steps: [QuirkTrace.Step] = []
        let decision = walk(dev, flags, system) { row, entry, answer in
            steps.append(QuirkTrace.Step(row: row, entry: entry, answer: answer))
        }
        return QuirkTrace(steps: steps, decision: decision)
    }

    /// The one walk over the rows of the device's vendor, in table order: a row matches when its
    /// device is `nil` (PCI_ANY_ID) or equal (entries consulted first match the IDs they list);
    /// the first answer that is not `.pass` decides. Rows the profile's kernel does not have yet
    /// (`Row.addedBy`) are not there. `record` sees every row it calls.
    private func walk(_ dev: PCIDev, _ flags: ACSFlags, _ system: LinuxSystem,
                      record: ((Row, QuirkEntry, QuirkAnswer) -> Void)?) -> Decision? {
        guard let candidates = rowsByVendor[dev.vendor] else { return nil }
        for i in candidates {
            let r = rows[i]
            if let d = r.addedBy, !system.kernel.has(d) { continue }
            let e = entries[r.entryIndex]
            if r.row == nil {
                guard e.covers(device: dev.device) else { continue }
            } else if let d = r.device, d != dev.device {
                continue
            }
            let a = e.pciQuirkACSEnabled(dev, flags, system)
            record?(r, e, a)
            if a.answer != .pass { return Decision(answer: a.answer, entry: e, row: r, reason: a.reason) }
        }
        return nil
    }
}

/// How `pci_dev_specific_acs_enabled()` reached its answer for one device: every row it
/// consulted (rows of the device's vendor matching its ID, in table order), what each function
/// answered and why (the condition that made it pass), and the decisive one.
public struct QuirkTrace: Hashable, Sendable {
    public struct Step: Hashable, Sendable {
        public var row: QuirkTable.Row
        public var entry: QuirkEntry
        public var answer: QuirkAnswer
    }

    /// The rows consulted, in order; the last one decided when `decision` is set.
    public var steps: [Step]
    /// The first answer that is not a pass, `nil` when every row passed.
    public var decision: QuirkTable.Decision?
}
