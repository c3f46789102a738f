#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCIConfig

// The kernel command-line parameters that change ACS Control or IOMMU groups, parsed as Linux
// parses them and applied where Linux applies them: `pci=disable_acs_redir=`, `pci=config_acs=`
// and `pci=noats` in `pci_enable_acs()` (ACS.swift calls `pciConfigACS` / `pciDisableACSRedir`),
// `intel_iommu=off`, `amd_iommu=off`, `iommu=off` where the IOMMU drivers decide whether to
// start (`KernelView.iommuOff`), and the out-of-tree `pcie_acs_override=` as the last row of the
// quirk table (`pcieACSOverrides`, asked by `pciACSEnabled`).

extension KernelDifference {
    /// `pci=config_acs=` (`__pci_config_acs()` with the flags read from the parameter, called from
    /// `pci_enable_acs()`, drivers/pci/pci.c): added by 47c8846a49ba ("PCI: Extend ACS
    /// configurability", v6.11). Before it, `pci_setup()` logs "PCI: Unknown option" and ignores it.
    /// Modelled as fixed by "PCI/ACS: Fix 'pci=config_acs=' parameter" (6.12.23 and later: each
    /// list entry has its own mask and flags, `ctrl = (fw_ctrl & ~mask) | (flags & mask)`).
    public static let pciConfigACSParameter = KernelDifference(
        id: "pci_config_acs", function: "__pci_config_acs", since: KernelVersion(6, 11),
        source: "47c8846a49ba (\"PCI: Extend ACS configurability\", v6.11); booted: 6.12.118 applies it, 6.1.0-57 and 5.10.0-46 log \"PCI: Unknown option\"",
        summary: "pci=config_acs= sets ACS Control bits per device ('x' keeps the firmware's bit); older kernels ignore it (\"PCI: Unknown option\")")

    /// `pci=disable_acs_redir=`: since 47c8846a49ba (v6.11) `__pci_config_acs()` with mask RR|CR|EC
    /// rebuilds Control from the firmware value (`caps->fw_ctrl`), so the SV and UF the kernel set
    /// are dropped again; before, `pci_disable_acs_redir()` cleared RR, CR and EC from the value
    /// the kernel had set (drivers/pci/pci.c of 6.1 and 5.10).
    public static let disableACSRedirFromFirmware = KernelDifference(
        id: "pci_disable_acs_redir_fw_ctrl", function: "__pci_config_acs", since: KernelVersion(6, 11),
        source: "47c8846a49ba (\"PCI: Extend ACS configurability\", v6.11); booted: 6.12.118 writes 0x0000, 6.1.0-57 and 5.10.0-46 write 0x0011 on QEMU root ports",
        summary: "pci=disable_acs_redir=: ACS Control = the firmware's value without RR/CR/EC (older kernels: the kernel's value without RR/CR/EC)")

    /// `pci=noats` also turns on ACS TB where the capability has it (`pci_std_enable_acs()`,
    /// `pci_quirk_enable_intel_spt_pch_acs()`: `if (pci_ats_disabled() || …) ctrl |= cap & TB`),
    /// added by 7cae7849fcce ("PCI/ACS: Enforce pci=noats with Transaction Blocking", v5.14).
    /// TB is not in `REQ_ACS_FLAGS`: groups do not change.
    public static let noATSTranslationBlocking = KernelDifference(
        id: "pci_ats_disabled_acs_tb", function: "pci_std_enable_acs", since: KernelVersion(5, 14),
        source: "7cae7849fcce (\"PCI/ACS: Enforce pci=noats with Transaction Blocking\", v5.14); booted: 6.12.118 and 6.1.0-57 write 0x001f, 5.10.0-46 0x001d",
        summary: "pci=noats also enables ACS Translation Blocking (TB) on ports that have it (groups unchanged)")
}

