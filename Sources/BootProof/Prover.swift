import Foundation
import KernelOutput
import LinuxPCI
import PCIAccess
import PCIConfig
import Pipeline
import Registry
import SafeFiles

/// How the series gets into a booted kernel.
public enum ProofRoute: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Debian's own kernel (scripts/oracle/kernel.sh) with the series' rows and functions, copied
    /// from the patched quirks.c, in a kprobe module (scripts/oracle/modules/acs-quirk); the
    /// devices are removed and rescanned with the rows off, then on, in one boot.
    case module
    /// A kernel built from the tree with the series applied (scripts/oracle/bzimage.sh), booted
    /// next to the same kernel built without it: proves the row's place in the table and the
    /// group numbers at boot.
    case tree

    public var description: String { rawValue }
}

/// One booted state next to the prediction for it.
public struct ProofComparison: Sendable {
    /// What was booted: "without the patch, at boot", "with the patch, after a rescan", ….
    public var state: String
    /// `acsquirk groups`' prediction for that state: group number by address.
    public var predicted: [PCIAddress: Int]
    /// What the kernel wrote to /sys/kernel/iommu_groups.
    public var booted: [PCIAddress: Int]
    /// Whether the numbers are compared too (a boot) or only the partition (after a rescan the
    /// kernel allocates numbers again; the prediction does not model that).
    public var numbersCompared: Bool

    /// The comparison's verdict.
    public var equal: Bool {
        numbersCompared ? predicted == booted : LiveGroups.partition(predicted) == LiveGroups.partition(booted)
    }
}

/// A control group: one IOMMU group the series must leave alone.
public struct ProofControl: Sendable {
    public var members: [PCIAddress]
    /// Whether `members` is exactly one group in every booted state.
    public var unchanged: Bool
}

/// One route's result for one case.
public struct RouteProof: Sendable {
    public var route: ProofRoute
    /// What booted: the kernel package or tree and its build, the QEMU version.
    public var kernel: String
    /// The folder holding every boot's output (scripts/oracle/boot.sh layout).
    public var directory: String
    /// The states without the series (module: at boot and after the rescan with the rows off;
    /// tree: the kernel built without the series).
    public var without: [ProofComparison]
    /// The state with the series.
    public var with: ProofComparison
    public var controls: [ProofControl]

    /// Whether the series split at least one group in the booted kernel.
    public var splits: Bool {
        LiveGroups.partition(with.booted).count > LiveGroups.partition(without[0].booted).count
    }

    /// Every comparison equal, every control unchanged, and something split.
    public var proven: Bool {
        without.allSatisfy(\.equal) && with.equal && controls.allSatisfy(\.unchanged) && splits
    }
}

/// The result of one case.
public struct CaseProof: Sendable {
    public var proofCase: ProofCase
    /// The series `acsquirk patch` wrote (paths), in order.
    public var patches: [String]
    /// drivers/pci/quirks.c after `git am` of the series.
    public var patchedQuirks: String
    /// What the module route compiled in (rows and definitions from the patched file).
    public var module: ProofModuleSource
    public var routes: [RouteProof]

    public var proven: Bool { !routes.isEmpty && routes.allSatisfy(\.proven) }
}

/// Proves generated quirks in booted kernels (`make prove`, Tests/Fixtures/prove): for each case,
/// `acsquirk patch` makes the series from the case's registry entries on `kernelTree`, `git am`
/// applies it to that tree's drivers/pci/quirks.c, and each route boots the case's topology
/// under QEMU (scripts/oracle) without and with the series. Every booted grouping is compared
/// with `acsquirk groups`' prediction from the booted dump: without the series with the kernel's
/// table only, with it with the case's entries (`--with-registry`).
public struct Prover: Sendable {
    /// The acsquirk checkout (scripts/oracle, quirks/).
    public var repository: String
    /// The acsquirk binary that writes the series.
    public var acsquirk: String
    /// The kernel tree the series is made for (and the in-tree route builds).
    public var kernelTree: String
    /// Where every case's files go (`<work>/<case>/`).
    public var work: String
    /// The Debian kernel the module route boots (a scripts/oracle/kernel.sh name).
    public var debianKernel = "6.12"
    /// Seconds one boot may take (QEMU under TCG on a loaded 2-core machine: be generous).
    public var bootTimeout = 900
    /// The submitter of the series.
    public var submitter = "acsquirk prove <prove@acsquirk.invalid>"
    /// Progress lines.
    public var log: @Sendable (String) -> Void

