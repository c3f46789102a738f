import Foundation
import LinuxPCI
import Testing

/// One default kernel profile for every command (`KernelProfile.resolve`).
struct KernelProfileTests {
    @Test func closestProfileToAKernelRelease() {
        #expect(KernelProfile.closest(toRelease: "6.18.3+deb13-amd64") == .v6_12)
        #expect(KernelProfile.closest(toRelease: "6.12.48-1") == .v6_12)
        #expect(KernelProfile.closest(toRelease: "6.1.0-40-amd64") == .v6_1)
        #expect(KernelProfile.closest(toRelease: "5.10.0-35-amd64") == .v6_1)
        #expect(KernelProfile.closest(toRelease: "7.3.0") == .v7_3)
        #expect(KernelProfile.closest(toRelease: "8.0") == .v7_3)
        #expect(KernelProfile.closest(toRelease: "garbage") == nil)
    }

    @Test func resolveExplicitLiveAndDump() throws {
        // Explicit wins, live or not.
        #expect(KernelProfile.resolve(KernelProfile(argument: "6.1"), live: true) == .v6_1)
        #expect(KernelProfile.resolve(KernelProfile(argument: "6.12"), live: false) == .v6_12)
        // A dump: the documented default, the newest.
        #expect(KernelProfile.resolve(nil, live: false) == .newest)
        // Live: the running kernel's (this machine's uname), the same as `closest` of its release.
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = try #require(KernelProfile.closest(toRelease: release))
        #expect(KernelProfile.running == expected)
        #expect(KernelProfile.resolve(nil, live: true) == expected)
    }
}
