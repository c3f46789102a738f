import Diagnostics
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry

/// The part of the check that uses Linux's model (module LinuxPCI): the kernel's view of each
/// function (`PCIDev`: corrected port type, multifunction flag, effective ACS registers, PCH
/// workaround state), which kernel row decides for a device (`QuirkTable.trace`, the one quirk
/// walk), what an entry changes in the IOMMU groups (`WhatIf.compare` of two predictions) and the
/// devices whose missing ACS shares a group (the predictor's reasons).
final class GroupAnalysis {
    let options: CheckOptions
    /// Linux's view of the functions, shared by every prediction below.
    let view: KernelView
    /// The kernel's table (the registry's upstream entries) and the entries that are not upstream.
    let tables: WhatIfTables
    /// The groups Linux forms today (upstream entries only).
    let today: GroupPrediction
    /// The groups with every registry entry (the ones not upstream consulted first).
    let withRegistry: GroupPrediction
    private var effects: [String: [WhatIf.Change]] = [:]
    private var reported: Set<String> = []

    init(functions: [PCIFunction], entries: [LoadedEntry], options: CheckOptions) {
        self.options = options
        view = KernelView(functions: functions, system: options.system)
        var tables = WhatIfTables(kernel: entries.map(\.entry))
        let pending = entries.map(\.entry).filter { $0.kernel.status != .upstream }
        if !pending.isEmpty { tables.add(registryEntries: pending, label: "registry entries not upstream") }
        self.tables = tables
        let predictions = tables.predict(view)
        today = predictions.today
        withRegistry = predictions.whatIf ?? predictions.today
    }

    var kernelName: String? { options.system.kernel.description }

    /// The predictor's assumptions and input limits.
    var notes: [String] { today.notes.map { "\($0.kind.rawValue): \($0.text)" } }

    func explain(_ why: ACSStatus.UnknownReason) -> String { why.description }

    /// Which kernel row decides for `v` (shadowing), what the entry answers, what it changes.
    func examine(_ le: LoadedEntry, _ v: PCIDev, into c: inout EntryFunctionCheck, findings: inout [Diagnostic],
                 who: String, devicesField: String) {
        let i = v.index
        let e = le.entry
        let system = options.system
        let answer = e.pciQuirkACSEnabled(v, REQ_ACS_FLAGS, system).answer
        c.answer = answer.rawValue + " (for SV|RR|CR|UF, what Linux asks when it forms groups)"
        func finding(_ sev: Diagnostic.Severity, _ rule: CheckRule, _ field: String, _ msg: String) {
            findings.append(rule.finding(sev, path: le.path, position: le.locations.value(field),
                                         bdf: v.address.description, id: v.idString, input: options.dump, message: msg))
        }
        func rowName(_ dec: QuirkTable.Decision) -> String {
            let fn = dec.entry.kernel.function ?? "quirk"
            return (dec.row.row.map { "row \($0)" } ?? "an entry consulted first") + " (\(fn), \(dec.entry.vendorName) \(dec.entry.family))"
        }
        let decision = tables.kernel.trace(v, REQ_ACS_FLAGS, system).decision
        if e.kernel.status == .upstream {
            let myRow = e.kernel.table.first { $0.device == nil || $0.device == v.device }
            let myField = e.kernel.table.firstIndex { $0.device == nil || $0.device == v.device }.map { "kernel.table[\($0)].row" } ?? devicesField
            if let dec = decision {
                if dec.entry == e {
                    c.kernel = "\(rowName(dec)) answers \(dec.answer.rawValue)"
                } else {
                    c.kernel = "\(rowName(dec)) answers \(dec.answer.rawValue) first"
                    if answer != .pass {
                        finding(.warning, .shadowed, myField,
                                "\(who): kernel \(rowName(dec)) answers \(dec.answer.rawValue) before this entry's row \(myRow.map { String($0.row) } ?? "?"), so this entry never decides for the device")
                    }
                }
            } else {
                c.kernel = "no row answers (the quirk passes); Linux uses the standard ACS check: " + today.verdicts[i].phrase(for: v)
            }
        } else {
            if let dec = decision {
                c.kernel = "today \(rowName(dec)) answers \(dec.answer.rawValue)"
                if dec.answer == .isolated {
                    finding(.warning, .alreadyAnswered, devicesField,
                            "\(who): kernel \(rowName(dec)) already answers isolated for this device, so the entry changes nothing for it")
                } else {
                    finding(.note, .alreadyAnswered, devicesField,
                            "\(who): kernel \(rowName(dec)) answers not isolated for this device today; the new quirk must be reached before it (acsquirk patch places or extends it)")
                }
            } else {
                c.kernel = "no kernel row answers today; Linux uses the standard ACS check: " + today.verdicts[i].phrase(for: v)
            }
        }

        // What the entry changes in this machine's groups.
        let changes = effect(of: le).filter { ch in ch.before.contains { $0.members.contains(v.address) } }
        let short = today.singleDomain
        for ch in changes {
            let text = "\(ch.kind.rawValue)s " + ch.before.map { group($0, short) }.joined(separator: ", ")
                + " into " + ch.after.map { group($0, short) }.joined(separator: ", ")
            c.effect.append(text)
            if reported.insert(le.path + "\u{0}" + text).inserted {
                finding(.note, .effect, devicesField, "\(options.place) the entry \(text)")
            }
        }
        if changes.isEmpty {
            let why: String
            if answer != .isolated {
                why = "its quirk answers \(answer.rawValue) for this device"
            } else if let j = withRegistry.tree.index(of: v.address), withRegistry.groups[withRegistry.groupNumber[j]].members.count == 1,
                      today.groups[today.groupNumber[i]].members.count == 1 {
                why = "\(v.address.shortDescription) has an IOMMU group of its own either way"
            } else if let j = withRegistry.tree.index(of: v.address), let ex = withRegistry.explanation(j) {
                why = ex
            } else {
                why = "nothing else shares its IOMMU group because of it"
            }
            c.effect.append("changes no IOMMU group \(options.place): \(why)")
        }
    }

