#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Registry

/// A Linux release: `6.12`, `6.12.117`, `5.9.3` (major, minor and, for a stable release, the
/// sublevel). Ordered as releases are: a release without a sublevel sorts as `.0`.
public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    /// The stable sublevel (`117` of `6.12.117`), `nil` for a mainline release.
    public var sublevel: Int?

    public init(_ major: Int, _ minor: Int, _ sublevel: Int? = nil) {
        self.major = major
        self.minor = minor
        self.sublevel = sublevel
    }

    /// Parses `6.12`, `6.12.117` or `v6.12`; nil for anything else. The grammar is the registry's
    /// (`KernelRelease`, what `kernel.since` holds), without its `<=`.
    public init?(_ text: String) {
        guard let r = KernelRelease(text.hasPrefix("v") ? text : "v" + text), !r.upperBound else { return nil }
        self.init(r.major, r.minor, r.sublevel)
    }

    /// The `major.minor` at the start of a kernel release string (`uname -r`, `6.1.0-40-amd64`,
    /// `6.18.3+deb13-amd64`); nil when there is none.
    public init?(release: String) {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        self.init(parts[0], parts[1])
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.sublevel ?? 0) < (b.major, b.minor, b.sublevel ?? 0)
    }

    /// `6.12`, `6.12.117`.
    public var description: String { "\(major).\(minor)" + (sublevel.map { ".\($0)" } ?? "") }
}

/// One dated, sourced difference between kernel releases that changes what the model predicts.
/// A profile applies the differences whose release range contains its version; the model asks
/// `KernelProfile.has(_:)` where the kernel's code differs, so a new release line or a fixed
/// regression is one more row of `KernelDifference.all`, not another copy of a rule.
public struct KernelDifference: Hashable, Sendable, Identifiable {
    /// A stable name, e.g. `pci_disable_broken_acs_cap`.
    public let id: String
    /// The kernel function whose behaviour differs.
    public let function: String
    /// The first release with the behaviour.
    public let since: KernelVersion
    /// The first release without it again (a regression that was fixed), `nil` while current.
    public let until: KernelVersion?
    /// Where it is established: the upstream commit, or the releases whose source was read.
    public let source: String
    /// What users see.
    public let summary: String

    public init(id: String, function: String, since: KernelVersion, until: KernelVersion? = nil, source: String,
                summary: String) {
        self.id = id
        self.function = function
        self.since = since
        self.until = until
        self.source = source
        self.summary = summary
    }

    /// Whether release `version` has the behaviour.
    public func applies(to version: KernelVersion) -> Bool {
        version >= since && until.map { version < $0 } ?? true
    }
}

extension KernelDifference {
    /// 7.x: `pci_disable_broken_acs_cap()` (drivers/pci/quirks.c, called from `pci_acs_init()`)
    /// removes SV from the cached ACS capability of IDT 0x80b5 and 0x8090 switch ports, so SV is
    /// neither enabled nor required there (6.x only worked around the erratum around config reads,
    /// `pci_idt_bus_quirk()`).
    public static let idtBrokenACSSourceValidation = KernelDifference(
        id: "pci_disable_broken_acs_cap", function: "pci_disable_broken_acs_cap",
        since: KernelVersion(7, 0),
        source: "drivers/pci/quirks.c of 7.2.13 and 7.3-rc7 has it, 6.12.117 does not; first release taken as 7.0",
        summary: "IDT 0x80b5/0x8090 switch ports: SV removed from the cached ACS capability (neither enabled nor required)")

    /// 7.x: `pci_for_each_dma_alias()` (drivers/pci/search.c) honours
    /// `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS`, which `quirk_aspeed_pci_bridge_no_alias()` sets on the
    /// ASPEED 1a03:1150 PCIe-to-PCI bridge (same groups, no alias requester ID).
    public static let aspeedBridgeNoAlias = KernelDifference(
        id: "quirk_aspeed_pci_bridge_no_alias", function: "pci_for_each_dma_alias",
        since: KernelVersion(7, 0),
        source: "drivers/pci/search.c and quirks.c of 7.2.13 and 7.3-rc7 have it, 6.12.117 does not; first release taken as 7.0",
        summary: "ASPEED 1a03:1150 PCIe-to-PCI bridge adds no DMA alias (same groups, other reason)")

    /// Every difference the model knows, in release order.
    public static let all: [KernelDifference] = [idtBrokenACSSourceValidation, aspeedBridgeNoAlias]
}

