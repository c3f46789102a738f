import Diagnostics
import LinuxPCI
import PCIConfig

/// What to put into an ACS extended capability (PCIe Base Specification §7.7.8).
///
/// `capability` is the ACS Capability register (+0x04, bits 6:0): the controls the function
/// implements. The empty set is the static table the spec allows for a function that cannot do
/// peer-to-peer: Linux's `pci_acs_flags_enabled` (drivers/pci/pci.c) treats every control the
/// capability does not advertise as hard-wired enabled, so such a multifunction function passes
/// `pci_acs_enabled(dev, REQ_ACS_FLAGS)` on every kernel.
/// `control` is the value of the ACS Control register (+0x06) as the table writes it: the reset
/// value is 0 (the kernel sets SV|RR|CR|UF ∩ capability itself in `pci_std_enable_acs` when an
/// IOMMU is on); bits the capability does not advertise are hard-wired 0 by the spec and so must
/// not be set. `egressVectorBits` (1...256) is the Egress Control Vector Size, required with EC
/// and rejected without it; the vector itself (reset value all zero) follows at +0x08.
public struct ACSTableRequest: Hashable, Sendable {
    /// ACS Capability register bits 6:0 (the size field is added from `egressVectorBits`).
    public let capability: ACSFlags
    /// ACS Control register as the table initialises it; a subset of `capability`.
    public let control: ACSFlags
    /// Egress Control Vector Size in bits (1...256), `nil` unless `capability` has EC.
    public let egressVectorBits: Int?
    /// Capability version (header bits 19:16); 1.
    public let version: UInt8

    /// Validates and creates a request.
    /// - Throws: `StaticACSError.controlNotAdvertised`, `.egressBitsRequired`,
    ///   `.egressBitsWithoutEC`, `.egressBitsOutOfRange`.
    public init(capability: ACSFlags = [], control: ACSFlags = [], egressVectorBits: Int? = nil) throws(StaticACSError) {
        let cap = capability.intersection(.all)
        let ctl = control.intersection(.all)
        if !ctl.isSubset(of: cap) { throw .controlNotAdvertised(control: ctl, capability: cap) }
        if cap.contains(.ec) {
            guard let bits = egressVectorBits else { throw .egressBitsRequired }
            guard (1...256).contains(bits) else { throw .egressBitsOutOfRange(bits) }
        } else if let bits = egressVectorBits {
            throw .egressBitsWithoutEC(bits)
        }
        self.capability = cap
        self.control = ctl
        self.egressVectorBits = cap.contains(.ec) ? egressVectorBits : nil
        self.version = 1
    }

    /// Size in bytes: 8, plus the egress control vector rounded up to whole dwords.
    public var size: Int { PCI_ACS_EGRESS_CTL_V + ((egressVectorBits ?? 0) + 31) / 32 * 4 }

    /// The capability's bytes (little-endian) with next pointer `next` (0 = last in the list),
    /// built by `encodeACSCapability`.
    public func bytes(next: Int = 0) -> [UInt8] {
        encodeACSCapability(capability: capability, control: control, next: next, version: version,
                            egressVectorBits: egressVectorBits ?? 0)
    }
}

