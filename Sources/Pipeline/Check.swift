import Diagnostics
import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry

/// What `acsquirk check` assumes: the kernel and platform (one `LinuxSystem`, its kernel resolved
/// by the caller with `KernelProfile.resolve`), and where the functions come from.
public struct CheckOptions: Hashable, Sendable {
    /// The kernel profile and platform facts the groups are predicted for.
    public var system: LinuxSystem
    /// The `lspci -xxxx` dump the functions come from, as the user named it (nil: this machine):
    /// findings say "in this dump" instead of "on this machine", and the `acsquirk new` commands
    /// the check suggests read the same dump.
    public var dump: String?

    /// Whether the functions come from a dump rather than this machine.
    public var fromDump: Bool { dump != nil }

    /// Where the functions are, for sentences: "on this machine" or "in this dump".
    public var place: String { fromDump ? "in this dump" : "on this machine" }

    public init(system: LinuxSystem = LinuxSystem(), dump: String? = nil) {
        self.system = system
        self.dump = dump
    }
}

/// The registry checked against real config space (`acsquirk check`).
///
/// For every function present and every entry whose `devices` cover it:
/// 1. the entry's conditions (port type, Linux's multifunction flag, class, `requires`) — for a
///    `new`/`submitted` entry a condition that fails is a contradiction (error); an `upstream`
///    entry is the kernel's own quirk, so a failing condition only means it does not apply
///    (reported as a note when the entry lists the ID itself, silent for vendor-wide entries such
///    as Intel's RCiEP row, which "cover" every Intel device ID);
/// 2. the device really lacks a working ACS capability: ACS with RR and CR advertised makes a
///    new entry unnecessary (error) and means an upstream quirk overrides a real capability
///    (warning); an `acs-erratum` entry has its registers decoded with its layout;
/// 3. (with the group predictor) which kernel row decides for the device today: an earlier row
///    that answers first shadows an upstream row (warning), a new entry whose device the kernel
///    already isolates changes nothing (warning);
/// 4. (with the group predictor) which IOMMU groups the entry splits on this machine.
/// And every function that shares its IOMMU group because of missing ACS, with no entry: the
/// device at fault and what its vendor would need to confirm.
public enum RegistryCheck {
    /// Runs the check. `functions` as read (any order; all-ones functions are skipped),
    /// `entries` the entries to check, `context` further registry entries that are not reported
    /// but count as the kernel's table (their upstream ones) and as coverage (e.g. the shipped
    /// registry while one new file is checked; an entry in both, by file or by content, counts
    /// once, as checked),
    /// `source` names the input in the report.
    /// `inputNotes`: what the reader assumed about the input (`PCIReadResult.inputNotes`), listed first among the notes.
    public static func run(functions: [PCIFunction], entries: [LoadedEntry], context: [LoadedEntry] = [],
                           source: String, options: CheckOptions = CheckOptions(), inputNotes: [String] = []) -> CheckReport {
        let present = functions.filter { !$0.isAllOnes }.sorted { $0.address < $1.address }
        let all = entries + Registry.newEntries(in: context, besides: entries)
        let analysis = GroupAnalysis(functions: present, entries: all, options: options)
        let index = RegistryIndex(entries)
        var checks: [EntryFunctionCheck] = []
        var findings: [Diagnostic] = []

        for f in present {
            guard let v = analysis.view.device(at: f.address) else { continue }
            for le in index.entries(vendor: v.vendor, device: v.device) {
                let e = le.entry
                let conds = e.conditions(for: v, system: options.system)
                let failing = conds.failing
                let upstream = e.kernel.status == .upstream
                // A vendor-wide entry (Intel RCiEP: every ID of the vendor) covers only the
                // functions its port type is shown to fit; the others (a host bridge, or any
                // function of a 64-byte read) are neither reported nor counted as covered.
                if e.isVendorWide, conds.contains(where: { $0.name == .portType && $0.state != .holds }) { continue }
                if upstream && !failing.isEmpty {
                    // The kernel's quirk does not act on this device. Worth a note only when the
                    // entry lists this very ID (not through a range or a vendor-wide row).
                    guard e.devices.contains(.id(v.device)) else { continue }
                }
                var c = EntryFunctionCheck(
                    path: le.path, line: le.line, family: "\(e.vendorName) \(e.family)", status: e.kernel.status.rawValue,
                    function: e.kernel.function, bdf: v.address.description, id: v.idString, name: f.names?.device,
                    kind: v.kindDescription, conditions: conds, acs: acsSummary(v.acsStatus), answer: nil, kernel: nil, effect: [])
                func finding(_ sev: Diagnostic.Severity, _ rule: CheckRule, _ field: String, _ msg: String) {
                    findings.append(rule.finding(sev, path: le.path, position: le.locations.value(field),
                                                 bdf: v.address.description, id: v.idString, input: options.dump, message: msg))
                }
                let who = "\(v.address.shortDescription) [\(v.idString)]"
                let devicesField = deviceField(e, v.device)

                // 1. Conditions.
                for cond in failing {
                    let rule: CheckRule = switch cond.name {
                    case .portType: .portType
                    case .multifunction: .multifunction
                    case .classID: .classID
                    default: .requirement
                    }
                    if upstream {
                        finding(.note, .notApplicable, cond.field,
                                "\(who) is listed by the kernel quirk \(e.kernel.function ?? "") but \(conditionSentence(cond, v)): the quirk passes (-ENOTTY) for it")
                    } else {
                        finding(.error, rule, cond.field,
                                "\(who) \(conditionSentence(cond, v)): the entry names this device but its quirk would pass (-ENOTTY) for it")
                    }
                }
                if !failing.isEmpty {
                    checks.append(c)
                    continue
                }

                // 2. ACS capability.
                switch v.acsStatus {
                case .absent:
                    break
                case let .unknown(why):
                    finding(.note, .acsUnknown, devicesField,
                            "\(who): ACS cannot be checked (\(analysis.explain(why))); that it lacks ACS is not confirmed")
                case let .present(cap):
                    if e.isolation.kind == .acsErratum {
                        let layout = e.appliesTo.registerLayout
                        if let regs = v.acs?.registers(layout) {
                            c.acs = "ACS at 0x\(hex(cap.offset, width: 3)) read with the \(layout.rawValue) layout: cap \(regs.capability), ctl \(regs.control)"
                                + (layout == .standard ? "" : " (lspci's standard decode: cap \(cap.lspciCapability), ctl \(cap.lspciControl))")
                            let need = pciACSFlagsRequired(regs, REQ_ACS_FLAGS)
                            let missing = pciACSFlagsMissing(regs, REQ_ACS_FLAGS)
                            if missing.isEmpty {
                                finding(.note, .acsErratum, "applies-to.register-layout",
                                        "\(who): \(c.acs); Control enables \(need) as Linux requires")
                            } else {
                                finding(.warning, .acsErratum, "applies-to.register-layout",
                                        "\(who): \(c.acs); Control does not enable \(missing)"
                                        + (options.system.assumeIOMMU ? "" : " (a dump taken without an IOMMU? --assume-iommu models what Linux enables)"))
                            }
                        }
                    } else if cap.advertisesRedirect {
                        if upstream {
                            finding(.warning, .overridesACS, devicesField,
                                    "\(who) has a real ACS capability (cap \(cap.capability), ctl \(cap.control)) that the kernel quirk \(e.kernel.function ?? "") overrides: Linux judges this device by the quirk alone")
                        } else {
                            finding(.error, .hasACS, "isolation.kind",
                                    "\(who) advertises ACS with RR and CR (cap \(cap.capability), ctl \(cap.control)): Linux enables and uses it, so the quirk is unnecessary and the claim that the device lacks ACS is wrong")
                        }
                    } else if !upstream {
                        finding(.warning, .partialACS, "isolation.kind",
                                "\(who) has an ACS capability without RR or CR (cap \(cap.capability)): Linux counts controls a capability does not advertise as enabled, so it passes without this quirk")
                    }
                }

                // 3. and 4. Kernel table and groups.
                analysis.examine(le, v, into: &c, findings: &findings, who: who, devicesField: devicesField)
                checks.append(c)
            }
        }

        let uncovered = analysis.uncovered(index: RegistryIndex(all))
        for u in uncovered {
            let rule: CheckRule = u.needsEntry ? .noEntry : .acsDisabled
            findings.append(rule.finding(.note, path: nil, position: nil, bdf: u.bdf, id: u.id, input: options.dump,
                                         message: "\(u.bdf) [\(u.id)]: " + (u.needsEntry ? "no entry; " : "")
                                            + "\(u.reason); shares a group with \(u.sharedWith.joined(separator: " "))",
                                         help: u.suggestion))
        }
        checks.sort { ($0.path, $0.line, $0.bdf) < ($1.path, $1.line, $1.bdf) }
        return CheckReport(source: source, kernel: analysis.kernelName, entries: all.count,
                           upstreamEntries: all.filter { $0.entry.kernel.status == .upstream }.count,
                           functions: present.count, checks: checks, uncovered: uncovered,
                           findings: findings.sorted(), notes: inputNotes.map { "input: " + $0 } + analysis.notes)
    }

