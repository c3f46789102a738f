import PCIConfig
import Registry

/// Places the code of a `CodePlan` in quirks.c and checks that the kernel reaches it.
public enum QuirksEditor {
    /// The result of applying one plan.
    public struct Edit: Sendable {
        /// The plan that was applied.
        public var plan: CodePlan
        /// quirks.c after the edit.
        public var text: String
        /// Where the code went, for the user.
        public var placement: [String]
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

    /// Applies `plan` to `source`: renders the code, inserts it, re-reads the result and checks
    /// that every new device is now answered "isolated" by the plan's function for every type its
    /// entry allows, and that the new lines keep the kernel's layout rules.
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
                throw .tree(SourceLocation(path: source.path), "\(fn)() has no ID list this tool can extend")
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
        var lines = source.lines
        var added: [String] = []
        for ins in inserts.sorted(by: { $0.index > $1.index }) {
            lines.insert(contentsOf: ins.lines, at: ins.index)
            added += ins.lines
        }
        let loc = plan.entry.location
        for l in added {
            if l != l.rightTrimmed { throw .selfCheck(loc, "generated line has trailing whitespace: \(l.debugDescription)") }
            if CText.width(l) > CText.maxColumns, !CText.words(l).contains(where: CText.isURL) {
                throw .selfCheck(loc, "generated line is longer than \(CText.maxColumns) columns: \(l.debugDescription)")
            }
        }
        let text = lines.joined(separator: "\n") + (source.endsWithNewline ? "\n" : "")
        let after: QuirksSource
        do {
            after = try QuirksSource(text: text, path: source.path, macros: source.macros)
        } catch {
            throw .selfCheck(loc, "quirks.c no longer reads as expected after the edit: \(error)")
        }
        let newModel = QuirkTableModel(source: after)
        let entry = plan.entry.entry
        for d in plan.devices {
            for t in effectivePortTypes(entry) {
                let a = newModel.answer(vendor: entry.vendor, device: d, type: t)
                guard let a, a.answer.isIsolating, a.row.function == plan.kind.function else {
                    let who = a.map { "\($0.row.label) answers \($0.answer)" } ?? "no row answers"
                    throw .selfCheck(loc, "\(hex(entry.vendor, width: 4)):\(hex(d, width: 4)) as \(t): \(who) instead of "
                                     + "\(plan.kind.function)")
                }
            }
        }
        return Edit(plan: plan, text: text, placement: placement)
    }
}
