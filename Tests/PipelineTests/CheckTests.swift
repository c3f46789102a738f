import Diagnostics
import Foundation
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import Testing
import TestSupport

/// Runs the check of `entries` (plus the committed registry when `withRegistry`) on a fixture dump.
func check(_ fixture: String, _ extra: [LoadedEntry], withRegistry: Bool = true,
           options: CheckOptions = CheckOptions()) throws -> CheckReport {
    let all = (withRegistry ? try committedRegistry() : []) + extra
    return RegistryCheck.run(functions: try functions(fixture), entries: all, source: fixture, options: options)
}

/// The findings about one entry file, except notes on what it changes.
func problems(_ r: CheckReport, _ path: String) -> [Diagnostic] {
    r.findings.filter { $0.path == path && $0.rule != CheckRule.effect.rawValue }
}

@Suite struct CheckContradictionTests {
    @Test func fittingEntryGivesNoFindings() throws {
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = try check("qemu/f-quirk/dump.txt", [e])
        #expect(problems(r, e1000eEntryPath).isEmpty, "\(r.findings.map(\.description))")
        #expect(!r.hasContradictions)
        // It covers both functions of the e1000e, and every condition holds.
        let mine = r.checks.filter { $0.path == e1000eEntryPath }
        #expect(mine.map(\.bdf) == ["0000:01:00.0", "0000:01:00.1"])
        #expect(mine.allSatisfy { $0.conditions.allSatisfy { $0.state == .holds } && $0.conditions.count == 2 })
        #expect(mine.allSatisfy { $0.acs == "no ACS capability" })
    }

    @Test func rootPortEntryFitsRootPortsWithoutACS() throws {
        // a3: QEMU root ports with disable-acs=on: a ports-isolated entry is what they need.
        let e = try entry(qemuRootPortEntryYAML, path: qemuRootPortEntryPath)
        let r = try check("qemu/a3-rootports-mf-noacs/dump.txt", [e])
        #expect(problems(r, qemuRootPortEntryPath).isEmpty, "\(r.findings.map(\.description))")
        #expect(r.checks.filter { $0.path == qemuRootPortEntryPath }.map(\.bdf)
                == ["0000:00:01.0", "0000:00:01.1", "0000:00:01.2"])
    }

    @Test func entryForARootPortWithACSContradictsIt() throws {
        // a-rootports: the same QEMU root ports with their ACS capability (SV RR CR UF).
        let e = try entry(qemuRootPortEntryYAML, path: qemuRootPortEntryPath)
        let r = try check("qemu/a-rootports/dump.txt", [e])
        let f = problems(r, qemuRootPortEntryPath)
        #expect(f.count == 4)  // 00:01.0 .. 00:04.0
        #expect(f.allSatisfy { $0.severity == .error && $0.rule == "has-acs" })
        #expect(f.first?.message.contains("advertises ACS with RR and CR (cap SV|TB|RR|CR|UF|DT, ctl SV|RR|CR|UF)") == true, "\(f)")
        // Annotated at isolation.kind (line 9 of the entry).
        #expect(f.allSatisfy { $0.line == 9 })
        #expect(r.hasContradictions)
    }

    @Test func singleFunctionDeviceClaimedMultifunction() throws {
        // a-rootports: the e1000e is the only function at 01:00.0.
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = try check("qemu/a-rootports/dump.txt", [e])
        let f = problems(r, e1000eEntryPath)
        #expect(f.map(\.rule) == ["multifunction"])
        #expect(f.first?.severity == .error)
        #expect(f.first?.bdf == "0000:01:00.0")
        #expect(f.first?.line == 8)  // applies-to.multifunction
        #expect(f.first?.message.contains("01:00.0 [8086:10d3] is not multifunction: single function (header type bit 7 clear), but the entry claims it is multifunction") == true, "\(f)")
    }

    @Test func wrongPortType() throws {
        // e-rciep: QEMU puts the e1000e on the root bus, where it is an RCiEP, not an endpoint.
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = try check("qemu/e-rciep/dump.txt", [e])
        let f = problems(r, e1000eEntryPath)
        // 00:03.0 is also single-function: two findings there; 00:06.0 and .1 only the port type.
        #expect(f.filter { $0.rule == "port-type" }.map(\.bdf) == ["0000:00:03.0", "0000:00:06.0", "0000:00:06.1"])
        #expect(f.filter { $0.rule == "multifunction" }.map(\.bdf) == ["0000:00:03.0"])
        #expect(f.allSatisfy { $0.severity == .error })
        #expect(f.first { $0.rule == "port-type" }?.line == 7)
        #expect(f.first { $0.rule == "port-type" && $0.bdf?.hasSuffix("06.0") == true }?.message.contains("00:06.0 [8086:10d3] is a multifunction RCiEP (rciep), but the entry applies to port-type endpoint") == true)
    }

    @Test func githubAnnotationsPointAtTheEntry() throws {
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = try check("qemu/a-rootports/dump.txt", [e])
        let lines = r.github().split(separator: "\n")
        let err = try #require(lines.first { $0.hasPrefix("::error ") })
        #expect(err.hasPrefix("::error file=quirks/intel/82574l.yaml,line=8,col=18,title=acsquirk check multifunction::[multifunction] 01:00.0 [8086:10d3] is not multifunction"))
        #expect(lines.last?.hasPrefix("::notice title=acsquirk check::") == true)
    }

    @Test func jsonRoundTrips() throws {
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = try check("qemu/e-rciep/dump.txt", [e])
        let back = try JSONDecoder().decode(CheckReport.self, from: Data(r.json().utf8))
        #expect(back == r)
        #expect(r.json() == (try check("qemu/e-rciep/dump.txt", [e])).json())  // deterministic
    }
}

