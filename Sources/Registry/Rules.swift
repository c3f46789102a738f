import Diagnostics

/// One lint rule, described once (as SwiftLint keeps them): its id, a one-line description, why it
/// exists, its default severity, and examples that must pass and must trip it. The descriptions
/// feed `--format sarif` (rule metadata) and docs; the examples are the test data of a generic test
/// that lints each one and asserts the exact diagnostics.
public struct LintRule: Sendable, Hashable {
    /// Kebab-case id printed as `[id]`.
    public let id: String
    /// One line: what the rule reports.
    public let description: String
    /// Why it matters (SARIF `fullDescription`, docs).
    public let rationale: String
    public let severity: Diagnostic.Severity
    /// Examples that must produce no diagnostic at all.
    public let good: [RuleExample]
    /// Examples that must produce exactly the marked diagnostics of this rule and nothing else.
    public let bad: [RuleExample]

    public static func == (a: LintRule, b: LintRule) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// A set of files linted together (most examples are one file; cross-file rules need two).
public struct RuleExample: Sendable {
    public var files: [ExampleFile]
    /// The paths lint is given (relative, like the files' paths); nil: every file's path.
    public var lint: [String]?
    public init(_ files: [ExampleFile], lint: [String]? = nil) {
        self.files = files
        self.lint = lint
    }
    public init(_ path: String, _ text: String) { self.files = [ExampleFile(path, text)] }
}

/// One example file. In `.text`, each `↓` marks where a diagnostic of the rule is expected
/// (the marker is removed before linting; the position is that of the character after it).
public struct ExampleFile: Sendable {
    public enum Content: Sendable {
        /// UTF-8 text with `↓` markers.
        case text(String)
        /// Raw bytes; diagnostics expected at `expected`.
        case bytes([UInt8], expected: [SourcePosition])
        /// Text padded with `#` comment lines to `size` bytes; one diagnostic expected at 1:1.
        case padded(String, size: Int)
        /// The path is passed to the linter but no file is created.
        case absent
        /// An empty folder is created at the path; one diagnostic expected there (no position).
        case folder
    }

    /// Path relative to the example's temporary root, e.g. `quirks/wangxun/sp-10gbe.yaml`.
    public var path: String
    public var content: Content

    public init(_ path: String, _ text: String) { self.path = path; self.content = .text(text) }
    public init(_ path: String, content: Content) { self.path = path; self.content = content }

    public static let marker: Character = "↓"

    /// The bytes to write and the positions where diagnostics are expected.
    public func materialize() -> (bytes: [UInt8]?, expected: [SourcePosition]) {
        switch content {
        case let .text(t):
            var clean = ""
            var expected: [SourcePosition] = []
            var line = 1, col = 1
            for ch in t {
                if ch == ExampleFile.marker { expected.append(SourcePosition(line: line, column: col)); continue }
                clean.append(ch)
                if ch == "\n" { line += 1; col = 1 } else { col += ch.unicodeScalars.count }
            }
            return (Array(clean.utf8), expected)
        case let .bytes(b, expected):
            return (b, expected)
        case let .padded(t, size):
            var b = Array(t.utf8)
            let filler = Array("# padding padding padding padding padding padding padding padding padding\n".utf8)
            while b.count < size { b += filler }
            return (b, [SourcePosition(line: 1, column: 1)])
        case .absent, .folder:
            return (nil, [SourcePosition(line: 1, column: 1)])
        }
    }
}

/// Every lint rule, in the order documented.
public enum LintRules {
    /// A clean `new` entry every example starts from (path `quirks/wangxun/sp-10gbe.yaml`).
    public static let base = """
        schema: 1
        vendor: 0x8088
        vendor-name: Wangxun
        family: SP 10GbE
        devices: [0x1001, 0x2001]
        applies-to:
          port-type: endpoint
          multifunction: true
        isolation:
          kind: no-peer-to-peer
          acs-equivalent: [SV, RR, CR, UF]
        evidence:
          statement: Wangxun verified that the functions of these NICs never perform peer-to-peer; all traffic goes upstream.
          confirmed-by: Jane Doe <jane.doe@vendor.example>
          references:
            - title: RP1000 datasheet, section 5.3
              url: https://vendor.example/rp1000.pdf
          date: 2023-02-10
        kernel:
          status: new

        """
    public static let basePath = "quirks/wangxun/sp-10gbe.yaml"

