import ArgumentParser
import BootProof
import Foundation
import Registry

/// `acsquirk-prove` (`make prove`): generated quirks proven in booted kernels. A development tool
/// of this checkout, not part of the installed acsquirk: it needs QEMU, Debian's kernel packages,
/// a kernel build toolchain and scripts/oracle, and QEMU can present only its own devices, so
/// what it proves is the generator (each code shape it writes), not a user's device.
@main
struct AcsquirkProve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acsquirk-prove",
        abstract: "Prove generated ACS quirks in booted kernels under QEMU (make prove).",
        discussion: """
            For each case folder (topology.args + proof.txt: registry entries and control groups), \
            acsquirk patch writes the series for the entries on the kernel tree, git am applies it to \
            the tree's drivers/pci/quirks.c, and each route boots the topology without and with it: \
            module (Debian's kernel + the rows and functions copied from the patched quirks.c in a \
            kprobe module, rescanned with the rows off and on) and tree (the tree built with \
            tinyconfig + scripts/oracle/iommu-boot.config, without and with the series). Every booted \
            grouping is compared with acsquirk groups' prediction from the booted dump. \
            Exit 0 when every case is proven on every route, 1 when one is not, 2 when a proof \
            could not be made (a tool or package missing, a build or boot failed).
            """)

    enum RouteArgument: String, ExpressibleByArgument, CaseIterable {
        case module, tree, both
    }

    @Option(name: .customLong("kernel-tree"), help: ArgumentHelp(
        "Kernel tree the series is made for and the tree route builds (default: Debian's linux-source-6.12, unpacked by scripts/kernel-trees.sh).",
        valueName: "dir"))
    var kernelTree: String?

    @Option(name: .long, help: "Routes: module, tree or both.")
    var route: RouteArgument = .both

    @Option(name: .long, help: ArgumentHelp("Folder of case folders and registry/.", valueName: "dir"))
    var cases: String = "Tests/Fixtures/prove"

    @Option(name: .long, help: ArgumentHelp("Output folder (every boot's files, report.txt).", valueName: "dir"))
    var out: String = ".build/prove"

    @Option(name: .long, help: "Cases proven at the same time.")
    var jobs: Int = 2

    @Option(name: .long, help: ArgumentHelp("Seconds one QEMU boot may take.", valueName: "seconds"))
    var timeout: Int = 900

    @Flag(name: .long, help: "When every case is proven on both routes, write the versions proven with into <cases>/proven-with.txt.")
    var pin = false

    @Argument(help: ArgumentHelp("Case names (default: every case).", valueName: "case"))
    var names: [String] = []

    func run() async throws {
        guard let oracle = ProjectResources.locate("scripts/oracle") else {
            fail("scripts/oracle not found: run acsquirk-prove from the acsquirk checkout")
        }
        let repository = absolute(((oracle as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        let acsquirk = ((ProcessInfo.processInfo.arguments[0] as NSString).resolvingSymlinksInPath as NSString)
            .deletingLastPathComponent + "/acsquirk"
        guard FileManager.default.isExecutableFile(atPath: acsquirk) else {
            fail("\(acsquirk) not found: build it first (swift build --product acsquirk)")
        }
        let tree = try kernelTree.map(absolute) ?? debianTree(repository)

        var all: [ProofCase]
        do { all = try ProofCase.all(in: absolute(cases)) } catch { fail("\(error)") }
        if !names.isEmpty {
            for n in names where !all.contains(where: { $0.name == n }) {
                fail("no case \(n) in \(cases) (cases: \(all.map(\.name).joined(separator: ", ")))")
            }
            all = all.filter { names.contains($0.name) }
        }
        let routes: [ProofRoute] = route == .both ? [.module, .tree] : [ProofRoute(rawValue: route.rawValue)!]
        let work = absolute(out)
        var prover = Prover(repository: repository, acsquirk: acsquirk, kernelTree: tree, work: work) { line in
            FileHandle.standardError.write(Data("prove: \(line)\n".utf8))
        }
        prover.bootTimeout = timeout
        let start = Date()
        let proofs: [CaseProof]
        let versions: [(name: String, value: String)]
        do {
            versions = try await prover.versions(routes: routes)
            proofs = try await prover.prove(all, routes: routes, jobs: jobs)
        } catch {
            fail("\(error)")
        }
        let pinFile = (absolute(cases) as NSString).appendingPathComponent("proven-with.txt")
        let pinned = Self.readPinned(pinFile)
        var report = "acsquirk-prove: \(proofs.count) case(s), route(s) \(routes.map(\.rawValue).joined(separator: " and ")), "
            + "kernel tree \(tree)\n"
        report += "versions (proven before with those in \(cases)/proven-with.txt):\n"
        for v in versions {
            let was = pinned[v.name]
            report += "  \(v.name): \(v.value)" + (was == nil ? " (not pinned)" : was == v.value ? " (= pinned)" : "\n    (pinned: \(was!); this run proves the version above)") + "\n"
        }
        report += "\n" + proofs.map(ProofReport.text).joined(separator: "\n")
        let proven = proofs.filter(\.proven).count
        report += "\n\(proven) of \(proofs.count) case(s) proven in \(Int(Date().timeIntervalSince(start))) s\n"
        print(report, terminator: "")
        try? report.write(toFile: (work as NSString).appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
        if proven != proofs.count { throw ExitCode(1) }
        if pin {
            guard routes.count == 2, names.isEmpty else { fail("--pin needs every case on both routes (no --route, no case names)") }
            let text = "# The versions `make prove` last proved every case of this folder with, on both routes\n"
                + "# (written by acsquirk-prove --pin; each run prints whether it still proves with these).\n"
                + versions.map { "\($0.name): \($0.value)\n" }.joined()
            do { try text.write(toFile: pinFile, atomically: true, encoding: .utf8) } catch { fail("cannot write \(pinFile): \(error)") }
            print("pinned in \(pinFile)")
        }
    }

    /// `name: value` lines of proven-with.txt (`#` comments), empty when there is none.
    static func readPinned(_ path: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            if let r = line.range(of: ": ") { out[String(line[..<r.lowerBound])] = String(line[r.upperBound...]) }
        }
        return out
    }

    /// Debian's linux-source-6.12 tree, as scripts/kernel-trees.sh unpacks it.
    func debianTree(_ repository: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: repository + "/scripts/kernel-trees.sh")
        p.arguments = ["--print", "6.12"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let tree = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) else {
            fail("scripts/kernel-trees.sh --print 6.12 failed (is linux-source-6.12 installed? make test-deps installs it)")
        }
        return tree
    }

    func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("acsquirk-prove: error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
