import PCIAccess
import PCIConfig
import Registry
import Topology

/// The part of the check that uses the group predictor (module Topology): Linux's view of each
/// function (`KernelDevice`: corrected port type, multifunction flag, effective ACS registers,
/// PCH workaround state), which kernel row decides for a device (`QuirkTable.decide`, the shared
/// quirk evaluator), what an entry changes in the IOMMU groups (`WhatIf.compare` of two
/// predictions) and the devices whose missing ACS shares a group (the predictor's reasons).
final class GroupAnalysis {
    let options: CheckOptions
    let predictionOptions: PredictionOptions
    let tree: BusTopology
    let upstream: [QuirkEntry]
    /// The kernel's table: the registry's upstream entries.
    let base: QuirkTable
    /// The groups Linux forms today (upstream entries only).
    let today: GroupPrediction
    /// The groups with every registry entry (the ones not upstream consulted first).
    let withRegistry: GroupPrediction
    private var effects: [String: [WhatIf.Change]] = [:]
    private var reported: Set<String> = []

    init(functions: [PCIFunction], entries: [LoadedEntry], options: CheckOptions) {
        self.options = options
        predictionOptions = options.predictionOptions
        tree = BusTopology(functions: functions)
        upstream = entries.map(\.entry).filter { $0.kernel.status == .upstream }
        base = QuirkTable(entries: upstream)
        today = GroupPredictor.predict(tree: tree, quirks: base, options: predictionOptions)
        let pending = entries.map(\.entry).filter { $0.kernel.status != .upstream }
        withRegistry = pending.isEmpty ? today
            : GroupPredictor.predict(tree: tree, quirks: base.consultingFirst(pending), options: predictionOptions)
    }

    var kernelName: String? { predictionOptions.kernel.rawValue }

    /// The predictor's assumptions and input limits.
    var notes: [String] { today.notes.map { "\($0.kind.rawValue): \($0.text)" } }

    /// The Intel PCH workaround as judged from the LPC bridge's RCBA register, per function.
    var platform: PlatformFacts {
        let states = Dictionary(uniqueKeysWithValues: today.devices.map { ($0.address, $0.pchWorkaround) })
        return PlatformFacts(amdIVRS: options.amdIVRS) { address in
            switch states[address] ?? .assumedToSucceed {
            case let .rcbaEnabled(lpc): (true, "RCBA enabled in the LPC bridge \(lpc.shortDescription)")
            case let .rcbaDisabled(lpc): (false, "RCBA disabled in the LPC bridge \(lpc.shortDescription): the kernel logs \"Failed to enable Intel PCH ACS quirk\"")
            case .assumedToSucceed: (true, "no readable LPC bridge at 1f.0: assumed to succeed")
            case .forcedFailure: (false, "--assume-pch-workaround-fails")
            }
        }
    }

    func device(_ address: PCIAddress) -> KernelDevice? { tree.index(of: address).map { today.devices[$0] } }

    /// Linux's view of `f`: the port type after `set_pcie_port_type()`, `pdev->multifunction`.
    func view(of f: PCIFunction) -> FunctionView {
        guard let d = device(f.address) else {
            return FunctionView(f, tree: PCIConfig.PCIBusTree([f]))
        }
        return KernelViews.view(d, f)
    }

    func explain(_ why: ACSStatus.UnknownReason) -> String { why.description }

    /// The ACS registers of `v` with `layout` as Linux uses them (effective Control with
    /// `--assume-iommu`), or read from config space.
    func registers(_ v: FunctionView, capability cap: ACSCapability,
                   layout: ACSRegisterLayout) -> (capability: ACSFlags, control: ACSFlags)? {
        if let r = device(v.address)?.acsRegisters[layout] { return (r.capability, r.control) }
        return acsRegisters(v.config, capability: cap, layout: layout)
    }