    /// `base` with `old` replaced by `new` (which may carry `↓` markers).
    static func variant(_ old: String, _ new: String) -> String {
        precondition(base.contains(old), "example text not in base: \(old)")
        return base.replacingOccurrences(of: old, with: new)
    }

    static func bad(_ old: String, _ new: String, path: String = basePath) -> RuleExample {
        RuleExample(path, variant(old, new))
    }

    static let good = RuleExample(basePath, base)

    /// An upstream entry in the style import-kernel writes.
    static let upstream = """
        schema: 1
        vendor: 0x1924
        vendor-name: Solarflare
        family: NICs
        devices: [0x0903, 0x0923]
        isolation:
          kind: no-peer-to-peer
          acs-equivalent: [SV, TB, RR, CR, UF, DT]
        evidence:
          statement: Devices matching this quirk have been verified by the vendor to not perform peer-to-peer with other functions.
        kernel:
          status: upstream
          function: pci_quirk_mf_endpoint_acs
          since: v3.12
          table:
            - {row: 9, device: 0x0903, vendor-macro: PCI_VENDOR_ID_SOLARFLARE}
            - {row: 10, device: 0x0923, vendor-macro: PCI_VENDOR_ID_SOLARFLARE}

        """
    static let upstreamPath = "quirks/solarflare/nics.yaml"

    // MARK: File and YAML level

    public static let unreadable = LintRule(
        id: "unreadable", description: "A path that does not exist, is not a regular file or cannot be read.",
        rationale: "Lint must see every file it is asked about; `acsquirk lint` exits 2 for these.",
        severity: .error, good: [good],
        bad: [RuleExample([ExampleFile("quirks/wangxun/missing.yaml", content: .absent)])])

    public static let hiddenFile = LintRule(
        id: "hidden-file", description: "A hidden registry file (.name.yaml), or a hidden folder holding registry files, skipped.",
        rationale: "An entry in a hidden file or folder would never be linted, checked or generated; lint says which it skipped.",
        severity: .warning, good: [RuleExample([ExampleFile(basePath, base), ExampleFile("quirks/wangxun/.sp-10gbe.yaml.acsquirk-tmp-0123456789ab", base)],
                                               lint: ["quirks"])],
        bad: [RuleExample([ExampleFile(basePath, base), ExampleFile("quirks/wangxun/.sp-10gbe-old.yaml", "↓" + base)],
                          lint: ["quirks"])])

    public static let noRegistryFiles = LintRule(
        id: "no-registry-files", description: "A folder given to lint that holds no registry file (*.yaml).",
        rationale: "Linting nothing must not pass as a clean registry (a wrong path, or entries in hidden files).",
        severity: .error, good: [RuleExample([ExampleFile(basePath, base)], lint: ["quirks"])],
        bad: [RuleExample([ExampleFile("quirks", content: .folder)])])

    public static let fileTooLarge = LintRule(
        id: "file-too-large", description: "A file larger than 1 MiB.",
        rationale: "An entry is a few KiB; a huge file is a mistake or an attack and is refused before it is read.",
        severity: .error, good: [good],
        bad: [RuleExample([ExampleFile(basePath, content: .padded(base, size: SourceReader.sizeLimit + 1))])])

    public static let invalidUTF8 = LintRule(
        id: "invalid-utf8", description: "Bytes that are not valid UTF-8.",
        rationale: "Registry text ends up in C comments and commit messages, which must be UTF-8.",
        severity: .error, good: [good],
        bad: [RuleExample([ExampleFile(basePath, content: .bytes(
            Array("schema: 1\nvendor: 0x8088\nvendor-name: Wang".utf8) + [0xff, 0xfe] + Array("xun\n".utf8),
            expected: [SourcePosition(line: 3, column: 18)]))])])

    public static let emptyFile = LintRule(
        id: "empty-file", description: "A file with no YAML document (empty, or only comments).",
        rationale: "Each file holds exactly one entry.",
        severity: .error, good: [good],
        bad: [RuleExample(basePath, "↓"), RuleExample(basePath, "↓# nothing here yet\n\n")])