    /// The `devices[i]` field that covers `device` (for file:line).
    static func deviceField(_ e: QuirkEntry, _ device: UInt16) -> String {
        if let i = e.devices.firstIndex(where: { $0.contains(device) }) { return "devices[\(i)]" }
        return "devices"
    }

    /// `is an endpoint, not a root-port`, in words for a failing condition.
    static func conditionSentence(_ c: ConditionCheck, _ v: PCIDev) -> String {
        switch c.name {
        case .portType:
            return "is \(article(v.kindDescription)) \(v.kindDescription) (\(v.portTypeName)), but the entry applies to port-type \(c.expected)"
        case .multifunction:
            return v.multifunction
                ? "is multifunction: \(v.multifunctionReason), but the entry applies to single-function devices only"
                : "is not multifunction: \(v.multifunctionReason), but the entry claims it is multifunction"
        case .classID:
            return "has class \(c.actual), but the entry applies to class \(c.expected)"
        case .rootBus:
            return "is behind a bridge, but the entry requires a device on a root bus"
        case .acsCapability:
            return "has no ACS capability, but the entry requires one"
        case .amdIVRS, .intelPCHWorkaround:
            return "does not meet \(c.name.rawValue) (\(c.actual))"
        }
    }

    static func article(_ word: String) -> String {
        guard let f = word.first else { return "a" }
        return "aeiou".contains(f) ? "an" : "a"
    }
}
