import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// lspci's options on `acsquirk scan` (-s, -d, -t, -n, -nn, -D, -k) against lspci itself on the
/// same dumps (and on this machine for -k).
@Suite struct LspciOptionTests {
    /// Filters every dump can take; the slot ones cover domain/bus/slot/function fields, empty
    /// fields and `*`, the ID ones vendor, device, class with `x` wildcards and prog-if.
    static let generic: [[String]] = [
        ["-s", "0:"], ["-s", ".1"], ["-s", "1c"], ["-s", "00:1c.*"], ["-s", "0000:00:"], ["-s", "*:*.0"],
        ["-s", "00:.0"], ["-s", "1:"], ["-s", "::"], ["-s", "0:0:0.0"], ["-s", "1:0:"], ["-s", "3."],
        ["-d", "8086:"], ["-d", ":"], ["-d", "*:*"], ["-d", "::0604"], ["-d", "::06xx"], ["-d", "::0c03:30"],
        ["-d", "10de:"], ["-d", "::x0xx"], ["-d", "::xx00"], ["-d", ":*:0c"], ["-d", "1b36:000c"],
        ["-s", "00:", "-d", "8086:"], ["-s", "00:", "-s", ".1"], ["-d", "8086:", "-d", "::0604"],
    ]

    /// The generic filters and a few from the dump itself: a bridge's bus:slot, the last
    /// function's vendor:device and its bus.
    static func cases(_ fs: [PCIFunction]) -> [[String]] {
        var out = generic
        let tree = PCIBusTree(fs)
        if let b = tree.bridges.keys.sorted().last {
            out.append(["-s", "\(hex(b.bus, width: 2)):\(hex(b.device, width: 2))"])
            out.append(["-s", "\(hex(b.domain, width: 4)):\(hex(b.bus, width: 2)):\(hex(b.device, width: 2)).\(b.function)"])
        }
        if let f = fs.last {
            out.append(["-d", hex(f.vendorID, width: 4) + ":" + hex(f.deviceID, width: 4)])
            out.append(["-s", "\(hex(f.address.bus, width: 2)):"])
        }
        return out
    }

    static func filter(_ args: [String]) throws -> PCIFilter {
        var slots: [String] = [], ids: [String] = []
        for i in stride(from: 0, to: args.count, by: 2) {
            if args[i] == "-s" { slots.append(args[i + 1]) } else { ids.append(args[i + 1]) }
        }
        return try PCIFilter(slots: slots, ids: ids)
    }

    /// What lspci selects, by address.
    static func lspciSelects(_ path: String, _ args: [String]) async throws -> Set<PCIAddress> {
        Set(Lspci.parse(try await Lspci.run(["-F", path, "-D"] + args)).keys)
    }

    /// PCIFilter selects what `lspci -F dump -s/-d` selects, and LspciTree with that filter draws
    /// what `lspci -F dump -t -s/-d` draws, byte for byte, on every committed dump.
    @Test(arguments: Dumps.all)
    func filterAndTreeMatchLspci(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let fs = try PCIReader.read(.dump(path: path), names: false)
        var nonEmpty = 0
        for args in Self.cases(fs) {
            let expected = try await Self.lspciSelects(path, args)
            let f = try Self.filter(args)
            let ours = Set(fs.filter(f.matches).map(\.address))
            #expect(ours == expected, "\(dump) \(args.joined(separator: " ")): ours \(ours.sorted()) lspci \(expected.sorted())")
            if !ours.isEmpty && ours.count < fs.count { nonEmpty += 1 }
            let tree = try await Lspci.run(["-F", path, "-t"] + args)
            let drawn = LspciTree.render(fs, matching: { ours.contains($0) })
            if drawn != tree {
                Issue.record("\(dump) -t \(args.joined(separator: " ")):\n\(await textDiff(expected: tree, actual: drawn))")
            }
        }
        // The filters really select something less than everything on each dump.
        #expect(fs.count < 2 || nonEmpty >= 3, "\(dump): only \(nonEmpty) filters selected a proper subset")
    }

