import Foundation
import LinuxPCI
import PCIAccess
import PCIConfig
import Registry

/// `acsquirk survey PATH…`: the IOMMU groups of many machines at once (reports in any format
/// `--dump` reads), and across them which devices lack ACS and a quirk on the most machines, so
/// that a vendor's confirmation would help the most people (docs/survey.md).
///
/// Reports are read and predicted in parallel, in batches, and written out in path order as soon
/// as their batch is done: memory holds one batch of reports and the totals, whatever the number
/// of reports. The prediction assumes an IOMMU is on (`--assume-iommu`: hardware databases are
/// mostly taken without one; Linux's enable op only adds what a capability advertises, so it
/// changes nothing where the kernel already enabled ACS).
public enum Survey {
    public struct Options: Sendable {
        /// The platform every report is predicted on (`--kernel`, `--amd-iommu`,
        /// `--assume-pch-workaround-fails`); an IOMMU is always assumed on (`assumeIOMMU`).
        public var system: LinuxSystem
        /// The kernel profile (`system.kernel`).
        public var kernel: KernelProfile { system.kernel }
        /// Reports processed at once (default: the processor count).
        public var jobs: Int
        /// pci.ids for names (lspci text without `-nn`); nil: libpci's default.
        public var idsPath: String?

        public init(kernel: KernelProfile = .newest, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, idsPath: String? = nil) {
            self.init(system: LinuxSystem(kernel: kernel), jobs: jobs, idsPath: idsPath)
        }

        public init(system: LinuxSystem, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, idsPath: String? = nil) {
            self.system = system
            self.system.assumeIOMMU = true
            self.jobs = max(1, jobs)
            self.idsPath = idsPath
        }
    }

    /// What one quirk would do on one machine.
    public struct Effect: Hashable, Sendable, Codable {
        /// `vvvv:dddd` (a device without ACS) or the entry's `path:line` (a registry entry).
        public var key: String
        /// Functions whose IOMMU group gets smaller with the quirk.
        public var functionsSeparated: Int
        /// How Linux sees the device (`root port`, `multifunction endpoint`, ...); nil for an entry.
        public var kind: String?
    }

    /// One report's result.
    public struct Report: Hashable, Sendable, Codable {
        public var path: String
        public var format: String
        public var functions: Int
        /// Every predicted group, members as `dddd:bb:dd.f`, in group-number order.
        public var groups: [[String]]
        /// Kinds of the reader's assumptions (docs/input-formats.md).
        public var assumptions: [String]
        /// Devices without ACS and without a quirk whose missing ACS the kernel checks, and what a
        /// quirk for each ID would split here (0: nothing).
        public var withoutACS: [Effect]
        /// Registry entries not upstream that act on a device here, and what each would split.
        public var entries: [Effect]
        /// Functions whose ACS cannot be seen in the report (extended space missing, non-root).
        public var acsUnknown: Int

        public var sharedGroups: [[String]] { groups.filter { $0.count > 1 } }
    }

    /// A device ID across reports.
    public struct DeviceStat: Hashable, Sendable, Codable {
        public var id: String
        public var name: String?
        /// How Linux sees it (`root port`, `multifunction endpoint`, ...), the most frequent.
        public var kind: String
        /// Reports where it lacks ACS and has no quirk.
        public var machinesSeen: Int
        /// Reports where a quirk for it would split an IOMMU group.
        public var machinesMerged: Int
        /// Over all reports: functions whose group would get smaller with a quirk for it.
        public var functionsSeparated: Int
        /// The first reports (in path order) where it merges groups.
        public var examples: [String]
    }

    /// A registry entry not upstream across reports.
    public struct EntryStat: Hashable, Sendable, Codable {
        /// `path:line`.
        public var entry: String
        public var family: String
        public var status: String
        /// Reports with a device it covers.
        public var machinesSeen: Int
        /// Reports where it would split an IOMMU group.
        public var machinesHelped: Int
        public var functionsSeparated: Int
        public var examples: [String]
    }

    /// An input that could not be read as a report.
    public struct Unreadable: Error, Hashable, Sendable, Codable {
        public var path: String
        public var reason: String
    }

    /// What is printed after the reports.
    public struct Summary: Hashable, Sendable, Codable {
        public var reports: Int
        public var unreadable: Int
        public var functions: Int
        /// By machines merged, then functions separated, then ID.
        public var devicesWithoutACS: [DeviceStat]
        /// By machines helped, then functions separated, then entry.
        public var registryEntries: [EntryStat]
        /// Reports by format (`hex-dump`, `lspci-text`, `snapshot`).
        public var formats: [String: Int]
    }