/// Why a static ACS table cannot be built or placed. Every case is a user-facing sentence.
public enum StaticACSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `--device` named a function that is not in the source.
    case deviceNotFound(PCIAddress, source: String, count: Int)
    /// No PCI Express capability: conventional PCI has no extended config space.
    case notPCIExpress(PCIAddress)
    /// The function reads all-ones (vendor 0xffff): no device answered at this address.
    case allOnes(PCIAddress)
    /// Fewer than 4096 bytes readable: a 256-byte (`lspci -xxx`) or 64-byte (non-root) read.
    case extendedSpaceNotReadable(PCIAddress, readable: Int)
    /// The dword at 0x100 reads 0xffffffff: Linux (`pci_cfg_space_size_ext`) then treats the function
    /// as having 256 bytes of config space and never walks an extended capability list.
    case extendedSpaceAllOnes(PCIAddress)
    /// The function already has an ACS capability (a second one would be ignored by Linux).
    case alreadyHasACS(PCIAddress, ACSCapability)
    /// The extended capability list is broken (cycle, pointer past the end, ...): its end cannot be found safely.
    case brokenCapabilityList(PCIAddress, CapabilityAnomaly)
    /// No dword-aligned run of `needed` free, empty bytes; `notEmpty` lists the starts of runs that
    /// are free by the capability extents but hold data.
    case noRoom(PCIAddress, needed: Int, taken: [ExtendedCapabilityExtent], notEmpty: [Int])
    /// `--offset` is not a multiple of 4.
    case offsetUnaligned(Int)
    /// `--offset` + size is not inside 0x100...0x1000.
    case offsetOutOfRange(Int, size: Int)
    /// `--offset` overlaps the extent of an existing capability.
    case offsetOverlaps(Int, size: Int, ExtendedCapabilityExtent)
    /// The chosen bytes hold data (a dword that is neither 0 nor 0xffffffff): possibly undocumented registers.
    case offsetNotEmpty(Int, size: Int, dwordAt: Int, value: UInt32)
    /// The extended capability list is empty: the first capability must be at 0x100.
    case emptyListNeeds0x100(Int)
    /// Control bits set for controls the capability does not advertise (hard-wired 0 by the spec).
    case controlNotAdvertised(control: ACSFlags, capability: ACSFlags)
    /// EC advertised without an egress vector size.
    case egressBitsRequired
    /// An egress vector size without EC.
    case egressBitsWithoutEC(Int)
    /// An egress vector size outside 1...256.
    case egressBitsOutOfRange(Int)

    public var description: String {
        switch self {
        case let .deviceNotFound(a, source, n):
            return "\(a) is not in \(source) (\(n) functions there)"
        case let .allOnes(a):
            return "\(a) reads all-ones (ffff:ffff): no device answered at this address (a hidden or absent function)"
        case let .notPCIExpress(a):
            return "\(a) has no PCI Express capability: ACS is an extended capability, only PCI Express functions have one"
        case let .extendedSpaceNotReadable(a, r):
            return "only \(r) bytes of \(a)'s config space are available; the extended config space (0x100-0xfff) is needed: "
                + "take the dump with `lspci -xxxx` as root"
        case let .extendedSpaceAllOnes(a):
            return "\(a)'s extended config space reads 0xffffffff at 0x100: Linux treats the function as having only 256 bytes "
                + "of config space (pci_cfg_space_size_ext) and would never see an ACS capability"
        case let .alreadyHasACS(a, c):
            return "\(a) already has an ACS capability at 0x\(hex(c.offset, width: 3)) (ACSCap: \(c.capability), ACSCtl: \(c.control)): "
                + "change that one instead of adding a second"
        case let .brokenCapabilityList(a, anomaly):
            return "\(a)'s extended capability list is broken (\(anomaly)): the end of the list cannot be found safely"
        case let .noRoom(a, needed, taken, notEmpty):
            var s = "no room for \(needed) bytes in \(a)'s extended config space (0x100-0xfff): taken are "
                + (taken.isEmpty ? "none" : taken.sorted { $0.offset < $1.offset }.map(\.description).joined(separator: "; "))
            if !notEmpty.isEmpty {
                s += "; free by size but holding data (possibly undocumented registers): "
                    + notEmpty.prefix(8).map { "0x" + hex($0, width: 3) }.joined(separator: ", ")
                    + (notEmpty.count > 8 ? ", ..." : "")
            }
            return s
        case let .offsetUnaligned(o):
            return "offset 0x\(hex(o, width: 3)) is not dword aligned (extended capabilities start on a multiple of 4)"
        case let .offsetOutOfRange(o, size):
            return "offset 0x\(hex(o, width: 3)) with \(size) bytes is outside the extended config space 0x100-0xfff"
        case let .offsetOverlaps(o, size, e):
            return "offset 0x\(hex(o, width: 3))-0x\(hex(o + size - 1, width: 3)) overlaps the existing capability \(e)"
        case let .offsetNotEmpty(o, size, at, v):
            return "offset 0x\(hex(o, width: 3))-0x\(hex(o + size - 1, width: 3)) is not empty: the dword at 0x\(hex(at, width: 3)) "
                + "reads 0x\(hex(v, width: 8)) (possibly undocumented registers)"
        case let .emptyListNeeds0x100(o):
            return "the extended capability list is empty, so the first capability must be at 0x100, not 0x\(hex(o, width: 3))"
        case let .controlNotAdvertised(ctl, cap):
            return "ACS Control \(ctl) sets bits the capability does not advertise (\(cap)): such control bits are hard-wired 0"
        case .egressBitsRequired:
            return "EC (P2P Egress Control) needs the Egress Control Vector Size: give --egress-bits N (1-256)"
        case let .egressBitsWithoutEC(n):
            return "--egress-bits \(n) given without EC in the capabilities"
        case let .egressBitsOutOfRange(n):
            return "egress vector size \(n) is out of range: 1-256 bits"
        }
    }
}