    public static let tabCharacter = LintRule(
        id: "tab-character", description: "A tab character anywhere in the file.",
        rationale: "YAML forbids tabs in indentation, and tabs in values break the alignment of generated C comments.",
        severity: .error, good: [good],
        bad: [bad("family: SP 10GbE", "family: SP↓\t10GbE"), bad("  port-type: endpoint", "↓\tport-type: endpoint")])

    public static let oddLineBreak = LintRule(
        id: "odd-line-break", description: "A carriage return without a line feed, or NEL, U+2028 or U+2029.",
        rationale: "YAML counts these as line breaks and editors do not: every position after one would point at the wrong line.",
        severity: .error, good: [good],
        bad: [bad("family: SP 10GbE", "family: SP↓\r10GbE"), bad("family: SP 10GbE", "family: SP↓\u{2028}10GbE")])

    public static let yamlSyntax = LintRule(
        id: "yaml-syntax", description: "Text that is not valid YAML, or more than one YAML document.",
        rationale: "The file cannot be read at all; the position is libyaml's.",
        severity: .error, good: [good],
        bad: [bad("devices: [0x1001, 0x2001]\napplies-to:", "devices: [0x1001, 0x2001\napplies-to↓:"),
              bad("kernel:\n  status: new\n", "kernel:\n  status: new\n↓---\nschema: 1\n")])

    public static let duplicateKey = LintRule(
        id: "duplicate-key", description: "A key that appears twice in one mapping.",
        rationale: "YAML loaders disagree on which value wins; the entry would mean different things to different tools.",
        severity: .error, good: [good],
        bad: [bad("family: SP 10GbE", "family: SP 10GbE\n↓family: SP 10GbE v2")])

    public static let yamlAnchor = LintRule(
        id: "yaml-anchor", description: "YAML anchors (&name) and aliases (*name).",
        rationale: "Aliases hide what an entry says and enable exponential 'billion laughs' expansion; values are written out.",
        severity: .error, good: [good],
        bad: [bad("devices: [0x1001, 0x2001]", "devices: ↓&ids [0x1001, 0x2001]\n# again: *ids"),
              bad("  acs-equivalent: [SV, RR, CR, UF]", "  acs-equivalent: [SV, RR, CR, UF]\n  extra: ↓*nothing")])

    // MARK: Schema

    public static let unknownKey = LintRule(
        id: "unknown-key", description: "A key the schema does not define (often a misspelling).",
        rationale: "A misspelt key would be ignored silently and its condition lost.",
        severity: .error, good: [good],
        bad: [bad("vendor-name: Wangxun", "↓vendor_name: Wangxun\nvendor-name: Wangxun"),
              bad("  port-type: endpoint", "  port-type: endpoint\n  ↓revision: 0x01")])

    public static let missingKey = LintRule(
        id: "missing-key", description: "A required key is absent.",
        rationale: "Vendor, family, devices, isolation and kernel status are needed to generate or check anything.",
        severity: .error, good: [good],
        bad: [bad("schema: 1\nvendor: 0x8088", "↓schema: 1\nvendor: 0x8088", path: basePath)
                .removing("family: SP 10GbE\n"),
              bad("  kind: no-peer-to-peer\n", "  ↓kind: no-peer-to-peer\n").removing("  acs-equivalent: [SV, RR, CR, UF]\n")])

    public static let invalidValue = LintRule(
        id: "invalid-value", description: "A value of the wrong kind: unknown enum word, wrong type, bad schema version, not an identifier.",
        rationale: "Only the documented words have a meaning the generators and the group predictor agree on.",
        severity: .error, good: [good],
        bad: [bad("  kind: no-peer-to-peer", "  kind: ↓no-p2p"),
              bad("schema: 1", "schema: ↓2"),
              bad("  multifunction: true", "  multifunction: ↓yes"),
              bad("  acs-equivalent: [SV, RR, CR, UF]", "  acs-equivalent: [SV, RR, ↓XX, UF]")])

    public static let hexID = LintRule(
        id: "hex-id", description: "A vendor, device or class ID that is not 16-bit hex written as 0x....",
        rationale: "YAML reads unquoted 4318 as decimal and 1e10 as a float; only the 0x form is unambiguous.",
        severity: .error, good: [good],
        bad: [bad("devices: [0x1001, 0x2001]", "devices: [↓1001, ↓0x12001, ↓1e10]"),
              bad("vendor: 0x8088", "vendor: ↓8088")])

    // MARK: Vendor and path

