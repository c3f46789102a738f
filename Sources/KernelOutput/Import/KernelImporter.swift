import Diagnostics
import Foundation
import PCIConfig
import Registry
import SafeFiles

/// Registry entries for a kernel tree's `pci_dev_acs_enabled[]` (drivers/pci/quirks.c), read
/// through the one reader of that file (`QuirksSource`), with the conditions and ID lists that
/// live inside the quirk functions (`FunctionFacts`): PCIe type checks (`PCI_EXP_TYPE_*`),
/// `dev->multifunction`, `pci_is_root_bus`, the ACPI `IVRS` lookup, `dev->acs_cap`,
/// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`, `switch`/`case` ID ranges, ID arrays, the flags passed to
/// `pci_acs_ctrl_enabled()` and masks applied to `acs_flags`, and whether an unlisted ID falls
/// through to `return false` (a final "not isolated").
///
/// Rows are grouped into families by the registry itself: a row belongs to the upstream entry
/// that records it (same vendor and function, its device among the entry's `kernel.table`
/// rows), and keeps that entry's vendor name, family, first mainline release and curated notes.
/// Rows no entry records are grouped by vendor, function and table comment, so a newer kernel
/// still imports completely.
public enum KernelImporter {
    /// The result of an import.
    public struct Result: Sendable {
        /// Entries in table order of their first row.
        public var entries: [QuirkEntry]
        /// Kernel version from the tree's Makefile, e.g. `6.12.117`.
        public var kernelVersion: String
        /// Number of table rows read.
        public var rowCount: Int
    }

    /// Imports the whole table of the kernel tree at `tree`; `known` are the registry's entries
    /// (families and vendor names come from them; pass [] for none).
    /// - Throws: `.tree` naming the file and line when something is missing or unexpected, or
    ///   when two families would be written to one file.
    public static func importTree(_ tree: String, known: [QuirkEntry] = []) throws(KernelOutputError) -> Result {
        let files = try KernelTreeFiles(root: tree)
        if files.macros.defines.isEmpty {
            throw .tree(Diagnostic.Location(file: files.idsPath), "no '#define NAME 0x....' lines found")
        }
        let source = try files.source()
        let version = try version(tree)
        let entries = entries(of: source, known: known, version: version)
        // Two families must not land in one file.
        var paths: [String: String] = [:]
        for e in entries {
            let p = RegistryWriter.path(for: e, root: "")
            if let other = paths[p] {
                throw .tree(Diagnostic.Location(file: files.quirksPath), "families '\(other)' and '\(e.family)' would both be written to \(p)")
            }
            paths[p] = e.family
        }
        return Result(entries: entries, kernelVersion: version, rowCount: source.table.rows.count)
    }

    /// Notes the importer writes from the tree itself (recomputed on every import; a known
    /// entry's other note lines are curated and kept).
    static func isGeneratedNote(_ line: String) -> Bool {
        line.hasPrefix("Table comment: ") || line.hasPrefix("Device IDs from ") || line.hasPrefix("The table row is PCI_ANY_ID")
            || line.hasSuffix("(not isolated), which ends the table walk.")
            || line.hasPrefix("The function body is compiled only with CONFIG_ACPI")
            || line.hasPrefix("First mainline release not recorded; present in stable")
    }