/// A kernel command line (`/proc/cmdline`, `--cmdline`), split into parameters as Linux splits it
/// (`next_arg()`, lib/cmdline.c: spaces separate parameters except inside double quotes, the first
/// `=` separates name and value, the quotes around a value are dropped; `--` ends the kernel's
/// parameters) and read for the parameters the prediction models.
public struct KernelCommandLine: Hashable, Sendable, CustomStringConvertible {
    /// One parameter as written (without the quotes `next_arg()` drops).
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?
        /// The name with `-` as `_`: the two are the same in parameter names (`parameq()`, kernel/params.c).
        public var key: String { name.replacingOccurrences(of: "-", with: "_") }
        public var text: String { value.map { "\(name)=\($0)" } ?? name }
    }

    /// What `pcie_acs_override=` asks for (the out-of-tree patch's `pcie_acs_override_setup()`).
    public struct ACSOverride: Hashable, Sendable {
        /// `downstream`: every root port and downstream port without an ACS capability is isolated.
        public var downstream = false
        /// `multifunction`: every multifunction endpoint (legacy endpoint, upstream port, RCiEP)
        /// without an ACS capability is isolated.
        public var multifunction = false
        /// `id:vvvv:dddd`: these devices (without an ACS capability) are isolated.
        public var ids: [PCIDeviceID] = []
        /// Entries the patch does not understand or drops ("PCIe ACS ID parse error", more than 15 IDs).
        public var rejected: [String] = []
        /// Whether anything is overridden (the patch then warns "PCIe ACS overrides enabled").
        public var isActive: Bool { downstream || multifunction || !ids.isEmpty }
    }

    /// The line as given.
    public let text: String
    /// Every parameter in order (before `--`).
    public let parameters: [Parameter]

    /// The parsed command line of `text`.
    public init(_ text: String) {
        self.text = text
        parameters = Self.nextArgs(text)
    }

    /// No parameters: what a dump's kernel is assumed to have booted with.
    public static let none = KernelCommandLine("")

    /// THE default command line, used by every command that predicts (`groups`, `check`, `run`):
    /// `explicit` (`--cmdline`) when given; else on the live system the running kernel's
    /// (`/proc/cmdline`, `running`); else the one a snapshot recorded; else (a dump) none.
    public static func resolve(_ explicit: String?, live: Bool, recorded: String? = nil,
                               running: @autoclosure () -> String? = runningCommandLine) -> KernelCommandLine {
        if let explicit { return KernelCommandLine(explicit) }
        if live { return running().map { KernelCommandLine($0) } ?? .none }
        return recorded.map { KernelCommandLine($0) } ?? .none
    }

    /// `/proc/cmdline` without its newline, nil when unreadable.
    public static var runningCommandLine: String? {
        guard let f = fopen("/proc/cmdline", "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 8192)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    public var description: String { text }

    /// `next_arg()` (lib/cmdline.c) over the whole line, and `parse_args()`' `--` (kernel/params.c).
    static func nextArgs(_ text: String) -> [Parameter] {
        var out: [Parameter] = []
        let chars = Array(text)
        var i = 0
        func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
        while i < chars.count {
            while i < chars.count, isSpace(chars[i]) { i += 1 }
            guard i < chars.count else { break }
            var start = i
            var inQuote = false, quoted = false
            if chars[i] == "\"" { start += 1; i += 1; inQuote = true; quoted = true }
            var equals: Int?
            var j = start
            while j < chars.count {
                if isSpace(chars[j]) && !inQuote { break }
                if equals == nil, chars[j] == "=" { equals = j }
                if chars[j] == "\"" { inQuote.toggle() }
                j += 1
            }
            var end = j
            let name: String
            var value: String?
            if let e = equals {
                name = String(chars[start..<e])
                var vStart = e + 1
                if vStart < end, chars[vStart] == "\"" {
                    vStart += 1
                    if end > vStart, chars[end - 1] == "\"" { end -= 1 }
                }
                value = String(chars[vStart..<max(vStart, end)])
            } else {
                if quoted, end > start, chars[end - 1] == "\"" { end -= 1 }
                name = String(chars[start..<max(start, end)])
            }
            i = j
            if name == "--" && value == nil { break }
            out.append(Parameter(name: name, value: value))
        }
        return out
    }

    // MARK: pci=

    /// The options of every `pci=` in order, split at `,` as `pci_setup()` (drivers/pci/pci.c)
    /// splits them (so a `config_acs=` list inside `pci=` must use `;`).
    public var pciOptions: [String] {
        parameters.filter { $0.key == "pci" }.flatMap { p in
            (p.value ?? "").split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        }
    }

    /// `disable_acs_redir_param`: the value of the last `pci=disable_acs_redir=` (`pci_setup()`).
    public var disableACSRedir: String? {
        pciOptions.last { $0.hasPrefix("disable_acs_redir=") }.map { String($0.dropFirst(18)) }
    }

    /// `config_acs_param`: the value of the last `pci=config_acs=`, on a kernel that knows it.
    public func configACS(_ kernel: KernelProfile) -> String? {
        guard kernel.has(.pciConfigACSParameter) else { return nil }
        return pciOptions.last { $0.hasPrefix("config_acs=") }.map { String($0.dropFirst(11)) }
    }

    /// `pci=noats` (`pcie_ats_disabled`).
    public var noATS: Bool { pciOptions.contains("noats") }

    /// The `pci=` options the kernel logs as "PCI: Unknown option" and ignores, for `kernel`
    /// (`config_acs=` before 6.11). Options other kernels know but the prediction does not model
    /// are in `ignored`.
    public func unknownPCIOptions(_ kernel: KernelProfile) -> [String] {
        kernel.has(.pciConfigACSParameter) ? [] : pciOptions.filter { $0.hasPrefix("config_acs=") }
    }

    // MARK: IOMMU

    /// The parameter that turns the IOMMU off on a machine whose IOMMU is AMD's (`amd`) or Intel's:
    /// `iommu=off` (`no_iommu`, arch/x86/kernel/pci-dma.c `iommu_setup()`), `intel_iommu=off`
    /// (`dmar_disabled`, drivers/iommu/intel/iommu.c `intel_iommu_setup()`, the last `on`/`off`
    /// wins), `amd_iommu=off` (`amd_iommu_disabled`, drivers/iommu/amd/init.c
    /// `parse_amd_iommu_options()`). `nil`: the IOMMU is on (Debian's kernels enable the Intel IOMMU
    /// without a parameter, `CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF`).
    public func iommuOff(amd: Bool) -> String? {
        var noIOMMU: String?, intelOff: String?, amdOff: String?
        for p in parameters {
            let opts = (p.value ?? "").split(separator: ",")
            switch p.key {
            case "iommu" where opts.contains("off"): noIOMMU = p.text
            case "intel_iommu":
                for o in opts where o == "on" || o == "off" { intelOff = o == "off" ? p.text : nil }
            case "amd_iommu" where opts.contains("off"): amdOff = p.text
            default: break
            }
        }
        return noIOMMU ?? (amd ? amdOff : intelOff)
    }

    // MARK: pcie_acs_override

    /// `pcie_acs_override=` as the out-of-tree patch reads it (`pcie_acs_override_setup()`:
    /// comma-separated `downstream`, `multifunction`, `id:vvvv:dddd`, at most 15 IDs); `nil`
    /// without the parameter. Several `pcie_acs_override=` add up, as the patch's early_param does.
    public var acsOverride: ACSOverride? {
        let values = parameters.filter { $0.key == "pcie_acs_override" }.map { $0.value ?? "" }
        guard !values.isEmpty else { return nil }
        var o = ACSOverride()
        for v in values {
            for item in v.split(separator: ",").map(String.init) {
                if item.hasPrefix("downstream") {
                    o.downstream = true
                } else if item.hasPrefix("multifunction") {
                    o.multifunction = true
                } else if item.hasPrefix("id:") {
                    // `NUM_ACS_IDS - 1`: the patch's bounds check leaves 15 usable slots.
                    if o.ids.count >= 15 {
                        o.rejected.append(item + " (out of PCIe ACS override slots)")
                    } else if let id = PCIDeviceID(String(item.dropFirst(3))) {
                        o.ids.append(id)
                    } else {
                        o.rejected.append(item + " (PCIe ACS ID parse error)")
                    }
                } else {
                    o.rejected.append(item)
                }
            }
        }
        return o
    }

    // MARK: What is not modelled

    /// Names of the parameters the prediction reads.
    static let modelled: Set<String> = ["pci", "iommu", "intel_iommu", "amd_iommu", "pcie_acs_override"]

    /// The parameters that do not change the prediction, as written: every parameter the model
    /// does not read, and `pci=` options other than `disable_acs_redir=`, `config_acs=`, `noats`.
    public var ignored: [String] {
        var out = parameters.filter { !Self.modelled.contains($0.key) }.map(\.text)
        out += pciOptions.filter { o in !(o.hasPrefix("disable_acs_redir=") || o.hasPrefix("config_acs=") || o == "noats") }
            .map { "pci=" + $0 }
        return out
    }

    /// No parameters at all.
    public var isEmpty: Bool { parameters.isEmpty }
}

/// What `pci_dev_str_match()` (drivers/pci/pci.c) needs of a device: its address, IDs and the
/// bridges above it (for a `bus:dev.fn/dev.fn` path).
public struct PCIDevIdentity: Hashable, Sendable {
    public var address: PCIAddress
    public var vendor: UInt16
    public var device: UInt16
    public var subsystemVendor: UInt16
    public var subsystemDevice: UInt16
    /// The upstream bridges, nearest first (`pci_upstream_bridge()` repeatedly).
    public var upstream: [PCIAddress]

    public init(address: PCIAddress, vendor: UInt16, device: UInt16, subsystemVendor: UInt16 = 0,
                subsystemDevice: UInt16 = 0, upstream: [PCIAddress] = []) {
        self.address = address
        self.vendor = vendor
        self.device = device
        self.subsystemVendor = subsystemVendor
        self.subsystemDevice = subsystemDevice
        self.upstream = upstream
    }
}

/// `sscanf("%x")`: hex digits (an optional `0x`), at `i`; returns the value and the index after it.
private func scanHex(_ s: [Character], _ i: Int) -> (UInt32, Int)? {
    var j = i
    if j + 1 < s.count, s[j] == "0", s[j + 1] == "x" || s[j + 1] == "X", j + 2 < s.count, s[j + 2].isHexDigit { j += 2 }
    var v: UInt32 = 0
    let start = j
    while j < s.count, let d = s[j].hexDigitValue {
        v = v &* 16 &+ UInt32(d)
        j += 1
    }
    return j > start ? (v, j) : nil
}

/// `pci_dev_str_match(dev, p, &endptr)` (drivers/pci/pci.c): whether the device selector at the
/// start of `p` names `dev` (`1`), does not (`0`) or cannot be parsed (`-1`, "Can't parse"), and
/// where it ends. Selectors: `pci:vvvv:dddd[:ssss:ssss]` (0 matches any) or
/// `[dddd:]bb:dd.f[/dd.f]*` (`pci_dev_str_match_path()`: a path ends only at `;`).
public func pciDevStrMatch(_ dev: PCIDevIdentity, _ p: Substring) -> (result: Int, rest: Substring) {
    let s = Array(p)
    if p.hasPrefix("pci:") {
        // sscanf(p, "%x:%x:%x:%x%n"), else sscanf(p, "%x:%x%n"): the IDs a selector gives.
        var ids: [UInt32] = []
        var ends: [Int] = []
        var i = 4
        while ids.count < 4, let (v, j) = scanHex(s, i) {
            ids.append(v)
            ends.append(j)
            guard j < s.count, s[j] == ":" else { break }
            i = j + 1
        }
        guard ids.count >= 2 else { return (-1, p) }
        let count = ids.count == 4 ? ends[3] : ends[1]
        if ids.count < 4 { ids = [ids[0], ids[1], 0, 0] }
        let ok = (ids[0] == 0 || ids[0] == UInt32(dev.vendor)) && (ids[1] == 0 || ids[1] == UInt32(dev.device))
            && (ids[2] == 0 || ids[2] == UInt32(dev.subsystemVendor)) && (ids[3] == 0 || ids[3] == UInt32(dev.subsystemDevice))
        return (ok ? 1 : 0, p.dropFirst(count))
    }
    // pci_dev_str_match_path(): the selector runs to the next ';'.
    let end = p.firstIndex(of: ";") ?? p.endIndex
    let rest = p[end...]
    var path = String(p[..<end]).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    var chain = [dev.address] + dev.upstream
    // From the last `/dd.f` back: each names the devfn of the device, then of its bridge, …
    while path.count > 1 {
        let seg = Array(path.removeLast())
        guard let (slot, i) = scanHex(seg, 0), i < seg.count, seg[i] == ".", let (fn, k) = scanHex(seg, i + 1),
              k == seg.count else { return (-1, rest) }
        guard let d = chain.first, UInt32(d.devfn) == (slot << 3 | fn) else { return (0, rest) }
        chain.removeFirst()
        guard !chain.isEmpty else { return (0, rest) }
    }
    let head = Array(path[0])
    func parse(_ withSeg: Bool) -> (UInt32, UInt32, UInt32, UInt32)? {
        var i = 0
        var seg: UInt32 = 0
        if withSeg {
            guard let (v, j) = scanHex(head, i), j < head.count, head[j] == ":" else { return nil }
            seg = v
            i = j + 1
        }
        guard let (bus, j) = scanHex(head, i), j < head.count, head[j] == ":" else { return nil }
        guard let (slot, k) = scanHex(head, j + 1), k < head.count, head[k] == "." else { return nil }
        guard let (fn, l) = scanHex(head, k + 1), l == head.count else { return nil }
        return (seg, bus, slot, fn)
    }
    guard let (seg, bus, slot, fn) = parse(true) ?? parse(false), let d = chain.first else { return (-1, rest) }
    let ok = seg == d.domain && bus == UInt32(d.bus) && UInt32(d.devfn) == (slot << 3 | fn)
    return (ok ? 1 : 0, rest)
}

/// What one `__pci_config_acs()` / `pci_disable_acs_redir()` call did to a device.
public enum ACSParameterEffect: Hashable, Sendable {
    /// No entry of the parameter names the device.
    case notNamed
    /// "Invalid ACS flags specified" (bits above DT) or "ACS Flags missing" / a character other
    /// than 0, 1, x: the kernel ignores the parameter for the device.
    case rejected(String)
    /// "PCI: Can't parse ACS command line parameter": the walk over the list stopped.
    case unparsable
    /// The device-specific op (Intel SPT PCH root ports, `pci_quirk_disable_intel_spt_pch_acs_redir`)
    /// cleared RR, CR and EC in its own Control dword instead.
    case deviceSpecific
    /// Control written.
    case configured(ACSFlags)

    /// An effect that ends the list walk without an entry for the device (`Result`'s failure).
    public struct Failure: Error, Hashable, Sendable {
        public var effect: ACSParameterEffect
        init(_ effect: ACSParameterEffect) { self.effect = effect }
    }
}

/// The ACS flags of one `config_acs` entry (`<flags>@`): '0' force off, '1' force on, 'x' keep the
/// firmware bit, read right to left from bit 0 (SV). `nil` with the kernel's message otherwise.
func configACSFlags(_ text: Substring) -> (mask: UInt16, flags: UInt16)? {
    var mask: UInt32 = 0, flags: UInt32 = 0, shift: UInt32 = 0
    for c in text.reversed() {
        switch c {
        case "0": mask |= 1 << min(shift, 31)
        case "1": mask |= 1 << min(shift, 31); flags |= 1 << min(shift, 31)
        case "x", "X": break
        default: return nil
        }
        shift += 1
    }
    // The kernel's `u16 mask, flags` keep bits 0..15 only; bits 7..15 are then rejected as above DT.
    return (UInt16(truncatingIfNeeded: mask), UInt16(truncatingIfNeeded: flags))
}

/// The walk over a `disable_acs_redir`/`config_acs` list that `__pci_config_acs()` (since v6.11)
/// and `pci_disable_acs_redir()` (before) share (drivers/pci/pci.c): entries separated by `;` or
/// `,`; with `acsMask` empty (`config_acs`) each is `<flags>@<device>`, the flags checked against
/// SV..DT before the device ("Invalid ACS flags specified", whichever device the entry names);
/// the first entry naming the device wins. Returns its mask and flags, or why nothing applies.
func pciACSParameterEntry(_ dev: PCIDevIdentity, _ p: String, acsMask: ACSFlags,
                          acsFlags: ACSFlags) -> Result<(mask: UInt16, flags: UInt16), ACSParameterEffect.Failure> {
    var rest = Substring(p)
    var mask = acsMask.rawValue, flags = acsFlags.rawValue
    while !rest.isEmpty {
        if acsMask.isEmpty {
            guard let at = rest.firstIndex(of: "@") else { return .failure(.init(.rejected("ACS Flags missing"))) }
            guard let f = configACSFlags(rest[..<at]) else { return .failure(.init(.rejected("Invalid ACS flags"))) }
            (mask, flags) = f
            rest = rest[rest.index(after: at)...]
        }
        if mask & ~ACSFlags.all.rawValue != 0 { return .failure(.init(.rejected("Invalid ACS flags specified"))) }
        let (r, after) = pciDevStrMatch(dev, rest)
        rest = after
        if r < 0 { return .failure(.init(.unparsable)) }
        if r == 1 { return .success((mask, flags)) }
        guard let c = rest.first, c == ";" || c == "," else { break }
        rest = rest.dropFirst()
    }
    return .failure(.init(.notNamed))
}

/// `__pci_config_acs(dev, caps, p, acs_mask, acs_flags)` (drivers/pci/pci.c, since v6.11): for
/// the entry of `p` naming the device (`pciACSParameterEntry`), the device-specific redirect op
/// (`deviceSpecific`, Intel SPT) may take over; else `ctrl = (fw_ctrl & ~mask) | (flags & mask)`.
public func pciConfigACS(_ dev: PCIDevIdentity, control: inout ACSFlags, firmware: ACSFlags, parameter p: String?,
                         acsMask: ACSFlags, acsFlags: ACSFlags, deviceSpecific: Bool) -> ACSParameterEffect {
    guard let p else { return .notNamed }
    switch pciACSParameterEntry(dev, p, acsMask: acsMask, acsFlags: acsFlags) {
    case let .failure(f): return f.effect
    case let .success((mask, flags)):
        if deviceSpecific { return .deviceSpecific }
        control = ACSFlags(rawValue: (firmware.rawValue & ~mask) | (flags & mask))
        return .configured(control)
    }
}

/// `pci_disable_acs_redir(dev)` (drivers/pci/pci.c before v6.11): for a device the
/// `disable_acs_redir` list names, the device-specific op (Intel SPT) or RR, CR and EC cleared
/// from the current Control (what the kernel set stays). A device without an ACS capability only
/// gets "cannot disable ACS redirect" (`pciEnableACS` is not called for it).
public func pciDisableACSRedir(_ dev: PCIDevIdentity, control: inout ACSFlags, parameter p: String?,
                               deviceSpecific: Bool) -> ACSParameterEffect {
    guard let p else { return .notNamed }
    switch pciACSParameterEntry(dev, p, acsMask: [.rr, .cr, .ec], acsFlags: []) {
    case let .failure(f): return f.effect
    case .success:
        if deviceSpecific { return .deviceSpecific }
        control.subtract([.rr, .cr, .ec])
        return .configured(control)
    }
}

/// The out-of-tree patch's `pcie_acs_overrides(dev, acs_flags)` (Proxmox pve-kernel and
/// linux-zen "pci: Enable overrides for missing ACS capabilities", a `PCI_ANY_ID` row of
/// `pci_dev_acs_enabled[]`): for a PCIe device without an ACS capability, isolated (`true`) when
/// its ID is listed, or with `downstream` for a root or downstream port, or with `multifunction`
/// for a multifunction endpoint, legacy endpoint, upstream port or RCiEP; otherwise no answer.
public func pcieACSOverrides(_ d: PCIDev, _ o: KernelCommandLine.ACSOverride) -> String? {
    // pci_find_ext_capability(dev, PCI_EXT_CAP_ID_ACS): an ACS capability the input cannot show
    // counts as absent, as everywhere in the prediction.
    guard d.isPCIe, d.acs == nil else { return nil }
    if o.ids.contains(where: { $0.vendor == d.vendor && $0.device == d.device }) { return "id:\(d.idString)" }
    switch d.type {
    case .rootPort?, .downstreamPort?:
        return o.downstream ? "downstream" : nil
    case .endpoint?, .upstreamPort?, .legacyEndpoint?, .rcIntegratedEndpoint?:
        return o.multifunction && d.multifunction ? "multifunction" : nil
    default:
        return nil
    }
}
