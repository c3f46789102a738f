import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// This machine, read live through libpci (linux-sysfs), against lspci on the same machine.
/// The CI machine is a VM with few devices (a host bridge and virtio functions, none PCIe).
@Suite struct LiveTests {
    static let hasPCI = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/pci/devices")) ?? []).isEmpty == false
    static let isRoot = geteuid() == 0
    static let canDropPrivileges = isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    @Test(.enabled(if: hasPCI, "no /sys/bus/pci/devices"))
    func liveReadMatchesLspci() async throws {
        let result = try PCIReader.load(.live())
        let lspci = Lspci.parse(try await Lspci.run(["-D", "-xxxx"]))
        #expect(result.functions.map(\.address) == lspci.keys.sorted())
        for f in result.functions {
            let x = try #require(lspci[f.address])
            #expect(f.config.readable >= 64)
            #expect(Array(f.config.bytes.prefix(x.hex.count)) == x.hex, "\(f.address): bytes differ from live lspci -xxxx")
            if Self.isRoot {
                // Root reads all that sysfs offers: what lspci -xxxx showed.
                #expect(f.config.readable == x.hex.count, "\(f.address)")
            }
        }
        let mm = Lspci.parseMachine(try await Lspci.run(["-D", "-vmm"]))
        for f in result.functions {
            #expect(f.names?.vendor == mm[f.address]?["Vendor"] && f.names?.device == mm[f.address]?["Device"])
        }
    }

    @Test func badSysfsPathIsAnErrorNotAnExit() {
        let e = #expect(throws: PCIAccessError.self) { try PCIReader.read(.live(sysfsPath: "/nonexistent")) }
        #expect(e?.message == "Cannot open /nonexistent/devices")
    }

    /// The scan as an unprivileged user (setpriv to nobody): Linux gives it 64 bytes per function.
    /// Every function whose capability list goes past them (as root sees it) must be unknown with
    /// "run as root to read past 64 bytes", never absent; every PCIe function too.
    @Test(.enabled(if: canDropPrivileges && hasPCI, "needs root, setpriv and PCI devices"))
    func nonRootLiveScanIsUnknownNotAbsent() async throws {
        let root = try PCIReader.read(.live(), names: false)
        // The build folder may sit where nobody cannot enter (a clone under /root, mode 0700):
        // run a world-readable copy of the binary from /.
        let dir = try Fixtures.temporaryDirectory("acsquirk-nonroot")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let copy = dir.appendingPathComponent("acsquirk").path
        try FileManager.default.copyItem(atPath: Binary.path, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        let r = try await runTool("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", copy,
                                              "scan", "--format", "json", "--numeric"], workingDirectory: "/")
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let records = try #require(doc["functions"] as? [[String: Any]])
        #expect(records.count == root.count)
        var shown = 0
        for (rec, f) in zip(records, root) {
            #expect(rec["bdf"] as? String == f.address.description)
            let readable = try #require(rec["readableBytes"] as? Int)
            #expect(readable == (f.headerType?.layout == .cardBus ? 128 : 64), "\(f.address): non-root read \(readable) bytes")
            let acs = try #require(rec["acs"] as? [String: Any])
            let capsBeyond = f.config.standardCapabilities().entries.contains { $0.offset + 2 > readable }
            if capsBeyond || f.portType != nil {
                #expect(acs["state"] as? String == "unknown", "\(f.address): \(acs)")
                #expect(acs["reason"] as? String == "run as root to read past 64 bytes")
                #expect(rec["pcie"] is NSNull)
                shown += 1
            } else {
                // No capability list at all: no PCIe capability, so no ACS, even at 64 bytes.
                #expect(acs["state"] as? String == "absent", "\(f.address): \(acs)")
            }
        }
        // On this VM the virtio functions have capability lists beyond 64 bytes; a machine with
        // none at all could not show the difference.
        try #require(shown > 0, "no function with capabilities beyond 64 bytes on this machine: nothing to show")
    }

    @Test(.enabled(if: hasPCI, "no /sys/bus/pci/devices"))
    func liveScanCommandAsRoot() async throws {
        let r = try await Binary.run(["scan", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((doc["source"] as? [String: Any])?["kind"] as? String == "live")
        let records = try #require(doc["functions"] as? [[String: Any]])
        #expect(records.count == (try PCIReader.read(.live(), names: false)).count)
        if Self.isRoot {
            // As root nothing is cut at 64 bytes.
            #expect(records.allSatisfy { ($0["readableBytes"] as? Int ?? 0) >= 256 })
        }
    }
}