    public static let unknownVendor = LintRule(
        id: "unknown-vendor", description: "A vendor ID that pci.ids does not list (warning).",
        rationale: "Usually a typo; a brand-new vendor may legitimately be missing from pci.ids.",
        severity: .warning, good: [good],
        bad: [bad("vendor: 0x8088", "vendor: ↓0x0002")])

    public static let vendorNameMismatch = LintRule(
        id: "vendor-name-mismatch", description: "Files of one vendor ID that spell vendor-name differently.",
        rationale: "vendor-name goes into patch subjects and the vendor folder; one vendor has one name.",
        severity: .error, good: [RuleExample([ExampleFile(basePath, base),
                                              ExampleFile("quirks/wangxun/em-1gbe.yaml", variant("family: SP 10GbE\ndevices: [0x1001, 0x2001]",
                                                                                                "family: EM 1GbE\ndevices: [{first: 0x0100, last: 0x010f}]"))])],
        bad: [RuleExample([ExampleFile(basePath, base),
                           ExampleFile("quirks/wangxun-technology/em-1gbe.yaml",
                                       variant("vendor-name: Wangxun\nfamily: SP 10GbE\ndevices: [0x1001, 0x2001]",
                                               "vendor-name: ↓Wangxun Technology\nfamily: EM 1GbE\ndevices: [0x0100]"))])])

    public static let pathMismatch = LintRule(
        id: "path-mismatch", description: "A file not at quirks/<slug of vendor-name>/<slug of family>.yaml.",
        rationale: "One predictable place per family keeps duplicates visible in review.",
        severity: .error, good: [good],
        bad: [RuleExample("quirks/intel/sp-10gbe.yaml", variant("vendor-name: Wangxun", "vendor-name: ↓Wangxun")),
              RuleExample("quirks/wangxun/sp10gbe.yaml", variant("family: SP 10GbE", "family: ↓SP 10GbE"))])

    // MARK: Devices

    public static let invertedRange = LintRule(
        id: "inverted-range", description: "A device range whose first ID is above its last.",
        rationale: "An inverted range covers nothing; the author meant something else.",
        severity: .error, good: [good],
        bad: [bad("devices: [0x1001, 0x2001]", "devices: [0x1001, {first: ↓0x2010, last: 0x2001}]")])

    public static let duplicateDevice = LintRule(
        id: "duplicate-device",
        description: "A device ID covered twice: by two IDs or ranges of one entry, or by two entries whose conditions overlap.",
        rationale: "Two claims for one device disagree sooner or later; the table order would decide silently. "
            + "Upstream entries overlapping each other are the kernel's own table and are not reported.",
        severity: .error,
        good: [good, RuleExample([ExampleFile(basePath, base),
                                  ExampleFile("quirks/wangxun/sp-root-ports.yaml",
                                              variant("family: SP 10GbE", "family: SP root ports")
                                                .replacingOccurrences(of: "port-type: endpoint", with: "port-type: root-port")
                                                .replacingOccurrences(of: "kind: no-peer-to-peer", with: "kind: ports-isolated"))])],
        bad: [bad("devices: [0x1001, 0x2001]", "devices: [0x1001, {first: 0x2000, last: 0x20ff}, ↓0x2001]"),
              RuleExample([ExampleFile(basePath, variant("devices: [0x1001, 0x2001]", "devices: [0x1001, ↓0x2001]")),
                           ExampleFile("quirks/wangxun/sp-10gbe-v2.yaml",
                                       variant("family: SP 10GbE\ndevices: [0x1001, 0x2001]",
                                               "family: SP 10GbE v2\ndevices: [0x3001, ↓0x2001]"))])])

    // MARK: Evidence

    public static let missingEvidence = LintRule(
        id: "missing-evidence", description: "A new or submitted entry without evidence, statement or confirmed-by.",
        rationale: "Upstream accepts an ACS quirk only with a vendor-backed statement and someone accountable for it.",
        severity: .error, good: [good, RuleExample(upstreamPath, upstream)],
        bad: [RuleExample(basePath, variant("kernel:\n  status: new", "kernel:\n  status: ↓new")
                .removingLines(from: "evidence:", to: "  date: 2023-02-10")),
              bad("  confirmed-by: Jane Doe <jane.doe@vendor.example>\n", "").replacingOccurrences(of: "evidence:", with: "↓evidence:")])

