import Foundation
import PCIConfig
import Testing
import TestSupport

/// The QEMU fixtures are complete and consistent, so that tests built on them compare against what
/// the kernel really did (scripts/oracle wrote them; Tests/Fixtures/README.md has the layout).
@Suite struct OracleFixtureTests {
    static let cases = Fixtures.oracleCases
    static let qemuDirs = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path(".")))?
        .filter { $0.hasPrefix("qemu") }.sorted() ?? []

    /// Every dump in `Tests/Fixtures/qemu*`, relative to Tests/Fixtures.
    static let dumps: [String] = qemuDirs.flatMap { dir in
        (FileManager.default.enumerator(atPath: Fixtures.path(dir))?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix("dump") && $0.hasSuffix(".txt") }
            .map { "\(dir)/\($0)" }
    }.sorted()

    /// The functions an `lspci -D` output describes: its lines that start with `dddd:` (in a
    /// `-xxxx` dump the hex rows start with at most three digits).
    static func functions(_ relative: String) throws -> [PCIAddress] {
        try Fixtures.text(relative).split(separator: "\n").compactMap { line in
            guard line.prefix(5).enumerated().allSatisfy({ $0.offset == 4 ? $0.element == ":" : $0.element.isHexDigit })
            else { return nil }
            return try #require(PCIAddress(line.prefix(12)), "\(relative): bad function line \(line)")
        }
    }

    @Test func thereAreCasesOnEveryKernel() {
        #expect(Self.cases.count >= 100)
        for set in Fixtures.oracleSets {
            #expect(Fixtures.oracleKernels(set).contains("6.12") && Fixtures.oracleKernels(set).contains("6.1"),
                    "\(set)/kernels must name 6.12 and 6.1")
        }
    }

    /// #13: each dump has the `lspci -vvvnnD` text of the same boot beside it (dump.txt → vvv.txt,
    /// dump-6.1.txt → vvv-6.1.txt), describing the same functions.
    @Test(arguments: dumps)
    func dumpHasItsVVV(_ dump: String) throws {
        let vvv = (dump as NSString).deletingLastPathComponent + "/"
            + ((dump as NSString).lastPathComponent).replacingOccurrences(of: "dump", with: "vvv")
        #expect(FileManager.default.fileExists(atPath: Fixtures.path(vvv)), "\(dump) has no \(vvv)")
        guard FileManager.default.fileExists(atPath: Fixtures.path(vvv)) else { return }
        #expect(try Self.functions(vvv) == (try Self.functions(dump)), "\(vvv) and \(dump) list different functions")
        #expect(try !Fixtures.text(vvv).contains("lspci:"), "\(vvv) holds an lspci error message")
    }

    @Test(arguments: cases)
    func caseHasAllItsFiles(_ c: OracleCase) throws {
        let fm = FileManager.default
        for file in [c.topologyArgs, c.caseFile("boot.args"), c.caseFile("NOTES.md")] {
            #expect(fm.fileExists(atPath: Fixtures.path(file)), "\(file) missing")
        }
        #expect(try Fixtures.text(c.caseFile("NOTES.md")).split(separator: "\n").count == 1, "NOTES.md: one line")
        #expect(try Fixtures.text(c.topologyArgs).contains("-device "))
        for file in ["cmdline.txt", "release.txt", "dump.txt", "groups.txt", "vvv.txt", "tree.txt", "dmesg.txt"] {
            #expect(fm.fileExists(atPath: Fixtures.path(c.file(file))), "\(c.file(file)) missing")
        }
        for file in ["cmdline.txt", "release.txt", "dump.txt", "vvv.txt", "tree.txt", "dmesg.txt"] {
            #expect(try !Fixtures.text(c.file(file)).isEmpty, "\(c.file(file)) is empty")
        }
        let sriov = try c.bootArgs().contains { $0.option == "--hook" && $0.value.hasSuffix("/sriov.sh") }
        #expect(fm.fileExists(atPath: Fixtures.path(c.file("sriov.txt"))) == sriov,
                "\(c): sriov.txt must exist exactly when the sriov hook ran")
        #expect(fm.fileExists(atPath: Fixtures.path(c.defaultCase.caseFile("boot.args"))), "\(c): no default case")
    }

    @Test(arguments: cases)
    func kernelAndCommandLineAreTheCases(_ c: OracleCase) throws {
        let release = try Fixtures.text(c.file("release.txt")).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(release.hasPrefix(c.kernel + "."), "\(c): release \(release)")
        let cmdline = try Fixtures.text(c.file("cmdline.txt")).split(whereSeparator: \.isWhitespace).map(String.init)
        let appended = try c.appendedParameters()
        #expect(cmdline.suffix(appended.count) == ArraySlice(appended), "\(c): \(cmdline) does not end in \(appended)")
    }

    /// groups.txt parses, and when the kernel formed groups at all, every function of the dump is in
    /// exactly one of them (the IOMMU core groups every PCI device).
    @Test(arguments: cases)
    func groupsCoverTheDump(_ c: OracleCase) throws {
        let groups = try Fixtures.groups(c.file("groups.txt"))
        let functions = try Self.functions(c.file("dump.txt"))
        #expect(Set(functions).count == functions.count, "\(c): a function appears twice in dump.txt")
        if !groups.isEmpty {
            #expect(Set(groups.keys) == Set(functions), "\(c): groups.txt and dump.txt name different functions")
        }
        #expect(try Self.functions(c.file("vvv.txt")) == functions)
    }

    /// A kernel parameter changes no function; enabled VFs add exactly the VFs sriov.txt lists.
    @Test(arguments: cases)
    func functionsAreTheDefaultBootsPlusVFs(_ c: OracleCase) throws {
        let mine = Set(try Self.functions(c.file("dump.txt")))
        let base = Set(try Self.functions(c.defaultCase.file("dump.txt")))
        var vfs: Set<PCIAddress> = []
        if FileManager.default.fileExists(atPath: Fixtures.path(c.file("sriov.txt"))) {
            for line in try Fixtures.text(c.file("sriov.txt")).split(separator: "\n") where line.hasPrefix("  virtfn") {
                vfs.insert(try #require(line.split(separator: " ").last.flatMap { PCIAddress($0) }, "\(c): \(line)"))
            }
            #expect(!vfs.isEmpty, "\(c): sriov.txt lists no VF")
        }
        #expect(mine == base.union(vfs), "\(c): functions differ from the default boot's plus the VFs")
        #expect(base.isDisjoint(with: vfs))
    }

    /// The first fixtures (qemu/, qemu-quirk/): groups parse and name functions of the dump.
    @Test(arguments: dumps.filter { !$0.contains("qemu-cmdline/") && !$0.contains("qemu-sriov/") })
    func flatFixtureGroupsMatchTheDump(_ dump: String) throws {
        let groupsFile = dump.replacingOccurrences(of: "/dump", with: "/groups")
        let groups = try Fixtures.groups(groupsFile)
        #expect(!groups.isEmpty, "\(groupsFile) is empty")
        #expect(Set(groups.keys) == Set(try Self.functions(dump)), "\(groupsFile) and \(dump) name different functions")
    }
}
