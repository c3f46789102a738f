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

    /// Nouns that name the kind of device (singular and plural, lower case): a family name that
    /// ends with one already says what the devices are ("RK3588 Root Ports"), so no noun is
    /// appended to it.
    static let deviceNouns: [(singular: String, plural: String)] = [
        ("root port", "root ports"), ("downstream port", "downstream ports"), ("port", "ports"), ("rp", "rps"),
        ("nic", "nics"), ("device", "devices"), ("endpoint", "endpoints"), ("controller", "controllers"),
        ("switch", "switches"), ("bridge", "bridges"), ("adapter", "adapters"), ("function", "functions"),
        ("rciep", "rcieps"), ("card", "cards"), ("accelerator", "accelerators"), ("gpu", "gpus"),
    ]

    /// Whether the family name ends with a device noun, and whether that noun is plural.
    static func familyNoun(_ family: String) -> (plural: Bool, noun: String)? {
        let f = CText.singleLine(family).lowercased()
        for n in deviceNouns {
            if f == n.plural || f.hasSuffix(" " + n.plural) { return (true, n.plural) }
            if f == n.singular || f.hasSuffix(" " + n.singular) { return (false, n.singular) }
        }
        return nil
    }

    /// The noun for the entry's devices when its family name has none.
    static func typeNoun(_ e: QuirkEntry, plural: Bool) -> String {
        switch (e.appliesTo.portType, e.isolation.kind) {
        case (.rootPort, _): plural ? "Root Ports" : "Root Port"
        case (.downstreamPort, _): plural ? "Switch Downstream Ports" : "Switch Downstream Port"
        case (.rootOrDownstreamPort, _): plural ? "Root Ports and Switch Downstream Ports" : "port"
        case (.rciep, _): plural ? "Root Complex Integrated Endpoints" : "Root Complex Integrated Endpoint"
        case (.any, .portsIsolated): plural ? "ports" : "port"
        default: plural ? "devices" : "device"
        }
    }

    /// The devices as a noun phrase with its number: `Rockchip RK3588 Root Ports` (the family
    /// says the noun), `Example ES-8 Switch Downstream Ports` (the port type adds it; plural
    /// when the entry lists more than one ID). Never a noun twice.
    static func product(_ e: QuirkEntry) -> (text: String, plural: Bool) {
        let name = vendorFamily(e)
        if let n = familyNoun(e.family) { return (name, n.plural) }
        let plural = e.devices.flatMap(\.ids).count != 1
        return (name + " " + typeNoun(e, plural: plural), plural)
    }

    /// What the effect sentence says can be separated: `each Root Port can be in a separate
    /// IOMMU group`, `the functions can be in separate IOMMU groups`.
    static func effect(_ e: QuirkEntry) -> String {
        switch e.isolation.kind {
        case .noPeerToPeer: "the functions can be in separate IOMMU groups"
        case .portsIsolated, .acsErratum: "each \(typeNoun(e, plural: false)) can be in a separate IOMMU group"
        }
    }

    /// Whether the claim reports less than Linux asks for when it forms groups (allowed only with
    /// `isolation.incomplete-reason`): such a quirk splits no IOMMU group.
    static func isPartial(_ e: QuirkEntry) -> Bool {
        e.isolation.kind != .acsErratum && !e.isolation.acsEquivalent.isSuperset(of: .linuxRequired)
    }

    /// `SV/RR/CR/UF`.
    static func shortFlags(_ f: ACSFlags) -> String { f.shortNames.joined(separator: "/") }

    /// `PCI_ACS_SV | PCI_ACS_RR | …` pieces.
    static func flagMacros(_ f: ACSFlags) -> [String] { f.shortNames.map { "PCI_ACS_" + $0 } }

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
    static func blockComment(_ blocks: [Prose.Block], indent: String, column: Int = 0) -> [String] {
        var out = [indent + "/*"]
        for b in blocks {
            switch b {
            case let .paragraph(words):
                out += CText.wrap(words.map(CText.commentSafe), prefix: indent + " * ", width: CText.commentWrap - column,
                                  wholeWordWidth: CText.maxColumns - column)
            case let .verbatim(line):
                let words = CText.words(CText.commentSafe(line))
                out += words.isEmpty ? [indent + " *"] : CText.wrap(words, prefix: indent + " * ", width: CText.commentWrap - column,
                                                                    wholeWordWidth: CText.maxColumns - column)
            case .gap:
                out.append(indent + " *")
            }
        }
        out.append(indent + " */")
        return out
    }

    /// `/* text */` on one line when it fits in `CText.commentWrap` columns, else a block comment;
    /// `column`: where the template places the lines (after its indent).
    static func shortComment(_ text: String, indent: String, column: Int = 0) -> [String] {
        let safe = CText.commentSafe(CText.singleLine(text))
        let line = "\(indent)/* \(safe) */"
        if column + CText.width(line) <= CText.commentWrap { return [line] }
        return blockComment([.paragraph(CText.words(safe))], indent: indent, column: column)
    }

    /// `indent` + `head` + `(` first argument, then the other arguments joined by ` | ` on
    /// continuation lines indented one tab further, as the quirks in drivers/pci/quirks.c write
    /// `pci_acs_ctrl_enabled(acs_flags,` / `PCI_ACS_SV | … );`, broken before `CText.maxColumns`.
    static func continuedCall(indent: String, head: String, first: String, rest: [String], terminator: String) -> [String] {
        let prefix = indent + "\t"
        var lines = [indent + head + "(" + first + ","]
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
        return lines
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
        let product: String
        let plural: Bool
        let flags: String
        let partial: Bool
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
        let subject: String
        let product: String
        let plural: Bool
        let mayBe: Bool
        let idList: String
        let statement: String
        let confirmation: String?
        let partial: Bool
        let flags: String
        let reason: String
        let function: String
        let using: Bool
        let extendList: Bool
        let effect: String
        let noPeerToPeer: Bool
        let hasFootnotes: Bool
        let footnotes: [String]
        let links: [String]
        let ccs: [String]
        let from: String
        let acks: [String]
    }

    struct CoverView {
        let subject: String
        /// Who confirmed it: the vendor's name for a series of one vendor, else "their vendors".
        let confirmedBy: String
        let ports: Bool
        let functions: Bool
        let grouping: Bool
        let confirmers: Bool
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
            commentLines: (comment.map { Self.shortComment($0, indent: "", column: 8) } ?? []).map(Line.init),
            rows: devices.map { RowView(vendor: vendor.description, device: $0.map { "0x" + hex($0, width: 4) } ?? "PCI_ANY_ID",
                                        function: function) })
        return Self.lines(templates.render("table-rows", view))
    }

    /// The claim comment of a new function as prose blocks: the isolation claim in a sentence
    /// (names, addresses, dates and links stay in the commit message).
    func claimBlocks(_ e: QuirkEntry) -> [Prose.Block] {
        Prose.blocks(templates.render("claim-comment", Self.claimView(e)))
    }

    /// The view of the `claim-comment` template for an entry.
    static func claimView(_ e: QuirkEntry) -> ClaimView {
        let (product, plural) = product(e)
        return ClaimView(
            product: nameField(product), plural: plural, flags: shortFlags(e.isolation.acsEquivalent), partial: isPartial(e),
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
            returnLines: Self.continuedCall(indent: indent, head: "return pci_acs_ctrl_enabled", first: "acs_flags",
                                            rest: Self.flagMacros(e.isolation.acsEquivalent), terminator: ");").map(Line.init))
        return Self.lines(templates.render("quirk-function", view))
    }

    /// The lines that extend an ID list (`.extendList` plans) at `site`: a product comment, then
    /// `case` labels (switch) or 8 IDs per line (array).
    public func listExtension(_ plan: CodePlan, site: QuirkFunctionProfile.IDListSite) -> [String] {
        let comment = rowComment(plan.entry.entry)
        switch site {
        case let .switchCases(_, _, indent):
            let view = ListView(indent: indent, commentLines: Self.shortComment(comment, indent: "", column: CText.width(indent)).map(Line.init),
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
            let view = ListView(indent: indent, commentLines: Self.shortComment(comment, indent: "", column: CText.width(indent)).map(Line.init),
                                labels: [], valueLines: valueLines)
            return Self.lines(templates.render("id-array", view))
        }
    }

    /// Whether a reference URL points at public discussion of the change (a mailing-list
    /// archive or a bug tracker), which the kernel cites with `Link:`; other documents (datasheets,
    /// vendor pages) are cited in the body.
    static func isDiscussion(_ url: String) -> Bool {
        guard let u = URL(string: url), let host = u.host?.lowercased() else { return false }
        let archives = ["lore.kernel.org", "lkml.kernel.org", "patch.msgid.link", "lkml.org", "patchwork.kernel.org"]
        return archives.contains(host) || host.hasPrefix("bugzilla.") || u.path.hasSuffix("show_bug.cgi")
    }

    /// The commit message: subject (without `[PATCH]`) and body lines (trailers included).
    ///
    /// In the form of upstream ACS-quirk commits (docs/kernel-output.md): which devices lack an
    /// ACS capability and the vendor's statement, who confirmed it privately and the documents
    /// that say so, then the effect. Trailers: `Link:` for public discussion only (the entry's
    /// `kernel.link` and references on lore or a bugzilla), `Cc:` for the vendor contacts who
    /// confirmed it (`confirmed-by`), the submitter's `Signed-off-by:`, and `Acked-by:` only for
    /// acks given on the list (`kernel.acked-by`); nobody is named twice and the submitter never
    /// acks or copies themself.
    public func commitMessage(_ plan: CodePlan, from: Identity) -> (subject: String, body: [String]) {
        let e = plan.entry.entry
        let ev = e.evidence ?? Evidence(statement: "")
        func same(_ a: Identity, _ b: Identity) -> Bool { a.email.lowercased() == b.email.lowercased() }
        let acks = e.kernel.ackedBy.compactMap(Identity.init).filter { !same($0, from) }
        let confirmers = ev.confirmedBy.compactMap(Identity.init).filter { c in !same(c, from) }
        let ccs = confirmers.filter { c in !acks.contains { same($0, c) } }
        let docs = ev.references.filter { $0.url.map { !Self.isDiscussion($0) } ?? true }
        var footnotes: [String] = []
        var cited: [String] = []
        for r in docs {
            let title = Self.nameField(r.title)
            if let u = r.url {
                footnotes.append("[\(footnotes.count + 1)] \(u)")
                cited.append("\(title) [\(footnotes.count)]")
            } else {
                cited.append(title)
            }
        }
        var confirmation: [String] = []
        if !confirmers.isEmpty {
            confirmation.append("\(Self.englishList(confirmers.map { Self.nameField($0.name) })) confirmed this for "
                                + "\(Self.nameField(e.vendorName)).")
        }
        if !cited.isEmpty { confirmation.append("Documented in \(Self.englishList(cited)).") }
        var links: [String] = []
        for l in [e.kernel.link].compactMap({ $0 }) + ev.references.compactMap(\.url).filter(Self.isDiscussion)
            where !links.contains(l) { links.append(l) }
        let (product, plural) = Self.product(e)
        var using = false, extend = false
        switch plan.kind {
        case let .rows(f): using = f != CodePlanner.mfEndpointFunction
        case .newFunction: break
        case .extendList: extend = true
        }
        let view = CommitView(
            subject: Self.nameField(Self.vendorFamily(e)), product: Self.nameField(product), plural: plural,
            mayBe: e.appliesTo.multifunction == nil, idList: Self.idList(vendor: e.vendor, plan.compressedDevices),
            statement: Self.proseField(ev.statement), confirmation: confirmation.isEmpty ? nil : confirmation.joined(separator: " "),
            partial: Self.isPartial(e), flags: Self.englishList(e.isolation.acsEquivalent.shortNames),
            reason: Self.proseField(e.isolation.incompleteReason ?? ""), function: plan.kind.function, using: using,
            extendList: extend, effect: Self.effect(e), noPeerToPeer: e.isolation.kind == .noPeerToPeer,
            hasFootnotes: !footnotes.isEmpty, footnotes: footnotes, links: links, ccs: ccs.map(\.description),
            from: from.description, acks: acks.map(\.description))
        let blocks = Prose.blocks(templates.render("commit-message", view))
        guard case let .verbatim(subject)? = blocks.first else { return ("", Self.commitLines(blocks)) }
        var rest = Array(blocks.dropFirst())
        while rest.first == .gap { rest.removeFirst() }
        return (subject, Self.commitLines(rest))
    }

    /// The cover letter's subject (without `[PATCH 0/n]`) and blurb lines, for a series of
    /// `plans`: `PCI: Add ACS quirks for <vendors>` (the families when the series has one vendor)
    /// and what the series does in two sentences. `PatchSeries` adds the shortlog and diffstat
    /// as `git format-patch --cover-letter` does.
    public func coverLetter(_ plans: [CodePlan]) -> (subject: String, blurb: [String]) {
        let entries = plans.map(\.entry.entry)
        var vendors: [String] = []
        for e in entries where !vendors.contains(CText.singleLine(e.vendorName)) { vendors.append(CText.singleLine(e.vendorName)) }
        let subject: String
        if vendors.count == 1 {
            let families = entries.map { CText.singleLine($0.family) }
            subject = families.count <= 3 ? "\(vendors[0]) " + Self.englishList(families)
                : "\(families.count) \(vendors[0]) device families"
        } else {
            subject = vendors.count <= 3 ? Self.englishList(vendors) + " devices" : "devices of \(vendors.count) vendors"
        }
        let view = CoverView(
            subject: Self.nameField(subject), confirmedBy: vendors.count == 1 ? vendors[0] : "their vendors", ports: entries.contains { $0.isolation.kind != .noPeerToPeer },
            functions: entries.contains { $0.isolation.kind == .noPeerToPeer }, grouping: !entries.contains(where: Self.isPartial),
            confirmers: entries.contains { !($0.evidence?.confirmedBy.isEmpty ?? true) })
        let blocks = Prose.blocks(templates.render("cover-letter", view))
        guard case let .verbatim(s)? = blocks.first else { return ("", Self.commitLines(blocks)) }
        var rest = Array(blocks.dropFirst())
        while rest.first == .gap { rest.removeFirst() }
        return (s, Self.commitLines(rest))
    }
}