    public static let evidenceTODO = LintRule(
        id: "evidence-todo",
        description: "An evidence field (statement, confirmed-by, reference, date) that still holds a TODO marker.",
        rationale: "`acsquirk new` scaffolds an entry from the device but cannot know what the vendor confirmed; "
            + "it leaves TODO markers that must be replaced by the vendor's own statement, the person and the documents "
            + "before the entry can be submitted.",
        severity: .error, good: [good],
        bad: [bad("  statement: Wangxun verified that the functions of these NICs never perform peer-to-peer; all traffic goes upstream.",
                  "  statement: ↓\"TODO: the vendor's statement that the functions never perform peer-to-peer\""),
              bad("  confirmed-by: Jane Doe <jane.doe@vendor.example>", "  confirmed-by: ↓\"TODO: Full Name <name@vendor.example>\""),
              bad("    - title: RP1000 datasheet, section 5.3\n      url: https://vendor.example/rp1000.pdf\n  date: 2023-02-10",
                  "    - title: ↓\"TODO: datasheet, erratum or vendor document\"\n      url: ↓TODO\n  date: ↓TODO")])

    public static let hedgedStatement = LintRule(
        id: "hedged-statement",
        description: "A new or submitted statement that hedges (could, may, should, might) instead of stating the hardware blocks peer-to-peer.",
        rationale: "Bjorn Helgaas rejected the first Wangxun posting for 'could block P2P': the vendor must say it DOES block it.",
        severity: .error, good: [good],
        bad: [bad("  statement: Wangxun verified that the functions of these NICs never perform peer-to-peer; all traffic goes upstream.",
                  "  statement: ↓The implementation could block peer-to-peer transactions between functions.")])

    public static let confirmedByFormat = LintRule(
        id: "confirmed-by-format", description: "A confirmed-by or acked-by that is not `Full Name <email>`.",
        rationale: "confirmed-by is named in the patch and copied with a Cc: trailer, acked-by becomes an Acked-by: trailer; "
            + "both must be a name and an address.",
        severity: .error, good: [good],
        bad: [bad("  confirmed-by: Jane Doe <jane.doe@vendor.example>", "  confirmed-by: ↓jane.doe@vendor.example"),
              bad("  confirmed-by: Jane Doe <jane.doe@vendor.example>",
                  "  confirmed-by:\n    - Jane Doe <jane.doe@vendor.example>\n    - ↓John <john>"),
              bad("  status: new", "  status: submitted\n  link: https://lore.kernel.org/r/1\n  acked-by: ↓Pat")])

    public static let ackNotOnList = LintRule(
        id: "ack-not-on-list",
        description: "An acked-by on an entry whose patch is not on the list: kernel.status new, or no kernel.link to the thread.",
        rationale: "An Acked-by: is given by a person on the posted patch (Documentation/process/submitting-patches.rst); "
            + "a vendor's private confirmation is confirmed-by, named in the patch and copied with Cc:. The entry records an ack "
            + "with the thread it was given in (kernel.link), so a reviewer can read it.",
        severity: .error,
        good: [good, bad("  status: new", "  status: submitted\n  link: https://lore.kernel.org/r/1\n"
                         + "  acked-by: Pat Example <pat@vendor.example>")],
        bad: [bad("  status: new", "  status: new\n  ↓acked-by: Pat Example <pat@vendor.example>"),
              bad("  status: new", "  status: submitted\n  ↓acked-by: Pat Example <pat@vendor.example>")])

    public static let badURL = LintRule(
        id: "bad-url", description: "A reference URL or kernel link that is not an http(s) URL with a host.",
        rationale: "Reviewers follow these links; a broken one is no evidence.",
        severity: .error, good: [good],
        bad: [bad("      url: https://vendor.example/rp1000.pdf", "      url: ↓vendor.example/rp1000.pdf"),
              bad("  status: new", "  status: submitted\n  link: ↓https://lore kernel org/r/1")])

    public static let badDate = LintRule(
        id: "bad-date", description: "A date that is not a real calendar date written YYYY-MM-DD.",
        rationale: "Dates are compared and printed; 2023-02-30 or 10.02.2023 cannot be.",
        severity: .error, good: [good],
        bad: [bad("  date: 2023-02-10", "  date: ↓2023-02-30"), bad("  date: 2023-02-10", "  date: ↓10.02.2023")])

