import Diagnostics
import Foundation
import LinuxPCI
import PCIConfig
import Registry

/// The kinds of finding, with their severity.
public enum CheckRule: String, Hashable, Sendable, CaseIterable, Codable {
    /// The entry's `applies-to.port-type` does not match the device (new/submitted: error).
    case portType = "port-type"
    /// `applies-to.multifunction` differs from Linux's flag for the device (new/submitted: error).
    case multifunction
    /// `applies-to.class` differs (new/submitted: error).
    case classID = "class"
    /// A `requires` condition config space shows is not met (root bus, ACS capability) (new/submitted: error).
    case requirement
    /// An upstream quirk lists this device ID but its conditions exclude it (note).
    case notApplicable = "not-applicable"
    /// The device advertises ACS with RR and CR: a new/submitted entry is unnecessary (error).
    case hasACS = "has-acs"
    /// The device has an ACS capability without RR or CR, which Linux already passes (warning).
    case partialACS = "partial-acs"
    /// An upstream quirk overrides a real ACS capability with RR and CR (warning).
    case overridesACS = "overrides-acs"
    /// Extended config space not readable: ACS cannot be checked (note).
    case acsUnknown = "acs-unknown"
    /// The ACS registers of an erratum entry decoded with its layout (note; warning if not enabled).
    case acsErratum = "acs-erratum"
    /// An earlier kernel row answers first, so this upstream row never decides (warning).
    case shadowed
    /// The kernel already answers for the device a new entry names (warning if "isolated", note otherwise).
    case alreadyAnswered = "already-answered"
    /// What the entry changes in this machine's IOMMU groups (note).
    case effect
    /// A function that shares its IOMMU group because of missing ACS and that no entry covers (note).
    case noEntry = "no-entry"
    /// A function that shares its IOMMU group because its ACS capability's controls are off in the
    /// input (no entry needed: Linux enables them with an IOMMU) (note).
    case acsDisabled = "acs-disabled"

    /// The severity of findings of this kind (some are raised for new/submitted entries only).
    public var contradicts: Bool {
        switch self {
        case .portType, .multifunction, .classID, .requirement, .hasACS: true
        default: false
        }
    }
}

extension CheckRule {
    /// One sentence: what a finding of this kind says (SARIF's `shortDescription`).
    public var shortDescription: String {
        switch self {
        case .portType: "The entry's applies-to.port-type does not match the device."
        case .multifunction: "The entry's applies-to.multifunction differs from Linux's multifunction flag for the device."
        case .classID: "The entry's applies-to.class differs from the device's class code."
        case .requirement: "A requires condition of the entry is not met by the device's config space."
        case .notApplicable: "An upstream quirk lists the device ID but its conditions exclude the device."
        case .hasACS: "The device advertises ACS with RR and CR: Linux uses it, so a new entry is unnecessary."
        case .partialACS: "The device has an ACS capability without RR or CR, which Linux already passes."
        case .overridesACS: "An upstream quirk overrides a real ACS capability with RR and CR."
        case .acsUnknown: "Extended config space is not readable: ACS cannot be checked."
        case .acsErratum: "The ACS registers of an erratum entry, decoded with its register layout."
        case .shadowed: "An earlier kernel row answers first, so this upstream row never decides."
        case .alreadyAnswered: "The kernel already answers for the device a new entry names."
        case .effect: "What the entry changes in this machine's IOMMU groups."
        case .noEntry: "A function shares its IOMMU group because of missing ACS and no entry covers it."
        case .acsDisabled: "A function shares its IOMMU group because its ACS controls are off in the input."
        }
    }

    /// The severity of this kind's findings where it does not depend on the entry's status.
    public var defaultSeverity: Diagnostic.Severity {
        switch self {
        case .portType, .multifunction, .classID, .requirement, .hasACS: .error
        case .partialACS, .overridesACS, .shadowed, .alreadyAnswered: .warning
        case .notApplicable, .acsUnknown, .acsErratum, .effect, .noEntry, .acsDisabled: .note
        }
    }