/// Where a new ACS capability goes in a function's extended config space and how it is linked.
public struct ACSPlacement: Hashable, Sendable {
    /// The capability whose next pointer is rewritten to point at the new one.
    public struct Link: Hashable, Sendable {
        /// The previous last capability of the list (in walk order).
        public let extent: ExtendedCapabilityExtent
        /// Its header before and after.
        public let oldHeader: UInt32
        public let newHeader: UInt32
        public var offset: Int { extent.offset }
    }

    /// Offset of the new capability's header (dword aligned, 0x100...0xff8).
    public let offset: Int
    /// Size in bytes.
    public let size: Int
    /// `nil` when the list was empty and the capability starts it at 0x100.
    public let link: Link?
    /// Every existing extended capability with its extent, in list order.
    public let existing: [ExtendedCapabilityExtent]
    /// Whether the offset was chosen by the caller (`--offset`).
    public let chosen: Bool
}

/// One function's ACS table, or a registry entry's firmware table (no placement).
///
/// Build with `StaticACSTable.place(_:in:at:)` for a function read from a dump or the live
/// system, or Pipeline's `StaticACSTable.forEntry(_:)` for a registry entry.
public struct StaticACSTable: Hashable, Sendable {
    /// Who the table is for.
    public enum Subject: Hashable, Sendable {
        /// A function read from a dump or the live system.
        case function(PCIFunction)
        /// A registry entry: vendor ID and name, family, the device IDs it covers.
        case family(vendor: UInt16, vendorName: String, family: String, devices: [ClosedRange<UInt16>])
    }

    /// Who the table is for.
    public let subject: Subject
    /// The registers the capability carries.
    public let request: ACSTableRequest
    /// `nil` for a firmware table (the capability bytes alone, next pointer 0).
    public let placement: ACSPlacement?
    /// Notes for the user (not errors), e.g. that Linux ignores ACS on a single-function endpoint,
    /// each at the function (`StaticACSNote` names the rules).
    public let warnings: [Diagnostic]
    /// Why the table is right, for the C comment (a registry entry's evidence), one paragraph each.
    public let evidence: [String]

    public init(subject: Subject, request: ACSTableRequest, placement: ACSPlacement?, warnings: [Diagnostic] = [],
                evidence: [String] = []) {
        self.subject = subject
        self.request = request
        self.placement = placement
        self.warnings = warnings
        self.evidence = evidence
    }

    /// The new capability's bytes: next pointer 0 (it is the last capability of the list).
    public var bytes: [UInt8] { request.bytes(next: 0) }

