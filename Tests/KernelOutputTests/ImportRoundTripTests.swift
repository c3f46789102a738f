import Foundation
import KernelOutput
import PCIAccess
import Registry
import Testing
import TestSupport

/// A new entry, acsquirk's own patch for it merged into a copy of the 6.12 tree, then
/// import-kernel into the registry that holds the entry: the entry becomes upstream in place.
@Suite(.serialized) struct ImportRoundTripTests {
    /// The entry as `acsquirk new` scaffolds it, the evidence filled in.
    static let entryYAML = SampleEntries.intel82574L

    @Test func mergedPatchTurnsTheNewEntryUpstreamInPlace() async throws {
        guard let source = kernelTree("6.12") else { return }
        try await withTemporaryDirectoryAsync { dir in
            let fm = FileManager.default
            let tree = dir.appendingPathComponent("tree").path
            for f in ["drivers/pci/quirks.c", "include/linux/pci_ids.h", "Makefile"] {
                try fm.createDirectory(atPath: (tree + "/" + f as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try fm.copyItem(atPath: source + "/" + f, toPath: tree + "/" + f)
            }
            func git(_ args: [String]) async throws {
                let r = try await runTool("git", ["-c", "user.name=T", "-c", "user.email=t@example.org"] + args,
                                          workingDirectory: tree)
                #expect(r.status == 0, "git \(args): \(r.stderr)")
            }
            try await git(["init", "-q"])
            try await git(["add", "-A"])
            try await git(["commit", "-qm", "base"])

            let registry = dir.appendingPathComponent("quirks").path
            try fm.copyItem(atPath: quirksFolder, toPath: registry)
            let entryPath = registry + "/intel/82574l.yaml"
            try Data(Self.entryYAML.utf8).write(to: URL(fileURLWithPath: entryPath))
            let before = Registry.load(paths: [registry])
            #expect(Linter.check(before.entries, options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup)).filter { $0.severity == .error }.isEmpty)

            // acsquirk's own patch, applied.
            let patches = dir.appendingPathComponent("patches").path
            guard let p = try await acsquirk(["patch", "--kernel-tree", tree, "--registry", registry, "--out", patches,
                                              "--from", "A B <a@b.example>", "--date", "Fri, 1 Mar 2024 00:00:00 +0000",
                                              "intel/82574l"]) else { return }
            #expect(p.status == 0, "\(p.stderr)")
            let files = try fm.contentsOfDirectory(atPath: patches).filter { $0.hasSuffix(".patch") }
            #expect(files.count == 1)
            try await git(["apply", patches + "/" + (try #require(files.first))])
            let quirksC = try String(contentsOfFile: tree + "/drivers/pci/quirks.c", encoding: .utf8)
            #expect(quirksC.contains("/* Intel 82574L */"))

            // The importer reads the patch's rows back as the entry's own family.
            let imported = try KernelImporter.importTree(tree, known: before.entries.map(\.entry))
            #expect(imported.rowCount == 133)
            let fam = try #require(imported.entries.first { $0.devices == [.id(0x10d3)] })
            #expect(fam.family == "82574L")

            guard let r = try await acsquirk(["import-kernel", "--kernel-tree", tree, "--out", registry]) else { return }
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("82574l.yaml: now upstream"))
            // A stable tree: the since bound is a warning at the entry's file and line.
            #expect(r.stderr.contains(entryPath + ":1: warning: [\(KernelImporter.sinceFromStableTreeRule)] since <=v6.12 written "
                + "from stable tree"), "\(r.stderr)")

            // One file for 8086:10d3, upstream, evidence and applies-to kept, lint clean.
            let after = Registry.load(paths: [registry])
            #expect(!after.diagnostics.hasErrors)
            // (The vendor-wide Intel RCiEP entry's range 0x0000-0xffff covers every ID: not counted.)
            let holders = after.entries.filter { $0.entry.vendor == 0x8086 && $0.entry.devices.contains(.id(0x10d3)) }
            #expect(holders.map(\.path) == [entryPath])
            let e = try #require(holders.first).entry
            let original = try #require(Registry.load(yaml: Self.entryYAML, path: entryPath).entry).entry
            #expect(e.kernel.status == .upstream)
            #expect(e.kernel.function == "pci_quirk_mf_endpoint_acs")
            #expect(e.kernel.table.map(\.device) == [0x10d3])
            #expect(e.kernel.table.map(\.vendorMacro) == ["PCI_VENDOR_ID_INTEL"])
            #expect(e.kernel.since == "<=v6.12")
            #expect(e.kernel.note?.contains("replace it with the release that merged the patch") == true)
            #expect(e.evidence == original.evidence)
            #expect(e.appliesTo == original.appliesTo)
            #expect(e.family == original.family && e.devices == original.devices && e.isolation == original.isolation)
            let lint = Linter.check(after.entries, options: LintOptions(vendorName: PCINameDatabase.standardVendorLookup))
            #expect(lint.isEmpty, "\(lint.map(\.description))")
            // The kernel table of the registry is the tree's table.
            let table = Registry.kernelTable(after.entries.map(\.entry))
            #expect(table.map(\.row) == Array(1...133))
            #expect(table.first { $0.device == 0x10d3 && $0.entry.vendor == 0x8086 }?.row == imported.entries
                .flatMap(\.kernel.table).first { $0.device == 0x10d3 }?.row)

            // No other file was added or removed; the others differ from the committed registry
            // only in the row numbers the inserted row shifted (rows after it, +1).
            #expect(Set(yamlFiles(registry)) == Set(yamlFiles(quirksFolder)).union(["intel/82574l.yaml"]))
            let newRow = e.kernel.table[0].row
            for f in yamlFiles(quirksFolder) {
                let old = try String(contentsOfFile: quirksFolder + "/" + f, encoding: .utf8)
                let new = try String(contentsOfFile: registry + "/" + f, encoding: .utf8)
                let shifted = old.replacing(/\{row: (\d+),/) { m in
                    let n = Int(m.output.1)!
                    return "{row: \(n >= newRow ? n + 1 : n),"
                }
                if new != shifted { Issue.record("\(f) changed beyond the row shift:\n\(await textDiff(expected: shifted, actual: new))") }
            }
        }
    }

    /// import-kernel on a tree without a top-level Makefile: exit 2 with the message.
    @Test func treeWithoutMakefileExits2() async throws {
        guard let source = kernelTree("6.12") else { return }
        try await withTemporaryDirectoryAsync { dir in
            let fm = FileManager.default
            let tree = dir.appendingPathComponent("tree").path
            for f in ["drivers/pci/quirks.c", "include/linux/pci_ids.h"] {
                try fm.createDirectory(atPath: (tree + "/" + f as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try fm.copyItem(atPath: source + "/" + f, toPath: tree + "/" + f)
            }
            let out = dir.appendingPathComponent("out").path
            guard let r = try await acsquirk(["import-kernel", "--kernel-tree", tree, "--out", out]) else { return }
            #expect(r.status == 2)
            #expect(r.stderr.contains("\(tree)/Makefile: cannot read: no such file or directory"))
            #expect(!fm.fileExists(atPath: out))
            // A Makefile without VERSION/PATCHLEVEL is as bad.
            try Data("all:\n\ttrue\n".utf8).write(to: URL(fileURLWithPath: tree + "/Makefile"))
            guard let v = try await acsquirk(["import-kernel", "--kernel-tree", tree, "--out", out]) else { return }
            #expect(v.status == 2)
            #expect(v.stderr.contains("Makefile: VERSION and PATCHLEVEL not found"))
        }
    }
}