@Suite struct CheckUpstreamTests {
    @Test func intelRCiEPQuirkOnQEMURCiEPs() throws {
        let r = try check("qemu/e-rciep/dump.txt", [])
        let rciep = r.checks.filter { $0.path.hasSuffix("quirks/intel/rciep.yaml") }
        // Intel's RCiEPs only: 8086:10d3 at 03.0, 06.0, 06.1 and 8086:5845 at 08.0, 08.1 — not the
        // Intel 82540EM at 09.x (conventional PCI), not the ICH9 functions, not the 1af4/1b36 RCiEPs.
        #expect(rciep.map(\.bdf) == ["0000:00:03.0", "0000:00:06.0", "0000:00:06.1", "0000:00:08.0", "0000:00:08.1"])
        #expect(rciep.allSatisfy { $0.conditions.map(\.state) == [.holds] })
        #expect(r.findings.filter { $0.severity != .note }.isEmpty, "\(r.findings.map(\.description))")
        // The vendor-wide row makes no noise on the dumps without Intel RCiEPs.
        for fixture in ["qemu/a-rootports/dump.txt", "qemu/f-quirk/dump.txt", "machines/x99-huananzhi-bd4/dump.txt"] {
            let other = try check(fixture, [])
            #expect(other.checks.filter { $0.path.hasSuffix("rciep.yaml") && $0.conditions.contains { $0.state == .fails } }.isEmpty)
        }
    }

    /// The PCH root ports each machine's NOTES.md names as in the kernel's Intel PCH list.
    static let pchRootPorts: [(String, [UInt16])] = [
        ("machines/arrandale-samsung-r580-gt330m", [0x3b42, 0x3b46, 0x3b48]),
        ("machines/ivb-latitude-e6430-nvs5200m", [0x1e10, 0x1e12, 0x1e14, 0x1e16, 0x1e1a]),
        ("machines/snb-h67-pcie-pci-bridge-saa7134", [0x1c10, 0x1c12]),
        ("machines/x99-huananzhi-bd4", [0x8c10, 0x8c16]),
        ("machines/x99-huananzhi-qd4-navi23", [0x8c10, 0x8c14]),
    ]

    @Test(arguments: pchRootPorts.map(\.0))
    func intelPCHQuirkOnMachines(_ machine: String) throws {
        let expected = Self.pchRootPorts.first { $0.0 == machine }!.1
        let r = try check(machine + "/dump.txt", [])
        let pch = r.checks.filter { $0.path.hasSuffix("quirks/intel/pch-root-ports.yaml") }
        #expect(pch.map(\.id) == expected.map { "8086:" + hex($0, width: 4) })
        for c in pch {
            #expect(c.kind == "root port")
            #expect(c.acs == "no ACS capability")
            #expect(c.conditions.first?.name == .portType && c.conditions.first?.state == .holds)
            #expect(c.conditions.contains { $0.name == .intelPCHWorkaround && $0.state == .assumed })
        }
        // Upstream entries never contradict: no errors on any machine.
        #expect(!r.hasContradictions, "\(r.findings.filter { $0.severity == .error }.map(\.description))")
    }

