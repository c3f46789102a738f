import Foundation
import PCIConfig
import Registry
import Testing
import TestSupport
@testable import LinuxPCI

/// Kernel profiles by release, 5.4 to the newest line: `--kernel` parsing, release strings, and
/// every row of `KernelDifference.all` holding on its side of each boundary and not on the
/// neighbouring release, on real inputs where the repository has them.
@Suite struct KernelVersionTests {
    // MARK: --kernel

    @Test func everyReleaseFrom54ToTheNewestLineIsAProfile() throws {
        #expect(KernelProfile.allValueStrings.first == "5.4" && KernelProfile.allValueStrings.last == "\(KernelProfile.newest)")
        #expect(KernelProfile.allValueStrings.contains("5.19") && KernelProfile.allValueStrings.contains("6.0"))
        #expect(!KernelProfile.allValueStrings.contains("5.20"))
        for (text, version) in [("5.10", KernelVersion(5, 10)), ("5.9.3", KernelVersion(5, 9, 3)), ("6.6.58", KernelVersion(6, 6, 58)),
                                ("7.3", KernelVersion(7, 3)), ("v6.12", KernelVersion(6, 12)), ("5.4.48", KernelVersion(5, 4, 48))] {
            #expect(KernelProfile(argument: text)?.version == version, "\(text)")
        }
        #expect(KernelProfile(argument: "6.12") == .v6_12 && KernelProfile(argument: "7.3") == .newest)
    }

    @Test func olderNewerAndMalformedReleasesAreRefusedSayingWhy() {
        func message(_ text: String) -> String {
            do { _ = try KernelProfile.parse(text); return "" } catch { return error.description }
        }
        #expect(message("5.3") == "5.3 is older than the oldest kernel profile, 5.4")
        #expect(message("4.19.300") == "4.19.300 is older than the oldest kernel profile, 5.4")
        #expect(message("7.4").hasPrefix("7.4 is newer than the newest kernel line known, 7.3"))
        #expect(message("5.20") == "5.20 is not a Linux release line")
        #expect(message("6.12.x").contains("is not a kernel release"))
        for bad in ["", "7", "6.12-rc3", "abc", "6.12.1.2"] { #expect(KernelProfile(argument: bad) == nil, "\(bad)") }
        // `uname -r` pasted as is: refused, naming the release to give instead.
        #expect(message("6.6.58-1-lts") == "\"6.6.58-1-lts\" is a release string as uname -r prints it, not a kernel release: --kernel 6.6.58")
        #expect(message("6.12.43+deb13-amd64").hasSuffix("not a kernel release: --kernel 6.12.43"))
        #expect(message("6.1.0-40-amd64") == "\"6.1.0-40-amd64\" is a release string as uname -r prints it, not a kernel release: "
            + "its .0-N counts ABI changes, not stable releases; give the stable release it is built from, --kernel 6.1.N "
            + "(Debian's uname -v names it: \"Debian 6.1.N-…\")")
        #expect(message("4.19.0-27-amd64").contains("is not a kernel release"))
    }

    // MARK: release strings