    /// Every kind of finding as the reporters describe it (SARIF's `driver.rules`).
    public static var descriptors: [DiagnosticRule] {
        allCases.map { DiagnosticRule(id: $0.rawValue, shortDescription: $0.shortDescription, defaultSeverity: $0.defaultSeverity) }
    }

    /// A finding of this kind about the function `bdf` (`vvvv:dddd` `id`), read from the dump
    /// `input` (`nil`: this machine): at `position` of the entry file `path` when it is about an
    /// entry's field, else about the function alone.
    public func finding(_ severity: Diagnostic.Severity, path: String?, position: SourcePosition?, bdf: String, id: String,
                        input: String?, message: String, help: String? = nil) -> Diagnostic {
        Diagnostic(severity, Diagnostic.Location(file: path, line: position?.line, column: position?.column,
                                                 device: Diagnostic.Device(bdf: bdf, id: id, input: input)),
                   rule: rawValue, message: message, help: help)
    }
}

/// One entry checked against one function it covers.
public struct EntryFunctionCheck: Hashable, Sendable, Codable {
    /// The entry's file and line.
    public var path: String
    public var line: Int
    /// `Intel 82574L`.
    public var family: String
    /// `upstream`, `submitted`, `new`.
    public var status: String
    /// The kernel function (upstream entries).
    public var function: String?
    public var bdf: String
    public var id: String
    /// pci.ids name when read.
    public var name: String?
    /// `multifunction endpoint`, `root port`, ...
    public var kind: String
    public var conditions: [ConditionCheck]
    /// The ACS capability as read (with the entry's register layout for erratum entries).
    public var acs: String
    /// What the entry's quirk function answers for the device (`isolated`, `not-isolated`, `pass`),
    /// when the quirk semantics could be evaluated.
    public var answer: String?
    /// Which kernel row decides for the device today (upstream entries only), in words.
    public var kernel: String?
    /// What the entry changes in this machine's IOMMU groups, in words (one line per change).
    public var effect: [String]
}

/// A device whose missing ACS makes other functions share its IOMMU group, and that no entry
/// covers: what a vendor would need to confirm.
public struct UncoveredDevice: Hashable, Sendable, Codable {
    /// The function at fault (the bridge whose path is not isolated, or the first function of a
    /// multifunction device without ACS).
    public var bdf: String
    public var id: String
    public var name: String?
    public var kind: String
    /// Why it is not isolated (the predictor's verdict), e.g. "root port 8086:3a40 has no ACS capability ...".
    public var reason: String
    /// Every function in the IOMMU group(s) it makes shared, in address order.
    public var sharedWith: [String]
    /// What a vendor would need to confirm, and the command that starts the entry; or, when
    /// `needsEntry` is false, why no entry is needed.
    public var suggestion: String
    /// False when the device has an ACS capability whose controls are merely off in the input
    /// (a dump taken without an IOMMU): Linux enables them, no vendor statement is needed.
    public var needsEntry: Bool
    /// Whether the device has no PCI Express capability (conventional PCI is never isolated by ACS).
    public var conventional: Bool
}

/// Everything `acsquirk check` reports (`--format json` is this value with sorted keys).
public struct CheckReport: Hashable, Sendable, Codable {
    /// The dump file name, or `this machine (sysfs)`.
    public var source: String
    /// The kernel profile the groups were predicted for, when they were.
    public var kernel: String?
    /// Entries loaded, and how many are upstream.
    public var entries: Int
    public var upstreamEntries: Int
    /// Functions read (all-ones functions excluded).
    public var functions: Int
    /// One element per entry and covered function worth reporting, in file then address order.
    public var checks: [EntryFunctionCheck]
    /// Devices without an entry whose missing ACS shares an IOMMU group.
    public var uncovered: [UncoveredDevice]
    /// Every finding, sorted.
    public var findings: [Diagnostic]
    /// Assumptions and input limits the analysis made (from the group predictor and the reader).
    public var notes: [String]

    public var errors: Int { findings.errorCount }
    public var warnings: Int { findings.warningCount }
    /// Whether some entry contradicts its device (exit 1).
    public var hasContradictions: Bool { errors > 0 }

