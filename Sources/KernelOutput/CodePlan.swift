import Diagnostics
import Foundation
import PCIConfig
import Registry

/// What kernel code one registry entry becomes (docs/kernel-output.md, *What code an entry
/// becomes*), decided against a quirk table.
public struct CodePlan: Hashable, Sendable {
    /// The shape of the code.
    public enum Kind: Hashable, Sendable {
        /// One table row per device, pointing at an existing function
        /// (`pci_quirk_mf_endpoint_acs` for multifunction endpoints).
        case rows(function: String)
        /// A new quirk function above the table, plus its rows. `switchStyle`: the function holds
        /// the IDs in a `switch` and one `PCI_ANY_ID` row calls it (entries with ID ranges).
        case newFunction(name: String, switchStyle: Bool)
        /// The device IDs go into the ID list inside an existing function (a `switch` or an ID
        /// array: Wangxun, Zhaoxin ports, Intel PCH): its vendor-wide row would answer first.
        case extendList(function: String)

        /// The function the code uses or adds.
        public var function: String {
            switch self {
            case let .rows(f), let .newFunction(f, _), let .extendList(f): f
            }
        }
    }

    /// The entry and where it was loaded from.
    public var entry: LoadedEntry
    /// What code it becomes.
    public var kind: Kind
    /// The device IDs to add (the entry's IDs the table does not cover yet), ascending.
    public var devices: [UInt16]
    /// How rows write the vendor.
    public var vendor: VendorSpelling
    /// What the table already says about the entry.
    public var coverage: EntryCoverage
    /// Remarks for the user (e.g. why the literal vendor ID is used, why rows go where they go):
    /// notes at the entry's file and line, under a `CodePlanNote` rule.
    public var notes: [Diagnostic]

    /// The IDs as ranges and single IDs.
    public var compressedDevices: [DeviceIDs] { compress(devices) }
}

/// The kinds of remark `generate` and `patch` make about the code they plan for an entry.
public enum CodePlanNote: String, Hashable, Sendable, CaseIterable {
    /// The rows write the vendor ID as a literal: no `PCI_VENDOR_ID_*` macro (or none checked).
    case vendorMacro = "vendor-macro"
    /// A vendor-wide row answers "not isolated" for every ID it does not list.
    case vendorWideRow = "vendor-wide-row"
    /// A function of the table already lists the vendor's IDs and claims what the entry claims.
    case vendorIDList = "vendor-id-list"
    /// The vendor's own rows call a function that claims what the entry claims.
    case vendorFunction = "vendor-function"
    /// Some of the entry's IDs are covered by a row of the tree already (every one: the entry is
    /// skipped, `PatchSeries.Skipped`).
    case alreadyCovered = "already-covered"
    /// The entry is `upstream`: skipped, the kernel has its rows (`PatchSeries.Skipped`).
    case alreadyUpstream = "already-upstream"

    /// A note of this kind about `loaded` (at its file and line).
    public func note(_ loaded: LoadedEntry, _ message: String) -> Diagnostic {
        Diagnostic(.note, Diagnostic.Location(file: loaded.path, line: loaded.line), rule: rawValue, message: message)
    }
}

/// Turns entries into `CodePlan`s. Refuses (throws `.entry`) what it cannot generate safely.
public enum CodePlanner {
    /// The function every multifunction endpoint entry uses.
    public static let mfEndpointFunction = "pci_quirk_mf_endpoint_acs"
    /// At most this many table rows per entry (larger ID sets need a function with ranges).
    public static let maxRows = 64
    /// The longest function name whose definition `static int NAME(struct pci_dev *dev, u16 acs_flags)`
    /// fits in 80 columns (`CText.maxColumns`).
    public static let maxFunctionName = 33