    /// Which kernel row decides for `v` (shadowing), what the entry answers, what it changes.
    func examine(_ le: LoadedEntry, _ v: FunctionView, into c: inout EntryFunctionCheck, findings: inout [CheckFinding],
                 who: String, devicesField: String) {
        guard let i = tree.index(of: v.address) else { return }
        let d = today.devices[i]
        let facts = d.quirkFacts
        let plat = d.platform(predictionOptions)
        let e = le.entry
        let answer = e.answer(for: facts, requested: .linuxRequired, platform: plat)
        c.answer = answer.rawValue + " (for SV|RR|CR|UF, what Linux asks when it forms groups)"
        func finding(_ sev: CheckFinding.Severity, _ rule: CheckRule, _ field: String, _ msg: String) {
            findings.append(CheckFinding(severity: sev, rule: rule, path: le.path, position: le.locations.value(field),
                                         bdf: v.address.description, id: v.idString, message: msg))
        }
        func rowName(_ dec: QuirkTable.Decision) -> String {
            let fn = dec.entry.kernel.function ?? "quirk"
            return (dec.row.row.map { "row \($0)" } ?? "an entry consulted first") + " (\(fn), \(dec.entry.vendorName) \(dec.entry.family))"
        }
        let decision = base.decide(facts, requested: .linuxRequired, platform: plat)
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
                c.kernel = "no row answers (the quirk passes); Linux uses the standard ACS check: " + today.verdicts[i].phrase(for: d)
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
                c.kernel = "no kernel row answers today; Linux uses the standard ACS check: " + today.verdicts[i].phrase(for: d)
            }
        }

        // What the entry changes in this machine's groups.
        let changes = effect(of: le).filter { ch in ch.before.contains { $0.members.contains(v.address) } }
        let short = today.singleDomainNames
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
            var without = upstream
            if let k = without.firstIndex(of: e) { without.remove(at: k) }
            let before = GroupPredictor.predict(tree: tree, quirks: QuirkTable(entries: without), options: predictionOptions)
            changes = WhatIf.compare(before: before, after: today)
        } else {
            let after = GroupPredictor.predict(tree: tree, quirks: base.consultingFirst([e]), options: predictionOptions)
            changes = WhatIf.compare(before: today, after: after)
        }
        effects[le.path + "\u{0}\(le.line)"] = changes
        return changes
    }

    /// Devices whose missing ACS makes other functions share their IOMMU group (with every
    /// registry entry applied) and that no entry covers with conditions that hold.
    func uncovered(index: RegistryIndex) -> [UncoveredDevice] {
        let p = withRegistry
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
            let v = view(of: f)
            let covering = index.entries(vendor: d.vendor, device: d.device).filter {
                $0.entry.conditions(for: v, platform: platform).failing.isEmpty
            }
            if !covering.isEmpty { continue }  // reported with its entry
            let bdf = d.address.description
            let suggestion: String
            var needsEntry = true
            if case let .acsControls(missing) = verdict.reason, !missing.isEmpty {
                needsEntry = false
                let names = missing.shortNames.joined(separator: ", ")
                suggestion = options.assumeIOMMU
                    ? "no entry needed: it has an ACS capability, but its Control does not enable \(names) even with Linux's enabling modelled (firmware, pci=config_acs or pci=disable_acs_redir?)"
                    : "no entry needed: it has an ACS capability and Linux enables \(names) when an IOMMU is on; this input shows them off (a dump taken without an IOMMU? --assume-iommu models it)"
            } else if d.type?.isDownstreamFacingPort == true {
                suggestion = "a vendor would need to confirm that \(d.idString) \(v.kindDescription)s never forward peer-to-peer "
                    + "between ports or the devices below them (an entry of kind ports-isolated: \(newCommand(bdf)))"
            } else {
                suggestion = "a vendor would need to confirm that the functions of \(d.idString) never do peer-to-peer with each other "
                    + "(an entry of kind no-peer-to-peer: \(newCommand(bdf)))"
            }
            out.append(UncoveredDevice(
                bdf: bdf, id: d.idString, name: f.names.map { "\($0.class): \($0.vendor) \($0.device)" },
                kind: v.kindDescription, reason: verdict.phrase(for: d),
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

extension GroupPrediction {
    /// Whether every function is in domain 0000 (addresses are then printed `bb:dd.f`).
    var singleDomainNames: Bool { tree.functions.allSatisfy { $0.address.domain == 0 } }
}

/// Linux's view of every function without a prediction: `KernelDevice` (corrected PCIe type,
/// multifunction flag) by address, for `acsquirk new`.
struct KernelViews {
    let devices: [PCIAddress: KernelDevice]

    init(_ functions: [PCIFunction]) {
        let tree = BusTopology(functions: functions.filter { !$0.isAllOnes })
        devices = Dictionary(uniqueKeysWithValues: tree.kernelDevices(PredictionOptions()).map { ($0.address, $0) })
    }

    func view(of f: PCIFunction) -> FunctionView {
        guard let d = devices[f.address] else { return FunctionView(f, tree: PCIConfig.PCIBusTree([f])) }
        return KernelViews.view(d, f)
    }

    static func view(_ d: KernelDevice, _ f: PCIFunction) -> FunctionView {
        FunctionView(address: f.address, vendor: d.vendor, device: d.device, portType: d.type,
                     multifunction: d.multifunction, multifunctionReason: d.multifunctionReason,
                     classID: d.classID, onRootBus: d.onRootBus, acs: f.acs, config: f.config, names: f.names)
    }
}