    /// The entries of a parsed quirks.c: rows grouped into families (`known` upstream entries
    /// first, see the type's description), function bodies analyzed. `version` (the tree's
    /// Makefile version, nil when unknown) bounds `kernel.since` of rows no entry records.
    public static func entries(of src: QuirksSource, known: [QuirkEntry] = [], version: String? = nil) -> [QuirkEntry] {
        var analyses: [String: FunctionFacts] = [:]
        func facts(_ f: String) -> FunctionFacts {
            if let a = analyses[f] { return a }
            let a = FunctionFacts.analyze(f, in: src)
            analyses[f] = a
            return a
        }
        let families = known.filter { $0.kernel.status == .upstream && $0.kernel.function != nil }
        func family(of r: ACSTableRow) -> Int? {
            families.firstIndex { e in
                e.vendor == r.vendor && e.kernel.function == r.function && e.kernel.table.contains { $0.device == r.device }
            }
        }

        // Group rows into families.
        struct Group { var known: Int?; var rows: [ACSTableRow] }
        var groups: [Group] = []
        for r in src.table.rows {
            if let k = family(of: r) {
                if let gi = groups.firstIndex(where: { $0.known == k }) { groups[gi].rows.append(r) }
                else { groups.append(Group(known: k, rows: [r])) }
                continue
            }
            // A row no entry records: continue the previous such group if same vendor and
            // function, no new comment and not a PCI_ANY_ID row; else start one.
            if let last = groups.last, last.known == nil, let lr = last.rows.last,
               lr.vendor == r.vendor, lr.function == r.function, lr.device != nil, r.device != nil, r.leadingComments.isEmpty {
                groups[groups.count - 1].rows.append(r)
            } else {
                groups.append(Group(known: nil, rows: [r]))
            }
        }

        var entries: [QuirkEntry] = []
        for g in groups {
            let first = g.rows[0]
            let fn = first.function
            let f = facts(fn)
            let spec = g.known.map { families[$0] }
            let vendorName = spec?.vendorName ?? vendorName(first, known: known)
            let anyRow = g.rows.contains { $0.device == nil }
            var devices: [DeviceIDs]
            var unlisted = KernelStatus.UnlistedAnswer.pass
            if anyRow {
                devices = f.ids.isEmpty ? [.range(first: 0x0000, last: 0xffff)] : f.ids
                if f.unlistedNotIsolated { unlisted = .notIsolated }
            } else {
                devices = g.rows.compactMap { $0.device.map(DeviceIDs.id) }
            }
            let family = spec?.family ?? fallbackFamily(g.rows, function: fn, vendorName: vendorName)
            var notes: [String] = []
            for c in g.rows.flatMap({ $0.leadingComments + ($0.trailingComment.map { [$0] } ?? []) }) where !c.isEmpty {
                notes.append("Table comment: \(c)")
            }
            if anyRow {
                if !f.ids.isEmpty { notes.append("Device IDs from \(f.idSource); the table row is PCI_ANY_ID.") }
                else { notes.append("The table row is PCI_ANY_ID and \(fn)() checks no device ID.") }
                if unlisted == .notIsolated {
                    notes.append("Other \(vendorName) devices that \(fn)() accepts get 0 (not isolated), which ends the table walk.")
                }
            }
            if f.conditionalOnACPI { notes.append("The function body is compiled only with CONFIG_ACPI; otherwise it answers -ENODEV.") }
            var since: String?
            if let spec, let s = spec.kernel.since {
                // The registry's record of the first mainline release and its curated notes.
                since = s
                notes += (spec.kernel.note ?? "").split(separator: "\n").map(String.init).filter { !isGeneratedNote($0) }
            } else if let version, let r = KernelRelease("v" + version), r.sublevel == nil {
                // A mainline tree (or release candidate) bounds the first release from above.
                since = "<=" + r.mainline
                notes.append("First mainline release not recorded; \(r.mainline) has it.")
            } else {
                // A stable tree can carry back-ports from later mainline releases: its version
                // says nothing about the first mainline release (lint reports upstream-incomplete).
                notes.append("First mainline release not recorded; present in stable \(version ?? "tree"), which may carry back-ports from later releases.")
            }
            let applies = AppliesTo(portType: f.portType, multifunction: f.multifunction, classID: f.classID,
                                    requires: f.requires, registerLayout: f.erratum ? .intelSPTDword : .standard)
            let kind: Isolation.Kind = f.erratum ? .acsErratum : f.portsIsolated ? .portsIsolated : .noPeerToPeer
            let table = g.rows.map { KernelStatus.TableRow(row: $0.position, device: $0.device, vendorMacro: $0.vendorMacro) }
            let evidence = Evidence(statement: f.statement.isEmpty ? "(no comment in drivers/pci/quirks.c)" : f.statement,
                                    confirmedBy: [], references: f.references, date: nil)
            entries.append(QuirkEntry(
                vendor: first.vendor, vendorName: vendorName, family: family, devices: devices, appliesTo: applies,
                isolation: Isolation(kind: kind, acsEquivalent: f.equivalent), evidence: evidence,
                kernel: KernelStatus(status: .upstream, function: fn, since: since, link: nil, table: table,
                                     unlisted: unlisted, note: notes.isEmpty ? nil : notes.joined(separator: "\n"))))
        }
        return entries
    }

    /// Writes `entries` under `out` (`<out>/<vendor>/<family>.yaml`, together or not at all, see
    /// `OutputFolder.replace`; other files in `out` are kept), returning the paths.
    public static func write(_ entries: [QuirkEntry], to out: String) throws(FileError) -> [String] {
        try write(entries.map { PlannedFile(entry: $0, path: RegistryWriter.path(for: $0, root: out), merged: false, warnings: []) },
                  into: out).written
    }

    /// `VERSION.PATCHLEVEL.SUBLEVEL` from the tree's Makefile (SUBLEVEL 0 omitted, EXTRAVERSION kept).
    static func version(_ tree: String) throws(KernelOutputError) -> String {
        let path = tree + "/Makefile"
        let text: String
        do throws(FileError) {
            text = try TextFile.read(path)
        } catch {
            throw .tree(Diagnostic.Location(file: path), error.problem)
        }
        var v: [String: String] = [:]
        for line in text.split(separator: "\n").prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { v[parts[0]] = parts[1] }
        }
        guard let major = v["VERSION"], let minor = v["PATCHLEVEL"], !major.isEmpty, !minor.isEmpty else {
            throw .tree(Diagnostic.Location(file: path), "VERSION and PATCHLEVEL not found")
        }
        var s = "\(major).\(minor)"
        if let sub = v["SUBLEVEL"], !sub.isEmpty, sub != "0" { s += ".\(sub)" }
        if let extra = v["EXTRAVERSION"], !extra.isEmpty { s += extra }
        return s
    }

    /// The vendor name of a row no entry records: the registry's name for that vendor ID, else
    /// from the `PCI_VENDOR_ID_*` macro (`PCI_VENDOR_ID_QCOM` -> `Qcom`), else `Vendor 1234`.
    static func vendorName(_ r: ACSTableRow, known: [QuirkEntry]) -> String {
        if let e = known.first(where: { $0.vendor == r.vendor }) { return e.vendorName }
        if let m = r.vendorMacro, m.hasPrefix("PCI_VENDOR_ID_") {
            return m.dropFirst("PCI_VENDOR_ID_".count).split(separator: "_").map { $0.prefix(1) + $0.dropFirst().lowercased() }
                .joined(separator: " ")
        }
        return "Vendor \(hex(r.vendor, width: 4))"
    }

    /// The family of rows no entry records: their table comment, without a leading vendor name
    /// (acsquirk's patches write `/* Intel 82574L */` for vendor-name `Intel`, family `82574L`, so
    /// a merged patch imports under its own family again).
    static func fallbackFamily(_ rows: [ACSTableRow], function: String, vendorName: String) -> String {
        if let c = rows[0].leadingComments.last ?? rows[0].trailingComment, !c.isEmpty {
            let prefix = vendorName.lowercased() + " "
            if c.lowercased().hasPrefix(prefix) {
                let rest = c.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                if !rest.isEmpty { return rest }
            }
            return c
        }
        return "\(function) row \(rows[0].position)"
    }
}