/// The kernel whose behaviour is reproduced. `pci_device_group()`, the quirk table and the quirk
/// functions are the same in 6.1.192, 6.12.117 and 7.3-rc7; the profiles differ where
/// `KernelDifference.all` says.
///
/// One enum, one case per profile; what sets profiles apart is data (`KernelDifference.all`, by
/// release), never a switch over the cases. THE type for `--kernel`: `init?(argument:)` is the
/// one place a profile name is validated (the command line's `ExpressibleByArgument` conformance
/// uses it), `resolve(_:live:recordedRelease:)` the one default.
public enum KernelProfile: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    // Oldest first: `allCases` is this order.
    case v6_1 = "6.1"
    case v6_12 = "6.12"
    case v7_3 = "7.3"

    public static let newest: KernelProfile = .v7_3

    /// The release the profile stands for.
    public var version: KernelVersion { KernelVersion(rawValue)! }

    /// The profile named `argument` (`6.1`, `6.12`, `7.3`), or `nil` for a name no profile has.
    public init?(argument: String) { self.init(rawValue: argument) }

    /// `--kernel`'s accepted values, for help and error messages.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }

    public var description: String { rawValue }

    /// Whether this kernel behaves as `difference` says.
    public func has(_ difference: KernelDifference) -> Bool { difference.applies(to: version) }

    /// `pci_for_each_dma_alias()` honours `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS` (ASPEED 1a03:1150).
    public var honoursBridgeNoAlias: Bool { has(.aspeedBridgeNoAlias) }
    /// `pci_disable_broken_acs_cap()` removes SV from the cached ACS capability of IDT
    /// 0x80b5 and 0x8090 (so SV is neither enabled nor required there).
    public var masksIDTSourceValidation: Bool { has(.idtBrokenACSSourceValidation) }

    /// The profile closest to a kernel release string (`uname -r`, `6.18.3-amd64`): 7.x → 7.3,
    /// 6.12 and later 6.x → 6.12, older → 6.1; nil when no `major.minor` can be read.
    public static func closest(toRelease release: String) -> KernelProfile? {
        guard let v = KernelVersion(release: release) else { return nil }
        let sameMajor = allCases.filter { $0.version.major == v.major }
        if let p = sameMajor.last(where: { $0.version <= v }) ?? sameMajor.first { return p }
        return allCases.last { $0.version < v } ?? allCases[0]
    }

    /// The running kernel's release as `uname -r` prints it (`uname(2)`), nil when unreadable.
    public static var runningRelease: String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        return withUnsafePointer(to: u.release) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: u.release)) { String(cString: $0) }
        }
    }

    /// The profile closest to the running kernel, nil when its release cannot be read.
    public static var running: KernelProfile? { runningRelease.flatMap(closest(toRelease:)) }

    /// THE default profile, used by every command (`groups`, `check`, `run`): `explicit` (the
    /// parsed `--kernel`) when given; else, on the live system, the profile closest to the running
    /// kernel; else the one closest to the release a snapshot recorded (`uname -r` there), as live;
    /// else (a dump, whose kernel is unknown) `newest`. `note` is set when the profile stands for a
    /// kernel it does not describe: a running or recorded kernel newer than `newest` (its rules may
    /// have changed since); commands show it with the prediction (`LinuxSystem.kernelNote`).
    /// - Parameters:
    ///   - explicit: the parsed `--kernel` (nil when not given).
    ///   - live: whether the functions come from this machine's sysfs rather than a dump.
    ///   - recordedRelease: the kernel release a snapshot recorded.
    ///   - release: the running kernel's release (default: this machine's).
    public static func resolve(_ explicit: KernelProfile?, live: Bool, recordedRelease: String? = nil,
                               release: String? = runningRelease) -> (profile: KernelProfile, note: String?) {
        if let explicit { return (explicit, nil) }
        let (which, chosen) = live ? ("running", release) : ("recorded", recordedRelease)
        guard let chosen, let p = closest(toRelease: chosen), let v = KernelVersion(release: chosen) else { return (newest, nil) }
        guard v.major < newest.version.major || (v.major == newest.version.major && v.minor <= newest.version.minor) else {
            return (p, "the \(which) kernel \(chosen) is newer than the newest profile, \(newest): predicted with "
                + "\(newest)'s rules, which may miss what changed since (--kernel picks a profile)")
        }
        return (p, nil)
    }
}