    @Test(arguments: Fixtures.machines + Fixtures.qemuTopologies.map { "../qemu/" + $0 })
    func committedRegistryHasNoContradictionAnywhere(_ dir: String) throws {
        let r = try check("machines/\(dir)/dump.txt", [])
        #expect(!r.hasContradictions, "\(r.findings.filter { $0.severity == .error }.map(\.description))")
        // Every reported upstream check either acts on the device or lists its very ID.
        for c in r.checks where c.conditions.contains(where: { $0.state == .fails }) {
            let e = try #require(try committedRegistry().first { $0.path == c.path })
            let id = try #require(UInt16(c.id.suffix(4), radix: 16))
            #expect(e.entry.devices.contains(.id(id)), "\(c.path) reported for \(c.bdf) whose conditions fail")
        }
    }
}

@Suite struct CheckUnreadableTests {
    /// f-quirk as a non-root live read sees it: 64 bytes per function.
    func truncated() throws -> [PCIFunction] {
        try functions("qemu/f-quirk/dump.txt").map { f in
            var g = f
            g.config = f.config.truncated(to: 64)
            return g
        }
    }

    @Test func sixtyFourBytesAreNoContradiction() throws {
        let e = try entry(e1000eEntryYAML, path: e1000eEntryPath)
        let r = RegistryCheck.run(functions: try truncated(), entries: [e], context: try committedRegistry(), source: "64 bytes")
        #expect(!r.hasContradictions, "\(r.findings.map(\.description))")
        let c = r.checks.filter { $0.path == e1000eEntryPath }
        #expect(c.count == 2)
        #expect(c.allSatisfy { $0.conditions.first { $0.name == .portType }?.state == .assumed })
        #expect(c.allSatisfy { $0.conditions.first { $0.name == .multifunction }?.state == .holds })  // header type is in 64 bytes
        #expect(r.findings.filter { $0.rule == "acs-unknown" }.count == 2)
    }

    @Test func newRefusesWithoutCapabilities() throws {
        #expect(throws: PipelineError.self) {
            try EntryScaffolder.scaffold(device: PCIAddress("01:00.0")!, functions: try truncated(), names: .none,
                                         root: "quirks", sourceLabel: "sysfs")
        }
    }
}

@Suite struct CheckSummaryTests {
    /// a-rootports 00:00.0 is an Intel host bridge: the vendor-wide Intel RCiEP entry names every
    /// Intel ID, but its port type does not apply (or cannot be seen in a 64-byte read): the
    /// summary counts only the functions the report shows.
    @Test func vendorWideEntryCountsOnlyFunctionsItShows() throws {
        let rciep = "quirks/intel/rciep.yaml"
        let full = RegistryCheck.run(functions: try functions("qemu/a-rootports/dump.txt"), entries: try committedRegistry(),
                                     source: "a-rootports")
        let truncated = try functions("qemu/a-rootports/dump.txt").map { f -> PCIFunction in
            var g = f
            g.config = f.config.truncated(to: 64)
            return g
        }
        let short = RegistryCheck.run(functions: truncated, entries: try committedRegistry(), source: "64 bytes")
        for r in [full, short] {
            #expect(!r.checks.contains { $0.path.hasSuffix(rciep) }, "\(r.checks.map { "\($0.path) \($0.bdf)" })")
            let shown = Set(r.checks.map(\.bdf))
            #expect(r.summary.contains("\(Set(r.checks.map(\.path)).count) of them covering \(shown.count) of 12 functions"), "\(r.summary)")
            #expect(r.summary.hasPrefix("\(r.entries) entries, 0 of them covering 0 of 12 functions;"), "\(r.summary)")
            // What the text shows, the summary counts.
            let text = r.text()
            #expect(!text.contains(rciep), "\(text)")
        }
    }
}