    /// The report files under `paths` (files as given; folders recursively, hidden entries skipped),
    /// sorted, each once.
    public static func files(_ paths: [String]) -> (files: [String], unreadable: [Unreadable]) {
        var out = Set<String>()
        var bad: [Unreadable] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                bad.append(Unreadable(path: p, reason: "no such file or folder"))
                continue
            }
            if !isDir.boolValue {
                out.insert(p)
                continue
            }
            guard let walker = fm.enumerator(atPath: p) else {
                bad.append(Unreadable(path: p, reason: "folder cannot be read"))
                continue
            }
            while let rel = walker.nextObject() as? String {
                if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                    walker.skipDescendants()
                    continue
                }
                let full = (p as NSString).appendingPathComponent(rel)
                var d: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue { out.insert(full) }
            }
        }
        return (out.sorted(), bad)
    }

    /// Reads and analyses one report.
    public static func analyze(path: String, table: QuirkTable, whatIf: [LoadedEntry], options: Options)
        -> Result<Report, Unreadable> {
        let read: PCIReadResult
        do throws(PCIAccessError) {
            read = try PCIReader.load(.dump(path: path), names: false, idsPath: options.idsPath)
        } catch {
            // The first problem (`line N: ...`, the path is the entry's), and how many more.
            let lines = error.message.split(separator: "\n")
            var first = lines.first.map(String.init) ?? "unreadable"
            if first.hasPrefix(path + ":") {
                let rest = first.dropFirst(path.count + 1)
                let number = rest.prefix { $0.isNumber }
                first = number.isEmpty ? String(rest).trimmingCharacters(in: .whitespaces)
                    : "line \(number): " + rest.dropFirst(number.count + 1).trimmingCharacters(in: .whitespaces)
            }
            return .failure(Unreadable(path: path, reason: first + (lines.count > 1 ? " (and \(lines.count - 1) more)" : "")))
        }
        guard read.functions.contains(where: { !$0.isAllOnes }) else { return .failure(Unreadable(path: path, reason: "no PCI functions")) }
        return .success(analyze(path: path, read: read, table: table, whatIf: whatIf, options: options))
    }

    /// Analyses functions already read.
    public static func analyze(path: String, read: PCIReadResult, table: QuirkTable, whatIf: [LoadedEntry],
                               options: Options) -> Report {
        // One view of the devices serves the kernel's table and every what-if table.
        let view = KernelView(functions: read.functions, system: options.system)
        let p = GroupPredictor.predict(view, quirks: table)
        var candidates: [PCIDeviceID: String] = [:]
        let unknown = p.devices.filter { if case .unknown = $0.acsStatus { return true } else { return false } }.count
        for (i, v) in p.verdicts.enumerated() {
            guard case .noACSCapability(unknown: nil) = v.reason else { continue }
            let d = p.devices[i]
            let id = PCIDeviceID(vendor: d.vendor, device: d.device)
            if candidates[id] == nil {
                candidates[id] = d.kindPhrase
            }
        }
        func separated(_ extra: [QuirkEntry]) -> Int {
            let after = GroupPredictor.predict(view, quirks: table.consultingFirst(extra))
            var before = [Int](repeating: 0, count: p.groups.count)
            for g in p.groups { before[g.number] = g.members.count }
            var sizeAfter = [Int](repeating: 0, count: after.groups.count)
            for g in after.groups { sizeAfter[g.number] = g.members.count }
            var n = 0
            for i in p.tree.functions.indices where sizeAfter[after.groupNumber[i]] < before[p.groupNumber[i]] { n += 1 }
            return n
        }
        let effects = candidates.keys.sorted().map { id in
            Effect(key: id.description, functionsSeparated: separated([WhatIf.mfEndpointQuirk(vendor: id.vendor, device: id.device)]),
                   kind: candidates[id])
        }
        var entryEffects: [Effect] = []
        for le in whatIf {
            let e = le.entry
            guard p.devices.contains(where: { $0.vendor == e.vendor && e.covers(device: $0.device) }) else { continue }
            entryEffects.append(Effect(key: "\(le.path):\(le.line)", functionsSeparated: separated([e]), kind: nil))
        }
        let groups = p.groups.map { g in g.members.map { p.tree.functions[$0].address }.sorted().map(\.description) }
        return Report(path: path, format: read.format?.rawValue ?? "live", functions: p.tree.functions.count, groups: groups,
                      assumptions: read.assumptions.map(\.kind.rawValue), withoutACS: effects, entries: entryEffects,
                      acsUnknown: unknown)
    }

    /// The totals, built one report at a time.
    public struct Totals: Sendable {
        struct Device { var seen = 0, merged = 0, separated = 0, kinds: [String: Int] = [:], examples: [String] = [] }
        struct Entry { var seen = 0, helped = 0, separated = 0, examples: [String] = [] }
        var devices: [String: Device] = [:]
        var entries: [String: Entry] = [:]
        public private(set) var reports = 0
        public private(set) var functions = 0
        public private(set) var unreadable: [Unreadable] = []
        var formats: [String: Int] = [:]
        static let examples = 3

        public init() {}

        mutating func add(_ r: Report) {
            reports += 1
            functions += r.functions
            formats[r.format, default: 0] += 1
            for e in r.withoutACS {
                var d = devices[e.key, default: Device()]
                d.seen += 1
                d.kinds[e.kind ?? "device", default: 0] += 1
                if e.functionsSeparated > 0 {
                    d.merged += 1
                    d.separated += e.functionsSeparated
                    if d.examples.count < Self.examples { d.examples.append(r.path) }
                }
                devices[e.key] = d
            }
            for e in r.entries {
                var s = entries[e.key, default: Entry()]
                s.seen += 1
                if e.functionsSeparated > 0 {
                    s.helped += 1
                    s.separated += e.functionsSeparated
                    if s.examples.count < Self.examples { s.examples.append(r.path) }
                }
                entries[e.key] = s
            }
        }

        mutating func add(_ u: Unreadable) { unreadable.append(u) }

        /// The summary; `names` gives a device's pci.ids name, `whatIf` describes the entries.
        public func summary(names: (PCIDeviceID) -> String?, whatIf: [LoadedEntry]) -> Summary {
            let devs = devices.map { key, d in
                DeviceStat(id: key, name: PCIDeviceID(key).flatMap(names),
                           kind: d.kinds.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.first?.key ?? "device",
                           machinesSeen: d.seen, machinesMerged: d.merged, functionsSeparated: d.separated, examples: d.examples)
            }.sorted { ($1.machinesMerged, $1.functionsSeparated, $0.id) < ($0.machinesMerged, $0.functionsSeparated, $1.id) }
            let byKey = Dictionary(whatIf.map { ("\($0.path):\($0.line)", $0) }, uniquingKeysWith: { a, _ in a })
            let ents = entries.map { key, s in
                EntryStat(entry: key, family: byKey[key].map { "\($0.entry.vendorName) \($0.entry.family)" } ?? key,
                          status: byKey[key]?.entry.kernel.status.rawValue ?? "new",
                          machinesSeen: s.seen, machinesHelped: s.helped, functionsSeparated: s.separated, examples: s.examples)
            }.sorted { ($1.machinesHelped, $1.functionsSeparated, $0.entry) < ($0.machinesHelped, $0.functionsSeparated, $1.entry) }
            return Summary(reports: reports, unreadable: unreadable.count, functions: functions, devicesWithoutACS: devs,
                           registryEntries: ents, formats: formats)
        }
    }

    /// Runs the survey over `files` in path order: `emit` gets each report (or unreadable
    /// input) in that order as soon as its batch is done; returns the totals.
    public static func run(files: [String], table: QuirkTable, whatIf: [LoadedEntry], options: Options,
                           emit: (Result<Report, Unreadable>) -> Void) -> Totals {
        var totals = Totals()
        let batch = options.jobs * 16
        var start = 0
        while start < files.count {
            let chunk = Array(files[start..<min(start + batch, files.count)])
            start += chunk.count
            let results = Survey.parallel(chunk, jobs: options.jobs) { path in
                analyze(path: path, table: table, whatIf: whatIf, options: options)
            }
            for r in results {
                switch r {
                case let .success(report):
                    totals.add(report)
                    emit(.success(report))
                case let .failure(u):
                    totals.add(u)
                    emit(.failure(u))
                }
            }
        }
        return totals
    }

    /// `body` over `items` on `jobs` threads; results in the items' order.
    static func parallel<T: Sendable>(_ items: [String], jobs: Int, _ body: @escaping @Sendable (String) -> T) -> [T] {
        let box = ResultSlots<T>(items.count)
        DispatchQueue.concurrentPerform(iterations: min(jobs, items.count)) { worker in
            var i = worker
            while i < items.count {
                box.set(i, body(items[i]))
                i += jobs
            }
        }
        return box.all
    }
}

/// Results filled in by several threads, one slot each.
private final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private var results: [T?]
    private let lock = NSLock()
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ value: T) {
        lock.lock()
        results[i] = value
        lock.unlock()
    }
    var all: [T] { results.map { $0! } }
}
