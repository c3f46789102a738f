import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry
import SafeFiles

/// An error of the pipeline commands that is the user's input: a device that is not there, a
/// file that already exists, a file that cannot be written. `message` is one or more lines that
/// name the file or device and what is wrong.
public struct PipelineError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// The diagnostic a collector stopped the work on (`ErrorThrowingDiagnosticCollector`): that
    /// collector's upstream has been given it already, so a caller whose upstream printed it need
    /// not print `message` (which is this diagnostic's text line) again.
    public var stoppedOn: Diagnostic?
    public init(_ message: String, stoppedOn: Diagnostic? = nil) {
        self.message = message
        self.stoppedOn = stoppedOn
    }
    public var description: String { message }
}

/// Names looked up for a new entry: pci.ids through libpci (`PCINameDatabase`), or anything else in tests.
public struct NameSource: Sendable {
    public var vendorName: @Sendable (UInt16) -> String?
    public var deviceName: @Sendable (UInt16, UInt16) -> String?

    public init(vendorName: @escaping @Sendable (UInt16) -> String?,
                deviceName: @escaping @Sendable (UInt16, UInt16) -> String?) {
        self.vendorName = vendorName
        self.deviceName = deviceName
    }

    /// pci.ids through libpci.
    public static func pciIDs(_ db: PCINameDatabase) -> NameSource {
        NameSource(vendorName: { db.vendorName($0) }, deviceName: { db.deviceName(vendor: $0, device: $1) })
    }

    /// No names (every lookup `nil`).
    public static let none = NameSource(vendorName: { _ in nil }, deviceName: { _, _ in nil })
}

/// A registry entry scaffolded from a real device by `acsquirk new`, with the record of the
/// device's config space that goes next to it.
public struct Scaffold: Sendable {
    /// The entry: vendor, device IDs of every function of the device, port type, multifunction,
    /// the isolation kind for that kind of device, TODO evidence, status `new`.
    public var entry: QuirkEntry
    /// The file text: a comment block (where it came from, the functions, their ACS, what to do
    /// next) followed by `RegistryWriter.yaml(entry)`.
    public var yaml: String
    /// The device's functions in `lspci -xxxx` format (`DumpWriter`), serial numbers zeroed.
    public var dump: String
    /// `root/<slug(vendor-name)>/<slug(family)>.yaml`.
    public var entryPath: String
    /// `root/<slug(vendor-name)>/<slug(family)>.dump.txt`.
    public var dumpPath: String
    /// The device's functions (serial numbers zeroed), in address order.
    public var functions: [PCIFunction]
    /// Things the user must know (a single-function endpoint, a conventional function, ...):
    /// notes under a `ScaffoldFinding` rule.
    public var notes: [Diagnostic]
    /// Registry entries that already answer for a function of the device (its ID listed, the
    /// entry's conditions hold), one sentence each naming the entry's file and line: a second
    /// entry would duplicate it (lint rule duplicate-device). `acsquirk new` refuses such a device
    /// (exit 2, nothing written) unless `--force`. Warnings under `ScaffoldFinding.alreadyCovered`.
    public var covered: [Diagnostic] = []
    /// Functions of the device that already have a working ACS capability (present, advertising
    /// RR and CR, which Linux enables when an IOMMU asks): for them the entry is unnecessary and
    /// `acsquirk check` reports it as an error (rule has-acs). One sentence per function; empty
    /// when every function lacks ACS (or it cannot be read). `acsquirk new` refuses such a
    /// device unless `--force`. Warnings under `ScaffoldFinding.workingACS`.
    public var workingACS: [Diagnostic] = []
    /// Functions of the device whose ACS capability cannot be read from the input (e.g. a dump of
    /// 256 bytes per function: the extended capabilities, where ACS lives, are missing), so
    /// whether the device lacks ACS, the entry's whole claim, is unconfirmed. One sentence per
    /// function; empty when ACS is known for every function. `acsquirk new` refuses such a device
    /// (exit 2, nothing written) unless `--force`. Warnings under `ScaffoldFinding.unknownACS`.
    public var unknownACS: [Diagnostic] = []
}

