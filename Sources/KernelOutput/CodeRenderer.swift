import Foundation
import PCIConfig
import Registry

/// Renders the pieces of kernel code and prose for `CodePlan`s through the templates. The view
/// models here do the logic (which sections apply, hex formatting, wrapping, alignment); the
/// templates hold the words and the shape of the code.
public struct CodeRenderer: Sendable {
    /// The loaded templates.
    public let templates: TemplateSet

    public init(templates: TemplateSet) { self.templates = templates }

    // MARK: - Names and words

    /// `Wangxun SP 10GbE` when the family already starts with the vendor name, else
    /// `<vendor> <family>`.
    static func vendorFamily(_ e: QuirkEntry) -> String {
        let v = CText.singleLine(e.vendorName), f = CText.singleLine(e.family)
        return f.lowercased().hasPrefix(v.lowercased() + " ") || f.lowercased() == v.lowercased() ? f : "\(v) \(f)"
    }

    static func portNoun(_ e: QuirkEntry, plural: Bool) -> String {
        switch e.appliesTo.portType {
        case .rootPort: plural ? "Root Ports" : "Root Port"
        case .downstreamPort: plural ? "Switch Downstream Ports" : "Switch Downstream Port"
        case .rootOrDownstreamPort: plural ? "Root Ports and Switch Downstream Ports" : "port"
        case .endpoint: plural ? "Endpoints" : "Endpoint"
        case .rciep: plural ? "Root Complex Integrated Endpoints" : "Root Complex Integrated Endpoint"
        case .any where e.isolation.kind == .noPeerToPeer: plural ? "devices" : "device"
        case .any: plural ? "ports" : "port"
        }
    }

    /// `SV/RR/CR/UF`.
    static func shortFlags(_ f: ACSFlags) -> String { f.shortNames.joined(separator: "/") }

    /// `PCI_ACS_SV | PCI_ACS_RR | …` pieces.
    static func flagMacros(_ f: ACSFlags) -> [String] { f.shortNames.map { "PCI_ACS_" + $0 } }

    /// `PCI_ACS_RR and PCI_ACS_CR`, `PCI_ACS_SV, PCI_ACS_RR, PCI_ACS_CR and PCI_ACS_UF`.
    static func flagProse(_ f: ACSFlags) -> String { englishList(flagMacros(f)) }