    /// The JSON format name and version (`JSONOutput`); bumped when a field changes meaning or goes away.
    public static let format = "acsquirk-check/1"

    /// The JSON document (`JSONOutput`, docs/schemas/check.schema.json).
    public func json() -> String { JSONOutput.encode(self, format: CheckReport.format) }

    /// GitHub Actions workflow commands (`GitHubReporter`): `::error file=…,line=…,col=…,title=acsquirk
    /// check <rule>::[rule] message` for every finding (`::notice` for notes), so the entry's line is
    /// annotated, then the summary as a notice.
    public func github() -> String {
        GitHubReporter.render(findings, titlePrefix: "acsquirk check ")
            + runNotes.map { GitHubReporter.command($0.0 == .warning ? "warning" : "notice", [("title", "acsquirk check")], $0.1) }
                .joined()
            + GitHubReporter.command("notice", [("title", "acsquirk check")], summary)
    }

    /// The findings as a SARIF 2.1.0 log (`SARIFReporter`) from acsquirk `toolVersion`, with every
    /// kind of finding as a rule; paths under `root` relative to it. `runNotes` are the
    /// invocation's notifications.
    public func sarif(toolVersion: String, root: String = FileManager.default.currentDirectoryPath) -> String {
        SARIFReporter(toolName: "acsquirk", toolVersion: toolVersion, rules: CheckRule.descriptors, root: root)
            .render(findings, notifications: runNotes)
    }

    /// The notes no format may drop, as the text and JSON list them: a `warning` (the out-of-tree
    /// `pcie_acs_override=` asserts isolation nobody confirmed) and a `platform` note (the IOMMU
    /// off on the command line: no groups at all; a platform whose groups ACS does not form).
    /// GitHub annotations and SARIF, which carry findings, carry these too.
    var runNotes: [(Diagnostic.Severity, String)] {
        notes.compactMap { n in
            if n.hasPrefix("warning: ") { return (.warning, String(n.dropFirst("warning: ".count))) }
            if n.hasPrefix("platform: ") { return (.note, String(n.dropFirst("platform: ".count))) }
            return nil
        }
    }

    /// One line: `34 entries, 2 of them covering 6 of 21 functions; 1 error, 0 warnings, 2 notes; 1 device without an entry sharing a group`.
    public var summary: String {
        func n(_ k: Int, _ w: String) -> String { "\(k) \(w)\(k == 1 ? "" : "s")" }
        let notesCount = findings.noteCount
        let checkedEntries = Set(checks.map(\.path)).count
        let checkedFunctions = Set(checks.map(\.bdf)).count
        return "\(entries) entr\(entries == 1 ? "y" : "ies"), \(checkedEntries) of them covering \(checkedFunctions) of \(n(functions, "function")); "
            + "\(n(errors, "error")), \(n(warnings, "warning")), "
            + "\(n(notesCount, "note")); \(n(uncovered.filter(\.needsEntry).count, "device")) without an entry sharing a group"
    }

