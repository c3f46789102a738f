import Foundation
import PCIConfig
import Registry

/// What a quirk function (and the helpers and ID arrays it uses) says, read from its tokens.
struct FunctionFacts {
    var portType: AppliesTo.PortTypeCondition = .any
    /// `true`: `!dev->multifunction` answers -ENOTTY/-ENODEV (multifunction only); `false`:
    /// `dev->multifunction` does (single-function only); nil: not checked.
    var multifunction: Bool?
    /// `(dev->class >> 8) != 0xCCSS` answers -ENOTTY: the class code it requires.
    var classID: UInt16?
    var requires: [AppliesTo.Requirement] = []
    var ids: [DeviceIDs] = []
    var idSource = ""
    var unlistedNotIsolated = false
    var erratum = false
    var portsIsolated = false
    var equivalent: ACSFlags = []
    var conditionalOnACPI = false
    var statement = ""
    var references: [Evidence.Reference] = []

    static let flagMacros: [String: ACSFlags] = [
        "PCI_ACS_SV": .sv, "PCI_ACS_TB": .tb, "PCI_ACS_RR": .rr, "PCI_ACS_CR": .cr, "PCI_ACS_UF": .uf,
        "PCI_ACS_EC": .ec, "PCI_ACS_DT": .dt,
    ]

    static func analyze(_ name: String, in src: QuirksSource) -> FunctionFacts {
        var f = FunctionFacts()
        // The function and the pci_quirk_* helpers/arrays it uses, transitively (breadth first).
        var order = [name]
        var k = 0
        while k < order.count {
            for t in src.definition(order[k])?.body ?? [] where t.kind == .identifier && t.text.hasPrefix("pci_quirk_")
                && src.definition(t.text) != nil && !order.contains(t.text) {
                order.append(t.text)
            }
            k += 1
        }
        let defs = order.compactMap { src.definition($0) }
        let all = defs.flatMap(\.body)
        let code = all.filter { $0.kind != .comment && $0.kind != .directive }
        let idents = Set(code.filter { $0.kind == .identifier }.map(\.text))

        // Conditions.
        // A PCIe type the functions compare with, by its kernel name (`PCIExpressPortType.kernelMacro`).
        func named(_ type: PCIExpressPortType) -> Bool { type.kernelMacro.map(idents.contains) ?? false }
        let root = named(.rootPort), down = named(.downstreamPort)
        if named(.rcIntegratedEndpoint) { f.portType = .rciep }
        else if root && down { f.portType = .rootOrDownstreamPort }
        else if root { f.portType = .rootPort }
        else if down { f.portType = .downstreamPort }
        else if named(.endpoint) || named(.legacyEndpoint) { f.portType = .endpoint }
        if let m = code.indices.first(where: { code[$0].kind == .identifier && code[$0].text == "multifunction" }) {
            // `!dev->multifunction` (or `!pdev->multifunction`): multifunction devices only.
            f.multifunction = m >= 3 && code[m - 1].text == "->" && code[m - 3].text == "!"
        }
        for c in code.indices where code[c].kind == .identifier && code[c].text == "class" && c > 0 && code[c - 1].text == "->" {
            // `(dev->class >> 8) != 0xCCSS`
            var j = c + 1
            while j < min(code.count, c + 6), code[j].text != "!=" { j += 1 }
            if j + 1 < code.count, code[j].text == "!=", let v = CTokenizer.integer(code[j + 1].text), v >= 0, v <= 0xffff,
               code[c + 1].text == ">>" {
                f.classID = UInt16(v)
            }
        }
        if code.contains(where: { $0.kind == .string && $0.text == "\"IVRS\"" }) { f.requires.append(.amdIVRS) }
        if idents.contains("PCI_DEV_FLAGS_ACS_ENABLED_QUIRK") { f.requires.append(.intelPCHRCBAWorkaround) }
        if idents.contains("acs_cap") { f.requires.append(.acsCapability) }
        if idents.contains("pci_is_root_bus") { f.requires.append(.rootBus) }
        f.conditionalOnACPI = all.contains { $0.kind == .directive && $0.text.contains("CONFIG_ACPI") }

        // Device IDs: case labels, then arrays.
        for d in defs {
            let c = d.body.filter { $0.kind != .comment && $0.kind != .directive }
            var i = 0
            var found = false
            while i < c.count {
                if c[i].text == "case", i + 2 < c.count, let a = CTokenizer.integer(c[i + 1].text) {
                    if c[i + 2].text == "...", i + 3 < c.count, let b = CTokenizer.integer(c[i + 3].text) {
                        f.ids.append(.range(first: UInt16(truncatingIfNeeded: a), last: UInt16(truncatingIfNeeded: b)))
                        i += 4
                    } else {
                        f.ids.append(.id(UInt16(truncatingIfNeeded: a)))
                        i += 2
                    }
                    found = true
                    continue
                }
                i += 1
            }
            if !d.isFunction {
                for t in c where t.kind == .number { if let v = CTokenizer.integer(t.text) { f.ids.append(.id(UInt16(truncatingIfNeeded: v))) } }
                if !c.isEmpty { found = true }
                if found { f.idSource = "\(d.name)[]" }
            } else if found {
                f.idSource = "the switch in \(d.name)()"
            }
            if found && d.isFunction && d.name == name {
                // `switch (...) { ... }` then `return false;` / `return 0;`: a final "not isolated".
                if let s = c.firstIndex(where: { $0.text == "switch" }) {
                    var j = s
                    while j < c.count, c[j].text != "{" { j += 1 }
                    var depth = 0
                    while j < c.count {
                        if c[j].text == "{" { depth += 1 } else if c[j].text == "}" { depth -= 1; if depth == 0 { break } }
                        j += 1
                    }
                    if j + 2 < c.count, c[j + 1].text == "return", c[j + 2].text == "false" || c[j + 2].text == "0" {
                        f.unlistedNotIsolated = true
                    }
                }
            }
        }

        // Reported controls: pci_acs_ctrl_enabled(acs_flags, X) and masks on acs_flags.
        var reported: ACSFlags = []
        var mask: ACSFlags = .all
        var cleared: ACSFlags = []
        var i = 0
        while i < code.count {
            if code[i].text == "pci_acs_ctrl_enabled", i + 1 < code.count, code[i + 1].text == "(" {
                var j = i + 2, depth = 1, comma = false
                var arg2: [CToken] = []
                while j < code.count, depth > 0 {
                    let t = code[j]
                    if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1; if depth == 0 { break } }
                    if depth == 1 && t.text == "," { comma = true } else if comma { arg2.append(t) }
                    j += 1
                }
                for t in arg2 where t.kind == .identifier {
                    if let fl = flagMacros[t.text] { reported.formUnion(fl) } else { f.erratum = true }
                }
                i = j
                continue
            }
            if code[i].text == "acs_flags", i + 1 < code.count, code[i + 1].text == "&=" {
                var j = i + 2
                let negate = j < code.count && code[j].text == "~"
                var fl: ACSFlags = []
                while j < code.count, code[j].text != ";" {
                    if let x = flagMacros[code[j].text] { fl.formUnion(x) }
                    j += 1
                }
                if negate { cleared.formUnion(fl) } else { mask.formIntersection(fl) }
                i = j
                continue
            }
            i += 1
        }
        // A request bit is satisfied when it is masked away, cleared, or reported:
        // equivalent = (ALL - mask) ∪ cleared ∪ reported.
        f.equivalent = ACSFlags.all.subtracting(mask).union(cleared).union(reported)
        if f.erratum { f.equivalent = ACSFlags.linuxRequired }