    @Test func releaseStringsNameTheirReleaseOrNot() {
        // Distributions that name the stable release.
        #expect(KernelProfile.closest(toRelease: "6.12.43+deb13-amd64") == KernelProfile(KernelVersion(6, 12, 43)))
        #expect(KernelProfile.closest(toRelease: "6.6.58-1-lts") == KernelProfile(KernelVersion(6, 6, 58)))
        #expect(KernelProfile.closest(toRelease: "7.3.0") == .v7_3)
        #expect(KernelProfile.closest(toRelease: "6.12.0-rc3") == .v6_12)
        // Debian bookworm/bullseye, Ubuntu, RHEL: `.0-N` counts ABI changes, the sublevel is unknown.
        for (release, line) in [("6.1.0-40-amd64", KernelVersion(6, 1)), ("5.10.0-46-amd64", KernelVersion(5, 10)),
                                ("6.8.0-45-generic", KernelVersion(6, 8)), ("5.14.0-427.el9.x86_64", KernelVersion(5, 14))] {
            #expect(KernelProfile.closest(toRelease: release) == KernelProfile(line, sublevelUnknown: true), "\(release)")
        }
        #expect(KernelProfile(KernelVersion(6, 1), sublevelUnknown: true).description == "6.1.y")
        // Debian's `uname -v` names the upstream release of the package.
        #expect(KernelProfile.closest(toRelease: "6.1.0-40-amd64", version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)")
            == KernelProfile(KernelVersion(6, 1, 153)))
        #expect(KernelProfile.closest(toRelease: "6.1.0-40-amd64", version: "#1 SMP Debian 5.10.2-1")?.sublevelUnknown == true)
        // Out of range: clamped, garbage: nil.
        #expect(KernelProfile.closest(toRelease: "8.0") == .newest)
        #expect(KernelProfile.closest(toRelease: "4.19.0-27-amd64") == KernelProfile(KernelProfile.oldest))
        #expect(KernelProfile.closest(toRelease: "garbage") == nil)
    }

    @Test func aReleaseWithoutItsSublevelIsTheLinesNewestAndSaysWhatEarlierOnesLack() throws {
        let r = KernelProfile.resolve(nil, live: false, recordedRelease: "5.10.0-46-amd64")
        #expect(r.profile == KernelProfile(KernelVersion(5, 10), sublevelUnknown: true))
        #expect(r.profile.has(.broadcomBCM57414))
        let note = try #require(r.note)
        #expect(note.contains("5.10.0-46-amd64") && note.contains("5.10.46") && note.contains("BCM57414"), "\(note)")
        // A line without stable differences says nothing; so does a named release.
        #expect(KernelProfile.resolve(nil, live: false, recordedRelease: "5.8.0-3-amd64").note == nil)
        #expect(KernelProfile.resolve(nil, live: false, recordedRelease: "5.10.240").note == nil)
        // Older than the oldest profile: predicted as 5.4, said so.
        let old = KernelProfile.resolve(nil, live: true, release: "4.19.0-27-amd64", version: nil)
        #expect(old.profile == KernelProfile(KernelProfile.oldest))
        #expect(old.note?.contains("older than the oldest profile, 5.4") == true)
    }

    // MARK: the table

    /// The release before `v` on its side: the previous stable release, or the previous line's
    /// mainline release.
    static func neighbour(_ v: KernelVersion) -> KernelVersion {
        if let s = v.sublevel, s > 0 { return KernelVersion(v.major, v.minor, s - 1) }
        return v.previousLine!
    }

    static let boundaries: [(KernelDifference, KernelVersion)] = KernelDifference.all.flatMap { d in d.boundaries.map { (d, $0) } }

    @Test(arguments: boundaries)
    func everyBoundaryChangesTheBehaviour(_ d: KernelDifference, _ boundary: KernelVersion) {
        #expect(d.applies(to: boundary) != d.applies(to: Self.neighbour(boundary)), "\(d.id) at \(boundary)")
        #expect(KernelProfile(boundary).has(d) == d.applies(to: boundary))
    }

    @Test func theRegressionsAreWhereTheIssueSaysTheyAre() {
        let r = KernelDifference.acsEnableNeedsCapability
        for v in ["5.9", "5.9.3", "5.9.8"] { #expect(r.applies(to: KernelVersion(v)!), "\(v)") }
        for v in ["5.8", "5.8.18", "5.9.9", "5.10", "6.1"] { #expect(!r.applies(to: KernelVersion(v)!), "\(v)") }
        #expect(r.releases == "5.9–5.9.8 (fixed in 5.10, 5.9.9)")
        let c = KernelDifference.configACSReworkSkipsQuirkEnable
        #expect(c.applies(to: KernelVersion(6, 11, 6)) && !c.applies(to: KernelVersion(6, 11, 7)) && !c.applies(to: KernelVersion(6, 12)))
        #expect(KernelDifference.intelRCiEP.releases == "5.7 and later; 5.4.48 and later 5.4.y")
        #expect(KernelProfile(KernelVersion(5, 4), sublevelUnknown: true).has(.intelRCiEP))
        #expect(!KernelProfile(KernelVersion(5, 6), sublevelUnknown: true).has(.intelRCiEP))
    }

    /// Each row a difference adds is a row of the committed kernel table (not a typo), its
    /// registry entry records the same first mainline release (`kernel.since`), and the quirk
    /// walk consults it on the boundary release and not on the one before.
    @Test(arguments: KernelDifference.all.filter { !$0.quirkRows.isEmpty })
    func quirkRowsAreInTheTableFromTheirReleaseOn(_ d: KernelDifference) throws {
        let table = try KernelTable.table()
        for key in d.quirkRows {
            let row = try #require(table.rows.first { r in
                r.row != nil && r.vendor == key.vendor && r.device == key.device && table.entries[r.entryIndex].kernel.function == key.function
            }, "\(key) in the committed table")
            #expect(row.addedBy == d)
            let entry = table.entries[row.entryIndex]
            let since = try #require(entry.kernel.since.flatMap(KernelRelease.init), "\(entry.family): kernel.since")
            #expect(since.upperBound || KernelVersion(since.major, since.minor) <= d.since, "\(entry.family): since \(since) vs \(d.since)")
            let device = key.device ?? entry.devices.compactMap { ids -> UInt16? in
                if case let .id(i) = ids { return i }
                if case let .range(first, _) = ids { return first }
                return nil
            }.first!
            let dev = PCIDev(vendor: key.vendor, device: device, type: entry.appliesTo.portType.types?.first ?? .endpoint,
                             multifunction: entry.appliesTo.multifunction ?? true, classID: entry.appliesTo.classID,
                             onRootBus: true)
            for boundary in [d.since] + d.stableSince {
                func consulted(_ v: KernelVersion) -> Bool {
                    table.trace(dev, REQ_ACS_FLAGS, LinuxSystem(kernel: KernelProfile(v), amdIVRS: true)).steps
                        .contains { $0.row.row == row.row }
                }
                #expect(consulted(boundary), "\(key) on \(boundary)")
                #expect(!consulted(Self.neighbour(boundary)), "\(key) on \(Self.neighbour(boundary))")
            }
        }
    }

    /// Each ID range a difference adds to a quirk function's own list is in the registry entry of
    /// that function (`devices`), and the function isolates the device on the boundary release and
    /// answers as for an unlisted ID (`kernel.unlisted`) on the one before.
    @Test(arguments: KernelDifference.all.filter { !$0.quirkIDs.isEmpty })
    func quirkFunctionIDsAreListedFromTheirReleaseOn(_ d: KernelDifference) throws {
        let table = try KernelTable.table()
        for ids in d.quirkIDs {
            let entry = try #require(table.entries.first { $0.vendor == ids.vendor && $0.kernel.function == ids.function
                && $0.covers(device: ids.devices.lowerBound) && $0.covers(device: ids.devices.upperBound) }, "\(ids) in the registry")
            let dev = PCIDev(vendor: ids.vendor, device: ids.devices.lowerBound, type: entry.appliesTo.portType.types?.first ?? .endpoint,
                             multifunction: entry.appliesTo.multifunction ?? true, classID: entry.appliesTo.classID, onRootBus: true)
            for boundary in [d.since] + d.stableSince {
                func answer(_ v: KernelVersion) -> ACSQuirkAnswer? {
                    table.pciDevSpecificACSEnabled(dev, REQ_ACS_FLAGS, LinuxSystem(kernel: KernelProfile(v))).map(\.answer)
                }
                #expect(answer(boundary) == .isolated, "\(ids) on \(boundary)")
                #expect(answer(Self.neighbour(boundary)) == (entry.kernel.unlisted == .pass ? nil : .notIsolated),
                        "\(ids) on \(Self.neighbour(boundary))")
            }
        }
    }

    /// docs/kernels.md holds the table as `KernelDifference.markdownTable` renders it
    /// (`ACSQUIRK_RECORD=1 swift test --filter theDocsTableIsTheTable` rewrites it).
    @Test func theDocsTableIsTheTable() async throws {
        let path = Fixtures.repoPath("docs/kernels.md")
        let doc = try String(contentsOfFile: path, encoding: .utf8)
        let begin = "<!-- KernelDifference.all: begin -->\n", end = "<!-- KernelDifference.all: end -->"
        let start = try #require(doc.range(of: begin), "docs/kernels.md: \(begin) missing")
        let stop = try #require(doc.range(of: end, range: start.upperBound..<doc.endIndex))
        let committed = String(doc[start.upperBound..<stop.lowerBound])
        if ProcessInfo.processInfo.environment["ACSQUIRK_RECORD"] == "1" {
            try (String(doc[..<start.upperBound]) + KernelDifference.markdownTable + String(doc[stop.lowerBound...]))
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        if committed != KernelDifference.markdownTable {
            Issue.record("docs/kernels.md differs from KernelDifference.all:\n\(await textDiff(expected: committed, actual: KernelDifference.markdownTable))")
        }
    }

    // MARK: real inputs

    /// QEMU's e1000e (8086:10d3) and Intel-ID nvme (8086:5845) as multifunction RCiEPs on the root
    /// bus (Tests/Fixtures/qemu/e-rciep, booted on 6.12): split by `pci_quirk_rciep_acs` from 5.7
    /// and 5.4.48 on, one group per slot before.
    @Test func intelRCiEPsAreIsolatedFrom57And5448() throws {
        let booted = partition(try Fixtures.groups("qemu/e-rciep/groups.txt"))
        for v in ["5.7", "5.4.48", "5.10", "6.12"] {
            let p = try predict("qemu/e-rciep/dump.txt", kernel: KernelProfile(argument: v)!)
            #expect(show(p.partition) == show(booted), "\(v)")
        }
        for v in ["5.6", "5.6.19", "5.4.47", "5.4"] {
            let p = try predict("qemu/e-rciep/dump.txt", kernel: KernelProfile(argument: v)!)
            #expect(p.groupOf("00:06.0") == ["00:06.0", "00:06.1"], "\(v)")
            #expect(p.groupOf("00:08.0") == ["00:08.0", "00:08.1"], "\(v)")
            #expect(p.groupOf("00:03.0") == ["00:03.0"], "\(v): a single-function RCiEP needs no quirk")
            #expect(p.partition.count == booted.count - 2, "\(v)")
        }
    }

    /// X99-BD4's Intel 8-series PCH root ports 00:1c.0 and 00:1c.3 (8086:8c10, 8c16; no ACS
    /// capability): isolated by the PCH quirk, except where the kernel never calls its enable step
    /// (5.9.0–5.9.8, 6.11.0–6.11.6): then the two ports of slot 1c and what is below them share a group.
    @Test func pchRootPortsCollapseWhereTheEnableStepIsSkipped() throws {
        for v in ["5.8", "5.9.9", "5.10", "6.10", "6.11.7", "6.12"] {
            let p = try predict(m("x99-huananzhi-bd4"), kernel: KernelProfile(argument: v)!, assumeIOMMU: true)
            #expect(p.groupOf("00:1c.0") == ["00:1c.0"], "\(v)")
            #expect(p.groupOf("00:1c.3") == ["00:1c.3"], "\(v)")
        }
        for v in ["5.9", "5.9.8", "6.11", "6.11.6"] {
            let p = try predict(m("x99-huananzhi-bd4"), kernel: KernelProfile(argument: v)!, assumeIOMMU: true)
            let group = p.groupOf("00:1c.0")
            #expect(group.contains("00:1c.3") && group.count > 2, "\(v): \(group)")
            let port = try #require(p.devices.first { $0.address == PCIAddress("00:1c.0")! })
            guard case .enableNotCalled = port.pchWorkaround else { Issue.record("\(v): \(port.pchWorkaround)"); continue }
            #expect(p.notes.contains { $0.text.contains("does not call it for a root port without an ACS capability") }, "\(v)")
        }
        // The CPU root ports carry a standard ACS capability: unaffected.
        let p = try predict(m("x99-huananzhi-bd4"), kernel: KernelProfile(argument: "5.9.3")!, assumeIOMMU: true)
        #expect(p.groupOf("00:02.0") == ["00:02.0"])
    }

    func m(_ name: String) -> String { "machines/\(name)/dump.txt" }
}