    /// The text format: per entry the functions it covers (conditions, ACS, kernel, effect), the
    /// findings as `path:line:col: severity: [rule] message`, the devices without an entry, the
    /// notes and a summary line. `paint` styles parts (identity without colour).
    public func text(paint: (String, TextStyle) -> String = { s, _ in s }) -> String {
        var out = "acsquirk check: \(source)" + (kernel.map { ", kernel \($0)" } ?? "") + "\n"
        var lastPath: String?
        var previous: EntryFunctionCheck?
        for c in checks {
            if c.path != lastPath {
                out += "\n" + paint("\(c.path):\(c.line)", .header) + "  \(c.family) (\(c.status)"
                    + (c.function.map { ", \($0)" } ?? "") + ")\n"
                lastPath = c.path
            }
            out += "  " + paint(shortBDF(c.bdf), .header) + " [\(c.id)] \(c.kind)" + (c.name.map { ": \($0)" } ?? "") + "\n"
            if !c.conditions.isEmpty {
                let conds = c.conditions.map { cond -> String in
                    switch cond.state {
                    case .holds: "\(cond.name.rawValue) \(cond.expected) " + paint("ok", .good)
                    case .fails: "\(cond.name.rawValue) \(cond.expected) " + paint("FAILS", .bad) + " (is \(cond.actual))"
                    case .assumed: "\(cond.name.rawValue): " + paint(cond.actual, .detail)
                    }
                }
                out += "      conditions: " + conds.joined(separator: "; ") + "\n"
            }
            out += "      acs: \(c.acs)\n"
            if let a = c.answer { out += "      answers: \(a)\n" }
            if let k = c.kernel { out += "      kernel: \(k)\n" }
            if let prev = previous, prev.path == c.path, prev.effect == c.effect, !c.effect.isEmpty {
                out += "      effect: as for \(shortBDF(prev.bdf))\n"
            } else {
                for e in c.effect { out += "      effect: \(e)\n" }
                previous = c
            }
        }
        let listed: Set<String?> = [CheckRule.effect.rawValue, CheckRule.noEntry.rawValue, CheckRule.acsDisabled.rawValue]
        let problems = findings.filter { $0.severity != .note || !listed.contains($0.rule) }
        if !problems.isEmpty {
            out += "\n" + paint("Findings", .header) + "\n"
            for f in problems {
                out += "  " + TextReporter.line(f) { s, part in
                    guard case let .severity(severity) = part else { return s }
                    return paint(s, severity == .error ? .bad : severity == .warning ? .warn : .detail)
                } + "\n"
            }
        }
        let needed = uncovered.filter(\.needsEntry)
        let pcie = needed.filter { !$0.conventional }
        let conventional = needed.filter(\.conventional)
        if !needed.isEmpty {
            out += "\n" + paint("Devices without an entry whose missing ACS shares an IOMMU group", .header)
                + " (no entry; this is what a vendor would need to confirm)\n"
            for u in pcie {
                out += "  " + paint(shortBDF(u.bdf), .header) + " [\(u.id)] \(u.kind)" + (u.name.map { ": \($0)" } ?? "") + "\n"
                out += "      why: \(u.reason)\n"
                out += "      shares a group with: \(u.sharedWith.map(shortBDF).joined(separator: " "))\n"
                out += "      needed: \(u.suggestion)\n"
            }
            if !conventional.isEmpty {
                out += "  Conventional PCI functions (no PCI Express capability, never isolated by ACS; only a quirk that "
                    + "vouches for the device splits them):\n"
                for u in conventional {
                    out += "  " + paint(shortBDF(u.bdf), .header) + " [\(u.id)]" + (u.name.map { " \($0)" } ?? "")
                        + "\n      shares a group with: \(u.sharedWith.map(shortBDF).joined(separator: " "))\n"
                }
            }
        }
        let disabled = uncovered.filter { !$0.needsEntry }
        if !disabled.isEmpty {
            out += "\n" + paint("Devices whose ACS capability is not enabled in this input", .header) + " (no entry needed)\n"
            for u in disabled {
                out += "  " + paint(shortBDF(u.bdf), .header) + " [\(u.id)] \(u.kind)" + (u.name.map { ": \($0)" } ?? "") + "\n"
                out += "      why: \(u.reason)\n"
                out += "      shares a group with: \(u.sharedWith.map(shortBDF).joined(separator: " "))\n"
                out += "      \(u.suggestion)\n"
            }
        }
        if !notes.isEmpty {
            out += "\n" + paint("Notes", .header) + "\n"
            for n in notes { out += "  - \(n)\n" }
        }
        out += "\n" + summary + "\n"
        return out
    }

    /// Styles for `text(paint:)`.
    public enum TextStyle: Sendable { case header, good, bad, warn, detail }

    /// `bb:dd.f` when the report is all domain 0, else the full BDF.
    func shortBDF(_ bdf: String) -> String {
        bdf.hasPrefix("0000:") && allDomainZero ? String(bdf.dropFirst(5)) : bdf
    }

    var allDomainZero: Bool {
        checks.allSatisfy { $0.bdf.hasPrefix("0000:") } && uncovered.allSatisfy { $0.bdf.hasPrefix("0000:") }
            && uncovered.allSatisfy { $0.sharedWith.allSatisfy { $0.hasPrefix("0000:") } }
    }
}