    static func englishList(_ items: [String]) -> String {
        switch items.count {
        case 0: ""
        case 1: items[0]
        default: items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }

    /// `8086:125b, 8086:125c and 8086:0800-080f`.
    static func idList(vendor: UInt16, _ ids: [DeviceIDs]) -> String {
        let v = hex(vendor, width: 4)
        return englishList(ids.map {
            switch $0 {
            case let .id(d): "\(v):\(hex(d, width: 4))"
            case let .range(a, b): "\(v):\(hex(a, width: 4))-\(hex(b, width: 4))"
            }
        })
    }

    /// `0x0710 ... 0x071e` or `0x0721`: a `case` label.
    static func caseLabel(_ ids: DeviceIDs) -> String {
        switch ids {
        case let .id(d): "0x" + hex(d, width: 4)
        case let .range(a, b): "0x\(hex(a, width: 4)) ... 0x\(hex(b, width: 4))"
        }
    }

    /// Registry text for a prose template: paragraphs kept (empty line between), line breaks inside
    /// a paragraph become spaces, and no line starts with the template's `|` marker.
    static func proseField(_ text: String) -> String {
        CText.paragraphs(text).map { words in
            let p = words.joined(separator: " ")
            return p.hasPrefix("|") ? " " + p : p
        }.joined(separator: "\n\n")
    }

    /// One line of registry text (for names inside sentences).
    static func nameField(_ text: String) -> String {
        let s = CText.singleLine(text)
        return s.hasPrefix("|") ? " " + s : s
    }

    // MARK: - Layout

    /// A block comment (`/*`, ` * …`, ` */`) with `indent`, prose wrapped to `CText.commentWrap`
    /// columns and made comment-safe.
    static func blockComment(_ blocks: [Prose.Block], indent: String) -> [String] {
        var out = [indent + "/*"]
        for b in blocks {
            switch b {
            case let .paragraph(words):
                out += CText.wrap(words.map(CText.commentSafe), prefix: indent + " * ", width: CText.commentWrap,
                                  wholeWordWidth: CText.maxColumns)
            case let .verbatim(line):
                let words = CText.words(CText.commentSafe(line))
                out += words.isEmpty ? [indent + " *"] : CText.wrap(words, prefix: indent + " * ", width: CText.commentWrap,
                                                                    wholeWordWidth: CText.maxColumns)
            case .gap:
                out.append(indent + " *")
            }
        }
        out.append(indent + " */")
        return out
    }

    /// `/* text */` on one line when it fits in `CText.commentWrap` columns, else a block comment.
    static func shortComment(_ text: String, indent: String) -> [String] {
        let safe = CText.commentSafe(CText.singleLine(text))
        let line = "\(indent)/* \(safe) */"
        if CText.width(line) <= CText.commentWrap { return [line] }
        return blockComment([.paragraph(CText.words(safe))], indent: indent)
    }

    /// `indent` + `head` + `(` first argument, then the other arguments joined by ` | `, each
    /// continuation line aligned with the open parenthesis and broken before 100 columns.
    static func alignedCall(indent: String, head: String, first: String, rest: [String], terminator: String) -> [String] {
        let line1 = indent + head + "(" + first + ","
        let column = CText.width(indent + head + "(")
        let prefix = String(repeating: "\t", count: column / 8) + String(repeating: " ", count: column % 8)
        var lines: [String] = []
        var current = ""
        for (i, item) in rest.enumerated() {
            let piece = item + (i == rest.count - 1 ? terminator : " |")
            if current.isEmpty {
                current = piece
            } else if CText.width(prefix + current + " " + piece) <= CText.maxColumns {
                current += " " + piece
            } else {
                lines.append(prefix + current)
                current = piece
            }
        }
        lines.append(prefix + current)
        return [line1] + lines
    }

    /// Splits rendered template text into lines (dropping the final line feed).
    static func lines(_ rendered: String) -> [String] {
        var l = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }

    /// Commit message lines from prose blocks: paragraphs wrapped at `CText.commitWrap`, verbatim
    /// lines (subject, trailers) kept. A word git am or checkpatch would read as the end of the
    /// message, a new mail, diff content or a trailer (`---`, `diff`, `Index:`, `From`, `Name:`)
    /// never starts a line: it stays on the line before (a paragraph starting with one is joined
    /// to the paragraph before it).
    static func commitLines(_ blocks: [Prose.Block]) -> [String] {
        var merged: [Prose.Block] = []
        for b in blocks {
            if case let .paragraph(words) = b, let first = words.first, mustNotStartLine(first),
               merged.count >= 2, merged[merged.count - 1] == .gap, case let .paragraph(previous) = merged[merged.count - 2] {
                merged.removeLast(2)
                merged.append(.paragraph(previous + words))
            } else {
                merged.append(b)
            }
        }
        var out: [String] = []
        for b in merged {
            switch b {
            case let .paragraph(words): out += CText.wrap(words, prefix: "", width: CText.commitWrap, keepWithPrevious: mustNotStartLine)
            case let .verbatim(line): out.append(line)
            case .gap: out.append("")
            }
        }
        return out
    }

    /// Whether a word at the start of a commit-message line would be read as something else.
    static func mustNotStartLine(_ word: String) -> Bool {
        if ["diff", "Index:", "From", "@@", ">From"].contains(word) { return true }
        if word.hasPrefix("---") || word.hasPrefix("+++") || word.hasPrefix("-- ") || word == "--" { return true }
        // Trailer-like `Token:` (Signed-off-by:, Link:, Cc:, …).
        if word.count > 1, word.hasSuffix(":"),
           word.dropLast().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
           word.first!.isLetter { return true }
        return false
    }

    // MARK: - View models

    struct Line { let text: String }

    struct RowView { let vendor: String; let device: String; let function: String }

    struct TableRowsView { let indent: String; let commentLines: [Line]; let rows: [RowView] }

    struct RowCommentView { let vendor: String; let family: String; let ownFamilyName: Bool }

    struct ClaimView {
        let vendor: String
        let family: String
        let portNoun: String
        let portNounSingular: String
        let flags: String
        let statement: String?
        let confirmedBy: String?
        let date: String?
        let references: [Line]
        let portsIsolated: Bool
        let noPeerToPeer: Bool
        let acsErratum: Bool
    }

    struct GuardView { let conditionLines: [Line] }

    struct FunctionView {
        let name: String
        let commentLines: [Line]
        let guards: [GuardView]
        let switchStyle: Bool
        let labels: [String]
        let returnLines: [Line]
    }

    struct ListView { let indent: String; let commentLines: [Line]; let labels: [String]; let valueLines: [Line] }

    struct CommitView {
        let subjectName: String
        let vendorFamily: String
        let idList: String
        let statement: String
        let flags: String
        let function: String
        let portNoun: String
        let noPeerToPeer: Bool
        let portsIsolated: Bool
        let acsErratum: Bool
        let rows: Bool
        let newFunction: Bool
        let extendList: Bool
        let unlinkedReferences: [String]
        let links: [String]
        let from: String
        let acks: [String]
    }

    // MARK: - Pieces

    /// The short product comment of a row group: `Intel I226` (`/* … */` added by the caller).
    public func rowComment(_ e: QuirkEntry) -> String {
        let v = CText.singleLine(e.vendorName), f = CText.singleLine(e.family)
        let view = RowCommentView(vendor: Self.nameField(v), family: Self.nameField(f),
                                  ownFamilyName: f.lowercased().hasPrefix(v.lowercased() + " ") || f.lowercased() == v.lowercased())
        return CText.singleLine(templates.render("row-comment", view))
    }

    /// The table rows of a `.rows` or `.newFunction` plan, with their product comment, indented by
    /// one tab. `switchStyle` functions get one `PCI_ANY_ID` row.
    public func tableRows(_ plan: CodePlan) -> [String] {
        let devices: [UInt16?]
        if case .newFunction(_, true) = plan.kind {
            devices = [nil]
        } else {
            devices = plan.devices
        }
        return tableRows(vendor: plan.vendor, devices: devices, function: plan.kind.function,
                         comment: rowComment(plan.entry.entry))
    }

    /// Table rows `{ VENDOR, 0xdddd, function },` (nil device: `PCI_ANY_ID`), after an optional
    /// product comment, indented by one tab.
    public func tableRows(vendor: VendorSpelling, devices: [UInt16?], function: String, comment: String?) -> [String] {
        let view = TableRowsView(
            indent: "\t",
            commentLines: (comment.map { Self.shortComment($0, indent: "") } ?? []).map(Line.init),
            rows: devices.map { RowView(vendor: vendor.description, device: $0.map { "0x" + hex($0, width: 4) } ?? "PCI_ANY_ID",
                                        function: function) })
        return Self.lines(templates.render("table-rows", view))
    }

    /// The claim comment as prose blocks (isolation claim, the vendor's statement, what the quirk
    /// reports, who confirmed it and the references).
    func claimBlocks(_ e: QuirkEntry) -> [Prose.Block] {
        Prose.blocks(templates.render("claim-comment", Self.claimView(e)))
    }

    /// The view of the `claim-comment` template for an entry.
    static func claimView(_ e: QuirkEntry) -> ClaimView {
        let refs: [Line] = (e.evidence?.references ?? []).map { r in
            let title = CText.singleLine(r.title)
            if let u = r.url { return Line(text: title.isEmpty ? u : "\(title): \(u)") }
            return Line(text: title)
        }
        let confirmed = (e.evidence?.confirmedBy ?? []).map(CText.singleLine).filter { !$0.isEmpty }
        return ClaimView(
            vendor: nameField(e.vendorName), family: nameField(e.family),
            portNoun: portNoun(e, plural: true), portNounSingular: portNoun(e, plural: false),
            flags: shortFlags(e.isolation.acsEquivalent),
            statement: e.evidence.map { proseField($0.statement) }.flatMap { $0.isEmpty ? nil : $0 },
            confirmedBy: confirmed.isEmpty ? nil : englishList(confirmed.map(nameField)),
            date: e.evidence?.date, references: refs,
            portsIsolated: e.isolation.kind == .portsIsolated, noPeerToPeer: e.isolation.kind == .noPeerToPeer,
            acsErratum: e.isolation.kind == .acsErratum)
    }

    /// The conditions a new function checks before it answers, from `applies-to`.
    static func guards(_ e: QuirkEntry) -> [GuardView] {
        var guards: [[String]] = []
        func typeGuard(_ types: [String]) -> [String] {
            if types.count == 1 { return ["\tif (!pci_is_pcie(dev) || pci_pcie_type(dev) != \(types[0]))"] }
            var l = ["\tif (!pci_is_pcie(dev) ||"]
            for (i, t) in types.enumerated() {
                let open = i == 0 ? "(" : " "
                let close = i == types.count - 1 ? "))" : " &&"
                l.append("\t    \(open)pci_pcie_type(dev) != \(t)\(close)")
            }
            return l
        }
        if let types = e.appliesTo.portType.types {
            guards.append(typeGuard(types.compactMap(\.kernelMacro)))
        }
        if let mf = e.appliesTo.multifunction {
            guards.append([mf ? "\tif (!dev->multifunction)" : "\tif (dev->multifunction)"])
        }
        if let c = e.appliesTo.classID {
            guards.append(["\tif ((dev->class >> 8) != 0x\(hex(c, width: 4)))"])
        }
        if e.appliesTo.requires.contains(.rootBus) {
            guards.append(["\tif (!pci_is_root_bus(dev->bus))"])
        }
        return guards.map { GuardView(conditionLines: $0.map(Line.init)) }
    }

    /// A new quirk function (`.newFunction` plans): claim comment, the `applies-to` checks
    /// answering -ENOTTY, then `pci_acs_ctrl_enabled(acs_flags, <acs-equivalent>)`.
    public func function(_ plan: CodePlan) -> [String] {
        guard case let .newFunction(name, switchStyle) = plan.kind else { return [] }
        let e = plan.entry.entry
        let indent = switchStyle ? "\t\t" : "\t"
        let view = FunctionView(
            name: name,
            commentLines: Self.blockComment(claimBlocks(e), indent: "").map(Line.init),
            guards: Self.guards(e), switchStyle: switchStyle,
            labels: plan.compressedDevices.map(Self.caseLabel),
            returnLines: Self.alignedCall(indent: indent, head: "return pci_acs_ctrl_enabled", first: "acs_flags",
                                          rest: Self.flagMacros(e.isolation.acsEquivalent), terminator: ");").map(Line.init))
        return Self.lines(templates.render("quirk-function", view))
    }

    /// The lines that extend an ID list (`.extendList` plans) at `site`: a product comment, then
    /// `case` labels (switch) or 8 IDs per line (array).
    public func listExtension(_ plan: CodePlan, site: QuirkFunctionProfile.IDListSite) -> [String] {
        let comment = rowComment(plan.entry.entry)
        switch site {
        case let .switchCases(_, _, indent):
            let view = ListView(indent: indent, commentLines: Self.shortComment(comment, indent: "").map(Line.init),
                                labels: plan.compressedDevices.map(Self.caseLabel), valueLines: [])
            return Self.lines(templates.render("id-cases", view))
        case let .array(_, _, indent):
            var valueLines: [Line] = []
            var chunk: [String] = []
            for d in plan.devices {
                chunk.append("0x" + hex(d, width: 4) + ",")
                if chunk.count == 8 { valueLines.append(Line(text: chunk.joined(separator: " "))); chunk = [] }
            }
            if !chunk.isEmpty { valueLines.append(Line(text: chunk.joined(separator: " "))) }
            let view = ListView(indent: indent, commentLines: Self.shortComment(comment, indent: "").map(Line.init),
                                labels: [], valueLines: valueLines)
            return Self.lines(templates.render("id-array", view))
        }
    }

    /// The commit message: subject (without `[PATCH]`) and body lines (trailers included).
    public func commitMessage(_ plan: CodePlan, from: Identity) -> (subject: String, body: [String]) {
        let e = plan.entry.entry
        let ev = e.evidence ?? Evidence(statement: "")
        // Everyone who confirmed, except the author (who signs off), compared by address.
        let acks = ev.confirmedBy.compactMap(Identity.init).filter { $0.email.lowercased() != from.email.lowercased() }
            .map(\.description)
        var kindRows = false, kindNew = false, kindExtend = false
        switch plan.kind {
        case .rows: kindRows = true
        case .newFunction: kindNew = true
        case .extendList: kindExtend = true
        }
        let view = CommitView(
            subjectName: Self.nameField(Self.vendorFamily(e)), vendorFamily: Self.nameField(Self.vendorFamily(e)),
            idList: Self.idList(vendor: e.vendor, plan.compressedDevices),
            statement: Self.proseField(ev.statement), flags: Self.flagProse(e.isolation.acsEquivalent),
            function: plan.kind.function, portNoun: Self.portNoun(e, plural: true),
            noPeerToPeer: e.isolation.kind == .noPeerToPeer, portsIsolated: e.isolation.kind == .portsIsolated,
            acsErratum: e.isolation.kind == .acsErratum, rows: kindRows, newFunction: kindNew, extendList: kindExtend,
            unlinkedReferences: ev.references.filter { $0.url == nil }.map { Self.nameField($0.title) },
            links: ev.references.compactMap(\.url), from: from.description, acks: acks)
        let blocks = Prose.blocks(templates.render("commit-message", view))
        guard case let .verbatim(subject)? = blocks.first else { return ("", Self.commitLines(blocks)) }
        var rest = Array(blocks.dropFirst())
        while rest.first == .gap { rest.removeFirst() }
        return (subject, Self.commitLines(rest))
    }
}