/// The rules of `acsquirk new`'s findings about the device it scaffolds, each at the function
/// (and the dump it was read from): warnings (`Scaffold.covered`, `workingACS`, `unknownACS`)
/// and notes (`Scaffold.notes`).
public enum ScaffoldFinding: String, Hashable, Sendable, CaseIterable {
    /// An entry of the registry already answers for a function of the device.
    case alreadyCovered = "device-already-covered"
    /// A function advertises ACS with RR and CR: Linux uses it, an entry is unnecessary (`check`'s has-acs).
    case workingACS = "device-has-working-acs"
    /// A function's ACS capability cannot be read from the input (a 256-byte dump).
    case unknownACS = "device-acs-unknown"
    /// Note: a single-function device, which Linux already treats as isolated.
    case singleFunction = "device-single-function"
    /// Note: a function `applies-to.port-type` has no word for (conventional PCI, a PCIe bridge).
    case portTypeAny = "port-type-any"
    /// Note: a function in the same slot with another vendor ID, left out of the entry.
    case otherVendorInSlot = "other-vendor-in-slot"
    /// Note: what the lspci text could not tell and what was taken instead.
    case textAssumption = "text-assumption"

    /// A warning of this kind about the function `address` (`vvvv:dddd` `id`), read from the
    /// dump `input` (`nil`: this machine).
    func warning(_ address: PCIAddress, id: String, input: String?, _ message: String) -> Diagnostic {
        finding(.warning, address, id: id, input: input, message)
    }

    /// A note of this kind about the function `address`.
    func note(_ address: PCIAddress, id: String, input: String?, _ message: String) -> Diagnostic {
        finding(.note, address, id: id, input: input, message)
    }

    private func finding(_ severity: Diagnostic.Severity, _ address: PCIAddress, id: String, input: String?,
                         _ message: String) -> Diagnostic {
        Diagnostic(severity, Diagnostic.Location(device: Diagnostic.Device(bdf: address.description, id: id, input: input)),
                   rule: rawValue, message: message)
    }
}

/// Builds new registry entries from real devices (`acsquirk new`).
public enum EntryScaffolder {
    /// The statement, person, reference and date `new` leaves for a person to fill; each holds
    /// `EvidenceTODO.marker`, so `acsquirk lint` refuses the entry (rule `evidence-todo`) until it is replaced.
    public static let todoStatement = "TODO: the vendor's own statement of what the hardware does to peer-to-peer traffic and why it cannot bypass the IOMMU, as they wrote it"
    public static let todoPerson = "TODO: Full Name <name@vendor.example> of the person at the vendor who confirmed it"
    public static let todoReferenceTitle = "TODO: datasheet, erratum, specification update or mail thread that says so"
    public static let todoURL = "TODO"
    public static let todoDate = "TODO"

