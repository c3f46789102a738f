import LinuxPCI
import PCIAccess
import PCIConfig

/// The groups the kernel formed, to compare a prediction with: the ones the input recorded (a
/// snapshot, lspci text with `IOMMU group:` lines) or, read live, `/sys/kernel/iommu_groups`.
/// `acsquirk groups` and the groups stage of `acsquirk run` ask here and word the other cases
/// their own way (`groups` fails on them, `run` notes them).
public enum FormedGroups: Sendable {
    /// Groups to compare with.
    case groups(LiveGroups)
    /// A snapshot taken without an active IOMMU: it records no groups.
    case noneRecorded
    /// This machine has no active IOMMU: `/sys/kernel/iommu_groups` is empty.
    case noneLive
    /// A file that records no groups (an `lspci -xxxx` dump).
    case notRecorded

    /// What `input` (read as `recorded` says) has to compare with; reading
    /// `/sys/kernel/iommu_groups` can fail.
    public static func of(_ input: InputSource, recorded: RecordedSystem?) throws(LiveGroups.ReadError) -> FormedGroups {
        if let recorded {
            guard recorded.iommuActive else { return recorded.origin == "snapshot" ? .noneRecorded : .notRecorded }
            return .groups(LiveGroups(groups: recorded.iommuGroups, iommuActive: true, recordedIn: recorded.origin))
        }
        guard input.isLive else { return .notRecorded }
        let l = try LiveGroups.read(root: input.iommuGroupsPath)
        return l.iommuActive ? .groups(l) : .noneLive
    }

    /// The groups, when there are any.
    public var groups: LiveGroups? {
        if case let .groups(g) = self { return g }
        return nil
    }
}

/// One prediction of the IOMMU groups with its what-if tables and the comparison with the groups
/// the kernel formed, as `acsquirk groups` prints it and `acsquirk run` writes it (groups.txt,
/// groups.json, groups.dot).
public struct GroupsPrediction: Sendable {
    /// The groups Linux forms today (the kernel's table).
    public var today: GroupPrediction
    /// The groups with the what-if entries consulted first; nil when none was asked for.
    public var whatIf: GroupPrediction?
    /// The report of both, with the comparison.
    public var report: GroupsReport

    /// Predicts the groups of `functions` on `system` with `tables` (`WhatIfTables.predict`) and
    /// reports them with `formed` (`FormedGroups.groups`) for `source`.
    public init(_ functions: [PCIFunction], tables: WhatIfTables, system: LinuxSystem, source: String,
                formed: LiveGroups?, inputNotes: [String]) {
        (today, whatIf) = tables.predict(KernelView(functions: functions, system: system))
        report = GroupsReport(prediction: today, source: source, whatIf: whatIf, quirkLabels: tables.labels, live: formed,
                              inputNotes: inputNotes)
    }
}