    /// `group 4 {01:00.0 01:00.1}`.
    private func group(_ g: WhatIf.NumberedGroup, _ short: Bool) -> String {
        "group \(g.number) {" + g.members.map { short ? $0.shortDescription : $0.description }.joined(separator: " ") + "}"
    }

    /// The group changes an entry makes on this machine: a new/submitted entry consulted before
    /// the kernel's table, compared with today; an upstream entry: today compared with the table
    /// without it.
    func effect(of le: LoadedEntry) -> [WhatIf.Change] {
        if let c = effects[le.path + "\u{0}\(le.line)"] { return c }
        let e = le.entry
        let changes: [WhatIf.Change]
        if e.kernel.status == .upstream {
            var without = tables.kernelEntries
            if let k = without.firstIndex(of: e) { without.remove(at: k) }
            let before = GroupPredictor.predict(view, quirks: QuirkTable(entries: without))
            changes = WhatIf.compare(before: before, after: today)
        } else {
            let after = GroupPredictor.predict(view, quirks: tables.kernel.consultingFirst([e]))
            changes = WhatIf.compare(before: today, after: after)
        }
        effects[le.path + "\u{0}\(le.line)"] = changes
        return changes
    }

    /// Devices whose missing ACS makes other functions share their IOMMU group (with every
    /// registry entry applied) and that no entry covers with conditions that hold.
    func uncovered(index: RegistryIndex) -> [UncoveredDevice] {
        let p = withRegistry
        // The IOMMU is off (KernelView.iommuOff): no groups, nobody shares one.
        guard p.view.iommuOff == nil else { return [] }
        var faults: [Int: Set<Int>] = [:]
        for g in p.groups where g.members.count > 1 {
            for m in g.members {
                let fault: Int
                switch p.reasons[m] {
                case let .upstreamNotIsolated(_, failing): fault = failing
                case let .functionPeer(_, found): fault = found
                default: continue
                }
                faults[fault, default: []].formUnion(g.members)
            }
        }
        var out: [UncoveredDevice] = []
        for (fault, members) in faults {
            let d = p.devices[fault]
            let verdict = p.verdicts[fault]
            if case .neverIsolatedType = verdict.reason { continue }  // PCIe-to-PCI bridges alias anyway
            let f = p.tree.functions[fault]
            let covering = index.entries(vendor: d.vendor, device: d.device).filter {
                $0.entry.conditions(for: d, system: options.system).failing.isEmpty
            }
            if !covering.isEmpty { continue }  // reported with its entry
            let bdf = d.address.description
            let suggestion: String
            var needsEntry = true
            if case let .acsControls(missing) = verdict.reason, !missing.isEmpty {
                needsEntry = false
                let names = missing.shortNames.joined(separator: ", ")
                suggestion = options.system.assumeIOMMU
                    ? "no entry needed: it has an ACS capability, but its Control does not enable \(names) even with Linux's enabling modelled (firmware, pci=config_acs or pci=disable_acs_redir?)"
                    : "no entry needed: it has an ACS capability and Linux enables \(names) when an IOMMU is on; this input shows them off: "
                        + "a dump taken without an IOMMU (--assume-iommu models it), or a kernel booted with pci=disable_acs_redir= or "
                        + "pci=config_acs= naming it (--cmdline \"pci=disable_acs_redir=\(bdf)\" states it; the machine's /proc/cmdline tells which)"
            } else if d.type?.isDownstreamFacingPort == true {
                suggestion = "a vendor would need to confirm that \(d.idString) \(d.kindDescription)s never forward peer-to-peer "
                    + "between ports or the devices below them (an entry of kind ports-isolated: \(newCommand(bdf)))"
            } else {
                suggestion = "a vendor would need to confirm that the functions of \(d.idString) never do peer-to-peer with each other "
                    + "(an entry of kind no-peer-to-peer: \(newCommand(bdf)))"
            }
            out.append(UncoveredDevice(
                bdf: bdf, id: d.idString, name: f.names.map { "\($0.class): \($0.vendor) \($0.device)" },
                kind: d.kindDescription, reason: verdict.phrase(for: d),
                sharedWith: members.subtracting([fault]).map { p.tree.functions[$0].address }.sorted().map(\.description),
                suggestion: suggestion, needsEntry: needsEntry, conventional: !d.isPCIe))
        }
        return out.sorted { $0.bdf < $1.bdf }
    }
}

extension GroupAnalysis {
    /// The `acsquirk new` command that scaffolds an entry for the device at `bdf` from the same
    /// input: `--dump FILE` when the check read a dump (the path shell-quoted as needed).
    func newCommand(_ bdf: String) -> String {
        "acsquirk new" + (options.dump.map { " --dump " + shellWord($0) } ?? "") + " --device \(bdf)"
    }

    /// `s` as one POSIX shell word: unchanged when it holds only characters no shell treats
    /// specially, else in single quotes (an inner `'` written `'\''`).
    func shellWord(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._-+,:=@%".unicodeScalars.contains($0))
        }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