    /// The built binary selects what lspci selects (JSON records), on single- and multi-domain dumps.
    @Test(arguments: ["qemu/b-switch/dump.txt", "machines/x58-asus-p6t6-nf200/dump.txt",
                      "machines/fsl-p2020-multidomain/dump.txt", "machines/ppc-ibm-pcix-multidomain/dump.txt"])
    func scanSelectsWhatLspciSelects(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let fs = try PCIReader.read(.dump(path: path), names: false)
        for args in Self.cases(fs) {
            let r = try await Binary.run(["scan", "--dump", path, "--format", "json"] + args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let bdfs = try #require(doc["functions"] as? [[String: Any]]).compactMap { $0["bdf"] as? String }
            let expected = try await Self.lspciSelects(path, args)
            #expect(Set(bdfs.compactMap(PCIAddress.init)) == expected, "\(dump) \(args.joined(separator: " "))")
        }
    }

    /// A filter lspci refuses is refused with lspci's reason (exit 2, nothing on stdout).
    @Test func badFiltersAreRefusedAsLspciRefusesThem() async throws {
        let path = Fixtures.path("qemu/a-rootports/dump.txt")
        let bad: [[String]] = [
            ["-s", "1.x"], ["-s", "0:0:0:0"], ["-s", "100:"], ["-s", "20"], ["-s", "0.8"], ["-s", "g:"],
            ["-s", "1.2.3"], ["-s", String(repeating: "0", count: 64)], ["-d", "8086"], ["-d", "1:2:3:4:5"],
            ["-d", "10000:"], ["-d", "::xyz"], ["-d", "::0604:100"], ["-d", "8086:x"],
        ]
        for args in bad {
            let l = try await runTool("lspci", ["-F", path] + args)
            #expect(l.status != 0, "lspci accepted \(args)")
            let prefix = "lspci: \(args[0]): "
            let line = try #require(l.stderr.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(args): \(l.stderr)")
            let reason = line.dropFirst(prefix.count)
            let r = try await Binary.run(["scan", "--dump", path] + args)
            #expect(r.status == 2 && r.stdout.isEmpty, "\(args)")
            #expect(r.stderr == "acsquirk scan: \(args[0]) '\(args[1])': \(reason)\n", "\(args): \(r.stderr)")
        }
    }

    /// ` (group N, ACS ...)` annotations removed, runs of blanks made one: the drawing's shape.
    static func shape(_ tree: String) throws -> [String] {
        let note = try Regex(#" \((?:group [0-9]+|all-ones)[^)]*\)"#)
        let blanks = try Regex(#" {2,}"#)
        return tree.split(separator: "\n").map {
            String($0).replacing(note, with: "").replacing(blanks, with: " ")
        }
    }

    /// `scan -t` draws lspci's tree (with and without a filter) and every function's predicted
    /// IOMMU group as `acsquirk groups` numbers it.
    @Test(arguments: ["qemu/b-switch/dump.txt", "qemu/a-rootports/dump.txt", "machines/x58-asus-p6t6-nf200/dump.txt",
                      "machines/fsl-p2020-multidomain/dump.txt", "machines/snb-h67-pcie-pci-bridge-saa7134/dump.txt"])
    func treeHasLspciShapeAndTheGroups(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        for args in [[], ["-s", "0:"], ["-d", "::0604"], ["-s", ".1"]] {
            let r = try await Binary.run(["scan", "--dump", path, "-t"] + args)
            #expect(r.status == 0, "\(r.stderr)")
            let lspci = try await Lspci.run(["-F", path, "-t"] + args)
            let ours = try Self.shape(r.stdout), theirs = try Self.shape(lspci)
            #expect(ours == theirs, "\(dump) -t \(args)\n\(r.stdout)\n\(lspci)")
            if args.isEmpty {
                // Each function's group: the multiset of numbers is the groups command's.
                let g = try await Binary.run(["groups", "--dump", path, "--format", "json"])
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as? [String: Any])
                let groups = try #require(doc["groups"] as? [[String: Any]])
                let expected = groups.flatMap { g in
                    Array(repeating: g["number"] as? Int ?? -1, count: (g["members"] as? [Any])?.count ?? 0)
                }.sorted()
                let drawn = r.stdout.matches(of: try Regex(#"\(group ([0-9]+), "#)).compactMap {
                    $0.output[1].substring.flatMap { Int($0) }
                }.sorted()
                #expect(drawn == expected, "\(dump): groups in the tree")
                #expect(r.stdout.contains("ACS") && !r.stdout.contains("\u{1b}["))
            }
        }
    }

    /// `groups -s/-d` shows exactly the groups holding a function lspci selects, and says so.
    @Test(arguments: ["qemu/b-switch/dump.txt", "machines/x58-asus-p6t6-nf200/dump.txt", "machines/fsl-p2020-multidomain/dump.txt"])
    func groupsShowsTheGroupsOfWhatLspciSelects(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        func groups(_ args: [String]) async throws -> [String: Any] {
            let r = try await Binary.run(["groups", "--dump", path, "--format", "json"] + args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        func numbered(_ doc: [String: Any]) -> [Int: Set<String>] {
            var out: [Int: Set<String>] = [:]
            for g in doc["groups"] as? [[String: Any]] ?? [] {
                out[g["number"] as? Int ?? -1] = Set((g["members"] as? [[String: Any]] ?? []).compactMap { $0["bdf"] as? String })
            }
            return out
        }
        let all = numbered(try await groups([]))
        let fs = try PCIReader.read(.dump(path: path), names: false)
        var narrowed = 0
        for args in [["-s", "0:"], ["-s", ".1"], ["-d", "::0604"], ["-d", "8086:"], ["-s", "1:"]] + Self.cases(fs).suffix(4) {
            let selected = Set(try await Self.lspciSelects(path, args).map(\.description))
            let doc = try await groups(args)
            let expected = all.filter { !$0.value.isDisjoint(with: selected) }
            #expect(numbered(doc) == expected, "\(dump) \(args)")
            let sel = try #require(doc["selection"] as? [String: Any])
            #expect(sel["filter"] as? String == args.joined(separator: " ") && sel["groupsInAll"] as? Int == all.count)
            if expected.count < all.count { narrowed += 1 }
        }
        #expect(narrowed >= 2)
        let dot = try await Binary.run(["groups", "--dump", path, "--format", "dot", "-s", "0:"])
        #expect(dot.status == 2 && dot.stderr.contains("the picture (dot, svg, png) always shows every group"))
        let bad = try await Binary.run(["groups", "--dump", path, "-d", "8086"])
        #expect(bad.status == 2 && bad.stderr == "acsquirk groups: -d '8086': At least two fields must be given\n")
    }

    /// Rows and their order and slot names are lspci's, with and without -D; -n shows lspci -n's
    /// numbers and no names; -nn names the function exactly as lspci -nn does.
    @Test(arguments: ["qemu/b-switch/dump.txt", "machines/x58-asus-p6t6-nf200/dump.txt",
                      "machines/fsl-p2020-multidomain/dump.txt", "machines/ivb-latitude-e6430-nvs5200m/dump.txt"])
    func slotNamesAndNumbersAsLspci(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        func rows(_ text: String) -> [String] {
            Array(text.split(separator: "\n").map(String.init).dropFirst().dropLast().filter { !$0.hasPrefix(" ") })
        }
        func slot(_ line: String) -> String { String(line.prefix { $0 != " " }) }
        let rev = try Regex(#" \(rev [0-9a-f]{2}\)$"#)
        for domains in [false, true] {
            let d = domains ? ["-D"] : []
            for numeric in [0, 1, 2] {
                let n = numeric == 0 ? [] : [numeric == 1 ? "-n" : "-nn"]
                let ours = try await Binary.run(["scan", "--dump", path] + d + n)
                #expect(ours.status == 0)
                let header = try #require(ours.stdout.split(separator: "\n").first.map(String.init))
                let nameColumn = try #require(header.range(of: "NAME")).lowerBound.utf16Offset(in: header)
                let lspci = try await Lspci.run(["-F", path] + d + n).split(separator: "\n").map(String.init)
                let mine = rows(ours.stdout)
                #expect(mine.map(slot) == lspci.map(slot), "\(dump) \(d + n): slot names")
                for (row, line) in zip(mine, lspci) {
                    let text = String(line.dropFirst(slot(line).count + 1)).replacing(rev, with: "")
                    let name = String(row.dropFirst(nameColumn))
                    let cols = row.split(separator: " ", omittingEmptySubsequences: true)
                    // An all-ones function has no class: CLASS is `-` where lspci prints ffff.
                    if cols[2] == "-" { #expect(cols[1] == "ffff:ffff"); continue }
                    if numeric == 1 {
                        #expect(name.isEmpty && "\(cols[2]): \(cols[1])" == text, "\(row) / \(line)")
                    } else {
                        #expect(name == text, "\(dump) \(d + n)")
                    }
                }
            }
        }
    }

    /// -k on lspci -vvv text: the drivers its `Kernel driver in use:` lines recorded.
    @Test func kernelDriverFromLspciText() async throws {
        let path = Fixtures.path("qemu-cmdline/c-mf-endpoint/config_acs-no-acs-cap/6.12/vvv.txt")
        let r = try await Binary.run(["scan", "-k", "--dump", path])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = Self.drivers(try String(contentsOfFile: path, encoding: .utf8))
        #expect(!expected.isEmpty && Self.drivers(r.stdout) == expected)
    }

    /// `Kernel driver in use:` by address, from lspci -k or scan -k output (with or without domains).
    static func drivers(_ text: String) -> [PCIAddress: String] {
        var out: [PCIAddress: String] = [:]
        var current: PCIAddress?
        for line in text.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") { current = PCIAddress(line.prefix { $0 != " " }); continue }
            if let current, let r = line.range(of: "Kernel driver in use: ") { out[current] = String(line[r.upperBound...]) }
        }
        return out
    }

    /// -k: the drivers lspci -k shows on this machine; a dump is refused in words.
    @Test(.enabled(if: LiveTests.hasPCI, "no /sys/bus/pci/devices"))
    func kernelDriverIsLspcisOnThisMachine() async throws {
        let r = try await Binary.run(["scan", "-k"])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = Self.drivers(try await Lspci.run(["-k"]))
        #expect(Self.drivers(r.stdout) == expected)
        let library = try PCIReader.liveDrivers()
        #expect(library.count == expected.count)
        let dump = try await Binary.run(["scan", "-k", "--dump", Fixtures.path("qemu/a-rootports/dump.txt")])
        #expect(dump.status == 2 && dump.stdout.isEmpty && dump.stderr.contains("-k") && dump.stderr.contains("needs a live system")
                && dump.stderr.contains("records no drivers"))
    }

    /// A mistyped option names the one meant.
    @Test func mistypedOptionSuggestsTheRightOne() async throws {
        for (typed, meant) in [("--dumb", "--dump"), ("--numric", "--numeric"), ("--formt", "--format"), ("--tre", "--tree")] {
            let r = try await Binary.run(["scan", typed, "x"])
            #expect(r.status == 2)
            #expect(r.stderr.contains("Unknown option '\(typed)'. Did you mean '\(meant)'?"), "\(typed): \(r.stderr)")
        }
    }
}
