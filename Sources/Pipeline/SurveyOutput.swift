import Foundation
import PCIConfig

/// How `acsquirk survey` writes its results: text, JSON (streamed: one report per line inside
/// `reports`, the summary after) and an SVG bar chart. All deterministic for the same inputs.
public enum SurveyOutput {
    /// The JSON format name; the number changes when a field changes meaning or goes away.
    public static let format = "acsquirk-survey/1"

    static func short(_ bdf: String) -> String { bdf.hasPrefix("0000:") ? String(bdf.dropFirst(5)) : bdf }

    // MARK: Text

    /// One report: its groups shared by several functions, and what a quirk for each device
    /// without ACS would split there.
    public static func text(_ r: Survey.Report) -> String {
        let shared = r.sharedGroups
        var out = "\(r.path): \(r.functions) functions (\(r.format)), \(r.groups.count) IOMMU groups, \(shared.count) shared"
        if !shared.isEmpty { out += ": " + shared.map { "{" + $0.map(short).joined(separator: " ") + "}" }.joined(separator: " ") }
        out += "\n"
        if !r.withoutACS.isEmpty {
            out += "  without ACS or quirk: " + r.withoutACS.map { e in
                "\(e.key) \(e.kind ?? "device") (" + (e.functionsSeparated > 0 ? "a quirk separates \(e.functionsSeparated) function\(e.functionsSeparated == 1 ? "" : "s")" : "a quirk changes no group here") + ")"
            }.joined(separator: "; ") + "\n"
        }
        let helping = r.entries.filter { $0.functionsSeparated > 0 }
        if !helping.isEmpty {
            out += "  registry entries not upstream that split groups here: " + helping.map { "\($0.key) (\($0.functionsSeparated))" }.joined(separator: ", ") + "\n"
        }
        if r.acsUnknown > 0 {
            let why = r.assumptions.filter { ["access-denied", "extended-space-unseen", "acs-not-decoded"].contains($0) }
            out += "  ACS not visible for \(r.acsUnknown) function\(r.acsUnknown == 1 ? "" : "s")"
                + (why.isEmpty ? "" : " (" + why.joined(separator: ", ") + ")") + ": taken as absent, so these groups may be wider than the ones Linux forms\n"
        }
        return out
    }

    public static func text(_ u: Survey.Unreadable) -> String { "\(u.path): unreadable: \(u.reason)\n" }

    /// The summary after the reports: counts, the ranking of devices without ACS, the registry
    /// entries, the unreadable inputs.
    public static func text(summary s: Survey.Summary, unreadable: [Survey.Unreadable], kernel: String, top: Int) -> String {
        var out = "\nSurvey: \(s.reports) report\(s.reports == 1 ? "" : "s")"
        let formats = s.formats.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        if !formats.isEmpty { out += " (" + formats.joined(separator: ", ") + ")" }
        out += ", \(s.functions) functions, \(s.unreadable) unreadable; kernel \(kernel) rules, an IOMMU assumed on\n\n"
        out += "Devices without ACS and without a quirk, by machines where a quirk for them would split an IOMMU group:\n"
        if s.devicesWithoutACS.isEmpty {
            out += "  (none)\n"
        } else {
            let rows = s.devicesWithoutACS.prefix(top).enumerated().map { i, d in
                ["\(i + 1)", d.id, "\(d.machinesMerged)", "\(d.machinesSeen)", "\(d.functionsSeparated)", d.kind, d.name ?? ""]
            }
            out += table(["#", "ID", "MACHINES", "SEEN", "FUNCTIONS", "KIND", "NAME"], rows, right: [0, 2, 3, 4])
            if s.devicesWithoutACS.count > top { out += "  (\(s.devicesWithoutACS.count - top) more; --top N shows more)\n" }
            out += "  MACHINES: reports where a quirk splits a group; SEEN: reports where it lacks ACS and a quirk; "
                + "FUNCTIONS: functions whose group gets smaller, over all reports\n"
        }
        out += "\nRegistry entries not upstream, by machines they would help:\n"
        if s.registryEntries.isEmpty {
            out += "  (none act on these reports)\n"
        } else {
            let rows = s.registryEntries.prefix(top).enumerated().map { i, e in
                ["\(i + 1)", e.entry, "\(e.machinesHelped)", "\(e.machinesSeen)", "\(e.functionsSeparated)", e.status, e.family]
            }
            out += table(["#", "ENTRY", "MACHINES", "SEEN", "FUNCTIONS", "STATUS", "FAMILY"], rows, right: [0, 2, 3, 4])
        }
        if !unreadable.isEmpty {
            out += "\nUnreadable (\(unreadable.count)):\n"
            for u in unreadable { out += "  \(u.path): \(u.reason)\n" }
        }
        return out
    }

