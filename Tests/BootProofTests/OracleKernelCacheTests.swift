import Foundation
import Testing
import TestSupport

/// scripts/oracle/kernel.sh on a cache shared by parallel boots. `make test` runs the four module
/// route proofs at once; on a fresh machine each of them fetched Debian's 6.12 image and headers
/// into the same empty cache, and one run's `rm -rf` removed the folder another was unpacking or
/// building against (`asm/early_ioremap.h: No such file or directory`, `rm: cannot remove ...:
/// Directory not empty`). The packages are taken from the default cache (fetched there first, as
/// the module route does), so only the unpacking is repeated: three runs on one cold cache at
/// once must all succeed and agree.
@Suite(.timeLimit(.minutes(20)))
struct OracleKernelCacheTests {
    static let kernelScript = Fixtures.repoPath("scripts/oracle/kernel.sh")

    @Test func parallelRunsOnAColdCacheAllSucceed() async throws {
        // The packages, in the default cache (a cache hit when the module route ran before).
        let seeded = try await runTool("bash", [Self.kernelScript, "--headers", "6.12"])
        #expect(seeded.status == 0, "kernel.sh --headers 6.12 failed: \(seeded.stderr)")
        guard seeded.status == 0 else { return }
        let defaultCache = ProcessInfo.processInfo.environment["ACSQUIRK_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/acsquirk"
        let debs = defaultCache + "/oracle/debs"

        try await withTemporaryDirectoryAsync("acsquirk-oracle-cache") { tmp in
            let cache = tmp.path + "/oracle"
            let fm = FileManager.default
            try fm.createDirectory(atPath: cache + "/debs", withIntermediateDirectories: true)
            let kernelDebs = try fm.contentsOfDirectory(atPath: debs)
                .filter { $0.hasPrefix("linux-image-") || $0.hasPrefix("linux-headers-") || $0.hasPrefix("linux-kbuild-") }
            #expect(!kernelDebs.isEmpty)
            for deb in kernelDebs {
                do { try fm.linkItem(atPath: debs + "/" + deb, toPath: cache + "/debs/" + deb) } catch {
                    try fm.copyItem(atPath: debs + "/" + deb, toPath: cache + "/debs/" + deb)
                }
            }
            let env = ["ORACLE_CACHE": cache]
            async let a = runTool("bash", [Self.kernelScript, "--headers", "6.12"], environment: env)
            async let b = runTool("bash", [Self.kernelScript, "--headers", "6.12"], environment: env)
            async let c = runTool("bash", [Self.kernelScript, "6.12"], environment: env)
            let (ra, rb, rc) = try await (a, b, c)
            for r in [ra, rb, rc] { #expect(r.status == 0, "kernel.sh failed in parallel: \(r.stderr)") }
            // Both header runs print the same build folder, complete; the image run its folder.
            let build = ra.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(rb.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == build)
            #expect(fm.fileExists(atPath: build + "/Makefile"))
            #expect(fm.fileExists(atPath: build + "/arch/x86/include/generated/uapi/asm/types.h"))
            let image = rc.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(build.hasPrefix(image + "/headers/"))
            #expect(fm.fileExists(atPath: image + "/vmlinuz") && fm.fileExists(atPath: image + "/package"))
            // Nothing half-made is left beside the folder.
            let left = try fm.contentsOfDirectory(atPath: cache + "/kernel").filter { $0.contains(".tmp.") }
            #expect(left.isEmpty, "left in the cache: \(left)")
        }
    }
}
