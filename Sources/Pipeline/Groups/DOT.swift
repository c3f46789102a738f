import LinuxPCI
import PCIConfig

extension GroupPrediction {
    /// Group fill and border colours, by group number modulo their count.
    static let groupFills = ["#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#ede9fe", "#cffafe", "#fee2e2",
                             "#ecfccb", "#ffedd5", "#e0e7ff", "#f5f5f4", "#d1fae5"]
    static let groupBorders = ["#2563eb", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#dc2626",
                               "#65a30d", "#ea580c", "#4f46e5", "#57534e", "#059669"]
    /// The border of a bridge that does not isolate, and of a function an ACS quirk isolates.
    static let notIsolatingColour = "#dc2626"
    static let quirkColour = "#15803d"
    /// The width full device names are wrapped to in a node (never cut).
    static let nameWidth = 34

    /// Graphviz DOT of the PCI tree: root buses as ellipses, functions as boxes (address, ID, full
    /// pci.ids name wrapped, type), edges from each bridge to the functions below it, every IOMMU
    /// group a coloured cluster, bridges that do not isolate (fail `pci_acs_enabled`) drawn with a
    /// red dashed border, functions an ACS quirk decides for (`pci_dev_specific_acs_enabled`) with
    /// a green border and the quirk's name, and a legend explaining all of it with one line per
    /// group. `groupLinks`: each group cluster links to `#group-N` (for a page that has those
    /// anchors). With the IOMMU off (`KernelView.iommuOff`) Linux forms no groups: the tree is
    /// drawn without clusters or ACS marks, captioned `KernelView.noIOMMUGroups`, whatever
    /// `title` says. Deterministic: same input, byte-identical output.
    public func dot(title: String? = nil, groupLinks: Bool = false) -> String {
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s {
                if ch == "\\" || ch == "\"" { o.append("\\") }
                o.append(ch)
            }
            return o
        }
        func q(_ s: String) -> String { "\"" + esc(s) + "\"" }
        func label(_ lines: [String]) -> String { "\"" + lines.map(esc).joined(separator: "\\n") + "\"" }
        func nodeID(_ i: Int) -> String { q(tree.functions[i].address.description) }
        let fills = Self.groupFills, borders = Self.groupBorders
        var out = "digraph \"iommu-groups\" {\n"
        let off = view.iommuOff
        let heading = off.map { label([KernelView.noIOMMUGroups($0), "the PCI tree only (kernel \(system.kernel) rules)"]) }
            ?? q((title ?? "IOMMU groups (kernel \(system.kernel) rules)") + (numbersAreKernelNumbers ? "" : " - numbers label the partition only"))
        out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.12, ranksep=0.45, "
            + "labelloc=t, label=\(heading)];\n"
        out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=9];\n"
        out += "  edge [arrowhead=none, color=\"#6b7280\"];\n"
        for r in tree.rootBuses {
            out += "  \(q("bus " + r.description)) [shape=ellipse, fillcolor=\"#e5e7eb\", label=\(q("root bus " + r.description))];\n"
        }
        /// The node of function `i`; `marks`: its ACS quirk and not-isolating marks (none without an IOMMU).
        func node(_ i: Int, marks: Bool) -> String {
            let d = devices[i]
            let type = d.type.map(\.humanName) ?? (tree.functions[i].isBridge ? "PCI bridge" : "conventional PCI")
            var lines = [name(i) + "  " + d.idString]
            if let n = tree.functions[i].names {
                lines += wordWrap([n.vendor, n.device].filter { !$0.isEmpty }.joined(separator: " "), width: Self.nameWidth)
            }
            lines.append(type)
            var attrs = ""
            if !marks { return "\(nodeID(i)) [label=\(label(lines))];" }
            if case let .quirk(dec) = verdicts[i].reason {
                lines.append("ACS quirk: " + (dec.entry.kernel.function ?? "\(dec.entry.vendorName) \(dec.entry.family)")
                    + (dec.answer == .isolated ? "" : " (not isolated)"))
                if verdicts[i].isolated {
                    attrs = ", color=\"\(Self.quirkColour)\", penwidth=2"
                }
            }
            if tree.functions[i].isBridge && !verdicts[i].isolated {
                var flag = "not isolating"
                if !verdicts[i].missing.isEmpty, d.isPCIe, d.type?.isDownstreamFacingPort == true {
                    flag += ": " + verdicts[i].missing.shortNames.joined(separator: " ") + " missing"
                }
                lines.append(flag)
                attrs = ", color=\"\(Self.notIsolatingColour)\", penwidth=2, style=\"rounded,filled,dashed\""
            }
            return "\(nodeID(i)) [label=\(label(lines))\(attrs)];"
        }
        if off != nil {
            for i in 0..<tree.functions.count { out += "  " + node(i, marks: false) + "\n" }
        } else {
            for g in groups {
                let c = g.number % fills.count
                out += "  subgraph \(q("cluster_group_\(g.number)")) {\n"
                out += "    label=\(q("group \(g.number)")); style=\"rounded,filled\"; fillcolor=\(q(fills[c])); "
                    + "color=\(q(borders[c])); fontcolor=\(q(borders[c]));"
                    + (groupLinks ? " href=\(q("#group-\(g.number)")); tooltip=\(q("IOMMU group \(g.number)"));" : "") + "\n"
                for i in g.members.sorted(by: { tree.functions[$0].address < tree.functions[$1].address }) {
                    out += "    " + node(i, marks: true) + "\n"
                }
                out += "  }\n"
            }
        }
        for i in 0..<tree.functions.count {
            if let p = tree.parentBridge[i] {
                out += "  \(nodeID(p)) -> \(nodeID(i));\n"
            } else {
                out += "  \(q("bus " + BusKey(tree.functions[i].address).description)) -> \(nodeID(i));\n"
            }
        }
        out += legend(label: label, groupsFormed: off == nil)
        out += "}\n"
        return out
    }

    /// The legend cluster: one line per group (its colours, its first function or its size) and a
    /// sample of every other mark the picture uses; without `groupsFormed` (no IOMMU) the root bus only.
    private func legend(label: ([String]) -> String, groupsFormed: Bool) -> String {
        var out = "  subgraph \"cluster_legend\" {\n"
        out += "    label=\"Legend\"; style=\"rounded\"; color=\"#9ca3af\"; fontcolor=\"#374151\";\n"
        let bus = "    \"legend:bus\" [shape=ellipse, fillcolor=\"#e5e7eb\", label=\(label(["root bus", "(host bridge side)"]))];\n"
        guard groupsFormed else { return out + bus + "  }\n" }
        // The group table: an HTML-like label, whose text is ours (numbers and BDFs) only.
        var rows = "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><B>IOMMU groups</B> (a coloured frame: the functions in it "
            + "share one IOMMU group)</TD></TR>"
        for g in groups {
            let c = g.number % Self.groupFills.count
            let members = g.members.sorted { tree.functions[$0].address < tree.functions[$1].address }
            let text = members.count == 1 ? "group \(g.number): \(name(members[0]))"
                : "group \(g.number): \(members.count) functions, shared (\(name(members[0])) …)"
            rows += "<TR><TD BGCOLOR=\"\(Self.groupFills[c])\" COLOR=\"\(Self.groupBorders[c])\" BORDER=\"1\" "
                + "FIXEDSIZE=\"TRUE\" WIDTH=\"22\" HEIGHT=\"14\"></TD>"
                + "<TD ALIGN=\"LEFT\">\(text)</TD></TR>"
        }
        out += "    \"legend:groups\" [shape=plaintext, style=\"\", label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" "
            + "CELLSPACING=\"2\" CELLPADDING=\"3\">" + rows + "</TABLE>>];\n"
        out += bus
        let bridge = label(["bridge that does not isolate", "(pci_acs_enabled fails: the functions", "below it join its IOMMU group)"])
        out += "    \"legend:not-isolating\" [label=\(bridge), "
            + "color=\"\(Self.notIsolatingColour)\", penwidth=2, style=\"rounded,filled,dashed\"];\n"
        let quirk = label(["an ACS quirk isolates this function", "(pci_dev_specific_acs_enabled)"])
        out += "    \"legend:quirk\" [label=\(quirk), "
            + "color=\"\(Self.quirkColour)\", penwidth=2];\n"
        out += "  }\n"
        return out
    }
}
