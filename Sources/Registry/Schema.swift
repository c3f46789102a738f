import PCIConfig
import Yams

/// The shape of a value in a registry file. One description drives three things: the loader's
/// structural checks (unknown keys, missing keys, wrong types), the JSON Schema published as
/// `quirks/schema.json` (`RegistrySchema.jsonSchema()`), and the schema reference in docs/registry.md.
public indirect enum SchemaType: Sendable {
    /// A mapping with exactly these keys (others are `unknown-key`).
    case object([SchemaProperty])
    /// A sequence of values of one type with at least `minItems` items.
    case array(SchemaType, minItems: Int)
    /// A 16-bit ID written in hex: `0x8086` (1 to 4 hex digits after `0x`).
    case hexID
    /// A table row's device: a hex ID or `any` (PCI_ANY_ID).
    case hexOrAny
    /// A scalar, or a mapping, or a sequence: the loader picks the alternative by the node's kind.
    case choice([SchemaType])
    /// A decimal integer within bounds.
    case integer(ClosedRange<Int>)
    /// `true` or `false`.
    case boolean
    /// One of these words.
    case enumeration([String])
    /// Free text of one kind (the format checks of `.date`, `.url`, `.person` are lint rules).
    case text(TextKind)

    /// Kinds of text values.
    public enum TextKind: String, Sendable {
        /// One line of text (no line breaks).
        case line
        /// Text that may span lines (statements, notes).
        case multiline
        /// A C identifier (`pci_quirk_mf_endpoint_acs`, `PCI_VENDOR_ID_INTEL`).
        case identifier
        /// A first mainline release: `v6.3`, or an upper bound `<=v6.1` when only a release that
        /// already had it is known. Never a stable sublevel (`v6.12.117`): see `since-sublevel`.
        case release
        /// An ISO date `YYYY-MM-DD`.
        case date
        /// An `http(s)://` URL.
        case url
        /// `Full Name <email>`.
        case person
    }
}

/// One key of a mapping.
public struct SchemaProperty: Sendable {
    public var name: String
    public var type: SchemaType
    public var required: Bool
    /// One sentence for the JSON Schema and docs.
    public var description: String

    public init(_ name: String, _ type: SchemaType, required: Bool = false, _ description: String) {
        self.name = name
        self.type = type
        self.required = required
        self.description = description
    }
}

/// The registry file schema (version 1): `quirks/<vendor-dir>/<family>.yaml`, one entry per file.
public enum RegistrySchema {
    /// The only schema version this build reads and writes.
    public static let version = 1

    /// ACS control short names, in bit order (PCIe r6.0 §7.7.8.3; Linux PCI_ACS_*).
    public static let acsFlagNames = ACSNames.all

    static let person = SchemaType.text(.person)