    public static let futureDate = LintRule(
        id: "future-date", description: "An evidence date after today.",
        rationale: "A vendor cannot have confirmed anything in the future; the date also becomes the patch's Date: header.",
        severity: .error, good: [good],
        bad: [bad("  date: 2023-02-10", "  date: ↓2999-01-01")])

    // MARK: Claim

    public static let claimPortType = LintRule(
        id: "claim-port-type",
        description: "A claim that does not fit the port type: no-peer-to-peer on a root or downstream port, ports-isolated on an endpoint or RCiEP.",
        rationale: "no-peer-to-peer is about functions of one device, ports-isolated about ports; mixing them describes no real hardware.",
        severity: .error, good: [good],
        bad: [bad("  port-type: endpoint\n  multifunction: true\nisolation:\n  kind: no-peer-to-peer",
                  "  port-type: root-port\n  multifunction: true\nisolation:\n  kind: ↓no-peer-to-peer"),
              bad("isolation:\n  kind: no-peer-to-peer", "isolation:\n  kind: ↓ports-isolated")])

    public static let acsEquivalentIncomplete = LintRule(
        id: "acs-equivalent-incomplete",
        description: "acs-equivalent lacks one of SV, RR, CR, UF and the entry does not say why (isolation.incomplete-reason).",
        rationale: "Linux asks for SV|RR|CR|UF when it forms IOMMU groups (REQ_ACS_FLAGS in pci_device_group(), "
            + "drivers/iommu/iommu.c), so a quirk reporting less splits no group: a patch for it would claim an effect it "
            + "does not have. An entry that records such a claim on purpose says why in isolation.incomplete-reason.",
        severity: .error,
        good: [good, bad("  acs-equivalent: [SV, RR, CR, UF]",
                         "  acs-equivalent: [RR, CR]\n  incomplete-reason: The vendor confirmed request and completion "
                            + "redirection only; recorded for peer-to-peer DMA users that ask for RR and CR.")],
        bad: [bad("  acs-equivalent: [SV, RR, CR, UF]", "  acs-equivalent: ↓[RR, CR]"),
              bad("  acs-equivalent: [SV, RR, CR, UF]", "  acs-equivalent: ↓[SV, RR]\n  incomplete-reason: \" \"")])

    public static let unsafeText = LintRule(
        id: "unsafe-text",
        description: "Text that could break generated C or a commit message, or hide what a reviewer reads: */, /*, control characters, line breaks in one-line fields, a trailing backslash, ??/ trigraphs, and every character TextSafety refuses (bidirectional overrides, zero-width and other invisible format characters, private-use and unassigned code points).",
        rationale: "Registry text is pasted into C comments and commit messages by the generators; acsquirk patch and generate refuse what TextSafety refuses, so lint reports it first.",
        severity: .error,
        good: [good,
               RuleExample(basePath, variant("  statement: Wangxun verified", "  statement: Wangxun (Ünïcödé, Ω ≈ 10 µs, 北京) verified"))],
        bad: [bad("family: SP 10GbE", "family: ↓SP */ 10GbE"),
              bad("family: SP 10GbE", "family: ↓\"SP\\u202E 10GbE\""),
              bad("family: SP 10GbE", "family: ↓SP\u{200B}10GbE"),
              bad("  statement: Wangxun verified", "  statement: ↓Wangxun\u{2066} verified"),
              bad("    - title: RP1000 datasheet, section 5.3", "    - title: ↓RP1000\u{FEFF} datasheet"),
              bad("family: SP 10GbE", "family: ↓\"SP\\n10GbE\""),
              bad("family: SP 10GbE", "family: ↓\"SP\\a10GbE\""),
              bad("    - title: RP1000 datasheet, section 5.3", "    - title: ↓RP1000 datasheet\\"),
              bad("  statement: Wangxun verified", "  statement: ↓Wangxun (??/) verified")])

    // MARK: Kernel

    public static let upstreamIncomplete = LintRule(
        id: "upstream-incomplete", description: "An upstream entry without function, since or table rows.",
        rationale: "An upstream entry records where the kernel has it: the function, the first release and its table rows.",
        severity: .error, good: [RuleExample(upstreamPath, upstream)],
        bad: [RuleExample(upstreamPath, upstream.replacingOccurrences(of: "  status: upstream", with: "  status: ↓upstream")
                .replacingOccurrences(of: "  since: v3.12\n", with: ""))])

