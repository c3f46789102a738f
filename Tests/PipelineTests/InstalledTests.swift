import Foundation
import Testing
import TestSupport

/// The tree `make install` writes (make test runs `make install-check` first: `make install
/// DESTDIR=.build/install-check PREFIX=/acsquirk` and `make dist`, and names the folder in
/// ACSQUIRK_INSTALLED). The tree is copied elsewhere, as a user copies it to another machine,
/// and run from `/` with only /usr/bin and /bin on PATH: no Swift toolchain.
@Suite struct InstalledTests {
    static var installed: String? { ProcessInfo.processInfo.environment["ACSQUIRK_INSTALLED"] }

    /// The installed files, relative to PREFIX (the Makefile's LAYOUT_*).
    static let layout = [
        "bin/acsquirk", "share/acsquirk/quirks/intel/82576.yaml", "share/acsquirk/quirks/schema.json",
        "share/acsquirk/templates/quirk-function.mustache", "share/man/man1/acsquirk.1",
        "share/bash-completion/completions/acsquirk", "share/zsh/site-functions/_acsquirk",
        "share/fish/vendor_completions.d/acsquirk.fish",
    ]

    /// Runs `bin` from `/` with a minimal environment (no Swift toolchain on PATH) plus `env`.
    static func bare(_ bin: String, _ args: [String], env: [String] = []) async throws -> ToolResult {
        try await runTool("env", ["-i", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "NO_COLOR=1"] + env + [bin] + args, workingDirectory: "/")
    }

    @Test(.enabled(if: installed != nil, "make test runs make install-check and sets ACSQUIRK_INSTALLED"))
    func installedTreeRunsAnywhereWithoutSwift() async throws {
        let from = try #require(Self.installed) + "/acsquirk"
        let tmp = try Fixtures.temporaryDirectory("installed")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let prefix = tmp.appendingPathComponent("opt/acsquirk").path
        try FileManager.default.createDirectory(atPath: (prefix as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let cp = try await runTool("cp", ["-a", from, prefix])
        try #require(cp.status == 0, "\(cp.stderr)")
        for f in Self.layout {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + f), "\(f) not installed")
        }
        let bin = prefix + "/bin/acsquirk"

        // The Swift runtime and Foundation are linked in: only libpci (and glibc's) from the system.
        let ldd = try await runTool("ldd", [bin])
        #expect(ldd.status == 0)
        for lib in ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime"] {
            #expect(!ldd.stdout.contains(lib), "\(lib) in\n\(ldd.stdout)")
        }
        #expect(ldd.stdout.contains("libpci.so.3 => /"))

