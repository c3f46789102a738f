import Foundation
import PCIAccess
import PCIConfig
import Testing
import TestSupport

/// `acsquirk scan` end to end: the built binary on real dumps, checked against our library and
/// against the real lspci.
@Suite struct ScanCommandTests {
    static let fixtures = [
        "qemu/a-rootports/dump.txt", "qemu/b-switch/dump.txt", "machines/x58-asus-p6t6-nf200/dump.txt",
        "machines/ivb-latitude-e6430-nvs5200m/dump.txt", "machines/arm-n1sdp-pex8749/dump.txt",
        "machines/fsl-p2020-multidomain/dump.txt",
    ]

    static let recordKeys: Set<String> = [
        "bdf", "vendorID", "deviceID", "id", "names", "class", "headerType", "multifunction", "pcie", "portType",
        "parentBridge", "busNumbers", "readableBytes", "allOnes", "anomalies", "acs", "driver", "iommuGroup",
    ]
    static let acsKeys: Set<String> = [
        "state", "reason", "offset", "version", "layout", "capability", "control", "egressVectorBits",
        "lspciDecodesWrongly", "lspciShows",
    ]

    @Test(arguments: fixtures)
    func jsonMatchesLibraryAndLspci(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let r = try await Binary.run(["scan", "--dump", path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["format"] as? String == "acsquirk-scan/1")
        let source = try #require(doc["source"] as? [String: Any])
        #expect(source["kind"] as? String == "dump" && source["path"] as? String == path)
        #expect(doc["libpci"] as? String == PCIReader.libpciVersion)
        let records = try #require(doc["functions"] as? [[String: Any]])

        let ours = try PCIReader.read(.dump(path: path))
        let tree = PCIBusTree(ours)
        let lspci = Lspci.parse(try await Lspci.run(["-F", path, "-vvv", "-D"]))
        #expect(records.count == ours.count)
        for (rec, f) in zip(records, ours) {
            let here = "\(dump) \(f.address)"
            #expect(Set(rec.keys) == Self.recordKeys, "\(here): keys")
            let acs = try #require(rec["acs"] as? [String: Any])
            #expect(Set(acs.keys) == Self.acsKeys, "\(here): acs keys")
            #expect(rec["bdf"] as? String == f.address.description)
            #expect(rec["id"] as? String == f.idString)
            #expect(rec["multifunction"] as? Bool == f.headerType?.multifunction)
            #expect(rec["readableBytes"] as? Int == f.config.readable)
            #expect(rec["allOnes"] as? Bool == f.isAllOnes)
            #expect((rec["portType"] as? String) == f.portType?.description)
            #expect((rec["parentBridge"] as? String) == tree.parent(of: f.address)?.description)
            let names = rec["names"] as? [String: String]
            #expect(names?["vendor"] == f.names?.vendor && names?["class"] == f.names?.class)
            // Against lspci itself.
            let v = try #require(lspci[f.address])
            let state = acs["state"] as? String
            if state == "present" {
                let cap = try #require(acs["capability"] as? [String: Any])
                let ctl = try #require(acs["control"] as? [String: Any])
                #expect(cap["lspci"] as? String == v.acsCap, "\(here): ACSCap")
                #expect(ctl["lspci"] as? String == v.acsCtl, "\(here): ACSCtl")
            } else {
                #expect(v.acsCap == nil, "\(here): lspci shows ACS, scan says \(state ?? "?")")
            }
            if state == "unknown" {
                #expect((acs["reason"] as? String)?.isEmpty == false, "\(here): unknown without a reason")
            }
            if let t = v.express { #expect(f.portType?.lspciName == t) }
        }
    }

    @Test func jsonIsStableSortedAndDocumented() async throws {
        let path = Fixtures.path("machines/x58-asus-p6t6-nf200/dump.txt")
        let a = try await Binary.run(["scan", "--dump", path, "--format", "json"])
        let b = try await Binary.run(["scan", "--dump", path, "--format", "json"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout.hasSuffix("}\n"))
        // Keys of each record, in the order printed, are sorted.
        var keys: [String] = []
        for line in a.stdout.split(separator: "\n") {
            if line.hasPrefix("    }") { break }
            if line.hasPrefix("      \""), let end = line.dropFirst(7).firstIndex(of: "\"") {
                keys.append(String(line[line.index(line.startIndex, offsetBy: 7)..<end]))
            }
        }
        #expect(keys == keys.sorted() && Set(keys) == Self.recordKeys)
        // docs/scan.md documents every key.
        let doc = try String(contentsOfFile: Fixtures.repoPath("docs/scan.md"), encoding: .utf8)
        for k in Self.recordKeys.union(Self.acsKeys).union(["format", "source", "libpci", "warnings", "functions", "assumptions", "recorded"]) {
            #expect(doc.contains("| `\(k)` |"), "docs/scan.md does not document \(k)")
        }
    }

    @Test(arguments: ["qemu/a-rootports/dump.txt", "machines/arm-n1sdp-pex8749/dump.txt", "machines/ivb-latitude-e6430-nvs5200m/dump.txt"])
    func textTable(_ dump: String) async throws {
        let path = Fixtures.path(dump)
        let r = try await Binary.run(["scan", "--dump", path])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("\u{1b}["), "no colour when stdout is not a terminal")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("BDF           ID         CLASS  HDR  MF") == true)
        let ours = try PCIReader.read(.dump(path: path), names: false)
        let lspci = Lspci.parse(try await Lspci.run(["-F", path, "-vvv", "-D"]))
        for f in ours {
            let i = try #require(lines.firstIndex { $0.hasPrefix(f.address.description + "  ") }, "\(f.address) has no row")
            let row = lines[i]
            // Every row has the same column positions: the ACS word starts where the header says.
            let acsColumn = lines[0].range(of: "ACS ")!.lowerBound.utf16Offset(in: lines[0])
            let word = row.dropFirst(acsColumn).prefix { $0 != " " }
            switch f.acs {
            case .present:
                #expect(word == "present")
                #expect(lines[i + 1].trimmingCharacters(in: .whitespaces) == "ACSCap: " + (lspci[f.address]?.acsCap ?? "?"))
                #expect(lines[i + 2].trimmingCharacters(in: .whitespaces) == "ACSCtl: " + (lspci[f.address]?.acsCtl ?? "?"))
            case .absent:
                #expect(word == "absent")
            case let .unknown(reason):
                #expect(word == "unknown")
                let detail = lines[i + 1].trimmingCharacters(in: .whitespaces)
                if case .allOnes = reason { #expect(detail.hasPrefix("flagged: reads all-ones")) }
                else { #expect(detail == "ACS unknown: " + PCISource.dump(path: path).explanation(of: reason)) }
            }
        }
        #expect(lines.last?.hasPrefix("\(ours.count) functions: ACS present on ") == true)
        if dump.contains("n1sdp") { #expect(r.stdout.contains("ACS unknown: extended config space not in dump")) }
    }

    /// Colour on a terminal (a pty from `script`), none with NO_COLOR.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "no script(1) for a pty"))
    func colourOnlyOnATerminalAndNotWithNoColor() async throws {
        let path = Fixtures.path("qemu/a-rootports/dump.txt")
        let cmd = "\(Binary.path) scan --dump \(path)"
        let tty = try await runTool("script", ["-qec", cmd, "/dev/null"], environment: ["TERM": "xterm", "NO_COLOR": ""])
        #expect(tty.stdout.contains("\u{1b}["), "expected colour on a pty")
        let noColor = try await runTool("script", ["-qec", cmd, "/dev/null"], environment: ["TERM": "xterm", "NO_COLOR": "1"])
        #expect(noColor.stdout.contains("present") && !noColor.stdout.contains("\u{1b}["))
    }

    @Test func badInputExitsTwoWithFileAndLine() async throws {
        let missing = try await Binary.run(["scan", "--dump", "/nonexistent/dump.txt"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "/nonexistent/dump.txt: error: cannot open: No such file or directory\n")
        #expect(missing.stdout.isEmpty)

        let bad = Fixtures.path("malformed/03-bad-hex-byte.txt")
        let malformed = try await Binary.run(["scan", "--dump", bad, "--format", "json"])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.hasPrefix("\(bad):4: error: malformed hex bytes at column 41"))
        #expect(malformed.stdout.isEmpty)

        let binary = try await Binary.run(["scan", "--dump", Fixtures.path("malformed/08-binary.bin")])
        #expect(binary.status == 2 && binary.stderr.contains("08-binary.bin:1: error: NUL byte"))

        let empty = try await Binary.run(["scan", "--dump", Fixtures.path("malformed/07-empty.txt")])
        #expect(empty.status == 2 && empty.stderr.contains("07-empty.txt:1: warning: empty file")
                && empty.stderr.contains("no PCI functions"))

        let format = try await Binary.run(["scan", "--dump", Fixtures.path("qemu/a-rootports/dump.txt"), "--format", "yaml"])
        #expect(format.status == 2 && format.stderr.contains("--format must be text or json"))
    }

    @Test func warningsGoToStderrAndIntoJSON() async throws {
        let path = Fixtures.path("malformed/11-header-8-digit-domain.txt")
        let r = try await Binary.run(["scan", "--dump", path, "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("\(path):18: warning: not a device header for libpci (8-digit domain"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let warnings = try #require(doc["warnings"] as? [String])
        #expect(warnings.count == 2 && r.stderr.split(separator: "\n").map(String.init) == warnings)
    }

    @Test func reportLibraryTextAndJSONAgree() throws {
        let result = try PCIReader.load(.dump(path: Fixtures.path("qemu/e-rciep/dump.txt")))
        let report = ScanReport(result)
        #expect(report.functions.contains { $0.portType == "rciep" })
        let text = report.text()
        #expect(text.components(separatedBy: "\n").filter { $0.hasPrefix("0000:") }.count == report.functions.count)
        // A style callback sees each ACS word exactly once per row.
        var styled = 0
        _ = report.text { s, style in
            if style == .present || style == .absent || style == .unknown || style == .flagged { styled += 1 }
            return s
        }
        #expect(styled == report.functions.count)
        #expect(report.json() == ScanReport(result).json())
    }
}