    /// The dword writes that install the table, in the order to apply them: the capability's
    /// dwords first (ascending), then the link (the previous last capability's header), so the
    /// list never points at a half-written capability. Offsets are absolute for a placed table,
    /// relative to the capability start for a firmware table.
    public var writes: [(offset: Int, value: UInt32)] {
        let base = placement?.offset ?? 0
        let b = bytes
        var w: [(Int, UInt32)] = stride(from: 0, to: b.count, by: 4).map { i in
            (base + i, UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
        if let link = placement?.link { w.append((link.offset, link.newHeader)) }
        return w
    }

    /// The function's config space with the writes applied (`nil` for a firmware table).
    public var patchedConfig: ConfigSpace? {
        guard placement != nil, case let .function(f) = subject else { return nil }
        var c = f.config
        for w in writes { c.set32(w.offset, w.value) }
        return c
    }

    /// The patched function (`nil` for a firmware table).
    public var patchedFunction: PCIFunction? {
        guard let c = patchedConfig, case let .function(f) = subject else { return nil }
        return PCIFunction(address: f.address, config: c, names: f.names)
    }
}

extension StaticACSTable {
    /// Places an ACS capability built from `request` into `function`'s extended config space.
    ///
    /// The function must be a PCI Express function with all 4096 bytes readable, no ACS capability
    /// and a sound extended capability list. Existing capabilities keep their offsets and bytes;
    /// only the last capability's next pointer (header bits 31:20) changes. With an empty list
    /// (header 0 at 0x100) the capability goes to 0x100 and nothing else changes.
    ///
    /// Automatic placement (`offset` nil): the lowest dword-aligned offset at or after the end of
    /// the highest existing capability whose bytes are empty (every dword 0 or 0xffffffff);
    /// failing that, the lowest such offset in a gap between capabilities. Gaps come last because
    /// vendors hide registers between capabilities more often than after them.
    /// A chosen `offset` must be dword aligned, inside 0x100-0xfff, overlap no capability's extent
    /// (see `ExtendedCapabilities.extents`) and be empty.
    /// `linux` is the function as Linux sees it in its bus (type after `set_pcie_port_type()`,
    /// multifunction with ARI); without it, the function is viewed alone.
    /// - Throws: `StaticACSError` naming the function and the reason.
    public static func place(_ request: ACSTableRequest, in function: PCIFunction, at offset: Int? = nil,
                             linux: PCIDev? = nil) throws(StaticACSError) -> StaticACSTable {
        let a = function.address
        let c = function.config
        let size = request.size
        if let o = offset {
            if o & 3 != 0 { throw .offsetUnaligned(o) }
            if o < ConfigSpace.extendedStart || o + size > ConfigSpace.size { throw .offsetOutOfRange(o, size: size) }
        }
        if c.readable < PCI_STD_HEADER_SIZEOF { throw .extendedSpaceNotReadable(a, readable: c.readable) }
        if c.isAllOnes { throw .allOnes(a) }
        if c.readable < ConfigSpace.size, c.pciExpress == nil, case .pointerPastReadable? = c.standardCapabilities().anomaly {
            throw .extendedSpaceNotReadable(a, readable: c.readable)
        }
        guard c.pciExpress != nil else { throw .notPCIExpress(a) }
        guard c.readable >= ConfigSpace.size else { throw .extendedSpaceNotReadable(a, readable: c.readable) }
        if c.u32(ConfigSpace.extendedStart) == 0xffff_ffff { throw .extendedSpaceAllOnes(a) }
        let walk = c.extendedCapabilities()
        if let anomaly = walk.anomaly { throw .brokenCapabilityList(a, anomaly) }
        if case let .present(acs) = c.acs { throw .alreadyHasACS(a, acs) }

        let extents = ExtendedCapabilities.extents(of: c)
        func overlapping(_ o: Int) -> ExtendedCapabilityExtent? {
            extents.first { $0.range.overlaps(o..<(o + size)) }
        }
        func firstData(_ o: Int) -> (Int, UInt32)? {
            for d in stride(from: o, to: o + size, by: 4) {
                let v = c.u32(d) ?? 0xffff_ffff
                if v != 0 && v != 0xffff_ffff { return (d, v) }
            }
            return nil
        }

        let at: Int
        if extents.isEmpty {
            let o = offset ?? ConfigSpace.extendedStart
            if o != ConfigSpace.extendedStart { throw .emptyListNeeds0x100(o) }
            if let (d, v) = firstData(o) { throw .offsetNotEmpty(o, size: size, dwordAt: d, value: v) }
            at = o
        } else if let o = offset {
            if let e = overlapping(o) { throw .offsetOverlaps(o, size: size, e) }
            if let (d, v) = firstData(o) { throw .offsetNotEmpty(o, size: size, dwordAt: d, value: v) }
            at = o
        } else {
            let highestEnd = extents.map(\.end).max() ?? ConfigSpace.extendedStart
            let candidates = Array(stride(from: (highestEnd + 3) & ~3, through: ConfigSpace.size - size, by: 4))
                + Array(stride(from: ConfigSpace.extendedStart, to: highestEnd, by: 4))
            var notEmpty: [Int] = []
            var found: Int?
            for o in candidates where o + size <= ConfigSpace.size && overlapping(o) == nil {
                if firstData(o) == nil { found = o; break }
                notEmpty.append(o)
            }
            guard let f = found else {
                // Report the start of each run of free-but-not-empty offsets, not every dword.
                let runs = notEmpty.enumerated().filter { $0.offset == 0 || notEmpty[$0.offset - 1] != $0.element - 4 }.map(\.element)
                throw .noRoom(a, needed: size, taken: extents, notEmpty: runs)
            }
            at = f
        }

        var link: ACSPlacement.Link?
        if let last = walk.entries.last, let ext = extents.first(where: { $0.offset == last.offset }),
           let old = c.u32(last.offset) {
            link = ACSPlacement.Link(extent: ext, oldHeader: old, newHeader: (old & 0x000f_ffff) | UInt32(at) << 20)
        }
        let placement = ACSPlacement(offset: at, size: size, link: link, existing: extents, chosen: offset != nil)
        return StaticACSTable(subject: .function(function), request: request, placement: placement,
                              warnings: warnings(for: linux ?? KernelView(functions: [function], system: LinuxSystem()).devices.first,
                                                 request: request))
    }

    /// Notes on how Linux will read the table on this function: `pci_acs_enabled()` (module
    /// LinuxPCI, drivers/pci/pci.c) asked about the function with the table in place, no quirk.
    static func warnings(for dev: PCIDev?, request: ACSTableRequest) -> [Diagnostic] {
        guard var f = dev else { return [] }
        let at = Diagnostic.Location(device: Diagnostic.Device(bdf: f.address.description, id: f.idString))
        let table = ACSRegisters(capability: request.capability, control: request.control)
        f.acsStatus = .present(ACSCapability(offset: f.acs?.offset ?? ConfigSpace.extendedStart, registers: table))
        f.acs = PCIDevACS(offset: f.acs?.offset ?? ConfigSpace.extendedStart, standard: table, intelSPTDword: nil)
        var w: [Diagnostic] = []
        switch pciACSEnabled(f, quirks: QuirkTable(entries: []), system: LinuxSystem()).reason {
        case let .singleFunction(type):
            w.append(Diagnostic(.note, at, rule: StaticACSNote.singleFunction.rawValue, message: "\(f.address) is a single-function \(type.description): Linux's pci_acs_enabled() does not "
                + "look at ACS for it (it is isolated by definition), so this table changes no IOMMU group"))
        case .acsControls where f.type?.isDownstreamFacingPort == true:
            let missing = REQ_ACS_FLAGS.subtracting(request.capability)
            if !missing.isEmpty {
                w.append(Diagnostic(.note, at, rule: StaticACSNote.unadvertisedControls.rawValue, message: "\(f.address) is a \(f.type!.description): not advertising \(missing) tells Linux the port "
                    + "behaves as if they were enabled; only ship that if the port really never forwards peer-to-peer"))
            }
        case let .neverIsolatedType(type):
            w.append(Diagnostic(.note, at, rule: StaticACSNote.neverIsolated.rawValue, message: "\(f.address) is a \(type.description): Linux never considers such a function isolated, whatever its ACS capability says"))
        default:
            break
        }
        return w
    }
}

/// The rules of `StaticACSTable`'s notes: how `pci_acs_enabled()` (drivers/pci/pci.c) will read a
/// static table on the function.
public enum StaticACSNote: String, Sendable, CaseIterable {
    /// A single-function endpoint: `pci_acs_enabled()` does not look at its ACS.
    case singleFunction = "acs-ignored-single-function"
    /// A downstream-facing port that does not advertise some of `REQ_ACS_FLAGS`, which
    /// `pci_acs_flags_enabled()` then treats as enabled.
    case unadvertisedControls = "acs-unadvertised-controls"
    /// A type Linux never considers isolated (a PCIe-to-PCI bridge).
    case neverIsolated = "acs-never-isolated"
}
