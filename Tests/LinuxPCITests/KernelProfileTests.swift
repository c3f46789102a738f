import Foundation
import LinuxPCI
import Testing
import Registry

/// One default kernel profile for every command (`KernelProfile.resolve`).
struct KernelProfileTests {
    @Test func closestProfileToAKernelRelease() {
        #expect(KernelProfile.closest(toRelease: "6.18.3+deb13-amd64") == KernelProfile(argument: "6.18.3"))
        #expect(KernelProfile.closest(toRelease: "6.12.48-1") == KernelProfile(argument: "6.12.48"))
        #expect(KernelProfile.closest(toRelease: "6.1.0-40-amd64") == KernelProfile(KernelVersion(6, 1), sublevelUnknown: true))
        #expect(KernelProfile.closest(toRelease: "5.10.0-35-amd64") == KernelProfile(KernelVersion(5, 10), sublevelUnknown: true))
        #expect(KernelProfile.closest(toRelease: "7.3.0") == .v7_3)
        #expect(KernelProfile.closest(toRelease: "8.0") == .v7_3)
        #expect(KernelProfile.closest(toRelease: "garbage") == nil)
    }

    @Test func resolveExplicitLiveAndDump() throws {
        // Explicit wins, live or not.
        #expect(KernelProfile.resolve(KernelProfile(argument: "6.1"), live: true).profile == .v6_1)
        #expect(KernelProfile.resolve(KernelProfile(argument: "6.12"), live: false).profile == .v6_12)
        // A dump: the documented default, the newest.
        #expect(KernelProfile.resolve(nil, live: false).profile == .newest)
        // Live: the running kernel's (this machine's uname), the same as `closest` of its release.
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = try #require(KernelProfile.closest(toRelease: release, version: KernelProfile.runningVersion))
        #expect(KernelProfile.runningRelease == release)
        #expect(KernelProfile.running == expected)
        #expect(KernelProfile.resolve(nil, live: true).profile == expected)
    }

    /// A running kernel newer than the newest profile is predicted with the newest profile's
    /// rules, and the choice is named (it was silently mapped before).
    @Test func newerRunningKernelIsNamed() throws {
        let newer = KernelProfile.resolve(nil, live: true, release: "8.1.0-1-amd64")
        #expect(newer.profile == .newest)
        let note = try #require(newer.note)
        #expect(note.contains("8.1.0-1-amd64") && note.contains("newer than the newest profile, \(KernelProfile.newest)"), "\(note)")
        #expect(KernelProfile.resolve(nil, live: true, release: "7.4.2").note != nil)
        // Covered releases, an explicit profile and a dump say nothing.
        for release in ["7.3.0", "7.0.1", "6.12.118-amd64", "6.1.153", "5.8.0-3-amd64"] {
            #expect(KernelProfile.resolve(nil, live: true, release: release, version: nil).note == nil, "\(release)")
        }
        // Debian's release string, completed by its `uname -v`.
        let debian = KernelProfile.resolve(nil, live: true, release: "6.1.0-40-amd64",
                                           version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)")
        #expect(debian.profile == KernelProfile(argument: "6.1.153") && debian.note == nil)
        #expect(KernelProfile.resolve(.v7_3, live: true, release: "8.1.0").note == nil)
        #expect(KernelProfile.resolve(nil, live: false, release: "8.1.0").note == nil)
        // The note is stated with the prediction's assumptions.
        let p = GroupPredictor.predict([], quirks: QuirkTable(entries: []),
                                       system: LinuxSystem(kernel: newer.profile, kernelNote: newer.note))
        #expect(p.notes.contains { $0.text == note })
    }
}