    /// Scaffolds an entry for the device of `address` (every function on the same bus and slot).
    ///
    /// - `functions`: everything read from the system or dump (names optional).
    /// - `family`: the family name; default: the device's pci.ids name (or the common start of
    ///   the names of its functions).
    /// - `registry`: entries already in the registry (the shipped one, then the folder written
    ///   into): the first one's vendor-name for this vendor is reused (one vendor, one name), and
    ///   entries that already cover the device are named in `covered`.
    /// - `root`: the registry folder the paths are under (`quirks`).
    /// - `sourceLabel`: where the functions came from, for the comment (`dump.txt`, `this machine`).
    /// - `input`: the dump file the functions were read from (`nil`: this machine), the location
    ///   of the findings.
    /// - `rebuiltFromText`: the reader's assumptions when the functions were rebuilt from lspci
    ///   text (`PCIReadResult.assumptions`): the saved record then says that its bytes are a
    ///   rebuild, with the assumptions as `#` comments (which libpci and lspci ignore); a device
    ///   whose IDs the text only names ambiguously is refused (an entry needs its exact IDs).
    /// - Throws: `PipelineError` when no function has that address, or it reads all-ones.
    public static func scaffold(device address: PCIAddress, functions: [PCIFunction], family: String? = nil,
                                names: NameSource, registry: [LoadedEntry] = [], root: String,
                                sourceLabel: String, input: String? = nil,
                                rebuiltFromText: [InputAssumption]? = nil) throws(PipelineError) -> Scaffold {
        guard let target = functions.first(where: { $0.address == address }) else {
            let near = functions.filter { $0.address.bus == address.bus && $0.address.domain == address.domain }
                .map(\.address.description)
            var m = "no PCI function \(address) in \(sourceLabel)"
            if !near.isEmpty { m += " (on that bus: \(near.joined(separator: ", ")))" }
            throw PipelineError(m)
        }
        guard !target.isAllOnes else {
            throw PipelineError("\(address) reads all-ones (ffff:ffff) in \(sourceLabel): no device answered there")
        }
        guard target.config.readable >= ConfigSpace.extendedStart else {
            throw PipelineError("\(address): only \(target.config.readable) bytes of config space readable in \(sourceLabel): "
                + "its port type and ACS capability cannot be seen; run as root (or use --dump with `sudo lspci -xxxx -D`)")
        }
        // Every function of the device: same domain, bus and slot, same vendor, not all-ones.
        let slot = functions.filter {
            $0.address.domain == address.domain && $0.address.bus == address.bus && $0.address.device == address.device
                && !$0.isAllOnes
        }.sorted { $0.address < $1.address }
        let mine = slot.filter { $0.vendorID == target.vendorID }
        let others = slot.filter { $0.vendorID != target.vendorID }
        let mineAddresses = Set(mine.map(\.address))
        let textAssumptions = (rebuiltFromText ?? []).filter { a in a.functions.isEmpty || a.functions.contains { mineAddresses.contains($0) } }
        if let a = textAssumptions.first(where: { $0.kind == .ambiguousName }) {
            throw PipelineError("\(sourceLabel): \(a.text): an entry needs the exact IDs; take the text with `lspci -vvv -nn` "
                + "(or `sudo lspci -xxxx`)")
        }
        // Linux's view (port type after set_pcie_port_type(), multifunction flag), as `check` sees it.
        let kernel = KernelView(functions: functions.filter { !$0.isAllOnes }, system: LinuxSystem())
        let views = mine.compactMap { kernel.device(at: $0.address) }
        let targetView = views.first { $0.address == address }!

        var notes: [Diagnostic] = []
        let vendor = target.vendorID
        let vendorName = registry.first { $0.entry.vendor == vendor }?.entry.vendorName
            ?? names.vendorName(vendor).map(shortVendorName) ?? "Vendor \(hex(vendor, width: 4))"
        let deviceIDs = Array(Set(mine.map(\.deviceID))).sorted()
        let familyName = family ?? familyFromNames(deviceIDs.compactMap { names.deviceName(vendor, $0) })
            ?? "Device \(deviceIDs.map { hex($0, width: 4) }.joined(separator: "-"))"

        // Applies-to and the claim follow the kind of device.
        var applies = AppliesTo()
        let isolation: Isolation
        let portType = targetView.registryPortType
        if let portType { applies.portType = portType }
        if targetView.type?.isDownstreamFacingPort == true {
            isolation = Isolation(kind: .portsIsolated, acsEquivalent: .linuxRequired)
        } else {
            // Linux's multifunction flag, as the device shows it. `multifunction: true` is what
            // pci_quirk_mf_endpoint_acs() rows stand for (`QuirkShape.fitsMultifunctionEndpointRows`
            // in KernelOutput: its answer for a single-function endpoint changes no IOMMU group), so
            // the patch still takes the row upstream would. A single-function device gets no
            // condition (see the note).
            if targetView.multifunction { applies.multifunction = true }
            isolation = Isolation(kind: .noPeerToPeer, acsEquivalent: .multifunctionEndpointQuirk)
            if !targetView.multifunction {
                notes.append(ScaffoldFinding.singleFunction.note(address, id: targetView.idString, input: input, "\(address) is a single-function \(targetView.type.map { "\($0)" } ?? "conventional PCI function"): "
                    + "Linux already treats it as isolated, so an entry for it changes no IOMMU group"))
            }
        }
        if portType == nil {
            notes.append(ScaffoldFinding.portTypeAny.note(address, id: targetView.idString, input: input, "\(address) is " + (targetView.type == nil ? "a conventional PCI function (no PCI Express capability)"
                                                              : "a \(targetView.portTypeName)") + ": applies-to.port-type has no word for it and stays 'any'"))
        }
        let entry = QuirkEntry(
            vendor: vendor, vendorName: vendorName, family: familyName,
            devices: deviceIDs.map { .id($0) }, appliesTo: applies, isolation: isolation,
            evidence: Evidence(statement: todoStatement, confirmedBy: [todoPerson],
                               references: [Evidence.Reference(title: todoReferenceTitle, url: todoURL)],
                               date: todoDate),
            kernel: KernelStatus(status: .new))

        // Entries that already answer for these functions.
        let index = RegistryIndex(registry)
        var seen = Set<String>()
        var covered: [Diagnostic] = []
        for v in views {
            for le in index.entries(vendor: v.vendor, device: v.device) {
                guard le.entry.conditions(for: v, system: kernel.system).failing.isEmpty, seen.insert(le.path).inserted else { continue }
                covered.append(ScaffoldFinding.alreadyCovered.warning(v.address, id: v.idString, input: input, "\(v.idString) is already covered by \(le.path):\(le.line) (\(le.entry.vendorName) \(le.entry.family), \(le.entry.kernel.status.rawValue))"))
            }
        }
        for o in others {
            notes.append(ScaffoldFinding.otherVendorInSlot.note(o.address, id: o.idString, input: input,
                                                                "\(o.address) in the same slot has another vendor (\(o.idString)) and is left out"))
        }

        let recorded = mine.map { f -> PCIFunction in
            var g = f
            g.config = f.config.zeroingSerialNumbers()
            return g
        }
        let entryPath = RegistryWriter.path(for: entry, root: root)
        let dumpPath = String(entryPath.dropLast(".yaml".count)) + ".dump.txt"
        let dumpName = (dumpPath as NSString).lastPathComponent
        var header: [String] = []
        header.append("Scaffolded by `acsquirk new --device \(address)` from \(sourceLabel).")
        if rebuiltFromText != nil {
            header.append("Config space of every function, as checked: \(dumpName) (lspci -xxxx format, REBUILT from lspci text:")
            header.append("  the bytes lspci decodes, with the assumptions listed in that file; serial numbers zeroed).")
        } else {
            header.append("Config space of every function, as checked: \(dumpName) (lspci -xxxx format, serial numbers zeroed).")
        }
        for v in views {
            var line = "\(v.address) [\(v.idString)] \(v.kindDescription) (multifunction: \(v.multifunctionReason))"
            if let n = kernel.function(v).names { line += ": \(n.device)" }
            header.append(line)
            header.append("  \(acsSummary(v.acsStatus))")
        }
        header.append("Before this entry can be submitted, replace every TODO under evidence with what the vendor")
        header.append("confirmed (lint refuses TODO markers), then run:")
        header.append("  acsquirk lint \(entryPath)")
        header.append("  acsquirk check --dump \(dumpPath) \(entryPath)")
        let comment = header.map { "# " + $0 }.joined(separator: "\n") + "\n"
        // The same test as `check` (rule has-acs): ACS advertising RR and CR works without a quirk.
        var working: [Diagnostic] = []
        for v in views {
            if case let .present(cap) = v.acsStatus, cap.advertisesRedirect {
                working.append(ScaffoldFinding.workingACS.warning(v.address, id: v.idString, input: input, "\(v.address) [\(v.idString)] advertises ACS with RR and CR (cap \(cap.capability), ctl \(cap.control)): "
                    + "Linux enables and uses it, so an entry for it is unnecessary and `acsquirk check` reports it as an error"))
            }
        }
        var unknown: [Diagnostic] = []
        for v in views {
            if case let .unknown(why) = v.acsStatus {
                unknown.append(ScaffoldFinding.unknownACS.warning(v.address, id: v.idString, input: input,
                    "\(v.address) [\(v.idString)]: ACS cannot be read (\(why)), so that it lacks ACS is not confirmed"))
            }
        }
        var record = DumpWriter.text(recorded)
        if rebuiltFromText != nil {
            var lines = ["Rebuilt by `acsquirk new --device \(address)` from the lspci text \(sourceLabel): not a dump.",
                         "These bytes are what lspci's decode shows; registers it does not decode read as zero.",
                         "What the text could not tell, and what was taken instead:"]
            for a in textAssumptions { lines += wordWrap("- " + a.text, width: 96).enumerated().map { $0.offset == 0 ? $0.element : "  " + $0.element } }
            record = lines.map { "# " + $0 }.joined(separator: "\n") + "\n\n" + record
            for a in textAssumptions where a.kind != .rebuiltFromText {
                notes.append(ScaffoldFinding.textAssumption.note(address, id: target.idString, input: input, "from the lspci text: " + a.text))
            }
        }
        return Scaffold(entry: entry, yaml: comment + RegistryWriter.yaml(entry),
                        dump: record, entryPath: entryPath, dumpPath: dumpPath,
                        functions: recorded, notes: notes, covered: covered, workingACS: working, unknownACS: unknown)
    }