    public static let sinceSublevel = LintRule(
        id: "since-sublevel",
        description: "kernel.since names a stable sublevel (v6.12.117) instead of a mainline release (v6.3) or an upper bound (<=v6.1).",
        rationale: "Stable trees carry back-ports from later mainline releases, so a stable version is not when the quirk entered Linux; write the first mainline release, or <=vX.Y when only a release that had it is known.",
        severity: .error,
        good: [RuleExample(upstreamPath, upstream),
               RuleExample(upstreamPath, upstream.replacingOccurrences(of: "  since: v3.12", with: "  since: <=v6.1"))],
        bad: [RuleExample(upstreamPath, upstream.replacingOccurrences(of: "  since: v3.12", with: "  since: ↓v6.12.117")),
              RuleExample(upstreamPath, upstream.replacingOccurrences(of: "  since: v3.12", with: "  since: ↓<=v6.1.192"))])

    public static let tableRow = LintRule(
        id: "table-row",
        description: "Kernel table rows that are inconsistent: on a non-upstream entry, a row device not in devices, or a row number used twice.",
        rationale: "The rows rebuild pci_dev_acs_enabled[] in order; a wrong row would change which quirk answers first.",
        severity: .error, good: [RuleExample(upstreamPath, upstream)],
        bad: [RuleExample(upstreamPath, upstream.replacingOccurrences(of: "{row: 10, device: 0x0923", with: "{row: 10, device: ↓0x0a03")),
              RuleExample([ExampleFile(upstreamPath, upstream.replacingOccurrences(of: "{row: 10, device: 0x0923", with: "{row: ↓10, device: 0x0923")),
                           ExampleFile("quirks/solarflare/more-nics.yaml",
                                       upstream.replacingOccurrences(of: "family: NICs", with: "family: more NICs")
                                        .replacingOccurrences(of: "devices: [0x0903, 0x0923]", with: "devices: [0x0a03]")
                                        .replacingOccurrences(of: "    - {row: 9, device: 0x0903, vendor-macro: PCI_VENDOR_ID_SOLARFLARE}\n    - {row: 10, device: 0x0923",
                                                              with: "    - {row: ↓10, device: 0x0a03"))])])

    /// All rules, in documentation order.
    public static let all: [LintRule] = [
        unreadable, hiddenFile, noRegistryFiles, fileTooLarge, invalidUTF8, emptyFile, tabCharacter, oddLineBreak, yamlSyntax, duplicateKey, yamlAnchor,
        unknownKey, missingKey, invalidValue, hexID,
        unknownVendor, vendorNameMismatch, pathMismatch,
        invertedRange, duplicateDevice,
        missingEvidence, evidenceTODO, hedgedStatement, confirmedByFormat, ackNotOnList, badURL, badDate, futureDate,
        claimPortType, acsEquivalentIncomplete, unsafeText,
        upstreamIncomplete, sinceSublevel, tableRow,
    ]

    /// The rule with `id`.
    public static func rule(_ id: String) -> LintRule? { all.first { $0.id == id } }
}

extension RuleExample {
    /// The example with `text` removed from its single text file.
    func removing(_ text: String) -> RuleExample {
        var copy = self
        if case let .text(t) = copy.files[0].content {
            precondition(t.contains(text), "example text not found: \(text)")
            copy.files[0].content = .text(t.replacingOccurrences(of: text, with: ""))
        }
        return copy
    }

    func replacingOccurrences(of a: String, with b: String) -> RuleExample {
        var copy = self
        if case let .text(t) = copy.files[0].content {
            precondition(t.contains(a), "example text not found: \(a)")
            copy.files[0].content = .text(t.replacingOccurrences(of: a, with: b))
        }
        return copy
    }
}

extension String {
    /// Removes the lines from the one starting with `from` through the one starting with `to`.
    func removingLines(from: String, to: String) -> String {
        var out: [Substring] = []
        var skipping = false
        for l in split(separator: "\n", omittingEmptySubsequences: false) {
            if !skipping && l.hasPrefix(from) { skipping = true }
            if !skipping { out.append(l) }
            if skipping && l.hasPrefix(to) { skipping = false }
        }
        return out.joined(separator: "\n")
    }
}