    /// Checks every free-text field of `loaded` for characters that cannot be shown faithfully,
    /// and the identifiers it names. `forPatch`: evidence (statement, `Name <email>` confirmers)
    /// is required.
    public static func validate(_ loaded: LoadedEntry, forPatch: Bool) throws(KernelOutputError) {
        let e = loaded.entry, loc = loaded.location
        try CText.check(e.vendorName, field: "vendor-name", at: loc)
        try CText.check(e.family, field: "family", at: loc)
        if CText.singleLine(e.vendorName).isEmpty { throw .entry(loc, field: "vendor-name", "is empty") }
        if CText.singleLine(e.family).isEmpty { throw .entry(loc, field: "family", "is empty") }
        if e.devices.isEmpty { throw .entry(loc, field: "devices", "lists no device") }
        for d in e.devices {
            if case let .range(a, b) = d, a > b {
                throw .entry(loc, field: "devices", "range 0x\(hex(a, width: 4))-0x\(hex(b, width: 4)) is inverted")
            }
        }
        if let ev = e.evidence {
            try CText.check(ev.statement, field: "evidence.statement", at: loc)
            for c in ev.confirmedBy { try CText.check(c, field: "evidence.confirmed-by", at: loc) }
            for r in ev.references {
                try CText.check(r.title, field: "evidence.references.title", at: loc)
                if let u = r.url {
                    try CText.check(u, field: "evidence.references.url", at: loc)
                    if CText.words(u).count != 1 { throw .entry(loc, field: "evidence.references.url", "contains whitespace: \(u.debugDescription)") }
                }
            }
            if let d = ev.date, MailDate.fromISODate(d) == nil {
                throw .entry(loc, field: "evidence.date", "is not a date YYYY-MM-DD: \(d.debugDescription)")
            }
            if forPatch {
                if CText.singleLine(ev.statement).isEmpty { throw .entry(loc, field: "evidence.statement", "is empty") }
                for c in ev.confirmedBy where Identity(c) == nil {
                    throw .entry(loc, field: "evidence.confirmed-by", "\(c.debugDescription) is not \"Full Name <email>\"")
                }
            }
        } else if forPatch {
            throw .entry(loc, field: "evidence", "a patch needs the vendor's statement; add evidence.statement")
        }
        if let f = e.kernel.function, !Slug.isKernelIdentifier(f) {
            throw .entry(loc, field: "kernel.function", "\(f.debugDescription) is not a C identifier in kernel style")
        }
        for row in e.kernel.table {
            if let m = row.vendorMacro, !Slug.isVendorMacro(m) {
                throw .entry(loc, field: "kernel.table.vendor-macro", "\(m.debugDescription) is not a PCI_VENDOR_ID_* macro")
            }
        }
        if e.isolation.acsEquivalent.isEmpty {
            throw .entry(loc, field: "isolation.acs-equivalent", "is empty: the quirk would report nothing")
        }
        // The lint rule acs-equivalent-incomplete, for entries that reach the library unlinted:
        // a claim that changes no IOMMU group is only written down with the entry's reason.
        if CodeRenderer.isPartial(e), CText.singleLine(e.isolation.incompleteReason ?? "").isEmpty {
            throw .entry(loc, field: "isolation.acs-equivalent", "lacks "
                         + ACSFlags.linuxRequired.subtracting(e.isolation.acsEquivalent).shortNames.joined(separator: ", ")
                         + ": Linux requires SV, RR, CR and UF to put devices in separate IOMMU groups, so the quirk would "
                         + "change no group; give isolation.incomplete-reason")
        }
        if let r = e.isolation.incompleteReason { try CText.check(r, field: "isolation.incomplete-reason", at: loc) }
        for a in e.kernel.ackedBy {
            try CText.check(a, field: "kernel.acked-by", at: loc)
            if forPatch, Identity(a) == nil {
                throw .entry(loc, field: "kernel.acked-by", "\(a.debugDescription) is not \"Full Name <email>\"")
            }
        }
    }

    /// Generic words of product names that say what kind of device it is, not which one:
    /// dropped from the family when it names a function (`RK3588 Root Ports` -> `rk3588`).
    static let genericWords: Set<String> = [
        "root", "port", "ports", "rp", "rps", "downstream", "upstream", "switch", "switches", "bridge", "bridges", "nic",
        "nics", "endpoint", "endpoints", "device", "devices", "controller", "controllers", "function", "functions",
        "multifunction", "multi", "pcie", "pci", "express", "ethernet", "network", "adapter", "adapters", "family",
        "series", "and", "or", "the", "for", "of", "complex", "integrated", "rciep", "rcieps", "chipset", "platform",
    ]