    public init(repository: String, acsquirk: String, kernelTree: String, work: String,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.repository = repository
        self.acsquirk = acsquirk
        self.kernelTree = kernelTree
        self.work = work
        self.log = log
    }

    var oracle: String { (repository as NSString).appendingPathComponent("scripts/oracle") }

    /// Every case, `jobs` at a time, in the order given.
    public func prove(_ cases: [ProofCase], routes: [ProofRoute], jobs: Int = 2) async throws -> [CaseProof] {
        let slots = Slots(jobs)
        return try await withThrowingTaskGroup(of: (Int, CaseProof).self) { group in
            for (i, c) in cases.enumerated() {
                group.addTask { (i, try await slots.run { try await self.prove(c, routes: routes) }) }
            }
            var out: [(Int, CaseProof)] = []
            for try await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// One case: the series, then each route in order.
    public func prove(_ c: ProofCase, routes: [ProofRoute]) async throws -> CaseProof {
        let dir = (work as NSString).appendingPathComponent(c.name)
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        log("\(c.name): acsquirk patch (\(c.entries.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))")
        let patches = try await makeSeries(c, in: dir)
        let patched = try await applySeries(patches, in: dir)
        let files = try KernelTreeFiles(root: kernelTree)
        let module = try ProofModuleSource(base: try files.source(),
                                           patched: try QuirksSource(text: String(contentsOfFile: patched, encoding: .utf8),
                                                                     macros: files.macros))
        var proofs: [RouteProof] = []
        for route in routes {
            switch route {
            case .module: proofs.append(try await moduleRoute(c, module: module, in: dir))
            case .tree: proofs.append(try await treeRoute(c, patched: patched, in: dir))
            }
            log("\(c.name): \(route) route \(proofs.last!.proven ? "proven" : "NOT proven")")
        }
        return CaseProof(proofCase: c, patches: patches, patchedQuirks: patched, module: module, routes: proofs)
    }

    // MARK: the series

    /// `acsquirk patch` for the case's entries (each given as --registry and as ENTRY, so the
    /// shipped registry's own entries never join), into `<dir>/patches`.
    func makeSeries(_ c: ProofCase, in dir: String) async throws -> [String] {
        let out = (dir as NSString).appendingPathComponent("patches")
        var args = ["patch", "--kernel-tree", kernelTree, "--out", out, "--from", submitter]
        for e in c.entries { args += ["--registry", e] }
        args += c.entries
        try await Tool.check(acsquirk, args, in: repository)
        let names = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".patch") }.sorted()
        guard !names.isEmpty else { throw ProofError("acsquirk patch wrote no patch for \(c.name): the tree already covers its entries") }
        return names.map { (out as NSString).appendingPathComponent($0) }
    }

    /// `git am` of the whole series, cover letter included, onto a repository holding the tree's
    /// drivers/pci/quirks.c (the only file acsquirk's patches touch; a patch touching another file
    /// fails here). Returns the patched file.
    func applySeries(_ patches: [String], in dir: String) async throws -> String {
        let repo = (dir as NSString).appendingPathComponent("git")
        let file = (repo as NSString).appendingPathComponent(QuirksSource.relativePath)
        let quirks = try TextFile.bytes((kernelTree as NSString).appendingPathComponent(QuirksSource.relativePath))
        try OutputFolder(repo).create([OutputFolder.File(path: QuirksSource.relativePath, bytes: quirks)])
        let env = ["GIT_AUTHOR_NAME": "acsquirk prove", "GIT_AUTHOR_EMAIL": "prove@acsquirk.invalid",
                   "GIT_COMMITTER_NAME": "acsquirk prove", "GIT_COMMITTER_EMAIL": "prove@acsquirk.invalid",
                   "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"]
        try await Tool.check("git", ["init", "-q"], in: repo, environment: env)
        try await Tool.check("git", ["add", QuirksSource.relativePath], in: repo, environment: env)
        try await Tool.check("git", ["commit", "-q", "--no-gpg-sign", "-m", "drivers/pci/quirks.c of \(kernelTree)"], in: repo, environment: env)
        // --empty=drop: a series of more than one patch starts with its cover letter (no diff).
        try await Tool.check("git", ["am", "-q", "--no-gpg-sign", "--empty=drop"] + patches, in: repo, environment: env)
        return file
    }

    // MARK: the routes