    static func table(_ head: [String], _ rows: [[String]], right: Set<Int>) -> String {
        var widths = head.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let fill = String(repeating: " ", count: widths[i] - c.count)
                parts.append(i == cells.count - 1 ? c : right.contains(i) ? fill + c : c + fill)
            }
            var s = "  " + parts.joined(separator: "  ")
            while s.last == " " { s.removeLast() }
            return s + "\n"
        }
        return line(head) + rows.map(line).joined()
    }

    // MARK: JSON

    /// The opening of the document, up to the first report.
    public static func jsonStart(kernel: String, notes: [String]) -> String {
        "{\n  \"format\": " + quoted(format) + ",\n  \"kernel\": " + quoted(kernel) + ",\n  \"notes\": ["
            + notes.map { "\n    " + quoted($0) }.joined(separator: ",") + (notes.isEmpty ? "" : "\n  ") + "],\n  \"reports\": ["
    }

    /// One report, on one line (`first`: no comma before it).
    public static func json(_ r: Survey.Report, first: Bool) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? e.encode(r)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return (first ? "\n    " : ",\n    ") + body
    }

    /// The rest after the reports.
    public static func jsonEnd(summary: Survey.Summary, unreadable: [Survey.Unreadable], anyReport: Bool) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        func indented(_ data: Data?) -> String {
            let s = data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return s.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
        }
        return (anyReport ? "\n  " : "") + "],\n  \"summary\": " + indented(try? e.encode(summary))
            + ",\n  \"unreadable\": " + indented(try? e.encode(unreadable)) + "\n}\n"
    }

    static func quoted(_ s: String) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return (try? e.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    // MARK: SVG

    /// A horizontal bar chart of the `top` devices without ACS: machines where a quirk for them
    /// would split an IOMMU group, as hand-written SVG 1.1 (no scripts, no external resources).
    public static func svg(summary s: Survey.Summary, top: Int) -> String {
        let rows = Array(s.devicesWithoutACS.prefix(top).filter { $0.machinesMerged > 0 })
        let labelWidth = 430, barWidth = 400, rowHeight = 24, top0 = 70
        let width = labelWidth + barWidth + 80
        let height = top0 + max(rows.count, 1) * rowHeight + 40
        let maxValue = max(rows.map(\.machinesMerged).max() ?? 1, 1)
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
            <rect width="\(width)" height="\(height)" fill="#ffffff"/>
            <text x="10" y="24" font-size="16" font-weight="bold">\(HTMLReport.escape("Devices without ACS or quirk: machines where a quirk would split an IOMMU group"))</text>
            <text x="10" y="44" fill="#555555">\(HTMLReport.escape("\(s.reports) reports, \(s.functions) functions; top \(rows.count) of \(s.devicesWithoutACS.count) device IDs"))</text>

            """
        if rows.isEmpty {
            out += "<text x=\"10\" y=\"\(top0 + 16)\">no device without ACS splits a group in these reports</text>\n"
        }
        for (i, d) in rows.enumerated() {
            let y = top0 + i * rowHeight
            let w = max(1, d.machinesMerged * barWidth / maxValue)
            var label = "\(d.id) \(d.kind)" + (d.name.map { ": \($0)" } ?? "")
            if label.count > 64 { label = String(label.prefix(63)) + "…" }
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 16)\" text-anchor=\"end\">\(HTMLReport.escape(label))</text>\n"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(w)\" height=\"\(rowHeight - 8)\" fill=\"#c0392b\"/>\n"
            out += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 16)\">\(d.machinesMerged) (\(d.functionsSeparated) fn)</text>\n"
        }
        out += "<text x=\"10\" y=\"\(height - 12)\" fill=\"#555555\">\(HTMLReport.escape("bar: machines; (fn): functions whose IOMMU group gets smaller with a quirk, over all machines"))</text>\n"
        out += "</svg>\n"
        return out
    }
}
