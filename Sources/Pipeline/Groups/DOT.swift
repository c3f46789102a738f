import LinuxPCI
import PCIConfig

extension GroupPrediction {
    /// Graphviz DOT of the PCI tree: root buses as ellipses, functions as boxes, edges from each
    /// bridge to the functions below it, every IOMMU group a coloured cluster, and bridges that do
    /// not isolate (fail `pci_acs_enabled`) drawn with a red dashed border. Deterministic: same
    /// input, byte-identical output.
    public func dot(title: String? = nil) -> String {
        let fills = ["#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#ede9fe", "#cffafe", "#fee2e2",
                     "#ecfccb", "#ffedd5", "#e0e7ff", "#f5f5f4", "#d1fae5"]
        let borders = ["#2563eb", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#dc2626",
                       "#65a30d", "#ea580c", "#4f46e5", "#57534e", "#059669"]
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s {
                if ch == "\\" || ch == "\"" { o.append("\\") }
                o.append(ch)
            }
            return o
        }
        func q(_ s: String) -> String { "\"" + esc(s) + "\"" }
        func nodeID(_ i: Int) -> String { q(tree.functions[i].address.description) }
        var out = "digraph \"iommu-groups\" {\n"
        let heading = title ?? "IOMMU groups (kernel \(system.kernel) rules)"
        out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.12, ranksep=0.45, "
            + "labelloc=t, label=\(q(heading + (numbersAreKernelNumbers ? "" : " - numbers label the partition only")))];\n"
        out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=9];\n"
        out += "  edge [arrowhead=none, color=\"#6b7280\"];\n"
        for r in tree.rootBuses {
            out += "  \(q("bus " + r.description)) [shape=ellipse, fillcolor=\"#e5e7eb\", label=\(q("root bus " + r.description))];\n"
        }
        for g in groups {
            let c = g.number % fills.count
            out += "  subgraph \(q("cluster_group_\(g.number)")) {\n"
            out += "    label=\(q("group \(g.number)")); style=\"rounded,filled\"; fillcolor=\(q(fills[c])); "
                + "color=\(q(borders[c])); fontcolor=\(q(borders[c]));\n"
            for i in g.members.sorted(by: { tree.functions[$0].address < tree.functions[$1].address }) {
                let d = devices[i]
                let type = d.type.map(\.humanName) ?? (tree.functions[i].isBridge ? "PCI bridge" : "conventional PCI")
                var lines = [name(i) + "  " + d.idString]
                if let n = tree.functions[i].names?.device, !n.isEmpty { lines += wrap(n, width: 30, lines: 2) }
                lines.append(type)
                var attrs = ""
                if tree.functions[i].isBridge && !verdicts[i].isolated {
                    var flag = "not isolating"
                    if !verdicts[i].missing.isEmpty, d.isPCIe, d.type?.isDownstreamFacingPort == true {
                        flag += ": " + verdicts[i].missing.shortNames.joined(separator: " ") + " missing"
                    }
                    lines.append(flag)
                    attrs = ", color=\"#dc2626\", penwidth=2, style=\"rounded,filled,dashed\""
                }
                // Each line escaped; the \n separators stay DOT escapes.
                out += "    \(nodeID(i)) [label=\"" + lines.map(esc).joined(separator: "\\n") + "\"\(attrs)];\n"
            }
            out += "  }\n"
        }
        for i in 0..<tree.functions.count {
            if let p = tree.parentBridge[i] {
                out += "  \(nodeID(p)) -> \(nodeID(i));\n"
            } else {
                out += "  \(q("bus " + BusKey(tree.functions[i].address).description)) -> \(nodeID(i));\n"
            }
        }
        out += "}\n"
        return out
    }
}

/// Word-wraps `text` into at most `lines` lines of about `width` characters (an ellipsis marks a cut).
func wrap(_ text: String, width: Int, lines maxLines: Int) -> [String] {
    var out = wordWrap(text, width: width)
    if out.count > maxLines {
        out = Array(out.prefix(maxLines))
        out[maxLines - 1] += " …"
    }
    return out.map { $0.count > width + 8 ? String($0.prefix(width + 7)) + "…" : $0 }
}