    /// The entry (the whole file).
    public static let entry: SchemaType = .object([
        SchemaProperty("schema", .integer(1...1), required: true, "Schema version of this file: 1."),
        SchemaProperty("vendor", .hexID, required: true, "PCI vendor ID, 16-bit hex, e.g. 0x8086."),
        SchemaProperty("vendor-name", .text(.line), required: true,
                       "Vendor name used in comments and patch subjects, e.g. Intel; the vendor folder is its slug."),
        SchemaProperty("family", .text(.line), required: true,
                       "Product family, e.g. 82576; the file name is its slug."),
        SchemaProperty("devices", .array(.choice([.hexID, .object([
            SchemaProperty("first", .hexID, required: true, "First device ID of the inclusive range."),
            SchemaProperty("last", .hexID, required: true, "Last device ID of the inclusive range."),
        ])]), minItems: 1), required: true,
        "Device IDs the claim covers: single hex IDs and inclusive {first, last} ranges."),
        SchemaProperty("applies-to", .object([
            SchemaProperty("port-type", .enumeration(portTypes), "PCIe type the device must have (default any)."),
            SchemaProperty("multifunction", .boolean,
                           "true: only multifunction devices; false: only single-function; absent: either."),
            SchemaProperty("class", .hexID, "Class code (base class << 8 | subclass) the device must have."),
            SchemaProperty("requires", .array(.enumeration(requirements), minItems: 0),
                           "Platform facts the kernel function depends on."),
            SchemaProperty("register-layout", .enumeration(registerLayouts),
                           "ACS register layout the quirk reads (intel-spt-dword for the Sunrise Point erratum)."),
        ]), "What the quirk must check before it answers (the conditions inside the kernel function)."),
        SchemaProperty("isolation", .object([
            SchemaProperty("kind", .enumeration(isolationKinds), required: true, "The isolation claimed."),
            SchemaProperty("acs-equivalent", .array(.enumeration(acsFlagNames), minItems: 0), required: true,
                           "ACS controls the hardware behaves as if enabled, e.g. [SV, RR, CR, UF]."),
            SchemaProperty("incomplete-reason", .text(.multiline),
                           "Why acs-equivalent lacks one of SV, RR, CR, UF although such a claim changes no IOMMU group (Linux requires all four); without it lint refuses the entry."),
        ]), required: true, "The isolation claimed and the ACS controls it stands for."),
        SchemaProperty("evidence", .object([
            SchemaProperty("statement", .text(.multiline), required: true,
                           "An explicit statement that the hardware blocks peer-to-peer (not could/may/should/might)."),
            SchemaProperty("confirmed-by", .choice([person, .array(person, minItems: 0)]),
                           "Who at the vendor confirmed it: Full Name <email>, one or a list (named in the patch and copied with Cc:, never Acked-by:)."),
            SchemaProperty("references", .array(.object([
                SchemaProperty("title", .text(.line), required: true, "Document title and section."),
                SchemaProperty("url", .text(.url), "http(s) URL of the document."),
            ]), minItems: 0), "Datasheets, errata, mailing-list threads."),
            SchemaProperty("date", .text(.date), "Date of the confirmation, YYYY-MM-DD."),
        ]), "The vendor's confirmation (required for new and submitted entries)."),
        SchemaProperty("kernel", .object([
            SchemaProperty("status", .enumeration(statuses), required: true,
                           "upstream (in Linux), submitted (posted), new (not yet posted)."),
            SchemaProperty("function", .text(.identifier), "Kernel quirk function, e.g. pci_quirk_mf_endpoint_acs."),
            SchemaProperty("since", .text(.release),
                           "First mainline release with the quirk, e.g. v6.3; <=v6.1 when only an upper bound is known (never a stable sublevel)."),
            SchemaProperty("link", .text(.url), "Where it was submitted (a lore.kernel.org link)."),
            SchemaProperty("acked-by", .choice([person, .array(person, minItems: 0)]),
                           "Who acked the posted patch on the list (at link): Full Name <email>, one or a list; the patch's Acked-by: trailers."),
            SchemaProperty("table", .array(.object([
                SchemaProperty("row", .integer(1...100_000), required: true,
                               "1-based position in pci_dev_acs_enabled[] of the imported kernel."),
                SchemaProperty("device", .hexOrAny, required: true, "Device ID of the row, or any (PCI_ANY_ID)."),
                SchemaProperty("vendor-macro", .text(.identifier),
                               "Vendor macro of the row (PCI_VENDOR_ID_...), absent for a literal number."),
            ]), minItems: 0), "Rows of pci_dev_acs_enabled[] (upstream entries), in table order."),
            SchemaProperty("unlisted", .enumeration(unlistedAnswers),
                           "Answer for accepted devices not in devices: pass (-ENOTTY) or not-isolated (0, final)."),
            SchemaProperty("note", .text(.multiline), "Free-form note about the kernel code."),
        ]), required: true, "Where the entry stands in the kernel."),
    ])

    public static let portTypes = AppliesTo.PortTypeCondition.allCases.map(\.rawValue)
    public static let requirements = AppliesTo.Requirement.allCases.map(\.rawValue)
    public static let registerLayouts = [ACSRegisterLayoutName.standard, ACSRegisterLayoutName.intelSPTDword]
    public static let isolationKinds = Isolation.Kind.allCases.map(\.rawValue)
    public static let statuses = KernelStatus.Status.allCases.map(\.rawValue)
    public static let unlistedAnswers = KernelStatus.UnlistedAnswer.allCases.map(\.rawValue)

    /// Regular expressions (ECMA 262 subset, anchored) used in the JSON Schema for text kinds.
    public static func pattern(for kind: SchemaType.TextKind) -> String? {
        switch kind {
        case .line: #"^[^\n\r]*$"#
        case .multiline: nil
        case .identifier: #"^[A-Za-z_][A-Za-z0-9_]*$"#
        case .release: #"^(<=)?v[0-9]+\.[0-9]+$"#
        case .date: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"#
        case .url: #"^https?://[^\s]+$"#
        case .person: #"^[^<>@\n]+ <[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>$"#
        }
    }