        // The statement: the comment before the function and before each helper, and the
        // multi-line comments inside the function itself.
        var paragraphs: [String] = []
        var refs: [Evidence.Reference] = []
        func take(_ comment: String) {
            var para: [String] = []
            func flush() {
                if !para.isEmpty {
                    // Kernel comments put two spaces after a full stop; one is kept.
                    paragraphs.append(para.joined(separator: " ").split(separator: " ").joined(separator: " "))
                }
                para = []
            }
            for line in CTokenizer.commentLines(comment) {
                let l = line.trimmingCharacters(in: .whitespaces)
                if l.isEmpty { flush(); continue }
                if let m = l.range(of: #"^(\[[0-9]+\] *)?https?://[^ ]+$"#, options: .regularExpression) {
                    let s = String(l[m])
                    let label = s.hasPrefix("[") ? String(s[..<s.firstIndex(of: "]")!]) + "]" : nil
                    let url = String(s[s.range(of: "http")!.lowerBound...])
                    let title = label.map { "drivers/pci/quirks.c, \(name)() comment, reference \($0)" }
                        ?? "drivers/pci/quirks.c, \(name)() comment"
                    refs.append(Evidence.Reference(title: title, url: url))
                    flush()
                    continue
                }
                if l.range(of: #"^(0x[0-9a-fA-F]{4}|[0-9a-fA-F]{4}:[0-9a-fA-F]{4})\b"#, options: .regularExpression) != nil {
                    flush()
                    continue
                }
                para.append(l)
            }
            flush()
        }
        for d in defs {
            if let c = d.leadingComment { take(c) }
            if d.name == name {
                for t in d.body where t.kind == .comment && t.endLine > t.line { take(t.text) }
            }
        }
        f.statement = paragraphs.joined(separator: "\n")
        f.references = refs
        f.portsIsolated = f.portType == .rootPort || f.portType == .downstreamPort || f.portType == .rootOrDownstreamPort
            || f.statement.lowercased().contains("root port")
        return f
    }
}