    /// The function name a new quirk gets: `kernel.function`, else
    /// `pci_quirk_<vendor>_<short>_acs` as quirks.c names them (`pci_quirk_qcom_rp_acs`,
    /// `pci_quirk_loongson_acs`): `<vendor>` the first word of the vendor's `PCI_VENDOR_ID_*`
    /// macro (or of its vendor name), `<short>` the model word of the family (the first word
    /// holding a digit, else the first word that is not a generic one such as "Root Ports"),
    /// without separators. Its definition `static int NAME(struct pci_dev *dev, u16 acs_flags)`
    /// and its table rows must fit in 80 columns (`maxFunctionName`). When that name is taken
    /// (`taken`: the file defines it) or too long: the family's next word, else the vendor alone
    /// (`pci_quirk_pericom_acs`), else the initials of a long vendor macro (`pci_quirk_aal_acs`),
    /// else the model word shortened, else a number; never a cut-off part number while a
    /// whole name fits.
    public static func newFunctionName(_ loaded: LoadedEntry, vendor spelling: VendorSpelling,
                                       taken: Set<String>) throws(KernelOutputError) -> String {
        let e = loaded.entry
        if let f = e.kernel.function {
            guard f.count <= maxFunctionName else {
                throw .entry(loaded.location, field: "kernel.function",
                             "\(f) is longer than \(maxFunctionName) characters: its definition would pass 80 columns "
                                + "(quirks.c names them pci_quirk_<vendor>_<short>_acs)")
            }
            guard !taken.contains(f) else {
                throw .entry(loaded.location, field: "kernel.function", "\(f) is already defined in drivers/pci/quirks.c")
            }
            return f
        }
        var vendor: String
        if let m = spelling.macro, m.hasPrefix("PCI_VENDOR_ID_") {
            vendor = m.dropFirst("PCI_VENDOR_ID_".count).split(separator: "_").first.map { $0.lowercased() } ?? ""
        } else {
            vendor = CText.words(CText.singleLine(e.vendorName)).lazy.map { Slug.make($0, separator: "_") }
                .first { !$0.isEmpty }?.replacingOccurrences(of: "_", with: "") ?? ""
        }
        if vendor.isEmpty || vendor.first!.isNumber { vendor = "v" + hex(e.vendor, width: 4) }
        let vendorWords = Set(CText.words(e.vendorName.lowercased()).map { Slug.make($0, separator: "_") })
        let words = CText.words(CText.singleLine(e.family)).map { Slug.make($0, separator: "_").replacingOccurrences(of: "_", with: "") }
            .filter { !$0.isEmpty && !vendorWords.contains($0) && $0 != vendor }
        let model = words.first { $0.contains(where: \.isNumber) } ?? words.first { !genericWords.contains($0) }
        // The definition and every table row `\t{ VENDOR, DEVICE, NAME },` fit in 80 columns.
        let switchStyle = e.devices.contains { if case .range = $0 { true } else { false } }
        let budget = min(maxFunctionName, CText.maxColumns - 17 - spelling.description.count - (switchStyle ? 10 : 6))
        func name(_ parts: [String]) -> String { (["pci_quirk", vendor] + parts + ["acs"]).joined(separator: "_") }
        var candidates: [String] = []
        if let model {
            candidates.append(name([model]))
            for w in words where w != model && !genericWords.contains(w) { candidates.append(name([model, w])) }
        }
        // No model word, or none that fits: the vendor alone, as quirks.c names most vendors'
        // functions (`pci_quirk_loongson_acs`, `pci_quirk_brcm_acs`), rather than a cut-off
        // part number that reads as another product.
        candidates.append(name([]))
        // A long vendor macro leaves little room: its words' initials, as upstream shortened
        // Amazon Annapurna Labs (`pci_quirk_al_acs`): PCI_VENDOR_ID_AMAZON_ANNAPURNA_LABS -> `aal`.
        let room = budget - "pci_quirk__acs".count
        var initials = ""
        if let m = spelling.macro, m.hasPrefix("PCI_VENDOR_ID_") {
            let parts = m.dropFirst("PCI_VENDOR_ID_".count).split(separator: "_")
            if parts.count > 1 { initials = String(parts.compactMap(\.first)).lowercased() }
        }
        if !initials.isEmpty, initials.first!.isLetter { candidates.append(["pci_quirk", initials, "acs"].joined(separator: "_")) }
        if let model { candidates.append(name([String(model.prefix(max(1, budget - name([]).count - 1)))])) }
        for n in 2...99 { candidates.append(name((model.map { [String($0.prefix(8))] } ?? []) + [String(n)])) }
        if room >= 2, vendor.count > room {
            let v = String(vendor.prefix(room))
            candidates.append(["pci_quirk", v, "acs"].joined(separator: "_"))
            for n in 2...9 where v.count + 2 <= room { candidates.append(["pci_quirk", v, String(n), "acs"].joined(separator: "_")) }
        }
        if let free = candidates.first(where: { !taken.contains($0) && $0.count <= budget }) { return free }
        throw .entry(loaded.location, field: "family", "no free function name \(name(["..."])) fits in 80 columns; "
                     + "set kernel.function")
    }