    static let hexIDPattern = #"^0[xX][0-9a-fA-F]{1,4}$"#

    /// The JSON Schema (draft 2020-12) of a registry file, as committed in `quirks/schema.json`.
    /// Deterministic: the same build prints the same bytes.
    public static func jsonSchema() -> JSONValue {
        var root: [(String, JSONValue)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("title", .string("acsquirk registry entry")),
            ("description", .string(
                "One PCIe isolation claim (a product family of one vendor) in quirks/<vendor>/<family>.yaml. "
                + "Generated by `acsquirk lint --print-schema`; hex IDs are written 0x....")),
        ]
        if case let .object(members) = json(entry, description: nil) {
            root += members
        }
        root.append(("$defs", .object([
            ("hex-id", .object([
                ("description", .string("A 16-bit ID. Written 0x8086 in YAML (YAML 1.2 reads that as an integer).")),
                ("anyOf", .array([
                    .object([("type", .string("string")), ("pattern", .string(hexIDPattern))]),
                    .object([("type", .string("integer")), ("minimum", .int(0)), ("maximum", .int(0xffff))]),
                ])),
            ])),
        ])))
        return .object(root)
    }

    static func json(_ type: SchemaType, description: String?) -> JSONValue {
        var m: [(String, JSONValue)] = []
        if let description { m.append(("description", .string(description))) }
        switch type {
        case let .object(props):
            m.append(("type", .string("object")))
            m.append(("properties", .object(props.map { ($0.name, json($0.type, description: $0.description)) })))
            let req = props.filter(\.required).map { JSONValue.string($0.name) }
            if !req.isEmpty { m.append(("required", .array(req))) }
            m.append(("additionalProperties", .bool(false)))
        case let .array(item, minItems):
            m.append(("type", .string("array")))
            m.append(("items", json(item, description: nil)))
            if minItems > 0 { m.append(("minItems", .int(minItems))) }
        case .hexID:
            m.append(("$ref", .string("#/$defs/hex-id")))
        case .hexOrAny:
            m.append(("anyOf", .array([
                .object([("$ref", .string("#/$defs/hex-id"))]),
                .object([("enum", .array([.string("any")]))]),
            ])))
        case let .choice(alts):
            m.append(("anyOf", .array(alts.map { json($0, description: nil) })))
        case let .integer(r):
            m.append(("type", .string("integer")))
            m.append(("minimum", .int(r.lowerBound)))
            m.append(("maximum", .int(r.upperBound)))
        case .boolean:
            m.append(("type", .string("boolean")))
        case let .enumeration(words):
            m.append(("type", .string("string")))
            m.append(("enum", .array(words.map { .string($0) })))
        case let .text(kind):
            m.append(("type", .string("string")))
            if kind != .line { m.append(("minLength", .int(1))) }
            if let p = pattern(for: kind) { m.append(("pattern", .string(p))) }
        }
        return .object(m)
    }

    /// A YAML node as JSON, with YAML 1.2 core-schema scalar resolution (what editors and other
    /// tools see): plain `0x10c6` and `42` are integers, plain `true`/`false` booleans, plain
    /// `null`/`~`/empty null, everything else (and every quoted or block scalar) a string.
    public static func jsonValue(of node: Node) -> JSONValue {
        switch node {
        case let .scalar(s):
            guard s.style == .plain || s.style == .any else { return .string(s.string) }
            let t = s.string
            switch t {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            case "", "~", "null", "Null", "NULL": return .null
            default: break
            }
            if let i = Int(t) { return .int(i) }
            if t.hasPrefix("0x"), let i = Int(t.dropFirst(2), radix: 16) { return .int(i) }
            return .string(t)
        case let .sequence(seq):
            return .array(seq.map { jsonValue(of: $0) })
        case let .mapping(map):
            return .object(map.map { (k, v) in (k.string ?? "", jsonValue(of: v)) })
        case .alias:
            return .null
        }
    }
}

/// ACS short names as written in the registry (`acs-equivalent`).
public enum ACSNames {
    public static let all = ["SV", "TB", "RR", "CR", "UF", "EC", "DT"]
}

/// Registry spellings of `ACSRegisterLayout` cases.
public enum ACSRegisterLayoutName {
    public static let standard = "standard"
    public static let intelSPTDword = "intel-spt-dword"
}

extension KernelStatus.UnlistedAnswer: CaseIterable {
    public static var allCases: [KernelStatus.UnlistedAnswer] { [.pass, .notIsolated] }
}
