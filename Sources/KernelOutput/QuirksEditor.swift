import Diagnostics
import PCIConfig
import Registry

/// Places the code of a `CodePlan` in quirks.c and checks that the kernel reaches it.
public enum QuirksEditor {
    /// The result of applying one plan.
    public struct Edit: Sendable {
        /// The plan that was applied.
        public var plan: CodePlan
        /// quirks.c after the edit, read (the inserted lines re-read by `QuirksSource.inserting`).
        public var source: QuirksSource
        /// Where the code went, for the user.
        public var placement: [String]
        /// quirks.c after the edit, as text.
        public var text: String { source.text }
    }

    /// Where new rows go (0-based index of the line they are inserted before): after the last row
    /// of the same vendor and function, else after the vendor's last row, but always before the
    /// first row that answers for one of the new devices (its comment block included); a vendor
    /// without rows goes right before the `{ 0 }` terminator.
    static func rowInsertionIndex(_ plan: CodePlan, source: QuirksSource, model: QuirkTableModel) -> (index: Int, why: String) {
        let limit = plan.coverage.blockers.map(\.row).min { $0.position < $1.position }
        let vendorRows = model.rows.filter { $0.vendor == plan.entry.entry.vendor }
        let before = vendorRows.filter { limit == nil || $0.position < limit!.position }
        let fn = plan.kind.function
        if let anchor = before.last(where: { $0.function == fn }) ?? before.last, let line = anchor.line {
            var why = "after \(anchor.label)"
            if let limit { why += ", before \(limit.label), which answers first for these devices" }
            return (line, why)
        }
        if let limit, let start = source.table.rows.first(where: { $0.position == limit.position })?.blockStartLine {
            return (start - 1, "before \(limit.label), which answers first for these devices")
        }
        return (source.table.terminatorLine - 1, "before the { 0 } terminator (first rows of this vendor)")
    }

    /// Applies `plan` to `source`: renders the code, inserts it, re-reads what changed (the new
    /// rows, the new function, or the function whose ID list grew) and checks that every new
    /// device is now answered by the plan's function for every type its entry allows ("isolated"
    /// when the entry claims what Linux asks for), that the function reads back as claiming
    /// exactly what the entry claims, and that every new line keeps to `CText.maxColumns` columns
    /// without trailing whitespace.
    public static func apply(_ plan: CodePlan, to source: QuirksSource, renderer: CodeRenderer) throws(KernelOutputError) -> Edit {
        let model = QuirkTableModel(source: source)
        var inserts: [(index: Int, lines: [String])] = []
        var placement: [String] = []
        let name = "\(plan.entry.path) (\(CText.singleLine(plan.entry.entry.vendorName)) \(CText.singleLine(plan.entry.entry.family)))"
        switch plan.kind {
        case .rows:
            let (index, why) = rowInsertionIndex(plan, source: source, model: model)
            inserts.append((index, renderer.tableRows(plan)))
            placement.append("\(name): \(plan.devices.count) row(s) \(why)")
        case let .newFunction(fn, _):
            var lines = renderer.function(plan) + [""]
            let structIndex = source.table.structLine - 1
            if structIndex > 0, !source.lines[structIndex - 1].isEmpty { lines.insert("", at: 0) }
            inserts.append((structIndex, lines))
            let (index, why) = rowInsertionIndex(plan, source: source, model: model)
            inserts.append((index, renderer.tableRows(plan)))
            placement.append("\(name): new function \(fn)() above pci_dev_acs_enabled[]; its row(s) \(why)")
        case let .extendList(fn):
            guard let site = source.profiles[fn]?.site else {
                throw .tree(Diagnostic.Location(file: source.path), "\(fn)() has no ID list this tool can extend")
            }
            let lines = renderer.listExtension(plan, site: site)
            switch site {
            case let .switchCases(holder, after, _):
                inserts.append((after, lines))
                placement.append("\(name): \(plan.devices.count) ID(s) added to the switch in \(holder)() after line \(after)")
            case let .array(array, before, _):
                inserts.append((before - 1, lines))
                placement.append("\(name): \(plan.devices.count) ID(s) added to \(array)[] before line \(before)")
            }
        }
        let loc = plan.entry.location
        for l in inserts.flatMap(\.lines) {
            if l != l.rightTrimmed { throw .selfCheck(loc, "generated line has trailing whitespace: \(l.debugDescription)") }
            if CText.width(l) > CText.maxColumns {
                throw .selfCheck(loc, "generated line is longer than \(CText.maxColumns) columns: \(l.debugDescription)")
            }
        }
        let after: QuirksSource
        do {
            after = try source.inserting(inserts)
        } catch {
            throw .selfCheck(loc, "quirks.c no longer reads as expected after the edit: \(error)")
        }
        let newModel = QuirkTableModel(source: after)
        let entry = plan.entry.entry
        let fn = plan.kind.function
        // Reached: every new device is decided by the plan's function first, for every type its
        // entry allows (and isolated when the entry claims what Linux asks for).
        for d in plan.devices {
            for t in effectivePortTypes(entry) {
                let a = newModel.answer(vendor: entry.vendor, device: d, type: t, multifunction: entry.appliesTo.multifunction,
                                        classID: entry.appliesTo.classID)
                let mustIsolate = entry.isolation.acsEquivalent.isSuperset(of: .linuxRequired) || entry.isolation.kind == .acsErratum
                guard let a, a.row.function == fn, !mustIsolate || a.answer.isIsolating else {
                    let who = a.map { "\($0.row.label) answers \($0.answer)" } ?? "no row answers"
                    throw .selfCheck(loc, "\(hex(entry.vendor, width: 4)):\(hex(d, width: 4)) as \(t): \(who) instead of \(fn)")
                }
            }
        }
        // Honest: the function, read back from the edited text (`FunctionFacts`), claims exactly
        // what the entry claims: a new function has the entry's shape, a reused one claims the
        // same for the entry's devices (`QuirkShape.claimsExactly`).
        let shape = QuirkShape(entry)
        let read = newModel.profiles[fn]?.shape
        let honest: Bool
        if case .newFunction = plan.kind { honest = read == shape } else { honest = read?.claimsExactly(shape) == true }
        guard honest else {
            throw .selfCheck(loc, "\(fn)() reads back as \(read.map { "\($0)" } ?? "nothing"), but the entry says \(shape)")
        }
        return Edit(plan: plan, source: after, placement: placement)
    }
}