        // The kernel table it shipped with, from /.
        let show = try await Self.bare(bin, ["show", "8086:10c9"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.hasPrefix("\(prefix)/share/acsquirk/quirks/intel/82576.yaml:1: Intel 82576\n"), "\(show.stdout)")
        #expect(show.stdout.contains("  table: row 39 {PCI_VENDOR_ID_INTEL, 0x10c9}\n"))

        // check of an entry in another folder: the same answer as the checkout's binary gives in
        // the checkout (the kernel row for the e1000e is missing, the entry splits its group).
        let work = tmp.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("intel"), withIntermediateDirectories: true)
        let entry = work.appendingPathComponent("intel/82574l.yaml").path
        let dump = work.appendingPathComponent("82574l.dump.txt").path
        try SampleEntries.intel82574L.write(toFile: entry, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Fixtures.path("qemu/f-quirk/dump.txt"), toPath: dump)
        let elsewhere = try await Self.bare(bin, ["check", "--dump", dump, entry])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stdout.contains("effect: splits group 4 {01:00.0 01:00.1} into group 4 {01:00.0}, group 5 {01:00.1}"),
                "\(elsewhere.stdout)")
        let checkoutBinary = try #require(builtAcsquirk())
        let inCheckout = try await runTool("env", ["-u", "ACSQUIRK_HOME", "NO_COLOR=1", checkoutBinary, "check", "--dump", dump, entry],
                                           workingDirectory: Fixtures.root.path)
        #expect(inCheckout.status == 0)
        #expect(elsewhere.stdout == inCheckout.stdout)
        // The upstream 82576 entry checked from / against its device (the e1000e with the 82576's
        // ID) answers with its kernel row (it once said "no kernel row answers today").
        let ids = try String(contentsOfFile: dump, encoding: .utf8).replacingOccurrences(of: "\n00: 86 80 d3 10", with: "\n00: 86 80 c9 10")
        let dump76 = work.appendingPathComponent("82576.dump.txt").path
        try ids.write(toFile: dump76, atomically: true, encoding: .utf8)
        let upstream = try await Self.bare(bin, ["check", "--dump", dump76, prefix + "/share/acsquirk/quirks/intel/82576.yaml"])
        #expect(upstream.status == 0, "\(upstream.stderr)")
        #expect(upstream.stdout.contains("kernel: row 39 (pci_quirk_mf_endpoint_acs, Intel 82576) answers isolated"), "\(upstream.stdout)")
        #expect(!upstream.stdout.contains("no kernel row answers today"))

        // The binary alone, copied without its share/acsquirk: a release build does not fall back
        // to the checkout it was built from, so no command runs with an empty kernel table; each
        // exits 2 naming every place it looked, and $ACSQUIRK_HOME is one of them.
        let lone = tmp.appendingPathComponent("lone/bin/acsquirk").path
        try FileManager.default.createDirectory(atPath: (lone as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bin, toPath: lone)
        let out = tmp.appendingPathComponent("lone-out").path
        for args in [["show", "8086:10c9"], ["check", "--dump", dump, entry], ["groups", "--dump", dump], ["lint"],
                     ["new", "--dump", dump, "--device", "01:00.0", "--out", out], ["generate", "--out", out],
                     ["patch", "--kernel-tree", work.path, "--out", out, "--from", "A <a@example.com>"],
                     ["run", "--dump", dump, "--out", out], ["survey", dump]] {
            let r = try await Self.bare(lone, args)
            #expect(r.status == 2, "\(args): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.hasPrefix("acsquirk \(args[0]): cannot find the shipped registry (quirks/), which holds the kernel's quirk table; looked at:\n"),
                    "\(args): \(r.stderr)")
            #expect(r.stderr.contains("  \(tmp.path)/lone/share/acsquirk/quirks (next to the executable \(lone)): not there\n"), "\(r.stderr)")
            #expect(r.stderr.contains("  $ACSQUIRK_HOME: not set\n"), "\(r.stderr)")
            #expect(!r.stderr.contains("the checkout this binary was built from"), "\(r.stderr)")
            // Naming the registry files helps only the commands that need no kernel table.
            let naming = ["lint", "patch"].contains(args[0])
            #expect(r.stderr.hasSuffix(naming ? "(an acsquirk checkout); or name the registry files\n" : "(an acsquirk checkout)\n"),
                    "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let homed = try await Self.bare(lone, ["show", "8086:10c9"], env: ["ACSQUIRK_HOME=\(prefix)/share/acsquirk"])
        #expect(homed.status == 0, "\(homed.stderr)")
        #expect(homed.stdout.hasPrefix("\(prefix)/share/acsquirk/quirks/intel/82576.yaml:1: Intel 82576\n"), "\(homed.stdout)")

        // The man page and the completions, as each tool reads them.
        let man = try String(contentsOfFile: prefix + "/share/man/man1/acsquirk.1", encoding: .utf8)
        #expect(man.contains(".Dt ACSQUIRK 1") && man.contains(".It Em groups"))
        #expect(try String(contentsOfFile: prefix + "/share/zsh/site-functions/_acsquirk", encoding: .utf8).hasPrefix("#compdef acsquirk"))
        #expect(try String(contentsOfFile: prefix + "/share/fish/vendor_completions.d/acsquirk.fish", encoding: .utf8)
            .contains("complete -c 'acsquirk'"))
        let bash = try await runTool("bash", ["-c", "source \(prefix)/share/bash-completion/completions/acsquirk && complete -p acsquirk"])
        #expect(bash.status == 0 && bash.stdout.contains("acsquirk"), "\(bash.stderr)")

        // make dist packs the same tree.
        let dist = try #require(Self.installed) + "/dist"
        let tarball = try #require(try FileManager.default.contentsOfDirectory(atPath: dist).first { $0.hasSuffix(".tar.gz") })
        let list = try await runTool("tar", ["-tzf", dist + "/" + tarball])
        let packed = Set(list.stdout.split(separator: "\n").map { $0.split(separator: "/", maxSplits: 1).dropFirst().joined() }
            .filter { !$0.isEmpty && !$0.hasSuffix("/") })
        let tree = Set(try FileManager.default.subpathsOfDirectory(atPath: prefix).filter { p in
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: prefix + "/" + p, isDirectory: &d) && !d.boolValue
        })
        #expect(packed == tree)

        // make uninstall removes every installed file.
        let un = try await runTool("make", ["-s", "-C", Fixtures.root.path, "uninstall", "DESTDIR=" + tmp.path, "PREFIX=/opt/acsquirk"])
        #expect(un.status == 0, "\(un.stdout)\(un.stderr)")
        for f in Self.layout {
            #expect(!FileManager.default.fileExists(atPath: prefix + "/" + f), "\(f) left after make uninstall")
        }
    }
}