    func moduleRoute(_ c: ProofCase, module: ProofModuleSource, in dir: String) async throws -> RouteProof {
        let routeDir = (dir as NSString).appendingPathComponent("module")
        let src = (routeDir as NSString).appendingPathComponent("acs-quirk")
        // The module's sources (scripts/oracle/modules/acs-quirk) and the generated rows, new files.
        let template = (oracle as NSString).appendingPathComponent("modules/acs-quirk")
        var sources = [OutputFolder.File("generated.h", module.header)]
        for f in try FileManager.default.contentsOfDirectory(atPath: template).sorted() {
            sources.append(OutputFolder.File(path: f, bytes: try TextFile.bytes((template as NSString).appendingPathComponent(f))))
        }
        try OutputFolder(src).create(sources)
        let boot = (routeDir as NSString).appendingPathComponent("boot")
        log("\(c.name): module route: booting Debian \(debianKernel) with \(module.rows.count) generated row(s)")
        try await Tool.check((oracle as NSString).appendingPathComponent("boot.sh"), [
            "-k", debianKernel, "-t", String(bootTimeout), "-o", boot,
            "--module-src", src, "--hook", (oracle as NSString).appendingPathComponent("hooks/rescan.sh"),
            "--set", "ORACLE_RESCAN_PARAM=/sys/module/acs_quirk/parameters/rows", c.topology,
        ])
        let dmesg = try String(contentsOfFile: (boot as NSString).appendingPathComponent("dmesg.txt"), encoding: .utf8)
        let loaded = dmesg.split(separator: "\n").filter { $0.contains("acs-quirk: row ") && $0.hasSuffix("from generated.h") }.count
        guard loaded == module.rows.count else {
            throw ProofError("\(boot)/dmesg.txt: the module announced \(loaded) generated row(s), not \(module.rows.count)")
        }
        let release = try read(boot, "release.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let (without, with) = try predict(dump: (boot as NSString).appendingPathComponent("dump.txt"), entries: c.entries, release: release)
        let atBoot = try groups(boot, "groups-boot.txt"), off = try groups(boot, "groups-off.txt"), on = try groups(boot, "groups.txt")
        let package = try await debianPackage()
        return RouteProof(
            route: .module, kernel: "Debian \(package) (\(release)) + acs-quirk module, \(try await qemuVersion())",
            directory: routeDir,
            without: [ProofComparison(state: "without, at boot", predicted: without, booted: atBoot, numbersCompared: true),
                      ProofComparison(state: "without, rescan (rows=0)", predicted: without, booted: off, numbersCompared: false)],
            with: ProofComparison(state: "with, rescan (rows=1)", predicted: with, booted: on, numbersCompared: false),
            controls: c.controls.map { m in ProofControl(members: m, unchanged: [atBoot, off, on].allSatisfy { isGroup(m, in: $0) }) })
    }

    func treeRoute(_ c: ProofCase, patched: String, in dir: String) async throws -> RouteProof {
        let routeDir = (dir as NSString).appendingPathComponent("tree")
        let bzimage = (oracle as NSString).appendingPathComponent("bzimage.sh")
        log("\(c.name): tree route: bzImage of \(kernelTree) without and with the series (scripts/oracle/bzimage.sh: "
            + "cached; the first build compiles the whole kernel, about 5 minutes on 2 idle cores)")
        let baseImage = try await Tool.check(bzimage, [kernelTree]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let patchedImage = try await Tool.check(bzimage, ["--quirks", patched, kernelTree]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var booted: [String: [PCIAddress: Int]] = [:]
        for (name, image) in [("without", baseImage), ("with", patchedImage)] {
            let out = (routeDir as NSString).appendingPathComponent(name)
            log("\(c.name): tree route: booting the kernel \(name) the series")
            try await Tool.check((oracle as NSString).appendingPathComponent("boot.sh"),
                                 ["-k", image, "-t", String(bootTimeout), "-o", out, c.topology])
            booted[name] = try groups(out, "groups.txt")
        }
        let withoutDir = (routeDir as NSString).appendingPathComponent("without")
        let release = try read(withoutDir, "release.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let (without, with) = try predict(dump: (withoutDir as NSString).appendingPathComponent("dump.txt"),
                                          entries: c.entries, release: release)
        let build = try await treeBuild()
        return RouteProof(
            route: .tree,
            kernel: "\(build.source), tinyconfig + iommu-boot.config \(build.fragment), \(build.compiler), "
                + (try await qemuVersion()),
            directory: routeDir,
            without: [ProofComparison(state: "without, at boot", predicted: without, booted: booted["without"]!, numbersCompared: true)],
            with: ProofComparison(state: "with, at boot", predicted: with, booted: booted["with"]!, numbersCompared: true),
            controls: c.controls.map { ProofControl(members: $0, unchanged: isGroup($0, in: booted["without"]!) && isGroup($0, in: booted["with"]!)) })
    }

    // MARK: predictions and readings

    /// `acsquirk groups --dump DUMP --kernel <profile of release>` without and with the case's
    /// entries (`--registry ENTRY… --with-registry`, only those entries): the kernel table from
    /// the checkout's quirks/, the entries consulted before it.
    func predict(dump: String, entries: [String], release: String) throws -> (without: [PCIAddress: Int], with: [PCIAddress: Int]) {
        guard let profile = KernelProfile.closest(toRelease: release) else {
            throw ProofError("cannot tell the kernel profile of release \(release.debugDescription)")
        }
        let registry: PredictionRegistry
        do {
            registry = try Registry.loadForPrediction(extra: entries, shipped: (repository as NSString).appendingPathComponent("quirks"))
        } catch { throw ProofError("\(error)") }
        let wanted = Set(entries.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path })
        let selected = registry.whatIf.filter {
            wanted.contains(URL(fileURLWithPath: $0.path).standardizedFileURL.resolvingSymlinksInPath().path)
        }
        guard selected.count == entries.count else {
            throw ProofError("the prediction found \(selected.count) of the \(entries.count) entries \(entries.joined(separator: ", ")) as what-if material")
        }
        let functions: [PCIFunction]
        do { functions = try PCIReader.load(.dump(path: dump), names: false).functions } catch { throw ProofError("\(error)") }
        // The what-if builder `acsquirk groups --with-registry` uses.
        var tables = WhatIfTables(kernel: registry.kernelEntries)
        tables.add(registryEntries: selected.map(\.entry), label: entries.joined(separator: ", "))
        let (without, with) = tables.predict(KernelView(functions: functions, system: LinuxSystem(kernel: profile)))
        return (without.numberByAddress, with!.numberByAddress)
    }

    func read(_ dir: String, _ name: String) throws -> String {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { throw ProofError("\(path): missing (the guest did not write it)") }
        return s
    }

    func groups(_ dir: String, _ name: String) throws -> [PCIAddress: Int] {
        let path = (dir as NSString).appendingPathComponent(name)
        let g: LiveGroups
        do { g = try LiveGroups(listing: try read(dir, name), path: path) } catch { throw ProofError("\(error)") }
        guard g.iommuActive else { throw ProofError("\(path): no IOMMU groups (was the IOMMU on?)") }
        return g.groups
    }

    func isGroup(_ members: [PCIAddress], in groups: [PCIAddress: Int]) -> Bool {
        guard let n = groups[members[0]] else { return false }
        return groups.filter { $0.value == n }.keys.sorted() == members
    }

    // MARK: versions

    /// What each route runs on, for the report and Tests/Fixtures/prove/proven-with.txt: QEMU,
    /// the Debian kernel package of the module route, the tree and compiler of the tree route.
    public func versions(routes: [ProofRoute]) async throws -> [(name: String, value: String)] {
        var out = [(name: "qemu", value: try await qemuVersion())]
        if routes.contains(.module) { out.append(("module route kernel", "Debian " + (try await debianPackage()))) }
        if routes.contains(.tree) {
            let b = try await treeBuild()
            out += [("tree route source", b.source), ("tree route compiler", b.compiler)]
        }
        return out
    }

    /// `scripts/oracle/bzimage.sh --describe`: the tree ("Linux 6.12.118 (linux-source-6.12
    /// 6.12.118-1~deb12u1)"), the fragment's hash, the compiler.
    func treeBuild() async throws -> (source: String, fragment: String, compiler: String) {
        let out = try await Tool.check((oracle as NSString).appendingPathComponent("bzimage.sh"), ["--describe", kernelTree]).stdout
        var fields: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        let source = (fields["source"] ?? kernelTree).replacingOccurrences(of: kernelTree + ": ", with: "")
        return (source, fields["fragment"].map { String($0.split(separator: " ").last ?? "") } ?? "?", fields["compiler"] ?? "?")
    }

    /// The Debian kernel package the module route boots: "<package> <version>".
    func debianPackage() async throws -> String {
        let dir = try await Tool.check((oracle as NSString).appendingPathComponent("kernel.sh"), [debianKernel]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try read(dir, "package").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`.
    func qemuVersion() async throws -> String {
        let out = try await Tool.check("qemu-system-x86_64", ["--version"]).stdout
        let first = out.split(separator: "\n").first.map(String.init) ?? "QEMU ?"
        return first.replacingOccurrences(of: "QEMU emulator version ", with: "QEMU ")
    }
}