    /// Writes the entry and its dump (`OutputFolder.create`): refuses, writing nothing, when
    /// either exists or a link or special file is where one goes; both are staged first, then
    /// each lands by a rename that never replaces, the dump first (a kill between the two leaves
    /// only the dump, which is not a registry file).
    /// - Throws: `PipelineError` naming the file and what is wrong.
    @discardableResult
    public static func write(_ s: Scaffold) throws(PipelineError) -> WriteReport {
        let folder = (s.entryPath as NSString).deletingLastPathComponent
        do throws(FileError) {
            return try OutputFolder(folder.isEmpty ? "." : folder).create([
                OutputFolder.File((s.dumpPath as NSString).lastPathComponent, s.dump),
                OutputFolder.File((s.entryPath as NSString).lastPathComponent, s.yaml),
            ])
        } catch {
            var message = error.description
            if error.problem.hasPrefix("already exists") { message += "; use --family or --out for another name" }
            throw PipelineError(message)
        }
    }

    /// A vendor name as commit subjects use it, from the pci.ids name: the bracketed short form
    /// when there is one (`Advanced Micro Devices, Inc. [AMD]` → `AMD`), otherwise the name without
    /// its company-form suffixes (`Intel Corporation` → `Intel`, `Red Hat, Inc.` → `Red Hat`,
    /// `Broadcom Inc. and subsidiaries` → `Broadcom`, `Realtek Semiconductor Co., Ltd.` → `Realtek Semiconductor`).
    public static func shortVendorName(_ name: String) -> String {
        var s = name.trimmingCharacters(in: .whitespaces)
        if let open = s.lastIndex(of: "["), let close = s.lastIndex(of: "]"), open < close {
            let inner = s[s.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !inner.isEmpty { return inner }
        }
        let suffixes = [" and subsidiaries", " Corporation", " Corp.", " Corp", " Incorporated", " Inc.", " Inc",
                        " Co., Ltd.", " Co., Ltd", " Co. Ltd.", " Co.,Ltd.", " Co. Ltd", " Company", " Ltd.", " Ltd",
                        " Limited", " LLC", " GmbH", " AG", " S.A.", " SA", " B.V.", " BV", " plc", " Co.", ","]
        var changed = true
        while changed {
            changed = false
            for suf in suffixes where s.count > suf.count && s.lowercased().hasSuffix(suf.lowercased()) {
                s = String(s.dropLast(suf.count)).trimmingCharacters(in: .whitespaces)
                changed = true
            }
        }
        return s.isEmpty ? name : s
    }

    /// The family name from the pci.ids names of the device's functions: the name when they all
    /// agree, else the words they start with in common (at least one), else the first name.
    static func familyFromNames(_ names: [String]) -> String? {
        let distinct = names.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard let first = distinct.first else { return nil }
        if distinct.count == 1 { return first }
        var common = first.split(separator: " ").map(String.init)
        for n in distinct.dropFirst() {
            let w = n.split(separator: " ").map(String.init)
            var k = 0
            while k < min(common.count, w.count), common[k] == w[k] { k += 1 }
            common = Array(common.prefix(k))
        }
        return common.isEmpty ? first : common.joined(separator: " ")
    }
}

extension ConfigSpace {
    /// A copy with the serial number of every Device Serial Number extended capability (`PCI_EXT_CAP_ID_DSN`,
    /// PCIe Base Specification §7.9.3: the 64-bit number at +0x04..+0x0b) set to zero, so a saved
    /// dump identifies the product, not the unit. Other bytes are unchanged.
    public func zeroingSerialNumbers() -> ConfigSpace {
        var c = self
        for cap in extendedCapabilities().entries where cap.id == PCI_EXT_CAP_ID_DSN {
            guard canRead(cap.offset + PCI_DSN_SERIAL, count: 8) else { continue }
            c.set32(cap.offset + PCI_DSN_SERIAL, 0)
            c.set32(cap.offset + PCI_DSN_SERIAL + 4, 0)
        }
        return c
    }
}