    /// Decides the code for one entry against `model`. Returns nil when the table already
    /// isolates every device of the entry (see `coverage`).
    ///
    /// The code never claims more or less than the entry, and an existing function wins whenever
    /// one claims exactly what the entry claims for the entry's devices
    /// (`QuirkShape.claimsExactly`, same isolation kind): in this order, `kernel.function`; the ID
    /// list of a vendor-wide row that would answer first ("not isolated" for IDs it does not list:
    /// Wangxun, Zhaoxin ports) or that lists the vendor's IDs (Cavium); the function of the
    /// vendor's own rows (`pci_quirk_qcom_rp_acs` for a Qualcomm root port); rows calling
    /// `pci_quirk_mf_endpoint_acs()` for a multifunction endpoint claim of exactly
    /// SV|TB|RR|CR|UF|DT. Everything else gets a new function that checks the entry's
    /// `applies-to` and reports its `acs-equivalent`, with its rows placed before any row that
    /// would answer first.
    public static func plan(_ loaded: LoadedEntry, model: QuirkTableModel) throws(KernelOutputError) -> CodePlan? {
        let e = loaded.entry, loc = loaded.location
        let coverage = EntryCoverage(entry: e, model: model)
        guard !coverage.isFullyCovered else { return nil }
        let shape = QuirkShape(e)
        let types = Set(effectivePortTypes(e))
        let vendor = model.spelling(for: e.vendor)
        var notes: [Diagnostic] = []
        if case .literal = vendor {
            if model.macros == nil {
                notes.append(CodePlanNote.vendorMacro.note(loaded, "vendor 0x\(hex(e.vendor, width: 4)): PCI_VENDOR_ID_* macro not checked (no --kernel-tree): "
                    + "the rows use the literal; with --kernel-tree the macro of include/linux/pci_ids.h is used when it has one"))
            } else {
                notes.append(CodePlanNote.vendorMacro.note(loaded, "vendor 0x\(hex(e.vendor, width: 4)) has no PCI_VENDOR_ID_* macro in include/linux/pci_ids.h: "
                    + "the rows use the literal, as the table does for 0x19a2 and 0x10df; add a macro to pci_ids.h "
                    + "only if several drivers share the ID"))
            }
        }

        func listFunction(_ name: String) -> QuirkFunctionProfile? {
            guard let p = model.profiles[name], p.ids != nil else { return nil }
            return p
        }
        /// Whether code calling `name` says exactly what the entry says for its devices.
        func fits(_ name: String, sameKind: Bool = true) -> Bool {
            guard let p = model.profiles[name] else { return false }
            return p.shape.claimsExactly(shape) && (!sameKind || p.kind == e.isolation.kind)
        }
        /// Refuses `name` when it does not say what the entry says.
        func requireFit(_ name: String, field: String) throws(KernelOutputError) {
            guard !fits(name, sameKind: false) else { return }
            let what = "\(name)() has \(model.profiles[name].map { "\($0.shape)" } ?? "no known shape")"
            throw .entry(loc, field: field, "\(what), but the entry says \(shape): the code would claim something else; "
                         + "fix the entry, or drop kernel.function to get a function of its own")
        }
        func newFunction() throws(KernelOutputError) -> CodePlan.Kind {
            let name = try newFunctionName(loaded, vendor: vendor, taken: model.definedFunctions)
            return .newFunction(name: name, switchStyle: e.devices.contains { if case .range = $0 { true } else { false } })
        }
        let kind: CodePlan.Kind
        if e.isolation.kind == .acsErratum {
            guard let f = e.kernel.function, listFunction(f) != nil else {
                throw .entry(loc, field: "isolation.kind",
                             "acs-erratum entries need register code written by hand; set kernel.function to an existing "
                             + "function with an ID list (e.g. pci_quirk_intel_spt_pch_acs) to extend it")
            }
            try requireFit(f, field: "kernel.function")
            kind = .extendList(function: f)
        } else if e.appliesTo.requires.contains(.intelPCHRCBAWorkaround) {
            let f = e.kernel.function ?? "pci_quirk_intel_pch_acs"
            guard listFunction(f) != nil else {
                throw .entry(loc, field: "applies-to.requires",
                             "intel-pch-rcba-workaround needs the ID list of \(f), which this kernel does not have")
            }
            try requireFit(f, field: "applies-to")
            kind = .extendList(function: f)
        } else if e.appliesTo.requires.contains(.amdIVRS) || e.appliesTo.requires.contains(.acsCapability) {
            guard let f = e.kernel.function, model.profiles[f] != nil else {
                throw .entry(loc, field: "applies-to.requires",
                             "amd-ivrs and acs-capability conditions are only generated by reusing an existing function; "
                             + "set kernel.function (e.g. pci_quirk_amd_sb_acs)")
            }
            try requireFit(f, field: "kernel.function")
            kind = listFunction(f) != nil ? .extendList(function: f) : .rows(function: f)
        } else if let f = e.kernel.function, model.profiles[f] != nil {
            try requireFit(f, field: "kernel.function")
            kind = listFunction(f) != nil ? .extendList(function: f) : .rows(function: f)
        } else if let sticky = model.rows.first(where: { row in
            guard row.vendor == e.vendor, row.device == nil, let p = listFunction(row.function),
                  p.unlisted == .notIsolated else { return false }
            return p.acceptedTypes.map { !$0.isDisjoint(with: types) } ?? true
        }) {
            // A vendor-wide row answers "not isolated" for every ID it does not list: a row after it
            // would never be reached. Its list is extended when its function says what the entry
            // says; otherwise a new function goes before the row.
            if e.kernel.function == nil, fits(sticky.function) {
                kind = .extendList(function: sticky.function)
                notes.append(CodePlanNote.vendorWideRow.note(loaded, "\(sticky.label) answers \"not isolated\" for every \(e.vendorName) ID it does not list; "
                    + "the IDs go into the list inside \(sticky.function)()"))
            } else {
                kind = try newFunction()
                notes.append(CodePlanNote.vendorWideRow.note(loaded, "\(sticky.label) answers \"not isolated\" for every \(e.vendorName) ID it does not list, and "
                    + "\(sticky.function)() has \(model.profiles[sticky.function].map { "\($0.shape)" } ?? "another shape") where the entry "
                    + "says \(shape): a new function \(kind.function)() answers for these IDs, its rows before that row"))
            }
        } else if e.kernel.function == nil, let listed = model.rows.first(where: { row in
            // A vendor-wide row whose function lists IDs and says exactly what the entry says
            // (Cavium ThunderX root ports).
            row.vendor == e.vendor && row.device == nil && listFunction(row.function) != nil && fits(row.function)
        }) {
            kind = .extendList(function: listed.function)
            notes.append(CodePlanNote.vendorIDList.note(loaded, "\(listed.label) already lists \(e.vendorName) IDs in \(listed.function)(), which says what the "
                + "entry says; the IDs go there"))
        } else if e.kernel.function == nil, let own = model.rows.first(where: { row in
            // The vendor's own rows call a function that claims exactly this (Qualcomm root ports:
            // pci_quirk_qcom_rp_acs): more rows for it.
            row.vendor == e.vendor && row.device != nil && listFunction(row.function) == nil && fits(row.function)
        }) {
            kind = .rows(function: own.function)
            if own.function != mfEndpointFunction {
                notes.append(CodePlanNote.vendorFunction.note(loaded, "\(own.label) calls \(own.function)(), which claims for these devices what the entry claims; "
                    + "the rows call it too"))
            }
        } else if e.kernel.function == nil, e.isolation.kind == .noPeerToPeer, shape.fitsMultifunctionEndpointRows {
            kind = .rows(function: mfEndpointFunction)
        } else {
            kind = try newFunction()
        }

        let devices = coverage.uncovered
        switch kind {
        case .rows, .newFunction(_, false):
            if devices.count > maxRows {
                throw .entry(loc, field: "devices", "\(devices.count) IDs would need \(devices.count) table rows "
                             + "(at most \(maxRows)); give them as ranges of a ports-isolated entry or set kernel.function")
            }
        default: break
        }
        return CodePlan(entry: loaded, kind: kind, devices: devices, vendor: vendor, coverage: coverage, notes: notes)
    }
}
