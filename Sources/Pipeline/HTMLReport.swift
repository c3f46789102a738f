import Foundation
import LinuxPCI
import Registry

/// `out/index.html`, the page `acsquirk run` writes for a person to look at: one self-contained
/// document (inline CSS and the inline SVG picture; no script, nothing fetched: its
/// Content-Security-Policy allows neither) built only from what the other stages computed:
/// the machine, its IOMMU groups as the picture and as lists with each shared group's reasons
/// (`GroupsReport`, the text of `groups --explain`), what the registry's entries change on this
/// machine (the check's per-entry effects and the groups stage's what-if), the lint and check
/// findings, and relative links to every other file the run wrote.
///
/// Everything that comes from input (pci.ids names, registry fields, file names) is escaped with
/// `HTMLReport.escape`. Deterministic: same inputs, same bytes.
struct HTMLReport {
    /// The machine: where the functions came from and what was read.
    struct Machine {
        var source: String
        var functions: Int
        var pcie: Int
        var acsPresent: Int
        var acsAbsent: Int
        var acsUnknown: Int
        var libpci: String
    }

    var machine: Machine
    /// The groups stage's report (`nil`: no PCI function was read).
    var groups: GroupsReport?
    /// The inline `<svg>` element, or why there is no picture.
    var picture: Result<String, Graphviz.Failure>?
    var lint: LintResult
    var check: CheckReport
    /// Every file of the run, relative to `out` (this page excluded), sorted.
    var files: [String]

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in HTML and SVG text and in quoted
    /// attributes (the report page and `survey`'s SVG chart both use it).
    static func escape(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(ch)
            }
        }
        return o
    }

    /// A relative link to a file under `out`: each path segment percent-encoded.
    static func href(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/")
    }

    static let style = """
        body{font-family:Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:80em;padding:0 1em;color:#111827;line-height:1.4}
        h1{font-size:1.6em}h2{border-bottom:1px solid #d1d5db;margin-top:2em}h3{margin-bottom:.3em}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d1d5db;padding:.2em .5em;text-align:left;vertical-align:top}
        th{background:#f3f4f6}code,.bdf{font-family:monospace}
        .picture{overflow:auto;border:1px solid #d1d5db;padding:.5em}.picture svg{max-width:100%;height:auto}
        .shared{border-left:4px solid #dc2626;padding-left:.6em}.alone{color:#4b5563}
        .why{color:#374151;font-size:.92em}.error{color:#b91c1c;font-weight:bold}.warning{color:#b45309;font-weight:bold}
        .note{color:#4b5563}.missing{background:#fef3c7;padding:.5em}nav a{margin-right:1em}
        """

    /// The page.
    func html() -> String {
        let e = Self.escape
        var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<title>acsquirk: IOMMU groups of \(e(machine.source))</title>\n<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
        o += "<h1>acsquirk: IOMMU groups of \(e(machine.source))</h1>\n"
        o += "<nav><a href=\"#machine\">Machine</a><a href=\"#picture\">Picture</a><a href=\"#groups\">Groups</a>"
            + "<a href=\"#registry\">Registry entries</a><a href=\"#findings\">Findings</a><a href=\"#files\">Files</a></nav>\n"
        o += machineSection()
        o += pictureSection()
        o += groupsSection()
        o += registrySection()
        o += findingsSection()
        o += filesSection()
        o += "</body>\n</html>\n"
        return o
    }

    private func machineSection() -> String {
        let e = Self.escape
        let m = machine
        var o = "<h2 id=\"machine\">Machine</h2>\n<table>\n"
        o += "<tr><th>Source</th><td>\(e(m.source))</td></tr>\n"
        o += "<tr><th>PCI functions</th><td>\(m.functions) (\(m.pcie) PCI Express)</td></tr>\n"
        o += "<tr><th>ACS capability</th><td>present on \(m.acsPresent), absent on \(m.acsAbsent), unknown on \(m.acsUnknown)</td></tr>\n"
        if let g = groups, let off = g.iommuOff {
            o += "<tr><th>IOMMU groups</th><td><strong>\(e(KernelView.noIOMMUGroups(off)))</strong> (kernel \(e(g.kernel)) rules)</td></tr>\n"
        } else if let g = groups {
            let shared = g.groups.filter { $0.members.count > 1 }.count
            o += "<tr><th>IOMMU groups</th><td>\(g.groups.count), \(shared) shared by several functions (kernel \(e(g.kernel)) rules; "
                + (g.numbering == "kernel" ? "numbers as the kernel allocates them at boot" : "numbers label the partition only") + ")</td></tr>\n"
        }
        o += "<tr><th>libpci</th><td>\(e(m.libpci))</td></tr>\n</table>\n"
        if let g = groups, !g.notes.isEmpty {
            o += "<h3>Assumptions and limits</h3>\n<ul>\n"
            for n in g.notes { o += "<li>[\(e(n.kind))] \(e(n.text))</li>\n" }
            o += "</ul>\n"
        }
        if let g = groups, g.live != nil {
            o += "<h3>The running kernel</h3>\n<pre>\(e(g.liveText()))</pre>\n"
        }
        return o
    }

    private func pictureSection() -> String {
        var o = "<h2 id=\"picture\">Picture</h2>\n"
        switch picture {
        case let .success(svg)?:
            o += groups?.iommuOff.map { "<p><strong>\(Self.escape(KernelView.noIOMMUGroups($0)))</strong>: the picture shows the PCI tree only. " }
                ?? "<p>Each coloured frame is one IOMMU group (click one for its details); the legend names every group. "
            o += "Alone: <a href=\"groups.svg\">groups.svg</a>; graphviz source: <a href=\"groups.dot\">groups.dot</a>.</p>\n"
            o += "<div class=\"picture\">\n\(svg)</div>\n"
        case let .failure(why)?:
            o += "<p class=\"missing\">No picture: \(Self.escape(why.description)). The groups are listed below; "
                + "<a href=\"groups.dot\">groups.dot</a> is the graphviz source.</p>\n"
        case nil:
            o += "<p class=\"missing\">No picture: no PCI function was read.</p>\n"
        }
        return o
    }

    private func groupsSection() -> String {
        let e = Self.escape
        var o = "<h2 id=\"groups\">IOMMU groups</h2>\n"
        guard let g = groups else { return o + "<p>No PCI function was read: no groups.</p>\n" }
        if let off = g.iommuOff {
            return o + "<p><strong>\(e(KernelView.noIOMMUGroups(off)))</strong> (\(e(g.source)), kernel \(e(g.kernel)) rules): "
                + "Linux forms no IOMMU groups at all, so VFIO can assign no device.</p>\n"
        }
        o += "<p>Every group Linux would form (\(e(g.source)), kernel \(e(g.kernel)) rules). A shared group says why each "
            + "function is in it (as <code>acsquirk groups --explain</code> does).</p>\n"
        for grp in g.groups {
            let shared = grp.members.count > 1
            o += "<section id=\"group-\(grp.number)\" class=\"\(shared ? "shared" : "alone")\">\n"
            o += "<h3>IOMMU group \(grp.number)" + (shared ? ": shared by \(grp.members.count) functions" : "") + "</h3>\n<ul>\n"
            for m in grp.members {
                o += "<li><span class=\"bdf\">\(e(m.bdf))</span> [\(e(m.id))] \(e(m.name ?? m.type))"
                if shared {
                    if let r = m.reason { o += "<br><span class=\"why\">why: \(e(r))</span>" }
                    if !(m.reason?.contains(m.acs) ?? false) { o += "<br><span class=\"why\">acs: \(e(m.acs))</span>" }
                }
                o += "</li>\n"
            }
            o += "</ul>\n</section>\n"
        }
        if !g.rootPorts.isEmpty {
            o += "<h3>Root ports</h3>\n<p>" + (g.groupsNotFormedByACS.map { "ACS verdicts only, no slot advice: \(e($0))." }
                ?? "A card in an isolated slot gets its own group; a multifunction card still needs ACS or a quirk to split its functions.")
                + "</p>\n<table>\n<tr><th>Root port</th><th>ID</th><th>Isolated</th><th>Why</th></tr>\n"
            for r in g.rootPorts {
                o += "<tr><td class=\"bdf\">\(e(r.bdf))</td><td>\(e(r.id))</td><td>\(r.isolated ? "yes" : "no")</td><td>\(e(r.reason))</td></tr>\n"
            }
            o += "</table>\n"
        }
        return o
    }

    private func registrySection() -> String {
        let e = Self.escape
        var o = "<h2 id=\"registry\">What the registry's entries change here</h2>\n"
        // Per entry, what `check` found it changes (its what-if against today), with the functions
        // it covers that show the change.
        var rows: [(entry: String, effect: String, functions: [String])] = []
        for c in check.checks {
            let entry = "\(c.family) (\(c.status)) in \(c.path):\(c.line)"
            for effect in c.effect {
                if let k = rows.firstIndex(where: { $0.entry == entry && $0.effect == effect }) {
                    rows[k].functions.append(c.bdf)
                } else {
                    rows.append((entry, effect, [c.bdf]))
                }
            }
        }
        o += "<p>An entry not upstream: what its quirk would split once merged. An upstream entry: what the kernel's quirk "
            + "splits today (compared with the kernel's table without it).</p>\n"
        if rows.isEmpty {
            o += "<p>No registry entry covers a function of this machine.</p>\n"
        } else {
            o += "<table>\n<tr><th>Entry</th><th>Functions</th><th>Effect on the IOMMU groups</th></tr>\n"
            for r in rows {
                o += "<tr><td>\(e(r.entry))</td><td class=\"bdf\">\(e(r.functions.joined(separator: " ")))</td><td>\(e(r.effect))</td></tr>\n"
            }
            o += "</table>\n"
        }
        if let g = groups, let w = g.whatIf {
            o += "<h3>All entries not upstream together</h3>\n<p>\(e(w.quirks.joined(separator: "; "))), consulted before the kernel's table:</p>\n<ul>\n"
            func list(_ gs: [GroupsReport.PartitionGroup]) -> String {
                gs.map { "group \($0.number) {" + $0.members.joined(separator: " ") + "}" }.joined(separator: ", ")
            }
            if w.changes.isEmpty { o += "<li>no group changes</li>\n" }
            for c in w.changes {
                let verb = c.kind == "split" ? "splits into" : c.kind == "merge" ? "merge into" : "become"
                o += "<li>\(e(list(c.before))) \(verb) \(e(list(c.after)))</li>\n"
            }
            o += "</ul>\n"
        }
        let needed = check.uncovered
        if !needed.isEmpty {
            o += "<h3>Devices without an entry whose missing ACS shares a group</h3>\n<table>\n"
                + "<tr><th>Function</th><th>Device</th><th>Why</th><th>Shares a group with</th><th>What would split it</th></tr>\n"
            for u in needed {
                o += "<tr><td class=\"bdf\">\(e(u.bdf))</td><td>[\(e(u.id))] \(e(u.name ?? u.kind))</td><td>\(e(u.reason))</td>"
                    + "<td class=\"bdf\">\(e(u.sharedWith.joined(separator: " ")))</td><td>\(e(u.suggestion))</td></tr>\n"
            }
            o += "</table>\n"
        }
        return o
    }

    private func findingsSection() -> String {
        let e = Self.escape
        var o = "<h2 id=\"findings\">Findings</h2>\n<h3>Lint</h3>\n"
        o += "<p>\(e(LintReporter.summary(lint.diagnostics, files: lint.files.count)))</p>\n"
        if !lint.diagnostics.isEmpty {
            o += "<ul>\n"
            for d in lint.diagnostics { o += "<li class=\"\(e(d.severity.rawValue))\">\(e(d.description))</li>\n" }
            o += "</ul>\n"
        }
        o += "<h3>Check</h3>\n<p>\(e(check.summary))</p>\n"
        if !check.findings.isEmpty {
            o += "<table>\n<tr><th>Severity</th><th>Where</th><th>Function</th><th>Finding</th></tr>\n"
            for f in check.findings {
                o += "<tr><td class=\"\(e(f.severity.rawValue))\">\(e(f.severity.rawValue))</td><td>\(e(f.location.text ?? ""))</td>"
                    + "<td class=\"bdf\">\(e(f.bdf ?? ""))</td><td>[\(e(f.rule ?? ""))] \(e(f.message))</td></tr>\n"
            }
            o += "</table>\n"
        }
        return o
    }

    private func filesSection() -> String {
        let e = Self.escape
        var o = "<h2 id=\"files\">Files</h2>\n"
        let kinds: [(title: String, prefix: String)] = [("C quirk stubs (drivers/pci/quirks.c)", "quirks/"),
                                                         ("Static ACS capability tables", "acs-tables/"),
                                                         ("Patch series (git am)", "patches/")]
        let reports = files.filter { f in !kinds.contains { f.hasPrefix($0.prefix) } }
        var sections = [("Reports", reports)]
        for k in kinds { sections.append((k.title, files.filter { $0.hasPrefix(k.prefix) })) }
        for (title, list) in sections {
            o += "<h3>\(e(title))</h3>\n"
            if list.isEmpty {
                o += "<p>none written by this run</p>\n"
                continue
            }
            o += "<ul>\n"
            for f in list { o += "<li><a href=\"\(e(Self.href(f)))\">\(e(f))</a></li>\n" }
            o += "</ul>\n"
        }
        return o
    }
}
